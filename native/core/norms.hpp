// The Euclidean norm without overflow or underflow: the sum of squares is taken on the values divided by
// the largest magnitude, so that vectors with entries near 1e300 (or 1e-300) get a finite, accurate norm.
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

namespace nntk {

inline double euclideanNorm(const double* v, std::size_t n) {
  double scale = 0;
  for (std::size_t k = 0; k < n; ++k) scale = std::fmax(scale, std::fabs(v[k]));
  if (scale == 0 || !std::isfinite(scale)) return scale;
  double sum = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = v[k] / scale;
    sum += x * x;
  }
  return scale * std::sqrt(sum);
}

inline double euclideanNorm(const std::vector<double>& v) { return euclideanNorm(v.data(), v.size()); }

}  // namespace nntk
