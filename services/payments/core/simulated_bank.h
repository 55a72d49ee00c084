#pragma once
// The local default BankConnector: a simulated bank with deterministic test cards, chosen by the
// last four digits of the card number (see README.md "Test cards"):
//
//   ...0002  declines: binding works, charges are CARD_DECLINED, payouts end DECLINED
//   ...0051  charges fail INSUFFICIENT_FUNDS (the bank account is empty); payouts settle
//   ...0091  the bank times out: charges are UNAVAILABLE (BANK_UNAVAILABLE), payouts end FAILED
//            with BANK_UNAVAILABLE (money back)
//   ...0077  settles slowly: charges are PENDING until slow_latency, payouts take slow_latency
//   ...0069  the bank refuses to bind the card (CARD_DECLINED at AddBankCard)
//   anything else: charges settle at once, payouts settle after payout_latency
//
// It is stateless: the token carries the test behaviour and the bank reference carries the
// submission time, so any replica (or a restarted one) answers Status the same way.

#include <string>

#include "absl/time/time.h"
#include "services/payments/core/ports.h"
#include "uwallet/common/clock.h"

namespace uwallet::payments {

struct SimulatedBankOptions {
  absl::Duration payout_latency = absl::Seconds(2);
  absl::Duration slow_latency = absl::Seconds(30);
  // Extra time a real bank quotes for the money to show on the card statement.
  absl::Duration arrival_margin = absl::Hours(2);
};

class SimulatedBank final : public BankConnector {
 public:
  SimulatedBank(const Clock& clock, SimulatedBankOptions options)
      : clock_(clock), options_(options) {}

  absl::StatusOr<CardToken> Tokenize(absl::string_view card_number, absl::string_view holder_name,
                                     int expiry_month, int expiry_year) override;
  absl::StatusOr<BankAnswer> Charge(const std::string& token, int64_t amount_minor,
                                    const std::string& currency,
                                    const std::string& reference) override;
  absl::StatusOr<BankAnswer> Payout(const std::string& token, int64_t amount_minor,
                                    const std::string& currency,
                                    const std::string& reference) override;
  absl::StatusOr<BankAnswer> Status(const std::string& token,
                                    const std::string& bank_reference) override;
  absl::Time PayoutArrivesBy(const std::string& token) const override;

 private:
  const Clock& clock_;
  SimulatedBankOptions options_;
};

}  // namespace uwallet::payments
