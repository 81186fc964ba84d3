/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meridian team now|overlap: who is working, in focus, off or away, and when
 * the team overlaps, computed from the person documents of the replica.
 */

#include "config.h"

#include "mer-cli.h"
#include "mer-json.h"
#include "mer-schedule.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

static gint
compare_person_ids (gconstpointer a,
                    gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode * const *) a);
  JsonObject *y = json_node_get_object (*(JsonNode * const *) b);

  return g_strcmp0 (mer_json_get_string (x, "_id"), mer_json_get_string (y, "_id"));
}

/* The person documents, sorted by id: the stable order of every output. */
static GPtrArray *
load_people (MerStore  *store,
             GError   **error)
{
  g_autoptr(JsonArray) docs = mer_store_list_docs (store, "person", error);
  GPtrArray *people;

  if (docs == NULL)
    return NULL;
  people = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonNode *node = json_array_get_element (docs, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        g_ptr_array_add (people, json_node_ref (node));
    }
  g_ptr_array_sort (people, compare_person_ids);
  return people;
}

static const char *
short_id (const char *id)
{
  return g_str_has_prefix (id, "person:") ? id + strlen ("person:") : id;
}

/* The few words in place of a clock; the whole reason goes to stderr. */
static const char *
short_reason (const GError *error)
{
  if (g_error_matches (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE))
    return _("no time zone database (install tzdata)");
  if (g_error_matches (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID))
    return _("invalid schedule");
  return _("unknown time zone");
}

static int
team_now (MerCliContext *ctx,
          int            argc,
          char         **argv)
{
  g_autofree char *at_text = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "at", 0, 0, G_OPTION_ARG_STRING, &at_text, N_("The instant to look at (RFC 3339; default now)"), N_("TIME") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autoptr(JsonArray) out = json_array_new ();

  if (!mer_cli_parse (ctx, entries, NULL,
                      _("Each teammate's local time and status at TIME."), &argc, &argv))
    return 1;
  if (argc > 1)
    return mer_cli_fail (ctx, _("unexpected argument “%s”"), argv[1]);

  if (at_text != NULL)
    {
      at = mer_schedule_parse_instant (at_text, &error);
      if (at == NULL)
        return mer_cli_fail (ctx, "%s", error->message);
    }
  else
    at = mer_schedule_now ();

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  people = load_people (store, &error);
  if (people == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  for (guint i = 0; i < people->len; i++)
    {
      JsonObject *doc = json_node_get_object (g_ptr_array_index (people, i));
      g_autoptr(MerSchedule) schedule = NULL;
      g_autoptr(GError) person_error = NULL;
      g_autoptr(JsonObject) row = json_object_new ();
      const char *id = mer_json_get_string (doc, "_id");
      const char *name = mer_json_get_string (doc, "name");
      const char *tz = mer_json_get_string (doc, "tz");

      json_object_set_string_member (row, "id", id);
      json_object_set_string_member (row, "name", name ? name : short_id (id));
      if (tz != NULL)
        json_object_set_string_member (row, "tz", tz);
      else
        json_object_set_null_member (row, "tz");

      schedule = mer_schedule_new_from_person (doc, &person_error);
      if (schedule == NULL)
        {
          /* One bad document must not hide the rest of the team. */
          fprintf (stderr, "meridian %s: %s\n", ctx->command, person_error->message);
          json_object_set_null_member (row, "local_time");
          json_object_set_null_member (row, "utc_offset");
          json_object_set_string_member (row, "status", "unknown");
          json_object_set_null_member (row, "until");
          json_object_set_string_member (row, "error", person_error->message);
          if (!json)
            printf ("%-20s %-22s %s\n", name ? name : short_id (id), tz ? tz : "-",
                    short_reason (person_error));
        }
      else
        {
          g_autoptr(GDateTime) local = mer_schedule_local_time (schedule, at);
          g_autoptr(GDateTime) next = NULL;
          g_autofree char *local_text = g_date_time_format (local, "%Y-%m-%dT%H:%M");
          g_autofree char *offset = mer_schedule_format_offset (local);
          MerStatus status = mer_schedule_status_at (schedule, at, &next);

          json_object_set_string_member (row, "local_time", local_text);
          json_object_set_string_member (row, "utc_offset", offset);
          json_object_set_string_member (row, "status", mer_status_to_string (status));
          if (next != NULL)
            {
              g_autofree char *until = mer_schedule_format_instant (next);

              json_object_set_string_member (row, "until", until);
            }
          else
            json_object_set_null_member (row, "until");
          json_object_set_null_member (row, "error");

          if (!json)
            {
              g_autofree char *clock = g_date_time_format (local, "%a %d %b %H:%M");
              g_autofree char *words = mer_schedule_describe_status (schedule, at);

              printf ("%-20s %-22s %s (%s)  %s\n", mer_schedule_get_name (schedule),
                      tz, clock, offset, words);
            }
        }
      json_array_add_object_element (out, g_steal_pointer (&row));
    }

  if (json)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), out);

      mer_cli_print_json (node);
    }
  else if (people->len == 0)
    printf ("%s\n", _("No teammates yet: person documents arrive with a sync or an import."));
  return 0;
}

