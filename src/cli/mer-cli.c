/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "meridian-cli"

#include "config.h"

#include "mer-cli.h"
#include "mer-core.h"
#include "mer-json.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  const char *name;
  MerCliCommandFunc func;
  const char *summary;
} MerCliCommand;

/* The table of subcommands. A command appears here once it works. */
static const MerCliCommand commands[] = {
  { "sync", mer_cli_sync, N_ ("Replicate with a peer, a PouchDB server or CouchDB") },
  { "serve", mer_cli_serve, N_ ("Serve the workspace to peers over HTTP") },
  { "hub", mer_cli_hub, N_ ("Set up a team hub on Apache CouchDB and manage its users") },
  { "invite", mer_cli_invite, N_ ("Invite a teammate: an account and a link that joins this workspace") },
  { "join", mer_cli_join, N_ ("Join a workspace from an invite link") },
  { "user", mer_cli_user, N_ ("Add, remove or list the accounts that may connect") },
  { "team", mer_cli_team, N_ ("Teammates' local time, status and overlap") },
  { "proposals", mer_cli_proposals, N_ ("Proposals, deadlines and readers' remaining hours") },
  { "decisions", mer_cli_decisions, N_ ("The decision log: list or export as MADR files") },
  { "import", mer_cli_import, N_ ("Import a folder of Markdown files as handbook pages") },
  { "export", mer_cli_export, N_ ("Write every handbook page to a folder as Markdown") },
  { "search", mer_cli_search, N_ ("Search pages, proposals, decisions and comments") },
  { NULL, NULL, NULL },
};

static const MerCliCommand *
find_command (const char *name)
{
  for (guint i = 0; commands[i].name != NULL; i++)
    if (g_strcmp0 (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

gboolean
mer_cli_is_command (const char *name)
{
  return find_command (name) != NULL;
}

/*
 * The default workspace lives in the user's data folder, so that the app and
 * the commands see the same replica unless told otherwise with --data.
 */
char *
mer_cli_default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "meridian", NULL);
}

MerStore *
mer_cli_open_store (MerCliContext *ctx,
                    GError **error)
{
  g_autofree char *dir = NULL;

  dir = ctx->data_dir != NULL ? g_strdup (ctx->data_dir) : mer_cli_default_data_dir ();
  return mer_core_open_store (dir, error);
}

/* Prints the one-line reason every failing command owes its caller. */
int
mer_cli_fail (MerCliContext *ctx,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "meridian %s: %s\n", ctx->command ? ctx->command : "", message);
  return 1;
}

/*
 * Parses a subcommand's options. --help prints and exits 0 inside GOption;
 * an unknown option is reported on one line and FALSE is returned.
 */
gboolean
mer_cli_parse (MerCliContext *ctx,
               GOptionEntry *entries,
               const char *parameter_string,
               const char *summary,
               int *argc,
               char ***argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *full = g_strdup_printf ("%s %s", ctx->command, parameter_string ? parameter_string : "");

  context = g_option_context_new (full);
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      mer_cli_fail (ctx, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

void
mer_cli_print_json (JsonNode *node)
{
  g_autofree char *text = mer_json_to_string (node, TRUE);

  fputs (text, stdout);
  fputc ('\n', stdout);
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n", _ ("Usage: meridian [--data DIR] [COMMAND] [OPTIONS…]"));
  fprintf (out, "\n%s\n", _ ("With no command, opens the Meridian window."));
  fprintf (out, "\n%s\n", _ ("Commands:"));
  for (guint i = 0; commands[i].name != NULL; i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _ (commands[i].summary));
  fprintf (out, "\n%s\n", _ ("Run “meridian COMMAND --help” for a command's options."));
}

/*
 * Runs a headless subcommand. argv[0] is the program; global options
 * (--data DIR) come before the command name.
 */
int
mer_cli_run (int argc,
             char **argv)
{
  MerCliContext ctx = { NULL, NULL };
  const MerCliCommand *command;
  int i = 1;

  setlocale (LC_ALL, "");
  /* MERIDIAN_LOCALEDIR: the translations built in the build folder
   * (build/po), for tests and a run before installing. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("MERIDIAN_LOCALEDIR") ? g_getenv ("MERIDIAN_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  while (i < argc && argv[i][0] == '-')
    {
      if (strcmp (argv[i], "--data") == 0 && i + 1 < argc)
        {
          ctx.data_dir = argv[i + 1];
          i += 2;
        }
      else if (g_str_has_prefix (argv[i], "--data="))
        {
          ctx.data_dir = argv[i] + strlen ("--data=");
          i += 1;
        }
      else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          print_usage (stdout);
          return 0;
        }
      else if (strcmp (argv[i], "--version") == 0)
        {
          printf ("meridian %s\n", PACKAGE_VERSION);
          return 0;
        }
      else
        {
          fprintf (stderr, "meridian: %s\n", _ ("unknown option; see “meridian --help”"));
          return 2;
        }
    }

  if (i >= argc)
    {
      print_usage (stderr);
      return 2;
    }

  command = find_command (argv[i]);
  if (command == NULL)
    {
      fprintf (stderr, "meridian: %s “%s”; see “meridian --help”\n", _ ("unknown command"), argv[i]);
      return 2;
    }

  ctx.command = command->name;
  return command->func (&ctx, argc - i, argv + i);
}
