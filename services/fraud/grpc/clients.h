#pragma once
// The fraud core's ports to auth, ledger, payments and support over gRPC. Every call carries an
// assertion naming this service (role service:fraud) and, while serving an RPC, inherits its
// deadline and cancellation (CallScope); background calls get kBackgroundCallTimeout.
// Downstream errors keep their code and reason (never re-wrapped as INTERNAL).

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "services/fraud/core/ports.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"
#include "uwallet/support/v1/support.grpc.pb.h"

namespace uwallet::fraud {

inline constexpr absl::Duration kBackgroundCallTimeout = absl::Seconds(5);
inline constexpr absl::Duration kCallTimeoutMax = absl::Seconds(10);

// Marks the RPC being served on this thread, so outgoing calls inherit its deadline.
class CallScope {
 public:
  explicit CallScope(const grpc::ServerContext* context);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  const grpc::ServerContext* previous_;
};

class RemoteCalls {
 public:
  explicit RemoteCalls(const grpcutil::IdentitySigner& signer) : signer_(signer) {}
  [[nodiscard]] std::unique_ptr<grpc::ClientContext> Context() const;

 private:
  const grpcutil::IdentitySigner& signer_;
};

class GrpcAuthClient final : public AuthClient {
 public:
  GrpcAuthClient(std::shared_ptr<grpc::Channel> channel, const RemoteCalls& calls)
      : stub_(auth::v1::AuthInternalService::NewStub(channel)), calls_(calls) {}
  absl::StatusOr<std::string> VerifyReportCode(const std::string& destination,
                                               const std::string& code) override;
  absl::Status FreezeUser(const std::string& user_id, const std::string& reason,
                          const std::string& case_id) override;
  absl::StatusOr<Contacts> GetContacts(const std::string& user_id) override;
  absl::StatusOr<bool> IsFrozen(const std::string& user_id) override;

 private:
  std::unique_ptr<auth::v1::AuthInternalService::Stub> stub_;
  const RemoteCalls& calls_;
};

class GrpcLedgerClient final : public LedgerClient {
 public:
  GrpcLedgerClient(std::shared_ptr<grpc::Channel> channel, const RemoteCalls& calls)
      : stub_(ledger::v1::LedgerInternalService::NewStub(channel)), calls_(calls) {}
  absl::Status FreezeOwner(const std::string& owner_id, const std::string& reason,
                           const std::string& reference) override;
  absl::Status UnfreezeOwner(const std::string& owner_id, const std::string& reason,
                             const std::string& reference) override;
  absl::StatusOr<std::vector<std::string>> ListPendingHolds(const std::string& owner_id) override;
  absl::Status VoidHold(const std::string& idempotency_key, const std::string& hold_id,
                        const std::string& reason) override;

 private:
  std::unique_ptr<ledger::v1::LedgerInternalService::Stub> stub_;
  const RemoteCalls& calls_;
};

class GrpcPaymentsClient final : public PaymentsClient {
 public:
  GrpcPaymentsClient(std::shared_ptr<grpc::Channel> channel, const RemoteCalls& calls)
      : stub_(payments::v1::PaymentsInternalService::NewStub(channel)), calls_(calls) {}
  absl::Status CancelUserSchedules(const std::string& user_id, const std::string& reason) override;
  absl::Status ResolveReview(const std::string& idempotency_key, const std::string& payment_id,
                             bool approve, const std::string& case_id,
                             const std::string& note) override;

 private:
  std::unique_ptr<payments::v1::PaymentsInternalService::Stub> stub_;
  const RemoteCalls& calls_;
};

class GrpcSupportClient final : public SupportClient {
 public:
  GrpcSupportClient(std::shared_ptr<grpc::Channel> channel, const RemoteCalls& calls)
      : stub_(support::v1::SupportInternalService::NewStub(channel)), calls_(calls) {}
  absl::StatusOr<std::string> OpenSystemTicket(const TicketRequest& request) override;

 private:
  std::unique_ptr<support::v1::SupportInternalService::Stub> stub_;
  const RemoteCalls& calls_;
};

}  // namespace uwallet::fraud
