#include "damping_rule.hpp"

#include "core/failure.hpp"

namespace nntk {

double DampingRule::initialLambda(const NetView&, const DataView&) { return state_.lambda; }

std::unique_ptr<DampingRule> makeDampingRule(Damping damping, const DampingSettings& settings, const DampingState& state) {
  for (const DampingEntry& entry : EnumNames<Damping>::values)
    if (entry.value == damping) return entry.make(settings, state);
  throw Failure(ErrorCode::Argument, "unknown damping rule");
}

}  // namespace nntk
