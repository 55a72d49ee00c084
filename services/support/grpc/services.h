#pragma once
// The three gRPC services of support (sync API: every handler waits on PostgreSQL on one of the
// server's bounded sync threads). Handlers authorise (mapping.h table), map and call the desk;
// no rules live here. The two streams (WatchTicket, WatchQueue) wait on this replica's EventHub
// with bounded waits, so they end promptly when the client leaves or the server stops.

#include <memory>

#include "services/support/core/desk.h"
#include "services/support/grpc/clients.h"
#include "services/support/storage/redis_events.h"
#include "uwallet/common/clock.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/support/v1/support.grpc.pb.h"

namespace uwallet::support {

inline constexpr absl::Duration kStreamPollInterval = absl::Milliseconds(250);
inline constexpr absl::Duration kCustomer360PartTimeout = absl::Milliseconds(1500);

struct GrpcDeps {
  SupportDesk& desk;
  const grpcutil::IdentitySigner& signer;
  EventHub& hub;
  Peers& peers;
  const Clock& clock;
};

class SupportGrpc final : public v1::SupportService::Service {
 public:
  explicit SupportGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status CreateTicket(grpc::ServerContext* context, const v1::CreateTicketRequest* request,
                            v1::CreateTicketResponse* response) override;
  grpc::Status ListMyTickets(grpc::ServerContext* context, const v1::ListMyTicketsRequest* request,
                             v1::ListMyTicketsResponse* response) override;
  grpc::Status GetTicket(grpc::ServerContext* context, const v1::GetTicketRequest* request,
                         v1::GetTicketResponse* response) override;
  grpc::Status PostMessage(grpc::ServerContext* context, const v1::PostMessageRequest* request,
                           v1::PostMessageResponse* response) override;
  grpc::Status CloseTicket(grpc::ServerContext* context, const v1::CloseTicketRequest* request,
                           v1::CloseTicketResponse* response) override;
  grpc::Status ReopenTicket(grpc::ServerContext* context, const v1::ReopenTicketRequest* request,
                            v1::ReopenTicketResponse* response) override;
  grpc::Status RateTicket(grpc::ServerContext* context, const v1::RateTicketRequest* request,
                          v1::RateTicketResponse* response) override;
  grpc::Status WatchTicket(grpc::ServerContext* context, const v1::WatchTicketRequest* request,
                           grpc::ServerWriter<v1::WatchTicketResponse>* writer) override;
  grpc::Status OpenDispute(grpc::ServerContext* context, const v1::OpenDisputeRequest* request,
                           v1::OpenDisputeResponse* response) override;
  grpc::Status GetAttachment(grpc::ServerContext* context, const v1::GetAttachmentRequest* request,
                             v1::GetAttachmentResponse* response) override;
  grpc::Status SearchFaq(grpc::ServerContext* context, const v1::SearchFaqRequest* request,
                         v1::SearchFaqResponse* response) override;
  grpc::Status GetFaqArticle(grpc::ServerContext* context, const v1::GetFaqArticleRequest* request,
                             v1::GetFaqArticleResponse* response) override;
  grpc::Status Ask(grpc::ServerContext* context, const v1::AskRequest* request,
                   v1::AskResponse* response) override;

 private:
  GrpcDeps deps_;
};

class SupportAgentGrpc final : public v1::SupportAgentService::Service {
 public:
  explicit SupportAgentGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status ListQueue(grpc::ServerContext* context, const v1::ListQueueRequest* request,
                         v1::ListQueueResponse* response) override;
  grpc::Status GetTicket(grpc::ServerContext* context,
                         const v1::SupportAgentServiceGetTicketRequest* request,
                         v1::SupportAgentServiceGetTicketResponse* response) override;
  grpc::Status AssignTicket(grpc::ServerContext* context, const v1::AssignTicketRequest* request,
                            v1::AssignTicketResponse* response) override;
  grpc::Status Reply(grpc::ServerContext* context, const v1::ReplyRequest* request,
                     v1::ReplyResponse* response) override;
  grpc::Status SetStatus(grpc::ServerContext* context, const v1::SetStatusRequest* request,
                         v1::SetStatusResponse* response) override;
  grpc::Status WatchQueue(grpc::ServerContext* context, const v1::WatchQueueRequest* request,
                          grpc::ServerWriter<v1::WatchQueueResponse>* writer) override;
  grpc::Status SetAvailability(grpc::ServerContext* context,
                               const v1::SetAvailabilityRequest* request,
                               v1::SetAvailabilityResponse* response) override;
  grpc::Status GetCustomer360(grpc::ServerContext* context,
                              const v1::GetCustomer360Request* request,
                              v1::GetCustomer360Response* response) override;
  grpc::Status ResolveDispute(grpc::ServerContext* context,
                              const v1::ResolveDisputeRequest* request,
                              v1::ResolveDisputeResponse* response) override;
  grpc::Status ListTextModules(grpc::ServerContext* context,
                               const v1::ListTextModulesRequest* request,
                               v1::ListTextModulesResponse* response) override;
  grpc::Status UpsertTextModule(grpc::ServerContext* context,
                                const v1::UpsertTextModuleRequest* request,
                                v1::UpsertTextModuleResponse* response) override;
  grpc::Status UpsertFaqArticle(grpc::ServerContext* context,
                                const v1::UpsertFaqArticleRequest* request,
                                v1::UpsertFaqArticleResponse* response) override;
  grpc::Status ListFaqArticles(grpc::ServerContext* context,
                               const v1::ListFaqArticlesRequest* request,
                               v1::ListFaqArticlesResponse* response) override;
  grpc::Status GetSupportStats(grpc::ServerContext* context,
                               const v1::GetSupportStatsRequest* request,
                               v1::GetSupportStatsResponse* response) override;

 private:
  GrpcDeps deps_;
};

class SupportInternalGrpc final : public v1::SupportInternalService::Service {
 public:
  explicit SupportInternalGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status OpenSystemTicket(grpc::ServerContext* context,
                                const v1::OpenSystemTicketRequest* request,
                                v1::OpenSystemTicketResponse* response) override;

 private:
  GrpcDeps deps_;
};

}  // namespace uwallet::support
