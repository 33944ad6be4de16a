// The one strict argument reader of the glue. Every object the addon receives is read through a
// Fields reader: each field has a declared type, a missing or mistyped field is an NntkError
// (E_ARGUMENT; E_SHAPE for a wrong length), and finish() rejects any field that was not read, so a
// misspelt option is an error instead of a silent default. The TypeScript layer validates first
// (src/request.ts); these checks are what keeps a caller of the raw addon from crashing the process.
#pragma once
#include <napi.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/failure.hpp"
#include "core/names.hpp"

namespace nntk::glue {

// A Failure thrown by the glue; guarded() turns it into an NntkError like the core's.
[[noreturn]] void fail(ErrorCode code, const std::string& message);

// a * b, or E_TOO_LARGE when it overflows std::size_t or exceeds limit.
std::size_t checkedProduct(std::size_t a, std::size_t b, const char* what, std::size_t limit = SIZE_MAX);

class Fields {
 public:
  Fields(const Napi::Value& value, std::string what);

  bool has(const char* key) const;
  // A non-negative integer up to max (JavaScript number).
  std::size_t size(const char* key, std::size_t max = std::size_t{1} << 53);
  double number(const char* key);  // any number, NaN and infinities included
  double finite(const char* key);  // a finite number
  bool flag(const char* key);
  std::string text(const char* key);
  template <typename E>
  E enumeration(const char* key) {
    const std::string name = text(key);
    if (const std::optional<E> v = fromName<E>(name)) return *v;
    fail(ErrorCode::Argument, "unknown " + std::string(EnumNames<E>::kind) + " '" + name + "' for " + where(key) +
                                  "; expected " + acceptedNames<E>());
  }
  // A Float64Array of exactly `length` entries (a zero-copy view: valid while JavaScript is blocked).
  Napi::Float64Array float64(const char* key, std::size_t length);
  // A Float64Array of any length.
  Napi::Float64Array float64(const char* key);
  Napi::Value raw(const char* key);  // any value; the caller reads it with its own Fields or checks
  // Optional fields: absent (or undefined) gives the fallback.
  std::optional<double> optionalFinite(const char* key);
  // Every own enumerable field must have been read.
  void finish() const;

  const std::string& what() const { return what_; }

 private:
  Napi::Value get(const char* key);
  std::string where(const char* key) const;

  Napi::Object object_;
  std::string what_;
  std::vector<std::string> read_;
};

// Values that are not fields of an object (positional arguments).
Napi::Float64Array float64Argument(const Napi::Value& value, const char* what);
double finiteArgument(const Napi::Value& value, const char* what);
std::size_t sizeArgument(const Napi::Value& value, const char* what, std::size_t max = std::size_t{1} << 53);
std::string textArgument(const Napi::Value& value, const char* what);
template <typename E>
E enumArgument(const Napi::Value& value, const char* what) {
  const std::string name = textArgument(value, what);
  if (const std::optional<E> v = fromName<E>(name)) return *v;
  fail(ErrorCode::Argument, "unknown " + std::string(EnumNames<E>::kind) + " '" + name + "' for " + what + "; expected " +
                                acceptedNames<E>());
}

}  // namespace nntk::glue
