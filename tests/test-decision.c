/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-decision.h"
#include "mer-import.h"
#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static GDateTime *
instant (const char *text)
{
  return mer_schedule_parse_instant (text, NULL);
}

static char *
log_decision (MerStore   *store,
              const char *title,
              const char *at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = instant (at);
  g_autofree char *json = g_strdup_printf ("{\"title\":\"%s\",\"decision\":\"We do %s.\",\"owner\":\"person:ana\","
                                           "\"context\":\"Because.\",\"tags\":[\"ops\"]}", title, title);
  g_autoptr(JsonObject) fields = mer_test_object (json);
  char *id = mer_decision_log (store, fields, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

static char *
supersede (MerStore   *store,
           const char *old_id,
           const char *title,
           const char *at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = instant (at);
  g_autofree char *json = g_strdup_printf ("{\"title\":\"%s\",\"decision\":\"We do %s.\",\"owner\":\"person:sam\"}",
                                           title, title);
  g_autoptr(JsonObject) fields = mer_test_object (json);
  char *id = mer_decision_supersede (store, old_id, fields, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

/* A -> B -> C: every member shows the same chain, oldest first. */
static void
test_chain (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = log_decision (store, "Weekly rota", "2026-01-10T09:00:00Z");
  g_autofree char *b = supersede (store, a, "Fortnightly rota", "2026-03-01T09:00:00Z");
  g_autofree char *c = supersede (store, b, "Follow the sun", "2026-06-01T09:00:00Z");
  const char *ids[] = { a, b, c };
  g_autoptr(JsonObject) old = NULL;
  g_autoptr(JsonArray) all = NULL;
  g_autoptr(JsonArray) superseded = NULL;
  MerDecisionFilter filter = { "superseded", NULL, NULL, NULL };

  for (guint k = 0; k < 3; k++)
    {
      g_autoptr(JsonArray) chain = mer_decision_chain (store, ids[k], &error);

      g_assert_no_error (error);
      g_assert_cmpuint (json_array_get_length (chain), ==, 3);
      for (guint i = 0; i < 3; i++)
        g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (chain, i), "_id"), ==, ids[i]);
    }

  /* The old decision reads as superseded, its document untouched. */
  old = mer_decision_get (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (old, "status"), ==, "superseded");
  g_assert_cmpstr (mer_json_get_string (old, "superseded_by"), ==, b);
  g_assert_cmpstr (mer_json_get_string (old, "title"), ==, "Weekly rota");
  g_clear_pointer (&old, json_object_unref);
  old = mer_store_get_doc (store, a, NULL, 0, &error);
  g_assert_cmpstr (mer_json_get_string (old, "status"), ==, "accepted");
  g_assert_null (mer_json_get_string (old, "superseded_by"));
  g_assert_true (g_str_has_prefix (mer_json_get_string (old, "_rev"), "1-"));

  all = mer_decision_list (store, NULL, &error);
  g_assert_cmpuint (json_array_get_length (all), ==, 3);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (all, 0), "_id"), ==, c);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (all, 2), "_id"), ==, a);
  superseded = mer_decision_list (store, &filter, &error);
  g_assert_cmpuint (json_array_get_length (superseded), ==, 2);

  mer_test_rm_rf (dir);
}

