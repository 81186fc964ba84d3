/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Numbers at every edge, \u0000 and nesting, both ways into the replica:
 * through `serve` (PUT, then GET, _bulk_get and _changes?include_docs) and
 * through a pull from a fake peer that sends whatever text it is given.
 * A value is either kept exactly (stored and served as one canonical text,
 * whose revision id is the one that text hashes to) or refused with 400 and
 * a reason, never changed; a refused document in a pull is reported and the
 * rest of its batch arrives.
 */
#include "config.h"

#include "mer-json.h"
#include "mer-revision.h"
#include "mer-validate.h"
#include "mer-test-peer.h"

#include <libsoup/soup.h>
#include <string.h>

typedef struct
{
  const char *name;
  const char *value;      /* the member's JSON text, as sent */
  const char *canonical;  /* as stored and served, NULL: refused */
  const char *reason;     /* a part of the reason of a refusal */
} Edge;

static const Edge edges[] = {
  { "2^53-1", "9007199254740991", "9007199254740991", NULL },
  { "2^53", "9007199254740992", "9007199254740992", NULL },
  { "2^53+1", "9007199254740993", "9007199254740993", NULL },
  { "-2^53+1", "-9007199254740991", "-9007199254740991", NULL },
  { "-2^53", "-9007199254740992", "-9007199254740992", NULL },
  { "-2^53-1", "-9007199254740993", "-9007199254740993", NULL },
  { "2^63-2", "9223372036854775806", "9223372036854775806", NULL },
  { "2^63-1", "9223372036854775807", "9223372036854775807", NULL },
  { "2^63", "9223372036854775808", NULL, "9223372036854775808 does not fit in 64 bits" },
  { "2^63+1", "9223372036854775809", NULL, "9223372036854775809 does not fit in 64 bits" },
  { "-2^63+1", "-9223372036854775807", "-9223372036854775807", NULL },
  { "-2^63", "-9223372036854775808", "-9223372036854775808", NULL },
  { "-2^63-1", "-9223372036854775809", NULL, "-9223372036854775809 does not fit in 64 bits" },
  { "2^64-1", "18446744073709551615", NULL, "18446744073709551615 does not fit in 64 bits" },
  { "2^64", "18446744073709551616", NULL, "18446744073709551616 does not fit in 64 bits" },
  { "40 digits", "1234567890123456789012345678901234567890", NULL,
    "1234567890123456789012345678901234567890 does not fit in 64 bits" },
  { "1e308", "1e308", "1e+308", NULL },
  { "max double", "1.7976931348623157e308", "1.7976931348623157e+308", NULL },
  { "1e309", "1e309", NULL, "1e309 is beyond the range of a double" },
  { "-1e309", "-1e309", NULL, "-1e309 is beyond the range of a double" },
  { "1e400", "1e400", NULL, "1e400 is beyond the range of a double" },
  { "-0", "-0", "0", NULL },
  { "-0.0", "-0.0", "0", NULL },
  { "5e-324", "5e-324", "5e-324", NULL },
  { "-5e-324", "-5e-324", "-5e-324", NULL },
  { "1e-400", "1e-400", "0", NULL },
  { "0.1", "0.1", "0.1", NULL },
  { "1.0", "1.0", "1", NULL },
  { "1.5e3", "1.5e3", "1500", NULL },
  { "2^53+1 as double", "9007199254740993.0", "9007199254740992", NULL },
  { "1e15", "1e15", "1e+15", NULL },
  { "in an array", "[1e400]", NULL, "1e400 is beyond the range of a double" },
  { "NUL in a value", "\"a\\u0000b\"", NULL, "\\u0000" },
  { "NUL in a key", "{\"k\\u0000x\":1}", NULL, "\\u0000" },
};

#define NUL_REASON "may not hold \\u0000"

/* HTTP ------------------------------------------------------------------- */

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

/* Sends a request and runs this thread's context, which also serves the
 * in-process servers, until the answer is in. Returns the body. */
static char *
http (const char *method,
      const char *url,
      const char *body,
      guint      *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  Pending pending = { NULL, NULL, FALSE };
  gsize size = 0;
  const char *data;

  g_assert_nonnull (msg);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &pending);
  while (!pending.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending.error);
  *status = soup_message_get_status (msg);
  data = g_bytes_get_data (pending.bytes, &size);
  {
    char *text = g_strndup (data, size);

    g_bytes_unref (pending.bytes);
    return text;
  }
}

