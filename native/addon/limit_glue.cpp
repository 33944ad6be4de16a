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

struct LimitArguments {
  const double* x = nullptr;
  std::size_t M = 0, d = 0;
  Activation activation = Activation::Tanh;
};

// (x: Float64Array of M * d entries, M, d, activation name); the M x M result must stay under 2^29 entries.
LimitArguments limitArguments(const Napi::CallbackInfo& info) {
  LimitArguments a;
  a.M = sizeArgument(info[1], "M", kMaxDataValues);
  a.d = sizeArgument(info[2], "d", kMaxDataValues);
  if (a.M == 0 || a.d == 0) fail(ErrorCode::Argument, "expected positive integers for M and d");
  checkedProduct(a.M, a.M, "the M x M kernel", kMaxDataValues);
  const auto values = float64Argument(info[0], "x");
  if (values.ElementLength() != checkedProduct(a.M, a.d, "M * d", kMaxDataValues))
    fail(ErrorCode::Shape, "x has " + std::to_string(values.ElementLength()) + " entries, expected M * d = " +
                               std::to_string(a.M) + " * " + std::to_string(a.d));
  a.x = values.Data();
  a.activation = enumArgument<Activation>(info[3], "activation");
  return a;
}

double gammaArgument(const Napi::CallbackInfo& info) {
  const double gamma = finiteArgument(info[4], "gamma");
  if (!(gamma >= 0)) fail(ErrorCode::Argument, "expected a finite number >= 0 for gamma");
  return gamma;
}

// ntkGramLimitSync(x, M, d, activation name) -> B* (M x M, row-major); MATH.md section 5. Blocks.
Napi::Value NtkGramLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info);
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    ntkLimitGram(a.activation, a.M, a.d, a.x, out.Data());
    return out;
  });
}

// nntkGramLimitSync(x, M, d, activation name, gamma) -> B* (B* + gamma I)^-1 (M x M, row-major); MATH.md section 5.
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

// ntkGramLimit(x, M, d, activation name) -> Promise of B*: x is copied here, the quadrature runs on the
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

// nntkGramLimit(x, M, d, activation name, gamma) -> Promise of B* (B* + gamma I)^-1, computed as above;
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
