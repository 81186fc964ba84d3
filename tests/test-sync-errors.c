/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sync errors a person can act on, each in plain words, from the
 * replicator (what the sync status popover shows) and from `meridian
 * sync`: a wrong password, a host that does not answer, an address that
 * is not a CouchDB or Meridian database, and a hub that refuses one
 * document of a batch (named once, the rest sent, no retries).
 *
 * The peers are in this process, on 127.0.0.1 on ports they pick: a real
 * Meridian server for the password, and small fake servers for the rest.
 */

#include "config.h"

#include "mer-test-fake-hub.h"
#include "mer-test-peer.h"

/* Nothing of GLib's or libsoup's inner names reaches the person. */
static void
assert_plain (const char *message)
{
  g_assert_nonnull (message);
  g_assert_null (strstr (message, "quark"));
  g_assert_null (strstr (message, "g-io-error"));
  g_assert_null (strstr (message, "GDBus"));
  g_assert_null (strstr (message, "soup"));
  g_assert_null (strstr (message, "JSON"));
  g_assert_null (strstr (message, "<"));
  g_assert_null (strchr (message, '\n'));
}

/*
 * Runs one sync with the replicator (what the app shows) and one with
 * `meridian sync` (what the command line says); both must fail with
 * @code and say @words. Returns the replicator's message.
 */
static char *
assert_sync_error (const char *url,
                   int         code,
                   const char *words)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autofree char *err = NULL;
  g_autoptr(MerReplicator) replicator = NULL;
  g_autoptr(GError) error = NULL;
  TestSyncResult res = { 0 };
  char *message;

  replicator = mer_replicator_new (local, url, &error);
  g_assert_no_error (error);
  mer_replicator_set_max_retries (replicator, 0);
  mer_replicator_run_async (replicator, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (res.error, MER_REPLICATOR_ERROR, code);
  g_test_message ("replicator: %s", res.error->message);
  g_assert_nonnull (strstr (res.error->message, words));
  assert_plain (res.error->message);
  g_assert_cmpint (mer_replicator_get_state (replicator), ==, MER_REPLICATOR_STATE_ERROR);
  g_assert_cmpstr (mer_replicator_get_error_message (replicator), ==, res.error->message);
  message = g_strdup (res.error->message);
  g_clear_error (&res.error);
  g_clear_object (&local);

  g_assert_cmpint (mer_test_run_meridian_spinning (NULL, NULL, &err, "--data", dir, "sync", url,
                                                   "--retries", "0", NULL), ==, 1);
  g_assert_nonnull (strstr (err, words));
  g_assert_true (g_str_has_prefix (err, "meridian sync: "));
  g_strchomp (err);
  assert_plain (err);
  mer_test_rm_rf (dir);
  return message;
}

static void
test_wrong_password (void)
{
  TestPeer *remote = test_peer_new ("ana", "right-one");
  g_autofree char *url = g_strdup_printf ("http://ana:wrong-one@127.0.0.1:%u/handbook",
                                          mer_server_get_port (remote->server));
  g_autofree char *message = assert_sync_error (url, MER_REPLICATOR_ERROR_REFUSED,
                                                "did not accept the name or password");

  g_assert_null (strstr (message, "wrong-one"));
  test_peer_free (remote);
}

/* A port where nothing listens: one this test picked, then closed. */
static guint
closed_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

static void
test_unreachable (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/handbook", closed_port ());
  g_autofree char *message = assert_sync_error (url, MER_REPLICATOR_ERROR_UNREACHABLE, "Could not reach");

  g_assert_nonnull (strstr (message, url));
  g_assert_nonnull (strstr (message, "Check the address"));
}

static void
test_web_page (void)
{
  Fake *fake = fake_new (FAKE_HTML);
  g_autofree char *message = assert_sync_error (fake->url, MER_REPLICATOR_ERROR_NOT_DATABASE,
                                                "is not a CouchDB or Meridian database");

  g_assert_nonnull (strstr (message, "web page"));
  fake_free (fake);
}

