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

#include "buffer.hpp"
#include "model.hpp"
#include "step.hpp"

namespace nntk {

struct CrossKernel {
  std::size_t rows = 0, columns = 0;  // Mt, M
  std::vector<double> cross;          // Mt x M, row-major
  std::vector<double> diagonal;       // Mt: the kernel of each test point with itself
};

// Accumulates H += A B^T over streamed column pairs (a: rows values, b: columns values), folded by DGEMM.
class CrossAccumulator {
 public:
  CrossAccumulator(std::size_t rows, std::size_t columns, std::size_t capacity);
  // Slots for the next column pair; the caller writes rows and columns values.
  void next(double*& a, double*& b);
  void flush();
  const Buffer& sum() const { return H_; }  // rows x columns, column-major

 private:
  std::size_t rows_, columns_, capacity_, used_ = 0;
  Buffer A_, B_, H_;
};

// Columns per fold for rows + columns values each, at most `wanted`, within a fixed byte budget.
std::size_t crossChunk(std::size_t rows, std::size_t columns, std::size_t wanted);

// Test points `test` (Mt x inputDim, row-major; only x is read).
CrossKernel ntkCross(const NetView& net, const DataView& data, const DataView& test);
CrossKernel nntkCross(const NetView& net, const DataView& data, const DataView& test, const StepRequest& request);

}  // namespace nntk
