#include "training.hpp"

#include "norms.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "dense_solver.hpp"
#include "failure.hpp"
#include "primal_gauss_newton.hpp"
#include "structured_system.hpp"

namespace nntk {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

StepOutcome solveStep(const NetView& net, const DataView& data, const StepRequest& request, SolverKind solver) {
  switch (solver) {
    case SolverKind::Dense: return denseStep(net, data, request);
    case SolverKind::Primal: return primalGaussNewtonStep(net, data, request);
    case SolverKind::Structured: break;
  }
  return structuredStep(net, data, request);
}

double norm(const std::vector<double>& v) { return euclideanNorm(v); }

// The failures of a solve that end a run as Termination::Failed instead of escaping it.
bool isNumericalFailure(ErrorCode code) {
  return code == ErrorCode::Singular || code == ErrorCode::NonFinite || code == ErrorCode::Numerical;
}

void add(StepTimings& to, const StepTimings& t) {
  to.evaluation += t.evaluation;
  to.assembly += t.assembly;
  to.factorization += t.factorization;
  to.inertia += t.inertia;
  to.condition += t.condition;
  to.solve += t.solve;
  to.spectrum += t.spectrum;
}

void add(IterationTimings& to, const IterationTimings& t) {
  add(to.solves, t.solves);
  to.candidates += t.candidates;
  to.damping += t.damping;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
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

// How an iteration ended.
enum class IterationEnd { Done, Stalled, Aborted, Failed };

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
      rule_ = makeDampingRule(o_.damping, o_.dampingSettings, state_.damping);
      candidate_ = net_;
      r_.resize(data_.size);
      rCandidate_.resize(data_.size);
    }
  }

  TrainResult run() {
    loss_ = sweep_ ? sweep_->start() : residual(net_.view(), data_, r_.data());
    if (!std::isfinite(loss_))
      throw Failure(ErrorCode::NonFinite, "the loss at the starting parameters is not finite; the parameters or the data are too "
                                          "large for the activation, rescale them");
    summary_.method = o_.method;
    summary_.damping = o_.damping;
    summary_.solver = o_.solver;
    summary_.firstIteration = state_.iteration;
    summary_.initialCost = loss_;
    summary_.initialLambda = rule_ ? rule_->lambda() : 0;
    summary_.setupSeconds = secondsSince(start_);
    const std::size_t end = state_.iteration + o_.iterations;
    TrainRecord current = baseRecord();
    bool published = false, stalled = false;
    for (bool first = true;; first = false) {
      const std::optional<Termination> why = stalled ? Termination::Stalled : stopReason(end);
      if (first || why || schedule_.due(current.iteration)) {
        publish(std::move(current));
        published = true;
      }
      if (why) return finish(*why);
      TrainRecord next = baseRecord();
      next.describesIteration = true;
      const double before = loss_;
      IterationEnd ended = IterationEnd::Done;
      if (sweep_) {
        loss_ = sweep_->step(state_.iteration);  // gd and Adam (MATH.md section 2): always a step taken
        stepOverflowed_ = overflowed(sweep_->change()) || (o_.method == Method::Adam && overflowed(state_.adamV));
      } else {
        ended = undoneUnlessFinished(next);
        if (ended == IterationEnd::Aborted || ended == IterationEnd::Failed) {
          if (!published) publish(std::move(current));  // the last record is the state the run stops in
          return finish(ended == IterationEnd::Aborted ? Termination::Aborted : Termination::Failed);
        }
        stalled = ended == IterationEnd::Stalled;
      }
      ++state_.iteration;
      next.iteration = state_.iteration;
      next.loss = loss_;
      next.costChange = before - loss_;
      next.seconds = elapsed();
      count(next);
      current = std::move(next);
      published = false;
    }
  }

 private:
  // Why the run stops before another iteration, or nothing to go on.
  std::optional<Termination> stopReason(std::size_t end) const {
    if (!std::isfinite(loss_) || stepOverflowed_) return Termination::Diverged;  // also at the last iteration
    if (state_.iteration >= end)
      return o_.targetLoss >= 0 && loss_ <= o_.targetLoss ? Termination::TargetLoss : Termination::Iterations;
    if (o_.targetLoss >= 0 && loss_ <= o_.targetLoss) return Termination::TargetLoss;
    if (elapsed() >= o_.timeLimitSeconds) return Termination::TimeLimit;
    if (cancelled()) return Termination::Aborted;
    return std::nullopt;
  }

  bool cancelled() const { return hookCancelled_ || cancelled_.load(); }

  const double* currentResidual() const { return sweep_ ? sweep_->residual() : r_.data(); }

  double elapsed() const { return state_.seconds + secondsSince(start_); }

  TrainRecord baseRecord() const {
    TrainRecord r;
    r.iteration = state_.iteration;
    r.loss = loss_;
    r.seconds = elapsed();
    r.secondOrder = rule_ != nullptr;
    r.lambda = rule_ ? rule_->lambda() : 0;
    return r;
  }

  // The run summary's counts, one iteration at a time (a few additions: cheap for gd and Adam too).
  void count(const TrainRecord& r) {
    ++summary_.iterations;
    if (r.accepted) ++summary_.acceptedSteps;
    else ++summary_.rejectedIterations;
    summary_.rejectedTries += static_cast<std::size_t>(r.rejectedTries);
    if (rule_) add(summary_.timings, r.timings);
  }

  void publish(TrainRecord&& record) {
    const Clock::time_point begin = Clock::now();
    if (sweep_ && record.describesIteration) describeFirstOrderStep(record);
    if (data_.loss.kind == LossKind::Logistic) {
      record.hasAccuracy = true;
      record.accuracy = logisticAccuracy(currentResidual(), data_.size);
    }
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
    summary_.recordSeconds += secondsSince(begin);
  }

  TrainResult finish(Termination why) {
    summary_.termination = why;
    summary_.finalCost = loss_;
    summary_.finalLambda = rule_ ? rule_->lambda() : 0;
    summary_.seconds = secondsSince(start_);
    summary_.iterationSeconds = std::max(0.0, summary_.seconds - summary_.setupSeconds - summary_.recordSeconds);
    if (summary_.message.empty()) summary_.message = describe(why);
    state_.seconds = elapsed();
    if (rule_) state_.damping = rule_->saved();
    TrainResult result;
    result.termination = why;
    result.state = std::move(state_);
    result.summary = std::move(summary_);
    result.errorCode = errorCode_;
    result.errorMessage = errorMessage_;
    return result;
  }

  std::string describe(Termination why) const {
    switch (why) {
      case Termination::Iterations: return "the iteration limit was reached";
      case Termination::TargetLoss: return "the loss is at or below the target " + formatNumber(o_.targetLoss);
      case Termination::TimeLimit: return "the time limit of " + formatNumber(o_.timeLimitSeconds) + " s was reached";
      case Termination::Aborted: return "cancelled by the caller";
      case Termination::Diverged: return stepOverflowed_ ? "the step's norm or Adam's second moment overflowed (the parameters ran off)" : "the loss is not finite";
      case Termination::Stalled: return "the damping rule cannot make progress";
      case Termination::Failed: return "a solve failed";
    }
    return "";
  }

  // A second-order iteration; one cut short (cancelled between tries, or a numerical failure of a solve)
  // is undone: the parameters were never changed, and the damping rule's state is restored, so that a
  // resumed run repeats it. Its tries still count in the summary.
  IterationEnd undoneUnlessFinished(TrainRecord& record) {
    const DampingState saved = rule_->saved();
    IterationEnd ended = IterationEnd::Done;
    try {
      ended = secondOrder(record);
    } catch (const Failure& f) {
      if (!isNumericalFailure(f.code())) throw;
      errorCode_ = std::string(f.codeName());
      errorMessage_ = f.what();
      ended = IterationEnd::Failed;
    }
    if (ended != IterationEnd::Aborted && ended != IterationEnd::Failed) return ended;
    rule_->restore(saved);
    summary_.rejectedTries += static_cast<std::size_t>(record.rejectedTries);
    add(summary_.timings, record.timings);
    const std::string t = std::to_string(state_.iteration + 1);
    summary_.message = ended == IterationEnd::Failed ? "iteration " + t + " failed (" + errorCode_ + "): " + errorMessage_
                                                     : "cancelled between the tries of iteration " + t + ", which was undone";
    return ended;
  }

  // One iteration of regularized Newton / Gauss-Newton (MATH.md section 3): tries at the lambdas the
  // damping rule sets, until one is kept, the rule cannot change lambda, or maxTries are spent.
  IterationEnd secondOrder(TrainRecord& record) {
    const Clock::time_point dampingStart = Clock::now();
    rule_->initialLambda(net_.view(), data_);
    record.timings.damping += secondsSince(dampingStart);
    const Curvature curvature = o_.method == Method::Newton ? Curvature::Newton : Curvature::GaussNewton;
    record.accepted = false;
    bool lambdaChanged = true;
    TryReport last;
    for (int tries = 0; tries < o_.maxTries; ++tries) {
      if (tries > 0 && cancelled()) return IterationEnd::Aborted;
      TryReport t;
      t.lambda = rule_->lambda();
      t.lossBefore = loss_;
      record.retries = tries;
      record.lambda = t.lambda;
      if (summary_.solves == 0) summary_.initialLambda = t.lambda;  // the run's first try
      ++summary_.solves;  // a solve that fails counts too
      const StepOutcome out = solveStep(net_.view(), data_, {curvature, t.lambda, o_.spectrum, o_.memoryLimitBytes}, o_.solver);
      if (summary_.solves == o_.cancelAfterSolves) hookCancelled_ = true;
      summary_.factorization = out.solver;
      add(record.timings.solves, out.timings);
      record.hasInertia = true;
      record.inertia = out.inertia;
      record.hasExtremal = out.hasExtremal;
      record.minEigenvalue = out.minEigenvalue;
      record.maxEigenvalue = out.maxEigenvalue;
      record.gradientNorm = out.gradientNorm;
      // An indefinite C + lambda I is a rejected try unless allowed, as the reference code treats
      // negative curvature.
      t.indefinite = out.inertia.negative > 0 && !o_.allowIndefinite;
      if (!t.indefinite) {
        const Clock::time_point candidateStart = Clock::now();
        addStep(candidate_, net_.view(), out.step.data(), o_.alpha);
        t.lossAfter = residual(candidate_.view(), data_, rCandidate_.data());
        record.timings.candidates += secondsSince(candidateStart);
        // Predicted decrease of the quadratic model for alpha * s, using (C + lambda I) s = -g, so that
        // s^T C s = -(g.s + lambda |s|^2):  -(alpha g.s + alpha^2 s^T C s / 2)
        //                                 = -alpha g.s + alpha^2 (g.s + lambda |s|^2) / 2.
        const double gs = out.gradientDotStep, a = o_.alpha, s2 = out.stepNorm * out.stepNorm;
        t.predictedDecrease = -a * gs + 0.5 * a * a * (gs + t.lambda * s2);
      }
      const double rho = t.gainRatio();
      record.hasGainRatio = std::isfinite(rho);
      record.gainRatio = record.hasGainRatio ? rho : 0;
      if (!t.indefinite && std::isfinite(t.lossAfter) && rule_->accepts(t)) {
        std::swap(net_, candidate_);
        std::swap(r_, rCandidate_);
        loss_ = t.lossAfter;
        record.accepted = true;
        record.stepNorm = std::fabs(o_.alpha) * out.stepNorm;
        record.maxNeuronUpdate = maxNeuronUpdate(out.step.data(), net_.width, net_.view().blockSize(), o_.alpha);
        rule_->afterAccept(t);
        return IterationEnd::Done;
      }
      ++record.rejectedTries;
      last = t;
      lambdaChanged = rule_->afterReject(t);
      if (!lambdaChanged) break;
    }
    if (lambdaChanged && rule_->continuesAfterRejectedIteration()) return IterationEnd::Done;
    summary_.message = stallMessage(last, record.rejectedTries, lambdaChanged);
    return IterationEnd::Stalled;
  }

  std::string stallMessage(const TryReport& t, int rejected, bool lambdaChanged) const {
    const std::string damping(nameOf(o_.damping));
    std::string why = t.indefinite ? "C + lambda I has negative eigenvalues (allowIndefinite is off)"
                      : !std::isfinite(t.lossAfter) ? "the loss at the step is not finite"
                      : o_.damping == Damping::GainRatio ? "the gain ratio is not positive"
                                                          : "the step does not reduce the loss";
    why += " at lambda = " + formatNumber(t.lambda);
    const std::string at = "iteration " + std::to_string(state_.iteration + 1) + ": ";
    if (!lambdaChanged) {
      std::string out = at + why + ", and the '" + damping + "' rule cannot change lambda";
      if (o_.damping == Damping::Fixed && t.indefinite) out += "; pass allowIndefinite, or a larger lambda";
      return out;
    }
    return at + "all " + std::to_string(rejected) + " tries were rejected (the last: " + why + "), and the '" + damping +
           "' rule would repeat them from the same parameters";
  }

  // Whether a step's norm (or Adam's second moment, the squared gradients) is past the largest double: a
  // bounded activation can keep the loss finite while the parameters run off. One pass for the largest
  // entry, the norm itself only when that is huge.
  static bool overflowed(const std::vector<double>& change) {
    double largest = 0;
    for (double v : change) largest = std::fmax(largest, std::fabs(v));
    return !std::isfinite(largest) || (largest > 1e150 && !std::isfinite(euclideanNorm(change)));
  }

  // The norms of a gd or Adam step, filled in only when its record is published.
  void describeFirstOrderStep(TrainRecord& record) const {
    record.gradientNorm = norm(sweep_->gradient());
    record.stepNorm = norm(sweep_->change());
    record.maxNeuronUpdate = maxNeuronUpdate(sweep_->change().data(), net_.width, net_.view().blockSize(), 1.0);
  }

  OwnedNet& net_;
  const DataView& data_;
  const TrainOptions& o_;
  TrainState state_;
  const std::function<void(TrainRecord&&)>& emit_;
  const std::atomic<bool>& cancelled_;
  RecordSchedule schedule_;
  std::unique_ptr<FirstOrderSweep> sweep_;  // gd and Adam
  bool stepOverflowed_ = false;             // the last gd / Adam step's norm overflowed: the run diverged
  std::unique_ptr<DampingRule> rule_;       // second-order methods
  OwnedNet candidate_;
  std::vector<double> r_, rCandidate_;
  double loss_ = 0;
  Clock::time_point start_;
  RunSummary summary_;
  std::string errorCode_, errorMessage_;
  bool hookCancelled_ = false;  // the cancelAfterSolves test hook has fired
};

