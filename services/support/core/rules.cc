#include "services/support/core/rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "uwallet/common/status.h"

namespace uwallet::support {

bool CanTransition(Status from, Status to) {
  switch (from) {
    case Status::kNew:
      return to == Status::kOpen || to == Status::kPendingCustomer || to == Status::kResolved ||
             to == Status::kClosed;
    case Status::kOpen:
      return to == Status::kPendingCustomer || to == Status::kResolved || to == Status::kClosed;
    case Status::kPendingCustomer:
      return to == Status::kOpen || to == Status::kResolved || to == Status::kClosed;
    case Status::kResolved:
      return to == Status::kClosed || to == Status::kOpen;
    case Status::kClosed:
      return to == Status::kOpen;  // reopen, within the window (checked by the caller)
  }
  return false;
}

absl::Status CheckTransition(Status from, Status to) {
  if (CanTransition(from, to)) return absl::OkStatus();
  return WithReason(
      absl::StatusCode::kFailedPrecondition, "INVALID_STATE",
      absl::StrCat("a ticket cannot go from ", StatusName(from), " to ", StatusName(to)));
}

const char* StatusName(Status status) {
  switch (status) {
    case Status::kNew:
      return "new";
    case Status::kOpen:
      return "open";
    case Status::kPendingCustomer:
      return "pending_customer";
    case Status::kResolved:
      return "resolved";
    case Status::kClosed:
      return "closed";
  }
  return "unknown";
}

std::string DetectContentType(absl::string_view c) {
  auto starts = [&](absl::string_view magic) { return c.substr(0, magic.size()) == magic; };
  if (starts(absl::string_view("\x89PNG\r\n\x1a\n", 8))) return "image/png";
  if (starts(absl::string_view("\xff\xd8\xff", 3))) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (c.size() >= 12 && starts("RIFF") && c.substr(8, 4) == "WEBP") return "image/webp";
  if (starts("%PDF-")) return "application/pdf";
  return "";
}

absl::Status ValidateAttachments(std::vector<NewAttachment>& files, int already_on_ticket) {
  if (already_on_ticket + static_cast<int64_t>(files.size()) > kAttachmentsPerTicketMax) {
    return WithReason(
        absl::StatusCode::kInvalidArgument, "TOO_MANY_ATTACHMENTS",
        absl::StrCat("a ticket holds at most ", kAttachmentsPerTicketMax, " attachments"));
  }
  for (NewAttachment& file : files) {
    if (file.content.empty()) {
      return WithReason(absl::StatusCode::kInvalidArgument, "ATTACHMENT_EMPTY",
                        "an attachment is empty");
    }
    if (static_cast<int64_t>(file.content.size()) > kAttachmentBytesMax) {
      return WithReason(absl::StatusCode::kInvalidArgument, "ATTACHMENT_TOO_LARGE",
                        "an attachment may be at most 5 MiB");
    }
    if (file.file_name.size() > kFileNameBytesMax) {
      return WithReason(absl::StatusCode::kInvalidArgument, "ATTACHMENT_NAME_TOO_LONG",
                        "file names are at most 255 bytes");
    }
    file.content_type = DetectContentType(file.content);
    if (file.content_type.empty()) {
      return WithReason(absl::StatusCode::kInvalidArgument, "ATTACHMENT_TYPE_NOT_ALLOWED",
                        "only images (PNG, JPEG, GIF, WebP) and PDF files can be attached");
    }
  }
  return absl::OkStatus();
}

bool CanViewTicket(const Caller& caller, const Ticket& ticket) {
  if (caller.Staff()) return true;
  if (caller.analyst) {
    return ticket.category == Category::kSecurity || ticket.category == Category::kDispute;
  }
  return caller.customer && !caller.user_id.empty() && caller.user_id == ticket.user_id;
}

bool CanSeeInternalNotes(const Caller& caller) { return caller.Staff() || caller.analyst; }

absl::Status CheckViewTicket(const Caller& caller, const Ticket& ticket) {
  if (CanViewTicket(caller, ticket)) return absl::OkStatus();
  return WithReason(absl::StatusCode::kNotFound, "TICKET_NOT_FOUND", "no such ticket");
}

void FilterForCaller(const Caller& caller, TicketView& view) {
  if (CanSeeInternalNotes(caller)) return;
  std::vector<Message> visible;
  visible.reserve(view.messages.size());
  for (Message& message : view.messages) {
    if (!message.internal_note) visible.push_back(std::move(message));
  }
  view.messages = std::move(visible);
}

Priority DefaultPriority(Category category) {
  switch (category) {
    case Category::kSecurity:
      return Priority::kUrgent;
    case Category::kDispute:
    case Category::kMoneyNotArrived:
    case Category::kPaymentFailed:
      return Priority::kHigh;
    case Category::kTechnical:
    case Category::kOther:
      return Priority::kLow;
    default:
      return Priority::kNormal;
  }
}

std::string ExpandPlaceholders(absl::string_view body, const PlaceholderValues& values) {
  return absl::StrReplaceAll(body, {{"{{customer.name}}", values.customer_name},
                                    {"{{agent.name}}", values.agent_name},
                                    {"{{ticket.id}}", values.ticket_id}});
}

}  // namespace uwallet::support
