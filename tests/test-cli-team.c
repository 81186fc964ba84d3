/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `meridian team now|overlap`, run as a person runs it, on a temporary workspace. */
#include "config.h"

#include "mer-test-util.h"
#include "mer-json.h"

#include <string.h>
#include <sys/wait.h>

typedef struct
{
  char *dir;
} Fixture;

static const char * const people[] = {
  "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\","
  "\"work\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]]},"
  "\"focus\":{\"mon\":[[\"09:00\",\"11:30\"]]},\"away\":[],\"focus_until\":null}",
  "{\"_id\":\"person:pita\",\"type\":\"person\",\"name\":\"Pita\",\"tz\":\"Pacific/Pago_Pago\","
  "\"work\":{\"sun\":[[\"09:00\",\"17:00\"]],\"mon\":[[\"09:00\",\"17:00\"]]}}",
  "{\"_id\":\"person:bea\",\"type\":\"person\",\"name\":\"Bea\",\"tz\":\"Europe/Berlin\","
  "\"work\":{\"mon\":[[\"09:00\",\"17:00\"]]},\"away\":[{\"from\":\"2026-11-23\",\"to\":\"2026-11-24\"}]}",
  "{\"_id\":\"person:zed\",\"type\":\"person\",\"name\":\"Zed\",\"tz\":\"Mars/Olympus_Mons\"}",
};

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(MerStore) store = mer_test_open_store (&f->dir);

  for (guint i = 0; i < G_N_ELEMENTS (people); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = mer_test_object (people[i]);
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      g_assert_no_error (error);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  mer_test_rm_rf (f->dir);
  g_free (f->dir);
}

static JsonObject *
row (JsonArray *rows,
     guint      i)
{
  return json_array_get_object_element (rows, i);
}

static void
test_now_json (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *rows;
  int status;

  /* Monday 23 November 2026, 03:30 UTC. */
  status = mer_test_run_meridian (f->dir, &out, &err, "team", "now", "--at", "2026-11-23T03:30:00Z", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  node = mer_json_parse (out, -1, NULL);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  rows = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (rows), ==, 4);

  /* Sorted by id: ana, bea, pita, zed. */
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "id"), ==, "person:ana");
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "name"), ==, "Ana");
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "tz"), ==, "Asia/Kathmandu");
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "local_time"), ==, "2026-11-23T09:15");
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "utc_offset"), ==, "+05:45");
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "status"), ==, "focus");
  g_assert_cmpstr (mer_json_get_string (row (rows, 0), "until"), ==, "2026-11-23T05:45:00Z");

  g_assert_cmpstr (mer_json_get_string (row (rows, 1), "id"), ==, "person:bea");
  g_assert_cmpstr (mer_json_get_string (row (rows, 1), "local_time"), ==, "2026-11-23T04:30");
  g_assert_cmpstr (mer_json_get_string (row (rows, 1), "utc_offset"), ==, "+01:00");
  g_assert_cmpstr (mer_json_get_string (row (rows, 1), "status"), ==, "away");
  g_assert_cmpstr (mer_json_get_string (row (rows, 1), "until"), ==, "2026-11-24T23:00:00Z");

  /* Across the date line it is still Sunday afternoon. */
  g_assert_cmpstr (mer_json_get_string (row (rows, 2), "id"), ==, "person:pita");
  g_assert_cmpstr (mer_json_get_string (row (rows, 2), "local_time"), ==, "2026-11-22T16:30");
  g_assert_cmpstr (mer_json_get_string (row (rows, 2), "utc_offset"), ==, "-11:00");
  g_assert_cmpstr (mer_json_get_string (row (rows, 2), "status"), ==, "working");
  g_assert_cmpstr (mer_json_get_string (row (rows, 2), "until"), ==, "2026-11-23T04:00:00Z");

  /* The unknown zone is named on stderr, and the person is still listed. */
  g_assert_cmpstr (mer_json_get_string (row (rows, 3), "id"), ==, "person:zed");
  g_assert_cmpstr (mer_json_get_string (row (rows, 3), "status"), ==, "unknown");
  g_assert_true (json_object_get_null_member (row (rows, 3), "until"));
  g_assert_true (json_object_get_null_member (row (rows, 3), "local_time"));
  g_assert_nonnull (strstr (err, "Mars/Olympus_Mons"));
  /* The row says why, too; the others have no error. */
  g_assert_nonnull (mer_json_get_string (row (rows, 3), "error"));
  g_assert_nonnull (strstr (mer_json_get_string (row (rows, 3), "error"), "unknown time zone “Mars/Olympus_Mons”"));
  for (guint i = 0; i < 3; i++)
    g_assert_true (json_object_get_null_member (row (rows, i), "error"));
}

