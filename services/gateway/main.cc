// uwallet-gateway: see services/gateway/README.md.
#include <memory>
#include <vector>

#include "uwallet/gateway/v1/gateway.grpc.pb.h"
#include "uwallet/service/runtime.h"

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "gateway",
          .uses_redis = true,
          .default_listen = "127.0.0.1:50050",
          .default_metrics_listen = "127.0.0.1:9100",
          .health_names = {"uwallet.gateway.v1.GatewayService"},
          .build = [](uwallet::service::Runtime&)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            // Not implemented yet: the generated base classes answer UNIMPLEMENTED for every RPC.
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<uwallet::gateway::v1::GatewayService::Service>());
            return services;
          },
      });
}
