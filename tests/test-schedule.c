/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The schedule model against a table of hand-checked cases. Every expected
 * value below was worked out from the zones' published rules, not by running
 * the code: 2026 switches are EU 29 March / 25 October at 01:00 UTC, US
 * 8 March / 1 November at 02:00 local, New Zealand and Chatham 5 April /
 * 27 September at 14:00 UTC (the day before, UTC).
 */
#include "config.h"

#include "mer-test-util.h"
#include "mer-schedule.h"

#include <string.h>

#define WEEKDAYS(r) "{\"mon\":" r ",\"tue\":" r ",\"wed\":" r ",\"thu\":" r ",\"fri\":" r ",\"sat\":[],\"sun\":[]}"
#define NINE_FIVE WEEKDAYS ("[[\"09:00\",\"17:00\"]]")

typedef struct
{
  const char *key;
  const char *json;
} Person;

static const Person people[] = {
  { "berlin", "{\"_id\":\"person:berlin\",\"type\":\"person\",\"name\":\"Bea\",\"tz\":\"Europe/Berlin\","
              "\"work\":" NINE_FIVE ",\"focus\":" WEEKDAYS ("[[\"09:00\",\"11:00\"]]") "}" },
  { "berlin-late", "{\"_id\":\"person:bl\",\"name\":\"Bo\",\"tz\":\"Europe/Berlin\","
                   "\"work\":" WEEKDAYS ("[[\"09:00\",\"18:00\"]]") "}" },
  { "la", "{\"_id\":\"person:la\",\"name\":\"Lou\",\"tz\":\"America/Los_Angeles\",\"work\":" NINE_FIVE "}" },
  /* Works 02:30-06:00 on Sundays, across New York's spring-forward gap. */
  { "ny-gap", "{\"_id\":\"person:nyg\",\"name\":\"Gus\",\"tz\":\"America/New_York\","
              "\"work\":{\"sun\":[[\"02:30\",\"06:00\"]]}}" },
  /* Works 01:30-03:00 on Sundays, across New York's repeated hour. */
  { "ny-night", "{\"_id\":\"person:nyn\",\"name\":\"Nat\",\"tz\":\"America/New_York\","
                "\"work\":{\"sun\":[[\"01:30\",\"03:00\"]]}}" },
  { "kolkata", "{\"_id\":\"person:kol\",\"name\":\"Kavya\",\"tz\":\"Asia/Kolkata\","
               "\"work\":" WEEKDAYS ("[[\"10:00\",\"18:00\"]]") ","
               "\"focus\":" WEEKDAYS ("[[\"14:00\",\"16:00\"]]") "}" },
  { "kathmandu", "{\"_id\":\"person:ana\",\"name\":\"Ana\",\"pronouns\":\"she/her\",\"tz\":\"Asia/Kathmandu\","
                 "\"work\":" NINE_FIVE ",\"focus\":{\"mon\":[[\"09:00\",\"11:30\"]]}}" },
  { "eucla", "{\"_id\":\"person:euc\",\"name\":\"Eli\",\"tz\":\"Australia/Eucla\","
             "\"work\":" WEEKDAYS ("[[\"08:00\",\"16:00\"]]") "}" },
  { "chatham", "{\"_id\":\"person:cha\",\"name\":\"Cai\",\"tz\":\"Pacific/Chatham\",\"work\":" NINE_FIVE "}" },
  /* Works 03:00-05:00 on Sundays: 03:00 does not exist on 27 September. */
  { "chatham-gap", "{\"_id\":\"person:chg\",\"name\":\"Cy\",\"tz\":\"Pacific/Chatham\","
                   "\"work\":{\"sun\":[[\"03:00\",\"05:00\"]]}}" },
  { "auckland", "{\"_id\":\"person:akl\",\"name\":\"Aro\",\"tz\":\"Pacific/Auckland\",\"work\":" NINE_FIVE "}" },
  { "kiritimati", "{\"_id\":\"person:kir\",\"name\":\"Kiri\",\"tz\":\"Pacific/Kiritimati\",\"work\":" NINE_FIVE "}" },
  { "pago", "{\"_id\":\"person:pag\",\"name\":\"Pita\",\"tz\":\"Pacific/Pago_Pago\",\"work\":" NINE_FIVE "}" },
  /* Several ranges a day, one ending at 24:00 and continuing at 00:00. */
  { "tokyo-split", "{\"_id\":\"person:tok\",\"name\":\"Toru\",\"tz\":\"Asia/Tokyo\","
                   "\"work\":{\"mon\":[[\"06:00\",\"08:00\"],[\"20:00\",\"24:00\"]],\"tue\":[[\"00:00\",\"02:00\"]]}}" },
  { "berlin-away", "{\"_id\":\"person:bwa\",\"name\":\"Wim\",\"tz\":\"Europe/Berlin\",\"work\":" NINE_FIVE ","
                   "\"away\":[{\"from\":\"2026-12-21\",\"to\":\"2027-01-03\",\"note\":\"Holidays\"}]}" },
  { "berlin-live", "{\"_id\":\"person:bwl\",\"name\":\"Liv\",\"tz\":\"Europe/Berlin\",\"work\":" NINE_FIVE ","
                   "\"focus_until\":\"2026-03-10T13:00:00Z\",\"focus_from\":\"2026-03-10T12:00:00Z\"}" },
  { "berlin-live-old", "{\"_id\":\"person:bwo\",\"name\":\"Olga\",\"tz\":\"Europe/Berlin\",\"work\":" NINE_FIVE ","
                       "\"focus_until\":\"2026-03-10T20:00:00Z\"}" },
  { "utc", "{\"_id\":\"person:utc\",\"name\":\"Uma\",\"tz\":\"UTC\",\"work\":" NINE_FIVE "}" },
  { "nobody", "{\"_id\":\"person:nob\",\"name\":\"Nobody\",\"tz\":\"Europe/Lisbon\"}" },
};

