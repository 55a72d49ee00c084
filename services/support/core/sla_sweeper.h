#pragma once
// The SLA breach sweeper: a background thread that, every `interval`, asks the desk to announce
// tickets whose first-response or resolution target passed (QUEUE_EVENT_KIND_SLA_BREACHED on
// WatchQueue plus an outbox event). Every replica runs one; the store's conditional claim makes
// each ticket and target announced exactly once.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "services/support/core/desk.h"

namespace uwallet::support {

inline constexpr absl::Duration kSlaSweepIntervalDefault = absl::Seconds(30);
// Batches per round at most (a bound on the loop): 20 × kSlaSweepBatchMax tickets per interval.
inline constexpr int kSlaSweepBatchesPerRoundMax = 20;

class SlaSweeper {
 public:
  SlaSweeper(SupportDesk& desk, absl::Duration interval) : desk_(desk), interval_(interval) {}
  ~SlaSweeper() { Stop(); }
  SlaSweeper(const SlaSweeper&) = delete;
  SlaSweeper& operator=(const SlaSweeper&) = delete;

  void Start();
  // Wakes the thread and waits for it (an in-flight round finishes its batch first).
  void Stop();
  // One round: batches until fewer than a full batch are claimed. Returns how many were announced.
  [[nodiscard]] absl::StatusOr<int> RunOnce();

 private:
  void Loop();

  SupportDesk& desk_;
  const absl::Duration interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace uwallet::support
