// Clients for every public service over gRPC-Web, to the page's own origin (the gateway serves
// this console with --web-root; the Vite dev server proxies to it).
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthAdminService, AuthService } from "./gen/uwallet/auth/v1/auth_pb";
import { DevMailboxService } from "./gen/uwallet/devtools/v1/devtools_pb";
import { FraudAnalystService, FraudService } from "./gen/uwallet/fraud/v1/fraud_pb";
import { GatewayService } from "./gen/uwallet/gateway/v1/gateway_pb";
import { LedgerService } from "./gen/uwallet/ledger/v1/ledger_pb";
import { MerchantService, PaymentsAdminService, PaymentsService } from "./gen/uwallet/payments/v1/payments_pb";
import { SupportAgentService, SupportService } from "./gen/uwallet/support/v1/support_pb";
import { Platform, Role } from "./gen/uwallet/common/v1/common_pb";

const TOKEN_KEY = "uwallet.session";
const DEVICE_KEY = "uwallet.device";

export interface SessionState {
  token: string;
  userId: string;
  roles: Role[];
  displayName: string;
}

export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

// The secret auth gives this browser when it becomes known to an account (Session.deviceToken),
// sent with the device id at the next sign-in: the id alone does not make a device known. Kept
// per device id (tests and support staff switch ids), never sent anywhere else.
function deviceTokenKey(): string {
  return `uwallet.device_token.${deviceId()}`;
}

export function deviceToken(): string {
  return localStorage.getItem(deviceTokenKey()) ?? "";
}

export function keepDeviceToken(token: string): void {
  if (token) localStorage.setItem(deviceTokenKey(), token);
}

export function device() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chrome" : /Firefox\//.test(ua) ? "Firefox" : /Safari\//.test(ua) ? "Safari" : "Browser";
  return { deviceId: deviceId(), name: `${browser} (web console)`, platform: Platform.WEB, appVersion: "web-0.1" };
}

export function session(): SessionState | null {
  const raw = sessionStorage.getItem(TOKEN_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as SessionState;
  } catch {
    return null;
  }
}

export function saveSession(s: SessionState | null): void {
  if (s) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function isStaff(s: SessionState | null): boolean {
  return !!s && s.roles.some((r) => r === Role.AGENT || r === Role.ANALYST || r === Role.ADMIN);
}

const authHeader: Interceptor = (next) => async (req) => {
  const s = session();
  if (s && !req.header.has("authorization")) req.header.set("authorization", `Bearer ${s.token}`);
  req.header.set("x-device-id", deviceId());
  return next(req);
};

const transport = createGrpcWebTransport({
  baseUrl: window.location.origin,
  interceptors: [authHeader],
});

export const api = {
  auth: createClient(AuthService, transport),
  authAdmin: createClient(AuthAdminService, transport),
  mailbox: createClient(DevMailboxService, transport),
  fraud: createClient(FraudService, transport),
  fraudAnalyst: createClient(FraudAnalystService, transport),
  gateway: createClient(GatewayService, transport),
  ledger: createClient(LedgerService, transport),
  payments: createClient(PaymentsService, transport),
  merchant: createClient(MerchantService, transport),
  paymentsAdmin: createClient(PaymentsAdminService, transport),
  support: createClient(SupportService, transport),
  agent: createClient(SupportAgentService, transport),
};

export function idempotencyKey(): string {
  return crypto.randomUUID();
}

// The newest verification code the dev mailbox holds for a destination ("" when none).
export async function devMailboxCode(destination: string): Promise<string> {
  const { messages } = await api.mailbox.listMessages({ destination, pageSize: 20 });
  return messages.find((m) => m.code)?.code ?? "";
}

// Where a signed-in person starts: customers at home, agents and admins at the desk, analysts at
// the risk cases.
export function startPage(s: SessionState | null): string {
  if (!isStaff(s)) {
    const merchantOnly = !!s && s.roles.includes(Role.MERCHANT) && !s.roles.includes(Role.CUSTOMER);
    return merchantOnly ? "refunds" : "home";
  }
  return s!.roles.some((r) => r === Role.AGENT || r === Role.ADMIN) ? "desk" : "risk";
}
