// pws-gate fails closed when OpenSSL cannot compute signatures, its log cannot be forged, and it
// neither spins nor stalls out of descriptors (issue 19, points 1, 3 and 4). Run by CTest: node --test hardening.test.mjs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, closeCode, serverSdk, startGate, stateReached, subscribed, within } from './support.mjs';

const APP = { appId: 'static-app', key: 'static-key', secret: 'static-secret-5b' };  // static_apps.json
const STATIC = ['--static', new URL('./static_apps.json', import.meta.url).pathname];
const dir = mkdtempSync(join(tmpdir(), 'pws-gate-hardening-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// FIPS-only default properties without the FIPS provider: every digest fetch fails.
const brokenConf = join(dir, 'openssl-fips-only.cnf');
writeFileSync(brokenConf, 'openssl_conf = openssl_init\n[openssl_init]\nalg_section = evp_properties\n'
  + '[evp_properties]\ndefault_properties = fips=yes\n');

// The log comes through a pipe, the answers through sockets: a line may arrive after the answer
// it belongs to. Waits (up to `ms`) until the log matches `re`, then asserts it.
async function logShows(gate, re, ms = 5000) {
  const t0 = Date.now();
  while (!re.test(gate.log()) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
  assert.match(gate.log(), re);
}

async function withGate(opts, body) {
  const gate = await startGate(opts);
  try { return await body(gate); } finally { gate.kill(); }
}

// POST /apps/{id}/events with the given query (no signature computed: what an attacker sends).
async function post(gate, query, body) {
  const res = await fetch(`http://127.0.0.1:${gate.port}/apps/${APP.appId}/events?${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  return { status: res.status, body: await res.text() };
}

describe('pws-gate when OpenSSL cannot compute HMAC-SHA256 or MD5', () => {
  test('the configuration used really breaks OpenSSL here (else the rest would prove nothing)', () => {
    for (const alg of ['-sha256', '-md5']) {
      const r = spawnSync('openssl', ['dgst', alg], { input: 'x', env: { ...process.env, OPENSSL_CONF: brokenConf } });
      assert.notEqual(r.status, 0, `openssl dgst ${alg} still works under ${brokenConf}`);
    }
  });

  test('an unsigned HTTP API call is refused (401), and the log says why once per call', async () => {
    await withGate({ args: STATIC, env: { OPENSSL_CONF: brokenConf } }, async (gate) => {
      const now = Math.floor(Date.now() / 1000);
      const base = `auth_key=${APP.key}&auth_timestamp=${now}&auth_version=1.0&auth_signature=`;
      const event = JSON.stringify({ name: 'e', channels: ['private-x'], data: '{}' });
      for (const [query, body] of [[`${base}&body_md5=`, event], [base, ''], [`${base}&body_md5=`, '']]) {
        const r = await post(gate, query, body);
        assert.equal(r.status, 401, `${query} ${body}: ${r.body}`);
      }
      await logShows(gate, /POST \/apps\/static-app\/events 401 refused: OpenSSL could not compute/);
    });
  });

  test('a private subscription with an empty signature ("key:") is refused', async () => {
    await withGate({ args: STATIC, env: { OPENSSL_CONF: brokenConf } }, async (gate) => {
      const c = client(gate, APP.key, {
        channelAuthorization: { customHandler: (_, callback) => callback(null, { auth: `${APP.key}:` }) },
      });
      try {
        await stateReached(c, 'connected');
        await assert.rejects(subscribed(c, 'private-orders'), /subscription_error/);
        await logShows(gate, /subscription to private-orders refused: OpenSSL could not compute/);
      } finally {
        c.disconnect();
      }
    });
  });

  test('with OpenSSL working, the same requests are refused too, and a signed one is accepted', async () => {
    await withGate({ args: STATIC }, async (gate) => {
      const now = Math.floor(Date.now() / 1000);
      const r = await post(gate, `auth_key=${APP.key}&auth_timestamp=${now}&auth_version=1.0&auth_signature=&body_md5=`, '');
      assert.equal(r.status, 401);
      assert.equal((await serverSdk(gate, APP).trigger('c', 'e', {})).status, 200);
    });
  });
});

describe('pws-gate log lines', () => {
  test('an app key with %0A in the URL cannot forge a line; a huge one is cut', async () => {
    await withGate({ args: STATIC }, async (gate) => {
      const upgrade = (path) => new Promise((resolve, reject) => {
        const s = net.connect(gate.port, '127.0.0.1', () => {
          s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
            + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
        });
        let got = '';
        s.on('data', (d) => { got += d; if (got.includes('4001') || got.length > 200) s.destroy(); });
        s.on('close', () => resolve(got));
        s.on('error', reject);
        setTimeout(() => s.destroy(), 1000);
      });
      await upgrade('/app/abc%0Aforged%20line%0D%0A?protocol=7');
      await upgrade(`/app/${'k'.repeat(6000)}?protocol=7`);
      await logShows(gate, /abc\\x0aforged line\\x0d\\x0a/);
      await logShows(gate, /key=kkkkkkkkkk/);
      const lines = gate.log().split('\n');
      assert.ok(!lines.some((l) => l.startsWith('forged')), gate.log());
      assert.ok(lines.some((l) => l.includes('abc\\x0aforged line\\x0d\\x0a')), gate.log());
      assert.ok(lines.every((l) => l.length <= 2048), 'a log line longer than 2048 bytes');
    });
  });

  test('a normal client still connects (the escaping changes nothing else)', async () => {
    await withGate({ args: STATIC }, async (gate) => {
      const c = client(gate, APP.key);
      try { await stateReached(c, 'connected'); } finally { c.disconnect(); }
      await logShows(gate, /connected/);
      const bad = client(gate, 'no-such-key');
      try { assert.equal((await closeCode(bad)).code, 4001); } finally { bad.disconnect(); }
    });
  });
});

// Starts pws-gate under `ulimit -n nofile` (bash), resolves like startGate.
async function startLimitedGate(nofile, args = []) {
  const proc = spawn('bash', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, process.env.PWS_GATE_BIN,
    '--listen', '127.0.0.1:0', ...STATIC, ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const port = await within(10000, 'pws-gate to listen', new Promise((resolve, reject) => {
    proc.stdout.on('data', () => { const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    proc.on('close', (code) => reject(new Error(`pws-gate exited with ${code}: ${out}`)));
  }));
  return { proc, port, log: () => out, kill: () => proc.kill('SIGKILL') };
}

// User + system CPU seconds of process `pid` so far (/proc/PID/stat, clock ticks of 1/100 s).
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// Opens `n` TCP connections that send nothing; resolves with the sockets once all are connected
// (or refused: a full server may close them).
function idleConnections(port, n) {
  return Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => resolve(s));
  })));
}

describe('pws-gate out of descriptors, and idle connections', () => {
  // Out of descriptors (the cap set above the limit): EMFILE on accept must not spin.
  // With the default cap (from the limit) the gate closes the extra ones instead.
  for (const [title, args, pattern] of [
    ['EMFILE (--max-connections above the limit)', ['--max-connections', '1000'], /cannot accept \(Too many open files\)/],
    ['the default cap from the limit', [], /connections open \(--max-connections\): new connections are closed/],
  ]) {
    test(`ulimit -n 64 and 120 idle connections, ${title}: no busy loop, and service comes back`, async () => {
      const gate = await startLimitedGate(64, ['--handshake-timeout', '2', ...args]);
      let idle = [];
      try {
        idle = await idleConnections(gate.port, 120);
        await new Promise((r) => setTimeout(r, 300));
        const cpu0 = cpuSeconds(gate.proc.pid), t0 = Date.now();
        await new Promise((r) => setTimeout(r, 1000));
        const share = (cpuSeconds(gate.proc.pid) - cpu0) / ((Date.now() - t0) / 1000);
        assert.ok(share < 0.05, `pws-gate used ${(share * 100).toFixed(1)}% of a CPU while full`);
        await logShows(gate, pattern);
        // Every idle one is closed by the gate (at once over the cap, else after
        // --handshake-timeout); then the gate serves again: an HTTP request is answered (tried
        // until it is, for at most 20 s: pusher-js's own reconnect back-off would measure itself).
        await within(20000, 'every idle connection closed by the gate', Promise.all(idle.map((s) =>
          new Promise((resolve) => { if (s.destroyed) resolve(); else s.on('close', resolve); }))));
        await within(20000, `an answer to GET / (log: ${gate.log().slice(-500)})`, (async () => {
          for (;;) {
            try {
              const res = await fetch(`http://127.0.0.1:${gate.port}/`, { signal: AbortSignal.timeout(2000) });
              if (res.status === 200) return;
            } catch { /* refused or timed out: try again */ }
            await new Promise((r) => setTimeout(r, 100));
          }
        })());
      } finally {
        for (const s of idle) s.destroy();
        gate.kill();
      }
    });
  }

  test('--max-connections 5: the sixth is closed at once, the five idle ones after the handshake timeout', async () => {
    await withGate({ args: [...STATIC, '--max-connections', '5', '--handshake-timeout', '3'] }, async (gate) => {
      const five = await idleConnections(gate.port, 5);
      await new Promise((r) => setTimeout(r, 200));
      const sixth = await idleConnections(gate.port, 1);
      const closedAt = (s) => new Promise((resolve) => {
        if (s.destroyed || s.readyState === 'closed') resolve(Date.now());
        s.on('close', () => resolve(Date.now()));
      });
      const t0 = Date.now();
      const sixthClosed = await within(2000, 'the sixth closed', closedAt(sixth[0]));
      assert.ok(sixthClosed - t0 < 1500, 'the sixth connection was held (as if until the handshake timeout)');
      const idleClosed = await within(8000, 'the idle ones closed', Promise.all(five.map(closedAt)));
      assert.ok(Math.min(...idleClosed) - t0 >= 2000, 'idle connections closed before the handshake timeout');
      await logShows(gate, /5 connections open \(--max-connections\)/);
      const c = client(gate, APP.key);
      try { await stateReached(c, 'connected'); } finally { c.disconnect(); }
    });
  });
});
