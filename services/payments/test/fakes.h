#pragma once
// In-memory fakes of the payments core's ports, with fault injection, for unit tests.

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/payments/core/errors.h"
#include "services/payments/core/ports.h"
#include "services/payments/core/schedule.h"

namespace uwallet::payments::testing {

inline std::string AccountKey(const AccountRef& ref) {
  return absl::StrCat(static_cast<int>(ref.kind), "/", ref.owner_id, "/", ref.currency);
}

// A ledger with balances, holds, idempotency by key, and faults: `fail_before` fails the next call
// before it applies; `fail_after` applies it and then reports UNAVAILABLE (the response was lost).
class FakeLedger final : public LedgerClient {
 public:
  std::map<std::string, int64_t> balances;  // posted, by AccountKey
  std::set<std::string> frozen;             // AccountKeys refusing debits
  int fail_before = 0;
  int fail_after = 0;
  int applied_calls = 0;

  int64_t Balance(const AccountRef& ref) { return balances[AccountKey(ref)]; }
  int64_t Available(const AccountRef& ref) {
    int64_t pending = 0;
    for (const auto& [id, hold] : holds_) {
      if (hold.state == 0 && AccountKey(hold.spec.debit) == AccountKey(ref)) {
        pending += hold.spec.amount_minor;
      }
    }
    return balances[AccountKey(ref)] - pending;
  }
  int PendingHolds() const {
    int n = 0;
    for (const auto& [id, hold] : holds_) n += hold.state == 0 ? 1 : 0;
    return n;
  }

  absl::StatusOr<std::vector<std::string>> PostLinked(const std::string& key,
                                                      const std::vector<Leg>& legs) override {
    std::lock_guard<std::mutex> lock(mutex_);
    UW_RETURN_IF_ERROR(Before());
    if (auto it = results_.find(key); it != results_.end()) return After(it->second);
    std::map<std::string, int64_t> debits;
    for (const Leg& leg : legs) {
      if (leg.amount_minor <= 0) return AmountInvalid("amount");
      if (leg.debit.currency != leg.credit.currency) return CurrencyMismatch("currency");
      if (frozen.count(AccountKey(leg.debit))) {
        return Precondition("ACCOUNT_FROZEN", "frozen");
      }
      debits[AccountKey(leg.debit)] += leg.amount_minor;
    }
    for (const auto& [account, amount] : debits) {
      if (!MayGoNegative(account) && AvailableLocked(account) < amount) {
        return Precondition("INSUFFICIENT_FUNDS", "insufficient funds");
      }
    }
    std::vector<std::string> ids;
    for (const Leg& leg : legs) {
      balances[AccountKey(leg.debit)] -= leg.amount_minor;
      balances[AccountKey(leg.credit)] += leg.amount_minor;
      ids.push_back(absl::StrCat("tr-", ++next_id_));
    }
    ++applied_calls;
    results_[key] = ids;
    return After(ids);
  }

  absl::StatusOr<std::string> CreateHold(const std::string& key, const HoldSpec& spec) override {
    std::lock_guard<std::mutex> lock(mutex_);
    UW_RETURN_IF_ERROR(Before());
    if (auto it = results_.find(key); it != results_.end()) {
      UW_ASSIGN_OR_RETURN(auto ids, After(it->second));
      return ids.front();
    }
    if (frozen.count(AccountKey(spec.debit))) return Precondition("ACCOUNT_FROZEN", "frozen");
    if (AvailableLocked(AccountKey(spec.debit)) < spec.amount_minor) {
      return Precondition("INSUFFICIENT_FUNDS", "insufficient funds");
    }
    const std::string id = absl::StrCat("hold-", ++next_id_);
    holds_[id] = Hold{spec, 0};
    ++applied_calls;
    results_[key] = {id};
    UW_ASSIGN_OR_RETURN(auto ids, After({id}));
    return ids.front();
  }

