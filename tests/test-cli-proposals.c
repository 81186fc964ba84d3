/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `meridian proposals` and `meridian decisions`, run as the built binary:
 * the --json shapes documented in the README, and bad input. */
#include "config.h"

#include "mer-decision.h"
#include "mer-json.h"
#include "mer-proposal.h"
#include "mer-schedule.h"
#include "mer-test-util.h"

#include <string.h>

static char *workspace;

static void
assert_members (JsonObject  *object,
                const char **names)
{
  g_autoptr(GList) members = json_object_get_members (object);
  guint n = 0;

  for (guint i = 0; names[i] != NULL; i++, n++)
    if (!json_object_has_member (object, names[i]))
      g_error ("missing member %s", names[i]);
  g_assert_cmpuint (g_list_length (members), ==, n);
}

static void
put (MerStore   *store,
     const char *json)
{
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
}

#define WORK "{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]]," \
             "\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[],\"sun\":[]}"

/* Two readers, one open proposal, one decided with a decision. */
static void
make_workspace (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (&workspace);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) opened = mer_schedule_parse_instant ("2026-11-26T00:00:00Z", NULL);
  g_autoptr(GDateTime) later = mer_schedule_parse_instant ("2026-12-05T00:00:00Z", NULL);
  g_autoptr(JsonObject) draft = mer_proposal_new_draft ("person:lea");
  g_autofree char *rev = NULL, *id = NULL, *c = NULL;

  put (store, "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\",\"work\":" WORK "}");
  put (store, "{\"_id\":\"person:lea\",\"type\":\"person\",\"name\":\"Léa\",\"tz\":\"Europe/Paris\",\"work\":" WORK "}");
  put (store, "{\"_id\":\"proposal:open\",\"type\":\"proposal\",\"title\":\"Open one\",\"body\":\"b\","
              "\"author\":\"person:lea\",\"owner\":\"person:lea\",\"status\":\"open\","
              "\"opened_at\":\"2026-11-26T00:00:00Z\",\"deadline\":\"2026-11-30T03:00:00Z\","
              "\"required\":[\"person:ana\",\"person:lea\"],\"page\":null,\"page_body\":null,"
              "\"outcome\":null,\"decision\":null}");
  c = mer_proposal_add_comment (store, "proposal:open", NULL, "person:ana", "Fine", "agree", opened, &error);
  g_assert_no_error (error);

  json_object_set_string_member (draft, "title", "Decided one");
  json_object_set_array_member (draft, "required", json_array_new ());
  json_array_add_string_element (json_object_get_array_member (draft, "required"), "person:ana");
  rev = mer_proposal_save_draft (store, draft, &error);
  id = mer_proposal_publish (store, mer_json_get_string (draft, "_id"), opened, &error);
  g_assert_no_error (error);
  g_assert_true (mer_proposal_decide (store, id, "accepted", "Yes.", NULL, "person:lea", later, NULL, &error));
  g_assert_no_error (error);
}

static void
test_proposals_json (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *proposals, *readers;
  JsonObject *open, *decided, *ana, *stances;
  const char *root_members[] = { "now", "proposals", NULL };
  const char *proposal_members[] = { "id", "title", "status", "author", "owner", "opened_at", "deadline",
                                     "page", "decision", "window_open", "outcome", "comments", "stances",
                                     "readers", NULL };
  const char *reader_members[] = { "person", "name", "tz", "deadline_local", "remaining_hours",
                                   "remaining_minutes", "short_of_day", "read", "responded", "stance",
                                   "error", NULL };
  const char *stance_members[] = { "agree", "concern", "object", NULL };

  g_assert_cmpint (mer_test_run_meridian (workspace, &out, &err, "proposals", "list", "--json", "--at", "2026-11-27T03:30:00Z", NULL), ==, 0);
  root = mer_json_parse_object (out, -1, &error);
  g_assert_no_error (error);
  assert_members (root, root_members);
  g_assert_cmpstr (mer_json_get_string (root, "now"), ==, "2026-11-27T03:30:00Z");
  proposals = json_object_get_array_member (root, "proposals");
  g_assert_cmpuint (json_array_get_length (proposals), ==, 2);

  /* Open first. */
  open = json_array_get_object_element (proposals, 0);
  decided = json_array_get_object_element (proposals, 1);
  assert_members (open, proposal_members);
  assert_members (decided, proposal_members);
  g_assert_cmpstr (mer_json_get_string (open, "id"), ==, "proposal:open");
  g_assert_cmpstr (mer_json_get_string (open, "status"), ==, "open");
  g_assert_true (mer_json_get_bool (open, "window_open"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (open, "outcome")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (open, "page")));
  g_assert_cmpint (json_object_get_int_member (open, "comments"), ==, 1);
  stances = json_object_get_object_member (open, "stances");
  assert_members (stances, stance_members);
  g_assert_cmpint (json_object_get_int_member (stances, "agree"), ==, 1);

  readers = json_object_get_array_member (open, "readers");
  g_assert_cmpuint (json_array_get_length (readers), ==, 2);
  ana = json_array_get_object_element (readers, 0);
  assert_members (ana, reader_members);
  g_assert_cmpstr (mer_json_get_string (ana, "person"), ==, "person:ana");
  g_assert_cmpstr (mer_json_get_string (ana, "tz"), ==, "Asia/Kathmandu");
  g_assert_cmpstr (mer_json_get_string (ana, "deadline_local"), ==, "2026-11-30T08:45:00+05:45");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (ana, "remaining_hours"), 7.8, 0.0001);
  g_assert_true (mer_json_get_bool (ana, "short_of_day"));
  g_assert_true (mer_json_get_bool (ana, "read"));
  g_assert_true (mer_json_get_bool (ana, "responded"));
  g_assert_cmpstr (mer_json_get_string (ana, "stance"), ==, "agree");
  g_assert_cmpint (json_object_get_int_member (ana, "remaining_minutes"), ==, 465);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (ana, "error")));
  /* A whole-hour zone still writes its offset in full. */
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (readers, 1), "deadline_local"), ==,
                   "2026-11-30T04:00:00+01:00");

  g_assert_cmpstr (mer_json_get_string (decided, "status"), ==, "accepted");
  g_assert_true (g_str_has_prefix (mer_json_get_string (decided, "decision"), "decision:decided-one-"));
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (decided, "outcome"), "summary"), ==, "Yes.");
}

