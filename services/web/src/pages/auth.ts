// Sign in (with the second factor when challenged), sign up + verify, forgot password, and the
// stolen-account switch.
import { h, field, statusLine, textarea } from "../dom";
import { t, lang } from "../i18n";
import { api, device, deviceToken, devMailboxCode, keepDeviceToken, saveSession, session, idempotencyKey, startPage } from "../api";
import { go, link } from "../router";
import { showError, title, card } from "../ui";
import { CodePurpose, SecondFactorMethod, type Session } from "../gen/uwallet/auth/v1/auth_pb";
import { explain } from "../errors";

async function startSession(s: Session, next: string | null): Promise<void> {
  keepDeviceToken(s.deviceToken);
  const headers = { authorization: `Bearer ${s.token}` };
  saveSession({ token: s.token, userId: s.userId, roles: [], displayName: "" });
  try {
    const { profile } = await api.auth.getProfile({}, { headers });
    saveSession({ token: s.token, userId: s.userId, roles: profile?.roles ?? [], displayName: profile?.displayName ?? "" });
  } catch {
    // the profile is a nicety here; home shows what is unavailable
  }
  const st = session();
  go(next ? `/${next}` : `/${startPage(st)}`);
}

// A "get the code from the dev mailbox" button, shown only when the suite runs with the dev
// mailbox (local mode): probed once with the destination.
export function devMailboxHelper(destination: () => string, input: HTMLInputElement): HTMLElement {
  const status = statusLine();
  const box = h("div", { class: "devbox", hidden: true, "data-testid": "devbox" });
  const btn = h("button", { type: "button", class: "secondary", "data-testid": "fetch-code" }, t("fetchCode"));
  btn.addEventListener("click", async () => {
    try {
      const code = await devMailboxCode(destination());
      if (!code) return status.info(t("noCodeYet"));
      input.value = code;
      status.ok(t("codeFilled"));
      input.focus();
    } catch (e) {
      showError(status, e);
    }
  });
  box.append(h("p", { class: "hint" }, t("devMailboxHint")), btn, status);
  // Probe: DevMailboxService is only routed in local mode.
  api.mailbox.listMessages({ destination: destination() || "probe@example.invalid", pageSize: 1 }).then(
    () => box.removeAttribute("hidden"),
    () => box.setAttribute("hidden", ""),
  );
  return box;
}

export function signInPage(root: HTMLElement, q: URLSearchParams): void {
  const status = statusLine();
  const id = field(t("phoneOrEmail"), { name: "identifier", type: "text", autocomplete: "username", required: true, value: q.get("id") ?? "" });
  const pw = field(t("password"), { name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "form", novalidate: true, "data-testid": "signin-form" }, id.wrap, pw.wrap,
    h("button", { type: "submit" }, t("signIn")), status);
  if (q.get("verified")) status.ok(t("verified"));
  if (q.get("reset")) status.ok(t("resetDone"));
  const next = q.get("next");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.info(t("loading"));
    try {
      const res = await api.auth.login({ identifier: id.input.value.trim(), password: pw.input.value, device: device(), deviceToken: deviceToken() });
      if (res.result.case === "session") return startSession(res.result.value, next);
      if (res.result.case === "challenge") return secondFactor(root, res.result.value.challengeId, res.result.value.methods, res.result.value.maskedDestination, id.input.value.trim(), next);
      status.err(explain(new Error("no session and no challenge")));
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(
    title(t("signIn")),
    card(form),
    h("p", { class: "links" }, link("/signup", t("signUp")), " · ", link("/forgot", t("forgot")), " · ", link("/stolen", t("stolen"))),
  );
}

function secondFactor(root: HTMLElement, challengeId: string, methods: SecondFactorMethod[], masked: string, identifier: string, next: string | null): void {
  root.replaceChildren();
  const status = statusLine();
  const contact = methods.includes(SecondFactorMethod.CONTACT_CODE);
  const totp = methods.includes(SecondFactorMethod.TOTP);
  const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true }, t("codeHint"));
  const useRecovery = h("input", { type: "checkbox", id: "use-recovery" });
  const form = h("form", { class: "form", "data-testid": "second-factor" },
    h("p", null, contact && !totp ? t("secondFactorIntro", { dest: masked }) : t("secondFactorIntroTotp")),
    code.wrap,
    methods.includes(SecondFactorMethod.RECOVERY_CODE) ? h("div", { class: "check" }, useRecovery, h("label", { for: "use-recovery" }, t("recoveryCode"))) : null,
    contact ? devMailboxHelper(() => identifier, code.input) : null,
    h("button", { type: "submit" }, t("continue")), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = code.input.value.trim();
    const factor = useRecovery.checked
      ? { case: "recoveryCode" as const, value }
      : totp ? { case: "totpCode" as const, value } : { case: "contactCode" as const, value };
    try {
      const res = await api.auth.completeSecondFactor({ challengeId, factor });
      if (res.session) await startSession(res.session, next);
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("secondFactorTitle")), card(form));
  code.input.focus();
}

