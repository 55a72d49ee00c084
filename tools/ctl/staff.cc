// Staff commands: sign in to the gateway as a staff member (like the web console's desk does) and
// call the staff APIs. Output is the JSON of the response message.

#include "tools/ctl/staff.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/file.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"

namespace uwallet::ctl {
namespace {

namespace authpb = ::uwallet::auth::v1;
namespace ledgerpb = ::uwallet::ledger::v1;
namespace commonpb = ::uwallet::common::v1;

constexpr int kCallSeconds = 15;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    json = message.DebugString();
  }
  std::printf("%s", json.c_str());
}

// The device secret auth gives this device when it becomes known to a staff account
// (Session.device_token), kept so that the next command from the same device is not challenged
// again: one file per account and device id, in UWCTL_DEVICE_DIR (else $XDG_CONFIG_HOME/uwctl,
// else ~/.config/uwctl), the directory 0700 and the file 0600. Empty path: nowhere to keep it.
std::string DeviceSecretPath(const std::string& email, const std::string& device_id) {
  std::string dir = EnvOr("UWCTL_DEVICE_DIR", "");
  if (dir.empty()) {
    const std::string home = EnvOr("HOME", "");
    const std::string config = EnvOr("XDG_CONFIG_HOME", home.empty() ? "" : home + "/.config");
    if (config.empty()) return "";
    dir = config + "/uwctl";
  }
  auto safe = [](std::string text) {
    for (char& c : text) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '@' && c != '-' &&
          c != '_') {
        c = '_';
      }
    }
    return text;
  };
  return dir + "/device-" + safe(email) + "--" + safe(device_id);
}

std::string ReadDeviceSecret(const std::string& path) {
  if (path.empty()) return "";
  absl::StatusOr<std::string> secret = ReadFile(path);
  return secret.ok() ? std::string(absl::StripAsciiWhitespace(*secret)) : "";
}

void KeepDeviceSecret(const std::string& path, const std::string& secret) {
  if (secret.empty()) return;  // the device proved itself with the one it keeps
  auto warn = [&](const std::string& why) {
    std::fprintf(stderr,
                 "warning: could not keep this device's secret in %s (%s): the next sign-in from "
                 "it will be challenged again\n",
                 path.empty() ? "(no UWCTL_DEVICE_DIR or HOME)" : path.c_str(), why.c_str());
  };
  if (path.empty()) return warn("nowhere to keep it");
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return warn(error.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return warn(std::strerror(errno));
  (void)::fchmod(fd, 0600);
  const std::string line = secret + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) warn("short write");
}

int Refused(const char* what, const grpc::Status& status) {
  std::fprintf(stderr, "%s: %s (%d)\n", what, status.error_message().c_str(),
               static_cast<int>(status.error_code()));
  return kFailed;
}

// A signed-in staff session over the gateway; signs out when it goes away.
class StaffSession {
 public:
  // Returns kOk and a usable session, or the exit status to end with (after printing why).
  int Open(const Args& args) {
    std::string error;
    channel_ =
        MakeChannel(args.Get("gateway", EnvOr("UWCTL_GATEWAY", "127.0.0.1:50050")), args, &error);
    if (channel_ == nullptr) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return kBadUsage;
    }
    auth_ = authpb::AuthService::NewStub(channel_);
    const std::string email = args.Get("as", EnvOr("UWCTL_EMAIL", ""));
    const std::string password = EnvOr("UWCTL_PASSWORD", "");
    if (email.empty() || password.empty()) {
      std::fprintf(stderr,
                   "staff commands sign in as a staff member: --as=EMAIL (or UWCTL_EMAIL) and the "
                   "password in UWCTL_PASSWORD (never on the command line)\n");
      return kBadUsage;
    }
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    const std::string device_id = args.Get("device-id", std::string("uwctl-") + host);
    secret_path_ = DeviceSecretPath(email, device_id);
    if (args.Has("challenge")) return Complete(args);

