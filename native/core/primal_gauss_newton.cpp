#include "primal_gauss_newton.hpp"

#include <cblas.h>
#include <lapack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "blas_threads.hpp"
#include "lapack_checks.hpp"
#include "norms.hpp"

namespace nntk {
namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

constexpr const char* kPrimalAdvice = "the primal solver holds an (M + P) x P matrix; use solver 'structured' or raise memoryLimitBytes";

// What to do about a Gauss-Newton matrix that is singular without regularization (docs/MATH.md section 4.1).
constexpr const char* kRankHint =
    "add a regularization lambda > 0, use fewer neurons, freeze parameter groups, or add data points";

[[noreturn]] void rankDeficient(std::size_t rank, std::size_t P, double tolerance) {
  throw Failure(ErrorCode::Singular, "the Jacobian has numerical rank " + std::to_string(rank) + " < P = " + std::to_string(P) +
                                         " (|R_kk| <= " + formatNumber(tolerance) +
                                         "), so J^T J / M is singular and the unregularized Gauss-Newton step is not unique; " +
                                         kRankHint);
}

[[noreturn]] void singularR(double lambda, const std::string& detail) {
  throw Failure(ErrorCode::Singular, "J^T J / M + lambda I is singular to working precision (" + detail + ", lambda = " +
                                         formatNumber(lambda) + "); increase the regularization (gamma or lambda)");
}

// One LAPACK workspace query (lwork = -1): the length it asks for, at least `least`. Every array LAPACK
// and BLAS see here is a Buffer, 64-byte aligned, so that no kernel's summation order changes with the
// address (buffer.hpp).
template <typename Call>
Buffer queriedWorkspace(const char* routine, Call&& call, lapack_int least = 1) {
  double query = 0;
  lapack_int info = 0;
  const lapack_int minusOne = -1;
  call(&query, &minusOne, &info);
  checkArguments(routine, info);
  return Buffer(static_cast<std::size_t>(std::max(workspaceLength(query), least)));
}

// The right-hand side of the least-squares form (docs/MATH.md section 4.1) and the weighted rows.
// With weights, J's row m becomes w_m J_m and the target -r_m / w_m, so that (w J)^T (r / w) = J^T r; a row
// of weight zero adds to the gradient but not to the curvature, so its share J_m^T r_m is kept apart in
// zeroRows (to be solved against R^T R). Returns whether any row has weight zero.
bool weightRows(const GaussNewtonModel& m, double* target, std::vector<double>& zeroRows) {
  const std::size_t M = m.rows, P = m.cols;
  bool anyZero = false;
  for (std::size_t i = 0; i < M; ++i) target[i] = -m.residual[i];
  if (!m.rowWeights) return false;
  for (std::size_t i = 0; i < M; ++i) {
    const double w = m.rowWeights[i];
    if (!(w >= 0) || !std::isfinite(w))
      throw Failure(ErrorCode::Argument, "a row weight of the Gauss-Newton model is negative or not finite");
    if (w == 0) {
      if (!anyZero) zeroRows.assign(P, 0.0);
      anyZero = true;
      for (std::size_t j = 0; j < P; ++j) zeroRows[j] += m.J[i + j * m.ld] * m.residual[i];
      target[i] = 0;
    } else {
      target[i] /= w;
    }
    for (std::size_t j = 0; j < P; ++j) m.J[i + j * m.ld] *= w;
  }
  return anyZero;
}

// The numerical rank of a column-pivoted R (its first `count` diagonal entries): the leading ones above
// tolerance = max(M, P) eps |R_11| (docs/MATH.md section 4.1; the tolerance of LAPACK's DGELSS/DGELSY guidance).
std::size_t numericalRank(const double* R, std::size_t ld, std::size_t count, double tolerance) {
  std::size_t rank = 0;
  while (rank < count && std::fabs(R[rank + rank * ld]) > tolerance) ++rank;
  return rank;
}

// The singular values of the P x P upper triangle of R (DGESVD on a copy), ascending.
std::vector<double> singularValues(const double* R, std::size_t ld, std::size_t P) {
  const lapack_int n = toLapackInt(P, "the parameter count"), one = 1;
  Buffer copy(P * P, kPrimalAdvice);
  for (std::size_t j = 0; j < P; ++j)
    for (std::size_t i = 0; i < P; ++i) copy[i + j * P] = i <= j ? R[i + j * ld] : 0.0;
  Buffer sigma(P);
  double unused = 0;
  lapack_int info = 0;
  Buffer work = queriedWorkspace("DGESVD", [&](double* w, const lapack_int* lw, lapack_int* inf) {
    LAPACK_dgesvd("N", "N", &n, &n, copy.data(), &n, sigma.data(), &unused, &one, &unused, &one, w, lw, inf);
  });
  const lapack_int lwork = static_cast<lapack_int>(work.size());
  LAPACK_dgesvd("N", "N", &n, &n, copy.data(), &n, sigma.data(), &unused, &one, &unused, &one, work.data(), &lwork, &info);
  checkArguments("DGESVD", info);
  if (info > 0) throw Failure(ErrorCode::Numerical, "DGESVD did not converge (" + std::to_string(info) + " superdiagonals)");
  return std::vector<double>(std::make_reverse_iterator(sigma.data() + P), std::make_reverse_iterator(sigma.data()));  // ascending
}

}  // namespace

