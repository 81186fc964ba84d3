/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer server's attachments over real HTTP: each endpoint, inline
 * base64 and atts_since, missing stubs (412), the size limit (413), names,
 * digests that lie, and the headers that keep active types inert.
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-server.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <string.h>

typedef struct
{
  char        *dir;
  MerStore    *store;
  MerAccounts *accounts;
  MerServer   *server;
  SoupSession *session;
  char        *base;
} Fixture;

typedef struct
{
  guint               status;
  GBytes             *body;
  JsonNode           *json;
  SoupMessageHeaders *headers;
} Reply;

static void
reply_free (Reply *reply)
{
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->store = mer_test_open_store (&f->dir);
  f->accounts = mer_accounts_new (f->dir);
  f->server = mer_server_new (f->store, f->accounts);
  g_assert_true (mer_server_listen (f->server, "127.0.0.1:0", NULL, &error));
  g_assert_no_error (error);
  f->base = g_strdup_printf ("http://127.0.0.1:%u", mer_server_get_port (f->server));
  f->session = soup_session_new ();
  soup_session_set_timeout (f->session, 60);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_store_check_integrity (f->store, &error));
  g_assert_no_error (error);
  g_clear_object (&f->session);
  mer_server_stop (f->server);
  g_clear_object (&f->server);
  g_clear_object (&f->accounts);
  g_clear_object (&f->store);
  mer_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->base);
}

typedef struct
{
  GBytes   *bytes;
  GError   *error;
  gboolean  done;
} Pending;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Pending *pending = data;

  pending->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

/* One request, the server answering on this thread meanwhile. */
static Reply *
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *content_type,
         const void *body,
         gssize      length,
         const char *header,
         const char *value)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  Pending pending = { 0 };
  Reply *reply = g_new0 (Reply, 1);
  const char *type;

  g_assert_nonnull (msg);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header, value);
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &pending);
  while (!pending.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending.error);
  reply->status = soup_message_get_status (msg);
  reply->body = pending.bytes;
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  type = soup_message_headers_get_content_type (reply->headers, NULL);
  if (g_strcmp0 (type, "application/json") == 0 && g_bytes_get_size (reply->body) > 0)
    reply->json = mer_json_parse (g_bytes_get_data (reply->body, NULL), g_bytes_get_size (reply->body), NULL);
  return reply;
}

static Reply *
json_request (Fixture    *f,
              const char *method,
              const char *path,
              const char *body)
{
  return request (f, method, path, body != NULL ? "application/json" : NULL, body, -1, NULL, NULL);
}

static JsonObject *
obj (Reply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

static const char *
error_of (Reply *reply)
{
  return mer_json_get_string (obj (reply), "error");
}

static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 1, 2, 3 };

static char *
put_png (Fixture    *f,
         const char *path)
{
  g_autoptr(Reply) reply = request (f, "PUT", path, "image/png", png, sizeof png, NULL, NULL);

  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_true (mer_json_get_bool (obj (reply), "ok"));
  return g_strdup (mer_json_get_string (obj (reply), "rev"));
}

