// The customer's wallet: home, top up, transfer (fee quote + masked payee before confirming),
// history, security alerts (live), sessions and devices.
import { timestampDate, timestampNow } from "@bufbuild/protobuf/wkt";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { h, field, select, statusLine, clear, textarea } from "../dom";
import { t, tk, lang, formatTime, type Key } from "../i18n";
import { api, idempotencyKey, saveSession, session } from "../api";
import { go, link } from "../router";
import { showError, title, card, enumName } from "../ui";
import { isTransient, reasonName } from "../errors";
import { stepUpPrompt } from "./stepup";
import { alertText } from "../alert_text";
import { StepUpAction } from "../gen/uwallet/auth/v1/auth_pb";
import { formatMoney, parseAmount } from "../money";
import type { Money } from "../gen/uwallet/common/v1/common_pb";
import { Direction, TransferKindSchema, type Transaction } from "../gen/uwallet/ledger/v1/ledger_pb";
import { PaymentKind, PaymentStatus, PaymentStatusSchema, type BankCard } from "../gen/uwallet/payments/v1/payments_pb";
import { TicketCategorySchema, TicketStatus, TicketStatusSchema, type Ticket } from "../gen/uwallet/support/v1/support_pb";
import { AlertCategory, AlertSeverity, type Alert } from "../gen/uwallet/fraud/v1/fraud_pb";

export const CURRENCY = "CNY";

export function money(m: Money | undefined): string {
  return formatMoney(m?.amountMinor ?? 0n, m?.currency || CURRENCY, lang());
}

export function ts(x: Timestamp | undefined): string {
  return x ? formatTime(timestampDate(x)) : "";
}

export function txRow(tx: Transaction): HTMLElement {
  const kind = enumName(TransferKindSchema, tx.kind, "TRANSFER_KIND_");
  const out = tx.direction === Direction.OUT;
  const amount = money(tx.amount);
  return h("li", { class: "tx" },
    h("span", { class: "tx-main" }, link(`/tx/${encodeURIComponent(tx.transactionId)}`, tk(`kind_${kind}`, "kind_UNSPECIFIED"), { class: "tx-kind" }),
      tx.counterparty?.displayName ? h("span", { class: "muted" }, ` · ${tx.counterparty.displayName}`) : null,
      tx.description ? h("span", { class: "muted" }, ` · ${tx.description}`) : null),
    h("span", { class: `tx-amount ${out ? "out" : "in"}` }, `${out ? "−" : "+"}${amount}`),
    h("small", { class: "muted tx-time" }, ts(tx.createdAt)));
}

// The SLA badge of an open ticket for staff: breached (red), or which target is next and when
// (first reply before the first response, then resolution), amber when due within the hour.
export function slaBadge(tk_: Ticket): HTMLElement | null {
  const open = tk_.status !== TicketStatus.RESOLVED && tk_.status !== TicketStatus.CLOSED;
  if (tk_.slaBreached) return h("span", { class: "badge danger", "data-testid": "sla" }, t("slaBreached"));
  const first = !tk_.firstRespondedAt;
  const due = first ? tk_.firstResponseDueAt : tk_.resolutionDueAt;
  if (!open || !due || tk_.status === TicketStatus.PENDING_CUSTOMER) return null;
  const left = timestampDate(due).getTime() - Date.now();
  if (left < 0) return h("span", { class: "badge danger", "data-testid": "sla" }, t("slaBreached"));
  return h("span", { class: `badge${left < 3600_000 ? " warn" : ""}`, "data-testid": "sla" }, t(first ? "firstReplyDue" : "resolveDue", { time: ts(due) }));
}

// A ticket in a list; for staff with its category and SLA badge.
export function ticketRow(tk_: Ticket, href: string, staff = false): HTMLElement {
  const st = enumName(TicketStatusSchema, tk_.status, "TICKET_STATUS_");
  return h("li", { class: "ticket" }, link(href, tk_.subject || tk_.ticketId),
    h("span", { class: `badge st-${st.toLowerCase()}` }, tk(`ticketStatus_${st}`, "ticketStatus_UNSPECIFIED")),
    staff ? slaBadge(tk_) : tk_.slaBreached ? h("span", { class: "badge danger" }, t("slaBreached")) : null,
    staff ? h("small", { class: "muted" }, tk(`cat_${enumName(TicketCategorySchema, tk_.category, "TICKET_CATEGORY_")}`, "cat_OTHER")) : null,
    h("small", { class: "muted" }, ts(tk_.updatedAt)));
}

