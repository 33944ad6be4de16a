// N-API entry points for the kernels between test and training points (native/core/cross_kernels.hpp).
#pragma once
#include <napi.h>

namespace nntk::glue {

// Adds ntkCross / ntkCrossSync(net, data, testX) and nntkCross / nntkCrossSync(net, data, testX, request),
// each giving { cross (Mt x M, row-major), diagonal (Mt) }.
void registerCrossKernels(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
