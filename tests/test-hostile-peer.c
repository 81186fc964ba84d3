/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A peer that speaks the replication protocol correctly and lies about
 * content: a forged child revision of a real decision, a forged
 * "superseded_by", documents of an invalid shape, mixed in one batch with
 * innocent pages. Whatever enters the replica, by a pull or through
 * `serve`, is validated the same way: the lies are refused, recorded and
 * reported once, and everything else arrives.
 */

#include "config.h"

#include "mer-test-peer.h"
#include "mer-decision.h"

#include <libsoup/soup.h>

/* ------------------------------------------------------------------ */
/* The lying peer */

typedef struct
{
  char   *id;
  char   *rev;    /* the leaf the feed lists */
  gint64  seq;
} FakeRow;

typedef struct
{
  SoupServer *server;
  char       *url;
  GPtrArray  *rows;       /* FakeRow, one per document */
  GHashTable *revisions;  /* "id rev" -> the document's JSON text */
  GHashTable *fetched;    /* "id rev" -> times _bulk_get sent it */
  GHashTable *local;      /* "_local/..." path -> JSON text */
  gint64      seq;
  guint       checkpoints_written;
} FakePeer;

static void
fake_row_free (FakeRow *row)
{
  g_free (row->id);
  g_free (row->rev);
  g_free (row);
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static JsonNode *
request_json (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return mer_json_parse (data, (gssize) size, NULL);
}

static void
answer_changes (FakePeer          *peer,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  const char *since_text = query != NULL ? g_hash_table_lookup (query, "since") : NULL;
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  gint64 since = since_text != NULL ? g_ascii_strtoll (since_text, NULL, 10) : 0;
  guint limit = limit_text != NULL ? (guint) g_ascii_strtoull (limit_text, NULL, 10) : G_MAXUINT;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  GString *out = g_string_new ("{\"results\":[");
  gint64 last = since;
  guint n = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < peer->rows->len; i++)
    {
      FakeRow *row = g_ptr_array_index (peer->rows, i);

      if (row->seq > since)
        g_ptr_array_add (sorted, row);
    }
  for (guint i = 0; i < sorted->len; i++)
    for (guint j = i + 1; j < sorted->len; j++)
      if (((FakeRow *) sorted->pdata[j])->seq < ((FakeRow *) sorted->pdata[i])->seq)
        {
          gpointer swap = sorted->pdata[i];

          sorted->pdata[i] = sorted->pdata[j];
          sorted->pdata[j] = swap;
        }
  for (guint i = 0; i < sorted->len && n < limit; i++, n++)
    {
      FakeRow *row = sorted->pdata[i];

      g_string_append_printf (out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"id\":\"%s\",\"changes\":[{\"rev\":\"%s\"}]}",
                              n > 0 ? "," : "", row->seq, row->id, row->rev);
      last = row->seq;
    }
  g_string_append_printf (out, "],\"last_seq\":%" G_GINT64_FORMAT "}", last);
  text = g_string_free (out, FALSE);
  respond (msg, 200, text);
}

static void
answer_bulk_get (FakePeer          *peer,
                 SoupServerMessage *msg)
{
  g_autoptr(JsonNode) request = request_json (msg);
  JsonArray *wanted = json_object_get_array_member (json_node_get_object (request), "docs");
  GString *out = g_string_new ("{\"results\":[");
  g_autofree char *text = NULL;

  for (guint i = 0; i < json_array_get_length (wanted); i++)
    {
      JsonObject *entry = json_array_get_object_element (wanted, i);
      const char *id = mer_json_get_string (entry, "id");
      const char *rev = mer_json_get_string (entry, "rev");
      g_autofree char *key = g_strdup_printf ("%s %s", id, rev);
      const char *doc = g_hash_table_lookup (peer->revisions, key);

      g_string_append_printf (out, "%s{\"id\":\"%s\",\"docs\":[", i > 0 ? "," : "", id);
      if (doc != NULL)
        {
          g_string_append_printf (out, "{\"ok\":%s}", doc);
          g_hash_table_insert (peer->fetched, g_strdup (key),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (peer->fetched, key)) + 1));
        }
      else
        g_string_append_printf (out, "{\"error\":{\"id\":\"%s\",\"rev\":\"%s\",\"error\":\"not_found\","
                                "\"reason\":\"missing\"}}", id, rev);
      g_string_append (out, "]}");
    }
  g_string_append (out, "]}");
  text = g_string_free (out, FALSE);
  respond (msg, 200, text);
}

