/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meridian sync URL [--pull|--push] [--continuous]
 *                   [--password-stdin | --password-file FILE]
 *
 * Replicates the workspace with a peer's database (another Meridian,
 * PouchDB server or Apache CouchDB) and prints a one-line summary, then
 * one line per document refused on either side. A continuous sync runs
 * until interrupted (SIGINT or SIGTERM), then prints the summary of the
 * whole run. The password comes from standard input or a file, never from
 * the command line, where other users see it in the process list; or,
 * for a URL with a user name (https://ana@host/db) or a peer set up in
 * Preferences, from the keyring.
 *
 * meridian sync --refused [--json]
 *
 * Lists the revisions other replicas sent that this replica refused (see
 * mer_store_list_refused()), newest first.
 */

#include "config.h"

#include "mer-cli.h"
#include "mer-json.h"
#include "mer-peers.h"
#include "mer-replicator.h"
#include "mer-tls.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>

/* Longer than any password a person or a hub would use. */
#define MAX_PASSWORD 4096

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

/*
 * The first line of @text, the password, without its line end; NULL when
 * there is none.
 */
static char *
first_line (const char *text,
            gsize       length)
{
  gsize end = 0;

  while (end < length && text[end] != '\n' && text[end] != '\0')
    end++;
  if (end > 0 && text[end - 1] == '\r')
    end--;
  return end > 0 ? g_strndup (text, end) : NULL;
}

/*
 * Reads the password of --password-stdin or --password-file. On failure,
 * *status is the exit status and NULL is returned.
 */
static char *
read_password (MerCliContext *ctx,
               gboolean       from_stdin,
               const char    *file,
               int           *status)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *password;

  *status = 0;
  if (from_stdin)
    {
      char buffer[MAX_PASSWORD + 2];

      length = fread (buffer, 1, sizeof buffer - 1, stdin);
      buffer[length] = '\0';
      text = g_strndup (buffer, length);
      memset (buffer, 0, sizeof buffer);
    }
  else if (!g_file_get_contents (file, &text, &length, &error))
    {
      *status = mer_cli_fail (ctx, _("cannot read the password file: %s"), error->message);
      return NULL;
    }
  password = first_line (text, length);
  memset (text, 0, length);
  if (password == NULL)
    *status = mer_cli_fail (ctx, "%s", from_stdin ? _("no password on standard input")
                                       : _("the password file is empty"));
  else if (strlen (password) > MAX_PASSWORD)
    {
      *status = mer_cli_fail (ctx, "%s", _("the password is too long"));
      g_clear_pointer (&password, g_free);
    }
  return password;
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
  gboolean password_stdin = FALSE;
  g_autofree char *password_file = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *password = NULL;
  g_autofree char *username = NULL;
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
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the password from the first line of standard input"), NULL },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the password from the first line of FILE"), N_("FILE") },
    { "fingerprint", 0, 0, G_OPTION_ARG_STRING, &fingerprint,
      N_("Accept the peer's certificate with this SHA-256 fingerprint (as the sharer's Preferences show it), "
         "and only that one, from now on"), N_("SHA256") },
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
                        "database, e.g. https://ana@host:5984/handbook. The user "
                        "name goes in the URL; the password comes from "
                        "--password-stdin or --password-file, or else from the "
                        "keyring, where Meridian keeps the passwords of the peers "
                        "set up in its Preferences. Never put a password on the "
                        "command line: other users of the computer can see it."),
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
  if (password_stdin && password_file != NULL)
    return mer_cli_fail (ctx, "%s", _("--password-stdin and --password-file exclude each other"));
  if (password_stdin || password_file != NULL)
    {
      g_autofree char *bare = mer_peers_split_url (argv[1], &username, NULL, &error);
      g_autofree char *data_dir = ctx->data_dir != NULL ? g_strdup (ctx->data_dir) : mer_cli_default_data_dir ();
      int status;

      if (bare == NULL)
        return mer_cli_fail (ctx, "%s", error->message);
      if (username == NULL)
        {
          g_autoptr(MerPeer) peer = mer_peers_lookup (data_dir, bare);

          if (peer != NULL)
            username = g_strdup (peer->username);
        }
      if (username == NULL)
        return mer_cli_fail (ctx, "%s", _("a password needs a user name: put it in the URL, "
                                          "as in https://ana@host/handbook"));
      password = read_password (ctx, password_stdin, password_file, &status);
      if (password == NULL)
        return status;
    }
  if (pull_only)
    direction = MER_REPLICATOR_PULL;
  else if (push_only)
    direction = MER_REPLICATOR_PUSH;

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (fingerprint != NULL)
    {
      g_autofree char *normal = mer_tls_normalize_fingerprint (fingerprint, &error);
      g_autofree char *bare = normal != NULL ? mer_peers_split_url (argv[1], NULL, NULL, &error) : NULL;

      /* The person compared it with the sharer: remember it for this host. */
      if (bare == NULL || !mer_tls_known_save (mer_store_get_data_dir (store), bare, normal, &error))
        return mer_cli_fail (ctx, "%s", error->message);
    }
  replicator = mer_replicator_new (store, argv[1], &error);
  if (replicator == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (password != NULL)
    {
      mer_replicator_set_credentials (replicator, username, password);
      memset (password, 0, strlen (password));
    }
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
