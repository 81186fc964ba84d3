/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer server object and its HTTP side: listening, TLS, credentials,
 * CORS and size limits; requests then go to the router.
 */

#include "config.h"

#include "mer-server-private.h"
#include "mer-json.h"
#include "mer-validate.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (MerServer, mer_server, G_TYPE_OBJECT)

/*
 * The changes feed (mer-server-feed.c) answers with the helpers of the
 * router (mer-server-requests.c), so its route is taken here, above both,
 * before any other.
 */
static void
route (MerServer *self,
       Request   *req,
       Response  *resp)
{
  if (req->n_segments == 2 && strcmp (req->segments[0], mer_store_get_name (self->store)) == 0
      && strcmp (req->segments[1], "_changes") == 0)
    _mer_server_handle_changes (self, req, resp);
  else
    _mer_server_route (self, req, resp);
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
  segments = _mer_server_split_path (path, &req.n_segments);
  if (segments == NULL)
    _mer_server_respond_error (&resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid path");
  else
    {
      req.segments = segments;
      route (self, &req, &resp);
    }

  status = resp.status;
  if (out_body != NULL)
    *out_body = _mer_server_response_text (&resp);
  _mer_server_response_clear (&resp);
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
 * Who is asking. With accounts, HTTP Basic credentials decide, or without
 * them a session cookie from /_session (mer-server-session.c). Without any
 * account, only this machine is served: the peer must be on a loopback
 * address and the Host header must name one, so that a web page in a
 * browser cannot reach the server through DNS rebinding.
 */
MerRole
_mer_server_authenticate (MerServer          *self,
                          SoupServerMessage  *msg,
                          char              **out_account)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  MerRole role;

  if (mer_accounts_count (self->accounts) == 0)
    {
      if (is_loopback_peer (msg) && is_loopback_host (soup_message_headers_get_one (headers, "Host")))
        return MER_ROLE_RW;
      return MER_ROLE_NONE;
    }

  if (soup_message_headers_get_one (headers, "Authorization") == NULL)
    role = _mer_server_session_authenticate (self, msg, out_account);
  else if (!mer_accounts_parse_basic (soup_message_headers_get_one (headers, "Authorization"), &name, &password))
    return MER_ROLE_NONE;
  else
    {
      role = mer_accounts_verify (self->accounts, name, password);
      memset (password, 0, strlen (password));
      if (role != MER_ROLE_NONE)
        *out_account = g_steal_pointer (&name);
    }
  if (role != MER_ROLE_NONE && *out_account != NULL)
    mer_accounts_note_seen (self->accounts, *out_account);
  return role;
}

/*
 * Browsers may use the server only from the origins listed with
 * mer_server_add_cors_origin(), and only when it asks for credentials:
 * without accounts it trusts whoever is on this machine, which a web page
 * must not borrow.
 */
static gboolean
origin_is_allowed (MerServer  *self,
                   const char *origin)
{
  if (origin == NULL || mer_accounts_count (self->accounts) == 0)
    return FALSE;
  for (guint i = 0; i < self->cors_origins->len; i++)
    if (g_ascii_strcasecmp (origin, g_ptr_array_index (self->cors_origins, i)) == 0)
      return TRUE;
  return FALSE;
}

static void
add_cors_headers (MerServer         *self,
                  SoupServerMessage *msg,
                  gboolean           preflight)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  /* The answer depends on the origin, so caches must keep them apart. */
  if (origin != NULL && self->cors_origins->len > 0)
    soup_message_headers_append (response, "Vary", "Origin");
  if (!origin_is_allowed (self, origin))
    return;
  soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
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

/*
 * An attachment's bytes, handed to libsoup without a copy, and never as
 * something a browser would run (see mer-server-attachments.c).
 */
static void
send_raw (SoupServerMessage *msg,
          Response          *resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy", "sandbox");
  if (resp->raw_active)
    soup_message_headers_replace (headers, "Content-Disposition", "attachment");
  soup_message_headers_set_content_type (headers, resp->raw_type != NULL ? resp->raw_type : "application/octet-stream", NULL);
  if (strcmp (soup_server_message_get_method (msg), "HEAD") == 0)
    {
      /* No body, but the length a GET would send. */
      soup_message_headers_set_content_length (headers, resp->raw_length);
      return;
    }
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), resp->raw);
}

