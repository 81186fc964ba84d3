/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Attachments in the replica: stubs carried across revisions, bytes kept
 * once, the collection rule, what is refused, conflicts, and a writer
 * killed at random instants.
 */
#include "config.h"

#include "mer-test-util.h"
#include "mer-store-attachments.h"
#include "mer-json.h"

#include <stdio.h>
#include <string.h>

static char *
b64 (const char *text)
{
  return g_base64_encode ((const guchar *) text, strlen (text));
}

/* A document with one attachment given inline. */
static JsonObject *
doc_with (const char *id,
          const char *rev,
          const char *name,
          const char *content)
{
  g_autofree char *data = b64 (content);
  g_autofree char *json = g_strdup_printf ("{\"_id\":\"%s\",%s%s%s\"title\":\"t\","
                                           "\"_attachments\":{\"%s\":{\"content_type\":\"text/plain\",\"data\":\"%s\"}}}",
                                           id, rev ? "\"_rev\":\"" : "", rev ? rev : "", rev ? "\"," : "",
                                           name, data);
  return mer_test_object (json);
}

static char *
put (MerStore   *store,
     JsonObject *doc)
{
  g_autoptr(GError) error = NULL;
  char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rev);
  return rev;
}

static void
assert_integrity (MerStore *store)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
assert_bytes (MerStore   *store,
              const char *id,
              const char *rev,
              const char *name,
              const char *content)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerAttachment) att = mer_store_get_attachment (store, id, rev, name, &error);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *digest = mer_attachment_digest (content, strlen (content));

  g_assert_no_error (error);
  g_assert_nonnull (att);
  g_assert_cmpstr (att->digest, ==, digest);
  g_assert_cmpint (att->length, ==, strlen (content));
  bytes = mer_store_read_blob (store, att->blob, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), content, strlen (content));
}

