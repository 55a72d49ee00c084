#include "uwallet/crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>

#include "internal.h"
#include "uwallet/common/check.h"

namespace uwallet::crypto {

namespace internal {

std::string Hmac(const EVP_MD* digest, absl::string_view key, absl::string_view data) {
  // HMAC() takes the key length as an int. A key that long is a bug.
  UW_CHECK(key.size() <= static_cast<size_t>(INT_MAX));
  // A default absl::string_view has a null data pointer. Do not rely on how OpenSSL reads a null
  // key: an empty key is a valid pointer with length 0.
  static constexpr unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  const unsigned char* result =
      HMAC(digest, key_bytes, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_size);
  UW_CHECK(result != nullptr);
  UW_CHECK(mac_size == static_cast<unsigned int>(EVP_MD_get_size(digest)));
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

}  // namespace internal

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &digest_size, EVP_sha256(), nullptr);
  UW_CHECK(ok == 1);
  UW_CHECK(digest_size == kSha256Bytes);
  return std::string(reinterpret_cast<const char*>(digest), digest_size);
}

std::string Sha256Hex(absl::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  return internal::Hmac(EVP_sha256(), key, data);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Lengths are not secret; contents are. With different lengths still touch every byte of `a`
  // so that the time depends on its length only, then report the mismatch.
  const bool same_size = a.size() == b.size();
  const absl::string_view other = same_size ? b : a;
  const int difference = CRYPTO_memcmp(a.data(), other.data(), a.size());
  return same_size && difference == 0;
}

}  // namespace uwallet::crypto
