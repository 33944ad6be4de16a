#include "dense_solver.hpp"

#include <cblas.h>
#include <lapack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <vector>

#include "blas_threads.hpp"
#include "lapack_checks.hpp"
#include "symmetric_factor.hpp"
#include "tiled_blas.hpp"

namespace nntk {
namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Everything assembly needs, evaluated once per step.
struct Derivatives {
  Buffer r, J, g, D;  // residual (M), Jacobian (M x P), gradient (P), neuron blocks (N q^2, Newton only)
  double loss = 0;
};

// The dense path holds M x P and P x P matrices; the structured one neither.
constexpr const char* kDenseAdvice = "the dense solver holds the P x P system; use solver 'structured'";

void requireFinite(const Buffer& values, const char* what) { nntk::requireFinite(values.data(), values.size(), what); }

Derivatives evaluate(const NetView& net, const DataView& data, Curvature curvature) {
  const std::size_t M = data.size, P = net.parameterCount(), q = net.blockSize();
  Derivatives d{Buffer(M), Buffer(M * P, kDenseAdvice), Buffer(P), Buffer(), 0.0};  // J column-major, leading dimension M
  Buffer h(data.loss.weighted() ? M : 0);  // l'' per point (docs/MATH.md section 1.3)
  d.loss = evaluateLoss(net, data, d.r.data(), h.size() > 0 ? h.data() : nullptr).loss;
  requireFinite(d.r, "output");
  jacobianColumns(net, data, d.J.data());
  requireFinite(d.J, "Jacobian");
  gradient(net, data, d.r.data(), d.g.data());  // J^T l' / M
  if (h.size() > 0) {
    // Rows of J weighted by sqrt(l''), so that the assembly's J^T J / M is J^T diag(l'') J / M.
    for (std::size_t m = 0; m < M; ++m) h[m] = std::sqrt(h[m]);
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t m = 0; m < M; ++m) d.J[m + p * M] *= h[m];
  }
  if (curvature == Curvature::Newton) {
    d.D = Buffer(net.width * q * q);
    curvatureBlocks(net, data, d.r.data(), d.D.data());
    requireFinite(d.D, "second derivative");
  }
  return d;
}

// Lower triangle (column-major, leading dimension P) of C + lambda I = J^T J / M + blockdiag(D_i) + lambda I
// (MATH.md sections 2 and 4). J is M x P column-major, its rows already weighted by sqrt(l'') (section 1.3).
void assembleLower(const NetView& net, const DataView& data, const Derivatives& d, double lambda, double* A) {
  const std::size_t P = net.parameterCount(), q = net.blockSize();
  toLapackInt(P, "the parameter count");
  // J^T J / M on fixed tiles, the same bits at any thread count (tiled_blas.hpp).
  tiledGramLower(P, data.size, 1.0 / static_cast<double>(data.size), d.J.data(), data.size, A, P, configuredThreads());
  if (d.D.size() > 0) {
    for (std::size_t i = 0; i < net.width; ++i) {
      const double* Di = d.D.data() + i * q * q;
      for (std::size_t col = 0; col < q; ++col)
        for (std::size_t row = col; row < q; ++row) A[(i * q + row) + (i * q + col) * P] += Di[row * q + col];
    }
  }
  for (std::size_t k = 0; k < P; ++k) A[k + k * P] += lambda;
}

// Copies the lower triangle onto the upper one, tile by tile to stay in cache.
void mirrorLower(double* A, std::size_t P) {
  constexpr std::size_t tile = 64;
  for (std::size_t jb = 0; jb < P; jb += tile)
    for (std::size_t ib = jb; ib < P; ib += tile)
      for (std::size_t j = jb; j < std::min(jb + tile, P); ++j)
        for (std::size_t i = std::max(ib, j + 1); i < std::min(ib + tile, P); ++i) A[j + i * P] = A[i + j * P];
}

