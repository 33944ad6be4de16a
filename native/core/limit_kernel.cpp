// Infinite-width NTK and NNTK (docs/MATH.md section 5): the dispatch between the closed forms
// (limit_closed_forms.cpp), the shared grid for inputDim 1 (limit_grid.cpp) and, here, the per-pair
// tensor Gauss-Hermite quadrature, used for tanh, sigmoid, softplus and silu when inputDim > 1: with
// u, v iid N(0, 1), a = |x|^2 + 1, b = |x'|^2 + 1, c = x.x' + 1, the pair z = sqrt(a) u,
// z' = (c / sqrt(a)) u + sqrt(b - c^2 / a) v has the kernel's covariance, so each expectation is a
// double integral against the standard normal, done with one n-point rule per variable. The node
// count n = ceil(K_act * (1 + max |x|^2)) (K_act in the activation's registry record), the dropped
// low-weight pairs and the measurements behind both are in docs/notes/limit-kernel-quadrature.md.
// Each entry is computed by one thread, so the result does not depend on the thread count.
#include "limit_kernel.hpp"

#include <lapack.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "blas_threads.hpp"
#include "failure.hpp"
#include "lapack_checks.hpp"
#include "limit_closed_forms.hpp"
#include "limit_grid.hpp"
#include "parallel.hpp"

