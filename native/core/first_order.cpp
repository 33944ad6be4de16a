#include "first_order.hpp"

#include <algorithm>
#include <cmath>

namespace nntk {

FirstOrderSweep::FirstOrderSweep(OwnedNet& net, const DataView& data, const FirstOrderRule& rule,
                                 std::vector<double>& adamM, std::vector<double>& adamV)
    : net_(net), data_(data), rule_(rule), adamM_(adamM), adamV_(adamV), q_(net.view().blockSize()),
      blocks_((net.width + kNeuronBlock - 1) / kNeuronBlock),
      threads_(std::max<std::size_t>(1, std::min(workerCount(net.width, data.size), blocks_))),
      scale_(net.view().scale()), derive_(derivativeFromValue(net.activation)),
      keep_(net.width * data.size * (derive_ ? 1 : 2) * sizeof(double) <= rule.keptBytesLimit),
      sigma_(keep_ ? net.width * data.size : 0), sigmaPrime_(keep_ && !derive_ ? net.width * data.size : 0),
      partial_(blocks_ * data.size), scratch_(threads_ * 3 * data.size), rm_(data.size), r_(data.size),
      g_(net.width * q_), change_(net.width * q_) {
  if (threads_ > 1) pool_ = std::make_unique<WorkerPool>(threads_);
}

// z, sigma and (when sigmaPrime is not null) sigma' of one neuron at the current parameters.
void FirstOrderSweep::evaluate(std::size_t neuron, double* z, double* sigma, double* sigmaPrime) const {
  neuronInputs(net_.view(), data_, neuron, z);
  evaluateActivation(net_.activation, z, data_.size, sigma, sigmaPrime, nullptr);
}

// theta_i += delta_i for the neurons [first, last), with delta = -lr g (gd) or Adam's bias-corrected step
// (MATH.md section 2); one loop over the block's parameters, which the compiler vectorizes.
void FirstOrderSweep::update(std::size_t first, std::size_t last) {
  const std::size_t d = net_.inputDim, begin = first * q_, end = last * q_;
  const double lr = rule_.learningRate, b1 = rule_.beta1, b2 = rule_.beta2, eps = rule_.epsilon;
  double* delta = change_.data();
  const double* g = g_.data();
  if (!rule_.adam) {
    for (std::size_t k = begin; k < end; ++k) delta[k] = -lr * g[k];
  } else {
    double* m = adamM_.data();
    double* v = adamV_.data();
    for (std::size_t k = begin; k < end; ++k) {
      m[k] = b1 * m[k] + (1.0 - b1) * g[k];
      v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
      delta[k] = -lr * (m[k] / c1_) / (std::sqrt(v[k] / c2_) + eps);
    }
  }
  // Only the trainable groups move (MATH.md section 1.2); delta holds their q_ = q' values per neuron.
  const TrainableGroups& t = net_.trainable;
  const std::size_t ob = net_.view().biasColumn(), oc = net_.view().outputColumn();
  for (std::size_t i = first; i < last; ++i) {
    if (t.W)
      for (std::size_t j = 0; j < d; ++j) net_.W[i * d + j] += delta[i * q_ + j];
    if (t.b) net_.b[i] += delta[i * q_ + ob];
    if (t.c) net_.c[i] += delta[i * q_ + oc];
  }
}

// Thread `thread`'s whole neuron blocks, each in three passes: (advance) every neuron's gradient from the
// kept values, then the block's update, then every neuron's evaluation at the (new) parameters into the
// kept values and the block's partial sums of f. Passes over many independent neurons let the processor
// overlap one neuron's latency with the next neuron's work.
void FirstOrderSweep::sweep(std::size_t thread, bool advance) {
  const std::size_t M = data_.size, N = net_.width;
  const NetView net = net_.view();
  double* z = scratch_.data() + thread * 3 * M;
  double* s0 = z + M;
  double* s1 = s0 + M;
  const auto kept = [&](std::size_t i) { return keep_ ? sigma_.data() + i * M : s0; };
  double* const noPrime = nullptr;
  for (std::size_t k = blocks_ * thread / threads_; k < blocks_ * (thread + 1) / threads_; ++k) {
    const std::size_t first = k * kNeuronBlock, last = std::min(N, (k + 1) * kNeuronBlock);
    if (advance) {
      for (std::size_t i = first; i < last; ++i) {
        if (!keep_) evaluate(i, z, s0, derive_ ? noPrime : s1);
        const double* sigmaPrime = derive_ ? noPrime : keep_ ? sigmaPrime_.data() + i * M : s1;
        neuronTransposeTimes<SumOrder::Lanes>(net, data_, i, scale_, kept(i), sigmaPrime, rm_.data(), g_.data() + i * q_);
      }
      update(first, last);
    }
    double* f = partial_.data() + k * M;
    std::fill(f, f + M, 0.0);
    for (std::size_t i = first; i < last; ++i)
      evaluateNeuron(net, data_, i, z, kept(i), keep_ && !derive_ ? sigmaPrime_.data() + i * M : noPrime, f);
  }
}

// r = f - y from the block sums, L, and r / M for the next gradient.
double FirstOrderSweep::finish() {
  const std::size_t M = data_.size;
  sumBlocks(partial_.data(), blocks_, M, scale_, r_.data());
  const double loss = subtractTargets(data_, r_.data());
  for (std::size_t m = 0; m < M; ++m) rm_[m] = r_[m] / static_cast<double>(M);
  return loss;
}

double FirstOrderSweep::sweepAll(bool advance) {
  auto task = [this, advance](std::size_t thread) { sweep(thread, advance); };
  if (pool_)
    pool_->run(task);
  else
    task(0);
  return finish();
}

double FirstOrderSweep::start() { return sweepAll(false); }

double FirstOrderSweep::step(std::size_t t) {
  if (rule_.adam) {
    const std::size_t P = g_.size();
    if (adamM_.size() != P || adamV_.size() != P) {
      adamM_.assign(P, 0.0);
      adamV_.assign(P, 0.0);
    }
    const double t1 = static_cast<double>(t + 1);
    c1_ = 1.0 - std::pow(rule_.beta1, t1);
    c2_ = 1.0 - std::pow(rule_.beta2, t1);
  }
  return sweepAll(true);
}

}  // namespace nntk
