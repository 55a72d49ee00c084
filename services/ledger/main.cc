// uwallet-ledger: see services/ledger/README.md.
#include <memory>
#include <vector>

#include "services/ledger/schema/migrations.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"
#include "uwallet/service/runtime.h"

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "ledger",
          .schema = "ledger",
          .migrations = uwallet::ledger::Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50052",
          .default_metrics_listen = "127.0.0.1:9102",
          .health_names = {"uwallet.ledger.v1.LedgerService",
                           "uwallet.ledger.v1.LedgerInternalService",
                           "uwallet.ledger.v1.LedgerAdminService"},
          .build = [](uwallet::service::Runtime&)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            // Not implemented yet: the generated base classes answer UNIMPLEMENTED for every RPC.
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<uwallet::ledger::v1::LedgerService::Service>());
            services.push_back(
                std::make_shared<uwallet::ledger::v1::LedgerInternalService::Service>());
            services.push_back(
                std::make_shared<uwallet::ledger::v1::LedgerAdminService::Service>());
            return services;
          },
      });
}