function alertItem(a: Alert, onAck?: () => void): HTMLElement {
  const sev = a.severity === AlertSeverity.CRITICAL ? "critical" : a.severity === AlertSeverity.WARNING ? "warning" : "info";
  const ack = onAck && !a.acknowledgedAt ? h("button", { type: "button", class: "link-button", onclick: onAck }, t("acknowledge")) : null;
  const { title: heading, body } = alertText(a);
  return h("li", { class: `alert ${sev}` }, h("strong", null, heading), body ? h("p", null, body) : null,
    a.amount ? h("span", null, money(a.amount), " ") : null, h("small", { class: "muted" }, ts(a.createdAt)), ack);
}

function unavailable(part: string): HTMLElement {
  const key = `part_${part}` as Key;
  return h("p", { class: "status warn", role: "status", "data-testid": `unavailable-${part}` }, t("unavailablePart", { part: tk(key, "none") }));
}

export async function homePage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  root.append(title(t("home")), status);
  status.info(t("loading"));
  try {
    const home = await api.gateway.getHome({ recentTransactionsLimit: 5 });
    status.reset();
    const missing = new Set(home.unavailableParts.map((p) => p.part));
    const name = home.profile?.displayName || session()?.displayName || "";
    const balances = home.balances.length ? home.balances : [];
    root.querySelector("h1")!.textContent = name ? t("welcome", { name }) : t("home");
    const bal = card(h("h2", null, t("balance")),
      missing.has("balances") ? unavailable("balances")
        : balances.length === 0 ? h("p", { class: "big", "data-testid": "balance" }, formatMoney(0n, CURRENCY, lang()))
        : h("div", null, ...balances.map((b) => h("div", { class: "balance" },
            h("p", { class: "big", "data-testid": "balance" }, money(b.available)),
            h("p", { class: "muted" }, `${t("balance")}: ${money(b.posted)}`,
              (b.pendingDebits?.amountMinor ?? 0n) !== 0n ? ` · ${t("pending")}: −${money(b.pendingDebits)}` : "",
              b.frozen ? ` · ${t("frozen")}` : "")))),
      h("div", { class: "row" }, link("/topup", t("topUp"), { class: "button" }), link("/transfer", t("transfer"), { class: "button" })));
    const recent = card(h("h2", null, t("recent")),
      missing.has("recent_transactions") ? unavailable("recent_transactions")
        : home.recentTransactions.length ? h("ul", { class: "list" }, ...home.recentTransactions.map(txRow)) : h("p", { class: "muted" }, t("noTransactions")),
      link("/history", t("history")));
    const alerts = card(h("h2", null, t("unreadAlerts"), home.unreadAlertCount ? h("span", { class: "badge danger" }, String(home.unreadAlertCount)) : null),
      missing.has("unread_alerts") ? unavailable("unread_alerts")
        : home.unreadAlerts.length ? h("ul", { class: "list" }, ...home.unreadAlerts.map((a) => alertItem(a))) : h("p", { class: "muted" }, t("noAlerts")),
      link("/alerts", t("alerts")));
    const tickets = card(h("h2", null, t("openTickets")),
      missing.has("open_tickets") ? unavailable("open_tickets")
        : home.openTickets.length ? h("ul", { class: "list" }, ...home.openTickets.map((x) => ticketRow(x, `/ticket/${x.ticketId}`))) : h("p", { class: "muted" }, t("noTickets")),
      link("/help", t("help")));
    root.append(missing.has("profile") ? unavailable("profile") : "", h("div", { class: "grid", "data-testid": "home" }, bal, recent, alerts, tickets));
  } catch (e) {
    showError(status, e);
  }
}

export function addCardForm(onAdded: () => void): HTMLElement {
  const status = statusLine();
  const num = field(t("cardNumber"), { name: "cardNumber", type: "text", inputmode: "numeric", autocomplete: "cc-number", required: true });
  const holder = field(t("holderName"), { name: "holder", type: "text", autocomplete: "cc-name", required: true });
  const mm = field(t("expiryMonth"), { name: "mm", type: "number", min: 1, max: 12, autocomplete: "cc-exp-month", required: true });
  const yy = field(t("expiryYear"), { name: "yy", type: "number", min: 2024, max: 2100, autocomplete: "cc-exp-year", required: true });
  const form = h("form", { class: "form" }, h("h2", null, t("addCard")), num.wrap, holder.wrap, h("div", { class: "row" }, mm.wrap, yy.wrap), h("button", { type: "submit" }, t("addCard")), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api.payments.addBankCard({ cardNumber: num.input.value.replace(/\s/g, ""), holderName: holder.input.value.trim(), expiryMonth: Number(mm.input.value), expiryYear: Number(yy.input.value) });
      status.ok(t("cardAdded"));
      onAdded();
    } catch (e) {
      showError(status, e);
    }
  });
  return form;
}

