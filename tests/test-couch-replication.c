/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `meridian sync` with a real Apache CouchDB, as a plain peer (no hub
 * rules): a single node and a 3-node cluster (databases made with n=3,
 * q=2, whose sequences are opaque strings), both ways, one-shot and
 * continuous. Each case runs against both; the single node's cases run
 * first and it is stopped before the cluster starts.
 *
 * Some cases put a proxy of this program between Meridian and CouchDB
 * (on a thread of its own, on a loopback port it picks): it counts the
 * requests a sync makes, and can hand out sequences of odd shapes in
 * place of CouchDB's, to check that the client only ever sends back what
 * it was given.
 */
#include "config.h"

#include "mer-json.h"
#include "mer-test-couch.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

typedef struct
{
  const char   *name;
  guint         n_nodes;
  MerTestCouch *couch;
} Topology;

static Topology topologies[] = {
  { "single", 1, NULL },
  { "cluster", 3, NULL },
};

/* Starts @topo's CouchDB on first use (stopping the other one: two at a
 * time only cost the machine). FALSE when CouchDB is missing. */
static gboolean
have_couch (Topology *topo)
{
  if (topo->couch != NULL)
    return TRUE;
  if (!mer_test_couch_available ())
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (topologies); i++)
    g_clear_pointer (&topologies[i].couch, mer_test_couch_stop);
  topo->couch = mer_test_couch_start (topo->n_nodes);
  return TRUE;
}

static JsonNode *
couch_http (Topology   *topo,
            const char *method,
            const char *path,
            const char *body,
            guint      *status)
{
  return mer_test_couch_request (topo->couch, 0, method, path, "admin", "secret", body, status);
}

/* A fresh database; a cluster's keeps every document on every node. */
static void
make_db (Topology   *topo,
         const char *db)
{
  g_autofree char *path = g_strdup_printf ("/%s%s", db, topo->n_nodes > 1 ? "?n=3&q=2" : "");
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  answer = couch_http (topo, "PUT", path, NULL, &status);
  g_assert_true (status == 201 || status == 202);
}

/* http://admin:secret@127.0.0.1:PORT/DB on node 0 (or via @port). */
static char *
db_url (Topology   *topo,
        guint16     port,
        const char *db)
{
  return g_strdup_printf ("http://admin:secret@127.0.0.1:%u/%s",
                          port != 0 ? port : topo->couch->nodes[0].port, db);
}

static JsonObject *
couch_get_doc (Topology   *topo,
               const char *db,
               const char *id,
               const char *query,
               guint      *status)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/%s/%s%s%s", db, escaped, query ? "?" : "", query ? query : "");
  g_autoptr(JsonNode) answer = couch_http (topo, "GET", path, NULL, status);

  return JSON_NODE_HOLDS_OBJECT (answer) ? json_object_ref (json_node_get_object (answer)) : NULL;
}

/* Writes @docs (a JSON array's text) on CouchDB, on every node at once. */
static void
couch_bulk (Topology   *topo,
            const char *db,
            const char *docs)
{
  g_autofree char *path = g_strdup_printf ("/%s/_bulk_docs?w=%u", db, topo->n_nodes);
  g_autofree char *body = g_strdup_printf ("{\"docs\":%s}", docs);
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  answer = couch_http (topo, "POST", path, body, &status);
  /* A cluster answers 202 when the copies beyond the quorum are still
   * being written (on a busy machine): the documents are accepted and
   * every node gets them. */
  g_assert_true (status == 201 || status == 202);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (answer)); i++)
    g_assert_false (json_object_has_member (json_array_get_object_element (json_node_get_array (answer), i),
                                            "error"));
}

/* Pages made on CouchDB, @n of them named page:PREFIXnnn. */
static void
couch_pages (Topology   *topo,
             const char *db,
             const char *prefix,
             guint       n)
{
  g_autoptr(GString) docs = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (docs, "%s{\"_id\":\"page:%s%03u\",\"type\":\"page\",\"title\":\"%s %u\","
                            "\"path\":\"couch/%s%03u\",\"body\":\"Written on CouchDB, number %u.\\n\"}",
                            i > 0 ? "," : "", prefix, i, prefix, i, prefix, i, i);
  g_string_append_c (docs, ']');
  couch_bulk (topo, db, docs->str);
}

static char *
put_page (MerStore   *store,
          const char *id,
          const char *rev,
          const char *body)
{
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autoptr(GError) error = NULL;
  char *new_rev;

  json_object_set_string_member (doc, "_id", id);
  if (rev != NULL)
    json_object_set_string_member (doc, "_rev", rev);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", id + strlen ("page:"));
  json_object_set_string_member (doc, "path", id + strlen ("page:"));
  json_object_set_string_member (doc, "body", body);
  new_rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  return new_rev;
}

/* @n pages named page:PREFIXnnn in the workspace. */
static void
local_pages (MerStore   *store,
             const char *prefix,
             guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:%s%03u", prefix, i);
      g_autofree char *body = g_strdup_printf ("Written in Meridian, number %u.\n", i);
      g_autofree char *rev = put_page (store, id, NULL, body);
    }
}

static char *
local_rev (MerStore   *store,
           const char *id)
{
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);

  return doc != NULL ? g_strdup (mer_json_get_string (doc, "_rev")) : NULL;
}

static int
compare_strp (const void *a,
              const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Every document's leaf revisions, deleted ones too, sorted, as text. */
static GHashTable *
local_leaves (MerStore *store)
{
  GHashTable *leaves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  gint64 last = 0;
  g_autoptr(JsonArray) rows = mer_store_changes (store, 0, 0, TRUE, FALSE, &last, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      const char *id = mer_json_get_string (json_array_get_object_element (rows, i), "id");
      g_auto(GStrv) revs = mer_store_get_leaf_revs (store, id, TRUE, &error);

      g_assert_no_error (error);
      qsort (revs, g_strv_length (revs), sizeof (char *), compare_strp);
      g_hash_table_insert (leaves, g_strdup (id), g_strjoinv (" ", revs));
    }
  return leaves;
}

/* The same from CouchDB's feed (style=all_docs lists every leaf). */
static GHashTable *
couch_leaves (Topology   *topo,
              const char *db)
{
  GHashTable *leaves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *path = g_strdup_printf ("/%s/_changes?style=all_docs", db);
  guint status = 0;
  g_autoptr(JsonNode) answer = couch_http (topo, "GET", path, NULL, &status);
  JsonArray *results;

  g_assert_cmpuint (status, ==, 200);
  results = json_object_get_array_member (json_node_get_object (answer), "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *row = json_array_get_object_element (results, i);
      JsonArray *changes = json_object_get_array_member (row, "changes");
      g_autoptr(GPtrArray) revs = g_ptr_array_new ();

      for (guint c = 0; c < json_array_get_length (changes); c++)
        g_ptr_array_add (revs, (char *) mer_json_get_string (json_array_get_object_element (changes, c), "rev"));
      g_ptr_array_sort (revs, compare_strp);
      g_ptr_array_add (revs, NULL);
      g_hash_table_insert (leaves, g_strdup (mer_json_get_string (row, "id")),
                           g_strjoinv (" ", (char **) revs->pdata));
    }
  return leaves;
}

/* The ids whose leaves differ between @a and @b (or that only one has). */
static guint
count_differences (GHashTable *a,
                   GHashTable *b,
                   gboolean    a_in_b_only)
{
  GHashTableIter iter;
  gpointer key, value;
  guint differences = 0;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (value, g_hash_table_lookup (b, key)) != 0)
      {
        if (differences++ < 5)
          g_test_message ("%s: %s here, %s there", (char *) key, (char *) value,
                          (char *) g_hash_table_lookup (b, key));
      }
  if (!a_in_b_only && g_hash_table_size (a) != g_hash_table_size (b))
    differences++;
  return differences;
}

