/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The changes feed: normal pages, and long-poll or continuous feeds that
 * keep the message paused until rows arrive, with heartbeats and timeouts.
 */

#include "config.h"

#include "mer-server-private.h"
#include "mer-json.h"
#include "mer-validate.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/*
 * The filters served: _doc_ids (only the listed documents) and _design
 * (only design documents). Views, selectors and design-document filters
 * need a query or JavaScript engine, and are refused.
 */
typedef struct
{
  GHashTable *doc_ids;   /* for _doc_ids; NULL for _design */
} Filter;

static void
filter_free (Filter *filter)
{
  g_clear_pointer (&filter->doc_ids, g_hash_table_unref);
  g_free (filter);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Filter, filter_free)

static gboolean
filter_accepts (Filter     *filter,
                const char *id)
{
  if (filter->doc_ids != NULL)
    return g_hash_table_contains (filter->doc_ids, id);
  return g_str_has_prefix (id, "_design/");
}

/*
 * The feed from @since, filtered: at most @limit rows that pass (all when
 * 0). *last_seq is the last row's sequence when the limit cut the page,
 * otherwise the end of what was read, as CouchDB answers.
 */
static JsonArray *
read_changes (MerServer  *self,
              Filter     *filter,
              gint64      since,
              gint64      limit,
              gboolean    all_docs,
              gboolean    include_docs,
              gint64     *last_seq,
              GError    **error)
{
  g_autoptr(JsonArray) rows = NULL;
  JsonArray *kept;

  if (filter == NULL)
    return mer_store_changes (self->store, since, limit, all_docs, include_docs, last_seq, error);
  rows = mer_store_changes (self->store, since, 0, all_docs, include_docs, last_seq, error);
  if (rows == NULL)
    return NULL;
  kept = json_array_new ();
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (limit > 0 && (gint64) json_array_get_length (kept) >= limit)
        break;
      if (!filter_accepts (filter, mer_json_get_string (row, "id")))
        continue;
      json_array_add_object_element (kept, json_object_ref (row));
      if (limit > 0 && (gint64) json_array_get_length (kept) == limit)
        *last_seq = json_object_get_int_member (row, "seq");
    }
  return kept;
}

typedef struct
{
  MerServer          *server;
  SoupServerMessage  *msg;
  gint64              since;
  gint64              remaining;   /* rows still allowed by limit, or -1 */
  gboolean            all_docs;
  gboolean            include_docs;
  gboolean            continuous;
  Filter             *filter;      /* or NULL */
  guint               heartbeat_id;
  guint               timeout_id;
  gulong              finished_id;
  gulong              disconnected_id;
  GSocket            *corked;      /* continuous: the socket held corked, see cork_feed() */
  gulong              wrote_ids[3];
  gboolean            done;
} Waiter;

static void waiter_free (Waiter *waiter);

/* Corking ---------------------------------------------------------------------- */

/*
 * libsoup writes a chunk of a chunked body in three writes (its size line,
 * its data, its CRLF), and the server's sockets send each write at once
 * (TCP_NODELAY), so a row of a continuous feed can reach the client as a
 * segment holding only "5b\r\n". CouchDB's replicator reads its feeds one
 * segment at a time and stalls on such a segment until its request times
 * out (30 s), then starts the feed again. So while a continuous feed runs
 * its socket is corked, and uncorked after each piece of the answer
 * libsoup has written: every row, every heartbeat and the end each leave
 * as one segment.
 */
static void
set_cork (GSocket  *socket,
          gboolean  on)
{
#ifdef TCP_CORK
  g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, on ? 1 : 0, NULL);
#endif
}

static void
flush_cork_cb (SoupServerMessage *msg,
               gpointer           data)
{
  Waiter *waiter = data;

  if (waiter->corked == NULL || g_socket_is_closed (waiter->corked))
    return;
  set_cork (waiter->corked, FALSE);
  set_cork (waiter->corked, TRUE);
}

static void
flush_cork_data_cb (SoupServerMessage *msg,
                    guint              size,
                    gpointer           data)
{
  flush_cork_cb (msg, data);
}

