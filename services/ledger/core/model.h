#pragma once
// The ledger's domain types: accounts, balances, transfers, holds and the operations that move
// money. Plain structs, no gRPC, no libpq. Enum values equal the proto enums of uwallet.ledger.v1
// and the small integers stored in PostgreSQL, so mapping is a cast in one place (grpc/mapping).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace uwallet::ledger {

// ---- Limits (TigerBeetle style: a bound on everything) ----

// The largest amount one transfer or hold may carry: 10^15 minor units (10 trillion CNY). Balances
// are int64, so sums of many such amounts still fit far beyond any real book; the engine checks
// every sum for overflow anyway.
inline constexpr int64_t kAmountMinorMax = 1'000'000'000'000'000;
inline constexpr int kBatchTransfersMax = 100;      // transfers per PostTransfers
inline constexpr int kHoldLinkedTransfersMax = 10;  // transfers posted together with a hold
inline constexpr int kMetadataEntriesMax = 16;
inline constexpr size_t kMetadataKeyBytesMax = 64;
inline constexpr size_t kMetadataValueBytesMax = 256;
inline constexpr size_t kDescriptionBytesMax = 256;
inline constexpr size_t kIdempotencyKeyBytesMax = 128;
inline constexpr size_t kOwnerIdBytesMax = 128;
inline constexpr size_t kReasonBytesMax = 512;
inline constexpr int64_t kHoldTtlMaxS = 90LL * 24 * 3600;  // 90 days
inline constexpr int kPageSizeMax = 100;
inline constexpr int kPageSizeDefault = 20;
inline constexpr int kHoldPageSizeMax = 100;
inline constexpr int kHoldPageSizeDefault = 50;
inline constexpr int kStatementPageSizeMax = 1000;
inline constexpr int kStatementPageSizeDefault = 100;
inline constexpr int kAccountsPerOwnerMax = 64;  // one per kind per currency; bounded reads
inline constexpr int kSpendingCounterpartiesMax = 20;

// ---- Enums (values = proto values = stored values) ----

enum class AccountKind : int {
  kUnspecified = 0,
  kUserWallet = 1,
  kMerchant = 2,
  kBankSettlement = 3,
  kFeeRevenue = 4,
  kSuspense = 5,
};
inline constexpr int kAccountKindMax = 5;

enum class OwnerKind : int { kUnspecified = 0, kUser = 1, kMerchant = 2, kSystem = 3 };
inline constexpr int kOwnerKindMax = 3;

enum class TransferKind : int {
  kUnspecified = 0,
  kTopUp = 1,
  kWithdrawal = 2,
  kP2p = 3,
  kMerchantPayment = 4,
  kFee = 5,
  kRefund = 6,
  kReversal = 7,
  kDisputeHold = 8,
  kRiskHold = 9,
  kAdjustment = 10,
};
inline constexpr int kTransferKindMax = 10;

enum class HoldState : int {
  kUnspecified = 0,
  kPending = 1,
  kPosted = 2,
  kVoided = 3,
  kExpired = 4
};

enum class Direction : int { kUnspecified = 0, kIn = 1, kOut = 2 };

// Only system settlement accounts may go below zero: money that entered from or left to banks.
[[nodiscard]] inline bool KindMayGoNegative(AccountKind kind) {
  return kind == AccountKind::kBankSettlement;
}

using Metadata = std::map<std::string, std::string>;

// 128-bit arithmetic for balance sums, so that no combination of int64 columns overflows.
__extension__ typedef __int128 Int128;

// ---- Records ----

struct Account {
  std::string account_id;
  std::string owner_id;
  OwnerKind owner_kind = OwnerKind::kUnspecified;
  AccountKind kind = AccountKind::kUnspecified;
  std::string currency;
  bool allow_negative = false;
  bool frozen = false;
  absl::Time created_at = absl::UnixEpoch();
};

