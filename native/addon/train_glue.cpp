// train(net, data, options, state, onRecord) -> { promise, cancel }: runs the loop on a thread of its own
// (long_call.hpp), sends every record to onRecord on the JavaScript thread, and resolves with the final
// parameters, state, termination (by name), summary and, for a numerical failure, the error. cancel()
// (wired to an AbortSignal in TypeScript) stops the loop between iterations or between the tries of one.
// Enums (method, damping, solver, spectrum, termination) cross by name (native/core/names.hpp).
//
// Records travel in batches: the JavaScript thread is woken at most once per kWakeInterval and takes
// every pending record at once (docs/notes/training-records.md explains why and what it saves).
#include "train_glue.hpp"

#include <functional>
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
#include "long_call.hpp"
#include "core/failure.hpp"
#include "core/training.hpp"

namespace nntk::glue {
namespace {

// train()'s options and state, read with the shared strict reader (args.hpp): TypeScript (src/train.ts)
// validates everything first; here a value of the wrong type is an E_ARGUMENT NntkError, an array of the
// wrong length E_SHAPE, an unknown field E_ARGUMENT, never a blind cast or a silent default.

// A Float64Array's entries (exactly that type: another typed array is an error, not a reinterpretation).
std::vector<double> valuesOf(const Napi::Float64Array& a) { return {a.Data(), a.Data() + a.ElementLength()}; }

TrainOptions readOptions(const Napi::Value& value, std::size_t M) {
  Fields f(value, "the train options");
  TrainOptions t;
  t.method = f.enumerationOr("method", t.method);
  t.damping = f.enumerationOr("damping", t.damping);
  t.solver = f.enumerationOr("solver", t.solver);
  t.spectrum = f.enumerationOr("spectrum", t.spectrum);
  const double inf = std::numeric_limits<double>::infinity(), tiny = std::numeric_limits<double>::min();
  t.lambda = f.numberOr("lambda", t.lambda, 0);
  t.alpha = f.numberOr("alpha", t.alpha, tiny);
  t.learningRate = f.numberOr("learningRate", t.learningRate, tiny);
  t.dampingSettings.epsilon = f.numberOr("epsilon", t.dampingSettings.epsilon, tiny);
  t.iterations = f.sizeOr("iterations", 0);
  t.targetLoss = f.numberOr("targetLoss", t.targetLoss, -inf);
  t.timeLimitSeconds = f.numberOr("timeLimitSeconds", t.timeLimitSeconds, 0, true);
  t.allowIndefinite = f.flagOr("allowIndefinite", false);
  t.diagnosticsEvery = f.sizeOr("diagnosticsEvery", 1);
  t.recordEvery = f.sizeOr("recordEvery", 1);
  t.recordPerDecade = f.sizeOr("recordPerDecade", 0);
  t.keptBytesLimit = f.sizeOr("keptBytesLimit", t.keptBytesLimit);
  t.cancelAfterSolves = f.sizeOr("cancelAfterSolves", 0);
  t.memoryLimitBytes = f.numberOr("memoryLimitBytes", t.memoryLimitBytes, 1);
  const Napi::Value list = f.raw("diagnostics");
  if (!list.IsUndefined()) {
    if (!list.IsArray()) fail(ErrorCode::Argument, "the train options' diagnostics must be an array of Float64Array");
    const auto array = list.As<Napi::Array>();
    for (std::uint32_t k = 0; k < array.Length(); ++k) {
      Projection p;
      const std::string name = "diagnostics[" + std::to_string(k) + "]";
      p.matrix = valuesOf(float64Argument(array.Get(k), name.c_str()));
      p.rows = M ? p.matrix.size() / M : 0;
      if (p.rows * M != p.matrix.size()) fail(ErrorCode::Shape, "a diagnostic matrix must have M columns");
      t.diagnostics.push_back(std::move(p));
    }
  }
  f.finish();
  return t;
}

TrainState readState(const Napi::Value& value, const TrainOptions& options, std::size_t parameterCount) {
  Fields f(value, "the train state");
  TrainState s;
  s.iteration = f.sizeOr("iteration", 0);
  s.seconds = f.numberOr("seconds", 0, 0);
  s.damping.lambda = f.numberOr("lambda", options.lambda, 0);
  s.damping.nu = f.numberOr("nu", s.damping.nu, 1);
  if (f.has("method") && f.enumeration<Method>("method") != options.method)
    fail(ErrorCode::Argument, "the train state belongs to another method than '" + std::string(nameOf(options.method)) + "'");
  f.enumerationOr("method", options.method);  // marks the field read when absent
  const bool hasM = f.has("adamM"), hasV = f.has("adamV");
  if (hasM != hasV) fail(ErrorCode::Argument, "the train state needs both adamM and adamV, or neither");
  if (hasM) {
    if (options.method != Method::Adam) fail(ErrorCode::Argument, "Adam moments in the state of a non-Adam run");
    s.adamM = valuesOf(f.float64("adamM", parameterCount));
    s.adamV = valuesOf(f.float64("adamV", parameterCount));
  } else {
    f.raw("adamM");
    f.raw("adamV");
  }
  f.finish();
  return s;
}

// The step's phases (convert.hpp), plus the candidate losses and the damping rule's own time.
Napi::Object iterationTimingsToJs(Napi::Env env, const IterationTimings& t) {
  auto o = timingsToJs(env, t.solves);
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
  if (r.hasAccuracy) o.Set("accuracy", r.accuracy);
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
    if (r.secondOrder) o.Set("timings", iterationTimingsToJs(env, r.timings));
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
  if (secondOrder) time.Set("iteration", iterationTimingsToJs(env, s.timings));
  o.Set("time", time);
  return o;
}


constexpr std::chrono::milliseconds kWakeInterval{1};

// The training loop as a long call (long_call.hpp): the loop runs on the call's thread; records, results
// and the callback's errors are handled on the JavaScript thread.
class TrainWorker final : public LongCall {
 public:
  TrainWorker(Napi::Env env, Napi::Function onRecord, OwnedNet net, OwnedData data, TrainOptions options, TrainState state)
      : LongCall(env), onRecord_(Napi::Persistent(onRecord)), net_(std::move(net)), data_(std::move(data)),
        options_(std::move(options)), state_(std::move(state)) {}

