#include "services/ledger/core/queries.h"

#include <algorithm>
#include <limits>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/ledger/core/codec.h"
#include "services/ledger/core/errors.h"
#include "services/ledger/core/validation.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/hash.h"

namespace uwallet::ledger {
namespace {

constexpr char kTokenVersion[] = "v1";

bool FitsInt64(Int128 value) {
  return value >= std::numeric_limits<int64_t>::min() &&
         value <= std::numeric_limits<int64_t>::max();
}

absl::StatusOr<int64_t> ToInt64(Int128 value, absl::string_view what) {
  if (!FitsInt64(value)) {
    return absl::OutOfRangeError(absl::StrCat(what, " does not fit a 64-bit amount"));
  }
  return static_cast<int64_t>(value);
}

}  // namespace

// ---- Page tokens ----

std::string EncodePageToken(absl::string_view list, absl::string_view fingerprint,
                            const Cursor& cursor) {
  return crypto::Base64UrlEncode(absl::StrCat(kTokenVersion, "|", list, "|", fingerprint, "|",
                                              ToMicros(cursor.created_at), "|", cursor.id));
}

absl::StatusOr<std::optional<Cursor>> DecodePageToken(absl::string_view list,
                                                      absl::string_view fingerprint,
                                                      absl::string_view token) {
  if (token.empty()) return std::optional<Cursor>();
  const absl::Status invalid =
      PageTokenInvalid("page_token is not one this service issued for this query");
  if (token.size() > 512) return invalid;
  absl::StatusOr<std::string> raw = crypto::Base64UrlDecode(token);
  if (!raw.ok()) return invalid;
  std::vector<std::string> parts = absl::StrSplit(*raw, '|');
  int64_t micros = 0;
  if (parts.size() != 5 || parts[0] != kTokenVersion || parts[1] != list ||
      parts[2] != fingerprint || !absl::SimpleAtoi(parts[3], &micros) || !IsUuid(parts[4])) {
    return invalid;
  }
  return std::optional<Cursor>(Cursor{.created_at = FromMicros(micros), .id = parts[4]});
}

std::string FilterFingerprint(const HistoryFilter& filter) {
  std::string canonical = "history;";
  absl::StrAppend(&canonical, filter.start ? ToMicros(*filter.start) : -1, ";",
                  filter.end ? ToMicros(*filter.end) : -1, ";");
  std::vector<int> kinds;
  for (TransferKind kind : filter.kinds) kinds.push_back(static_cast<int>(kind));
  std::sort(kinds.begin(), kinds.end());
  for (int kind : kinds) absl::StrAppend(&canonical, kind, ",");
  absl::StrAppend(&canonical, ";", filter.counterparty_id.size(), ":", filter.counterparty_id, ";",
                  static_cast<int>(filter.direction), ";", filter.currency);
  return crypto::Sha256Hex(canonical).substr(0, 16);
}

absl::StatusOr<int> PageSize(int requested, int default_size, int max_size) {
  if (requested == 0) return default_size;
  if (requested < 0 || requested > max_size) {
    return InvalidField(absl::StrCat("page_size must be in 1..", max_size));
  }
  return requested;
}

// ---- Months ----

absl::StatusOr<MonthRange> ParseMonth(absl::string_view month, absl::string_view time_zone) {
  absl::CivilMonth civil;
  if (month.size() != 7 || !absl::ParseCivilTime(month, &civil)) {
    return InvalidField("month must be YYYY-MM");
  }
  if (civil.year() < 2000 || civil.year() > 2200) return InvalidField("month is out of range");
  absl::TimeZone zone;
  if (time_zone.empty() || time_zone.size() > 64 ||
      !absl::LoadTimeZone(std::string(time_zone), &zone)) {
    return InvalidField("time_zone must be an IANA time zone such as Asia/Shanghai");
  }
  MonthRange range{.month = std::string(month), .time_zone = std::string(time_zone)};
  range.start = absl::FromCivil(absl::CivilSecond(civil), zone);
  range.end = absl::FromCivil(absl::CivilSecond(civil + 1), zone);
  for (absl::CivilDay day = absl::CivilDay(civil); day < absl::CivilDay(civil + 1); ++day) {
    range.days.push_back(absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day()));
  }
  return range;
}

