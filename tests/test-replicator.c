/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The replicator against in-process Meridian peers on 127.0.0.1: pull,
 * push, resuming from the checkpoint, conflicts that end identical on
 * both sides, continuous sync, and the errors a user sees; and fake peers
 * whose answers break off.
 */

#include "config.h"

#include "mer-test-peer.h"
#include "mer-replicator-private.h"

static void
put_page (MerStore   *store,
          const char *id,
          const char *body)
{
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", id + 5);
  json_object_set_string_member (doc, "path", id + 5);
  json_object_set_string_member (doc, "body", body);
  json_object_set_string_member (doc, "updated_at", "2026-11-20T10:00:00Z");
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
}

static void
edit_page (MerStore   *store,
           const char *id,
           const char *body,
           const char *stamp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);
  g_autofree char *rev = NULL;

  g_assert_no_error (error);
  json_object_set_string_member (doc, "body", body);
  json_object_set_string_member (doc, "updated_at", stamp);
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
}

static void
fill (MerStore *store,
      guint     first,
      guint     count)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_store_begin (store, &error));
  for (guint i = first; i < first + count; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:p%05u", i);
      g_autofree char *body = g_strdup_printf ("# Page %u\n\nSome text for page %u.\n", i, i);

      put_page (store, id, body);
    }
  g_assert_true (mer_store_commit (store, &error));
}

static void
test_pull_push (void)
{
  TestPeer *remote = test_peer_new ("peer", "s3cret pass");
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  TestSyncResult res;

  /* More than two batches, so that checkpoints happen in between. */
  fill (remote->store, 0, 1100);
  res = test_sync (local, remote->url, MER_REPLICATOR_PULL, 500);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 1100);
  g_assert_cmpuint (res.changes, ==, 1100);
  test_assert_same_replica (local, remote->store);
  /* The pull indexed its pages for search once, at its end. */
  g_assert_cmpint (mer_store_count_unindexed (local), ==, 0);
  {
    g_autoptr(GPtrArray) hits = mer_store_search (local, "some text", 5000, NULL);

    g_assert_cmpuint (hits->len, ==, 1100);
  }

  /* Push local edits and new pages back. */
  fill (local, 2000, 30);
  edit_page (local, "page:p00007", "# Page 7\n\nEdited locally.\n", "2026-11-21T10:00:00Z");
  g_assert_cmpuint (mer_replicator_count_pending (local, remote->url), ==, 31);
  res = test_sync (local, remote->url, MER_REPLICATOR_PUSH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 31);
  g_assert_cmpuint (mer_replicator_count_pending (local, remote->url), ==, 0);
  test_assert_same_replica (local, remote->store);

  /* Nothing changed: a sync moves nothing. */
  res = test_sync (local, remote->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 0);

  g_assert_true (mer_store_check_integrity (local, NULL));
  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

static JsonNode *
checkpoint_seq (MerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = mer_store_list_local (store, "_local/", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);

      if (json_object_has_member (doc, "session_id") && json_object_has_member (doc, "last_seq"))
        return json_node_copy (json_object_get_member (doc, "last_seq"));
    }
  return NULL;
}

static void
test_resume (void)
{
  TestPeer *remote = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) second = NULL;
  TestSyncResult res;

  fill (remote->store, 0, 300);
  res = test_sync (local, remote->url, MER_REPLICATOR_PULL, 100);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.changes, ==, 300);
  first = checkpoint_seq (local);
  g_assert_nonnull (first);

  /* The next run starts from the checkpoint: only the new changes. */
  fill (remote->store, 300, 7);
  res = test_sync (local, remote->url, MER_REPLICATOR_PULL, 100);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.changes, ==, 7);
  g_assert_cmpuint (res.written, ==, 7);
  second = checkpoint_seq (local);
  g_assert_nonnull (second);
  g_assert_cmpint (json_node_get_int (second), >, json_node_get_int (first));

  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

