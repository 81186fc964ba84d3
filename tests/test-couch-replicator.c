/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Apache CouchDB's own replicator with `meridian serve` as the other end:
 * _replicator documents on a real CouchDB node that pull from serve and
 * push into it, once and continuously, with design documents among the
 * hub's documents, documents one side refuses, and checkpoints. serve
 * runs as its own process on a free loopback port with one account, whose
 * credentials CouchDB takes from the URLs in the _replicator documents.
 * Its request log (G_MESSAGES_DEBUG=meridian-sync) is kept beside its
 * workspace, for reading when a case fails.
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-test-couch.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define WAIT_MS          (120 * 1000)
/* A row of a continuous feed reaches the other side in well under a
 * second; CouchDB restarts a feed it has stopped reading after 30 s. */
#define ARRIVE_MS        (15 * 1000)

static MerTestCouch *couch;

typedef struct
{
  GSubprocess *process;
  char        *dir;
  char        *url;        /* http://127.0.0.1:PORT/handbook */
  char        *auth_url;   /* the same with ana's credentials */
} Served;

static gboolean
have_couch (void)
{
  if (couch != NULL)
    return TRUE;
  if (!mer_test_couch_available ())
    return FALSE;
  couch = mer_test_couch_start (1);
  return TRUE;
}

/* One HTTP request with Basic credentials; returns the JSON answer. */
static JsonNode *
request_url (const char *url,
             const char *user,
             const char *password,
             const char *method,
             const char *body,
             guint      *status)
{
  static SoupSession *session;
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pair = g_strdup_printf ("%s:%s", user, password);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  g_autofree char *auth = g_strconcat ("Basic ", encoded, NULL);
  JsonNode *node;
  gsize size;
  const char *data;

  if (session == NULL)
    session = soup_session_new_with_options ("timeout", 120, NULL);
  g_assert_nonnull (msg);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  data = g_bytes_get_data (answer, &size);
  node = mer_json_parse (data, (gssize) size, NULL);
  if (node == NULL)
    g_error ("%s %s -> %u, not JSON: %.*s", method, url, *status, (int) MIN (size, 300), data);
  return node;
}

/* A request to the CouchDB node as its admin. */
static JsonNode *
couch_request (const char *method,
               const char *path,
               const char *body,
               guint      *status)
{
  return mer_test_couch_request (couch, 0, method, path, "admin", "secret", body, status);
}

