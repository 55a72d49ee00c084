#pragma once
// The gateway's routing and authorisation table: the one place that says which public method goes
// to which service and who may call it. Built from data (kServiceRoutes in routes.cc) against the
// compiled-in descriptors, so every method of a listed service gets an entry and an RPC with no
// entry (every internal service, anything unknown) is denied.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::gateway {

enum class Upstream { kAuth, kLedger, kPayments, kSupport, kFraud, kGateway };
[[nodiscard]] const char* UpstreamName(Upstream upstream);

struct Route {
  std::string method;  // "/uwallet.auth.v1.AuthService/Login"
  Upstream upstream;
  bool anonymous = false;       // callable without a session
  std::set<std::string> roles;  // signed-in callers need one of these (empty: anonymous only)
  bool server_streaming = false;
  bool client_streaming = false;
};

struct RouteOptions {
  bool dev_mailbox = false;  // route uwallet.devtools.v1.DevMailboxService (local runs only)
};

class RouteTable {
 public:
  // Builds the table from kServiceRoutes and the descriptor pool; fails when the data names a
  // service or method that does not exist (a typo must not silently open or close an RPC).
  static absl::StatusOr<RouteTable> Build(const RouteOptions& options = {});

  // The route of a full method name ("/pkg.Service/Method"), or nullopt: denied.
  [[nodiscard]] const Route* Find(absl::string_view method) const;
  [[nodiscard]] const std::map<std::string, Route, std::less<>>& routes() const { return routes_; }

 private:
  std::map<std::string, Route, std::less<>> routes_;
};

// Whether `roles` may call `route` (signed in) — anonymous callers are checked with
// Route::anonymous.
[[nodiscard]] bool RolesAllowed(const Route& route, const std::vector<std::string>& roles);

}  // namespace uwallet::gateway
