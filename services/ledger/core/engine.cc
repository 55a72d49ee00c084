#include "services/ledger/core/engine.h"

#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/ledger/core/codec.h"
#include "services/ledger/core/errors.h"
#include "services/ledger/core/validation.h"
#include "uwallet/common/check.h"

namespace uwallet::ledger {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// A copy-on-write view of the locked state: operations (and, inside an unlinked batch, single
// transfers) run in a child workspace that is merged into its parent only when they succeed.
class Workspace {
 public:
  Workspace(std::map<std::string, AccountState>* accounts, std::map<std::string, Hold>* holds)
      : root_accounts_(accounts), root_holds_(holds) {}
  explicit Workspace(Workspace* parent) : parent_(parent) {}
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  [[nodiscard]] const AccountState* PeekAccount(const std::string& id) const {
    if (root_accounts_ != nullptr) {
      auto it = root_accounts_->find(id);
      return it == root_accounts_->end() ? nullptr : &it->second;
    }
    auto it = accounts_.find(id);
    if (it != accounts_.end()) return &it->second;
    return parent_->PeekAccount(id);
  }
  // A mutable copy local to this workspace; nullptr for an account that does not exist.
  AccountState* TouchAccount(const std::string& id) {
    if (root_accounts_ != nullptr) {
      auto it = root_accounts_->find(id);
      return it == root_accounts_->end() ? nullptr : &it->second;
    }
    auto it = accounts_.find(id);
    if (it != accounts_.end()) return &it->second;
    const AccountState* base = parent_->PeekAccount(id);
    if (base == nullptr) return nullptr;
    return &accounts_.emplace(id, *base).first->second;
  }
  [[nodiscard]] const Hold* PeekHold(const std::string& id) const {
    if (root_holds_ != nullptr) {
      auto it = root_holds_->find(id);
      return it == root_holds_->end() ? nullptr : &it->second;
    }
    auto it = holds_.find(id);
    if (it != holds_.end()) return &it->second;
    return parent_->PeekHold(id);
  }
  void PutHold(const Hold& hold) {
    if (root_holds_ != nullptr) {
      (*root_holds_)[hold.hold_id] = hold;
    } else {
      holds_[hold.hold_id] = hold;
    }
  }

  void AddTransfer(Transfer transfer) { transfers_.push_back(std::move(transfer)); }
  void AddEntry(Entry entry) { entries_.push_back(std::move(entry)); }
  void AddNewHold(const Hold& hold) {
    PutHold(hold);
    new_holds_.push_back(hold);
  }
  void AddResolvedHold(const Hold& hold) {
    PutHold(hold);
    resolved_holds_.push_back(hold);
  }
  void AddEvent(LedgerEvent event) { events_.push_back(std::move(event)); }

  // Merges this workspace into its parent.
  void Commit() {
    UW_CHECK(parent_ != nullptr);
    for (auto& [id, state] : accounts_) *parent_->TouchAccount(id) = state;
    for (auto& [id, hold] : holds_) parent_->PutHold(hold);
    auto append = [](auto& to, auto& from) {
      for (auto& item : from) to.push_back(std::move(item));
      from.clear();
    };
    append(parent_->transfers_, transfers_);
    append(parent_->entries_, entries_);
    append(parent_->new_holds_, new_holds_);
    append(parent_->resolved_holds_, resolved_holds_);
    append(parent_->events_, events_);
    accounts_.clear();
    holds_.clear();
  }

  void MoveEffectsTo(BatchEffects* effects) {
    effects->transfers = std::move(transfers_);
    effects->entries = std::move(entries_);
    effects->new_holds = std::move(new_holds_);
    effects->resolved_holds = std::move(resolved_holds_);
    effects->events = std::move(events_);
  }

