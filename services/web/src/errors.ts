// Every failure becomes a sentence a person understands, in the current language: the
// google.rpc.ErrorInfo reason (with its metadata) first, then the status code. Never a raw code.
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";
import { lang, formatTime } from "./i18n";

type Meta = Record<string, string>;
type Msg = (m: Meta) => string;
type Table = Record<string, Msg>;

const when = (m: Meta, key: string) => {
  const v = m[key];
  if (!v) return "";
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : formatTime(d);
};
const wait = (m: Meta) => {
  const s = Number(m.retry_after_s ?? "");
  return Number.isFinite(s) && s > 0 ? Math.ceil(s) : 0;
};

const attemptsLeft = (m: Meta) => (m.attempts_left === "1" ? "1 attempt left." : `${m.attempts_left} attempts left.`);

const zh: Table = {
  INVALID_FIELD: (m) => (m.field ? `“${m.field}”填写得不对，请检查后再试。` : "有一项填写得不对，请检查后再试。"),
  AMOUNT_INVALID: () => "金额不正确：必须大于 0，且不超过上限。",
  CURRENCY_MISMATCH: () => "币种不一致或不受支持。",
  PAGE_TOKEN_INVALID: () => "列表已过期，请刷新后重试。",
  IDEMPOTENCY_KEY_REUSED: () => "这笔操作和之前的一笔冲突了，请重新发起。",
  RATE_LIMITED: (m) => (wait(m) ? `操作太频繁了，请 ${wait(m)} 秒后再试。` : "操作太频繁了，请稍后再试。"),
  NOT_FOUND: () => "找不到相应的内容。",
  INVALID_STATE: () => "当前状态下不能进行这个操作。",
  VERSION_CONFLICT: () => "内容已被别人修改，请刷新后重试。",
  ROLE_REQUIRED: () => "你的账户没有权限进行这个操作。",
  ROLE_NOT_ALLOWED: () => "你的账户没有权限进行这个操作。",
  INVALID_CREDENTIALS: () => "账号或密码不正确。",
  ACCOUNT_LOCKED: (m) =>
    m.locked_until ? `密码错误次数过多，账户已锁定，${when(m, "locked_until")} 后可再试，或通过“忘记密码”重设。` : "账户已锁定。请通过“忘记密码”重设密码，或联系客服解锁。",
  ACCOUNT_FROZEN: () => "账户已冻结，暂时不能登录或付款。请联系客服。",
  SESSION_EXPIRED: () => "登录已过期，请重新登录。",
  SIGN_IN_REQUIRED: () => "请先登录。",
  CODE_INVALID: (m) => (m.attempts_left ? `验证码不正确，还可以再试 ${m.attempts_left} 次。` : "验证码不正确。"),
  CODE_EXPIRED: () => "验证码已过期或已使用，请重新获取。",
  PASSWORD_TOO_WEAK: (m) => (m.rule === "common" ? "这个密码太常见了，请换一个。" : "密码需要 8 到 128 个字符。"),
  CONTACT_ALREADY_REGISTERED: () => "这个手机号或邮箱已经注册过了，请直接登录。",
  CONTACT_NOT_VERIFIED: () => "请先验证你的手机号或邮箱，才能转账或付款。",
  STEP_UP_REQUIRED: () => "这个操作需要再次验证身份。",
  CHALLENGE_EXPIRED: () => "二次验证已过期，请重新登录。",
  TOTP_ALREADY_ENABLED: () => "两步验证已经开启了。",
  TOTP_NOT_ENABLED: () => "两步验证尚未开启。",
  USER_NOT_FOUND: () => "找不到这个用户。",
  INSUFFICIENT_FUNDS: () => "余额不足。",
  ACCOUNT_NOT_FOUND: () => "找不到这个钱包账户。",
  SAME_ACCOUNT: () => "不能转给同一个账户。",
  WRONG_PIN: (m) => (m.attempts_left ? `支付密码不正确，还可以再试 ${m.attempts_left} 次。` : "支付密码不正确。"),
  PIN_LOCKED: (m) =>
    m.locked_until ? `支付密码错误次数过多，付款已暂停，${when(m, "locked_until")} 后可再试。` : "支付密码错误次数过多，付款已暂停，请稍后再试。",
  PIN_NOT_SET: () => "你还没有设置支付密码，请先设置。",
  PAYEE_NOT_FOUND: () => "找不到这个收款人，请核对手机号或邮箱。",
  SELF_TRANSFER: () => "不能转账给自己。",
  LIMIT_EXCEEDED: (m) => (m.limit === "daily_count" ? "今天的转账次数已达上限。" : m.limit === "daily_amount" ? "今天的转账金额已达上限。" : "超过了单笔限额。"),
  RISK_DECLINED: () => "为了你的资金安全，这笔付款未能完成。如有疑问请联系客服。",
  CARD_DECLINED: () => "银行拒绝了这笔交易，请换一张卡或联系银行。",
  BANK_UNAVAILABLE: () => "暂时连不上银行，请稍后再试。",
  CARD_INVALID: () => "卡号或有效期不正确。",
  CARD_NOT_FOUND: () => "找不到这张银行卡。",
  PAYMENT_NOT_FOUND: () => "找不到这笔付款。",
  REFUND_EXCEEDS_PAYMENT: () => "退款金额超过了可退金额。",
  REFUND_REQUEST_NOT_FOUND: () => "找不到这个退款申请。",
  REFUND_REQUEST_NOT_OPEN: () => "这个退款申请已经处理过了。",
  REFUND_EXCEEDS_REQUEST: () => "退款金额超过了申请中剩余的金额。",
  MERCHANT_NOT_FOUND: () => "找不到这个商户。",
  QR_CODE_INVALID: () => "这个二维码无法识别。",
  QR_CODE_EXPIRED: () => "这个二维码已过期或已付款。",
  ATTACHMENT_TYPE_NOT_ALLOWED: () => "附件只能是图片或 PDF。",
  ATTACHMENT_TOO_LARGE: () => "附件太大了（最大 5 MB）。",
  TOO_MANY_ATTACHMENTS: () => "附件太多了（最多 10 个）。",
  REOPEN_WINDOW_CLOSED: () => "这个工单已超过可重新打开的期限，请新建一个工单。",
  DISPUTE_ALREADY_OPEN: () => "这笔交易已经有一个处理中的争议了。",
  DEPENDENCY_UNAVAILABLE: () => "服务暂时不可用，请稍后再试。",
};