[[noreturn]] void singular(double lambda, const std::string& detail) {
  throw Failure(ErrorCode::Singular, "C + lambda I is singular to working precision (" + detail + ", lambda = " +
                                  formatNumber(lambda) + "); increase the regularization (gamma or lambda)");
}

struct Factored {
  Factorization solver = Factorization::DenseCholesky;
  Inertia inertia;
  std::unique_ptr<LdltFactor> ldlt;  // null after Cholesky
  double rcond = 0;
};

// Cholesky first (MATH.md section 4); on a non-positive pivot re-assemble and use Bunch-Kaufman LDL^T.
Factored factor(const NetView& net, const DataView& data, const Derivatives& d, double lambda, double* A,
                StepTimings& timings) {
  const std::size_t P = net.parameterCount();
  const lapack_int n = toLapackInt(P, "the parameter count");
  lapack_int info = 0;
  Buffer work(3 * P);  // aligned: DPOCON's DASUM sums by alignment (buffer.hpp)
  const double anorm = LAPACK_dlansy("1", "L", &n, A, &n, work.data());  // the 1-norm, for the condition estimate
  std::vector<lapack_int> iwork(P);
  Factored f;

  auto start = Clock::now();
  info = tiledCholesky(A, P, configuredThreads());  // DPOTRF on fixed tiles (tiled_blas.hpp)
  timings.factorization += secondsSince(start);
  if (info == 0) {
    start = Clock::now();
    LAPACK_dpocon("L", &n, A, &n, &anorm, &f.rcond, work.data(), iwork.data(), &info);
    checkArguments("DPOCON", info);
    timings.condition += secondsSince(start);
    f.solver = Factorization::DenseCholesky;
    f.inertia = {P, 0, 0};
    if (!(f.rcond >= machineEpsilon())) singular(lambda, "reciprocal condition " + formatNumber(f.rcond));
    return f;
  }

  start = Clock::now();
  assembleLower(net, data, d, lambda, A);  // DPOTRF overwrote the lower triangle
  timings.assembly += secondsSince(start);

  f.ldlt = std::make_unique<LdltFactor>(A, P);
  timings.factorization += f.ldlt->factorSeconds();
  timings.inertia += f.ldlt->inertiaSeconds();
  timings.condition += f.ldlt->conditionSeconds();
  f.solver = Factorization::DenseLdlt;
  f.inertia = f.ldlt->inertia();
  f.rcond = f.ldlt->reciprocalCondition();
  if (f.ldlt->singular()) singular(lambda, "reciprocal condition " + formatNumber(f.rcond));
  return f;
}

// step = -(C + lambda I)^-1 grad L from the factorization (MATH.md section 3).
std::vector<double> solve(const Factored& f, const double* A, const Buffer& g, std::size_t P) {
  Buffer x(P, kDenseAdvice);  // aligned (buffer.hpp): the solve's bits must not depend on the address
  for (std::size_t k = 0; k < P; ++k) x[k] = -g[k];
  const lapack_int n = toLapackInt(P, "the parameter count"), one = 1;
  lapack_int info = 0;
  if (f.ldlt) {
    f.ldlt->solve(x.data(), 1);
  } else {
    LAPACK_dpotrs("L", &n, &one, A, &n, x.data(), &n, &info);
    checkArguments("DPOTRS", info);
  }
  return std::vector<double>(x.data(), x.data() + P);
}

