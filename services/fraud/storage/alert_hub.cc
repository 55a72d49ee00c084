#include "services/fraud/storage/alert_hub.h"

#include "absl/strings/str_cat.h"
#include "services/fraud/core/errors.h"
#include "uwallet/common/log.h"
#include "uwallet/redis/subscriber.h"

namespace uwallet::fraud {

bool AlertHub::Watch::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
               [this] { return signalled_ || stopping_; });
  signalled_ = false;
  return !stopping_;
}

void AlertHub::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    absl::StatusOr<std::unique_ptr<redis::Subscriber>> subscriber =
        redis::Subscriber::Create(subscriber_options_);
    if (!subscriber.ok()) {
      log::Error("fraud: alert subscriber cannot start",
                 {{"error", subscriber.status().ToString()}});
      return;
    }
    const std::string channel = (*subscriber)->Key(kAlertChannel);
    absl::Status subscribed = (*subscriber)->Subscribe({channel});
    if (!subscribed.ok()) {
      log::Warn("fraud: alert subscribe failed; retrying", {{"error", subscribed.ToString()}});
    }
    int64_t reconnects = 0;
    while (!stop_.load()) {
      absl::StatusOr<redis::Message> message = (*subscriber)->Next(absl::Milliseconds(250));
      if ((*subscriber)->reconnects() != reconnects) {
        // Messages may have been lost while disconnected: wake everyone to re-read.
        reconnects = (*subscriber)->reconnects();
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [user, watch] : watches_) {
          std::lock_guard<std::mutex> watch_lock(watch->mutex_);
          watch->signalled_ = true;
          watch->cv_.notify_all();
        }
      }
      if (!message.ok()) continue;
      const std::string& payload = message->payload;
      Wake(payload.substr(0, payload.find(' ')));
    }
  });
}

void AlertHub::Stop() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [user, watch] : watches_) {
      std::lock_guard<std::mutex> watch_lock(watch->mutex_);
      watch->stopping_ = true;
      watch->cv_.notify_all();
    }
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::shared_ptr<AlertHub::Watch>> AlertHub::Register(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stop_.load()) return absl::UnavailableError("shutting down");
  if (active_.load() >= kWatchStreamsMax) {
    return TooManyStreams("too many alert streams on this server; retry later");
  }
  auto watch = std::make_shared<Watch>();
  watches_.emplace(user_id, watch);
  ++active_;
  return watch;
}

void AlertHub::Unregister(const std::string& user_id, const std::shared_ptr<Watch>& watch) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto range = watches_.equal_range(user_id);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == watch) {
      watches_.erase(it);
      --active_;
      return;
    }
  }
}

absl::Status AlertHub::Publish(const std::string& user_id, const std::string& alert_id) {
  return redis_.Publish(redis_.Key(kAlertChannel), absl::StrCat(user_id, " ", alert_id)).status();
}

void AlertHub::Wake(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto range = watches_.equal_range(user_id);
  for (auto it = range.first; it != range.second; ++it) {
    std::lock_guard<std::mutex> watch_lock(it->second->mutex_);
    it->second->signalled_ = true;
    it->second->cv_.notify_all();
  }
}

}  // namespace uwallet::fraud
