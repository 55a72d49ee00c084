// The ledger as a running service, over real gRPC (Jepsen's bank test, in small): many clients move
// random amounts among a few wallets, some requests are retried with the same idempotency key
// (also concurrently), money enters from and leaves to the bank. Afterwards the trial balance
// balances to the unit, no wallet is negative, the wallets hold exactly what entered minus what
// left, and no key applied twice. The [pg-restart] case does the same while PostgreSQL restarts in
// the middle: the ledger must reconnect by itself.
//
// Reads the running suite's addresses from UWALLET_TEST_ENV_FILE (tools/test); skipped (77)
// without it.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "uwallet/common/check.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/status.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/status.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"

namespace uwallet::ledger {
namespace {

namespace v1 = ::uwallet::ledger::v1;

// A currency reserved by ISO 4217 for testing: nothing else in the suite uses it.
constexpr char kCurrency[] = "XTS";
constexpr int kWallets = 6;
constexpr int64_t kInitialTopUpMinor = 50'000;

std::map<std::string, std::string> ReadEnvFile() {
  const char* path = std::getenv("UWALLET_TEST_ENV_FILE");
  if (path == nullptr || *path == '\0') {
    std::fprintf(stderr, "UWALLET_TEST_ENV_FILE is not set: skipping (tools/test sets it)\n");
    std::exit(77);
  }
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    env[line.substr(0, eq)] = value;
  }
  return env;
}

class Client {
 public:
  Client() {
    env_ = ReadEnvFile();
    auto signer =
        grpcutil::IdentitySigner::Create(env_.at("UWALLET_IDENTITY_KEY"), RealClock::Instance());
    UW_CHECK_OK(signer.status());
    signer_ = std::make_unique<grpcutil::IdentitySigner>(*std::move(signer));
    auto channel =
        grpc::CreateChannel(env_.at("UWALLET_LEDGER_ADDR"), grpc::InsecureChannelCredentials());
    internal_ = v1::LedgerInternalService::NewStub(channel);
    admin_ = v1::LedgerAdminService::NewStub(channel);
    public_ = v1::LedgerService::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> AsService() const {
    return grpcutil::OutgoingContext(absl::Seconds(10), signer_->SignService("e2e-payments"));
  }
  std::unique_ptr<grpc::ClientContext> AsAdmin() const {
    return grpcutil::OutgoingContext(absl::Seconds(10),
                                     signer_->Sign({.user_id = "staff-e2e", .roles = {"admin"}}));
  }
  std::unique_ptr<grpc::ClientContext> AsUser(const std::string& user_id) const {
    return grpcutil::OutgoingContext(absl::Seconds(10),
                                     signer_->Sign({.user_id = user_id, .roles = {"customer"}}));
  }

  std::string Open(const std::string& owner, v1::OwnerKind owner_kind, v1::AccountKind kind) {
    v1::OpenAccountRequest request;
    request.set_owner_id(owner);
    request.set_owner_kind(owner_kind);
    request.set_kind(kind);
    request.set_currency(kCurrency);
    for (int attempt = 0; attempt < 100; ++attempt) {
      v1::OpenAccountResponse response;
      grpc::Status status = internal_->OpenAccount(AsService().get(), request, &response);
      if (status.ok()) return response.account().account_id();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("cannot open account " << owner);
    return "";
  }

  v1::GetAccountResponse Account(const std::string& id) {
    v1::GetAccountRequest request;
    request.set_account_id(id);
    v1::GetAccountResponse response;
    grpc::Status status = internal_->GetAccount(AsService().get(), request, &response);
    REQUIRE(status.error_message() == "");
    return response;
  }

  v1::LedgerInternalService::Stub& internal() { return *internal_; }
  v1::LedgerAdminService::Stub& admin() { return *admin_; }
  v1::LedgerService::Stub& public_api() { return *public_; }
  const std::map<std::string, std::string>& env() const { return env_; }

 private:
  std::map<std::string, std::string> env_;
  std::unique_ptr<grpcutil::IdentitySigner> signer_;
  std::unique_ptr<v1::LedgerInternalService::Stub> internal_;
  std::unique_ptr<v1::LedgerAdminService::Stub> admin_;
  std::unique_ptr<v1::LedgerService::Stub> public_;
};

struct Outcome {
  bool applied = false;  // OK (first time or replayed)
  bool replayed = false;
  std::string transfer_id;
  std::string reason;  // business refusal (e.g. INSUFFICIENT_FUNDS)
  grpc::StatusCode code = grpc::StatusCode::OK;
};

// Posts one transfer; retries the SAME request with the SAME key while the service or its database
// is unavailable (what a real caller does), for at most `patience`.
Outcome Post(Client& client, const v1::PostTransfersRequest& request, absl::Duration patience) {
  const absl::Time give_up = absl::Now() + patience;
  while (true) {
    v1::PostTransfersResponse response;
    grpc::Status status =
        client.internal().PostTransfers(client.AsService().get(), request, &response);
    Outcome outcome;
    outcome.code = status.error_code();
    if (status.ok()) {
      outcome.applied = true;
      outcome.replayed = response.replayed();
      outcome.transfer_id = response.results(0).transfer().transfer_id();
      return outcome;
    }
    const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::ABORTED ||
                           status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                           status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if (!retryable || absl::Now() > give_up) {
      outcome.reason = ReasonOf(grpcutil::FromGrpcStatus(status));
      if (outcome.reason.empty()) outcome.reason = status.error_message();
      return outcome;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

v1::PostTransfersRequest Request(const std::string& key, const std::string& from,
                                 const std::string& to, int64_t amount, v1::TransferKind kind) {
  v1::PostTransfersRequest request;
  request.set_idempotency_key(key);
  auto* spec = request.add_transfers();
  spec->set_debit_account_id(from);
  spec->set_credit_account_id(to);
  spec->mutable_amount()->set_amount_minor(amount);
  spec->mutable_amount()->set_currency(kCurrency);
  spec->set_kind(kind);
  (*spec->mutable_metadata())["client_key"] = key;
  return request;
}

struct BankRun {
  int clients = 24;
  int operations_per_client = 40;
  absl::Duration patience = absl::Seconds(5);
  std::function<void()> in_the_middle;  // run once, about halfway
};

// The bank test. Returns after checking every invariant.
void RunBank(const BankRun& run) {
  Client client;
  const std::string tag =
      absl::StrCat("e2e-", absl::ToUnixMicros(absl::Now()), "-", std::random_device{}() % 100000);
  const std::string bank =
      client.Open("bank_settlement", v1::OWNER_KIND_SYSTEM, v1::ACCOUNT_KIND_BANK_SETTLEMENT);
  std::vector<std::string> wallets;
  for (int i = 0; i < kWallets; ++i) {
    wallets.push_back(client.Open(absl::StrCat(tag, "-user-", i), v1::OWNER_KIND_USER,
                                  v1::ACCOUNT_KIND_USER_WALLET));
  }
  std::atomic<int64_t> entered{0}, left{0};
  std::mutex mutex;
  std::map<std::string, std::set<std::string>> transfers_by_key;  // key → transfer ids seen
  std::map<std::string, int> responses_by_key;
  std::atomic<int> applied{0}, replays{0}, refused{0}, failed{0};
  std::atomic<int> done{0};
  std::atomic<bool> middle_started{false};
  std::thread middle;

  std::vector<std::string> violations;  // Catch2 assertions are not thread-safe: collect
  auto violation = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    violations.push_back(what);
  };
  auto record = [&](const std::string& key, const Outcome& outcome) {
    std::lock_guard<std::mutex> lock(mutex);
    ++responses_by_key[key];
    if (outcome.applied) transfers_by_key[key].insert(outcome.transfer_id);
  };

  // Initial money: enters from the bank.
  for (int i = 0; i < kWallets; ++i) {
    const std::string key = absl::StrCat(tag, "-seed-", i);
    Outcome outcome =
        Post(client, Request(key, bank, wallets[i], kInitialTopUpMinor, v1::TRANSFER_KIND_TOP_UP),
             absl::Seconds(30));
    REQUIRE(outcome.applied);
    entered += kInitialTopUpMinor;
    record(key, outcome);
  }

  const int total_operations = run.clients * run.operations_per_client;
  std::vector<std::thread> threads;
  for (int c = 0; c < run.clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 random(std::random_device{}() + c);
      for (int i = 0; i < run.operations_per_client; ++i) {
        if (run.in_the_middle && done.load() >= total_operations / 3 &&
            !middle_started.exchange(true)) {
          middle = std::thread(run.in_the_middle);
        }
        const std::string key = absl::StrCat(tag, "-c", c, "-", i);
        const int choice = static_cast<int>(random() % 10);
        const int a = static_cast<int>(random() % kWallets);
        const int b = static_cast<int>((a + 1 + random() % (kWallets - 1)) % kWallets);
        const int64_t amount = 1 + static_cast<int64_t>(random() % 4'000);
        v1::PostTransfersRequest request;
        int direction = 0;  // +1 entered, −1 left, 0 moved between wallets
        if (choice == 0) {
          request = Request(key, bank, wallets[a], amount, v1::TRANSFER_KIND_TOP_UP);
          direction = 1;
        } else if (choice == 1) {
          request = Request(key, wallets[a], bank, amount, v1::TRANSFER_KIND_WITHDRAWAL);
          direction = -1;
        } else {
          request = Request(key, wallets[a], wallets[b], amount, v1::TRANSFER_KIND_P2P);
        }
        // One request in four is sent twice at once (a client that timed out and retried while
        // its first attempt was still in flight); one in four is retried after the answer.
        const int retry = static_cast<int>(random() % 4);
        Outcome outcome;
        if (retry == 0) {
          Outcome twin_outcome;
          std::thread twin([&] { twin_outcome = Post(client, request, run.patience); });
          outcome = Post(client, request, run.patience);
          twin.join();
          record(key, twin_outcome);
          record(key, outcome);
          if (outcome.applied && twin_outcome.applied) {
            ++replays;
            // Exactly one of the two executed; the other got its stored result.
            if (outcome.replayed == twin_outcome.replayed) {
              violation(key + ": both or neither of two concurrent duplicates replayed");
            }
          }
          // A refused request leaves no record, so its twin may still apply a moment later.
          if (twin_outcome.applied && !outcome.applied) outcome = twin_outcome;
        } else {
          outcome = Post(client, request, run.patience);
          record(key, outcome);
        }
        if (outcome.applied) {
          if (outcome.replayed) ++replays;
          if (direction > 0) entered += amount;
          if (direction < 0) left += amount;
          if (retry == 1) {
            Outcome again = Post(client, request, run.patience);
            record(key, again);
            if (!again.applied || !again.replayed || again.transfer_id != outcome.transfer_id) {
              violation(key + ": a retry after success did not replay the same transfer");
            }
          }
          ++applied;
        } else if (outcome.reason == "INSUFFICIENT_FUNDS") {
          ++refused;
        } else {
          ++failed;
          violation(absl::StrCat(key, ": unexpected failure ", outcome.reason, " code ",
                                 static_cast<int>(outcome.code)));
        }
        ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  if (middle.joinable()) middle.join();
  INFO("applied " << applied << " replays " << replays << " refused " << refused << " failed "
                  << failed);
  for (const std::string& what : violations) UNSCOPED_INFO(what);
  REQUIRE(violations.empty());
  REQUIRE(failed == 0);
  REQUIRE(applied + refused == total_operations);
  REQUIRE(replays > 0);

  // No key applied twice: every key produced at most one transfer id, and the ledger holds
  // exactly one transfer per applied key.
  std::set<std::string> client_transfers;
  for (const auto& [key, ids] : transfers_by_key) {
    INFO(key);
    REQUIRE(ids.size() == 1);
    client_transfers.insert(*ids.begin());
  }
  std::map<std::string, int> ledger_transfers_by_key;
  std::set<std::string> ledger_transfers;
  for (const std::string& wallet : wallets) {
    std::string token;
    do {
      v1::GetAccountStatementRequest request;
      request.set_account_id(wallet);
      request.set_page_size(1000);
      request.set_page_token(token);
      v1::GetAccountStatementResponse response;
      grpc::Status status =
          client.admin().GetAccountStatement(client.AsAdmin().get(), request, &response);
      REQUIRE(status.error_message() == "");
      REQUIRE(status.ok());
      for (const auto& entry : response.entries()) {
        if (ledger_transfers.insert(entry.transfer().transfer_id()).second) {
          ++ledger_transfers_by_key[entry.transfer().metadata().at("client_key")];
        }
      }
      token = response.next_page_token();
    } while (!token.empty());
  }
  for (const auto& [key, count] : ledger_transfers_by_key) {
    INFO(key);
    REQUIRE(count == 1);
  }
  REQUIRE(ledger_transfers == client_transfers);

  // No wallet negative; the wallets hold what entered minus what left.
  int64_t sum = 0;
  for (const std::string& wallet : wallets) {
    const v1::GetAccountResponse account = client.Account(wallet);
    REQUIRE(account.balance().posted().amount_minor() >= 0);
    REQUIRE(account.balance().available().amount_minor() >= 0);
    sum += account.balance().posted().amount_minor();
  }
  REQUIRE(sum == entered.load() - left.load());

  // The whole ledger balances, to the unit, in every currency.
  v1::GetTrialBalanceResponse trial;
  grpc::Status status =
      client.admin().GetTrialBalance(client.AsAdmin().get(), v1::GetTrialBalanceRequest(), &trial);
  REQUIRE(status.ok());
  bool saw_test_currency = false;
  for (const auto& currency : trial.currencies()) {
    INFO(currency.currency());
    REQUIRE(currency.balanced());
    REQUIRE(currency.balance_sum().amount_minor() == 0);
    REQUIRE(currency.total_debits().amount_minor() == currency.total_credits().amount_minor());
    saw_test_currency |= currency.currency() == kCurrency;
  }
  REQUIRE(saw_test_currency);
}

TEST_CASE("bank test: concurrent clients with retries keep the books exact", "[e2e]") {
  RunBank({});
}

TEST_CASE("authorisation: internal needs a service, admin needs staff, public is own data",
          "[e2e]") {
  Client client;
  const std::string user = absl::StrCat("e2e-authz-", absl::ToUnixMicros(absl::Now()));
  const std::string wallet = client.Open(user, v1::OWNER_KIND_USER, v1::ACCOUNT_KIND_USER_WALLET);
  // A customer cannot post.
  v1::PostTransfersResponse posted;
  grpc::Status status = client.internal().PostTransfers(
      client.AsUser(user).get(), Request("k", wallet, wallet, 1, v1::TRANSFER_KIND_P2P), &posted);
  REQUIRE(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  // A customer cannot read the trial balance; an admin can.
  v1::GetTrialBalanceResponse trial;
  REQUIRE(client.admin()
              .GetTrialBalance(client.AsUser(user).get(), v1::GetTrialBalanceRequest(), &trial)
              .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  // No assertion at all.
  grpc::ClientContext bare;
  REQUIRE(
      client.admin().GetTrialBalance(&bare, v1::GetTrialBalanceRequest(), &trial).error_code() ==
      grpc::StatusCode::UNAUTHENTICATED);
  // The public API shows the caller's own wallet, and nothing of it to a service.
  v1::GetBalancesResponse balances;
  REQUIRE(client.public_api()
              .GetBalances(client.AsUser(user).get(), v1::GetBalancesRequest(), &balances)
              .ok());
  REQUIRE(balances.balances_size() == 1);
  REQUIRE(balances.balances(0).account_id() == wallet);
  REQUIRE(client.public_api()
              .GetBalances(client.AsService().get(), v1::GetBalancesRequest(), &balances)
              .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  // Errors carry their reason.
  status = client.internal().PostTransfers(
      client.AsService().get(), Request("same-" + user, wallet, wallet, 1, v1::TRANSFER_KIND_P2P),
      &posted);
  REQUIRE(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(ReasonOf(grpcutil::FromGrpcStatus(status)) == "SAME_ACCOUNT");
}

TEST_CASE("bank test while PostgreSQL restarts: the ledger reconnects by itself",
          "[pg-restart][!hide]") {
  Client client;
  const char* run_dir = std::getenv("UWALLET_TEST_RUN_DIR");
  if (run_dir == nullptr || *run_dir == '\0') {
    std::fprintf(stderr, "UWALLET_TEST_RUN_DIR is not set: skipping\n");
    std::exit(77);
  }
  const std::string data = absl::StrCat(run_dir, "/pg/data");
  const std::string log = absl::StrCat(run_dir, "/pg/postgres.log");
  std::string restart = absl::StrCat("/usr/lib/postgresql/15/bin/pg_ctl -D '", data, "' -l '", log,
                                     "' -m fast -w -t 60 restart >/dev/null 2>&1");
  if (geteuid() == 0) restart = absl::StrCat("su postgres -s /bin/sh -c \"", restart, "\"");
  std::atomic<int> restart_status{-1};
  RunBank({.clients = 16,
           .operations_per_client = 40,
           .patience = absl::Seconds(30),
           .in_the_middle = [&] { restart_status = std::system(restart.c_str()); }});
  REQUIRE(restart_status == 0);
}

}  // namespace
}  // namespace uwallet::ledger
