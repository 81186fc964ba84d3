/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-accounts.h"
#include "mer-core.h"
#include "mer-json.h"
#include "mer-server.h"
#include "mer-store.h"
#include "mer-test-util.h"

#include <libsoup/soup.h>
#include <string.h>

#define RW "ana:ana-password"
#define RO "bo:bo-password"
#define PAGE_FIELDS "\"type\":\"page\",\"title\":\"On call\",\"path\":\"engineering/on-call\",\"body\":\"Pager\""
#define PAGE "{" PAGE_FIELDS "}"
/* Replication checkpoint ids, as PouchDB names them (base64 of an MD5). */
#define CP       "aGVsbG8gd29ybGQgMTIzNA%3D%3D"
#define CP_ID    "_local/aGVsbG8gd29ybGQgMTIzNA=="
#define CP2      "b3RoZXIgY2hlY2twb2ludA%3D%3D"

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

static JsonArray *
arr (Reply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (reply->json));
  return json_node_get_array (reply->json);
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

static char *
put_page (Fixture    *f,
          const char *id,
          const char *credentials)
{
  g_autofree char *path = g_strdup_printf ("/handbook/%s", id);
  g_autoptr(Reply) reply = call (f, "PUT", path, PAGE, credentials);

  g_assert_cmpuint (reply->status, ==, 201);
  return g_strdup (mer_json_get_string (obj (reply), "rev"));
}

/* Server and database ------------------------------------------------------- */

static void
test_welcome (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Reply) reply = call (f, "GET", "/", NULL, NULL);
  g_autoptr(MerStore) again = NULL;
  const char *uuid;

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (obj (reply), "couchdb"), ==, "Welcome");
  g_assert_nonnull (mer_json_get_string (obj (reply), "version"));
  uuid = mer_json_get_string (obj (reply), "uuid");
  g_assert_cmpuint (strlen (uuid), ==, 32);
  g_assert_cmpuint (strspn (uuid, "0123456789abcdef"), ==, 32);
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (obj (reply), "vendor"), "name"), ==, "Meridian");

  /* The uuid survives a restart, or every PouchDB checkpoint is orphaned. */
  again = mer_core_open_store (f->dir, NULL);
  g_assert_cmpstr (mer_store_get_uuid (again), ==, uuid);
}

static void
test_db (Fixture       *f,
         gconstpointer  data)
{
  const char *paths[] = { "/handbook", "/handbook/" };
  g_autofree char *rev = put_page (f, "page:a", RW);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(Reply) reply = call (f, "GET", paths[i], NULL, RW);
      JsonObject *info = obj (reply);

      g_assert_cmpuint (reply->status, ==, 200);
      g_assert_cmpstr (mer_json_get_string (info, "db_name"), ==, "handbook");
      g_assert_cmpint (json_object_get_int_member (info, "doc_count"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (info, "doc_del_count"), ==, 0);
      g_assert_cmpint (json_object_get_int_member (info, "update_seq"), ==, mer_store_get_update_seq (f->store));
      g_assert_cmpint (json_object_get_int_member (info, "purge_seq"), ==, 0);
      g_assert_cmpstr (mer_json_get_string (info, "instance_start_time"), ==, "0");
      g_assert_true (json_object_has_member (info, "sizes"));
    }
  {
    g_autoptr(Reply) head = call (f, "HEAD", "/handbook", NULL, RW);
    g_autoptr(Reply) put = call (f, "PUT", "/handbook", NULL, RW);
    g_autoptr(Reply) other = call (f, "GET", "/elsewhere", NULL, RW);
    g_autoptr(Reply) other_put = call (f, "PUT", "/elsewhere", NULL, RW);
    g_autoptr(Reply) delete = call (f, "DELETE", "/handbook", NULL, RW);

    g_assert_cmpuint (head->status, ==, 200);
    g_assert_cmpstr (head->body, ==, "");
    assert_error (put, 412, "file_exists");
    assert_error (other, 404, "not_found");
    g_assert_cmpstr (mer_json_get_string (obj (other), "reason"), ==, "Database does not exist.");
    assert_error (other_put, 404, "not_found");
    assert_error (delete, 405, "method_not_allowed");
    g_assert_nonnull (soup_message_headers_get_one (delete->headers, "Allow"));
  }
}

/* Documents ---------------------------------------------------------------- */

