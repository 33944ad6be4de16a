// The structured system (native/core/structured_system.*, docs/MATH.md section 4) against the dense
// solver (native/core/dense_solver.*) and against DSYEV of the assembled matrix, for both curvatures on
// small random networks: Woodbury's step, Haynsworth's inertia and the bisected (or Gauss-Newton closed
// form) extremal eigenvalues are each an independent computation of what the dense route computes.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/blas_threads.hpp"
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
    // Either path: a block eigenvalue within 1e-4 of its scale is deflated (deflation_test.cpp covers both).
    ctx.check(structured.solver == Factorization::StructuredWoodbury || structured.solver == Factorization::StructuredWoodburyDeflated,
              what + ": solver " + std::string(nameOf(structured.solver)));
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
    // assembly is a few eps * |C + lambda I|. The structured step's extremes come from the secular solver,
    // which stops when its secular function is below 1e-12 of the spectral scale (curvature_spectrum.hpp);
    // the bisection of extremal() is checked at 64 eps in systemInterface below.
    const double tol = 64.0 * kEps * ref.radius;
    const double secularTol = 1e-12 * ref.radius;
    ctx.near(structured.minEigenvalue, ref.eigenvalues.front(), secularTol, what + ": structured min eigenvalue");
    ctx.near(structured.maxEigenvalue, ref.eigenvalues.back(), secularTol, what + ": structured max eigenvalue");
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
    const ExtremalSpectrum e = system.extremal();
    sameInertia(ctx, e.inertia, ref.inertia, what + ": extremal().inertia");
    ctx.near(e.minEigenvalue, ref.eigenvalues.front(), 64.0 * kEps * ref.radius, what + ": extremal() min");
    ctx.near(e.maxEigenvalue, ref.eigenvalues.back(), 64.0 * kEps * ref.radius, what + ": extremal() max");
    ctx.near(system.loss(), denseStep(net, data, {curvature, lambda, Spectrum::None}).loss, 0.0, what + ": loss()");
  }
}

// A network too wide for the dense matrix (P = 6600), where the sweeps run on worker threads: the step's
// residual (J^T J s / M + blockdiag(D_i) s + lambda s + grad L) is formed matrix-free from the Jacobian and
// the blocks, and one and two threads give the same step up to the order of the sums.
void wideOnThreads(Context& ctx) {
  const Problem p = randomProblem(88, Activation::Tanh, 1, 2200, 32);
  const NetView net = p.net.view();
  const DataView data = p.data.view();
  const std::size_t M = data.size, P = net.parameterCount(), q = net.blockSize();
  std::vector<double> r(M), J(M * P), D(net.width * q * q), g(P);
  residual(net, data, r.data());
  jacobianColumns(net, data, J.data());
  curvatureBlocks(net, data, r.data(), D.data());
  nntk::gradient(net, data, r.data(), g.data());
  const std::size_t before = configuredThreads();
  for (Curvature curvature : {Curvature::Newton, Curvature::GaussNewton}) {
    const std::string what = curvature == Curvature::Newton ? "newton" : "gauss-newton";
    const double lambda = 1e-2;
    const StepRequest request{curvature, lambda, Spectrum::Inertia};
    setConfiguredThreads(1);
    const StepOutcome one = structuredStep(net, data, request);
    setConfiguredThreads(2);
    const StepOutcome two = structuredStep(net, data, request);
    setConfiguredThreads(before);
    ctx.check(one.inertia.positive == two.inertia.positive && one.inertia.negative == two.inertia.negative,
              what + ": inertia differs between one and two threads");
    ctx.equal(one.inertia.positive + one.inertia.negative + one.inertia.zero, P, what + ": inertia total");
    ctx.atMost(maxAbsDiff(one.step, two.step) / maxAbs(one.step), 1e-12, what + ": one against two threads");

    const std::vector<double> Js = multiply(J, M, P, two.step);
    std::vector<double> res(P, 0.0);
    for (std::size_t k = 0; k < P; ++k) {
      double sum = 0;
      for (std::size_t m = 0; m < M; ++m) sum += J[m + k * M] * Js[m];
      res[k] = sum / static_cast<double>(M) + lambda * two.step[k] + g[k];
    }
    if (curvature == Curvature::Newton)
      for (std::size_t i = 0; i < net.width; ++i)
        for (std::size_t a = 0; a < q; ++a)
          for (std::size_t b = 0; b < q; ++b) res[i * q + a] += D[i * q * q + a * q + b] * two.step[i * q + b];
    // |C + lambda I|_2 <= |J|_F^2 / M + max |D_i| + lambda bounds the scale of the residual.
    double norm = lambda + frobenius(J) * frobenius(J) / static_cast<double>(M);
    if (curvature == Curvature::Newton) norm += maxAbs(D) * static_cast<double>(q);
    // Measured 8e-18 (Newton) and 2e-16 (Gauss-Newton); the bound leaves room for other BLAS builds.
    ctx.atMost(frobenius(res) / (norm * frobenius(two.step) + frobenius(g)), 1e-13, what + ": matrix-free residual");
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
  cases.push_back({"structured", "wide network on worker threads", wideOnThreads});
}

}  // namespace nntk::test
