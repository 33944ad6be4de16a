#include "structured_system.hpp"

#include <cblas.h>

#include "norms.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "blas_threads.hpp"
#include "curvature_spectrum.hpp"
#include "failure.hpp"
#include "parallel.hpp"
#include "signed_gram.hpp"
#include "small_eigen.hpp"
#include "symmetric_factor.hpp"

namespace nntk {
namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

constexpr std::size_t kNeuronsPerTask = 1024;   // neurons a slot handles between two DSYRK folds (at most)
constexpr std::size_t kMinNeuronsPerSlot = 64;   // neurons per slot at least (parallel.hpp), so folds stay BLAS-3 sized
constexpr std::size_t kMaxDeflated = 4096;      // near-singular directions the capacitance may absorb
// A block eigenvalue below this fraction of its block's scale is deflated (MATH.md section 4). The Woodbury
// formulas lose about log10(scale / |theta|) - 16.5 digits to 1/theta, so below 1e-4 they could pass 3e-13
// of the step or the NNTK; deflated directions are exact (docs/notes/structured-deflation.md).
constexpr double kCancellation = 1e-4;
constexpr double kBlockStoreBytes = 512.0 * 1024.0 * 1024.0;

constexpr const char* kDataAdvice = "the structured solver holds M x M matrices; use fewer data points";
constexpr const char* kBlockAdvice =
    "a Newton neuron block is q' x q' (q' = d + 2 with every group trainable); use curvature 'gauss-newton' for inputs of "
    "this dimension";

// out = Q^T v (q values; Q row-major with the eigenvectors as columns, or the identity when null).
void rotateIn(const double* Q, const double* v, double* out, std::size_t q) {
  for (std::size_t j = 0; j < q; ++j) {
    double sum = 0;
    if (Q) {
      for (std::size_t a = 0; a < q; ++a) sum += Q[a * q + j] * v[a];
    } else {
      sum = v[j];
    }
    out[j] = sum;
  }
}

// out = Q t.
void rotateOut(const double* Q, const double* t, double* out, std::size_t q) {
  for (std::size_t a = 0; a < q; ++a) {
    double sum = 0;
    if (Q) {
      for (std::size_t j = 0; j < q; ++j) sum += Q[a * q + j] * t[j];
    } else {
      sum = t[a];
    }
    out[a] = sum;
  }
}

}  // namespace

// Per-thread working memory for one neuron at a time.
struct StructuredSystem::Scratch {
  // The q x q block buffers only for Newton (Gauss-Newton blocks are lambda I).
  Scratch(const NetView& net, const DataView& data, bool newton)
      : values(net, data), J(data.size * net.blockSize()), column(data.size),
        D(newton ? net.blockSize() * net.blockSize() : 0, kBlockAdvice), theta(net.blockSize()),
        Q(newton ? net.blockSize() * net.blockSize() : 0, kBlockAdvice) {}
  // D_i + lambda I = Q_i diag(theta_i) Q_i^T for the evaluated neuron (MATH.md section 4), into theta and Q.
  // The sweep and the solve pass both call this, so they use the same decomposition bit for bit.
  void diagonaliseBlock(const double* r, double lambda) {
    const std::size_t q = theta.size();
    values.curvatureBlock(r, D.data());
    requireFinite(D.data(), q * q, "second derivative");
    for (std::size_t a = 0; a < q; ++a) D[a * q + a] += lambda;
    smallSymmetricEigen(D.data(), q, theta.data(), Q.data());
  }

  NeuronValues values;
  std::vector<double> J, column;
  Buffer D;
  std::vector<double> theta;
  Buffer Q;
};

namespace {
// What one slot of a sweep counts and collects; slots are added in slot order (parallel.hpp).
struct SlotTally {
  Inertia blocks;
  std::vector<StructuredSystem::Flagged> flagged;  // in neuron order within the slot
  double jacobianNorm2 = 0;
};
}  // namespace

std::size_t StructuredSystem::threads() const { return threads_; }

// Evaluates neuron i (second derivatives when `second`, or when a Newton block must be rediagonalised) and
// returns Q_i: the stored eigenvectors, freshly computed ones (the same bits), or null for Gauss-Newton.
const double* StructuredSystem::prepareNeuron(Scratch& s, std::size_t i, bool second) const {
  const bool newton = curvature_ == Curvature::Newton;
  s.values.evaluate(i, second || (newton && !storeBlocks_) ? Order::Second : Order::First);
  if (!newton) return nullptr;
  if (storeBlocks_) return Q_.data() + i * q_ * q_;
  s.diagonaliseBlock(r_.data(), lambda_);
  return s.Q.data();
}


