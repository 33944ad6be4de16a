#include "model.hpp"

#include "norms.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "blas_threads.hpp"
#include "neuron_kernels.hpp"
#include "parallel.hpp"
#include "simd_math.hpp"

namespace nntk {

// s = a N^-beta (docs/MATH.md sections 1 and 1.1): every derivative of f carries it once.
double NetView::scale() const { return outputScale * std::pow(static_cast<double>(width), -beta); }

std::size_t workerCount(std::size_t width, std::size_t points) {
  const std::size_t threads = configuredThreads();
  return width * std::max<std::size_t>(points, 1) < (std::size_t{1} << 16) ? 1 : threads;
}

NeuronValues::NeuronValues(const NetView& net, const DataView& data)
    : net_(net), data_(data), scale_(net.scale()), z_(data.size), s0_(data.size), s1_(data.size), s2_(data.size) {}

// z_m = w_i . x_m + b_i  (MATH.md section 1).
void neuronInputs(const NetView& net, const DataView& data, std::size_t neuron, double* z) {
  const std::size_t M = data.size, d = net.inputDim;
  const double* w = net.W + neuron * d;
  const double b = net.b[neuron];
  if (d == 1) return neuronKernels().inputs(w[0], b, data.x, M, z);
  for (std::size_t m = 0; m < M; ++m) {
    const double* xm = data.x + m * d;
    double sum = b;
    for (std::size_t j = 0; j < d; ++j) sum += w[j] * xm[j];
    z[m] = sum;
  }
}

// z, then sigma and the derivatives asked for (MATH.md section 2).
void NeuronValues::evaluate(std::size_t neuron, Order order) {
  neuron_ = neuron;
  neuronInputs(net_, data_, neuron, z_.data());
  evaluateActivation(net_.activation, z_.data(), data_.size, s0_.data(), order >= Order::First ? s1_.data() : nullptr,
                     order >= Order::Second ? s2_.data() : nullptr);
}

// df/dw = s c sigma'(z) x, df/db = s c sigma'(z), df/dc = s sigma(z)  (MATH.md section 2), the columns
// of the trainable groups only (section 1.2).
void NeuronValues::jacobian(double* J, std::size_t ld) const {
  const std::size_t M = data_.size, d = net_.inputDim;
  const double s = scale_, sc = s * net_.c[neuron_];
  const TrainableGroups& t = net_.trainable;
  if (t.all()) {
    double* colB = J + d * ld;
    double* colC = J + (d + 1) * ld;
    for (std::size_t m = 0; m < M; ++m) {
      colB[m] = sc * s1_[m];
      colC[m] = s * s0_[m];
    }
    for (std::size_t j = 0; j < d; ++j) {
      double* col = J + j * ld;
      for (std::size_t m = 0; m < M; ++m) col[m] = colB[m] * data_.x[m * d + j];
    }
    return;
  }
  if (t.b) {
    double* colB = J + net_.biasColumn() * ld;
    for (std::size_t m = 0; m < M; ++m) colB[m] = sc * s1_[m];
  }
  if (t.c) {
    double* colC = J + net_.outputColumn() * ld;
    for (std::size_t m = 0; m < M; ++m) colC[m] = s * s0_[m];
  }
  if (t.W) {
    for (std::size_t j = 0; j < d; ++j) {
      double* col = J + j * ld;
      for (std::size_t m = 0; m < M; ++m) col[m] = (sc * s1_[m]) * data_.x[m * d + j];  // the same bits as colB[m] * x
    }
  }
}

std::vector<std::size_t> trainableIndices(const NetView& net) {
  const std::size_t d = net.inputDim;
  std::vector<std::size_t> A;
  A.reserve(net.blockSize());
  if (net.trainable.W)
    for (std::size_t j = 0; j < d; ++j) A.push_back(j);
  if (net.trainable.b) A.push_back(d);
  if (net.trainable.c) A.push_back(d + 1);
  return A;
}

void selectTrainable(const NetView& net, const double* full, double* out) {
  const std::size_t d = net.inputDim;
  std::size_t k = 0;
  if (net.trainable.W)
    for (std::size_t j = 0; j < d; ++j) out[k++] = full[j];
  if (net.trainable.b) out[k++] = full[d];
  if (net.trainable.c) out[k++] = full[d + 1];
}

void NeuronValues::jacobianTransposeTimes(const double* v, double* out) const {
  neuronTransposeTimes<SumOrder::Points>(net_, data_, neuron_, scale_, s0_.data(), s1_.data(), v, out);
}

// J_i^T v = (s c_i sum_m v_m sigma'_m x_m, s c_i sum_m v_m sigma'_m, s sum_m v_m sigma_m)  (MATH.md section 2).
// With frozen groups (MATH.md section 1.2) the full q sums are formed and the trainable ones kept.
template <SumOrder Order>
void neuronTransposeTimes(const NetView& net, const DataView& data, std::size_t neuron, double s, const double* s0,
                          const double* s1, const double* v, double* out) {
  if (!net.trainable.all()) {
    NetView full = net;
    full.trainable = TrainableGroups{};
    std::vector<double> all(net.fullBlockSize());
    neuronTransposeTimes<Order>(full, data, neuron, s, s0, s1, v, all.data());
    return selectTrainable(net, all.data(), out);
  }
  const std::size_t M = data.size, d = net.inputDim;
  const double sc = s * net.c[neuron];
  if (d == 1 && Order == SumOrder::Lanes) {
    const PrimeSource prime = s1                                      ? PrimeSource::Stored
                              : net.activation == Activation::Tanh ? PrimeSource::FromTanh
                                                                   : PrimeSource::FromLogistic;
    double sums[3];
    neuronKernels().sums(data.x, s0, s1, prime, v, M, sums);
    out[0] = sc * sums[0];
    out[1] = sc * sums[1];
    out[2] = s * sums[2];
    return;
  }
  if (d == 1) {  // the common case, with the three sums in registers
    double sumW = 0, sumB = 0, sumC = 0;
    for (std::size_t m = 0; m < M; ++m) {
      const double t = v[m] * s1[m];
      sumW += t * data.x[m];
      sumB += t;
      sumC += v[m] * s0[m];
    }
    out[0] = sc * sumW;
    out[1] = sc * sumB;
    out[2] = s * sumC;
    return;
  }
  double sumB = 0, sumC = 0;
  for (std::size_t j = 0; j < d; ++j) out[j] = 0;
  for (std::size_t m = 0; m < M; ++m) {
    const double t = v[m] * (s1 ? s1[m] : derivativeFromValue(net.activation, s0[m]));
    sumB += t;
    sumC += v[m] * s0[m];
    for (std::size_t j = 0; j < d; ++j) out[j] += t * data.x[m * d + j];
  }
  for (std::size_t j = 0; j < d; ++j) out[j] *= sc;
  out[d] = sc * sumB;
  out[d + 1] = s * sumC;
}

template void neuronTransposeTimes<SumOrder::Points>(const NetView&, const DataView&, std::size_t, double,
                                                     const double*, const double*, const double*, double*);
template void neuronTransposeTimes<SumOrder::Lanes>(const NetView&, const DataView&, std::size_t, double,
                                                    const double*, const double*, const double*, double*);

// D_i = (1/M) sum_m r_m hess f(x_m) on neuron i, with xa = (x, 1) (MATH.md section 2):
//   (w,b)(w,b): s c_i sigma''(z) xa xa^T ;  c (w,b): s sigma'(z) xa ;  c c: 0.
// With frozen groups the full block is formed and its principal submatrix on the trainable parameters kept
// (MATH.md section 1.2).
void NeuronValues::curvatureBlock(const double* r, double* D) const {
  if (net_.trainable.all()) return fullCurvatureBlock(r, D);
  const std::size_t q = net_.fullBlockSize(), k = net_.blockSize();
  std::vector<double> all(q * q);
  fullCurvatureBlock(r, all.data());
  const std::vector<std::size_t> A = trainableIndices(net_);
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = 0; b < k; ++b) D[a * k + b] = all[A[a] * q + A[b]];
}

