/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meridian invite [--role rw|ro] [--days N] [--name NAME] [--url URL] [--json]
 * meridian invite --list [--json] | --revoke NAME
 *
 * Makes an invite for a teammate (an account with a random secret that
 * expires unless used; see mer-invites.h) and prints its link.
 *
 * meridian join LINK [--keep-password-in-file]
 *
 * Opens an invite: pins the sharer's certificate, keeps the secret in the
 * keyring as the peer's password, and pulls the workspace, showing its
 * progress.
 */

#include "config.h"

#include "mer-accounts.h"
#include "mer-cli.h"
#include "mer-invites.h"
#include "mer-json.h"
#include "mer-peers.h"
#include "mer-replicator.h"
#include "mer-secrets.h"
#include "mer-tls.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SHARE_PORT 5985

static char *
data_dir_of (MerCliContext *ctx)
{
  return ctx->data_dir != NULL ? g_strdup (ctx->data_dir) : mer_cli_default_data_dir ();
}

static int
list_invites (MerCliContext *ctx,
              gboolean json)
{
  g_autofree char *data_dir = data_dir_of (ctx);
  g_autoptr (JsonArray) list = mer_invites_list (data_dir);

  if (json)
    {
      g_autoptr (JsonNode) node = json_node_init_array (json_node_alloc (), json_array_ref (list));

      mer_cli_print_json (node);
      return 0;
    }
  if (json_array_get_length (list) == 0)
    printf ("%s\n", _ ("No invites."));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *row = json_array_get_object_element (list, i);

      /* Translators: an invite: account, role, status, expiry. */
      printf (_ ("%s  %s  %s  expires %s\n"), mer_json_get_string (row, "name"),
              mer_json_get_string (row, "role"), mer_json_get_string (row, "status"),
              mer_json_get_string (row, "expires"));
    }
  return 0;
}