static void
test_docs (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *rev1 = put_page (f, "page:a", RW);
  g_autofree char *rev2 = NULL;
  g_autofree char *path = NULL;

  {
    g_autoptr(Reply) reply = call (f, "GET", "/handbook/page%3Aa", NULL, RW);
    g_assert_cmpuint (reply->status, ==, 200);
    g_assert_cmpstr (mer_json_get_string (obj (reply), "_id"), ==, "page:a");
    g_assert_cmpstr (mer_json_get_string (obj (reply), "_rev"), ==, rev1);
    g_assert_cmpstr (mer_json_get_string (obj (reply), "title"), ==, "On call");
    g_assert_false (json_object_has_member (obj (reply), "_revisions"));
    g_assert_nonnull (soup_message_headers_get_one (reply->headers, "ETag"));
  }
  {
    g_autofree char *body = g_strdup_printf ("{\"_rev\":\"%s\",\"type\":\"page\",\"title\":\"On call 2\","
                                             "\"path\":\"engineering/on-call\",\"body\":\"Pager\"}", rev1);
    g_autoptr(Reply) reply = call (f, "PUT", "/handbook/page:a", body, RW);
    g_autoptr(Reply) stale = call (f, "PUT", "/handbook/page:a", body, RW);
    g_autoptr(Reply) fresh_without_rev = call (f, "PUT", "/handbook/page:a", PAGE, RW);

    g_assert_cmpuint (reply->status, ==, 201);
    g_assert_true (json_object_get_boolean_member (obj (reply), "ok"));
    g_assert_cmpstr (mer_json_get_string (obj (reply), "id"), ==, "page:a");
    rev2 = g_strdup (mer_json_get_string (obj (reply), "rev"));
    g_assert_true (g_str_has_prefix (rev2, "2-"));
    assert_error (stale, 409, "conflict");
    assert_error (fresh_without_rev, 409, "conflict");
  }
  {
    g_autoptr(Reply) reply = call (f, "GET", "/handbook/page:a?revs=true", NULL, RW);
    JsonObject *revisions = json_object_get_object_member (obj (reply), "_revisions");

    g_assert_cmpint (json_object_get_int_member (revisions, "start"), ==, 2);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (revisions, "ids")), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (revisions, "ids"), 0), ==,
                     strchr (rev2, '-') + 1);
  }
  {
    g_autofree char *old = g_strdup_printf ("/handbook/page:a?rev=%s", rev1);
    g_autoptr(Reply) reply = call (f, "GET", old, NULL, RW);
    g_autoptr(Reply) bad_rev = call (f, "GET", "/handbook/page:a?rev=banana", NULL, RW);
    g_autoptr(Reply) bad_bool = call (f, "GET", "/handbook/page:a?conflicts=maybe", NULL, RW);
    g_autoptr(Reply) missing = call (f, "GET", "/handbook/page:zzz", NULL, RW);

    g_assert_cmpuint (reply->status, ==, 200);
    g_assert_cmpstr (mer_json_get_string (obj (reply), "title"), ==, "On call");
    assert_error (bad_rev, 400, "bad_request");
    assert_error (bad_bool, 400, "query_parse_error");
    assert_error (missing, 404, "not_found");
    g_assert_cmpstr (mer_json_get_string (obj (missing), "reason"), ==, "missing");
  }

  /* A conflict grafted with new_edits=false shows in ?conflicts=true. */
  {
    const char *branch = "{\"_rev\":\"2-0123456789abcdef0123456789abcdef\",\"_revisions\":{\"start\":2,\"ids\":"
                         "[\"0123456789abcdef0123456789abcdef\",\"%s\"]},\"type\":\"page\",\"title\":\"Other\","
                         "\"path\":\"engineering/on-call\",\"body\":\"Pager\"}";
    g_autofree char *body = g_strdup_printf (branch, strchr (rev1, '-') + 1);
    g_autoptr(Reply) put = call (f, "PUT", "/handbook/page:a?new_edits=false", body, RW);
    g_autoptr(Reply) get = call (f, "GET", "/handbook/page:a?conflicts=true", NULL, RW);
    g_autoptr(Reply) plain = call (f, "GET", "/handbook/page:a", NULL, RW);
    JsonArray *conflicts;

    g_assert_cmpuint (put->status, ==, 201);
    conflicts = json_object_get_array_member (obj (get), "_conflicts");
    g_assert_cmpuint (json_array_get_length (conflicts), ==, 1);
    g_assert_false (json_object_has_member (obj (plain), "_conflicts"));
  }

  /* Deletion: a rev is required; the tombstone answers "deleted". */
  {
    g_autoptr(Reply) no_rev = call (f, "DELETE", "/handbook/page:a", NULL, RW);
    g_autoptr(Reply) stale = NULL;
    g_autoptr(Reply) deleted = NULL;
    g_autoptr(Reply) get = NULL;
    g_autoptr(Reply) deleted_conflicts = NULL;
    g_autofree char *stale_path = g_strdup_printf ("/handbook/page:a?rev=%s", rev1);

    assert_error (no_rev, 409, "conflict");
    stale = call (f, "DELETE", stale_path, NULL, RW);
    assert_error (stale, 409, "conflict");
    path = g_strdup_printf ("/handbook/page:a?rev=%s", rev2);
    deleted = call (f, "DELETE", path, NULL, RW);
    g_assert_cmpuint (deleted->status, ==, 200);
    g_assert_true (json_object_get_boolean_member (obj (deleted), "ok"));
    g_assert_true (g_str_has_prefix (mer_json_get_string (obj (deleted), "rev"), "3-"));
    /* The other branch still stands, so it becomes the winner. */
    get = call (f, "GET", "/handbook/page:a?deleted_conflicts=true", NULL, RW);
    g_assert_cmpuint (get->status, ==, 200);
    g_assert_cmpstr (mer_json_get_string (obj (get), "title"), ==, "Other");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (get), "_deleted_conflicts")), ==, 1);
    (void) deleted_conflicts;
  }
  {
    g_autofree char *rev = put_page (f, "page:b", RW);
    g_autofree char *delete_path = g_strdup_printf ("/handbook/page:b?rev=%s", rev);
    g_autoptr(Reply) deleted = call (f, "DELETE", delete_path, NULL, RW);
    g_autoptr(Reply) get = call (f, "GET", "/handbook/page:b", NULL, RW);

    g_assert_cmpuint (deleted->status, ==, 200);
    assert_error (get, 404, "not_found");
    g_assert_cmpstr (mer_json_get_string (obj (get), "reason"), ==, "deleted");
  }
  /* POST /{db} creates a document with a new id. */
  {
    g_autoptr(Reply) post = call (f, "POST", "/handbook", "{\"kind\":\"foreign\"}", RW);

    g_assert_cmpuint (post->status, ==, 201);
    g_assert_cmpuint (strlen (mer_json_get_string (obj (post), "id")), ==, 32);
  }
}

/* Ids are split before decoding: "%2F" stays inside an id. */
static void
test_ids (Fixture       *f,
          gconstpointer  data)
{
  gint64 seq;

  {
    g_autoptr(Reply) put = call (f, "PUT", "/handbook/notes%2F2026%3Aq1", "{\"x\":1}", RW);
    g_autoptr(Reply) get = call (f, "GET", "/handbook/notes%2F2026%3Aq1", NULL, RW);
    g_autoptr(Reply) attachment = call (f, "GET", "/handbook/notes/2026", NULL, RW);

    g_assert_cmpuint (put->status, ==, 201);
    g_assert_cmpstr (mer_json_get_string (obj (put), "id"), ==, "notes/2026:q1");
    g_assert_cmpstr (mer_json_get_string (obj (get), "_id"), ==, "notes/2026:q1");
    assert_error (attachment, 404, "not_found");
  }

  seq = mer_store_get_update_seq (f->store);
  {
    g_autofree char *long_id = g_strnfill (513, 'a');
    g_autofree char *long_path = g_strconcat ("/handbook/", long_id, NULL);
    struct { const char *path; guint status; const char *error; } cases[] = {
      { "/handbook/_foo", 400, "bad_request" },
      { "/handbook/a%01b", 400, "bad_request" },
      { "/handbook/a%00b", 400, "bad_request" },
      { "/handbook/a%C3", 400, "bad_request" },
      { "/handbook/page%3A", 400, "bad_request" },
      { long_path, 400, "bad_request" },
      { "/handbook/_design/x", 403, "forbidden" },
      { "/handbook/page%3Ab", 403, "forbidden" },    /* a page without its fields */
      { "/handbook/person%3Aana", 403, "forbidden" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(Reply) reply = call (f, "PUT", cases[i].path, "{\"type\":\"person\",\"x\":1}", RW);
        assert_error (reply, cases[i].status, cases[i].error);
      }
  }
  /* A page path that could climb out of an export folder is refused on
   * every way in: a PUT, a _bulk_docs batch and a replicated revision. */
  {
    static const char * const bad_paths[] = {
      "../../etc/passwd", "a/../b", "./a", "a//b", "/abs", "a\\\\b", "a\\u0001b",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad_paths); i++)
      {
        g_autofree char *body = g_strdup_printf ("{\"type\":\"page\",\"title\":\"t\",\"path\":\"%s\",\"body\":\"b\"}",
                                                 bad_paths[i]);
        g_autofree char *bulk = g_strdup_printf ("{\"docs\":[{\"_id\":\"page:evil\",\"type\":\"page\",\"title\":\"t\","
                                                 "\"path\":\"%s\",\"body\":\"b\"}]}", bad_paths[i]);
        g_autoptr(Reply) reply = call (f, "PUT", "/handbook/page%3Aevil", body, RW);
        g_autoptr(Reply) batch = call (f, "POST", "/handbook/_bulk_docs", bulk, RW);
        JsonArray *results;

        assert_error (reply, 403, "forbidden");
        g_assert_nonnull (strstr (mer_json_get_string (obj (reply), "reason"), "page path"));
        g_assert_cmpuint (batch->status, ==, 201);
        g_assert_true (JSON_NODE_HOLDS_ARRAY (batch->json));
        results = json_node_get_array (batch->json);
        g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (results, 0), "error"), ==, "forbidden");
      }
  }
  g_assert_cmpint (mer_store_get_update_seq (f->store), ==, seq);
}

