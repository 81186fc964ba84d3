/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-accounts.h"
#include "mer-server.h"
#include "mer-tls.h"
#include "mer-store-attachments.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

/*
 * meridian serve [--listen ADDR:PORT] [--tls-cert F --tls-key F]: serves
 * the workspace to peers until interrupted. The first line on stdout names
 * the URL, so that scripts and tests may start it with port 0 and read
 * which port the system picked.
 */
int
mer_cli_serve (MerCliContext  *ctx,
               int             argc,
               char          **argv)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(MerAccounts) accounts = NULL;
  g_autoptr(MerServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *fingerprint = NULL;
  g_auto(GStrv) cors_origins = NULL;
  gboolean own_tls = FALSE;
  gboolean tls_created = FALSE;
  guint n_accounts;
  int max_attachment_mib = -1;  /* -1: the workspace's own */
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_("Address and port to listen on (default 127.0.0.1:5984; port 0 picks a free one)"), N_("ADDR:PORT") },
    { "tls", 0, 0, G_OPTION_ARG_NONE, &own_tls,
      N_("Serve HTTPS with the workspace’s own certificate (made on first use; its fingerprint is printed)"), NULL },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_path, N_("PEM certificate: serve HTTPS"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key_path, N_("PEM private key of the certificate"), N_("FILE") },
    { "cors-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cors_origins,
      N_("Let web pages from ORIGIN (e.g. https://app.example.org) use the server; repeatable"), N_("ORIGIN") },
    { "max-attachment-mib", 0, 0, G_OPTION_ARG_INT, &max_attachment_mib,
      N_("Largest attachment the workspace takes, in MiB (1 to 1024; default: the workspace's, 50 unless set)"), N_("N") },
    { NULL }
  };

  if (!mer_cli_parse (ctx, entries, NULL,
                      _("Serves the workspace to peers over the CouchDB replication protocol. "
                        "Without accounts only 127.0.0.1 is served and anyone on this machine may "
                        "read and write; once an account exists (“meridian user add”), every "
                        "request but GET / needs one."),
                      &argc, &argv))
    return 1;
  if (argc > 1)
    return mer_cli_fail (ctx, _("unexpected argument “%s”; see “meridian serve --help”"), argv[1]);
  if ((cert_path == NULL) != (key_path == NULL))
    return mer_cli_fail (ctx, "%s", _("--tls-cert and --tls-key go together"));
  if (own_tls && cert_path != NULL)
    return mer_cli_fail (ctx, "%s", _("--tls uses the workspace’s own certificate; leave out --tls-cert and --tls-key"));
  if (max_attachment_mib != -1 && (max_attachment_mib < 1 || max_attachment_mib > 1024))
    return mer_cli_fail (ctx, "%s", _("--max-attachment-mib takes a number of MiB from 1 to 1024"));

  if (cert_path != NULL)
    {
      certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
      if (certificate == NULL)
        return mer_cli_fail (ctx, _("cannot load the TLS certificate: %s"), error->message);
    }

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  /* A damaged file would otherwise be served until some request reaches
   * the bad pages; refuse it now, and say how to recover. */
  if (!mer_store_check_quick (store, &error))
    {
      g_autofree char *db_path = g_build_filename (mer_store_get_data_dir (store), "workspace.db", NULL);

      return mer_cli_fail (ctx, _("the workspace database %s is damaged (%s); restore it from a backup "
                                  "or sync into a new workspace with “meridian --data NEW sync URL”"),
                           db_path, error->message);
    }
  if (own_tls)
    {
      certificate = mer_tls_ensure_certificate (mer_store_get_data_dir (store), &tls_created, &error);
      if (certificate == NULL)
        return mer_cli_fail (ctx, "%s", error->message);
    }
  if (max_attachment_mib > 0)
    mer_store_set_max_attachment_size (store, (guint64) max_attachment_mib * 1024 * 1024);
  accounts = mer_accounts_new (mer_store_get_data_dir (store));
  if (!mer_accounts_reload (accounts, &error))
    return mer_cli_fail (ctx, "%s", error->message);

  /* Long-polling peers hear of writes by the app or `meridian sync` in
   * other processes within about 100 ms. */
  mer_store_watch_others (store, 100);
  server = mer_server_new (store, accounts);
  /* Without accounts the server trusts this machine; no web page may borrow that. */
  if (cors_origins != NULL && mer_accounts_count (accounts) == 0)
    return mer_cli_fail (ctx, "%s", _("--cors-origin needs accounts; add one with “meridian user add NAME”"));
  for (guint i = 0; cors_origins != NULL && cors_origins[i] != NULL; i++)
    if (!mer_server_add_cors_origin (server, cors_origins[i], &error))
      return mer_cli_fail (ctx, "%s", error->message);
  if (!mer_server_listen (server, listen, certificate, &error))
    return mer_cli_fail (ctx, "%s", error->message);

  /* Whoever reads the address below may stop the server at once. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);

  url = mer_server_get_url (server);
  printf (_("Serving %s at %s\n"), mer_store_get_name (store), url);
  if (certificate != NULL && (fingerprint = mer_tls_fingerprint (certificate)) != NULL)
    {
      /* What a teammate compares before trusting the certificate. */
      printf (_("Certificate fingerprint: %s\n"), fingerprint);
      if (tls_created)
        fprintf (stderr, "%s\n", _("Made a new certificate for this workspace."));
    }
  fflush (stdout);
  n_accounts = mer_accounts_count (accounts);
  if (n_accounts == 0)
    fprintf (stderr, "%s\n", _("No accounts: only this machine may connect, without a password."));
  else
    fprintf (stderr, g_dngettext (GETTEXT_PACKAGE, "%u account may connect.\n", "%u accounts may connect.\n",
                                  n_accounts), n_accounts);

  g_main_loop_run (loop);

  mer_server_stop (server);
  return 0;
}
