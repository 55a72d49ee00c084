// Support against real PostgreSQL and Redis: storage round trips, the state machine and SLA on
// stored tickets, attachments, authorisation, FAQ seed search, disputes' uniqueness, stats, and
// live-chat fan-out across two replicas (two EventHubs on one Redis).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>
#include <tuple>

#include "services/support/core/desk.h"
#include "services/support/core/sla_sweeper.h"
#include "services/support/schema/migrations.h"
#include "services/support/storage/pg_store.h"
#include "services/support/storage/redis_events.h"
#include "services/support/test/fakes.h"
#include "uwallet/common/check.h"
#include "uwallet/common/status.h"
#include "uwallet/pg/migrate.h"
#include "uwallet/testing/pg_fixture.h"
#include "uwallet/testing/redis_fixture.h"

namespace uwallet::support {
namespace {

std::string Png() { return std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\x01\x02\xff", 20); }

struct Env {
  testing::PgSchema schema{"support", 4};
  testing::RedisPrefix redis{4};
  // Monday 2026-11-23 10:00 Asia/Shanghai.
  FakeClock clock{
      absl::FromCivil(absl::CivilMinute(2026, 11, 23, 10, 0), absl::FixedTimeZone(8 * 3600))};
  UuidV7Generator ids{clock};
  events::Outbox outbox{"support", ids, clock};
  PgTicketStore store{schema.pool(), outbox};
  RedisEventPublisher publisher{redis.pool()};
  SupportDesk desk{store, publisher, clock, ids, DeskOptions{}};
  Caller alice{.user_id = "alice", .customer = true};
  Caller bob{.user_id = "bob", .customer = true};
  Caller agent{.user_id = "agent-1", .agent = true};

  Env() { UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), Migrations())); }

  int64_t Count(const std::string& sql) {
    auto r = schema.pool().Exec(sql);
    UW_CHECK_OK(r.status());
    return r->Int(0, 0);
  }
};