/* Nothing is ever pushed here: every revision offered is missing. */
static void
answer_revs_diff (SoupServerMessage *msg)
{
  g_autoptr(JsonNode) request = request_json (msg);
  g_autoptr(JsonObject) answer = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObjectIter iter;
  const char *id;
  JsonNode *revs;

  json_object_iter_init (&iter, json_node_get_object (request));
  while (json_object_iter_next (&iter, &id, &revs))
    {
      JsonObject *entry = json_object_new ();

      json_object_set_member (entry, "missing", json_node_copy (revs));
      json_object_set_object_member (answer, id, entry);
    }
  node = json_node_init_object (json_node_alloc (), answer);
  text = mer_json_to_string (node, FALSE);
  respond (msg, 200, text);
}

static void
fake_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  FakePeer *peer = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/") == 0)
    respond (msg, 200, "{\"couchdb\":\"Welcome\",\"uuid\":\"0123456789abcdef0123456789abcdef\",\"version\":\"3.3.3\"}");
  else if (strcmp (path, "/handbook") == 0)
    {
      g_autofree char *text = g_strdup_printf ("{\"db_name\":\"handbook\",\"update_seq\":%" G_GINT64_FORMAT
                                               ",\"instance_start_time\":\"0\"}", peer->seq);

      respond (msg, 200, text);
    }
  else if (strcmp (path, "/handbook/_changes") == 0)
    answer_changes (peer, msg, query);
  else if (strcmp (path, "/handbook/_bulk_get") == 0)
    answer_bulk_get (peer, msg);
  else if (strcmp (path, "/handbook/_revs_diff") == 0)
    answer_revs_diff (msg);
  else if (g_str_has_prefix (path, "/handbook/_local/"))
    {
      const char *stored = g_hash_table_lookup (peer->local, path);

      if (strcmp (method, "PUT") == 0)
        {
          g_autoptr(JsonNode) doc = request_json (msg);

          g_hash_table_insert (peer->local, g_strdup (path), mer_json_to_string (doc, FALSE));
          peer->checkpoints_written++;
          respond (msg, 201, "{\"ok\":true,\"id\":\"_local/x\",\"rev\":\"0-1\"}");
        }
      else if (stored != NULL)
        respond (msg, 200, stored);
      else
        respond (msg, 404, "{\"error\":\"not_found\",\"reason\":\"missing\"}");
    }
  else
    respond (msg, 404, "{\"error\":\"not_found\",\"reason\":\"no such thing here\"}");
}

