#include "uwallet/common/ids.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace uwallet {

UuidV7Generator::UuidV7Generator(const Clock& clock)
    : clock_(clock), random_(std::random_device{}()) {}

std::string UuidV7Generator::NewId() {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  if (now_ms <= last_ms_) {
    // Same (or an earlier) millisecond: keep the order with the 12-bit sequence; on overflow,
    // borrow the next millisecond rather than go backwards.
    if (++sequence_ > 0x0fff) {
      sequence_ = 0;
      ++last_ms_;
    }
    now_ms = last_ms_;
  } else {
    last_ms_ = now_ms;
    sequence_ = static_cast<uint16_t>(random_() & 0x03ff);  // leave room to count up
  }
  const uint64_t random_bits = random_();
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(now_ms >> (40 - 8 * i));
  bytes[6] = static_cast<uint8_t>(0x70 | ((sequence_ >> 8) & 0x0f));
  bytes[7] = static_cast<uint8_t>(sequence_ & 0xff);
  bytes[8] = static_cast<uint8_t>(0x80 | ((random_bits >> 56) & 0x3f));
  for (int i = 9; i < 16; ++i) bytes[i] = static_cast<uint8_t>(random_bits >> (8 * (15 - i)));
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6],
                         bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13],
                         bytes[14], bytes[15]);
}

std::string SequentialIdGenerator::NewId() {
  std::lock_guard<std::mutex> lock(mutex_);
  return absl::StrFormat("%s%06d", prefix_, next_++);
}

std::string UuidV7Floor(absl::Time at) {
  const int64_t ms = std::clamp<int64_t>(absl::ToUnixMillis(at), 0, (int64_t{1} << 48) - 1);
  return absl::StrFormat("%08x-%04x-0000-0000-000000000000", static_cast<uint64_t>(ms) >> 16,
                         static_cast<uint64_t>(ms) & 0xffff);
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace uwallet
