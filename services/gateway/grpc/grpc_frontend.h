#pragma once
// The gateway's gRPC listener: one grpc::Service per routed public service, built from the route
// table (so reflection lists exactly what the gateway forwards), whose every method is a raw
// callback handler handing the call to the Forwarder. No per-RPC code.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "services/gateway/grpc/forwarder.h"

namespace uwallet::gateway {

// One service object per routed service name.
[[nodiscard]] std::vector<std::shared_ptr<grpc::Service>> MakeForwardingServices(
    Forwarder& forwarder);

}  // namespace uwallet::gateway
