/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A team hub on a real Apache CouchDB that fails while `meridian sync`
 * runs: the node killed with SIGKILL at random moments of a push and of a
 * pull (then restarted, and the sync run again), one node of a 3-node
 * cluster stopped during a sync, a wrong password, and the hub's database
 * deleted and made again. After each: nothing lost on either side, and a
 * sync that was cut short resumes from its checkpoint.
 *
 * The moments are drawn from GTest's random numbers: the seed is printed
 * at the start ("# random seed: …") and `--seed=…` replays a run.
 */
#include "config.h"

#include "mer-core.h"
#include "mer-json.h"
#include "mer-test-couch.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define N_KILLS  10    /* kills that land while the sync runs, per direction */
#define N_DOCS   300   /* pages per round */
#define BATCH    15    /* documents per request: 20 batches a round */

static MerTestCouch *couch;   /* one node for every case but the cluster's */

/* ------------------------------------------------------------------ */
/* A counting proxy in front of CouchDB, on a thread of its own.       */
/* ------------------------------------------------------------------ */

typedef struct
{
  guint16       target_port;
  guint16       port;
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupSession  *session;       /* used on the proxy's thread only */
  GMutex        lock;
  GCond         ready;
  gint          requests;      /* every request forwarded */
  gint          unauthorized;  /* answered 401 */
  gint          compared;      /* document ids sent to _revs_diff */
} Proxy;

static void
copy_header_cb (const char *name,
                const char *value,
                gpointer    user_data)
{
  SoupMessageHeaders *out = user_data;

  if (g_ascii_strcasecmp (name, "Host") != 0 && g_ascii_strcasecmp (name, "Content-Length") != 0
      && g_ascii_strcasecmp (name, "Connection") != 0 && g_ascii_strcasecmp (name, "Accept-Encoding") != 0)
    soup_message_headers_append (out, name, value);
}

static void
proxy_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(GUri) target = soup_uri_copy (soup_server_message_get_uri (msg),
                                          SOUP_URI_HOST, "127.0.0.1",
                                          SOUP_URI_PORT, (int) proxy->target_port,
                                          SOUP_URI_NONE);
  g_autoptr(SoupMessage) out = soup_message_new_from_uri (soup_server_message_get_method (msg), target);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *type;
  gsize size = 0;
  const char *data;

  g_atomic_int_inc (&proxy->requests);
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), copy_header_cb,
                                soup_message_get_request_headers (out));
  if (g_bytes_get_size (body) > 0)
    {
      type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
      soup_message_set_request_body_from_bytes (out, type != NULL ? type : "application/json", body);
    }
  if (g_str_has_suffix (path, "/_revs_diff"))
    {
      g_autoptr(JsonObject) request = mer_json_parse_object (g_bytes_get_data (body, NULL),
                                                             (gssize) g_bytes_get_size (body), NULL);

      if (request != NULL)
        g_atomic_int_add (&proxy->compared, (gint) json_object_get_size (request));
    }
  answer = soup_session_send_and_read (proxy->session, out, NULL, &error);
  if (answer == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_GATEWAY, NULL);
      return;
    }
  if (soup_message_get_status (out) == SOUP_STATUS_UNAUTHORIZED)
    g_atomic_int_inc (&proxy->unauthorized);
  soup_server_message_set_status (msg, soup_message_get_status (out), NULL);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (out), NULL);
  data = g_bytes_get_data (answer, &size);
  soup_server_message_set_response (msg, type != NULL ? type : "application/json", SOUP_MEMORY_COPY, data, size);
}