static void
test_decisions_json_and_export (void)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree char *export_dir = g_build_filename (workspace, "adr", NULL);
  g_autofree char *first = g_build_filename (export_dir, "0001-decided-one.md", NULL);
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *decisions;
  JsonObject *decision;
  const char *members[] = { "id", "title", "status", "context", "decision", "consequences", "owner",
                            "decided_at", "proposal", "supersedes", "superseded_by", "deciders", "pages",
                            "tags", NULL };

  g_assert_cmpint (mer_test_run_meridian (workspace, &out, &err, "decisions", "list", "--json", NULL), ==, 0);
  root = mer_json_parse_object (out, -1, &error);
  g_assert_no_error (error);
  decisions = json_object_get_array_member (root, "decisions");
  g_assert_cmpuint (json_array_get_length (decisions), ==, 1);
  decision = json_array_get_object_element (decisions, 0);
  assert_members (decision, members);
  g_assert_cmpstr (mer_json_get_string (decision, "decided_at"), ==, "2026-12-05T00:00:00Z");
  g_assert_cmpstr (mer_json_get_string (decision, "owner"), ==, "person:lea");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (decision, "supersedes")));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (decision, "deciders")), ==, 2);

  g_assert_cmpint (mer_test_run_meridian (workspace, &out2, &err2, "decisions", "export", export_dir, NULL), ==, 0);
  g_assert_true (g_file_test (first, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (out2, "Wrote 1 decision"));
}

/*
 * Without the time zone database (an empty $TZDIR for the child only) the
 * readers' deadlines cannot be shown on their clocks: each says which zone
 * and why instead of a blank, and the listing still succeeds.
 */
static void
test_no_zone_database (void)
{
  g_autofree char *empty = mer_test_make_tmpdir ("no-tzdata");
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *readers;
  JsonObject *ana;
  int code, code2;

  g_setenv ("TZDIR", empty, TRUE);
  code = mer_test_run_meridian (workspace, &out, &err, "proposals", "list", "--json", "--at", "2026-11-27T03:30:00Z", NULL);
  code2 = mer_test_run_meridian (workspace, &out2, &err2, "proposals", "list", "--at", "2026-11-27T03:30:00Z", NULL);
  g_unsetenv ("TZDIR");

  g_assert_cmpint (code, ==, 0);
  root = mer_json_parse_object (out, -1, &error);
  g_assert_no_error (error);
  readers = json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (root, "proposals"), 0),
                                          "readers");
  ana = json_array_get_object_element (readers, 0);
  g_assert_cmpstr (mer_json_get_string (ana, "person"), ==, "person:ana");
  g_assert_cmpstr (mer_json_get_string (ana, "tz"), ==, "Asia/Kathmandu");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (ana, "deadline_local")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (ana, "remaining_hours")));
  g_assert_nonnull (mer_json_get_string (ana, "error"));
  g_assert_true (g_str_has_prefix (mer_json_get_string (ana, "error"),
                                   "Ana’s time zone “Asia/Kathmandu” cannot be loaded: this system has no time zone database"));
  g_assert_nonnull (mer_json_get_string (json_array_get_object_element (readers, 1), "error"));
  g_assert_nonnull (strstr (mer_json_get_string (json_array_get_object_element (readers, 1), "error"),
                            "“Europe/Paris”"));

  g_assert_cmpint (code2, ==, 0);
  g_assert_nonnull (strstr (out2, "schedule unknown: Ana’s time zone “Asia/Kathmandu” cannot be loaded"));
  g_assert_nonnull (strstr (out2, "install the tzdata package"));
  mer_test_rm_rf (empty);
}

/* Bad input: non-zero exit, one line on stderr, nothing printed. */
static void
test_bad_input (void)
{
  const char *cases[][5] = {
    { "proposals", NULL },
    { "proposals", "frob", NULL },
    { "proposals", "list", "--at", "yesterday-ish", NULL },
    { "proposals", "list", "extra", NULL },
    { "decisions", "list", "--status", "maybe", NULL },
    { "decisions", "export", NULL },
    { "decisions", "export", "/dev/null", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      int code = mer_test_run_meridian (workspace, &out, &err, cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL);

      g_test_message ("case %u: %s", i, err);
      g_assert_cmpint (code, !=, 0);
      g_assert_cmpstr (out, ==, "");
      g_assert_cmpuint (strlen (err), >, 0);
      g_assert_null (strchr (err, '\n') == err + strlen (err) - 1 ? NULL : "more than one line");
    }
}

int
main (int    argc,
      char **argv)
{
  int result;

  mer_test_init (&argc, &argv);
  make_workspace ();

  g_test_add_func ("/cli-proposals/proposals-json", test_proposals_json);
  g_test_add_func ("/cli-proposals/decisions-json-export", test_decisions_json_and_export);
  g_test_add_func ("/cli-proposals/bad-input", test_bad_input);
  g_test_add_func ("/cli-proposals/no-zone-database", test_no_zone_database);

  result = g_test_run ();
  mer_test_rm_rf (workspace);
  return result;
}