// The q x q block of every parameter of the neuron, trainable or not.
void NeuronValues::fullCurvatureBlock(const double* r, double* D) const {
  const std::size_t M = data_.size, d = net_.inputDim, q = net_.fullBlockSize();
  const double invM = 1.0 / static_cast<double>(M), s = scale_;
  const double a2 = s * net_.c[neuron_] * invM, a1 = s * invM;
  std::fill(D, D + q * q, 0.0);
  if (d == 1) {  // the common case, written out: xa = (x, 1)
    double xx = 0, x1 = 0, one = 0, cx = 0, c1 = 0;
    for (std::size_t m = 0; m < M; ++m) {
      const double t2 = r[m] * s2_[m], t1 = r[m] * s1_[m], x = data_.x[m];
      xx += t2 * x * x;
      x1 += t2 * x;
      one += t2;
      cx += t1 * x;
      c1 += t1;
    }
    D[0] = a2 * xx;
    D[1] = D[3] = a2 * x1;
    D[4] = a2 * one;
    D[2] = D[6] = a1 * cx;
    D[5] = D[7] = a1 * c1;
    return;
  }
  for (std::size_t m = 0; m < M; ++m) {
    const double t2 = r[m] * s2_[m], t1 = r[m] * s1_[m];
    const double* xm = data_.x + m * d;
    for (std::size_t a = 0; a <= d; ++a) {
      const double xa = a < d ? xm[a] : 1.0;
      for (std::size_t bb = 0; bb <= a; ++bb) D[a * q + bb] += t2 * xa * (bb < d ? xm[bb] : 1.0);
      D[(d + 1) * q + a] += t1 * xa;
    }
  }
  for (std::size_t a = 0; a <= d; ++a) {
    for (std::size_t bb = 0; bb <= a; ++bb) D[bb * q + a] = D[a * q + bb] *= a2;
    D[a * q + d + 1] = D[(d + 1) * q + a] *= a1;
  }
}

