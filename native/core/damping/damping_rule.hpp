// Damping rules of the regularized Newton / Gauss-Newton minimizer (docs/MATH.md section 3), in the
// manner of Ceres Solver's trust-region strategies: the training loop (native/core/training.cpp) asks a
// rule for the lambda of an iteration's first try, has it judge each try, and tells it whether the try
// was kept or undone; the rule owns lambda (and whatever else it adapts) and hands its state over for a
// resumed run.
//
// Adding a rule: its file under native/core/damping/ (one class and its maker; CMakeLists.txt picks up
// every file there), and in this header three adjacent lines: a value of Damping, the maker's
// declaration and the rule's row of the table below. In TypeScript its name goes into DAMPINGS in
// src/contract.ts, which test/contract.test.ts compares with this table.
#pragma once
#include <cmath>
#include <limits>
#include <memory>

#include "core/model.hpp"
#include "core/names.hpp"

namespace nntk {

// Bounds and factors the rules share (the reference values of docs/MATH.md section 3).
struct DampingSettings {
  double lambdaMin = 1e-12, lambdaMax = 1e2;  // the adaptive rules keep lambda in [lambdaMin, lambdaMax]
  double increase = 2.0, decrease = 0.8;      // 'adaptive' (and 'curvature-aware' retries: increase)
  double epsilon = 1.0;                       // 'curvature-aware': lambda_t = epsilon * lambda_min(B_t)
};

// What a rule carries from one run to the next (TrainState).
struct DampingState {
  double lambda = 1e-8;  // of the next try
  double nu = 2.0;       // 'gain-ratio': the factor of the next increase
};

// One try of an iteration, as the loop reports it to the rule.
struct TryReport {
  double lambda = 0;
  double lossBefore = 0;  // L(theta_t)
  double lossAfter = std::numeric_limits<double>::quiet_NaN();  // L(theta_t + alpha s); NaN if not evaluated
  // Decrease of the quadratic model for alpha s (docs/MATH.md section 3); NaN if not evaluated.
  double predictedDecrease = std::numeric_limits<double>::quiet_NaN();
  bool indefinite = false;  // C + lambda I had negative eigenvalues and the step was not taken

  // rho = (L before - L after) / predicted decrease; NaN when undefined (not evaluated, or a model that
  // predicts no decrease).
  double gainRatio() const {
    if (!(predictedDecrease > 0) || !std::isfinite(lossAfter)) return std::numeric_limits<double>::quiet_NaN();
    return (lossBefore - lossAfter) / predictedDecrease;
  }
};

class DampingRule {
 public:
  DampingRule(const DampingSettings& settings, const DampingState& state) : settings_(settings), state_(state) {}
  virtual ~DampingRule() = default;
  DampingRule(const DampingRule&) = delete;
  DampingRule& operator=(const DampingRule&) = delete;

  // The lambda of an iteration's first try, at the current parameters (the default: the carried lambda).
  virtual double initialLambda(const NetView& net, const DataView& data);
  // Whether a try whose step was taken and whose loss is finite is kept (the loop never keeps an
  // indefinite or non-finite try).
  virtual bool accepts(const TryReport& t) const = 0;
  // The try was kept: adapt for the next iteration.
  virtual void afterAccept(const TryReport& t) = 0;
  // The try was undone: set the lambda of the next try. Returns false when the next try could not
  // differ from this one (lambda cannot change): the iteration ends there.
  virtual bool afterReject(const TryReport& t) = 0;
  // After an iteration whose every try was rejected, with the parameters unchanged: whether the next
  // iteration would try anything new. False means the run has stalled.
  virtual bool continuesAfterRejectedIteration() const = 0;

  double lambda() const { return state_.lambda; }
  DampingState saved() const { return state_; }
  void restore(const DampingState& state) { state_ = state; }  // undoes an iteration cut short

 protected:
  double clamped(double lambda) const { return std::fmin(std::fmax(lambda, settings_.lambdaMin), settings_.lambdaMax); }
  // lambda <- clamp(lambda * factor); whether it changed.
  bool scaleLambda(double factor) {
    const double next = clamped(state_.lambda * factor);
    const bool changed = next != state_.lambda;
    state_.lambda = next;
    return changed;
  }

  DampingSettings settings_;
  DampingState state_;
};

using DampingMaker = std::unique_ptr<DampingRule> (*)(const DampingSettings&, const DampingState&);

// The rules, one file each.
enum class Damping : int { Fixed = 0, Adaptive = 1, GainRatio = 2, CurvatureAware = 3 };
std::unique_ptr<DampingRule> makeFixedDamping(const DampingSettings&, const DampingState&);           // fixed.cpp
std::unique_ptr<DampingRule> makeAdaptiveDamping(const DampingSettings&, const DampingState&);        // adaptive.cpp
std::unique_ptr<DampingRule> makeGainRatioDamping(const DampingSettings&, const DampingState&);       // gain_ratio.cpp
std::unique_ptr<DampingRule> makeCurvatureAwareDamping(const DampingSettings&, const DampingState&);  // curvature_aware.cpp

// A name table entry (names.hpp) that also carries the rule's maker: the factory is this table.
struct DampingEntry : NamedValue<Damping> {
  DampingMaker make;
};

template <>
struct EnumNames<Damping> {
  static constexpr std::string_view kind = "damping";
  static constexpr DampingEntry values[] = {
      {{Damping::Fixed, "fixed"}, &makeFixedDamping},
      {{Damping::Adaptive, "adaptive"}, &makeAdaptiveDamping},
      {{Damping::GainRatio, "gain-ratio"}, &makeGainRatioDamping},
      {{Damping::CurvatureAware, "curvature-aware"}, &makeCurvatureAwareDamping},
  };
};

// The rule of that kind, starting from `state`.
std::unique_ptr<DampingRule> makeDampingRule(Damping damping, const DampingSettings& settings, const DampingState& state);

}  // namespace nntk