static gpointer
proxy_thread (gpointer user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (proxy->context);
  proxy->session = soup_session_new_with_options ("timeout", 120, NULL);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, proxy_cb, proxy, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_mutex_lock (&proxy->lock);
  proxy->port = (guint16) g_uri_get_port (uris->data);
  g_cond_signal (&proxy->ready);
  g_mutex_unlock (&proxy->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (proxy->loop);
  soup_server_disconnect (server);
  g_clear_object (&proxy->session);
  g_main_context_pop_thread_default (proxy->context);
  return NULL;
}

/* Starts a proxy on 127.0.0.1 (a port it picks) to CouchDB on target_port. */
static Proxy *
proxy_start (guint16 target_port)
{
  Proxy *proxy = g_new0 (Proxy, 1);

  proxy->target_port = target_port;
  proxy->context = g_main_context_new ();
  proxy->loop = g_main_loop_new (proxy->context, FALSE);
  g_mutex_init (&proxy->lock);
  g_cond_init (&proxy->ready);
  g_mutex_lock (&proxy->lock);
  proxy->thread = g_thread_new ("test-proxy", proxy_thread, proxy);
  while (proxy->port == 0)
    g_cond_wait (&proxy->ready, &proxy->lock);
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
  g_mutex_clear (&proxy->lock);
  g_cond_clear (&proxy->ready);
  g_free (proxy);
}

/* ------------------------------------------------------------------ */
/* The hub, the workspaces and `meridian sync`.                        */
/* ------------------------------------------------------------------ */

/*
 * Makes database @db a team hub (`meridian hub setup`) on node @index;
 * the first time, adds the user ana (password ana-pw) too.
 */
static void
setup_hub (MerTestCouch *where,
           guint         index,
           const char   *db)
{
  g_autofree char *path = g_strconcat ("/", db, NULL);
  g_autofree char *url = mer_test_couch_url (where, index, NULL, NULL, path);
  g_autofree char *user_path = NULL;
  g_autoptr(JsonNode) user = NULL;
  guint status = 0;

  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", NULL, "hub", "setup", url, NULL), ==, 0);
  user = mer_test_couch_request (where, index, "GET", "/_users/org.couchdb.user:ana", "admin", "secret",
                                 NULL, &status);
  if (status == 404)
    g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\nana-pw\n", NULL, "hub", "add-user", url, "ana", NULL), ==, 0);
}

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

/* Writes @count pages to @store; records id -> rev in @expected. */
static void
add_pages (MerStore   *store,
           const char *prefix,
           guint       count,
           GHashTable *expected)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_store_begin (store, &error));
  for (guint i = 0; i < count; i++)
    {
      g_autoptr(JsonObject) doc = json_object_new ();
      g_autofree char *id = g_strdup_printf ("page:%s-%05u", prefix, i);
      g_autofree char *body = g_strdup_printf ("# %s %u\n\nA line of text, so the page is not quite empty.\n",
                                               prefix, i);
      char *rev;

      json_object_set_string_member (doc, "_id", id);
      json_object_set_string_member (doc, "type", "page");
      json_object_set_string_member (doc, "title", id + 5);
      json_object_set_string_member (doc, "path", id + 5);
      json_object_set_string_member (doc, "body", body);
      json_object_set_string_member (doc, "owner", "person:ana");
      rev = mer_store_put_doc (store, doc, &error);
      g_assert_no_error (error);
      g_hash_table_insert (expected, g_strdup (id), rev);
    }
  g_assert_true (mer_store_commit (store, &error));
}

/* The hub's documents but design ones: id -> winning rev. */
static GHashTable *
hub_revs (MerTestCouch *where,
          guint         index,
          const char   *db)
{
  g_autofree char *path = g_strdup_printf ("/%s/_all_docs", db);
  g_autoptr(JsonNode) answer = NULL;
  GHashTable *revs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *rows;
  guint status = 0;

  answer = mer_test_couch_request (where, index, "GET", path, "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  rows = json_object_get_array_member (json_node_get_object (answer), "rows");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *id = mer_json_get_string (row, "id");

      if (!g_str_has_prefix (id, "_design/"))
        g_hash_table_insert (revs, g_strdup (id),
                             g_strdup (mer_json_get_string (json_object_get_object_member (row, "value"), "rev")));
    }
  return revs;
}

/* Every document in @expected is on the hub, at the same revision. */
static void
assert_on_hub (MerTestCouch *where,
               guint         index,
               const char   *db,
               GHashTable   *expected)
{
  g_autoptr(GHashTable) revs = hub_revs (where, index, db);
  GHashTableIter iter;
  gpointer id, rev;

  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &id, &rev))
    {
      const char *there = g_hash_table_lookup (revs, id);

      if (g_strcmp0 (there, rev) != 0)
        g_error ("%s %s is not on the hub (there: %s)", (char *) id, (char *) rev, there ? there : "nothing");
    }
}

