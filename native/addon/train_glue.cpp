// train(net, data, options, state, onRecord) -> { promise, cancel }: runs the loop on libuv's pool,
// sends every record to onRecord on the JavaScript thread, and resolves with the final parameters,
// state, termination (by name), summary and, for a numerical failure, the error. cancel() (wired to an
// AbortSignal in TypeScript) stops the loop between iterations or between the tries of one. Enums
// (method, damping, solver, spectrum, termination) cross by name (native/core/names.hpp).
//
// Records travel in batches: the loop appends each record to a pending list and wakes the JavaScript
// thread when no wake-up is outstanding and the last one is at least kWakeInterval old; the JavaScript
// side takes the whole list at once (and OnOK takes what is left). So a record reaches onStep at most
// kWakeInterval or one iteration after it is made, and a fast loop wakes JavaScript about a thousand
// times a second instead of once per record (measured: ~30 us a record saved on this 2-vCPU machine,
// where every wake-up is a context switch on the cores the loop runs on).
#include "train_glue.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "convert.hpp"
#include "core/failure.hpp"
#include "core/training.hpp"

namespace nntk::glue {
namespace {

// Argument readers for train(), kept small and local so that they can move onto a shared strict reader.
// TypeScript (src/train.ts) validates everything first; these make the raw addon strict as well: a value
// of the wrong type is an E_ARGUMENT NntkError, an array of the wrong length E_SHAPE, never a blind cast.

[[noreturn]] void fail(const Napi::Env& env, const char* code, const std::string& message) {
  throw makeError(env, code, message);
}

void requireKnownKeys(const Napi::Object& o, const char* what, std::initializer_list<std::string_view> known) {
  const Napi::Array keys = o.GetPropertyNames();
  for (std::uint32_t k = 0; k < keys.Length(); ++k) {
    const std::string key = keys.Get(k).ToString().Utf8Value();
    if (std::find(known.begin(), known.end(), key) == known.end())
      fail(o.Env(), "E_ARGUMENT", std::string("unknown ") + what + " '" + key + "'");
  }
}

// A number when present (otherwise `fallback`): finite and >= min, or +Infinity where allowInfinity.
double numberField(const Napi::Object& o, const char* key, double fallback, double min, bool allowInfinity = false) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) fail(o.Env(), "E_ARGUMENT", std::string("train: '") + key + "' must be a number");
  const double x = v.As<Napi::Number>().DoubleValue();
  if (std::isnan(x) || (std::isinf(x) && !(allowInfinity && x > 0)))
    fail(o.Env(), "E_NONFINITE", std::string("train: '") + key + "' must be finite, not " + formatNumber(x));
  if (x < min) fail(o.Env(), "E_ARGUMENT", std::string("train: '") + key + "' must be at least " + formatNumber(min));
  return x;
}

// A non-negative integer when present (otherwise `fallback`).
std::size_t countField(const Napi::Object& o, const char* key, std::size_t fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1.0;
  if (!(x >= 0 && x <= 9007199254740991.0 && std::floor(x) == x))
    fail(o.Env(), "E_ARGUMENT", std::string("train: '") + key + "' must be a non-negative integer");
  return static_cast<std::size_t>(x);
}

