#pragma once
// PostgreSQL implementations of the ledger's repositories.
//
//   PgLedgerStore   — the writer's transactions (LedgerStore / LedgerTransaction): row locks in a
//                     consistent order, set-based writes (a handful of statements per batch), the
//                     outbox events in the same transaction, bounded retries on 40001/40P01 and on
//                     concurrent duplicate idempotency keys (pg::Pool::Transact).
//   PgLedgerReader  — reads (history, statements, holds, spending, trial balance) and account
//                     administration (open, freeze).

#include <memory>
#include <string>

#include "services/ledger/core/reads.h"
#include "services/ledger/core/repository.h"
#include "uwallet/common/clock.h"
#include "uwallet/events/events.h"
#include "uwallet/pg/pg.h"

namespace uwallet::ledger {

inline constexpr int kWriterTransactionAttempts = 8;
inline constexpr char kEventAccountFrozen[] = "ledger.account_frozen";
inline constexpr char kEventAccountUnfrozen[] = "ledger.account_unfrozen";

class PgLedgerStore final : public LedgerStore {
 public:
  PgLedgerStore(pg::Pool& pool, events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}
  [[nodiscard]] absl::Status RunInTransaction(
      const std::function<absl::Status(LedgerTransaction&)>& body) override;

 private:
  pg::Pool& pool_;
  events::Outbox& outbox_;
};

class PgLedgerReader final : public LedgerReader, public AccountWriter {
 public:
  PgLedgerReader(pg::Pool& pool, events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::StatusOr<std::optional<AccountState>> FindAccount(const std::string& account_id) override;
  absl::StatusOr<std::optional<AccountState>> FindAccountByKey(
      const std::string& owner_id, AccountKind kind, const std::string& currency) override;
  absl::StatusOr<std::vector<AccountState>> ListAccountsOfOwner(
      const std::string& owner_id) override;
  absl::StatusOr<std::vector<HistoryItem>> ListHistory(const std::vector<std::string>& account_ids,
                                                       const HistoryFilter& filter,
                                                       const std::optional<Cursor>& after,
                                                       int limit) override;
  absl::StatusOr<std::optional<HistoryItem>> FindHistoryItem(
      const std::vector<std::string>& account_ids, const std::string& transaction_id) override;
  absl::StatusOr<std::vector<SpendingRow>> SpendingRows(const std::string& account_id,
                                                        absl::Time start, absl::Time end,
                                                        const std::string& time_zone,
                                                        int limit) override;
  absl::StatusOr<std::vector<CurrencyTotals>> TrialBalanceTotals() override;
  absl::StatusOr<StatementPage> Statement(const std::string& account_id,
                                          std::optional<absl::Time> start,
                                          std::optional<absl::Time> end,
                                          const std::optional<Cursor>& after, int limit) override;
  absl::StatusOr<std::vector<Hold>> ListHolds(const HoldQuery& query,
                                              const std::optional<Cursor>& after,
                                              int limit) override;
  absl::StatusOr<std::vector<std::string>> ExpiredHoldIds(absl::Time now, int limit) override;

  absl::StatusOr<std::pair<AccountState, bool>> OpenAccount(const Account& account) override;
  absl::StatusOr<std::vector<AccountState>> SetFrozen(const FreezeTarget& target, bool frozen,
                                                      const std::string& reason,
                                                      const std::string& reference) override;

 private:
  absl::StatusOr<std::vector<HistoryItem>> QueryHistory(const std::vector<std::string>& account_ids,
                                                        const HistoryFilter& filter,
                                                        const std::optional<Cursor>& after,
                                                        int limit,
                                                        const std::string& transaction_id);

  pg::Pool& pool_;
  events::Outbox& outbox_;
};

// ---- Helpers shared with tests and tools ----

// A PostgreSQL array literal of text elements ({"a","b\"c",NULL}).
class ArrayLiteral {
 public:
  void Add(absl::string_view element);
  void AddNull();
  [[nodiscard]] std::string Finish() const { return "{" + text_ + "}"; }

 private:
  std::string text_;
  bool first_ = true;
};

// RFC 3339 in UTC with microseconds: what PostgreSQL parses exactly.
[[nodiscard]] std::string TimestampText(absl::Time time);

}  // namespace uwallet::ledger
