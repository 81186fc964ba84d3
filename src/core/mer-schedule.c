/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-schedule.h"
#include "mer-json.h"
#include "mer-store.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* Days from 0001-01-01 (GDate's day 1) to 1970-01-01. */
#define UNIX_EPOCH_JULIAN 719163
#define SECONDS_PER_DAY   86400
/* How far status_at looks for the next change. */
#define HORIZON_DAYS      731

typedef struct
{
  gint start;  /* minutes after local midnight, 0..1439 */
  gint end;    /* minutes after local midnight, 1..1440 */
} Range;

typedef struct
{
  gint64 from;  /* days since 1970-01-01, local dates, inclusive */
  gint64 to;
} Away;

struct _MerSchedule
{
  gint        ref_count;
  char       *id;
  char       *name;
  char       *tz_name;
  char       *status_note;
  char       *possessive;    /* "her", "his", "their" */
  GTimeZone  *tz;
  GArray     *work[7];       /* Range, index 0 is Monday */
  GArray     *focus[7];
  GArray     *away;          /* Away */
  gboolean    has_focus;     /* focus_until is set */
  gint64      focus_until;   /* Unix seconds */
  gint64      focus_from;    /* when the live focus began, or G_MININT64 */
};

/* What holds at one instant, before precedence picks a status. */
enum
{
  FLAG_WORK        = 1 << 0,
  FLAG_FOCUS_HOURS = 1 << 1,
  FLAG_LIVE_FOCUS  = 1 << 2,
  FLAG_AWAY        = 1 << 3,
};

static const char * const weekday_keys[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

G_DEFINE_QUARK (mer-schedule-error-quark, mer_schedule_error)

static gint64
floor_div (gint64 a,
           gint64 b)
{
  gint64 q = a / b;

  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* 0 is Monday; 1970-01-01 was a Thursday. */
static gint
weekday_of_day (gint64 day)
{
  gint64 w = (day + 3) % 7;

  return (gint) (w < 0 ? w + 7 : w);
}

static gint64
offset_at (GTimeZone *tz,
           gint64     instant)
{
  gint interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, instant);

  return g_time_zone_get_offset (tz, interval);
}

/* The wall-clock reading at @instant, as seconds since a local 1970-01-01. */
static gint64
wall_at (GTimeZone *tz,
         gint64     instant)
{
  return instant + offset_at (tz, instant);
}

static gint64
local_day (GTimeZone *tz,
           gint64     instant)
{
  return floor_div (wall_at (tz, instant), SECONDS_PER_DAY);
}

/*
 * The first instant the clock in @tz shows the wall time @wall (seconds since
 * a local 1970-01-01), or, when @wall falls in a gap, the instant the clock
 * jumps past it. Any instant showing @wall lies within 15 hours of it, so
 * the offsets in force there are the only candidates; a gap is bisected.
 */
static gint64
wall_to_instant (GTimeZone *tz,
                 gint64     wall)
{
  const gint64 window = 16 * 3600;
  gint64 offsets[3];
  gint64 best = G_MAXINT64;
  gint64 lo, hi;

  offsets[0] = offset_at (tz, wall - window);
  offsets[1] = offset_at (tz, wall);
  offsets[2] = offset_at (tz, wall + window);
  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      gint64 t = wall - offsets[i];

      if (offset_at (tz, t) == offsets[i] && t < best)
        best = t;
    }
  if (best != G_MAXINT64)
    return best;

  /* A gap: find the first instant whose wall clock reads >= wall. */
  lo = wall - window;
  hi = wall + window;
  while (hi - lo > 1)
    {
      gint64 mid = lo + (hi - lo) / 2;

      if (wall_at (tz, mid) >= wall)
        hi = mid;
      else
        lo = mid;
    }
  return hi;
}

static gint64
day_minute_to_instant (GTimeZone *tz,
                       gint64     day,
                       gint       minute)
{
  return wall_to_instant (tz, day * SECONDS_PER_DAY + (gint64) minute * 60);
}

gint64
mer_schedule_wall_instant (GTimeZone *zone,
                           gint       year,
                           gint       month,
                           gint       day,
                           gint       minute)
{
  GDate date;

  g_return_val_if_fail (zone != NULL, 0);
  g_return_val_if_fail (g_date_valid_dmy (day, month, year), 0);
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, day, month, year);
  return day_minute_to_instant (zone, (gint64) g_date_get_julian (&date) - UNIX_EPOCH_JULIAN, minute);
}

static gboolean
day_is_away (MerSchedule *self,
             gint64       day)
{
  for (guint i = 0; i < self->away->len; i++)
    {
      Away *a = &g_array_index (self->away, Away, i);

      if (day >= a->from && day <= a->to)
        return TRUE;
    }
  return FALSE;
}