export async function topUpPage(root: HTMLElement): Promise<void> {
  root.append(title(t("topUp")));
  const status = statusLine();
  const body = h("div");
  root.append(body);
  const load = async () => {
    clear(body);
    let cards: BankCard[] = [];
    try {
      cards = (await api.payments.listBankCards({})).cards;
    } catch (e) {
      showError(status, e);
      body.append(card(status));
      return;
    }
    if (cards.length === 0) {
      body.append(card(h("p", null, t("noCards")), addCardForm(load)));
      return;
    }
    const sel = select(t("bankCard"), "card", cards.map((c) => [c.cardId, `${c.bankName || ""} •••• ${c.last4}`.trim()]));
    const amt = field(t("amount"), { name: "amount", type: "text", inputmode: "decimal", required: true }, t("amountHint"));
    const form = h("form", { class: "form" }, sel.wrap, amt.wrap, h("button", { type: "submit" }, t("topUp")), status);
    let key = idempotencyKey();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const minor = parseAmount(amt.input.value, CURRENCY);
      if (minor === null) return status.err(t("amountInvalid"));
      try {
        const res = await api.payments.topUp({ idempotencyKey: key, bankCardId: sel.input.value, amount: { amountMinor: minor, currency: CURRENCY } });
        key = idempotencyKey();
        const amount = formatMoney(minor, CURRENCY, lang());
        if (res.payment?.status === PaymentStatus.SUCCEEDED) status.ok(t("topUpDone", { amount }));
        else status.info(t("topUpPending", { amount }));
      } catch (e) {
        if (!isTransient(e)) key = idempotencyKey();
        showError(status, e);
      }
    });
    body.append(card(form), h("details", { class: "card" }, h("summary", null, t("addCard")), addCardForm(load)));
  };
  await load();
}

type StatusLine = ReturnType<typeof statusLine>;

// The confirm step of a payment (transfer, withdrawal, merchant QR): `form` (summary, PIN,
// submit) replaces step1; submitting calls `pay`, which sends with the current idempotency key
// and reports success. A refused payment is final for its key, so the next try is a new
// operation (`renewKey`); PIN_NOT_SET links to the PIN page; STEP_UP_REQUIRED asks for a code
// and sends again with the step-up token.
function confirmPayment(c: {
  form: HTMLFormElement;
  pin: HTMLInputElement;
  step1: HTMLElement;
  step2: HTMLElement;
  status: StatusLine;
  pinNext: string;
  renewKey: () => void;
  pay: (stepUpToken: string) => Promise<void>;
}): void {
  const stepUpSlot = h("div", { "data-testid": "stepup-slot" });
  const send = async (stepUpToken: string): Promise<void> => {
    try {
      await c.pay(stepUpToken);
      c.renewKey();
      c.step2.setAttribute("hidden", "");
      c.step1.removeAttribute("hidden");
    } catch (err) {
      if (!isTransient(err)) c.renewKey();
      showError(c.status, err);
      if (reasonName(err) === "PIN_NOT_SET") c.status.append(" ", link(c.pinNext, t("setPin")));
      if (reasonName(err) === "STEP_UP_REQUIRED" && !stepUpToken) {
        stepUpSlot.replaceChildren(await stepUpPrompt(StepUpAction.LARGE_PAYMENT, async (token) => {
          c.status.info(t("stepUpRetrying"));
          stepUpSlot.replaceChildren();
          await send(token);
        }));
      }
    }
  };
  c.form.addEventListener("submit", (e) => {
    e.preventDefault();
    void send("");
  });
  c.step2.replaceChildren(c.form, stepUpSlot);
  c.step1.setAttribute("hidden", "");
  c.step2.removeAttribute("hidden");
  c.pin.focus();
}

