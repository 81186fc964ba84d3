/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-accounts.h"
#include "mer-json.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Reads one line from @in, without its line ending; NULL at end of input. */
static char *
read_line (FILE *in)
{
  GString *line = g_string_new (NULL);
  int c;

  while ((c = fgetc (in)) != EOF && c != '\n')
    {
      if (line->len > MER_ACCOUNTS_MAX_PASSWORD + 1)
        continue;
      g_string_append_c (line, (char) c);
    }
  if (c == EOF && line->len == 0)
    {
      g_string_free (line, TRUE);
      return NULL;
    }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

/* Asks on the terminal with echo off. */
static char *
prompt_password (const char *prompt)
{
  struct termios saved, quiet;
  char *line;

  fputs (prompt, stderr);
  fflush (stderr);
  if (tcgetattr (STDIN_FILENO, &saved) != 0)
    return NULL;
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  line = read_line (stdin);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  fputc ('\n', stderr);
  return line;
}

static char *
get_password (MerCliContext  *ctx,
              gboolean        from_stdin,
              int            *status)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  *status = 0;
  if (from_stdin)
    {
      first = read_line (stdin);
      if (first == NULL || *first == '\0')
        *status = mer_cli_fail (ctx, "%s", _("no password on standard input"));
      return g_steal_pointer (&first);
    }
  if (!isatty (STDIN_FILENO))
    {
      *status = mer_cli_fail (ctx, "%s", _("no terminal to ask for a password; use --password-stdin"));
      return NULL;
    }
  first = prompt_password (_("Password: "));
  second = prompt_password (_("Password again: "));
  if (first == NULL || second == NULL || strcmp (first, second) != 0)
    {
      *status = mer_cli_fail (ctx, "%s", _("the passwords do not match"));
      return NULL;
    }
  return g_steal_pointer (&first);
}

/*
 * meridian user add NAME [--role rw|ro] [--password-stdin] | remove NAME |
 * list [--json]: the accounts that may use `meridian serve`.
 */
int
mer_cli_user (MerCliContext  *ctx,
              int             argc,
              char          **argv)
{
  g_autoptr(MerAccounts) accounts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *role_text = NULL;
  gboolean password_stdin = FALSE;
  gboolean json = FALSE;
  const char *action;
  GOptionEntry entries[] = {
    { "role", 'r', 0, G_OPTION_ARG_STRING, &role_text, N_("rw (read and write, the default) or ro (read only)"), N_("ROLE") },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, N_("Read the password from the first line of standard input"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("list: print a JSON array of {name, role, last_seen}"), NULL },
    { NULL }
  };

  if (!mer_cli_parse (ctx, entries, _("add NAME | role NAME rw|ro | remove NAME | list"),
                      _("Manages the accounts that may connect to “meridian serve”. Passwords are "
                        "stored only as salted Argon2id hashes in accounts.json (mode 0600) in the "
                        "data folder; a running server notices changes at once: a removed (revoked) "
                        "account’s next request is refused, a changed role applies to its next "
                        "request. “list” shows when each account last made a request."),
                      &argc, &argv))
    return 1;
  if (argc < 2)
    return mer_cli_fail (ctx, "%s", _("expected add, role, remove or list; see “meridian user --help”"));

  action = argv[1];
  data_dir = ctx->data_dir != NULL ? g_strdup (ctx->data_dir) : mer_cli_default_data_dir ();
  accounts = mer_accounts_new (data_dir);

  if (strcmp (action, "list") == 0)
    {
      g_autoptr(JsonArray) list = NULL;

      if (argc != 2)
        return mer_cli_fail (ctx, "%s", _("list takes no name"));
      if (!mer_accounts_reload (accounts, &error))
        return mer_cli_fail (ctx, "%s", error->message);
      list = mer_accounts_list (accounts);
      if (json)
        {
          g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), list);
          mer_cli_print_json (node);
        }
      else
        for (guint i = 0; i < json_array_get_length (list); i++)
          {
            JsonObject *entry = json_array_get_object_element (list, i);
            const char *seen = mer_json_get_string (entry, "last_seen");

            printf ("%s\t%s\t%s\n", json_object_get_string_member (entry, "name"),
                    json_object_get_string_member (entry, "role"),
                    seen != NULL ? seen : _("never seen"));
          }
      return 0;
    }

  if (strcmp (action, "add") == 0)
    {
      g_autofree char *password = NULL;
      MerRole role = mer_role_from_string (role_text != NULL ? role_text : "rw");
      gboolean replaced = FALSE;
      int status;

      if (argc != 3)
        return mer_cli_fail (ctx, "%s", _("expected: user add NAME [--role rw|ro] [--password-stdin]"));
      if (role == MER_ROLE_NONE)
        return mer_cli_fail (ctx, "%s", _("--role must be rw or ro"));
      if (!mer_accounts_check_name (argv[2], &error))
        return mer_cli_fail (ctx, "%s", error->message);
      password = get_password (ctx, password_stdin, &status);
      if (password == NULL || status != 0)
        return status != 0 ? status : 1;
      if (!mer_accounts_add (accounts, argv[2], password, role, &replaced, &error))
        return mer_cli_fail (ctx, "%s", error->message);
      if (replaced)
        printf (_("Updated account %s (%s)\n"), argv[2], mer_role_to_string (role));
      else
        printf (_("Added account %s (%s)\n"), argv[2], mer_role_to_string (role));
      return 0;
    }

  if (strcmp (action, "role") == 0)
    {
      MerRole role;

      if (argc != 4)
        return mer_cli_fail (ctx, "%s", _("expected: user role NAME rw|ro"));
      role = mer_role_from_string (argv[3]);
      if (role == MER_ROLE_NONE)
        return mer_cli_fail (ctx, "%s", _("the role must be rw or ro"));
      if (!mer_accounts_set_role (accounts, argv[2], role, &error))
        return mer_cli_fail (ctx, "%s", error->message);
      printf (_("Account %s is now %s\n"), argv[2], mer_role_to_string (role));
      return 0;
    }

  if (strcmp (action, "remove") == 0 || strcmp (action, "revoke") == 0)
    {
      if (argc != 3)
        return mer_cli_fail (ctx, "%s", _("expected: user remove NAME"));
      if (!mer_accounts_remove (accounts, argv[2], &error))
        return mer_cli_fail (ctx, "%s", error->message);
      printf (_("Removed account %s\n"), argv[2]);
      return 0;
    }

  return mer_cli_fail (ctx, _("unknown action “%s”; expected add, role, remove or list"), action);
}
