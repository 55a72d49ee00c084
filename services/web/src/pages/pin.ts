// Payment PIN set-up: a step-up code to the verified contact, then SetPaymentPin with the step-up
// token (the send button counts down while the one-code-a-minute limit holds). StepUp rotates the session token; the new one replaces the old.
import { h, field, statusLine } from "../dom";
import { t } from "../i18n";
import { api, saveSession, session } from "../api";
import { go } from "../router";
import { showError, title, card } from "../ui";
import { devMailboxHelper } from "./auth";
import { codeSender, stepUpDestination } from "./stepup";
import { CodePurpose, StepUpAction } from "../gen/uwallet/auth/v1/auth_pb";

export async function pinPage(root: HTMLElement, q: URLSearchParams): Promise<void> {
  const status = statusLine();
  status.setAttribute("data-testid", "pin-status");
  root.append(title(t("setPin")));
  let destination = "";
  let totp = false;
  try {
    ({ destination, totp } = await stepUpDestination());
  } catch (e) {
    showError(status, e);
  }
  // With two-step verification on, the authenticator's code proves it is the owner too.
  const useTotp = h("input", { type: "checkbox", id: "pin-totp", name: "useTotp", checked: totp });
  const send = codeSender(() => destination, CodePurpose.STEP_UP, status, "pin-send-code");
  const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true }, t("codeHint"));
  const pin = field(t("newPin"), { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 6, required: true }, t("pinHint"));
  const form = h("form", { class: "form", "data-testid": "pin-form" }, h("p", null, t("setPinIntro", { dest: destination })),
    totp ? h("div", { class: "check" }, useTotp, h("label", { for: "pin-totp" }, t("useAuthenticator"))) : null, send, code.wrap,
    h("div", { class: "devbox-slot" }), pin.wrap, h("button", { type: "submit" }, t("save")), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!/^\d{6}$/.test(pin.input.value)) return status.err(t("pinInvalid"));
    try {
      const up = await api.auth.stepUp({ proof: useTotp.checked ? { case: "totpCode", value: code.input.value.trim() } : { case: "code", value: code.input.value.trim() }, action: StepUpAction.SET_PAYMENT_PIN });
      const s = session();
      if (s && up.session?.token) saveSession({ ...s, token: up.session.token });
      await api.payments.setPaymentPin({ pin: pin.input.value, stepUpToken: up.stepUpToken });
      status.ok(t("pinSet"));
      const next = q.get("next");
      if (next) setTimeout(() => go(`/${next}`), 800);
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(card(form));
  form.querySelector(".devbox-slot")!.replaceWith(devMailboxHelper(() => destination, code.input));
}
