// Owning, uninitialized double buffer. Large matrices (a dense Hessian can be gigabytes) must not
// pay for zero-filling they do not need, and an allocation failure must become an error code,
// never an abort of the user's process. The storage is 64-byte aligned: some OpenBLAS kernels (DASUM,
// inside the DPOCON / DSYCON condition estimates) sum in an order that depends on the address's
// alignment, so a fixed alignment keeps results the same from call to call (docs/MATH.md section 4,
// "Thread-count independence").
#pragma once
#include <cstddef>
#include <memory>
#include <new>
#include <string>

#include "failure.hpp"

namespace nntk {

class Buffer {
 public:
  static constexpr std::size_t kAlignment = 64;
  Buffer() = default;
  // advice: what the caller's path can do about a failed allocation, for the E_TOO_LARGE message.
  explicit Buffer(std::size_t n, const char* advice = "reduce the problem size") : n_(n) {
    if (n == 0) return;
    try {
      data_.reset(static_cast<double*>(::operator new[](n * sizeof(double), std::align_val_t{kAlignment})));
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
  struct Release {
    void operator()(double* p) const noexcept { ::operator delete[](p, std::align_val_t{kAlignment}); }
  };
  std::unique_ptr<double[], Release> data_;
  std::size_t n_ = 0;
};

}  // namespace nntk