double primalBytes(std::size_t dataSize, std::size_t parameterCount, double lambda, Spectrum spectrum) {
  const double P = static_cast<double>(parameterCount), rows = static_cast<double>(dataSize) + (lambda > 0 ? P : 0.0);
  const bool spectra = spectrum == Spectrum::Extremal || spectrum == Spectrum::Full;
  return 8.0 * (rows * P + (spectra ? P * P : 0.0));
}

// docs/MATH.md section 4.1.
void solvePrimalGaussNewton(const GaussNewtonModel& m, double lambda, Spectrum spectrum, StepOutcome& out) {
  const std::size_t M = m.rows, P = m.cols, rows = lambda > 0 ? M + P : M;
  if (P == 0 || M == 0 || m.ld < rows) throw Failure(ErrorCode::Internal, "the primal Gauss-Newton model has a bad shape; this is a bug in nntk");
  if (!(lambda >= 0) || !std::isfinite(lambda)) throw Failure(ErrorCode::Argument, "lambda must be a finite non-negative number");
  const lapack_int lm = toLapackInt(rows, "the rows of the least-squares system"), ln = toLapackInt(P, "the parameter count"),
                   lda = toLapackInt(m.ld, "the rows of the least-squares system"), one = 1;
  lapack_int info = 0;
  const double scaleM = 1.0 / static_cast<double>(M);

  // grad L = J^T r / M, before the rows are weighted (section 2).
  auto start = Clock::now();
  Buffer g(P);
  cblas_dgemv(CblasColMajor, CblasTrans, static_cast<int>(M), static_cast<int>(P), scaleM, m.J, static_cast<int>(m.ld),
              m.residual, 1, 0.0, g.data(), 1);
  out.gradientNorm = euclideanNorm(g.data(), P);

  // The least-squares system A s = t: A = [diag(w) J; sqrt(M lambda) I], t = [-r / w; 0].
  Buffer t(rows, kPrimalAdvice);
  std::vector<double> zeroRows;
  const bool anyZero = weightRows(m, t.data(), zeroRows);
  if (lambda > 0) {
    const double root = std::sqrt(static_cast<double>(M)) * std::sqrt(lambda);  // no overflow of M lambda near 1e308
    for (std::size_t j = 0; j < P; ++j) {
      double* column = m.J + j * m.ld + M;
      std::fill(column, column + P, 0.0);
      column[j] = root;
    }
    std::fill(t.data() + M, t.data() + rows, 0.0);
  }
  out.timings.assembly += secondsSince(start);

  // A P = Q R: column-pivoted (DGEQP3) without regularization, where the rank must be read off R; plain
  // blocked Householder (DGEQRF) with it, where sigma_min(A) >= sqrt(M lambda) > 0.
  start = Clock::now();
  Buffer tau(P);
  std::vector<lapack_int> pivot(P, 0);
  const bool pivoted = !(lambda > 0);
  if (pivoted && M < P)
    throw Failure(ErrorCode::Singular, "without regularization the Gauss-Newton step needs at least as many data points as "
                                       "parameters: J has rank at most M = " + std::to_string(M) + " < P = " + std::to_string(P) +
                                       ", so J^T J / M is singular; " + kRankHint);
  if (pivoted) {
    Buffer work = queriedWorkspace("DGEQP3", [&](double* w, const lapack_int* lw, lapack_int* inf) {
      LAPACK_dgeqp3(&lm, &ln, m.J, &lda, pivot.data(), tau.data(), w, lw, inf);
    }, 3 * ln + 1);
    const lapack_int lwork = static_cast<lapack_int>(work.size());
    LAPACK_dgeqp3(&lm, &ln, m.J, &lda, pivot.data(), tau.data(), work.data(), &lwork, &info);
    checkArguments("DGEQP3", info);
  } else {
    Buffer work = queriedWorkspace("DGEQRF", [&](double* w, const lapack_int* lw, lapack_int* inf) {
      LAPACK_dgeqrf(&lm, &ln, m.J, &lda, tau.data(), w, lw, inf);
    }, ln);
    const lapack_int lwork = static_cast<lapack_int>(work.size());
    LAPACK_dgeqrf(&lm, &ln, m.J, &lda, tau.data(), work.data(), &lwork, &info);
    checkArguments("DGEQRF", info);
  }
  out.timings.factorization += secondsSince(start);
  const double* R = m.J;
  out.solver = pivoted ? Factorization::PrimalQrPivoted : Factorization::PrimalQr;
  if (pivoted) {
    const double tolerance = static_cast<double>(std::max(M, P)) * machineEpsilon() * std::fabs(R[0]);
    // R is min(M, P) x P: with fewer data points than parameters the rank is at most M < P.
    const std::size_t rank = std::fabs(R[0]) > 0 ? numericalRank(R, m.ld, std::min(M, P), tolerance) : 0;
    if (rank < P) rankDeficient(rank, P, tolerance);
  }

  // cond(J^T J / M + lambda I) = cond(R)^2 in the 2-norm: the squared 1-norm estimate of R's is reported.
  start = Clock::now();
  {
    double rcondR = 0;
    Buffer work(3 * P);
    std::vector<lapack_int> iwork(P);
    LAPACK_dtrcon("1", "U", "N", &ln, R, &lda, &rcondR, work.data(), iwork.data(), &info);
    checkArguments("DTRCON", info);
    out.reciprocalCondition = rcondR * rcondR;
    if (!(rcondR >= machineEpsilon())) singularR(lambda, "R's reciprocal condition " + formatNumber(rcondR));
  }
  out.timings.condition += secondsSince(start);
  out.inertia = {P, 0, 0};  // R is nonsingular: A^T A / M = J^T diag(w^2) J / M + lambda I is positive definite

  // s = P R^-1 (Q^T t)_(1..P), minus P R^-1 R^-T P^T (zero-weight rows' J^T r) when there are such rows.
  // When the least-squares residual dominates (|res| > |A|_F |s|, as for lambda far above J^T J / M's
  // eigenvalues), the Q^T t route loses about |res| / (|A| |s|) digits against the data r, and the step is
  // taken by the seminormal equations R^T R P^T s = -P^T J^T r instead: R from the same QR, J^T J never
  // formed (docs/MATH.md section 4.1).
  start = Clock::now();
  {
    Buffer work = queriedWorkspace("DORMQR", [&](double* w, const lapack_int* lw, lapack_int* inf) {
      LAPACK_dormqr("L", "T", &lm, &one, &ln, R, &lda, tau.data(), t.data(), &lm, w, lw, inf);
    });
    const lapack_int lwork = static_cast<lapack_int>(work.size());
    LAPACK_dormqr("L", "T", &lm, &one, &ln, R, &lda, tau.data(), t.data(), &lm, work.data(), &lwork, &info);
    checkArguments("DORMQR", info);
  }
  const double residualNorm = euclideanNorm(t.data() + P, rows - P);
  const auto permuted = [&](std::size_t k) { return pivoted ? static_cast<std::size_t>(pivot[k] - 1) : k; };
  // x <- R^-1 R^-T x
  const auto normalSolve = [&](double* x) {
    LAPACK_dtrtrs("U", "T", "N", &ln, &one, R, &lda, x, &ln, &info);
    checkArguments("DTRTRS", info);
    LAPACK_dtrtrs("U", "N", "N", &ln, &one, R, &lda, x, &ln, &info);
    checkArguments("DTRTRS", info);
  };
  LAPACK_dtrtrs("U", "N", "N", &ln, &one, R, &lda, t.data(), &ln, &info);
  checkArguments("DTRTRS", info);
  if (info > 0) singularR(lambda, "R_kk = 0 at k = " + std::to_string(info));
  if (anyZero) {
    Buffer z(P);
    for (std::size_t k = 0; k < P; ++k) z[k] = zeroRows[permuted(k)];
    normalSolve(z.data());
    for (std::size_t k = 0; k < P; ++k) t[k] -= z[k];
  }
  {
    Buffer work(P);
    const double normA = LAPACK_dlantr("F", "U", "N", &ln, &ln, R, &lda, work.data());  // |A|_F = |R|_F
    if (residualNorm > normA * euclideanNorm(t.data(), P)) {
      const double M_ = static_cast<double>(M);
      for (std::size_t k = 0; k < P; ++k) t[k] = -M_ * g[permuted(k)];
      normalSolve(t.data());
      out.solver = pivoted ? Factorization::PrimalQrPivotedSeminormal : Factorization::PrimalQrSeminormal;
    }
  }
  out.step.assign(P, 0.0);
  for (std::size_t k = 0; k < P; ++k) out.step[permuted(k)] = t[k];
  for (double v : out.step)
    if (!std::isfinite(v)) singularR(lambda, "the solve produced non-finite values");
  out.stepNorm = euclideanNorm(out.step.data(), P);
  out.gradientDotStep = cblas_ddot(static_cast<int>(P), g.data(), 1, out.step.data(), 1);
  out.timings.solve += secondsSince(start);

  // Eigenvalues of J^T diag(w^2) J / M + lambda I = (A P)^T (A P) / M = R^T R / M: sigma_k(R)^2 / M, ascending
  // (the lambda rows of A carry the shift).
  if (spectrum == Spectrum::Extremal || spectrum == Spectrum::Full) {
    start = Clock::now();
    std::vector<double> sigma = singularValues(R, m.ld, P);
    const double rootM = std::sqrt(static_cast<double>(M));
    for (double& s : sigma) s = (s / rootM) * (s / rootM);  // sigma^2 / M without overflow of sigma^2
    out.minEigenvalue = sigma.front();
    out.maxEigenvalue = sigma.back();
    out.hasExtremal = true;
    if (spectrum == Spectrum::Full) out.eigenvalues = std::move(sigma);
    out.timings.spectrum += secondsSince(start);
  }
}

