#pragma once
// The PaymentStore on PostgreSQL (schema/0001_payments.sql). Each method is one transaction; status
// changes write their history row and outbox event in the same transaction.

#include "absl/time/time.h"
#include "services/payments/core/ports.h"
#include "uwallet/events/events.h"
#include "uwallet/pg/pg.h"

namespace uwallet::payments {

class PgPaymentStore final : public PaymentStore {
 public:
  PgPaymentStore(pg::Pool& pool, events::Outbox& outbox, absl::TimeZone zone)
      : pool_(pool), outbox_(outbox), zone_(zone) {}

  absl::StatusOr<InsertResult> InsertPayment(const Payment& payment,
                                             const std::optional<DailyLimitCheck>& limit) override;
  absl::StatusOr<std::optional<Payment>> GetPayment(const std::string& payment_id) override;
  absl::StatusOr<std::optional<Payment>> FindByKey(const std::string& owner_user_id,
                                                   const std::string& idempotency_key) override;
  absl::StatusOr<TransitionResult> Apply(const std::string& payment_id,
                                         const Transition& transition, absl::Time now) override;
  absl::StatusOr<std::vector<Payment>> ListPayments(const PaymentQuery& query) override;
  absl::StatusOr<Usage> DailyUsage(const std::string& user_id, PaymentKind kind,
                                   absl::Time day_start) override;
  absl::StatusOr<InsertResult> ReserveRefund(const Payment& refund,
                                             const std::string& refund_request_id) override;
  absl::StatusOr<TransitionResult> CompleteRefund(const std::string& refund_id, bool succeeded,
                                                  const std::string& failure_reason,
                                                  const std::vector<std::string>& ledger_ids,
                                                  absl::Time now) override;
  absl::StatusOr<std::vector<Payment>> ClaimDueChecks(absl::Time now, absl::Duration lease,
                                                      int limit) override;
  absl::Status InsertCard(const BankCard& card) override;
  absl::StatusOr<std::vector<BankCard>> ListCards(const std::string& user_id) override;
  absl::StatusOr<std::optional<BankCard>> GetCard(const std::string& user_id,
                                                  const std::string& card_id) override;
  absl::Status RemoveCard(const std::string& user_id, const std::string& card_id,
                          absl::Time now) override;
  absl::StatusOr<std::optional<PinState>> GetPin(const std::string& user_id) override;
  absl::Status PutPin(const std::string& user_id, const std::string& hash, absl::Time now) override;
  absl::StatusOr<PinState> RecordWrongPin(const std::string& user_id, absl::Time now,
                                          int attempts_max, absl::Duration lock_base,
                                          absl::Duration lock_max) override;
  absl::Status RecordRightPin(const std::string& user_id) override;
  absl::Status ReplacePinHash(const std::string& user_id, const std::string& old_hash,
                              const std::string& new_hash) override;
  absl::StatusOr<Schedule> InsertSchedule(const Schedule& schedule) override;
  absl::StatusOr<std::vector<Schedule>> ListSchedules(const std::string& user_id,
                                                      int limit) override;
  absl::StatusOr<Schedule> CancelSchedule(const std::string& user_id,
                                          const std::string& schedule_id, absl::Time now) override;
  absl::StatusOr<int> CancelUserSchedules(const std::string& user_id, absl::Time now) override;
  absl::StatusOr<std::vector<ClaimedRun>> ClaimDueRuns(absl::Time now, absl::Duration lease,
                                                       int limit) override;
  absl::Status CompleteRun(const std::string& schedule_id, absl::Time period_start,
                           const std::string& payment_id, PaymentStatus status,
                           const std::string& failure_reason, absl::Time now) override;
  absl::StatusOr<std::optional<RefundRequestRecord>> FindRefundRequest(
      const std::string& user_id, const std::string& idempotency_key) override;
  absl::StatusOr<RefundRequestRecord> InsertRefundRequest(
      const RefundRequestRecord& request) override;
  absl::StatusOr<std::optional<RefundRequestRecord>> GetRefundRequest(
      const std::string& refund_request_id) override;
  absl::StatusOr<std::vector<RefundRequestRecord>> ListRefundRequests(
      const RefundRequestQuery& query) override;
  absl::StatusOr<RefundRequestRecord> RejectRefundRequest(const std::string& merchant_id,
                                                          const std::string& refund_request_id,
                                                          const std::string& reason,
                                                          absl::Time now) override;
  absl::Status AppendAudit(const AuditEntry& entry) override;

 private:
  pg::Pool& pool_;
  events::Outbox& outbox_;
  absl::TimeZone zone_;
};

}  // namespace uwallet::payments