namespace nntk {
namespace {

// Tensor pairs (u_k, v_l) with w_k w_l below this are dropped (see the cost note above).
constexpr double kProductFloor = 1e-24;


struct Recurrence {
  double pn = 0, pnm1 = 0;  // p_n(u), p_{n-1}(u)
  double sum = 0;           // sum_{j<n} p_j(u)^2, the reciprocal Christoffel function
  bool exceeded = false;    // sum passed sumLimit (the weight is negligible); pn, pnm1 are then unset
};

// The orthonormal Hermite polynomials of the standard normal measure by their three-term recurrence
// p_0 = 1, p_{j+1} = (u p_j - sqrt(j) p_{j-1}) / sqrt(j + 1); sq[j] = sqrt(j).
Recurrence hermiteAt(double u, std::size_t n, const std::vector<double>& sq, double sumLimit) {
  Recurrence r;
  double prev = 0, cur = 1;
  for (std::size_t j = 0; j < n; ++j) {
    r.sum += cur * cur;
    if (r.sum > sumLimit) {
      r.exceeded = true;
      return r;
    }
    const double next = (u * cur - sq[j] * prev) / sq[j + 1];
    prev = cur;
    cur = next;
  }
  r.pn = cur;
  r.pnm1 = prev;
  return r;
}

struct PairRanges {
  std::vector<std::size_t> lo, hi;  // for outer node k, the inner nodes l in [lo[k], hi[k]) are kept
  std::vector<double> innerMass;    // sum of w_l over that range (used when z' does not depend on v)
};

// Weights are symmetric and unimodal in the node index, so {l : w_k w_l >= floor} is an interval.
PairRanges pairRanges(const HermiteRule& rule) {
  const std::size_t n = rule.nodes.size();
  PairRanges p{std::vector<std::size_t>(n), std::vector<std::size_t>(n), std::vector<double>(n)};
  for (std::size_t k = 0; k < n; ++k) {
    const double need = kProductFloor / rule.weights[k];
    std::size_t lo = 0, hi = n;
    while (lo < hi && rule.weights[lo] < need) ++lo;
    while (hi > lo && rule.weights[hi - 1] < need) --hi;
    p.lo[k] = lo;
    p.hi[k] = hi;
    double mass = 0;
    for (std::size_t l = lo; l < hi; ++l) mass += rule.weights[l];
    p.innerMass[k] = mass;
  }
  return p;
}

double dot(const double* a, const double* b, std::size_t d) {
  double s = 0;
  for (std::size_t k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}

std::vector<double> squaredNorms(const double* x, std::size_t M, std::size_t d) {
  std::vector<double> out(M);
  for (std::size_t i = 0; i < M; ++i) out[i] = dot(x + i * d, x + i * d, d);
  return out;
}

double maxOf(const std::vector<double>& v) {
  double m = 0;
  for (const double e : v) m = std::max(m, e);
  return m;
}

// A block of B*: rows xa (Ma x d) against columns xb (Mb x d), each entry scaled by 1 / normalization.
// symmetric: xb is xa, only j >= i is computed and the lower triangle mirrored.
struct Block {
  const double* xa;
  std::size_t Ma;
  const double* xb;
  std::size_t Mb, d;
  bool symmetric;
  double normalization;
  LimitTerms terms;
};

// B* from the two expectations; E[c^2] = 1/3 for c ~ U(-1, 1), and (x.x' + 1) is the inner product of
// (x, 1) and (x', 1). MATH.md section 5.
// With frozen groups or other output weights, only the trainable groups' terms (LimitTerms; section 1.2):
// c - 1 = x.x' from W, 1 from b, e0 from c.
double kernelValue(double e0, double e1, double c, double normalization, const LimitTerms& t) {
  if (t.isDefault()) return (e0 + (c / 3.0) * e1) / normalization;
  const double inner = t.W && t.b ? c : t.W ? c - 1.0 : t.b ? 1.0 : 0.0;
  return ((t.c ? e0 : 0.0) + t.outputMoment * inner * e1) / normalization;
}

void mirrorUpper(double* out, std::size_t M) {
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = i + 1; j < M; ++j) out[j * M + i] = out[i * M + j];
}

// Scratch space of one worker thread.
struct Scratch {
  std::vector<double> z, s0, s1;        // activation arguments and values on one row of inner nodes
  std::vector<double> zi, s0i, s1i;     // sigma(sqrt(a_i) u_k) and sigma' for the current row i
  explicit Scratch(std::size_t n) : z(n), s0(n), s1(n), zi(n), s0i(n), s1i(n) {}
};

// The per-pair tensor Gauss-Hermite rule (MATH.md section 5): row xi (squared norm normI) against
// columns [first, last) of xb, written to row[j].
void pairRow(Activation act, const HermiteRule& rule, const PairRanges& ranges, const double* xi, double normI,
             const double* xb, const std::vector<double>& normsB, std::size_t d, std::size_t first, std::size_t last,
             double normalization, const LimitTerms& terms, Scratch& s, double* row) {
  const std::size_t n = rule.nodes.size();
  const double* u = rule.nodes.data();
  const double* w = rule.weights.data();
  const double a = normI + 1.0;
  const double rootA = std::sqrt(a);
  for (std::size_t k = 0; k < n; ++k) s.zi[k] = rootA * u[k];
  evaluateActivation(act, s.zi.data(), n, s.s0i.data(), s.s1i.data(), nullptr);

  for (std::size_t j = first; j < last; ++j) {
    // a b - c^2 = (|x|^2 |x'|^2 - (x.x')^2) + |x - x'|^2 without cancellation (exactly 0 for x' = x).
    const PairMoments m = pairMoments(xi, normI, xb + j * d, normsB[j], d);
    const double r = m.c / rootA;
    const double sd = std::sqrt(m.det / a);
    double e0 = 0, e1 = 0;  // E[sigma sigma'], E[sigma' sigma']
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t lo = ranges.lo[k], hi = ranges.hi[k];
      if (lo >= hi) continue;
      double inner0 = 0, inner1 = 0;
      if (sd == 0.0) {  // z' = r u: the inner sum is sigma(r u_k) times the kept inner mass
        const double zk = r * u[k];
        double v0 = 0, v1 = 0;
        evaluateActivation(act, &zk, 1, &v0, &v1, nullptr);
        inner0 = v0 * ranges.innerMass[k];
        inner1 = v1 * ranges.innerMass[k];
      } else {
        const double shift = r * u[k];
        const std::size_t count = hi - lo;
        for (std::size_t l = 0; l < count; ++l) s.z[l] = shift + sd * u[lo + l];
        evaluateActivation(act, s.z.data(), count, s.s0.data(), s.s1.data(), nullptr);
        for (std::size_t l = 0; l < count; ++l) {
          inner0 += w[lo + l] * s.s0[l];
          inner1 += w[lo + l] * s.s1[l];
        }
      }
      e0 += w[k] * s.s0i[k] * inner0;
      e1 += w[k] * s.s1i[k] * inner1;
    }
    row[j] = kernelValue(e0, e1, m.c, normalization, terms);
  }
}

// The block by the per-pair rule with n nodes per dimension. Each row is computed by one thread (for the
// symmetric block, rows p and Ma - 1 - p together: Ma + 1 entries), so the result does not depend on
// the thread count.
void pairQuadratureBlock(Activation act, const Block& blk, std::size_t nodes, double* out) {
  const HermiteRule rule = gaussHermiteRule(nodes, kProductFloor);
  const PairRanges ranges = pairRanges(rule);
  const std::vector<double> normsA = squaredNorms(blk.xa, blk.Ma, blk.d);
  const std::vector<double> normsB = blk.symmetric ? normsA : squaredNorms(blk.xb, blk.Mb, blk.d);
  const std::size_t tasks = blk.symmetric ? (blk.Ma + 1) / 2 : blk.Ma;
  const std::size_t threads = std::max<std::size_t>(configuredThreads(), 1);
  parallelFor(tasks, threads, [&](std::size_t first, std::size_t last, std::size_t) {
    Scratch scratch(rule.nodes.size());
    auto row = [&](std::size_t i) {
      pairRow(act, rule, ranges, blk.xa + i * blk.d, normsA[i], blk.xb, normsB, blk.d, blk.symmetric ? i : 0, blk.Mb,
              blk.normalization, blk.terms, scratch, out + i * blk.Mb);
    };
    for (std::size_t p = first; p < last; ++p) {
      row(p);
      if (blk.symmetric && blk.Ma - 1 - p != p) row(blk.Ma - 1 - p);
    }
  });
  if (blk.symmetric) mirrorUpper(out, blk.Ma);
}

// The block from the closed forms (limit_closed_forms.hpp), rows spread over the threads.
void closedFormBlock(Activation act, const Block& blk, double* out) {
  const std::vector<double> normsA = squaredNorms(blk.xa, blk.Ma, blk.d);
  const std::vector<double> normsB = blk.symmetric ? normsA : squaredNorms(blk.xb, blk.Mb, blk.d);
  parallelFor(blk.Ma, std::max<std::size_t>(configuredThreads(), 1), [&](std::size_t first, std::size_t last, std::size_t) {
    for (std::size_t i = first; i < last; ++i)
      for (std::size_t j = blk.symmetric ? i : 0; j < blk.Mb; ++j) {
        const PairMoments m = pairMoments(blk.xa + i * blk.d, normsA[i], blk.xb + j * blk.d, normsB[j], blk.d);
        const PairExpectations e = closedFormExpectations(act, m);
        out[i * blk.Mb + j] = kernelValue(e.e0, e.e1, m.c, blk.normalization, blk.terms);
      }
  });
  if (blk.symmetric) mirrorUpper(out, blk.Ma);
}

double maxAbsolute(const double* x, std::size_t n) {
  double m = 0;
  for (std::size_t k = 0; k < n; ++k) m = std::max(m, std::fabs(x[k]));
  return m;
}

// The block from the shared (w, b) grid (d = 1, limit_grid.hpp), sized for the largest |x| of both sets.
void sharedGridBlock(Activation act, const Block& blk, double* out) {
  const double X = std::max(maxAbsolute(blk.xa, blk.Ma), blk.symmetric ? 0.0 : maxAbsolute(blk.xb, blk.Mb));
  const LimitGrid grid = limitGrid(act, X);
  std::vector<double> E1(blk.Ma * blk.Mb);
  gridExpectations(act, grid, blk.xa, blk.Ma, blk.xb, blk.Mb, blk.symmetric, out, E1.data());
  for (std::size_t i = 0; i < blk.Ma; ++i)
    for (std::size_t j = 0; j < blk.Mb; ++j) {
      const std::size_t k = i * blk.Mb + j;
      out[k] = kernelValue(out[k], E1[k], blk.xa[i] * blk.xb[j] + 1.0, blk.normalization, blk.terms);
    }
}

void requireFiniteKernel(const double* out, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k)
    if (!std::isfinite(out[k]))
      throw Failure(ErrorCode::NonFinite, "the limit kernel is not finite at these inputs; |x| is too large, rescale the data");
}

