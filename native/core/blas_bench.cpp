#include "blas_bench.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>

#include "blas_threads.hpp"
#include "buffer.hpp"
#include "random.hpp"
#include "simd_math.hpp"

namespace nntk {
namespace {
Buffer randomMatrix(std::size_t count, std::uint64_t seed) {
  Buffer a(count);
  for (std::size_t k = 0; k < count; ++k) a[k] = uniformAt(seed, Stream::Weights, k) - 0.5;
  return a;
}

template <typename Fn>
double bestSeconds(int repeats, Fn&& fn) {
  double best = 1e300;
  for (int rep = 0; rep < std::max(repeats, 1); ++rep) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}
}  // namespace

double dgemmRate(std::size_t n, int repeats) {
  const BlasScope blas(BlasMode::Threaded);  // OpenBLAS at the chosen count
  const Buffer a = randomMatrix(n * n, 1), b = randomMatrix(n * n, 2);
  Buffer c(n * n);
  const int ni = static_cast<int>(n);
  const double seconds = bestSeconds(repeats, [&] {
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0, a.data(), ni, b.data(), ni, 0.0, c.data(), ni);
  });
  return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / seconds / 1e9;
}

double dsyrkRate(std::size_t n, std::size_t k, int repeats) {
  const BlasScope blas(BlasMode::Threaded);  // OpenBLAS at the chosen count
  const Buffer a = randomMatrix(n * k, 3);
  Buffer c(n * n);
  const int ni = static_cast<int>(n), ki = static_cast<int>(k);
  const double seconds = bestSeconds(repeats, [&] {
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, ni, ki, 1.0, a.data(), ni, 0.0, c.data(), ni);
  });
  return static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(k) / seconds / 1e9;
}

double tanhRate(std::size_t n, int passes, int repeats) {
  Buffer z = randomMatrix(n, 4), out(n);
  for (std::size_t k = 0; k < n; ++k) z[k] *= 6.0;  // uniform on (-3, 3)
  const double seconds = bestSeconds(repeats, [&] {
    for (int p = 0; p < passes; ++p) tanhArray(z.data(), out.data(), n);
  });
  return static_cast<double>(n) * passes / seconds;
}

}  // namespace nntk
