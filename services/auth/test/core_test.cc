// The auth core with in-memory fakes and a fake clock: codes, lockout, sessions, TOTP, step-up,
// password reset, staff actions. Real argon2id hashing (about 30 ms each), so hash counts stay
// small.
#include <catch2/catch.hpp>

#include "services/auth/core/auth_core.h"
#include "services/auth/test/fakes.h"
#include "uwallet/common/check.h"
#include "uwallet/common/error_metadata.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/aead.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/totp.h"

namespace uwallet::auth {
namespace {

using testing::FakeAuthStore;

constexpr char kPassword[] = "tangerine-otter-42";

struct Harness {
  explicit Harness(AuthLimits limits = {})
      : ids(clock),
        core(AuthCore::Deps{.store = &store,
                            .sessions = &sessions,
                            .codes = &codes,
                            .limits = &limiter,
                            .tokens = &tokens,
                            .notifier = &notifier,
                            .clock = &clock,
                            .ids = &ids},
             *AuthKeys::Derive(std::string(32, 'k')), std::move(limits)) {}

  Caller Anonymous(std::string ip = "198.51.100.7") const {
    Caller caller;
    caller.roles = {"anonymous"};
    caller.ip = std::move(ip);
    return caller;
  }

  static Caller Of(const IssuedSession& issued) {
    Caller caller;
    caller.user_id = issued.session.user_id;
    caller.session_id = issued.session.session_id;
    caller.roles = issued.session.roles;
    caller.ip = "198.51.100.7";
    return caller;
  }

  // The newest code sent to `destination`, "" when none.
  std::string LastCode(const std::string& destination, const std::string& kind = "") const {
    for (auto it = notifier.sent.rbegin(); it != notifier.sent.rend(); ++it) {
      if (it->destination == destination && !it->code.empty() &&
          (kind.empty() || it->kind == kind)) {
        return it->code;
      }
    }
    return "";
  }

  int CountNotices(const std::string& destination, const std::string& kind) const {
    int count = 0;
    for (const auto& sent : notifier.sent)
      count += sent.destination == destination && sent.kind == kind;
    return count;
  }

  std::string RegisterVerified(const std::string& email, const std::string& password = kPassword) {
    RegisterInput input{.email = email, .password = password, .display_name = "Li Wei"};
    auto registered = core.Register(input, Anonymous());
    UW_CHECK_OK(registered.status());
    UW_CHECK_OK(core.VerifyContact(email, LastCode(email), Anonymous()));
    clock.Advance(absl::Minutes(1));  // past the 1-a-minute send limit of the first code
    return registered->user_id;
  }

  // From Li's phone, which keeps its device secret as the app would.
  IssuedSession SignIn(const std::string& email, const std::string& password = kPassword) {
    std::string& device_token = device_tokens[email];
    auto result = core.Login(email, password, Device{.device_id = "phone-1", .name = "Li's phone"},
                             Anonymous(), device_token);
    UW_CHECK_OK(result.status());
    UW_CHECK(result->session.has_value());
    if (!result->session->device_token.empty()) device_token = result->session->device_token;
    return *result->session;
  }
  std::map<std::string, std::string> device_tokens;  // email → phone-1's secret

  FakeClock clock;
  UuidV7Generator ids;
  FakeAuthStore store;
  testing::FakeSessionStore sessions{clock};
  testing::FakeCodeStore codes{clock};
  testing::FakeRateLimiter limiter{clock};
  testing::FakeTokenStore tokens{clock};
  notify::FakeNotifier notifier;
  AuthCore core;
};

std::string WrongCode(const std::string& code) {
  std::string wrong = code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  return wrong;
}

TEST_CASE("registration sends a code; the code verifies the contact once") {
  Harness h;
  auto registered = h.core.Register(
      {.email = "li@example.com", .password = kPassword, .display_name = "Li Wei"}, h.Anonymous());
  REQUIRE(registered.ok());
  const std::string code = h.LastCode("li@example.com", "verify_contact");
  REQUIRE(code.size() == 6);
  CHECK(h.store.Snapshot().users.at(registered->user_id).email_verified == false);
  REQUIRE(h.core.VerifyContact("LI@example.com", code, h.Anonymous()).ok());
  CHECK(h.store.Snapshot().users.at(registered->user_id).email_verified);
  // Single use: the same code again is gone.
  CHECK(ReasonOf(h.core.VerifyContact("li@example.com", code, h.Anonymous())) == "CODE_EXPIRED");
  // The password is stored as argon2id, never in clear.
  CHECK(h.store.Snapshot().password_hashes.at(registered->user_id).rfind("$argon2id$", 0) == 0);
}

TEST_CASE("messages speak the account's language: Chinese for zh-CN, else English") {
  Harness h;
  auto last = [&](const std::string& to, const std::string& kind) {
    for (auto it = h.notifier.sent.rbegin(); it != h.notifier.sent.rend(); ++it) {
      if (it->destination == to && it->kind == kind) return *it;
    }
    FAIL("no " << kind << " message to " << to);
    return notify::Notification();
  };
  auto registered = h.core.Register(
      {.email = "mei@example.com", .password = kPassword, .display_name = "Mei", .locale = "zh-CN"},
      h.Anonymous());
  REQUIRE(registered.ok());
  notify::Notification code = last("mei@example.com", "verify_contact");
  CHECK(code.subject == "uwallet 验证码");
  CHECK(code.body == absl::StrCat("【uwallet】验证码 ", code.code,
                                  "，用于验证此联系方式，10 分钟内有效。uwallet "
                                  "工作人员不会向你索要验证码。"));
  REQUIRE(h.core.VerifyContact("mei@example.com", code.code, h.Anonymous()).ok());
  // A reset code follows the account's language; a request that names one gets that one.
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("mei@example.com", 2, h.Anonymous()).ok());
  CHECK(last("mei@example.com", "reset_password").body.find("用于重设密码") != std::string::npos);
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("mei@example.com", 2, h.Anonymous(), "en").ok());
  notify::Notification english = last("mei@example.com", "reset_password");
  CHECK(english.subject == "Your uwallet code");
  CHECK(english.body.rfind("[uwallet] Your code to reset your password is ", 0) == 0);
  CHECK(ReasonOf(h.core.SendCode("mei@example.com", 2, h.Anonymous(), "zh CN!").status()) ==
        "INVALID_FIELD");
  // Security notices too: the password reset tells her in Chinese.
  REQUIRE(h.core.ResetPassword("mei@example.com", english.code, "a-brand-new-secret", h.Anonymous())
              .ok());
  notify::Notification notice = last("mei@example.com", "password_changed");
  CHECK(notice.subject == "你的 uwallet 密码已修改");
  CHECK(notice.body.rfind("【uwallet】你的密码已重设", 0) == 0);
  // An account without a locale reads English.
  h.RegisterVerified("li@example.com");
  CHECK(last("li@example.com", "verify_contact").body.rfind("[uwallet] Your code to verify", 0) ==
        0);
  for (const char* chinese : {"zh", "zh-CN", "zh-Hans-CN", "ZH_cn"}) CHECK(SpeaksChinese(chinese));
  for (const char* other : {"en", "en-GB", "", "zha"}) CHECK_FALSE(SpeaksChinese(other));
}

