#pragma once
// The signed identity assertion of DESIGN.md §4. The gateway authenticates the caller and forwards
// who they are in the `x-uwallet-identity` header as
//     base64url(JSON claims) "." base64url(HMAC-SHA256(key, base64url(JSON claims)))
// Services verify it (signature, expiry, size) and authorise per RPC. A service calling another
// signs its own assertion with role `service:<name>`, or passes the end user's assertion on.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "uwallet/common/clock.h"

namespace uwallet::grpcutil {

inline constexpr char kIdentityHeader[] = "x-uwallet-identity";
inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr size_t kIdentityTokenBytesMax = 4096;
inline constexpr absl::Duration kIdentityTtl = absl::Seconds(60);
inline constexpr absl::Duration kClockSkewAllowed = absl::Seconds(5);

namespace roles {
inline constexpr char kAnonymous[] = "anonymous";  // not signed in (register, login, reset...)
inline constexpr char kCustomer[] = "customer";
inline constexpr char kMerchant[] = "merchant";
inline constexpr char kAgent[] = "agent";
inline constexpr char kAnalyst[] = "analyst";
inline constexpr char kAdmin[] = "admin";
inline constexpr char kServicePrefix[] = "service:";
}  // namespace roles

struct Identity {
  std::string user_id;  // empty for a service caller
  std::vector<std::string> roles;
  std::string session_id;  // empty for a service caller
  absl::Time issued_at = absl::InfinitePast();
  absl::Time expires_at = absl::InfinitePast();
  absl::Time step_up_until = absl::InfinitePast();  // fresh step-up (2FA/code) valid until
  std::string client_ip;   // the app's address as the gateway saw it (for rate limits and risk)
  std::string device_id;   // the app's device id header, when it sent one

  [[nodiscard]] bool HasRole(absl::string_view role) const;
  [[nodiscard]] bool IsService() const;  // any role "service:<name>"
  [[nodiscard]] bool IsService(absl::string_view name) const;
  [[nodiscard]] bool IsStaff() const;  // agent, analyst or admin
  [[nodiscard]] bool HasFreshStepUp(absl::Time now) const { return now < step_up_until; }
};

class IdentitySigner {
 public:
  // The key is shared by the gateway and every service (at least 32 bytes).
  static absl::StatusOr<IdentitySigner> Create(std::string key, const Clock& clock);

  [[nodiscard]] std::string Sign(const Identity& identity) const;
  // An assertion for calls this service makes on its own behalf (role "service:<name>").
  [[nodiscard]] std::string SignService(absl::string_view service_name) const;
  // UNAUTHENTICATED for a missing, malformed, tampered, oversized or expired assertion.
  [[nodiscard]] absl::StatusOr<Identity> Verify(absl::string_view token) const;
  // Reads and verifies the header of an incoming call.
  [[nodiscard]] absl::StatusOr<Identity> FromContext(const grpc::ServerContextBase& context) const;

 private:
  IdentitySigner(std::string key, const Clock& clock) : key_(std::move(key)), clock_(&clock) {}
  std::string key_;
  const Clock* clock_;
};

// An outgoing call made while serving `incoming`: inherits its deadline and cancellation, carries
// the request id and the given identity assertion.
[[nodiscard]] std::unique_ptr<grpc::ClientContext> OutgoingContext(
    const grpc::ServerContext& incoming, absl::string_view identity_assertion);
// An outgoing call with no incoming one (workers, tools): an explicit deadline.
[[nodiscard]] std::unique_ptr<grpc::ClientContext> OutgoingContext(
    absl::Duration timeout, absl::string_view identity_assertion);

// The request id of an incoming call ("" if none; the server interceptor always sets one).
[[nodiscard]] std::string RequestIdOf(const grpc::ServerContextBase& context);

}  // namespace uwallet::grpcutil
