// What a cache refresh learns reaches pws-gate's connections at once (issue 18): a rotated secret
// signs the next subscription and API call, a disabled app's connections close with 4003, a deleted
// app's with 4001. The gate runs AppManager<Cached<DynamoDbPolicy>> over the fixture's dynalite with
// APP_MANAGER_CACHE_REFRESH_AFTER=1 (and soketi's TTL -1: without refreshes, nothing would change).
// Run by CTest: node --test refresh.test.mjs, with PWS_GATE_BIN and PWS_DYNALITE_STATE set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import PusherServer from 'pusher';
import {
  client, closeCode, dynaliteEndpoint, dynamoEnv, serverSdk, startGate, stateReached, subscribed, within,
} from './support.mjs';

const TABLE = process.env.PWS_DYNALITE_TABLE || 'apps';

/** One DynamoDB call straight to dynalite (it checks no signature), as an operator's tool would;
 *  on a connection of its own, closed after the answer (a kept-alive one would hold the test up). */
async function dynamo(operation, body) {
  const url = new URL(dynaliteEndpoint());
  const payload = JSON.stringify({ TableName: TABLE, ...body });
  const { status, text } = await new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method: 'POST', path: '/', agent: false,
      headers: {
        'X-Amz-Target': `DynamoDB_20120810.${operation}`,
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Date': '20200101T000000Z',
        Authorization: 'AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        Connection: 'close',
      },
    }, (res) => {
      let t = '';
      res.on('data', (d) => { t += d; });
      res.on('end', () => resolve({ status: res.statusCode, text: t }));
    });
    req.on('error', reject);
    req.end(payload);
  });
  assert.equal(status, 200, `${operation}: ${text}`);
}
const b64 = (s) => Buffer.from(s).toString('base64');
function putApp({ appId, key, secret }, { enabled = true } = {}) {
  return dynamo('PutItem', {
    Item: {
      AppId: { S: appId }, AppKey: { S: key }, AppSecret: { S: secret },
      Enabled: { B: b64(enabled ? 'true' : 'false') }, EnableClientMessages: { B: b64('false') },
    },
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A signer for support.mjs's client(): signs with whatever secret `use` was given last. */
function switchableSigner() {
  const s = {
    current: null,
    use(app, secret) { s.current = new PusherServer({ appId: app.appId, key: app.key, secret, host: '127.0.0.1', useTLS: false }); },
    authorizeChannel: (...args) => s.current.authorizeChannel(...args),
  };
  return s;
}

/** A private-channel subscription of `c` signed with `secret`: 'ok' or the error's type. */
async function subscribeSigned(c, signer, app, secret, channel) {
  signer.use(app, secret);
  try {
    await subscribed(c, channel);
    return 'ok';
  } catch (e) {
    return e.data?.type ?? String(e);
  }
}

/** Resolves once the gate's log has a line matching `re` (log lines come through a pipe). */
async function logShows(gate, re, ms = 5000) {
  await within(ms, `a log line matching ${re}`, (async () => {
    while (!re.test(gate.log())) await sleep(20);
  })());
}

describe('pws-gate follows what the cache refresh learns', () => {
  let gate;
  before(async () => {
    gate = await startGate({
      env: { ...dynamoEnv(dynaliteEndpoint()), APP_MANAGER_CACHE_ENABLED: 'true', APP_MANAGER_CACHE_REFRESH_AFTER: '1' },
    });
  });
  after(() => gate?.kill());

  test('a rotated secret signs the next subscription and API call; the old one no longer does', async () => {
    const app = { appId: 'refresh-rotate', key: 'refresh-rotate-key', secret: 'refresh-secret-old-1a' };
    await putApp(app);
    const signer = switchableSigner();
    const c = client(gate, app.key, { authWith: signer });
    try {
      await stateReached(c, 'connected');
      assert.equal(await subscribeSigned(c, signer, app, app.secret, 'private-before'), 'ok');

      const rotated = 'refresh-secret-new-2b';
      await putApp({ ...app, secret: rotated });
      await sleep(1100);  // the entry is now older than refresh_after
      // A hit: answered from memory (the old secret still signs this one), and the refresh starts.
      assert.equal((await serverSdk(gate, app).trigger('c', 'e', {})).status, 200);
      await logShows(gate, /app=refresh-rotate changed \(a cache refresh\): 1 connection\(s\) now use it/);

      assert.equal(await subscribeSigned(c, signer, app, app.secret, 'private-old-secret'), 'AuthError');
      assert.equal(await subscribeSigned(c, signer, app, rotated, 'private-new-secret'), 'ok');
      assert.equal((await serverSdk(gate, { ...app, secret: rotated }).trigger('c', 'e', {})).status, 200);
      await assert.rejects(serverSdk(gate, app).trigger('c', 'e', {}), (e) => e.status === 401);
      assert.equal(c.connection.state, 'connected');
    } finally {
      c.disconnect();
    }
  });

  test('an app disabled in the table: its connections close with 4003 once the refresh learns it', async () => {
    const app = { appId: 'refresh-disable', key: 'refresh-disable-key', secret: 'refresh-disable-secret-3c' };
    await putApp(app);
    const [a, b] = [client(gate, app.key), client(gate, app.key)];
    try {
      await Promise.all([stateReached(a, 'connected'), stateReached(b, 'connected')]);
      await putApp(app, { enabled: false });
      await sleep(1100);
      const closed = Promise.all([closeCode(a, 5000), closeCode(b, 5000)]);
      // Any hit starts the refresh: here a third connect, admitted from memory, then closed too.
      const late = client(gate, app.key);
      const lateClosed = closeCode(late, 5000);
      try {
        const codes = await closed;
        assert.deepEqual(codes.map((x) => x.code), [4003, 4003]);
        assert.equal((await lateClosed).code, 4003);
      } finally {
        late.disconnect();
      }
      await logShows(gate, /app=refresh-disable disabled \(a cache refresh\): 3 connection\(s\) closed with 4003/);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  test('an app deleted from the table: its connections close with 4001, and its key is unknown', async () => {
    const app = { appId: 'refresh-delete', key: 'refresh-delete-key', secret: 'refresh-delete-secret-4d' };
    await putApp(app);
    const c = client(gate, app.key);
    try {
      await stateReached(c, 'connected');
      await dynamo('DeleteItem', { Key: { AppId: { S: app.appId } } });
      await sleep(1100);
      const closed = closeCode(c, 5000);
      // A hit, answered from memory (the app still exists there), starts the refresh...
      assert.equal((await serverSdk(gate, app).trigger('c', 'e', {})).status, 200);
      assert.equal((await closed).code, 4001);
      await logShows(gate, /app=refresh-delete deleted \(a cache refresh\): 1 connection\(s\) closed with 4001/);
      // ...which left a negative entry: the app is unknown now, by id and by key.
      await assert.rejects(serverSdk(gate, app).trigger('c', 'e', {}), (e) => e.status === 404);
      const again = client(gate, app.key);
      try {
        assert.equal((await closeCode(again, 5000)).code, 4001);
      } finally {
        again.disconnect();
      }
    } finally {
      c.disconnect();
    }
  });
});