export function transferPage(root: HTMLElement, q: URLSearchParams): void {
  const status = statusLine();
  const payee = field(t("payee"), { name: "payee", type: "text", required: true, value: q.get("to") ?? "" }, t("payeeHint"));
  const amt = field(t("amount"), { name: "amount", type: "text", inputmode: "decimal", required: true }, t("amountHint"));
  const note = field(t("note"), { name: "note", type: "text", maxlength: 140 });
  const step1 = h("form", { class: "form", "data-testid": "transfer-form" }, payee.wrap, amt.wrap, note.wrap, h("button", { type: "submit" }, t("quote")));
  const step2 = h("div", { class: "form", hidden: true, "data-testid": "transfer-confirm" });
  const payeeOf = (s: string) => (s.includes("@") ? { case: "email" as const, value: s } : { case: "phone" as const, value: s });
  let key = idempotencyKey();
  step1.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const minor = parseAmount(amt.input.value, CURRENCY);
    if (minor === null) return status.err(t("amountInvalid"));
    const to = { payee: payeeOf(payee.input.value.trim()) };
    status.reset();
    try {
      const quote = await api.payments.quoteFee({ kind: PaymentKind.TRANSFER, amount: { amountMinor: minor, currency: CURRENCY }, target: { case: "to", value: to } });
      const pin = field(t("pin"), { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 6, required: true }, t("pinHint"));
      const confirmBtn = h("button", { type: "submit" }, t("confirmTransfer"));
      const back = h("button", { type: "button", class: "secondary", onclick: () => { step2.setAttribute("hidden", ""); step1.removeAttribute("hidden"); } }, t("back"));
      const dl = h("dl", { class: "summary" },
        h("dt", null, t("payeeName")), h("dd", { "data-testid": "payee-name" }, quote.payeeDisplayName || payee.input.value),
        h("dt", null, t("amount")), h("dd", null, money(quote.amount)),
        h("dt", null, t("fee")), h("dd", null, money(quote.fee)),
        h("dt", null, t("total")), h("dd", { "data-testid": "total" }, money(quote.total)),
        quote.arrivesBy ? [h("dt", null, t("arrivesBy")), h("dd", null, ts(quote.arrivesBy))] : null);
      const form = h("form", null, h("h2", null, t("confirmTitle")), dl, quote.stepUpRequired ? h("p", { class: "status warn" }, t("stepUpNeeded")) : null, pin.wrap, h("div", { class: "row" }, confirmBtn, back));
      confirmPayment({
        form, pin: pin.input, step1, step2, status, pinNext: "/pin?next=transfer",
        renewKey: () => { key = idempotencyKey(); },
        pay: async (stepUpToken) => {
          const res = await api.payments.transfer({ idempotencyKey: key, to, amount: { amountMinor: minor, currency: CURRENCY }, note: note.input.value, pin: pin.input.value, stepUpToken });
          const p = res.payment;
          if (p?.status === PaymentStatus.SUCCEEDED) status.ok(t("transferDone", { amount: money(p.amount), name: quote.payeeDisplayName || payee.input.value }));
          else status.info(t("transferPending", { status: enumName(PaymentStatusSchema, p?.status ?? 0, "PAYMENT_STATUS_") }));
          step1.reset();
        },
      });
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("transfer")), card(step1, step2, status), h("p", { class: "links" }, link("/pin?next=transfer", t("setPin"))));
}