export function signUpPage(root: HTMLElement): void {
  const status = statusLine();
  const kindName = "contact-kind";
  const radio = (value: string, label: string, checked: boolean) => {
    const idv = `kind-${value}`;
    return h("span", { class: "radio" }, h("input", { type: "radio", name: kindName, id: idv, value, checked }), h("label", { for: idv }, label));
  };
  const contact = field(t("email"), { name: "contact", type: "email", autocomplete: "email", required: true });
  const kinds = h("fieldset", { class: "field" }, h("legend", null, t("contactKind")), radio("email", t("email"), true), radio("phone", t("phone"), false));
  const hint = h("small", { class: "hint" });
  contact.wrap.appendChild(hint);
  kinds.addEventListener("change", () => {
    const phone = (kinds.querySelector("input:checked") as HTMLInputElement).value === "phone";
    contact.wrap.querySelector("label")!.textContent = phone ? t("phone") : t("email");
    contact.input.type = phone ? "tel" : "email";
    contact.input.autocomplete = phone ? "tel" : "email";
    hint.textContent = phone ? t("phoneHint") : "";
  });
  const name = field(t("displayName"), { name: "displayName", type: "text", autocomplete: "nickname", required: true });
  const pw = field(t("password"), { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 8 }, t("passwordHint"));
  const form = h("form", { class: "form", novalidate: true, "data-testid": "signup-form" }, kinds, contact.wrap, name.wrap, pw.wrap, h("button", { type: "submit" }, t("signUp")), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const phone = (kinds.querySelector("input:checked") as HTMLInputElement).value === "phone";
    const value = contact.input.value.trim();
    status.info(t("loading"));
    try {
      await api.auth.register({
        contact: phone ? { case: "phone", value } : { case: "email", value },
        password: pw.input.value,
        displayName: name.input.value.trim(),
        locale: lang(),
      });
      go(`/verify?dest=${encodeURIComponent(value)}&new=1`);
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("signUp")), card(form), h("p", { class: "links" }, link("/signin", t("signIn"))));
}

export function verifyPage(root: HTMLElement, q: URLSearchParams): void {
  const dest = q.get("dest") ?? "";
  const status = statusLine();
  if (q.get("new")) status.ok(t("registered"));
  const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true, maxlength: 6 }, t("codeHint"));
  const resend = h("button", { type: "button", class: "secondary" }, t("sendCode"));
  resend.addEventListener("click", async () => {
    try {
      await api.auth.sendCode({ destination: dest, purpose: CodePurpose.VERIFY_CONTACT, locale: lang() });
      status.ok(t("codeSent", { dest }));
    } catch (e) {
      showError(status, e);
    }
  });
  const form = h("form", { class: "form", "data-testid": "verify-form" }, h("p", null, t("verifyIntro", { dest })), code.wrap,
    devMailboxHelper(() => dest, code.input), h("div", { class: "row" }, h("button", { type: "submit" }, t("verify")), resend), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api.auth.verifyContact({ destination: dest, code: code.input.value.trim() });
      if (session()) {
        status.ok(t("verified"));
        go("/home");
      } else go(`/signin?id=${encodeURIComponent(dest)}&verified=1`);
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("verifyTitle")), card(form));
}