/*
 * Asserts that every document of the workspace has the same leaves on
 * CouchDB (and, unless @subset, that CouchDB has no others). A cluster's
 * feed may lag a write by a moment on the node that answers it: waits a
 * bounded while for it.
 */
static void
assert_same_leaves (Topology   *topo,
                    const char *db,
                    MerStore   *store,
                    gboolean    subset,
                    guint       expected)
{
  g_autoptr(GHashTable) mine = local_leaves (store);
  guint differences = 0;

  g_assert_cmpuint (g_hash_table_size (mine), ==, expected);
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autoptr(GHashTable) theirs = couch_leaves (topo, db);

      differences = count_differences (mine, theirs, subset);
      if (differences == 0)
        break;
      g_usleep (100 * 1000);
    }
  g_assert_cmpuint (differences, ==, 0);
}

/* Runs `meridian --data DIR sync --json URL [OPTIONS…]`; returns its summary. */
static JsonObject *
sync_json (const char *dir,
           const char *url,
           const char *option1,
           const char *option2)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *summary;

  g_assert_cmpint (mer_test_run_meridian (dir, &out, &err, "sync", "--json", url, option1, option2, NULL), ==, 0);
  summary = mer_json_parse_object (out, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (summary, "refused")), ==, 0);
  return summary;
}

static gint64
count (JsonObject *summary,
       const char *name)
{
  return json_object_get_int_member (summary, name);
}

/* ----- a proxy that counts requests and can make sequences odd ----- */

typedef enum
{
  SEQ_STRING,  /* a string with characters a query must escape */
  SEQ_ARRAY,
  SEQ_OBJECT,
  SEQ_NUMBER,
  N_SEQ_KINDS
} SeqKind;

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  SoupSession  *session;
  guint16       port;
  guint16       target;
  gboolean      odd_seqs;   /* hand out odd sequences for CouchDB's */
  int           hold_ms;    /* writes of _local documents wait this long
                           * (atomic: the test sets it as it goes) */

  GMutex        lock;       /* guards what follows, and the start */
  GCond         started;
  GPtrArray    *requests;   /* "METHOD /path?query" as received */
  GHashTable   *real_seqs;  /* token key -> CouchDB's seq, as a query value */
  guint         answers;    /* _changes answers rewritten */
  guint         kinds_back; /* bit per SeqKind sent back as since */
  guint         since_back; /* since values other than 0 sent back */
  GPtrArray    *unknown;    /* since values never handed out */
} Proxy;

typedef struct
{
  Proxy             *proxy;
  SoupServerMessage *msg;
  SoupMessage       *out;
  gboolean           changes;
  gboolean           db_info;
  gboolean           gone;     /* the client hung up: nothing to answer */
} Forward;

static void
client_gone_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  ((Forward *) user_data)->gone = TRUE;
}

/* How a token is found again: strings as they are, the rest as JSON. */
static char *
token_key (JsonNode *node)
{
  g_autofree char *canonical = NULL;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strconcat ("s:", json_node_get_string (node), NULL);
  canonical = mer_json_canonical (node);
  return g_strconcat ("j:", canonical, NULL);
}

/* An odd sequence of @kind standing for CouchDB's @real. */
static JsonNode *
make_token (Proxy    *proxy,
            SeqKind   kind,
            JsonNode *real)
{
  static guint serial;
  g_autofree char *text = NULL;
  g_autofree char *key = NULL;
  g_autofree char *real_text = NULL;
  JsonNode *token;

  serial++;
  switch (kind)
    {
    case SEQ_STRING:
      text = g_strdup_printf ("\"%u-g1AAAAB+/=?&#%% é\"", serial);
      break;
    case SEQ_ARRAY:
      text = g_strdup_printf ("[%u,\"g1AAAA\",{\"node\":\"n1@127.0.0.1\"}]", serial);
      break;
    case SEQ_OBJECT:
      text = g_strdup_printf ("{\"seq\":%u,\"ranges\":[\"00000000-7fffffff\",\"80000000-ffffffff\"],"
                              "\"deep\":{\"a\":null,\"b\":true}}", serial);
      break;
    default:
      text = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) 4000000000000000000ull + serial);
      break;
    }
  token = mer_json_parse (text, -1, NULL);
  g_assert_nonnull (token);
  key = token_key (token);
  if (JSON_NODE_HOLDS_VALUE (real) && json_node_get_value_type (real) == G_TYPE_STRING)
    real_text = g_strdup (json_node_get_string (real));
  else
    real_text = mer_json_to_string (real, FALSE);
  g_hash_table_insert (proxy->real_seqs, g_steal_pointer (&key), g_steal_pointer (&real_text));
  return token;
}

/* CouchDB's sequence for a since value the client sent, or NULL. */
static const char *
find_real_seq (Proxy      *proxy,
               const char *since)
{
  g_autofree char *string_key = g_strconcat ("s:", since, NULL);
  g_autoptr(JsonNode) parsed = NULL;
  g_autofree char *key = NULL;
  const char *real = g_hash_table_lookup (proxy->real_seqs, string_key);

  if (real != NULL)
    {
      proxy->kinds_back |= 1 << SEQ_STRING;
      return real;
    }
  parsed = mer_json_parse (since, -1, NULL);
  if (parsed == NULL || (JSON_NODE_HOLDS_VALUE (parsed) && json_node_get_value_type (parsed) == G_TYPE_STRING))
    return NULL;
  key = token_key (parsed);
  real = g_hash_table_lookup (proxy->real_seqs, key);
  if (real != NULL)
    proxy->kinds_back |= 1 << (JSON_NODE_HOLDS_ARRAY (parsed) ? SEQ_ARRAY
                               : JSON_NODE_HOLDS_OBJECT (parsed) ? SEQ_OBJECT : SEQ_NUMBER);
  return real;
}

/* The query with since= put back to CouchDB's own sequence. */
static char *
map_since (Proxy      *proxy,
           const char *query)
{
  g_auto(GStrv) parts = NULL;

  if (query == NULL)
    return NULL;
  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *since = NULL;
      const char *real;

      if (!g_str_has_prefix (parts[i], "since="))
        continue;
      since = g_uri_unescape_string (parts[i] + strlen ("since="), NULL);
      if (since == NULL || strcmp (since, "0") == 0 || strcmp (since, "now") == 0)
        continue;
      g_mutex_lock (&proxy->lock);
      real = find_real_seq (proxy, since);
      if (real == NULL)
        g_ptr_array_add (proxy->unknown, g_strdup (since));
      else
        {
          proxy->since_back++;
          g_free (parts[i]);
          parts[i] = g_strconcat ("since=", g_uri_escape_string (real, NULL, FALSE), NULL);
        }
      g_mutex_unlock (&proxy->lock);
    }
  return g_strjoinv ("&", parts);
}

