#include "activation.hpp"

#include <array>
#include <cmath>
#include <numbers>

#include "failure.hpp"
#include "simd_math.hpp"

namespace nntk {
namespace {

// Logistic function written to avoid overflow of exp for large |z|.
double logistic(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// Past |z| = 2, 1 - tanh^2 z loses digits to cancellation (and is exactly 0 past |z| ~ 19), so sech^2 z
// is computed from e = exp(-2|z|): sech^2 z = 4 e / (1 + e)^2, accurate to a few ulps at every z.
constexpr double kTanhTail = 2.0;
double tanhPrime(double z, double t) {
  if (std::fabs(z) <= kTanhTail) return tanhPrimeFromValue(t);
  const double e = std::exp(-2.0 * std::fabs(z));
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

ActivationValues tanhValues(double z) {
  const double t = std::tanh(z), d = tanhPrime(z, t);
  return {t, d, -2.0 * t * d};
}

// tanh through the vectorized array routine: t, then tanh' (tanhPrime) and tanh'' = -2 t tanh'.
void tanhArrayValues(const double* z, std::size_t n, double* s0, double* s1, double* s2) {
  if (s0 && !s1 && !s2) return tanhArray(z, s0, n);  // values only: no staging
  constexpr std::size_t block = 256;
  double t[block];
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t len = n - first < block ? n - first : block;
    tanhArray(z + first, t, len);
    for (std::size_t k = 0; k < len; ++k) {
      const double d = tanhPrime(z[first + k], t[k]);
      if (s0) s0[first + k] = t[k];
      if (s1) s1[first + k] = d;
      if (s2) s2[first + k] = -2.0 * t[k] * d;
    }
  }
}

ActivationValues sigmoidValues(double z) {
  const double s = logistic(z);
  const double d = logisticPrimeFromValue(s);
  return {s, d, d * (1.0 - 2.0 * s)};
}

// softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|); its derivative is the logistic function.
ActivationValues softplusValues(double z) {
  const double s = logistic(z);
  return {std::fmax(z, 0.0) + std::log1p(std::exp(-std::fabs(z))), s, logisticPrimeFromValue(s)};
}

ActivationValues sinValues(double z) {
  const double s = std::sin(z);
  return {s, std::cos(z), -s};
}

// erf'(z) = 2/sqrt(pi) e^{-z^2}, erf''(z) = -2z erf'(z).
ActivationValues erfValues(double z) {
  const double d = 2.0 * std::numbers::inv_sqrtpi * std::exp(-z * z);
  return {std::erf(z), d, -2.0 * z * d};
}

// gelu(z) = z Phi(z) (the exact erf form); gelu' = Phi + z phi; gelu'' = phi (2 - z^2).
ActivationValues geluValues(double z) {
  const double Phi = 0.5 * std::erfc(-z * std::numbers::sqrt2 / 2.0);
  const double phi = std::exp(-0.5 * z * z) * std::numbers::inv_sqrtpi / std::numbers::sqrt2;
  return {z * Phi, Phi + z * phi, phi * (2.0 - z * z)};
}

// silu(z) = z s(z) with s the logistic; silu' = s + z s'; silu'' = s' (2 + z (1 - 2 s)).
ActivationValues siluValues(double z) {
  const double s = logistic(z);
  const double d = logisticPrimeFromValue(s);
  return {z * s, s + z * d, d * (2.0 + z * (1.0 - 2.0 * s))};
}

// The registry: one record per activation, in enum order (checked in activationSpec). The node counts
// per unit variance are measured (docs/notes/limit-kernel-quadrature.md).
constexpr ActivationSpec kRegistry[] = {
    {Activation::Tanh, "tanh", tanhValues, tanhArrayValues, tanhPrimeFromValue, 160},
    {Activation::Sigmoid, "sigmoid", sigmoidValues, nullptr, logisticPrimeFromValue, 50},
    {Activation::Softplus, "softplus", softplusValues, nullptr, nullptr, 50},
    {Activation::Sin, "sin", sinValues, nullptr, nullptr, 20},
    {Activation::Erf, "erf", erfValues, nullptr, nullptr, 80},
    {Activation::Gelu, "gelu", geluValues, nullptr, nullptr, 50},
    {Activation::Silu, "silu", siluValues, nullptr, nullptr, 50},
};
constexpr std::size_t kCount = std::size(kRegistry);

constexpr bool inEnumOrder() {
  for (std::size_t k = 0; k < kCount; ++k)
    if (static_cast<std::size_t>(kRegistry[k].id) != k) return false;
  return true;
}
static_assert(inEnumOrder(), "the activation registry must list the enum's values in order");

constexpr std::array<NamedValue<Activation>, kCount> namesOf() {
  std::array<NamedValue<Activation>, kCount> out{};
  for (std::size_t k = 0; k < kCount; ++k) out[k] = {kRegistry[k].id, kRegistry[k].name};
  return out;
}
constexpr std::array<NamedValue<Activation>, kCount> kNames = namesOf();

}  // namespace

const std::span<const NamedValue<Activation>> EnumNames<Activation>::values{kNames};

std::span<const ActivationSpec> activationRegistry() { return kRegistry; }

const ActivationSpec& activationSpec(Activation act) {
  const auto index = static_cast<std::size_t>(act);
  if (index >= kCount) throw Failure(ErrorCode::Internal, "unknown activation");
  return kRegistry[index];
}

double derivativeFromValue(Activation act, double sigma) {
  const ActivationSpec& spec = activationSpec(act);
  if (!spec.primeFromValue) throw Failure(ErrorCode::Internal, "derivativeFromValue: sigma' of this activation needs z");
  return spec.primeFromValue(sigma);
}

void evaluateActivation(Activation act, const double* z, std::size_t n, double* s0, double* s1, double* s2) {
  const ActivationSpec& spec = activationSpec(act);
  if (spec.array) return spec.array(z, n, s0, s1, s2);
  for (std::size_t k = 0; k < n; ++k) {
    const ActivationValues v = spec.values(z[k]);
    if (s0) s0[k] = v.s0;
    if (s1) s1[k] = v.s1;
    if (s2) s2[k] = v.s2;
  }
}

}  // namespace nntk