TEST_CASE("registration refuses bad input and taken contacts") {
  Harness h;
  CHECK(ReasonOf(
            h.core
                .Register({.email = "a@example.com", .password = "password1", .display_name = "A"},
                          h.Anonymous())
                .status()) == "PASSWORD_TOO_WEAK");
  CHECK(ReasonOf(h.core.Register({.password = kPassword, .display_name = "A"}, h.Anonymous())
                     .status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core
                     .Register({.phone = "+8613800138000",
                                .email = "a@example.com",
                                .password = kPassword,
                                .display_name = "A"},
                               h.Anonymous())
                     .status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core
                     .Register({.email = "a@example.com",
                                .password = kPassword,
                                .display_name = std::string(65, 'n')},
                               h.Anonymous())
                     .status()) == "INVALID_FIELD");
  CHECK(
      ReasonOf(h.core
                   .Register({.email = "a@example.com", .password = kPassword, .display_name = ""},
                             h.Anonymous())
                   .status()) == "INVALID_FIELD");
  REQUIRE(h.core
              .Register({.phone = "+86 138 0013 8000", .password = kPassword, .display_name = "A"},
                        h.Anonymous())
              .ok());
  auto again = h.core.Register(
      {.phone = "+8613800138000", .password = kPassword, .display_name = "B"}, h.Anonymous());
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(again.status()) == "CONTACT_ALREADY_REGISTERED");
}

TEST_CASE("codes: five wrong tries kill the code; a new code kills the old one") {
  Harness h;
  h.RegisterVerified("li@example.com");
  REQUIRE(h.core.SendCode("li@example.com", 2, h.Anonymous()).ok());  // RESET_PASSWORD
  const std::string code = h.LastCode("li@example.com", "reset_password");
  for (int left = 4; left >= 0; --left) {
    auto status =
        h.core.ResetPassword("li@example.com", WrongCode(code), "new-password-1", h.Anonymous());
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(ReasonOf(status) == "CODE_INVALID");
    CHECK(std::string(status.message()).find("attempts_left=" + std::to_string(left)) !=
          std::string::npos);
  }
  CHECK(ReasonOf(h.core.ResetPassword("li@example.com", code, "new-password-1", h.Anonymous())) ==
        "CODE_EXPIRED");

  // A new code replaces the old one (after the 1-minute send limit).
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("li@example.com", 2, h.Anonymous()).ok());
  const std::string first = h.LastCode("li@example.com", "reset_password");
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("li@example.com", 2, h.Anonymous()).ok());
  const std::string second = h.LastCode("li@example.com", "reset_password");
  if (first != second) {
    CHECK(ReasonOf(h.core.ResetPassword("li@example.com", first, "new-password-1",
                                        h.Anonymous())) == "CODE_INVALID");
  }
  CHECK(h.core.ResetPassword("li@example.com", second, "new-password-1", h.Anonymous()).ok());
}

TEST_CASE("codes: bound to purpose and destination, and expire after 10 minutes") {
  Harness h;
  h.RegisterVerified("li@example.com");
  h.RegisterVerified("wang@example.com");
  REQUIRE(h.core.SendCode("li@example.com", 2, h.Anonymous()).ok());
  const std::string reset = h.LastCode("li@example.com", "reset_password");
  // Same digits, other destination or other purpose: no code there.
  CHECK(ReasonOf(h.core.ResetPassword("wang@example.com", reset, "new-password-1",
                                      h.Anonymous())) == "CODE_EXPIRED");
  CHECK(ReasonOf(h.core.VerifyContact("li@example.com", reset, h.Anonymous())) == "CODE_EXPIRED");
  // The 10-minute TTL.
  h.clock.Advance(absl::Minutes(10));
  CHECK(ReasonOf(h.core.ResetPassword("li@example.com", reset, "new-password-1", h.Anonymous())) ==
        "CODE_EXPIRED");
  // Malformed codes are refused before any attempt is spent.
  CHECK(ReasonOf(h.core.VerifyContact("li@example.com", "12a456", h.Anonymous())) ==
        "INVALID_FIELD");
  CHECK(ReasonOf(h.core.VerifyContact("li@example.com", "", h.Anonymous())) == "INVALID_FIELD");
}

