#include "signed_gram.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "failure.hpp"

namespace nntk {

std::size_t gramChunkColumns(std::size_t M, std::size_t wanted) {
  const double budget = std::floor(kGramChunkBytes / (8.0 * static_cast<double>(std::max<std::size_t>(M, 1))));
  const std::size_t cap = budget < static_cast<double>(wanted) ? static_cast<std::size_t>(budget) : wanted;
  return std::max<std::size_t>(cap, 1);
}

std::size_t gramSlots(std::size_t count, std::size_t M, std::size_t minPerSlot) {
  const double m = static_cast<double>(std::max<std::size_t>(M, 1));
  const double fit = std::floor(kGramSlotBytes / (8.0 * m * m));
  const std::size_t cap = fit < static_cast<double>(kMaxSlots) ? std::max<std::size_t>(static_cast<std::size_t>(fit), 2) : kMaxSlots;
  return slotCount(count, minPerSlot, cap);
}

SignedGram::SignedGram(std::size_t M, std::size_t columns) : M_(M), capacity_(std::max<std::size_t>(columns, 1)) {}

double* SignedGram::nextColumn(bool positive) {
  Columns& c = positive ? positive_ : negative_;
  if (c.values.size() == 0)
    c.values = Buffer(M_ * capacity_, "the kernels' column buffers could not be allocated; use fewer data points");
  if (c.used == capacity_) fold(c, positive ? 1.0 : -1.0);
  return c.values.data() + M_ * c.used++;
}

// G += sign * V V^T with V the M x used column block (column-major, leading dimension M). The contiguous
// columns measured faster overall than the transposed layout, whose strided writes cost more than DSYRK gains.
void SignedGram::fold(Columns& c, double sign) {
  if (c.used == 0) return;
  const int M = static_cast<int>(M_);
  cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, M, static_cast<int>(c.used), sign, c.values.data(), M, 1.0, G_, M);
  c.used = 0;
}

void SignedGram::flush() {
  fold(positive_, 1.0);
  fold(negative_, -1.0);
}

}  // namespace nntk
