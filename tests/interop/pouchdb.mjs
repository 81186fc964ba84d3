// SPDX-License-Identifier: GPL-3.0-or-later
//
// Interoperability with real peers no one here wrote: PouchDB 9 (memory
// adapter) replicating with `meridian serve` both ways, and `meridian sync`
// pulling from and pushing to a pouchdb-server. After each exchange both
// sides must hold the same documents, revisions, deletions and conflicts.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodeHttp from 'node:http';
import { after, test } from 'node:test';

import {
  PouchDB, conflictingRevs, http, meridianAsync, page, person, snapshot,
  startMeridian, startPouchServer, stopAll, tmpdir,
} from './helpers.mjs';

const dirs = [];
let counter = 0;

after(() => {
  stopAll();
  for (const dir of dirs)
    fs.rmSync(dir, { recursive: true, force: true });
});

function workspace() {
  const dir = tmpdir('ws');
  dirs.push(dir);
  return dir;
}

function memoryDb() {
  return new PouchDB(`mem-${process.pid}-${counter++}`, { adapter: 'memory' });
}

async function assertSame(a, b) {
  const [sa, sb] = await Promise.all([snapshot(a), snapshot(b)]);
  assert.ok(Object.keys(sa).length > 0, 'the replicas are not empty');
  assert.deepEqual(sa, sb);
  return sa;
}

// Fills a database through its HTTP API: pages, a person, a deletion, an
// overlapping page conflict and a person conflict.
async function seedOverHttp(url) {
  for (const doc of [page('welcome', '# Welcome\n\nHello.\n'), page('old', 'to delete\n'),
                     person('ana', 'Europe/Lisbon')]) {
    const res = await http('PUT', `${url}/${encodeURIComponent(doc._id)}`, doc);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const old = await http('GET', `${url}/page%3Aold`);
  const del = await http('DELETE', `${url}/page%3Aold?rev=${old.body._rev}`);
  assert.ok(del.status === 200 || del.status === 201, JSON.stringify(del.body));

  const clash = page('clash', 'one\ntwo\nthree\n');
  const put = await http('PUT', `${url}/page%3Aclash`, clash);
  const ana = await http('GET', `${url}/person%3Aana`);
  const docs = [
    ...conflictingRevs(clash, put.body.rev, [{ body: 'one\nTWO (a)\nthree\n' }, { body: 'one\nTWO (b)\nthree\n' }]),
    ...conflictingRevs(person('ana', 'Europe/Lisbon'), ana.body._rev, [{ tz: 'Asia/Tokyo' }, { tz: 'America/Lima' }]),
  ];
  const bulk = await http('POST', `${url}/_bulk_docs`, { docs, new_edits: false });
  assert.ok(bulk.status === 201 || bulk.status === 202, JSON.stringify(bulk.body));
  assert.deepEqual(bulk.body, []);
}

async function seedPouch(db) {
  await db.bulkDocs([page('start', '# Start\n'), page('gone', 'bye\n'), person('bo', 'Asia/Kathmandu')]);
  const gone = await db.get('page:gone');
  await db.remove(gone);
  const base = page('twice', 'alpha\nbeta\ngamma\n');
  const put = await db.put(base);
  await db.bulkDocs(conflictingRevs(base, put.rev, [{ body: 'alpha\nBETA 1\ngamma\n' }, { body: 'alpha\nBETA 2\ngamma\n' }]),
                    { new_edits: false });
}

// PouchDB in Node sends "Connection: close" through a keep-alive agent: the
// server must say it closes, or the agent reuses a dead socket.
test('meridian serve answers "Connection: close" in kind', async () => {
  const server = await startMeridian(workspace());
  const res = await new Promise((resolve, reject) => {
    const req = nodeHttp.get(server.url, { headers: { Connection: 'close', Accept: 'application/json' } }, resolve);
    req.on('error', reject);
  });
  res.resume();
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers.connection, 'close');
  await server.stop();
});