/* Every document in @expected is in the workspace at @dir, at the same
 * revision, and the workspace passes its integrity check. */
static void
assert_in_workspace (const char *dir,
                     GHashTable *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = mer_core_open_store (dir, &error);
  GHashTableIter iter;
  gpointer id, rev;

  g_assert_no_error (error);
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &id, &rev))
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);

      if (doc == NULL || g_strcmp0 (mer_json_get_string (doc, "_rev"), rev) != 0)
        g_error ("%s %s is not in the workspace (there: %s)", (char *) id, (char *) rev,
                 doc ? mer_json_get_string (doc, "_rev") : "nothing");
    }
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} SyncRun;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  SyncRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

/*
 * Starts `meridian --data DIR sync [OPTION] --json --retries RETRIES
 * --batch-size BATCH URL`. The cases that kill the only node ask for no
 * retries: the node is not back before the sync has given up anyway.
 */
static GSubprocess *
sync_start_retries (const char  *dir,
                    const char  *url,
                    const char  *option,
                    const char  *retries,
                    SyncRun     *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *rest[] = { "--json", "--retries", retries, "--batch-size", G_STRINGIFY (BATCH), url, NULL };
  GSubprocess *child;

  memset (run, 0, sizeof *run);
  g_ptr_array_add (argv, (char *) mer_test_meridian_bin ());
  g_ptr_array_add (argv, (char *) "--data");
  g_ptr_array_add (argv, (char *) dir);
  g_ptr_array_add (argv, (char *) "sync");
  if (option != NULL)
    g_ptr_array_add (argv, (char *) option);
  for (guint i = 0; rest[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) rest[i]);
  g_ptr_array_add (argv, NULL);
  child = g_subprocess_newv ((const char * const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (child, NULL, NULL, communicate_cb, run);
  return child;
}

static GSubprocess *
sync_start (const char  *dir,
            const char  *url,
            const char  *option,
            SyncRun     *run)
{
  return sync_start_retries (dir, url, option, "0", run);
}

/* Waits for the sync to end; returns its exit status. */
static int
sync_wait (GSubprocess *child,
           SyncRun     *run)
{
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (child, NULL, NULL);
  g_test_message ("sync: %d\nstdout: %s\nstderr: %s", g_subprocess_get_exit_status (child),
                  run->out, run->err);
  return g_subprocess_get_if_exited (child) ? g_subprocess_get_exit_status (child) : -1;
}

static void
sync_run_clear (SyncRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* Runs one sync to its end; returns its --json summary. */
static JsonObject *
sync_once (const char *dir,
           const char *url,
           const char *option)
{
  g_autoptr(GSubprocess) child = NULL;
  SyncRun run;
  JsonObject *summary;

  child = sync_start (dir, url, option, &run);
  g_assert_cmpint (sync_wait (child, &run), ==, 0);
  summary = mer_test_object (run.out);
  sync_run_clear (&run);
  return summary;
}

/* Sleeps @ms while the main context goes on (the sync's pipes drain). */
static void
wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

/* The replication checkpoint (a _local document with a session) of a
 * workspace: its last_seq is where the next sync starts. NULL if none. */
static JsonObject *
workspace_checkpoint (const char *dir,
                      gboolean    pull)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = mer_core_open_store (dir, &error);
  g_autoptr(JsonArray) docs = NULL;

  g_assert_no_error (error);
  docs = mer_store_list_local (store, "_local/", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);
      JsonNode *seq = json_object_get_member (doc, "last_seq");

      /* A push's seq is this replica's (a number), a pull's the hub's (a string). */
      if (json_object_has_member (doc, "session_id") && seq != NULL
          && (json_node_get_value_type (seq) == G_TYPE_STRING) == pull)
        return json_object_ref (doc);
    }
  return NULL;
}

/* The hub's copy of checkpoint @id, or NULL. */
static JsonObject *
hub_checkpoint (const char *db,
                const char *id)
{
  g_autofree char *path = g_strdup_printf ("/%s/%s", db, id);
  g_autoptr(JsonNode) doc = NULL;
  guint status = 0;

  doc = mer_test_couch_request (couch, 0, "GET", path, "admin", "secret", NULL, &status);
  return status == 200 ? json_object_ref (json_node_get_object (doc)) : NULL;
}

static gboolean
history_has (JsonObject *checkpoint,
             const char *session)
{
  JsonArray *history = json_object_get_array_member (checkpoint, "history");

  for (guint i = 0; i < json_array_get_length (history); i++)
    if (g_strcmp0 (mer_json_get_string (json_array_get_object_element (history, i), "session_id"), session) == 0)
      return TRUE;
  return FALSE;
}

/*
 * Where a push resumes, as the replication protocol has it: the
 * workspace's last_seq when both sides last recorded the same session,
 * else the newest session both histories share, else the start.
 */
static gint64
push_resume_seq (JsonObject *mine,
                 JsonObject *hubs)
{
  JsonArray *history;

  if (mine == NULL || hubs == NULL)
    return 0;
  if (g_strcmp0 (mer_json_get_string (mine, "session_id"), mer_json_get_string (hubs, "session_id")) == 0)
    return json_object_get_int_member (mine, "last_seq");
  history = json_object_get_array_member (mine, "history");
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *entry = json_array_get_object_element (history, i);

      if (history_has (hubs, mer_json_get_string (entry, "session_id")))
        return json_object_get_int_member (entry, "last_seq");
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The cases.                                                          */
/* ------------------------------------------------------------------ */

/*
 * The node is killed (SIGKILL) at a random moment of a push of N_DOCS new
 * pages, restarted, and the push run again: every page reaches the hub at
 * its revision, and the second push starts from the checkpoint the first
 * one left, comparing only the pages after it.
 */
static void
test_kill_push (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *url = NULL;
  g_autofree char *proxy_url = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonObject) first = NULL;
  Proxy *proxy;
  gint64 started;
  gint64 window;
  guint kills = 0;
  guint resumed = 0;

  if (!have_couch ())
    return;
  setup_hub (couch, 0, "push");
  url = mer_test_couch_url (couch, 0, "ana", "ana-pw", "/push");
  {
    g_autoptr(MerStore) store = mer_test_open_store (&dir);

    add_pages (store, "r0", N_DOCS, expected);
  }
  /* A whole push first: how long one takes tells when to kill. */
  started = g_get_monotonic_time ();
  first = sync_once (dir, url, "--push");
  window = (g_get_monotonic_time () - started) / 1000;
  g_test_message ("a push of %u pages took %" G_GINT64_FORMAT " ms", N_DOCS, window);
  g_assert_cmpint (json_object_get_int_member (first, "pushed"), ==, N_DOCS);

  for (guint round = 1; kills < N_KILLS; round++)
    {
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(JsonObject) checkpoint = NULL;
      g_autoptr(JsonObject) hubs = NULL;
      g_autoptr(JsonObject) summary = NULL;
      g_autofree char *prefix = g_strdup_printf ("r%u", round);
      gint64 base_seq, end_seq, start_seq = 0;
      guint delay;
      int status;
      SyncRun run;

      g_assert_cmpuint (round, <=, N_KILLS * 3);
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(MerStore) store = mer_core_open_store (dir, &error);

        g_assert_no_error (error);
        base_seq = mer_store_get_update_seq (store);
        add_pages (store, prefix, N_DOCS, expected);
        end_seq = mer_store_get_update_seq (store);
      }
      delay = (guint) g_test_rand_int_range (1, (gint32) MAX (window, 2));
      child = sync_start (dir, url, "--push", &run);
      wait_ms (delay);
      mer_test_couch_kill_node (couch, 0, SIGKILL);
      status = sync_wait (child, &run);
      sync_run_clear (&run);
      if (status == 0)
        {
          /* Too late: the push had ended. Aim earlier next time. */
          g_test_message ("round %u: the kill after %u ms came after the push", round, delay);
          window = MAX (window * 3 / 4, 2);
        }
      else
        kills++;
      mer_test_couch_restart_node (couch, 0);

      /* Where the next push starts: the checkpoint both sides share. */
      checkpoint = workspace_checkpoint (dir, FALSE);
      g_assert_nonnull (checkpoint);
      hubs = hub_checkpoint ("push", mer_json_get_string (checkpoint, "_id"));
      start_seq = push_resume_seq (checkpoint, hubs);
      g_assert_cmpint (start_seq, >=, base_seq);
      g_assert_cmpint (start_seq, <=, end_seq);

      proxy = proxy_start (couch->nodes[0].port);
      proxy_url = g_strdup_printf ("http://ana:ana-pw@127.0.0.1:%u/push", proxy->port);
      summary = sync_once (dir, proxy_url, "--push");
      g_test_message ("round %u: killed after %u ms (%s); the push again compared %d pages of %u, "
                      "sent %" G_GINT64_FORMAT, round, delay, status == 0 ? "after the end" : "mid-push",
                      g_atomic_int_get (&proxy->compared), N_DOCS,
                      json_object_get_int_member (summary, "pushed"));
      /* It starts from the checkpoint: exactly the pages after it. */
      g_assert_cmpint (g_atomic_int_get (&proxy->compared), ==, end_seq - start_seq);
      if (status != 0 && start_seq > base_seq)
        resumed++;
      proxy_stop (proxy);
      g_clear_pointer (&proxy_url, g_free);
      assert_on_hub (couch, 0, "push", expected);
    }
  g_test_message ("%u kills mid-push, %u resumed from a checkpoint past the round's start", kills, resumed);
  g_assert_cmpuint (resumed, >=, N_KILLS / 3);
  assert_in_workspace (dir, expected);
  mer_test_rm_rf (dir);
}

