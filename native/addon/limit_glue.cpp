// Thin wrappers over native/core/limit_kernel.hpp. Arguments were validated in TypeScript
// (src/limit.ts); the checks here only guard the raw addon against misuse.
#include "limit_glue.hpp"

#include <cmath>
#include <string>

#include "convert.hpp"
#include "core/limit_kernel.hpp"

namespace nntk::glue {
namespace {

std::size_t sizeArgument(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value v = info[index];
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1.0;
  if (!(x >= 1 && x <= 9007199254740991.0 && std::floor(x) == x))
    throw makeError(info.Env(), "E_ARGUMENT", std::string("expected a positive integer for ") + name);
  return static_cast<std::size_t>(x);
}

struct LimitArguments {
  const double* x = nullptr;
  std::size_t M = 0, d = 0;
  Activation activation = Activation::Tanh;
};

// (x: Float64Array of M * d entries, M, d, activationIndex)
LimitArguments limitArguments(const Napi::CallbackInfo& info) {
  LimitArguments a;
  a.M = sizeArgument(info, 1, "M");
  a.d = sizeArgument(info, 2, "d");
  const Napi::Value x = info[0];
  if (!x.IsTypedArray() || x.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw makeError(info.Env(), "E_ARGUMENT", "expected a Float64Array for x");
  const auto values = x.As<Napi::Float64Array>();
  if (values.ElementLength() / a.d != a.M || values.ElementLength() % a.d != 0)
    throw makeError(info.Env(), "E_SHAPE", "x has " + std::to_string(values.ElementLength()) + " entries, expected M * d = " +
                                               std::to_string(a.M) + " * " + std::to_string(a.d));
  a.x = values.Data();
  a.activation = enumArgument<Activation>(info[3], "activation");
  return a;
}

// ntkGramLimit(x, M, d, activationIndex) -> B* (M x M, row-major); MATH.md section 5.
Napi::Value NtkGramLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    ntkLimitGram(a.activation, a.M, a.d, a.x, out.Data());
    return out;
  });
}

// nntkGramLimit(x, M, d, activationIndex, gamma) -> B* (B* + gamma I)^-1 (M x M, row-major); MATH.md section 5.
Napi::Value NntkGramLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    const Napi::Value g = info[4];
    const double gamma = g.IsNumber() ? g.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(gamma >= 0 && std::isfinite(gamma)))
      throw makeError(info.Env(), "E_ARGUMENT", "expected a finite number >= 0 for gamma");
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    nntkLimitGram(a.activation, a.M, a.d, a.x, gamma, out.Data());
    return out;
  });
}

}  // namespace

void registerLimitKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("ntkGramLimit", Napi::Function::New(env, NtkGramLimit));
  exports.Set("nntkGramLimit", Napi::Function::New(env, NntkGramLimit));
}

}  // namespace nntk::glue
