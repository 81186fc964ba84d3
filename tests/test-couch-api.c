/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The CouchDB API beyond replication, answered as CouchDB 3.4 answers it:
 * _all_docs with its parameters, revs_info, _uuids, and the refusals of
 * what is not served. Expected answers are whole texts; "@x" in them
 * stands for the current revision of page:x.
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-core.h"
#include "mer-json.h"
#include "mer-server.h"
#include "mer-store.h"
#include "mer-test-util.h"

#include <string.h>

#define CONFLICT_REV "1-ffffffffffffffffffffffffffffffff"

typedef struct
{
  char        *dir;
  MerStore    *store;
  MerAccounts *accounts;
  MerServer   *server;
  GHashTable  *revs;    /* "a" -> current rev of page:a */
  char        *deleted_rev;
} Fixture;

static guint
ask (Fixture    *f,
     const char *method,
     const char *path,
     const char *body,
     char      **out)
{
  return mer_server_handle_request (f->server, method, path, body != NULL ? "application/json" : NULL,
                                    body, body != NULL ? strlen (body) : 0, out);
}

static char *
put_page (Fixture    *f,
          const char *name)
{
  g_autofree char *path = g_strdup_printf ("/handbook/page:%s", name);
  g_autofree char *body = g_strdup_printf ("{\"type\":\"page\",\"title\":\"%s\",\"path\":\"p/%s\",\"body\":\"\"}",
                                           name, name);
  g_autofree char *answer = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_cmpuint (ask (f, "PUT", path, body, &answer), ==, 201);
  node = mer_json_parse (answer, -1, NULL);
  return g_strdup (mer_json_get_string (json_node_get_object (node), "rev"));
}

/*
 * page:a..page:e, page:c then deleted, and page:a given a losing
 * conflict: the database of every _all_docs case.
 */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *names[] = { "b", "e", "a", "d", "c" };
  g_autofree char *answer = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) node = NULL;

  f->store = mer_test_open_store (&f->dir);
  f->accounts = mer_accounts_new (f->dir);
  f->server = mer_server_new (f->store, f->accounts);
  f->revs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_hash_table_insert (f->revs, g_strdup (names[i]), put_page (f, names[i]));

  path = g_strdup_printf ("/handbook/page:c?rev=%s", (char *) g_hash_table_lookup (f->revs, "c"));
  g_assert_cmpuint (ask (f, "DELETE", path, NULL, &answer), ==, 200);
  node = mer_json_parse (answer, -1, NULL);
  f->deleted_rev = g_strdup (mer_json_get_string (json_node_get_object (node), "rev"));
  g_clear_pointer (&answer, g_free);

  /* A branch of the same generation with a greater id: it wins, the edit is a conflict. */
  g_assert_cmpuint (ask (f, "PUT", "/handbook/page:a?new_edits=false",
                         "{\"_rev\":\"" CONFLICT_REV "\",\"type\":\"page\",\"title\":\"a2\",\"path\":\"p/a\",\"body\":\"\"}",
                         &answer), ==, 201);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_store_check_integrity (f->store, &error));
  g_assert_no_error (error);
  g_clear_object (&f->server);
  g_clear_object (&f->accounts);
  g_clear_object (&f->store);
  g_hash_table_unref (f->revs);
  mer_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->deleted_rev);
}

