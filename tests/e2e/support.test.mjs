// Support through the gateway with real clients: a customer opens a ticket, an agent (a staff
// account the bootstrap admin creates with AuthAdminService.CreateStaffAccount) claims it, writes an
// internal note and replies; the customer's WatchTicket stream delivers the reply (never the note),
// once over gRPC (HTTP/2) and once over gRPC-Web (HTTP/1.1); the customer rates the ticket. A second
// customer cannot read the first one's ticket. The stream latency is printed (no timed assertion:
// the wait is bounded and a reply that never arrives fails the test).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { AuthService, AuthAdminService } from "./gen/uwallet/auth/v1/auth_pb.js";
import { Role } from "./gen/uwallet/common/v1/common_pb.js";
import { DevMailboxService } from "./gen/uwallet/devtools/v1/devtools_pb.js";
import {
  SupportService, SupportAgentService, TicketCategory, TicketStatus, Channel,
} from "./gen/uwallet/support/v1/support_pb.js";
import {
  suiteEnv, transports, bearer, expectError, latestCode, uniqueEmail, createClient,
  signInCompletingChallenge,
} from "./lib.mjs";

const env = suiteEnv();
if (!env) {
  console.log("UWALLET_TEST_ENV_FILE not set: skipping");
  process.exit(77);
}
const t = transports(env);
const PASSWORD = "support e2e password 9!";
const STREAM_WAIT_MS = 10_000;  // bound on every wait for a stream event

// From this process's "node-support" device. A staff account signed in from it by another test
// file first does not know this process's copy (device secrets are kept per process): the code
// sent to its contact completes that sign-in.
async function signIn(auth, identifier, password) {
  const mailbox = createClient(DevMailboxService, t.grpc);
  const { token } = await signInCompletingChallenge(auth, mailbox, { identifier, password, device: { deviceId: "node-support", name: "node" } });
  return token;
}

async function registerCustomer(transport, tag) {
  const auth = createClient(AuthService, transport);
  const mailbox = createClient(DevMailboxService, transport);
  const email = uniqueEmail(`support-${tag}`);
  const { userId } = await auth.register({ contact: { case: "email", value: email }, password: PASSWORD, displayName: `Customer ${tag}` });
  await auth.verifyContact({ destination: email, code: await latestCode(mailbox, email) });
  return { userId, email, token: await signIn(auth, email, PASSWORD) };
}