/* A request to serve as ana; @path follows the database URL. */
static JsonNode *
serve_request (Served     *served,
               const char *method,
               const char *path,
               const char *body,
               guint      *status)
{
  g_autofree char *url = g_strconcat (served->url, path, NULL);

  return request_url (url, "ana", "ana-pw", method, body, status);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/*
 * A workspace with the account ana (rw), and @n_pages pages written into
 * it before serve starts; serve then runs on it on a free port.
 */
static void
serve_start (Served *served,
             guint   n_pages)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *log = NULL;
  const char *prefix = "Serving handbook at ";

  {
    g_autoptr(MerStore) store = mer_test_open_store (&served->dir);
    g_autoptr(MerAccounts) accounts = mer_accounts_new (served->dir);

    g_assert_true (mer_accounts_add (accounts, "ana", "ana-pw", MER_ROLE_RW, NULL, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < n_pages; i++)
      {
        g_autofree char *json = g_strdup_printf ("{\"_id\":\"page:s%04u\",\"type\":\"page\",\"title\":\"Served %u\","
                                                 "\"path\":\"served/%u\",\"body\":\"Page %u, from serve.\"}",
                                                 i, i, i, i);
        g_autoptr(JsonObject) doc = mer_test_object (json);
        g_autofree char *rev = mer_store_put_doc (store, doc, &error);

        g_assert_no_error (error);
      }
  }

  log = g_build_filename (served->dir, "serve.log", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "meridian-sync", TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  served->process = g_subprocess_launcher_spawn (launcher, &error, mer_test_meridian_bin (), "--data",
                                                 served->dir, "serve", "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  for (guint attempt = 0; served->url == NULL; attempt++)
    {
      g_autofree char *text = NULL;
      char *end;

      g_assert_cmpuint (attempt, <, 200);
      g_usleep (50 * 1000);
      if (!g_file_get_contents (log, &text, NULL, NULL) || (end = strchr (text, '\n')) == NULL)
        continue;
      *end = '\0';
      g_assert_true (g_str_has_prefix (text, prefix));
      served->url = g_strdup (text + strlen (prefix));
    }
  g_assert_true (g_str_has_prefix (served->url, "http://127.0.0.1:"));
  served->auth_url = g_strconcat ("http://ana:ana-pw@", served->url + strlen ("http://"), NULL);
  g_test_message ("serve at %s, its log in %s", served->url, log);
}

static void
serve_stop (Served *served)
{
  g_subprocess_send_signal (served->process, SIGTERM);
  g_assert_true (g_subprocess_wait (served->process, NULL, NULL));
  g_clear_object (&served->process);
  g_clear_pointer (&served->dir, g_free);
  g_clear_pointer (&served->url, g_free);
  g_clear_pointer (&served->auth_url, g_free);
}

/* A CouchDB database URL with the admin's credentials, for _replicator. */
static char *
couch_db_url (const char *db)
{
  g_autofree char *path = g_strconcat ("/", db, NULL);

  return mer_test_couch_url (couch, 0, "admin", "secret", path);
}

static void
couch_create_db (const char *db)
{
  g_autofree char *path = g_strconcat ("/", db, NULL);
  guint status = 0;
  g_autoptr(JsonNode) answer = couch_request ("PUT", path, NULL, &status);

  g_assert_cmpuint (status, ==, 201);
}

/* Writes pages FIRST…FIRST+N-1 named PREFIX into CouchDB's @db in one request. */
static void
couch_put_pages (const char *db,
                 const char *prefix,
                 guint       first,
                 guint       n)
{
  g_autoptr(GString) body = g_string_new ("{\"docs\":[");
  g_autofree char *path = g_strdup_printf ("/%s/_bulk_docs", db);
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  for (guint i = first; i < first + n; i++)
    g_string_append_printf (body, "%s{\"_id\":\"page:%s%04u\",\"type\":\"page\",\"title\":\"Hub %u\","
                            "\"path\":\"hub/%u\",\"body\":\"Page %u, from the hub.\"}",
                            i > first ? "," : "", prefix, i, i, i, i);
  g_string_append (body, "]}");
  answer = couch_request ("POST", path, body->str, &status);
  g_assert_cmpuint (status, ==, 201);
}

/* PUT one document into CouchDB's @db; returns its new revision. */
static char *
couch_put (const char *db,
           const char *id,
           const char *json)
{
  g_autofree char *path = g_strdup_printf ("/%s/%s", db, id);
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  answer = couch_request ("PUT", path, json, &status);
  g_assert_cmpuint (status, ==, 201);
  return g_strdup (mer_json_get_string (json_node_get_object (answer), "rev"));
}

/*
 * Starts a replication with a _replicator document @doc_id from @source to
 * @target (URLs with credentials); @extra adds members (",\"x\":1").
 */
static void
replicate (const char *doc_id,
           const char *source,
           const char *target,
           const char *extra)
{
  g_autofree char *path = g_strconcat ("/_replicator/", doc_id, NULL);
  g_autofree char *body = g_strdup_printf ("{\"source\":\"%s\",\"target\":\"%s\"%s}", source, target,
                                           extra != NULL ? extra : "");
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  answer = couch_request ("PUT", path, body, &status);
  g_assert_cmpuint (status, ==, 201);
}

/* Stops a replication by deleting its _replicator document. */
static void
stop_replication (const char *doc_id)
{
  g_autofree char *path = g_strconcat ("/_replicator/", doc_id, NULL);
  g_autoptr(JsonNode) doc = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *delete_path = NULL;
  guint status = 0;

  doc = couch_request ("GET", path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  delete_path = g_strdup_printf ("%s?rev=%s", path, mer_json_get_string (json_node_get_object (doc), "_rev"));
  answer = couch_request ("DELETE", delete_path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
}

/*
 * Waits until CouchDB's scheduler reports @state ("completed", "running")
 * for the replication of @doc_id; returns its report. A replication that
 * fails for good fails the test with CouchDB's reason.
 */
static JsonObject *
wait_state (const char *doc_id,
            const char *state)
{
  g_autofree char *path = g_strconcat ("/_scheduler/docs/_replicator/", doc_id, NULL);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonNode) answer = NULL;
      guint status = 0;
      const char *now;

      answer = couch_request ("GET", path, NULL, &status);
      if (status == 200)
        {
          now = mer_json_get_string (json_node_get_object (answer), "state");
          if (g_strcmp0 (now, state) == 0)
            return json_object_ref (json_node_get_object (answer));
          if (g_strcmp0 (now, "failed") == 0)
            {
              g_autofree char *text = mer_json_to_string (answer, FALSE);
              g_error ("replication %s failed: %s", doc_id, text);
            }
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200 * 1000);
    }
}

static gint64
info_int (JsonObject *report,
          const char *name)
{
  JsonObject *info = json_object_get_object_member (report, "info");

  g_assert_nonnull (info);
  g_assert_true (json_object_has_member (info, name));
  return json_object_get_int_member (info, name);
}

/* id -> rev of the documents _all_docs lists at @url (design ones left out). */
static GHashTable *
all_docs (const char *url,
          const char *user,
          const char *password)
{
  g_autofree char *all = g_strconcat (url, "/_all_docs?limit=100000", NULL);
  g_autoptr(JsonNode) answer = NULL;
  GHashTable *revs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *rows;
  guint status = 0;

  answer = request_url (all, user, password, "GET", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  rows = json_object_get_array_member (json_node_get_object (answer), "rows");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *id = mer_json_get_string (row, "id");

      if (g_str_has_prefix (id, "_design/"))
        continue;
      g_hash_table_insert (revs, g_strdup (id),
                           g_strdup (mer_json_get_string (json_object_get_object_member (row, "value"), "rev")));
    }
  return revs;
}

/* Asserts that CouchDB's @db and serve hold the same documents at the same revisions. */
static void
assert_converged (const char *db,
                  Served     *served,
                  guint       expected)
{
  g_autofree char *db_url = mer_test_couch_url (couch, 0, NULL, NULL, NULL);
  g_autofree char *couch_url = g_strdup_printf ("%s/%s", db_url, db);
  g_autoptr(GHashTable) hub = all_docs (couch_url, "admin", "secret");
  g_autoptr(GHashTable) replica = all_docs (served->url, "ana", "ana-pw");
  GHashTableIter iter;
  gpointer id, rev;

  g_assert_cmpuint (g_hash_table_size (hub), ==, expected);
  g_assert_cmpuint (g_hash_table_size (replica), ==, expected);
  g_hash_table_iter_init (&iter, hub);
  while (g_hash_table_iter_next (&iter, &id, &rev))
    g_assert_cmpstr (g_hash_table_lookup (replica, id), ==, rev);
}

/* Waits until GET @url answers @want_status (200 or 404). */
static void
wait_for_doc (const char *url,
              const char *user,
              const char *password,
              guint       want_status)
{
  gint64 deadline = g_get_monotonic_time () + ARRIVE_MS * 1000;

  for (;;)
    {
      guint status = 0;
      g_autoptr(JsonNode) answer = request_url (url, user, password, "GET", NULL, &status);

      if (status == want_status)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not arrive within %d s (%u)", url, ARRIVE_MS / 1000, status);
      g_usleep (50 * 1000);
    }
}

/*
 * A hub database with design documents among its pages (a validating one,
 * like `meridian hub setup` writes, and one with a view), in different
 * batches of CouchDB's replicator (500 documents each). Pushed into serve
 * by CouchDB's replicator, every page arrives and the replication
 * completes without a failed write: serve's _revs_diff never asks for a
 * design document. Asked directly, each endpoint answers the design
 * documents on their own and serves the others.
 */
static void
test_design_docs (void)
{
  Served served = { 0 };
  g_autofree char *source = NULL;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *text = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  serve_start (&served, 0);
  couch_create_db ("designs");
  couch_put_pages ("designs", "a", 0, 300);
  g_free (couch_put ("designs", "_design/meridian",
                     "{\"language\":\"javascript\",\"validate_doc_update\":"
                     "\"function (doc, old, user) { if (doc.type === 'nothing') throw ({forbidden: 'no'}); }\"}"));
  g_free (couch_put ("designs", "_design/views",
                     "{\"views\":{\"by_path\":{\"map\":\"function (doc) { emit (doc.path, null); }\"}}}"));
  couch_put_pages ("designs", "b", 300, 400);
  g_free (couch_put ("designs", "_design/last", "{\"views\":{}}"));

  source = couch_db_url ("designs");
  replicate ("designs-in", source, served.auth_url, NULL);
  report = wait_state ("designs-in", "completed");
  g_assert_cmpint (info_int (report, "docs_written"), ==, 700);
  g_assert_cmpint (info_int (report, "doc_write_failures"), ==, 0);
  assert_converged ("designs", &served, 700);
  answer = serve_request (&served, "GET", "/_design/meridian", NULL, &status);
  g_assert_cmpuint (status, ==, 403);

  /* _revs_diff: the design documents are left out of the answer. */
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "POST", "/_revs_diff",
                          "{\"_design/meridian\":[\"1-0123456789abcdef0123456789abcdef\"],"
                          "\"page:new\":[\"1-0123456789abcdef0123456789abcdef\"]}", &status);
  g_assert_cmpuint (status, ==, 200);
  text = mer_json_to_string (answer, FALSE);
  g_assert_cmpstr (text, ==, "{\"page:new\":{\"missing\":[\"1-0123456789abcdef0123456789abcdef\"]}}");

  /* _bulk_get: a row of its own. */
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "POST", "/_bulk_get?revs=true",
                          "{\"docs\":[{\"id\":\"_design/meridian\"},{\"id\":\"page:a0000\"}]}", &status);
  g_assert_cmpuint (status, ==, 200);
  {
    JsonArray *results = json_object_get_array_member (json_node_get_object (answer), "results");
    JsonObject *design = json_array_get_object_element (results, 0);
    JsonObject *page = json_array_get_object_element (results, 1);
    JsonObject *error = json_object_get_object_member (
      json_array_get_object_element (json_object_get_array_member (design, "docs"), 0), "error");
    JsonObject *ok = json_object_get_object_member (
      json_array_get_object_element (json_object_get_array_member (page, "docs"), 0), "ok");

    g_assert_cmpstr (mer_json_get_string (design, "id"), ==, "_design/meridian");
    g_assert_cmpstr (mer_json_get_string (error, "error"), ==, "forbidden");
    g_assert_cmpstr (mer_json_get_string (ok, "_id"), ==, "page:a0000");
  }

  /* _bulk_docs: the design document is refused, the page stored. */
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "POST", "/_bulk_docs",
                          "{\"new_edits\":false,\"docs\":["
                          "{\"_id\":\"_design/x\",\"_rev\":\"1-0123456789abcdef0123456789abcdef\",\"views\":{}},"
                          "{\"_id\":\"page:beside\",\"_rev\":\"1-0123456789abcdef0123456789abcdef\","
                          "\"type\":\"page\",\"title\":\"B\",\"path\":\"b\",\"body\":\"b\"}]}", &status);
  g_assert_cmpuint (status, ==, 201);
  {
    JsonArray *rows = json_node_get_array (answer);

    g_assert_cmpuint (json_array_get_length (rows), ==, 1);
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (rows, 0), "id"), ==, "_design/x");
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (rows, 0), "error"), ==, "forbidden");
  }
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "GET", "/page:beside", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  serve_stop (&served);
}

