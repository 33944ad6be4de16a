// The shared quadrature grid of the limit kernels for inputDim 1 (docs/MATH.md section 5.2). With d = 1,
// z = w x + b for (w, b) ~ N(0, I_2) has exactly the kernel's covariance for every input x at once, so one
// 2D rule over (w, b) serves all pairs: with S[m, k] = sqrt(omega_k) sigma(w_k x_m + b_k),
// E[sigma(z_m) sigma(z_n)] ~ (S S^T)[m, n] and likewise for sigma'. The rule is the tensor trapezoidal
// rule on the Gaussian, with the w spacing proportional to 1 / max |x| (the strip where sigma(w x + b) is
// analytic in w narrows like 1 / |x|), cut to the disk where the weight matters.
#pragma once
#include <cstddef>
#include <vector>

#include "activation.hpp"

namespace nntk {

// Grid nodes in a fixed order with omega_k = h_w h_b phi(w_k) phi(b_k) (phi the standard normal density).
struct LimitGrid {
  std::vector<double> w, b, rootWeight;  // rootWeight[k] = sqrt(omega_k)
  double spacingW = 0, spacingB = 0, radius = 0;
};

// The grid that keeps B* within ~1e-14 of max |B*| for inputs with max |x| <= maxAbsX (measured:
// docs/notes/limit-kernel-quadrature.md). Past |x| = kMaxGridAbsX the w spacing stops shrinking (the
// node count stays bounded) and the accuracy degrades gradually.
constexpr double kMaxGridAbsX = 200.0;
LimitGrid limitGrid(Activation act, double maxAbsX);
// An explicit grid: spacings hW, hB and radius; `odd`: sigma is odd, so that the nodes (w, b) and
// (-w, -b) give the same products and only one of each pair is kept, with twice the weight.
LimitGrid limitGrid(double hW, double hB, double radius, bool odd);

// E0[i, j] = sum_k omega_k sigma(w_k xa_i + b_k) sigma(w_k xb_j + b_k) and E1 the same with sigma'
// (Ma x Mb, row-major). symmetric: xb is xa (Mb = Ma), the upper triangle is computed and mirrored, so
// E0 and E1 are exactly symmetric. The node grid is streamed in chunks of a fixed size and each output
// tile is accumulated chunk by chunk by one thread, so the result does not depend on the thread count.
// Runs on configuredThreads() threads with single-threaded BLAS (takes a BlasScope: do not call it
// inside another computation's scope).
void gridExpectations(Activation act, const LimitGrid& grid, const double* xa, std::size_t Ma, const double* xb,
                      std::size_t Mb, bool symmetric, double* E0, double* E1);
// The diagonal: e0[i] = sum_k omega_k sigma(w_k x_i + b_k)^2, e1 likewise with sigma'.
void gridDiagonalExpectations(Activation act, const LimitGrid& grid, const double* x, std::size_t M, double* e0,
                              double* e1);

// The diagonal of any inputDim from a one-dimensional trapezoidal rule per point: with Var z = a =
// |x|^2 + 1, e0 = E[sigma(z)^2] and e1 = E[sigma'(z)^2] by z = sqrt(a) u, u ~ N(0, 1), spacing
// h_b / sqrt(a) (the strip in u is the one in b, narrowed by sqrt(a)), ~80 sqrt(a) nodes per point for
// tanh. squaredNorms[t] = |x_t|^2.
void lineDiagonalExpectations(Activation act, const double* squaredNorms, std::size_t M, double* e0, double* e1);

}  // namespace nntk
