// The per-neuron Jacobi eigensolver (native/core/small_eigen.*) against LAPACK's DSYEV and against the
// characteristic polynomial: by Newton's identities the power sums tr(A^k) = sum_j w_j^k, k = 1..n,
// determine the characteristic polynomial's coefficients, so matching them checks the eigenvalues as its
// roots without any eigensolver.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/small_eigen.hpp"
#include "reference.hpp"

namespace nntk::test {
namespace {

struct Result {
  std::vector<double> w, V;  // V row-major: V[a * n + k] is component a of eigenvector k
};

Result solve(const std::vector<double>& A, std::size_t n) {
  std::vector<double> work = A;
  Result r{std::vector<double>(n), std::vector<double>(n * n)};
  smallSymmetricEigen(work.data(), n, r.w.data(), r.V.data());
  return r;
}

// Checks one symmetric A (row-major; symmetric, so also column-major) of order n.
void checkMatrix(Context& ctx, const std::vector<double>& A, std::size_t n, const std::string& what) {
  const Result r = solve(A, n);
  const double norm = frobenius(A), nd = static_cast<double>(n);
  const double tol = 16.0 * nd * kEps * norm;

  std::vector<double> sorted = r.w;
  std::sort(sorted.begin(), sorted.end());
  ctx.atMost(maxAbsDiff(sorted, dsyevEigenvalues(A, n)), tol, what + ": eigenvalues against DSYEV");

  double orth = 0, res = 0;
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t k = 0; k < n; ++k) {
      double dot = 0, av = 0;
      for (std::size_t a = 0; a < n; ++a) {
        dot += r.V[a * n + j] * r.V[a * n + k];
        av += A[j * n + a] * r.V[a * n + k];  // (A V)_{jk}
      }
      orth = std::max(orth, std::fabs(dot - (j == k ? 1.0 : 0.0)));
      res = std::max(res, std::fabs(av - r.V[j * n + k] * r.w[k]));
    }
  ctx.atMost(orth, 16.0 * nd * kEps, what + ": |V^T V - I|");
  ctx.atMost(res, tol, what + ": |A V - V diag(w)|");

  // Power sums tr(A^k) against sum w^k, each within rounding of |A|_F^k.
  std::vector<double> power = A;  // A^k, row-major
  for (std::size_t k = 1; k <= n; ++k) {
    double trace = 0, sum = 0;
    for (std::size_t a = 0; a < n; ++a) trace += power[a * n + a];
    for (double v : r.w) sum += std::pow(v, static_cast<double>(k));
    ctx.near(sum, trace, 16.0 * nd * static_cast<double>(k) * kEps * std::pow(norm, static_cast<double>(k)),
             what + ": sum w^" + std::to_string(k) + " against tr(A^" + std::to_string(k) + ")");
    std::vector<double> next(n * n, 0.0);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = 0; b < n; ++b)
        for (std::size_t c = 0; c < n; ++c) next[a * n + b] += power[a * n + c] * A[c * n + b];
    power = std::move(next);
  }
}

void randomBlocks(Context& ctx) {
  Rng rng(404);
  for (std::size_t n = 1; n <= 8; ++n)
    for (int trial = 0; trial < 6; ++trial) {
      const double scale = std::pow(10.0, rng.uniform(-6.0, 6.0));
      std::vector<double> A(n * n);
      for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b <= a; ++b) A[a * n + b] = A[b * n + a] = scale * rng.normal();
      checkMatrix(ctx, A, n, "n " + std::to_string(n) + " trial " + std::to_string(trial));
    }
}

// The shapes the structured solver meets: q = 3 (inputDim 1) blocks D + lambda I with clustered,
// repeated, zero and widely graded eigenvalues.
void structuredBlocks(Context& ctx) {
  Rng rng(505);
  const std::vector<std::vector<double>> spectra = {
      {2, 2, -1},  {0, 0, 0},     {1, 1, 1},         {1e-9, -1e-9, 3}, {0, 1, -1},
      {1e8, 1, -1e-8}, {5, 5 + 1e-13, 5 - 1e-13}, {-3, 0, 0, 4}, {1, -1, 1, -1}, {7, 7, 7, 7}};
  for (const auto& d : spectra) {
    const std::size_t n = d.size();
    std::vector<double> A = conjugate(randomOrthogonal(n, rng), d);  // symmetric: row- and column-major alike
    std::string what = "spectrum (";
    for (double v : d) what += sci(v) + " ";
    what.back() = ')';
    checkMatrix(ctx, A, n, what);
  }
}

// A diagonal matrix is already diagonal: eigenvalues exact, V = I.
void diagonalInput(Context& ctx) {
  for (std::size_t n : {1u, 3u, 4u, 6u}) {
    std::vector<double> A(n * n, 0.0);
    for (std::size_t a = 0; a < n; ++a) A[a * n + a] = static_cast<double>(a) - 1.5;
    const Result r = solve(A, n);
    bool exact = true;
    for (std::size_t a = 0; a < n; ++a) {
      exact = exact && r.w[a] == A[a * n + a];
      for (std::size_t k = 0; k < n; ++k) exact = exact && r.V[a * n + k] == (a == k ? 1.0 : 0.0);
    }
    ctx.check(exact, "diagonal n " + std::to_string(n) + ": eigenvalues or eigenvectors not exact");
  }
}

// Blocks far from unit scale (entries ~1e-170 or ~1e160, where the sweep's sums of squares would
// underflow or overflow): the eigenvalues are the prescribed ones, to rounding of the block's scale.
void extremeScales(Context& ctx) {
  Rng rng(606);
  for (double scale : {1e-170, 1e-300, 1e160, 1e300}) {
    for (const std::vector<double>& d : {std::vector<double>{-1, 1, 1}, std::vector<double>{3, -2, 0.5, 1e-3}}) {
      const std::size_t n = d.size();
      std::vector<double> scaled = d;
      for (double& v : scaled) v *= scale;
      const std::vector<double> A = conjugate(randomOrthogonal(n, rng), scaled);
      Result r = solve(A, n);
      std::sort(r.w.begin(), r.w.end());
      std::sort(scaled.begin(), scaled.end());
      double worst = 0;
      for (std::size_t k = 0; k < n; ++k) worst = std::max(worst, std::fabs(r.w[k] - scaled[k]) / scale);
      ctx.atMost(worst, 64.0 * kEps * 3.0, "scale " + sci(scale) + ", n " + std::to_string(n) + ": eigenvalues / scale");
    }
  }
}

}  // namespace

void addSmallEigenCases(std::vector<Case>& cases) {
  cases.push_back({"small_eigen", "random symmetric blocks against DSYEV and tr(A^k)", randomBlocks});
  cases.push_back({"small_eigen", "prescribed spectra", structuredBlocks});
  cases.push_back({"small_eigen", "diagonal input", diagonalInput});
  cases.push_back({"small_eigen", "blocks of extreme scale (1e-300 .. 1e300)", extremeScales});
}

}  // namespace nntk::test
