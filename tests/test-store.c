/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-test-util.h"
#include "mer-core.h"
#include "mer-json.h"
#include "mer-store.h"

#include <sqlite3.h>
#include <glib/gstdio.h>
#include <string.h>

/* Builds a document from a JSON literal and puts it, asserting success. */
static char *
put (MerStore   *store,
     const char *json)
{
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autoptr(GError) error = NULL;
  char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rev);
  return rev;
}

/* Grafts a foreign revision with its ancestry (new_edits=false). */
static void
graft (MerStore   *store,
       const char *json)
{
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autoptr(GError) error = NULL;

  mer_store_put_revision (store, doc, &error);
  g_assert_no_error (error);
}

static void
test_create_update_conflict (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev1 = put (store, "{\"_id\":\"page:a\",\"type\":\"page\",\"path\":\"p\",\"title\":\"A\",\"body\":\"one\"}");
  g_autofree char *rev2 = NULL;
  g_autofree char *stale = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonObject) update = NULL;
  gint64 seq;

  g_assert_true (g_str_has_prefix (rev1, "1-"));
  g_assert_cmpuint (strlen (rev1), ==, 2 + 32);

  /* Creating the same id again without a revision is a conflict. */
  doc = mer_test_object ("{\"_id\":\"page:a\",\"type\":\"page\",\"path\":\"p\",\"title\":\"A\",\"body\":\"again\"}");
  seq = mer_store_get_update_seq (store);
  g_assert_null (mer_store_put_doc (store, doc, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);

  update = mer_test_object ("{\"_id\":\"page:a\",\"type\":\"page\",\"path\":\"p\",\"title\":\"A\",\"body\":\"two\"}");
  json_object_set_string_member (update, "_rev", rev1);
  rev2 = mer_store_put_doc (store, update, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (rev2, "2-"));

  /* The first revision is no longer a leaf: writing on it is stale. */
  json_object_set_string_member (update, "body", "stale");
  stale = mer_store_put_doc (store, update, &error);
  g_assert_null (stale);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  g_clear_pointer (&doc, json_object_unref);
  doc = mer_store_get_doc (store, "page:a", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, rev2);
  g_assert_cmpstr (mer_json_get_string (doc, "body"), ==, "two");
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq + 1);

  /* The old revision's body is kept, for history and merges. */
  g_clear_pointer (&doc, json_object_unref);
  doc = mer_store_get_doc (store, "page:a", rev1, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (doc, "body"), ==, "one");
}

static void
test_bad_input (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  const char *bad[] = {
    "{\"type\":\"page\"}",
    "{\"_id\":\"\"}",
    "{\"_id\":\"_secret\"}",
    "{\"_id\":\"page:x\",\"_rev\":\"abc\"}",
    "{\"_id\":\"page:x\",\"_rev\":\"1-\"}",
    "{\"_id\":\"page:x\",\"_rev\":5}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) doc = mer_test_object (bad[i]);
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      g_assert_null (rev);
      g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
      g_clear_error (&error);
    }
  g_assert_cmpint (mer_store_get_update_seq (store), ==, 0);
  g_assert_null (mer_store_get_doc (store, "page:x", "not-a-rev", 0, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
}

static void
test_delete_tombstone (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev1 = put (store, "{\"_id\":\"page:d\",\"type\":\"page\",\"path\":\"p\",\"title\":\"Doomed\",\"body\":\"bye\"}");
  g_autofree char *rev2 = mer_store_delete_doc (store, "page:d", rev1, &error);
  g_autofree char *rev3 = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonArray) changes = NULL;
  gint64 last = 0;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (rev2, "2-"));
  g_assert_null (mer_store_get_doc (store, "page:d", NULL, 0, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "deleted");
  g_clear_error (&error);

  /* The tombstone itself can be read by revision. */
  doc = mer_store_get_doc (store, "page:d", rev2, 0, &error);
  g_assert_no_error (error);
  g_assert_true (mer_json_get_bool (doc, "_deleted"));
  g_assert_cmpint (mer_store_get_doc_count (store, TRUE), ==, 1);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 0);

  changes = mer_store_changes (store, 0, 0, FALSE, FALSE, &last, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (changes), ==, 1);
  g_assert_true (mer_json_get_bool (json_array_get_object_element (changes, 0), "deleted"));

  /* A deleted page can be written again, continuing the deleted branch. */
  rev3 = put (store, "{\"_id\":\"page:d\",\"type\":\"page\",\"path\":\"p\",\"title\":\"Back\",\"body\":\"hi\"}");
  g_assert_true (g_str_has_prefix (rev3, "3-"));

  /* Nothing to find in search while deleted, back once written again. */
  {
    g_autoptr(GPtrArray) hits = mer_store_search (store, "Back", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 1);
  }
}