// ---- Spending summary ----

absl::StatusOr<SpendingSummary> SummarizeSpending(const MonthRange& month,
                                                  const std::string& currency,
                                                  const std::vector<SpendingRow>& rows) {
  struct Sum {
    Int128 amount = 0;
    int64_t count = 0;
  };
  Int128 spent = 0;
  Int128 received = 0;
  std::map<int, Sum> by_kind;
  std::map<std::string, std::pair<Counterparty, Sum>> by_counterparty;
  std::map<std::string, std::pair<Int128, Int128>> by_day;  // spent, received
  for (const SpendingRow& row : rows) {
    if (row.amount_minor < 0 || row.count < 0) return absl::InternalError("negative group sum");
    if (row.direction == Direction::kOut) {
      spent += row.amount_minor;
      Sum& kind = by_kind[static_cast<int>(row.kind)];
      kind.amount += row.amount_minor;
      kind.count += row.count;
      auto& [counterparty, sum] = by_counterparty[row.counterparty.account_id];
      counterparty = row.counterparty;
      sum.amount += row.amount_minor;
      sum.count += row.count;
      by_day[row.day].first += row.amount_minor;
    } else if (row.direction == Direction::kIn) {
      received += row.amount_minor;
      by_day[row.day].second += row.amount_minor;
    }
  }
  SpendingSummary summary{.month = month.month, .currency = currency};
  UW_ASSIGN_OR_RETURN(summary.total_spent_minor, ToInt64(spent, "money out"));
  UW_ASSIGN_OR_RETURN(summary.total_received_minor, ToInt64(received, "money in"));
  for (const auto& [kind, sum] : by_kind) {
    UW_ASSIGN_OR_RETURN(int64_t amount, ToInt64(sum.amount, "money out"));
    summary.by_kind.push_back(
        {.kind = static_cast<TransferKind>(kind), .spent_minor = amount, .count = sum.count});
  }
  std::stable_sort(
      summary.by_kind.begin(), summary.by_kind.end(),
      [](const KindSpending& a, const KindSpending& b) { return a.spent_minor > b.spent_minor; });
  for (const auto& [id, entry] : by_counterparty) {
    UW_ASSIGN_OR_RETURN(int64_t amount, ToInt64(entry.second.amount, "money out"));
    summary.by_counterparty.push_back(
        {.counterparty = entry.first, .spent_minor = amount, .count = entry.second.count});
  }
  std::stable_sort(summary.by_counterparty.begin(), summary.by_counterparty.end(),
                   [](const CounterpartySpending& a, const CounterpartySpending& b) {
                     return a.spent_minor > b.spent_minor;
                   });
  if (summary.by_counterparty.size() > static_cast<size_t>(kSpendingCounterpartiesMax)) {
    summary.by_counterparty.resize(kSpendingCounterpartiesMax);
  }
  for (const std::string& day : month.days) {
    DaySpending line{.date = day};
    auto it = by_day.find(day);
    if (it != by_day.end()) {
      UW_ASSIGN_OR_RETURN(line.spent_minor, ToInt64(it->second.first, "money out"));
      UW_ASSIGN_OR_RETURN(line.received_minor, ToInt64(it->second.second, "money in"));
    }
    summary.by_day.push_back(line);
  }
  return summary;
}

// ---- Trial balance ----