typedef struct
{
  const char *person;
  const char *at;      /* UTC */
  const char *status;
  const char *local;   /* their wall clock */
  const char *offset;
  const char *until;   /* next change, UTC, or NULL */
} Case;

static const Case cases[] = {
  /* Europe/Berlin, before and after its own switch on 29 March. */
  { "berlin", "2026-03-10T08:30:00Z", "focus",   "2026-03-10T09:30", "+01:00", "2026-03-10T10:00:00Z" },
  { "berlin", "2026-03-10T10:30:00Z", "working", "2026-03-10T11:30", "+01:00", "2026-03-10T16:00:00Z" },
  { "berlin", "2026-03-10T16:00:00Z", "off",     "2026-03-10T17:00", "+01:00", "2026-03-11T08:00:00Z" },
  { "berlin", "2026-03-13T16:30:00Z", "off",     "2026-03-13T17:30", "+01:00", "2026-03-16T08:00:00Z" },
  { "berlin", "2026-03-31T07:30:00Z", "focus",   "2026-03-31T09:30", "+02:00", "2026-03-31T09:00:00Z" },
  /* Friday evening before the switch: Monday 09:00 is already summer time. */
  { "berlin", "2026-03-27T17:00:00Z", "off",     "2026-03-27T18:00", "+01:00", "2026-03-30T07:00:00Z" },
  /* Friday before the October switch: Monday 09:00 is winter time again. */
  { "berlin", "2026-10-23T16:00:00Z", "off",     "2026-10-23T18:00", "+02:00", "2026-10-26T08:00:00Z" },
  /* America/Los_Angeles switched on 8 March, three weeks before Berlin. */
  { "la", "2026-03-06T17:00:00Z", "working", "2026-03-06T09:00", "-08:00", "2026-03-07T01:00:00Z" },
  { "la", "2026-03-10T17:00:00Z", "working", "2026-03-10T10:00", "-07:00", "2026-03-11T00:00:00Z" },
  { "la", "2026-03-20T16:30:00Z", "working", "2026-03-20T09:30", "-07:00", "2026-03-21T00:00:00Z" },
  { "berlin-late", "2026-03-20T16:30:00Z", "working", "2026-03-20T17:30", "+01:00", "2026-03-20T17:00:00Z" },
  { "berlin-late", "2026-04-03T16:30:00Z", "off", "2026-04-03T18:30", "+02:00", "2026-04-06T07:00:00Z" },
  /* The gap in the person's own zone: 02:30 never happens on 8 March. */
  { "ny-gap", "2026-03-08T06:30:00Z", "off",     "2026-03-08T01:30", "-05:00", "2026-03-08T07:00:00Z" },
  { "ny-gap", "2026-03-08T07:00:00Z", "working", "2026-03-08T03:00", "-04:00", "2026-03-08T10:00:00Z" },
  { "ny-gap", "2026-03-15T06:00:00Z", "off",     "2026-03-15T02:00", "-04:00", "2026-03-15T06:30:00Z" },
  /* The repeated hour: 01:15 happens twice on 1 November. */
  { "ny-night", "2026-11-01T05:15:00Z", "off",     "2026-11-01T01:15", "-04:00", "2026-11-01T05:30:00Z" },
  { "ny-night", "2026-11-01T05:45:00Z", "working", "2026-11-01T01:45", "-04:00", "2026-11-01T08:00:00Z" },
  { "ny-night", "2026-11-01T06:15:00Z", "working", "2026-11-01T01:15", "-05:00", "2026-11-01T08:00:00Z" },
  { "ny-night", "2026-11-01T08:00:00Z", "off",     "2026-11-01T03:00", "-05:00", "2026-11-08T06:30:00Z" },
  /* Half and quarter hours. */
  { "kolkata", "2026-11-23T04:00:00Z", "off",     "2026-11-23T09:30", "+05:30", "2026-11-23T04:30:00Z" },
  { "kolkata", "2026-11-23T08:45:00Z", "focus",   "2026-11-23T14:15", "+05:30", "2026-11-23T10:30:00Z" },
  { "kolkata", "2026-11-23T10:30:00Z", "working", "2026-11-23T16:00", "+05:30", "2026-11-23T12:30:00Z" },
  { "kathmandu", "2026-11-23T03:30:00Z", "focus",   "2026-11-23T09:15", "+05:45", "2026-11-23T05:45:00Z" },
  { "kathmandu", "2026-11-23T11:14:00Z", "working", "2026-11-23T16:59", "+05:45", "2026-11-23T11:15:00Z" },
  { "kathmandu", "2026-11-24T03:30:00Z", "working", "2026-11-24T09:15", "+05:45", "2026-11-24T11:15:00Z" },
  { "eucla", "2026-11-22T23:14:00Z", "off",     "2026-11-23T07:59", "+08:45", "2026-11-22T23:15:00Z" },
  { "eucla", "2026-11-22T23:15:00Z", "working", "2026-11-23T08:00", "+08:45", "2026-11-23T07:15:00Z" },
  { "chatham", "2026-11-22T19:15:00Z", "working", "2026-11-23T09:00", "+13:45", "2026-11-23T03:15:00Z" },
  { "chatham", "2026-06-15T20:15:00Z", "working", "2026-06-16T09:00", "+12:45", "2026-06-16T04:15:00Z" },
  { "chatham-gap", "2026-09-26T13:59:00Z", "off",     "2026-09-27T02:44", "+12:45", "2026-09-26T14:00:00Z" },
  { "chatham-gap", "2026-09-26T14:00:00Z", "working", "2026-09-27T03:45", "+13:45", "2026-09-26T15:15:00Z" },
  /* The date line: one instant, three calendar days of the week. */
  { "auckland",   "2026-11-23T20:00:00Z", "working", "2026-11-24T09:00", "+13:00", "2026-11-24T04:00:00Z" },
  { "kiritimati", "2026-11-23T20:00:00Z", "working", "2026-11-24T10:00", "+14:00", "2026-11-24T03:00:00Z" },
  { "pago",       "2026-11-23T20:00:00Z", "working", "2026-11-23T09:00", "-11:00", "2026-11-24T04:00:00Z" },
  { "kiritimati", "2026-11-27T20:00:00Z", "off",     "2026-11-28T10:00", "+14:00", "2026-11-29T19:00:00Z" },
  { "pago",       "2026-11-27T20:00:00Z", "working", "2026-11-27T09:00", "-11:00", "2026-11-28T04:00:00Z" },
  { "auckland",   "2026-06-15T21:00:00Z", "working", "2026-06-16T09:00", "+12:00", "2026-06-16T05:00:00Z" },
  /* Several ranges a day; 20:00-24:00 runs straight on into 00:00-02:00. */
  { "tokyo-split", "2026-11-22T22:00:00Z", "working", "2026-11-23T07:00", "+09:00", "2026-11-22T23:00:00Z" },
  { "tokyo-split", "2026-11-23T00:00:00Z", "off",     "2026-11-23T09:00", "+09:00", "2026-11-23T11:00:00Z" },
  { "tokyo-split", "2026-11-23T14:30:00Z", "working", "2026-11-23T23:30", "+09:00", "2026-11-23T17:00:00Z" },
  { "tokyo-split", "2026-11-23T15:30:00Z", "working", "2026-11-24T00:30", "+09:00", "2026-11-23T17:00:00Z" },
  /* Away periods, in the person's own dates. */
  { "berlin-away", "2026-12-18T16:30:00Z", "off",     "2026-12-18T17:30", "+01:00", "2026-12-20T23:00:00Z" },
  { "berlin-away", "2026-12-22T10:00:00Z", "away",    "2026-12-22T11:00", "+01:00", "2027-01-03T23:00:00Z" },
  { "berlin-away", "2027-01-04T08:00:00Z", "working", "2027-01-04T09:00", "+01:00", "2027-01-04T16:00:00Z" },
  /* Live focus set from the app. */
  { "berlin-live", "2026-03-10T11:30:00Z", "working", "2026-03-10T12:30", "+01:00", "2026-03-10T12:00:00Z" },
  { "berlin-live", "2026-03-10T12:30:00Z", "focus",   "2026-03-10T13:30", "+01:00", "2026-03-10T13:00:00Z" },
  { "berlin-live", "2026-03-10T13:00:00Z", "working", "2026-03-10T14:00", "+01:00", "2026-03-10T16:00:00Z" },
  { "berlin-live-old", "2026-03-10T19:30:00Z", "focus", "2026-03-10T20:30", "+01:00", "2026-03-10T20:00:00Z" },
  { "utc", "2026-11-23T12:00:00Z", "working", "2026-11-23T12:00", "+00:00", "2026-11-23T17:00:00Z" },
  /* No hours at all: off, and it never changes. */
  { "nobody", "2026-07-01T12:00:00Z", "off", "2026-07-01T13:00", "+01:00", NULL },
};