static void
test_local (Fixture       *f,
            gconstpointer  data)
{
  gint64 seq = mer_store_get_update_seq (f->store);

  {
    g_autoptr(Reply) put = call (f, "PUT", "/handbook/_local/" CP, "{\"last_seq\":5,\"history\":[]}", RW);
    g_autoptr(Reply) get = call (f, "GET", "/handbook/_local/" CP, NULL, RW);
    g_autoptr(Reply) stale = call (f, "PUT", "/handbook/_local/" CP, "{\"last_seq\":6}", RW);
    g_autoptr(Reply) update = call (f, "PUT", "/handbook/_local/" CP, "{\"_rev\":\"0-1\",\"last_seq\":6}", RW);
    g_autoptr(Reply) bad_rev = call (f, "PUT", "/handbook/_local/" CP, "{\"_rev\":\"1-abc\",\"last_seq\":6}", RW);

    g_assert_cmpuint (put->status, ==, 201);
    g_assert_cmpstr (mer_json_get_string (obj (put), "id"), ==, CP_ID);
    g_assert_cmpstr (mer_json_get_string (obj (put), "rev"), ==, "0-1");
    g_assert_cmpuint (get->status, ==, 200);
    g_assert_cmpstr (mer_json_get_string (obj (get), "_rev"), ==, "0-1");
    g_assert_cmpint (json_object_get_int_member (obj (get), "last_seq"), ==, 5);
    assert_error (stale, 409, "conflict");
    g_assert_cmpuint (update->status, ==, 201);
    g_assert_cmpstr (mer_json_get_string (obj (update), "rev"), ==, "0-2");
    assert_error (bad_rev, 400, "bad_request");
  }
  {
    g_autoptr(Reply) wrong = call (f, "DELETE", "/handbook/_local/" CP "?rev=0-1", NULL, RW);
    g_autoptr(Reply) deleted = call (f, "DELETE", "/handbook/_local/" CP "?rev=0-2", NULL, RW);
    g_autoptr(Reply) gone = call (f, "GET", "/handbook/_local/" CP, NULL, RW);
    g_autoptr(Reply) changes = call (f, "GET", "/handbook/_changes", NULL, RW);

    assert_error (wrong, 409, "conflict");
    g_assert_cmpuint (deleted->status, ==, 200);
    assert_error (gone, 404, "not_found");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (changes), "results")), ==, 0);
  }
  /* Local documents never move the changes feed. */
  g_assert_cmpint (mer_store_get_update_seq (f->store), ==, seq);
}

/* The changes feed --------------------------------------------------------- */

static void
test_changes (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *a = put_page (f, "page:a", RW);
  g_autofree char *b = put_page (f, "page:b", RW);
  g_autofree char *c = put_page (f, "page:c", RW);
  gint64 first_seq;

  {
    g_autoptr(Reply) all = call (f, "GET", "/handbook/_changes?style=all_docs", NULL, RW);
    JsonArray *results = json_object_get_array_member (obj (all), "results");
    JsonObject *row = json_array_get_object_element (results, 0);

    g_assert_cmpuint (json_array_get_length (results), ==, 3);
    g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "page:a");
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (json_object_get_array_member (row, "changes"), 0), "rev"), ==, a);
    g_assert_cmpint (json_object_get_int_member (obj (all), "last_seq"), ==, mer_store_get_update_seq (f->store));
    g_assert_cmpint (json_object_get_int_member (obj (all), "pending"), ==, 0);
    first_seq = json_object_get_int_member (row, "seq");
  }
  {
    g_autofree char *path = g_strdup_printf ("/handbook/_changes?since=%" G_GINT64_FORMAT "&limit=1&include_docs=true", first_seq);
    g_autoptr(Reply) page = call (f, "GET", path, NULL, RW);
    JsonArray *results = json_object_get_array_member (obj (page), "results");
    JsonObject *row = json_array_get_object_element (results, 0);

    g_assert_cmpuint (json_array_get_length (results), ==, 1);
    g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "page:b");
    g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (row, "doc"), "title"), ==, "On call");
    g_assert_cmpint (json_object_get_int_member (obj (page), "last_seq"), ==, json_object_get_int_member (row, "seq"));
    g_assert_cmpint (json_object_get_int_member (obj (page), "pending"), >, 0);
  }
  {
    g_autoptr(Reply) now = call (f, "GET", "/handbook/_changes?since=now", NULL, RW);
    g_autoptr(Reply) bad_since = call (f, "GET", "/handbook/_changes?since=-1", NULL, RW);
    g_autoptr(Reply) bad_limit = call (f, "GET", "/handbook/_changes?limit=x", NULL, RW);
    g_autoptr(Reply) bad_feed = call (f, "GET", "/handbook/_changes?feed=eventsource", NULL, RW);
    g_autoptr(Reply) post = call (f, "POST", "/handbook/_changes", "{}", RW);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (now), "results")), ==, 0);
    g_assert_cmpint (json_object_get_int_member (obj (now), "last_seq"), ==, mer_store_get_update_seq (f->store));
    assert_error (bad_since, 400, "bad_request");
    assert_error (bad_limit, 400, "query_parse_error");
    assert_error (bad_feed, 400, "bad_request");
    /* POST is CouchDB's way to send doc_ids; without a filter it is the plain feed. */
    g_assert_cmpuint (post->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (post), "results")), ==, 3);
  }
  (void) b;
  (void) c;
}

/* A long poll wakes on writes through the server's own store connection. */
static void
test_longpoll_own_write (Fixture       *f,
                         gconstpointer  data)
{
  Pending *pending = start_request (f, "GET", "/handbook/_changes?feed=longpoll&since=now&heartbeat=50",
                                    NULL, NULL, 0, RW, NULL);
  g_autoptr(Reply) reply = NULL;
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"page:late\"," PAGE_FIELDS "}");
  g_autofree char *rev = NULL;
  JsonArray *results;

  /* Let the request arrive and a few heartbeats go by before writing. */
  for (int i = 0; i < 30; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  g_assert_false (pending->done);
  rev = mer_store_put_doc (f->store, doc, NULL);
  g_assert_nonnull (rev);
  reply = finish_request (pending);
  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_true (reply->body[0] == '\n');   /* heartbeats came first */
  results = json_object_get_array_member (obj (reply), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (results, 0), "id"), ==, "page:late");
}

/* A filtered long poll waits past the writes of other documents. */
static void
test_longpoll_doc_ids (Fixture       *f,
                       gconstpointer  data)
{
  const char *ids = "{\"doc_ids\":[\"page:wanted\"]}";
  Pending *pending = start_request (f, "POST", "/handbook/_changes?feed=longpoll&since=now&filter=_doc_ids",
                                    "application/json", ids, -1, RW, NULL);
  g_autoptr(Reply) reply = NULL;
  g_autoptr(JsonObject) other = mer_test_object ("{\"_id\":\"page:other\"," PAGE_FIELDS "}");
  g_autoptr(JsonObject) wanted = mer_test_object ("{\"_id\":\"page:wanted\"," PAGE_FIELDS "}");
  g_autofree char *rev = NULL;
  g_autofree char *rev2 = NULL;
  JsonArray *results;

  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  rev = mer_store_put_doc (f->store, other, NULL);
  g_assert_nonnull (rev);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  g_assert_false (pending->done);
  rev2 = mer_store_put_doc (f->store, wanted, NULL);
  g_assert_nonnull (rev2);
  reply = finish_request (pending);
  g_assert_cmpuint (reply->status, ==, 200);
  results = json_object_get_array_member (obj (reply), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (results, 0), "id"), ==, "page:wanted");
}

/* Another connection (another process, in real life) is noticed through
 * the store's watch, as `meridian serve` sets it. */
