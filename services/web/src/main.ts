import "./style.css";
import { h, clear } from "./dom";
import { t, lang, setLang, type Key } from "./i18n";
import { api, session, saveSession, isStaff, startPage } from "./api";
import { Role } from "./gen/uwallet/common/v1/common_pb";
import { current, go, type Cleanup, type Page } from "./router";
import { signInPage, signUpPage, verifyPage, forgotPage, stolenPage } from "./pages/auth";
import { homePage, topUpPage, transferPage, historyPage, alertsPage, sessionsPage, withdrawPage, payQrPage } from "./pages/wallet";
import { helpPage, ticketsPage, ticketPage } from "./pages/help";
import { pinPage } from "./pages/pin";
import { securityPage } from "./pages/security";
import { deskPage, deskTicketPage, customerPage } from "./pages/staff";
import { cardsPage, txPage } from "./pages/money";
import { knowledgePage } from "./pages/knowledge";
import { statsPage } from "./pages/stats";
import { merchantRefundsPage } from "./pages/refunds";
import { riskPage, riskCasePage, rulesPage } from "./pages/risk";

interface Route {
  page: Page;
  auth: "anon" | "user" | "staff" | "any";
}

const routes: Record<string, Route> = {
  signin: { page: signInPage, auth: "anon" },
  signup: { page: signUpPage, auth: "anon" },
  verify: { page: verifyPage, auth: "any" },
  forgot: { page: forgotPage, auth: "anon" },
  stolen: { page: stolenPage, auth: "any" },
  home: { page: homePage, auth: "user" },
  topup: { page: topUpPage, auth: "user" },
  transfer: { page: transferPage, auth: "user" },
  withdraw: { page: withdrawPage, auth: "user" },
  pay: { page: payQrPage, auth: "user" },
  history: { page: historyPage, auth: "user" },
  help: { page: helpPage, auth: "any" },
  tickets: { page: ticketsPage, auth: "user" },
  ticket: { page: ticketPage, auth: "user" },
  alerts: { page: alertsPage, auth: "user" },
  sessions: { page: sessionsPage, auth: "user" },
  pin: { page: pinPage, auth: "user" },
  security: { page: securityPage, auth: "user" },
  desk: { page: deskPage, auth: "staff" },
  "desk-ticket": { page: deskTicketPage, auth: "staff" },
  customer: { page: customerPage, auth: "staff" },
  cards: { page: cardsPage, auth: "user" },
  tx: { page: txPage, auth: "user" },
  knowledge: { page: knowledgePage, auth: "staff" },
  stats: { page: statsPage, auth: "staff" },
  risk: { page: riskPage, auth: "staff" },
  "risk-case": { page: riskCasePage, auth: "staff" },
  rules: { page: rulesPage, auth: "staff" },
  refunds: { page: merchantRefundsPage, auth: "user" },
};

const app = document.getElementById("app")!;
let cleanup: Cleanup | void;

function navItems(): Array<[string, Key]> {
  const s = session();
  if (!s) return [["/signin", "signIn"], ["/signup", "signUp"], ["/help", "help"], ["/stolen", "stolen"]];
  const items: Array<[string, Key]> = [
    ["/home", "home"], ["/topup", "topUp"], ["/transfer", "transfer"], ["/pay", "payQr"], ["/withdraw", "withdraw"], ["/history", "history"], ["/cards", "cards"],
    ["/help", "help"], ["/tickets", "tickets"], ["/alerts", "alerts"], ["/sessions", "sessions"], ["/security", "twoFactor"], ["/stolen", "stolen"],
  ];
  // Merchants answer their customers' refund requests; a merchant-only account has no wallet pages.
  const merchant: Array<[string, Key]> = s.roles.includes(Role.MERCHANT) ? [["/refunds", "refundRequests"]] : [];
  if (!isStaff(s)) {
    return merchant.length && !s.roles.includes(Role.CUSTOMER) ? [...merchant, ["/help", "help"]] : [...merchant, ...items];
  }
  // Staff pages by role: agents (and admins) the desk, knowledge and stats; analysts (and admins)
  // risk cases and rules. Staff accounts (no customer role) have no wallet.
  const staff: Array<[string, Key]> = [];
  const agent = s.roles.includes(Role.AGENT) || s.roles.includes(Role.ADMIN);
  const analyst = s.roles.includes(Role.ANALYST) || s.roles.includes(Role.ADMIN);
  if (agent) staff.push(["/desk", "desk"], ["/knowledge", "knowledge"], ["/stats", "stats"]);
  if (analyst) staff.push(["/risk", "risk"], ["/rules", "rules"]);
  if (!s.roles.includes(Role.CUSTOMER)) return [...staff, ...merchant, ["/help", "help"]];
  return [...staff, ...merchant, ...items];
}

