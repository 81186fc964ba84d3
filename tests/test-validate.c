/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-json.h"
#include "mer-revision.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-test-util.h"
#include "mer-validate.h"

#include <string.h>

typedef struct
{
  const char *json;
  int         code;   /* -1 valid, else the MerStoreError code */
} Case;

#define OK  (-1)
#define BAD MER_STORE_ERROR_BAD_REQUEST
#define NO  MER_STORE_ERROR_FORBIDDEN

static const Case doc_cases[] = {
  /* ids */
  { "{\"_id\":\"x\"}", OK },
  { "{\"_id\":\"\"}", BAD },
  { "{\"_id\":1}", BAD },
  { "{}", BAD },
  { "{\"_id\":\"a\\u0001b\"}", BAD },
  { "{\"_id\":\"a\\nb\"}", BAD },
  { "{\"_id\":\"a\\u0085b\"}", BAD },
  { "{\"_id\":\"_foo\"}", BAD },
  { "{\"_id\":\"_local/x\"}", BAD },
  { "{\"_id\":\"_design/x\"}", NO },
  { "{\"_id\":\"page:\",\"type\":\"page\",\"title\":\"t\",\"path\":\"p\",\"body\":\"b\"}", BAD },
  { "{\"_id\":\"ünïcødé ok/with%slash\"}", OK },
  /* revisions */
  { "{\"_id\":\"x\",\"_rev\":\"1-abc\"}", OK },
  { "{\"_id\":\"x\",\"_rev\":\"0-abc\"}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"1-\"}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"-abc\"}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"a-abc\"}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"1-ab/c\"}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"1234567890-abc\"}", BAD },
  { "{\"_id\":\"x\",\"_rev\":3}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[\"b\",\"a\"]}}", OK },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":3,\"ids\":[\"b\",\"a\"]}}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[\"c\",\"a\"]}}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"1-b\",\"_revisions\":{\"start\":1,\"ids\":[\"b\",\"a\"]}}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[]}}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":2,\"ids\":[\"b\",5]}}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":[1]}", BAD },
  { "{\"_id\":\"x\",\"_rev\":\"2-b\",\"_revisions\":{\"start\":\"2\",\"ids\":[\"b\"]}}", BAD },
  /* special members */
  { "{\"_id\":\"x\",\"_deleted\":true}", OK },
  { "{\"_id\":\"x\",\"_deleted\":\"yes\"}", BAD },
  { "{\"_id\":\"x\",\"_foo\":1}", BAD },
  { "{\"_id\":\"x\",\"_attachments\":{}}", OK },
  { "{\"_id\":\"x\",\"_attachments\":[]}", BAD },
  { "{\"_id\":\"x\",\"_conflicts\":[\"1-a\"]}", OK },
  /* types */
  { "{\"_id\":\"note:1\",\"type\":\"note\",\"anything\":[1,2]}", OK },
  { "{\"_id\":\"x\",\"type\":\"page\",\"title\":\"t\",\"path\":\"p\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"person\",\"tz\":\"UTC\"}", NO },
  { "{\"_id\":\"page:a\",\"title\":\"t\",\"path\":\"p\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"p\",\"body\":\"b\"}", OK },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"p\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":1,\"path\":\"p\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"_deleted\":true}", OK },
  /* page paths: nothing that climbs out of a folder or no file can carry */
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"Team/Notes.md\",\"body\":\"b\"}", OK },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a/.hidden/b\",\"body\":\"b\"}", OK },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a..b/c.d\",\"body\":\"b\"}", OK },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"../etc\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a/../b\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a/..\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"./a\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a/./b\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\".\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a//b\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a/\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"/etc/passwd\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a\\\\b\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a\\u0001b\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a\\tb\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"t\",\"path\":\"a\\u007fb\",\"body\":\"b\"}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"Asia/Kathmandu\","
    "\"work\":{\"mon\":[[\"09:00\",\"17:00\"]],\"sun\":[]},\"focus\":{\"mon\":[[\"09:00\",\"11:30\"]]}}", OK },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"22:00\",\"24:00\"]]}}", OK },
  { "{\"_id\":\"person:ana\",\"type\":\"person\"}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":5}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":{\"monday\":[]}}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"17:00\",\"09:00\"]]}}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"09:00\"]]}}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"9:00\",\"17:00\"]]}}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":{\"mon\":[[\"09:00\",\"24:30\"]]}}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"focus\":{\"mon\":[\"09:00\",\"10:00\"]}}", NO },
  { "{\"_id\":\"person:ana\",\"type\":\"person\",\"tz\":\"UTC\",\"work\":[]}", NO },
  { "{\"_id\":\"proposal:p\",\"type\":\"proposal\",\"status\":\"open\"}", OK },
  { "{\"_id\":\"proposal:p\",\"type\":\"proposal\",\"status\":\"maybe\"}", NO },
  { "{\"_id\":\"proposal:p\",\"type\":\"proposal\"}", NO },
  { "{\"_id\":\"comment:c\",\"type\":\"comment\",\"on\":\"proposal:p\",\"author\":\"person:ana\",\"body\":\"+1\"}", OK },
  { "{\"_id\":\"comment:c\",\"type\":\"comment\",\"on\":\"proposal:p\",\"author\":\"person:ana\",\"body\":\"+1\",\"stance\":\"agree\"}", OK },
  { "{\"_id\":\"comment:c\",\"type\":\"comment\",\"on\":\"proposal:p\",\"author\":\"person:ana\",\"body\":\"+1\",\"stance\":\"meh\"}", NO },
  { "{\"_id\":\"comment:c\",\"type\":\"comment\",\"on\":\"proposal:p\",\"body\":\"+1\"}", NO },
  { "{\"_id\":\"comment:c\",\"type\":\"comment\",\"on\":\"\",\"author\":\"a\",\"body\":\"+1\"}", NO },
  { "{\"_id\":\"decision:d\",\"type\":\"decision\",\"status\":\"accepted\",\"title\":\"Use X\"}", OK },
  { "{\"_id\":\"decision:d\",\"type\":\"decision\",\"status\":\"open\"}", NO },
  { "{\"_id\":\"decision:d\",\"_rev\":\"1-a\",\"_deleted\":true}", NO },
  { "{\"_id\":\"seen:person:ana:page:a\",\"type\":\"seen\",\"person\":\"person:ana\"}", OK },
};