/*
 * Runs the command with $TZDIR set to @tzdir for the child only: this
 * process loads no zone while it is set.
 */
static int
run_with_tzdir (const char  *tzdir,
                const char  *dir,
                char       **out,
                char       **err,
                const char  *a,
                const char  *b,
                const char  *c,
                const char  *d,
                const char  *e)
{
  int status;

  g_setenv ("TZDIR", tzdir, TRUE);
  status = mer_test_run_meridian (dir, out, err, a, b, c, d, e, NULL);
  g_unsetenv ("TZDIR");
  return status;
}

/*
 * On a system without the time zone database (tzdata not installed), every
 * row says which zone is missing and why; the exit status stays 0 as for
 * any unknown zone.
 */
static void
test_no_zone_database (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *empty = mer_test_make_tmpdir ("no-tzdata");
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) overlap = NULL;
  JsonArray *rows;
  JsonObject *reasons;

  g_assert_cmpint (run_with_tzdir (empty, f->dir, &out, &err, "team", "now", "--at", "2026-11-23T03:30:00Z", "--json"), ==, 0);
  node = mer_json_parse (out, -1, NULL);
  g_assert_nonnull (node);
  rows = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (rows), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      const char *reason = mer_json_get_string (row (rows, i), "error");
      g_autofree char *zone = g_strdup_printf ("“%s”", mer_json_get_string (row (rows, i), "tz"));

      g_assert_cmpstr (mer_json_get_string (row (rows, i), "status"), ==, "unknown");
      g_assert_true (json_object_get_null_member (row (rows, i), "local_time"));
      g_assert_nonnull (reason);
      g_assert_nonnull (strstr (reason, zone));
      g_assert_nonnull (strstr (reason, "no time zone database"));
      g_assert_nonnull (strstr (reason, "tzdata"));
    }
  g_assert_true (g_str_has_prefix (mer_json_get_string (row (rows, 0), "error"),
                                   "Ana’s time zone “Asia/Kathmandu” cannot be loaded"));
  g_assert_nonnull (strstr (err, "Ana’s time zone “Asia/Kathmandu” cannot be loaded"));

  /* The text form says it in a few words on the row, in full on stderr. */
  g_assert_cmpint (run_with_tzdir (empty, f->dir, &out2, &err2, "team", "now", "--at", "2026-11-23T03:30:00Z", NULL), ==, 0);
  g_assert_nonnull (strstr (out2, "no time zone database (install tzdata)"));
  g_assert_null (strstr (out2, "unknown time zone"));
  g_assert_nonnull (strstr (err2, "Pita’s time zone “Pacific/Pago_Pago” cannot be loaded"));

  /* Overlap: everyone is skipped, each with the reason. */
  g_assert_cmpint (run_with_tzdir (empty, f->dir, &out3, &err3, "team", "overlap", "--date", "2026-11-23", "--json"), ==, 0);
  overlap = mer_json_parse (out3, -1, NULL);
  g_assert_nonnull (overlap);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (overlap), "skipped")), ==, 4);
  reasons = json_object_get_object_member (json_node_get_object (overlap), "errors");
  g_assert_nonnull (reasons);
  g_assert_cmpuint (json_object_get_size (reasons), ==, 4);
  g_assert_nonnull (mer_json_get_string (reasons, "person:bea"));
  g_assert_nonnull (strstr (mer_json_get_string (reasons, "person:bea"), "“Europe/Berlin” cannot be loaded"));
  g_assert_nonnull (strstr (err3, "no time zone database"));

  mer_test_rm_rf (empty);
}

