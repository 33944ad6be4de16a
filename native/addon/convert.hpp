// Conversions between JavaScript values and the core's structs, and the one place where C++
// exceptions become JavaScript NntkError instances (for sync calls through guarded(), for async ones
// through describeCurrentException() on the worker and makeError() on the JavaScript thread).
// Arguments are read with the strict reader of args.hpp.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "args.hpp"
#include "core/kernels.hpp"
#include "core/model.hpp"
#include "core/step.hpp"
#include "core/structured_system.hpp"

namespace nntk::glue {

// Per-addon-instance state (no globals): the NntkError constructor handed over at load time.
struct AddonState {
  Napi::FunctionReference errorClass;
};

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message);

// The code and message an NntkError should carry for the exception in flight (inside a catch block).
struct FailureText {
  std::string code, message;
};
FailureText describeCurrentException();

// Runs fn and turns every C++ exception except a JavaScript one into a thrown NntkError.
template <typename Fn>
Napi::Value guarded(Napi::Env env, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;  // already a JavaScript exception (e.g. thrown by a callback)
  } catch (...) {
    const FailureText f = describeCurrentException();
    throw makeError(env, f.code, f.message);
  }
}

NetView netView(const Napi::Value& value);  // zero-copy: valid only while JavaScript is blocked
OwnedNet ownNet(const Napi::Value& value);  // copies, for worker threads
DataView dataView(const Napi::Value& value);
OwnedData ownData(const Napi::Value& value);
// A net and a data set that agree (inputDim), read together.
void requireAgreement(const NetView& net, const DataView& data);
StepRequest stepRequest(const Napi::Value& value);

// E_NONFINITE when a result holds NaN or Infinity (run on the worker, before conversion): no silent NaN
// reaches JavaScript.
void requireFiniteResult(const StepOutcome& outcome);
void requireFiniteResult(const ExtremalSpectrum& spectrum);
void requireFiniteResult(const Gram& gram);

Napi::Float64Array newFloat64Array(Napi::Env env, std::size_t length);
Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& values);
Napi::Object inertiaToJs(Napi::Env env, const Inertia& inertia);
Napi::Object timingsToJs(Napi::Env env, const StepTimings& timings);
Napi::Value stepToJs(Napi::Env env, const StepOutcome& outcome);
Napi::Value spectrumToJs(Napi::Env env, const ExtremalSpectrum& spectrum);
Napi::Value gramToJs(Napi::Env env, const Gram& gram);

}  // namespace nntk::glue
