/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The server's ways in besides Basic credentials and plain bodies, over
 * real HTTP: /_session and its cookies, and bodies in Content-Encoding gzip.
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-core.h"
#include "mer-json.h"
#include "mer-server.h"
#include "mer-store.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <string.h>
#include <sys/resource.h>

#define RW "ana:ana-password"
#define RO "bo:bo-password"
#define PAGE_FIELDS "\"type\":\"page\",\"title\":\"On call\",\"path\":\"engineering/on-call\",\"body\":\"Pager\""

typedef struct
{
  char        *dir;
  MerStore    *store;
  MerAccounts *accounts;
  MerServer   *server;
  SoupSession *session;
  char        *base;     /* http://127.0.0.1:PORT */
} Fixture;

typedef struct
{
  SoupMessage *msg;
  GBytes      *bytes;
  GError      *error;
  gboolean     done;
} Pending;

typedef struct
{
  guint               status;
  char               *body;
  JsonNode           *json;
  SoupMessageHeaders *headers;
} Reply;

static void
reply_free (Reply *reply)
{
  g_free (reply->body);
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
  gboolean with_accounts = GPOINTER_TO_INT (data);

  f->store = mer_test_open_store (&f->dir);
  f->accounts = mer_accounts_new (f->dir);
  if (with_accounts)
    {
      g_assert_true (mer_accounts_add (f->accounts, "ana", "ana-password", MER_ROLE_RW, NULL, &error));
      g_assert_true (mer_accounts_add (f->accounts, "bo", "bo-password", MER_ROLE_RO, NULL, &error));
    }
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

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Pending *pending = data;

  pending->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

static Pending *
start_request (Fixture    *f,
               const char *method,
               const char *path,
               const char *content_type,
               const char *body,
               gssize      length,
               const char *credentials,
               const char *host)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);
  Pending *pending = g_new0 (Pending, 1);
  SoupMessageHeaders *headers;

  pending->msg = soup_message_new (method, url);
  g_assert_nonnull (pending->msg);
  headers = soup_message_get_request_headers (pending->msg);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);
      soup_message_set_request_body_from_bytes (pending->msg, content_type, bytes);
    }
  if (credentials != NULL)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
      g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);
      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (host != NULL)
    soup_message_headers_replace (headers, "Host", host);
  soup_session_send_and_read_async (f->session, pending->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, pending);
  return pending;
}

static Reply *
finish_request (Pending *pending)
{
  Reply *reply = g_new0 (Reply, 1);
  gsize length;
  const char *data;

  while (!pending->done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending->error);
  reply->status = soup_message_get_status (pending->msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (pending->msg));
  data = g_bytes_get_data (pending->bytes, &length);
  reply->body = data != NULL ? g_strndup (data, length) : g_strdup ("");
  if (length > 0)
    reply->json = mer_json_parse (reply->body, -1, NULL);
  g_bytes_unref (pending->bytes);
  g_object_unref (pending->msg);
  g_free (pending);
  return reply;
}

static Reply *
request_full (Fixture    *f,
              const char *method,
              const char *path,
              const char *content_type,
              const char *body,
              gssize      length,
              const char *credentials)
{
  return finish_request (start_request (f, method, path, content_type, body, length, credentials, NULL));
}

/* A request with a JSON body (or none) and the given account. */
static Reply *
call (Fixture    *f,
      const char *method,
      const char *path,
      const char *body,
      const char *credentials)
{
  return request_full (f, method, path, body != NULL ? "application/json" : NULL, body, -1, credentials);
}