static gboolean
in_ranges (MerSchedule *self,
           GArray     **ranges,
           gint64       day,
           gint64       instant)
{
  for (gint64 d = day - 1; d <= day + 1; d++)
    {
      GArray *list = ranges[weekday_of_day (d)];

      for (guint i = 0; i < list->len; i++)
        {
          Range *r = &g_array_index (list, Range, i);

          if (day_minute_to_instant (self->tz, d, r->start) <= instant &&
              instant < day_minute_to_instant (self->tz, d, r->end))
            return TRUE;
        }
    }
  return FALSE;
}

static guint
flags_at (MerSchedule *self,
          gint64       instant)
{
  gint64 day = local_day (self->tz, instant);
  guint flags = 0;

  if (day_is_away (self, day))
    flags |= FLAG_AWAY;
  if (self->has_focus && instant < self->focus_until && instant >= self->focus_from)
    flags |= FLAG_LIVE_FOCUS;
  if (in_ranges (self, self->focus, day, instant))
    flags |= FLAG_FOCUS_HOURS;
  if (in_ranges (self, self->work, day, instant))
    flags |= FLAG_WORK;
  return flags;
}

static MerStatus
status_of_flags (guint flags)
{
  if (flags & FLAG_AWAY)
    return MER_STATUS_AWAY;
  if (flags & (FLAG_LIVE_FOCUS | FLAG_FOCUS_HOURS))
    return MER_STATUS_FOCUS;
  if (flags & FLAG_WORK)
    return MER_STATUS_WORKING;
  return MER_STATUS_OFF;
}

static gint
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Every instant in (from, to) at which the flags may change: local
 * midnights (away days), range ends and the live focus bounds. Sorted,
 * without duplicates, @from first.
 */
static GArray *
collect_boundaries (MerSchedule *self,
                    gint64       from,
                    gint64       to)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 first = local_day (self->tz, from) - 1;
  gint64 last = local_day (self->tz, to) + 1;

  for (gint64 d = first; d <= last; d++)
    {
      gint wd = weekday_of_day (d);
      gint64 midnight = day_minute_to_instant (self->tz, d, 0);

      g_array_append_val (all, midnight);
      for (guint k = 0; k < 2; k++)
        {
          GArray *list = k == 0 ? self->work[wd] : self->focus[wd];

          for (guint i = 0; i < list->len; i++)
            {
              Range *r = &g_array_index (list, Range, i);
              gint64 s = day_minute_to_instant (self->tz, d, r->start);
              gint64 e = day_minute_to_instant (self->tz, d, r->end);

              g_array_append_val (all, s);
              g_array_append_val (all, e);
            }
        }
    }
  if (self->has_focus)
    {
      g_array_append_val (all, self->focus_until);
      if (self->focus_from != G_MININT64)
        g_array_append_val (all, self->focus_from);
    }

  g_array_sort (all, compare_gint64);
  g_array_append_val (out, from);
  for (guint i = 0; i < all->len; i++)
    {
      gint64 t = g_array_index (all, gint64, i);

      if (t > g_array_index (out, gint64, out->len - 1) && t < to)
        g_array_append_val (out, t);
    }
  return out;
}

static GArray *
segments_between (MerSchedule *self,
                  gint64       from,
                  gint64       to)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MerInterval));
  g_autoptr(GArray) bounds = NULL;

  if (to <= from)
    return out;
  bounds = collect_boundaries (self, from, to);
  for (guint i = 0; i < bounds->len; i++)
    {
      gint64 s = g_array_index (bounds, gint64, i);
      gint64 e = i + 1 < bounds->len ? g_array_index (bounds, gint64, i + 1) : to;
      MerStatus status = status_of_flags (flags_at (self, s));

      if (out->len > 0 && g_array_index (out, MerInterval, out->len - 1).status == status)
        g_array_index (out, MerInterval, out->len - 1).end = e;
      else
        {
          MerInterval iv = { s, e, status };

          g_array_append_val (out, iv);
        }
    }
  return out;
}

/* Parsing. */

static gboolean
parse_clock (const char *text,
             gint       *minutes)
{
  guint h, m;

  if (text == NULL || strlen (text) != 5 || text[2] != ':' ||
      !g_ascii_isdigit (text[0]) || !g_ascii_isdigit (text[1]) ||
      !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;
  h = (text[0] - '0') * 10 + (text[1] - '0');
  m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0))
    return FALSE;
  *minutes = h * 60 + m;
  return TRUE;
}

