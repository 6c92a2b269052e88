#!/usr/bin/env node
// Creates the apps table in a (local) DynamoDB and puts test items, with the official AWS SDK v3.
//
//   node seed.mjs --endpoint URL [--table apps] [--region us-east-1]
//                 [--no-seed-item] [--items FILE] [--wrong-schema]
//
// The schema is the one the library reads: hash key AppId (S), global secondary index AppKeyIndex
// on AppKey (S) projecting ALL, on-demand billing. Creating is idempotent: an existing table with
// that schema is fine, one with another schema is an error. --wrong-schema creates instead a table
// keyed on Id (S) without AppKeyIndex, for the tests of the schema check.
//
// --items FILE holds a JSON array of items in DynamoDB's wire JSON ({"AppId":{"S":"x"},
// "Enabled":{"B":"dHJ1ZQ=="}}); B and BS values are base64 there and are decoded to bytes here,
// since SDK v3 base64-encodes bytes itself (a base64 string passed through would be encoded twice
// or rejected).

import fs from 'node:fs';
import { parseArgs } from 'node:util';

// The SDK warns on every run under node < 22 about its future releases; the pinned one supports
// node 20, and the warning would bury the seed's own output in every CTest log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let sdk;
try {
  sdk = await import('@aws-sdk/client-dynamodb');
} catch {
  console.error('seed.mjs: @aws-sdk/client-dynamodb is not installed in tools/node/node_modules: '
    + 'run scripts/install-deps.sh (or `npm ci` in tools/node)');
  process.exit(1);
}
const { DynamoDBClient, CreateTableCommand, DescribeTableCommand, PutItemCommand } = sdk;

// soketi's documented example app; every flag stored the way soketi's DynamoDB driver reads it.
const SEED_ITEM = {
  AppId: { S: 'app-id' },
  AppKey: { S: 'app-key' },
  AppSecret: { S: 'app-secret' },
  MaxConnections: { N: '-1' },
  EnableClientMessages: { B: Buffer.from('false') },
  Enabled: { B: Buffer.from('true') },
  MaxBackendEventsPerSecond: { N: '-1' },
  MaxClientEventsPerSecond: { N: '-1' },
  MaxReadRequestsPerSecond: { N: '-1' },
  Webhooks: { S: '[]' },
  EnableUserAuthentication: { B: Buffer.from('false') },
};

function usage(message) {
  console.error(`seed.mjs: ${message}`);
  console.error('usage: node seed.mjs --endpoint URL [--table apps] [--region us-east-1]'
    + ' [--no-seed-item] [--items FILE] [--wrong-schema]');
  process.exit(2);
}

function schemaFor(table, wrong) {
  if (wrong) {
    return {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'Id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'Id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    };
  }
  return {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'AppId', AttributeType: 'S' },
      { AttributeName: 'AppKey', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'AppId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [{
      IndexName: 'AppKeyIndex',
      KeySchema: [{ AttributeName: 'AppKey', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'ALL' },
    }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

// A comparable summary of what matters in a schema: keys, their types, indexes and projections.
function summarize(t) {
  const types = Object.fromEntries((t.AttributeDefinitions ?? [])
    .map((a) => [a.AttributeName, a.AttributeType]));
  const keys = (ks) => (ks ?? []).map((k) => `${k.AttributeName}:${types[k.AttributeName]}:${k.KeyType}`)
    .join(',');
  const indexes = (t.GlobalSecondaryIndexes ?? [])
    .map((i) => `${i.IndexName}(${keys(i.KeySchema)};${i.Projection?.ProjectionType})`).sort();
  return `key ${keys(t.KeySchema)}; GSI [${indexes.join(' ')}]`;
}

// DynamoDB wire JSON -> SDK input: only the binary types differ (base64 text -> bytes).
function fromWire(value, where) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)
      || Object.keys(value).length !== 1) {
    throw new Error(`${where}: an attribute value must be an object with one type key, got `
      + JSON.stringify(value));
  }
  const [[type, v]] = Object.entries(value);
  const bytes = (b64, at) => {
    const buf = Buffer.from(String(b64), 'base64');
    // Buffer.from skips invalid characters silently; insist the text round-trips so the stored
    // bytes are exactly the ones written in the file.
    if (typeof b64 !== 'string' || buf.toString('base64') !== b64) {
      throw new Error(`${at}: ${JSON.stringify(b64)} is not canonical base64`);
    }
    return buf;
  };
  switch (type) {
    case 'B': return { B: bytes(v, where) };
    case 'BS': return { BS: v.map((b, i) => bytes(b, `${where}[${i}]`)) };
    case 'L': return { L: v.map((e, i) => fromWire(e, `${where}[${i}]`)) };
    case 'M': return { M: itemFromWire(v, where) };
    default: return { [type]: v };
  }
}

function itemFromWire(item, where) {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new Error(`${where}: an item must be a JSON object`);
  }
  return Object.fromEntries(Object.entries(item)
    .map(([name, value]) => [name, fromWire(value, `${where}.${name}`)]));
}

function readItems(file) {
  let items;
  try {
    items = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
  if (!Array.isArray(items)) throw new Error(`${file}: expected a JSON array of items`);
  return items.map((item, i) => itemFromWire(item, `${file}[${i}]`));
}

async function ensureTable(client, table, wrong) {
  const wanted = schemaFor(table, wrong);
  try {
    await client.send(new CreateTableCommand(wanted));
    console.log(`seed: created table ${table} (${summarize(wanted)})`);
  } catch (e) {
    if (e.name !== 'ResourceInUseException') throw e;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (summarize(Table) !== summarize(wanted)) {
      throw new Error(`table ${table} exists with another schema: has ${summarize(Table)}, `
        + `wanted ${summarize(wanted)}`);
    }
    console.log(`seed: table ${table} exists with the expected schema`);
  }
  // createTableMs is 0 under dynalite.mjs, but a real DynamoDB or another dynalite takes time.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const indexes = Table.GlobalSecondaryIndexes ?? [];
    if (Table.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) throw new Error(`table ${table} not ACTIVE after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        table: { type: 'string', default: 'apps' },
        region: { type: 'string', default: 'us-east-1' },
        'no-seed-item': { type: 'boolean', default: false },
        items: { type: 'string' },
        'wrong-schema': { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  if (!values.endpoint) usage('--endpoint URL is required');

  // Parse the file before touching the table, so a typo fails without side effects.
  const extra = values.items ? readItems(values.items) : [];
  const client = new DynamoDBClient({
    endpoint: values.endpoint,
    region: values.region,
    // Fixed dummy credentials: dynalite checks none, and the environment must not leak real ones.
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 3,
  });
  await ensureTable(client, values.table, values['wrong-schema']);

  const items = [];
  if (!values['no-seed-item'] && !values['wrong-schema']) items.push(SEED_ITEM);
  items.push(...extra);
  for (const item of items) {
    await client.send(new PutItemCommand({ TableName: values.table, Item: item }));
  }
  const ids = items.map((i) => JSON.stringify(i.AppId?.S ?? i.AppId ?? i.Id?.S ?? '?'));
  console.log(`seed: put ${items.length} item(s) into ${values.table}${ids.length ? `: ${ids.join(' ')}` : ''}`);
  client.destroy();
}

try {
  await main();
} catch (e) {
  console.error(`seed.mjs: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
  process.exit(1);
}
