// Help: FAQ search, Ask, open a ticket; my tickets; a ticket with live chat (WatchTicket).
import { h, field, select, statusLine, textarea } from "../dom";
import { t, tk, lang } from "../i18n";
import { api, idempotencyKey, session } from "../api";
import { link, go } from "../router";
import { showError, title, card, enumName } from "../ui";
import { ticketRow, ts } from "./wallet";
import { AuthorKind, Channel, TicketCategory, TicketStatus, TicketCategorySchema, TicketStatusSchema, type FaqHit, type TicketMessage } from "../gen/uwallet/support/v1/support_pb";

function hits(list: FaqHit[]): HTMLElement {
  if (!list.length) return h("p", { class: "muted" }, t("noHits"));
  return h("ul", { class: "list" }, ...list.map((x) => {
    const body = h("div", { class: "article" }, x.snippet ? h("p", { class: "muted" }, x.snippet) : null);
    const d = h("details", null, h("summary", null, x.title), body);
    let loaded = false;
    d.addEventListener("toggle", async () => {
      if (!d.open || loaded) return;
      loaded = true;
      try {
        const res = await api.support.getFaqArticle({ articleId: x.articleId, locale: x.locale || lang() });
        if (res.article) body.replaceChildren(h("p", { class: "answer" }, res.article.body));
      } catch {
        loaded = false; // keep the snippet; try again next time
      }
    });
    return h("li", null, d);
  }));
}

export function categoryOptions(): Array<[string, string]> {
  return TicketCategorySchema.values
    .filter((v) => v.number !== 0 && v.number !== TicketCategory.DISPUTE)
    .map((v) => [String(v.number), tk(`cat_${v.name.replace("TICKET_CATEGORY_", "")}`, "cat_OTHER")]);
}

export function helpPage(root: HTMLElement): void {
  const status = statusLine();
  const qf = field(t("faqSearch"), { name: "q", type: "search" });
  const results = h("div", { "aria-live": "polite" });
  const search = h("form", { class: "form", role: "search" }, qf.wrap, h("button", { type: "submit" }, t("search")), results);
  search.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.support.searchFaq({ query: qf.input.value, locale: lang(), pageSize: 10 });
      results.replaceChildren(hits(res.hits));
    } catch (e) {
      results.replaceChildren();
      showError(status, e);
    }
  });
  const question = textarea(t("question"), "question");
  const answer = h("div", { "aria-live": "polite" });
  const ask = h("form", { class: "form" }, h("h2", null, t("ask")), question.wrap, h("button", { type: "submit" }, t("ask")), answer);
  const newTicket = session() ? ticketForm() : null;
  ask.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.support.ask({ question: question.input.value, locale: lang() });
      answer.replaceChildren(h("h3", null, t("askAnswer")), h("p", { class: "answer" }, res.answer), res.sources.length ? hits(res.sources) : "",
        res.suggestTicket ? h("p", { class: "status info" }, t("suggestTicket")) : "");
      if (res.suggestTicket && newTicket) {
        (newTicket.querySelector("details") as HTMLDetailsElement | null)?.setAttribute("open", "");
      }
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("help")), card(search), card(ask), newTicket ? card(newTicket) : "", status);
}

function ticketForm(): HTMLElement {
  const status = statusLine();
  const cat = select(t("category"), "category", categoryOptions());
  const subject = field(t("subject"), { name: "subject", type: "text", required: true, maxlength: 200 });
  const body = textarea(t("message"), "body", { required: true });
  const form = h("form", { class: "form" }, cat.wrap, subject.wrap, body.wrap, h("button", { type: "submit" }, t("submit")), status);
  const key = idempotencyKey();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.support.createTicket({ category: Number(cat.input.value), subject: subject.input.value, body: body.input.value, channel: Channel.WEB, idempotencyKey: key });
      go(`/ticket/${res.ticket?.ticketId}`);
    } catch (e) {
      showError(status, e);
    }
  });
  return h("details", null, h("summary", null, t("newTicket")), form);
}

export async function ticketsPage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  const list = h("ul", { class: "list", "data-testid": "tickets" });
  root.append(title(t("tickets")), card(list, status), card(ticketForm()));
  try {
    const res = await api.support.listMyTickets({ pageSize: 50 });
    list.append(...res.tickets.map((x) => ticketRow(x, `/ticket/${x.ticketId}`)));
    if (!res.tickets.length) list.append(h("li", { class: "muted" }, t("noTickets")));
  } catch (e) {
    showError(status, e);
  }
}

