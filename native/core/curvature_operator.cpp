#include "curvature_operator.hpp"

#include <algorithm>
#include <cmath>

#include "failure.hpp"
#include "parallel.hpp"
#include "signed_gram.hpp"
#include "small_eigen.hpp"

namespace nntk {
namespace {

constexpr std::size_t kNeuronsPerFold = 1024;    // neurons whose columns a thread buffers before one DSYRK fold (at most)
constexpr std::size_t kMinNeuronsPerSlot = 256;  // neurons per slot at least (parallel.hpp): sums in a fixed order
constexpr const char* kAdvice = "the spectrum keeps P block eigenvalues and rotations; use a smaller width or raise memoryLimitBytes";

// Per-thread scratch for one neuron: its values, its q Jacobian columns and its q rotated columns.
struct NeuronScratch {
  NeuronScratch(const NetView& net, const DataView& data)
      : values(net, data), J(data.size * net.blockSize()), K(data.size * net.blockSize()), u(net.blockSize()), t(net.blockSize()) {}
  NeuronValues values;
  std::vector<double> J, K, u, t;
};

}  // namespace

CurvatureOperator::CurvatureOperator(const NetView& net, const DataView& data, Curvature curvature, double lambda,
                                     double memoryLimitBytes)
    : net_(net), data_(data), curvature_(curvature), lambda_(lambda), M_(data.size), q_(net.blockSize()), N_(net.width),
      P_(net.parameterCount()), threads_(std::max<std::size_t>(1, std::min(workerCount(net.width, data.size), net.width))) {
  const bool newton = curvature == Curvature::Newton;
  // theta, the rotations (Newton), and a few P-vectors of the products and eigenvectors.
  const double bytes = 8.0 * static_cast<double>(P_) * ((newton ? 1.0 + static_cast<double>(q_) : 1.0) + 4.0);
  if (bytes > memoryLimitBytes)
    throw Failure(ErrorCode::TooLarge, "the spectrum needs about " + formatNumber(bytes / 1048576.0) + " MiB, over memoryLimitBytes = " +
                                           formatNumber(memoryLimitBytes / 1048576.0) + " MiB; " + kAdvice);
  r_.resize(M_);
  if (data.loss.weighted()) {
    // Rows of J weighted by l''^1/2 (MATH.md section 4, "Losses"): every K below is diag(root_) J Q.
    root_.resize(M_);
    loss_ = evaluateLoss(net, data, r_.data(), root_.data()).loss;
    for (double& v : root_) v = std::sqrt(v);
  } else {
    loss_ = residual(net, data, r_.data());
  }
  requireFinite(r_.data(), M_, "output");
  theta_.resize(P_);
  if (newton) Q_.resize(N_ * q_ * q_);
  // The two norms are summed per fixed slot of neurons and then in slot order (thread-count independent).
  const std::size_t slots = slotCount(N_, kMinNeuronsPerSlot);
  std::vector<double> norm2(slots, 0.0), weighted2(slots, 0.0);
  parallelSlots(N_, slots, threads_, [&](std::size_t begin, std::size_t end, std::size_t slot, std::size_t) {
    NeuronScratch s(net_, data_);
    std::vector<double> D(q_ * q_);
    for (std::size_t i = begin; i < end; ++i) {
      double* theta = theta_.data() + i * q_;
      if (newton) {
        // D_i + lambda I = Q_i diag(theta_i) Q_i^T (MATH.md section 4).
        s.values.evaluate(i, Order::Second);
        s.values.curvatureBlock(r_.data(), D.data());
        requireFinite(D.data(), D.size(), "second derivative");
        for (std::size_t a = 0; a < q_; ++a) D[a * q_ + a] += lambda_;
        smallSymmetricEigen(D.data(), q_, theta, Q_.data() + i * q_ * q_);
        s.values.jacobian(s.J.data(), M_);
      } else {
        s.values.evaluate(i, Order::First);
        s.values.jacobian(s.J.data(), M_);
        std::fill(theta, theta + q_, lambda_);
      }
      const double* Qi = newton ? Q_.data() + i * q_ * q_ : nullptr;
      for (std::size_t a = 0; a < q_; ++a) {
        double kk = 0;
        for (std::size_t m = 0; m < M_; ++m) {
          double v = 0;
          if (Qi) {
            for (std::size_t b = 0; b < q_; ++b) v += Qi[b * q_ + a] * s.J[b * M_ + m];
          } else {
            v = s.J[a * M_ + m];
          }
          if (!root_.empty()) v *= root_[m];
          kk += v * v;
        }
        norm2[slot] += kk;
        weighted2[slot] += theta[a] * kk;
      }
    }
  });
  for (std::size_t k = 0; k < slots; ++k) {
    jacobianNorm2_ += norm2[k];
    weightedNorm2_ += weighted2[k];
  }
  requireFinite(theta_.data(), theta_.size(), "block eigenvalue");
}

// J_i (M x q, column-major) and K_i = J_i Q_i (the rotated columns k_j of neuron i's directions).
void CurvatureOperator::evaluateColumns(NeuronValues& values, std::size_t neuron, double* J, double* K) const {
  values.evaluate(neuron, Order::First);
  values.jacobian(J, M_);
  if (!root_.empty())
    for (std::size_t a = 0; a < q_; ++a)
      for (std::size_t m = 0; m < M_; ++m) J[a * M_ + m] *= root_[m];
  if (curvature_ != Curvature::Newton) {
    std::copy(J, J + M_ * q_, K);
    return;
  }
  const double* Qi = Q_.data() + neuron * q_ * q_;
  for (std::size_t a = 0; a < q_; ++a) {
    double* k = K + a * M_;
    for (std::size_t m = 0; m < M_; ++m) k[m] = 0.0;
    for (std::size_t b = 0; b < q_; ++b) {
      const double qa = Qi[b * q_ + a];
      const double* Jb = J + b * M_;
      for (std::size_t m = 0; m < M_; ++m) k[m] += qa * Jb[m];
    }
  }
}

Buffer CurvatureOperator::weightedGram(const std::function<double(std::size_t, double)>& weight) const {
  const std::size_t slots = gramSlots(N_, M_, kMinNeuronsPerSlot);
  const std::size_t T = std::min(threads_, slots);
  const std::size_t columns = gramChunkColumns(M_, std::min(kNeuronsPerFold, (N_ + slots - 1) / slots) * q_);
  std::vector<SignedGram> grams;
  std::vector<NeuronScratch> scratch;
  grams.reserve(T);
  scratch.reserve(T);
  for (std::size_t t = 0; t < T; ++t) {
    grams.emplace_back(M_, columns);
    scratch.emplace_back(net_, data_);
  }
  const bool newton = curvature_ == Curvature::Newton;
  return streamNeurons(N_, M_, slots, grams, [&](std::size_t i, std::size_t t, std::size_t) {
    NeuronScratch& s = scratch[t];
    if (net_.inputDim == 1) {
      // k_a = Q_0a s c sigma' x + Q_1a s c sigma' + Q_2a s sigma (MATH.md section 2, d = 1), straight into the buffer.
      s.values.evaluate(i, Order::First);
      const double* s0 = s.values.sigma();
      const double* s1 = s.values.sigmaPrime();
      // With frozen groups (MATH.md section 1.2) Q_i is q' x q' and a frozen group's coefficient is 0.
      const double sc = s.values.scale() * net_.c[i], sv = s.values.scale();
      const TrainableGroups& tg = net_.trainable;
      const std::size_t ob = net_.biasColumn(), oc = net_.outputColumn();
      const double* Qi = newton ? Q_.data() + i * q_ * q_ : nullptr;
      for (std::size_t a = 0; a < q_; ++a) {
        const std::size_t j = i * q_ + a;
        const double w = weight(j, theta_[j]);
        if (w == 0.0) continue;
        double* dst = grams[t].nextColumn(w > 0);
        const double root = std::sqrt(std::fabs(w));
        const double q0 = !tg.W ? 0.0 : Qi ? Qi[a] : (a == 0 ? 1.0 : 0.0),
                     q1 = !tg.b ? 0.0 : Qi ? Qi[ob * q_ + a] : (a == ob ? 1.0 : 0.0),
                     q2 = !tg.c ? 0.0 : Qi ? Qi[oc * q_ + a] : (a == oc ? 1.0 : 0.0);
        const double alpha = root * sc * q0, beta = root * sc * q1, gamma = root * sv * q2;
        for (std::size_t m = 0; m < M_; ++m) dst[m] = s1[m] * (alpha * data_.x[m] + beta) + gamma * s0[m];
        if (!root_.empty())
          for (std::size_t m = 0; m < M_; ++m) dst[m] *= root_[m];
      }
      return;
    }
    evaluateColumns(s.values, i, s.J.data(), s.K.data());
    for (std::size_t a = 0; a < q_; ++a) {
      const std::size_t j = i * q_ + a;
      const double w = weight(j, theta_[j]);
      if (w == 0.0) continue;
      double* dst = grams[t].nextColumn(w > 0);
      const double root = std::sqrt(std::fabs(w));
      const double* k = s.K.data() + a * M_;
      for (std::size_t m = 0; m < M_; ++m) dst[m] = root * k[m];
    }
  });
}

std::vector<double> CurvatureOperator::columns(const std::vector<std::size_t>& directions) const {
  std::vector<double> out(M_ * directions.size());
  NeuronScratch s(net_, data_);
  std::size_t evaluated = N_;
  for (std::size_t c = 0; c < directions.size(); ++c) {
    const std::size_t i = directions[c] / q_, a = directions[c] % q_;
    if (i != evaluated) {
      evaluateColumns(s.values, i, s.J.data(), s.K.data());
      evaluated = i;
    }
    std::copy(s.K.data() + a * M_, s.K.data() + (a + 1) * M_, out.data() + c * M_);
  }
  return out;
}

void CurvatureOperator::projectRows(const double* zIn, const std::function<double(std::size_t, double)>& coefficient, double* out) const {
  std::vector<double> weighted;  // K^T z = Q^T J^T diag(root) z
  const double* z = zIn;
  if (!root_.empty()) {
    weighted.assign(zIn, zIn + M_);
    for (std::size_t m = 0; m < M_; ++m) weighted[m] *= root_[m];
    z = weighted.data();
  }
  parallelFor(N_, threads_, [&](std::size_t begin, std::size_t end, std::size_t) {
    NeuronScratch s(net_, data_);
    for (std::size_t i = begin; i < end; ++i) {
      s.values.evaluate(i, Order::First);
      s.values.jacobianTransposeTimes(z, s.u.data());  // J_i^T z, then k_j . z = (Q_i^T J_i^T z)_a
      for (std::size_t a = 0; a < q_; ++a) {
        double v = s.u[a];
        if (curvature_ == Curvature::Newton) {
          const double* Qi = Q_.data() + i * q_ * q_;
          v = 0;
          for (std::size_t b = 0; b < q_; ++b) v += Qi[b * q_ + a] * s.u[b];
        }
        const std::size_t j = i * q_ + a;
        out[j] = coefficient(j, theta_[j]) * v;
      }
    }
  });
}

void CurvatureOperator::toParameters(const double* rotated, double* params) const {
  if (curvature_ != Curvature::Newton) {
    if (params != rotated) std::copy(rotated, rotated + P_, params);
    return;
  }
  std::vector<double> t(q_);
  for (std::size_t i = 0; i < N_; ++i) {
    const double* Qi = Q_.data() + i * q_ * q_;
    for (std::size_t b = 0; b < q_; ++b) {
      double v = 0;
      for (std::size_t a = 0; a < q_; ++a) v += Qi[b * q_ + a] * rotated[i * q_ + a];
      t[b] = v;
    }
    std::copy(t.begin(), t.end(), params + i * q_);
  }
}

void CurvatureOperator::toRotated(const double* params, double* rotated) const {
  if (curvature_ != Curvature::Newton) {
    if (params != rotated) std::copy(params, params + P_, rotated);
    return;
  }
  std::vector<double> t(q_);
  for (std::size_t i = 0; i < N_; ++i) {
    const double* Qi = Q_.data() + i * q_ * q_;
    for (std::size_t a = 0; a < q_; ++a) {
      double v = 0;
      for (std::size_t b = 0; b < q_; ++b) v += Qi[b * q_ + a] * params[i * q_ + b];
      t[a] = v;
    }
    std::copy(t.begin(), t.end(), rotated + i * q_);
  }
}

void CurvatureOperator::jacobianTimes(const double* v, double* result) const {
  // Summed per fixed slot of neurons and then in slot order.
  const std::size_t slots = slotCount(N_, kMinNeuronsPerSlot);
  std::vector<std::vector<double>> partial(slots, std::vector<double>(M_, 0.0));
  parallelSlots(N_, slots, threads_, [&](std::size_t begin, std::size_t end, std::size_t slot, std::size_t) {
    NeuronScratch s(net_, data_);
    double* u = partial[slot].data();
    for (std::size_t i = begin; i < end; ++i) {
      s.values.evaluate(i, Order::First);
      s.values.jacobian(s.J.data(), M_);
      for (std::size_t a = 0; a < q_; ++a) {
        const double va = v[i * q_ + a];
        const double* Ja = s.J.data() + a * M_;
        for (std::size_t m = 0; m < M_; ++m) u[m] += Ja[m] * va;
      }
    }
  });
  std::fill(result, result + M_, 0.0);
  for (const auto& p : partial)
    for (std::size_t m = 0; m < M_; ++m) result[m] += p[m];
  if (!root_.empty())
    for (std::size_t m = 0; m < M_; ++m) result[m] *= root_[m];  // diag(root) J v
}

void CurvatureOperator::apply(const double* v, double* out) const {
  std::vector<double> u(M_);
  jacobianTimes(v, u.data());
  for (double& x : u) x /= static_cast<double>(M_);
  if (!root_.empty())
    for (std::size_t m = 0; m < M_; ++m) u[m] *= root_[m];  // J^T diag(l'') J v / M
  // out_i = J_i^T u + (D_i + lambda I) v_i,  (D_i + lambda I) v_i = Q_i diag(theta_i) Q_i^T v_i.
  parallelFor(N_, threads_, [&](std::size_t begin, std::size_t end, std::size_t) {
    NeuronScratch s(net_, data_);
    for (std::size_t i = begin; i < end; ++i) {
      s.values.evaluate(i, Order::First);
      s.values.jacobianTransposeTimes(u.data(), s.u.data());
      const double* vi = v + i * q_;
      const double* theta = theta_.data() + i * q_;
      if (curvature_ == Curvature::Newton) {
        const double* Qi = Q_.data() + i * q_ * q_;
        for (std::size_t a = 0; a < q_; ++a) {
          double w = 0;
          for (std::size_t b = 0; b < q_; ++b) w += Qi[b * q_ + a] * vi[b];
          s.t[a] = theta[a] * w;
        }
        for (std::size_t b = 0; b < q_; ++b) {
          double w = 0;
          for (std::size_t a = 0; a < q_; ++a) w += Qi[b * q_ + a] * s.t[a];
          out[i * q_ + b] = s.u[b] + w;
        }
      } else {
        for (std::size_t b = 0; b < q_; ++b) out[i * q_ + b] = s.u[b] + theta[b] * vi[b];
      }
    }
  });
}

}  // namespace nntk