static void
test_longpoll_other_writer (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(MerStore) other = mer_core_open_store (f->dir, NULL);
  g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"page:elsewhere\"," PAGE_FIELDS "}");
  Pending *pending = start_request (f, "GET", "/handbook/_changes?feed=longpoll&since=0&timeout=30000",
                                    NULL, NULL, 0, RW, NULL);
  g_autoptr(Reply) reply = NULL;
  g_autofree char *rev = NULL;

  mer_store_watch_others (f->store, 20);
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  g_assert_false (pending->done);
  rev = mer_store_put_doc (other, doc, NULL);
  g_assert_nonnull (rev);
  reply = finish_request (pending);
  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (json_object_get_array_member (obj (reply), "results"), 0), "id"),
                   ==, "page:elsewhere");
}

static void
test_longpoll_timeout_and_continuous (Fixture       *f,
                                      gconstpointer  data)
{
  g_autofree char *rev = put_page (f, "page:a", RW);
  g_autoptr(Reply) timeout = call (f, "GET", "/handbook/_changes?feed=longpoll&since=now&timeout=200", NULL, RW);
  g_autoptr(Reply) continuous = call (f, "GET", "/handbook/_changes?feed=continuous&since=0&timeout=200", NULL, RW);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) row = NULL;
  g_autoptr(JsonObject) end = NULL;

  g_assert_cmpuint (timeout->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (timeout), "results")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (obj (timeout), "last_seq"), ==, mer_store_get_update_seq (f->store));

  g_assert_cmpuint (continuous->status, ==, 200);
  lines = g_strsplit (g_strstrip (continuous->body), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  row = mer_json_parse_object (lines[0], -1, NULL);
  end = mer_json_parse_object (lines[1], -1, NULL);
  g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "page:a");
  g_assert_cmpint (json_object_get_int_member (end, "last_seq"), ==, mer_store_get_update_seq (f->store));
}

/* Replication ---------------------------------------------------------------- */

static void
test_revs_diff_and_bulk_get (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *rev = put_page (f, "page:a", RW);
  g_autofree char *body = g_strdup_printf ("{\"page:a\":[\"%s\",\"2-0123456789abcdef0123456789abcdef\"],"
                                           "\"page:new\":[\"1-0123456789abcdef0123456789abcdef\"]}", rev);
  g_autoptr(Reply) diff = call (f, "POST", "/handbook/_revs_diff", body, RW);
  g_autoptr(Reply) none = NULL;
  g_autofree char *none_body = g_strdup_printf ("{\"page:a\":[\"%s\"]}", rev);
  g_autofree char *get_body = g_strdup_printf ("{\"docs\":[{\"id\":\"page:a\",\"rev\":\"%s\"},{\"id\":\"page:a\"},"
                                               "{\"id\":\"page:nope\",\"rev\":\"1-0123456789abcdef0123456789abcdef\"},"
                                               "{\"id\":\"page:nope\"}]}", rev);
  g_autoptr(Reply) bulk = call (f, "POST", "/handbook/_bulk_get?revs=true&latest=true", get_body, RW);
  g_autoptr(Reply) plain = call (f, "POST", "/handbook/_bulk_get", get_body, RW);
  JsonObject *missing;
  JsonArray *results;
  JsonObject *ok, *error;

  g_assert_cmpuint (diff->status, ==, 200);
  missing = json_object_get_object_member (obj (diff), "page:a");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (missing, "missing")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (missing, "missing"), 0), ==,
                   "2-0123456789abcdef0123456789abcdef");
  g_assert_true (json_object_has_member (obj (diff), "page:new"));
  none = call (f, "POST", "/handbook/_revs_diff", none_body, RW);
  g_assert_cmpuint (json_object_get_size (obj (none)), ==, 0);

  g_assert_cmpuint (bulk->status, ==, 200);
  results = json_object_get_array_member (obj (bulk), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 4);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (results, 0), "id"), ==, "page:a");
  ok = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (results, 0), "docs"), 0), "ok");
  g_assert_cmpstr (mer_json_get_string (ok, "_rev"), ==, rev);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (ok, "_revisions"), "start"), ==, 1);
  ok = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (results, 1), "docs"), 0), "ok");
  g_assert_cmpstr (mer_json_get_string (ok, "_rev"), ==, rev);
  for (guint i = 2; i < 4; i++)
    {
      error = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (results, i), "docs"), 0), "error");
      g_assert_cmpstr (mer_json_get_string (error, "id"), ==, "page:nope");
      g_assert_cmpstr (mer_json_get_string (error, "error"), ==, "not_found");
      g_assert_cmpstr (mer_json_get_string (error, "reason"), ==, "missing");
    }
  g_assert_cmpstr (mer_json_get_string (error, "rev"), ==, "undefined");
  error = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (results, 2), "docs"), 0), "error");
  g_assert_cmpstr (mer_json_get_string (error, "rev"), ==, "1-0123456789abcdef0123456789abcdef");

  /* A revision this replica never had, of a document it has, is named in
   * its error too. */
  {
    g_autoptr(Reply) unknown = call (f, "POST", "/handbook/_bulk_get",
                                     "{\"docs\":[{\"id\":\"page:a\",\"rev\":\"9-0123456789abcdef0123456789abcdef\"}]}", RW);

    g_assert_cmpuint (unknown->status, ==, 200);
    error = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (obj (unknown), "results"), 0), "docs"), 0), "error");
    g_assert_nonnull (error);
    g_assert_cmpstr (mer_json_get_string (error, "id"), ==, "page:a");
    g_assert_cmpstr (mer_json_get_string (error, "rev"), ==, "9-0123456789abcdef0123456789abcdef");
  }

  ok = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (obj (plain), "results"), 0), "docs"), 0), "ok");
  g_assert_false (json_object_has_member (ok, "_revisions"));

  {
    g_autoptr(Reply) bad1 = call (f, "POST", "/handbook/_revs_diff", "{\"page:a\":\"1-abc\"}", RW);
    g_autoptr(Reply) bad2 = call (f, "POST", "/handbook/_revs_diff", "{\"page:a\":[\"nonsense\"]}", RW);
    g_autoptr(Reply) bad3 = call (f, "POST", "/handbook/_bulk_get", "{\"docs\":{}}", RW);
    g_autoptr(Reply) bad4 = call (f, "POST", "/handbook/_bulk_get", "{\"docs\":[{\"rev\":\"1-a\"}]}", RW);
    g_autoptr(Reply) get = call (f, "GET", "/handbook/_bulk_get", NULL, RW);

    assert_error (bad1, 400, "bad_request");
    assert_error (bad2, 400, "bad_request");
    assert_error (bad3, 400, "bad_request");
    assert_error (bad4, 400, "bad_request");
    assert_error (get, 405, "method_not_allowed");
  }
}

