#include "connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"

namespace uwallet::redis::internal {
namespace {

timeval TimeoutTimeval(absl::Duration duration) {
  const int64_t micros = std::max<int64_t>(1, absl::ToInt64Microseconds(duration));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(micros / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(micros % 1'000'000);
  return tv;
}

// hiredis writes with write(2), so a write to a connection the server has closed raises SIGPIPE,
// whose default action kills the process. Like libpq, block SIGPIPE on this thread while writing
// and swallow one that our write raised, without touching the process-wide disposition.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_mask_);
    was_blocked_ = sigismember(&previous_mask_, SIGPIPE) == 1;
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec no_wait{};
        sigtimedwait(&sigpipe_, nullptr, &no_wait);
      }
    }
    if (!was_blocked_) pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t sigpipe_;
  sigset_t previous_mask_;
  bool was_blocked_ = false;
  bool was_pending_ = false;
};

}  // namespace

SteadyTime DeadlineAfter(absl::Duration duration) {
  return std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(duration);
}

Reply ConvertReply(const redisReply* reply) {
  if (reply == nullptr) return Reply::Nil();
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(reply->integer);
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(reply->str, reply->len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(reply->str, reply->len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(reply->str, reply->len));
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        elements.push_back(ConvertReply(reply->element[i]));
      }
      return Reply::Array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
    default:
      return Reply::Nil();
  }
}

Connection::Connection(redisContext* context, std::string address)
    : context_(context), address_(std::move(address)) {}

Connection::~Connection() { redisFree(context_); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const PoolOptions& options) {
  std::string address = absl::StrCat("redis ", options.host, ":", options.port);
  redisContext* context = redisConnectWithTimeout(options.host.c_str(), options.port,
                                                  TimeoutTimeval(options.connect_timeout));
  if (context == nullptr) {
    return absl::UnavailableError(absl::StrCat(address, ": connect failed: out of memory"));
  }
  if (context->err != 0) {
    std::string why = context->errstr;
    redisFree(context);
    return absl::UnavailableError(absl::StrCat(address, ": connect failed: ", why));
  }
  // Bounds each blocking write; reads wait in poll() against the caller's deadline instead.
  if (redisSetTimeout(context, TimeoutTimeval(options.command_timeout)) != REDIS_OK) {
    std::string why = context->errstr;
    redisFree(context);
    return absl::UnavailableError(absl::StrCat(address, ": setting timeouts failed: ", why));
  }
  // Keepalive lets the kernel notice a peer that vanished without closing (best effort).
  (void)redisEnableKeepAlive(context);
  std::unique_ptr<Connection> connection(new Connection(context, std::move(address)));

  std::vector<std::vector<std::string>> handshake;
  if (!options.password.empty()) handshake.push_back({"AUTH", options.password});
  if (!options.client_name.empty()) {
    handshake.push_back({"CLIENT", "SETNAME", options.client_name});
  }
  if (!handshake.empty()) {
    UW_ASSIGN_OR_RETURN(std::vector<Reply> replies,
                        connection->Execute(handshake, DeadlineAfter(options.connect_timeout)));
    for (const Reply& reply : replies) {
      if (reply.IsError()) return Annotate(reply.ToStatus(), connection->address_ + ": connect");
    }
  }
  return connection;
}

absl::Status Connection::IoError(absl::string_view what) {
  broken_ = true;
  std::string why = context_->errstr;
  if (context_->err == REDIS_ERR_IO && (why.find("temporarily unavailable") != std::string::npos ||
                                        why.find("timed out") != std::string::npos)) {
    why = "timed out";
  }
  return absl::UnavailableError(absl::StrCat(address_, ": ", what, " failed: ", why));
}

absl::Status Connection::Send(const std::vector<std::vector<std::string>>& commands,
                              SteadyTime deadline) {
  if (broken_) return absl::UnavailableError(absl::StrCat(address_, ": connection is broken"));
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::vector<std::string>& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      return IoError("queueing a command");
    }
  }
  ScopedSigpipeBlock no_sigpipe;
  int done = 0;
  while (done == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat(address_, ": timed out sending a command"));
    }
    if (redisBufferWrite(context_, &done) != REDIS_OK) return IoError("send");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Reply>> Connection::Read(SteadyTime deadline) {
  if (broken_) return absl::UnavailableError(absl::StrCat(address_, ": connection is broken"));
  while (true) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) return IoError("read");
    if (raw != nullptr) {
      Reply reply = ConvertReply(static_cast<const redisReply*>(raw));
      freeReplyObject(raw);
      return reply;
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    const int64_t wait_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd poll_fd{};
    poll_fd.fd = context_->fd;
    poll_fd.events = POLLIN;
    const int ready = poll(&poll_fd, 1, static_cast<int>(std::min<int64_t>(wait_ms, INT_MAX)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      broken_ = true;
      return absl::UnavailableError(absl::StrCat(address_, ": poll failed"));
    }
    if (ready == 0) continue;  // the deadline check above ends the loop
    if (redisBufferRead(context_) != REDIS_OK) return IoError("read");
  }
}

absl::StatusOr<std::vector<Reply>> Connection::Execute(
    const std::vector<std::vector<std::string>>& commands, SteadyTime deadline) {
  UW_RETURN_IF_ERROR(Send(commands, deadline));
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    UW_ASSIGN_OR_RETURN(std::optional<Reply> reply, Read(deadline));
    if (!reply.has_value()) {
      // The reply may still arrive later and would be read as the answer to the next command.
      broken_ = true;
      return absl::UnavailableError(
          absl::StrCat(address_, ": timed out waiting for the reply to ", commands[i].front()));
    }
    replies.push_back(*std::move(reply));
  }
  return replies;
}

bool Connection::LooksAlive() {
  if (broken_ || context_->err != 0) return false;
  char byte = 0;
  const ssize_t peeked = recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  return false;  // 0: closed by the server; > 0: unrequested bytes; < 0: socket error
}

}  // namespace uwallet::redis::internal