static FakePeer *
fake_peer_new (void)
{
  FakePeer *peer = g_new0 (FakePeer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  peer->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_row_free);
  peer->revisions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  peer->fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  peer->local = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  peer->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (peer->server, NULL, fake_handler, peer, NULL);
  g_assert_true (soup_server_listen_local (peer->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (peer->server);
  peer->url = g_strdup_printf ("http://127.0.0.1:%d/handbook", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return peer;
}

static void
fake_peer_free (FakePeer *peer)
{
  soup_server_disconnect (peer->server);
  g_object_unref (peer->server);
  g_ptr_array_unref (peer->rows);
  g_hash_table_unref (peer->revisions);
  g_hash_table_unref (peer->fetched);
  g_hash_table_unref (peer->local);
  g_free (peer->url);
  g_free (peer);
}

/* Offers @doc (with _id, _rev and _revisions) as its document's leaf, at
 * the next seq of the feed. */
static void
fake_peer_offer (FakePeer   *peer,
                 JsonObject *doc)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), doc);
  const char *id = mer_json_get_string (doc, "_id");
  const char *rev = mer_json_get_string (doc, "_rev");
  FakeRow *row = NULL;

  for (guint i = 0; i < peer->rows->len && row == NULL; i++)
    if (strcmp (((FakeRow *) peer->rows->pdata[i])->id, id) == 0)
      row = peer->rows->pdata[i];
  if (row == NULL)
    {
      row = g_new0 (FakeRow, 1);
      row->id = g_strdup (id);
      g_ptr_array_add (peer->rows, row);
    }
  g_free (row->rev);
  row->rev = g_strdup (rev);
  row->seq = ++peer->seq;
  g_hash_table_insert (peer->revisions, g_strdup_printf ("%s %s", id, rev), mer_json_to_string (node, FALSE));
}

/* Lists a document again at the next seq, unchanged. */
static void
fake_peer_touch (FakePeer   *peer,
                 const char *id)
{
  for (guint i = 0; i < peer->rows->len; i++)
    if (strcmp (((FakeRow *) peer->rows->pdata[i])->id, id) == 0)
      ((FakeRow *) peer->rows->pdata[i])->seq = ++peer->seq;
}

static guint
fake_peer_fetched (FakePeer   *peer,
                   const char *id,
                   const char *rev)
{
  g_autofree char *key = g_strdup_printf ("%s %s", id, rev);

  return GPOINTER_TO_UINT (g_hash_table_lookup (peer->fetched, key));
}

/* ------------------------------------------------------------------ */
/* Documents */

#define FORGED_HASH  "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define FORGED2_HASH "ffffffffffffffffffffffffffffffff"

static JsonObject *
page (const char *id,
      const char *rev_hash)
{
  g_autofree char *json = g_strdup_printf ("{\"_id\":\"%s\",\"_rev\":\"1-%s\",\"_revisions\":{\"start\":1,\"ids\":[\"%s\"]},"
                                           "\"type\":\"page\",\"title\":\"%s\",\"path\":\"%s\",\"body\":\"Innocent text.\"}",
                                           id, rev_hash, rev_hash, id + 5, id + 5);

  return mer_test_object (json);
}

static char *
log_decision (MerStore   *store,
              const char *title)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 5, 1, 9, 0, 0);
  g_autofree char *json = g_strdup_printf ("{\"title\":\"%s\",\"decision\":\"We do %s.\",\"owner\":\"person:sam\"}",
                                           title, title);
  g_autoptr(JsonObject) fields = mer_test_object (json);
  char *id = mer_decision_log (store, fields, now, &error);

  g_assert_no_error (error);
  return id;
}

/* A child revision of the decision @id as @store holds it, with @edit
 * applied: what a lying peer offers. */
static JsonObject *
forge_child (MerStore   *store,
             const char *id,
             const char *hash,
             const char *member,
             const char *value)
{
  g_autoptr(GError) error = NULL;
  JsonObject *doc = mer_store_get_doc (store, id, NULL, MER_GET_REVS, &error);
  JsonObject *revisions;
  JsonArray *ids;

  g_assert_no_error (error);
  json_object_set_string_member (doc, member, value);
  {
    g_autofree char *rev = g_strdup_printf ("2-%s", hash);

    json_object_set_string_member (doc, "_rev", rev);
  }
  revisions = json_object_get_object_member (doc, "_revisions");
  json_object_set_int_member (revisions, "start", 2);
  ids = json_object_get_array_member (revisions, "ids");
  {
    g_autoptr(JsonArray) longer = json_array_new ();

    json_array_add_string_element (longer, hash);
    for (guint i = 0; i < json_array_get_length (ids); i++)
      json_array_add_string_element (longer, json_array_get_string_element (ids, i));
    json_object_set_array_member (revisions, "ids", json_array_ref (longer));
  }
  return doc;
}

