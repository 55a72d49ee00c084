#include "uwallet/redis/pool.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "connection.h"
#include "uwallet/common/check.h"
#include "uwallet/common/status.h"

namespace uwallet::redis {

absl::Status ValidateOptions(const PoolOptions& options) {
  if (options.host.empty()) return absl::InvalidArgumentError("redis options: host is empty");
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis options: port ", options.port, " is not in 1..65535"));
  }
  if (options.pool_size < 1 || options.pool_size > Pool::kPoolSizeMax) {
    return absl::InvalidArgumentError(absl::StrCat("redis options: pool_size ", options.pool_size,
                                                   " is not in 1..", Pool::kPoolSizeMax));
  }
  if (options.connect_timeout < absl::Milliseconds(1) ||
      options.command_timeout < absl::Milliseconds(1) ||
      options.wait_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "redis options: connect_timeout and command_timeout must be >= 1ms, wait_timeout >= 0");
  }
  for (char c : options.client_name) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("redis options: client_name must be printable, no spaces");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  HostPort result;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &result.port) || result.port < 1 ||
      result.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address \"", address, "\" is not HOST:PORT"));
  }
  result.host = std::string(address.substr(0, colon));
  return result;
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  idle_.reserve(static_cast<size_t>(options_.pool_size));
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(PoolOptions options) {
  UW_RETURN_IF_ERROR(ValidateOptions(options));
  return std::unique_ptr<Pool>(new Pool(std::move(options)));
}

Pool::~Pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  // A borrowed connection outliving its pool would be returned into freed memory.
  UW_CHECK(stats_.open == static_cast<int>(idle_.size()));
}

std::string Pool::Key(absl::string_view key) const {
  return absl::StrCat(options_.key_prefix, key);
}

PoolStats Pool::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats stats = stats_;
  stats.idle = static_cast<int>(idle_.size());
  return stats;
}

absl::StatusOr<std::unique_ptr<internal::Connection>> Pool::Borrow() {
  const internal::SteadyTime deadline = internal::DeadlineAfter(options_.wait_timeout);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<internal::Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->LooksAlive()) return connection;
      // Closed by the server while idle (restart, CLIENT KILL, timeout): replace it.
      --stats_.open;
      ++stats_.discarded;
    }
    if (stats_.open < options_.pool_size) {
      ++stats_.open;  // reserve the slot, connect outside the lock
      lock.unlock();
      absl::StatusOr<std::unique_ptr<internal::Connection>> opened =
          internal::Connection::Open(options_);
      lock.lock();
      if (opened.ok()) {
        ++stats_.connects;
      } else {
        --stats_.open;
        ++stats_.connect_failures;
        lock.unlock();
        available_.notify_one();
      }
      return opened;
    }
    ++stats_.waiting;
    const bool woken = available_.wait_until(
        lock, deadline, [this] { return !idle_.empty() || stats_.open < options_.pool_size; });
    --stats_.waiting;
    if (!woken) {
      ++stats_.exhausted;
      return absl::UnavailableError(absl::StrCat("redis pool exhausted: all ", options_.pool_size,
                                                 " connections busy for longer than ",
                                                 absl::FormatDuration(options_.wait_timeout)));
    }
  }
}

void Pool::Return(std::unique_ptr<internal::Connection> connection) {
  std::unique_ptr<internal::Connection> broken;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (connection->healthy()) {
      idle_.push_back(std::move(connection));
    } else {
      broken = std::move(connection);  // closed below, outside the lock
      --stats_.open;
      ++stats_.discarded;
    }
  }
  available_.notify_one();
}

absl::StatusOr<std::vector<Reply>> Pool::Run(const std::vector<std::vector<std::string>>& commands,
                                             absl::Duration extra_wait) {
  UW_ASSIGN_OR_RETURN(std::unique_ptr<internal::Connection> connection, Borrow());
  absl::StatusOr<std::vector<Reply>> replies =
      connection->Execute(commands, internal::DeadlineAfter(options_.command_timeout + extra_wait));
  Return(std::move(connection));
  return replies;
}

absl::StatusOr<Reply> Pool::RunOne(const std::vector<std::string>& args,
                                   absl::Duration extra_wait) {
  if (args.empty()) return absl::InvalidArgumentError("redis: empty command");
  std::vector<std::vector<std::string>> commands(1, args);
  UW_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run(commands, extra_wait));
  return std::move(replies.front());
}

absl::StatusOr<Reply> Pool::Command(std::vector<std::string> args) {
  if (args.empty()) return absl::InvalidArgumentError("redis: empty command");
  std::vector<std::vector<std::string>> commands;
  commands.push_back(std::move(args));
  UW_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run(commands, absl::ZeroDuration()));
  UW_RETURN_IF_ERROR(replies.front().ToStatus());
  return std::move(replies.front());
}

absl::StatusOr<std::vector<Reply>> Pool::Pipeline(std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) return std::vector<Reply>();
  if (commands.size() > kPipelineCommandsMax) {
    return absl::InvalidArgumentError(absl::StrCat("redis: pipeline of ", commands.size(),
                                                   " commands exceeds ", kPipelineCommandsMax));
  }
  for (const std::vector<std::string>& command : commands) {
    if (command.empty()) return absl::InvalidArgumentError("redis: empty command in pipeline");
  }
  return Run(commands, absl::ZeroDuration());
}

absl::Status Pool::Ping() {
  UW_ASSIGN_OR_RETURN(Reply reply, Command({"PING"}));
  if (!reply.IsStatus() || reply.str() != "PONG") {
    return absl::InternalError(absl::StrCat("redis: PING answered ", reply.DebugString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Reply> Pool::Eval(const Script& script, std::vector<std::string> keys,
                                 std::vector<std::string> args) {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.push_back("EVALSHA");
  command.push_back(script.sha1());
  command.push_back(absl::StrCat(keys.size()));
  for (std::string& key : keys) command.push_back(std::move(key));
  for (std::string& arg : args) command.push_back(std::move(arg));
  UW_ASSIGN_OR_RETURN(Reply reply, RunOne(command, absl::ZeroDuration()));
  if (reply.IsError() && RedisErrorPrefix(reply.str()) == "NOSCRIPT") {
    // The server lost its script cache (restart, failover, SCRIPT FLUSH). EVAL runs the script
    // and caches it again, so the next EVALSHA hits.
    command[0] = "EVAL";
    command[1] = script.source();
    UW_ASSIGN_OR_RETURN(reply, RunOne(command, absl::ZeroDuration()));
  }
  UW_RETURN_IF_ERROR(reply.ToStatus());
  return reply;
}

}  // namespace uwallet::redis