static gboolean
parse_date (const char *text,
            gint64     *day)
{
  GDate date;
  guint y, m, d;

  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-' ||
      sscanf (text, "%4u-%2u-%2u", &y, &m, &d) != 3 ||
      !g_date_valid_dmy (d, m, y))
    return FALSE;
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, d, m, y);
  *day = (gint64) g_date_get_julian (&date) - UNIX_EPOCH_JULIAN;
  return TRUE;
}

static gboolean
parse_week (JsonObject  *person,
            const char  *member,
            GArray     **week,
            GError     **error)
{
  JsonNode *node = json_object_get_member (person, member);
  JsonObject *object;

  for (guint i = 0; i < 7; i++)
    week[i] = g_array_new (FALSE, FALSE, sizeof (Range));
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  object = json_node_get_object (node);
  for (guint i = 0; i < 7; i++)
    {
      JsonNode *day = json_object_get_member (object, weekday_keys[i]);
      JsonArray *ranges;

      if (day == NULL || JSON_NODE_HOLDS_NULL (day))
        continue;
      if (!JSON_NODE_HOLDS_ARRAY (day))
        goto bad;
      ranges = json_node_get_array (day);
      for (guint j = 0; j < json_array_get_length (ranges); j++)
        {
          JsonNode *pair = json_array_get_element (ranges, j);
          JsonArray *a;
          Range r;

          if (!JSON_NODE_HOLDS_ARRAY (pair))
            goto bad;
          a = json_node_get_array (pair);
          if (json_array_get_length (a) != 2 ||
              json_node_get_value_type (json_array_get_element (a, 0)) != G_TYPE_STRING ||
              json_node_get_value_type (json_array_get_element (a, 1)) != G_TYPE_STRING ||
              !parse_clock (json_array_get_string_element (a, 0), &r.start) ||
              !parse_clock (json_array_get_string_element (a, 1), &r.end) ||
              r.start >= r.end)
            goto bad;
          g_array_append_val (week[i], r);
        }
    }
  return TRUE;

bad:
  g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID,
               _("“%s” must map weekdays to lists of [\"HH:MM\", \"HH:MM\"] ranges"), member);
  return FALSE;
}

static gboolean
parse_away (MerSchedule  *self,
            JsonObject   *person,
            GError      **error)
{
  JsonNode *node = json_object_get_member (person, "away");
  JsonArray *list;

  self->away = g_array_new (FALSE, FALSE, sizeof (Away));
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  list = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *item = json_array_get_element (list, i);
      JsonObject *o;
      const char *to;
      Away a;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        goto bad;
      o = json_node_get_object (item);
      if (!parse_date (mer_json_get_string (o, "from"), &a.from))
        goto bad;
      to = mer_json_get_string (o, "to");
      if (to == NULL)
        a.to = a.from;
      else if (!parse_date (to, &a.to) || a.to < a.from)
        goto bad;
      g_array_append_val (self->away, a);
    }
  return TRUE;

bad:
  g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID,
               _("“away” must be a list of {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\"}"));
  return FALSE;
}

GDateTime *
mer_schedule_parse_instant (const char  *text,
                            GError     **error)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GString) s = NULL;
  g_autofree char *trimmed = NULL;
  GDateTime *parsed;
  GDateTime *utc_time;
  const char *t;

  g_return_val_if_fail (text != NULL, NULL);

  /* Be kind to people typing: "2026-03-08 10:00" and a bare date work. */
  trimmed = g_strstrip (g_strdup (text));
  s = g_string_new (trimmed);
  g_string_replace (s, " ", "T", 1);
  if (s->len == 10)
    g_string_append (s, "T00:00:00");
  t = strchr (s->str, 'T');
  if (t != NULL && strlen (t) >= 6 && t[3] == ':' && (t[6] == '\0' || t[6] == 'Z' ||
                                                       t[6] == '+' || t[6] == '-'))
    g_string_insert (s, (t - s->str) + 6, ":00");
  parsed = g_date_time_new_from_iso8601 (s->str, utc);
  if (parsed == NULL)
    {
      g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID,
                   _("“%s” is not a time (expected e.g. 2026-03-08T10:00:00Z)"), text);
      return NULL;
    }
  utc_time = g_date_time_to_utc (parsed);
  g_date_time_unref (parsed);
  return utc_time;
}

static gint64
to_unix (GDateTime *dt)
{
  return g_date_time_to_unix (dt);
}

static GDateTime *
from_unix (gint64 t)
{
  return g_date_time_new_from_unix_utc (t);
}

