// libs/redis against a real Redis 7 (UWALLET_TEST_REDIS_ADDR). Each test uses its own key prefix.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "redis_fixture.h"
#include "uwallet/common/clock.h"
#include "uwallet/redis/pool.h"
#include "uwallet/redis/script.h"
#include "uwallet/redis/subscriber.h"
#include "uwallet/redis/token_bucket.h"

namespace uwallet::redis {
namespace {

using testing::KillClientsNamed;
using testing::MakePool;
using testing::TestOptions;
using testing::TestRedis;

// Skip the whole binary (exit 77) before Catch2 runs anything when no server is configured.
const bool kServerConfigured = [] {
  (void)testing::TestAddressOrSkip();
  return true;
}();

// A loopback TCP listener that never accepts: connects succeed (the kernel completes the
// handshake) but nothing ever answers. With `fill_backlog`, its accept queue is filled first so
// that further connects hang in SYN_SENT, as with an unreachable host.
class SilentListener {
 public:
  explicit SilentListener(bool fill_backlog) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    UW_CHECK(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    UW_CHECK(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    UW_CHECK(listen(fd_, fill_backlog ? 0 : 16) == 0);
    socklen_t length = sizeof(address);
    UW_CHECK(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    if (fill_backlog) {
      for (int i = 0; i < 4; ++i) {
        const int client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        UW_CHECK(client >= 0);
        (void)connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        fillers_.push_back(client);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~SilentListener() {
    for (int client : fillers_) close(client);
    close(fd_);
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

// A loopback port with nothing listening.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  UW_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  UW_CHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  close(fd);
  return ntohs(address.sin_port);
}

double SecondsSince(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

TEST_CASE("basic commands and reply types") {
  TestRedis redis("basic");
  Pool& pool = redis.pool();
  REQUIRE(pool.Ping().ok());
  const std::string key = redis.Key("greeting");
  REQUIRE(absl::StartsWith(key, redis.options().key_prefix));

  absl::StatusOr<Reply> set = pool.Command({"SET", key, "hello"});
  REQUIRE(set.ok());
  REQUIRE(set->IsStatus());
  REQUIRE(set->str() == "OK");
  REQUIRE(pool.Command({"GET", key})->str() == "hello");
  REQUIRE(pool.Command({"GET", redis.Key("missing")})->IsNil());

  const std::string counter = redis.Key("counter");
  REQUIRE(pool.Command({"INCRBY", counter, "41"})->integer() == 41);
  REQUIRE(*pool.Command({"INCR", counter})->AsInteger() == 42);

  const std::string list = redis.Key("list");
  REQUIRE(pool.Command({"RPUSH", list, "a", "b", "c"})->integer() == 3);
  absl::StatusOr<Reply> range = pool.Command({"LRANGE", list, "0", "-1"});
  REQUIRE(range.ok());
  REQUIRE(*range == Reply::Array({Reply::String("a"), Reply::String("b"), Reply::String("c")}));

  SECTION("error replies map to status codes") {
    absl::StatusOr<Reply> wrong_type = pool.Command({"LPUSH", key, "x"});
    REQUIRE(wrong_type.status().code() == absl::StatusCode::kFailedPrecondition);
    REQUIRE(absl::StrContains(wrong_type.status().message(), "WRONGTYPE"));
    REQUIRE(pool.Command({"INCR", key}).status().code() == absl::StatusCode::kFailedPrecondition);
    REQUIRE(pool.Command({"NOSUCHCOMMAND"}).status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(pool.Command({}).status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(pool.Ping().ok());  // an error reply leaves the connection usable
    REQUIRE(pool.Stats().discarded == 0);
  }

  SECTION("pipeline keeps per-command errors") {
    absl::StatusOr<std::vector<Reply>> replies = pool.Pipeline(
        {{"SET", redis.Key("p"), "1"}, {"LPUSH", key, "x"}, {"INCR", redis.Key("p")}});
    REQUIRE(replies.ok());
    REQUIRE(replies->size() == 3);
    REQUIRE((*replies)[0].IsStatus());
    REQUIRE((*replies)[1].IsError());
    REQUIRE((*replies)[1].ToStatus().code() == absl::StatusCode::kFailedPrecondition);
    REQUIRE((*replies)[2].integer() == 2);
    REQUIRE(pool.Pipeline({{"PING"}, {}}).status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(pool.Pipeline({})->empty());
  }
}

TEST_CASE("keys and values are binary-safe") {
  TestRedis redis("binary");
  Pool& pool = redis.pool();
  std::string value;
  for (int byte = 0; byte < 256; ++byte) value.push_back(static_cast<char>(byte));
  value += std::string("\0\r\n$3\r\n", 7);
  const std::string key = redis.Key(std::string("key with \0 nul\r\nand crlf", 24));

  REQUIRE(pool.Command({"SET", key, value}).ok());
  absl::StatusOr<Reply> got = pool.Command({"GET", key});
  REQUIRE(got.ok());
  REQUIRE(got->str().size() == value.size());
  REQUIRE(got->str() == value);
  REQUIRE(pool.Command({"STRLEN", key})->integer() == static_cast<int64_t>(value.size()));
  absl::StatusOr<std::optional<std::string>> taken = pool.GetDel(key);
  REQUIRE(taken.ok());
  REQUIRE(taken->value() == value);
}

TEST_CASE("SetNxPx and GetDel have exactly one winner among 20 racing threads") {
  TestRedis redis("race");
  Pool& pool = redis.pool();
  constexpr int kThreads = 20;
  const std::string key = redis.Key("code");

  std::atomic<bool> start{false};
  std::atomic<int> set_wins{0};
  std::atomic<int> set_errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!start.load()) std::this_thread::yield();
      absl::StatusOr<bool> won = pool.SetNxPx(key, absl::StrCat("thread-", i), absl::Seconds(30));
      if (!won.ok()) ++set_errors;
      if (won.ok() && *won) ++set_wins;
    });
  }
  start = true;
  for (std::thread& thread : threads) thread.join();
  REQUIRE(set_errors == 0);
  REQUIRE(set_wins == 1);
  const int64_t ttl_ms = pool.Command({"PTTL", key})->integer();
  REQUIRE(ttl_ms > 25'000);
  REQUIRE(ttl_ms <= 30'000);

  threads.clear();
  start = false;
  // Catch2 assertions are not thread-safe: threads only count, the test thread checks.
  std::atomic<int> get_wins{0};
  std::atomic<int> get_errors{0};
  std::atomic<int> get_odd_values{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      while (!start.load()) std::this_thread::yield();
      absl::StatusOr<std::optional<std::string>> taken = pool.GetDel(key);
      if (!taken.ok()) ++get_errors;
      if (taken.ok() && taken->has_value()) {
        if (!absl::StartsWith(**taken, "thread-")) ++get_odd_values;
        ++get_wins;
      }
    });
  }
  start = true;
  for (std::thread& thread : threads) thread.join();
  REQUIRE(get_errors == 0);
  REQUIRE(get_odd_values == 0);
  REQUIRE(get_wins == 1);
  REQUIRE(!pool.GetDel(key)->has_value());
  REQUIRE(pool.SetNxPx(key, "x", absl::ZeroDuration()).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(pool.Stats().open <= pool.options().pool_size);
}

TEST_CASE("IncrWithExpiry sets the window once") {
  TestRedis redis("incr");
  Pool& pool = redis.pool();
  const std::string key = redis.Key("sends");

  REQUIRE(*pool.IncrWithExpiry(key, absl::Seconds(60)) == 1);
  const int64_t first_ttl_ms = pool.Command({"PTTL", key})->integer();
  REQUIRE(first_ttl_ms > 55'000);
  REQUIRE(first_ttl_ms <= 60'000);
  // Shorten the window by hand: a later call must not push it back out to 60 s.
  REQUIRE(pool.Command({"PEXPIRE", key, "5000"})->integer() == 1);
  REQUIRE(*pool.IncrWithExpiry(key, absl::Seconds(60)) == 2);
  REQUIRE(*pool.IncrWithExpiry(key, absl::Seconds(60)) == 3);
  REQUIRE(pool.Command({"PTTL", key})->integer() <= 5'000);

  SECTION("a counter without expiry gets one") {
    const std::string stale = redis.Key("stale");
    REQUIRE(pool.Command({"SET", stale, "7"}).ok());
    REQUIRE(*pool.IncrWithExpiry(stale, absl::Seconds(10)) == 8);
    REQUIRE(pool.Command({"PTTL", stale})->integer() > 0);
  }
  SECTION("the window really ends") {
    const std::string short_key = redis.Key("short");
    REQUIRE(*pool.IncrWithExpiry(short_key, absl::Milliseconds(50)) == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    REQUIRE(*pool.IncrWithExpiry(short_key, absl::Milliseconds(50)) == 1);
  }
}

TEST_CASE("Eval uses EVALSHA and recovers from NOSCRIPT after SCRIPT FLUSH") {
  TestRedis redis("eval");
  Pool& pool = redis.pool();
  const Script script("return {KEYS[1], ARGV[1], 'uwallet-eval-test'}");
  // The SHA-1 computed here is the one Redis uses.
  REQUIRE(pool.Command({"SCRIPT", "LOAD", script.source()})->str() == script.sha1());

  const Reply expected = Reply::Array(
      {Reply::String(redis.Key("k")), Reply::String("v"), Reply::String("uwallet-eval-test")});
  absl::StatusOr<Reply> first = pool.Eval(script, {redis.Key("k")}, {"v"});
  REQUIRE(first.ok());
  REQUIRE(*first == expected);

  REQUIRE(pool.Command({"SCRIPT", "FLUSH"}).ok());
  REQUIRE(pool.Command({"SCRIPT", "EXISTS", script.sha1()})->elements()[0].integer() == 0);
  absl::StatusOr<Reply> after_flush = pool.Eval(script, {redis.Key("k")}, {"v"});
  REQUIRE(after_flush.ok());
  REQUIRE(*after_flush == expected);
  // The EVAL fallback cached the script again, so the next call is a plain EVALSHA.
  REQUIRE(pool.Command({"SCRIPT", "EXISTS", script.sha1()})->elements()[0].integer() == 1);
  REQUIRE(pool.Eval(script, {redis.Key("k")}, {"v"}).ok());

  SECTION("script errors") {
    const Script broken("return redis.call('NOSUCHCOMMAND')");
    REQUIRE(!pool.Eval(broken, {}, {}).ok());
    const Script wrong_type("return redis.call('LPUSH', KEYS[1], 'x')");
    REQUIRE(pool.Command({"SET", redis.Key("s"), "1"}).ok());
    REQUIRE(pool.Eval(wrong_type, {redis.Key("s")}, {}).status().code() ==
            absl::StatusCode::kFailedPrecondition);
    const Script runtime("return nosuchglobal.field");
    REQUIRE(pool.Eval(runtime, {}, {}).status().code() == absl::StatusCode::kInternal);
    REQUIRE(pool.Ping().ok());
  }
}

TEST_CASE("token bucket allows a burst, then refuses with a retry hint") {
  TestRedis redis("bucket");
  Pool& pool = redis.pool();

  SECTION("with an injected clock") {
    FakeClock clock;
    TokenBucket bucket(pool, {.capacity = 3, .refill_per_second = 1}, &clock);
    const std::string key = redis.Key("rl:ip:10.0.0.1");
    for (int64_t remaining : {2, 1, 0}) {
      absl::StatusOr<TokenBucketDecision> decision = bucket.Take(key);
      REQUIRE(decision.ok());
      REQUIRE(decision->allowed);
      REQUIRE(decision->remaining == remaining);
    }
    absl::StatusOr<TokenBucketDecision> refused = bucket.Take(key);
    REQUIRE(refused.ok());
    REQUIRE(!refused->allowed);
    REQUIRE(refused->retry_after_ms == 1000);
    clock.Advance(absl::Milliseconds(400));
    refused = bucket.Take(key);
    REQUIRE(!refused->allowed);
    REQUIRE(refused->retry_after_ms == 600);
    clock.Advance(absl::Milliseconds(600));
    REQUIRE(bucket.Take(key)->allowed);
    REQUIRE(!bucket.Take(key)->allowed);
    // A cost of 2 needs two tokens: 2 s at one token per second.
    REQUIRE(bucket.Take(key, 2)->retry_after_ms == 2000);
    clock.Advance(absl::Seconds(100));  // refills to capacity, never beyond
    REQUIRE(bucket.Take(key, 3)->remaining == 0);
    // The key expires once the bucket would be full again.
    const int64_t ttl_ms = pool.Command({"PTTL", key})->integer();
    REQUIRE(ttl_ms > 3'000);
    REQUIRE(ttl_ms <= 4'000);

    REQUIRE(bucket.Take(key, 4).status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(bucket.Take(key, 0).status().code() == absl::StatusCode::kInvalidArgument);
    TokenBucket invalid(pool, {.capacity = 0, .refill_per_second = 1});
    REQUIRE(invalid.Take(key).status().code() == absl::StatusCode::kInvalidArgument);
  }

  SECTION("with the server's clock") {
    TokenBucket bucket(pool, {.capacity = 2, .refill_per_second = 0.5});
    const std::string key = redis.Key("rl:user:42");
    REQUIRE(bucket.Take(key)->allowed);
    REQUIRE(bucket.Take(key)->allowed);
    absl::StatusOr<TokenBucketDecision> refused = bucket.Take(key);
    REQUIRE(refused.ok());
    REQUIRE(!refused->allowed);
    REQUIRE(refused->retry_after_ms > 1'000);
    REQUIRE(refused->retry_after_ms <= 2'000);
  }
}

TEST_CASE("streams: groups, read, ack, autoclaim") {
  TestRedis redis("streams");
  Pool& pool = redis.pool();
  const std::string stream = redis.Key("events");

  REQUIRE(pool.XReadGroup("relay", "c1", stream, 10, absl::ZeroDuration()).status().code() ==
          absl::StatusCode::kNotFound);  // NOGROUP
  REQUIRE(pool.XGroupCreate(stream, "relay", /*mkstream=*/true).ok());
  REQUIRE(pool.XGroupCreate(stream, "relay", /*mkstream=*/true).ok());  // BUSYGROUP is fine

  absl::StatusOr<std::string> first =
      pool.XAdd(stream, {{"type", "payment.posted"}, {"id", "evt-1"}}, /*maxlen_approx=*/10'000);
  REQUIRE(first.ok());
  absl::StatusOr<std::string> second =
      pool.XAdd(stream, {{"type", "login.failed"}, {"id", "evt-2"}}, /*maxlen_approx=*/0);
  REQUIRE(second.ok());
  REQUIRE(*first != *second);
  REQUIRE(pool.XAdd(stream, {}, 0).status().code() == absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::vector<StreamEntry>> read =
      pool.XReadGroup("relay", "c1", stream, 10, absl::Milliseconds(100));
  REQUIRE(read.ok());
  REQUIRE(read->size() == 2);
  REQUIRE((*read)[0].id == *first);
  REQUIRE((*read)[0].fields.at("type") == "payment.posted");
  REQUIRE((*read)[1].fields.at("id") == "evt-2");

  REQUIRE(*pool.XAck(stream, "relay", {*first}) == 1);
  REQUIRE(*pool.XAck(stream, "relay", {*first}) == 0);  // already acknowledged
  REQUIRE(*pool.XAck(stream, "relay", {}) == 0);

  // Nothing new: a blocking read waits about `block`, then returns empty.
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<StreamEntry>> empty =
      pool.XReadGroup("relay", "c1", stream, 10, absl::Milliseconds(200));
  REQUIRE(empty.ok());
  REQUIRE(empty->empty());
  REQUIRE(SecondsSince(start) >= 0.15);
  REQUIRE(SecondsSince(start) < 2.0);

  // c1 "crashed" without acking the second entry: c2 takes it over once it has been idle.
  absl::StatusOr<AutoClaimResult> too_soon =
      pool.XAutoClaim(stream, "relay", "c2", absl::Seconds(60), 10);
  REQUIRE(too_soon.ok());
  REQUIRE(too_soon->entries.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  absl::StatusOr<AutoClaimResult> claimed =
      pool.XAutoClaim(stream, "relay", "c2", absl::Milliseconds(50), 10);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->entries.size() == 1);
  REQUIRE(claimed->entries[0].id == *second);
  REQUIRE(claimed->entries[0].fields.at("type") == "login.failed");
  REQUIRE(claimed->next_start_id == "0-0");
  REQUIRE(claimed->deleted_ids.empty());
  absl::StatusOr<Reply> pending = pool.Command({"XPENDING", stream, "relay", "-", "+", "10"});
  REQUIRE(pending->elements().size() == 1);
  REQUIRE(pending->elements()[0].elements()[1].str() == "c2");
  REQUIRE(*pool.XAck(stream, "relay", {*second}) == 1);
  REQUIRE(pool.Command({"XPENDING", stream, "relay"})->elements()[0].integer() == 0);

  REQUIRE(pool.XReadGroup("relay", "c1", stream, 0, absl::ZeroDuration()).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("pub/sub delivers to a subscriber") {
  TestRedis redis("pubsub");
  PoolOptions options = redis.options();
  options.client_name = absl::StrCat("uwtest-sub-", getpid());
  absl::StatusOr<std::unique_ptr<Subscriber>> created = Subscriber::Create(options);
  REQUIRE(created.ok());
  Subscriber& subscriber = **created;
  const std::string channel = subscriber.Key("chat:ticket-1");
  REQUIRE(subscriber.Subscribe({channel, subscriber.Key("chat:ticket-2")}).ok());
  REQUIRE(subscriber.Subscribe({channel}).ok());  // again: no-op

  const std::string payload("hi \0 there", 10);
  REQUIRE(*redis.pool().Publish(channel, payload) == 1);
  REQUIRE(*redis.pool().Publish(redis.Key("chat:nobody"), "x") == 0);
  absl::StatusOr<Message> message = subscriber.Next(absl::Seconds(2));
  REQUIRE(message.ok());
  REQUIRE(message->channel == channel);
  REQUIRE(message->payload == payload);

  const absl::Time start = absl::Now();
  REQUIRE(subscriber.Next(absl::Milliseconds(100)).status().code() ==
          absl::StatusCode::kDeadlineExceeded);
  REQUIRE(SecondsSince(start) < 1.0);

  SECTION("reconnects and resubscribes after the connection is killed") {
    REQUIRE(KillClientsNamed(redis.pool(), options.client_name) == 1);
    bool delivered = false;
    for (int attempt = 0; attempt < 20 && !delivered; ++attempt) {
      (void)redis.pool().Publish(channel, "after-kill");
      absl::StatusOr<Message> next = subscriber.Next(absl::Milliseconds(250));
      delivered = next.ok() && next->payload == "after-kill";
    }
    REQUIRE(delivered);
    REQUIRE(subscriber.reconnects() == 1);
  }
}

TEST_CASE("pool exhaustion is reported after the wait timeout") {
  PoolOptions options = TestOptions("exhaust");
  options.pool_size = 1;
  options.command_timeout = absl::Seconds(5);
  options.wait_timeout = absl::Milliseconds(200);
  std::unique_ptr<Pool> pool = MakePool(options);
  std::unique_ptr<Pool> other = MakePool(options);
  const std::string list = pool->Key("wake");

  absl::StatusOr<Reply> popped;
  std::thread holder([&] { popped = pool->Command({"BLPOP", list, "3"}); });
  // Wait until the holder has the only connection.
  for (int i = 0; i < 200 && !(pool->Stats().open == 1 && pool->Stats().idle == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  const absl::Time start = absl::Now();
  absl::Status refused = pool->Ping();
  const double waited_s = SecondsSince(start);
  const PoolStats stats = pool->Stats();
  const absl::Status released = other->Command({"RPUSH", list, "go"}).status();  // frees the holder
  holder.join();  // before any REQUIRE can throw

  REQUIRE(refused.code() == absl::StatusCode::kUnavailable);
  REQUIRE(absl::StrContains(refused.message(), "redis pool exhausted"));
  REQUIRE(waited_s >= 0.19);
  REQUIRE(waited_s < 1.0);
  REQUIRE(stats.exhausted == 1);
  REQUIRE(released.ok());
  REQUIRE(popped.ok());
  REQUIRE(popped->IsArray());
  REQUIRE(pool->Ping().ok());
  REQUIRE(pool->Stats().open == 1);
  testing::DeleteKeys(*other, options.key_prefix);
}

TEST_CASE("Redis down or silent: UNAVAILABLE within the timeouts, never a hang") {
  PoolOptions options = TestOptions("down");
  options.connect_timeout = absl::Milliseconds(300);
  options.command_timeout = absl::Milliseconds(300);

  SECTION("nothing listening") {
    options.port = ClosedPort();
    std::unique_ptr<Pool> pool = MakePool(options);
    const absl::Time start = absl::Now();
    absl::Status status = pool->Ping();
    REQUIRE(status.code() == absl::StatusCode::kUnavailable);
    REQUIRE(absl::StrContains(status.message(), "connect failed"));
    REQUIRE(SecondsSince(start) < 0.3);
    REQUIRE(pool->SetNxPx("k", "v", absl::Seconds(1)).status().code() ==
            absl::StatusCode::kUnavailable);
    REQUIRE(pool->Stats().open == 0);
    REQUIRE(pool->Stats().connect_failures == 2);

    absl::StatusOr<std::unique_ptr<Subscriber>> subscriber = Subscriber::Create(options);
    REQUIRE(subscriber.ok());
    REQUIRE((*subscriber)->Subscribe({"c"}).code() == absl::StatusCode::kUnavailable);
    const absl::Time next_start = absl::Now();
    REQUIRE((*subscriber)->Next(absl::Milliseconds(300)).status().code() ==
            absl::StatusCode::kUnavailable);
    REQUIRE(SecondsSince(next_start) < 1.0);
  }

  SECTION("connect hangs (accept queue full, like an unreachable host)") {
    SilentListener listener(/*fill_backlog=*/true);
    options.port = listener.port();
    std::unique_ptr<Pool> pool = MakePool(options);
    const absl::Time start = absl::Now();
    absl::Status status = pool->Ping();
    const double waited_s = SecondsSince(start);
    REQUIRE(status.code() == absl::StatusCode::kUnavailable);
    REQUIRE(waited_s >= 0.25);
    REQUIRE(waited_s < 1.5);
  }

  SECTION("connected but no reply") {
    SilentListener listener(/*fill_backlog=*/false);
    options.port = listener.port();
    std::unique_ptr<Pool> pool = MakePool(options);
    const absl::Time start = absl::Now();
    absl::Status status = pool->Ping();
    const double waited_s = SecondsSince(start);
    REQUIRE(status.code() == absl::StatusCode::kUnavailable);
    REQUIRE(absl::StrContains(status.message(), "timed out"));
    REQUIRE(waited_s >= 0.25);
    REQUIRE(waited_s < 1.5);
    REQUIRE(pool->Stats().discarded == 1);  // a timed-out connection is never reused
    REQUIRE(pool->Stats().open == 0);
  }
}

TEST_CASE("a server that hangs up mid-write gives UNAVAILABLE, not SIGPIPE") {
  // hiredis writes with write(2): without the library's guard, writing on after the peer reset
  // the connection raises SIGPIPE, which kills the process.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(listen(listener, 4) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  std::thread hang_up([listener] {
    const int accepted = accept(listener, nullptr, nullptr);
    if (accepted >= 0) close(accepted);
  });

  PoolOptions options = TestOptions("sigpipe");
  options.port = ntohs(address.sin_port);
  std::unique_ptr<Pool> pool = MakePool(options);
  const std::string big(8 << 20, 'x');
  absl::StatusOr<Reply> reply = pool->Command({"SET", "k", big});
  hang_up.join();
  close(listener);
  REQUIRE(reply.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(pool->Stats().open == 0);
}

TEST_CASE("the pool reconnects after its connections are killed") {
  TestRedis redis("reconnect");
  PoolOptions options = redis.options();
  options.pool_size = 1;
  options.client_name = absl::StrCat("uwtest-reconnect-", getpid());
  std::unique_ptr<Pool> pool = MakePool(options);

  const int64_t first_id = pool->Command({"CLIENT", "ID"})->integer();
  REQUIRE(pool->Command({"SET", redis.Key("k"), "v"}).ok());

  SECTION("killed while idle: the next command succeeds on a new connection") {
    REQUIRE(KillClientsNamed(redis.pool(), options.client_name) == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    absl::StatusOr<Reply> value = pool->Command({"GET", redis.Key("k")});
    REQUIRE(value.ok());
    REQUIRE(value->str() == "v");
    REQUIRE(pool->Command({"CLIENT", "ID"})->integer() != first_id);
    REQUIRE(pool->Stats().discarded == 1);
    REQUIRE(pool->Stats().connects == 2);
  }

  SECTION("killed during a command: that command fails fast, the next succeeds") {
    std::atomic<int> killed{0};
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      killed = KillClientsNamed(redis.pool(), options.client_name);
    });
    const absl::Time start = absl::Now();
    absl::StatusOr<Reply> blocked = pool->Command({"BLPOP", redis.Key("never"), "1.5"});
    killer.join();
    REQUIRE(killed == 1);
    REQUIRE(blocked.status().code() == absl::StatusCode::kUnavailable);
    REQUIRE(SecondsSince(start) < 1.2);
    REQUIRE(pool->Ping().ok());
    REQUIRE(pool->Command({"GET", redis.Key("k")})->str() == "v");
  }

  SECTION("killed many times over") {
    for (int round = 0; round < 5; ++round) {
      REQUIRE(KillClientsNamed(redis.pool(), options.client_name) == 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      REQUIRE(pool->Ping().ok());
    }
    REQUIRE(pool->Stats().connects == 6);
  }
}

}  // namespace
}  // namespace uwallet::redis