struct Balance {
  std::string account_id;
  std::string currency;
  int64_t posted_debits = 0;
  int64_t posted_credits = 0;
  int64_t pending_debits = 0;
  int64_t pending_credits = 0;
  bool frozen = false;
  // credits − debits. Computed in 128 bits so that even a corrupt row cannot overflow here.
  [[nodiscard]] Int128 Posted() const {
    return static_cast<Int128>(posted_credits) - posted_debits;
  }
  // What can be spent now: posted − pending debits.
  [[nodiscard]] Int128 Available() const { return Posted() - pending_debits; }
};

// An account together with its balance row, as the writer sees it under a row lock.
struct AccountState {
  Account account;
  Balance balance;
};

struct TransferSpec {
  std::string debit_account_id;
  std::string credit_account_id;
  int64_t amount_minor = 0;
  std::string currency;
  TransferKind kind = TransferKind::kUnspecified;
  std::string description;
  Metadata metadata;
};

struct Transfer {
  std::string transfer_id;
  std::string debit_account_id;
  std::string credit_account_id;
  int64_t amount_minor = 0;
  std::string currency;
  TransferKind kind = TransferKind::kUnspecified;
  std::string description;
  Metadata metadata;
  std::string batch_id;  // empty: not part of a linked batch
  std::string hold_id;   // set on the posting of a hold
  std::string caller;
  std::string idempotency_key;
  absl::Time created_at = absl::UnixEpoch();
};

struct Hold {
  std::string hold_id;
  std::string debit_account_id;
  std::string credit_account_id;
  int64_t amount_minor = 0;
  std::string currency;
  TransferKind kind = TransferKind::kUnspecified;
  std::string description;
  Metadata metadata;
  HoldState state = HoldState::kUnspecified;
  int64_t posted_amount_minor = 0;  // set once posted
  std::string posted_transfer_id;
  std::string void_reason;
  std::string caller;
  std::string idempotency_key;
  absl::Time created_at = absl::UnixEpoch();
  std::optional<absl::Time> expires_at;  // none: never expires
  std::optional<absl::Time> resolved_at;
};

// One leg of a transfer as the account sees it (history, statements).
struct Entry {
  std::string account_id;
  std::string transfer_id;
  Direction direction = Direction::kUnspecified;
  std::string counterparty_account_id;
  int64_t amount_minor = 0;
  std::string currency;
  TransferKind kind = TransferKind::kUnspecified;
  int64_t balance_after = 0;  // posted balance of account_id right after this transfer
  absl::Time created_at = absl::UnixEpoch();
};

// ---- Operations: what the writer executes, one idempotent unit each ----

enum class OperationType : int {
  kPostTransfers = 1,
  kCreateHold = 2,
  kPostHold = 3,
  kVoidHold = 4,
  kExpireHold = 5,  // the sweeper's; carries no idempotency key
};

struct Operation {
  OperationType type = OperationType::kPostTransfers;
  // The idempotency scope: the calling service ("payments"). Keys of different callers never meet.
  std::string caller;
  std::string idempotency_key;
  // kPostTransfers: 1..kBatchTransfersMax. kPostHold: the linked transfers (0..10).
  std::vector<TransferSpec> transfers;
  bool linked = false;
  // kCreateHold: what to reserve and for how long (0: no expiry).
  TransferSpec hold;
  int64_t ttl_s = 0;
  // kPostHold / kVoidHold / kExpireHold.
  std::string hold_id;
  // kPostHold: how much to post; nullopt: the held amount. post_currency may be empty.
  std::optional<int64_t> post_amount_minor;
  std::string post_currency;
  // kVoidHold.
  std::string void_reason;
};

// The outcome of one transfer of a batch: the transfer, or why it failed (unlinked batches).
struct TransferOutcome {
  std::optional<Transfer> transfer;
  absl::Status error;  // OK when transfer is set
  std::string reason;  // machine-readable reason of error
};

struct OperationResult {
  // Failure of the whole operation (nothing applied, no idempotency record kept).
  absl::Status status;
  bool replayed = false;
  // kPostTransfers: one per requested transfer. kPostHold: the posting first, then the linked.
  std::vector<TransferOutcome> outcomes;
  std::string batch_id;
  std::optional<Hold> hold;
};

}  // namespace uwallet::ledger