absl::StatusOr<std::vector<TrialBalanceLine>> ComputeTrialBalance(
    const std::vector<CurrencyTotals>& totals) {
  std::vector<TrialBalanceLine> lines;
  for (const CurrencyTotals& total : totals) {
    TrialBalanceLine line{.currency = total.currency,
                          .account_count = total.account_count,
                          .transfer_count = total.transfer_count};
    const Int128 balance_sum = total.posted_credits - total.posted_debits;
    UW_ASSIGN_OR_RETURN(line.total_debits, ToInt64(total.posted_debits, "total debits"));
    UW_ASSIGN_OR_RETURN(line.total_credits, ToInt64(total.posted_credits, "total credits"));
    UW_ASSIGN_OR_RETURN(line.balance_sum, ToInt64(balance_sum, "balance sum"));
    UW_ASSIGN_OR_RETURN(line.pending_debits, ToInt64(total.pending_debits, "pending debits"));
    UW_ASSIGN_OR_RETURN(line.pending_credits, ToInt64(total.pending_credits, "pending credits"));
    UW_ASSIGN_OR_RETURN(line.user_balance_sum,
                        ToInt64(total.user_balance_sum, "sum of user balances"));
    line.balanced = total.posted_debits == total.posted_credits && balance_sum == 0 &&
                    total.transfer_sum == total.posted_debits &&
                    total.pending_debits == total.pending_credits;
    lines.push_back(line);
  }
  return lines;
}

// ---- The facade ----

absl::StatusOr<std::vector<AccountState>> LedgerQueries::Balances(const std::string& owner_id,
                                                                  const std::string& currency) {
  if (!currency.empty()) UW_RETURN_IF_ERROR(ValidateCurrency(currency, "currency"));
  UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts, reader_.ListAccountsOfOwner(owner_id));
  std::vector<AccountState> wallets;
  for (AccountState& state : accounts) {
    if (currency.empty() || state.account.currency == currency) {
      wallets.push_back(std::move(state));
    }
  }
  return wallets;
}

absl::StatusOr<HistoryPage> LedgerQueries::ListTransactions(const std::string& owner_id,
                                                            const HistoryFilter& filter,
                                                            int page_size,
                                                            const std::string& page_token) {
  UW_ASSIGN_OR_RETURN(int limit, PageSize(page_size, kPageSizeDefault, kPageSizeMax));
  if (!filter.currency.empty()) UW_RETURN_IF_ERROR(ValidateCurrency(filter.currency, "currency"));
  UW_RETURN_IF_ERROR(ValidateText(filter.counterparty_id, kOwnerIdBytesMax, "counterparty_id"));
  for (TransferKind kind : filter.kinds) {
    if (static_cast<int>(kind) < 1 || static_cast<int>(kind) > kTransferKindMax) {
      return InvalidField("filter.kinds holds an unknown kind");
    }
  }
  if (filter.start && filter.end && *filter.end < *filter.start) {
    return InvalidField("time_range ends before it starts");
  }
  const std::string fingerprint = FilterFingerprint(filter);
  UW_ASSIGN_OR_RETURN(std::optional<Cursor> after,
                      DecodePageToken("history", fingerprint, page_token));
  UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts, Balances(owner_id, filter.currency));
  HistoryPage page;
  if (accounts.empty()) return page;
  std::vector<std::string> ids;
  for (const AccountState& state : accounts) ids.push_back(state.account.account_id);
  // One more than asked tells whether there is a next page.
  UW_ASSIGN_OR_RETURN(page.items, reader_.ListHistory(ids, filter, after, limit + 1));
  if (page.items.size() > static_cast<size_t>(limit)) {
    page.items.resize(limit);
    const HistoryItem& last = page.items.back();
    page.next_page_token = EncodePageToken(
        "history", fingerprint, {.created_at = last.created_at, .id = last.transaction_id});
  }
  return page;
}

absl::StatusOr<HistoryItem> LedgerQueries::GetTransaction(const std::string& owner_id,
                                                          const std::string& transaction_id) {
  UW_RETURN_IF_ERROR(ValidateId(transaction_id, "transaction_id"));
  UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts, Balances(owner_id, ""));
  std::vector<std::string> ids;
  for (const AccountState& state : accounts) ids.push_back(state.account.account_id);
  if (ids.empty()) return NotFound("transaction not found");
  UW_ASSIGN_OR_RETURN(std::optional<HistoryItem> item,
                      reader_.FindHistoryItem(ids, transaction_id));
  if (!item) return NotFound("transaction not found");
  return *std::move(item);
}