/* The row of the refused table for @id, or NULL. */
static JsonObject *
find_refused (MerStore   *store,
              const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = mer_store_list_refused (store, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (g_strcmp0 (mer_json_get_string (json_array_get_object_element (rows, i), "id"), id) == 0)
      return json_object_ref (json_array_get_object_element (rows, i));
  return NULL;
}

static guint
count_refused (MerStore *store)
{
  g_autoptr(JsonArray) rows = mer_store_list_refused (store, NULL);

  return json_array_get_length (rows);
}

/* One run; @refused gets the replicator's refusals. */
static TestSyncResult
sync_reporting (MerStore               *store,
                const char             *url,
                MerReplicatorDirection  direction,
                JsonArray             **refused)
{
  TestSyncResult res = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MerReplicator) replicator = mer_replicator_new (store, url, &error);

  g_assert_no_error (error);
  mer_replicator_set_direction (replicator, direction);
  mer_replicator_set_max_retries (replicator, 0);
  mer_replicator_run_async (replicator, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  res.read = mer_replicator_get_docs_read (replicator);
  res.written = mer_replicator_get_docs_written (replicator);
  res.changes = mer_replicator_get_changes_fetched (replicator);
  *refused = json_array_ref (mer_replicator_get_refused (replicator));
  return res;
}

static const char *
refused_reason (JsonArray  *rows,
                const char *id)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (g_strcmp0 (mer_json_get_string (json_array_get_object_element (rows, i), "id"), id) == 0)
      return mer_json_get_string (json_array_get_object_element (rows, i), "reason");
  return NULL;
}

/* The pull's checkpoint in @store: the peer's seq it got to. */
static gint64
local_checkpoint (MerStore *store)
{
  g_autoptr(JsonArray) docs = mer_store_list_local (store, "_local/", NULL);

  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);

      if (json_object_has_member (doc, "session_id") && json_object_has_member (doc, "last_seq"))
        return json_object_get_int_member (doc, "last_seq");
    }
  return -1;
}

typedef struct
{
  GBytes  *reply;
  GError  *error;
  gboolean done;
} Post;

static void
post_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Post *post = user_data;

  post->reply = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &post->error);
  post->done = TRUE;
}

/* POSTs @body to @url on this thread's main context, which serves the
 * peers too; returns the answer's JSON and status. */
static JsonNode *
post_json (const char *url,
           const char *body,
           guint      *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  Post post = { NULL, NULL, FALSE };
  gsize size = 0;
  const char *data;
  JsonNode *node;

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, post_done_cb, &post);
  while (!post.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (post.error);
  *status = soup_message_get_status (msg);
  data = g_bytes_get_data (post.reply, &size);
  node = mer_json_parse (data, (gssize) size, NULL);
  g_bytes_unref (post.reply);
  return node;
}

/* ------------------------------------------------------------------ */
/* The tests */

typedef struct
{
  char      *dir;
  MerStore  *store;      /* the replica under attack */
  FakePeer  *liar;
  char      *real;       /* a decision the liar rewrites */
  char      *real_rev;
  char      *other;      /* one it marks superseded by nothing */
  JsonObject *forged;
  JsonObject *forged_mark;
  JsonObject *bad_page;
  JsonObject *masquerade;
} Attack;

