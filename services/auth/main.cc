// uwallet-auth: see services/auth/README.md.
#include <memory>
#include <string>
#include <vector>

#include "services/auth/core/auth_core.h"
#include "services/auth/grpc/services.h"
#include "services/auth/schema/migrations.h"
#include "services/auth/storage/log_notifier.h"
#include "services/auth/storage/pg_store.h"
#include "services/auth/storage/redis_stores.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/password.h"
#include "uwallet/events/events.h"
#include "uwallet/service/metrics.h"
#include "uwallet/service/runtime.h"

namespace uwallet::auth {
namespace {

struct Flags {
  std::string totp_key_hex;
  std::string bootstrap_admin;  // "email:password"
  int64_t logins_per_ip_per_minute = AuthLimits{}.logins_per_ip_per_minute;
  int64_t code_sends_per_ip_per_hour = AuthLimits{}.code_sends_per_ip_per_hour;
  int64_t registrations_per_ip_per_hour = AuthLimits{}.registrations_per_ip_per_hour;
  bool new_device_challenge = AuthLimits{}.new_device_challenge;
  int64_t new_device_codes_per_user_per_hour = AuthLimits{}.new_device_codes_per_user_per_hour;
  int64_t password_hash_slots = 0;  // 0: the cores the process may use
};

// Everything the handlers use; alive for the whole process.
struct Wiring {
  std::unique_ptr<events::Outbox> outbox;
  std::unique_ptr<PgAuthStore> store;
  std::unique_ptr<RedisSessionStore> sessions;
  std::unique_ptr<RedisCodeStore> codes;
  std::unique_ptr<RedisRateLimiter> limits;
  std::unique_ptr<RedisTokenStore> tokens;
  std::unique_ptr<notify::DevMailbox> mailbox;
  std::unique_ptr<notify::Notifier> log_notifier;
  std::unique_ptr<AuthCore> core;
  std::unique_ptr<events::Relay> relay;
};

Flags& TheFlags() {
  static Flags flags;
  return flags;
}

Wiring& TheWiring() {
  static Wiring wiring;
  return wiring;
}

void RegisterFlags(Config& config) {
  Flags& flags = TheFlags();
  config.AddString("totp-key", &flags.totp_key_hex,
                   "64 hex digits (32 bytes): master key for TOTP secrets at rest (AES-256-GCM) "
                   "and code hashes; required unless --dev-mailbox is on");
  config.AddString("bootstrap-admin", &flags.bootstrap_admin,
                   "email:password of an admin to create at start when no admin exists");
  config.AddInt("logins-per-ip-per-minute", &flags.logins_per_ip_per_minute,
                "sign-in attempts per client IP per minute (0: no limit)");
  config.AddInt("code-sends-per-ip-per-hour", &flags.code_sends_per_ip_per_hour,
                "verification codes sent per client IP per hour (0: no limit)");
  config.AddInt("registrations-per-ip-per-hour", &flags.registrations_per_ip_per_hour,
                "registrations per client IP per hour (0: no limit)");
  config.AddBool("new-device-challenge", &flags.new_device_challenge,
                 "challenge a sign-in from a new device with a code sent to the verified contact "
                 "(users with at least one known device)");
  config.AddInt("new-device-codes-per-user-per-hour", &flags.new_device_codes_per_user_per_hour,
                "sign-in codes for new devices sent per user per hour");
  config.AddInt("password-hash-slots", &flags.password_hash_slots,
                "argon2id computations at once, 19 MiB each (0: the CPUs "
                "the process may use, from its affinity and cgroup CPU quota)");
}

absl::StatusOr<AuthKeys> LoadKeys(const service::Runtime& runtime) {
  const Flags& flags = TheFlags();
  if (flags.totp_key_hex.empty()) {
    if (!runtime.dev_mailbox) {
      return absl::InvalidArgumentError(
          "--totp-key (UWALLET_TOTP_KEY) is required: 64 hex digits, e.g. from "
          "`openssl rand -hex 32`");
    }
    log::Warn("no --totp-key: using the public development key (dev mailbox is on)");
    return AuthKeys::Derive(AuthKeys::DevelopmentMasterKey());
  }
  absl::StatusOr<std::string> key = crypto::HexDecode(flags.totp_key_hex);
  if (!key.ok() || key->size() != 32) {
    return absl::InvalidArgumentError("--totp-key must be 64 hex digits (32 bytes)");
  }
  return AuthKeys::Derive(*key);
}

absl::Status Bootstrap(AuthCore& core) {
  const std::string& spec = TheFlags().bootstrap_admin;
  if (spec.empty()) return absl::OkStatus();
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("--bootstrap-admin must be email:password");
  }
  absl::StatusOr<std::optional<std::string>> created =
      core.BootstrapAdmin(spec.substr(0, colon), spec.substr(colon + 1));
  if (!created.ok()) {
    if (created.status().code() == absl::StatusCode::kAlreadyExists) {
      log::Warn("bootstrap admin not created: an admin or that email exists already");
      return absl::OkStatus();
    }
    return created.status();
  }
  if (created->has_value()) {
    log::Info("bootstrap admin created", {{"user", **created}});
  } else {
    log::Info("bootstrap admin not needed: an admin exists");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> Build(service::Runtime& runtime) {
  UW_ASSIGN_OR_RETURN(AuthKeys keys, LoadKeys(runtime));
  const Flags& flags = TheFlags();
  if (flags.password_hash_slots < 0 || flags.password_hash_slots > 256) {
    return absl::InvalidArgumentError("--password-hash-slots must be 0..256");
  }
  if (flags.password_hash_slots > 0) {
    crypto::SetPasswordHashConcurrency(static_cast<int>(flags.password_hash_slots));
  }
  log::Info("password hashing", {{"slots", std::to_string(crypto::PasswordHashConcurrency())}});
  Wiring& w = TheWiring();
  w.outbox = std::make_unique<events::Outbox>("auth", *runtime.ids, *runtime.clock);
  w.store = std::make_unique<PgAuthStore>(*runtime.pg, *w.outbox);
  w.sessions = std::make_unique<RedisSessionStore>(*runtime.redis);
  w.codes = std::make_unique<RedisCodeStore>(*runtime.redis);
  w.limits = std::make_unique<RedisRateLimiter>(*runtime.redis);
  w.tokens = std::make_unique<RedisTokenStore>(*runtime.redis);
  notify::Notifier* notifier = nullptr;
  if (runtime.dev_mailbox) {
    w.mailbox = std::make_unique<notify::DevMailbox>(*runtime.redis, *runtime.clock);
    notifier = w.mailbox.get();
  } else {
    w.log_notifier = std::make_unique<LogOnlyNotifier>();
    notifier = w.log_notifier.get();
  }
  AuthLimits limits;
  limits.logins_per_ip_per_minute = flags.logins_per_ip_per_minute;
  limits.code_sends_per_ip_per_hour = flags.code_sends_per_ip_per_hour;
  limits.registrations_per_ip_per_hour = flags.registrations_per_ip_per_hour;
  limits.new_device_challenge = flags.new_device_challenge;
  limits.new_device_codes_per_user_per_hour = flags.new_device_codes_per_user_per_hour;
  w.core = std::make_unique<AuthCore>(AuthCore::Deps{.store = w.store.get(),
                                                     .sessions = w.sessions.get(),
                                                     .codes = w.codes.get(),
                                                     .limits = w.limits.get(),
                                                     .tokens = w.tokens.get(),
                                                     .notifier = notifier,
                                                     .clock = runtime.clock,
                                                     .ids = runtime.ids},
                                      std::move(keys), limits);
  UW_RETURN_IF_ERROR(Bootstrap(*w.core));

  std::vector<std::shared_ptr<grpc::Service>> services;
  services.push_back(std::make_shared<grpcapi::AuthServiceImpl>(*w.core, *runtime.signer));
  services.push_back(
      std::make_shared<grpcapi::AuthAdminServiceImpl>(*w.core, *runtime.signer, *runtime.clock));
  services.push_back(std::make_shared<grpcapi::AuthInternalServiceImpl>(*w.core, *runtime.signer));
  if (runtime.dev_mailbox) {
    services.push_back(
        std::make_shared<grpcapi::DevMailboxServiceImpl>(*w.mailbox, *runtime.signer));
  }
  return services;
}

}  // namespace
}  // namespace uwallet::auth

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "auth",
          .schema = "auth",
          .migrations = uwallet::auth::Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50051",
          .default_metrics_listen = "127.0.0.1:9101",
          .health_names = {"uwallet.auth.v1.AuthService", "uwallet.auth.v1.AuthAdminService",
                           "uwallet.auth.v1.AuthInternalService"},
          .register_flags = uwallet::auth::RegisterFlags,
          .build = uwallet::auth::Build,
          .start_background = [](uwallet::service::Runtime& runtime) -> absl::Status {
            auto& wiring = uwallet::auth::TheWiring();
            wiring.relay = std::make_unique<uwallet::events::Relay>(*runtime.pg, *runtime.redis);
            wiring.relay->OnPublished(uwallet::service::EventMetrics(*runtime.server->metrics()));
            wiring.relay->Start();
            return absl::OkStatus();
          },
          .stop_background =
              [] {
                auto& wiring = uwallet::auth::TheWiring();
                if (wiring.relay) wiring.relay->Stop();
              },
      });
}