StepOutcome primalGaussNewtonStep(const NetView& net, const DataView& data, const StepRequest& request) {
  if (request.curvature != Curvature::GaussNewton)
    throw Failure(ErrorCode::Argument, "the primal solver computes Gauss-Newton steps only; use curvature 'gauss-newton', "
                                       "or solver 'dense' or 'structured' for Newton");
  const std::size_t M = data.size, P = net.parameterCount(), rows = request.lambda > 0 ? M + P : M;
  const double bytes = primalBytes(M, P, request.lambda, request.spectrum);
  if (bytes > request.memoryLimitBytes)
    throw Failure(ErrorCode::TooLarge, "the primal solver's matrices need " + formatNumber(bytes / (1 << 20)) +
                                           " MiB, over memoryLimitBytes = " + formatNumber(request.memoryLimitBytes / (1 << 20)) +
                                           " MiB; use solver 'structured' or raise memoryLimitBytes");
  const BlasScope blas(BlasMode::Pool);  // OpenBLAS at one thread: the same bits at any setThreads
  StepOutcome out;
  auto start = Clock::now();
  Buffer r(M), A(rows * P, kPrimalAdvice), w(data.loss.weighted() ? M : 0);
  // l' and, for a loss other than the square one, row weights l''^1/2 (docs/MATH.md section 1.3).
  out.loss = evaluateLoss(net, data, r.data(), w.size() > 0 ? w.data() : nullptr).loss;
  requireFinite(r.data(), M, "output");
  for (std::size_t m = 0; m < w.size(); ++m) w[m] = std::sqrt(w[m]);
  jacobianColumns(net, data, A.data());  // leading dimension M
  requireFinite(A.data(), M * P, "Jacobian");
  if (rows > M)  // spread the columns to leading dimension M + P, last first (each moves forward)
    for (std::size_t j = P; j-- > 1;) std::memmove(A.data() + j * rows, A.data() + j * M, M * sizeof(double));
  out.timings.evaluation = secondsSince(start);
  solvePrimalGaussNewton({M, P, A.data(), rows, r.data(), w.size() > 0 ? w.data() : nullptr}, request.lambda, request.spectrum, out);
  return out;
}

}  // namespace nntk
