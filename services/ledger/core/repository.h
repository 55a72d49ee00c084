#pragma once
// What the ledger's core needs from storage, as small interfaces: the PostgreSQL implementation is
// in storage/, an in-memory one for unit tests in test/fake_store.h.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/ledger/core/model.h"

namespace uwallet::ledger {

// The stored outcome of one idempotent operation, keyed by (caller, idempotency_key).
struct IdempotencyRecord {
  std::string caller;
  std::string idempotency_key;
  OperationType operation = OperationType::kPostTransfers;
  std::string request_hash;
  std::string result_json;
  absl::Time created_at = absl::UnixEpoch();
};

using IdempotencyScope = std::pair<std::string, std::string>;  // (caller, key)

struct BalanceDelta {
  std::string account_id;
  int64_t posted_debits = 0;
  int64_t posted_credits = 0;
  int64_t pending_debits = 0;  // may be negative: holds released
  int64_t pending_credits = 0;
};

struct LedgerEvent {
  std::string type;        // "ledger.transfer_posted", ...
  std::string subject_id;  // the account the event is about (the shard key)
  std::string payload_json;
};

// Everything one batch writes, set-based.
struct BatchEffects {
  std::vector<Transfer> transfers;
  std::vector<Entry> entries;
  std::vector<Hold> new_holds;
  std::vector<Hold> resolved_holds;
  std::vector<BalanceDelta> deltas;  // one per changed account, sorted by account id
  std::vector<IdempotencyRecord> records;
  std::vector<LedgerEvent> events;
  [[nodiscard]] bool Empty() const {
    return transfers.empty() && new_holds.empty() && resolved_holds.empty() && deltas.empty() &&
           records.empty() && events.empty();
  }
};

// What a batch reads before it decides: the idempotency records of its keys and, locked, the
// holds and balance rows it touches.
struct LockedState {
  std::vector<IdempotencyRecord> records;
  std::vector<Hold> holds;
  std::vector<AccountState> accounts;
};

// One database transaction of the writer. Lock order, everywhere: holds (sorted by id), then
// balance rows (sorted by account id); idempotency records are inserted last.
class LedgerTransaction {
 public:
  virtual ~LedgerTransaction() = default;
  // In one round trip where the store can:
  //  - the committed idempotency records among `scopes`. No lock: a concurrent duplicate is
  //    caught when Apply inserts its record (the unique key), which fails the transaction with
  //    ABORTED so that the writer runs it again and then finds the record;
  //  - FOR UPDATE, the holds with `hold_ids` (sorted), then the balance rows of `account_ids`
  //    together with those of the holds' accounts (sorted). Unknown ids are left out.
  [[nodiscard]] virtual absl::StatusOr<LockedState> ReadAndLock(
      const std::vector<IdempotencyScope>& scopes, const std::vector<std::string>& hold_ids,
      const std::vector<std::string>& account_ids) = 0;
  // Writes the batch (one round trip where the store can). An idempotency record that exists
  // already → ABORTED.
  [[nodiscard]] virtual absl::Status Apply(const BatchEffects& effects) = 0;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // Runs `body` in one transaction and commits when it returns OK. ABORTED (serialization failure,
  // deadlock, concurrent duplicate) runs the body again, a bounded number of times.
  [[nodiscard]] virtual absl::Status RunInTransaction(
      const std::function<absl::Status(LedgerTransaction&)>& body) = 0;
};

}  // namespace uwallet::ledger
