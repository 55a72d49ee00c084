#pragma once
// What the fraud core depends on: repositories (storage/ implements them on PostgreSQL) and the
// other services (grpc/clients.* implements them with signed service assertions). Unit tests use
// fakes (test/fakes.h).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/fraud/core/model.h"

namespace uwallet::fraud {

// ---- Other services ----------------------------------------------------------------------------

struct Contacts {
  std::string phone;  // verified only; "" when none
  std::string email;
  std::string locale;  // the account's language (BCP 47), "" when not set
};

class AuthClient {
 public:
  virtual ~AuthClient() = default;
  // The user the destination belongs to, if the code (CODE_PURPOSE_REPORT_STOLEN) is right.
  [[nodiscard]] virtual absl::StatusOr<std::string> VerifyReportCode(const std::string& destination,
                                                                     const std::string& code) = 0;
  // Freezes sign-in and revokes every session (idempotent: already frozen is fine).
  [[nodiscard]] virtual absl::Status FreezeUser(const std::string& user_id,
                                                const std::string& reason,
                                                const std::string& case_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<Contacts> GetContacts(const std::string& user_id) = 0;
  // Whether the user is frozen in auth now (NOT_FOUND: auth does not know the user).
  [[nodiscard]] virtual absl::StatusOr<bool> IsFrozen(const std::string& user_id) = 0;
};

class LedgerClient {
 public:
  virtual ~LedgerClient() = default;
  // Freezes every account of the owner (idempotent).
  [[nodiscard]] virtual absl::Status FreezeOwner(const std::string& owner_id,
                                                 const std::string& reason,
                                                 const std::string& reference) = 0;
  // Unfreezes every account of the owner (idempotent; an owner without accounts is fine). Used
  // when staff unfreeze the user in auth (event auth.unfrozen).
  [[nodiscard]] virtual absl::Status UnfreezeOwner(const std::string& owner_id,
                                                   const std::string& reason,
                                                   const std::string& reference) = 0;
  // Ids of the owner's pending holds (bounded).
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ListPendingHolds(
      const std::string& owner_id) = 0;
  // Idempotent by key.
  [[nodiscard]] virtual absl::Status VoidHold(const std::string& idempotency_key,
                                              const std::string& hold_id,
                                              const std::string& reason) = 0;
};

class PaymentsClient {
 public:
  virtual ~PaymentsClient() = default;
  [[nodiscard]] virtual absl::Status CancelUserSchedules(const std::string& user_id,
                                                         const std::string& reason) = 0;
  // Approves or declines a payment held for review (idempotent by key).
  [[nodiscard]] virtual absl::Status ResolveReview(const std::string& idempotency_key,
                                                   const std::string& payment_id, bool approve,
                                                   const std::string& case_id,
                                                   const std::string& note) = 0;
};

struct TicketRequest {
  std::string idempotency_key;
  std::string user_id;
  bool dispute = false;  // DISPUTE (high priority) instead of SECURITY (urgent)
  std::string subject;
  std::string body;
  std::string payment_id;
  std::string case_id;
};

class SupportClient {
 public:
  virtual ~SupportClient() = default;
  // Opens (or, for a key seen before, returns) a system ticket; returns its id.
  [[nodiscard]] virtual absl::StatusOr<std::string> OpenSystemTicket(
      const TicketRequest& request) = 0;
};

// ---- Stolen-account reports and flagged transactions -------------------------------------------

enum class StolenStep {
  kUnspecified = 0,
  kFreezeLogin = 1,
  kFreezeWallet = 2,
  kRevokeSessions = 3,
  kVoidHolds = 4,
  kCancelSchedules = 5,
  kOpenCase = 6,
  kOpenTicket = 7,
  kNotify = 8,
};
inline constexpr StolenStep kStolenSteps[] = {
    StolenStep::kFreezeLogin, StolenStep::kFreezeWallet,    StolenStep::kRevokeSessions,
    StolenStep::kVoidHolds,   StolenStep::kCancelSchedules, StolenStep::kOpenCase,
    StolenStep::kOpenTicket,  StolenStep::kNotify,
};

struct StolenReport {
  std::string report_id;
  std::string user_id;
  std::string idempotency_key;
  std::string case_id;
  std::string ticket_id;
  std::string description;
  absl::Time created_at = absl::InfinitePast();
  std::map<StolenStep, absl::Time> done;  // completion time per finished step
  [[nodiscard]] bool Done(StolenStep step) const { return done.count(step) > 0; }
};

struct NewStolenReport {
  std::string user_id;
  std::string idempotency_key;
  std::string destination_sha256;  // "" when signed in
  std::string description;
  absl::Time now;
};

struct FlaggedTransaction {
  std::string user_id;
  std::string transaction_id;
  std::string case_id;
  std::string ticket_id;
};

class StolenStore {
 public:
  virtual ~StolenStore() = default;
  // An anonymous retry: the report created with this key by proof of this destination.
  [[nodiscard]] virtual absl::StatusOr<std::optional<StolenReport>> FindByProof(
      const std::string& idempotency_key, const std::string& destination_sha256) = 0;
  // In one transaction: the user's unfinished report if any (a second report continues it), else
  // the report with this key, else a new report with a new stolen-account case (OPEN_CASE done).
  [[nodiscard]] virtual absl::StatusOr<StolenReport> BeginReport(const NewStolenReport& report) = 0;
  // Records a finished step (and the ticket id for kOpenTicket). Marking twice keeps the first
  // time.
  [[nodiscard]] virtual absl::Status MarkStep(const std::string& report_id, StolenStep step,
                                              absl::Time at, const std::string& ticket_id) = 0;
  // Reports with steps left, oldest first (for the background resumer).
  [[nodiscard]] virtual absl::StatusOr<std::vector<StolenReport>> Unfinished(absl::Time before,
                                                                             int limit) = 0;
  [[nodiscard]] virtual absl::StatusOr<Features> LoadFeatures(const std::string& user_id) = 0;
  // The flag for (user, transaction), creating it and its case (or joining the user's open
  // stolen-account case) when new.
  [[nodiscard]] virtual absl::StatusOr<FlaggedTransaction> BeginFlag(
      const std::string& user_id, const std::string& transaction_id, const std::string& description,
      absl::Time now) = 0;
  [[nodiscard]] virtual absl::Status SetFlagTicket(const std::string& user_id,
                                                   const std::string& transaction_id,
                                                   const std::string& ticket_id) = 0;
};

// ---- Assessment, rules, alerts, cases ----------------------------------------------------------

struct RuleUpdate {
  std::string rule_id;
  int64_t expected_version = 0;
  std::optional<RuleMode> mode;
  std::optional<int64_t> threshold;
  std::optional<int64_t> window_s;
  std::optional<int> score;
  std::optional<Decision> decision;
  std::string note;
  std::string actor_id;
};

struct AlertQuery {
  std::string user_id;
  bool unread_only = false;
  AlertCategory category = AlertCategory::kUnspecified;  // unspecified: both
  int page_size = 20;
  std::string before_alert_id;  // page cursor: alerts older than this one
};

struct AlertPage {
  std::vector<Alert> alerts;
  std::string next_before_alert_id;  // "" on the last page
  int unread_count = 0;
};

struct CaseQuery {
  std::vector<CaseStatus> statuses;  // empty: open
  std::vector<CaseKind> kinds;
  std::string user_id;
  int page_size = 20;
  int64_t offset = 0;
};

class FraudRepository {
 public:
  virtual ~FraudRepository() = default;
  // ONE query on the hot path.
  [[nodiscard]] virtual absl::StatusOr<Features> LoadFeatures(const std::string& user_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<Rule>> LoadRules() = 0;
  // Writes the decision log row, and for review decisions a payment-review case, plus the alerts,
  // in one transaction.
  [[nodiscard]] virtual absl::Status RecordAssessment(const AssessInput& input,
                                                      const Assessment& assessment,
                                                      const std::vector<Alert>& alerts,
                                                      absl::Time now) = 0;
  [[nodiscard]] virtual absl::StatusOr<Rule> UpdateRule(const RuleUpdate& update,
                                                        absl::Time now) = 0;

  [[nodiscard]] virtual absl::StatusOr<AlertPage> ListAlerts(const AlertQuery& query) = 0;
  [[nodiscard]] virtual absl::StatusOr<Alert> AcknowledgeAlert(const std::string& user_id,
                                                               const std::string& alert_id,
                                                               absl::Time now) = 0;
  // Alerts of the user created after `after_alert_id` ("" → none), oldest first, bounded.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Alert>> AlertsAfter(
      const std::string& user_id, const std::string& after_alert_id, int limit) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::string> LatestAlertId(const std::string& user_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<AlertSettings> GetAlertSettings(
      const std::string& user_id) = 0;
  [[nodiscard]] virtual absl::Status PutAlertSettings(const std::string& user_id,
                                                      const AlertSettings& settings,
                                                      absl::Time now) = 0;

  [[nodiscard]] virtual absl::StatusOr<std::vector<FraudCase>> ListCases(const CaseQuery& q) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::pair<FraudCase, std::vector<CaseEvent>>> GetCase(
      const std::string& case_id, int timeline_max) = 0;
  // Closes an open case (FAILED_PRECONDITION CASE_CLOSED when it is not open any more).
  [[nodiscard]] virtual absl::StatusOr<FraudCase> ResolveCase(const std::string& case_id,
                                                              CaseStatus status,
                                                              const std::string& note,
                                                              const std::string& actor_id,
                                                              absl::Time now) = 0;
};

}  // namespace uwallet::fraud
