// The structured system (native/core/structured_system.*, docs/MATH.md section 4) against the dense
// solver (native/core/dense_solver.*) and against DSYEV of the assembled matrix, for both curvatures on
// small random networks: Woodbury's step, Haynsworth's inertia and the bisected (or Gauss-Newton closed
// form) extremal eigenvalues are each an independent computation of what the dense route computes.
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

struct Config {
  Activation activation;
  std::size_t inputDim, width, points;
  double lambda;
};

std::string describe(const Config& c, Curvature curvature) {
  return std::string(activationName(c.activation)) + " d " + std::to_string(c.inputDim) + " N " +
         std::to_string(c.width) + " M " + std::to_string(c.points) + " lambda " + sci(c.lambda) +
         (curvature == Curvature::Newton ? " newton" : " gauss-newton");
}

bool sameInertia(Context& ctx, const Inertia& got, const Inertia& want, const std::string& what) {
  return ctx.check(got.positive == want.positive && got.negative == want.negative && got.zero == want.zero,
                   what + ": inertia (" + std::to_string(got.positive) + ", " + std::to_string(got.negative) + ", " +
                       std::to_string(got.zero) + "), expected (" + std::to_string(want.positive) + ", " +
                       std::to_string(want.negative) + ", " + std::to_string(want.zero) + ")");
}

// Every activation, inputDim 1 (the fused one-dimensional sweep) to 3, P above and below M.
std::vector<Config> configs() {
  std::vector<Config> out;
  for (int a = 0; a < 7; ++a) {
    const auto act = static_cast<Activation>(a);
    const std::size_t d = 1 + static_cast<std::size_t>(a) % 3;
    out.push_back({act, d, 24, 9, 1e-3});      // P = 24 (d + 2) > M
    out.push_back({act, d, 3, 5 * (d + 2), 2e-2});  // P = 3 (d + 2) < M
  }
  out.push_back({Activation::Tanh, 1, 60, 16, 1e-1});
  out.push_back({Activation::Softplus, 2, 40, 12, 1e-4});
  return out;
}

void stepAgainstDense(Context& ctx, Curvature curvature) {
  std::uint64_t seed = 11;
  for (const Config& c : configs()) {
    const Problem p = randomProblem(seed++, c.activation, c.inputDim, c.width, c.points);
    const NetView net = p.net.view();
    const DataView data = p.data.view();
    const std::string what = describe(c, curvature);
    const DenseReference ref = denseReference(net, data, curvature, c.lambda);
    // The comparison needs C + lambda I well away from singular, or neither answer is meaningful.
    if (!ctx.atMost(ref.condition(), 1e9, what + ": condition of the test problem")) continue;

    const StepRequest request{curvature, c.lambda, Spectrum::Inertia};
    const StepOutcome dense = denseStep(net, data, request);
    const StepOutcome structured = structuredStep(net, data, request);
    ctx.check(structured.solver == "structured-woodbury", what + ": solver " + structured.solver);
    sameInertia(ctx, structured.inertia, ref.inertia, what + ": structured");
    sameInertia(ctx, dense.inertia, ref.inertia, what + ": dense");
    // Both are backward stable in the P x P system to within the structured path's O(cond) amplification
    // through the capacitance matrix: forward errors of a few eps * cond each.
    const double tol = 64.0 * kEps * ref.condition();
    ctx.atMost(maxAbsDiff(structured.step, dense.step) / maxAbs(dense.step), tol, what + ": step against dense");
    ctx.atMost(stepResidual(ref, structured.step), 64.0 * kEps * ref.condition(), what + ": structured residual");
    ctx.atMost(stepResidual(ref, dense.step), 64.0 * static_cast<double>(ref.P) * kEps, what + ": dense residual");
    ctx.check(structured.loss == dense.loss, what + ": loss " + sci(structured.loss) + " vs " + sci(dense.loss));
    ctx.near(structured.gradientNorm, dense.gradientNorm, 1e-13 * dense.gradientNorm, what + ": gradient norm");
    ctx.near(structured.gradientDotStep, dense.gradientDotStep, tol * std::fabs(dense.gradientDotStep) + 1e-300,
             what + ": grad . step");
  }
}

