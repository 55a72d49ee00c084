#include "services/fraud/core/assessor.h"

#include "absl/strings/str_cat.h"
#include "services/fraud/core/errors.h"
#include "services/fraud/core/features.h"
#include "services/fraud/core/rules.h"
#include "uwallet/common/status.h"

namespace uwallet::fraud {

absl::StatusOr<std::vector<Rule>> Assessor::Rules() {
  const absl::Time now = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (rules_ != nullptr && now - rules_loaded_at_ < kRuleCacheTtl) return *rules_;
  }
  UW_ASSIGN_OR_RETURN(std::vector<Rule> rules, repository_.LoadRules());
  std::lock_guard<std::mutex> lock(mutex_);
  rules_ = std::make_shared<const std::vector<Rule>>(rules);
  rules_loaded_at_ = now;
  return rules;
}

absl::StatusOr<Assessment> Assessor::Assess(const AssessInput& input) {
  if (input.user_id.empty() || input.user_id.size() > 64) {
    return InvalidField("user_id is required");
  }
  if (input.kind == ActivityKind::kUnspecified || static_cast<int>(input.kind) > 6) {
    return InvalidField("kind is required");
  }
  if (input.amount_minor < 0 || input.amount_minor > kAmountMax_minor) {
    return InvalidField("amount must be 0..10^15 minor units");
  }
  if (input.amount_minor > 0 && input.currency.size() != 3) {
    return InvalidField("currency must be an ISO 4217 code");
  }
  if (input.counterparty_id.size() > 128 || input.device_id.size() > 128 || input.ip.size() > 64 ||
      input.reference_id.size() > 128 || input.session_id.size() > 128) {
    return InvalidField("an identifier is too long");
  }
  std::shared_ptr<const std::vector<Rule>> rules;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (rules_ != nullptr && clock_.Now() - rules_loaded_at_ < kRuleCacheTtl) rules = rules_;
  }
  if (rules == nullptr) {
    UW_ASSIGN_OR_RETURN(std::vector<Rule> loaded, Rules());
    rules = std::make_shared<const std::vector<Rule>>(std::move(loaded));
  }
  UW_ASSIGN_OR_RETURN(Features features, repository_.LoadFeatures(input.user_id));
  const absl::Time now = clock_.Now();
  Assessment assessment = Evaluate(features, *rules, input, now);
  assessment.assessment_id = ids_.NewId();
  UW_RETURN_IF_ERROR(repository_.RecordAssessment(input, assessment,
                                                  AlertsForDecision(input, assessment, now), now));
  return assessment;
}

absl::StatusOr<Rule> Assessor::UpdateRule(const RuleUpdate& update) {
  if (update.note.empty() || update.note.size() > 2000) {
    return InvalidField("note is required (why the rule changes)");
  }
  if (update.expected_version <= 0) return InvalidField("expected_version is required");
  UW_ASSIGN_OR_RETURN(Rule rule, repository_.UpdateRule(update, clock_.Now()));
  std::lock_guard<std::mutex> lock(mutex_);
  rules_ = nullptr;  // this replica sees the change at once; others within kRuleCacheTtl
  return rule;
}

absl::StatusOr<FraudCase> Assessor::ResolveCase(const std::string& case_id, CaseStatus resolution,
                                                const std::string& note,
                                                const std::string& actor_id) {
  if (resolution != CaseStatus::kConfirmed && resolution != CaseStatus::kFalsePositive) {
    return InvalidField("resolution must be confirmed or false positive");
  }
  if (note.empty() || note.size() > 2000) return InvalidField("note is required");
  UW_ASSIGN_OR_RETURN(auto found, repository_.GetCase(case_id, 1));
  const FraudCase& fraud_case = found.first;
  if (fraud_case.status != CaseStatus::kOpen) return CaseClosed("the case is already resolved");
  // Held payments first (idempotent per case and payment), so a failure leaves the case open and
  // the analyst simply retries.
  // Only payment-review cases hold payments (flagged cases list ledger transactions).
  for (const std::string& payment_id : fraud_case.payment_ids) {
    if (payment_id.empty() || fraud_case.kind != CaseKind::kPaymentReview) continue;
    UW_RETURN_IF_ERROR(payments_.ResolveReview(
        absl::StrCat("fraud-resolve:", case_id, ":", payment_id), payment_id,
        /*approve=*/resolution == CaseStatus::kFalsePositive, case_id, note));
  }
  return repository_.ResolveCase(case_id, resolution, note, actor_id, clock_.Now());
}

}  // namespace uwallet::fraud
