#include "services/gateway/core/session_cache.h"

namespace uwallet::gateway {

bool SessionCache::Get(const std::string& token_hash, grpcutil::Identity* identity) {
  if (ttl_ <= absl::ZeroDuration()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(token_hash);
  if (it == entries_.end()) return false;
  if (clock_.Now() >= it->second.expires_at) {
    entries_.erase(it);
    return false;
  }
  *identity = it->second.identity;
  return true;
}

void SessionCache::Put(const std::string& token_hash, const grpcutil::Identity& identity) {
  if (ttl_ <= absl::ZeroDuration()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= kEntriesMax) entries_.clear();
  entries_[token_hash] = Entry{identity, clock_.Now() + ttl_};
}

size_t SessionCache::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace uwallet::gateway