static void
test_open_revs (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *rev = put_page (f, "page:a", RW);
  g_autoptr(Reply) all = call (f, "GET", "/handbook/page:a?open_revs=all&revs=true", NULL, RW);
  g_autofree char *path = g_strdup_printf ("/handbook/page:a?open_revs=%%5B%%22%s%%22,%%221-ffffffffffffffffffffffffffffffff%%22%%5D&latest=true", rev);
  g_autoptr(Reply) some = call (f, "GET", path, NULL, RW);
  g_autoptr(Reply) bad = call (f, "GET", "/handbook/page:a?open_revs=%5B1%5D", NULL, RW);
  g_autoptr(Reply) bad2 = call (f, "GET", "/handbook/page:a?open_revs=%5B", NULL, RW);
  JsonObject *ok;

  g_assert_cmpuint (all->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (arr (all)), ==, 1);
  ok = json_object_get_object_member (json_array_get_object_element (arr (all), 0), "ok");
  g_assert_cmpstr (mer_json_get_string (ok, "_rev"), ==, rev);
  g_assert_true (json_object_has_member (ok, "_revisions"));

  g_assert_cmpuint (json_array_get_length (arr (some)), ==, 2);
  g_assert_false (json_object_has_member (json_object_get_object_member (json_array_get_object_element (arr (some), 0), "ok"), "_revisions"));
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (arr (some), 1), "missing"), ==,
                   "1-ffffffffffffffffffffffffffffffff");
  assert_error (bad, 400, "bad_request");
  assert_error (bad2, 400, "bad_request");
}

static void
test_bulk_docs (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Reply) created = call (f, "POST", "/handbook/_bulk_docs",
                                   "{\"docs\":[{\"_id\":\"page:a\",\"type\":\"page\",\"title\":\"A\",\"path\":\"a\",\"body\":\"\"},"
                                   "{\"_id\":\"note:1\",\"text\":\"foreign\"}]}", RW);
  g_autoptr(Reply) conflict = NULL;
  g_autoptr(Reply) replicated = NULL;
  JsonArray *results;
  gint64 seq;

  g_assert_cmpuint (created->status, ==, 201);
  results = arr (created);
  g_assert_cmpuint (json_array_get_length (results), ==, 2);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (results, 0), "ok"));
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (results, 0), "id"), ==, "page:a");
  g_assert_true (g_str_has_prefix (mer_json_get_string (json_array_get_object_element (results, 1), "rev"), "1-"));

  conflict = call (f, "POST", "/handbook/_bulk_docs",
                   "{\"docs\":[{\"_id\":\"note:1\",\"text\":\"again\"}]}", RW);
  g_assert_cmpuint (conflict->status, ==, 201);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (arr (conflict), 0), "error"), ==, "conflict");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (arr (conflict), 0), "id"), ==, "note:1");

  replicated = call (f, "POST", "/handbook/_bulk_docs",
                     "{\"new_edits\":false,\"docs\":[{\"_id\":\"note:2\",\"_rev\":\"3-cccccccccccccccccccccccccccccccc\","
                     "\"_revisions\":{\"start\":3,\"ids\":[\"cccccccccccccccccccccccccccccccc\",\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]},\"x\":1}]}", RW);
  g_assert_cmpuint (replicated->status, ==, 201);
  g_assert_cmpuint (json_array_get_length (arr (replicated)), ==, 0);
  {
    g_autoptr(JsonObject) doc = mer_store_get_doc (f->store, "note:2", NULL, MER_GET_DEFAULT, NULL);
    g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, "3-cccccccccccccccccccccccccccccccc");
  }

  /* A batch of the wrong shape is refused whole: nothing is written. */
  seq = mer_store_get_update_seq (f->store);
  {
    struct { const char *body; guint status; const char *error; } cases[] = {
      { "{\"docs\":[{\"_id\":\"note:3\"},5]}", 400, "bad_request" },
      { "{\"new_edits\":\"no\",\"docs\":[]}", 400, "bad_request" },
      { "{\"docs\":{}}", 400, "bad_request" },
      { "[]", 400, "bad_request" },
      { "{\"docs\":[", 400, "bad_request" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(Reply) reply = call (f, "POST", "/handbook/_bulk_docs", cases[i].body, RW);
        assert_error (reply, cases[i].status, cases[i].error);
      }
  }
  g_assert_cmpint (mer_store_get_update_seq (f->store), ==, seq);
  g_assert_null (mer_store_get_doc (f->store, "note:3", NULL, MER_GET_DEFAULT, NULL));

  /* Otherwise each document is answered on its own, as CouchDB does: a
   * refused one gets its error row and the rest of the batch is written. */
  {
    struct { const char *body; const char *refused_id; const char *error; const char *written_id; } cases[] = {
      { "{\"docs\":[{\"_id\":\"page:b\",\"type\":\"page\",\"title\":\"B\",\"path\":\"b\",\"body\":\"\"},"
        "{\"_id\":\"person:x\",\"type\":\"person\"}]}", "person:x", "forbidden", "page:b" },
      { "{\"docs\":[{\"_id\":\"note:3\"},{\"_id\":\"_bad\"}]}", "_bad", "bad_request", "note:3" },
      { "{\"new_edits\":false,\"docs\":[{\"_id\":\"note:4\",\"_rev\":\"1-a\"},{\"_id\":\"note:5\"}]}",
        "note:5", "bad_request", "note:4" },
      { "{\"new_edits\":false,\"docs\":[{\"_id\":\"note:6\",\"_rev\":\"2-a\",\"_revisions\":{\"start\":1,\"ids\":[\"a\"]}},"
        "{\"_id\":\"note:7\",\"_rev\":\"1-b\"}]}", "note:6", "bad_request", "note:7" },
      /* An attachment with neither data nor a stub. */
      { "{\"docs\":[{\"_id\":\"note:8\",\"_attachments\":{\"a\":{}}},{\"_id\":\"note:9\"}]}",
        "note:8", "bad_request", "note:9" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(Reply) reply = call (f, "POST", "/handbook/_bulk_docs", cases[i].body, RW);
        g_autoptr(JsonObject) written = NULL;
        JsonArray *rows;
        gboolean seen = FALSE;

        g_assert_cmpuint (reply->status, ==, 201);
        rows = arr (reply);
        for (guint j = 0; j < json_array_get_length (rows); j++)
          {
            JsonObject *row = json_array_get_object_element (rows, j);

            if (g_strcmp0 (mer_json_get_string (row, "id"), cases[i].refused_id) != 0)
              continue;
            g_assert_cmpstr (mer_json_get_string (row, "error"), ==, cases[i].error);
            g_assert_nonnull (mer_json_get_string (row, "reason"));
            /* A refused edit made no revision, and CouchDB names none; a refused replicated one is named. */
            if (strstr (cases[i].body, "\"new_edits\":false") == NULL)
              g_assert_false (json_object_has_member (row, "rev"));
            else if (strcmp (cases[i].refused_id, "note:6") == 0)
              g_assert_cmpstr (mer_json_get_string (row, "rev"), ==, "2-a");
            seen = TRUE;
          }
        g_assert_true (seen);
        g_assert_null (mer_store_get_doc (f->store, cases[i].refused_id, NULL, MER_GET_DEFAULT, NULL));
        written = mer_store_get_doc (f->store, cases[i].written_id, NULL, MER_GET_DEFAULT, NULL);
        g_assert_nonnull (written);
      }
  }
}

static void
test_misc_endpoints (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Reply) commit = call (f, "POST", "/handbook/_ensure_full_commit", NULL, RW);
  g_autoptr(Reply) session = call (f, "POST", "/_session", "{\"name\":\"a\",\"password\":\"b\"}", NULL);
  g_autoptr(Reply) unknown = call (f, "GET", "/handbook/_purge", NULL, RW);
  g_autofree char *rev = put_page (f, "page:a", RW);
  g_autoptr(Reply) all = call (f, "GET", "/handbook/_all_docs?include_docs=true", NULL, RW);

  g_assert_cmpuint (commit->status, ==, 201);
  g_assert_true (json_object_get_boolean_member (obj (commit), "ok"));
  g_assert_cmpstr (mer_json_get_string (obj (commit), "instance_start_time"), ==, "0");
  assert_error (session, 401, "unauthorized");
  assert_error (unknown, 400, "bad_request");
  g_assert_cmpint (json_object_get_int_member (obj (all), "total_rows"), ==, 1);
}

