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