export function forgotPage(root: HTMLElement): void {
  const status = statusLine();
  status.setAttribute("data-testid", "forgot-status");
  const dest = field(t("phoneOrEmail"), { name: "destination", type: "text", autocomplete: "username", required: true });
  const step1 = h("form", { class: "form" }, h("p", null, t("resetIntro")), dest.wrap, h("button", { type: "submit" }, t("sendCode")));
  const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true }, t("codeHint"));
  const pw = field(t("newPassword"), { name: "newPassword", type: "password", autocomplete: "new-password", required: true }, t("passwordHint"));
  const step2 = h("form", { class: "form", hidden: true, "data-testid": "reset-form" }, code.wrap, devMailboxHelper(() => dest.input.value.trim(), code.input), pw.wrap, h("button", { type: "submit" }, t("resetTitle")));
  step1.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api.auth.sendCode({ destination: dest.input.value.trim(), purpose: CodePurpose.RESET_PASSWORD, locale: lang() });
      status.ok(t("codeSent", { dest: dest.input.value.trim() }));
      step2.removeAttribute("hidden");
      code.input.focus();
    } catch (e) {
      showError(status, e);
    }
  });
  step2.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api.auth.resetPassword({ destination: dest.input.value.trim(), code: code.input.value.trim(), newPassword: pw.input.value });
      go(`/signin?id=${encodeURIComponent(dest.input.value.trim())}&reset=1`);
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("resetTitle")), card(step1, step2, status));
}

export function stolenPage(root: HTMLElement): void {
  const signedIn = !!session();
  const status = statusLine();
  const key = idempotencyKey();
  const dest = field(t("stolenContact"), { name: "destination", type: "text", required: true });
  const code = field(t("code"), { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code" }, t("codeHint"));
  const desc = textarea(t("stolenDescription"), "description");
  const send = h("button", { type: "button", class: "secondary" }, t("sendCode"));
  send.addEventListener("click", async () => {
    try {
      await api.auth.sendCode({ destination: dest.input.value.trim(), purpose: CodePurpose.REPORT_STOLEN, locale: lang() });
      status.ok(t("codeSent", { dest: dest.input.value.trim() }));
    } catch (e) {
      showError(status, e);
    }
  });
  const proof = signedIn ? null : h("div", null, dest.wrap, send, code.wrap, devMailboxHelper(() => dest.input.value.trim(), code.input));
  const confirmBox = h("div", { class: "confirm", hidden: true, role: "alertdialog", "aria-labelledby": "stolen-confirm-title" },
    h("h2", { id: "stolen-confirm-title" }, t("stolenConfirmTitle")), h("p", null, t("stolenConfirmText")));
  const yes = h("button", { type: "button", class: "danger", "data-testid": "stolen-yes" }, t("stolenConfirm"));
  const no = h("button", { type: "button", class: "secondary" }, t("cancel"));
  confirmBox.append(h("div", { class: "row" }, yes, no));
  const form = h("form", { class: "form" }, h("p", null, t("stolenIntro")), proof, desc.wrap, h("button", { type: "submit", class: "danger" }, t("continue")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    confirmBox.removeAttribute("hidden");
    yes.focus();
  });
  no.addEventListener("click", () => confirmBox.setAttribute("hidden", ""));
  yes.addEventListener("click", async () => {
    try {
      const res = await api.fraud.reportAccountStolen({
        idempotencyKey: key,
        contactProof: signedIn ? undefined : { destination: dest.input.value.trim(), code: code.input.value.trim() },
        description: desc.input.value,
      });
      confirmBox.setAttribute("hidden", "");
      status.ok(t("stolenDone", { ticket: res.ticketId || res.caseId }));
      if (signedIn) saveSession(null);
    } catch (e) {
      showError(status, e);
    }
  });
  root.append(title(t("stolenTitle")), card(form, confirmBox, status));
}
