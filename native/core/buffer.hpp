// Owning, uninitialized double buffer. Large matrices (a dense Hessian can be gigabytes) must not
// pay for zero-filling they do not need, and an allocation failure must become an error code,
// never an abort of the user's process.
#pragma once
#include <cstddef>
#include <memory>
#include <new>
#include <string>

#include "failure.hpp"

namespace nntk {

class Buffer {
 public:
  Buffer() = default;
  // advice: what the caller's path can do about a failed allocation, for the E_TOO_LARGE message.
  explicit Buffer(std::size_t n, const char* advice = "reduce the problem size") : n_(n) {
    if (n == 0) return;
    try {
      data_ = std::make_unique_for_overwrite<double[]>(n);
    } catch (const std::bad_alloc&) {
      throw Failure(ErrorCode::TooLarge, "could not allocate " + std::to_string(n * sizeof(double) >> 20) + " MiB; " + advice);
    }
  }
  double* data() noexcept { return data_.get(); }
  const double* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return n_; }
  double& operator[](std::size_t i) noexcept { return data_[i]; }
  double operator[](std::size_t i) const noexcept { return data_[i]; }
  void fill(double v) noexcept {
    for (std::size_t i = 0; i < n_; ++i) data_[i] = v;
  }

 private:
  std::unique_ptr<double[]> data_;
  std::size_t n_ = 0;
};

}  // namespace nntk
