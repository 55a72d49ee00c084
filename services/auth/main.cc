// uwallet-auth: see services/auth/README.md.
#include <memory>
#include <vector>

#include "services/auth/schema/migrations.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/service/runtime.h"

int main(int argc, char** argv) {
  return uwallet::service::Run(
      argc, argv,
      {
          .name = "auth",
          .schema = "auth",
          .migrations = uwallet::auth::Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50051",
          .default_metrics_listen = "127.0.0.1:9101",
          .health_names = {"uwallet.auth.v1.AuthService", "uwallet.auth.v1.AuthAdminService",
                           "uwallet.auth.v1.AuthInternalService"},
          .build = [](uwallet::service::Runtime&)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            // Not implemented yet: the generated base classes answer UNIMPLEMENTED for every RPC.
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<uwallet::auth::v1::AuthService::Service>());
            services.push_back(std::make_shared<uwallet::auth::v1::AuthAdminService::Service>());
            services.push_back(std::make_shared<uwallet::auth::v1::AuthInternalService::Service>());
            return services;
          },
      });
}