static void
test_stubs_across_revisions (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) doc = doc_with ("note:1", NULL, "a.txt", "hello");
  g_autoptr(JsonObject) read = NULL;
  g_autoptr(JsonObject) edit = NULL;
  g_autoptr(JsonObject) bare = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev1 = put (store, doc);
  g_autofree char *rev2 = NULL;
  g_autofree char *rev3 = NULL;
  g_autofree char *digest = mer_attachment_digest ("hello", 5);
  g_autofree char *text = NULL;
  JsonObject *stub;

  read = mer_store_get_doc (store, "note:1", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  stub = json_object_get_object_member (json_object_get_object_member (read, "_attachments"), "a.txt");
  g_assert_cmpstr (json_object_get_string_member (stub, "digest"), ==, digest);
  g_assert_cmpint (json_object_get_int_member (stub, "length"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (stub, "revpos"), ==, 1);
  g_assert_true (json_object_get_boolean_member (stub, "stub"));
  g_assert_cmpstr (json_object_get_string_member (stub, "content_type"), ==, "text/plain");
  g_assert_false (json_object_has_member (stub, "data"));

  /* The document as read, edited, keeps its attachment as a stub. */
  json_object_set_string_member (read, "title", "changed");
  rev2 = put (store, read);
  assert_bytes (store, "note:1", rev2, "a.txt", "hello");
  g_clear_pointer (&read, json_object_unref);
  read = mer_store_get_doc (store, "note:1", NULL, MER_GET_DEFAULT, &error);
  stub = json_object_get_object_member (json_object_get_object_member (read, "_attachments"), "a.txt");
  g_assert_cmpint (json_object_get_int_member (stub, "revpos"), ==, 1);

  /* Inline, all or since a generation. */
  edit = json_object_ref (read);
  g_assert_true (mer_store_inline_attachments (store, edit, 1, &error));
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (stub, "stub"));
  g_assert_true (mer_store_inline_attachments (store, edit, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (stub, "data"), ==, "aGVsbG8=");
  g_assert_false (json_object_has_member (stub, "stub"));

  /* An edit without "_attachments" drops them, as in CouchDB; the old
   * revision still has its own. */
  bare = mer_test_object ("{\"_id\":\"note:1\",\"title\":\"x\"}");
  json_object_set_string_member (bare, "_rev", rev2);
  rev3 = put (store, bare);
  g_assert_null (mer_store_get_attachment (store, "note:1", rev3, "a.txt", &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_bytes (store, "note:1", rev1, "a.txt", "hello");

  /* The same edit with and without an attachment makes different revisions. */
  g_assert_cmpstr (rev1, !=, NULL);
  text = g_strdup (rev1);
  g_assert_true (g_str_has_prefix (text, "1-"));
  assert_integrity (store);
  mer_test_rm_rf (dir);
}

static void
test_put_and_delete_one (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GBytes) png = g_bytes_new_static ("\x89PNG\r\n\x1a\nrest", 12);
  g_autoptr(GBytes) other = g_bytes_new_static ("second", 6);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) read = NULL;
  g_autofree char *rev1 = NULL;
  g_autofree char *rev2 = NULL;
  g_autofree char *rev3 = NULL;
  g_autofree char *stale = NULL;
  JsonObject *atts;

  /* A new document made by its attachment alone. */
  rev1 = mer_store_put_attachment (store, "note:img", NULL, "logo.png", "image/png", png, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (rev1, "1-"));
  rev2 = mer_store_put_attachment (store, "note:img", rev1, "b.txt", "text/plain", other, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (rev2, "2-"));
  read = mer_store_get_doc (store, "note:img", NULL, MER_GET_DEFAULT, &error);
  atts = json_object_get_object_member (read, "_attachments");
  g_assert_cmpuint (json_object_get_size (atts), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (atts, "logo.png"), "revpos"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (atts, "b.txt"), "revpos"), ==, 2);

  /* A stale revision is a conflict; none for an existing document too. */
  stale = mer_store_put_attachment (store, "note:img", rev1, "c.txt", NULL, other, &error);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT);
  g_assert_null (stale);
  g_clear_error (&error);
  g_assert_null (mer_store_put_attachment (store, "note:img", NULL, "c.txt", NULL, other, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  rev3 = mer_store_delete_attachment (store, "note:img", rev2, "logo.png", &error);
  g_assert_no_error (error);
  g_assert_null (mer_store_get_attachment (store, "note:img", NULL, "logo.png", &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_bytes (store, "note:img", NULL, "b.txt", "second");
  g_assert_null (mer_store_delete_attachment (store, "note:img", rev3, "nothing", &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_integrity (store);
  mer_test_rm_rf (dir);
}

static void
test_dedup (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *logo = g_strnfill (100 * 1024, 'L');
  gint64 bytes = 0;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *id = g_strdup_printf ("note:%u", i);
      g_autoptr(JsonObject) doc = doc_with (id, NULL, "logo.png", logo);
      g_autofree char *rev = put (store, doc);
    }
  /* Fifty documents, one logo kept once. */
  g_assert_cmpint (mer_store_count_blobs (store, &bytes), ==, 1);
  g_assert_cmpint (bytes, ==, 100 * 1024);
  assert_bytes (store, "note:49", NULL, "logo.png", logo);
  assert_integrity (store);
  mer_test_rm_rf (dir);
}

static void
expect_refused (MerStore   *store,
                const char *json,
                int         code)
{
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);
  gint64 blobs = mer_store_count_blobs (store, NULL);

  g_assert_null (rev);
  g_assert_error (error, MER_STORE_ERROR, code);
  /* Nothing written: no document, and no bytes left behind. */
  g_assert_cmpint (blobs, ==, 0);
}

static void
test_refusals (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *long_name = g_strnfill (256, 'n');
  g_autofree char *json = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("0123456789AB", 12);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) empty = NULL;
  g_autoptr(JsonObject) read = NULL;
  g_autofree char *rev = NULL;

  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"../x\":{\"data\":\"aGk=\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a..b\":{\"data\":\"aGk=\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"/etc\":{\"data\":\"aGk=\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"\":{\"data\":\"aGk=\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"_x\":{\"data\":\"aGk=\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  json = g_strdup_printf ("{\"_id\":\"note:a\",\"_attachments\":{\"%s\":{\"data\":\"aGk=\"}}}", long_name);
  expect_refused (store, json, MER_STORE_ERROR_BAD_REQUEST);
  /* Bytes that do not match what is claimed of them. */
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"data\":\"aGk=\",\"digest\":\"md5-AAAAAAAAAAAAAAAAAAAAAA==\"}}}",
                  MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"data\":\"aGk=\",\"length\":3}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"data\":\"a*Gk=\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"content_type\":\"x\"}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"follows\":true,\"length\":2}}}", MER_STORE_ERROR_BAD_REQUEST);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":5}}", MER_STORE_ERROR_BAD_REQUEST);
  /* A stub that names nothing this replica has. */
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"stub\":true,\"digest\":\"md5-AAAAAAAAAAAAAAAAAAAAAA==\"}}}",
                  MER_STORE_ERROR_MISSING_STUB);
  /* A second valid attachment does not keep the first's bytes. */
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"data\":\"aGk=\"},\"b\":{\"stub\":true}}}",
                  MER_STORE_ERROR_MISSING_STUB);

  /* Over the limit. */
  mer_store_set_max_attachment_size (store, 10);
  g_assert_null (mer_store_put_attachment (store, "note:a", NULL, "big", NULL, data, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  expect_refused (store, "{\"_id\":\"note:a\",\"_attachments\":{\"a\":{\"data\":\"MDEyMzQ1Njc4OUFC\"}}}", MER_STORE_ERROR_TOO_LARGE);
  mer_store_set_max_attachment_size (store, 12);
  g_free (mer_store_put_attachment (store, "note:limit", NULL, "exact", NULL, data, &error));
  g_assert_no_error (error);

  /* An empty member stores nothing. */
  empty = mer_test_object ("{\"_id\":\"note:empty\",\"_attachments\":{}}");
  rev = put (store, empty);
  read = mer_store_get_doc (store, "note:empty", NULL, MER_GET_DEFAULT, &error);
  g_assert_false (json_object_has_member (read, "_attachments"));
  g_assert_null (mer_store_get_doc (store, "note:a", NULL, MER_GET_DEFAULT, &error));
  g_clear_error (&error);

  g_assert_false (mer_attachment_check_name ("a\x01" "b", NULL));
  g_assert_true (mer_attachment_check_name ("diagram v2 (final).png", NULL));
  g_assert_true (mer_attachment_is_active_type ("text/html; charset=utf-8"));
  g_assert_true (mer_attachment_is_active_type ("IMAGE/SVG+XML"));
  g_assert_false (mer_attachment_is_active_type ("image/png"));
  assert_integrity (store);
  mer_test_rm_rf (dir);
}

/* Revisions from another replica: inline data, stubs of what is held,
 * the gzip digests CouchDB gives, and a conflict that keeps both sides'. */
static void
test_replicated (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = NULL;
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *a = mer_attachment_digest ("side a", 6);
  g_autofree char *base = mer_attachment_digest ("base", 4);
  g_auto(GStrv) leaves = NULL;

  node = mer_json_parse ("["
    "{\"_id\":\"note:r\",\"_rev\":\"1-aa\",\"_revisions\":{\"start\":1,\"ids\":[\"aa\"]},"
    " \"_attachments\":{\"base.txt\":{\"content_type\":\"text/plain\",\"revpos\":1,\"data\":\"YmFzZQ==\"}}},"
    "{\"_id\":\"note:r\",\"_rev\":\"2-bb\",\"_revisions\":{\"start\":2,\"ids\":[\"bb\",\"aa\"]},"
    " \"_attachments\":{\"base.txt\":{\"stub\":true,\"revpos\":1,\"digest\":\"BASE\"},"
    "  \"a.png\":{\"content_type\":\"image/png\",\"revpos\":2,\"data\":\"c2lkZSBh\"}}},"
    "{\"_id\":\"note:r\",\"_rev\":\"2-cc\",\"_revisions\":{\"start\":2,\"ids\":[\"cc\",\"aa\"]},"
    " \"_attachments\":{\"base.txt\":{\"stub\":true,\"revpos\":1,\"digest\":\"BASE\"},"
    "  \"b.png\":{\"content_type\":\"image/png\",\"revpos\":2,\"data\":\"c2lkZSBi\"}}},"
    "{\"_id\":\"note:gz\",\"_rev\":\"1-dd\",\"_attachments\":{\"t.txt\":{\"content_type\":\"text/plain\","
    "  \"revpos\":1,\"encoding\":\"gzip\",\"digest\":\"md5-q2Fc3H1mF2lcwJQ5UTXyAA==\",\"data\":\"dGV4dA==\"}}},"
    "{\"_id\":\"note:lie\",\"_rev\":\"1-ee\",\"_attachments\":{\"t.txt\":{\"revpos\":1,"
    "  \"digest\":\"md5-q2Fc3H1mF2lcwJQ5UTXyAA==\",\"data\":\"dGV4dA==\"}}},"
    "{\"_id\":\"note:stub\",\"_rev\":\"1-ff\",\"_attachments\":{\"t.txt\":{\"stub\":true,\"revpos\":1,"
    "  \"digest\":\"BASE\"}}}"
    "]", -1, &error);
  g_assert_no_error (error);
  {
    /* The digest of "base", put where the text says BASE. */
    g_autofree char *text = mer_json_to_string (node, FALSE);
    g_autofree char *replaced = NULL;
    g_auto(GStrv) parts = g_strsplit (text, "BASE", -1);

    replaced = g_strjoinv (base, parts);
    g_clear_pointer (&node, json_node_unref);
    node = mer_json_parse (replaced, -1, &error);
    g_assert_no_error (error);
  }
  docs = json_array_ref (json_node_get_array (node));
  results = mer_store_bulk_docs (store, docs, FALSE, "test", &error);
  g_assert_no_error (error);
  /* The lie (a digest of other bytes without gzip) and the stub of a
   * document that has nothing are refused, each alone. */
  g_assert_cmpuint (json_array_get_length (results), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 0), "id"), ==, "note:lie");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 1), "error"), ==, "missing_stub");

  leaves = mer_store_get_leaf_revs (store, "note:r", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (leaves), ==, 2);
  assert_bytes (store, "note:r", "2-bb", "a.png", "side a");
  assert_bytes (store, "note:r", "2-cc", "b.png", "side b");
  assert_bytes (store, "note:r", "2-bb", "base.txt", "base");
  assert_bytes (store, "note:r", "2-cc", "base.txt", "base");
  {
    g_autoptr(MerAttachment) gz = mer_store_get_attachment (store, "note:gz", NULL, "t.txt", &error);
    g_autoptr(GBytes) bytes = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (gz->digest, ==, "md5-q2Fc3H1mF2lcwJQ5UTXyAA==");
    g_assert_cmpstr (gz->encoding, ==, "gzip");
    bytes = mer_store_read_blob (store, gz->blob, &error);
    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "text", 4);
  }
  g_assert_cmpstr (a, !=, base);
  assert_integrity (store);
  mer_test_rm_rf (dir);
}

