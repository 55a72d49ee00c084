#include "services/ledger/core/codec.h"

#include "absl/strings/str_cat.h"
#include "services/ledger/core/errors.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/hash.h"

namespace uwallet::ledger {
namespace {

using nlohmann::json;

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("stored ledger record is malformed: ", what));
}

template <typename T>
absl::StatusOr<T> Get(const json& object, const char* name) {
  if (!object.is_object() || !object.contains(name)) return Corrupt(name);
  try {
    return object.at(name).get<T>();
  } catch (const json::exception&) {
    return Corrupt(name);
  }
}

absl::StatusOr<Metadata> GetMetadata(const json& object) {
  Metadata metadata;
  if (!object.contains("metadata")) return metadata;
  const json& map = object.at("metadata");
  if (!map.is_object()) return Corrupt("metadata");
  for (const auto& [key, value] : map.items()) {
    if (!value.is_string()) return Corrupt("metadata value");
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

void AppendField(std::string* out, absl::string_view value) {
  absl::StrAppend(out, value.size(), ":", value, ";");
}
void AppendField(std::string* out, int64_t value) { absl::StrAppend(out, value, ";"); }

void AppendSpec(std::string* out, const TransferSpec& spec) {
  AppendField(out, spec.debit_account_id);
  AppendField(out, spec.credit_account_id);
  AppendField(out, spec.amount_minor);
  AppendField(out, spec.currency);
  AppendField(out, static_cast<int64_t>(spec.kind));
  AppendField(out, spec.description);
  AppendField(out, static_cast<int64_t>(spec.metadata.size()));
  for (const auto& [key, value] : spec.metadata) {
    AppendField(out, key);
    AppendField(out, value);
  }
}

}  // namespace

json TransferToJson(const Transfer& transfer) {
  return json{{"transfer_id", transfer.transfer_id},
              {"debit_account_id", transfer.debit_account_id},
              {"credit_account_id", transfer.credit_account_id},
              {"amount_minor", transfer.amount_minor},
              {"currency", transfer.currency},
              {"kind", static_cast<int>(transfer.kind)},
              {"description", transfer.description},
              {"metadata", transfer.metadata},
              {"batch_id", transfer.batch_id},
              {"hold_id", transfer.hold_id},
              {"caller", transfer.caller},
              {"idempotency_key", transfer.idempotency_key},
              {"created_at_us", ToMicros(transfer.created_at)}};
}

absl::StatusOr<Transfer> TransferFromJson(const json& object) {
  Transfer transfer;
  UW_ASSIGN_OR_RETURN(transfer.transfer_id, Get<std::string>(object, "transfer_id"));
  UW_ASSIGN_OR_RETURN(transfer.debit_account_id, Get<std::string>(object, "debit_account_id"));
  UW_ASSIGN_OR_RETURN(transfer.credit_account_id, Get<std::string>(object, "credit_account_id"));
  UW_ASSIGN_OR_RETURN(transfer.amount_minor, Get<int64_t>(object, "amount_minor"));
  UW_ASSIGN_OR_RETURN(transfer.currency, Get<std::string>(object, "currency"));
  UW_ASSIGN_OR_RETURN(int kind, Get<int>(object, "kind"));
  transfer.kind = static_cast<TransferKind>(kind);
  UW_ASSIGN_OR_RETURN(transfer.description, Get<std::string>(object, "description"));
  UW_ASSIGN_OR_RETURN(transfer.metadata, GetMetadata(object));
  UW_ASSIGN_OR_RETURN(transfer.batch_id, Get<std::string>(object, "batch_id"));
  UW_ASSIGN_OR_RETURN(transfer.hold_id, Get<std::string>(object, "hold_id"));
  UW_ASSIGN_OR_RETURN(transfer.caller, Get<std::string>(object, "caller"));
  UW_ASSIGN_OR_RETURN(transfer.idempotency_key, Get<std::string>(object, "idempotency_key"));
  UW_ASSIGN_OR_RETURN(int64_t created_us, Get<int64_t>(object, "created_at_us"));
  transfer.created_at = FromMicros(created_us);
  return transfer;
}

json HoldToJson(const Hold& hold) {
  json object{{"hold_id", hold.hold_id},
              {"debit_account_id", hold.debit_account_id},
              {"credit_account_id", hold.credit_account_id},
              {"amount_minor", hold.amount_minor},
              {"currency", hold.currency},
              {"kind", static_cast<int>(hold.kind)},
              {"description", hold.description},
              {"metadata", hold.metadata},
              {"state", static_cast<int>(hold.state)},
              {"posted_amount_minor", hold.posted_amount_minor},
              {"posted_transfer_id", hold.posted_transfer_id},
              {"void_reason", hold.void_reason},
              {"caller", hold.caller},
              {"idempotency_key", hold.idempotency_key},
              {"created_at_us", ToMicros(hold.created_at)}};
  if (hold.expires_at) object["expires_at_us"] = ToMicros(*hold.expires_at);
  if (hold.resolved_at) object["resolved_at_us"] = ToMicros(*hold.resolved_at);
  return object;
}

absl::StatusOr<Hold> HoldFromJson(const json& object) {
  Hold hold;
  UW_ASSIGN_OR_RETURN(hold.hold_id, Get<std::string>(object, "hold_id"));
  UW_ASSIGN_OR_RETURN(hold.debit_account_id, Get<std::string>(object, "debit_account_id"));
  UW_ASSIGN_OR_RETURN(hold.credit_account_id, Get<std::string>(object, "credit_account_id"));
  UW_ASSIGN_OR_RETURN(hold.amount_minor, Get<int64_t>(object, "amount_minor"));
  UW_ASSIGN_OR_RETURN(hold.currency, Get<std::string>(object, "currency"));
  UW_ASSIGN_OR_RETURN(int kind, Get<int>(object, "kind"));
  hold.kind = static_cast<TransferKind>(kind);
  UW_ASSIGN_OR_RETURN(hold.description, Get<std::string>(object, "description"));
  UW_ASSIGN_OR_RETURN(hold.metadata, GetMetadata(object));
  UW_ASSIGN_OR_RETURN(int state, Get<int>(object, "state"));
  hold.state = static_cast<HoldState>(state);
  UW_ASSIGN_OR_RETURN(hold.posted_amount_minor, Get<int64_t>(object, "posted_amount_minor"));
  UW_ASSIGN_OR_RETURN(hold.posted_transfer_id, Get<std::string>(object, "posted_transfer_id"));
  UW_ASSIGN_OR_RETURN(hold.void_reason, Get<std::string>(object, "void_reason"));
  UW_ASSIGN_OR_RETURN(hold.caller, Get<std::string>(object, "caller"));
  UW_ASSIGN_OR_RETURN(hold.idempotency_key, Get<std::string>(object, "idempotency_key"));
  UW_ASSIGN_OR_RETURN(int64_t created_us, Get<int64_t>(object, "created_at_us"));
  hold.created_at = FromMicros(created_us);
  if (object.contains("expires_at_us")) {
    UW_ASSIGN_OR_RETURN(int64_t expires_us, Get<int64_t>(object, "expires_at_us"));
    hold.expires_at = FromMicros(expires_us);
  }
  if (object.contains("resolved_at_us")) {
    UW_ASSIGN_OR_RETURN(int64_t resolved_us, Get<int64_t>(object, "resolved_at_us"));
    hold.resolved_at = FromMicros(resolved_us);
  }
  return hold;
}

std::string EncodeResult(const OperationResult& result) {
  json outcomes = json::array();
  for (const TransferOutcome& outcome : result.outcomes) {
    if (outcome.transfer) {
      outcomes.push_back(json{{"transfer", TransferToJson(*outcome.transfer)}});
    } else {
      outcomes.push_back(json{{"error",
                               {{"code", static_cast<int>(outcome.error.code())},
                                {"reason", outcome.reason},
                                {"message", std::string(outcome.error.message())}}}});
    }
  }
  json object{{"outcomes", outcomes}, {"batch_id", result.batch_id}};
  if (result.hold) object["hold"] = HoldToJson(*result.hold);
  return object.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<OperationResult> DecodeResult(const std::string& json_text) {
  json object = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) return Corrupt("result");
  OperationResult result;
  UW_ASSIGN_OR_RETURN(result.batch_id, Get<std::string>(object, "batch_id"));
  if (!object.contains("outcomes") || !object.at("outcomes").is_array()) {
    return Corrupt("outcomes");
  }
  for (const json& item : object.at("outcomes")) {
    TransferOutcome outcome;
    if (item.is_object() && item.contains("transfer")) {
      UW_ASSIGN_OR_RETURN(Transfer transfer, TransferFromJson(item.at("transfer")));
      outcome.transfer = std::move(transfer);
    } else if (item.is_object() && item.contains("error")) {
      const json& error = item.at("error");
      UW_ASSIGN_OR_RETURN(int code, Get<int>(error, "code"));
      UW_ASSIGN_OR_RETURN(outcome.reason, Get<std::string>(error, "reason"));
      UW_ASSIGN_OR_RETURN(std::string message, Get<std::string>(error, "message"));
      if (code <= 0 || code > 16) return Corrupt("error code");
      outcome.error = WithTransferIndex(
          outcome.reason.empty()
              ? absl::Status(static_cast<absl::StatusCode>(code), message)
              : WithReason(static_cast<absl::StatusCode>(code), outcome.reason, message),
          result.outcomes.size());
    } else {
      return Corrupt("outcome");
    }
    result.outcomes.push_back(std::move(outcome));
  }
  if (object.contains("hold")) {
    UW_ASSIGN_OR_RETURN(Hold hold, HoldFromJson(object.at("hold")));
    result.hold = std::move(hold);
  }
  return result;
}

std::string EncodeStoredResult(const Operation& operation, const OperationResult& result) {
  if (operation.type != OperationType::kPostTransfers) return EncodeResult(result);
  json outcomes = json::array();
  int64_t created_us = 0;
  for (const TransferOutcome& outcome : result.outcomes) {
    if (outcome.transfer) {
      outcomes.push_back(outcome.transfer->transfer_id);
      created_us = ToMicros(outcome.transfer->created_at);
    } else {
      outcomes.push_back(json{{"code", static_cast<int>(outcome.error.code())},
                              {"reason", outcome.reason},
                              {"message", std::string(outcome.error.message())}});
    }
  }
  return json{{"v", 2}, {"b", result.batch_id}, {"at", created_us}, {"o", std::move(outcomes)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<OperationResult> DecodeStoredResult(const Operation& operation,
                                                   const std::string& json_text) {
  json object = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) return Corrupt("result");
  if (!object.contains("v")) return DecodeResult(json_text);
  UW_ASSIGN_OR_RETURN(int version, Get<int>(object, "v"));
  if (version != 2 || operation.type != OperationType::kPostTransfers) {
    return Corrupt("result version");
  }
  OperationResult result;
  UW_ASSIGN_OR_RETURN(result.batch_id, Get<std::string>(object, "b"));
  UW_ASSIGN_OR_RETURN(int64_t created_us, Get<int64_t>(object, "at"));
  if (!object.contains("o") || !object.at("o").is_array() ||
      object.at("o").size() != operation.transfers.size()) {
    return Corrupt("outcomes");
  }
  for (const json& item : object.at("o")) {
    const size_t index = result.outcomes.size();
    TransferOutcome outcome;
    if (item.is_string()) {
      const TransferSpec& spec = operation.transfers[index];
      outcome.transfer = Transfer{.transfer_id = item.get<std::string>(),
                                  .debit_account_id = spec.debit_account_id,
                                  .credit_account_id = spec.credit_account_id,
                                  .amount_minor = spec.amount_minor,
                                  .currency = spec.currency,
                                  .kind = spec.kind,
                                  .description = spec.description,
                                  .metadata = spec.metadata,
                                  .batch_id = result.batch_id,
                                  .caller = operation.caller,
                                  .idempotency_key = operation.idempotency_key,
                                  .created_at = FromMicros(created_us)};
    } else {
      UW_ASSIGN_OR_RETURN(int code, Get<int>(item, "code"));
      UW_ASSIGN_OR_RETURN(outcome.reason, Get<std::string>(item, "reason"));
      UW_ASSIGN_OR_RETURN(std::string message, Get<std::string>(item, "message"));
      if (code <= 0 || code > 16) return Corrupt("error code");
      outcome.error = WithTransferIndex(
          outcome.reason.empty()
              ? absl::Status(static_cast<absl::StatusCode>(code), message)
              : WithReason(static_cast<absl::StatusCode>(code), outcome.reason, message),
          index);
    }
    result.outcomes.push_back(std::move(outcome));
  }
  return result;
}

std::string RequestHash(const Operation& operation) {
  std::string canonical = "ledger-request-v1;";
  AppendField(&canonical, static_cast<int64_t>(operation.type));
  AppendField(&canonical, operation.linked ? 1 : 0);
  AppendField(&canonical, static_cast<int64_t>(operation.transfers.size()));
  for (const TransferSpec& spec : operation.transfers) AppendSpec(&canonical, spec);
  if (operation.type == OperationType::kCreateHold) {
    AppendSpec(&canonical, operation.hold);
    AppendField(&canonical, operation.ttl_s);
  }
  AppendField(&canonical, operation.hold_id);
  AppendField(&canonical, operation.post_amount_minor.has_value() ? 1 : 0);
  AppendField(&canonical, operation.post_amount_minor.value_or(0));
  AppendField(&canonical, operation.post_currency);
  AppendField(&canonical, operation.void_reason);
  return crypto::Sha256Hex(canonical);
}

}  // namespace uwallet::ledger
