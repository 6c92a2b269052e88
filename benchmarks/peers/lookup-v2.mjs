#!/usr/bin/env node
// The load program's peer on the AWS SDK for JavaScript v2 (aws-sdk, the client soketi ships):
//   node lookup-v2.mjs --endpoint URL --mode id|key --lookups N --concurrency C
// See common.mjs for the flags and the JSON line.
import { parseOptions, run, toApp } from './common.mjs';

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
const { default: AWS } = await import('aws-sdk');
const o = parseOptions('lookup-v2.mjs');
const client = new AWS.DynamoDB({
  endpoint: o.endpoint,
  region: o.region,
  credentials: new AWS.Credentials(o.credentials),
  maxRetries: 3, // 4 attempts, the library's default
  httpOptions: { agent: o.agent },
});
// 'send' fires once per attempt, retries included.
let requests = 0;
const send = (request) => {
  request.on('send', () => { requests += 1; });
  return request.promise();
};

const lookup = o.byKey
  ? async () => {
    const { Items } = await send(client.query({
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
    const { Item } = await send(client.getItem({ TableName: o.table, Key: { AppId: { S: 'app-id' } } }));
    return Item ? toApp(Item) : null;
  };

await run(o, lookup, () => requests);
