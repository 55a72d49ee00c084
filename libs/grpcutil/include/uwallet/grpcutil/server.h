#pragma once
// The one way a uwallet service starts: health (grpc.health.v1, NOT_SERVING until its
// dependencies answer), reflection, interceptors (request id, access log, per-method metrics,
// expired-deadline check), Prometheus metrics on a side port, message size limits, and a graceful
// shutdown on SIGTERM/SIGINT.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "prometheus/registry.h"
#include "uwallet/common/config.h"

namespace uwallet::grpcutil {

// Blocks SIGTERM/SIGINT in this thread and every thread it starts later, so that Server::Run can
// wait for them with sigwait. Call first thing in main, before any thread exists.
void BlockTerminationSignals();

// The grpc.health.v1 service name that is SERVING as long as the process serves calls, whatever
// its dependencies do: for liveness probes. The empty name (the server as a whole) is readiness.
inline constexpr char kLivenessHealthService[] = "liveness";

struct ServerOptions {
  std::string service_name;                           // "auth"
  std::string listen = "127.0.0.1:0";                 // gRPC address
  std::string metrics_listen;                         // "127.0.0.1:9101"; empty → no metrics port
  int64_t max_message_bytes = 4 * 1024 * 1024;        // per message, both directions
  absl::Duration shutdown_grace = absl::Seconds(10);  // in-flight calls get this long on SIGTERM
  absl::Duration readiness_interval = absl::Seconds(2);
  bool reflection = true;
  std::string tls_cert_file;  // PEM; empty → plaintext
  std::string tls_key_file;
  std::string tls_client_ca_file;  // set → clients must present a certificate
};

// Registers the flags every service shares (listen, metrics, TLS, log level, identity key...).
struct CommonFlags {
  std::string listen;
  std::string metrics_listen;
  std::string log_level = "info";
  std::string identity_key;  // HMAC key shared with the gateway (≥ 32 bytes)
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int64_t max_message_bytes = 4 * 1024 * 1024;
  void Register(Config& config);
  [[nodiscard]] ServerOptions ToServerOptions(const std::string& service_name) const;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Services must outlive the server.
  void AddService(grpc::Service* service);
  // Names reported by health under their own key too (e.g. "uwallet.auth.v1.AuthService").
  void AddHealthName(std::string full_service_name);
  // Polled every readiness_interval; health says SERVING only while it returns OK.
  void SetReadinessCheck(std::function<absl::Status()> check);
  [[nodiscard]] std::shared_ptr<prometheus::Registry> metrics() const { return registry_; }
  // Metrics computed when scraped, served beside metrics() (call before Start).
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Binds and starts serving; the port actually bound is in port() (for listen ":0").
  [[nodiscard]] absl::Status Start();
  [[nodiscard]] int port() const { return port_; }
  // Blocks until SIGTERM/SIGINT, then shuts down gracefully.
  void WaitForTerminationSignal();
  // Stops serving: new calls are refused, in-flight ones get the grace period.
  void Shutdown();

 private:
  void ReadinessLoop();

  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::vector<std::string> health_names_;
  std::function<absl::Status()> readiness_check_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace uwallet::grpcutil
