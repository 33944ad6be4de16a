#include "convert.hpp"

#include <cmath>

namespace nntk::glue {
namespace {

std::vector<double> copyOf(const Napi::Float64Array& a) { return {a.Data(), a.Data() + a.ElementLength()}; }

// The network's fields, with their sizes checked against the documented limits before any length is
// computed from them (width * inputDim cannot overflow).
struct NetFields {
  NetView view;
  Napi::Float64Array W, b, c;
};

TrainableGroups trainableGroups(const std::string& names) {
  TrainableGroups t{false, false, false};
  for (const char name : names) {
    bool& group = name == 'W' ? t.W : name == 'b' ? t.b : name == 'c' ? t.c : t.W;
    if ((name != 'W' && name != 'b' && name != 'c') || group)
      fail(ErrorCode::Argument, "the network's trainable groups '" + names + "' must name each of W, b, c at most once (e.g. \"Wb\")");
    group = true;
  }
  if (!t.W && !t.b && !t.c) fail(ErrorCode::Argument, "the network's trainable groups are empty; name at least one of W, b, c");
  return t;
}

NetFields readNet(const Napi::Value& value) {
  Fields f(value, "the network");
  NetFields out;
  NetView& net = out.view;
  net.width = f.size("width", kMaxParameterCount);
  net.inputDim = f.size("inputDim", kMaxParameterCount);
  if (net.width == 0 || net.inputDim == 0) fail(ErrorCode::Shape, "a network needs width >= 1 and inputDim >= 1");
  const std::size_t weights = checkedProduct(net.width, net.inputDim, "width * inputDim", kMaxParameterCount);
  checkedProduct(net.width, net.inputDim + 2, "the parameter count width * (inputDim + 2)", kMaxParameterCount);
  net.beta = f.finite("beta");
  // The output scale a (docs/MATH.md section 1.1); absent means 1. src/model.ts validates it first.
  net.outputScale = f.optionalFinite("outputScale").value_or(1.0);
  if (net.outputScale == 0.0) fail(ErrorCode::Argument, "the network's outputScale is 0; give a finite nonzero factor a");
  net.activation = f.enumeration<Activation>("activation");
  // The trainable groups by name (docs/MATH.md section 1.2): a string of 'W', 'b', 'c' such as "Wb"; absent
  // means all three. src/model.ts validates the option first.
  if (f.has("trainable")) net.trainable = trainableGroups(f.text("trainable"));
  out.W = f.float64("W", weights);
  out.b = f.float64("b", net.width);
  out.c = f.float64("c", net.width);
  f.finish();
  net.W = out.W.Data();
  net.b = out.b.Data();
  net.c = out.c.Data();
  return out;
}

struct DataFields {
  DataView view;
  Napi::Float64Array x, y;
};

DataFields readData(const Napi::Value& value) {
  Fields f(value, "the data set");
  DataFields out;
  DataView& data = out.view;
  data.size = f.size("size", kMaxDataValues);
  data.inputDim = f.size("inputDim", kMaxDataValues);
  if (data.size == 0) fail(ErrorCode::Shape, "the data set is empty; it needs at least one point");
  if (data.inputDim == 0) fail(ErrorCode::Shape, "the data set needs inputDim >= 1");
  out.x = f.float64("x", checkedProduct(data.size, data.inputDim, "size * inputDim", kMaxDataValues));
  out.y = f.float64("y", data.size);
  // The loss measured on the data (src/loss.ts has validated the labels; docs/MATH.md section 1.3).
  data.loss.kind = f.enumerationOr<LossKind>("loss", LossKind::Square);
  data.loss.delta = f.numberOr("huberDelta", 1.0, 0.0);
  if (!(data.loss.delta > 0)) fail(ErrorCode::Argument, "huberDelta must be a positive number");
  f.finish();
  data.x = out.x.Data();
  data.y = out.y.Data();
  return out;
}

}  // namespace

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message) {
  auto* state = env.GetInstanceData<AddonState>();
  if (state != nullptr && !state->errorClass.IsEmpty()) {
    const Napi::Object error = state->errorClass.New({Napi::String::New(env, code), Napi::String::New(env, message)});
    return Napi::Error(env, error);
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

FailureText describeCurrentException() {
  try {
    throw;
  } catch (const Failure& f) {
    return {std::string(f.codeName()), f.what()};
  } catch (const std::bad_alloc&) {
    return {"E_TOO_LARGE", "out of memory; reduce the problem size or raise the memory available to the process"};
  } catch (const std::length_error&) {
    return {"E_TOO_LARGE", "the problem is too large to allocate; reduce its size"};
  } catch (const std::exception& e) {
    return {"E_INTERNAL", std::string("unexpected failure in nntk's native core: ") + e.what()};
  } catch (...) {
    return {"E_INTERNAL", "unexpected failure in nntk's native core"};
  }
}

NetView netView(const Napi::Value& value) { return readNet(value).view; }

OwnedNet ownNet(const Napi::Value& value) {
  const NetFields n = readNet(value);
  return {n.view.width,       n.view.inputDim, n.view.beta, n.view.outputScale, n.view.activation,
          copyOf(n.W), copyOf(n.b), copyOf(n.c), n.view.trainable};
}

DataView dataView(const Napi::Value& value) { return readData(value).view; }

OwnedData ownData(const Napi::Value& value) {
  const DataFields d = readData(value);
  return {d.view.size, d.view.inputDim, copyOf(d.x), copyOf(d.y), d.view.loss};
}

void requireAgreement(const NetView& net, const DataView& data) {
  if (net.inputDim != data.inputDim)
    fail(ErrorCode::Shape, "the data have inputDim " + std::to_string(data.inputDim) + " but the network has inputDim " +
                               std::to_string(net.inputDim));
}

StepRequest stepRequest(const Napi::Value& value) {
  Fields f(value, "the step request");
  StepRequest r;
  r.curvature = f.enumeration<Curvature>("curvature");
  r.spectrum = f.enumeration<Spectrum>("spectrum");
  r.lambda = f.finite("lambda");
  if (!(r.lambda >= 0)) fail(ErrorCode::Argument, "lambda must be a finite non-negative number");
  r.memoryLimitBytes = f.finite("memoryLimitBytes");
  if (!(r.memoryLimitBytes > 0)) fail(ErrorCode::Argument, "memoryLimitBytes must be positive");
  f.finish();
  return r;
}

namespace {
constexpr const char* kOverflowHint =
    "; the parameters, the data or the regularization are too large for double precision, rescale them";
void requireFiniteScalar(double v, const char* what) {
  if (!std::isfinite(v)) fail(ErrorCode::NonFinite, std::string("the ") + what + " is not finite" + kOverflowHint);
}
}  // namespace

void requireFiniteResult(const StepOutcome& o) {
  requireFiniteScalar(o.loss, "loss");
  requireFiniteScalar(o.gradientNorm, "gradient norm");
  requireFiniteScalar(o.stepNorm, "step norm");
  requireFiniteScalar(o.reciprocalCondition, "condition estimate");
  if (o.hasExtremal) {
    requireFiniteScalar(o.minEigenvalue, "smallest eigenvalue");
    requireFiniteScalar(o.maxEigenvalue, "largest eigenvalue");
  }
  for (double v : o.eigenvalues) requireFiniteScalar(v, "spectrum");
}

void requireFiniteResult(const ExtremalSpectrum& s) {
  requireFiniteScalar(s.minEigenvalue, "smallest eigenvalue");
  requireFiniteScalar(s.maxEigenvalue, "largest eigenvalue");
}

void requireFiniteResult(const Gram& g) {
  for (double v : g.values) requireFiniteScalar(v, "kernel");
}

Napi::Float64Array newFloat64Array(Napi::Env env, std::size_t length) {
  try {
    return Napi::Float64Array::New(env, length);
  } catch (const Napi::Error&) {  // V8 could not allocate the buffer
    fail(ErrorCode::TooLarge, "could not allocate a result of " + std::to_string(length) + " numbers; reduce the problem size");
  }
}

Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& values) {
  auto a = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), a.Data());
  return a;
}