export function messageItem(m: TicketMessage, mine: AuthorKind): HTMLElement {
  const who = m.authorKind === mine ? t("you")
    : m.authorKind === AuthorKind.AGENT ? (m.authorDisplayName || t("agent"))
    : m.authorKind === AuthorKind.SYSTEM ? t("system")
    : (m.authorDisplayName || t("customer"));
  return h("li", { class: `msg ${m.authorKind === mine ? "mine" : "theirs"}${m.internalNote ? " note" : ""}`, "data-message-id": m.messageId },
    h("small", { class: "muted" }, `${who} · ${ts(m.createdAt)}${m.internalNote ? ` · ${t("internalNote")}` : ""}`), h("p", null, m.body),
    m.attachments.length ? h("ul", { class: "files", "aria-label": t("attachments") }, ...m.attachments.map((a) => h("li", { class: "muted file" }, a.fileName))) : null);
}

export async function ticketPage(root: HTMLElement, _q: URLSearchParams, path: string[]): Promise<() => void> {
  const id = path[0] ?? "";
  const status = statusLine();
  const live = h("p", { class: "muted", role: "status" });
  const list = h("ol", { class: "chat", "data-testid": "chat", "aria-live": "polite" });
  const badge = h("span", { class: "badge" });
  const msg = textarea(t("message"), "message", { required: true });
  const form = h("form", { class: "form" }, msg.wrap, h("button", { type: "submit" }, t("send")));
  const heading = title(t("chat"));
  root.append(heading, card(h("p", null, badge), live, list, form, status), h("p", { class: "links" }, link("/tickets", t("back"))));
  const rateSlot = h("div");
  const showRating = (status: number, rated: number) => {
    if ((status !== TicketStatus.RESOLVED && status !== TicketStatus.CLOSED) || rated > 0) return rateSlot.replaceChildren();
    const rs = statusLine();
    const score = select(t("score"), "score", [["5", "5 ★★★★★"], ["4", "4 ★★★★"], ["3", "3 ★★★"], ["2", "2 ★★"], ["1", "1 ★"]]);
    const comment = field(t("comment"), { name: "comment", type: "text", maxlength: 500 });
    const f = h("form", { class: "form" }, h("h2", null, t("rate")), score.wrap, comment.wrap, h("button", { type: "submit" }, t("submit")), rs);
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api.support.rateTicket({ ticketId: id, score: Number(score.input.value), comment: comment.input.value });
        rateSlot.replaceChildren(card(h("p", { class: "status ok" }, t("rated"))));
      } catch (e) {
        showError(rs, e);
      }
    });
    rateSlot.replaceChildren(card(f));
  };
  root.append(rateSlot);
  const seen = new Set<string>();
  const add = (m: TicketMessage) => {
    if (seen.has(m.messageId)) return;
    seen.add(m.messageId);
    list.append(messageItem(m, AuthorKind.CUSTOMER));
    list.lastElementChild?.scrollIntoView({ block: "nearest" });
  };
  let last = "";
  try {
    const res = await api.support.getTicket({ ticketId: id });
    heading.textContent = res.ticket?.subject || t("chat");
    const st = enumName(TicketStatusSchema, res.ticket?.status ?? 0, "TICKET_STATUS_");
    badge.textContent = tk(`ticketStatus_${st}`, "ticketStatus_UNSPECIFIED");
    res.messages.forEach(add);
    last = res.messages[res.messages.length - 1]?.messageId ?? "";
    showRating(res.ticket?.status ?? 0, res.ticket?.ratingScore ?? 0);
  } catch (e) {
    showError(status, e);
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.support.postMessage({ ticketId: id, body: msg.input.value });
      if (res.message) add(res.message);
      msg.input.value = "";
    } catch (e) {
      showError(status, e);
    }
  });
  const abort = new AbortController();
  (async () => {
    try {
      live.textContent = `● ${t("live")}`;
      for await (const ev of api.support.watchTicket({ ticketId: id, afterMessageId: last }, { signal: abort.signal })) {
        if (ev.event.case === "message") add(ev.event.value);
        else if (ev.event.case === "statusChange") {
          const st = enumName(TicketStatusSchema, ev.event.value.toStatus ?? 0, "TICKET_STATUS_");
          badge.textContent = tk(`ticketStatus_${st}`, "ticketStatus_UNSPECIFIED");
          showRating(ev.event.value.toStatus, 0);
        }
      }
    } catch {
      if (!abort.signal.aborted) live.textContent = t("liveLost");
    }
  })();
  return () => abort.abort();
}