/* The _local documents of a store that are checkpoints, id -> _rev. */
static GHashTable *
checkpoint_revs (MerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = mer_store_list_local (store, "_local/", &error);
  GHashTable *revs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);

      if (json_object_has_member (doc, "session_id"))
        g_hash_table_insert (revs, g_strdup (json_object_get_string_member (doc, "_id")),
                             g_strdup (json_object_get_string_member (doc, "_rev")));
    }
  return revs;
}

static void
assert_same_revs (GHashTable *before,
                  GHashTable *after)
{
  GHashTableIter iter;
  gpointer id, rev;

  g_assert_cmpuint (g_hash_table_size (before), ==, g_hash_table_size (after));
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &id, &rev))
    g_assert_cmpstr (g_hash_table_lookup (after, id), ==, rev);
}

/*
 * Batches large enough to go as several _bulk_get and _bulk_docs
 * requests at once, with their remote checkpoints written aside: every
 * document arrives, both sides record where the sync ended, and a sync
 * that finds nothing to do then writes nothing on either side, not even
 * a checkpoint.
 */
static void
test_parallel_batches (void)
{
  TestPeer *source = test_peer_new (NULL, NULL);
  TestPeer *target = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GHashTable) local_before = NULL;
  g_autoptr(GHashTable) remote_before = NULL;
  g_autoptr(GHashTable) local_after = NULL;
  g_autoptr(GHashTable) remote_after = NULL;
  g_autoptr(JsonNode) seq = NULL;
  gint64 local_seq, remote_seq;
  TestSyncResult res;

  fill (source->store, 0, 1234);
  res = test_sync (local, source->url, MER_REPLICATOR_PULL, 500);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 1234);
  test_assert_same_replica (local, source->store);
  /* The remote checkpoint, written aside, reached the end too. */
  seq = checkpoint_seq (source->store);
  g_assert_nonnull (seq);
  g_assert_cmpint (json_node_get_int (seq), ==, mer_store_get_update_seq (source->store));
  g_clear_pointer (&seq, json_node_unref);

  res = test_sync (local, target->url, MER_REPLICATOR_PUSH, 500);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 1234);
  test_assert_same_replica (local, target->store);
  seq = checkpoint_seq (target->store);
  g_assert_nonnull (seq);
  g_assert_cmpint (json_node_get_int (seq), ==, mer_store_get_update_seq (local));
  g_assert_cmpuint (mer_replicator_count_pending (local, target->url), ==, 0);

  /* Nothing to do, both ways: nothing written anywhere. */
  res = test_sync (local, source->url, MER_REPLICATOR_BOTH, 500);
  g_assert_no_error (res.error);
  local_before = checkpoint_revs (local);
  remote_before = checkpoint_revs (source->store);
  local_seq = mer_store_get_update_seq (local);
  remote_seq = mer_store_get_update_seq (source->store);
  res = test_sync (local, source->url, MER_REPLICATOR_BOTH, 500);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 0);
  g_assert_cmpuint (res.changes, ==, 0);
  local_after = checkpoint_revs (local);
  remote_after = checkpoint_revs (source->store);
  assert_same_revs (local_before, local_after);
  assert_same_revs (remote_before, remote_after);
  g_assert_cmpint (mer_store_get_update_seq (local), ==, local_seq);
  g_assert_cmpint (mer_store_get_update_seq (source->store), ==, remote_seq);

  g_assert_true (mer_store_check_integrity (local, NULL));
  test_peer_free (source);
  test_peer_free (target);
  mer_test_rm_rf (dir);
}

