/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A connection's stream as libsoup reads it: the socket's (or the TLS
 * connection's), with one difference that lets libsoup 3.2 release a
 * kept-alive connection its client closed between two requests.
 *
 * After a response on a kept-alive connection, libsoup 3.2 waits for the
 * next request with a message nobody has been told about yet; it is told
 * when the first byte of that request arrives. When the client closes
 * instead, no byte arrives, the message ends silently and the connection
 * is never closed: its socket stays in CLOSE-WAIT for the life of the
 * server. So while a connection is between two requests ("idle"), the end
 * of its input is read as one byte and then the end: libsoup sees a request
 * begin and break off, and closes the connection as it does for any
 * request cut short.
 */

#include "config.h"

#include "mer-server-private.h"

#define MER_TYPE_SERVER_INPUT (mer_server_input_get_type ())
G_DECLARE_FINAL_TYPE (MerServerInput, mer_server_input, MER, SERVER_INPUT, GInputStream)

struct _MerServerInput
{
  GInputStream parent_instance;

  GInputStream *base;
  gboolean idle; /* between two requests */
};

static void mer_server_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MerServerInput, mer_server_input, G_TYPE_INPUT_STREAM, G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM, mer_server_input_pollable_init))

/*
 * What a read of @count bytes into @buffer returns, given that the base
 * stream returned @n: while idle, its end (or a reset) becomes one byte.
 */
static gssize
after_read (MerServerInput *self,
            gssize n,
            void *buffer,
            gsize count,
            GError **error)
{
  if (n > 0 || !self->idle || count == 0
      || (n < 0 && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
    return n;
  g_clear_error (error);
  self->idle = FALSE;
  ((char *) buffer)[0] = '\n';
  return 1;
}

static gssize
mer_server_input_read (GInputStream *stream,
                       void *buffer,
                       gsize count,
                       GCancellable *cancellable,
                       GError **error)
{
  MerServerInput *self = MER_SERVER_INPUT (stream);
  GError *local_error = NULL;
  gssize n = g_input_stream_read (self->base, buffer, count, cancellable, &local_error);

  n = after_read (self, n, buffer, count, &local_error);
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return n;
}

static gboolean
mer_server_input_close (GInputStream *stream,
                        GCancellable *cancellable,
                        GError **error)
{
  return g_input_stream_close (MER_SERVER_INPUT (stream)->base, cancellable, error);
}

static gssize
mer_server_input_read_nonblocking (GPollableInputStream *stream,
                                   void *buffer,
                                   gsize count,
                                   GError **error)
{
  MerServerInput *self = MER_SERVER_INPUT (stream);
  GError *local_error = NULL;
  gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base), buffer, count,
                                                       NULL, &local_error);

  n = after_read (self, n, buffer, count, &local_error);
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return n;
}

static gboolean
mer_server_input_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (MER_SERVER_INPUT (stream)->base));
}

static GSource *
mer_server_input_create_source (GPollableInputStream *stream,
                                GCancellable *cancellable)
{
  MerServerInput *self = MER_SERVER_INPUT (stream);
  g_autoptr (GSource) base = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), cancellable);

  return g_pollable_source_new_full (self, base, cancellable);
}

static gboolean
mer_server_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static void
mer_server_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = mer_server_input_can_poll;
  iface->is_readable = mer_server_input_is_readable;
  iface->create_source = mer_server_input_create_source;
  iface->read_nonblocking = mer_server_input_read_nonblocking;
}

static void
mer_server_input_finalize (GObject *object)
{
  MerServerInput *self = MER_SERVER_INPUT (object);

  g_clear_object (&self->base);
  G_OBJECT_CLASS (mer_server_input_parent_class)->finalize (object);
}

static void
mer_server_input_class_init (MerServerInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = mer_server_input_finalize;
  input_class->read_fn = mer_server_input_read;
  input_class->close_fn = mer_server_input_close;
}

static void
mer_server_input_init (MerServerInput *self)
{
}

/* The connection ------------------------------------------------------------ */

#define MER_TYPE_SERVER_STREAM (mer_server_stream_get_type ())
G_DECLARE_FINAL_TYPE (MerServerStream, mer_server_stream, MER, SERVER_STREAM, GIOStream)

struct _MerServerStream
{
  GIOStream parent_instance;

  GIOStream *base;
  MerServerInput *input;
};

G_DEFINE_FINAL_TYPE (MerServerStream, mer_server_stream, G_TYPE_IO_STREAM)

static GInputStream *
mer_server_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (MER_SERVER_STREAM (stream)->input);
}

static GOutputStream *
mer_server_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (MER_SERVER_STREAM (stream)->base);
}

static gboolean
mer_server_stream_close (GIOStream *stream,
                         GCancellable *cancellable,
                         GError **error)
{
  return g_io_stream_close (MER_SERVER_STREAM (stream)->base, cancellable, error);
}

static void
mer_server_stream_finalize (GObject *object)
{
  MerServerStream *self = MER_SERVER_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (mer_server_stream_parent_class)->finalize (object);
}

static void
mer_server_stream_class_init (MerServerStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = mer_server_stream_finalize;
  stream_class->get_input_stream = mer_server_stream_get_input_stream;
  stream_class->get_output_stream = mer_server_stream_get_output_stream;
  stream_class->close_fn = mer_server_stream_close;
}

static void
mer_server_stream_init (MerServerStream *self)
{
}

/* Wraps @base, a connected socket or TLS connection, for libsoup. */
GIOStream *
_mer_server_stream_new (GIOStream *base)
{
  MerServerStream *self = g_object_new (MER_TYPE_SERVER_STREAM, NULL);

  self->base = g_object_ref (base);
  self->input = g_object_new (MER_TYPE_SERVER_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  return G_IO_STREAM (self);
}

/* Marks @stream as between two requests (@idle) or inside one. */
void
_mer_server_stream_set_idle (GIOStream *stream,
                             gboolean idle)
{
  g_return_if_fail (MER_IS_SERVER_STREAM (stream));

  MER_SERVER_STREAM (stream)->input->idle = idle;
}
