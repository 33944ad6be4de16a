// Full eigen-decomposition of a symmetric matrix (an M x M kernel) by LAPACK DSYEVD (divide and
// conquer), for symmetricEigen in src/kernels.ts. Eigenvalues only: symmetricEigenvalues in
// symmetric_factor.hpp; the tiny per-neuron blocks: small_eigen.hpp.
#pragma once
#include <cstddef>
#include <vector>

namespace nntk {

struct SymmetricEigenResult {
  std::vector<double> values;   // ascending
  std::vector<double> vectors;  // n x n row-major: vectors[a * n + k] is component a of eigenvector k
};

// A: n x n, row-major, symmetric up to rounding; the decomposition is that of (A + A^T) / 2, the
// nearest symmetric matrix. Each eigenvector is a unit vector whose entry of largest magnitude (the
// first such) is positive. E_NUMERICAL when DSYEVD does not converge; E_TOO_LARGE past LAPACK's
// 32-bit sizes.
SymmetricEigenResult symmetricEigen(const double* A, std::size_t n);

}  // namespace nntk
