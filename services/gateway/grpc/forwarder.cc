#include "services/gateway/grpc/forwarder.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/grpcutil/rpc_metrics.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::gateway {
namespace {

// Counts a call once it finished: by protocol, method and code, with its latency.
class MeteredSink final : public Sink {
 public:
  MeteredSink(std::shared_ptr<Sink> inner, prometheus::Family<prometheus::Counter>* handled,
              prometheus::Histogram* seconds, const char* protocol, std::string method)
      : inner_(std::move(inner)),
        handled_(handled),
        seconds_(seconds),
        protocol_(protocol),
        method_(std::move(method)),
        started_(std::chrono::steady_clock::now()) {}
  void Write(const grpc::ByteBuffer& message, std::function<void(bool ok)> done) override {
    inner_->Write(message, std::move(done));
  }
  void Finish(const grpc::Status& status) override {
    handled_
        ->Add({{"protocol", protocol_},
               {"method", method_},
               {"code", grpcutil::StatusCodeName(status.error_code())}})
        .Increment();
    seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    inner_->Finish(status);
  }

 private:
  std::shared_ptr<Sink> inner_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Histogram* seconds_;
  const char* protocol_;
  std::string method_;
  std::chrono::steady_clock::time_point started_;
};

using std::chrono::system_clock;

std::string RoleName(common::v1::Role role) {
  switch (role) {
    case common::v1::ROLE_CUSTOMER:
      return grpcutil::roles::kCustomer;
    case common::v1::ROLE_MERCHANT:
      return grpcutil::roles::kMerchant;
    case common::v1::ROLE_AGENT:
      return grpcutil::roles::kAgent;
    case common::v1::ROLE_ANALYST:
      return grpcutil::roles::kAnalyst;
    case common::v1::ROLE_ADMIN:
      return grpcutil::roles::kAdmin;
    default:
      return "";
  }
}

// Relays a server stream from upstream to the sink, one message at a time (backpressure).
class UpstreamStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  UpstreamStream(std::unique_ptr<grpc::ClientContext> context, grpc::ByteBuffer request,
                 std::shared_ptr<Sink> sink, std::shared_ptr<CallHandle> handle)
      : context_(std::move(context)),
        request_(std::move(request)),
        sink_(std::move(sink)),
        handle_(std::move(handle)) {}

  void Start(grpc::GenericStub& stub, const std::string& method) {
    handle_->Attach(context_.get());
    stub.PrepareBidiStreamingCall(context_.get(), method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended (or failed): OnDone brings the status
    AddHold();
    sink_->Write(response_, [this](bool written) {
      if (written) {
        StartRead(&response_);
      } else {
        context_->TryCancel();  // the app went away: stop the upstream stream too
      }
      RemoveHold();
    });
  }

  void OnDone(const grpc::Status& status) override {
    handle_->Attach(nullptr);
    sink_->Finish(status);
    delete this;
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::shared_ptr<Sink> sink_;
  std::shared_ptr<CallHandle> handle_;
};

}  // namespace

std::string IpFromPeer(absl::string_view peer) {
  absl::string_view rest = peer;
  if (absl::ConsumePrefix(&rest, "ipv4:")) {
    return std::string(rest.substr(0, rest.rfind(':')));
  }
  if (absl::ConsumePrefix(&rest, "ipv6:")) {
    rest = rest.substr(0, rest.rfind(':'));
    absl::ConsumePrefix(&rest, "[");
    absl::ConsumeSuffix(&rest, "]");
    return std::string(rest);
  }
  return std::string(peer);
}

void CallHandle::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

void CallHandle::Attach(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = context;
  if (cancelled_ && context_ != nullptr) context_->TryCancel();
}

bool CallHandle::cancelled() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

absl::StatusOr<grpcutil::Identity> AuthSessionValidator::Validate(
    const std::string& token, const std::string& client_ip, system_clock::time_point deadline) {
  const std::string token_hash = crypto::Sha256(token);
  grpcutil::Identity identity;
  if (cache_.Get(token_hash, &identity)) return identity;

  auth::v1::ValidateSessionRequest request;
  request.set_token(token);
  request.set_ip(client_ip);
  auth::v1::ValidateSessionResponse response;
  grpc::ClientContext context;
  context.set_deadline(deadline);
  context.AddMetadata(grpcutil::kIdentityHeader, signer_.SignService("gateway"));
  grpc::Status status =
      auth::v1::AuthInternalService::NewStub(auth_)->ValidateSession(&context, request, &response);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        status.error_code() == grpc::StatusCode::NOT_FOUND ||
        status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      return WithReason(absl::StatusCode::kUnauthenticated, "SESSION_EXPIRED",
                        "the session is invalid or has expired; sign in again");
    }
    // Auth unreachable: fail closed, but say it is retryable.
    log::Warn("session validation failed", {{"error", status.error_message()}});
    return absl::UnavailableError("cannot validate the session right now; retry");
  }
  const auto& proto = response.identity();
  identity.user_id = proto.user_id();
  for (int role : proto.roles()) {
    std::string name = RoleName(static_cast<common::v1::Role>(role));
    if (!name.empty()) identity.roles.push_back(std::move(name));
  }
  identity.session_id = proto.session_id();
  identity.device_id = proto.device_id();
  if (proto.has_step_up_at()) {
    identity.step_up_until =
        absl::FromUnixMillis(
            google::protobuf::util::TimeUtil::TimestampToMilliseconds(proto.step_up_at())) +
        step_up_window_;
  }
  cache_.Put(token_hash, identity);
  return identity;
}

