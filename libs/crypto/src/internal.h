#pragma once
// Helpers shared by the sources of this library; not part of its API.

#include <openssl/evp.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::crypto::internal {

inline constexpr char kBase64StandardAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Base64 without padding over a 64-character alphabet; decoding is strict (see encoding.h).
std::string Base64EncodeNoPadding(absl::string_view data, absl::string_view alphabet);
absl::StatusOr<std::string> Base64DecodeNoPadding(absl::string_view text,
                                                  absl::string_view alphabet);

// HMAC with any OpenSSL digest. Aborts on an OpenSSL failure (out of memory only).
std::string Hmac(const EVP_MD* digest, absl::string_view key, absl::string_view data);

}  // namespace uwallet::crypto::internal
