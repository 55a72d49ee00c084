// Pure tests: no server. Reply conversion from the hiredis reader, error mapping, options.

#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <string>

#include "connection.h"
#include "uwallet/redis/pool.h"
#include "uwallet/redis/reply.h"
#include "uwallet/redis/script.h"
#include "uwallet/redis/token_bucket.h"

namespace uwallet::redis {
namespace {

// Parses RESP bytes with hiredis's own reader and converts the result.
Reply Parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  REQUIRE(redisReaderFeed(reader, resp.data(), resp.size()) == REDIS_OK);
  void* raw = nullptr;
  REQUIRE(redisReaderGetReply(reader, &raw) == REDIS_OK);
  REQUIRE(raw != nullptr);
  Reply reply = internal::ConvertReply(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  redisReaderFree(reader);
  return reply;
}

TEST_CASE("hiredis replies convert to Reply values") {
  REQUIRE(Parse("+OK\r\n") == Reply::Status("OK"));
  REQUIRE(Parse(":-42\r\n") == Reply::Integer(-42));
  REQUIRE(Parse("$-1\r\n").IsNil());
  REQUIRE(Parse("*-1\r\n").IsNil());
  REQUIRE(Parse(std::string("$5\r\na\0b\r\n\r\n", 11)) ==
          Reply::String(std::string("a\0b\r\n", 5)));
  REQUIRE(Parse("-WRONGTYPE bad\r\n") == Reply::Error("WRONGTYPE bad"));
  REQUIRE(Parse("*3\r\n:1\r\n*1\r\n$1\r\nx\r\n$-1\r\n") ==
          Reply::Array({Reply::Integer(1), Reply::Array({Reply::String("x")}), Reply::Nil()}));
  REQUIRE(Parse("*0\r\n") == Reply::Array({}));
  REQUIRE(internal::ConvertReply(nullptr).IsNil());
}

TEST_CASE("checked accessors") {
  REQUIRE(*Reply::Integer(7).AsInteger() == 7);
  REQUIRE(*Reply::Status("OK").AsString() == "OK");
  REQUIRE(Reply::String("x").AsInteger().status().code() == absl::StatusCode::kInternal);
  REQUIRE(Reply::Error("WRONGTYPE x").AsString().status().code() ==
          absl::StatusCode::kFailedPrecondition);
  REQUIRE(Reply::Integer(1).ToStatus().ok());
  REQUIRE(Reply::Array({Reply::Integer(1), Reply::String("a\n")}).DebugString() ==
          "[(integer) 1, (string) \"a\\n\"]");
}

TEST_CASE("Redis errors map to codes by what the caller should do") {
  auto code = [](const char* error) { return StatusFromRedisError(error).code(); };
  using absl::StatusCode;
  REQUIRE(code("WRONGTYPE Operation against a key holding the wrong kind of value") ==
          StatusCode::kFailedPrecondition);
  REQUIRE(code("ERR value is not an integer or out of range") == StatusCode::kFailedPrecondition);
  REQUIRE(code("ERR increment or decrement would overflow") == StatusCode::kFailedPrecondition);
  REQUIRE(code("BUSYGROUP Consumer Group name already exists") == StatusCode::kAlreadyExists);
  REQUIRE(code("NOSCRIPT No matching script. Please use EVAL.") == StatusCode::kNotFound);
  REQUIRE(code("NOGROUP No such key 'x' or consumer group 'g'") == StatusCode::kNotFound);
  REQUIRE(code("LOADING Redis is loading the dataset in memory") == StatusCode::kUnavailable);
  REQUIRE(code("BUSY Redis is busy running a script.") == StatusCode::kUnavailable);
  REQUIRE(code("READONLY You can't write against a read only replica.") ==
          StatusCode::kUnavailable);
  REQUIRE(code("OOM command not allowed when used memory > 'maxmemory'.") ==
          StatusCode::kResourceExhausted);
  REQUIRE(code("ERR syntax error") == StatusCode::kInvalidArgument);
  REQUIRE(code("ERR unknown command 'FOO', with args beginning with: ") ==
          StatusCode::kInvalidArgument);
  REQUIRE(code("ERR user_script:1: Script attempted to access nonexistent global variable 'x'") ==
          StatusCode::kInternal);
  REQUIRE(code("NOAUTH Authentication required.") == StatusCode::kInternal);
  REQUIRE(code("WRONGPASS invalid username-password pair") == StatusCode::kInternal);
  REQUIRE(StatusFromRedisError("WRONGTYPE x").message() == "redis: WRONGTYPE x");
  REQUIRE(RedisErrorPrefix("NOSCRIPT No matching") == "NOSCRIPT");
  REQUIRE(RedisErrorPrefix("ERR") == "ERR");
}

TEST_CASE("script ids are SHA-1 as Redis computes them") {
  // echo -n 'return 1' | sha1sum
  REQUIRE(Script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  REQUIRE(Sha1Hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("options are validated") {
  REQUIRE(ValidateOptions(PoolOptions{}).ok());
  PoolOptions options;
  options.pool_size = 0;
  REQUIRE(Pool::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.pool_size = Pool::kPoolSizeMax + 1;
  REQUIRE(!ValidateOptions(options).ok());
  options = PoolOptions{};
  options.port = 0;
  REQUIRE(!ValidateOptions(options).ok());
  options = PoolOptions{};
  options.connect_timeout = absl::ZeroDuration();
  REQUIRE(!ValidateOptions(options).ok());
  options = PoolOptions{};
  options.client_name = "has space";
  REQUIRE(!ValidateOptions(options).ok());
  options = PoolOptions{};
  options.host = "";
  REQUIRE(!ValidateOptions(options).ok());
}

TEST_CASE("addresses parse as HOST:PORT") {
  absl::StatusOr<HostPort> parsed = ParseHostPort("127.0.0.1:56379");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->host == "127.0.0.1");
  REQUIRE(parsed->port == 56379);
  REQUIRE(ParseHostPort("redis.uwallet.svc:6379")->host == "redis.uwallet.svc");
  REQUIRE(!ParseHostPort("127.0.0.1").ok());
  REQUIRE(!ParseHostPort(":6379").ok());
  REQUIRE(!ParseHostPort("host:0").ok());
  REQUIRE(!ParseHostPort("host:70000").ok());
  REQUIRE(!ParseHostPort("host:port").ok());
}

TEST_CASE("keys get the pool's prefix; no connection is made before the first command") {
  PoolOptions options;
  options.port = 1;  // nothing listens there; Create must still succeed
  options.key_prefix = "uw:auth:";
  absl::StatusOr<std::unique_ptr<Pool>> pool = Pool::Create(options);
  REQUIRE(pool.ok());
  REQUIRE((*pool)->Key("session:abc") == "uw:auth:session:abc");
  REQUIRE((*pool)->Stats().open == 0);
}

}  // namespace
}  // namespace uwallet::redis