StructuredSystem::StructuredSystem(const NetView& net, const DataView& data, Curvature curvature, double lambda,
                                   const StructuredOptions& options)
    : net_(net), data_(data), curvature_(curvature), lambda_(lambda), M_(data.size), q_(net.blockSize()),
      N_(net.width), threads_(std::max<std::size_t>(1, std::min(workerCount(net.width, data.size), net.width))),
      r_(data.size), gradient_(net.parameterCount()), theta_(net.parameterCount()) {
  const double P = static_cast<double>(net.parameterCount()), M = static_cast<double>(M_);
  // What the system cannot do without: a few P-vectors (r, gradient, theta, the step)
  // and a few (M + 1) x (M + 1) capacitance matrices.
  const double required = 8.0 * (6.0 * P + 4.0 * (M + 1) * (M + 1));
  if (required > options.memoryLimitBytes)
    throw Failure(ErrorCode::TooLarge, "the structured system needs " + formatNumber(required / 1048576.0) +
                                           " MiB, over memoryLimitBytes = " + formatNumber(options.memoryLimitBytes / 1048576.0) +
                                           " MiB; raise memoryLimitBytes or use fewer data points");
  memoryLimitBytes_ = options.memoryLimitBytes;
  const double spare = options.memoryLimitBytes - required;
  storeBlocks_ = curvature == Curvature::Newton && 8.0 * P * static_cast<double>(q_) <= std::min(kBlockStoreBytes, spare);
  cacheJQ_ = options.cacheTransformed && 8.0 * P * M <= std::min(options.cacheBudgetBytes, spare);
  trackNorm_ = options.cacheTransformed;
  if (storeBlocks_) Q_ = Buffer(N_ * q_ * q_);
  if (cacheJQ_) JQ_ = Buffer(M_ * net.parameterCount());

  auto start = Clock::now();
  if (data.loss.weighted()) {
    // l'' per point; the capacitance carries diag(l'')^1/2 on its J side (MATH.md section 4, "Losses").
    rootCurvature_ = Buffer(M_);
    loss_ = evaluateLoss(net, data, r_.data(), rootCurvature_.data()).loss;
    for (std::size_t m = 0; m < M_; ++m) rootCurvature_[m] = std::sqrt(rootCurvature_[m]);
  } else {
    loss_ = residual(net, data, r_.data());
  }
  requireFinite(r_.data(), M_, "output");
  timings_.evaluation = secondsSince(start);

  start = Clock::now();
  capacitance0_ = sweep(0.0, true, true);
  timings_.assembly = secondsSince(start);
}