static void
send_response (SoupServerMessage *msg,
               Response          *resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *text;

  soup_message_headers_replace (headers, "Cache-Control", "must-revalidate");
  if (resp->etag != NULL)
    soup_message_headers_replace (headers, "ETag", resp->etag);
  if (resp->allow != NULL)
    soup_message_headers_replace (headers, "Allow", resp->allow);
  soup_server_message_set_status (msg, resp->status, NULL);
  if (resp->raw != NULL)
    {
      send_raw (msg, resp);
      return;
    }
  text = _mer_server_response_text (resp);
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
  gsize limit = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), LIMIT_KEY));

  GByteArray *att_body = g_object_get_data (G_OBJECT (msg), ATT_BODY_KEY);

  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "mer-server-received", GSIZE_TO_POINTER (total));
  if (total > (limit > 0 ? limit : MER_SERVER_MAX_REQUEST_BYTES)
      && g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) == NULL)
    {
      g_object_set_data (G_OBJECT (msg), TOO_LARGE_KEY, GINT_TO_POINTER (1));
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
      g_object_set_data (G_OBJECT (msg), ATT_BODY_KEY, NULL);
      return;
    }
  /* An attachment's bytes go into one buffer as they come: held once,
   * never joined from chunks into a second copy. */
  if (att_body != NULL)
    g_byte_array_append (att_body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
}

/* Early refusals --------------------------------------------------------------- */

#define LINGER_MS          2000
#define LINGER_MAX_BYTES   (1024 * 1024)
#define DRAIN_MS           (120 * 1000)

/*
 * A connection taken from libsoup to answer a request without reading its
 * body: the answer is written, our side shut for writing, and what the
 * client still sends is read and dropped, never kept, before the socket
 * closes. Closing with unread bytes would send a reset, and a client that
 * reads only once it has sent everything would lose the answer. A stranger
 * gets a moment (LINGER_MS, LINGER_MAX_BYTES); an account its whole
 * declared body, so that its client reads the 413.
 */
typedef struct
{
  GIOStream    *stream;
  GSocket      *socket;       /* to shut down writing; NULL if unknown */
  GBytes       *answer;
  GCancellable *cancellable;
  guint         timeout_id;
  goffset       drained;
  goffset       drain_limit;  /* bytes read and dropped at most */
  guint8        buffer[16384];
} Refusal;

static void
refusal_finish (Refusal *refusal)
{
  g_clear_handle_id (&refusal->timeout_id, g_source_remove);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_clear_object (&refusal->socket);
  g_bytes_unref (refusal->answer);
  g_object_unref (refusal->cancellable);
  g_free (refusal);
}

static gboolean
refusal_timeout_cb (gpointer data)
{
  Refusal *refusal = data;

  refusal->timeout_id = 0;
  g_cancellable_cancel (refusal->cancellable);
  return G_SOURCE_REMOVE;
}

static void
refusal_drained_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  Refusal *refusal = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || (refusal->drained += n) >= refusal->drain_limit
      || g_cancellable_is_cancelled (refusal->cancellable))
    {
      refusal_finish (refusal);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), refusal->buffer, sizeof refusal->buffer,
                             G_PRIORITY_LOW, refusal->cancellable, refusal_drained_cb, refusal);
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  Refusal *refusal = data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL)
      || refusal->socket == NULL || !g_socket_shutdown (refusal->socket, FALSE, TRUE, NULL))
    {
      refusal_finish (refusal);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream), refusal->buffer,
                             sizeof refusal->buffer, G_PRIORITY_LOW, refusal->cancellable,
                             refusal_drained_cb, refusal);
}

