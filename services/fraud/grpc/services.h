#pragma once
// The three gRPC services: proto ↔ domain mapping and the authorisation check per RPC. Logic
// lives in core/ (Assessor, StolenAccountFlow) and storage/ (repositories, AlertHub).

#include "services/fraud/core/assessor.h"
#include "services/fraud/core/stolen.h"
#include "services/fraud/storage/alert_hub.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::fraud {

inline constexpr int kPageSizeDefault = 20;
inline constexpr int kPageSizeMax = 100;
inline constexpr int kWatchBatchMax = 50;
inline constexpr absl::Duration kWatchLifetimeMax = absl::Minutes(30);

struct GrpcDeps {
  const grpcutil::IdentitySigner& signer;
  Assessor& assessor;
  FraudRepository& repository;
  StolenAccountFlow& stolen;
  AlertHub& hub;
  const Clock& clock;
  // Called with each Assess decision (for metrics); may be empty.
  std::function<void(Decision)> on_assessed = {};
};

class FraudPublicGrpc final : public v1::FraudService::Service {
 public:
  explicit FraudPublicGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status ListMyAlerts(grpc::ServerContext* context, const v1::ListMyAlertsRequest* request,
                            v1::ListMyAlertsResponse* response) override;
  grpc::Status AcknowledgeAlert(grpc::ServerContext* context,
                                const v1::AcknowledgeAlertRequest* request,
                                v1::AcknowledgeAlertResponse* response) override;
  grpc::Status WatchAlerts(grpc::ServerContext* context, const v1::WatchAlertsRequest* request,
                           grpc::ServerWriter<v1::WatchAlertsResponse>* writer) override;
  grpc::Status GetAlertSettings(grpc::ServerContext* context,
                                const v1::GetAlertSettingsRequest* request,
                                v1::GetAlertSettingsResponse* response) override;
  grpc::Status UpdateAlertSettings(grpc::ServerContext* context,
                                   const v1::UpdateAlertSettingsRequest* request,
                                   v1::UpdateAlertSettingsResponse* response) override;
  grpc::Status ReportAccountStolen(grpc::ServerContext* context,
                                   const v1::ReportAccountStolenRequest* request,
                                   v1::ReportAccountStolenResponse* response) override;
  grpc::Status FlagTransaction(grpc::ServerContext* context,
                               const v1::FlagTransactionRequest* request,
                               v1::FlagTransactionResponse* response) override;

 private:
  GrpcDeps deps_;
};

class FraudInternalGrpc final : public v1::FraudInternalService::Service {
 public:
  explicit FraudInternalGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status Assess(grpc::ServerContext* context, const v1::AssessRequest* request,
                      v1::AssessResponse* response) override;

 private:
  GrpcDeps deps_;
};

class FraudAnalystGrpc final : public v1::FraudAnalystService::Service {
 public:
  explicit FraudAnalystGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status ListCases(grpc::ServerContext* context, const v1::ListCasesRequest* request,
                         v1::ListCasesResponse* response) override;
  grpc::Status GetCase(grpc::ServerContext* context, const v1::GetCaseRequest* request,
                       v1::GetCaseResponse* response) override;
  grpc::Status ListUserAlerts(grpc::ServerContext* context,
                              const v1::ListUserAlertsRequest* request,
                              v1::ListUserAlertsResponse* response) override;
  grpc::Status ResolveCase(grpc::ServerContext* context, const v1::ResolveCaseRequest* request,
                           v1::ResolveCaseResponse* response) override;
  grpc::Status ListRules(grpc::ServerContext* context, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;
  grpc::Status UpdateRule(grpc::ServerContext* context, const v1::UpdateRuleRequest* request,
                          v1::UpdateRuleResponse* response) override;

 private:
  GrpcDeps deps_;
};

}  // namespace uwallet::fraud
