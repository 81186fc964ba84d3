/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-server.h"
#include "mer-json.h"
#include "mer-validate.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

/* Sent as "instance_start_time" by GET /{db} and _ensure_full_commit alike. */
#define INSTANCE_START_TIME "0"
#define DEFAULT_POLL_MS      100
#define DEFAULT_TIMEOUT_MS   60000
#define MAX_WAIT_MS          (60 * 60 * 1000)
#define MAX_AUTH_HEADER      4096
#define TOO_LARGE_KEY        "mer-server-too-large"

struct _MerServer
{
  GObject      parent_instance;

  MerStore    *store;
  MerAccounts *accounts;
  SoupServer  *soup;
  gboolean     https;
  gulong       changed_id;
  GPtrArray   *waiters;      /* Waiter: paused long-poll/continuous feeds */
  guint        poll_id;      /* notices writes by other connections */
  guint        poll_ms;
  gint64       polled_seq;
};

G_DEFINE_FINAL_TYPE (MerServer, mer_server, G_TYPE_OBJECT)

/* One request, as the router sees it: already authenticated. */
typedef struct
{
  const char         *method;
  char              **segments;    /* the path split on '/', then decoded */
  guint               n_segments;
  GHashTable         *query;       /* decoded name -> value, may be NULL */
  const char         *content_type;
  const char         *body;
  gsize               length;
  MerRole             role;
  SoupServerMessage  *msg;         /* NULL when run without HTTP */
} Request;

/* The answer: a status, a JSON body, and whether a feed took over. */
typedef struct
{
  guint      status;
  JsonNode  *body;
  char      *etag;
  char      *allow;
  gboolean   paused;
} Response;

typedef struct
{
  MerServer          *server;
  SoupServerMessage  *msg;
  gint64              since;
  gint64              remaining;   /* rows still allowed by limit, or -1 */
  gboolean            all_docs;
  gboolean            include_docs;
  gboolean            continuous;
  guint               heartbeat_id;
  guint               timeout_id;
  gulong              finished_id;
  gulong              disconnected_id;
  gboolean            done;
} Waiter;

static void waiter_free (Waiter *waiter);

/* Responses ---------------------------------------------------------------- */

static void
respond_json (Response *resp,
              guint     status,
              JsonNode *body)
{
  g_clear_pointer (&resp->body, json_node_unref);
  resp->status = status;
  resp->body = body;
}

static void
respond_object (Response   *resp,
                guint       status,
                JsonObject *object)
{
  respond_json (resp, status, json_node_init_object (json_node_alloc (), object));
  json_object_unref (object);
}

static void
respond_error (Response   *resp,
               guint       status,
               const char *error,
               const char *reason)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "error", error);
  json_object_set_string_member (object, "reason", reason);
  respond_object (resp, status, object);
}

static void
respond_ok (Response   *resp,
            guint       status,
            const char *id,
            const char *rev)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "ok", TRUE);
  if (id != NULL)
    json_object_set_string_member (object, "id", id);
  if (rev != NULL)
    json_object_set_string_member (object, "rev", rev);
  respond_object (resp, status, object);
}

static void
respond_method_not_allowed (Response   *resp,
                            const char *allowed)
{
  g_autofree char *reason = g_strdup_printf ("Only %s allowed", allowed);

  g_free (resp->allow);
  resp->allow = g_strdup (allowed);
  respond_error (resp, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", reason);
}

/* Maps the store's and the validator's errors to CouchDB's. */
static void
respond_gerror (Response     *resp,
                const GError *error)
{
  if (error->domain == MER_VALIDATE_ERROR)
    {
      respond_error (resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "document_too_large", error->message);
      return;
    }
  if (error->domain == MER_STORE_ERROR)
    switch ((MerStoreError) error->code)
      {
      case MER_STORE_ERROR_NOT_FOUND:
        respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
        return;
      case MER_STORE_ERROR_CONFLICT:
        respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
        return;
      case MER_STORE_ERROR_BAD_REQUEST:
        respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
        return;
      case MER_STORE_ERROR_FORBIDDEN:
        respond_error (resp, SOUP_STATUS_FORBIDDEN, "forbidden", error->message);
        return;
      case MER_STORE_ERROR_DATABASE:
      default:
        break;
      }
  g_warning ("Request failed: %s", error->message);
  respond_error (resp, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_server_error",
                 "The replica could not complete the request");
}

/* Query parameters ---------------------------------------------------------- */

static const char *
query_get (Request    *req,
           const char *name)
{
  return req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
}

static gboolean
query_bool (Request    *req,
            Response   *resp,
            const char *name,
            gboolean   *out)
{
  const char *value = query_get (req, name);

  if (value == NULL)
    return TRUE;
  if (strcmp (value, "true") == 0)
    *out = TRUE;
  else if (strcmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      g_autofree char *reason = g_strdup_printf ("Invalid boolean parameter: %s", name);

      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "query_parse_error", reason);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_count (const char *text,
             gint64     *out)
{
  guint64 value;

  if (text == NULL || *text == '\0' || strspn (text, "0123456789") != strlen (text)
      || strlen (text) > 15 || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

static gboolean
query_count (Request    *req,
             Response   *resp,
             const char *name,
             gint64     *out)
{
  const char *value = query_get (req, name);

  if (value == NULL)
    return TRUE;
  if (!parse_count (value, out))
    {
      g_autofree char *reason = g_strdup_printf ("Invalid value for %s: %s", name, "a non-negative integer is expected");

      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "query_parse_error", reason);
      return FALSE;
    }
  return TRUE;
}

/* Bodies -------------------------------------------------------------------- */

static gboolean
is_json_type (const char *content_type)
{
  g_autofree char *lower = NULL;
  const char *semicolon;
  gsize length;

  if (content_type == NULL)
    return FALSE;
  semicolon = strchr (content_type, ';');
  length = semicolon != NULL ? (gsize) (semicolon - content_type) : strlen (content_type);
  lower = g_ascii_strdown (content_type, length);
  g_strstrip (lower);
  return strcmp (lower, "application/json") == 0;
}

/*
 * Parses the request body as JSON of the expected kind, answering 415, 413
 * or 400 when it is not. Nothing has been written when this fails.
 */
static JsonNode *
parse_body (Request   *req,
            Response  *resp,
            gsize      max_bytes,
            JsonNodeType expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!is_json_type (req->content_type))
    {
      respond_error (resp, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "bad_content_type",
                     "Content-Type must be application/json");
      return NULL;
    }
  if (req->length > max_bytes)
    {
      respond_error (resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                     "The request entity is too large");
      return NULL;
    }
  if (!mer_validate_json_text (req->body, req->length, MER_VALIDATE_MAX_DEPTH + 2, &error))
    {
      respond_gerror (resp, error);
      return NULL;
    }
  node = mer_json_parse (req->body, req->length, &error);
  if (node == NULL)
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "invalid UTF-8 JSON");
      return NULL;
    }
  if (JSON_NODE_TYPE (node) != expected)
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     expected == JSON_NODE_OBJECT ? "Request body must be a JSON object"
                                                  : "Request body must be a JSON array");
      return NULL;
    }
  return g_steal_pointer (&node);
}

static JsonObject *
parse_body_object (Request  *req,
                   Response *resp,
                   gsize     max_bytes)
{
  g_autoptr(JsonNode) node = parse_body (req, resp, max_bytes, JSON_NODE_OBJECT);

  return node != NULL ? json_object_ref (json_node_get_object (node)) : NULL;
}

