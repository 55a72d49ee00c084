#include "services/gateway/grpc/home.h"

#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <latch>

#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/gateway/v1/gateway.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"
#include "uwallet/support/v1/support.grpc.pb.h"

namespace uwallet::gateway {
namespace {

constexpr int kRecentTransactionsDefault = 5;
constexpr int kRecentTransactionsMax = 20;
constexpr int kOpenTicketsMax = 5;
constexpr int kUnreadAlertsMax = 5;

// Tracks the branches and records the failed ones.
class Branches {
 public:
  Branches(int count, gateway::v1::GetHomeResponse* response) : done_(count), response_(response) {}
  void Failed(const char* part, const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto* unavailable = response_->add_unavailable_parts();
    unavailable->set_part(part);
    unavailable->set_status_code(static_cast<int>(status.error_code()));
    google::rpc::Status details;
    if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
      for (const auto& any : details.details()) {
        google::rpc::ErrorInfo info;
        if (any.UnpackTo(&info)) {
          unavailable->mutable_error()->set_reason(info.reason());
          unavailable->mutable_error()->set_domain(info.domain());
        }
      }
    }
  }
  std::mutex& mutex() { return mutex_; }
  void Done() { done_.count_down(); }
  void Wait() { done_.wait(); }

 private:
  std::latch done_;
  std::mutex mutex_;
  gateway::v1::GetHomeResponse* response_;
};

}  // namespace

absl::StatusOr<grpc::ByteBuffer> HomeHandler::Handle(
    const std::string& method, const grpcutil::Identity& identity,
    const std::string& identity_assertion, const grpc::ByteBuffer& request_bytes,
    std::chrono::system_clock::time_point deadline) {
  if (method != "/uwallet.gateway.v1.GatewayService/GetHome") {
    return absl::UnimplementedError("not served by the gateway");
  }
  if (identity.user_id.empty()) return absl::UnauthenticatedError("sign in first");
  gateway::v1::GetHomeRequest request;
  {
    grpc::ByteBuffer copy(request_bytes);
    grpc::ProtoBufferReader reader(&copy);
    if (!request.ParseFromZeroCopyStream(&reader)) {
      return absl::InvalidArgumentError("malformed GetHomeRequest");
    }
  }
  if (request.recent_transactions_limit() < 0 ||
      request.recent_transactions_limit() > kRecentTransactionsMax) {
    return absl::InvalidArgumentError("recent_transactions_limit must be 0..20");
  }
  const int recent = request.recent_transactions_limit() == 0 ? kRecentTransactionsDefault
                                                              : request.recent_transactions_limit();

  gateway::v1::GetHomeResponse response;
  const auto branch_deadline =
      std::min(deadline, std::chrono::system_clock::now() +
                             std::chrono::milliseconds(absl::ToInt64Milliseconds(branch_timeout_)));
  auto context = [&] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(branch_deadline);
    c->AddMetadata(grpcutil::kIdentityHeader, identity_assertion);
    return c;
  };

  Branches branches(5, &response);
  auto profile_ctx = context();
  auth::v1::GetProfileRequest profile_request;
  auth::v1::GetProfileResponse profile_response;
  auth::v1::AuthService::NewStub(upstreams_.auth)
      ->async()
      ->GetProfile(profile_ctx.get(), &profile_request, &profile_response,
                   [&](grpc::Status status) {
                     if (status.ok()) {
                       std::lock_guard<std::mutex> lock(branches.mutex());
                       *response.mutable_profile() = profile_response.profile();
                     } else {
                       branches.Failed("profile", status);
                     }
                     branches.Done();
                   });

  auto balances_ctx = context();
  ledger::v1::GetBalancesRequest balances_request;
  balances_request.set_currency(request.currency());
  ledger::v1::GetBalancesResponse balances_response;
  ledger::v1::LedgerService::NewStub(upstreams_.ledger)
      ->async()
      ->GetBalances(balances_ctx.get(), &balances_request, &balances_response,
                    [&](grpc::Status status) {
                      if (status.ok()) {
                        std::lock_guard<std::mutex> lock(branches.mutex());
                        *response.mutable_balances() = balances_response.balances();
                      } else {
                        branches.Failed("balances", status);
                      }
                      branches.Done();
                    });

  auto transactions_ctx = context();
  ledger::v1::ListTransactionsRequest transactions_request;
  transactions_request.set_page_size(recent);
  ledger::v1::ListTransactionsResponse transactions_response;
  ledger::v1::LedgerService::NewStub(upstreams_.ledger)
      ->async()
      ->ListTransactions(transactions_ctx.get(), &transactions_request, &transactions_response,
                         [&](grpc::Status status) {
                           if (status.ok()) {
                             std::lock_guard<std::mutex> lock(branches.mutex());
                             *response.mutable_recent_transactions() =
                                 transactions_response.transactions();
                           } else {
                             branches.Failed("recent_transactions", status);
                           }
                           branches.Done();
                         });

  auto tickets_ctx = context();
  support::v1::ListMyTicketsRequest tickets_request;
  for (auto status :
       {support::v1::TICKET_STATUS_NEW, support::v1::TICKET_STATUS_OPEN,
        support::v1::TICKET_STATUS_PENDING_CUSTOMER, support::v1::TICKET_STATUS_RESOLVED}) {
    tickets_request.add_statuses(status);
  }
  tickets_request.set_page_size(kOpenTicketsMax);
  support::v1::ListMyTicketsResponse tickets_response;
  support::v1::SupportService::NewStub(upstreams_.support)
      ->async()
      ->ListMyTickets(tickets_ctx.get(), &tickets_request, &tickets_response,
                      [&](grpc::Status status) {
                        if (status.ok()) {
                          std::lock_guard<std::mutex> lock(branches.mutex());
                          *response.mutable_open_tickets() = tickets_response.tickets();
                        } else {
                          branches.Failed("open_tickets", status);
                        }
                        branches.Done();
                      });

  auto alerts_ctx = context();
  fraud::v1::ListMyAlertsRequest alerts_request;
  alerts_request.set_unread_only(true);
  alerts_request.set_page_size(kUnreadAlertsMax);
  fraud::v1::ListMyAlertsResponse alerts_response;
  fraud::v1::FraudService::NewStub(upstreams_.fraud)
      ->async()
      ->ListMyAlerts(alerts_ctx.get(), &alerts_request, &alerts_response, [&](grpc::Status status) {
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(branches.mutex());
          *response.mutable_unread_alerts() = alerts_response.alerts();
          response.set_unread_alert_count(alerts_response.unread_count());
        } else {
          branches.Failed("unread_alerts", status);
        }
        branches.Done();
      });

  branches.Wait();
  *response.mutable_generated_at() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(clock_.Now()));
  grpc::ByteBuffer out;
  bool own_buffer = false;
  if (!grpc::GenericSerialize<grpc::ProtoBufferWriter, gateway::v1::GetHomeResponse>(response, &out,
                                                                                     &own_buffer)
           .ok()) {
    return absl::InternalError("cannot serialise the home screen");
  }
  return out;
}

}  // namespace uwallet::gateway
