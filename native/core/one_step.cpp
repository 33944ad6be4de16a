#include "one_step.hpp"

#include <lapack.h>

#include <algorithm>
#include <cmath>

#include "blas_threads.hpp"
#include "failure.hpp"
#include "gauss_newton_grid.hpp"
#include "lapack_checks.hpp"
#include "structured_system.hpp"

namespace nntk {
namespace {

// For B + lambda I = L L^T (Gauss-Newton, docs/MATH.md section 5):
//   NNTK = B (B + lambda I)^-1 = I - lambda (B + lambda I)^-1, which keeps full absolute accuracy even
//   when lambda is tiny against B (B X would lose |B| / lambda digits).
// and, per target, the step's coefficients a = (B + lambda I)^-1 (y - f_0) / M, so that step = J^T a
// (the push-through form of section 6).
struct KernelSolve {
  std::vector<double> nntk, coefficients;  // M x M; M x T (row-major, one column per target)
};

KernelSolve kernelSolve(const std::vector<double>& B, const std::vector<double>& rhs, std::size_t M, std::size_t T,
                        double lambda) {
  const lapack_int n = toLapackInt(M, "the data set"), nrhs = toLapackInt(T, "the targets");
  // Aligned copies (buffer.hpp): the small factorizations' level-2 kernels must see the same addresses' alignment.
  Buffer X(M * M);
  std::copy(B.begin(), B.end(), X.data());
  for (std::size_t a = 0; a < M; ++a) X[a * M + a] += lambda;
  lapack_int info = 0;
  LAPACK_dpotrf("L", &n, X.data(), &n, &info);
  checkArguments("DPOTRF", info);
  if (info > 0)
    throw Failure(ErrorCode::Singular, "B + lambda I is singular to working precision (lambda = " + formatNumber(lambda) +
                                    "); increase the regularization (gamma or lambda)");
  // rhs is T x M row-major, i.e. M x T column-major: what DPOTRS takes.
  Buffer a(rhs.size());
  std::copy(rhs.begin(), rhs.end(), a.data());
  LAPACK_dpotrs("L", &n, &nrhs, X.data(), &n, a.data(), &n, &info);
  checkArguments("DPOTRS", info);
  LAPACK_dpotri("L", &n, X.data(), &n, &info);
  checkArguments("DPOTRI", info);
  if (info > 0) throw Failure(ErrorCode::Singular, "B + lambda I is singular to working precision; increase the regularization");
  KernelSolve out{std::vector<double>(M * M), std::vector<double>(a.data(), a.data() + a.size())};
  for (std::size_t col = 0; col < M; ++col)
    for (std::size_t row = col; row < M; ++row) {  // DPOTRI leaves the inverse in the lower triangle
      const double v = (row == col ? 1.0 : 0.0) - lambda * X[row + col * M];
      out.nntk[row * M + col] = out.nntk[col * M + row] = v;
    }
  return out;
}

double lossOf(const double* f, const double* y, std::size_t M) {
  double sum = 0;
  for (std::size_t m = 0; m < M; ++m) sum += (f[m] - y[m]) * (f[m] - y[m]);
  return sum / (2.0 * static_cast<double>(M));  // L = |f - y|^2 / 2M (section 1)
}

void recordFailure(OneStepPoint& p, const Failure& f) {
  if (f.code() != ErrorCode::Singular) throw f;
  p.errorCode = std::string(f.codeName());
  p.error = f.what();
}

OneStepGrid gaussNewtonGrid(const NetView& net, const DataView& data, const std::vector<std::vector<double>>& targets,
                            const std::vector<double>& lambdas) {
  const std::size_t M = data.size, T = targets.size(), L = lambdas.size();
  const GaussNewtonGrid grid(net, data);
  OneStepGrid out{grid.f0(), grid.ntk(), std::vector<OneStepTarget>(T)};
  std::vector<double> rhs(T * M);  // (y_t - f_0) / M, target-major
  for (std::size_t t = 0; t < T; ++t) {
    out.targets[t].loss = lossOf(grid.f0().data(), targets[t].data(), M);
    out.targets[t].points.resize(L);
    for (std::size_t m = 0; m < M; ++m) rhs[t * M + m] = (targets[t][m] - grid.f0()[m]) / static_cast<double>(M);
  }
  // Solve every lambda; the coefficient vectors of the solved (lambda, target) pairs become A's columns.
  std::vector<std::pair<std::size_t, std::size_t>> columns;  // (lambda, target)
  std::vector<KernelSolve> solves(L);
  {
    const BlasScope blas(BlasMode::Pool);  // the M x M factorizations (the grid's passes take their own mode)
    for (std::size_t l = 0; l < L; ++l) {
      try {
        solves[l] = kernelSolve(grid.ntk(), rhs, M, T, lambdas[l]);
        for (std::size_t t = 0; t < T; ++t) columns.emplace_back(l, t);
      } catch (const Failure& f) {
        for (std::size_t t = 0; t < T; ++t) recordFailure(out.targets[t].points[l], f);
      }
      for (std::size_t t = 0; t < T; ++t) out.targets[t].points[l].lambda = lambdas[l];
    }
  }
  const std::size_t C = columns.size();
  if (C == 0) return out;
  std::vector<double> A(M * C);
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t m = 0; m < M; ++m) A[m * C + c] = solves[columns[c].first].coefficients[columns[c].second * M + m];
  std::vector<double> f1, maxUpdate, stepNorm;
  grid.applySteps(A, C, f1, maxUpdate, stepNorm);
  for (std::size_t c = 0; c < C; ++c) {
    const auto [l, t] = columns[c];
    OneStepPoint& p = out.targets[t].points[l];
    requireFinite(f1.data() + c * M, M, "output after the step");
    p.lossAfter = lossOf(f1.data() + c * M, targets[t].data(), M);
    p.maxNeuronUpdate = maxUpdate[c];
    p.stepNorm = stepNorm[c];
    p.nntk = solves[l].nntk;
    p.solver = Factorization::GaussNewtonKernelCholesky;
    p.inertia.positive = net.parameterCount();  // J^T J / M + lambda I is positive definite for lambda > 0
  }
  return out;
}

OneStepGrid newtonGrid(const NetView& net, const DataView& data, const std::vector<std::vector<double>>& targets,
                       const std::vector<double>& lambdas) {
  const std::size_t M = data.size, q = net.blockSize(), d = net.inputDim;
  OneStepGrid out;
  out.f0.resize(M);
  predict(net, data.x, M, out.f0.data());
  requireFinite(out.f0.data(), M, "output");
  OwnedNet stepped{net.width, d, net.beta, net.outputScale, net.activation, std::vector<double>(net.width * d),
                   std::vector<double>(net.width), std::vector<double>(net.width), net.trainable};
  std::vector<double> f1(M);
  for (const std::vector<double>& y : targets) {
    OneStepTarget& target = out.targets.emplace_back();
    target.loss = lossOf(out.f0.data(), y.data(), M);
    const DataView view{M, d, data.x, y.data()};
    for (double lambda : lambdas) {
      OneStepPoint& p = target.points.emplace_back();
      p.lambda = lambda;
      try {
        StructuredSystem system(net, view, Curvature::Newton, lambda);
        const StepOutcome step = system.step(Spectrum::Inertia);
        p.nntk.resize(M * M);
        system.nntkGram(p.nntk.data());
        p.inertia = step.inertia;
        p.solver = step.solver;
        p.stepNorm = step.stepNorm;
        p.maxNeuronUpdate = maxNeuronUpdate(step.step.data(), net.width, q, 1.0);
        addStep(stepped, net, step.step.data(), 1.0);
        predict(stepped.view(), data.x, M, f1.data());
        requireFinite(f1.data(), M, "output after the step");
        p.lossAfter = lossOf(f1.data(), y.data(), M);
      } catch (const Failure& f) {
        recordFailure(p, f);
      }
    }
  }
  return out;
}

}  // namespace

OneStepGrid oneStepGrid(const NetView& net, const DataView& data, const std::vector<std::vector<double>>& targets,
                        Curvature curvature, const std::vector<double>& lambdas) {
  return curvature == Curvature::GaussNewton ? gaussNewtonGrid(net, data, targets, lambdas)
                                             : newtonGrid(net, data, targets, lambdas);
}

}  // namespace nntk
