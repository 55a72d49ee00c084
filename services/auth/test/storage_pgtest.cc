// Storage against the real PostgreSQL and Redis (UWALLET_TEST_PG_DSN, UWALLET_TEST_REDIS_ADDR;
// skipped, exit 77, without them): the schema's guarantees, the Redis scripts, and the races that
// only real servers can show.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "services/auth/core/auth_core.h"
#include "services/auth/schema/migrations.h"
#include "services/auth/storage/pg_store.h"
#include "services/auth/storage/redis_stores.h"
#include "uwallet/common/check.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/events/events.h"
#include "uwallet/notify/notifier.h"
#include "uwallet/pg/migrate.h"
#include "uwallet/testing/pg_fixture.h"
#include "uwallet/testing/redis_fixture.h"

namespace uwallet::auth {
namespace {

constexpr char kPassword[] = "tangerine-otter-42";

struct Servers {
  explicit Servers(int pool_size = 24)
      : schema("auth", pool_size),
        redis(pool_size),
        ids(clock),
        outbox("auth", ids, clock),
        store(schema.pool(), outbox),
        sessions(redis.pool()),
        codes(redis.pool()),
        limiter(redis.pool()),
        tokens(redis.pool()),
        mailbox(redis.pool(), clock),
        core(AuthCore::Deps{.store = &store,
                            .sessions = &sessions,
                            .codes = &codes,
                            .limits = &limiter,
                            .tokens = &tokens,
                            .notifier = &mailbox,
                            .clock = &clock,
                            .ids = &ids},
             *AuthKeys::Derive(std::string(32, 'k'))) {
    UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), Migrations()));
  }

  static Caller Anonymous() {
    Caller caller;
    caller.roles = {"anonymous"};
    return caller;  // no IP: the per-IP budgets stay out of these tests
  }

  std::string LastCode(const std::string& destination, const std::string& kind) {
    auto messages = mailbox.List(destination);
    UW_CHECK_OK(messages.status());
    for (const auto& message : *messages) {
      if (message.notification.kind == kind && !message.notification.code.empty()) {
        return message.notification.code;
      }
    }
    return "";
  }

  int64_t Count(const std::string& sql) {
    auto result = schema.pool().Exec(sql);
    UW_CHECK_OK(result.status());
    return result->Int(0, 0);
  }

  std::string Register(const std::string& email) {
    auto registered = core.Register(
        {.email = email, .password = kPassword, .display_name = "Li Wei"}, Anonymous());
    UW_CHECK_OK(registered.status());
    return registered->user_id;
  }

  RealClock clock;
  testing::PgSchema schema;
  testing::RedisPrefix redis;
  UuidV7Generator ids;
  events::Outbox outbox;
  PgAuthStore store;
  RedisSessionStore sessions;
  RedisCodeStore codes;
  RedisRateLimiter limiter;
  RedisTokenStore tokens;
  notify::DevMailbox mailbox;
  AuthCore core;
};

