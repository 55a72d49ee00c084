#pragma once
// Feature updates and alerts from events: pure functions over (event, state), so that the
// consumer's transaction applies them exactly once and tests replay crafted histories.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/fraud/core/model.h"

namespace uwallet::fraud {

// Event types the fraud service consumes (others are acknowledged and ignored).
[[nodiscard]] const std::vector<std::string>& ConsumedEventTypes();

// The user an event is about ("" when it is about no user the fraud service tracks, e.g. a
// transfer out of a system account).
[[nodiscard]] std::string UserOf(const RiskEvent& event);

// Folds the event into the user's features (lists stay within their bounds). Returns whether the
// features changed. INVALID_ARGUMENT for an event whose payload is not a JSON object.
[[nodiscard]] absl::StatusOr<bool> ApplyEvent(const RiskEvent& event, Features* features);

// The alerts the event raises for the user (without ids; the store assigns them).
[[nodiscard]] std::vector<Alert> AlertsFor(const RiskEvent& event, const AlertSettings& settings);

// The alert a decision raises (risky payment held / declined), if any.
[[nodiscard]] std::vector<Alert> AlertsForDecision(const AssessInput& input,
                                                   const Assessment& assessment, absl::Time now);

[[nodiscard]] std::string FeaturesToJson(const Features& features);
[[nodiscard]] absl::StatusOr<Features> FeaturesFromJson(const std::string& json_text);

// "¥12.34"-style text for alert bodies ("12.34 CNY").
[[nodiscard]] std::string FormatMoney(int64_t amount_minor, const std::string& currency);

}  // namespace uwallet::fraud