    authpb::LoginRequest request;
    request.set_identifier(email);
    request.set_password(password);
    commonpb::Device* device = request.mutable_device();
    device->set_device_id(device_id);
    device->set_name("uwctl on " + std::string(host));
    device->set_platform(commonpb::PLATFORM_DESKTOP);
    request.set_device_token(ReadDeviceSecret(secret_path_));
    authpb::LoginResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = auth_->Login(&context, request, &response);
    if (!status.ok()) return Refused("sign-in refused", status);
    if (response.has_challenge()) {
      std::fprintf(stderr,
                   "a second factor is required (challenge %s; a code went to %s unless you use an "
                   "authenticator app).\nRun the same command again with --challenge=%s "
                   "--code=NNNNNN\n",
                   response.challenge().challenge_id().c_str(),
                   response.challenge().masked_destination().c_str(),
                   response.challenge().challenge_id().c_str());
      return kFailed;
    }
    token_ = response.session().token();
    KeepDeviceSecret(secret_path_, response.session().device_token());
    return kOk;
  }

  ~StaffSession() {
    if (token_.empty()) return;
    grpc::ClientContext context;
    Prepare(&context);
    authpb::LogoutResponse response;
    (void)auth_->Logout(&context, authpb::LogoutRequest(), &response);
  }

  void Prepare(grpc::ClientContext* context) const {
    SetDeadline(context);
    context->AddMetadata("authorization", "Bearer " + token_);
  }
  [[nodiscard]] const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(kCallSeconds));
  }

  // Completes a Login challenge with --code (sent to the contact), --totp or --recovery.
  int Complete(const Args& args) {
    authpb::CompleteSecondFactorRequest request;
    request.set_challenge_id(args.Get("challenge"));
    if (args.Has("code")) {
      request.set_contact_code(args.Get("code"));
    } else if (args.Has("totp")) {
      request.set_totp_code(args.Get("totp"));
    } else if (args.Has("recovery")) {
      request.set_recovery_code(args.Get("recovery"));
    } else {
      std::fprintf(stderr, "--challenge needs --code, --totp or --recovery\n");
      return kBadUsage;
    }
    authpb::CompleteSecondFactorResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = auth_->CompleteSecondFactor(&context, request, &response);
    if (!status.ok()) return Refused("second factor refused", status);
    token_ = response.session().token();
    KeepDeviceSecret(secret_path_, response.session().device_token());
    return kOk;
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<authpb::AuthService::Stub> auth_;
  std::string token_;
  std::string secret_path_;  // where this account's secret for this device is kept
};

const std::vector<std::string> kSessionFlags = {
    "gateway",  "as",     "device-id", "challenge", "code",           "totp",
    "recovery", "tls-ca", "tls-cert",  "tls-key",   "tls-server-name"};

std::vector<std::string> With(std::vector<std::string> flags) {
  flags.insert(flags.end(), kSessionFlags.begin(), kSessionFlags.end());
  return flags;
}

bool ParseRoles(const std::string& text, authpb::CreateStaffAccountRequest* request) {
  for (absl::string_view role : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (role == "agent") {
      request->add_roles(commonpb::ROLE_AGENT);
    } else if (role == "analyst") {
      request->add_roles(commonpb::ROLE_ANALYST);
    } else if (role == "admin") {
      request->add_roles(commonpb::ROLE_ADMIN);
    } else if (role == "merchant") {
      request->add_roles(commonpb::ROLE_MERCHANT);
    } else {
      return false;
    }
  }
  return request->roles_size() > 0;
}

int StaffCreate(const Args& args) {
  authpb::CreateStaffAccountRequest request;
  request.set_email(args.Get("email"));
  request.set_display_name(args.Get("name", args.Get("email")));
  const std::string password = EnvOr("UWCTL_NEW_PASSWORD", "");
  if (request.email().empty() || password.empty() || !ParseRoles(args.Get("role"), &request)) {
    std::fprintf(
        stderr,
        "usage: uwctl staff create --email=EMAIL --role=agent|analyst|admin|merchant[,...] "
        "[--name=NAME]\n       (the initial password in UWCTL_NEW_PASSWORD)\n");
    return kBadUsage;
  }
  request.set_initial_password(password);
  StaffSession session;
  if (int code = session.Open(args); code != kOk) return code;
  auto stub = authpb::AuthAdminService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Prepare(&context);
  authpb::CreateStaffAccountResponse response;
  grpc::Status status = stub->CreateStaffAccount(&context, request, &response);
  if (!status.ok()) return Refused("CreateStaffAccount", status);
  PrintJson(response);
  return kOk;
}

