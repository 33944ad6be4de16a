// tanh(z + delta) for small |delta| by its Taylor series around z (docs/MATH.md section 6, "one-step
// grid"). The coefficients follow from t = tanh z alone: T = tanh(z + .) solves T' = 1 - T^2, so with
// T = sum_k a_k delta^k,  a_0 = t,  a_1 = 1 - t^2,  (k + 1) a_(k+1) = -sum_(j=0..k) a_j a_(k-j)  (k >= 1).
// Truncation: tanh is analytic in the strip |Im w| < pi/2 and |tanh(u + iv)| <= max(1, tan|v|), so on
// the disk of radius 1 around any real z, |tanh| <= tan 1 and Cauchy's estimate gives |a_k| <= tan 1.
// Stopping after degree K leaves at most tan(1) rho^(K+1) / (1 - rho) for |delta| <= rho < 1; the degree
// is chosen so that this is below 1e-17, a tenth of the rounding of tanh itself (docs/MATH.md section 7).
#pragma once
#include <cmath>
#include <cstddef>

namespace nntk {

// Past this degree a direct tanh is cheaper than the series (measured: ~7 cycles per value vs K + 2 FMAs).
constexpr int kMaxTaylorDegree = 10;

// rho_K: the largest |delta| for which degree K keeps the truncation bound tan(1) rho^(K+1) / (1 - rho)
// below 1e-17, for K = 0..kMaxTaylorDegree (bisection on the bound, which increases with rho).
class TaylorDegrees {
 public:
  TaylorDegrees() {
    const double tan1 = std::tan(1.0);
    for (int K = 0; K <= kMaxTaylorDegree; ++K) {
      double lo = 0, hi = 0.5;
      for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        (tan1 * std::pow(mid, K + 1) / (1.0 - mid) <= 1e-17 ? lo : hi) = mid;
      }
      limit_[K] = lo;
    }
  }
  // The smallest degree whose bound holds for |delta| <= rho, or -1 when none up to kMaxTaylorDegree does.
  // The limits increase with K, so the degree is the number of limits below rho (branch-free: the
  // outcome varies from neuron to neuron and would defeat the branch predictor).
  int degree(double rho) const {
    int K = 0;
    for (int k = 0; k <= kMaxTaylorDegree; ++k) K += rho > limit_[k];
    return K > kMaxTaylorDegree ? -1 : K;
  }

 private:
  double limit_[kMaxTaylorDegree + 1] = {};
};

// coef[k * M + m] = a_k at t[m] for k = 0..K (the recurrence above), in chunks of L points whose sums
// stay in registers; sum_(j=0..k) a_j a_(k-j) = 2 sum_(j < k/2) a_j a_(k-j) (+ a_(k/2)^2 for even k).
template <std::size_t L>
[[gnu::always_inline]] inline void tanhTaylorChunk(const double* t, std::size_t M, int K, double* coef) {
  for (std::size_t m = 0; m < L; ++m) coef[m] = t[m];
  if (K >= 1)
    for (std::size_t m = 0; m < L; ++m) coef[M + m] = 1.0 - t[m] * t[m];
  for (int k = 1; k < K; ++k) {
    double sum[L];
    for (std::size_t m = 0; m < L; ++m) sum[m] = 0.0;
    for (int j = 0; 2 * j < k; ++j) {
      const double* aj = coef + static_cast<std::size_t>(j) * M;
      const double* ak = coef + static_cast<std::size_t>(k - j) * M;
      for (std::size_t m = 0; m < L; ++m) sum[m] += aj[m] * ak[m];
    }
    const double scale = -1.0 / static_cast<double>(k + 1);
    double* next = coef + static_cast<std::size_t>(k + 1) * M;
    const double* mid = coef + static_cast<std::size_t>(k / 2) * M;
    const double even = k % 2 == 0 ? 1.0 : 0.0;
    for (std::size_t m = 0; m < L; ++m) next[m] = scale * (2.0 * sum[m] + even * mid[m] * mid[m]);
  }
}

[[gnu::always_inline]] inline void tanhTaylorCoefficients(const double* t, std::size_t M, int K, double* coef) {
  std::size_t m = 0;
  for (; m + 16 <= M; m += 16) tanhTaylorChunk<16>(t + m, M, K, coef + m);
  for (; m + 4 <= M; m += 4) tanhTaylorChunk<4>(t + m, M, K, coef + m);
  for (; m < M; ++m) tanhTaylorChunk<1>(t + m, M, K, coef + m);
}

}  // namespace nntk
