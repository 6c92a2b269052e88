// Every limit an app carries, enforced by pws-gate with soketi's codes and texts: over WebSocket
// with pusher-js (channel name length, presence members and member size, client events: enabled,
// name length, payload size, rate), over HTTP with the `pusher` server SDK (event name, payload,
// channels at once, batch size, the read API and maxReadRequestsPerSecond).
// Run by CTest: node --test limits.test.mjs, with PWS_GATE_BIN set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, nextEvent, serverSdk, startGate, stateReached, subscribed, within, withClient } from './support.mjs';

const LIMITED = {
  id: 'lim-app', key: 'lim-key', secret: 'lim-secret-3c9a', enableClientMessages: true,
  maxChannelNameLength: 30, maxEventNameLength: 20, maxEventPayloadInKb: 10,
  maxPresenceMembersPerChannel: 2, maxPresenceMemberSizeInKb: 1, maxClientEventsPerSecond: 3,
  maxReadRequestsPerSecond: 4, maxEventChannelsAtOnce: 2, maxEventBatchSize: 2,
};
const APP = { appId: LIMITED.id, key: LIMITED.key, secret: LIMITED.secret };

/** Resolves with the next pusher:error's data ({code, message}) on `c`. */
function nextError(c, ms = 5000) {
  return within(ms, 'pusher:error', new Promise((resolve) => {
    const on = (e) => { if (e?.type === 'PusherError') { c.connection.unbind('error', on); resolve(e.data); } };
    c.connection.bind('error', on);
  }));
}

/** Resolves with the subscription_error data ({type, error, status}) of `name`; rejects on success. */
function refusedSubscription(c, name, ms = 5000) {
  const ch = c.subscribe(name);
  return within(ms, `subscription_error on ${name}`, new Promise((resolve, reject) => {
    ch.bind('pusher:subscription_error', resolve);
    ch.bind('pusher:subscription_succeeded', () => reject(new Error(`${name}: subscribed, expected a refusal`)));
  }));
}

/** The error body of a rejected `pusher` SDK call, parsed, with its status. */
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    if (e.status === undefined) throw e;
    return { status: e.status, ...JSON.parse(e.body) };
  }
  throw new Error('the call succeeded, expected a refusal');
}

