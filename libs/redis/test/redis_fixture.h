#pragma once
// Test fixture for tests against a real Redis (UWALLET_TEST_REDIS_ADDR="127.0.0.1:PORT"): each
// test gets its own key prefix and deletes its keys afterwards, so tests can share one server and
// run in parallel. (A shared libs/testing will take this over.)

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "uwallet/common/check.h"
#include "uwallet/redis/pool.h"

namespace uwallet::redis::testing {

inline constexpr const char* kAddressVariable = "UWALLET_TEST_REDIS_ADDR";

// The test server's address; exits 77 (CTest: skipped) when it is not configured.
inline HostPort TestAddressOrSkip() {
  const char* address = std::getenv(kAddressVariable);
  if (address == nullptr || *address == '\0') {
    std::fprintf(stderr, "%s is not set: skipping tests that need Redis\n", kAddressVariable);
    std::exit(77);
  }
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  UW_CHECK_OK(parsed.status());
  return *parsed;
}

// "uwtest:<name>:<pid>:<n>:<random>:" — unique per call, free of glob characters.
inline std::string UniquePrefix(absl::string_view name) {
  static std::atomic<int> counter{0};
  static const uint32_t random = std::random_device()();
  return absl::StrCat("uwtest:", name, ":", getpid(), ":", counter.fetch_add(1), ":", random, ":");
}

// Options pointing at the test server with a fresh prefix and test-friendly timeouts.
inline PoolOptions TestOptions(absl::string_view name) {
  const HostPort address = TestAddressOrSkip();
  PoolOptions options;
  options.host = address.host;
  options.port = address.port;
  options.pool_size = 4;
  options.connect_timeout = absl::Seconds(1);
  options.command_timeout = absl::Seconds(2);
  options.wait_timeout = absl::Seconds(2);
  options.key_prefix = UniquePrefix(name);
  return options;
}

inline std::unique_ptr<Pool> MakePool(const PoolOptions& options) {
  absl::StatusOr<std::unique_ptr<Pool>> pool = Pool::Create(options);
  UW_CHECK_OK(pool.status());
  return *std::move(pool);
}

// Deletes every key under `prefix` (SCAN + UNLINK), bounded by kRoundsMax scan rounds.
inline void DeleteKeys(Pool& pool, const std::string& prefix) {
  constexpr int kRoundsMax = 1000;
  std::string cursor = "0";
  for (int round = 0; round < kRoundsMax; ++round) {
    absl::StatusOr<Reply> reply =
        pool.Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
    if (!reply.ok() || !reply->IsArray() || reply->elements().size() != 2) return;
    cursor = reply->elements()[0].str();
    std::vector<std::string> unlink = {"UNLINK"};
    for (const Reply& key : reply->elements()[1].elements()) unlink.push_back(key.str());
    if (unlink.size() > 1) (void)pool.Command(unlink);
    if (cursor == "0") return;
  }
}

// A pool with its own prefix; its keys are deleted when the fixture goes.
class TestRedis {
 public:
  explicit TestRedis(absl::string_view name)
      : options_(TestOptions(name)), pool_(MakePool(options_)) {}
  ~TestRedis() { DeleteKeys(*pool_, options_.key_prefix); }
  TestRedis(const TestRedis&) = delete;
  TestRedis& operator=(const TestRedis&) = delete;

  [[nodiscard]] const PoolOptions& options() const { return options_; }
  [[nodiscard]] Pool& pool() { return *pool_; }
  [[nodiscard]] std::string Key(absl::string_view key) const { return pool_->Key(key); }

 private:
  PoolOptions options_;
  std::unique_ptr<Pool> pool_;
};

// Closes the server side of every connection named `client_name` (CLIENT SETNAME), leaving other
// tests' connections alone. Returns how many were killed.
inline int KillClientsNamed(Pool& admin, const std::string& client_name) {
  absl::StatusOr<Reply> list = admin.Command({"CLIENT", "LIST"});
  UW_CHECK_OK(list.status());
  int killed = 0;
  for (absl::string_view line : absl::StrSplit(list->str(), '\n', absl::SkipEmpty())) {
    std::string id;
    bool named = false;
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      if (absl::ConsumePrefix(&field, "id=")) id = std::string(field);
      if (field == absl::StrCat("name=", client_name)) named = true;
    }
    if (!named) continue;
    absl::StatusOr<Reply> kill = admin.Command({"CLIENT", "KILL", "ID", id});
    if (kill.ok() && kill->IsInteger()) killed += static_cast<int>(kill->integer());
  }
  return killed;
}

}  // namespace uwallet::redis::testing