TEST_CASE("SendCode: 1 a minute and 10 a day per destination, a per-IP budget, same answer") {
  AuthLimits limits;
  limits.code_sends_per_ip_per_hour = 12;
  Harness h(limits);
  h.RegisterVerified("li@example.com");  // sent one verify code at registration
  h.clock.Advance(absl::Minutes(1));
  const size_t before = h.notifier.sent.size();

  auto known = h.core.SendCode("li@example.com", 2, h.Anonymous("203.0.113.1"));
  auto unknown = h.core.SendCode("nobody@example.com", 2, h.Anonymous("203.0.113.1"));
  REQUIRE(known.ok());
  REQUIRE(unknown.ok());
  CHECK(known->retry_after == unknown->retry_after);
  CHECK(known->code_ttl == unknown->code_ttl);
  CHECK(h.notifier.sent.size() == before + 1);  // only the real account got a message

  auto again = h.core.SendCode("li@example.com", 2, h.Anonymous("203.0.113.1"));
  CHECK(again.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(ReasonOf(again.status()) == "RATE_LIMITED");
  // The wait travels as ErrorInfo metadata too (and stays in the message for people).
  REQUIRE(ErrorMetadataOf(again.status()).count("retry_after_s") == 1);
  CHECK(std::stoi(ErrorMetadataOf(again.status()).at("retry_after_s")) >= 1);
  CHECK(std::string(again.status().message()).find("retry_after_s=") != std::string::npos);
  auto again_unknown = h.core.SendCode("nobody@example.com", 2, h.Anonymous("203.0.113.1"));
  CHECK(ReasonOf(again_unknown.status()) == "RATE_LIMITED");

  // 10 a day per destination (registration's code was the first of the day).
  int sent_today = 2;  // registration + the one above
  for (int minute = 0; minute < 20; ++minute) {
    h.clock.Advance(absl::Minutes(1));
    if (h.core.SendCode("li@example.com", 2, h.Anonymous("203.0.113.2")).ok()) ++sent_today;
  }
  CHECK(sent_today == 10);
  h.clock.Advance(absl::Hours(24));
  CHECK(h.core.SendCode("li@example.com", 2, h.Anonymous("203.0.113.2")).ok());

  // Per IP: 12 an hour, whatever the destinations.
  int allowed = 0;
  for (int i = 0; i < 15; ++i) {
    allowed +=
        h.core.SendCode("user" + std::to_string(i) + "@example.com", 1, h.Anonymous("203.0.113.9"))
            .ok();
  }
  CHECK(allowed == 12);
  CHECK(ReasonOf(h.core.SendCode("x@example.com", 7, h.Anonymous()).status()) == "INVALID_FIELD");
}

TEST_CASE("login: 5 wrong passwords lock; the locked answer equals a wrong password") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  const Device device{.device_id = "d1"};
  for (int i = 0; i < 5; ++i) {
    auto wrong = h.core.Login("li@example.com", "not-the-password", device, h.Anonymous());
    CHECK(wrong.status().code() == absl::StatusCode::kUnauthenticated);
    CHECK(ReasonOf(wrong.status()) == "INVALID_CREDENTIALS");
  }
  LockState lock = h.store.Snapshot().lockouts.at(user_id);
  CHECK(lock.IsLocked(h.clock.Now()));
  CHECK(lock.locked_until == h.clock.Now() + absl::Minutes(15));
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kLocked) == 1);
  CHECK(h.CountNotices("li@example.com", "account_locked") == 1);

  // The right password during the lock: the same answer as a wrong one, and nothing new counted.
  auto right = h.core.Login("li@example.com", kPassword, device, h.Anonymous());
  CHECK(right.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(ReasonOf(right.status()) == "INVALID_CREDENTIALS");
  CHECK(
      std::string(right.status().message()) ==
      std::string(
          h.core.Login("nobody@example.com", kPassword, device, h.Anonymous()).status().message()));
  CHECK(h.store.Snapshot().lockouts.at(user_id).lock_count == 1);

  h.clock.Advance(absl::Minutes(15));
  auto after = h.core.Login("li@example.com", kPassword, device, h.Anonymous());
  REQUIRE(after.ok());
  CHECK(after->session.has_value());
  CHECK(h.store.Snapshot().lockouts.at(user_id) == Cleared());
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kLoginFailed) == 6);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kLoginSucceeded) == 1);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kNewDevice) == 1);
}

TEST_CASE("login: bad input and unknown identifiers") {
  Harness h;
  const Device device;
  CHECK(ReasonOf(h.core.Login("", kPassword, device, h.Anonymous()).status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core.Login("li@example.com", "", device, h.Anonymous()).status()) ==
        "INVALID_FIELD");
  CHECK(ReasonOf(h.core.Login(std::string(400, 'a'), kPassword, device, h.Anonymous()).status()) ==
        "INVALID_FIELD");
  CHECK(ReasonOf(h.core.Login("li@example.com", std::string(2000, 'p'), device, h.Anonymous())
                     .status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core.Login("not a contact", kPassword, device, h.Anonymous()).status()) ==
        "INVALID_CREDENTIALS");
  CHECK(ReasonOf(h.core.Login("li@example.com", kPassword, device, h.Anonymous()).status()) ==
        "INVALID_CREDENTIALS");
}

TEST_CASE("sessions: 30-minute idle and 12-hour absolute expiry, logout, fail closed") {
  Harness h;
  h.RegisterVerified("li@example.com");
  IssuedSession issued = h.SignIn("li@example.com");
  CHECK(issued.token.size() == 43);  // 256 bits, base64url
  auto valid = h.core.ValidateSession(issued.token, "198.51.100.7");
  REQUIRE(valid.ok());
  CHECK(valid->session.user_id == issued.session.user_id);
  CHECK(valid->session.contact_verified);

  // Activity keeps it alive past 30 minutes in total...
  for (int i = 0; i < 4; ++i) {
    h.clock.Advance(absl::Minutes(29));
    REQUIRE(h.core.ValidateSession(issued.token, "").ok());
  }
  // ...but 30 idle minutes end it.
  h.clock.Advance(absl::Minutes(30));
  CHECK(ReasonOf(h.core.ValidateSession(issued.token, "").status()) == "SESSION_EXPIRED");

  // The absolute limit ends even an active session after 12 hours.
  IssuedSession busy = h.SignIn("li@example.com");
  for (int i = 0; i < 24; ++i) {
    h.clock.Advance(absl::Minutes(29));
    REQUIRE(h.core.ValidateSession(busy.token, "").ok());
  }
  h.clock.Advance(absl::Minutes(29));  // 12 h 5 min after sign-in
  CHECK(ReasonOf(h.core.ValidateSession(busy.token, "").status()) == "SESSION_EXPIRED");

  // Logout revokes at once.
  IssuedSession other = h.SignIn("li@example.com");
  REQUIRE(h.core.Logout(Harness::Of(other)).ok());
  CHECK(ReasonOf(h.core.ValidateSession(other.token, "").status()) == "SESSION_EXPIRED");
  CHECK(ReasonOf(h.core.ValidateSession("not-a-token", "").status()) == "SESSION_EXPIRED");
  CHECK(ReasonOf(h.core.ValidateSession("", "").status()) == "INVALID_FIELD");

  // The session store down: UNAVAILABLE, never a pass.
  IssuedSession last = h.SignIn("li@example.com");
  h.sessions.unavailable = true;
  CHECK(h.core.ValidateSession(last.token, "").status().code() == absl::StatusCode::kUnavailable);
  CHECK(h.core.GetProfile(Harness::Of(last)).status().code() == absl::StatusCode::kUnavailable);
  h.sessions.unavailable = false;
  CHECK(h.core.ValidateSession(last.token, "").ok());
}

TEST_CASE("sessions: list, revoke one, sign out everywhere") {
  Harness h;
  h.RegisterVerified("li@example.com");
  IssuedSession a = h.SignIn("li@example.com");
  IssuedSession b = h.SignIn("li@example.com");
  auto listed = h.core.ListSessions(Harness::Of(a));
  REQUIRE(listed.ok());
  CHECK(listed->size() == 2);
  CHECK(h.core.RevokeSession(Harness::Of(a), b.session.session_id).ok());
  CHECK(ReasonOf(h.core.ValidateSession(b.token, "").status()) == "SESSION_EXPIRED");
  CHECK(h.core.RevokeSession(Harness::Of(a), "someone-elses").code() ==
        absl::StatusCode::kNotFound);
  IssuedSession c = h.SignIn("li@example.com");
  auto revoked = h.core.LogoutAll(Harness::Of(a), /*keep_current=*/true);
  REQUIRE(revoked.ok());
  CHECK(*revoked == 1);
  CHECK(h.core.ValidateSession(a.token, "").ok());
  CHECK_FALSE(h.core.ValidateSession(c.token, "").ok());
}

