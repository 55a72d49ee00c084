#pragma once
// The other services as support calls them. Every call inherits the incoming call's deadline
// (grpcutil::OutgoingContext) and carries either the caller's own assertion (the customer's for
// reading their payment, the agent's for audited staff actions) or support's service assertion
// (ledger internal API).

#include <memory>
#include <string>

#include "services/support/core/ports.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"

namespace uwallet::support {

// Owner of the ledger suspense account that dispute holds credit.
inline constexpr char kDisputeSuspenseOwner[] = "support_disputes";

struct Peers {
  std::unique_ptr<auth::v1::AuthAdminService::Stub> auth_admin;
  std::unique_ptr<auth::v1::AuthInternalService::Stub> auth_internal;
  std::unique_ptr<ledger::v1::LedgerInternalService::Stub> ledger_internal;
  std::unique_ptr<payments::v1::PaymentsService::Stub> payments;
  std::unique_ptr<payments::v1::PaymentsAdminService::Stub> payments_admin;
  std::unique_ptr<fraud::v1::FraudAnalystService::Stub> fraud_analyst;
};

// MoneyClient for one incoming call.
class GrpcMoneyClient final : public MoneyClient {
 public:
  GrpcMoneyClient(Peers& peers, const grpcutil::IdentitySigner& signer,
                  const grpc::ServerContext& incoming, std::string caller_assertion)
      : peers_(peers),
        signer_(signer),
        incoming_(incoming),
        caller_assertion_(std::move(caller_assertion)) {}

  absl::StatusOr<PaymentInfo> GetPayment(const std::string& payment_id) override;
  absl::StatusOr<std::string> CreateDisputeHold(const std::string& idempotency_key,
                                                const PaymentInfo& payment, const Money& amount,
                                                const std::string& ticket_id) override;
  absl::Status VoidHold(const std::string& idempotency_key, const std::string& hold_id,
                        const std::string& reason) override;
  absl::StatusOr<std::string> Refund(const std::string& idempotency_key,
                                     const std::string& payment_id, const Money& amount,
                                     const std::string& reason,
                                     const std::string& ticket_id) override;

 private:
  absl::StatusOr<std::string> OpenAccount(const std::string& owner_id, int owner_kind,
                                          int account_kind, const std::string& currency);

  Peers& peers_;
  const grpcutil::IdentitySigner& signer_;
  const grpc::ServerContext& incoming_;
  std::string caller_assertion_;
};

// Display names and locales from auth (AuthInternalService.GetContacts, support's service
// assertion), each call bounded by kDirectoryTimeout. Cached by the desk (AuthorNames).
inline constexpr absl::Duration kDirectoryTimeout = absl::Milliseconds(800);
class GrpcDirectory final : public Directory {
 public:
  GrpcDirectory(Peers& peers, const grpcutil::IdentitySigner& signer)
      : peers_(peers), signer_(signer) {}
  absl::StatusOr<Person> Lookup(const std::string& user_id) override;

 private:
  Peers& peers_;
  const grpcutil::IdentitySigner& signer_;
};

// The incoming call's identity header, to pass on.
[[nodiscard]] std::string AssertionOf(const grpc::ServerContext& context);

}  // namespace uwallet::support