GDateTime *
mer_schedule_now (void)
{
  const char *pinned = g_getenv ("MERIDIAN_NOW");

  if (pinned != NULL && *pinned != '\0')
    {
      g_autoptr(GError) error = NULL;
      GDateTime *now = mer_schedule_parse_instant (pinned, &error);

      if (now != NULL)
        return now;
      g_warning ("MERIDIAN_NOW: %s", error->message);
    }
  return g_date_time_new_now_utc ();
}

char *
mer_schedule_format_instant (GDateTime *instant)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (instant != NULL, NULL);
  utc = g_date_time_to_utc (instant);
  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}

char *
mer_schedule_format_offset (GDateTime *local)
{
  gint64 offset = g_date_time_get_utc_offset (local) / G_TIME_SPAN_SECOND;
  gint64 magnitude = ABS (offset);

  return g_strdup_printf ("%c%02d:%02d", offset < 0 ? '-' : '+',
                          (int) (magnitude / 3600), (int) (magnitude % 3600 / 60));
}

const char *
mer_status_to_string (MerStatus status)
{
  switch (status)
    {
    case MER_STATUS_OFF:
      return "off";
    case MER_STATUS_WORKING:
      return "working";
    case MER_STATUS_FOCUS:
      return "focus";
    case MER_STATUS_AWAY:
      return "away";
    case MER_STATUS_UNKNOWN:
    default:
      return "unknown";
    }
}

/* The possessive for sentences about the person, from "pronouns". */
static char *
possessive_from_pronouns (const char *pronouns)
{
  if (pronouns == NULL)
    return g_strdup (_("their"));
  if (g_str_has_prefix (pronouns, "she"))
    return g_strdup (_("her"));
  if (g_str_has_prefix (pronouns, "he"))
    return g_strdup (_("his"));
  return g_strdup (_("their"));
}

/*
 * GLib reads a zone from $TZDIR when that is set (even empty, even
 * relative), else from the first of the usual folders that exists; this
 * follows the same order so the message names the folder GLib looked in.
 */
const char *
mer_schedule_zone_database_dir (void)
{
  const char *dir = g_getenv ("TZDIR");

  if (dir != NULL)
    return dir;
  if (g_file_test ("/usr/share/zoneinfo", G_FILE_TEST_IS_DIR))
    return "/usr/share/zoneinfo";
  if (g_file_test ("/usr/share/lib/zoneinfo", G_FILE_TEST_IS_DIR))
    return "/usr/share/lib/zoneinfo";
  return "/usr/share/zoneinfo";
}

/*
 * A zone that fails to load is either a name the database lacks or a
 * system without the database (a minimal install without tzdata, where
 * only "UTC" and fixed offsets load). Every tzdata ships these files, so
 * finding none of them means there is no database to look in.
 */
gboolean
mer_schedule_has_zone_database (void)
{
#ifdef G_OS_UNIX
  static const char * const markers[] = { "zone1970.tab", "zone.tab", "tzdata.zi", "Etc/UTC" };
  const char *dir = mer_schedule_zone_database_dir ();

  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autofree char *path = g_build_filename (dir, markers[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
#else
  /* Elsewhere GLib reads the zones from the system, not from files. */
  return TRUE;
#endif
}

GTimeZone *
mer_schedule_load_zone (const char  *identifier,
                        GError     **error)
{
  GTimeZone *zone;

  g_return_val_if_fail (identifier != NULL, NULL);

  zone = *identifier != '\0' ? g_time_zone_new_identifier (identifier) : NULL;
  if (zone != NULL)
    return zone;
  if (*identifier != '\0' && !mer_schedule_has_zone_database ())
    g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE,
                 _("The time zone “%s” cannot be loaded: this system has no time zone database in %s "
                   "(install the tzdata package)"),
                 identifier, mer_schedule_zone_database_dir ());
  else
    g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE,
                 _("Unknown time zone “%s”"), identifier);
  return NULL;
}