const en: Table = {
  INVALID_FIELD: (m) => (m.field ? `“${m.field}” is not filled in correctly. Check it and try again.` : "Something is not filled in correctly. Check and try again."),
  AMOUNT_INVALID: () => "That amount is not valid: it must be above 0 and within the limit.",
  CURRENCY_MISMATCH: () => "The currencies do not match or are not supported.",
  PAGE_TOKEN_INVALID: () => "The list is out of date. Refresh and try again.",
  IDEMPOTENCY_KEY_REUSED: () => "This clashes with an earlier operation. Please start again.",
  RATE_LIMITED: (m) => (wait(m) ? `Too many attempts. Try again in ${wait(m)} seconds.` : "Too many attempts. Try again in a moment."),
  NOT_FOUND: () => "We could not find that.",
  INVALID_STATE: () => "That cannot be done in the current state.",
  VERSION_CONFLICT: () => "Someone else changed this. Refresh and try again.",
  ROLE_REQUIRED: () => "Your account is not allowed to do this.",
  ROLE_NOT_ALLOWED: () => "Your account is not allowed to do this.",
  INVALID_CREDENTIALS: () => "The phone, email or password is not right.",
  ACCOUNT_LOCKED: (m) =>
    m.locked_until ? `Too many wrong passwords: the account is locked until ${when(m, "locked_until")}. You can also reset your password.` : "The account is locked. Reset your password or contact support to unlock it.",
  ACCOUNT_FROZEN: () => "This account is frozen: no sign-in or payments for now. Please contact support.",
  SESSION_EXPIRED: () => "Your session has ended. Please sign in again.",
  SIGN_IN_REQUIRED: () => "Please sign in first.",
  CODE_INVALID: (m) => (m.attempts_left ? `That code is not right. ${attemptsLeft(m)}` : "That code is not right."),
  CODE_EXPIRED: () => "That code has expired or was already used. Ask for a new one.",
  PASSWORD_TOO_WEAK: (m) => (m.rule === "common" ? "That password is too common. Choose another." : "The password needs 8 to 128 characters."),
  CONTACT_ALREADY_REGISTERED: () => "This phone or email is already registered. Sign in instead.",
  CONTACT_NOT_VERIFIED: () => "Verify your phone or email before moving money.",
  STEP_UP_REQUIRED: () => "Please confirm it is you before doing this.",
  CHALLENGE_EXPIRED: () => "The second step expired. Please sign in again.",
  TOTP_ALREADY_ENABLED: () => "Two-step verification is already on.",
  TOTP_NOT_ENABLED: () => "Two-step verification is not on.",
  USER_NOT_FOUND: () => "No such user.",
  INSUFFICIENT_FUNDS: () => "Not enough money in your wallet.",
  ACCOUNT_NOT_FOUND: () => "That wallet account does not exist.",
  SAME_ACCOUNT: () => "You cannot move money to the same account.",
  WRONG_PIN: (m) => (m.attempts_left ? `Wrong payment PIN. ${attemptsLeft(m)}` : "Wrong payment PIN."),
  PIN_LOCKED: (m) =>
    m.locked_until ? `Too many wrong PINs: payments are paused until ${when(m, "locked_until")}.` : "Too many wrong PINs: payments are paused for a while.",
  PIN_NOT_SET: () => "You have not set a payment PIN yet. Set one first.",
  PAYEE_NOT_FOUND: () => "We could not find that payee. Check the phone or email.",
  SELF_TRANSFER: () => "You cannot send money to yourself.",
  LIMIT_EXCEEDED: (m) => (m.limit === "daily_count" ? "You reached today's number of transfers." : m.limit === "daily_amount" ? "You reached today's transfer limit." : "That is above the limit for one payment."),
  RISK_DECLINED: () => "To keep your money safe, this payment was not made. Contact support if you have questions.",
  CARD_DECLINED: () => "The bank declined this. Try another card or contact your bank.",
  BANK_UNAVAILABLE: () => "The bank cannot be reached right now. Try again shortly.",
  CARD_INVALID: () => "The card number or expiry date is not valid.",
  CARD_NOT_FOUND: () => "That card is not on your account.",
  PAYMENT_NOT_FOUND: () => "We could not find that payment.",
  REFUND_EXCEEDS_PAYMENT: () => "The refund is more than can be refunded.",
  REFUND_REQUEST_NOT_FOUND: () => "We could not find that refund request.",
  REFUND_REQUEST_NOT_OPEN: () => "That refund request has already been answered.",
  REFUND_EXCEEDS_REQUEST: () => "That is more than is left of the refund request.",
  MERCHANT_NOT_FOUND: () => "No such merchant.",
  QR_CODE_INVALID: () => "This QR code cannot be read.",
  QR_CODE_EXPIRED: () => "This QR code expired or was already paid.",
  ATTACHMENT_TYPE_NOT_ALLOWED: () => "Attachments must be images or PDFs.",
  ATTACHMENT_TOO_LARGE: () => "The attachment is too large (5 MB at most).",
  TOO_MANY_ATTACHMENTS: () => "Too many attachments (10 at most).",
  REOPEN_WINDOW_CLOSED: () => "This ticket can no longer be reopened. Please open a new one.",
  DISPUTE_ALREADY_OPEN: () => "A dispute for this payment is already open.",
  DEPENDENCY_UNAVAILABLE: () => "The service is temporarily unavailable. Try again shortly.",
};

