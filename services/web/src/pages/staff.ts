// Staff desk (agents, analysts, admins): ticket queue, a ticket with reply / internal note, the
// customer 360 panel with unlock / freeze / unfreeze (reason required, audited).
import { h, field, select, statusLine, textarea } from "../dom";
import { t, tk, lang } from "../i18n";
import { api, idempotencyKey, session } from "../api";
import { link } from "../router";
import { showError, title, card, enumName } from "../ui";
import { slaBadge, ticketRow, ts, money } from "./wallet";
import { messageItem } from "./help";
import { fillRequestList } from "./refunds";
import { alertText } from "../alert_text";
import { kindOf, statusOf } from "./risk";
import { AuthorKind, AssignmentFilter, DisputeDecision, DisputeDecisionSchema, DisputeStatus, DisputeStatusSchema, DisputeReasonSchema, TicketStatus, TicketStatusSchema, type Dispute, type TextModule, type TicketMessage } from "../gen/uwallet/support/v1/support_pb";
import { formatMoney, parseAmount } from "../money";
import { CURRENCY } from "./wallet";
import { PaymentStatusSchema } from "../gen/uwallet/payments/v1/payments_pb";
import { IdentityCheckMethod, IdentityCheckMethodSchema, UserStatus } from "../gen/uwallet/auth/v1/auth_pb";

export async function deskPage(root: HTMLElement, q: URLSearchParams): Promise<() => void> {
  const status = statusLine();
  const scope = q.get("scope") ?? "any";
  const chips = h("div", { class: "row", role: "group" },
    ...([["any", "filterAll"], ["mine", "assignedToMe"]] as const).map(([v, key]) =>
      link(`/desk?scope=${v}`, t(key), { class: `chip${v === scope ? " on" : ""}` })));
  const list = h("ul", { class: "list", "data-testid": "queue" });
  const find = field(t("findUser"), { name: "q", type: "search" }, t("findUserHint"));
  const users = h("ul", { class: "list" });
  const findForm = h("form", { class: "form", role: "search" }, find.wrap, h("button", { type: "submit" }, t("search")), users);
  findForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.authAdmin.findUsers({ query: find.input.value.trim(), pageSize: 20 });
      // Locked or frozen shows in the results already: the usual reason a customer calls.
      const badge = (s: UserStatus) =>
        s === UserStatus.FROZEN ? h("span", { class: "badge danger", "data-testid": "found-user-status" }, t("frozen"))
          : s === UserStatus.LOCKED ? h("span", { class: "badge warn", "data-testid": "found-user-status" }, t("locked")) : null;
      users.replaceChildren(...res.users.map((u) => h("li", null, link(`/customer/${u.userId}`, u.displayName || u.userId),
        h("small", { class: "muted" }, ` ${u.maskedPhone || ""} ${u.maskedEmail || ""} `), badge(u.status))));
      if (!res.users.length) users.append(h("li", { class: "muted" }, t("none")));
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("welcomeStaff")), h("div", { class: "grid" }, card(h("h2", null, t("queue")), chips, list, status), card(h("h2", null, t("customer360")), findForm)));
  const load = async () => {
    try {
      const res = await api.agent.listQueue({
        filter: {
          statuses: [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER],
          assignment: scope === "mine" ? AssignmentFilter.ASSIGNED_TO_ME : AssignmentFilter.ANY,
        },
        pageSize: 50,
      });
      list.replaceChildren(...res.tickets.map((x) => ticketRow(x, `/desk-ticket/${x.ticketId}`, true)));
      if (!res.tickets.length) list.append(h("li", { class: "muted" }, t("noTickets")));
    } catch (e) {
      showError(status, e);
    }
  };
  await load();
  // Live updates: WatchQueue pushes changes; on any event the queue is re-read.
  const abort = new AbortController();
  (async () => {
    try {
      for await (const _ of api.agent.watchQueue({}, { signal: abort.signal })) {
        void _;
        await load();
      }
    } catch {
      /* the queue still works by refreshing */
    }
  })();
  return () => abort.abort();
}

