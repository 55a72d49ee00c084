// Pure rules: lockout arithmetic, password policy, contact normalisation, the authorisation
// table.
#include <catch2/catch.hpp>

#include "services/auth/core/contacts.h"
#include "services/auth/core/lockout.h"
#include "services/auth/core/password_policy.h"
#include "services/auth/grpc/authz.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/status.h"

namespace uwallet::auth {
namespace {

TEST_CASE("lock periods double from 15 minutes, are capped, then become indefinite") {
  const LockoutPolicy policy;  // defaults: 5 failures, 15 min, cap 1 h, 5th lock indefinite
  CHECK(LockDuration(policy, 1) == absl::Minutes(15));
  CHECK(LockDuration(policy, 2) == absl::Minutes(30));
  CHECK(LockDuration(policy, 3) == absl::Hours(1));
  CHECK(LockDuration(policy, 4) == absl::Hours(1));  // capped
  CHECK(LockDuration(policy, 5) == absl::InfiniteDuration());
  CHECK(LockDuration(policy, 50) == absl::InfiniteDuration());

  LockoutPolicy long_cap;
  long_cap.longest_lock = absl::Hours(4);
  long_cap.indefinite_after = 100;
  CHECK(LockDuration(long_cap, 4) == absl::Hours(2));
  CHECK(LockDuration(long_cap, 5) == absl::Hours(4));
  CHECK(LockDuration(long_cap, 9) == absl::Hours(4));
}

TEST_CASE("five consecutive failures lock; failures while locked change nothing") {
  const LockoutPolicy policy;
  FakeClock clock;
  LockState state;
  for (int i = 1; i <= 4; ++i) {
    FailureOutcome outcome = ApplyFailure(policy, state, clock.Now());
    CHECK(outcome.counted);
    CHECK_FALSE(outcome.locked_now);
    CHECK(outcome.state.failed_attempts == i);
    state = outcome.state;
  }
  FailureOutcome fifth = ApplyFailure(policy, state, clock.Now());
  REQUIRE(fifth.locked_now);
  CHECK(fifth.state.lock_count == 1);
  CHECK(fifth.state.locked_until == clock.Now() + absl::Minutes(15));
  state = fifth.state;

  clock.Advance(absl::Minutes(14));
  CHECK(state.IsLocked(clock.Now()));
  FailureOutcome during = ApplyFailure(policy, state, clock.Now());
  CHECK_FALSE(during.counted);
  CHECK(during.state == state);

  clock.Advance(absl::Minutes(1));
  CHECK_FALSE(state.IsLocked(clock.Now()));
}

TEST_CASE("repeated lock periods: 15 min, 30 min, 1 h, 1 h, then until support or reset") {
  const LockoutPolicy policy;
  FakeClock clock;
  LockState state;
  const absl::Duration expected[] = {absl::Minutes(15), absl::Minutes(30), absl::Hours(1),
                                     absl::Hours(1)};
  for (absl::Duration wait : expected) {
    for (int i = 0; i < policy.failures_to_lock; ++i) {
      state = ApplyFailure(policy, state, clock.Now()).state;
    }
    REQUIRE(state.IsLocked(clock.Now()));
    CHECK(state.locked_until - clock.Now() == wait);
    clock.Advance(wait);
    REQUIRE_FALSE(state.IsLocked(clock.Now()));
  }
  for (int i = 0; i < policy.failures_to_lock; ++i) {
    state = ApplyFailure(policy, state, clock.Now()).state;
  }
  CHECK(state.locked_indefinitely);
  CHECK(state.lock_count == 5);
  clock.Advance(absl::Hours(24 * 365));
  CHECK(state.IsLocked(clock.Now()));
  CHECK(Cleared().IsLocked(clock.Now()) == false);
}

TEST_CASE("password policy: 8..128 Unicode characters, UTF-8, not common") {
  CHECK(ReasonOf(CheckPasswordPolicy("short12")) == "PASSWORD_TOO_WEAK");
  CHECK(CheckPasswordPolicy("correct horse").ok());
  CHECK(CheckPasswordPolicy(std::string(128, 'x')).ok());
  CHECK(ReasonOf(CheckPasswordPolicy(std::string(129, 'z'))) == "PASSWORD_TOO_WEAK");
  // Characters, not bytes: 8 CJK characters are 24 bytes and allowed; 7 are not.
  CHECK(CheckPasswordPolicy("我的钱包密码安全").ok());
  CHECK(ReasonOf(CheckPasswordPolicy("我的钱包密码安")) == "PASSWORD_TOO_WEAK");
  // 128 four-byte characters (512 bytes) are allowed.
  std::string emoji;
  for (int i = 0; i < 128; ++i) emoji += "\xF0\x9F\x94\x91";
  CHECK(CheckPasswordPolicy(emoji).ok());
  CHECK(ReasonOf(CheckPasswordPolicy(emoji + "\xF0\x9F\x94\x91")) == "PASSWORD_TOO_WEAK");
  CHECK(ReasonOf(CheckPasswordPolicy("abc\xC0\xAFxyzzy")) == "INVALID_FIELD");  // overlong
  // Common passwords, case-insensitively.
  CHECK(IsCommonPassword("password1"));
  CHECK(IsCommonPassword("PassWord1"));
  CHECK(IsCommonPassword("iloveyou"));
  CHECK(IsCommonPassword("woaini1314"));
  CHECK_FALSE(IsCommonPassword("tangerine-otter-42"));
  CHECK(ReasonOf(CheckPasswordPolicy("Qwerty123!")) == "PASSWORD_TOO_WEAK");
  CHECK(CommonPasswordCount() >= 300);
}

TEST_CASE("contacts are normalised to one spelling") {
  auto phone = NormalizeContact("+86 138-0013-8000");
  REQUIRE(phone.ok());
  CHECK(phone->kind == ContactKind::kPhone);
  CHECK(phone->value == "+8613800138000");
  CHECK(NormalizeContact("0086 (138) 0013 8000")->value == "+8613800138000");
  CHECK_FALSE(NormalizeContact("138 0013 8000").ok());  // no country code
  CHECK_FALSE(NormalizeContact("+0 123456789").ok());
  CHECK_FALSE(NormalizeContact("+86 1380013800012345").ok());  // > 15 digits
  CHECK_FALSE(NormalizeContact("+86abc").ok());

  auto email = NormalizeContact("  Li.Wei@Example.COM ");
  REQUIRE(email.ok());
  CHECK(email->kind == ContactKind::kEmail);
  CHECK(email->value == "li.wei@example.com");
  CHECK_FALSE(NormalizeContact("a@b").ok());
  CHECK_FALSE(NormalizeContact("a@@b.com").ok());
  CHECK_FALSE(NormalizeContact("a b@c.com").ok());
  CHECK_FALSE(NormalizeContact(".a@c.com").ok());
  CHECK_FALSE(NormalizeContact("a@-c.com").ok());
  CHECK_FALSE(NormalizeContact("").ok());
  CHECK(ReasonOf(NormalizeContact(std::string(400, 'a')).status()) == "INVALID_FIELD");

  CHECK(MaskContact({ContactKind::kPhone, "+8613800138000"}) == "+86138****8000");
  CHECK(MaskContact({ContactKind::kEmail, "li.wei@example.com"}) == "l***@example.com");
  CHECK(MaskDisplayName("张小明") == "张*明");
  CHECK(MaskDisplayName("Li") == "L*");
}

TEST_CASE("authorisation table: each kind of caller reaches only its RPCs") {
  grpcutil::Identity anonymous;
  anonymous.roles = {"anonymous"};
  grpcutil::Identity customer;
  customer.user_id = "u1";
  customer.session_id = "s1";
  customer.roles = {"customer"};
  grpcutil::Identity agent = customer;
  agent.roles = {"agent"};
  grpcutil::Identity admin = customer;
  admin.roles = {"admin"};
  grpcutil::Identity service;
  service.roles = {"service:payments"};

  CHECK(grpcapi::AuthorizeIdentity(anonymous, "AuthService/Login").ok());
  CHECK(ReasonOf(grpcapi::AuthorizeIdentity(customer, "AuthService/Login").status()) ==
        "ROLE_REQUIRED");
  CHECK(grpcapi::AuthorizeIdentity(customer, "AuthService/ChangePassword").ok());
  CHECK_FALSE(grpcapi::AuthorizeIdentity(anonymous, "AuthService/ChangePassword").ok());
  CHECK_FALSE(grpcapi::AuthorizeIdentity(customer, "AuthAdminService/UnlockUser").ok());
  CHECK(grpcapi::AuthorizeIdentity(agent, "AuthAdminService/UnlockUser").ok());
  CHECK_FALSE(grpcapi::AuthorizeIdentity(agent, "AuthAdminService/CreateStaffAccount").ok());
  CHECK(grpcapi::AuthorizeIdentity(admin, "AuthAdminService/CreateStaffAccount").ok());
  CHECK_FALSE(grpcapi::AuthorizeIdentity(admin, "AuthInternalService/ValidateSession").ok());
  CHECK_FALSE(grpcapi::AuthorizeIdentity(anonymous, "AuthInternalService/ValidateSession").ok());
  auto as_service = grpcapi::AuthorizeIdentity(service, "AuthInternalService/ValidateSession");
  REQUIRE(as_service.ok());
  CHECK(as_service->service == "service:payments");
  CHECK(grpcapi::AuthorizeIdentity(service, "AuthService/Login").status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(grpcapi::AuthorizeIdentity(admin, "AuthService/NoSuchRpc").status().code() ==
        absl::StatusCode::kPermissionDenied);
  // An "anonymous" role next to a user id is not a signed-in person, nor anonymous.
  grpcutil::Identity confused = customer;
  confused.roles = {"anonymous", "customer"};
  CHECK_FALSE(grpcapi::AuthorizeIdentity(confused, "AuthService/ChangePassword").ok());
  CHECK_FALSE(grpcapi::AuthorizeIdentity(confused, "AuthService/Login").ok());
}

}  // namespace
}  // namespace uwallet::auth
