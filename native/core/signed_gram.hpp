// Streams G = sum_k s_k v_k v_k^T (M x M) over many M-vectors v_k with signs s_k = +-1 (docs/MATH.md
// section 4: G = J Bd^-1 J^T with Bd^-1 split into its positive and negative parts; section 5: the NTK
// J J^T). One accumulator per worker thread: columns are written into a buffer that is folded into the
// thread's own G by DSYRK whenever it fills, so the heavy work is BLAS-3, threads never wait for each
// other, and no M x P matrix is held.
#pragma once
#include <cstddef>
#include <vector>

#include "blas_threads.hpp"
#include "buffer.hpp"
#include "parallel.hpp"

namespace nntk {

// Bytes one part (positive or negative) of a SignedGram may buffer before it folds.
constexpr double kGramChunkBytes = 64.0 * 1024.0 * 1024.0;

// Columns to buffer per part: at most `wanted` (no more than the thread will ever push, nor than its
// preferred fold size), at most kGramChunkBytes of M-vectors, at least one.
std::size_t gramChunkColumns(std::size_t M, std::size_t wanted);

class SignedGram {
 public:
  // The parts are allocated when their first column arrives (a Gauss-Newton G has no negative part).
  SignedGram(std::size_t M, std::size_t columns);

  // The next free column (M contiguous values) of the positive or negative part.
  double* nextColumn(bool positive);
  // Folds the buffered columns into G.
  void flush();
  // G's lower triangle, column-major M x M (after flush()).
  const Buffer& lower() const { return G_; }

 private:
  struct Columns {
    Buffer values;
    std::size_t used = 0;
  };
  void fold(Columns& c, double sign);

  std::size_t M_, capacity_;
  Columns positive_, negative_;
  Buffer G_;
};

// Runs perNeuron(neuron, thread) for every neuron on `threads` threads (contiguous ranges), each thread
// writing into grams[thread]; returns the sum of the threads' G (lower triangle, column-major M x M).
template <typename PerNeuron>
Buffer streamNeurons(std::size_t width, std::size_t M, std::vector<SignedGram>& grams, PerNeuron&& perNeuron) {
  {
    const BlasScope scope(BlasMode::SingleThreaded);  // each worker thread runs its own DSYRK calls
    parallelFor(width, grams.size(), [&](std::size_t begin, std::size_t end, std::size_t t) {
      for (std::size_t i = begin; i < end; ++i) perNeuron(i, t);
      grams[t].flush();
    });
  }
  Buffer G(M * M, "the structured solver and the kernels hold M x M matrices; use fewer data points");
  G.fill(0.0);
  for (const auto& g : grams)
    for (std::size_t k = 0; k < M * M; ++k) G[k] += g.lower()[k];
  return G;
}

}  // namespace nntk
