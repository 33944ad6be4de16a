// The seven smooth activations of docs/MATH.md section 1, each with its first and second derivative.
#pragma once
#include <cstddef>

namespace nntk {

// Order matches ACTIVATIONS in src/activation.ts; the glue passes the index.
enum class Activation : int { Tanh = 0, Sigmoid, Softplus, Sin, Erf, Gelu, Silu };
constexpr int kActivationCount = 7;

// Evaluates sigma, sigma' and sigma'' at n points. Any output pointer may be null to skip it.
void evaluateActivation(Activation act, const double* z, std::size_t n, double* s0, double* s1, double* s2);

// Whether sigma' is a function of sigma alone (tanh' = 1 - tanh^2, sigmoid' = s (1 - s)), so that a caller
// may keep sigma only and recover sigma' from it, bit for bit as evaluateActivation computes it.
bool derivativeFromValue(Activation act);
inline double tanhPrimeFromValue(double t) { return 1.0 - t * t; }
inline double logisticPrimeFromValue(double s) { return s * (1.0 - s); }
// sigma' from sigma for the activations derivativeFromValue accepts.
double derivativeFromValue(Activation act, double sigma);

}  // namespace nntk
