#include <catch2/catch.hpp>

#include "uwallet/common/status.h"

namespace uwallet {
namespace {

absl::StatusOr<int> Half(int value) {
  if (value % 2 != 0) return WithReason(absl::StatusCode::kInvalidArgument, "ODD", "odd number");
  return value / 2;
}

absl::StatusOr<int> Quarter(int value) {
  UW_ASSIGN_OR_RETURN(int half, Half(value));
  UW_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int value) {
  UW_RETURN_IF_ERROR(Half(value).status());
  return absl::OkStatus();
}

TEST_CASE("UW_ASSIGN_OR_RETURN passes values and returns errors") {
  REQUIRE(Quarter(8).value() == 2);
  absl::StatusOr<int> odd = Quarter(6);  // 6 -> 3 -> odd
  REQUIRE(odd.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(ReasonOf(odd.status()) == "ODD");
}

TEST_CASE("UW_RETURN_IF_ERROR returns the first error") {
  REQUIRE(CheckEven(4).ok());
  REQUIRE(CheckEven(5).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Annotate keeps code and reason") {
  absl::Status annotated = Annotate(
      WithReason(absl::StatusCode::kFailedPrecondition, "ACCOUNT_FROZEN", "frozen"), "pay");
  REQUIRE(annotated.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(annotated.message() == "pay: frozen");
  REQUIRE(ReasonOf(annotated) == "ACCOUNT_FROZEN");
  REQUIRE(ReasonOf(absl::InternalError("x")).empty());
  REQUIRE(Annotate(absl::OkStatus(), "ctx").ok());
}

}  // namespace
}  // namespace uwallet