static void
test_endpoints (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *rev1 = put_png (f, "/handbook/note:1/pic.png");
  g_autofree char *rev2 = NULL;
  g_autofree char *path = NULL;
  g_autofree char *digest = mer_attachment_digest (png, sizeof png);
  g_autofree char *since = NULL;
  JsonObject *atts;

  g_assert_true (g_str_has_prefix (rev1, "1-"));
  {
    g_autoptr(Reply) got = request (f, "GET", "/handbook/note:1/pic.png", NULL, NULL, 0, NULL, NULL);
    g_autofree char *etag = g_strdup_printf ("\"%s\"", digest + 4);

    g_assert_cmpuint (got->status, ==, 200);
    g_assert_cmpmem (g_bytes_get_data (got->body, NULL), g_bytes_get_size (got->body), png, sizeof png);
    g_assert_cmpstr (soup_message_headers_get_content_type (got->headers, NULL), ==, "image/png");
    g_assert_cmpstr (soup_message_headers_get_one (got->headers, "ETag"), ==, etag);
    g_assert_cmpstr (soup_message_headers_get_one (got->headers, "X-Content-Type-Options"), ==, "nosniff");
    g_assert_cmpstr (soup_message_headers_get_one (got->headers, "Content-Security-Policy"), ==, "sandbox");
    g_assert_null (soup_message_headers_get_one (got->headers, "Content-Disposition"));
  }
  {
    g_autoptr(Reply) head = request (f, "HEAD", "/handbook/note:1/pic.png", NULL, NULL, 0, NULL, NULL);

    g_assert_cmpuint (head->status, ==, 200);
    g_assert_cmpuint (g_bytes_get_size (head->body), ==, 0);
    g_assert_cmpint (soup_message_headers_get_content_length (head->headers), ==, sizeof png);
  }

  /* A second attachment needs the current revision. */
  {
    g_autoptr(Reply) stale = request (f, "PUT", "/handbook/note:1/b.txt", "text/plain", "bee", 3, NULL, NULL);

    g_assert_cmpuint (stale->status, ==, 409);
  }
  path = g_strdup_printf ("/handbook/note:1/b.txt?rev=%s", rev1);
  {
    g_autoptr(Reply) put = request (f, "PUT", path, "text/plain", "bee", 3, NULL, NULL);

    g_assert_cmpuint (put->status, ==, 201);
    rev2 = g_strdup (mer_json_get_string (obj (put), "rev"));
    g_assert_true (g_str_has_prefix (rev2, "2-"));
  }
  {
    g_autoptr(Reply) again = request (f, "PUT", path, "text/plain", "bee", 3, NULL, NULL);

    g_assert_cmpuint (again->status, ==, 409);
  }

  /* The document carries stubs; attachments=true gives the bytes. */
  {
    g_autoptr(Reply) doc = json_request (f, "GET", "/handbook/note:1", NULL);
    JsonObject *pic;

    g_assert_cmpuint (doc->status, ==, 200);
    atts = json_object_get_object_member (obj (doc), "_attachments");
    pic = json_object_get_object_member (atts, "pic.png");
    g_assert_true (json_object_get_boolean_member (pic, "stub"));
    g_assert_cmpstr (json_object_get_string_member (pic, "digest"), ==, digest);
    g_assert_cmpint (json_object_get_int_member (pic, "length"), ==, sizeof png);
    g_assert_cmpint (json_object_get_int_member (pic, "revpos"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (pic, "content_type"), ==, "image/png");
  }
  {
    g_autoptr(Reply) doc = json_request (f, "GET", "/handbook/note:1?attachments=true", NULL);
    g_autofree char *b64 = g_base64_encode (png, sizeof png);

    atts = json_object_get_object_member (obj (doc), "_attachments");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (atts, "pic.png"), "data"), ==, b64);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (atts, "b.txt"), "data"), ==, "YmVl");
  }
  /* atts_since: the holder of rev 1 gets only what came after it. */
  since = g_strdup_printf ("/handbook/note:1?attachments=true&atts_since=%%5B%%22%s%%22%%5D", rev1);
  {
    g_autoptr(Reply) doc = json_request (f, "GET", since, NULL);

    g_assert_cmpuint (doc->status, ==, 200);
    atts = json_object_get_object_member (obj (doc), "_attachments");
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (atts, "pic.png"), "stub"));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (atts, "b.txt"), "data"), ==, "YmVl");
  }
  {
    g_autoptr(Reply) bad = json_request (f, "GET", "/handbook/note:1?atts_since=nope", NULL);

    g_assert_cmpuint (bad->status, ==, 400);
  }
  /* open_revs and _bulk_get, with attachments=true. */
  {
    g_autofree char *open = g_strdup_printf ("/handbook/note:1?open_revs=%%5B%%22%s%%22%%5D&attachments=true", rev2);
    g_autoptr(Reply) found = json_request (f, "GET", open, NULL);
    JsonObject *ok;

    g_assert_cmpuint (found->status, ==, 200);
    ok = json_object_get_object_member (json_array_get_object_element (json_node_get_array (found->json), 0), "ok");
    atts = json_object_get_object_member (ok, "_attachments");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (atts, "b.txt"), "data"), ==, "YmVl");
  }
  {
    g_autofree char *body = g_strdup_printf ("{\"docs\":[{\"id\":\"note:1\",\"rev\":\"%s\",\"atts_since\":[\"%s\"]}]}",
                                             rev2, rev1);
    g_autoptr(Reply) found = json_request (f, "POST", "/handbook/_bulk_get?revs=true&attachments=true", body);
    JsonObject *ok;

    g_assert_cmpuint (found->status, ==, 200);
    ok = json_object_get_object_member (
           json_array_get_object_element (
             json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (obj (found), "results"), 0),
                                           "docs"), 0), "ok");
    atts = json_object_get_object_member (ok, "_attachments");
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (atts, "pic.png"), "stub"));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (atts, "b.txt"), "data"), ==, "YmVl");
  }

  /* DELETE needs the revision, and then the attachment is gone. */
  {
    g_autoptr(Reply) no_rev = json_request (f, "DELETE", "/handbook/note:1/pic.png", NULL);
    g_autofree char *del_path = g_strdup_printf ("/handbook/note:1/pic.png?rev=%s", rev2);
    g_autoptr(Reply) del = json_request (f, "DELETE", del_path, NULL);
    g_autoptr(Reply) gone = request (f, "GET", "/handbook/note:1/pic.png", NULL, NULL, 0, NULL, NULL);
    g_autoptr(Reply) old = NULL;
    g_autofree char *old_path = g_strdup_printf ("/handbook/note:1/pic.png?rev=%s", rev1);

    g_assert_cmpuint (no_rev->status, ==, 409);
    g_assert_cmpuint (del->status, ==, 200);
    g_assert_true (g_str_has_prefix (mer_json_get_string (obj (del), "rev"), "3-"));
    g_assert_cmpuint (gone->status, ==, 404);
    /* An older revision still has its own. */
    old = request (f, "GET", old_path, NULL, NULL, 0, NULL, NULL);
    g_assert_cmpuint (old->status, ==, 200);
  }
  {
    g_autoptr(Reply) none = request (f, "GET", "/handbook/note:nothing/a.png", NULL, NULL, 0, NULL, NULL);

    g_assert_cmpuint (none->status, ==, 404);
  }
}

