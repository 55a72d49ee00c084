#include "services/gateway/web/web_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/gateway/web/grpc_web_codec.h"
#include "uwallet/common/log.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr char kAllowHeaders[] =
    "content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization, x-request-id, "
    "x-device-id";
constexpr char kExposeHeaders[] =
    "grpc-status, grpc-message, grpc-status-details-bin, x-request-id";

std::string NewRequestId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("%016x", random());
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::StrFormat("%x", data.size()), "\r\n", data, "\r\n");
}

const char* MimeType(absl::string_view path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(path, ".png")) return "image/png";
  if (absl::EndsWith(path, ".json")) return "application/json";
  if (absl::EndsWith(path, ".ico")) return "image/x-icon";
  return "application/octet-stream";
}

// What a WebSink needs of its connection, whatever the transport (TCP or TLS).
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Queues bytes for the socket; `done(ok)` after they are written. Safe from any thread.
  virtual void Send(std::string data, std::function<void(bool)> done, bool last) = 0;
};

// Responses to one gRPC-Web call, written on the connection's strand.
class WebSink final : public Sink {
 public:
  WebSink(std::shared_ptr<ConnectionBase> connection, grpcweb::Encoding encoding,
          std::string origin, std::string request_id, bool streaming)
      : connection_(std::move(connection)),
        encoding_(encoding),
        origin_(std::move(origin)),
        request_id_(std::move(request_id)),
        streaming_(streaming) {}
  void Write(const grpc::ByteBuffer& message, std::function<void(bool)> done) override;
  void Finish(const grpc::Status& status) override;
  void set_handle(std::shared_ptr<CallHandle> handle) { handle_ = std::move(handle); }

 private:
  std::string Headers(bool chunked, const grpc::Status* trailers_only) const;
  std::shared_ptr<ConnectionBase> connection_;
  grpcweb::Encoding encoding_;
  std::string origin_;
  std::string request_id_;
  bool streaming_;
  std::shared_ptr<CallHandle> handle_;
  std::atomic<bool> headers_sent_{false};
  std::atomic<bool> finished_{false};
};

