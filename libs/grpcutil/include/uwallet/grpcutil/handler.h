#pragma once
// Glue for RPC handlers, so that every handler reads the same way:
//
//   grpc::Status AuthGrpc::GetProfile(grpc::ServerContext* context, const Req* request, Resp* out)
//   {
//     return grpcutil::Handle(context, [&]() -> absl::Status {
//       UW_ASSIGN_OR_RETURN(auto identity, signer_.FromContext(*context));
//       ... core_.GetProfile(...) ...
//     });
//   }
//
// Handle sets the request id for logging, refuses calls whose deadline has passed or that were
// cancelled, converts the absl::Status once, and turns an escaped exception into INTERNAL without
// leaking its text.

#include <grpcpp/grpcpp.h>

#include <exception>

#include "absl/status/status.h"
#include "uwallet/common/log.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::grpcutil {

template <typename Body>
grpc::Status Handle(grpc::ServerContext* context, Body&& body) {
  log::ScopedRequestId scoped(RequestIdOf(*context));
  if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled");
  if (context->deadline() < std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded before start");
  }
  try {
    return ToGrpcStatus(body());
  } catch (const std::exception& e) {
    log::Error("handler threw", {{"error", e.what()}});
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

}  // namespace uwallet::grpcutil
