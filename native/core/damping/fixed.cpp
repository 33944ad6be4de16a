// 'fixed' (docs/MATH.md section 3): lambda never changes. Every finite try is kept, whether or not the
// loss falls. A rejected try (an indefinite C + lambda I without allowIndefinite, or a non-finite loss)
// would be repeated exactly by any further try or iteration, so it ends the run as 'stalled'.
#include "damping_rule.hpp"

namespace nntk {
namespace {

class FixedDamping final : public DampingRule {
 public:
  using DampingRule::DampingRule;
  bool accepts(const TryReport&) const override { return true; }
  void afterAccept(const TryReport&) override {}
  bool afterReject(const TryReport&) override { return false; }
  bool continuesAfterRejectedIteration() const override { return false; }
};

}  // namespace

std::unique_ptr<DampingRule> makeFixedDamping(const DampingSettings& settings, const DampingState& state) {
  return std::make_unique<FixedDamping>(settings, state);
}

}  // namespace nntk
