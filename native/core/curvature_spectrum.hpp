// The spectrum of C + lambda I at any width (docs/MATH.md section 4, "Spectra"), from the operator of
// curvature_operator.hpp:
// - the k smallest and k largest eigenvalues (and unit eigenvectors) exactly, by the secular equations of a
//   diagonal plus rank-M matrix: each evaluation is one streamed weighted Gram (an M x M DSYRK pass) and a small
//   dense eigenproblem; a safeguarded secant finds each root to ~1e-13 of the spectral radius in a few passes;
// - the exact trace and Frobenius norm;
// - exact eigenvalue counts below any shift (Haynsworth inertia, one pass per shift), hence an exact histogram;
// - the spectral density by stochastic Lanczos quadrature (Rademacher probes, O(M P) products).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"
#include "step.hpp"

namespace nntk {

struct SpectrumRequest {
  Curvature curvature = Curvature::Newton;
  double lambda = 0;
  double memoryLimitBytes = 4.0 * 1024 * 1024 * 1024;
  std::size_t smallest = 1, largest = 1;  // eigenvalues wanted at each end
  bool eigenvectors = false;
  bool frobenius = false;
  bool inertia = true;
  std::vector<double> edges;  // histogram edges, ascending (empty: none)
  std::size_t bins = 0;       // without edges: this many equal bins over [min, max] (padded)
  std::size_t probes = 0;     // stochastic Lanczos quadrature: probe vectors (0: no density)
  std::size_t lanczosSteps = 0;
  std::uint64_t seed = 0;
};

struct SpectrumResult {
  Inertia inertia;
  bool hasInertia = false;
  std::vector<double> smallest;  // ascending
  std::vector<double> largest;   // descending
  std::vector<std::vector<double>> smallestVectors, largestVectors;  // parameter order, unit length
  std::vector<double> smallestResiduals, largestResiduals;            // |(C + lambda I) u - mu u|
  double trace = 0;
  bool hasFrobenius = false;
  double frobeniusNorm = 0;
  std::vector<double> edges;
  std::vector<double> counts;  // exact eigenvalue counts in [edges[b], edges[b + 1])
  std::vector<double> densityNodes, densityWeights;  // SLQ: Ritz values and weights (the weights sum to P)
  std::vector<double> densityCounts;                 // SLQ's estimate of `counts`, bin by bin
  std::size_t passes = 0;                            // weighted-Gram passes over the neurons
  std::size_t products = 0;                          // (C + lambda I) v products
  std::string method;
};

SpectrumResult curvatureSpectrum(const NetView& net, const DataView& data, const SpectrumRequest& request);

}  // namespace nntk
