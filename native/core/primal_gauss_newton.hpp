// The Gauss-Newton step in its primal (parameter-space) form, for the underparameterized regime P < M
// (docs/MATH.md section 4.1): step = -(J^T J / M + lambda I)^-1 J^T r / M is the solution of the
// least-squares problem min |J s + r|^2 + M lambda |s|^2, computed by a Householder QR factorization of J
// (column-pivoted, DGEQP3, when lambda = 0) or of the augmented matrix [J; sqrt(M lambda) I] (DGEQRF), never
// by the normal equations, which square J's condition number (when the least-squares residual dominates,
// the step comes from the seminormal equations with the same R). Without regularization a rank-deficient J
// is an error (E_SINGULAR), with the numerical rank read off R's diagonal. Memory O(M P): one
// (M + P) x P matrix (M x P when lambda = 0), plus P x P for spectra. Gauss-Newton only.
#pragma once
#include <cstddef>

#include "model.hpp"
#include "step.hpp"

namespace nntk {

// Bytes of the matrices the primal route holds for an M x P Jacobian: (M + P) x P for the QR (M x P when
// lambda = 0), plus a P x P copy of R for Spectrum::Extremal and Spectrum::Full.
double primalBytes(std::size_t dataSize, std::size_t parameterCount, double lambda, Spectrum spectrum);

// A Gauss-Newton model, whatever the network or the loss: the M x P Jacobian J (column-major, leading
// dimension ld; when lambda > 0, ld >= M + P and rows M .. M + P - 1 are scratch for the augmented
// system), the M-vector r with grad L = J^T r / M (for the square loss r = f - y; in general l'(f, y)),
// and optional row weights w (nullptr: all ones; otherwise M values >= 0) with the curvature
// J^T diag(w^2) J / M (w_m = sqrt(l''(f_m, y_m))).
struct GaussNewtonModel {
  std::size_t rows = 0, cols = 0;  // M and P
  double* J = nullptr;             // overwritten by the factorization
  std::size_t ld = 0;
  const double* residual = nullptr;
  const double* rowWeights = nullptr;
};

// step = -(J^T diag(w^2) J / M + lambda I)^-1 J^T r / M by QR. Fills out.step, solver, inertia,
// reciprocalCondition, the extremal (and, for Spectrum::Full, all) eigenvalues, gradientNorm, stepNorm,
// gradientDotStep and the factorization, condition, solve and spectrum timings; leaves out.loss alone.
// E_SINGULAR when lambda = 0 and J diag(w) has numerical rank below P, or R is singular to working precision.
void solvePrimalGaussNewton(const GaussNewtonModel& model, double lambda, Spectrum spectrum, StepOutcome& out);

// The network's Gauss-Newton step by the primal route (square loss). E_ARGUMENT for the Newton curvature,
// E_TOO_LARGE (before allocating) when primalBytes exceeds request.memoryLimitBytes.
StepOutcome primalGaussNewtonStep(const NetView& net, const DataView& data, const StepRequest& request);

}  // namespace nntk