/* The response set on @msg, as bytes on the wire. */
static GBytes *
serialize_response (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  GString *out = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint status = soup_server_message_get_status (msg);

  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Length") != 0 && g_ascii_strcasecmp (name, "Connection") != 0)
      g_string_append_printf (out, "%s: %s\r\n", name, value);
  g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                          g_bytes_get_size (body));
  g_string_append_len (out, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_string_free_to_bytes (out);
}

/* Whether a body follows the headers, which libsoup would read before answering. */
static gboolean
has_body (SoupMessageHeaders *headers)
{
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_NONE:
      return FALSE;
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (headers) != 0;
    default:
      return TRUE;
    }
}

/*
 * Answers @resp at once, from the early handler, and closes the
 * connection. Without a body libsoup writes the answer itself and skips the
 * handler. With one, libsoup 3.2 would read the whole body first, so the
 * connection is taken from it and the answer written here.
 */
static void
refuse_early (MerServer         *self,
              SoupServerMessage *msg,
              Response          *resp,
              gboolean           body_unknown,
              gboolean           drain_body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  Refusal *refusal;
  GIOStream *stream;
  gboolean drain = drain_body && !body_unknown
                   && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH;

  add_cors_headers (self, msg, FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  send_response (msg, resp);
  if (!body_unknown && !has_body (headers))
    return;

  refusal = g_new0 (Refusal, 1);
  refusal->answer = serialize_response (msg);
  refusal->socket = _mer_server_socket_of (msg);
  if (refusal->socket != NULL)
    g_object_ref (refusal->socket);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    {
      g_clear_object (&refusal->socket);
      g_bytes_unref (refusal->answer);
      g_free (refusal);
      return;
    }
  refusal->stream = stream;
  refusal->cancellable = g_cancellable_new ();
  refusal->drain_limit = drain ? soup_message_headers_get_content_length (headers) : LINGER_MAX_BYTES;
  refusal->timeout_id = g_timeout_add (drain ? DRAIN_MS : LINGER_MS, refusal_timeout_cb, refusal);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                   g_bytes_get_data (refusal->answer, NULL),
                                   g_bytes_get_size (refusal->answer), G_PRIORITY_DEFAULT,
                                   refusal->cancellable, refusal_written_cb, refusal);
}

/*
 * Each Content-Length must be digits only, and all of them the same: libsoup
 * reads "-1" as a length it never reaches and would wait for ever.
 */
static gboolean
content_length_is_valid (SoupMessageHeaders *headers)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autofree char *first = NULL;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *trimmed = NULL;

      if (g_ascii_strcasecmp (name, "Content-Length") != 0)
        continue;
      trimmed = g_strstrip (g_strdup (value));
      if (trimmed[0] == '\0' || strlen (trimmed) > 18 || strspn (trimmed, "0123456789") != strlen (trimmed)
          || (first != NULL && strcmp (first, trimmed) != 0))
        return FALSE;
      if (first == NULL)
        first = g_steal_pointer (&trimmed);
    }
  return TRUE;
}

static gboolean
is_public (SoupServerMessage *msg,
           const char        *raw_path)
{
  const char *method = soup_server_message_get_method (msg);

  /* /_session authenticates by itself: it is where credentials are given. */
  if (_mer_server_path_is (raw_path, "_session"))
    return TRUE;
  return _mer_server_path_is (raw_path, NULL) && (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0);
}

static void
respond_unauthorized (SoupServerMessage *msg,
                      Response          *resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Basic realm=\"meridian\"");
  _mer_server_respond_error (resp, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                             soup_message_headers_get_one (headers, "Authorization") != NULL
                             ? "Name or password is incorrect." : "Authentication required.");
}