void computeBlock(Activation act, const Block& blk, LimitMethod method, double* out) {
  if (blk.Ma == 0 || blk.Mb == 0) return;
  switch (resolveLimitMethod(act, blk.d, method)) {
    case LimitMethod::ClosedForm: closedFormBlock(act, blk, out); break;
    case LimitMethod::SharedGrid: sharedGridBlock(act, blk, out); break;
    default: {
      double maxNorm = maxOf(squaredNorms(blk.xa, blk.Ma, blk.d));
      if (!blk.symmetric) maxNorm = std::max(maxNorm, maxOf(squaredNorms(blk.xb, blk.Mb, blk.d)));
      pairQuadratureBlock(act, blk, limitQuadratureNodes(act, 1.0 + maxNorm), out);
    }
  }
  requireFiniteKernel(out, blk.Ma * blk.Mb);
}

}  // namespace

// Golub-Welsch for the nodes, then Newton and the Christoffel function on the recurrence. The nodes
// are the eigenvalues of the Jacobi matrix (zero diagonal, off-diagonal sqrt(1), ..., sqrt(n-1)),
// from DSTEV without eigenvectors: O(n^2), and robust for any n (Newton alone needs asymptotic
// starting guesses that are delicate for n in the thousands). The textbook weights (squared first
// eigenvector components, DSTEQR with eigenvectors) would cost O(n^3), seconds at n = 1600, and are
// only accurate to ~1e-16 absolute; instead each kept node gets one Newton step on p_n (polishing the
// ~1e-14 eigenvalue error) and the weight w = 1 / sum_{j<n} p_j(u)^2, accurate to a few ulps relative.
// The recurrence stops early once that sum passes 1 / weightFloor, which also keeps it from
// overflowing at the outermost nodes (|u| up to sqrt(4n)).
HermiteRule gaussHermiteRule(std::size_t n, double weightFloor) {
  if (n == 0) throw Failure(ErrorCode::Internal, "a Gauss-Hermite rule needs at least one node");
  const BlasScope blas(BlasMode::Pool);
  const lapack_int ln = toLapackInt(n, "the quadrature node count");
  std::vector<double> diag(n, 0.0), off(n, 0.0), sq(n + 1);
  for (std::size_t j = 0; j <= n; ++j) sq[j] = std::sqrt(static_cast<double>(j));
  for (std::size_t j = 0; j + 1 < n; ++j) off[j] = sq[j + 1];
  double unusedZ = 0, unusedWork = 0;  // not referenced without eigenvectors
  const lapack_int ldz = 1;
  lapack_int info = 0;
  LAPACK_dstev("N", &ln, diag.data(), off.data(), &unusedZ, &ldz, &unusedWork, &info);
  checkArguments("DSTEV", info);
  if (info > 0)
    throw Failure(ErrorCode::Numerical, "DSTEV did not converge on the Gauss-Hermite Jacobi matrix (" +
                                     std::to_string(info) + " off-diagonal entries left)");

  // The rule is symmetric: compute the nonnegative half and mirror it.
  const double sumLimit = 1.0 / weightFloor;
  std::vector<double> halfNodes, halfWeights;
  for (std::size_t k = n / 2; k < n; ++k) {
    double u = (n % 2 == 1 && k == n / 2) ? 0.0 : diag[k];
    const Recurrence first = hermiteAt(u, n, sq, sumLimit);
    if (first.exceeded) break;                                // weights decrease outward from here
    if (u != 0.0) u -= first.pn / (sq[n] * first.pnm1);  // Newton: p_n' = sqrt(n) p_{n-1}
    const Recurrence r = hermiteAt(u, n, sq, sumLimit);
    if (r.exceeded) break;
    halfNodes.push_back(u);
    halfWeights.push_back(1.0 / r.sum);
  }
  HermiteRule rule;
  const bool middle = n % 2 == 1;
  for (std::size_t k = halfNodes.size(); k-- > 0;) {
    if (middle && k == 0) break;
    rule.nodes.push_back(-halfNodes[k]);
    rule.weights.push_back(halfWeights[k]);
  }
  rule.nodes.insert(rule.nodes.end(), halfNodes.begin(), halfNodes.end());
  rule.weights.insert(rule.weights.end(), halfWeights.begin(), halfWeights.end());
  return rule;
}

