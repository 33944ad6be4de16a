// tanh(z + delta) for small |delta| by its Taylor series around z (docs/MATH.md section 6, "one-step
// grid"). The coefficients follow from t = tanh z alone: T = tanh(z + .) solves T' = 1 - T^2, so with
// T = sum_k a_k delta^k,  a_0 = t,  a_1 = 1 - t^2,  (k + 1) a_(k+1) = -sum_(j=0..k) a_j a_(k-j)  (k >= 1).
// Truncation: tanh is analytic in the strip |Im w| < pi/2 and |tanh(u + iv)| <= max(1, tan|v|), so on
// the disk of radius 1 around any real z, |tanh| <= tan 1 and Cauchy's estimate gives |a_k| <= tan 1.
// Stopping after degree K leaves at most tan(1) rho^(K+1) / (1 - rho) for |delta| <= rho < 1; the degree
// is chosen so that this is below 1e-17, a tenth of the rounding of tanh itself.
#pragma once
#include <cmath>
#include <cstddef>

namespace nntk {

constexpr int kMaxTaylorDegree = 14;

// The smallest degree whose truncation bound is below 1e-17 for |delta| <= rho, or -1 when the series
// would need more than kMaxTaylorDegree terms (then tanh(z + delta) is evaluated directly).
inline int taylorDegree(double rho) {
  if (!(rho < 0.5)) return -1;
  const double bound = std::tan(1.0) / (1.0 - rho);
  double power = rho;  // rho^(K+1)
  for (int K = 0; K <= kMaxTaylorDegree; ++K, power *= rho)
    if (bound * power <= 1e-17) return K;
  return -1;
}

// coef[k * M + m] = a_k at t[m] for k = 0..K (the recurrence above, with the symmetric sum halved and
// every loop running over m, so that it vectorizes).
inline void tanhTaylorCoefficients(const double* t, std::size_t M, int K, double* coef) {
  for (std::size_t m = 0; m < M; ++m) coef[m] = t[m];
  if (K >= 1)
    for (std::size_t m = 0; m < M; ++m) coef[M + m] = 1.0 - t[m] * t[m];
  for (int k = 1; k < K; ++k) {
    // sum_(j=0..k) a_j a_(k-j) = 2 sum_(j < k/2) a_j a_(k-j) (+ a_(k/2)^2 for even k).
    double* next = coef + static_cast<std::size_t>(k + 1) * M;
    for (std::size_t m = 0; m < M; ++m) next[m] = 0.0;
    for (int j = 0; 2 * j < k; ++j) {
      const double* aj = coef + static_cast<std::size_t>(j) * M;
      const double* ak = coef + static_cast<std::size_t>(k - j) * M;
      for (std::size_t m = 0; m < M; ++m) next[m] += aj[m] * ak[m];
    }
    const double scale = -1.0 / static_cast<double>(k + 1);
    if (k % 2 == 0) {
      const double* mid = coef + static_cast<std::size_t>(k / 2) * M;
      for (std::size_t m = 0; m < M; ++m) next[m] = scale * (2.0 * next[m] + mid[m] * mid[m]);
    } else {
      for (std::size_t m = 0; m < M; ++m) next[m] = scale * (2.0 * next[m]);
    }
  }
}

}  // namespace nntk