  absl::StatusOr<std::vector<std::string>> PostHold(const std::string& key,
                                                    const std::string& hold_id,
                                                    const std::vector<Leg>& linked) override {
    std::lock_guard<std::mutex> lock(mutex_);
    UW_RETURN_IF_ERROR(Before());
    if (auto it = results_.find(key); it != results_.end()) return After(it->second);
    auto hold = holds_.find(hold_id);
    if (hold == holds_.end() || hold->second.state != 0) {
      return Precondition("HOLD_NOT_PENDING", "hold not pending");
    }
    hold->second.state = 1;
    balances[AccountKey(hold->second.spec.debit)] -= hold->second.spec.amount_minor;
    balances[AccountKey(hold->second.spec.credit)] += hold->second.spec.amount_minor;
    std::vector<std::string> ids = {absl::StrCat("tr-", ++next_id_)};
    for (const Leg& leg : linked) {
      balances[AccountKey(leg.debit)] -= leg.amount_minor;
      balances[AccountKey(leg.credit)] += leg.amount_minor;
      ids.push_back(absl::StrCat("tr-", ++next_id_));
    }
    ++applied_calls;
    results_[key] = ids;
    return After(ids);
  }

  absl::Status VoidHold(const std::string& key, const std::string& hold_id,
                        const std::string& /*reason*/) override {
    std::lock_guard<std::mutex> lock(mutex_);
    UW_RETURN_IF_ERROR(Before());
    if (results_.count(key)) return After({}).status();
    auto hold = holds_.find(hold_id);
    if (hold == holds_.end() || hold->second.state != 0) {
      return Precondition("HOLD_NOT_PENDING", "hold not pending");
    }
    hold->second.state = 2;
    ++applied_calls;
    results_[key] = {};
    return After({}).status();
  }