void ntkLimitGram(Activation act, std::size_t M, std::size_t d, const double* x, double* out, std::size_t nodes) {
  if (M == 0) return;
  pairQuadratureBlock(act, Block{x, M, x, M, d, true, static_cast<double>(M), LimitTerms{}}, nodes, out);
  requireFiniteKernel(out, M * M);
}

std::size_t limitQuadratureNodes(Activation act, double maxVariance) {
  const double wanted = std::ceil(activationSpec(act).limitNodesPerVariance * maxVariance);
  if (!(wanted < static_cast<double>(kMaxLimitNodes))) return kMaxLimitNodes;  // also for NaN or Infinity
  return std::max(kMinLimitNodes, static_cast<std::size_t>(wanted));
}

LimitMethod resolveLimitMethod(Activation act, std::size_t d, LimitMethod method) {
  const std::string name(activationSpec(act).name);
  switch (method) {
    case LimitMethod::Auto:
      return hasLimitClosedForm(act) ? LimitMethod::ClosedForm : d == 1 ? LimitMethod::SharedGrid : LimitMethod::PairQuadrature;
    case LimitMethod::ClosedForm:
      if (!hasLimitClosedForm(act))
        throw Failure(ErrorCode::Argument, "the " + name + " limit kernel has no closed form (erf, sin and gelu have one); use method 'auto'");
      return method;
    case LimitMethod::SharedGrid:
      if (d != 1)
        throw Failure(ErrorCode::Argument, "the shared grid needs inputDim 1, not " + std::to_string(d) + "; use method 'auto'");
      return method;
    case LimitMethod::PairQuadrature: return method;
  }
  throw Failure(ErrorCode::Internal, "unknown limit kernel method");
}