TEST_CASE("password reset by code: revokes sessions, clears the lockout, notifies") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  IssuedSession before = h.SignIn("li@example.com");
  for (int i = 0; i < 5; ++i) {
    (void)h.core.Login("li@example.com", "wrong-password!", Device{}, h.Anonymous());
  }
  REQUIRE(h.store.Snapshot().lockouts.at(user_id).IsLocked(h.clock.Now()));

  REQUIRE(h.core.SendCode("li@example.com", 2, h.Anonymous()).ok());
  const std::string code = h.LastCode("li@example.com", "reset_password");
  // A weak new password does not use the code up.
  CHECK(ReasonOf(h.core.ResetPassword("li@example.com", code, "12345678", h.Anonymous())) ==
        "PASSWORD_TOO_WEAK");
  REQUIRE(h.core.ResetPassword("li@example.com", code, "a-brand-new-secret", h.Anonymous()).ok());
  CHECK(h.store.Snapshot().lockouts.at(user_id) == Cleared());
  CHECK(ReasonOf(h.core.ValidateSession(before.token, "").status()) == "SESSION_EXPIRED");
  CHECK(h.CountNotices("li@example.com", "password_changed") == 1);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kPasswordReset) == 1);
  CHECK(ReasonOf(h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous()).status()) ==
        "INVALID_CREDENTIALS");
  CHECK(h.core.Login("li@example.com", "a-brand-new-secret", Device{}, h.Anonymous()).ok());
}

TEST_CASE("change password: needs the old one, counts wrong ones, keeps only this session") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  IssuedSession current = h.SignIn("li@example.com");
  IssuedSession other = h.SignIn("li@example.com");
  auto wrong = h.core.ChangePassword(Harness::Of(current), "guess-guess", "another-secret-1");
  CHECK(ReasonOf(wrong) == "INVALID_CREDENTIALS");
  CHECK(h.store.Snapshot().lockouts.at(user_id).failed_attempts == 1);
  REQUIRE(h.core.ChangePassword(Harness::Of(current), kPassword, "another-secret-1").ok());
  CHECK(h.core.ValidateSession(current.token, "").ok());
  CHECK_FALSE(h.core.ValidateSession(other.token, "").ok());
}

std::string TotpNow(Harness& h, const std::string& user_id) {
  const TotpRecord record = h.store.Snapshot().totp.at(user_id);
  auto keys = AuthKeys::Derive(std::string(32, 'k'));
  auto secret = crypto::Open(keys->totp_key, record.sealed_secret, "totp-secret:" + user_id);
  UW_CHECK_OK(secret.status());
  auto code = crypto::TotpCode(*secret, h.clock.Now());
  UW_CHECK_OK(code.status());
  return *code;
}

TEST_CASE("TOTP: enrol, challenge at sign-in, each code accepted once, recovery codes") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  IssuedSession session = h.SignIn("li@example.com");
  auto enrollment = h.core.BeginTotpEnrollment(Harness::Of(session));
  REQUIRE(enrollment.ok());
  CHECK(enrollment->otpauth_uri.rfind("otpauth://totp/uwallet:", 0) == 0);
  // The secret is stored sealed, never in clear.
  CHECK(h.store.Snapshot().totp.at(user_id).sealed_secret.find(
            *crypto::Base32Decode(enrollment->secret_base32)) == std::string::npos);
  CHECK(ReasonOf(h.core.ConfirmTotpEnrollment(Harness::Of(session), "000000").status()) ==
        "CODE_INVALID");
  auto recovery = h.core.ConfirmTotpEnrollment(Harness::Of(session), TotpNow(h, user_id));
  REQUIRE(recovery.ok());
  CHECK(recovery->size() == 10);
  CHECK(ReasonOf(h.core.BeginTotpEnrollment(Harness::Of(session)).status()) ==
        "TOTP_ALREADY_ENABLED");

  // Sign-in now asks for the second factor.
  auto login = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
  REQUIRE(login.ok());
  REQUIRE(login->challenge.has_value());
  const std::string challenge = login->challenge->challenge_id;
  // The code used to confirm the enrolment is spent: the same time step is refused.
  auto replay = h.core.CompleteSecondFactor(challenge, SecondFactorKind::kTotp, TotpNow(h, user_id),
                                            h.Anonymous());
  CHECK(ReasonOf(replay.status()) == "CODE_INVALID");
  h.clock.Advance(absl::Seconds(30));
  const std::string fresh = TotpNow(h, user_id);
  auto completed =
      h.core.CompleteSecondFactor(challenge, SecondFactorKind::kTotp, fresh, h.Anonymous());
  REQUIRE(completed.ok());
  CHECK(h.core.ValidateSession(completed->token, "").ok());
  // A completed challenge cannot be completed again.
  CHECK(
      ReasonOf(h.core.CompleteSecondFactor(challenge, SecondFactorKind::kTotp, fresh, h.Anonymous())
                   .status()) == "CHALLENGE_EXPIRED");

  // A recovery code works once.
  auto second = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
  REQUIRE(second.ok());
  REQUIRE(h.core
              .CompleteSecondFactor(second->challenge->challenge_id,
                                    SecondFactorKind::kRecoveryCode, (*recovery)[0], h.Anonymous())
              .ok());
  auto third = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
  REQUIRE(third.ok());
  CHECK(ReasonOf(h.core
                     .CompleteSecondFactor(third->challenge->challenge_id,
                                           SecondFactorKind::kRecoveryCode, (*recovery)[0],
                                           h.Anonymous())
                     .status()) == "CODE_INVALID");
  // Five wrong answers end the challenge.
  for (int i = 0; i < 4; ++i) {
    (void)h.core.CompleteSecondFactor(third->challenge->challenge_id, SecondFactorKind::kTotp,
                                      "000000", h.Anonymous());
  }
  CHECK(ReasonOf(h.core
                     .CompleteSecondFactor(third->challenge->challenge_id,
                                           SecondFactorKind::kRecoveryCode, (*recovery)[1],
                                           h.Anonymous())
                     .status()) == "CHALLENGE_EXPIRED");
  // Challenges expire.
  auto fourth = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
  REQUIRE(fourth.ok());
  h.clock.Advance(absl::Minutes(6));
  CHECK(ReasonOf(h.core
                     .CompleteSecondFactor(fourth->challenge->challenge_id,
                                           SecondFactorKind::kRecoveryCode, (*recovery)[1],
                                           h.Anonymous())
                     .status()) == "CHALLENGE_EXPIRED");

  // Disabling needs a valid code (here an unused recovery code); then sign-in is one step again.
  CHECK(ReasonOf(h.core.DisableTotp(Harness::Of(*completed), "000000")) == "CODE_INVALID");
  REQUIRE(h.core.DisableTotp(Harness::Of(*completed), (*recovery)[2]).ok());
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kTotpDisabled) == 1);
  auto plain = h.core.Login("li@example.com", kPassword, Device{.device_id = "phone-1"},
                            h.Anonymous(), h.device_tokens["li@example.com"]);
  REQUIRE(plain.ok());
  CHECK(plain->session.has_value());
}

