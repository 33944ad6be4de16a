// Thin wrappers over native/core/limit_kernel.hpp: a blocking ...Sync entry point on the JavaScript
// arrays and a Promise one on copies. Arguments were validated in TypeScript (src/limit.ts); the checks
// here (the strict positional readers of args.hpp) only guard the raw addon against misuse, and all of
// them run before any work is queued.
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

// An optional trailing method name: 'auto' (also when absent), 'closed-form', 'grid', 'pair-quadrature'.
LimitMethod methodArgument(const Napi::CallbackInfo& info, std::size_t index, Activation act, std::size_t d) {
  LimitMethod method = LimitMethod::Auto;
  if (info.Length() > index && !info[index].IsUndefined()) {
    const std::string name = textArgument(info[index], "method");
    if (name == "auto") method = LimitMethod::Auto;
    else if (name == "closed-form") method = LimitMethod::ClosedForm;
    else if (name == "grid") method = LimitMethod::SharedGrid;
    else if (name == "pair-quadrature") method = LimitMethod::PairQuadrature;
    else fail(ErrorCode::Argument, "unknown limit kernel method '" + name + "'; expected 'auto', 'closed-form', 'grid' or 'pair-quadrature'");
  }
  resolveLimitMethod(act, d, method);  // E_ARGUMENT now, not from the worker
  return method;
}

// An optional trailing { trainable: a string of 'W', 'b', 'c' such as "Wb", outputMoment: E[c^2] > 0 }: the
// terms of B* a network with frozen groups or other output weights keeps (docs/MATH.md section 1.2). Absent:
// every group and E[c^2] = 1/3.
LimitTerms termsArgument(const Napi::CallbackInfo& info, std::size_t index) {
  LimitTerms t;
  if (info.Length() <= index || info[index].IsUndefined()) return t;
  Fields f(info[index], "the limit kernel's terms");
  const std::string names = f.text("trainable");
  t.W = names.find('W') != std::string::npos;
  t.b = names.find('b') != std::string::npos;
  t.c = names.find('c') != std::string::npos;
  if (names.empty() || names.find_first_not_of("Wbc") != std::string::npos ||
      names.size() != static_cast<std::size_t>(t.W) + static_cast<std::size_t>(t.b) + static_cast<std::size_t>(t.c))
    fail(ErrorCode::Argument, "the limit kernel's trainable groups '" + names + "' must name each of W, b, c at most once (e.g. \"Wb\")");
  t.outputMoment = f.finite("outputMoment");
  if (!(t.outputMoment > 0)) fail(ErrorCode::Argument, "the limit kernel's outputMoment E[c^2] must be positive");
  f.finish();
  return t;
}

// A Float64Array of exactly rows * d entries.
const double* rowsArgument(const Napi::Value& value, const char* what, std::size_t rows, std::size_t d) {
  const auto values = float64Argument(value, what);
  const std::size_t expected = checkedProduct(rows, d, "rows * d", kMaxDataValues);
  if (values.ElementLength() != expected)
    fail(ErrorCode::Shape, std::string(what) + " has " + std::to_string(values.ElementLength()) + " entries, expected " +
                               std::to_string(rows) + " * " + std::to_string(d));
  return values.Data();
}

std::size_t positiveSize(const Napi::Value& value, const char* what) {
  const std::size_t n = sizeArgument(value, what, kMaxDataValues);
  if (n == 0) fail(ErrorCode::Argument, std::string("expected a positive integer for ") + what);
  return n;
}

struct LimitArguments {
  const double* x = nullptr;
  std::size_t M = 0, d = 0;
  Activation activation = Activation::Tanh;
  LimitMethod method = LimitMethod::Auto;
  LimitTerms terms;
};