static void
test_deterministic_revs (void)
{
  g_autoptr(MerStore) a = mer_test_open_store (NULL);
  g_autoptr(MerStore) b = mer_test_open_store (NULL);
  /* Member order must not matter: the body is hashed canonically. */
  g_autofree char *ra = put (a, "{\"_id\":\"page:x\",\"type\":\"page\",\"path\":\"p\",\"title\":\"X\",\"body\":\"same\",\"tags\":[\"a\",\"b\"]}");
  g_autofree char *rb = put (b, "{\"tags\":[\"a\",\"b\"],\"body\":\"same\",\"title\":\"X\",\"type\":\"page\",\"path\":\"p\",\"_id\":\"page:x\"}");
  g_autofree char *rc = NULL;
  g_autofree char *rd = NULL;
  g_autoptr(JsonObject) edit = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (ra, ==, rb);

  edit = mer_test_object ("{\"_id\":\"page:x\",\"type\":\"page\",\"path\":\"p\",\"title\":\"X\",\"body\":\"changed\",\"tags\":[\"a\",\"b\"]}");
  json_object_set_string_member (edit, "_rev", ra);
  rc = mer_store_put_doc (a, edit, &error);
  g_assert_no_error (error);
  rd = mer_store_put_doc (b, edit, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rc, ==, rd);

  /* A different body makes a different revision. */
  {
    g_autoptr(MerStore) c = mer_test_open_store (NULL);
    g_autofree char *re = put (c, "{\"_id\":\"page:x\",\"type\":\"page\",\"path\":\"p\",\"title\":\"X\",\"body\":\"other\",\"tags\":[\"a\",\"b\"]}");
    g_assert_cmpstr (re, !=, ra);
  }
}

/*
 * Hand-built trees: the winner is the live leaf with the longest path, ties
 * broken by the greater revision id, and a deleted leaf loses to any live
 * one however long its path.
 */
static void
test_winner_choice (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_auto(GStrv) leaves = NULL;

  /* 1-a -> 2-b and 1-a -> 2-c: same length, "c" > "b". */
  graft (store, "{\"_id\":\"t:1\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[\"b\",\"a\"]},\"v\":\"b\"}");
  graft (store, "{\"_id\":\"t:1\",\"_rev\":\"2-c\",\"_revisions\":{\"start\":2,\"ids\":[\"c\",\"a\"]},\"v\":\"c\"}");
  doc = mer_store_get_doc (store, "t:1", NULL, MER_GET_CONFLICTS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, "2-c");
  g_assert_cmpstr (mer_json_get_string (doc, "v"), ==, "c");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (doc, "_conflicts")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (doc, "_conflicts"), 0), ==, "2-b");

  /* A longer branch wins over a greater id. */
  graft (store, "{\"_id\":\"t:1\",\"_rev\":\"3-a0\",\"_revisions\":{\"start\":3,\"ids\":[\"a0\",\"b\",\"a\"]},\"v\":\"long\"}");
  g_clear_pointer (&doc, json_object_unref);
  doc = mer_store_get_doc (store, "t:1", NULL, MER_GET_CONFLICTS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, "3-a0");
  conflicts = mer_store_get_conflicts (store, "t:1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 1);
  g_assert_cmpstr (conflicts[0], ==, "2-c");

  /* Deleting the long branch hands the win back to the live one. */
  graft (store, "{\"_id\":\"t:1\",\"_rev\":\"4-dd\",\"_deleted\":true,\"_revisions\":{\"start\":4,\"ids\":[\"dd\",\"a0\",\"b\",\"a\"]}}");
  g_clear_pointer (&doc, json_object_unref);
  doc = mer_store_get_doc (store, "t:1", NULL, MER_GET_CONFLICTS | MER_GET_DELETED_CONFLICTS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, "2-c");
  g_assert_false (json_object_has_member (doc, "_conflicts"));
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (doc, "_deleted_conflicts"), 0), ==, "4-dd");

  leaves = mer_store_get_leaf_revs (store, "t:1", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (leaves), ==, 2);
  g_assert_cmpstr (leaves[0], ==, "2-c");
  g_assert_cmpstr (leaves[1], ==, "4-dd");

  /* Every leaf deleted: the document is deleted; the longest wins. */
  graft (store, "{\"_id\":\"t:1\",\"_rev\":\"3-ee\",\"_deleted\":true,\"_revisions\":{\"start\":3,\"ids\":[\"ee\",\"c\",\"a\"]}}");
  g_clear_pointer (&doc, json_object_unref);
  g_assert_null (mer_store_get_doc (store, "t:1", NULL, 0, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_strfreev (leaves);
  leaves = mer_store_get_leaf_revs (store, "t:1", TRUE, &error);
  g_assert_cmpstr (leaves[0], ==, "4-dd");
}

static void
test_graft_idempotent (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonObject) bad = NULL;
  JsonObject *revisions;
  gint64 seq;

  graft (store, "{\"_id\":\"t:2\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":3,\"ids\":[\"c\",\"b\",\"a\"]},\"v\":3}");
  seq = mer_store_get_update_seq (store);
  graft (store, "{\"_id\":\"t:2\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":3,\"ids\":[\"c\",\"b\",\"a\"]},\"v\":3}");
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);

  doc = mer_store_get_doc (store, "t:2", NULL, MER_GET_REVS, &error);
  g_assert_no_error (error);
  revisions = json_object_get_object_member (doc, "_revisions");
  g_assert_cmpint (json_object_get_int_member (revisions, "start"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (revisions, "ids")), ==, 3);

  /* Ancestors known only by id have no body: revs_diff asks for them. */
  {
    g_autoptr(JsonObject) request = mer_test_object ("{\"t:2\":[\"3-c\",\"2-b\",\"4-z\"],\"t:9\":[\"1-q\"]}");
    g_autoptr(JsonObject) diff = mer_store_revs_diff (store, request, &error);
    JsonArray *missing;

    g_assert_no_error (error);
    missing = json_object_get_array_member (json_object_get_object_member (diff, "t:2"), "missing");
    g_assert_cmpuint (json_array_get_length (missing), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (missing, 0), ==, "2-b");
    g_assert_cmpstr (json_array_get_string_element (missing, 1), ==, "4-z");
    g_assert_true (json_object_has_member (diff, "t:9"));
  }

  /* _revisions that contradict _rev are refused and write nothing. */
  bad = mer_test_object ("{\"_id\":\"t:2\",\"_rev\":\"5-e\",\"_revisions\":{\"start\":4,\"ids\":[\"e\",\"d\"]}}");
  g_assert_false (mer_store_put_revision (store, bad, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);
}

