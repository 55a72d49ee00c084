#include <catch2/catch.hpp>

#include "uwallet/common/status.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::grpcutil {
namespace {

TEST_CASE("codes and reasons survive the trip to gRPC and back") {
  absl::Status original =
      WithReason(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_FUNDS", "not enough money");
  grpc::Status wire = ToGrpcStatus(original);
  REQUIRE(wire.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(wire.error_message() == "not enough money");
  REQUIRE_FALSE(wire.error_details().empty());
  absl::Status back = FromGrpcStatus(wire);
  REQUIRE(back.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ReasonOf(back) == "INSUFFICIENT_FUNDS");
}

TEST_CASE("statuses without a reason carry no details; OK stays OK") {
  REQUIRE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status wire = ToGrpcStatus(absl::UnavailableError("down"));
  REQUIRE(wire.error_code() == grpc::StatusCode::UNAVAILABLE);
  REQUIRE(wire.error_details().empty());
  REQUIRE(FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "x", "garbage\xff")).code() ==
          absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace uwallet::grpcutil