// Eigenvalues of the symmetric matrix whose lower triangle is in A: one Householder tridiagonalization
// (DSYTRD), then bisection for the two extremes (DSTEBZ) or all of them by root-free QR (DSTERF).
void spectrum(double* A, std::size_t P, Spectrum which, StepOutcome& out) {
  const lapack_int n = toLapackInt(P, "the parameter count");
  lapack_int info = 0;
  std::vector<double> diag(P), off(P > 1 ? P - 1 : 1), tau(P > 1 ? P - 1 : 1);
  double query = 0;
  const lapack_int minusOne = -1;
  LAPACK_dsytrd("L", &n, A, &n, diag.data(), off.data(), tau.data(), &query, &minusOne, &info);
  checkArguments("DSYTRD", info);
  const lapack_int lwork = std::max<lapack_int>(workspaceLength(query), 1);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  LAPACK_dsytrd("L", &n, A, &n, diag.data(), off.data(), tau.data(), work.data(), &lwork, &info);
  checkArguments("DSYTRD", info);

  if (which == Spectrum::Full) {
    LAPACK_dsterf(&n, diag.data(), off.data(), &info);
    checkArguments("DSTERF", info);
    if (info > 0) throw Failure(ErrorCode::Numerical, "DSTERF did not converge on " + std::to_string(info) + " eigenvalues");
    out.eigenvalues = diag;
    out.minEigenvalue = diag.front();
    out.maxEigenvalue = diag.back();
    out.hasExtremal = true;
    return;
  }
  const double abstol = 2.0 * safeMinimum(), unused = 0.0;
  std::vector<double> w(P), stebzWork(4 * P);
  std::vector<lapack_int> iblock(P), isplit(P), iwork(3 * P);
  auto eigenvalueAt = [&](lapack_int index) {
    lapack_int found = 0, nsplit = 0;
    LAPACK_dstebz("I", "E", &n, &unused, &unused, &index, &index, &abstol, diag.data(), off.data(), &found, &nsplit,
                  w.data(), iblock.data(), isplit.data(), stebzWork.data(), iwork.data(), &info);
    checkArguments("DSTEBZ", info);
    if (info > 0 || found != 1) throw Failure(ErrorCode::Numerical, "DSTEBZ did not converge (info " + std::to_string(info) + ")");
    return w[0];
  };
  out.minEigenvalue = eigenvalueAt(1);
  out.maxEigenvalue = eigenvalueAt(n);
  out.hasExtremal = true;
}

double norm2(const double* v, std::size_t n) { return cblas_dnrm2(static_cast<int>(n), v, 1); }

}  // namespace

double denseBytes(std::size_t parameterCount) {
  return 8.0 * static_cast<double>(parameterCount) * static_cast<double>(parameterCount);
}

void denseCurvature(const NetView& net, const DataView& data, Curvature curvature, double* H) {
  const BlasScope blas(BlasMode::Pool);
  const Derivatives d = evaluate(net, data, curvature);
  assembleLower(net, data, d, 0.0, H);
  mirrorLower(H, net.parameterCount());
}

StepOutcome denseStep(const NetView& net, const DataView& data, const StepRequest& request) {
  const BlasScope blas(BlasMode::Pool);  // one thread count from the first BLAS call to the last
  const std::size_t P = net.parameterCount();
  StepOutcome out;
  auto start = Clock::now();
  const Derivatives d = evaluate(net, data, request.curvature);
  out.loss = d.loss;
  out.gradientNorm = norm2(d.g.data(), P);
  out.timings.evaluation = secondsSince(start);

  start = Clock::now();
  Buffer A(P * P, kDenseAdvice);
  assembleLower(net, data, d, request.lambda, A.data());
  out.timings.assembly = secondsSince(start);

  const Factored f = factor(net, data, d, request.lambda, A.data(), out.timings);
  out.solver = f.solver;
  out.inertia = f.inertia;
  out.reciprocalCondition = f.rcond;

  start = Clock::now();
  out.step = solve(f, A.data(), d.g, P);
  out.stepNorm = norm2(out.step.data(), P);
  out.gradientDotStep = cblas_ddot(static_cast<int>(P), d.g.data(), 1, out.step.data(), 1);
  out.timings.solve = secondsSince(start);
  for (double v : out.step)
    if (!std::isfinite(v)) singular(request.lambda, "the solve produced non-finite values");

  if (request.spectrum == Spectrum::Extremal || request.spectrum == Spectrum::Full) {
    start = Clock::now();
    assembleLower(net, data, d, request.lambda, A.data());  // the factorization overwrote it
    spectrum(A.data(), P, request.spectrum, out);
    out.timings.spectrum = secondsSince(start);
  }
  return out;
}

}  // namespace nntk
