#pragma once
// Who may call what: the ledger's one authorisation table (DESIGN.md §2, §4). An RPC with no
// entry is denied.
//
//   LedgerService          signed-in users (customer / merchant) — always scoped to their own
//                          accounts: the owner id is the assertion's user_id, never a request
//                          field, so staff or services cannot read someone else's wallet through
//                          it.
//   LedgerInternalService  other uwallet services only (role service:<name>); the service name is
//                          the idempotency scope of its postings.
//   LedgerAdminService     staff, read-only: statements for agents, analysts and admins; the trial
//                          balance for analysts and admins.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::ledger {

enum class Audience {
  kOwnAccounts,  // a signed-in customer or merchant, scoped to identity.user_id
  kService,      // another uwallet service
  kStaff,        // agent, analyst, admin
  kFinance,      // analyst, admin
};

// The audience of a full method name ("/uwallet.ledger.v1.LedgerService/GetBalances"), or nullopt
// when the table has no entry.
[[nodiscard]] std::optional<Audience> AudienceOf(absl::string_view full_method);

// Verifies the caller's assertion and checks it against the table. PERMISSION_DENIED
// (ROLE_REQUIRED) when the role does not fit; UNAUTHENTICATED for a bad assertion.
[[nodiscard]] absl::StatusOr<grpcutil::Identity> Authorize(const grpcutil::IdentitySigner& signer,
                                                           const grpc::ServerContextBase& context,
                                                           absl::string_view full_method);
[[nodiscard]] absl::Status CheckAudience(const grpcutil::Identity& identity, Audience audience);

// "payments" for an identity with role "service:payments" ("" when not a service).
[[nodiscard]] std::string ServiceName(const grpcutil::Identity& identity);

}  // namespace uwallet::ledger
