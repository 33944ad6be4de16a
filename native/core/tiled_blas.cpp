#include "tiled_blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "lapack_checks.hpp"
#include "parallel.hpp"

namespace nntk {
namespace {

std::size_t tiles(std::size_t n) { return (n + kTile - 1) / kTile; }
std::size_t tileSize(std::size_t n, std::size_t t) { return std::min(kTile, n - t * kTile); }
int asInt(std::size_t n) { return static_cast<int>(n); }

// Runs fn(task) for task = 0 .. count - 1, each task on one thread, taken in order from a shared counter.
template <typename Fn>
void eachTask(std::size_t count, std::size_t threads, Fn&& fn) {
  parallelSlots(count, count, threads, [&](std::size_t begin, std::size_t end, std::size_t, std::size_t) {
    for (std::size_t task = begin; task < end; ++task) fn(task);
  });
}

}  // namespace

void tiledGramLower(std::size_t n, std::size_t k, double alpha, const double* A, std::size_t lda, double* C, std::size_t ldc,
                    std::size_t threads) {
  const std::size_t nt = tiles(n);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;  // (row tile, column tile), row >= column
  for (std::size_t j = 0; j < nt; ++j)
    for (std::size_t i = j; i < nt; ++i) pairs.emplace_back(i, j);
  eachTask(pairs.size(), threads, [&](std::size_t task) {
    const auto [i, j] = pairs[task];
    const std::size_t bi = tileSize(n, i), bj = tileSize(n, j);
    double* Cij = C + i * kTile + j * kTile * ldc;
    const double* Ai = A + i * kTile * lda;
    if (i == j) {
      cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, asInt(bi), asInt(k), alpha, Ai, asInt(lda), 0.0, Cij, asInt(ldc));
    } else {
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, asInt(bi), asInt(bj), asInt(k), alpha, Ai, asInt(lda),
                  A + j * kTile * lda, asInt(lda), 0.0, Cij, asInt(ldc));
    }
  });
}

// For k = 0, 1, ...: L_kk = chol(A_kk); L_ik = A_ik L_kk^-T below it; A_ij -= L_ik L_jk^T on the trailing
// lower triangle (the textbook right-looking algorithm, LAPACK Working Note 20's DPOTRF with fixed tiles).
lapack_int tiledCholesky(double* A, std::size_t n, std::size_t threads) {
  const std::size_t nt = tiles(n), ld = n;
  const lapack_int ldl = toLapackInt(ld, "the matrix order");
  auto tile = [&](std::size_t i, std::size_t j) { return A + i * kTile + j * kTile * ld; };
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t k = 0; k < nt; ++k) {
    const std::size_t bk = tileSize(n, k);
    const lapack_int nk = static_cast<lapack_int>(bk);
    lapack_int info = 0;
    LAPACK_dpotrf("L", &nk, tile(k, k), &ldl, &info);
    checkArguments("DPOTRF", info);
    if (info > 0) return static_cast<lapack_int>(k * kTile) + info;
    if (k + 1 == nt) break;
    const double* Lkk = tile(k, k);
    eachTask(nt - k - 1, threads, [&](std::size_t task) {
      const std::size_t i = k + 1 + task;
      cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, asInt(tileSize(n, i)), asInt(bk), 1.0,
                  Lkk, asInt(ld), tile(i, k), asInt(ld));
    });
    pairs.clear();
    for (std::size_t j = k + 1; j < nt; ++j)
      for (std::size_t i = j; i < nt; ++i) pairs.emplace_back(i, j);
    eachTask(pairs.size(), threads, [&](std::size_t task) {
      const auto [i, j] = pairs[task];
      const std::size_t bi = tileSize(n, i), bj = tileSize(n, j);
      if (i == j) {
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, asInt(bi), asInt(bk), -1.0, tile(i, k), asInt(ld), 1.0,
                    tile(i, i), asInt(ld));
      } else {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, asInt(bi), asInt(bj), asInt(bk), -1.0, tile(i, k), asInt(ld),
                    tile(j, k), asInt(ld), 1.0, tile(i, j), asInt(ld));
      }
    });
  }
  return 0;
}

}  // namespace nntk
