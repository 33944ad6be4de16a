#include "long_call.hpp"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <list>

#include "args.hpp"
#include "call_threads.hpp"

namespace nntk::glue {
namespace {

std::atomic<CallPlacement> placement{CallPlacement::OwnThread};

// What a call's thread sends to the JavaScript thread: tags, not allocations, so that a message the
// thread-safe function drops in teardown leaves nothing to free.
void* const kWake = reinterpret_cast<void*>(std::uintptr_t{1});
void* const kDone = reinterpret_cast<void*>(std::uintptr_t{2});

// The cancellation flags of the calls running on threads of their own, process-wide, for the atexit
// handler. Never destroyed: a thread may leave after the static destructors have begun.
class Flights {
 public:
  using Ticket = std::list<std::shared_ptr<std::atomic<bool>>>::iterator;

  Ticket enter(std::shared_ptr<std::atomic<bool>> cancelled) {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_.insert(running_.end(), std::move(cancelled));
  }

  void leave(Ticket ticket) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(ticket);
    if (running_.empty()) changed_.notify_all();
  }

  void cancelAllAndWait() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (const auto& cancelled : running_) cancelled->store(true);
    changed_.wait(lock, [this] { return running_.empty(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::list<std::shared_ptr<std::atomic<bool>>> running_;
};

Flights& flights() {
  static Flights* f = new Flights();
  return *f;
}

void waitForCallsAtExit() { flights().cancelAllAndWait(); }

// Node unloads an addon (dlclose) when the last environment that loaded it is freed; a call's thread,
// done with N-API, may still be returning through the addon's code then. Marking the addon RTLD_NODELETE
// keeps its code mapped for the life of the process (the handle is kept on purpose).
void keepAddonLoaded() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&keepAddonLoaded), &info) != 0 && info.dli_fname != nullptr)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

std::once_flag prepared;
void prepareProcess() {
  keepAddonLoaded();
  std::atexit(waitForCallsAtExit);
}

}  // namespace

void setCallPlacement(CallPlacement p) { placement.store(p); }

// The thread-safe function's callbacks, the teardown hook and the two ways of starting a call.
struct LongCall::Callbacks {
  // Runs on the JavaScript thread for each message; env is null when the thread-safe function is being
  // torn down with messages still queued. No exception may leave a callback of the event loop.
  static void callJs(napi_env env, napi_value, void* context, void* data) {
    if (env == nullptr) return;
    LongCall& call = **static_cast<std::shared_ptr<LongCall>*>(context);
    try {
      Napi::Env e(env);
      Napi::HandleScope scope(e);
      if (data == kWake) return call.wake(e);
      removeHook(env, call);
      call.settle(e);
    } catch (...) {
    }
  }

  // On the JavaScript thread, once the thread has released the function and every message is handled,
  // or when the environment is torn down.
  static void finalize(napi_env env, void*, void* context) {
    auto* holder = static_cast<std::shared_ptr<LongCall>*>(context);
    removeHook(env, **holder);
    try {
      (*holder)->releaseJavaScript();
    } catch (...) {
    }
    delete holder;
  }

  // The environment cleanup hook (see the header): runs on the JavaScript thread while the environment
  // is torn down.
  static void teardown(void* arg) {
    LongCall& call = *static_cast<LongCall*>(arg);
    call.hookRegistered_ = false;
    call.cancelled_->store(true);
    std::unique_lock<std::mutex> lock(call.mutex_);
    call.attached_ = false;
    call.finishedChanged_.wait(lock, [&call] { return call.finished_; });
  }

  static void removeHook(napi_env env, LongCall& call) {
    if (!call.hookRegistered_) return;
    call.hookRegistered_ = false;
    napi_remove_env_cleanup_hook(env, teardown, &call);
  }

  // A thread of its own (call_threads.hpp), counted in flights() until the call has finished with it.
  static bool launchOnThread(const std::shared_ptr<LongCall>& call) {
    const Flights::Ticket ticket = flights().enter(call->cancelled_);
    const bool started = runOnCallThread([call = call, ticket]() mutable {
      call->execute();
      call.reset();  // the call may be freed here, before the atexit handler is told it has ended
      flights().leave(ticket);
    });
    if (!started) flights().leave(ticket);  // no thread to be had: the caller falls back to the pool
    return started;
  }

  // Work on libuv's pool: the placement of benchmarks' comparisons, and the fallback.
  struct PoolWork {
    std::shared_ptr<LongCall> call;
    napi_async_work work = nullptr;
  };
  static bool launchOnPool(napi_env env, const std::shared_ptr<LongCall>& call) {
    auto* w = new PoolWork{call};
    napi_value name = Napi::String::New(env, "nntk");
    const auto execute = [](napi_env, void* data) { static_cast<PoolWork*>(data)->call->execute(); };
    const auto complete = [](napi_env e, napi_status, void* data) {
      auto* done = static_cast<PoolWork*>(data);
      napi_delete_async_work(e, done->work);
      delete done;
    };
    if (napi_create_async_work(env, nullptr, name, execute, complete, w, &w->work) != napi_ok) {
      delete w;
      return false;
    }
    if (napi_queue_async_work(env, w->work) != napi_ok) {
      napi_delete_async_work(env, w->work);
      delete w;
      return false;
    }
    return true;
  }
};

LongCall::LongCall(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}

Napi::Promise LongCall::start(Napi::Env env, std::shared_ptr<LongCall> call) {
  std::call_once(prepared, prepareProcess);
  Napi::Promise promise = call->deferred_.Promise();
  auto* holder = new std::shared_ptr<LongCall>(call);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "nntk"), 0, 1, nullptr,
                                      Callbacks::finalize, holder, Callbacks::callJs, &call->tsfn_) != napi_ok) {
    delete holder;
    fail(ErrorCode::Internal, "could not create the thread-safe function of an async call");
  }
  // The thread-safe function owns holder from here on (finalize() frees it), and holds the event loop open.
  if (napi_add_env_cleanup_hook(env, Callbacks::teardown, call.get()) == napi_ok) call->hookRegistered_ = true;
  call->attached_ = true;  // no thread yet: no lock needed
  const bool started = (placement.load() == CallPlacement::OwnThread && Callbacks::launchOnThread(call)) ||
                       Callbacks::launchOnPool(env, call);
  if (!started) {
    Callbacks::removeHook(env, *call);
    call->attached_ = false;
    napi_release_threadsafe_function(call->tsfn_, napi_tsfn_release);
    fail(ErrorCode::Internal, "could not start a thread for an async call, nor queue it on libuv's pool");
  }
  return promise;
}

void LongCall::execute() noexcept {
  try {
    run();
  } catch (...) {
    try {
      failure_ = describeCurrentException();
    } catch (...) {
      failure_.emplace(FailureText{"E_INTERNAL", ""});
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (attached_) {
    napi_call_threadsafe_function(tsfn_, kDone, napi_tsfn_nonblocking);
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    attached_ = false;
  }
  finished_ = true;
  finishedChanged_.notify_all();
}

void LongCall::wakeJavaScript() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (attached_) napi_call_threadsafe_function(tsfn_, kWake, napi_tsfn_nonblocking);
}

void LongCall::settle(Napi::Env env) {
  try {
    if (failure_) return deferred_.Reject(makeError(env, failure_->code, failure_->message).Value());
    deferred_.Resolve(resultToJs(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  } catch (...) {
    const FailureText f = describeCurrentException();
    deferred_.Reject(makeError(env, f.code, f.message).Value());
  }
}

}  // namespace nntk::glue
