#include <catch2/catch.hpp>
#include <map>

#include "uwallet/common/config.h"

namespace uwallet {
namespace {

struct Settings {
  std::string dsn = "host=default";
  int64_t pool = 8;
  bool reflection = true;
  absl::Duration timeout = absl::Seconds(5);
};

Config MakeConfig(Settings* s) {
  Config config("test");
  config.AddString("pg-dsn", &s->dsn, "database");
  config.AddInt("pool-size", &s->pool, "pool size");
  config.AddBool("reflection", &s->reflection, "reflection");
  config.AddDuration("timeout", &s->timeout, "timeout");
  return config;
}

TEST_CASE("flags override the environment, which overrides defaults") {
  Settings s;
  Config config = MakeConfig(&s);
  std::map<std::string, std::string> env = {{"UWALLET_PG_DSN", "host=env"},
                                            {"UWALLET_POOL_SIZE", "3"}};
  REQUIRE(config
              .ParseEnvironment([&](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
              })
              .ok());
  REQUIRE(s.dsn == "host=env");
  REQUIRE(s.pool == 3);
  const char* argv[] = {"test", "--pg-dsn=host=flag", "--timeout", "250ms", "--reflection=false"};
  REQUIRE(config.Parse(5, argv).ok());
  REQUIRE(s.dsn == "host=flag");
  REQUIRE(s.timeout == absl::Milliseconds(250));
  REQUIRE_FALSE(s.reflection);
}

TEST_CASE("bad flags are errors, never ignored") {
  Settings s;
  Config config = MakeConfig(&s);
  const char* unknown[] = {"test", "--no-such-flag=1"};
  REQUIRE(config.Parse(2, unknown).code() == absl::StatusCode::kInvalidArgument);
  const char* bad_int[] = {"test", "--pool-size=many"};
  REQUIRE(config.Parse(2, bad_int).code() == absl::StatusCode::kInvalidArgument);
  const char* missing[] = {"test", "--pg-dsn"};
  REQUIRE(config.Parse(2, missing).code() == absl::StatusCode::kInvalidArgument);
  const char* help[] = {"test", "--help"};
  absl::Status status = config.Parse(2, help);
  REQUIRE(status.code() == absl::StatusCode::kCancelled);
  REQUIRE(status.message().find("UWALLET_PG_DSN") != std::string::npos);
}

TEST_CASE("environment names") { REQUIRE(Config::EnvName("grpc-port") == "UWALLET_GRPC_PORT"); }

}  // namespace
}  // namespace uwallet