/* A _changes answer with every seq replaced by a token of one kind. */
static GBytes *
rewrite_changes (Proxy  *proxy,
                 GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr(JsonNode) answer = mer_json_parse (data, (gssize) size, NULL);
  JsonObject *object = answer != NULL && JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonArray *results;
  SeqKind kind;
  char *text;

  if (object == NULL || !json_object_has_member (object, "results"))
    return g_bytes_ref (bytes);
  g_mutex_lock (&proxy->lock);
  kind = proxy->answers++ % N_SEQ_KINDS;
  results = json_object_get_array_member (object, "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *row = json_array_get_object_element (results, i);

      json_object_set_member (row, "seq", make_token (proxy, kind, json_object_get_member (row, "seq")));
    }
  json_object_set_member (object, "last_seq", make_token (proxy, kind, json_object_get_member (object, "last_seq")));
  g_mutex_unlock (&proxy->lock);
  text = mer_json_to_string (answer, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

/* The database's own update_seq, which a client has no use for, as an object. */
static GBytes *
rewrite_db_info (Proxy  *proxy,
                 GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr(JsonNode) answer = mer_json_parse (data, (gssize) size, NULL);
  char *text;

  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer)
      || !json_object_has_member (json_node_get_object (answer), "update_seq"))
    return g_bytes_ref (bytes);
  g_mutex_lock (&proxy->lock);
  json_object_set_member (json_node_get_object (answer), "update_seq",
                          make_token (proxy, SEQ_OBJECT,
                                      json_object_get_member (json_node_get_object (answer), "update_seq")));
  g_mutex_unlock (&proxy->lock);
  text = mer_json_to_string (answer, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

static void
forwarded_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Forward *forward = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(GBytes) answer = NULL;
  const char *type = NULL;
  guint status = 502;
  gsize size = 0;
  const char *data;

  if (bytes != NULL)
    {
      status = soup_message_get_status (forward->out);
      type = soup_message_headers_get_content_type (soup_message_get_response_headers (forward->out), NULL);
      if (forward->proxy->odd_seqs && status == 200 && forward->changes)
        answer = rewrite_changes (forward->proxy, bytes);
      else if (forward->proxy->odd_seqs && status == 200 && forward->db_info)
        answer = rewrite_db_info (forward->proxy, bytes);
      else
        answer = g_bytes_ref (bytes);
    }
  else
    answer = g_bytes_new_static ("{\"error\":\"proxy\"}", 17);
  data = g_bytes_get_data (answer, &size);
  /* A client stopped while its request was on the way (a continuous sync
   * ends so) has no one to answer. */
  g_signal_handlers_disconnect_by_func (forward->msg, client_gone_cb, forward);
  if (!forward->gone)
    {
      soup_server_message_set_status (forward->msg, status, NULL);
      soup_server_message_set_response (forward->msg, type != NULL ? type : "application/json",
                                        SOUP_MEMORY_COPY, data, size);
      soup_server_message_unpause (forward->msg);
    }
  g_object_unref (forward->msg);
  g_object_unref (forward->out);
  g_free (forward);
}

static gboolean
send_later_cb (gpointer user_data)
{
  Forward *forward = user_data;

  soup_session_send_and_read_async (forward->proxy->session, forward->out, G_PRIORITY_DEFAULT, NULL,
                                    forwarded_cb, forward);
  return G_SOURCE_REMOVE;
}

static void
proxy_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *unused_path,
          GHashTable        *unused_query,
          gpointer           user_data)
{
  Proxy *proxy = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  SoupMessageHeaders *in_headers = soup_server_message_get_request_headers (msg);
  static const char * const copied[] = { "Authorization", "Accept" };
  g_autofree char *mapped = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GBytes) body = NULL;
  Forward *forward = g_new0 (Forward, 1);

  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->requests, g_strdup_printf ("%s %s%s%s", method, path, query ? "?" : "",
                                                     query ? query : ""));
  g_mutex_unlock (&proxy->lock);

  forward->proxy = proxy;
  forward->msg = g_object_ref (msg);
  g_signal_connect (msg, "disconnected", G_CALLBACK (client_gone_cb), forward);
  forward->changes = g_str_has_suffix (path, "/_changes");
  forward->db_info = strcmp (method, "GET") == 0 && strchr (path + 1, '/') == NULL && path[1] != '\0';
  mapped = proxy->odd_seqs && forward->changes ? map_since (proxy, query) : g_strdup (query);
  url = g_strdup_printf ("http://127.0.0.1:%u%s%s%s", proxy->target, path, mapped ? "?" : "", mapped ? mapped : "");
  forward->out = soup_message_new (method, url);
  g_assert_nonnull (forward->out);
  for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
    if (soup_message_headers_get_one (in_headers, copied[i]) != NULL)
      soup_message_headers_replace (soup_message_get_request_headers (forward->out), copied[i],
                                    soup_message_headers_get_one (in_headers, copied[i]));
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) > 0)
    soup_message_set_request_body_from_bytes (forward->out,
                                              soup_message_headers_get_content_type (in_headers, NULL),
                                              body);
  soup_server_message_pause (msg);
  if (g_atomic_int_get (&proxy->hold_ms) > 0 && strcmp (method, "PUT") == 0 && strstr (path, "/_local/") != NULL)
    {
      g_autoptr(GSource) source = g_timeout_source_new ((guint) g_atomic_int_get (&proxy->hold_ms));

      g_source_set_callback (source, send_later_cb, forward, NULL);
      g_source_attach (source, proxy->context);
    }
  else
    send_later_cb (forward);
}

static gpointer
proxy_thread (gpointer user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  g_main_context_push_thread_default (proxy->context);
  proxy->session = soup_session_new_with_options ("timeout", 120, NULL);
  proxy->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (proxy->server, NULL, proxy_cb, proxy, NULL);
  soup_server_listen_local (proxy->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (proxy->server);
  g_mutex_lock (&proxy->lock);
  proxy->port = (guint16) g_uri_get_port (uris->data);
  g_cond_signal (&proxy->started);
  g_mutex_unlock (&proxy->lock);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  g_main_loop_run (proxy->loop);

  soup_server_disconnect (proxy->server);
  g_clear_object (&proxy->server);
  soup_session_abort (proxy->session);
  g_clear_object (&proxy->session);
  while (g_main_context_iteration (proxy->context, FALSE))
    ;
  g_main_context_pop_thread_default (proxy->context);
  return NULL;
}

static Proxy *
proxy_start (Topology *topo,
             gboolean  odd_seqs)
{
  Proxy *proxy = g_new0 (Proxy, 1);

  proxy->context = g_main_context_new ();
  proxy->loop = g_main_loop_new (proxy->context, FALSE);
  proxy->target = topo->couch->nodes[0].port;
  proxy->odd_seqs = odd_seqs;
  proxy->requests = g_ptr_array_new_with_free_func (g_free);
  proxy->unknown = g_ptr_array_new_with_free_func (g_free);
  proxy->real_seqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&proxy->lock);
  g_cond_init (&proxy->started);
  g_mutex_lock (&proxy->lock);
  proxy->thread = g_thread_new ("test-proxy", proxy_thread, proxy);
  while (proxy->port == 0)
    g_cond_wait (&proxy->started, &proxy->lock);
  g_mutex_unlock (&proxy->lock);
  return proxy;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
proxy_stop (Proxy *proxy)
{
  g_main_context_invoke (proxy->context, quit_cb, proxy->loop);
  g_thread_join (proxy->thread);
  g_main_loop_unref (proxy->loop);
  g_main_context_unref (proxy->context);
  g_ptr_array_unref (proxy->requests);
  g_ptr_array_unref (proxy->unknown);
  g_hash_table_unref (proxy->real_seqs);
  g_mutex_clear (&proxy->lock);
  g_cond_clear (&proxy->started);
  g_free (proxy);
}

/* How many requests so far contain @part (in method, path or query). */
static guint
proxy_count (Proxy      *proxy,
             const char *part)
{
  guint n = 0;

  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->requests->len; i++)
    if (strstr (proxy->requests->pdata[i], part) != NULL)
      n++;
  g_mutex_unlock (&proxy->lock);
  return n;
}

/* The position of the last request that contains @part, or -1. */
static int
proxy_last_index (Proxy      *proxy,
                  const char *part)
{
  int last = -1;

  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->requests->len; i++)
    if (strstr (proxy->requests->pdata[i], part) != NULL)
      last = (int) i;
  g_mutex_unlock (&proxy->lock);
  return last;
}

static void
proxy_clear_log (Proxy *proxy)
{
  g_mutex_lock (&proxy->lock);
  g_ptr_array_set_size (proxy->requests, 0);
  g_mutex_unlock (&proxy->lock);
}

/* ----- the cases ----- */

/*
 * A few hundred pages each way, one-shot: the same ids and revisions on
 * both sides, CouchDB's own revision ids kept as CouchDB made them, and
 * the histories the same.
 */