/* @template with "@x" replaced by page:x's revision and "@-" by page:c's tombstone. */
static char *
expand (Fixture    *f,
        const char *template)
{
  GString *out = g_string_new (NULL);

  for (const char *p = template; *p != '\0'; p++)
    {
      if (*p == '@' && p[1] == '-')
        {
          g_string_append (out, f->deleted_rev);
          p++;
        }
      else if (*p == '@' && p[1] == 'a')
        {
          /* page:a's winner is the grafted branch, which sorts last. */
          g_string_append (out, CONFLICT_REV);
          p++;
        }
      else if (*p == '@' && p[1] >= 'a' && p[1] <= 'e')
        {
          char name[2] = { p[1], '\0' };

          g_string_append (out, g_hash_table_lookup (f->revs, name));
          p++;
        }
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

static void
expect (Fixture    *f,
        const char *method,
        const char *path,
        const char *body,
        guint       status,
        const char *template)
{
  g_autofree char *answer = NULL;
  g_autofree char *expected = expand (f, template);

  guint got;

  g_autofree char *full_path = expand (f, path);

  /* The path too may name revisions; expand() ends it with a newline. */
  full_path[strlen (full_path) - 1] = '\0';
  g_test_message ("%s %s", method, full_path);
  got = ask (f, method, full_path, body, &answer);
  g_assert_cmpstr (answer, ==, expected);
  g_assert_cmpuint (got, ==, status);
}

#define ROW(x) "{\"id\":\"page:" #x "\",\"key\":\"page:" #x "\",\"value\":{\"rev\":\"@" #x "\"}}"
#define DELETED_ROW "{\"id\":\"page:c\",\"key\":\"page:c\",\"value\":{\"rev\":\"@-\",\"deleted\":true}}"

static void
test_all_docs_range (Fixture       *f,
                     gconstpointer  data)
{
  expect (f, "GET", "/handbook/_all_docs", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"rows\":[" ROW (a) "," ROW (b) "," ROW (d) "," ROW (e) "]}");
  expect (f, "GET", "/handbook/_all_docs?startkey=%22page:b%22&endkey=%22page:d%22", NULL, 200,
          "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (b) "," ROW (d) "]}");
  expect (f, "GET", "/handbook/_all_docs?start_key=%22page:b%22&end_key=%22page:d%22&inclusive_end=false", NULL, 200,
          "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (b) "]}");
  /* A start between ids: page:c is deleted, so page:d is first. */
  expect (f, "GET", "/handbook/_all_docs?startkey=%22page:c%22", NULL, 200,
          "{\"total_rows\":4,\"offset\":2,\"rows\":[" ROW (d) "," ROW (e) "]}");
  expect (f, "GET", "/handbook/_all_docs?descending=true&startkey=%22page:d%22&endkey=%22page:a%22&inclusive_end=false",
          NULL, 200, "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (d) "," ROW (b) "]}");
  expect (f, "GET", "/handbook/_all_docs?descending=true&skip=1&limit=2", NULL, 200,
          "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (d) "," ROW (b) "]}");
  expect (f, "GET", "/handbook/_all_docs?skip=1&limit=1", NULL, 200,
          "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (b) "]}");
  expect (f, "GET", "/handbook/_all_docs?limit=0", NULL, 200, "{\"total_rows\":4,\"offset\":0,\"rows\":[]}");
  /* No document carries attachments, so asking for them changes nothing. */
  expect (f, "GET", "/handbook/_all_docs?attachments=true&stale=ok&limit=1", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"rows\":[" ROW (a) "]}");
  /* A reversed range is empty, its offset where the start falls. */
  expect (f, "GET", "/handbook/_all_docs?startkey=%22page:d%22&endkey=%22page:a%22", NULL, 200,
          "{\"total_rows\":4,\"offset\":2,\"rows\":[]}");
  expect (f, "GET", "/handbook/_all_docs?startkey=%22zzz%22", NULL, 200, "{\"total_rows\":4,\"offset\":4,\"rows\":[]}");
  expect (f, "GET", "/handbook/_all_docs?skip=10", NULL, 200, "{\"total_rows\":4,\"offset\":4,\"rows\":[]}");
  expect (f, "GET", "/handbook/_all_docs?key=%22page:e%22", NULL, 200,
          "{\"total_rows\":4,\"offset\":3,\"rows\":[" ROW (e) "]}");
  /* Seven writes: five pages, a deletion, a grafted branch. */
  expect (f, "GET", "/handbook/_all_docs?update_seq=true&limit=1", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"update_seq\":7,\"rows\":[" ROW (a) "]}");
}

