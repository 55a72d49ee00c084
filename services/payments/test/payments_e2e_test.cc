// Payments against the running suite (tools/test; UWALLET_TEST_ENV_FILE, skipped without it): two
// customers register with auth and verify their email, set a payment PIN with a real step-up, bind
// a card and top up, one pays the other and a merchant, the merchant refunds part, the other
// withdraws; both sides' balances in the ledger and both histories match to the unit, and the
// ledger's trial balance balances. Calls go straight to the payments service with signed identity
// assertions (UWALLET_IDENTITY_KEY), as the gateway sends them. A ledger or auth that answers
// UNIMPLEMENTED fails this test: it is not skipped.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/status.h"
#include "uwallet/devtools/v1/devtools.grpc.pb.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/grpcutil/status.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"

namespace uwallet::payments {
namespace {

namespace auth_pb = ::uwallet::auth::v1;
namespace ledger_pb = ::uwallet::ledger::v1;
namespace pay_pb = ::uwallet::payments::v1;
namespace dev_pb = ::uwallet::devtools::v1;
namespace fraud_pb = ::uwallet::fraud::v1;

constexpr char kPassword[] = "e2e payments password 7!";
constexpr char kPin[] = "246813";

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

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), " ", status.error_message(),
                      " reason=", ReasonOf(grpcutil::FromGrpcStatus(status)));
}

#define REQUIRE_OK(call)                 \
  do {                                   \
    grpc::Status uw_e2e_status = (call); \
    INFO(Describe(uw_e2e_status));       \
    REQUIRE(uw_e2e_status.ok());         \
  } while (false)

struct Person {
  std::string user_id;
  std::string session_id;
  std::string email;
  std::vector<std::string> roles = {"customer"};
};

class Suite {
 public:
  Suite()
      : env_(ReadEnvFile()),
        signer_(*grpcutil::IdentitySigner::Create(env_.at("UWALLET_IDENTITY_KEY"),
                                                  RealClock::Instance())) {
    auto auth_channel =
        grpc::CreateChannel(env_.at("UWALLET_AUTH_ADDR"), grpc::InsecureChannelCredentials());
    auto ledger_channel =
        grpc::CreateChannel(env_.at("UWALLET_LEDGER_ADDR"), grpc::InsecureChannelCredentials());
    auto payments_channel =
        grpc::CreateChannel(env_.at("UWALLET_PAYMENTS_ADDR"), grpc::InsecureChannelCredentials());
    auth = auth_pb::AuthService::NewStub(auth_channel);
    auth_admin = auth_pb::AuthAdminService::NewStub(auth_channel);
    mailbox = dev_pb::DevMailboxService::NewStub(auth_channel);
    ledger_internal = ledger_pb::LedgerInternalService::NewStub(ledger_channel);
    ledger_admin = ledger_pb::LedgerAdminService::NewStub(ledger_channel);
    payments = pay_pb::PaymentsService::NewStub(payments_channel);
    merchant = pay_pb::MerchantService::NewStub(payments_channel);
    payments_admin = pay_pb::PaymentsAdminService::NewStub(payments_channel);
    fraud = fraud_pb::FraudService::NewStub(
        grpc::CreateChannel(env_.at("UWALLET_FRAUD_ADDR"), grpc::InsecureChannelCredentials()));
    ip_ = absl::StrCat("203.0.113.", 1 + std::random_device{}() % 250);
    run_ = absl::StrCat(std::random_device{}());
  }