/*
 * The node is killed at a random moment of a pull into an empty
 * workspace, restarted, and the pull run again: the workspace passes its
 * integrity check after the kill, ends with every page at its revision,
 * and the second pull starts from the checkpoint.
 */
static void
test_kill_pull (void)
{
  g_autofree char *seed_dir = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gint64 window = 0;
  gint64 all_changes;
  guint kills = 0;
  guint resumed = 0;

  if (!have_couch ())
    return;
  setup_hub (couch, 0, "pull");
  url = mer_test_couch_url (couch, 0, "ana", "ana-pw", "/pull");
  {
    g_autoptr(MerStore) store = mer_test_open_store (&seed_dir);
    g_autoptr(JsonObject) pushed = NULL;

    add_pages (store, "pull", N_DOCS * 2, expected);
    g_clear_object (&store);
    pushed = sync_once (seed_dir, url, "--push");
    g_assert_cmpint (json_object_get_int_member (pushed, "pushed"), ==, N_DOCS * 2);
  }
  /* A whole pull first: how long one takes tells when to kill. */
  {
    g_autofree char *dir = NULL;
    g_autoptr(MerStore) store = mer_test_open_store (&dir);
    g_autoptr(JsonObject) summary = NULL;
    gint64 started = g_get_monotonic_time ();

    g_clear_object (&store);
    summary = sync_once (dir, url, "--pull");
    window = (g_get_monotonic_time () - started) / 1000;
    all_changes = json_object_get_int_member (summary, "changes_fetched");
    g_test_message ("a pull of %u pages took %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT " changes",
                    N_DOCS * 2, window, all_changes);
    g_assert_cmpint (all_changes, >=, N_DOCS * 2);
    assert_in_workspace (dir, expected);
    mer_test_rm_rf (dir);
  }

  for (guint round = 1; kills < N_KILLS; round++)
    {
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(JsonObject) checkpoint = NULL;
      g_autoptr(JsonObject) hubs = NULL;
      g_autoptr(JsonObject) summary = NULL;
      g_autofree char *dir = NULL;
      gboolean from_checkpoint = FALSE;
      gint64 fetched;
      guint delay;
      int status;
      SyncRun run;

      g_assert_cmpuint (round, <=, N_KILLS * 3);
      {
        g_autoptr(MerStore) store = mer_test_open_store (&dir);
      }
      delay = (guint) g_test_rand_int_range (1, (gint32) MAX (window, 2));
      child = sync_start (dir, url, "--pull", &run);
      wait_ms (delay);
      mer_test_couch_kill_node (couch, 0, SIGKILL);
      status = sync_wait (child, &run);
      sync_run_clear (&run);
      if (status == 0)
        {
          g_test_message ("round %u: the kill after %u ms came after the pull", round, delay);
          window = MAX (window * 3 / 4, 2);
        }
      else
        kills++;

      /* Cut short, the workspace is whole. */
      {
        g_autoptr(GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);

        assert_in_workspace (dir, none);
      }
      mer_test_couch_restart_node (couch, 0);
      checkpoint = workspace_checkpoint (dir, TRUE);
      if (checkpoint != NULL)
        hubs = hub_checkpoint ("pull", mer_json_get_string (checkpoint, "_id"));
      /* A fresh workspace has had one session: both sides must have it. */
      from_checkpoint = hubs != NULL && g_strcmp0 (mer_json_get_string (checkpoint, "session_id"),
                                                   mer_json_get_string (hubs, "session_id")) == 0;

      summary = sync_once (dir, url, "--pull");
      fetched = json_object_get_int_member (summary, "changes_fetched");
      g_test_message ("round %u: killed after %u ms (%s); the pull again read %" G_GINT64_FORMAT
                      " changes of %" G_GINT64_FORMAT "%s", round, delay,
                      status == 0 ? "after the end" : "mid-pull", fetched, all_changes,
                      from_checkpoint ? ", from a checkpoint" : "");
      if (from_checkpoint)
        {
          g_assert_cmpint (fetched, <, all_changes);
          if (status != 0)
            resumed++;
        }
      else
        g_assert_cmpint (fetched, ==, all_changes);
      assert_in_workspace (dir, expected);
      mer_test_rm_rf (dir);
    }
  g_test_message ("%u kills mid-pull, %u resumed from a checkpoint", kills, resumed);
  g_assert_cmpuint (resumed, >=, N_KILLS / 3);
  mer_test_rm_rf (seed_dir);
}