/* A _replicator document on CouchDB pulls serve's workspace once. */
static void
test_pull_once (void)
{
  Served served = { 0 };
  g_autofree char *target = NULL;
  g_autofree char *rev = NULL;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  serve_start (&served, 250);
  /* A page with a history, and one deleted. */
  answer = serve_request (&served, "GET", "/page:s0001", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"Served 1\","
                                               "\"path\":\"served/1\",\"body\":\"Edit %u\"}",
                                               mer_json_get_string (json_node_get_object (answer), "_rev"), i);
      g_autoptr(JsonNode) put = serve_request (&served, "PUT", "/page:s0001", body, &status);

      g_assert_cmpuint (status, ==, 201);
      g_clear_pointer (&answer, json_node_unref);
      answer = serve_request (&served, "GET", "/page:s0001", NULL, &status);
    }
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "GET", "/page:s0002", NULL, &status);
  rev = g_strdup_printf ("/page:s0002?rev=%s", mer_json_get_string (json_node_get_object (answer), "_rev"));
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "DELETE", rev, NULL, &status);
  g_assert_cmpuint (status, ==, 200);

  target = couch_db_url ("pulled");
  replicate ("pull-once", served.auth_url, target, ",\"create_target\":true");
  report = wait_state ("pull-once", "completed");
  g_assert_cmpint (info_int (report, "doc_write_failures"), ==, 0);
  g_assert_cmpint (info_int (report, "docs_written"), ==, 250);
  assert_converged ("pulled", &served, 249);
  g_clear_pointer (&answer, json_node_unref);
  answer = couch_request ("GET", "/pulled/page:s0001", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "body"), ==, "Edit 1");
  g_assert_true (g_str_has_prefix (mer_json_get_string (json_node_get_object (answer), "_rev"), "3-"));
  g_clear_pointer (&answer, json_node_unref);
  answer = couch_request ("GET", "/pulled/page:s0002", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "reason"), ==, "deleted");
  serve_stop (&served);
}

