// Stochastic Lanczos quadrature (docs/MATH.md section 4, "Spectra"): for a symmetric operator A of order P and
// unit probe z, k Lanczos steps give a k x k tridiagonal T whose eigenvalues t_j and squared first eigenvector
// components w_j form the Gauss rule of the spectral measure of A seen from z: z^T g(A) z ~ sum_j w_j g(t_j).
// Averaged over Rademacher probes (E[z z^T] = I / P after normalization) and scaled by P, the rule estimates
// the eigenvalue counting measure: sum_j (P / probes) w_j [t_j in a bin] estimates the bin's count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace nntk {

struct QuadratureRule {
  std::vector<double> nodes, weights;  // weights sum to P over all probes
  std::size_t products = 0;            // operator applications
};

using Operator = std::function<void(const double* v, double* out)>;

// Full reorthogonalization against the stored Lanczos vectors when reorthogonalize is set (k P doubles),
// otherwise the three-term recurrence alone (3 P doubles). Deterministic in seed.
QuadratureRule lanczosQuadrature(const Operator& apply, std::size_t P, std::size_t probes, std::size_t steps,
                                 std::uint64_t seed, bool reorthogonalize);

}  // namespace nntk