static void
attack_setup (Attack *a)
{
  g_autoptr(JsonObject) real = NULL;

  a->store = mer_test_open_store (&a->dir);
  a->liar = fake_peer_new ();
  a->real = log_decision (a->store, "Weekly rota");
  a->other = log_decision (a->store, "Follow the sun");
  real = mer_store_get_doc (a->store, a->real, NULL, MER_GET_DEFAULT, NULL);
  a->real_rev = g_strdup (mer_json_get_string (real, "_rev"));

  /* A child revision of a real decision, rewritten. */
  a->forged = forge_child (a->store, a->real, FORGED_HASH, "title", "We never had a rota");
  json_object_set_string_member (a->forged, "decision", "Nobody is ever on call.");
  /* Only the supersede mark changed, pointing at nothing. */
  a->forged_mark = forge_child (a->store, a->other, FORGED2_HASH, "superseded_by", "decision:nowhere");
  json_object_set_string_member (a->forged_mark, "status", "superseded");
  /* Shapes that are not documents of their type. */
  a->bad_page = mer_test_object ("{\"_id\":\"page:bad\",\"_rev\":\"1-abab\",\"type\":\"page\",\"title\":5,"
                                 "\"path\":\"bad\",\"body\":\"x\"}");
  a->masquerade = mer_test_object ("{\"_id\":\"note:1\",\"_rev\":\"1-cdcd\",\"type\":\"decision\","
                                   "\"status\":\"accepted\",\"title\":\"Fake\"}");

  /* The real decision too, as an honest peer that holds it would list
   * its ancestry; then the lies, mixed with innocent pages. */
  fake_peer_offer (a->liar, page ("page:one", "11111111111111111111111111111111"));
  fake_peer_offer (a->liar, a->forged);
  fake_peer_offer (a->liar, page ("page:two", "22222222222222222222222222222222"));
  fake_peer_offer (a->liar, a->forged_mark);
  fake_peer_offer (a->liar, a->bad_page);
  fake_peer_offer (a->liar, page ("page:three", "33333333333333333333333333333333"));
  fake_peer_offer (a->liar, a->masquerade);
  fake_peer_offer (a->liar, page ("page:four", "44444444444444444444444444444444"));
}

static void
attack_teardown (Attack *a)
{
  fake_peer_free (a->liar);
  g_clear_object (&a->store);
  mer_test_rm_rf (a->dir);
  g_free (a->dir);
  g_free (a->real);
  g_free (a->real_rev);
  g_free (a->other);
  g_clear_pointer (&a->forged, json_object_unref);
  g_clear_pointer (&a->forged_mark, json_object_unref);
  g_clear_pointer (&a->bad_page, json_object_unref);
  g_clear_pointer (&a->masquerade, json_object_unref);
}

/* The decisions as they were, and nothing of the lies in the tree. */
static void
assert_untouched (Attack   *a,
                  MerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) real = mer_store_get_doc (store, a->real, NULL, MER_GET_CONFLICTS, &error);
  g_autoptr(JsonObject) forged = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonArray) listed = NULL;
  g_auto(GStrv) leaves = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (real, "_rev"), ==, a->real_rev);
  g_assert_cmpstr (mer_json_get_string (real, "title"), ==, "Weekly rota");
  g_assert_false (json_object_has_member (real, "_conflicts"));
  leaves = mer_store_get_leaf_revs (store, a->real, TRUE, &error);
  g_assert_cmpuint (g_strv_length (leaves), ==, 1);
  forged = mer_store_get_doc (store, a->real, "2-" FORGED_HASH, MER_GET_DEFAULT, NULL);
  g_assert_null (forged);

  other = mer_decision_get (store, a->other, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (other, "status"), ==, "accepted");
  g_assert_null (mer_json_get_string (other, "superseded_by"));
  g_assert_null (mer_store_get_doc (store, a->other, "2-" FORGED2_HASH, MER_GET_DEFAULT, NULL));

  g_assert_null (mer_store_get_doc (store, "page:bad", NULL, MER_GET_DEFAULT, NULL));
  g_assert_null (mer_store_get_doc (store, "note:1", NULL, MER_GET_DEFAULT, NULL));

  listed = mer_decision_list (store, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (listed); i++)
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (listed, i), "status"), ==, "accepted");
}

