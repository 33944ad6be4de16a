// The smooth activations of docs/MATH.md section 1. Each is one record of the registry in
// activation.cpp: its name (the one TypeScript uses), sigma with its first two derivatives, whether
// sigma' can be recovered from sigma, and its limit-kernel quadrature setting. Adding an activation is
// one enum value here and one record in activation.cpp; a test compares the registry's names (exported
// by the addon) with ACTIVATIONS in src/activation.ts.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

#include "names.hpp"

namespace nntk {

enum class Activation : int { Tanh, Sigmoid, Softplus, Sin, Erf, Gelu, Silu };

struct ActivationValues {
  double s0, s1, s2;  // sigma, sigma', sigma''
};

struct ActivationSpec {
  Activation id;
  std::string_view name;
  ActivationValues (*values)(double z);
  // Optional array routine (vectorized); null: the scalar one in a loop. Any output may be null.
  void (*array)(const double* z, std::size_t n, double* s0, double* s1, double* s2);
  // sigma' as a function of sigma alone (tanh' = 1 - tanh^2, sigmoid' = s (1 - s)), or null when it needs z.
  // Callers that keep sigma only recover sigma' with it; it is accurate to absolute rounding of sigma'.
  double (*primeFromValue)(double sigma);
  // Gauss-Hermite nodes per unit of the largest input variance for the limit kernels (limit_kernel.cpp).
  double limitNodesPerVariance;
};

// The registry, in enum order; activationSpec(a) is its record.
std::span<const ActivationSpec> activationRegistry();
const ActivationSpec& activationSpec(Activation act);

template <>
struct EnumNames<Activation> {
  static constexpr std::string_view kind = "activation";
  static const std::span<const NamedValue<Activation>> values;
};

// Evaluates sigma, sigma' and sigma'' at n points. Any output pointer may be null to skip it.
void evaluateActivation(Activation act, const double* z, std::size_t n, double* s0, double* s1, double* s2);

// Whether sigma' is a function of sigma alone, and that function.
inline bool derivativeFromValue(Activation act) { return activationSpec(act).primeFromValue != nullptr; }
double derivativeFromValue(Activation act, double sigma);
inline double tanhPrimeFromValue(double t) { return 1.0 - t * t; }
inline double logisticPrimeFromValue(double s) { return s * (1.0 - s); }

}  // namespace nntk
