// Array versions of transcendental functions, vectorized where the CPU and C library allow.
// On x86-64, glibc's libmvec supplies the vector tanh: 8-wide with AVX-512 (measured within 1.2 ulp, and
// about twice the AVX2 routine's rate), else 4-wide with AVX2 (4 ulp documented, 2.1 measured); elsewhere
// the scalar libm function runs. IEEE semantics are kept everywhere (no -ffast-math).
#pragma once
#include <cstddef>

namespace nntk {

// out[k] = tanh(z[k]); out may alias z.
void tanhArray(const double* z, double* out, std::size_t n);

// One tanh neuron of inputDim 1 in a single pass: sigma[k] = tanh(w x[k] + b) and f[k] += c sigma[k], bit for
// bit what neuronInputs, tanhArray and addNeuron give one after the other.
void tanhNeuron(double w, double b, double c, const double* x, std::size_t n, double* sigma, double* f);

}  // namespace nntk