static void
test_all_docs_keys (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *keys_answer = NULL;

  expect (f, "GET", "/handbook/_all_docs?keys=%5B%22page:b%22,%22page:c%22,%22page:zz%22%5D", NULL, 200,
          "{\"total_rows\":4,\"offset\":null,\"rows\":[" ROW (b) "," DELETED_ROW ",{\"key\":\"page:zz\",\"error\":\"not_found\"}]}");
  expect (f, "POST", "/handbook/_all_docs", "{\"keys\":[\"page:zz\",\"page:e\",1]}", 200,
          "{\"total_rows\":4,\"offset\":null,\"rows\":[{\"key\":\"page:zz\",\"error\":\"not_found\"}," ROW (e)
          ",{\"key\":1,\"error\":\"not_found\"}]}");
  /* Keys keep their order, reversed when descending; skip and limit apply. */
  expect (f, "POST", "/handbook/_all_docs?descending=true", "{\"keys\":[\"page:e\",\"page:b\",\"page:d\"]}", 200,
          "{\"total_rows\":4,\"offset\":null,\"rows\":[" ROW (d) "," ROW (b) "," ROW (e) "]}");
  expect (f, "POST", "/handbook/_all_docs?skip=1", "{\"keys\":[\"page:e\",\"page:b\",\"page:d\"],\"limit\":1}", 200,
          "{\"total_rows\":4,\"offset\":null,\"rows\":[" ROW (b) "]}");
  /* A POST without keys takes its parameters from the body. */
  expect (f, "POST", "/handbook/_all_docs", "{\"startkey\":\"page:d\",\"limit\":1}", 200,
          "{\"total_rows\":4,\"offset\":2,\"rows\":[" ROW (d) "]}");

  /* A deleted document's doc is null, a missing one has none. */
  g_assert_cmpuint (ask (f, "POST", "/handbook/_all_docs?include_docs=true", "{\"keys\":[\"page:c\",\"page:zz\"]}",
                         &keys_answer), ==, 200);
  {
    g_autofree char *expected = expand (f, "{\"total_rows\":4,\"offset\":null,\"rows\":[{\"id\":\"page:c\",\"key\":\"page:c\","
                                           "\"value\":{\"rev\":\"@-\",\"deleted\":true},\"doc\":null},"
                                           "{\"key\":\"page:zz\",\"error\":\"not_found\"}]}");
    g_assert_cmpstr (keys_answer, ==, expected);
  }
}

static void
test_all_docs_docs (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *plain = NULL;
  g_autofree char *with_conflicts = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *doc;

  g_assert_cmpuint (ask (f, "GET", "/handbook/_all_docs?include_docs=true&limit=1", NULL, &plain), ==, 200);
  g_assert_cmpuint (ask (f, "GET", "/handbook/_all_docs?include_docs=true&conflicts=true&limit=1", NULL,
                         &with_conflicts), ==, 200);
  node = mer_json_parse (plain, -1, NULL);
  doc = json_object_get_object_member (json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (node), "rows"), 0), "doc");
  g_assert_cmpstr (mer_json_get_string (doc, "_id"), ==, "page:a");
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, CONFLICT_REV);
  g_assert_cmpstr (mer_json_get_string (doc, "title"), ==, "a2");
  g_assert_false (json_object_has_member (doc, "_conflicts"));
  g_clear_pointer (&node, json_node_unref);

  node = mer_json_parse (with_conflicts, -1, NULL);
  doc = json_object_get_object_member (json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (node), "rows"), 0), "doc");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (doc, "_conflicts")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (doc, "_conflicts"), 0), ==,
                   g_hash_table_lookup (f->revs, "a"));

  /* conflicts without include_docs changes nothing, as in CouchDB. */
  expect (f, "GET", "/handbook/_all_docs?conflicts=true&limit=1", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"rows\":[" ROW (a) "]}");
}

