// N-API entry points for the infinite-width limit kernels (native/core/limit_kernel.hpp).
#pragma once
#include <napi.h>

namespace nntk::glue {

// Adds to exports, each a Promise version (computing on the thread pool) and its blocking ...Sync twin:
//   ntkGramLimit(x, M, d, activation[, method]), nntkGramLimit(x, M, d, activation, gamma),
//   ntkCrossLimit(test, Mt, x, M, d, activation[, method]), ntkDiagonalLimit(test, Mt, d, M, activation[, method]),
// method being 'auto' (the default), 'closed-form', 'grid' or 'pair-quadrature' (LimitMethod).
void registerLimitKernels(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
