/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `meridian hub` against a real Apache CouchDB: one node is started for
 * the whole program (on a free port, in a fresh folder) and stopped at the
 * end, also when an assertion aborts. The hub's rules are then tried as a
 * plain HTTP client would, bypassing Meridian.
 */
#include "config.h"

#include "mer-json.h"
#include "mer-store-attachments.h"
#include "mer-test-couch.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <string.h>

static MerTestCouch *couch;
static guint16 couch_port;
static char *hub_url;  /* http://127.0.0.1:PORT/team */

/* One HTTP request as NAME:PASSWORD (or none); returns the JSON answer. */
static JsonNode *
http (const char *method,
      const char *path,
      const char *user,
      const char *password,
      const char *body,
      guint      *status)
{
  return mer_test_couch_request (couch, 0, method, path, user, password, body, status);
}

static char *
rev_of (const char *path,
        const char *user,
        const char *password)
{
  guint status = 0;
  g_autoptr(JsonNode) doc = http ("GET", path, user, password, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return g_strdup (mer_json_get_string (json_node_get_object (doc), "_rev"));
}

/*
 * Whether CouchDB may be used: one node for the whole program, started on
 * first use. Without it the case fails (or skips).
 */
static gboolean
have_couch (void)
{
  if (couch != NULL)
    return TRUE;
  if (!mer_test_couch_available ())
    return FALSE;
  couch = mer_test_couch_start (1);
  couch_port = couch->nodes[0].port;
  hub_url = g_strdup_printf ("http://127.0.0.1:%u/team", couch_port);
  return TRUE;
}

static gboolean
array_has (JsonArray  *array,
           const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

/* Sets up the hub and adds ana (rw) and rhea (ro); every case needs them. */
static void
ensure_hub (void)
{
  static gboolean done;
  g_autofree char *out = NULL;

  if (done)
    return;
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", &out, "hub", "setup", hub_url, NULL), ==, 0);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\nana-pw\n", NULL, "hub", "add-user", hub_url, "ana", NULL), ==, 0);
  g_assert_cmpint (mer_test_run_meridian_input ("secret\nrhea-pw\n", NULL, "hub", "add-user", hub_url, "rhea",
                            "--role", "ro", "--admin", "admin", NULL), ==, 0);
  done = TRUE;
}

static void
test_setup (void)
{
  g_autoptr(JsonNode) security = NULL;
  g_autoptr(JsonNode) design = NULL;
  g_autofree char *out = NULL;
  g_autofree char *bad_url = NULL;
  JsonObject *object;
  guint status = 0;

  if (!have_couch ())
    return;

  /* Credentials in the URL and a wrong password change nothing. */
  bad_url = g_strdup_printf ("http://admin:secret@127.0.0.1:%u/team", couch_port);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", NULL, "hub", "setup", bad_url, NULL), !=, 0);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:wrong\n", NULL, "hub", "setup", hub_url, NULL), !=, 0);
  g_assert_cmpint (mer_test_run_meridian_input ("", NULL, "hub", "setup", hub_url, NULL), !=, 0);
  g_clear_pointer (&security, json_node_unref);
  security = http ("GET", "/team", "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 404);

  ensure_hub ();
  g_clear_pointer (&security, json_node_unref);
  security = http ("GET", "/team/_security", "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = json_node_get_object (security);
  g_assert_true (array_has (json_object_get_array_member (json_object_get_object_member (object, "members"), "roles"),
                            "meridian-team"));
  g_assert_true (array_has (json_object_get_array_member (json_object_get_object_member (object, "admins"), "names"),
                            "admin"));

  design = http ("GET", "/team/_design/meridian", "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = json_node_get_object (design);
  g_assert_cmpstr (mer_json_get_string (object, "language"), ==, "javascript");
  g_assert_true (g_str_has_prefix (mer_json_get_string (object, "validate_doc_update"), "function"));
  g_assert_nonnull (strstr (mer_json_get_string (object, "validate_doc_update"), "decisions are never edited"));

  /* Outsiders read nothing. */
  g_clear_pointer (&design, json_node_unref);
  design = http ("GET", "/team/_all_docs", NULL, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 401);
}

static void
assert_forbidden (JsonNode   *answer,
                  guint       status,
                  const char *reason_part)
{
  const char *reason = mer_json_get_string (json_node_get_object (answer), "reason");

  g_assert_cmpuint (status, ==, 403);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "error"), ==, "forbidden");
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, reason_part));
}

static void
test_rules (void)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *body = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  ensure_hub ();

