#pragma once
// The gateway's HTTP/1.1 listener (Boost.Beast, optionally TLS): gRPC-Web for browsers (unary and
// server streaming over a chunked response, binary and -text encodings, CORS with an allowlist),
// and the web console's static files. Calls go through the same Forwarder as native gRPC.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/gateway/grpc/forwarder.h"

namespace uwallet::gateway {

struct WebOptions {
  std::string listen = "127.0.0.1:8080";
  std::vector<std::string> cors_origins;  // exact origins allowed cross-origin; "*" = any
  int threads = 2;
  int64_t max_message_bytes = 4 * 1024 * 1024;
  int64_t header_bytes_max = 16 * 1024;
  absl::Duration idle_timeout = absl::Seconds(60);
  std::string web_root;  // static files (the web console); empty: none
  // PEM certificate chain and key: the listener speaks HTTPS only. Browsers need a certificate
  // they trust (a public CA), so this is separate from the service mesh's --tls-cert.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class WebServer {
 public:
  WebServer(WebOptions options, Forwarder& forwarder);
  ~WebServer();
  [[nodiscard]] absl::Status Start();
  [[nodiscard]] int port() const { return port_; }
  void Stop();

  struct Impl;

 private:
  WebOptions options_;
  Forwarder& forwarder_;
  std::shared_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

}  // namespace uwallet::gateway
