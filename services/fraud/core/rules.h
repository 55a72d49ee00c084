#pragma once
// The rule engine: features + enabled rules + the activity → decision, score, reasons. Pure: the
// caller passes the time (from its injected Clock).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/fraud/core/model.h"

namespace uwallet::fraud {

namespace rule_ids {
inline constexpr char kAfterCredentialChange[] = "transfer_after_credential_change";
inline constexpr char kNewDeviceLargeAmount[] = "new_device_large_amount";
inline constexpr char kAmountAboveUsual[] = "amount_above_usual";
inline constexpr char kVelocity[] = "velocity";
inline constexpr char kManyNewPayees[] = "many_new_payees";
inline constexpr char kFailedLoginsThenSuccess[] = "failed_logins_then_success";
inline constexpr char kPinFailures[] = "pin_failures";
}  // namespace rule_ids

// Score bands when no rule forces a decision (score is capped at kScoreMax).
inline constexpr int kScoreMax = 1000;
inline constexpr int kChallengeScore = 300;
inline constexpr int kReviewScore = 500;
inline constexpr int kDeclineScore = 800;
inline constexpr int64_t kWindowMax_s = 90 * 24 * 3600;

// The rules a fresh database is seeded with (storage inserts the missing ones at start-up).
[[nodiscard]] std::vector<Rule> DefaultRules();

// Evaluates every non-disabled rule. Enabled rules that fire add their score and may force a
// decision; shadow rules that fire are reported in shadow_reasons and change nothing. A challenge
// already met by a fresh step-up (input.step_up_verified) becomes allow.
[[nodiscard]] Assessment Evaluate(const Features& features, const std::vector<Rule>& rules,
                                  const AssessInput& input, absl::Time now);

// Validates a rule as an analyst left it (INVALID_ARGUMENT with reason INVALID_FIELD).
[[nodiscard]] absl::Status ValidateRule(const Rule& rule);

[[nodiscard]] bool MovesMoneyOut(ActivityKind kind);

}  // namespace uwallet::fraud