// One pass over all neurons building the capacitance matrix of C + lambda I - mu I. The initial pass
// also computes the gradient and keeps the block eigen-decompositions (and J Q, when cached).
StructuredSystem::Capacitance StructuredSystem::sweep(double mu, bool initial, bool deflate) {
  const std::size_t M = M_, q = q_;
  const bool newton = curvature_ == Curvature::Newton;
  // Fixed slots of neurons, each with its own G and tally, so no sum depends on the thread count.
  const std::size_t slots = gramSlots(N_, M, kMinNeuronsPerSlot);
  const std::size_t T = std::min(threads(), slots);
  // A thread buffers at most one slot's columns, and at most kGramChunkBytes (signed_gram.hpp).
  const std::size_t columns = gramChunkColumns(M, std::min(kNeuronsPerTask, (N_ + slots - 1) / slots) * q);
  std::vector<SignedGram> grams;
  std::vector<Scratch> scratch;
  std::vector<SlotTally> tally(slots);
  grams.reserve(T);
  scratch.reserve(T);
  for (std::size_t t = 0; t < T; ++t) {
    grams.emplace_back(M, columns);
    scratch.emplace_back(net_, data_, newton);
  }
  std::vector<double> rm(r_.data(), r_.data() + M);
  for (double& v : rm) v /= static_cast<double>(M);

  const Buffer G = streamNeurons(N_, M, slots, grams, [&](std::size_t i, std::size_t t, std::size_t slot) {
    Scratch& s = scratch[t];
    SlotTally& tl = tally[slot];
    const double* theta = theta_.data() + i * q;
    const double* JQ = nullptr;  // J_i Q_i (M x q, column-major), when it is at hand
    const double* Qi = nullptr;  // Newton: the block's eigenvectors
    double* cacheOut = initial && cacheJQ_ ? JQ_.data() + i * q * M : nullptr;
    // One-dimensional inputs: K columns straight from sigma, sigma' and x, without forming J.
    const bool fused = newton && net_.inputDim == 1 && !cacheOut && !(initial && trackNorm_) && !(!initial && cacheJQ_);
    if (!initial && cacheJQ_) {
      JQ = JQ_.data() + i * q * M;
    } else {
      const bool needBlock = newton && (initial || !storeBlocks_);
      s.values.evaluate(i, needBlock ? Order::Second : Order::First);
      if (!fused) s.values.jacobian(s.J.data(), M);
      if (initial) {
        s.values.jacobianTransposeTimes(rm.data(), gradient_.data() + i * q);  // grad L = J^T r / M
        if (trackNorm_) {
          for (std::size_t k = 0; k < M * q; ++k) tl.jacobianNorm2 += s.J[k] * s.J[k];
        }
      }
      if (!newton) {
        if (initial) std::fill(theta_.data() + i * q, theta_.data() + (i + 1) * q, lambda_);
        JQ = s.J.data();  // Gauss-Newton: D_i = 0, so Q_i = I and theta = lambda
      } else if (needBlock) {
        s.diagonaliseBlock(r_.data(), lambda_);
        if (initial) std::copy(s.theta.begin(), s.theta.end(), theta_.data() + i * q);
        if (initial && storeBlocks_) std::copy(s.Q.data(), s.Q.data() + q * q, Q_.data() + i * q * q);
        Qi = s.Q.data();
      } else {
        Qi = Q_.data() + i * q * q;
      }
    }
    // Block scale for the cancellation test: |lambda - mu| plus the largest eigenvalue of D_i.
    double dscale = 0;
    for (std::size_t j = 0; j < q; ++j) dscale = std::max(dscale, std::fabs(theta[j] - lambda_));
    const double scale = std::fabs(lambda_ - mu) + dscale;
    for (std::size_t j = 0; j < q; ++j) {
      double gap = theta[j] - mu;
      bool flagged = false;
      if (deflate && (std::fabs(gap) <= kCancellation * scale || gap == 0.0)) {
        flagged = true;
      } else if (gap == 0.0) {
        gap = std::numeric_limits<double>::epsilon() * (scale > 0 ? scale : 1.0);  // mu moved by one ulp
      }
      const double shifted = flagged ? (scale > 0 ? scale : 1.0) : gap;
      (shifted > 0 ? tl.blocks.positive : tl.blocks.negative) += 1;
      // K column = J Q e_j / sqrt|theta_j - mu|, into the positive or negative part of G.
      double* const dst = grams[t].nextColumn(shifted > 0);
      const double w = 1.0 / std::sqrt(std::fabs(shifted));
      if (fused) {
        // J Q e_j = s c sigma' (Q_wj x + Q_bj) + s Q_cj sigma   (MATH.md section 2, d = 1), the rows w, b, c of
        // Q's trainable ones, a frozen group's term dropped (section 1.2)
        const double sc = s.values.scale() * net_.c[i];
        const TrainableGroups& tg = net_.trainable;
        const double alpha = tg.W ? w * sc * Qi[j] : 0.0, beta = tg.b ? w * sc * Qi[net_.biasColumn() * q + j] : 0.0,
                     gamma = tg.c ? w * s.values.scale() * Qi[net_.outputColumn() * q + j] : 0.0;
        const double* s0 = s.values.sigma();
        const double* s1 = s.values.sigmaPrime();
        for (std::size_t m = 0; m < M; ++m) dst[m] = s1[m] * (alpha * data_.x[m] + beta) + gamma * s0[m];
      } else if (JQ) {
        const double* col = JQ + j * M;
        for (std::size_t m = 0; m < M; ++m) dst[m] = w * col[m];
      } else {
        for (std::size_t m = 0; m < M; ++m) dst[m] = 0.0;
        for (std::size_t a = 0; a < q; ++a) {
          const double qa = w * Qi[a * q + j];
          const double* Ja = s.J.data() + a * M;
          for (std::size_t m = 0; m < M; ++m) dst[m] += qa * Ja[m];
        }
      }
      if (cacheOut) {
        for (std::size_t m = 0; m < M; ++m) cacheOut[j * M + m] = dst[m] / w;
      }
      if (flagged) {
        std::vector<double> column(dst, dst + M);
        for (double& v : column) v /= w;  // J Q e_j itself
        tl.flagged.push_back({i, j, gap, shifted, std::move(column)});
        if (tl.flagged.size() > kMaxDeflated)
          throw Failure(ErrorCode::Singular, "more than " + std::to_string(kMaxDeflated) +
                                          " neuron-block eigenvalues of C + lambda I cancel to nearly zero; change "
                                          "the regularization slightly or use solver 'dense'");
      }
    }
  });

  Capacitance cap;
  for (auto& tl : tally) {  // in slot order
    cap.blocks.positive += tl.blocks.positive;
    cap.blocks.negative += tl.blocks.negative;
    if (initial) jacobianNorm2_ += tl.jacobianNorm2;
    for (auto& f : tl.flagged) cap.flagged.push_back(std::move(f));  // slots hold ascending ranges: sorted by neuron
  }
  if (initial) requireFinite(gradient_.data(), gradient_.size(), "gradient");
  if (cap.flagged.size() > kMaxDeflated)
    throw Failure(ErrorCode::Singular, "more than " + std::to_string(kMaxDeflated) +
                                    " neuron-block eigenvalues of C + lambda I cancel to nearly zero; change the "
                                    "regularization slightly or use solver 'dense'");

  // C = [[M I + G', Y], [Y^T, E]], Y[:, f] = J w_f / theta'_f, E = diag(1/theta' - 1/sigma)  (see header).
  const std::size_t k = cap.flagged.size(), n = M + k;
  cap.order = n;
  // The estimate at construction counted an (M + 1) x (M + 1) capacitance; deflation grows it to n x n, and
  // the step and the factorizations hold up to four such matrices.
  const double capacitanceBytes = 4.0 * 8.0 * static_cast<double>(n) * static_cast<double>(n);
  if (capacitanceBytes > memoryLimitBytes_)
    throw Failure(ErrorCode::TooLarge, "the capacitance matrix with " + std::to_string(k) + " deflated directions needs " +
                                           formatNumber(capacitanceBytes / 1048576.0) + " MiB, over memoryLimitBytes; raise it "
                                           "or change the regularization slightly");
  cap.C = Buffer(n * n, kDataAdvice);
  cap.C.fill(0.0);
  for (std::size_t b = 0; b < M; ++b)
    for (std::size_t a = b; a < M; ++a) cap.C[a + b * n] = G[a + b * M] + (a == b ? static_cast<double>(M) : 0.0);
  for (std::size_t f = 0; f < k; ++f) {
    const Flagged& fl = cap.flagged[f];
    for (std::size_t b = 0; b < M; ++b) cap.C[(M + f) + b * n] = fl.column[b] / fl.shifted;
    const double sigma = fl.shifted - fl.gap;
    cap.C[(M + f) + (M + f) * n] = 1.0 / fl.shifted - 1.0 / sigma;
  }
  if (rootCurvature_.size() > 0) {
    // A loss with l'' != 1 (MATH.md section 4, "Losses"): U = [J^T diag(h)^1/2, W], so the J side of
    // C - S^-1 is scaled by h^1/2 from both sides. The step also needs the unweighted [G; Y^T] l'.
    const double* h = rootCurvature_.data();
    if (initial) {
      std::vector<double> unweighted(n, 0.0);
      for (std::size_t b = 0; b < M; ++b)
        for (std::size_t a = b; a < M; ++a) {
          unweighted[a] += G[a + b * M] * r_[b];
          if (a != b) unweighted[b] += G[a + b * M] * r_[a];
        }
      for (std::size_t f = 0; f < k; ++f)
        for (std::size_t b = 0; b < M; ++b) unweighted[M + f] += cap.C[(M + f) + b * n] * r_[b];
      for (std::size_t a = 0; a < M; ++a) unweighted[a] *= h[a];
      unweightedGradient_ = std::move(unweighted);
    }
    for (std::size_t b = 0; b < M; ++b) {
      cap.C[b + b * n] = G[b + b * M] * h[b] * h[b] + static_cast<double>(M);
      for (std::size_t a = b + 1; a < M; ++a) cap.C[a + b * n] = G[a + b * M] * h[a] * h[b];
      for (std::size_t f = 0; f < k; ++f) cap.C[(M + f) + b * n] *= h[b];
    }
  }
  requireFinite(cap.C.data(), cap.C.size(), "capacitance matrix");
  return cap;
}

