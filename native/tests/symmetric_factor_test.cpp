// Bunch-Kaufman LDL^T (native/core/symmetric_factor.*) on matrices of prescribed inertia
// A = Q diag(d) Q^T: the inertia must be exactly that of d (Sylvester), the solve's residual at rounding,
// and the solution equal to Q diag(1/d) Q^T b within what the condition number explains.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/symmetric_factor.hpp"
#include "reference.hpp"

namespace nntk::test {
namespace {

struct Spec {
  std::size_t positive, negative;
  double spread;  // |d| spans 10^-spread .. 10^spread
};

Inertia countSigns(const std::vector<double>& d) {
  Inertia in;
  for (double v : d) (v > 0 ? in.positive : v < 0 ? in.negative : in.zero) += 1;
  return in;
}

bool sameInertia(Context& ctx, const Inertia& got, const Inertia& want, const std::string& what) {
  return ctx.check(got.positive == want.positive && got.negative == want.negative && got.zero == want.zero,
                   what + ": inertia (" + std::to_string(got.positive) + ", " + std::to_string(got.negative) + ", " +
                       std::to_string(got.zero) + "), expected (" + std::to_string(want.positive) + ", " +
                       std::to_string(want.negative) + ", " + std::to_string(want.zero) + ")");
}

// d with the given sign counts in shuffled order and log-uniform magnitudes.
std::vector<double> prescribed(const Spec& s, Rng& rng) {
  std::vector<double> d;
  for (std::size_t k = 0; k < s.positive + s.negative; ++k) {
    const double magnitude = std::pow(10.0, rng.uniform(-s.spread, s.spread));
    d.push_back(k < s.positive ? magnitude : -magnitude);
  }
  for (std::size_t k = d.size(); k > 1; --k)  // Fisher-Yates
    std::swap(d[k - 1], d[static_cast<std::size_t>(rng.uniform() * static_cast<double>(k))]);
  return d;
}

void prescribedInertia(Context& ctx) {
  const Spec specs[] = {{1, 0, 0}, {0, 1, 0}, {2, 0, 1}, {1, 1, 1}, {3, 2, 1}, {0, 7, 2},
                        {12, 0, 2}, {6, 6, 3}, {1, 19, 2}, {25, 15, 3}, {20, 40, 4}};
  Rng rng(101);
  for (const Spec& s : specs) {
    const std::size_t n = s.positive + s.negative, nrhs = 3;
    const std::string what = "n " + std::to_string(n) + " (+" + std::to_string(s.positive) + ", -" +
                             std::to_string(s.negative) + ", spread 1e" + sci(s.spread) + ")";
    const std::vector<double> d = prescribed(s, rng);
    const std::vector<double> Q = randomOrthogonal(n, rng);
    const std::vector<double> A = conjugate(Q, d);
    double cond = 0, smallest = INFINITY, largest = 0;
    for (double v : d) smallest = std::min(smallest, std::fabs(v)), largest = std::max(largest, std::fabs(v));
    cond = largest / smallest;

    std::vector<double> F = A;
    const LdltFactor factor(F.data(), n);
    sameInertia(ctx, factor.inertia(), countSigns(d), what);
    ctx.check(!factor.singular(), what + ": reported singular (rcond " + sci(factor.reciprocalCondition()) + ")");
    // DSYCON estimates 1 / (|A|_1 |A^-1|_1), within a factor n of 1 / cond_2 either way.
    const double rcond = factor.reciprocalCondition();
    ctx.check(rcond <= static_cast<double>(n) / cond * 1.0001 && rcond >= 1.0 / (static_cast<double>(n) * cond) / 10.0,
              what + ": reciprocal condition " + sci(rcond) + " against 1 / cond_2 = " + sci(1.0 / cond));

    std::vector<double> B(n * nrhs);
    for (double& v : B) v = rng.normal();
    std::vector<double> X = B;
    factor.solve(X.data(), nrhs);
    for (std::size_t r = 0; r < nrhs; ++r) {
      const std::vector<double> b(B.begin() + r * n, B.begin() + (r + 1) * n);
      const std::vector<double> x(X.begin() + r * n, X.begin() + (r + 1) * n);
      // Backward error |A x - b| / (|A| |x| + |b|): Bunch-Kaufman is normwise backward stable (growth bounded).
      std::vector<double> res = multiply(A, n, n, x);
      for (std::size_t k = 0; k < n; ++k) res[k] -= b[k];
      ctx.atMost(frobenius(res) / (frobenius(A) * frobenius(x) + frobenius(b)), 8.0 * static_cast<double>(n) * kEps,
                 what + ": backward error");
      // Forward error against x = Q diag(1/d) Q^T b, computed without any factorization.
      std::vector<double> inv(n);
      for (std::size_t k = 0; k < n; ++k) inv[k] = 1.0 / d[k];
      const std::vector<double> exact = multiply(conjugate(Q, inv), n, n, b);
      ctx.atMost(maxAbsDiff(x, exact) / maxAbs(exact), 8.0 * static_cast<double>(n) * kEps * cond,
                 what + ": forward error");
    }
    // symmetricEigenvalues (DSYEVD) returns d, sorted, within n eps |A|_2.
    std::vector<double> sorted = d;
    std::sort(sorted.begin(), sorted.end());
    ctx.atMost(maxAbsDiff(symmetricEigenvalues(A, n), sorted), 8.0 * static_cast<double>(n) * kEps * largest,
               what + ": symmetricEigenvalues");
  }
}

// Exactly zero rows and columns (A = P^T [B 0; 0 0] P): DSYTRF meets exactly zero pivots, so the zero count
// is exact and the factor reports itself singular.
void exactZeros(Context& ctx) {
  Rng rng(202);
  const std::size_t cases[][3] = {{1, 0, 1}, {0, 0, 2}, {2, 1, 1}, {4, 3, 2}, {10, 5, 3}, {0, 12, 1}};
  for (const auto& c : cases) {
    const std::size_t pos = c[0], neg = c[1], zeros = c[2], n = pos + neg + zeros, m = pos + neg;
    const std::string what = "(+" + std::to_string(pos) + ", -" + std::to_string(neg) + ", 0 x" +
                             std::to_string(zeros) + ")";
    const std::vector<double> d = prescribed({pos, neg, 1}, rng);
    const std::vector<double> B = m > 0 ? conjugate(randomOrthogonal(m, rng), d) : std::vector<double>{};
    // A random placement of B's rows among n.
    std::vector<std::size_t> place(n);
    for (std::size_t k = 0; k < n; ++k) place[k] = k;
    for (std::size_t k = n; k > 1; --k) std::swap(place[k - 1], place[static_cast<std::size_t>(rng.uniform() * static_cast<double>(k))]);
    std::vector<double> A(n * n, 0.0);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = 0; i < m; ++i) A[place[i] + place[j] * n] = B[i + j * m];
    const LdltFactor factor(A.data(), n);
    sameInertia(ctx, factor.inertia(), {pos, neg, zeros}, what);
    ctx.check(factor.singular(), what + ": not reported singular");
  }
}

// Zero eigenvalues of a dense Q diag(d) Q^T round to some tiny number of either sign: the nonzero ones keep
// their signs, and the condition estimate says singular to working precision (rcond within rounding of 0).
void roundedZeros(Context& ctx) {
  Rng rng(303);
  const std::size_t cases[][3] = {{3, 2, 1}, {5, 5, 2}, {0, 6, 1}, {9, 0, 3}};
  for (const auto& c : cases) {
    const std::size_t pos = c[0], neg = c[1], zeros = c[2], n = pos + neg + zeros;
    const std::string what = "(+" + std::to_string(pos) + ", -" + std::to_string(neg) + ", ~0 x" +
                             std::to_string(zeros) + ")";
    std::vector<double> d = prescribed({pos, neg, 1}, rng);
    d.insert(d.end(), zeros, 0.0);
    std::vector<double> A = conjugate(randomOrthogonal(n, rng), d);
    const LdltFactor factor(A.data(), n);
    const Inertia in = factor.inertia();
    ctx.check(in.positive >= pos && in.negative >= neg && in.positive + in.negative + in.zero == n &&
                  in.positive <= pos + zeros && in.negative <= neg + zeros,
              what + ": inertia (" + std::to_string(in.positive) + ", " + std::to_string(in.negative) + ", " +
                  std::to_string(in.zero) + ") does not extend the nonzero signs");
    ctx.atMost(factor.reciprocalCondition(), 100.0 * static_cast<double>(n) * kEps, what + ": reciprocal condition");
  }
}

// ldltInertia on hand-made D: 1x1 pivots (positive ipiv) and 2x2 blocks (ipiv(k) = ipiv(k+1) < 0) with
// negative, positive and zero determinant.
void blockInertia(Context& ctx) {
  struct Hand {
    std::size_t n;
    std::vector<double> D;  // column-major, lower triangle used
    std::vector<lapack_int> ipiv;
    Inertia want;
    const char* what;
  };
  const Hand hands[] = {
      {2, {1, 2, 0, 1}, {-1, -1}, {1, 1, 0}, "det < 0"},
      {2, {-2, 1, 0, -3}, {-1, -1}, {0, 2, 0}, "det > 0, trace < 0"},
      {2, {2, 1, 0, 3}, {-1, -1}, {2, 0, 0}, "det > 0, trace > 0"},
      {2, {1, 1, 0, 1}, {-1, -1}, {1, 0, 1}, "det = 0, trace > 0"},
      {2, {-4, 2, 0, -1}, {-1, -1}, {0, 1, 1}, "det = 0, trace < 0"},
      {3, {-5, 0, 0, 0, 0, 3, 0, 3, 0}, {1, -2, -2}, {1, 2, 0}, "1x1 then a 2x2 block"},
      {3, {0, 1, 0, 1, 0, 0, 0, 0, 0}, {-1, -1, 3}, {1, 1, 1}, "a 2x2 block then a zero pivot"},
  };
  for (const Hand& h : hands) sameInertia(ctx, ldltInertia(h.D.data(), h.ipiv.data(), h.n), h.want, h.what);

  // A matrix with no usable 1x1 pivot: DSYTRF must take a 2x2 block; the solve is exact.
  std::vector<double> A = {0, 1, 1, 0};
  const LdltFactor factor(A.data(), 2);
  sameInertia(ctx, factor.inertia(), {1, 1, 0}, "[[0, 1], [1, 0]]");
  std::vector<double> b = {3, -7};
  factor.solve(b.data(), 1);
  ctx.check(b[0] == -7 && b[1] == 3, "[[0, 1], [1, 0]] x = (3, -7): got (" + sci(b[0]) + ", " + sci(b[1]) + ")");
}

}  // namespace

void addSymmetricFactorCases(std::vector<Case>& cases) {
  cases.push_back({"symmetric_factor", "prescribed inertia, solve and spectrum", prescribedInertia});
  cases.push_back({"symmetric_factor", "exactly zero pivots", exactZeros});
  cases.push_back({"symmetric_factor", "zero eigenvalues rounded", roundedZeros});
  cases.push_back({"symmetric_factor", "2x2 block inertia", blockInertia});
}

}  // namespace nntk::test
