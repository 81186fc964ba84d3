// SPDX-License-Identifier: GPL-3.0-or-later
//
// Sync benchmark: prints figures, asserts nothing. Run through
// build-aux/bench-sync.sh, which finds the built program and the npm
// packages of tests/interop.
//
//  1. The same 10,000 documents of about 1 KB replicated Meridian peer to
//     Meridian peer (`meridian serve` + `meridian sync`), and pouchdb-server
//     to pouchdb-server through PouchDB, in the same run; the ratio.
//  2. A sync that finds nothing to do, on a workspace of 100,000 documents.
//  3. How long a one-document change takes to reach the other peer while a
//     continuous sync runs, in each direction.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(top, 'tests', 'interop', 'package.json'));
const PouchDB = require('pouchdb');

const bin = process.env.MERIDIAN_BIN;
const N_DOCS = Number(process.env.BENCH_DOCS || 10000);
const N_BIG = Number(process.env.BENCH_BIG_DOCS || 100000);
const RUNS = 5;
const children = new Set();
const dirs = [];

process.on('exit', () => {
  for (const child of children)
    child.kill('SIGTERM');
  for (const dir of dirs)
    fs.rmSync(dir, { recursive: true, force: true });
});

function tmpdir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `meridian-bench-${name}-`));
  dirs.push(dir);
  return dir;
}

function median(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ms(value) {
  return `${value.toFixed(1)} ms`;
}

async function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitHttp(url) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok)
        return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answers at ${url}`);
}

async function serve(dir) {
  const child = spawn(bin, ['--data', dir, 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(child);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/\S+)/);
      if (m)
        resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`meridian serve exited ${code}`)));
  });
  await waitHttp(url);
  return { url, child };
}

async function pouchServer() {
  const port = await freePort();
  const cwd = tmpdir('pouchdb-server');
  const child = spawn(path.join(top, 'tests', 'interop', 'node_modules', '.bin', 'pouchdb-server'),
                      ['--in-memory', '--host', '127.0.0.1', '--port', String(port), '-n'],
                      { cwd, stdio: 'ignore' });
  children.add(child);
  const root = `http://127.0.0.1:${port}/`;
  await waitHttp(root);
  return { root, child };
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null)
      return resolve();
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
}

// Deterministic pages of about 1 KB.
function makeDocs(count, prefix) {
  const words = ['handbook', 'rota', 'deploy', 'review', 'incident', 'timezone', 'focus', 'owner',
                 'decision', 'proposal', 'latency', 'replica', 'checkpoint', 'merge', 'team', 'async'];
  let seed = 12345;
  // 32-bit arithmetic: a plain product past 2^53 loses its low bits, and
  // the text would be one word repeated.
  const next = () => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return seed >> 8; };
  const docs = [];
  for (let i = 0; i < count; i++) {
    let body = `# ${prefix} ${i}\n\n`;
    while (body.length < 860)
      body += words[next() % words.length] + (next() % 9 === 0 ? '.\n' : ' ');
    docs.push({
      _id: `page:${prefix}-${String(i).padStart(6, '0')}`,
      type: 'page',
      title: `${prefix} ${i}`,
      path: `bench/${prefix}-${i}`,
      body,
      owner: 'person:ana',
      review_by: null,
      tags: ['bench'],
      updated_at: '2026-11-20T10:00:00Z',
      updated_by: 'person:ana',
    });
  }
  return docs;
}

