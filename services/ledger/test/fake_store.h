#pragma once
// An in-memory LedgerStore for unit tests of the core: one transaction at a time (a mutex), rolled
// back by restoring a snapshot, with the same refusals as the PostgreSQL schema (no negative
// customer balance, no debit of a frozen account, one record per idempotency key).

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/ledger/core/repository.h"
#include "uwallet/common/status.h"

namespace uwallet::ledger::testing {

struct FakeState {
  std::map<std::string, AccountState> accounts;
  std::map<std::string, Hold> holds;
  std::map<IdempotencyScope, IdempotencyRecord> records;
  std::vector<Transfer> transfers;
  std::vector<Entry> entries;
  std::vector<LedgerEvent> events;
};

class FakeStore final : public LedgerStore {
 public:
  // Called inside Apply before anything is written, to simulate another transaction committing
  // first (e.g. a concurrent duplicate): its change survives our rollback.
  std::function<void(FakeState&)> before_apply;
  // When set and not OK for a batch, Apply fails with it (a database error in the middle).
  std::function<absl::Status(const BatchEffects&)> apply_error;
  int transactions_run = 0;
  int round_trips = 0;  // ReadAndLock + Apply calls
  int aborts = 0;

  AccountState& AddAccount(const std::string& id, AccountKind kind, const std::string& currency,
                           int64_t posted_credits = 0, const std::string& owner = "owner") {
    AccountState state;
    state.account = {.account_id = id,
                     .owner_id = owner,
                     .owner_kind = kind == AccountKind::kUserWallet ? OwnerKind::kUser
                                   : kind == AccountKind::kMerchant ? OwnerKind::kMerchant
                                                                    : OwnerKind::kSystem,
                     .kind = kind,
                     .currency = currency,
                     .allow_negative = KindMayGoNegative(kind)};
    state.balance = {.account_id = id, .currency = currency, .posted_credits = posted_credits};
    return state_.accounts[id] = state;
  }

  FakeState& state() { return state_; }
  const Balance& BalanceOf(const std::string& id) { return state_.accounts.at(id).balance; }

  absl::Status RunInTransaction(
      const std::function<absl::Status(LedgerTransaction&)>& body) override {
    std::lock_guard<std::mutex> lock(mutex_);
    absl::Status status;
    for (int attempt = 0; attempt < 3; ++attempt) {
      ++transactions_run;
      FakeState snapshot = state_;
      snapshot_ = &snapshot;
      Transaction tx(*this);
      status = body(tx);
      if (status.ok()) return status;
      state_ = std::move(snapshot);
      if (status.code() != absl::StatusCode::kAborted) return status;
      ++aborts;
    }
    return status;
  }

 private:
  class Transaction final : public LedgerTransaction {
   public:
    explicit Transaction(FakeStore& store) : store_(store) {}
    absl::StatusOr<LockedState> ReadAndLock(const std::vector<IdempotencyScope>& scopes,
                                            const std::vector<std::string>& hold_ids,
                                            const std::vector<std::string>& account_ids) override {
      ++store_.round_trips;
      LockedState locked;
      for (const auto& scope : scopes) {
        auto it = store_.state_.records.find(scope);
        if (it != store_.state_.records.end()) locked.records.push_back(it->second);
      }
      std::set<std::string> ids(account_ids.begin(), account_ids.end());
      for (const auto& id : hold_ids) {
        auto it = store_.state_.holds.find(id);
        if (it == store_.state_.holds.end()) continue;
        locked.holds.push_back(it->second);
        ids.insert(it->second.debit_account_id);
        ids.insert(it->second.credit_account_id);
      }
      for (const auto& id : ids) {
        auto it = store_.state_.accounts.find(id);
        if (it != store_.state_.accounts.end()) locked.accounts.push_back(it->second);
      }
      return locked;
    }
    absl::Status Apply(const BatchEffects& effects) override {
      ++store_.round_trips;
      FakeState& state = store_.state_;
      if (store_.apply_error) UW_RETURN_IF_ERROR(store_.apply_error(effects));
      if (store_.before_apply) {
        store_.before_apply(state);
        store_.before_apply(*store_.snapshot_);  // committed by "someone else"
      }
      for (const BalanceDelta& delta : effects.deltas) {
        Balance& balance = state.accounts.at(delta.account_id).balance;
        if (balance.frozen && (delta.posted_debits > 0 || delta.pending_debits > 0)) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "ACCOUNT_FROZEN", "frozen");
        }
        balance.posted_debits += delta.posted_debits;
        balance.posted_credits += delta.posted_credits;
        balance.pending_debits += delta.pending_debits;
        balance.pending_credits += delta.pending_credits;
        if (!state.accounts.at(delta.account_id).account.allow_negative &&
            balance.Available() < 0) {
          return absl::FailedPreconditionError("balances_never_negative");
        }
      }
      for (const Transfer& transfer : effects.transfers) state.transfers.push_back(transfer);
      for (const Entry& entry : effects.entries) state.entries.push_back(entry);
      for (const Hold& hold : effects.new_holds) state.holds[hold.hold_id] = hold;
      for (const Hold& hold : effects.resolved_holds) {
        Hold& stored = state.holds.at(hold.hold_id);
        if (stored.state != HoldState::kPending) {
          return absl::FailedPreconditionError("HOLD_NOT_PENDING");
        }
        stored = hold;
      }
      for (const IdempotencyRecord& record : effects.records) {
        IdempotencyScope scope{record.caller, record.idempotency_key};
        if (state.records.contains(scope)) {
          return absl::AbortedError("duplicate idempotency key (concurrent duplicate)");
        }
        state.records[scope] = record;
      }
      for (const LedgerEvent& event : effects.events) state.events.push_back(event);
      return absl::OkStatus();
    }

   private:
    FakeStore& store_;
  };

  std::mutex mutex_;
  FakeState state_;
  FakeState* snapshot_ = nullptr;
};

}  // namespace uwallet::ledger::testing