static void
test_push_pull (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "push-pull";
  g_autofree char *url = NULL;
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;
  g_autoptr(MerStore) store_a = NULL;
  g_autoptr(MerStore) store_b = NULL;
  g_autoptr(JsonObject) summary = NULL;

  if (!have_couch (topo))
    return;
  make_db (topo, db);
  url = db_url (topo, 0, db);
  couch_pages (topo, db, "c", 100);
  /* Ids that a URL must escape, on both sides. */
  couch_bulk (topo, db, "[{\"_id\":\"page:couch/x y+z%w?#\",\"type\":\"page\",\"title\":\"odd\","
                        "\"path\":\"odd/couch\",\"body\":\"odd\"}]");
  store_a = mer_test_open_store (&dir_a);
  local_pages (store_a, "m", 300);
  {
    g_autofree char *rev1 = put_page (store_a, "page:a/b c+d%e?f#g", NULL, "odd\n");
    g_autofree char *rev2 = put_page (store_a, "page:ünïcödé ✓", NULL, "odd\n");
  }

  /* A wrong password: refused, said so, and nothing moves. */
  {
    g_autofree char *bad = g_strdup_printf ("http://admin:wrong@127.0.0.1:%u/%s", topo->couch->nodes[0].port, db);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (mer_test_run_meridian (dir_a, &out, &err, "sync", bad, NULL), !=, 0);
    g_assert_nonnull (strstr (err, "did not accept the name or password"));
    g_assert_null (strstr (err, "wrong"));
    g_autoptr(GHashTable) leaves = couch_leaves (topo, db);

    g_assert_cmpuint (g_hash_table_size (leaves), ==, 101);
  }

  summary = sync_json (dir_a, url, "--push", NULL);
  g_assert_cmpint (count (summary, "pushed"), ==, 302);
  g_assert_cmpint (count (summary, "pulled"), ==, 0);
  assert_same_leaves (topo, db, store_a, TRUE, 302);

  /* A fresh workspace pulls all of it, CouchDB's pages and Meridian's. */
  store_b = mer_test_open_store (&dir_b);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, "--pull", NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 403);
  g_assert_cmpint (count (summary, "pushed"), ==, 0);
  assert_same_leaves (topo, db, store_b, FALSE, 403);

  /* Both ways: the first workspace gets CouchDB's pages, sends nothing new. */
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 101);
  g_assert_cmpint (count (summary, "pushed"), ==, 0);
  assert_same_leaves (topo, db, store_a, FALSE, 403);

  /* Edits on each side, then each workspace syncs both ways. */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:m%03u", i);
      g_autofree char *rev = local_rev (store_a, id);
      g_autofree char *new_rev = put_page (store_a, id, rev, "Edited in Meridian.\n");
    }
  {
    g_autoptr(GString) docs = g_string_new ("[");

    for (guint i = 0; i < 20; i++)
      {
        g_autofree char *id = g_strdup_printf ("page:c%03u", i);
        g_autofree char *rev = local_rev (store_b, id);

        g_string_append_printf (docs, "%s{\"_id\":\"%s\",\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"c\","
                                "\"path\":\"couch/c%03u\",\"body\":\"Edited on CouchDB.\\n\"}",
                                i > 0 ? "," : "", id, rev, i);
      }
    g_string_append_c (docs, ']');
    couch_bulk (topo, db, docs->str);
  }
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 20);
  g_assert_cmpint (count (summary, "pushed"), ==, 20);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 40);
  g_assert_cmpint (count (summary, "pushed"), ==, 0);
  assert_same_leaves (topo, db, store_a, FALSE, 403);
  assert_same_leaves (topo, db, store_b, FALSE, 403);

  /* The histories match too, each revision id in order. */
  {
    const char *ids[] = { "page:m000", "page:c000", "page:a/b c+d%e?f#g", "page:couch/x y+z%w?#" };

    for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
      {
        g_autoptr(JsonObject) theirs = NULL;
        g_autoptr(JsonObject) mine = mer_store_get_doc (store_b, ids[i], NULL, MER_GET_REVS, NULL);
        g_autoptr(JsonNode) their_revs = NULL;
        g_autoptr(JsonNode) my_revs = NULL;
        g_autofree char *a = NULL;
        g_autofree char *b = NULL;
        guint status = 0;

        theirs = couch_get_doc (topo, db, ids[i], "revs=true", &status);
        g_assert_cmpuint (status, ==, 200);
        g_assert_nonnull (mine);
        their_revs = json_node_copy (json_object_get_member (theirs, "_revisions"));
        my_revs = json_node_copy (json_object_get_member (mine, "_revisions"));
        a = mer_json_canonical (their_revs);
        b = mer_json_canonical (my_revs);
        g_assert_cmpstr (a, ==, b);
        g_assert_cmpstr (mer_json_get_string (theirs, "body"), ==, mer_json_get_string (mine, "body"));
      }
  }

  /* The database made anew under the same name: the checkpoints of the
   * old one are not trusted, and everything goes again. */
  {
    g_autofree char *path = g_strdup_printf ("/%s", db);
    guint status = 0;
    g_autoptr(JsonNode) answer = couch_http (topo, "DELETE", path, NULL, &status);

    g_assert_cmpuint (status, ==, 200);
    make_db (topo, db);
  }
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pushed"), ==, 403);
  g_assert_cmpint (count (summary, "pulled"), ==, 0);
  assert_same_leaves (topo, db, store_a, FALSE, 403);
}

/* How many pages `meridian search WORD` finds (a new process, which
 * brings the index up to date after the sync as a person's search does). */
static guint
search_hits (const char *dir,
             const char *word)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) hits = NULL;

  g_assert_cmpint (mer_test_run_meridian (dir, &out, NULL, "search", word, "--json", NULL), ==, 0);
  hits = mer_json_parse (out, -1, NULL);
  g_assert_nonnull (hits);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (hits));
  return json_array_get_length (json_node_get_array (hits));
}

static guint
count_pages (MerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) pages = mer_store_list_docs (store, "page", &error);

  g_assert_no_error (error);
  return json_array_get_length (pages);
}

static void
couch_delete (Topology   *topo,
              const char *db,
              const char *id)
{
  guint status = 0;
  g_autoptr(JsonObject) doc = couch_get_doc (topo, db, id, NULL, &status);
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) answer = NULL;

  g_assert_cmpuint (status, ==, 200);
  path = g_strdup_printf ("/%s/%s?rev=%s&w=%u", db, id, mer_json_get_string (doc, "_rev"), topo->n_nodes);
  answer = couch_http (topo, "DELETE", path, NULL, &status);
  g_assert_true (status == 200 || status == 202);
}