TEST_CASE("TOTP: a known device passing its second factor stays known, with the same secret") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  IssuedSession session = h.SignIn("li@example.com");
  const std::string phone_token = h.device_tokens["li@example.com"];
  REQUIRE_FALSE(phone_token.empty());
  REQUIRE(h.core.BeginTotpEnrollment(Harness::Of(session)).ok());
  REQUIRE(h.core.ConfirmTotpEnrollment(Harness::Of(session), TotpNow(h, user_id)).ok());
  h.clock.Advance(absl::Seconds(30));
  auto login = h.core.Login("li@example.com", kPassword, Device{.device_id = "phone-1"},
                            h.Anonymous(), phone_token);
  REQUIRE(login.ok());
  REQUIRE(login->challenge.has_value());
  auto completed = h.core.CompleteSecondFactor(
      login->challenge->challenge_id, SecondFactorKind::kTotp, TotpNow(h, user_id), h.Anonymous());
  REQUIRE(completed.ok());
  CHECK(completed->device_token.empty());  // it proved itself: no new secret
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kNewDevice) == 1);
  CHECK(h.CountNotices("li@example.com", "new_device") == 0);
  // The id alone is another device: after its TOTP code it is told about, and given a secret.
  h.clock.Advance(absl::Seconds(30));
  auto id_alone =
      h.core.Login("li@example.com", kPassword, Device{.device_id = "phone-1"}, h.Anonymous());
  REQUIRE(id_alone.ok());
  REQUIRE(id_alone->challenge.has_value());
  auto claimed =
      h.core.CompleteSecondFactor(id_alone->challenge->challenge_id, SecondFactorKind::kTotp,
                                  TotpNow(h, user_id), h.Anonymous());
  REQUIRE(claimed.ok());
  CHECK(claimed->device_token.size() == 43);
  CHECK(claimed->device_token != phone_token);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kNewDevice) == 2);
  CHECK(h.CountNotices("li@example.com", "new_device") == 1);
}

TEST_CASE("step-up: a code gives a short-lived token for one action and rotates the session") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  IssuedSession session = h.SignIn("li@example.com");
  const Caller caller = Harness::Of(session);
  const int change_contact = static_cast<int>(StepUpAction::kChangeContact);
  const int large_payment = static_cast<int>(StepUpAction::kLargePayment);
  // No code was sent yet.
  CHECK(ReasonOf(h.core.StepUp(caller, "123456", "", change_contact).status()) == "CODE_EXPIRED");
  CHECK(ReasonOf(h.core.StepUp(caller, "123456", "654321", change_contact).status()) ==
        "INVALID_FIELD");
  // A step-up code goes only to the account's own verified contact.
  CHECK(ReasonOf(h.core.SendCode("other@example.com", 3, caller).status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core.SendCode("li@example.com", 3, h.Anonymous()).status()) ==
        "SESSION_EXPIRED");
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("li@example.com", 3, caller).ok());
  auto stepped = h.core.StepUp(caller, h.LastCode("li@example.com", "step_up"), "", change_contact);
  REQUIRE(stepped.ok());
  // The old session token stopped working; the new one works and carries the step-up time.
  CHECK_FALSE(h.core.ValidateSession(session.token, "").ok());
  auto rotated = h.core.ValidateSession(stepped->session.token, "");
  REQUIRE(rotated.ok());
  CHECK(rotated->session.step_up_at == h.clock.Now());

  const std::string& token = stepped->step_up_token;
  CHECK(ReasonOf(h.core.ValidateStepUpToken(token, user_id, large_payment, false).status()) ==
        "STEP_UP_REQUIRED");
  CHECK(
      ReasonOf(h.core.ValidateStepUpToken(token, "another-user", change_contact, false).status()) ==
      "STEP_UP_REQUIRED");
  CHECK(h.core.ValidateStepUpToken(token, user_id, change_contact, false).ok());
  CHECK(h.core.ValidateStepUpToken(token, user_id, change_contact, true).ok());
  CHECK(ReasonOf(h.core.ValidateStepUpToken(token, user_id, change_contact, true).status()) ==
        "STEP_UP_REQUIRED");

  // Tokens expire after 5 minutes.
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("li@example.com", 3, Harness::Of(stepped->session)).ok());
  auto second = h.core.StepUp(Harness::Of(stepped->session),
                              h.LastCode("li@example.com", "step_up"), "", change_contact);
  REQUIRE(second.ok());
  h.clock.Advance(absl::Minutes(5));
  CHECK(ReasonOf(h.core.ValidateStepUpToken(second->step_up_token, user_id, change_contact, false)
                     .status()) == "STEP_UP_REQUIRED");
}

TEST_CASE("change contact needs a step-up token and a code sent to the new contact") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  h.RegisterVerified("taken@example.com");
  IssuedSession session = h.SignIn("li@example.com");
  h.clock.Advance(absl::Minutes(1));
  REQUIRE(h.core.SendCode("li@example.com", 3, Harness::Of(session)).ok());
  auto stepped = h.core.StepUp(Harness::Of(session), h.LastCode("li@example.com", "step_up"), "",
                               static_cast<int>(StepUpAction::kChangeContact));
  REQUIRE(stepped.ok());
  const Caller caller = Harness::Of(stepped->session);
  REQUIRE(h.core.SendCode("new@example.com", 4, caller).ok());
  const std::string code = h.LastCode("new@example.com", "change_contact");
  CHECK(ReasonOf(h.core.ChangeContact(caller, "new@example.com", code, "").status()) ==
        "STEP_UP_REQUIRED");
  CHECK(ReasonOf(h.core.ChangeContact(caller, "taken@example.com", code, stepped->step_up_token)
                     .status()) == "CONTACT_ALREADY_REGISTERED");
  auto changed = h.core.ChangeContact(caller, "new@example.com", code, stepped->step_up_token);
  REQUIRE(changed.ok());
  CHECK(changed->user.email == "new@example.com");
  CHECK(changed->user.email_verified);
  CHECK(h.CountNotices("li@example.com", "contact_changed") == 1);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kContactChanged) == 1);
}