static gboolean
require_write (Request  *req,
               Response *resp)
{
  if (req->role == MER_ROLE_RW)
    return TRUE;
  respond_error (resp, SOUP_STATUS_FORBIDDEN, "forbidden", "This account may only read");
  return FALSE;
}

static gboolean
method_is (Request    *req,
           const char *method)
{
  return strcmp (req->method, method) == 0;
}

static gboolean
is_get (Request *req)
{
  return method_is (req, "GET") || method_is (req, "HEAD");
}

/* Server and database -------------------------------------------------------- */

static void
handle_welcome (MerServer *self,
                Request   *req,
                Response  *resp)
{
  JsonObject *object, *vendor;

  if (!is_get (req))
    {
      respond_method_not_allowed (resp, "GET,HEAD");
      return;
    }
  object = json_object_new ();
  json_object_set_string_member (object, "couchdb", "Welcome");
  json_object_set_string_member (object, "version", PACKAGE_VERSION);
  json_object_set_string_member (object, "uuid", mer_store_get_uuid (self->store));
  vendor = json_object_new ();
  json_object_set_string_member (vendor, "name", "Meridian");
  json_object_set_string_member (vendor, "version", PACKAGE_VERSION);
  json_object_set_object_member (object, "vendor", vendor);
  respond_object (resp, SOUP_STATUS_OK, object);
}

static void
handle_db_info (MerServer *self,
                Response  *resp)
{
  g_autofree char *file = g_build_filename (mer_store_get_data_dir (self->store), MER_STORE_FILE_NAME, NULL);
  JsonObject *object = json_object_new ();
  JsonObject *sizes = json_object_new ();
  GStatBuf buf;
  gint64 file_size = 0;

  if (g_stat (file, &buf) == 0)
    file_size = buf.st_size;

  json_object_set_string_member (object, "db_name", mer_store_get_name (self->store));
  json_object_set_int_member (object, "doc_count", mer_store_get_doc_count (self->store, FALSE));
  json_object_set_int_member (object, "doc_del_count", mer_store_get_doc_count (self->store, TRUE));
  json_object_set_int_member (object, "update_seq", mer_store_get_update_seq (self->store));
  json_object_set_int_member (object, "purge_seq", 0);
  json_object_set_boolean_member (object, "compact_running", FALSE);
  json_object_set_string_member (object, "instance_start_time", INSTANCE_START_TIME);
  json_object_set_int_member (sizes, "file", file_size);
  json_object_set_int_member (sizes, "external", 0);
  json_object_set_int_member (sizes, "active", file_size);
  json_object_set_object_member (object, "sizes", sizes);
  respond_object (resp, SOUP_STATUS_OK, object);
}

static char *
new_doc_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *id = g_string_new (NULL);

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (id, *p);
  return g_string_free (id, FALSE);
}

static void
handle_post_doc (MerServer *self,
                 Request   *req,
                 Response  *resp)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  if (!require_write (req, resp) || (doc = parse_body_object (req, resp, MER_VALIDATE_MAX_DOC_BYTES)) == NULL)
    return;
  if (!json_object_has_member (doc, "_id"))
    {
      g_autofree char *id = new_doc_id ();
      json_object_set_string_member (doc, "_id", id);
    }
  if (!mer_validate_write (self->store, doc, TRUE, &error)
      || (rev = mer_store_put_doc (self->store, doc, &error)) == NULL)
    {
      respond_gerror (resp, error);
      return;
    }
  respond_ok (resp, SOUP_STATUS_CREATED, mer_json_get_string (doc, "_id"), rev);
}

static void
handle_db (MerServer *self,
           Request   *req,
           Response  *resp)
{
  if (is_get (req))
    handle_db_info (self, resp);
  else if (method_is (req, "PUT"))
    {
      if (require_write (req, resp))
        respond_error (resp, SOUP_STATUS_PRECONDITION_FAILED, "file_exists",
                       "The database could not be created, the file already exists.");
    }
  else if (method_is (req, "POST"))
    handle_post_doc (self, req, resp);
  else
    respond_method_not_allowed (resp, "GET,HEAD,PUT,POST");
}

/* The changes feed ------------------------------------------------------------ */

static JsonNode *
changes_body (MerServer *self,
              JsonArray *rows,
              gint64     last_seq,
              gint64     limit)
{
  g_autoptr(JsonObject) object = json_object_new ();
  gint64 pending = 0;

  /*
   * Exact when the page was not cut by limit; otherwise an upper bound
   * (sequence numbers, not documents), which clients use only for progress.
   */
  if (limit > 0 && json_array_get_length (rows) >= limit)
    pending = MAX (0, mer_store_get_update_seq (self->store) - last_seq);

  json_object_set_array_member (object, "results", json_array_ref (rows));
  json_object_set_int_member (object, "last_seq", last_seq);
  json_object_set_int_member (object, "pending", pending);
  return json_node_init_object (json_node_alloc (), object);  /* takes its own ref */
}

static void
waiter_send (Waiter     *waiter,
             const char *text)
{
  SoupMessageBody *body = soup_server_message_get_response_body (waiter->msg);

  soup_message_body_append (body, SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_unpause (waiter->msg);
}

static void
waiter_stop_timers (Waiter *waiter)
{
  g_clear_handle_id (&waiter->heartbeat_id, g_source_remove);
  g_clear_handle_id (&waiter->timeout_id, g_source_remove);
}

/* Ends a feed with @text; the waiter is freed once libsoup is done. */
static void
waiter_complete (Waiter     *waiter,
                 const char *text)
{
  SoupMessageBody *body = soup_server_message_get_response_body (waiter->msg);

  if (waiter->done)
    return;
  waiter->done = TRUE;
  waiter_stop_timers (waiter);
  soup_message_body_append (body, SOUP_MEMORY_COPY, text, strlen (text));
  soup_message_body_complete (body);
  soup_server_message_unpause (waiter->msg);
}

static char *
last_seq_line (gint64 seq)
{
  return g_strdup_printf ("{\"last_seq\":%" G_GINT64_FORMAT ",\"pending\":0}\n", seq);
}

/*
 * Looks for rows after the waiter's position; a long poll answers with the
 * first non-empty page, a continuous feed writes each row as a line.
 */
static void
waiter_check (Waiter *waiter)
{
  MerServer *self = waiter->server;
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  gint64 last_seq = waiter->since;

  if (waiter->done)
    return;
  rows = mer_store_changes (self->store, waiter->since, waiter->remaining, waiter->all_docs,
                            waiter->include_docs, &last_seq, &error);
  if (rows == NULL)
    {
      g_warning ("Changes feed failed: %s", error->message);
      waiter_complete (waiter, waiter->continuous ? "" : "{\"results\":[],\"last_seq\":0,\"pending\":0}");
      return;
    }
  if (json_array_get_length (rows) == 0)
    return;

  if (!waiter->continuous)
    {
      g_autoptr(JsonNode) node = changes_body (self, rows, last_seq, waiter->remaining);
      g_autofree char *text = mer_json_to_string (node, FALSE);

      waiter_complete (waiter, text);
      return;
    }

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      g_autofree char *line = mer_json_to_string (json_array_get_element (rows, i), FALSE);
      g_autofree char *with_newline = g_strconcat (line, "\n", NULL);

      waiter_send (waiter, with_newline);
    }
  waiter->since = last_seq;
  if (waiter->remaining > 0)
    {
      waiter->remaining -= json_array_get_length (rows);
      if (waiter->remaining <= 0)
        {
          g_autofree char *end = last_seq_line (last_seq);
          waiter_complete (waiter, end);
        }
    }
}

