/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A full disk, simulated with SQLite's max_page_count: the store says
 * MER_STORE_ERROR_NO_SPACE and undoes the write whole, `serve` answers
 * 507 insufficient_storage with a reason that says so and goes on
 * serving, `meridian sync` stops and tells the person that the peer is
 * out of disk space, and nothing written before the disk filled is lost.
 */
#include "config.h"

#include "mer-core.h"
#include "mer-store-private.h"
#include "mer-test-peer.h"

#include <libsoup/soup.h>
#include <string.h>

#define MAX_TRIES 2000

/*
 * Lets the store's connection grow its database by @extra_pages at most,
 * as a disk with that much room left would; G_MAXINT lifts the limit.
 */
static void
limit_growth (MerStore *store,
              int       extra_pages)
{
  sqlite3 *db = mer_db_get_handle (_mer_store_get_db (store));
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = NULL;
  gint64 pages;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA page_count", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  pages = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sql = g_strdup_printf ("PRAGMA max_page_count=%" G_GINT64_FORMAT,
                         extra_pages == G_MAXINT ? G_GINT64_CONSTANT (1073741823) : pages + extra_pages);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

static JsonObject *
make_page (const char *id,
           gsize       body_bytes)
{
  JsonObject *doc = json_object_new ();
  g_autofree char *body = g_strnfill (body_bytes, 'x');

  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", id + 5);
  json_object_set_string_member (doc, "path", id + 5);
  /* Text that does not compress into a few pages of the search index. */
  for (gsize i = 0; i < body_bytes; i++)
    body[i] = "abcdefghij klmnopqrstuvwxyz\n"[(i * 7 + body_bytes + strlen (id) * 13 + (i / 5) * 3) % 28];
  json_object_set_string_member (doc, "body", body);
  json_object_set_string_member (doc, "updated_at", "2026-12-01T10:00:00Z");
  return doc;
}

/* Writes pages p00000.. of @body_bytes each; returns their revisions. */
static GPtrArray *
fill (MerStore *store,
      guint     count,
      gsize     body_bytes)
{
  GPtrArray *revs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:p%05u", i);
      g_autoptr(JsonObject) doc = make_page (id, body_bytes);
      char *rev = mer_store_put_doc (store, doc, &error);

      g_assert_no_error (error);
      g_ptr_array_add (revs, rev);
    }
  return revs;
}

/* The pages fill() wrote are there, each at the revision it was given. */
static void
assert_intact (MerStore  *store,
               GPtrArray *revs,
               gsize      body_bytes)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < revs->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:p%05u", i);
      g_autoptr(JsonObject) expected = make_page (id, body_bytes);
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, g_ptr_array_index (revs, i));
      g_assert_cmpstr (mer_json_get_string (doc, "body"), ==, mer_json_get_string (expected, "body"));
    }
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

/*
 * The store: a write that finds the disk full fails with NO_SPACE and
 * leaves nothing half-written; a _bulk_docs batch is undone whole; what
 * was committed before is intact; with room again, writes go on.
 */
static void
test_store (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GPtrArray) revs = fill (store, 40, 2000);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) batch = json_array_new ();
  gint64 before;
  guint written = 0;

  limit_growth (store, 0);
  for (guint i = 0; i < MAX_TRIES && error == NULL; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:more%05u", i);
      g_autoptr(JsonObject) doc = make_page (id, 3000);
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      if (rev != NULL)
        written++;
    }
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "disk holding the workspace is full"));
  g_clear_error (&error);
  before = mer_store_get_doc_count (store, FALSE);
  g_assert_cmpint (before, ==, 40 + written);

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:batch%05u", i);

      json_array_add_object_element (batch, make_page (id, 3000));
    }
  g_assert_null (mer_store_bulk_docs (store, batch, TRUE, NULL, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NO_SPACE);
  g_clear_error (&error);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, before);
  g_assert_null (mer_store_get_doc (store, "page:batch00000", NULL, MER_GET_DEFAULT, NULL));
  assert_intact (store, revs, 2000);

  limit_growth (store, G_MAXINT);
  g_assert_nonnull (mer_store_bulk_docs (store, batch, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, before + 30);
  mer_test_rm_rf (dir);
}

typedef struct
{
  GBytes   *bytes;
  GError   *error;
  gboolean  done;
} HttpWait;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HttpWait *pending = user_data;

  pending->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

/* One request to the in-process peer, served while this waits. */
static guint
http (TestPeer    *peer,
      const char  *method,
      const char  *path,
      const char  *body,
      JsonObject **out_object)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (peer->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(JsonNode) node = NULL;
  HttpWait pending = { 0 };
  gsize size;
  const char *data;

  if (body != NULL)
    {
      g_autoptr(GBytes) payload = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", payload);
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &pending);
  while (!pending.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending.error);
  data = g_bytes_get_data (pending.bytes, &size);
  node = mer_json_parse (data, (gssize) size, NULL);
  if (out_object != NULL)
    *out_object = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
                  ? json_object_ref (json_node_get_object (node)) : NULL;
  g_bytes_unref (pending.bytes);
  return soup_message_get_status (msg);
}

static char *
page_json (const char *id,
           gsize       body_bytes)
{
  g_autoptr(JsonObject) doc = make_page (id, body_bytes);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), doc);

  return mer_json_to_string (node, FALSE);
}

static void
assert_no_space_answer (guint       status,
                        JsonObject *answer)
{
  g_assert_cmpuint (status, ==, 507);
  g_assert_nonnull (answer);
  g_assert_cmpstr (mer_json_get_string (answer, "error"), ==, "insufficient_storage");
  g_assert_nonnull (strstr (mer_json_get_string (answer, "reason"), "disk holding this replica is full"));
  g_assert_nonnull (strstr (mer_json_get_string (answer, "reason"), "nothing of this request was stored"));
}

