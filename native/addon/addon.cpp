// N-API entry points. Each is a thin wrapper: read arguments (already validated in TypeScript),
// call the core, convert the result. Nothing numerical lives here.
#include <cblas.h>
#include <napi.h>

#include <algorithm>
#include <cstdint>

#include "convert.hpp"
#include "eigen_glue.hpp"
#include "limit_glue.hpp"
#include "one_step_glue.hpp"
#include "train_glue.hpp"
#include "core/blas_bench.hpp"
#include "core/blas_threads.hpp"
#include "core/kernels.hpp"
#include "core/structured_system.hpp"
#include "core/dense_solver.hpp"
#include "core/model.hpp"
#include "core/random.hpp"
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
  Napi::Env env = info.Env();
  const auto seed = static_cast<std::uint64_t>(info[0].As<Napi::Number>().Int64Value());
  const auto width = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  const auto inputDim = static_cast<std::size_t>(info[2].As<Napi::Number>().Int64Value());
  auto W = newFloat64Array(env, width * inputDim), b = newFloat64Array(env, width), c = newFloat64Array(env, width);
  initializeParameters(seed, width, inputDim, W.Data(), b.Data(), c.Data());
  auto out = Napi::Object::New(env);
  out.Set("W", W);
  out.Set("b", b);
  out.Set("c", c);
  return out;
}

Napi::Value Predict(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    auto x = info[1].As<Napi::Float64Array>();
    const std::size_t count = net.inputDim ? x.ElementLength() / net.inputDim : 0;
    auto out = newFloat64Array(info.Env(), count);
    predict(net, x.Data(), count, out.Data());
    requireFinite(out.Data(), count, "output");
    return out;
  });
}

Napi::Value Loss(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const DataView data = dataView(info[1]);
    std::vector<double> r(data.size);
    const double loss = residual(netView(info[0]), data, r.data());
    requireFinite(&loss, 1, "loss");
    return Napi::Number::New(info.Env(), loss);
  });
}

Napi::Value Gradient(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    const DataView data = dataView(info[1]);
    std::vector<double> r(data.size);
    residual(net, data, r.data());
    auto g = newFloat64Array(info.Env(), net.parameterCount());
    gradient(net, data, r.data(), g.Data());
    requireFinite(g.Data(), g.ElementLength(), "gradient");
    return g;
  });
}

Napi::Value Jacobian(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    const DataView data = dataView(info[1]);
    auto J = newFloat64Array(info.Env(), data.size * net.parameterCount());
    jacobianRows(net, data, J.Data());
    requireFinite(J.Data(), J.ElementLength(), "Jacobian");
    return J;
  });
}

// curvature(net, data, curvatureIndex) -> P x P Hessian (0) or Gauss-Newton matrix (1).
Napi::Value CurvatureMatrix(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    const DataView data = dataView(info[1]);
    const auto which = static_cast<Curvature>(info[2].As<Napi::Number>().Int32Value() == 1 ? 1 : 0);
    const std::size_t P = net.parameterCount();
    auto H = newFloat64Array(info.Env(), P * P);
    denseCurvature(net, data, which, H.Data());
    requireFinite(H.Data(), H.ElementLength(), "Hessian");
    return H;
  });
}

// A computation on (network, data, request). The sync entry point runs it on zero-copy views of the
// JavaScript arrays while JavaScript waits; the async one copies them on this thread and runs on the pool.
template <auto Compute, auto ToJs>
Napi::Value runSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    return ToJs(info.Env(), Compute(netView(info[0]), dataView(info[1]), stepRequest(info[2])));
  });
}

template <auto Compute, auto ToJs>
Napi::Value runAsync(const Napi::CallbackInfo& info) {
  using Result = decltype(Compute(NetView{}, DataView{}, StepRequest{}));
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto net = std::make_shared<const OwnedNet>(ownNet(info[0]));
    auto data = std::make_shared<const OwnedData>(ownData(info[1]));
    const StepRequest request = stepRequest(info[2]);
    return PromiseWorker<Result>::start(
        info.Env(), [net, data, request] { return Compute(net->view(), data->view(), request); }, ToJs);
  });
}

ExtremalSpectrum extremalSpectrum(const NetView& net, const DataView& data, const StepRequest& request) {
  StructuredOptions options;
  options.cacheTransformed = true;
  return StructuredSystem(net, data, request.curvature, request.lambda, options).extremal();
}

Gram ntkGramOf(const NetView& net, const DataView& data, const StepRequest&) { return ntkGram(net, data); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  setConfiguredThreads(static_cast<std::size_t>(std::max(1, info[0].As<Napi::Number>().Int32Value())));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(configuredThreads()));
}

Napi::Value DgemmRate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const auto n = static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), dgemmRate(n, info[1].As<Napi::Number>().Int32Value()));
  });
}

Napi::Value DsyrkRate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const auto n = static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value());
    const auto k = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), dsyrkRate(n, k, info[2].As<Napi::Number>().Int32Value()));
  });
}

Napi::Value TanhRate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const auto n = static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), tanhRate(n, info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value()));
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
  exports.Set("dgemmRate", Napi::Function::New(env, DgemmRate));
  exports.Set("dsyrkRate", Napi::Function::New(env, DsyrkRate));
  exports.Set("tanhRate", Napi::Function::New(env, TanhRate));
  registerLimitKernels(env, exports);
  registerTraining(env, exports);
  registerOneStepGrid(env, exports);
  registerEigen(env, exports);
  return exports;
}

}  // namespace nntk::glue

static Napi::Object InitNntk(Napi::Env env, Napi::Object exports) { return nntk::glue::registerAddon(env, exports); }
NODE_API_MODULE(nntk, InitNntk)