static void
assert_pages (MerStore           *store,
              const char * const *ids)
{
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, ids[i], NULL, MER_GET_DEFAULT, NULL);

      g_assert_nonnull (doc);
      g_assert_cmpstr (mer_json_get_string (doc, "body"), ==, "Innocent text.");
    }
}

/*
 * A pull from the liar: the lies are refused, recorded and reported once,
 * the innocent pages arrive, the checkpoint moves past everything, and a
 * second pull neither fetches nor reports the lies again.
 */
static void
test_pull_refuses_lies (void)
{
  Attack a = { NULL, };
  g_autoptr(JsonArray) refused = NULL;
  g_autoptr(JsonArray) again = NULL;
  g_autoptr(JsonObject) row = NULL;
  const char * const pages[] = { "page:one", "page:two", "page:three", "page:four", NULL };
  const char * const more[] = { "page:five", NULL };
  TestSyncResult res;

  attack_setup (&a);
  res = sync_reporting (a.store, a.liar->url, MER_REPLICATOR_PULL, &refused);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.changes, ==, 8);
  g_assert_cmpuint (res.read, ==, 8);
  g_assert_cmpuint (res.written, ==, 4);
  assert_untouched (&a, a.store);
  assert_pages (a.store, pages);

  /* Each lie reported once, with its reason. */
  g_assert_cmpuint (json_array_get_length (refused), ==, 4);
  g_assert_nonnull (strstr (refused_reason (refused, a.real), "never edited"));
  g_assert_nonnull (strstr (refused_reason (refused, a.other), "never edited"));
  g_assert_nonnull (strstr (refused_reason (refused, "page:bad"), "title"));
  g_assert_nonnull (strstr (refused_reason (refused, "note:1"), "decision:"));
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (refused, 0), "direction"), ==, "pull");

  /* Recorded, with where it came from and what it said. */
  g_assert_cmpuint (count_refused (a.store), ==, 4);
  row = find_refused (a.store, a.real);
  g_assert_nonnull (row);
  g_assert_cmpstr (mer_json_get_string (row, "rev"), ==, "2-" FORGED_HASH);
  g_assert_cmpstr (mer_json_get_string (row, "source"), ==, a.liar->url);
  g_assert_nonnull (strstr (mer_json_get_string (row, "body"), "Nobody is ever on call."));
  g_assert_nonnull (strstr (mer_json_get_string (row, "reason"), "never edited"));
  g_assert_nonnull (mer_json_get_string (row, "at"));

  /* The checkpoint moved past the lies: no retry storm. */
  g_assert_cmpint (local_checkpoint (a.store), ==, a.liar->seq);
  g_assert_cmpuint (a.liar->checkpoints_written, >, 0);
  g_assert_cmpuint (fake_peer_fetched (a.liar, a.real, "2-" FORGED_HASH), ==, 1);

  /* The liar lists its lies again beside a new page: they are not asked
   * for, not reported, and the new page arrives. */
  fake_peer_touch (a.liar, a.real);
  fake_peer_touch (a.liar, "page:bad");
  fake_peer_offer (a.liar, page ("page:five", "55555555555555555555555555555555"));
  res = sync_reporting (a.store, a.liar->url, MER_REPLICATOR_PULL, &again);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.changes, ==, 3);
  g_assert_cmpuint (res.written, ==, 1);
  g_assert_cmpuint (json_array_get_length (again), ==, 0);
  g_assert_cmpuint (fake_peer_fetched (a.liar, a.real, "2-" FORGED_HASH), ==, 1);
  g_assert_cmpuint (fake_peer_fetched (a.liar, "page:bad", "1-abab"), ==, 1);
  g_assert_cmpuint (count_refused (a.store), ==, 4);
  assert_pages (a.store, more);
  assert_untouched (&a, a.store);

  /* An admin lists them: `meridian sync --refused --json`. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(JsonNode) listed = NULL;
    int status;

    g_clear_object (&a.store);
    status = mer_test_run_meridian (a.dir, &out, &err, "sync", "--refused", "--json", NULL);
    g_assert_cmpint (status, ==, 0);
    listed = mer_json_parse (out, -1, NULL);
    g_assert_nonnull (listed);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (listed)), ==, 4);
    g_free (out);
    g_free (err);
    status = mer_test_run_meridian (a.dir, &out, &err, "sync", "--refused", NULL);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (out, "2-" FORGED_HASH));
    g_assert_nonnull (strstr (out, "never edited"));
  }

  attack_teardown (&a);
}

/*
 * After the attack the replica still pushes to a Meridian peer: nothing it
 * holds is refused there, and the innocent pages arrive.
 */
