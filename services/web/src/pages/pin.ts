// Payment PIN set-up: a step-up code to the verified contact, then SetPaymentPin with the step-up
// token. StepUp rotates the session token; the new one replaces the old.
import { h, field, statusLine } from "../dom";
import { t, lang } from "../i18n";
import { api, saveSession, session } from "../api";
import { go } from "../router";
import { showError, title, card } from "../ui";
import { devMailboxHelper } from "./auth";
import { CodePurpose, StepUpAction } from "../gen/uwallet/auth/v1/auth_pb";

export async function pinPage(root: HTMLElement, q: URLSearchParams): Promise<void> {
  const status = statusLine();
  status.setAttribute("data-testid", "pin-status");
  root.append(title(t("setPin")));
  let destination = "";
  try {
    const { profile } = await api.auth.getProfile({});
    destination = profile?.emailVerified ? profile.email : profile?.phoneVerified ? profile.phone : profile?.email || profile?.phone || "";
  } catch (e) {
    showError(status, e);
  }
  const send = h("button", { type: "button", class: "secondary", "data-testid": "pin-send-code" }, t("sendCode"));
  const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true }, t("codeHint"));
  const pin = field(t("newPin"), { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 6, required: true }, t("pinHint"));
  const form = h("form", { class: "form", "data-testid": "pin-form" }, h("p", null, t("setPinIntro", { dest: destination })), send, code.wrap,
    h("div", { class: "devbox-slot" }), pin.wrap, h("button", { type: "submit" }, t("save")), status);
  send.addEventListener("click", async () => {
    try {
      await api.auth.sendCode({ destination, purpose: CodePurpose.STEP_UP, locale: lang() });
      status.ok(t("codeSent", { dest: destination }));
    } catch (e) {
      showError(status, e);
    }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!/^\d{6}$/.test(pin.input.value)) return status.err(t("pinInvalid"));
    try {
      const up = await api.auth.stepUp({ proof: { case: "code", value: code.input.value.trim() }, action: StepUpAction.SET_PAYMENT_PIN });
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
