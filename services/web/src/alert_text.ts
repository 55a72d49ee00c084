// An alert in the current language, worded from its message key and arguments (fraud's
// "Alert messages" in services/fraud/README.md, like APNs loc-key / loc-args). An alert whose key
// this console does not know (older alerts have none) keeps the English title and body fraud wrote.
import { t, tk, has, lang, type Key } from "./i18n";
import { formatMoney } from "./money";
import { reasonSentence } from "./errors";
import type { Alert } from "./gen/uwallet/fraud/v1/fraud_pb";

// Which body a key takes, from its arguments (a named device, a known payee, part refunded...).
function bodyKey(key: string, args: Record<string, string>): string {
  switch (key) {
    case "new_device":
      return args.device_name ? "al_new_device_body_named" : "al_new_device_body";
    case "device_forgotten":
      return args.device_name ? "al_device_forgotten_body_named" : "al_device_forgotten_body";
    case "payment_held":
      return args.amount_minor ? "al_payment_held_body_amount" : "al_payment_held_body";
    case "payment_failed":
      return args.payment_kind === "top_up" ? "al_payment_failed_body_topup" : "al_payment_failed_body";
    case "schedule_run_failed":
      return args.payee ? "al_schedule_run_failed_body_payee" : "al_schedule_run_failed_body";
    case "refund_request_declined":
      return args.refunded_minor && args.refunded_minor !== "0" ? "al_refund_request_declined_body_part" : "al_refund_request_declined_body";
    default:
      return `al_${key}_body`;
  }
}

export function alertText(a: Alert): { title: string; body: string } {
  const key = a.messageKey;
  const title = `al_${key}_title`;
  const body = bodyKey(key, a.messageArgs);
  if (!key || !has(title) || !has(body)) return { title: a.title, body: a.body };
  const args = a.messageArgs;
  const money = (name: string): string => {
    const v = args[name] ?? "";
    return /^-?\d+$/.test(v) ? formatMoney(BigInt(v), args.currency || "CNY", lang()) : "";
  };
  const reason = args.reason ?? "";
  const params = {
    amount: money("amount_minor"),
    refunded: money("refunded_minor"),
    device: args.device_name ?? "",
    payee: args.payee ?? "",
    merchantReason: args.merchant_reason ?? "",
    why: reasonSentence(reason) || t("al_reason_other", { reason: reason || "—" }),
    what: tk(`al_noun_${args.payment_kind ?? ""}`, "al_noun_payment"),
  };
  return { title: t(title as Key, params), body: t(body as Key, params) };
}
