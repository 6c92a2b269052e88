// End-to-end tests of examples/pws_gate with the real pusher-js client and the real `pusher`
// server SDK, against apps stored in dynalite (the CTest fixture gate_dynalite, items.json).
// Run by CTest: node --test gate.test.mjs, with PWS_GATE_BIN and PWS_DYNALITE_STATE set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import net from 'node:net';
import {
  AWS_SECRET, client, closeCode, closedPort, dynaliteEndpoint, dynamoEnv, nextEvent, serverSdk,
  startGate, stateReached, subscribed, within, withClient,
} from './support.mjs';

const GATE_APP = { appId: 'gate-app', key: 'gate-key', secret: 'gate-secret-1f2e' }; // client events on
const SEED_APP = { appId: 'app-id', key: 'app-key', secret: 'app-secret' };           // client events off
const LIMITED_APP = { appId: 'gate-limited', key: 'gate-limited-key', secret: 'gate-limited-secret-4a' };
const SECRETS = ['gate-secret-1f2e', 'app-secret', 'gate-disabled-secret-7c', 'gate-one-secret-9d',
  'gate-limited-secret-4a', AWS_SECRET];

describe('pws-gate over DynamoDB (dynalite)', () => {
  let gate;
  before(async () => { gate = await startGate({ env: dynamoEnv(dynaliteEndpoint()) }); });
  after(() => gate?.kill());

  test('pusher-js connects with a key stored in DynamoDB and gets a socket id', async () => {
    await withClient(gate, GATE_APP.key, {}, async (c) => {
      await stateReached(c, 'connected');
      assert.match(c.connection.socket_id, /^\d+\.\d+$/);
    });
  });

  test('an event triggered with the pusher SDK reaches a subscribed pusher-js client', async () => {
    await withClient(gate, GATE_APP.key, {}, async (c) => {
      const ch = await subscribed(c, 'orders');
      const got = nextEvent(ch, 'order-placed');
      const res = await serverSdk(gate, GATE_APP).trigger('orders', 'order-placed', { id: 42, item: 'tea' });
      assert.equal(res.status, 200);
      assert.deepEqual(await got, { id: 42, item: 'tea' });
    });
  });

  test('triggerBatch reaches each channel; socket_id excludes the sender', async () => {
    await withClient(gate, GATE_APP.key, {}, async (a) => {
      await withClient(gate, GATE_APP.key, {}, async (b) => {
        const [a1, b1] = [await subscribed(a, 'news'), await subscribed(b, 'news')];
        const sdk = serverSdk(gate, GATE_APP);
        const seenByA = [];
        a1.bind('headline', (d) => seenByA.push(d));
        const gotB = nextEvent(b1, 'headline');
        await sdk.trigger('news', 'headline', { n: 1 }, { socket_id: a.connection.socket_id });
        assert.deepEqual(await gotB, { n: 1 });
        const gotBatch = Promise.all([nextEvent(a1, 'b1'), nextEvent(b1, 'b1')]);
        const res = await sdk.triggerBatch([{ channel: 'news', name: 'b1', data: { x: 1 } }]);
        assert.equal(res.status, 200);
        assert.deepEqual(await gotBatch, [{ x: 1 }, { x: 1 }]);
        assert.deepEqual(seenByA, [], 'the excluded socket got the event');
      });
    });
  });

  test('private channel: subscribes with a correct auth, events arrive; a wrong auth is refused', async () => {
    const sdk = serverSdk(gate, GATE_APP);
    await withClient(gate, GATE_APP.key, { authWith: sdk }, async (c) => {
      const ch = await subscribed(c, 'private-inbox');
      const got = nextEvent(ch, 'mail');
      await sdk.trigger('private-inbox', 'mail', 'hello');
      assert.equal(await got, 'hello');
    });
    const forger = serverSdk(gate, { ...GATE_APP, secret: 'not-the-secret' });
    await withClient(gate, GATE_APP.key, { authWith: forger }, async (c) => {
      await assert.rejects(subscribed(c, 'private-inbox'), (e) => e.data?.status === 401 && e.data?.type === 'AuthError');
    });
  });

  test('presence channel: members and member_added', async () => {
    const sdk = serverSdk(gate, GATE_APP);
    await withClient(gate, GATE_APP.key, { authWith: sdk, user: { user_id: 'alice', user_info: { name: 'Alice' } } }, async (a) => {
      const room = await subscribed(a, 'presence-room');
      assert.equal(room.members.count, 1);
      assert.equal(room.members.me.id, 'alice');
      const added = nextEvent(room, 'pusher:member_added');
      await withClient(gate, GATE_APP.key, { authWith: sdk, user: { user_id: 'bob' } }, async (b) => {
        const roomB = await subscribed(b, 'presence-room');
        assert.equal(roomB.members.count, 2);
        assert.equal((await added).id, 'bob');
        const removed = nextEvent(room, 'pusher:member_removed');
        b.disconnect();
        assert.equal((await removed).id, 'bob');
      });
    });
  });

  test('client events: relayed to the others on a private channel when the app enables them', async () => {
    const sdk = serverSdk(gate, GATE_APP);
    await withClient(gate, GATE_APP.key, { authWith: sdk }, async (a) => {
      await withClient(gate, GATE_APP.key, { authWith: sdk }, async (b) => {
        const chA = await subscribed(a, 'private-chat');
        const chB = await subscribed(b, 'private-chat');
        const echoed = [];
        chA.bind('client-typing', (d) => echoed.push(d));
        const got = nextEvent(chB, 'client-typing');
        assert.ok(chA.trigger('client-typing', { who: 'a' }));
        assert.deepEqual(await got, { who: 'a' });
        // Messages to one connection keep their order: once A has this later event, an echo would be in.
        const marker = nextEvent(chA, 'marker');
        await sdk.trigger('private-chat', 'marker', {});
        await marker;
        assert.deepEqual(echoed, [], 'the sender got its own client event');
      });
    });
  });

  test('client events: refused with pusher:error when the app disables them', async () => {
    const sdk = serverSdk(gate, SEED_APP);
    await withClient(gate, SEED_APP.key, { authWith: sdk }, async (c) => {
      const ch = await subscribed(c, 'private-chat');
      const err = within(5000, 'pusher:error', new Promise((resolve) => c.connection.bind('error', resolve)));
      ch.trigger('client-typing', {});
      const e = await err;
      assert.equal(e.type, 'PusherError');
      assert.deepEqual(e.data, { code: 4301, message: 'The app does not have client messaging enabled.' });
      assert.equal(c.connection.state, 'connected', 'a refused client event must not close the connection');
    });
  });

  test('pusher:ping is answered with pusher:pong', async () => {
    await withClient(gate, GATE_APP.key, { activityTimeout: 300, pongTimeout: 2000 }, async (c) => {
      await stateReached(c, 'connected');
      const pong = within(5000, 'pusher:pong', new Promise((resolve) => c.connection.bind('message', (m) => {
        if (m.event === 'pusher:pong') resolve(m);
      })));
      await pong;
      assert.equal(c.connection.state, 'connected');
    });
  });

  test('wrong key: pusher:error and close 4001 (do not reconnect)', async () => {
    await withClient(gate, 'no-such-key', {}, async (c) => {
      const { code, message } = await closeCode(c);
      assert.equal(code, 4001);
      assert.match(message, /does not exist/);
    });
  });

  test('disabled app: close 4003', async () => {
    await withClient(gate, 'gate-disabled-key', {}, async (c) => {
      assert.equal((await closeCode(c)).code, 4003);
    });
  });

  test('over maxConnections (1): the second connection gets 4004, and the slot frees on disconnect', async () => {
    const first = client(gate, 'gate-one-key');
    try {
      await stateReached(first, 'connected');
      await withClient(gate, 'gate-one-key', {}, async (c) => assert.equal((await closeCode(c)).code, 4004));
    } finally {
      first.disconnect();
    }
    // The server learns of the disconnect asynchronously: try a few times.
    for (let i = 0; ; ++i) {
      const c = client(gate, 'gate-one-key');
      try {
        const outcome = await Promise.race([stateReached(c, 'connected').then(() => 'connected'), closeCode(c).then((e) => e.code)]);
        if (outcome === 'connected') break;
        assert.ok(i < 20, `still ${outcome} after ${i} tries`);
      } finally { c.disconnect(); }
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('HTTP API: a wrong secret gets 401; expired timestamp and wrong body_md5 get 401', async () => {
    const forged = serverSdk(gate, { ...GATE_APP, secret: 'wrong-secret' });
    await assert.rejects(forged.trigger('orders', 'x', {}), (e) => e.status === 401);

    // Hand-signed requests, to vary one field at a time.
    const post = async ({ timestamp = Math.floor(Date.now() / 1000), md5Of = null } = {}) => {
      const body = JSON.stringify({ name: 'x', channels: ['orders'], data: '{}' });
      const path = `/apps/${GATE_APP.appId}/events`;
      const md5 = createHash('md5').update(md5Of ?? body).digest('hex');
      const query = `auth_key=${GATE_APP.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${md5}`;
      const sig = createHmac('sha256', GATE_APP.secret).update(`POST\n${path}\n${query}`).digest('hex');
      return fetch(`http://127.0.0.1:${gate.port}${path}?${query}&auth_signature=${sig}`,
        { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    };
    assert.equal((await post()).status, 200, 'a correctly hand-signed request');
    assert.equal((await post({ timestamp: Math.floor(Date.now() / 1000) - 601 })).status, 401);
    assert.equal((await post({ md5Of: 'another body' })).status, 401);
  });

  test('HTTP API: over maxBackendEventsPerSecond (2) gets 429', async () => {
    const sdk = serverSdk(gate, LIMITED_APP);
    const three = [1, 2, 3].map((i) => ({ channel: 'c', name: 'e', data: String(i) }));
    await assert.rejects(sdk.triggerBatch(three), (e) => e.status === 429);
    // Refused events take nothing from the budget: two still pass.
    assert.equal((await sdk.triggerBatch(three.slice(0, 2))).status, 200);
  });

  test('HTTP API: an unknown app id gets 404', async () => {
    await assert.rejects(serverSdk(gate, { appId: 'no-such-app', key: 'k', secret: 's' }).trigger('c', 'e', {}),
      (e) => e.status === 404);
  });

  test('the log has one line per connection outcome and never a secret', () => {
    const log = gate.log();
    assert.match(log, /key=gate-key app=gate-app socket_id=\d+\.\d+ connected/);
    assert.match(log, /key=no-such-key refused 4001/);
    assert.match(log, /key=gate-disabled-key app=gate-disabled refused 4003/);
    assert.match(log, /key=gate-one-key app=gate-one refused 4004/);
    for (const s of SECRETS) assert.ok(!log.includes(s), `the log contains the secret ${s}`);
  });
});

describe('pws-gate when the lookup itself fails', () => {
  test('DynamoDB unreachable: close 4199 (reconnect after backing off), pusher-js retries; HTTP API 503', async () => {
    const gate = await startGate({ env: dynamoEnv(`http://127.0.0.1:${await closedPort()}`) });
    try {
      await withClient(gate, GATE_APP.key, {}, async (c) => {
        assert.equal((await closeCode(c, 10000)).code, 4199);
        // pusher-js maps 4100-4199 to "back off, then reconnect": it comes back by itself.
        assert.equal((await closeCode(c, 10000)).code, 4199);
      });
      await assert.rejects(serverSdk(gate, GATE_APP).trigger('c', 'e', {}), (e) => e.status === 503);
      assert.match(gate.log(), /key=gate-key lookup failed: .*127\.0\.0\.1/);
      assert.doesNotMatch(gate.log(), /refused 4001/, 'a failed lookup was reported as "no such app"');
      for (const s of SECRETS) assert.ok(!gate.log().includes(s), `the log contains the secret ${s}`);
    } finally {
      gate.kill();
    }
  });
});

describe('pws-gate with --static', () => {
  test('apps from a soketi array-driver file: connect, subscribe, receive; unknown key 4001', async () => {
    const app = { appId: 'static-app', key: 'static-key', secret: 'static-secret-5b' };
    const gate = await startGate({ args: ['--static', new URL('./static_apps.json', import.meta.url).pathname] });
    try {
      await withClient(gate, app.key, {}, async (c) => {
        const ch = await subscribed(c, 'updates');
        const got = nextEvent(ch, 'tick');
        await serverSdk(gate, app).trigger('updates', 'tick', { t: 1 });
        assert.deepEqual(await got, { t: 1 });
      });
      await withClient(gate, GATE_APP.key, {}, async (c) => assert.equal((await closeCode(c)).code, 4001));
    } finally {
      gate.kill();
    }
  });
});

describe('pws-gate shutdown', () => {
  test('SIGTERM closes connections with 4200 and exits 0', async () => {
    const gate = await startGate({ env: dynamoEnv(dynaliteEndpoint()) });
    try {
      await withClient(gate, GATE_APP.key, {}, async (c) => {
        await subscribed(c, 'orders');
        const closed = closeCode(c);
        gate.proc.kill('SIGTERM');
        assert.equal((await closed).code, 4200);
        const { code, signal } = await within(10000, 'pws-gate to exit', gate.exited);
        assert.deepEqual({ code, signal }, { code: 0, signal: null });
      });
      assert.match(gate.log(), /SIGTERM, closing 1 connection/);
    } finally {
      gate.kill();
    }
  });
});

describe('pws-gate with the cache on (APP_MANAGER_CACHE_*)', () => {
  // A TCP relay in front of dynalite that the test can pull, to make DynamoDB go away mid-test.
  async function relayTo(endpoint) {
    const { hostname, port } = new URL(endpoint);
    const sockets = new Set();
    const srv = net.createServer((down) => {
      const up = net.connect(Number(port), hostname);
      for (const s of [down, up]) { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)); }
      down.pipe(up).pipe(down);
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    return {
      endpoint: `http://127.0.0.1:${srv.address().port}`,
      close: () => new Promise((r) => { srv.close(r); for (const s of sockets) s.destroy(); }),
    };
  }

  test('a cached app still connects when DynamoDB becomes unreachable; an uncached key gets 4199', async () => {
    const relay = await relayTo(dynaliteEndpoint());
    const gate = await startGate({ env: { ...dynamoEnv(relay.endpoint), APP_MANAGER_CACHE_ENABLED: 'true', APP_MANAGER_CACHE_TTL: '300' } });
    try {
      assert.match(gate.log(), /, cached\)/);
      await withClient(gate, GATE_APP.key, {}, (c) => stateReached(c, 'connected')); // looked up, cached
      await relay.close();                                                             // DynamoDB is gone
      await withClient(gate, GATE_APP.key, {}, (c) => stateReached(c, 'connected')); // from the cache
      await withClient(gate, 'gate-one-key', {}, async (c) => assert.equal((await closeCode(c, 10000)).code, 4199));
    } finally {
      gate.kill();
      await relay.close();
    }
  });

  test('an unreadable cache variable stops pws-gate with exit 2, naming it', async () => {
    await assert.rejects(startGate({ env: { ...dynamoEnv(dynaliteEndpoint()), APP_MANAGER_CACHE_TTL: 'soon' } }),
      (e) => /exited with 2/.test(e.message) && /APP_MANAGER_CACHE_TTL/.test(e.message));
  });
});