/* The rule: a blob goes when no revision (leaf or history) and no draft
 * names it, and not before. */
static void
test_collection_rule (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) doc = doc_with ("note:gc", NULL, "old.txt", "old bytes");
  g_autoptr(GBytes) draft = g_bytes_new_static ("draft bytes", 11);
  g_autoptr(GBytes) shared = g_bytes_new_static ("old bytes", 9);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = put (store, doc);
  g_autofree char *digest = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  guint removed = 99;

  mer_store_set_revs_limit (store, 2);
  /* Dropped from the leaf, still named by the history. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) edit = mer_test_object ("{\"_id\":\"note:gc\",\"title\":\"edit\"}");
      g_autofree char *next = NULL;

      json_object_set_string_member (edit, "_rev", rev);
      json_object_set_int_member (edit, "n", i);
      next = put (store, edit);
      g_free (rev);
      rev = g_steal_pointer (&next);
      if (i == 0)
        {
          g_assert_cmpint (mer_store_count_blobs (store, NULL), ==, 1);
          g_assert_true (mer_store_collect_garbage (store, &removed, &error));
          g_assert_cmpuint (removed, ==, 0);
        }
    }
  /* Past revs_limit the revision that named it is pruned: gone. */
  g_assert_cmpint (mer_store_count_blobs (store, NULL), ==, 0);

  /* A draft keeps its bytes until it goes. */
  digest = mer_store_put_local_attachment (store, "_local/draft:1", "d.png", "image/png", draft, &error);
  g_assert_no_error (error);
  g_free (mer_store_put_local_attachment (store, "_local/draft:1", "same.txt", NULL, shared, &error));
  listed = mer_store_list_local_attachments (store, "_local/draft:1", &error);
  g_assert_cmpuint (listed->len, ==, 2);
  g_assert_cmpint (mer_store_count_blobs (store, NULL), ==, 2);
  g_assert_true (mer_store_collect_garbage (store, &removed, &error));
  g_assert_cmpuint (removed, ==, 0);
  /* A page published from the draft names the draft's bytes by digest. */
  {
    g_autofree char *json = g_strdup_printf ("{\"_id\":\"note:pub\",\"_attachments\":{\"d.png\":"
                                             "{\"stub\":true,\"content_type\":\"image/png\",\"digest\":\"%s\"}}}", digest);
    g_autoptr(JsonObject) pub = mer_test_object (json);
    g_autofree char *pub_rev = put (store, pub);

    assert_bytes (store, "note:pub", NULL, "d.png", "draft bytes");
  }
  g_assert_true (mer_store_delete_local (store, "_local/draft:1", &error));
  g_assert_no_error (error);
  /* "draft bytes" stay (the page names them), "old bytes" go. */
  g_assert_cmpint (mer_store_count_blobs (store, NULL), ==, 1);
  assert_bytes (store, "note:pub", NULL, "d.png", "draft bytes");
  assert_integrity (store);
  mer_test_rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* Crash safety */