export async function deskTicketPage(root: HTMLElement, _q: URLSearchParams, path: string[]): Promise<() => void> {
  const id = path[0] ?? "";
  const status = statusLine();
  const heading = title(t("chat"));
  const meta = h("p");
  const list = h("ol", { class: "chat", "data-testid": "agent-chat", "aria-live": "polite" });
  const body = textarea(t("reply"), "reply", { required: true });
  const note = h("input", { type: "checkbox", id: "internal-note" });
  const modules = textModulePicker(body.input, () => ({ "customer.name": customerName, "ticket.id": id, "agent.name": session()?.displayName ?? "" }));
  const form = h("form", { class: "form" }, modules.wrap, body.wrap, h("div", { class: "check" }, note, h("label", { for: "internal-note" }, t("internalNote"))),
    h("button", { type: "submit" }, t("send")));
  let customerName = "";
  const disputeSlot = h("div", { "data-testid": "dispute-panel" });
  let disputeShown = "";
  const assign = h("button", { type: "button", class: "secondary" }, t("assignToMe"));
  const stSel = select(t("setStatus"), "status", TicketStatusSchema.values.filter((v) => v.number !== 0).map((v) => [String(v.number), tk(`ticketStatus_${v.name.replace("TICKET_STATUS_", "")}`, "ticketStatus_UNSPECIFIED")]));
  const stBtn = h("button", { type: "button", class: "secondary" }, t("setStatus"));
  const customer = h("p");
  const live = h("p", { class: "muted", role: "status", "data-testid": "agent-live" });
  root.append(heading, card(meta, live, customer, list, form, status), disputeSlot, card(h("div", { class: "row" }, assign), h("div", { class: "row" }, stSel.wrap, stBtn)),
    h("p", { class: "links" }, link("/desk", t("back"))));
  const seen = new Set<string>();
  let lastId = "";
  const add = (m: TicketMessage) => {
    if (seen.has(m.messageId)) return;
    seen.add(m.messageId);
    lastId = m.messageId;
    if (m.authorKind === AuthorKind.CUSTOMER && m.authorDisplayName) customerName = m.authorDisplayName;
    list.append(messageItem(m, AuthorKind.AGENT));
  };
  const load = async () => {
    try {
      const res = await api.agent.getTicket({ ticketId: id });
      const tkt = res.ticket;
      heading.textContent = tkt?.subject || t("chat");
      const st = enumName(TicketStatusSchema, tkt?.status ?? 0, "TICKET_STATUS_");
      meta.replaceChildren(h("span", { class: "badge" }, tk(`ticketStatus_${st}`, "ticketStatus_UNSPECIFIED")),
        (tkt && slaBadge(tkt)) || "",
        h("small", { class: "muted" }, ` ${t("createdAt")}: ${ts(tkt?.createdAt)}`));
      if (tkt?.userId) customer.replaceChildren(link(`/customer/${tkt.userId}`, t("openCustomer")));
      res.messages.forEach(add);
      // The dispute panel is drawn when the dispute first shows up or changes state, not on every
      // re-read (the agent may be typing in it).
      const d = tkt?.dispute;
      const key = d ? `${d.disputeId}:${d.status}` : "";
      if (key !== disputeShown) {
        disputeShown = key;
        disputeSlot.replaceChildren(d ? disputePanel(id, d, res.messages, load) : "");
      }
    } catch (e) {
      showError(status, e);
    }
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.agent.reply({ ticketId: id, body: body.input.value, internalNote: note.checked, textModuleId: modules.usedId() });
      modules.reset();
      if (res.message) add(res.message);
      body.input.value = "";
      note.checked = false;
    } catch (e) {
      showError(status, e);
    }
  });
  assign.addEventListener("click", async () => {
    try {
      await api.agent.assignTicket({ ticketId: id, assignee: { case: "autoAssign", value: true } });
      status.ok(t("actionDone"));
      await load();
    } catch (e) {
      showError(status, e);
    }
  });
  stBtn.addEventListener("click", async () => {
    try {
      await api.agent.setStatus({ ticketId: id, status: Number(stSel.input.value) });
      status.ok(t("actionDone"));
      await load();
    } catch (e) {
      showError(status, e);
    }
  });
  await load();
  // Live: the customer's messages, other agents' replies and notes, and status changes arrive on
  // WatchTicket (staff receive internal notes too). A dropped stream is resumed after the last
  // message seen, with growing waits, re-reading the ticket first so nothing is missed.
  const abort = new AbortController();
  (async () => {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        live.textContent = `● ${t("live")}`;
        for await (const ev of api.support.watchTicket({ ticketId: id, afterMessageId: lastId }, { signal: abort.signal })) {
          attempt = 0;
          if (ev.event.case === "message") add(ev.event.value);
          else if (ev.event.case === "statusChange") await load();
        }
      } catch {
        // resumed below
      }
      if (abort.signal.aborted) return;
      live.textContent = t("liveRetrying");
      await new Promise((r) => window.setTimeout(r, Math.min(30000, 1000 * 2 ** Math.min(attempt, 5))));
      if (!abort.signal.aborted) await load();
    }
  })();
  return () => abort.abort();
}

