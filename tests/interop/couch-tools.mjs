// SPDX-License-Identifier: GPL-3.0-or-later
//
// CouchDB's own tools against a Meridian peer, each beside a real Apache
// CouchDB node: couchbackup and couchrestore, the nano client, and RxDB's
// CouchDB replication. `meridian serve` runs with an account, so the tools
// log in as they would on a CouchDB server.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';

import couchbackup from '@cloudant/couchbackup';
import Nano from 'nano';

import { meridianBin, page, startCouch, startMeridian, stopAll, tmpdir } from './helpers.mjs';

const ACCOUNT = 'ana';
const PASSWORD = 'ana-password-1';
const dirs = [];
let couch;

before(async () => {
  couch = await startCouch();
});

after(() => {
  couch?.stop();
  stopAll();
  for (const dir of dirs)
    fs.rmSync(dir, { recursive: true, force: true });
});

// `meridian serve` on a new workspace with one read-write account; the
// URLs carry its credentials, as a tool's configuration would.
async function serve() {
  const dir = tmpdir('tools-ws');
  dirs.push(dir);
  const res = spawnSync(meridianBin(), ['--data', dir, 'user', 'add', ACCOUNT, '--password-stdin'],
                        { input: `${PASSWORD}\n`, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const server = await startMeridian(dir);
  const url = new URL(server.url);
  url.username = ACCOUNT;
  url.password = PASSWORD;
  const db = url.pathname.slice(1);
  url.pathname = '/';
  const root = url.href.replace(/\/$/, '');
  return { ...server, root, db, dbUrl: `${root}/${db}` };
}

async function couchDb(name) {
  await Nano(couch.root).db.create(name);
  return `${couch.root}/${name}`;
}

// Every revision of every document, deleted ones too, as ids -> sorted leaves.
async function revisionsOf(nano, db) {
  const changes = await nano.use(db).changes({ style: 'all_docs' });
  const out = {};
  for (const row of changes.results)
    out[row.id] = { leaves: row.changes.map((c) => c.rev).sort(), deleted: !!row.deleted };
  return out;
}

async function bodiesOf(nano, db) {
  const all = await nano.use(db).list({ include_docs: true });
  return Object.fromEntries(all.rows.map((row) => [row.id, row.doc]));
}

function runBackup(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const out = new PassThrough();
    const chunks = [];
    out.on('data', (c) => chunks.push(c));
    couchbackup.backup(url, out, { parallelism: 2, ...opts }, (err) => {
      if (err)
        reject(err);
      else
        resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function runRestore(text, url) {
  return new Promise((resolve, reject) => {
    const input = new PassThrough();
    couchbackup.restore(input, url, { parallelism: 2 }, (err, summary) => (err ? reject(err) : resolve(summary)));
    input.end(text);
  });
}

// Pages with a history: edited, one deleted, one with a conflict.
async function seed(nano, db) {
  const d = nano.use(db);
  const welcome = await d.insert(page('welcome', '# Welcome\n'));
  await d.insert({ ...page('welcome', '# Welcome\n\nEdited.\n'), _rev: welcome.rev });
  for (const name of ['alpha', 'beta', 'gamma', 'old'])
    await d.insert(page(name, `${name}\n`));
  const old = await d.get('page:old');
  await d.destroy('page:old', old._rev);
  // A sibling of page:alpha's first revision, made elsewhere: a conflict.
  await d.bulk({
    new_edits: false,
    docs: [{ ...page('alpha', 'alpha (other side)\n'), _rev: `1-${'c'.repeat(32)}`,
             _revisions: { start: 1, ids: ['c'.repeat(32)] } }],
  });
}

test('couchbackup backs up a Meridian peer; couchrestore restores it into Meridian and into CouchDB', async () => {
  const source = await serve();
  const target = await serve();
  const nano = Nano(source.root);
  await seed(nano, source.db);

  // Full mode reads the changes feed and _bulk_get; shallow mode pages through
  // _all_docs with "\u0000" appended to the last id.
  const full = await runBackup(source.dbUrl);
  const shallow = await runBackup(source.dbUrl, { mode: 'shallow', bufferSize: 2 });
  const ids = (text) => text.split('\n').filter((l) => l.startsWith('[')).flatMap((l) => JSON.parse(l))
    .map((doc) => `${doc._id} ${doc._rev}`).sort();
  const live = Object.entries(await bodiesOf(nano, source.db)).map(([id, doc]) => `${id} ${doc._rev}`).sort();
  assert.deepEqual(ids(shallow), live);
  assert.ok(ids(full).length >= live.length);

  await runRestore(full, target.dbUrl);
  const couchUrl = await couchDb('restored');
  await runRestore(full, couchUrl);

  // The winners come back under the same ids and revisions in both.
  const sourceBodies = await bodiesOf(nano, source.db);
  const meridianBodies = await bodiesOf(Nano(target.root), target.db);
  const couchBodies = await bodiesOf(Nano(couch.root), 'restored');
  assert.equal(Object.keys(sourceBodies).length, 4);
  assert.deepEqual(meridianBodies, sourceBodies);
  assert.deepEqual(couchBodies, sourceBodies);
  // And every leaf, the conflict's loser and the deletion included.
  const sourceRevs = await revisionsOf(nano, source.db);
  assert.equal(sourceRevs['page:alpha'].leaves.length, 2);
  assert.equal(sourceRevs['page:old'].deleted, true);
  assert.deepEqual(await revisionsOf(Nano(target.root), target.db), sourceRevs);
  assert.deepEqual(await revisionsOf(Nano(couch.root), 'restored'), sourceRevs);
  await source.stop();
  await target.stop();
});

// Revisions differ by design (Meridian's are its own hashes: see the
// README) and sequences
// are numbers on Meridian, opaque strings on CouchDB: both are masked.
function normalize(value) {
  if (Array.isArray(value))
    return value.map(normalize);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (['seq', 'last_seq', 'update_seq', 'pending'].includes(k))
        out[k] = '<seq>';
      else
        out[k] = normalize(v);
    }
    return out;
  }
  if (typeof value === 'string' && /^\d+-[0-9a-f]{32}$/.test(value))
    return `${value.split('-')[0]}-<hash>`;
  if (typeof value === 'string' && /^[0-9a-f]{32}$/.test(value))
    return '<hash>';
  return value;
}

function withoutDigests(attachments) {
  const out = {};
  for (const [name, att] of Object.entries(attachments)) {
    const { digest, ...rest } = att;
    out[name] = { ...rest, digest: digest.startsWith('md5-') ? 'md5-<digest>' : digest };
  }
  return out;
}

async function outcome(fn) {
  try {
    return { ok: normalize(await fn()) };
  } catch (err) {
    if (err.statusCode === undefined)
      throw err;
    return { status: err.statusCode, error: err.error };
  }
}

// The table: each call is run against serve and against CouchDB, on
// databases seeded the same way through nano itself.
const calls = [
  ['insert a page', (d) => d.insert(page('n1', 'one\n'))],
  ['insert with a chosen id', (d) => d.insert(page('n2', 'two\n'), 'page:n2')],
  ['get', (d) => d.get('page:n1')],
  ['get a missing document', (d) => d.get('page:none')],
  ['update with the current rev', async (d) => d.insert({ ...(await d.get('page:n1')), body: 'one, edited\n' })],
  ['update with a stale rev', (d) => d.insert({ ...page('n1', 'stale\n'), _rev: '1-00000000000000000000000000000000' })],
  ['insert an existing id without rev', (d) => d.insert(page('n2', 'again\n'))],
  ['get with revs', (d) => d.get('page:n1', { revs: true })],
  ['get with revs_info', async (d) => (await d.get('page:n1', { revs_info: true }))._revs_info.map((r) => r.status)],
  ['get an old revision', async (d) => {
    const info = await d.get('page:n1', { revs_info: true });
    return d.get('page:n1', { rev: info._revs_info[1].rev });
  }],
  ['head', async (d) => (await d.head('page:n1')).statusCode ?? 200],
  ['destroy', async (d) => d.destroy('page:n2', (await d.get('page:n2'))._rev)],
  ['get a deleted document', (d) => d.get('page:n2')],
  ['destroy with a wrong rev', (d) => d.destroy('page:n1', '1-00000000000000000000000000000000')],
  ['bulk insert', (d) => d.bulk({ docs: [page('b1', 'b\n'), page('b2', 'b\n'), { _id: 'note:1', type: 'note' }] })],
  ['bulk with a conflicting row', (d) => d.bulk({ docs: [page('b1', 'again\n'), page('b3', 'b\n')] })],
  ['bulk with new_edits=false', (d) => d.bulk({
    new_edits: false,
    docs: [{ ...page('b1', 'other\n'), _rev: `1-${'f'.repeat(32)}` }],
  })],
  ['get with conflicts', (d) => d.get('page:b1', { conflicts: true })],
  ['list', (d) => d.list()],
  ['list with docs', (d) => d.list({ include_docs: true })],
  ['list a range', (d) => d.list({ startkey: 'page:b', endkey: 'page:b\ufff0' })],
  ['list from an id and "\\u0000"', (d) => d.list({ startkey: 'page:b1\u0000' })],
  ['list descending, skip and limit', (d) => d.list({ descending: true, skip: 1, limit: 2 })],
  ['list by keys', (d) => d.list({ keys: ['page:b2', 'page:n2', 'page:zz'] })],
  ['fetch', (d) => d.fetch({ keys: ['page:b1', 'page:zz'] })],
  ['fetchRevs', (d) => d.fetchRevs({ keys: ['page:b2', 'page:n2'] })],
  // A CouchDB database of two shards lists changes in no global order: sorted by id.
  ['changes', async (d) => (await d.changes()).results.map((r) => [r.id, !!r.deleted]).sort()],
  ['changes by doc_ids', async (d) => (await d.changes({ filter: '_doc_ids', doc_ids: JSON.stringify(['page:n2']) }))
    .results.map((r) => [r.id, !!r.deleted])],
  ['changes with a limit', async (d) => (await d.changes({ limit: 2 })).results.length],
  ['database info', async (d, nano) => {
    const info = await nano.db.get(d.config.db);
    return [info.doc_count, info.doc_del_count];
  }],
  ['uuids', async (d, nano) => (await nano.uuids(3)).uuids.map((u) => u.length)],
  ['_revs_diff', (d, nano) => nano.request({ db: d.config.db, method: 'post', path: '_revs_diff',
                                              body: { 'page:b2': [`1-${'a'.repeat(32)}`] } })],
  ['_bulk_get', async (d, nano) => {
    const res = await nano.request({ db: d.config.db, method: 'post', path: '_bulk_get',
                                     body: { docs: [{ id: 'page:b2' }, { id: 'page:zz' }] } });
    return res.results.map((r) => [r.id, Object.keys(r.docs[0])[0]]);
  }],
  ['get a missing database', (d, nano) => nano.db.get('no-such-db')],
  ['insert an attachment', async (d) => d.attachment.insert('page:b2', 'a.txt', Buffer.from('hi'), 'text/plain',
                                                            { rev: (await d.get('page:b2'))._rev })],
  // CouchDB names the error "not_found" under its 409, Meridian "conflict":
  // the status is what clients act on.
  ['insert an attachment with a stale rev', (d) => d.attachment.insert('page:b2', 'b.txt', Buffer.from('ho'),
                                                                       'text/plain', { rev: `1-${'0'.repeat(32)}` })
    .catch((err) => ({ status: err.statusCode }))],
  ['get an attachment', async (d) => (await d.attachment.get('page:b2', 'a.txt')).toString()],
  ['get a missing attachment', (d) => d.attachment.get('page:b2', 'none.txt')],
  // CouchDB gzips text types as it stores them and digests the gzipped
  // bytes; Meridian, like PouchDB, digests the bytes as given: compared
  // apart, below.
  ['get a document with its attachment stub', async (d) => withoutDigests((await d.get('page:b2'))._attachments)],
  ['get a document with its attachment inline',
   async (d) => withoutDigests((await d.get('page:b2', { attachments: true }))._attachments)],
  ['destroy an attachment', async (d) => d.attachment.destroy('page:b2', 'a.txt', { rev: (await d.get('page:b2'))._rev })],
];

// What Meridian refuses on purpose, by CouchDB-style error: a peer keeps no
// views or query engine (see the README).
const refused = [
  ['a view', (d) => d.view('app', 'by_title'), 501, 'not_implemented'],
  ['a Mango query', (d) => d.find({ selector: { type: 'page' } }), 501, 'not_implemented'],
  ['an index', (d) => d.createIndex({ index: { fields: ['title'] } }), 501, 'not_implemented'],
  ['a design document', (d) => d.insert({ views: {} }, '_design/app'), 403, 'forbidden'],
];

test('nano answers the same from meridian serve and from CouchDB', async () => {
  const server = await serve();
  const couchNano = Nano(couch.root);
  await couchNano.db.create(server.db).catch(() => {});
  const sides = [
    { name: 'meridian', nano: Nano(server.root) },
    { name: 'couchdb', nano: couchNano },
  ];
  for (const side of sides)
    side.db = side.nano.use(server.db);

  const differ = [];
  for (const [name, fn] of calls) {
    const [m, c] = [await outcome(() => fn(sides[0].db, sides[0].nano)),
                    await outcome(() => fn(sides[1].db, sides[1].nano))];
    try {
      assert.deepEqual(m, c);
    } catch {
      differ.push(`${name}:\n  meridian ${JSON.stringify(m)}\n  couchdb  ${JSON.stringify(c)}`);
    }
  }
  assert.deepEqual(differ, [], differ.join('\n'));
  assert.ok(calls.length >= 30);

  // Meridian's digest is the MD5 of the bytes themselves.
  const current = await sides[0].db.get('page:n1');
  const put = await sides[0].db.attachment.insert('page:n1', 'x.bin', Buffer.from('hi'), 'application/octet-stream',
                                                  { rev: current._rev });
  const att = (await sides[0].db.get('page:n1', { rev: put.rev }))._attachments['x.bin'];
  assert.equal(att.digest, `md5-${crypto.createHash('md5').update('hi').digest('base64')}`);

  for (const [name, fn, status, error] of refused) {
    const m = await outcome(() => fn(sides[0].db, sides[0].nano));
    assert.deepEqual(m, { status, error }, name);
  }
  await server.stop();
});

// RxDB (memory storage) and its CouchDB replication, once against serve and
// once against CouchDB: what RxDB writes arrives on the server, and what the
// server holds arrives in RxDB.
async function rxdbRoundTrip(url, user, password, tag) {
  const { createRxDatabase } = await import('rxdb');
  const { getRxStorageMemory } = await import('rxdb/plugins/storage-memory');
  const { replicateCouchDB, getFetchWithCouchDBAuthorization } = await import('rxdb/plugins/replication-couchdb');

  const db = await createRxDatabase({
    name: `rx${tag}${process.pid}`,
    storage: getRxStorageMemory(),
    // Node 18 has no global Web Crypto, which RxDB's default hash uses.
    hashFunction: (text) => Promise.resolve(crypto.createHash('sha256').update(text).digest('hex')),
  });
  await db.addCollections({
    notes: {
      schema: {
        version: 0,
        primaryKey: 'id',
        type: 'object',
        properties: {
          id: { type: 'string', maxLength: 100 },
          type: { type: 'string' },
          text: { type: 'string' },
        },
        required: ['id', 'type', 'text'],
      },
    },
  });
  await db.notes.bulkInsert([
    { id: 'note:rx1', type: 'note', text: 'from RxDB, one' },
    { id: 'note:rx2', type: 'note', text: 'from RxDB, two' },
  ]);
  const replication = replicateCouchDB({
    replicationIdentifier: `rx-${tag}`,
    collection: db.notes,
    url: `${url}/`,
    fetch: getFetchWithCouchDBAuthorization(user, password),
    live: false,
    pull: { batchSize: 10 },
    push: { batchSize: 10 },
  });
  const errors = [];
  replication.error$.subscribe((err) => errors.push(err));
  await replication.awaitInitialReplication();
  const local = (await db.notes.find().exec()).map((d) => [d.id, d.text]).sort();
  await replication.cancel();
  await db.remove();
  return { errors, local };
}

test('RxDB replicates both ways with meridian serve, as with CouchDB', async () => {
  const server = await serve();
  const couchUrl = await couchDb('rx');
  const seedNote = { _id: 'note:srv', type: 'note', text: 'from the server' };
  await Nano(server.root).use(server.db).insert(seedNote);
  await Nano(couch.root).use('rx').insert(seedNote);

  const expected = [['note:rx1', 'from RxDB, one'], ['note:rx2', 'from RxDB, two'], ['note:srv', 'from the server']];
  const sides = [
    ['meridian', `${new URL(server.url).origin}/${server.db}`, ACCOUNT, PASSWORD, Nano(server.root).use(server.db)],
    ['couchdb', `${new URL(couch.root).origin}/rx`, 'admin', 'secret', Nano(couch.root).use('rx')],
  ];
  for (const [name, url, user, password, remote] of sides) {
    const { errors, local } = await rxdbRoundTrip(url, user, password, name);
    assert.deepEqual(errors.map(String), [], name);
    assert.deepEqual(local, expected, `${name}: the server's document arrives in RxDB`);
    const rows = (await remote.list({ include_docs: true })).rows.map((r) => [r.id, r.doc.text]).sort();
    assert.deepEqual(rows, expected, `${name}: RxDB's documents arrive on the server`);
  }
  await server.stop();
});
