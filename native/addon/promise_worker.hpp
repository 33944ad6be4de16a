// Runs a core computation on libuv's thread pool and settles a Promise with its result.
// The work closure must own everything it reads (copies made on the JavaScript thread): Execute()
// runs while JavaScript keeps going, and touches no N-API value.
#pragma once
#include <napi.h>

#include <functional>
#include <new>
#include <optional>
#include <string>

#include "convert.hpp"

namespace nntk::glue {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using ToJs = std::function<Napi::Value(Napi::Env, const Result&)>;

  static Napi::Promise start(Napi::Env env, Work work, ToJs toJs) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(toJs));  // freed by N-API after OnOK
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (...) {
      failure_ = describeCurrentException();
    }
  }

  // No exception may leave a callback of the event loop. While the environment is torn down (a worker
  // thread terminated mid-call) every call into JavaScript throws, rejecting included: nobody is left to tell.
  void OnOK() override {
    try {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      if (!result_) {
        deferred_.Reject(makeError(env, failure_.code, failure_.message).Value());
        return;
      }
      try {
        deferred_.Resolve(toJs_(env, *result_));
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      } catch (...) {
        const FailureText f = describeCurrentException();
        deferred_.Reject(makeError(env, f.code, f.message).Value());
      }
    } catch (...) {
    }
  }

 private:
  PromiseWorker(Napi::Env env, Work work, ToJs toJs)
      : Napi::AsyncWorker(env, "nntk"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        toJs_(std::move(toJs)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs toJs_;
  std::optional<Result> result_;
  FailureText failure_;
};

}  // namespace nntk::glue
