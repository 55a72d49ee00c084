// uwallet-fraud: see services/fraud/README.md.
#include <memory>
#include <vector>

#include "services/fraud/schema/migrations.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/service/runtime.h"

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "fraud",
          .schema = "fraud",
          .migrations = uwallet::fraud::Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50055",
          .default_metrics_listen = "127.0.0.1:9105",
          .health_names = {"uwallet.fraud.v1.FraudService", "uwallet.fraud.v1.FraudInternalService",
                           "uwallet.fraud.v1.FraudAnalystService"},
          .build = [](uwallet::service::Runtime&)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            // Not implemented yet: the generated base classes answer UNIMPLEMENTED for every RPC.
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<uwallet::fraud::v1::FraudService::Service>());
            services.push_back(
                std::make_shared<uwallet::fraud::v1::FraudInternalService::Service>());
            services.push_back(
                std::make_shared<uwallet::fraud::v1::FraudAnalystService::Service>());
            return services;
          },
      });
}