void sumBlocks(const double* partial, std::size_t blocks, std::size_t count, double s, double* out) {
  for (std::size_t m = 0; m < count; ++m) {
    double sum = 0;
    for (std::size_t k = 0; k < blocks; ++k) sum += partial[k * count + m];
    out[m] = s * sum;
  }
}

void evaluateNeuron(const NetView& net, const DataView& data, std::size_t neuron, double* z, double* sigma,
                    double* sigmaPrime, double* fBlock) {
  const std::size_t M = data.size;
  if (net.activation == Activation::Tanh && net.inputDim == 1 && !sigmaPrime)
    return tanhNeuron(net.W[neuron], net.b[neuron], net.c[neuron], data.x, M, sigma, fBlock);
  neuronInputs(net, data, neuron, z);
  evaluateActivation(net.activation, z, M, sigma, sigmaPrime, nullptr);
  neuronKernels().accumulate(net.c[neuron], sigma, M, fBlock);
}

double subtractTargets(const DataView& data, double* r) { return applyLoss(data.loss, data.y, data.size, r, nullptr).loss; }

// f(x) = s sum_i c_i sigma(w_i . x + b_i)  (MATH.md section 1). Partial sums over fixed blocks of
// neurons, added in block order, so the result does not depend on the thread count.
void predict(const NetView& net, const double* x, std::size_t count, double* out) {
  constexpr std::size_t block = kNeuronBlock;
  const DataView points{count, net.inputDim, x, nullptr};
  const std::size_t blocks = (net.width + block - 1) / block;
  Buffer partial(blocks * count);
  partial.fill(0.0);
  parallelFor(blocks, workerCount(net.width, count), [&](std::size_t first, std::size_t last, std::size_t) {
    Buffer scratch(2 * count);  // z, sigma
    for (std::size_t k = first; k < last; ++k) {
      double* f = partial.data() + k * count;
      for (std::size_t i = k * block; i < std::min(net.width, (k + 1) * block); ++i)
        evaluateNeuron(net, points, i, scratch.data(), scratch.data() + count, nullptr, f);
    }
  });
  sumBlocks(partial.data(), blocks, count, net.scale(), out);
}

