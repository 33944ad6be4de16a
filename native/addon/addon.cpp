// N-API entry points. Each is a thin wrapper: read its arguments with the strict reader (args.hpp;
// TypeScript has validated them already), call the core, convert the result. Nothing numerical lives here.
#include <cblas.h>
#include <napi.h>

#include <algorithm>
#include <cstdint>

#include "contract.hpp"
#include "convert.hpp"
#include "eigen_glue.hpp"
#include "limit_glue.hpp"
#include "one_step_glue.hpp"
#include "spectrum_glue.hpp"
#include "cross_glue.hpp"
#include "train_glue.hpp"
#include "core/blas_bench.hpp"
#include "core/blas_threads.hpp"
#include "core/kernels.hpp"
#include "core/structured_system.hpp"
#include "core/dense_solver.hpp"
#include "core/primal_gauss_newton.hpp"
#include "core/model.hpp"
#include "core/random.hpp"
#include "long_call.hpp"
#include "promise_worker.hpp"

namespace nntk::glue {
namespace {

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass expects a constructor");
  info.Env().GetInstanceData<AddonState>()->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// initialize(seed, width, inputDim) -> { W, b, c } with the paper's initialization (MATH.md section 1).
Napi::Value Initialize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const auto seed = static_cast<std::uint64_t>(sizeArgument(info[0], "seed"));
    const std::size_t width = sizeArgument(info[1], "width", kMaxParameterCount);
    const std::size_t inputDim = sizeArgument(info[2], "inputDim", kMaxParameterCount);
    if (width == 0 || inputDim == 0) fail(ErrorCode::Shape, "a network needs width >= 1 and inputDim >= 1");
    checkedProduct(width, inputDim + 2, "the parameter count width * (inputDim + 2)", kMaxParameterCount);
    auto W = newFloat64Array(env, width * inputDim), b = newFloat64Array(env, width), c = newFloat64Array(env, width);
    initializeParameters(seed, width, inputDim, W.Data(), b.Data(), c.Data());
    auto out = Napi::Object::New(env);
    out.Set("W", W);
    out.Set("b", b);
    out.Set("c", c);
    return out;
  });
}

// A network and a data set that agree, read from the first two arguments.
struct Problem {
  NetView net;
  DataView data;
};
Problem problem(const Napi::CallbackInfo& info) {
  Problem p{netView(info[0]), dataView(info[1])};
  requireAgreement(p.net, p.data);
  return p;
}

Napi::Value Predict(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    auto x = float64Argument(info[1], "x");
    if (x.ElementLength() % net.inputDim != 0)
      fail(ErrorCode::Shape, "x holds " + std::to_string(x.ElementLength()) + " numbers, not a whole number of rows of inputDim " +
                                 std::to_string(net.inputDim));
    const std::size_t count = x.ElementLength() / net.inputDim;
    auto out = newFloat64Array(info.Env(), count);
    predict(net, x.Data(), count, out.Data());
    requireFinite(out.Data(), count, "output");
    return out;
  });
}

Napi::Value Loss(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Problem p = problem(info);
    std::vector<double> r(p.data.size);
    const double loss = residual(p.net, p.data, r.data());
    requireFinite(&loss, 1, "loss");
    return Napi::Number::New(info.Env(), loss);
  });
}

Napi::Value Gradient(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Problem p = problem(info);
    std::vector<double> r(p.data.size);
    residual(p.net, p.data, r.data());
    auto g = newFloat64Array(info.Env(), p.net.parameterCount());
    gradient(p.net, p.data, r.data(), g.Data());
    requireFinite(g.Data(), g.ElementLength(), "gradient");
    return g;
  });
}

Napi::Value Jacobian(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Problem p = problem(info);
    const std::size_t entries = checkedProduct(p.data.size, p.net.parameterCount(), "the Jacobian's M x P entries");
    auto J = newFloat64Array(info.Env(), entries);
    jacobianRows(p.net, p.data, J.Data());
    requireFinite(J.Data(), J.ElementLength(), "Jacobian");
    return J;
  });
}

// curvature(net, data, curvature) -> P x P Hessian ('newton') or Gauss-Newton matrix ('gauss-newton').
Napi::Value CurvatureMatrix(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Problem p = problem(info);
    const auto which = enumArgument<Curvature>(info[2], "curvature");
    const std::size_t P = p.net.parameterCount();
    auto H = newFloat64Array(info.Env(), checkedProduct(P, P, "the dense P x P matrix"));
    denseCurvature(p.net, p.data, which, H.Data());
    requireFinite(H.Data(), H.ElementLength(), "Hessian");
    return H;
  });
}

// A computation on (network, data, request). The sync entry point runs it on zero-copy views of the
// JavaScript arrays while JavaScript waits; the async one copies them on this thread and runs as a long
// call (long_call.hpp).
template <auto Compute, auto ToJs>
Napi::Value runSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const Problem p = problem(info);
    const auto result = Compute(p.net, p.data, stepRequest(info[2]));
    requireFiniteResult(result);
    return ToJs(info.Env(), result);
  });
}

