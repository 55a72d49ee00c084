#pragma once
// The posting engine: executes a batch of operations (transfers, holds) inside ONE database
// transaction, validate-then-apply:
//   1. shape checks and request hashes (no database);
//   2. idempotency records of the batch's keys (one query);
//   3. row locks: the holds, then the balance rows of every account involved, each set sorted,
//      so that concurrent batches never deadlock;
//   4. each operation runs in order against the locked state held in memory, in its own scratch
//      workspace: one that fails is dropped without touching its neighbours (and a linked batch is
//      all or nothing);
//   5. everything that succeeded is written set-based (storage: a handful of statements per batch,
//      however many operations it holds), with its idempotency record and outbox events.
// The database re-checks the invariants (no negative wallet, frozen accounts take no debit,
// immutable transfers) so that a bug here cannot corrupt the books.

#include <vector>

#include "absl/status/statusor.h"
#include "services/ledger/core/model.h"
#include "services/ledger/core/repository.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"

namespace uwallet::ledger {

inline constexpr char kEventTransferPosted[] = "ledger.transfer_posted";
inline constexpr char kEventHoldCreated[] = "ledger.hold_created";
inline constexpr char kEventHoldVoided[] = "ledger.hold_voided";
inline constexpr char kEventHoldExpired[] = "ledger.hold_expired";

class PostingEngine {
 public:
  PostingEngine(const Clock& clock, IdGenerator& ids) : clock_(clock), ids_(ids) {}

  // results[i] answers operations[i]. An error return means the transaction itself failed
  // (database, concurrent duplicate key): nothing of the batch applied.
  [[nodiscard]] absl::StatusOr<std::vector<OperationResult>> ExecuteBatch(
      LedgerTransaction& tx, const std::vector<Operation>& operations);

 private:
  const Clock& clock_;
  IdGenerator& ids_;
};

}  // namespace uwallet::ledger