static JsonObject *
interval_end_object (GDateTime  *start,
                     GDateTime  *end,
                     GTimeZone  *tz)
{
  JsonObject *o = json_object_new ();
  g_autoptr(GDateTime) ls = g_date_time_to_timezone (start, tz);
  g_autoptr(GDateTime) le = g_date_time_to_timezone (end, tz);
  g_autofree char *s = g_date_time_format (ls, "%Y-%m-%dT%H:%M");
  g_autofree char *e = g_date_time_format (le, "%Y-%m-%dT%H:%M");
  g_autofree char *offset = mer_schedule_format_offset (ls);

  json_object_set_string_member (o, "start", s);
  json_object_set_string_member (o, "end", e);
  json_object_set_string_member (o, "utc_offset", offset);
  return o;
}

static int
team_overlap (MerCliContext *ctx,
              int            argc,
              char         **argv)
{
  g_autofree char *date = NULL;
  g_autofree char *people_text = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "date", 0, 0, G_OPTION_ARG_STRING, &date, N_("The UTC day to look at (default today)"), N_("YYYY-MM-DD") },
    { "people", 0, 0, G_OPTION_ARG_STRING, &people_text, N_("Only these people (ids, comma-separated)"), N_("ID,…") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) docs = NULL;
  g_autoptr(GPtrArray) schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_schedule_unref);
  g_autoptr(GArray) overlap = NULL;
  g_autoptr(JsonArray) ids = json_array_new ();
  g_autoptr(JsonArray) skipped = json_array_new ();
  g_autoptr(JsonObject) reasons = json_object_new ();
  g_autoptr(JsonArray) intervals = json_array_new ();
  g_autoptr(JsonObject) result = json_object_new ();
  g_auto(GStrv) wanted = NULL;

  if (!mer_cli_parse (ctx, entries, NULL,
                      _("The intervals of a day when the chosen people are all working and none is in focus."),
                      &argc, &argv))
    return 1;
  if (argc > 1)
    return mer_cli_fail (ctx, _("unexpected argument “%s”"), argv[1]);

  if (date == NULL)
    {
      g_autoptr(GDateTime) now = mer_schedule_now ();

      date = g_date_time_format (now, "%Y-%m-%d");
    }

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  docs = load_people (store, &error);
  if (docs == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  if (people_text != NULL)
    {
      wanted = g_strsplit (people_text, ",", -1);
      for (guint k = 0; wanted[k] != NULL; k++)
        {
          g_autofree char *full = NULL;
          gboolean found = FALSE;

          g_strstrip (wanted[k]);
          full = g_str_has_prefix (wanted[k], "person:") ? g_strdup (wanted[k])
                                                          : g_strconcat ("person:", wanted[k], NULL);
          for (guint i = 0; i < docs->len && !found; i++)
            found = g_strcmp0 (mer_json_get_string (json_node_get_object (g_ptr_array_index (docs, i)), "_id"),
                               full) == 0;
          if (!found)
            return mer_cli_fail (ctx, _("no person “%s”"), wanted[k]);
          g_free (wanted[k]);
          wanted[k] = g_steal_pointer (&full);
        }
    }

  for (guint i = 0; i < docs->len; i++)
    {
      JsonObject *doc = json_node_get_object (g_ptr_array_index (docs, i));
      const char *id = mer_json_get_string (doc, "_id");
      g_autoptr(GError) person_error = NULL;
      MerSchedule *schedule;

      if (wanted != NULL && !g_strv_contains ((const char * const *) wanted, id))
        continue;
      schedule = mer_schedule_new_from_person (doc, &person_error);
      if (schedule == NULL)
        {
          fprintf (stderr, "meridian %s: %s\n", ctx->command, person_error->message);
          json_array_add_string_element (skipped, id);
          json_object_set_string_member (reasons, id, person_error->message);
          continue;
        }
      g_ptr_array_add (schedules, schedule);
      json_array_add_string_element (ids, id);
    }

  overlap = mer_schedule_overlap (schedules, date, NULL, &error);
  if (overlap == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  if (!json)
    {
      if (schedules->len == 0)
        printf ("%s\n", _("No one to compare."));
      else if (overlap->len == 0)
        printf (_("No overlap on %s (UTC).\n"), date);
    }

  for (guint i = 0; i < overlap->len; i++)
    {
      MerInterval *iv = &g_array_index (overlap, MerInterval, i);
      g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc (iv->start);
      g_autoptr(GDateTime) end = g_date_time_new_from_unix_utc (iv->end);
      g_autofree char *start_text = mer_schedule_format_instant (start);
      g_autofree char *end_text = mer_schedule_format_instant (end);
      g_autoptr(JsonObject) item = json_object_new ();
      g_autoptr(JsonObject) local = json_object_new ();

      json_object_set_string_member (item, "start", start_text);
      json_object_set_string_member (item, "end", end_text);
      json_object_set_int_member (item, "minutes", (iv->end - iv->start) / 60);
      if (!json)
        {
          g_autofree char *s = g_date_time_format (start, "%H:%M");
          g_autofree char *e = g_date_time_format (end, "%H:%M");

          printf (_("%s–%s UTC (%d min)\n"), s, e, (int) ((iv->end - iv->start) / 60));
        }
      for (guint k = 0; k < schedules->len; k++)
        {
          MerSchedule *schedule = g_ptr_array_index (schedules, k);
          JsonObject *o = interval_end_object (start, end, mer_schedule_get_timezone (schedule));

          if (!json)
            printf ("  %-20s %s – %s (%s)\n", mer_schedule_get_name (schedule),
                    json_object_get_string_member (o, "start"),
                    json_object_get_string_member (o, "end"),
                    json_object_get_string_member (o, "utc_offset"));
          json_object_set_object_member (local, mer_schedule_get_id (schedule), o);
        }
      json_object_set_object_member (item, "local", g_steal_pointer (&local));
      json_array_add_object_element (intervals, g_steal_pointer (&item));
    }

  if (json)
    {
      g_autoptr(JsonNode) node = json_node_alloc ();

      json_object_set_string_member (result, "date", date);
      json_object_set_array_member (result, "people", g_steal_pointer (&ids));
      json_object_set_array_member (result, "skipped", g_steal_pointer (&skipped));
      json_object_set_object_member (result, "errors", g_steal_pointer (&reasons));
      json_object_set_array_member (result, "intervals", g_steal_pointer (&intervals));
      json_node_init_object (node, result);
      mer_cli_print_json (node);
    }
  return 0;
}

int
mer_cli_team (MerCliContext *ctx,
              int            argc,
              char         **argv)
{
  MerCliContext sub = *ctx;
  const char *name = argc > 1 ? argv[1] : NULL;

  if (g_strcmp0 (name, "now") == 0 || g_strcmp0 (name, "overlap") == 0)
    {
      g_autofree char *command = g_strdup_printf ("team %s", name);

      g_autofree char **sub_argv = g_new0 (char *, argc + 1);

      /* GOption names the program after argv[0] in --help. */
      sub_argv[0] = (char *) "meridian";
      for (int i = 2; i < argc; i++)
        sub_argv[i - 1] = argv[i];
      sub.command = command;
      if (g_str_equal (name, "now"))
        return team_now (&sub, argc - 1, sub_argv);
      return team_overlap (&sub, argc - 1, sub_argv);
    }
  if (g_strcmp0 (name, "--help") == 0 || g_strcmp0 (name, "-h") == 0)
    {
      printf ("%s\n\n  now      %s\n  overlap  %s\n",
              _("Usage: meridian team now|overlap [OPTIONS…]"),
              _("Each teammate's local time and status"),
              _("When the team overlaps on a day"));
      return 0;
    }
  if (name == NULL)
    return mer_cli_fail (ctx, _("say “now” or “overlap”; see “meridian team --help”"));
  return mer_cli_fail (ctx, _("unknown subcommand “%s”; say “now” or “overlap”"), name);
}
