// pws-gate fails closed when OpenSSL cannot compute signatures, and its log cannot be forged
// (issue 19, first and fourth points). Run by CTest: node --test hardening.test.mjs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
      assert.match(gate.log(), /POST \/apps\/static-app\/events 401 refused: OpenSSL could not compute/);
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
        await within(2000, 'the log line', (async () => {
          while (!/subscription to private-orders refused: OpenSSL could not compute/.test(gate.log()))
            await new Promise((r) => setTimeout(r, 20));
        })());
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
      await new Promise((r) => setTimeout(r, 200));
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
      await new Promise((r) => setTimeout(r, 50));
      assert.match(gate.log(), /connected/);
      const bad = client(gate, 'no-such-key');
      try { assert.equal((await closeCode(bad)).code, 4001); } finally { bad.disconnect(); }
    });
  });
});
