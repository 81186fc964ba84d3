/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for a document's way from one replica to another: the
 * input is PUT into a first replica through the server; whatever it
 * accepts is served (GET and _bulk_get), read back by the pull's reader
 * and written into a second replica. Both replicas must then hold the
 * same canonical body under the same revision id, that body must read and
 * write back to itself, the revision id must be the one its canonical text
 * hashes to, and everything served must be JSON.
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-core.h"
#include "mer-json.h"
#include "mer-revision.h"
#include "mer-server.h"
#include "mer-store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static MerStore *source;
static MerStore *target;
static MerServer *server;
static char *data_dirs[2];
static guint64 counter;

static void
remove_data_dirs (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (data_dirs); i++)
    {
      g_autofree char *command = NULL;

      if (data_dirs[i] == NULL)
        continue;
      command = g_strdup_printf ("rm -rf '%s'", data_dirs[i]);
      if (system (command) != 0)
        g_printerr ("could not remove %s\n", data_dirs[i]);
    }
}

static void
setup (void)
{
  g_autoptr(MerAccounts) accounts = NULL;
  g_autoptr(GError) error = NULL;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  for (guint i = 0; i < G_N_ELEMENTS (data_dirs); i++)
    {
      data_dirs[i] = g_dir_make_tmp ("meridian-fuzz-XXXXXX", &error);
      g_assert_no_error (error);
    }
  atexit (remove_data_dirs);
  source = mer_core_open_store (data_dirs[0], &error);
  g_assert_no_error (error);
  target = mer_core_open_store (data_dirs[1], &error);
  g_assert_no_error (error);
  accounts = mer_accounts_new (data_dirs[0]);
  server = mer_server_new (source, accounts);
}

/* A document as a replica holds it, in canonical text (with _id, _rev). */
static char *
held (MerStore   *store,
      const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, 0, &error);
  g_autoptr(JsonNode) node = NULL;

  g_assert_no_error (error);
  node = json_node_init_object (json_node_alloc (), doc);
  return mer_json_canonical (node);
}

/* Served text must be JSON that mer_json_parse() accepts. */
static JsonNode *
served (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = mer_json_parse (text, -1, &error);

  if (node == NULL)
    g_error ("served text is not JSON (%s): %s", error->message, text);
  return node;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *request = NULL;
  g_autofree char *in_source = NULL;
  g_autofree char *in_target = NULL;
  g_autofree char *body = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autoptr(GPtrArray) revisions = NULL;
  g_autoptr(JsonArray) refusals = NULL;
  g_autoptr(GError) error = NULL;
  MerRevision *revision;
  g_autofree char *rev = NULL;
  gboolean has_results = FALSE;
  guint status;

  if (server == NULL)
    setup ();

  id = g_strdup_printf ("fz%" G_GUINT64_FORMAT, counter++);
  path = g_strdup_printf ("/%s/%s", mer_store_get_name (source), id);
  status = mer_server_handle_request (server, "PUT", path, "application/json", (const char *) data, size, &out);
  if (status != 201)
    return 0;
  reply = served (out);
  rev = g_strdup (json_object_get_string_member (json_node_get_object (reply), "rev"));

  /* GET serves JSON (a deleted document is not found). */
  g_clear_pointer (&out, g_free);
  status = mer_server_handle_request (server, "GET", path, NULL, NULL, 0, &out);
  g_assert_true (status == 200 || status == 404);
  json_node_unref (served (out));

  /* _bulk_get serves JSON the pull's reader reads back whole. */
  g_clear_pointer (&out, g_free);
  request = g_strdup_printf ("{\"docs\":[{\"id\":\"%s\",\"rev\":\"%s\"}]}", id, rev);
  g_free (path);
  path = g_strdup_printf ("/%s/_bulk_get?revs=true&latest=true", mer_store_get_name (source));
  status = mer_server_handle_request (server, "POST", path, "application/json", request, strlen (request), &out);
  g_assert_cmpuint (status, ==, 200);
  json_node_unref (served (out));
  revisions = mer_revisions_from_bulk_get (out, strlen (out), &has_results, &error);
  g_assert_no_error (error);
  g_assert_true (has_results);
  g_assert_cmpuint (revisions->len, ==, 1);
  revision = g_ptr_array_index (revisions, 0);
  if (revision->problem != NULL)
    g_error ("what one replica keeps, the next refuses (%s): %s", revision->problem->message, out);
  g_assert_cmpstr (revision->rev, ==, rev);

  /* The other replica keeps the same canonical body and revision id. */
  refusals = mer_store_put_revisions (target, revisions, "fuzz", &error);
  g_assert_no_error (error);
  if (json_array_get_length (refusals) > 0)
    g_error ("the second replica refused %s", out);
  if (revision->deleted)
    return 0;
  in_source = held (source, id);
  in_target = held (target, id);
  g_assert_cmpstr (in_source, ==, in_target);

  /* The canonical body reads and writes back to itself. */
  body_node = served (revision->body);
  again = mer_json_canonical (body_node);
  g_assert_cmpstr (again, ==, revision->body);

  /* Its revision id is the one its canonical text hashes to: the same
   * body written as a new document gets the same first revision. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&reply, json_node_unref);
  g_free (path);
  path = g_strdup_printf ("/%s/%s-again", mer_store_get_name (source), id);
  status = mer_server_handle_request (server, "PUT", path, "application/json", revision->body,
                                      strlen (revision->body), &out);
  g_assert_cmpuint (status, ==, 201);
  reply = served (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "rev"), ==, rev);
  return 0;
}