static void
test_other_json (void)
{
  Fake *fake = fake_new (FAKE_OTHER_JSON);
  g_autofree char *message = assert_sync_error (fake->url, MER_REPLICATOR_ERROR_NOT_DATABASE,
                                                "is not a CouchDB or Meridian database");

  g_assert_nonnull (strstr (message, "does not say CouchDB or Meridian"));
  fake_free (fake);
}

/* Behind a proxy the root may be refused: the database itself is judged. */
static void
test_proxy_web_page (void)
{
  Fake *fake = fake_new (FAKE_PROXY_HTML);
  g_autofree char *message = assert_sync_error (fake->url, MER_REPLICATOR_ERROR_NOT_DATABASE,
                                                "is not a CouchDB or Meridian database");

  fake_free (fake);
}

/*
 * The hub refuses one document of the batch: the others are sent, the
 * sync succeeds and names the refused one with the hub's reason, once;
 * the next sync does not send it again.
 */
static void
test_refused_document (void)
{
  Fake *fake = fake_new (FAKE_HUB);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(MerReplicator) replicator = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  TestSyncResult res = { 0 };
  JsonArray *refused;
  JsonObject *row;

  fake_put_page (local, "page:a");
  fake_put_page (local, "page:b");
  fake_put_page (local, "page:c");

  replicator = mer_replicator_new (local, fake->url, &error);
  g_assert_no_error (error);
  mer_replicator_set_direction (replicator, MER_REPLICATOR_PUSH);
  mer_replicator_run_async (replicator, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (res.error);
  g_assert_cmpuint (mer_replicator_get_docs_written (replicator), ==, 2);
  refused = mer_replicator_get_refused (replicator);
  g_assert_cmpuint (json_array_get_length (refused), ==, 1);
  row = json_array_get_object_element (refused, 0);
  g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "page:b");
  g_assert_cmpstr (mer_json_get_string (row, "reason"), ==, "Only the owner of this page may edit it");
  g_assert_cmpint (mer_replicator_get_state (replicator), !=, MER_REPLICATOR_STATE_ERROR);
  g_assert_cmpuint (fake->refused_sent, ==, 1);

  /* The same again: nothing new, nothing retried. */
  res = test_sync (local, fake->url, MER_REPLICATOR_PUSH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (fake->refused_sent, ==, 1);

  /* The command line names it once, after the summary, and succeeds. */
  fake_put_page (local, "page:d");
  g_clear_object (&local);
  g_assert_cmpint (mer_test_run_meridian_spinning (NULL, &out, NULL, "--data", dir, "sync", fake->url,
                                                   "--push", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "1 written"));
  g_assert_cmpuint (fake->refused_sent, ==, 1);
  g_assert_null (strstr (out, "page:b"));
  fake_free (fake);
  mer_test_rm_rf (dir);
}

/* A refused document the first time: the command line's line for it. */
static void
test_refused_document_cli (void)
{
  Fake *fake = fake_new (FAKE_HUB);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  guint naming = 0;

  fake_put_page (local, "page:a");
  fake_put_page (local, "page:b");
  g_clear_object (&local);
  g_assert_cmpint (mer_test_run_meridian_spinning (NULL, &out, &err, "--data", dir, "sync", fake->url,
                                                   "--push", NULL), ==, 0);
  g_assert_null (strstr (err, "page:b"));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "page:b") != NULL)
      {
        naming++;
        g_assert_nonnull (strstr (lines[i], "refused"));
        g_assert_nonnull (strstr (lines[i], "Only the owner of this page may edit it"));
      }
  g_assert_cmpuint (naming, ==, 1);
  g_assert_cmpuint (fake->refused_sent, ==, 1);
  fake_free (fake);
  mer_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/sync-errors/wrong-password", test_wrong_password);
  g_test_add_func ("/sync-errors/unreachable", test_unreachable);
  g_test_add_func ("/sync-errors/web-page", test_web_page);
  g_test_add_func ("/sync-errors/other-json", test_other_json);
  g_test_add_func ("/sync-errors/proxy-web-page", test_proxy_web_page);
  g_test_add_func ("/sync-errors/refused-document", test_refused_document);
  g_test_add_func ("/sync-errors/refused-document-cli", test_refused_document_cli);
  return g_test_run ();
}