static void
test_inline_and_stubs (Fixture       *f,
                       gconstpointer  data)
{
  /* PUT of a document with inline base64, then an edit that keeps it as a stub. */
  {
    g_autoptr(Reply) put = json_request (f, "PUT", "/handbook/note:2",
                                         "{\"title\":\"x\",\"_attachments\":{\"a.txt\":{\"content_type\":\"text/plain\",\"data\":\"aGVsbG8=\"}}}");
    g_autofree char *body = NULL;
    g_autoptr(Reply) edit = NULL;

    g_assert_cmpuint (put->status, ==, 201);
    body = g_strdup_printf ("{\"_rev\":\"%s\",\"title\":\"y\",\"_attachments\":{\"a.txt\":{\"stub\":true}}}",
                            mer_json_get_string (obj (put), "rev"));
    edit = json_request (f, "PUT", "/handbook/note:2", body);
    g_assert_cmpuint (edit->status, ==, 201);
  }
  {
    g_autoptr(Reply) got = request (f, "GET", "/handbook/note:2/a.txt", NULL, NULL, 0, NULL, NULL);

    g_assert_cmpmem (g_bytes_get_data (got->body, NULL), g_bytes_get_size (got->body), "hello", 5);
  }
  /* A stub of bytes this server lacks: 412 missing_stub. */
  {
    g_autoptr(Reply) missing = json_request (f, "PUT", "/handbook/note:3",
                                             "{\"_attachments\":{\"a\":{\"stub\":true,\"digest\":\"md5-AAAAAAAAAAAAAAAAAAAAAA==\"}}}");

    g_assert_cmpuint (missing->status, ==, 412);
    g_assert_cmpstr (error_of (missing), ==, "missing_stub");
  }
  {
    g_autoptr(Reply) bulk = json_request (f, "POST", "/handbook/_bulk_docs",
      "{\"new_edits\":false,\"docs\":["
      "{\"_id\":\"note:4\",\"_rev\":\"1-aa\",\"_attachments\":{\"s\":{\"stub\":true,\"revpos\":1,\"digest\":\"md5-AAAAAAAAAAAAAAAAAAAAAA==\"}}},"
      "{\"_id\":\"note:5\",\"_rev\":\"1-bb\",\"_attachments\":{\"d\":{\"content_type\":\"text/plain\",\"revpos\":1,"
      "\"digest\":\"md5-XUFAKrxLKna5cZ2REBfFkg==\",\"data\":\"aGVsbG8=\"}}}]}");
    JsonArray *rows;

    g_assert_cmpuint (bulk->status, ==, 201);
    rows = json_node_get_array (bulk->json);
    g_assert_cmpuint (json_array_get_length (rows), ==, 1);
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (rows, 0), "id"), ==, "note:4");
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (rows, 0), "error"), ==, "missing_stub");
  }
  {
    g_autoptr(Reply) got = request (f, "GET", "/handbook/note:5/d", NULL, NULL, 0, NULL, NULL);

    g_assert_cmpuint (got->status, ==, 200);
    g_assert_cmpmem (g_bytes_get_data (got->body, NULL), g_bytes_get_size (got->body), "hello", 5);
  }
  /* A digest that does not match the bytes. */
  {
    g_autoptr(Reply) lie = json_request (f, "PUT", "/handbook/note:6",
                                         "{\"_attachments\":{\"a\":{\"digest\":\"md5-AAAAAAAAAAAAAAAAAAAAAA==\",\"data\":\"aGVsbG8=\"}}}");

    g_assert_cmpuint (lie->status, ==, 400);
    g_assert_cmpuint (mer_store_count_blobs (f->store, NULL), ==, 1);
  }
  /* An empty member is accepted and stores nothing. */
  {
    g_autoptr(Reply) put = json_request (f, "PUT", "/handbook/note:7", "{\"_attachments\":{}}");
    g_autoptr(Reply) doc = json_request (f, "GET", "/handbook/note:7", NULL);

    g_assert_cmpuint (put->status, ==, 201);
    g_assert_false (json_object_has_member (obj (doc), "_attachments"));
  }
}

