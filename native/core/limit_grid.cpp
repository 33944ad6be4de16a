// The shared (w, b) grid of docs/MATH.md section 5.2 for inputDim 1. The trapezoidal rule converges
// geometrically for integrands analytic in a strip: tanh(w x + b) has its poles at w x + b = i pi (k + 1/2),
// a strip of half-width pi / (2 |x|) in w and pi / 2 in b (pi / |x| and pi for the logistic family), so
// the w spacing is kappa / max |x| and the b spacing a constant. The spacings and the radius of the disk
// outside which nodes are dropped were measured per activation (docs/notes/limit-kernel-quadrature.md).
//
// Cost for M points and K nodes: M K activation evaluations and two M x M x K products, streamed over
// node chunks of kChunk columns (memory (M_a + M_b) kChunk doubles besides the outputs) and tiled into
// kTile x kTile output blocks, each owned by one thread for all chunks, in chunk order. Neither size
// depends on the thread count, and one BLAS call on one tile is the same arithmetic on any thread, so
// the results are bit-identical for every setThreads().
#include "limit_grid.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "blas_threads.hpp"
#include "failure.hpp"
#include "worker_pool.hpp"

namespace nntk {
namespace {

constexpr std::size_t kChunk = 512;  // grid nodes per streamed chunk
constexpr std::size_t kTile = 128;   // output rows (and columns) per tile
constexpr std::size_t kRowBlock = 32;  // rows of S per task when a chunk is evaluated

struct GridSetting {
  double kappaW;   // h_w = kappaW / max |x| (at most h_b)
  double spacingB; // h_b
  double radius;   // nodes with w^2 + b^2 > radius^2 are dropped (weight below exp(-radius^2 / 2))
};

// Measured: docs/notes/limit-kernel-quadrature.md (max error <= ~1e-14 of max |B*| for max |x| in [0.1, 12]).
GridSetting gridSetting(Activation act) {
  switch (act) {
    case Activation::Tanh: return {0.25, 0.22, 8.5};
    case Activation::Sigmoid:
    case Activation::Softplus:
    case Activation::Silu: return {0.45, 0.40, 9.0};
    case Activation::Erf: return {0.35, 0.30, 8.5};
    case Activation::Gelu: return {0.45, 0.40, 9.5};
    case Activation::Sin: return {1.5, 0.40, 8.5};
  }
  throw Failure(ErrorCode::Internal, "unknown activation");
}

// sigma(-z) = -sigma(z): the products sigma sigma and sigma' sigma' are even in (w, b).
bool isOdd(Activation act) { return act == Activation::Tanh || act == Activation::Erf || act == Activation::Sin; }

// Runs task(k) for k = 0 .. count-1 on the pool, task k on thread k mod size (any assignment would do:
// each task writes its own outputs).
template <typename Task>
void runTasks(WorkerPool& pool, std::size_t count, Task&& task) {
  auto body = [&](std::size_t t) {
    for (std::size_t k = t; k < count; k += pool.size()) task(k, t);
  };
  pool.run(body);
}

// Rows [first, last) of S0, S1 for grid nodes [k0, k0 + len): S[m, k] = sqrt(omega) sigma(w x_m + b).
void evaluateRows(Activation act, const LimitGrid& g, std::size_t k0, std::size_t len, const double* x, std::size_t first,
                  std::size_t last, double* S0, double* S1, double* z) {
  const double* w = g.w.data() + k0;
  const double* b = g.b.data() + k0;
  const double* r = g.rootWeight.data() + k0;
  for (std::size_t m = first; m < last; ++m) {
    double* s0 = S0 + (m - first) * kChunk;
    double* s1 = S1 + (m - first) * kChunk;
    for (std::size_t k = 0; k < len; ++k) z[k] = w[k] * x[m] + b[k];
    evaluateActivation(act, z, len, s0, s1, nullptr);
    for (std::size_t k = 0; k < len; ++k) {
      s0[k] *= r[k];
      s1[k] *= r[k];
    }
  }
}

struct Tile {
  std::size_t i0, ni, j0, nj;
};

}  // namespace

LimitGrid limitGrid(double hW, double hB, double radius, bool odd) {
  if (!(hW > 0 && hB > 0 && radius > 0)) throw Failure(ErrorCode::Internal, "limitGrid: spacings and radius must be positive");
  const auto kw = static_cast<long>(std::floor(radius / hW)), kb = static_cast<long>(std::floor(radius / hB));
  LimitGrid g;
  g.spacingW = hW;
  g.spacingB = hB;
  g.radius = radius;
  const double cell = hW * hB / (2.0 * std::numbers::pi);
  for (long k = -kw; k <= kw; ++k) {
    const double w = static_cast<double>(k) * hW;
    for (long l = -kb; l <= kb; ++l) {
      const double b = static_cast<double>(l) * hB;
      const double r2 = w * w + b * b;
      if (r2 > radius * radius) continue;
      double multiplicity = 1.0;
      if (odd && !(k == 0 && l == 0)) {
        if (l < 0 || (l == 0 && k < 0)) continue;  // the mirror image (-w, -b) of a kept node
        multiplicity = 2.0;
      }
      g.w.push_back(w);
      g.b.push_back(b);
      g.rootWeight.push_back(std::sqrt(multiplicity * cell * std::exp(-0.5 * r2)));
    }
  }
  return g;
}

LimitGrid limitGrid(Activation act, double maxAbsX) {
  const GridSetting s = gridSetting(act);
  const double X = std::min(maxAbsX, kMaxGridAbsX);
  const double hW = X > s.kappaW / s.spacingB ? s.kappaW / X : s.spacingB;
  return limitGrid(hW, s.spacingB, s.radius, isOdd(act));
}

void gridExpectations(Activation act, const LimitGrid& grid, const double* xa, std::size_t Ma, const double* xb,
                      std::size_t Mb, bool symmetric, double* E0, double* E1) {
  if (Ma == 0 || Mb == 0) return;
  if (symmetric && (xa != xb || Ma != Mb)) throw Failure(ErrorCode::Internal, "gridExpectations: symmetric needs xb == xa");
  const BlasScope blas(BlasMode::SingleThreaded);
  std::fill(E0, E0 + Ma * Mb, 0.0);
  std::fill(E1, E1 + Ma * Mb, 0.0);

  std::vector<Tile> tiles;
  for (std::size_t i0 = 0; i0 < Ma; i0 += kTile)
    for (std::size_t j0 = symmetric ? i0 : 0; j0 < Mb; j0 += kTile)
      tiles.push_back({i0, std::min(kTile, Ma - i0), j0, std::min(kTile, Mb - j0)});

  // S for the rows (a) and, unless symmetric, the columns (b), kChunk entries per row.
  std::vector<double> SA0(Ma * kChunk), SA1(Ma * kChunk), SB0, SB1;
  if (!symmetric) {
    SB0.resize(Mb * kChunk);
    SB1.resize(Mb * kChunk);
  }
  const double* B0 = symmetric ? SA0.data() : SB0.data();
  const double* B1 = symmetric ? SA1.data() : SB1.data();

  WorkerPool pool(std::max<std::size_t>(configuredThreads(), 1));
  std::vector<std::vector<double>> scratch(pool.size(), std::vector<double>(kChunk));
  const std::size_t blocksA = (Ma + kRowBlock - 1) / kRowBlock, blocksB = symmetric ? 0 : (Mb + kRowBlock - 1) / kRowBlock;
  const int ld = static_cast<int>(kChunk), ldc = static_cast<int>(Mb);
  const std::size_t K = grid.w.size();
  for (std::size_t k0 = 0; k0 < K; k0 += kChunk) {
    const std::size_t len = std::min(kChunk, K - k0);
    runTasks(pool, blocksA + blocksB, [&](std::size_t task, std::size_t t) {
      const bool inA = task < blocksA;
      const std::size_t block = inA ? task : task - blocksA, rows = inA ? Ma : Mb;
      const std::size_t first = block * kRowBlock, last = std::min(rows, first + kRowBlock);
      double* S0 = (inA ? SA0.data() : SB0.data()) + first * kChunk;
      double* S1 = (inA ? SA1.data() : SB1.data()) + first * kChunk;
      evaluateRows(act, grid, k0, len, inA ? xa : xb, first, last, S0, S1, scratch[t].data());
    });
    // One task per tile and expectation: E += S_a[tile rows] S_b[tile columns]^T over this chunk.
    runTasks(pool, 2 * tiles.size(), [&](std::size_t task, std::size_t) {
      const Tile& tile = tiles[task / 2];
      const bool second = task % 2 == 1;
      const double* A = (second ? SA1.data() : SA0.data()) + tile.i0 * kChunk;
      const double* B = (second ? B1 : B0) + tile.j0 * kChunk;
      double* C = (second ? E1 : E0) + tile.i0 * Mb + tile.j0;
      const int ni = static_cast<int>(tile.ni), nj = static_cast<int>(tile.nj), k = static_cast<int>(len);
      if (symmetric && tile.i0 == tile.j0)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, ni, k, 1.0, A, ld, 1.0, C, ldc);
      else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ni, nj, k, 1.0, A, ld, B, ld, 1.0, C, ldc);
    });
  }
  if (symmetric)
    for (std::size_t i = 0; i < Ma; ++i)
      for (std::size_t j = i + 1; j < Ma; ++j) {
        E0[j * Ma + i] = E0[i * Ma + j];
        E1[j * Ma + i] = E1[i * Ma + j];
      }
}

