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

#include "mer-test-peer.h"

#include <libsoup/soup.h>

typedef enum
{
  FAKE_HTML,        /* a web site: every address is a web page */
  FAKE_OTHER_JSON,  /* some other JSON service */
  FAKE_PROXY_HTML,  /* the root is refused; the "database" is a web page */
  FAKE_HUB,         /* a CouchDB hub that refuses page:b */
} FakeMode;

typedef struct
{
  FakeMode    mode;
  SoupServer *server;
  char       *url;        /* its database URL */
  GHashTable *local_docs; /* path -> _local document */
  guint       bulk_docs;  /* _bulk_docs requests */
  guint       refused_sent; /* times page:b was sent */
} Fake;

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *type,
         const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
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

/* The hub's part: a CouchDB that keeps _local documents and refuses one. */
static void
hub_cb (Fake              *fake,
        SoupServerMessage *msg,
        const char        *path)
{
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/") == 0)
    respond (msg, 200, "application/json", "{\"couchdb\":\"Welcome\",\"uuid\":\"00aa11bb22cc33dd44ee55ff66778899\"}");
  else if (strcmp (path, "/handbook") == 0)
    respond (msg, 200, "application/json", "{\"db_name\":\"handbook\",\"update_seq\":\"0\"}");
  else if (g_str_has_prefix (path, "/handbook/_local/"))
    {
      if (strcmp (method, "GET") == 0)
        {
          const char *doc = g_hash_table_lookup (fake->local_docs, path);

          if (doc != NULL)
            respond (msg, 200, "application/json", doc);
          else
            respond (msg, 404, "application/json", "{\"error\":\"not_found\",\"reason\":\"missing\"}");
        }
      else
        {
          g_autoptr(JsonNode) node = request_json (msg);
          JsonObject *doc = json_node_get_object (node);
          g_autofree char *rev = g_strdup_printf ("0-%u", g_hash_table_size (fake->local_docs) + 1);
          g_autofree char *reply = g_strdup_printf ("{\"ok\":true,\"id\":\"%s\",\"rev\":\"%s\"}",
                                                    path + strlen ("/handbook/"), rev);

          json_object_set_string_member (doc, "_rev", rev);
          g_hash_table_insert (fake->local_docs, g_strdup (path), mer_json_to_string (node, FALSE));
          respond (msg, 201, "application/json", reply);
        }
    }
  else if (strcmp (path, "/handbook/_revs_diff") == 0)
    {
      /* Everything is missing: the hub wants every revision. */
      g_autoptr(JsonNode) node = request_json (msg);
      g_autoptr(JsonObject) reply = json_object_new ();
      g_autoptr(JsonNode) out = NULL;
      g_autofree char *text = NULL;
      JsonObjectIter iter;
      const char *id;
      JsonNode *revs;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &id, &revs))
        {
          JsonObject *missing = json_object_new ();

          json_object_set_member (missing, "missing", json_node_copy (revs));
          json_object_set_object_member (reply, id, missing);
        }
      out = json_node_init_object (json_node_alloc (), reply);
      text = mer_json_to_string (out, FALSE);
      respond (msg, 200, "application/json", text);
    }
  else if (strcmp (path, "/handbook/_bulk_docs") == 0)
    {
      g_autoptr(JsonNode) node = request_json (msg);
      JsonArray *docs = json_object_get_array_member (json_node_get_object (node), "docs");
      g_autoptr(JsonArray) rows = json_array_new ();
      g_autoptr(JsonNode) out = NULL;
      g_autofree char *text = NULL;

      fake->bulk_docs++;
      for (guint i = 0; i < json_array_get_length (docs); i++)
        {
          JsonObject *doc = json_array_get_object_element (docs, i);

          if (g_strcmp0 (mer_json_get_string (doc, "_id"), "page:b") == 0)
            {
              JsonObject *row = json_object_new ();

              fake->refused_sent++;
              json_object_set_string_member (row, "id", "page:b");
              json_object_set_string_member (row, "rev", mer_json_get_string (doc, "_rev"));
              json_object_set_string_member (row, "error", "forbidden");
              json_object_set_string_member (row, "reason", "Only the owner of this page may edit it");
              json_array_add_object_element (rows, row);
            }
        }
      out = json_node_init_array (json_node_alloc (), rows);
      text = mer_json_to_string (out, FALSE);
      respond (msg, 201, "application/json", text);
    }
  else if (strcmp (method, "POST") == 0)
    respond (msg, 201, "application/json", "{\"ok\":true}");
  else
    respond (msg, 404, "application/json", "{\"error\":\"not_found\",\"reason\":\"missing\"}");
}

static void
fake_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fake *fake = user_data;
  static const char page[] = "<!DOCTYPE html>\n<html><head><title>Welcome to our intranet</title></head>"
                             "<body><h1>Sign in</h1></body></html>";

  switch (fake->mode)
    {
    case FAKE_HTML:
      respond (msg, 200, "text/html", page);
      break;
    case FAKE_OTHER_JSON:
      if (strcmp (path, "/") == 0)
        respond (msg, 200, "application/json", "{\"status\":\"ok\",\"service\":\"metrics\",\"version\":\"9.1\"}");
      else
        respond (msg, 200, "application/json", "{\"status\":\"ok\"}");
      break;
    case FAKE_PROXY_HTML:
      if (strcmp (path, "/") == 0)
        respond (msg, 404, "text/html", "<html><body>Not here</body></html>");
      else
        respond (msg, 200, "text/html", page);
      break;
    case FAKE_HUB:
    default:
      hub_cb (fake, msg, path);
      break;
    }
}

static Fake *
fake_new (FakeMode mode)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  fake->mode = mode;
  fake->local_docs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, fake_cb, fake, NULL);
  g_assert_true (soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d/handbook", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return fake;
}

static void
fake_free (Fake *fake)
{
  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_hash_table_unref (fake->local_docs);
  g_free (fake->url);
  g_free (fake);
}

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

static void
put_page (MerStore   *store,
          const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autofree char *rev = NULL;

  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", id + 5);
  json_object_set_string_member (doc, "path", id + 5);
  json_object_set_string_member (doc, "body", "Some text.");
  json_object_set_string_member (doc, "updated_at", "2026-11-20T10:00:00Z");
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
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

  put_page (local, "page:a");
  put_page (local, "page:b");
  put_page (local, "page:c");

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
  put_page (local, "page:d");
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

  put_page (local, "page:a");
  put_page (local, "page:b");
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
