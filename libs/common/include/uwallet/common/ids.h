#pragma once
// Time-ordered identifiers (UUIDv7, RFC 9562): sortable by creation time, so they index well and
// page stably, and unguessable enough in their 74 random bits for use as public ids.

#include <array>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "uwallet/common/clock.h"

namespace uwallet {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new id in the canonical 36-character form (8-4-4-4-12 lowercase hex).
  [[nodiscard]] virtual std::string NewId() = 0;
};

class UuidV7Generator final : public IdGenerator {
 public:
  explicit UuidV7Generator(const Clock& clock);
  [[nodiscard]] std::string NewId() override;

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::mt19937_64 random_;
  int64_t last_ms_ = 0;
  uint16_t sequence_ = 0;  // keeps ids from one millisecond ordered
};

// Counts up: "id-000001", "id-000002", ... for tests that want predictable ids.
class SequentialIdGenerator final : public IdGenerator {
 public:
  explicit SequentialIdGenerator(std::string prefix = "id-") : prefix_(std::move(prefix)) {}
  [[nodiscard]] std::string NewId() override;

 private:
  std::string prefix_;
  std::mutex mutex_;
  uint64_t next_ = 1;
};

// The smallest UUIDv7 of the millisecond `at` (the first 48 bits are the milliseconds, the rest
// zero): every id made at or after `at` sorts after it, every id made before sorts before, so a
// time bound becomes a primary-key bound. Clamped to the 48-bit range.
[[nodiscard]] std::string UuidV7Floor(absl::Time at);

// True for the canonical 36-character UUID form (any version).
[[nodiscard]] bool IsUuid(absl::string_view text);

}  // namespace uwallet