function layout(active: string): HTMLElement {
  const s = session();
  const header = h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: s ? (isStaff(s) ? "#/desk" : "#/home") : "#/signin" }, t("appName")),
    h(
      "div",
      { class: "top-actions" },
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          "data-testid": "lang",
          lang: lang() === "en" ? "zh-CN" : "en",
          "aria-label": `${t("language")}: ${t("switchLang")}`,
          onclick: () => {
            setLang(lang() === "en" ? "zh-CN" : "en");
            render();
          },
        },
        t("switchLang"),
      ),
      s
        ? h(
            "button",
            {
              type: "button",
              class: "link-button",
              "data-testid": "signout",
              onclick: async () => {
                try {
                  await api.auth.logout({});
                } catch {
                  // the session may already be gone; signing out locally is what matters
                }
                saveSession(null);
                go("/signin");
              },
            },
            t("signOut"),
          )
        : null,
    ),
  );
  const nav = h(
    "nav",
    { class: "nav", "aria-label": t("appName") },
    h(
      "ul",
      null,
      ...navItems().map(([path, key]) =>
        h("li", null, h("a", { href: `#${path}`, "aria-current": path === `/${active}` ? "page" : null }, t(key))),
      ),
    ),
  );
  return h("div", { class: "shell" }, header, nav);
}

async function render(): Promise<void> {
  if (cleanup) {
    try {
      cleanup();
    } catch {
      /* ignore */
    }
    cleanup = undefined;
  }
  document.documentElement.lang = lang();
  document.title = t("appName");
  const skip = document.querySelector<HTMLAnchorElement>("a.skip");
  if (skip) skip.textContent = t("skip");
  const { path, q } = current();
  const s = session();
  let name = path[0] ?? "";
  if (!name) name = s ? (startPage(s)) : "signin";
  const route = routes[name];
  clear(app);
  app.appendChild(layout(name));
  const main = h("main", { id: "main", tabindex: "-1", class: "main" });
  app.appendChild(main);
  if (!route) {
    main.appendChild(h("p", { class: "status error", role: "alert" }, t("notFoundPage")));
    return;
  }
  if (route.auth === "user" && !s) return go(`/signin?next=${encodeURIComponent(name)}`);
  if (route.auth === "staff" && !s) return go("/signin?next=desk");
  if (route.auth === "staff" && !isStaff(s)) {
    main.appendChild(h("p", { class: "status error", role: "alert" }, t("staffOnly")));
    return;
  }
  if (route.auth === "anon" && s) return go(`/${startPage(s)}`);
  try {
    cleanup = await route.page(main, q, path.slice(1));
  } catch (e) {
    main.appendChild(h("p", { class: "status error", role: "alert" }, String(e)));
  }
  // Move focus to the new page for keyboard and screen-reader users (not on first load).
  const heading = main.querySelector("h1");
  if (heading && document.activeElement && document.activeElement !== document.body) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

window.addEventListener("hashchange", () => void render());
void render();
