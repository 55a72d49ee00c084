#pragma once
// The ledger's reads and account administration: scoping to the caller's own accounts, page
// tokens, month boundaries in a time zone, the spending summary and the trial balance. Who may call
// what is decided in grpc/ (the authorisation table); this layer receives the already-authorised
// owner id.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/ledger/core/model.h"
#include "services/ledger/core/reads.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"

namespace uwallet::ledger {

inline constexpr int kSpendingRowsMax = 20'000;  // groups read for one month summary

// ---- Page tokens: opaque to callers, bound to the list and filter they were issued for ----

[[nodiscard]] std::string EncodePageToken(absl::string_view list, absl::string_view fingerprint,
                                          const Cursor& cursor);
// PAGE_TOKEN_INVALID for anything this service did not issue for the same list and filter.
[[nodiscard]] absl::StatusOr<std::optional<Cursor>> DecodePageToken(absl::string_view list,
                                                                    absl::string_view fingerprint,
                                                                    absl::string_view token);
[[nodiscard]] std::string FilterFingerprint(const HistoryFilter& filter);
// 0 → the default; above the maximum or negative → INVALID_FIELD.
[[nodiscard]] absl::StatusOr<int> PageSize(int requested, int default_size, int max_size);

// ---- Months ----

struct MonthRange {
  std::string month;  // "YYYY-MM"
  std::string time_zone;
  absl::Time start;               // first instant of the month in the zone
  absl::Time end;                 // first instant of the next month
  std::vector<std::string> days;  // "YYYY-MM-DD", every day of the month
};
[[nodiscard]] absl::StatusOr<MonthRange> ParseMonth(absl::string_view month,
                                                    absl::string_view time_zone);

// ---- Spending summary ----

struct KindSpending {
  TransferKind kind = TransferKind::kUnspecified;
  int64_t spent_minor = 0;
  int64_t count = 0;
};
struct CounterpartySpending {
  Counterparty counterparty;
  int64_t spent_minor = 0;
  int64_t count = 0;
};
struct DaySpending {
  std::string date;
  int64_t spent_minor = 0;
  int64_t received_minor = 0;
};
struct SpendingSummary {
  std::string month;
  std::string currency;
  int64_t total_spent_minor = 0;
  int64_t total_received_minor = 0;
  std::vector<KindSpending> by_kind;                  // largest first
  std::vector<CounterpartySpending> by_counterparty;  // largest first, at most 20
  std::vector<DaySpending> by_day;                    // every day of the month, in order
};
// Money out = debits of the account (payments, transfers, withdrawals, fees); money in = credits.
[[nodiscard]] absl::StatusOr<SpendingSummary> SummarizeSpending(
    const MonthRange& month, const std::string& currency, const std::vector<SpendingRow>& rows);

// ---- Trial balance ----

struct TrialBalanceLine {
  std::string currency;
  int64_t total_debits = 0;
  int64_t total_credits = 0;
  int64_t balance_sum = 0;  // Σ (credits − debits) over all accounts: 0 when the books balance
  int64_t pending_debits = 0;
  int64_t pending_credits = 0;
  int64_t user_balance_sum = 0;
  int64_t account_count = 0;
  int64_t transfer_count = 0;
  bool balanced = false;
};
// Balanced: debits == credits, Σ transfers == debits (balances agree with the journal), and
// pending debits == pending credits. OUT_OF_RANGE if a sum does not fit int64 (Money).
[[nodiscard]] absl::StatusOr<std::vector<TrialBalanceLine>> ComputeTrialBalance(
    const std::vector<CurrencyTotals>& totals);

// ---- The facade ----

struct HistoryPage {
  std::vector<HistoryItem> items;
  std::string next_page_token;
};
struct HoldPage {
  std::vector<Hold> holds;
  std::string next_page_token;
};
struct Statement {
  AccountState account;
  StatementPage page;
  std::string next_page_token;
};

class LedgerQueries {
 public:
  LedgerQueries(LedgerReader& reader, AccountWriter& accounts, const Clock& clock, IdGenerator& ids,
                std::string default_time_zone)
      : reader_(reader),
        accounts_(accounts),
        clock_(clock),
        ids_(ids),
        default_time_zone_(std::move(default_time_zone)) {}

  // ---- Scoped to one owner (the public API passes the signed-in user's id) ----
  [[nodiscard]] absl::StatusOr<std::vector<AccountState>> Balances(const std::string& owner_id,
                                                                   const std::string& currency);
  [[nodiscard]] absl::StatusOr<HistoryPage> ListTransactions(const std::string& owner_id,
                                                             const HistoryFilter& filter,
                                                             int page_size,
                                                             const std::string& page_token);
  // NOT_FOUND for transactions of other owners (never PERMISSION_DENIED: ids cannot be probed).
  [[nodiscard]] absl::StatusOr<HistoryItem> GetTransaction(const std::string& owner_id,
                                                           const std::string& transaction_id);
  [[nodiscard]] absl::StatusOr<SpendingSummary> GetSpendingSummary(const std::string& owner_id,
                                                                   const std::string& month,
                                                                   const std::string& currency,
                                                                   const std::string& time_zone);

  // ---- Internal ----
  [[nodiscard]] absl::StatusOr<std::pair<AccountState, bool>> OpenAccount(
      const std::string& owner_id, OwnerKind owner_kind, AccountKind kind,
      const std::string& currency);
  [[nodiscard]] absl::StatusOr<AccountState> GetAccount(const std::string& account_id);
  [[nodiscard]] absl::StatusOr<AccountState> GetAccountByKey(const std::string& owner_id,
                                                             AccountKind kind,
                                                             const std::string& currency);
  [[nodiscard]] absl::StatusOr<std::vector<AccountState>> ListAccounts(const std::string& owner_id);
  [[nodiscard]] absl::StatusOr<HoldPage> ListHolds(const HoldQuery& query, int page_size,
                                                   const std::string& page_token);
  [[nodiscard]] absl::StatusOr<std::vector<AccountState>> SetFrozen(const FreezeTarget& target,
                                                                    bool frozen,
                                                                    const std::string& reason,
                                                                    const std::string& reference);

  // ---- Staff ----
  [[nodiscard]] absl::StatusOr<std::vector<TrialBalanceLine>> TrialBalance();
  [[nodiscard]] absl::StatusOr<Statement> AccountStatement(const std::string& account_id,
                                                           std::optional<absl::Time> start,
                                                           std::optional<absl::Time> end,
                                                           int page_size,
                                                           const std::string& page_token);

  [[nodiscard]] const std::string& default_time_zone() const { return default_time_zone_; }

 private:
  LedgerReader& reader_;
  AccountWriter& accounts_;
  const Clock& clock_;
  IdGenerator& ids_;
  std::string default_time_zone_;
};

}  // namespace uwallet::ledger