test('PouchDB replicates from meridian serve', async () => {
  const server = await startMeridian(workspace());
  await seedOverHttp(server.url);
  const local = memoryDb();
  const result = await local.replicate.from(server.url);
  assert.equal(result.ok, true);
  assert.equal(result.doc_write_failures, 0);
  const snap = await assertSame(local, new PouchDB(server.url));
  assert.equal(snap['page:old'].deleted, true);
  assert.equal(snap['page:clash'].conflicts.length, 1);
  assert.equal(snap['person:ana'].conflicts.length, 1);
  await server.stop();
});

// PouchDB sends doc_ids as POST /db/_changes?filter=_doc_ids: only those
// documents may arrive, the deleted one as a deletion.
test('PouchDB replicates chosen doc_ids from meridian serve', async () => {
  const server = await startMeridian(workspace());
  await seedOverHttp(server.url);
  const local = memoryDb();
  const result = await local.replicate.from(server.url, { doc_ids: ['page:welcome', 'page:old'] });
  assert.equal(result.ok, true);
  assert.equal(result.doc_write_failures, 0);
  const all = await local.allDocs({ keys: ['page:welcome', 'page:old', 'person:ana', 'page:clash'] });
  assert.deepEqual(all.rows.map((row) => [row.key, row.error ?? (row.value.deleted ? 'deleted' : 'live')]),
                   [['page:welcome', 'live'], ['page:old', 'deleted'], ['person:ana', 'not_found'],
                    ['page:clash', 'not_found']]);
  await server.stop();
});

// PouchDB's allDocs over HTTP: ranges, keys and paging as CouchDB answers them.
test('PouchDB allDocs against meridian serve', async () => {
  const server = await startMeridian(workspace());
  await seedOverHttp(server.url);
  const remote = new PouchDB(server.url);
  const range = await remote.allDocs({ startkey: 'page:', endkey: 'page:\uffff', descending: false });
  assert.deepEqual(range.rows.map((row) => row.id), ['page:clash', 'page:welcome']);
  assert.equal(range.total_rows, 3);
  assert.equal(range.offset, 0);
  const desc = await remote.allDocs({ descending: true, limit: 1, skip: 1 });
  assert.deepEqual(desc.rows.map((row) => row.id), ['page:welcome']);
  assert.equal(desc.offset, 1);
  const keys = await remote.allDocs({ keys: ['person:ana', 'page:old', 'nope'], include_docs: true });
  assert.equal(keys.rows[0].doc._id, 'person:ana');
  assert.equal(keys.rows[1].value.deleted, true);
  assert.equal(keys.rows[1].doc, null);
  assert.equal(keys.rows[2].error, 'not_found');
  const conflicts = await remote.allDocs({ key: 'page:clash', include_docs: true, conflicts: true });
  assert.equal(conflicts.rows[0].doc._conflicts.length, 1);
  await server.stop();
});

test('PouchDB replicates into meridian serve, and resumes from its checkpoint', async () => {
  const server = await startMeridian(workspace());
  const local = memoryDb();
  await seedPouch(local);
  const first = await local.replicate.to(server.url);
  assert.equal(first.ok, true);
  assert.equal(first.doc_write_failures, 0);
  const snap = await assertSame(local, new PouchDB(server.url));
  assert.equal(snap['page:gone'].deleted, true);
  assert.equal(snap['page:twice'].conflicts.length, 1);

  const again = await local.replicate.to(server.url);
  assert.equal(again.docs_written, 0);
  assert.equal(again.docs_read, 0);
  await server.stop();
});

test('PouchDB and meridian serve: a page edited on both sides between syncs', async () => {
  const server = await startMeridian(workspace());
  const local = memoryDb();
  await local.put(page('both', 'first\nsecond\nthird\n'));
  await local.sync(server.url);

  const mine = await local.get('page:both');
  await local.put({ ...mine, body: 'FIRST\nsecond\nthird\n' });
  const theirs = await http('GET', `${server.url}/page%3Aboth`);
  const res = await http('PUT', `${server.url}/page%3Aboth`, { ...theirs.body, body: 'first\nsecond\nTHIRD\n' });
  assert.equal(res.status, 201);

  const result = await local.sync(server.url);
  assert.equal(result.push.ok, true);
  assert.equal(result.pull.ok, true);
  const snap = await assertSame(local, new PouchDB(server.url));
  assert.equal(snap['page:both'].leaves.length, 2);
  assert.equal(snap['page:both'].conflicts.length, 1);
  await server.stop();
});

