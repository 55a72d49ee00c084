// The desk with fakes: ticket life cycle, SLA pause through the state machine, authorisation,
// disputes, round-robin, stats math and the customer-360 fan-out.
#include <catch2/catch.hpp>

#include <thread>

#include "services/support/core/desk.h"
#include "services/support/test/fakes.h"
#include "services/support/test/seed.h"
#include "uwallet/common/status.h"

namespace uwallet::support {
namespace {

struct Fixture {
  // Monday 2026-11-23 10:00 Asia/Shanghai.
  FakeClock clock{
      absl::FromCivil(absl::CivilMinute(2026, 11, 23, 10, 0), absl::FixedTimeZone(8 * 3600))};
  SequentialIdGenerator ids{"id-"};
  fakes::FakeStore store;
  fakes::FakePublisher events;
  SupportDesk desk{store, events, clock, ids, DeskOptions{}};
  Caller alice{.user_id = "alice", .customer = true};
  Caller bob{.user_id = "bob", .customer = true};
  Caller agent{.user_id = "agent-1", .agent = true};
  Caller admin{.user_id = "admin-1", .admin = true};

  Fixture() { store.faq = fakes::LoadSeedArticles(); }

  Ticket Open(const std::string& subject = "My payment failed") {
    auto created = desk.CreateTicket(alice, {.category = Category::kPaymentFailed,
                                             .channel = Channel::kApp,
                                             .subject = subject,
                                             .body = "It says declined"});
    REQUIRE(created.ok());
    return created->ticket;
  }
};

TEST_CASE("create: SLA due times, FAQ suggestions, validation, idempotency") {
  Fixture f;
  auto created = f.desk.CreateTicket(f.alice, {.category = Category::kAccountLogin,
                                               .subject = "I forgot my password",
                                               .body = "cannot log in",
                                               .idempotency_key = "k1"});
  REQUIRE(created.ok());
  CHECK(created->ticket.status == Status::kNew);
  CHECK(created->ticket.priority == Priority::kNormal);
  CHECK(created->ticket.first_response_due_at == f.clock.Now() + absl::Hours(4));
  REQUIRE_FALSE(created->suggestions.empty());
  CHECK(created->suggestions.front().article_id == "faq-forgot-password");
  CHECK(created->suggestions.size() <= 3);
  auto again = f.desk.CreateTicket(f.alice, {.category = Category::kAccountLogin,
                                             .subject = "I forgot my password",
                                             .body = "cannot log in",
                                             .idempotency_key = "k1"});
  REQUIRE(again.ok());
  CHECK(again->ticket.ticket_id == created->ticket.ticket_id);

  CHECK(ReasonOf(
            f.desk.CreateTicket(f.alice, {.category = Category::kOther, .subject = "", .body = "x"})
                .status()) == "FIELD_REQUIRED");
  CHECK(ReasonOf(f.desk
                     .CreateTicket(f.alice,
                                   {.category = Category::kDispute, .subject = "s", .body = "x"})
                     .status()) == "INVALID_CATEGORY");
  CHECK(f.desk.CreateTicket(f.agent, {.category = Category::kOther, .subject = "s", .body = "b"})
            .status()
            .code() == absl::StatusCode::kPermissionDenied);
  std::vector<NewAttachment> exe = {{.file_name = "photo.png", .content = "MZ\x90"}};
  CHECK(ReasonOf(
            f.desk
                .CreateTicket(
                    f.alice,
                    {.category = Category::kOther, .subject = "s", .body = "b", .attachments = exe})
                .status()) == "ATTACHMENT_TYPE_NOT_ALLOWED");
}

TEST_CASE("life cycle: claim, reply, pending pauses SLA, customer reply reopens, resolve, rate") {
  Fixture f;
  Ticket t = f.Open();
  auto claimed = f.desk.AssignTicket(f.agent, {.ticket_id = t.ticket_id});
  REQUIRE(claimed.ok());
  CHECK(claimed->assignee_id == "agent-1");
  CHECK(claimed->status == Status::kOpen);

  f.clock.Advance(absl::Minutes(30));
  auto reply = f.desk.Reply(f.agent, t.ticket_id, "Please send a screenshot", false, {}, "");
  REQUIRE(reply.ok());
  auto pending = f.desk.SetStatus(f.agent, t.ticket_id, Status::kPendingCustomer, "waiting");
  REQUIRE(pending.ok());
  CHECK(pending->first_responded_at.has_value());
  CHECK(pending->sla_paused_at.has_value());
  const absl::Time due_before = pending->resolution_due_at;

  f.clock.Advance(absl::Hours(24));  // Tuesday 10:30: 8.5 business hours passed while paused
  auto message = f.desk.PostMessage(f.alice, t.ticket_id, "here it is", {});
  REQUIRE(message.ok());
  auto view = f.desk.GetTicket(f.alice, t.ticket_id);
  REQUIRE(view.ok());
  CHECK(view->ticket.status == Status::kOpen);
  CHECK_FALSE(view->ticket.sla_paused_at.has_value());
  CHECK(view->ticket.sla_paused_s == 9 * 3600);  // Mon 10:30–18:00 + Tue 09:00–10:30
  CHECK(view->ticket.resolution_due_at > due_before);

  CHECK(ReasonOf(f.desk.RateTicket(f.alice, t.ticket_id, 5, "").status()) == "TICKET_NOT_RESOLVED");
  REQUIRE(f.desk.SetStatus(f.agent, t.ticket_id, Status::kResolved, "refunded").ok());
  CHECK(ReasonOf(f.desk.SetStatus(f.agent, t.ticket_id, Status::kPendingCustomer, "").status()) ==
        "INVALID_STATE");
  CHECK(ReasonOf(f.desk.RateTicket(f.alice, t.ticket_id, 6, "").status()) == "INVALID_SCORE");
  auto rated = f.desk.RateTicket(f.alice, t.ticket_id, 5, "fast");
  REQUIRE(rated.ok());
  CHECK(rated->rating_score == 5);

  auto history = f.desk.GetTicket(f.agent, t.ticket_id);
  REQUIRE(history.ok());
  std::vector<Status> path;
  for (const StatusChange& s : history->history) path.push_back(s.to);
  CHECK(path == std::vector<Status>{Status::kNew, Status::kOpen, Status::kPendingCustomer,
                                    Status::kOpen, Status::kResolved});
  CHECK(std::count(f.store.outbox.begin(), f.store.outbox.end(), "support.ticket.replied") == 1);
}

TEST_CASE("reopen only within the window") {
  Fixture f;
  Ticket t = f.Open();
  REQUIRE(f.desk.CloseTicket(f.alice, t.ticket_id).ok());
  f.clock.Advance(absl::Hours(24));
  auto reopened = f.desk.ReopenTicket(f.alice, t.ticket_id, "still broken");
  REQUIRE(reopened.ok());
  CHECK(reopened->status == Status::kOpen);
  CHECK_FALSE(reopened->closed_at.has_value());
  REQUIRE(f.desk.CloseTicket(f.alice, t.ticket_id).ok());
  f.clock.Advance(kReopenWindowDefault + absl::Minutes(1));
  CHECK(ReasonOf(f.desk.ReopenTicket(f.alice, t.ticket_id, "again").status()) ==
        "REOPEN_WINDOW_CLOSED");
}

TEST_CASE("authorisation: other customers get NOT_FOUND; notes never reach the customer") {
  Fixture f;
  Ticket t = f.Open();
  REQUIRE(f.desk.Reply(f.agent, t.ticket_id, "customer seems legit", true, {}, "").ok());
  REQUIRE(f.desk.Reply(f.agent, t.ticket_id, "We are checking", false, {}, "").ok());

  CHECK(f.desk.GetTicket(f.bob, t.ticket_id).status().code() == absl::StatusCode::kNotFound);
  CHECK(f.desk.PostMessage(f.bob, t.ticket_id, "hi", {}).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.desk.MessagesAfter(f.bob, t.ticket_id, "").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.desk.RateTicket(f.bob, t.ticket_id, 1, "").status().code() ==
        absl::StatusCode::kNotFound);

  auto mine = f.desk.GetTicket(f.alice, t.ticket_id);
  REQUIRE(mine.ok());
  for (const Message& m : mine->messages) CHECK_FALSE(m.internal_note);
  CHECK(mine->messages.size() == 2);
  auto resumed = f.desk.MessagesAfter(f.alice, t.ticket_id, "");
  REQUIRE(resumed.ok());
  for (const Message& m : *resumed) CHECK_FALSE(m.internal_note);
  auto staff = f.desk.GetTicket(f.agent, t.ticket_id);
  REQUIRE(staff.ok());
  CHECK(staff->messages.size() == 3);

  CHECK(f.desk.Reply(f.alice, t.ticket_id, "I am an agent", true, {}, "").status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(f.desk.ListQueue(f.alice, {}).status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(f.desk.AssignTicket(f.agent, {.ticket_id = t.ticket_id, .assignee_id = "agent-2"})
            .status()
            .code() == absl::StatusCode::kPermissionDenied);
  CHECK(f.desk.AssignTicket(f.admin, {.ticket_id = t.ticket_id, .assignee_id = "agent-2"}).ok());
  CHECK(
      f.desk.OpenSystemTicket(f.alice, {.idempotency_key = "x", .user_id = "alice", .subject = "s"})
          .status()
          .code() == absl::StatusCode::kPermissionDenied);
}

TEST_CASE("round-robin assignment among online agents") {
  Fixture f;
  Ticket t1 = f.Open("one");
  Ticket t2 = f.Open("two");
  CHECK(ReasonOf(f.desk.AssignTicket(f.admin, {.ticket_id = t1.ticket_id, .auto_assign = true})
                     .status()) == "NO_AGENT_ONLINE");
  REQUIRE(f.desk.SetAvailability(Caller{.user_id = "a1", .agent = true}, true).ok());
  REQUIRE(f.desk.SetAvailability(Caller{.user_id = "a2", .agent = true}, true).ok());
  auto first = f.desk.AssignTicket(f.admin, {.ticket_id = t1.ticket_id, .auto_assign = true});
  auto second = f.desk.AssignTicket(f.admin, {.ticket_id = t2.ticket_id, .auto_assign = true});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->assignee_id != second->assignee_id);
}

TEST_CASE("disputes: unauthorised payment is held, resolution voids the hold and refunds") {
  Fixture f;
  fakes::FakeMoney money;
  money.payments["p1"] = {.payment_id = "p1",
                          .payer_user_id = "alice",
                          .payee_owner_id = "m1",
                          .payee_is_merchant = true,
                          .amount = {.amount_minor = 5000, .currency = "CNY"},
                          .succeeded = true};
  CHECK(ReasonOf(f.desk
                     .OpenDispute(f.bob, money,
                                  {.idempotency_key = "d0",
                                   .payment_id = "p1",
                                   .reason = DisputeReason::kUnauthorised,
                                   .description = "not me"})
                     .status()) == "PAYMENT_NOT_FOUND");
  auto opened = f.desk.OpenDispute(f.alice, money,
                                   {.idempotency_key = "d1",
                                    .payment_id = "p1",
                                    .reason = DisputeReason::kUnauthorised,
                                    .description = "not me"});
  REQUIRE(opened.ok());
  REQUIRE(opened->dispute.has_value());
  CHECK(opened->category == Category::kDispute);
  CHECK(opened->priority == Priority::kUrgent);
  CHECK(opened->dispute->amount.amount_minor == 5000);
  CHECK(money.holds.size() == 1);
  CHECK(ReasonOf(f.desk.SetStatus(f.agent, opened->ticket_id, Status::kResolved, "").status()) ==
        "DISPUTE_OPEN");
  CHECK(ReasonOf(f.desk
                     .ResolveDispute(f.agent, money,
                                     {.idempotency_key = "r1",
                                      .ticket_id = opened->ticket_id,
                                      .decision = DisputeDecision::kRefundPartial,
                                      .amount = Money{.amount_minor = 6000, .currency = "CNY"},
                                      .note = "partial"})
                     .status()) == "INVALID_AMOUNT");
  auto resolved = f.desk.ResolveDispute(f.agent, money,
                                        {.idempotency_key = "r1",
                                         .ticket_id = opened->ticket_id,
                                         .decision = DisputeDecision::kRefundPartial,
                                         .amount = Money{.amount_minor = 3000, .currency = "CNY"},
                                         .note = "merchant agreed to half"});
  REQUIRE(resolved.ok());
  CHECK(resolved->status == Status::kResolved);
  CHECK(resolved->dispute->status == DisputeStatus::kPartiallyRefunded);
  CHECK(resolved->dispute->refunded_minor == 3000);
  CHECK(money.voided.size() == 1);
  CHECK(money.refunds.begin()->second == 3000);
  CHECK(std::count(f.store.outbox.begin(), f.store.outbox.end(), "support.dispute.resolved") == 1);
}

TEST_CASE("the dispute decision is written in the customer's language") {
  FakeClock clock;
  SequentialIdGenerator ids{"id-"};
  fakes::FakeStore store;
  fakes::FakePublisher events;
  fakes::FakeDirectory directory;
  directory.names = {{"mei", "梅"}, {"alice", "Alice"}, {"agent-1", "Lin Wei"}};
  directory.locales = {{"mei", "zh-CN"}, {"alice", "en-GB"}};
  SupportDesk desk{store, events, clock, ids, DeskOptions{.directory = &directory}};
  fakes::FakeMoney money;
  const Caller agent{.user_id = "agent-1", .agent = true};
  int disputes = 0;
  auto decide = [&](const std::string& customer, DisputeDecision decision) {
    const std::string payment = "p" + std::to_string(++disputes);
    money.payments[payment] = {.payment_id = payment,
                               .payer_user_id = customer,
                               .payee_owner_id = "m1",
                               .payee_is_merchant = true,
                               .amount = {.amount_minor = 805, .currency = "CNY"},
                               .succeeded = true};
    auto opened = desk.OpenDispute(Caller{.user_id = customer, .customer = true}, money,
                                   {.idempotency_key = "d-" + payment,
                                    .payment_id = payment,
                                    .reason = DisputeReason::kNotReceived,
                                    .description = "nothing arrived"});
    REQUIRE(opened.ok());
    auto resolved = desk.ResolveDispute(agent, money,
                                        {.idempotency_key = "r-" + payment,
                                         .ticket_id = opened->ticket_id,
                                         .decision = decision,
                                         .note = "note."});
    REQUIRE(resolved.ok());
    const TicketView view = store.GetTicketView(opened->ticket_id).value();
    REQUIRE_FALSE(view.messages.empty());
    CHECK(view.messages.back().author_kind == AuthorKind::kSystem);
    return view.messages.back().body;
  };
  CHECK(decide("mei", DisputeDecision::kRefundFull) ==
        "你的争议已受理，¥8.05 的退款正在退回你的钱包。note.");
  CHECK(decide("mei", DisputeDecision::kReject) == "你的争议已审核，未予支持：note.");
  CHECK(decide("alice", DisputeDecision::kRefundFull) ==
        "Your dispute was accepted. A refund of 8.05 CNY is on its way. note.");
  CHECK(decide("alice", DisputeDecision::kReject) ==
        "Your dispute was reviewed and rejected: note.");
  // Unknown to the directory (or auth down): English.
  directory.names.erase("mei");
  directory.locales.erase("mei");
  clock.Advance(absl::Hours(48));  // past the cached entry
  CHECK(decide("mei", DisputeDecision::kRefundFull) ==
        "Your dispute was accepted. A refund of 8.05 CNY is on its way. note.");
}

TEST_CASE("a failed refund leaves the dispute open") {
  Fixture f;
  fakes::FakeMoney money;
  money.payments["p2"] = {.payment_id = "p2",
                          .payer_user_id = "alice",
                          .payee_owner_id = "bob",
                          .amount = {.amount_minor = 100, .currency = "CNY"},
                          .succeeded = true};
  auto opened = f.desk.OpenDispute(f.alice, money,
                                   {.idempotency_key = "d2",
                                    .payment_id = "p2",
                                    .reason = DisputeReason::kDuplicate,
                                    .description = "charged twice"});
  REQUIRE(opened.ok());
  CHECK(money.holds.empty());  // only unauthorised payments are held
  money.refund_error = absl::UnavailableError("payments down");
  auto resolved = f.desk.ResolveDispute(f.agent, money,
                                        {.idempotency_key = "r2",
                                         .ticket_id = opened->ticket_id,
                                         .decision = DisputeDecision::kRefundFull,
                                         .note = "duplicate"});
  CHECK(resolved.status().code() == absl::StatusCode::kUnavailable);
  auto view = f.desk.GetTicket(f.agent, opened->ticket_id);
  REQUIRE(view.ok());
  CHECK(view->ticket.dispute->status == DisputeStatus::kOpen);
}

TEST_CASE("events: live chat gets messages and status changes") {
  Fixture f;
  Ticket t = f.Open();
  f.events.events.clear();
  REQUIRE(f.desk.Reply(f.agent, t.ticket_id, "hello", false, {}, "").ok());
  bool message = false, status = false;
  for (const TicketEvent& e : f.events.events) {
    if (e.kind == EventKind::kMessage && e.message && e.message->body == "hello") message = true;
    if (e.kind == EventKind::kStatusChange && e.status_change->to == Status::kOpen) status = true;
  }
  CHECK(message);
  CHECK(status);
}

TEST_CASE("stats math") {
  std::vector<TicketFacts> tickets = {
      {.category = Category::kPaymentFailed,
       .channel = Channel::kApp,
       .first_response_met = true,
       .resolution_met = true,
       .first_response_s = 60,
       .rating_score = 5},
      {.category = Category::kPaymentFailed,
       .channel = Channel::kWeb,
       .first_response_met = false,
       .first_response_s = 600,
       .rating_score = 3},
      {.category = Category::kSecurity, .channel = Channel::kApp, .first_response_s = 300},
      {.category = Category::kOther, .channel = Channel::kPhone},
  };
  std::vector<QuestionFacts> questions = {
      {.question = "forgot password",
       .normalized = "forgot password",
       .best_article_id = "faq-forgot-password",
       .from_ask = true},
      {.question = "Forgot password?",
       .normalized = "forgot password",
       .best_article_id = "faq-forgot-password",
       .from_ask = true,
       .followed_by_ticket = true},
      {.question = "fees", .normalized = "fee", .from_ask = true},
      {.question = "My payment failed", .normalized = "payment fail"},
  };
  SupportStats stats = ComputeStats(tickets, questions, 2);
  CHECK(stats.ticket_count == 4);
  REQUIRE(stats.by_category.size() == 3);
  CHECK(stats.by_category[0] == std::make_pair(Category::kPaymentFailed, int64_t{2}));
  CHECK(stats.by_channel[0] == std::make_pair(Channel::kApp, int64_t{2}));
  CHECK(stats.first_response_met_ratio == Approx(0.5));
  CHECK(stats.resolution_met_ratio == Approx(1.0));
  CHECK(stats.csat_average == Approx(4.0));
  CHECK(stats.csat_count == 2);
  CHECK(stats.median_first_response_s == 300);
  CHECK(stats.deflection_ratio == Approx(2.0 / 3.0));
  REQUIRE(stats.top_questions.size() == 2);
  CHECK(stats.top_questions[0].question == "forgot password");
  CHECK(stats.top_questions[0].count == 2);
  CHECK(stats.top_questions[0].article_id == "faq-forgot-password");
  SupportStats empty = ComputeStats({}, {}, 20);
  CHECK(empty.csat_average == 0);
  CHECK(empty.deflection_ratio == 0);
}

TEST_CASE("fan-out reports failed and slow parts, keeps the rest") {
  RealClock& clock = RealClock::Instance();
  std::atomic<int> done{0};
  std::vector<FanOutPart> parts = {
      {"ok",
       [&](absl::Time) {
         ++done;
         return absl::OkStatus();
       }},
      {"down", [&](absl::Time) { return absl::UnavailableError("down"); }},
      {"slow",
       [&](absl::Time deadline) {
         // Honours its deadline like an RPC would.
         while (clock.Now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
         return absl::DeadlineExceededError("deadline");
       }},
  };
  std::vector<FailedPart> failed =
      FanOut(parts, clock.Now() + absl::Seconds(10), absl::Milliseconds(100), clock);
  CHECK(done == 1);
  REQUIRE(failed.size() == 2);
  CHECK(failed[0].name == "down");
  CHECK(failed[0].status.code() == absl::StatusCode::kUnavailable);
  CHECK(failed[1].name == "slow");
  CHECK(failed[1].status.code() == absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace uwallet::support

namespace uwallet::support {
namespace {

TEST_CASE("author display names: one directory lookup per author, staff by first name") {
  FakeClock clock{absl::FromCivil(absl::CivilMinute(2026, 11, 23, 10, 0), absl::UTCTimeZone())};
  SequentialIdGenerator ids{"id-"};
  fakes::FakeStore store;
  fakes::FakePublisher events;
  fakes::FakeDirectory directory;
  directory.names = {{"alice", "Alice Wang"}, {"agent-1", "Lin Wei"}};
  SupportDesk desk{store, events, clock, ids, DeskOptions{.directory = &directory}};
  const Caller alice{.user_id = "alice", .customer = true};
  const Caller agent{.user_id = "agent-1", .agent = true};
  const Caller ghost{.user_id = "ghost", .customer = true};

  auto created = desk.CreateTicket(
      alice, {.category = Category::kOther, .subject = "hello", .body = "question"});
  REQUIRE(created.ok());
  const std::string id = created->ticket.ticket_id;
  auto first = desk.Reply(agent, id, "Hi there", false, {}, "");
  auto second = desk.Reply(agent, id, "Anything else?", false, {}, "");
  auto again = desk.PostMessage(alice, id, "thanks", {});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(again.ok());
  CHECK(first->author_display_name == "Lin");  // staff: first name only
  CHECK(second->author_display_name == "Lin");
  CHECK(again->author_display_name == "Alice Wang");
  auto view = desk.GetTicket(alice, id);
  REQUIRE(view.ok());
  CHECK(view->messages.front().author_display_name == "Alice Wang");
  CHECK(directory.lookups == 2);  // two distinct authors, cached

  // An unknown author gets an empty name and the message is still written; the failure is cached
  // briefly, then asked again.
  auto other = desk.CreateTicket(
      ghost, {.category = Category::kOther, .subject = "boo", .body = "who am I"});
  REQUIRE(other.ok());
  auto ghost_message = desk.PostMessage(ghost, other->ticket.ticket_id, "hello?", {});
  REQUIRE(ghost_message.ok());
  CHECK(ghost_message->author_display_name.empty());
  CHECK(directory.lookups == 3);
  clock.Advance(kAuthorNameFailureTtl + absl::Seconds(1));
  REQUIRE(desk.PostMessage(ghost, other->ticket.ticket_id, "still there?", {}).ok());
  CHECK(directory.lookups == 4);
  // Names expire after their TTL.
  clock.Advance(kAuthorNameTtl);
  REQUIRE(desk.Reply(agent, id, "Bye", false, {}, "").ok());
  CHECK(directory.lookups == 5);
}

}  // namespace
}  // namespace uwallet::support
