#pragma once
// The fraud domain's types. Enum values match uwallet.fraud.v1 so that mapping is a cast.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace uwallet::fraud {

enum class Decision { kUnspecified = 0, kAllow = 1, kChallenge = 2, kReview = 3, kDecline = 4 };
enum class ActivityKind {
  kUnspecified = 0,
  kTransfer = 1,
  kMerchantPayment = 2,
  kTopUp = 3,
  kWithdrawal = 4,
  kAddBankCard = 5,
  kScheduledTransfer = 6,
};
enum class RuleMode { kUnspecified = 0, kEnabled = 1, kShadow = 2, kDisabled = 3 };
enum class AlertCategory { kUnspecified = 0, kTransaction = 1, kSecurity = 2 };
enum class AlertKind {
  kUnspecified = 0,
  kPayment = 1,
  kNewDeviceLogin = 2,
  kPasswordChanged = 3,
  kAccountLocked = 4,
  kRiskyPaymentHeld = 5,
  kPaymentDeclined = 6,
  kTwoFactorChanged = 7,
  kContactChanged = 8,
  kAccountFrozen = 9,
  kRefundRequestDeclined = 10,
  kPaymentFailed = 11,
  kRefundReceived = 12,
  kDeviceForgotten = 13,
};
enum class AlertSeverity { kUnspecified = 0, kInfo = 1, kWarning = 2, kCritical = 3 };
enum class CaseKind { kUnspecified = 0, kStolenAccount = 1, kPaymentReview = 2, kFlagged = 3 };
enum class CaseStatus { kUnspecified = 0, kOpen = 1, kConfirmed = 2, kFalsePositive = 3 };
enum class Channel { kUnspecified = 0, kSms = 1, kEmail = 2, kPush = 3 };

// Bounds of the per-user feature lists (TIGER_STYLE: a bound on everything).
inline constexpr size_t kFailedLoginsMax = 50;
inline constexpr size_t kDevicesMax = 20;
inline constexpr size_t kPayeesMax = 200;
inline constexpr size_t kPaymentTimesMax = 100;
inline constexpr size_t kPinFailuresMax = 50;
inline constexpr size_t kRecentTransfersMax = 20;
// "Usual amount" needs this many past payments before it can say anything.
inline constexpr int64_t kUsualAmountSamplesMin = 3;

struct SeenItem {
  std::string id;  // device id or payee id
  absl::Time first_seen = absl::InfinitePast();
};

struct RecentTransfer {
  std::string transfer_id;
  int64_t amount_minor = 0;
  std::string currency;
  std::string counterparty_id;
  int kind = 0;  // ledger TransferKind
  absl::Time at = absl::InfinitePast();
};

// What the fraud service knows about one user, built from events (core/features.h).
struct Features {
  std::string user_id;
  std::vector<absl::Time> failed_logins;  // oldest first, bounded
  absl::Time last_login_success = absl::InfinitePast();
  absl::Time last_password_change = absl::InfinitePast();  // reset or change
  absl::Time last_two_factor_change = absl::InfinitePast();
  std::vector<SeenItem> devices;         // known devices, oldest first, bounded
  std::vector<SeenItem> payees;          // known payees, oldest first, bounded
  std::vector<absl::Time> payments;      // outgoing payments (velocity), oldest first
  std::vector<absl::Time> pin_failures;  // oldest first
  // Usual amount statistics over outgoing payments.
  int64_t amount_count = 0;
  int64_t amount_sum_minor = 0;
  int64_t amount_max_minor = 0;
  std::vector<RecentTransfer> recent_transfers;  // newest last, bounded
};

struct Rule {
  std::string rule_id;
  std::string name;
  std::string description;
  RuleMode mode = RuleMode::kEnabled;
  int64_t threshold = 0;
  int64_t window_s = 0;
  int score = 0;
  Decision decision = Decision::kUnspecified;
  int64_t version = 1;
  absl::Time updated_at = absl::InfinitePast();
  std::string updated_by;
};

struct AssessInput {
  std::string user_id;
  ActivityKind kind = ActivityKind::kUnspecified;
  int64_t amount_minor = 0;
  std::string currency;
  std::string counterparty_id;
  std::string device_id;
  std::string ip;
  std::string session_id;
  std::string reference_id;
  bool step_up_verified = false;
};

struct Reason {
  std::string rule_id;
  std::string code;
  std::string description;
  int score = 0;
};

struct Assessment {
  std::string assessment_id;
  Decision decision = Decision::kAllow;
  int score = 0;
  std::vector<Reason> reasons;
  std::vector<Reason> shadow_reasons;
};

struct Alert {
  std::string alert_id;
  std::string user_id;
  AlertCategory category = AlertCategory::kUnspecified;
  AlertKind kind = AlertKind::kUnspecified;
  AlertSeverity severity = AlertSeverity::kInfo;
  std::string title;  // English; apps word it in the user's language from the message below
  std::string body;
  // What it says as a key and arguments (services/fraud/README.md, "Alert messages").
  std::string message_key;
  std::map<std::string, std::string> message_args;
  std::string payment_id;
  std::optional<int64_t> amount_minor;
  std::string currency;
  std::string device_id;
  std::string device_name;
  std::string ip;
  std::string source_event_id;
  absl::Time created_at = absl::InfinitePast();
  std::optional<absl::Time> acknowledged_at;
};

struct AlertSettings {
  std::optional<int64_t> threshold_minor;  // unset: every payment
  std::string threshold_currency;
  std::vector<Channel> channels;
};

struct FraudCase {
  std::string case_id;
  std::string user_id;
  CaseKind kind = CaseKind::kUnspecified;
  CaseStatus status = CaseStatus::kOpen;
  int score = 0;
  std::string summary;
  std::string ticket_id;
  std::vector<std::string> payment_ids;
  absl::Time opened_at = absl::InfinitePast();
  std::optional<absl::Time> resolved_at;
  std::string resolution_note;
};

struct CaseEvent {
  absl::Time occurred_at = absl::InfinitePast();
  std::string kind;
  std::string description;
  std::string actor_id;
  Decision decision = Decision::kUnspecified;
  std::vector<Reason> reasons;
  std::string event_id;
  std::map<std::string, std::string> metadata;
};

// An event from the stream, as the core sees it (no dependency on the events library).
struct RiskEvent {
  std::string id;
  std::string type;
  std::string subject_id;
  std::string payload;  // JSON object
  absl::Time occurred_at = absl::InfinitePast();
};

}  // namespace uwallet::fraud