static void
test_open_revs_latest (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) all = NULL;
  g_autoptr(JsonArray) latest = NULL;
  const char *old[] = { "1-a", "9-nope", NULL };

  graft (store, "{\"_id\":\"t:3\",\"_rev\":\"1-a\",\"v\":1}");
  graft (store, "{\"_id\":\"t:3\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[\"b\",\"a\"]},\"v\":2}");
  graft (store, "{\"_id\":\"t:3\",\"_rev\":\"2-c\",\"_revisions\":{\"start\":2,\"ids\":[\"c\",\"a\"]},\"v\":3}");

  all = mer_store_open_revs (store, "t:3", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (all), ==, 2);

  latest = mer_store_open_revs (store, "t:3", old, TRUE, &error);
  g_assert_no_error (error);
  /* 1-a has two descendants; 9-nope is missing. */
  g_assert_cmpuint (json_array_get_length (latest), ==, 3);
  g_assert_true (json_object_has_member (json_array_get_object_element (latest, 0), "ok"));
  g_assert_true (json_object_has_member (json_array_get_object_element (latest, 1), "ok"));
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (latest, 2), "missing"), ==, "9-nope");
}

/* The revision limit prunes old ancestors but never a leaf. */
static void
test_revs_limit (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = put (store, "{\"_id\":\"t:p\",\"n\":0}");
  g_autofree char *branch = g_strdup (rev);
  g_autoptr(JsonArray) history = NULL;
  g_auto(GStrv) leaves = NULL;

  mer_store_set_revs_limit (store, 5);
  g_assert_cmpuint (mer_store_get_revs_limit (store), ==, 5);
  /* A conflicting short branch off the first revision. */
  graft (store, "{\"_id\":\"t:p\",\"_rev\":\"2-0branch\",\"_revisions\":{\"start\":2,\"ids\":[\"0branch\",\"00\"]},\"side\":true}");
  for (int i = 1; i <= 12; i++)
    {
      g_autoptr(JsonObject) doc = json_object_new ();
      char *next;

      json_object_set_string_member (doc, "_id", "t:p");
      json_object_set_string_member (doc, "_rev", rev);
      json_object_set_int_member (doc, "n", i);
      next = mer_store_put_doc (store, doc, &error);
      g_assert_no_error (error);
      g_free (rev);
      rev = next;
    }
  g_assert_true (g_str_has_prefix (rev, "13-"));
  history = mer_store_get_history (store, "t:p", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (history), ==, 5);
  leaves = mer_store_get_leaf_revs (store, "t:p", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (leaves), ==, 2);
  g_assert_cmpstr (leaves[1], ==, "2-0branch");
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
test_changes_feed (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(JsonArray) page = NULL;
  g_autoptr(JsonObject) local = mer_test_object ("{\"_id\":\"_local/checkpoint\",\"last_seq\":3}");
  g_autofree char *local_rev = NULL;
  gint64 last = -1;
  gint64 prev = 0;

  g_free (put (store, "{\"_id\":\"c:1\",\"n\":1}"));
  g_free (put (store, "{\"_id\":\"c:2\",\"n\":2}"));
  g_free (put (store, "{\"_id\":\"c:3\",\"n\":3}"));
  local_rev = mer_store_put_local (store, local, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (local_rev, ==, "0-1");
  graft (store, "{\"_id\":\"c:1\",\"_rev\":\"1-zzzz\",\"n\":9}");

  rows = mer_store_changes (store, 0, 0, TRUE, FALSE, &last, &error);
  g_assert_no_error (error);
  /* One row per document, in sequence order; c:1 moved to the end. */
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      gint64 seq = json_object_get_int_member (row, "seq");
      g_assert_cmpint (seq, >, prev);
      prev = seq;
      g_assert_false (g_str_has_prefix (json_object_get_string_member (row, "id"), "_local"));
    }
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 2), "id"), ==, "c:1");
  /* style=all_docs lists both leaves, the winner first. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_array_get_object_element (rows, 2), "changes")), ==, 2);
  g_assert_cmpint (last, ==, prev);

  page = mer_store_changes (store, 0, 2, FALSE, TRUE, &last, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (page), ==, 2);
  g_assert_cmpint (last, ==, json_object_get_int_member (json_array_get_object_element (page, 1), "seq"));
  g_assert_true (json_object_has_member (json_array_get_object_element (page, 0), "doc"));
  g_clear_pointer (&page, json_array_unref);

  page = mer_store_changes (store, last, 0, FALSE, FALSE, &last, &error);
  g_assert_cmpuint (json_array_get_length (page), ==, 1);
  g_clear_pointer (&page, json_array_unref);
  page = mer_store_changes (store, prev, 0, FALSE, FALSE, &last, &error);
  g_assert_cmpuint (json_array_get_length (page), ==, 0);
  g_assert_cmpint (last, ==, prev);
}

static void
test_local_docs (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"_local/draft:page:a\",\"text\":\"hello\"}");
  g_autoptr(JsonObject) read = NULL;
  g_autoptr(JsonArray) listed = NULL;
  g_autofree char *r1 = mer_store_put_local (store, doc, &error);
  g_autofree char *r2 = NULL;
  g_autofree char *r3 = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (r1, ==, "0-1");
  /* Updating without the current revision is a conflict. */
  g_assert_null (mer_store_put_local (store, doc, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  json_object_set_string_member (doc, "_rev", r1);
  json_object_set_string_member (doc, "text", "hello again");
  r2 = mer_store_put_local (store, doc, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r2, ==, "0-2");

  read = mer_store_get_doc (store, "_local/draft:page:a", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (read, "text"), ==, "hello again");
  g_assert_cmpstr (mer_json_get_string (read, "_rev"), ==, "0-2");

  listed = mer_store_list_local (store, "_local/draft:", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (listed), ==, 1);

  g_assert_cmpint (mer_store_get_update_seq (store), ==, 0);
  g_assert_true (mer_store_delete_local (store, "_local/draft:page:a", &error));
  g_clear_pointer (&read, json_object_unref);
  read = mer_store_get_local (store, "_local/draft:page:a", &error);
  g_assert_null (read);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  json_object_remove_member (doc, "_rev");
  json_object_set_string_member (doc, "_id", "notlocal");
  r3 = mer_store_put_local (store, doc, &error);
  g_assert_null (r3);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
}

static void
test_bulk_docs (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = put (store, "{\"_id\":\"b:1\",\"n\":1}");
  g_autoptr(JsonNode) docs = mer_json_parse ("[{\"_id\":\"b:1\",\"n\":2},{\"_id\":\"b:2\",\"n\":1},7]", -1, &error);
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(JsonNode) foreign = NULL;
  JsonObject *r;

  g_assert_no_error (error);
  results = mer_store_bulk_docs (store, json_node_get_array (docs), TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (results), ==, 3);
  r = json_array_get_object_element (results, 0);
  g_assert_cmpstr (mer_json_get_string (r, "error"), ==, "conflict");
  r = json_array_get_object_element (results, 1);
  g_assert_true (mer_json_get_bool (r, "ok"));
  r = json_array_get_object_element (results, 2);
  g_assert_cmpstr (mer_json_get_string (r, "error"), ==, "bad_request");

  foreign = mer_json_parse ("[{\"_id\":\"b:3\",\"_rev\":\"1-abc\",\"n\":3}]", -1, &error);
  g_clear_pointer (&results, json_array_unref);
  results = mer_store_bulk_docs (store, json_node_get_array (foreign), FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (results), ==, 0);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 3);
}

