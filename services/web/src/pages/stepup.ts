// Verification codes and step-up: a "send code" button that respects the server's
// one-code-a-minute limit per destination (a visible countdown from retry_after_s, then the button
// works again), and the step-up prompt (a code to the verified contact, or the authenticator when
// two-step verification is on) that payments ask for with STEP_UP_REQUIRED.
import { h, field, statusLine } from "../dom";
import { t, lang } from "../i18n";
import { api, saveSession, session } from "../api";
import { showError } from "../ui";
import { reasonName, reasonOf } from "../errors";
import { devMailboxHelper } from "./auth";
import { CodePurpose, StepUpAction } from "../gen/uwallet/auth/v1/auth_pb";

type Status = ReturnType<typeof statusLine>;

// The button sends a code; while the server will not send another one it is disabled and a
// countdown says when it will (data-testid="code-countdown").
export function codeSender(destination: () => string, purpose: CodePurpose, status: Status, testid = "send-code"): HTMLElement {
  const btn = h("button", { type: "button", class: "secondary", "data-testid": testid }, t("sendCode"));
  const countdown = h("span", { class: "muted countdown", "data-testid": "code-countdown", "aria-live": "polite", hidden: true });
  let timer = 0;
  const wait = (seconds: number) => {
    window.clearInterval(timer);
    let left = Math.max(1, Math.ceil(seconds));
    btn.disabled = true;
    countdown.removeAttribute("hidden");
    const tick = () => {
      if (!btn.isConnected) return window.clearInterval(timer);
      if (left <= 0) {
        window.clearInterval(timer);
        btn.disabled = false;
        countdown.setAttribute("hidden", "");
        countdown.textContent = "";
        return;
      }
      countdown.textContent = t("resendIn", { s: left });
      left--;
    };
    tick();
    timer = window.setInterval(tick, 1000);
  };
  btn.addEventListener("click", async () => {
    try {
      const res = await api.auth.sendCode({ destination: destination(), purpose, locale: lang() });
      status.ok(t("codeSent", { dest: destination() }));
      if (res.retryAfterS > 0n) wait(Number(res.retryAfterS));
    } catch (e) {
      showError(status, e);
      const after = Number(reasonOf(e)?.metadata.retry_after_s ?? "");
      if (reasonName(e) === "RATE_LIMITED" && after > 0) wait(after);
    }
  });
  return h("div", { class: "row code-sender" }, btn, countdown);
}

// The contact step-up codes go to: the verified email, else the verified phone.
export async function stepUpDestination(): Promise<{ destination: string; totp: boolean }> {
  const { profile } = await api.auth.getProfile({});
  const destination = profile?.emailVerified ? profile.email : profile?.phoneVerified ? profile.phone : profile?.email || profile?.phone || "";
  return { destination, totp: !!profile?.totpEnabled };
}

// A form that proves it is the account owner again and hands the step-up token on. StepUp rotates
// the session token; the new one replaces the old.
export async function stepUpPrompt(action: StepUpAction, onToken: (token: string) => Promise<void> | void): Promise<HTMLElement> {
  const status = statusLine();
  status.setAttribute("data-testid", "stepup-status");
  let who = { destination: "", totp: false };
  try {
    who = await stepUpDestination();
  } catch (e) {
    showError(status, e);
  }
  const code = field(t("code"), { name: "stepupCode", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true, maxlength: 6 }, t("codeHint"));
  const useTotp = h("input", { type: "checkbox", id: "stepup-totp", checked: who.totp });
  // With the authenticator chosen, no code needs to be sent.
  const sender = codeSender(() => who.destination, CodePurpose.STEP_UP, status, "stepup-send-code");
  const devbox = h("div", null, devMailboxHelper(() => who.destination, code.input));
  const showSender = () => {
    sender.toggleAttribute("hidden", useTotp.checked);
    devbox.toggleAttribute("hidden", useTotp.checked);
  };
  useTotp.addEventListener("change", showSender);
  showSender();
  const form = h("form", { class: "form stepup", "data-testid": "stepup-form" },
    h("h2", null, t("stepUpTitle")),
    h("p", null, who.totp ? t("stepUpIntroTotp", { dest: who.destination }) : t("stepUpIntro", { dest: who.destination })),
    who.totp ? h("div", { class: "check" }, useTotp, h("label", { for: "stepup-totp" }, t("useAuthenticator"))) : null,
    sender,
    code.wrap,
    devbox,
    h("button", { type: "submit" }, t("confirm")),
    status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = code.input.value.trim();
    try {
      const up = await api.auth.stepUp({ proof: useTotp.checked ? { case: "totpCode", value } : { case: "code", value }, action });
      const s = session();
      if (s && up.session?.token) saveSession({ ...s, token: up.session.token });
      status.ok(t("stepUpDone"));
      await onToken(up.stepUpToken);
    } catch (e) {
      showError(status, e);
    }
  });
  return form;
}
