// Bank cards (list / add / remove) and a transaction's detail page, from which its payment can be
// disputed with evidence (images or PDFs uploaded as attachment bytes) and, for a merchant
// payment, refunded on request (pages/refunds.ts).
import { h, select, statusLine, textarea } from "../dom";
import { t, tk } from "../i18n";
import { api, idempotencyKey, session } from "../api";
import { go } from "../router";
import { showError, title, card, enumName } from "../ui";
import { isTransient } from "../errors";
import { addCardForm, money, ts } from "./wallet";
import { CardBrandSchema, PaymentKind, PaymentStatusSchema, type BankCard } from "../gen/uwallet/payments/v1/payments_pb";
import { refundRequestCard, refundable } from "./refunds";
import { Direction, TransferKindSchema } from "../gen/uwallet/ledger/v1/ledger_pb";
import { DisputeReasonSchema } from "../gen/uwallet/support/v1/support_pb";

export function cardLabel(c: BankCard): string {
  const brand = enumName(CardBrandSchema, c.brand, "CARD_BRAND_");
  return `${c.bankName || (brand === "UNSPECIFIED" || brand === "OTHER" ? "" : brand)} •••• ${c.last4}`.trim();
}

export async function cardsPage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  status.setAttribute("data-testid", "cards-status");
  const list = h("ul", { class: "list", "data-testid": "cards" });
  root.append(title(t("cards")), card(list, status), card(addCardForm(() => void load())));
  const load = async () => {
    try {
      const { cards } = await api.payments.listBankCards({});
      list.replaceChildren(...cards.map((c) => cardItem(c, status, load)));
      if (!cards.length) list.append(h("li", { class: "muted" }, t("noCards")));
    } catch (e) {
      showError(status, e);
    }
  };
  await load();
}

// One card with a two-step remove (ask, then confirm), so a stray click removes nothing.
function cardItem(c: BankCard, status: ReturnType<typeof statusLine>, reload: () => Promise<void>): HTMLElement {
  const label = cardLabel(c);
  const li = h("li", { class: "bank-card", "data-card-id": c.cardId });
  const show = () => {
    const remove = h("button", { type: "button", class: "secondary", "data-testid": "remove-card", "aria-label": `${t("removeCard")} ${label}` }, t("removeCard"));
    remove.addEventListener("click", () => ask());
    li.replaceChildren(h("strong", null, label), " ",
      h("small", { class: "muted" }, `${c.holderName} · ${t("expires")} ${String(c.expiryMonth).padStart(2, "0")}/${c.expiryYear}`), " ", remove);
  };
  const ask = () => {
    const yes = h("button", { type: "button", class: "danger", "data-testid": "confirm-remove-card" }, t("yesRemove"));
    const no = h("button", { type: "button", class: "secondary" }, t("cancel"));
    no.addEventListener("click", show);
    yes.addEventListener("click", async () => {
      try {
        await api.payments.removeBankCard({ cardId: c.cardId });
        status.ok(t("cardRemoved"));
        await reload();
      } catch (e) {
        showError(status, e);
      }
    });
    li.replaceChildren(h("p", { role: "alert" }, t("confirmRemoveCard", { card: label })), h("div", { class: "row" }, yes, no));
    yes.focus();
  };
  show();
  return li;
}

const MAX_FILE = 5 * 1024 * 1024;

export async function txPage(root: HTMLElement, _q: URLSearchParams, path: string[]): Promise<void> {
  const id = path[0] ?? "";
  const status = statusLine();
  root.append(title(t("txDetail")));
  const body = h("div", { "data-testid": "tx-detail" });
  root.append(body, status);
  try {
    const { transaction: tx } = await api.ledger.getTransaction({ transactionId: id });
    if (!tx) throw new Error("no transaction");
    const out = tx.direction === Direction.OUT;
    const kind = enumName(TransferKindSchema, tx.kind, "TRANSFER_KIND_");
    const facts = card(h("dl", { class: "summary" },
      h("dt", null, t("amount")), h("dd", { "data-testid": "tx-amount" }, `${out ? "−" : "+"}${money(tx.amount)}`),
      h("dt", null, t("status")), h("dd", null, tk(`kind_${kind}`, "kind_UNSPECIFIED")),
      tx.counterparty?.displayName ? [h("dt", null, t("payeeName")), h("dd", null, tx.counterparty.displayName)] : null,
      tx.description ? [h("dt", null, t("note")), h("dd", null, tx.description)] : null,
      h("dt", null, t("createdAt")), h("dd", null, ts(tx.createdAt)),
      h("dt", null, t("txId")), h("dd", null, h("code", null, tx.transactionId))));
    body.append(facts);
    if (!tx.paymentId) {
      body.append(card(h("p", { class: "muted" }, t("noDispute"))));
      return;
    }
    try {
      const { payment } = await api.payments.getPayment({ paymentId: tx.paymentId });
      if (payment?.statusHistory.length) {
        body.append(card(h("h2", null, t("paymentTrail")), h("ol", { class: "list" }, ...payment.statusHistory.map((c) =>
          h("li", null, enumName(PaymentStatusSchema, c.status, "PAYMENT_STATUS_"), c.note ? ` · ${c.note}` : "", " ", h("small", { class: "muted" }, ts(c.changedAt)))))));
      }
      // A merchant payment the customer made: ask the merchant for money back before disputing.
      const me = session()?.userId ?? "";
      if (payment && payment.kind === PaymentKind.MERCHANT && payment.payer?.userId === me) {
        body.append(refundRequestCard(payment, refundable(payment, me)));
      }
    } catch {
      // the trail is extra; the dispute form still works
    }
    body.append(card(disputeForm(tx.paymentId)));
  } catch (e) {
    showError(status, e);
  }
}

function disputeForm(paymentId: string): HTMLElement {
  const status = statusLine();
  status.setAttribute("data-testid", "dispute-status");
  const reason = select(t("disputeReason"), "disputeReason", DisputeReasonSchema.values.filter((v) => v.number !== 0)
    .map((v) => [String(v.number), tk(`dr_${v.name.replace("DISPUTE_REASON_", "")}`, "none")]));
  const desc = textarea(t("disputeDescription"), "disputeDescription", { required: true, maxlength: 2000 });
  const fileId = "f-evidence";
  const files = h("input", { id: fileId, name: "evidence", type: "file", accept: "image/*,application/pdf", multiple: true, "aria-describedby": `${fileId}-hint` });
  const form = h("form", { class: "form", "data-testid": "dispute-form" }, h("h2", null, t("dispute")), reason.wrap, desc.wrap,
    h("div", { class: "field" }, h("label", { for: fileId }, t("evidence")), files, h("small", { class: "hint", id: `${fileId}-hint` }, t("evidenceHint"))),
    h("button", { type: "submit" }, t("openDispute")), status);
  let key = idempotencyKey();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const evidence: Array<{ fileName: string; content: Uint8Array }> = [];
    for (const f of Array.from(files.files ?? [])) {
      if (f.size > MAX_FILE) return status.err(t("fileTooLarge", { name: f.name }));
      evidence.push({ fileName: f.name, content: new Uint8Array(await f.arrayBuffer()) });
    }
    try {
      const res = await api.support.openDispute({ idempotencyKey: key, paymentId, reason: Number(reason.input.value), description: desc.input.value.trim(), evidence });
      key = idempotencyKey();
      go(`/ticket/${encodeURIComponent(res.ticket?.ticketId ?? "")}`);
    } catch (e) {
      if (!isTransient(e)) key = idempotencyKey();
      showError(status, e);
    }
  });
  return form;
}
