// The auth service as it runs in the suite, over real gRPC, called the way the gateway calls it:
// every request carries an identity assertion signed with UWALLET_IDENTITY_KEY (anonymous with a
// client IP for sign-up and sign-in, the session's identity from ValidateSession afterwards).
// Codes are read from the development mailbox. Walks the support stories of issue 3:
//   register -> verify -> sign in -> 5 wrong passwords -> locked -> reset by code -> sign in;
//   locked -> an agent (created by an admin) unlocks after an identity check -> audit entry;
// and checks the answers to bad input.
//
// Reads the suite's addresses from UWALLET_TEST_ENV_FILE (tools/test); skipped (77) without it.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/check.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"
#include "uwallet/common/status.h"
#include "uwallet/devtools/v1/devtools.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::auth {
namespace {

namespace pb = ::uwallet::auth::v1;
namespace common_pb = ::uwallet::common::v1;
namespace devtools_pb = ::uwallet::devtools::v1;

constexpr char kPassword[] = "e2e correct horse 7";

std::map<std::string, std::string> ReadEnvFile() {
  const char* path = std::getenv("UWALLET_TEST_ENV_FILE");
  if (path == nullptr || *path == '\0') {
    std::fprintf(stderr, "UWALLET_TEST_ENV_FILE is not set: skipping (tools/test sets it)\n");
    std::exit(77);
  }
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    env[line.substr(0, eq)] = value;
  }
  return env;
}