/* Asserts a CouchDB-style refusal: 400 bad_request, the reason saying why. */
static void
assert_refused (guint       status,
                const char *text,
                const char *reason)
{
  g_autoptr(JsonObject) answer = NULL;

  g_assert_cmpuint (status, ==, 400);
  answer = mer_json_parse_object (text, -1, NULL);
  g_assert_nonnull (answer);
  g_assert_cmpstr (mer_json_get_string (answer, "error"), ==, "bad_request");
  if (strstr (mer_json_get_string (answer, "reason"), reason) == NULL)
    g_error ("reason “%s” does not say “%s”", mer_json_get_string (answer, "reason"), reason);
}

/* Asserts that @text is JSON a peer can read and holds "n":@canonical. */
static void
assert_served (const char *text,
               const char *canonical)
{
  g_autofree char *member = g_strdup_printf ("\"n\":%s", canonical);
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_json_check_text (text, strlen (text), MER_JSON_MAX_DEPTH, &error));
  g_assert_no_error (error);
  if (strstr (text, member) == NULL)
    g_error ("%s is not in %s", member, text);
}

/* The document as the store keeps it, in canonical text. */
static char *
stored (MerStore   *store,
        const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, 0, &error);
  g_autoptr(JsonNode) node = NULL;

  if (doc == NULL)
    {
      g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
      return NULL;
    }
  node = json_node_init_object (json_node_alloc (), doc);
  return mer_json_canonical (node);
}

/* Serve -------------------------------------------------------------------- */

/*
 * Every edge through PUT: kept values are stored and served as their
 * canonical text, under the revision id that text hashes to (the same as
 * a document written with the canonical text directly); the others are
 * refused with 400 and nothing is written.
 */
static void
test_serve_numbers (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    {
      const Edge *edge = &edges[i];
      g_autofree char *url = g_strdup_printf ("%s/edge-%u", peer->url, i);
      g_autofree char *body = g_strdup_printf ("{\"n\": %s}", edge->value);
      g_autofree char *answer = NULL;
      g_autofree char *got = NULL;
      g_autoptr(JsonObject) result = NULL;
      guint status = 0;

      g_test_message ("%s: %s", edge->name, edge->value);
      answer = http ("PUT", url, body, &status);
      if (edge->canonical == NULL)
        {
          g_autofree char *again = NULL;

          assert_refused (status, answer, edge->reason);
          g_assert_null (stored (peer->store, strrchr (url, '/') + 1));
          again = http ("GET", url, NULL, &status);
          g_assert_cmpuint (status, ==, 404);
          continue;
        }

      g_assert_cmpuint (status, ==, 201);
      result = mer_json_parse_object (answer, -1, NULL);
      {
        const char *rev = mer_json_get_string (result, "rev");
        g_autofree char *same_url = g_strdup_printf ("%s/same-%u", peer->url, i);
        g_autofree char *same_body = g_strdup_printf ("{\"n\":%s}", edge->canonical);
        g_autofree char *same_answer = NULL;
        g_autofree char *expected = g_strdup_printf ("{\"_id\":\"edge-%u\",\"_rev\":\"%s\",\"n\":%s}",
                                                     i, rev, edge->canonical);
        g_autofree char *bulk_body = g_strdup_printf ("{\"docs\":[{\"id\":\"edge-%u\"}]}", i);
        g_autofree char *bulk_url = g_strdup_printf ("%s/_bulk_get?revs=true", peer->url);
        g_autofree char *bulk = NULL;
        g_autoptr(JsonObject) same = NULL;

        /* Stored: exactly the canonical text. */
        got = stored (peer->store, strrchr (url, '/') + 1);
        g_assert_cmpstr (got, ==, expected);
        /* The revision id is that of the canonical text. */
        same_answer = http ("PUT", same_url, same_body, &status);
        g_assert_cmpuint (status, ==, 201);
        same = mer_json_parse_object (same_answer, -1, NULL);
        g_assert_cmpstr (mer_json_get_string (same, "rev"), ==, rev);

        /* Served: GET and _bulk_get give the same text, as JSON. */
        g_free (answer);
        answer = http ("GET", url, NULL, &status);
        g_assert_cmpuint (status, ==, 200);
        assert_served (answer, edge->canonical);
        bulk = http ("POST", bulk_url, bulk_body, &status);
        g_assert_cmpuint (status, ==, 200);
        assert_served (bulk, edge->canonical);
        {
          /* Read back as a peer reads it, the body is the same text. */
          gboolean has_results = FALSE;
          g_autoptr(GPtrArray) read = mer_revisions_from_bulk_get (bulk, strlen (bulk), &has_results, NULL);
          g_autofree char *body_expected = g_strdup_printf ("{\"n\":%s}", edge->canonical);

          g_assert_nonnull (read);
          g_assert_cmpuint (read->len, ==, 1);
          g_assert_null (((MerRevision *) read->pdata[0])->problem);
          g_assert_cmpstr (((MerRevision *) read->pdata[0])->body, ==, body_expected);
        }
      }
    }

  {
    /* The feed with the documents: every kept value, as JSON. */
    g_autofree char *url = g_strdup_printf ("%s/_changes?include_docs=true", peer->url);
    g_autofree char *feed = NULL;
    guint status = 0;

    feed = http ("GET", url, NULL, &status);
    g_assert_cmpuint (status, ==, 200);
    for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
      if (edges[i].canonical != NULL)
        assert_served (feed, edges[i].canonical);
  }
  test_peer_free (peer);
}