export async function historyPage(root: HTMLElement, q: URLSearchParams): Promise<void> {
  const status = statusLine();
  const dir = q.get("dir") ?? "all";
  const filters = h("div", { class: "row", role: "group", "aria-label": t("direction") },
    ...(["all", "in", "out"] as const).map((d) =>
      link(`/history?dir=${d}`, t(d === "all" ? "filterAll" : d === "in" ? "filterIn" : "filterOut"), { class: `chip${d === dir ? " on" : ""}`, ...(d === dir ? { "aria-current": "true" } : {}) })));
  const list = h("ul", { class: "list", "data-testid": "history" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("loadMore"));
  root.append(title(t("history")), card(filters, list, more, status), spendingCard());
  let token = "";
  const load = async () => {
    try {
      const res = await api.ledger.listTransactions({
        filter: { direction: dir === "in" ? Direction.IN : dir === "out" ? Direction.OUT : Direction.UNSPECIFIED },
        pageSize: 20, pageToken: token,
      });
      list.append(...res.transactions.map(txRow));
      if (!list.children.length) list.append(h("li", { class: "muted" }, t("noTransactions")));
      token = res.nextPageToken;
      more.toggleAttribute("hidden", !token);
    } catch (e) {
      showError(status, e);
    }
  };
  more.addEventListener("click", () => void load());
  await load();
}

// Alerts, all or one family (?category=transaction|security), live: new ones arrive on WatchAlerts.
export async function alertsPage(root: HTMLElement, q: URLSearchParams): Promise<() => void> {
  const status = statusLine();
  const live = h("p", { class: "muted", role: "status" });
  const list = h("ul", { class: "list", "data-testid": "alerts" });
  const chosen = q.get("category") ?? "all";
  const category = chosen === "transaction" ? AlertCategory.TRANSACTION : chosen === "security" ? AlertCategory.SECURITY : AlertCategory.UNSPECIFIED;
  const filters = h("div", { class: "row", role: "group", "aria-label": t("alertFamily"), "data-testid": "alert-filters" },
    ...(["all", "transaction", "security"] as const).map((c) =>
      link(c === "all" ? "/alerts" : `/alerts?category=${c}`, t(c === "all" ? "filterAll" : c === "transaction" ? "alertsMoney" : "alertsSecurity"),
        { class: `chip${c === chosen ? " on" : ""}`, "data-category": c, ...(c === chosen ? { "aria-current": "true" } : {}) })));
  root.append(title(t("alerts")), card(filters, live, list, status));
  const abort = new AbortController();
  const render = (a: Alert, prepend: boolean) => {
    const item = alertItem(a, async () => {
      try {
        await api.fraud.acknowledgeAlert({ alertId: a.alertId });
        item.replaceWith(alertItem({ ...a, acknowledgedAt: timestampNow() }));
      } catch (e) {
        showError(status, e);
      }
    });
    if (prepend) list.prepend(item);
    else list.append(item);
  };
  let newest = "";
  try {
    const res = await api.fraud.listMyAlerts({ pageSize: 50, category });
    res.alerts.forEach((a) => render(a, false));
    newest = res.alerts[0]?.alertId ?? "";
    if (!res.alerts.length) list.append(h("li", { class: "muted" }, t("noAlerts")));
  } catch (e) {
    showError(status, e);
  }
  (async () => {
    try {
      live.textContent = `● ${t("live")}`;
      for await (const ev of api.fraud.watchAlerts({ afterAlertId: newest }, { signal: abort.signal })) {
        if (ev.alert && (category === AlertCategory.UNSPECIFIED || ev.alert.category === category)) render(ev.alert, true);
      }
    } catch (e) {
      if (!abort.signal.aborted) live.textContent = t("liveLost");
      void e;
    }
  })();
  return () => abort.abort();
}

export async function sessionsPage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  const list = h("ul", { class: "list", "data-testid": "sessions" });
  const others = h("button", { type: "button", class: "secondary" }, t("signOutOthers"));
  root.append(title(t("sessions")), card(list, others, status));
  const load = async () => {
    try {
      const res = await api.auth.listSessions({});
      list.replaceChildren(...res.sessions.map((s) => h("li", { class: "session" },
        h("strong", null, s.device?.name || s.device?.deviceId || "—"), s.current ? h("span", { class: "badge" }, t("thisDevice")) : null,
        h("small", { class: "muted" }, ` ${s.ip} · ${t("lastSeen")}: ${ts(s.lastSeenAt)}`),
        s.current ? null : h("button", { type: "button", class: "link-button", onclick: async () => {
          try {
            await api.auth.revokeSession({ sessionId: s.sessionId });
            await load();
          } catch (e) {
            showError(status, e);
          }
        } }, t("revoke")))));
    } catch (e) {
      showError(status, e);
    }
  };
  others.addEventListener("click", async () => {
    try {
      const res = await api.auth.logoutAll({ keepCurrent: true });
      status.ok(t("revokedOthers", { n: res.revokedCount }));
      await load();
    } catch (e) {
      showError(status, e);
    }
  });

  // The devices the account knows: a trusted one signs in without the new-device code. Forgetting
  // one signs it out and makes its next sign-in ask for a code; forgetting this one signs out here.
  const devices = h("ul", { class: "list", "data-testid": "devices" });
  const deviceStatus = statusLine();
  root.append(title(t("devicesTitle")), card(h("p", { class: "muted" }, t("devicesIntro")), devices, deviceStatus));
  const loadDevices = async () => {
    try {
      const res = await api.auth.listDevices({});
      devices.replaceChildren(...res.devices.map((d) => {
        const name = d.device?.name || d.device?.deviceId || "—";
        return h("li", { class: "session", "data-device-id": d.device?.deviceId ?? "" },
          h("strong", null, name), d.current ? h("span", { class: "badge" }, t("thisDevice")) : null,
          h("span", { class: d.trusted ? "badge ok" : "badge", "data-testid": "device-trust" }, d.trusted ? t("trusted") : t("notTrusted")),
          h("small", { class: "muted" }, ` ${d.lastIp} · ${t("lastSeen")}: ${ts(d.lastSeenAt)}`),
          d.trusted ? h("button", { type: "button", class: "link-button", "data-testid": "forget-device", onclick: async () => {
            try {
              const done = await api.auth.forgetDevice({ deviceId: d.device?.deviceId ?? "" });
              if (d.current) {
                saveSession(null);
                go("/signin");
                return;
              }
              deviceStatus.ok(t("forgotDevice", { name, n: done.revokedSessions }));
              await Promise.all([loadDevices(), load()]);
            } catch (e) {
              showError(deviceStatus, e);
            }
          } }, t("forgetDevice")) : null);
      }));
    } catch (e) {
      showError(deviceStatus, e);
    }
  };
  await Promise.all([load(), loadDevices()]);
}