static MerSchedule *
load (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (people); i++)
    if (g_str_equal (people[i].key, key))
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) doc = mer_test_object (people[i].json);
        MerSchedule *schedule = mer_schedule_new_from_person (doc, &error);

        g_assert_no_error (error);
        return schedule;
      }
  g_assert_not_reached ();
}

static GDateTime *
instant (const char *text)
{
  g_autoptr(GError) error = NULL;
  GDateTime *dt = mer_schedule_parse_instant (text, &error);

  g_assert_no_error (error);
  return dt;
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(MerSchedule) schedule = load (c->person);
  g_autoptr(GDateTime) at = instant (c->at);
  g_autoptr(GDateTime) next = NULL;
  g_autoptr(GDateTime) local = mer_schedule_local_time (schedule, at);
  g_autofree char *local_text = g_date_time_format (local, "%Y-%m-%dT%H:%M");
  g_autofree char *offset = mer_schedule_utc_offset (schedule, at);
  MerStatus status = mer_schedule_status_at (schedule, at, &next);

  g_assert_cmpstr (mer_status_to_string (status), ==, c->status);
  g_assert_cmpstr (local_text, ==, c->local);
  g_assert_cmpstr (offset, ==, c->offset);
  if (c->until == NULL)
    g_assert_null (next);
  else
    {
      g_autofree char *until = mer_schedule_format_instant (next);

      g_assert_cmpstr (until, ==, c->until);
    }
}