/*
 * A batch holding one number the replica cannot keep is refused whole
 * (a _bulk_docs batch is validated as a whole first), with nothing
 * written; new_edits=false the same.
 */
static void
test_serve_bulk_docs (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);
  g_autofree char *url = g_strdup_printf ("%s/_bulk_docs", peer->url);
  static const char *bodies[] = {
    "{\"docs\":[{\"_id\":\"a\",\"n\":1},{\"_id\":\"b\",\"n\":1e400},{\"_id\":\"c\",\"n\":3}]}",
    "{\"new_edits\":false,\"docs\":[{\"_id\":\"a\",\"_rev\":\"1-aaaa\",\"n\":1},"
    "{\"_id\":\"b\",\"_rev\":\"1-bbbb\",\"n\":18446744073709551615},{\"_id\":\"c\",\"_rev\":\"1-cccc\",\"n\":3}]}",
    "{\"docs\":[{\"_id\":\"a\",\"n\":1},{\"_id\":\"rt2-20\\u0000evil\",\"n\":2}]}",
  };
  static const char *reasons[] = {
    "1e400 is beyond the range of a double", "18446744073709551615 does not fit in 64 bits", NUL_REASON,
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *answer = NULL;
      guint status = 0;

      answer = http ("POST", url, bodies[i], &status);
      assert_refused (status, answer, reasons[i]);
      g_assert_null (stored (peer->store, "a"));
      g_assert_null (stored (peer->store, "c"));
      g_assert_cmpuint (mer_store_get_doc_count (peer->store, FALSE), ==, 0);
    }
  test_peer_free (peer);
}

/*
 * \u0000 is refused wherever it is: in a value, a member name, an id in
 * the body or in the path. Nothing is written, in particular no document
 * under the id cut short at the NUL.
 */
static void
test_serve_nul (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);
  static const struct
  {
    const char *method;
    const char *path;
    const char *body;
  } cases[] = {
    { "PUT", "/rt2-20", "{\"v\":\"a\\u0000b\"}" },
    { "PUT", "/rt2-20", "{\"k\\u0000x\":1}" },
    { "POST", "", "{\"_id\":\"rt2-20\\u0000evil\",\"a\":1}" },
    { "PUT", "/rt2-20", "{\"_id\":\"rt2-20\",\"a\":{\"b\":[\"\\u0000\"]}}" },
    { "PUT", "/rt2-20%00evil", "{\"a\":1}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = g_strconcat (peer->url, cases[i].path, NULL);
      g_autofree char *answer = NULL;
      guint status = 0;

      g_test_message ("%s %s %s", cases[i].method, cases[i].path, cases[i].body);
      answer = http (cases[i].method, url, cases[i].body, &status);
      /* The path's NUL is refused as a bad path, before any JSON. */
      assert_refused (status, answer, i + 1 < G_N_ELEMENTS (cases) ? NUL_REASON : "");
      g_assert_null (stored (peer->store, "rt2-20"));
      g_assert_cmpuint (mer_store_get_doc_count (peer->store, FALSE), ==, 0);
    }
  test_peer_free (peer);
}

