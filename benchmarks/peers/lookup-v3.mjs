#!/usr/bin/env node
// The load program's peer on the AWS SDK for JavaScript v3 (@aws-sdk/client-dynamodb):
//   node lookup-v3.mjs --endpoint URL --mode id|key --lookups N --concurrency C
// See common.mjs for the flags and the JSON line.
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { parseOptions, run, toApp } from './common.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const o = parseOptions('lookup-v3.mjs');
const client = new DynamoDBClient({
  endpoint: o.endpoint,
  region: o.region,
  credentials: o.credentials,
  maxAttempts: 4, // the library's default
  requestHandler: { httpAgent: o.agent, httpsAgent: o.agent },
});
// Counted per attempt: the deserialize step runs inside the retry loop.
let requests = 0;
client.middlewareStack.add((next) => (args) => { requests += 1; return next(args); },
  { step: 'deserialize', name: 'pwsBenchCountRequests' });

const lookup = o.byKey
  ? async () => {
    const { Items } = await client.send(new QueryCommand({
      TableName: o.table,
      IndexName: o.keyIndex,
      KeyConditionExpression: 'AppKey = :app_key',
      ExpressionAttributeValues: { ':app_key': { S: 'app-key' } },
      Limit: 2,
    }));
    if (Items.length > 1) throw new Error('more than one app has this key');
    return Items.length ? toApp(Items[0]) : null;
  }
  : async () => {
    const { Item } = await client.send(new GetItemCommand({
      TableName: o.table,
      Key: { AppId: { S: 'app-id' } },
    }));
    return Item ? toApp(Item) : null;
  };

await run(o, lookup, () => requests);
client.destroy();
