// Stream helpers on Pool: XADD, consumer groups, XREADGROUP, XACK, XAUTOCLAIM.

#include <utility>

#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"
#include "uwallet/redis/pool.h"

namespace uwallet::redis {
namespace {

absl::Status Malformed(absl::string_view command, const Reply& reply) {
  return absl::InternalError(
      absl::StrCat("redis: malformed reply to ", command, ": ", reply.DebugString()));
}

absl::Status CheckCount(int64_t count, absl::string_view command) {
  if (count < 1 || count > Pool::kStreamCountMax) {
    return absl::InvalidArgumentError(absl::StrCat("redis ", command, ": count ", count,
                                                   " is not in 1..", Pool::kStreamCountMax));
  }
  return absl::OkStatus();
}

// [id, [field, value, ...]] -> StreamEntry. The field list is nil for an entry that was deleted
// while pending; it comes back with no fields.
absl::StatusOr<StreamEntry> ParseEntry(const Reply& reply, absl::string_view command) {
  if (!reply.IsArray() || reply.elements().size() != 2 || !reply.elements()[0].IsString()) {
    return Malformed(command, reply);
  }
  StreamEntry entry;
  entry.id = reply.elements()[0].str();
  const Reply& fields = reply.elements()[1];
  if (fields.IsNil()) return entry;
  if (!fields.IsArray() || fields.elements().size() % 2 != 0) return Malformed(command, reply);
  for (size_t i = 0; i + 1 < fields.elements().size(); i += 2) {
    const Reply& name = fields.elements()[i];
    const Reply& value = fields.elements()[i + 1];
    if (!name.IsString() || !value.IsString()) return Malformed(command, reply);
    entry.fields[name.str()] = value.str();
  }
  return entry;
}

absl::StatusOr<std::vector<StreamEntry>> ParseEntries(const Reply& reply,
                                                      absl::string_view command) {
  if (!reply.IsArray()) return Malformed(command, reply);
  std::vector<StreamEntry> entries;
  entries.reserve(reply.elements().size());
  for (const Reply& element : reply.elements()) {
    UW_ASSIGN_OR_RETURN(StreamEntry entry, ParseEntry(element, command));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::string> Pool::XAdd(absl::string_view stream, const FieldValues& fields,
                                       int64_t maxlen_approx) {
  if (fields.empty()) return absl::InvalidArgumentError("redis XADD: no fields");
  if (maxlen_approx < 0) return absl::InvalidArgumentError("redis XADD: negative maxlen");
  std::vector<std::string> command = {"XADD", std::string(stream)};
  if (maxlen_approx > 0) {
    command.insert(command.end(), {"MAXLEN", "~", absl::StrCat(maxlen_approx)});
  }
  command.push_back("*");
  for (const auto& [name, value] : fields) {
    command.push_back(name);
    command.push_back(value);
  }
  UW_ASSIGN_OR_RETURN(Reply reply, Command(std::move(command)));
  if (!reply.IsString()) return Malformed("XADD", reply);
  return reply.str();
}

absl::Status Pool::XGroupCreate(absl::string_view stream, absl::string_view group, bool mkstream,
                                absl::string_view start_id) {
  std::vector<std::string> command = {"XGROUP", "CREATE", std::string(stream), std::string(group),
                                      std::string(start_id)};
  if (mkstream) command.push_back("MKSTREAM");
  absl::StatusOr<Reply> reply = Command(std::move(command));
  if (reply.ok() || absl::IsAlreadyExists(reply.status())) return absl::OkStatus();  // BUSYGROUP
  return reply.status();
}

absl::StatusOr<std::vector<StreamEntry>> Pool::XReadGroup(absl::string_view group,
                                                          absl::string_view consumer,
                                                          absl::string_view stream, int64_t count,
                                                          absl::Duration block) {
  UW_RETURN_IF_ERROR(CheckCount(count, "XREADGROUP"));
  if (block < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("redis XREADGROUP: negative block");
  }
  std::vector<std::string> command = {"XREADGROUP",          "GROUP", std::string(group),
                                      std::string(consumer), "COUNT", absl::StrCat(count)};
  // BLOCK 0 would wait forever; a block under 1ms is sent as no BLOCK at all.
  const int64_t block_ms = absl::ToInt64Milliseconds(block);
  if (block_ms > 0) command.insert(command.end(), {"BLOCK", absl::StrCat(block_ms)});
  command.insert(command.end(), {"STREAMS", std::string(stream), ">"});
  UW_ASSIGN_OR_RETURN(Reply reply, RunOne(command, absl::Milliseconds(block_ms)));
  UW_RETURN_IF_ERROR(reply.ToStatus());
  if (reply.IsNil()) return std::vector<StreamEntry>();  // nothing arrived within `block`
  // [[stream, [entry, ...]]]
  if (!reply.IsArray() || reply.elements().size() != 1 || !reply.elements()[0].IsArray() ||
      reply.elements()[0].elements().size() != 2) {
    return Malformed("XREADGROUP", reply);
  }
  return ParseEntries(reply.elements()[0].elements()[1], "XREADGROUP");
}

absl::StatusOr<int64_t> Pool::XAck(absl::string_view stream, absl::string_view group,
                                   const std::vector<std::string>& ids) {
  if (ids.empty()) return 0;
  if (ids.size() > static_cast<size_t>(kStreamCountMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis XACK: ", ids.size(), " ids exceed ", kStreamCountMax));
  }
  std::vector<std::string> command = {"XACK", std::string(stream), std::string(group)};
  command.insert(command.end(), ids.begin(), ids.end());
  UW_ASSIGN_OR_RETURN(Reply reply, Command(std::move(command)));
  if (!reply.IsInteger()) return Malformed("XACK", reply);
  return reply.integer();
}

absl::StatusOr<AutoClaimResult> Pool::XAutoClaim(absl::string_view stream, absl::string_view group,
                                                 absl::string_view consumer,
                                                 absl::Duration min_idle, int64_t count,
                                                 absl::string_view start_id) {
  UW_RETURN_IF_ERROR(CheckCount(count, "XAUTOCLAIM"));
  if (min_idle < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("redis XAUTOCLAIM: negative min_idle");
  }
  UW_ASSIGN_OR_RETURN(Reply reply, Command({"XAUTOCLAIM", std::string(stream), std::string(group),
                                            std::string(consumer),
                                            absl::StrCat(absl::ToInt64Milliseconds(min_idle)),
                                            std::string(start_id), "COUNT", absl::StrCat(count)}));
  // Redis 7: [next-start-id, [entry, ...], [deleted-id, ...]]
  if (!reply.IsArray() || reply.elements().size() < 2 || !reply.elements()[0].IsString()) {
    return Malformed("XAUTOCLAIM", reply);
  }
  AutoClaimResult result;
  result.next_start_id = reply.elements()[0].str();
  UW_ASSIGN_OR_RETURN(result.entries, ParseEntries(reply.elements()[1], "XAUTOCLAIM"));
  if (reply.elements().size() >= 3 && reply.elements()[2].IsArray()) {
    for (const Reply& id : reply.elements()[2].elements()) {
      if (!id.IsString()) return Malformed("XAUTOCLAIM", reply);
      result.deleted_ids.push_back(id.str());
    }
  }
  return result;
}

}  // namespace uwallet::redis
