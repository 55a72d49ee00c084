// Support as a running service, over real gRPC with signed identity assertions (the gateway's
// part is played by this test): a customer opens a ticket and watches it, an agent claims and
// replies (plus an internal note the customer must never see), the reply arrives on the
// customer's WatchTicket stream, the agent resolves, the customer rates. The [dispute] case
// (hidden, its own CTest test support_e2e_dispute_test) disputes a real payment and checks the
// refund in the ledger; it needs payments and ledger and FAILS (never skips) when they answer
// UNIMPLEMENTED.
//
// Reads UWALLET_TEST_ENV_FILE (tools/test); skipped (77) without it.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/check.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"
#include "uwallet/common/status.h"
#include "uwallet/devtools/v1/devtools.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/status.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"
#include "uwallet/support/v1/support.grpc.pb.h"

namespace uwallet::support {
namespace {

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

class Suite {
 public:
  Suite() : env_(ReadEnvFile()), ids_(RealClock::Instance()) {
    auto signer =
        grpcutil::IdentitySigner::Create(env_.at("UWALLET_IDENTITY_KEY"), RealClock::Instance());
    UW_CHECK_OK(signer.status());
    signer_ = std::make_unique<grpcutil::IdentitySigner>(*std::move(signer));
    auto channel =
        grpc::CreateChannel(env_.at("UWALLET_SUPPORT_ADDR"), grpc::InsecureChannelCredentials());
    support = v1::SupportService::NewStub(channel);
    agent = v1::SupportAgentService::NewStub(channel);
  }

  std::string NewId() { return ids_.NewId(); }
  std::string Addr(const std::string& name) const {
    auto it = env_.find(name);
    return it == env_.end() ? "" : it->second;
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& user_id, const std::string& role,
                                          absl::Duration timeout = absl::Seconds(10)) const {
    grpcutil::Identity identity;
    identity.user_id = user_id;
    identity.roles = {role};
    identity.session_id = "e2e-" + user_id;
    return grpcutil::OutgoingContext(timeout, signer_->Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> AsService(const std::string& name) const {
    return grpcutil::OutgoingContext(absl::Seconds(10), signer_->SignService(name));
  }

  std::unique_ptr<v1::SupportService::Stub> support;
  std::unique_ptr<v1::SupportAgentService::Stub> agent;

 private:
  std::map<std::string, std::string> env_;
  UuidV7Generator ids_;
  std::unique_ptr<grpcutil::IdentitySigner> signer_;
};

// Collects a WatchTicket stream on its own thread.
class Watcher {
 public:
  Watcher(Suite& suite, const std::string& user, const std::string& ticket_id)
      : context_(suite.As(user, "customer", absl::Seconds(30))) {
    v1::WatchTicketRequest request;
    request.set_ticket_id(ticket_id);
    reader_ = suite.support->WatchTicket(context_.get(), request);
    reader_->WaitForInitialMetadata();  // the server subscribed before sending it
    thread_ = std::thread([this] {
      v1::WatchTicketResponse event;
      while (reader_->Read(&event)) {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back({event, std::chrono::steady_clock::now()});
        changed_.notify_all();
      }
    });
  }
  ~Watcher() {
    context_->TryCancel();
    thread_.join();
    (void)reader_->Finish();
  }
  // Waits (bounded) until `predicate` holds for some event; returns when it arrived.
  template <typename Predicate>
  std::optional<std::chrono::steady_clock::time_point> WaitFor(Predicate predicate) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<std::chrono::steady_clock::time_point> at;
    changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const auto& [event, when] : events_) {
        if (predicate(event)) {
          at = when;
          return true;
        }
      }
      return false;
    });
    return at;
  }
  std::vector<v1::WatchTicketResponse> Events() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<v1::WatchTicketResponse> out;
    for (const auto& [event, when] : events_) out.push_back(event);
    return out;
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchTicketResponse>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<v1::WatchTicketResponse, std::chrono::steady_clock::time_point>> events_;
};

