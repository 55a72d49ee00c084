#include "services/ledger/grpc/mapping.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/ledger/core/errors.h"
#include "uwallet/common/status.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::ledger {
namespace {

// 0001-01-01 .. 9999-12-31, what google.protobuf.Timestamp allows.
constexpr int64_t kTimestampSecondsMin = -62135596800;
constexpr int64_t kTimestampSecondsMax = 253402300799;

std::string DisplayName(const Counterparty& counterparty) {
  switch (counterparty.kind) {
    case AccountKind::kBankSettlement:
      return "Bank";
    case AccountKind::kFeeRevenue:
      return "uwallet fees";
    case AccountKind::kSuspense:
      return "uwallet";
    default:
      return "";  // people and merchants: names live with auth/payments, not in the ledger
  }
}

}  // namespace

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t remainder = micros % 1'000'000;
  if (remainder < 0) {
    remainder += 1'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(remainder * 1000));
}

absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& ts,
                                         absl::string_view field) {
  if (ts.seconds() < kTimestampSecondsMin || ts.seconds() > kTimestampSecondsMax ||
      ts.nanos() < 0 || ts.nanos() >= 1'000'000'000) {
    return InvalidField(absl::StrCat(field, " is not a valid timestamp"));
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void SetMoney(int64_t amount_minor, const std::string& currency, uwallet::common::v1::Money* out) {
  out->set_amount_minor(amount_minor);
  out->set_currency(currency);
}

TransferSpec SpecFromProto(const v1::TransferSpec& spec) {
  TransferSpec out{.debit_account_id = spec.debit_account_id(),
                   .credit_account_id = spec.credit_account_id(),
                   .amount_minor = spec.amount().amount_minor(),
                   .currency = spec.amount().currency(),
                   .kind = static_cast<TransferKind>(spec.kind()),
                   .description = spec.description()};
  for (const auto& [key, value] : spec.metadata()) out.metadata[key] = value;
  return out;
}

absl::StatusOr<std::pair<std::optional<absl::Time>, std::optional<absl::Time>>> RangeFromProto(
    const uwallet::common::v1::TimeRange& range) {
  std::pair<std::optional<absl::Time>, std::optional<absl::Time>> out;
  if (range.has_start_time()) {
    UW_ASSIGN_OR_RETURN(out.first, TimeFromProto(range.start_time(), "time_range.start_time"));
  }
  if (range.has_end_time()) {
    UW_ASSIGN_OR_RETURN(out.second, TimeFromProto(range.end_time(), "time_range.end_time"));
  }
  return out;
}

absl::StatusOr<HistoryFilter> FilterFromProto(const v1::TransactionFilter& filter) {
  HistoryFilter out;
  UW_ASSIGN_OR_RETURN(auto range, RangeFromProto(filter.time_range()));
  out.start = range.first;
  out.end = range.second;
  for (int kind : filter.kinds()) out.kinds.push_back(static_cast<TransferKind>(kind));
  out.counterparty_id = filter.counterparty_id();
  const int direction = filter.direction();
  if (direction < 0 || direction > 2) return InvalidField("filter.direction is unknown");
  out.direction = static_cast<Direction>(direction);
  out.currency = filter.currency();
  return out;
}

void ToProto(const Transfer& transfer, v1::Transfer* out) {
  out->set_transfer_id(transfer.transfer_id);
  out->set_debit_account_id(transfer.debit_account_id);
  out->set_credit_account_id(transfer.credit_account_id);
  SetMoney(transfer.amount_minor, transfer.currency, out->mutable_amount());
  out->set_kind(static_cast<v1::TransferKind>(transfer.kind));
  out->set_description(transfer.description);
  for (const auto& [key, value] : transfer.metadata) (*out->mutable_metadata())[key] = value;
  out->set_batch_id(transfer.batch_id);
  out->set_hold_id(transfer.hold_id);
  SetTimestamp(transfer.created_at, out->mutable_created_at());
}

void ToProto(const Hold& hold, v1::Hold* out) {
  out->set_hold_id(hold.hold_id);
  out->set_debit_account_id(hold.debit_account_id);
  out->set_credit_account_id(hold.credit_account_id);
  SetMoney(hold.amount_minor, hold.currency, out->mutable_amount());
  if (hold.state == HoldState::kPosted) {
    SetMoney(hold.posted_amount_minor, hold.currency, out->mutable_posted_amount());
  }
  out->set_state(static_cast<v1::HoldState>(hold.state));
  out->set_kind(static_cast<v1::TransferKind>(hold.kind));
  out->set_description(hold.description);
  for (const auto& [key, value] : hold.metadata) (*out->mutable_metadata())[key] = value;
  SetTimestamp(hold.created_at, out->mutable_created_at());
  if (hold.expires_at) SetTimestamp(*hold.expires_at, out->mutable_expires_at());
  if (hold.resolved_at) SetTimestamp(*hold.resolved_at, out->mutable_resolved_at());
  out->set_posted_transfer_id(hold.posted_transfer_id);
}

void ToProto(const Account& account, v1::Account* out) {
  out->set_account_id(account.account_id);
  out->set_owner_id(account.owner_id);
  out->set_owner_kind(static_cast<v1::OwnerKind>(account.owner_kind));
  out->set_kind(static_cast<v1::AccountKind>(account.kind));
  out->set_currency(account.currency);
  out->set_allow_negative(account.allow_negative);
  out->set_frozen(account.frozen);
  SetTimestamp(account.created_at, out->mutable_created_at());
}

void ToProto(const AccountState& state, v1::Balance* out) {
  const Balance& balance = state.balance;
  const std::string& currency = state.account.currency;
  out->set_account_id(state.account.account_id);
  out->set_account_kind(static_cast<v1::AccountKind>(state.account.kind));
  // credits − debits always fits int64 (both are in [0, max]); available may not for a system
  // account deep in the negative with pending debits: clamp there rather than wrap.
  SetMoney(static_cast<int64_t>(balance.Posted()), currency, out->mutable_posted());
  SetMoney(balance.pending_debits, currency, out->mutable_pending_debits());
  SetMoney(balance.pending_credits, currency, out->mutable_pending_credits());
  const Int128 available = balance.Available();
  const Int128 floor = std::numeric_limits<int64_t>::min();
  SetMoney(static_cast<int64_t>(available < floor ? floor : available), currency,
           out->mutable_available());
  SetMoney(balance.posted_debits, currency, out->mutable_posted_debits());
  SetMoney(balance.posted_credits, currency, out->mutable_posted_credits());
  out->set_frozen(balance.frozen);
}

void ToProto(const Counterparty& counterparty, v1::Counterparty* out) {
  out->set_account_id(counterparty.account_id);
  out->set_account_kind(static_cast<v1::AccountKind>(counterparty.kind));
  if (counterparty.owner_kind == OwnerKind::kUser) out->set_user_id(counterparty.owner_id);
  if (counterparty.owner_kind == OwnerKind::kMerchant) {
    out->set_merchant_id(counterparty.owner_id);
  }
  out->set_display_name(DisplayName(counterparty));
}

void ToProto(const HistoryItem& item, v1::Transaction* out) {
  out->set_transaction_id(item.transaction_id);
  out->set_account_id(item.account_id);
  out->set_kind(static_cast<v1::TransferKind>(item.kind));
  out->set_direction(static_cast<v1::Direction>(item.direction));
  SetMoney(item.amount_minor, item.currency, out->mutable_amount());
  ToProto(item.counterparty, out->mutable_counterparty());
  out->set_description(item.description);
  out->set_status(static_cast<v1::TransactionStatus>(item.status));
  auto payment = item.metadata.find("payment_id");
  if (payment != item.metadata.end()) out->set_payment_id(payment->second);
  SetTimestamp(item.created_at, out->mutable_created_at());
  for (const auto& [key, value] : item.metadata) (*out->mutable_metadata())[key] = value;
}

void ToProto(const SpendingSummary& summary, v1::GetSpendingSummaryResponse* out) {
  out->set_month(summary.month);
  out->set_currency(summary.currency);
  SetMoney(summary.total_spent_minor, summary.currency, out->mutable_total_spent());
  SetMoney(summary.total_received_minor, summary.currency, out->mutable_total_received());
  for (const KindSpending& kind : summary.by_kind) {
    auto* line = out->add_by_kind();
    line->set_kind(static_cast<v1::TransferKind>(kind.kind));
    SetMoney(kind.spent_minor, summary.currency, line->mutable_spent());
    line->set_count(static_cast<int32_t>(std::min<int64_t>(kind.count, INT32_MAX)));
  }
  for (const CounterpartySpending& counterparty : summary.by_counterparty) {
    auto* line = out->add_by_counterparty();
    ToProto(counterparty.counterparty, line->mutable_counterparty());
    SetMoney(counterparty.spent_minor, summary.currency, line->mutable_spent());
    line->set_count(static_cast<int32_t>(std::min<int64_t>(counterparty.count, INT32_MAX)));
  }
  for (const DaySpending& day : summary.by_day) {
    auto* line = out->add_by_day();
    line->set_date(day.date);
    SetMoney(day.spent_minor, summary.currency, line->mutable_spent());
    SetMoney(day.received_minor, summary.currency, line->mutable_received());
  }
}

void ToProto(const TrialBalanceLine& line, v1::CurrencyTrialBalance* out) {
  out->set_currency(line.currency);
  SetMoney(line.total_debits, line.currency, out->mutable_total_debits());
  SetMoney(line.total_credits, line.currency, out->mutable_total_credits());
  SetMoney(line.balance_sum, line.currency, out->mutable_balance_sum());
  SetMoney(line.pending_debits, line.currency, out->mutable_pending_debits());
  SetMoney(line.pending_credits, line.currency, out->mutable_pending_credits());
  SetMoney(line.user_balance_sum, line.currency, out->mutable_user_balance_sum());
  out->set_account_count(line.account_count);
  out->set_transfer_count(line.transfer_count);
  out->set_balanced(line.balanced);
}

void ToErrorDetail(const absl::Status& status, uwallet::common::v1::ErrorDetail* out) {
  out->set_reason(ReasonOf(status));
  out->set_domain(grpcutil::kErrorDomain);
  if (std::optional<int> index = TransferIndexOf(status)) {
    (*out->mutable_metadata())["transfer_index"] = std::to_string(*index);
  }
}

grpc::Status ToGrpc(const absl::Status& status) {
  const std::optional<int> index = TransferIndexOf(status);
  const std::string reason = ReasonOf(status);
  if (status.ok() || !index || reason.empty()) return grpcutil::ToGrpcStatus(status);
  const auto code = static_cast<grpc::StatusCode>(status.code());
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(std::string(status.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain(grpcutil::kErrorDomain);
  (*info.mutable_metadata())["transfer_index"] = std::to_string(*index);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, std::string(status.message()), details.SerializeAsString());
}

}  // namespace uwallet::ledger