// Haynsworth (MATH.md section 4), generalized to S = diag(I / M, -sigma):
//   #pos = #pos(Bd') + #neg(C) - k,   #neg = #neg(Bd') + #pos(C) - M,   #zero = #zero(C).
Inertia StructuredSystem::inertiaOf(const Capacitance& cap, const Inertia* fromFactor, bool strict) const {
  Inertia c;
  if (fromFactor) {
    c = *fromFactor;
  } else {
    const BlasScope blas(BlasMode::Pool);  // within a bisection this runs in the bisection's mode
    Buffer copy(cap.C.size(), kDataAdvice);
    std::copy(cap.C.data(), cap.C.data() + cap.C.size(), copy.data());
    c = LdltFactor(copy.data(), cap.order).inertia();
  }
  const auto k = static_cast<long long>(cap.flagged.size()), M = static_cast<long long>(M_);
  const long long pos = static_cast<long long>(cap.blocks.positive + c.negative) - k;
  const long long neg = static_cast<long long>(cap.blocks.negative + c.positive) - M;
  if (pos < 0 || neg < 0) {
    // Rounding in G decided a sign of M I + G that the block counts contradict: this happens only when
    // (C + lambda I - mu I) is singular to working precision at this shift.
    if (strict) throw Failure(ErrorCode::Numerical, "inconsistent inertia counts in the structured solver; use solver 'dense'");
    const long long total = static_cast<long long>(N_ * q_ - c.zero);
    const long long p = std::clamp(pos, 0LL, total);
    return {static_cast<std::size_t>(p), static_cast<std::size_t>(total - p), c.zero};
  }
  return {static_cast<std::size_t>(pos), static_cast<std::size_t>(neg), c.zero};
}

