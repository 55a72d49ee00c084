#pragma once
// The durable auth store on PostgreSQL (schema/0001_auth.sql): one AuthTx per pg transaction,
// security events written to security_events and the outbox in that same transaction.

#include <functional>

#include "services/auth/core/ports.h"
#include "uwallet/events/events.h"
#include "uwallet/pg/pg.h"

namespace uwallet::auth {

class PgAuthStore final : public AuthStore {
 public:
  // Both must outlive the store.
  PgAuthStore(pg::Pool& pool, events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  [[nodiscard]] absl::Status Transact(const std::function<absl::Status(AuthTx&)>& body) override;
  [[nodiscard]] absl::StatusOr<std::optional<SignInCandidate>> FindSignInCandidate(
      const Contact& contact, const Device& device) override;

 private:
  pg::Pool& pool_;
  events::Outbox& outbox_;
};

}  // namespace uwallet::auth