#define TRY(method, path, user, password, json) \
  G_STMT_START { \
    g_clear_pointer (&answer, json_node_unref); \
    answer = http (method, path, user, password, json, &status); \
  } G_STMT_END

  /* A valid page is stored. */
  TRY ("PUT", "/team/page:rules", "ana", "ana-pw",
       "{\"type\":\"page\",\"title\":\"Rules\",\"path\":\"rules\",\"body\":\"x\",\"owner\":\"person:ana\"}");
  g_assert_cmpuint (status, ==, 201);
  /* Shapes: a page without a body, a comment with a bad stance. */
  TRY ("PUT", "/team/page:nobody", "ana", "ana-pw", "{\"type\":\"page\",\"title\":\"T\",\"path\":\"p\"}");
  assert_forbidden (answer, status, "a page needs string title, path and body");
  TRY ("PUT", "/team/comment:bad", "ana", "ana-pw",
       "{\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:ana\",\"body\":\"b\",\"stance\":\"meh\"}");
  assert_forbidden (answer, status, "stance");
  TRY ("PUT", "/team/rules", "ana", "ana-pw", "{\"type\":\"page\",\"title\":\"T\",\"path\":\"p\",\"body\":\"b\"}");
  assert_forbidden (answer, status, "must start with");

  /* A decision is written once and never rewritten nor deleted. */
  TRY ("PUT", "/team/decision:one", "ana", "ana-pw",
       "{\"type\":\"decision\",\"title\":\"One\",\"status\":\"accepted\",\"decision\":\"We do X\"}");
  g_assert_cmpuint (status, ==, 201);
  rev = rev_of ("/team/decision:one", "ana", "ana-pw");
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"One\","
                          "\"status\":\"accepted\",\"decision\":\"We do Y\"}", rev);
  TRY ("PUT", "/team/decision:one", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "decisions are never edited");
  /* Not even a server admin may rewrite it. */
  TRY ("PUT", "/team/decision:one", "admin", "secret", body);
  assert_forbidden (answer, status, "decisions are never edited");
  g_free (body);
  body = g_strdup_printf ("/team/decision:one?rev=%s", rev);
  TRY ("DELETE", body, "ana", "ana-pw", NULL);
  assert_forbidden (answer, status, "never deleted");
  /* Supersession is a new decision. */
  TRY ("PUT", "/team/decision:two", "ana", "ana-pw",
       "{\"type\":\"decision\",\"title\":\"Two\",\"status\":\"accepted\",\"supersedes\":\"decision:one\"}");
  g_assert_cmpuint (status, ==, 201);

  /* Comments (and so stances) only by their author. */
  TRY ("PUT", "/team/comment:forged", "ana", "ana-pw",
       "{\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:bo\",\"body\":\"b\",\"stance\":\"agree\"}");
  assert_forbidden (answer, status, "only be written by its author");
  TRY ("PUT", "/team/comment:own", "ana", "ana-pw",
       "{\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:ana\",\"body\":\"b\",\"stance\":\"agree\"}");
  g_assert_cmpuint (status, ==, 201);

  /* A person's schedule only by that person. */
  TRY ("PUT", "/team/person:bo", "admin", "secret",
       "{\"type\":\"person\",\"name\":\"Bo\",\"tz\":\"Europe/Oslo\",\"work\":{\"mon\":[[\"09:00\",\"17:00\"]]}}");
  g_assert_cmpuint (status, ==, 201);
  g_free (rev);
  rev = rev_of ("/team/person:bo", "ana", "ana-pw");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"person\",\"name\":\"Bo\",\"tz\":\"Europe/Oslo\","
                          "\"work\":{\"mon\":[[\"06:00\",\"22:00\"]]}}", rev);
  TRY ("PUT", "/team/person:bo", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "only that person may change their schedule");
  TRY ("PUT", "/team/person:ana", "ana", "ana-pw",
       "{\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"America/Lima\",\"work\":{\"tue\":[[\"10:00\",\"09:00\"]]}}");
  assert_forbidden (answer, status, "weekdays");
  TRY ("PUT", "/team/person:ana", "ana", "ana-pw",
       "{\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"America/Lima\",\"work\":{\"tue\":[[\"09:00\",\"17:00\"]]}}");
  g_assert_cmpuint (status, ==, 201);

  /* A page's owner changes only by its owner or an admin. */
  TRY ("PUT", "/team/page:bos", "admin", "secret",
       "{\"type\":\"page\",\"title\":\"Bo's\",\"path\":\"bo\",\"body\":\"x\",\"owner\":\"person:bo\"}");
  g_assert_cmpuint (status, ==, 201);
  g_free (rev);
  rev = rev_of ("/team/page:bos", "ana", "ana-pw");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"Bo's\",\"path\":\"bo\","
                          "\"body\":\"x\",\"owner\":\"person:ana\"}", rev);
  TRY ("PUT", "/team/page:bos", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "owner");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"Bo's\",\"path\":\"bo\","
                          "\"body\":\"edited by ana\",\"owner\":\"person:bo\"}", rev);
  TRY ("PUT", "/team/page:bos", "ana", "ana-pw", body);
  g_assert_cmpuint (status, ==, 201);

  /* A read-only user reads but never writes. */
  TRY ("GET", "/team/page:rules", "rhea", "rhea-pw", NULL);
  g_assert_cmpuint (status, ==, 200);
  TRY ("PUT", "/team/page:rhea", "rhea", "rhea-pw",
       "{\"type\":\"page\",\"title\":\"R\",\"path\":\"r\",\"body\":\"x\"}");
  assert_forbidden (answer, status, "read-only");