void gridDiagonalExpectations(Activation act, const LimitGrid& grid, const double* x, std::size_t M, double* e0,
                              double* e1) {
  if (M == 0) return;
  WorkerPool pool(std::max<std::size_t>(configuredThreads(), 1));
  const std::size_t blocks = (M + kRowBlock - 1) / kRowBlock, K = grid.w.size();
  runTasks(pool, blocks, [&](std::size_t block, std::size_t) {
    const std::size_t first = block * kRowBlock, last = std::min(M, first + kRowBlock);
    std::vector<double> z(kChunk), s0(kChunk), s1(kChunk);
    for (std::size_t m = first; m < last; ++m) {
      double sum0 = 0, sum1 = 0;
      for (std::size_t k0 = 0; k0 < K; k0 += kChunk) {
        const std::size_t len = std::min(kChunk, K - k0);
        evaluateRows(act, grid, k0, len, x, m, m + 1, s0.data(), s1.data(), z.data());
        for (std::size_t k = 0; k < len; ++k) {
          sum0 += s0[k] * s0[k];
          sum1 += s1[k] * s1[k];
        }
      }
      e0[m] = sum0;
      e1[m] = sum1;
    }
  });
}

void lineDiagonalExpectations(Activation act, const double* squaredNorms, std::size_t M, double* e0, double* e1) {
  if (M == 0) return;
  const GridSetting s = gridSetting(act);
  const bool odd = isOdd(act);  // sigma^2 and sigma'^2 are even: keep u >= 0, the others twice
  WorkerPool pool(std::max<std::size_t>(configuredThreads(), 1));
  const std::size_t blocks = (M + kRowBlock - 1) / kRowBlock;
  runTasks(pool, blocks, [&](std::size_t block, std::size_t) {
    const std::size_t first = block * kRowBlock, last = std::min(M, first + kRowBlock);
    std::vector<double> z, weight, s0, s1;
    for (std::size_t m = first; m < last; ++m) {
      const double rootA = std::sqrt(squaredNorms[m] + 1.0);
      const double h = s.spacingB / std::min(rootA, kMaxGridAbsX);
      const auto K = static_cast<long>(std::floor(s.radius / h));
      z.clear();
      weight.clear();
      for (long k = odd ? 0 : -K; k <= K; ++k) {
        const double u = static_cast<double>(k) * h;
        z.push_back(rootA * u);
        weight.push_back((odd && k != 0 ? 2.0 : 1.0) * h * std::exp(-0.5 * u * u) / std::sqrt(2.0 * std::numbers::pi));
      }
      s0.resize(z.size());
      s1.resize(z.size());
      evaluateActivation(act, z.data(), z.size(), s0.data(), s1.data(), nullptr);
      double sum0 = 0, sum1 = 0;
      for (std::size_t k = 0; k < z.size(); ++k) {
        sum0 += weight[k] * s0[k] * s0[k];
        sum1 += weight[k] * s1[k] * s1[k];
      }
      e0[m] = sum0;
      e1[m] = sum1;
    }
  });
}

}  // namespace nntk