// (x: Float64Array of M * d entries, M, d, activation name[, method[, terms]]) or, for the NNTK,
// (x, M, d, activation name, gamma[, terms]); the M x M result must stay under 2^29 entries.
LimitArguments limitArguments(const Napi::CallbackInfo& info, bool withMethod) {
  LimitArguments a;
  a.M = sizeArgument(info[1], "M", kMaxDataValues);
  a.d = sizeArgument(info[2], "d", kMaxDataValues);
  if (a.M == 0 || a.d == 0) fail(ErrorCode::Argument, "expected positive integers for M and d");
  checkedProduct(a.M, a.M, "the M x M kernel", kMaxDataValues);
  a.x = rowsArgument(info[0], "x", a.M, a.d);
  a.activation = enumArgument<Activation>(info[3], "activation");
  if (withMethod) a.method = methodArgument(info, 4, a.activation, a.d);
  a.terms = termsArgument(info, 5);
  return a;
}

// (test: Mt * d entries, Mt, x: M * d entries, M, d, activation name[, method]); Mt x M under 2^29 entries.
struct CrossArguments {
  const double* test = nullptr;
  const double* x = nullptr;
  std::size_t Mt = 0, M = 0, d = 0;
  Activation activation = Activation::Tanh;
  LimitMethod method = LimitMethod::Auto;
  LimitTerms terms;
};
CrossArguments crossArguments(const Napi::CallbackInfo& info) {
  CrossArguments a;
  a.Mt = positiveSize(info[1], "Mt");
  a.M = positiveSize(info[3], "M");
  a.d = positiveSize(info[4], "d");
  checkedProduct(a.Mt, a.M, "the Mt x M cross kernel", kMaxDataValues);
  a.test = rowsArgument(info[0], "test", a.Mt, a.d);
  a.x = rowsArgument(info[2], "x", a.M, a.d);
  a.activation = enumArgument<Activation>(info[5], "activation");
  a.method = methodArgument(info, 6, a.activation, a.d);
  a.terms = termsArgument(info, 7);
  return a;
}

// (test: Mt * d entries, Mt, d, M, activation name[, method]).
struct DiagonalArguments {
  const double* test = nullptr;
  std::size_t Mt = 0, d = 0, M = 0;
  Activation activation = Activation::Tanh;
  LimitMethod method = LimitMethod::Auto;
  LimitTerms terms;
};
DiagonalArguments diagonalArguments(const Napi::CallbackInfo& info) {
  DiagonalArguments a;
  a.Mt = positiveSize(info[1], "Mt");
  a.d = positiveSize(info[2], "d");
  a.M = positiveSize(info[3], "M");
  a.test = rowsArgument(info[0], "test", a.Mt, a.d);
  a.activation = enumArgument<Activation>(info[4], "activation");
  a.method = methodArgument(info, 5, a.activation, a.d);
  a.terms = termsArgument(info, 6);
  return a;
}

double gammaArgument(const Napi::CallbackInfo& info) {
  const double gamma = finiteArgument(info[4], "gamma");
  if (!(gamma >= 0)) fail(ErrorCode::Argument, "expected a finite number >= 0 for gamma");
  return gamma;
}

std::shared_ptr<const std::vector<double>> copyOf(const double* values, std::size_t n) {
  return std::make_shared<const std::vector<double>>(values, values + n);
}

Napi::Value matrixToJs(Napi::Env env, const std::vector<double>& values) { return toFloat64Array(env, values); }

// ntkGramLimitSync(x, M, d, activation name[, method]) -> B* (M x M, row-major); MATH.md section 5. Blocks.
Napi::Value NtkGramLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info, true);
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    ntkLimitGram(a.activation, a.M, a.d, a.x, out.Data(), a.method, a.terms);
    return out;
  });
}

// nntkGramLimitSync(x, M, d, activation name, gamma) -> B* (B* + gamma I)^-1 (M x M, row-major); MATH.md section 5.
Napi::Value NntkGramLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info, false);
    const double gamma = gammaArgument(info);
    auto out = newFloat64Array(info.Env(), a.M * a.M);
    nntkLimitGram(a.activation, a.M, a.d, a.x, gamma, out.Data(), a.terms);
    return out;
  });
}