// One HTTP/1.1 connection over `Stream`: beast::tcp_stream, or an ssl_stream over it
// (--http-tls-*).
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... StreamArgs>
  Connection(const WebOptions& options, Forwarder& forwarder, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        options_(options),
        forwarder_(forwarder) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Lowest().expires_after(
            std::chrono::milliseconds(absl::ToInt64Milliseconds(self->options_.idle_timeout)));
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) {
            self->Close();  // not TLS, or a certificate it refused
            return;
          }
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

  void Send(std::string data, std::function<void(bool)> done, bool last) override {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), data = std::move(data),
                                       done = std::move(done), last]() mutable {
      self->outbox_.push_back({std::move(data), std::move(done), last});
      if (self->outbox_.size() == 1) self->WriteNext();
    });
  }

  // While a stream runs, a read notices the app going away (and cancels the upstream call).
  void WatchForClose(std::shared_ptr<CallHandle> handle) {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), handle] {
      self->Lowest().expires_never();
      self->stream_.async_read_some(net::buffer(self->probe_),
                                    [self, handle](beast::error_code ec, size_t) {
                                      if (ec) handle->Cancel();
                                    });
    });
  }

  std::string client_ip() const {
    beast::error_code ec;
    auto endpoint = Lowest().socket().remote_endpoint(ec);
    return ec ? std::string() : endpoint.address().to_string();
  }

 private:
  struct Outgoing {
    std::string data;
    std::function<void(bool)> done;
    bool last;  // the response is complete after this
  };

  void Read() {
    parser_.emplace();
    // The body of a -text request is base64: 4/3 of the message plus framing.
    parser_->body_limit(static_cast<uint64_t>(options_.max_message_bytes) * 4 / 3 + 1024);
    parser_->header_limit(static_cast<uint32_t>(options_.header_bytes_max));
    Lowest().expires_after(
        std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.idle_timeout)));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      SendSimple(http::status::payload_too_large, "request too large\n", /*close=*/true);
      return;
    }
    if (ec) {
      Close();
      return;
    }
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    Handle();
  }

  bool OriginAllowed(const std::string& origin) const {
    if (origin.empty()) return true;  // not a browser cross-origin request
    const auto host = request_[http::field::host];
    if (origin == absl::StrCat("http://", std::string(host)) ||
        origin == absl::StrCat("https://", std::string(host))) {
      return true;  // same origin (the web console served by this listener)
    }
    for (const auto& allowed : options_.cors_origins) {
      if (allowed == "*" || allowed == origin) return true;
    }
    return false;
  }

  void Handle() {
    const std::string origin(request_[http::field::origin]);
    if (!OriginAllowed(origin)) {
      SendSimple(http::status::forbidden, "origin not allowed\n", false);
      return;
    }
    if (request_.method() == http::verb::options) {
      std::string response =
          absl::StrCat("HTTP/1.1 204 No Content\r\n", "Access-Control-Allow-Origin: ", origin,
                       "\r\n", "Access-Control-Allow-Methods: POST, OPTIONS\r\n",
                       "Access-Control-Allow-Headers: ", kAllowHeaders, "\r\n",
                       "Access-Control-Expose-Headers: ", kExposeHeaders, "\r\n",
                       "Access-Control-Max-Age: 600\r\nVary: Origin\r\nContent-Length: 0\r\n\r\n");
      Send(std::move(response), nullptr, true);
      return;
    }
    if (request_.method() == http::verb::get || request_.method() == http::verb::head) {
      ServeStatic();
      return;
    }
    if (request_.method() != http::verb::post) {
      SendSimple(http::status::method_not_allowed, "method not allowed\n", false);
      return;
    }
    HandleGrpcWeb(origin);
  }

  void HandleGrpcWeb(const std::string& origin) {
    std::string request_id(request_[grpcutil::kRequestIdHeader]);
    if (request_id.empty() || request_id.size() > 128) request_id = NewRequestId();
    absl::StatusOr<grpcweb::Encoding> encoding =
        grpcweb::ParseContentType(std::string(request_[http::field::content_type]));
    if (!encoding.ok()) {
      SendSimple(http::status::unsupported_media_type,
                 std::string(encoding.status().message()) + "\n", false);
      return;
    }
    const std::string method(request_.target());
    const Route* route = forwarder_.routes().Find(method);
    auto sink = std::make_shared<WebSink>(this->shared_from_this(), *encoding, origin, request_id,
                                          route != nullptr && route->server_streaming);
    if (route == nullptr) {
      sink->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no such public method"));
      return;
    }
    absl::StatusOr<std::string> message =
        grpcweb::DecodeRequest(request_.body(), *encoding, options_.max_message_bytes);
    if (!message.ok()) {
      sink->Finish(grpcutil::ToGrpcStatus(message.status()));
      return;
    }
    IncomingCall call;
    call.method = method;
    const std::string authorization(request_[http::field::authorization]);
    if (absl::StartsWithIgnoreCase(authorization, "Bearer ")) {
      call.bearer_token = authorization.substr(7);
    }
    call.request_id = request_id;
    call.device_id = std::string(request_["x-device-id"]).substr(0, 128);
    call.client_ip = client_ip();
    call.deadline = std::chrono::system_clock::time_point::max();
    if (auto timeout = request_["grpc-timeout"]; !timeout.empty()) {
      absl::StatusOr<std::chrono::nanoseconds> parsed =
          grpcweb::ParseGrpcTimeout(std::string(timeout));
      if (!parsed.ok()) {
        sink->Finish(grpcutil::ToGrpcStatus(parsed.status()));
        return;
      }
      call.deadline = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(*parsed);
    }
    grpc::Slice slice(message->data(), message->size());
    call.request = grpc::ByteBuffer(&slice, 1);
    call.protocol = "grpc-web";
    auto handle = forwarder_.Forward(std::move(call), sink);
    sink->set_handle(handle);
    if (route->server_streaming) {
      keep_alive_ = false;  // one stream per connection; the close probe owns the read side
      WatchForClose(handle);
    }
  }

  void ServeStatic() {
    if (options_.web_root.empty()) {
      SendSimple(http::status::not_found, "not found\n", false);
      return;
    }
    std::string path(request_.target());
    if (size_t query = path.find('?'); query != std::string::npos) path.resize(query);
    // No way out of the web root: no "..", no backslashes, no NUL.
    if (path.empty() || path[0] != '/' || absl::StrContains(path, "..") ||
        absl::StrContains(path, "\\") || path.find('\0') != std::string::npos) {
      SendSimple(http::status::bad_request, "bad path\n", false);
      return;
    }
    if (path.back() == '/') path += "index.html";
    std::ifstream file(options_.web_root + path, std::ios::binary);
    if (!file) {
      // Single-page app: unknown paths without an extension get index.html.
      if (path.rfind('.') == std::string::npos || path.rfind('.') < path.rfind('/')) {
        path = "/index.html";
        file.open(options_.web_root + path, std::ios::binary);
      }
      if (!file) {
        SendSimple(http::status::not_found, "not found\n", false);
        return;
      }
    }
    std::stringstream content;
    content << file.rdbuf();
    std::string body = content.str();
    std::string response = absl::StrCat(
        "HTTP/1.1 200 OK\r\nContent-Type: ", MimeType(path), "\r\nContent-Length: ", body.size(),
        "\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n",
        keep_alive_ ? "" : "Connection: close\r\n", "\r\n",
        request_.method() == http::verb::head ? std::string() : body);
    Send(std::move(response), nullptr, true);
  }

  void SendSimple(http::status status, const std::string& body, bool close) {
    if (close) keep_alive_ = false;
    std::string response = absl::StrCat(
        "HTTP/1.1 ", static_cast<int>(status), " ", std::string(http::obsolete_reason(status)),
        "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(), "\r\n",
        keep_alive_ ? "" : "Connection: close\r\n", "\r\n", body);
    Send(std::move(response), nullptr, true);
  }

  void WriteNext() {
    net::async_write(stream_, net::buffer(outbox_.front().data),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       Outgoing done = std::move(self->outbox_.front());
                       self->outbox_.pop_front();
                       if (done.done) done.done(!ec);
                       if (ec) {
                         self->Close();
                         return;
                       }
                       if (!self->outbox_.empty()) {
                         self->WriteNext();
                       } else if (done.last) {
                         if (self->keep_alive_) {
                           self->Read();
                         } else {
                           self->Close();
                         }
                       }
                     });
  }

  // The TCP layer under the stream (timeouts, addresses, closing).
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  [[nodiscard]] const beast::tcp_stream& Lowest() const { return beast::get_lowest_layer(stream_); }

  void Close() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
  }

  Stream stream_;
  const WebOptions& options_;
  Forwarder& forwarder_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  bool keep_alive_ = true;
  std::deque<Outgoing> outbox_;
  char probe_[1];
};