double residual(const NetView& net, const DataView& data, double* r) {
  predict(net, data.x, data.size, r);
  return subtractTargets(data, r);
}

LossValue evaluateLoss(const NetView& net, const DataView& data, double* r, double* curvature) {
  predict(net, data.x, data.size, r);
  return applyLoss(data.loss, data.y, data.size, r, curvature);
}

namespace {
// Runs fn(values, neuron) for every neuron, spread over threads, each with its own NeuronValues.
template <typename Fn>
void forEachNeuron(const NetView& net, const DataView& data, Order order, Fn&& fn) {
  parallelFor(net.width, workerCount(net.width, data.size), [&](std::size_t first, std::size_t last, std::size_t) {
    NeuronValues values(net, data);
    for (std::size_t i = first; i < last; ++i) {
      values.evaluate(i, order);
      fn(values, i);
    }
  });
}
}  // namespace

void jacobianColumns(const NetView& net, const DataView& data, double* J) {
  const std::size_t q = net.blockSize(), M = data.size;
  forEachNeuron(net, data, Order::First, [&](const NeuronValues& v, std::size_t i) { v.jacobian(J + i * q * M, M); });
}

void jacobianRows(const NetView& net, const DataView& data, double* J) {
  const std::size_t q = net.blockSize(), M = data.size, P = net.parameterCount();
  forEachNeuron(net, data, Order::First, [&](const NeuronValues& v, std::size_t i) {
    std::vector<double> cols(M * q);
    v.jacobian(cols.data(), M);
    for (std::size_t a = 0; a < q; ++a)
      for (std::size_t m = 0; m < M; ++m) J[m * P + i * q + a] = cols[a * M + m];
  });
}

// grad L = J^T r / M  (MATH.md section 2).
void gradient(const NetView& net, const DataView& data, const double* r, double* g) {
  const std::size_t q = net.blockSize(), M = data.size;
  std::vector<double> rm(r, r + M);
  for (double& v : rm) v /= static_cast<double>(M);
  forEachNeuron(net, data, Order::First,
                [&](const NeuronValues& v, std::size_t i) { v.jacobianTransposeTimes(rm.data(), g + i * q); });
}

void curvatureBlocks(const NetView& net, const DataView& data, const double* r, double* D) {
  const std::size_t q = net.blockSize();
  forEachNeuron(net, data, Order::Second,
                [&](const NeuronValues& v, std::size_t i) { v.curvatureBlock(r, D + i * q * q); });
}

void addStep(OwnedNet& target, const NetView& base, const double* step, double alpha) {
  const std::size_t d = base.inputDim, q = base.blockSize(), ob = base.biasColumn(), oc = base.outputColumn();
  const TrainableGroups& t = base.trainable;
  for (std::size_t i = 0; i < base.width; ++i) {
    for (std::size_t j = 0; j < d; ++j) target.W[i * d + j] = t.W ? base.W[i * d + j] + alpha * step[i * q + j] : base.W[i * d + j];
    target.b[i] = t.b ? base.b[i] + alpha * step[i * q + ob] : base.b[i];
    target.c[i] = t.c ? base.c[i] + alpha * step[i * q + oc] : base.c[i];
  }
}

double maxNeuronUpdate(const double* step, std::size_t width, std::size_t q, double alpha) {
  double best = 0;
  for (std::size_t i = 0; i < width; ++i) best = std::max(best, euclideanNorm(step + i * q, q));  // no overflow
  return std::fabs(alpha) * best;
}

}  // namespace nntk
