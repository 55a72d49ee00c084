#include <catch2/catch.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "uwallet/common/error_metadata.h"
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

TEST_CASE("error metadata travels as ErrorInfo.metadata and back") {
  absl::Status original = WithErrorMetadata(
      WithReason(absl::StatusCode::kInvalidArgument, "CODE_INVALID", "wrong; attempts_left=2"),
      {{"attempts_left", "2"}});
  original = WithErrorMetadata(original, {{"note", "a=b\nc"}});
  CHECK(ErrorMetadataOf(original).size() == 2);
  grpc::Status wire = ToGrpcStatus(original);
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(wire.error_details()));
  REQUIRE(details.details_size() == 1);
  google::rpc::ErrorInfo info;
  REQUIRE(details.details(0).UnpackTo(&info));
  CHECK(info.reason() == "CODE_INVALID");
  CHECK(info.metadata().at("attempts_left") == "2");
  CHECK(info.metadata().at("note") == "a=b\nc");
  absl::Status back = FromGrpcStatus(wire);
  CHECK(ReasonOf(back) == "CODE_INVALID");
  CHECK(ErrorMetadataOf(back) == ErrorMetadataOf(original));
  // No metadata: none on the wire; OK statuses take none.
  grpc::Status plain = ToGrpcStatus(WithReason(absl::StatusCode::kNotFound, "NOT_FOUND", "x"));
  REQUIRE(details.ParseFromString(plain.error_details()));
  REQUIRE(details.details(0).UnpackTo(&info));
  CHECK(info.metadata().empty());
  CHECK(WithErrorMetadata(absl::OkStatus(), {{"k", "v"}}).ok());
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