static gboolean
waiter_heartbeat_cb (gpointer data)
{
  Waiter *waiter = data;

  waiter_send (waiter, "\n");
  return G_SOURCE_CONTINUE;
}

static gboolean
waiter_timeout_cb (gpointer data)
{
  Waiter *waiter = data;
  g_autofree char *text = NULL;

  waiter->timeout_id = 0;
  if (waiter->continuous)
    text = last_seq_line (waiter->since);
  else
    text = g_strdup_printf ("{\"results\":[],\"last_seq\":%" G_GINT64_FORMAT ",\"pending\":0}", waiter->since);
  waiter_complete (waiter, text);
  return G_SOURCE_REMOVE;
}

static void
wake_waiters (MerServer *self)
{
  g_autoptr(GPtrArray) snapshot = g_ptr_array_copy (self->waiters, NULL, NULL);

  for (guint i = 0; i < snapshot->len; i++)
    if (g_ptr_array_find (self->waiters, snapshot->pdata[i], NULL))
      waiter_check (snapshot->pdata[i]);
}

static void
store_changed_cb (MerStore  *store,
                  MerServer *self)
{
  self->polled_seq = mer_store_get_update_seq (store);
  wake_waiters (self);
}

/*
 * The store's "changed" signal only reports writes through this server's
 * own connection; writes by the app or by `meridian sync` in another
 * process are noticed by polling update_seq while anyone waits.
 */
static gboolean
poll_cb (gpointer data)
{
  MerServer *self = data;
  gint64 seq = mer_store_get_update_seq (self->store);

  if (seq != self->polled_seq)
    {
      self->polled_seq = seq;
      wake_waiters (self);
    }
  return G_SOURCE_CONTINUE;
}

static void
waiter_finished_cb (SoupServerMessage *msg,
                    Waiter            *waiter)
{
  waiter_free (waiter);
}

static void
waiter_free (Waiter *waiter)
{
  MerServer *self = waiter->server;

  waiter_stop_timers (waiter);
  g_clear_signal_handler (&waiter->finished_id, waiter->msg);
  g_clear_signal_handler (&waiter->disconnected_id, waiter->msg);
  g_ptr_array_remove (self->waiters, waiter);
  if (self->waiters->len == 0)
    g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&waiter->msg);
  g_free (waiter);
}

/* Pauses the message and keeps it until rows arrive or time runs out. */
static void
start_feed (MerServer *self,
            Request   *req,
            Response  *resp,
            JsonArray *initial_rows,
            gint64     since,
            gint64     limit,
            gboolean   all_docs,
            gboolean   include_docs,
            gboolean   continuous,
            gint64     heartbeat_ms,
            gint64     timeout_ms)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);
  Waiter *waiter = g_new0 (Waiter, 1);

  waiter->server = self;
  waiter->msg = g_object_ref (req->msg);
  waiter->since = since;
  waiter->remaining = limit > 0 ? limit : -1;
  waiter->all_docs = all_docs;
  waiter->include_docs = include_docs;
  waiter->continuous = continuous;

  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (headers, "Cache-Control", "must-revalidate");
  soup_server_message_pause (req->msg);
  resp->paused = TRUE;

  waiter->finished_id = g_signal_connect (req->msg, "finished", G_CALLBACK (waiter_finished_cb), waiter);
  waiter->disconnected_id = g_signal_connect (req->msg, "disconnected", G_CALLBACK (waiter_finished_cb), waiter);
  g_ptr_array_add (self->waiters, waiter);
  if (self->poll_id == 0)
    {
      self->polled_seq = mer_store_get_update_seq (self->store);
      self->poll_id = g_timeout_add (self->poll_ms, poll_cb, self);
    }
  if (heartbeat_ms > 0)
    waiter->heartbeat_id = g_timeout_add ((guint) heartbeat_ms, waiter_heartbeat_cb, waiter);
  waiter->timeout_id = g_timeout_add ((guint) timeout_ms, waiter_timeout_cb, waiter);

  if (continuous && initial_rows != NULL)
    {
      for (guint i = 0; i < json_array_get_length (initial_rows); i++)
        {
          g_autofree char *line = mer_json_to_string (json_array_get_element (initial_rows, i), FALSE);
          g_autofree char *with_newline = g_strconcat (line, "\n", NULL);
          waiter_send (waiter, with_newline);
        }
      if (waiter->remaining > 0)
        {
          waiter->remaining -= json_array_get_length (initial_rows);
          if (waiter->remaining <= 0)
            {
              g_autofree char *end = last_seq_line (since);
              waiter_complete (waiter, end);
            }
        }
    }
}

static void
handle_changes (MerServer *self,
                Request   *req,
                Response  *resp)
{
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  const char *feed = query_get (req, "feed");
  const char *style = query_get (req, "style");
  const char *since_text = query_get (req, "since");
  const char *heartbeat_text = query_get (req, "heartbeat");
  gboolean include_docs = FALSE;
  gboolean longpoll, continuous;
  gint64 since = 0, limit = 0, timeout_ms = -1, heartbeat_ms = 0, last_seq = 0;

  if (!is_get (req))
    {
      respond_method_not_allowed (resp, "GET,HEAD");
      return;
    }
  if (feed == NULL)
    feed = "normal";
  if (strcmp (feed, "normal") != 0 && strcmp (feed, "longpoll") != 0
      && strcmp (feed, "continuous") != 0)
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "feed must be normal, longpoll or continuous");
      return;
    }
  if (style != NULL && strcmp (style, "all_docs") != 0 && strcmp (style, "main_only") != 0)
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "style must be main_only or all_docs");
      return;
    }
  if (since_text != NULL && strcmp (since_text, "now") == 0)
    since = mer_store_get_update_seq (self->store);
  else if (since_text != NULL && !parse_count (since_text, &since))
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "since must be a sequence number or now");
      return;
    }
  if (!query_count (req, resp, "limit", &limit) || !query_count (req, resp, "timeout", &timeout_ms)
      || !query_bool (req, resp, "include_docs", &include_docs))
    return;
  if (heartbeat_text != NULL && strcmp (heartbeat_text, "true") == 0)
    heartbeat_ms = DEFAULT_TIMEOUT_MS;
  else if (!query_count (req, resp, "heartbeat", &heartbeat_ms))
    return;
  if (query_get (req, "limit") != NULL && limit == 0)
    limit = 1;  /* as CouchDB does */

  rows = mer_store_changes (self->store, since, limit, g_strcmp0 (style, "all_docs") == 0,
                            include_docs, &last_seq, &error);
  if (rows == NULL)
    {
      respond_gerror (resp, error);
      return;
    }

  longpoll = strcmp (feed, "longpoll") == 0;
  continuous = strcmp (feed, "continuous") == 0;
  if (req->msg != NULL && (continuous || (longpoll && json_array_get_length (rows) == 0)))
    {
      if (heartbeat_ms > 0)
        heartbeat_ms = CLAMP (heartbeat_ms, 100, MAX_WAIT_MS);
      if (timeout_ms < 0)
        timeout_ms = heartbeat_ms > 0 ? MAX_WAIT_MS : DEFAULT_TIMEOUT_MS;
      timeout_ms = CLAMP (timeout_ms, 1, MAX_WAIT_MS);
      start_feed (self, req, resp, rows, continuous ? last_seq : since, limit,
                  g_strcmp0 (style, "all_docs") == 0, include_docs, continuous,
                  heartbeat_ms, timeout_ms);
      return;
    }
  respond_json (resp, SOUP_STATUS_OK, changes_body (self, rows, last_seq, limit));
}