#undef TRY
}

/* One inline attachment map of N small text files named PREFIX0, ... */
static char *
many_attachments (guint       n,
                  const char *prefix)
{
  GString *json = g_string_new ("{");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s\"%s%u\":{\"content_type\":\"text/plain\",\"data\":\"eA==\"}",
                            i > 0 ? "," : "", prefix, i);
  g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}

/*
 * The hub's attachment rules, tried with plain HTTP as a client that
 * bypasses Meridian would: names, counts and types on any document, a
 * decision's attachments fixed once written, and files on a comment only
 * from its author.
 */
static void
test_attachment_rules (void)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *long_name = NULL;
  g_autofree char *long_type = NULL;
  g_autofree char *atts = NULL;
  GString *name = g_string_new (NULL);
  guint status = 0;

  if (!have_couch ())
    return;
  ensure_hub ();

#define TRY(method, path, user, password, json) \
  G_STMT_START { \
    g_clear_pointer (&answer, json_node_unref); \
    answer = http (method, path, user, password, json, &status); \
  } G_STMT_END
#define PAGE "\"type\":\"page\",\"title\":\"T\",\"path\":\"p\",\"body\":\"b\""
#define PNG "{\"content_type\":\"image/png\",\"data\":\"aGVsbG8=\"}"
#define PNG2 "{\"content_type\":\"image/png\",\"data\":\"d29ybGQ=\"}"

  /* Names: "..", a leading "/", NUL, more than 255 bytes. */
  TRY ("PUT", "/team/page:att-dots", "ana", "ana-pw", "{" PAGE ",\"_attachments\":{\"../etc/x.png\":" PNG "}}");
  assert_forbidden (answer, status, "must not contain \"..\"");
  TRY ("PUT", "/team/page:att-dots", "ana", "ana-pw", "{" PAGE ",\"_attachments\":{\"img/a..b.png\":" PNG "}}");
  assert_forbidden (answer, status, "must not contain \"..\"");
  TRY ("PUT", "/team/page:att-slash", "ana", "ana-pw", "{" PAGE ",\"_attachments\":{\"/x.png\":" PNG "}}");
  assert_forbidden (answer, status, "must not start with \"/\"");
  TRY ("PUT", "/team/page:att-nul", "ana", "ana-pw", "{" PAGE ",\"_attachments\":{\"a\\u0000b.png\":" PNG "}}");
  assert_forbidden (answer, status, "must not contain NUL");
  /* 128 two-byte characters are 256 bytes though 128 characters. */
  for (guint i = 0; i < 128; i++)
    g_string_append (name, "é");
  long_name = g_string_free (g_steal_pointer (&name), FALSE);
  body = g_strdup_printf ("{" PAGE ",\"_attachments\":{\"%s\":" PNG "}}", long_name);
  TRY ("PUT", "/team/page:att-long", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "at most 255 bytes");
  /* 255 bytes is still a name. */
  g_free (body);
  body = g_strdup_printf ("{" PAGE ",\"_attachments\":{\"%.254sx\":" PNG "}}", long_name);
  TRY ("PUT", "/team/page:att-long", "ana", "ana-pw", body);
  g_assert_cmpuint (status, ==, 201);
  /* A bad name through CouchDB's own attachment URL is refused too. */
  rev = rev_of ("/team/page:att-long", "ana", "ana-pw");
  path = g_strdup_printf ("/team/page:att-long/..%%2Fup.json?rev=%s", rev);
  TRY ("PUT", path, "ana", "ana-pw", "{}");
  assert_forbidden (answer, status, "must not contain \"..\"");

  /* content_type: at most 255 bytes. */
  long_type = g_strnfill (256, 'x');
  g_free (body);
  body = g_strdup_printf ("{" PAGE ",\"_attachments\":{\"a.bin\":{\"content_type\":\"application/%s\","
                          "\"data\":\"eA==\"}}}", long_type);
  TRY ("PUT", "/team/page:att-type", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "content_type of attachment a.bin");

  /* At most 1000 attachments on a document. */
  atts = many_attachments (1001, "f");
  g_free (body);
  body = g_strdup_printf ("{" PAGE ",\"_attachments\":%s}", atts);
  TRY ("PUT", "/team/page:att-many", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "at most 1000 attachments");
  g_free (atts);
  atts = many_attachments (1000, "f");
  g_free (body);
  body = g_strdup_printf ("{" PAGE ",\"_attachments\":%s}", atts);
  TRY ("PUT", "/team/page:att-many", "ana", "ana-pw", body);
  g_assert_cmpuint (status, ==, 201);

  /* None of the refused documents exists. */
  TRY ("GET", "/team/page:att-dots", "ana", "ana-pw", NULL);
  g_assert_cmpuint (status, ==, 404);
  TRY ("GET", "/team/page:att-type", "ana", "ana-pw", NULL);
  g_assert_cmpuint (status, ==, 404);

  /* A decision may be written with attachments ... */
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw",
       "{\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\","
       "\"_attachments\":{\"logo.png\":" PNG "}}");
  g_assert_cmpuint (status, ==, 201);
  g_free (rev);
  rev = rev_of ("/team/decision:att", "ana", "ana-pw");
  /* ... repeated unchanged with its stub ... */
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\","
                          "\"_attachments\":{\"logo.png\":{\"stub\":true}}}", rev);
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw", body);
  g_assert_cmpuint (status, ==, 201);
  g_free (rev);
  rev = rev_of ("/team/decision:att", "ana", "ana-pw");
  /* ... but never given another attachment, not even by a server admin, */
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\","
                          "\"_attachments\":{\"logo.png\":{\"stub\":true},\"extra.png\":" PNG "}}", rev);
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "attachments never change: extra.png would be added");
  TRY ("PUT", "/team/decision:att", "admin", "secret", body);
  assert_forbidden (answer, status, "attachments never change: extra.png would be added");
  g_free (path);
  path = g_strdup_printf ("/team/decision:att/extra.json?rev=%s", rev);
  TRY ("PUT", path, "ana", "ana-pw", "{}");
  assert_forbidden (answer, status, "extra.json would be added");
  /* never lose one, */
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\"}", rev);
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "logo.png would be removed");
  g_free (path);
  path = g_strdup_printf ("/team/decision:att/logo.png?rev=%s", rev);
  TRY ("DELETE", path, "admin", "secret", NULL);
  assert_forbidden (answer, status, "logo.png would be removed");
  /* and never have one replaced, even by the same bytes sent again. */
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\","
                          "\"_attachments\":{\"logo.png\":" PNG2 "}}", rev);
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "logo.png would be replaced");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\","
                          "\"_attachments\":{\"logo.png\":{\"stub\":true,\"digest\":\"md5-AAAAAAAAAAAAAAAAAAAAAA==\","
                          "\"content_type\":\"image/png\",\"length\":5,\"revpos\":1}}}", rev);
  /* A stub claiming another digest is CouchDB's own stub: it keeps the
   * bytes it has, so nothing changes. */
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw", body);
  g_assert_cmpuint (status, ==, 201);
  TRY ("GET", "/team/decision:att", "ana", "ana-pw", NULL);
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (json_object_get_object_member (
                     json_node_get_object (answer), "_attachments"), "logo.png"), "digest"),
                   ==, "md5-XUFAKrxLKna5cZ2REBfFkg==");
  g_free (rev);
  rev = rev_of ("/team/decision:att", "ana", "ana-pw");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"decision\",\"title\":\"Logo\",\"status\":\"accepted\","
                          "\"_attachments\":{\"logo.png\":" PNG "}}", rev);
  TRY ("PUT", "/team/decision:att", "ana", "ana-pw", body);
  assert_forbidden (answer, status, "logo.png would be replaced");
  /* A decision that had none gets none. */
  TRY ("PUT", "/team/decision:bare", "ana", "ana-pw",
       "{\"type\":\"decision\",\"title\":\"Bare\",\"status\":\"accepted\"}");
  g_assert_cmpuint (status, ==, 201);
  g_free (rev);
  rev = rev_of ("/team/decision:bare", "ana", "ana-pw");
  g_free (path);
  path = g_strdup_printf ("/team/decision:bare/late.json?rev=%s", rev);
  TRY ("PUT", path, "admin", "secret", "{}");
  assert_forbidden (answer, status, "late.json would be added");
  TRY ("GET", "/team/decision:att", "ana", "ana-pw", NULL);
  g_assert_cmpuint (status, ==, 200);
  {
    JsonObject *stored = json_object_get_object_member (json_node_get_object (answer), "_attachments");

    g_assert_cmpuint (json_object_get_size (stored), ==, 1);
    g_assert_true (json_object_has_member (stored, "logo.png"));
  }

  /* Files on a comment only from its author: ana attaches to her own ... */
  TRY ("PUT", "/team/comment:att-ana", "ana", "ana-pw",
       "{\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:ana\",\"body\":\"see\","
       "\"_attachments\":{\"shot.png\":" PNG "}}");
  g_assert_cmpuint (status, ==, 201);
  g_free (rev);
  rev = rev_of ("/team/comment:att-ana", "ana", "ana-pw");
  /* ... cleo (a teammate, not its author) may not, in the doc or by URL ... */
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\ncleo-pw\n", NULL, "hub", "add-user", hub_url,
                                                "cleo", NULL), ==, 0);
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:ana\","
                          "\"body\":\"see\",\"_attachments\":{\"shot.png\":{\"stub\":true},\"mine.png\":" PNG "}}", rev);
  TRY ("PUT", "/team/comment:att-ana", "cleo", "cleo-pw", body);
  assert_forbidden (answer, status, "only be written by its author");
  g_free (path);
  path = g_strdup_printf ("/team/comment:att-ana/mine.json?rev=%s", rev);
  TRY ("PUT", path, "cleo", "cleo-pw", "{}");
  assert_forbidden (answer, status, "only be written by its author");
  /* ... nor may an admin put a file on it, though an admin may take one off. */
  TRY ("PUT", "/team/comment:att-ana", "admin", "secret", body);
  assert_forbidden (answer, status, "only the comment's author, person:ana, may attach files to it (mine.png)");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:ana\","
                          "\"body\":\"see\",\"_attachments\":{\"shot.png\":" PNG2 "}}", rev);
  TRY ("PUT", "/team/comment:att-ana", "admin", "secret", body);
  assert_forbidden (answer, status, "may attach files to it (shot.png)");
  TRY ("PUT", "/team/comment:att-bo", "admin", "secret",
       "{\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:bo\",\"body\":\"b\","
       "\"_attachments\":{\"x.png\":" PNG "}}");
  assert_forbidden (answer, status, "only the comment's author, person:bo, may attach files");
  g_free (path);
  path = g_strdup_printf ("/team/comment:att-ana/shot.png?rev=%s", rev);
  TRY ("DELETE", path, "admin", "secret", NULL);
  g_assert_cmpuint (status, ==, 200);
  /* Ana may add to and replace in her own comment. */
  g_free (rev);
  rev = rev_of ("/team/comment:att-ana", "ana", "ana-pw");
  g_free (body);
  body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"comment\",\"on\":\"page:rules\",\"author\":\"person:ana\","
                          "\"body\":\"see again\",\"_attachments\":{\"shot.png\":" PNG2 "}}", rev);
  TRY ("PUT", "/team/comment:att-ana", "ana", "ana-pw", body);
  g_assert_cmpuint (status, ==, 201);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", NULL, "hub", "remove-user", hub_url, "cleo", NULL),
                   ==, 0);
