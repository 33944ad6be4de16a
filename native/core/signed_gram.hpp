// Streams G = sum_k s_k v_k v_k^T (M x M) over many M-vectors v_k with signs s_k = +-1 (docs/MATH.md
// section 4: G = J Bd^-1 J^T with Bd^-1 split into its positive and negative parts; section 5: the NTK
// J J^T). The neurons are cut into fixed slots (parallel.hpp) with one accumulator each; a thread writes
// a slot's columns into its own buffer, folded into the slot's accumulator by DSYRK whenever it fills and
// at the end of the slot, so the heavy work is BLAS-3, threads never wait for each other, no M x P matrix
// is held, and the fold boundaries (and so G's bits) do not depend on the thread count.
#pragma once
#include <cstddef>
#include <vector>

#include "blas_threads.hpp"
#include "buffer.hpp"
#include "parallel.hpp"

namespace nntk {

// Bytes one part (positive or negative) of a SignedGram may buffer before it folds.
constexpr double kGramChunkBytes = 64.0 * 1024.0 * 1024.0;
// Bytes the slots' M x M accumulators may take together (but two slots at least, as two threads had
// before the slots).
constexpr double kGramSlotBytes = 256.0 * 1024.0 * 1024.0;

// Columns to buffer per part: at most `wanted` (no more than a slot will ever push, nor than the
// preferred fold size), at most kGramChunkBytes of M-vectors, at least one.
std::size_t gramChunkColumns(std::size_t M, std::size_t wanted);

// Slots for a streamed G over `count` items (neurons or neuron blocks), at least minPerSlot items each,
// and few enough that their M x M accumulators fit kGramSlotBytes. A function of the sizes only.
std::size_t gramSlots(std::size_t count, std::size_t M, std::size_t minPerSlot);

// One thread's column buffers. The parts are allocated when their first column arrives (a Gauss-Newton G
// has no negative part).
class SignedGram {
 public:
  SignedGram(std::size_t M, std::size_t columns);

  // Folds go into G (M x M, lower triangle, column-major) from now on; flush() before switching.
  void target(double* G) { G_ = G; }
  // The next free column (M contiguous values) of the positive or negative part.
  double* nextColumn(bool positive);
  // Folds the buffered columns into the target.
  void flush();

 private:
  struct Columns {
    Buffer values;
    std::size_t used = 0;
  };
  void fold(Columns& c, double sign);

  std::size_t M_, capacity_;
  Columns positive_, negative_;
  double* G_ = nullptr;
};

// Runs perNeuron(item, thread, slot) for every item (a neuron; the one-step grid streams neuron blocks),
// `slots` fixed slots of items spread over grams.size() threads, each thread writing into grams[thread];
// returns the sum of the slots' G in slot order (lower triangle, column-major M x M).
template <typename PerNeuron>
Buffer streamNeurons(std::size_t width, std::size_t M, std::size_t slots, std::vector<SignedGram>& grams,
                     PerNeuron&& perNeuron) {
  constexpr const char* advice = "the structured solver and the kernels hold M x M matrices; use fewer data points";
  Buffer slotG(slots * M * M, advice);
  slotG.fill(0.0);
  {
    const BlasScope scope(BlasMode::SingleThreaded);  // each worker thread runs its own DSYRK calls
    parallelSlots(width, slots, grams.size(), [&](std::size_t begin, std::size_t end, std::size_t slot, std::size_t t) {
      grams[t].target(slotG.data() + slot * M * M);
      for (std::size_t i = begin; i < end; ++i) perNeuron(i, t, slot);
      grams[t].flush();
    });
  }
  Buffer G(M * M, advice);
  G.fill(0.0);
  for (std::size_t k = 0; k < slots; ++k) {
    const double* g = slotG.data() + k * M * M;
    for (std::size_t e = 0; e < M * M; ++e) G[e] += g[e];
  }
  return G;
}

}  // namespace nntk