MerSchedule *
mer_schedule_new_from_person (JsonObject  *person,
                              GError     **error)
{
  g_autoptr(MerSchedule) self = NULL;
  g_autoptr(GError) zone_error = NULL;
  const char *focus_until;
  const char *focus_from;

  g_return_val_if_fail (person != NULL, NULL);

  self = g_new0 (MerSchedule, 1);
  self->ref_count = 1;
  self->id = g_strdup (mer_json_get_string (person, "_id"));
  self->name = g_strdup (mer_json_get_string (person, "name"));
  if (self->name == NULL)
    self->name = g_strdup (self->id != NULL ? self->id : "");
  self->tz_name = g_strdup (mer_json_get_string (person, "tz"));
  self->status_note = g_strdup (mer_json_get_string (person, "status_note"));
  self->possessive = possessive_from_pronouns (mer_json_get_string (person, "pronouns"));
  self->focus_from = G_MININT64;
  for (guint i = 0; i < 7; i++)
    {
      self->work[i] = NULL;
      self->focus[i] = NULL;
    }

  if (!parse_week (person, "work", self->work, error) ||
      !parse_week (person, "focus", self->focus, error) ||
      !parse_away (self, person, error))
    {
      g_prefix_error (error, "%s: ", self->id ? self->id : "person");
      return NULL;
    }

  /* Never fall back to UTC: a wrong zone must be seen, not guessed. */
  if (self->tz_name == NULL || *self->tz_name == '\0')
    {
      g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE,
                   _("%s has no time zone"), self->id ? self->id : "person");
      return NULL;
    }
  self->tz = mer_schedule_load_zone (self->tz_name, &zone_error);
  if (self->tz == NULL)
    {
      /* Without tzdata every zone but UTC fails: say that, not "unknown". */
      if (g_error_matches (zone_error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE))
        g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE,
                     /* Translators: "Aroha’s time zone “Pacific/Auckland” cannot be loaded: …" */
                     _("%s’s time zone “%s” cannot be loaded: this system has no time zone "
                       "database in %s (install the tzdata package)"),
                     self->name, self->tz_name, mer_schedule_zone_database_dir ());
      else
        g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE,
                     _("%s: unknown time zone “%s”"), self->id ? self->id : "person",
                     self->tz_name);
      return NULL;
    }

  focus_until = mer_json_get_string (person, "focus_until");
  if (focus_until != NULL && *focus_until != '\0')
    {
      g_autoptr(GDateTime) until = mer_schedule_parse_instant (focus_until, error);

      if (until == NULL)
        {
          g_prefix_error (error, "%s: focus_until: ", self->id ? self->id : "person");
          return NULL;
        }
      self->has_focus = TRUE;
      self->focus_until = to_unix (until);
      focus_from = mer_json_get_string (person, "focus_from");
      if (focus_from != NULL)
        {
          g_autoptr(GDateTime) since = mer_schedule_parse_instant (focus_from, NULL);

          if (since != NULL)
            self->focus_from = to_unix (since);
        }
    }

  return g_steal_pointer (&self);
}