TEST_CASE("tickets, messages, attachments and history are stored and read back") {
  Env env;
  std::vector<NewAttachment> files = {{.file_name = "receipt.png", .content = Png()},
                                      {.file_name = "statement.pdf", .content = "%PDF-1.4\n%%EOF"}};
  auto created = env.desk.CreateTicket(env.alice, {.category = Category::kPaymentFailed,
                                                   .channel = Channel::kWeb,
                                                   .subject = "支付失败",
                                                   .body = "付款失败了，请帮忙",
                                                   .payment_id = "pay-1",
                                                   .attachments = files,
                                                   .idempotency_key = "idem-1"});
  REQUIRE(created.ok());
  const Ticket& t = created->ticket;
  REQUIRE_FALSE(created->suggestions.empty());
  CHECK(created->suggestions.front().article_id == "faq-payment-failed");

  auto replay = env.desk.CreateTicket(env.alice, {.category = Category::kPaymentFailed,
                                                  .subject = "支付失败",
                                                  .body = "付款失败了，请帮忙",
                                                  .idempotency_key = "idem-1"});
  REQUIRE(replay.ok());
  CHECK(replay->ticket.ticket_id == t.ticket_id);
  CHECK(env.Count("SELECT count(*) FROM tickets") == 1);

  auto view = env.desk.GetTicket(env.alice, t.ticket_id);
  REQUIRE(view.ok());
  CHECK(view->ticket.subject == "支付失败");
  CHECK(view->ticket.channel == Channel::kWeb);
  CHECK(view->ticket.attachment_count == 2);
  CHECK(view->ticket.first_response_due_at == t.first_response_due_at);
  REQUIRE(view->messages.size() == 1);
  REQUIRE(view->messages[0].attachments.size() == 2);
  const AttachmentMeta& png = view->messages[0].attachments[0];
  CHECK(png.content_type == "image/png");
  CHECK(png.size_bytes == static_cast<int64_t>(Png().size()));

  auto mine = env.desk.GetAttachment(env.alice, png.attachment_id);
  REQUIRE(mine.ok());
  CHECK(mine->content == Png());  // binary-safe, including NUL and 0xff bytes
  CHECK(env.desk.GetAttachment(env.bob, png.attachment_id).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(env.desk.GetAttachment(env.agent, png.attachment_id).ok());
  CHECK(env.Count("SELECT count(*) FROM outbox WHERE type = 'support.ticket.opened'") == 1);

  // The eleventh attachment is refused.
  std::vector<NewAttachment> nine(9, NewAttachment{.file_name = "x.png", .content = Png()});
  CHECK(ReasonOf(env.desk.PostMessage(env.alice, t.ticket_id, "more", nine).status()) ==
        "TOO_MANY_ATTACHMENTS");
  std::vector<NewAttachment> eight(8, NewAttachment{.file_name = "x.png", .content = Png()});
  CHECK(env.desk.PostMessage(env.alice, t.ticket_id, "more", eight).ok());
  CHECK(env.Count("SELECT count(*) FROM attachments") == 10);
}

TEST_CASE("internal notes and other customers' tickets stay hidden (stored)") {
  Env env;
  auto created = env.desk.CreateTicket(
      env.alice, {.category = Category::kOther, .subject = "hello", .body = "question"});
  REQUIRE(created.ok());
  const std::string id = created->ticket.ticket_id;
  REQUIRE(env.desk.Reply(env.agent, id, "VIP, be nice", true, {}, "").ok());
  REQUIRE(env.desk.Reply(env.agent, id, "How can I help?", false, {}, "").ok());
  CHECK(env.desk.GetTicket(env.bob, id).status().code() == absl::StatusCode::kNotFound);
  auto mine = env.desk.GetTicket(env.alice, id);
  REQUIRE(mine.ok());
  REQUIRE(mine->messages.size() == 2);
  for (const Message& m : mine->messages) CHECK_FALSE(m.internal_note);
  auto after = env.desk.MessagesAfter(env.alice, id, mine->messages[0].message_id);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 1);
  CHECK((*after)[0].body == "How can I help?");
  auto staff = env.desk.GetTicket(env.agent, id);
  REQUIRE(staff.ok());
  CHECK(staff->messages.size() == 3);
  auto list = env.desk.ListMyTickets(env.bob, {}, 20, 0);
  REQUIRE(list.ok());
  CHECK(list->empty());
  // Only the public reply makes a notification event.
  CHECK(env.Count("SELECT count(*) FROM outbox WHERE type = 'support.ticket.replied'") == 1);
}

TEST_CASE("state machine and SLA pause on stored tickets; stale writes are refused") {
  Env env;
  auto created = env.desk.CreateTicket(
      env.alice, {.category = Category::kAccountLogin, .subject = "locked", .body = "help"});
  REQUIRE(created.ok());
  const std::string id = created->ticket.ticket_id;
  REQUIRE(env.desk.AssignTicket(env.agent, {.ticket_id = id}).ok());
  REQUIRE(env.desk.Reply(env.agent, id, "Did you reset?", false, {}, "").ok());
  REQUIRE(env.desk.SetStatus(env.agent, id, Status::kPendingCustomer, "").ok());
  env.clock.Advance(absl::Hours(24));
  auto paused = env.desk.GetTicket(env.agent, id);
  REQUIRE(paused.ok());
  CHECK(paused->ticket.sla_paused_at.has_value());
  CHECK_FALSE(paused->ticket.sla_breached);
  REQUIRE(env.desk.PostMessage(env.alice, id, "yes, still locked", {}).ok());
  auto resumed = env.desk.GetTicket(env.agent, id);
  REQUIRE(resumed.ok());
  CHECK(resumed->ticket.status == Status::kOpen);
  CHECK(resumed->ticket.sla_paused_s == 9 * 3600);
  CHECK(ReasonOf(env.desk.SetStatus(env.agent, id, Status::kNew, "").status()) == "INVALID_STATE");
  REQUIRE(env.desk.SetStatus(env.agent, id, Status::kResolved, "unlocked").ok());
  REQUIRE(env.desk.RateTicket(env.alice, id, 4, "ok").ok());
  // new, new→open (claim), open→pending, pending→open (customer), open→resolved.
  CHECK(env.Count("SELECT count(*) FROM ticket_status_changes") == 5);

  // A writer holding an old version loses.
  Ticket stale = resumed->ticket;
  stale.version += 1;
  absl::Status status = env.store.UpdateTicket(stale, {});
  CHECK(status.code() == absl::StatusCode::kAborted);
  CHECK(ReasonOf(status) == "TICKET_CHANGED");
}

