#include "services/support/core/sla_sweeper.h"

#include <chrono>

#include "uwallet/common/log.h"

namespace uwallet::support {

void SlaSweeper::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SlaSweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> SlaSweeper::RunOnce() {
  int announced = 0;
  for (int batch = 0; batch < kSlaSweepBatchesPerRoundMax; ++batch) {
    absl::StatusOr<int> claimed = desk_.SweepSlaBreaches(kSlaSweepBatchMax);
    if (!claimed.ok()) return claimed.status();
    announced += *claimed;
    if (*claimed < kSlaSweepBatchMax) break;
  }
  return announced;
}

void SlaSweeper::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    absl::StatusOr<int> announced = RunOnce();
    if (!announced.ok()) {
      log::Warn("sla sweep failed; retried next round", {{"error", announced.status().ToString()}});
    } else if (*announced > 0) {
      log::Info("sla breaches announced", {{"count", std::to_string(*announced)}});
    }
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stopping_; });
  }
}

}  // namespace uwallet::support
