#include "uwallet/grpcutil/identity.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/hash.h"

namespace uwallet::grpcutil {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("identity assertion ", why));
}

int64_t ToUnix(absl::Time t) {
  if (t == absl::InfinitePast()) return 0;
  return absl::ToUnixSeconds(t);
}

absl::Time FromUnix(int64_t s) { return s == 0 ? absl::InfinitePast() : absl::FromUnixSeconds(s); }

}  // namespace

bool Identity::HasRole(absl::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Identity::IsService() const {
  return std::any_of(roles.begin(), roles.end(), [](const std::string& role) {
    return absl::StartsWith(role, roles::kServicePrefix);
  });
}

bool Identity::IsService(absl::string_view name) const {
  return HasRole(absl::StrCat(roles::kServicePrefix, name));
}

bool Identity::IsStaff() const {
  return HasRole(roles::kAgent) || HasRole(roles::kAnalyst) || HasRole(roles::kAdmin);
}

absl::StatusOr<IdentitySigner> IdentitySigner::Create(std::string key, const Clock& clock) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError("identity signing key must be at least 32 bytes");
  }
  return IdentitySigner(std::move(key), clock);
}

std::string IdentitySigner::Sign(const Identity& identity) const {
  const absl::Time now = clock_->Now();
  nlohmann::json claims;
  claims["sub"] = identity.user_id;
  claims["roles"] = identity.roles;
  claims["sid"] = identity.session_id;
  claims["iat"] = ToUnix(identity.issued_at == absl::InfinitePast() ? now : identity.issued_at);
  claims["exp"] = ToUnix(identity.expires_at == absl::InfinitePast() ? now + kIdentityTtl
                                                                     : identity.expires_at);
  claims["su"] = ToUnix(identity.step_up_until);
  if (!identity.client_ip.empty()) claims["ip"] = identity.client_ip;
  if (!identity.device_id.empty()) claims["dev"] = identity.device_id;
  const std::string payload = crypto::Base64UrlEncode(claims.dump());
  return absl::StrCat(payload, ".", crypto::Base64UrlEncode(crypto::HmacSha256(key_, payload)));
}

std::string IdentitySigner::SignService(absl::string_view service_name) const {
  Identity identity;
  identity.roles = {absl::StrCat(roles::kServicePrefix, service_name)};
  return Sign(identity);
}

absl::StatusOr<Identity> IdentitySigner::Verify(absl::string_view token) const {
  if (token.empty()) return Unauthenticated("missing");
  if (token.size() > kIdentityTokenBytesMax) return Unauthenticated("too large");
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) return Unauthenticated("malformed");
  const absl::string_view payload = token.substr(0, dot);
  auto signature = crypto::Base64UrlDecode(token.substr(dot + 1));
  if (!signature.ok()) return Unauthenticated("malformed");
  // Signature first, in constant time: nothing in the payload is trusted before it checks out.
  if (!crypto::ConstantTimeEquals(*signature, crypto::HmacSha256(key_, payload))) {
    return Unauthenticated("signature invalid");
  }
  auto json_text = crypto::Base64UrlDecode(payload);
  if (!json_text.ok()) return Unauthenticated("malformed");
  const nlohmann::json claims =
      nlohmann::json::parse(*json_text, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return Unauthenticated("malformed");
  Identity identity;
  try {
    identity.user_id = claims.at("sub").get<std::string>();
    identity.roles = claims.at("roles").get<std::vector<std::string>>();
    identity.session_id = claims.at("sid").get<std::string>();
    identity.issued_at = FromUnix(claims.at("iat").get<int64_t>());
    identity.expires_at = FromUnix(claims.at("exp").get<int64_t>());
    identity.step_up_until = FromUnix(claims.value("su", int64_t{0}));
    identity.client_ip = claims.value("ip", std::string());
    identity.device_id = claims.value("dev", std::string());
  } catch (const nlohmann::json::exception&) {
    return Unauthenticated("malformed");
  }
  const absl::Time now = clock_->Now();
  // How far off, in the message: clock skew between nodes is the usual cause, and the numbers are
  // what an operator needs (the signature already checked out, so they reveal nothing).
  if (identity.expires_at + kClockSkewAllowed < now) {
    return Unauthenticated(
        absl::StrCat("expired ", absl::FormatDuration(now - identity.expires_at),
                     " ago (clock skew allowed: ", absl::FormatDuration(kClockSkewAllowed), ")"));
  }
  if (identity.issued_at - kClockSkewAllowed > now) {
    return Unauthenticated(absl::StrCat(
        "issued ", absl::FormatDuration(identity.issued_at - now),
        " in the future: the signer's clock is ahead of this node's (clock skew allowed: ",
        absl::FormatDuration(kClockSkewAllowed), ")"));
  }
  return identity;
}

absl::StatusOr<Identity> IdentitySigner::FromContext(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto range = metadata.equal_range(kIdentityHeader);
  if (range.first == range.second) return Unauthenticated("missing");
  if (std::next(range.first) != range.second) return Unauthenticated("repeated");
  return Verify(absl::string_view(range.first->second.data(), range.first->second.size()));
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kRequestIdHeader);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), std::min<size_t>(it->second.size(), 128));
}

std::unique_ptr<grpc::ClientContext> OutgoingContext(const grpc::ServerContext& incoming,
                                                     absl::string_view identity_assertion) {
  auto context = grpc::ClientContext::FromServerContext(incoming);
  if (!identity_assertion.empty()) {
    context->AddMetadata(kIdentityHeader, std::string(identity_assertion));
  }
  const std::string request_id = RequestIdOf(incoming);
  if (!request_id.empty()) context->AddMetadata(kRequestIdHeader, request_id);
  return context;
}

std::unique_ptr<grpc::ClientContext> OutgoingContext(absl::Duration timeout,
                                                     absl::string_view identity_assertion) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  if (!identity_assertion.empty()) {
    context->AddMetadata(kIdentityHeader, std::string(identity_assertion));
  }
  return context;
}

}  // namespace uwallet::grpcutil
