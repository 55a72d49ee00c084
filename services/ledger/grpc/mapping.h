#pragma once
// proto (uwallet.ledger.v1) ↔ domain (core/model.h, core/reads.h, core/queries.h). Enum values are
// the same numbers on both sides; unknown values from a client are rejected by validation.

#include <grpcpp/grpcpp.h>

#include <optional>

#include "absl/status/statusor.h"
#include "services/ledger/core/model.h"
#include "services/ledger/core/queries.h"
#include "services/ledger/core/reads.h"
#include "uwallet/ledger/v1/ledger.pb.h"

namespace uwallet::ledger {

namespace v1 = ::uwallet::ledger::v1;

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out);
// INVALID_FIELD for a timestamp outside what protobuf allows.
[[nodiscard]] absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& ts,
                                                       absl::string_view field);
void SetMoney(int64_t amount_minor, const std::string& currency, uwallet::common::v1::Money* out);

[[nodiscard]] TransferSpec SpecFromProto(const v1::TransferSpec& spec);
[[nodiscard]] absl::StatusOr<HistoryFilter> FilterFromProto(const v1::TransactionFilter& filter);
[[nodiscard]] absl::StatusOr<std::pair<std::optional<absl::Time>, std::optional<absl::Time>>>
RangeFromProto(const uwallet::common::v1::TimeRange& range);

void ToProto(const Transfer& transfer, v1::Transfer* out);
void ToProto(const Hold& hold, v1::Hold* out);
void ToProto(const Account& account, v1::Account* out);
void ToProto(const AccountState& state, v1::Balance* out);
void ToProto(const Counterparty& counterparty, v1::Counterparty* out);
void ToProto(const HistoryItem& item, v1::Transaction* out);
void ToProto(const SpendingSummary& summary, v1::GetSpendingSummaryResponse* out);
void ToProto(const TrialBalanceLine& line, v1::CurrencyTrialBalance* out);
void ToErrorDetail(const absl::Status& status, uwallet::common::v1::ErrorDetail* out);

// absl → gRPC at the handler, with the machine-readable reason and, for batch failures, the
// `transfer_index` of the transfer that failed, as google.rpc.ErrorInfo metadata.
[[nodiscard]] grpc::Status ToGrpc(const absl::Status& status);

}  // namespace uwallet::ledger
