#include "services/ledger/grpc/services.h"

#include <exception>

#include "services/ledger/core/errors.h"
#include "services/ledger/grpc/authz.h"
#include "services/ledger/grpc/mapping.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::ledger {
namespace {

constexpr char kPublic[] = "/uwallet.ledger.v1.LedgerService/";
constexpr char kInternal[] = "/uwallet.ledger.v1.LedgerInternalService/";
constexpr char kAdmin[] = "/uwallet.ledger.v1.LedgerAdminService/";

std::string Method(const char* service, const char* name) { return absl::StrCat(service, name); }

// The sync handlers' common frame: request id, deadline/cancel check, authorisation, exceptions
// → INTERNAL without their text, absl → gRPC once.
template <typename Body>
grpc::Status Serve(const GrpcDeps& deps, grpc::ServerContext* context, const std::string& method,
                   Body&& body) {
  log::ScopedRequestId scoped(grpcutil::RequestIdOf(*context));
  if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled");
  if (context->deadline() < std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded before start");
  }
  try {
    absl::StatusOr<grpcutil::Identity> identity = Authorize(deps.signer, *context, method);
    if (!identity.ok()) return ToGrpc(identity.status());
    return ToGrpc(body(*identity));
  } catch (const std::exception& e) {
    log::Error("handler threw", {{"error", e.what()}});
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

absl::Status CheckStart(grpc::CallbackServerContext* context) {
  if (context->IsCancelled()) return absl::CancelledError("call cancelled");
  if (context->deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("deadline exceeded before start");
  }
  return absl::OkStatus();
}

void FillAccount(const AccountState& state, v1::Account* account, v1::Balance* balance) {
  ToProto(state.account, account);
  ToProto(state, balance);
}

}  // namespace

// ---- LedgerService: the caller's own accounts ----

grpc::Status LedgerPublicGrpc::GetBalances(grpc::ServerContext* context,
                                           const v1::GetBalancesRequest* request,
                                           v1::GetBalancesResponse* response) {
  return Serve(deps_, context, Method(kPublic, "GetBalances"),
               [&](const grpcutil::Identity& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts,
                                     deps_.queries.Balances(caller.user_id, request->currency()));
                 for (const AccountState& state : accounts) {
                   ToProto(state, response->add_balances());
                 }
                 return absl::OkStatus();
               });
}

grpc::Status LedgerPublicGrpc::ListTransactions(grpc::ServerContext* context,
                                                const v1::ListTransactionsRequest* request,
                                                v1::ListTransactionsResponse* response) {
  return Serve(deps_, context, Method(kPublic, "ListTransactions"),
               [&](const grpcutil::Identity& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(HistoryFilter filter, FilterFromProto(request->filter()));
                 UW_ASSIGN_OR_RETURN(
                     HistoryPage page,
                     deps_.queries.ListTransactions(caller.user_id, filter, request->page_size(),
                                                    request->page_token()));
                 for (const HistoryItem& item : page.items) {
                   ToProto(item, response->add_transactions());
                 }
                 response->set_next_page_token(page.next_page_token);
                 return absl::OkStatus();
               });
}

grpc::Status LedgerPublicGrpc::GetTransaction(grpc::ServerContext* context,
                                              const v1::GetTransactionRequest* request,
                                              v1::GetTransactionResponse* response) {
  return Serve(deps_, context, Method(kPublic, "GetTransaction"),
               [&](const grpcutil::Identity& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(
                     HistoryItem item,
                     deps_.queries.GetTransaction(caller.user_id, request->transaction_id()));
                 ToProto(item, response->mutable_transaction());
                 return absl::OkStatus();
               });
}

grpc::Status LedgerPublicGrpc::GetSpendingSummary(grpc::ServerContext* context,
                                                  const v1::GetSpendingSummaryRequest* request,
                                                  v1::GetSpendingSummaryResponse* response) {
  return Serve(deps_, context, Method(kPublic, "GetSpendingSummary"),
               [&](const grpcutil::Identity& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(
                     SpendingSummary summary,
                     deps_.queries.GetSpendingSummary(caller.user_id, request->month(),
                                                      request->currency(), request->time_zone()));
                 ToProto(summary, response);
                 return absl::OkStatus();
               });
}

// ---- LedgerAdminService: staff, read-only ----

grpc::Status LedgerAdminGrpc::GetTrialBalance(grpc::ServerContext* context,
                                              const v1::GetTrialBalanceRequest* /*request*/,
                                              v1::GetTrialBalanceResponse* response) {
  return Serve(deps_, context, Method(kAdmin, "GetTrialBalance"),
               [&](const grpcutil::Identity&) -> absl::Status {
                 const absl::Time now = deps_.clock.Now();
                 UW_ASSIGN_OR_RETURN(std::vector<TrialBalanceLine> lines,
                                     deps_.queries.TrialBalance());
                 for (const TrialBalanceLine& line : lines) {
                   ToProto(line, response->add_currencies());
                 }
                 SetTimestamp(now, response->mutable_computed_at());
                 return absl::OkStatus();
               });
}

grpc::Status LedgerAdminGrpc::GetAccountStatement(grpc::ServerContext* context,
                                                  const v1::GetAccountStatementRequest* request,
                                                  v1::GetAccountStatementResponse* response) {
  return Serve(
      deps_, context, Method(kAdmin, "GetAccountStatement"),
      [&](const grpcutil::Identity& caller) -> absl::Status {
        UW_ASSIGN_OR_RETURN(auto range, RangeFromProto(request->time_range()));
        UW_ASSIGN_OR_RETURN(
            Statement statement,
            deps_.queries.AccountStatement(request->account_id(), range.first, range.second,
                                           request->page_size(), request->page_token()));
        log::Info("account statement read",
                  {{"account_id", request->account_id()}, {"staff_user_id", caller.user_id}});
        const std::string& currency = statement.account.account.currency;
        ToProto(statement.account.account, response->mutable_account());
        SetMoney(statement.page.opening_balance, currency, response->mutable_opening_balance());
        SetMoney(statement.page.closing_balance, currency, response->mutable_closing_balance());
        for (const StatementLine& line : statement.page.lines) {
          auto* entry = response->add_entries();
          ToProto(line.transfer, entry->mutable_transfer());
          entry->set_direction(static_cast<v1::Direction>(line.direction));
          SetMoney(line.balance_after, currency, entry->mutable_balance_after());
        }
        response->set_next_page_token(statement.next_page_token);
        return absl::OkStatus();
      });
}

// ---- LedgerInternalService: other services; postings through the batching writer ----

grpc::ServerUnaryReactor* LedgerInternalGrpc::Blocking(grpc::CallbackServerContext* context,
                                                       const char* method,
                                                       std::function<absl::Status()> body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::string full_method = Method(kInternal, method);
  const std::string request_id = grpcutil::RequestIdOf(*context);
  const bool queued = workers_.TrySubmit(
      [this, context, reactor, full_method, request_id, body = std::move(body)]() {
        log::ScopedRequestId scoped(request_id);
        absl::Status status = CheckStart(context);
        if (status.ok()) status = Authorize(deps_.signer, *context, full_method).status();
        if (status.ok()) {
          try {
            status = body();
          } catch (const std::exception& e) {
            log::Error("handler threw", {{"error", e.what()}});
            status = absl::InternalError("internal error");
          }
        }
        reactor->Finish(ToGrpc(status));
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "ledger busy; retry"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::Posting(
    grpc::CallbackServerContext* context, const char* method,
    std::function<absl::StatusOr<Operation>(std::string caller)> make_operation,
    std::function<void(const OperationResult&)> fill) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = CheckStart(context);
  absl::StatusOr<grpcutil::Identity> identity =
      status.ok() ? Authorize(deps_.signer, *context, Method(kInternal, method))
                  : absl::StatusOr<grpcutil::Identity>(status);
  if (!identity.ok()) {
    reactor->Finish(ToGrpc(identity.status()));
    return reactor;
  }
  absl::StatusOr<Operation> operation = make_operation(ServiceName(*identity));
  if (!operation.ok()) {
    reactor->Finish(ToGrpc(operation.status()));
    return reactor;
  }
  deps_.writer.Submit(*std::move(operation),
                      [reactor, fill = std::move(fill)](OperationResult result) {
                        if (!result.status.ok()) {
                          reactor->Finish(ToGrpc(result.status));
                          return;
                        }
                        fill(result);
                        reactor->Finish(grpc::Status::OK);
                      });
  return reactor;
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::PostTransfers(grpc::CallbackServerContext* context,
                                                            const v1::PostTransfersRequest* request,
                                                            v1::PostTransfersResponse* response) {
  return Posting(
      context, "PostTransfers",
      [request](std::string caller) -> absl::StatusOr<Operation> {
        if (request->transfers_size() > kBatchTransfersMax) {
          return InvalidField(absl::StrCat("transfers: at most ", kBatchTransfersMax));
        }
        Operation op{.type = OperationType::kPostTransfers,
                     .caller = std::move(caller),
                     .idempotency_key = request->idempotency_key(),
                     .linked = request->linked()};
        for (const auto& spec : request->transfers()) op.transfers.push_back(SpecFromProto(spec));
        return op;
      },
      [response](const OperationResult& result) {
        for (const TransferOutcome& outcome : result.outcomes) {
          auto* line = response->add_results();
          if (outcome.transfer) {
            ToProto(*outcome.transfer, line->mutable_transfer());
          } else {
            ToErrorDetail(outcome.error, line->mutable_error());
          }
        }
        response->set_batch_id(result.batch_id);
        response->set_replayed(result.replayed);
      });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::CreateHold(grpc::CallbackServerContext* context,
                                                         const v1::CreateHoldRequest* request,
                                                         v1::CreateHoldResponse* response) {
  return Posting(
      context, "CreateHold",
      [request](std::string caller) -> absl::StatusOr<Operation> {
        Operation op{.type = OperationType::kCreateHold,
                     .caller = std::move(caller),
                     .idempotency_key = request->idempotency_key(),
                     .hold = {.debit_account_id = request->debit_account_id(),
                              .credit_account_id = request->credit_account_id(),
                              .amount_minor = request->amount().amount_minor(),
                              .currency = request->amount().currency(),
                              .kind = static_cast<TransferKind>(request->kind()),
                              .description = request->description()},
                     .ttl_s = request->ttl_s()};
        for (const auto& [key, value] : request->metadata()) op.hold.metadata[key] = value;
        return op;
      },
      [response](const OperationResult& result) {
        if (result.hold) ToProto(*result.hold, response->mutable_hold());
        response->set_replayed(result.replayed);
      });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::PostHold(grpc::CallbackServerContext* context,
                                                       const v1::PostHoldRequest* request,
                                                       v1::PostHoldResponse* response) {
  return Posting(
      context, "PostHold",
      [request](std::string caller) -> absl::StatusOr<Operation> {
        if (request->linked_transfers_size() > kHoldLinkedTransfersMax) {
          return InvalidField(absl::StrCat("linked_transfers: at most ", kHoldLinkedTransfersMax));
        }
        Operation op{.type = OperationType::kPostHold,
                     .caller = std::move(caller),
                     .idempotency_key = request->idempotency_key(),
                     .hold_id = request->hold_id()};
        for (const auto& spec : request->linked_transfers()) {
          op.transfers.push_back(SpecFromProto(spec));
        }
        if (request->has_amount()) {
          op.post_amount_minor = request->amount().amount_minor();
          op.post_currency = request->amount().currency();
        }
        return op;
      },
      [response](const OperationResult& result) {
        if (result.hold) ToProto(*result.hold, response->mutable_hold());
        for (size_t i = 0; i < result.outcomes.size(); ++i) {
          if (!result.outcomes[i].transfer) continue;
          ToProto(*result.outcomes[i].transfer,
                  i == 0 ? response->mutable_transfer() : response->add_linked_transfers());
        }
        response->set_replayed(result.replayed);
      });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::VoidHold(grpc::CallbackServerContext* context,
                                                       const v1::VoidHoldRequest* request,
                                                       v1::VoidHoldResponse* response) {
  return Posting(
      context, "VoidHold",
      [request](std::string caller) -> absl::StatusOr<Operation> {
        return Operation{.type = OperationType::kVoidHold,
                         .caller = std::move(caller),
                         .idempotency_key = request->idempotency_key(),
                         .hold_id = request->hold_id(),
                         .void_reason = request->reason()};
      },
      [response](const OperationResult& result) {
        if (result.hold) ToProto(*result.hold, response->mutable_hold());
        response->set_replayed(result.replayed);
      });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::OpenAccount(grpc::CallbackServerContext* context,
                                                          const v1::OpenAccountRequest* request,
                                                          v1::OpenAccountResponse* response) {
  return Blocking(context, "OpenAccount", [this, request, response]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto opened,
                        deps_.queries.OpenAccount(
                            request->owner_id(), static_cast<OwnerKind>(request->owner_kind()),
                            static_cast<AccountKind>(request->kind()), request->currency()));
    ToProto(opened.first.account, response->mutable_account());
    response->set_created(opened.second);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::GetAccount(grpc::CallbackServerContext* context,
                                                         const v1::GetAccountRequest* request,
                                                         v1::GetAccountResponse* response) {
  return Blocking(context, "GetAccount", [this, request, response]() -> absl::Status {
    absl::StatusOr<AccountState> state;
    switch (request->selector_case()) {
      case v1::GetAccountRequest::kAccountId:
        state = deps_.queries.GetAccount(request->account_id());
        break;
      case v1::GetAccountRequest::kKey:
        state = deps_.queries.GetAccountByKey(request->key().owner_id(),
                                              static_cast<AccountKind>(request->key().kind()),
                                              request->key().currency());
        break;
      default:
        return InvalidField("account_id or key is required");
    }
    UW_RETURN_IF_ERROR(state.status());
    FillAccount(*state, response->mutable_account(), response->mutable_balance());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::ListAccounts(grpc::CallbackServerContext* context,
                                                           const v1::ListAccountsRequest* request,
                                                           v1::ListAccountsResponse* response) {
  return Blocking(context, "ListAccounts", [this, request, response]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts,
                        deps_.queries.ListAccounts(request->owner_id()));
    for (const AccountState& state : accounts) {
      auto* line = response->add_accounts();
      FillAccount(state, line->mutable_account(), line->mutable_balance());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::ListHolds(grpc::CallbackServerContext* context,
                                                        const v1::ListHoldsRequest* request,
                                                        v1::ListHoldsResponse* response) {
  return Blocking(context, "ListHolds", [this, request, response]() -> absl::Status {
    HoldQuery query{.owner_id = request->owner_id(), .account_id = request->account_id()};
    for (int state : request->states()) query.states.push_back(static_cast<HoldState>(state));
    UW_ASSIGN_OR_RETURN(
        HoldPage page, deps_.queries.ListHolds(query, request->page_size(), request->page_token()));
    for (const Hold& hold : page.holds) ToProto(hold, response->add_holds());
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::FreezeAccount(grpc::CallbackServerContext* context,
                                                            const v1::FreezeAccountRequest* request,
                                                            v1::FreezeAccountResponse* response) {
  return Blocking(context, "FreezeAccount", [this, request, response]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts,
                        deps_.queries.SetFrozen(
                            {.account_id = request->account_id(), .owner_id = request->owner_id()},
                            true, request->reason(), request->reference()));
    for (const AccountState& state : accounts) ToProto(state.account, response->add_accounts());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LedgerInternalGrpc::UnfreezeAccount(
    grpc::CallbackServerContext* context, const v1::UnfreezeAccountRequest* request,
    v1::UnfreezeAccountResponse* response) {
  return Blocking(context, "UnfreezeAccount", [this, request, response]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::vector<AccountState> accounts,
                        deps_.queries.SetFrozen(
                            {.account_id = request->account_id(), .owner_id = request->owner_id()},
                            false, request->reason(), request->reference()));
    for (const AccountState& state : accounts) ToProto(state.account, response->add_accounts());
    return absl::OkStatus();
  });
}

}  // namespace uwallet::ledger
