// Shared helpers for the Node end-to-end clients: the running suite's addresses (from the env
// file tools/test writes), transports for gRPC and gRPC-Web, and the dev-mailbox code lookup.
import { readFileSync } from "node:fs";
import { createClient, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

export function suiteEnv() {
  const file = process.env.UWALLET_TEST_ENV_FILE;
  if (!file) return null;
  const env = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = line.match(/^([A-Z0-9_]+)='?(.*?)'?$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

export function transports(env) {
  return {
    grpc: createGrpcTransport({ baseUrl: `http://${env.UWALLET_GATEWAY_ADDR}` }),
    grpcweb: createGrpcWebTransport({ baseUrl: `http://${env.UWALLET_HTTP_LISTEN}`, httpVersion: "1.1" }),
  };
}

export function bearer(token) {
  return { headers: { authorization: `Bearer ${token}` } };
}

// The machine-readable reason of a failed call (google.rpc.ErrorInfo), or "".
export function reasonOf(error) {
  const err = ConnectError.from(error);
  const infos = err.findDetails(ErrorInfoSchema);
  return infos.length > 0 ? infos[0].reason : "";
}

export async function expectError(promise, code, reason) {
  try {
    await promise;
  } catch (e) {
    const err = ConnectError.from(e);
    if (err.code !== code) throw new Error(`want code ${code}, got ${err.code}: ${err.message}`);
    if (reason !== undefined && reasonOf(err) !== reason) {
      throw new Error(`want reason ${reason}, got '${reasonOf(err)}' (${err.message})`);
    }
    return err;
  }
  throw new Error(`want code ${code}, the call succeeded`);
}

export async function latestCode(mailbox, destination) {
  for (let i = 0; i < 50; i++) {
    const { messages } = await mailbox.listMessages({ destination });
    const withCode = messages.find((m) => m.code);
    if (withCode) return withCode.code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code arrived for ${destination}`);
}

export function uniqueEmail(tag) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
}

export { createClient };

// The google.rpc.ErrorInfo metadata of a failed call ({ attempts_left: "4" }), or {}.
export function metadataOf(error) {
  const err = ConnectError.from(error);
  const infos = err.findDetails(ErrorInfoSchema);
  return infos.length > 0 ? { ...infos[0].metadata } : {};
}

// Signs in from `device`. When auth answers with a second-factor challenge for a new device
// (SECOND_FACTOR_METHOD_CONTACT_CODE, a code sent to the verified contact), completes it with the
// sign-in code from the dev mailbox. Other tests may sign the same account in at the same time
// (the bootstrap admin), so the newest few sign-in codes are tried (5 tries per challenge).
// Returns { token, session, challenged }.
// Devices keep the secret auth gives them when they become known (Session.deviceToken) and send
// it with their id at the next sign-in, as the apps do; the id alone does not make a device known.
// Kept here for this process, by identifier and device id.
const deviceTokens = new Map();
const deviceKey = (identifier, device) => `${identifier}\n${device?.deviceId ?? ""}`;

export function keepDeviceToken(identifier, device, session) {
  if (session?.deviceToken) deviceTokens.set(deviceKey(identifier, device), session.deviceToken);
}

// AuthService.Login from `device`, presenting the secret it keeps (if any) and keeping a new one.
export async function signInFromDevice(auth, { identifier, password, device }) {
  const login = await auth.login({ identifier, password, device, deviceToken: deviceTokens.get(deviceKey(identifier, device)) ?? "" });
  if (login.result.case === "session") keepDeviceToken(identifier, device, login.result.value);
  return login;
}

export async function signInCompletingChallenge(auth, mailbox, { identifier, password, device }) {
  const login = await signInFromDevice(auth, { identifier, password, device });
  if (login.result.case === "session") {
    return { token: login.result.value.token, session: login.result.value, challenged: false };
  }
  if (login.result.case !== "challenge") throw new Error(`sign-in of ${identifier}: no session and no challenge`);
  const { challengeId } = login.result.value;
  const tried = new Set();
  for (let round = 0; round < 50 && tried.size < 4; round++) {
    const { messages } = await mailbox.listMessages({ destination: identifier, pageSize: 20 });
    const codes = messages.filter((m) => m.templateName === "login_challenge" && m.code && !tried.has(m.code));
    for (const { code } of codes.slice(0, 4 - tried.size)) {
      tried.add(code);
      try {
        const { session } = await auth.completeSecondFactor({ challengeId, factor: { case: "contactCode", value: code } });
        keepDeviceToken(identifier, device, session);
        return { token: session.token, session, challenged: true };
      } catch (e) {
        if (reasonOf(e) !== "CODE_INVALID") throw e;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sign-in of ${identifier}: no sign-in code from the mailbox completed the challenge`);
}

// Calls `fn` again while it fails with RATE_LIMITED, sleeping the retry_after_s the error carries
// in its ErrorInfo metadata (at most `maxWaits` times).
export async function retryRateLimited(fn, maxWaits = 3) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (reasonOf(e) !== "RATE_LIMITED" || i >= maxWaits) throw e;
      const seconds = Number(metadataOf(e).retry_after_s ?? "60");
      await new Promise((r) => setTimeout(r, (Math.min(seconds, 65) + 1) * 1000));
    }
  }
}