static void
test_history_and_ancestor (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_autofree char *base = NULL;

  graft (store, "{\"_id\":\"page:h\",\"type\":\"page\",\"title\":\"H\",\"path\":\"h\",\"_rev\":\"1-a\",\"body\":\"base\"}");
  graft (store, "{\"_id\":\"page:h\",\"type\":\"page\",\"title\":\"H\",\"path\":\"h\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[\"b\",\"a\"]},\"body\":\"left\"}");
  graft (store, "{\"_id\":\"page:h\",\"type\":\"page\",\"title\":\"H\",\"path\":\"h\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":3,\"ids\":[\"c\",\"b\",\"a\"]},\"body\":\"left 2\"}");
  graft (store, "{\"_id\":\"page:h\",\"type\":\"page\",\"title\":\"H\",\"path\":\"h\",\"_rev\":\"2-d\",\"_revisions\":{\"start\":2,\"ids\":[\"d\",\"a\"]},\"body\":\"right\"}");

  history = mer_store_get_history (store, "page:h", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (history), ==, 3);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (history, 0), "body"), ==, "left 2");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (history, 2), "body"), ==, "base");

  base = mer_store_common_ancestor (store, "page:h", "3-c", "2-d", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (base, ==, "1-a");

  {
    g_auto(GStrv) conflicted = mer_store_list_conflicted (store, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (conflicted), ==, 1);
    g_assert_cmpstr (conflicted[0], ==, "page:h");
  }
}

