#pragma once
// "My account was stolen" as one idempotent, resumable sequence, and "this transaction was not
// me". Every step is recorded when it took effect (StolenStore), so a retry after a partial
// failure runs only the remaining steps; each remote step is itself idempotent (keys derived from
// the report id), so a crash between a step and its record repeats nothing visible.

#include <string>

#include "absl/status/statusor.h"
#include "services/fraud/core/ports.h"
#include "uwallet/common/clock.h"
#include "uwallet/notify/notifier.h"

namespace uwallet::fraud {

inline constexpr size_t kIdempotencyKeyBytesMax = 128;
inline constexpr size_t kDescriptionBytesMax = 2000;
inline constexpr size_t kHoldsPerReportMax = 500;

struct StolenRequest {
  std::string user_id;  // the signed-in caller; "" when anonymous (then destination + code)
  std::string idempotency_key;
  std::string destination;
  std::string code;
  std::string description;
};

struct StolenOutcome {
  StolenReport report;
  // The first error of a step that is still pending ("" status when everything is done).
  absl::Status pending_error;
};

struct FlagRequest {
  std::string user_id;
  std::string transaction_id;
  std::string description;
  std::string idempotency_key;
};

class StolenAccountFlow {
 public:
  StolenAccountFlow(StolenStore& store, AuthClient& auth, LedgerClient& ledger,
                    PaymentsClient& payments, SupportClient& support, notify::Notifier& notifier,
                    const Clock& clock)
      : store_(store),
        auth_(auth),
        ledger_(ledger),
        payments_(payments),
        support_(support),
        notifier_(notifier),
        clock_(clock) {}

  // Fails (with the downstream code) only when the account could not be frozen; later steps that
  // fail are reported pending in the outcome and completed by a retry or the resumer.
  [[nodiscard]] absl::StatusOr<StolenOutcome> Report(const StolenRequest& request);
  // Runs the steps of an existing report that are not done yet.
  [[nodiscard]] absl::StatusOr<StolenOutcome> Continue(StolenReport report);
  // Continues unfinished reports created before `older_than` ago (background). Returns how many
  // were completed.
  [[nodiscard]] absl::StatusOr<int> ResumeUnfinished(absl::Duration older_than, int limit);

  [[nodiscard]] absl::StatusOr<FlaggedTransaction> FlagTransaction(const FlagRequest& request);

 private:
  absl::Status VoidHolds(const StolenReport& report);
  absl::StatusOr<std::string> OpenTicket(const StolenReport& report);
  absl::Status Notify(const StolenReport& report);
  absl::Status Mark(StolenReport* report, StolenStep step, const std::string& ticket_id = "");

  StolenStore& store_;
  AuthClient& auth_;
  LedgerClient& ledger_;
  PaymentsClient& payments_;
  SupportClient& support_;
  notify::Notifier& notifier_;
  const Clock& clock_;
};

}  // namespace uwallet::fraud