static void
test_docs (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (doc_cases); i++)
    {
      g_autoptr(JsonObject) doc = mer_test_object (doc_cases[i].json);
      g_autoptr(GError) error = NULL;
      gboolean ok = mer_validate_doc (doc, NULL, &error);

      if (doc_cases[i].code == OK)
        {
          if (!ok)
            g_error ("case %u %s: unexpected error %s", i, doc_cases[i].json, error->message);
        }
      else
        {
          if (ok)
            g_error ("case %u %s: accepted", i, doc_cases[i].json);
          if (!g_error_matches (error, MER_STORE_ERROR, doc_cases[i].code))
            g_error ("case %u %s: wrong error %s (code %d)", i, doc_cases[i].json, error->message, error->code);
          g_assert_cmpstr (error->message, !=, "");
        }
    }
}

static void
test_id_limits (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *long_id = g_strnfill (513, 'a');
  char bad_utf8[] = { 'a', (char) 0xc3, 0 };

  g_assert_true (mer_validate_id (long_id + 1, NULL));
  g_assert_false (mer_validate_id (long_id, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (mer_validate_id (bad_utf8, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (mer_validate_id (NULL, &error));
  g_clear_error (&error);

  g_assert_true (mer_validate_local_id ("_local/abc=", NULL));
  g_assert_false (mer_validate_local_id ("_local/", NULL));
  g_assert_false (mer_validate_local_id ("local/x", NULL));

  g_assert_cmpstr (mer_validate_type_of_id ("page:a"), ==, "page");
  g_assert_cmpstr (mer_validate_type_of_id ("seen:person:a:page:b"), ==, "seen");
  g_assert_null (mer_validate_type_of_id ("pages:a"));
  g_assert_null (mer_validate_type_of_id ("page"));
}

static void
test_size_and_depth (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) big = mer_test_object ("{\"_id\":\"x\"}");
  g_autofree char *blob = g_strnfill (MER_VALIDATE_MAX_DOC_BYTES, 'x');
  GString *deep = g_string_new ("{\"_id\":\"x\",\"a\":");
  g_autoptr(JsonObject) deep_doc = NULL;
  g_autofree char *deep_text = NULL;

  json_object_set_string_member (big, "blob", blob);
  g_assert_false (mer_validate_doc (big, NULL, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_TOO_LARGE);
  g_clear_error (&error);

  for (int i = 0; i < MER_VALIDATE_MAX_DEPTH + 1; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < MER_VALIDATE_MAX_DEPTH + 1; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  deep_text = g_string_free (deep, FALSE);
  deep_doc = mer_test_object (deep_text);
  g_assert_false (mer_validate_doc (deep_doc, NULL, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  /* The text scanner: depth outside strings only, UTF-8, no NUL. */
  g_assert_true (mer_validate_json_text ("{\"a\":\"[[[[[\"}", 13, 2, NULL));
  g_assert_false (mer_validate_json_text ("[[[1]]]", 7, 2, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_true (mer_validate_json_text ("{\"a\":\"\\\"[[[\"}", 13, 1, NULL));
  g_assert_false (mer_validate_json_text ("{\"a\":\"\xff\"}", 9, 4, NULL));
  g_assert_false (mer_validate_json_text ("{\"a\":1}\0", 8, 4, NULL));
  g_assert_false (mer_validate_json_text ("", 0, 4, NULL));
}

/* Decisions are never edited, not even to mark them superseded. */
static void
test_decision_immutable (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"decision:d\",\"type\":\"decision\",\"status\":\"accepted\","
                                               "\"title\":\"Use X\",\"decision\":\"We use X\",\"superseded_by\":null}");
  g_autoptr(JsonObject) edit = NULL;
  g_autoptr(JsonObject) supersede = NULL;
  g_autoptr(JsonObject) replay = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  g_assert_true (mer_validate_write (store, doc, TRUE, &error));
  g_assert_no_error (error);
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);

  edit = mer_store_get_doc (store, "decision:d", NULL, MER_GET_DEFAULT, &error);
  json_object_set_string_member (edit, "decision", "We use Y");
  g_assert_false (mer_validate_write (store, edit, TRUE, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN);
  g_clear_error (&error);

  json_object_set_string_member (edit, "decision", "We use X");
  json_object_set_string_member (edit, "status", "rejected");
  g_assert_false (mer_validate_write (store, edit, TRUE, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN);
  g_clear_error (&error);

  json_object_set_string_member (edit, "new_field", "x");
  json_object_set_string_member (edit, "status", "superseded");
  g_assert_false (mer_validate_write (store, edit, TRUE, &error));
  g_clear_error (&error);

  /* Not even the supersede mark: supersession is the newer decision's to
   * record, so no peer can point a decision at one that does not exist. */
  supersede = mer_store_get_doc (store, "decision:d", NULL, MER_GET_DEFAULT, &error);
  json_object_set_string_member (supersede, "status", "superseded");
  json_object_set_string_member (supersede, "superseded_by", "decision:e");
  g_assert_false (mer_validate_write (store, supersede, TRUE, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN);
  g_clear_error (&error);
  json_object_set_string_member (supersede, "status", "accepted");
  g_assert_false (mer_validate_write (store, supersede, TRUE, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* A replicated edit is held to the same rule, through its parent. */
  replay = mer_test_object ("{\"_id\":\"decision:d\",\"type\":\"decision\",\"status\":\"accepted\","
                            "\"title\":\"Use Z\",\"decision\":\"We use X\",\"superseded_by\":null}");
  {
    g_autofree char *parent_hash = g_strdup (strchr (rev, '-') + 1);
    g_autofree char *json = g_strdup_printf ("{\"start\":2,\"ids\":[\"%s\",\"%s\"]}",
                                             "0123456789abcdef0123456789abcdef", parent_hash);
    json_object_set_string_member (replay, "_rev", "2-0123456789abcdef0123456789abcdef");
    json_object_set_member (replay, "_revisions", mer_json_parse (json, -1, NULL));
  }
  g_assert_false (mer_validate_write (store, replay, FALSE, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* The revision the store already holds passes again (replays). */
  json_object_set_string_member (doc, "_rev", rev);
  g_assert_true (mer_validate_write (store, doc, FALSE, &error));
  g_assert_no_error (error);

  mer_test_rm_rf (dir);
}

static void
assert_refused (GError     *error,
                const char *reason_part)
{
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, reason_part));
}

/* A replicated revision of decision:att on @parent (whose hash is that of
 * rev @parent) with @attachments, as a peer would send it. */
static JsonObject *
peer_revision (const char *parent,
               const char *attachments)
{
  g_autofree char *json = g_strdup_printf ("{\"_id\":\"decision:att\",\"_rev\":\"2-0123456789abcdef0123456789abcdef\","
                                           "\"_revisions\":{\"start\":2,\"ids\":[\"0123456789abcdef0123456789abcdef\",\"%s\"]},"
                                           "\"type\":\"decision\",\"status\":\"accepted\",\"title\":\"Logo\"%s%s}",
                                           strchr (parent, '-') + 1, attachments != NULL ? ",\"_attachments\":" : "",
                                           attachments != NULL ? attachments : "");

  return mer_test_object (json);
}

/*
 * A decision's attachments never change: neither the app nor a peer may
 * add, remove or replace one; carrying them on as stubs is no change.
 */
static void
test_decision_attachments (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"decision:att\",\"type\":\"decision\",\"status\":\"accepted\","
                                               "\"title\":\"Logo\",\"_attachments\":{\"logo.png\":"
                                               "{\"content_type\":\"image/png\",\"data\":\"aGVsbG8=\"}}}");
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GBytes) other = g_bytes_new_static ("world", 5);
  g_autoptr(GBytes) same = g_bytes_new_static ("hello", 5);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *rev2 = NULL;
  g_autofree char *no_rev = NULL;
  const char *digest;

  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  stored = mer_store_get_doc (store, "decision:att", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  digest = mer_json_get_string (json_object_get_object_member (json_object_get_object_member (stored, "_attachments"),
                                                               "logo.png"), "digest");
  g_assert_cmpstr (digest, ==, "md5-XUFAKrxLKna5cZ2REBfFkg==");

  /* Carried on as a stub (or the same bytes again): no change. */
  again = mer_test_object ("{\"_id\":\"decision:att\",\"type\":\"decision\",\"status\":\"accepted\","
                           "\"title\":\"Logo\",\"_attachments\":{\"logo.png\":{\"stub\":true}}}");
  json_object_set_string_member (again, "_rev", rev);
  g_assert_true (mer_validate_write (store, again, TRUE, &error));
  g_assert_no_error (error);
  json_object_set_member (again, "_attachments",
                          mer_json_parse ("{\"logo.png\":{\"content_type\":\"image/png\",\"data\":\"aGVsbG8=\"}}", -1, NULL));
  g_assert_true (mer_validate_write (store, again, TRUE, &error));
  g_assert_no_error (error);

  /* From the app: add, replace, remove; each refused with its reason. */
  no_rev = mer_store_put_attachment (store, "decision:att", rev, "extra.pdf", "application/pdf", same, &error);
  g_assert_null (no_rev);
  assert_refused (error, "attachments never change: extra.pdf would be added");
  g_clear_error (&error);
  no_rev = mer_store_put_attachment (store, "decision:att", rev, "logo.png", "image/png", other, &error);
  g_assert_null (no_rev);
  assert_refused (error, "logo.png would be replaced");
  g_clear_error (&error);
  no_rev = mer_store_delete_attachment (store, "decision:att", rev, "logo.png", &error);
  g_assert_null (no_rev);
  assert_refused (error, "logo.png would be removed");
  g_clear_error (&error);
  json_object_set_member (again, "_attachments",
                          mer_json_parse ("{\"logo.png\":{\"content_type\":\"image/png\",\"data\":\"d29ybGQ=\"}}", -1, NULL));
  no_rev = mer_store_put_doc (store, again, &error);
  g_assert_null (no_rev);
  assert_refused (error, "logo.png would be replaced");
  g_clear_error (&error);
  json_object_remove_member (again, "_attachments");
  no_rev = mer_store_put_doc (store, again, &error);
  g_assert_null (no_rev);
  assert_refused (error, "logo.png would be removed");
  g_clear_error (&error);
  /* A stub naming other bytes is a replacement too. */
  json_object_set_member (again, "_attachments",
                          mer_json_parse ("{\"logo.png\":{\"stub\":true,\"digest\":\"md5-fXkwN6B2AYZXSwKC8vQ15w==\"}}",
                                          -1, NULL));
  g_assert_false (mer_validate_write (store, again, TRUE, &error));
  assert_refused (error, "logo.png would be replaced");
  g_clear_error (&error);

  /* From a peer: a replicated child of the decision, whole or as the
   * replicator's revision, with one more attachment, none, or another. */
  {
    const char *cases[][2] = {
      { "{\"logo.png\":{\"stub\":true,\"digest\":\"md5-XUFAKrxLKna5cZ2REBfFkg==\",\"revpos\":1},"
        "\"x.png\":{\"content_type\":\"image/png\",\"data\":\"aGVsbG8=\"}}", "x.png would be added" },
      { NULL, "logo.png would be removed" },
      { "{\"logo.png\":{\"content_type\":\"image/png\",\"data\":\"d29ybGQ=\",\"revpos\":2}}", "logo.png would be replaced" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(JsonObject) peer = peer_revision (rev, cases[i][0]);
        g_autoptr(MerRevision) revision = mer_revision_new_from_doc (peer);

        g_assert_false (mer_store_put_revision (store, peer, &error));
        assert_refused (error, cases[i][1]);
        g_clear_error (&error);
        g_assert_false (mer_validate_revision (store, revision, &error));
        assert_refused (error, cases[i][1]);
        g_clear_error (&error);
      }
  }
  /* A peer carrying it on unchanged is no edit. */
  {
    g_autoptr(JsonObject) peer = peer_revision (rev, "{\"logo.png\":{\"stub\":true,"
                                                     "\"digest\":\"md5-XUFAKrxLKna5cZ2REBfFkg==\",\"revpos\":1}}");
    g_autoptr(MerRevision) revision = mer_revision_new_from_doc (peer);

    g_assert_true (mer_validate_revision (store, revision, &error));
    g_assert_no_error (error);
  }

  /* Nothing changed: one revision, one attachment, the first bytes. */
  g_clear_pointer (&stored, json_object_unref);
  stored = mer_store_get_doc (store, "decision:att", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (stored, "_rev"), ==, rev);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (stored, "_attachments")), ==, 1);

  /* A decision made without attachments never gets one. */
  g_clear_pointer (&doc, json_object_unref);
  doc = mer_test_object ("{\"_id\":\"decision:bare\",\"type\":\"decision\",\"status\":\"accepted\",\"title\":\"Bare\"}");
  rev2 = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  no_rev = mer_store_put_attachment (store, "decision:bare", rev2, "late.png", "image/png", same, &error);
  g_assert_null (no_rev);
  assert_refused (error, "late.png would be added");
  g_clear_error (&error);

  /* Other documents keep taking attachments. */
  g_clear_pointer (&doc, json_object_unref);
  doc = mer_test_object ("{\"_id\":\"page:p\",\"type\":\"page\",\"title\":\"P\",\"path\":\"p\",\"body\":\"b\"}");
  g_free (rev2);
  rev2 = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  no_rev = mer_store_put_attachment (store, "page:p", rev2, "shot.png", "image/png", same, &error);
  g_assert_no_error (error);
  g_assert_nonnull (no_rev);

  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/validate/docs", test_docs);
  g_test_add_func ("/validate/id-limits", test_id_limits);
  g_test_add_func ("/validate/size-and-depth", test_size_and_depth);
  g_test_add_func ("/validate/decision-immutable", test_decision_immutable);
  g_test_add_func ("/validate/decision-attachments", test_decision_attachments);
  return g_test_run ();
}