StepOutcome StructuredSystem::step(Spectrum spectrum) {
  const std::size_t M = M_, q = q_, k = capacitance0_.flagged.size(), n = capacitance0_.order;
  StepOutcome out;
  out.loss = loss_;
  out.solver = k == 0 ? Factorization::StructuredWoodbury : Factorization::StructuredWoodburyDeflated;
  out.timings = timings_;
  {
    const BlasScope blas(BlasMode::Pool);  // the capacitance's factorization and solves
    auto start = Clock::now();
    Buffer C(capacitance0_.C.size(), kDataAdvice);
    std::copy(capacitance0_.C.data(), capacitance0_.C.data() + C.size(), C.data());
    const LdltFactor factor(C.data(), n);
    out.timings.factorization = secondsSince(start);
    out.inertia = inertiaOf(capacitance0_, &factor.inertia(), true);
    out.reciprocalCondition = factor.reciprocalCondition();
    if (factor.singular())
      throw Failure(ErrorCode::Singular, "C + lambda I is singular to working precision (capacitance reciprocal condition " +
                                      formatNumber(factor.reciprocalCondition()) + ", lambda = " + formatNumber(lambda_) +
                                      "); increase the regularization (gamma or lambda)");

    // y = C^-1 [r; 0]; step_i = -Q_i diag(1/theta'_i) ((J_i Q_i)^T y_1 + y_2 on deflated directions).
    start = Clock::now();
    Buffer y(n, kDataAdvice);  // aligned (buffer.hpp): DSYTRS's bits must not depend on the address
    y.fill(0.0);
    if (rootCurvature_.size() == 0) {
      std::copy(r_.data(), r_.data() + M, y.data());
      factor.solve(y.data(), 1);
    } else {
      // Weighted rows (MATH.md section 4, "Losses"): z = C^-1 D [G; Y^T] l', y_1 = (l' - h^1/2 z_1) / M,
      // y_2 = -z_2 / M, which is C^-1 [l'; 0] again when h = 1 (and stays defined where h = 0).
      std::copy(unweightedGradient_.begin(), unweightedGradient_.end(), y.data());
      factor.solve(y.data(), 1);
      const double Md = static_cast<double>(M);
      for (std::size_t m = 0; m < M; ++m) y[m] = (r_[m] - rootCurvature_[m] * y[m]) / Md;
      for (std::size_t f = M; f < n; ++f) y[f] = -y[f] / Md;
    }
    out.step.assign(N_ * q, 0.0);
    const bool newton = curvature_ == Curvature::Newton;
    const auto& flagged = capacitance0_.flagged;
    parallelFor(N_, threads(), [&](std::size_t begin, std::size_t end, std::size_t) {
      Scratch s(net_, data_, newton);
      std::vector<double> u(q), t(q);
      for (std::size_t i = begin; i < end; ++i) {
        const double* Qi = prepareNeuron(s, i, false);
        s.values.jacobianTransposeTimes(y.data(), u.data());
        const double* theta = theta_.data() + i * q;
        rotateIn(Qi, u.data(), t.data(), q);
        auto it = std::lower_bound(flagged.begin(), flagged.end(), i,
                                   [](const Flagged& f, std::size_t neuron) { return f.neuron < neuron; });
        for (std::size_t j = 0; j < q; ++j) {
          double gap = theta[j];
          if (it != flagged.end() && it->neuron == i && it->index == j) {
            t[j] += y[M + static_cast<std::size_t>(it - flagged.begin())];
            gap = it->shifted;
            ++it;
          }
          t[j] /= -gap;
        }
        double* stepI = out.step.data() + i * q;
        rotateOut(Qi, t.data(), stepI, q);
      }
    });
    requireFinite(out.step.data(), out.step.size(), "step");
    out.timings.solve = secondsSince(start);
  }
  requireFinite(out.step.data(), out.step.size(), "step");
  double gs = 0;
  for (std::size_t p = 0; p < gradient_.size(); ++p) gs += gradient_[p] * out.step[p];
  out.gradientDotStep = gs;
  out.gradientNorm = euclideanNorm(gradient_.data(), gradient_.size());
  out.stepNorm = euclideanNorm(out.step);

  if (spectrum == Spectrum::Extremal) {
    const auto start = Clock::now();
    const ExtremalSpectrum e = extremalBySecular();
    out.minEigenvalue = e.minEigenvalue;
    out.maxEigenvalue = e.maxEigenvalue;
    out.hasExtremal = true;
    out.timings.spectrum = secondsSince(start);
  }
  return out;
}