MerSchedule *
mer_schedule_ref (MerSchedule *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
mer_schedule_unref (MerSchedule *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_free (self->id);
  g_free (self->name);
  g_free (self->tz_name);
  g_free (self->status_note);
  g_free (self->possessive);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  for (guint i = 0; i < 7; i++)
    {
      g_clear_pointer (&self->work[i], g_array_unref);
      g_clear_pointer (&self->focus[i], g_array_unref);
    }
  g_clear_pointer (&self->away, g_array_unref);
  g_free (self);
}

const char *
mer_schedule_get_id (MerSchedule *self)
{
  return self->id;
}

const char *
mer_schedule_get_name (MerSchedule *self)
{
  return self->name;
}

const char *
mer_schedule_get_tz (MerSchedule *self)
{
  return self->tz_name;
}

GTimeZone *
mer_schedule_get_timezone (MerSchedule *self)
{
  return self->tz;
}

const char *
mer_schedule_get_status_note (MerSchedule *self)
{
  return self->status_note;
}

GDateTime *
mer_schedule_get_focus_until (MerSchedule *self)
{
  return self->has_focus ? from_unix (self->focus_until) : NULL;
}

GDateTime *
mer_schedule_local_time (MerSchedule *self,
                         GDateTime   *at)
{
  g_return_val_if_fail (self != NULL && at != NULL, NULL);
  return g_date_time_to_timezone (at, self->tz);
}

char *
mer_schedule_utc_offset (MerSchedule *self,
                         GDateTime   *at)
{
  g_autoptr(GDateTime) local = mer_schedule_local_time (self, at);

  return mer_schedule_format_offset (local);
}

/*
 * Looks forward a week at a time, so that a long away period or a person
 * with no hours at all costs a bounded amount of work.
 */
MerStatus
mer_schedule_status_at (MerSchedule  *self,
                        GDateTime    *at,
                        GDateTime   **next_change)
{
  gint64 t = to_unix (at);
  MerStatus status;

  g_return_val_if_fail (self != NULL && at != NULL, MER_STATUS_UNKNOWN);

  status = status_of_flags (flags_at (self, t));
  if (next_change == NULL)
    return status;

  *next_change = NULL;
  for (gint64 from = t; from < t + (gint64) HORIZON_DAYS * SECONDS_PER_DAY; from += 7 * SECONDS_PER_DAY)
    {
      g_autoptr(GArray) segs = segments_between (self, from, from + 7 * SECONDS_PER_DAY);

      for (guint i = 0; i < segs->len; i++)
        {
          MerInterval *iv = &g_array_index (segs, MerInterval, i);

          if (iv->status != status)
            {
              *next_change = from_unix (iv->start);
              return status;
            }
        }
    }
  return status;
}

gboolean
mer_schedule_in_focus (MerSchedule *self,
                       GDateTime   *at)
{
  return mer_schedule_status_at (self, at, NULL) == MER_STATUS_FOCUS;
}

GArray *
mer_schedule_segments (MerSchedule *self,
                       GDateTime   *from,
                       GDateTime   *to)
{
  g_return_val_if_fail (self != NULL && from != NULL && to != NULL, NULL);
  return segments_between (self, to_unix (from), to_unix (to));
}

gdouble
mer_schedule_working_seconds_between (MerSchedule *self,
                                      GDateTime   *from,
                                      GDateTime   *to)
{
  gint64 f, e;
  g_autoptr(GArray) bounds = NULL;
  gdouble total = 0;

  g_return_val_if_fail (self != NULL && from != NULL && to != NULL, 0);
  f = to_unix (from);
  e = to_unix (to);
  if (e <= f)
    return 0;
  bounds = collect_boundaries (self, f, e);
  for (guint i = 0; i < bounds->len; i++)
    {
      gint64 s = g_array_index (bounds, gint64, i);
      gint64 end = i + 1 < bounds->len ? g_array_index (bounds, gint64, i + 1) : e;
      guint flags = flags_at (self, s);

      if ((flags & FLAG_WORK) && !(flags & FLAG_AWAY))
        total += (gdouble) (end - s);
    }
  return total;
}

GDateTime *
mer_schedule_full_working_day_after (MerSchedule *self,
                                     GDateTime   *from)
{
  gint64 f;
  gint64 first_day;

  g_return_val_if_fail (self != NULL && from != NULL, NULL);
  f = to_unix (from);
  first_day = local_day (self->tz, f);
  for (gint64 d = first_day; d < first_day + 366; d++)
    {
      GArray *list = self->work[weekday_of_day (d)];
      gint64 start = G_MAXINT64, end = G_MININT64;

      if (list->len == 0 || day_is_away (self, d))
        continue;
      for (guint i = 0; i < list->len; i++)
        {
          Range *r = &g_array_index (list, Range, i);

          start = MIN (start, day_minute_to_instant (self->tz, d, r->start));
          end = MAX (end, day_minute_to_instant (self->tz, d, r->end));
        }
      if (start >= f)
        return from_unix (end);
    }
  return NULL;
}

/* Intersects two sorted lists of disjoint intervals. */
static GArray *
intersect (GArray *a,
           GArray *b)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MerInterval));
  guint i = 0, j = 0;

  while (i < a->len && j < b->len)
    {
      MerInterval *x = &g_array_index (a, MerInterval, i);
      MerInterval *y = &g_array_index (b, MerInterval, j);
      MerInterval iv = { MAX (x->start, y->start), MIN (x->end, y->end), MER_STATUS_WORKING };

      if (iv.start < iv.end)
        g_array_append_val (out, iv);
      if (x->end < y->end)
        i++;
      else
        j++;
    }
  return out;
}

GArray *
mer_schedule_overlap (GPtrArray   *schedules,
                      const char  *date,
                      GTimeZone   *day_zone,
                      GError     **error)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  GTimeZone *zone = day_zone != NULL ? day_zone : utc;
  GArray *result = NULL;
  gint64 day, start, end;

  g_return_val_if_fail (schedules != NULL, NULL);

  if (!parse_date (date, &day))
    {
      g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID,
                   _("“%s” is not a date (expected YYYY-MM-DD)"), date ? date : "");
      return NULL;
    }
  start = day_minute_to_instant (zone, day, 0);
  end = day_minute_to_instant (zone, day + 1, 0);

  if (schedules->len == 0)
    return g_array_new (FALSE, FALSE, sizeof (MerInterval));

  for (guint i = 0; i < schedules->len; i++)
    {
      g_autoptr(GArray) segs = segments_between (g_ptr_array_index (schedules, i), start, end);
      g_autoptr(GArray) working = g_array_new (FALSE, FALSE, sizeof (MerInterval));

      for (guint k = 0; k < segs->len; k++)
        if (g_array_index (segs, MerInterval, k).status == MER_STATUS_WORKING)
          g_array_append_val (working, g_array_index (segs, MerInterval, k));

      if (result == NULL)
        result = g_steal_pointer (&working);
      else
        {
          GArray *next = intersect (result, working);

          g_array_unref (result);
          result = next;
        }
    }
  return result;
}

