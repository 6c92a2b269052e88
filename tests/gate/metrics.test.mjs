// GET /metrics of pws-gate: the body is parsed by Prometheus's own Python parser
// (parse_metrics.py, prometheus_client.parser), and the counters must move by exactly what the
// test did: connects with a good key, an unknown key and a disabled app, HTTP API calls, with the
// cache off and on, on DynamoDB (the fixture's dynalite), unreachable DynamoDB, and --static.
// Run by CTest: node --test metrics.test.mjs, with PWS_GATE_BIN and PWS_DYNALITE_STATE set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  AWS_SECRET, client, closeCode, closedPort, dynaliteEndpoint, dynamoEnv, serverSdk, startGate, stateReached,
  within, withClient,
} from './support.mjs';

// Debian's python3, where python3-prometheus-client is installed (scripts/install-deps.sh).
const PYTHON = process.env.PWS_PYTHON || '/usr/bin/python3';
const PARSER = new URL('./parse_metrics.py', import.meta.url).pathname;
const STATIC_FILE = new URL('./static_apps.json', import.meta.url).pathname;
const ITEMS = JSON.parse(readFileSync(new URL('./items.json', import.meta.url), 'utf8'));
const STATIC_APPS = JSON.parse(readFileSync(STATIC_FILE, 'utf8'));

const GATE_APP = { appId: 'gate-app', key: 'gate-key', secret: 'gate-secret-1f2e' };
const DISABLED_KEY = ITEMS.find((i) => i.Enabled?.B === Buffer.from('false').toString('base64')).AppKey.S;
const UNKNOWN_KEY = 'no-such-key';
// Never in the body: a secret, or anything naming an app (ids, keys, even unknown ones).
const SECRETS = [AWS_SECRET, 'app-secret', ...ITEMS.map((i) => i.AppSecret.S), ...STATIC_APPS.map((a) => a.secret)];
const IDENTITIES = ['app-id', 'app-key', UNKNOWN_KEY, 'no-such-app', ...ITEMS.flatMap((i) => [i.AppId.S, i.AppKey.S]),
  ...STATIC_APPS.flatMap((a) => [a.id, a.key])];
const LABEL_NAMES = new Set(['code', 'driver', 'by', 'outcome', 'le']);

/** Runs parse_metrics.py on `text`: {families, samples}, or rejects with its error. */
function parseMetrics(text) {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [PARSER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out))
      : reject(new Error(`parse_metrics.py exited with ${code}: ${err}\n--- body ---\n${text}`))));
    p.stdin.end(text);
  });
}

/** What one scrape said. */
class Scrape {
  constructor({ families, samples }, body) {
    this.families = families;
    this.samples = samples;
    this.body = body;
  }

  /** The value of the sample `name` with exactly `labels`, or undefined. */
  value(name, labels = {}) {
    const want = JSON.stringify(Object.entries(labels).sort());
    const s = this.samples.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want);
    return s?.value;
  }

  /** value(), with a counter not yet created read as 0. */
  count(name, labels = {}) { return this.value(name, labels) ?? 0; }

  family(name) { return this.families.find((f) => f.name === name); }
}