// Gauss-Newton: J^T J / M (P x P) and J J^T / M (M x M) share their nonzero eigenvalues, and
// J J^T / M = lambda G / M with G from the capacitance (MATH.md section 4). With w_1 <= ... <= w_M the
// eigenvalues of J J^T / M, those of C + lambda I are lambda + w_k for the P largest k when P <= M (the
// smallest is lambda + w_(M-P+1)), and lambda + w_k for every k plus lambda (P - M more times) when P > M.
bool StructuredSystem::gaussNewtonClosedForm(ExtremalSpectrum& out) const {
  if (curvature_ != Curvature::GaussNewton || !(lambda_ > 0) || !capacitance0_.flagged.empty()) return false;
  const std::size_t M = M_, n = capacitance0_.order;
  std::vector<double> B(M * M);
  for (std::size_t b = 0; b < M; ++b)
    for (std::size_t a = b; a < M; ++a)
      B[a + b * M] = lambda_ * (capacitance0_.C[a + b * n] - (a == b ? static_cast<double>(M) : 0.0)) / static_cast<double>(M);
  const std::vector<double> w = symmetricEigenvalues(B, M);
  const std::size_t P = N_ * q_;
  // J J^T / M is positive semidefinite: a negative w is rounding, clamped to its true bound 0.
  out.minEigenvalue = P > M ? lambda_ : lambda_ + std::max(0.0, w[M - P]);
  out.maxEigenvalue = lambda_ + std::max(0.0, w.back());
  return true;
}

StructuredOptions structuredOptions(const StepRequest& request) {
  StructuredOptions options;
  options.memoryLimitBytes = request.memoryLimitBytes;
  return options;
}

StepOutcome structuredStep(const NetView& net, const DataView& data, const StepRequest& request) {
  return StructuredSystem(net, data, request.curvature, request.lambda, structuredOptions(request)).step(request.spectrum);
}

ExtremalSpectrum StructuredSystem::extremalBySecular() {
  ExtremalSpectrum out;
  out.inertia = inertia();
  if (gaussNewtonClosedForm(out)) return out;
  SpectrumRequest request;
  request.curvature = curvature_;
  request.lambda = lambda_;
  request.memoryLimitBytes = memoryLimitBytes_;
  request.inertia = false;
  try {
    const SpectrumResult s = curvatureSpectrum(net_, data_, request);
    out.minEigenvalue = s.smallest.at(0);
    out.maxEigenvalue = s.largest.at(0);
    return out;
  } catch (const Failure& f) {
    if (f.code() != ErrorCode::TooLarge) throw;
    return extremal();  // the operator's P-vectors do not fit memoryLimitBytes: bisection needs none
  }
}

