#pragma once
// In-memory fakes of the fraud core's ports, with call counters and injectable failures, for the
// unit tests of the stolen-account sequence.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/fraud/core/ports.h"
#include "uwallet/common/status.h"

namespace uwallet::fraud::testing {

// Fails the next `remaining` calls with UNAVAILABLE.
struct Failure {
  int remaining = 0;
  absl::Status Take() {
    if (remaining <= 0) return absl::OkStatus();
    --remaining;
    return absl::UnavailableError("injected failure");
  }
};

class FakeAuth final : public AuthClient {
 public:
  absl::StatusOr<std::string> VerifyReportCode(const std::string& destination,
                                               const std::string& code) override {
    ++verify_calls;
    if (destination == "+8613800000000" && code == "123456") return std::string("user-1");
    return absl::InvalidArgumentError("CODE_INVALID");
  }
  absl::Status FreezeUser(const std::string& user_id, const std::string&,
                          const std::string&) override {
    UW_RETURN_IF_ERROR(freeze_failure.Take());
    ++freeze_calls;
    frozen.insert(user_id);
    return absl::OkStatus();
  }
  absl::StatusOr<Contacts> GetContacts(const std::string&) override {
    UW_RETURN_IF_ERROR(contacts_failure.Take());
    return Contacts{"+8613800000000", "li@example.com"};
  }
  absl::StatusOr<bool> IsFrozen(const std::string& user_id) override {
    UW_RETURN_IF_ERROR(lookup_failure.Take());
    ++lookup_calls;
    if (unknown.count(user_id) > 0) return absl::NotFoundError("USER_NOT_FOUND");
    return frozen.count(user_id) > 0;
  }
  int verify_calls = 0;
  int freeze_calls = 0;
  int lookup_calls = 0;
  std::set<std::string> frozen;
  std::set<std::string> unknown;  // users IsFrozen does not know
  Failure freeze_failure, contacts_failure, lookup_failure;
};

class FakeLedger final : public LedgerClient {
 public:
  absl::Status FreezeOwner(const std::string& owner_id, const std::string&,
                           const std::string&) override {
    UW_RETURN_IF_ERROR(freeze_failure.Take());
    ++freeze_calls;
    frozen.insert(owner_id);
    return absl::OkStatus();
  }
  absl::Status UnfreezeOwner(const std::string& owner_id, const std::string&,
                             const std::string&) override {
    UW_RETURN_IF_ERROR(unfreeze_failure.Take());
    ++unfreeze_calls;
    frozen.erase(owner_id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> ListPendingHolds(const std::string&) override {
    std::vector<std::string> out;
    for (const auto& [id, pending] : holds) {
      if (pending) out.push_back(id);
    }
    return out;
  }
  absl::Status VoidHold(const std::string& key, const std::string& hold_id,
                        const std::string&) override {
    UW_RETURN_IF_ERROR(void_failure.Take());
    if (!void_keys.insert(key).second) return absl::OkStatus();  // replay
    ++void_calls;
    holds[hold_id] = false;
    return absl::OkStatus();
  }
  int freeze_calls = 0;
  int void_calls = 0;
  int unfreeze_calls = 0;
  std::set<std::string> frozen;
  std::map<std::string, bool> holds;  // id -> pending
  std::set<std::string> void_keys;
  Failure freeze_failure, void_failure, unfreeze_failure;
};

class FakePayments final : public PaymentsClient {
 public:
  absl::Status CancelUserSchedules(const std::string&, const std::string&) override {
    UW_RETURN_IF_ERROR(cancel_failure.Take());
    ++cancel_calls;
    return absl::OkStatus();
  }
  absl::Status ResolveReview(const std::string& key, const std::string& payment_id, bool approve,
                             const std::string&, const std::string&) override {
    resolved[payment_id] = approve;
    keys.insert(key);
    return absl::OkStatus();
  }
  int cancel_calls = 0;
  std::map<std::string, bool> resolved;
  std::set<std::string> keys;
  Failure cancel_failure;
};

class FakeSupport final : public SupportClient {
 public:
  absl::StatusOr<std::string> OpenSystemTicket(const TicketRequest& request) override {
    UW_RETURN_IF_ERROR(ticket_failure.Take());
    auto it = by_key.find(request.idempotency_key);
    if (it != by_key.end()) return it->second;
    ++open_calls;
    std::string id = absl::StrCat("ticket-", open_calls);
    by_key[request.idempotency_key] = id;
    requests.push_back(request);
    return id;
  }
  int open_calls = 0;
  std::map<std::string, std::string> by_key;
  std::vector<TicketRequest> requests;
  Failure ticket_failure;
};

class FakeStolenStore final : public StolenStore {
 public:
  absl::StatusOr<std::optional<StolenReport>> FindByProof(const std::string& key,
                                                          const std::string& sha) override {
    for (const auto& [id, report] : reports) {
      if (report.idempotency_key == key && proofs[id] == sha) return report;
    }
    return std::nullopt;
  }
  absl::StatusOr<StolenReport> BeginReport(const NewStolenReport& in) override {
    for (const auto& [id, report] : reports) {
      if (report.user_id == in.user_id &&
          (report.idempotency_key == in.idempotency_key || !Finished(report))) {
        return report;
      }
    }
    StolenReport report;
    report.report_id = absl::StrCat("report-", reports.size() + 1);
    report.user_id = in.user_id;
    report.idempotency_key = in.idempotency_key;
    report.case_id = absl::StrCat("case-", reports.size() + 1);
    report.description = in.description;
    report.created_at = in.now;
    report.done[StolenStep::kOpenCase] = in.now;
    ++cases_opened;
    proofs[report.report_id] = in.destination_sha256;
    reports[report.report_id] = report;
    return report;
  }
  absl::Status MarkStep(const std::string& report_id, StolenStep step, absl::Time at,
                        const std::string& ticket_id) override {
    UW_RETURN_IF_ERROR(mark_failure.Take());
    StolenReport& report = reports.at(report_id);
    report.done.emplace(step, at);
    ++marks[step];
    if (!ticket_id.empty()) report.ticket_id = ticket_id;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<StolenReport>> Unfinished(absl::Time before, int limit) override {
    std::vector<StolenReport> out;
    for (const auto& [id, report] : reports) {
      if (!Finished(report) && report.created_at < before && static_cast<int>(out.size()) < limit) {
        out.push_back(report);
      }
    }
    return out;
  }
  absl::StatusOr<Features> LoadFeatures(const std::string& user_id) override {
    auto it = features.find(user_id);
    if (it == features.end()) return Features{};
    return it->second;
  }
  absl::StatusOr<FlaggedTransaction> BeginFlag(const std::string& user_id,
                                               const std::string& transaction_id,
                                               const std::string&, absl::Time) override {
    auto key = std::make_pair(user_id, transaction_id);
    auto it = flags.find(key);
    if (it != flags.end()) return it->second;
    FlaggedTransaction flag{user_id, transaction_id, absl::StrCat("case-flag-", flags.size() + 1),
                            ""};
    flags[key] = flag;
    return flag;
  }
  absl::Status SetFlagTicket(const std::string& user_id, const std::string& transaction_id,
                             const std::string& ticket_id) override {
    flags.at(std::make_pair(user_id, transaction_id)).ticket_id = ticket_id;
    return absl::OkStatus();
  }
  static bool Finished(const StolenReport& report) {
    for (StolenStep step : kStolenSteps) {
      if (!report.Done(step)) return false;
    }
    return true;
  }

  std::map<std::string, StolenReport> reports;
  std::map<std::string, std::string> proofs;
  std::map<StolenStep, int> marks;
  std::map<std::string, Features> features;
  std::map<std::pair<std::string, std::string>, FlaggedTransaction> flags;
  int cases_opened = 0;
  Failure mark_failure;
};

}  // namespace uwallet::fraud::testing
