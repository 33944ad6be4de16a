// Training as a minimizer (docs/MATH.md sections 3 and 6), in the manner of Ceres Solver: regularized
// Newton and Gauss-Newton with exact solves and a damping rule (native/core/damping/), gradient descent
// and Adam. Records (every iteration, or a thinned schedule) are streamed to the caller as they are made,
// each with that iteration's tries, gain ratio, cost change and solve timings; the run ends with a
// Termination and a summary (brief and full report). It stops on iterations, target loss, time,
// cancellation (checked between the tries of an iteration too), divergence, a stalled damping rule, or a
// numerical failure of a solve, which ends the run with its records intact instead of throwing.
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "damping/damping_rule.hpp"
#include "first_order.hpp"
#include "model.hpp"
#include "step.hpp"

namespace nntk {

enum class Method : int { Newton = 0, GaussNewton = 1, GradientDescent = 2, Adam = 3 };

template <>
struct EnumNames<Method> {
  static constexpr std::string_view kind = "method";
  static constexpr NamedValue<Method> values[] = {
      {Method::Newton, "newton"}, {Method::GaussNewton, "gauss-newton"}, {Method::GradientDescent, "gd"}, {Method::Adam, "adam"}};
};

// Why a run stopped (TrainResult), like Ceres' TerminationType.
enum class Termination : int { Iterations, TargetLoss, TimeLimit, Aborted, Diverged, Stalled, Failed };

template <>
struct EnumNames<Termination> {
  static constexpr std::string_view kind = "termination";
  static constexpr NamedValue<Termination> values[] = {
      {Termination::Iterations, "iterations"}, {Termination::TargetLoss, "targetLoss"},
      {Termination::TimeLimit, "timeLimit"},   {Termination::Aborted, "aborted"},
      {Termination::Diverged, "diverged"},     {Termination::Stalled, "stalled"},
      {Termination::Failed, "failed"}};
};

// A diagnostic: the rows of A applied to the residual f - y, reported as |A r| (MATH.md section 6: errors
// of least-squares coefficients on a basis, and of NTK-eigenmode coefficients).
struct Projection {
  std::size_t rows = 0;
  std::vector<double> matrix;  // rows x M, row-major
};

struct TrainOptions {
  Method method = Method::Newton;
  Damping damping = Damping::Adaptive;
  SolverKind solver = SolverKind::Structured;
  Spectrum spectrum = Spectrum::Inertia;
  double lambda = 1e-8;        // initial absolute regularization
  double alpha = 1.0;          // step size of the second-order methods
  double learningRate = 0.01;  // gd and adam
  std::size_t iterations = 0;
  double targetLoss = -1.0;    // stop at or below (negative: never)
  double timeLimitSeconds = std::numeric_limits<double>::infinity();
  int maxTries = 6;            // MATH.md section 3 reference rule
  DampingSettings dampingSettings;  // bounds, factors, curvature-aware epsilon
  bool allowIndefinite = false;
  std::vector<Projection> diagnostics;
  std::size_t diagnosticsEvery = 1;
  // Which iterations t become records: t % recordEvery == 0 (0: none by this rule), or t on the log grid
  // round(10^(k / recordPerDecade)), k = 0, 1, ... (0: no grid); the run's first and last are always
  // recorded. The default, recordEvery = 1, records every iteration.
  std::size_t recordEvery = 1, recordPerDecade = 0;
  std::size_t keptBytesLimit = FirstOrderRule{}.keptBytesLimit;  // gd and adam (first_order.hpp); tests lower it
  double adamBeta1 = 0.9, adamBeta2 = 0.999, adamEpsilon = 1e-8;
  // A test hook: behave as if cancellation were requested during the n-th solve of the run (0: never),
  // so that tests can check deterministically that cancellation takes effect between tries.
  std::size_t cancelAfterSolves = 0;
  double memoryLimitBytes = 4.0 * 1024 * 1024 * 1024;  // StepRequest::memoryLimitBytes of every solve
};

// What a run carries over when it is resumed.
struct TrainState {
  std::size_t iteration = 0;   // iterations done so far
  double seconds = 0;          // time spent so far
  DampingState damping;        // lambda and the gain-ratio rule's nu
  std::vector<double> adamM, adamV;  // Adam moments (flat neuron-major)
};

// Seconds spent in one iteration (or, summed, a run) of a second-order method.
struct IterationTimings {
  StepTimings solves;     // summed over the tries' solves
  double candidates = 0;  // evaluating the loss at the tried parameters
  double damping = 0;     // the rule's own work (curvature-aware: lambda_min(B_t))
};

struct TrainRecord {
  std::size_t iteration = 0;
  double loss = 0, seconds = 0;
  bool describesIteration = false;  // false for the run's starting record
  bool secondOrder = false;
  double lambda = 0;                // of the last try
  bool accepted = true;
  int retries = 0;                  // index of the last try (kept for compatibility)
  int rejectedTries = 0;
  double costChange = 0;            // loss before the iteration minus loss after
  bool hasGainRatio = false;
  double gainRatio = 0;             // of the last try, when defined (MATH.md section 3)
  bool hasInertia = false;
  Inertia inertia;
  bool hasExtremal = false;
  double minEigenvalue = 0, maxEigenvalue = 0;
  double stepNorm = 0, maxNeuronUpdate = 0, gradientNorm = 0;
  bool hasAccuracy = false;         // logistic loss: the fraction of points classified correctly (sign of f)
  double accuracy = 0;
  IterationTimings timings;
  std::vector<std::vector<double>> diagnostics;  // empty when not due this iteration
};

// A whole run, like Ceres' Solver::Summary; briefReport and fullReport write it as text.
struct RunSummary {
  Method method = Method::Newton;
  Damping damping = Damping::Adaptive;
  SolverKind solver = SolverKind::Structured;
  std::size_t firstIteration = 0, iterations = 0;  // this run: from firstIteration, `iterations` done
  std::size_t acceptedSteps = 0, rejectedTries = 0, rejectedIterations = 0, solves = 0;
  double initialCost = 0, finalCost = 0;           // the loss L at the run's start and end
  double initialLambda = 0, finalLambda = 0;
  std::optional<Factorization> factorization;      // the last solve's; absent before the first
  Termination termination = Termination::Iterations;
  std::string message;                             // why, in words
  double seconds = 0;                              // this run's wall time, split into:
  double setupSeconds = 0, iterationSeconds = 0, recordSeconds = 0;
  IterationTimings timings;                        // second-order: the parts of iterationSeconds measured
};

std::string briefReport(const RunSummary& summary);  // one line
std::string fullReport(const RunSummary& summary);   // a table, one quantity a line

struct TrainResult {
  Termination termination = Termination::Iterations;
  TrainState state;
  RunSummary summary;
  std::string errorCode, errorMessage;  // Termination::Failed: the solve's Failure
};

// Trains `net` in place (its parameter vectors are updated). `emit` receives the records as they are made,
// starting with the state before the first iteration (iteration = state.iteration) and ending with the
// state the run stops in; in between, the iterations options.recordEvery / recordPerDecade select. An
// iteration cut short (cancellation between tries, or a numerical failure) is undone: parameters and
// damping state are those before it, so that a resumed run repeats it.
TrainResult trainNetwork(OwnedNet& net, const DataView& data, const TrainOptions& options, TrainState state,
                         const std::function<void(TrainRecord&&)>& emit, const std::atomic<bool>& cancelled);

}  // namespace nntk