/*
 * serve: a PUT and a _bulk_docs batch that find the disk full answer 507
 * insufficient_storage, not 500; reads go on, the pages acknowledged
 * before are intact, and with room again the same PUT is stored.
 */
static void
test_server (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);
  g_autoptr(GPtrArray) revs = fill (peer->store, 40, 2000);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GString) batch = g_string_new ("{\"docs\":[");
  g_autofree char *big = NULL;
  guint status = 0;
  guint stored = 0;

  limit_growth (peer->store, 0);
  for (guint i = 0; i < MAX_TRIES; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:put%05u", i);
      g_autofree char *path = g_strdup_printf ("/%s", id);
      g_autofree char *json = page_json (id, 3000);

      g_clear_pointer (&answer, json_object_unref);
      status = http (peer, "PUT", path, json, &answer);
      if (status != 201)
        break;
      stored++;
    }
  assert_no_space_answer (status, answer);

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:batch%05u", i);
      g_autofree char *json = page_json (id, 3000);

      g_string_append_printf (batch, "%s%s", i > 0 ? "," : "", json);
    }
  g_string_append (batch, "]}");
  g_clear_pointer (&answer, json_object_unref);
  status = http (peer, "POST", "/_bulk_docs", batch->str, &answer);
  assert_no_space_answer (status, answer);

  /* The server still serves, and lost nothing it had acknowledged. */
  g_clear_pointer (&answer, json_object_unref);
  g_assert_cmpuint (http (peer, "GET", "", NULL, &answer), ==, 200);
  g_assert_cmpint (json_object_get_int_member (answer, "doc_count"), ==, 40 + stored);
  g_clear_pointer (&answer, json_object_unref);
  g_assert_cmpuint (http (peer, "GET", "/page:batch00000", NULL, &answer), ==, 404);
  assert_intact (peer->store, revs, 2000);

  limit_growth (peer->store, G_MAXINT);
  big = page_json ("page:after", 3000);
  g_assert_cmpuint (http (peer, "PUT", "/page:after", big, NULL), ==, 201);
  g_assert_cmpuint (http (peer, "POST", "/_bulk_docs", batch->str, NULL), ==, 201);
  test_peer_free (peer);
}

typedef struct
{
  char     *out;
  char     *err;
  GError   *error;
  gboolean  done;
} Run;

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err, &run->error);
  run->done = TRUE;
}

/* `meridian --data DIR sync URL --push`, while this process serves URL. */
static int
sync_push (const char  *dir,
           const char  *url,
           char       **err)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  Run run = { 0 };

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                            mer_test_meridian_bin (), "--data", dir, "sync", url, "--push", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (child, NULL, NULL, communicated_cb, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (run.error);
  g_test_message ("stdout: %s\nstderr: %s", run.out, run.err);
  g_free (run.out);
  *err = run.err;
  return g_subprocess_get_if_exited (child) ? g_subprocess_get_exit_status (child) : -1;
}

/*
 * meridian sync: a push into a peer whose disk is full stops at the first
 * 507 (no retries) and tells the person the peer is out of disk space and
 * what to do; the peer keeps what the earlier sync gave it; once the peer
 * has room, the same sync completes.
 */
static void
test_sync_cli (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) revs = NULL;
  gint64 on_peer;

  {
    g_autoptr(MerStore) local = mer_test_open_store (&dir);

    revs = fill (local, 30, 2000);
  }
  g_assert_cmpint (sync_push (dir, peer->url, &err), ==, 0);
  g_clear_pointer (&err, g_free);
  assert_intact (peer->store, revs, 2000);

  {
    g_autoptr(MerStore) local = mer_core_open_store (dir, NULL);
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < 300; i++)
      {
        g_autofree char *id = g_strdup_printf ("page:late%05u", i);
        g_autoptr(JsonObject) doc = make_page (id, 3000);
        g_autofree char *rev = mer_store_put_doc (local, doc, &error);

        g_assert_no_error (error);
      }
  }
  limit_growth (peer->store, 2);
  on_peer = mer_store_get_doc_count (peer->store, FALSE);
  g_assert_cmpint (sync_push (dir, peer->url, &err), ==, 1);
  g_assert_nonnull (strstr (err, "is out of disk space"));
  g_assert_nonnull (strstr (err, "507"));
  g_assert_nonnull (strstr (err, "Free some space on the peer, then sync again"));
  g_assert_null (strstr (err, "Could not reach"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (mer_store_get_doc_count (peer->store, FALSE), ==, on_peer);
  assert_intact (peer->store, revs, 2000);

  limit_growth (peer->store, G_MAXINT);
  g_assert_cmpint (sync_push (dir, peer->url, &err), ==, 0);
  g_assert_cmpint (mer_store_get_doc_count (peer->store, FALSE), ==, 330);
  mer_test_rm_rf (dir);
  test_peer_free (peer);
}

/* The replicator in-process: the same 507 is MER_REPLICATOR_ERROR_NO_SPACE. */
static void
test_replicator (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GPtrArray) revs = fill (local, 200, 3000);
  TestSyncResult res;

  limit_growth (peer->store, 2);
  res = test_sync (local, peer->url, MER_REPLICATOR_PUSH, 0);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (res.error->message, "out of disk space"));
  g_clear_error (&res.error);
  mer_test_rm_rf (dir);
  test_peer_free (peer);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/full-disk/store", test_store);
  g_test_add_func ("/full-disk/server", test_server);
  g_test_add_func ("/full-disk/sync-cli", test_sync_cli);
  g_test_add_func ("/full-disk/replicator", test_replicator);
  return g_test_run ();
}