ExtremalSpectrum StructuredSystem::extremal() {
  // The bisection's sweeps and their small factorizations, and the closed form, all on one-thread BLAS:
  // the factorizations cost O(M^3), below a sweep's O(M^2 P) on the worker threads.
  const BlasScope blas(BlasMode::SingleThreaded);
  ExtremalSpectrum out;
  out.inertia = inertia();
  if (gaussNewtonClosedForm(out)) return out;
  int steps = 0;
  auto countBelow = [&](double mu) {
    ++steps;
    const Inertia in = inertiaOf(sweep(mu, false, false), nullptr, false);
    return static_cast<double>(in.negative) + 0.5 * static_cast<double>(in.zero);
  };
  const double P = static_cast<double>(N_ * q_);
  // Smallest mu in [lo, hi] with at least `target` eigenvalues below it, to working precision.
  auto bisect = [&](double lo, double hi, double target) {
    const double eps = std::numeric_limits<double>::epsilon();
    const double scale = std::max({std::fabs(lo), std::fabs(hi), std::numeric_limits<double>::min()});
    for (int iter = 0; iter < 200 && hi - lo > 4.0 * eps * scale; ++iter) {
      const double mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) break;
      (countBelow(mid) >= target ? hi : lo) = mid;
    }
    return 0.5 * (lo + hi);
  };
  std::vector<double> sorted(theta_.data(), theta_.data() + theta_.size());
  std::sort(sorted.begin(), sorted.end());
  // Weyl and Cauchy interlacing for Bd plus a positive semidefinite term of rank <= M and norm <= |J|_F^2 / M:
  //   theta_1 <= lambda_1 <= min(theta_{M+1}, theta_1 + |J|_F^2 / M),  theta_P <= lambda_P <= theta_P + |J|_F^2 / M.
  if (!trackNorm_) {  // |J|_F^2 for the bounds below, if the initial sweep did not collect it
    const std::size_t slots = slotCount(N_, kMinNeuronsPerSlot);
    std::vector<double> partial(slots, 0.0);  // per slot, added in slot order
    parallelSlots(N_, slots, threads(), [&](std::size_t begin, std::size_t end, std::size_t slot, std::size_t) {
      Scratch s(net_, data_, false);
      for (std::size_t i = begin; i < end; ++i) {
        s.values.evaluate(i, Order::First);
        s.values.jacobian(s.J.data(), M_);
        for (double v : s.J) partial[slot] += v * v;
      }
    });
    for (double v : partial) jacobianNorm2_ += v;
    trackNorm_ = true;
  }
  const double lift = jacobianNorm2_ / static_cast<double>(M_);
  const double spread = std::max({std::fabs(sorted.front()), std::fabs(sorted.back()) + lift, 1e-300});
  const double pad = 8.0 * std::numeric_limits<double>::epsilon() * spread;
  double minHi = sorted.front() + lift;
  if (M_ < sorted.size()) minHi = std::min(minHi, sorted[M_]);
  out.minEigenvalue = bisect(sorted.front() - pad, minHi + pad, 0.5);
  out.maxEigenvalue = bisect(sorted.back() - pad, sorted.back() + lift + pad, P - 0.5);
  out.bisectionSteps = steps;
  return out;
}

void StructuredSystem::nntkGram(double* out) {
  const BlasScope blas(BlasMode::Pool);
  const std::size_t M = M_, n = capacitance0_.order;
  Buffer C(capacitance0_.C.size(), kDataAdvice);
  std::copy(capacitance0_.C.data(), capacitance0_.C.data() + C.size(), C.data());
  const LdltFactor factor(C.data(), n);
  if (factor.singular())
    throw Failure(ErrorCode::Singular, "C + lambda I is singular to working precision (lambda = " + formatNumber(lambda_) +
                                    "); increase the regularization (gamma or lambda)");
  Buffer X(n * M, kDataAdvice);
  X.fill(0.0);
  for (std::size_t a = 0; a < M; ++a) X[a + a * n] = 1.0;
  factor.solve(X.data(), M);
  // NNTK = I - M [C^-1]_11, symmetrized (MATH.md section 5).
  const double Md = static_cast<double>(M);
  for (std::size_t a = 0; a < M; ++a)
    for (std::size_t b = 0; b < M; ++b) {
      const double v = 0.5 * (X[a + b * n] + X[b + a * n]);
      out[a * M + b] = (a == b ? 1.0 : 0.0) - Md * v;
    }
}