#undef PNG2
#undef PNG
#undef PAGE
#undef TRY
}

static void
test_setup_again (void)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  ensure_hub ();
  answer = http ("PUT", "/team/page:kept", "ana", "ana-pw",
                 "{\"type\":\"page\",\"title\":\"Kept\",\"path\":\"kept\",\"body\":\"still here\"}", &status);
  g_assert_cmpuint (status, ==, 201);
  before = rev_of ("/team/_design/meridian", "admin", "secret");

  g_assert_cmpint (mer_test_run_meridian_input ("secret\n", NULL, "hub", "setup", hub_url, "--admin", "admin", NULL), ==, 0);

  after = rev_of ("/team/_design/meridian", "admin", "secret");
  g_assert_cmpint (atoi (after), ==, atoi (before) + 1);
  g_clear_pointer (&answer, json_node_unref);
  answer = http ("GET", "/team/page:kept", "ana", "ana-pw", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "body"), ==, "still here");
  /* The rules still hold after the upgrade. */
  g_clear_pointer (&answer, json_node_unref);
  answer = http ("PUT", "/team/page:rhea", "rhea", "rhea-pw",
                 "{\"type\":\"page\",\"title\":\"R\",\"path\":\"r\",\"body\":\"x\"}", &status);
  assert_forbidden (answer, status, "read-only");
}