/* A document of @levels levels (itself the first), as JSON text. */
static char *
deep_doc (const char *members,
          guint       levels)
{
  GString *text = g_string_new ("{");

  g_string_append_printf (text, "%s\"a\":", members);
  for (guint i = 1; i < levels; i++)
    g_string_append_c (text, '[');
  g_string_append (text, "\"end\"");
  for (guint i = 1; i < levels; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return g_string_free (text, FALSE);
}

/* 64 levels are kept and 65 refused, by PUT and by _bulk_docs both ways. */
static void
test_serve_nesting (void)
{
  TestPeer *peer = test_peer_new (NULL, NULL);

  for (guint levels = MER_VALIDATE_MAX_DEPTH; levels <= MER_VALIDATE_MAX_DEPTH + 1; levels++)
    {
      gboolean kept = levels <= MER_VALIDATE_MAX_DEPTH;
      g_autofree char *doc = deep_doc ("", levels);
      g_autofree char *replicated = deep_doc ("\"_id\":\"deep-old\",\"_rev\":\"1-abcd\",", levels);
      g_autofree char *put_url = g_strdup_printf ("%s/deep-%u", peer->url, levels);
      g_autofree char *bulk_url = g_strdup_printf ("%s/_bulk_docs", peer->url);
      g_autofree char *bulk = g_strdup_printf ("{\"docs\":[%s]}", doc);
      g_autofree char *bulk_old = g_strdup_printf ("{\"new_edits\":false,\"docs\":[%s]}", replicated);
      const char *bodies[] = { doc, bulk, bulk_old };
      const char *urls[] = { put_url, bulk_url, bulk_url };
      const char *methods[] = { "PUT", "POST", "POST" };

      for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
        {
          g_autofree char *answer = NULL;
          guint status = 0;
          gint64 before = mer_store_get_doc_count (peer->store, FALSE);

          g_test_message ("%u levels, %s", levels, bodies[i] == doc ? "PUT" : bodies[i]);
          answer = http (methods[i], urls[i], bodies[i], &status);
          if (kept)
            {
              g_assert_cmpuint (status, ==, 201);
              g_assert_null (strstr (answer, "error"));
              g_assert_cmpuint (mer_store_get_doc_count (peer->store, FALSE), >=, before);
            }
          else if (bodies[i] == doc)
            {
              assert_refused (status, answer, "nested more than 64 levels");
              g_assert_cmpuint (mer_store_get_doc_count (peer->store, FALSE), ==, before);
            }
          else
            {
              /* _bulk_docs answers per document, as CouchDB does: the
               * batch is taken, the deep document gets its own error row. */
              g_autoptr(JsonNode) rows = mer_json_parse (answer, -1, NULL);
              JsonObject *row;

              g_assert_cmpuint (status, ==, 201);
              g_assert_nonnull (rows);
              g_assert_true (JSON_NODE_HOLDS_ARRAY (rows));
              g_assert_cmpuint (json_array_get_length (json_node_get_array (rows)), ==, 1);
              row = json_array_get_object_element (json_node_get_array (rows), 0);
              g_assert_cmpstr (mer_json_get_string (row, "error"), ==, "bad_request");
              g_assert_nonnull (strstr (mer_json_get_string (row, "reason"), "nested more than 64 levels"));
              g_assert_cmpuint (mer_store_get_doc_count (peer->store, FALSE), ==, before);
            }
        }
      g_assert_true ((stored (peer->store, strrchr (put_url, '/') + 1) != NULL) == kept);
    }
  /* 64: the PUT, one _bulk_docs edit and the replicated revision. */
  g_assert_cmpuint (mer_store_get_doc_count (peer->store, FALSE), ==, 3);
  test_peer_free (peer);
}

/*
 * The marking that lets a pull read a feed listing an id with \u0000:
 * only a real escape inside a string is marked, never an escaped
 * backslash followed by "u0000", and text without one is left alone.
 */
static void
test_mark_nul (void)
{
  const char *with = "{\"id\":\"a\\u0000b\",\"k\\u0000\":1}";
  const char *escaped_backslash = "{\"id\":\"a\\\\u0000b\"}";
  g_autofree char *marked = NULL;
  g_autoptr(JsonNode) node = NULL;
  gsize length = 0;

  marked = mer_json_mark_nul (with, strlen (with), &length);
  g_assert_cmpstr (marked, ==, "{\"id\":\"a\\uDBFF\\uDFFFb\",\"k\\uDBFF\\uDFFF\":1}");
  g_assert_cmpuint (length, ==, strlen (marked));
  node = mer_json_parse (marked, -1, NULL);
  g_assert_nonnull (node);
  g_assert_cmpstr (mer_json_get_string (json_node_get_object (node), "id"), ==, "a" MER_JSON_NUL_MARK "b");
  g_assert_null (mer_json_mark_nul (escaped_backslash, strlen (escaped_backslash), NULL));
  g_assert_null (mer_json_mark_nul ("{\"n\":1}", 7, NULL));
}

/* Pull from a fake peer --------------------------------------------------- */

static void
collect_message_cb (const char     *domain,
                    GLogLevelFlags  level,
                    const char     *message,
                    gpointer        data)
{
  if (strstr (message, ": refused ") != NULL)
    g_ptr_array_add (data, g_strdup (message));
}

/*
 * A peer that speaks just enough of the protocol for a pull, and sends
 * each document as the raw text it was given: what a hostile or merely
 * different replica (CouchDB keeps integers of any size and \u0000) may
 * send.
 */
typedef struct
{
  SoupServer *server;
  char       *url;
  GPtrArray  *ids;
  GPtrArray  *revs;
  GPtrArray  *texts;  /* each document's raw JSON */
} FakePeer;

static void
fake_reply (SoupServerMessage *msg,
            guint              status,
            const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static gint
fake_find (FakePeer   *fake,
           const char *id)
{
  for (guint i = 0; i < fake->ids->len; i++)
    if (strcmp (g_ptr_array_index (fake->ids, i), id) == 0)
      return (gint) i;
  return -1;
}

/*
 * Writes an id as JSON. An id given as "raw:TEXT" is written as TEXT
 * between quotes, unescaped: how the fake lists an id that no C string can
 * hold, such as one with \u0000 in it (as CouchDB keeps it).
 */
static void
fake_append_id (GString    *out,
                const char *id)
{
  if (g_str_has_prefix (id, "raw:"))
    g_string_append_printf (out, "\"%s\"", id + 4);
  else
    mer_json_append_string (out, id);
}

static void
fake_changes (FakePeer          *fake,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  const char *since_text = query ? g_hash_table_lookup (query, "since") : NULL;
  const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  guint since = since_text ? (guint) g_ascii_strtoull (since_text, NULL, 10) : 0;
  guint limit = limit_text ? (guint) g_ascii_strtoull (limit_text, NULL, 10) : G_MAXUINT;
  g_autoptr(GString) out = g_string_new ("{\"results\":[");
  guint last = since;
  guint n = 0;

  for (guint i = since; i < fake->ids->len && n < limit; i++, n++)
    {
      if (n > 0)
        g_string_append_c (out, ',');
      g_string_append_printf (out, "{\"seq\":%u,\"id\":", i + 1);
      fake_append_id (out, g_ptr_array_index (fake->ids, i));
      g_string_append (out, ",\"changes\":[{\"rev\":");
      mer_json_append_string (out, g_ptr_array_index (fake->revs, i));
      g_string_append (out, "}]}");
      last = i + 1;
    }
  g_string_append_printf (out, "],\"last_seq\":%u,\"pending\":%u}", last, fake->ids->len - last);
  fake_reply (msg, 200, out->str);
}

static void
fake_bulk_get (FakePeer          *fake,
               SoupServerMessage *msg)
{
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (request);
  g_autoptr(JsonObject) body = mer_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  JsonArray *docs = json_object_get_array_member (body, "docs");
  g_autoptr(GString) out = g_string_new ("{\"results\":[");

  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      const char *id = mer_json_get_string (json_array_get_object_element (docs, i), "id");
      gint index = fake_find (fake, id);

      g_assert_cmpint (index, >=, 0);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"id\":");
      mer_json_append_string (out, id);
      g_string_append_printf (out, ",\"docs\":[{\"ok\":%s}]}", (char *) g_ptr_array_index (fake->texts, index));
    }
  g_string_append (out, "]}");
  fake_reply (msg, 200, out->str);
}

