// SPDX-License-Identifier: GPL-3.0-or-later
//
// Peers for the interoperability tests: `meridian serve` on a temporary
// workspace, a real pouchdb-server in memory, an Apache CouchDB node,
// PouchDB databases in memory,
// and snapshots of a database's documents, revisions, deletions and
// conflicts that can be compared across implementations.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import PouchDB from 'pouchdb';
import memory from 'pouchdb-adapter-memory';

PouchDB.plugin(memory);

const here = path.dirname(fileURLToPath(import.meta.url));
const children = new Set();

export { PouchDB };

export function meridianBin() {
  const bin = process.env.MERIDIAN_BIN;
  if (!bin || !fs.existsSync(bin))
    throw new Error('MERIDIAN_BIN must name the built meridian program');
  return bin;
}

export function tmpdir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `meridian-interop-${name}-`));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, what) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok)
        return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer at ${url}`);
}

function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export function stopAll() {
  for (const child of children)
    child.kill('SIGTERM');
  for (const pid of couchPids)
    for (const target of [-pid, pid]) {
      try { process.kill(target, 'SIGKILL'); } catch { /* gone already */ }
    }
  couchPids.clear();
}

process.on('exit', stopAll);

// `meridian serve` on a workspace; resolves with its database URL.
export async function startMeridian(dataDir) {
  const child = track(spawn(meridianBin(), ['--data', dataDir, 'serve', '--listen', '127.0.0.1:0'],
                            { stdio: ['ignore', 'pipe', 'pipe'] }));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/\S+)/);
      if (m)
        resolve(m[1]);
    });
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.on('exit', (code) => reject(new Error(`meridian serve exited ${code}: ${err}`)));
  });
  // GET / answers without credentials, also when the workspace has accounts.
  await waitForHttp(`${new URL(url).origin}/`, child, 'meridian serve');
  return { url, child, stop: () => stopChild(child) };
}

// A pouchdb-server in memory, from its own empty working folder (it keeps
// its uuid in config.json there).
export async function startPouchServer() {
  const port = await freePort();
  const cwd = tmpdir('pouchdb-server');
  const bin = path.join(here, 'node_modules', '.bin', 'pouchdb-server');
  const child = track(spawn(bin, ['--in-memory', '--host', '127.0.0.1', '--port', String(port), '-n'],
                            { cwd, stdio: ['ignore', 'ignore', 'pipe'] }));
  const root = `http://127.0.0.1:${port}/`;
  await waitForHttp(root, child, 'pouchdb-server');
  return {
    root,
    child,
    cwd,
    stop: async () => { await stopChild(child); fs.rmSync(cwd, { recursive: true, force: true }); },
  };
}

// An Apache CouchDB node from MERIDIAN_COUCHDB_DIR (its start-node script)
// on a free loopback port, in a fresh folder; admin/secret. Stopped with
// stop(), or at exit by stopAll().
const couchPids = new Set();

export function couchDir() {
  const dir = process.env.MERIDIAN_COUCHDB_DIR;
  if (!dir || !fs.existsSync(path.join(dir, 'start-node')))
    throw new Error('MERIDIAN_COUCHDB_DIR must name the folder of the CouchDB release and its start-node script');
  return dir;
}

let couchSerial = 0;

export async function startCouch() {
  const port = await freePort();
  const dir = tmpdir('couchdb');
  // A node name of its own, so that nodes of other runs on this machine do not clash.
  const name = `ni${process.pid}c${++couchSerial}`;
  const res = spawnSync(path.join(couchDir(), 'start-node'), [dir, String(port), name],
                        { encoding: 'utf8', timeout: 120000 });
  if (res.status !== 0)
    throw new Error(`start-node failed: ${res.stderr}`);
  const pid = parseInt(res.stdout.trim(), 10);
  couchPids.add(pid);
  const stop = () => {
    if (!couchPids.delete(pid))
      return;
    // start-node runs the node in a session of its own: end the whole group.
    for (const target of [-pid, pid]) {
      try { process.kill(target, 'SIGKILL'); } catch { /* gone already */ }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A node with a name of its own makes no system databases.
  for (const db of ['_users', '_replicator']) {
    const made = await fetch(`http://127.0.0.1:${port}/${db}`, {
      method: 'PUT', headers: { Authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` },
    });
    if (![201, 202, 412].includes(made.status)) {
      stop();
      throw new Error(`CouchDB did not make ${db}: ${made.status}`);
    }
  }
  return { root: `http://admin:secret@127.0.0.1:${port}`, port, dir, stop };
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// Runs `meridian ARGS…` to completion.
export function meridian(dataDir, ...args) {
  const res = spawnSync(meridianBin(), ['--data', dataDir, ...args], { encoding: 'utf8', timeout: 120000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

// Runs `meridian sync` asynchronously so that in-process peers keep serving.
export function meridianAsync(dataDir, ...args) {
  return new Promise((resolve) => {
    const child = track(spawn(meridianBin(), ['--data', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

export async function http(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function bodyOf(doc) {
  const out = {};
  for (const key of Object.keys(doc).sort())
    if (!key.startsWith('_'))
      out[key] = doc[key];
  return out;
}

// What must be identical between two replicas: per document, every leaf
// revision (deleted ones too), the winner, its body and its conflicts.
export async function snapshot(db) {
  const changes = await db.changes({ style: 'all_docs', since: 0 });
  const docs = {};
  for (const row of changes.results) {
    const leaves = row.changes.map((c) => c.rev).sort();
    const entry = { leaves, deleted: !!row.deleted };
    try {
      const doc = await db.get(row.id, { conflicts: true });
      entry.winner = doc._rev;
      entry.body = bodyOf(doc);
      entry.conflicts = (doc._conflicts || []).slice().sort();
    } catch (err) {
      if (err.status !== 404)
        throw err;
      entry.winner = null;
    }
    docs[row.id] = entry;
  }
  return docs;
}

// A page as Meridian's data contract has it.
export function page(id, body, extra = {}) {
  return {
    _id: `page:${id}`,
    type: 'page',
    title: id,
    path: `handbook/${id}`,
    body,
    owner: 'person:ana',
    review_by: null,
    tags: [],
    updated_at: '2026-11-20T10:00:00Z',
    updated_by: 'person:ana',
    ...extra,
  };
}

export function person(id, tz) {
  return {
    _id: `person:${id}`,
    type: 'person',
    name: id,
    tz,
    work: { mon: [['09:00', '17:00']], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
    focus: { mon: [['09:00', '11:00']], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
    away: [],
    focus_until: null,
    status_note: '',
  };
}

// Two children of one revision, grafted with new_edits=false: a conflict.
export function conflictingRevs(doc, baseRev, bodies) {
  const gen = parseInt(baseRev, 10) + 1;
  const baseHash = baseRev.split('-')[1];
  return bodies.map((extra, i) => {
    const hash = (i === 0 ? 'a' : 'b').repeat(32);
    return {
      ...doc,
      ...extra,
      _rev: `${gen}-${hash}`,
      _revisions: { start: gen, ids: [hash, baseHash] },
    };
  });
}