/* A _replicator document on CouchDB pushes a database into serve once. */
static void
test_push_once (void)
{
  Served served = { 0 };
  g_autofree char *source = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  serve_start (&served, 0);
  couch_create_db ("pushed");
  couch_put_pages ("pushed", "p", 0, 250);
  /* A page with a history, and one deleted. */
  rev = couch_put ("pushed", "page:edited",
                   "{\"type\":\"page\",\"title\":\"E\",\"path\":\"e\",\"body\":\"one\"}");
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"E\","
                                               "\"path\":\"e\",\"body\":\"edit %u\"}", rev, i);
      g_free (rev);
      rev = couch_put ("pushed", "page:edited", body);
    }
  answer = couch_request ("GET", "/pushed/page:p0003", NULL, &status);
  path = g_strdup_printf ("/pushed/page:p0003?rev=%s", mer_json_get_string (json_node_get_object (answer), "_rev"));
  g_clear_pointer (&answer, json_node_unref);
  answer = couch_request ("DELETE", path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);

  source = couch_db_url ("pushed");
  replicate ("push-once", source, served.auth_url, NULL);
  report = wait_state ("push-once", "completed");
  g_assert_cmpint (info_int (report, "doc_write_failures"), ==, 0);
  g_assert_cmpint (info_int (report, "docs_written"), ==, 251);
  assert_converged ("pushed", &served, 250);
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "GET", "/page:edited", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "_rev"), ==, rev);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "body"), ==, "edit 1");
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "GET", "/page:p0003", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  serve_stop (&served);
}