std::string WebSink::Headers(bool chunked, const grpc::Status* trailers_only) const {
  std::string headers = absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: ", grpcweb::ResponseContentType(encoding_), "\r\n");
  if (!origin_.empty()) {
    absl::StrAppend(&headers, "Access-Control-Allow-Origin: ", origin_,
                    "\r\nAccess-Control-Expose-Headers: ", kExposeHeaders, "\r\nVary: Origin\r\n");
  }
  absl::StrAppend(&headers, "x-request-id: ", request_id_, "\r\n");
  if (trailers_only != nullptr) {
    absl::StrAppend(&headers, "grpc-status: ", static_cast<int>(trailers_only->error_code()),
                    "\r\n");
    if (!trailers_only->error_message().empty()) {
      absl::StrAppend(&headers,
                      "grpc-message: ", grpcweb::PercentEncode(trailers_only->error_message()),
                      "\r\n");
    }
    if (!trailers_only->error_details().empty()) {
      absl::StrAppend(&headers, "grpc-status-details-bin: ",
                      grpcweb::Base64Encode(trailers_only->error_details()), "\r\n");
    }
    absl::StrAppend(&headers, "Content-Length: 0\r\n");
  } else if (chunked) {
    absl::StrAppend(&headers, "Transfer-Encoding: chunked\r\n");
  }
  if (streaming_) absl::StrAppend(&headers, "Connection: close\r\n");
  absl::StrAppend(&headers, "\r\n");
  return headers;
}

