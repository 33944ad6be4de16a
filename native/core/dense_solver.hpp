// The dense route of docs/MATH.md section 4: assemble C + lambda I (DSYRK plus the neuron blocks),
// factor by Cholesky, fall back to Bunch-Kaufman LDL^T with inertia read off D, and take spectra
// from LAPACK's symmetric eigensolvers. Memory O(P^2): for small and moderate widths only.
#pragma once
#include "model.hpp"
#include "step.hpp"

namespace nntk {

// Bytes of the P x P matrix the dense route needs (the dominant term of its memory).
double denseBytes(std::size_t parameterCount);

// The exact Hessian of L (or J^T J / M for Gauss-Newton), full symmetric P x P into H.
void denseCurvature(const NetView& net, const DataView& data, Curvature curvature, double* H);

StepOutcome denseStep(const NetView& net, const DataView& data, const StepRequest& request);

}  // namespace nntk
