// Runs a core computation as a long call (long_call.hpp: a thread of its own) and settles a Promise with
// its result. The work closure must own everything it reads (copies made on the JavaScript thread): it
// runs while JavaScript keeps going, and touches no N-API value. toJs runs on the JavaScript thread.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <optional>

#include "long_call.hpp"

namespace nntk::glue {

template <typename Result>
class PromiseWorker final : public LongCall {
 public:
  using Work = std::function<Result()>;
  using ToJs = std::function<Napi::Value(Napi::Env, const Result&)>;

  static Napi::Promise start(Napi::Env env, Work work, ToJs toJs) {
    return LongCall::start(env, std::shared_ptr<PromiseWorker>(new PromiseWorker(env, std::move(work), std::move(toJs))));
  }

 private:
  PromiseWorker(Napi::Env env, Work work, ToJs toJs) : LongCall(env), work_(std::move(work)), toJs_(std::move(toJs)) {}

  void run() override { result_.emplace(work_()); }
  Napi::Value resultToJs(Napi::Env env) override { return toJs_(env, *result_); }

  Work work_;
  ToJs toJs_;
  std::optional<Result> result_;
};

}  // namespace nntk::glue