/** GETs /metrics, checks the response and what must never be in it, and parses it. */
async function scrape(gate) {
  const res = await fetch(`http://127.0.0.1:${gate.port}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const body = await res.text();
  for (const s of [...SECRETS, ...IDENTITIES]) assert.ok(!body.includes(s), `/metrics contains ${s}:\n${body}`);
  const m = new Scrape(await parseMetrics(body), body);
  for (const s of m.samples)
    for (const l of Object.keys(s.labels)) assert.ok(LABEL_NAMES.has(l), `label ${l} on ${s.name}`);
  return m;
}

/** Scrapes until `ok(scrape)` holds (the gate learns of a client's close asynchronously). */
async function scrapeUntil(gate, what, ok, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await scrape(gate);
    if (ok(m)) return m;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}\n${m.body}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The difference of a counter between two scrapes. */
const delta = (a, b, name, labels) => b.count(name, labels) - a.count(name, labels);
const lookups = (driver, by, outcome) => ['pws_gate_lookups_total', { driver, by, outcome }];
const closes = (code) => ['pws_gate_closes_total', { code: String(code) }];

/** Connects with pusher-js and disconnects once connected. */
const connectOk = (gate, key) => withClient(gate, key, {}, (c) => stateReached(c, 'connected'));
/** Connects with pusher-js and resolves with the close code the gate refused it with. */
const connectRefused = (gate, key) => withClient(gate, key, {}, async (c) => (await closeCode(c)).code);

/**
 * One WebSocket connect by hand (no client library, so no reconnect): resolves with the code of
 * the gate's close frame, then drops the socket.
 */
function rawConnect(gate, key, ms = 10000) {
  return within(ms, `a close frame for key ${key}`, new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: gate.port, path: `/app/${key}?protocol=7`,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
    });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('upgrade', (res, socket, head) => {
      let buf = head;
      const frames = (d) => {
        buf = Buffer.concat([buf, d]);
        // Server frames are unmasked: opcode, length (7, 16 or 64 bits), payload.
        while (buf.length >= 2) {
          let len = buf[1] & 0x7f;
          let off = 2;
          if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
          if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
          if (buf.length < off + len) return;
          if ((buf[0] & 0x0f) === 0x8) { socket.destroy(); resolve(buf.readUInt16BE(off)); return; }
          buf = buf.subarray(off + len);
        }
      };
      socket.on('data', frames);
      socket.on('error', () => {});
      socket.on('close', () => reject(new Error('closed without a close frame')));
      frames(Buffer.alloc(0));
    });
    req.end();
  }));
}

// Each family the DynamoDB driver's gate must have, with its type.
const GATE_FAMILIES = {
  pws_gate_connections: 'gauge', pws_gate_connections_total: 'counter', pws_gate_tcp_connections: 'gauge',
  pws_gate_closes_total: 'counter', pws_gate_lookups_total: 'counter', pws_gate_lookup_duration_seconds: 'histogram',
};
const DRIVER_FAMILIES = {
  pws_cache_hits_total: 'counter', pws_cache_negative_hits_total: 'counter', pws_cache_misses_total: 'counter',
  pws_cache_coalesced_total: 'counter', pws_cache_requests_total: 'counter', pws_cache_errors_total: 'counter',
  pws_cache_stale_served_total: 'counter', pws_cache_evictions_total: 'counter', pws_cache_entries: 'gauge',
  pws_cache_negative_entries: 'gauge', pws_cache_preload_runs_total: 'counter',
  pws_cache_refreshes_total: 'counter', pws_cache_refresh_failures_total: 'counter',
  pws_cache_refresh_changes_total: 'counter',
  pws_cache_preload_failures_total: 'counter', pws_dynamodb_requests_total: 'counter',
  pws_dynamodb_retries_total: 'counter', pws_dynamodb_stale_retries_total: 'counter',
  pws_dynamodb_throttles_total: 'counter', pws_dynamodb_failovers_total: 'counter',
  pws_dynamodb_quota_refusals_total: 'counter',
  pws_dynamodb_connections_opened_total: 'counter', pws_dynamodb_open_connections: 'gauge',
  pws_dynamodb_idle_connections: 'gauge', pws_dynamodb_pool_waits_total: 'counter',
  pws_dynamodb_pool_timeouts_total: 'counter', pws_credentials_fetches_total: 'counter',
  pws_credentials_failed_fetches_total: 'counter', pws_credentials_background_refreshes_total: 'counter',
  pws_credentials_served_stale_total: 'counter',
};

/** Checks `m` has `families` ({sample name: type}), each with one sample when not labelled. */
function assertFamilies(m, families) {
  for (const [name, type] of Object.entries(families)) {
    // prometheus_client names a counter's family without _total; its sample keeps it.
    const family = m.families.find((f) => f.type === type && (f.name === name || `${f.name}_total` === name));
    assert.ok(family, `no ${type} family ${name}:\n${m.body}`);
    assert.ok(m.body.includes(`\n# TYPE ${name} ${type}\n`), `no TYPE line for ${name}`);
  }
}

/** The histogram of driver `driver`: buckets cumulative, +Inf == _count. Returns _count. */
function assertHistogram(m, driver) {
  const buckets = m.samples.filter((s) => s.name === 'pws_gate_lookup_duration_seconds_bucket' && s.labels.driver === driver);
  assert.deepEqual(buckets.map((b) => b.labels.le),
    ['0.0001', '0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1',
      '2.5', '5', '+Inf']);
  for (let i = 1; i < buckets.length; ++i) assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets must not decrease');
  const count = m.value('pws_gate_lookup_duration_seconds_count', { driver });
  assert.equal(buckets.at(-1).value, count);
  assert.ok(m.value('pws_gate_lookup_duration_seconds_sum', { driver }) >= 0);
  return count;
}

