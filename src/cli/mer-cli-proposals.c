/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-json.h"
#include "mer-proposal.h"
#include "mer-schedule.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* "in 2 d 3 h", "in 45 min", "closed" */
static char *
describe_countdown (GDateTime *now,
                    GDateTime *deadline)
{
  GTimeSpan span = g_date_time_difference (deadline, now);
  gint64 minutes = span / G_TIME_SPAN_MINUTE;

  if (span <= 0)
    return g_strdup (_("window closed"));
  if (minutes < 60)
    return g_strdup_printf (_("closes in %d min"), (int) minutes);
  if (minutes < 48 * 60)
    return g_strdup_printf (_("closes in %d h %d min"), (int) (minutes / 60), (int) (minutes % 60));
  return g_strdup_printf (_("closes in %d d %d h"), (int) (minutes / (24 * 60)), (int) ((minutes / 60) % 24));
}

static void
print_proposal (JsonObject *summary,
                GDateTime  *now)
{
  const char *status = mer_json_get_string (summary, "status");
  const char *deadline_text = mer_json_get_string (summary, "deadline");
  g_autoptr(GDateTime) deadline = deadline_text ? mer_schedule_parse_instant (deadline_text, NULL) : NULL;
  JsonObject *stances = json_object_get_object_member (summary, "stances");
  JsonArray *readers = json_object_get_array_member (summary, "readers");
  g_autofree char *upper = g_ascii_strup (status != NULL ? status : "?", -1);

  printf ("%-9s %s\n", upper, mer_json_get_string (summary, "title"));
  printf ("          %s  %s\n", _("id:"), mer_json_get_string (summary, "id"));
  if (deadline != NULL)
    {
      g_autofree char *when = g_date_time_format (deadline, "%Y-%m-%d %H:%M UTC");

      if (g_strcmp0 (status, "open") == 0)
        {
          g_autofree char *countdown = describe_countdown (now, deadline);

          printf ("          %s %s (%s)\n", _("deadline:"), when, countdown);
        }
      else
        printf ("          %s %s\n", _("deadline:"), when);
    }
  printf ("          %s %d %s, %d %s, %d %s\n", _("stances:"),
          (int) json_object_get_int_member (stances, "agree"), _("agree"),
          (int) json_object_get_int_member (stances, "concern"), _("concern"),
          (int) json_object_get_int_member (stances, "object"), _("object"));

  for (guint i = 0; i < json_array_get_length (readers); i++)
    {
      JsonObject *reader = json_array_get_object_element (readers, i);
      const char *local = mer_json_get_string (reader, "deadline_local");
      JsonNode *hours = json_object_get_member (reader, "remaining_hours");
      g_autofree char *hours_text = NULL;
      g_autoptr(GDateTime) local_time = local ? g_date_time_new_from_iso8601 (local, NULL) : NULL;
      g_autofree char *clock = local_time ? g_date_time_format (local_time, "%a %d %b %H:%M %:z") : g_strdup ("?");
      const char *reason = mer_json_get_string (reader, "error");

      if (hours != NULL && !JSON_NODE_HOLDS_NULL (hours))
        hours_text = g_strdup_printf (_("%.1f working h left"), json_node_get_double (hours));
      else
        hours_text = g_strdup (_("schedule unknown"));
      /* The reason their schedule is unknown, for open and decided ones alike. */
      if (reason != NULL)
        {
          g_free (hours_text);
          hours_text = g_strdup_printf (_("schedule unknown: %s"), reason);
        }
      g_autofree char *line = g_strdup_printf ("          - %-16s %-20s %s  %s%s%s%s",
                                               mer_json_get_string (reader, "name"),
                                               mer_json_get_string (reader, "tz") ? mer_json_get_string (reader, "tz") : "",
                                               clock,
                                               g_strcmp0 (status, "open") == 0 || reason != NULL ? hours_text : "",
                                               mer_json_get_bool (reader, "short_of_day") ? _("  (less than a working day)") : "",
                                               mer_json_get_bool (reader, "read") ? "" : _("  not read"),
                                               mer_json_get_bool (reader, "responded") ? "" : _("  no response"));

      puts (g_strchomp (line));
    }
}

/*
 * meridian proposals list [--json] [--at TIME]: every proposal, open ones
 * first by deadline, with each required reader's deadline in their own
 * time and their working hours left. The JSON shape is documented in the
 * README: {"now": ..., "proposals": [...]}.
 */
static int
proposals_list (MerCliContext  *ctx,
                int             argc,
                char          **argv)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(JsonArray) proposals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *at_text = NULL;
  g_autofree char *now_text = NULL;
  gboolean json = FALSE;
  JsonArray *out;
  JsonObject *root;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON (shape in the README)"), NULL },
    { "at", 0, 0, G_OPTION_ARG_STRING, &at_text, N_("Count remaining hours from TIME (RFC 3339; default now)"), N_("TIME") },
    { NULL }
  };

  if (!mer_cli_parse (ctx, entries, "list",
                      _("Lists proposals: status, deadline, and each required reader's deadline in their "
                        "own time with the working hours they have left."),
                      &argc, &argv))
    return 1;
  if (argc > 1)
    return mer_cli_fail (ctx, _("unexpected argument “%s”"), argv[1]);

  if (at_text != NULL)
    {
      now = mer_schedule_parse_instant (at_text, &error);
      if (now == NULL)
        return mer_cli_fail (ctx, _("--at: %s"), error->message);
    }
  else
    now = mer_schedule_now ();

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  proposals = mer_proposal_list (store, now, &error);
  if (proposals == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  out = json_array_new ();
  for (guint i = 0; i < json_array_get_length (proposals); i++)
    {
      JsonObject *summary = mer_proposal_to_json_summary (store, json_array_get_object_element (proposals, i),
                                                          now, &error);

      if (summary == NULL)
        {
          json_array_unref (out);
          return mer_cli_fail (ctx, "%s", error->message);
        }
      json_array_add_object_element (out, summary);
    }

  now_text = mer_schedule_format_instant (now);
  root = json_object_new ();
  json_object_set_string_member (root, "now", now_text);
  json_object_set_array_member (root, "proposals", out);

  if (json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (node, root);
      mer_cli_print_json (node);
      return 0;
    }

  if (json_array_get_length (out) == 0)
    printf ("%s\n", _("No proposals."));
  for (guint i = 0; i < json_array_get_length (out); i++)
    {
      if (i > 0)
        putchar ('\n');
      print_proposal (json_array_get_object_element (out, i), now);
    }
  json_object_unref (root);
  return 0;
}

int
mer_cli_proposals (MerCliContext  *ctx,
                   int             argc,
                   char          **argv)
{
  if (argc >= 2 && strcmp (argv[1], "list") == 0)
    {
      /* GOption names the program after argv[0] in --help. */
      argv[1] = (char *) "meridian";
      return proposals_list (ctx, argc - 1, argv + 1);
    }
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("%s\n\n%s\n", _("Usage: meridian proposals list [--json] [--at TIME]"),
              _("Lists proposals with their deadlines and each required reader's remaining working hours."));
      return 0;
    }
  if (argc < 2)
    return mer_cli_fail (ctx, "%s", _("expected “list”; see “meridian proposals --help”"));
  return mer_cli_fail (ctx, _("unknown action “%s”; expected “list”"), argv[1]);
}
