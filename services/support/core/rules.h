#pragma once
// The ticket state machine, attachment checks by content, and who may see what.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/support/core/model.h"

namespace uwallet::support {

// ---- state machine ----------------------------------------------------------------------------
// new → open → pending customer ↔ open → resolved → closed; resolved/closed → open by reopening
// within the window; new/open/pending → closed (customer gives up, duplicate).
[[nodiscard]] bool CanTransition(Status from, Status to);
// INVALID_STATE (FAILED_PRECONDITION) when the transition is not allowed.
[[nodiscard]] absl::Status CheckTransition(Status from, Status to);
[[nodiscard]] const char* StatusName(Status status);

inline constexpr absl::Duration kReopenWindowDefault = absl::Hours(24 * 7);

// ---- attachments --------------------------------------------------------------------------------
inline constexpr int64_t kAttachmentBytesMax = 5 * 1024 * 1024;
inline constexpr int kAttachmentsPerTicketMax = 10;
inline constexpr size_t kFileNameBytesMax = 255;

// The MIME type from the first bytes (PNG, JPEG, GIF, WebP, PDF); "" for anything else.
[[nodiscard]] std::string DetectContentType(absl::string_view content);
// Checks every file and fills content_type. ATTACHMENT_TYPE_NOT_ALLOWED, ATTACHMENT_TOO_LARGE,
// TOO_MANY_ATTACHMENTS (counting those already on the ticket), ATTACHMENT_EMPTY.
[[nodiscard]] absl::Status ValidateAttachments(std::vector<NewAttachment>& files,
                                               int already_on_ticket);

// ---- authorisation ------------------------------------------------------------------------------
// Who is calling, as core sees it (mapped from the signed identity in grpc/).
struct Caller {
  std::string user_id;
  bool customer = false;  // a signed-in end user
  bool agent = false;     // support agent
  bool admin = false;
  bool analyst = false;
  std::string service;  // "fraud" for a service caller
  [[nodiscard]] bool Staff() const { return agent || admin; }
};

// A customer sees only their own tickets; agents and admins see all; analysts read security and
// dispute tickets only (fraud investigations).
[[nodiscard]] bool CanViewTicket(const Caller& caller, const Ticket& ticket);
// Internal notes: staff only, never the customer.
[[nodiscard]] bool CanSeeInternalNotes(const Caller& caller);
// NOT_FOUND for a ticket the caller may not see (never reveal that it exists).
[[nodiscard]] absl::Status CheckViewTicket(const Caller& caller, const Ticket& ticket);
// Drops what the caller may not see (internal notes) from a ticket view.
void FilterForCaller(const Caller& caller, TicketView& view);

// ---- priority
// ------------------------------------------------------------------------------------ The initial
// priority of a ticket by category (security and disputes are urgent/high).
[[nodiscard]] Priority DefaultPriority(Category category);

// ---- text modules ------------------------------------------------------------------------------
struct PlaceholderValues {
  std::string customer_name;
  std::string agent_name;
  std::string ticket_id;
};
// Replaces {{customer.name}}, {{agent.name}}, {{ticket.id}}; unknown placeholders stay as they are.
[[nodiscard]] std::string ExpandPlaceholders(absl::string_view body,
                                             const PlaceholderValues& values);

}  // namespace uwallet::support
