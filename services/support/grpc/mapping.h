#pragma once
// proto ↔ domain, and the authorisation table (one place: which roles may call which RPC).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/support/core/desk.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/support/v1/support.pb.h"

namespace uwallet::support {

// Checks the identity against the table entry of `method` ("SupportService/CreateTicket") and
// returns the caller as core sees it. PERMISSION_DENIED when the role is not listed; a method
// with no entry is denied.
[[nodiscard]] absl::StatusOr<Caller> Authorize(const grpcutil::Identity& identity,
                                               absl::string_view method);

void ToProto(absl::Time time, google::protobuf::Timestamp* out);
[[nodiscard]] absl::Time FromProto(const google::protobuf::Timestamp& ts);

void ToProto(const Ticket& ticket, v1::Ticket* out);
void ToProto(const Message& message, v1::TicketMessage* out);
void ToProto(const StatusChange& change, v1::TicketStatusChange* out);
void ToProto(const FaqHit& hit, v1::FaqHit* out);
void ToProto(const FaqArticle& article, v1::FaqArticle* out);
void ToProto(const TextModule& module, v1::TextModule* out);
void ToProto(const AttachmentMeta& meta, v1::Attachment* out);
[[nodiscard]] FaqArticle FromProto(const v1::FaqArticle& article);
[[nodiscard]] TextModule FromProto(const v1::TextModule& module);
[[nodiscard]] std::vector<NewAttachment> FromProto(
    const google::protobuf::RepeatedPtrField<v1::AttachmentUpload>& uploads);
[[nodiscard]] QueueQuery FromProto(const v1::QueueFilter& filter, const std::string& caller_id);
// Whether a queue event's ticket matches the filter (WatchQueue).
[[nodiscard]] bool Matches(const v1::QueueFilter& filter, const Ticket& ticket,
                           const std::string& caller_id);

// Page tokens are offsets in decimal; INVALID_ARGUMENT when malformed.
[[nodiscard]] absl::StatusOr<int64_t> ParsePageToken(const std::string& token);

}  // namespace uwallet::support