// "name  value" rows of the full report.
void row(std::string& out, const std::string& name, const std::string& value) {
  out += "  " + name;
  out.append(name.size() < 26 ? 26 - name.size() : 1, ' ');
  out += value + "\n";
}

}  // namespace

std::string briefReport(const RunSummary& s) {
  const bool second = !isFirstOrder(s.method);
  std::string out = "nntk training: ";
  out += nameOf(s.method);
  if (second) out += std::string(", ") + std::string(nameOf(s.damping)) + " damping, " + std::string(nameOf(s.solver)) + " solver";
  out += "; iterations: " + std::to_string(s.iterations);
  if (second)
    out += ", accepted steps: " + std::to_string(s.acceptedSteps) + ", rejected tries: " + std::to_string(s.rejectedTries);
  out += "; initial cost: " + format("%.6e", s.initialCost) + ", final cost: " + format("%.6e", s.finalCost);
  out += "; termination: " + std::string(nameOf(s.termination));
  out += "; " + format("%.3f", s.seconds) + " s";
  return out;
}

std::string fullReport(const RunSummary& s) {
  const bool second = !isFirstOrder(s.method);
  const auto secs = [](double v) { return format("%.6f", v); };
  std::string out = "nntk training report\n";
  row(out, "method", std::string(nameOf(s.method)));
  if (second) {
    row(out, "damping", std::string(nameOf(s.damping)));
    row(out, "solver", std::string(nameOf(s.solver)) + (s.factorization ? " (last: " + std::string(nameOf(*s.factorization)) + ")" : ""));
  } else {
    row(out, "solver", "first-order sweep");
  }
  row(out, "iterations", std::to_string(s.iterations) + " (" + std::to_string(s.firstIteration) + " to " +
                             std::to_string(s.firstIteration + s.iterations) + ")");
  row(out, "accepted steps", std::to_string(s.acceptedSteps));
  if (second) {
    row(out, "rejected tries", std::to_string(s.rejectedTries));
    row(out, "rejected iterations", std::to_string(s.rejectedIterations));
    row(out, "solves", std::to_string(s.solves));
  }
  row(out, "initial cost", format("%.6e", s.initialCost));
  row(out, "final cost", format("%.6e", s.finalCost));
  row(out, "cost change", format("%.6e", s.initialCost - s.finalCost));
  if (second) {
    row(out, "initial lambda", format("%.6e", s.initialLambda));
    row(out, "final lambda", format("%.6e", s.finalLambda));
  }
  out += "time (seconds)\n";
  row(out, "setup", secs(s.setupSeconds));
  row(out, "iterations", secs(s.iterationSeconds));
  if (second) {
    const StepTimings& t = s.timings.solves;
    const double solves = t.evaluation + t.assembly + t.factorization + t.inertia + t.condition + t.solve + t.spectrum;
    row(out, "  solves", secs(solves));
    row(out, "    evaluation", secs(t.evaluation));
    row(out, "    assembly", secs(t.assembly));
    row(out, "    factorization", secs(t.factorization));
    row(out, "    inertia", secs(t.inertia));
    row(out, "    condition", secs(t.condition));
    row(out, "    solve", secs(t.solve));
    row(out, "    spectrum", secs(t.spectrum));
    row(out, "  candidate losses", secs(s.timings.candidates));
    row(out, "  damping rule", secs(s.timings.damping));
  }
  row(out, "records", secs(s.recordSeconds));
  row(out, "total", secs(s.seconds));
  out += "termination                 " + std::string(nameOf(s.termination)) + ": " + s.message + "\n";
  return out;
}

TrainResult trainNetwork(OwnedNet& net, const DataView& data, const TrainOptions& options, TrainState state,
                         const std::function<void(TrainRecord&&)>& emit, const std::atomic<bool>& cancelled) {
  return Loop(net, data, options, std::move(state), emit, cancelled).run();
}

}  // namespace nntk
