// uwallet-gateway: one endpoint for apps (gRPC on --listen, gRPC-Web on --http-listen). See
// services/gateway/README.md.
#include <memory>
#include <vector>

#include "absl/strings/str_split.h"
#include "services/gateway/core/routes.h"
#include "services/gateway/grpc/forwarder.h"
#include "services/gateway/grpc/grpc_frontend.h"
#include "services/gateway/grpc/home.h"
#include "services/gateway/web/web_server.h"
#include "uwallet/service/runtime.h"

int main(int argc, char** argv) {
  using namespace uwallet;
  using namespace uwallet::gateway;

  GatewayOptions options;
  WebOptions web;
  web.listen = "127.0.0.1:8080";
  std::string cors_origins;
  int64_t workers = options.workers;
  int64_t web_threads = web.threads;

  std::unique_ptr<RouteTable> routes;
  std::unique_ptr<AuthSessionValidator> sessions;
  std::unique_ptr<HomeHandler> home;
  std::unique_ptr<Forwarder> forwarder;
  std::unique_ptr<WebServer> web_server;

  return service::Run(
      argc, argv,
      {
          .name = "gateway",
          .uses_redis = true,
          .default_listen = "127.0.0.1:50050",
          .default_metrics_listen = "127.0.0.1:9100",
          .register_flags =
              [&](Config& config) {
                config.AddString("http-listen", &web.listen,
                                 "gRPC-Web and web console listen address (HTTP/1.1)");
                config.AddString("cors-origins", &cors_origins,
                                 "comma-separated origins allowed cross-origin (\"*\" for any); "
                                 "the listener's own origin is always allowed");
                config.AddString("http-tls-cert", &web.tls_cert_file,
                                 "PEM certificate chain for HTTPS on --http-listen (empty: plain "
                                 "HTTP, for TLS terminated in front)");
                config.AddString("http-tls-key", &web.tls_key_file,
                                 "PEM private key for --http-tls-cert");
                config.AddString("web-root", &web.web_root,
                                 "folder of static files to serve (the web console); empty: none");
                config.AddInt("workers", &workers, "admission worker threads");
                config.AddInt("web-threads", &web_threads, "HTTP I/O threads");
                config.AddDuration("default-deadline", &options.default_deadline,
                                   "deadline of a unary call whose client set none");
                config.AddDuration("session-cache-ttl", &options.session_cache_ttl,
                                   "how long a validated session is trusted without asking auth");
                config.AddInt("ip-burst", &options.ip_burst, "per-IP token bucket size");
                config.AddInt("user-burst", &options.user_burst, "per-user token bucket size");
              },
          .build = [&](service::Runtime& runtime)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            options.workers = static_cast<int>(workers);
            web.threads = static_cast<int>(web_threads);
            for (absl::string_view origin : absl::StrSplit(cors_origins, ',', absl::SkipEmpty())) {
              web.cors_origins.emplace_back(origin);
            }
            absl::StatusOr<RouteTable> table =
                RouteTable::Build({.dev_mailbox = runtime.dev_mailbox});
            if (!table.ok()) return table.status();
            routes = std::make_unique<RouteTable>(*std::move(table));
            Forwarder::Upstreams upstreams{.auth = runtime.Channel(runtime.peers.auth),
                                           .ledger = runtime.Channel(runtime.peers.ledger),
                                           .payments = runtime.Channel(runtime.peers.payments),
                                           .support = runtime.Channel(runtime.peers.support),
                                           .fraud = runtime.Channel(runtime.peers.fraud)};
            sessions = std::make_unique<AuthSessionValidator>(
                upstreams.auth, *runtime.signer, *runtime.clock, options.session_cache_ttl,
                options.step_up_window);
            home = std::make_unique<HomeHandler>(upstreams, *runtime.clock);
            options.max_message_bytes = 4 * 1024 * 1024;
            forwarder = std::make_unique<Forwarder>(options, *routes, upstreams, *sessions,
                                                    runtime.redis, *runtime.signer, *runtime.clock,
                                                    home.get(), *runtime.server->metrics());
            web.max_message_bytes = options.max_message_bytes;
            return MakeForwardingServices(*forwarder);
          },
          .start_background = [&](service::Runtime&) -> absl::Status {
            web_server = std::make_unique<WebServer>(web, *forwarder);
            return web_server->Start();
          },
          .stop_background = [&]() { web_server.reset(); },
      });
}
