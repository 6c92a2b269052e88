#!/usr/bin/env node
// Runs dynalite (an in-memory DynamoDB) in the background for the tests and the demo.
//
//   node dynalite.mjs start  --state-dir DIR [--max-lifetime-s 3600] [--timeout-s 20]
//   node dynalite.mjs stop   --state-dir DIR
//   node dynalite.mjs status --state-dir DIR
//
// `start` spawns a detached server bound to 127.0.0.1 on a port the OS picks (listen on 0, so no
// race with another process), waits until it answers a ListTables, and leaves in DIR:
//   endpoint     `http://127.0.0.1:PORT`, no trailing newline
//   pid          the server's pid, no trailing newline
//   dynalite.log the server's stdout and stderr (kept by `stop`, for post-mortems)
// The server exits by itself after --max-lifetime-s, so a test run that is killed before its
// cleanup cannot leak it for ever. `stop` is idempotent: it exits 0 when nothing is running.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';

function usage(message) {
  if (message) console.error(`dynalite.mjs: ${message}`);
  console.error('usage: node dynalite.mjs start|stop|status --state-dir DIR'
    + ' [--max-lifetime-s N] [--timeout-s N]');
  process.exit(2);
}

function fail(message) {
  console.error(`dynalite.mjs: ${message}`);
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function files(dir) {
  return {
    endpoint: path.join(dir, 'endpoint'),
    pid: path.join(dir, 'pid'),
    log: path.join(dir, 'dynalite.log'),
  };
}

function readOrNull(file) {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { return null; }
}

// Writes then renames, so a reader never sees a half-written file.
function writeAtomically(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

// True while `pid` runs (a zombie waiting for its reaper counts as gone).
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return true; // no procfs: trust kill(0)
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

// Guards against pid reuse: only signal a process that is one of our servers.
function isOurServer(pid) {
  const cmdline = readOrNull(`/proc/${pid}/cmdline`);
  if (cmdline === null) return alive(pid); // no procfs: best effort
  const args = cmdline.split('\0');
  return args.some((a) => a.endsWith('dynalite.mjs')) && args.includes('serve');
}

function tail(file, lines = 20) {
  const text = readOrNull(file);
  return text ? text.split('\n').slice(-lines).join('\n') : '(empty log)';
}

// One DynamoDB call; dynalite ignores the signature but wants the header to be present.
async function listTables(endpoint, timeoutMs = 1000) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.ListTables',
      'X-Amz-Date': '20200101T000000Z',
      Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20200101/us-east-1/dynamodb/aws4_request, '
        + 'SignedHeaders=host, Signature=0',
    },
    body: '{}',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) {
    const error = new Error(`ListTables answered HTTP ${res.status}: ${await res.text()}`);
    error.answered = true;
    throw error;
  }
  return res.json();
}

async function stop(dir, { quiet = false } = {}) {
  const f = files(dir);
  const pidText = readOrNull(f.pid);
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    if (!quiet) console.log(`dynalite: not running (no pid in ${f.pid})`);
  } else if (!alive(pid)) {
    if (!quiet) console.log(`dynalite: pid ${pid} already gone`);
  } else if (!isOurServer(pid)) {
    console.log(`dynalite: pid ${pid} is not a dynalite.mjs server (stale pid file), left alone`);
  } else {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) {
      process.kill(pid, 'SIGKILL');
      const killDeadline = Date.now() + 2000;
      while (alive(pid) && Date.now() < killDeadline) await sleep(50);
      if (alive(pid)) fail(`pid ${pid} survived SIGKILL`);
      console.log(`dynalite: killed pid ${pid} (SIGKILL after SIGTERM timed out)`);
    } else if (!quiet) {
      console.log(`dynalite: stopped pid ${pid}`);
    }
  }
  fs.rmSync(f.pid, { force: true });
  fs.rmSync(f.endpoint, { force: true });
}

