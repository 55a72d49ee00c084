// Risk team (analysts, admins): cases with their timeline and resolve; the rules list with
// enable / shadow / disable toggles (each change needs a reason and the version the analyst saw).
import { h, field, select, statusLine, textarea } from "../dom";
import { t, tk } from "../i18n";
import { api } from "../api";
import { link } from "../router";
import { showError, title, card, enumName } from "../ui";
import { ts } from "./wallet";
import {
  CaseKindSchema, CaseResolution, CaseStatus, CaseStatusSchema, DecisionSchema, RuleMode, RuleModeSchema,
  type FraudCase, type Rule,
} from "../gen/uwallet/fraud/v1/fraud_pb";

export const kindOf = (c: FraudCase) => tk(`ck_${enumName(CaseKindSchema, c.kind, "CASE_KIND_")}`, "ck_UNSPECIFIED");
export const statusOf = (s: CaseStatus) => tk(`cs_${enumName(CaseStatusSchema, s, "CASE_STATUS_")}`, "cs_UNSPECIFIED");

export async function riskPage(root: HTMLElement, q: URLSearchParams): Promise<void> {
  const status = statusLine();
  const scope = q.get("scope") ?? "open";
  const chips = h("div", { class: "row", role: "group" },
    ...([["open", "openOnly"], ["all", "filterAll"]] as const).map(([v, key]) =>
      link(`/risk?scope=${v}`, t(key), { class: `chip${v === scope ? " on" : ""}`, ...(v === scope ? { "aria-current": "true" } : {}) })));
  const list = h("ul", { class: "list", "data-testid": "cases" });
  root.append(title(t("risk")), card(chips, list, status), h("p", { class: "links" }, link("/rules", t("rules"))));
  try {
    const res = await api.fraudAnalyst.listCases({
      statuses: scope === "all" ? [CaseStatus.OPEN, CaseStatus.CONFIRMED, CaseStatus.FALSE_POSITIVE] : [CaseStatus.OPEN],
      pageSize: 50,
    });
    list.replaceChildren(...res.cases.map((c) => h("li", { class: "case", "data-user-id": c.userId },
      link(`/risk-case/${encodeURIComponent(c.caseId)}`, c.summary || kindOf(c)),
      " ", h("span", { class: `badge${c.status === CaseStatus.OPEN ? " warn" : ""}` }, statusOf(c.status)),
      " ", h("span", { class: "badge" }, kindOf(c)),
      " ", h("span", { class: `badge${c.score >= 70 ? " danger" : ""}` }, `${t("riskScore")} ${c.score}`),
      " ", h("small", { class: "muted" }, ts(c.openedAt)))));
    if (!res.cases.length) list.append(h("li", { class: "muted" }, t("noCases")));
  } catch (e) {
    showError(status, e);
  }
}

export async function riskCasePage(root: HTMLElement, _q: URLSearchParams, path: string[]): Promise<void> {
  const id = path[0] ?? "";
  const status = statusLine();
  status.setAttribute("data-testid", "case-status");
  const heading = title(t("risk"));
  const body = h("div", { "data-testid": "case" });
  root.append(heading, body, status, h("p", { class: "links" }, link("/risk", t("back"))));
  const load = async () => {
    try {
      const { fraudCase: c, timeline } = await api.fraudAnalyst.getCase({ caseId: id });
      if (!c) return;
      heading.textContent = c.summary || kindOf(c);
      const facts = card(h("dl", { class: "summary" },
        h("dt", null, t("status")), h("dd", { "data-testid": "case-state" }, statusOf(c.status)),
        h("dt", null, t("category")), h("dd", null, kindOf(c)),
        h("dt", null, t("riskScore")), h("dd", null, String(c.score)),
        h("dt", null, t("customer")), h("dd", null, link(`/customer/${encodeURIComponent(c.userId)}`, c.userId)),
        c.ticketId ? [h("dt", null, t("ticket")), h("dd", null, link(`/desk-ticket/${encodeURIComponent(c.ticketId)}`, c.ticketId))] : null,
        h("dt", null, t("createdAt")), h("dd", null, ts(c.openedAt)),
        c.resolvedAt ? [h("dt", null, t("resolution")), h("dd", null, `${ts(c.resolvedAt)} · ${c.resolutionNote}`)] : null));
      const events = card(h("h2", null, t("timeline")), timeline.length
        ? h("ol", { class: "timeline", "data-testid": "timeline" }, ...timeline.map((ev) => h("li", null,
            h("small", { class: "muted" }, ts(ev.occurredAt)), " ", h("code", null, ev.kind), " ",
            ev.description, ev.decision ? ` · ${enumName(DecisionSchema, ev.decision, "DECISION_")}` : "",
            ev.reasons.length ? h("small", { class: "muted" }, ` (${ev.reasons.map((r) => r.ruleId || r.description).join(", ")})`) : null,
            ev.actorId ? h("small", { class: "muted" }, ` · ${ev.actorId}`) : null)))
        : h("p", { class: "muted" }, t("none")));
      body.replaceChildren(h("div", { class: "grid" }, facts, events), c.status === CaseStatus.OPEN ? card(resolveForm(id, status, load)) : "");
    } catch (e) {
      showError(status, e);
    }
  };
  await load();
}