bool booleanField(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) fail(o.Env(), "E_ARGUMENT", std::string("train: '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// An enum by name (docs: native/core/names.hpp); `fallback` when absent.
template <typename E>
E enumField(const Napi::Object& o, const char* key, E fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const std::optional<E> value = v.IsString() ? fromName<E>(v.As<Napi::String>().Utf8Value()) : std::nullopt;
  if (!value)
    fail(o.Env(), "E_ARGUMENT", std::string("train: '") + key + "' must be " + acceptedNames<E>() + ", not " +
                                    (v.IsString() ? "'" + v.As<Napi::String>().Utf8Value() + "'" : std::string("a non-string")));
  return *value;
}

// A Float64Array's entries (exactly that type: another typed array is an error, not a reinterpretation).
// `length` 0 accepts any length.
std::vector<double> float64Values(const Napi::Env& env, const Napi::Value& v, const std::string& name, std::size_t length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    fail(env, "E_ARGUMENT", "train: " + name + " must be a Float64Array");
  const auto a = v.As<Napi::Float64Array>();
  if (length != 0 && a.ElementLength() != length)
    fail(env, "E_SHAPE", "train: " + name + " has " + std::to_string(a.ElementLength()) + " entries, expected " +
                             std::to_string(length));
  return {a.Data(), a.Data() + a.ElementLength()};
}

TrainOptions readOptions(const Napi::Value& value, std::size_t M) {
  if (!value.IsObject()) fail(value.Env(), "E_ARGUMENT", "train: the options must be an object");
  const auto o = value.As<Napi::Object>();
  requireKnownKeys(o, "train option",
                   {"method", "damping", "solver", "spectrum", "lambda", "alpha", "learningRate", "epsilon", "iterations",
                    "targetLoss", "timeLimitSeconds", "allowIndefinite", "diagnostics", "diagnosticsEvery", "recordEvery",
                    "recordPerDecade", "keptBytesLimit", "cancelAfterSolves"});
  TrainOptions t;
  t.method = enumField(o, "method", t.method);
  t.damping = enumField(o, "damping", t.damping);
  t.solver = enumField(o, "solver", t.solver);
  t.spectrum = enumField(o, "spectrum", t.spectrum);
  const double inf = std::numeric_limits<double>::infinity();
  t.lambda = numberField(o, "lambda", t.lambda, 0);
  t.alpha = numberField(o, "alpha", t.alpha, std::numeric_limits<double>::min());
  t.learningRate = numberField(o, "learningRate", t.learningRate, std::numeric_limits<double>::min());
  t.dampingSettings.epsilon = numberField(o, "epsilon", t.dampingSettings.epsilon, std::numeric_limits<double>::min());
  t.iterations = countField(o, "iterations", 0);
  t.targetLoss = numberField(o, "targetLoss", t.targetLoss, -inf);
  t.timeLimitSeconds = numberField(o, "timeLimitSeconds", t.timeLimitSeconds, 0, true);
  t.allowIndefinite = booleanField(o, "allowIndefinite");
  t.diagnosticsEvery = countField(o, "diagnosticsEvery", 1);
  t.recordEvery = countField(o, "recordEvery", 1);
  t.recordPerDecade = countField(o, "recordPerDecade", 0);
  t.keptBytesLimit = countField(o, "keptBytesLimit", t.keptBytesLimit);
  t.cancelAfterSolves = countField(o, "cancelAfterSolves", 0);
  const Napi::Value list = o.Get("diagnostics");
  if (!list.IsUndefined()) {
    if (!list.IsArray()) fail(o.Env(), "E_ARGUMENT", "train: 'diagnostics' must be an array of Float64Array");
    const auto array = list.As<Napi::Array>();
    for (std::uint32_t k = 0; k < array.Length(); ++k) {
      Projection p;
      p.matrix = float64Values(o.Env(), array.Get(k), "diagnostics[" + std::to_string(k) + "]", 0);
      p.rows = M ? p.matrix.size() / M : 0;
      if (p.rows * M != p.matrix.size()) fail(o.Env(), "E_SHAPE", "train: a diagnostic matrix must have M columns");
      t.diagnostics.push_back(std::move(p));
    }
  }
  return t;
}

TrainState readState(const Napi::Value& value, const TrainOptions& options, std::size_t parameterCount) {
  if (!value.IsObject()) fail(value.Env(), "E_ARGUMENT", "train: the state must be an object");
  const auto o = value.As<Napi::Object>();
  requireKnownKeys(o, "train state field", {"iteration", "seconds", "lambda", "nu", "adamM", "adamV", "method"});
  TrainState s;
  s.iteration = countField(o, "iteration", 0);
  s.seconds = numberField(o, "seconds", 0, 0);
  s.damping.lambda = numberField(o, "lambda", options.lambda, 0);
  s.damping.nu = numberField(o, "nu", s.damping.nu, 1);
  if (!o.Get("method").IsUndefined() && enumField(o, "method", options.method) != options.method)
    fail(o.Env(), "E_ARGUMENT", "train: the state belongs to method '" + o.Get("method").ToString().Utf8Value() +
                                    "', not '" + std::string(nameOf(options.method)) + "'");
  const Napi::Value m = o.Get("adamM"), v = o.Get("adamV");
  if (m.IsUndefined() != v.IsUndefined()) fail(o.Env(), "E_ARGUMENT", "train: the state needs both adamM and adamV, or neither");
  if (!m.IsUndefined()) {
    if (options.method != Method::Adam) fail(o.Env(), "E_ARGUMENT", "train: Adam moments in the state of a non-Adam run");
    s.adamM = float64Values(o.Env(), m, "state.adamM", parameterCount);
    s.adamV = float64Values(o.Env(), v, "state.adamV", parameterCount);
  }
  return s;
}

Napi::Object timingsToJs(Napi::Env env, const IterationTimings& t) {
  auto o = Napi::Object::New(env);
  o.Set("evaluation", t.solves.evaluation);
  o.Set("assembly", t.solves.assembly);
  o.Set("factorization", t.solves.factorization);
  o.Set("inertia", t.solves.inertia);
  o.Set("condition", t.solves.condition);
  o.Set("solve", t.solves.solve);
  o.Set("spectrum", t.solves.spectrum);
  o.Set("candidates", t.candidates);
  o.Set("damping", t.damping);
  return o;
}

Napi::Object recordToJs(Napi::Env env, const TrainRecord& r) {
  auto o = Napi::Object::New(env);
  o.Set("iteration", static_cast<double>(r.iteration));
  o.Set("loss", r.loss);
  o.Set("seconds", r.seconds);
  if (r.secondOrder) {
    o.Set("lambda", r.lambda);
    o.Set("accepted", r.accepted);
    o.Set("retries", r.retries);
    if (r.describesIteration) o.Set("rejectedTries", r.rejectedTries);
    if (r.hasGainRatio) o.Set("gainRatio", r.gainRatio);
  }
  if (r.hasInertia) o.Set("inertia", inertiaToJs(env, r.inertia));
  if (r.hasExtremal) {
    o.Set("minEigenvalue", r.minEigenvalue);
    o.Set("maxEigenvalue", r.maxEigenvalue);
  }
  if (r.describesIteration) {
    o.Set("costChange", r.costChange);
    o.Set("stepNorm", r.stepNorm);
    o.Set("maxNeuronUpdate", r.maxNeuronUpdate);
    o.Set("gradientNorm", r.gradientNorm);
    if (r.secondOrder) o.Set("timings", timingsToJs(env, r.timings));
  }
  if (!r.diagnostics.empty()) {
    auto list = Napi::Array::New(env, r.diagnostics.size());
    for (std::size_t k = 0; k < r.diagnostics.size(); ++k) list.Set(static_cast<std::uint32_t>(k), toFloat64Array(env, r.diagnostics[k]));
    o.Set("diagnostics", list);
  }
  return o;
}

Napi::Object summaryToJs(Napi::Env env, const RunSummary& s) {
  const bool secondOrder = s.method == Method::Newton || s.method == Method::GaussNewton;
  auto o = Napi::Object::New(env);
  o.Set("brief", briefReport(s));
  o.Set("full", fullReport(s));
  o.Set("method", std::string(nameOf(s.method)));
  if (secondOrder) o.Set("damping", std::string(nameOf(s.damping)));
  o.Set("solver", secondOrder ? std::string(nameOf(s.solver)) : std::string("first-order"));
  o.Set("termination", std::string(nameOf(s.termination)));
  o.Set("message", s.message);
  o.Set("firstIteration", static_cast<double>(s.firstIteration));
  o.Set("iterations", static_cast<double>(s.iterations));
  o.Set("acceptedSteps", static_cast<double>(s.acceptedSteps));
  o.Set("rejectedTries", static_cast<double>(s.rejectedTries));
  o.Set("rejectedIterations", static_cast<double>(s.rejectedIterations));
  o.Set("solves", static_cast<double>(s.solves));
  o.Set("initialCost", s.initialCost);
  o.Set("finalCost", s.finalCost);
  if (secondOrder) {
    o.Set("initialLambda", s.initialLambda);
    o.Set("finalLambda", s.finalLambda);
  }
  auto time = Napi::Object::New(env);
  time.Set("total", s.seconds);
  time.Set("setup", s.setupSeconds);
  time.Set("iterations", s.iterationSeconds);
  time.Set("records", s.recordSeconds);
  if (secondOrder) time.Set("iteration", timingsToJs(env, s.timings));
  o.Set("time", time);
  return o;
}


constexpr std::chrono::milliseconds kWakeInterval{1};

class TrainWorker : public Napi::AsyncProgressQueueWorker<TrainRecord> {
 public:
  TrainWorker(Napi::Env env, Napi::Function onRecord, OwnedNet net, OwnedData data, TrainOptions options, TrainState state,
              std::shared_ptr<std::atomic<bool>> cancelled)
      : Napi::AsyncProgressQueueWorker<TrainRecord>(env, "nntk-train"), deferred_(Napi::Promise::Deferred::New(env)),
        onRecord_(Napi::Persistent(onRecord)), net_(std::move(net)), data_(std::move(data)),
        options_(std::move(options)), state_(std::move(state)), cancelled_(std::move(cancelled)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    auto lastWake = std::chrono::steady_clock::now() - kWakeInterval;
    const auto emit = [this, &progress, &lastWake](TrainRecord&& r) {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_.push_back(std::move(r));
      const auto now = std::chrono::steady_clock::now();
      if (!woken_ && now - lastWake >= kWakeInterval) {
        woken_ = true;
        lastWake = now;
        progress.Signal();
      }
    };
    try {
      result_ = trainNetwork(net_, data_.view(), options_, state_, emit, *cancelled_);
    } catch (...) {
      failure_ = describeCurrentException();
    }
  }

  void OnProgress(const TrainRecord*, std::size_t) override { deliverPending(); }

  // Hands every pending record to onRecord, in order.
  void deliverPending() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::swap(pending_, delivering_);  // the loop keeps appending to the (emptied) other list
      woken_ = false;
    }
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (const TrainRecord& record : delivering_) {
      if (!callbackError_.IsEmpty()) break;
      try {
        onRecord_.Call({recordToJs(env, record)});
      } catch (const Napi::Error& e) {
        callbackError_ = Napi::Persistent(e.Value());  // stop the loop and reject with the callback's error
        cancelled_->store(true);
      }
    }
    delivering_.clear();
  }

  void OnOK() override {
    deliverPending();  // whatever came after the last wake-up
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!callbackError_.IsEmpty()) return deferred_.Reject(callbackError_.Value());
    if (!result_) return deferred_.Reject(makeError(env, failure_.code, failure_.message).Value());
    auto out = Napi::Object::New(env);
    out.Set("W", toFloat64Array(env, net_.W));
    out.Set("b", toFloat64Array(env, net_.b));
    out.Set("c", toFloat64Array(env, net_.c));
    out.Set("stoppedBecause", std::string(nameOf(result_->termination)));
    out.Set("summary", summaryToJs(env, result_->summary));
    if (result_->termination == Termination::Failed) {
      auto error = Napi::Object::New(env);
      error.Set("code", result_->errorCode);
      error.Set("message", result_->errorMessage);
      out.Set("error", error);
    }
    auto state = Napi::Object::New(env);
    state.Set("method", std::string(nameOf(options_.method)));
    state.Set("iteration", static_cast<double>(result_->state.iteration));
    state.Set("seconds", result_->state.seconds);
    state.Set("lambda", result_->state.damping.lambda);
    state.Set("nu", result_->state.damping.nu);
    if (!result_->state.adamM.empty()) {
      state.Set("adamM", toFloat64Array(env, result_->state.adamM));
      state.Set("adamV", toFloat64Array(env, result_->state.adamV));
    }
    out.Set("state", state);
    deferred_.Resolve(out);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference onRecord_;
  OwnedNet net_;
  OwnedData data_;
  TrainOptions options_;
  TrainState state_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::mutex mutex_;                                   // guards pending_ and woken_
  std::vector<TrainRecord> pending_, delivering_;
  bool woken_ = false;                                 // a wake-up is on its way to the JavaScript thread
  std::optional<TrainResult> result_;
  Napi::ObjectReference callbackError_;
  FailureText failure_;
};

Napi::Value Train(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    OwnedNet net = ownNet(info[0]);
    OwnedData data = ownData(info[1]);
    TrainOptions options = readOptions(info[2], data.size);
    TrainState state = readState(info[3], options, net.width * (net.inputDim + 2));
    if (!info[4].IsFunction()) throw makeError(env, "E_ARGUMENT", "train needs a record callback");
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto* worker = new TrainWorker(env, info[4].As<Napi::Function>(), std::move(net), std::move(data), std::move(options),
                                   std::move(state), cancelled);  // freed by N-API when done
    auto out = Napi::Object::New(env);
    out.Set("promise", worker->promise());
    out.Set("cancel", Napi::Function::New(env, [cancelled](const Napi::CallbackInfo& i) {
              cancelled->store(true);
              return i.Env().Undefined();
            }));
    worker->Queue();
    return out;
  });
}

}  // namespace

void registerTraining(Napi::Env env, Napi::Object exports) {
  exports.Set("train", Napi::Function::New(env, Train));
}

}  // namespace nntk::glue