static void
cork_feed (Waiter *waiter)
{
  GSocket *socket = _mer_server_socket_of (waiter->msg);

  if (socket == NULL)
    return;
  waiter->corked = g_object_ref (socket);
  set_cork (socket, TRUE);
  waiter->wrote_ids[0] = g_signal_connect (waiter->msg, "wrote-headers", G_CALLBACK (flush_cork_cb), waiter);
  waiter->wrote_ids[1] = g_signal_connect (waiter->msg, "wrote-body-data", G_CALLBACK (flush_cork_data_cb), waiter);
  waiter->wrote_ids[2] = g_signal_connect (waiter->msg, "wrote-body", G_CALLBACK (flush_cork_cb), waiter);
}

/* Leaves the socket as it was: a kept-alive connection goes on uncorked. */
static void
uncork_feed (Waiter *waiter)
{
  for (guint i = 0; i < G_N_ELEMENTS (waiter->wrote_ids); i++)
    g_clear_signal_handler (&waiter->wrote_ids[i], waiter->msg);
  if (waiter->corked != NULL && !g_socket_is_closed (waiter->corked))
    set_cork (waiter->corked, FALSE);
  g_clear_object (&waiter->corked);
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
  rows = read_changes (self, waiter->filter, waiter->since, MAX (waiter->remaining, 0), waiter->all_docs,
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

/*
 * Wakes the waiting feeds. Writes by other processes (the app, `meridian
 * sync`) reach this signal when the store watches other connections,
 * which `meridian serve` turns on.
 */
void
_mer_server_store_changed_cb (MerStore  *store,
                              MerServer *self)
{
  wake_waiters (self);
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
  uncork_feed (waiter);
  g_clear_signal_handler (&waiter->finished_id, waiter->msg);
  g_clear_signal_handler (&waiter->disconnected_id, waiter->msg);
  g_ptr_array_remove (self->waiters, waiter);
  g_clear_object (&waiter->msg);
  g_clear_pointer (&waiter->filter, filter_free);
  g_free (waiter);
}

/* Pauses the message and keeps it until rows arrive or time runs out. */
static void
start_feed (MerServer *self,
            Request   *req,
            Response  *resp,
            JsonArray *initial_rows,
            Filter    *filter,
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
  waiter->filter = filter;

  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (headers, "Cache-Control", "must-revalidate");
  soup_server_message_pause (req->msg);
  resp->paused = TRUE;

  waiter->finished_id = g_signal_connect (req->msg, "finished", G_CALLBACK (waiter_finished_cb), waiter);
  waiter->disconnected_id = g_signal_connect (req->msg, "disconnected", G_CALLBACK (waiter_finished_cb), waiter);
  g_ptr_array_add (self->waiters, waiter);
  if (continuous)
    cork_feed (waiter);
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

/* A list of document ids, as the JSON array @node must be. */
static GHashTable *
doc_ids_from (JsonNode *node)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *id = json_array_get_element (array, i);

      if (json_node_get_value_type (id) != G_TYPE_STRING)
        return NULL;
      g_hash_table_add (ids, g_strdup (json_node_get_string (id)));
    }
  return g_steal_pointer (&ids);
}

/*
 * The filter asked for by ?filter= (with doc_ids from the query or, for a
 * POST, the body), or NULL with *ok set when there is none. What cannot be
 * served is answered here, naming the filter: a feed that ignored it would
 * send a client documents it did not ask for.
 */
static Filter *
parse_filter (Request  *req,
              Response *resp,
              gboolean *ok)
{
  const char *name = _mer_server_query_get (req, "filter");
  const char *ids_text = _mer_server_query_get (req, "doc_ids");
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) ids_node = NULL;
  g_autoptr(Filter) filter = NULL;

  *ok = FALSE;
  if (_mer_server_method_is (req, "POST"))
    {
      g_autoptr(GList) members = NULL;

      if ((body = _mer_server_parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES)) == NULL)
        return NULL;
      members = json_object_get_members (body);
      for (GList *l = members; l != NULL; l = l->next)
        if (strcmp (l->data, "doc_ids") != 0)
          {
            g_autofree char *reason = g_strdup_printf ("Meridian's _changes does not take %s in the body",
                                                       (const char *) l->data);

            _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", reason);
            return NULL;
          }
      if (json_object_has_member (body, "doc_ids"))
        {
          if (ids_text != NULL)
            {
              _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                         "doc_ids is given both in the query and in the body");
              return NULL;
            }
          ids_node = json_node_copy (json_object_get_member (body, "doc_ids"));
        }
    }
  if (ids_node == NULL && ids_text != NULL)
    {
      if (mer_validate_json_text (ids_text, strlen (ids_text), 2, NULL))
        ids_node = mer_json_parse (ids_text, -1, NULL);
      if (ids_node == NULL)
        ids_node = json_node_new (JSON_NODE_NULL);
    }

  if (name == NULL)
    {
      /* CouchDB ignores doc_ids without the filter; that would be a silently different feed. */
      if (ids_node != NULL)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     "doc_ids is given without filter=_doc_ids");
          return NULL;
        }
      *ok = TRUE;
      return NULL;
    }
  filter = g_new0 (Filter, 1);
  if (strcmp (name, "_doc_ids") == 0)
    {
      filter->doc_ids = doc_ids_from (ids_node);
      if (filter->doc_ids == NULL)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     "`doc_ids` filter parameter is not a list of doc ids.");
          return NULL;
        }
    }
  else if (strcmp (name, "_design") != 0)
    {
      g_autofree char *reason = NULL;

      if (name[0] == '_' && strcmp (name, "_selector") != 0 && strcmp (name, "_view") != 0)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "unknown builtin filter name");
          return NULL;
        }
      reason = g_strdup_printf ("Meridian does not filter the changes feed with %s: it serves _doc_ids and _design only",
                                name);
      _mer_server_respond_error (resp, SOUP_STATUS_NOT_IMPLEMENTED, "not_implemented", reason);
      return NULL;
    }
  *ok = TRUE;
  return g_steal_pointer (&filter);
}

