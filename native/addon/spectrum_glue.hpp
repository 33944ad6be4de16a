// N-API entry points for the spectrum of C + lambda I at any width (native/core/curvature_spectrum.hpp).
#pragma once
#include <napi.h>

namespace nntk::glue {

// Adds spectrumSync(net, data, request) and spectrum(net, data, request) -> Promise to exports.
void registerSpectrum(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
