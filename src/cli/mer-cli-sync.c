/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meridian sync URL [--pull|--push] [--continuous]
 *
 * Replicates the workspace with a peer's database (another Meridian,
 * PouchDB server or Apache CouchDB) and prints a one-line summary, then
 * one line per document refused on either side. A continuous sync runs
 * until interrupted (SIGINT or SIGTERM), then prints the summary of the
 * whole run.
 *
 * meridian sync --refused [--json]
 *
 * Lists the revisions other replicas sent that this replica refused (see
 * mer_store_list_refused()), newest first.
 */

#include "config.h"

#include "mer-cli.h"
#include "mer-json.h"
#include "mer-replicator.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <inttypes.h>

typedef struct
{
  GMainLoop *loop;
  GError    *error;
  gboolean   done;
} SyncRun;

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  SyncRun *run = user_data;

  mer_replicator_run_finish (MER_REPLICATOR (object), result, &run->error);
  run->done = TRUE;
  g_main_loop_quit (run->loop);
}

/* Prints the refused table, for an admin to see what peers tried. */
static int
list_refused (MerCliContext *ctx,
              gboolean       json)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  rows = mer_store_list_refused (store, &error);
  if (rows == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (json)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), rows);

      mer_cli_print_json (node);
      return 0;
    }
  if (json_array_get_length (rows) == 0)
    printf ("%s\n", _("No document was refused."));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      /* Translators: a refused revision: time, document id, revision, who sent it, why. */
      printf (_("%s  %s %s from %s: %s\n"),
              mer_json_get_string (row, "at"), mer_json_get_string (row, "id"),
              mer_json_get_string (row, "rev"), mer_json_get_string (row, "source") ?: "?",
              mer_json_get_string (row, "reason"));
    }
  return 0;
}

static gboolean
stop_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_CONTINUE;
}