/* The child: writes, replaces and removes attachments until killed. */
static int
run_writer (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = mer_store_open (dir, &error);
  g_autofree char *rev = NULL;
  guint8 *big = g_malloc (2 * 1024 * 1024);

  g_assert_no_error (error);
  mer_store_set_revs_limit (store, 3);
  {
    g_autoptr(JsonObject) current = mer_store_get_doc (store, "note:crash", NULL, MER_GET_DEFAULT, NULL);

    if (current != NULL)
      rev = g_strdup (mer_json_get_string (current, "_rev"));
  }
  for (guint i = 0;; i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *name = g_strdup_printf ("f%u.bin", i % 4);
      char *next;

      memset (big, (int) i, 2 * 1024 * 1024);
      bytes = g_bytes_new (big, 512 * 1024 + (i % 7) * 100000);
      next = mer_store_put_attachment (store, "note:crash", rev, name, "application/octet-stream", bytes, &error);
      g_assert_no_error (error);
      g_free (rev);
      rev = next;
      if (i % 3 == 2)
        {
          next = mer_store_delete_attachment (store, "note:crash", rev, name, &error);
          g_assert_no_error (error);
          g_free (rev);
          rev = next;
        }
      if (i == 3)
        {
          g_print ("ready\n");
          fflush (stdout);
        }
    }
  return 0;
}