Forwarder::Forwarder(GatewayOptions options, const RouteTable& routes, Upstreams upstreams,
                     SessionValidator& sessions, redis::Pool* redis,
                     const grpcutil::IdentitySigner& signer, const Clock& clock,
                     LocalHandler* local, prometheus::Registry& metrics)
    : options_(std::move(options)),
      routes_(routes),
      upstreams_(std::move(upstreams)),
      sessions_(sessions),
      redis_(redis),
      signer_(signer),
      clock_(clock),
      local_(local),
      refused_(prometheus::BuildCounter()
                   .Name("uwallet_gateway_refused_total")
                   .Help("Calls the gateway refused before forwarding, by reason")
                   .Register(metrics)),
      handled_(prometheus::BuildCounter()
                   .Name("uwallet_gateway_handled_total")
                   .Help("Calls through the gateway by protocol (grpc, grpc-web), method and code")
                   .Register(metrics)),
      seconds_(prometheus::BuildHistogram()
                   .Name("uwallet_gateway_handling_seconds")
                   .Help("Latency of calls through the gateway by protocol and method")
                   .Register(metrics)),
      queued_(prometheus::BuildGauge()
                  .Name("uwallet_gateway_queued_calls")
                  .Help("Calls waiting for a forwarding worker")
                  .Register(metrics)
                  .Add({})) {
  if (redis_ != nullptr) {
    ip_bucket_ = std::make_unique<redis::TokenBucket>(
        *redis_, redis::TokenBucketOptions{options_.ip_burst, options_.ip_per_second});
    user_bucket_ = std::make_unique<redis::TokenBucket>(
        *redis_, redis::TokenBucketOptions{options_.user_burst, options_.user_per_second});
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
}

Forwarder::~Forwarder() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void Forwarder::Work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      queued_.Decrement();
    }
    task();
  }
}

std::shared_ptr<CallHandle> Forwarder::Forward(IncomingCall call, std::shared_ptr<Sink> sink) {
  // Only routed methods become label values (unknown paths would grow the series without bound).
  const std::string method = routes_.Find(call.method) != nullptr ? call.method : "unknown";
  sink =
      std::make_shared<MeteredSink>(std::move(sink), &handled_,
                                    &seconds_.Add({{"protocol", call.protocol}, {"method", method}},
                                                  grpcutil::RpcLatencyBuckets()),
                                    call.protocol, method);
  auto handle = std::make_shared<CallHandle>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_ && static_cast<int>(queue_.size()) < options_.queue_max) {
      queued_.Increment();
      queue_.push_back([this, call = std::make_shared<IncomingCall>(std::move(call)), sink,
                        handle]() mutable { Run(std::move(*call), sink, handle); });
      work_ready_.notify_one();
      return handle;
    }
  }
  refused_.Add({{"reason", "overloaded"}}).Increment();
  sink->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "the gateway is overloaded; retry shortly"));
  return handle;
}

absl::Status Forwarder::RateLimit(const std::string& key, bool per_user) {
  redis::TokenBucket* bucket = per_user ? user_bucket_.get() : ip_bucket_.get();
  if (bucket == nullptr || key.empty()) return absl::OkStatus();
  absl::StatusOr<redis::TokenBucketDecision> decision =
      bucket->Take(redis_->Key(absl::StrCat("gw:rl:", per_user ? "u:" : "ip:", key)));
  if (!decision.ok()) {
    // Rate limiting is protection, not authorisation: with Redis down, let the call through.
    log::Warn("rate limiter unavailable; allowing", {{"error", decision.status().ToString()}});
    return absl::OkStatus();
  }
  if (decision->allowed) return absl::OkStatus();
  refused_.Add({{"reason", per_user ? "rate_limited_user" : "rate_limited_ip"}}).Increment();
  return WithReason(
      absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
      absl::StrCat("too many requests; retry in ",
                   std::max<int64_t>(1, (decision->retry_after_ms + 999) / 1000), " s"));
}