/*
 * Runs once the headers are in, before libsoup reads the body: whoever may
 * not ask, or asks with a body over the limit or a length that is no
 * number, is answered here and the body is never read. So an anonymous
 * client cannot make the server hold its upload.
 */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  MerServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *raw_path = g_uri_get_path (soup_server_message_get_uri (msg));
  const char *method = soup_server_message_get_method (msg);
  MerRole role = MER_ROLE_NONE;
  Response resp = { 0 };
  goffset limit = MER_SERVER_MAX_REQUEST_BYTES;

  if (!content_length_is_valid (headers))
    {
      _mer_server_respond_error (&resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid Content-Length");
      refuse_early (self, msg, &resp, TRUE, FALSE);
      goto out;
    }

  if (_mer_server_is_session_login (msg, raw_path))
    {
      /* Anyone may log in, with a small body only. */
      limit = _mer_server_session_max_body ();
      g_object_set_data (G_OBJECT (msg), LIMIT_KEY, GSIZE_TO_POINTER (limit));
    }
  else if (strcmp (method, "OPTIONS") == 0 || is_public (msg, raw_path))
    {
      /* None of these reads a body: don't keep one. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }
  else
    {
      g_autofree char *account = NULL;

      role = _mer_server_authenticate (self, msg, &account);
      if (role == MER_ROLE_NONE)
        {
          respond_unauthorized (msg, &resp);
          refuse_early (self, msg, &resp, FALSE, FALSE);
          goto out;
        }
      gboolean is_attachment = FALSE;

      g_object_set_data (G_OBJECT (msg), ROLE_KEY, GINT_TO_POINTER (role + 1));
      g_object_set_data_full (G_OBJECT (msg), ACCOUNT_KEY, g_steal_pointer (&account), g_free);
      /* Bodies may carry attachments: an attachment's own limit for its
       * bytes, room for them in base64 for JSON. */
      limit = (goffset) _mer_server_body_limit (self, method, raw_path, &is_attachment);
      g_object_set_data (G_OBJECT (msg), LIMIT_KEY, GSIZE_TO_POINTER ((gsize) limit));
      if (is_attachment
          && !(soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
               && soup_message_headers_get_content_length (headers) > limit))
        {
          goffset expected = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                             ? soup_message_headers_get_content_length (headers) : 0;

          soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
          g_object_set_data_full (G_OBJECT (msg), ATT_BODY_KEY, g_byte_array_sized_new ((guint) expected),
                                  (GDestroyNotify) g_byte_array_unref);
        }
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > limit)
    {
      _mer_server_respond_error (&resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                 "The request entity is too large");
      refuse_early (self, msg, &resp, FALSE, role != MER_ROLE_NONE);
      goto out;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);

out:
  _mer_server_response_clear (&resp);
}

/* A connection is inside a request from its first byte to its answer; see mer-server-stream.c. */
static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  _mer_server_set_idle (msg, FALSE);
}

/*
 * "METHOD path status" of every request answered, at debug level
 * (G_MESSAGES_DEBUG=meridian-sync shows them): what a replicator on the
 * other end asked and was told, without a packet capture.
 */
static void
log_request (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = uri != NULL ? g_uri_get_query (uri) : NULL;

  /* A connection closed between two requests ends one that never began. */
  if (method == NULL || uri == NULL)
    return;
  g_debug ("%s %s%s%s %u", method, g_uri_get_path (uri), query != NULL ? "?" : "", query != NULL ? query : "",
           soup_server_message_get_status (msg));
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  _mer_server_set_idle (msg, TRUE);
  log_request (msg);
}

#define INFLATE_CHUNK (64 * 1024)

/*
 * A body sent with "Content-Encoding: gzip" (CouchDB takes them, and the
 * Cloudant SDK sends them), inflated under the same limit as any body: a
 * small bomb stops at MER_SERVER_MAX_REQUEST_BYTES, and the endpoint's own
 * limit (a document's) applies to what it inflates to. Returns NULL with
 * @resp set when the body cannot be taken.
 */
