// uwallet-payments: see services/payments/README.md.
#include <memory>
#include <vector>

#include "services/payments/schema/migrations.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"
#include "uwallet/service/runtime.h"

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "payments",
          .schema = "payments",
          .migrations = uwallet::payments::Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50053",
          .default_metrics_listen = "127.0.0.1:9103",
          .health_names = {"uwallet.payments.v1.PaymentsService",
                           "uwallet.payments.v1.MerchantService",
                           "uwallet.payments.v1.PaymentsAdminService",
                           "uwallet.payments.v1.PaymentsInternalService"},
          .build = [](uwallet::service::Runtime&)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            // Not implemented yet: the generated base classes answer UNIMPLEMENTED for every RPC.
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<uwallet::payments::v1::PaymentsService::Service>());
            services.push_back(std::make_shared<uwallet::payments::v1::MerchantService::Service>());
            services.push_back(
                std::make_shared<uwallet::payments::v1::PaymentsAdminService::Service>());
            services.push_back(
                std::make_shared<uwallet::payments::v1::PaymentsInternalService::Service>());
            return services;
          },
      });
}
