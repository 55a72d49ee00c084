#include "uwallet/grpcutil/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "uwallet/common/file.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/rpc_metrics.h"

namespace uwallet::grpcutil {
namespace {

using grpc::experimental::InterceptionHookPoints;

std::string NewRequestId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("%016x", random());
}

struct Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : handled(prometheus::BuildCounter()
                    .Name("uwallet_grpc_server_handled_total")
                    .Help("RPCs completed on the server, by method and status code")
                    .Register(registry)),
        latency(prometheus::BuildHistogram()
                    .Name("uwallet_grpc_server_handling_seconds")
                    .Help("Time from receiving the call to sending its status, by method")
                    .Register(registry)) {}
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& latency;
};

// Request id (read or made, visible to the handler), refusal of calls whose deadline already
// passed, one access-log line and the per-method metrics.
class ObservingInterceptor final : public grpc::experimental::Interceptor {
 public:
  ObservingInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics* metrics)
      : info_(info), metrics_(metrics), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      auto it = metadata->find(kRequestIdHeader);
      if (it != metadata->end() && it->second.size() > 0 && it->second.size() <= 128) {
        request_id_.assign(it->second.data(), it->second.size());
      } else {
        if (it != metadata->end()) metadata->erase(it);
        request_id_ = NewRequestId();
        metadata->emplace(kRequestIdHeader, request_id_);  // storage lives in this interceptor
      }
      if (info_->server_context()->deadline() < std::chrono::system_clock::now()) {
        info_->server_context()->TryCancel();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdHeader, request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      const std::string method = info_->method();
      const char* code = StatusCodeName(status.error_code());
      if (metrics_ != nullptr) {
        metrics_->handled.Add({{"method", method}, {"code", code}}).Increment();
        metrics_->latency.Add({{"method", method}}, RpcLatencyBuckets()).Observe(seconds);
      }
      log::ScopedRequestId scoped(request_id_);
      log::Write(status.ok() ? log::Level::kDebug : log::Level::kInfo, "rpc",
                 {{"method", method},
                  {"code", code},
                  {"ms", absl::StrFormat("%.3f", seconds * 1000)},
                  {"peer", info_->server_context()->peer()}});
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  Metrics* metrics_;
  std::chrono::steady_clock::time_point start_;
  std::string request_id_;
};

class ObservingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ObservingInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ObservingInterceptor(info, metrics_);
  }

 private:
  Metrics* metrics_;
};

}  // namespace

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void CommonFlags::Register(Config& config) {
  config.AddString("listen", &listen, "gRPC listen address (host:port)");
  config.AddString("metrics-listen", &metrics_listen,
                   "Prometheus /metrics address (host:port); empty disables it");
  config.AddString("log-level", &log_level, "debug, info, warn or error");
  config.AddString(
      "identity-key", &identity_key,
      "HMAC-SHA256 key for identity assertions, shared with the gateway (>= 32 bytes)");
  config.AddString("tls-cert", &tls_cert_file, "server certificate (PEM); empty: plaintext");
  config.AddString("tls-key", &tls_key_file, "server private key (PEM)");
  config.AddString("tls-client-ca", &tls_client_ca_file,
                   "CA (PEM) that client certificates must chain to; set: mTLS required");
  config.AddInt("max-message-bytes", &max_message_bytes, "largest message accepted or sent");
}

ServerOptions CommonFlags::ToServerOptions(const std::string& service_name) const {
  ServerOptions options;
  options.service_name = service_name;
  options.listen = listen;
  options.metrics_listen = metrics_listen;
  options.max_message_bytes = max_message_bytes;
  options.tls_cert_file = tls_cert_file;
  options.tls_key_file = tls_key_file;
  options.tls_client_ca_file = tls_client_ca_file;
  return options;
}

struct Server::Impl {
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<prometheus::Exposer> exposer;
  std::unique_ptr<Metrics> metrics;
  std::thread readiness;
  std::mutex mutex;
  std::condition_variable stop_cv;
  bool stopping = false;
  bool shut_down = false;
};

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      impl_(std::make_unique<Impl>()) {}

