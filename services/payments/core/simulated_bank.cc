#include "services/payments/core/simulated_bank.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/payments/core/cards.h"
#include "services/payments/core/errors.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/crypto/random.h"

namespace uwallet::payments {
namespace {

constexpr absl::string_view kTokenPrefix = "simtok";
constexpr absl::string_view kReferencePrefix = "simref";

// The last four digits the token was made for ("" for a token the simulator did not issue).
std::string BehaviourOf(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '_');
  if (parts.size() != 3 || parts[0] != kTokenPrefix) return "";
  return std::string(parts[1]);
}

absl::Status Unavailable() {
  return WithReason(absl::StatusCode::kUnavailable, "BANK_UNAVAILABLE",
                    "the bank did not answer in time; nothing was charged");
}

std::string Reference(absl::Time submitted, absl::string_view reference) {
  return absl::StrCat(kReferencePrefix, "_", absl::ToUnixMillis(submitted), "_",
                      crypto::Sha256Hex(reference).substr(0, 16));
}

}  // namespace

absl::StatusOr<CardToken> SimulatedBank::Tokenize(absl::string_view card_number,
                                                  absl::string_view /*holder_name*/,
                                                  int /*expiry_month*/, int /*expiry_year*/) {
  if (card_number.size() < 4) return absl::InvalidArgumentError("card number too short");
  const std::string last4(card_number.substr(card_number.size() - 4));
  if (last4 == "0069") {
    return WithReason(absl::StatusCode::kFailedPrecondition, "CARD_DECLINED",
                      "the bank refused to bind this card");
  }
  // Letters only, so that no run of digits in a token can ever look like a card number.
  UW_ASSIGN_OR_RETURN(std::string random, crypto::RandomString("abcdefghijklmnopqrstuvwxyz", 24));
  return CardToken{.token = absl::StrCat(kTokenPrefix, "_", last4, "_", random),
                   .brand = BrandOf(card_number),
                   .bank_name = "uwallet Simulated Bank"};
}

absl::StatusOr<BankAnswer> SimulatedBank::Charge(const std::string& token, int64_t /*amount*/,
                                                 const std::string& /*currency*/,
                                                 const std::string& reference) {
  const std::string behaviour = BehaviourOf(token);
  if (behaviour.empty()) return absl::InvalidArgumentError("unknown card token");
  const absl::Time now = clock_.Now();
  BankAnswer answer{.bank_reference = Reference(now, reference), .arrives_by = now};
  if (behaviour == "0091") return Unavailable();
  if (behaviour == "0002") {
    answer.outcome = BankOutcome::kDeclined;
    answer.failure_reason = "CARD_DECLINED";
  } else if (behaviour == "0051") {
    answer.outcome = BankOutcome::kDeclined;
    answer.failure_reason = "INSUFFICIENT_FUNDS";
  } else if (behaviour == "0077") {
    answer.outcome = BankOutcome::kPending;
    answer.arrives_by = now + options_.slow_latency;
    answer.check_again_at = now + options_.slow_latency;
  } else {
    answer.outcome = BankOutcome::kSettled;
  }
  return answer;
}

absl::StatusOr<BankAnswer> SimulatedBank::Payout(const std::string& token, int64_t /*amount*/,
                                                 const std::string& /*currency*/,
                                                 const std::string& reference) {
  const std::string behaviour = BehaviourOf(token);
  if (behaviour.empty()) return absl::InvalidArgumentError("unknown card token");
  const absl::Time now = clock_.Now();
  const absl::Duration latency =
      behaviour == "0077" ? options_.slow_latency : options_.payout_latency;
  return BankAnswer{.outcome = BankOutcome::kPending,
                    .bank_reference = Reference(now, reference),
                    .arrives_by = now + latency + options_.arrival_margin,
                    .check_again_at = now + latency};
}

absl::StatusOr<BankAnswer> SimulatedBank::Status(const std::string& token,
                                                 const std::string& bank_reference) {
  const std::string behaviour = BehaviourOf(token);
  std::vector<absl::string_view> parts = absl::StrSplit(bank_reference, '_');
  int64_t submitted_ms = 0;
  if (behaviour.empty() || parts.size() != 3 || parts[0] != kReferencePrefix ||
      !absl::SimpleAtoi(parts[1], &submitted_ms)) {
    return absl::InvalidArgumentError("unknown bank reference");
  }
  const absl::Time submitted = absl::FromUnixMillis(submitted_ms);
  const absl::Duration latency =
      behaviour == "0077" ? options_.slow_latency : options_.payout_latency;
  BankAnswer answer{.bank_reference = bank_reference,
                    .arrives_by = submitted + latency + options_.arrival_margin};
  if (clock_.Now() < submitted + latency) {
    answer.outcome = BankOutcome::kPending;
    answer.check_again_at = submitted + latency;
    return answer;
  }
  if (behaviour == "0002") {
    answer.outcome = BankOutcome::kDeclined;
    answer.failure_reason = "CARD_DECLINED";
  } else if (behaviour == "0091") {
    answer.outcome = BankOutcome::kFailed;
    answer.failure_reason = "BANK_UNAVAILABLE";
  } else {
    answer.outcome = BankOutcome::kSettled;
  }
  return answer;
}

absl::Time SimulatedBank::PayoutArrivesBy(const std::string& token) const {
  const absl::Duration latency =
      BehaviourOf(token) == "0077" ? options_.slow_latency : options_.payout_latency;
  return clock_.Now() + latency + options_.arrival_margin;
}

}  // namespace uwallet::payments
