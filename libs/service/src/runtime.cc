#include "uwallet/service/runtime.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "uwallet/common/file.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"
#include "uwallet/events/events.h"
#include "uwallet/service/metrics.h"

namespace uwallet::service {
namespace {

int Fail(absl::string_view what, const absl::Status& status) {
  log::Error(what, {{"error", status.ToString()}});
  return 1;
}

}  // namespace

struct Runtime::ChannelCache {
  std::mutex mutex;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  int64_t max_message_bytes = 4 * 1024 * 1024;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
};

std::shared_ptr<grpc::Channel> Runtime::Channel(const std::string& address) {
  std::lock_guard<std::mutex> lock(channels->mutex);
  auto& channel = channels->channels[address];
  if (channel == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(channels->max_message_bytes));
    args.SetMaxSendMessageSize(static_cast<int>(channels->max_message_bytes));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    channel = grpc::CreateCustomChannel(address, channels->credentials, args);
  }
  return channel;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTls& tls) {
  if (tls.ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  UW_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(tls.ca_file));
  if (!tls.cert_file.empty()) {
    UW_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(tls.cert_file));
    UW_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(tls.key_file));
  }
  return grpc::SslCredentials(ssl);
}

int Run(int argc, char** argv, ServiceSpec spec) {
  grpcutil::BlockTerminationSignals();
  log::SetService(spec.name);

  grpcutil::CommonFlags common;
  common.listen = spec.default_listen;
  common.metrics_listen = spec.default_metrics_listen;
  std::string pg_dsn = "host=127.0.0.1 port=55432 user=uwallet dbname=uwallet";
  int64_t pg_pool_size = 16;
  absl::Duration pg_statement_timeout = absl::Seconds(5);
  absl::Duration outbox_retention = absl::Hours(24 * 7);
  absl::Duration outbox_prune_every = events::OutboxPruner::kInterval;
  std::string redis_addr = "127.0.0.1:56379";
  int64_t redis_pool_size = 16;
  std::string redis_prefix;
  std::string redis_password;
  bool dev_mailbox = false;
  bool migrate_only = false;
  Peers peers{.auth = "127.0.0.1:50051",
              .ledger = "127.0.0.1:50052",
              .payments = "127.0.0.1:50053",
              .support = "127.0.0.1:50054",
              .fraud = "127.0.0.1:50055"};
  ClientTls client_tls;

  Config config(absl::StrCat("uwallet-", spec.name));
  common.Register(config);
  if (!spec.schema.empty()) {
    config.AddString("pg-dsn", &pg_dsn,
                     "PostgreSQL connection string (libpq keyword/value or URI)");
    config.AddInt("pg-pool-size", &pg_pool_size, "PostgreSQL connections at most");
    config.AddDuration("pg-statement-timeout", &pg_statement_timeout, "per-statement timeout");
    config.AddDuration("outbox-retention", &outbox_retention,
                       "how long published events stay in the outbox for `uwctl outbox replay` "
                       "(exactly-once markers a day longer); 0: keep everything");
    config.AddDuration("outbox-prune-every", &outbox_prune_every,
                       "time between two passes of the outbox pruner (the first one comes a "
                       "minute after start, or sooner if this is shorter)");
  }
  if (spec.uses_redis) {
    config.AddString("redis-addr", &redis_addr, "Redis host:port");
    config.AddInt("redis-pool-size", &redis_pool_size, "Redis connections at most");
    config.AddString("redis-prefix", &redis_prefix, "prefix for every Redis key");
    config.AddString(
        "redis-password", &redis_password,
        "Redis AUTH password (prefer the UWALLET_REDIS_PASSWORD environment variable)");
  }
  config.AddBool("migrate-only", &migrate_only,
                 "apply this service's database migrations, then exit (the migrations Job)");
  config.AddBool(
      "dev-mailbox", &dev_mailbox,
      "enable the development mailbox RPC (local runs and tests only, never production)");
  config.AddString("auth-addr", &peers.auth, "auth service address");
  config.AddString("ledger-addr", &peers.ledger, "ledger service address");
  config.AddString("payments-addr", &peers.payments, "payments service address");
  config.AddString("support-addr", &peers.support, "support service address");
  config.AddString("fraud-addr", &peers.fraud, "fraud service address");
  config.AddString("tls-ca", &client_tls.ca_file,
                   "CA (PEM) to verify other services; set: calls to them use TLS");
  config.AddString("tls-client-cert", &client_tls.cert_file, "client certificate for mTLS calls");
  config.AddString("tls-client-key", &client_tls.key_file, "client key for mTLS calls");
  if (spec.register_flags) spec.register_flags(config);

  if (absl::Status status = config.Parse(argc, argv); !status.ok()) {
    if (status.code() == absl::StatusCode::kCancelled) {
      std::fputs(std::string(status.message()).c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "%s\n%s", std::string(status.message()).c_str(), config.Usage().c_str());
    return 2;
  }
  if (outbox_retention < absl::ZeroDuration()) {
    std::fprintf(stderr, "--outbox-retention must be 0 (keep everything) or more\n");
    return 2;
  }
  if (outbox_prune_every <= absl::ZeroDuration()) {
    std::fprintf(stderr, "--outbox-prune-every must be more than 0\n");
    return 2;
  }
  log::Level level = log::Level::kInfo;
  if (!log::ParseLevel(common.log_level, &level)) {
    std::fprintf(stderr, "--log-level must be debug, info, warn or error\n");
    return 2;
  }
  log::SetMinLevel(level);

  Runtime runtime;
  runtime.name = spec.name;
  runtime.clock = &RealClock::Instance();
  UuidV7Generator ids(*runtime.clock);
  runtime.ids = &ids;
  runtime.peers = peers;
  runtime.dev_mailbox = dev_mailbox;
  if (dev_mailbox) log::Warn("development mailbox enabled: never do this in production");

  // A migrations Job needs no identity key: it serves nothing.
  auto signer = grpcutil::IdentitySigner::Create(
      migrate_only ? std::string(32, 'm') : common.identity_key, *runtime.clock);
  if (!signer.ok()) return Fail("bad --identity-key", signer.status());
  runtime.signer = &*signer;

  runtime.channels = std::make_shared<Runtime::ChannelCache>();
  runtime.channels->max_message_bytes = common.max_message_bytes;
  auto credentials = MakeChannelCredentials(client_tls);
  if (!credentials.ok()) return Fail("bad client TLS flags", credentials.status());
  runtime.channels->credentials = *credentials;

  std::unique_ptr<pg::Pool> pg_pool;
  if (!spec.schema.empty()) {
    auto pool = pg::Pool::Create({.conninfo = pg_dsn,
                                  .search_path = spec.schema,
                                  .size = static_cast<int>(pg_pool_size),
                                  .statement_timeout = pg_statement_timeout,
                                  .application_name = absl::StrCat("uwallet-", spec.name)});
    if (!pool.ok()) return Fail("cannot reach PostgreSQL", pool.status());
    pg_pool = *std::move(pool);
    if (absl::Status status = pg::Migrate(*pg_pool, spec.schema, spec.migrations); !status.ok()) {
      return Fail("migrations failed", status);
    }
    runtime.pg = pg_pool.get();
  }
  if (migrate_only) {
    log::Info("migrations applied; exiting (--migrate-only)");
    return 0;
  }

  std::unique_ptr<redis::Pool> redis_pool;
  if (spec.uses_redis) {
    auto address = redis::ParseHostPort(redis_addr);
    if (!address.ok()) return Fail("bad --redis-addr", address.status());
    auto pool = redis::Pool::Create({.host = address->host,
                                     .port = address->port,
                                     .password = redis_password,
                                     .client_name = absl::StrCat("uwallet-", spec.name),
                                     .pool_size = static_cast<int>(redis_pool_size),
                                     .key_prefix = redis_prefix});
    if (!pool.ok()) return Fail("bad Redis settings", pool.status());
    redis_pool = *std::move(pool);
    runtime.redis = redis_pool.get();
  }

  grpcutil::ServerOptions server_options = common.ToServerOptions(spec.name);
  grpcutil::Server server(server_options);
  runtime.server = &server;
  auto services = spec.build(runtime);
  if (!services.ok()) return Fail("cannot build services", services.status());
  for (const auto& service : *services) server.AddService(service.get());
  for (const auto& name : spec.health_names) server.AddHealthName(name);
  server.AddCollectable(PasswordHashMetrics());
  PoolGauges pool_gauges(*server.metrics(), runtime.pg, runtime.redis);
  server.SetReadinessCheck([&]() -> absl::Status {
    pool_gauges.Sample();  // before the check borrows a connection of its own
    if (runtime.pg != nullptr) {
      UW_RETURN_IF_ERROR(Annotate(runtime.pg->Exec("SELECT 1").status(), "postgres"));
    }
    if (runtime.redis != nullptr) UW_RETURN_IF_ERROR(Annotate(runtime.redis->Ping(), "redis"));
    return absl::OkStatus();
  });
  if (absl::Status status = server.Start(); !status.ok()) return Fail("cannot start", status);
  // Every schema with the outbox migration (version 0) keeps its outbox tables bounded.
  std::unique_ptr<events::OutboxPruner> pruner;
  const pg::Migration outbox = events::OutboxMigration();
  const bool has_outbox =
      runtime.pg != nullptr &&
      std::any_of(spec.migrations.begin(), spec.migrations.end(), [&](const pg::Migration& m) {
        return m.version == outbox.version && m.name == outbox.name;
      });
  if (has_outbox) {
    pruner = std::make_unique<events::OutboxPruner>(
        *runtime.pg, outbox_retention, outbox_prune_every, OutboxPruneMetrics(*server.metrics()));
    pruner->Start();
  }
  if (spec.start_background) {
    if (absl::Status status = spec.start_background(runtime); !status.ok()) {
      server.Shutdown();
      return Fail("cannot start background work", status);
    }
  }
  server.WaitForTerminationSignal();
  if (spec.stop_background) spec.stop_background();
  if (pruner) pruner->Stop();
  return 0;
}

}  // namespace uwallet::service