/* Deletions go both ways as tombstones; a deleted page is gone here. */
static void
test_deletions (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "deletions";
  g_autofree char *url = NULL;
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;
  g_autoptr(MerStore) store_a = NULL;
  g_autoptr(MerStore) store_b = NULL;
  g_autoptr(JsonObject) summary = NULL;

  if (!have_couch (topo))
    return;
  make_db (topo, db);
  url = db_url (topo, 0, db);
  store_a = mer_test_open_store (&dir_a);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:d%03u", i);
      g_autofree char *body = g_strdup_printf ("quokka%u\n", i);
      g_autofree char *rev = put_page (store_a, id, NULL, body);
    }
  summary = sync_json (dir_a, url, "--push", NULL);
  g_assert_cmpint (count (summary, "pushed"), ==, 10);
  g_assert_cmpuint (search_hits (dir_a, "quokka5"), ==, 1);

  /* Three deleted here, three others on CouchDB. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("page:d%03u", i);
      g_autofree char *rev = local_rev (store_a, id);
      g_autofree char *tombstone = mer_store_delete_doc (store_a, id, rev, &error);

      g_assert_no_error (error);
    }
  for (guint i = 5; i < 8; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:d%03u", i);

      couch_delete (topo, db, id);
    }
  /* A page deleted on CouchDB and edited here, and one the other way
   * round: the edit wins on both sides, the deletion kept beside it. */
  couch_delete (topo, db, "page:d008");
  {
    g_autofree char *rev = local_rev (store_a, "page:d008");
    g_autofree char *new_rev = put_page (store_a, "page:d008", rev, "quokka8 edited here\n");
    g_autoptr(GError) error = NULL;
    g_autofree char *tombstone = NULL;
    guint status = 0;
    g_autoptr(JsonObject) theirs = couch_get_doc (topo, db, "page:d009", NULL, &status);
    g_autofree char *docs = g_strdup_printf ("[{\"_id\":\"page:d009\",\"_rev\":\"%s\",\"type\":\"page\","
                                             "\"title\":\"d009\",\"path\":\"d009\","
                                             "\"body\":\"quokka9 edited on CouchDB\\n\"}]",
                                             mer_json_get_string (theirs, "_rev"));

    couch_bulk (topo, db, docs);
    g_free (rev);
    rev = local_rev (store_a, "page:d009");
    tombstone = mer_store_delete_doc (store_a, "page:d009", rev, &error);
    g_assert_no_error (error);
  }
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 5);
  g_assert_cmpint (count (summary, "pushed"), ==, 5);
  for (guint i = 8; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:d%03u", i);
      g_autoptr(JsonObject) mine = mer_store_get_doc (store_a, id, NULL, MER_GET_DELETED_CONFLICTS, NULL);
      g_autoptr(JsonObject) theirs = NULL;
      guint status = 0;

      theirs = couch_get_doc (topo, db, id, "deleted_conflicts=true", &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_nonnull (mine);
      g_assert_cmpstr (mer_json_get_string (theirs, "_rev"), ==, mer_json_get_string (mine, "_rev"));
      g_assert_cmpstr (mer_json_get_string (theirs, "body"), ==, mer_json_get_string (mine, "body"));
      g_assert_nonnull (strstr (mer_json_get_string (mine, "body"), "edited"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (theirs, "_deleted_conflicts")), ==, 1);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (mine, "_deleted_conflicts")), ==, 1);
    }

  /* On CouchDB the pages deleted here are deleted, their tombstones kept. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:d%03u", i);
      g_autofree char *query = NULL;
      g_auto(GStrv) leaves = mer_store_get_leaf_revs (store_a, id, TRUE, NULL);
      g_autoptr(JsonObject) doc = NULL;
      guint status = 0;

      doc = couch_get_doc (topo, db, id, NULL, &status);
      g_assert_cmpuint (status, ==, 404);
      g_assert_cmpstr (mer_json_get_string (doc, "reason"), ==, "deleted");
      g_assert_cmpuint (g_strv_length (leaves), ==, 1);
      query = g_strdup_printf ("rev=%s", leaves[0]);
      g_clear_pointer (&doc, json_object_unref);
      doc = couch_get_doc (topo, db, id, query, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_true (mer_json_get_bool (doc, "_deleted"));
    }
  /* Here the pages deleted on CouchDB are gone: not read, not listed,
   * not found by search; their tombstones are kept. */
  for (guint i = 5; i < 8; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:d%03u", i);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = mer_store_get_doc (store_a, id, NULL, MER_GET_DEFAULT, &error);
      g_auto(GStrv) live = mer_store_get_leaf_revs (store_a, id, FALSE, NULL);
      g_auto(GStrv) all = mer_store_get_leaf_revs (store_a, id, TRUE, NULL);

      g_assert_null (doc);
      g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
      g_assert_true (live == NULL || live[0] == NULL);
      g_assert_cmpuint (g_strv_length (all), ==, 1);
    }
  g_assert_cmpuint (count_pages (store_a), ==, 4);
  g_assert_cmpuint (search_hits (dir_a, "quokka5"), ==, 0);
  g_assert_cmpuint (search_hits (dir_a, "quokka1"), ==, 0);
  g_assert_cmpuint (search_hits (dir_a, "quokka4"), ==, 1);
  g_assert_cmpuint (search_hits (dir_a, "quokka9"), ==, 1);
  assert_same_leaves (topo, db, store_a, FALSE, 10);

  /* A fresh workspace gets the tombstones too. */
  store_b = mer_test_open_store (&dir_b);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, "--pull", NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 12);  /* two with a deleted branch */
  assert_same_leaves (topo, db, store_b, FALSE, 10);
  g_assert_cmpuint (count_pages (store_b), ==, 4);
}

/* The winner's revision and its live conflicts, on CouchDB and here. */
static void
assert_same_conflicts (Topology   *topo,
                       const char *db,
                       MerStore   *store,
                       const char *id,
                       guint       expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) mine = mer_store_get_doc (store, id, NULL, MER_GET_CONFLICTS, &error);
  g_autoptr(JsonObject) theirs = NULL;
  g_autofree char *my_conflicts = NULL;
  g_autofree char *their_conflicts = NULL;
  guint status = 0;

  g_assert_no_error (error);
  theirs = couch_get_doc (topo, db, id, "conflicts=true", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (theirs, "_rev"), ==, mer_json_get_string (mine, "_rev"));
  if (expected == 0)
    {
      g_assert_false (json_object_has_member (theirs, "_conflicts"));
      g_assert_true (!json_object_has_member (mine, "_conflicts")
                     || json_array_get_length (json_object_get_array_member (mine, "_conflicts")) == 0);
      return;
    }
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (theirs, "_conflicts")), ==, expected);
  my_conflicts = mer_json_canonical (json_object_get_member (mine, "_conflicts"));
  their_conflicts = mer_json_canonical (json_object_get_member (theirs, "_conflicts"));
  g_assert_cmpstr (my_conflicts, ==, their_conflicts);
}

/* The value of @field in both branches of a conflict on CouchDB, sorted. */
static char *
couch_branches (Topology   *topo,
                const char *db,
                const char *id,
                const char *field)
{
  guint status = 0;
  g_autoptr(JsonObject) winner = couch_get_doc (topo, db, id, "conflicts=true", &status);
  JsonArray *conflicts = json_object_get_array_member (winner, "_conflicts");
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (values, g_strdup (mer_json_get_string (winner, field)));
  for (guint i = 0; i < json_array_get_length (conflicts); i++)
    {
      g_autofree char *query = g_strdup_printf ("rev=%s", json_array_get_string_element (conflicts, i));
      g_autoptr(JsonObject) other = couch_get_doc (topo, db, id, query, &status);

      g_assert_cmpuint (status, ==, 200);
      g_ptr_array_add (values, g_strdup (mer_json_get_string (other, field)));
    }
  g_ptr_array_sort (values, compare_strp);
  g_ptr_array_add (values, NULL);
  return g_strjoinv ("|", (char **) values->pdata);
}

/*
 * The same document edited on CouchDB and here: both branches are kept on
 * both sides. A page whose edits do not overlap is merged as with any
 * peer, and the merge reaches CouchDB with the merged branch closed; the
 * others stay conflicts, on CouchDB as here.
 */
