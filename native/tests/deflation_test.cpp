// Deflation in the structured system (native/core/structured_system.hpp, docs/MATH.md section 4): lambda is
// put exactly on, or near, minus an eigenvalue of one neuron's block D_i, so that D_i + lambda I is singular
// or nearly so while C + lambda I is not. The structured step must still agree with the dense one.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/dense_solver.hpp"
#include "core/structured_system.hpp"
#include "reference.hpp"

namespace nntk::test {
namespace {

struct Target {
  std::size_t neuron = 0;
  double eigenvalue = 0;  // the most negative eigenvalue of any block D_i, by DSYEV
  double blockRadius = 0; // max |eigenvalue| of that block
};

// D_i from curvatureBlocks, eigenvalues by DSYEV (not the core's Jacobi solver).
Target mostNegativeBlockEigenvalue(const NetView& net, const DataView& data) {
  const std::size_t q = net.blockSize(), M = data.size;
  std::vector<double> r(M), D(net.width * q * q);
  residual(net, data, r.data());
  curvatureBlocks(net, data, r.data(), D.data());
  Target t;
  for (std::size_t i = 0; i < net.width; ++i) {
    const std::vector<double> block(D.begin() + static_cast<std::ptrdiff_t>(i * q * q),
                                    D.begin() + static_cast<std::ptrdiff_t>((i + 1) * q * q));
    const std::vector<double> w = dsyevEigenvalues(block, q);
    if (w.front() < t.eigenvalue) t = {i, w.front(), std::max(std::fabs(w.front()), std::fabs(w.back()))};
  }
  return t;
}

struct Offset {
  double relative;    // lambda = -eigenvalue + relative * scale, scale = |lambda| + block radius
  bool deflated;      // whether the structured path must deflate (its threshold is 1e-4 of the scale)
  double tolerance;   // on max |structured - dense| / max |dense|
  const char* note;
};

void deflatedStep(Context& ctx, Activation activation, std::size_t inputDim, std::uint64_t seed) {
  const Problem p = randomProblem(seed, activation, inputDim, 16, 10);
  const NetView net = p.net.view();
  const DataView data = p.data.view();
  const Target t = mostNegativeBlockEigenvalue(net, data);
  if (!ctx.check(t.eigenvalue < 0, "no block has a negative eigenvalue")) return;
  const double scale = -t.eigenvalue + t.blockRadius;
  // Rounding explains, for exact deflation, the same few eps * cond as any structured step (structured_test):
  // the rank-one correction is exact, so deflation adds no error of its own. Tolerance 0 below means that
  // bound, 64 eps cond(C + lambda I), computed per problem; the others are relative and fixed.
  const Offset offsets[] = {
      {0.0, true, 0.0, "exactly on"},
      {1e-14, true, 1e-12, "inside the threshold"},
      {1e-10, true, 1e-12, "inside the threshold"},
      {3e-8, true, 1e-12, "inside the threshold"},
      {1e-6, true, 1e-12, "inside the threshold"},
      {5e-5, true, 1e-12, "inside the threshold"},
      // Outside, the Woodbury formulas carry 1/theta: about 3e-17 scale / |theta| of the step (3e-13 at the
      // threshold); with the old threshold of 1e-8 the step lost 2.2e-9, 5.9e-10, 3.4e-11 at 3e-8, 1e-7, 1e-6.
      {2e-4, false, 1e-12, "just outside the threshold"},
      {1e-3, false, 1e-12, "outside the threshold"},
      {1e-2, false, 1e-12, "well outside the threshold"},
  };

  for (const Offset& o : offsets) {
    for (double side : {1.0, -1.0}) {
      if (o.relative == 0.0 && side < 0) continue;
      const double lambda = -t.eigenvalue + side * o.relative * scale;
      const std::string what = std::string(activationName(activation)) + " d " + std::to_string(inputDim) +
                               ": lambda at " + sci(side * o.relative) + " (" + o.note + ")";
      const DenseReference ref = denseReference(net, data, Curvature::Newton, lambda);
      if (!ctx.atMost(ref.condition(), 1e9, what + ": condition of C + lambda I")) continue;
      const StepRequest request{Curvature::Newton, lambda, Spectrum::Extremal};
      const StepOutcome dense = denseStep(net, data, request);
      const StepOutcome structured = structuredStep(net, data, request);
      ctx.check(structured.solver == (o.deflated ? Factorization::StructuredWoodburyDeflated : Factorization::StructuredWoodbury),
                what + ": solver " + std::string(nameOf(structured.solver)));
      const double rounding = 64.0 * kEps * ref.condition();
      const double tol = o.tolerance > 0 ? o.tolerance : rounding;
      const double err = maxAbsDiff(structured.step, dense.step) / maxAbs(dense.step);
      ctx.atMost(err, tol, what + ": step against dense");
      ctx.check(structured.inertia.positive == ref.inertia.positive &&
                    structured.inertia.negative == ref.inertia.negative && structured.inertia.zero == 0,
                what + ": inertia (" + std::to_string(structured.inertia.positive) + ", " +
                    std::to_string(structured.inertia.negative) + ") against DSYEV (" +
                    std::to_string(ref.inertia.positive) + ", " + std::to_string(ref.inertia.negative) + ")");
      ctx.near(structured.minEigenvalue, ref.eigenvalues.front(), 64.0 * kEps * ref.radius, what + ": min eigenvalue");
      ctx.near(structured.maxEigenvalue, ref.eigenvalues.back(), 64.0 * kEps * ref.radius, what + ": max eigenvalue");
      if (ctx.verbose)
        ctx.note(what + ": step error " + sci(err) + ", cond " + sci(ref.condition()) + ", eps * cond " +
                 sci(kEps * ref.condition()));
    }
  }
}

}  // namespace

void addDeflationCases(std::vector<Case>& cases) {
  cases.push_back({"deflation", "tanh, inputDim 1 (fused sweep)",
                   [](Context& ctx) { deflatedStep(ctx, Activation::Tanh, 1, 601); }});
  cases.push_back({"deflation", "softplus, inputDim 2",
                   [](Context& ctx) { deflatedStep(ctx, Activation::Softplus, 2, 602); }});
  cases.push_back({"deflation", "sin, inputDim 3",
                   [](Context& ctx) { deflatedStep(ctx, Activation::Sin, 3, 603); }});
}

}  // namespace nntk::test
