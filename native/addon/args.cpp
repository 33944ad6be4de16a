#include "args.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nntk::glue {
namespace {

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return "the number " + formatNumber(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsTypedArray()) return "a typed array of another element type";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  if (v.IsObject()) return "an object";
  return "a value of another type";
}

Napi::Float64Array asFloat64(const Napi::Value& v, const std::string& where) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    fail(ErrorCode::Argument, "expected a Float64Array for " + where + " but received " + describe(v));
  auto a = v.As<Napi::Float64Array>();
  // A detached buffer reads as zero-length; data() may then be null, so only a non-empty view is usable.
  if (a.ElementLength() > 0 && a.Data() == nullptr) fail(ErrorCode::Argument, where + " has no backing store");
  return a;
}

std::size_t asSize(const Napi::Value& v, const std::string& where, std::size_t max) {
  if (!v.IsNumber()) fail(ErrorCode::Argument, "expected an integer for " + where + " but received " + describe(v));
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!(x >= 0 && std::floor(x) == x && x <= static_cast<double>(max)))
    fail(ErrorCode::Argument, "expected an integer in [0, " + std::to_string(max) + "] for " + where + " but received " +
                                  describe(v));
  return static_cast<std::size_t>(x);
}

}  // namespace

void fail(ErrorCode code, const std::string& message) { throw Failure(code, message); }

std::size_t checkedProduct(std::size_t a, std::size_t b, const char* what, std::size_t limit) {
  if (a != 0 && b > limit / a)
    fail(ErrorCode::TooLarge, std::string(what) + " = " + std::to_string(a) + " x " + std::to_string(b) +
                                  " is too large");
  return a * b;
}

Fields::Fields(const Napi::Value& value, std::string what) : what_(std::move(what)) {
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray() || value.IsFunction())
    fail(ErrorCode::Argument, "expected an object for " + what_ + " but received " + describe(value));
  object_ = value.As<Napi::Object>();
}

std::string Fields::where(const char* key) const { return what_ + "." + key; }

bool Fields::has(const char* key) const {
  const Napi::Value v = object_.Get(key);
  return !v.IsUndefined();
}

Napi::Value Fields::get(const char* key) {
  read_.emplace_back(key);
  return object_.Get(key);
}

std::size_t Fields::size(const char* key, std::size_t max) { return asSize(get(key), where(key), max); }

double Fields::number(const char* key) {
  const Napi::Value v = get(key);
  if (!v.IsNumber()) fail(ErrorCode::Argument, "expected a number for " + where(key) + " but received " + describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

double Fields::finite(const char* key) {
  const double x = number(key);
  if (!std::isfinite(x)) fail(ErrorCode::NonFinite, "expected a finite number for " + where(key) + " but received " + formatNumber(x));
  return x;
}

bool Fields::flag(const char* key) {
  const Napi::Value v = get(key);
  if (!v.IsBoolean()) fail(ErrorCode::Argument, "expected a boolean for " + where(key) + " but received " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

std::string Fields::text(const char* key) {
  const Napi::Value v = get(key);
  if (!v.IsString()) fail(ErrorCode::Argument, "expected a string for " + where(key) + " but received " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

Napi::Float64Array Fields::float64(const char* key, std::size_t length) {
  Napi::Float64Array a = asFloat64(get(key), where(key));
  if (a.ElementLength() != length)
    fail(ErrorCode::Shape, where(key) + " has " + std::to_string(a.ElementLength()) + " entries, expected " +
                               std::to_string(length));
  return a;
}

Napi::Float64Array Fields::float64(const char* key) { return asFloat64(get(key), where(key)); }

Napi::Value Fields::raw(const char* key) { return get(key); }

std::optional<double> Fields::optionalFinite(const char* key) {
  if (!has(key)) {
    read_.emplace_back(key);
    return std::nullopt;
  }
  return finite(key);
}

void Fields::finish() const {
  const Napi::Array keys = object_.GetPropertyNames();
  for (std::uint32_t k = 0; k < keys.Length(); ++k) {
    const std::string key = keys.Get(k).ToString().Utf8Value();
    if (std::find(read_.begin(), read_.end(), key) == read_.end())
      fail(ErrorCode::Argument, "unknown field '" + key + "' in " + what_);
  }
}

Napi::Float64Array float64Argument(const Napi::Value& value, const char* what) { return asFloat64(value, what); }

double finiteArgument(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) fail(ErrorCode::Argument, std::string("expected a number for ") + what + " but received " + describe(value));
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) fail(ErrorCode::NonFinite, std::string("expected a finite number for ") + what);
  return x;
}

std::size_t sizeArgument(const Napi::Value& value, const char* what, std::size_t max) { return asSize(value, what, max); }

std::string textArgument(const Napi::Value& value, const char* what) {
  if (!value.IsString()) fail(ErrorCode::Argument, std::string("expected a string for ") + what + " but received " + describe(value));
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace nntk::glue