 private:
  // On the call's thread. A worker thread terminated mid-run (a sweep's job timeout) tears its environment
  // down: the teardown hook sets cancellation(), and the loop stops at its next iteration instead of
  // training on for nobody.
  void run() override {
    auto lastWake = std::chrono::steady_clock::now() - kWakeInterval;
    const auto emit = [this, &lastWake](TrainRecord&& r) {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_.push_back(std::move(r));
      const auto now = std::chrono::steady_clock::now();
      if (!woken_ && now - lastWake >= kWakeInterval) {
        woken_ = true;
        lastWake = now;
        wakeJavaScript();
      }
    };
    result_ = trainNetwork(net_, data_.view(), options_, state_, emit, *cancellation());
  }

  // Hands every pending record to onRecord, in order. The callback is called through the C API: when it
  // throws, the loop stops and the promise rejects with what it threw; when it ends its thread
  // (process.exit() in a worker), nothing more is asked of JavaScript.
  void deliverPending(Napi::Env env) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::swap(pending_, delivering_);  // the loop keeps appending to the (emptied) other list
      woken_ = false;
    }
    for (const TrainRecord& record : delivering_) {
      if (callbackThrew_) break;
      napi_value arg = recordToJs(env, record), ignored = nullptr;
      if (napi_call_function(env, env.Undefined(), onRecord_.Value(), 1, &arg, &ignored) == napi_ok) continue;
      callbackThrew_ = true;
      cancellation()->store(true);
      keepThrownValue(env);
    }
    delivering_.clear();
  }

  // The callback's exception, boxed in { value } so that a thrown primitive can be kept too. A thread
  // being terminated has no exception to hand over (or no way to box it): callbackError_ stays empty.
  void keepThrownValue(Napi::Env env) {
    napi_value thrown = nullptr, box = nullptr;
    if (napi_get_and_clear_last_exception(env, &thrown) != napi_ok || thrown == nullptr) return;
    if (napi_create_object(env, &box) != napi_ok || napi_set_named_property(env, box, "value", thrown) != napi_ok) return;
    callbackError_ = Napi::Persistent(Napi::Object(env, box));
  }

  void wake(Napi::Env env) override {
    if (!callbackThrew_) deliverPending(env);
  }

  void settle(Napi::Env env) override {
    if (!callbackThrew_) {
      try {
        deliverPending(env);  // whatever came after the last wake-up
      } catch (...) {
        // a record that could not be converted: the run's own result (or failure) still settles the promise
      }
    }
    if (!callbackThrew_) return LongCall::settle(env);
    if (!callbackError_.IsEmpty()) deferred().Reject(callbackError_.Value().Get("value"));
  }

  Napi::Value resultToJs(Napi::Env env) override {
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
    return out;
  }

  void releaseJavaScript() override {
    onRecord_.Reset();
    callbackError_.Reset();
  }

  Napi::FunctionReference onRecord_;
  OwnedNet net_;
  OwnedData data_;
  TrainOptions options_;
  TrainState state_;
  std::mutex mutex_;                                   // guards pending_ and woken_
  std::vector<TrainRecord> pending_, delivering_;
  bool woken_ = false;                                 // a wake-up is on its way to the JavaScript thread
  std::optional<TrainResult> result_;
  bool callbackThrew_ = false;                         // JavaScript thread only, as is callbackError_
  Napi::ObjectReference callbackError_;
};

Napi::Value Train(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    OwnedNet net = ownNet(info[0]);
    OwnedData data = ownData(info[1]);
    TrainOptions options = readOptions(info[2], data.size);
    TrainState state = readState(info[3], options, net.view().parameterCount());  // P', the trainable parameters
    if (!info[4].IsFunction()) throw makeError(env, "E_ARGUMENT", "train needs a record callback");
    auto worker = std::make_shared<TrainWorker>(env, info[4].As<Napi::Function>(), std::move(net), std::move(data),
                                                std::move(options), std::move(state));
    auto out = Napi::Object::New(env);
    out.Set("cancel", Napi::Function::New(env, [cancelled = worker->cancellation()](const Napi::CallbackInfo& i) {
              cancelled->store(true);
              return i.Env().Undefined();
            }));
    out.Set("promise", LongCall::start(env, std::move(worker)));
    return out;
  });
}

}  // namespace

void registerTraining(Napi::Env env, Napi::Object exports) {
  exports.Set("train", Napi::Function::New(env, Train));
}

}  // namespace nntk::glue
