// Support stats for a period (the last 1, 7, 30 or 90 days; `#/stats?days=7`, 30 by default) as plain
// inline-SVG bar charts (no chart library): volume by category and channel, SLA met ratios, CSAT and
// self-service deflection, and the top questions.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { h, select, statusLine } from "../dom";
import { go } from "../router";
import { t, tk, lang } from "../i18n";
import { api } from "../api";
import { showError, title, card, enumName } from "../ui";
import { ChannelSchema, TicketCategorySchema } from "../gen/uwallet/support/v1/support_pb";

const SVG = "http://www.w3.org/2000/svg";

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Horizontal bars: a label, a bar scaled to the largest value, and the value as text. The numbers
// are also in a visually hidden list for screen readers.
export function barChart(label: string, rows: Array<{ name: string; value: number; text: string }>, max?: number): HTMLElement {
  const top = max ?? Math.max(1, ...rows.map((r) => r.value));
  const rowH = 34;
  const labelW = 170;
  const barW = 170;
  const width = labelW + barW + 60;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, width: "100%", role: "img", "aria-label": label, class: "chart" });
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const w = top > 0 ? Math.max(r.value > 0 ? 2 : 0, (r.value / top) * barW) : 0;
    svg.append(
      svgEl("text", { x: labelW - 8, y: y + 21, "text-anchor": "end", class: "chart-label" }, r.name),
      svgEl("rect", { x: labelW, y: y + 6, width: w.toFixed(1), height: rowH - 12, rx: 3, class: "chart-bar" }),
      svgEl("text", { x: labelW + w + 6, y: y + 21, class: "chart-value" }, r.text));
  });
  return h("figure", { class: "chart-box" }, h("figcaption", null, label), svg,
    h("ul", { class: "sr-only" }, ...rows.map((r) => h("li", null, `${r.name}: ${r.text}`))));
}

const pct = (x: number) => new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 0 }).format(x);

export const STATS_PERIODS_DAYS = [1, 7, 30, 90];

export async function statsPage(root: HTMLElement, q: URLSearchParams): Promise<void> {
  const status = statusLine();
  const asked = Number(q.get("days"));
  const days = STATS_PERIODS_DAYS.includes(asked) ? asked : 30;
  const period = select(t("period"), "days",
    STATS_PERIODS_DAYS.map((n): [string, string] => [String(n), n === 1 ? t("last24h") : t("lastDays", { n: String(n) })]));
  period.input.value = String(days);
  // A period is part of the address, so a view can be bookmarked or sent to a colleague.
  period.input.addEventListener("change", () => go(`/stats?days=${period.input.value}`));
  root.append(title(t("stats")), h("form", { class: "form period", "data-testid": "stats-period" }, period.wrap));
  const body = h("div", { class: "grid", "data-testid": "stats" });
  root.append(body, status);
  try {
    const end = new Date();
    const start = new Date(end.getTime() - days * 86400_000);
    const s = await api.agent.getSupportStats({ timeRange: { startTime: timestampFromDate(start), endTime: timestampFromDate(end) } });
    const cats = s.byCategory.map((c) => ({ name: tk(`cat_${enumName(TicketCategorySchema, c.category, "TICKET_CATEGORY_")}`, "cat_OTHER"), value: Number(c.count), text: String(c.count) }));
    const chans = s.byChannel.map((c) => ({ name: tk(`ch_${enumName(ChannelSchema, c.channel, "CHANNEL_")}`, "ch_UNSPECIFIED"), value: Number(c.count), text: String(c.count) }));
    const quality = [
      { name: t("slaFirst"), value: s.firstResponseSlaMetRatio, text: pct(s.firstResponseSlaMetRatio) },
      { name: t("slaResolution"), value: s.resolutionSlaMetRatio, text: pct(s.resolutionSlaMetRatio) },
      { name: t("deflection"), value: s.selfServiceDeflectionRatio, text: pct(s.selfServiceDeflectionRatio) },
    ];
    body.append(
      card(h("h2", null, t("ticketCount")), h("p", { class: "big", "data-testid": "ticket-count" }, String(s.ticketCount)),
        s.medianFirstResponseS > 0n ? h("p", { class: "muted" }, t("medianFirst", { min: Math.round(Number(s.medianFirstResponseS) / 60) })) : null),
      card(barChart(t("byCategory"), cats.length ? cats : [{ name: t("none"), value: 0, text: "0" }])),
      card(barChart(t("byChannel"), chans.length ? chans : [{ name: t("none"), value: 0, text: "0" }])),
      card(barChart("SLA", quality, 1),
        barChart(t("csat", { n: String(s.csatCount) }), [{ name: "CSAT", value: s.csatAverage, text: s.csatAverage ? s.csatAverage.toFixed(1) : "—" }], 5)),
      card(h("h2", null, t("topQuestions")), s.topQuestions.length
        ? h("ol", { class: "list" }, ...s.topQuestions.map((q) => h("li", null, q.question, " ", h("span", { class: "badge" }, String(q.count)))))
        : h("p", { class: "muted" }, t("none"))));
  } catch (e) {
    showError(status, e);
  }
}