export async function withdrawPage(root: HTMLElement): Promise<void> {
  root.append(title(t("withdraw")));
  const status = statusLine();
  let cards: BankCard[] = [];
  try {
    cards = (await api.payments.listBankCards({})).cards;
  } catch (e) {
    showError(status, e);
    root.append(card(status));
    return;
  }
  if (!cards.length) {
    root.append(card(h("p", null, t("noCards")), link("/topup", t("addCard"))));
    return;
  }
  const sel = select(t("bankCard"), "card", cards.map((c) => [c.cardId, `${c.bankName || ""} •••• ${c.last4}`.trim()]));
  const amt = field(t("amount"), { name: "amount", type: "text", inputmode: "decimal", required: true }, t("amountHint"));
  const step1 = h("form", { class: "form" }, sel.wrap, amt.wrap, h("button", { type: "submit" }, t("quote")));
  const step2 = h("div", { class: "form", hidden: true, "data-testid": "withdraw-confirm" });
  let key = idempotencyKey();
  step1.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const minor = parseAmount(amt.input.value, CURRENCY);
    if (minor === null) return status.err(t("amountInvalid"));
    status.reset();
    try {
      const amount = { amountMinor: minor, currency: CURRENCY };
      const quote = await api.payments.quoteFee({ kind: PaymentKind.WITHDRAWAL, amount, target: { case: "bankCardId", value: sel.input.value } });
      const pin = field(t("pin"), { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 6, required: true }, t("pinHint"));
      const back = h("button", { type: "button", class: "secondary", onclick: () => { step2.setAttribute("hidden", ""); step1.removeAttribute("hidden"); } }, t("back"));
      const form = h("form", null, h("h2", null, t("confirmTitle")),
        h("dl", { class: "summary" },
          h("dt", null, t("amount")), h("dd", null, money(quote.amount)),
          h("dt", null, t("fee")), h("dd", null, money(quote.fee)),
          h("dt", null, t("total")), h("dd", null, money(quote.total)),
          h("dt", null, t("arrivesBy")), h("dd", { "data-testid": "arrives-by" }, quote.arrivesBy ? ts(quote.arrivesBy) : "—")),
        pin.wrap, h("div", { class: "row" }, h("button", { type: "submit" }, t("withdraw")), back));
      confirmPayment({
        form, pin: pin.input, step1, step2, status, pinNext: "/pin?next=withdraw",
        renewKey: () => { key = idempotencyKey(); },
        pay: async (stepUpToken) => {
          const res = await api.payments.withdraw({ idempotencyKey: key, bankCardId: sel.input.value, amount, pin: pin.input.value, stepUpToken });
          const p = res.payment;
          status.ok(t("withdrawDone", { amount: p?.amount ? money(p.amount) : formatMoney(minor, CURRENCY, lang()), when: p?.arrivesBy ? ts(p.arrivesBy) : quote.arrivesBy ? ts(quote.arrivesBy) : "—" }));
        },
      });
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(card(step1, step2, status));
}

// This month's spending: totals and a bar per day (CSS bars; amounts stay bigint).
export function spendingCard(): HTMLElement {
  const status = statusLine();
  const now = new Date();
  const month = field(t("month"), { name: "month", type: "month", value: `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}` });
  const out = h("div", { "data-testid": "spending" });
  const load = async () => {
    try {
      const res = await api.ledger.getSpendingSummary({ month: month.input.value, currency: CURRENCY, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
      const days = res.byDay;
      const max = days.reduce((m, d) => ((d.spent?.amountMinor ?? 0n) > m ? d.spent!.amountMinor : m), 0n);
      out.replaceChildren(
        h("p", null, `${t("spent")}: `, h("strong", null, money(res.totalSpent)), ` · ${t("received")}: `, h("strong", null, money(res.totalReceived))),
        days.length && max > 0n
          ? h("ol", { class: "bars", "aria-label": t("spendingChart") }, ...days.map((d) => {
              const v = d.spent?.amountMinor ?? 0n;
              const pct = Number((v * 100n) / max);
              return h("li", { title: `${d.date}: ${money(d.spent)}` },
                h("span", { class: "bar", style: `height:${Math.max(pct, v > 0n ? 2 : 0)}%` }),
                h("span", { class: "sr-only" }, `${d.date}: ${money(d.spent)}`));
            }))
          : h("p", { class: "muted" }, t("noTransactions")),
        res.byKind.length ? h("ul", { class: "list" }, ...res.byKind.map((k) => h("li", null,
          tk(`kind_${enumName(TransferKindSchema, k.kind, "TRANSFER_KIND_")}`, "kind_UNSPECIFIED"), ` · ${money(k.spent)} (${k.count})`))) : "");
      status.reset();
    } catch (e) {
      out.replaceChildren();
      showError(status, e);
    }
  };
  month.input.addEventListener("change", () => void load());
  void load();
  return card(h("h2", null, t("spendingChart")), month.wrap, out, status);
}

// Pay by QR: the scanned payload (pasted here), an amount unless the code fixes it, the quote with
// the merchant's name, then the PIN.
export function payQrPage(root: HTMLElement, q: URLSearchParams): void {
  const status = statusLine();
  const payload = textarea(t("qrPayload"), "qr", { required: true });
  payload.input.value = q.get("qr") ?? "";
  const amt = field(t("amountOptional"), { name: "amount", type: "text", inputmode: "decimal" }, t("amountHint"));
  const step1 = h("form", { class: "form" }, payload.wrap, amt.wrap, h("button", { type: "submit" }, t("quote")));
  const step2 = h("div", { class: "form", hidden: true });
  let key = idempotencyKey();
  step1.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = amt.input.value.trim();
    const minor = text ? parseAmount(text, CURRENCY) : null;
    if (text && minor === null) return status.err(t("amountInvalid"));
    const amount = minor !== null ? { amountMinor: minor, currency: CURRENCY } : undefined;
    const qr = payload.input.value.trim();
    status.reset();
    try {
      const quote = await api.payments.quoteFee({ kind: PaymentKind.MERCHANT, amount, target: { case: "qrPayload", value: qr } });
      const pin = field(t("pin"), { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 6, required: true }, t("pinHint"));
      const back = h("button", { type: "button", class: "secondary", onclick: () => { step2.setAttribute("hidden", ""); step1.removeAttribute("hidden"); } }, t("back"));
      const form = h("form", null, h("h2", null, t("confirmTitle")),
        h("dl", { class: "summary" },
          h("dt", null, t("merchant")), h("dd", null, quote.payeeDisplayName || "—"),
          h("dt", null, t("amount")), h("dd", null, money(quote.amount)),
          h("dt", null, t("fee")), h("dd", null, money(quote.fee)),
          h("dt", null, t("total")), h("dd", null, money(quote.total))),
        pin.wrap, h("div", { class: "row" }, h("button", { type: "submit" }, t("pay")), back));
      confirmPayment({
        form, pin: pin.input, step1, step2, status, pinNext: "/pin?next=pay",
        renewKey: () => { key = idempotencyKey(); },
        pay: async (stepUpToken) => {
          const res = await api.payments.payMerchant({ idempotencyKey: key, merchant: { case: "qrPayload", value: qr }, amount, pin: pin.input.value, stepUpToken });
          status.ok(t("paid", { amount: money(res.payment?.amount ?? quote.amount), name: quote.payeeDisplayName }));
        },
      });
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("payQr")), card(step1, step2, status));
}