static void
assert_working_seconds (const char *key,
                        const char *from,
                        const char *to,
                        gdouble     expected)
{
  g_autoptr(MerSchedule) schedule = load (key);
  g_autoptr(GDateTime) f = instant (from);
  g_autoptr(GDateTime) t = instant (to);

  g_assert_cmpfloat (mer_schedule_working_seconds_between (schedule, f, t), ==, expected);
}

static void
test_working_seconds (void)
{
  /* The gap shortens 02:30-06:00 to 03:00-06:00; a week later it is whole. */
  assert_working_seconds ("ny-gap", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 3 * 3600);
  assert_working_seconds ("ny-gap", "2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z", 3.5 * 3600);
  /* The repeated hour lengthens 01:30-03:00 to two and a half hours. */
  assert_working_seconds ("ny-night", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 2.5 * 3600);
  assert_working_seconds ("chatham-gap", "2026-09-26T00:00:00Z", "2026-09-27T00:00:00Z", 1.25 * 3600);
  /* Monday 00:00 to Wednesday 00:00 in Tokyo: 2 + 4 + 2 hours. */
  assert_working_seconds ("tokyo-split", "2026-11-22T15:00:00Z", "2026-11-24T15:00:00Z", 8 * 3600);
  /* Away days do not count: Friday 18 December and Monday 4 January only. */
  assert_working_seconds ("berlin-away", "2026-12-18T00:00:00Z", "2027-01-05T00:00:00Z", 16 * 3600);
  /* Partial days, and focus hours count as working time. */
  assert_working_seconds ("berlin", "2026-03-10T10:30:00Z", "2026-03-11T09:00:00Z", (5.5 + 1) * 3600);
  assert_working_seconds ("berlin", "2026-03-11T09:00:00Z", "2026-03-10T10:30:00Z", 0);
}

static void
assert_full_day (const char *key,
                 const char *from,
                 const char *expected)
{
  g_autoptr(MerSchedule) schedule = load (key);
  g_autoptr(GDateTime) f = instant (from);
  g_autoptr(GDateTime) end = mer_schedule_full_working_day_after (schedule, f);
  g_autofree char *text = end ? mer_schedule_format_instant (end) : NULL;

  g_assert_cmpstr (text, ==, expected);
}

