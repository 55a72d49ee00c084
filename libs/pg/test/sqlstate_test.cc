#include <catch2/catch.hpp>

#include "uwallet/pg/migrate.h"
#include "uwallet/pg/pg.h"

namespace uwallet::pg {
namespace {

TEST_CASE("SQLSTATEs map to codes by what the caller should do") {
  using C = absl::StatusCode;
  struct Case {
    const char* sqlstate;
    C code;
  };
  for (const Case& c :
       {Case{"23505", C::kAlreadyExists}, Case{"23503", C::kFailedPrecondition},
        Case{"23514", C::kFailedPrecondition}, Case{"P0001", C::kFailedPrecondition},
        Case{"22003", C::kInvalidArgument}, Case{"23502", C::kInvalidArgument},
        Case{"40001", C::kAborted}, Case{"40P01", C::kAborted}, Case{"57014", C::kDeadlineExceeded},
        Case{"08006", C::kUnavailable}, Case{"57P01", C::kUnavailable},
        Case{"53300", C::kResourceExhausted}, Case{"42501", C::kPermissionDenied},
        Case{"42P01", C::kInternal}}) {
    INFO(c.sqlstate);
    absl::Status status = StatusFromSqlState(c.sqlstate, "", "");
    REQUIRE(status.code() == c.code);
    REQUIRE(SqlStateOf(status) == c.sqlstate);
  }
}

TEST_CASE("constraint names and raised messages ride along, SQL never does") {
  absl::Status status = StatusFromSqlState("23514", "wallet_not_negative", "");
  REQUIRE(ConstraintOf(status) == "wallet_not_negative");
  REQUIRE(std::string(status.message()).find("SELECT") == std::string::npos);
  REQUIRE(RaisedMessageOf(StatusFromSqlState("P0001", "", "IMMUTABLE")) == "IMMUTABLE");
}

TEST_CASE("identifiers are quoted") { REQUIRE(QuoteIdentifier("a\"b") == "\"a\"\"b\""); }

TEST_CASE("params convert") {
  Params params = P(int64_t{42}, "x", std::nullopt, true);
  REQUIRE(params.size() == 4);
  REQUIRE(*params[0] == "42");
  REQUIRE_FALSE(params[2].has_value());
  REQUIRE(*params[3] == "t");
}

}  // namespace
}  // namespace uwallet::pg
