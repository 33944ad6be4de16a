// The infinite-width limit kernels of docs/MATH.md section 5 for the paper's initialization
// (section 1: w ~ N(0, I_d), b ~ N(0, 1), c ~ U(-1, 1), so E[c^2] = 1/3):
//
//   B*(x, x') = (1/M) ( E[sigma(z) sigma(z')] + (1/3) (x.x' + 1) E[sigma'(z) sigma'(z')] ),
//   (z, z') centered bivariate normal, Var z = |x|^2 + 1, Var z' = |x'|^2 + 1, Cov(z, z') = x.x' + 1,
//
// which is lim N^(2 beta - 1) J J^T / M, and NNTK* = B* (B* + gamma I)^-1. The Gaussian expectations
// come from closed forms where they exist (erf, sin, gelu: limit_closed_forms.hpp), else for inputDim 1
// from one (w, b) grid shared by all pairs (limit_grid.hpp), else from a tensor Gauss-Hermite rule per
// pair (limit_kernel.cpp explains its node count). MATH.md sections 5.1-5.2.
#pragma once
#include <cstddef>
#include <vector>

#include "activation.hpp"

namespace nntk {

// Gauss-Hermite nodes per dimension for an activation when the largest variance among the inputs is
// maxVariance = 1 + max_m |x_m|^2. The quadrature error is a function of n / maxVariance, so the count
// is proportional to it (per activation: docs/notes/limit-kernel-quadrature.md), clamped to
// [kMinLimitNodes, kMaxLimitNodes]. That keeps B* within ~1e-13 of max |B*| up to max |x| ~ 7 for tanh
// (~10 for erf, ~12.7 for sigmoid, softplus, gelu, silu, ~20 for sin); beyond, the accuracy degrades
// gradually (tanh at |x| = 10: 3e-9).
constexpr std::size_t kMinLimitNodes = 100;
constexpr std::size_t kMaxLimitNodes = 8192;
std::size_t limitQuadratureNodes(Activation act, double maxVariance);

// The n-point Gauss-Hermite rule for the standard normal measure, sum_k w_k f(u_k) ~ E[f(u)], u ~ N(0, 1),
// keeping only the nodes whose weight is at least weightFloor (the rest change no sum by more than that).
struct HermiteRule {
  std::vector<double> nodes;    // ascending, symmetric about 0
  std::vector<double> weights;  // positive, summing to 1 up to the dropped tail
};
HermiteRule gaussHermiteRule(std::size_t n, double weightFloor);

// Which terms of B* a network's limit keeps (docs/MATH.md section 1.2): with e0 = E[sigma(z) sigma(z')] and
// e1 = E[sigma'(z) sigma'(z')],
//   B* = (1/M) ( [c trains] e0 + E[c^2] ([W trains] x.x' + [b trains] 1) e1 ),
// E[c^2] = 1/3 for c ~ U(-1, 1) (the default: every group, today's kernel bit for bit), 1 for random signs.
struct LimitTerms {
  bool W = true, b = true, c = true;
  double outputMoment = 1.0 / 3.0;  // E[c^2]
  bool isDefault() const { return W && b && c && outputMoment == 1.0 / 3.0; }
};

// How the expectations are evaluated. Auto: the closed form if the activation has one, else the shared
// grid for d = 1, else the per-pair rule. The others force one method (for tests and the benchmark):
// ClosedForm fails for tanh, sigmoid, softplus and silu, SharedGrid for d > 1.
enum class LimitMethod { Auto, ClosedForm, SharedGrid, PairQuadrature };
// E_ARGUMENT when the method cannot serve (act, d); Auto resolved to the method that will run.
LimitMethod resolveLimitMethod(Activation act, std::size_t d, LimitMethod method);

// B* (M x M, row-major, symmetric) at the M rows of x (M x d, row-major). MATH.md section 5.
void ntkLimitGram(Activation act, std::size_t M, std::size_t d, const double* x, double* out,
                  LimitMethod method = LimitMethod::Auto, const LimitTerms& terms = {});
// The per-pair rule with an explicit number of quadrature nodes per dimension (for accuracy studies);
// PairQuadrature uses limitQuadratureNodes(act, 1 + max_m |x_m|^2).
void ntkLimitGram(Activation act, std::size_t M, std::size_t d, const double* x, double* out, std::size_t nodes);

// The cross kernel B*(x_test, x_train) (Mt x M, row-major) with the Gram's normalization 1/M (M the
// number of training points), so that it is (M_union / M) times the off-diagonal block of the Gram of
// the union of the two sets. The accuracy is set by the largest |x| of both sets.
void ntkLimitCross(Activation act, std::size_t Mt, const double* test, std::size_t M, const double* train, std::size_t d,
                   double* out, LimitMethod method = LimitMethod::Auto, const LimitTerms& terms = {});
// The test diagonal B*(x_t, x_t) for t < Mt, with the factor 1 / normalization (the number of training
// points) in place of 1 / M. Auto: the closed form, else a one-dimensional trapezoidal rule per point
// (limit_grid.hpp); SharedGrid and PairQuadrature force the 2D rules (the Gram's diagonal, for tests).
void ntkLimitDiagonal(Activation act, std::size_t Mt, const double* test, std::size_t d, std::size_t normalization,
                      double* out, LimitMethod method = LimitMethod::Auto, const LimitTerms& terms = {});

// NNTK* = B* (B* + gamma I)^-1 (M x M, row-major, symmetric), gamma >= 0. E_SINGULAR when B* + gamma I
// is not positive definite to working precision (gamma = 0 with B* singular, or gamma far below
// rounding of B*). MATH.md section 5.
void nntkLimitGram(Activation act, std::size_t M, std::size_t d, const double* x, double gamma, double* out,
                   const LimitTerms& terms = {});

}  // namespace nntk