template <auto Compute, auto ToJs>
Napi::Value runAsync(const Napi::CallbackInfo& info) {
  using Result = decltype(Compute(NetView{}, DataView{}, StepRequest{}));
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto net = std::make_shared<const OwnedNet>(ownNet(info[0]));
    auto data = std::make_shared<const OwnedData>(ownData(info[1]));
    requireAgreement(net->view(), data->view());
    const StepRequest request = stepRequest(info[2]);
    return PromiseWorker<Result>::start(
        info.Env(),
        [net, data, request] {
          auto result = Compute(net->view(), data->view(), request);
          requireFiniteResult(result);
          return result;
        },
        ToJs);
  });
}

ExtremalSpectrum extremalSpectrum(const NetView& net, const DataView& data, const StepRequest& request) {
  StructuredOptions options = structuredOptions(request);
  options.cacheTransformed = true;
  return StructuredSystem(net, data, request.curvature, request.lambda, options).extremal();
}

Gram ntkGramOf(const NetView& net, const DataView& data, const StepRequest&) { return ntkGram(net, data); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::size_t n = sizeArgument(info[0], "threads", 1024);
    if (n == 0) fail(ErrorCode::Argument, "threads must be at least 1");
    setConfiguredThreads(n);
    return info.Env().Undefined();
  });
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(configuredThreads()));
}

// setCallPlacement('thread' | 'pool'): where async calls run from now on (long_call.hpp); for
// bench/event-loop.ts, which compares the two in one process. Not part of the public API.
Napi::Value SetCallPlacement(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
    if (name != "thread" && name != "pool") fail(ErrorCode::Argument, "the call placement must be 'thread' or 'pool'");
    setCallPlacement(name == "thread" ? CallPlacement::OwnThread : CallPlacement::LibuvPool);
    return info.Env().Undefined();
  });
}

Napi::Value DgemmRate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::size_t n = sizeArgument(info[0], "n", 8192);
    return Napi::Number::New(info.Env(), dgemmRate(n, static_cast<int>(sizeArgument(info[1], "repeats", 1000))));
  });
}

Napi::Value DsyrkRate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::size_t n = sizeArgument(info[0], "n", 8192), k = sizeArgument(info[1], "k", std::size_t{1} << 24);
    checkedProduct(n, k, "n * k", std::size_t{1} << 28);
    return Napi::Number::New(info.Env(), dsyrkRate(n, k, static_cast<int>(sizeArgument(info[2], "repeats", 1000))));
  });
}

Napi::Value TanhRate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::size_t n = sizeArgument(info[0], "n", std::size_t{1} << 28);
    const int passes = static_cast<int>(sizeArgument(info[1], "passes", 1000));
    return Napi::Number::New(info.Env(), tanhRate(n, passes, static_cast<int>(sizeArgument(info[2], "repeats", 1000))));
  });
}

}  // namespace

Napi::Object registerAddon(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonState());
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("initialize", Napi::Function::New(env, Initialize));
  exports.Set("predict", Napi::Function::New(env, Predict));
  exports.Set("loss", Napi::Function::New(env, Loss));
  exports.Set("gradient", Napi::Function::New(env, Gradient));
  exports.Set("jacobian", Napi::Function::New(env, Jacobian));
  exports.Set("curvature", Napi::Function::New(env, CurvatureMatrix));
  exports.Set("denseStepSync", Napi::Function::New(env, runSync<denseStep, stepToJs>));
  exports.Set("denseStep", Napi::Function::New(env, runAsync<denseStep, stepToJs>));
  exports.Set("primalStepSync", Napi::Function::New(env, runSync<primalGaussNewtonStep, stepToJs>));
  exports.Set("primalStep", Napi::Function::New(env, runAsync<primalGaussNewtonStep, stepToJs>));
  exports.Set("structuredStepSync", Napi::Function::New(env, runSync<structuredStep, stepToJs>));
  exports.Set("structuredStep", Napi::Function::New(env, runAsync<structuredStep, stepToJs>));
  exports.Set("ntkGramSync", Napi::Function::New(env, runSync<ntkGramOf, gramToJs>));
  exports.Set("ntkGram", Napi::Function::New(env, runAsync<ntkGramOf, gramToJs>));
  exports.Set("nntkGramSync", Napi::Function::New(env, runSync<nntkGram, gramToJs>));
  exports.Set("nntkGram", Napi::Function::New(env, runAsync<nntkGram, gramToJs>));
  exports.Set("curvatureSpectrumSync", Napi::Function::New(env, runSync<extremalSpectrum, spectrumToJs>));
  exports.Set("curvatureSpectrum", Napi::Function::New(env, runAsync<extremalSpectrum, spectrumToJs>));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("setCallPlacement", Napi::Function::New(env, SetCallPlacement));
  exports.Set("dgemmRate", Napi::Function::New(env, DgemmRate));
  exports.Set("dsyrkRate", Napi::Function::New(env, DsyrkRate));
  exports.Set("tanhRate", Napi::Function::New(env, TanhRate));
  registerContract(env, exports);
  registerLimitKernels(env, exports);
  registerTraining(env, exports);
  registerOneStepGrid(env, exports);
  registerEigen(env, exports);
  registerSpectrum(env, exports);
  registerCrossKernels(env, exports);
  return exports;
}

}  // namespace nntk::glue

static Napi::Object InitNntk(Napi::Env env, Napi::Object exports) { return nntk::glue::registerAddon(env, exports); }
NODE_API_MODULE(nntk, InitNntk)
