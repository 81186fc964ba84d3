/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer server's listening sockets: accepting connections and handing
 * them to libsoup. libsoup 3.2's own listener gives up for good the first
 * time accept() fails, e.g. when the process is out of file descriptors
 * for a moment, and the server then never answers again. Here a failed
 * accept() only pauses accepting briefly.
 */

#include "config.h"

#include "mer-server-private.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <errno.h>
#include <unistd.h>

#define LISTEN_BACKLOG   128
#define ACCEPT_RETRY_MS  100
#define TLS_HANDSHAKE_MS (30 * 1000)

typedef struct
{
  MerServer *server; /* not owned: the server owns the listener */
  GSocket *socket;
  GSource *source; /* while accepting */
  guint retry_id;  /* while paused after a failed accept() */
} Listener;

typedef struct
{
  SoupServer *soup;
  GTlsConnection *tls;
  GSocketAddress *local;
  GSocketAddress *remote;
  GCancellable *cancellable;
  guint timeout_id;
} Handshake;

static gboolean accept_cb (GSocket *socket,
                           GIOCondition condition,
                           gpointer data);

static void
listener_watch (Listener *listener)
{
  listener->source = g_socket_create_source (listener->socket, G_IO_IN, NULL);
  g_source_set_callback (listener->source, (GSourceFunc) (GCallback) accept_cb, listener, NULL);
  g_source_attach (listener->source, g_main_context_get_thread_default ());
}

static void
listener_free (Listener *listener)
{
  if (listener->source != NULL)
    {
      g_source_destroy (listener->source);
      g_source_unref (listener->source);
    }
  g_clear_handle_id (&listener->retry_id, g_source_remove);
  g_socket_close (listener->socket, NULL);
  g_object_unref (listener->socket);
  g_free (listener);
}

static gboolean
retry_cb (gpointer data)
{
  Listener *listener = data;

  listener->retry_id = 0;
  listener_watch (listener);
  return G_SOURCE_REMOVE;
}

/* Hands a connection to libsoup, ready to see its end between two requests. */
static void
accept_stream (SoupServer *soup,
               GIOStream *base,
               GSocketAddress *local,
               GSocketAddress *remote)
{
  g_autoptr (GIOStream) stream = _mer_server_stream_new (base);

  g_object_set_data_full (G_OBJECT (remote), STREAM_KEY, g_object_ref (stream), g_object_unref);
  soup_server_accept_iostream (soup, stream, local, remote, NULL);
}

static void
handshake_free (Handshake *handshake)
{
  g_clear_handle_id (&handshake->timeout_id, g_source_remove);
  g_object_unref (handshake->soup);
  g_object_unref (handshake->tls);
  g_object_unref (handshake->local);
  g_object_unref (handshake->remote);
  g_object_unref (handshake->cancellable);
  g_free (handshake);
}

static gboolean
handshake_timeout_cb (gpointer data)
{
  Handshake *handshake = data;

  handshake->timeout_id = 0;
  g_cancellable_cancel (handshake->cancellable);
  return G_SOURCE_REMOVE;
}

static void
handshake_done_cb (GObject *source,
                   GAsyncResult *result,
                   gpointer data)
{
  Handshake *handshake = data;

  if (g_tls_connection_handshake_finish (handshake->tls, result, NULL))
    accept_stream (handshake->soup, G_IO_STREAM (handshake->tls), handshake->local, handshake->remote);
  else
    g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
  handshake_free (handshake);
}

/*
 * Gives one accepted connection to libsoup, after the TLS handshake when
 * serving HTTPS. A client that never finishes its handshake is dropped
 * after TLS_HANDSHAKE_MS rather than holding its descriptor.
 */
