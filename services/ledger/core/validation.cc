#include "services/ledger/core/validation.h"

#include "absl/strings/str_cat.h"
#include "services/ledger/core/errors.h"
#include "uwallet/common/ids.h"

namespace uwallet::ledger {
namespace {

bool IsUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && code < 0x10000) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

bool IsCurrencyCode(absl::string_view currency) {
  if (currency.size() != 3) return false;
  for (char c : currency) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool IsStorableText(absl::string_view text) {
  return text.find('\0') == absl::string_view::npos && IsUtf8(text);
}

absl::Status ValidateAmount(int64_t amount_minor, absl::string_view field) {
  if (amount_minor <= 0) {
    return AmountInvalid(absl::StrCat(field, ": amount must be positive"));
  }
  if (amount_minor > kAmountMinorMax) {
    return AmountInvalid(
        absl::StrCat(field, ": amount above the maximum of ", kAmountMinorMax, " minor units"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCurrency(absl::string_view currency, absl::string_view field) {
  if (!IsCurrencyCode(currency)) {
    return InvalidField(absl::StrCat(field, ": currency must be an ISO 4217 code such as CNY"));
  }
  return absl::OkStatus();
}

absl::Status ValidateId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return InvalidField(absl::StrCat(field, " is required"));
  if (!IsUuid(id)) return InvalidField(absl::StrCat(field, " is not a valid id"));
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view text, size_t bytes_max, absl::string_view field) {
  if (text.size() > bytes_max) {
    return InvalidField(absl::StrCat(field, " is longer than ", bytes_max, " bytes"));
  }
  if (!IsStorableText(text)) {
    return InvalidField(absl::StrCat(field, " must be UTF-8 text without NUL characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMetadata(const Metadata& metadata, absl::string_view field) {
  if (metadata.size() > static_cast<size_t>(kMetadataEntriesMax)) {
    return InvalidField(absl::StrCat(field, " has more than ", kMetadataEntriesMax, " entries"));
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty()) return InvalidField(absl::StrCat(field, " has an empty key"));
    UW_RETURN_IF_ERROR(ValidateText(key, kMetadataKeyBytesMax, absl::StrCat(field, " key")));
    UW_RETURN_IF_ERROR(
        ValidateText(value, kMetadataValueBytesMax, absl::StrCat(field, "[", key, "]")));
  }
  return absl::OkStatus();
}

absl::Status ValidateTransferSpec(const TransferSpec& spec, absl::string_view field) {
  UW_RETURN_IF_ERROR(ValidateId(spec.debit_account_id, absl::StrCat(field, ".debit_account_id")));
  UW_RETURN_IF_ERROR(ValidateId(spec.credit_account_id, absl::StrCat(field, ".credit_account_id")));
  if (spec.debit_account_id == spec.credit_account_id) {
    return SameAccount(absl::StrCat(field, ": debit and credit account are the same"));
  }
  UW_RETURN_IF_ERROR(ValidateAmount(spec.amount_minor, absl::StrCat(field, ".amount")));
  UW_RETURN_IF_ERROR(ValidateCurrency(spec.currency, absl::StrCat(field, ".amount.currency")));
  const int kind = static_cast<int>(spec.kind);
  if (kind < 1 || kind > kTransferKindMax) {
    return InvalidField(absl::StrCat(field, ".kind is required"));
  }
  UW_RETURN_IF_ERROR(
      ValidateText(spec.description, kDescriptionBytesMax, absl::StrCat(field, ".description")));
  return ValidateMetadata(spec.metadata, absl::StrCat(field, ".metadata"));
}

absl::Status ValidateIdempotencyKey(absl::string_view key) {
  if (key.empty()) return InvalidField("idempotency_key is required");
  return ValidateText(key, kIdempotencyKeyBytesMax, "idempotency_key");
}

absl::Status ValidateOperation(const Operation& operation) {
  if (operation.type != OperationType::kExpireHold) {
    if (operation.caller.empty()) return absl::PermissionDeniedError("no caller");
    UW_RETURN_IF_ERROR(ValidateIdempotencyKey(operation.idempotency_key));
  }
  switch (operation.type) {
    case OperationType::kPostTransfers: {
      if (operation.transfers.empty()) return InvalidField("transfers: at least one is required");
      if (operation.transfers.size() > static_cast<size_t>(kBatchTransfersMax)) {
        return InvalidField(absl::StrCat("transfers: at most ", kBatchTransfersMax));
      }
      for (size_t i = 0; i < operation.transfers.size(); ++i) {
        UW_RETURN_IF_ERROR(
            ValidateTransferSpec(operation.transfers[i], absl::StrCat("transfers[", i, "]")));
      }
      return absl::OkStatus();
    }
    case OperationType::kCreateHold:
      UW_RETURN_IF_ERROR(ValidateTransferSpec(operation.hold, "hold"));
      if (operation.ttl_s < 0 || operation.ttl_s > kHoldTtlMaxS) {
        return InvalidField(absl::StrCat("ttl_s must be in 0..", kHoldTtlMaxS));
      }
      return absl::OkStatus();
    case OperationType::kPostHold:
      UW_RETURN_IF_ERROR(ValidateId(operation.hold_id, "hold_id"));
      if (operation.post_amount_minor.has_value()) {
        UW_RETURN_IF_ERROR(ValidateAmount(*operation.post_amount_minor, "amount"));
        if (!operation.post_currency.empty()) {
          UW_RETURN_IF_ERROR(ValidateCurrency(operation.post_currency, "amount.currency"));
        }
      }
      if (operation.transfers.size() > static_cast<size_t>(kHoldLinkedTransfersMax)) {
        return InvalidField(absl::StrCat("linked_transfers: at most ", kHoldLinkedTransfersMax));
      }
      for (size_t i = 0; i < operation.transfers.size(); ++i) {
        UW_RETURN_IF_ERROR(ValidateTransferSpec(operation.transfers[i],
                                                absl::StrCat("linked_transfers[", i, "]")));
      }
      return absl::OkStatus();
    case OperationType::kVoidHold:
      UW_RETURN_IF_ERROR(ValidateId(operation.hold_id, "hold_id"));
      return ValidateText(operation.void_reason, kReasonBytesMax, "reason");
    case OperationType::kExpireHold:
      return ValidateId(operation.hold_id, "hold_id");
  }
  return InvalidField("unknown operation");
}

absl::Status ValidateNewAccount(absl::string_view owner_id, OwnerKind owner_kind, AccountKind kind,
                                absl::string_view currency) {
  if (owner_id.empty()) return InvalidField("owner_id is required");
  UW_RETURN_IF_ERROR(ValidateText(owner_id, kOwnerIdBytesMax, "owner_id"));
  UW_RETURN_IF_ERROR(ValidateCurrency(currency, "currency"));
  const int kind_value = static_cast<int>(kind);
  if (kind_value < 1 || kind_value > kAccountKindMax) return InvalidField("kind is required");
  OwnerKind expected = OwnerKind::kSystem;
  if (kind == AccountKind::kUserWallet) expected = OwnerKind::kUser;
  if (kind == AccountKind::kMerchant) expected = OwnerKind::kMerchant;
  if (owner_kind == OwnerKind::kUnspecified) return InvalidField("owner_kind is required");
  if (owner_kind != expected) {
    return InvalidField(
        "owner_kind does not fit the account kind (users own wallets, merchants "
        "their merchant account, the system everything else)");
  }
  return absl::OkStatus();
}

}  // namespace uwallet::ledger