TEST_CASE("the audit log refuses UPDATE, DELETE and TRUNCATE") {
  Servers s;
  AuditEntry entry;
  entry.audit_id = s.ids.NewId();
  entry.actor_id = "0190a000-0000-7000-8000-000000000001";
  entry.actor_roles = {"agent"};
  entry.action = "auth.unlock_user";
  entry.reason = "customer verified";
  entry.created_at = s.clock.Now();
  REQUIRE(s.store.Transact([&](AuthTx& tx) { return tx.AppendAudit(entry); }).ok());

  auto update = s.schema.pool().Exec("UPDATE audit_log SET reason = 'rewritten'");
  CHECK(update.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(pg::RaisedMessageOf(update.status()) == "AUDIT_LOG_IS_APPEND_ONLY");
  auto remove = s.schema.pool().Exec("DELETE FROM audit_log");
  CHECK(pg::RaisedMessageOf(remove.status()) == "AUDIT_LOG_IS_APPEND_ONLY");
  auto truncate = s.schema.pool().Exec("TRUNCATE audit_log");
  CHECK(pg::RaisedMessageOf(truncate.status()) == "AUDIT_LOG_IS_APPEND_ONLY");
  CHECK(s.Count("SELECT count(*) FROM audit_log WHERE reason = 'customer verified'") == 1);
}

TEST_CASE("the schema keeps contacts unique and normalised") {
  Servers s;
  s.Register("li@example.com");
  auto again =
      s.core.Register({.email = "LI@Example.com", .password = kPassword, .display_name = "Other"},
                      Servers::Anonymous());
  CHECK(ReasonOf(again.status()) == "CONTACT_ALREADY_REGISTERED");
  // The database refuses what the core would never write.
  auto raw = s.schema.pool().Exec(
      "INSERT INTO users (user_id, email, display_name, roles, created_at, updated_at)"
      " VALUES (gen_random_uuid(), 'Upper@Example.com', 'x', '{customer}', now(), now())");
  CHECK(raw.status().code() == absl::StatusCode::kFailedPrecondition);
  auto bad_phone = s.schema.pool().Exec(
      "INSERT INTO users (user_id, phone, display_name, roles, created_at, updated_at)"
      " VALUES (gen_random_uuid(), '13800138000', 'x', '{customer}', now(), now())");
  CHECK(bad_phone.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("20 parallel submissions of one code: exactly one succeeds") {
  Servers s;
  s.Register("race@example.com");
  const std::string code = s.LastCode("race@example.com", "verify_contact");
  REQUIRE(code.size() == 6);
  std::atomic<int> accepted{0};
  std::atomic<int> expired{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      absl::Status status = s.core.VerifyContact("race@example.com", code, Servers::Anonymous());
      if (status.ok()) ++accepted;
      if (ReasonOf(status) == "CODE_EXPIRED") ++expired;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(accepted == 1);
  CHECK(expired == 19);
  CHECK(s.Count("SELECT count(*) FROM security_events WHERE kind = 'contact_verified'") == 1);
}

TEST_CASE("20 parallel wrong guesses spend exactly the 5 allowed tries") {
  Servers s;
  REQUIRE(s.codes.Put("code:test:x", "right-hash", absl::Minutes(10)).ok());
  std::atomic<int> wrong{0};
  std::atomic<int> gone{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      auto check = s.codes.Check("code:test:x", "wrong-hash", 5);
      UW_CHECK_OK(check.status());
      if (check->result == CodeCheckResult::kWrong) ++wrong;
      if (check->result == CodeCheckResult::kGone) ++gone;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 5);
  CHECK(gone == 15);
  // The code is dead: even the right hash is refused now.
  CHECK(s.codes.Check("code:test:x", "right-hash", 5)->result == CodeCheckResult::kGone);
  // And a new Put replaces an old code.
  REQUIRE(s.codes.Put("code:test:y", "old", absl::Minutes(10)).ok());
  REQUIRE(s.codes.Put("code:test:y", "new", absl::Minutes(10)).ok());
  CHECK(s.codes.Check("code:test:y", "old", 5)->result == CodeCheckResult::kWrong);
  CHECK(s.codes.Check("code:test:y", "new", 5)->result == CodeCheckResult::kAccepted);
}

TEST_CASE("parallel wrong sign-ins: one lock period, one locked event, then nothing counts") {
  Servers s;
  const std::string user_id = s.Register("lock@example.com");
  std::atomic<int> invalid{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      auto result =
          s.core.Login("lock@example.com", "wrong-password!", Device{}, Servers::Anonymous());
      if (ReasonOf(result.status()) == "INVALID_CREDENTIALS") ++invalid;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(invalid == 12);
  const std::string where = " WHERE user_id = '" + user_id + "'";
  CHECK(s.Count("SELECT lock_count FROM lockouts" + where) == 1);
  CHECK(s.Count("SELECT count(*) FROM lockouts" + where + " AND locked_until > now()") == 1);
  CHECK(s.Count("SELECT count(*) FROM security_events" + where + " AND kind = 'locked'") == 1);
  CHECK(s.Count("SELECT count(*) FROM security_events" + where + " AND kind = 'login_failed'") ==
        12);
  CHECK(s.Count("SELECT count(*) FROM outbox WHERE type = 'auth.locked' AND subject_id = '" +
                user_id + "'") == 1);
  // The right password while locked: the same answer.
  CHECK(ReasonOf(
            s.core.Login("lock@example.com", kPassword, Device{}, Servers::Anonymous()).status()) ==
        "INVALID_CREDENTIALS");
  CHECK(s.Count("SELECT lock_count FROM lockouts" + where) == 1);

  // An agent's search shows the lock (one query for the page's lockouts), and a user who never
  // got a password wrong (no lockout row) as cleared.
  const std::string other_id = s.Register("lock-other@example.com");
  auto found = s.core.FindUsers("Li Wei", 0, "");  // both have this name
  REQUIRE(found.ok());
  REQUIRE(found->users.size() == 2);
  REQUIRE(found->locks.size() == 2);
  for (size_t i = 0; i < found->users.size(); ++i) {
    const bool is_locked_user = found->users[i].user_id == user_id;
    CHECK((is_locked_user || found->users[i].user_id == other_id));
    CHECK(found->locks[i].IsLocked(s.clock.Now()) == is_locked_user);
    CHECK(found->locks[i].lock_count == (is_locked_user ? 1 : 0));
  }
}

TEST_CASE("parallel right sign-ins from one new device: one device, one new-device event") {
  Servers s;
  const std::string user_id = s.Register("many@example.com");
  REQUIRE(
      ReasonOf(s.core.Login("many@example.com", "wrong-password!", Device{}, Servers::Anonymous())
                   .status()) == "INVALID_CREDENTIALS");
  const std::string where = " WHERE user_id = '" + user_id + "'";
  REQUIRE(s.Count("SELECT failed_attempts FROM lockouts" + where) == 1);
  // The tablet's first sign-in makes it known (and gives it its secret); then 10 at once from a
  // phone that never signed in and from the tablet with its secret.
  auto tablet = s.core.Login("many@example.com", kPassword, Device{.device_id = "tablet-1"},
                             Servers::Anonymous());
  REQUIRE(tablet.ok());
  REQUIRE(tablet->session.has_value());
  const std::string tablet_token = tablet->session->device_token;
  REQUIRE(tablet_token.size() == 43);
  CHECK(s.Count("SELECT failed_attempts FROM lockouts" + where) == 0);
  REQUIRE(
      ReasonOf(s.core.Login("many@example.com", "wrong-password!", Device{}, Servers::Anonymous())
                   .status()) == "INVALID_CREDENTIALS");
  std::atomic<int> signed_in{0};
  std::atomic<int> tablet_given_new_secret{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto result =
          i % 2 == 0 ? s.core.Login("many@example.com", kPassword, Device{.device_id = "phone-1"},
                                    Servers::Anonymous())
                     : s.core.Login("many@example.com", kPassword, Device{.device_id = "tablet-1"},
                                    Servers::Anonymous(), tablet_token);
      if (result.ok() && result->session.has_value()) {
        ++signed_in;
        if (i % 2 == 1 && !result->session->device_token.empty()) ++tablet_given_new_secret;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(signed_in == 10);
  CHECK(tablet_given_new_secret == 0);
  CHECK(s.Count("SELECT failed_attempts FROM lockouts" + where) == 0);
  CHECK(s.Count("SELECT count(*) FROM users" + where + " AND last_login_at IS NOT NULL") == 1);
  CHECK(s.Count("SELECT count(*) FROM devices" + where + " AND device_id = 'phone-1'") == 1);
  CHECK(s.Count("SELECT count(*) FROM devices" + where + " AND secret_hash IS NOT NULL") == 2);
  CHECK(s.Count("SELECT count(*) FROM devices" + where + " AND device_id = 'tablet-1'" +
                " AND secret_hash = '" + crypto::Sha256Hex(tablet_token) + "'") == 1);
  // The tablet's first sign-in and each of the phone's 5 (none of them came with a secret).
  CHECK(s.Count("SELECT count(*) FROM security_events" + where + " AND kind = 'new_device'") == 6);
  CHECK(s.Count("SELECT count(*) FROM security_events" + where + " AND kind = 'login_succeeded'") ==
        11);
  const std::string subject = " AND subject_id = '" + user_id + "'";
  CHECK(s.Count("SELECT count(*) FROM outbox WHERE type = 'auth.new_device'" + subject) == 6);
  CHECK(s.Count("SELECT count(*) FROM outbox WHERE type = 'auth.login_succeeded'" + subject) == 11);
  CHECK(s.Count("SELECT count(*) FROM outbox o JOIN security_events e"
                " ON o.payload->>'security_event_id' = e.event_id::text"
                " WHERE e.user_id = '" +
                user_id + "' AND e.kind = 'login_succeeded'") == 11);
}

TEST_CASE("the sign-in read: user, hash, lockout, TOTP and devices in one statement") {
  Servers s;
  auto nobody =
      s.store.FindSignInCandidate(Contact{ContactKind::kEmail, "nobody@example.com"}, Device{});
  REQUIRE(nobody.ok());
  CHECK_FALSE(nobody->has_value());
  const std::string user_id = s.Register("read@example.com");
  const Contact contact{ContactKind::kEmail, "read@example.com"};
  auto fresh = s.store.FindSignInCandidate(contact, Device{.device_id = "d1"});
  REQUIRE(fresh.ok());
  REQUIRE(fresh->has_value());
  CHECK((*fresh)->user.user_id == user_id);
  CHECK((*fresh)->password_hash.rfind("$argon2id$", 0) == 0);
  CHECK((*fresh)->lock == LockState{});
  CHECK_FALSE((*fresh)->totp_enabled);
  CHECK_FALSE((*fresh)->has_devices);
  CHECK_FALSE((*fresh)->device_known);

  REQUIRE(
      ReasonOf(s.core.Login("read@example.com", "wrong-password!", Device{}, Servers::Anonymous())
                   .status()) == "INVALID_CREDENTIALS");
  auto first =
      s.core.Login("read@example.com", kPassword, Device{.device_id = "d1"}, Servers::Anonymous());
  REQUIRE(first.ok());
  REQUIRE(first->session.has_value());
  const std::string secret_hash = crypto::Sha256Hex(first->session->device_token);
  REQUIRE(
      ReasonOf(s.core.Login("read@example.com", "wrong-password!", Device{}, Servers::Anonymous())
                   .status()) == "INVALID_CREDENTIALS");
  auto known =
      s.store.FindSignInCandidate(contact, Device{.device_id = "d1", .secret_hash = secret_hash});
  REQUIRE(known.ok());
  REQUIRE(known->has_value());
  CHECK((*known)->lock.failed_attempts == 1);
  CHECK((*known)->lock.last_failed_at != absl::InfinitePast());
  CHECK((*known)->has_devices);
  CHECK((*known)->device_known);
  CHECK((*known)->user.last_login_at != absl::InfinitePast());
  auto other =
      s.store.FindSignInCandidate(contact, Device{.device_id = "d2", .secret_hash = secret_hash});
  REQUIRE(other.ok());
  CHECK((*other)->has_devices);
  CHECK_FALSE((*other)->device_known);
  auto unnamed = s.store.FindSignInCandidate(contact, Device{});
  REQUIRE(unnamed.ok());
  CHECK_FALSE((*unnamed)->device_known);
  // The id alone, or with another device's secret, is not the device.
  auto id_alone = s.store.FindSignInCandidate(contact, Device{.device_id = "d1"});
  REQUIRE(id_alone.ok());
  CHECK_FALSE((*id_alone)->device_known);
  auto wrong_secret = s.store.FindSignInCandidate(
      contact, Device{.device_id = "d1", .secret_hash = crypto::Sha256Hex("guessed")});
  REQUIRE(wrong_secret.ok());
  CHECK_FALSE((*wrong_secret)->device_known);

  // Forgotten: still recorded (the user still has devices), no longer trusted or known.
  REQUIRE(s.store
              .Transact([&](AuthTx& tx) -> absl::Status {
                UW_ASSIGN_OR_RETURN(std::vector<KnownDevice> before, tx.Devices(user_id));
                REQUIRE(before.size() == 1);
                CHECK(before[0].trusted);
                UW_ASSIGN_OR_RETURN(std::optional<Device> forgot, tx.ForgetDevice(user_id, "d1"));
                CHECK(forgot.has_value());
                UW_ASSIGN_OR_RETURN(std::optional<Device> unknown,
                                    tx.ForgetDevice(user_id, "never-seen"));
                CHECK_FALSE(unknown.has_value());
                UW_ASSIGN_OR_RETURN(std::vector<KnownDevice> after, tx.Devices(user_id));
                REQUIRE(after.size() == 1);
                CHECK_FALSE(after[0].trusted);
                return absl::OkStatus();
              })
              .ok());
  auto forgotten =
      s.store.FindSignInCandidate(contact, Device{.device_id = "d1", .secret_hash = secret_hash});
  REQUIRE(forgotten.ok());
  CHECK((*forgotten)->has_devices);
  CHECK_FALSE((*forgotten)->device_known);
}

TEST_CASE("the session cap in Redis: the least recently used make room, also under races") {
  Servers s;
  SessionRecord base;
  base.user_id = "cap-user";
  base.expires_at = s.clock.Now() + absl::Hours(1);
  for (int i = 0; i < 4; ++i) {
    SessionRecord session = base;
    session.session_id = "s" + std::to_string(i);
    // s2 is the least recently used.
    session.last_seen_at = s.clock.Now() - absl::Minutes(i == 2 ? 30 : 10 - i);
    REQUIRE(s.sessions.Create(session, "th" + std::to_string(i), absl::Minutes(5), 3).ok());
  }
  auto listed = s.sessions.ListForUser("cap-user");
  REQUIRE(listed.ok());
  CHECK(listed->size() == 3);
  CHECK_FALSE(s.sessions.ById("s2")->has_value());
  CHECK_FALSE(s.sessions.ByTokenHash("th2")->has_value());
  CHECK(s.sessions.ById("s3")->has_value());

  std::vector<std::thread> threads;
  for (int i = 10; i < 30; ++i) {
    threads.emplace_back([&, i] {
      SessionRecord session = base;
      session.session_id = "s" + std::to_string(i);
      session.last_seen_at = s.clock.Now();
      UW_CHECK_OK(s.sessions.Create(session, "th" + std::to_string(i), absl::Minutes(5), 3));
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(s.sessions.ListForUser("cap-user")->size() == 3);
  auto members = s.redis.pool().Command({"SCARD", s.redis.prefix() + "auth:usess:cap-user"});
  REQUIRE(members.ok());
  CHECK(members->AsInteger().value() == 3);
}

TEST_CASE("sessions in Redis: validate, rotate, list, revoke, revoke all") {
  Servers s;
  s.Register("sess@example.com");
  auto first = s.core.Login("sess@example.com", kPassword, Device{.device_id = "d1", .name = "A"},
                            Servers::Anonymous());
  REQUIRE(first.ok());
  REQUIRE(first->session.has_value());
  const IssuedSession a = *first->session;
  auto valid = s.core.ValidateSession(a.token, "203.0.113.5");
  REQUIRE(valid.ok());
  CHECK(valid->session.user_id == a.session.user_id);
  CHECK(valid->session.ip == "203.0.113.5");
  CHECK(valid->session.device.name == "A");
  CHECK(valid->session.roles == std::vector<std::string>{"customer"});
  // The token itself is nowhere in Redis: only its hash names a key.
  auto keys = s.redis.pool().Command({"KEYS", s.redis.prefix() + "*"});
  REQUIRE(keys.ok());
  for (const auto& key : keys->elements()) CHECK(key.str().find(a.token) == std::string::npos);

  // Rotation: the old token stops, the new one works.
  REQUIRE(s.sessions.Rotate(a.session.session_id, "new-token-hash", s.clock.Now(), absl::Minutes(5))
              .value());
  CHECK(ReasonOf(s.core.ValidateSession(a.token, "").status()) == "SESSION_EXPIRED");
  auto rotated = s.sessions.ByTokenHash("new-token-hash");
  REQUIRE(rotated.ok());
  REQUIRE(rotated->has_value());
  CHECK((*rotated)->step_up_at != absl::InfinitePast());

  auto second =
      s.core.Login("sess@example.com", kPassword, Device{.device_id = "d1"}, Servers::Anonymous());
  auto third =
      s.core.Login("sess@example.com", kPassword, Device{.device_id = "d1"}, Servers::Anonymous());
  REQUIRE(second.ok());
  REQUIRE(third.ok());
  auto listed = s.sessions.ListForUser(a.session.user_id);
  REQUIRE(listed.ok());
  CHECK(listed->size() == 3);
  CHECK(s.sessions.Revoke(second->session->session.session_id).value());
  CHECK_FALSE(s.sessions.Revoke(second->session->session.session_id).value());
  CHECK(ReasonOf(s.core.ValidateSession(second->session->token, "").status()) == "SESSION_EXPIRED");
  auto revoked = s.sessions.RevokeAllForUser(a.session.user_id, "");
  REQUIRE(revoked.ok());
  CHECK(*revoked == 2);
  CHECK(ReasonOf(s.core.ValidateSession(third->session->token, "").status()) == "SESSION_EXPIRED");
  CHECK(s.sessions.ListForUser(a.session.user_id)->empty());
}

TEST_CASE("Redis unreachable: UNAVAILABLE, never a session") {
  Servers s;
  auto dead = redis::Pool::Create({.host = "127.0.0.1",
                                   .port = 1,
                                   .connect_timeout = absl::Milliseconds(100),
                                   .wait_timeout = absl::Milliseconds(100)});
  REQUIRE(dead.ok());
  RedisSessionStore sessions(**dead);
  RedisCodeStore codes(**dead);
  RedisRateLimiter limiter(**dead);
  RedisTokenStore tokens(**dead);
  notify::DevMailbox mailbox(**dead, s.clock);
  AuthCore core(AuthCore::Deps{.store = &s.store,
                               .sessions = &sessions,
                               .codes = &codes,
                               .limits = &limiter,
                               .tokens = &tokens,
                               .notifier = &mailbox,
                               .clock = &s.clock,
                               .ids = &s.ids},
                *AuthKeys::Derive(std::string(32, 'k')));
  CHECK(core.ValidateSession("some-token-value", "").status().code() ==
        absl::StatusCode::kUnavailable);
  s.Register("down@example.com");  // through the healthy core
  auto login = core.Login("down@example.com", kPassword, Device{}, Servers::Anonymous());
  CHECK(login.status().code() == absl::StatusCode::kUnavailable);
  CHECK(core.SendCode("down@example.com", 2, Servers::Anonymous()).status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("PostgreSQL store: devices, TOTP counter, recovery codes, audit paging") {
  Servers s;
  const std::string user_id = s.Register("store@example.com");
  absl::Status status = s.store.Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        bool first, tx.TouchDevice(user_id, Device{.device_id = "d1"}, "1.2.3.4", s.clock.Now()));
    UW_ASSIGN_OR_RETURN(
        bool again, tx.TouchDevice(user_id, Device{.device_id = "d1"}, "1.2.3.5", s.clock.Now()));
    CHECK(first);
    CHECK_FALSE(again);
    UW_ASSIGN_OR_RETURN(auto devices, tx.Devices(user_id));
    CHECK(devices.size() == 1);
    CHECK(devices[0].last_ip == "1.2.3.5");

    UW_RETURN_IF_ERROR(tx.PutTotp(TotpRecord{.user_id = user_id,
                                             .sealed_secret = std::string("\x00\x01\xff", 3),
                                             .enabled = true,
                                             .last_used_counter = 10,
                                             .created_at = s.clock.Now()}));
    UW_ASSIGN_OR_RETURN(auto totp, tx.Totp(user_id, true));
    CHECK(totp->sealed_secret == std::string("\x00\x01\xff", 3));
    CHECK(tx.AdvanceTotpCounter(user_id, 10).value() == false);
    CHECK(tx.AdvanceTotpCounter(user_id, 11).value() == true);
    CHECK(tx.AdvanceTotpCounter(user_id, 11).value() == false);

    UW_RETURN_IF_ERROR(tx.ReplaceRecoveryCodes(user_id, {"h1", "h2"}));
    CHECK(tx.UseRecoveryCode(user_id, "h1", s.clock.Now()).value());
    CHECK_FALSE(tx.UseRecoveryCode(user_id, "h1", s.clock.Now()).value());
    CHECK(tx.UnusedRecoveryCodes(user_id).value() == 1);
    return absl::OkStatus();
  });
  REQUIRE(status.ok());

  Caller agent;
  agent.user_id = "0190a000-0000-7000-8000-000000000001";
  agent.roles = {"agent"};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(s.core
                .UnlockUser(agent, user_id, "reason " + std::to_string(i),
                            IdentityCheck{.method = 1, .note = "code read back"})
                .ok());
  }
  auto page = s.core.ListAuditLog(AuditFilter{.target_user_id = user_id}, 2, "");
  REQUIRE(page.ok());
  REQUIRE(page->entries.size() == 2);
  CHECK(page->entries[0].reason == "reason 2");
  CHECK(page->entries[0].identity_check.note == "code read back");
  REQUIRE_FALSE(page->next_page_token.empty());
  auto rest = s.core.ListAuditLog(AuditFilter{.target_user_id = user_id}, 2, page->next_page_token);
  REQUIRE(rest.ok());
  REQUIRE(rest->entries.size() == 1);
  CHECK(rest->entries[0].reason == "reason 0");
  CHECK(rest->next_page_token.empty());
  CHECK(ReasonOf(s.core.ListAuditLog(AuditFilter{}, 2, "garbage!").status()) ==
        "PAGE_TOKEN_INVALID");
  CHECK(s.Count("SELECT count(*) FROM outbox WHERE type = 'auth.unlocked'") == 3);
  auto detail = s.core.GetUser(user_id);
  REQUIRE(detail.ok());
  CHECK(detail->recent_events.front().kind == SecurityEventKind::kUnlocked);
}

}  // namespace
}  // namespace uwallet::auth