static void
test_now_text_and_errors (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *out3 = NULL;
  g_autofree char *err3 = NULL;

  g_assert_cmpint (mer_test_run_meridian (f->dir, &out, &err, "team", "now", "--at", "2026-11-23T03:30:00Z", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Deep work until 11:30 (their time)"));
  g_assert_nonnull (strstr (out, "+05:45"));

  g_assert_cmpint (mer_test_run_meridian (f->dir, &out2, &err2, "team", "now", "--at", "half past nine", NULL), ==, 1);
  g_assert_nonnull (strstr (err2, "half past nine"));
  g_assert_null (strchr (g_strchomp (err2), '\n'));

  g_assert_cmpint (mer_test_run_meridian (f->dir, &out3, &err3, "team", "sideways", NULL), ==, 1);
  g_assert_cmpstr (out3, ==, "");
}

static void
test_overlap_json (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *result;
  JsonArray *intervals;
  JsonObject *first;
  JsonObject *local;

  /* Ana's Tuesday 09:00-17:00 (+05:45) is 03:15-11:15 UTC; Pita's Monday
   * 09:00-17:00 (-11:00) ends at 04:00 UTC on the 24th. */
  g_assert_cmpint (mer_test_run_meridian (f->dir, &out, &err, "team", "overlap", "--date", "2026-11-24",
                        "--people", "ana,person:pita", "--json", NULL), ==, 0);
  node = mer_json_parse (out, -1, NULL);
  g_assert_nonnull (node);
  result = json_node_get_object (node);
  g_assert_cmpstr (mer_json_get_string (result, "date"), ==, "2026-11-24");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "people")), ==, 2);
  intervals = json_object_get_array_member (result, "intervals");
  g_assert_cmpuint (json_array_get_length (intervals), ==, 1);
  first = json_array_get_object_element (intervals, 0);
  g_assert_cmpstr (mer_json_get_string (first, "start"), ==, "2026-11-24T03:15:00Z");
  g_assert_cmpstr (mer_json_get_string (first, "end"), ==, "2026-11-24T04:00:00Z");
  g_assert_cmpint (json_object_get_int_member (first, "minutes"), ==, 45);
  local = json_object_get_object_member (json_object_get_object_member (first, "local"), "person:ana");
  g_assert_cmpstr (mer_json_get_string (local, "start"), ==, "2026-11-24T09:00");
  g_assert_cmpstr (mer_json_get_string (local, "end"), ==, "2026-11-24T09:45");
  g_assert_cmpstr (mer_json_get_string (local, "utc_offset"), ==, "+05:45");
  local = json_object_get_object_member (json_object_get_object_member (first, "local"), "person:pita");
  g_assert_cmpstr (mer_json_get_string (local, "start"), ==, "2026-11-23T16:15");
  g_assert_cmpstr (mer_json_get_string (local, "end"), ==, "2026-11-23T17:00");
  g_assert_cmpstr (mer_json_get_string (local, "utc_offset"), ==, "-11:00");
}

static void
test_overlap_errors (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *out3 = NULL;
  g_autofree char *err3 = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *result;

  g_assert_cmpint (mer_test_run_meridian (f->dir, &out, &err, "team", "overlap", "--date", "2026-13-01", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "2026-13-01"));
  g_assert_cmpint (mer_test_run_meridian (f->dir, &out2, &err2, "team", "overlap", "--people", "ana,nobody", NULL), ==, 1);
  g_assert_nonnull (strstr (err2, "nobody"));

  /* Everyone: the unknown zone is skipped and said so. */
  g_assert_cmpint (mer_test_run_meridian (f->dir, &out3, &err3, "team", "overlap", "--date", "2026-11-23", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (err3, "Mars/Olympus_Mons"));
  node = mer_json_parse (out3, -1, NULL);
  result = json_node_get_object (node);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "people")), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (result, "skipped"), 0),
                   ==, "person:zed");
  g_assert_nonnull (mer_json_get_string (json_object_get_object_member (result, "errors"), "person:zed"));
  g_assert_nonnull (strstr (mer_json_get_string (json_object_get_object_member (result, "errors"), "person:zed"),
                            "unknown time zone “Mars/Olympus_Mons”"));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (result, "errors")), ==, 1);
  /* Bea is away on the 23rd. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "intervals")), ==, 0);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add ("/cli/team/now-json", Fixture, NULL, fixture_setup, test_now_json, fixture_teardown);
  g_test_add ("/cli/team/now-text-errors", Fixture, NULL, fixture_setup, test_now_text_and_errors, fixture_teardown);
  g_test_add ("/cli/team/overlap-json", Fixture, NULL, fixture_setup, test_overlap_json, fixture_teardown);
  g_test_add ("/cli/team/overlap-errors", Fixture, NULL, fixture_setup, test_overlap_errors, fixture_teardown);
  g_test_add ("/cli/team/no-zone-database", Fixture, NULL, fixture_setup, test_no_zone_database, fixture_teardown);

  return g_test_run ();
}