static void
hand_over (MerServer *self,
           GSocket *client)
{
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (client, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (client, NULL);
  GIOStream *tls;
  Handshake *handshake;

  if (local == NULL || remote == NULL)
    {
      g_socket_close (client, NULL);
      return;
    }
  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  connection = g_socket_connection_factory_create_connection (client);
  /* An early refusal shuts the socket for writing; see _mer_server_socket_of(). */
  g_object_set_data_full (G_OBJECT (remote), SOCKET_KEY, g_object_ref (client), g_object_unref);

  if (self->certificate == NULL)
    {
      accept_stream (self->soup, G_IO_STREAM (connection), local, remote);
      return;
    }

  tls = g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate, NULL);
  if (tls == NULL)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  handshake = g_new0 (Handshake, 1);
  handshake->soup = g_object_ref (self->soup);
  handshake->tls = G_TLS_CONNECTION (tls);
  handshake->local = g_steal_pointer (&local);
  handshake->remote = g_steal_pointer (&remote);
  handshake->cancellable = g_cancellable_new ();
  handshake->timeout_id = g_timeout_add (TLS_HANDSHAKE_MS, handshake_timeout_cb, handshake);
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           handshake->cancellable, G_CONNECT_SWAPPED);
  g_tls_connection_handshake_async (handshake->tls, G_PRIORITY_DEFAULT, handshake->cancellable,
                                    handshake_done_cb, handshake);
}

/*
 * Accepts what is waiting. When accept() fails (out of descriptors, or
 * the system out of memory) accepting pauses for ACCEPT_RETRY_MS: the
 * waiting clients stay queued, and trying again at once would only spin.
 */
static gboolean
accept_cb (GSocket *socket,
           GIOCondition condition,
           gpointer data)
{
  Listener *listener = data;

  for (guint i = 0; i < 32; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) client = g_socket_accept (socket, NULL, &error);

      if (client == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          g_debug ("Pausing accept: %s", error->message);
          g_clear_pointer (&listener->source, g_source_unref);
          listener->retry_id = g_timeout_add (ACCEPT_RETRY_MS, retry_cb, listener);
          return G_SOURCE_REMOVE;
        }
      hand_over (listener->server, client);
    }
  return G_SOURCE_CONTINUE;
}

/*
 * libsoup keeps a connection alive after a response only while the server
 * has a listener of its own (request_finished() in soup-server.c); the
 * connections handed to it here would each be closed after one request,
 * without a word to the client. A listener on one end of a socket pair
 * whose other end is closed at once satisfies that test and never accepts
 * anything.
 */
gboolean
_mer_server_anchor_keep_alive (MerServer *self,
                               GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s", g_strerror (saved));
      return FALSE;
    }
  close (fds[1]);
  socket = g_socket_new_from_fd (fds[0], error);
  if (socket == NULL)
    {
      close (fds[0]);
      return FALSE;
    }
  return soup_server_listen_socket (self->soup, socket, 0, error);
}

/* Marks the connection of @msg as between two requests, or inside one. */
void
_mer_server_set_idle (SoupServerMessage *msg,
                      gboolean idle)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GIOStream *stream = remote != NULL ? g_object_get_data (G_OBJECT (remote), STREAM_KEY) : NULL;

  if (stream != NULL)
    _mer_server_stream_set_idle (stream, idle);
}

/* Binds and listens on @address, then accepts on the thread-default main context. */
gboolean
_mer_server_listen_on (MerServer *self,
                       GSocketAddress *address,
                       GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  Listener *listener;

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;

  listener = g_new0 (Listener, 1);
  listener->server = self;
  listener->socket = g_steal_pointer (&socket);
  listener_watch (listener);
  g_ptr_array_add (self->listeners, listener);
  return TRUE;
}

/* Stops accepting and closes the listening sockets. */
void
_mer_server_stop_listening (MerServer *self)
{
  g_cancellable_cancel (self->cancellable);
  g_ptr_array_set_size (self->listeners, 0);
}

/* Frees a Listener: the free function of MerServer.listeners. */
void
_mer_server_listener_free (gpointer listener)
{
  listener_free (listener);
}

/* Where the first listening socket is bound, or NULL. */
GInetSocketAddress *
_mer_server_get_bound_address (MerServer *self)
{
  Listener *listener;

  if (self->listeners->len == 0)
    return NULL;
  listener = g_ptr_array_index (self->listeners, 0);
  return G_INET_SOCKET_ADDRESS (g_socket_get_local_address (listener->socket, NULL));
}

/* The socket under @msg's connection, which hand_over() tied to its peer's address. */
GSocket *
_mer_server_socket_of (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_data (G_OBJECT (remote), SOCKET_KEY) : NULL;
}
