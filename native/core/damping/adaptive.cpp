// 'adaptive', the reference rule of the paper's training experiments (docs/MATH.md section 3): a try is
// kept only if the loss falls; then lambda <- decrease * lambda, otherwise lambda <- increase * lambda and
// the step is tried again; lambda stays in [lambdaMin, lambdaMax]. An iteration without a kept try leaves
// the raised lambda to the next one; a rejected try at lambdaMax stalls the run.
#include "damping_rule.hpp"

namespace nntk {
namespace {

class AdaptiveDamping final : public DampingRule {
 public:
  using DampingRule::DampingRule;
  bool accepts(const TryReport& t) const override { return t.lossAfter < t.lossBefore; }
  void afterAccept(const TryReport&) override { scaleLambda(settings_.decrease); }
  bool afterReject(const TryReport&) override { return scaleLambda(settings_.increase); }
  bool continuesAfterRejectedIteration() const override { return true; }
};

}  // namespace

std::unique_ptr<DampingRule> makeAdaptiveDamping(const DampingSettings& settings, const DampingState& state) {
  return std::make_unique<AdaptiveDamping>(settings, state);
}

}  // namespace nntk
