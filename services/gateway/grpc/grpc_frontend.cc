#include "services/gateway/grpc/grpc_frontend.h"

#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <map>
#include <mutex>

#include "absl/strings/match.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::gateway {
namespace {

std::string Header(const grpc::ServerContextBase& context, const char* name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(name);
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

class GrpcCall;

// The Sink side of a gRPC call. It outlives the reactor if the upstream answers late, so it holds
// the reactor by pointer and forgets it in OnDone.
class GrpcSink final : public Sink {
 public:
  explicit GrpcSink(GrpcCall* call) : call_(call) {}
  void Write(const grpc::ByteBuffer& message, std::function<void(bool)> done) override;
  void Finish(const grpc::Status& status) override;
  void OnWriteDone(bool ok);
  void Detach();

 private:
  std::mutex mutex_;
  GrpcCall* call_;
  grpc::ByteBuffer pending_;
  std::function<void(bool)> write_done_;
  bool write_pending_ = false;
  bool finish_pending_ = false;
  bool finished_ = false;
  grpc::Status finish_status_;
};

class GrpcCall final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  GrpcCall(Forwarder& forwarder, const Route& route, grpc::CallbackServerContext* context)
      : forwarder_(forwarder), route_(route), context_(context) {
    sink_ = std::make_shared<GrpcSink>(this);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      sink_->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    if (route_.client_streaming) {
      sink_->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "client streams not forwarded"));
      return;
    }
    IncomingCall call;
    call.method = route_.method;
    std::string authorization = Header(*context_, "authorization");
    if (absl::StartsWithIgnoreCase(authorization, "Bearer ")) {
      call.bearer_token = authorization.substr(7);
    }
    call.request_id = grpcutil::RequestIdOf(*context_);
    call.device_id = Header(*context_, "x-device-id").substr(0, 128);
    call.client_ip = IpFromPeer(context_->peer());
    call.deadline = context_->deadline();
    call.request = std::move(request_);
    handle_ = forwarder_.Forward(std::move(call), sink_);
  }

  void OnWriteDone(bool ok) override { sink_->OnWriteDone(ok); }

  void OnCancel() override {
    if (handle_ != nullptr) handle_->Cancel();
  }

  void OnDone() override {
    sink_->Detach();
    delete this;
  }

 private:
  Forwarder& forwarder_;
  const Route& route_;
  grpc::CallbackServerContext* context_;
  grpc::ByteBuffer request_;
  std::shared_ptr<GrpcSink> sink_;
  std::shared_ptr<CallHandle> handle_;
};

void GrpcSink::Write(const grpc::ByteBuffer& message, std::function<void(bool)> done) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (call_ == nullptr || finished_) {
    lock.unlock();
    done(false);
    return;
  }
  pending_ = message;
  write_done_ = std::move(done);
  write_pending_ = true;
  call_->StartWrite(&pending_);
}

void GrpcSink::OnWriteDone(bool ok) {
  std::function<void(bool)> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    write_pending_ = false;
    done = std::move(write_done_);
    if (finish_pending_ && call_ != nullptr) {
      finish_pending_ = false;
      finished_ = true;
      call_->Finish(finish_status_);
    }
  }
  if (done) done(ok);
}

void GrpcSink::Finish(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (call_ == nullptr || finished_ || finish_pending_) return;
  if (write_pending_) {  // finish once the last message is out
    finish_pending_ = true;
    finish_status_ = status;
    return;
  }
  finished_ = true;
  call_->Finish(status);
}

void GrpcSink::Detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  call_ = nullptr;
}

// A service whose methods are the routed methods of one proto service, all raw callback handlers.
class ForwardingService final : public grpc::Service {
 public:
  ForwardingService(Forwarder& forwarder, const std::vector<const Route*>& routes) {
    for (const Route* route : routes) {
      // Every method is registered as a bidi stream of raw bytes: the wire format is the same for
      // all four kinds, and the reactor reads one request and relays what comes back.
      AddMethod(new grpc::internal::RpcServiceMethod(
          route->method.c_str(), grpc::internal::RpcMethod::BIDI_STREAMING, nullptr));
      MarkMethodRawCallback(
          static_cast<int>(methods_count_++),
          new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [&forwarder, route](grpc::CallbackServerContext* context) {
                return new GrpcCall(forwarder, *route, context);
              }));
    }
  }

 private:
  size_t methods_count_ = 0;
};

}  // namespace

std::vector<std::shared_ptr<grpc::Service>> MakeForwardingServices(Forwarder& forwarder) {
  std::map<std::string, std::vector<const Route*>> by_service;
  for (const auto& [method, route] : forwarder.routes().routes()) {
    const std::string service = method.substr(1, method.find('/', 1) - 1);
    by_service[service].push_back(&route);
  }
  std::vector<std::shared_ptr<grpc::Service>> services;
  for (const auto& [name, routes] : by_service) {
    services.push_back(std::make_shared<ForwardingService>(forwarder, routes));
  }
  return services;
}

}  // namespace uwallet::gateway
