/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Starts and stops real Apache CouchDB nodes for tests (see
 * mer-test-couch.h). Every node started is remembered, so that the
 * program's exit, or an assertion's abort, stops all of them.
 */
#include "config.h"

#include "mer-test-couch.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static GPtrArray *started;  /* MerTestCouch *, until stopped */
static char *couch_uuid;
static char *couch_secret;

static void
stop_node (MerTestCouchNode *node)
{
  if (node->pid > 0)
    {
      /* start-node runs CouchDB in a session of its own: end all of it. */
      kill (-node->pid, SIGKILL);
      kill (node->pid, SIGKILL);
      node->pid = 0;
    }
}

static void
stop_all (void)
{
  for (guint i = 0; started != NULL && i < started->len; i++)
    {
      MerTestCouch *couch = g_ptr_array_index (started, i);

      for (guint n = 0; n < couch->n_nodes; n++)
        stop_node (&couch->nodes[n]);
    }
}

static void
abort_handler (int signum)
{
  stop_all ();
  signal (signum, SIG_DFL);
  raise (signum);
}

guint16
mer_test_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/*
 * Whether CouchDB may be used. Without it the calling case fails with
 * what to do, or is skipped when MERIDIAN_NO_COUCHDB=1 asks for that.
 */
gboolean
mer_test_couch_available (void)
{
  const char *dir = g_getenv ("MERIDIAN_COUCHDB_DIR");
  g_autofree char *script = NULL;

  if (g_strcmp0 (g_getenv ("MERIDIAN_NO_COUCHDB"), "1") == 0)
    {
      g_test_skip ("MERIDIAN_NO_COUCHDB=1: Apache CouchDB tests not run");
      return FALSE;
    }
  if (dir != NULL)
    script = g_build_filename (dir, "start-node", NULL);
  if (script == NULL || !g_file_test (script, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_fail_printf ("no Apache CouchDB: %s; set MERIDIAN_COUCHDB_DIR to the folder with start-node "
                          "(or MERIDIAN_NO_COUCHDB=1 to skip these tests)",
                          script != NULL ? "start-node is missing or not executable"
                                         : "MERIDIAN_COUCHDB_DIR is not set");
      return FALSE;
    }
  return TRUE;
}

static char *
random_hex (void)
{
  return g_strdup_printf ("%08x%08x%08x%08x", g_random_int (), g_random_int (),
                          g_random_int (), g_random_int ());
}

/* Runs start-node for @node (its folder, port and name are set). */
static void
run_start_node (MerTestCouchNode *node)
{
  g_autofree char *script = g_build_filename (g_getenv ("MERIDIAN_COUCHDB_DIR"), "start-node", NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", node->port);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = g_get_environ ();
  const char *argv[] = { script, node->dir, port_text, node->name, NULL };
  int wait_status = 0;

  /* The same identity on every start, and on every node of a cluster. */
  env = g_environ_setenv (env, "COUCH_UUID", couch_uuid, TRUE);
  env = g_environ_setenv (env, "COUCH_SECRET", couch_secret, TRUE);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_test_message ("start-node %s %s: %s %s", node->name, port_text, out, err);
  g_assert_true (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0);
  node->pid = (GPid) g_ascii_strtoll (out, NULL, 10);
  g_assert_cmpint (node->pid, >, 0);
}

MerTestCouch *
mer_test_couch_start (guint n_nodes)
{
  static guint serial;
  MerTestCouch *couch = g_new0 (MerTestCouch, 1);
  guint status = 0;

  g_assert_true (n_nodes == 1 || n_nodes == 3);
  if (started == NULL)
    {
      started = g_ptr_array_new ();
      couch_uuid = random_hex ();
      couch_secret = random_hex ();
      signal (SIGABRT, abort_handler);
      /* A fatal g_critical() or g_warning() ends the test with SIGTRAP. */
      signal (SIGTRAP, abort_handler);
      signal (SIGSEGV, abort_handler);
      signal (SIGTERM, abort_handler);
      atexit (stop_all);
    }
  g_ptr_array_add (started, couch);
  couch->n_nodes = n_nodes;
  serial++;
  for (guint n = 0; n < n_nodes; n++)
    {
      MerTestCouchNode *node = &couch->nodes[n];

      node->name = g_strdup_printf ("mt%dc%un%u", (int) getpid (), serial, n + 1);
      node->dir = mer_test_make_tmpdir (node->name);
      node->port = mer_test_free_port ();
      run_start_node (node);
    }
  for (guint n = 1; n < n_nodes; n++)
    {
      g_autofree char *path = g_strdup_printf ("/_node/_local/_nodes/%s@127.0.0.1", couch->nodes[n].name);

      /* A node answers /_up a moment before all of it has started: on a
       * busy machine the first of these can meet a 500 ("undef"). */
      for (guint attempt = 0;; attempt++)
        {
          g_autoptr(JsonNode) answer = mer_test_couch_request (couch, 0, "PUT", path, "admin", "secret", "{}",
                                                               &status);

          if (status < 500 || attempt >= 50)
            break;
          g_usleep (200 * 1000);
        }
      g_assert_true (status == 201 || status == 202);
    }
  /* A node with a name of its own makes no system databases. */
  {
    g_autoptr(JsonNode) users = mer_test_couch_request (couch, 0, "PUT", "/_users", "admin", "secret",
                                                        NULL, &status);
    g_autoptr(JsonNode) replicator = NULL;

    g_assert_true (status == 201 || status == 202 || status == 412);
    replicator = mer_test_couch_request (couch, 0, "PUT", "/_replicator", "admin", "secret", NULL, &status);
    g_assert_true (status == 201 || status == 202 || status == 412);
  }
  for (guint attempt = 0; n_nodes > 1; attempt++)
    {
      g_autoptr(JsonNode) membership = mer_test_couch_request (couch, 0, "GET", "/_membership",
                                                               "admin", "secret", NULL, &status);
      JsonArray *nodes = json_object_get_array_member (json_node_get_object (membership), "cluster_nodes");

      if (json_array_get_length (nodes) == n_nodes)
        break;
      g_assert_cmpuint (attempt, <, 100);
      g_usleep (100 * 1000);
    }
  return couch;
}

/* Stops every node of @couch and frees it; its folders go with the test's. */
void
mer_test_couch_stop (MerTestCouch *couch)
{
  if (couch == NULL)
    return;
  for (guint n = 0; n < couch->n_nodes; n++)
    {
      stop_node (&couch->nodes[n]);
      g_free (couch->nodes[n].name);
      g_free (couch->nodes[n].dir);
    }
  g_ptr_array_remove (started, couch);
  g_free (couch);
}

/*
 * Sends @signum (SIGKILL for a crash, SIGTERM for a stop) to one node and
 * waits until it is gone; its data stay for mer_test_couch_restart_node().
 */
void
mer_test_couch_kill_node (MerTestCouch *couch,
                          guint         index,
                          int           signum)
{
  MerTestCouchNode *node = &couch->nodes[index];
  GPid pid = node->pid;

  g_assert_cmpint (pid, >, 0);
  kill (-pid, signum);
  kill (pid, signum);
  /* start-node's child is not ours to reap: wait until it is gone. */
  for (guint attempt = 0; kill (pid, 0) == 0; attempt++)
    {
      g_assert_cmpuint (attempt, <, 300);
      g_usleep (50 * 1000);
    }
  node->pid = 0;
}

void
mer_test_couch_restart_node (MerTestCouch *couch,
                             guint         index)
{
  g_assert_cmpint (couch->nodes[index].pid, ==, 0);
  run_start_node (&couch->nodes[index]);
}

/* http://[USER:PASSWORD@]127.0.0.1:PORT[PATH] of node @index. */
char *
mer_test_couch_url (MerTestCouch *couch,
                    guint         index,
                    const char   *user,
                    const char   *password,
                    const char   *path)
{
  g_autofree char *auth = user != NULL ? g_strdup_printf ("%s:%s@", user, password) : g_strdup ("");

  return g_strdup_printf ("http://%s127.0.0.1:%u%s", auth, couch->nodes[index].port,
                          path != NULL ? path : "");
}

/*
 * One HTTP request to node @index as USER:PASSWORD (or none); returns the
 * JSON answer (asserted to be JSON) and sets *@status.
 */
JsonNode *
mer_test_couch_request (MerTestCouch *couch,
                        guint         index,
                        const char   *method,
                        const char   *path,
                        const char   *user,
                        const char   *password,
                        const char   *body,
                        guint        *status)
{
  static SoupSession *session;
  g_autofree char *url = mer_test_couch_url (couch, index, NULL, NULL, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data;

  if (session == NULL)
    session = soup_session_new_with_options ("timeout", 120, NULL);
  g_assert_nonnull (msg);
  if (user != NULL)
    {
      g_autofree char *pair = g_strdup_printf ("%s:%s", user, password);
      g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
      g_autofree char *auth = g_strconcat ("Basic ", encoded, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  data = g_bytes_get_data (answer, &size);
  g_test_message ("%s %s -> %u %.*s", method, path, *status, (int) MIN (size, 300), data);
  g_assert_true (json_parser_load_from_data (parser, data, (gssize) size, NULL));
  return json_parser_steal_root (parser);
}
