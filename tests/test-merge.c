/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Three-way merge of conflicting page revisions: clean merges, overlapping
 * edits that stay conflicts, manual resolution, and the determinism that
 * lets two peers merge the same conflict without creating a new one.
 */

#include "config.h"

#include "mer-merge.h"
#include "mer-json.h"
#include "mer-test-util.h"

#include <string.h>

#define BASE_BODY "# On call\n\nline one\nline two\nline three\nline four\nline five\n"

/* A revision id for a hand-made branch: deterministic per label. */
static char *
fake_rev (guint       generation,
          const char *label)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_MD5, label, -1);

  return g_strdup_printf ("%u-%s", generation, hash);
}

/*
 * Grafts a child of parent_rev carrying the given body, as a peer's edit
 * would arrive by replication. Returns the new revision.
 */
static char *
graft_child (MerStore   *store,
             const char *id,
             const char *parent_rev,
             const char *label,
             const char *json_body)
{
  g_autoptr(JsonObject) doc = mer_test_object (json_body);
  g_autoptr(GError) error = NULL;
  guint generation = (guint) g_ascii_strtoull (parent_rev, NULL, 10) + 1;
  char *rev = fake_rev (generation, label);
  JsonObject *revisions = json_object_new ();
  JsonArray *ids = json_array_new ();

  json_array_add_string_element (ids, strchr (rev, '-') + 1);
  json_array_add_string_element (ids, strchr (parent_rev, '-') + 1);
  json_object_set_int_member (revisions, "start", generation);
  json_object_set_array_member (revisions, "ids", ids);
  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "_rev", rev);
  json_object_set_object_member (doc, "_revisions", revisions);
  g_assert_true (mer_store_put_revision (store, doc, &error));
  g_assert_no_error (error);
  return rev;
}

static char *
page_json (const char *title,
           const char *body,
           const char *updated_at,
           const char *updated_by)
{
  g_autoptr(JsonObject) page = json_object_new ();

  json_object_set_string_member (page, "type", "page");
  json_object_set_string_member (page, "title", title);
  json_object_set_string_member (page, "path", "ops/on-call");
  json_object_set_string_member (page, "body", body);
  json_object_set_string_member (page, "updated_at", updated_at);
  json_object_set_string_member (page, "updated_by", updated_by);
  return mer_json_object_to_string (page, FALSE);
}

/* Writes the base page and returns its revision. */
static char *
put_base (MerStore *store)
{
  g_autofree char *json = page_json ("On call", BASE_BODY, "2026-11-01T10:00:00Z", "person:ana");
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autoptr(GError) error = NULL;
  char *rev;

  json_object_set_string_member (doc, "_id", "page:on-call");
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rev);
  return rev;
}

static char *
replace_line (const char *text,
              const char *old_line,
              const char *new_line)
{
  g_auto(GStrv) parts = g_strsplit (text, old_line, 2);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  return g_strconcat (parts[0], new_line, parts[1], NULL);
}

static guint
count_strv (char **strv)
{
  return strv ? g_strv_length (strv) : 0;
}

/* Builds the classic conflict: one side edits the top, the other the end. */
static void
make_conflict (MerStore  *store,
               gboolean   overlapping,
               char     **out_a,
               char     **out_b)
{
  g_autofree char *base = put_base (store);
  g_autofree char *body_a = replace_line (BASE_BODY, "line one", "line one, edited by Ana");
  g_autofree char *body_b = replace_line (BASE_BODY, overlapping ? "line one" : "line five",
                                          overlapping ? "line one, edited by Bo" : "line five, edited by Bo");
  g_autofree char *json_a = page_json ("On call", body_a, "2026-11-02T09:00:00Z", "person:ana");
  g_autofree char *json_b = page_json ("On-call rota", body_b, "2026-11-03T09:00:00Z", "person:bo");

  *out_a = graft_child (store, "page:on-call", base, "ana", json_a);
  *out_b = graft_child (store, "page:on-call", base, "bo", json_b);
}