void ntkLimitGram(Activation act, std::size_t M, std::size_t d, const double* x, double* out, LimitMethod method,
                  const LimitTerms& terms) {
  computeBlock(act, Block{x, M, x, M, d, true, static_cast<double>(M), terms}, method, out);
}

void ntkLimitCross(Activation act, std::size_t Mt, const double* test, std::size_t M, const double* train, std::size_t d,
                   double* out, LimitMethod method, const LimitTerms& terms) {
  computeBlock(act, Block{test, Mt, train, M, d, false, static_cast<double>(M), terms}, method, out);
}

void ntkLimitDiagonal(Activation act, std::size_t Mt, const double* test, std::size_t d, std::size_t normalization,
                      double* out, LimitMethod method, const LimitTerms& terms) {
  if (Mt == 0) return;
  const double scale = static_cast<double>(normalization);
  const std::vector<double> norms = squaredNorms(test, Mt, d);
  const LimitMethod resolved = resolveLimitMethod(act, d, method);
  if (method == LimitMethod::Auto && resolved != LimitMethod::ClosedForm) {
    // One point at a time needs only a one-dimensional rule (MATH.md section 5.2), for any inputDim.
    std::vector<double> e1(Mt);
    lineDiagonalExpectations(act, norms.data(), Mt, out, e1.data());
    for (std::size_t t = 0; t < Mt; ++t) out[t] = kernelValue(out[t], e1[t], norms[t] + 1.0, scale, terms);
    requireFiniteKernel(out, Mt);
    return;
  }
  switch (resolved) {
    case LimitMethod::ClosedForm:
      for (std::size_t t = 0; t < Mt; ++t) {
        const PairMoments m = pairMoments(test + t * d, norms[t], test + t * d, norms[t], d);
        const PairExpectations e = closedFormExpectations(act, m);
        out[t] = kernelValue(e.e0, e.e1, m.c, scale, terms);
      }
      break;
    case LimitMethod::SharedGrid: {
      const LimitGrid grid = limitGrid(act, maxAbsolute(test, Mt));
      std::vector<double> e1(Mt);
      gridDiagonalExpectations(act, grid, test, Mt, out, e1.data());
      for (std::size_t t = 0; t < Mt; ++t) out[t] = kernelValue(out[t], e1[t], test[t] * test[t] + 1.0, scale, terms);
      break;
    }
    default: {
      // One point against itself per entry, by the per-pair rule sized for the largest |x|.
      const HermiteRule rule = gaussHermiteRule(limitQuadratureNodes(act, 1.0 + maxOf(norms)), kProductFloor);
      const PairRanges ranges = pairRanges(rule);
      parallelFor(Mt, std::max<std::size_t>(configuredThreads(), 1), [&](std::size_t first, std::size_t last, std::size_t) {
        Scratch scratch(rule.nodes.size());
        for (std::size_t t = first; t < last; ++t) {
          const std::vector<double> norm{norms[t]};
          pairRow(act, rule, ranges, test + t * d, norms[t], test + t * d, norm, d, 0, 1, scale, terms, scratch, out + t);
        }
      });
    }
  }
  requireFiniteKernel(out, Mt);
}

