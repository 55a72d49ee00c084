#pragma once
// Gives a test its own key prefix on the Redis that tools/test started (UWALLET_TEST_REDIS_ADDR).
// Without the variable the test binary exits 77 (skipped). Keys are deleted afterwards.

#include <memory>
#include <string>

#include "uwallet/redis/pool.h"

namespace uwallet::testing {

[[nodiscard]] std::string RedisAddrOrSkip();

class RedisPrefix {
 public:
  explicit RedisPrefix(int pool_size = 4);
  ~RedisPrefix();
  redis::Pool& pool() { return *pool_; }
  const std::string& prefix() const { return prefix_; }
  [[nodiscard]] redis::PoolOptions Options(int pool_size) const;

 private:
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
};

}  // namespace uwallet::testing