/* Replication ------------------------------------------------------------------ */

static void
handle_revs_diff (MerServer *self,
                  Request   *req,
                  Response  *resp)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *result;
  JsonObjectIter iter;
  const char *id;
  JsonNode *revs;

  if (!method_is (req, "POST"))
    {
      respond_method_not_allowed (resp, "POST");
      return;
    }
  if ((request = parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES)) == NULL)
    return;

  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &id, &revs))
    {
      JsonArray *list;

      if (!mer_validate_id (id, &error))
        {
          respond_gerror (resp, error);
          return;
        }
      if (!JSON_NODE_HOLDS_ARRAY (revs))
        {
          respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Each id must map to a list of revisions");
          return;
        }
      list = json_node_get_array (revs);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonNode *rev = json_array_get_element (list, i);

          if (json_node_get_value_type (rev) != G_TYPE_STRING
              || !mer_validate_rev (json_node_get_string (rev), NULL, &error))
            {
              g_clear_error (&error);
              respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid revision format");
              return;
            }
        }
    }

  result = mer_store_revs_diff (self->store, request, &error);
  if (result == NULL)
    {
      respond_gerror (resp, error);
      return;
    }
  respond_object (resp, SOUP_STATUS_OK, result);
}

/* Drops "_revisions" from the "ok" entries unless the client asked for them. */
static void
strip_revisions (JsonArray *entries,
                 gboolean   revs)
{
  if (revs)
    return;
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *entry = json_array_get_element (entries, i);
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;
      object = json_node_get_object (entry);
      if (json_object_has_member (object, "ok")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "ok")))
        json_object_remove_member (json_object_get_object_member (object, "ok"), "_revisions");
    }
}

static JsonObject *
bulk_get_error (const char *id,
                const char *rev)
{
  JsonObject *entry = json_object_new ();
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "id", id);
  json_object_set_string_member (error, "rev", rev != NULL ? rev : "undefined");
  json_object_set_string_member (error, "error", "not_found");
  json_object_set_string_member (error, "reason", "missing");
  json_object_set_object_member (entry, "error", error);
  return entry;
}

/* One _bulk_get result: {"id", "docs": [{"ok": doc} | {"error": {...}}]}. */
static JsonObject *
bulk_get_one (MerServer  *self,
              const char *id,
              const char *rev,
              gboolean    revs,
              gboolean    latest)
{
  const char *wanted[2] = { rev, NULL };
  g_autoptr(JsonArray) found = NULL;
  JsonObject *result = json_object_new ();
  JsonArray *docs = json_array_new ();

  json_object_set_string_member (result, "id", id);
  found = mer_store_open_revs (self->store, id, rev != NULL ? wanted : NULL, latest, NULL);
  if (found != NULL)
    strip_revisions (found, revs);
  for (guint i = 0; found != NULL && i < json_array_get_length (found); i++)
    {
      JsonNode *entry = json_array_get_element (found, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (entry) ? json_node_get_object (entry) : NULL;

      if (object != NULL && json_object_has_member (object, "ok"))
        json_array_add_element (docs, json_node_copy (entry));
      else
        json_array_add_object_element (docs, bulk_get_error (id, object != NULL ? mer_json_get_string (object, "missing") : rev));
    }
  if (json_array_get_length (docs) == 0)
    json_array_add_object_element (docs, bulk_get_error (id, rev));
  json_object_set_array_member (result, "docs", docs);
  return result;
}

static void
handle_bulk_get (MerServer *self,
                 Request   *req,
                 Response  *resp)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *wanted, *results;
  JsonObject *answer;
  gboolean revs = FALSE, latest = FALSE;

  if (!method_is (req, "POST"))
    {
      respond_method_not_allowed (resp, "POST");
      return;
    }
  if (!query_bool (req, resp, "revs", &revs) || !query_bool (req, resp, "latest", &latest)
      || (request = parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES)) == NULL)
    return;
  if (!json_object_has_member (request, "docs")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (request, "docs")))
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Missing JSON list of 'docs'.");
      return;
    }
  wanted = json_object_get_array_member (request, "docs");
  for (guint i = 0; i < json_array_get_length (wanted); i++)
    {
      JsonNode *node = json_array_get_element (wanted, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonNode *rev = entry != NULL ? json_object_get_member (entry, "rev") : NULL;

      if (entry == NULL || !mer_validate_id (mer_json_get_string (entry, "id"), &error)
          || (rev != NULL && (json_node_get_value_type (rev) != G_TYPE_STRING
                              || !mer_validate_rev (json_node_get_string (rev), NULL, &error))))
        {
          respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                         error != NULL ? error->message : "Each entry of docs must be {\"id\", \"rev\"}");
          return;
        }
    }

  results = json_array_new ();
  for (guint i = 0; i < json_array_get_length (wanted); i++)
    {
      JsonObject *entry = json_array_get_object_element (wanted, i);

      json_array_add_object_element (results, bulk_get_one (self, mer_json_get_string (entry, "id"),
                                                            mer_json_get_string (entry, "rev"),
                                                            revs, latest));
    }
  answer = json_object_new ();
  json_object_set_array_member (answer, "results", results);
  respond_object (resp, SOUP_STATUS_OK, answer);
}

/*
 * Validates the whole batch before anything is written: one invalid
 * document refuses the batch (400, 403 or 413 naming it), so that a peer
 * never leaves half a batch behind.
 */
static void
handle_bulk_docs (MerServer *self,
                  Request   *req,
                  Response  *resp)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *new_edits_node;
  JsonArray *docs, *results;
  gboolean new_edits = TRUE;

  if (!method_is (req, "POST"))
    {
      respond_method_not_allowed (resp, "POST");
      return;
    }
  if (!require_write (req, resp)
      || (request = parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES)) == NULL)
    return;
  if (!json_object_has_member (request, "docs")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (request, "docs")))
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "POST body must include `docs` parameter.");
      return;
    }
  new_edits_node = json_object_get_member (request, "new_edits");
  if (new_edits_node != NULL)
    {
      if (json_node_get_value_type (new_edits_node) != G_TYPE_BOOLEAN)
        {
          respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "`new_edits` parameter must be a boolean.");
          return;
        }
      new_edits = json_node_get_boolean (new_edits_node);
    }

  docs = json_object_get_array_member (request, "docs");
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonNode *node = json_array_get_element (docs, i);
      JsonObject *doc;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Document must be a JSON object");
          return;
        }
      doc = json_node_get_object (node);
      if (new_edits && !json_object_has_member (doc, "_id"))
        {
          g_autofree char *id = new_doc_id ();
          json_object_set_string_member (doc, "_id", id);
        }
      if (!mer_validate_write (self->store, doc, new_edits, &error))
        {
          respond_gerror (resp, error);
          return;
        }
    }

  results = mer_store_bulk_docs (self->store, docs, new_edits, &error);
  if (results == NULL)
    {
      respond_gerror (resp, error);
      return;
    }
  respond_json (resp, SOUP_STATUS_CREATED, json_node_init_array (json_node_alloc (), results));
  json_array_unref (results);
}

static void
handle_ensure_full_commit (Request  *req,
                           Response *resp)
{
  JsonObject *object;

  if (!method_is (req, "POST"))
    {
      respond_method_not_allowed (resp, "POST");
      return;
    }
  object = json_object_new ();
  json_object_set_boolean_member (object, "ok", TRUE);
  json_object_set_string_member (object, "instance_start_time", INSTANCE_START_TIME);
  respond_object (resp, SOUP_STATUS_CREATED, object);
}

