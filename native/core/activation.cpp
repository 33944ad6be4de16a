#include "activation.hpp"

#include <cmath>
#include <numbers>

#include "failure.hpp"
#include "simd_math.hpp"

namespace nntk {
namespace {

struct Values {
  double s0, s1, s2;
};

// Logistic function written to avoid overflow of exp for large |z|.
double logistic(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

Values sigmoidValues(double z) {
  const double s = logistic(z);
  const double d = logisticPrimeFromValue(s);
  return {s, d, d * (1.0 - 2.0 * s)};
}

// softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|); its derivative is the logistic function.
Values softplusValues(double z) {
  const double s = logistic(z);
  return {std::fmax(z, 0.0) + std::log1p(std::exp(-std::fabs(z))), s, logisticPrimeFromValue(s)};
}

Values sinValues(double z) {
  const double s = std::sin(z);
  return {s, std::cos(z), -s};
}

// erf'(z) = 2/sqrt(pi) e^{-z^2}, erf''(z) = -2z erf'(z).
Values erfValues(double z) {
  const double d = 2.0 * std::numbers::inv_sqrtpi * std::exp(-z * z);
  return {std::erf(z), d, -2.0 * z * d};
}

// gelu(z) = z Phi(z) (the exact erf form); gelu' = Phi + z phi; gelu'' = phi (2 - z^2).
Values geluValues(double z) {
  const double Phi = 0.5 * std::erfc(-z * std::numbers::sqrt2 / 2.0);
  const double phi = std::exp(-0.5 * z * z) * std::numbers::inv_sqrtpi / std::numbers::sqrt2;
  return {z * Phi, Phi + z * phi, phi * (2.0 - z * z)};
}

// silu(z) = z s(z) with s the logistic; silu' = s + z s'; silu'' = s' (2 + z (1 - 2 s)).
Values siluValues(double z) {
  const double s = logistic(z);
  const double d = logisticPrimeFromValue(s);
  return {z * s, s + z * d, d * (2.0 + z * (1.0 - 2.0 * s))};
}

template <Values (*F)(double)>
void evaluateAll(const double* z, std::size_t n, double* s0, double* s1, double* s2) {
  for (std::size_t k = 0; k < n; ++k) {
    const Values v = F(z[k]);
    if (s0) s0[k] = v.s0;
    if (s1) s1[k] = v.s1;
    if (s2) s2[k] = v.s2;
  }
}

// tanh through the vectorized array routine: t, then tanh' = 1 - t^2 and tanh'' = -2 t (1 - t^2).
void evaluateTanh(const double* z, std::size_t n, double* s0, double* s1, double* s2) {
  if (s0 && !s1 && !s2) return tanhArray(z, s0, n);  // values only: no staging
  constexpr std::size_t block = 256;
  double t[block];
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t len = n - first < block ? n - first : block;
    tanhArray(z + first, t, len);
    for (std::size_t k = 0; k < len; ++k) {
      const double d = tanhPrimeFromValue(t[k]);
      if (s0) s0[first + k] = t[k];
      if (s1) s1[first + k] = d;
      if (s2) s2[first + k] = -2.0 * t[k] * d;
    }
  }
}

}  // namespace

bool derivativeFromValue(Activation act) { return act == Activation::Tanh || act == Activation::Sigmoid; }

double derivativeFromValue(Activation act, double sigma) {
  switch (act) {
    case Activation::Tanh: return tanhPrimeFromValue(sigma);
    case Activation::Sigmoid: return logisticPrimeFromValue(sigma);
    default: throw Failure("E_INTERNAL", "derivativeFromValue: sigma' of this activation needs z");
  }
}

void evaluateActivation(Activation act, const double* z, std::size_t n, double* s0, double* s1, double* s2) {
  switch (act) {
    case Activation::Tanh: return evaluateTanh(z, n, s0, s1, s2);
    case Activation::Sigmoid: return evaluateAll<sigmoidValues>(z, n, s0, s1, s2);
    case Activation::Softplus: return evaluateAll<softplusValues>(z, n, s0, s1, s2);
    case Activation::Sin: return evaluateAll<sinValues>(z, n, s0, s1, s2);
    case Activation::Erf: return evaluateAll<erfValues>(z, n, s0, s1, s2);
    case Activation::Gelu: return evaluateAll<geluValues>(z, n, s0, s1, s2);
    case Activation::Silu: return evaluateAll<siluValues>(z, n, s0, s1, s2);
  }
}

}  // namespace nntk