/* Words. */

/*
 * A time in the person's zone, as short as is unambiguous from @at: "11:30"
 * the same local day, "Monday 09:00" within the week, else a date.
 */
static char *
format_when (MerSchedule *self,
             GDateTime   *at,
             GDateTime   *when,
             gboolean     date_only)
{
  g_autoptr(GDateTime) local_at = g_date_time_to_timezone (at, self->tz);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (when, self->tz);
  gint64 days = local_day (self->tz, to_unix (when)) - local_day (self->tz, to_unix (at));

  if (date_only)
    return g_date_time_format (local, _("%A %-d %B"));
  if (days == 0)
    return g_date_time_format (local, "%H:%M");
  if (days == 1)
    return g_date_time_format (local, _("tomorrow %H:%M"));
  if (days < 7)
    return g_date_time_format (local, _("%A %H:%M"));
  return g_date_time_format (local, _("%A %-d %B %H:%M"));
}

static char *
describe_status (MerSchedule *self,
                 GDateTime   *at,
                 gboolean     own)
{
  g_autoptr(GDateTime) next = NULL;
  g_autofree char *when = NULL;
  MerStatus status;

  status = mer_schedule_status_at (self, at, &next);
  if (next != NULL)
    when = format_when (self, at, next, status == MER_STATUS_AWAY);

  switch (status)
    {
    case MER_STATUS_FOCUS:
      if (when == NULL)
        return g_strdup (_("Deep work"));
      return own ? g_strdup_printf (_("Deep work until %s"), when)
                 : g_strdup_printf (_("Deep work until %s (their time)"), when);
    case MER_STATUS_WORKING:
      if (when == NULL)
        return g_strdup (_("Working"));
      return own ? g_strdup_printf (_("Working until %s"), when)
                 : g_strdup_printf (_("Working until %s (their time)"), when);
    case MER_STATUS_OFF:
      return when ? g_strdup_printf (_("Off until %s"), when) : g_strdup (_("Off"));
    case MER_STATUS_AWAY:
      return when ? g_strdup_printf (_("Away, back %s"), when) : g_strdup (_("Away"));
    case MER_STATUS_UNKNOWN:
    default:
      return g_strdup (_("Unknown time zone"));
    }
}

char *
mer_schedule_describe_status (MerSchedule *self,
                              GDateTime   *at)
{
  g_return_val_if_fail (self != NULL && at != NULL, NULL);
  return describe_status (self, at, FALSE);
}

char *
mer_schedule_describe_own_status (MerSchedule *self,
                                  GDateTime   *at)
{
  g_return_val_if_fail (self != NULL && at != NULL, NULL);
  return describe_status (self, at, TRUE);
}

/* "45 min from now", "2 h from now", "2 h 30 min from now", "in 3 days". */
static char *
format_relative (gint64 seconds)
{
  gint64 minutes = (seconds + 59) / 60;

  if (minutes < 60)
    return g_strdup_printf (_("%d min from now"), (int) minutes);
  if (minutes < 48 * 60)
    {
      if (minutes % 60 == 0)
        return g_strdup_printf (_("%d h from now"), (int) (minutes / 60));
      return g_strdup_printf (_("%d h %d min from now"), (int) (minutes / 60), (int) (minutes % 60));
    }
  return g_strdup_printf (_("%d days from now"), (int) (minutes / (24 * 60)));
}

char *
mer_schedule_describe_availability (MerSchedule *self,
                                    GDateTime   *at)
{
  g_autoptr(GDateTime) next = NULL;
  g_autofree char *when = NULL;
  g_autofree char *relative = NULL;
  MerStatus status;

  g_return_val_if_fail (self != NULL && at != NULL, NULL);

  status = mer_schedule_status_at (self, at, &next);
  if (status == MER_STATUS_WORKING)
    return NULL;
  if (next == NULL)
    {
      switch (status)
        {
        case MER_STATUS_FOCUS:
          return g_strdup_printf (_("%s is in deep work"), self->name);
        case MER_STATUS_AWAY:
          return g_strdup_printf (_("%s is away"), self->name);
        default:
          return g_strdup_printf (_("%s is off"), self->name);
        }
    }

  when = format_when (self, at, next, status == MER_STATUS_AWAY);
  relative = format_relative (to_unix (next) - to_unix (at));
  switch (status)
    {
    case MER_STATUS_FOCUS:
      /* Translators: "Ana is in deep work until 15:00 her time, 2 h from now" */
      return g_strdup_printf (_("%s is in deep work until %s %s time, %s"),
                              self->name, when, self->possessive, relative);
    case MER_STATUS_AWAY:
      return g_strdup_printf (_("%s is away, back %s"), self->name, when);
    default:
      return g_strdup_printf (_("%s is off until %s %s time, %s"),
                              self->name, when, self->possessive, relative);
    }
}

