// A long native call (a training run, a wide step, a kernel) on a thread of its own, settling a Promise
// on the JavaScript thread.
//
// Why not libuv's thread pool: the pool has 4 threads (UV_THREADPOOL_SIZE), shared with fs, dns and
// zlib, so 4 long calls in flight would hold every thread and a readFile would wait for one of them to end.
// Each call here runs on a thread of its own (call_threads.hpp: an idle one, or one started for it); its
// result, and any progress in between, reaches JavaScript through a thread-safe function
// (napi_threadsafe_function), which also keeps the event loop alive while the call is in flight. A call
// for which no thread can be started falls back to the pool.
//
// The two halves of a call, and what each may touch:
//   run()               on the call's thread: the computation, on data the call owns (copied on the
//                       JavaScript thread before start()); it may throw, and it touches no N-API value.
//                       wakeJavaScript() asks for a wake() on the JavaScript thread (progress records).
//   wake(), settle(),   on the JavaScript thread, while its environment is alive. settle() runs once
//   releaseJavaScript() run() has returned; releaseJavaScript() drops every reference to a JavaScript value
//                       before the call is freed (which may happen on either thread).
//
// Teardown (a worker_threads Worker terminated, or its environment freed, mid-call): an environment
// cleanup hook cancels the call (cancellation() is the flag run() may poll), detaches it from the
// thread-safe function so that its thread never touches N-API again, and waits for run() to return, as
// Node waits for its own pool's work: the Worker's lane stays busy until the native work has ended. The
// addon is never unloaded (long_call.cpp marks it RTLD_NODELETE), so a thread's last instructions never
// race a dlclose. At process exit (exit(), after process.exit()) an atexit handler cancels the calls still
// running and waits for them, so that no computation is left inside OpenBLAS while its destructors run.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "convert.hpp"

namespace nntk::glue {

// Where long calls run: their own threads (the default), or libuv's pool (the former behaviour, kept so
// that bench/event-loop.ts can compare the two in one process). Process-wide, for benchmarks only.
enum class CallPlacement { OwnThread, LibuvPool };
void setCallPlacement(CallPlacement placement);

class LongCall {
 public:
  virtual ~LongCall() = default;
  LongCall(const LongCall&) = delete;
  LongCall& operator=(const LongCall&) = delete;

  // Starts call->run() off the JavaScript thread and returns the Promise its settle() settles.
  static Napi::Promise start(Napi::Env env, std::shared_ptr<LongCall> call);

  // The flag run() may poll; setting it asks the computation to stop early (training stops between
  // iterations). Shared, so that a JavaScript cancel() function can hold it without holding the call.
  const std::shared_ptr<std::atomic<bool>>& cancellation() const { return cancelled_; }

 protected:
  explicit LongCall(Napi::Env env);

  // On the call's thread.
  virtual void run() = 0;
  void wakeJavaScript();

  // On the JavaScript thread. The default settle() resolves with resultToJs(), or rejects with the
  // NntkError for the exception run() threw (or that resultToJs() threw).
  virtual void wake(Napi::Env) {}
  virtual void settle(Napi::Env env);
  virtual Napi::Value resultToJs(Napi::Env env) = 0;
  virtual void releaseJavaScript() {}
  Napi::Promise::Deferred& deferred() { return deferred_; }
  // The failure run() threw, if it threw.
  const std::optional<FailureText>& failure() const { return failure_; }

 private:
  struct Callbacks;
  void execute() noexcept;  // run() on whichever thread, then hands the call back to JavaScript

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  std::optional<FailureText> failure_;
  napi_threadsafe_function tsfn_ = nullptr;
  bool hookRegistered_ = false;  // the teardown hook; JavaScript thread only

  std::mutex mutex_;  // guards the two fields below (and every use of tsfn_ off the JavaScript thread)
  std::condition_variable finishedChanged_;
  bool attached_ = false;  // tsfn_ may be used: not yet released, environment not torn down
  bool finished_ = false;  // run() has returned
};

}  // namespace nntk::glue