static void
test_conflicts (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "conflicts";
  g_autofree char *url = NULL;
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;
  g_autoptr(MerStore) store_a = NULL;
  g_autoptr(MerStore) store_b = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autofree char *clean_rev = NULL;
  g_autofree char *clash_rev = NULL;
  g_autofree char *person_rev = NULL;

  if (!have_couch (topo))
    return;
  make_db (topo, db);
  url = db_url (topo, 0, db);
  store_a = mer_test_open_store (&dir_a);
  clean_rev = put_page (store_a, "page:clean", NULL, "one\ntwo\nthree\nfour\nfive\n");
  clash_rev = put_page (store_a, "page:clash", NULL, "alpha\nbeta\ngamma\n");
  {
    g_autoptr(JsonObject) person = mer_test_object ("{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\","
                                                    "\"tz\":\"Europe/Lisbon\"}");
    g_autoptr(GError) error = NULL;

    person_rev = mer_store_put_doc (store_a, person, &error);
    g_assert_no_error (error);
  }
  summary = sync_json (dir_a, url, "--push", NULL);
  g_assert_cmpint (count (summary, "pushed"), ==, 3);

  /* The edits on CouchDB… */
  {
    g_autofree char *docs = g_strdup_printf (
      "[{\"_id\":\"page:clean\",\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"clean\",\"path\":\"clean\","
      "\"body\":\"one on couch\\ntwo\\nthree\\nfour\\nfive\\n\"},"
      "{\"_id\":\"page:clash\",\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"clash\",\"path\":\"clash\","
      "\"body\":\"alpha\\nbeta on couch\\ngamma\\n\"},"
      "{\"_id\":\"person:ana\",\"_rev\":\"%s\",\"type\":\"person\",\"name\":\"Ana (couch)\","
      "\"tz\":\"Europe/Lisbon\"}]", clean_rev, clash_rev, person_rev);

    couch_bulk (topo, db, docs);
  }
  /* …and here. */
  {
    g_autoptr(JsonObject) person = mer_test_object ("{\"_id\":\"person:ana\",\"type\":\"person\","
                                                    "\"name\":\"Ana (meridian)\",\"tz\":\"Europe/Lisbon\"}");
    g_autoptr(GError) error = NULL;
    g_autofree char *rev1 = put_page (store_a, "page:clean", clean_rev, "one\ntwo\nthree\nfour\nfive in meridian\n");
    g_autofree char *rev2 = put_page (store_a, "page:clash", clash_rev, "alpha\nbeta in meridian\ngamma\n");
    g_autofree char *rev3 = NULL;

    json_object_set_string_member (person, "_rev", person_rev);
    rev3 = mer_store_put_doc (store_a, person, &error);
    g_assert_no_error (error);
  }

  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "conflicts_merged"), ==, 1);
  g_assert_cmpint (count (summary, "conflicts_left"), ==, 2);

  /* The page whose edits do not overlap is merged, here and on CouchDB,
   * where the merged branch is kept, closed. */
  {
    g_autoptr(JsonObject) mine = mer_store_get_doc (store_a, "page:clean", NULL, MER_GET_DEFAULT, NULL);
    g_autoptr(JsonObject) theirs = NULL;
    guint status = 0;

    g_assert_cmpstr (mer_json_get_string (mine, "body"), ==, "one on couch\ntwo\nthree\nfour\nfive in meridian\n");
    assert_same_conflicts (topo, db, store_a, "page:clean", 0);
    theirs = couch_get_doc (topo, db, "page:clean", "deleted_conflicts=true", &status);
    g_assert_cmpstr (mer_json_get_string (theirs, "body"), ==, mer_json_get_string (mine, "body"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (theirs, "_deleted_conflicts")), ==, 1);
  }
  /* The overlapping page and the person keep both branches on both sides. */
  assert_same_conflicts (topo, db, store_a, "page:clash", 1);
  assert_same_conflicts (topo, db, store_a, "person:ana", 1);
  {
    g_autofree char *bodies = couch_branches (topo, db, "page:clash", "body");
    g_autofree char *names = couch_branches (topo, db, "person:ana", "name");

    g_assert_cmpstr (bodies, ==, "alpha\nbeta in meridian\ngamma\n|alpha\nbeta on couch\ngamma\n");
    g_assert_cmpstr (names, ==, "Ana (couch)|Ana (meridian)");
  }
  assert_same_leaves (topo, db, store_a, FALSE, 3);

  /* Nothing left to do: no merge goes back and forth. */
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "docs_written"), ==, 0);
  g_assert_cmpint (count (summary, "conflicts_merged"), ==, 0);

  /* Another workspace gets both branches, and the merge as it was made. */
  store_b = mer_test_open_store (&dir_b);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, NULL, NULL);
  g_assert_cmpint (count (summary, "conflicts_merged"), ==, 0);
  g_assert_cmpint (count (summary, "conflicts_left"), ==, 2);
  g_assert_cmpint (count (summary, "pushed"), ==, 0);
  assert_same_leaves (topo, db, store_b, FALSE, 3);
  assert_same_conflicts (topo, db, store_b, "page:clash", 1);
}

/* Meridian's checkpoint documents on CouchDB, by id. */
static GHashTable *
couch_checkpoints (Topology   *topo,
                   const char *db)
{
  GHashTable *found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);
  g_autofree char *path = g_strdup_printf ("/%s/_local_docs", db);
  guint status = 0;
  g_autoptr(JsonNode) answer = couch_http (topo, "GET", path, NULL, &status);
  JsonArray *rows;

  g_assert_cmpuint (status, ==, 200);
  rows = json_object_get_array_member (json_node_get_object (answer), "rows");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      const char *id = mer_json_get_string (json_array_get_object_element (rows, i), "id");
      g_autofree char *escaped = g_uri_escape_string (id + strlen ("_local/"), NULL, FALSE);
      g_autofree char *doc_path = g_strdup_printf ("/%s/_local/%s", db, escaped);
      g_autoptr(JsonNode) doc = couch_http (topo, "GET", doc_path, NULL, &status);

      g_assert_cmpuint (status, ==, 200);
      if (g_strcmp0 (mer_json_get_string (json_node_get_object (doc), "replicator"), "meridian") == 0)
        g_hash_table_insert (found, g_strdup (id), json_object_ref (json_node_get_object (doc)));
    }
  return found;
}

/* Both checkpoints (pull and push) are on both sides and say the same. */
static void
assert_checkpoints_both_sides (Topology   *topo,
                               const char *db,
                               MerStore   *store)
{
  g_autoptr(GHashTable) theirs = couch_checkpoints (topo, db);
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpuint (g_hash_table_size (theirs), ==, 2);
  g_hash_table_iter_init (&iter, theirs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) mine = mer_store_get_local (store, key, &error);
      g_autofree char *my_seq = NULL;
      g_autofree char *their_seq = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (mer_json_get_string (mine, "session_id"), ==, mer_json_get_string (value, "session_id"));
      my_seq = mer_json_canonical (json_object_get_member (mine, "last_seq"));
      their_seq = mer_json_canonical (json_object_get_member (value, "last_seq"));
      g_assert_cmpstr (my_seq, ==, their_seq);
      g_test_message ("checkpoint %s at %s", (char *) key, my_seq);
    }
}

/*
 * Sequences are opaque: through the proxy, CouchDB's are replaced by
 * strings full of characters to escape, arrays, objects and numbers, and
 * the client only ever sends back one it was given, also from its
 * checkpoints in a new process.
 */
static void
test_opaque_seqs (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "opaque";
  g_autofree char *url = NULL;
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;
  g_autoptr(MerStore) store_a = NULL;
  g_autoptr(MerStore) store_b = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(GHashTable) checkpoints = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint odd = 0;
  Proxy *proxy;

  if (!have_couch (topo))
    return;
  make_db (topo, db);
  couch_pages (topo, db, "c", 60);
  store_a = mer_test_open_store (&dir_a);
  local_pages (store_a, "m", 40);
  proxy = proxy_start (topo, TRUE);
  url = db_url (topo, proxy->port, db);

  summary = sync_json (dir_a, url, "--batch-size=7", NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 60);
  g_assert_cmpint (count (summary, "pushed"), ==, 40);
  store_b = mer_test_open_store (&dir_b);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, "--pull", "--batch-size=9");
  g_assert_cmpint (count (summary, "pulled"), ==, 100);

  /* The checkpoints on CouchDB hold the odd values as they were sent. */
  checkpoints = couch_checkpoints (topo, db);
  g_hash_table_iter_init (&iter, checkpoints);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *token = token_key (json_object_get_member (value, "last_seq"));

      if (g_hash_table_contains (proxy->real_seqs, token))
        odd++;
    }
  g_assert_cmpuint (odd, ==, 2);  /* the pulls of each workspace */

  /* A new process resumes from one of them, and has nothing to fetch. */
  proxy_clear_log (proxy);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, "--pull", NULL);
  g_assert_cmpint (count (summary, "changes_fetched"), ==, 0);
  g_assert_cmpint (count (summary, "docs_read"), ==, 0);
  g_assert_cmpuint (proxy_count (proxy, "/_changes?"), ==, 1);
  g_assert_cmpuint (proxy_count (proxy, "since=0&"), ==, 0);

  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->unknown->len; i++)
    g_test_message ("a since never handed out: %s", (char *) proxy->unknown->pdata[i]);
  g_assert_cmpuint (proxy->unknown->len, ==, 0);
  g_assert_cmpuint (proxy->since_back, >=, 5);
  g_assert_cmpuint (proxy->kinds_back, ==, (1 << N_SEQ_KINDS) - 1);
  g_mutex_unlock (&proxy->lock);
  proxy_stop (proxy);

  assert_same_leaves (topo, db, store_a, FALSE, 100);
  assert_same_leaves (topo, db, store_b, FALSE, 100);
}