/* The hub's number of documents, asked of node @index. */
static gint64
hub_doc_count (MerTestCouch *where,
               guint         index,
               const char   *db)
{
  g_autofree char *path = g_strconcat ("/", db, NULL);
  g_autoptr(JsonNode) info = NULL;
  guint status = 0;

  info = mer_test_couch_request (where, index, "GET", path, "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  return json_object_get_int_member (json_node_get_object (info), "doc_count");
}

/* The hub's number of _local documents (checkpoints), asked of node @index. */
static guint
hub_local_count (MerTestCouch *where,
                 guint         index,
                 const char   *db)
{
  g_autofree char *path = g_strdup_printf ("/%s/_local_docs", db);
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  answer = mer_test_couch_request (where, index, "GET", path, "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  return json_array_get_length (json_object_get_array_member (json_node_get_object (answer), "rows"));
}

/*
 * A 3-node cluster: a push through n1 while n3 is stopped in the middle of
 * it, then a pull through n2 while n1 is stopped in the middle of that.
 * Both end normally, with every page on the other side.
 */
static void
test_cluster_node_down (void)
{
  MerTestCouch *cluster;
  g_autofree char *push_dir = NULL;
  g_autofree char *pull_dir = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(JsonObject) summary = NULL;
  gint64 at_stop;
  guint locals;
  gint32 threshold;
  SyncRun run;

  if (!mer_test_couch_available ())
    return;
  cluster = mer_test_couch_start (3);
  setup_hub (cluster, 0, "team");
  {
    g_autoptr(MerStore) store = mer_test_open_store (&push_dir);

    add_pages (store, "cluster", N_DOCS * 2, expected);
  }

  /* n3 stops once a random share of the pages is on the hub. */
  threshold = g_test_rand_int_range (N_DOCS / 4, N_DOCS);
  url = mer_test_couch_url (cluster, 0, "ana", "ana-pw", "/team");
  /* A cluster takes a second or two to read other copies once a node
   * has stopped (until then it answers 412 nodedown): a few more
   * retries than the usual four, so a slow machine cannot fail the case. */
  child = sync_start_retries (push_dir, url, "--push", "6", &run);
  /* The hub's count includes its design document. */
  while ((at_stop = hub_doc_count (cluster, 0, "team") - 1) < threshold)
    wait_ms (2);
  mer_test_couch_kill_node (cluster, 2, SIGTERM);
  g_test_message ("n3 stopped with %" G_GINT64_FORMAT " of %u pages on the hub", at_stop, N_DOCS * 2);
  /* The push had pages left to send when the node stopped. */
  g_assert_cmpint (at_stop, <, N_DOCS * 2);
  g_assert_false (run.done);
  g_assert_cmpint (sync_wait (child, &run), ==, 0);
  summary = mer_test_object (run.out);
  g_assert_cmpint (json_object_get_int_member (summary, "pushed"), ==, N_DOCS * 2);
  sync_run_clear (&run);
  g_clear_object (&child);
  assert_on_hub (cluster, 0, "team", expected);
  assert_on_hub (cluster, 1, "team", expected);

  /* n3 back, then n1 stops during a pull through n2: once the pull's
   * first checkpoint is on the hub. */
  mer_test_couch_restart_node (cluster, 2);
  {
    g_autoptr(MerStore) store = mer_test_open_store (&pull_dir);
  }
  g_clear_pointer (&url, g_free);
  url = mer_test_couch_url (cluster, 1, "ana", "ana-pw", "/team");
  locals = hub_local_count (cluster, 1, "team");
  child = sync_start_retries (pull_dir, url, "--pull", "6", &run);
  while (hub_local_count (cluster, 1, "team") == locals)
    wait_ms (2);
  /* The pull is still going: its first of many batches is written. */
  g_assert_false (run.done);
  mer_test_couch_kill_node (cluster, 0, SIGTERM);
  g_assert_cmpint (sync_wait (child, &run), ==, 0);
  g_clear_pointer (&summary, json_object_unref);
  summary = mer_test_object (run.out);
  g_test_message ("n1 stopped during the pull; it went on through n2 and pulled %" G_GINT64_FORMAT,
                  json_object_get_int_member (summary, "pulled"));
  g_assert_cmpint (json_object_get_int_member (summary, "pulled"), ==, N_DOCS * 2);
  sync_run_clear (&run);
  assert_in_workspace (pull_dir, expected);
  assert_on_hub (cluster, 1, "team", expected);

  mer_test_couch_stop (cluster);
  mer_test_rm_rf (push_dir);
  mer_test_rm_rf (pull_dir);
}

/* What a sync with a bad name or password says, and how often it asks. */
static void
assert_refused (const char *err,
                const char *expected,
                const char *password)
{
  g_assert_nonnull (strstr (err, expected));
  /* Plain words: no status codes, error domains or the password itself. */
  /* " 401", "(401": the status; the proxy's port may hold the digits. */
  g_assert_null (strstr (err, " 401"));
  g_assert_null (strstr (err, "(401"));
  g_assert_null (strstr (err, "unauthorized"));
  g_assert_null (strstr (err, "-quark"));
  if (password != NULL)
    g_assert_null (strstr (err, password));
}

/*
 * A wrong password: a one-shot sync stops at the first answer (one
 * request, refused) with a clear message; a continuous one stops too,
 * after at most one request per direction, instead of asking again and
 * again. Nothing is written on either side.
 */
static void
test_wrong_password (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) on_hub = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  Proxy *proxy;
  gint64 deadline;
  SyncRun run;

  if (!have_couch ())
    return;
  setup_hub (couch, 0, "auth");
  {
    g_autoptr(MerStore) store = mer_test_open_store (&dir);

    add_pages (store, "auth", 20, expected);
  }
  proxy = proxy_start (couch->nodes[0].port);

  url = g_strdup_printf ("http://ana:not-her-password@127.0.0.1:%u/auth", proxy->port);
  g_assert_cmpint (mer_test_run_meridian (dir, &out, &err, "sync", url, NULL), ==, 1);
  assert_refused (err, "did not accept the name or password", "not-her-password");
  g_assert_cmpint (g_atomic_int_get (&proxy->requests), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&proxy->unauthorized), ==, 1);

  /* No name at all, on a hub that lets no outsider in. */
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  url = g_strdup_printf ("http://127.0.0.1:%u/auth", proxy->port);
  g_atomic_int_set (&proxy->requests, 0);
  g_atomic_int_set (&proxy->unauthorized, 0);
  g_assert_cmpint (mer_test_run_meridian (dir, &out, &err, "sync", "--push", url, NULL), ==, 1);
  assert_refused (err, "needs a name and password", NULL);
  g_assert_cmpint (g_atomic_int_get (&proxy->unauthorized), ==, 1);

  /* Continuous: it ends by itself, with the same message. */
  g_clear_pointer (&url, g_free);
  url = g_strdup_printf ("http://ana:not-her-password@127.0.0.1:%u/auth", proxy->port);
  g_atomic_int_set (&proxy->requests, 0);
  g_atomic_int_set (&proxy->unauthorized, 0);
  child = sync_start (dir, url, "--continuous", &run);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!run.done && g_get_monotonic_time () < deadline)
    wait_ms (10);
  if (!run.done)
    {
      g_subprocess_force_exit (child);
      g_error ("a continuous sync with a wrong password kept going (%d requests so far)",
               g_atomic_int_get (&proxy->requests));
    }
  g_assert_cmpint (sync_wait (child, &run), ==, 1);
  assert_refused (run.err, "did not accept the name or password", "not-her-password");
  /* Nothing more is asked once it has stopped. */
  wait_ms (500);
  g_test_message ("continuous sync with a wrong password: %d requests, %d refused",
                  g_atomic_int_get (&proxy->requests), g_atomic_int_get (&proxy->unauthorized));
  g_assert_cmpint (g_atomic_int_get (&proxy->requests), <=, 2);
  g_assert_cmpint (g_atomic_int_get (&proxy->unauthorized), ==, g_atomic_int_get (&proxy->requests));
  sync_run_clear (&run);

  proxy_stop (proxy);
  on_hub = hub_revs (couch, 0, "auth");
  g_assert_cmpuint (g_hash_table_size (on_hub), ==, 0);
  assert_in_workspace (dir, expected);
  mer_test_rm_rf (dir);
}