std::string RandomSuffix() {
  static std::mt19937_64 random(std::random_device{}());
  return std::to_string(random() % 1'000'000'000);
}

std::string ReasonOf(const grpc::Status& status) {
  return uwallet::ReasonOf(grpcutil::FromGrpcStatus(status));
}

std::string RoleName(int role) {
  switch (role) {
    case common_pb::ROLE_CUSTOMER:
      return "customer";
    case common_pb::ROLE_MERCHANT:
      return "merchant";
    case common_pb::ROLE_AGENT:
      return "agent";
    case common_pb::ROLE_ANALYST:
      return "analyst";
    case common_pb::ROLE_ADMIN:
      return "admin";
    default:
      return "unknown";
  }
}

// A client that behaves like the gateway in front of one app: one client IP (from the TEST-NET
// ranges, unique per run so that per-IP budgets of other tests do not interfere).
class Suite {
 public:
  Suite()
      : env_(ReadEnvFile()),
        signer_(*grpcutil::IdentitySigner::Create(env_.at("UWALLET_IDENTITY_KEY"), clock_)),
        channel_(
            grpc::CreateChannel(env_.at("UWALLET_AUTH_ADDR"), grpc::InsecureChannelCredentials())),
        auth(pb::AuthService::NewStub(channel_)),
        admin(pb::AuthAdminService::NewStub(channel_)),
        internal(pb::AuthInternalService::NewStub(channel_)),
        mailbox(devtools_pb::DevMailboxService::NewStub(channel_)),
        ip_(absl::StrCat("198.51.100.", 1 + std::random_device{}() % 250)) {}

  grpcutil::Identity Anonymous() const {
    grpcutil::Identity identity;
    identity.roles = {grpcutil::roles::kAnonymous};
    identity.client_ip = ip_;
    identity.device_id = "e2e-device";
    return identity;
  }

  static grpcutil::Identity Staff(const std::string& role) {
    grpcutil::Identity identity;
    identity.user_id = UuidV7Generator(RealClock::Instance()).NewId();
    identity.session_id = "e2e-staff-session";
    identity.roles = {role};
    return identity;
  }

  std::unique_ptr<grpc::ClientContext> As(const grpcutil::Identity& identity) const {
    return grpcutil::OutgoingContext(absl::Seconds(10), signer_.Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> AsGateway() const {
    return grpcutil::OutgoingContext(absl::Seconds(10), signer_.SignService("gateway"));
  }

  // What the gateway does with a bearer token: ValidateSession, then an assertion for the user.
  grpc::Status Resolve(const std::string& token, grpcutil::Identity* identity) const {
    pb::ValidateSessionRequest request;
    request.set_token(token);
    request.set_ip(ip_);
    pb::ValidateSessionResponse response;
    grpc::Status status = internal->ValidateSession(AsGateway().get(), request, &response);
    if (!status.ok()) return status;
    identity->user_id = response.identity().user_id();
    identity->session_id = response.identity().session_id();
    identity->roles.clear();
    for (int role : response.identity().roles()) identity->roles.push_back(RoleName(role));
    identity->client_ip = ip_;
    return status;
  }

  // The newest code of `template_name` sent to `destination`.
  std::string LatestCode(const std::string& destination, const std::string& template_name) const {
    devtools_pb::ListMessagesRequest request;
    request.set_destination(destination);
    devtools_pb::ListMessagesResponse response;
    grpc::Status status = mailbox->ListMessages(As(Anonymous()).get(), request, &response);
    UW_CHECK(status.ok());
    for (const auto& message : response.messages()) {
      if (message.template_name() == template_name && !message.code().empty()) {
        return message.code();
      }
    }
    return "";
  }

  int CountMessages(const std::string& destination, const std::string& template_name) const {
    devtools_pb::ListMessagesRequest request;
    request.set_destination(destination);
    request.set_page_size(100);
    devtools_pb::ListMessagesResponse response;
    UW_CHECK(mailbox->ListMessages(As(Anonymous()).get(), request, &response).ok());
    int count = 0;
    for (const auto& message : response.messages())
      count += message.template_name() == template_name;
    return count;
  }

  grpc::Status Register(const std::string& email, const std::string& password,
                        pb::RegisterResponse* response) const {
    pb::RegisterRequest request;
    request.set_email(email);
    request.set_password(password);
    request.set_display_name("E2E Customer");
    return auth->Register(As(Anonymous()).get(), request, response);
  }

  // Each device keeps the secret it is given (Session.device_token) and presents it, as an app
  // does: these are where they keep it, by (identifier, device id).
  void Remember(const std::string& identifier, const std::string& device_id,
                const pb::Session& session) const {
    if (!session.device_token().empty()) {
      device_tokens[{identifier, device_id}] = session.device_token();
    }
  }

  grpc::Status Login(const std::string& identifier, const std::string& password,
                     pb::LoginResponse* response) const {
    pb::LoginRequest request;
    request.set_identifier(identifier);
    request.set_password(password);
    request.mutable_device()->set_device_id("e2e-device");
    request.mutable_device()->set_name("E2E phone");
    request.mutable_device()->set_platform(common_pb::PLATFORM_ANDROID);
    request.set_device_token(device_tokens[{identifier, "e2e-device"}]);
    grpc::Status status = auth->Login(As(Anonymous()).get(), request, response);
    if (status.ok() && response->has_session()) {
      Remember(identifier, "e2e-device", response->session());
    }
    return status;
  }

  // From `device_id` with the secret it keeps, or `device_token` when given.
  grpc::Status LoginFrom(const std::string& identifier, const std::string& device_id,
                         pb::LoginResponse* response,
                         std::optional<std::string> device_token = std::nullopt) const {
    pb::LoginRequest request;
    request.set_identifier(identifier);
    request.set_password(kPassword);
    request.mutable_device()->set_device_id(device_id);
    request.mutable_device()->set_name("E2E tablet");
    request.set_device_token(device_token ? *device_token : device_tokens[{identifier, device_id}]);
    grpc::Status status = auth->Login(As(Anonymous()).get(), request, response);
    if (status.ok() && response->has_session())
      Remember(identifier, device_id, response->session());
    return status;
  }
  mutable std::map<std::pair<std::string, std::string>, std::string> device_tokens;

  // SendCode, waiting out the 1-a-minute limit per destination if a code went there just now.
  grpc::Status SendCode(const std::string& destination, pb::CodePurpose purpose) const {
    pb::SendCodeRequest request;
    request.set_destination(destination);
    request.set_purpose(purpose);
    grpc::Status status;
    for (int attempt = 0; attempt < 4; ++attempt) {
      pb::SendCodeResponse response;
      status = auth->SendCode(As(Anonymous()).get(), request, &response);
      if (ReasonOf(status) != "RATE_LIMITED") return status;
      int64_t retry_after_s = 60;
      const std::string message = status.error_message();
      const size_t at = message.find("retry_after_s=");
      if (at != std::string::npos) {
        (void)absl::SimpleAtoi(message.substr(at + 14), &retry_after_s);
      }
      std::this_thread::sleep_for(std::chrono::seconds(std::min<int64_t>(retry_after_s, 61) + 1));
    }
    return status;
  }

  // A verified customer with `email`.
  std::string RegisterVerified(const std::string& email) const {
    pb::RegisterResponse registered;
    grpc::Status status = Register(email, kPassword, &registered);
    UW_CHECK(status.ok());
    pb::VerifyContactRequest verify;
    verify.set_destination(email);
    verify.set_code(LatestCode(email, "verify_contact"));
    pb::VerifyContactResponse verified;
    UW_CHECK(auth->VerifyContact(As(Anonymous()).get(), verify, &verified).ok());
    return registered.user_id();
  }

  void LockWithWrongPasswords(const std::string& email) const {
    for (int i = 0; i < 5; ++i) {
      pb::LoginResponse response;
      grpc::Status status = Login(email, "definitely wrong " + std::to_string(i), &response);
      REQUIRE(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
      REQUIRE(ReasonOf(status) == "INVALID_CREDENTIALS");
    }
  }

  RealClock clock_;
  std::map<std::string, std::string> env_;
  grpcutil::IdentitySigner signer_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::AuthService::Stub> auth;
  std::unique_ptr<pb::AuthAdminService::Stub> admin;
  std::unique_ptr<pb::AuthInternalService::Stub> internal;
  std::unique_ptr<devtools_pb::DevMailboxService::Stub> mailbox;
  std::string ip_;
};

TEST_CASE("support story: forgot password after a lockout, reset by code, sign in") {
  Suite suite;
  const std::string email = "e2e-reset-" + RandomSuffix() + "@example.com";

  // Register: the first code is already in the mailbox.
  pb::RegisterResponse registered;
  REQUIRE(suite.Register(email, kPassword, &registered).ok());
  CHECK(registered.retry_after_s() > 0);
  const std::string verify_code = suite.LatestCode(email, "verify_contact");
  REQUIRE(verify_code.size() == 6);
  pb::VerifyContactRequest verify;
  verify.set_destination(email);
  verify.set_code(verify_code);
  pb::VerifyContactResponse verified;
  REQUIRE(suite.auth->VerifyContact(suite.As(suite.Anonymous()).get(), verify, &verified).ok());
  // The code is single use.
  grpc::Status replay =
      suite.auth->VerifyContact(suite.As(suite.Anonymous()).get(), verify, &verified);
  CHECK(replay.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(replay) == "CODE_EXPIRED");

  // Sign in: a session the gateway can resolve.
  pb::LoginResponse login;
  REQUIRE(suite.Login(email, kPassword, &login).ok());
  REQUIRE(login.has_session());
  const std::string first_token = login.session().token();
  grpcutil::Identity identity;
  REQUIRE(suite.Resolve(first_token, &identity).ok());
  CHECK(identity.user_id == registered.user_id());
  CHECK(identity.roles == std::vector<std::string>{"customer"});
  pb::GetProfileResponse profile;
  REQUIRE(suite.auth->GetProfile(suite.As(identity).get(), pb::GetProfileRequest(), &profile).ok());
  CHECK(profile.profile().email() == email);
  CHECK(profile.profile().email_verified());

  // Five wrong passwords lock the account; the right one then gets the same answer.
  suite.LockWithWrongPasswords(email);
  pb::LoginResponse locked;
  grpc::Status while_locked = suite.Login(email, kPassword, &locked);
  CHECK(while_locked.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ReasonOf(while_locked) == "INVALID_CREDENTIALS");
  // The real owner hears about it.
  CHECK(suite.CountMessages(email, "account_locked") == 1);

  // Forgot password: a code from the mailbox resets it.
  REQUIRE(suite.SendCode(email, pb::CODE_PURPOSE_RESET_PASSWORD).ok());
  const std::string reset_code = suite.LatestCode(email, "reset_password");
  REQUIRE(reset_code.size() == 6);
  pb::ResetPasswordRequest reset;
  reset.set_destination(email);
  reset.set_code(reset_code);
  reset.set_new_password("password123");  // on the common list: refused, code not used up
  pb::ResetPasswordResponse reset_response;
  grpc::Status weak =
      suite.auth->ResetPassword(suite.As(suite.Anonymous()).get(), reset, &reset_response);
  CHECK(weak.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ReasonOf(weak) == "PASSWORD_TOO_WEAK");
  reset.set_new_password("a whole new e2e secret");
  REQUIRE(
      suite.auth->ResetPassword(suite.As(suite.Anonymous()).get(), reset, &reset_response).ok());
  CHECK(suite.CountMessages(email, "password_changed") == 1);
  // Every earlier session is gone.
  grpcutil::Identity stale;
  grpc::Status revoked = suite.Resolve(first_token, &stale);
  CHECK(revoked.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ReasonOf(revoked) == "SESSION_EXPIRED");
  // The same reset code cannot be used twice.
  grpc::Status reused =
      suite.auth->ResetPassword(suite.As(suite.Anonymous()).get(), reset, &reset_response);
  CHECK(ReasonOf(reused) == "CODE_EXPIRED");

  // The lockout is cleared and the new password works; the old one does not.
  pb::LoginResponse old_password;
  CHECK(ReasonOf(suite.Login(email, kPassword, &old_password)) == "INVALID_CREDENTIALS");
  pb::LoginResponse after;
  REQUIRE(suite.Login(email, "a whole new e2e secret", &after).ok());
  REQUIRE(after.has_session());
  grpcutil::Identity fresh;
  REQUIRE(suite.Resolve(after.session().token(), &fresh).ok());
  CHECK(fresh.user_id == registered.user_id());

  // Logout ends the session at once.
  pb::LogoutResponse logged_out;
  REQUIRE(suite.auth->Logout(suite.As(fresh).get(), pb::LogoutRequest(), &logged_out).ok());
  grpcutil::Identity gone;
  CHECK(ReasonOf(suite.Resolve(after.session().token(), &gone)) == "SESSION_EXPIRED");
}

TEST_CASE("support story: locked account unlocked by an agent after an identity check") {
  Suite suite;
  const std::string suffix = RandomSuffix();
  const std::string email = "e2e-unlock-" + suffix + "@example.com";
  const std::string user_id = suite.RegisterVerified(email);
  suite.LockWithWrongPasswords(email);

  // An admin creates the agent (as tools/uwctl would); the agent signs in like anyone else.
  const std::string agent_email = "e2e-agent-" + suffix + "@example.com";
  pb::CreateStaffAccountRequest create;
  create.set_email(agent_email);
  create.set_display_name("E2E Agent");
  create.add_roles(common_pb::ROLE_AGENT);
  create.set_initial_password("agent e2e secret 1");
  pb::CreateStaffAccountResponse created;
  // Agents may not create staff accounts.
  grpc::Status by_agent =
      suite.admin->CreateStaffAccount(suite.As(Suite::Staff("agent")).get(), create, &created);
  CHECK(by_agent.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(ReasonOf(by_agent) == "ROLE_REQUIRED");
  REQUIRE(suite.admin->CreateStaffAccount(suite.As(Suite::Staff("admin")).get(), create, &created)
              .ok());
  pb::LoginResponse agent_login;
  REQUIRE(suite.Login(agent_email, "agent e2e secret 1", &agent_login).ok());
  REQUIRE(agent_login.has_session());
  grpcutil::Identity agent;
  REQUIRE(suite.Resolve(agent_login.session().token(), &agent).ok());
  CHECK(agent.roles == std::vector<std::string>{"agent"});
  CHECK(agent.user_id == created.user_id());

  // The agent finds the customer and sees why they cannot sign in.
  pb::FindUsersRequest find;
  find.set_query(email);
  pb::FindUsersResponse found;
  REQUIRE(suite.admin->FindUsers(suite.As(agent).get(), find, &found).ok());
  REQUIRE(found.users_size() == 1);
  CHECK(found.users(0).user_id() == user_id);
  CHECK(found.users(0).masked_email().find("***@example.com") != std::string::npos);
  CHECK(found.users(0).status() == pb::USER_STATUS_LOCKED);  // already in the search results
  pb::GetUserRequest get;
  get.set_user_id(user_id);
  pb::GetUserResponse user;
  REQUIRE(suite.admin->GetUser(suite.As(agent).get(), get, &user).ok());
  CHECK(user.user().lock().locked());
  CHECK(user.user().lock().lock_count() == 1);
  CHECK(user.user().profile().status() == pb::USER_STATUS_LOCKED);
  CHECK(user.recent_events_size() >= 6);

  // Unlock needs a reason and the identity check performed.
  pb::UnlockUserRequest unlock;
  unlock.set_user_id(user_id);
  pb::UnlockUserResponse unlocked;
  grpc::Status no_reason = suite.admin->UnlockUser(suite.As(agent).get(), unlock, &unlocked);
  CHECK(no_reason.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ReasonOf(no_reason) == "INVALID_FIELD");
  unlock.set_reason("customer called; locked out after a typo streak");
  unlock.mutable_identity_check()->set_method(pb::IDENTITY_CHECK_METHOD_CONTACT_CODE);
  unlock.mutable_identity_check()->set_note("code sent to the registered email was read back");
  REQUIRE(suite.admin->UnlockUser(suite.As(agent).get(), unlock, &unlocked).ok());
  CHECK_FALSE(unlocked.audit_id().empty());
  CHECK_FALSE(unlocked.user().lock().locked());
  CHECK(suite.CountMessages(email, "account_unlocked") == 1);
  REQUIRE(suite.admin->FindUsers(suite.As(agent).get(), find, &found).ok());
  REQUIRE(found.users_size() == 1);
  CHECK(found.users(0).status() == pb::USER_STATUS_ACTIVE);

  // The audit log names the agent, the reason and the check.
  pb::ListAuditLogRequest list;
  list.set_target_user_id(user_id);
  pb::ListAuditLogResponse audit;
  REQUIRE(suite.admin->ListAuditLog(suite.As(agent).get(), list, &audit).ok());
  REQUIRE(audit.entries_size() == 1);
  CHECK(audit.entries(0).audit_id() == unlocked.audit_id());
  CHECK(audit.entries(0).action() == "auth.unlock_user");
  CHECK(audit.entries(0).actor_id() == agent.user_id);
  CHECK(audit.entries(0).reason() == unlock.reason());
  CHECK(audit.entries(0).identity_check().method() == pb::IDENTITY_CHECK_METHOD_CONTACT_CODE);

  // The customer signs in again.
  pb::LoginResponse login;
  REQUIRE(suite.Login(email, kPassword, &login).ok());
  CHECK(login.has_session());
}

TEST_CASE("bad input, wrong codes, expired tokens and wrong callers get clear answers") {
  Suite suite;
  const std::string suffix = RandomSuffix();
  const std::string email = "e2e-bad-" + suffix + "@example.com";

  auto register_with = [&](const std::string& address, const std::string& password,
                           const std::string& name) {
    pb::RegisterRequest request;
    request.set_email(address);
    request.set_password(password);
    request.set_display_name(name);
    pb::RegisterResponse response;
    return suite.auth->Register(suite.As(suite.Anonymous()).get(), request, &response);
  };
  grpc::Status empty_password = register_with(email, "", "Name");
  CHECK(empty_password.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ReasonOf(empty_password) == "PASSWORD_TOO_WEAK");
  CHECK(ReasonOf(register_with(email, "iloveyou", "Name")) == "PASSWORD_TOO_WEAK");
  CHECK(ReasonOf(register_with(email, std::string(129, 'p'), "Name")) == "PASSWORD_TOO_WEAK");
  CHECK(ReasonOf(register_with(email, kPassword, std::string(65, 'n'))) == "INVALID_FIELD");
  CHECK(ReasonOf(register_with(email, kPassword, "")) == "INVALID_FIELD");
  CHECK(ReasonOf(register_with("not-an-email", kPassword, "Name")) == "INVALID_FIELD");
  CHECK(ReasonOf(register_with(std::string(5000, 'a') + "@example.com", kPassword, "Name")) ==
        "INVALID_FIELD");
  REQUIRE(register_with(email, kPassword, "Name").ok());
  grpc::Status duplicate = register_with(email, kPassword, "Name");
  CHECK(duplicate.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(ReasonOf(duplicate) == "CONTACT_ALREADY_REGISTERED");

  // Wrong codes count down, then the code is dead even for the right digits.
  const std::string code = suite.LatestCode(email, "verify_contact");
  REQUIRE(code.size() == 6);
  pb::VerifyContactRequest verify;
  verify.set_destination(email);
  verify.set_code(code == "000000" ? "111111" : "000000");
  pb::VerifyContactResponse verified;
  for (int left = 4; left >= 0; --left) {
    grpc::Status wrong =
        suite.auth->VerifyContact(suite.As(suite.Anonymous()).get(), verify, &verified);
    CHECK(wrong.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(ReasonOf(wrong) == "CODE_INVALID");
    CHECK(wrong.error_message().find("attempts_left=" + std::to_string(left)) != std::string::npos);
  }
  verify.set_code(code);
  grpc::Status killed =
      suite.auth->VerifyContact(suite.As(suite.Anonymous()).get(), verify, &verified);
  CHECK(killed.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(killed) == "CODE_EXPIRED");
  verify.set_code("12345");
  CHECK(ReasonOf(suite.auth->VerifyContact(suite.As(suite.Anonymous()).get(), verify, &verified)) ==
        "INVALID_FIELD");

  // SendCode answers the same for an address nobody registered.
  pb::SendCodeRequest send;
  send.set_destination("e2e-nobody-" + suffix + "@example.com");
  send.set_purpose(pb::CODE_PURPOSE_RESET_PASSWORD);
  pb::SendCodeResponse sent;
  REQUIRE(suite.auth->SendCode(suite.As(suite.Anonymous()).get(), send, &sent).ok());
  CHECK(sent.code_ttl_s() == 600);
  CHECK(sent.retry_after_s() == 60);
  send.set_purpose(pb::CODE_PURPOSE_UNSPECIFIED);
  CHECK(ReasonOf(suite.auth->SendCode(suite.As(suite.Anonymous()).get(), send, &sent)) ==
        "INVALID_FIELD");

  // Sign-in input.
  pb::LoginResponse login;
  CHECK(ReasonOf(suite.Login("", kPassword, &login)) == "INVALID_FIELD");
  CHECK(ReasonOf(suite.Login(std::string(400, 'x'), kPassword, &login)) == "INVALID_FIELD");
  CHECK(ReasonOf(suite.Login(email, std::string(5000, 'p'), &login)) == "INVALID_FIELD");
  grpc::Status unknown = suite.Login("e2e-nobody-" + suffix + "@example.com", kPassword, &login);
  CHECK(unknown.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ReasonOf(unknown) == "INVALID_CREDENTIALS");

  // Session tokens: unknown or malformed ones are expired sessions; an empty one is bad input.
  grpcutil::Identity nobody;
  grpc::Status unknown_token =
      suite.Resolve("x7Rk2mZ9qLp4VbN8cT1wY6sD3fG5hJ0aE2uI9oK4lMn", &nobody);
  CHECK(unknown_token.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ReasonOf(unknown_token) == "SESSION_EXPIRED");
  CHECK(ReasonOf(suite.Resolve(std::string(5000, 't'), &nobody)) == "SESSION_EXPIRED");
  CHECK(ReasonOf(suite.Resolve("", &nobody)) == "INVALID_FIELD");

  // Step-up tokens that were never issued.
  pb::ValidateStepUpTokenRequest step_up;
  step_up.set_step_up_token("never-issued");
  step_up.set_user_id("0190a000-0000-7000-8000-000000000001");
  step_up.set_action(pb::STEP_UP_ACTION_LARGE_PAYMENT);
  pb::ValidateStepUpTokenResponse step_up_response;
  grpc::Status no_step_up =
      suite.internal->ValidateStepUpToken(suite.AsGateway().get(), step_up, &step_up_response);
  CHECK(no_step_up.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(no_step_up) == "STEP_UP_REQUIRED");

  // Wrong callers: no assertion, an expired one, a customer on staff or internal RPCs.
  pb::GetProfileResponse profile;
  grpc::ClientContext bare;
  bare.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  CHECK(suite.auth->GetProfile(&bare, pb::GetProfileRequest(), &profile).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  grpcutil::Identity expired = suite.Anonymous();
  expired.issued_at = absl::Now() - absl::Minutes(10);
  expired.expires_at = absl::Now() - absl::Minutes(5);
  pb::LoginRequest login_request;
  login_request.set_identifier(email);
  login_request.set_password(kPassword);
  CHECK(suite.auth->Login(suite.As(expired).get(), login_request, &login).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  grpcutil::Identity customer;
  customer.user_id = "0190a000-0000-7000-8000-000000000002";
  customer.session_id = "e2e-no-such-session";
  customer.roles = {"customer"};
  pb::GetUserRequest get_user;
  get_user.set_user_id(customer.user_id);
  pb::GetUserResponse user;
  grpc::Status staff_only = suite.admin->GetUser(suite.As(customer).get(), get_user, &user);
  CHECK(staff_only.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(ReasonOf(staff_only) == "ROLE_REQUIRED");
  pb::ValidateSessionRequest validate;
  validate.set_token("whatever");
  pb::ValidateSessionResponse validated;
  CHECK(suite.internal->ValidateSession(suite.As(customer).get(), validate, &validated)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(suite.internal->ValidateSession(suite.As(suite.Anonymous()).get(), validate, &validated)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  // A signed assertion for a session that does not exist is not a way in.
  grpc::Status no_session =
      suite.auth->GetProfile(suite.As(customer).get(), pb::GetProfileRequest(), &profile);
  CHECK(no_session.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ReasonOf(no_session) == "SESSION_EXPIRED");
  // Staff input.
  get_user.set_user_id("not-a-uuid");
  CHECK(ReasonOf(suite.admin->GetUser(suite.As(Suite::Staff("agent")).get(), get_user, &user)) ==
        "INVALID_FIELD");
  get_user.set_user_id("0190a000-0000-7000-8000-00000000dead");
  grpc::Status missing =
      suite.admin->GetUser(suite.As(Suite::Staff("agent")).get(), get_user, &user);
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ReasonOf(missing) == "USER_NOT_FOUND");
}

// The metadata of the google.rpc.ErrorInfo a status carries on the wire.
std::map<std::string, std::string> WireMetadata(const grpc::Status& status) {
  google::rpc::Status details;
  std::map<std::string, std::string> out;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) out.insert(info.metadata().begin(), info.metadata().end());
  }
  return out;
}

TEST_CASE("new device: a contact code from the mailbox completes the sign-in; tries counted") {
  Suite suite;
  const std::string email = "e2e-newdev-" + RandomSuffix() + "@example.com";
  const std::string user_id = suite.RegisterVerified(email);
  // The first device is not challenged.
  pb::LoginResponse first;
  REQUIRE(suite.Login(email, kPassword, &first).ok());
  REQUIRE(first.has_session());

  pb::LoginResponse challenged;
  REQUIRE(suite.LoginFrom(email, "e2e-tablet", &challenged).ok());
  REQUIRE(challenged.has_challenge());
  REQUIRE(challenged.challenge().methods_size() == 1);
  CHECK(challenged.challenge().methods(0) == pb::SECOND_FACTOR_METHOD_CONTACT_CODE);
  CHECK_FALSE(challenged.challenge().masked_destination().empty());
  CHECK(challenged.challenge().masked_destination().find(email) == std::string::npos);
  const std::string code = suite.LatestCode(email, "login_challenge");
  REQUIRE(code.size() == 6);

  pb::CompleteSecondFactorRequest complete;
  complete.set_challenge_id(challenged.challenge().challenge_id());
  complete.set_contact_code(code == "000000" ? "111111" : "000000");
  pb::CompleteSecondFactorResponse completed;
  grpc::Status wrong =
      suite.auth->CompleteSecondFactor(suite.As(suite.Anonymous()).get(), complete, &completed);
  CHECK(ReasonOf(wrong) == "CODE_INVALID");
  // attempts_left travels in ErrorInfo.metadata (and in the message).
  CHECK(WireMetadata(wrong) == std::map<std::string, std::string>{{"attempts_left", "4"}});
  CHECK(wrong.error_message().find("attempts_left=4") != std::string::npos);

  complete.set_contact_code(code);
  grpc::Status right =
      suite.auth->CompleteSecondFactor(suite.As(suite.Anonymous()).get(), complete, &completed);
  INFO(right.error_message());
  REQUIRE(right.ok());
  CHECK(completed.session().user_id() == user_id);
  CHECK_FALSE(completed.session().token().empty());
  // The tablet is given its secret, and keeps it.
  const std::string tablet_token = completed.session().device_token();
  CHECK(tablet_token.size() == 43);
  CHECK(tablet_token != completed.session().token());
  suite.Remember(email, "e2e-tablet", completed.session());
  // Completed once; the tablet is now known and signs in directly, with no new secret.
  CHECK(ReasonOf(suite.auth->CompleteSecondFactor(suite.As(suite.Anonymous()).get(), complete,
                                                  &completed)) == "CHALLENGE_EXPIRED");
  pb::LoginResponse known;
  REQUIRE(suite.LoginFrom(email, "e2e-tablet", &known).ok());
  REQUIRE(known.has_session());
  CHECK(known.session().device_token().empty());
  // Someone who knows the tablet's id but not its secret is challenged, not signed in.
  for (const std::string& claimed : {std::string(), std::string("not-the-secret")}) {
    pb::LoginResponse impostor;
    REQUIRE(suite.LoginFrom(email, "e2e-tablet", &impostor, claimed).ok());
    CHECK(impostor.has_challenge());
    CHECK_FALSE(impostor.has_session());
  }
  pb::LoginResponse too_long;
  CHECK(ReasonOf(suite.LoginFrom(email, "e2e-tablet", &too_long, std::string(129, 's'))) ==
        "INVALID_FIELD");

  // The phone lists the account's devices and forgets the tablet: the tablet's sessions end, and
  // its secret no longer lets it skip the check.
  grpcutil::Identity phone;
  REQUIRE(suite.Resolve(first.session().token(), &phone).ok());
  pb::ListDevicesResponse devices;
  REQUIRE(suite.auth->ListDevices(suite.As(phone).get(), pb::ListDevicesRequest(), &devices).ok());
  REQUIRE(devices.devices_size() == 2);
  for (const pb::KnownDevice& device : devices.devices()) {
    CHECK(device.trusted());
    CHECK(device.current() == (device.device().device_id() == "e2e-device"));
  }
  pb::ForgetDeviceRequest forget;
  forget.set_device_id("e2e-tablet");
  pb::ForgetDeviceResponse forgot;
  REQUIRE(suite.auth->ForgetDevice(suite.As(phone).get(), forget, &forgot).ok());
  CHECK(forgot.revoked_sessions() == 2);  // the one the code completed, and the direct one
  grpcutil::Identity gone;
  CHECK(ReasonOf(suite.Resolve(known.session().token(), &gone)) == "SESSION_EXPIRED");
  pb::LoginResponse after_forget;
  REQUIRE(suite.LoginFrom(email, "e2e-tablet", &after_forget).ok());  // with its old secret
  CHECK(after_forget.has_challenge());
  forget.set_device_id("never-seen");
  CHECK(ReasonOf(suite.auth->ForgetDevice(suite.As(phone).get(), forget, &forgot)) == "NOT_FOUND");
  // Only a signed-in caller (the authorisation table), and only their own devices.
  CHECK(ReasonOf(suite.auth->ForgetDevice(suite.As(suite.Anonymous()).get(), forget, &forgot)) ==
        "ROLE_REQUIRED");
}

TEST_CASE("rate limits carry retry_after_s in ErrorInfo.metadata") {
  Suite suite;
  const std::string email = "e2e-meta-" + RandomSuffix() + "@example.com";
  pb::RegisterResponse registered;
  REQUIRE(suite.Register(email, kPassword, &registered).ok());
  // Registration just sent a code: another one within the minute is refused.
  pb::SendCodeRequest request;
  request.set_destination(email);
  request.set_purpose(pb::CODE_PURPOSE_VERIFY_CONTACT);
  pb::SendCodeResponse response;
  grpc::Status limited =
      suite.auth->SendCode(suite.As(suite.Anonymous()).get(), request, &response);
  REQUIRE(ReasonOf(limited) == "RATE_LIMITED");
  const auto metadata = WireMetadata(limited);
  REQUIRE(metadata.count("retry_after_s") == 1);
  int64_t seconds = 0;
  CHECK(absl::SimpleAtoi(metadata.at("retry_after_s"), &seconds));
  CHECK(seconds >= 1);
  CHECK(seconds <= 60);
}

}  // namespace
}  // namespace uwallet::auth
