// Two-step verification (TOTP): enrol by scanning the QR code of the otpauth URI (or the secret
// typed in, or the otpauth link), confirm
// with a code, keep the recovery codes; or turn it off with a code.
import { h, field, statusLine } from "../dom";
import { t } from "../i18n";
import { api } from "../api";
import { showError, title, card } from "../ui";
import { ts } from "./wallet";
import { qrSvg } from "../qr";

export async function securityPage(root: HTMLElement): Promise<void> {
  const status = statusLine();
  status.setAttribute("data-testid", "totp-status");
  root.append(title(t("twoFactor")));
  const body = h("div");
  root.append(card(body, status));
  let enabled = false;
  try {
    const { profile } = await api.auth.getProfile({});
    enabled = !!profile?.totpEnabled;
  } catch (e) {
    showError(status, e);
    return;
  }
  if (enabled) {
    const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true }, t("totpOrRecovery"));
    const form = h("form", { class: "form" }, h("p", null, t("twoFactorOn")), code.wrap, h("button", { type: "submit", class: "danger" }, t("twoFactorOff")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api.auth.disableTotp({ code: code.input.value.trim() });
        status.ok(t("twoFactorDisabled"));
        form.remove();
      } catch (e) {
        showError(status, e);
      }
    });
    body.append(form);
    return;
  }
  const start = h("button", { type: "button", "data-testid": "totp-start" }, t("twoFactorStart"));
  body.append(h("p", null, t("twoFactorIntro")), start);
  start.addEventListener("click", async () => {
    try {
      const res = await api.auth.beginTotpEnrollment({});
      const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true, maxlength: 6 }, t("codeHint"));
      const form = h("form", { class: "form", "data-testid": "totp-confirm" },
        h("p", null, t("twoFactorScan")),
        h("figure", { class: "qr-box", "data-testid": "totp-qr" }, qrSvg(res.otpauthUri, t("twoFactorQr"))),
        h("p", null, h("a", { href: res.otpauthUri }, t("twoFactorLink"))),
        h("p", null, `${t("twoFactorSecret")}: `, h("code", { "data-testid": "totp-secret", class: "secret" }, res.secret)),
        res.expiresAt ? h("p", { class: "muted" }, `${t("confirmBefore")}: ${ts(res.expiresAt)}`) : null,
        code.wrap, h("button", { type: "submit" }, t("confirm")));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const done = await api.auth.confirmTotpEnrollment({ code: code.input.value.trim() });
          body.replaceChildren(h("p", null, t("twoFactorEnabled")), h("p", null, t("recoveryCodesIntro")),
            h("ol", { class: "codes", "data-testid": "recovery-codes" }, ...done.recoveryCodes.map((c) => h("li", null, h("code", null, c)))));
          status.ok(t("twoFactorEnabled"));
        } catch (e) {
          showError(status, e);
        }
      });
      body.replaceChildren(form);
      code.input.focus();
    } catch (e) {
      showError(status, e);
    }
  });
}