/* Stops every node and starts it again on its data; waits until @db answers. */
static void
restart_couch (Topology   *topo,
               const char *db)
{
  g_autofree char *path = g_strdup_printf ("/%s", db);

  for (guint n = 0; n < topo->n_nodes; n++)
    mer_test_couch_kill_node (topo->couch, n, SIGTERM);
  for (guint n = 0; n < topo->n_nodes; n++)
    mer_test_couch_restart_node (topo->couch, n);
  for (guint attempt = 0;; attempt++)
    {
      guint status = 0;
      g_autoptr(JsonNode) info = couch_http (topo, "GET", path, NULL, &status);
      g_autoptr(JsonNode) membership = couch_http (topo, "GET", "/_membership", NULL, &status);
      JsonArray *nodes = json_object_get_array_member (json_node_get_object (membership), "all_nodes");

      if (status == 200 && json_array_get_length (nodes) == topo->n_nodes)
        {
          g_autoptr(JsonNode) again = couch_http (topo, "GET", path, NULL, &status);

          if (status == 200)
            break;
        }
      g_assert_cmpuint (attempt, <, 300);
      g_usleep (100 * 1000);
    }
}

/*
 * Checkpoints survive restarts on both sides: after CouchDB is stopped and
 * started again, a new `meridian sync` transfers nothing, and makes no
 * request that would (counted through the proxy).
 */
static void
test_checkpoints (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "checkpoints";
  g_autofree char *url = NULL;
  g_autofree char *proxy_url = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(JsonObject) summary = NULL;
  Proxy *proxy;

  if (!have_couch (topo))
    return;
  make_db (topo, db);
  url = db_url (topo, 0, db);
  couch_pages (topo, db, "c", 50);
  store = mer_test_open_store (&dir);
  local_pages (store, "m", 50);

  summary = sync_json (dir, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 50);
  g_assert_cmpint (count (summary, "pushed"), ==, 50);
  /* The pull sees the pages the push sent, and fetches none of them. */
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir, url, NULL, NULL);
  g_assert_cmpint (count (summary, "docs_read"), ==, 0);
  g_assert_cmpint (count (summary, "docs_written"), ==, 0);
  assert_checkpoints_both_sides (topo, db, store);

  restart_couch (topo, db);
  assert_checkpoints_both_sides (topo, db, store);

  proxy = proxy_start (topo, FALSE);
  proxy_url = db_url (topo, proxy->port, db);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir, proxy_url, NULL, NULL);
  g_assert_cmpint (count (summary, "changes_fetched"), ==, 0);
  g_assert_cmpint (count (summary, "docs_read"), ==, 0);
  g_assert_cmpint (count (summary, "docs_written"), ==, 0);
  g_test_message ("a sync with nothing to do after the restart: %u requests", proxy_count (proxy, " /"));
  g_assert_cmpuint (proxy_count (proxy, "/_changes?"), ==, 1);
  g_assert_cmpuint (proxy_count (proxy, "since=0&"), ==, 0);
  g_assert_cmpuint (proxy_count (proxy, "_revs_diff"), ==, 0);
  g_assert_cmpuint (proxy_count (proxy, "_bulk_get"), ==, 0);
  g_assert_cmpuint (proxy_count (proxy, "_bulk_docs"), ==, 0);
  g_assert_cmpuint (proxy_count (proxy, "PUT "), ==, 0);

  /* One new page on each side: exactly those move. */
  couch_pages (topo, db, "n", 1);
  {
    g_autofree char *rev = put_page (store, "page:after-restart", NULL, "new\n");
  }
  proxy_clear_log (proxy);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir, proxy_url, NULL, NULL);
  g_assert_cmpint (count (summary, "changes_fetched"), ==, 1);
  g_assert_cmpint (count (summary, "pulled"), ==, 1);
  g_assert_cmpint (count (summary, "pushed"), ==, 1);
  g_assert_cmpuint (proxy_count (proxy, "since=0&"), ==, 0);
  g_assert_cmpuint (proxy_count (proxy, "_bulk_get"), ==, 1);
  g_assert_cmpuint (proxy_count (proxy, "_bulk_docs"), ==, 1);
  proxy_stop (proxy);
  assert_same_leaves (topo, db, store, FALSE, 102);
  assert_checkpoints_both_sides (topo, db, store);

  /* Any node of a cluster serves the database, and takes the same
   * checkpoints up: only the row of the page pushed last is read again. */
  if (topo->n_nodes > 1)
    {
      g_autofree char *other_node = g_strdup_printf ("http://admin:secret@127.0.0.1:%u/%s",
                                                     topo->couch->nodes[2].port, db);

      g_clear_pointer (&summary, json_object_unref);
      summary = sync_json (dir, other_node, NULL, NULL);
      g_assert_cmpint (count (summary, "changes_fetched"), <=, 1);
      g_assert_cmpint (count (summary, "docs_read"), ==, 0);
      g_assert_cmpint (count (summary, "docs_written"), ==, 0);
    }
}

/*
 * The request that writes the checkpoint of one direction on CouchDB:
 * the push's is the one whose last_seq is this replica's (a number).
 */
static char *
checkpoint_put (MerStore   *store,
                const char *db,
                gboolean    push)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = mer_store_list_local (store, "_local/", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);
      JsonNode *seq = json_object_get_member (doc, "last_seq");
      const char *id = mer_json_get_string (doc, "_id");

      if (g_strcmp0 (mer_json_get_string (doc, "replicator"), "meridian") == 0 && seq != NULL
          && (JSON_NODE_HOLDS_VALUE (seq) && json_node_get_value_type (seq) == G_TYPE_INT64) == push)
        return g_strdup_printf ("PUT /%s/%s", db, id);  /* as the proxy logs it: '=' unescaped */
    }
  g_assert_not_reached ();
}

/* Waits until a request with @after has come after the last one with @before. */
static gboolean
wait_request_after (Proxy      *proxy,
                    const char *before,
                    const char *after)
{
  for (guint attempt = 0; attempt < 600; attempt++)
    {
      if (proxy_last_index (proxy, after) > proxy_last_index (proxy, before))
        return TRUE;
      g_usleep (20 * 1000);
    }
  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->requests->len; i++)
    g_test_message ("request %u: %s", i, (char *) proxy->requests->pdata[i]);
  g_mutex_unlock (&proxy->lock);
  return FALSE;
}

static gboolean
wait_local (MerStore   *store,
            const char *id,
            gboolean    present)
{
  for (guint attempt = 0; attempt < 600; attempt++)
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);

      if ((doc != NULL) == present)
        return TRUE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

static gboolean
wait_couch (Topology   *topo,
            const char *db,
            const char *id)
{
  for (guint attempt = 0; attempt < 600; attempt++)
    {
      guint status = 0;
      g_autoptr(JsonObject) doc = couch_get_doc (topo, db, id, NULL, &status);

      if (status == 200)
        return TRUE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

static void
die_with_parent (gpointer unused)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

typedef struct
{
  gboolean  done;
  gboolean  timed_out;
  char     *out;
} ChildEnd;

static void
child_ended_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ChildEnd *end = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &end->out, NULL, NULL);
  end->done = TRUE;
}

