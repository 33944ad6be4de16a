// Thin wrappers over native/core/curvature_spectrum.hpp; src/spectrum.ts validated the arguments and the
// strict reader checks them again.
#include "spectrum_glue.hpp"

#include <cmath>
#include <memory>

#include "convert.hpp"
#include "core/curvature_spectrum.hpp"
#include "promise_worker.hpp"

namespace nntk::glue {
namespace {

constexpr std::size_t kMaxWanted = std::size_t{1} << 16;

SpectrumRequest spectrumRequest(const Napi::Value& value) {
  Fields f(value, "the spectrum request");
  SpectrumRequest r;
  r.curvature = f.enumeration<Curvature>("curvature");
  r.lambda = f.finite("lambda");
  if (!(r.lambda >= 0)) fail(ErrorCode::Argument, "lambda must be a finite non-negative number");
  r.memoryLimitBytes = f.finite("memoryLimitBytes");
  if (!(r.memoryLimitBytes > 0)) fail(ErrorCode::Argument, "memoryLimitBytes must be positive");
  r.smallest = f.size("smallest", kMaxWanted);
  r.largest = f.size("largest", kMaxWanted);
  r.eigenvectors = f.flag("eigenvectors");
  r.frobenius = f.flag("frobenius");
  r.inertia = f.flag("inertia");
  const auto edges = f.float64("edges");
  r.edges.assign(edges.Data(), edges.Data() + edges.ElementLength());
  for (std::size_t k = 0; k < r.edges.size(); ++k) {
    if (!std::isfinite(r.edges[k])) fail(ErrorCode::NonFinite, "every histogram edge must be finite");
    if (k > 0 && !(r.edges[k] > r.edges[k - 1])) fail(ErrorCode::Argument, "histogram edges must increase strictly");
  }
  r.bins = f.size("bins", kMaxWanted);
  r.probes = f.size("probes", kMaxWanted);
  r.lanczosSteps = f.size("lanczosSteps", kMaxWanted);
  r.seed = static_cast<std::uint64_t>(f.size("seed"));
  if (r.probes > 0 && r.lanczosSteps == 0) fail(ErrorCode::Argument, "the density needs lanczosSteps >= 1");
  f.finish();
  return r;
}

Napi::Array vectorsToJs(Napi::Env env, const std::vector<std::vector<double>>& vectors) {
  auto a = Napi::Array::New(env, vectors.size());
  for (std::size_t k = 0; k < vectors.size(); ++k) a.Set(static_cast<uint32_t>(k), toFloat64Array(env, vectors[k]));
  return a;
}

Napi::Value resultToJs(Napi::Env env, const SpectrumResult& s) {
  auto o = Napi::Object::New(env);
  if (s.hasInertia) o.Set("inertia", inertiaToJs(env, s.inertia));
  o.Set("smallest", toFloat64Array(env, s.smallest));
  o.Set("largest", toFloat64Array(env, s.largest));
  o.Set("smallestVectors", vectorsToJs(env, s.smallestVectors));
  o.Set("largestVectors", vectorsToJs(env, s.largestVectors));
  o.Set("smallestResiduals", toFloat64Array(env, s.smallestResiduals));
  o.Set("largestResiduals", toFloat64Array(env, s.largestResiduals));
  o.Set("trace", s.trace);
  if (s.hasFrobenius) o.Set("frobeniusNorm", s.frobeniusNorm);
  o.Set("edges", toFloat64Array(env, s.edges));
  o.Set("counts", toFloat64Array(env, s.counts));
  o.Set("densityNodes", toFloat64Array(env, s.densityNodes));
  o.Set("densityWeights", toFloat64Array(env, s.densityWeights));
  o.Set("densityCounts", toFloat64Array(env, s.densityCounts));
  o.Set("passes", static_cast<double>(s.passes));
  o.Set("products", static_cast<double>(s.products));
  o.Set("method", s.method);
  return o;
}

void requireFiniteSpectrum(const SpectrumResult& s) {
  auto check = [](const std::vector<double>& v, const char* what) { requireFinite(v.data(), v.size(), what); };
  check(s.smallest, "smallest eigenvalue");
  check(s.largest, "largest eigenvalue");
  if (!std::isfinite(s.trace)) fail(ErrorCode::NonFinite, "the trace is not finite; rescale the parameters or the data");
  if (s.hasFrobenius && !std::isfinite(s.frobeniusNorm))
    fail(ErrorCode::NonFinite, "the Frobenius norm overflows; rescale the parameters, the data or the regularization");
  check(s.densityCounts, "density estimate");
  for (const auto& v : s.smallestVectors) check(v, "eigenvector");
  for (const auto& v : s.largestVectors) check(v, "eigenvector");
  check(s.densityNodes, "Lanczos node");
  check(s.densityWeights, "Lanczos weight");
}

Napi::Value SpectrumSync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const NetView net = netView(info[0]);
    const DataView data = dataView(info[1]);
    requireAgreement(net, data);
    const SpectrumResult result = curvatureSpectrum(net, data, spectrumRequest(info[2]));
    requireFiniteSpectrum(result);
    return resultToJs(info.Env(), result);
  });
}

Napi::Value SpectrumAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto net = std::make_shared<const OwnedNet>(ownNet(info[0]));
    auto data = std::make_shared<const OwnedData>(ownData(info[1]));
    requireAgreement(net->view(), data->view());
    auto request = std::make_shared<const SpectrumRequest>(spectrumRequest(info[2]));
    return PromiseWorker<SpectrumResult>::start(
        info.Env(),
        [net, data, request] {
          SpectrumResult result = curvatureSpectrum(net->view(), data->view(), *request);
          requireFiniteSpectrum(result);
          return result;
        },
        resultToJs);
  });
}

}  // namespace

void registerSpectrum(Napi::Env env, Napi::Object exports) {
  exports.Set("spectrumSync", Napi::Function::New(env, SpectrumSync));
  exports.Set("spectrum", Napi::Function::New(env, SpectrumAsync));
}

}  // namespace nntk::glue