TEST_CASE("queue filters and round-robin on PostgreSQL") {
  Env env;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(
        env.desk
            .CreateTicket(env.alice, {.category = i == 0 ? Category::kSecurity : Category::kOther,
                                      .subject = "t" + std::to_string(i),
                                      .body = "b"})
            .ok());
  }
  auto all = env.desk.ListQueue(env.agent, {});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK(all->front().category == Category::kSecurity);  // urgent: due first
  auto security = env.desk.ListQueue(env.agent, {.categories = {Category::kSecurity}});
  REQUIRE(security.ok());
  CHECK(security->size() == 1);
  env.clock.Advance(absl::Hours(1));  // the urgent 30-minute first response passed
  auto breached = env.desk.ListQueue(env.agent, {.sla_breached_only = true});
  REQUIRE(breached.ok());
  REQUIRE(breached->size() == 1);
  CHECK(breached->front().sla_breached);

  REQUIRE(env.desk.SetAvailability(Caller{.user_id = "a1", .agent = true}, true).ok());
  REQUIRE(env.desk.SetAvailability(Caller{.user_id = "a2", .agent = true}, true).ok());
  Caller lead{.user_id = "lead", .admin = true};
  auto first = env.desk.AssignTicket(lead, {.ticket_id = (*all)[1].ticket_id, .auto_assign = true});
  env.clock.Advance(absl::Seconds(1));
  auto second =
      env.desk.AssignTicket(lead, {.ticket_id = (*all)[2].ticket_id, .auto_assign = true});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->assignee_id != second->assignee_id);
  auto unassigned = env.desk.ListQueue(env.agent, {.unassigned_only = true});
  REQUIRE(unassigned.ok());
  CHECK(unassigned->size() == 1);
}

TEST_CASE("FAQ seed search, Ask logging, article versions, stats") {
  Env env;
  auto en = env.desk.SearchFaq("how do I withdraw to my bank card", "en", 5);
  REQUIRE(en.ok());
  REQUIRE_FALSE(en->empty());
  CHECK(en->front().article_id == "faq-withdraw");
  auto zh = env.desk.SearchFaq("账户被盗了怎么办", "zh-CN", 5);
  REQUIRE(zh.ok());
  REQUIRE_FALSE(zh->empty());
  CHECK(zh->front().article_id == "faq-account-stolen");
  auto article = env.desk.GetFaqArticle("faq-fees", "zh-CN");
  REQUIRE(article.ok());
  CHECK(article->locale == "zh-CN");

  Caller admin{.user_id = "admin", .admin = true};
  FaqArticle edit = *article;
  edit.body += "\n\n更新：提现手续费为 0.1%。";
  auto saved = env.desk.UpsertFaqArticle(admin, edit);
  REQUIRE(saved.ok());
  CHECK(saved->version == 2);
  CHECK(ReasonOf(env.desk.UpsertFaqArticle(admin, edit).status()) == "VERSION_CONFLICT");
  CHECK(env.desk.UpsertFaqArticle(env.alice, edit).status().code() ==
        absl::StatusCode::kPermissionDenied);

  REQUIRE(env.desk.Ask(env.alice, "I forgot my password", "").ok());
  REQUIRE(env.desk.Ask(env.bob, "I forgot my password", "").ok());
  REQUIRE(env.desk.Ask(env.bob, "what fees", "").ok());
  auto created = env.desk.CreateTicket(
      env.bob, {.category = Category::kRefundFee, .subject = "fees", .body = "too high"});
  REQUIRE(created.ok());
  REQUIRE(env.desk.Reply(env.agent, created->ticket.ticket_id, "hi", false, {}, "").ok());
  auto stats = env.desk.GetStats(env.agent, env.clock.Now() - absl::Hours(1),
                                 env.clock.Now() + absl::Hours(1));
  REQUIRE(stats.ok());
  CHECK(stats->ticket_count == 1);
  CHECK(stats->first_response_met_ratio == Approx(1.0));
  CHECK(stats->deflection_ratio == Approx(1.0 / 3.0));  // bob's two asks led to a ticket
  REQUIRE_FALSE(stats->top_questions.empty());
  CHECK(stats->top_questions.front().count == 2);
  CHECK(stats->top_questions.front().article_id == "faq-forgot-password");
}

