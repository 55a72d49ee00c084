// The gateway with real clients: Connect's gRPC transport (HTTP/2) and gRPC-Web transport
// (HTTP/1.1), code generated from proto/ by protoc-gen-es with Debian's protoc.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthService } from "./gen/uwallet/auth/v1/auth_pb.js";
import { DevMailboxService } from "./gen/uwallet/devtools/v1/devtools_pb.js";
import { GatewayService } from "./gen/uwallet/gateway/v1/gateway_pb.js";
import { LedgerService } from "./gen/uwallet/ledger/v1/ledger_pb.js";
import {
  suiteEnv, transports, bearer, expectError, latestCode, uniqueEmail, createClient,
} from "./lib.mjs";

const env = suiteEnv();
if (!env) {
  console.log("UWALLET_TEST_ENV_FILE not set: skipping");
  process.exit(77);
}
const t = transports(env);

for (const [name, transport] of Object.entries(t)) {
  test(`${name}: register, verify, sign in, call as the user, fail with a reason`, async () => {
    const auth = createClient(AuthService, transport);
    const mailbox = createClient(DevMailboxService, transport);
    const email = uniqueEmail(name);
    const password = "correct horse battery 9";
    const { userId } = await auth.register({ contact: { case: "email", value: email }, password, displayName: "测试 User" });
    assert.ok(userId.length > 0);
    const code = await latestCode(mailbox, email);
    assert.match(code, /^\d{6}$/);
    await auth.verifyContact({ destination: email, code });

    const login = await auth.login({ identifier: email, password, device: { deviceId: `node-${name}`, name: "node" } });
    assert.equal(login.result.case, "session");
    const token = login.result.value.token;

    const { profile } = await auth.getProfile({}, bearer(token));
    assert.equal(profile.userId, userId);
    assert.equal(profile.email, email);
    assert.equal(profile.emailVerified, true);

    // The gateway's own fan-out answers even while some services cannot.
    const home = await createClient(GatewayService, transport).getHome({}, bearer(token));
    assert.equal(home.profile?.userId, userId);
    assert.ok(home.generatedAt);

    // An error with its status and machine-readable reason.
    await expectError(auth.login({ identifier: email, password: "wrong password 1" }), Code.Unauthenticated);
    // Signed-in methods refuse anonymous callers, with the reason apps switch on.
    await expectError(createClient(LedgerService, transport).getBalances({}), Code.Unauthenticated, "SIGN_IN_REQUIRED");
    // After logout the token stops working (within the gateway's session cache TTL).
    await auth.logout({}, bearer(token));
    await new Promise((r) => setTimeout(r, 1200));
    await expectError(auth.getProfile({}, bearer(token)), Code.Unauthenticated);
  });
}

test("grpc-web: a server stream is relayed and ended by the client's deadline", async () => {
  // WatchAlerts streams until the client stops; with a short deadline it must end cleanly.
  const { FraudService } = await import("./gen/uwallet/fraud/v1/fraud_pb.js");
  const auth = createClient(AuthService, t.grpcweb);
  const mailbox = createClient(DevMailboxService, t.grpcweb);
  const email = uniqueEmail("stream");
  const password = "correct horse battery 9";
  await auth.register({ contact: { case: "email", value: email }, password, displayName: "Stream" });
  await auth.verifyContact({ destination: email, code: await latestCode(mailbox, email) });
  const login = await auth.login({ identifier: email, password });
  const fraud = createClient(FraudService, t.grpcweb);
  const started = Date.now();
  const err = await expectError((async () => {
    for await (const _ of fraud.watchAlerts({}, { ...bearer(login.result.value.token), timeoutMs: 1500 })) {
      // alerts may arrive; we only care that the stream is relayed and ends.
    }
  })(), Code.DeadlineExceeded);
  assert.ok(Date.now() - started >= 1000, `ended too early: ${err.message}`);
});

test("CORS preflight for an allowed origin", async () => {
  const origin = "http://localhost:5173";  // tools/test allows the Vite dev server's origin
  const res = await fetch(`http://${env.UWALLET_HTTP_LISTEN}/uwallet.auth.v1.AuthService/Login`, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-grpc-web,authorization" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), origin);
  assert.match(res.headers.get("access-control-allow-headers"), /authorization/);
});

test("grpc-web: streams cut off by their clients while unary calls run leave the gateway serving", async () => {
  // Browsers close gRPC-Web streams at any moment (a tab closes, a page changes). Each close races
  // the stream's writes and the upstream cancellation on the gateway's I/O threads; this used to
  // crash the gateway once in a while. Many streams, aborted at random times, with unary calls on
  // other connections in between; afterwards the gateway still answers both protocols.
  const { FraudService } = await import("./gen/uwallet/fraud/v1/fraud_pb.js");
  const auth = createClient(AuthService, t.grpcweb);
  const mailbox = createClient(DevMailboxService, t.grpcweb);
  const email = uniqueEmail("abort");
  const password = "correct horse battery 9";
  await auth.register({ contact: { case: "email", value: email }, password, displayName: "Abort" });
  await auth.verifyContact({ destination: email, code: await latestCode(mailbox, email) });
  const login = await auth.login({ identifier: email, password, device: { deviceId: "node-abort", name: "node" } });
  const token = login.result.value.token;
  const fraud = createClient(FraudService, t.grpcweb);

  // Paced under the gateway's per-user rate limit (burst 100, 50/s); a refusal is counted, not
  // failed, since other tests share this address's budget.
  const rounds = 8;
  const streamsPerRound = 20;
  const ended = { cut: 0, limited: 0 };
  for (let round = 0; round < rounds; round++) {
    const streams = Array.from({ length: streamsPerRound }, async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), Math.floor(Math.random() * 200));
      try {
        for await (const _ of fraud.watchAlerts({}, { ...bearer(token), signal: controller.signal, timeoutMs: 5000 })) {
          // nothing to do: the client goes away at a random time
        }
        ended.cut++;
      } catch (e) {
        const code = ConnectError.from(e).code;
        if (code === Code.ResourceExhausted) ended.limited++;
        else if ([Code.Canceled, Code.DeadlineExceeded].includes(code)) ended.cut++;
        else throw e;
      }
    });
    const unary = Array.from({ length: 5 }, () => auth.getProfile({}, bearer(token)).catch((e) => {
      if (ConnectError.from(e).code !== Code.ResourceExhausted) throw e;
    }));
    await Promise.all([...streams, ...unary]);
    await new Promise((r) => setTimeout(r, 600));
  }
  assert.equal(ended.cut + ended.limited, rounds * streamsPerRound);
  assert.ok(ended.cut >= (rounds * streamsPerRound) / 2, `only ${ended.cut} streams ran: ${JSON.stringify(ended)}`);
  // Still serving, over gRPC-Web and gRPC.
  await new Promise((r) => setTimeout(r, 500));
  const { profile } = await createClient(AuthService, t.grpcweb).getProfile({}, bearer(token));
  assert.equal(profile.email, email);
  const { profile: again } = await createClient(AuthService, t.grpc).getProfile({}, bearer(token));
  assert.equal(again.email, email);
});