export async function customerPage(root: HTMLElement, _q: URLSearchParams, path: string[]): Promise<void> {
  const userId = path[0] ?? "";
  const status = statusLine();
  const body = h("div", { "data-testid": "customer360" });
  status.setAttribute("data-testid", "c360-status");
  root.append(title(t("customer360")), body, status);
  const load = async () => {
    try {
      const c = await api.agent.getCustomer360({ userId });
      const missing = new Set(c.unavailableParts.map((p) => p.part));
      const u = c.user;
      const p = u?.profile;
      const locked = !!u?.lock?.locked;
      const frozen = !!u?.freeze?.frozen;
      const state = frozen ? t("frozen") : locked ? (u?.lock?.lockedUntil ? t("lockedUntil", { time: ts(u.lock.lockedUntil) }) : t("locked")) : p?.status === UserStatus.ACTIVE ? t("active") : t("active");
      const unavailable = (part: string) => h("p", { class: "status warn", "data-testid": `unavailable-${part}` }, t("unavailablePart", { part: tk(`part_${part}`, "none") }));
      const listOr = (part: string, items: HTMLElement[]) =>
        missing.has(part) ? unavailable(part) : items.length ? h("ul", { class: "list" }, ...items) : h("p", { class: "muted" }, t("none"));
      body.replaceChildren(
        h("div", { class: "grid" },
          card(h("h2", null, p?.displayName || userId), h("p", null, `${t("userStatus")}: `, h("strong", { "data-testid": "user-status" }, state)),
            frozen && u?.freeze?.reason ? h("p", { class: "muted" }, u.freeze.reason) : null,
            h("p", { class: "muted" }, [p?.phone, p?.email].filter(Boolean).join(" · ")),
            actions(userId, locked, frozen, load, status)),
          card(h("h2", null, t("balance")), listOr("balances", c.balances.map((b) => h("li", null, money(b.available), b.frozen ? ` · ${t("frozen")}` : "")))),
          card(h("h2", null, t("payments")), listOr("recent_payments", c.recentPayments.map((pm) => h("li", null, money(pm.amount), " ",
            h("small", { class: "muted" }, `${enumName(PaymentStatusSchema, pm.status, "PAYMENT_STATUS_")} · ${ts(pm.createdAt)}`))))),
          card(h("h2", null, t("customerTickets")), listOr("recent_tickets", c.recentTickets.map((x) => ticketRow(x, `/desk-ticket/${x.ticketId}`, true)))),
          card(h("h2", null, t("alerts")), listOr("recent_alerts", c.recentAlerts.map((a) => h("li", null, h("strong", null, alertText(a).title), " ", h("small", { class: "muted" }, ts(a.createdAt)))))),
          // The risk team's cases about this customer (agents see that one is open, not its timeline).
          card(h("h2", null, t("risk")), h("div", { "data-testid": "c360-cases" }, listOr("recent_fraud_cases", c.recentFraudCases.map((fc) => h("li", { "data-case-id": fc.caseId },
            h("strong", null, kindOf(fc)), " · ", h("span", { "data-testid": "c360-case-status" }, statusOf(fc.status)), " ", h("small", { class: "muted" }, ts(fc.openedAt)))))))));
    } catch (e) {
      showError(status, e);
    }
  };
  await load();
}

