/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for what a peer controls: the request line, the query,
 * the content type and the body, through the server's router into the
 * validator and the replica, plus the validator and the address parser on
 * their own, and the Basic credentials parser. The body is also read as a
 * peer's _bulk_get answer, by the one-pass reader and by json-glib, which
 * must agree. Input: a method byte, then "path?query\ncontent-type\nbody".
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-core.h"
#include "mer-json.h"
#include "mer-revision-private.h"
#include "mer-server.h"
#include "mer-store.h"
#include "mer-validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char * const methods[] = {
  "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "COPY", "PATCH",
};

static MerServer *server;
static char *data_dir;

static void
remove_data_dir (void)
{
  g_autofree char *command = NULL;

  if (data_dir == NULL)
    return;
  command = g_strdup_printf ("rm -rf '%s'", data_dir);
  if (system (command) != 0)
    g_printerr ("could not remove %s\n", data_dir);
}

static void
setup (void)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(MerAccounts) accounts = NULL;
  g_autoptr(GError) error = NULL;

  /* A failed precondition inside the code under test is a bug too. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  data_dir = g_dir_make_tmp ("meridian-fuzz-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_data_dir);
  store = mer_core_open_store (data_dir, &error);
  g_assert_no_error (error);
  accounts = mer_accounts_new (data_dir);
  server = mer_server_new (store, accounts);
}

static void
fuzz_validator (const char *body,
                gsize       length)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  if (!mer_validate_json_text (body, length, MER_VALIDATE_MAX_DEPTH + 2, NULL))
    return;
  node = mer_json_parse (body, length, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);
  (void) mer_validate_doc (object, NULL, NULL);
  (void) mer_validate_doc (object, object, NULL);
  (void) mer_validate_local_doc (object, NULL);
  if (json_object_has_member (object, "_revisions"))
    (void) mer_validate_revisions (json_object_get_member (object, "_revisions"),
                                   mer_json_get_string (object, "_rev"), NULL);
}

/*
 * Whatever the one-pass reader makes of an answer, json-glib must make the
 * same of it: the same documents, bodies, histories and strings.
 */
static void
fuzz_reader (const char *body,
             gsize       length)
{
  g_autoptr(GPtrArray) read = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_results = FALSE;
  JsonNode *results;
  guint n = 0;

  read = _mer_revisions_read_bulk_get (body, length, &has_results);
  if (read == NULL)
    return;
  root = mer_json_parse (body, length, &error);
  /* Text with what json-glib cannot hold exactly is for the reader alone,
   * which marks the documents holding it. */
  if (root == NULL)
    {
      g_assert_true (error->domain == MER_JSON_ERROR);
      return;
    }
  g_assert_true (has_results == json_object_has_member (json_node_get_object (root), "results"));
  results = has_results ? json_object_get_member (json_node_get_object (root), "results") : NULL;
  for (guint i = 0; results != NULL && i < json_array_get_length (json_node_get_array (results)); i++)
    {
      /* The reader reads only answers of the usual shape. */
      JsonObject *result = json_array_get_object_element (json_node_get_array (results), i);
      JsonArray *docs = json_object_has_member (result, "docs")
                        ? json_object_get_array_member (result, "docs") : NULL;

      for (guint j = 0; docs != NULL && j < json_array_get_length (docs); j++)
        {
          JsonObject *entry = json_array_get_object_element (docs, j);
          g_autoptr(MerRevision) expected = NULL;
          MerRevision *got;

          if (!json_object_has_member (entry, "ok"))
            continue;
          expected = mer_revision_new_from_doc (json_object_get_object_member (entry, "ok"));
          g_assert_cmpuint (n, <, read->len);
          got = g_ptr_array_index (read, n++);
          g_assert_cmpstr (got->id, ==, expected->id);
          g_assert_cmpstr (got->rev, ==, expected->rev);
          g_assert_cmpint (got->deleted, ==, expected->deleted);
          g_assert_cmpint (got->start, ==, expected->start);
          g_assert_true (got->ids == NULL ? expected->ids == NULL
                         : g_strv_equal ((const char * const *) got->ids, (const char * const *) expected->ids));
          g_assert_true ((got->problem == NULL) == (expected->problem == NULL));
          if (got->problem == NULL)
            g_assert_cmpstr (got->body, ==, expected->body);
        }
    }
  g_assert_cmpuint (n, ==, read->len);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *copy = NULL;
  g_autofree char *out = NULL;
  const char *method, *path, *content_type = NULL, *body = "";
  char *newline;
  gsize body_length = 0;

  if (server == NULL)
    setup ();
  if (size < 2)
    return 0;

  method = methods[data[0] % G_N_ELEMENTS (methods)];
  copy = g_malloc (size);
  memcpy (copy, data + 1, size - 1);
  copy[size - 1] = '\0';
  path = copy;
  if ((newline = strchr (copy, '\n')) != NULL)
    {
      *newline = '\0';
      content_type = newline + 1;
      if ((newline = strchr (newline + 1, '\n')) != NULL)
        {
          *newline = '\0';
          body = newline + 1;
          body_length = (size - 1) - (gsize) (body - copy);
        }
    }

  {
    g_autoptr(GInetAddress) address = NULL;
    guint16 port;

    g_autofree char *name = NULL;
    g_autofree char *password = NULL;

    (void) mer_server_parse_address (path, &address, &port, NULL);
    (void) mer_accounts_parse_basic (path, &name, &password);
  }
  fuzz_validator (body, body_length);
  fuzz_reader (body, body_length);

  /* Paths are rooted; make most inputs reach the database's routes. */
  if (path[0] == '/')
    (void) mer_server_handle_request (server, method, path, content_type, body, body_length, &out);
  else
    {
      g_autofree char *rooted = g_strconcat ("/handbook/", path, NULL);
      (void) mer_server_handle_request (server, method, rooted, content_type, body, body_length, &out);
    }
  return 0;
}
