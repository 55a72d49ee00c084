#pragma once
// The three gRPC services of the ledger. Handlers only authorise (authz.h), map (mapping.h) and
// call the core; no rules live here.
//
//   LedgerPublicGrpc    sync API (reads on a bounded sync thread pool).
//   LedgerAdminGrpc     sync API.
//   LedgerInternalGrpc  callback API: postings go to the batching writer and the reactor is
//                       finished by the writer's callback, so no gRPC thread waits on a commit;
//                       the other internal RPCs run on a bounded WorkerPool.

#include <memory>

#include "services/ledger/core/queries.h"
#include "services/ledger/grpc/worker_pool.h"
#include "services/ledger/storage/batching_writer.h"
#include "uwallet/common/clock.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"

namespace uwallet::ledger {

struct GrpcDeps {
  const grpcutil::IdentitySigner& signer;
  LedgerQueries& queries;
  BatchingWriter& writer;
  const Clock& clock;
};

class LedgerPublicGrpc final : public v1::LedgerService::Service {
 public:
  explicit LedgerPublicGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status GetBalances(grpc::ServerContext* context, const v1::GetBalancesRequest* request,
                           v1::GetBalancesResponse* response) override;
  grpc::Status ListTransactions(grpc::ServerContext* context,
                                const v1::ListTransactionsRequest* request,
                                v1::ListTransactionsResponse* response) override;
  grpc::Status GetTransaction(grpc::ServerContext* context,
                              const v1::GetTransactionRequest* request,
                              v1::GetTransactionResponse* response) override;
  grpc::Status GetSpendingSummary(grpc::ServerContext* context,
                                  const v1::GetSpendingSummaryRequest* request,
                                  v1::GetSpendingSummaryResponse* response) override;

 private:
  GrpcDeps deps_;
};

class LedgerAdminGrpc final : public v1::LedgerAdminService::Service {
 public:
  explicit LedgerAdminGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status GetTrialBalance(grpc::ServerContext* context,
                               const v1::GetTrialBalanceRequest* request,
                               v1::GetTrialBalanceResponse* response) override;
  grpc::Status GetAccountStatement(grpc::ServerContext* context,
                                   const v1::GetAccountStatementRequest* request,
                                   v1::GetAccountStatementResponse* response) override;

 private:
  GrpcDeps deps_;
};

inline constexpr int kInternalWorkerThreads = 8;
inline constexpr size_t kInternalWorkerQueueMax = 2000;

class LedgerInternalGrpc final : public v1::LedgerInternalService::CallbackService {
 public:
  explicit LedgerInternalGrpc(GrpcDeps deps)
      : deps_(deps), workers_(kInternalWorkerThreads, kInternalWorkerQueueMax) {}

  grpc::ServerUnaryReactor* OpenAccount(grpc::CallbackServerContext* context,
                                        const v1::OpenAccountRequest* request,
                                        v1::OpenAccountResponse* response) override;
  grpc::ServerUnaryReactor* PostTransfers(grpc::CallbackServerContext* context,
                                          const v1::PostTransfersRequest* request,
                                          v1::PostTransfersResponse* response) override;
  grpc::ServerUnaryReactor* CreateHold(grpc::CallbackServerContext* context,
                                       const v1::CreateHoldRequest* request,
                                       v1::CreateHoldResponse* response) override;
  grpc::ServerUnaryReactor* PostHold(grpc::CallbackServerContext* context,
                                     const v1::PostHoldRequest* request,
                                     v1::PostHoldResponse* response) override;
  grpc::ServerUnaryReactor* VoidHold(grpc::CallbackServerContext* context,
                                     const v1::VoidHoldRequest* request,
                                     v1::VoidHoldResponse* response) override;
  grpc::ServerUnaryReactor* ListHolds(grpc::CallbackServerContext* context,
                                      const v1::ListHoldsRequest* request,
                                      v1::ListHoldsResponse* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::GetAccountResponse* response) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* context,
                                         const v1::ListAccountsRequest* request,
                                         v1::ListAccountsResponse* response) override;
  grpc::ServerUnaryReactor* FreezeAccount(grpc::CallbackServerContext* context,
                                          const v1::FreezeAccountRequest* request,
                                          v1::FreezeAccountResponse* response) override;
  grpc::ServerUnaryReactor* UnfreezeAccount(grpc::CallbackServerContext* context,
                                            const v1::UnfreezeAccountRequest* request,
                                            v1::UnfreezeAccountResponse* response) override;

 private:
  // Authorises, then runs `body` on the worker pool and finishes the reactor with its status.
  grpc::ServerUnaryReactor* Blocking(grpc::CallbackServerContext* context, const char* method,
                                     std::function<absl::Status()> body);
  // Authorises, sends the operation to the batching writer; `fill` maps the result.
  grpc::ServerUnaryReactor* Posting(
      grpc::CallbackServerContext* context, const char* method,
      std::function<absl::StatusOr<Operation>(std::string caller)> make_operation,
      std::function<void(const OperationResult&)> fill);

  GrpcDeps deps_;
  WorkerPool workers_;
};

}  // namespace uwallet::ledger