static void
test_merge_clean (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev_a = NULL;
  g_autofree char *rev_b = NULL;
  g_autoptr(JsonObject) winner = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_auto(GStrv) conflicted = NULL;
  g_auto(GStrv) leaves = NULL;
  MerMergeStats stats = { 0, 0 };
  const char *body;

  make_conflict (store, FALSE, &rev_a, &rev_b);
  conflicted = mer_store_list_conflicted (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_strv (conflicted), ==, 1);

  g_assert_true (mer_merge_all (store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.merged, ==, 1);
  g_assert_cmpuint (stats.remaining, ==, 0);

  conflicts = mer_store_get_conflicts (store, "page:on-call", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_strv (conflicts), ==, 0);

  winner = mer_store_get_doc (store, "page:on-call", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  body = mer_json_get_string (winner, "body");
  g_assert_nonnull (strstr (body, "line one, edited by Ana"));
  g_assert_nonnull (strstr (body, "line five, edited by Bo"));
  g_assert_null (strstr (body, "<<<<<<<"));
  /* Title changed only on Bo's side; the stamp is the later edit. */
  g_assert_cmpstr (mer_json_get_string (winner, "title"), ==, "On-call rota");
  g_assert_cmpstr (mer_json_get_string (winner, "updated_at"), ==, "2026-11-03T09:00:00Z");
  g_assert_cmpstr (mer_json_get_string (winner, "updated_by"), ==, "person:bo");
  g_assert_true (g_str_has_prefix (mer_json_get_string (winner, "_rev"), "3-"));

  /* The merged leaf is closed, not dropped: a deleted leaf remains. */
  leaves = mer_store_get_leaf_revs (store, "page:on-call", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_strv (leaves), ==, 2);

  /* Merging again finds nothing to do. */
  memset (&stats, 0, sizeof stats);
  g_assert_true (mer_merge_all (store, &stats, &error));
  g_assert_cmpuint (stats.merged, ==, 0);

  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
  mer_test_rm_rf (dir);
}

static void
test_merge_overlap (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev_a = NULL;
  g_autofree char *rev_b = NULL;
  g_autoptr(MerMergePreview) preview = NULL;
  g_autoptr(JsonObject) winner = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_auto(GStrv) after = NULL;
  g_autofree char *resolved = NULL;
  MerMergeStats stats = { 0, 0 };

  make_conflict (store, TRUE, &rev_a, &rev_b);
  g_assert_true (mer_merge_all (store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.merged, ==, 0);
  g_assert_cmpuint (stats.remaining, ==, 1);

  /* Nothing was written: both sides are still there for a person. */
  conflicts = mer_store_get_conflicts (store, "page:on-call", &error);
  g_assert_cmpuint (count_strv (conflicts), ==, 1);

  preview = mer_merge_preview (store, "page:on-call", &error);
  g_assert_no_error (error);
  g_assert_nonnull (preview);
  g_assert_false (preview->clean);
  g_assert_nonnull (preview->ancestor_rev);
  g_assert_nonnull (strstr (preview->merged, "<<<<<<<"));
  g_assert_nonnull (strstr (preview->merged, ">>>>>>>"));
  g_assert_nonnull (strstr (preview->merged, "edited by Ana"));
  g_assert_nonnull (strstr (preview->merged, "edited by Bo"));
  g_assert_true (strstr (preview->ours, "edited by Ana") || strstr (preview->ours, "edited by Bo"));
  g_assert_cmpstr (preview->ours, !=, preview->theirs);

  resolved = mer_merge_resolve (store, "page:on-call", "# On call\n\nresolved by hand\n", &error);
  g_assert_no_error (error);
  g_assert_nonnull (resolved);
  after = mer_store_get_conflicts (store, "page:on-call", &error);
  g_assert_cmpuint (count_strv (after), ==, 0);
  winner = mer_store_get_doc (store, "page:on-call", NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (winner, "body"), ==, "# On call\n\nresolved by hand\n");
  g_assert_cmpstr (mer_json_get_string (winner, "_rev"), ==, resolved);

  /* A preview of a document without conflicts is an error, not a crash. */
  g_clear_pointer (&preview, mer_merge_preview_free);
  preview = mer_merge_preview (store, "page:on-call", &error);
  g_assert_null (preview);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  mer_test_rm_rf (dir);
}

/* Copies every leaf of a document from one store to another. */
static void
copy_leaves (MerStore   *from,
             MerStore   *to,
             const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) revs = mer_store_open_revs (from, id, NULL, TRUE, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (revs); i++)
    {
      JsonObject *entry = json_array_get_object_element (revs, i);

      if (json_object_has_member (entry, "ok"))
        {
          g_assert_true (mer_store_put_revision (to, json_object_get_object_member (entry, "ok"), &error));
          g_assert_no_error (error);
        }
    }
}

static void
test_merge_deterministic (void)
{
  g_autofree char *dir_a = NULL;
  g_autofree char *dir_b = NULL;
  g_autoptr(MerStore) a = mer_test_open_store (&dir_a);
  g_autoptr(MerStore) b = mer_test_open_store (&dir_b);
  g_autoptr(GError) error = NULL;
  g_autofree char *a1 = NULL, *a2 = NULL, *b1 = NULL, *b2 = NULL;
  g_autoptr(JsonObject) win_a = NULL;
  g_autoptr(JsonObject) win_b = NULL;
  g_auto(GStrv) leaves_a = NULL;
  g_auto(GStrv) leaves_b = NULL;
  g_auto(GStrv) conflicts_a = NULL;
  g_auto(GStrv) conflicts_b = NULL;
  MerMergeStats stats_a = { 0, 0 };
  MerMergeStats stats_b = { 0, 0 };

  /* The same conflict on two peers, independently merged. */
  make_conflict (a, FALSE, &a1, &a2);
  make_conflict (b, FALSE, &b1, &b2);
  g_assert_true (mer_merge_all (a, &stats_a, &error));
  g_assert_true (mer_merge_all (b, &stats_b, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats_a.merged, ==, 1);
  g_assert_cmpuint (stats_b.merged, ==, 1);

  win_a = mer_store_get_doc (a, "page:on-call", NULL, MER_GET_DEFAULT, &error);
  win_b = mer_store_get_doc (b, "page:on-call", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (win_a, "_rev"), ==, mer_json_get_string (win_b, "_rev"));

  /* Exchanging the results creates no new conflict. */
  copy_leaves (a, b, "page:on-call");
  copy_leaves (b, a, "page:on-call");
  conflicts_a = mer_store_get_conflicts (a, "page:on-call", &error);
  conflicts_b = mer_store_get_conflicts (b, "page:on-call", &error);
  g_assert_cmpuint (count_strv (conflicts_a), ==, 0);
  g_assert_cmpuint (count_strv (conflicts_b), ==, 0);
  leaves_a = mer_store_get_leaf_revs (a, "page:on-call", TRUE, &error);
  leaves_b = mer_store_get_leaf_revs (b, "page:on-call", TRUE, &error);
  g_assert_cmpuint (count_strv (leaves_a), ==, 2);
  g_assert_cmpuint (count_strv (leaves_b), ==, 2);
  g_assert_cmpstr (leaves_a[0], ==, leaves_b[0]);
  g_assert_cmpstr (leaves_a[1], ==, leaves_b[1]);

  mer_test_rm_rf (dir_a);
  mer_test_rm_rf (dir_b);
}

/* Non-page documents keep CouchDB's winner and their conflicts. */
static void
test_merge_non_page (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"person:ana\",\"type\":\"person\","
                                               "\"name\":\"Ana\",\"tz\":\"Europe/Lisbon\"}");
  g_autofree char *base = mer_store_put_doc (store, doc, &error);
  g_autofree char *r1 = NULL;
  g_autofree char *r2 = NULL;
  g_auto(GStrv) conflicts = NULL;
  MerMergeStats stats = { 0, 0 };

  g_assert_no_error (error);
  r1 = graft_child (store, "person:ana", base, "x",
                    "{\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Tokyo\"}");
  r2 = graft_child (store, "person:ana", base, "y",
                    "{\"type\":\"person\",\"name\":\"Ana M.\",\"tz\":\"Europe/Lisbon\"}");
  g_assert_true (mer_merge_all (store, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.merged, ==, 0);
  conflicts = mer_store_get_conflicts (store, "person:ana", &error);
  g_assert_cmpuint (count_strv (conflicts), ==, 1);
  mer_test_rm_rf (dir);
}

static void
test_merge_text (void)
{
  gboolean clean = FALSE;
  g_autofree char *same = mer_merge_text ("a\n", "b\n", "b\n", NULL, NULL, &clean);
  g_autofree char *merged = NULL;
  g_autofree char *conflict = NULL;

  g_assert_true (clean);
  g_assert_cmpstr (same, ==, "b\n");
  merged = mer_merge_text ("1\n2\n3\n4\n5\n", "one\n2\n3\n4\n5\n", "1\n2\n3\n4\nfive\n", NULL, NULL, &clean);
  g_assert_true (clean);
  g_assert_cmpstr (merged, ==, "one\n2\n3\n4\nfive\n");
  conflict = mer_merge_text ("1\n", "x\n", "y\n", "mine", "yours", &clean);
  g_assert_false (clean);
  g_assert_nonnull (strstr (conflict, "<<<<<<< mine"));
  g_assert_nonnull (strstr (conflict, ">>>>>>> yours"));
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/merge/text", test_merge_text);
  g_test_add_func ("/merge/clean", test_merge_clean);
  g_test_add_func ("/merge/overlap", test_merge_overlap);
  g_test_add_func ("/merge/deterministic", test_merge_deterministic);
  g_test_add_func ("/merge/non-page", test_merge_non_page);

  return g_test_run ();
}