/* Edits are refused; superseding twice is refused; nothing is written. */
static void
test_edits_refused (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = instant ("2026-06-01T09:00:00Z");
  g_autofree char *a = log_decision (store, "Weekly rota", "2026-01-10T09:00:00Z");
  g_autofree char *b = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, a, NULL, 0, &error);
  g_autoptr(JsonObject) edited = mer_json_object_copy (doc);
  g_autoptr(JsonObject) sneaky = mer_json_object_copy (doc);
  g_autoptr(JsonObject) fields = mer_test_object ("{\"title\":\"T\",\"decision\":\"D\",\"owner\":\"person:sam\"}");
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(JsonObject) no_title = mer_test_object ("{\"decision\":\"D\",\"owner\":\"person:sam\"}");

  json_object_set_string_member (edited, "decision", "We quietly do something else.");
  rev = mer_decision_update (store, edited, &error);
  g_assert_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_IMMUTABLE);
  g_assert_null (rev);
  g_clear_error (&error);

  /* Marking superseded while changing the text is still an edit. */
  json_object_set_string_member (sneaky, "status", "superseded");
  json_object_set_string_member (sneaky, "superseded_by", "decision:x");
  json_object_set_string_member (sneaky, "context", "Rewritten");
  g_assert_false (mer_decision_check_change (doc, sneaky, &error));
  g_assert_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_IMMUTABLE);
  g_clear_error (&error);

  g_assert_null (mer_decision_log (store, no_title, now, &error));
  g_assert_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID);
  g_clear_error (&error);

  b = supersede (store, a, "Fortnightly rota", "2026-03-01T09:00:00Z");
  again = mer_decision_supersede (store, a, fields, now, &error);
  g_assert_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_SUPERSEDED);
  g_assert_null (again);
  g_clear_error (&error);

  after = mer_decision_get (store, a, &error);
  g_assert_cmpstr (mer_json_get_string (after, "decision"), ==, "We do Weekly rota.");
  g_assert_cmpstr (mer_json_get_string (after, "superseded_by"), ==, b);

  mer_test_rm_rf (dir);
}

/* Pages cite decisions by pages[] or by naming the id in their body. */
static void
test_cites_superseded (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = log_decision (store, "Weekly rota", "2026-01-10T09:00:00Z");
  g_autofree char *body = g_strdup_printf ("See [[%s]] for why.", a);
  g_autoptr(JsonObject) citing = mer_test_object ("{\"_id\":\"page:rota\",\"type\":\"page\",\"title\":\"Rota\","
                                                  "\"path\":\"rota\",\"body\":\"\"}");
  g_autoptr(JsonObject) other = mer_test_object ("{\"_id\":\"page:other\",\"type\":\"page\",\"title\":\"Other\","
                                                 "\"path\":\"other\",\"body\":\"Nothing here\"}");
  g_autofree char *r1 = NULL, *r2 = NULL, *b = NULL, *before = NULL, *mark = NULL, *none = NULL;
  g_auto(GStrv) cited = NULL;

  json_object_set_string_member (citing, "body", body);
  r1 = mer_store_put_doc (store, citing, &error);
  r2 = mer_store_put_doc (store, other, &error);
  g_assert_no_error (error);

  before = mer_decision_page_cites_superseded (store, "page:rota", &error);
  g_assert_no_error (error);
  g_assert_null (before);
  b = supersede (store, a, "Fortnightly rota", "2026-03-01T09:00:00Z");
  mark = mer_decision_page_cites_superseded (store, "page:rota", &error);
  g_assert_cmpstr (mark, ==, a);
  none = mer_decision_page_cites_superseded (store, "page:other", &error);
  g_assert_null (none);
  cited = mer_decision_cited_by (store, a, &error);
  g_assert_cmpuint (g_strv_length (cited), ==, 1);
  g_assert_cmpstr (cited[0], ==, "page:rota");

  mer_test_rm_rf (dir);
}

/* Naming the id counts; a longer id that starts the same does not. */
static void
test_cites_boundaries (void)
{
  g_autoptr(JsonObject) decision = mer_test_object ("{\"_id\":\"decision:rota\",\"type\":\"decision\","
                                                    "\"pages\":[\"page:listed\"]}");
  struct { const char *id; const char *body; gboolean cites; } cases[] = {
    { "page:a", "See [[decision:rota]].", TRUE },
    { "page:b", "See [[decision:rota|the rota decision]]", TRUE },
    { "page:c", "[why](meridian://decision/decision%3Arota)", TRUE },
    { "page:d", "See [[decision:rota-2]].", FALSE },
    { "page:e", "See [[decision:rotation]].", FALSE },
    { "page:f", "Nothing about it.", FALSE },
    { "page:listed", "", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) page = json_object_new ();

      json_object_set_string_member (page, "_id", cases[i].id);
      json_object_set_string_member (page, "body", cases[i].body);
      g_assert_cmpint (mer_decision_page_cites (decision, page), ==, cases[i].cites);
    }
}

