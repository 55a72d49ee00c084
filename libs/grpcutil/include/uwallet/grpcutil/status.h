#pragma once
// absl::Status <-> grpc::Status, done once at the handler boundary. The code is kept as is (never
// re-wrapped as INTERNAL), and a reason set with uwallet::WithReason travels to the client as a
// google.rpc.ErrorInfo inside google.rpc.Status in the `grpc-status-details-bin` trailer, which
// gRPC, gRPC-Web and Connect clients all decode.

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace uwallet::grpcutil {

inline constexpr char kErrorDomain[] = "uwallet.dev";

[[nodiscard]] grpc::Status ToGrpcStatus(const absl::Status& status);
[[nodiscard]] absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace uwallet::grpcutil