 private:
  struct Hold {
    HoldSpec spec;
    int state;  // 0 pending, 1 posted, 2 voided
  };
  static bool MayGoNegative(const std::string& account) {
    return account.rfind("3/", 0) == 0 || account.rfind("4/", 0) == 0;
  }
  int64_t AvailableLocked(const std::string& account) {
    int64_t pending = 0;
    for (const auto& [id, hold] : holds_) {
      if (hold.state == 0 && AccountKey(hold.spec.debit) == account) {
        pending += hold.spec.amount_minor;
      }
    }
    return balances[account] - pending;
  }
  absl::Status Before() {
    if (fail_before > 0) {
      --fail_before;
      return absl::UnavailableError("ledger unreachable (injected)");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> After(std::vector<std::string> ids) {
    if (fail_after > 0) {
      --fail_after;
      return absl::DeadlineExceededError("response lost (injected)");
    }
    return ids;
  }

  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> results_;
  std::map<std::string, Hold> holds_;
  int next_id_ = 0;
};

class FakeAuth final : public AuthClient {
 public:
  struct User {
    UserInfo info;
    std::string phone;
    std::string email;
  };
  std::map<std::string, User> users;     // by user id
  std::set<std::string> step_up_tokens;  // "user/token/action"
  bool down = false;

  void Add(const std::string& id, const std::string& name, const std::string& phone = "",
           bool merchant = false) {
    users[id] = {{id, name, UserStatus::kActive, true, merchant}, phone, ""};
  }
  void GrantStepUp(const std::string& user, const std::string& token, StepUpAction action) {
    step_up_tokens.insert(absl::StrCat(user, "/", token, "/", static_cast<int>(action)));
  }

  absl::StatusOr<UserInfo> LookupUser(const PayeeRef& key) override {
    if (down) return absl::UnavailableError("auth down");
    for (const auto& [id, user] : users) {
      if ((key.by == PayeeRef::By::kUserId && id == key.value) ||
          (key.by == PayeeRef::By::kPhone && user.phone == key.value) ||
          (key.by == PayeeRef::By::kEmail && user.email == key.value)) {
        return user.info;
      }
    }
    return NotFound("USER_NOT_FOUND", "no such user");
  }
  absl::Status ValidateStepUp(const std::string& user_id, const std::string& token,
                              StepUpAction action, bool consume) override {
    const std::string key = absl::StrCat(user_id, "/", token, "/", static_cast<int>(action));
    if (!step_up_tokens.count(key)) {
      return Precondition("STEP_UP_REQUIRED", "step-up token not valid");
    }
    if (consume) step_up_tokens.erase(key);
    return absl::OkStatus();
  }
};

class FakeRisk final : public RiskClient {
 public:
  RiskDecision decision = RiskDecision::kAllow;
  bool down = false;
  int calls = 0;
  absl::StatusOr<RiskDecision> Assess(const RiskQuery& /*query*/) override {
    ++calls;
    if (down) return absl::DeadlineExceededError("fraud too slow");
    return decision;
  }
};

// The PaymentStore in memory, with the same atomicity (one mutex) and an event log.
class FakeStore final : public PaymentStore {
 public:
  explicit FakeStore(absl::TimeZone zone = absl::UTCTimeZone()) : zone_(zone) {}

  std::vector<std::pair<std::string, std::string>> events;  // (type, payment id)
  int fail_next_apply = 0;  // Apply fails (UNAVAILABLE) before changing anything

  absl::StatusOr<InsertResult> InsertPayment(const Payment& payment,
                                             const std::optional<DailyLimitCheck>& limit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, p] : payments_) {
      if (p.owner_user_id == payment.owner_user_id &&
          p.idempotency_key == payment.idempotency_key) {
        return InsertResult{p, false};
      }
    }
    if (!payment.payment_code_id.empty()) {
      for (auto& [id, p] : payments_) {
        if (p.payment_code_id == payment.payment_code_id && p.status != PaymentStatus::kFailed) {
          return Precondition("QR_CODE_EXPIRED", "this payment code was already paid");
        }
      }
    }
    if (limit) {
      Usage used = UsageLocked(payment.owner_user_id, limit->kind, limit->day_start);
      if (limit->daily_max_minor > 0 &&
          used.amount_minor + payment.amount_minor > limit->daily_max_minor) {
        return WithMetadata(
            Precondition("LIMIT_EXCEEDED", "daily limit"),
            {{"limit", "daily_amount"},
             {"remaining_minor", absl::StrCat(limit->daily_max_minor - used.amount_minor)}});
      }
      if (limit->daily_count_max > 0 && used.count + 1 > limit->daily_count_max) {
        return WithMetadata(Precondition("LIMIT_EXCEEDED", "daily count"),
                            {{"limit", "daily_count"}, {"remaining_minor", "0"}});
      }
    }
    payments_[payment.payment_id] = payment;
    if (payment.status == PaymentStatus::kFailed) {
      events.emplace_back("payments.payment_failed", payment.payment_id);
    }
    return InsertResult{payment, true};
  }

  absl::StatusOr<std::optional<Payment>> GetPayment(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = payments_.find(id);
    if (it == payments_.end()) return std::optional<Payment>();
    return std::optional<Payment>(it->second);
  }