Napi::Object inertiaToJs(Napi::Env env, const Inertia& in) {
  auto o = Napi::Object::New(env);
  o.Set("positive", static_cast<double>(in.positive));
  o.Set("negative", static_cast<double>(in.negative));
  o.Set("zero", static_cast<double>(in.zero));
  return o;
}

Napi::Object timingsToJs(Napi::Env env, const StepTimings& timings) {
  auto t = Napi::Object::New(env);
  t.Set("evaluation", timings.evaluation);
  t.Set("assembly", timings.assembly);
  t.Set("factorization", timings.factorization);
  t.Set("inertia", timings.inertia);
  t.Set("condition", timings.condition);
  t.Set("solve", timings.solve);
  t.Set("spectrum", timings.spectrum);
  return t;
}

Napi::Value spectrumToJs(Napi::Env env, const ExtremalSpectrum& s) {
  auto o = Napi::Object::New(env);
  o.Set("inertia", inertiaToJs(env, s.inertia));
  o.Set("minEigenvalue", s.minEigenvalue);
  o.Set("maxEigenvalue", s.maxEigenvalue);
  o.Set("bisectionSteps", s.bisectionSteps);
  return o;
}

Napi::Value gramToJs(Napi::Env env, const Gram& gram) { return toFloat64Array(env, gram.values); }

Napi::Value stepToJs(Napi::Env env, const StepOutcome& out) {
  auto o = Napi::Object::New(env);
  o.Set("step", toFloat64Array(env, out.step));
  o.Set("solver", std::string(nameOf(out.solver)));
  o.Set("inertia", inertiaToJs(env, out.inertia));
  if (out.hasExtremal) {
    o.Set("minEigenvalue", out.minEigenvalue);
    o.Set("maxEigenvalue", out.maxEigenvalue);
  }
  if (!out.eigenvalues.empty()) o.Set("eigenvalues", toFloat64Array(env, out.eigenvalues));
  o.Set("loss", out.loss);
  o.Set("gradientNorm", out.gradientNorm);
  o.Set("stepNorm", out.stepNorm);
  o.Set("reciprocalCondition", out.reciprocalCondition);
  o.Set("timings", timingsToJs(env, out.timings));
  return o;
}

}  // namespace nntk::glue
