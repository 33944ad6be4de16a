// N-API entry points for the infinite-width limit kernels (native/core/limit_kernel.hpp).
#pragma once
#include <napi.h>

namespace nntk::glue {

// Adds ntkGramLimit(x, M, d, activationIndex) and nntkGramLimit(x, M, d, activationIndex, gamma), which
// return Promises and compute on the thread pool, and their blocking twins ntkGramLimitSync and
// nntkGramLimitSync, to exports.
void registerLimitKernels(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