 private:
  Workspace* parent_ = nullptr;
  std::map<std::string, AccountState>* root_accounts_ = nullptr;
  std::map<std::string, Hold>* root_holds_ = nullptr;
  std::map<std::string, AccountState> accounts_;
  std::map<std::string, Hold> holds_;
  std::vector<Transfer> transfers_;
  std::vector<Entry> entries_;
  std::vector<Hold> new_holds_;
  std::vector<Hold> resolved_holds_;
  std::vector<LedgerEvent> events_;
};

// Adds without overflowing int64 (AMOUNT_INVALID instead: the sum would not fit the books).
absl::Status AddChecked(int64_t* total, int64_t amount, absl::string_view what) {
  if (amount > 0 && *total > kInt64Max - amount) {
    return AmountInvalid(absl::StrCat("amount would overflow the ", what, " of the account"));
  }
  *total += amount;
  return absl::OkStatus();
}

int64_t PostedBalance(const AccountState& state) {
  // credits and debits are both in [0, int64 max], so their difference always fits.
  return state.balance.posted_credits - state.balance.posted_debits;
}

nlohmann::json WithOwners(nlohmann::json payload, const AccountState& debit,
                          const AccountState& credit) {
  payload["debit_owner_id"] = debit.account.owner_id;
  payload["debit_account_kind"] = static_cast<int>(debit.account.kind);
  payload["credit_owner_id"] = credit.account.owner_id;
  payload["credit_account_kind"] = static_cast<int>(credit.account.kind);
  return payload;
}

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct TransferContext {
  std::string caller;
  std::string idempotency_key;
  std::string batch_id;
  absl::Time now;
};

// The checks every movement out of an account shares, in the order a caller would want to hear
// them: existence, currency, frozen.
absl::Status CheckPair(const AccountState* debit, const AccountState* credit,
                       const std::string& debit_id, const std::string& credit_id,
                       const std::string& currency) {
  if (debit == nullptr) return AccountNotFound(absl::StrCat("debit account ", debit_id));
  if (credit == nullptr) return AccountNotFound(absl::StrCat("credit account ", credit_id));
  if (debit->account.currency != currency || credit->account.currency != currency) {
    return CurrencyMismatch(absl::StrCat("the accounts hold ", debit->account.currency, " and ",
                                         credit->account.currency, "; the amount is in ",
                                         currency));
  }
  if (debit->balance.frozen) {
    return AccountFrozen("the debit account is frozen: it accepts credits but no debits");
  }
  return absl::OkStatus();
}

absl::Status CheckFunds(const AccountState& debit, int64_t amount_minor) {
  if (!debit.account.allow_negative && debit.balance.Available() - amount_minor < 0) {
    return InsufficientFunds("available balance is below the amount");
  }
  return absl::OkStatus();
}

void AddEntries(Workspace& ws, const Transfer& transfer, const AccountState& debit,
                const AccountState& credit) {
  ws.AddEntry({.account_id = transfer.debit_account_id,
               .transfer_id = transfer.transfer_id,
               .direction = Direction::kOut,
               .counterparty_account_id = transfer.credit_account_id,
               .amount_minor = transfer.amount_minor,
               .currency = transfer.currency,
               .kind = transfer.kind,
               .balance_after = PostedBalance(debit),
               .created_at = transfer.created_at});
  ws.AddEntry({.account_id = transfer.credit_account_id,
               .transfer_id = transfer.transfer_id,
               .direction = Direction::kIn,
               .counterparty_account_id = transfer.debit_account_id,
               .amount_minor = transfer.amount_minor,
               .currency = transfer.currency,
               .kind = transfer.kind,
               .balance_after = PostedBalance(credit),
               .created_at = transfer.created_at});
  ws.AddEvent({.type = kEventTransferPosted,
               .subject_id = transfer.debit_account_id,
               .payload_json = Dump(WithOwners(TransferToJson(transfer), debit, credit))});
}

class Runner {
 public:
  Runner(IdGenerator& ids, absl::Time now) : ids_(ids), now_(now) {}

  OperationResult Run(Workspace& ws, const Operation& op) {
    switch (op.type) {
      case OperationType::kPostTransfers:
        return PostTransfers(ws, op);
      case OperationType::kCreateHold:
        return CreateHold(ws, op);
      case OperationType::kPostHold:
        return PostHold(ws, op);
      case OperationType::kVoidHold:
      case OperationType::kExpireHold:
        return ReleaseHold(ws, op);
    }
    return {.status = absl::InternalError("unknown operation")};
  }

