// Errors raised by the numerical core. The N-API glue turns each into a JavaScript NntkError carrying
// the same code (by name: the table below is exported and compared with src/errors.ts by a test), so
// the core never needs to know about JavaScript.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "names.hpp"

namespace nntk {

enum class ErrorCode : int { Argument, Shape, NonFinite, TooLarge, Singular, Numerical, Unsupported, NativeLoad, Internal };

template <>
struct EnumNames<ErrorCode> {
  static constexpr std::string_view kind = "errorCode";
  static constexpr NamedValue<ErrorCode> values[] = {
      {ErrorCode::Argument, "E_ARGUMENT"},   {ErrorCode::Shape, "E_SHAPE"},
      {ErrorCode::NonFinite, "E_NONFINITE"}, {ErrorCode::TooLarge, "E_TOO_LARGE"},
      {ErrorCode::Singular, "E_SINGULAR"},   {ErrorCode::Numerical, "E_NUMERICAL"},
      {ErrorCode::Unsupported, "E_UNSUPPORTED"}, {ErrorCode::NativeLoad, "E_NATIVE_LOAD"},
      {ErrorCode::Internal, "E_INTERNAL"}};
};

class Failure : public std::runtime_error {
 public:
  Failure(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }
  std::string_view codeName() const noexcept { return nameOf(code_); }

 private:
  ErrorCode code_;
};

// E_NONFINITE when the network produced NaN or Infinity: the parameters or inputs are too large for the activation.
inline void requireFinite(const double* values, std::size_t count, const char* what) {
  for (std::size_t k = 0; k < count; ++k)
    if (!std::isfinite(values[k]))
      throw Failure(ErrorCode::NonFinite, std::string("the network's ") + what +
                                              " is not finite at these parameters and data; they are too large for "
                                              "the activation, rescale them");
}

// A number in short scientific notation, for messages (std::to_string prints 1e-9 as 0.000000).
inline std::string formatNumber(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

}  // namespace nntk