static GBytes *
decode_body (SoupMessageHeaders *headers,
             GBytes             *bytes,
             Response           *resp)
{
  const char *encoding = soup_message_headers_get_list (headers, "Content-Encoding");
  g_autofree char *name = NULL;
  g_autoptr(GConverter) inflater = NULL;
  g_autoptr(GByteArray) out = NULL;
  const guint8 *in;
  gsize in_length, in_done = 0;

  /* A public request's body was never kept: nothing to inflate. */
  if (encoding == NULL || g_bytes_get_size (bytes) == 0)
    return g_bytes_ref (bytes);
  name = g_strstrip (g_ascii_strdown (encoding, -1));
  if (strcmp (name, "identity") == 0)
    return g_bytes_ref (bytes);
  if (strcmp (name, "gzip") != 0)
    {
      g_autofree char *reason = g_strdup_printf ("%s is not a supported content encoding.", encoding);

      _mer_server_respond_error (resp, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "bad_content_type", reason);
      return NULL;
    }

  inflater = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  out = g_byte_array_new ();
  in = g_bytes_get_data (bytes, &in_length);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize read = 0, written = 0;
      guint old_length = out->len;
      GConverterResult result;

      if (out->len > MER_SERVER_MAX_REQUEST_BYTES)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                     "The request entity is too large");
          return NULL;
        }
      g_byte_array_set_size (out, old_length + INFLATE_CHUNK);
      result = g_converter_convert (inflater, in + in_done, in_length - in_done, out->data + old_length,
                                    INFLATE_CHUNK, G_CONVERTER_INPUT_AT_END, &read, &written, &error);
      g_byte_array_set_size (out, old_length + written);
      in_done += read;
      if (result == G_CONVERTER_ERROR)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     "Request body is not properly gzipped.");
          return NULL;
        }
      if (result == G_CONVERTER_FINISHED)
        break;
    }
  /* Anything after the gzip stream is not part of a body we understood. */
  if (in_done != in_length)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 "Request body is not properly gzipped.");
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
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
  g_autoptr(GBytes) decoded = NULL;
  g_auto(GStrv) segments = NULL;
  const char *raw_path = g_uri_get_path (soup_server_message_get_uri (msg));
  const char *method = soup_server_message_get_method (msg);
  Request req = { 0 };
  Response resp = { 0 };
  int stored_role;

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
  if (g_object_get_data (G_OBJECT (msg), SET_COOKIE_KEY) != NULL)
    soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                                 g_object_get_data (G_OBJECT (msg), SET_COOKIE_KEY));

  /* The early handler has authenticated everything but the public requests. */
  stored_role = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (msg), ROLE_KEY));
  req.role = stored_role > 0 ? (MerRole) (stored_role - 1) : MER_ROLE_NONE;
  req.account = g_object_get_data (G_OBJECT (msg), ACCOUNT_KEY);

  if (g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) != NULL)
    _mer_server_respond_error (&resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", "The request entity is too large");
  else if (!is_public (msg, raw_path) && req.role == MER_ROLE_NONE)
    respond_unauthorized (msg, &resp);
  else if ((segments = _mer_server_split_path (raw_path, &req.n_segments)) == NULL)
    _mer_server_respond_error (&resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid path");
  else
    {
      /* Public requests read no body, and none was kept. */
      GByteArray *att_body = g_object_steal_data (G_OBJECT (msg), ATT_BODY_KEY);

      if (att_body != NULL)
        bytes = g_byte_array_free_to_bytes (att_body);
      else
        bytes = soup_message_body_get_accumulate (body) ? soup_message_body_flatten (body) : g_bytes_new (NULL, 0);
      decoded = decode_body (headers, bytes, &resp);
    }
  if (decoded != NULL)
    {
      req.method = method;
      req.segments = segments;
      req.query = query;
      req.content_type = soup_message_headers_get_content_type (headers, NULL);
      req.body = g_bytes_get_data (decoded, &req.length);
      req.msg = msg;
      route (self, &req, &resp);
    }

  if (!resp.paused)
    send_response (msg, &resp);
  _mer_server_response_clear (&resp);
}

/* The object ---------------------------------------------------------------------- */

static void
mer_server_dispose (GObject *object)
{
  MerServer *self = MER_SERVER (object);

  _mer_server_stop_listening (self);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  _mer_server_stop_feeds (self);
  g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_object (&self->soup);
  g_clear_object (&self->store);
  g_clear_object (&self->accounts);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (mer_server_parent_class)->dispose (object);
}

static void
mer_server_finalize (GObject *object)
{
  MerServer *self = MER_SERVER (object);

  g_ptr_array_unref (self->waiters);
  g_ptr_array_unref (self->cors_origins);
  g_ptr_array_unref (self->listeners);
  g_object_unref (self->cancellable);
  _mer_server_session_clear (self);
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
  self->cors_origins = g_ptr_array_new_with_free_func (g_free);
  self->listeners = g_ptr_array_new_with_free_func (_mer_server_listener_free);
  self->cancellable = g_cancellable_new ();
  _mer_server_session_init (self);
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
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (_mer_server_store_changed_cb), self);
  return self;
}