static void
fake_handler_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FakePeer *fake = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/") == 0)
    fake_reply (msg, 200, "{\"couchdb\":\"Welcome\",\"version\":\"3.4.3\",\"uuid\":\"0a1b2c3d4e5f\"}");
  else if (strcmp (path, "/db") == 0)
    {
      g_autofree char *info = g_strdup_printf ("{\"db_name\":\"db\",\"update_seq\":%u}", fake->ids->len);

      fake_reply (msg, 200, info);
    }
  else if (g_str_has_prefix (path, "/db/_local/"))
    {
      if (strcmp (method, "PUT") == 0)
        fake_reply (msg, 201, "{\"ok\":true,\"rev\":\"0-1\"}");
      else
        fake_reply (msg, 404, "{\"error\":\"not_found\",\"reason\":\"missing\"}");
    }
  else if (strcmp (path, "/db/_changes") == 0)
    fake_changes (fake, msg, query);
  else if (strcmp (path, "/db/_bulk_get") == 0 && strcmp (method, "POST") == 0)
    fake_bulk_get (fake, msg);
  else if (strcmp (path, "/db/_ensure_full_commit") == 0)
    fake_reply (msg, 201, "{\"ok\":true}");
  else
    fake_reply (msg, 404, "{\"error\":\"not_found\",\"reason\":\"missing\"}");
}

