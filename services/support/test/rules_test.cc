// State machine, attachment checks by content, authorisation rules, text modules.
#include <catch2/catch.hpp>

#include "services/support/core/rules.h"
#include "uwallet/common/status.h"

namespace uwallet::support {
namespace {

TEST_CASE("state machine allows the documented transitions only") {
  CHECK(CanTransition(Status::kNew, Status::kOpen));
  CHECK(CanTransition(Status::kOpen, Status::kPendingCustomer));
  CHECK(CanTransition(Status::kPendingCustomer, Status::kOpen));
  CHECK(CanTransition(Status::kOpen, Status::kResolved));
  CHECK(CanTransition(Status::kResolved, Status::kClosed));
  CHECK(CanTransition(Status::kResolved, Status::kOpen));  // reopen
  CHECK(CanTransition(Status::kClosed, Status::kOpen));    // reopen within the window
  CHECK_FALSE(CanTransition(Status::kResolved, Status::kPendingCustomer));
  CHECK_FALSE(CanTransition(Status::kClosed, Status::kResolved));
  CHECK_FALSE(CanTransition(Status::kOpen, Status::kNew));
  CHECK_FALSE(CanTransition(Status::kClosed, Status::kNew));
  absl::Status status = CheckTransition(Status::kClosed, Status::kPendingCustomer);
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(status) == "INVALID_STATE");
}

std::string Png() { return std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16); }

TEST_CASE("attachments are checked by content, not by name") {
  CHECK(DetectContentType(Png()) == "image/png");
  CHECK(DetectContentType(std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10)) == "image/jpeg");
  CHECK(DetectContentType("GIF89a....") == "image/gif");
  CHECK(DetectContentType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)) == "image/webp");
  CHECK(DetectContentType("%PDF-1.7\n...") == "application/pdf");
  CHECK(DetectContentType("MZ\x90\0 an exe") == "");
  CHECK(DetectContentType("<html>") == "");
  CHECK(DetectContentType("RIFF\x10\0\0\0WAVE") == "");

  std::vector<NewAttachment> disguised = {{.file_name = "receipt.png", .content = "#!/bin/sh"}};
  absl::Status status = ValidateAttachments(disguised, 0);
  CHECK(ReasonOf(status) == "ATTACHMENT_TYPE_NOT_ALLOWED");

  std::vector<NewAttachment> renamed = {{.file_name = "evil.exe", .content = Png()}};
  REQUIRE(ValidateAttachments(renamed, 0).ok());
  CHECK(renamed[0].content_type == "image/png");

  std::string big = Png() + std::string(kAttachmentBytesMax, 'x');
  std::vector<NewAttachment> too_big = {{.file_name = "a.png", .content = big}};
  CHECK(ReasonOf(ValidateAttachments(too_big, 0)) == "ATTACHMENT_TOO_LARGE");
  std::string exact = Png() + std::string(kAttachmentBytesMax - Png().size(), 'x');
  std::vector<NewAttachment> at_limit = {{.file_name = "a.png", .content = exact}};
  CHECK(ValidateAttachments(at_limit, 0).ok());

  std::vector<NewAttachment> three(3, NewAttachment{.file_name = "a.png", .content = Png()});
  CHECK(ValidateAttachments(three, 7).ok());
  CHECK(ReasonOf(ValidateAttachments(three, 8)) == "TOO_MANY_ATTACHMENTS");
  std::vector<NewAttachment> empty = {{.file_name = "a.png", .content = ""}};
  CHECK(ReasonOf(ValidateAttachments(empty, 0)) == "ATTACHMENT_EMPTY");
}

TEST_CASE("a customer sees only own tickets and never internal notes") {
  Ticket ticket;
  ticket.user_id = "alice";
  ticket.category = Category::kPaymentFailed;
  Caller alice{.user_id = "alice", .customer = true};
  Caller bob{.user_id = "bob", .customer = true};
  Caller agent{.user_id = "agent-1", .agent = true};
  Caller analyst{.user_id = "analyst-1", .analyst = true};
  CHECK(CanViewTicket(alice, ticket));
  CHECK_FALSE(CanViewTicket(bob, ticket));
  CHECK(CheckViewTicket(bob, ticket).code() == absl::StatusCode::kNotFound);
  CHECK(CanViewTicket(agent, ticket));
  CHECK_FALSE(CanViewTicket(analyst, ticket));
  ticket.category = Category::kSecurity;
  CHECK(CanViewTicket(analyst, ticket));
  CHECK_FALSE(CanViewTicket(Caller{.customer = true}, ticket));  // no user id

  TicketView view;
  view.ticket = ticket;
  view.messages.push_back({.message_id = "m1", .body = "hello"});
  view.messages.push_back({.message_id = "m2", .body = "looks like fraud", .internal_note = true});
  view.messages.push_back({.message_id = "m3", .body = "we are on it"});
  TicketView for_alice = view;
  FilterForCaller(alice, for_alice);
  REQUIRE(for_alice.messages.size() == 2);
  CHECK(for_alice.messages[0].message_id == "m1");
  CHECK(for_alice.messages[1].message_id == "m3");
  TicketView for_agent = view;
  FilterForCaller(agent, for_agent);
  CHECK(for_agent.messages.size() == 3);
}

TEST_CASE("text module placeholders") {
  CHECK(ExpandPlaceholders("Hi {{customer.name}}, {{agent.name}} on {{ticket.id}} {{x}}",
                           {.customer_name = "Li", .agent_name = "Wang", .ticket_id = "T1"}) ==
        "Hi Li, Wang on T1 {{x}}");
}

TEST_CASE("default priority by category") {
  CHECK(DefaultPriority(Category::kSecurity) == Priority::kUrgent);
  CHECK(DefaultPriority(Category::kPaymentFailed) == Priority::kHigh);
  CHECK(DefaultPriority(Category::kAccountLogin) == Priority::kNormal);
  CHECK(DefaultPriority(Category::kOther) == Priority::kLow);
}

}  // namespace
}  // namespace uwallet::support
