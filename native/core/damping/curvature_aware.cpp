// 'curvature-aware', Cayci's schedule (docs/MATH.md section 3): each iteration starts from
// lambda_t = epsilon * lambda_min(B_t), B_t = J J^T / M at the current parameters, clamped to
// [lambdaMin, lambdaMax]. Every finite try is kept; a rejected try (indefinite, or a non-finite loss) is
// retried within the iteration at increase * lambda. An iteration without a kept try leaves the
// parameters, and so the next iteration's lambda_t and tries, unchanged: the run has stalled.
#include <algorithm>

#include "core/kernels.hpp"
#include "core/symmetric_factor.hpp"
#include "damping_rule.hpp"

namespace nntk {
namespace {

class CurvatureAwareDamping final : public DampingRule {
 public:
  using DampingRule::DampingRule;
  double initialLambda(const NetView& net, const DataView& data) override {
    const Gram B = ntkGram(net, data);
    std::vector<double> lower(B.values);  // symmetric: row-major equals column-major
    const std::vector<double> w = symmetricEigenvalues(std::move(lower), B.size);
    state_.lambda = clamped(settings_.epsilon * std::max(w.front(), 0.0));
    return state_.lambda;
  }
  bool accepts(const TryReport&) const override { return true; }
  void afterAccept(const TryReport&) override {}
  bool afterReject(const TryReport&) override { return scaleLambda(settings_.increase); }
  bool continuesAfterRejectedIteration() const override { return false; }
};

}  // namespace

std::unique_ptr<DampingRule> makeCurvatureAwareDamping(const DampingSettings& settings, const DampingState& state) {
  return std::make_unique<CurvatureAwareDamping>(settings, state);
}

}  // namespace nntk
