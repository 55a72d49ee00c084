// A tiny DOM builder: text always goes in as text nodes (never HTML), so data from the API cannot
// inject markup.
type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      } else if (k === "class") {
        el.className = String(v);
      } else if (v === true) {
        el.setAttribute(k, "");
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

let fieldSeq = 0;

// A labelled input: <label for=...>text</label><input id=...>. Returns the wrapper and the input.
export function field(
  label: string,
  attrs: Attrs & { name: string },
  hint?: string,
): { wrap: HTMLElement; input: HTMLInputElement } {
  const id = `f-${attrs.name}-${++fieldSeq}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h("input", { id, "aria-describedby": hintId, ...attrs });
  const wrap = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    input,
    hint ? h("small", { id: hintId, class: "hint" }, hint) : null,
  );
  return { wrap, input };
}

export function textarea(label: string, name: string, attrs: Attrs = {}): { wrap: HTMLElement; input: HTMLTextAreaElement } {
  const id = `f-${name}-${++fieldSeq}`;
  const input = h("textarea", { id, name, rows: 3, ...attrs });
  return { wrap: h("div", { class: "field" }, h("label", { for: id }, label), input), input };
}

export function select(
  label: string,
  name: string,
  options: Array<[string, string]>,
): { wrap: HTMLElement; input: HTMLSelectElement } {
  const id = `f-${name}-${++fieldSeq}`;
  const input = h("select", { id, name }, ...options.map(([v, text]) => h("option", { value: v }, text)));
  return { wrap: h("div", { class: "field" }, h("label", { for: id }, label), input), input };
}

// A status line that screen readers announce.
export function statusLine(): HTMLElement & { ok(msg: string): void; err(msg: string): void; info(msg: string): void; reset(): void } {
  const el = h("p", { class: "status", role: "status", "aria-live": "polite" }) as unknown as HTMLElement & {
    ok(msg: string): void; err(msg: string): void; info(msg: string): void; reset(): void;
  };
  const set = (cls: string, msg: string) => {
    el.className = `status ${cls}`;
    el.setAttribute("role", cls === "error" ? "alert" : "status");
    el.textContent = msg;
  };
  el.ok = (m) => set("ok", m);
  el.err = (m) => set("error", m);
  el.info = (m) => set("info", m);
  el.reset = () => set("", "");
  return el;
}