static void
test_limit (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *big = g_strnfill (2048, 'x');
  g_autofree char *b64 = g_base64_encode ((const guchar *) big, 2048);
  g_autofree char *doc = g_strdup_printf ("{\"_attachments\":{\"a\":{\"data\":\"%s\"}}}", b64);

  mer_store_set_max_attachment_size (f->store, 1024);
  {
    g_autoptr(Reply) over = request (f, "PUT", "/handbook/note:big/a.bin", "application/octet-stream", big, 2048, NULL, NULL);

    g_assert_cmpuint (over->status, ==, 413);
  }
  {
    g_autoptr(Reply) over = json_request (f, "PUT", "/handbook/note:big", doc);

    g_assert_cmpuint (over->status, ==, 413);
    g_assert_cmpstr (error_of (over), ==, "attachment_too_large");
  }
  {
    g_autoptr(Reply) fits = request (f, "PUT", "/handbook/note:big/a.bin", "application/octet-stream", big, 1024, NULL, NULL);

    g_assert_cmpuint (fits->status, ==, 201);
  }
  g_assert_cmpint (mer_store_count_blobs (f->store, NULL), ==, 1);
}

static void
test_names (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *long_name = g_strnfill (256, 'n');
  g_autofree char *long_path = g_strconcat ("/handbook/note:n/", long_name, NULL);
  const char *refused[] = {
    "/handbook/note:n/..%2Fescape", "/handbook/note:n/a..b", "/handbook/note:n/%2Fetc",
    "/handbook/note:n/_reserved", "/handbook/note:n/tab%09name", long_path,
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(Reply) reply = request (f, "PUT", refused[i], "text/plain", "x", 1, NULL, NULL);

      g_assert_cmpuint (reply->status, ==, 400);
    }
  {
    g_autoptr(Reply) nul = request (f, "PUT", "/handbook/note:n/a%00b", "text/plain", "x", 1, NULL, NULL);

    g_assert_cmpuint (nul->status, ==, 400);
  }
  g_assert_cmpint (mer_store_count_blobs (f->store, NULL), ==, 0);
  /* Slashes inside a name are kept, as CouchDB keeps them. */
  {
    g_autofree char *rev = put_png (f, "/handbook/note:n/img/diagram%20v2.png");
    g_autoptr(Reply) got = request (f, "GET", "/handbook/note:n/img/diagram%20v2.png", NULL, NULL, 0, NULL, NULL);

    g_assert_cmpuint (got->status, ==, 200);
    g_assert_cmpuint (g_bytes_get_size (got->body), ==, sizeof png);
  }
}