describe('GET /metrics, DynamoDB driver, cache off', () => {
  let gate;
  before(async () => { gate = await startGate({ env: dynamoEnv(dynaliteEndpoint()) }); });
  after(() => gate?.kill());

  test('is Prometheus text that prometheus_client parses: every family typed and documented', async () => {
    const m = await scrape(gate);
    assertFamilies(m, { ...GATE_FAMILIES, ...DRIVER_FAMILIES, pws_cache_enabled: 'gauge' });
    assert.equal(m.value('pws_cache_enabled'), 0);
    assert.match(m.family('pws_cache_refreshes').help, /refresh_after/);
    for (const by of ['key', 'id'])
      for (const outcome of ['found', 'not_found', 'error'])
        assert.equal(typeof m.value(...lookups('dynamodb', by, outcome)), 'number', `lookups ${by} ${outcome}`);
    assert.ok(m.value('pws_gate_tcp_connections') >= 1, 'the scrape itself is a TCP connection');
    assertHistogram(m, 'dynamodb');
  });

  test('connects: exact lookups by outcome, closes by code, and one DynamoDB request per lookup', async () => {
    const m0 = await scrape(gate);
    for (let i = 0; i < 3; ++i) await connectOk(gate, GATE_APP.key);
    for (let i = 0; i < 2; ++i) assert.equal(await connectRefused(gate, UNKNOWN_KEY), 4001);
    assert.equal(await connectRefused(gate, DISABLED_KEY), 4003);
    const m1 = await scrape(gate);

    assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'found')), 4);  // the disabled app is found
    assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'not_found')), 2);
    assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'error')), 0);
    assert.equal(delta(m0, m1, ...closes(4001)), 2);
    assert.equal(delta(m0, m1, ...closes(4003)), 1);
    assert.equal(delta(m0, m1, 'pws_gate_connections_total'), 3);
    assert.equal(delta(m0, m1, 'pws_gate_lookup_duration_seconds_count', { driver: 'dynamodb' }), 6);
    assertHistogram(m1, 'dynamodb');
    // Uncached: every lookup is one Query, all sent, none retried (a re-send on a pooled
    // connection found dead would be counted apart, as a stale retry).
    const staleResends = delta(m0, m1, 'pws_dynamodb_stale_retries_total');
    assert.equal(delta(m0, m1, 'pws_dynamodb_requests_total'), 6 + staleResends);
    assert.equal(delta(m0, m1, 'pws_dynamodb_retries_total'), 0);
    assert.equal(delta(m0, m1, 'pws_cache_requests_total'), 6);
    assert.equal(delta(m0, m1, 'pws_cache_misses_total'), 0, 'a cache that is off counts no misses');
    assert.equal(delta(m0, m1, 'pws_cache_hits_total'), 0);
    assert.equal(m1.value('pws_cache_entries'), 0);
    assert.equal(m1.value('pws_credentials_fetches_total'), 1, 'the environment credentials, read once');
    assert.equal(m1.value('pws_credentials_failed_fetches_total'), 0);
    assert.ok(m1.value('pws_dynamodb_connections_opened_total') >= 1);
  });

  test('pws_gate_connections goes up while a client is connected, down once it closes', async () => {
    const m0 = await scrapeUntil(gate, 'no connection open', (m) => m.value('pws_gate_connections') === 0);
    const c = client(gate, GATE_APP.key);
    let m1;
    try {
      await stateReached(c, 'connected');
      m1 = await scrape(gate);
    } finally {
      c.disconnect();
    }
    assert.equal(m1.value('pws_gate_connections'), 1);
    assert.equal(delta(m0, m1, 'pws_gate_connections_total'), 1);
    assert.ok(m1.value('pws_gate_tcp_connections') >= 2, 'the WebSocket and the scrape');
    const m2 = await scrapeUntil(gate, 'the connection closed', (m) => m.value('pws_gate_connections') === 0);
    assert.equal(delta(m0, m2, ...closes('client')), 1);
    assert.equal(delta(m1, m2, 'pws_gate_connections_total'), 0);
  });

  test('HTTP API lookups are counted by id; other methods than GET get 405', async () => {
    const m0 = await scrape(gate);
    assert.equal((await serverSdk(gate, GATE_APP).trigger('orders', 'placed', { n: 1 })).status, 200);
    await assert.rejects(serverSdk(gate, { appId: 'no-such-app', key: 'k', secret: 's' }).trigger('c', 'e', {}),
      (e) => e.status === 404);
    const m1 = await scrape(gate);
    assert.equal(delta(m0, m1, ...lookups('dynamodb', 'id', 'found')), 1);
    assert.equal(delta(m0, m1, ...lookups('dynamodb', 'id', 'not_found')), 1);
    assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'found')), 0);
    const staleResends = delta(m0, m1, 'pws_dynamodb_stale_retries_total');
    assert.equal(delta(m0, m1, 'pws_dynamodb_requests_total'), 2 + staleResends);

    const post = await fetch(`http://127.0.0.1:${gate.port}/metrics`, { method: 'POST', body: '' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
  });
});