function actions(userId: string, locked: boolean, frozen: boolean, reload: () => Promise<void>, status: ReturnType<typeof statusLine>): HTMLElement {
  const reason = textarea(t("reason"), "reason", { required: true });
  const method = select(t("identityCheck"), "idcheck", IdentityCheckMethodSchema.values.filter((v) => v.number !== 0)
    .map((v) => [String(v.number), tk(`idc_${v.name.replace("IDENTITY_CHECK_METHOD_", "")}`, "none")]));
  const run = (fn: (r: string, m: IdentityCheckMethod) => Promise<unknown>) => async () => {
    const r = reason.input.value.trim();
    if (!r) {
      status.err(t("reasonRequired"));
      reason.input.focus();
      return;
    }
    try {
      await fn(r, Number(method.input.value));
      status.ok(t("actionDone"));
      await reload();
    } catch (e) {
      showError(status, e);
    }
  };
  const unlock = h("button", { type: "button", "data-testid": "unlock", disabled: !locked, onclick: run((r, m) => api.authAdmin.unlockUser({ userId, reason: r, identityCheck: { method: m } })) }, t("unlock"));
  const freeze = h("button", { type: "button", class: "danger", "data-testid": "freeze", disabled: frozen, onclick: run((r) => api.authAdmin.freezeUser({ userId, reason: r })) }, t("freeze"));
  const unfreeze = h("button", { type: "button", "data-testid": "unfreeze", disabled: !frozen, onclick: run((r, m) => api.authAdmin.unfreezeUser({ userId, reason: r, identityCheck: { method: m } })) }, t("unfreeze"));
  return h("div", { class: "form" }, reason.wrap, method.wrap, h("div", { class: "row" }, unlock, freeze, unfreeze));
}

// Text modules in the reply box: a picker, and "::shortcut" + space typed in the box. Placeholders
// ({{customer.name}}, {{ticket.id}}, {{agent.name}}) are filled in; the agent edits before sending.
function textModulePicker(box: HTMLTextAreaElement, values: () => Record<string, string>): { wrap: HTMLElement; usedId(): string; reset(): void } {
  let modules: TextModule[] = [];
  let used = "";
  const pick = select(t("insertModule"), "textModule", [["", "—"]]);
  const fill = (m: TextModule) => m.body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (all, k: string) => values()[k] || all);
  const insert = (m: TextModule, replace?: string) => {
    const text = fill(m);
    box.value = replace !== undefined ? box.value.replace(replace, text) : box.value ? `${box.value}\n${text}` : text;
    used = m.textModuleId;
    box.focus();
  };
  pick.input.addEventListener("change", () => {
    const m = modules.find((x) => x.textModuleId === pick.input.value);
    if (m) insert(m);
    pick.input.value = "";
  });
  box.addEventListener("input", () => {
    const m = box.value.match(/(::[\w-]+)\s$/);
    if (!m) return;
    const mod = modules.find((x) => x.shortcut === m[1]);
    if (mod) insert(mod, m[0]);
  });
  api.agent.listTextModules({ locale: "", query: "" }).then((res) => {
    modules = [...res.textModules].sort((a, b) => Number(b.locale === lang()) - Number(a.locale === lang()));
    pick.input.append(...modules.map((m) => h("option", { value: m.textModuleId }, `${m.name} (${m.shortcut}, ${m.locale})`)));
  }, () => pick.wrap.setAttribute("hidden", ""));
  const wrap = h("div", { class: "modules" }, pick.wrap, h("small", { class: "hint" }, t("moduleShortcutHint")));
  return { wrap, usedId: () => used, reset: () => { used = ""; } };
}