static void
test_conflicts (void)
{
  TestPeer *a = test_peer_new (NULL, NULL);
  TestPeer *b = test_peer_new (NULL, NULL);
  TestSyncResult res;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) person = mer_test_object ("{\"_id\":\"person:ana\",\"type\":\"person\","
                                                  "\"name\":\"Ana\",\"tz\":\"Europe/Lisbon\"}");
  g_autoptr(JsonObject) win_a = NULL;
  g_autoptr(JsonObject) win_b = NULL;
  g_autoptr(JsonObject) pa = NULL;
  g_autoptr(JsonObject) pb = NULL;
  g_auto(GStrv) conflicts_a = NULL;
  g_auto(GStrv) conflicts_b = NULL;
  g_autofree char *rev = NULL;

  put_page (a->store, "page:clean", "one\ntwo\nthree\nfour\nfive\n");
  put_page (a->store, "page:clash", "one\ntwo\nthree\n");
  rev = mer_store_put_doc (a->store, person, &error);
  g_assert_no_error (error);
  res = test_sync (b->store, a->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);

  /* Both sides edit between syncs. */
  edit_page (a->store, "page:clean", "ONE\ntwo\nthree\nfour\nfive\n", "2026-11-21T08:00:00Z");
  edit_page (b->store, "page:clean", "one\ntwo\nthree\nfour\nFIVE\n", "2026-11-21T09:00:00Z");
  edit_page (a->store, "page:clash", "one\nTWO from a\nthree\n", "2026-11-21T08:00:00Z");
  edit_page (b->store, "page:clash", "one\nTWO from b\nthree\n", "2026-11-21T09:00:00Z");
  pa = mer_store_get_doc (a->store, "person:ana", NULL, MER_GET_DEFAULT, &error);
  pb = mer_store_get_doc (b->store, "person:ana", NULL, MER_GET_DEFAULT, &error);
  json_object_set_string_member (pa, "tz", "Asia/Tokyo");
  json_object_set_string_member (pb, "tz", "America/Lima");
  g_free (mer_store_put_doc (a->store, pa, &error));
  g_free (mer_store_put_doc (b->store, pb, &error));
  g_assert_no_error (error);

  res = test_sync (b->store, a->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.merged, ==, 1);
  /* A second round carries the merge revision across. */
  res = test_sync (a->store, b->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  test_assert_same_replica (a->store, b->store);

  win_a = mer_store_get_doc (a->store, "page:clean", NULL, MER_GET_CONFLICTS, &error);
  win_b = mer_store_get_doc (b->store, "page:clean", NULL, MER_GET_CONFLICTS, &error);
  g_assert_cmpstr (mer_json_get_string (win_a, "body"), ==, "ONE\ntwo\nthree\nfour\nFIVE\n");
  g_assert_cmpstr (mer_json_get_string (win_a, "_rev"), ==, mer_json_get_string (win_b, "_rev"));
  g_assert_false (json_object_has_member (win_a, "_conflicts"));

  /* The overlapping page and the person stay conflicts, the same on both. */
  conflicts_a = mer_store_list_conflicted (a->store, &error);
  conflicts_b = mer_store_list_conflicted (b->store, &error);
  g_assert_cmpuint (g_strv_length (conflicts_a), ==, 2);
  g_assert_cmpuint (g_strv_length (conflicts_b), ==, 2);

  test_peer_free (a);
  test_peer_free (b);
}

static void
notify_state_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *changes = user_data;

  (*changes)++;
}

static gboolean
wait_for_doc (MerStore   *store,
              const char *id)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);

      if (doc != NULL)
        return TRUE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return FALSE;
}