describe('GET /metrics, DynamoDB driver, cache on', () => {
  test('repeated connects are cache hits; DynamoDB is asked once per app or unknown key', async () => {
    const gate = await startGate({ env: { ...dynamoEnv(dynaliteEndpoint()), APP_MANAGER_CACHE_ENABLED: 'true' } });
    try {
      const m0 = await scrape(gate);
      assert.equal(m0.value('pws_cache_enabled'), 1);
      for (let i = 0; i < 4; ++i) await connectOk(gate, GATE_APP.key);
      // Two unknown-key connects in a row: the second within the 5 s negative TTL.
      for (let i = 0; i < 2; ++i) assert.equal(await connectRefused(gate, UNKNOWN_KEY), 4001);
      for (let i = 0; i < 2; ++i) assert.equal(await connectRefused(gate, DISABLED_KEY), 4003);
      const m1 = await scrape(gate);

      assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'found')), 6);
      assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'not_found')), 2);
      assert.equal(delta(m0, m1, ...closes(4001)), 2);
      assert.equal(delta(m0, m1, ...closes(4003)), 2);
      assert.equal(delta(m0, m1, 'pws_cache_misses_total'), 3);        // gate-key, the unknown key, the disabled app
      assert.equal(delta(m0, m1, 'pws_cache_hits_total'), 4);          // 3 of gate-key, 1 of the disabled app
      assert.equal(delta(m0, m1, 'pws_cache_negative_hits_total'), 1);
      assert.equal(delta(m0, m1, 'pws_cache_requests_total'), 3);
      assert.equal(delta(m0, m1, 'pws_cache_errors_total'), 0);
      assert.equal(m1.value('pws_cache_entries'), 2);
      assert.equal(m1.value('pws_cache_negative_entries'), 1);
      const staleResends = delta(m0, m1, 'pws_dynamodb_stale_retries_total');
      assert.equal(delta(m0, m1, 'pws_dynamodb_requests_total'), 3 + staleResends);
      assert.equal(delta(m0, m1, 'pws_gate_lookup_duration_seconds_count', { driver: 'dynamodb' }), 8);
      assertHistogram(m1, 'dynamodb');

      // By id, the app cached by key is a hit too: no DynamoDB request.
      assert.equal((await serverSdk(gate, GATE_APP).trigger('orders', 'placed', {})).status, 200);
      const m2 = await scrape(gate);
      assert.equal(delta(m1, m2, ...lookups('dynamodb', 'id', 'found')), 1);
      assert.equal(delta(m1, m2, 'pws_cache_hits_total'), 1);
      assert.equal(delta(m1, m2, 'pws_dynamodb_requests_total'), 0);
    } finally {
      gate.kill();
    }
  });
});

describe('GET /metrics when DynamoDB is unreachable', () => {
  test('failed lookups: outcome error, close 4199, HTTP API 503; no request ever written', async () => {
    const gate = await startGate({ env: dynamoEnv(`http://127.0.0.1:${await closedPort()}`) });
    try {
      const m0 = await scrape(gate);
      assert.equal(await rawConnect(gate, GATE_APP.key), 4199);
      await assert.rejects(serverSdk(gate, GATE_APP).trigger('c', 'e', {}), (e) => e.status === 503);
      const m1 = await scrape(gate);
      assert.equal(delta(m0, m1, ...lookups('dynamodb', 'key', 'error')), 1);
      assert.equal(delta(m0, m1, ...lookups('dynamodb', 'id', 'error')), 1);
      assert.equal(delta(m0, m1, ...closes(4199)), 1);
      assert.equal(delta(m0, m1, 'pws_cache_errors_total'), 2);
      assert.equal(m1.value('pws_dynamodb_requests_total'), 0);
      assert.equal(m1.value('pws_dynamodb_connections_opened_total'), 0);
      assert.equal(m1.value('pws_gate_connections_total'), 0);
    } finally {
      gate.kill();
    }
  });
});

describe('GET /metrics, static driver', () => {
  test('gate families only, with driver="array"; no cache, DynamoDB or credentials family', async () => {
    const gate = await startGate({ args: ['--static', STATIC_FILE] });
    try {
      await connectOk(gate, STATIC_APPS[0].key);
      assert.equal(await connectRefused(gate, UNKNOWN_KEY), 4001);
      const m = await scrape(gate);
      assertFamilies(m, GATE_FAMILIES);
      for (const prefix of ['pws_dynamodb_', 'pws_cache_', 'pws_credentials_']) {
        assert.ok(!m.body.includes(prefix), `${prefix}* in a static driver's metrics:\n${m.body}`);
        assert.ok(!m.families.some((f) => f.name.startsWith(prefix)));
      }
      assert.equal(m.value(...lookups('array', 'key', 'found')), 1);
      assert.equal(m.value(...lookups('array', 'key', 'not_found')), 1);
      assert.equal(m.value(...closes(4001)), 1);
      assert.equal(m.value('pws_gate_connections_total'), 1);
      assert.equal(assertHistogram(m, 'array'), 2);
    } finally {
      gate.kill();
    }
  });
});
