#pragma once
// The fraud repositories on PostgreSQL (schema/0001_fraud.sql), and the consumer's transaction:
// processed-event mark + feature update + alerts, committed together (exactly-once effect).

#include <string>
#include <vector>

#include "services/fraud/core/ports.h"
#include "services/fraud/storage/decision_log.h"
#include "uwallet/common/ids.h"
#include "uwallet/pg/pg.h"

namespace uwallet::fraud {

inline constexpr char kConsumerGroup[] = "fraud";
inline constexpr int kOpenCasesPerEventMax = 5;

class PgFraudStore final : public FraudRepository, public StolenStore {
 public:
  PgFraudStore(pg::Pool& pool, IdGenerator& ids) : pool_(pool), ids_(ids) {}

  // Common decisions (allow/challenge, no alert) go through `writer` instead of a transaction of
  // their own (decision_log.h). Null: written inline (the default; tests read them at once).
  void UseDecisionLog(DecisionLogWriter* writer) { decision_log_ = writer; }

  // Inserts the default rules that are missing (start-up); existing rules are left as they are.
  [[nodiscard]] absl::Status EnsureRules(const std::vector<Rule>& defaults, absl::Time now);

  // The consumer's handler body: in ONE transaction marks the event processed for `group`,
  // folds it into the user's features and stores the alerts it raises. Returns the new alerts
  // (empty when the event was seen before: redelivery changes nothing).
  [[nodiscard]] absl::StatusOr<std::vector<Alert>> ApplyEventOnce(const RiskEvent& event,
                                                                  const std::string& group);

  // Alerts not yet delivered, oldest first; `deliver` runs inside the transaction that marks them
  // delivered (rows are locked with SKIP LOCKED, so replicas share the work).
  [[nodiscard]] absl::StatusOr<int> DeliverPending(
      int limit, const std::function<absl::Status(const Alert&)>& deliver, absl::Time now);

  // FraudRepository
  absl::StatusOr<Features> LoadFeatures(const std::string& user_id) override;
  absl::StatusOr<std::vector<Rule>> LoadRules() override;
  absl::Status RecordAssessment(const AssessInput& input, const Assessment& assessment,
                                const std::vector<Alert>& alerts, absl::Time now) override;
  absl::StatusOr<Rule> UpdateRule(const RuleUpdate& update, absl::Time now) override;
  absl::StatusOr<AlertPage> ListAlerts(const AlertQuery& query) override;
  absl::StatusOr<Alert> AcknowledgeAlert(const std::string& user_id, const std::string& alert_id,
                                         absl::Time now) override;
  absl::StatusOr<std::vector<Alert>> AlertsAfter(const std::string& user_id,
                                                 const std::string& after_alert_id,
                                                 int limit) override;
  absl::StatusOr<std::string> LatestAlertId(const std::string& user_id) override;
  absl::StatusOr<AlertSettings> GetAlertSettings(const std::string& user_id) override;
  absl::Status PutAlertSettings(const std::string& user_id, const AlertSettings& settings,
                                absl::Time now) override;
  absl::StatusOr<std::vector<FraudCase>> ListCases(const CaseQuery& query) override;
  absl::StatusOr<std::pair<FraudCase, std::vector<CaseEvent>>> GetCase(const std::string& case_id,
                                                                       int timeline_max) override;
  absl::StatusOr<FraudCase> ResolveCase(const std::string& case_id, CaseStatus status,
                                        const std::string& note, const std::string& actor_id,
                                        absl::Time now) override;

  // StolenStore
  absl::StatusOr<std::optional<StolenReport>> FindByProof(
      const std::string& idempotency_key, const std::string& destination_sha256) override;
  absl::StatusOr<StolenReport> BeginReport(const NewStolenReport& report) override;
  absl::Status MarkStep(const std::string& report_id, StolenStep step, absl::Time at,
                        const std::string& ticket_id) override;
  absl::StatusOr<std::vector<StolenReport>> Unfinished(absl::Time before, int limit) override;
  absl::StatusOr<FlaggedTransaction> BeginFlag(const std::string& user_id,
                                               const std::string& transaction_id,
                                               const std::string& description,
                                               absl::Time now) override;
  absl::Status SetFlagTicket(const std::string& user_id, const std::string& transaction_id,
                             const std::string& ticket_id) override;

 private:
  absl::Status InsertAlerts(pg::Connection& tx, std::vector<Alert>* alerts);
  absl::StatusOr<std::string> OpenCase(pg::Connection& tx, const std::string& user_id,
                                       CaseKind kind, int score, const std::string& summary,
                                       const std::vector<std::string>& payment_ids, absl::Time now);
  absl::Status AddCaseEvent(pg::Connection& tx, const std::string& case_id, const CaseEvent& e);

  pg::Pool& pool_;
  IdGenerator& ids_;
  DecisionLogWriter* decision_log_ = nullptr;
};

}  // namespace uwallet::fraud