void extremalAgainstDense(Context& ctx, Curvature curvature) {
  std::uint64_t seed = 51;
  for (const Config& c : configs()) {
    const Problem p = randomProblem(seed++, c.activation, c.inputDim, c.width, c.points);
    const NetView net = p.net.view();
    const DataView data = p.data.view();
    const std::string what = describe(c, curvature);
    const DenseReference ref = denseReference(net, data, curvature, c.lambda);
    const StepRequest request{curvature, c.lambda, Spectrum::Extremal};
    const StepOutcome structured = structuredStep(net, data, request);
    const StepOutcome dense = denseStep(net, data, request);
    if (!ctx.check(structured.hasExtremal && dense.hasExtremal, what + ": no extremal eigenvalues")) continue;
    // Eigenvalues of a symmetric matrix are perturbed by at most |E|_2 by a perturbation E: rounding in the
    // assembly and in the capacitance matrix is a few eps * |C + lambda I|; bisection stops at 4 eps.
    const double tol = 64.0 * kEps * ref.radius;
    ctx.near(structured.minEigenvalue, ref.eigenvalues.front(), tol, what + ": structured min eigenvalue");
    ctx.near(structured.maxEigenvalue, ref.eigenvalues.back(), tol, what + ": structured max eigenvalue");
    ctx.near(dense.minEigenvalue, ref.eigenvalues.front(), tol, what + ": dense min eigenvalue");
    ctx.near(dense.maxEigenvalue, ref.eigenvalues.back(), tol, what + ": dense max eigenvalue");
    sameInertia(ctx, structured.inertia, ref.inertia, what + ": structured");
  }
}

// The StructuredSystem object directly: inertia() and extremal() agree with step().
void systemInterface(Context& ctx) {
  const Problem p = randomProblem(77, Activation::Tanh, 2, 20, 10);
  const NetView net = p.net.view();
  const DataView data = p.data.view();
  for (Curvature curvature : {Curvature::Newton, Curvature::GaussNewton}) {
    const std::string what = curvature == Curvature::Newton ? "newton" : "gauss-newton";
    const double lambda = 3e-3;
    const DenseReference ref = denseReference(net, data, curvature, lambda);
    StructuredSystem system(net, data, curvature, lambda, StructuredOptions{true});
    sameInertia(ctx, system.inertia(), ref.inertia, what + ": inertia()");
    ctx.equal(system.deflatedDirections(), std::size_t{0}, what + ": deflated directions");
    const ExtremalSpectrum e = system.extremal();
    sameInertia(ctx, e.inertia, ref.inertia, what + ": extremal().inertia");
    ctx.near(e.minEigenvalue, ref.eigenvalues.front(), 64.0 * kEps * ref.radius, what + ": extremal() min");
    ctx.near(e.maxEigenvalue, ref.eigenvalues.back(), 64.0 * kEps * ref.radius, what + ": extremal() max");
    ctx.near(system.loss(), denseStep(net, data, {curvature, lambda, Spectrum::None}).loss, 0.0, what + ": loss()");
  }
}

}  // namespace

void addStructuredCases(std::vector<Case>& cases) {
  cases.push_back({"structured", "newton step and inertia against dense",
                   [](Context& ctx) { stepAgainstDense(ctx, Curvature::Newton); }});
  cases.push_back({"structured", "gauss-newton step and inertia against dense",
                   [](Context& ctx) { stepAgainstDense(ctx, Curvature::GaussNewton); }});
  cases.push_back({"structured", "newton extremal eigenvalues against DSYEV",
                   [](Context& ctx) { extremalAgainstDense(ctx, Curvature::Newton); }});
  cases.push_back({"structured", "gauss-newton extremal eigenvalues against DSYEV",
                   [](Context& ctx) { extremalAgainstDense(ctx, Curvature::GaussNewton); }});
  cases.push_back({"structured", "StructuredSystem inertia() and extremal()", systemInterface});
}

}  // namespace nntk::test
