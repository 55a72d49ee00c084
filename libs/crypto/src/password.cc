#include "uwallet/crypto/password.h"

#include <argon2.h>
#include <openssl/crypto.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "internal.h"
#include "uwallet/common/cores.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/random.h"

namespace uwallet::crypto {
namespace {

constexpr absl::string_view kType = "argon2id";
constexpr absl::string_view kVersion = "v=19";  // ARGON2_VERSION_13
static_assert(ARGON2_VERSION_NUMBER == 0x13);

// A decoded PHC string.
struct ParsedHash {
  PasswordParams params;
  std::string salt;
  std::string hash;
};

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed password hash: ", why));
}

// Checks params against the ceilings; `floors` adds the minimum strength for new hashes.
absl::Status CheckParams(const PasswordParams& params, bool floors) {
  if (params.parallelism < 1 || params.parallelism > kPasswordParallelismMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("argon2 parallelism must be 1..", kPasswordParallelismMax));
  }
  // argon2 needs at least 8 KiB per lane.
  if (params.memory_kib < 8 * params.parallelism || params.memory_kib > kPasswordMemoryKibMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("argon2 memory must be 8*p..", kPasswordMemoryKibMax, " KiB"));
  }
  if (params.iterations < 1 || params.iterations > kPasswordIterationsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("argon2 iterations must be 1..", kPasswordIterationsMax));
  }
  const uint32_t salt_min = floors ? kPasswordSaltBytesMin : ARGON2_MIN_SALT_LENGTH;
  if (params.salt_bytes < salt_min || params.salt_bytes > kPasswordSaltBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("argon2 salt must be ", salt_min, "..", kPasswordSaltBytesMax, " bytes"));
  }
  const uint32_t hash_min = floors ? kPasswordHashBytesMin : ARGON2_MIN_OUTLEN;
  if (params.hash_bytes < hash_min || params.hash_bytes > kPasswordHashBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("argon2 hash must be ", hash_min, "..", kPasswordHashBytesMax, " bytes"));
  }
  if (floors &&
      (params.memory_kib < kPasswordMemoryKibMin || params.iterations < kPasswordIterationsMin)) {
    return absl::InvalidArgumentError(
        absl::StrCat("argon2id needs at least m=", kPasswordMemoryKibMin,
                     " KiB and t=", kPasswordIterationsMin));
  }
  return absl::OkStatus();
}

// "name=<decimal>" with no sign, no leading zero and a value that fits in uint32_t.
bool ParseField(absl::string_view field, absl::string_view name, uint32_t& value) {
  if (field.size() <= name.size() + 1 || field.substr(0, name.size()) != name ||
      field[name.size()] != '=') {
    return false;
  }
  const absl::string_view digits = field.substr(name.size() + 1);
  if (digits.size() > 10 || (digits.size() > 1 && digits[0] == '0')) return false;
  uint64_t parsed = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    parsed = parsed * 10 + static_cast<uint64_t>(c - '0');
  }
  if (parsed > UINT32_MAX) return false;
  value = static_cast<uint32_t>(parsed);
  return true;
}

absl::StatusOr<ParsedHash> Parse(absl::string_view encoded) {
  // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
  const std::vector<absl::string_view> parts = absl::StrSplit(encoded, '$');
  if (parts.size() != 6 || !parts[0].empty()) return Malformed("expected 5 '$' fields");
  if (parts[1] != kType) return Malformed("not argon2id");
  if (parts[2] != kVersion) return Malformed("not version 19");
  const std::vector<absl::string_view> costs = absl::StrSplit(parts[3], ',');
  ParsedHash parsed;
  if (costs.size() != 3 || !ParseField(costs[0], "m", parsed.params.memory_kib) ||
      !ParseField(costs[1], "t", parsed.params.iterations) ||
      !ParseField(costs[2], "p", parsed.params.parallelism)) {
    return Malformed("expected m=<KiB>,t=<iterations>,p=<lanes>");
  }
  auto salt = internal::Base64DecodeNoPadding(parts[4], internal::kBase64StandardAlphabet);
  auto hash = internal::Base64DecodeNoPadding(parts[5], internal::kBase64StandardAlphabet);
  if (!salt.ok() || !hash.ok()) return Malformed("bad base64");
  parsed.salt = *std::move(salt);
  parsed.hash = *std::move(hash);
  parsed.params.salt_bytes = static_cast<uint32_t>(parsed.salt.size());
  parsed.params.hash_bytes = static_cast<uint32_t>(parsed.hash.size());
  if (absl::Status status = CheckParams(parsed.params, /*floors=*/false); !status.ok()) {
    return Malformed(status.message());
  }
  return parsed;
}

