#include <catch2/catch.hpp>

#include "nlohmann/json.hpp"
#include "uwallet/common/log.h"

namespace uwallet::log {
namespace {

TEST_CASE("log lines are JSON with the request id in scope") {
  SetService("testsvc");
  std::string line;
  {
    ScopedRequestId scoped("req-42");
    line = Format(Level::kWarn, "hello \"world\"", {{"user", "u1"}});
  }
  auto parsed = nlohmann::json::parse(line);
  REQUIRE(parsed["level"] == "warn");
  REQUIRE(parsed["svc"] == "testsvc");
  REQUIRE(parsed["req"] == "req-42");
  REQUIRE(parsed["msg"] == "hello \"world\"");
  REQUIRE(parsed["user"] == "u1");
  REQUIRE(CurrentRequestId().empty());
  // Invalid UTF-8 does not throw.
  REQUIRE_NOTHROW(nlohmann::json::parse(Format(Level::kInfo, std::string("\xff\xfe"), {})));
}

TEST_CASE("levels parse") {
  Level level = Level::kInfo;
  REQUIRE(ParseLevel("debug", &level));
  REQUIRE(level == Level::kDebug);
  REQUIRE_FALSE(ParseLevel("loud", &level));
}

}  // namespace
}  // namespace uwallet::log