TEST_CASE("staff: unlock and freeze are audited; freezing revokes sessions and blocks sign-in") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  IssuedSession session = h.SignIn("li@example.com");
  for (int i = 0; i < 5; ++i) {
    (void)h.core.Login("li@example.com", "wrong-password!", Device{}, h.Anonymous());
  }
  Caller agent;
  agent.user_id = "0190a000-0000-7000-8000-000000000001";
  agent.session_id = "staff-session";
  agent.roles = {"agent"};
  agent.request_id = "req-1";
  const IdentityCheck check{.method = 2, .note = "ID card ending 1234, photo matches"};
  CHECK(ReasonOf(h.core.UnlockUser(agent, user_id, "", check).status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core.UnlockUser(agent, user_id, "caller verified", IdentityCheck{}).status()) ==
        "INVALID_FIELD");
  CHECK(ReasonOf(h.core.UnlockUser(agent, "0190a000-0000-7000-8000-00000000ffff", "why", check)
                     .status()) == "USER_NOT_FOUND");
  auto unlocked = h.core.UnlockUser(agent, user_id, "customer called, identity verified", check);
  REQUIRE(unlocked.ok());
  CHECK_FALSE(unlocked->detail.lock.IsLocked(h.clock.Now()));
  auto audit = h.core.ListAuditLog(AuditFilter{.target_user_id = user_id}, 0, "");
  REQUIRE(audit.ok());
  REQUIRE(audit->entries.size() == 1);
  CHECK(audit->entries[0].action == "auth.unlock_user");
  CHECK(audit->entries[0].actor_id == agent.user_id);
  CHECK(audit->entries[0].identity_check.method == 2);
  CHECK(audit->entries[0].request_id == "req-1");
  CHECK(audit->entries[0].metadata.at("was_locked") == "true");

  auto frozen = h.core.FreezeUser(agent, user_id, "suspected account takeover", "case-7");
  REQUIRE(frozen.ok());
  CHECK(frozen->changed);
  CHECK(ReasonOf(h.core.ValidateSession(session.token, "").status()) == "SESSION_EXPIRED");
  auto refused = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
  CHECK(ReasonOf(refused.status()) == "ACCOUNT_FROZEN");
  // A wrong password on a frozen account says nothing more than a wrong password.
  CHECK(ReasonOf(
            h.core.Login("li@example.com", "wrong-password!", Device{}, h.Anonymous()).status()) ==
        "INVALID_CREDENTIALS");
  auto twice = h.core.FreezeUser(agent, user_id, "again", "");
  REQUIRE(twice.ok());
  CHECK_FALSE(twice->changed);
  CHECK(ReasonOf(h.core.UnfreezeUser(agent, user_id, "resolved", IdentityCheck{}).status()) ==
        "INVALID_FIELD");
  REQUIRE(h.core.UnfreezeUser(agent, user_id, "resolved with the customer", check).ok());
  CHECK(h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous()).ok());
  // The freeze forgot every device: the phone, with the secret it kept, is checked again.
  auto phone = h.core.Login("li@example.com", kPassword, Device{.device_id = "phone-1"},
                            h.Anonymous(), h.device_tokens["li@example.com"]);
  REQUIRE(phone.ok());
  CHECK(phone->challenge.has_value());
  auto all = h.core.ListAuditLog(AuditFilter{.target_user_id = user_id}, 0, "");
  REQUIRE(all.ok());
  CHECK(all->entries.size() == 3);  // unlock, freeze, unfreeze (the no-op freeze is not a change)
  const auto freeze_entry =
      std::find_if(all->entries.begin(), all->entries.end(),
                   [](const AuditEntry& e) { return e.action == "auth.freeze_user"; });
  REQUIRE(freeze_entry != all->entries.end());
  CHECK(freeze_entry->metadata.at("devices_forgotten") == "1");
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kFrozen) == 1);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kUnfrozen) == 1);
}

TEST_CASE("staff accounts: created by an admin or the bootstrap, never with customer roles") {
  Harness h;
  auto first = h.core.BootstrapAdmin("root@example.com", "bootstrap-secret-1");
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  auto second = h.core.BootstrapAdmin("other@example.com", "bootstrap-secret-2");
  REQUIRE(second.ok());
  CHECK_FALSE(second->has_value());
  Caller admin;
  admin.user_id = **first;
  admin.session_id = "s";
  admin.roles = {"admin"};
  CHECK(ReasonOf(h.core
                     .CreateStaffAccount(admin, "agent@example.com", "Agent", {"customer"},
                                         "agent-secret-1")
                     .status()) == "INVALID_FIELD");
  auto agent =
      h.core.CreateStaffAccount(admin, "agent@example.com", "Agent", {"agent"}, "agent-secret-1");
  REQUIRE(agent.ok());
  auto login = h.core.Login("agent@example.com", "agent-secret-1", Device{}, h.Anonymous());
  REQUIRE(login.ok());
  REQUIRE(login->session.has_value());
  CHECK(login->session->session.roles == std::vector<std::string>{"agent"});
  auto found = h.core.FindUsers("agent@example.com", 0, "");
  REQUIRE(found.ok());
  CHECK(found->users.size() == 1);
}