const byCode: Record<"zh-CN" | "en", Partial<Record<Code, string>> & { other: string }> = {
  "zh-CN": {
    [Code.Unavailable]: "服务暂时不可用，请稍后再试。",
    [Code.DeadlineExceeded]: "服务响应太慢，请稍后再试。",
    [Code.Unimplemented]: "这个功能暂时还不能用。",
    [Code.Unauthenticated]: "请先登录。",
    [Code.PermissionDenied]: "你的账户没有权限进行这个操作。",
    [Code.ResourceExhausted]: "操作太频繁了，请稍后再试。",
    [Code.InvalidArgument]: "填写的内容有误，请检查后再试。",
    [Code.NotFound]: "找不到相应的内容。",
    [Code.AlreadyExists]: "已经存在了。",
    [Code.FailedPrecondition]: "当前状态下不能进行这个操作。",
    [Code.Canceled]: "操作已取消。",
    other: "出了点问题，请稍后再试。",
  },
  en: {
    [Code.Unavailable]: "The service is temporarily unavailable. Try again shortly.",
    [Code.DeadlineExceeded]: "The service took too long to answer. Try again shortly.",
    [Code.Unimplemented]: "This feature is not available yet.",
    [Code.Unauthenticated]: "Please sign in first.",
    [Code.PermissionDenied]: "Your account is not allowed to do this.",
    [Code.ResourceExhausted]: "Too many attempts. Try again in a moment.",
    [Code.InvalidArgument]: "Something is not filled in correctly. Check and try again.",
    [Code.NotFound]: "We could not find that.",
    [Code.AlreadyExists]: "That already exists.",
    [Code.FailedPrecondition]: "That cannot be done in the current state.",
    [Code.Canceled]: "Cancelled.",
    other: "Something went wrong. Please try again later.",
  },
};