absl::Status FromArgon2(int result) {
  if (result == ARGON2_OK) return absl::OkStatus();
  const std::string message = absl::StrCat("argon2: ", argon2_error_message(result));
  if (result == ARGON2_MEMORY_ALLOCATION_ERROR) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

// The slots of SetPasswordHashConcurrency: a counting gate, first come first served.
class HashGate {
 public:
  static HashGate& Instance() {
    static HashGate* gate = new HashGate();  // never destroyed: used until the process ends
    return *gate;
  }
  void SetSlots(int slots) {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_ = std::max(1, slots);
    changed_.notify_all();
  }
  int slots() {
    std::lock_guard<std::mutex> lock(mutex_);
    return slots_;
  }
  int running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
  }
  void Enter() {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t ticket = next_ticket_++;
    changed_.wait(lock, [&] { return ticket == serving_ && running_ < slots_; });
    ++serving_;
    ++running_;
    changed_.notify_all();  // the next ticket may fit too
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    changed_.notify_all();
  }

 private:
  HashGate() : slots_(UsableCores()) {}
  std::mutex mutex_;
  std::condition_variable changed_;
  int slots_;
  int running_ = 0;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
};

// Running totals for PasswordHashTotalsSoFar, in nanoseconds.
std::atomic<int64_t> g_hashes{0};
std::atomic<int64_t> g_cpu_ns{0};
std::atomic<int64_t> g_waited_ns{0};

int64_t ThreadCpuNanos() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// One argon2id computation: holds a slot of the gate and counts the computation, its CPU and the
// wait for the slot into the totals.
class HashSlot {
 public:
  HashSlot() {
    const auto arrived = std::chrono::steady_clock::now();
    HashGate::Instance().Enter();
    g_waited_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - arrived)
                              .count(),
                          std::memory_order_relaxed);
    cpu_started_ = ThreadCpuNanos();
  }
  ~HashSlot() {
    g_cpu_ns.fetch_add(ThreadCpuNanos() - cpu_started_, std::memory_order_relaxed);
    g_hashes.fetch_add(1, std::memory_order_relaxed);
    HashGate::Instance().Leave();
  }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;

 private:
  int64_t cpu_started_ = 0;
};

// The raw argon2id hash of `password` with `salt` and `params` (salt_bytes is ignored: the salt's
// own size is used).
absl::StatusOr<std::string> RawHash(absl::string_view password, absl::string_view salt,
                                    const PasswordParams& params) {
  std::string hash(params.hash_bytes, '\0');
  HashSlot slot;
  UW_RETURN_IF_ERROR(FromArgon2(
      argon2id_hash_raw(params.iterations, params.memory_kib, params.parallelism, password.data(),
                        password.size(), salt.data(), salt.size(), hash.data(), hash.size())));
  return hash;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password, const PasswordParams& params) {
  UW_RETURN_IF_ERROR(CheckParams(params, /*floors=*/true));
  if (password.size() > kPasswordBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("password longer than ", kPasswordBytesMax, " bytes"));
  }
  UW_ASSIGN_OR_RETURN(const std::string salt, RandomBytes(params.salt_bytes));
  std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                        params.salt_bytes, params.hash_bytes, Argon2_id),
                      '\0');
  HashSlot slot;
  UW_RETURN_IF_ERROR(FromArgon2(argon2id_hash_encoded(
      params.iterations, params.memory_kib, params.parallelism, password.data(), password.size(),
      salt.data(), salt.size(), params.hash_bytes, encoded.data(), encoded.size())));
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminator.
  return encoded;
}

absl::StatusOr<bool> VerifyPassword(absl::string_view encoded, absl::string_view password) {
  UW_ASSIGN_OR_RETURN(const ParsedHash parsed, Parse(encoded));
  // An over-long password cannot match, but it must cost what a wrong one costs.
  const bool too_long = password.size() > kPasswordBytesMax;
  UW_ASSIGN_OR_RETURN(std::string computed,
                      RawHash(too_long ? password.substr(0, kPasswordBytesMax) : password,
                              parsed.salt, parsed.params));
  const bool equal = CRYPTO_memcmp(computed.data(), parsed.hash.data(), computed.size()) == 0;
  OPENSSL_cleanse(computed.data(), computed.size());
  return equal && !too_long;
}

bool NeedsRehash(absl::string_view encoded, const PasswordParams& params) {
  const absl::StatusOr<ParsedHash> parsed = Parse(encoded);
  if (!parsed.ok()) return true;
  const PasswordParams& have = parsed->params;
  return have.memory_kib != params.memory_kib || have.iterations != params.iterations ||
         have.parallelism != params.parallelism || have.salt_bytes != params.salt_bytes ||
         have.hash_bytes != params.hash_bytes;
}

void BurnPasswordTime(const PasswordParams& params) {
  // Same parameters, same work as VerifyPassword; the salt's value does not change the cost.
  const std::string salt(params.salt_bytes, '\x5a');
  const absl::StatusOr<std::string> ignored = RawHash("burn-password-time", salt, params);
  (void)ignored;
}

void SetPasswordHashConcurrency(int slots) { HashGate::Instance().SetSlots(slots); }

int PasswordHashConcurrency() { return HashGate::Instance().slots(); }

int PasswordHashesRunning() { return HashGate::Instance().running(); }

PasswordHashTotals PasswordHashTotalsSoFar() {
  return {.hashes = g_hashes.load(std::memory_order_relaxed),
          .cpu = absl::Nanoseconds(g_cpu_ns.load(std::memory_order_relaxed)),
          .waited = absl::Nanoseconds(g_waited_ns.load(std::memory_order_relaxed))};
}

}  // namespace uwallet::crypto