static gboolean
child_timeout_cb (gpointer user_data)
{
  ((ChildEnd *) user_data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/*
 * `meridian sync --continuous` as a person runs it: a page written on
 * CouchDB arrives here, one written here arrives there, a deletion on
 * CouchDB too, each within a bounded wait, also after CouchDB restarted
 * under it; SIGTERM ends it cleanly, with its summary and its checkpoints
 * written.
 */
static void
test_continuous (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "continuous";
  g_autofree char *url = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  ChildEnd end = { FALSE, FALSE, NULL };
  g_autofree char *proxy_url = NULL;
  g_autofree char *pull_put = NULL;
  g_autofree char *push_put = NULL;
  guint timeout_id;
  gint64 start;
  Proxy *proxy;

  if (!have_couch (topo))
    return;
  url = db_url (topo, 0, db);
  store = mer_test_open_store (&dir);
  local_pages (store, "m", 5);

  /* Through a proxy, which will hold the last checkpoints a while. The
   * database does not exist yet: a sync both ways creates it. */
  proxy = proxy_start (topo, FALSE);
  proxy_url = db_url (topo, proxy->port, db);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  child = g_subprocess_launcher_spawn (launcher, &error, mer_test_meridian_bin (), "--data", dir,
                                       "sync", "--continuous", "--json", proxy_url, NULL);
  g_assert_no_error (error);

  g_assert_true (wait_couch (topo, db, "page:m004"));
  couch_pages (topo, db, "c", 5);
  g_assert_true (wait_local (store, "page:c004", TRUE));

  start = g_get_monotonic_time ();
  couch_pages (topo, db, "live", 1);
  g_assert_true (wait_local (store, "page:live000", TRUE));
  g_test_message ("CouchDB to here: %.2f s", (g_get_monotonic_time () - start) / 1e6);

  start = g_get_monotonic_time ();
  {
    g_autofree char *rev = put_page (store, "page:from-meridian", NULL, "Written during a continuous sync.\n");
  }
  g_assert_true (wait_couch (topo, db, "page:from-meridian"));
  g_test_message ("here to CouchDB: %.2f s", (g_get_monotonic_time () - start) / 1e6);

  /* CouchDB stops and starts again under the running sync, which goes
   * on once it is back. */
  restart_couch (topo, db);
  start = g_get_monotonic_time ();
  couch_pages (topo, db, "after", 1);
  {
    g_autofree char *rev = put_page (store, "page:after-restart", NULL, "Written while CouchDB restarted.\n");
  }
  g_assert_true (wait_local (store, "page:after000", TRUE));
  g_assert_true (wait_couch (topo, db, "page:after-restart"));
  g_test_message ("both ways after CouchDB's restart: %.2f s", (g_get_monotonic_time () - start) / 1e6);

  /* A deletion there and a page here at once, and a stop as soon as
   * both have arrived: while their checkpoints are still on the way. */
  g_atomic_int_set (&proxy->hold_ms, 1500);
  couch_delete (topo, db, "page:c000");
  {
    g_autofree char *rev = put_page (store, "page:last", NULL, "Written just before the stop.\n");
  }
  g_assert_true (wait_local (store, "page:c000", FALSE));
  g_assert_true (wait_couch (topo, db, "page:last"));
  /* CouchDB holds the page before its answer reaches the sync: wait
   * until each direction has begun its checkpoint after its last write. */
  pull_put = checkpoint_put (store, db, FALSE);
  push_put = checkpoint_put (store, db, TRUE);
  g_assert_true (wait_request_after (proxy, "/_bulk_get", pull_put));
  g_assert_true (wait_request_after (proxy, "/_bulk_docs", push_put));

  g_subprocess_send_signal (child, SIGTERM);
  g_subprocess_communicate_utf8_async (child, NULL, NULL, child_ended_cb, &end);
  timeout_id = g_timeout_add_seconds (60, child_timeout_cb, &end);
  while (!end.done && !end.timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (end.timed_out);
  g_source_remove (timeout_id);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (child));
  g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 0);
  summary = mer_json_parse_object (end.out, -1, &error);
  g_assert_no_error (error);
  g_free (end.out);
  /* Every document moved is counted, the last ones too. */
  g_assert_cmpint (count (summary, "pulled"), ==, 8);
  g_assert_cmpint (count (summary, "pushed"), ==, 8);
  proxy_stop (proxy);

  /* It left its checkpoints: a one-shot sync has nothing to move. */
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir, url, NULL, NULL);
  g_assert_cmpint (count (summary, "docs_read"), ==, 0);
  g_assert_cmpint (count (summary, "docs_written"), ==, 0);
  assert_same_leaves (topo, db, store, FALSE, 15);
}

/*
 * A cluster with one node stopped still takes a push and serves a pull in
 * full (CouchDB answers 202 where it could not write every copy), and the
 * node catches up once started again.
 */
static void
test_node_down (gconstpointer data)
{
  Topology *topo = (Topology *) data;
  const char *db = "node-down";
  g_autofree char *url = NULL;
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;
  g_autoptr(MerStore) store_a = NULL;
  g_autoptr(MerStore) store_b = NULL;
  g_autoptr(JsonObject) summary = NULL;

  if (!have_couch (topo))
    return;
  make_db (topo, db);
  url = db_url (topo, 0, db);
  couch_pages (topo, db, "c", 30);
  store_a = mer_test_open_store (&dir_a);
  local_pages (store_a, "m", 30);

  mer_test_couch_kill_node (topo->couch, 2, SIGKILL);
  summary = sync_json (dir_a, url, NULL, NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 30);
  g_assert_cmpint (count (summary, "pushed"), ==, 30);
  store_b = mer_test_open_store (&dir_b);
  g_clear_pointer (&summary, json_object_unref);
  summary = sync_json (dir_b, url, "--pull", NULL);
  g_assert_cmpint (count (summary, "pulled"), ==, 60);
  assert_same_leaves (topo, db, store_b, FALSE, 60);

  /* Back: it serves the whole database, checkpoints too. */
  mer_test_couch_restart_node (topo->couch, 2);
  {
    g_autofree char *other_node = g_strdup_printf ("http://admin:secret@127.0.0.1:%u/%s",
                                                   topo->couch->nodes[2].port, db);

    for (guint attempt = 0;; attempt++)
      {
        g_autofree char *path = g_strdup_printf ("/%s", db);
        guint status = 0;
        g_autoptr(JsonNode) info = mer_test_couch_request (topo->couch, 2, "GET", path, "admin", "secret",
                                                           NULL, &status);

        if (status == 200)
          break;
        g_assert_cmpuint (attempt, <, 300);
        g_usleep (100 * 1000);
      }
    g_clear_pointer (&summary, json_object_unref);
    summary = sync_json (dir_b, other_node, NULL, NULL);
    g_assert_cmpint (count (summary, "docs_read"), ==, 0);
    g_assert_cmpint (count (summary, "docs_written"), ==, 0);
  }
}

int
main (int    argc,
      char **argv)
{
  static const struct
  {
    const char   *name;
    GTestDataFunc func;
  } cases[] = {
    { "push-pull", test_push_pull },
    { "deletions", test_deletions },
    { "conflicts", test_conflicts },
    { "opaque-seqs", test_opaque_seqs },
    { "continuous", test_continuous },
    { "checkpoints-restart", test_checkpoints },
  };
  int result;

  mer_test_init (&argc, &argv);
  for (guint t = 0; t < G_N_ELEMENTS (topologies); t++)
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/couch-replication/%s/%s", topologies[t].name, cases[i].name);

        g_test_add_data_func (path, &topologies[t], cases[i].func);
      }
  g_test_add_data_func ("/couch-replication/cluster/node-down", &topologies[1], test_node_down);
  result = g_test_run ();
  for (guint t = 0; t < G_N_ELEMENTS (topologies); t++)
    g_clear_pointer (&topologies[t].couch, mer_test_couch_stop);
  return result;
}
