// What the JavaScript load programs share: the command line of pws-bench, the lookup loop, the
// app decoding and the JSON line. Each client module only says how to send GetItem and Query.
//
//   node lookup-v3.mjs --endpoint URL --mode id|key --lookups N --concurrency C
//
// Same meaning as pws-bench (see benchmarks/pws_bench.cpp): N lookups of app-id (GetItem) or
// app-key (Query on AppKeyIndex), C in flight, one JSON line, exit 1 if any lookup failed. Table,
// region and credentials come from APP_MANAGER_DYNAMODB_TABLE, APP_MANAGER_DYNAMODB_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. The HTTP agent keeps C sockets
// alive, as pws-bench keeps C pooled connections. --cache is refused: the SDKs have no app cache.
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

function usage(name, why) {
  console.error(`${name}: ${why}`);
  console.error(`usage: node ${name} --endpoint URL --mode id|key --lookups N --concurrency C`);
  process.exit(2);
}

export function parseOptions(name) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        mode: { type: 'string' },
        lookups: { type: 'string' },
        concurrency: { type: 'string' },
        cache: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    usage(name, e.message);
  }
  if (values.cache) usage(name, '--cache: this SDK has no app cache');
  const positive = (s, flag) => {
    if (!/^[1-9][0-9]*$/.test(s ?? '')) usage(name, `${flag} takes a positive integer`);
    return Number(s);
  };
  if (!values.endpoint) usage(name, '--endpoint URL is required');
  if (values.mode !== 'id' && values.mode !== 'key') usage(name, '--mode is id or key');
  const env = process.env;
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
    usage(name, 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  const concurrency = positive(values.concurrency, '--concurrency');
  const tls = values.endpoint.startsWith('https:');
  return {
    endpoint: values.endpoint,
    byKey: values.mode === 'key',
    lookups: positive(values.lookups, '--lookups'),
    concurrency,
    table: env.APP_MANAGER_DYNAMODB_TABLE || 'apps',
    region: env.APP_MANAGER_DYNAMODB_REGION || 'us-east-1',
    keyIndex: 'AppKeyIndex',
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
    agent: new (tls ? https : http).Agent({ keepAlive: true, maxSockets: concurrency }),
  };
}

const flag = (v, dflt) => {
  if (v === undefined || v.NULL) return dflt;
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.B !== undefined) return Buffer.from(v.B).toString() === 'true';  // Buffer (v2) or Uint8Array (v3)
  if (v.S !== undefined) return v.S === 'true' || v.S === '1';
  return v.N === '1';
};
const int = (v, dflt) => (v === undefined || v.N === undefined ? dflt : Number.parseInt(v.N, 10));

// The item as an app object, the way soketi's DynamoDB driver builds one (flags from binary,
// Webhooks parsed from its JSON string); what the library's decode_app does, in JavaScript.
export function toApp(item) {
  return {
    id: item.AppId.S,
    key: item.AppKey.S,
    secret: item.AppSecret.S,
    enabled: flag(item.Enabled, true),
    enableClientMessages: flag(item.EnableClientMessages, false),
    enableUserAuthentication: flag(item.EnableUserAuthentication, false),
    maxConnections: int(item.MaxConnections, -1),
    maxBackendEventsPerSecond: int(item.MaxBackendEventsPerSecond, -1),
    maxClientEventsPerSecond: int(item.MaxClientEventsPerSecond, -1),
    maxReadRequestsPerSecond: int(item.MaxReadRequestsPerSecond, -1),
    webhooks: item.Webhooks?.S ? JSON.parse(item.Webhooks.S) : [],
  };
}

// `lookup(i)` resolves to an app or null; runs the loop and prints the JSON line.
export async function run(o, lookup, requestsSent) {
  const latencies = new Float64Array(o.lookups);
  let next = 0;
  let errors = 0;
  let firstError;
  const worker = async () => {
    while (next < o.lookups) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        const app = await lookup();
        if (!app) throw new Error('no such app (the server does not hold the seed\'s app)');
      } catch (e) {
        errors += 1;
        firstError ??= `${e.name}: ${e.message}`;
      }
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort();
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const r1 = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({
    lookups: o.lookups,
    requests: requestsSent(),
    errors,
    wall_s: Math.round(wall * 1e4) / 1e4,
    cpu_us_per_lookup: Math.round(((cpu.user + cpu.system) / o.lookups) * 1000) / 1000,
    p50_us: r1(q(0.5)),
    p99_us: r1(q(0.99)),
  }));
  o.agent.destroy();
  if (errors) {
    console.error(`${errors} of ${o.lookups} lookups failed; the first: ${firstError}`);
    process.exitCode = 1;
  }
}
