// train(net, data, options, state, onRecord) -> { promise, cancel }: runs the loop on libuv's pool,
// sends every record to onRecord on the JavaScript thread, and resolves with the final parameters and
// state. cancel() (wired to an AbortSignal in TypeScript) stops the loop between iterations.
//
// Records travel in batches: the loop appends each record to a pending list and wakes the JavaScript
// thread when no wake-up is outstanding and the last one is at least kWakeInterval old; the JavaScript
// side takes the whole list at once (and OnOK takes what is left). So a record reaches onStep at most
// kWakeInterval or one iteration after it is made, and a fast loop wakes JavaScript about a thousand
// times a second instead of once per record (measured: ~30 us a record saved on this 2-vCPU machine,
// where every wake-up is a context switch on the cores the loop runs on).
#include "train_glue.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "convert.hpp"
#include "core/training.hpp"

namespace nntk::glue {
namespace {

double numberOr(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

std::vector<double> doublesOf(const Napi::Value& v) {
  if (!v.IsTypedArray()) return {};
  auto a = v.As<Napi::Float64Array>();
  return {a.Data(), a.Data() + a.ElementLength()};
}

TrainOptions readOptions(const Napi::Object& o, std::size_t M) {
  TrainOptions t;
  t.method = static_cast<Method>(static_cast<int>(numberOr(o, "method", 0)));
  t.damping = static_cast<Damping>(static_cast<int>(numberOr(o, "damping", 1)));
  t.solver = static_cast<SolverKind>(static_cast<int>(numberOr(o, "solver", 1)));
  t.spectrum = static_cast<Spectrum>(static_cast<int>(numberOr(o, "spectrum", 1)));
  t.lambda = numberOr(o, "lambda", t.lambda);
  t.alpha = numberOr(o, "alpha", t.alpha);
  t.learningRate = numberOr(o, "learningRate", t.learningRate);
  t.epsilon = numberOr(o, "epsilon", t.epsilon);
  t.iterations = static_cast<std::size_t>(numberOr(o, "iterations", 0));
  t.targetLoss = numberOr(o, "targetLoss", -1.0);
  t.timeLimitSeconds = numberOr(o, "timeLimitSeconds", t.timeLimitSeconds);
  t.allowIndefinite = o.Get("allowIndefinite").ToBoolean();
  t.diagnosticsEvery = static_cast<std::size_t>(numberOr(o, "diagnosticsEvery", 1));
  t.recordEvery = static_cast<std::size_t>(numberOr(o, "recordEvery", 1));
  t.recordPerDecade = static_cast<std::size_t>(numberOr(o, "recordPerDecade", 0));
  t.keptBytesLimit = static_cast<std::size_t>(numberOr(o, "keptBytesLimit", static_cast<double>(t.keptBytesLimit)));
  const Napi::Value list = o.Get("diagnostics");
  if (list.IsArray()) {
    const auto array = list.As<Napi::Array>();
    for (std::uint32_t k = 0; k < array.Length(); ++k) {
      Projection p;
      p.matrix = doublesOf(array.Get(k));
      p.rows = M ? p.matrix.size() / M : 0;
      if (p.rows * M != p.matrix.size())
        throw makeError(o.Env(), "E_SHAPE", "a diagnostic matrix must have M columns");
      t.diagnostics.push_back(std::move(p));
    }
  }
  return t;
}

TrainState readState(const Napi::Object& o) {
  TrainState s;
  s.iteration = static_cast<std::size_t>(numberOr(o, "iteration", 0));
  s.seconds = numberOr(o, "seconds", 0);
  s.lambda = numberOr(o, "lambda", s.lambda);
  s.nu = numberOr(o, "nu", s.nu);
  s.adamM = doublesOf(o.Get("adamM"));
  s.adamV = doublesOf(o.Get("adamV"));
  return s;
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
  }
  if (r.hasInertia) o.Set("inertia", inertiaToJs(env, r.inertia));
  if (r.hasExtremal) {
    o.Set("minEigenvalue", r.minEigenvalue);
    o.Set("maxEigenvalue", r.maxEigenvalue);
  }
  if (r.iteration > 0) {
    o.Set("stepNorm", r.stepNorm);
    o.Set("maxNeuronUpdate", r.maxNeuronUpdate);
    o.Set("gradientNorm", r.gradientNorm);
  }
  if (!r.diagnostics.empty()) {
    auto list = Napi::Array::New(env, r.diagnostics.size());
    for (std::size_t k = 0; k < r.diagnostics.size(); ++k) list.Set(static_cast<std::uint32_t>(k), toFloat64Array(env, r.diagnostics[k]));
    o.Set("diagnostics", list);
  }
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
    out.Set("stoppedBecause", result_->stoppedBecause);
    auto state = Napi::Object::New(env);
    state.Set("iteration", static_cast<double>(result_->state.iteration));
    state.Set("seconds", result_->state.seconds);
    state.Set("lambda", result_->state.lambda);
    state.Set("nu", result_->state.nu);
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
    TrainOptions options = readOptions(info[2].As<Napi::Object>(), data.size);
    TrainState state = readState(info[3].As<Napi::Object>());
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

void registerTraining(Napi::Env env, Napi::Object exports) { exports.Set("train", Napi::Function::New(env, Train)); }

}  // namespace nntk::glue