async function start(dir, maxLifetimeS, timeoutS) {
  const require = createRequire(import.meta.url);
  try {
    require.resolve('dynalite');
  } catch {
    fail(`dynalite is not installed in ${path.join(path.dirname(SELF), 'node_modules')}: `
      + 'run scripts/install-deps.sh (or `npm ci` in tools/node)');
  }
  fs.mkdirSync(dir, { recursive: true });
  const f = files(dir);
  // A state dir left by a killed run: end its server first, so start always means a fresh, empty
  // database and never two servers behind one pid file.
  await stop(dir, { quiet: true });

  const log = fs.openSync(f.log, 'w');
  const child = spawn(process.execPath,
    [SELF, 'serve', '--state-dir', dir, '--max-lifetime-s', String(maxLifetimeS)],
    { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal ?? `code ${code}`; });
  child.unref();
  writeAtomically(f.pid, String(child.pid));

  const deadline = Date.now() + timeoutS * 1000;
  let lastError = 'the server wrote no endpoint file';
  while (Date.now() < deadline) {
    if (exited !== null) {
      fs.rmSync(f.pid, { force: true });
      fail(`the server exited (${exited}) before answering; ${f.log}:\n${tail(f.log)}`);
    }
    const endpoint = readOrNull(f.endpoint);
    if (endpoint) {
      try {
        await listTables(endpoint);
        console.log(`dynalite: pid ${child.pid} listening at ${endpoint} (state in ${dir})`);
        process.exit(0);
      } catch (e) {
        lastError = e.message;
        if (e.answered) break; // it is up but refuses: waiting will not help
      }
    }
    await sleep(50);
  }
  await stop(dir, { quiet: true });
  fail(`the server did not answer as expected within ${timeoutS} s (${lastError}); ${f.log}:\n${tail(f.log)}`);
}

// The detached server itself.
async function serve(dir, maxLifetimeS) {
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite');
  const f = files(dir);
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

  // Removes our files only while they still describe us (a newer start may have replaced them).
  const cleanup = () => {
    if (readOrNull(f.pid) === String(process.pid)) {
      fs.rmSync(f.endpoint, { force: true });
      fs.rmSync(f.pid, { force: true });
    }
  };
  const shutdown = (why) => {
    console.log(`${new Date().toISOString()} dynalite: ${why}, exiting`);
    cleanup();
    // dynalite's close() drains for up to 30 s; nothing here needs draining.
    setTimeout(() => process.exit(0), 500).unref();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  setTimeout(() => shutdown(`max lifetime of ${maxLifetimeS} s reached`), maxLifetimeS * 1000);

  server.on('error', (e) => {
    console.error(`dynalite: ${e.message}`);
    process.exit(1);
  });
  server.listen(0, HOST, () => {
    const { port } = server.address();
    const endpoint = `http://${HOST}:${port}`;
    writeAtomically(f.endpoint, endpoint);
    console.log(`${new Date().toISOString()} dynalite: pid ${process.pid} listening at ${endpoint}`
      + ` (in memory; exits after ${maxLifetimeS} s)`);
  });
}

const [command, ...rest] = process.argv.slice(2);
let values;
try {
  ({ values } = parseArgs({
    args: rest,
    options: {
      'state-dir': { type: 'string' },
      'max-lifetime-s': { type: 'string', default: '3600' },
      'timeout-s': { type: 'string', default: '20' },
    },
  }));
} catch (e) {
  usage(e.message);
}
if (!values['state-dir']) usage('--state-dir DIR is required');
const dir = path.resolve(values['state-dir']);
const maxLifetimeS = Number(values['max-lifetime-s']);
const timeoutS = Number(values['timeout-s']);
if (!(maxLifetimeS > 0) || maxLifetimeS > 2147483) usage('--max-lifetime-s must be in (0, 2147483]');
if (!(timeoutS > 0)) usage('--timeout-s must be a positive number');

switch (command) {
  case 'start': await start(dir, maxLifetimeS, timeoutS); break;
  case 'stop': await stop(dir); break;
  case 'serve': await serve(dir, maxLifetimeS); break;
  case 'status': {
    const endpoint = readOrNull(files(dir).endpoint);
    if (!endpoint) fail(`not running (no endpoint in ${dir})`);
    try {
      const { TableNames } = await listTables(endpoint);
      console.log(`${endpoint} tables: ${JSON.stringify(TableNames)}`);
    } catch (e) {
      fail(`${endpoint} does not answer: ${e.message}`);
    }
    break;
  }
  default: usage(command ? `unknown command ${command}` : 'a command is required');
}