static void
test_push_after_attack (void)
{
  Attack a = { NULL, };
  TestPeer *hub = test_peer_new (NULL, NULL);
  g_autoptr(JsonArray) refused = NULL;
  g_autoptr(JsonArray) pushed = NULL;
  const char * const pages[] = { "page:one", "page:two", "page:three", "page:four", NULL };
  TestSyncResult res;

  attack_setup (&a);
  res = sync_reporting (a.store, a.liar->url, MER_REPLICATOR_PULL, &refused);
  g_assert_no_error (res.error);
  res = sync_reporting (a.store, hub->url, MER_REPLICATOR_PUSH, &pushed);
  g_assert_no_error (res.error);
  g_assert_cmpuint (json_array_get_length (pushed), ==, 0);
  g_assert_cmpuint (res.written, ==, 6);
  assert_pages (hub->store, pages);
  assert_untouched (&a, hub->store);
  g_assert_cmpuint (count_refused (hub->store), ==, 0);

  test_peer_free (hub);
  attack_teardown (&a);
}

/*
 * The same lies sent to `serve` (the way a pushing peer would) are refused
 * the same way, each in its own row of the _bulk_docs answer, while the
 * innocent page in the batch is written.
 */
static void
test_serve_refuses_lies (void)
{
  Attack a = { NULL, };
  TestPeer *hub = test_peer_new (NULL, NULL);
  g_autoptr(JsonArray) pulled = NULL;
  g_autoptr(JsonArray) pushed = NULL;
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonArray) docs = json_array_new ();
  g_autoptr(JsonNode) request_node = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;
  g_autofree char *url = NULL;
  const char * const pages[] = { "page:six", NULL };
  JsonObject *lies[4];
  guint status = 0;
  TestSyncResult res;

  attack_setup (&a);
  lies[0] = a.forged;
  lies[1] = a.forged_mark;
  lies[2] = a.bad_page;
  lies[3] = a.masquerade;
  /* The hub holds the real decisions, as the liar's victims do. */
  res = sync_reporting (a.store, hub->url, MER_REPLICATOR_PUSH, &pushed);
  g_assert_no_error (res.error);
  res = sync_reporting (a.store, a.liar->url, MER_REPLICATOR_PULL, &pulled);
  g_assert_no_error (res.error);

  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    json_array_add_object_element (docs, json_object_ref (lies[i]));
  json_array_add_object_element (docs, page ("page:six", "66666666666666666666666666666666"));
  json_object_set_boolean_member (request, "new_edits", FALSE);
  json_object_set_array_member (request, "docs", json_array_ref (docs));
  request_node = json_node_init_object (json_node_alloc (), request);
  body = mer_json_to_string (request_node, FALSE);
  url = g_strconcat (hub->url, "/_bulk_docs", NULL);
  answer = post_json (url, body, &status);

  g_assert_cmpuint (status, ==, 201);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (answer));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (answer)), ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      JsonObject *row = json_array_get_object_element (json_node_get_array (answer), i);
      const char *id = mer_json_get_string (lies[i], "_id");

      g_assert_cmpstr (mer_json_get_string (row, "id"), ==, id);
      g_assert_cmpstr (mer_json_get_string (row, "rev"), ==, mer_json_get_string (lies[i], "_rev"));
      g_assert_cmpstr (mer_json_get_string (row, "error"), ==, "forbidden");
      /* The same rule, in the same words, as the pull's. */
      g_assert_cmpstr (mer_json_get_string (row, "reason"), ==, refused_reason (pulled, id));
    }
  assert_untouched (&a, hub->store);
  assert_pages (hub->store, pages);
  g_assert_cmpuint (count_refused (hub->store), ==, 4);
  {
    g_autoptr(JsonObject) row = find_refused (hub->store, a.real);

    g_assert_true (g_str_has_prefix (mer_json_get_string (row, "source"), "serve: "));
  }

  test_peer_free (hub);
  attack_teardown (&a);
}