static JsonObject *
obj (Reply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

/* A CouchDB error body: {"error": @error, "reason": "…"} with @status. */
static void
assert_error (Reply      *reply,
              guint       status,
              const char *error)
{
  if (reply->status != status)
    g_error ("expected %u %s, got %u %s", status, error, reply->status, reply->body);
  g_assert_cmpstr (mer_json_get_string (obj (reply), "error"), ==, error);
  g_assert_nonnull (mer_json_get_string (obj (reply), "reason"));
  g_assert_cmpstr (soup_message_headers_get_content_type (reply->headers, NULL), ==, "application/json");
}

static GBytes *
gzip_bytes (const void *data,
            gsize       length)
{
  g_autoptr(GConverter) deflater = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1));
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize done = 0;

  for (;;)
    {
      gsize read = 0, written = 0;
      guint old = out->len;
      GConverterResult result;

      g_byte_array_set_size (out, old + 65536);
      result = g_converter_convert (deflater, (const guint8 *) data + done, length - done, out->data + old, 65536,
                                    G_CONVERTER_INPUT_AT_END, &read, &written, NULL);
      g_assert_cmpint (result, !=, G_CONVERTER_ERROR);
      g_byte_array_set_size (out, old + written);
      done += read;
      if (result == G_CONVERTER_FINISHED)
        break;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* @mib MiB of zeros, gzipped a MiB at a time so that the test holds none of them. */
static GBytes *
gzip_zeros (guint mib)
{
  g_autoptr(GConverter) deflater = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9));
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *zeros = g_malloc0 (1024 * 1024);

  for (guint i = 0; i < mib; i++)
    {
      gsize done = 0;
      gboolean last = i == mib - 1;

      for (;;)
        {
          gsize read = 0, written = 0;
          guint old = out->len;
          GConverterResult result;

          if (!last && done == 1024 * 1024)
            break;
          g_byte_array_set_size (out, old + 65536);
          result = g_converter_convert (deflater, zeros + done, 1024 * 1024 - done, out->data + old, 65536,
                                        last ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
                                        &read, &written, NULL);
          g_assert_cmpint (result, !=, G_CONVERTER_ERROR);
          g_byte_array_set_size (out, old + written);
          done += read;
          if (result == G_CONVERTER_FINISHED)
            break;
        }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* A request whose body is sent with "Content-Encoding: @encoding". */
static Reply *
call_encoded (Fixture    *f,
              const char *method,
              const char *path,
              GBytes     *body,
              const char *encoding)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) RW, strlen (RW));
  g_autofree char *authorization = g_strconcat ("Basic ", encoded, NULL);
  Pending *pending = g_new0 (Pending, 1);
  SoupMessageHeaders *headers;

  pending->msg = soup_message_new (method, url);
  headers = soup_message_get_request_headers (pending->msg);
  soup_message_set_request_body_from_bytes (pending->msg, "application/json", body);
  soup_message_headers_replace (headers, "Content-Encoding", encoding);
  soup_message_headers_replace (headers, "Authorization", authorization);
  soup_session_send_and_read_async (f->session, pending->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, pending);
  return finish_request (pending);
}

/* Bodies in gzip are inflated, within the limits of any body. */
static void
test_gzip_bodies (Fixture       *f,
                  gconstpointer  data)
{
  const char *page = "{\"_id\":\"page:gz\"," PAGE_FIELDS "}";
  g_autoptr(GBytes) zipped = gzip_bytes (page, strlen (page));
  g_autoptr(GBytes) plain = g_bytes_new_static (page, strlen (page));
  g_autoptr(GBytes) garbage = g_bytes_new_static ("not gzip at all", 15);
  g_autoptr(Reply) put = call_encoded (f, "POST", "/handbook", zipped, "gzip");
  g_autoptr(Reply) get = call (f, "GET", "/handbook/page:gz", NULL, RW);
  g_autoptr(Reply) bad = call_encoded (f, "POST", "/handbook", garbage, "gzip");
  g_autoptr(Reply) brotli = call_encoded (f, "POST", "/handbook", plain, "br");
  g_autoptr(Reply) trailing = NULL;
  g_autoptr(Reply) big_doc = NULL;
  g_autoptr(Reply) bomb = NULL;
  gint64 seq = mer_store_get_update_seq (f->store);

  g_assert_cmpuint (put->status, ==, 201);
  g_assert_cmpstr (mer_json_get_string (obj (put), "id"), ==, "page:gz");
  g_assert_cmpuint (get->status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (obj (get), "title"), ==, "On call");
  assert_error (bad, 400, "bad_request");
  g_assert_cmpstr (mer_json_get_string (obj (bad), "reason"), ==, "Request body is not properly gzipped.");
  assert_error (brotli, 415, "bad_content_type");
  g_assert_cmpstr (mer_json_get_string (obj (brotli), "reason"), ==, "br is not a supported content encoding.");

  /* Bytes after the gzip stream are refused, not dropped. */
  {
    g_autoptr(GByteArray) joined = g_byte_array_new ();
    g_autoptr(GBytes) joined_bytes = NULL;

    g_byte_array_append (joined, g_bytes_get_data (zipped, NULL), g_bytes_get_size (zipped));
    g_byte_array_append (joined, (const guint8 *) "xx", 2);
    joined_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&joined));
    trailing = call_encoded (f, "POST", "/handbook", joined_bytes, "gzip");
    assert_error (trailing, 400, "bad_request");
  }

  /* A document of 2 MiB once inflated meets the document limit. */
  {
    g_autofree char *filler = g_strnfill (2 * 1024 * 1024, 'a');
    g_autofree char *doc = g_strdup_printf ("{\"_id\":\"page:big\",\"type\":\"page\",\"title\":\"Big\","
                                            "\"path\":\"big\",\"body\":\"%s\"}", filler);
    g_autoptr(GBytes) small = gzip_bytes (doc, strlen (doc));

    g_assert_cmpuint (g_bytes_get_size (small), <, 64 * 1024);
    big_doc = call_encoded (f, "PUT", "/handbook/page:big", small, "gzip");
    assert_error (big_doc, 413, "too_large");
  }

  /*
   * 512 MiB of zeros in about half a MiB: inflating stops at the request
   * limit, so the server's memory grows by far less than the bomb.
   */
  {
    g_autoptr(GBytes) small = gzip_zeros (512);
    struct rusage before, after;

    g_assert_cmpuint (g_bytes_get_size (small), <, 4 * 1024 * 1024);
    g_assert_cmpint (getrusage (RUSAGE_SELF, &before), ==, 0);
    bomb = call_encoded (f, "POST", "/handbook/_bulk_docs", small, "gzip");
    g_assert_cmpint (getrusage (RUSAGE_SELF, &after), ==, 0);
    assert_error (bomb, 413, "too_large");
    g_test_message ("peak memory grew by %ld KiB", after.ru_maxrss - before.ru_maxrss);
    g_assert_cmpint (after.ru_maxrss - before.ru_maxrss, <, 256 * 1024);
  }
  g_assert_cmpint (mer_store_get_update_seq (f->store), ==, seq);
}