void
_mer_server_handle_changes (MerServer *self,
                Request   *req,
                Response  *resp)
{
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  const char *feed = _mer_server_query_get (req, "feed");
  const char *style = _mer_server_query_get (req, "style");
  const char *since_text = _mer_server_query_get (req, "since");
  const char *heartbeat_text = _mer_server_query_get (req, "heartbeat");
  gboolean include_docs = FALSE;
  gboolean longpoll, continuous, filter_ok;
  g_autoptr(Filter) filter = NULL;
  gint64 since = 0, limit = 0, timeout_ms = -1, heartbeat_ms = 0, last_seq = 0;

  if (!_mer_server_is_get (req) && !_mer_server_method_is (req, "POST"))
    {
      _mer_server_respond_method_not_allowed (resp, "GET,HEAD,POST");
      return;
    }
  filter = parse_filter (req, resp, &filter_ok);
  if (!filter_ok)
    return;
  if (feed == NULL)
    feed = "normal";
  if (strcmp (feed, "normal") != 0 && strcmp (feed, "longpoll") != 0
      && strcmp (feed, "continuous") != 0)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "feed must be normal, longpoll or continuous");
      return;
    }
  if (style != NULL && strcmp (style, "all_docs") != 0 && strcmp (style, "main_only") != 0)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "style must be main_only or all_docs");
      return;
    }
  if (since_text != NULL && strcmp (since_text, "now") == 0)
    since = mer_store_get_update_seq (self->store);
  else if (since_text != NULL && !_mer_server_parse_count (since_text, &since))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "since must be a sequence number or now");
      return;
    }
  if (!_mer_server_query_count (req, resp, "limit", &limit) || !_mer_server_query_count (req, resp, "timeout", &timeout_ms)
      || !_mer_server_query_bool (req, resp, "include_docs", &include_docs))
    return;
  if (heartbeat_text != NULL && strcmp (heartbeat_text, "true") == 0)
    heartbeat_ms = DEFAULT_TIMEOUT_MS;
  else if (!_mer_server_query_count (req, resp, "heartbeat", &heartbeat_ms))
    return;
  if (_mer_server_query_get (req, "limit") != NULL && limit == 0)
    limit = 1;  /* as CouchDB does */

  rows = read_changes (self, filter, since, limit, g_strcmp0 (style, "all_docs") == 0,
                       include_docs, &last_seq, &error);
  if (rows == NULL)
    {
      _mer_server_respond_gerror (resp, error);
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
      start_feed (self, req, resp, rows, g_steal_pointer (&filter), continuous ? last_seq : since, limit,
                  g_strcmp0 (style, "all_docs") == 0, include_docs, continuous,
                  heartbeat_ms, timeout_ms);
      return;
    }
  _mer_server_respond_json (resp, SOUP_STATUS_OK, changes_body (self, rows, last_seq, limit));
}

/* Lets go of every paused feed (the server is going away). */
void
_mer_server_stop_feeds (MerServer *self)
{
  while (self->waiters->len > 0)
    waiter_free (self->waiters->pdata[0]);
}

