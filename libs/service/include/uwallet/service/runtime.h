#pragma once
// What every service's main() shares: flags (with UWALLET_* environment overrides), logging,
// PostgreSQL pool + migrations into the service's own schema, Redis pool, identity signer, clock
// and ids, the gRPC server with health/reflection/metrics, readiness (NOT_SERVING until PostgreSQL
// and Redis answer) and a graceful stop on SIGTERM. A service main is then a few lines:
//
//   int main(int argc, char** argv) {
//     return uwallet::service::Run(argc, argv, {.name = "auth", .schema = "auth", ...});
//   }

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/config.h"
#include "uwallet/common/ids.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/server.h"
#include "uwallet/pg/migrate.h"
#include "uwallet/pg/pg.h"
#include "uwallet/redis/pool.h"

namespace uwallet::service {

// Addresses of the other services (flags --auth-addr etc.), for services that call them.
struct Peers {
  std::string auth;
  std::string ledger;
  std::string payments;
  std::string support;
  std::string fraud;
};

// Everything a service's wiring needs, alive until the process stops.
struct Runtime {
  std::string name;
  const Clock* clock = nullptr;
  IdGenerator* ids = nullptr;
  pg::Pool* pg = nullptr;        // null when the service has no schema
  redis::Pool* redis = nullptr;  // null when the service does not use Redis
  const grpcutil::IdentitySigner* signer = nullptr;
  grpcutil::Server* server = nullptr;  // metrics registry, port
  Peers peers;
  bool dev_mailbox = false;  // the development mailbox RPC is enabled (local runs and tests only)
  // Channel to another service, created once (TLS/mTLS when certificates are configured).
  [[nodiscard]] std::shared_ptr<grpc::Channel> Channel(const std::string& address);
  struct ChannelCache;
  std::shared_ptr<ChannelCache> channels;
};

struct ServiceSpec {
  std::string name;    // "auth": log field, metrics, identity of its own calls
  std::string schema;  // PostgreSQL schema it owns; empty: no database
  std::vector<pg::Migration> migrations;
  bool uses_redis = true;
  std::string default_listen;             // "127.0.0.1:50051"
  std::string default_metrics_listen;     // "127.0.0.1:9101"
  std::vector<std::string> health_names;  // full service names reported by health
  // Registers the service's own flags (bound to variables that outlive Run).
  std::function<void(Config&)> register_flags;
  // Builds the gRPC services; they must stay alive as long as the returned objects do.
  std::function<absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>>(Runtime&)> build;
  // Background work (workers, relays) started after the server is up and stopped before it goes.
  std::function<absl::Status(Runtime&)> start_background;
  std::function<void()> stop_background;
};

// Parses flags, wires everything, serves until SIGTERM/SIGINT. Returns the process exit code.
int Run(int argc, char** argv, ServiceSpec spec);

// Channel credentials for calls to other services (TLS/mTLS when the flags configure it).
struct ClientTls {
  std::string ca_file;    // trust these roots; empty → plaintext
  std::string cert_file;  // client certificate for mTLS
  std::string key_file;
};
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTls& tls);

}  // namespace uwallet::service