static void
test_users (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *out = NULL;
  g_autofree char *admin_url = NULL;
  JsonArray *list;
  gboolean saw_ana = FALSE, saw_rhea = FALSE;
  guint status = 0;

  if (!have_couch ())
    return;
  ensure_hub ();
  /* A user outside the team is not listed. */
  answer = http ("PUT", "/_users/org.couchdb.user:stranger", "admin", "secret",
                 "{\"name\":\"stranger\",\"type\":\"user\",\"roles\":[],\"password\":\"x\"}", &status);
  g_assert_cmpuint (status, ==, 201);

  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", &out, "hub", "list-users", hub_url, "--json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  list = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);
      const char *name = json_object_get_string_member (entry, "name");

      g_assert_true (array_has (json_object_get_array_member (entry, "roles"), "meridian-team"));
      if (g_strcmp0 (name, "ana") == 0)
        {
          saw_ana = TRUE;
          g_assert_cmpstr (json_object_get_string_member (entry, "role"), ==, "rw");
          g_assert_cmpstr (json_object_get_string_member (entry, "person"), ==, "person:ana");
        }
      else if (g_strcmp0 (name, "rhea") == 0)
        {
          saw_rhea = TRUE;
          g_assert_cmpstr (json_object_get_string_member (entry, "role"), ==, "ro");
          g_assert_true (array_has (json_object_get_array_member (entry, "roles"), "meridian-ro"));
        }
    }
  g_assert_true (saw_ana && saw_rhea);

  /* Bad names and a missing password change nothing. */
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", NULL, "hub", "add-user", hub_url, "cleo", NULL), !=, 0);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\npw\n", NULL, "hub", "add-user", hub_url, "_x", NULL), !=, 0);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\npw\n", NULL, "hub", "add-user", hub_url, "cleo",
                            "--role", "god", NULL), !=, 0);
  g_clear_pointer (&answer, json_node_unref);
  answer = http ("GET", "/_users/org.couchdb.user:cleo", "admin", "secret", NULL, &status);
  g_assert_cmpuint (status, ==, 404);

  /* Removal: the user can no longer read the hub. The URL may be the
   * server's root too. */
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\ncleo-pw\n", NULL, "hub", "add-user", hub_url, "cleo", NULL), ==, 0);
  g_clear_pointer (&answer, json_node_unref);
  answer = http ("GET", "/team/page:rules", "cleo", "cleo-pw", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  admin_url = g_strdup_printf ("http://127.0.0.1:%u", couch_port);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", NULL, "hub", "remove-user", admin_url, "cleo", NULL), ==, 0);
  /* CouchDB's cache of users follows _users a moment later. */
  for (guint i = 0; i < 50; i++)
    {
      g_clear_pointer (&answer, json_node_unref);
      answer = http ("GET", "/team/page:rules", "cleo", "cleo-pw", NULL, &status);
      if (status == 401)
        break;
      g_usleep (100 * 1000);
    }
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpint (mer_test_run_meridian_input ("admin:secret\n", NULL, "hub", "remove-user", hub_url, "cleo", NULL), !=, 0);
}