static void
test_full_working_day (void)
{
  /* Before the day starts: that same day counts. */
  assert_full_day ("berlin", "2026-03-10T07:00:00Z", "2026-03-10T16:00:00Z");
  /* Mid-day: the next day. */
  assert_full_day ("berlin", "2026-03-10T12:00:00Z", "2026-03-11T16:00:00Z");
  /* Friday afternoon: Monday, across the weekend. */
  assert_full_day ("kathmandu", "2026-11-27T06:00:00Z", "2026-11-30T11:15:00Z");
  /* Away until 3 January: Monday 4 January. */
  assert_full_day ("berlin-away", "2026-12-18T12:00:00Z", "2027-01-04T16:00:00Z");
  /* Across the date line: Pago Pago's Friday is Kiritimati's Saturday. */
  assert_full_day ("pago", "2026-11-27T12:00:00Z", "2026-11-28T04:00:00Z");
  assert_full_day ("kiritimati", "2026-11-27T12:00:00Z", "2026-11-30T03:00:00Z");
  assert_full_day ("nobody", "2026-11-27T12:00:00Z", NULL);
}

static char *
overlap_text (const char * const *keys,
              const char         *date,
              const char         *zone)
{
  g_autoptr(GPtrArray) schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_schedule_unref);
  g_autoptr(GTimeZone) tz = zone ? g_time_zone_new_identifier (zone) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) overlap = NULL;
  GString *out = g_string_new (NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    g_ptr_array_add (schedules, load (keys[i]));
  overlap = mer_schedule_overlap (schedules, date, tz, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < overlap->len; i++)
    {
      MerInterval *iv = &g_array_index (overlap, MerInterval, i);
      g_autoptr(GDateTime) s = g_date_time_new_from_unix_utc (iv->start);
      g_autoptr(GDateTime) e = g_date_time_new_from_unix_utc (iv->end);
      g_autofree char *st = mer_schedule_format_instant (s);
      g_autofree char *et = mer_schedule_format_instant (e);

      g_string_append_printf (out, "%s%s/%s", i ? " " : "", st, et);
    }
  return g_string_free (out, FALSE);
}

static void
test_overlap (void)
{
  const char *berlin_la[] = { "berlin-late", "la", NULL };
  const char *berlin_focus_la[] = { "berlin", "la", NULL };
  const char *akl_pago[] = { "auckland", "pago", NULL };
  const char *kol_ktm[] = { "kolkata", "kathmandu", NULL };
  char *text;

  /* Only while Los Angeles is on summer time and Berlin is not. */
  text = overlap_text (berlin_la, "2026-03-20", NULL);
  g_assert_cmpstr (text, ==, "2026-03-20T16:00:00Z/2026-03-20T17:00:00Z");
  g_free (text);
  text = overlap_text (berlin_la, "2026-03-06", NULL);
  g_assert_cmpstr (text, ==, "");
  g_free (text);
  text = overlap_text (berlin_la, "2026-04-03", NULL);
  g_assert_cmpstr (text, ==, "");
  g_free (text);
  text = overlap_text (berlin_focus_la, "2026-03-20", NULL);
  g_assert_cmpstr (text, ==, "");
  g_free (text);
  /* Across the date line a UTC day holds the ends of two working days. */
  text = overlap_text (akl_pago, "2026-11-24", NULL);
  g_assert_cmpstr (text, ==, "2026-11-24T00:00:00Z/2026-11-24T04:00:00Z "
                             "2026-11-24T20:00:00Z/2026-11-25T00:00:00Z");
  g_free (text);
  /* The same pair, a day in Auckland: one whole interval. */
  text = overlap_text (akl_pago, "2026-11-25", "Pacific/Auckland");
  g_assert_cmpstr (text, ==, "2026-11-24T20:00:00Z/2026-11-25T04:00:00Z");
  g_free (text);
  /* Kolkata works 10:00-18:00 minus focus 14:00-16:00 (04:30-08:30,
   * 10:30-12:30 UTC); Kathmandu on Monday works 11:30-17:00 outside focus
   * (05:45-11:15 UTC). */
  text = overlap_text (kol_ktm, "2026-11-23", NULL);
  g_assert_cmpstr (text, ==, "2026-11-23T05:45:00Z/2026-11-23T08:30:00Z "
                             "2026-11-23T10:30:00Z/2026-11-23T11:15:00Z");
  g_free (text);
}

