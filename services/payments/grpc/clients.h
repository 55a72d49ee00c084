#pragma once
// gRPC implementations of the core's outgoing clients: the ledger, auth and fraud internal APIs.
// Every call carries an assertion naming this service (role "service:payments") and inherits the
// deadline of the incoming call being served (grpcutil::OutgoingContext); calls made by workers get
// an explicit deadline. The fraud check has its own short deadline on top.

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "services/payments/core/ports.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"

namespace uwallet::payments {

// The incoming call this thread is serving, so that outgoing calls inherit its deadline. Set by
// the handlers (grpc/services.cc) for the duration of one call.
class IncomingCall {
 public:
  explicit IncomingCall(const grpc::ServerContext* context);
  ~IncomingCall();
  IncomingCall(const IncomingCall&) = delete;
  IncomingCall& operator=(const IncomingCall&) = delete;
  [[nodiscard]] static const grpc::ServerContext* Current();

 private:
  const grpc::ServerContext* previous_;
};

// A client context for a call to another service: the incoming deadline when serving a call,
// otherwise `timeout`; never later than now + `cap`.
[[nodiscard]] std::unique_ptr<grpc::ClientContext> CallContext(
    const grpcutil::IdentitySigner& signer, absl::Duration timeout, absl::Duration cap);

class GrpcLedgerClient final : public LedgerClient {
 public:
  GrpcLedgerClient(std::shared_ptr<grpc::Channel> channel, const grpcutil::IdentitySigner& signer,
                   absl::Duration timeout)
      : stub_(ledger::v1::LedgerInternalService::NewStub(channel)),
        signer_(signer),
        timeout_(timeout) {}

  absl::StatusOr<std::vector<std::string>> PostLinked(const std::string& idempotency_key,
                                                      const std::vector<Leg>& legs) override;
  absl::StatusOr<std::string> CreateHold(const std::string& idempotency_key,
                                         const HoldSpec& hold) override;
  absl::StatusOr<std::vector<std::string>> PostHold(const std::string& idempotency_key,
                                                    const std::string& hold_id,
                                                    const std::vector<Leg>& linked) override;
  absl::Status VoidHold(const std::string& idempotency_key, const std::string& hold_id,
                        const std::string& reason) override;

  // Opens (or finds) the account behind a reference; cached.
  [[nodiscard]] absl::StatusOr<std::string> AccountId(const AccountRef& ref);

 private:
  [[nodiscard]] absl::Status Fill(const Leg& leg, ledger::v1::TransferSpec* spec);

  std::unique_ptr<ledger::v1::LedgerInternalService::Stub> stub_;
  const grpcutil::IdentitySigner& signer_;
  absl::Duration timeout_;
  std::mutex mutex_;
  std::map<std::string, std::string> accounts_;
};

class GrpcAuthClient final : public AuthClient {
 public:
  GrpcAuthClient(std::shared_ptr<grpc::Channel> channel, const grpcutil::IdentitySigner& signer,
                 absl::Duration timeout)
      : stub_(auth::v1::AuthInternalService::NewStub(channel)),
        signer_(signer),
        timeout_(timeout) {}
  absl::StatusOr<UserInfo> LookupUser(const PayeeRef& key) override;
  absl::Status ValidateStepUp(const std::string& user_id, const std::string& token,
                              StepUpAction action, bool consume) override;

 private:
  std::unique_ptr<auth::v1::AuthInternalService::Stub> stub_;
  const grpcutil::IdentitySigner& signer_;
  absl::Duration timeout_;
};

class GrpcRiskClient final : public RiskClient {
 public:
  GrpcRiskClient(std::shared_ptr<grpc::Channel> channel, const grpcutil::IdentitySigner& signer,
                 absl::Duration timeout)
      : stub_(fraud::v1::FraudInternalService::NewStub(channel)),
        signer_(signer),
        timeout_(timeout) {}
  absl::StatusOr<RiskDecision> Assess(const RiskQuery& query) override;

 private:
  std::unique_ptr<fraud::v1::FraudInternalService::Stub> stub_;
  const grpcutil::IdentitySigner& signer_;
  absl::Duration timeout_;
};

}  // namespace uwallet::payments
