// The streamed kernels (native/core/kernels.*, docs/MATH.md section 5) and the fused first-order sweep
// (native/core/first_order.*, section 2) against plain formulas on the Jacobian and the gradient, on one
// thread and on two (a width where the sweeps use worker threads), so that the sanitizer build covers the
// worker pools too.
#include <cmath>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/blas_threads.hpp"
#include "core/first_order.hpp"
#include "core/kernels.hpp"
#include "reference.hpp"

namespace nntk::test {
namespace {

// J J^T / M (row-major M x M) from the column-major Jacobian.
std::vector<double> ntkFromJacobian(const NetView& net, const DataView& data) {
  const std::size_t M = data.size, P = net.parameterCount();
  std::vector<double> J(M * P), B(M * M, 0.0);
  jacobianColumns(net, data, J.data());
  for (std::size_t a = 0; a < M; ++a)
    for (std::size_t b = 0; b < M; ++b) {
      double sum = 0;
      for (std::size_t k = 0; k < P; ++k) sum += J[a + k * M] * J[b + k * M];
      B[a * M + b] = sum / static_cast<double>(M);
    }
  return B;
}

// Runs fn with `threads` configured, restoring the previous count afterwards (also on a throw).
template <typename Fn>
void withThreads(std::size_t threads, Fn&& fn) {
  struct Restore {
    std::size_t before = configuredThreads();
    ~Restore() { setConfiguredThreads(before); }
  } restore;
  setConfiguredThreads(threads);
  fn();
}

void ntk(Context& ctx) {
  const std::size_t shapes[][3] = {{1, 30, 9}, {3, 12, 7}, {1, 2200, 32}};
  std::uint64_t seed = 701;
  for (const auto& s : shapes) {
    const Problem p = randomProblem(seed++, Activation::Softplus, s[0], s[1], s[2]);
    const NetView net = p.net.view();
    const DataView data = p.data.view();
    const std::vector<double> want = ntkFromJacobian(net, data);
    for (std::size_t threads : {1u, 2u}) {
      const std::string what = "N " + std::to_string(s[1]) + " d " + std::to_string(s[0]) + " on " +
                               std::to_string(threads) + " threads";
      withThreads(threads, [&] {
        const Gram got = ntkGram(net, data);
        ctx.equal(got.size, data.size, what + ": size");
        // Sums of P products of either sign: each entry within a few P eps of the largest entry.
        ctx.atMost(maxAbsDiff(got.values, want) / maxAbs(want), 4.0 * static_cast<double>(net.parameterCount()) * kEps,
                   what + ": NTK against J J^T / M");
      });
    }
  }
}

// NNTK = J (C + lambda I)^-1 J^T / M with (C + lambda I)^-1 = V diag(1 / w) V^T from DSYEV.
void nntk(Context& ctx) {
  const Problem p = randomProblem(711, Activation::Tanh, 2, 10, 8);
  const NetView net = p.net.view();
  const DataView data = p.data.view();
  const std::size_t M = data.size, P = net.parameterCount();
  std::vector<double> J(M * P);
  jacobianColumns(net, data, J.data());
  for (Curvature curvature : {Curvature::Newton, Curvature::GaussNewton}) {
    const double lambda = 5e-3;
    const std::string what = curvature == Curvature::Newton ? "newton" : "gauss-newton";
    const DenseReference ref = denseReference(net, data, curvature, lambda);
    std::vector<double> V;
    const std::vector<double> w = dsyevEigenvalues(ref.A, P, &V);
    // K = J V (M x P); NNTK = K diag(1 / w) K^T / M.
    std::vector<double> K(M * P, 0.0), want(M * M, 0.0);
    for (std::size_t k = 0; k < P; ++k)
      for (std::size_t j = 0; j < P; ++j)
        for (std::size_t m = 0; m < M; ++m) K[m + k * M] += J[m + j * M] * V[j + k * P];
    for (std::size_t a = 0; a < M; ++a)
      for (std::size_t b = 0; b < M; ++b) {
        double sum = 0;
        for (std::size_t k = 0; k < P; ++k) sum += K[a + k * M] * K[b + k * M] / w[k];
        want[a * M + b] = sum / static_cast<double>(M);
      }
    const Gram got = nntkGram(net, data, {curvature, lambda, Spectrum::None});
    ctx.atMost(maxAbsDiff(got.values, want) / maxAbs(want), 64.0 * kEps * ref.condition(), what + ": NNTK");
  }
}

// One gradient-descent and one Adam step from the same parameters: theta - lr g, and, Adam's first step
// with zero moments, theta - lr g / (|g| + eps) (its bias corrections cancel 1 - beta exactly up to rounding).
void firstOrder(Context& ctx) {
  const std::size_t shapes[][3] = {{1, 40, 12}, {2, 9, 5}, {1, 2200, 32}};
  std::uint64_t seed = 721;
  for (const auto& s : shapes) {
    const Problem p = randomProblem(seed++, Activation::Tanh, s[0], s[1], s[2]);
    const NetView net = p.net.view();
    const DataView data = p.data.view();
    const std::size_t P = net.parameterCount(), q = net.blockSize(), d = net.inputDim;
    std::vector<double> r(data.size), g(P);
    residual(net, data, r.data());
    nntk::gradient(net, data, r.data(), g.data());
    for (bool adam : {false, true}) {
      for (std::size_t threads : {1u, 2u}) {
        const std::string what = std::string(adam ? "adam" : "gd") + " N " + std::to_string(s[1]) + " on " +
                                 std::to_string(threads) + " threads";
        withThreads(threads, [&] {
          OwnedNet trained = p.net;
          std::vector<double> m, v;
          FirstOrderRule rule;
          rule.adam = adam;
          rule.learningRate = 0.05;
          FirstOrderSweep sweep(trained, data, rule, m, v);
          ctx.check(sweep.start() >= 0, what + ": loss");
          const double loss = sweep.step(0);
          double worst = 0, scale = 0, size = 0;
          for (std::size_t i = 0; i < net.width; ++i)
            for (std::size_t a = 0; a < q; ++a) {
              const double gk = g[i * q + a];
              const double delta = adam ? -rule.learningRate * gk / (std::fabs(gk) + rule.epsilon)
                                        : -rule.learningRate * gk;
              const double before = a < d ? net.W[i * d + a] : a == d ? net.b[i] : net.c[i];
              const double after = a < d ? trained.W[i * d + a] : a == d ? trained.b[i] : trained.c[i];
              worst = std::max(worst, std::fabs((after - before) - delta));
              scale = std::max(scale, std::fabs(delta));
              size = std::max(size, std::fabs(after));
            }
          // theta + delta rounds by half an ulp of theta; delta itself is a few roundings from the formula's.
          ctx.atMost(worst, kEps * size + 8.0 * kEps * scale, what + ": parameter change against the formula");
          std::vector<double> rAfter(data.size);
          ctx.check(loss == residual(trained.view(), data, rAfter.data()),
                    what + ": the loss after the step is not the loss at the new parameters");
        });
      }
    }
  }
}

}  // namespace

void addKernelCases(std::vector<Case>& cases) {
  cases.push_back({"kernels", "NTK Gram against J J^T / M", ntk});
  cases.push_back({"kernels", "NNTK Gram against the dense inverse", nntk});
  cases.push_back({"kernels", "first-order sweep against theta - lr g and Adam's first step", firstOrder});
}

}  // namespace nntk::test
