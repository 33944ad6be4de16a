// The closed forms of docs/MATH.md section 5.1. Each is written so that no step cancels: the arcsines
// are atan2 of a numerator and the square root of a determinant computed from PairMoments::det, and
// the sin kernel is a difference of two Gaussians in |x - x'|^2 and |x + x'|^2 + 4 = a + b + 2c.
#include "limit_closed_forms.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "failure.hpp"

namespace nntk {
namespace {

constexpr double kPi = std::numbers::pi;

// erf: E[erf z erf z'] = (2/pi) asin(2c / sqrt((1 + 2a)(1 + 2b))) and, with erf'(z) = (2/sqrt(pi)) e^{-z^2},
// E[erf' z erf' z'] = (4/pi) E[e^{-z^2 - z'^2}] = (4/pi) / sqrt(det(I + 2 Sigma)) = (4/pi) / sqrt(q),
// q = (1 + 2a)(1 + 2b) - 4c^2 = 1 + 2(a + b) + 4 det; asin(2c / sqrt(q + 4c^2)) = atan2(2c, sqrt(q)).
PairExpectations erfForm(const PairMoments& m) {
  const double rootQ = std::sqrt(1.0 + 2.0 * (m.a + m.b) + 4.0 * m.det);
  return {(2.0 / kPi) * std::atan2(2.0 * m.c, rootQ), (4.0 / kPi) / rootQ};
}

// sin: E[sin z sin z'] = (E cos(z - z') - E cos(z + z')) / 2 = (e^{-Var(z - z')/2} - e^{-Var(z + z')/2}) / 2
// with Var(z - z') = a + b - 2c = |x - x'|^2 and Var(z + z') = a + b + 2c; E[cos z cos z'] is the sum.
PairExpectations sinForm(const PairMoments& m) {
  const double near = std::exp(-0.5 * m.distance2), far = std::exp(-0.5 * (m.a + m.b + 2.0 * m.c));
  return {0.5 * (near - far), 0.5 * (near + far)};
}

// gelu(z) = z Phi(z). With P = (a + 1)(b + 1), D = P - c^2 = det + a + b + 1 (>= 3) and
// s = asin(c / sqrt(P)) = atan2(c, sqrt(D)):
//   E[sigma sigma']  = c/4 + c s / (2 pi) + (a b sqrt(D) + c^2 / sqrt(D)) / (2 pi P),
//   E[sigma' sigma'] = 1/4 + s / (2 pi) + c (a + b + 3 + c^2 / D) / (2 pi P sqrt(D)),
// the second being d/dc of the first (Price's theorem); MATH.md section 5.1 derives both.
PairExpectations geluForm(const PairMoments& m) {
  const double P = (m.a + 1.0) * (m.b + 1.0), D = m.det + m.a + m.b + 1.0, rootD = std::sqrt(D);
  const double s = std::atan2(m.c, rootD);
  const double e0 = 0.25 * m.c + m.c * s / (2.0 * kPi) + (m.a * m.b * rootD + m.c * m.c / rootD) / (2.0 * kPi * P);
  const double e1 = 0.25 + s / (2.0 * kPi) + m.c * (m.a + m.b + 3.0 + m.c * m.c / D) / (2.0 * kPi * P * rootD);
  return {e0, e1};
}

}  // namespace

PairMoments pairMoments(const double* x, double squaredNormX, const double* y, double squaredNormY, std::size_t d) {
  double xy = 0, distance2 = 0;
  for (std::size_t k = 0; k < d; ++k) {
    xy += x[k] * y[k];
    distance2 += (x[k] - y[k]) * (x[k] - y[k]);
  }
  const double det = std::fmax(squaredNormX * squaredNormY - xy * xy, 0.0) + distance2;
  return {squaredNormX + 1.0, squaredNormY + 1.0, xy + 1.0, det, distance2};
}

bool hasLimitClosedForm(Activation act) { return act == Activation::Erf || act == Activation::Sin || act == Activation::Gelu; }

PairExpectations closedFormExpectations(Activation act, const PairMoments& m) {
  switch (act) {
    case Activation::Erf: return erfForm(m);
    case Activation::Sin: return sinForm(m);
    case Activation::Gelu: return geluForm(m);
    default:
      throw Failure(ErrorCode::Argument, "the " + std::string(activationSpec(act).name) +
                                             " limit kernel has no closed form; use method 'auto' (quadrature)");
  }
}

}  // namespace nntk
