#include "small_eigen.hpp"

#include <cmath>

namespace nntk {
namespace {

// Cyclic Jacobi (Golub & Van Loan, Matrix Computations, section 8.5): sweep over the off-diagonal
// pairs, zeroing each with a rotation chosen by the stable formula of Rutishauser, until the
// off-diagonal mass is negligible against the diagonal. `Fixed` > 0 makes the size a compile-time
// constant so that the 3 x 3 blocks of one-dimensional inputs unroll completely.
template <std::size_t Fixed>
void jacobi(double* A, std::size_t runtimeN, double* w, double* V) {
  const std::size_t n = Fixed > 0 ? Fixed : runtimeN;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b) V[a * n + b] = a == b ? 1.0 : 0.0;
  for (int sweep = 0; sweep < 64; ++sweep) {
    double off = 0, diag = 0;
    for (std::size_t p = 0; p < n; ++p) {
      diag += A[p * n + p] * A[p * n + p];
      for (std::size_t q = p + 1; q < n; ++q) off += A[p * n + q] * A[p * n + q];
    }
    if (off <= 1e-36 * diag || off == 0.0) break;
    for (std::size_t p = 0; p + 1 < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        const double apq = A[p * n + q];
        if (apq == 0.0) continue;
        const double theta = (A[q * n + q] - A[p * n + p]) / (2.0 * apq);
        const double t = std::copysign(1.0, theta) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (std::size_t k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {  // A <- J^T A (rows p, q)
          const double apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        A[p * n + q] = A[q * n + p] = 0.0;
        for (std::size_t k = 0; k < n; ++k) {  // V <- V J
          const double vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k) w[k] = A[k * n + k];
}

}  // namespace

void smallSymmetricEigen(double* A, std::size_t n, double* w, double* V) {
  // The sweep's sums of squares underflow for entries below ~1e-154 and overflow above ~1e154, so a block
  // outside [2^-400, 2^400] is scaled by a power of two first (exact: the eigenvectors are unchanged and
  // the eigenvalues scale back exactly). Blocks inside the range, every block of ordinary data, are
  // untouched, so their results do not change by a bit.
  double largest = 0;
  for (std::size_t k = 0; k < n * n; ++k) largest = std::fmax(largest, std::fabs(A[k]));
  int exponent = 0;
  if (largest > 0 && std::isfinite(largest) && (largest < 0x1p-400 || largest > 0x1p400)) {
    std::frexp(largest, &exponent);
    for (std::size_t k = 0; k < n * n; ++k) A[k] = std::ldexp(A[k], -exponent);
  }
  switch (n) {
    case 3: jacobi<3>(A, n, w, V); break;
    case 4: jacobi<4>(A, n, w, V); break;
    default: jacobi<0>(A, n, w, V); break;
  }
  if (exponent != 0)
    for (std::size_t k = 0; k < n; ++k) w[k] = std::ldexp(w[k], exponent);
}

}  // namespace nntk