/* A snippet is text to read: the Markdown around the match is gone. */
static void
test_search_snippet_is_text (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  MerSearchHit *hit;

  g_free (put (store, "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"A\",\"path\":\"a\","
                      "\"body\":\"## Weeks\\n\\n- See [[w/handoffs|Handoffs now]] and [[Focus]],"
                      " [the **guide**](https://x.y).\\n> `pager`\"}"));
  /* A link the snippet's edge cuts in two keeps its words. */
  g_free (put (store, "{\"_id\":\"page:b\",\"type\":\"page\",\"title\":\"B\",\"path\":\"b\","
                      "\"body\":\"1. A checklist before the rotation starts: [the pager guide](https://pager.example.org/"
                      "guides/one/two/three/four/five/six/seven/eight/nine)\"}"));
  hits = mer_store_search (store, "handoffs", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  hit = g_ptr_array_index (hits, 0);
  g_assert_cmpstr (hit->snippet, ==,
                   "Weeks — See " MER_SEARCH_MARK_START "Handoffs" MER_SEARCH_MARK_END
                   " now and Focus, the guide. pager");
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = mer_store_search (store, "rotation", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  hit = g_ptr_array_index (hits, 0);
  g_assert_null (strchr (hit->snippet, '['));
  g_assert_null (strstr (hit->snippet, "](http"));
  g_assert_nonnull (strstr (hit->snippet, "A checklist before the " MER_SEARCH_MARK_START "rotation"
                                          MER_SEARCH_MARK_END " starts: the pager guide…"));
}

static void
test_search (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  MerSearchHit *hit;
  const char *hostile[] = { "\"foo", "AND", "-", "*", "OR NOT", "(", "title:", "NEAR(a b", "^", "\"\"", "", "   ", "ü*\"", "a AND", NULL };

  g_free (put (store, "{\"_id\":\"page:oncall\",\"type\":\"page\",\"title\":\"On-call rotation\",\"path\":\"engineering/on-call\",\"body\":\"Who carries the pager across time zones.\"}"));
  g_free (put (store, "{\"_id\":\"page:incidents\",\"type\":\"page\",\"title\":\"Incident reviews\",\"path\":\"engineering/incidents\",\"body\":\"After an incident the on-call person writes a review. The rotation matters.\"}"));
  g_free (put (store, "{\"_id\":\"decision:1\",\"type\":\"decision\",\"status\":\"accepted\",\"title\":\"Follow the sun\",\"context\":\"Paging at night\",\"decision\":\"Hand over the pager twice a day\",\"consequences\":\"Fewer rotation gaps\"}"));
  g_free (put (store, "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"name\":\"Rotation Ana\"}"));

  /* Title matches first, even when the body matches more often. */
  hits = mer_store_search (store, "rotation", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 3);
  hit = g_ptr_array_index (hits, 0);
  g_assert_cmpstr (hit->id, ==, "page:oncall");
  g_assert_cmpstr (hit->type, ==, "page");
  g_assert_cmpstr (hit->path, ==, "engineering/on-call");
  hit = g_ptr_array_index (hits, 1);
  g_assert_nonnull (strstr (hit->snippet, MER_SEARCH_MARK_START "rotation" MER_SEARCH_MARK_END));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Prefix search while typing; finished words match whole. */
  hits = mer_store_search (store, "inciden", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = mer_store_search (store, "pager ", 10, &error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Text that is not FTS5 syntax is searched as words, never an error. */
  for (guint i = 0; hostile[i] != NULL; i++)
    {
      hits = mer_store_search (store, hostile[i], 10, &error);
      g_assert_no_error (error);
      g_assert_nonnull (hits);
      g_clear_pointer (&hits, g_ptr_array_unref);
    }
  hits = mer_store_search (store, "\"pager", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Replicated writes are indexed too, and replace what they supersede. */
  graft (store, "{\"_id\":\"page:oncall\",\"_rev\":\"9-ffff\",\"type\":\"page\",\"path\":\"p\",\"title\":\"Pager duty\",\"body\":\"quokka\"}");
  hits = mer_store_search (store, "quokka", 10, &error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = mer_store_search (store, "time zones", 10, &error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  {
    g_autofree char *markup = mer_search_snippet_to_markup ("a <b> " MER_SEARCH_MARK_START "x" MER_SEARCH_MARK_END " & c");
    g_autofree char *html = mer_search_snippet_to_html (MER_SEARCH_MARK_START "x" MER_SEARCH_MARK_END "<");
    g_assert_cmpstr (markup, ==, "a &lt;b&gt; <b>x</b> &amp; c");
    g_assert_cmpstr (html, ==, "<mark>x</mark>&lt;");
  }
}

static void
test_fts_query (void)
{
  struct { const char *in; const char *out; } cases[] = {
    { "rota", "\"rota\"*" },
    { "on call ", "\"on\" \"call\"" },
    { "\"foo", "\"foo\"*" },
    { "AND", "\"AND\"*" },
    { "-", NULL },
    { "*", NULL },
    { "a-bc", "\"a\" \"bc\"*" },
    { "Zürich", "\"Zürich\"*" },
    { "a", "\"a\"" },
    { "on c", "\"on\" \"c\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *q = mer_store_search_fts_query (cases[i].in);
      g_assert_cmpstr (q, ==, cases[i].out);
    }
}

/* Documents written for later indexing are found all the same. */
static void
test_index_later (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(MerStore) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_auto(GStrv) back = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *edit = NULL;

  mer_store_set_index_later (store, TRUE);
  graft (store, "{\"_id\":\"page:a\",\"_rev\":\"1-aa\",\"type\":\"page\",\"title\":\"Alpha\",\"path\":\"alpha\",\"body\":\"wombat\"}");
  graft (store, "{\"_id\":\"page:b\",\"_rev\":\"1-bb\",\"type\":\"page\",\"title\":\"Beta\",\"path\":\"beta\",\"body\":\"see [[Alpha]]\"}");
  rev = put (store, "{\"_id\":\"page:c\",\"type\":\"page\",\"title\":\"Gamma\",\"path\":\"gamma\",\"body\":\"wombat\"}");
  mer_store_set_index_later (store, FALSE);
  g_assert_cmpint (mer_store_count_unindexed (store), ==, 3);
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);

  /* A normal edit of a waiting document is indexed at once, and the
   * backlog does not index it twice. */
  edit = g_strdup_printf ("{\"_id\":\"page:c\",\"_rev\":\"%s\",\"type\":\"page\",\"path\":\"p\","
                          "\"title\":\"Gamma\",\"path\":\"gamma\",\"body\":\"numbat\"}", rev);
  g_free (put (store, edit));

  /* Another connection's search brings the index up to date first. */
  other = mer_core_open_store (dir, &error);
  g_assert_no_error (error);
  {
    /* Not inside a read transaction: that can write nothing. */
    g_assert_true (mer_store_begin_read (other, &error));
    hits = mer_store_search (other, "wombat", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 0);
    g_clear_pointer (&hits, g_ptr_array_unref);
    mer_store_end_read (other);
    g_assert_cmpint (mer_store_count_unindexed (other), ==, 3);
  }
  hits = mer_store_search (other, "wombat", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((MerSearchHit *) hits->pdata[0])->id, ==, "page:a");
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_assert_cmpint (mer_store_count_unindexed (other), ==, 0);
  hits = mer_store_search (store, "numbat", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Backlinks catch up too. */
  mer_store_set_index_later (store, TRUE);
  graft (store, "{\"_id\":\"page:d\",\"_rev\":\"1-dd\",\"type\":\"page\",\"title\":\"Delta\",\"path\":\"delta\",\"body\":\"[[alpha]]\"}");
  mer_store_set_index_later (store, FALSE);
  back = mer_store_get_backlinks (other, "page:a", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (back), ==, 2);
  g_assert_cmpstr (back[0], ==, "page:b");
  g_assert_cmpstr (back[1], ==, "page:d");
  g_assert_cmpint (mer_store_count_unindexed (store), ==, 0);
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
test_links (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) links = mer_core_extract_links ("See [[On-call rotation]] and [[engineering/incidents|reviews]], [[On-call rotation]] again, [[\n]] and [[]].");
  g_auto(GStrv) back = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  g_assert_cmpuint (g_strv_length (links), ==, 2);
  g_assert_cmpstr (links[0], ==, "On-call rotation");
  g_assert_cmpstr (links[1], ==, "engineering/incidents");

  g_free (put (store, "{\"_id\":\"page:oncall\",\"type\":\"page\",\"title\":\"On-call rotation\",\"path\":\"engineering/on-call\",\"body\":\"x\"}"));
  g_free (put (store, "{\"_id\":\"page:incidents\",\"type\":\"page\",\"title\":\"Incident reviews\",\"path\":\"engineering/incidents\",\"body\":\"See [[on-call ROTATION]].\"}"));
  g_free (put (store, "{\"_id\":\"page:handbook\",\"type\":\"page\",\"title\":\"Handbook\",\"path\":\"handbook\",\"body\":\"[[engineering/on-call|Pager]] and [[Nowhere]]\"}"));

  a = mer_store_resolve_link (store, "engineering/on-call", &error);
  b = mer_store_resolve_link (store, "incident REVIEWS", &error);
  c = mer_store_resolve_link (store, "Nowhere", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, "page:oncall");
  g_assert_cmpstr (b, ==, "page:incidents");
  g_assert_null (c);

  back = mer_store_get_backlinks (store, "page:oncall", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (back), ==, 2);
  g_assert_cmpstr (back[0], ==, "page:handbook");
  g_assert_cmpstr (back[1], ==, "page:incidents");
}

static void
test_reopen_and_schema (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  {
    g_autoptr(MerStore) store = mer_test_open_store (&dir);
    uuid = g_strdup (mer_store_get_uuid (store));
    g_assert_cmpuint (strlen (uuid), ==, 32);
    g_assert_cmpstr (mer_store_get_name (store), ==, "handbook");
    g_assert_false (mer_store_set_name (store, "Bad Name", &error));
    g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
    g_clear_error (&error);
    g_assert_true (mer_store_set_name (store, "team-wiki", &error));
    g_free (put (store, "{\"_id\":\"x:1\"}"));
  }
  {
    g_autoptr(MerStore) store = mer_core_open_store (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (mer_store_get_uuid (store), ==, uuid);
    g_assert_cmpstr (mer_store_get_name (store), ==, "team-wiki");
    g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 1);
    g_assert_true (mer_store_check_integrity (store, &error));
  }

  /* The schema version is stored in the database. */
  path = g_build_filename (dir, MER_STORE_FILE_NAME, NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 5);
  sqlite3_finalize (stmt);
  /* A workspace of schema 2 gains the search backlog, the refused table
   * and the attachments' tables, and keeps the rest. */
  g_assert_cmpint (sqlite3_exec (db, "DROP TABLE search_backlog; DROP TABLE refused; DROP TABLE att_blobs;"
                                 " DROP TABLE rev_atts; DROP TABLE local_atts; PRAGMA user_version=2", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  {
    g_autoptr(MerStore) store = mer_core_open_store (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpint (mer_store_count_unindexed (store), ==, 0);
    g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 1);
  }
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 5);
  sqlite3_finalize (stmt);
  /* A newer schema is refused, not misread. */
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version=99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  {
    g_autoptr(MerStore) store = mer_core_open_store (dir, &error);
    g_assert_null (store);
    g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE);
  }
  mer_test_rm_rf (dir);
}

static void
changed_cb (MerStore *store,
            guint    *count)
{
  (*count)++;
}

static void
test_transactions (void)
{
  g_autoptr(MerStore) store = mer_test_open_store (NULL);
  g_autoptr(GError) error = NULL;
  guint changed = 0;

  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), &changed);
  g_assert_true (mer_store_begin (store, &error));
  g_free (put (store, "{\"_id\":\"x:1\"}"));
  g_free (put (store, "{\"_id\":\"x:2\"}"));
  g_assert_cmpuint (changed, ==, 0);
  g_assert_true (mer_store_commit (store, &error));
  g_assert_cmpuint (changed, ==, 1);

  g_assert_true (mer_store_begin (store, &error));
  g_free (put (store, "{\"_id\":\"x:3\"}"));
  g_free (put (store, "{\"_id\":\"page:t\",\"type\":\"page\",\"path\":\"p\",\"title\":\"Wombat\",\"body\":\"x\"}"));
  /* Inside the transaction, search sees its own writes... */
  {
    g_autoptr(GPtrArray) hits = mer_store_search (store, "wombat", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 1);
  }
  mer_store_rollback (store);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 2);
  g_assert_cmpuint (changed, ==, 1);
  /* ...and a rollback takes them out of the index again. */
  {
    g_autoptr(GPtrArray) hits = mer_store_search (store, "wombat", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 0);
  }
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

/* A copy shares nothing with its original, down to the scalar values. */
static char *
canonical (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return mer_json_canonical (node);
}

/* A copy shares nothing with its original, down to the scalar values. */
static void
test_json_deep_copy (void)
{
  g_autoptr(JsonObject) original = mer_test_object ("{\"a\":\"x\",\"n\":{\"b\":[1,2.5,true,null]}}");
  g_autoptr(JsonObject) copy = mer_json_object_copy (original);
  JsonArray *array = json_object_get_array_member (json_object_get_object_member (original, "n"), "b");
  g_autofree char *after = NULL;

  json_node_set_int (json_array_get_element (array, 0), 99);
  json_object_set_string_member (original, "a", "changed");
  json_array_add_int_element (array, 3);
  after = canonical (copy);
  g_assert_cmpstr (after, ==, "{\"a\":\"x\",\"n\":{\"b\":[1,2.5,true,null]}}");
  g_assert_true (json_array_get_element (array, 1)
                 != json_array_get_element (json_object_get_array_member (json_object_get_object_member (copy, "n"), "b"), 1));
}

/* Text that is not UTF-8 is refused wherever it hides, with nothing parsed. */
static void
test_json_refuses_bad_utf8 (void)
{
  const char *texts[] = {
    "{\"a\":\"\xff\"}",               /* a stray byte in a value */
    "{\"\xc3\x28\":1}",                /* a broken sequence in a name */
    "[\"\xed\xa0\x80\"]",             /* a UTF-16 surrogate in UTF-8 */
    "[\"caf\xc3\"]",                   /* a sequence cut short */
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = mer_json_parse (texts[i], -1, &error);

      g_assert_null (node);
      g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA);
    }
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Writes through a second connection reach the first one's "changed". */
static void
test_watch_others (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) watcher = mer_test_open_store (&dir);
  g_autoptr(MerStore) writer = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  guint changed = 0;

  writer = mer_core_open_store (dir, &error);
  g_assert_no_error (error);
  g_signal_connect (watcher, "changed", G_CALLBACK (changed_cb), &changed);
  mer_store_watch_others (watcher, 20);

  g_timeout_add (100, quit_cb, loop);
  g_main_loop_run (loop);
  g_assert_cmpuint (changed, ==, 0);

  g_free (put (writer, "{\"_id\":\"x:1\"}"));
  g_timeout_add (200, quit_cb, loop);
  g_main_loop_run (loop);
  g_assert_cmpuint (changed, ==, 1);

  /* A local draft is not a document change. */
  {
    g_autoptr(JsonObject) local = mer_test_object ("{\"_id\":\"_local/x\"}");
    g_autofree char *rev = mer_store_put_local (writer, local, &error);
    g_assert_no_error (error);
  }
  g_timeout_add (200, quit_cb, loop);
  g_main_loop_run (loop);
  g_assert_cmpuint (changed, ==, 1);
  mer_store_watch_others (watcher, 0);
}

static gint64
wal_size (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "workspace.db-wal", NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

/* Writes @n pages of about 8 KB through @store, in one transaction. */
static void
put_big_pages (MerStore   *store,
               const char *prefix,
               guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (8000, 'w');

  g_assert_true (mer_store_begin (store, &error));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\":\"page:%s-%u\",\"type\":\"page\",\"path\":\"p\","
                                               "\"title\":\"%s %u\",\"path\":\"%s-%u\",\"body\":\"%s\"}",
                                               prefix, i, prefix, i, prefix, i, text);
      g_autoptr(JsonObject) doc = mer_test_object (json);
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      g_assert_no_error (error);
    }
  g_assert_true (mer_store_commit (store, &error));
  g_assert_no_error (error);
}

/*
 * A writer that leaves checkpoints to another connection grows the log
 * until that connection copies it into the database; the log is then
 * written from its start again instead of growing.
 */
static void
test_checkpoint_elsewhere (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) writer = mer_test_open_store (&dir);
  g_autoptr(MerStore) other = NULL;
  g_autoptr(GError) error = NULL;
  gint64 first, grown;

  other = mer_core_open_store (dir, &error);
  g_assert_no_error (error);

  /* Each batch is well past the thousand pages of 4 KB at which a
   * connection moves the log by itself, and then starts it over. */
  mer_store_set_auto_checkpoint (writer, FALSE);
  put_big_pages (writer, "a", 300);
  first = wal_size (dir);
  g_assert_cmpint (first, >, 1000 * 4096);
  put_big_pages (writer, "b", 300);
  grown = wal_size (dir);
  g_assert_cmpint (grown, >, first * 3 / 2);

  g_assert_true (mer_store_checkpoint (other, &error));
  g_assert_no_error (error);
  put_big_pages (writer, "c", 50);
  g_assert_cmpint (wal_size (dir), ==, grown);
  g_assert_cmpint (mer_store_get_doc_count (other, FALSE), ==, 650);

  /* Back on, the writer keeps the log near a thousand pages itself. */
  mer_store_set_auto_checkpoint (writer, TRUE);
  put_big_pages (writer, "d", 300);
  put_big_pages (writer, "e", 300);
  g_assert_cmpint (wal_size (dir), ==, grown);
  g_assert_true (mer_store_check_integrity (writer, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  g_test_add_func ("/store/checkpoint-elsewhere", test_checkpoint_elsewhere);

  g_test_add_func ("/store/create-update-conflict", test_create_update_conflict);
  g_test_add_func ("/store/bad-input", test_bad_input);
  g_test_add_func ("/store/delete-tombstone", test_delete_tombstone);
  g_test_add_func ("/store/deterministic-revs", test_deterministic_revs);
  g_test_add_func ("/store/winner-choice", test_winner_choice);
  g_test_add_func ("/store/graft-idempotent", test_graft_idempotent);
  g_test_add_func ("/store/open-revs-latest", test_open_revs_latest);
  g_test_add_func ("/store/revs-limit", test_revs_limit);
  g_test_add_func ("/store/changes", test_changes_feed);
  g_test_add_func ("/store/local-docs", test_local_docs);
  g_test_add_func ("/store/bulk-docs", test_bulk_docs);
  g_test_add_func ("/store/history-ancestor", test_history_and_ancestor);
  g_test_add_func ("/store/search", test_search);
  g_test_add_func ("/store/search-snippet-is-text", test_search_snippet_is_text);
  g_test_add_func ("/store/fts-query", test_fts_query);
  g_test_add_func ("/store/links", test_links);
  g_test_add_func ("/store/index-later", test_index_later);
  g_test_add_func ("/store/reopen-schema", test_reopen_and_schema);
  g_test_add_func ("/store/transactions", test_transactions);
  g_test_add_func ("/store/watch-others", test_watch_others);
  g_test_add_func ("/json/deep-copy", test_json_deep_copy);
  g_test_add_func ("/json/refuses-bad-utf8", test_json_refuses_bad_utf8);

  return g_test_run ();
}
