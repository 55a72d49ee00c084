#include "uwallet/redis/reply.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "uwallet/common/check.h"

namespace uwallet::redis {
namespace {

constexpr size_t kDebugStringBytesMax = 64;

const char* TypeName(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kArray:
      return "array";
  }
  return "unknown";
}

absl::Status WrongType(const Reply& reply, absl::string_view wanted) {
  return absl::InternalError(
      absl::StrCat("redis: expected ", wanted, " reply, got ", reply.DebugString()));
}

}  // namespace

Reply Reply::Integer(int64_t value) {
  Reply reply;
  reply.type_ = Type::kInteger;
  reply.integer_ = value;
  return reply;
}

Reply Reply::String(std::string value) {
  Reply reply;
  reply.type_ = Type::kString;
  reply.str_ = std::move(value);
  return reply;
}

Reply Reply::Status(std::string value) {
  Reply reply;
  reply.type_ = Type::kStatus;
  reply.str_ = std::move(value);
  return reply;
}

Reply Reply::Error(std::string message) {
  Reply reply;
  reply.type_ = Type::kError;
  reply.str_ = std::move(message);
  return reply;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply reply;
  reply.type_ = Type::kArray;
  reply.elements_ = std::move(elements);
  return reply;
}

int64_t Reply::integer() const {
  UW_CHECK(type_ == Type::kInteger);
  return integer_;
}

const std::string& Reply::str() const {
  UW_CHECK(type_ == Type::kString || type_ == Type::kStatus || type_ == Type::kError);
  return str_;
}

const std::vector<Reply>& Reply::elements() const {
  UW_CHECK(type_ == Type::kArray);
  return elements_;
}

absl::StatusOr<int64_t> Reply::AsInteger() const {
  if (type_ == Type::kInteger) return integer_;
  if (type_ == Type::kError) return ToStatus();
  return WrongType(*this, "integer");
}

absl::StatusOr<std::string> Reply::AsString() const {
  if (type_ == Type::kString || type_ == Type::kStatus) return str_;
  if (type_ == Type::kError) return ToStatus();
  return WrongType(*this, "string");
}

absl::Status Reply::ToStatus() const {
  if (type_ != Type::kError) return absl::OkStatus();
  return StatusFromRedisError(str_);
}

std::string Reply::DebugString() const {
  switch (type_) {
    case Type::kNil:
      return "nil";
    case Type::kInteger:
      return absl::StrCat("(integer) ", integer_);
    case Type::kString:
    case Type::kStatus:
    case Type::kError: {
      std::string text = str_.size() > kDebugStringBytesMax
                             ? absl::StrCat(str_.substr(0, kDebugStringBytesMax), "...")
                             : str_;
      return absl::StrCat("(", TypeName(type_), ") \"", absl::CHexEscape(text), "\"");
    }
    case Type::kArray:
      return absl::StrCat("[",
                          absl::StrJoin(elements_, ", ",
                                        [](std::string* out, const Reply& element) {
                                          out->append(element.DebugString());
                                        }),
                          "]");
  }
  return "unknown";
}

absl::string_view RedisErrorPrefix(absl::string_view error) {
  const size_t space = error.find(' ');
  return space == absl::string_view::npos ? error : error.substr(0, space);
}

absl::Status StatusFromRedisError(absl::string_view error) {
  const std::string message = absl::StrCat("redis: ", error);
  const absl::string_view prefix = RedisErrorPrefix(error);
  if (prefix == "WRONGTYPE") return absl::FailedPreconditionError(message);
  if (prefix == "BUSYGROUP") return absl::AlreadyExistsError(message);
  if (prefix == "NOSCRIPT" || prefix == "NOGROUP") return absl::NotFoundError(message);
  if (prefix == "LOADING" || prefix == "BUSY" || prefix == "MASTERDOWN" || prefix == "READONLY" ||
      prefix == "TRYAGAIN" || prefix == "CLUSTERDOWN" || prefix == "MOVED" || prefix == "ASK" ||
      prefix == "NOREPLICAS" || prefix == "MISCONF") {
    return absl::UnavailableError(message);
  }
  if (prefix == "OOM") return absl::ResourceExhaustedError(message);
  if (prefix == "EXECABORT") return absl::InvalidArgumentError(message);
  if (prefix == "ERR") {
    // The key holds something the command cannot work on: fix the state, not the call.
    if (absl::StrContains(error, "not an integer") ||
        absl::StrContains(error, "not a valid float") || absl::StrContains(error, "overflow") ||
        absl::StrContains(error, "out of range")) {
      return absl::FailedPreconditionError(message);
    }
    // A Lua script failed while running: a bug in the script, not in the caller's input.
    if (absl::StrContains(error, "user_script") ||
        absl::StrContains(error, "Error running script")) {
      return absl::InternalError(message);
    }
    return absl::InvalidArgumentError(message);  // syntax, unknown command, wrong arity, ...
  }
  return absl::InternalError(message);  // NOAUTH, WRONGPASS, NOPERM, unknown prefixes
}

}  // namespace uwallet::redis
