// uwallet-support: see services/support/README.md.
#include <memory>
#include <vector>

#include "services/support/schema/migrations.h"
#include "uwallet/service/runtime.h"
#include "uwallet/support/v1/support.grpc.pb.h"

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "support",
          .schema = "support",
          .migrations = uwallet::support::Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50054",
          .default_metrics_listen = "127.0.0.1:9104",
          .health_names = {"uwallet.support.v1.SupportService",
                           "uwallet.support.v1.SupportAgentService",
                           "uwallet.support.v1.SupportInternalService"},
          .build = [](uwallet::service::Runtime&)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            // Not implemented yet: the generated base classes answer UNIMPLEMENTED for every RPC.
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<uwallet::support::v1::SupportService::Service>());
            services.push_back(
                std::make_shared<uwallet::support::v1::SupportAgentService::Service>());
            services.push_back(
                std::make_shared<uwallet::support::v1::SupportInternalService::Service>());
            return services;
          },
      });
}
