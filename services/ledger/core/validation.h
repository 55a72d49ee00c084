#pragma once
// Checks of request shape that need no database: ids, amounts, currencies, kinds, text bounds.
// Every failure names its reason (errors.h) and the field, so that callers can fix the request.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/ledger/core/model.h"

namespace uwallet::ledger {

// ISO 4217 shape: three upper-case letters.
[[nodiscard]] bool IsCurrencyCode(absl::string_view currency);
// Valid UTF-8 without NUL bytes (PostgreSQL text and jsonb accept nothing else).
[[nodiscard]] bool IsStorableText(absl::string_view text);

[[nodiscard]] absl::Status ValidateAmount(int64_t amount_minor, absl::string_view field);
[[nodiscard]] absl::Status ValidateCurrency(absl::string_view currency, absl::string_view field);
[[nodiscard]] absl::Status ValidateId(absl::string_view id, absl::string_view field);
[[nodiscard]] absl::Status ValidateMetadata(const Metadata& metadata, absl::string_view field);
[[nodiscard]] absl::Status ValidateText(absl::string_view text, size_t bytes_max,
                                        absl::string_view field);
// `field` prefixes messages, e.g. "transfers[3]".
[[nodiscard]] absl::Status ValidateTransferSpec(const TransferSpec& spec, absl::string_view field);
[[nodiscard]] absl::Status ValidateIdempotencyKey(absl::string_view key);
// Everything about an operation that can be checked before touching the database.
[[nodiscard]] absl::Status ValidateOperation(const Operation& operation);

// Opening an account: the owner kind must fit the account kind (a user owns wallets, a merchant
// its takings account, the system the settlement, fee and suspense accounts).
[[nodiscard]] absl::Status ValidateNewAccount(absl::string_view owner_id, OwnerKind owner_kind,
                                              AccountKind kind, absl::string_view currency);

}  // namespace uwallet::ledger
