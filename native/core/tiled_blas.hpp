// The dense path's two O(P^3)/O(M P^2) kernels on fixed square tiles, each tile a one-thread BLAS call,
// the tiles of a stage spread over nntk's threads (parallel.hpp). Tile boundaries depend only on the
// matrix order, and every tile sees its updates in the same order, so the results have the same bits at
// any thread count, unlike OpenBLAS's threaded DPOTRF and DGEMM (blas_threads.hpp; docs/MATH.md section
// 4, "Thread-count independence").
#pragma once
#include <lapack.h>

#include <cstddef>

namespace nntk {

constexpr std::size_t kTile = 256;  // tile order: large enough for BLAS-3 rates, small enough to load-balance

// Lower triangle of C = alpha A^T A (C: n x n, column-major, leading dimension ldc; A: k x n, column-major,
// leading dimension lda).
void tiledGramLower(std::size_t n, std::size_t k, double alpha, const double* A, std::size_t lda, double* C, std::size_t ldc,
                    std::size_t threads);

// Right-looking blocked Cholesky A = L L^T of the lower triangle of A (n x n, column-major, leading
// dimension n) in place. Returns 0, or like DPOTRF the order of the first leading minor that is not
// positive definite (A is then partly overwritten).
lapack_int tiledCholesky(double* A, std::size_t n, std::size_t threads);

}  // namespace nntk