/* Hostile input: each answered with a CouchDB error, and nothing written. */
static void
test_hostile (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *rev = put_page (f, "page:a", RW);
  g_autofree char *huge_doc = NULL;
  g_autofree char *huge_request = NULL;
  GString *deep = g_string_new ("{\"docs\":[{\"_id\":\"x\",\"a\":");
  g_autofree char *deep_text = NULL;
  gint64 seq = mer_store_get_update_seq (f->store);

  {
    g_autofree char *blob = g_strnfill (1024 * 1024 + 10, 'x');
    g_autoptr(Reply) reply = NULL;

    huge_doc = g_strdup_printf ("{\"blob\":\"%s\"}", blob);
    reply = call (f, "PUT", "/handbook/note:big", huge_doc, RW);
    assert_error (reply, 413, "too_large");
  }
  {
    /* A 1 MiB document inside a batch gets its own error row. */
    g_autofree char *blob = g_strnfill (1024 * 1024 + 10, 'x');
    g_autofree char *batch = g_strdup_printf ("{\"docs\":[{\"_id\":\"note:big\",\"blob\":\"%s\"}]}", blob);
    g_autoptr(Reply) reply = call (f, "POST", "/handbook/_bulk_docs", batch, RW);
    JsonObject *row;

    g_assert_cmpuint (reply->status, ==, 201);
    g_assert_cmpuint (json_array_get_length (arr (reply)), ==, 1);
    row = json_array_get_object_element (arr (reply), 0);
    g_assert_cmpstr (mer_json_get_string (row, "id"), ==, "note:big");
    g_assert_cmpstr (mer_json_get_string (row, "error"), ==, "too_large");
  }
  {
    gsize size = MER_SERVER_MAX_REQUEST_BYTES + 16;
    g_autoptr(Reply) reply = NULL;

    huge_request = g_malloc (size);
    memset (huge_request, ' ', size);
    memcpy (huge_request, "{\"docs\":[]}", 11);
    reply = request_full (f, "POST", "/handbook/_bulk_docs", "application/json", huge_request, size, RW);
    assert_error (reply, 413, "too_large");
  }

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  deep_text = g_string_free (deep, FALSE);
  {
    struct { const char *method; const char *path; const char *type; const char *body; guint status; const char *error; } cases[] = {
      { "PUT", "/handbook/note:1", "application/json", "{\"a\":", 400, "bad_request" },
      { "PUT", "/handbook/note:1", "application/json", "[1,2]", 400, "bad_request" },
      { "PUT", "/handbook/note:1", "application/json", "\"text\"", 400, "bad_request" },
      { "PUT", "/handbook/note:1", "application/json", "{\"a\":\"\xff\"}", 400, "bad_request" },
      { "PUT", "/handbook/note:1", "application/json", "", 400, "bad_request" },
      { "PUT", "/handbook/note:1", "text/plain", "{\"a\":1}", 415, "bad_content_type" },
      { "PUT", "/handbook/note:1", "application/json", "{\"_id\":\"note:2\"}", 400, "bad_request" },
      { "PUT", "/handbook/note:1?rev=1-abc", "application/json", "{\"_rev\":\"1-def\"}", 400, "bad_request" },
      { "PUT", "/handbook/note:1", "application/json", "{\"_rev\":\"x\"}", 400, "bad_request" },
      { "PUT", "/handbook/note:1?new_edits=false", "application/json", "{\"a\":1}", 400, "bad_request" },
      { "POST", "/handbook/_bulk_docs", "application/json", deep_text, 400, "bad_request" },
      { "POST", "/handbook/_bulk_docs", "application/x-www-form-urlencoded", "{\"docs\":[]}", 415, "bad_content_type" },
      { "POST", "/handbook/_revs_diff", "application/json", "[]", 400, "bad_request" },
      { "POST", "/handbook/_revs_diff", "application/json", "{\"_bad\":[\"1-a\"]}", 400, "bad_request" },
      { "PATCH", "/handbook/note:1", "application/json", "{}", 405, "method_not_allowed" },
      { "POST", "/handbook/note:1", "application/json", "{}", 405, "method_not_allowed" },
      { "PUT", "/handbook/_changes", "application/json", "{}", 405, "method_not_allowed" },
      { "DELETE", "/handbook/_bulk_docs", NULL, NULL, 405, "method_not_allowed" },
      { "PUT", "/", "application/json", "{}", 405, "method_not_allowed" },
      { "PUT", "/handbook/note:1/_file.txt", "text/plain", "hi", 400, "bad_request" },
      { "PATCH", "/handbook/note:1/file.txt", "text/plain", "hi", 405, "method_not_allowed" },
      { "PUT", "/handbook/_local/", "application/json", "{}", 400, "bad_request" },
      { "PUT", "/handbook/_local/a/b", "application/json", "{}", 404, "not_found" },
      { "GET", "/other/note:1", NULL, NULL, 404, "not_found" },
      { "POST", "/other/_bulk_docs", "application/json", "{\"docs\":[{\"_id\":\"x\"}]}", 404, "not_found" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(Reply) reply = request_full (f, cases[i].method, cases[i].path, cases[i].type, cases[i].body,
                                               cases[i].body != NULL ? (gssize) strlen (cases[i].body) : 0, RW);
        if (reply->status != cases[i].status)
          g_error ("case %u %s %s: got %u %s", i, cases[i].method, cases[i].path, reply->status, reply->body);
        assert_error (reply, cases[i].status, cases[i].error);
      }
  }
  g_assert_cmpint (mer_store_get_update_seq (f->store), ==, seq);
  g_assert_null (mer_store_get_doc (f->store, "note:1", NULL, MER_GET_DEFAULT, NULL));
  g_assert_null (mer_store_get_local (f->store, "_local/a", NULL));
}

/* Authentication -------------------------------------------------------------- */

typedef struct
{
  const char *method;
  const char *path;
  const char *body;
  gboolean    write;
} Endpoint;

static const Endpoint endpoints[] = {
  { "GET", "/handbook", NULL, FALSE },
  { "HEAD", "/handbook", NULL, FALSE },
  { "GET", "/handbook/", NULL, FALSE },
  { "PUT", "/handbook", NULL, TRUE },
  { "POST", "/handbook", "{\"x\":1}", TRUE },
  { "GET", "/handbook/_changes", NULL, FALSE },
  { "GET", "/handbook/_changes?feed=longpoll&timeout=10", NULL, FALSE },
  { "POST", "/handbook/_revs_diff", "{\"page:a\":[\"1-abc\"]}", FALSE },
  { "POST", "/handbook/_bulk_get?revs=true&latest=true", "{\"docs\":[{\"id\":\"page:a\"}]}", FALSE },
  { "GET", "/handbook/page:a?open_revs=all&revs=true&latest=true", NULL, FALSE },
  { "POST", "/handbook/_bulk_docs", "{\"docs\":[{\"_id\":\"note:bulk\"}]}", TRUE },
  { "POST", "/handbook/_bulk_docs", "{\"new_edits\":false,\"docs\":[{\"_id\":\"note:r\",\"_rev\":\"1-abc\"}]}", TRUE },
  { "GET", "/handbook/page:a?conflicts=true&revs=true", NULL, FALSE },
  { "PUT", "/handbook/note:put", "{\"x\":1}", TRUE },
  { "PUT", "/handbook/note:put2?new_edits=false", "{\"_rev\":\"1-abc\",\"x\":1}", TRUE },
  { "DELETE", "/handbook/page:a?rev=%s", NULL, TRUE },
  { "GET", "/handbook/_local/" CP, NULL, FALSE },
  { "PUT", "/handbook/_local/" CP2, "{\"last_seq\":1}", TRUE },
  { "DELETE", "/handbook/_local/" CP "?rev=0-1", NULL, TRUE },
  { "POST", "/handbook/_ensure_full_commit", NULL, FALSE },
  { "GET", "/handbook/_all_docs", NULL, FALSE },
  { "GET", "/_all_dbs", NULL, FALSE },
};

static Reply *
call_endpoint (Fixture        *f,
               const Endpoint *endpoint,
               const char     *rev,
               const char     *credentials)
{
  g_autofree char *path = strstr (endpoint->path, "%s") != NULL
                          ? g_strdup_printf (endpoint->path, rev) : g_strdup (endpoint->path);

  return call (f, endpoint->method, path, endpoint->body, credentials);
}

static void
test_auth (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *rev = NULL;
  gint64 seq;

  {
    g_autoptr(Reply) put = call (f, "PUT", "/handbook/page:a", PAGE, RW);
    g_autoptr(Reply) local = call (f, "PUT", "/handbook/_local/" CP, "{\"last_seq\":0}", RW);

    g_assert_cmpuint (put->status, ==, 201);
    g_assert_cmpuint (local->status, ==, 201);
    rev = g_strdup (mer_json_get_string (obj (put), "rev"));
  }
  seq = mer_store_get_update_seq (f->store);

  /* GET / is the one public request. */
  {
    g_autoptr(Reply) welcome = call (f, "GET", "/", NULL, NULL);
    g_assert_cmpuint (welcome->status, ==, 200);
  }

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      g_autoptr(Reply) anonymous = call_endpoint (f, &endpoints[i], rev, NULL);
      g_autoptr(Reply) wrong = call_endpoint (f, &endpoints[i], rev, "ana:not-her-password");
      g_autoptr(Reply) nobody = call_endpoint (f, &endpoints[i], rev, "mallory:ana-password");
      g_autoptr(Reply) reader = call_endpoint (f, &endpoints[i], rev, RO);

      g_test_message ("%s %s", endpoints[i].method, endpoints[i].path);
      g_assert_cmpuint (anonymous->status, ==, 401);
      g_assert_cmpstr (soup_message_headers_get_one (anonymous->headers, "WWW-Authenticate"), ==, "Basic realm=\"meridian\"");
      g_assert_cmpuint (wrong->status, ==, 401);
      g_assert_cmpuint (nobody->status, ==, 401);
      if (strcmp (endpoints[i].method, "HEAD") != 0)
        {
          assert_error (anonymous, 401, "unauthorized");
          assert_error (wrong, 401, "unauthorized");
        }
      if (endpoints[i].write)
        assert_error (reader, 403, "forbidden");
      else if (strstr (endpoints[i].path, "/_local/") != NULL)
        assert_error (reader, 404, "not_found");  /* ana's checkpoint is hers alone */
      else if (reader->status >= 400)
        g_error ("%s %s: a reader got %u %s", endpoints[i].method, endpoints[i].path, reader->status, reader->body);
    }
  /* Nobody without rw has written anything. */
  g_assert_cmpint (mer_store_get_update_seq (f->store), ==, seq);
  {
    g_autoptr(JsonObject) local = mer_store_get_local (f->store, "_local/peer/ana/aGVsbG8gd29ybGQgMTIzNA==", NULL);
    g_assert_cmpstr (mer_json_get_string (local, "_rev"), ==, "0-1");
  }

  /* The rw account may do all of it. */
  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      g_autoptr(Reply) writer = call_endpoint (f, &endpoints[i], rev, RW);

      if (writer->status >= 400 && !(strcmp (endpoints[i].method, "PUT") == 0
                                     && strcmp (endpoints[i].path, "/handbook") == 0))
        g_error ("%s %s: the writer got %u %s", endpoints[i].method, endpoints[i].path, writer->status, writer->body);
    }
  g_assert_cmpint (mer_store_get_update_seq (f->store), >, seq);

  /* Malformed credentials are refused, not crashed on. */
  {
    const char *headers[] = { "Basic", "Basic !!!", "Basic YWJj", "Bearer x", "Basic YW5hOg==" };

    for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
      {
        g_autofree char *url = g_strconcat (f->base, "/handbook", NULL);
        Pending *pending = g_new0 (Pending, 1);
        g_autoptr(Reply) reply = NULL;

        pending->msg = soup_message_new ("GET", url);
        soup_message_headers_replace (soup_message_get_request_headers (pending->msg), "Authorization", headers[i]);
        soup_session_send_and_read_async (f->session, pending->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, pending);
        reply = finish_request (pending);
        assert_error (reply, 401, "unauthorized");
      }
  }
}

