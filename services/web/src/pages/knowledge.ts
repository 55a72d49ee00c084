// Staff knowledge: FAQ articles (every one listed with ListFaqArticles, unpublished ones included,
// or found by search; edit and create with UpsertFaqArticle, the version guarding against
// overwriting someone else's edit) and text modules (canned replies for the reply box).
import { h, field, select, statusLine, textarea } from "../dom";
import { t, lang } from "../i18n";
import { api } from "../api";
import { showError, title, card } from "../ui";
import { categoryOptions } from "./help";
import { ts } from "./wallet";
import { TicketCategory, type FaqArticle, type TextModule } from "../gen/uwallet/support/v1/support_pb";

const LOCALES: Array<[string, string]> = [["zh-CN", "中文"], ["en", "English"]];

export async function knowledgePage(root: HTMLElement): Promise<void> {
  root.append(title(t("knowledge")));
  root.append(faqCard(), await modulesCard());
}

function faqCard(): HTMLElement {
  const status = statusLine();
  status.setAttribute("data-testid", "faq-status");
  const q = field(t("faqSearch"), { name: "faqq", type: "search" });
  const hits = h("ul", { class: "list", "data-testid": "faq-hits" });
  const search = h("form", { class: "form", role: "search" }, q.wrap, h("button", { type: "submit" }, t("search")), hits);
  const editor = h("div", { "data-testid": "faq-editor" });
  // Every article, a page at a time: the only way back to an unpublished one.
  const all = h("ul", { class: "list", "data-testid": "faq-all" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("loadMore"));
  let next = "";
  const row = (a: FaqArticle): HTMLElement => {
    const edit = h("button", { type: "button", class: "link-button" }, t("edit"));
    edit.addEventListener("click", () => editor.replaceChildren(articleForm(a, status, loadAll)));
    return h("li", { "data-article": `${a.articleId}|${a.locale}` }, h("strong", null, a.title), " ",
      h("small", { class: "muted" }, `${a.locale} · ${t("version")} ${a.version}`), " ",
      a.published ? null : h("span", { class: "badge warn", "data-testid": "unpublished" }, t("unpublished")), " ", edit);
  };
  const loadPage = async (token: string) => {
    try {
      const res = await api.agent.listFaqArticles({ locale: "", pageSize: 50, pageToken: token });
      if (!token) all.replaceChildren();
      all.append(...res.articles.map(row));
      if (!all.children.length) all.append(h("li", { class: "muted" }, t("none")));
      next = res.nextPageToken;
      more.hidden = !next;
    } catch (e) {
      showError(status, e);
    }
  };
  const loadAll = () => loadPage("");
  more.addEventListener("click", () => void loadPage(next));
  void loadAll();
  const newBtn = h("button", { type: "button", class: "secondary", "data-testid": "faq-new" }, t("newArticle"));
  newBtn.addEventListener("click", () => editor.replaceChildren(articleForm(undefined, status, loadAll)));
  search.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.support.searchFaq({ query: q.input.value, locale: "", pageSize: 20 });
      hits.replaceChildren(...res.hits.map((x) => {
        const edit = h("button", { type: "button", class: "link-button" }, t("edit"));
        edit.addEventListener("click", async () => {
          try {
            const { article } = await api.support.getFaqArticle({ articleId: x.articleId, locale: x.locale });
            editor.replaceChildren(articleForm(article, status, loadAll));
          } catch (e) {
            showError(status, e);
          }
        });
        return h("li", null, h("strong", null, x.title), ` `, h("small", { class: "muted" }, x.locale), " ", edit);
      }));
      if (!res.hits.length) hits.append(h("li", { class: "muted" }, t("noHits")));
    } catch (e) {
      showError(status, e);
    }
  });
  return card(h("h2", null, t("faqEditor")), search, h("h3", null, t("allArticles")), all, more, newBtn, editor, status);
}