static void
test_errors (void)
{
  const char *bad[][2] = {
    { "{\"_id\":\"person:x\",\"tz\":\"Mars/Olympus_Mons\"}", "unknown-zone" },
    { "{\"_id\":\"person:x\"}", "unknown-zone" },
    { "{\"_id\":\"person:x\",\"tz\":\"\"}", "unknown-zone" },
    { "{\"_id\":\"person:x\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"25:00\",\"26:00\"]]}}", "invalid" },
    { "{\"_id\":\"person:x\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"17:00\",\"09:00\"]]}}", "invalid" },
    { "{\"_id\":\"person:x\",\"tz\":\"UTC\",\"work\":{\"mon\":[\"09:00\"]}}", "invalid" },
    { "{\"_id\":\"person:x\",\"tz\":\"UTC\",\"away\":[{\"from\":\"2026-02-30\"}]}", "invalid" },
    { "{\"_id\":\"person:x\",\"tz\":\"UTC\",\"focus_until\":\"soon\"}", "invalid" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = mer_test_object (bad[i][0]);
      g_autoptr(MerSchedule) schedule = mer_schedule_new_from_person (doc, &error);

      g_assert_null (schedule);
      g_assert_error (error, MER_SCHEDULE_ERROR,
                      g_str_equal (bad[i][1], "invalid") ? MER_SCHEDULE_ERROR_INVALID
                                                         : MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
    }
}

/*
 * With the time zone database present, a name it lacks is "unknown", and
 * says so, whatever the person is called.
 */
static void
test_unknown_zone_with_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) zone_error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"person:aroha\",\"name\":\"Aroha\",\"tz\":\"Pacific/Atlantis\"}");
  g_autoptr(MerSchedule) schedule = NULL;
  g_autoptr(GTimeZone) zone = NULL;

  g_assert_true (mer_schedule_has_zone_database ());
  schedule = mer_schedule_new_from_person (doc, &error);
  g_assert_null (schedule);
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
  g_assert_nonnull (strstr (error->message, "unknown time zone “Pacific/Atlantis”"));
  g_assert_nonnull (strstr (error->message, "person:aroha"));
  g_assert_null (strstr (error->message, "tzdata"));

  zone = mer_schedule_load_zone ("Pacific/Atlantis", &zone_error);
  g_assert_null (zone);
  g_assert_error (zone_error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
  zone = mer_schedule_load_zone ("Pacific/Auckland", NULL);
  g_assert_nonnull (zone);
}

/*
 * A minimal system without the tzdata package: GLib reads zones from
 * $TZDIR, here an empty folder. GLib keeps the zones it has loaded, so this
 * runs in a fresh subprocess that loads none before TZDIR is set.
 */
static void
test_no_zone_database (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *empty = mer_test_make_tmpdir ("no-tzdata");
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) zone_error = NULL;
      g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"person:aroha\",\"name\":\"Aroha\","
                                                   "\"tz\":\"Pacific/Auckland\",\"work\":" NINE_FIVE "}");
      g_autoptr(JsonObject) utc_doc = mer_test_object ("{\"_id\":\"person:ute\",\"name\":\"Ute\","
                                                       "\"tz\":\"UTC\",\"work\":" NINE_FIVE "}");
      g_autoptr(MerSchedule) schedule = NULL;
      g_autoptr(MerSchedule) utc = NULL;
      g_autoptr(GTimeZone) zone = NULL;

      g_setenv ("TZDIR", empty, TRUE);
      g_assert_cmpstr (mer_schedule_zone_database_dir (), ==, empty);
      g_assert_false (mer_schedule_has_zone_database ());

      schedule = mer_schedule_new_from_person (doc, &error);
      g_assert_null (schedule);
      g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE);
      g_test_message ("%s", error->message);
      /* Who, which zone, why, and what to do. */
      g_assert_true (g_str_has_prefix (error->message, "Aroha’s time zone “Pacific/Auckland” cannot be loaded"));
      g_assert_nonnull (strstr (error->message, "no time zone database"));
      g_assert_nonnull (strstr (error->message, empty));
      g_assert_nonnull (strstr (error->message, "install the tzdata package"));
      g_assert_null (strstr (error->message, "unknown time zone"));

      zone = mer_schedule_load_zone ("America/New_York", &zone_error);
      g_assert_null (zone);
      g_assert_error (zone_error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE);
      g_assert_nonnull (strstr (zone_error->message, "“America/New_York”"));

      /* UTC needs no database, and still works. */
      utc = mer_schedule_new_from_person (utc_doc, NULL);
      g_assert_nonnull (utc);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/*
 * A database that is there but lacks the zone: still "unknown", even
 * through $TZDIR. Its marker file is a copy of the system's index.
 */
