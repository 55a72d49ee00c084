#pragma once
// The read side of the ledger: history, statements, holds, spending summary and trial balance, and
// the account operations that do not move money (open, freeze). The repository interface is
// implemented by storage/pg_reader; the math on what it returns (page tokens, month boundaries,
// spending summary, trial balance) is in core/queries and unit-tested.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/ledger/core/model.h"

namespace uwallet::ledger {

enum class TransactionStatus : int { kUnspecified = 0, kPending = 1, kPosted = 2, kReleased = 3 };

struct Counterparty {
  std::string account_id;
  AccountKind kind = AccountKind::kUnspecified;
  std::string owner_id;
  OwnerKind owner_kind = OwnerKind::kUnspecified;
};

// A transfer or a hold as it appears in one account's history.
struct HistoryItem {
  std::string transaction_id;  // transfer id, or hold id for holds not (yet) posted
  std::string account_id;
  TransferKind kind = TransferKind::kUnspecified;
  Direction direction = Direction::kUnspecified;
  int64_t amount_minor = 0;
  std::string currency;
  Counterparty counterparty;
  std::string description;
  Metadata metadata;
  TransactionStatus status = TransactionStatus::kUnspecified;
  absl::Time created_at = absl::UnixEpoch();
};

struct HistoryFilter {
  std::optional<absl::Time> start;  // inclusive
  std::optional<absl::Time> end;    // exclusive
  std::vector<TransferKind> kinds;
  std::string counterparty_id;  // a user id, merchant id or account id
  Direction direction = Direction::kUnspecified;
  std::string currency;
};

// Position in a list ordered by id (UUIDv7: time-ordered, and per account in the order the balance
// changed): newest first for history and holds, oldest first for statements. Keyset pagination:
// stable while new rows arrive. created_at travels along for the page token's readability.
struct Cursor {
  absl::Time created_at = absl::UnixEpoch();
  std::string id;
};

// One group of the month's movements: what the summary is computed from.
struct SpendingRow {
  std::string day;  // "YYYY-MM-DD" in the requested time zone
  Direction direction = Direction::kUnspecified;
  TransferKind kind = TransferKind::kUnspecified;
  Counterparty counterparty;
  int64_t amount_minor = 0;  // sum
  int64_t count = 0;
};

// Sums over all accounts of one currency, as the database reports them (128-bit: sums of int64).
struct CurrencyTotals {
  std::string currency;
  Int128 posted_debits = 0;
  Int128 posted_credits = 0;
  Int128 pending_debits = 0;
  Int128 pending_credits = 0;
  Int128 user_balance_sum = 0;  // posted balances of user wallets
  Int128 transfer_sum = 0;      // sum of all transfer amounts (must equal posted debits)
  int64_t account_count = 0;
  int64_t transfer_count = 0;
};

struct StatementLine {
  Transfer transfer;
  Direction direction = Direction::kUnspecified;
  int64_t balance_after = 0;
};

struct StatementPage {
  int64_t opening_balance = 0;  // posted balance at the start of the range
  int64_t closing_balance = 0;  // posted balance at the end of the range
  std::vector<StatementLine> lines;
};

struct HoldQuery {
  std::string owner_id;  // exactly one of owner_id and account_id
  std::string account_id;
  std::vector<HoldState> states;  // empty: all
};

class LedgerReader {
 public:
  virtual ~LedgerReader() = default;
  [[nodiscard]] virtual absl::StatusOr<std::optional<AccountState>> FindAccount(
      const std::string& account_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<AccountState>> FindAccountByKey(
      const std::string& owner_id, AccountKind kind, const std::string& currency) = 0;
  // At most kAccountsPerOwnerMax, ordered by kind, currency.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AccountState>> ListAccountsOfOwner(
      const std::string& owner_id) = 0;
  // Newest first, strictly after `after` when given; at most `limit`.
  [[nodiscard]] virtual absl::StatusOr<std::vector<HistoryItem>> ListHistory(
      const std::vector<std::string>& account_ids, const HistoryFilter& filter,
      const std::optional<Cursor>& after, int limit) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<HistoryItem>> FindHistoryItem(
      const std::vector<std::string>& account_ids, const std::string& transaction_id) = 0;
  // Posted movements of one account in [start, end), grouped by day / direction / kind /
  // counterparty, at most `limit` groups.
  [[nodiscard]] virtual absl::StatusOr<std::vector<SpendingRow>> SpendingRows(
      const std::string& account_id, absl::Time start, absl::Time end, const std::string& time_zone,
      int limit) = 0;
  // Read in one consistent snapshot.
  [[nodiscard]] virtual absl::StatusOr<std::vector<CurrencyTotals>> TrialBalanceTotals() = 0;
  // Oldest first within [start, end), strictly after `after`; at most `limit` lines.
  [[nodiscard]] virtual absl::StatusOr<StatementPage> Statement(const std::string& account_id,
                                                                std::optional<absl::Time> start,
                                                                std::optional<absl::Time> end,
                                                                const std::optional<Cursor>& after,
                                                                int limit) = 0;
  // Newest first, strictly after `after`; at most `limit`.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Hold>> ListHolds(
      const HoldQuery& query, const std::optional<Cursor>& after, int limit) = 0;
  // Pending holds whose expiry is at or before `now`, oldest expiry first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ExpiredHoldIds(absl::Time now,
                                                                                int limit) = 0;
};

struct FreezeTarget {
  std::string account_id;  // exactly one of the two
  std::string owner_id;
};

class AccountWriter {
 public:
  virtual ~AccountWriter() = default;
  // Inserts `account` (and its zero balance) unless an account with the same (owner, kind,
  // currency) exists; returns the account and whether it was created now.
  [[nodiscard]] virtual absl::StatusOr<std::pair<AccountState, bool>> OpenAccount(
      const Account& account) = 0;
  // Sets or clears the frozen flag of the target accounts, under the same row lock debits take.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AccountState>> SetFrozen(
      const FreezeTarget& target, bool frozen, const std::string& reason,
      const std::string& reference) = 0;
};

}  // namespace uwallet::ledger
