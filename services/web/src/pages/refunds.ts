// Refund requests, both sides: a customer asks the merchant for money back from a payment's page
// (and sees the answer there), and a merchant answers the open requests on #/refunds: refund all
// or part of what is asked, or decline with a reason the customer is told.
import { field, h, statusLine, textarea } from "../dom";
import { lang, t, tk } from "../i18n";
import { api, idempotencyKey } from "../api";
import { showError, title, card, enumName } from "../ui";
import { isTransient } from "../errors";
import { formatMoney, minorToDecimal, parseAmount } from "../money";
import { CURRENCY, money, ts } from "./wallet";
import {
  PaymentKind, PaymentStatus, RefundRequestStatus, RefundRequestStatusSchema,
  type Payment, type RefundRequest,
} from "../gen/uwallet/payments/v1/payments_pb";

const REASON_MAX = 500;

function statusText(r: RefundRequest): string {
  return tk(`rr_${enumName(RefundRequestStatusSchema, r.status, "REFUND_REQUEST_STATUS_")}`, "rr_UNSPECIFIED");
}

// What is still asked and not refunded, in minor units.
function remaining(r: RefundRequest): bigint {
  return (r.amount?.amountMinor ?? 0n) - (r.refundedAmount?.amountMinor ?? 0n);
}

// One request as a customer or a merchant reads it: amount, state, refunded so far, both reasons.
function requestFacts(r: RefundRequest): HTMLElement {
  return h("dl", { class: "summary" },
    h("dt", null, t("amount")), h("dd", null, money(r.amount)),
    h("dt", null, t("status")), h("dd", { "data-testid": "refund-request-status" }, statusText(r)),
    (r.refundedAmount?.amountMinor ?? 0n) > 0n ? [h("dt", null, t("refunded")), h("dd", null, money(r.refundedAmount))] : null,
    h("dt", null, t("refundReason")), h("dd", null, r.reason),
    r.decisionReason ? [h("dt", null, t("merchantAnswer")), h("dd", { "data-testid": "refund-request-answer" }, r.decisionReason)] : null,
    h("dt", null, t("createdAt")), h("dd", null, ts(r.createdAt)));
}

// Requests as list items (newest first, as the server sends them), or a line saying there are none.
export function fillRequestList(list: HTMLElement, requests: RefundRequest[]): void {
  list.replaceChildren(...requests.map((r) => h("li", { class: "refund-request" }, requestFacts(r))));
  if (!requests.length) list.append(h("li", { class: "muted" }, t("noRefundRequests")));
}

// Whether the signed-in payer may ask for a refund of this payment (merchant payments only, as
// payments accepts them; a transfer goes through a dispute).
export function refundable(p: Payment, userId: string): boolean {
  return p.kind === PaymentKind.MERCHANT && p.status === PaymentStatus.SUCCEEDED && p.payer?.userId === userId &&
    (p.refundedAmount?.amountMinor ?? 0n) < (p.amount?.amountMinor ?? 0n);
}

// The customer's side, on the transaction's page: their requests for this payment and a form to ask.
export function refundRequestCard(p: Payment, canAsk: boolean): HTMLElement {
  const list = h("ul", { class: "list", "data-testid": "refund-requests" });
  const status = statusLine();
  status.setAttribute("data-testid", "refund-request-form-status");
  const load = async () => {
    try {
      // This payment's requests (the server filters; a payment rarely has more than a few).
      const { refundRequests } = await api.payments.listRefundRequests({ paymentId: p.paymentId, pageSize: 100 });
      fillRequestList(list, refundRequests);
    } catch (e) {
      showError(status, e);
    }
  };
  const box = card(h("h2", null, t("refundRequests")), list);
  if (canAsk) {
    const left = (p.amount?.amountMinor ?? 0n) - (p.refundedAmount?.amountMinor ?? 0n);
    const currency = p.amount?.currency || CURRENCY;
    const amount = field(t("amount"), { name: "refundRequestAmount", type: "text", inputmode: "decimal" },
      t("refundAmountHint", { max: formatMoney(left, currency, lang()) }));
    const reason = textarea(t("refundReason"), "refundRequestReason", { required: true, maxlength: REASON_MAX });
    const form = h("form", { class: "form", "data-testid": "refund-request-form" }, h("h3", null, t("askRefund")),
      amount.wrap, reason.wrap, h("button", { type: "submit" }, t("sendRefundRequest")), status);
    let key = idempotencyKey();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = amount.input.value.trim();
      const minor = text ? parseAmount(text, currency) : null;
      if (text && (minor === null || minor <= 0n)) return status.err(t("amountInvalid"));
      try {
        await api.payments.requestRefund({
          idempotencyKey: key, paymentId: p.paymentId, reason: reason.input.value.trim(),
          amount: minor === null ? undefined : { amountMinor: minor, currency },
        });
        key = idempotencyKey();
        form.reset();
        status.ok(t("refundRequestSent"));
        await load();
      } catch (e) {
        if (!isTransient(e)) key = idempotencyKey();
        showError(status, e);
      }
    });
    box.append(form);
  } else {
    box.append(status);
  }
  void load();
  return box;
}