export interface Reason {
  reason: string;
  metadata: Meta;
}

export function reasonOf(error: unknown): Reason | null {
  const err = ConnectError.from(error);
  const infos = err.findDetails(ErrorInfoSchema);
  if (infos.length === 0) return null;
  const metadata: Meta = { ...infos[0].metadata };
  // Some services put the wait only in the message ("...; retry_after_s=42").
  const wait = err.rawMessage.match(/retry_after_s=(\d+)/);
  if (wait && !metadata.retry_after_s) metadata.retry_after_s = wait[1];
  return { reason: infos[0].reason, metadata };
}

// The sentence for a failed call in the current language.
export function explain(error: unknown): string {
  const l = lang();
  const err = ConnectError.from(error);
  const r = reasonOf(err);
  if (r) {
    const table = l === "en" ? en : zh;
    const msg = table[r.reason];
    if (msg) return msg(r.metadata);
  }
  const codes = byCode[l];
  return codes[err.code] ?? codes.other;
}

// The sentence for a reason code met outside a failed call (a payment's failure reason in an
// alert, say), in the current language; "" when there is none for it.
export function reasonSentence(reason: string, metadata: Meta = {}): string {
  const msg = (lang() === "en" ? en : zh)[reason];
  return msg ? msg(metadata) : "";
}

// Reason name of a failed call, or "".
export function reasonName(error: unknown): string {
  return reasonOf(error)?.reason ?? "";
}

export const knownReasons = Object.keys(en);

// True when the call may not have reached a decision (network, timeout, service down): a retry
// must reuse the idempotency key. Any other failure is final for that key, so a new attempt (after
// fixing the PIN, say) needs a new key.
export function isTransient(error: unknown): boolean {
  const code = ConnectError.from(error).code;
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Unknown || code === Code.Canceled;
}
