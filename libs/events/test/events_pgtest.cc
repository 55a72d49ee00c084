// Outbox → relay → stream → consumer group, against the real PostgreSQL and Redis.
#include <catch2/catch.hpp>

#include <set>

#include "uwallet/events/events.h"
#include "uwallet/testing/pg_fixture.h"
#include "uwallet/testing/redis_fixture.h"

namespace uwallet::events {
namespace {

struct Fixture {
  testing::PgSchema schema;
  testing::RedisPrefix redis;
  FakeClock clock;
  UuidV7Generator ids{clock};
  Outbox outbox{"test", ids, clock};
  Fixture() { REQUIRE(pg::Migrate(schema.pool(), schema.name(), {OutboxMigration()}).ok()); }
  std::string Append(const std::string& type, const std::string& subject) {
    std::string id;
    REQUIRE(schema.pool()
                .Transact([&](pg::Connection& tx) -> absl::Status {
                  UW_ASSIGN_OR_RETURN(id, outbox.Append(tx, type, subject, R"({"n":1})"));
                  return absl::OkStatus();
                })
                .ok());
    return id;
  }
};

TEST_CASE("an event written in a rolled-back transaction is never published") {
  Fixture f;
  absl::Status status = f.schema.pool().Transact(
      [&](pg::Connection& tx) -> absl::Status {
        UW_RETURN_IF_ERROR(f.outbox.Append(tx, "x.happened", "u1", "{}").status());
        return absl::AbortedError("changed my mind");
      },
      {.max_attempts = 1});
  REQUIRE_FALSE(status.ok());
  Relay relay(f.schema.pool(), f.redis.pool());
  REQUIRE(relay.PublishBatch().value() == 0);
}

TEST_CASE("relay publishes once; consumer handles each event once and acks after success") {
  Fixture f;
  const std::string a = f.Append("auth.login_failed", "u1");
  const std::string b = f.Append("auth.login_succeeded", "u1");
  Relay relay(f.schema.pool(), f.redis.pool());
  REQUIRE(relay.PublishBatch().value() == 2);
  REQUIRE(relay.PublishBatch().value() == 0);  // marked as sent

  std::vector<Event> seen;
  bool fail_next = true;
  Consumer consumer(f.redis.pool(),
                    {.group = "fraud",
                     .consumer = "c1",
                     .block = absl::Milliseconds(10),
                     .reclaim_idle = absl::Milliseconds(1)},
                    [&](const Event& event) -> absl::Status {
                      if (fail_next) {
                        fail_next = false;
                        return absl::UnavailableError("downstream busy");
                      }
                      seen.push_back(event);
                      return absl::OkStatus();
                    });
  REQUIRE(consumer.Init().ok());
  REQUIRE(consumer.Init().ok());              // the group exists already: fine
  REQUIRE(consumer.PollOnce().value() == 1);  // the first failed and stays pending
  REQUIRE(seen.size() == 1);
  REQUIRE(seen[0].id == b);
  // The failed one is reclaimed (idle > 1 ms) and handled now.
  absl::SleepFor(absl::Milliseconds(5));
  REQUIRE(consumer.PollOnce().value() == 1);
  REQUIRE(seen.size() == 2);
  REQUIRE(seen[1].id == a);
  REQUIRE(seen[1].type == "auth.login_failed");
  REQUIRE(seen[1].source == "test");
  REQUIRE(seen[1].subject_id == "u1");
  REQUIRE(seen[1].payload == R"({"n": 1})");
  REQUIRE(consumer.PollOnce().value() == 0);
}

TEST_CASE("the published hook sees each event once, after its batch committed") {
  Fixture f;
  f.Append("payments.payment_succeeded", "u1");
  f.Append("payments.payment_failed", "u2");
  Relay relay(f.schema.pool(), f.redis.pool());
  std::vector<std::string> types;
  std::vector<absl::Duration> waits;
  relay.OnPublished([&](const std::string& type, absl::Duration waited) {
    types.push_back(type);
    waits.push_back(waited);
  });
  REQUIRE(relay.PublishBatch().value() == 2);
  REQUIRE(relay.PublishBatch().value() == 0);
  REQUIRE(types ==
          std::vector<std::string>{"payments.payment_succeeded", "payments.payment_failed"});
  for (absl::Duration waited : waits) CHECK(waited >= absl::ZeroDuration());

  // Redis down: nothing is published, so the hook is not called.
  f.Append("payments.payment_held", "u3");
  redis::PoolOptions broken_options = f.redis.pool().options();
  broken_options.port = 1;  // nothing listens there
  auto broken = redis::Pool::Create(broken_options);
  REQUIRE(broken.ok());
  Relay failing(f.schema.pool(), **broken);
  failing.OnPublished([&](const std::string& type, absl::Duration) { types.push_back(type); });
  REQUIRE_FALSE(failing.PublishBatch().ok());
  CHECK(types.size() == 2);
  REQUIRE(relay.PublishBatch().value() == 1);  // still unpublished, so the good relay sends it
  CHECK(types.back() == "payments.payment_held");
}

TEST_CASE("a redelivered event (published twice) is handled once") {
  Fixture f;
  const std::string a = f.Append("payments.succeeded", "u2");
  Relay relay(f.schema.pool(), f.redis.pool());
  REQUIRE(relay.PublishBatch().value() == 1);
  // Simulate a relay crash after XADD but before marking the row: it gets published again.
  REQUIRE(f.schema.pool().Exec("UPDATE outbox SET published_at = NULL").ok());
  REQUIRE(relay.PublishBatch().value() == 1);
  int calls = 0;
  Consumer consumer(f.redis.pool(),
                    {.group = "notify", .consumer = "c1", .block = absl::Milliseconds(10)},
                    [&](const Event&) {
                      ++calls;
                      return absl::OkStatus();
                    });
  REQUIRE(consumer.Init().ok());
  REQUIRE(consumer.PollOnce().value() == 1);
  REQUIRE(consumer.PollOnce().value() == 0);
  REQUIRE(calls == 1);
}

TEST_CASE("exactly-once effect in the consumer's own transaction") {
  Fixture f;
  bool first = false;
  REQUIRE(f.schema.pool()
              .Transact([&](pg::Connection& tx) -> absl::Status {
                UW_ASSIGN_OR_RETURN(
                    first, MarkProcessedInTx(tx, "fraud", "0190a4c2-7d3e-7abc-8def-0123456789ab"));
                return absl::OkStatus();
              })
              .ok());
  REQUIRE(first);
  REQUIRE(f.schema.pool()
              .Transact([&](pg::Connection& tx) -> absl::Status {
                UW_ASSIGN_OR_RETURN(
                    first, MarkProcessedInTx(tx, "fraud", "0190a4c2-7d3e-7abc-8def-0123456789ab"));
                return absl::OkStatus();
              })
              .ok());
  REQUIRE_FALSE(first);
}

// The event ids still in the outbox, in seq order.
std::vector<std::string> OutboxIds(Fixture& f) {
  pg::Result rows = f.schema.pool().Exec("SELECT event_id::text FROM outbox ORDER BY seq").value();
  std::vector<std::string> ids;
  for (int i = 0; i < rows.Rows(); ++i) ids.push_back(rows.String(i, 0));
  return ids;
}

TEST_CASE("published events older than the retention are pruned from the head of the outbox") {
  Fixture f;
  const std::string old1 = f.Append("x.old", "u1");
  const std::string old2 = f.Append("x.old", "u1");
  const std::string old_replayed = f.Append("x.old", "u1");
  const std::string old3 = f.Append("x.old", "u1");
  f.clock.Advance(absl::Hours(24 * 8));
  const std::string fresh = f.Append("x.new", "u1");
  Relay relay(f.schema.pool(), f.redis.pool());
  REQUIRE(relay.PublishBatch().value() == 5);
  OutboxPruner keep_week(f.schema.pool(), absl::Hours(24 * 7));
  // An operator replays one old event: it is unpublished again until the relay sends it.
  REQUIRE(f.schema.pool()
              .Exec("UPDATE outbox SET published_at = NULL WHERE event_id = $1::uuid",
                    pg::P(old_replayed))
              .ok());
  const absl::Time now = f.clock.Now();

  SECTION("no retention keeps everything") {
    OutboxPruner keep_all(f.schema.pool(), absl::ZeroDuration());
    REQUIRE(keep_all.Prune(now).value().events == 0);
    CHECK(OutboxIds(f) == std::vector<std::string>{old1, old2, old_replayed, old3, fresh});
  }
  SECTION("old and published go; the first unpublished row stops the pass") {
    CHECK(keep_week.Prune(now).value().events == 2);
    CHECK(OutboxIds(f) == std::vector<std::string>{old_replayed, old3, fresh});
    // Once the replayed event is sent again, the rest of the old ones go too; the fresh one stays.
    REQUIRE(relay.PublishBatch().value() == 1);
    CHECK(keep_week.Prune(now).value().events == 2);
    CHECK(OutboxIds(f) == std::vector<std::string>{fresh});
    // The fresh event goes once it is older than the retention itself.
    CHECK(keep_week.Prune(now + absl::Hours(24 * 6)).value().events == 0);
    CHECK(keep_week.Prune(now + absl::Hours(24 * 8)).value().events == 1);
    CHECK(OutboxIds(f).empty());
  }
  SECTION("a pass deletes at most max_rows") {
    CHECK(keep_week.Prune(now, /*max_rows=*/1).value().events == 1);
    CHECK(OutboxIds(f) == std::vector<std::string>{old2, old_replayed, old3, fresh});
  }
}

TEST_CASE("exactly-once markers are pruned once their event is a day older than the retention") {
  Fixture f;
  // Event ids carry their time (UUIDv7): made here at the times the test needs.
  const absl::Time now = absl::Now();
  FakeClock then;
  UuidV7Generator ids(then);
  auto id_at = [&](absl::Duration ago) {
    then.Set(now - ago);
    return ids.NewId();
  };
  const std::string gone = id_at(absl::Hours(24 * 9));
  const std::string gone_too = id_at(absl::Hours(24 * 8) + absl::Minutes(1));
  const std::string kept = id_at(absl::Hours(24 * 7 + 12));
  const std::string recent = id_at(absl::Hours(24));
  auto mark = [&](const std::string& group, const std::string& id) {
    bool first = false;
    REQUIRE(f.schema.pool()
                .Transact([&](pg::Connection& tx) -> absl::Status {
                  UW_ASSIGN_OR_RETURN(first, MarkProcessedInTx(tx, group, id));
                  return absl::OkStatus();
                })
                .ok());
    return first;
  };
  REQUIRE(mark("fraud", gone));
  REQUIRE(mark("support", gone_too));
  REQUIRE(mark("fraud", kept));
  REQUIRE(mark("support", recent));
  OutboxPruner pruner(f.schema.pool(), absl::Hours(24 * 7));
  CHECK(pruner.Prune(now).value().markers == 2);  // in both groups
  CHECK(mark("fraud", gone));                     // its marker was pruned: new again
  CHECK(mark("support", gone_too));
  CHECK_FALSE(mark("fraud", kept));
  CHECK_FALSE(mark("support", recent));
  OutboxPruner keep_all(f.schema.pool(), absl::ZeroDuration());
  CHECK(keep_all.Prune(now + absl::Hours(24 * 365)).value().markers == 0);
}

TEST_CASE("oversized payloads are refused") {
  Fixture f;
  absl::Status status = f.schema.pool().Transact([&](pg::Connection& tx) {
    return f.outbox.Append(tx, "x", "u", std::string(kPayloadBytesMax + 1, 'a')).status();
  });
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("AppendBatch writes several events with one statement, in order") {
  Fixture f;
  std::vector<std::string> ids;
  REQUIRE(f.schema.pool()
              .Transact([&](pg::Connection& tx) -> absl::Status {
                UW_ASSIGN_OR_RETURN(
                    ids, f.outbox.AppendBatch(tx, {{"ledger.transfer_posted", "a1", R"({"n":1})"},
                                                   {"ledger.transfer_posted", "a2", R"({"n":2})"},
                                                   {"ledger.hold_created", "a\"3", "{}"}}));
                return absl::OkStatus();
              })
              .ok());
  REQUIRE(ids.size() == 3);
  auto rows = f.schema.pool().Exec(
      "SELECT event_id::text, type, subject_id, payload::text, source FROM outbox ORDER BY seq");
  REQUIRE(rows.ok());
  REQUIRE(rows->Rows() == 3);
  REQUIRE(rows->String(0, 0) == ids[0]);
  REQUIRE(rows->String(1, 3) == R"({"n": 2})");
  REQUIRE(rows->String(2, 1) == "ledger.hold_created");
  REQUIRE(rows->String(2, 2) == "a\"3");
  REQUIRE(rows->String(2, 4) == "test");
  Relay relay(f.schema.pool(), f.redis.pool());
  REQUIRE(relay.PublishBatch().value() == 3);
  // Payloads that are not one JSON object are refused before anything is written.
  for (const char* bad : {"", "[1]", R"({"n":1}, "type": "x")", "{"}) {
    INFO(bad);
    absl::Status status = f.schema.pool().Transact([&](pg::Connection& tx) {
      return f.outbox.AppendBatch(tx, {{"x", "u", bad}}).status();
    });
    REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace uwallet::events