absl::StatusOr<grpcutil::Identity> Forwarder::Admit(const Route& route, const IncomingCall& call) {
  UW_RETURN_IF_ERROR(RateLimit(call.client_ip, /*per_user=*/false));
  grpcutil::Identity identity;
  if (!call.bearer_token.empty()) {
    const auto auth_deadline = std::min(
        call.deadline, system_clock::now() + std::chrono::milliseconds(
                                                 absl::ToInt64Milliseconds(options_.auth_timeout)));
    absl::StatusOr<grpcutil::Identity> validated =
        sessions_.Validate(call.bearer_token, call.client_ip, auth_deadline);
    if (!validated.ok()) {
      // A stale token on an anonymous method (e.g. Login) is not an error: treat it as anonymous.
      if (!(route.anonymous && absl::IsUnauthenticated(validated.status()))) {
        refused_.Add({{"reason", "unauthenticated"}}).Increment();
        return validated.status();
      }
    } else {
      identity = *std::move(validated);
    }
  }
  if (identity.user_id.empty()) {
    if (!route.anonymous) {
      refused_.Add({{"reason", "unauthenticated"}}).Increment();
      return WithReason(absl::StatusCode::kUnauthenticated, "SIGN_IN_REQUIRED",
                        "sign in first (authorization: Bearer <session token>)");
    }
    identity.roles = {grpcutil::roles::kAnonymous};
  } else {
    if (!RolesAllowed(route, identity.roles) && !route.anonymous) {
      refused_.Add({{"reason", "permission_denied"}}).Increment();
      return WithReason(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                        "your account may not call this method");
    }
    UW_RETURN_IF_ERROR(RateLimit(identity.user_id, /*per_user=*/true));
  }
  identity.client_ip = call.client_ip;
  if (identity.device_id.empty()) identity.device_id = call.device_id;
  return identity;
}

std::shared_ptr<grpc::Channel> Forwarder::ChannelFor(Upstream upstream) {
  switch (upstream) {
    case Upstream::kAuth:
      return upstreams_.auth;
    case Upstream::kLedger:
      return upstreams_.ledger;
    case Upstream::kPayments:
      return upstreams_.payments;
    case Upstream::kSupport:
      return upstreams_.support;
    case Upstream::kFraud:
      return upstreams_.fraud;
    case Upstream::kGateway:
      return nullptr;
  }
  return nullptr;
}

void Forwarder::Run(IncomingCall call, std::shared_ptr<Sink> sink,
                    std::shared_ptr<CallHandle> handle) {
  log::ScopedRequestId scoped(call.request_id);
  const Route* route = routes_.Find(call.method);
  if (route == nullptr) {
    refused_.Add({{"reason", "no_route"}}).Increment();
    sink->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no such public method"));
    return;
  }
  if (handle->cancelled()) {
    sink->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
    return;
  }
  // Deadlines: the client's, within bounds; a default when it set none.
  const auto now = system_clock::now();
  const absl::Duration cap =
      route->server_streaming ? options_.stream_deadline_max : options_.unary_deadline_max;
  auto max_deadline = now + std::chrono::milliseconds(absl::ToInt64Milliseconds(cap));
  auto deadline = call.deadline;
  if (deadline == system_clock::time_point::max()) {
    deadline =
        route->server_streaming
            ? max_deadline
            : now + std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.default_deadline));
  }
  deadline = std::min(deadline, max_deadline);
  if (deadline <= now) {
    sink->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline already passed"));
    return;
  }
  call.deadline = deadline;

  absl::StatusOr<grpcutil::Identity> identity = Admit(*route, call);
  if (!identity.ok()) {
    sink->Finish(grpcutil::ToGrpcStatus(identity.status()));
    return;
  }
  const std::string assertion = signer_.Sign(*identity);

  if (route->upstream == Upstream::kGateway) {
    if (local_ == nullptr) {
      sink->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not served here"));
      return;
    }
    absl::StatusOr<grpc::ByteBuffer> response =
        local_->Handle(call.method, *identity, assertion, call.request, deadline);
    if (!response.ok()) {
      sink->Finish(grpcutil::ToGrpcStatus(response.status()));
      return;
    }
    auto owned = std::make_shared<grpc::ByteBuffer>(*std::move(response));
    sink->Write(*owned, [sink, owned](bool ok) {
      sink->Finish(ok ? grpc::Status::OK
                      : grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
    });
    return;
  }

  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(deadline);
  context->AddMetadata(grpcutil::kIdentityHeader, assertion);
  if (!call.request_id.empty()) context->AddMetadata(grpcutil::kRequestIdHeader, call.request_id);
  grpc::GenericStub stub(ChannelFor(route->upstream));

  if (route->server_streaming) {
    auto* stream = new UpstreamStream(std::move(context), std::move(call.request), sink, handle);
    stream->Start(stub, call.method);
    return;
  }
  struct Unary {
    std::unique_ptr<grpc::ClientContext> context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto unary = std::make_shared<Unary>();
  unary->context = std::move(context);
  unary->request = std::move(call.request);
  handle->Attach(unary->context.get());
  stub.UnaryCall(
      unary->context.get(), call.method, grpc::StubOptions(), &unary->request, &unary->response,
      [unary, sink, handle](grpc::Status status) {
        handle->Attach(nullptr);
        if (!status.ok()) {
          sink->Finish(status);
          return;
        }
        sink->Write(unary->response, [unary, sink](bool ok) {
          sink->Finish(ok ? grpc::Status::OK
                          : grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
        });
      });
}

}  // namespace uwallet::gateway