static void
test_all_docs_refused (Fixture       *f,
                       gconstpointer  data)
{
  expect (f, "GET", "/handbook/_all_docs?startkey=page:b", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"Invalid value for startkey: invalid UTF-8 JSON\"}");
  expect (f, "GET", "/handbook/_all_docs?end_key=1", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"Invalid value for end_key: Meridian's _all_docs orders document ids only,"
          " so a JSON string is expected\"}");
  expect (f, "GET", "/handbook/_all_docs?keys=%22page:a%22", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"Invalid value for keys: a JSON array is expected\"}");
  expect (f, "POST", "/handbook/_all_docs", "{\"keys\":\"page:a\"}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"`keys` body member must be an array.\"}");
  expect (f, "POST", "/handbook/_all_docs?keys=%5B%5D", "{\"keys\":[]}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"`keys` is given both in the query and in the body\"}");
  expect (f, "GET", "/handbook/_all_docs?endkey_docid=%22page:b%22", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"Meridian's _all_docs does not support the parameter endkey_docid\"}");
  expect (f, "POST", "/handbook/_all_docs", "{\"local_seq\":true}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"Meridian's _all_docs does not support the parameter local_seq\"}");
  expect (f, "GET", "/handbook/_all_docs?group_level=1", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"Meridian's _all_docs does not support the parameter group_level\"}");
  expect (f, "GET", "/handbook/_all_docs?limit=-1", NULL, 400,
          "{\"error\":\"query_parse_error\",\"reason\":\"Invalid value for limit: a non-negative integer is expected\"}");
  expect (f, "GET", "/handbook/_all_docs?descending=yes", NULL, 400,
          "{\"error\":\"query_parse_error\",\"reason\":\"Invalid boolean parameter: descending\"}");
  expect (f, "DELETE", "/handbook/_all_docs", NULL, 405,
          "{\"error\":\"method_not_allowed\",\"reason\":\"Only GET,HEAD,POST allowed\"}");
}


static void
test_revs_info (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *answer = NULL;
  g_autofree char *rev3 = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *doc;

  /* page:c, deleted, is written again: the tombstone is its parent. */
  rev3 = put_page (f, "c");
  g_assert_true (g_str_has_prefix (rev3, "3-"));
  g_assert_cmpuint (ask (f, "GET", "/handbook/page:c?revs_info=true", NULL, &answer), ==, 200);
  node = mer_json_parse (answer, -1, NULL);
  doc = json_node_get_object (node);
  expected = g_strdup_printf ("[{\"rev\":\"%s\",\"status\":\"available\"},{\"rev\":\"%s\",\"status\":\"deleted\"},"
                              "{\"rev\":\"%s\",\"status\":\"available\"}]",
                              rev3, f->deleted_rev, (char *) g_hash_table_lookup (f->revs, "c"));
  {
    g_autoptr(JsonNode) info = json_node_init_array (json_node_alloc (), json_object_get_array_member (doc, "_revs_info"));
    g_autofree char *text = mer_json_to_string (info, FALSE);

    g_assert_cmpstr (text, ==, expected);
  }
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, rev3);
  g_clear_pointer (&answer, g_free);
  g_clear_pointer (&node, json_node_unref);

  /* Ancestors known only by id, from a replicated history, are missing. */
  g_assert_cmpuint (ask (f, "PUT", "/handbook/page:f?new_edits=false",
                         "{\"_rev\":\"3-cccccccccccccccccccccccccccccccc\",\"_revisions\":{\"start\":3,\"ids\":"
                         "[\"cccccccccccccccccccccccccccccccc\",\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
                         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]},\"type\":\"page\",\"title\":\"f\",\"path\":\"p/f\",\"body\":\"\"}",
                         &answer), ==, 201);
  expect (f, "GET", "/handbook/page:f?revs_info=true", NULL, 200,
          "{\"_id\":\"page:f\",\"_rev\":\"3-cccccccccccccccccccccccccccccccc\",\"body\":\"\",\"path\":\"p/f\","
          "\"title\":\"f\",\"type\":\"page\",\"_revs_info\":["
          "{\"rev\":\"3-cccccccccccccccccccccccccccccccc\",\"status\":\"available\"},"
          "{\"rev\":\"2-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"status\":\"missing\"},"
          "{\"rev\":\"1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"status\":\"missing\"}]}");
  /* With ?rev=, CouchDB gives no _revs_info, nor does Meridian. */
  expect (f, "GET", "/handbook/page:b?revs_info=true&rev=@b", NULL, 200,
          "{\"_id\":\"page:b\",\"_rev\":\"@b\",\"body\":\"\",\"path\":\"p/b\",\"title\":\"b\",\"type\":\"page\"}");
  expect (f, "GET", "/handbook/page:b?revs_info=1", NULL, 400,
          "{\"error\":\"query_parse_error\",\"reason\":\"Invalid boolean parameter: revs_info\"}");
}