int
mer_cli_sync (MerCliContext *ctx,
              int            argc,
              char         **argv)
{
  gboolean pull_only = FALSE;
  gboolean push_only = FALSE;
  gboolean continuous = FALSE;
  int batch_size = MER_REPLICATOR_DEFAULT_BATCH_SIZE;
  int retries = 4;
  gboolean json = FALSE;
  gboolean refused = FALSE;
  GOptionEntry entries[] = {
    { "pull", 0, 0, G_OPTION_ARG_NONE, &pull_only, N_("Only fetch the peer's changes"), NULL },
    { "push", 0, 0, G_OPTION_ARG_NONE, &push_only, N_("Only send local changes"), NULL },
    { "continuous", 0, 0, G_OPTION_ARG_NONE, &continuous,
      N_("Keep syncing as changes happen, until interrupted"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the summary as JSON"), NULL },
    { "refused", 0, 0, G_OPTION_ARG_NONE, &refused,
      N_("List the documents other replicas sent that were refused, and sync nothing"), NULL },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &batch_size, N_("Documents per request (default 500)"), "N" },
    { "retries", 0, 0, G_OPTION_ARG_INT, &retries,
      N_("Network retries before giving up (default 4)"), "N" },
    { NULL }
  };
  g_autoptr(MerStore) store = NULL;
  g_autoptr(MerReplicator) replicator = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  MerReplicatorDirection direction = MER_REPLICATOR_BOTH;
  SyncRun run = { NULL, NULL, FALSE };
  guint sigint_id, sigterm_id;

  if (!mer_cli_parse (ctx, entries, _("URL"),
                      _("Replicates the workspace with a peer: another Meridian "
                        "(meridian serve), a PouchDB server or an Apache CouchDB "
                        "database, e.g. https://user:password@host:5984/handbook."),
                      &argc, &argv))
    return 2;
  if (refused)
    {
      if (argc != 1)
        return mer_cli_fail (ctx, "%s", _("--refused takes no URL"));
      return list_refused (ctx, json);
    }
  if (argc != 2)
    return mer_cli_fail (ctx, "%s", _("expected one URL; see “meridian sync --help”"));
  if (pull_only && push_only)
    return mer_cli_fail (ctx, "%s", _("--pull and --push exclude each other"));
  if (batch_size < 1 || batch_size > 10000)
    return mer_cli_fail (ctx, "%s", _("--batch-size must be between 1 and 10000"));
  if (retries < 0)
    return mer_cli_fail (ctx, "%s", _("--retries must not be negative"));
  if (pull_only)
    direction = MER_REPLICATOR_PULL;
  else if (push_only)
    direction = MER_REPLICATOR_PUSH;

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  replicator = mer_replicator_new (store, argv[1], &error);
  if (replicator == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  mer_replicator_set_direction (replicator, direction);
  mer_replicator_set_continuous (replicator, continuous);
  mer_replicator_set_batch_size (replicator, (guint) batch_size);
  mer_replicator_set_max_retries (replicator, (guint) retries);
  /* This process ends with the sync: the next search indexes the pages. */
  mer_replicator_set_search_later (replicator, TRUE);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, stop_cb, cancellable);
  sigterm_id = g_unix_signal_add (SIGTERM, stop_cb, cancellable);
  mer_replicator_run_async (replicator, cancellable, run_cb, &run);
  if (!run.done)
    g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  /* A continuous sync ends by interruption: that is its normal end. */
  if (run.error != NULL
      && !(continuous && g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      int status = mer_cli_fail (ctx, "%s", run.error->message);

      g_clear_error (&run.error);
      return status;
    }
  g_clear_error (&run.error);

  if (json)
    {
      g_autoptr(JsonObject) summary = json_object_new ();
      g_autoptr(JsonNode) node = NULL;

      json_object_set_string_member (summary, "url", mer_replicator_get_url (replicator));
      json_object_set_int_member (summary, "docs_read", (gint64) mer_replicator_get_docs_read (replicator));
      json_object_set_int_member (summary, "docs_written", (gint64) mer_replicator_get_docs_written (replicator));
      json_object_set_int_member (summary, "pulled", (gint64) mer_replicator_get_pulled (replicator));
      json_object_set_int_member (summary, "pushed", (gint64) mer_replicator_get_pushed (replicator));
      json_object_set_int_member (summary, "changes_fetched", (gint64) mer_replicator_get_changes_fetched (replicator));
      json_object_set_int_member (summary, "conflicts_merged", mer_replicator_get_conflicts_merged (replicator));
      json_object_set_int_member (summary, "conflicts_left", mer_replicator_get_conflicts_left (replicator));
      json_object_set_array_member (summary, "refused", json_array_ref (mer_replicator_get_refused (replicator)));
      node = json_node_init_object (json_node_alloc (), summary);
      mer_cli_print_json (node);
      return 0;
    }

  /* PRIu64 rather than G_GUINT64_FORMAT: xgettext knows the former. */
  printf (_("Synced with %s: %" PRIu64 " documents read, %" PRIu64
            " written (%" PRIu64 " pulled, %" PRIu64 " pushed), "
            "%u conflicts merged, %u left to resolve\n"),
          mer_replicator_get_url (replicator),
          (uint64_t) mer_replicator_get_docs_read (replicator),
          (uint64_t) mer_replicator_get_docs_written (replicator),
          (uint64_t) mer_replicator_get_pulled (replicator),
          (uint64_t) mer_replicator_get_pushed (replicator),
          mer_replicator_get_conflicts_merged (replicator),
          mer_replicator_get_conflicts_left (replicator));
  {
    JsonArray *rows = mer_replicator_get_refused (replicator);

    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);

        if (g_strcmp0 (mer_json_get_string (row, "direction"), "pull") == 0)
          /* Translators: a pulled revision this replica refused: id, revision, why. */
          printf (_("Refused %s %s from the peer: %s\n"), mer_json_get_string (row, "id") ?: "?",
                  mer_json_get_string (row, "rev") ?: "", mer_json_get_string (row, "reason") ?: "");
        else
          /* Translators: a pushed revision the peer refused: id, revision, why. */
          printf (_("The peer refused %s %s: %s\n"), mer_json_get_string (row, "id") ?: "?",
                  mer_json_get_string (row, "rev") ?: "", mer_json_get_string (row, "reason") ?: "");
      }
  }
  return 0;
}