TEST_CASE("new device: a contact-code challenge; the right code signs in and the device is known") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  // The first device (right after registration) is trusted: nothing to compare with.
  h.SignIn("li@example.com");
  const size_t sessions_before = h.sessions.ListForUser(user_id)->size();

  const Device tablet{.device_id = "tablet-9", .name = "Li's tablet"};
  auto login = h.core.Login("li@example.com", kPassword, tablet, h.Anonymous());
  REQUIRE(login.ok());
  REQUIRE_FALSE(login->session.has_value());
  REQUIRE(login->challenge.has_value());
  CHECK(login->challenge->methods == std::vector<SecondFactorKind>{SecondFactorKind::kContactCode});
  CHECK(login->challenge->masked_destination == "l***@example.com");
  CHECK(login->challenge->expires_at == h.clock.Now() + absl::Minutes(5));
  const std::string challenge = login->challenge->challenge_id;
  const std::string code = h.LastCode("li@example.com", "login_challenge");
  REQUIRE(code.size() == 6);
  CHECK(h.sessions.ListForUser(user_id)->size() == sessions_before);  // no session yet

  // Only the contact code is accepted for this challenge.
  CHECK(
      ReasonOf(h.core.CompleteSecondFactor(challenge, SecondFactorKind::kTotp, code, h.Anonymous())
                   .status()) == "INVALID_FIELD");
  // Wrong codes use tries; the number left travels in the message and as metadata.
  auto wrong = h.core.CompleteSecondFactor(challenge, SecondFactorKind::kContactCode,
                                           WrongCode(code), h.Anonymous());
  CHECK(ReasonOf(wrong.status()) == "CODE_INVALID");
  CHECK(ErrorMetadataOf(wrong.status()) ==
        std::map<std::string, std::string>{{"attempts_left", "4"}});
  CHECK(std::string(wrong.status().message()).find("attempts_left=4") != std::string::npos);

  auto done =
      h.core.CompleteSecondFactor(challenge, SecondFactorKind::kContactCode, code, h.Anonymous());
  REQUIRE(done.ok());
  CHECK(done->session.user_id == user_id);
  CHECK(done->session.device.device_id == "tablet-9");
  const std::string tablet_token = done->device_token;
  CHECK(tablet_token.size() == 43);  // the tablet keeps this and presents it from now on
  // Used once.
  CHECK(ReasonOf(h.core
                     .CompleteSecondFactor(challenge, SecondFactorKind::kContactCode, code,
                                           h.Anonymous())
                     .status()) == "CHALLENGE_EXPIRED");
  // The tablet is now a known device, and the first phone still is: no challenge for either, and
  // no new secret.
  for (const auto& [id, token] : std::vector<std::pair<std::string, std::string>>{
           {"tablet-9", tablet_token}, {"phone-1", h.device_tokens["li@example.com"]}}) {
    auto again =
        h.core.Login("li@example.com", kPassword, Device{.device_id = id}, h.Anonymous(), token);
    REQUIRE(again.ok());
    REQUIRE(again->session.has_value());
    CHECK(again->session->device_token.empty());
  }
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kNewDevice) == 2);
  CHECK(h.CountNotices("li@example.com", "login_challenge") == 1);

  // Whoever learns a known device's id but not its secret is a new device: challenged.
  for (const std::string& token : {std::string(), std::string("guessed-secret"), WrongCode(code)}) {
    auto claimed = h.core.Login("li@example.com", kPassword, Device{.device_id = "tablet-9"},
                                h.Anonymous(), token);
    REQUIRE(claimed.ok());
    CHECK(claimed->challenge.has_value());
    CHECK_FALSE(claimed->session.has_value());
  }
  // Another device's secret does not make it this one.
  auto swapped = h.core.Login("li@example.com", kPassword, Device{.device_id = "phone-1"},
                              h.Anonymous(), tablet_token);
  REQUIRE(swapped.ok());
  CHECK(swapped->challenge.has_value());
  // A secret longer than any issued one is refused before anything else.
  CHECK(ReasonOf(h.core
                     .Login("li@example.com", kPassword, Device{.device_id = "tablet-9"},
                            h.Anonymous(), std::string(129, 'x'))
                     .status()) == "INVALID_FIELD");
}

TEST_CASE("devices: the owner lists them and forgets one; it is signed out and checked again") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  const IssuedSession phone = h.SignIn("li@example.com");
  // The tablet passes the new-device check and gets its secret.
  auto login = h.core.Login("li@example.com", kPassword,
                            Device{.device_id = "tablet-9", .name = "Li's tablet"}, h.Anonymous());
  REQUIRE(login.ok());
  REQUIRE(login->challenge.has_value());
  auto tablet =
      h.core.CompleteSecondFactor(login->challenge->challenge_id, SecondFactorKind::kContactCode,
                                  h.LastCode("li@example.com", "login_challenge"), h.Anonymous());
  REQUIRE(tablet.ok());
  const std::string tablet_token = tablet->device_token;

  auto listed = h.core.ListDevices(Harness::Of(phone));
  REQUIRE(listed.ok());
  CHECK(listed->current_device_id == "phone-1");
  REQUIRE(listed->devices.size() == 2);
  for (const KnownDevice& known : listed->devices) {
    CHECK(known.trusted);
    CHECK(known.device.secret_hash.empty());  // never handed out
  }

  // Bad input, and a device this account never saw.
  CHECK(ReasonOf(h.core.ForgetDevice(Harness::Of(phone), "").status()) == "INVALID_FIELD");
  CHECK(ReasonOf(h.core.ForgetDevice(Harness::Of(phone), std::string(300, 'd')).status()) ==
        "INVALID_FIELD");
  CHECK(ReasonOf(h.core.ForgetDevice(Harness::Of(phone), "never-seen").status()) == "NOT_FOUND");
  CHECK(ReasonOf(h.core.ForgetDevice(Caller{}, "tablet-9").status()) == "SESSION_EXPIRED");

  // The phone forgets the tablet: the tablet's session ends, the phone's does not.
  auto forgotten = h.core.ForgetDevice(Harness::Of(phone), "tablet-9");
  REQUIRE(forgotten.ok());
  CHECK(*forgotten == 1);
  CHECK(ReasonOf(h.core.ValidateSession(tablet->token, "").status()) == "SESSION_EXPIRED");
  CHECK(h.core.ValidateSession(phone.token, "").ok());
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kDeviceForgotten) == 1);
  const auto events = h.store.Snapshot().events;
  const auto named = std::find_if(events.begin(), events.end(), [](const SecurityEvent& e) {
    return e.kind == SecurityEventKind::kDeviceForgotten;
  });
  REQUIRE(named != events.end());
  CHECK(named->device.device_id == "tablet-9");
  CHECK(named->device.name == "Li's tablet");  // as the owner knows it (the alert says so)
  listed = h.core.ListDevices(Harness::Of(phone));
  REQUIRE(listed.ok());
  REQUIRE(listed->devices.size() == 2);
  for (const KnownDevice& known : listed->devices) {
    CHECK(known.trusted == (known.device.device_id == "phone-1"));
  }
  // Its old secret no longer makes it known: it is checked again.
  auto again = h.core.Login("li@example.com", kPassword, Device{.device_id = "tablet-9"},
                            h.Anonymous(), tablet_token);
  REQUIRE(again.ok());
  CHECK(again->challenge.has_value());

  // Forgetting the calling device signs the caller out; with no trusted device left, the next
  // sign-in is still checked (not the first device's free pass).
  auto self = h.core.ForgetDevice(Harness::Of(phone), "phone-1");
  REQUIRE(self.ok());
  CHECK(*self == 1);
  CHECK(ReasonOf(h.core.ValidateSession(phone.token, "").status()) == "SESSION_EXPIRED");
  auto phone_again = h.core.Login("li@example.com", kPassword, Device{.device_id = "phone-1"},
                                  h.Anonymous(), h.device_tokens["li@example.com"]);
  REQUIRE(phone_again.ok());
  CHECK(phone_again->challenge.has_value());
}

