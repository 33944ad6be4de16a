// Kernel Gram matrices of docs/MATH.md section 5, streamed over neurons (no M x P Jacobian held).
#pragma once
#include <vector>

#include "model.hpp"
#include "step.hpp"

namespace nntk {

struct Gram {
  std::size_t size = 0;         // M
  std::vector<double> values;   // M x M, row-major, symmetric
};

// The NTK Gram B = J J^T / M, by DSYRK on chunks of Jacobian columns.
Gram ntkGram(const NetView& net, const DataView& data);
// The NNTK J (C + lambda I)^-1 J^T / M through the structured system: = G (M I + G)^-1 when no block is
// deflated, B (B + lambda I)^-1 for Gauss-Newton.
Gram nntkGram(const NetView& net, const DataView& data, const StepRequest& request);

}  // namespace nntk
