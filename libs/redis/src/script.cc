#include "uwallet/redis/script.h"

#include <openssl/evp.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "uwallet/common/check.h"

namespace uwallet::redis {

std::string Sha1Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  UW_CHECK(EVP_Digest(data.data(), data.size(), digest, &digest_size, EVP_sha1(), nullptr) == 1);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

}  // namespace uwallet::redis