// J_t (C + lambda I)^-1 J^T / M = H_t (C_cap^-1)[:, :M] with H_t = J_t Bd'^-1 [J^T, W] (MATH.md section 5,
// "Predictions"; the Woodbury form of the header with U = [J^T, W]); the test diagonal
// (J_t Bd'^-1 J_t^T - H_t C_cap^-1 H_t^T)_tt / M. The deflated directions are those of the training system.
CrossKernel StructuredSystem::crossKernel(const DataView& test) {
  if (rootCurvature_.size() > 0)
    throw Failure(ErrorCode::Unsupported, "cross kernels and the linearized predictor are defined for the square loss only");
  const std::size_t M = M_, q = q_, Mt = test.size, k = capacitance0_.flagged.size(), n = capacitance0_.order;
  const bool newton = curvature_ == Curvature::Newton;
  const auto& flagged = capacitance0_.flagged;
  Buffer Ht(Mt * n, kDataAdvice);  // column-major Mt x n: the first M columns are the streamed sum below
  Ht.fill(0.0);
  const CrossSum sum = streamCross(N_, Mt, M, kMinNeuronsPerSlot, threads(), kNeuronsPerTask * q,
                                   [&](std::size_t begin, std::size_t end, std::size_t, std::size_t, double* diag, CrossAccumulator& acc) {
    Scratch s(net_, data_, newton);
    NeuronValues probe(net_, test);
    std::vector<double> Jt(Mt * q), kt(Mt), kk(M);
    auto it = std::lower_bound(flagged.begin(), flagged.end(), begin,
                               [](const Flagged& f, std::size_t neuron) { return f.neuron < neuron; });
    for (std::size_t i = begin; i < end; ++i) {
      const double* Qi = prepareNeuron(s, i, false);
      s.values.jacobian(s.J.data(), M);
      probe.evaluate(i, Order::First);
      probe.jacobian(Jt.data(), Mt);
      for (std::size_t a = 0; a < q; ++a) {
        // k = J_i Q_i e_a and kt = J_t,i Q_i e_a (Gauss-Newton: Q_i = I).
        for (std::size_t m = 0; m < M; ++m) kk[m] = Qi ? 0.0 : s.J[a * M + m];
        for (std::size_t m = 0; m < Mt; ++m) kt[m] = Qi ? 0.0 : Jt[a * Mt + m];
        if (Qi) {
          for (std::size_t b = 0; b < q; ++b) {
            const double w = Qi[b * q + a];
            for (std::size_t m = 0; m < M; ++m) kk[m] += w * s.J[b * M + m];
            for (std::size_t m = 0; m < Mt; ++m) kt[m] += w * Jt[b * Mt + m];
          }
        }
        double gap = theta_[i * q + a];
        if (it != flagged.end() && it->neuron == i && it->index == a) {
          gap = it->shifted;
          double* col = Ht.data() + (M + static_cast<std::size_t>(it - flagged.begin())) * Mt;
          for (std::size_t m = 0; m < Mt; ++m) col[m] = kt[m] / gap;
          ++it;
        }
        double *pa = nullptr, *pb = nullptr;
        acc.next(pa, pb);
        for (std::size_t m = 0; m < Mt; ++m) {
          pa[m] = kt[m] / gap;
          diag[m] += kt[m] * kt[m] / gap;
        }
        std::copy(kk.begin(), kk.end(), pb);
      }
    }
  });
  std::copy(sum.H.data(), sum.H.data() + Mt * M, Ht.data());
  requireFinite(Ht.data(), Ht.size(), "cross kernel");

  const BlasScope blas(BlasMode::Pool);
  Buffer C(capacitance0_.C.size(), kDataAdvice);
  std::copy(capacitance0_.C.data(), capacitance0_.C.data() + C.size(), C.data());
  const LdltFactor factor(C.data(), n);
  if (factor.singular())
    throw Failure(ErrorCode::Singular, "C + lambda I is singular to working precision (lambda = " + formatNumber(lambda_) +
                                    "); increase the regularization (gamma or lambda)");
  // X = C_cap^-1 [I_M; 0], then cross = H_t X; Y = C_cap^-1 H_t^T for the diagonal.
  Buffer X(n * M, kDataAdvice);
  X.fill(0.0);
  for (std::size_t a = 0; a < M; ++a) X[a + a * n] = 1.0;
  factor.solve(X.data(), M);
  Buffer Y(n * Mt, kDataAdvice);
  for (std::size_t r = 0; r < Mt; ++r)
    for (std::size_t j = 0; j < n; ++j) Y[j + r * n] = Ht[r + j * Mt];
  factor.solve(Y.data(), Mt);
  Buffer cross(Mt * M, kDataAdvice);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(Mt), static_cast<int>(M), static_cast<int>(n), 1.0,
              Ht.data(), static_cast<int>(Mt), X.data(), static_cast<int>(n), 0.0, cross.data(), static_cast<int>(Mt));
  CrossKernel out{Mt, M, std::vector<double>(Mt * M), std::vector<double>(Mt, 0.0)};
  for (std::size_t r = 0; r < Mt; ++r)
    for (std::size_t c = 0; c < M; ++c) out.cross[r * M + c] = cross[r + c * Mt];
  for (std::size_t r = 0; r < Mt; ++r) {
    const double d = sum.diagonal[r];
    double correction = 0;
    for (std::size_t j = 0; j < n; ++j) correction += Ht[r + j * Mt] * Y[j + r * n];
    out.diagonal[r] = (d - correction) / static_cast<double>(M);
  }
  requireFinite(out.cross.data(), out.cross.size(), "cross NNTK");
  requireFinite(out.diagonal.data(), out.diagonal.size(), "NNTK test diagonal");
  (void)k;
  return out;
}

}  // namespace nntk