test('meridian sync pulls from a pouchdb-server', async () => {
  const ps = await startPouchServer();
  const url = `${ps.root}handbook`;
  assert.equal((await http('PUT', url)).status, 201);
  await seedOverHttp(url);

  const dir = workspace();
  const run = await meridianAsync(dir, 'sync', url, '--pull');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Synced with/);

  const server = await startMeridian(dir);
  const snap = await assertSame(new PouchDB(url), new PouchDB(server.url));
  assert.equal(snap['page:old'].deleted, true);
  assert.equal(snap['person:ana'].conflicts.length, 1);
  // An overlapping edit is not merged: it stays a conflict on both sides.
  assert.equal(snap['page:clash'].conflicts.length, 1);
  await server.stop();
  await ps.stop();
});

test('meridian sync pushes to a pouchdb-server, creating the database', async () => {
  const ps = await startPouchServer();
  const url = `${ps.root}handbook`;
  const dir = workspace();
  const server = await startMeridian(dir);
  await seedOverHttp(server.url);

  const run = await meridianAsync(dir, 'sync', url, '--push');
  assert.equal(run.status, 0, run.stderr);
  await assertSame(new PouchDB(url), new PouchDB(server.url));

  const again = await meridianAsync(dir, 'sync', url, '--push', '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).docs_written, 0);
  await server.stop();
  await ps.stop();
});

test('meridian sync with a pouchdb-server: pages edited on both sides between syncs', async () => {
  const ps = await startPouchServer();
  const url = `${ps.root}handbook`;
  const dir = workspace();
  const server = await startMeridian(dir);
  const remote = new PouchDB(url);
  await remote.bulkDocs([page('shared', 'one\ntwo\nthree\nfour\nfive\n'), page('clash', 'a\nb\nc\n')]);

  let run = await meridianAsync(dir, 'sync', url);
  assert.equal(run.status, 0, run.stderr);

  // Both sides edit: different lines of one page, the same line of another.
  for (const [id, body] of [['page:shared', 'ONE\ntwo\nthree\nfour\nfive\n'], ['page:clash', 'a\nB remote\nc\n']]) {
    const doc = await remote.get(id);
    await remote.put({ ...doc, body, updated_at: '2026-11-21T08:00:00Z' });
  }
  for (const [id, body] of [['page:shared', 'one\ntwo\nthree\nfour\nFIVE\n'], ['page:clash', 'a\nB local\nc\n']]) {
    const doc = await http('GET', `${server.url}/${encodeURIComponent(id)}`);
    const res = await http('PUT', `${server.url}/${encodeURIComponent(id)}`,
                           { ...doc.body, body, updated_at: '2026-11-21T09:00:00Z' });
    assert.equal(res.status, 201);
  }

  run = await meridianAsync(dir, 'sync', url, '--json');
  assert.equal(run.status, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.conflicts_merged, 1);

  const snap = await assertSame(remote, new PouchDB(server.url));
  // The clean merge became one revision on both sides; the clash is kept.
  assert.equal(snap['page:shared'].conflicts.length, 0);
  assert.equal(snap['page:shared'].body.body, 'ONE\ntwo\nthree\nfour\nFIVE\n');
  assert.equal(snap['page:clash'].conflicts.length, 1);
  await server.stop();
  await ps.stop();
});

test('meridian sync reports an unreachable peer', async () => {
  const dir = workspace();
  const run = await meridianAsync(dir, 'sync', 'http://127.0.0.1:9/handbook', '--retries', '0');
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /Could not reach/);
});

// A small PNG (a 1x1 pixel after the signature) and bytes that look like one.
function pngBytes(seed) {
  const head = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
  return Buffer.concat([head, crypto.createHash('sha256').update(String(seed)).digest()]);
}

function md5Digest(bytes) {
  return `md5-${crypto.createHash('md5').update(bytes).digest('base64')}`;
}

