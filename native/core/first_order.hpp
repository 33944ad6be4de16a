// Gradient descent and Adam (docs/MATH.md section 2) as one fused sweep over the neurons per iteration.
// The sweep that evaluates sigma at theta_t, for the loss L(theta_t), keeps sigma (and sigma', unless it
// follows from sigma) at every neuron and data point. Once r_t = f(theta_t) - y is known, the next sweep
// forms each neuron's share of grad L(theta_t) = J^T r_t / M from the kept values, updates the neurons
// block by block and evaluates them at theta_{t+1}. So an iteration evaluates the activation once, allocates nothing, and
// synchronizes the threads of a persistent WorkerPool once (threads as workerCount() gives them, at most
// one per neuron block).
//
// Results do not depend on the thread count: each neuron's gradient is its own fixed-order sum, and f is
// summed over predict()'s fixed neuron blocks in block order (threads own whole blocks), so the loss is
// bit for bit the one net.loss(data) gives at the same parameters.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "buffer.hpp"
#include "model.hpp"
#include "worker_pool.hpp"

namespace nntk {

struct FirstOrderRule {
  bool adam = false;
  double learningRate = 0.01;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // Adam
  // Above this many bytes of kept activation values, the sweep evaluates each neuron twice per iteration
  // instead (at theta_t for the gradient and at theta_{t+1} for the loss) and keeps nothing.
  std::size_t keptBytesLimit = std::size_t{256} << 20;
};

class FirstOrderSweep {
 public:
  // Trains `net` in place. adamM and adamV (flat neuron-major) are Adam's moments; they are zeroed at the
  // first step when their size is not the parameter count.
  FirstOrderSweep(OwnedNet& net, const DataView& data, const FirstOrderRule& rule, std::vector<double>& adamM,
                  std::vector<double>& adamV);

  // Evaluates at the current parameters; returns the loss. Call once, before the first step.
  double start();
  // One iteration from theta_t to theta_{t+1}, t = iterations done before it (Adam's bias correction
  // uses t + 1); returns L(theta_{t+1}).
  double step(std::size_t t);

  const double* residual() const { return r_.data(); }          // f - y at the current parameters
  const std::vector<double>& gradient() const { return g_; }     // grad L at the parameters before the last step
  const std::vector<double>& change() const { return change_; }  // the last step's parameter change

 private:
  double sweepAll(bool advance);  // every thread's sweep, then finish()
  void sweep(std::size_t thread, bool advance);
  void evaluate(std::size_t neuron, double* z, double* sigma, double* sigmaPrime) const;
  void update(std::size_t first, std::size_t last);
  double finish();

  OwnedNet& net_;
  const DataView& data_;
  FirstOrderRule rule_;
  std::vector<double>&adamM_, &adamV_;
  std::size_t q_, blocks_, threads_;
  double scale_;
  bool derive_;  // sigma' from sigma (tanh, sigmoid): keep sigma only
  bool keep_;    // the activation values fit rule.keptBytesLimit
  double c1_ = 1, c2_ = 1;  // Adam's bias corrections for the current step
  Buffer sigma_, sigmaPrime_;  // kept values, neuron i's M values at i * M
  Buffer partial_;             // f per neuron block (kNeuronBlock), block k at k * M
  Buffer scratch_;             // per thread: z, sigma, sigma' of one neuron
  Buffer rm_;                  // r / M
  std::vector<double> r_, g_, change_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace nntk