 private:
  absl::StatusOr<Transfer> ApplyTransfer(Workspace& ws, const TransferSpec& spec,
                                         const TransferContext& context,
                                         const std::string& hold_id = "") {
    UW_RETURN_IF_ERROR(CheckPair(ws.PeekAccount(spec.debit_account_id),
                                 ws.PeekAccount(spec.credit_account_id), spec.debit_account_id,
                                 spec.credit_account_id, spec.currency));
    AccountState& debit = *ws.TouchAccount(spec.debit_account_id);
    AccountState& credit = *ws.TouchAccount(spec.credit_account_id);
    UW_RETURN_IF_ERROR(CheckFunds(debit, spec.amount_minor));
    int64_t debits = debit.balance.posted_debits;
    int64_t credits = credit.balance.posted_credits;
    UW_RETURN_IF_ERROR(AddChecked(&debits, spec.amount_minor, "posted debits"));
    UW_RETURN_IF_ERROR(AddChecked(&credits, spec.amount_minor, "posted credits"));
    debit.balance.posted_debits = debits;
    credit.balance.posted_credits = credits;
    Transfer transfer{.transfer_id = ids_.NewId(),
                      .debit_account_id = spec.debit_account_id,
                      .credit_account_id = spec.credit_account_id,
                      .amount_minor = spec.amount_minor,
                      .currency = spec.currency,
                      .kind = spec.kind,
                      .description = spec.description,
                      .metadata = spec.metadata,
                      .batch_id = context.batch_id,
                      .hold_id = hold_id,
                      .caller = context.caller,
                      .idempotency_key = context.idempotency_key,
                      .created_at = context.now};
    AddEntries(ws, transfer, debit, credit);
    ws.AddTransfer(transfer);
    return transfer;
  }

  OperationResult PostTransfers(Workspace& ws, const Operation& op) {
    OperationResult result;
    // One transfer is all or nothing by nature: its failure is the call's failure.
    const bool atomic = op.linked || op.transfers.size() == 1;
    TransferContext context{.caller = op.caller,
                            .idempotency_key = op.idempotency_key,
                            .batch_id = op.linked ? ids_.NewId() : "",
                            .now = now_};
    result.batch_id = context.batch_id;
    absl::Status first_error;
    for (size_t i = 0; i < op.transfers.size(); ++i) {
      const std::string field = absl::StrCat("transfers[", i, "]");
      if (atomic) {
        absl::StatusOr<Transfer> transfer = ApplyTransfer(ws, op.transfers[i], context);
        if (!transfer.ok()) {
          result.status = WithTransferIndex(Annotate(transfer.status(), field), i);
          result.outcomes.clear();
          return result;
        }
        result.outcomes.push_back({.transfer = *std::move(transfer)});
        continue;
      }
      Workspace single(&ws);
      absl::StatusOr<Transfer> transfer = ApplyTransfer(single, op.transfers[i], context);
      if (transfer.ok()) {
        single.Commit();
        result.outcomes.push_back({.transfer = *std::move(transfer)});
      } else {
        absl::Status error = WithTransferIndex(Annotate(transfer.status(), field), i);
        if (first_error.ok()) first_error = error;
        result.outcomes.push_back({.error = error, .reason = ReasonOf(error)});
      }
    }
    if (!atomic) {
      bool any_applied = false;
      for (const auto& outcome : result.outcomes) any_applied |= outcome.transfer.has_value();
      // Nothing moved: the call fails with the first reason and leaves no idempotency record.
      if (!any_applied) {
        result.status = first_error;
        result.outcomes.clear();
      }
    }
    return result;
  }