/*
 * Lets web pages from @origin (e.g. "https://app.example.org") use the
 * server with the credentials of their user, as CouchDB's [cors] origins
 * does. No origin is allowed by default, and "*" never is: with
 * credentials it would hand every site the user's account.
 */
gboolean
mer_server_add_cors_origin (MerServer   *self,
                            const char  *origin,
                            GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  const char *path;
  int port;

  g_return_val_if_fail (MER_IS_SERVER (self), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    goto bad;
  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  path = g_uri_get_path (uri);
  if ((strcmp (scheme, "http") != 0 && strcmp (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL || (path[0] != '\0' && strcmp (path, "/") != 0))
    goto bad;

  /* As browsers write the Origin header: lower case, no default port. */
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);
  if ((port == 80 && strcmp (scheme, "http") == 0) || (port == 443 && strcmp (scheme, "https") == 0))
    port = -1;
  if (strchr (host, ':') != NULL)
    {
      char *bracketed = g_strconcat ("[", host, "]", NULL);

      g_free (host);
      host = bracketed;
    }
  if (port > 0)
    g_ptr_array_add (self->cors_origins, g_strdup_printf ("%s://%s:%d", scheme, host, port));
  else
    g_ptr_array_add (self->cors_origins, g_strdup_printf ("%s://%s", scheme, host));
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a web origin (expected SCHEME://HOST[:PORT], e.g. https://app.example.org)"),
               origin);
  return FALSE;
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
      g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), NULL);
      g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), NULL);
      soup_server_add_handler (self->soup, NULL, handler_cb, self, NULL);
      if (!_mer_server_anchor_keep_alive (self, error))
        {
          g_clear_object (&self->soup);
          return FALSE;
        }
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_object_unref (self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  if (certificate != NULL)
    g_set_object (&self->certificate, certificate);

  socket_address = g_inet_socket_address_new (inet, port);
  if (!_mer_server_listen_on (self, socket_address, error))
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

  _mer_server_stop_listening (self);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}

guint16
mer_server_get_port (MerServer *self)
{
  g_autoptr(GInetSocketAddress) bound = NULL;

  g_return_val_if_fail (MER_IS_SERVER (self), 0);

  bound = _mer_server_get_bound_address (self);
  return bound != NULL ? g_inet_socket_address_get_port (bound) : 0;
}

/* The database URL a peer replicates with, e.g. http://127.0.0.1:5984/handbook. */
char *
mer_server_get_url (MerServer *self)
{
  g_autoptr(GInetSocketAddress) bound = NULL;
  g_autofree char *name = NULL;
  g_autofree char *host = NULL;
  gboolean v6;

  g_return_val_if_fail (MER_IS_SERVER (self), NULL);

  bound = _mer_server_get_bound_address (self);
  if (bound == NULL)
    return NULL;
  name = g_uri_escape_string (mer_store_get_name (self->store), NULL, FALSE);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (bound));
  v6 = strchr (host, ':') != NULL;
  return g_strdup_printf ("%s://%s%s%s:%u/%s", self->certificate != NULL ? "https" : "http",
                          v6 ? "[" : "", host, v6 ? "]" : "",
                          g_inet_socket_address_get_port (bound), name);
}
