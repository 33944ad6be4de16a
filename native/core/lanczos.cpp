#include "lanczos.hpp"

#include <lapack.h>

#include <algorithm>
#include <cmath>

#include "failure.hpp"
#include "lapack_checks.hpp"
#include "random.hpp"

namespace nntk {
namespace {

double dot(const double* a, const double* b, std::size_t n) {
  double s = 0;
  for (std::size_t k = 0; k < n; ++k) s += a[k] * b[k];
  return s;
}

// Eigenvalues and squared first components of the symmetric tridiagonal (alpha, beta) by DSTEV.
void gaussRule(std::vector<double> alpha, std::vector<double> beta, double scale, QuadratureRule& rule) {
  const lapack_int n = toLapackInt(alpha.size(), "the Lanczos steps");
  std::vector<double> Z(alpha.size() * alpha.size()), work(std::max<std::size_t>(1, 2 * alpha.size()));
  beta.resize(std::max<std::size_t>(alpha.size(), 1));
  lapack_int info = 0;
  LAPACK_dstev("V", &n, alpha.data(), beta.data(), Z.data(), &n, work.data(), &info);
  checkArguments("DSTEV", info);
  if (info > 0) throw Failure(ErrorCode::Numerical, "DSTEV did not converge on the Lanczos tridiagonal; use fewer Lanczos steps");
  for (std::size_t j = 0; j < alpha.size(); ++j) {
    rule.nodes.push_back(alpha[j]);
    rule.weights.push_back(scale * Z[j * alpha.size()] * Z[j * alpha.size()]);  // column j, first row
  }
}

}  // namespace

QuadratureRule lanczosQuadrature(const Operator& apply, std::size_t P, std::size_t probes, std::size_t steps,
                                 std::uint64_t seed, bool reorthogonalize) {
  QuadratureRule rule;
  steps = std::min(steps, P);
  std::vector<double> previous(P), current(P), next(P), basis;
  if (reorthogonalize) basis.resize(steps * P);
  const double share = static_cast<double>(P) / static_cast<double>(probes);
  for (std::size_t probe = 0; probe < probes; ++probe) {
    // Rademacher probe, normalized: z_p = +-1 / sqrt(P).
    const double unit = 1.0 / std::sqrt(static_cast<double>(P));
    for (std::size_t p = 0; p < P; ++p)
      current[p] = uniformAt(seed, Stream::SpectrumProbes, probe * P + p) < 0.5 ? -unit : unit;
    std::fill(previous.begin(), previous.end(), 0.0);
    std::vector<double> alpha, beta;
    double b = 0;
    for (std::size_t k = 0; k < steps; ++k) {
      if (reorthogonalize) std::copy(current.begin(), current.end(), basis.begin() + static_cast<std::ptrdiff_t>(k * P));
      apply(current.data(), next.data());
      ++rule.products;
      for (std::size_t p = 0; p < P; ++p) next[p] -= b * previous[p];
      const double a = dot(next.data(), current.data(), P);
      for (std::size_t p = 0; p < P; ++p) next[p] -= a * current[p];
      if (reorthogonalize) {
        for (int pass = 0; pass < 2; ++pass)  // twice is enough (Kahan-Parlett)
          for (std::size_t j = 0; j <= k; ++j) {
            const double* v = basis.data() + j * P;
            const double c = dot(next.data(), v, P);
            for (std::size_t p = 0; p < P; ++p) next[p] -= c * v[p];
          }
      }
      alpha.push_back(a);
      b = std::sqrt(dot(next.data(), next.data(), P));
      requireFinite(&b, 1, "Lanczos coefficient");
      // An invariant subspace: the rule is exact with k + 1 nodes.
      if (k + 1 == steps || b <= 1e-14 * (std::fabs(a) + (beta.empty() ? 0.0 : beta.back()))) break;
      beta.push_back(b);
      for (std::size_t p = 0; p < P; ++p) {
        previous[p] = current[p];
        current[p] = next[p] / b;
      }
    }
    gaussRule(alpha, beta, share, rule);
  }
  return rule;
}

}  // namespace nntk