// A dispute on its ticket: what is disputed, the evidence (images shown inline), and the decision
// (refund in full / in part / reject) with a note the customer sees.
function disputePanel(ticketId: string, d: Dispute, messages: TicketMessage[], reload: () => Promise<void>): HTMLElement {
  const status = statusLine();
  status.setAttribute("data-testid", "dispute-resolve-status");
  const st = enumName(DisputeStatusSchema, d.status, "DISPUTE_STATUS_");
  const files = messages.flatMap((m) => m.attachments);
  const gallery = h("ul", { class: "list attachments", "data-testid": "evidence" }, ...files.map((a) => {
    const view = h("button", { type: "button", class: "link-button" }, t("showAttachment"));
    const li = h("li", null, h("span", null, `${a.fileName} (${a.contentType}, ${Math.ceil(Number(a.sizeBytes) / 1024)} KB) `), view);
    view.addEventListener("click", async () => {
      try {
        const res = await api.support.getAttachment({ attachmentId: a.attachmentId });
        const url = URL.createObjectURL(new Blob([res.content.slice()], { type: res.attachment?.contentType || a.contentType }));
        li.append(a.contentType.startsWith("image/") ? h("img", { src: url, alt: a.fileName, class: "evidence" }) : h("a", { href: url, download: a.fileName }, a.fileName));
        view.remove();
      } catch (e) {
        showError(status, e);
      }
    });
    return li;
  }));
  const facts = h("dl", { class: "summary" },
    h("dt", null, t("status")), h("dd", { "data-testid": "dispute-state" }, tk(`ds_${st}`, "ds_UNSPECIFIED")),
    h("dt", null, t("disputeReason")), h("dd", null, tk(`dr_${enumName(DisputeReasonSchema, d.reason, "DISPUTE_REASON_")}`, "none")),
    h("dt", null, t("disputedAmount")), h("dd", null, money(d.disputedAmount)),
    d.refundedAmount?.amountMinor ? [h("dt", null, t("refunded")), h("dd", null, money(d.refundedAmount))] : null);
  // What the customer asked the merchant before disputing, and what the merchant answered.
  const requests = h("ul", { class: "list", "data-testid": "dispute-refund-requests" });
  if (d.paymentId) {
    api.paymentsAdmin.getPayment({ paymentId: d.paymentId })
      .then((res) => fillRequestList(requests, res.refundRequests))
      .catch((e) => showError(status, e));
  }
  const parts: Array<HTMLElement> = [h("h2", null, t("disputeTitle")), facts, h("h3", null, t("attachments")), files.length ? gallery : h("p", { class: "muted" }, t("none")),
    h("h3", null, t("refundRequests")), requests];
  if (d.status === DisputeStatus.OPEN) {
    const decision = select(t("decision"), "decision", DisputeDecisionSchema.values.filter((v) => v.number !== 0)
      .map((v) => [String(v.number), tk(`dec_${v.name.replace("DISPUTE_DECISION_", "")}`, "none")]));
    const amount = field(t("refundAmount"), { name: "refundAmount", type: "text", inputmode: "decimal" }, t("amountHint"));
    const note = textarea(t("decisionNote"), "decisionNote", { required: true });
    const form = h("form", { class: "form", novalidate: true, "data-testid": "dispute-resolve" }, decision.wrap, amount.wrap, note.wrap, h("button", { type: "submit" }, t("resolveDispute")));
    let key = idempotencyKey();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const dec = Number(decision.input.value) as DisputeDecision;
      const cur = d.disputedAmount?.currency || CURRENCY;
      const minor = dec === DisputeDecision.REFUND_PARTIAL ? parseAmount(amount.input.value, cur) : null;
      if (dec === DisputeDecision.REFUND_PARTIAL && minor === null) return status.err(t("amountInvalid"));
      if (!note.input.value.trim()) return status.err(t("reasonRequired"));
      try {
        const res = await api.agent.resolveDispute({ idempotencyKey: key, ticketId, decision: dec, note: note.input.value.trim(),
          amount: minor !== null ? { amountMinor: minor, currency: cur } : undefined });
        key = idempotencyKey();
        const refunded = res.ticket?.dispute?.refundedAmount;
        status.ok(refunded?.amountMinor ? `${t("disputeResolved")} ${t("refunded")}: ${formatMoney(refunded.amountMinor, refunded.currency || cur, lang())}` : t("disputeResolved"));
        await reload();
      } catch (e) {
        showError(status, e);
      }
    });
    parts.push(form);
  }
  parts.push(status);
  return card(...parts);
}
