// Training loops (docs/MATH.md sections 3 and 6): regularized Newton and Gauss-Newton with exact
// solves and four damping rules, gradient descent and Adam. Records (every iteration, or a thinned
// schedule) are streamed to the caller as they are made; stops on iterations, target loss, time,
// cancellation or divergence.
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "first_order.hpp"
#include "model.hpp"
#include "step.hpp"

namespace nntk {

enum class Method : int { Newton = 0, GaussNewton = 1, GradientDescent = 2, Adam = 3 };
enum class Damping : int { Fixed = 0, Adaptive = 1, GainRatio = 2, CurvatureAware = 3 };

template <>
struct EnumNames<Method> {
  static constexpr std::string_view kind = "method";
  static constexpr NamedValue<Method> values[] = {
      {Method::Newton, "newton"}, {Method::GaussNewton, "gauss-newton"}, {Method::GradientDescent, "gd"}, {Method::Adam, "adam"}};
};
template <>
struct EnumNames<Damping> {
  static constexpr std::string_view kind = "damping";
  static constexpr NamedValue<Damping> values[] = {{Damping::Fixed, "fixed"},
                                                   {Damping::Adaptive, "adaptive"},
                                                   {Damping::GainRatio, "gain-ratio"},
                                                   {Damping::CurvatureAware, "curvature-aware"}};
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
  double epsilon = 1.0;        // curvature-aware: lambda_t = epsilon * lambda_min(B_t)
  std::size_t iterations = 0;
  double targetLoss = -1.0;    // stop at or below (negative: never)
  double timeLimitSeconds = std::numeric_limits<double>::infinity();
  int maxTries = 6;            // MATH.md section 3 reference rule
  double lambdaMin = 1e-12, lambdaMax = 1e2, increase = 2.0, decrease = 0.8;
  bool allowIndefinite = false;
  std::vector<Projection> diagnostics;
  std::size_t diagnosticsEvery = 1;
  // Which iterations t become records: t % recordEvery == 0 (0: none by this rule), or t on the log grid
  // round(10^(k / recordPerDecade)), k = 0, 1, ... (0: no grid); the run's first and last are always
  // recorded. The default, recordEvery = 1, records every iteration.
  std::size_t recordEvery = 1, recordPerDecade = 0;
  std::size_t keptBytesLimit = FirstOrderRule{}.keptBytesLimit;  // gd and adam (first_order.hpp); tests lower it
  double adamBeta1 = 0.9, adamBeta2 = 0.999, adamEpsilon = 1e-8;
};

// What a run carries over when it is resumed.
struct TrainState {
  std::size_t iteration = 0;   // iterations done so far
  double seconds = 0;          // time spent so far
  double lambda = 1e-8;
  double nu = 2.0;             // gain-ratio rule's growth factor
  std::vector<double> adamM, adamV;  // Adam moments (flat neuron-major)
};

struct TrainRecord {
  std::size_t iteration = 0;
  double loss = 0, seconds = 0;
  bool secondOrder = false;
  double lambda = 0;
  bool accepted = true;
  int retries = 0;
  bool hasInertia = false;
  Inertia inertia;
  bool hasExtremal = false;
  double minEigenvalue = 0, maxEigenvalue = 0;
  double stepNorm = 0, maxNeuronUpdate = 0, gradientNorm = 0;
  std::vector<std::vector<double>> diagnostics;  // empty when not due this iteration
};

struct TrainResult {
  std::string stoppedBecause;  // iterations | targetLoss | timeLimit | aborted | diverged | stalled
  TrainState state;
};

// Trains `net` in place (its parameter vectors are updated). `emit` receives the records as they are made,
// starting with the state before the first iteration (iteration = state.iteration) and ending with the
// state the run stops in; in between, the iterations options.recordEvery / recordPerDecade select.
TrainResult trainNetwork(OwnedNet& net, const DataView& data, const TrainOptions& options, TrainState state,
                         const std::function<void(TrainRecord&&)>& emit, const std::atomic<bool>& cancelled);

}  // namespace nntk