static void
put_json (MerStore   *store,
          const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
}

static char *
read_file (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The MADR files, byte for byte, numbered by date whatever the ids. */
static void
test_export_format (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *out = g_build_filename (dir, "adr", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL, *second = NULL;
  guint written = 0;
  g_autoptr(GDir) listing = NULL;
  guint n_files = 0;

  put_json (store, "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana Lima\",\"tz\":\"UTC\",\"work\":{}}");
  /* Ids sort opposite to dates on purpose. */
  put_json (store, "{\"_id\":\"decision:b-new\",\"type\":\"decision\",\"title\":\"Follow the sun on-call\","
                   "\"status\":\"accepted\",\"context\":\"Nights are hard.\",\"decision\":\"Three regions.\","
                   "\"consequences\":\"Handover notes.\",\"owner\":\"person:ana\","
                   "\"deciders\":[\"person:ana\",\"person:sam\"],\"decided_at\":\"2026-06-01T09:00:00Z\","
                   "\"proposal\":\"proposal:sun\",\"supersedes\":\"decision:z-old\",\"superseded_by\":null,"
                   "\"pages\":[\"page:on-call\"],\"tags\":[\"ops\",\"on-call\"]}");
  put_json (store, "{\"_id\":\"decision:z-old\",\"type\":\"decision\",\"title\":\"Weekly rota!\","
                   "\"status\":\"superseded\",\"context\":\"\",\"decision\":\"One person a week.\","
                   "\"consequences\":\"\",\"owner\":\"person:ana\",\"deciders\":[\"person:ana\"],"
                   "\"decided_at\":\"2026-01-10T09:00:00Z\",\"proposal\":null,\"supersedes\":null,"
                   "\"superseded_by\":\"decision:b-new\",\"pages\":[],\"tags\":[]}");

  g_assert_true (mer_decision_export (store, out, &written, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, 2);

  first = read_file (out, "0001-weekly-rota.md");
  g_assert_cmpstr (first, ==,
                   "# Weekly rota!\n"
                   "\n"
                   "- Status: superseded by [ADR-0002](0002-follow-the-sun-on-call.md)\n"
                   "- Deciders: Ana Lima\n"
                   "- Date: 2026-01-10\n"
                   "\n"
                   "## Context and Problem Statement\n"
                   "\n"
                   "Not recorded.\n"
                   "\n"
                   "## Decision Outcome\n"
                   "\n"
                   "One person a week.\n"
                   "\n"
                   "### Consequences\n"
                   "\n"
                   "Not recorded.\n");
  second = read_file (out, "0002-follow-the-sun-on-call.md");
  g_assert_cmpstr (second, ==,
                   "# Follow the sun on-call\n"
                   "\n"
                   "- Status: accepted\n"
                   "- Deciders: Ana Lima, person:sam\n"
                   "- Date: 2026-06-01\n"
                   "- Tags: ops, on-call\n"
                   "\n"
                   "Supersedes [ADR-0001](0001-weekly-rota.md)\n"
                   "\n"
                   "Technical Story: proposal proposal:sun\n"
                   "\n"
                   "## Context and Problem Statement\n"
                   "\n"
                   "Nights are hard.\n"
                   "\n"
                   "## Decision Outcome\n"
                   "\n"
                   "Three regions.\n"
                   "\n"
                   "### Consequences\n"
                   "\n"
                   "Handover notes.\n"
                   "\n"
                   "## Links\n"
                   "\n"
                   "- Affects page page:on-call\n");

  listing = g_dir_open (out, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, 2);

  mer_test_rm_rf (dir);
}

/* Control characters in any field cannot write lines of their own. */
static void
test_export_injection (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *out = g_build_filename (dir, "adr", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint status_lines = 0, decider_lines = 0;
  guint written = 0;

  put_json (store, "{\"_id\":\"person:eve\",\"type\":\"person\",\"name\":\"Eve\\r\\n- Status: rejected\",\"tz\":\"UTC\"}");
  put_json (store, "{\"_id\":\"decision:x\",\"type\":\"decision\",\"title\":\"Use X\\n- Status: rejected\\n- Deciders: Mallory\","
                   "\"status\":\"accepted\",\"context\":\"Line one\\nline two\\u001b[31m\",\"decision\":\"X.\","
                   "\"consequences\":\"\",\"owner\":\"person:eve\",\"deciders\":[\"person:eve\"],"
                   "\"decided_at\":\"2026-06-01\\n- Status: x\",\"tags\":[\"a\\u2028- Status: y\"],"
                   "\"proposal\":\"proposal:p\\n- Status: z\"}");
  g_assert_true (mer_decision_export (store, out, &written, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, 1);

  doc = mer_store_get_doc (store, "decision:x", NULL, MER_GET_DEFAULT, &error);
  name = mer_decision_export_file_name (doc, 1);
  text = read_file (out, name);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_null (strchr (lines[i], '\r'));
      g_assert_null (strchr (lines[i], '\x1b'));
      g_assert_null (strstr (lines[i], "\xe2\x80\xa8"));
      if (g_str_has_prefix (lines[i], "- Status:"))
        status_lines++;
      if (g_str_has_prefix (lines[i], "- Deciders:"))
        decider_lines++;
    }
  g_assert_cmpuint (status_lines, ==, 1);
  g_assert_cmpuint (decider_lines, ==, 1);
  g_assert_nonnull (strstr (text, "# Use X - Status: rejected - Deciders: Mallory\n"));
  g_assert_nonnull (strstr (text, "- Status: accepted\n"));
  /* A section keeps its own lines. */
  g_assert_nonnull (strstr (text, "Line one\nline two"));

  mer_test_rm_rf (dir);
}

/* A symbolic link already in the export folder is never followed. */
static void
test_export_symlink (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *out = g_build_filename (dir, "adr", NULL);
  g_autofree char *victim = g_build_filename (dir, "victim.txt", NULL);
  g_autofree char *link = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *name = NULL;
  guint written = 0;
  GStatBuf info;

  put_json (store, "{\"_id\":\"decision:x\",\"type\":\"decision\",\"title\":\"Use X\",\"status\":\"accepted\","
                   "\"decision\":\"X.\",\"decided_at\":\"2026-06-01T09:00:00Z\"}");
  doc = mer_store_get_doc (store, "decision:x", NULL, MER_GET_DEFAULT, &error);
  name = mer_decision_export_file_name (doc, 1);
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  g_assert_true (g_file_set_contents (victim, "precious", -1, &error));
  link = g_build_filename (out, name, NULL);
  g_assert_cmpint (symlink (victim, link), ==, 0);

  g_assert_false (mer_decision_export (store, out, &written, &error));
  g_assert_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_BAD_PATH);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_assert_true (g_file_get_contents (victim, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "precious");
  g_assert_cmpint (g_lstat (link, &info), ==, 0);
  g_assert_true (S_ISLNK (info.st_mode));

  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/decision/chain", test_chain);
  g_test_add_func ("/decision/edits-refused", test_edits_refused);
  g_test_add_func ("/decision/cites-superseded", test_cites_superseded);
  g_test_add_func ("/decision/cites-boundaries", test_cites_boundaries);
  g_test_add_func ("/decision/export-format", test_export_format);
  g_test_add_func ("/decision/export-injection", test_export_injection);
  g_test_add_func ("/decision/export-symlink", test_export_symlink);

  return g_test_run ();
}