static int
compare_row_ids (gconstpointer a,
                 gconstpointer b)
{
  JsonObject *row_a = *(JsonObject * const *) a;
  JsonObject *row_b = *(JsonObject * const *) b;

  return strcmp (mer_json_get_string (row_a, "id"), mer_json_get_string (row_b, "id"));
}

/* Every winning, non-deleted document, sorted by id (for people and tests). */
static void
handle_all_docs (MerServer *self,
                 Request   *req,
                 Response  *resp)
{
  g_autoptr(JsonArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  JsonArray *rows;
  JsonObject *object;
  gboolean include_docs = FALSE;
  gint64 last_seq = 0;

  if (!is_get (req))
    {
      respond_method_not_allowed (resp, "GET,HEAD");
      return;
    }
  if (!query_bool (req, resp, "include_docs", &include_docs))
    return;
  changes = mer_store_changes (self->store, 0, 0, FALSE, include_docs, &last_seq, &error);
  if (changes == NULL)
    {
      respond_gerror (resp, error);
      return;
    }
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *row = json_array_get_object_element (changes, i);

      if (!mer_json_get_bool (row, "deleted"))
        g_ptr_array_add (sorted, row);
    }
  g_ptr_array_sort (sorted, compare_row_ids);

  rows = json_array_new ();
  for (guint i = 0; i < sorted->len; i++)
    {
      JsonObject *change = sorted->pdata[i];
      JsonObject *row = json_object_new ();
      JsonObject *value = json_object_new ();
      JsonArray *revs = json_object_get_array_member (change, "changes");

      json_object_set_string_member (row, "id", mer_json_get_string (change, "id"));
      json_object_set_string_member (row, "key", mer_json_get_string (change, "id"));
      json_object_set_string_member (value, "rev",
                                     mer_json_get_string (json_array_get_object_element (revs, 0), "rev"));
      json_object_set_object_member (row, "value", value);
      if (include_docs && json_object_has_member (change, "doc"))
        json_object_set_member (row, "doc", json_node_copy (json_object_get_member (change, "doc")));
      json_array_add_object_element (rows, row);
    }
  object = json_object_new ();
  json_object_set_int_member (object, "total_rows", json_array_get_length (rows));
  json_object_set_int_member (object, "offset", 0);
  json_object_set_array_member (object, "rows", rows);
  respond_object (resp, SOUP_STATUS_OK, object);
}

/* Documents -------------------------------------------------------------------- */

/* Merges ?rev= into the body's _rev; they must agree when both are given. */
static gboolean
apply_query_rev (Request    *req,
                 Response   *resp,
                 JsonObject *doc)
{
  const char *rev = query_get (req, "rev");
  const char *body_rev;

  if (rev == NULL)
    return TRUE;
  body_rev = mer_json_get_string (doc, "_rev");
  if (body_rev != NULL && strcmp (body_rev, rev) != 0)
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     "Document rev from request body and query string have different values");
      return FALSE;
    }
  json_object_set_string_member (doc, "_rev", rev);
  return TRUE;
}

static gboolean
apply_url_id (Response   *resp,
              JsonObject *doc,
              const char *id)
{
  JsonNode *body_id = json_object_get_member (doc, "_id");

  if (body_id != NULL && (json_node_get_value_type (body_id) != G_TYPE_STRING
                          || strcmp (json_node_get_string (body_id), id) != 0))
    {
      respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Document id must match the URL");
      return FALSE;
    }
  json_object_set_string_member (doc, "_id", id);
  return TRUE;
}

static void
handle_open_revs (MerServer  *self,
                  Request    *req,
                  Response   *resp,
                  const char *id,
                  const char *open_revs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) revs = NULL;
  JsonArray *found;
  gboolean want_revisions = FALSE, latest = FALSE;

  if (!query_bool (req, resp, "revs", &want_revisions) || !query_bool (req, resp, "latest", &latest))
    return;
  if (strcmp (open_revs, "all") != 0)
    {
      g_autoptr(JsonNode) list = NULL;

      if (!mer_validate_json_text (open_revs, strlen (open_revs), 2, NULL)
          || (list = mer_json_parse (open_revs, -1, NULL)) == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        {
          respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "open_revs must be all or a JSON list of revisions");
          return;
        }
      revs = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
        {
          JsonNode *rev = json_array_get_element (json_node_get_array (list), i);

          if (json_node_get_value_type (rev) != G_TYPE_STRING
              || !mer_validate_rev (json_node_get_string (rev), NULL, NULL))
            {
              respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid revision format");
              return;
            }
          g_ptr_array_add (revs, g_strdup (json_node_get_string (rev)));
        }
      g_ptr_array_add (revs, NULL);
    }

  found = mer_store_open_revs (self->store, id, revs != NULL ? (const char * const *) revs->pdata : NULL,
                               latest, &error);
  if (found == NULL)
    {
      if (g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
        found = json_array_new ();
      else
        {
          respond_gerror (resp, error);
          return;
        }
    }
  strip_revisions (found, want_revisions);
  respond_json (resp, SOUP_STATUS_OK, json_node_init_array (json_node_alloc (), found));
  json_array_unref (found);
}

static void
handle_get_doc (MerServer  *self,
                Request    *req,
                Response   *resp,
                const char *id)
{
  g_autoptr(GError) error = NULL;
  const char *rev = query_get (req, "rev");
  const char *open_revs = query_get (req, "open_revs");
  gboolean conflicts = FALSE, deleted_conflicts = FALSE, revs = FALSE, meta = FALSE;
  MerGetFlags flags = MER_GET_DEFAULT;
  JsonObject *doc;

  if (open_revs != NULL)
    {
      handle_open_revs (self, req, resp, id, open_revs);
      return;
    }
  if (!query_bool (req, resp, "conflicts", &conflicts) || !query_bool (req, resp, "deleted_conflicts", &deleted_conflicts)
      || !query_bool (req, resp, "revs", &revs) || !query_bool (req, resp, "meta", &meta))
    return;
  if (rev != NULL && !mer_validate_rev (rev, NULL, &error))
    {
      respond_gerror (resp, error);
      return;
    }
  if (conflicts || meta)
    flags |= MER_GET_CONFLICTS;
  if (deleted_conflicts || meta)
    flags |= MER_GET_DELETED_CONFLICTS;
  if (revs)
    flags |= MER_GET_REVS;

  doc = mer_store_get_doc (self->store, id, rev, flags, &error);
  if (doc == NULL)
    {
      g_auto(GStrv) leaves = NULL;

      if (g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND) && rev == NULL
          && (leaves = mer_store_get_leaf_revs (self->store, id, TRUE, NULL)) != NULL && leaves[0] != NULL)
        respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "deleted");
      else
        respond_gerror (resp, error);
      return;
    }
  g_free (resp->etag);
  resp->etag = g_strdup_printf ("\"%s\"", mer_json_get_string (doc, "_rev"));
  respond_object (resp, SOUP_STATUS_OK, doc);
}