int
mer_cli_invite (MerCliContext *ctx,
                int argc,
                char **argv)
{
  g_autofree char *role_text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *url = NULL;
  g_autofree char *revoke = NULL;
  g_autofree char *expires_at = NULL;
  int days = MER_INVITES_DEFAULT_DAYS;
  gboolean json = FALSE;
  gboolean list = FALSE;
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_text, N_ ("rw (read-write, the default) or ro (read-only)"), N_ ("ROLE") },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_ ("Days until the invite expires unless used (default 7)"), "N" },
    { "expires-at", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &expires_at, NULL, NULL },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_ ("The teammate's account name (default: guest-…)"), N_ ("NAME") },
    { "url", 0, 0, G_OPTION_ARG_STRING, &url,
      N_ ("The address teammates reach this workspace at (default https://HOSTNAME:5985/NAME)"), N_ ("URL") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print the invite as JSON"), NULL },
    { "list", 0, 0, G_OPTION_ARG_NONE, &list, N_ ("List the invites made here and whether they were used"), NULL },
    { "revoke", 0, 0, G_OPTION_ARG_STRING, &revoke, N_ ("Revoke the invite of account NAME"), N_ ("NAME") },
    { NULL }
  };
  g_autofree char *data_dir = data_dir_of (ctx);
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (MerInviteLink) link = NULL;
  g_autoptr (MerStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *text = NULL;
  MerRole role = MER_ROLE_RW;
  gint64 expires;

  if (!mer_cli_parse (ctx, entries, NULL,
                      _ ("Makes an invite for a teammate: an account with a random secret, "
                         "refused after its expiry unless used, as a meridian:join link that "
                         "“meridian join” opens. Share this workspace (meridian serve --tls "
                         "or Preferences) so that the link's address answers."),
                      &argc, &argv))
    return 2;
  if (argc != 1)
    return mer_cli_fail (ctx, "%s", _ ("unexpected argument; see “meridian invite --help”"));
  if (list)
    return list_invites (ctx, json);
  if (revoke != NULL)
    {
      if (!mer_invites_revoke (data_dir, revoke, &error))
        return mer_cli_fail (ctx, "%s", error->message);
      printf (_ ("Revoked the invite of %s\n"), revoke);
      return 0;
    }
  if (role_text != NULL && (role = mer_role_from_string (role_text)) == MER_ROLE_NONE)
    return mer_cli_fail (ctx, "%s", _ ("--role must be rw or ro"));
  if (days < 0 || days > MER_INVITES_MAX_DAYS)
    return mer_cli_fail (ctx, _ ("--days must be between 0 and %d"), MER_INVITES_MAX_DAYS);
  expires = g_get_real_time () / G_USEC_PER_SEC + (gint64) days * 24 * 3600;
  if (expires_at != NULL)
    {
      /* For tests: an expiry at a given time, possibly past. */
      g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (expires_at, NULL);

      if (when == NULL)
        return mer_cli_fail (ctx, "%s", _ ("--expires-at is not a date and time"));
      expires = g_date_time_to_unix (when);
    }

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  certificate = mer_tls_ensure_certificate (mer_store_get_data_dir (store), NULL, &error);
  if (certificate == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  fingerprint = mer_tls_fingerprint (certificate);
  if (url == NULL)
    url = g_strdup_printf ("https://%s:%u/%s", g_get_host_name (), DEFAULT_SHARE_PORT, mer_store_get_name (store));

  link = mer_invites_create (mer_store_get_data_dir (store), url, fingerprint, name, role, expires, &error);
  if (link == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  text = mer_invite_link_format (link);
  if (json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = NULL;
      g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (expires);
      g_autofree char *when_text = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");

      json_object_set_string_member (object, "link", text);
      json_object_set_string_member (object, "user", link->user);
      json_object_set_string_member (object, "role", mer_role_to_string (role));
      json_object_set_string_member (object, "expires", when_text);
      node = json_node_init_object (json_node_alloc (), g_steal_pointer (&object));
      mer_cli_print_json (node);
    }
  else
    printf ("%s\n", text);
  return 0;
}

typedef struct
{
  GMainLoop *loop;
  GError *error;
  gboolean done;
} JoinRun;

static void
join_run_cb (GObject *object,
             GAsyncResult *result,
             gpointer user_data)
{
  JoinRun *run = user_data;

  mer_replicator_run_finish (MER_REPLICATOR (object), result, &run->error);
  run->done = TRUE;
  g_main_loop_quit (run->loop);
}

static void
progress_cb (MerReplicator *replicator,
             GParamSpec *pspec,
             gpointer user_data)
{
  guint64 received = mer_replicator_get_docs_written (replicator);

  /* Translators: the progress of a first pull. */
  fprintf (stderr,
           g_dngettext (GETTEXT_PACKAGE, "Received %" PRIu64 " document…\n", "Received %" PRIu64 " documents…\n",
                        (gulong) MIN (received, G_MAXULONG)),
           (uint64_t) received);
}

static gboolean
stop_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_CONTINUE;
}

int
mer_cli_join (MerCliContext *ctx,
              int argc,
              char **argv)
{
  gboolean keep_in_file = FALSE;
  GOptionEntry entries[] = {
    { "keep-password-in-file", 0, 0, G_OPTION_ARG_NONE, &keep_in_file,
      N_ ("When no keyring answers, keep the invite's secret in peers.json (readable only by you)"), NULL },
    { NULL }
  };
  g_autoptr (MerInviteLink) link = NULL;
  g_autoptr (MerStore) store = NULL;
  g_autoptr (MerReplicator) replicator = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (MerPeer) previous_peer = NULL;
  const char *data_dir;
  JoinRun run = { NULL, NULL, FALSE };
  guint sigint_id, sigterm_id;

  if (!mer_cli_parse (ctx, entries, _ ("LINK"),
                      _ ("Joins a teammate's workspace from an invite link "
                         "(meridian:join?url=…): trusts its certificate, keeps the "
                         "secret in the keyring and fetches the workspace."),
                      &argc, &argv))
    return 2;
  if (argc != 2)
    return mer_cli_fail (ctx, "%s", _ ("expected one invite link; see “meridian join --help”"));

  /* Everything that can be known from the link is checked before any change. */
  link = mer_invite_link_parse (argv[1], &error);
  if (link == NULL || !mer_invite_link_check_expiry (link, &error))
    return mer_cli_fail (ctx, "%s", error->message);

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  data_dir = mer_store_get_data_dir (store);
  previous_peer = mer_peers_lookup (data_dir, link->url);

  if (!mer_peers_add (data_dir, link->url, link->user, link->secret, keep_in_file, &error))
    {
      if (g_error_matches (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING))
        return mer_cli_fail (ctx, "%s", _ ("no keyring (Secret Service) answers, so the invite's secret cannot be "
                                           "kept safely; unlock or start the keyring, or run again with "
                                           "--keep-password-in-file to keep it in peers.json, readable only by you"));
      return mer_cli_fail (ctx, "%s", error->message);
    }
  if (!mer_tls_known_save (data_dir, link->url, link->fingerprint, &error))
    {
      if (previous_peer == NULL)
        mer_peers_remove (data_dir, link->url, NULL);
      return mer_cli_fail (ctx, "%s", error->message);
    }

  replicator = mer_replicator_new (store, link->url, &error);
  if (replicator == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  mer_replicator_set_credentials (replicator, link->user, link->secret);
  mer_replicator_set_direction (replicator, MER_REPLICATOR_PULL);
  mer_replicator_set_search_later (replicator, TRUE);
  g_signal_connect (replicator, "notify::docs-written", G_CALLBACK (progress_cb), NULL);

  fprintf (stderr, _ ("Joining %s as %s…\n"), link->url, link->user);
  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, stop_cb, cancellable);
  sigterm_id = g_unix_signal_add (SIGTERM, stop_cb, cancellable);
  mer_replicator_run_async (replicator, cancellable, join_run_cb, &run);
  if (!run.done)
    g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  if (run.error != NULL)
    {
      int status;

      /* A refused invite leaves no peer behind (the pinned certificate stays). */
      if (g_error_matches (run.error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED))
        {
          if (previous_peer == NULL)
            mer_peers_remove (data_dir, link->url, NULL);
          status = mer_cli_fail (ctx, "%s", _ ("the sharer refused this invite: it was revoked, it expired, "
                                               "or it was already used by someone else; ask for a new one"));
        }
      else
        status = mer_cli_fail (ctx, "%s", run.error->message);
      g_clear_error (&run.error);
      return status;
    }

  printf (g_dngettext (GETTEXT_PACKAGE, "Joined %s: %" PRIu64 " document received\n",
                       "Joined %s: %" PRIu64 " documents received\n",
                       (gulong) MIN (mer_replicator_get_docs_written (replicator), G_MAXULONG)),
          link->url, (uint64_t) mer_replicator_get_docs_written (replicator));
  return 0;
}
