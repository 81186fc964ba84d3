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
//  4. (couchdb) Apache CouchDB, started from MERIDIAN_COUCHDB_DIR on free
//     loopback ports: the same 10,000 documents Meridian -> CouchDB,
//     CouchDB -> Meridian, PouchDB -> CouchDB and back, and CouchDB's own
//     replicator node to node; a no-change sync against 100,000
//     documents; a push into a 3-node cluster (n=3); the ratios, and
//     whether each target is met.
//  5. (attachments) 1,000 pages each carrying its own 100 KiB image,
//     pulled Meridian peer to Meridian peer and replicated pouchdb-server
//     to pouchdb-server through PouchDB, in the same run; a second sync
//     that finds nothing to do; and what 1,000 pages sharing one 100 KiB
//     logo add to a workspace's file.

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
const couchPids = [];

process.on('exit', () => {
  for (const child of children)
    child.kill('SIGTERM');
  // start-node runs each CouchDB node in a session of its own.
  for (const pid of couchPids) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const dir of dirs)
    fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => process.exit(130));

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

async function load(url, docs, headers = {}) {
  for (let i = 0; i < docs.length; i += 1000) {
    const res = await fetch(`${url}/_bulk_docs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
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

// Deterministic incompressible bytes behind a PNG signature: what a
// screenshot costs a replica, without compression flattering anyone.
function makeImage(size, seed) {
  const bytes = Buffer.alloc(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    bytes[i] = state & 0xff;
  }
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  return bytes;
}

function withImage(doc, name, image) {
  return {
    ...doc,
    body: `${doc.body}\n![screenshot](${name})\n`,
    _attachments: { [name]: { content_type: 'image/png', data: image.toString('base64') } },
  };
}

async function loadInBatches(url, docs, size) {
  for (let i = 0; i < docs.length; i += size)
    await load(url, docs.slice(i, i + size));
}

async function benchAttachments() {
  const N_ATT = Number(process.env.BENCH_ATT_DOCS || 1000);
  const IMAGE = 100 * 1024;
  const RUNS_ATT = 3;
  const docs = makeDocs(N_ATT, 'att').map((d, i) => withImage(d, `shot-${i}.png`, makeImage(IMAGE, i + 1)));
  console.log(`# ${N_ATT} pages, each with its own ${IMAGE / 1024} KiB image (${(N_ATT * IMAGE / 1048576).toFixed(0)} MiB of images)`);

  const source = await serve(tmpdir('att-source'));
  await loadInBatches(source.url, docs, 50);
  const meridianTimes = [];
  const noChange = [];
  for (let run = 0; run < RUNS_ATT; run++) {
    const target = tmpdir('att-target');
    const { elapsed, summary } = sync(target, source.url, '--pull');
    if (summary.docs_written !== N_ATT)
      throw new Error(`Meridian wrote ${summary.docs_written} documents, not ${N_ATT}`);
    meridianTimes.push(elapsed);
    if (run === 0) {
      sync(target, source.url); // the push side's first checkpoint
      for (let i = 0; i < 5; i++) {
        const again = sync(target, source.url);
        if (again.summary.docs_written !== 0)
          throw new Error(`a sync with nothing to do wrote ${again.summary.docs_written} documents`);
        noChange.push(again.elapsed);
      }
    }
    fs.rmSync(target, { recursive: true, force: true });
  }
  await stop(source.child);

  const ps1 = await pouchServer();
  await fetch(`${ps1.root}bench`, { method: 'PUT' });
  await loadInBatches(`${ps1.root}bench`, docs, 50);
  const pouchTimes = [];
  for (let run = 0; run < RUNS_ATT; run++) {
    const ps2 = await pouchServer();
    const start = process.hrtime.bigint();
    const result = await PouchDB.replicate(`${ps1.root}bench`, `${ps2.root}bench`);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.docs_written !== N_ATT)
      throw new Error(`PouchDB wrote ${result.docs_written} documents`);
    const check = await (await fetch(`${ps2.root}bench/${encodeURIComponent(docs[7]._id)}/shot-7.png`)).arrayBuffer();
    if (Buffer.compare(Buffer.from(check), makeImage(IMAGE, 8)) !== 0)
      throw new Error('PouchDB replicated an image wrongly');
    pouchTimes.push(elapsed);
    await stop(ps2.child);
  }
  await stop(ps1.child);

  // Storage: the same logo on every page is kept once.
  const logo = makeImage(IMAGE, 4242);
  const plainDir = tmpdir('att-plain');
  const logoDir = tmpdir('att-logo');
  const plain = await serve(plainDir);
  await loadInBatches(plain.url, makeDocs(N_ATT, 'logo'), 200);
  await stop(plain.child);
  const logos = await serve(logoDir);
  await loadInBatches(logos.url, makeDocs(N_ATT, 'logo').map((d) => withImage(d, 'logo.png', logo)), 50);
  await stop(logos.child);
  const size = (dir) => fs.readdirSync(dir).filter((f) => f.startsWith('workspace.db'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);

  const m = median(meridianTimes);
  const p = median(pouchTimes);
  console.log(`Meridian -> Meridian (meridian serve + meridian sync --pull): ${ms(m)} median of ${RUNS_ATT} (${meridianTimes.map((t) => t.toFixed(0)).join(', ')})`);
  console.log(`pouchdb-server -> pouchdb-server via PouchDB 9 (default batch):  ${ms(p)} median of ${RUNS_ATT} (${pouchTimes.map((t) => t.toFixed(0)).join(', ')})`);
  console.log(`ratio: Meridian is ${(p / m).toFixed(1)}x faster than PouchDB (target: at least 5x)`);
  console.log(`second sync with nothing changed (both directions, whole process): ${ms(median(noChange))} median of 5 (${noChange.map((t) => t.toFixed(1)).join(', ')}; target < 50 ms)`);
  const added = size(logoDir) - size(plainDir);
  console.log(`${N_ATT} pages sharing one ${IMAGE / 1024} KiB logo: the workspace file grows by ${(added / 1024).toFixed(0)} KiB over the same pages without it (${N_ATT} copies would be ${(N_ATT * IMAGE / 1048576).toFixed(0)} MiB)`);
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

// ---------------------------------------------------------------------------
// Apache CouchDB (mode "couchdb")

const couchDir = process.env.MERIDIAN_COUCHDB_DIR || path.join(top, '..', 'shared', 'couchdb');
const COUCH_RUNS = Number(process.env.BENCH_COUCH_RUNS || 3);
const ADMIN = { username: 'admin', password: 'secret' };
const ADMIN_HEADERS = { Authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` };
let couchSerial = 0;

function randomHex() {
  return [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
}

// One node, by start-node, with a node name of its own so that other
// CouchDBs on this machine (tests running beside) never collide with it in
// Erlang's port mapper. Cluster nodes share one uuid and secret. A node
// that does not come up in start-node's time (a busy machine) is tried
// once more, in a new folder on a new port.
async function startNode(name, identity) {
  try {
    return await startNodeOnce(name, identity);
  } catch (error) {
    console.log(`# ${error.message.split('\n')[0]}; trying once more`);
    return startNodeOnce(name, identity);
  }
}

function startNodeOnce(name, identity) {
  return new Promise((resolve, reject) => {
    freePort().then((port) => {
      const dir = tmpdir(`couchdb-${name}`);
      const env = { ...process.env, COUCH_UUID: identity.uuid, COUCH_SECRET: identity.secret };
      const child = spawn(path.join(couchDir, 'start-node'), [dir, String(port), name],
                          { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => { out += c; });
      child.stderr.on('data', (c) => { err += c; });
      child.on('exit', (code) => {
        const pid = Number(out.trim());
        if (code !== 0 || !pid)
          return reject(new Error(`start-node ${name} failed: ${err}`));
        couchPids.push(pid);
        resolve({ name, port, root: `http://127.0.0.1:${port}` });
      });
    }, reject);
  });
}

async function couch(node, method, pathname, body) {
  const res = await fetch(`${node.root}${pathname}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...ADMIN_HEADERS },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function couchCreate(node, db, query = '') {
  const { status, json } = await couch(node, 'PUT', `/${db}${query}`);
  if (status !== 201 && status !== 202 && status !== 412)
    throw new Error(`creating ${db}: ${status} ${JSON.stringify(json)}`);
}

// A single node, or three joined into one cluster; either way with the
// system databases that a node with a name of its own does not make.
async function startCouch(nodes) {
  const tag = `mb${process.pid}c${++couchSerial}`;
  const identity = { uuid: randomHex(), secret: randomHex() };
  const started = [];
  for (let i = 1; i <= nodes; i++)
    started.push(await startNode(`${tag}n${i}`, nodes > 1 ? identity : { uuid: randomHex(), secret: randomHex() }));
  for (const other of started.slice(1)) {
    const { status } = await couch(started[0], 'PUT', `/_node/_local/_nodes/${other.name}@127.0.0.1`, {});
    if (status !== 201 && status !== 202)
      throw new Error(`joining ${other.name}: ${status}`);
  }
  for (let attempt = 0; nodes > 1; attempt++) {
    const { json } = await couch(started[0], 'GET', '/_membership');
    if (json.cluster_nodes.length === nodes)
      break;
    if (attempt > 100)
      throw new Error('the three nodes did not join into one cluster');
    await new Promise((r) => setTimeout(r, 100));
  }
  await couchCreate(started[0], '_users');
  await couchCreate(started[0], '_replicator');
  return started;
}

function couchUrl(node, db) {
  return `http://admin:secret@127.0.0.1:${node.port}/${db}`;
}

function median3(values) {
  return `${ms(median(values))} median of ${values.length} (${values.map((t) => t.toFixed(0)).join(', ')})`;
}

async function time(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { elapsed: Number(process.hrtime.bigint() - start) / 1e6, result };
}

async function benchCouch() {
  const start = path.join(couchDir, 'start-node');
  if (!fs.existsSync(start)) {
    console.log(`# couchdb: skipped, no ${start} (set MERIDIAN_COUCHDB_DIR)`);
    return;
  }
  const docs = makeDocs(N_DOCS, 'doc');
  console.log(`# Apache CouchDB from ${couchDir}: ${N_DOCS} documents of about ${(docs.reduce((n, d) => n + JSON.stringify(d).length, 0) / N_DOCS).toFixed(0)} bytes, ${COUCH_RUNS} runs each`);
  const t0 = Date.now();
  const [a] = await startCouch(1);
  const [b] = await startCouch(1);
  const cluster = await startCouch(3);
  console.log(`# started two single nodes and a 3-node cluster in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  await couchCreate(a, 'src');
  await load(`${a.root}/src`, docs, ADMIN_HEADERS);

  const fig = { push: [], pull: [], replicator: [], cluster: [], pouchPush100: [], pouchPush500: [],
                pouchPull100: [], pouchPull500: [] };
  for (let run = 0; run < COUCH_RUNS; run++) {
    // CouchDB -> Meridian: into an empty workspace.
    const dir = tmpdir('couch-pull');
    const pulled = await time(() => sync(dir, couchUrl(a, 'src'), '--pull'));
    if (pulled.result.summary.docs_written !== N_DOCS)
      throw new Error(`Meridian pulled ${pulled.result.summary.docs_written} documents`);
    fig.pull.push(pulled.elapsed);

    // Meridian -> CouchDB: that workspace into an empty database, one node.
    await couchCreate(a, `push${run}`);
    const pushed = await time(() => sync(dir, couchUrl(a, `push${run}`), '--push'));
    if (pushed.result.summary.docs_written !== N_DOCS)
      throw new Error(`Meridian pushed ${pushed.result.summary.docs_written} documents`);
    fig.push.push(pushed.elapsed);

    // The same into the 3-node cluster, every document on every node.
    await couchCreate(cluster[0], `push${run}`, '?n=3&q=2');
    const clustered = await time(() => sync(dir, couchUrl(cluster[0], `push${run}`), '--push'));
    if (clustered.result.summary.docs_written !== N_DOCS)
      throw new Error(`Meridian pushed ${clustered.result.summary.docs_written} documents into the cluster`);
    fig.cluster.push(clustered.elapsed);

    // CouchDB's own replicator, node a to node b, run by the target.
    await couchCreate(b, `rep${run}`);
    const replicated = await time(() => couch(b, 'POST', '/_replicate',
                                              { source: couchUrl(a, 'src'), target: couchUrl(b, `rep${run}`) }));
    if (replicated.result.status !== 200 || replicated.result.json.history?.[0]?.docs_written !== N_DOCS)
      throw new Error(`CouchDB's replicator: ${replicated.result.status} ${JSON.stringify(replicated.result.json)}`);
    fig.replicator.push(replicated.elapsed);

    // PouchDB 9 in Node.js with its default (LevelDB) adapter, both ways.
    for (const batch of [100, 500]) {
      const local = new PouchDB(path.join(tmpdir('pouch'), 'db'));
      const down = await time(() => PouchDB.replicate(new PouchDB(`${a.root}/src`, { auth: ADMIN }), local,
                                                      { batch_size: batch }));
      if (down.result.docs_written !== N_DOCS)
        throw new Error(`PouchDB pulled ${down.result.docs_written} documents`);
      fig[`pouchPull${batch}`].push(down.elapsed);
      await couchCreate(a, `pouch${batch}r${run}`);
      const up = await time(() => PouchDB.replicate(local, new PouchDB(`${a.root}/pouch${batch}r${run}`, { auth: ADMIN }),
                                                    { batch_size: batch }));
      if (up.result.docs_written !== N_DOCS)
        throw new Error(`PouchDB pushed ${up.result.docs_written} documents`);
      fig[`pouchPush${batch}`].push(up.elapsed);
      await local.close();
    }
  }

  // A no-change sync (both directions) against a CouchDB of 100,000 documents.
  const big = makeDocs(N_BIG, 'big');
  await couchCreate(a, 'big');
  let t = Date.now();
  await load(`${a.root}/big`, big, ADMIN_HEADERS);
  console.log(`# loaded ${N_BIG} documents into CouchDB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const bigDir = tmpdir('couch-big');
  const first = sync(bigDir, couchUrl(a, 'big'));
  console.log(`# first sync of ${N_BIG} documents from CouchDB (pull, then push compares): ${(first.elapsed / 1000).toFixed(2)} s`);
  const nochange = [];
  for (let run = 0; run < 5; run++) {
    const { elapsed, summary } = sync(bigDir, couchUrl(a, 'big'));
    if (summary.docs_written !== 0)
      throw new Error('a no-change sync wrote documents');
    nochange.push(elapsed);
  }

  const m = Object.fromEntries(Object.entries(fig).map(([k, v]) => [k, median(v)]));
  const pouchPush = Math.min(m.pouchPush100, m.pouchPush500);
  const pouchPull = Math.min(m.pouchPull100, m.pouchPull500);
  console.log(`Meridian -> CouchDB (meridian sync --push, one node):           ${median3(fig.push)}`);
  console.log(`CouchDB -> Meridian (meridian sync --pull, empty workspace):    ${median3(fig.pull)}`);
  console.log(`CouchDB -> CouchDB (CouchDB's replicator, node to node):        ${median3(fig.replicator)}`);
  console.log(`PouchDB -> CouchDB (PouchDB 9, LevelDB, batch_size 100):         ${median3(fig.pouchPush100)}`);
  console.log(`PouchDB -> CouchDB (PouchDB 9, LevelDB, batch_size 500):         ${median3(fig.pouchPush500)}`);
  console.log(`CouchDB -> PouchDB (PouchDB 9, LevelDB, batch_size 100):         ${median3(fig.pouchPull100)}`);
  console.log(`CouchDB -> PouchDB (PouchDB 9, LevelDB, batch_size 500):         ${median3(fig.pouchPull500)}`);
  console.log(`Meridian -> 3-node cluster (n=3, q=2, meridian sync --push):    ${median3(fig.cluster)}`);
  console.log(`no-change sync (both directions, whole process), ${N_BIG} documents in CouchDB: ${median3(nochange)}`);

  const targets = [
    [`Meridian -> CouchDB vs CouchDB's replicator: ${(m.replicator / m.push).toFixed(1)}x faster (target: at least 4x)`,
     m.replicator / m.push >= 4],
    [`CouchDB -> Meridian vs CouchDB's replicator: ${(m.replicator / m.pull).toFixed(1)}x faster (target: at least 5x)`,
     m.replicator / m.pull >= 5],
    [`Meridian -> CouchDB vs PouchDB -> CouchDB (PouchDB's better batch size): ${(pouchPush / m.push).toFixed(1)}x faster (target: faster)`,
     pouchPush > m.push],
    [`CouchDB -> Meridian vs CouchDB -> PouchDB (PouchDB's better batch size): ${(pouchPull / m.pull).toFixed(1)}x faster (target: faster)`,
     pouchPull > m.pull],
    [`no-change sync against ${N_BIG} documents: ${ms(median(nochange))} (target: under 50 ms)`,
     median(nochange) < 50],
    [`push into the 3-node cluster vs one node: ${(m.cluster / m.push).toFixed(2)}x the time (target: at most 2x)`,
     m.cluster / m.push <= 2],
  ];
  console.log('ratios and targets:');
  for (const [text, met] of targets)
    console.log(`  ${met ? 'MET   ' : 'MISSED'} ${text}`);
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
if (!only || only === 'couchdb')
  await benchCouch();
if (!only || only === 'attachments')
  await benchAttachments();
