/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-decision.h"
#include "mer-json.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/*
 * meridian decisions list [--json] [--status S] [--owner P] [--tag T]
 * [--text Q]: the decision log, newest first. JSON: {"decisions": [...]}.
 */
static int
decisions_list (MerCliContext  *ctx,
                int             argc,
                char          **argv)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(JsonArray) decisions = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *tag = NULL;
  g_autofree char *text = NULL;
  gboolean json = FALSE;
  MerDecisionFilter filter = { NULL, };
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON (shape in the README)"), NULL },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status, N_("Only decisions with this status (accepted, rejected, superseded)"), N_("STATUS") },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &owner, N_("Only decisions owned by this person (e.g. person:ana)"), N_("PERSON") },
    { "tag", 0, 0, G_OPTION_ARG_STRING, &tag, N_("Only decisions with this tag"), N_("TAG") },
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, N_("Only decisions whose text contains this"), N_("TEXT") },
    { NULL }
  };

  if (!mer_cli_parse (ctx, entries, "list", _("Lists the decision log, newest first."), &argc, &argv))
    return 1;
  if (argc > 1)
    return mer_cli_fail (ctx, _("unexpected argument “%s”"), argv[1]);
  if (status != NULL && strcmp (status, "accepted") != 0 && strcmp (status, "rejected") != 0
      && strcmp (status, "superseded") != 0)
    return mer_cli_fail (ctx, _("--status must be accepted, rejected or superseded, not “%s”"), status);
  if (owner != NULL && !g_str_has_prefix (owner, "person:"))
    {
      char *full = g_strconcat ("person:", owner, NULL);

      g_free (owner);
      owner = full;
    }

  filter.status = status;
  filter.owner = owner;
  filter.tag = tag;
  filter.text = text;

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  decisions = mer_decision_list (store, &filter, &error);
  if (decisions == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  if (json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonObject *root = json_object_new ();
      JsonArray *out = json_array_new ();

      for (guint i = 0; i < json_array_get_length (decisions); i++)
        json_array_add_object_element (out, mer_decision_to_json_summary (json_array_get_object_element (decisions, i)));
      json_object_set_array_member (root, "decisions", out);
      json_node_take_object (node, root);
      mer_cli_print_json (node);
      return 0;
    }

  if (json_array_get_length (decisions) == 0)
    printf ("%s\n", _("No decisions."));
  for (guint i = 0; i < json_array_get_length (decisions); i++)
    {
      JsonObject *decision = json_array_get_object_element (decisions, i);
      const char *superseded_by = mer_json_get_string (decision, "superseded_by");
      const char *decided_at = mer_json_get_string (decision, "decided_at");

      printf ("%.10s  %-10s  %s\n", decided_at ? decided_at : "", mer_json_get_string (decision, "status"),
              mer_json_get_string (decision, "title"));
      printf ("            %s %s  %s %s\n", _("id:"), mer_json_get_string (decision, "_id"), _("owner:"),
              mer_json_get_string (decision, "owner") ? mer_json_get_string (decision, "owner") : "");
      if (superseded_by != NULL)
        printf ("            %s %s\n", _("superseded by"), superseded_by);
    }
  return 0;
}

/* meridian decisions export DIR: one MADR file per decision. */
static int
decisions_export (MerCliContext  *ctx,
                  int             argc,
                  char          **argv)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  guint written = 0;

  if (!mer_cli_parse (ctx, NULL, "export DIR",
                      _("Writes one MADR Markdown file per decision into DIR, numbered by date "
                        "(0001-title.md), readable by adr-tools and log4brains."),
                      &argc, &argv))
    return 1;
  if (argc < 2)
    return mer_cli_fail (ctx, "%s", _("expected a folder; see “meridian decisions export --help”"));
  if (argc > 2)
    return mer_cli_fail (ctx, _("unexpected argument “%s”"), argv[2]);
  if (g_file_test (argv[1], G_FILE_TEST_EXISTS) && !g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    return mer_cli_fail (ctx, _("“%s” exists and is not a folder"), argv[1]);

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (!mer_decision_export (store, argv[1], &written, &error))
    return mer_cli_fail (ctx, "%s", error->message);
  printf (g_dngettext (GETTEXT_PACKAGE, "Wrote %u decision to %s\n", "Wrote %u decisions to %s\n", written),
          written, argv[1]);
  return 0;
}

int
mer_cli_decisions (MerCliContext  *ctx,
                   int             argc,
                   char          **argv)
{
  /* GOption names the program after argv[0] in --help. */
  if (argc >= 2 && strcmp (argv[1], "list") == 0)
    {
      argv[1] = (char *) "meridian";
      return decisions_list (ctx, argc - 1, argv + 1);
    }
  if (argc >= 2 && strcmp (argv[1], "export") == 0)
    {
      argv[1] = (char *) "meridian";
      return decisions_export (ctx, argc - 1, argv + 1);
    }
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("%s\n%s\n\n%s\n", _("Usage: meridian decisions list [--json] [--status S] [--owner P] [--tag T] [--text Q]"),
              _("       meridian decisions export DIR"),
              _("Lists the decision log, or exports it as MADR Markdown files."));
      return 0;
    }
  if (argc < 2)
    return mer_cli_fail (ctx, "%s", _("expected “list” or “export”; see “meridian decisions --help”"));
  return mer_cli_fail (ctx, _("unknown action “%s”; expected “list” or “export”"), argv[1]);
}
