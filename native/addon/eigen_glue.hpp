// N-API entry point for the symmetric eigen-decomposition (native/core/symmetric_eigen.hpp).
#pragma once
#include <napi.h>

namespace nntk::glue {

// Adds symmetricEigen(matrix, n) -> { values, vectors } to exports.
void registerEigen(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
