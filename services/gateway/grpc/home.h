#pragma once
// GatewayService.GetHome: the wallet's home screen in one call. Five branches (profile, balances,
// recent transactions, open tickets, unread alerts) run in parallel, each with its own deadline
// inside the call's; a branch that fails is listed in unavailable_parts and the rest still comes
// back.

#include <grpcpp/grpcpp.h>

#include "services/gateway/grpc/forwarder.h"
#include "uwallet/common/clock.h"

namespace uwallet::gateway {

class HomeHandler final : public LocalHandler {
 public:
  HomeHandler(Forwarder::Upstreams upstreams, const Clock& clock,
              absl::Duration branch_timeout = absl::Milliseconds(1500))
      : upstreams_(std::move(upstreams)), clock_(clock), branch_timeout_(branch_timeout) {}
  [[nodiscard]] absl::StatusOr<grpc::ByteBuffer> Handle(
      const std::string& method, const grpcutil::Identity& identity,
      const std::string& identity_assertion, const grpc::ByteBuffer& request,
      std::chrono::system_clock::time_point deadline) override;

 private:
  Forwarder::Upstreams upstreams_;
  const Clock& clock_;
  absl::Duration branch_timeout_;
};

}  // namespace uwallet::gateway