Server::~Server() { Shutdown(); }

void Server::AddService(grpc::Service* service) { services_.push_back(service); }
void Server::AddHealthName(std::string name) { health_names_.push_back(std::move(name)); }
void Server::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  collectables_.push_back(std::move(collectable));
}
void Server::SetReadinessCheck(std::function<absl::Status()> check) {
  readiness_check_ = std::move(check);
}

absl::Status Server::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  if (options_.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options_.tls_cert_file.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    UW_ASSIGN_OR_RETURN(std::string cert, ReadFile(options_.tls_cert_file));
    UW_ASSIGN_OR_RETURN(std::string key, ReadFile(options_.tls_key_file));
    ssl.pem_key_cert_pairs.push_back({key, cert});
    if (!options_.tls_client_ca_file.empty()) {
      UW_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options_.tls_client_ca_file));
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }

  if (!options_.metrics_listen.empty()) {
    try {
      impl_->exposer = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", options_.metrics_listen, ": ", e.what()));
    }
    impl_->exposer->RegisterCollectable(registry_);
    for (const auto& collectable : collectables_) impl_->exposer->RegisterCollectable(collectable);
  }
  impl_->metrics = std::make_unique<Metrics>(*registry_);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, credentials, &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  // No SO_REUSEPORT: a second copy of a service must fail to start, not share the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Keepalive so that dead peers (and streams to them) are noticed.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<ObservingInterceptorFactory>(impl_->metrics.get()));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  impl_->server = builder.BuildAndStart();
  if (impl_->server == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  auto* health = impl_->server->GetHealthCheckService();
  health->SetServingStatus(false);  // NOT_SERVING until the readiness check passes
  // Liveness says only that this process serves calls: a database outage must not make Kubernetes
  // restart every pod (readiness, the server as a whole, covers the dependencies).
  health->SetServingStatus(kLivenessHealthService, true);
  impl_->readiness = std::thread([this] { ReadinessLoop(); });
  log::Info("serving", {{"listen", options_.listen},
                        {"port", std::to_string(port_)},
                        {"metrics", options_.metrics_listen},
                        {"tls", options_.tls_cert_file.empty() ? "off" : "on"},
                        {"mtls", options_.tls_client_ca_file.empty() ? "off" : "on"}});
  return absl::OkStatus();
}

void Server::ReadinessLoop() {
  bool last = false;
  bool first = true;
  std::unique_lock<std::mutex> lock(impl_->mutex);
  while (!impl_->stopping) {
    lock.unlock();
    absl::Status ready = readiness_check_ ? readiness_check_() : absl::OkStatus();
    lock.lock();
    if (impl_->stopping) break;
    if (first || ready.ok() != last) {
      auto* health = impl_->server->GetHealthCheckService();
      health->SetServingStatus(ready.ok());  // sets every name, liveness too: set it back
      health->SetServingStatus(kLivenessHealthService, true);
      for (const auto& name : health_names_) health->SetServingStatus(name, ready.ok());
      if (ready.ok()) {
        log::Info("ready: health SERVING");
      } else {
        log::Warn("not ready: health NOT_SERVING", {{"why", std::string(ready.message())}});
      }
      last = ready.ok();
      first = false;
    }
    impl_->stop_cv.wait_for(
        lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.readiness_interval)));
  }
}

void Server::WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  sigwait(&set, &signal_number);
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  Shutdown();
}

void Server::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->readiness.joinable()) impl_->readiness.join();
  if (impl_->server != nullptr) {
    // Tell load balancers first, then let in-flight calls finish within the grace period.
    impl_->server->GetHealthCheckService()->SetServingStatus(false);
    impl_->server->Shutdown(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.shutdown_grace)));
    impl_->server->Wait();
  }
  impl_->exposer.reset();
  log::Info("stopped");
}

}  // namespace uwallet::grpcutil
