#pragma once
// A Redis reply as a plain value. Replies are copied out of hiredis's redisReply as soon as they
// are read, so no hiredis type (or its manual memory management) leaves libs/redis.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::redis {

class Reply {
 public:
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  Reply() = default;  // nil
  [[nodiscard]] static Reply Nil() { return Reply(); }
  [[nodiscard]] static Reply Integer(int64_t value);
  [[nodiscard]] static Reply String(std::string value);
  [[nodiscard]] static Reply Status(std::string value);  // a simple string such as "OK"
  [[nodiscard]] static Reply Error(std::string message);
  [[nodiscard]] static Reply Array(std::vector<Reply> elements);

  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] bool IsNil() const { return type_ == Type::kNil; }
  [[nodiscard]] bool IsInteger() const { return type_ == Type::kInteger; }
  [[nodiscard]] bool IsString() const { return type_ == Type::kString; }
  [[nodiscard]] bool IsStatus() const { return type_ == Type::kStatus; }
  [[nodiscard]] bool IsError() const { return type_ == Type::kError; }
  [[nodiscard]] bool IsArray() const { return type_ == Type::kArray; }

  // Unchecked accessors: calling one on the wrong type is a bug and aborts (UW_CHECK).
  [[nodiscard]] int64_t integer() const;
  // The bytes of a string, status or error reply (binary-safe).
  [[nodiscard]] const std::string& str() const;
  [[nodiscard]] const std::vector<Reply>& elements() const;

  // Checked accessors for parsing replies: the wrong type gives INTERNAL (Redis answered something
  // this code did not expect), an error reply gives its mapped status.
  [[nodiscard]] absl::StatusOr<int64_t> AsInteger() const;
  [[nodiscard]] absl::StatusOr<std::string> AsString() const;  // string or status

  // OK unless this is an error reply, which maps to a status code (see StatusFromRedisError).
  [[nodiscard]] absl::Status ToStatus() const;

  // For logs and test failures; long strings are cut.
  [[nodiscard]] std::string DebugString() const;

  friend bool operator==(const Reply& a, const Reply& b) = default;

 private:
  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

// Maps a Redis error reply ("WRONGTYPE Operation against ...") to the status code that says what
// the caller should do. The message keeps the Redis text, prefixed with "redis: ".
//   FAILED_PRECONDITION: WRONGTYPE, "ERR value is not an integer", overflow (the key's state)
//   ALREADY_EXISTS: BUSYGROUP.  NOT_FOUND: NOSCRIPT, NOGROUP.  RESOURCE_EXHAUSTED: OOM.
//   UNAVAILABLE (retry later): LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN, MOVED,
//     ASK, NOREPLICAS, MISCONF.
//   INVALID_ARGUMENT: other ERR (syntax, unknown command, wrong arity), EXECABORT.
//   INTERNAL (neither a retry nor other input fixes it): NOAUTH, WRONGPASS, NOPERM, Lua runtime
//     errors, unknown prefixes.
[[nodiscard]] absl::Status StatusFromRedisError(absl::string_view error);

// The first word of an error reply: "WRONGTYPE", "ERR", "NOSCRIPT", ...
[[nodiscard]] absl::string_view RedisErrorPrefix(absl::string_view error);

}  // namespace uwallet::redis