static void
test_uuids_and_up (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *one = NULL;
  g_autofree char *many = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *uuids;

  expect (f, "GET", "/_up", NULL, 200, "{\"status\":\"ok\"}");
  g_assert_cmpuint (ask (f, "GET", "/_uuids", NULL, &one), ==, 200);
  g_assert_true (g_regex_match_simple ("^\\{\"uuids\":\\[\"[0-9a-f]{32}\"\\]\\}\n$", one, 0, 0));
  g_assert_cmpuint (ask (f, "GET", "/_uuids?count=1000", NULL, &many), ==, 200);
  node = mer_json_parse (many, -1, NULL);
  uuids = json_object_get_array_member (json_node_get_object (node), "uuids");
  g_assert_cmpuint (json_array_get_length (uuids), ==, 1000);
  for (guint i = 0; i < 1000; i++)
    g_assert_true (g_hash_table_add (seen, (gpointer) json_array_get_string_element (uuids, i)));
  expect (f, "GET", "/_uuids?count=0", NULL, 200, "{\"uuids\":[]}");
  expect (f, "GET", "/_uuids?count=1001", NULL, 400, "{\"error\":\"bad_request\",\"reason\":\"count parameter too large\"}");
  expect (f, "GET", "/_uuids?count=-1", NULL, 400,
          "{\"error\":\"query_parse_error\",\"reason\":\"Invalid value for count: a non-negative integer is expected\"}");
  expect (f, "POST", "/_uuids", "{}", 405, "{\"error\":\"method_not_allowed\",\"reason\":\"Only GET,HEAD allowed\"}");
}

static void
test_not_served (Fixture       *f,
                 gconstpointer  data)
{
  const char *endpoints[] = { "_find", "_index", "_explain" };

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      g_autofree char *path = g_strconcat ("/handbook/", endpoints[i], NULL);
      g_autofree char *expected = g_strdup_printf ("{\"error\":\"not_implemented\",\"reason\":\"Meridian does not serve %s:"
                                                   " it serves no views or Mango queries\"}", endpoints[i]);

      expect (f, "POST", path, "{\"selector\":{}}", 501, expected);
      expect (f, "GET", path, NULL, 501, expected);
    }
  expect (f, "GET", "/handbook/_design/x/_view/y", NULL, 501,
          "{\"error\":\"not_implemented\",\"reason\":\"Meridian does not serve _design/x/_view:"
          " it serves no views or Mango queries\"}");
  expect (f, "POST", "/handbook/_design/x/_view/y", "{\"keys\":[]}", 501,
          "{\"error\":\"not_implemented\",\"reason\":\"Meridian does not serve _design/x/_view:"
          " it serves no views or Mango queries\"}");
}

/* The changes feed's rows as "seq:id" words, and its last_seq. */
static char *
feed_summary (Fixture    *f,
              const char *method,
              const char *path,
              const char *body)
{
  g_autofree char *answer = NULL;
  g_autoptr(JsonNode) node = NULL;
  GString *out = g_string_new (NULL);
  JsonArray *results;

  g_assert_cmpuint (ask (f, method, path, body, &answer), ==, 200);
  node = mer_json_parse (answer, -1, NULL);
  results = json_object_get_array_member (json_node_get_object (node), "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *row = json_array_get_object_element (results, i);

      g_string_append_printf (out, "%" G_GINT64_FORMAT ":%s%s ", json_object_get_int_member (row, "seq"),
                              mer_json_get_string (row, "id"), mer_json_get_bool (row, "deleted") ? "(deleted)" : "");
    }
  g_string_append_printf (out, "last_seq=%" G_GINT64_FORMAT,
                          json_object_get_int_member (json_node_get_object (node), "last_seq"));
  return g_string_free (out, FALSE);
}

