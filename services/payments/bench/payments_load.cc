// payments-load: the load client of `tools/bench payments`. Three phases, one per invocation:
//
//   --phase=setup   creates --users customers against a running suite, the way an app would:
//                   Register, VerifyContact (code from the dev mailbox), Login (a real session),
//                   a real step-up (code) → SetPaymentPin, AddBankCard, TopUp. Calls go straight
//                   to auth and payments with signed identity assertions (as the gateway sends
//                   them), each user from its own client address so per-IP sign-up limits stay
//                   as configured. Writes "user_id session_token" lines to --users-file.
//   --phase=load    Transfer through the gateway (gRPC, `authorization: Bearer <token>`) at
//                   --clients concurrent clients (callback API, one call in flight each): a
//                   random payer pays a random other user 1..--amount-max-minor with the PIN
//                   and a fresh idempotency key per transfer. Prints one key=value line (tps,
//                   p50/p90/p99, errors) and one line of error counts by reason. Counted: the
//                   calls that complete inside the measured window (after --warmup).
//   --phase=argon2  argon2id VerifyPassword calls/s on --threads threads for --duration: the
//                   cost of one PIN check, which every transfer pays.
//
// Not a test: prints figures, asserts nothing.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/config.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/password.h"
#include "uwallet/devtools/v1/devtools.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/status.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"