/*
 * The hub's database is deleted and set up again, empty. The next sync
 * finds no checkpoint there, starts from the beginning and sends every
 * page again; the workspace loses nothing.
 */
static void
test_db_recreated (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) on_hub = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  setup_hub (couch, 0, "recreated");
  {
    g_autoptr(MerStore) store = mer_test_open_store (&dir);

    add_pages (store, "kept", N_DOCS, expected);
  }
  url = mer_test_couch_url (couch, 0, "ana", "ana-pw", "/recreated");
  first = sync_once (dir, url, NULL);
  g_assert_cmpint (json_object_get_int_member (first, "pushed"), ==, N_DOCS);
  assert_on_hub (couch, 0, "recreated", expected);

  answer = mer_test_couch_request (couch, 0, "DELETE", "/recreated", "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 200);

  /* Gone, and not made again yet: a member may not make a database, and
   * the sync says so. */
  {
    g_autoptr(GSubprocess) child = NULL;
    SyncRun run;

    child = sync_start (dir, url, NULL, &run);
    g_assert_cmpint (sync_wait (child, &run), ==, 1);
    g_assert_nonnull (strstr (run.err, "may not create it"));
    sync_run_clear (&run);
  }
  g_clear_pointer (&answer, json_node_unref);
  answer = mer_test_couch_request (couch, 0, "GET", "/recreated", "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 404);

  setup_hub (couch, 0, "recreated");
  on_hub = hub_revs (couch, 0, "recreated");
  g_assert_cmpuint (g_hash_table_size (on_hub), ==, 0);

  again = sync_once (dir, url, NULL);
  g_test_message ("after the hub's database was made again: pulled %" G_GINT64_FORMAT ", pushed %"
                  G_GINT64_FORMAT " of %u", json_object_get_int_member (again, "pulled"),
                  json_object_get_int_member (again, "pushed"), N_DOCS);
  g_assert_cmpint (json_object_get_int_member (again, "pushed"), ==, N_DOCS);
  g_assert_cmpint (json_object_get_int_member (again, "pulled"), ==, 0);
  assert_on_hub (couch, 0, "recreated", expected);
  assert_in_workspace (dir, expected);
  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  int result;

  mer_test_init (&argc, &argv);
  g_test_add_func ("/hub-faults/kill-mid-push", test_kill_push);
  g_test_add_func ("/hub-faults/kill-mid-pull", test_kill_pull);
  g_test_add_func ("/hub-faults/cluster-node-down", test_cluster_node_down);
  g_test_add_func ("/hub-faults/wrong-password", test_wrong_password);
  g_test_add_func ("/hub-faults/db-recreated", test_db_recreated);
  result = g_test_run ();
  mer_test_couch_stop (couch);
  return result;
}