static FakePeer *
fake_peer_new (void)
{
  FakePeer *fake = g_new0 (FakePeer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fake->server = soup_server_new (NULL, NULL);
  fake->ids = g_ptr_array_new_with_free_func (g_free);
  fake->revs = g_ptr_array_new_with_free_func (g_free);
  fake->texts = g_ptr_array_new_with_free_func (g_free);
  soup_server_add_handler (fake->server, NULL, fake_handler_cb, fake, NULL);
  g_assert_true (soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d/db", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return fake;
}

/* Adds a document whose members after the special ones are @members. */
static void
fake_peer_add (FakePeer   *fake,
               const char *id,
               const char *members)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_MD5, id, -1);
  g_autofree char *rev = g_strconcat ("1-", hash, NULL);
  GString *text = g_string_new ("{\"_id\":");

  fake_append_id (text, id);
  g_string_append_printf (text, ",\"_rev\":\"%s\",\"_revisions\":{\"start\":1,\"ids\":[\"%s\"]},%s}",
                          rev, hash, members);
  g_ptr_array_add (fake->ids, g_strdup (id));
  g_ptr_array_add (fake->revs, g_steal_pointer (&rev));
  g_ptr_array_add (fake->texts, g_string_free (text, FALSE));
}

static void
fake_peer_free (FakePeer *fake)
{
  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_ptr_array_unref (fake->ids);
  g_ptr_array_unref (fake->revs);
  g_ptr_array_unref (fake->texts);
  g_free (fake->url);
  g_free (fake);
}

/*
 * Every edge, \u0000 in values and keys, and 64 and 65 levels, pulled from
 * a peer in batches of 4 between plain documents: each kept value is
 * stored as its canonical text under the peer's revision, each other
 * document is refused and reported, and every plain document arrives.
 */
