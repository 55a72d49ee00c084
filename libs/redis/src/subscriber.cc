#include "uwallet/redis/subscriber.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "connection.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::redis {
namespace {

constexpr absl::Duration kReconnectBackoffInitial = absl::Milliseconds(50);
constexpr absl::Duration kReconnectBackoffMax = absl::Seconds(1);

// ["message", channel, payload] -> Message; anything else (subscribe confirmations) -> nullopt.
std::optional<Message> AsMessage(const Reply& reply) {
  if (!reply.IsArray() || reply.elements().size() != 3) return std::nullopt;
  const std::vector<Reply>& parts = reply.elements();
  if (!parts[0].IsString() || parts[0].str() != "message" || !parts[1].IsString() ||
      !parts[2].IsString()) {
    return std::nullopt;
  }
  return Message{parts[1].str(), parts[2].str()};
}

// ["subscribe", channel, count] -> channel.
std::optional<std::string> AsSubscribeConfirmation(const Reply& reply) {
  if (!reply.IsArray() || reply.elements().size() != 3) return std::nullopt;
  const std::vector<Reply>& parts = reply.elements();
  if (!parts[0].IsString() || parts[0].str() != "subscribe" || !parts[1].IsString()) {
    return std::nullopt;
  }
  return parts[1].str();
}

}  // namespace

Subscriber::Subscriber(PoolOptions options) : options_(std::move(options)) {}
Subscriber::~Subscriber() = default;

absl::StatusOr<std::unique_ptr<Subscriber>> Subscriber::Create(PoolOptions options) {
  UW_RETURN_IF_ERROR(ValidateOptions(options));
  return std::unique_ptr<Subscriber>(new Subscriber(std::move(options)));
}

std::string Subscriber::Key(absl::string_view key) const {
  return absl::StrCat(options_.key_prefix, key);
}

void Subscriber::Buffer(Message message) {
  if (buffered_.size() >= kBufferedMessagesMax) {
    buffered_.pop_front();  // at-most-once delivery: drop the oldest rather than grow unbounded
    log::Warn("redis subscriber buffer full, dropped a message");
  }
  buffered_.push_back(std::move(message));
}

absl::Status Subscriber::SendSubscribe(const std::vector<std::string>& channels) {
  if (channels.empty()) return absl::OkStatus();
  std::vector<std::string> command = {"SUBSCRIBE"};
  command.insert(command.end(), channels.begin(), channels.end());
  const internal::SteadyTime deadline = internal::DeadlineAfter(options_.command_timeout);
  absl::Status sent = connection_->Send({command}, deadline);
  if (!sent.ok()) {
    connection_.reset();
    return sent;
  }
  // One confirmation per channel; messages on channels subscribed earlier may come in between.
  std::set<std::string> unconfirmed(channels.begin(), channels.end());
  while (!unconfirmed.empty()) {
    absl::StatusOr<std::optional<Reply>> reply = connection_->Read(deadline);
    if (!reply.ok() || !reply->has_value()) {
      connection_.reset();
      return reply.ok() ? absl::UnavailableError("redis: timed out waiting for SUBSCRIBE")
                        : reply.status();
    }
    if ((*reply)->IsError()) {
      connection_.reset();
      return (*reply)->ToStatus();
    }
    if (std::optional<Message> message = AsMessage(**reply)) {
      Buffer(*std::move(message));
    } else if (std::optional<std::string> channel = AsSubscribeConfirmation(**reply)) {
      unconfirmed.erase(*channel);
    }
  }
  return absl::OkStatus();
}

absl::Status Subscriber::Connect() {
  UW_ASSIGN_OR_RETURN(connection_, internal::Connection::Open(options_));
  UW_RETURN_IF_ERROR(SendSubscribe(std::vector<std::string>(channels_.begin(), channels_.end())));
  if (connected_before_) ++reconnects_;
  connected_before_ = true;
  return absl::OkStatus();
}

absl::Status Subscriber::Subscribe(std::vector<std::string> channels) {
  std::vector<std::string> added;
  for (std::string& channel : channels) {
    if (channels_.count(channel) > 0) continue;
    if (channels_.size() >= kChannelsMax) {
      return absl::ResourceExhaustedError(
          absl::StrCat("redis subscriber: more than ", kChannelsMax, " channels"));
    }
    channels_.insert(channel);
    added.push_back(std::move(channel));
  }
  if (connection_ == nullptr) return Connect();  // subscribes to every channel
  return SendSubscribe(added);
}

absl::StatusOr<Message> Subscriber::Next(absl::Duration timeout) {
  const internal::SteadyTime deadline = internal::DeadlineAfter(timeout);
  absl::Duration backoff = kReconnectBackoffInitial;
  absl::Status last_error = absl::OkStatus();
  while (true) {
    if (!buffered_.empty()) {
      Message message = std::move(buffered_.front());
      buffered_.pop_front();
      return message;
    }
    if (connection_ == nullptr) {
      last_error = Connect();
      if (!last_error.ok()) {
        connection_.reset();
        const internal::SteadyTime retry_at = internal::DeadlineAfter(backoff);
        if (retry_at >= deadline) {
          return absl::UnavailableError(
              absl::StrCat("redis subscriber disconnected: ", last_error.message()));
        }
        std::this_thread::sleep_until(retry_at);
        backoff = std::min(backoff * 2, kReconnectBackoffMax);
        continue;
      }
    }
    absl::StatusOr<std::optional<Reply>> reply = connection_->Read(deadline);
    if (!reply.ok()) {
      log::Warn("redis subscriber lost its connection, reconnecting",
                {{"error", std::string(reply.status().message())}});
      connection_.reset();
      continue;
    }
    if (!reply->has_value()) {
      return absl::DeadlineExceededError(
          absl::StrCat("redis subscriber: no message within ", absl::FormatDuration(timeout)));
    }
    if (std::optional<Message> message = AsMessage(**reply)) return *std::move(message);
    // A late subscribe confirmation or similar: keep waiting.
  }
}

}  // namespace uwallet::redis