static void
handle_put_doc (MerServer  *self,
                Request    *req,
                Response   *resp,
                const char *id)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  gboolean new_edits = TRUE;

  if (!require_write (req, resp) || !query_bool (req, resp, "new_edits", &new_edits)
      || (doc = parse_body_object (req, resp, MER_VALIDATE_MAX_DOC_BYTES)) == NULL
      || !apply_url_id (resp, doc, id) || !apply_query_rev (req, resp, doc))
    return;
  if (!mer_validate_write (self->store, doc, new_edits, &error))
    {
      respond_gerror (resp, error);
      return;
    }
  if (new_edits)
    rev = mer_store_put_doc (self->store, doc, &error);
  else if (mer_store_put_revision (self->store, doc, &error))
    rev = g_strdup (mer_json_get_string (doc, "_rev"));
  if (rev == NULL)
    {
      respond_gerror (resp, error);
      return;
    }
  respond_ok (resp, SOUP_STATUS_CREATED, id, rev);
}

static const char *
request_rev (Request *req)
{
  const char *rev = query_get (req, "rev");
  const char *if_match = NULL;
  static char buffer[MER_VALIDATE_MAX_REV_HASH + 32];

  if (rev != NULL || req->msg == NULL)
    return rev;
  if_match = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), "If-Match");
  if (if_match == NULL)
    return NULL;
  /* If-Match: "1-abc" */
  g_strlcpy (buffer, if_match, sizeof buffer);
  g_strstrip (buffer);
  if (buffer[0] == '"' && strlen (buffer) >= 2 && buffer[strlen (buffer) - 1] == '"')
    {
      buffer[strlen (buffer) - 1] = '\0';
      return buffer + 1;
    }
  return buffer;
}

static void
handle_delete_doc (MerServer  *self,
                   Request    *req,
                   Response   *resp,
                   const char *id)
{
  g_autoptr(JsonObject) tombstone = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *new_rev = NULL;
  const char *rev = request_rev (req);

  if (!require_write (req, resp))
    return;
  if (rev == NULL)
    {
      respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
      return;
    }
  json_object_set_string_member (tombstone, "_id", id);
  json_object_set_string_member (tombstone, "_rev", rev);
  json_object_set_boolean_member (tombstone, "_deleted", TRUE);
  if (!mer_validate_write (self->store, tombstone, TRUE, &error)
      || (new_rev = mer_store_delete_doc (self->store, id, rev, &error)) == NULL)
    {
      respond_gerror (resp, error);
      return;
    }
  respond_ok (resp, SOUP_STATUS_OK, id, new_rev);
}

static void
handle_doc (MerServer  *self,
            Request    *req,
            Response   *resp,
            const char *id)
{
  if (is_get (req))
    handle_get_doc (self, req, resp, id);
  else if (method_is (req, "PUT"))
    handle_put_doc (self, req, resp, id);
  else if (method_is (req, "DELETE"))
    handle_delete_doc (self, req, resp, id);
  else
    respond_method_not_allowed (resp, "GET,HEAD,PUT,DELETE");
}

static void
handle_local (MerServer  *self,
              Request    *req,
              Response   *resp,
              const char *id)
{
  g_autoptr(GError) error = NULL;

  if (!mer_validate_local_id (id, &error))
    {
      respond_gerror (resp, error);
      return;
    }

  if (is_get (req))
    {
      JsonObject *doc = mer_store_get_local (self->store, id, &error);

      if (doc == NULL)
        respond_gerror (resp, error);
      else
        respond_object (resp, SOUP_STATUS_OK, doc);
    }
  else if (method_is (req, "PUT"))
    {
      g_autoptr(JsonObject) doc = NULL;
      g_autofree char *rev = NULL;

      if (!require_write (req, resp) || (doc = parse_body_object (req, resp, MER_VALIDATE_MAX_DOC_BYTES)) == NULL
          || !apply_url_id (resp, doc, id) || !apply_query_rev (req, resp, doc))
        return;
      if (!mer_validate_local_doc (doc, &error)
          || (rev = mer_store_put_local (self->store, doc, &error)) == NULL)
        {
          respond_gerror (resp, error);
          return;
        }
      respond_ok (resp, SOUP_STATUS_CREATED, id, rev);
    }
  else if (method_is (req, "DELETE"))
    {
      g_autoptr(JsonObject) current = NULL;
      const char *rev = request_rev (req);

      if (!require_write (req, resp))
        return;
      current = mer_store_get_local (self->store, id, &error);
      if (current == NULL)
        {
          respond_gerror (resp, error);
          return;
        }
      if (rev == NULL || g_strcmp0 (rev, mer_json_get_string (current, "_rev")) != 0)
        {
          respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
          return;
        }
      if (!mer_store_delete_local (self->store, id, &error))
        {
          respond_gerror (resp, error);
          return;
        }
      respond_ok (resp, SOUP_STATUS_OK, id, "0-0");
    }
  else
    respond_method_not_allowed (resp, "GET,HEAD,PUT,DELETE");
}

/* Routing ----------------------------------------------------------------------- */

/*
 * Splits the still-encoded path on '/' and only then decodes each segment,
 * so that "page%2Fa" stays one id while "_design/x" keeps its literal
 * slash. Returns NULL when a segment has an invalid escape or a NUL.
 */
static char **
split_path (const char *raw_path,
            guint      *out_n)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  guint n;

  if (raw_path == NULL || raw_path[0] != '/')
    return NULL;
  parts = g_strsplit (raw_path + 1, "/", -1);
  n = g_strv_length (parts);
  /* "/" is the root; "/db/" is the database, as PouchDB writes it. */
  if (n == 1 && parts[0][0] == '\0')
    n = 0;
  else if (n == 2 && parts[1][0] == '\0')
    n = 1;
  for (guint i = 0; i < n; i++)
    {
      char *decoded = g_uri_unescape_string (parts[i], NULL);

      if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
        {
          g_free (decoded);
          return NULL;
        }
      g_ptr_array_add (segments, decoded);
    }
  g_ptr_array_add (segments, NULL);
  *out_n = n;
  return (char **) g_ptr_array_free (g_steal_pointer (&segments), FALSE);
}

static void
route (MerServer *self,
       Request   *req,
       Response  *resp)
{
  char **s = req->segments;
  guint n = req->n_segments;

  if (n == 0)
    {
      handle_welcome (self, req, resp);
      return;
    }
  if (s[0][0] == '_')
    {
      if (n == 1 && strcmp (s[0], "_all_dbs") == 0 && is_get (req))
        {
          JsonArray *names = json_array_new ();

          json_array_add_string_element (names, mer_store_get_name (self->store));
          respond_json (resp, SOUP_STATUS_OK, json_node_init_array (json_node_alloc (), names));
          json_array_unref (names);
        }
      else if (n == 1 && strcmp (s[0], "_up") == 0 && is_get (req))
        {
          JsonObject *object = json_object_new ();

          json_object_set_string_member (object, "status", "ok");
          respond_object (resp, SOUP_STATUS_OK, object);
        }
      else
        respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
      return;
    }
  if (strcmp (s[0], mer_store_get_name (self->store)) != 0)
    {
      respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "Database does not exist.");
      return;
    }
  if (n == 1)
    {
      handle_db (self, req, resp);
      return;
    }

  if (strcmp (s[1], "_local") == 0 || strcmp (s[1], "_design") == 0)
    {
      g_autofree char *id = NULL;

      if (n != 3)
        {
          respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
          return;
        }
      id = g_strconcat (s[1], "/", s[2], NULL);
      if (strcmp (s[1], "_local") == 0)
        handle_local (self, req, resp, id);
      else
        {
          g_autoptr(GError) error = NULL;

          if (!mer_validate_id (id, &error))
            respond_gerror (resp, error);
          else
            handle_doc (self, req, resp, id);
        }
      return;
    }

  if (n == 2 && s[1][0] == '_')
    {
      if (strcmp (s[1], "_changes") == 0)
        handle_changes (self, req, resp);
      else if (strcmp (s[1], "_revs_diff") == 0)
        handle_revs_diff (self, req, resp);
      else if (strcmp (s[1], "_bulk_get") == 0)
        handle_bulk_get (self, req, resp);
      else if (strcmp (s[1], "_bulk_docs") == 0)
        handle_bulk_docs (self, req, resp);
      else if (strcmp (s[1], "_ensure_full_commit") == 0)
        handle_ensure_full_commit (req, resp);
      else if (strcmp (s[1], "_all_docs") == 0)
        handle_all_docs (self, req, resp);
      else
        respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                       "Only reserved document ids may start with underscore.");
      return;
    }

  if (n == 2)
    {
      g_autoptr(GError) error = NULL;

      if (!mer_validate_id (s[1], &error))
        respond_gerror (resp, error);
      else
        handle_doc (self, req, resp, s[1]);
      return;
    }

  /* /{db}/{docid}/{attachment}: Meridian documents carry no attachments. */
  if (is_get (req))
    respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "Document is missing attachment");
  else if (require_write (req, resp))
    respond_error (resp, SOUP_STATUS_FORBIDDEN, "forbidden", "Attachments are not supported");
}