absl::StatusOr<SpendingSummary> LedgerQueries::GetSpendingSummary(const std::string& owner_id,
                                                                  const std::string& month,
                                                                  const std::string& currency,
                                                                  const std::string& time_zone) {
  UW_ASSIGN_OR_RETURN(MonthRange range,
                      ParseMonth(month, time_zone.empty() ? default_time_zone_ : time_zone));
  UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts, Balances(owner_id, currency));
  // The primary wallet: the one asked for, else CNY, else the first.
  const AccountState* wallet = nullptr;
  for (const AccountState& state : accounts) {
    if (state.account.kind != AccountKind::kUserWallet) continue;
    if (wallet == nullptr || state.account.currency == "CNY") wallet = &state;
  }
  if (wallet == nullptr) {
    return SummarizeSpending(range, currency.empty() ? "CNY" : currency, {});
  }
  UW_ASSIGN_OR_RETURN(std::vector<SpendingRow> rows,
                      reader_.SpendingRows(wallet->account.account_id, range.start, range.end,
                                           range.time_zone, kSpendingRowsMax));
  return SummarizeSpending(range, wallet->account.currency, rows);
}

absl::StatusOr<std::pair<AccountState, bool>> LedgerQueries::OpenAccount(
    const std::string& owner_id, OwnerKind owner_kind, AccountKind kind,
    const std::string& currency) {
  UW_RETURN_IF_ERROR(ValidateNewAccount(owner_id, owner_kind, kind, currency));
  Account account{.account_id = ids_.NewId(),
                  .owner_id = owner_id,
                  .owner_kind = owner_kind,
                  .kind = kind,
                  .currency = currency,
                  .allow_negative = KindMayGoNegative(kind),
                  .created_at = TruncateToMicros(clock_.Now())};
  return accounts_.OpenAccount(account);
}

absl::StatusOr<AccountState> LedgerQueries::GetAccount(const std::string& account_id) {
  UW_RETURN_IF_ERROR(ValidateId(account_id, "account_id"));
  UW_ASSIGN_OR_RETURN(std::optional<AccountState> state, reader_.FindAccount(account_id));
  if (!state) return AccountNotFound("account not found");
  return *std::move(state);
}

absl::StatusOr<AccountState> LedgerQueries::GetAccountByKey(const std::string& owner_id,
                                                            AccountKind kind,
                                                            const std::string& currency) {
  if (owner_id.empty()) return InvalidField("key.owner_id is required");
  UW_RETURN_IF_ERROR(ValidateText(owner_id, kOwnerIdBytesMax, "key.owner_id"));
  UW_RETURN_IF_ERROR(ValidateCurrency(currency, "key.currency"));
  UW_ASSIGN_OR_RETURN(std::optional<AccountState> state,
                      reader_.FindAccountByKey(owner_id, kind, currency));
  if (!state) return AccountNotFound("account not found");
  return *std::move(state);
}

absl::StatusOr<std::vector<AccountState>> LedgerQueries::ListAccounts(const std::string& owner_id) {
  if (owner_id.empty()) return InvalidField("owner_id is required");
  UW_RETURN_IF_ERROR(ValidateText(owner_id, kOwnerIdBytesMax, "owner_id"));
  return reader_.ListAccountsOfOwner(owner_id);
}