test('PouchDB pushes and pulls a page with an image attachment, digests identical', async () => {
  const server = await startMeridian(workspace());
  const local = memoryDb();
  const logo = pngBytes('logo');
  await local.put({
    ...page('with-image', '![logo](logo.png)\n'),
    _attachments: { 'logo.png': { content_type: 'image/png', data: logo.toString('base64') } },
  });
  const pushed = await local.replicate.to(server.url);
  assert.equal(pushed.doc_write_failures, 0);

  // Served as CouchDB serves it: a stub with the same digest, the bytes as they were.
  const doc = await http('GET', `${server.url}/page%3Awith-image`);
  assert.equal(doc.status, 200);
  const stub = doc.body._attachments['logo.png'];
  assert.equal(stub.stub, true);
  assert.equal(stub.digest, md5Digest(logo));
  assert.equal(stub.length, logo.length);
  const raw = await fetch(`${server.url}/page%3Awith-image/logo.png`);
  assert.equal(raw.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await raw.arrayBuffer()), logo);
  const local_stub = (await local.get('page:with-image'))._attachments['logo.png'];
  assert.equal(local_stub.digest, stub.digest);

  // An image added on the server side comes back to a fresh PouchDB.
  const photo = pngBytes('photo');
  const put = await fetch(`${server.url}/page%3Awith-image/photo.png?rev=${doc.body._rev}`,
                          { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: photo });
  assert.equal(put.status, 201);
  const fresh = memoryDb();
  const pulled = await fresh.replicate.from(server.url);
  assert.equal(pulled.doc_write_failures, 0);
  const back = await fresh.get('page:with-image', { attachments: true, binary: true });
  assert.deepEqual(Buffer.from(back._attachments['logo.png'].data), logo);
  assert.deepEqual(Buffer.from(back._attachments['photo.png'].data), photo);
  assert.equal(back._attachments['logo.png'].digest, md5Digest(logo));
  assert.equal(back._attachments['photo.png'].digest, md5Digest(photo));

  // And the first PouchDB pulls the new image too.
  const again = await local.replicate.from(server.url);
  assert.equal(again.doc_write_failures, 0);
  const mine = await local.get('page:with-image', { attachments: true, binary: true });
  assert.deepEqual(Buffer.from(mine._attachments['photo.png'].data), photo);
  await server.stop();
});

test('meridian sync pulls an image from a pouchdb-server and pushes another back', async () => {
  const ps = await startPouchServer();
  const url = `${ps.root}handbook`;
  const logo = pngBytes('ps-logo');
  const remote = new PouchDB(url);
  await remote.put({
    ...page('ps-image', '![logo](logo.png)\n'),
    _attachments: { 'logo.png': { content_type: 'image/png', data: logo.toString('base64') } },
  });

  const dir = workspace();
  const pull = await meridianAsync(dir, 'sync', url, '--pull');
  assert.equal(pull.status, 0, pull.stderr);
  const server = await startMeridian(dir);
  const raw = await fetch(`${server.url}/page%3Aps-image/logo.png`);
  assert.equal(raw.status, 200);
  assert.deepEqual(Buffer.from(await raw.arrayBuffer()), logo);
  const doc = await http('GET', `${server.url}/page%3Aps-image`);
  assert.equal(doc.body._attachments['logo.png'].digest, md5Digest(logo));

  // A second image added here travels to the pouchdb-server; the first goes as a stub.
  const photo = pngBytes('ps-photo');
  const put = await fetch(`${server.url}/page%3Aps-image/photo.png?rev=${doc.body._rev}`,
                          { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: photo });
  assert.equal(put.status, 201);
  await server.stop();
  const push = await meridianAsync(dir, 'sync', url, '--push');
  assert.equal(push.status, 0, push.stderr);
  const back = await remote.get('page:ps-image', { attachments: true, binary: true });
  assert.deepEqual(Buffer.from(back._attachments['photo.png'].data), photo);
  assert.deepEqual(Buffer.from(back._attachments['logo.png'].data), logo);
  assert.equal(back._attachments['photo.png'].digest, md5Digest(photo));
  await ps.stop();
});
