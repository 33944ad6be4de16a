// The primal Gauss-Newton solver (native/core/primal_gauss_newton.*, docs/MATH.md section 4.1) on the
// network-free model it solves: a random J with prescribed singular values, a residual r and row weights w
// (some zero, the case a loss with l'' = 0 gives). The step must equal the normal equations' solution
// -(J^T diag(w^2) J / M + lambda I)^-1 J^T r / M (DPOSV here) within what the condition number explains, the
// eigenvalues DSYEV's, and a rank-deficient J without regularization must fail with E_SINGULAR.
#include <lapack.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/failure.hpp"
#include "core/primal_gauss_newton.hpp"
#include "reference.hpp"

namespace nntk::test {
namespace {

struct Model {
  std::size_t M, P;
  std::vector<double> J, r, w;  // J column-major M x P
};

// J = U diag(sigma) V^T with min(M, P) sigma log-spaced over `decades` (from sqrt(M) down), U and V orthogonal.
Model randomModel(std::uint64_t seed, std::size_t M, std::size_t P, double decades, std::size_t zeroWeights) {
  Rng rng(seed);
  const std::vector<double> U = randomOrthogonal(M, rng), V = randomOrthogonal(P, rng);
  Model m{M, P, std::vector<double>(M * P, 0.0), std::vector<double>(M), std::vector<double>(M)};
  for (std::size_t k = 0; k < std::min(M, P); ++k) {  // rank min(M, P)
    const double sigma = std::pow(10.0, -decades * static_cast<double>(k) / static_cast<double>(P - 1)) * std::sqrt(static_cast<double>(M));
    for (std::size_t j = 0; j < P; ++j)
      for (std::size_t i = 0; i < M; ++i) m.J[i + j * M] += U[i + k * M] * sigma * V[j + k * P];
  }
  for (double& v : m.r) v = rng.uniform(-1, 1);
  for (std::size_t i = 0; i < M; ++i) m.w[i] = i < zeroWeights ? 0.0 : rng.uniform(0.5, 2.0);
  std::shuffle(m.w.begin(), m.w.end(), std::mt19937_64(seed));
  return m;
}

// The normal equations, full symmetric P x P: A = J^T diag(w^2) J / M + lambda I, and the step -A^-1 J^T r / M.
struct Normal {
  std::vector<double> A, step;
};
Normal normalEquations(const Model& m, const double* w, double lambda) {
  const std::size_t M = m.M, P = m.P;
  Normal n{std::vector<double>(P * P), std::vector<double>(P)};
  for (std::size_t a = 0; a < P; ++a) {
    for (std::size_t b = 0; b < P; ++b) {
      double s = 0;
      for (std::size_t i = 0; i < M; ++i) s += m.J[i + a * M] * m.J[i + b * M] * (w ? w[i] * w[i] : 1.0);
      n.A[a + b * P] = s / static_cast<double>(M) + (a == b ? lambda : 0.0);
    }
    double g = 0;
    for (std::size_t i = 0; i < M; ++i) g += m.J[i + a * M] * m.r[i];
    n.step[a] = -g / static_cast<double>(M);
  }
  std::vector<double> L = n.A;
  const lapack_int np = static_cast<lapack_int>(P), one = 1;
  lapack_int info = 0;
  LAPACK_dposv("L", &np, &one, L.data(), &np, n.step.data(), &np, &info);
  if (info != 0) throw Failure(ErrorCode::Internal, "DPOSV failed in the reference (info " + std::to_string(info) + ")");
  return n;
}

StepOutcome solve(const Model& m, const double* w, double lambda, Spectrum spectrum) {
  const std::size_t rows = lambda > 0 ? m.M + m.P : m.M;
  std::vector<double> A(rows * m.P);
  for (std::size_t j = 0; j < m.P; ++j) std::copy_n(m.J.data() + j * m.M, m.M, A.data() + j * rows);
  StepOutcome out;
  solvePrimalGaussNewton({m.M, m.P, A.data(), rows, m.r.data(), w}, lambda, spectrum, out);
  return out;
}

void againstNormalEquations(Context& ctx) {
  struct Setting {
    std::size_t M, P, zeros;
    double decades, lambda;
    bool weighted;
  };
  const Setting settings[] = {{80, 12, 0, 3, 0.0, false}, {80, 12, 0, 3, 0.0, true},  {80, 12, 7, 3, 0.0, true},
                              {50, 20, 5, 4, 1e-3, true}, {50, 20, 0, 2, 1e-1, false}, {15, 30, 3, 2, 1e-2, true},
                              {60, 10, 6, 2, 1e8, true}};  // the last: lambda far above J^T J / M (seminormal)
  std::uint64_t seed = 40;
  for (const Setting& s : settings) {
    const Model m = randomModel(++seed, s.M, s.P, s.decades, s.zeros);
    const double* w = s.weighted ? m.w.data() : nullptr;
    const std::string what = "M " + std::to_string(s.M) + ", P " + std::to_string(s.P) + ", " + std::to_string(s.zeros) +
                             " zero weights" + (s.weighted ? "" : " (unweighted)") + ", lambda " + sci(s.lambda);
    const Normal ref = normalEquations(m, w, s.lambda);
    const StepOutcome out = solve(m, w, s.lambda, Spectrum::Full);
    const std::vector<double> eig = dsyevEigenvalues(ref.A, s.P);
    const double condition = eig.back() / eig.front();
    ctx.atMost(maxAbsDiff(out.step, ref.step) / maxAbs(ref.step), 50 * condition * kEps, what + ": step against the normal equations");
    ctx.check(out.inertia.positive == s.P && out.inertia.negative == 0 && out.inertia.zero == 0, what + ": inertia (P, 0, 0)");
    ctx.check(out.eigenvalues.size() == s.P, what + ": every eigenvalue");
    ctx.atMost(maxAbsDiff(out.eigenvalues, eig) / eig.back(), 100 * kEps, what + ": eigenvalues against DSYEV");
    ctx.near(out.minEigenvalue, eig.front(), 100 * kEps * eig.back(), what + ": smallest eigenvalue");
    const std::string expected = std::string(s.lambda > 0 ? "primal-qr" : "primal-qr-pivoted") + (s.lambda >= 1e8 ? "-seminormal" : "");
    ctx.check(nameOf(out.solver) == expected, what + ": solver " + std::string(nameOf(out.solver)) + ", expected " + expected);
  }
}

void rankDeficient(Context& ctx) {
  Model m = randomModel(7, 40, 10, 1, 0);
  std::copy_n(m.J.data() + 2 * m.M, m.M, m.J.data() + 5 * m.M);  // column 5 = column 2
  bool singular = false;
  try {
    solve(m, nullptr, 0.0, Spectrum::Inertia);
  } catch (const Failure& f) {
    singular = f.code() == ErrorCode::Singular && std::string(f.what()).find("rank 9 < P = 10") != std::string::npos;
  }
  ctx.check(singular, "a repeated column without regularization: E_SINGULAR, rank 9 < P = 10");
  // All weight on fewer than P rows: rank deficient too.
  std::vector<double> w(m.M, 0.0);
  for (std::size_t i = 0; i < 6; ++i) w[i] = 1.0;
  singular = false;
  try {
    solve(randomModel(8, 40, 10, 1, 0), w.data(), 0.0, Spectrum::Inertia);
  } catch (const Failure& f) {
    singular = f.code() == ErrorCode::Singular;
  }
  ctx.check(singular, "six weighted rows for ten parameters without regularization: E_SINGULAR");
  // The same repeated column with lambda > 0: a unique step, the normal equations'.
  const Normal ref = normalEquations(m, nullptr, 1e-2);
  ctx.atMost(maxAbsDiff(solve(m, nullptr, 1e-2, Spectrum::None).step, ref.step) / maxAbs(ref.step), 1e-12,
             "a repeated column with lambda 1e-2: step against the normal equations");
}

}  // namespace

void addPrimalCases(std::vector<Case>& cases) {
  cases.push_back({"primal", "weighted steps against the normal equations, eigenvalues against DSYEV", againstNormalEquations});
  cases.push_back({"primal", "rank deficiency without regularization", rankDeficient});
}

}  // namespace nntk::test