static void
test_kill_while_writing (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("att-crash");
  guint complete = 0;

  for (guint round = 0; round < 6; round++)
    {
      g_autoptr(GSubprocess) child = mer_test_spawn_self_until ("--child-writer", dir, "ready");
      g_autoptr(MerStore) store = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = NULL;

      g_usleep (g_random_int_range (0, 400) * 1000);
      mer_test_kill_hard (child);
      store = mer_store_open (dir, &error);
      g_assert_no_error (error);
      assert_integrity (store);
      doc = mer_store_get_doc (store, "note:crash", NULL, MER_GET_DEFAULT, &error);
      g_assert_no_error (error);
      /* Every attachment of the winner reads back whole. */
      if (json_object_has_member (doc, "_attachments"))
        {
          JsonObject *atts = json_object_get_object_member (doc, "_attachments");
          g_autoptr(GList) names = json_object_get_members (atts);

          for (GList *l = names; l != NULL; l = l->next)
            {
              g_autoptr(MerAttachment) att = mer_store_get_attachment (store, "note:crash", NULL, l->data, &error);
              g_autoptr(GBytes) bytes = NULL;
              g_autofree char *digest = NULL;

              g_assert_no_error (error);
              bytes = mer_store_read_blob (store, att->blob, &error);
              g_assert_no_error (error);
              digest = mer_attachment_digest (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
              g_assert_cmpstr (digest, ==, att->digest);
              complete++;
            }
        }
      /* Nothing is left over that no revision names. */
      {
        guint removed = 0;

        g_assert_true (mer_store_collect_garbage (store, &removed, &error));
        g_assert_cmpuint (removed, ==, 0);
      }
    }
  g_assert_cmpuint (complete, >, 0);
  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--child-writer"))
    return run_writer (argv[2]);

  mer_test_init (&argc, &argv);
  g_test_add_func ("/store-attachments/stubs-across-revisions", test_stubs_across_revisions);
  g_test_add_func ("/store-attachments/put-and-delete-one", test_put_and_delete_one);
  g_test_add_func ("/store-attachments/dedup", test_dedup);
  g_test_add_func ("/store-attachments/refusals", test_refusals);
  g_test_add_func ("/store-attachments/replicated", test_replicated);
  g_test_add_func ("/store-attachments/collection-rule", test_collection_rule);
  g_test_add_func ("/store-attachments/kill-while-writing", test_kill_while_writing);
  return g_test_run ();
}