TEST_CASE("new device challenge: tries run out, it expires, and who is not challenged") {
  AuthLimits limits;
  Harness h(limits);
  h.RegisterVerified("li@example.com");
  h.SignIn("li@example.com");

  // Five wrong codes end the challenge: even the right code is then refused.
  auto login = h.core.Login("li@example.com", kPassword, Device{.device_id = "x1"}, h.Anonymous());
  REQUIRE(login.ok());
  REQUIRE(login->challenge.has_value());
  const std::string code = h.LastCode("li@example.com", "login_challenge");
  for (int i = 1; i <= 5; ++i) {
    auto wrong =
        h.core.CompleteSecondFactor(login->challenge->challenge_id, SecondFactorKind::kContactCode,
                                    WrongCode(code), h.Anonymous());
    CHECK(ReasonOf(wrong.status()) == "CODE_INVALID");
    CHECK(ErrorMetadataOf(wrong.status()).at("attempts_left") == std::to_string(5 - i));
  }
  CHECK(ReasonOf(h.core
                     .CompleteSecondFactor(login->challenge->challenge_id,
                                           SecondFactorKind::kContactCode, code, h.Anonymous())
                     .status()) == "CHALLENGE_EXPIRED");

  // A challenge lives 5 minutes.
  auto later = h.core.Login("li@example.com", kPassword, Device{.device_id = "x2"}, h.Anonymous());
  REQUIRE(later.ok());
  REQUIRE(later->challenge.has_value());
  const std::string later_code = h.LastCode("li@example.com", "login_challenge");
  h.clock.Advance(absl::Minutes(5) + absl::Seconds(1));
  CHECK(
      ReasonOf(h.core
                   .CompleteSecondFactor(later->challenge->challenge_id,
                                         SecondFactorKind::kContactCode, later_code, h.Anonymous())
                   .status()) == "CHALLENGE_EXPIRED");

  // A device without an id is not a known device.
  auto anonymous_device = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
  REQUIRE(anonymous_device.ok());
  CHECK(anonymous_device->challenge.has_value());
  // A wrong password never sends a code.
  const int codes_before = h.CountNotices("li@example.com", "login_challenge");
  CHECK(ReasonOf(h.core
                     .Login("li@example.com", "wrong-password!", Device{.device_id = "x3"},
                            h.Anonymous())
                     .status()) == "INVALID_CREDENTIALS");
  CHECK(h.CountNotices("li@example.com", "login_challenge") == codes_before);

  // No verified contact: nowhere to send a code, so no challenge.
  auto unverified = h.core.Register(
      {.email = "wu@example.com", .password = kPassword, .display_name = "Wu"}, h.Anonymous());
  REQUIRE(unverified.ok());
  REQUIRE(h.core.Login("wu@example.com", kPassword, Device{.device_id = "a"}, h.Anonymous())
              ->session.has_value());
  CHECK(h.core.Login("wu@example.com", kPassword, Device{.device_id = "b"}, h.Anonymous())
            ->session.has_value());
}

TEST_CASE("new device challenge: the flag turns it off; codes per user are limited") {
  AuthLimits off;
  off.new_device_challenge = false;
  Harness h(off);
  h.RegisterVerified("li@example.com");
  h.SignIn("li@example.com");
  auto login = h.core.Login("li@example.com", kPassword, Device{.device_id = "new"}, h.Anonymous());
  REQUIRE(login.ok());
  CHECK(login->session.has_value());

  AuthLimits few;
  few.new_device_codes_per_user_per_hour = 2;
  Harness g(few);
  g.RegisterVerified("li@example.com");
  g.SignIn("li@example.com");
  for (int i = 0; i < 2; ++i) {
    auto challenged =
        g.core.Login("li@example.com", kPassword, Device{.device_id = "new"}, g.Anonymous());
    REQUIRE(challenged.ok());
    CHECK(challenged->challenge.has_value());
  }
  auto limited =
      g.core.Login("li@example.com", kPassword, Device{.device_id = "new"}, g.Anonymous());
  CHECK(ReasonOf(limited.status()) == "RATE_LIMITED");
  CHECK(ErrorMetadataOf(limited.status()).count("retry_after_s") == 1);
  CHECK(g.CountNotices("li@example.com", "login_challenge") == 2);
}

TEST_CASE("sessions per user are bounded: the least recently used make room") {
  AuthLimits two;
  two.sessions_per_user_max = 2;
  Harness h(two);
  h.RegisterVerified("li@example.com");
  std::vector<IssuedSession> issued;
  for (int i = 0; i < 3; ++i) {
    auto login = h.core.Login("li@example.com", kPassword, Device{}, h.Anonymous());
    REQUIRE(login.ok());
    REQUIRE(login->session.has_value());
    issued.push_back(*login->session);
    h.clock.Advance(absl::Minutes(2));
    if (i == 1) REQUIRE(h.core.ValidateSession(issued[0].token, "").ok());  // the first is used
  }
  CHECK(h.sessions.ListForUser(issued[0].session.user_id)->size() == 2);
  CHECK(h.core.ValidateSession(issued[0].token, "").ok());
  CHECK(ReasonOf(h.core.ValidateSession(issued[1].token, "").status()) == "SESSION_EXPIRED");
  CHECK(h.core.ValidateSession(issued[2].token, "").ok());
}

TEST_CASE("sign-in: a new device is recorded once, with its event; a known one is not") {
  Harness h;
  const std::string user_id = h.RegisterVerified("li@example.com");
  REQUIRE(
      h.core.Login("li@example.com", "wrong password 1", Device{}, h.Anonymous()).status().code() ==
      absl::StatusCode::kUnauthenticated);
  REQUIRE(h.store.Snapshot().lockouts[user_id].failed_attempts == 1);
  std::string device_token;
  for (int i = 0; i < 2; ++i) {
    auto login = h.core.Login("li@example.com", kPassword, Device{.device_id = "phone"},
                              h.Anonymous(), device_token);
    REQUIRE(login.ok());
    REQUIRE(login->session.has_value());
    // A secret the first time (the device became known), none the second (it proved itself).
    CHECK(login->session->device_token.empty() == (i == 1));
    if (i == 0) device_token = login->session->device_token;
  }
  const FakeAuthStore::State state = h.store.Snapshot();
  CHECK(state.lockouts.at(user_id) == LockState{});
  CHECK(state.users.at(user_id).last_login_at == h.clock.Now());
  CHECK(state.devices.size() == 1);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kNewDevice) == 1);
  CHECK(h.store.CountEvents(user_id, SecurityEventKind::kLoginSucceeded) == 2);
}

}  // namespace
}  // namespace uwallet::auth
