#pragma once
// The authorisation table of the auth service, in one place: which kind of caller may call which
// RPC. The caller is whoever the signed identity assertion (x-uwallet-identity) says it is; an RPC
// without an entry is denied.

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/auth/core/auth_core.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::auth::grpcapi {

// Kinds of caller, as bits.
enum Access : uint32_t {
  kAnonymous = 1u << 0,  // role "anonymous": not signed in (register, login, reset)
  kSignedIn = 1u << 1,   // a person with a session (customer, merchant or staff on their own
                         // account)
  kAgent = 1u << 2,      // signed-in support agent
  kAdmin = 1u << 3,      // signed-in administrator
  kService = 1u << 4,    // another uwallet service (role "service:<name>")
};

struct Rule {
  absl::string_view method;  // "AuthService/Login"
  uint32_t allowed;
};

// The table itself (authz.cc), exposed for tests and the README.
[[nodiscard]] const Rule* Rules(size_t* count);

// What kinds of caller `identity` is.
[[nodiscard]] uint32_t AccessOf(const grpcutil::Identity& identity);

// Verifies the assertion of the call, checks the table, and returns the caller for the core.
// UNAUTHENTICATED for a missing or bad assertion; PERMISSION_DENIED (ROLE_REQUIRED) when the
// caller's kind is not allowed; PERMISSION_DENIED for an RPC that has no entry.
[[nodiscard]] absl::StatusOr<Caller> Authorize(const grpcutil::IdentitySigner& signer,
                                               const grpc::ServerContextBase& context,
                                               absl::string_view method);

// The same decision for an already verified identity (tests).
[[nodiscard]] absl::StatusOr<Caller> AuthorizeIdentity(const grpcutil::Identity& identity,
                                                       absl::string_view method);

}  // namespace uwallet::auth::grpcapi