namespace {

namespace auth_pb = ::uwallet::auth::v1;
namespace dev_pb = ::uwallet::devtools::v1;
namespace pay_pb = ::uwallet::payments::v1;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kClientsMax = 4096;
constexpr int64_t kUsersMax = 100'000;
constexpr int64_t kSetupThreadsMax = 64;
constexpr char kPassword[] = "bench payments password 7!";
constexpr char kPin[] = "246813";
// Codes to one destination are limited to one a minute by auth: the step-up code of a user can be
// sent only this long after its verification code.
constexpr auto kCodeSpacing = std::chrono::seconds(62);

struct Options {
  std::string phase;
  std::string auth_addr;
  std::string payments_addr;
  std::string gateway_addr;
  std::string identity_key;
  std::string users_file;
  int64_t users = 256;
  int64_t setup_threads = 8;
  int64_t top_up_minor = 100'000;
  int64_t clients = 64;
  int64_t amount_max_minor = 100;
  int64_t threads = 2;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration call_timeout = absl::Seconds(10);
};

std::string Describe(const grpc::Status& status) {
  const std::string reason = uwallet::ReasonOf(uwallet::grpcutil::FromGrpcStatus(status));
  return absl::StrCat(static_cast<int>(status.error_code()), " ", status.error_message(),
                      reason.empty() ? "" : absl::StrCat(" reason=", reason));
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// ----------------------------------------------------------------------------------------------
// setup
// ----------------------------------------------------------------------------------------------

struct User {
  int index = 0;
  std::string email;
  std::string ip;
  std::string user_id;
  std::string session_id;
  std::string token;
  SteadyClock::time_point verify_code_sent;
};

class Setup {
 public:
  Setup(const Options& options, const uwallet::grpcutil::IdentitySigner& signer)
      : options_(options), signer_(signer) {
    auto auth_channel = grpc::CreateChannel(options.auth_addr, grpc::InsecureChannelCredentials());
    auto payments_channel =
        grpc::CreateChannel(options.payments_addr, grpc::InsecureChannelCredentials());
    auth_ = auth_pb::AuthService::NewStub(auth_channel);
    mailbox_ = dev_pb::DevMailboxService::NewStub(auth_channel);
    payments_ = pay_pb::PaymentsService::NewStub(payments_channel);
    run_ = absl::StrCat(std::random_device{}());
  }

  // Runs `step` for every user on a bounded pool of threads; stops at the first failure.
  bool ForEach(std::vector<User>& users, const char* name,
               const std::function<grpc::Status(User&)>& step) {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::vector<std::thread> threads;
    const auto started = SteadyClock::now();
    for (int64_t t = 0; t < options_.setup_threads; ++t) {
      threads.emplace_back([&] {
        for (size_t i = next++; i < users.size() && !failed; i = next++) {
          grpc::Status status = step(users[i]);
          if (!status.ok()) {
            std::lock_guard<std::mutex> lock(mutex);
            if (!failed.exchange(true)) {
              std::fprintf(stderr, "setup %s failed for user %d: %s\n", name, users[i].index,
                           Describe(status).c_str());
            }
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    std::fprintf(stderr, "setup: %s for %zu users in %.1f s\n", name, users.size(),
                 std::chrono::duration<double>(SteadyClock::now() - started).count());
    return !failed;
  }

  bool Run(std::vector<User>& users) {
    users.resize(static_cast<size_t>(options_.users));
    for (size_t i = 0; i < users.size(); ++i) {
      users[i].index = static_cast<int>(i);
      users[i].email = absl::StrCat("bench-", run_, "-", i, "@bench.uwallet.test");
      users[i].ip = absl::StrCat("10.77.", i / 250, ".", 1 + i % 250);
    }
    if (!ForEach(users, "register+verify+login", [&](User& u) { return SignUp(u); })) {
      return false;
    }
    // Wait out the per-destination code spacing before the step-up codes.
    const auto latest = std::max_element(users.begin(), users.end(), [](auto& a, auto& b) {
                          return a.verify_code_sent < b.verify_code_sent;
                        })->verify_code_sent;
    const auto earliest = std::min_element(users.begin(), users.end(), [](auto& a, auto& b) {
                            return a.verify_code_sent < b.verify_code_sent;
                          })->verify_code_sent;
    (void)latest;
    std::this_thread::sleep_until(earliest + kCodeSpacing);
    if (!ForEach(users, "step-up+PIN", [&](User& u) {
          std::this_thread::sleep_until(u.verify_code_sent + kCodeSpacing);
          return SetPin(u);
        })) {
      return false;
    }
    return ForEach(users, "card+top-up", [&](User& u) { return Fund(u); });
  }

 private:
  std::unique_ptr<grpc::ClientContext> Anonymous(const User& user) const {
    uwallet::grpcutil::Identity identity;
    identity.roles = {uwallet::grpcutil::roles::kAnonymous};
    identity.client_ip = user.ip;
    identity.device_id = absl::StrCat("bench-device-", user.index);
    return uwallet::grpcutil::OutgoingContext(options_.call_timeout, signer_.Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> As(const User& user) const {
    uwallet::grpcutil::Identity identity;
    identity.user_id = user.user_id;
    identity.session_id = user.session_id;
    identity.roles = {uwallet::grpcutil::roles::kCustomer};
    identity.client_ip = user.ip;
    identity.device_id = absl::StrCat("bench-device-", user.index);
    return uwallet::grpcutil::OutgoingContext(options_.call_timeout, signer_.Sign(identity));
  }

  grpc::Status LatestCode(const User& user, const std::string& template_name, std::string* code) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      dev_pb::ListMessagesRequest request;
      request.set_destination(user.email);
      dev_pb::ListMessagesResponse response;
      grpc::Status status = mailbox_->ListMessages(Anonymous(user).get(), request, &response);
      if (!status.ok()) return status;
      for (const auto& message : response.messages()) {
        if (message.template_name() == template_name && !message.code().empty()) {
          *code = message.code();
          return grpc::Status::OK;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no " + template_name + " code");
  }

  grpc::Status SignUp(User& user) {
    auth_pb::RegisterRequest registration;
    registration.set_email(user.email);
    registration.set_password(kPassword);
    registration.set_display_name(absl::StrCat("Bench ", user.index));
    auth_pb::RegisterResponse registered;
    user.verify_code_sent = SteadyClock::now();
    grpc::Status status = auth_->Register(Anonymous(user).get(), registration, &registered);
    if (!status.ok()) return status;
    auth_pb::VerifyContactRequest verify;
    verify.set_destination(user.email);
    std::string code;
    if (status = LatestCode(user, "verify_contact", &code); !status.ok()) return status;
    verify.set_code(code);
    auth_pb::VerifyContactResponse verified;
    if (status = auth_->VerifyContact(Anonymous(user).get(), verify, &verified); !status.ok()) {
      return status;
    }
    auth_pb::LoginRequest login;
    login.set_identifier(user.email);
    login.set_password(kPassword);
    login.mutable_device()->set_device_id(absl::StrCat("bench-device-", user.index));
    auth_pb::LoginResponse session;
    if (status = auth_->Login(Anonymous(user).get(), login, &session); !status.ok()) return status;
    if (!session.has_session()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "login asked for a 2nd factor");
    }
    user.user_id = session.session().user_id();
    user.session_id = session.session().session_id();
    user.token = session.session().token();
    return grpc::Status::OK;
  }

  grpc::Status SetPin(User& user) {
    auth_pb::SendCodeRequest send;
    send.set_destination(user.email);
    send.set_purpose(auth_pb::CODE_PURPOSE_STEP_UP);
    grpc::Status status;
    for (int attempt = 0; attempt < 20; ++attempt) {
      auth_pb::SendCodeResponse sent;
      status = auth_->SendCode(As(user).get(), send, &sent);
      if (uwallet::ReasonOf(uwallet::grpcutil::FromGrpcStatus(status)) != "RATE_LIMITED") break;
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    if (!status.ok()) return status;
    std::string code;
    if (status = LatestCode(user, "step_up", &code); !status.ok()) return status;
    auth_pb::StepUpRequest step_up;
    step_up.set_code(code);
    step_up.set_action(auth_pb::STEP_UP_ACTION_SET_PAYMENT_PIN);
    auth_pb::StepUpResponse token;
    if (status = auth_->StepUp(As(user).get(), step_up, &token); !status.ok()) return status;
    if (token.has_session() && !token.session().session_id().empty()) {
      user.session_id = token.session().session_id();
      if (!token.session().token().empty()) user.token = token.session().token();
    }
    pay_pb::SetPaymentPinRequest pin;
    pin.set_pin(kPin);
    pin.set_step_up_token(token.step_up_token());
    pay_pb::SetPaymentPinResponse pin_set;
    return payments_->SetPaymentPin(As(user).get(), pin, &pin_set);
  }

  grpc::Status Fund(User& user) {
    pay_pb::AddBankCardRequest card;
    card.set_card_number("4111 1111 1111 1111");
    card.set_holder_name("Bench Holder");
    card.set_expiry_month(12);
    card.set_expiry_year(2035);
    pay_pb::AddBankCardResponse bound;
    grpc::Status status = payments_->AddBankCard(As(user).get(), card, &bound);
    if (!status.ok()) return status;
    pay_pb::TopUpRequest top_up;
    top_up.set_idempotency_key("bench-top-up");
    top_up.set_bank_card_id(bound.card().card_id());
    top_up.mutable_amount()->set_amount_minor(options_.top_up_minor);
    top_up.mutable_amount()->set_currency("CNY");
    pay_pb::TopUpResponse topped;
    status = payments_->TopUp(As(user).get(), top_up, &topped);
    if (!status.ok()) return status;
    if (topped.payment().status() != pay_pb::PAYMENT_STATUS_SUCCEEDED) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "top-up did not succeed");
    }
    return grpc::Status::OK;
  }

  const Options& options_;
  const uwallet::grpcutil::IdentitySigner& signer_;
  std::unique_ptr<auth_pb::AuthService::Stub> auth_;
  std::unique_ptr<dev_pb::DevMailboxService::Stub> mailbox_;
  std::unique_ptr<pay_pb::PaymentsService::Stub> payments_;
  std::string run_;
};

// ----------------------------------------------------------------------------------------------
// load
// ----------------------------------------------------------------------------------------------

class Driver {
 public:
  Driver(const Options& options, std::vector<User> users)
      : options_(options), users_(std::move(users)) {
    grpc::ChannelArguments args;
    const int channels = static_cast<int>(std::clamp<int64_t>(options.clients / 16, 1, 8));
    for (int i = 0; i < channels; ++i) {
      args.SetInt("uwallet.bench.channel", i);  // distinct args → distinct connections
      stubs_.push_back(pay_pb::PaymentsService::NewStub(grpc::CreateCustomChannel(
          options.gateway_addr, grpc::InsecureChannelCredentials(), args)));
    }
    const uint64_t run = std::random_device{}();
    for (int i = 0; i < options.clients; ++i) {
      auto client = std::make_unique<ClientState>();
      client->index = i;
      client->random.seed(run ^ (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL));
      client->key_prefix = absl::StrCat("bench-", run, "-", i, "-");
      clients_.push_back(std::move(client));
    }
  }

  void Run() {
    start_ = SteadyClock::now();
    measure_from_ = start_ + ToChrono(options_.warmup);
    end_ = measure_from_ + ToChrono(options_.duration);
    for (auto& client : clients_) Issue(*client);
    std::this_thread::sleep_until(measure_from_);
    cpu_at_start_ = CpuSeconds();
    std::this_thread::sleep_until(end_);
    cpu_at_end_ = CpuSeconds();
    std::unique_lock<std::mutex> lock(mutex_);
    finished_cv_.wait(lock, [&] { return finished_ == static_cast<int>(clients_.size()); });
  }

  void Report() const {
    std::vector<double> latencies_ms;
    int64_t ok = 0;
    int64_t errors = 0;
    std::map<std::string, int64_t> reasons;
    std::string first_error;
    for (const auto& client : clients_) {
      latencies_ms.insert(latencies_ms.end(), client->latencies_ms.begin(),
                          client->latencies_ms.end());
      ok += client->ok;
      errors += client->errors;
      for (const auto& [reason, count] : client->reasons) reasons[reason] += count;
      if (first_error.empty()) first_error = client->first_error;
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    auto percentile = [&](double p) {
      if (latencies_ms.empty()) return 0.0;
      const size_t index =
          std::min(latencies_ms.size() - 1,
                   static_cast<size_t>(p * static_cast<double>(latencies_ms.size())));
      return latencies_ms[index];
    };
    const double seconds = absl::ToDoubleSeconds(options_.duration);
    for (char& c : first_error) {
      if (c == ' ' || c == '\n') c = '_';
    }
    std::printf(
        "clients=%lld users=%zu ok=%lld errors=%lld seconds=%.1f tps=%.1f p50_ms=%.3f "
        "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f client_cpu_pct=%.0f first_error=%s\n",
        static_cast<long long>(options_.clients), users_.size(), static_cast<long long>(ok),
        static_cast<long long>(errors), seconds, static_cast<double>(ok) / seconds,
        percentile(0.50), percentile(0.90), percentile(0.99),
        latencies_ms.empty() ? 0.0 : latencies_ms.back(),
        100.0 * (cpu_at_end_ - cpu_at_start_) / seconds,
        first_error.empty() ? "-" : first_error.c_str());
    std::string line = "errors_by_reason:";
    if (reasons.empty()) line += " none";
    for (const auto& [reason, count] : reasons) absl::StrAppend(&line, " ", reason, "=", count);
    std::printf("%s\n", line.c_str());
  }

 private:
  struct ClientState {
    int index = 0;
    std::mt19937_64 random;
    std::string key_prefix;
    uint64_t sequence = 0;
    std::unique_ptr<grpc::ClientContext> context;
    pay_pb::TransferRequest request;
    pay_pb::TransferResponse response;
    SteadyClock::time_point started;
    std::vector<double> latencies_ms;  // only this client's callback touches these
    int64_t ok = 0;
    int64_t errors = 0;
    std::map<std::string, int64_t> reasons;
    std::string first_error;
  };

  static SteadyClock::duration ToChrono(absl::Duration d) {
    return std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d)));
  }

  void Issue(ClientState& client) {
    const size_t from = client.random() % users_.size();
    size_t to = client.random() % (users_.size() - 1);
    if (to >= from) ++to;
    client.request.Clear();
    client.request.set_idempotency_key(absl::StrCat(client.key_prefix, client.sequence++));
    client.request.mutable_to()->set_user_id(users_[to].user_id);
    client.request.mutable_amount()->set_amount_minor(
        1 + static_cast<int64_t>(client.random() % options_.amount_max_minor));
    client.request.mutable_amount()->set_currency("CNY");
    client.request.set_pin(kPin);
    client.response.Clear();
    client.context = std::make_unique<grpc::ClientContext>();
    client.context->AddMetadata("authorization", "Bearer " + users_[from].token);
    client.context->AddMetadata("x-device-id", absl::StrCat("bench-device-", users_[from].index));
    client.context->set_deadline(std::chrono::system_clock::now() +
                                 ToChrono(options_.call_timeout));
    client.started = SteadyClock::now();
    auto& stub = *stubs_[client.index % stubs_.size()];
    stub.async()->Transfer(client.context.get(), &client.request, &client.response,
                           [this, &client](grpc::Status status) { Done(client, status); });
  }

  void Done(ClientState& client, const grpc::Status& status) {
    const SteadyClock::time_point now = SteadyClock::now();
    // Throughput counts the calls that complete inside the measured window, whenever they
    // started: with multi-second latencies, counting only calls started in the window would
    // leave the slow ones out.
    if (now >= measure_from_ && now <= end_) {
      if (status.ok() && client.response.payment().status() == pay_pb::PAYMENT_STATUS_SUCCEEDED) {
        ++client.ok;
        client.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(now - client.started).count());
      } else {
        ++client.errors;
        std::string reason =
            status.ok()
                ? absl::StrCat("STATUS_",
                               pay_pb::PaymentStatus_Name(client.response.payment().status()))
                : uwallet::ReasonOf(uwallet::grpcutil::FromGrpcStatus(status));
        if (reason.empty()) reason = absl::StrCat("grpc_code_", status.error_code());
        ++client.reasons[reason];
        if (client.first_error.empty()) {
          client.first_error = status.ok() ? reason : Describe(status);
        }
      }
    }
    if (now >= end_) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++finished_;
      finished_cv_.notify_all();
      return;
    }
    Issue(client);
  }

  const Options& options_;
  std::vector<User> users_;
  std::vector<std::unique_ptr<pay_pb::PaymentsService::Stub>> stubs_;
  std::vector<std::unique_ptr<ClientState>> clients_;
  SteadyClock::time_point start_, measure_from_, end_;
  double cpu_at_start_ = 0;
  double cpu_at_end_ = 0;
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  int finished_ = 0;
};

// ----------------------------------------------------------------------------------------------
// argon2
// ----------------------------------------------------------------------------------------------

int Argon2(const Options& options) {
  absl::StatusOr<std::string> hash = uwallet::crypto::HashPassword(kPin);
  if (!hash.ok()) {
    std::fprintf(stderr, "HashPassword: %s\n", std::string(hash.status().message()).c_str());
    return 1;
  }
  std::atomic<int64_t> verified{0};
  const auto end =
      SteadyClock::now() + std::chrono::nanoseconds(absl::ToInt64Nanoseconds(options.duration));
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < options.threads; ++t) {
    threads.emplace_back([&] {
      while (SteadyClock::now() < end) {
        if (uwallet::crypto::VerifyPassword(*hash, kPin).value_or(false)) ++verified;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(options.duration);
  std::printf("threads=%lld argon2id_verify_per_s=%.1f ms_per_verify=%.1f\n",
              static_cast<long long>(options.threads),
              static_cast<double>(verified.load()) / seconds,
              verified.load() > 0 ? 1000.0 * seconds * static_cast<double>(options.threads) /
                                        static_cast<double>(verified.load())
                                  : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  uwallet::Config config("payments-load");
  config.AddString("phase", &options.phase, "setup | load | argon2");
  config.AddString("auth-addr", &options.auth_addr, "auth gRPC address (setup)");
  config.AddString("payments-addr", &options.payments_addr, "payments gRPC address (setup)");
  config.AddString("gateway-addr", &options.gateway_addr, "gateway gRPC address (load)");
  config.AddString("identity-key", &options.identity_key, "identity HMAC key (setup)");
  config.AddString("users-file", &options.users_file, "written by setup, read by load");
  config.AddInt("users", &options.users, "customers to create (setup)");
  config.AddInt("setup-threads", &options.setup_threads, "concurrent setup calls");
  config.AddInt("top-up-minor", &options.top_up_minor, "each user's top-up (setup)");
  config.AddInt("clients", &options.clients, "concurrent clients, one transfer in flight each");
  config.AddInt("amount-max-minor", &options.amount_max_minor, "largest random amount");
  config.AddInt("threads", &options.threads, "argon2 threads");
  config.AddDuration("duration", &options.duration, "measured time");
  config.AddDuration("warmup", &options.warmup, "unmeasured time before it");
  if (absl::Status status = config.Parse(argc, argv); !status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return status.code() == absl::StatusCode::kCancelled ? 0 : 2;
  }
  if (options.clients < 1 || options.clients > kClientsMax || options.users < 2 ||
      options.users > kUsersMax || options.setup_threads < 1 ||
      options.setup_threads > kSetupThreadsMax || options.amount_max_minor < 1 ||
      options.threads < 1 || options.threads > kSetupThreadsMax ||
      options.duration <= absl::ZeroDuration()) {
    std::fprintf(stderr, "bad --clients, --users, --setup-threads, --threads or --duration\n");
    return 2;
  }
  if (options.phase == "argon2") return Argon2(options);
  if (options.phase == "setup") {
    auto signer = uwallet::grpcutil::IdentitySigner::Create(options.identity_key,
                                                            uwallet::RealClock::Instance());
    if (!signer.ok()) {
      std::fprintf(stderr, "bad --identity-key: %s\n",
                   std::string(signer.status().message()).c_str());
      return 2;
    }
    Setup setup(options, *signer);
    std::vector<User> users;
    if (!setup.Run(users)) return 1;
    std::ofstream out(options.users_file);
    for (const User& user : users) out << user.user_id << ' ' << user.token << '\n';
    out.close();
    return out ? 0 : 1;
  }
  if (options.phase == "load") {
    std::vector<User> users;
    std::ifstream in(options.users_file);
    User user;
    while (in >> user.user_id >> user.token && static_cast<int64_t>(users.size()) < kUsersMax) {
      user.index = static_cast<int>(users.size());
      users.push_back(user);
    }
    if (users.size() < 2) {
      std::fprintf(stderr, "need at least two users in --users-file\n");
      return 2;
    }
    Driver driver(options, std::move(users));
    driver.Run();
    driver.Report();
    return 0;
  }
  std::fprintf(stderr, "--phase must be setup, load or argon2\n");
  return 2;
}