static void
test_continuous (void)
{
  TestPeer *remote = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(MerReplicator) replicator = mer_replicator_new (local, remote->url, &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TestSyncResult res = { 0 };
  guint state_changes = 0;

  g_assert_no_error (error);
  mer_replicator_set_continuous (replicator, TRUE);
  g_signal_connect (replicator, "notify::state", G_CALLBACK (notify_state_cb), &state_changes);
  mer_replicator_run_async (replicator, cancellable, test_sync_done_cb, &res);

  put_page (remote->store, "page:from-remote", "hello\n");
  g_assert_true (wait_for_doc (local, "page:from-remote"));
  put_page (local, "page:from-local", "hi\n");
  g_assert_true (wait_for_doc (remote->store, "page:from-local"));
  g_assert_false (res.done);

  g_cancellable_cancel (cancellable);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&res.error);
  g_assert_cmpint (mer_replicator_get_state (replicator), ==, MER_REPLICATOR_STATE_IDLE);
  g_assert_cmpuint (state_changes, >, 0);

  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

static void
test_errors (void)
{
  TestPeer *remote = test_peer_new ("peer", "right");
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(MerReplicator) bad_url = NULL;
  g_autoptr(MerReplicator) offline = NULL;
  g_autofree char *wrong = g_strdup_printf ("http://peer:wrong@127.0.0.1:%u/handbook",
                                            mer_server_get_port (remote->server));
  g_autofree char *missing = g_strdup_printf ("http://peer:right@127.0.0.1:%u/nothing",
                                              mer_server_get_port (remote->server));
  TestSyncResult res = { 0 };
  GSocket *socket;
  guint16 port;

  bad_url = mer_replicator_new (local, "ftp://example.org/db", &error);
  g_assert_null (bad_url);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  res = test_sync (local, wrong, MER_REPLICATOR_BOTH, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED);
  g_clear_error (&res.error);

  res = test_sync (local, missing, MER_REPLICATOR_PULL, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NOT_FOUND);
  g_clear_error (&res.error);

  /* A port nobody listens on: grab one, then close it. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  {
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autofree char *url = NULL;

    g_assert_true (g_socket_bind (socket, any, TRUE, &error));
    bound = g_socket_get_local_address (socket, &error);
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_object_unref (socket);
    url = g_strdup_printf ("http://127.0.0.1:%u/handbook", port);
    offline = mer_replicator_new (local, url, &error);
    g_assert_no_error (error);
  }
  mer_replicator_set_max_retries (offline, 1);
  res.done = FALSE;
  mer_replicator_run_async (offline, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_UNREACHABLE);
  g_clear_error (&res.error);
  g_assert_cmpint (mer_replicator_get_state (offline), ==, MER_REPLICATOR_STATE_ERROR);
  g_assert_nonnull (mer_replicator_get_error_message (offline));

  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

static void
test_peers_file (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("peers");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(MerPeer) peer = NULL;
  g_autofree char *path = g_build_filename (dir, MER_PEERS_FILE_NAME, NULL);
  GStatBuf st;

  g_assert_true (mer_peers_add (dir, "https://ana:p%40ss@hub.example.org:5984/handbook/", NULL, NULL, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (mer_peers_add (dir, "http://10.0.0.2:5984/handbook", "bo", "pw", TRUE, &error));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  peers = mer_peers_list (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (peers->len, ==, 2);
  peer = mer_peers_lookup (dir, "https://hub.example.org:5984/handbook");
  g_assert_nonnull (peer);
  g_assert_cmpstr (peer->username, ==, "ana");
  g_assert_cmpstr (peer->password, ==, "p@ss");
  g_assert_cmpstr (peer->url, ==, "https://hub.example.org:5984/handbook");

  g_assert_true (mer_peers_remove (dir, "https://hub.example.org:5984/handbook", &error));
  g_assert_false (mer_peers_remove (dir, "https://hub.example.org:5984/handbook", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  mer_test_rm_rf (dir);
}

/* Credentials from the stored peer list; a read-only account may pull only. */
static void
test_credentials (void)
{
  TestPeer *remote = test_peer_new ("writer", "w-pass");
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *bare = g_strdup_printf ("http://127.0.0.1:%u/handbook", mer_server_get_port (remote->server));
  g_autofree char *reader = g_strdup_printf ("http://reader:r-pass@127.0.0.1:%u/handbook",
                                             mer_server_get_port (remote->server));
  TestSyncResult res;

  g_assert_true (mer_accounts_add (remote->accounts, "reader", "r-pass", MER_ROLE_RO, NULL, &error));
  g_assert_no_error (error);
  fill (remote->store, 0, 5);
  fill (local, 100, 3);

  /* No credentials anywhere: refused. */
  res = test_sync (local, bare, MER_REPLICATOR_PULL, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED);
  g_clear_error (&res.error);

  /* The same URL, with the account stored in the peer list. */
  g_assert_true (mer_peers_add (mer_store_get_data_dir (local), bare, "writer", "w-pass", TRUE, &error));
  g_assert_no_error (error);
  res = test_sync (local, bare, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 8);

  /* A read-only account pulls, but may not push. */
  fill (local, 200, 2);
  res = test_sync (local, reader, MER_REPLICATOR_PULL, 0);
  g_assert_no_error (res.error);
  res = test_sync (local, reader, MER_REPLICATOR_PUSH, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED);
  g_clear_error (&res.error);
  g_assert_null (mer_store_get_doc (remote->store, "page:p00200", NULL, MER_GET_DEFAULT, NULL));

  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

/*
 * The pull hands each batch's seq from the fetcher thread to the writer
 * while the fetcher keeps its own: the two must share no memory, since
 * json-glib's value and container reference counts are not atomic. A
 * change made in place to the original must not show in the copy.
 */
static void
test_seq_copy (void)
{
  const char *seqs[] = { "42", "\"17-g1AAAABXeJzLYWBgYMpgTmHgz8tPSTV0MDQy\"",
                         "[3, \"abc\"]", "{\"a\": [1, 2]}" };

  for (guint i = 0; i < G_N_ELEMENTS (seqs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) seq = mer_json_parse (seqs[i], -1, &error);
      g_autoptr(JsonNode) copy = NULL;
      g_autofree char *original = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;

      g_assert_no_error (error);
      copy = _mer_repl_seq_copy (seq);
      g_assert_nonnull (copy);
      original = mer_json_canonical (seq);
      before = mer_json_canonical (copy);
      g_assert_cmpstr (before, ==, original);

      switch (JSON_NODE_TYPE (seq))
        {
        case JSON_NODE_VALUE:
          if (json_node_get_value_type (seq) == G_TYPE_STRING)
            json_node_set_string (seq, "changed");
          else
            json_node_set_int (seq, 7);
          break;
        case JSON_NODE_ARRAY:
          json_node_set_int (json_array_get_element (json_node_get_array (seq), 0), 7);
          break;
        default:
          json_array_add_int_element (json_object_get_array_member (json_node_get_object (seq), "a"), 3);
          break;
        }
      after = mer_json_canonical (copy);
      g_assert_cmpstr (after, ==, before);
    }
}

/*
 * A peer that speaks the protocol until _bulk_get, and then answers with
 * a batch cut off in the middle of a document.
 */
static void
broken_peer_cb (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  const char *method = soup_server_message_get_method (msg);
  const char *body = NULL;
  guint status = 200;

  if (strcmp (path, "/") == 0)
    body = "{\"couchdb\":\"Welcome\",\"uuid\":\"0123456789abcdef0123456789abcdef\"}";
  else if (strcmp (path, "/broken") == 0)
    body = "{\"db_name\":\"broken\",\"update_seq\":\"2-x\"}";
  else if (g_str_has_prefix (path, "/broken/_local/"))
    {
      status = strcmp (method, "GET") == 0 ? 404 : 201;
      body = status == 404 ? "{\"error\":\"not_found\",\"reason\":\"missing\"}" : "{\"ok\":true}";
    }
  else if (strcmp (path, "/broken/_changes") == 0)
    body = "{\"results\":[{\"seq\":\"1-x\",\"id\":\"page:a\",\"changes\":[{\"rev\":\"1-aa\"}]},"
           "{\"seq\":\"2-x\",\"id\":\"page:b\",\"changes\":[{\"rev\":\"1-bb\"}]}],\"last_seq\":\"2-x\"}";
  else if (strcmp (path, "/broken/_bulk_get") == 0)
    body = "{\"results\":[{\"id\":\"page:a\",\"docs\":[{\"ok\":{\"_id\":\"page:a\",\"_rev\":\"1-aa\","
           "\"type\":\"page\",\"title\":\"A\"}}]},{\"id\":\"page:b\",\"docs\":[{\"ok\":{\"_id\":\"page:b\",\"bo";
  else
    {
      status = 404;
      body = "{\"error\":\"not_found\",\"reason\":\"missing\"}";
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
}

/* A _bulk_get answer cut short is an error, and nothing of it is kept. */
static void
test_broken_bulk_get (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autofree char *url = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonNode) seq = NULL;
  TestSyncResult res;

  soup_server_add_handler (server, NULL, broken_peer_cb, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d/broken", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  res = test_sync (local, url, MER_REPLICATOR_PULL, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (res.error->message, "not JSON"));
  g_clear_error (&res.error);
  doc = mer_store_get_doc (local, "page:a", NULL, MER_GET_DEFAULT, NULL);
  g_assert_null (doc);
  g_assert_cmpint (mer_store_get_update_seq (local), ==, 0);
  seq = checkpoint_seq (local);
  g_assert_null (seq);
  g_assert_true (mer_store_check_integrity (local, NULL));
  mer_test_rm_rf (dir);
}

/* A server that knows no one: every request is answered 401, and counted. */
static void
unauthorized_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  static const char body[] = "{\"error\":\"unauthorized\",\"reason\":\"Name or password is incorrect.\"}";
  guint *requests = user_data;

  g_atomic_int_inc (requests);
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
}

/*
 * A wrong password ends the sync at its first request, with words a person
 * understands; a continuous sync stops too, after one request per
 * direction, instead of asking again and again.
 */
static void
test_wrong_password (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autofree char *url = NULL;
  g_autofree char *bare = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autoptr(MerReplicator) continuous = NULL;
  TestSyncResult res;
  guint requests = 0;
  int port;

  soup_server_add_handler (server, NULL, unauthorized_cb, &requests, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  url = g_strdup_printf ("http://ana:wrong@127.0.0.1:%d/team", port);
  bare = g_strdup_printf ("http://127.0.0.1:%d/team", port);
  fill (local, 0, 3);

  for (guint direction = MER_REPLICATOR_PULL; direction <= MER_REPLICATOR_BOTH; direction++)
    {
      requests = 0;
      res = test_sync (local, url, direction, 0);
      g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED);
      g_assert_nonnull (strstr (res.error->message, "did not accept the name or password"));
      g_assert_nonnull (strstr (res.error->message, bare));
      g_assert_null (strstr (res.error->message, "wrong"));
      g_assert_cmpuint (g_atomic_int_get (&requests), ==, 1);
      g_clear_error (&res.error);
    }

  /* No name at all: said as such. */
  requests = 0;
  res = test_sync (local, bare, MER_REPLICATOR_PULL, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED);
  g_assert_nonnull (strstr (res.error->message, "needs a name and password"));
  g_assert_cmpuint (g_atomic_int_get (&requests), ==, 1);
  g_clear_error (&res.error);

  /* Continuous: both directions start at once, each stops at its first
   * answer, and the run ends in the error state. */
  requests = 0;
  continuous = mer_replicator_new (local, url, &error);
  g_assert_no_error (error);
  mer_replicator_set_continuous (continuous, TRUE);
  res.done = FALSE;
  mer_replicator_run_async (continuous, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED);
  g_assert_cmpint (mer_replicator_get_state (continuous), ==, MER_REPLICATOR_STATE_ERROR);
  g_assert_nonnull (strstr (mer_replicator_get_error_message (continuous), "did not accept the name or password"));
  g_clear_error (&res.error);
  /* Nothing more is asked once it has stopped. */
  for (guint i = 0; i < 20; i++)
    {
      g_usleep (10 * 1000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_assert_cmpuint (g_atomic_int_get (&requests), <=, 2);
  g_test_message ("continuous sync with a wrong password: %u requests", g_atomic_int_get (&requests));
  mer_test_rm_rf (dir);
}

/*
 * A CouchDB cluster whose node stopped in the middle of a _changes request
 * answers 412 nodedown until it reads another copy: asked again, it
 * answers. Any other 412 is not worth asking again.
 */
static void
nodedown_peer_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  guint *changes_asked = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *body = NULL;
  guint status = 200;

  if (strcmp (path, "/") == 0)
    body = "{\"couchdb\":\"Welcome\",\"uuid\":\"00112233445566778899aabbccddeeff\"}";
  else if (strcmp (path, "/down") == 0 || strcmp (path, "/other") == 0)
    body = "{\"db_name\":\"down\",\"update_seq\":\"1-x\"}";
  else if (g_str_has_prefix (path, "/down/_local/") || g_str_has_prefix (path, "/other/_local/"))
    {
      status = strcmp (method, "GET") == 0 ? 404 : 201;
      body = status == 404 ? "{\"error\":\"not_found\",\"reason\":\"missing\"}" : "{\"ok\":true}";
    }
  else if (strcmp (path, "/down/_changes") == 0 && (*changes_asked)++ < 2)
    {
      status = 412;
      body = "{\"error\":\"nodedown\",\"reason\":\"progress not possible\"}";
    }
  else if (strcmp (path, "/down/_changes") == 0)
    body = "{\"results\":[{\"seq\":\"1-x\",\"id\":\"page:a\",\"changes\":[{\"rev\":\"1-aa\"}]}],\"last_seq\":\"1-x\"}";
  else if (strcmp (path, "/other/_changes") == 0)
    {
      (*changes_asked)++;
      status = 412;
      body = "{\"error\":\"file_exists\",\"reason\":\"The database could not be created, the file already exists.\"}";
    }
  else if (strcmp (path, "/down/_bulk_get") == 0)
    body = "{\"results\":[{\"id\":\"page:a\",\"docs\":[{\"ok\":{\"_id\":\"page:a\",\"_rev\":\"1-aa\","
           "\"_revisions\":{\"start\":1,\"ids\":[\"aa\"]},"
           "\"type\":\"page\",\"title\":\"A\",\"path\":\"a\",\"body\":\"x\"}}]}]}";
  else
    {
      status = 404;
      body = "{\"error\":\"not_found\",\"reason\":\"missing\"}";
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
}

static void
test_cluster_nodedown (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autofree char *url = NULL;
  g_autofree char *other = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autoptr(JsonObject) doc = NULL;
  TestSyncResult res;
  guint changes_asked = 0;
  int port;

  soup_server_add_handler (server, NULL, nodedown_peer_cb, &changes_asked, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  url = g_strdup_printf ("http://127.0.0.1:%d/down", port);
  other = g_strdup_printf ("http://127.0.0.1:%d/other", port);

  res = test_sync (local, url, MER_REPLICATOR_PULL, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 1);
  g_assert_cmpuint (changes_asked, ==, 3);
  doc = mer_store_get_doc (local, "page:a", NULL, MER_GET_DEFAULT, NULL);
  g_assert_nonnull (doc);

  changes_asked = 0;
  res = test_sync (local, other, MER_REPLICATOR_PULL, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL);
  g_assert_cmpuint (changes_asked, ==, 1);
  g_clear_error (&res.error);
  mer_test_rm_rf (dir);
}

#define CUT_REV_A "1-0123456789abcdef0123456789abcdef"
#define CUT_REV_B "1-fedcba9876543210fedcba9876543210"

/* How a peer's changes feed answers: cut short this many more times. */
typedef struct
{
  guint cut_left;
  guint asked;
} CutPeer;

/*
 * A peer whose changes feed is cut short as CouchDB's longpoll feed is
 * when the server stops under it: a 200, the head of the answer, and
 * nothing more. Everything else it answers in full.
 */
static void
cut_peer_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  CutPeer *peer = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *body = NULL;
  guint status = 200;

  if (strcmp (path, "/") == 0)
    body = "{\"couchdb\":\"Welcome\",\"uuid\":\"0123456789abcdef0123456789abcdef\"}";
  else if (strcmp (path, "/cut") == 0)
    body = "{\"db_name\":\"cut\",\"update_seq\":\"2-x\"}";
  else if (g_str_has_prefix (path, "/cut/_local/"))
    {
      status = strcmp (method, "GET") == 0 ? 404 : 201;
      body = status == 404 ? "{\"error\":\"not_found\",\"reason\":\"missing\"}" : "{\"ok\":true}";
    }
  else if (strcmp (path, "/cut/_changes") == 0)
    {
      peer->asked++;
      if (peer->cut_left > 0)
        {
          peer->cut_left--;
          body = "{\"results\":[\n\n";
        }
      else
        body = "{\"results\":[{\"seq\":\"1-x\",\"id\":\"page:a\",\"changes\":[{\"rev\":\"" CUT_REV_A "\"}]},"
               "{\"seq\":\"2-x\",\"id\":\"page:b\",\"changes\":[{\"rev\":\"" CUT_REV_B "\"}]}],"
               "\"last_seq\":\"2-x\"}";
    }
  else if (strcmp (path, "/cut/_bulk_get") == 0)
    body = "{\"results\":[{\"id\":\"page:a\",\"docs\":[{\"ok\":{\"_id\":\"page:a\",\"_rev\":\"" CUT_REV_A "\","
           "\"type\":\"page\",\"title\":\"A\",\"path\":\"a\",\"body\":\"a\"}}]},"
           "{\"id\":\"page:b\",\"docs\":[{\"ok\":{\"_id\":\"page:b\",\"_rev\":\"" CUT_REV_B "\","
           "\"type\":\"page\",\"title\":\"B\",\"path\":\"b\",\"body\":\"b\"}}]}]}";
  else
    {
      status = 404;
      body = "{\"error\":\"not_found\",\"reason\":\"missing\"}";
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
}

/*
 * An answer cut short is retried like a network error; one that stays
 * cut short fails a one-shot sync, saying so, with nothing kept.
 */
static void
test_cut_short (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *dir2 = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(MerStore) other = mer_test_open_store (&dir2);
  g_autoptr(MerReplicator) replicator = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GSList) uris = NULL;
  CutPeer peer = { 1, 0 };
  TestSyncResult res;

  soup_server_add_handler (server, NULL, cut_peer_cb, &peer, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d/cut", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  res = test_sync (local, url, MER_REPLICATOR_PULL, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (peer.asked, ==, 2);
  g_assert_cmpuint (res.written, ==, 2);
  doc = mer_store_get_doc (local, "page:b", NULL, MER_GET_DEFAULT, NULL);
  g_assert_nonnull (doc);

  /* A peer that never answers in full. */
  peer.cut_left = G_MAXUINT;
  peer.asked = 0;
  memset (&res, 0, sizeof res);
  replicator = mer_replicator_new (other, url, &error);
  g_assert_no_error (error);
  mer_replicator_set_direction (replicator, MER_REPLICATOR_PULL);
  mer_replicator_set_max_retries (replicator, 1);
  mer_replicator_run_async (replicator, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (res.error->message, "cut short"));
  g_clear_error (&res.error);
  g_assert_cmpuint (peer.asked, ==, 2);
  g_assert_cmpint (mer_store_get_update_seq (other), ==, 0);
  mer_test_rm_rf (dir);
  mer_test_rm_rf (dir2);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/replicator/peers-file", test_peers_file);
  g_test_add_func ("/replicator/pull-push", test_pull_push);
  g_test_add_func ("/replicator/resume", test_resume);
  g_test_add_func ("/replicator/parallel-batches", test_parallel_batches);
  g_test_add_func ("/replicator/conflicts", test_conflicts);
  g_test_add_func ("/replicator/continuous", test_continuous);
  g_test_add_func ("/replicator/errors", test_errors);
  g_test_add_func ("/replicator/credentials", test_credentials);
  g_test_add_func ("/replicator/seq-copy", test_seq_copy);
  g_test_add_func ("/replicator/broken-bulk-get", test_broken_bulk_get);
  g_test_add_func ("/replicator/wrong-password", test_wrong_password);
  g_test_add_func ("/replicator/cluster-nodedown", test_cluster_nodedown);
  g_test_add_func ("/replicator/cut-short", test_cut_short);

  return g_test_run ();
}
