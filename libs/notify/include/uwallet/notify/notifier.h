#pragma once
// One way to reach a person: SMS, email or push. Services call Notifier::Send; what delivers it is
// chosen at start-up. Locally (and in tests) the DevMailbox sink keeps the messages in Redis where
// the DevMailboxService RPC, the tests and the local demo read them; a real SMS/email provider
// implements the same interface.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "uwallet/common/clock.h"
#include "uwallet/redis/pool.h"

namespace uwallet::notify {

enum class Channel { kSms, kEmail, kPush };
[[nodiscard]] const char* ChannelName(Channel channel);

struct Notification {
  Channel channel = Channel::kSms;
  std::string destination;  // phone (E.164), email address, or user id for push
  std::string kind;         // "verification_code", "password_changed", "transaction_alert", ...
  std::string subject;      // email subject / push title
  std::string body;         // the text a person reads
  std::string code;         // a verification code, when the message carries one (dev mailbox only)
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  [[nodiscard]] virtual absl::Status Send(const Notification& notification) = 0;
};

struct StoredMessage {
  Notification notification;
  absl::Time sent_at;
};

inline constexpr int kDevMailboxMessagesMax = 50;  // kept per destination, newest first
inline constexpr absl::Duration kDevMailboxTtl = absl::Hours(24);

// Writes to Redis lists "devmailbox:<destination>" (newest first, bounded, expiring).
class DevMailbox final : public Notifier {
 public:
  DevMailbox(redis::Pool& redis, const Clock& clock) : redis_(redis), clock_(clock) {}
  [[nodiscard]] absl::Status Send(const Notification& notification) override;
  [[nodiscard]] absl::StatusOr<std::vector<StoredMessage>> List(absl::string_view destination,
                                                                int limit = kDevMailboxMessagesMax);

 private:
  redis::Pool& redis_;
  const Clock& clock_;
};

// Keeps messages in memory: for unit tests of domain logic.
class FakeNotifier final : public Notifier {
 public:
  [[nodiscard]] absl::Status Send(const Notification& notification) override {
    sent.push_back(notification);
    return absl::OkStatus();
  }
  std::vector<Notification> sent;
};

}  // namespace uwallet::notify