/* A request carrying @cookie (a "name=value" pair) and no credentials. */
static Reply *
call_cookie (Fixture    *f,
             const char *method,
             const char *path,
             const char *content_type,
             const char *body,
             const char *cookie)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);
  Pending *pending = g_new0 (Pending, 1);

  pending->msg = soup_message_new (method, url);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (pending->msg, content_type, bytes);
    }
  if (cookie != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (pending->msg), "Cookie", cookie);
  soup_session_send_and_read_async (f->session, pending->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, pending);
  return finish_request (pending);
}

/* "AuthSession=value" from a Set-Cookie answer, or NULL. */
static char *
session_cookie (Reply *reply)
{
  const char *set = soup_message_headers_get_one (reply->headers, "Set-Cookie");
  const char *end;

  if (set == NULL)
    return NULL;
  g_assert_true (g_str_has_prefix (set, "AuthSession="));
  end = strchr (set, ';');
  return g_strndup (set, end != NULL ? (gsize) (end - set) : strlen (set));
}

static char *
login (Fixture    *f,
       const char *form)
{
  g_autoptr(Reply) reply = call_cookie (f, "POST", "/_session", "application/x-www-form-urlencoded", form, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return session_cookie (reply);
}

static void
test_session (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Reply) form = call_cookie (f, "POST", "/_session", "application/x-www-form-urlencoded",
                                       "name=ana&password=ana-password", NULL);
  g_autoptr(Reply) json = call_cookie (f, "POST", "/_session", "application/json",
                                       "{\"name\":\"bo\",\"password\":\"bo-password\"}", NULL);
  g_autoptr(Reply) wrong = call_cookie (f, "POST", "/_session", "application/x-www-form-urlencoded",
                                        "name=ana&password=nope", NULL);
  g_autoptr(Reply) nobody = call_cookie (f, "POST", "/_session", "application/json",
                                         "{\"name\":\"zed\",\"password\":\"x\"}", NULL);
  g_autoptr(Reply) text = call_cookie (f, "POST", "/_session", "text/plain", "name=ana", NULL);
  g_autofree char *ana = session_cookie (form);
  g_autofree char *bo = session_cookie (json);
  const char *set = soup_message_headers_get_one (form->headers, "Set-Cookie");

  g_assert_cmpuint (form->status, ==, 200);
  g_assert_cmpstr (form->body, ==, "{\"ok\":true,\"name\":\"ana\",\"roles\":[\"rw\"]}\n");
  g_assert_cmpstr (json->body, ==, "{\"ok\":true,\"name\":\"bo\",\"roles\":[\"ro\"]}\n");
  g_assert_nonnull (strstr (set, "; Max-Age=600; Path=/; HttpOnly"));
  assert_error (wrong, 401, "unauthorized");
  g_assert_null (soup_message_headers_get_one (wrong->headers, "Set-Cookie"));
  assert_error (nobody, 401, "unauthorized");
  assert_error (text, 415, "bad_content_type");
  /* "username", as the IBM Cloudant SDK under couchbackup writes it, wins over "name" as in CouchDB. */
  {
    g_autoptr(Reply) sdk = call_cookie (f, "POST", "/_session", "application/json",
                                        "{\"username\":\"bo\",\"password\":\"bo-password\"}", NULL);
    g_autoptr(Reply) both = call_cookie (f, "POST", "/_session", "application/x-www-form-urlencoded",
                                         "name=bo&username=ana&password=ana-password", NULL);
    g_autoptr(Reply) loser = call_cookie (f, "POST", "/_session", "application/json",
                                          "{\"username\":\"bo\",\"name\":\"ana\",\"password\":\"ana-password\"}",
                                          NULL);
    g_autofree char *sdk_cookie = session_cookie (sdk);

    g_assert_cmpstr (sdk->body, ==, "{\"ok\":true,\"name\":\"bo\",\"roles\":[\"ro\"]}\n");
    g_assert_nonnull (sdk_cookie);
    g_assert_cmpstr (both->body, ==, "{\"ok\":true,\"name\":\"ana\",\"roles\":[\"rw\"]}\n");
    assert_error (loser, 401, "unauthorized");
  }
  {
    g_autoptr(Reply) next = call_cookie (f, "POST", "/_session?next=/handbook", "application/x-www-form-urlencoded",
                                         "name=ana&password=ana-password", NULL);

    assert_error (next, 400, "bad_request");
    g_assert_null (soup_message_headers_get_one (next->headers, "Set-Cookie"));
  }

  /* The cookie names the account, never its password. */
  {
    g_autofree char *value = g_strdup (ana + strlen ("AuthSession="));
    g_autofree guchar *decoded = NULL;
    gsize length;

    g_strdelimit (value, "-", '+');
    g_strdelimit (value, "_", '/');
    while (strlen (value) % 4 != 0)
      {
        char *padded = g_strconcat (value, "=", NULL);
        g_free (value);
        value = padded;
      }
    decoded = g_base64_decode (value, &length);
    g_assert_true (g_str_has_prefix ((const char *) decoded, "ana:"));
    g_assert_null (g_strstr_len ((const char *) decoded, length, "ana-password"));
  }

  /* GET /_session: who the cookie, the credentials, or nobody stands for. */
  {
    g_autoptr(Reply) by_cookie = call_cookie (f, "GET", "/_session", NULL, NULL, ana);
    g_autoptr(Reply) anonymous = call_cookie (f, "GET", "/_session", NULL, NULL, NULL);
    g_autoptr(Reply) by_basic = call (f, "GET", "/_session", NULL, RO);
    g_autoptr(Reply) bad_basic = call (f, "GET", "/_session", NULL, "bo:wrong");

    g_assert_cmpstr (by_cookie->body, ==,
                     "{\"ok\":true,\"userCtx\":{\"name\":\"ana\",\"roles\":[\"rw\"]},\"info\":"
                     "{\"authentication_handlers\":[\"cookie\",\"default\"],\"authenticated\":\"cookie\"}}\n");
    g_assert_cmpstr (anonymous->body, ==,
                     "{\"ok\":true,\"userCtx\":{\"name\":null,\"roles\":[]},\"info\":"
                     "{\"authentication_handlers\":[\"cookie\",\"default\"]}}\n");
    g_assert_cmpstr (by_basic->body, ==,
                     "{\"ok\":true,\"userCtx\":{\"name\":\"bo\",\"roles\":[\"ro\"]},\"info\":"
                     "{\"authentication_handlers\":[\"cookie\",\"default\"],\"authenticated\":\"default\"}}\n");
    assert_error (bad_basic, 401, "unauthorized");
  }

  /* The cookie works as the account's credentials, with its role. */
  {
    const char *doc = "{" PAGE_FIELDS "}";
    g_autoptr(Reply) ana_put = call_cookie (f, "PUT", "/handbook/page:c1", "application/json", doc, ana);
    g_autoptr(Reply) bo_put = call_cookie (f, "PUT", "/handbook/page:c2", "application/json", doc, bo);
    g_autoptr(Reply) bo_get = call_cookie (f, "GET", "/handbook/page:c1", NULL, NULL, bo);
    g_autoptr(Reply) none = call_cookie (f, "GET", "/handbook/page:c1", NULL, NULL, NULL);

    g_assert_cmpuint (ana_put->status, ==, 201);
    assert_error (bo_put, 403, "forbidden");
    g_assert_cmpuint (bo_get->status, ==, 200);
    assert_error (none, 401, "unauthorized");
  }

  /* A changed byte, another name, or a cookie of another server: refused. */
  {
    g_autofree char *flipped = g_strdup (ana);
    gsize last = strlen (flipped) - 1;
    g_autoptr(Reply) forged = NULL;
    g_autoptr(Reply) garbage = NULL;
    g_autoptr(MerServer) other = mer_server_new (f->store, f->accounts);
    g_autoptr(Reply) foreign = NULL;

    flipped[last - 3] = flipped[last - 3] == 'A' ? 'B' : 'A';
    forged = call_cookie (f, "GET", "/handbook", NULL, NULL, flipped);
    assert_error (forged, 401, "unauthorized");
    garbage = call_cookie (f, "GET", "/handbook", NULL, NULL, "AuthSession=YW5hOmZmZmZmZmZmZmY6MDA");
    assert_error (garbage, 401, "unauthorized");

    /* The same account on another server (another key) cannot use it. */
    g_assert_true (mer_server_listen (other, "127.0.0.1:0", NULL, NULL));
    {
      g_autofree char *saved = f->base;

      f->base = g_strdup_printf ("http://127.0.0.1:%u", mer_server_get_port (other));
      foreign = call_cookie (f, "GET", "/handbook", NULL, NULL, ana);
      g_free (f->base);
      f->base = g_steal_pointer (&saved);
    }
    assert_error (foreign, 401, "unauthorized");
    mer_server_stop (other);
  }

  /* A new password ends the sessions opened with the old one. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(Reply) before = call_cookie (f, "GET", "/handbook", NULL, NULL, bo);
    g_autoptr(Reply) after = NULL;

    g_assert_cmpuint (before->status, ==, 200);
    g_assert_true (mer_accounts_remove (f->accounts, "bo", &error));
    g_assert_true (mer_accounts_add (f->accounts, "bo", "new-password", MER_ROLE_RO, NULL, &error));
    g_assert_no_error (error);
    after = call_cookie (f, "GET", "/handbook", NULL, NULL, bo);
    assert_error (after, 401, "unauthorized");
  }

  /* DELETE tells the client to drop it; a login body is small. */
  {
    g_autoptr(Reply) out = call_cookie (f, "DELETE", "/_session", NULL, NULL, ana);
    g_autofree char *huge = g_strdup_printf ("name=ana&password=%0*d", 70000, 0);
    g_autoptr(Reply) too_big = call_cookie (f, "POST", "/_session", "application/x-www-form-urlencoded", huge, NULL);

    g_assert_cmpuint (out->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (out->headers, "Set-Cookie"), ==,
                     "AuthSession=; Version=1; Max-Age=0; Path=/; HttpOnly");
    assert_error (too_big, 413, "too_large");
  }
}

