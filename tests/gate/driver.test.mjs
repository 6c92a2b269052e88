// pws-gate picks its driver as soketi does (issue 17, point 4): --driver, APP_MANAGER_DRIVER in
// either spelling, the config file's appManager.driver; else DynamoDB when a DynamoDB variable is
// set, else the array driver with soketi's default app. Apps without a database come from a soketi
// config.json as it is and from SOKETI_DEFAULT_APP_*. Run by CTest beside the gate_dynalite fixture.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AWS_SECRET, closeCode, dynaliteEndpoint, dynamoEnv, nextEvent, serverSdk, startGate, stateReached,
  subscribed, withClient,
} from './support.mjs';

const DYNAMO_ONLY_KEY = 'gate-key';  // in the fixture's table, not in any array-driver app below
const dir = mkdtempSync(join(tmpdir(), 'pws-gate-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name, options) {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(options));
  return path;
}

// Starts the gate, runs `body(gate)`, always stops it.
async function withGate(opts, body) {
  const gate = await startGate(opts);
  try { return await body(gate); } finally { gate.kill(); }
}

const connects = (gate, key) => withClient(gate, key, {}, (c) => stateReached(c, 'connected'));
const refused = (gate, key) => withClient(gate, key, {}, async (c) => assert.equal((await closeCode(c)).code, 4001));

// soketi's spelling alone, as a soketi 1.x deployment has it.
function soketiDynamoEnv() {
  const e = dynamoEnv(dynaliteEndpoint());
  return {
    SOKETI_APP_MANAGER_DYNAMODB_ENDPOINT: e.APP_MANAGER_DYNAMODB_ENDPOINT,
    SOKETI_APP_MANAGER_DYNAMODB_TABLE: e.APP_MANAGER_DYNAMODB_TABLE,
    AWS_ACCESS_KEY_ID: e.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: e.AWS_SECRET_ACCESS_KEY,
  };
}

describe('pws-gate picks its driver as soketi does', () => {
  test('nothing set: the array driver with soketi\'s default app (app-key), with a warning', async () => {
    await withGate({}, async (gate) => {
      assert.match(gate.log(), /apps: array driver \(environment\), 1 app/);
      assert.match(gate.log(), /WARNING: app "app-id" has soketi's public default secret/);
      await connects(gate, 'app-key');
      await refused(gate, DYNAMO_ONLY_KEY);
    });
  });

  test('SOKETI_DEFAULT_APP_*: the default app from the environment, events signed with its secret', async () => {
    const app = { appId: 'env-app', key: 'env-key', secret: 'env-secret-3c9a7e' };
    const env = {
      SOKETI_DEFAULT_APP_ID: app.appId, SOKETI_DEFAULT_APP_KEY: app.key, SOKETI_DEFAULT_APP_SECRET: app.secret,
      SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true', SOKETI_DEFAULT_APP_MAX_CONNS: '5',
    };
    await withGate({ env }, async (gate) => {
      await refused(gate, 'app-key');
      assert.doesNotMatch(gate.log(), /WARNING/);
      await withClient(gate, app.key, {}, async (c) => {
        const ch = await subscribed(c, 'env-channel');
        const got = nextEvent(ch, 'hello');
        assert.equal((await serverSdk(gate, app).trigger('env-channel', 'hello', { n: 1 })).status, 200);
        assert.deepEqual(await got, { n: 1 });
      });
      // The old default secret no longer signs for it.
      await assert.rejects(serverSdk(gate, { ...app, secret: 'app-secret' }).trigger('env-channel', 'hello', {}),
        (e) => e.status === 401);
      assert.ok(!gate.log().includes(app.secret), 'the app secret appears in the log');
    });
  });

  test('a SOKETI_APP_MANAGER_DYNAMODB_* variable alone selects DynamoDB, with its table', async () => {
    await withGate({ env: soketiDynamoEnv() }, async (gate) => {
      assert.match(gate.log(), /apps: DynamoDB table /);
      await connects(gate, DYNAMO_ONLY_KEY);
    });
  });

  test('server-wide limits from SOKETI_EVENT_MAX_NAME_LENGTH apply to items that do not set theirs', async () => {
    const app = { appId: 'gate-app', key: 'gate-key', secret: 'gate-secret-1f2e' };  // no MaxEventNameLength
    await withGate({ env: { ...soketiDynamoEnv(), SOKETI_EVENT_MAX_NAME_LENGTH: '5' } }, async (gate) => {
      const sdk = serverSdk(gate, app);
      assert.equal((await sdk.trigger('c', 'five5', {})).status, 200);
      await assert.rejects(sdk.trigger('c', 'six666', {}), (err) => err.status === 400 && /Maximum allowed size is 5\./.test(err.body));
    });
  });

  test('APP_MANAGER_DRIVER / SOKETI_APP_MANAGER_DRIVER and --driver win over the guess', async () => {
    await withGate({ env: { ...soketiDynamoEnv(), SOKETI_APP_MANAGER_DRIVER: 'array' } }, async (gate) => {
      await connects(gate, 'app-key');
      await refused(gate, DYNAMO_ONLY_KEY);
    });
    await withGate({ env: { ...soketiDynamoEnv(), APP_MANAGER_DRIVER: 'array' }, args: ['--driver', 'dynamodb'] },
      async (gate) => { await connects(gate, DYNAMO_ONLY_KEY); });
    await withGate({ env: soketiDynamoEnv(), args: ['--driver', 'array'] },
      async (gate) => { await refused(gate, DYNAMO_ONLY_KEY); });
  });

  test('--soketi-config: its apps (dotted key), its limits; the environment over the first app', async () => {
    const path = configFile('dotted.json', {
      debug: true,
      'appManager.driver': 'array',
      'appManager.array.apps': [
        { id: 'cfg-1', key: 'cfg-key-1', secret: 'cfg-secret-1-8d7f' },
        { id: 'cfg-2', key: 'cfg-key-2', secret: 'cfg-secret-2-8d7f', enabled: false },
      ],
      'eventLimits.maxPayloadInKb': 50,
    });
    await withGate({ args: ['--soketi-config', path], env: soketiDynamoEnv() }, async (gate) => {
      assert.match(gate.log(), /array driver, soketi config .*, 2 app/);
      await connects(gate, 'cfg-key-1');
      await withClient(gate, 'cfg-key-2', {}, async (c) => assert.equal((await closeCode(c)).code, 4003));
      await refused(gate, 'app-key');          // the file's apps replace the built-in one
      await refused(gate, DYNAMO_ONLY_KEY);    // the file's driver wins over the guess
      // The file's eventLimits.maxPayloadInKb (50) is the app's limit, not soketi's default 100.
      const sdk = serverSdk(gate, { appId: 'cfg-1', key: 'cfg-key-1', secret: 'cfg-secret-1-8d7f' });
      assert.equal((await sdk.trigger('c', 'e', 'x'.repeat(40 * 1024))).status, 200);
      await assert.rejects(sdk.trigger('c', 'e', 'x'.repeat(60 * 1024)), (err) => err.status === 413);
    });
    await withGate({ args: ['--soketi-config', path], env: { SOKETI_DEFAULT_APP_KEY: 'cfg-key-renamed' } },
      async (gate) => {
        await connects(gate, 'cfg-key-renamed');
        await refused(gate, 'cfg-key-1');
      });
  });

  test('--soketi-config: nested objects, and the DynamoDB driver with the file\'s table and endpoint', async () => {
    const nested = configFile('nested.json', { appManager: { array: { apps: [{ id: 'n', key: 'nested-key', secret: 'nested-secret-11aa' }] } } });
    await withGate({ args: ['--soketi-config', nested] }, async (gate) => { await connects(gate, 'nested-key'); });

    const e = dynamoEnv(dynaliteEndpoint());
    const dynamo = configFile('dynamo.json', {
      'appManager.driver': 'dynamodb',
      'appManager.dynamodb.table': e.APP_MANAGER_DYNAMODB_TABLE,
      'appManager.dynamodb.endpoint': e.APP_MANAGER_DYNAMODB_ENDPOINT,
    });
    await withGate({ args: ['--soketi-config', dynamo], env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: AWS_SECRET } },
      async (gate) => {
        assert.match(gate.log(), new RegExp(`DynamoDB table ${e.APP_MANAGER_DYNAMODB_TABLE} at .*, not cached`));
        await connects(gate, DYNAMO_ONLY_KEY);
      });
    // The file's appManager.cache.* too, unless a variable says otherwise.
    const cached = configFile('cached.json', {
      'appManager.driver': 'dynamodb', 'appManager.dynamodb.table': e.APP_MANAGER_DYNAMODB_TABLE,
      'appManager.dynamodb.endpoint': e.APP_MANAGER_DYNAMODB_ENDPOINT, 'appManager.cache.enabled': true,
      'appManager.cache.ttl': 60,
    });
    const creds = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: AWS_SECRET };
    await withGate({ args: ['--soketi-config', cached], env: creds }, async (gate) => {
      assert.match(gate.log(), /, cached\)/);
    });
    await withGate({ args: ['--soketi-config', cached], env: { ...creds, SOKETI_APP_MANAGER_CACHE_ENABLED: 'false' } },
      async (gate) => { assert.match(gate.log(), /, not cached\)/); });
  });

  test('--static: its apps take the server-wide limit variables too', async () => {
    const app = { appId: 'static-app', key: 'static-key', secret: 'static-secret-5b' };  // tests/gate/static_apps.json
    const args = ['--static', new URL('./static_apps.json', import.meta.url).pathname];
    await withGate({ args, env: { SOKETI_EVENT_MAX_NAME_LENGTH: '5' } }, async (gate) => {
      const sdk = serverSdk(gate, app);
      assert.equal((await sdk.trigger('c', 'five5', {})).status, 200);
      await assert.rejects(sdk.trigger('c', 'six666', {}), (err) => err.status === 400 && /Maximum allowed size is 5\./.test(err.body));
    });
  });

  test('refusals: two spellings that disagree, an unknown driver, a broken config file (exit 2)', async () => {
    const broken = configFile('broken.json', { 'appManager.array.apps': [{ id: 'x', key: 'k' }] });
    for (const [opts, pattern] of [
      [{ env: { APP_MANAGER_DRIVER: 'array', SOKETI_APP_MANAGER_DRIVER: 'dynamodb' } }, /APP_MANAGER_DRIVER and SOKETI_APP_MANAGER_DRIVER/],
      [{ env: { APP_MANAGER_DYNAMODB_TABLE: 'a', SOKETI_APP_MANAGER_DYNAMODB_TABLE: 'b' } }, /APP_MANAGER_DYNAMODB_TABLE and SOKETI_APP_MANAGER_DYNAMODB_TABLE/],
      [{ args: ['--driver', 'mysql'] }, /driver 'mysql'/],
      [{ args: ['--soketi-config', broken] }, /secret/],
      [{ args: ['--soketi-config', join(dir, 'missing.json')] }, /cannot open/],
      [{ env: { SOKETI_EVENT_MAX_SIZE_IN_KB: 'big' } }, /SOKETI_EVENT_MAX_SIZE_IN_KB/],
    ]) {
      await assert.rejects(startGate(opts), (err) => /exited with 2/.test(err.message) && pattern.test(err.message),
        JSON.stringify(opts));
    }
  });
});
