// Shared bits for pages: error display that also ends a dead session, headings, cards.
import { Code, ConnectError } from "@connectrpc/connect";
import { h } from "./dom";
import { explain, reasonName } from "./errors";
import { saveSession } from "./api";
import { go } from "./router";

type Status = { err(msg: string): void };

// Shows the sentence for a failed call; a session the gateway no longer accepts is dropped and the
// person is sent to sign in again.
export function showError(status: Status, e: unknown): void {
  status.err(explain(e));
  const reason = reasonName(e);
  const code = ConnectError.from(e).code;
  if (reason === "SESSION_EXPIRED" || (code === Code.Unauthenticated && reason === "SIGN_IN_REQUIRED")) {
    saveSession(null);
    setTimeout(() => go("/signin"), 1500);
  }
}

export function title(text: string): HTMLElement {
  return h("h1", null, text);
}

export function card(...children: Array<Node | string | null | false | undefined>): HTMLElement {
  return h("section", { class: "card" }, ...children);
}

export function enumName(schema: { values: Array<{ number: number; name: string }> }, n: number, prefix: string): string {
  const v = schema.values.find((x) => x.number === n);
  return v ? v.name.replace(prefix, "") : "UNSPECIFIED";
}
