// Thin wrappers over native/core/limit_kernel.hpp: a blocking ...Sync entry point on the JavaScript
// array and a Promise one on a copy. Arguments were validated in TypeScript
// (src/limit.ts); the checks here only guard the raw addon against misuse.
#include "limit_glue.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "convert.hpp"
#include "core/limit_kernel.hpp"
#include "promise_worker.hpp"

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
  const Napi::Value act = info[3];
  const double index = act.IsNumber() ? act.As<Napi::Number>().DoubleValue() : -1.0;
  if (!(index >= 0 && index < kActivationCount && std::floor(index) == index))
    throw makeError(info.Env(), "E_ARGUMENT", "unknown activation index");
  a.activation = static_cast<Activation>(static_cast<int>(index));
  return a;
}

double gammaArgument(const Napi::CallbackInfo& info) {
  const Napi::Value g = info[4];
  const double gamma = g.IsNumber() ? g.As<Napi::Number>().DoubleValue() : -1.0;
  if (!(gamma >= 0 && std::isfinite(gamma))) throw makeError(info.Env(), "E_ARGUMENT", "expected a finite number >= 0 for gamma");
  return gamma;
}

// ntkGramLimitSync(x, M, d, activationIndex) -> B* (M x M, row-major); MATH.md section 5. Blocks.
Napi::Value NtkGramLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    ntkLimitGram(a.activation, a.M, a.d, a.x, out.Data());
    return out;
  });
}

// nntkGramLimitSync(x, M, d, activationIndex, gamma) -> B* (B* + gamma I)^-1 (M x M, row-major); MATH.md section 5.
Napi::Value NntkGramLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    const double gamma = gammaArgument(info);
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    nntkLimitGram(a.activation, a.M, a.d, a.x, gamma, out.Data());
    return out;
  });
}

Napi::Value matrixToJs(Napi::Env env, const std::vector<double>& values) { return toFloat64Array(env, values); }

// ntkGramLimit(x, M, d, activationIndex) -> Promise of B*: x is copied here, the quadrature runs on the
// thread pool while JavaScript goes on.
Napi::Value NtkGramLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    auto x = std::make_shared<const std::vector<double>>(a.x, a.x + a.M * a.d);
    return PromiseWorker<std::vector<double>>::start(
        info.Env(),
        [x, activation = a.activation, M = a.M, d = a.d] {
          std::vector<double> out(M * M);
          ntkLimitGram(activation, M, d, x->data(), out.data());
          return out;
        },
        matrixToJs);
  });
}

// nntkGramLimit(x, M, d, activationIndex, gamma) -> Promise of B* (B* + gamma I)^-1, computed as above;
// a singular B* + gamma I rejects it with E_SINGULAR.
Napi::Value NntkGramLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    const double gamma = gammaArgument(info);
    auto x = std::make_shared<const std::vector<double>>(a.x, a.x + a.M * a.d);
    return PromiseWorker<std::vector<double>>::start(
        info.Env(),
        [x, activation = a.activation, M = a.M, d = a.d, gamma] {
          std::vector<double> out(M * M);
          nntkLimitGram(activation, M, d, x->data(), gamma, out.data());
          return out;
        },
        matrixToJs);
  });
}

}  // namespace

void registerLimitKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("ntkGramLimitSync", Napi::Function::New(env, NtkGramLimitSync));
  exports.Set("ntkGramLimit", Napi::Function::New(env, NtkGramLimit));
  exports.Set("nntkGramLimitSync", Napi::Function::New(env, NntkGramLimitSync));
  exports.Set("nntkGramLimit", Napi::Function::New(env, NntkGramLimit));
}

}  // namespace nntk::glue
