// Closed forms of the two Gaussian expectations of the limit kernel (docs/MATH.md section 5.1) for the
// activations that have one: erf (Williams' arcsine kernel), sin, and gelu. For (z, z') centered normal
// with Var z = a, Var z' = b, Cov(z, z') = c they give E[sigma(z) sigma(z')] and E[sigma'(z) sigma'(z')].
#pragma once
#include <cstddef>

#include "activation.hpp"

namespace nntk {

// The second moments of one pair of inputs, with a = |x|^2 + 1, b = |x'|^2 + 1, c = x.x' + 1,
// det = a b - c^2 >= 0 and distance2 = |x - x'|^2, the last two computed without cancellation
// (det = (|x|^2 |x'|^2 - (x.x')^2) + |x - x'|^2, both terms >= 0), so close pairs stay accurate.
struct PairMoments {
  double a, b, c, det, distance2;
};
PairMoments pairMoments(const double* x, double squaredNormX, const double* y, double squaredNormY, std::size_t d);

// E[sigma sigma'] and E[sigma' sigma'] of the pair.
struct PairExpectations {
  double e0, e1;
};

// Whether act has a closed form below (erf, sin, gelu).
bool hasLimitClosedForm(Activation act);
// The closed form; E_ARGUMENT for an activation without one.
PairExpectations closedFormExpectations(Activation act, const PairMoments& m);

}  // namespace nntk