absl::StatusOr<HoldPage> LedgerQueries::ListHolds(const HoldQuery& query, int page_size,
                                                  const std::string& page_token) {
  if (query.owner_id.empty() == query.account_id.empty()) {
    return InvalidField("exactly one of owner_id and account_id is required");
  }
  if (!query.account_id.empty()) UW_RETURN_IF_ERROR(ValidateId(query.account_id, "account_id"));
  UW_RETURN_IF_ERROR(ValidateText(query.owner_id, kOwnerIdBytesMax, "owner_id"));
  UW_ASSIGN_OR_RETURN(int limit, PageSize(page_size, kHoldPageSizeDefault, kHoldPageSizeMax));
  std::string states;
  for (HoldState state : query.states) {
    if (static_cast<int>(state) < 1 || static_cast<int>(state) > 4) {
      return InvalidField("states holds an unknown state");
    }
    absl::StrAppend(&states, static_cast<int>(state), ",");
  }
  const std::string fingerprint =
      crypto::Sha256Hex(absl::StrCat(query.owner_id.size(), ":", query.owner_id, ";",
                                     query.account_id, ";", states))
          .substr(0, 16);
  UW_ASSIGN_OR_RETURN(std::optional<Cursor> after,
                      DecodePageToken("holds", fingerprint, page_token));
  HoldPage page;
  UW_ASSIGN_OR_RETURN(page.holds, reader_.ListHolds(query, after, limit + 1));
  if (page.holds.size() > static_cast<size_t>(limit)) {
    page.holds.resize(limit);
    page.next_page_token = EncodePageToken(
        "holds", fingerprint,
        {.created_at = page.holds.back().created_at, .id = page.holds.back().hold_id});
  }
  return page;
}

absl::StatusOr<std::vector<AccountState>> LedgerQueries::SetFrozen(const FreezeTarget& target,
                                                                   bool frozen,
                                                                   const std::string& reason,
                                                                   const std::string& reference) {
  if (target.account_id.empty() == target.owner_id.empty()) {
    return InvalidField("exactly one of account_id and owner_id is required");
  }
  if (!target.account_id.empty()) UW_RETURN_IF_ERROR(ValidateId(target.account_id, "account_id"));
  UW_RETURN_IF_ERROR(ValidateText(target.owner_id, kOwnerIdBytesMax, "owner_id"));
  UW_RETURN_IF_ERROR(ValidateText(reason, kReasonBytesMax, "reason"));
  UW_RETURN_IF_ERROR(ValidateText(reference, kReasonBytesMax, "reference"));
  UW_ASSIGN_OR_RETURN(std::vector<AccountState> changed,
                      accounts_.SetFrozen(target, frozen, reason, reference));
  if (changed.empty()) return AccountNotFound("no such account");
  return changed;
}

absl::StatusOr<std::vector<TrialBalanceLine>> LedgerQueries::TrialBalance() {
  UW_ASSIGN_OR_RETURN(std::vector<CurrencyTotals> totals, reader_.TrialBalanceTotals());
  return ComputeTrialBalance(totals);
}

absl::StatusOr<Statement> LedgerQueries::AccountStatement(const std::string& account_id,
                                                          std::optional<absl::Time> start,
                                                          std::optional<absl::Time> end,
                                                          int page_size,
                                                          const std::string& page_token) {
  UW_ASSIGN_OR_RETURN(AccountState account, GetAccount(account_id));
  if (start && end && *end < *start) return InvalidField("time_range ends before it starts");
  UW_ASSIGN_OR_RETURN(int limit,
                      PageSize(page_size, kStatementPageSizeDefault, kStatementPageSizeMax));
  const std::string fingerprint =
      crypto::Sha256Hex(absl::StrCat(account_id, ";", start ? ToMicros(*start) : -1, ";",
                                     end ? ToMicros(*end) : -1))
          .substr(0, 16);
  UW_ASSIGN_OR_RETURN(std::optional<Cursor> after,
                      DecodePageToken("statement", fingerprint, page_token));
  Statement statement{.account = std::move(account)};
  UW_ASSIGN_OR_RETURN(statement.page, reader_.Statement(account_id, start, end, after, limit + 1));
  if (statement.page.lines.size() > static_cast<size_t>(limit)) {
    statement.page.lines.resize(limit);
    const Transfer& last = statement.page.lines.back().transfer;
    statement.next_page_token = EncodePageToken(
        "statement", fingerprint, {.created_at = last.created_at, .id = last.transfer_id});
  }
  return statement;
}

}  // namespace uwallet::ledger