describe('pws-gate enforces the limits of the app', () => {
  let gate;
  let sdk;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pws-gate-limits-'));
    const file = join(dir, 'apps.json');
    writeFileSync(file, JSON.stringify([LIMITED]));
    gate = await startGate({ args: ['--static', file] });
    sdk = serverSdk(gate, APP);
  });
  after(() => gate?.kill());

  test('a channel name over maxChannelNameLength: subscription_error LimitReached 4009', async () => {
    await withClient(gate, APP.key, {}, async (c) => {
      assert.deepEqual(await refusedSubscription(c, 'x'.repeat(31)), {
        type: 'LimitReached', error: 'The channel name is longer than the allowed 30 characters.', status: 4009,
      });
      await subscribed(c, 'x'.repeat(30));  // at the limit: fine
    });
  });

  test('presence: the third member is refused with 4100; another socket of a member is not a new member', async () => {
    const users = [1, 2, 3].map((n) => ({ user_id: `u${n}`, user_info: { name: `user ${n}` } }));
    const clients = users.map((user) => client(gate, APP.key, { authWith: sdk, user }));
    const again = client(gate, APP.key, { authWith: sdk, user: users[0] });
    try {
      await subscribed(clients[0], 'presence-room');
      await subscribed(clients[1], 'presence-room');
      assert.deepEqual(await refusedSubscription(clients[2], 'presence-room'), {
        type: 'LimitReached', error: 'The maximum members per presence channel limit was reached', status: 4100,
      });
      const ch = await subscribed(again, 'presence-room');
      assert.equal(ch.members.count, 2);
      // The read API sees the same: 3 sockets, 2 users.
      const info = await (await sdk.get({ path: '/channels/presence-room', params: { info: 'user_count' } })).json();
      assert.deepEqual(info, { subscription_count: 3, occupied: true, user_count: 2 });
      const list = await (await sdk.get({ path: '/channels/presence-room/users' })).json();
      assert.deepEqual(list, { users: [{ id: 'u1' }, { id: 'u2' }] });
    } finally {
      for (const c of [...clients, again]) c.disconnect();
    }
  });

  test('presence: user_info over maxPresenceMemberSizeInKb is refused with 4301', async () => {
    const user = { user_id: 'big', user_info: { bio: 'x'.repeat(1100) } };
    await withClient(gate, APP.key, { authWith: sdk, user }, async (c) => {
      assert.deepEqual(await refusedSubscription(c, 'presence-big'), {
        type: 'LimitReached', error: 'The maximum size for a channel member is 1 KB.', status: 4301,
      });
    });
  });

  test('client events over maxEventNameLength or maxEventPayloadInKb: pusher:error 4301, not delivered', async () => {
    await withClient(gate, APP.key, { authWith: sdk }, async (a) => {
      await withClient(gate, APP.key, { authWith: sdk }, async (b) => {
        const chA = await subscribed(a, 'private-limits');
        const chB = await subscribed(b, 'private-limits');
        const seen = [];
        chB.bind_global((event) => { if (event.startsWith('client-')) seen.push(event); });

        let err = nextError(a);
        chA.trigger(`client-${'n'.repeat(30)}`, { x: 1 });  // 37 characters
        assert.deepEqual(await err, { code: 4301, message: 'Event name is too long. Maximum allowed size is 20.' });
        err = nextError(a);
        chA.trigger('client-big', { blob: 'x'.repeat(200 * 1024) });
        assert.deepEqual(await err, { code: 4301, message: 'The event data should be less than 10 KB.' });

        // A small one goes through, and after it nothing refused had arrived.
        const got = nextEvent(chB, 'client-ok');
        chA.trigger('client-ok', { x: 2 });
        assert.deepEqual(await got, { x: 2 });
        assert.deepEqual(seen, ['client-ok']);
        assert.equal(a.connection.state, 'connected', 'a refused client event must not close the connection');
      });
    });
  });

  test('client events over maxClientEventsPerSecond (3): refused with 4301, at most 3 a second delivered', async () => {
    await withClient(gate, APP.key, { authWith: sdk }, async (a) => {
      await withClient(gate, APP.key, { authWith: sdk }, async (b) => {
        const chA = await subscribed(a, 'private-rate');
        const chB = await subscribed(b, 'private-rate');
        let delivered = 0;
        chB.bind('client-tick', () => { delivered += 1; });
        const errors = [];
        a.connection.bind('error', (e) => { if (e?.type === 'PusherError') errors.push(e.data); });
        const sent = Date.now();
        for (let i = 0; i < 10; i += 1) chA.trigger('client-tick', { i });
        const marker = nextEvent(chB, 'marker');
        await sdk.trigger('private-rate', 'marker', {});
        await marker;  // every client event was handled before the marker was (one connection, in order)
        await within(5000, '10 outcomes', (async () => {
          while (delivered + errors.length < 10) await new Promise((r) => setTimeout(r, 20));
        })());
        // Sent within a few ms: one second, or two when they straddled a boundary.
        const seconds = Math.floor((Date.now() - sent) / 1000) + 2;
        assert.ok(delivered <= 3 * seconds && delivered >= 3, `delivered ${delivered}`);
        assert.equal(delivered + errors.length, 10);
        assert.ok(errors.length >= 1);
        for (const e of errors)
          assert.deepEqual(e, { code: 4301, message: 'The rate limit for sending client events exceeded the quota.' });
      });
    });
  });

  test('HTTP API: event name, payload, channels at once, batch size, with soketi\'s status and text', async () => {
    assert.deepEqual(await refusal(sdk.trigger('c', 'e'.repeat(21), {})),
      { status: 400, code: 400, error: 'Event name is too long. Maximum allowed size is 20.' });
    assert.deepEqual(await refusal(sdk.trigger('c', 'e', 'x'.repeat(11 * 1024))),
      { status: 413, code: 413, error: 'The event data should be less than 10 KB.' });
    assert.deepEqual(await refusal(sdk.trigger(['a', 'b', 'c'], 'e', {})),
      { status: 400, code: 400, error: 'Cannot broadcast to more than 2 channels at once' });
    const three = ['a', 'b', 'c'].map((channel) => ({ channel, name: 'e', data: '{}' }));
    assert.deepEqual(await refusal(sdk.triggerBatch(three)),
      { status: 400, code: 400, error: 'Cannot batch-send more than 2 messages at once' });
    assert.equal((await sdk.triggerBatch(three.slice(0, 2))).status, 200);
    assert.equal((await sdk.trigger(['a', 'b'], 'e'.repeat(20), 'x'.repeat(10 * 1024))).status, 200);
  });

  test('HTTP reads: /channels with filter and user_count, over maxReadRequestsPerSecond (4) 429', async () => {
    const user = { user_id: 'reader', user_info: {} };
    await withClient(gate, APP.key, { authWith: sdk, user }, async (c) => {
      await subscribed(c, 'presence-reads');
      await subscribed(c, 'public-reads');
      // A new second, so the budget of 4 is whole (the previous tests made reads too).
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
      const all = await (await sdk.get({ path: '/channels' })).json();
      assert.deepEqual(all.channels['public-reads'], { subscription_count: 1, occupied: true });
      const presence = await (await sdk.get({
        path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' },
      })).json();
      assert.deepEqual(Object.keys(presence.channels), ['presence-reads']);
      assert.deepEqual(presence.channels['presence-reads'], { subscription_count: 1, occupied: true, user_count: 1 });
      // 10 more at once: with 2 used, at most 2 pass this second (and 4 more if a second begins).
      const outcomes = await Promise.all(Array.from({ length: 10 }, () =>
        sdk.get({ path: '/channels/public-reads' }).then((r) => r.status, (e) => e.status)));
      const limited = outcomes.filter((s) => s === 429).length;
      assert.equal(limited + outcomes.filter((s) => s === 200).length, 10, `outcomes ${outcomes}`);
      assert.ok(limited >= 4, `only ${limited} of 10 were limited`);
      const over = await refusal((async () => {
        for (let i = 0; i < 10; i += 1) await sdk.get({ path: '/channels' });  // 5 in a second would do
      })());
      assert.deepEqual(over, { status: 429, code: 429, error: 'Too many requests.' });
    });
  });

  test('HTTP reads: users of a non-presence channel is 400; a read signed with another secret is 401', async () => {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));  // a whole budget
    assert.deepEqual(await refusal(sdk.get({ path: '/channels/public-x/users' })),
      { status: 400, code: 400, error: 'The channel must be a presence channel.' });
    const wrong = serverSdk(gate, { ...APP, secret: 'not-the-secret' });
    assert.equal((await refusal(wrong.get({ path: '/channels' }))).status, 401);
    await withClient(gate, APP.key, {}, async (c) => { await stateReached(c, 'connected'); });
  });
});