static void
test_pull (void)
{
  FakePeer *fake = fake_peer_new ();
  TestPeer *local = test_peer_new (NULL, NULL);
  TestSyncResult result;
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) expected_reports = g_ptr_array_new_with_free_func (g_free);
  guint handler;
  guint kept = 0;
  g_autofree char *deep64 = deep_doc ("", MER_VALIDATE_MAX_DEPTH);
  g_autofree char *deep65 = deep_doc ("", MER_VALIDATE_MAX_DEPTH + 1);

  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    {
      g_autofree char *id = g_strdup_printf ("edge-%u", i);
      g_autofree char *plain = g_strdup_printf ("plain-%u", i);
      g_autofree char *member = g_strdup_printf ("\"n\":%s", edges[i].value);

      fake_peer_add (fake, id, member);
      fake_peer_add (fake, plain, "\"type\":\"note\",\"n\":7");
      if (edges[i].canonical != NULL)
        kept++;
      else
        g_ptr_array_add (expected_reports, g_strdup_printf (" refused %s ", id));
    }
  /* The documents' own braces: strip them to use them as members. */
  deep64[strlen (deep64) - 1] = '\0';
  deep65[strlen (deep65) - 1] = '\0';
  fake_peer_add (fake, "deep-64", deep64 + 1);
  fake_peer_add (fake, "deep-65", deep65 + 1);
  /* An id with \u0000 in the feed itself: refused there, the rest read. */
  fake_peer_add (fake, "raw:nul-id\\u0000evil", "\"n\":9");
  g_ptr_array_add (expected_reports, g_strdup (" refused nul-id\\u0000evil "));
  fake_peer_add (fake, "plain-last", "\"n\":8");
  g_ptr_array_add (expected_reports, g_strdup (" refused deep-65 "));

  handler = g_log_set_handler ("meridian-sync", G_LOG_LEVEL_MESSAGE, collect_message_cb, reports);
  result = test_sync (local->store, fake->url, MER_REPLICATOR_PULL, 4);
  g_log_remove_handler ("meridian-sync", handler);
  g_assert_no_error (result.error);
  /* Each refused document is reported once, with its reason. */
  g_assert_cmpuint (reports->len, ==, expected_reports->len);
  for (guint i = 0; i < expected_reports->len; i++)
    {
      const char *wanted = g_ptr_array_index (expected_reports, i);
      guint found = 0;

      for (guint j = 0; j < reports->len; j++)
        if (strstr (g_ptr_array_index (reports, j), wanted) != NULL)
          {
            /* "URL: refused ID REV: REASON" */
            const char *report = g_ptr_array_index (reports, j);
            const char *after_id = strstr (report, wanted) + strlen (wanted);
            const char *reason = strstr (after_id, ": ");
            guint index = 0;

            g_assert_nonnull (reason);
            found++;
            if (sscanf (wanted, " refused edge-%u ", &index) == 1)
              g_assert_nonnull (strstr (reason, edges[index].reason));
            else if (strstr (wanted, "nul-id") != NULL)
              g_assert_nonnull (strstr (reason, "\\u0000 (NUL)"));
            else
              g_assert_nonnull (strstr (reason, "nested more than 64 levels"));
          }
      g_assert_cmpuint (found, ==, 1);
    }
  /* Every plain document, every kept edge and the 64 levels arrived. */
  g_assert_cmpuint (result.written, ==, G_N_ELEMENTS (edges) + kept + 2);
  g_assert_cmpuint (mer_store_get_doc_count (local->store, FALSE), ==, G_N_ELEMENTS (edges) + kept + 2);

  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    {
      g_autofree char *id = g_strdup_printf ("edge-%u", i);
      g_autofree char *plain = g_strdup_printf ("plain-%u", i);
      g_autofree char *got = stored (local->store, id);
      g_autofree char *got_plain = stored (local->store, plain);

      g_test_message ("%s: %s", edges[i].name, got ? got : "(refused)");
      g_assert_nonnull (got_plain);
      if (edges[i].canonical == NULL)
        g_assert_null (got);
      else
        {
          g_autofree char *expected = g_strdup_printf ("{\"_id\":\"%s\",\"_rev\":\"%s\",\"n\":%s}", id,
                                                       (char *) g_ptr_array_index (fake->revs, 2 * i),
                                                       edges[i].canonical);

          g_assert_cmpstr (got, ==, expected);
        }
    }
  g_assert_null (stored (local->store, "deep-65"));
  {
    g_autofree char *deep = stored (local->store, "deep-64");

    g_assert_nonnull (deep);
  }
  {
    g_autofree char *last = stored (local->store, "plain-last");

    g_assert_nonnull (last);
  }
  /* The checkpoint passed the refused documents, as CouchDB's replicator
   * passes its write failures: pulled again, nothing is left to do. */
  result = test_sync (local->store, fake->url, MER_REPLICATOR_PULL, 4);
  g_assert_no_error (result.error);
  g_assert_cmpuint (result.written, ==, 0);
  test_peer_free (local);
  fake_peer_free (fake);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/hostile/serve-numbers", test_serve_numbers);
  g_test_add_func ("/hostile/serve-bulk-docs", test_serve_bulk_docs);
  g_test_add_func ("/hostile/mark-nul", test_mark_nul);
  g_test_add_func ("/hostile/serve-nul", test_serve_nul);
  g_test_add_func ("/hostile/serve-nesting", test_serve_nesting);
  g_test_add_func ("/hostile/pull", test_pull);
  return g_test_run ();
}
