#pragma once
// The heart of the gateway, shared by the gRPC and the gRPC-Web listeners:
//   admission (on a bounded worker pool): per-IP rate limit, session validation (auth, cached for
//   about a second), the authorisation table, per-user rate limit, signing the identity assertion;
//   then the upstream call (async, callback API) by full method name with raw bytes, so no RPC
//   needs hand-written forwarding code; server streams are relayed with backpressure.
// Headers a client sends in the internal namespace (x-uwallet-*) are never forwarded.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/gateway/core/routes.h"
#include "services/gateway/core/session_cache.h"
#include "uwallet/common/clock.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/redis/pool.h"
#include "uwallet/redis/token_bucket.h"

namespace uwallet::gateway {

struct GatewayOptions {
  absl::Duration default_deadline = absl::Seconds(15);  // unary calls with no grpc-timeout
  absl::Duration stream_deadline_max = absl::Hours(1);  // live chat / alert streams
  absl::Duration unary_deadline_max = absl::Seconds(60);
  absl::Duration session_cache_ttl = absl::Seconds(1);
  absl::Duration auth_timeout = absl::Seconds(2);
  absl::Duration step_up_window = absl::Minutes(5);
  int64_t ip_burst = 200;
  double ip_per_second = 100;
  int64_t user_burst = 100;
  double user_per_second = 50;
  int workers = 8;
  int queue_max = 4096;
  int64_t max_message_bytes = 4 * 1024 * 1024;
};

// A call as it arrived, whatever the listener.
struct IncomingCall {
  std::string method;  // "/uwallet.auth.v1.AuthService/Login"
  std::string bearer_token;
  std::string request_id;
  std::string client_ip;
  std::string device_id;
  std::chrono::system_clock::time_point deadline;  // max() when the client set none
  grpc::ByteBuffer request;
  const char* protocol = "grpc";  // "grpc" or "grpc-web": the metrics label
};

// Where responses go: the gRPC reactor or the gRPC-Web HTTP response.
class Sink {
 public:
  virtual ~Sink() = default;
  // One response message; `done(ok)` runs once it was written (false: the client went away).
  // At most one Write is outstanding at a time.
  virtual void Write(const grpc::ByteBuffer& message, std::function<void(bool ok)> done) = 0;
  // Exactly once per call.
  virtual void Finish(const grpc::Status& status) = 0;
};

// Lets the listener cancel the upstream call when the client goes away.
class CallHandle {
 public:
  void Cancel();
  void Attach(grpc::ClientContext* context);  // nullptr detaches
  [[nodiscard]] bool cancelled();

 private:
  std::mutex mutex_;
  grpc::ClientContext* context_ = nullptr;
  bool cancelled_ = false;
};

// Validates bearer tokens against auth (AuthInternalService.ValidateSession).
class SessionValidator {
 public:
  virtual ~SessionValidator() = default;
  [[nodiscard]] virtual absl::StatusOr<grpcutil::Identity> Validate(
      const std::string& token, const std::string& client_ip,
      std::chrono::system_clock::time_point deadline) = 0;
};

// Answers methods the gateway serves itself (GatewayService).
class LocalHandler {
 public:
  virtual ~LocalHandler() = default;
  [[nodiscard]] virtual absl::StatusOr<grpc::ByteBuffer> Handle(
      const std::string& method, const grpcutil::Identity& identity,
      const std::string& identity_assertion, const grpc::ByteBuffer& request,
      std::chrono::system_clock::time_point deadline) = 0;
};

class Forwarder {
 public:
  struct Upstreams {
    std::shared_ptr<grpc::Channel> auth, ledger, payments, support, fraud;
  };
  Forwarder(GatewayOptions options, const RouteTable& routes, Upstreams upstreams,
            SessionValidator& sessions, redis::Pool* redis, const grpcutil::IdentitySigner& signer,
            const Clock& clock, LocalHandler* local, prometheus::Registry& metrics);
  ~Forwarder();

  // Admits and forwards; `sink->Finish` is called exactly once, on any thread.
  std::shared_ptr<CallHandle> Forward(IncomingCall call, std::shared_ptr<Sink> sink);
  [[nodiscard]] const RouteTable& routes() const { return routes_; }
  [[nodiscard]] const GatewayOptions& options() const { return options_; }

  // Admission alone (exposed for tests): the identity to forward, or the refusal.
  [[nodiscard]] absl::StatusOr<grpcutil::Identity> Admit(const Route& route,
                                                         const IncomingCall& call);

 private:
  void Work();
  void Run(IncomingCall call, std::shared_ptr<Sink> sink, std::shared_ptr<CallHandle> handle);
  [[nodiscard]] absl::Status RateLimit(const std::string& key, bool per_user);
  std::shared_ptr<grpc::Channel> ChannelFor(Upstream upstream);

  GatewayOptions options_;
  const RouteTable& routes_;
  Upstreams upstreams_;
  SessionValidator& sessions_;
  redis::Pool* redis_;
  const grpcutil::IdentitySigner& signer_;
  const Clock& clock_;
  LocalHandler* local_;
  std::unique_ptr<redis::TokenBucket> ip_bucket_;
  std::unique_ptr<redis::TokenBucket> user_bucket_;
  prometheus::Family<prometheus::Counter>& refused_;
  // Every call by protocol, method and final code, and its latency (both listeners).
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  prometheus::Gauge& queued_;  // calls waiting for a forwarding worker

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Validates against the auth service, with the short cache in front.
class AuthSessionValidator final : public SessionValidator {
 public:
  AuthSessionValidator(std::shared_ptr<grpc::Channel> auth, const grpcutil::IdentitySigner& signer,
                       const Clock& clock, absl::Duration cache_ttl, absl::Duration step_up_window)
      : auth_(std::move(auth)),
        signer_(signer),
        cache_(clock, cache_ttl),
        step_up_window_(step_up_window) {}
  [[nodiscard]] absl::StatusOr<grpcutil::Identity> Validate(
      const std::string& token, const std::string& client_ip,
      std::chrono::system_clock::time_point deadline) override;

 private:
  std::shared_ptr<grpc::Channel> auth_;
  const grpcutil::IdentitySigner& signer_;
  SessionCache cache_;
  absl::Duration step_up_window_;
};

// "ipv4:10.1.2.3:5555" / "ipv6:[::1]:5555" → "10.1.2.3" / "::1".
[[nodiscard]] std::string IpFromPeer(absl::string_view peer);

}  // namespace uwallet::gateway
