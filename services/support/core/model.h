#pragma once
// The support domain: plain values, no gRPC or libpq. Enum values match the proto's numbers so
// that mapping is a cast checked by range.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace uwallet::support {

enum class Category : int {
  kAccountLogin = 1,
  kPaymentFailed = 2,
  kMoneyNotArrived = 3,
  kRefundFee = 4,
  kSecurity = 5,
  kTechnical = 6,
  kOther = 7,
  kDispute = 8,
};
inline constexpr int kCategoryMax = 8;

enum class Channel : int { kApp = 1, kWeb = 2, kEmail = 3, kPhone = 4, kSocial = 5 };
inline constexpr int kChannelMax = 5;

enum class Status : int {
  kNew = 1,
  kOpen = 2,
  kPendingCustomer = 3,
  kResolved = 4,
  kClosed = 5,
};

enum class Priority : int { kLow = 1, kNormal = 2, kHigh = 3, kUrgent = 4 };
inline constexpr int kPriorityMax = 4;

enum class AuthorKind : int { kCustomer = 1, kAgent = 2, kSystem = 3 };

enum class DisputeReason : int {
  kNotReceived = 1,
  kNotAsDescribed = 2,
  kUnauthorised = 3,
  kDuplicate = 4,
  kWrongAmount = 5,
};
enum class DisputeStatus : int { kOpen = 1, kRefunded = 2, kPartiallyRefunded = 3, kRejected = 4 };
enum class DisputeDecision : int { kNone = 0, kRefundFull = 1, kRefundPartial = 2, kReject = 3 };

struct Money {
  int64_t amount_minor = 0;
  std::string currency;
};

struct Dispute {
  std::string dispute_id;
  std::string payment_id;
  DisputeReason reason = DisputeReason::kNotReceived;
  DisputeStatus status = DisputeStatus::kOpen;
  Money amount;
  std::string hold_id;
  DisputeDecision decision = DisputeDecision::kNone;
  int64_t refunded_minor = 0;
  std::string refund_payment_id;
  absl::Time opened_at = absl::InfinitePast();
  std::optional<absl::Time> resolved_at;
};

struct Ticket {
  std::string ticket_id;
  std::string user_id;
  Category category = Category::kOther;
  Channel channel = Channel::kApp;
  std::string subject;
  Status status = Status::kNew;
  Priority priority = Priority::kNormal;
  std::string assignee_id;
  std::string payment_id;
  std::string case_id;
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();
  absl::Time first_response_due_at = absl::InfinitePast();
  absl::Time resolution_due_at = absl::InfinitePast();
  std::optional<absl::Time> first_responded_at;
  std::optional<absl::Time> resolved_at;
  std::optional<absl::Time> closed_at;
  // Set while pending customer: the SLA clock stopped then.
  std::optional<absl::Time> sla_paused_at;
  int64_t sla_paused_s = 0;  // business seconds spent paused so far
  std::optional<absl::Time> reopen_until;
  int rating_score = 0;
  std::string rating_comment;
  int attachment_count = 0;
  int64_t version = 1;  // optimistic concurrency: every update bumps it
  std::optional<Dispute> dispute;
  bool sla_breached = false;  // computed on read, never stored
};

struct AttachmentMeta {
  std::string attachment_id;
  std::string ticket_id;
  std::string message_id;
  std::string user_id;
  std::string file_name;
  std::string content_type;
  int64_t size_bytes = 0;
  absl::Time created_at = absl::InfinitePast();
};

struct NewAttachment {
  std::string file_name;
  std::string content;       // bytes
  std::string content_type;  // filled by ValidateAttachments
};

struct Message {
  std::string message_id;
  std::string ticket_id;
  AuthorKind author_kind = AuthorKind::kCustomer;
  std::string author_id;
  std::string author_display_name;
  std::string body;
  bool internal_note = false;
  std::string text_module_id;
  std::vector<AttachmentMeta> attachments;
  absl::Time created_at = absl::InfinitePast();
};

struct StatusChange {
  Status from = Status::kNew;
  Status to = Status::kNew;
  absl::Time changed_at = absl::InfinitePast();
  std::string actor_id;
  std::string note;
};

struct TicketView {
  Ticket ticket;
  std::vector<Message> messages;      // oldest first
  std::vector<StatusChange> history;  // oldest first
};

struct FaqArticle {
  std::string article_id;
  std::string locale;
  std::string title;
  std::string body;
  std::vector<std::string> tags;
  Category category = Category::kOther;
  int64_t version = 1;
  absl::Time updated_at = absl::InfinitePast();
  bool published = true;
};

struct TextModule {
  std::string text_module_id;
  std::string name;
  std::string shortcut;
  std::string locale;
  std::string body;
  absl::Time updated_at = absl::InfinitePast();
};

// A live-chat / queue event, published to every replica.
enum class EventKind : int {
  kCreated = 1,
  kUpdated = 2,
  kAssigned = 3,
  kCustomerMessage = 4,
  kSlaBreached = 5,
  kMessage = 10,  // any new message (agent reply, note, system)
  kStatusChange = 11,
};

struct TicketEvent {
  EventKind kind = EventKind::kUpdated;
  Ticket ticket;  // after the change
  std::optional<Message> message;
  std::optional<StatusChange> status_change;
  absl::Time occurred_at = absl::InfinitePast();
};

}  // namespace uwallet::support