  std::unique_ptr<grpc::ClientContext> Anonymous() const {
    grpcutil::Identity identity;
    identity.roles = {grpcutil::roles::kAnonymous};
    identity.client_ip = ip_;
    identity.device_id = "e2e-payments";
    return grpcutil::OutgoingContext(absl::Seconds(20), signer_.Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> As(const Person& person) const {
    grpcutil::Identity identity;
    identity.user_id = person.user_id;
    identity.session_id = person.session_id;
    identity.roles = person.roles;
    identity.client_ip = ip_;
    identity.device_id = "e2e-payments";
    return grpcutil::OutgoingContext(absl::Seconds(20), signer_.Sign(identity));
  }
  std::unique_ptr<grpc::ClientContext> AsAdmin() const {
    return As({.user_id = "0190a000-0000-7000-8000-0000000000ad",
               .session_id = "e2e-admin-session",
               .roles = {"admin"}});
  }
  std::unique_ptr<grpc::ClientContext> AsService() const {
    return grpcutil::OutgoingContext(absl::Seconds(20), signer_.SignService("e2e-payments"));
  }

  std::string LatestCode(const std::string& destination, const std::string& template_name) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      dev_pb::ListMessagesRequest request;
      request.set_destination(destination);
      dev_pb::ListMessagesResponse response;
      REQUIRE_OK(mailbox->ListMessages(Anonymous().get(), request, &response));
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
    auth_pb::RegisterRequest registration;
    registration.set_email(person.email);
    registration.set_password(kPassword);
    registration.set_display_name(name);
    auth_pb::RegisterResponse registered;
    REQUIRE_OK(auth->Register(Anonymous().get(), registration, &registered));
    auth_pb::VerifyContactRequest verify;
    verify.set_destination(person.email);
    verify.set_code(LatestCode(person.email, "verify_contact"));
    auth_pb::VerifyContactResponse verified;
    REQUIRE_OK(auth->VerifyContact(Anonymous().get(), verify, &verified));
    auth_pb::LoginRequest login;
    login.set_identifier(person.email);
    login.set_password(kPassword);
    login.mutable_device()->set_device_id("e2e-payments");
    auth_pb::LoginResponse session;
    REQUIRE_OK(auth->Login(Anonymous().get(), login, &session));
    REQUIRE(session.has_session());
    person.user_id = session.session().user_id();
    person.session_id = session.session().session_id();
    return person;
  }

  // Sets the payment PIN through a real step-up (a code to the verified email). Codes to one
  // destination are limited to one a minute, so a RATE_LIMITED answer is waited out.
  void SetPin(Person& person) {
    auth_pb::SendCodeRequest send;
    send.set_destination(person.email);
    send.set_purpose(auth_pb::CODE_PURPOSE_STEP_UP);
    grpc::Status status;
    for (int attempt = 0; attempt < 4; ++attempt) {
      auth_pb::SendCodeResponse sent;
      status = auth->SendCode(As(person).get(), send, &sent);
      if (ReasonOf(grpcutil::FromGrpcStatus(status)) != "RATE_LIMITED") break;
      std::this_thread::sleep_for(std::chrono::seconds(31));
    }
    REQUIRE_OK(status);
    auth_pb::StepUpRequest step_up;
    step_up.set_code(LatestCode(person.email, "step_up"));
    step_up.set_action(auth_pb::STEP_UP_ACTION_SET_PAYMENT_PIN);
    auth_pb::StepUpResponse token;
    REQUIRE_OK(auth->StepUp(As(person).get(), step_up, &token));
    if (token.has_session() && !token.session().session_id().empty()) {
      person.session_id = token.session().session_id();
    }
    pay_pb::SetPaymentPinRequest pin;
    pin.set_pin(kPin);
    pin.set_step_up_token(token.step_up_token());
    pay_pb::SetPaymentPinResponse pin_set;
    REQUIRE_OK(payments->SetPaymentPin(As(person).get(), pin, &pin_set));
  }

  Person Merchant() {
    auth_pb::CreateStaffAccountRequest request;
    request.set_email(absl::StrCat("shop-", run_, "@e2e.uwallet.test"));
    request.set_display_name("E2E Shop");
    request.add_roles(common::v1::ROLE_MERCHANT);
    request.set_initial_password(kPassword);
    auth_pb::CreateStaffAccountResponse response;
    REQUIRE_OK(auth_admin->CreateStaffAccount(AsAdmin().get(), request, &response));
    return {.user_id = response.user_id(), .roles = {"merchant"}};
  }

  int64_t Wallet(const std::string& owner, ledger_pb::AccountKind kind) {
    ledger_pb::GetAccountRequest request;
    request.mutable_key()->set_owner_id(owner);
    request.mutable_key()->set_kind(kind);
    request.mutable_key()->set_currency("CNY");
    ledger_pb::GetAccountResponse response;
    REQUIRE_OK(ledger_internal->GetAccount(AsService().get(), request, &response));
    return response.balance().posted().amount_minor();
  }

  std::unique_ptr<auth_pb::AuthService::Stub> auth;
  std::unique_ptr<auth_pb::AuthAdminService::Stub> auth_admin;
  std::unique_ptr<dev_pb::DevMailboxService::Stub> mailbox;
  std::unique_ptr<ledger_pb::LedgerInternalService::Stub> ledger_internal;
  std::unique_ptr<ledger_pb::LedgerAdminService::Stub> ledger_admin;
  std::unique_ptr<pay_pb::PaymentsService::Stub> payments;
  std::unique_ptr<pay_pb::MerchantService::Stub> merchant;
  std::unique_ptr<pay_pb::PaymentsAdminService::Stub> payments_admin;
  std::unique_ptr<fraud_pb::FraudService::Stub> fraud;

 private:
  std::map<std::string, std::string> env_;
  grpcutil::IdentitySigner signer_;
  std::string ip_;
  std::string run_;
};

void SetMoney(common::v1::Money* money, int64_t amount) {
  money->set_amount_minor(amount);
  money->set_currency("CNY");
}

TEST_CASE("e2e: register, top up, pay a person and a merchant, refund, withdraw; books balance") {
  Suite suite;
  Person alice = suite.Customer("alice");
  Person bob = suite.Customer("bob");
  Person shop = suite.Merchant();
  suite.SetPin(alice);
  suite.SetPin(bob);

  auto bind_card = [&](const Person& person) {
    pay_pb::AddBankCardRequest request;
    request.set_card_number("4111 1111 1111 1111");
    request.set_holder_name("E2E Holder");
    request.set_expiry_month(12);
    request.set_expiry_year(2035);
    pay_pb::AddBankCardResponse response;
    REQUIRE_OK(suite.payments->AddBankCard(suite.As(person).get(), request, &response));
    REQUIRE(response.card().last4() == "1111");
    return response.card().card_id();
  };
  const std::string alice_card = bind_card(alice);
  const std::string bob_card = bind_card(bob);

  auto top_up = [&](const Person& person, const std::string& card, int64_t amount) {
    pay_pb::TopUpRequest request;
    request.set_idempotency_key("top-up-1");
    request.set_bank_card_id(card);
    SetMoney(request.mutable_amount(), amount);
    pay_pb::TopUpResponse response;
    REQUIRE_OK(suite.payments->TopUp(suite.As(person).get(), request, &response));
    REQUIRE(response.payment().status() == pay_pb::PAYMENT_STATUS_SUCCEEDED);
  };
  top_up(alice, alice_card, 100'000);
  top_up(bob, bob_card, 50'000);

  // Alice pays Bob by email; a retry with the same key returns the same payment.
  pay_pb::TransferRequest transfer;
  transfer.set_idempotency_key("lunch");
  transfer.mutable_to()->set_email(bob.email);
  SetMoney(transfer.mutable_amount(), 12'345);
  transfer.set_note("lunch");
  transfer.set_pin(kPin);
  pay_pb::TransferResponse sent, again;
  REQUIRE_OK(suite.payments->Transfer(suite.As(alice).get(), transfer, &sent));
  REQUIRE(sent.payment().status() == pay_pb::PAYMENT_STATUS_SUCCEEDED);
  REQUIRE_FALSE(sent.payment().payee().display_name().empty());
  REQUIRE(sent.payment().payee().user_id() == bob.user_id);
  REQUIRE_OK(suite.payments->Transfer(suite.As(alice).get(), transfer, &again));
  REQUIRE(again.payment().payment_id() == sent.payment().payment_id());

  // A wrong PIN is refused with attempts left.
  transfer.set_idempotency_key("wrong-pin");
  transfer.set_pin("864200");
  pay_pb::TransferResponse refused;
  grpc::Status wrong = suite.payments->Transfer(suite.As(alice).get(), transfer, &refused);
  REQUIRE(ReasonOf(grpcutil::FromGrpcStatus(wrong)) == "WRONG_PIN");

  // More than Alice has: refused with the reason (and told to her as an alert, checked below).
  transfer.set_idempotency_key("too-much");
  transfer.set_pin(kPin);
  SetMoney(transfer.mutable_amount(), 90'000);
  grpc::Status too_much = suite.payments->Transfer(suite.As(alice).get(), transfer, &refused);
  REQUIRE(ReasonOf(grpcutil::FromGrpcStatus(too_much)) == "INSUFFICIENT_FUNDS");

  // Alice pays the shop with its QR code; the shop refunds part of it.
  pay_pb::CreatePaymentCodeRequest code_request;
  SetMoney(code_request.mutable_amount(), 2'000);
  code_request.set_order_ref("order-e2e");
  pay_pb::CreatePaymentCodeResponse code;
  REQUIRE_OK(suite.merchant->CreatePaymentCode(suite.As(shop).get(), code_request, &code));
  pay_pb::PayMerchantRequest pay;
  pay.set_idempotency_key("shop-1");
  pay.set_qr_payload(code.qr_payload());
  pay.set_pin(kPin);
  pay_pb::PayMerchantResponse paid;
  REQUIRE_OK(suite.payments->PayMerchant(suite.As(alice).get(), pay, &paid));
  REQUIRE(paid.payment().status() == pay_pb::PAYMENT_STATUS_SUCCEEDED);
  REQUIRE(paid.payment().order_ref() == "order-e2e");
  // Alice asks for a refund of one item; the shop's refund answers that request.
  pay_pb::RequestRefundRequest ask;
  ask.set_idempotency_key("ask-1");
  ask.set_payment_id(paid.payment().payment_id());
  SetMoney(ask.mutable_amount(), 500);
  ask.set_reason("one item arrived broken");
  pay_pb::RequestRefundResponse asked;
  REQUIRE_OK(suite.payments->RequestRefund(suite.As(alice).get(), ask, &asked));
  REQUIRE(asked.refund_request().status() == pay_pb::REFUND_REQUEST_STATUS_REQUESTED);
  pay_pb::RefundPaymentRequest refund;
  refund.set_idempotency_key("refund-1");
  refund.set_payment_id(paid.payment().payment_id());
  SetMoney(refund.mutable_amount(), 500);
  refund.set_reason("one item returned");
  refund.set_refund_request_id(asked.refund_request().refund_request_id());
  pay_pb::RefundPaymentResponse refunded;
  REQUIRE_OK(suite.merchant->RefundPayment(suite.As(shop).get(), refund, &refunded));
  REQUIRE(refunded.refund().status() == pay_pb::PAYMENT_STATUS_SUCCEEDED);
  REQUIRE(refunded.original().refunded_amount().amount_minor() == 500);
  pay_pb::RequestRefundResponse answered;
  REQUIRE_OK(suite.payments->RequestRefund(suite.As(alice).get(), ask, &answered));
  REQUIRE(answered.refund_request().refund_request_id() ==
          asked.refund_request().refund_request_id());
  REQUIRE(answered.refund_request().status() == pay_pb::REFUND_REQUEST_STATUS_REFUNDED);
  REQUIRE(answered.refund_request().refund_payment_id() == refunded.refund().payment_id());
  REQUIRE(answered.refund_request().refunded_amount().amount_minor() == 500);

  // Alice asks for ¥10.00 more; the shop finds it in its open requests, refunds ¥4.00 of it
  // (PARTIALLY_REFUNDED) and rejects the rest with a reason; Alice's list shows the answer.
  ask.set_idempotency_key("ask-2");
  SetMoney(ask.mutable_amount(), 1'000);
  ask.set_reason("the box was damaged too");
  pay_pb::RequestRefundResponse asked2;
  REQUIRE_OK(suite.payments->RequestRefund(suite.As(alice).get(), ask, &asked2));
  const std::string request2 = asked2.refund_request().refund_request_id();
  pay_pb::MerchantServiceListRefundRequestsRequest open_request;
  open_request.add_statuses(pay_pb::REFUND_REQUEST_STATUS_REQUESTED);
  open_request.add_statuses(pay_pb::REFUND_REQUEST_STATUS_PARTIALLY_REFUNDED);
  pay_pb::MerchantServiceListRefundRequestsResponse open_list;
  REQUIRE_OK(suite.merchant->ListRefundRequests(suite.As(shop).get(), open_request, &open_list));
  REQUIRE(open_list.refund_requests_size() == 1);
  REQUIRE(open_list.refund_requests(0).refund_request_id() == request2);
  REQUIRE(open_list.refund_requests(0).amount().amount_minor() == 1'000);
  // A customer cannot reach the merchant side.
  pay_pb::MerchantServiceListRefundRequestsResponse denied_list;
  REQUIRE(suite.merchant->ListRefundRequests(suite.As(alice).get(), open_request, &denied_list)
              .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  refund.set_idempotency_key("refund-2");
  SetMoney(refund.mutable_amount(), 400);
  refund.set_reason("box partly refunded");
  refund.set_refund_request_id(request2);
  pay_pb::RefundPaymentResponse refunded2;
  REQUIRE_OK(suite.merchant->RefundPayment(suite.As(shop).get(), refund, &refunded2));
  REQUIRE(refunded2.refund().status() == pay_pb::PAYMENT_STATUS_SUCCEEDED);
  REQUIRE(refunded2.original().refunded_amount().amount_minor() == 900);
  pay_pb::RequestRefundResponse partly;
  REQUIRE_OK(suite.payments->RequestRefund(suite.As(alice).get(), ask, &partly));
  REQUIRE(partly.refund_request().status() == pay_pb::REFUND_REQUEST_STATUS_PARTIALLY_REFUNDED);
  REQUIRE(partly.refund_request().refunded_amount().amount_minor() == 400);
  pay_pb::RejectRefundRequestRequest reject;
  reject.set_refund_request_id(request2);
  reject.set_reason("the rest of the box is fine");
  pay_pb::RejectRefundRequestResponse rejected;
  // Only the merchant paid may reject it.
  REQUIRE(
      suite.merchant->RejectRefundRequest(suite.As(alice).get(), reject, &rejected).error_code() ==
      grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE_OK(suite.merchant->RejectRefundRequest(suite.As(shop).get(), reject, &rejected));
  REQUIRE(rejected.refund_request().status() == pay_pb::REFUND_REQUEST_STATUS_REJECTED);
  REQUIRE(rejected.refund_request().decided_at().seconds() > 0);
  grpc::Status twice = suite.merchant->RejectRefundRequest(suite.As(shop).get(), reject, &rejected);
  REQUIRE(twice.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(ReasonOf(grpcutil::FromGrpcStatus(twice)) == "REFUND_REQUEST_NOT_OPEN");
  pay_pb::ListRefundRequestsRequest mine_request;
  mine_request.set_page_size(1);
  pay_pb::ListRefundRequestsResponse mine;
  REQUIRE_OK(suite.payments->ListRefundRequests(suite.As(alice).get(), mine_request, &mine));
  REQUIRE(mine.refund_requests_size() == 1);
  const pay_pb::RefundRequest& newest = mine.refund_requests(0);
  REQUIRE(newest.refund_request_id() == request2);
  REQUIRE(newest.status() == pay_pb::REFUND_REQUEST_STATUS_REJECTED);
  REQUIRE(newest.decision_reason() == "the rest of the box is fine");
  REQUIRE(newest.refunded_amount().amount_minor() == 400);
  REQUIRE(newest.refund_payment_id() == refunded2.refund().payment_id());
  REQUIRE_FALSE(mine.next_page_token().empty());
  mine_request.set_page_token(mine.next_page_token());
  REQUIRE_OK(suite.payments->ListRefundRequests(suite.As(alice).get(), mine_request, &mine));
  REQUIRE(mine.refund_requests_size() == 1);
  REQUIRE(mine.refund_requests(0).refund_request_id() ==
          asked.refund_request().refund_request_id());
  REQUIRE(mine.refund_requests(0).status() == pay_pb::REFUND_REQUEST_STATUS_REFUNDED);
  // The payment's page asks for that payment's requests only: both of them, newest first; none
  // on another payment.
  pay_pb::ListRefundRequestsRequest on_payment;
  on_payment.set_payment_id(paid.payment().payment_id());
  pay_pb::ListRefundRequestsResponse on_payment_list;
  REQUIRE_OK(
      suite.payments->ListRefundRequests(suite.As(alice).get(), on_payment, &on_payment_list));
  REQUIRE(on_payment_list.refund_requests_size() == 2);
  REQUIRE(on_payment_list.refund_requests(0).refund_request_id() == request2);
  on_payment.set_payment_id(refunded2.refund().payment_id());
  REQUIRE_OK(
      suite.payments->ListRefundRequests(suite.As(alice).get(), on_payment, &on_payment_list));
  REQUIRE(on_payment_list.refund_requests_size() == 0);
  // An agent deciding a dispute about the payment reads the requests and the shop's answers with
  // it; a customer cannot use the staff call.
  pay_pb::PaymentsAdminServiceGetPaymentRequest staff_get;
  staff_get.set_payment_id(paid.payment().payment_id());
  pay_pb::PaymentsAdminServiceGetPaymentResponse staff_view;
  REQUIRE_OK(suite.payments_admin->GetPayment(suite.AsAdmin().get(), staff_get, &staff_view));
  REQUIRE(staff_view.payment().payment_id() == paid.payment().payment_id());
  REQUIRE(staff_view.refund_requests_size() == 2);
  REQUIRE(staff_view.refund_requests(0).refund_request_id() == request2);
  REQUIRE(staff_view.refund_requests(0).status() == pay_pb::REFUND_REQUEST_STATUS_REJECTED);
  REQUIRE(staff_view.refund_requests(0).reason() == "the box was damaged too");
  REQUIRE(staff_view.refund_requests(0).decision_reason() == "the rest of the box is fine");
  REQUIRE(staff_view.refund_requests(1).status() == pay_pb::REFUND_REQUEST_STATUS_REFUNDED);
  REQUIRE(suite.payments_admin->GetPayment(suite.As(alice).get(), staff_get, &staff_view)
              .error_code() == grpc::StatusCode::PERMISSION_DENIED);

  // What happened reaches Alice as transaction alerts (payments' outbox → the event stream →
  // fraud's consumer): the refund she received, the transfer that did not go through, and the
  // shop's answer with its reason and the ¥6.00 not refunded.
  auto alert_of = [&](const Person& person, fraud_pb::AlertKind kind) {
    std::optional<fraud_pb::Alert> found;
    for (int attempt = 0; attempt < 300 && !found; ++attempt) {
      fraud_pb::ListMyAlertsRequest alerts_request;
      alerts_request.set_category(fraud_pb::ALERT_CATEGORY_TRANSACTION);
      alerts_request.set_page_size(100);
      fraud_pb::ListMyAlertsResponse alerts;
      REQUIRE_OK(suite.fraud->ListMyAlerts(suite.As(person).get(), alerts_request, &alerts));
      for (const fraud_pb::Alert& alert : alerts.alerts()) {
        if (alert.kind() == kind) found = alert;
      }
      if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(found.has_value());
    return *found;
  };
  const fraud_pb::Alert refund_alert = alert_of(alice, fraud_pb::ALERT_KIND_REFUND_RECEIVED);
  CHECK(refund_alert.payment_id() == paid.payment().payment_id());
  CHECK(
      (refund_alert.amount().amount_minor() == 500 || refund_alert.amount().amount_minor() == 400));
  const fraud_pb::Alert failed_alert = alert_of(alice, fraud_pb::ALERT_KIND_PAYMENT_FAILED);
  CHECK(failed_alert.amount().amount_minor() == 90'000);
  CHECK(failed_alert.body().find("not enough money") != std::string::npos);
  const fraud_pb::Alert declined = alert_of(alice, fraud_pb::ALERT_KIND_REFUND_REQUEST_DECLINED);
  CHECK(declined.payment_id() == paid.payment().payment_id());
  CHECK(declined.amount().amount_minor() == 600);
  CHECK(declined.body().find("the rest of the box is fine") != std::string::npos);
  REQUIRE(mine.next_page_token().empty());
  // The shop's list (no filter) holds both; its open list is empty now.
  pay_pb::MerchantServiceListRefundRequestsResponse all_list;
  REQUIRE_OK(suite.merchant->ListRefundRequests(
      suite.As(shop).get(), pay_pb::MerchantServiceListRefundRequestsRequest(), &all_list));
  REQUIRE(all_list.refund_requests_size() == 2);
  REQUIRE_OK(suite.merchant->ListRefundRequests(suite.As(shop).get(), open_request, &open_list));
  REQUIRE(open_list.refund_requests_size() == 0);

  // Bob withdraws ¥100: PENDING with an arrival time, then SUCCEEDED with the ¥0.10 fee.
  pay_pb::WithdrawRequest withdraw;
  withdraw.set_idempotency_key("withdraw-1");
  withdraw.set_bank_card_id(bob_card);
  SetMoney(withdraw.mutable_amount(), 10'000);
  withdraw.set_pin(kPin);
  pay_pb::WithdrawResponse withdrawing;
  REQUIRE_OK(suite.payments->Withdraw(suite.As(bob).get(), withdraw, &withdrawing));
  REQUIRE(withdrawing.payment().status() == pay_pb::PAYMENT_STATUS_PENDING);
  REQUIRE(withdrawing.payment().arrives_by().seconds() > 0);
  REQUIRE(withdrawing.payment().fee().amount_minor() == 10);
  pay_pb::PaymentStatus final_status = pay_pb::PAYMENT_STATUS_PENDING;
  for (int attempt = 0; attempt < 300 && final_status == pay_pb::PAYMENT_STATUS_PENDING;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pay_pb::GetPaymentRequest get;
    get.set_payment_id(withdrawing.payment().payment_id());
    pay_pb::GetPaymentResponse got;
    REQUIRE_OK(suite.payments->GetPayment(suite.As(bob).get(), get, &got));
    final_status = got.payment().status();
  }
  REQUIRE(final_status == pay_pb::PAYMENT_STATUS_SUCCEEDED);

  // Both sides match to the unit.
  const int64_t alice_expected = 100'000 - 12'345 - 2'000 + 500 + 400;
  const int64_t bob_expected = 50'000 + 12'345 - 10'000 - 10;
  REQUIRE(suite.Wallet(alice.user_id, ledger_pb::ACCOUNT_KIND_USER_WALLET) == alice_expected);
  REQUIRE(suite.Wallet(bob.user_id, ledger_pb::ACCOUNT_KIND_USER_WALLET) == bob_expected);
  REQUIRE(suite.Wallet(shop.user_id, ledger_pb::ACCOUNT_KIND_MERCHANT) == 2'000 - 500 - 400);

  auto history = [&](const Person& person) {
    pay_pb::ListPaymentsRequest request;
    request.set_page_size(100);
    pay_pb::ListPaymentsResponse response;
    REQUIRE_OK(suite.payments->ListPayments(suite.As(person).get(), request, &response));
    std::map<std::string, pay_pb::Payment> by_id;
    for (const auto& p : response.payments()) by_id[p.payment_id()] = p;
    return by_id;
  };
  auto alice_history = history(alice);
  auto bob_history = history(bob);
  const std::string transfer_id = sent.payment().payment_id();
  REQUIRE(alice_history.count(transfer_id) == 1);
  REQUIRE(bob_history.count(transfer_id) == 1);
  REQUIRE(alice_history[transfer_id].amount().amount_minor() ==
          bob_history[transfer_id].amount().amount_minor());
  REQUIRE(alice_history.count(refunded.refund().payment_id()) == 1);
  int64_t alice_net = 0;
  for (const auto& [id, p] : alice_history) {
    if (p.status() == pay_pb::PAYMENT_STATUS_FAILED) continue;
    const bool in = p.payee().user_id() == alice.user_id;
    alice_net += (in ? 1 : -1) * (in ? p.amount().amount_minor() : p.total().amount_minor());
  }
  REQUIRE(alice_net == alice_expected);

  ledger_pb::GetTrialBalanceRequest trial_request;
  ledger_pb::GetTrialBalanceResponse trial;
  REQUIRE_OK(suite.ledger_admin->GetTrialBalance(suite.AsAdmin().get(), trial_request, &trial));
  bool saw_cny = false;
  for (const auto& currency : trial.currencies()) {
    INFO(currency.currency());
    REQUIRE(currency.balanced());
    saw_cny = saw_cny || currency.currency() == "CNY";
  }
  REQUIRE(saw_cny);
}

}  // namespace
}  // namespace uwallet::payments