function articleForm(a: FaqArticle | undefined, status: ReturnType<typeof statusLine>, saved: () => Promise<void>): HTMLElement {
  const locale = select(t("language"), "articleLocale", LOCALES);
  locale.input.value = a?.locale || lang();
  const cat = select(t("category"), "articleCategory", categoryOptions());
  cat.input.value = String(a?.category || TicketCategory.OTHER);
  const ttl = field(t("articleTitle"), { name: "articleTitle", type: "text", required: true, maxlength: 200, value: a?.title ?? "" });
  const body = textarea(t("articleBody"), "articleBody", { required: true, rows: 8 });
  body.input.value = a?.body ?? "";
  const tags = field(t("tags"), { name: "articleTags", type: "text", value: a?.tags.join(", ") ?? "" });
  const pub = h("input", { type: "checkbox", id: "article-published", checked: a ? a.published : true });
  let current = a;
  const meta = h("p", { class: "muted" });
  const showMeta = () => meta.replaceChildren(current ? `${t("version")} ${current.version} · ${ts(current.updatedAt)}` : "");
  showMeta();
  const form = h("form", { class: "form", "data-testid": "faq-form" }, locale.wrap, cat.wrap, ttl.wrap, body.wrap, tags.wrap,
    h("div", { class: "check" }, pub, h("label", { for: "article-published" }, t("published"))), meta, h("button", { type: "submit" }, t("save")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const res = await api.agent.upsertFaqArticle({
        article: {
          articleId: current?.articleId ?? "",
          version: current?.version ?? 0n,
          locale: locale.input.value,
          category: Number(cat.input.value),
          title: ttl.input.value.trim(),
          body: body.input.value,
          tags: tags.input.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean),
          published: pub.checked,
        },
      });
      current = res.article;
      showMeta();
      status.ok(t("saved"));
      await saved();
    } catch (e) {
      showError(status, e);
    }
  });
  return form;
}

async function modulesCard(): Promise<HTMLElement> {
  const status = statusLine();
  status.setAttribute("data-testid", "modules-status");
  const list = h("ul", { class: "list", "data-testid": "modules" });
  const editor = h("div");
  const load = async () => {
    try {
      const res = await api.agent.listTextModules({ locale: "", query: "" });
      list.replaceChildren(...res.textModules.map((m) => {
        const edit = h("button", { type: "button", class: "link-button" }, t("edit"));
        edit.addEventListener("click", () => editor.replaceChildren(moduleForm(m, status, load)));
        return h("li", null, h("strong", null, m.name), " ", h("code", null, m.shortcut), " ", h("small", { class: "muted" }, m.locale), " ", edit);
      }));
      if (!res.textModules.length) list.append(h("li", { class: "muted" }, t("none")));
    } catch (e) {
      showError(status, e);
    }
  };
  const newBtn = h("button", { type: "button", class: "secondary", "data-testid": "module-new" }, t("newModule"));
  newBtn.addEventListener("click", () => editor.replaceChildren(moduleForm(undefined, status, load)));
  await load();
  return card(h("h2", null, t("textModules")), list, newBtn, editor, status);
}

function moduleForm(m: TextModule | undefined, status: ReturnType<typeof statusLine>, reload: () => Promise<void>): HTMLElement {
  const name = field(t("moduleName"), { name: "moduleName", type: "text", required: true, value: m?.name ?? "" });
  const shortcut = field(t("shortcut"), { name: "moduleShortcut", type: "text", required: true, value: m?.shortcut ?? "::" });
  const locale = select(t("language"), "moduleLocale", LOCALES);
  locale.input.value = m?.locale || lang();
  const body = textarea(t("moduleBody"), "moduleBody", { required: true, rows: 4 });
  body.input.value = m?.body ?? "";
  const form = h("form", { class: "form", "data-testid": "module-form" }, name.wrap, shortcut.wrap, locale.wrap, body.wrap, h("button", { type: "submit" }, t("save")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api.agent.upsertTextModule({ textModule: { textModuleId: m?.textModuleId ?? "", name: name.input.value.trim(), shortcut: shortcut.input.value.trim(), locale: locale.input.value, body: body.input.value } });
      status.ok(t("saved"));
      form.remove();
      await reload();
    } catch (e) {
      showError(status, e);
    }
  });
  return form;
}
