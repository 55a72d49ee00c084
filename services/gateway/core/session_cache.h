#pragma once
// A short-lived cache of validated sessions, so that a burst of calls with one token costs one
// round trip to auth. Entries live `ttl` (about a second): a revoked session stops working within
// that time. Bounded: when full, it is cleared rather than grown.

#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "uwallet/common/clock.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::gateway {

class SessionCache {
 public:
  static constexpr size_t kEntriesMax = 100'000;
  SessionCache(const Clock& clock, absl::Duration ttl) : clock_(clock), ttl_(ttl) {}

  // Keyed by the SHA-256 of the token, never the token itself.
  [[nodiscard]] bool Get(const std::string& token_hash, grpcutil::Identity* identity);
  void Put(const std::string& token_hash, const grpcutil::Identity& identity);
  [[nodiscard]] size_t size();

 private:
  struct Entry {
    grpcutil::Identity identity;
    absl::Time expires_at;
  };
  const Clock& clock_;
  absl::Duration ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace uwallet::gateway