static char *
response_text (Response *resp)
{
  g_autofree char *text = NULL;

  if (resp->body == NULL)
    return g_strdup ("");
  text = mer_json_to_string (resp->body, FALSE);
  return g_strconcat (text, "\n", NULL);
}

guint
mer_server_handle_request (MerServer   *self,
                           const char  *method,
                           const char  *path_and_query,
                           const char  *content_type,
                           const char  *body,
                           gsize        length,
                           char       **out_body)
{
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) query = NULL;
  g_auto(GStrv) segments = NULL;
  const char *question;
  Request req = { 0 };
  Response resp = { 0 };
  guint status;

  g_return_val_if_fail (MER_IS_SERVER (self), 0);
  g_return_val_if_fail (method != NULL && path_and_query != NULL, 0);

  question = strchr (path_and_query, '?');
  path = question != NULL ? g_strndup (path_and_query, question - path_and_query) : g_strdup (path_and_query);
  if (question != NULL)
    query = soup_form_decode (question + 1);

  req.method = method;
  req.query = query;
  req.content_type = content_type;
  req.body = body;
  req.length = length;
  req.role = MER_ROLE_RW;
  segments = split_path (path, &req.n_segments);
  if (segments == NULL)
    respond_error (&resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid path");
  else
    {
      req.segments = segments;
      route (self, &req, &resp);
    }

  status = resp.status;
  if (out_body != NULL)
    *out_body = response_text (&resp);
  g_clear_pointer (&resp.body, json_node_unref);
  g_free (resp.etag);
  g_free (resp.allow);
  return status;
}

/* HTTP: authentication, limits, CORS --------------------------------------------- */

static gboolean
is_loopback_host (const char *host)
{
  g_autofree char *name = NULL;
  const char *colon;

  if (host == NULL)
    return FALSE;
  if (host[0] == '[')
    {
      const char *end = strchr (host, ']');
      return end != NULL && strncmp (host, "[::1]", 5) == 0 && end == host + 4;
    }
  colon = strchr (host, ':');
  name = colon != NULL ? g_strndup (host, colon - host) : g_strdup (host);
  return g_ascii_strcasecmp (name, "localhost") == 0 || strcmp (name, "127.0.0.1") == 0;
}

static gboolean
is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return address != NULL && G_IS_INET_SOCKET_ADDRESS (address)
         && g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

/*
 * Who is asking. With accounts, HTTP Basic credentials decide. Without any
 * account, only this machine is served: the peer must be on a loopback
 * address and the Host header must name one, so that a web page in a
 * browser cannot reach the server through DNS rebinding.
 */
static MerRole
authenticate (MerServer         *self,
              SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization;
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  gsize length;
  char *colon;

  if (mer_accounts_count (self->accounts) == 0)
    {
      if (is_loopback_peer (msg) && is_loopback_host (soup_message_headers_get_one (headers, "Host")))
        return MER_ROLE_RW;
      return MER_ROLE_NONE;
    }

  authorization = soup_message_headers_get_one (headers, "Authorization");
  if (authorization == NULL || strlen (authorization) > MAX_AUTH_HEADER
      || g_ascii_strncasecmp (authorization, "Basic ", 6) != 0)
    return MER_ROLE_NONE;
  decoded = g_base64_decode (authorization + 6, &length);
  if (decoded == NULL || length == 0 || memchr (decoded, '\0', length) != NULL)
    return MER_ROLE_NONE;
  text = g_strndup ((const char *) decoded, length);
  if (!g_utf8_validate (text, -1, NULL) || (colon = strchr (text, ':')) == NULL)
    return MER_ROLE_NONE;
  *colon = '\0';
  return mer_accounts_verify (self->accounts, text, colon + 1);
}

static void
add_cors_headers (MerServer         *self,
                  SoupServerMessage *msg,
                  gboolean           preflight)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  /* Browsers may only use a server that asks for credentials. */
  if (origin == NULL || mer_accounts_count (self->accounts) == 0)
    return;
  soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
  soup_message_headers_append (response, "Vary", "Origin");
  if (preflight)
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET, PUT, POST, HEAD, DELETE");
      soup_message_headers_replace (response, "Access-Control-Allow-Headers",
                                    "accept, authorization, content-type, origin, referer");
      soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
    }
  else
    soup_message_headers_replace (response, "Access-Control-Expose-Headers",
                                  "content-type, cache-control, etag, server");
}

static void
send_response (SoupServerMessage *msg,
               Response          *resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *text = response_text (resp);

  soup_message_headers_replace (headers, "Cache-Control", "must-revalidate");
  if (resp->etag != NULL)
    soup_message_headers_replace (headers, "ETag", resp->etag);
  if (resp->allow != NULL)
    soup_message_headers_replace (headers, "Allow", resp->allow);
  soup_server_message_set_status (msg, resp->status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

/* Stops reading a chunked body once it passes the limit, keeping memory bounded. */
static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  gsize total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "mer-server-received"));

  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "mer-server-received", GSIZE_TO_POINTER (total));
  if (total > MER_SERVER_MAX_REQUEST_BYTES
      && g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) == NULL)
    {
      g_object_set_data (G_OBJECT (msg), TOO_LARGE_KEY, GINT_TO_POINTER (1));
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
    }
}

/*
 * Runs once the headers are in, before the body is read: a declared length
 * over the limit is answered 413. libsoup still drains the body before it
 * answers, so the body is not kept: memory stays bounded either way.
 */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset declared = soup_message_headers_get_content_length (headers);
  Response resp = { 0 };

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && declared > MER_SERVER_MAX_REQUEST_BYTES)
    {
      respond_error (&resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                     "The request entity is too large");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      send_response (msg, &resp);
      g_clear_pointer (&resp.body, json_node_unref);
      return;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
}