  absl::StatusOr<std::optional<Payment>> FindByKey(const std::string& owner,
                                                   const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, p] : payments_) {
      if (p.owner_user_id == owner && p.idempotency_key == key) return std::optional<Payment>(p);
    }
    return std::optional<Payment>();
  }

  absl::StatusOr<TransitionResult> Apply(const std::string& id, const Transition& t,
                                         absl::Time now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fail_next_apply > 0) {
      --fail_next_apply;
      return absl::UnavailableError("database unreachable (injected)");
    }
    Payment& p = payments_.at(id);
    if (std::find(t.from.begin(), t.from.end(), p.status) == t.from.end()) {
      return TransitionResult{p, false};
    }
    ApplyLocked(p, t, now);
    return TransitionResult{p, true};
  }

  absl::StatusOr<std::vector<Payment>> ListPayments(const PaymentQuery& query) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Payment> out;
    for (auto it = payments_.rbegin(); it != payments_.rend(); ++it) {
      const Payment& p = it->second;
      const bool mine = p.owner_user_id == query.user_id || p.payer.user_id == query.user_id ||
                        p.payee.user_id == query.user_id || p.payee.merchant_id == query.user_id;
      if (!mine) continue;
      if (!query.after_payment_id.empty() && p.payment_id >= query.after_payment_id) continue;
      if (!query.kinds.empty() &&
          std::find(query.kinds.begin(), query.kinds.end(), p.kind) == query.kinds.end()) {
        continue;
      }
      out.push_back(p);
      if (static_cast<int>(out.size()) >= query.limit) break;
    }
    return out;
  }

  absl::StatusOr<Usage> DailyUsage(const std::string& user, PaymentKind kind,
                                   absl::Time day_start) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return UsageLocked(user, kind, day_start);
  }

  absl::StatusOr<InsertResult> ReserveRefund(const Payment& refund,
                                             const std::string& refund_request_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, p] : payments_) {
      if (p.owner_user_id == refund.owner_user_id && p.idempotency_key == refund.idempotency_key) {
        return InsertResult{p, false};
      }
    }
    Payment& original = payments_.at(refund.original_payment_id);
    if (original.status != PaymentStatus::kSucceeded) {
      return Precondition("INVALID_STATE", "not refundable");
    }
    if (original.refunded_minor + refund.amount_minor > original.amount_minor) {
      return Precondition("REFUND_EXCEEDS_PAYMENT", "too much");
    }
    if (!refund_request_id.empty()) {
      RefundRequestRecord* request = nullptr;
      for (auto& r : refund_requests_) {
        if (r.refund_request_id == refund_request_id &&
            r.payment_id == refund.original_payment_id) {
          request = &r;
        }
      }
      if (request == nullptr) return NotFound("REFUND_REQUEST_NOT_FOUND", "no such request");
      if (!IsOpenRefundRequest(request->status)) {
        return Precondition("INVALID_STATE", "request decided");
      }
      if (refund.amount_minor >
          request->amount_minor - request->refunded_minor - request->reserved_minor) {
        return Precondition("REFUND_EXCEEDS_REQUEST", "more than the request asks for");
      }
      request->reserved_minor += refund.amount_minor;
      refund_links_[refund.payment_id] = refund_request_id;
    }
    original.refunded_minor += refund.amount_minor;
    payments_[refund.payment_id] = refund;
    return InsertResult{refund, true};
  }

  absl::StatusOr<TransitionResult> CompleteRefund(const std::string& refund_id, bool succeeded,
                                                  const std::string& reason,
                                                  const std::vector<std::string>& ledger_ids,
                                                  absl::Time now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Payment& refund = payments_.at(refund_id);
    if (refund.status != PaymentStatus::kPending) return TransitionResult{refund, false};
    Payment& original = payments_.at(refund.original_payment_id);
    if (succeeded) {
      ApplyLocked(refund,
                  {.to = PaymentStatus::kSucceeded,
                   .add_ledger_ids = ledger_ids,
                   .next_check_at = absl::InfiniteFuture(),
                   .event_type = "payments.refunded"},
                  now);
      if (refund.kind == PaymentKind::kReversal) {
        ApplyLocked(original, {.to = PaymentStatus::kReversed, .note = "reversed"}, now);
      } else if (original.refunded_minor == original.amount_minor) {
        ApplyLocked(original, {.to = PaymentStatus::kRefunded, .note = "refunded in full"}, now);
      }
      if (RefundRequestRecord* linked = LinkedLocked(refund.payment_id)) {
        linked->reserved_minor -= refund.amount_minor;
        linked->refunded_minor += refund.amount_minor;
        linked->refund_payment_id = refund.payment_id;
        linked->status =
            RefundRequestStatusAfterRefund(linked->amount_minor, linked->refunded_minor);
        if (linked->status == kRefundRequestRefunded) linked->decided_at = now;
      }
      const bool nothing_left =
          refund.kind == PaymentKind::kReversal || original.refunded_minor == original.amount_minor;
      for (auto& r : refund_requests_) {
        if (nothing_left && r.payment_id == original.payment_id && IsOpenRefundRequest(r.status) &&
            r.reserved_minor == 0) {
          r.status = kRefundRequestRefunded;
          r.refunded_minor = r.amount_minor;
          r.refund_payment_id = refund.payment_id;
          r.decided_at = now;
        }
      }
    } else {
      if (RefundRequestRecord* linked = LinkedLocked(refund.payment_id)) {
        linked->reserved_minor -= refund.amount_minor;
      }
      original.refunded_minor -= refund.amount_minor;
      ApplyLocked(refund,
                  {.to = PaymentStatus::kFailed,
                   .failure_reason = reason,
                   .next_check_at = absl::InfiniteFuture(),
                   .event_type = "payments.payment_failed"},
                  now);
    }
    return TransitionResult{refund, true};
  }

  absl::StatusOr<std::vector<Payment>> ClaimDueChecks(absl::Time now, absl::Duration lease,
                                                      int limit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Payment> out;
    for (auto& [id, p] : payments_) {
      if (p.status == PaymentStatus::kPending && p.next_check_at <= now &&
          static_cast<int>(out.size()) < limit) {
        p.next_check_at = now + lease;
        out.push_back(p);
      }
    }
    return out;
  }

  absl::Status InsertCard(const BankCard& card) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cards_[card.card_id] = card;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<BankCard>> ListCards(const std::string& user) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<BankCard> out;
    for (auto& [id, c] : cards_) {
      if (c.user_id == user) out.push_back(c);
    }
    return out;
  }
  absl::StatusOr<std::optional<BankCard>> GetCard(const std::string& user,
                                                  const std::string& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cards_.find(id);
    if (it == cards_.end() || it->second.user_id != user) return std::optional<BankCard>();
    return std::optional<BankCard>(it->second);
  }
  absl::Status RemoveCard(const std::string& user, const std::string& id, absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cards_.find(id);
    if (it == cards_.end() || it->second.user_id != user) {
      return NotFound("CARD_NOT_FOUND", "no such card");
    }
    cards_.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<PinState>> GetPin(const std::string& user) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pins_.find(user);
    if (it == pins_.end()) return std::optional<PinState>();
    return std::optional<PinState>(it->second);
  }
  absl::Status PutPin(const std::string& user, const std::string& hash, absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    pins_[user] = PinState{.hash = hash};
    return absl::OkStatus();
  }
  absl::StatusOr<PinState> RecordWrongPin(const std::string& user, absl::Time now, int max,
                                          absl::Duration base, absl::Duration cap) override {
    std::lock_guard<std::mutex> lock(mutex_);
    PinState& s = pins_.at(user);
    if (++s.failed_attempts >= max) {
      s.locked_until = now + std::min(cap, base * (int64_t{1} << std::min(s.lock_count, 20)));
      ++s.lock_count;
      s.failed_attempts = 0;
    }
    return s;
  }
  absl::Status RecordRightPin(const std::string& user) override {
    std::lock_guard<std::mutex> lock(mutex_);
    PinState& s = pins_.at(user);
    s.failed_attempts = 0;
    s.lock_count = 0;
    return absl::OkStatus();
  }

  absl::Status ReplacePinHash(const std::string& user, const std::string& old_hash,
                              const std::string& new_hash) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pins_.find(user);
    if (it != pins_.end() && it->second.hash == old_hash) it->second.hash = new_hash;
    return absl::OkStatus();
  }

  absl::StatusOr<Schedule> InsertSchedule(const Schedule& schedule) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, s] : schedules_) {
      if (s.user_id == schedule.user_id && s.idempotency_key == schedule.idempotency_key) return s;
    }
    schedules_[schedule.schedule_id] = schedule;
    return schedule;
  }
  absl::StatusOr<std::vector<Schedule>> ListSchedules(const std::string& user, int) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Schedule> out;
    for (auto& [id, s] : schedules_) {
      if (s.user_id == user) out.push_back(s);
    }
    return out;
  }
  absl::StatusOr<Schedule> CancelSchedule(const std::string& user, const std::string& id,
                                          absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = schedules_.find(id);
    if (it == schedules_.end() || it->second.user_id != user) {
      return NotFound("NOT_FOUND", "no such schedule");
    }
    if (it->second.status == ScheduleStatus::kActive)
      it->second.status = ScheduleStatus::kCancelled;
    return it->second;
  }
  absl::StatusOr<int> CancelUserSchedules(const std::string& user, absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    int n = 0;
    for (auto& [id, s] : schedules_) {
      if (s.user_id == user && s.status == ScheduleStatus::kActive) {
        s.status = ScheduleStatus::kCancelled;
        ++n;
      }
    }
    return n;
  }
  absl::StatusOr<std::vector<ClaimedRun>> ClaimDueRuns(absl::Time now, absl::Duration lease,
                                                       int limit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ClaimedRun> out;
    for (auto& [id, s] : schedules_) {
      while (s.status == ScheduleStatus::kActive && s.next_run_at <= now &&
             static_cast<int>(out.size()) < limit) {
        if (s.next_run_at >= s.ends_at) {
          s.status = ScheduleStatus::kCompleted;
          break;
        }
        if (runs_.insert({{id, s.next_run_at}, RunState{.claimed_at = now}}).second) {
          out.push_back({s, s.next_run_at});
        }
        s.next_run_at = NextPeriodStart(s.cadence, s.starts_at, s.next_run_at, zone_);
      }
    }
    for (auto& [run, state] : runs_) {
      if (static_cast<int>(out.size()) >= limit) break;
      const Schedule& s = schedules_.at(run.first);
      if (s.status == ScheduleStatus::kCancelled || !state.payment_id.empty() ||
          (state.completed && state.status != PaymentStatus::kPending) ||
          state.claimed_at > now - lease) {
        continue;
      }
      state.claimed_at = now;
      out.push_back({s, run.second});
    }
    return out;
  }
  absl::Status CompleteRun(const std::string& id, absl::Time period, const std::string& payment,
                           PaymentStatus status, const std::string& reason,
                           absl::Time now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    RunState& run = runs_.at({id, period});
    if (run.completed && run.status == status && run.payment_id == payment) {
      return absl::OkStatus();  // the same outcome twice: nothing changes
    }
    run.payment_id = payment;
    run.status = status;
    run.completed = true;
    Schedule& s = schedules_.at(id);
    if (s.last_period_start != absl::InfinitePast() && s.last_period_start > period) {
      return absl::OkStatus();  // a late outcome of an older period
    }
    s.last_period_start = period;
    s.last_ran_at = now;
    s.last_payment_id = payment;
    s.last_status = status;
    s.last_failure_reason = reason;
    s.failed_run_count = status == PaymentStatus::kFailed ? s.failed_run_count + 1 : 0;
    if (status == PaymentStatus::kFailed) events.emplace_back("payments.schedule_run_failed", id);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<RefundRequestRecord>> FindRefundRequest(
      const std::string& user_id, const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& existing : refund_requests_) {
      if (existing.user_id == user_id && existing.idempotency_key == key) return existing;
    }
    return std::optional<RefundRequestRecord>();
  }
  absl::StatusOr<RefundRequestRecord> InsertRefundRequest(const RefundRequestRecord& r) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& existing : refund_requests_) {
      if (existing.user_id == r.user_id && existing.idempotency_key == r.idempotency_key) {
        return existing;
      }
    }
    refund_requests_.push_back(r);
    return r;
  }
  absl::StatusOr<std::optional<RefundRequestRecord>> GetRefundRequest(
      const std::string& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& existing : refund_requests_) {
      if (existing.refund_request_id == id) return existing;
    }
    return std::optional<RefundRequestRecord>();
  }
  absl::StatusOr<std::vector<RefundRequestRecord>> ListRefundRequests(
      const RefundRequestQuery& query) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RefundRequestRecord> out;
    for (const auto& r : refund_requests_) {
      if (!query.user_id.empty() && r.user_id != query.user_id) continue;
      if (!query.merchant_id.empty() && r.merchant_id != query.merchant_id) continue;
      if (!query.payment_id.empty() && r.payment_id != query.payment_id) continue;
      if (!query.statuses.empty() && std::find(query.statuses.begin(), query.statuses.end(),
                                               r.status) == query.statuses.end()) {
        continue;
      }
      if (!query.after_refund_request_id.empty() &&
          r.refund_request_id >= query.after_refund_request_id) {
        continue;
      }
      out.push_back(r);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.refund_request_id > b.refund_request_id;
    });
    if (static_cast<int>(out.size()) > query.limit) out.resize(query.limit);
    return out;
  }
  absl::StatusOr<RefundRequestRecord> RejectRefundRequest(const std::string& merchant_id,
                                                          const std::string& id,
                                                          const std::string& reason,
                                                          absl::Time now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& r : refund_requests_) {
      if (r.refund_request_id != id || merchant_id.empty() || r.merchant_id != merchant_id) {
        continue;
      }
      if (!IsOpenRefundRequest(r.status)) {
        return Precondition("REFUND_REQUEST_NOT_OPEN", "already decided");
      }
      if (r.reserved_minor > 0) return Precondition("INVALID_STATE", "refund in progress");
      r.status = kRefundRequestRejected;
      r.decided_at = now;
      r.decision_reason = reason;
      events.emplace_back("payments.refund_request_rejected", r.refund_request_id);
      return r;
    }
    return NotFound("REFUND_REQUEST_NOT_FOUND", "no such request");
  }
  absl::Status AppendAudit(const AuditEntry& entry) override {
    std::lock_guard<std::mutex> lock(mutex_);
    audit.push_back(entry);
    return absl::OkStatus();
  }

  std::vector<AuditEntry> audit;
  int RunCount() const { return static_cast<int>(runs_.size()); }

 private:
  RefundRequestRecord* LinkedLocked(const std::string& refund_payment_id) {
    auto link = refund_links_.find(refund_payment_id);
    if (link == refund_links_.end()) return nullptr;
    const std::string request_id = link->second;
    refund_links_.erase(link);
    for (auto& r : refund_requests_) {
      if (r.refund_request_id == request_id) return &r;
    }
    return nullptr;
  }
  void ApplyLocked(Payment& p, const Transition& t, absl::Time now) {
    const bool changed = p.status != t.to;
    p.status = t.to;
    if (!t.failure_reason.empty()) p.failure_reason = t.failure_reason;
    if (t.risk_decision) p.risk_decision = *t.risk_decision;
    if (t.hold_id) p.hold_id = *t.hold_id;
    for (const auto& id : t.add_ledger_ids) p.ledger_transaction_ids.push_back(id);
    if (t.bank_reference) p.bank_reference = *t.bank_reference;
    if (t.bank_state) p.bank_state = *t.bank_state;
    if (t.arrives_by) p.arrives_by = *t.arrives_by;
    if (t.next_check_at) p.next_check_at = *t.next_check_at;
    if (IsTerminal(t.to)) p.next_check_at = absl::InfiniteFuture();
    p.updated_at = now;
    if (changed) {
      p.history.push_back({t.to, now, t.failure_reason, t.note});
      if (t.to == PaymentStatus::kSucceeded || t.to == PaymentStatus::kFailed) p.completed_at = now;
      if (!t.event_type.empty()) events.emplace_back(t.event_type, p.payment_id);
    }
  }
  Usage UsageLocked(const std::string& user, PaymentKind kind, absl::Time day_start) {
    Usage used;
    for (auto& [id, p] : payments_) {
      if (p.owner_user_id == user && p.kind == kind && p.status != PaymentStatus::kFailed &&
          p.created_at >= day_start) {
        used.amount_minor += p.amount_minor;
        ++used.count;
      }
    }
    return used;
  }

  absl::TimeZone zone_;
  std::mutex mutex_;
  std::map<std::string, Payment> payments_;
  std::map<std::string, BankCard> cards_;
  std::map<std::string, PinState> pins_;
  std::map<std::string, Schedule> schedules_;
  struct RunState {
    absl::Time claimed_at;
    std::string payment_id;
    PaymentStatus status = PaymentStatus::kPending;
    bool completed = false;
  };
  std::map<std::pair<std::string, absl::Time>, RunState> runs_;
  std::vector<RefundRequestRecord> refund_requests_;
  std::map<std::string, std::string> refund_links_;  // refund in flight → its request
};

}  // namespace uwallet::payments::testing