  OperationResult CreateHold(Workspace& ws, const Operation& op) {
    const TransferSpec& spec = op.hold;
    OperationResult result;
    result.status =
        CheckPair(ws.PeekAccount(spec.debit_account_id), ws.PeekAccount(spec.credit_account_id),
                  spec.debit_account_id, spec.credit_account_id, spec.currency);
    if (!result.status.ok()) return result;
    AccountState& debit = *ws.TouchAccount(spec.debit_account_id);
    AccountState& credit = *ws.TouchAccount(spec.credit_account_id);
    result.status = CheckFunds(debit, spec.amount_minor);
    if (!result.status.ok()) return result;
    int64_t pending_debits = debit.balance.pending_debits;
    int64_t pending_credits = credit.balance.pending_credits;
    result.status = AddChecked(&pending_debits, spec.amount_minor, "pending debits");
    if (result.status.ok()) {
      result.status = AddChecked(&pending_credits, spec.amount_minor, "pending credits");
    }
    if (!result.status.ok()) return result;
    debit.balance.pending_debits = pending_debits;
    credit.balance.pending_credits = pending_credits;
    Hold hold{.hold_id = ids_.NewId(),
              .debit_account_id = spec.debit_account_id,
              .credit_account_id = spec.credit_account_id,
              .amount_minor = spec.amount_minor,
              .currency = spec.currency,
              .kind = spec.kind,
              .description = spec.description,
              .metadata = spec.metadata,
              .state = HoldState::kPending,
              .caller = op.caller,
              .idempotency_key = op.idempotency_key,
              .created_at = now_};
    if (op.ttl_s > 0) hold.expires_at = now_ + absl::Seconds(op.ttl_s);
    ws.AddNewHold(hold);
    ws.AddEvent({.type = kEventHoldCreated,
                 .subject_id = hold.debit_account_id,
                 .payload_json = Dump(WithOwners(HoldToJson(hold), debit, credit))});
    result.hold = std::move(hold);
    return result;
  }

  // The hold must exist, be pending and not past its expiry.
  absl::StatusOr<Hold> PendingHold(Workspace& ws, const std::string& hold_id) {
    const Hold* hold = ws.PeekHold(hold_id);
    if (hold == nullptr) return NotFound("hold not found");
    if (hold->state != HoldState::kPending) {
      return HoldNotPending(
          absl::StrCat("the hold is already ", hold->state == HoldState::kPosted   ? "posted"
                                               : hold->state == HoldState::kVoided ? "voided"
                                                                                   : "expired"));
    }
    if (hold->expires_at.has_value() && *hold->expires_at <= now_) {
      return HoldExpired("the hold expired; its funds are released");
    }
    return *hold;
  }

  // Takes the reserved amounts of `hold` off both accounts' pending sums.
  static void Release(AccountState& debit, AccountState& credit, const Hold& hold) {
    debit.balance.pending_debits -= hold.amount_minor;
    credit.balance.pending_credits -= hold.amount_minor;
    UW_CHECK(debit.balance.pending_debits >= 0 && credit.balance.pending_credits >= 0);
  }

  OperationResult PostHold(Workspace& ws, const Operation& op) {
    OperationResult result;
    absl::StatusOr<Hold> pending = PendingHold(ws, op.hold_id);
    if (!pending.ok()) return {.status = pending.status()};
    Hold hold = *std::move(pending);
    const int64_t amount = op.post_amount_minor.value_or(hold.amount_minor);
    if (!op.post_currency.empty() && op.post_currency != hold.currency) {
      return {.status = CurrencyMismatch(
                  absl::StrCat("the hold is in ", hold.currency, ", not ", op.post_currency))};
    }
    if (amount > hold.amount_minor) {
      return {.status = AmountInvalid(
                  absl::StrCat("cannot post more than the held ", hold.amount_minor))};
    }
    const AccountState* debit_seen = ws.PeekAccount(hold.debit_account_id);
    const AccountState* credit_seen = ws.PeekAccount(hold.credit_account_id);
    if (debit_seen == nullptr || credit_seen == nullptr) {
      return {.status = AccountNotFound("an account of the hold is missing")};
    }
    if (debit_seen->balance.frozen) {
      return {.status = AccountFrozen("the debit account is frozen: the hold cannot be posted")};
    }
    AccountState& debit = *ws.TouchAccount(hold.debit_account_id);
    AccountState& credit = *ws.TouchAccount(hold.credit_account_id);
    int64_t debits = debit.balance.posted_debits;
    int64_t credits = credit.balance.posted_credits;
    result.status = AddChecked(&debits, amount, "posted debits");
    if (result.status.ok()) result.status = AddChecked(&credits, amount, "posted credits");
    if (!result.status.ok()) return result;
    Release(debit, credit, hold);
    debit.balance.posted_debits = debits;
    credit.balance.posted_credits = credits;

    TransferContext context{.caller = op.caller,
                            .idempotency_key = op.idempotency_key,
                            .batch_id = op.transfers.empty() ? "" : ids_.NewId(),
                            .now = now_};
    result.batch_id = context.batch_id;
    Transfer posting{.transfer_id = ids_.NewId(),
                     .debit_account_id = hold.debit_account_id,
                     .credit_account_id = hold.credit_account_id,
                     .amount_minor = amount,
                     .currency = hold.currency,
                     .kind = hold.kind,
                     .description = hold.description,
                     .metadata = hold.metadata,
                     .batch_id = context.batch_id,
                     .hold_id = hold.hold_id,
                     .caller = op.caller,
                     .idempotency_key = op.idempotency_key,
                     .created_at = now_};
    AddEntries(ws, posting, debit, credit);
    ws.AddTransfer(posting);
    hold.state = HoldState::kPosted;
    hold.posted_amount_minor = amount;
    hold.posted_transfer_id = posting.transfer_id;
    hold.resolved_at = now_;
    ws.AddResolvedHold(hold);
    result.outcomes.push_back({.transfer = posting});
    for (size_t i = 0; i < op.transfers.size(); ++i) {
      absl::StatusOr<Transfer> linked = ApplyTransfer(ws, op.transfers[i], context);
      if (!linked.ok()) {
        return {.status = WithTransferIndex(
                    Annotate(linked.status(), absl::StrCat("linked_transfers[", i, "]")), i)};
      }
      result.outcomes.push_back({.transfer = *std::move(linked)});
    }
    result.hold = std::move(hold);
    return result;
  }

