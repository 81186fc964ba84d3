/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The store alone, with no domain above it: what it indexes is only what
 * the indexer it is given says. This program never registers the core's
 * indexer (mer_core_open_store() is not called), so a type or a field of
 * the team's documents that the store still knew of would show here.
 */
#include "config.h"

#include "mer-json.h"
#include "mer-revision.h"
#include "mer-store.h"
#include "mer-test-util.h"

#include <string.h>

static const char * const note_fields[] = { "text", NULL };

static gboolean
note_indexes_type (const char *type)
{
  return g_strcmp0 (type, "note") == 0;
}

static gboolean
note_extract (MerStore    *store,
              JsonObject  *body,
              char       **title,
              char       **text,
              char      ***links)
{
  const char *see = mer_json_get_string (body, "see");

  *title = g_strdup (mer_json_get_string (body, "title"));
  *text = g_strdup (mer_json_get_string (body, "text"));
  if (see != NULL)
    {
      char *targets[] = { (char *) see, NULL };

      *links = g_strdupv (targets);
    }
  return TRUE;
}

static char *
note_snippet (const char *snippet)
{
  return g_strconcat ("note: ", snippet, NULL);
}

static const MerStoreIndexer note_indexer = {
  .fields = note_fields,
  .indexes_type = note_indexes_type,
  .extract = note_extract,
  .link_type = "note",
  .snippet_to_text = note_snippet,
};

static void
put (MerStore   *store,
     const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rev);
}

static guint
count_hits (MerStore   *store,
            const char *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = mer_store_search (store, query, 20, &error);

  g_assert_no_error (error);
  return hits->len;
}

/* With no indexer, documents are kept whole but nothing is searchable. */
static void
test_no_indexer (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("indexer");
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(JsonObject) back = NULL;

  mer_store_set_indexer (NULL);
  store = mer_store_open (dir, &error);
  g_assert_no_error (error);
  put (store, "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"Alpha\",\"body\":\"zebra [[Beta]]\"}");
  back = mer_store_get_doc (store, "page:a", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (back, "body"), ==, "zebra [[Beta]]");
  g_assert_cmpuint (count_hits (store, "zebra"), ==, 0);
  g_assert_null (mer_store_resolve_link (store, "Alpha", NULL));
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
  mer_test_rm_rf (dir);
}

/* The indexer's types, fields, links and snippets, and none of a page's. */
static void
test_custom_indexer (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("indexer");
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree char *found = NULL;
  g_auto(GStrv) back = NULL;

  mer_store_set_indexer (&note_indexer);
  store = mer_store_open (dir, &error);
  g_assert_no_error (error);
  put (store, "{\"_id\":\"note:one\",\"type\":\"note\",\"title\":\"First\",\"text\":\"walrus\",\"see\":\"second\"}");
  put (store, "{\"_id\":\"note:two\",\"type\":\"note\",\"title\":\"Second\",\"text\":\"otter\"}");
  put (store, "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"Walrus page\",\"body\":\"walrus\"}");

  hits = mer_store_search (store, "walrus", 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((MerSearchHit *) hits->pdata[0])->id, ==, "note:one");
  g_assert_true (g_str_has_prefix (((MerSearchHit *) hits->pdata[0])->snippet, "note: "));

  found = mer_store_resolve_link (store, "SECOND", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "note:two");
  back = mer_store_get_backlinks (store, "note:two", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (back), ==, 1);
  g_assert_cmpstr (back[0], ==, "note:one");
  mer_test_rm_rf (dir);
}

/* A revision read from a peer keeps the fields the indexer asked for, so
 * a replicated document is searched like a local one. */
static void
test_replicated_fields (void)
{
  const char *answer =
    "{\"results\":[{\"id\":\"note:far\",\"docs\":[{\"ok\":{\"_id\":\"note:far\","
    "\"_rev\":\"1-0123456789abcdef0123456789abcdef\",\"type\":\"note\",\"title\":\"Far\","
    "\"text\":\"narwhal\",\"other\":\"platypus\"}}]}]}";
  g_autofree char *dir = mer_test_make_tmpdir ("indexer");
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) revisions = NULL;
  g_autoptr(JsonArray) refusals = NULL;
  gboolean has_results = FALSE;

  mer_store_set_indexer (&note_indexer);
  store = mer_store_open (dir, &error);
  g_assert_no_error (error);
  revisions = mer_revisions_from_bulk_get (answer, strlen (answer), &has_results, &error);
  g_assert_no_error (error);
  g_assert_true (has_results);
  g_assert_cmpuint (revisions->len, ==, 1);
  g_assert_nonnull (((MerRevision *) revisions->pdata[0])->fields);
  g_assert_true (json_object_has_member (((MerRevision *) revisions->pdata[0])->fields, "text"));
  g_assert_false (json_object_has_member (((MerRevision *) revisions->pdata[0])->fields, "other"));
  refusals = mer_store_put_revisions (store, revisions, "test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (refusals), ==, 0);
  g_assert_cmpuint (count_hits (store, "narwhal"), ==, 1);
  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/store-indexer/none", test_no_indexer);
  g_test_add_func ("/store-indexer/custom", test_custom_indexer);
  g_test_add_func ("/store-indexer/replicated-fields", test_replicated_fields);
  return g_test_run ();
}