static void
test_active_types (Fixture       *f,
                   gconstpointer  data)
{
  const char *html = "<html><script>alert(1)</script></html>";
  const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
  g_autofree char *rev = NULL;
  g_autofree char *path = NULL;

  {
    g_autoptr(Reply) put = request (f, "PUT", "/handbook/note:h/page.html", "text/html", html, -1, NULL, NULL);

    g_assert_cmpuint (put->status, ==, 201);
    rev = g_strdup (mer_json_get_string (obj (put), "rev"));
  }
  path = g_strdup_printf ("/handbook/note:h/pic.svg?rev=%s", rev);
  {
    g_autoptr(Reply) put = request (f, "PUT", path, "image/svg+xml", svg, -1, NULL, NULL);

    g_assert_cmpuint (put->status, ==, 201);
  }
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(Reply) got = request (f, "GET", i == 0 ? "/handbook/note:h/page.html" : "/handbook/note:h/pic.svg",
                                      NULL, NULL, 0, NULL, NULL);

      g_assert_cmpuint (got->status, ==, 200);
      /* Stored and answered with the type given, but inert. */
      g_assert_cmpstr (soup_message_headers_get_content_type (got->headers, NULL), ==, i == 0 ? "text/html" : "image/svg+xml");
      g_assert_cmpstr (soup_message_headers_get_one (got->headers, "Content-Disposition"), ==, "attachment");
      g_assert_cmpstr (soup_message_headers_get_one (got->headers, "Content-Security-Policy"), ==, "sandbox");
      g_assert_cmpstr (soup_message_headers_get_one (got->headers, "X-Content-Type-Options"), ==, "nosniff");
      g_assert_cmpmem (g_bytes_get_data (got->body, NULL), g_bytes_get_size (got->body),
                       i == 0 ? html : svg, strlen (i == 0 ? html : svg));
    }
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  g_test_add ("/server-attachments/endpoints", Fixture, NULL, fixture_setup, test_endpoints, fixture_teardown);
  g_test_add ("/server-attachments/inline-and-stubs", Fixture, NULL, fixture_setup, test_inline_and_stubs, fixture_teardown);
  g_test_add ("/server-attachments/limit", Fixture, NULL, fixture_setup, test_limit, fixture_teardown);
  g_test_add ("/server-attachments/names", Fixture, NULL, fixture_setup, test_names, fixture_teardown);
  g_test_add ("/server-attachments/active-types", Fixture, NULL, fixture_setup, test_active_types, fixture_teardown);
  return g_test_run ();
}
