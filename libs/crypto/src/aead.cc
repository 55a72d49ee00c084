#include "uwallet/crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/random.h"

namespace uwallet::crypto {
namespace {

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

unsigned char* Bytes(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }

absl::Status CheckKeyAndAssociatedData(absl::string_view key, absl::string_view associated_data) {
  if (key.size() != kAeadKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("AEAD key must be ", kAeadKeyBytes, " bytes"));
  }
  if (associated_data.size() > kAeadAssociatedDataBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("associated data longer than ", kAeadAssociatedDataBytesMax, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status OpenSslError(absl::string_view step) {
  return absl::InternalError(absl::StrCat("AES-256-GCM: ", step, " failed"));
}

// A context ready for `encrypt` (1) or decrypt (0) with `key` and `nonce`, and the associated data
// already fed in.
absl::StatusOr<CipherContext> Start(int encrypt, absl::string_view key, absl::string_view nonce,
                                    absl::string_view associated_data) {
  CipherContext context(EVP_CIPHER_CTX_new());
  if (context == nullptr) return absl::ResourceExhaustedError("AES-256-GCM: out of memory");
  if (EVP_CipherInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(context.get(), nullptr, nullptr, Bytes(key), Bytes(nonce), encrypt) != 1) {
    return OpenSslError("init");
  }
  int ignored_size = 0;
  if (!associated_data.empty() &&
      EVP_CipherUpdate(context.get(), nullptr, &ignored_size, Bytes(associated_data),
                       static_cast<int>(associated_data.size())) != 1) {
    return OpenSslError("associated data");
  }
  return context;
}

}  // namespace

absl::StatusOr<std::string> NewAeadKey() { return RandomBytes(kAeadKeyBytes); }

absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view plaintext,
                                 absl::string_view associated_data) {
  UW_RETURN_IF_ERROR(CheckKeyAndAssociatedData(key, associated_data));
  if (plaintext.size() > kAeadPlaintextBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("plaintext longer than ", kAeadPlaintextBytesMax, " bytes"));
  }
  UW_ASSIGN_OR_RETURN(std::string sealed, RandomBytes(kAeadNonceBytes));
  UW_ASSIGN_OR_RETURN(CipherContext context, Start(1, key, sealed, associated_data));
  sealed.resize(kAeadNonceBytes + plaintext.size() + kAeadTagBytes);
  unsigned char* out = Bytes(sealed) + kAeadNonceBytes;
  int written = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(context.get(), out, &written, Bytes(plaintext),
                                              static_cast<int>(plaintext.size())) != 1) {
    return OpenSslError("encrypt");
  }
  int final_written = 0;
  if (EVP_EncryptFinal_ex(context.get(), out + written, &final_written) != 1) {
    return OpenSslError("finish");
  }
  // GCM is a stream mode: the ciphertext is exactly as long as the plaintext.
  if (static_cast<size_t>(written + final_written) != plaintext.size()) {
    return OpenSslError("length check");
  }
  if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagBytes),
                          out + plaintext.size()) != 1) {
    return OpenSslError("tag");
  }
  return sealed;
}

absl::StatusOr<std::string> Open(absl::string_view key, absl::string_view sealed,
                                 absl::string_view associated_data) {
  UW_RETURN_IF_ERROR(CheckKeyAndAssociatedData(key, associated_data));
  if (sealed.size() < kAeadNonceBytes + kAeadTagBytes ||
      sealed.size() > kAeadNonceBytes + kAeadPlaintextBytesMax + kAeadTagBytes) {
    return absl::DataLossError("sealed value has an impossible length");
  }
  const absl::string_view nonce = sealed.substr(0, kAeadNonceBytes);
  const absl::string_view ciphertext =
      sealed.substr(kAeadNonceBytes, sealed.size() - kAeadNonceBytes - kAeadTagBytes);
  // OpenSSL's API wants a mutable tag buffer even for decryption.
  std::string tag(sealed.substr(sealed.size() - kAeadTagBytes));
  UW_ASSIGN_OR_RETURN(CipherContext context, Start(0, key, nonce, associated_data));
  std::string plaintext(ciphertext.size(), '\0');
  int written = 0;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(context.get(), Bytes(plaintext), &written, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1) {
    return OpenSslError("decrypt");
  }
  if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagBytes),
                          tag.data()) != 1) {
    return OpenSslError("tag");
  }
  int final_written = 0;
  if (EVP_DecryptFinal_ex(context.get(), Bytes(plaintext) + written, &final_written) != 1) {
    // Authentication failed: never hand out the unauthenticated bytes.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::DataLossError("sealed value failed authentication");
  }
  if (static_cast<size_t>(written + final_written) != ciphertext.size()) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return OpenSslError("length check");
  }
  return plaintext;
}

}  // namespace uwallet::crypto