/* A session lasts its lifetime, and is renewed once past half of it. */
static void
test_session_expiry (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *cookie = NULL;
  g_autofree char *renewed = NULL;

  mer_server_set_session_lifetime (f->server, 6);
  cookie = login (f, "name=ana&password=ana-password");
  {
    g_autoptr(Reply) fresh = call_cookie (f, "GET", "/handbook", NULL, NULL, cookie);

    g_assert_cmpuint (fresh->status, ==, 200);
    g_assert_null (soup_message_headers_get_one (fresh->headers, "Set-Cookie"));
  }
  g_usleep (3600 * 1000);
  {
    g_autoptr(Reply) old = call_cookie (f, "GET", "/handbook", NULL, NULL, cookie);

    g_assert_cmpuint (old->status, ==, 200);
    renewed = session_cookie (old);
    g_assert_nonnull (renewed);
    g_assert_cmpstr (renewed, !=, cookie);
  }
  g_usleep (2600 * 1000);
  {
    g_autoptr(Reply) expired = call_cookie (f, "GET", "/handbook", NULL, NULL, cookie);
    g_autoptr(Reply) still = call_cookie (f, "GET", "/handbook", NULL, NULL, renewed);

    assert_error (expired, 401, "unauthorized");
    g_assert_cmpuint (still->status, ==, 200);
  }
}

#define ADD(path, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (TRUE), fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  ADD ("/server/gzip-bodies", test_gzip_bodies);
  ADD ("/server/session", test_session);
  ADD ("/server/session/expiry", test_session_expiry);
  return g_test_run ();
}
