#include "services/fraud/core/stolen.h"

#include "absl/strings/str_cat.h"
#include "services/fraud/core/errors.h"
#include "services/fraud/core/features.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/hash.h"

namespace uwallet::fraud {
namespace {

constexpr char kFreezeReason[] = "reported stolen by the account owner";

std::string TransactionsText(const Features& features) {
  if (features.recent_transfers.empty()) return "No recent outgoing transactions on record.\n";
  std::string text = "Recent outgoing transactions (newest first):\n";
  for (auto it = features.recent_transfers.rbegin(); it != features.recent_transfers.rend(); ++it) {
    absl::StrAppend(&text, "- ",
                    absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", it->at, absl::UTCTimeZone()), "  ",
                    FormatMoney(it->amount_minor, it->currency), "  to ", it->counterparty_id,
                    "  (transaction ", it->transfer_id, ")\n");
  }
  return text;
}

}  // namespace

absl::Status StolenAccountFlow::Mark(StolenReport* report, StolenStep step,
                                     const std::string& ticket_id) {
  const absl::Time now = clock_.Now();
  UW_RETURN_IF_ERROR(store_.MarkStep(report->report_id, step, now, ticket_id));
  report->done.emplace(step, now);
  if (!ticket_id.empty()) report->ticket_id = ticket_id;
  return absl::OkStatus();
}

absl::StatusOr<StolenOutcome> StolenAccountFlow::Report(const StolenRequest& request) {
  if (request.idempotency_key.empty() || request.idempotency_key.size() > kIdempotencyKeyBytesMax) {
    return InvalidField("idempotency_key is required (at most 128 bytes)");
  }
  if (request.description.size() > kDescriptionBytesMax) {
    return InvalidField("description is too long (at most 2000 bytes)");
  }
  std::string user_id = request.user_id;
  std::string destination_sha256;
  if (user_id.empty()) {
    if (request.destination.empty() || request.code.empty()) {
      return WithReason(absl::StatusCode::kUnauthenticated, "SIGN_IN_OR_CODE_REQUIRED",
                        "sign in, or prove ownership with a code sent to the registered contact");
    }
    destination_sha256 = crypto::Sha256Hex(request.destination);
    UW_ASSIGN_OR_RETURN(std::optional<StolenReport> existing,
                        store_.FindByProof(request.idempotency_key, destination_sha256));
    if (existing.has_value()) {
      user_id = existing->user_id;  // a retry of a report already proven
    } else {
      UW_ASSIGN_OR_RETURN(user_id, auth_.VerifyReportCode(request.destination, request.code));
    }
  }
  UW_ASSIGN_OR_RETURN(StolenReport report,
                      store_.BeginReport({.user_id = user_id,
                                          .idempotency_key = request.idempotency_key,
                                          .destination_sha256 = destination_sha256,
                                          .description = request.description,
                                          .now = clock_.Now()}));
  return Continue(std::move(report));
}

absl::StatusOr<StolenOutcome> StolenAccountFlow::Continue(StolenReport report) {
  // 1. Freeze sign-in (auth revokes every session as part of the freeze).
  if (!report.Done(StolenStep::kFreezeLogin) || !report.Done(StolenStep::kRevokeSessions)) {
    UW_RETURN_IF_ERROR(auth_.FreezeUser(report.user_id, kFreezeReason, report.case_id));
    UW_RETURN_IF_ERROR(Mark(&report, StolenStep::kFreezeLogin));
    UW_RETURN_IF_ERROR(Mark(&report, StolenStep::kRevokeSessions));
  }
  // 2. Freeze the wallet. Both freezes must hold before the call reports success.
  if (!report.Done(StolenStep::kFreezeWallet)) {
    UW_RETURN_IF_ERROR(ledger_.FreezeOwner(report.user_id, kFreezeReason, report.case_id));
    UW_RETURN_IF_ERROR(Mark(&report, StolenStep::kFreezeWallet));
  }
  StolenOutcome outcome;
  auto keep_first = [&outcome](const absl::Status& status) {
    if (!status.ok() && outcome.pending_error.ok()) outcome.pending_error = status;
  };
  // 3. The remaining steps are independent: each failure leaves only that step pending.
  if (!report.Done(StolenStep::kVoidHolds)) {
    absl::Status status = VoidHolds(report);
    if (status.ok()) status = Mark(&report, StolenStep::kVoidHolds);
    keep_first(status);
  }
  if (!report.Done(StolenStep::kCancelSchedules)) {
    absl::Status status = payments_.CancelUserSchedules(report.user_id, kFreezeReason);
    if (status.ok()) status = Mark(&report, StolenStep::kCancelSchedules);
    keep_first(status);
  }
  if (!report.Done(StolenStep::kOpenCase)) keep_first(Mark(&report, StolenStep::kOpenCase));
  if (!report.Done(StolenStep::kOpenTicket)) {
    absl::StatusOr<std::string> ticket = OpenTicket(report);
    keep_first(ticket.ok() ? Mark(&report, StolenStep::kOpenTicket, *ticket) : ticket.status());
  }
  if (!report.Done(StolenStep::kNotify)) {
    absl::Status status = Notify(report);
    if (status.ok()) status = Mark(&report, StolenStep::kNotify);
    keep_first(status);
  }
  outcome.report = std::move(report);
  return outcome;
}

absl::Status StolenAccountFlow::VoidHolds(const StolenReport& report) {
  UW_ASSIGN_OR_RETURN(std::vector<std::string> holds, ledger_.ListPendingHolds(report.user_id));
  if (holds.size() > kHoldsPerReportMax) holds.resize(kHoldsPerReportMax);
  for (const std::string& hold_id : holds) {
    UW_RETURN_IF_ERROR(ledger_.VoidHold(
        absl::StrCat("fraud-stolen:", report.report_id, ":", hold_id), hold_id, kFreezeReason));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StolenAccountFlow::OpenTicket(const StolenReport& report) {
  UW_ASSIGN_OR_RETURN(Features features, store_.LoadFeatures(report.user_id));
  std::string body = absl::StrCat(
      "The customer reported the account stolen. Sign-in and wallet are frozen; sessions revoked; "
      "pending holds voided; scheduled transfers cancelled.\n",
      report.description.empty() ? ""
                                 : absl::StrCat("Customer's words: ", report.description, "\n"),
      "Fraud case: ", report.case_id, "\n", TransactionsText(features));
  return support_.OpenSystemTicket(
      {.idempotency_key = absl::StrCat("fraud-stolen:", report.report_id),
       .user_id = report.user_id,
       .dispute = false,
       .subject = "Account reported stolen",
       .body = std::move(body),
       .case_id = report.case_id});
}

absl::Status StolenAccountFlow::Notify(const StolenReport& report) {
  UW_ASSIGN_OR_RETURN(Contacts contacts, auth_.GetContacts(report.user_id));
  const std::string body =
      "We froze your uwallet account and signed out every device because you reported it stolen. "
      "Our support team will contact you to restore access.";
  std::vector<notify::Notification> messages;
  messages.push_back({.channel = notify::Channel::kPush,
                      .destination = report.user_id,
                      .kind = "account_frozen",
                      .subject = "Account frozen",
                      .body = body});
  if (!contacts.phone.empty()) {
    messages.push_back({.channel = notify::Channel::kSms,
                        .destination = contacts.phone,
                        .kind = "account_frozen",
                        .subject = "Account frozen",
                        .body = body});
  }
  if (!contacts.email.empty()) {
    messages.push_back({.channel = notify::Channel::kEmail,
                        .destination = contacts.email,
                        .kind = "account_frozen",
                        .subject = "Your uwallet account is frozen",
                        .body = body});
  }
  for (const auto& message : messages) UW_RETURN_IF_ERROR(notifier_.Send(message));
  return absl::OkStatus();
}

absl::StatusOr<int> StolenAccountFlow::ResumeUnfinished(absl::Duration older_than, int limit) {
  UW_ASSIGN_OR_RETURN(std::vector<StolenReport> reports,
                      store_.Unfinished(clock_.Now() - older_than, limit));
  int completed = 0;
  for (StolenReport& report : reports) {
    absl::StatusOr<StolenOutcome> outcome = Continue(std::move(report));
    if (outcome.ok() && outcome->pending_error.ok()) ++completed;
  }
  return completed;
}

absl::StatusOr<FlaggedTransaction> StolenAccountFlow::FlagTransaction(const FlagRequest& request) {
  if (request.transaction_id.empty() || request.transaction_id.size() > 64) {
    return InvalidField("transaction_id is required");
  }
  if (request.description.size() > kDescriptionBytesMax) {
    return InvalidField("description is too long (at most 2000 bytes)");
  }
  UW_ASSIGN_OR_RETURN(Features features, store_.LoadFeatures(request.user_id));
  const RecentTransfer* transfer = nullptr;
  for (const RecentTransfer& t : features.recent_transfers) {
    if (t.transfer_id == request.transaction_id) transfer = &t;
  }
  if (transfer == nullptr) {
    return NotFound("no such transaction among your recent outgoing payments");
  }
  UW_ASSIGN_OR_RETURN(
      FlaggedTransaction flag,
      store_.BeginFlag(request.user_id, request.transaction_id, request.description, clock_.Now()));
  if (!flag.ticket_id.empty()) return flag;
  UW_ASSIGN_OR_RETURN(
      flag.ticket_id,
      support_.OpenSystemTicket(
          {.idempotency_key =
               absl::StrCat("fraud-flag:", request.user_id, ":", request.transaction_id),
           .user_id = request.user_id,
           .dispute = true,
           .subject = "Transaction not made by the customer",
           .body = absl::StrCat(
               "The customer says this transaction was not theirs: ",
               FormatMoney(transfer->amount_minor, transfer->currency), " to ",
               transfer->counterparty_id, " at ",
               absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", transfer->at, absl::UTCTimeZone()),
               " (transaction ", transfer->transfer_id, ").\n",
               request.description.empty()
                   ? ""
                   : absl::StrCat("Customer's words: ", request.description)),
           .payment_id = request.transaction_id,
           .case_id = flag.case_id}));
  UW_RETURN_IF_ERROR(store_.SetFlagTicket(request.user_id, request.transaction_id, flag.ticket_id));
  return flag;
}

}  // namespace uwallet::fraud
