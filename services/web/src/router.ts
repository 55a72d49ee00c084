// Hash routes ("#/transfer?to=..."): the gateway serves one index.html, the hash picks the page.
export type Cleanup = () => void;
export type Page = (root: HTMLElement, q: URLSearchParams, path: string[]) => void | Cleanup | Promise<void | Cleanup>;

export function go(path: string): void {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = path;
}

export function current(): { path: string[]; q: URLSearchParams } {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [p, qs] = raw.split("?", 2);
  return { path: p.split("/").filter(Boolean).map(decodeURIComponent), q: new URLSearchParams(qs ?? "") };
}

export function link(path: string, text: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = `#${path}`;
  a.textContent = text;
  for (const [k, v] of Object.entries(attrs)) a.setAttribute(k, v);
  return a;
}