/* Without accounts: this machine only, and only under a loopback name. */
static void
test_open_mode (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(MerServer) other = mer_server_new (f->store, f->accounts);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(Reply) reply = call (f, "PUT", "/handbook/page:a", PAGE, NULL);
    g_assert_cmpuint (reply->status, ==, 201);
  }
  {
    /* DNS rebinding: a web page reaching 127.0.0.1 under its own name. */
    g_autoptr(Reply) reply = finish_request (start_request (f, "GET", "/handbook/page:a", NULL, NULL, 0, NULL,
                                                            "evil.example:5984"));
    assert_error (reply, 401, "unauthorized");
  }
  {
    g_autoptr(Reply) reply = finish_request (start_request (f, "GET", "/handbook/page:a", NULL, NULL, 0, NULL,
                                                            "localhost:5984"));
    g_assert_cmpuint (reply->status, ==, 200);
  }

  g_assert_false (mer_server_listen (other, "0.0.0.0:0", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_false (mer_server_listen (other, "[::]:0", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_false (mer_server_listen (other, "example.org:80", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* A request from a web page at @origin: a preflight (OPTIONS) or a GET. */
static Reply *
cors_request (Fixture    *f,
              gboolean    preflight,
              const char *origin)
{
  g_autofree char *url = g_strconcat (f->base, "/handbook/_changes", NULL);
  Pending *pending = g_new0 (Pending, 1);
  SoupMessageHeaders *headers;

  pending->msg = soup_message_new (preflight ? "OPTIONS" : "GET", url);
  headers = soup_message_get_request_headers (pending->msg);
  soup_message_headers_replace (headers, "Origin", origin);
  if (preflight)
    {
      soup_message_headers_replace (headers, "Access-Control-Request-Method", "POST");
      soup_message_headers_replace (headers, "Access-Control-Request-Headers", "authorization, content-type");
    }
  else
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) RW, strlen (RW));
      g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);
      soup_message_headers_replace (headers, "Authorization", value);
    }
  soup_session_send_and_read_async (f->session, pending->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, pending);
  return finish_request (pending);
}

/*
 * CORS is off until origins are listed; then only those get the headers,
 * and only while the server asks for accounts.
 */
static void
test_cors (Fixture       *f,
           gconstpointer  data)
{
  gboolean with_accounts = GPOINTER_TO_INT (data);
  const char *bad[] = { "*", "null", "app.example", "ftp://app.example", "https://app.example/path",
                        "https://user@app.example", "https://app.example?x=1", "https://", "" };
  g_autoptr(GError) error = NULL;

  /* Nothing listed: no site is let in, neither preflight nor request. */
  for (int preflight = 0; preflight < 2; preflight++)
    {
      g_autoptr(Reply) reply = cors_request (f, preflight, "https://app.example");

      g_assert_cmpuint (reply->status, ==, 200);
      g_assert_null (soup_message_headers_get_one (reply->headers, "Access-Control-Allow-Origin"));
      g_assert_null (soup_message_headers_get_one (reply->headers, "Access-Control-Allow-Credentials"));
      g_assert_null (soup_message_headers_get_one (reply->headers, "Access-Control-Allow-Methods"));
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (mer_server_add_cors_origin (f->server, bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_true (mer_server_add_cors_origin (f->server, "https://App.Example:443/", &error));
  g_assert_true (mer_server_add_cors_origin (f->server, "http://localhost:8080", &error));
  g_assert_no_error (error);

  for (int preflight = 0; preflight < 2; preflight++)
    {
      g_autoptr(Reply) listed = cors_request (f, preflight, "https://app.example");
      g_autoptr(Reply) listed2 = cors_request (f, preflight, "http://localhost:8080");
      g_autoptr(Reply) other = cors_request (f, preflight, "https://evil.example");
      g_autoptr(Reply) other_port = cors_request (f, preflight, "http://localhost:8081");
      g_autoptr(Reply) other_scheme = cors_request (f, preflight, "http://app.example");
      g_autoptr(Reply) suffix = cors_request (f, preflight, "https://app.example.evil.example");

      g_assert_cmpuint (listed->status, ==, 200);
      if (with_accounts)
        {
          g_assert_cmpstr (soup_message_headers_get_one (listed->headers, "Access-Control-Allow-Origin"), ==,
                           "https://app.example");
          g_assert_cmpstr (soup_message_headers_get_one (listed->headers, "Access-Control-Allow-Credentials"), ==, "true");
          g_assert_cmpstr (soup_message_headers_get_one (listed2->headers, "Access-Control-Allow-Origin"), ==,
                           "http://localhost:8080");
          g_assert_true (soup_message_headers_header_contains (listed->headers, "Vary", "Origin"));
          if (preflight)
            g_assert_nonnull (strstr (soup_message_headers_get_one (listed->headers, "Access-Control-Allow-Headers"),
                                      "authorization"));
          else
            g_assert_nonnull (soup_message_headers_get_one (listed->headers, "Access-Control-Expose-Headers"));
        }
      else
        {
          /* Without accounts the server trusts this machine, which no web page may borrow. */
          g_assert_null (soup_message_headers_get_one (listed->headers, "Access-Control-Allow-Origin"));
          g_assert_null (soup_message_headers_get_one (listed2->headers, "Access-Control-Allow-Origin"));
        }
      g_assert_null (soup_message_headers_get_one (other->headers, "Access-Control-Allow-Origin"));
      g_assert_null (soup_message_headers_get_one (other_port->headers, "Access-Control-Allow-Origin"));
      g_assert_null (soup_message_headers_get_one (other_scheme->headers, "Access-Control-Allow-Origin"));
      g_assert_null (soup_message_headers_get_one (suffix->headers, "Access-Control-Allow-Origin"));
      g_assert_null (soup_message_headers_get_one (other->headers, "Access-Control-Allow-Credentials"));
      g_assert_null (soup_message_headers_get_one (other->headers, "Access-Control-Allow-Methods"));
    }
}

/* A client that asks to close is told the server closes (Node's agent relies on it). */
static void
test_connection_close (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *url = g_strconcat (f->base, "/", NULL);
  Pending *pending = g_new0 (Pending, 1);
  g_autoptr(Reply) reply = NULL;

  pending->msg = soup_message_new ("GET", url);
  soup_message_headers_replace (soup_message_get_request_headers (pending->msg), "Connection", "close");
  soup_session_send_and_read_async (f->session, pending->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, pending);
  reply = finish_request (pending);
  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_true (soup_message_headers_header_contains (reply->headers, "Connection", "close"));
}

static void
test_parse_address (void)
{
  struct { const char *text; const char *address; guint port; } good[] = {
    { NULL, "127.0.0.1", 5984 },
    { "127.0.0.1:0", "127.0.0.1", 0 },
    { "localhost:8080", "127.0.0.1", 8080 },
    { "[::1]:5985", "::1", 5985 },
    { "::1", "::1", 5984 },
    { "0.0.0.0", "0.0.0.0", 5984 },
    { "6000", "127.0.0.1", 6000 },
  };
  const char *bad[] = { "127.0.0.1:99999", "127.0.0.1:x", "[::1", "host.example:80", "1.2.3:4", "[::1]x" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GInetAddress) address = NULL;
      g_autofree char *text = NULL;
      guint16 port;

      g_assert_true (mer_server_parse_address (good[i].text, &address, &port, NULL));
      text = g_inet_address_to_string (address);
      g_assert_cmpstr (text, ==, good[i].address);
      g_assert_cmpuint (port, ==, good[i].port);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GInetAddress) address = NULL;
      guint16 port;

      g_assert_false (mer_server_parse_address (bad[i], &address, &port, NULL));
    }
}

/* The router entry the fuzzer uses answers like the HTTP server. */
static void
test_handle_request (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *body = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (mer_server_handle_request (f->server, "PUT", "/handbook/page%3Aa", "application/json",
                                               PAGE, strlen (PAGE), &body), ==, 201);
  g_assert_cmpuint (mer_server_handle_request (f->server, "GET", "/handbook/_changes?feed=longpoll&since=now",
                                               NULL, NULL, 0, &text), ==, 200);
  g_assert_nonnull (strstr (text, "\"results\":[]"));
}

#define ADD(path, func, accounts) \
  g_test_add (path, Fixture, GINT_TO_POINTER (accounts), fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  ADD ("/server/welcome", test_welcome, FALSE);
  ADD ("/server/db", test_db, TRUE);
  ADD ("/server/docs", test_docs, TRUE);
  ADD ("/server/ids", test_ids, TRUE);
  ADD ("/server/local", test_local, TRUE);
  ADD ("/server/changes", test_changes, TRUE);
  ADD ("/server/longpoll/own-write", test_longpoll_own_write, TRUE);
  ADD ("/server/longpoll/doc-ids", test_longpoll_doc_ids, TRUE);
  ADD ("/server/longpoll/other-writer", test_longpoll_other_writer, TRUE);
  ADD ("/server/longpoll/timeout-and-continuous", test_longpoll_timeout_and_continuous, TRUE);
  ADD ("/server/revs-diff-and-bulk-get", test_revs_diff_and_bulk_get, TRUE);
  ADD ("/server/open-revs", test_open_revs, TRUE);
  ADD ("/server/bulk-docs", test_bulk_docs, TRUE);
  ADD ("/server/misc", test_misc_endpoints, TRUE);
  ADD ("/server/hostile", test_hostile, TRUE);
  ADD ("/server/auth", test_auth, TRUE);
  ADD ("/server/open-mode", test_open_mode, FALSE);
  ADD ("/server/cors/accounts", test_cors, TRUE);
  ADD ("/server/cors/no-accounts", test_cors, FALSE);
  ADD ("/server/handle-request", test_handle_request, FALSE);
  ADD ("/server/connection-close", test_connection_close, FALSE);
  g_test_add_func ("/server/parse-address", test_parse_address);
  return g_test_run ();
}