static const char *workspace_docs[] = {
  "{\"_id\":\"page:handbook\",\"type\":\"page\",\"title\":\"Handbook\",\"path\":\"handbook\","
  "\"body\":\"# Hello\",\"owner\":\"person:ana\"}",
  "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"America/Lima\","
  "\"work\":{\"mon\":[[\"09:00\",\"17:00\"]]}}",
  "{\"_id\":\"comment:hello\",\"type\":\"comment\",\"on\":\"page:handbook\",\"author\":\"person:ana\","
  "\"body\":\"Looks good\",\"stance\":null}",
  "{\"_id\":\"decision:sync\",\"type\":\"decision\",\"title\":\"Use a hub\",\"status\":\"accepted\"}",
  /* Valid here, but ana may not speak for bo: the hub refuses it. */
  "{\"_id\":\"comment:forged\",\"type\":\"comment\",\"on\":\"page:handbook\",\"author\":\"person:bo\","
  "\"body\":\"I agree\",\"stance\":\"agree\"}",
};

static void
test_sync (void)
{
  g_autofree char *push_dir = NULL;
  g_autofree char *pull_dir = NULL;
  g_autofree char *user_url = NULL;
  g_autofree char *design_before = NULL;
  g_autofree char *design_after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  if (!have_couch ())
    return;
  ensure_hub ();
  {
    g_autoptr(MerStore) store = mer_test_open_store (&push_dir);

    for (guint i = 0; i < G_N_ELEMENTS (workspace_docs); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) doc = mer_test_object (workspace_docs[i]);
        g_autofree char *rev = mer_store_put_doc (store, doc, &error);

        g_assert_no_error (error);
      }
  }
  design_before = rev_of ("/team/_design/meridian", "admin", "secret");
  user_url = g_strdup_printf ("http://ana:ana-pw@127.0.0.1:%u/team", couch_port);
  g_assert_cmpint (mer_test_run_meridian (push_dir, &out, &err, "sync", "--push", "--json", user_url, NULL), ==, 0);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *summary;
    JsonArray *refused;
    JsonObject *row;

    g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
    summary = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpint (json_object_get_int_member (summary, "docs_written"), ==, G_N_ELEMENTS (workspace_docs) - 1);
    refused = json_object_get_array_member (summary, "refused");
    g_assert_cmpuint (json_array_get_length (refused), ==, 1);
    row = json_array_get_object_element (refused, 0);
    g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "comment:forged");
    g_assert_nonnull (strstr (mer_json_get_string (row, "reason"), "only be written by its author"));
  }
  for (guint i = 0; i < G_N_ELEMENTS (workspace_docs) - 1; i++)
    {
      g_autoptr(JsonObject) doc = mer_test_object (workspace_docs[i]);
      g_autofree char *path = g_strconcat ("/team/", mer_json_get_string (doc, "_id"), NULL);

      g_clear_pointer (&answer, json_node_unref);
      answer = http ("GET", path, "ana", "ana-pw", NULL, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (mer_json_get_string (json_node_get_object (answer), "type"), ==,
                       mer_json_get_string (doc, "type"));
    }
  g_clear_pointer (&answer, json_node_unref);
  answer = http ("GET", "/team/comment:forged", "ana", "ana-pw", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  /* A second push neither sends the refused comment again nor reports
   * it again: the hub's refusal was reported once, with its reason. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (mer_test_run_meridian (push_dir, &out, &err, "sync", "--push", "--json", user_url, NULL), ==, 0);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *summary;
    JsonNode *refused;

    g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
    summary = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpint (json_object_get_int_member (summary, "docs_written"), ==, 0);
    refused = json_object_get_member (summary, "refused");
    g_assert_true (refused == NULL || json_array_get_length (json_node_get_array (refused)) == 0);
    g_assert_null (strstr (out, "comment:forged"));
    g_assert_null (strstr (err, "comment:forged"));
  }
  /* A push never sends design documents. */
  design_after = rev_of ("/team/_design/meridian", "admin", "secret");
  g_assert_cmpstr (design_before, ==, design_after);

  /* A fresh workspace pulls everything but the hub's design document. */
  {
    g_autoptr(MerStore) store = mer_test_open_store (&pull_dir);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (mer_test_run_meridian (pull_dir, &out, &err, "sync", "--pull", "--json", user_url, NULL), ==, 0);
  /* The design document is left out quietly: not counted as refused,
   * not complained about. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *summary;
    JsonNode *refused;

    g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
    summary = json_node_get_object (json_parser_get_root (parser));
    refused = json_object_get_member (summary, "refused");
    g_assert_true (refused == NULL || json_array_get_length (json_node_get_array (refused)) == 0);
    g_assert_null (strstr (out, "_design"));
    g_assert_null (strstr (err, "_design"));
    g_assert_cmpint (json_object_get_int_member (summary, "pulled"), >=, G_N_ELEMENTS (workspace_docs) - 1);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MerStore) store = mer_store_open (pull_dir, &error);
    g_autoptr(JsonObject) design = NULL;

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (workspace_docs) - 1; i++)
      {
        g_autoptr(JsonObject) want = mer_test_object (workspace_docs[i]);
        g_autoptr(JsonObject) got = mer_store_get_doc (store, mer_json_get_string (want, "_id"),
                                                       NULL, MER_GET_DEFAULT, NULL);

        g_assert_nonnull (got);
        g_assert_cmpstr (mer_json_get_string (got, "type"), ==, mer_json_get_string (want, "type"));
      }
    /* Pages the rules test wrote on the hub came along too. */
    {
      g_autoptr(JsonObject) kept = mer_store_get_doc (store, "page:rules", NULL, MER_GET_DEFAULT, NULL);
      g_assert_nonnull (kept);
    }
    design = mer_store_get_doc (store, "_design/meridian", NULL, MER_GET_DEFAULT, NULL);
    g_assert_null (design);
  }
}

/*
 * Documents with attachments that keep the rules go through the hub both
 * ways with `meridian sync`: a page's image, the author's own comment's
 * screenshot, and a decision made with its diagram, same digests on the
 * hub and on a fresh replica.
 */
static void
test_sync_attachments (void)
{
  static const char *docs[] = {
    "{\"_id\":\"page:att-sync\",\"type\":\"page\",\"title\":\"Pictures\",\"path\":\"pictures\","
    "\"body\":\"![](logo.png)\",\"owner\":\"person:ana\","
    "\"_attachments\":{\"logo.png\":{\"content_type\":\"image/png\",\"data\":\"aGVsbG8=\"}}}",
    "{\"_id\":\"comment:att-sync\",\"type\":\"comment\",\"on\":\"page:att-sync\",\"author\":\"person:ana\","
    "\"body\":\"![](shot.png)\",\"stance\":null,"
    "\"_attachments\":{\"shot.png\":{\"content_type\":\"image/png\",\"data\":\"d29ybGQ=\"}}}",
    "{\"_id\":\"decision:att-sync\",\"type\":\"decision\",\"title\":\"Diagram\",\"status\":\"accepted\","
    "\"_attachments\":{\"diagram.png\":{\"content_type\":\"image/png\",\"data\":\"ZGlhZ3JhbQ==\"}}}",
  };
  static const char *names[] = { "logo.png", "shot.png", "diagram.png" };
  g_autofree char *push_dir = NULL;
  g_autofree char *pull_dir = NULL;
  g_autofree char *user_url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) digests = g_ptr_array_new_with_free_func (g_free);
  guint status = 0;

  if (!have_couch ())
    return;
  ensure_hub ();
  {
    g_autoptr(MerStore) store = mer_test_open_store (&push_dir);

    for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) doc = mer_test_object (docs[i]);
        g_autofree char *rev = mer_store_put_doc (store, doc, &error);
        g_autoptr(MerAttachment) att = NULL;

        g_assert_no_error (error);
        att = mer_store_get_attachment (store, mer_json_get_string (doc, "_id"), NULL, names[i], &error);
        g_assert_no_error (error);
        g_ptr_array_add (digests, g_strdup (att->digest));
      }
  }
  user_url = g_strdup_printf ("http://ana:ana-pw@127.0.0.1:%u/team", couch_port);
  g_assert_cmpint (mer_test_run_meridian (push_dir, &out, &err, "sync", "--push", "--json", user_url, NULL), ==, 0);
  g_assert_null (strstr (out, "att-sync"));  /* nothing refused */
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(JsonObject) doc = mer_test_object (docs[i]);
      g_autofree char *path = g_strconcat ("/team/", mer_json_get_string (doc, "_id"), NULL);
      g_autoptr(JsonNode) answer = http ("GET", path, "ana", "ana-pw", NULL, &status);
      JsonObject *stub;

      g_assert_cmpuint (status, ==, 200);
      stub = json_object_get_object_member (json_object_get_object_member (json_node_get_object (answer),
                                                                           "_attachments"), names[i]);
      g_assert_nonnull (stub);
      g_assert_cmpstr (mer_json_get_string (stub, "digest"), ==, digests->pdata[i]);
    }

  {
    g_autoptr(MerStore) store = mer_test_open_store (&pull_dir);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (mer_test_run_meridian (pull_dir, &out, &err, "sync", "--pull", "--json", user_url, NULL), ==, 0);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MerStore) store = mer_store_open (pull_dir, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
      {
        g_autoptr(JsonObject) doc = mer_test_object (docs[i]);
        g_autoptr(MerAttachment) att = mer_store_get_attachment (store, mer_json_get_string (doc, "_id"), NULL,
                                                                 names[i], &error);

        g_assert_no_error (error);
        g_assert_cmpstr (att->digest, ==, digests->pdata[i]);
      }
  }
}

int
main (int    argc,
      char **argv)
{
  int result;

  mer_test_init (&argc, &argv);
  g_test_add_func ("/hub/setup", test_setup);
  g_test_add_func ("/hub/rules", test_rules);
  g_test_add_func ("/hub/attachment-rules", test_attachment_rules);
  g_test_add_func ("/hub/setup-again", test_setup_again);
  g_test_add_func ("/hub/users", test_users);
  g_test_add_func ("/hub/sync", test_sync);
  g_test_add_func ("/hub/sync-attachments", test_sync_attachments);
  result = g_test_run ();
  mer_test_couch_stop (couch);
  return result;
}