/*
 * Continuous replications both ways: a page written on either side
 * arrives on the other, again and again, each well before CouchDB would
 * give up on a feed it stopped reading (see ARRIVE_MS).
 */
static void
test_continuous (void)
{
  Served served = { 0 };
  g_autofree char *hub = NULL;
  g_autofree char *couch_base = NULL;
  g_autoptr(JsonObject) pull = NULL;
  g_autoptr(JsonObject) push = NULL;

  if (!have_couch ())
    return;
  serve_start (&served, 20);
  couch_create_db ("live");
  couch_put_pages ("live", "l", 0, 20);
  hub = couch_db_url ("live");
  couch_base = mer_test_couch_url (couch, 0, NULL, NULL, "/live/");
  replicate ("live-pull", served.auth_url, hub, ",\"continuous\":true");
  replicate ("live-push", hub, served.auth_url, ",\"continuous\":true");
  pull = wait_state ("live-pull", "running");
  push = wait_state ("live-push", "running");
  {
    g_autofree char *first = g_strconcat (served.url, "/page:l0019", NULL);
    g_autofree char *other = g_strconcat (couch_base, "page:s0019", NULL);

    wait_for_doc (first, "ana", "ana-pw", 200);
    wait_for_doc (other, "admin", "secret", 200);
  }

  for (guint round = 0; round < 12; round++)
    {
      g_autofree char *id = g_strdup_printf ("page:from-hub-%u", round);
      g_autofree char *json = g_strdup_printf ("{\"type\":\"page\",\"title\":\"H%u\",\"path\":\"h/%u\",\"body\":\"b\"}",
                                               round, round);
      g_autofree char *rev = couch_put ("live", id, json);
      g_autofree char *there = g_strdup_printf ("%s/%s", served.url, id);
      g_autofree char *served_id = g_strdup_printf ("/page:from-serve-%u", round);
      g_autofree char *back = g_strdup_printf ("%spage:from-serve-%u", couch_base, round);
      g_autoptr(JsonNode) answer = NULL;
      guint status = 0;

      wait_for_doc (there, "ana", "ana-pw", 200);
      answer = serve_request (&served, "PUT", served_id, json, &status);
      g_assert_cmpuint (status, ==, 201);
      wait_for_doc (back, "admin", "secret", 200);
    }
  stop_replication ("live-pull");
  stop_replication ("live-push");
  assert_converged ("live", &served, 64);
  serve_stop (&served);
}