function resolveForm(caseId: string, status: ReturnType<typeof statusLine>, reload: () => Promise<void>): HTMLElement {
  const verdict = select(t("resolution"), "resolution", [[String(CaseResolution.CONFIRMED), t("cs_CONFIRMED")], [String(CaseResolution.FALSE_POSITIVE), t("cs_FALSE_POSITIVE")]]);
  const note = textarea(t("reason"), "caseNote", { required: true });
  const form = h("form", { class: "form", novalidate: true, "data-testid": "case-resolve" }, h("h2", null, t("resolveCase")), verdict.wrap, note.wrap, h("button", { type: "submit" }, t("resolveCase")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!note.input.value.trim()) return status.err(t("reasonRequired"));
    try {
      await api.fraudAnalyst.resolveCase({ caseId, resolution: Number(verdict.input.value), note: note.input.value.trim() });
      status.ok(t("caseResolved"));
      await reload();
    } catch (e) {
      showError(status, e);
    }
  });
  return form;
}

export async function rulesPage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  status.setAttribute("data-testid", "rules-status");
  const note = textarea(t("ruleNote"), "ruleNote", { required: true });
  const list = h("ul", { class: "list", "data-testid": "rules" });
  root.append(title(t("rules")), card(note.wrap, list, status), h("p", { class: "links" }, link("/risk", t("risk"))));
  const modes: RuleMode[] = [RuleMode.ENABLED, RuleMode.SHADOW, RuleMode.DISABLED];
  const modeName = (m: RuleMode) => tk(`mode_${enumName(RuleModeSchema, m, "RULE_MODE_")}`, "mode_UNSPECIFIED");
  const item = (r: Rule): HTMLElement => {
    const group = h("div", { class: "row toggles", role: "group", "aria-label": `${t("ruleMode")}: ${r.name || r.ruleId}` },
      ...modes.map((m) => {
        const b = h("button", { type: "button", class: m === r.mode ? "" : "secondary", "aria-pressed": m === r.mode ? "true" : "false", "data-mode": enumName(RuleModeSchema, m, "RULE_MODE_") }, modeName(m));
        b.addEventListener("click", async () => {
          if (m === r.mode) return;
          const why = note.input.value.trim();
          if (!why) {
            status.err(t("reasonRequired"));
            note.input.focus();
            return;
          }
          try {
            const res = await api.fraudAnalyst.updateRule({ ruleId: r.ruleId, expectedVersion: r.version, mode: m, note: why });
            if (res.rule) li.replaceWith(item(res.rule));
            status.ok(t("ruleUpdated"));
          } catch (e) {
            showError(status, e);
          }
        });
        return b;
      }));
    // Threshold, window and score: only what changed is sent, with the version edited (a rule
    // someone else changed meanwhile answers VERSION_CONFLICT) and the same reason as above.
    const number = (label: string, name: string, value: bigint | number) =>
      field(label, { name, type: "number", min: "0", step: "1", required: true, value: String(value) });
    const threshold = number(t("threshold"), "threshold", r.threshold);
    const windowS = number(t("window"), "windowS", r.windowS);
    const score = number(t("riskScore"), "score", r.score);
    const settings = h("form", { class: "form", "data-testid": "rule-settings" }, threshold.wrap, windowS.wrap, score.wrap,
      h("button", { type: "submit" }, t("save")));
    settings.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const why = note.input.value.trim();
      if (!why) {
        status.err(t("reasonRequired"));
        note.input.focus();
        return;
      }
      const changed: { threshold?: bigint; windowS?: bigint; score?: number } = {};
      if (BigInt(threshold.input.value) !== r.threshold) changed.threshold = BigInt(threshold.input.value);
      if (BigInt(windowS.input.value) !== r.windowS) changed.windowS = BigInt(windowS.input.value);
      if (Number(score.input.value) !== r.score) changed.score = Number(score.input.value);
      if (!Object.keys(changed).length) return;
      try {
        const res = await api.fraudAnalyst.updateRule({ ruleId: r.ruleId, expectedVersion: r.version, ...changed, note: why });
        if (res.rule) li.replaceWith(item(res.rule));
        status.ok(t("ruleUpdated"));
      } catch (e) {
        showError(status, e);
      }
    });
    const li = h("li", { class: "rule", "data-rule-id": r.ruleId },
      h("strong", null, r.name || r.ruleId), " ", h("span", { class: "badge", "data-testid": "rule-mode" }, modeName(r.mode)),
      r.description ? h("p", { class: "muted" }, r.description) : null,
      h("small", { class: "muted", "data-testid": "rule-figures" }, `${t("threshold")} ${r.threshold} · ${t("window")} ${r.windowS} · ${t("riskScore")} ${r.score} · ${t("version")} ${r.version}${r.updatedBy ? ` · ${r.updatedBy}` : ""} ${ts(r.updatedAt)}`),
      group, h("details", null, h("summary", null, t("editRule")), settings));
    return li;
  };
  try {
    const res = await api.fraudAnalyst.listRules({});
    list.replaceChildren(...res.rules.map(item));
    if (!res.rules.length) list.append(h("li", { class: "muted" }, t("none")));
  } catch (e) {
    showError(status, e);
  }
}
