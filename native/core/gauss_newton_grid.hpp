// The Gauss-Newton one-step grid (docs/MATH.md section 6): everything that does not depend on the target
// or on lambda is computed once. Pass 1 streams the neurons in blocks: sigma and sigma' at theta_0,
// f_0 and B = J J^T / M (DSYRK). Each (target, lambda) then costs an M x M Cholesky. Pass 2 streams the
// neurons again: all the steps of a block at once, Delta = J_block^T A (DGEMM, A = M x C coefficient
// vectors), and every stepped network's outputs, with tanh(z + delta) by its Taylor series around z
// (native/core/tanh_taylor.hpp) where the per-neuron update is small, which it is at large widths.
#pragma once
#include <vector>

#include "buffer.hpp"
#include "model.hpp"

namespace nntk {

class GaussNewtonGrid {
 public:
  GaussNewtonGrid(const NetView& net, const DataView& data);
  const std::vector<double>& f0() const { return f0_; }
  const std::vector<double>& ntk() const { return ntk_; }
  // For C coefficient vectors (A: M x C, row-major; step_c = J^T A[:, c]): the outputs f_1 of each stepped
  // network (C x M, row-major), the largest per-neuron update norm and the step norm of each.
  void applySteps(const std::vector<double>& A, std::size_t C, std::vector<double>& f1, std::vector<double>& maxUpdate,
                  std::vector<double>& stepNorm) const;

 private:
  // sigma (s0) and sigma' (s1) of neurons [first, first + n) at every point, neuron-major (n x M).
  void blockValues(std::size_t first, std::size_t n, double* z, double* s0, double* s1) const;

  NetView net_;
  DataView data_;
  std::vector<double> f0_, ntk_;
  Buffer s0_, s1_;  // kept from pass 1 when they fit the memory budget (N x M each)
};

}  // namespace nntk
