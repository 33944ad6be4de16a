// 'gain-ratio', Nielsen's rule for Levenberg-Marquardt (docs/MATH.md section 3): a try is kept when the
// gain ratio rho = (actual decrease) / (decrease predicted by the quadratic model) is positive; then
// lambda <- lambda * max(1/3, 1 - (2 rho - 1)^3) and nu <- 2; otherwise lambda <- nu * lambda and
// nu <- 2 nu. lambda stays in [lambdaMin, lambdaMax]; nu stops growing once lambda is at lambdaMax (where
// a rejected try stalls the run).
#include <algorithm>

#include "damping_rule.hpp"

namespace nntk {
namespace {

class GainRatioDamping final : public DampingRule {
 public:
  using DampingRule::DampingRule;
  bool accepts(const TryReport& t) const override { return t.gainRatio() > 0; }
  void afterAccept(const TryReport& t) override {
    const double rho = t.gainRatio();
    scaleLambda(std::max(1.0 / 3.0, 1.0 - std::pow(2.0 * rho - 1.0, 3)));
    state_.nu = 2.0;
  }
  bool afterReject(const TryReport&) override {
    const bool changed = scaleLambda(state_.nu);
    if (changed) state_.nu *= 2.0;
    return changed;
  }
  bool continuesAfterRejectedIteration() const override { return true; }
};

}  // namespace

std::unique_ptr<DampingRule> makeGainRatioDamping(const DampingSettings& settings, const DampingState& state) {
  return std::make_unique<GainRatioDamping>(settings, state);
}

}  // namespace nntk
