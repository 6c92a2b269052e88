#!/usr/bin/env node
// Signs sign_request.json with the JavaScript SDK's SigV4 signers, timed like a micro-benchmark.
//
//   node sign.mjs [--iterations N]
//
// Prints one JSON line per signer: {name, ns_per_op, cpu_ns_per_op, iterations, authorization}
// (wall and process CPU time per signature). The signers:
//   @aws-sdk/signature-v4  3.374.0 (the package of that name; it re-exports @smithy/signature-v4 1.x)
//   @smithy/signature-v4   5.x, the signer @aws-sdk/client-dynamodb v3 uses today
// both with @smithy/hash-node's SHA-256 (Node's crypto), as the SDK configures them in Node.
// `sign` is async: each iteration awaits one signature. applyChecksum is off so that, like the
// other signers, it signs exactly the request's headers (no x-amz-content-sha256 added).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { SignatureV4 as AwsSdkSignatureV4 } from '@aws-sdk/signature-v4';
import { SignatureV4 as SmithySignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '100000' } } });
const iterations = Number(values.iterations);
const req = JSON.parse(fs.readFileSync(new URL('./sign_request.json', import.meta.url), 'utf8'));
const d = req.amz_date;
const signingDate = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8),
  +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15)));

const request = () => ({
  method: req.method,
  protocol: 'https:',
  hostname: req.host,
  path: req.path,
  query: {},
  headers: { ...req.headers },
  body: req.body,
});

for (const [name, SignatureV4] of [['@aws-sdk/signature-v4', AwsSdkSignatureV4],
  ['@smithy/signature-v4', SmithySignatureV4]]) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: req.access_key, secretAccessKey: req.secret_key },
    region: req.region,
    service: req.service,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const toSign = request();
  const sign = () => signer.sign(toSign, { signingDate });
  const authorization = (await sign()).headers.authorization;
  // Warm-up (JIT), then the timed loop.
  for (let i = 0; i < Math.min(iterations, 20000); i += 1) await sign();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await sign();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  const cpu = process.cpuUsage(cpu0);
  const cpuNs = ((cpu.user + cpu.system) * 1000) / iterations;
  console.log(JSON.stringify({
    name, ns_per_op: Math.round(ns), cpu_ns_per_op: Math.round(cpuNs), iterations, authorization,
  }));
}