int UserFind(const Args& args) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "usage: uwctl user find QUERY   (phone, email, user id or name prefix)\n");
    return kBadUsage;
  }
  StaffSession session;
  if (int code = session.Open(args); code != kOk) return code;
  auto stub = authpb::AuthAdminService::NewStub(session.channel());
  authpb::FindUsersRequest request;
  request.set_query(args.positional[0]);
  request.set_page_size(20);
  grpc::ClientContext context;
  session.Prepare(&context);
  authpb::FindUsersResponse response;
  grpc::Status status = stub->FindUsers(&context, request, &response);
  if (!status.ok()) return Refused("FindUsers", status);
  PrintJson(response);
  return response.users_size() > 0 ? kOk : kFailed;
}

int UserShow(const Args& args) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "usage: uwctl user show USER_ID\n");
    return kBadUsage;
  }
  StaffSession session;
  if (int code = session.Open(args); code != kOk) return code;
  auto stub = authpb::AuthAdminService::NewStub(session.channel());
  authpb::GetUserRequest request;
  request.set_user_id(args.positional[0]);
  grpc::ClientContext context;
  session.Prepare(&context);
  authpb::GetUserResponse response;
  grpc::Status status = stub->GetUser(&context, request, &response);
  if (!status.ok()) return Refused("GetUser", status);
  PrintJson(response);
  return kOk;
}

int AuditLog(const Args& args) {
  StaffSession session;
  if (int code = session.Open(args); code != kOk) return code;
  auto stub = authpb::AuthAdminService::NewStub(session.channel());
  authpb::ListAuditLogRequest request;
  request.set_target_user_id(args.Get("user"));
  request.set_action(args.Get("action"));
  request.set_page_size(50);
  grpc::ClientContext context;
  session.Prepare(&context);
  authpb::ListAuditLogResponse response;
  grpc::Status status = stub->ListAuditLog(&context, request, &response);
  if (!status.ok()) return Refused("ListAuditLog", status);
  PrintJson(response);
  return kOk;
}

int TrialBalance(const Args& args) {
  StaffSession session;
  if (int code = session.Open(args); code != kOk) return code;
  auto stub = ledgerpb::LedgerAdminService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Prepare(&context);
  ledgerpb::GetTrialBalanceResponse response;
  grpc::Status status =
      stub->GetTrialBalance(&context, ledgerpb::GetTrialBalanceRequest(), &response);
  if (!status.ok()) return Refused("GetTrialBalance", status);
  PrintJson(response);
  bool balanced = true;
  for (const auto& currency : response.currencies()) {
    if (!currency.balanced()) {
      std::fprintf(stderr, "the books of %s do NOT balance\n", currency.currency().c_str());
      balanced = false;
    }
  }
  return balanced ? kOk : kFailed;
}

}  // namespace

int StaffCommand(const std::string& command, const std::vector<std::string>& argv) {
  std::string error;
  if (command == "staff create") {
    Args args = Args::Parse(argv, With({"email", "role", "name"}), &error);
    if (!error.empty()) return (std::fprintf(stderr, "%s\n", error.c_str()), kBadUsage);
    return StaffCreate(args);
  }
  if (command == "user find" || command == "user show" || command == "trial-balance") {
    Args args = Args::Parse(argv, With({}), &error);
    if (!error.empty()) return (std::fprintf(stderr, "%s\n", error.c_str()), kBadUsage);
    if (command == "user find") return UserFind(args);
    if (command == "user show") return UserShow(args);
    return TrialBalance(args);
  }
  if (command == "audit") {
    Args args = Args::Parse(argv, With({"user", "action"}), &error);
    if (!error.empty()) return (std::fprintf(stderr, "%s\n", error.c_str()), kBadUsage);
    return AuditLog(args);
  }
  std::fprintf(stderr, "unknown command '%s'\n", command.c_str());
  return kBadUsage;
}

}  // namespace uwallet::ctl
