#pragma once
// The vocabulary of the per-RPC metrics, shared by the server interceptor (libs/grpcutil) and the
// gateway's forwarding metrics, so both read the same on a dashboard.

#include <grpcpp/grpcpp.h>

#include "prometheus/histogram.h"

namespace uwallet::grpcutil {

// "OK", "CANCELLED", ... "UNAUTHENTICATED": the `code` label.
[[nodiscard]] const char* StatusCodeName(grpc::StatusCode code);

// Latency buckets in seconds, 0.5 ms .. 10 s.
[[nodiscard]] const prometheus::Histogram::BucketBoundaries& RpcLatencyBuckets();

}  // namespace uwallet::grpcutil