// NNTK* = B* (B* + gamma I)^-1 = (B* + gamma I)^-1 B* (the two commute), MATH.md section 5: one
// Cholesky factorization of B* + gamma I (positive definite: B* is positive semidefinite and
// gamma > 0, or gamma = 0 with B* positive definite) and a solve with the M columns of B*.
void nntkLimitGram(Activation act, std::size_t M, std::size_t d, const double* x, double gamma, double* out,
                   const LimitTerms& terms) {
  if (M == 0) return;
  const lapack_int n = toLapackInt(M, "the number of data points");
  std::vector<double> B(M * M);
  ntkLimitGram(act, M, d, x, B.data(), LimitMethod::Auto, terms);  // takes its own BLAS scopes, so before the one below
  const BlasScope blas(BlasMode::Pool);  // the Cholesky solve
  std::vector<double> A(B);
  for (std::size_t k = 0; k < M; ++k) A[k * M + k] += gamma;

  // Symmetric, so row-major and column-major storage coincide.
  std::vector<double> work(3 * M);
  std::vector<lapack_int> iwork(M);
  const double anorm = LAPACK_dlansy("1", "L", &n, A.data(), &n, work.data());
  lapack_int info = 0;
  const std::string hint = gamma == 0.0 ? "B* is singular at these inputs (repeated or too many close points); use gamma > 0"
                                        : "increase gamma";
  LAPACK_dpotrf("L", &n, A.data(), &n, &info);
  checkArguments("DPOTRF", info);
  if (info > 0)
    throw Failure(ErrorCode::Singular, "B* + gamma I is not positive definite to working precision (non-positive pivot " +
                                    std::to_string(info) + ", gamma = " + formatNumber(gamma) + "); " + hint);
  double rcond = 0;
  LAPACK_dpocon("L", &n, A.data(), &n, &anorm, &rcond, work.data(), iwork.data(), &info);
  checkArguments("DPOCON", info);
  if (!(rcond >= machineEpsilon()))
    throw Failure(ErrorCode::Singular, "B* + gamma I is singular to working precision (reciprocal condition " +
                                    formatNumber(rcond) + ", gamma = " + formatNumber(gamma) + "); " + hint);

  LAPACK_dpotrs("L", &n, &n, A.data(), &n, B.data(), &n, &info);  // B <- (B* + gamma I)^-1 B*
  checkArguments("DPOTRS", info);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = i; j < M; ++j) {
      const double v = 0.5 * (B[i * M + j] + B[j * M + i]);
      out[i * M + j] = v;
      out[j * M + i] = v;
    }
}

}  // namespace nntk