#define ASSERT_FEED(method, path, body, expected) \
  G_STMT_START { \
    g_autofree char *summary_ = feed_summary (f, method, path, body); \
    g_assert_cmpstr (summary_, ==, expected); \
  } G_STMT_END

static void
test_changes_filters (Fixture       *f,
                      gconstpointer  data)
{
  /* Writes: 1 b, 2 e, 3 a, 4 d, 5 c, 6 c deleted, 7 a's branch. */
  ASSERT_FEED ("GET", "/handbook/_changes", NULL, "1:page:b 2:page:e 4:page:d 6:page:c(deleted) 7:page:a last_seq=7");
  ASSERT_FEED ("GET", "/handbook/_changes?filter=_doc_ids&doc_ids=%5B%22page:c%22,%22page:b%22,%22page:zz%22%5D", NULL,
               "1:page:b 6:page:c(deleted) last_seq=7");
  ASSERT_FEED ("POST", "/handbook/_changes?filter=_doc_ids", "{\"doc_ids\":[\"page:a\",\"page:e\"]}",
               "2:page:e 7:page:a last_seq=7");
  /* A limit counts the rows that pass, and last_seq is the last of them. */
  ASSERT_FEED ("POST", "/handbook/_changes?filter=_doc_ids&limit=1", "{\"doc_ids\":[\"page:a\",\"page:e\"]}",
               "2:page:e last_seq=2");
  ASSERT_FEED ("POST", "/handbook/_changes?filter=_doc_ids&since=2", "{\"doc_ids\":[\"page:a\",\"page:e\"]}",
               "7:page:a last_seq=7");
  ASSERT_FEED ("GET", "/handbook/_changes?filter=_design", NULL, "last_seq=7");

  expect (f, "GET", "/handbook/_changes?filter=_doc_ids", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"`doc_ids` filter parameter is not a list of doc ids.\"}");
  expect (f, "GET", "/handbook/_changes?filter=_doc_ids&doc_ids=%5B1%5D", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"`doc_ids` filter parameter is not a list of doc ids.\"}");
  expect (f, "POST", "/handbook/_changes?filter=_doc_ids", "{\"doc_ids\":\"page:a\"}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"`doc_ids` filter parameter is not a list of doc ids.\"}");
  expect (f, "GET", "/handbook/_changes?doc_ids=%5B%22page:a%22%5D", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"doc_ids is given without filter=_doc_ids\"}");
  expect (f, "POST", "/handbook/_changes?filter=_selector", "{\"selector\":{}}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"Meridian's _changes does not take selector in the body\"}");
  expect (f, "GET", "/handbook/_changes?filter=_selector", NULL, 501,
          "{\"error\":\"not_implemented\",\"reason\":\"Meridian does not filter the changes feed with _selector:"
          " it serves _doc_ids and _design only\"}");
  expect (f, "GET", "/handbook/_changes?filter=_view&view=x/y", NULL, 501,
          "{\"error\":\"not_implemented\",\"reason\":\"Meridian does not filter the changes feed with _view:"
          " it serves _doc_ids and _design only\"}");
  expect (f, "GET", "/handbook/_changes?filter=app/mine", NULL, 501,
          "{\"error\":\"not_implemented\",\"reason\":\"Meridian does not filter the changes feed with app/mine:"
          " it serves _doc_ids and _design only\"}");
  expect (f, "GET", "/handbook/_changes?filter=_bogus", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"unknown builtin filter name\"}");
  expect (f, "PUT", "/handbook/_changes", "{}", 405,
          "{\"error\":\"method_not_allowed\",\"reason\":\"Only GET,HEAD,POST allowed\"}");
}

#define DESIGN_REASON "Design documents are not supported: Meridian runs no code from peers"
#define OTHER_REV "1-0123456789abcdef0123456789abcdef"

/*
 * A hub's batches list its design documents among the others: each
 * replication endpoint answers them on their own and serves the rest.
 */
static void
test_design_among (Fixture       *f,
                   gconstpointer  data)
{
  /* _revs_diff leaves them out, so that no replicator sends them. */
  expect (f, "POST", "/handbook/_revs_diff",
          "{\"_design/meridian\":[\"" OTHER_REV "\"],\"page:new\":[\"" OTHER_REV "\"]}", 200,
          "{\"page:new\":{\"missing\":[\"" OTHER_REV "\"]}}");
  expect (f, "POST", "/handbook/_revs_diff", "{\"_design/meridian\":[\"" OTHER_REV "\"]}", 200, "{}");
  /* _bulk_get: a row of its own. */
  expect (f, "POST", "/handbook/_bulk_get",
          "{\"docs\":[{\"id\":\"_design/meridian\",\"rev\":\"" OTHER_REV "\"},{\"id\":\"page:b\"}]}", 200,
          "{\"results\":[{\"id\":\"_design/meridian\",\"docs\":[{\"error\":{\"id\":\"_design/meridian\","
          "\"rev\":\"" OTHER_REV "\",\"error\":\"forbidden\",\"reason\":\"" DESIGN_REASON "\"}}]},"
          "{\"id\":\"page:b\",\"docs\":[{\"ok\":{\"_id\":\"page:b\",\"_rev\":\"@b\",\"body\":\"\","
          "\"path\":\"p/b\",\"title\":\"b\",\"type\":\"page\"}}]}]}");
  /* _bulk_docs: an error row of its own; the page beside it is stored. */
  expect (f, "POST", "/handbook/_bulk_docs",
          "{\"new_edits\":false,\"docs\":[{\"_id\":\"_design/x\",\"_rev\":\"" OTHER_REV "\",\"views\":{}},"
          "{\"_id\":\"page:f\",\"_rev\":\"" OTHER_REV "\",\"type\":\"page\",\"title\":\"f\","
          "\"path\":\"p/f\",\"body\":\"\"}]}", 201,
          "[{\"id\":\"_design/x\",\"rev\":\"" OTHER_REV "\",\"error\":\"forbidden\",\"reason\":\"" DESIGN_REASON "\"}]");
  expect (f, "GET", "/handbook/page:f", NULL, 200,
          "{\"_id\":\"page:f\",\"_rev\":\"" OTHER_REV "\",\"body\":\"\",\"path\":\"p/f\",\"title\":\"f\",\"type\":\"page\"}");
  expect (f, "GET", "/handbook/_design/x", NULL, 403,
          "{\"error\":\"forbidden\",\"reason\":\"" DESIGN_REASON "\"}");
}

/*
 * What CouchDB's own tools send that a replicator does not: empty path
 * segments, keys ending in "\u0000" (couchbackup's next page), the
 * "\ufff0" end of a prefix, and an empty "_attachments" (couchrestore,
 * RxDB), accepted and not kept; a stub of bytes never sent is refused.
 */
static void
test_tools_requests (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *answer = NULL;

  expect (f, "GET", "//handbook//page:b/", NULL, 200,
          "{\"_id\":\"page:b\",\"_rev\":\"@b\",\"body\":\"\",\"path\":\"p/b\",\"title\":\"b\",\"type\":\"page\"}");
  expect (f, "GET", "//_up//", NULL, 200, "{\"status\":\"ok\"}");
  expect (f, "GET", "//handbook//_all_docs?limit=1", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"rows\":[" ROW (a) "]}");

  expect (f, "GET", "/handbook/_all_docs?startkey=%22page:b%5Cu0000%22", NULL, 200,
          "{\"total_rows\":4,\"offset\":2,\"rows\":[" ROW (d) "," ROW (e) "]}");
  expect (f, "GET", "/handbook/_all_docs?startkey=%22%5Cu0000%22&limit=1", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"rows\":[" ROW (a) "]}");
  expect (f, "GET", "/handbook/_all_docs?endkey=%22page:b%5Cu0000%22&descending=true", NULL, 200,
          "{\"total_rows\":4,\"offset\":0,\"rows\":[" ROW (e) "," ROW (d) "]}");
  expect (f, "GET", "/handbook/_all_docs?startkey=%22page:%22&endkey=%22page:%5Cufff0%22&skip=3", NULL, 200,
          "{\"total_rows\":4,\"offset\":3,\"rows\":[" ROW (e) "]}");
  expect (f, "POST", "/handbook/_all_docs", "{\"start_key\":\"page:a\\u0000\",\"limit\":1}", 200,
          "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (b) "]}");
  expect (f, "POST", "/handbook/_all_docs", "{\"startkey\":\"page:a\\u0000\",\"endkey\":\"page:d\\u0000\"}", 200,
          "{\"total_rows\":4,\"offset\":1,\"rows\":[" ROW (b) "," ROW (d) "]}");
  expect (f, "POST", "/handbook/_all_docs", "{\"keys\":[\"page:a\\u0000\"]}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"Meridian's _all_docs does not take keys that hold \\\\u0000\"}");
  expect (f, "GET", "/handbook/_all_docs?startkey=%22%5Cu0000%5CuDBFF%5CuDFFF%22", NULL, 400,
          "{\"error\":\"bad_request\",\"reason\":\"Invalid value for startkey: a key may hold \\\\u0000 or U+10FFFF,"
          " but not both\"}");
  expect (f, "POST", "/handbook/_all_docs", "{\"startkey\":\"\\u0000\",\"endkey\":\"\\uDBFF\\uDFFF\"}", 400,
          "{\"error\":\"bad_request\",\"reason\":\"A body that holds \\\\u0000 may not also hold U+10FFFF\"}");
  /* A key of U+10FFFF alone is the highest code point, not a NUL. */
  expect (f, "GET", "/handbook/_all_docs?startkey=%22page:%5CuDBFF%5CuDFFF%22", NULL, 200,
          "{\"total_rows\":4,\"offset\":4,\"rows\":[]}");

  g_assert_cmpuint (ask (f, "PUT", "/handbook/page:g",
                         "{\"type\":\"page\",\"title\":\"g\",\"path\":\"p/g\",\"body\":\"\",\"_attachments\":{}}",
                         &answer), ==, 201);
  g_clear_pointer (&answer, g_free);
  g_assert_cmpuint (ask (f, "POST", "/handbook/_bulk_docs",
                         "{\"docs\":[{\"_id\":\"note:h\",\"type\":\"note\",\"_attachments\":{}}]}", &answer), ==, 201);
  g_clear_pointer (&answer, g_free);
  g_assert_cmpuint (ask (f, "GET", "/handbook/page:g", NULL, &answer), ==, 200);
  g_assert_null (strstr (answer, "_attachments"));
  g_clear_pointer (&answer, g_free);
  g_assert_cmpuint (ask (f, "GET", "/handbook/note:h", NULL, &answer), ==, 200);
  g_assert_null (strstr (answer, "_attachments"));
  g_clear_pointer (&answer, g_free);
  expect (f, "PUT", "/handbook/page:i",
          "{\"type\":\"page\",\"title\":\"i\",\"path\":\"p/i\",\"body\":\"\",\"_attachments\":{\"a.txt\":{\"stub\":true}}}",
          412, "{\"error\":\"missing_stub\",\"reason\":\"Invalid attachment stub in a.txt\"}");
}

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  ADD ("/couch-api/all-docs/range", test_all_docs_range);
  ADD ("/couch-api/all-docs/keys", test_all_docs_keys);
  ADD ("/couch-api/all-docs/docs", test_all_docs_docs);
  ADD ("/couch-api/all-docs/refused", test_all_docs_refused);
  ADD ("/couch-api/revs-info", test_revs_info);
  ADD ("/couch-api/uuids-and-up", test_uuids_and_up);
  ADD ("/couch-api/not-served", test_not_served);
  ADD ("/couch-api/changes-filters", test_changes_filters);
  ADD ("/couch-api/design-among", test_design_among);
  ADD ("/couch-api/tools-requests", test_tools_requests);
  return g_test_run ();
}