async function load(url, docs) {
  for (let i = 0; i < docs.length; i += 1000) {
    const res = await fetch(`${url}/_bulk_docs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ docs: docs.slice(i, i + 1000) }),
    });
    if (res.status !== 201 && res.status !== 202)
      throw new Error(`loading ${url}: ${res.status} ${await res.text()}`);
  }
}

function sync(dir, url, ...args) {
  const start = process.hrtime.bigint();
  const res = spawnSync(bin, ['--data', dir, 'sync', url, '--json', ...args], { encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0)
    throw new Error(`meridian sync failed: ${res.stderr}`);
  return { elapsed, summary: JSON.parse(res.stdout) };
}

async function benchTenThousand() {
  const docs = makeDocs(N_DOCS, 'doc');
  const bytes = docs.reduce((n, d) => n + JSON.stringify(d).length, 0);
  console.log(`# ${N_DOCS} documents, ${(bytes / N_DOCS).toFixed(0)} bytes each on average`);

  const source = await serve(tmpdir('source'));
  await load(source.url, docs);
  const meridianTimes = [];
  const searchTimes = [];
  for (let run = 0; run < RUNS; run++) {
    const target = tmpdir('target');
    const { elapsed, summary } = sync(target, source.url, '--pull');
    if (summary.docs_written !== N_DOCS)
      throw new Error(`Meridian wrote ${summary.docs_written} documents, not ${N_DOCS}`);
    meridianTimes.push(elapsed);
    // The command line leaves the pulled pages to the next search to index.
    const start = process.hrtime.bigint();
    const found = spawnSync(bin, ['--data', target, 'search', '--json', 'checkpoint'], { encoding: 'utf8' });
    searchTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (found.status !== 0 || JSON.parse(found.stdout).length === 0)
      throw new Error(`the first search after the pull failed: ${found.stderr}`);
  }
  await stop(source.child);

  const ps1 = await pouchServer();
  await fetch(`${ps1.root}bench`, { method: 'PUT' });
  await load(`${ps1.root}bench`, docs);
  const pouch = {};
  for (const batch of [100, 500]) {
    pouch[batch] = [];
    for (let run = 0; run < RUNS; run++) {
      const ps2 = await pouchServer();
      const start = process.hrtime.bigint();
      const result = await PouchDB.replicate(`${ps1.root}bench`, `${ps2.root}bench`, { batch_size: batch });
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.docs_written !== N_DOCS)
        throw new Error(`PouchDB wrote ${result.docs_written} documents`);
      pouch[batch].push(elapsed);
      await stop(ps2.child);
    }
  }
  await stop(ps1.child);

  const m = median(meridianTimes);
  const p100 = median(pouch[100]);
  const p500 = median(pouch[500]);
  console.log(`Meridian -> Meridian (meridian serve + meridian sync, batch 500): ${ms(m)} median of ${RUNS} (${meridianTimes.map((t) => t.toFixed(0)).join(', ')})`);
  console.log(`pouchdb-server -> pouchdb-server via PouchDB 9, batch_size 100:    ${ms(p100)} median of ${RUNS}`);
  console.log(`pouchdb-server -> pouchdb-server via PouchDB 9, batch_size 500:    ${ms(p500)} median of ${RUNS}`);
  console.log(`ratio: Meridian is ${(p100 / m).toFixed(1)}x faster than PouchDB's default, ${(p500 / m).toFixed(1)}x faster than PouchDB with batch_size 500`);
  const first = median(searchTimes);
  console.log(`then the first search (whole process), which indexes the ${N_DOCS} pulled pages: ${ms(first)} median of ${RUNS}`);
  console.log(`pull and first search together: ${ms(m + first)}, ${(p100 / (m + first)).toFixed(1)}x faster than PouchDB's default replication alone`);
}

async function benchNoChange() {
  const docs = makeDocs(N_BIG, 'big');
  const sourceDir = tmpdir('big-source');
  const targetDir = tmpdir('big-target');
  const source = await serve(sourceDir);
  let start = Date.now();
  await load(source.url, docs);
  console.log(`# loaded ${N_BIG} documents into the source in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  const first = sync(targetDir, source.url);
  console.log(`# first full sync of ${N_BIG} documents: ${(first.elapsed / 1000).toFixed(2)} s`);
  const times = [];
  for (let run = 0; run < 5; run++) {
    const { elapsed, summary } = sync(targetDir, source.url);
    if (summary.docs_written !== 0)
      throw new Error('a no-change sync wrote documents');
    times.push(elapsed);
  }
  console.log(`no-change sync (both directions, whole process) of a ${N_BIG}-document workspace: ${ms(median(times))} median of 5 (${times.map((t) => t.toFixed(1)).join(', ')}; target < 50 ms)`);
  await stop(source.child);
}

async function until(fn) {
  for (;;) {
    if (await fn())
      return;
  }
}

async function benchLatency() {
  const aDir = tmpdir('live-a');
  const bDir = tmpdir('live-b');
  const a = await serve(aDir);
  const b = await serve(bDir);   // to read B while its sync runs
  await load(a.url, makeDocs(100, 'live'));
  sync(bDir, a.url);
  const live = spawn(bin, ['--data', bDir, 'sync', a.url, '--continuous'], { stdio: 'ignore' });
  children.add(live);
  await new Promise((r) => setTimeout(r, 500));

  const measure = async (writeUrl, readUrl, n) => {
    const times = [];
    for (let i = 0; i < n; i++) {
      const id = `page:latency-${writeUrl === a.url ? 'ab' : 'ba'}-${i}`;
      const doc = { ...makeDocs(1, 'latency')[0], _id: id };
      const start = process.hrtime.bigint();
      const res = await fetch(`${writeUrl}/${encodeURIComponent(id)}`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc),
      });
      if (res.status !== 201)
        throw new Error(`PUT failed: ${res.status}`);
      await until(async () => (await fetch(`${readUrl}/${encodeURIComponent(id)}`)).status === 200);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      await new Promise((r) => setTimeout(r, 50));
    }
    return times;
  };
  const pull = await measure(a.url, b.url, 15);
  const push = await measure(b.url, a.url, 15);
  console.log(`one change reaching the other peer, continuous sync, pulled (longpoll): ${ms(median(pull))} median of 15 (max ${ms(Math.max(...pull))}; target < 100 ms)`);
  console.log(`one change reaching the other peer, continuous sync, pushed:           ${ms(median(push))} median of 15 (max ${ms(Math.max(...push))}; target < 100 ms)`);
  await stop(live);
  await stop(a.child);
  await stop(b.child);
}

if (!bin || !fs.existsSync(bin)) {
  console.error('MERIDIAN_BIN must name the built meridian program');
  process.exit(2);
}
const only = process.argv[2];
if (!only || only === 'replicate')
  await benchTenThousand();
if (!only || only === 'latency')
  await benchLatency();
if (!only || only === 'nochange')
  await benchNoChange();
