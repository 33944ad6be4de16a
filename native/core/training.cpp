#include "training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "dense_solver.hpp"
#include "failure.hpp"
#include "kernels.hpp"
#include "structured_system.hpp"
#include "symmetric_factor.hpp"

namespace nntk {
namespace {

using Clock = std::chrono::steady_clock;

StepOutcome solveStep(const NetView& net, const DataView& data, const StepRequest& request, SolverKind solver) {
  return solver == SolverKind::Dense ? denseStep(net, data, request) : structuredStep(net, data, request);
}

double norm(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  return std::sqrt(sum);
}

// Which iterations become records (TrainOptions::recordEvery, recordPerDecade), asked in increasing order.
class RecordSchedule {
 public:
  RecordSchedule(std::size_t every, std::size_t perDecade) : every_(every), perDecade_(perDecade) {}

  bool due(std::size_t t) {
    if (t == 0 || (every_ > 0 && t % every_ == 0)) return true;
    if (perDecade_ == 0) return false;
    if (gridPoint_ < t) {
      // Grid points grow with k, so any k whose point is at most t is a safe place to resume the search:
      // 10^(k / p) with k <= p log10(t) - 1 is below t (a margin of one more step against rounding).
      const double below = std::floor(static_cast<double>(perDecade_) * std::log10(static_cast<double>(t))) - 2.0;
      if (below > static_cast<double>(k_)) k_ = static_cast<std::size_t>(below);
      for (gridPoint_ = gridPoint(k_); gridPoint_ < t;) gridPoint_ = gridPoint(++k_);
    }
    return gridPoint_ == t;
  }

 private:
  // round(10^(k / perDecade)): k = 0, 1, ... gives 1, 1, 1, 1, 2, ... for perDecade 20 (repeats are one point).
  std::size_t gridPoint(std::size_t k) const {
    return static_cast<std::size_t>(std::llround(std::pow(10.0, static_cast<double>(k) / static_cast<double>(perDecade_))));
  }

  std::size_t every_, perDecade_;
  std::size_t k_ = 0, gridPoint_ = 1;
};

bool isFirstOrder(Method m) { return m == Method::GradientDescent || m == Method::Adam; }

class Loop {
 public:
  Loop(OwnedNet& net, const DataView& data, const TrainOptions& o, TrainState state,
       const std::function<void(TrainRecord&&)>& emit, const std::atomic<bool>& cancelled)
      : net_(net), data_(data), o_(o), state_(std::move(state)), emit_(emit), cancelled_(cancelled),
        schedule_(o.recordEvery, o.recordPerDecade), start_(Clock::now()) {
    if (isFirstOrder(o_.method)) {
      const FirstOrderRule rule{o_.method == Method::Adam, o_.learningRate, o_.adamBeta1, o_.adamBeta2, o_.adamEpsilon,
                                o_.keptBytesLimit};
      sweep_ = std::make_unique<FirstOrderSweep>(net_, data_, rule, state_.adamM, state_.adamV);
    } else {
      candidate_ = net_;
      r_.resize(data_.size);
      rCandidate_.resize(data_.size);
    }
  }

  TrainResult run() {
    loss_ = sweep_ ? sweep_->start() : residual(net_.view(), data_, r_.data());
    const std::size_t end = state_.iteration + o_.iterations;
    TrainRecord record = baseRecord();
    record.accepted = true;
    for (bool first = true;; first = false) {
      const bool stalled = record.secondOrder && !record.accepted && state_.lambda >= o_.lambdaMax;
      const std::string why = stalled ? "stalled" : stopReason(end);
      if (first || !why.empty() || schedule_.due(record.iteration)) {
        if (sweep_ && !first) describeFirstOrderStep(record);
        publish(std::move(record));
      }
      if (!why.empty()) {
        state_.seconds = elapsed();
        return {why, state_};
      }
      record = sweep_ ? firstOrder() : secondOrder();
      ++state_.iteration;
      record.iteration = state_.iteration;
      record.loss = loss_;
      record.seconds = elapsed();
    }
  }

 private:
  // Why the run stops before another iteration, or "" to go on.
  std::string stopReason(std::size_t end) const {
    if (state_.iteration >= end) return o_.targetLoss >= 0 && loss_ <= o_.targetLoss ? "targetLoss" : "iterations";
    if (!std::isfinite(loss_)) return "diverged";
    if (o_.targetLoss >= 0 && loss_ <= o_.targetLoss) return "targetLoss";
    if (elapsed() >= o_.timeLimitSeconds) return "timeLimit";
    if (cancelled_.load()) return "aborted";
    return "";
  }

  const double* currentResidual() const { return sweep_ ? sweep_->residual() : r_.data(); }

  double elapsed() const { return state_.seconds + std::chrono::duration<double>(Clock::now() - start_).count(); }

  TrainRecord baseRecord() const {
    TrainRecord r;
    r.iteration = state_.iteration;
    r.loss = loss_;
    r.seconds = elapsed();
    r.secondOrder = o_.method == Method::Newton || o_.method == Method::GaussNewton;
    r.lambda = state_.lambda;
    return r;
  }

  void publish(TrainRecord&& record) {
    const std::size_t every = std::max<std::size_t>(o_.diagnosticsEvery, 1);
    if (!o_.diagnostics.empty() && record.iteration % every == 0) {
      const double* r = currentResidual();
      for (const Projection& p : o_.diagnostics) {
        std::vector<double> values(p.rows);
        for (std::size_t k = 0; k < p.rows; ++k) {
          double sum = 0;
          for (std::size_t m = 0; m < data_.size; ++m) sum += p.matrix[k * data_.size + m] * r[m];
          values[k] = std::fabs(sum);
        }
        record.diagnostics.push_back(std::move(values));
      }
    }
    emit_(std::move(record));
  }