  // VoidHold, and the sweeper's expiry.
  OperationResult ReleaseHold(Workspace& ws, const Operation& op) {
    const bool expiring = op.type == OperationType::kExpireHold;
    Hold hold;
    if (expiring) {
      const Hold* seen = ws.PeekHold(op.hold_id);
      if (seen == nullptr) return {.status = NotFound("hold not found")};
      if (seen->state != HoldState::kPending) return {.status = HoldNotPending("not pending")};
      if (!seen->expires_at.has_value() || *seen->expires_at > now_) {
        return {.status = absl::FailedPreconditionError("the hold has not expired")};
      }
      hold = *seen;
    } else {
      absl::StatusOr<Hold> pending = PendingHold(ws, op.hold_id);
      if (!pending.ok()) return {.status = pending.status()};
      hold = *std::move(pending);
    }
    AccountState* debit = ws.TouchAccount(hold.debit_account_id);
    AccountState* credit = ws.TouchAccount(hold.credit_account_id);
    if (debit == nullptr || credit == nullptr) {
      return {.status = AccountNotFound("an account of the hold is missing")};
    }
    Release(*debit, *credit, hold);
    hold.state = expiring ? HoldState::kExpired : HoldState::kVoided;
    hold.void_reason = expiring ? "expired" : op.void_reason;
    hold.resolved_at = now_;
    ws.AddResolvedHold(hold);
    ws.AddEvent({.type = expiring ? kEventHoldExpired : kEventHoldVoided,
                 .subject_id = hold.debit_account_id,
                 .payload_json = Dump(WithOwners(HoldToJson(hold), *debit, *credit))});
    return {.hold = std::move(hold)};
  }

  IdGenerator& ids_;
  absl::Time now_;
};

OperationResult Replay(const IdempotencyRecord& record, const Operation& op,
                       const std::string& hash) {
  if (record.operation != op.type || record.request_hash != hash) {
    return {.status = IdempotencyKeyReused(
                "this idempotency key was used before for a different request; use a new key "
                "for a new operation")};
  }
  absl::StatusOr<OperationResult> stored = DecodeStoredResult(op, record.result_json);
  if (!stored.ok()) return {.status = stored.status()};
  stored->replayed = true;
  return *std::move(stored);
}

void CollectAccounts(const TransferSpec& spec, std::set<std::string>* ids) {
  ids->insert(spec.debit_account_id);
  ids->insert(spec.credit_account_id);
}

}  // namespace