TEST_CASE("customer opens a ticket, agent claims and replies live, customer rates") {
  Suite suite;
  const std::string alice = "e2e-alice-" + suite.NewId();
  const std::string bob = "e2e-bob-" + suite.NewId();
  const std::string agent_id = "e2e-agent-" + suite.NewId();

  v1::CreateTicketRequest create;
  create.set_category(v1::TICKET_CATEGORY_ACCOUNT_LOGIN);
  create.set_channel(v1::CHANNEL_APP);
  create.set_subject("I forgot my password");
  create.set_body("The reset code never arrives.");
  create.set_idempotency_key(suite.NewId());
  v1::AttachmentUpload* shot = create.add_attachments();
  shot->set_file_name("screenshot.png");
  shot->set_content(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  v1::CreateTicketResponse created;
  grpc::Status status =
      suite.support->CreateTicket(suite.As(alice, "customer").get(), create, &created);
  REQUIRE(status.error_message() == "");
  REQUIRE(status.ok());
  const std::string ticket_id = created.ticket().ticket_id();
  CHECK(created.ticket().status() == v1::TICKET_STATUS_NEW);
  CHECK(created.ticket().has_first_response_due_at());
  REQUIRE(created.suggested_articles_size() > 0);
  CHECK(created.suggested_articles(0).article_id() == "faq-forgot-password");

  // A disguised executable is refused by content.
  v1::CreateTicketRequest bad = create;
  bad.set_idempotency_key(suite.NewId());
  bad.mutable_attachments(0)->set_content("MZ\x90\x00 not an image");
  v1::CreateTicketResponse ignored;
  CHECK(
      suite.support->CreateTicket(suite.As(alice, "customer").get(), bad, &ignored).error_code() ==
      grpc::StatusCode::INVALID_ARGUMENT);

  // Another customer cannot see it.
  v1::GetTicketRequest get;
  get.set_ticket_id(ticket_id);
  v1::GetTicketResponse got;
  CHECK(suite.support->GetTicket(suite.As(bob, "customer").get(), get, &got).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  Watcher watcher(suite, alice, ticket_id);

  v1::AssignTicketRequest claim;
  claim.set_ticket_id(ticket_id);
  v1::AssignTicketResponse claimed;
  REQUIRE(suite.agent->AssignTicket(suite.As(agent_id, "agent").get(), claim, &claimed).ok());
  CHECK(claimed.ticket().assignee_id() == agent_id);

  v1::ReplyRequest note;
  note.set_ticket_id(ticket_id);
  note.set_body("INTERNAL: check SMS gateway logs");
  note.set_internal_note(true);
  v1::ReplyResponse noted;
  REQUIRE(suite.agent->Reply(suite.As(agent_id, "agent").get(), note, &noted).ok());

  v1::ReplyRequest reply;
  reply.set_ticket_id(ticket_id);
  reply.set_body("We re-sent the code; please check your SMS.");
  v1::ReplyResponse replied;
  const auto sent_at = std::chrono::steady_clock::now();
  REQUIRE(suite.agent->Reply(suite.As(agent_id, "agent").get(), reply, &replied).ok());
  auto arrived = watcher.WaitFor([&](const v1::WatchTicketResponse& e) {
    return e.has_message() && e.message().message_id() == replied.message().message_id();
  });
  REQUIRE(arrived.has_value());
  std::printf(
      "support e2e: reply reached the customer's stream after %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(*arrived - sent_at).count()));

  v1::SetStatusRequest resolve;
  resolve.set_ticket_id(ticket_id);
  resolve.set_status(v1::TICKET_STATUS_RESOLVED);
  resolve.set_note("code delivered");
  v1::SetStatusResponse resolved;
  REQUIRE(suite.agent->SetStatus(suite.As(agent_id, "agent").get(), resolve, &resolved).ok());
  CHECK(watcher
            .WaitFor([](const v1::WatchTicketResponse& e) {
              return e.has_status_change() &&
                     e.status_change().to_status() == v1::TICKET_STATUS_RESOLVED;
            })
            .has_value());
  for (const auto& event : watcher.Events()) {
    if (event.has_message()) {
      CHECK_FALSE(event.message().internal_note());
      CHECK(event.message().message_id() != noted.message().message_id());
    }
  }

  v1::RateTicketRequest rate;
  rate.set_ticket_id(ticket_id);
  rate.set_score(5);
  rate.set_comment("fast and friendly");
  v1::RateTicketResponse rated;
  REQUIRE(suite.support->RateTicket(suite.As(alice, "customer").get(), rate, &rated).ok());
  CHECK(rated.ticket().rating_score() == 5);

  REQUIRE(suite.support->GetTicket(suite.As(alice, "customer").get(), get, &got).ok());
  CHECK(got.ticket().status() == v1::TICKET_STATUS_RESOLVED);
  for (const auto& message : got.messages()) CHECK_FALSE(message.internal_note());
  CHECK(got.messages_size() == 2);  // the customer's first message and the public reply
  v1::SupportAgentServiceGetTicketRequest agent_get;
  agent_get.set_ticket_id(ticket_id);
  v1::SupportAgentServiceGetTicketResponse agent_got;
  REQUIRE(suite.agent->GetTicket(suite.As(agent_id, "agent").get(), agent_get, &agent_got).ok());
  CHECK(agent_got.messages_size() == 3);

  // Customers cannot use the agent desk.
  v1::ListQueueRequest queue;
  v1::ListQueueResponse listed;
  CHECK(suite.agent->ListQueue(suite.As(alice, "customer").get(), queue, &listed).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);

  v1::AskRequest ask;
  ask.set_question("忘记密码怎么办");
  v1::AskResponse answer;
  REQUIRE(suite.support->Ask(suite.As("", "anonymous").get(), ask, &answer).ok());
  REQUIRE(answer.sources_size() > 0);
  CHECK(answer.sources(0).article_id() == "faq-forgot-password");
  CHECK_FALSE(answer.suggest_ticket());
}

TEST_CASE("internal API accepts service callers only") {
  Suite suite;
  v1::OpenSystemTicketRequest request;
  request.set_idempotency_key(suite.NewId());
  request.set_user_id("e2e-victim-" + suite.NewId());
  request.set_category(v1::TICKET_CATEGORY_SECURITY);
  request.set_priority(v1::PRIORITY_URGENT);
  request.set_subject("Account reported stolen");
  request.set_body("Frozen by the fraud service.");
  auto internal = v1::SupportInternalService::NewStub(
      grpc::CreateChannel(suite.Addr("UWALLET_SUPPORT_ADDR"), grpc::InsecureChannelCredentials()));
  v1::OpenSystemTicketResponse response;
  CHECK(internal->OpenSystemTicket(suite.As("someone", "customer").get(), request, &response)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(internal->OpenSystemTicket(suite.AsService("fraud").get(), request, &response).ok());
  CHECK(response.ticket().priority() == v1::PRIORITY_URGENT);
  v1::OpenSystemTicketResponse again;
  REQUIRE(internal->OpenSystemTicket(suite.AsService("fraud").get(), request, &again).ok());
  CHECK(again.ticket().ticket_id() == response.ticket().ticket_id());
}

// Fails with a clear message when a peer answers UNIMPLEMENTED (it is not built yet).
void RequirePeer(const grpc::Status& status, const char* what) {
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    FAIL(std::string("dispute story cannot run: ") + what +
         " answered UNIMPLEMENTED (payments/ledger not implemented in this run)");
  }
  INFO(what << ": " << status.error_code() << " " << status.error_message()
            << " reason=" << ReasonOf(grpcutil::FromGrpcStatus(status)));
  REQUIRE(status.ok());
}

constexpr char kPassword[] = "e2e support password 7!";
constexpr char kPin[] = "246813";

// A signed-in person: real users registered through auth (the dispute story moves real money,
// and payments refuses ids that are not users).
struct Person {
  std::string user_id;
  std::string session_id;
  std::string email;
  std::vector<std::string> roles = {"customer"};
};

// Registration, email verification through the dev mailbox, step-up and the payment PIN, as
// services/payments/test/payments_e2e_test.cc does them; calls carry signed assertions as the
// gateway sends them.
class People {
 public:
  explicit People(Suite& suite)
      : signer_(*grpcutil::IdentitySigner::Create(suite.Addr("UWALLET_IDENTITY_KEY"),
                                                  RealClock::Instance())) {
    auto auth_channel =
        grpc::CreateChannel(suite.Addr("UWALLET_AUTH_ADDR"), grpc::InsecureChannelCredentials());
    auth = auth::v1::AuthService::NewStub(auth_channel);
    auth_admin = auth::v1::AuthAdminService::NewStub(auth_channel);
    mailbox = devtools::v1::DevMailboxService::NewStub(auth_channel);
    ip_ = absl::StrCat("198.51.100.", 1 + std::random_device{}() % 250);
    run_ = absl::StrCat(std::random_device{}(), "-", suite.NewId().substr(24));
  }

  std::unique_ptr<grpc::ClientContext> Anonymous() const {
    grpcutil::Identity identity;
    identity.roles = {grpcutil::roles::kAnonymous};
    identity.client_ip = ip_;
    identity.device_id = "e2e-support";
    return grpcutil::OutgoingContext(absl::Seconds(20), signer_.Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> As(const Person& person) const {
    grpcutil::Identity identity;
    identity.user_id = person.user_id;
    identity.session_id = person.session_id;
    identity.roles = person.roles;
    identity.client_ip = ip_;
    identity.device_id = "e2e-support";
    return grpcutil::OutgoingContext(absl::Seconds(20), signer_.Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> AsAdmin() const {
    return As({.user_id = "0190a000-0000-7000-8000-0000000000ad",
               .session_id = "e2e-support-admin-session",
               .roles = {"admin"}});
  }

  std::string LatestCode(const std::string& destination, const std::string& template_name) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      devtools::v1::ListMessagesRequest request;
      request.set_destination(destination);
      devtools::v1::ListMessagesResponse response;
      RequirePeer(mailbox->ListMessages(Anonymous().get(), request, &response),
                  "auth DevMailbox ListMessages");
      for (const auto& message : response.messages()) {
        if (message.template_name() == template_name && !message.code().empty()) {
          return message.code();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("no " << template_name << " code for " << destination);
    return "";
  }

  // A registered customer with a verified email, signed in.
  Person Customer(const std::string& name) {
    Person person;
    person.email = absl::StrCat(name, "-", run_, "@e2e.uwallet.test");
    auth::v1::RegisterRequest registration;
    registration.set_email(person.email);
    registration.set_password(kPassword);
    registration.set_display_name(name);
    auth::v1::RegisterResponse registered;
    RequirePeer(auth->Register(Anonymous().get(), registration, &registered), "auth Register");
    auth::v1::VerifyContactRequest verify;
    verify.set_destination(person.email);
    verify.set_code(LatestCode(person.email, "verify_contact"));
    auth::v1::VerifyContactResponse verified;
    RequirePeer(auth->VerifyContact(Anonymous().get(), verify, &verified), "auth VerifyContact");
    auth::v1::LoginRequest login;
    login.set_identifier(person.email);
    login.set_password(kPassword);
    login.mutable_device()->set_device_id("e2e-support");
    auth::v1::LoginResponse session;
    RequirePeer(auth->Login(Anonymous().get(), login, &session), "auth Login");
    REQUIRE(session.has_session());
    person.user_id = session.session().user_id();
    person.session_id = session.session().session_id();
    return person;
  }

  // A staff account with the agent role (created by an admin).
  Person Agent(const std::string& name) {
    auth::v1::CreateStaffAccountRequest request;
    request.set_email(absl::StrCat(name, "-", run_, "@e2e.uwallet.test"));
    request.set_display_name(name);
    request.add_roles(common::v1::ROLE_AGENT);
    request.set_initial_password(kPassword);
    auth::v1::CreateStaffAccountResponse response;
    RequirePeer(auth_admin->CreateStaffAccount(AsAdmin().get(), request, &response),
                "auth CreateStaffAccount");
    return {.user_id = response.user_id(),
            .session_id = "e2e-support-agent-session",
            .email = request.email(),
            .roles = {"agent"}};
  }

  // Sets the payment PIN through a real step-up (a code to the verified email). Codes to one
  // destination are limited to one a minute, so a RATE_LIMITED answer is waited out.
  void SetPin(Person& person, payments::v1::PaymentsService::Stub& payments) {
    auth::v1::SendCodeRequest send;
    send.set_destination(person.email);
    send.set_purpose(auth::v1::CODE_PURPOSE_STEP_UP);
    grpc::Status status;
    for (int attempt = 0; attempt < 4; ++attempt) {
      auth::v1::SendCodeResponse sent;
      status = auth->SendCode(As(person).get(), send, &sent);
      if (ReasonOf(grpcutil::FromGrpcStatus(status)) != "RATE_LIMITED") break;
      std::this_thread::sleep_for(std::chrono::seconds(31));
    }
    RequirePeer(status, "auth SendCode (step-up)");
    auth::v1::StepUpRequest step_up;
    step_up.set_code(LatestCode(person.email, "step_up"));
    step_up.set_action(auth::v1::STEP_UP_ACTION_SET_PAYMENT_PIN);
    auth::v1::StepUpResponse token;
    RequirePeer(auth->StepUp(As(person).get(), step_up, &token), "auth StepUp");
    if (token.has_session() && !token.session().session_id().empty()) {
      person.session_id = token.session().session_id();
    }
    payments::v1::SetPaymentPinRequest pin;
    pin.set_pin(kPin);
    pin.set_step_up_token(token.step_up_token());
    payments::v1::SetPaymentPinResponse pin_set;
    RequirePeer(payments.SetPaymentPin(As(person).get(), pin, &pin_set), "payments SetPaymentPin");
  }

  std::unique_ptr<auth::v1::AuthService::Stub> auth;
  std::unique_ptr<auth::v1::AuthAdminService::Stub> auth_admin;
  std::unique_ptr<devtools::v1::DevMailboxService::Stub> mailbox;

 private:
  grpcutil::IdentitySigner signer_;
  std::string ip_;
  std::string run_;
};

TEST_CASE("dispute of an unauthorised payment ends in a refund checked in the ledger",
          "[.dispute]") {
  Suite suite;
  People people(suite);
  auto payments_channel =
      grpc::CreateChannel(suite.Addr("UWALLET_PAYMENTS_ADDR"), grpc::InsecureChannelCredentials());
  auto ledger_channel =
      grpc::CreateChannel(suite.Addr("UWALLET_LEDGER_ADDR"), grpc::InsecureChannelCredentials());
  auto payments = payments::v1::PaymentsService::NewStub(payments_channel);
  auto ledger = ledger::v1::LedgerInternalService::NewStub(ledger_channel);

  Person alice = people.Customer("payer");
  Person bob = people.Customer("payee");
  const Person agent = people.Agent("dispute-agent");
  people.SetPin(alice, *payments);

  payments::v1::AddBankCardRequest card;
  card.set_card_number("4111 1111 1111 1111");
  card.set_holder_name("Alice E2E");
  card.set_expiry_month(12);
  card.set_expiry_year(2035);
  payments::v1::AddBankCardResponse added;
  RequirePeer(payments->AddBankCard(people.As(alice).get(), card, &added), "payments AddBankCard");
  payments::v1::TopUpRequest top_up;
  top_up.set_idempotency_key(suite.NewId());
  top_up.set_bank_card_id(added.card().card_id());
  top_up.mutable_amount()->set_amount_minor(10'000);
  top_up.mutable_amount()->set_currency("CNY");
  payments::v1::TopUpResponse topped;
  RequirePeer(payments->TopUp(people.As(alice).get(), top_up, &topped), "payments TopUp");
  REQUIRE(topped.payment().status() == payments::v1::PAYMENT_STATUS_SUCCEEDED);

  payments::v1::TransferRequest transfer;
  transfer.set_idempotency_key(suite.NewId());
  transfer.mutable_to()->set_user_id(bob.user_id);
  transfer.mutable_amount()->set_amount_minor(3'000);
  transfer.mutable_amount()->set_currency("CNY");
  transfer.set_pin(kPin);
  payments::v1::TransferResponse transferred;
  RequirePeer(payments->Transfer(people.As(alice).get(), transfer, &transferred),
              "payments Transfer");
  REQUIRE(transferred.payment().status() == payments::v1::PAYMENT_STATUS_SUCCEEDED);
  const std::string payment_id = transferred.payment().payment_id();

  // The wallets as the ledger has them (service assertion, LedgerInternalService.GetAccount).
  auto wallet = [&](const Person& person) -> ledger::v1::Balance {
    ledger::v1::GetAccountRequest request;
    request.mutable_key()->set_owner_id(person.user_id);
    request.mutable_key()->set_kind(ledger::v1::ACCOUNT_KIND_USER_WALLET);
    request.mutable_key()->set_currency("CNY");
    ledger::v1::GetAccountResponse response;
    RequirePeer(ledger->GetAccount(suite.AsService("e2e-support").get(), request, &response),
                "ledger GetAccount");
    return response.balance();
  };
  auto holds_of = [&](const Person& person) {
    ledger::v1::ListHoldsRequest request;
    request.set_owner_id(person.user_id);
    request.set_page_size(100);
    ledger::v1::ListHoldsResponse response;
    RequirePeer(ledger->ListHolds(suite.AsService("e2e-support").get(), request, &response),
                "ledger ListHolds");
    return std::vector<ledger::v1::Hold>(response.holds().begin(), response.holds().end());
  };
  REQUIRE(wallet(alice).posted().amount_minor() == 7'000);
  REQUIRE(wallet(bob).posted().amount_minor() == 3'000);
  REQUIRE(wallet(bob).available().amount_minor() == 3'000);
  REQUIRE(holds_of(bob).empty());

  v1::OpenDisputeRequest dispute;
  dispute.set_idempotency_key(suite.NewId());
  dispute.set_payment_id(payment_id);
  dispute.set_reason(v1::DISPUTE_REASON_UNAUTHORISED);
  dispute.set_description("I did not make this transfer; my phone was stolen.");
  v1::AttachmentUpload* evidence = dispute.add_evidence();
  evidence->set_file_name("sms-screenshot.png");
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR evidence", 25);
  evidence->set_content(png);
  v1::OpenDisputeResponse opened;
  RequirePeer(suite.support->OpenDispute(people.As(alice).get(), dispute, &opened),
              "support OpenDispute");
  const v1::Ticket& ticket = opened.ticket();
  REQUIRE(ticket.has_dispute());
  CHECK(ticket.category() == v1::TICKET_CATEGORY_DISPUTE);
  CHECK(ticket.priority() == v1::PRIORITY_URGENT);
  CHECK(ticket.attachment_count() == 1);
  CHECK(ticket.dispute().status() == v1::DISPUTE_STATUS_OPEN);
  CHECK(ticket.dispute().disputed_amount().amount_minor() == 3'000);
  const std::string hold_id = ticket.dispute().hold_id();
  REQUIRE(hold_id != "");

  // The hold in the ledger: pending on the payee's wallet for exactly the disputed amount.
  std::vector<ledger::v1::Hold> holds = holds_of(bob);
  REQUIRE(holds.size() == 1);
  CHECK(holds[0].hold_id() == hold_id);
  CHECK(holds[0].state() == ledger::v1::HOLD_STATE_PENDING);
  CHECK(holds[0].kind() == ledger::v1::TRANSFER_KIND_DISPUTE_HOLD);
  CHECK(holds[0].amount().amount_minor() == 3'000);
  CHECK(holds[0].amount().currency() == "CNY");
  CHECK(holds[0].metadata().at("payment_id") == payment_id);
  const ledger::v1::Balance held = wallet(bob);
  CHECK(held.posted().amount_minor() == 3'000);
  CHECK(held.pending_debits().amount_minor() == 3'000);
  CHECK(held.available().amount_minor() == 0);
  CHECK(wallet(alice).posted().amount_minor() == 7'000);

  // The evidence is stored with the ticket and served to its owner (by content, byte for byte).
  v1::GetTicketRequest get;
  get.set_ticket_id(ticket.ticket_id());
  v1::GetTicketResponse got;
  RequirePeer(suite.support->GetTicket(people.As(alice).get(), get, &got), "support GetTicket");
  std::string attachment_id;
  for (const auto& message : got.messages()) {
    for (const auto& attachment : message.attachments()) attachment_id = attachment.attachment_id();
  }
  REQUIRE(attachment_id != "");
  v1::GetAttachmentRequest get_attachment;
  get_attachment.set_attachment_id(attachment_id);
  v1::GetAttachmentResponse attachment;
  RequirePeer(suite.support->GetAttachment(people.As(alice).get(), get_attachment, &attachment),
              "support GetAttachment");
  CHECK(attachment.content() == png);
  CHECK(attachment.attachment().content_type() == "image/png");
  v1::GetAttachmentResponse not_theirs;
  CHECK(suite.support->GetAttachment(people.As(bob).get(), get_attachment, &not_theirs)
            .error_code() == grpc::StatusCode::NOT_FOUND);

  // A customer cannot resolve it; the agent refunds in full.
  v1::ResolveDisputeRequest resolve;
  resolve.set_idempotency_key(suite.NewId());
  resolve.set_ticket_id(ticket.ticket_id());
  resolve.set_decision(v1::DISPUTE_DECISION_REFUND_FULL);
  resolve.set_note("Confirmed unauthorised.");
  v1::ResolveDisputeResponse resolved;
  CHECK(suite.agent->ResolveDispute(people.As(alice).get(), resolve, &resolved).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  RequirePeer(suite.agent->ResolveDispute(people.As(agent).get(), resolve, &resolved),
              "support ResolveDispute");
  CHECK(resolved.ticket().dispute().status() == v1::DISPUTE_STATUS_REFUNDED);
  CHECK(resolved.ticket().dispute().refunded_amount().amount_minor() == 3'000);
  CHECK(resolved.ticket().status() == v1::TICKET_STATUS_RESOLVED);
  CHECK(resolved.refund_payment_id() != "");
  // A retry with the same key does not refund twice.
  v1::ResolveDisputeResponse again;
  RequirePeer(suite.agent->ResolveDispute(people.As(agent).get(), resolve, &again),
              "support ResolveDispute (retry)");
  CHECK(again.refund_payment_id() == resolved.refund_payment_id());

  // The books, to the unit: the hold was voided, the refund moved 3,000 back to the payer.
  holds = holds_of(bob);
  REQUIRE(holds.size() == 1);
  CHECK(holds[0].state() == ledger::v1::HOLD_STATE_VOIDED);
  const ledger::v1::Balance payer = wallet(alice);
  const ledger::v1::Balance payee = wallet(bob);
  CHECK(payer.posted().amount_minor() == 10'000);
  CHECK(payer.available().amount_minor() == 10'000);
  CHECK(payee.posted().amount_minor() == 0);
  CHECK(payee.pending_debits().amount_minor() == 0);
  CHECK(payee.available().amount_minor() == 0);

  // The agent's customer 360 of the payer: the payment, the resolved dispute ticket, and the
  // fraud service's alerts part (FraudAnalystService.ListUserAlerts) answered.
  v1::GetCustomer360Request c360;
  c360.set_user_id(alice.user_id);
  v1::GetCustomer360Response customer;
  RequirePeer(suite.agent->GetCustomer360(people.As(agent).get(), c360, &customer),
              "support GetCustomer360");
  for (const auto& part : customer.unavailable_parts()) {
    INFO("unavailable: " << part.part() << " code " << part.status_code());
    CHECK(part.part() != "recent_alerts");
    CHECK(part.part() != "recent_tickets");
    CHECK(part.part() != "recent_fraud_cases");  // agents may read one customer's cases
  }
  bool saw_ticket = false;
  for (const auto& t : customer.recent_tickets()) saw_ticket |= t.ticket_id() == ticket.ticket_id();
  CHECK(saw_ticket);
}

}  // namespace
}  // namespace uwallet::support