// Reads a server stream in the background; `waitFor` resolves with the first matching event and
// the time it arrived, or rejects after STREAM_WAIT_MS.
function collect(iterable) {
  const events = [];
  const waiters = [];
  let failure = null;
  const done = (async () => {
    try {
      for await (const event of iterable) {
        const entry = { response: event, at: performance.now() };
        events.push(entry);
        for (const w of [...waiters]) {
          if (w.predicate(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(entry);
          }
        }
      }
    } catch (e) {
      failure = e;
    }
    for (const w of waiters.splice(0)) w.reject(failure ?? new Error("stream ended"));
  })();
  return {
    events,
    done,
    failure: () => failure,
    waitFor(predicate, what) {
      const seen = events.find((e) => predicate(e.response));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what} on the stream within ${STREAM_WAIT_MS} ms`)), STREAM_WAIT_MS);
        waiters.push({
          predicate,
          resolve: (v) => { clearTimeout(timer); resolve(v); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
      });
    },
  };
}

let agentToken = "";
let agentUserId = "";

before(async () => {
  assert.ok(env.UWALLET_BOOTSTRAP_ADMIN, "the suite env has no UWALLET_BOOTSTRAP_ADMIN (tools/lib/suite.sh writes it)");
  const [adminEmail, ...rest] = env.UWALLET_BOOTSTRAP_ADMIN.split(":");
  const auth = createClient(AuthService, t.grpc);
  const adminToken = await signIn(auth, adminEmail, rest.join(":"));
  const agentEmail = uniqueEmail("support-agent");
  const created = await createClient(AuthAdminService, t.grpc).createStaffAccount(
    { email: agentEmail, displayName: "Lin Wei", roles: [Role.AGENT], initialPassword: PASSWORD },
    bearer(adminToken));
  assert.ok(created.userId);
  agentUserId = created.userId;
  agentToken = await signIn(auth, agentEmail, PASSWORD);
});

for (const [name, transport] of Object.entries(t)) {
  test(`${name}: ticket, claim, internal note, live reply on WatchTicket, rating`, async (tc) => {
    const support = createClient(SupportService, transport);
    const desk = createClient(SupportAgentService, transport);
    const customer = await registerCustomer(transport, name);
    const asCustomer = bearer(customer.token);
    const asAgent = bearer(agentToken);

    const created = await support.createTicket({
      category: TicketCategory.MONEY_NOT_ARRIVED,
      channel: Channel.APP,
      subject: `Transfer not arrived (${name})`,
      body: "I sent 100 yuan to a friend an hour ago and it has not arrived.",
      idempotencyKey: `node-${name}-${Date.now()}`,
      attachments: [{ fileName: "receipt.png", content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]) }],
    }, asCustomer);
    const ticketId = created.ticket.ticketId;
    assert.ok(ticketId);
    assert.equal(created.ticket.userId, customer.userId);
    assert.equal(created.ticket.status, TicketStatus.NEW);
    assert.ok(created.ticket.firstResponseDueAt, "the ticket has its first-response due time");

    // The customer watches the ticket from the last message they have, as the app does: whatever
    // is posted while the stream is still being set up is replayed, nothing falls in between. The
    // stream is live once the customer's own message comes back on it (gRPC-Web sends no headers
    // before the first message).
    const opened = await support.getTicket({ ticketId }, asCustomer);
    const lastSeen = opened.messages.at(-1)?.messageId ?? "";
    assert.ok(lastSeen, "the ticket starts with the customer's first message");
    const abort = new AbortController();
    const stream = collect(support.watchTicket({ ticketId, afterMessageId: lastSeen }, { ...asCustomer, signal: abort.signal }));
    try {
      const ping = await support.postMessage({ ticketId, body: "Are you there?" }, asCustomer);
      await stream.waitFor((e) => e.event.case === "message" && e.event.value.messageId === ping.message.messageId, "echo of the customer's own message");

      const claimed = await desk.assignTicket({ ticketId }, asAgent);
      assert.equal(claimed.ticket.assigneeId, agentUserId);

      const note = await desk.reply({ ticketId, body: "INTERNAL: check the payee's account", internalNote: true }, asAgent);
      assert.equal(note.message.internalNote, true);
      const sentAt = performance.now();
      const reply = await desk.reply({ ticketId, body: "We found your transfer; it arrives within the hour." }, asAgent);
      const arrived = await stream.waitFor((e) => e.event.case === "message" && e.event.value.messageId === reply.message.messageId, "agent reply");
      const latencyMs = Math.round(arrived.at - sentAt);
      console.log(`support e2e (${name}): the agent's reply reached the customer's WatchTicket after ${latencyMs} ms`);
      tc.diagnostic(`reply latency over ${name}: ${latencyMs} ms`);
      const delivered = arrived.response.event.value;
      assert.equal(delivered.body, "We found your transfer; it arrives within the hour.");
      assert.equal(delivered.internalNote, false);
      // Authors are named: staff by their first name, customers by their display name.
      assert.equal(delivered.authorDisplayName, "Lin");
      assert.equal(ping.message.authorDisplayName, `Customer ${name}`);

      // The agent resolves; the status change arrives on the stream too.
      await desk.setStatus({ ticketId, status: TicketStatus.RESOLVED, note: "transfer delivered" }, asAgent);
      await stream.waitFor((e) => e.event.case === "statusChange" && e.event.value.toStatus === TicketStatus.RESOLVED, "resolved status change");

      // The internal note was written before the reply, and the stream delivers in order: it
      // would have been seen by now. It never reaches the customer.
      for (const { response } of stream.events) {
        if (response.event.case !== "message") continue;
        assert.notEqual(response.event.value.messageId, note.message.messageId, "internal note delivered to the customer");
        assert.equal(response.event.value.internalNote, false);
      }
    } finally {
      abort.abort();
      await stream.done;
    }
    const failure = stream.failure();
    assert.ok(failure === null || abort.signal.aborted, `stream failed: ${failure}`);

    // Neither does GetTicket show the note to the customer; the agent's view has it.
    const mine = await support.getTicket({ ticketId }, asCustomer);
    assert.ok(mine.messages.some((m) => m.body.startsWith("We found your transfer")));
    assert.ok(mine.messages.every((m) => !m.internalNote && !m.body.startsWith("INTERNAL")));
    const theirs = await desk.getTicket({ ticketId }, asAgent);
    assert.ok(theirs.messages.some((m) => m.internalNote));

    const rated = await support.rateTicket({ ticketId, score: 5, comment: "fast and friendly" }, asCustomer);
    assert.equal(rated.ticket.ratingScore, 5);

    // Another customer cannot read it (NOT_FOUND: its existence is not revealed), nor watch it.
    const other = await registerCustomer(transport, `${name}-other`);
    await expectError(support.getTicket({ ticketId }, bearer(other.token)), Code.NotFound);
    await expectError((async () => {
      for await (const _ of support.watchTicket({ ticketId }, { ...bearer(other.token), timeoutMs: 5000 })) {
        throw new Error("another customer received an event of this ticket");
      }
    })(), Code.NotFound);
    // Customers cannot use the agent desk (the gateway refuses the role).
    await expectError(desk.listQueue({}, asCustomer), Code.PermissionDenied);
  });
}
