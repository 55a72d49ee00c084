#include "uwallet/testing/redis_fixture.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "uwallet/common/check.h"
#include "uwallet/testing/pg_fixture.h"

namespace uwallet::testing {

std::string RedisAddrOrSkip() {
  const char* addr = std::getenv("UWALLET_TEST_REDIS_ADDR");
  if (addr == nullptr || *addr == '\0') {
    std::fprintf(stderr, "UWALLET_TEST_REDIS_ADDR is not set: skipping (tools/test sets it)\n");
    std::exit(77);
  }
  return addr;
}

redis::PoolOptions RedisPrefix::Options(int pool_size) const {
  auto address = redis::ParseHostPort(RedisAddrOrSkip());
  UW_CHECK_OK(address.status());
  return redis::PoolOptions{
      .host = address->host, .port = address->port, .pool_size = pool_size, .key_prefix = prefix_};
}

RedisPrefix::RedisPrefix(int pool_size) : prefix_(UniqueName("t") + ":") {
  auto pool = redis::Pool::Create(Options(pool_size));
  UW_CHECK_OK(pool.status());
  pool_ = *std::move(pool);
}

RedisPrefix::~RedisPrefix() {
  std::string cursor = "0";
  for (int round = 0; round < 1000; ++round) {  // bounded: a test never makes that many keys
    auto reply = pool_->Command({"SCAN", cursor, "MATCH", prefix_ + "*", "COUNT", "1000"});
    if (!reply.ok() || !reply->IsArray() || reply->elements().size() != 2) return;
    cursor = reply->elements()[0].str();
    std::vector<std::string> del = {"DEL"};
    for (const auto& key : reply->elements()[1].elements()) del.push_back(key.str());
    if (del.size() > 1) (void)pool_->Command(del);
    if (cursor == "0") return;
  }
}

}  // namespace uwallet::testing