static void
test_partial_zone_database (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = mer_test_make_tmpdir ("partial-tzdata");
      g_autofree char *index = g_build_filename (dir, "zone1970.tab", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"person:aroha\",\"name\":\"Aroha\","
                                                   "\"tz\":\"Pacific/Auckland\"}");
      g_autoptr(MerSchedule) schedule = NULL;

      g_assert_true (g_file_set_contents (index, "# only an index\n", -1, NULL));
      g_setenv ("TZDIR", dir, TRUE);
      g_assert_true (mer_schedule_has_zone_database ());
      schedule = mer_schedule_new_from_person (doc, &error);
      g_assert_null (schedule);
      g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
      g_assert_nonnull (strstr (error->message, "unknown time zone “Pacific/Auckland”"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_words (void)
{
  struct { const char *key, *at, *status, *availability; } words[] = {
    { "berlin", "2026-03-10T08:30:00Z", "Deep work until 11:00 (their time)",
      "Bea is in deep work until 11:00 their time, 1 h 30 min from now" },
    { "berlin", "2026-03-13T16:30:00Z", "Off until Monday 09:00",
      "Bea is off until Monday 09:00 their time, 2 days from now" },
    { "berlin", "2026-03-10T16:00:00Z", "Off until tomorrow 09:00",
      "Bea is off until tomorrow 09:00 their time, 16 h from now" },
    { "berlin", "2026-03-10T10:30:00Z", "Working until 17:00 (their time)", NULL },
    { "kathmandu", "2026-11-23T03:30:00Z", "Deep work until 11:30 (their time)",
      "Ana is in deep work until 11:30 her time, 2 h 15 min from now" },
    { "berlin-away", "2026-12-22T10:00:00Z", "Away, back Monday 4 January",
      "Wim is away, back Monday 4 January" },
    { "nobody", "2026-07-01T12:00:00Z", "Off", "Nobody is off" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      g_autoptr(MerSchedule) schedule = load (words[i].key);
      g_autoptr(GDateTime) at = instant (words[i].at);
      g_autofree char *status = mer_schedule_describe_status (schedule, at);
      g_autofree char *availability = mer_schedule_describe_availability (schedule, at);

      g_assert_cmpstr (status, ==, words[i].status);
      if (g_str_has_suffix (words[i].status, " (their time)"))
        {
          g_autofree char *own = mer_schedule_describe_own_status (schedule, at);
          g_autofree char *expected = g_strndup (words[i].status, strlen (words[i].status) - strlen (" (their time)"));

          g_assert_cmpstr (own, ==, expected);
        }
      g_assert_cmpstr (availability, ==, words[i].availability);
    }
}

static void
test_parse_and_now (void)
{
  g_autoptr(GDateTime) a = instant ("2026-03-08 10:00");
  g_autoptr(GDateTime) b = instant ("2026-03-08T15:45:00+05:45");
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *at = NULL;

  g_assert_true (g_date_time_equal (a, b));
  g_assert_null (mer_schedule_parse_instant ("yesterday", NULL));

  g_setenv ("MERIDIAN_NOW", "2026-11-23T09:15:00Z", TRUE);
  now = mer_schedule_now ();
  at = mer_schedule_format_instant (now);
  g_assert_cmpstr (at, ==, "2026-11-23T09:15:00Z");
  g_unsetenv ("MERIDIAN_NOW");
}

/*
 * Day bounds in a zone: New York's spring-forward day has 23 hours, its
 * fall-back day 25; Samoa skipped Friday 30 December 2011 entirely when it
 * moved across the date line (from -10:00 to +14:00 at 10:00 UTC).
 */
static void
test_day_bounds (void)
{
  g_autoptr(GTimeZone) ny = g_time_zone_new_identifier ("America/New_York");
  g_autoptr(GTimeZone) apia = g_time_zone_new_identifier ("Pacific/Apia");
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"person:sam\",\"tz\":\"Pacific/Apia\","
                                               "\"work\":{\"thu\":[[\"09:00\",\"17:00\"]],"
                                               "\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[[\"09:00\",\"17:00\"]]}}");
  g_autoptr(MerSchedule) sam = mer_schedule_new_from_person (doc, NULL);
  g_autoptr(GDateTime) from = instant ("2011-12-29T00:00:00Z");
  g_autoptr(GDateTime) to = instant ("2012-01-01T00:00:00Z");
  g_autoptr(GDateTime) thursday_evening = instant ("2011-12-30T03:30:00Z");
  g_autoptr(GDateTime) next = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *until = NULL;
  g_autofree char *local_text = NULL;

  g_assert_cmpint (mer_schedule_wall_instant (ny, 2026, 3, 9, 0) - mer_schedule_wall_instant (ny, 2026, 3, 8, 0), ==, 23 * 3600);
  g_assert_cmpint (mer_schedule_wall_instant (ny, 2026, 11, 2, 0) - mer_schedule_wall_instant (ny, 2026, 11, 1, 0), ==, 25 * 3600);
  g_assert_cmpint (mer_schedule_wall_instant (ny, 2026, 3, 8, 150), ==, 1772953200); /* 02:30 -> 07:00Z */

  /* The missing Friday: it begins and ends at the same instant. */
  g_assert_cmpint (mer_schedule_wall_instant (apia, 2011, 12, 30, 0), ==, 1325239200);  /* 10:00Z */
  g_assert_cmpint (mer_schedule_wall_instant (apia, 2011, 12, 31, 0), ==, 1325239200);
  g_assert_nonnull (sam);
  /* Thursday 09:00-17:00 at -10:00 and Saturday 09:00-17:00 at +14:00. */
  g_assert_cmpfloat (mer_schedule_working_seconds_between (sam, from, to), ==, 16 * 3600);
  /* Thursday 17:30 local: off until Saturday 09:00, which is 19:00 UTC on Friday. */
  g_assert_cmpint (mer_schedule_status_at (sam, thursday_evening, &next), ==, MER_STATUS_OFF);
  until = mer_schedule_format_instant (next);
  g_assert_cmpstr (until, ==, "2011-12-30T19:00:00Z");
  local = mer_schedule_local_time (sam, next);
  local_text = g_date_time_format (local, "%a %Y-%m-%dT%H:%M");
  g_assert_cmpstr (local_text, ==, "Sat 2011-12-31T09:00");
}

static void
test_ranges_text (void)
{
  g_autoptr(JsonArray) ranges = mer_schedule_parse_ranges ("09:00–12:30, 13:30-24:00", NULL);
  g_autoptr(JsonArray) empty = mer_schedule_parse_ranges ("  ", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_nonnull (ranges);
  g_assert_cmpuint (json_array_get_length (ranges), ==, 2);
  text = mer_schedule_format_ranges (ranges);
  g_assert_cmpstr (text, ==, "09:00–12:30, 13:30–24:00");
  g_assert_nonnull (empty);
  g_assert_cmpuint (json_array_get_length (empty), ==, 0);
  g_assert_null (mer_schedule_parse_ranges ("17:00-09:00", &error));
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (mer_schedule_parse_ranges ("nine to five", &error));
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID);
}

static void
test_me_and_focus (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object (people[0].json);
  g_autoptr(GDateTime) at = instant ("2026-03-10T12:00:00Z");
  g_autoptr(GDateTime) later = instant ("2026-03-10T12:49:00Z");
  g_autoptr(GDateTime) after = instant ("2026-03-10T12:51:00Z");
  g_autofree char *rev = NULL;
  g_autofree char *me = NULL;

  g_assert_null (mer_schedule_get_me (store));
  g_assert_false (mer_schedule_user_in_focus (store, at));
  g_assert_false (mer_schedule_set_user_focus (store, at, 25, NULL));

  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  g_assert_true (mer_schedule_set_me (store, "person:berlin", &error));
  g_assert_no_error (error);
  me = mer_schedule_get_me (store);
  g_assert_cmpstr (me, ==, "person:berlin");

  /* 13:00 in Berlin: working, not in focus, until the user says so. */
  g_assert_false (mer_schedule_user_in_focus (store, at));
  g_assert_true (mer_schedule_set_user_focus (store, at, 50, &error));
  g_assert_no_error (error);
  g_assert_true (mer_schedule_user_in_focus (store, later));
  g_assert_false (mer_schedule_user_in_focus (store, after));
  g_assert_true (mer_schedule_set_user_focus (store, at, 0, &error));
  g_assert_false (mer_schedule_user_in_focus (store, later));

  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/schedule/case/%02u-%s-%s", i, cases[i].person, cases[i].at);

      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/schedule/working-seconds", test_working_seconds);
  g_test_add_func ("/schedule/full-working-day", test_full_working_day);
  g_test_add_func ("/schedule/overlap", test_overlap);
  g_test_add_func ("/schedule/errors", test_errors);
  g_test_add_func ("/schedule/zone/unknown-with-database", test_unknown_zone_with_database);
  g_test_add_func ("/schedule/zone/no-database", test_no_zone_database);
  g_test_add_func ("/schedule/zone/partial-database", test_partial_zone_database);
  g_test_add_func ("/schedule/words", test_words);
  g_test_add_func ("/schedule/parse-and-now", test_parse_and_now);
  g_test_add_func ("/schedule/day-bounds", test_day_bounds);
  g_test_add_func ("/schedule/ranges-text", test_ranges_text);
  g_test_add_func ("/schedule/me-and-focus", test_me_and_focus);

  return g_test_run ();
}