TEST_CASE("FAQ for its editors: every article, unpublished ones included, a page at a time") {
  Env env;
  // Unpublished: gone from search and from GetFaqArticle, still in the staff list to edit.
  auto fees = env.desk.GetFaqArticle("faq-fees", "en");
  REQUIRE(fees.ok());
  FaqArticle hidden = *fees;
  hidden.published = false;
  REQUIRE(env.desk.UpsertFaqArticle(env.agent, hidden).ok());
  CHECK(env.desk.GetFaqArticle("faq-fees", "en")->locale == "zh-CN");  // the other language only

  std::vector<FaqArticle> all;
  std::string token;
  int pages = 0;
  do {
    auto page = env.desk.ListFaqArticles(env.agent, "", 3, token);
    REQUIRE(page.ok());
    CHECK(page->articles.size() <= 3);
    all.insert(all.end(), page->articles.begin(), page->articles.end());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 100);
  const int64_t stored = env.Count("SELECT count(*) FROM faq_articles");
  CHECK(static_cast<int64_t>(all.size()) == stored);
  CHECK(pages == (stored + 2) / 3);
  CHECK(std::is_sorted(all.begin(), all.end(), [](const FaqArticle& a, const FaqArticle& b) {
    return std::tie(a.article_id, a.locale) < std::tie(b.article_id, b.locale);
  }));
  auto listed = std::find_if(all.begin(), all.end(), [](const FaqArticle& a) {
    return a.article_id == "faq-fees" && a.locale == "en";
  });
  REQUIRE(listed != all.end());
  CHECK_FALSE(listed->published);
  CHECK(listed->version == 2);
  CHECK(listed->body == fees->body);  // in full, ready to edit

  auto zh = env.desk.ListFaqArticles(env.agent, "zh-CN", 50, "");
  REQUIRE(zh.ok());
  CHECK(static_cast<int64_t>(zh->articles.size()) ==
        env.Count("SELECT count(*) FROM faq_articles WHERE locale = 'zh-CN'"));
  for (const FaqArticle& a : zh->articles) CHECK(a.locale == "zh-CN");

  CHECK(env.desk.ListFaqArticles(env.alice, "", 0, "").status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(ReasonOf(env.desk.ListFaqArticles(env.agent, "fr", 0, "").status()) ==
        "UNSUPPORTED_LOCALE");
  CHECK(ReasonOf(env.desk.ListFaqArticles(env.agent, "", 0, "no-bar").status()) ==
        "PAGE_TOKEN_INVALID");
  CHECK(ReasonOf(env.desk.ListFaqArticles(env.agent, "", -1, "").status()) == "INVALID_FIELD");
}

TEST_CASE("one open dispute per payment") {
  Env env;
  fakes::FakeMoney money;
  money.payments["p1"] = {.payment_id = "p1",
                          .payer_user_id = "alice",
                          .payee_owner_id = "bob",
                          .amount = {.amount_minor = 1000, .currency = "CNY"},
                          .succeeded = true};
  auto first = env.desk.OpenDispute(env.alice, money,
                                    {.idempotency_key = "d1",
                                     .payment_id = "p1",
                                     .reason = DisputeReason::kUnauthorised,
                                     .description = "not me",
                                     .evidence = {{.file_name = "s.png", .content = Png()}}});
  REQUIRE(first.ok());
  auto replay = env.desk.OpenDispute(env.alice, money,
                                     {.idempotency_key = "d1",
                                      .payment_id = "p1",
                                      .reason = DisputeReason::kUnauthorised,
                                      .description = "not me"});
  REQUIRE(replay.ok());
  CHECK(replay->ticket_id == first->ticket_id);
  auto second = env.desk.OpenDispute(env.alice, money,
                                     {.idempotency_key = "d2",
                                      .payment_id = "p1",
                                      .reason = DisputeReason::kUnauthorised,
                                      .description = "again"});
  CHECK(ReasonOf(second.status()) == "DISPUTE_ALREADY_OPEN");
  CHECK(money.voided.size() == 1);  // the second attempt's hold was released
  auto resolved = env.desk.ResolveDispute(env.agent, money,
                                          {.idempotency_key = "r1",
                                           .ticket_id = first->ticket_id,
                                           .decision = DisputeDecision::kReject,
                                           .note = "merchant proved delivery"});
  REQUIRE(resolved.ok());
  CHECK(resolved->dispute->status == DisputeStatus::kRejected);
  CHECK(env.Count("SELECT count(*) FROM dispute_audit") == 1);
  CHECK(money.voided.size() == 2);  // rejected: the first dispute's hold is released too
  CHECK_FALSE(env.schema.pool().Exec("DELETE FROM dispute_audit").ok());  // append only
}

TEST_CASE("live chat fans out across two replicas through Redis pub/sub") {
  Env env;
  redis::PoolOptions options = env.redis.Options(2);
  EventHub replica_a(options, 10);
  EventHub replica_b(options, 10);
  REQUIRE(replica_a.Start().ok());
  REQUIRE(replica_b.Start().ok());

  auto created = env.desk.CreateTicket(
      env.alice, {.category = Category::kOther, .subject = "chat", .body = "hi"});
  REQUIRE(created.ok());
  const std::string id = created->ticket.ticket_id;
  auto customer_stream = replica_a.Register(id);
  auto agent_queue = replica_b.Register("");
  auto other_ticket = replica_b.Register("some-other-ticket");
  REQUIRE(customer_stream.ok());
  REQUIRE(agent_queue.ok());
  REQUIRE(other_ticket.ok());

  REQUIRE(env.desk.Reply(env.agent, id, "Hello from support", false, {}, "").ok());
  // Bounded waits (not timing assertions): the events arrive or the test fails after 5 s.
  bool got_reply = false;
  for (int i = 0; i < 10 && !got_reply; ++i) {
    auto event = (*customer_stream)->Next(absl::Milliseconds(500));
    if (event && event->kind == EventKind::kMessage &&
        event->message->body == "Hello from support") {
      got_reply = true;
    }
  }
  CHECK(got_reply);
  bool queue_saw = false;
  for (int i = 0; i < 10 && !queue_saw; ++i) {
    auto event = (*agent_queue)->Next(absl::Milliseconds(500));
    if (event && event->ticket.ticket_id == id) queue_saw = true;
  }
  CHECK(queue_saw);
  CHECK_FALSE((*other_ticket)->Next(absl::Milliseconds(200)).has_value());

  // Bounded streams per replica.
  EventHub tiny(options, 1);
  REQUIRE(tiny.Start().ok());
  auto one = tiny.Register("x");
  REQUIRE(one.ok());
  CHECK(tiny.Register("y").status().code() == absl::StatusCode::kResourceExhausted);
  tiny.Unregister(*one);
  CHECK(tiny.Register("y").ok());

  // Stopping a replica ends its streams.
  replica_a.Stop();
  CHECK((*customer_stream)->closed());
  CHECK(replica_a.Register(id).status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("SLA breach sweeper: each ticket and target announced once, even by two replicas") {
  Env env;
  // Two replicas: their own outbox writer, store and desk on the same database, one fake clock.
  fakes::FakePublisher published_a;
  fakes::FakePublisher published_b;
  SupportDesk replica_a{env.store, published_a, env.clock, env.ids, DeskOptions{}};
  events::Outbox outbox_b{"support", env.ids, env.clock};
  PgTicketStore store_b{env.schema.pool(), outbox_b};
  SupportDesk replica_b{store_b, published_b, env.clock, env.ids, DeskOptions{}};

  // Monday 10:00 (+08:00). Security tickets are urgent: first response due 10:30, resolution due
  // 18:00 the same day (8 business hours). "Other" is low: first response due 18:00.
  constexpr int kUrgentTickets = 30;
  std::vector<std::string> urgent;
  for (int i = 0; i < kUrgentTickets; ++i) {
    auto created = env.desk.CreateTicket(
        Caller{.user_id = "user-" + std::to_string(i), .customer = true},
        {.category = Category::kSecurity, .subject = "stolen phone", .body = "help"});
    REQUIRE(created.ok());
    REQUIRE(created->ticket.priority == Priority::kUrgent);
    urgent.push_back(created->ticket.ticket_id);
  }
  auto answered = env.desk.CreateTicket(
      env.alice, {.category = Category::kSecurity, .subject = "answered", .body = "help"});
  REQUIRE(answered.ok());
  REQUIRE(env.desk.Reply(env.agent, answered->ticket.ticket_id, "On it", false, {}, "").ok());
  auto paused = env.desk.CreateTicket(
      env.bob, {.category = Category::kSecurity, .subject = "paused", .body = "help"});
  REQUIRE(paused.ok());
  REQUIRE(env.desk.Reply(env.agent, paused->ticket.ticket_id, "Send a photo", false, {}, "").ok());
  auto low = env.desk.CreateTicket(
      env.alice, {.category = Category::kOther, .subject = "low", .body = "question"});
  REQUIRE(low.ok());

  // Nothing is due yet.
  CHECK(*replica_a.SweepSlaBreaches(kSlaSweepBatchMax) == 0);

  // 10:31: every unanswered urgent ticket missed its first response. Both replicas sweep at once
  // in small batches until neither finds more.
  env.clock.Advance(absl::Minutes(31));
  auto sweep = [](SupportDesk& desk) {
    int total = 0;
    for (int round = 0; round < 100; ++round) {
      absl::StatusOr<int> claimed = desk.SweepSlaBreaches(3);
      UW_CHECK_OK(claimed.status());
      if (*claimed == 0) break;
      total += *claimed;
    }
    return total;
  };
  int by_a = 0;
  int by_b = 0;
  std::thread thread_a([&] { by_a = sweep(replica_a); });
  std::thread thread_b([&] { by_b = sweep(replica_b); });
  thread_a.join();
  thread_b.join();
  CHECK(by_a + by_b == kUrgentTickets);
  std::printf("sla sweep: replica a announced %d, replica b %d\n", by_a, by_b);
  std::map<std::string, int> announced;
  for (const auto* published : {&published_a, &published_b}) {
    for (const TicketEvent& event : published->events) {
      CHECK(event.kind == EventKind::kSlaBreached);
      CHECK(event.ticket.sla_breached);
      CHECK_FALSE(event.ticket.first_responded_at.has_value());
      ++announced[event.ticket.ticket_id];
    }
  }
  CHECK(announced.size() == urgent.size());
  for (const std::string& id : urgent) CHECK(announced[id] == 1);
  CHECK(env.Count("SELECT count(*) FROM outbox WHERE type = 'support.ticket.sla_breached'") ==
        kUrgentTickets);
  CHECK(env.Count("SELECT count(*) FROM tickets WHERE first_response_breach_notified_due_at IS "
                  "NOT NULL") == kUrgentTickets);
  // A second round finds nothing new.
  CHECK(*replica_a.SweepSlaBreaches(kSlaSweepBatchMax) == 0);
  CHECK(*replica_b.SweepSlaBreaches(kSlaSweepBatchMax) == 0);

  // The customer of `paused` is asked for something: pending customer stops the resolution clock.
  REQUIRE(
      env.desk.SetStatus(env.agent, paused->ticket.ticket_id, Status::kPendingCustomer, "").ok());
  // Tuesday 10:00: the urgent tickets' resolution (Monday 18:00) and the low ticket's first
  // response (Monday 18:00) passed; the answered ticket's resolution passed too; the paused one
  // stands still.
  env.clock.Advance(absl::Hours(23) + absl::Minutes(29));
  published_a.events.clear();
  SlaSweeper sweeper(replica_a, absl::Seconds(30));
  absl::StatusOr<int> round = sweeper.RunOnce();  // more than one batch: batches until done
  REQUIRE(round.ok());
  CHECK(*round == kUrgentTickets + 2);
  std::map<std::string, int> second;
  for (const TicketEvent& event : published_a.events) {
    CHECK(event.ticket.sla_breached);
    ++second[event.ticket.ticket_id];
  }
  for (const std::string& id : urgent) CHECK(second[id] == 1);  // now the resolution target
  CHECK(second[low->ticket.ticket_id] == 1);                    // its first response
  CHECK(second[answered->ticket.ticket_id] == 1);               // its resolution
  CHECK(second.count(paused->ticket.ticket_id) == 0);           // the clock stands still
  CHECK(env.Count("SELECT count(*) FROM outbox WHERE type = 'support.ticket.sla_breached' AND "
                  "payload::jsonb->>'target' = 'resolution'") == kUrgentTickets + 1);
  CHECK(*replica_b.SweepSlaBreaches(kSlaSweepBatchMax) == 0);
  CHECK(env.Count("SELECT count(*) FROM outbox WHERE type = 'support.ticket.sla_breached'") ==
        2 * kUrgentTickets + 2);

  // A resolved ticket's target is settled; a reopened one gets a fresh target, announced again
  // once it passes too.
  const std::string reopened = answered->ticket.ticket_id;
  REQUIRE(env.desk.SetStatus(env.agent, reopened, Status::kResolved, "done").ok());
  REQUIRE(env.desk.ReopenTicket(env.alice, reopened, "still broken").ok());
  CHECK(*replica_a.SweepSlaBreaches(kSlaSweepBatchMax) == 0);
  env.clock.Advance(absl::Hours(24));  // Wednesday 10:00: 8 business hours later it is due
  published_b.events.clear();
  CHECK(*replica_b.SweepSlaBreaches(kSlaSweepBatchMax) == 1);
  REQUIRE(published_b.events.size() == 1);
  CHECK(published_b.events[0].ticket.ticket_id == reopened);
  CHECK(*replica_a.SweepSlaBreaches(kSlaSweepBatchMax) == 0);
}

TEST_CASE("event codec round trip") {
  TicketEvent event;
  event.kind = EventKind::kMessage;
  event.ticket.ticket_id = "t1";
  event.ticket.user_id = "u1";
  event.ticket.first_response_due_at = absl::InfiniteFuture();
  event.message = Message{.message_id = "m1", .body = "你好 \"quoted\"", .internal_note = true};
  auto decoded = DecodeEvent(EncodeEvent(event));
  REQUIRE(decoded.ok());
  CHECK(decoded->ticket.ticket_id == "t1");
  CHECK(decoded->ticket.first_response_due_at == absl::InfiniteFuture());
  CHECK(decoded->message->body == "你好 \"quoted\"");
  CHECK(decoded->message->internal_note);
  CHECK_FALSE(DecodeEvent("{not json").ok());
}

}  // namespace
}  // namespace uwallet::support