/* The rows of `meridian sync --refused --json` on @dir. */
static JsonArray *
list_refused (const char *dir)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_cmpint (mer_test_run_meridian (dir, &out, &err, "sync", "--refused", "--json", NULL), ==, 0);
  node = mer_json_parse (out, -1, NULL);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_ref (json_node_get_array (node));
}

/*
 * A document one side refuses (403) is reported once with that side's
 * reason while the rest of its batch arrives; the next run neither sends
 * nor reports it again.
 */
static void
test_refused_once (void)
{
  Served served = { 0 };
  g_autofree char *source = NULL;
  g_autofree char *hub = NULL;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) pulled = NULL;
  g_autoptr(JsonArray) refused = NULL;
  g_autoptr(JsonNode) answer = NULL;
  JsonObject *row;
  guint status = 0;

  if (!have_couch ())
    return;
  serve_start (&served, 30);

  /* serve refuses: a page without a body. */
  couch_create_db ("refusing");
  couch_put_pages ("refusing", "r", 0, 20);
  g_free (couch_put ("refusing", "page:nobody", "{\"type\":\"page\",\"title\":\"T\",\"path\":\"t\"}"));
  couch_put_pages ("refusing", "r", 20, 20);
  source = couch_db_url ("refusing");
  replicate ("refused-in", source, served.auth_url, NULL);
  report = wait_state ("refused-in", "completed");
  g_assert_cmpint (info_int (report, "docs_written"), ==, 40);
  g_assert_cmpint (info_int (report, "doc_write_failures"), ==, 1);
  answer = serve_request (&served, "GET", "/page:r0039", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "GET", "/page:nobody", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  refused = list_refused (served.dir);
  g_assert_cmpuint (json_array_get_length (refused), ==, 1);
  row = json_array_get_object_element (refused, 0);
  g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "page:nobody");
  g_assert_nonnull (strstr (mer_json_get_string (row, "reason"), "a page needs string title, path and body"));

  /* From the start again (a selector makes it another replication, with
   * no checkpoint yet): serve's _revs_diff does not ask for the refused
   * revision, so it is neither sent nor refused again. */
  replicate ("refused-again", source, served.auth_url, ",\"selector\":{\"type\":\"page\"}");
  again = wait_state ("refused-again", "completed");
  g_assert_cmpint (info_int (again, "revisions_checked"), ==, 41);
  g_assert_cmpint (info_int (again, "missing_revisions_found"), ==, 0);
  g_assert_cmpint (info_int (again, "docs_written"), ==, 0);
  g_assert_cmpint (info_int (again, "doc_write_failures"), ==, 0);
  g_clear_pointer (&refused, json_array_unref);
  refused = list_refused (served.dir);
  g_assert_cmpuint (json_array_get_length (refused), ==, 1);

  /* The hub refuses: its validate_doc_update turns down one page of serve's. */
  couch_create_db ("strict");
  g_free (couch_put ("strict", "_design/meridian",
                     "{\"validate_doc_update\":\"function (doc) { if (doc.forged) "
                     "throw ({forbidden: 'the hub does not take forged pages'}); }\"}"));
  g_clear_pointer (&answer, json_node_unref);
  answer = serve_request (&served, "PUT", "/page:forged",
                          "{\"type\":\"page\",\"title\":\"F\",\"path\":\"f\",\"body\":\"b\",\"forged\":true}",
                          &status);
  g_assert_cmpuint (status, ==, 201);
  hub = couch_db_url ("strict");
  replicate ("refused-out", served.auth_url, hub, NULL);
  pulled = wait_state ("refused-out", "completed");
  g_assert_cmpint (info_int (pulled, "doc_write_failures"), ==, 1);
  /* serve's pages, and the 40 it took from the other database. */
  g_assert_cmpint (info_int (pulled, "docs_written"), ==, 70);
  g_clear_pointer (&answer, json_node_unref);
  answer = couch_request ("GET", "/strict/page:forged", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  g_clear_pointer (&answer, json_node_unref);
  answer = couch_request ("GET", "/strict/page:s0029", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  serve_stop (&served);
}

/* How many requests serve's log shows whose line holds @what. */
static guint
count_requests (Served     *served,
                const char *what)
{
  g_autofree char *log = g_build_filename (served->dir, "serve.log", NULL);
  g_autofree char *text = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  for (const char *p = strstr (text, what); p != NULL; p = strstr (p + 1, what))
    n++;
  return n;
}

/* Asserts that every replication checkpoint in CouchDB's @db is also on serve. */
static void
assert_checkpoints_on_serve (const char *db,
                             Served     *served,
                             guint       expected)
{
  g_autofree char *path = g_strdup_printf ("/%s/_local_docs", db);
  g_autoptr(JsonNode) answer = NULL;
  JsonArray *rows;
  guint status = 0;

  answer = couch_request ("GET", path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  rows = json_object_get_array_member (json_node_get_object (answer), "rows");
  g_assert_cmpuint (json_array_get_length (rows), ==, expected);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      const char *id = mer_json_get_string (json_array_get_object_element (rows, i), "id");
      g_autofree char *local_path = g_strconcat ("/", id, NULL);
      g_autoptr(JsonNode) local = NULL;

      g_assert_true (g_str_has_prefix (id, "_local/"));
      local = serve_request (served, "GET", local_path, NULL, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_true (json_object_has_member (json_node_get_object (local), "history"));
    }
}

/*
 * CouchDB's checkpoints are kept on serve as _local documents (under the
 * account that wrote them), and a replication run again from them
 * transfers nothing, in either direction. (CouchDB carries a
 * replication's counts over from its checkpoint, so a run that did
 * nothing reports the counts of the one before; serve's request log tells
 * what was asked.)
 */
static void
test_checkpoints (void)
{
  Served served = { 0 };
  g_autofree char *db = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) out_again = NULL;
  guint bulk_gets, feeds, diffs;

  if (!have_couch ())
    return;
  serve_start (&served, 60);
  db = couch_db_url ("marks");

  replicate ("marks-pull", served.auth_url, db, ",\"create_target\":true");
  first = wait_state ("marks-pull", "completed");
  g_assert_cmpint (info_int (first, "docs_written"), ==, 60);
  assert_checkpoints_on_serve ("marks", &served, 1);
  bulk_gets = count_requests (&served, "POST /handbook/_bulk_get");
  feeds = count_requests (&served, "GET /handbook/_changes");
  g_assert_cmpuint (bulk_gets, >, 0);

  /* The same replication again, under another document: it reads the
   * feed from its checkpoint and fetches nothing. */
  replicate ("marks-pull-again", served.auth_url, db, ",\"create_target\":true");
  second = wait_state ("marks-pull-again", "completed");
  g_assert_cmpint (info_int (second, "docs_written"), ==, 60);
  g_assert_cmpint (info_int (second, "revisions_checked"), ==, info_int (first, "revisions_checked"));
  g_assert_cmpuint (count_requests (&served, "GET /handbook/_changes"), >, feeds);
  g_assert_cmpuint (count_requests (&served, "GET /handbook/_changes?feed=normal&style=all_docs&since=60"), >, 0);
  g_assert_cmpuint (count_requests (&served, "POST /handbook/_bulk_get"), ==, bulk_gets);

  /* The other way: the first push finds everything there, the second
   * starts from its checkpoint on serve and asks nothing. */
  replicate ("marks-push", db, served.auth_url, NULL);
  out = wait_state ("marks-push", "completed");
  g_assert_cmpint (info_int (out, "docs_written"), ==, 0);
  g_assert_cmpint (info_int (out, "missing_revisions_found"), ==, 0);
  assert_checkpoints_on_serve ("marks", &served, 2);
  diffs = count_requests (&served, "POST /handbook/_revs_diff");
  replicate ("marks-push-again", db, served.auth_url, NULL);
  out_again = wait_state ("marks-push-again", "completed");
  g_assert_cmpint (info_int (out_again, "docs_written"), ==, 0);
  g_assert_cmpuint (count_requests (&served, "POST /handbook/_revs_diff"), ==, diffs);
  g_assert_cmpuint (count_requests (&served, "POST /handbook/_bulk_docs"), ==, 0);
  assert_converged ("marks", &served, 60);
  serve_stop (&served);
}

int
main (int    argc,
      char **argv)
{
  int result;

  mer_test_init (&argc, &argv);
  g_test_add_func ("/couch-replicator/design-docs", test_design_docs);
  g_test_add_func ("/couch-replicator/pull-once", test_pull_once);
  g_test_add_func ("/couch-replicator/push-once", test_push_once);
  g_test_add_func ("/couch-replicator/continuous", test_continuous);
  g_test_add_func ("/couch-replicator/refused-once", test_refused_once);
  g_test_add_func ("/couch-replicator/checkpoints", test_checkpoints);
  result = g_test_run ();
  mer_test_couch_stop (couch);
  return result;
}
