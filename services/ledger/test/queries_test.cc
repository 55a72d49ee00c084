// Pure parts of the read side: page tokens, months in a time zone, the spending summary and the
// trial balance math.
#include <catch2/catch.hpp>

#include <limits>

#include "services/ledger/core/queries.h"
#include "uwallet/common/status.h"

namespace uwallet::ledger {
namespace {

const std::string kId = "0190a000-0000-7000-8000-000000000001";

TEST_CASE("page tokens round-trip and are bound to their list and filter") {
  const Cursor cursor{.created_at = absl::FromUnixMicros(1'700'000'000'123'456), .id = kId};
  const HistoryFilter filter{.direction = Direction::kOut};
  const std::string fingerprint = FilterFingerprint(filter);
  const std::string token = EncodePageToken("history", fingerprint, cursor);
  auto decoded = DecodePageToken("history", fingerprint, token);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->has_value());
  REQUIRE((*decoded)->created_at == cursor.created_at);
  REQUIRE((*decoded)->id == kId);
  REQUIRE_FALSE(DecodePageToken("history", fingerprint, "")->has_value());
  auto reason = [](const auto& result) { return ReasonOf(result.status()); };
  REQUIRE(reason(DecodePageToken("holds", fingerprint, token)) == "PAGE_TOKEN_INVALID");
  REQUIRE(reason(DecodePageToken("history", FilterFingerprint({}), token)) == "PAGE_TOKEN_INVALID");
  REQUIRE(reason(DecodePageToken("history", fingerprint, "garbage!")) == "PAGE_TOKEN_INVALID");
  REQUIRE(reason(DecodePageToken("history", fingerprint, std::string(600, 'A'))) ==
          "PAGE_TOKEN_INVALID");
  // Kind order in a filter does not change its fingerprint; other fields do.
  REQUIRE(FilterFingerprint({.kinds = {TransferKind::kFee, TransferKind::kP2p}}) ==
          FilterFingerprint({.kinds = {TransferKind::kP2p, TransferKind::kFee}}));
  REQUIRE(FilterFingerprint({.counterparty_id = "a"}) != FilterFingerprint({.currency = "a"}));
}

TEST_CASE("page size: 0 is the default, above the maximum is refused") {
  REQUIRE(PageSize(0, 20, 100).value() == 20);
  REQUIRE(PageSize(100, 20, 100).value() == 100);
  REQUIRE(ReasonOf(PageSize(101, 20, 100).status()) == "INVALID_FIELD");
  REQUIRE(ReasonOf(PageSize(-1, 20, 100).status()) == "INVALID_FIELD");
}

TEST_CASE("months are cut in the requested time zone") {
  auto may = ParseMonth("2031-05", "Asia/Shanghai");
  REQUIRE(may.ok());
  REQUIRE(may->days.size() == 31);
  REQUIRE(may->days.front() == "2031-05-01");
  REQUIRE(may->days.back() == "2031-05-31");
  // Midnight in Shanghai is 16:00 UTC the day before.
  REQUIRE(may->start ==
          absl::FromCivil(absl::CivilSecond(2031, 4, 30, 16, 0, 0), absl::UTCTimeZone()));
  REQUIRE(may->end ==
          absl::FromCivil(absl::CivilSecond(2031, 5, 31, 16, 0, 0), absl::UTCTimeZone()));
  REQUIRE(ParseMonth("2032-02", "UTC")->days.size() == 29);
  REQUIRE(ReasonOf(ParseMonth("2031-13", "UTC").status()) == "INVALID_FIELD");
  REQUIRE(ReasonOf(ParseMonth("2031-5", "UTC").status()) == "INVALID_FIELD");
  REQUIRE(ReasonOf(ParseMonth("2031-05", "Mars/Olympus").status()) == "INVALID_FIELD");
}

TEST_CASE("spending summary: out by kind and counterparty, every day, largest first") {
  const MonthRange month = *ParseMonth("2031-02", "UTC");
  const Counterparty shop{.account_id = "shop", .kind = AccountKind::kMerchant};
  const Counterparty bob{.account_id = "bob", .kind = AccountKind::kUserWallet};
  const Counterparty bank{.account_id = "bank", .kind = AccountKind::kBankSettlement};
  std::vector<SpendingRow> rows = {
      {"2031-02-01", Direction::kIn, TransferKind::kTopUp, bank, 10'000, 1},
      {"2031-02-03", Direction::kOut, TransferKind::kMerchantPayment, shop, 1'500, 2},
      {"2031-02-03", Direction::kOut, TransferKind::kP2p, bob, 300, 1},
      {"2031-02-10", Direction::kOut, TransferKind::kMerchantPayment, shop, 700, 1},
      {"2031-02-10", Direction::kOut, TransferKind::kFee, bank, 2, 1},
      {"2031-02-10", Direction::kIn, TransferKind::kP2p, bob, 50, 1},
  };
  auto summary = SummarizeSpending(month, "CNY", rows);
  REQUIRE(summary.ok());
  REQUIRE(summary->total_spent_minor == 2'502);
  REQUIRE(summary->total_received_minor == 10'050);
  REQUIRE(summary->by_kind.size() == 3);
  REQUIRE(summary->by_kind[0].kind == TransferKind::kMerchantPayment);
  REQUIRE(summary->by_kind[0].spent_minor == 2'200);
  REQUIRE(summary->by_kind[0].count == 3);
  REQUIRE(summary->by_kind[2].kind == TransferKind::kFee);
  REQUIRE(summary->by_counterparty[0].counterparty.account_id == "shop");
  REQUIRE(summary->by_counterparty[1].counterparty.account_id == "bob");
  REQUIRE(summary->by_day.size() == 28);
  REQUIRE(summary->by_day[2].spent_minor == 1'800);
  REQUIRE(summary->by_day[9].received_minor == 50);
  REQUIRE(summary->by_day[27].date == "2031-02-28");

  // At most 20 counterparties.
  std::vector<SpendingRow> many;
  for (int i = 0; i < 30; ++i) {
    many.push_back({"2031-02-05",
                    Direction::kOut,
                    TransferKind::kP2p,
                    {.account_id = std::to_string(i)},
                    100 + i,
                    1});
  }
  auto bounded = SummarizeSpending(month, "CNY", many);
  REQUIRE(bounded->by_counterparty.size() == 20);
  REQUIRE(bounded->by_counterparty[0].spent_minor == 129);
  // Sums past int64 are an error, not a wrapped number.
  std::vector<SpendingRow> huge(2, {"2031-02-05", Direction::kOut, TransferKind::kP2p, bob,
                                    std::numeric_limits<int64_t>::max(), 1});
  REQUIRE(SummarizeSpending(month, "CNY", huge).status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("trial balance: balanced only when debits, credits, journal and pending agree") {
  CurrencyTotals good{.currency = "CNY",
                      .posted_debits = 5'000,
                      .posted_credits = 5'000,
                      .pending_debits = 70,
                      .pending_credits = 70,
                      .user_balance_sum = 4'000,
                      .transfer_sum = 5'000,
                      .account_count = 4,
                      .transfer_count = 9};
  auto lines = ComputeTrialBalance({good});
  REQUIRE(lines.ok());
  REQUIRE(lines->at(0).balanced);
  REQUIRE(lines->at(0).balance_sum == 0);
  REQUIRE(lines->at(0).user_balance_sum == 4'000);

  CurrencyTotals skewed = good;
  skewed.posted_credits = 5'001;
  REQUIRE_FALSE(ComputeTrialBalance({skewed})->at(0).balanced);
  REQUIRE(ComputeTrialBalance({skewed})->at(0).balance_sum == 1);
  CurrencyTotals journal = good;
  journal.transfer_sum = 4'999;  // balances disagree with the transfers
  REQUIRE_FALSE(ComputeTrialBalance({journal})->at(0).balanced);
  CurrencyTotals pending = good;
  pending.pending_credits = 0;
  REQUIRE_FALSE(ComputeTrialBalance({pending})->at(0).balanced);
  CurrencyTotals overflow = good;
  overflow.posted_debits = static_cast<Int128>(std::numeric_limits<int64_t>::max()) + 1;
  REQUIRE(ComputeTrialBalance({overflow}).status().code() == absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace uwallet::ledger
