#include "uwallet/notify/notifier.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "uwallet/common/status.h"

namespace uwallet::notify {

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kSms:
      return "sms";
    case Channel::kEmail:
      return "email";
    case Channel::kPush:
      return "push";
  }
  return "sms";
}

absl::Status DevMailbox::Send(const Notification& n) {
  if (n.destination.empty()) return absl::InvalidArgumentError("notification has no destination");
  nlohmann::json message = {{"channel", ChannelName(n.channel)},
                            {"destination", n.destination},
                            {"kind", n.kind},
                            {"subject", n.subject},
                            {"body", n.body},
                            {"code", n.code},
                            {"sent_at_ms", absl::ToUnixMillis(clock_.Now())}};
  const std::string key = redis_.Key(absl::StrCat("devmailbox:", n.destination));
  UW_ASSIGN_OR_RETURN(
      auto replies,
      redis_.Pipeline(
          {{"LPUSH", key, message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
           {"LTRIM", key, "0", std::to_string(kDevMailboxMessagesMax - 1)},
           {"PEXPIRE", key, std::to_string(absl::ToInt64Milliseconds(kDevMailboxTtl))}}));
  for (const auto& reply : replies) UW_RETURN_IF_ERROR(reply.ToStatus());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StoredMessage>> DevMailbox::List(absl::string_view destination,
                                                            int limit) {
  limit = std::clamp(limit, 1, kDevMailboxMessagesMax);
  UW_ASSIGN_OR_RETURN(
      redis::Reply reply,
      redis_.Command({"LRANGE", redis_.Key(absl::StrCat("devmailbox:", destination)), "0",
                      std::to_string(limit - 1)}));
  std::vector<StoredMessage> messages;
  if (!reply.IsArray()) return messages;
  for (const auto& element : reply.elements()) {
    auto json = nlohmann::json::parse(element.str(), nullptr, false);
    if (!json.is_object()) continue;
    StoredMessage message;
    const std::string channel = json.value("channel", "sms");
    message.notification.channel = channel == "email"  ? Channel::kEmail
                                   : channel == "push" ? Channel::kPush
                                                       : Channel::kSms;
    message.notification.destination = json.value("destination", "");
    message.notification.kind = json.value("kind", "");
    message.notification.subject = json.value("subject", "");
    message.notification.body = json.value("body", "");
    message.notification.code = json.value("code", "");
    message.sent_at = absl::FromUnixMillis(json.value("sent_at_ms", int64_t{0}));
    messages.push_back(std::move(message));
  }
  return messages;
}

}  // namespace uwallet::notify