// ntkGramLimit(x, M, d, activation name[, method]) -> Promise of B*: x is copied here, the computation runs
// on a thread of its own (long_call.hpp) while JavaScript goes on.
Napi::Value NtkGramLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info, true);
    auto x = copyOf(a.x, a.M * a.d);
    return PromiseWorker<std::vector<double>>::start(
        info.Env(),
        [x, a] {
          std::vector<double> out(a.M * a.M);
          ntkLimitGram(a.activation, a.M, a.d, x->data(), out.data(), a.method, a.terms);
          return out;
        },
        matrixToJs);
  });
}

// nntkGramLimit(x, M, d, activation name, gamma) -> Promise of B* (B* + gamma I)^-1, computed as above;
// a singular B* + gamma I rejects it with E_SINGULAR.
Napi::Value NntkGramLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LimitArguments a = limitArguments(info, false);
    const double gamma = gammaArgument(info);
    auto x = copyOf(a.x, a.M * a.d);
    return PromiseWorker<std::vector<double>>::start(
        info.Env(),
        [x, a, gamma] {
          std::vector<double> out(a.M * a.M);
          nntkLimitGram(a.activation, a.M, a.d, x->data(), gamma, out.data(), a.terms);
          return out;
        },
        matrixToJs);
  });
}

// ntkCrossLimitSync(test, Mt, x, M, d, activation name[, method]) -> B*(test, x) (Mt x M, row-major, with
// the Gram's 1/M); MATH.md section 5.
Napi::Value NtkCrossLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const CrossArguments a = crossArguments(info);
    auto out = newFloat64Array(info.Env(), a.Mt * a.M);
    ntkLimitCross(a.activation, a.Mt, a.test, a.M, a.x, a.d, out.Data(), a.method, a.terms);
    return out;
  });
}

// ntkCrossLimit(...) -> Promise of the same, on copies of test and x.
Napi::Value NtkCrossLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const CrossArguments a = crossArguments(info);
    auto test = copyOf(a.test, a.Mt * a.d), x = copyOf(a.x, a.M * a.d);
    return PromiseWorker<std::vector<double>>::start(
        info.Env(),
        [test, x, a] {
          std::vector<double> out(a.Mt * a.M);
          ntkLimitCross(a.activation, a.Mt, test->data(), a.M, x->data(), a.d, out.data(), a.method, a.terms);
          return out;
        },
        matrixToJs);
  });
}

// ntkDiagonalLimitSync(test, Mt, d, M, activation name[, method]) -> B*(x_t, x_t) with 1/M (length Mt).
Napi::Value NtkDiagonalLimitSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const DiagonalArguments a = diagonalArguments(info);
    auto out = newFloat64Array(info.Env(), a.Mt);
    ntkLimitDiagonal(a.activation, a.Mt, a.test, a.d, a.M, out.Data(), a.method, a.terms);
    return out;
  });
}

// ntkDiagonalLimit(...) -> Promise of the same, on a copy of test.
Napi::Value NtkDiagonalLimit(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const DiagonalArguments a = diagonalArguments(info);
    auto test = copyOf(a.test, a.Mt * a.d);
    return PromiseWorker<std::vector<double>>::start(
        info.Env(),
        [test, a] {
          std::vector<double> out(a.Mt);
          ntkLimitDiagonal(a.activation, a.Mt, test->data(), a.d, a.M, out.data(), a.method, a.terms);
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
  exports.Set("ntkCrossLimitSync", Napi::Function::New(env, NtkCrossLimitSync));
  exports.Set("ntkCrossLimit", Napi::Function::New(env, NtkCrossLimit));
  exports.Set("ntkDiagonalLimitSync", Napi::Function::New(env, NtkDiagonalLimitSync));
  exports.Set("ntkDiagonalLimit", Napi::Function::New(env, NtkDiagonalLimit));
}

}  // namespace nntk::glue
