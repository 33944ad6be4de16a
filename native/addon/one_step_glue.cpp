// Thin wrappers over native/core/one_step.hpp; src/one-step.ts validated the arguments.
#include "one_step_glue.hpp"

#include <cmath>
#include <memory>

#include "convert.hpp"
#include "core/one_step.hpp"
#include "promise_worker.hpp"

namespace nntk::glue {
namespace {

std::vector<double> lambdasArgument(const Napi::Value& v) {
  const auto a = float64Argument(v, "the lambdas");
  std::vector<double> out(a.Data(), a.Data() + a.ElementLength());
  for (double l : out)
    if (!(l >= 0 && std::isfinite(l))) fail(ErrorCode::Argument, "every lambda must be finite and >= 0");
  return out;
}

// targets: T x M row-major (a Float64Array whose length is a multiple of M).
std::vector<std::vector<double>> targetsArgument(const Napi::Value& v, std::size_t M) {
  const auto a = float64Argument(v, "the targets");
  if (M == 0 || a.ElementLength() == 0 || a.ElementLength() % M != 0)
    fail(ErrorCode::Shape, "the targets must hold a whole number (>= 1) of M-vectors");
  std::vector<std::vector<double>> out;
  for (std::size_t t = 0; t < a.ElementLength() / M; ++t) out.emplace_back(a.Data() + t * M, a.Data() + (t + 1) * M);
  return out;
}

Napi::Array pointsToJs(Napi::Env env, const std::vector<OneStepPoint>& list) {
  auto points = Napi::Array::New(env, list.size());
  for (std::size_t k = 0; k < list.size(); ++k) {
    const OneStepPoint& p = list[k];
    auto q = Napi::Object::New(env);
    q.Set("lambda", p.lambda);
    if (p.errorCode.empty()) {
      q.Set("lossAfter", p.lossAfter);
      q.Set("maxNeuronUpdate", p.maxNeuronUpdate);
      q.Set("stepNorm", p.stepNorm);
      q.Set("inertia", inertiaToJs(env, p.inertia));
      q.Set("nntk", toFloat64Array(env, p.nntk));
      if (p.solver) q.Set("solver", std::string(nameOf(*p.solver)));
    } else {
      q.Set("errorCode", p.errorCode);
      q.Set("error", p.error);
    }
    points.Set(static_cast<uint32_t>(k), q);
  }
  return points;
}

Napi::Value gridToJs(Napi::Env env, const OneStepGrid& grid) {
  auto o = Napi::Object::New(env);
  o.Set("f0", toFloat64Array(env, grid.f0));
  if (!grid.ntk.empty()) o.Set("ntk", toFloat64Array(env, grid.ntk));
  auto targets = Napi::Array::New(env, grid.targets.size());
  for (std::size_t t = 0; t < grid.targets.size(); ++t) {
    auto target = Napi::Object::New(env);
    target.Set("loss", grid.targets[t].loss);
    target.Set("points", pointsToJs(env, grid.targets[t].points));
    targets.Set(static_cast<uint32_t>(t), target);
  }
  o.Set("targets", targets);
  return o;
}

// oneStepGridSync(net, data, curvature, lambdas, targets): zero-copy views while JavaScript waits.
Napi::Value OneStepGridSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    const DataView data = dataView(info[1]);
    requireAgreement(net, data);
    const Curvature curvature = enumArgument<Curvature>(info[2], "curvature");
    return gridToJs(info.Env(), oneStepGrid(net, data, targetsArgument(info[4], data.size), curvature,
                                            lambdasArgument(info[3])));
  });
}

// oneStepGrid(...): copies the inputs here, computes on a thread of its own (long_call.hpp), resolves a Promise.
Napi::Value OneStepGridAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto net = std::make_shared<const OwnedNet>(ownNet(info[0]));
    auto data = std::make_shared<const OwnedData>(ownData(info[1]));
    requireAgreement(net->view(), data->view());
    const Curvature curvature = enumArgument<Curvature>(info[2], "curvature");
    auto lambdas = std::make_shared<const std::vector<double>>(lambdasArgument(info[3]));
    auto targets = std::make_shared<const std::vector<std::vector<double>>>(targetsArgument(info[4], data->size));
    return PromiseWorker<OneStepGrid>::start(
        info.Env(),
        [net, data, curvature, lambdas, targets] { return oneStepGrid(net->view(), data->view(), *targets, curvature, *lambdas); },
        gridToJs);
  });
}

}  // namespace

void registerOneStepGrid(Napi::Env env, Napi::Object exports) {
  exports.Set("oneStepGridSync", Napi::Function::New(env, OneStepGridSync));
  exports.Set("oneStepGrid", Napi::Function::New(env, OneStepGridAsync));
}

}  // namespace nntk::glue