  // lambda_t = epsilon * lambda_min(B_t), B_t = J J^T / M at the current parameters (MATH.md section 3).
  double curvatureAwareLambda() const {
    const Gram B = ntkGram(net_.view(), data_);
    std::vector<double> lower(B.values);  // symmetric: row-major equals column-major
    const std::vector<double> w = symmetricEigenvalues(std::move(lower), B.size);
    return o_.epsilon * std::max(w.front(), 0.0);
  }

  void clampLambda() { state_.lambda = std::clamp(state_.lambda, o_.lambdaMin, o_.lambdaMax); }

  // One iteration of regularized Newton / Gauss-Newton (MATH.md section 3) with the chosen damping rule.
  TrainRecord secondOrder() {
    TrainRecord record = baseRecord();
    if (o_.damping == Damping::CurvatureAware) {
      state_.lambda = curvatureAwareLambda();
      clampLambda();
    }
    const Curvature curvature = o_.method == Method::Newton ? Curvature::Newton : Curvature::GaussNewton;
    record.accepted = false;
    for (int tries = 0; tries < o_.maxTries; ++tries) {
      record.retries = tries;
      record.lambda = state_.lambda;
      const StepOutcome out = solveStep(net_.view(), data_, {curvature, state_.lambda, o_.spectrum}, o_.solver);
      record.hasInertia = true;
      record.inertia = out.inertia;
      record.hasExtremal = out.hasExtremal;
      record.minEigenvalue = out.minEigenvalue;
      record.maxEigenvalue = out.maxEigenvalue;
      record.gradientNorm = out.gradientNorm;
      if (out.inertia.negative > 0 && !o_.allowIndefinite) {
        // Indefinite C + lambda I: a rejected try, as the reference code treats negative curvature.
        raiseLambda();
        continue;
      }
      addStep(candidate_, net_.view(), out.step.data(), o_.alpha);
      const double candidateLoss = residual(candidate_.view(), data_, rCandidate_.data());
      bool accept = std::isfinite(candidateLoss);
      double rho = 0;
      if (accept && o_.damping == Damping::Adaptive) accept = candidateLoss < loss_;
      if (accept && o_.damping == Damping::GainRatio) {
        // Predicted decrease of the quadratic model for alpha * s, using (C + lambda I) s = -g, so that
        // s^T C s = -(g.s + lambda |s|^2):  -(alpha g.s + alpha^2 s^T C s / 2)
        //                                 = -alpha g.s + alpha^2 (g.s + lambda |s|^2) / 2.
        const double gs = out.gradientDotStep, a = o_.alpha, s2 = out.stepNorm * out.stepNorm;
        const double predicted = -a * gs + 0.5 * a * a * (gs + state_.lambda * s2);
        rho = predicted > 0 ? (loss_ - candidateLoss) / predicted : -1.0;
        accept = rho > 0;
      }
      if (!accept) {
        if (o_.damping == Damping::Adaptive || o_.damping == Damping::GainRatio) {
          raiseLambda();
          continue;
        }
        break;  // fixed and curvature-aware rules do not retry a non-finite step
      }
      std::swap(net_, candidate_);
      std::swap(r_, rCandidate_);
      loss_ = candidateLoss;
      record.accepted = true;
      record.stepNorm = std::fabs(o_.alpha) * out.stepNorm;
      record.maxNeuronUpdate = maxNeuronUpdate(out.step.data(), net_.width, net_.inputDim + 2, o_.alpha);
      if (o_.damping == Damping::Adaptive) state_.lambda *= o_.decrease;
      if (o_.damping == Damping::GainRatio) {  // Nielsen's rule
        state_.lambda *= std::max(1.0 / 3.0, 1.0 - std::pow(2.0 * rho - 1.0, 3));
        state_.nu = 2.0;
      }
      clampLambda();
      break;
    }
    return record;
  }

  void raiseLambda() {
    if (o_.damping == Damping::GainRatio) {
      state_.lambda *= state_.nu;
      state_.nu *= 2.0;
    } else {
      state_.lambda *= o_.increase;
    }
    clampLambda();
  }

  // One iteration of gradient descent or Adam on grad L = J^T r / M (MATH.md section 2); the step's norms
  // are filled in only if the record is published (describeFirstOrderStep).
  TrainRecord firstOrder() {
    TrainRecord record = baseRecord();
    loss_ = sweep_->step(state_.iteration);
    return record;
  }

  void describeFirstOrderStep(TrainRecord& record) const {
    record.gradientNorm = norm(sweep_->gradient());
    record.stepNorm = norm(sweep_->change());
    record.maxNeuronUpdate = maxNeuronUpdate(sweep_->change().data(), net_.width, net_.inputDim + 2, 1.0);
  }

  OwnedNet& net_;
  const DataView& data_;
  const TrainOptions& o_;
  TrainState state_;
  const std::function<void(TrainRecord&&)>& emit_;
  const std::atomic<bool>& cancelled_;
  RecordSchedule schedule_;
  std::unique_ptr<FirstOrderSweep> sweep_;  // gd and Adam
  OwnedNet candidate_;                      // second-order methods
  std::vector<double> r_, rCandidate_;
  double loss_ = 0;
  Clock::time_point start_;
};

}  // namespace

TrainResult trainNetwork(OwnedNet& net, const DataView& data, const TrainOptions& options, TrainState state,
                         const std::function<void(TrainRecord&&)>& emit, const std::atomic<bool>& cancelled) {
  return Loop(net, data, options, std::move(state), emit, cancelled).run();
}

}  // namespace nntk
