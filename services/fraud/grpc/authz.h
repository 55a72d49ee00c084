#pragma once
// Who may call what: the fraud service's one authorisation table. An RPC with no entry is denied.
//
//   FraudService                 a signed-in customer or merchant, always scoped to the assertion's
//                                user_id; ReportAccountStolen also anonymous callers (they prove
//                                ownership with a code sent to the registered contact).
//   FraudInternalService         uwallet services only (role service:<name>).
//   FraudAnalystService          analysts and admins; ListUserAlerts (read-only) also agents.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::fraud {

enum class Audience { kCustomer, kCustomerOrAnonymous, kService, kAnalyst, kStaff };

[[nodiscard]] std::optional<Audience> AudienceOf(absl::string_view full_method);
[[nodiscard]] absl::Status CheckAudience(const grpcutil::Identity& identity, Audience audience);
// Verifies the assertion and checks it against the table (PERMISSION_DENIED ROLE_REQUIRED,
// UNAUTHENTICATED for a bad assertion).
[[nodiscard]] absl::StatusOr<grpcutil::Identity> Authorize(const grpcutil::IdentitySigner& signer,
                                                           const grpc::ServerContextBase& context,
                                                           absl::string_view full_method);

}  // namespace uwallet::fraud
