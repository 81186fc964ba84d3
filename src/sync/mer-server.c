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
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  MerRole role;

  if (mer_accounts_count (self->accounts) == 0)
    {
      if (is_loopback_peer (msg) && is_loopback_host (soup_message_headers_get_one (headers, "Host")))
        return MER_ROLE_RW;
      return MER_ROLE_NONE;
    }

  if (!mer_accounts_parse_basic (soup_message_headers_get_one (headers, "Authorization"), &name, &password))
    return MER_ROLE_NONE;
  role = mer_accounts_verify (self->accounts, name, password);
  memset (password, 0, strlen (password));
  return role;
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
  char *text = _mer_server_response_text (resp);

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
      _mer_server_respond_error (&resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                     "The request entity is too large");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      send_response (msg, &resp);
      _mer_server_response_clear (&resp);
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
    _mer_server_respond_error (&resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", "The request entity is too large");
  else if (!is_public (msg, raw_path)
           && (req.role = authenticate (self, msg)) == MER_ROLE_NONE)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Basic realm=\"meridian\"");
      _mer_server_respond_error (&resp, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                     soup_message_headers_get_one (headers, "Authorization") != NULL
                     ? "Name or password is incorrect." : "Authentication required.");
    }
  else if ((segments = _mer_server_split_path (raw_path, &req.n_segments)) == NULL)
    _mer_server_respond_error (&resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid path");
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
  _mer_server_response_clear (&resp);
}

/* The object ---------------------------------------------------------------------- */

static void
mer_server_dispose (GObject *object)
{
  MerServer *self = MER_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  _mer_server_stop_feeds (self);
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
