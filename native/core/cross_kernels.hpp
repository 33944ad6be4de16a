// Kernels between test points and training points at finite width (docs/MATH.md section 5, "Predictions"):
//   NTK:  B(x_t, x_m) = J_t J^T / M                          (Mt x M), diagonal |J_t row|^2 / M,
//   NNTK: J_t (C + lambda I)^-1 J^T / M = H_t (C_cap^-1)[:, :M],  H_t = J_t Bd'^-1 [J^T, W]   (Woodbury, as the
//         structured solver: no P x P matrix, deflated neuron blocks included), diagonal
//         (J_t Bd'^-1 J_t^T - H_t C_cap^-1 H_t^T)_tt / M.
// M is the number of TRAINING points in both, so that the cross kernel is the off-diagonal block of the
// kernel of the union of the points up to the factor M_union / M. Streamed over neurons with DGEMM folds.
#pragma once
#include <cstddef>
#include <vector>

#include "blas_threads.hpp"
#include "buffer.hpp"
#include "parallel.hpp"
#include "model.hpp"
#include "step.hpp"

namespace nntk {

struct CrossKernel {
  std::size_t rows = 0, columns = 0;  // Mt, M
  std::vector<double> cross;          // Mt x M, row-major
  std::vector<double> diagonal;       // Mt: the kernel of each test point with itself
};

// Accumulates H += A B^T over streamed column pairs (a: rows values, b: columns values), folded by DGEMM
// into the current target (rows x columns, column-major); flush() before switching targets.
class CrossAccumulator {
 public:
  CrossAccumulator(std::size_t rows, std::size_t columns, std::size_t capacity);
  void target(double* H) { H_ = H; }
  // Slots for the next column pair; the caller writes rows and columns values.
  void next(double*& a, double*& b);
  void flush();

 private:
  std::size_t rows_, columns_, capacity_, used_ = 0;
  Buffer A_, B_;
  double* H_ = nullptr;
};

// Columns per fold for rows + columns values each, at most `wanted`, within a fixed byte budget.
std::size_t crossChunk(std::size_t rows, std::size_t columns, std::size_t wanted);

// The sum of a streamed cross product and of a per-row tally, each summed per fixed slot of neurons and
// then in slot order, so that neither depends on the thread count (docs/MATH.md section 4,
// "Thread-count independence").
struct CrossSum {
  Buffer H;                     // rows x columns, column-major
  std::vector<double> diagonal;  // rows
};

// Test points `test` (Mt x inputDim, row-major; only x is read).
CrossKernel ntkCross(const NetView& net, const DataView& data, const DataView& test);
CrossKernel nntkCross(const NetView& net, const DataView& data, const DataView& test, const StepRequest& request);

// Slots for streamCross: one rows x columns accumulator per slot, all within a fixed byte budget (two slots at least).
std::size_t crossSlots(std::size_t width, std::size_t rows, std::size_t columns, std::size_t minPerSlot);

// Runs perSlot(begin, end, thread, slot, diagonal, acc) for fixed slots of [0, width) (at least minPerSlot
// neurons each, and few enough that the slots' rows x columns accumulators fit a byte budget); a slot
// pushes its column pairs into acc (the thread's accumulator, already aimed at the slot's accumulator) and adds its
// per-row tally into `diagonal` (rows values, zeroed). Returns the slots' sums in slot order.
template <typename PerSlot>
CrossSum streamCross(std::size_t width, std::size_t rows, std::size_t columns, std::size_t minPerSlot, std::size_t threads,
                     std::size_t wanted, PerSlot&& perSlot) {
  const std::size_t slots = crossSlots(width, rows, columns, minPerSlot);
  const std::size_t T = std::max<std::size_t>(1, std::min(threads, slots));
  const std::size_t size = rows * columns;
  Buffer slotH(slots * size, "the cross kernels hold Mt x M matrices per slot; use fewer test or training points");
  slotH.fill(0.0);
  std::vector<double> slotDiag(slots * rows, 0.0);
  std::vector<CrossAccumulator> acc;
  acc.reserve(T);
  for (std::size_t t = 0; t < T; ++t) acc.emplace_back(rows, columns, crossChunk(rows, columns, wanted));
  {
    const BlasScope scope(BlasMode::SingleThreaded);  // each worker thread runs its own DGEMM folds
    parallelSlots(width, slots, T, [&](std::size_t begin, std::size_t end, std::size_t slot, std::size_t t) {
      acc[t].target(slotH.data() + slot * size);
      perSlot(begin, end, t, slot, slotDiag.data() + slot * rows, acc[t]);
      acc[t].flush();
    });
  }
  CrossSum out{Buffer(size, "the cross kernels hold Mt x M matrices; use fewer test or training points"), std::vector<double>(rows, 0.0)};
  out.H.fill(0.0);
  for (std::size_t k = 0; k < slots; ++k) {
    const double* h = slotH.data() + k * size;
    for (std::size_t e = 0; e < size; ++e) out.H[e] += h[e];
    for (std::size_t r = 0; r < rows; ++r) out.diagonal[r] += slotDiag[k * rows + r];
  }
  return out;
}

}  // namespace nntk