/* Who "me" is, kept in a local document so it never leaves this replica. */

#define PROFILE_DOC "_local/profile"

char *
mer_schedule_get_me (MerStore *store)
{
  g_autoptr(JsonObject) profile = mer_store_get_local (store, PROFILE_DOC, NULL);

  if (profile == NULL)
    return NULL;
  return g_strdup (mer_json_get_string (profile, "person"));
}

gboolean
mer_schedule_set_me (MerStore    *store,
                     const char  *person_id,
                     GError     **error)
{
  g_autoptr(JsonObject) profile = mer_store_get_local (store, PROFILE_DOC, NULL);
  g_autofree char *rev = NULL;

  g_return_val_if_fail (person_id != NULL, FALSE);
  if (profile == NULL)
    {
      profile = json_object_new ();
      json_object_set_string_member (profile, "_id", PROFILE_DOC);
    }
  json_object_set_string_member (profile, "person", person_id);
  rev = mer_store_put_local (store, profile, error);
  return rev != NULL;
}

gboolean
mer_schedule_user_in_focus (MerStore  *store,
                            GDateTime *at)
{
  g_autofree char *me = mer_schedule_get_me (store);
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(MerSchedule) schedule = NULL;

  if (me == NULL)
    return FALSE;
  person = mer_store_get_doc (store, me, NULL, MER_GET_DEFAULT, NULL);
  if (person == NULL)
    return FALSE;
  schedule = mer_schedule_new_from_person (person, NULL);
  return schedule != NULL && mer_schedule_in_focus (schedule, at);
}

gboolean
mer_schedule_set_user_focus (MerStore   *store,
                             GDateTime  *now,
                             guint       minutes,
                             GError    **error)
{
  g_autofree char *me = mer_schedule_get_me (store);
  g_autoptr(JsonObject) person = NULL;
  g_autofree char *rev = NULL;

  if (me == NULL)
    {
      g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID,
                   _("Choose who you are in your profile first"));
      return FALSE;
    }
  person = mer_store_get_doc (store, me, NULL, MER_GET_DEFAULT, error);
  if (person == NULL)
    return FALSE;

  if (minutes == 0)
    {
      json_object_set_null_member (person, "focus_until");
      json_object_remove_member (person, "focus_from");
    }
  else
    {
      g_autoptr(GDateTime) until = g_date_time_add_minutes (now, minutes);
      g_autofree char *until_text = mer_schedule_format_instant (until);
      g_autofree char *from_text = mer_schedule_format_instant (now);

      json_object_set_string_member (person, "focus_until", until_text);
      json_object_set_string_member (person, "focus_from", from_text);
    }
  rev = mer_store_put_doc (store, person, error);
  return rev != NULL;
}

JsonArray *
mer_schedule_parse_ranges (const char  *text,
                           GError     **error)
{
  g_autoptr(JsonArray) out = json_array_new ();
  g_autoptr(GString) clean = g_string_new (text ? text : "");
  g_auto(GStrv) parts = NULL;

  g_string_replace (clean, "–", "-", 0);
  g_string_replace (clean, "—", "-", 0);
  g_string_replace (clean, " ", "", 0);
  if (clean->len == 0)
    return g_steal_pointer (&out);

  parts = g_strsplit (clean->str, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto(GStrv) ends = g_strsplit (parts[i], "-", -1);
      JsonArray *pair;
      gint a, b;

      if (g_strv_length (ends) != 2 || !parse_clock (ends[0], &a) || !parse_clock (ends[1], &b) || a >= b)
        {
          g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID,
                       _("“%s” is not a range of times like 09:00–17:00"), parts[i]);
          return NULL;
        }
      pair = json_array_new ();
      json_array_add_string_element (pair, ends[0]);
      json_array_add_string_element (pair, ends[1]);
      json_array_add_array_element (out, pair);
    }
  return g_steal_pointer (&out);
}

char *
mer_schedule_format_ranges (JsonArray *ranges)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; ranges != NULL && i < json_array_get_length (ranges); i++)
    {
      JsonArray *pair = json_array_get_array_element (ranges, i);

      if (pair == NULL || json_array_get_length (pair) != 2)
        continue;
      g_string_append_printf (out, "%s%s–%s", out->len ? ", " : "",
                              json_array_get_string_element (pair, 0),
                              json_array_get_string_element (pair, 1));
    }
  return g_string_free (out, FALSE);
}