/*
 * A push where the receiving Meridian refuses one document of a batch (a
 * decision of the same id it holds with other content): the others
 * arrive, the refusal is reported once, and the next push does not send
 * it again.
 */
static void
test_push_one_refused (void)
{
  TestPeer *hub = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(JsonArray) refused = NULL;
  g_autoptr(JsonArray) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) theirs = mer_test_object ("{\"_id\":\"decision:clash\",\"type\":\"decision\","
                                                  "\"status\":\"accepted\",\"title\":\"Theirs\"}");
  g_autoptr(JsonObject) ours = mer_test_object ("{\"_id\":\"decision:clash\",\"type\":\"decision\","
                                                "\"status\":\"accepted\",\"title\":\"Ours\"}");
  g_autoptr(JsonObject) held = NULL;
  g_autofree char *rev1 = NULL;
  g_autofree char *rev2 = NULL;
  const char *names[] = { "page:a1", "page:a2", "page:a3", "page:a4", NULL };
  TestSyncResult res;

  rev1 = mer_store_put_doc (hub->store, theirs, &error);
  g_assert_no_error (error);
  g_assert_true (mer_store_begin (local, &error));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) doc = page (names[i], "77777777777777777777777777777777");

      json_object_remove_member (doc, "_rev");
      json_object_remove_member (doc, "_revisions");
      g_free (mer_store_put_doc (local, doc, &error));
      g_assert_no_error (error);
    }
  rev2 = mer_store_put_doc (local, ours, &error);
  g_assert_no_error (error);
  for (guint i = 2; i < 4; i++)
    {
      g_autoptr(JsonObject) doc = page (names[i], "77777777777777777777777777777777");

      json_object_remove_member (doc, "_rev");
      json_object_remove_member (doc, "_revisions");
      g_free (mer_store_put_doc (local, doc, &error));
      g_assert_no_error (error);
    }
  g_assert_true (mer_store_commit (local, &error));

  res = sync_reporting (local, hub->url, MER_REPLICATOR_PUSH, &refused);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 4);
  g_assert_cmpuint (json_array_get_length (refused), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (refused, 0), "id"), ==, "decision:clash");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (refused, 0), "direction"), ==, "push");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (refused, 0), "error"), ==, "forbidden");
  assert_pages (hub->store, names);
  held = mer_store_get_doc (hub->store, "decision:clash", NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (held, "title"), ==, "Theirs");
  g_assert_cmpstr (mer_json_get_string (held, "_rev"), ==, rev1);
  g_assert_cmpuint (mer_replicator_count_pending (local, hub->url), ==, 0);

  /* The next push has nothing to send and reports nothing. */
  res = sync_reporting (local, hub->url, MER_REPLICATOR_PUSH, &again);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 0);
  g_assert_cmpuint (json_array_get_length (again), ==, 0);

  test_peer_free (hub);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/hostile-peer/pull-refuses-lies", test_pull_refuses_lies);
  g_test_add_func ("/hostile-peer/push-after-attack", test_push_after_attack);
  g_test_add_func ("/hostile-peer/serve-refuses-lies", test_serve_refuses_lies);
  g_test_add_func ("/hostile-peer/push-one-refused", test_push_one_refused);
  return g_test_run ();
}