absl::StatusOr<std::vector<OperationResult>> PostingEngine::ExecuteBatch(
    LedgerTransaction& tx, const std::vector<Operation>& operations) {
  const size_t count = operations.size();
  std::vector<OperationResult> results(count);
  std::vector<bool> runnable(count, false);
  std::vector<std::string> hashes(count);
  std::set<IdempotencyScope> scopes;
  std::set<std::string> hold_ids;
  std::set<std::string> account_ids;
  for (size_t i = 0; i < count; ++i) {
    const Operation& op = operations[i];
    results[i].status = ValidateOperation(op);
    if (!results[i].status.ok()) continue;
    runnable[i] = true;
    if (op.type != OperationType::kExpireHold) {
      hashes[i] = RequestHash(op);
      scopes.insert({op.caller, op.idempotency_key});
    }
    for (const TransferSpec& spec : op.transfers) CollectAccounts(spec, &account_ids);
    if (op.type == OperationType::kCreateHold) CollectAccounts(op.hold, &account_ids);
    if (!op.hold_id.empty()) hold_ids.insert(op.hold_id);
  }

  // Reads and locks: holds first, then balance rows, each in sorted order (std::set iterates
  // sorted).
  LockedState locked;
  if (!scopes.empty() || !hold_ids.empty() || !account_ids.empty()) {
    UW_ASSIGN_OR_RETURN(
        locked, tx.ReadAndLock({scopes.begin(), scopes.end()}, {hold_ids.begin(), hold_ids.end()},
                               {account_ids.begin(), account_ids.end()}));
  }
  std::map<IdempotencyScope, IdempotencyRecord> known;
  for (IdempotencyRecord& record : locked.records) {
    known[{record.caller, record.idempotency_key}] = std::move(record);
  }
  std::map<std::string, Hold> holds;
  for (Hold& hold : locked.holds) holds[hold.hold_id] = std::move(hold);
  std::map<std::string, AccountState> accounts;
  for (AccountState& state : locked.accounts) {
    accounts[state.account.account_id] = std::move(state);
  }
  const std::map<std::string, AccountState> initial = accounts;
  // The batch's time is read only now, under the row locks: whoever held them before us has
  // committed, so per account, created_at follows the order in which balances changed (the
  // statement's running balance relies on it).
  const absl::Time now = TruncateToMicros(clock_.Now());

  Workspace root(&accounts, &holds);
  Runner runner(ids_, now);
  BatchEffects effects;
  for (size_t i = 0; i < count; ++i) {
    if (!runnable[i]) continue;
    const Operation& op = operations[i];
    const bool keyed = op.type != OperationType::kExpireHold;
    const IdempotencyScope scope{op.caller, op.idempotency_key};
    if (keyed) {
      // A committed record, or an earlier operation of this very batch with the same key.
      auto it = known.find(scope);
      if (it != known.end()) {
        results[i] = Replay(it->second, op, hashes[i]);
        continue;
      }
    }
    Workspace scratch(&root);
    OperationResult result = runner.Run(scratch, op);
    if (result.status.ok()) {
      scratch.Commit();
      if (keyed) {
        IdempotencyRecord record{.caller = op.caller,
                                 .idempotency_key = op.idempotency_key,
                                 .operation = op.type,
                                 .request_hash = hashes[i],
                                 .result_json = EncodeStoredResult(op, result),
                                 .created_at = now};
        known[scope] = record;
        effects.records.push_back(std::move(record));
      }
    }
    results[i] = std::move(result);
  }

  root.MoveEffectsTo(&effects);
  for (const auto& [id, state] : accounts) {
    const Balance& before = initial.at(id).balance;
    const Balance& after = state.balance;
    BalanceDelta delta{.account_id = id,
                       .posted_debits = after.posted_debits - before.posted_debits,
                       .posted_credits = after.posted_credits - before.posted_credits,
                       .pending_debits = after.pending_debits - before.pending_debits,
                       .pending_credits = after.pending_credits - before.pending_credits};
    if (delta.posted_debits != 0 || delta.posted_credits != 0 || delta.pending_debits != 0 ||
        delta.pending_credits != 0) {
      // Invariant, checked here and again by the database: no customer account below zero.
      UW_CHECK(state.account.allow_negative || state.balance.Available() >= 0);
      effects.deltas.push_back(delta);
    }
  }
  if (!effects.Empty()) UW_RETURN_IF_ERROR(tx.Apply(effects));
  return results;
}

}  // namespace uwallet::ledger