// The merchant's side: the requests still to answer, each with "refund" and "decline", and the
// latest decided ones below.
export async function merchantRefundsPage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  status.setAttribute("data-testid", "merchant-refunds-status");
  const open = h("ul", { class: "list", "data-testid": "open-refund-requests" });
  const decided = h("ul", { class: "list", "data-testid": "decided-refund-requests" });
  root.append(title(t("refundRequests")), card(h("h2", null, t("toAnswer")), open, status),
    card(h("h2", null, t("answered")), decided));
  const load = async () => {
    try {
      const [todo, done] = await Promise.all([
        api.merchant.listRefundRequests({
          statuses: [RefundRequestStatus.REQUESTED, RefundRequestStatus.PARTIALLY_REFUNDED], pageSize: 100,
        }),
        api.merchant.listRefundRequests({ statuses: [RefundRequestStatus.REFUNDED, RefundRequestStatus.REJECTED], pageSize: 20 }),
      ]);
      open.replaceChildren(...todo.refundRequests.map((r) => answerItem(r, status, load)));
      if (!todo.refundRequests.length) open.append(h("li", { class: "muted" }, t("noRefundRequests")));
      decided.replaceChildren(...done.refundRequests.map((r) => h("li", { class: "refund-request" }, requestFacts(r))));
      if (!done.refundRequests.length) decided.append(h("li", { class: "muted" }, t("noRefundRequests")));
    } catch (e) {
      showError(status, e);
    }
  };
  await load();
}

// One open request with its two answers. Refund: the amount defaults to what is still asked.
function answerItem(r: RefundRequest, status: ReturnType<typeof statusLine>, reload: () => Promise<void>): HTMLElement {
  const currency = r.amount?.currency || CURRENCY;
  const amount = field(t("refundAmountLabel"), {
    name: "answerAmount", type: "text", inputmode: "decimal", value: minorToDecimal(remaining(r), currency),
  });
  const refund = h("button", { type: "submit", "data-testid": "refund-request-refund" }, t("refundNow"));
  const refundForm = h("form", { class: "form" }, amount.wrap, refund);
  const why = textarea(t("declineReason"), "declineReason", { required: true, maxlength: REASON_MAX });
  const declineForm = h("form", { class: "form" }, why.wrap,
    h("button", { type: "submit", class: "secondary", "data-testid": "refund-request-decline" }, t("declineRest")));
  let key = idempotencyKey();
  refundForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const minor = parseAmount(amount.input.value.trim(), currency);
    if (minor === null || minor <= 0n) return status.err(t("amountInvalid"));
    try {
      await api.merchant.refundPayment({
        idempotencyKey: key, paymentId: r.paymentId, refundRequestId: r.refundRequestId,
        amount: { amountMinor: minor, currency }, reason: r.reason.slice(0, REASON_MAX),
      });
      key = idempotencyKey();
      status.ok(t("refundSent", { amount: formatMoney(minor, currency, lang()) }));
      await reload();
    } catch (e) {
      if (!isTransient(e)) key = idempotencyKey();
      showError(status, e);
    }
  });
  declineForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api.merchant.rejectRefundRequest({ refundRequestId: r.refundRequestId, reason: why.input.value.trim() });
      status.ok(t("refundRequestDeclined"));
      await reload();
    } catch (e) {
      showError(status, e);
    }
  });
  return h("li", { class: "refund-request", "data-refund-request-id": r.refundRequestId },
    requestFacts(r), h("p", { class: "muted" }, `${t("payment")}: `, h("code", null, r.paymentId)), refundForm, declineForm);
}