void WebSink::Write(const grpc::ByteBuffer& message, std::function<void(bool)> done) {
  if (finished_.load()) {
    done(false);
    return;
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (message.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  std::string data;
  if (!headers_sent_.exchange(true)) data = Headers(/*chunked=*/true, nullptr);
  data += Chunk(grpcweb::ForWire(grpcweb::DataFrame(bytes), encoding_));
  connection_->Send(std::move(data), std::move(done), /*last=*/false);
}

void WebSink::Finish(const grpc::Status& status) {
  if (finished_.exchange(true)) return;
  if (!headers_sent_.exchange(true)) {
    // Nothing was sent yet: a trailers-only response (status in the HTTP headers).
    connection_->Send(Headers(/*chunked=*/false, &status), nullptr, /*last=*/true);
    return;
  }
  connection_->Send(
      absl::StrCat(Chunk(grpcweb::ForWire(grpcweb::TrailerFrame(status), encoding_)), "0\r\n\r\n"),
      nullptr, /*last=*/true);
}

}  // namespace

struct WebServer::Impl {
  net::io_context io;
  std::optional<net::ssl::context> tls;  // set: the listener speaks TLS only
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
};

WebServer::WebServer(WebOptions options, Forwarder& forwarder)
    : options_(std::move(options)), forwarder_(forwarder), impl_(std::make_shared<Impl>()) {}

WebServer::~WebServer() { Stop(); }

namespace {
void Accept(const std::shared_ptr<WebServer::Impl>& impl, const WebOptions& options,
            Forwarder& forwarder) {
  // Each connection gets its own strand: its reads, writes, and the Sends posted from the
  // forwarder's threads never run at the same time on the pool's threads.
  impl->acceptor->async_accept(
      net::make_strand(impl->io),
      [impl, &options, &forwarder](beast::error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == net::error::operation_aborted) return;
          log::Warn("accept failed", {{"error", ec.message()}});
        } else if (impl->tls) {
          std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
              options, forwarder, std::move(socket), *impl->tls)
              ->Start();
        } else {
          std::make_shared<Connection<beast::tcp_stream>>(options, forwarder, std::move(socket))
              ->Start();
        }
        Accept(impl, options, forwarder);
      });
}
}  // namespace

absl::Status WebServer::Start() {
  std::vector<std::string> parts = absl::StrSplit(options_.listen, absl::MaxSplits(':', 1));
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad --http-listen '", options_.listen, "'"));
  }
  beast::error_code ec;
  auto address = net::ip::make_address(parts[0], ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad address in ", options_.listen));
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--http-tls-cert and --http-tls-key go together");
  }
  if (!options_.tls_cert_file.empty()) {
    // TLS 1.2+ with the server's certificate chain; browsers and apps bring no certificate.
    impl_->tls.emplace(net::ssl::context::tls_server);
    impl_->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                            net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    impl_->tls->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (!ec) impl_->tls->use_private_key_file(options_.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the gRPC-Web TLS certificate or key: ", ec.message()));
    }
  }
  impl_->acceptor.emplace(impl_->io);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, ": ", ec.message()));
  }
  port_ = impl_->acceptor->local_endpoint().port();
  impl_->work.emplace(net::make_work_guard(impl_->io));
  Accept(impl_, options_, forwarder_);
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([impl = impl_] { impl->io.run(); });
  }
  log::Info("serving gRPC-Web", {{"listen", options_.listen},
                                 {"port", std::to_string(port_)},
                                 {"tls", impl_->tls ? "on" : "off"}});
  return absl::OkStatus();
}

void WebServer::Stop() {
  if (threads_.empty()) return;
  net::post(impl_->io, [impl = impl_] {
    beast::error_code ec;
    if (impl->acceptor) impl->acceptor->close(ec);
  });
  impl_->work.reset();
  impl_->io.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace uwallet::gateway
