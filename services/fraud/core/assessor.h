#pragma once
// FraudInternalService.Assess and the analyst operations on top of the repository. Assess reads
// the user's features with one query, evaluates the rules from a short-lived in-memory cache and
// writes the decision log; it makes no remote call.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/fraud/core/ports.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"

namespace uwallet::fraud {

inline constexpr absl::Duration kRuleCacheTtl = absl::Seconds(2);
inline constexpr int64_t kAmountMax_minor = int64_t{1'000'000'000'000'000};
inline constexpr int kTimelineMax = 500;

class Assessor {
 public:
  Assessor(FraudRepository& repository, PaymentsClient& payments, const Clock& clock,
           IdGenerator& ids)
      : repository_(repository), payments_(payments), clock_(clock), ids_(ids) {}

  [[nodiscard]] absl::StatusOr<Assessment> Assess(const AssessInput& input);

  [[nodiscard]] absl::StatusOr<std::vector<Rule>> Rules();
  [[nodiscard]] absl::StatusOr<Rule> UpdateRule(const RuleUpdate& update);

  // Confirmed: held payments are declined (their holds released); false positive: approved.
  [[nodiscard]] absl::StatusOr<FraudCase> ResolveCase(const std::string& case_id,
                                                      CaseStatus resolution,
                                                      const std::string& note,
                                                      const std::string& actor_id);

 private:
  FraudRepository& repository_;
  PaymentsClient& payments_;
  const Clock& clock_;
  IdGenerator& ids_;
  std::mutex mutex_;
  std::shared_ptr<const std::vector<Rule>> rules_;
  absl::Time rules_loaded_at_ = absl::InfinitePast();
};

}  // namespace uwallet::fraud
