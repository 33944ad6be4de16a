// N-API entry points of the one-step grid (native/core/one_step.hpp).
#pragma once
#include <napi.h>

namespace nntk::glue {

// Adds oneStepGridSync(net, data, curvatureIndex, lambdas, targets) and oneStepGrid(...) (a Promise) to exports.
void registerOneStepGrid(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