static gboolean
is_public (SoupServerMessage *msg,
           const char        *raw_path)
{
  const char *method = soup_server_message_get_method (msg);

  /*
   * CouchDB's replicator tries cookie sessions first and falls back to
   * Basic only on a plain 404, so /_session answers that to anyone.
   */
  if (strcmp (raw_path, "/_session") == 0)
    return TRUE;
  return strcmp (raw_path, "/") == 0 && (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0);
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  MerServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  g_auto(GStrv) segments = NULL;
  const char *raw_path = g_uri_get_path (soup_server_message_get_uri (msg));
  const char *method = soup_server_message_get_method (msg);
  Request req = { 0 };
  Response resp = { 0 };

  /*
   * libsoup closes the connection when asked to but does not say so; a
   * keep-alive client (Node's agent, under PouchDB) would then reuse the
   * dead socket.
   */
  if (soup_message_headers_header_contains (headers, "Connection", "close"))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");

  if (strcmp (method, "OPTIONS") == 0)
    {
      add_cors_headers (self, msg, TRUE);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "", 0);
      return;
    }
  add_cors_headers (self, msg, FALSE);

  if (g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) != NULL)
    respond_error (&resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", "The request entity is too large");
  else if (!is_public (msg, raw_path)
           && (req.role = authenticate (self, msg)) == MER_ROLE_NONE)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Basic realm=\"meridian\"");
      respond_error (&resp, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                     soup_message_headers_get_one (headers, "Authorization") != NULL
                     ? "Name or password is incorrect." : "Authentication required.");
    }
  else if ((segments = split_path (raw_path, &req.n_segments)) == NULL)
    respond_error (&resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid path");
  else
    {
      bytes = soup_message_body_flatten (body);
      req.method = method;
      req.segments = segments;
      req.query = query;
      req.content_type = soup_message_headers_get_content_type (headers, NULL);
      req.body = g_bytes_get_data (bytes, &req.length);
      req.msg = msg;
      route (self, &req, &resp);
    }

  if (!resp.paused)
    send_response (msg, &resp);
  g_clear_pointer (&resp.body, json_node_unref);
  g_free (resp.etag);
  g_free (resp.allow);
}

/* The object ---------------------------------------------------------------------- */

static void
mer_server_dispose (GObject *object)
{
  MerServer *self = MER_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  while (self->waiters->len > 0)
    waiter_free (self->waiters->pdata[0]);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_object (&self->soup);
  g_clear_object (&self->store);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (mer_server_parent_class)->dispose (object);
}

static void
mer_server_finalize (GObject *object)
{
  MerServer *self = MER_SERVER (object);

  g_ptr_array_unref (self->waiters);
  G_OBJECT_CLASS (mer_server_parent_class)->finalize (object);
}

static void
mer_server_class_init (MerServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mer_server_dispose;
  object_class->finalize = mer_server_finalize;
}

static void
mer_server_init (MerServer *self)
{
  self->waiters = g_ptr_array_new ();
  self->poll_ms = DEFAULT_POLL_MS;
}

MerServer *
mer_server_new (MerStore    *store,
                MerAccounts *accounts)
{
  MerServer *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (MER_IS_ACCOUNTS (accounts), NULL);

  self = g_object_new (MER_TYPE_SERVER, NULL);
  self->store = g_object_ref (store);
  self->accounts = g_object_ref (accounts);
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (store_changed_cb), self);
  return self;
}

void
mer_server_set_poll_interval (MerServer *self,
                              guint      milliseconds)
{
  g_return_if_fail (MER_IS_SERVER (self));
  self->poll_ms = MAX (milliseconds, 10);
}

/*
 * Parses "ADDR:PORT", "[V6]:PORT", "ADDR" or "PORT". ADDR is an IP address
 * or "localhost"; PORT 0 lets the system pick one.
 */
gboolean
mer_server_parse_address (const char    *text,
                          GInetAddress **out_address,
                          guint16       *out_port,
                          GError       **error)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  guint64 port = MER_SERVER_DEFAULT_PORT;
  GInetAddress *address;

  if (text == NULL || *text == '\0')
    text = "127.0.0.1";

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        goto bad;
      host = g_strndup (text + 1, end - text - 1);
      if (end[1] == ':')
        port_text = end + 2;
    }
  else if (strspn (text, "0123456789") == strlen (text))
    {
      host = g_strdup ("127.0.0.1");
      port_text = text;
    }
  else
    {
      const char *colon = strrchr (text, ':');

      if (colon != NULL && strchr (text, ':') != colon)
        host = g_strdup (text);  /* a bare IPv6 address */
      else if (colon != NULL)
        {
          host = g_strndup (text, colon - text);
          port_text = colon + 1;
        }
      else
        host = g_strdup (text);
    }

  if (port_text != NULL
      && (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL)))
    goto bad;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (host);
  if (address == NULL)
    goto bad;

  *out_address = address;
  *out_port = (guint16) port;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an address to listen on (expected ADDRESS:PORT, e.g. 127.0.0.1:5984)"), text);
  return FALSE;
}

/*
 * Starts listening. Any address but loopback needs accounts, because
 * without accounts the server lets in whoever can connect.
 */
gboolean
mer_server_listen (MerServer        *self,
                   const char       *address,
                   GTlsCertificate  *certificate,
                   GError          **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  SoupServerListenOptions options = 0;
  guint16 port;

  g_return_val_if_fail (MER_IS_SERVER (self), FALSE);

  if (!mer_server_parse_address (address, &inet, &port, error))
    return FALSE;
  if (!g_inet_address_get_is_loopback (inet) && mer_accounts_count (self->accounts) == 0)
    {
      g_autofree char *where = g_inet_address_to_string (inet);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("Refusing to listen on %s without accounts; add one with “meridian user add NAME” or listen on 127.0.0.1"),
                   where);
      return FALSE;
    }

  if (self->soup == NULL)
    {
      g_autofree char *header = g_strdup_printf ("Meridian/%s ", PACKAGE_VERSION);

      /* raw-paths: keep "%2F" inside a segment, see split_path(). */
      self->soup = soup_server_new ("server-header", header, "raw-paths", TRUE, NULL);
      soup_server_add_early_handler (self->soup, NULL, early_handler_cb, self, NULL);
      soup_server_add_handler (self->soup, NULL, handler_cb, self, NULL);
    }
  if (certificate != NULL)
    {
      soup_server_set_tls_certificate (self->soup, certificate);
      options |= SOUP_SERVER_LISTEN_HTTPS;
      self->https = TRUE;
    }

  socket_address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (self->soup, socket_address, options, error))
    {
      g_prefix_error (error, _("Cannot listen on %s: "), address != NULL ? address : "127.0.0.1");
      return FALSE;
    }
  return TRUE;
}

void
mer_server_stop (MerServer *self)
{
  g_return_if_fail (MER_IS_SERVER (self));

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}

guint16
mer_server_get_port (MerServer *self)
{
  GSList *uris;
  guint16 port = 0;

  g_return_val_if_fail (MER_IS_SERVER (self), 0);

  if (self->soup == NULL)
    return 0;
  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

/* The database URL a peer replicates with, e.g. http://127.0.0.1:5984/handbook. */
char *
mer_server_get_url (MerServer *self)
{
  g_autofree char *name = NULL;
  GSList *uris;
  char *url = NULL;

  g_return_val_if_fail (MER_IS_SERVER (self), NULL);

  if (self->soup == NULL)
    return NULL;
  uris = soup_server_get_uris (self->soup);
  name = g_uri_escape_string (mer_store_get_name (self->store), NULL, FALSE);
  if (uris != NULL)
    {
      const char *host = g_uri_get_host (uris->data);
      gboolean v6 = strchr (host, ':') != NULL;

      url = g_strdup_printf ("%s://%s%s%s:%d/%s", self->https ? "https" : "http",
                             v6 ? "[" : "", host, v6 ? "]" : "",
                             g_uri_get_port (uris->data), name);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}
