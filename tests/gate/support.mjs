// Helpers of the gate's end-to-end tests: start pws-gate, connect pusher-js clients, wait for things.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import Pusher from 'pusher-js';
import PusherServer from 'pusher';

export const GATE_BIN = process.env.PWS_GATE_BIN;
// The DynamoDB side of the gate: the fixture's dynalite, dummy credentials (dynalite does not check them).
export const AWS_SECRET = 'gate-test-aws-secret-value';
export function dynamoEnv(endpoint) {
  return {
    APP_MANAGER_DYNAMODB_ENDPOINT: endpoint,
    APP_MANAGER_DYNAMODB_TABLE: process.env.PWS_DYNALITE_TABLE || 'apps',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
  };
}
export function dynaliteEndpoint() {
  if (!process.env.PWS_DYNALITE_STATE) throw new Error('PWS_DYNALITE_STATE is not set (run through ctest)');
  return readFileSync(`${process.env.PWS_DYNALITE_STATE}/endpoint`, 'utf8');
}

const running = new Set();
// Whatever happens to the test process, no gate outlives it.
process.on('exit', () => { for (const g of running) g.proc.kill('SIGKILL'); });

/** Resolves with `promise`'s value, or rejects after `ms` saying what was awaited. */
export function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Starts pws-gate on 127.0.0.1 port 0 with `args` and `env` added, and resolves once it says which
 * port it got: {port, proc, log(), exited, kill()}. Call kill() in a finally (or t.after).
 */
export async function startGate({ args = [], env = {} } = {}) {
  if (!GATE_BIN) throw new Error('PWS_GATE_BIN is not set (run through ctest)');
  const proc = spawn(GATE_BIN, ['--listen', '127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const gate = {
    proc,
    log: () => out,
    exited: new Promise((resolve) => proc.on('close', (code, signal) => { running.delete(gate); resolve({ code, signal }); })),
    kill: () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); },
  };
  running.add(gate);
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  try {
    gate.port = await within(10000, 'pws-gate to listen', new Promise((resolve, reject) => {
      proc.stdout.on('data', () => {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      gate.exited.then(({ code }) => reject(new Error(`pws-gate exited with ${code}: ${out}`)));
    }));
  } catch (e) {
    gate.kill();
    throw e;
  }
  return gate;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** The `pusher` server SDK pointed at the gate. */
export function serverSdk(gate, { appId, key, secret }) {
  return new PusherServer({ appId, key, secret, host: '127.0.0.1', port: String(gate.port), useTLS: false });
}

/**
 * A pusher-js client of app `key` on the gate, over its node WebSocket transport only. `authWith`
 * (a `pusher` SDK instance) signs private/presence subscriptions; `user` is the presence member.
 */
export function client(gate, key, { authWith, user, ...options } = {}) {
  const c = new Pusher(key, {
    cluster: 'local', // required by pusher-js 8, unused with wsHost
    wsHost: '127.0.0.1',
    wsPort: gate.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        try { callback(null, authWith.authorizeChannel(socketId, channelName, user)); } catch (e) { callback(e, null); }
      },
    },
    ...options,
  });
  return c;
}

/** Resolves when the client reaches state `state`. */
export function stateReached(c, state, ms = 5000) {
  if (c.connection.state === state) return Promise.resolve();
  return within(ms, `state ${state} (now ${c.connection.state})`, new Promise((resolve) => {
    const on = ({ current }) => { if (current === state) { c.connection.unbind('state_change', on); resolve(); } };
    c.connection.bind('state_change', on);
  }));
}

/** Resolves with the first connection error that carries a Pusher close/error code. */
export function closeCode(c, ms = 5000) {
  return within(ms, 'a connection error with a code', new Promise((resolve) => {
    const on = (err) => {
      const code = err?.error?.data?.code ?? err?.data?.code;
      if (typeof code === 'number') { c.connection.unbind('error', on); resolve({ code, message: err?.error?.data?.message ?? err?.data?.message }); }
    };
    c.connection.bind('error', on);
  }));
}

/** Resolves with the data of the next `event` on `channel`. */
export function nextEvent(channel, event, ms = 5000) {
  return within(ms, `event ${event} on ${channel.name}`, new Promise((resolve) => {
    const on = (data) => { channel.unbind(event, on); resolve(data); };
    channel.bind(event, on);
  }));
}

/** Subscribes and resolves when the server confirmed (rejects on pusher:subscription_error). */
export function subscribed(c, name, ms = 5000) {
  const ch = c.subscribe(name);
  return within(ms, `subscription to ${name}`, new Promise((resolve, reject) => {
    ch.bind('pusher:subscription_succeeded', () => resolve(ch));
    ch.bind('pusher:subscription_error', (e) => reject(Object.assign(new Error(`subscription_error ${JSON.stringify(e)}`), { data: e })));
  }));
}

/** Runs `body(c)` with a client, disconnecting it however `body` ends. */
export async function withClient(gate, key, options, body) {
  const c = client(gate, key, options);
  try { return await body(c); } finally { c.disconnect(); }
}
