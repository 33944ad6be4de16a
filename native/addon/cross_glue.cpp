// Thin wrappers over native/core/cross_kernels.hpp; src/predict.ts validated the arguments.
#include "cross_glue.hpp"

#include <memory>
#include <string>

#include "convert.hpp"
#include "core/cross_kernels.hpp"
#include "promise_worker.hpp"

namespace nntk::glue {
namespace {

// The test inputs as a data view (x only): whole rows of the network's inputDim.
DataView testView(const Napi::Float64Array& x, std::size_t inputDim) {
  if (x.ElementLength() == 0 || x.ElementLength() % inputDim != 0)
    fail(ErrorCode::Shape, "the test inputs hold " + std::to_string(x.ElementLength()) +
                               " numbers, not a positive whole number of rows of inputDim " + std::to_string(inputDim));
  requireFinite(x.Data(), x.ElementLength(), "test input");
  return {x.ElementLength() / inputDim, inputDim, x.Data(), nullptr};
}

Napi::Value crossToJs(Napi::Env env, const CrossKernel& k) {
  auto o = Napi::Object::New(env);
  o.Set("cross", toFloat64Array(env, k.cross));
  o.Set("diagonal", toFloat64Array(env, k.diagonal));
  return o;
}

template <bool Newtonian>
Napi::Value CrossSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    const DataView data = dataView(info[1]);
    requireAgreement(net, data);
    const DataView test = testView(float64Argument(info[2], "the test inputs"), net.inputDim);
    if constexpr (Newtonian) return crossToJs(info.Env(), nntkCross(net, data, test, stepRequest(info[3])));
    else return crossToJs(info.Env(), ntkCross(net, data, test));
  });
}

template <bool Newtonian>
Napi::Value CrossAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto net = std::make_shared<const OwnedNet>(ownNet(info[0]));
    auto data = std::make_shared<const OwnedData>(ownData(info[1]));
    requireAgreement(net->view(), data->view());
    const auto x = float64Argument(info[2], "the test inputs");
    testView(x, net->inputDim);
    auto testX = std::make_shared<const std::vector<double>>(x.Data(), x.Data() + x.ElementLength());
    const StepRequest request = Newtonian ? stepRequest(info[3]) : StepRequest{};
    return PromiseWorker<CrossKernel>::start(
        info.Env(),
        [net, data, testX, request] {
          const DataView test{testX->size() / net->inputDim, net->inputDim, testX->data(), nullptr};
          if constexpr (Newtonian) return nntkCross(net->view(), data->view(), test, request);
          else return ntkCross(net->view(), data->view(), test);
        },
        crossToJs);
  });
}

}  // namespace

void registerCrossKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("ntkCrossSync", Napi::Function::New(env, CrossSync<false>));
  exports.Set("ntkCross", Napi::Function::New(env, CrossAsync<false>));
  exports.Set("nntkCrossSync", Napi::Function::New(env, CrossSync<true>));
  exports.Set("nntkCross", Napi::Function::New(env, CrossAsync<true>));
}

}  // namespace nntk::glue
