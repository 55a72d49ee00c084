#pragma once
// Time comes from an injected Clock so that TTLs, lockouts, SLAs and holds are tested without
// sleeping.

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace uwallet {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual absl::Time Now() const = 0;
};

class RealClock final : public Clock {
 public:
  [[nodiscard]] absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance for wiring in main().
  static RealClock& Instance();
};

// A clock that only moves when told to. Safe to read from many threads.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000))
      : now_ns_(absl::ToUnixNanos(start)) {}
  [[nodiscard]] absl::Time Now() const override {
    return absl::FromUnixNanos(now_ns_.load(std::memory_order_acquire));
  }
  void Advance(absl::Duration by) { now_ns_.fetch_add(absl::ToInt64Nanoseconds(by)); }
  void Set(absl::Time to) { now_ns_.store(absl::ToUnixNanos(to)); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace uwallet
