/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `meridian serve` against hostile peers: thousands of short connections,
 * a low file limit, anonymous uploads it must not read, lengths that are no
 * number, and accounts probing each other's _local documents.
 */
#include "config.h"

#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-server.h"
#include "mer-store.h"
#include "mer-test-util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define RW       "ana:ana-password"
#define RW2      "cy:cy-password"
#define RO       "bo:bo-password"
#define BIG_BODY (60 * 1024 * 1024)

typedef struct
{
  char *dir;
  GSubprocess *process;
  guint16 port;
} Served;

/* A workspace with ana (rw), cy (rw) and bo (ro). */
static char *
make_workspace (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MerAccounts) accounts = NULL;
  g_autoptr (MerStore) store = NULL;
  char *dir = NULL;

  store = mer_test_open_store (&dir);
  accounts = mer_accounts_new (dir);
  g_assert_true (mer_accounts_add (accounts, "ana", "ana-password", MER_ROLE_RW, NULL, &error));
  g_assert_true (mer_accounts_add (accounts, "cy", "cy-password", MER_ROLE_RW, NULL, &error));
  g_assert_true (mer_accounts_add (accounts, "bo", "bo-password", MER_ROLE_RO, NULL, &error));
  g_assert_no_error (error);
  return dir;
}

/* In the child: dies with the test, and opens at most @data files if not 0. */
static void
child_setup_cb (gpointer data)
{
  struct rlimit limit = { GPOINTER_TO_UINT (data), GPOINTER_TO_UINT (data) };

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (limit.rlim_cur > 0)
    setrlimit (RLIMIT_NOFILE, &limit);
}

/* Starts `meridian serve` on a port it picks, under @max_files open files if not 0. */
static void
serve (Served *served,
       guint max_files)
{
  const char *argv[] = { mer_test_meridian_bin (), "--data", served->dir, "serve", "--listen", "127.0.0.1:0", NULL };
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  const char *colon;

  g_subprocess_launcher_set_child_setup (launcher, child_setup_cb, GUINT_TO_POINTER (max_files), NULL);
  served->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (served->process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "http://127.0.0.1:"));
  colon = strrchr (line, ':');
  served->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_cmpuint (served->port, >, 0);
}

static void
stop (Served *served)
{
  g_subprocess_send_signal (served->process, SIGTERM);
  g_assert_true (g_subprocess_wait (served->process, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (served->process));
  g_clear_object (&served->process);
}

static guint
count_open_files (GSubprocess *process)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (process));
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* A line of /proc/PID/status in KiB, e.g. "VmHWM". */
static guint64
status_kib (GSubprocess *process,
            const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (process));
  g_autofree char *text = NULL;
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char *at;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  at = strstr (text, key);
  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (key), NULL, 10);
}

/* Raw HTTP ------------------------------------------------------------------- */

static int
connect_to (guint16 port)
{
  struct sockaddr_in address = { 0 };
  struct timeval timeout = { 10, 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_port = g_htons (port);
  address.sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_error ("connect: %s", g_strerror (errno));
  return fd;
}

static void
send_text (int fd,
           const char *text)
{
  gsize length = strlen (text);

  g_assert_cmpint (send (fd, text, length, MSG_NOSIGNAL), ==, (gssize) length);
}

/*
 * Reads one response: headers, then Content-Length bytes of body, and stops
 * there, so that the client may close first. Returns the whole text, or
 * NULL when the server closed or went quiet before a full response.
 */
static char *
read_response (int fd)
{
  GString *in = g_string_new (NULL);
  char buffer[4096];

  for (;;)
    {
      const char *end = strstr (in->str, "\r\n\r\n");
      gssize n;

      if (end != NULL)
        {
          const char *length = strstr (in->str, "Content-Length: ");
          gsize want = (end - in->str) + 4 + (length != NULL && length < end ? g_ascii_strtoull (length + 16, NULL, 10) : 0);

          if (in->len >= want)
            return g_string_free (in, FALSE);
        }
      n = recv (fd, buffer, sizeof buffer, 0);
      if (n <= 0)
        break;
      g_string_append_len (in, buffer, n);
    }
  g_string_free (in, TRUE);
  return NULL;
}

static guint
status_of (const char *response)
{
  g_assert_nonnull (response);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

/* Whether the server has closed its side: the next read is the end. */
static gboolean
server_closed (int fd)
{
  char byte;

  return recv (fd, &byte, 1, 0) == 0;
}

static char *
request_text (const char *method,
              const char *path,
              const char *credentials,
              const char *extra_headers)
{
  g_autofree char *authorization = NULL;

  if (credentials != NULL)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
      authorization = g_strdup_printf ("Authorization: Basic %s\r\n", encoded);
    }
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n", method, path,
                          authorization != NULL ? authorization : "", extra_headers != NULL ? extra_headers : "");
}

/* One request on a connection of its own; returns the status. */
static guint
one_request (guint16 port,
             const char *method,
             const char *path,
             const char *credentials,
             const char *extra_headers)
{
  g_autofree char *text = request_text (method, path, credentials, extra_headers);
  g_autofree char *response = NULL;
  int fd = connect_to (port);

  send_text (fd, text);
  response = read_response (fd);
  close (fd);
  if (response == NULL)
    g_error ("%s %s: no answer", method, path);
  return status_of (response);
}

/*
 * One short connection of the kinds a server meets: anonymous or not,
 * kept alive or not, closed by the client first, empty or cut short.
 */
/*
 * Two requests on one kept-alive connection, then the client leaves. The
 * server must keep the connection open between them (CouchDB's replicator
 * fails on a server that closes after each answer) and say nothing of
 * closing it.
 */
static void
two_requests (guint16 port)
{
  g_autofree char *text = request_text ("GET", "/handbook", RW, NULL);
  int fd = connect_to (port);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *response = NULL;

      send_text (fd, text);
      response = read_response (fd);
      g_assert_cmpuint (status_of (response), ==, 200);
      g_assert_null (strstr (response, "\r\nConnection: close"));
    }
  close (fd);
}

static void
churn_once (guint16 port,
            guint kind)
{
  switch (kind % 8)
    {
    case 7:
      two_requests (port);
      break;
    case 0:
      g_assert_cmpuint (one_request (port, "GET", "/handbook", NULL, NULL), ==, 401);
      break;
    case 1:
      g_assert_cmpuint (one_request (port, "GET", "/handbook", RW, NULL), ==, 200);
      break;
    case 2:
      g_assert_cmpuint (one_request (port, "GET", "/handbook/_changes", RO, "Connection: close\r\n"), ==, 200);
      break;
    case 3:
      g_assert_cmpuint (one_request (port, "GET", "/", NULL, "Connection: keep-alive\r\n"), ==, 200);
      break;
    case 4:
      /* Anonymous upload announced and never sent. */
      g_assert_cmpuint (one_request (port, "PUT", "/handbook/note:x", NULL,
                                     "Content-Type: application/json\r\nContent-Length: 1000000\r\n"),
                        ==, 401);
      break;
    case 5:
      close (connect_to (port)); /* a port scan: connect and leave */
      break;
    default:
      {
        int fd = connect_to (port);

        send_text (fd, "GET /handbook HTTP/1.1\r\nHost: 127."); /* and leave halfway */
        close (fd);
      }
      break;
    }
}

/* Waits up to ten seconds for the server's open files to fall to @most. */
static guint
wait_open_files (GSubprocess *process,
                 guint most)
{
  guint n = count_open_files (process);

  for (guint i = 0; i < 100 && n > most; i++)
    {
      g_usleep (100 * 1000);
      n = count_open_files (process);
    }
  return n;
}

/* Tests ------------------------------------------------------------------------ */

/*
 * 2,000 short connections leave no socket open: libsoup 3.2 kept every
 * kept-alive connection the client closed (CLOSE-WAIT), one file each.
 */
static void
test_churn (void)
{
  Served served = { make_workspace () };
  guint baseline, after;

  serve (&served, 0);
  for (guint i = 0; i < 8; i++)
    churn_once (served.port, i);
  g_usleep (200 * 1000);
  baseline = count_open_files (served.process);

  for (guint i = 0; i < 2000; i++)
    churn_once (served.port, i);
  after = wait_open_files (served.process, baseline + 3);
  g_test_message ("open files: %u before, %u after 2000 connections", baseline, after);
  g_assert_cmpuint (after, <=, baseline + 3);
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook", RW, NULL), ==, 200);

  stop (&served);
  mer_test_rm_rf (served.dir);
  g_free (served.dir);
}

/* Under 64 open files the server keeps answering, well past 256 requests. */
static void
test_low_file_limit (void)
{
  Served served = { make_workspace () };

  serve (&served, 64);
  for (guint i = 0; i < 700; i++)
    churn_once (served.port, i);
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook", RW, NULL), ==, 200);
  g_assert_cmpuint (count_open_files (served.process), <, 40);
  stop (&served);
  mer_test_rm_rf (served.dir);
  g_free (served.dir);
}

/*
 * More clients at once than the server may open files: it refuses some for
 * a moment, then serves again once they go. libsoup 3.2's own listener
 * stopped for good at the first failed accept().
 */
static void
test_out_of_files (void)
{
  Served served = { make_workspace () };
  int clients[150];

  serve (&served, 64);
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook", RW, NULL), ==, 200);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      struct sockaddr_in address = { 0 };

      clients[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      g_assert_cmpint (clients[i], >=, 0);
      address.sin_family = AF_INET;
      address.sin_port = g_htons (served.port);
      address.sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
      connect (clients[i], (struct sockaddr *) &address, sizeof address);
    }
  g_usleep (G_USEC_PER_SEC);
  g_assert_cmpuint (count_open_files (served.process), <=, 64);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    close (clients[i]);

  for (guint i = 0; i < 100; i++)
    churn_once (served.port, i);
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook", RW, NULL), ==, 200);
  stop (&served);
  mer_test_rm_rf (served.dir);
  g_free (served.dir);
}

typedef struct
{
  guint16 port;
  gsize sent; /* body bytes the server let in */
  char *response;
} Upload;

/* Sends a 60 MiB anonymous body without waiting, as a careless client would. */
static gpointer
upload_thread (gpointer data)
{
  Upload *upload = data;
  g_autofree char *head = g_strdup_printf ("PUT /handbook/note:big HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                                           BIG_BODY);
  g_autofree char *chunk = g_malloc0 (256 * 1024);
  int fd = connect_to (upload->port);

  send_text (fd, head);
  while (upload->sent < BIG_BODY)
    {
      gssize n = send (fd, chunk, MIN (256 * 1024, BIG_BODY - upload->sent), MSG_NOSIGNAL);

      if (n <= 0)
        break;
      upload->sent += n;
    }
  upload->response = read_response (fd);
  close (fd);
  return NULL;
}

/*
 * An anonymous upload is refused on its headers: the answer comes without
 * a byte of the body, and six careless 60 MiB uploads at once neither get
 * read in full nor grow the server.
 */
static void
test_anonymous_upload (void)
{
  Served served = { make_workspace () };
  Upload uploads[6] = { 0 };
  GThread *threads[6];
  guint64 rss_before, hwm_before, hwm_after, rss_after;

  serve (&served, 0);
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook", RW, NULL), ==, 200);

  /* The answer comes before the body: the client sends only the headers. */
  {
    g_autofree char *head = NULL;
    g_autofree char *response = NULL;
    int fd = connect_to (served.port);

    head = g_strdup_printf ("PUT /handbook/note:big HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                            BIG_BODY);
    send_text (fd, head);
    response = read_response (fd);
    g_assert_cmpuint (status_of (response), ==, 401);
    g_assert_nonnull (strstr (response, "\r\nWWW-Authenticate: Basic realm=\"meridian\"\r\n"));
    g_assert_nonnull (strstr (response, "\r\nConnection: close\r\n"));
    g_assert_nonnull (strstr (response, "{\"error\":\"unauthorized\""));
    g_assert_true (server_closed (fd));
    close (fd);
  }
  /* So does a wrong password's, and an account's body over the limit. */
  {
    g_autofree char *text = NULL;
    g_autofree char *response = NULL;
    int fd = connect_to (served.port);

    text = request_text ("POST", "/handbook/_bulk_docs", "ana:wrong",
                         "Content-Type: application/json\r\nContent-Length: 5000000\r\n");
    send_text (fd, text);
    response = read_response (fd);
    g_assert_cmpuint (status_of (response), ==, 401);
    close (fd);
  }
  {
    g_autofree char *text = NULL;
    g_autofree char *response = NULL;
    int fd = connect_to (served.port);

    g_autofree char *over = g_strdup_printf ("Content-Type: application/json\r\nContent-Length: %d\r\n",
                                             MER_SERVER_MAX_REQUEST_BYTES + 1);

    text = request_text ("POST", "/handbook/_bulk_docs", RW, over);
    send_text (fd, text);
    response = read_response (fd);
    g_assert_cmpuint (status_of (response), ==, 413);
    g_assert_nonnull (strstr (response, "{\"error\":\"too_large\""));
    close (fd);
  }

  rss_before = status_kib (served.process, "VmRSS");
  hwm_before = status_kib (served.process, "VmHWM");
  for (guint i = 0; i < G_N_ELEMENTS (uploads); i++)
    {
      uploads[i].port = served.port;
      threads[i] = g_thread_new ("upload", upload_thread, &uploads[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (uploads); i++)
    {
      g_thread_join (threads[i]);
      g_test_message ("upload %u: %" G_GSIZE_FORMAT " of %d bytes let in, answer %s", i, uploads[i].sent, BIG_BODY,
                      uploads[i].response != NULL ? "401" : "lost");
      /* The server stopped reading: sockets' buffers and a short linger, not 60 MiB. */
      g_assert_cmpuint (uploads[i].sent, <, 32 * 1024 * 1024);
      if (uploads[i].response != NULL)
        g_assert_cmpuint (status_of (uploads[i].response), ==, 401);
      g_free (uploads[i].response);
    }
  rss_after = status_kib (served.process, "VmRSS");
  hwm_after = status_kib (served.process, "VmHWM");
  g_test_message ("server RSS %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB after; peak %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " KiB",
                  rss_before, rss_after, hwm_before, hwm_after);
  g_assert_cmpuint (hwm_after - hwm_before, <, 16 * 1024);
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook", RW, NULL), ==, 200);

  stop (&served);
  mer_test_rm_rf (served.dir);
  g_free (served.dir);
}

/* A Content-Length that is no plain number gets 400 and a closed connection. */
static void
test_bad_content_length (void)
{
  Served served = { make_workspace () };
  const char *lengths[] = { "-1", "+2", "abc", "2 2", "", "0x2", "99999999999999999999",
                            "2\r\nContent-Length: 3" };

  serve (&served, 0);
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    for (guint anonymous = 0; anonymous < 2; anonymous++)
      {
        g_autofree char *extra = g_strdup_printf ("Content-Type: application/json\r\nContent-Length: %s\r\n", lengths[i]);
        g_autofree char *text = request_text ("PUT", "/handbook/note:x", anonymous ? NULL : RW, extra);
        g_autofree char *response = NULL;
        int fd = connect_to (served.port);

        send_text (fd, text);
        send_text (fd, "{}");
        response = read_response (fd);
        if (response == NULL)
          g_error ("Content-Length: %s got no answer", lengths[i]);
        g_test_message ("Content-Length: %s -> %.*s", lengths[i], (int) strcspn (response, "\r"), response);
        g_assert_cmpuint (status_of (response), ==, 400);
        /* libsoup's own parser refuses some before us, with an empty body. */
        if (strcmp (lengths[i], "-1") == 0 || strstr (response, "\r\nContent-Length: 0\r\n") == NULL)
          g_assert_nonnull (strstr (response, "{\"error\":\"bad_request\",\"reason\":\"Invalid Content-Length\"}"));
        g_assert_true (server_closed (fd));
        close (fd);
      }
  /* Two equal lengths are one length; a plain one works. */
  g_assert_cmpuint (one_request (served.port, "GET", "/handbook/note:x", RW, NULL), ==, 404);
  {
    g_autofree char *text = request_text ("PUT", "/handbook/note:x", RW,
                                          "Content-Type: application/json\r\nContent-Length: 2\r\n");
    g_autofree char *response = NULL;
    int fd = connect_to (served.port);

    send_text (fd, text);
    send_text (fd, "{}");
    response = read_response (fd);
    g_assert_cmpuint (status_of (response), ==, 201);
    close (fd);
  }
  stop (&served);
  mer_test_rm_rf (served.dir);
  g_free (served.dir);
}

/* _local, in process: who may see and touch which local document --------- */

#define CP       "aGVsbG8gd29ybGQgMTIzNA%3D%3D"
#define CP_ID    "_local/aGVsbG8gd29ybGQgMTIzNA=="
#define COUCH_CP "0123456789abcdef0123456789abcdef%2Bcontinuous"

typedef struct
{
  guint status;
  char *body;
  JsonNode *json;
} Reply;

static void
reply_free (Reply *reply)
{
  g_free (reply->body);
  g_clear_pointer (&reply->json, json_node_unref);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

typedef struct
{
  GBytes *bytes;
  GError *error;
  gboolean done;
} Pending;

static void
sent_cb (GObject *source,
         GAsyncResult *result,
         gpointer data)
{
  Pending *pending = data;

  pending->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

static Reply *
call (SoupSession *session,
      guint16 port,
      const char *method,
      const char *path,
      const char *body,
      const char *credentials)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  Pending pending = { 0 };
  Reply *reply = g_new0 (Reply, 1);

  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  if (credentials != NULL)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
      g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &pending);
  while (!pending.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending.error);
  reply->status = soup_message_get_status (msg);
  reply->body = g_bytes_get_size (pending.bytes) > 0
                    ? g_strndup (g_bytes_get_data (pending.bytes, NULL), g_bytes_get_size (pending.bytes))
                    : g_strdup ("");
  if (reply->body[0] != '\0')
    reply->json = mer_json_parse (reply->body, -1, NULL);
  g_bytes_unref (pending.bytes);
  return reply;
}

static void
assert_reply (Reply *reply,
              guint status,
              const char *error)
{
  if (reply->status != status)
    g_error ("expected %u, got %u %s", status, reply->status, reply->body);
  if (error != NULL)
    {
      g_assert_nonnull (reply->json);
      g_assert_cmpstr (mer_json_get_string (json_node_get_object (reply->json), "error"), ==, error);
    }
}

/* The stored local document @id, as canonical JSON, or "" when there is none. */
static char *
stored (MerStore *store,
        const char *id)
{
  g_autoptr (JsonObject) doc = mer_store_get_local (store, id, NULL);
  g_autoptr (JsonNode) node = NULL;

  if (doc == NULL)
    return g_strdup ("");
  node = json_node_init_object (json_node_alloc (), doc);
  return mer_json_to_string (node, FALSE);
}

/* Whether the stored local document @id holds @text; "" for there being none. */
static gboolean
stored_has (MerStore *store,
            const char *id,
            const char *text)
{
  g_autofree char *json = stored (store, id);

  if (text[0] == '\0')
    return json[0] == '\0';
  return strstr (json, text) != NULL;
}

static gboolean
stored_is (MerStore *store,
           const char *id,
           const char *expected)
{
  g_autofree char *json = stored (store, id);

  return strcmp (json, expected) == 0;
}

static void
test_local_roles (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (MerStore) store = mer_test_open_store (&dir);
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr (MerServer) server = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (JsonObject) draft = mer_test_object ("{\"_id\":\"_local/draft:page:on-call\",\"type\":\"draft\",\"text\":\"unsaved\"}");
  g_autoptr (JsonObject) profile = mer_test_object ("{\"_id\":\"_local/profile\",\"person\":\"person:ana\"}");
  g_autoptr (JsonObject) own = mer_test_object ("{\"_id\":\"" CP_ID "\",\"last_seq\":42,\"session_id\":\"mine\"}");
  g_autofree char *draft_before = NULL, *profile_before = NULL, *own_before = NULL;
  const char *probes[] = { "draft%3Apage%3Aon-call", "draft:page:on-call", "profile", "last-opened",
                           "meridian-push-0123", "peer%2Fana%2FaGVsbG8gd29ybGQgMTIzNA%3D%3D" };
  const char *everyone[] = { NULL, RO, RW, RW2 };
  gint64 seq;
  guint16 port;

  g_assert_true (mer_accounts_add (accounts, "ana", "ana-password", MER_ROLE_RW, NULL, &error));
  g_assert_true (mer_accounts_add (accounts, "cy", "cy-password", MER_ROLE_RW, NULL, &error));
  g_assert_true (mer_accounts_add (accounts, "bo", "bo-password", MER_ROLE_RO, NULL, &error));
  /* What this machine keeps: a draft, the profile, its replicator's own checkpoint. */
  g_assert_nonnull (mer_store_put_local (store, draft, NULL));
  g_assert_nonnull (mer_store_put_local (store, profile, NULL));
  g_assert_nonnull (mer_store_put_local (store, own, NULL));
  draft_before = stored (store, "_local/draft:page:on-call");
  profile_before = stored (store, "_local/profile");
  own_before = stored (store, CP_ID);
  seq = mer_store_get_update_seq (store);

  server = mer_server_new (store, accounts);
  g_assert_true (mer_server_listen (server, "127.0.0.1:0", NULL, &error));
  port = mer_server_get_port (server);

  /* Nobody reads, writes or deletes what is not a checkpoint. */
  for (guint p = 0; p < G_N_ELEMENTS (probes); p++)
    for (guint who = 0; who < G_N_ELEMENTS (everyone); who++)
      {
        g_autofree char *path = g_strdup_printf ("/handbook/_local/%s", probes[p]);
        g_autofree char *with_rev = g_strdup_printf ("%s?rev=0-1", path);
        g_autoptr (Reply) get = call (session, port, "GET", path, NULL, everyone[who]);
        g_autoptr (Reply) head = call (session, port, "HEAD", path, NULL, everyone[who]);
        g_autoptr (Reply) put = call (session, port, "PUT", path, "{\"_rev\":\"0-1\",\"text\":\"overwritten\"}", everyone[who]);
        g_autoptr (Reply) put_new = call (session, port, "PUT", path, "{\"text\":\"overwritten\"}", everyone[who]);
        g_autoptr (Reply) del = call (session, port, "DELETE", with_rev, NULL, everyone[who]);

        g_test_message ("%s as %s", path, everyone[who] != NULL ? everyone[who] : "nobody");
        if (everyone[who] == NULL)
          {
            assert_reply (get, 401, "unauthorized");
            assert_reply (put, 401, "unauthorized");
            assert_reply (del, 401, "unauthorized");
            continue;
          }
        if (strchr (probes[p], '/') != NULL || strstr (probes[p], "%2F") != NULL)
          {
            /* A path into the accounts' space is not a checkpoint name either. */
            g_assert_cmpuint (get->status, >=, 400);
            g_assert_cmpuint (put->status, >=, 400);
            g_assert_cmpuint (del->status, >=, 400);
            continue;
          }
        assert_reply (get, 404, "not_found");
        g_assert_cmpuint (head->status, ==, 404);
        g_assert_null (strstr (get->body, "unsaved"));
        assert_reply (put, 403, "forbidden");
        assert_reply (put_new, 403, "forbidden");
        assert_reply (del, 403, "forbidden");
      }
  /* The same through the other doors: _bulk_docs, POST, _bulk_get, _all_docs, an escaped slash. */
  {
    g_autoptr (Reply) bulk = call (session, port, "POST", "/handbook/_bulk_docs",
                                   "{\"docs\":[{\"_id\":\"_local/profile\",\"person\":\"person:mallory\"}]}", RW);
    g_autoptr (Reply) post = call (session, port, "POST", "/handbook",
                                   "{\"_id\":\"_local/draft:page:on-call\",\"text\":\"x\"}", RW);
    g_autoptr (Reply) bulk_get = call (session, port, "POST", "/handbook/_bulk_get",
                                       "{\"docs\":[{\"id\":\"_local/draft:page:on-call\"}]}", RO);
    g_autoptr (Reply) escaped = call (session, port, "GET", "/handbook/_local%2Fdraft%3Apage%3Aon-call", NULL, RW);
    g_autoptr (Reply) all = call (session, port, "GET", "/handbook/_all_docs?include_docs=true", NULL, RO);

    g_assert_null (strstr (bulk->body, "\"ok\""));
    g_assert_cmpuint (post->status, >=, 400);
    g_assert_null (strstr (bulk_get->body, "unsaved"));
    g_assert_cmpuint (escaped->status, >=, 400);
    g_assert_null (strstr (escaped->body, "unsaved"));
    g_assert_null (strstr (all->body, "unsaved"));
    g_assert_null (strstr (all->body, "_local"));
  }
  g_assert_true (stored_is (store, "_local/draft:page:on-call", draft_before));
  g_assert_true (stored_is (store, "_local/profile", profile_before));
  g_assert_null (mer_store_get_local (store, "_local/last-opened", NULL));

  /* This replica's own checkpoint is no peer's: none sees or moves it. */
  for (guint who = 1; who < G_N_ELEMENTS (everyone); who++)
    {
      g_autoptr (Reply) get = call (session, port, "GET", "/handbook/_local/" CP, NULL, everyone[who]);
      g_autoptr (Reply) del = call (session, port, "DELETE", "/handbook/_local/" CP "?rev=0-1", NULL, everyone[who]);

      assert_reply (get, 404, "not_found");
      g_assert_null (strstr (get->body, "mine"));
      g_assert_cmpuint (del->status, ==, who == 1 ? 403 : 404); /* bo may not write */
    }
  g_assert_true (stored_is (store, CP_ID, own_before));

  /* Ana's checkpoint: hers to read, update and delete, under the id she gave. */
  {
    g_autoptr (Reply) put = call (session, port, "PUT", "/handbook/_local/" CP, "{\"last_seq\":7,\"session_id\":\"ana\"}", RW);
    g_autoptr (Reply) get = call (session, port, "GET", "/handbook/_local/" CP, NULL, RW);
    JsonObject *doc;

    assert_reply (put, 201, NULL);
    g_assert_cmpstr (mer_json_get_string (json_node_get_object (put->json), "id"), ==, CP_ID);
    g_assert_cmpstr (mer_json_get_string (json_node_get_object (put->json), "rev"), ==, "0-1");
    assert_reply (get, 200, NULL);
    doc = json_node_get_object (get->json);
    g_assert_cmpstr (mer_json_get_string (doc, "_id"), ==, CP_ID);
    g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, "0-1");
    g_assert_cmpint (json_object_get_int_member (doc, "last_seq"), ==, 7);
    g_assert_cmpuint (json_object_get_size (doc), ==, 4);
  }
  /* Cy and Bo do not see it; Cy writing the same id gets a checkpoint of her own. */
  {
    g_autoptr (Reply) cy_get = call (session, port, "GET", "/handbook/_local/" CP, NULL, RW2);
    g_autoptr (Reply) bo_get = call (session, port, "GET", "/handbook/_local/" CP, NULL, RO);
    g_autoptr (Reply) bo_put = call (session, port, "PUT", "/handbook/_local/" CP, "{\"_rev\":\"0-1\",\"last_seq\":0}", RO);
    g_autoptr (Reply) cy_delete = call (session, port, "DELETE", "/handbook/_local/" CP "?rev=0-1", NULL, RW2);
    g_autoptr (Reply) cy_put = call (session, port, "PUT", "/handbook/_local/" CP, "{\"_rev\":\"0-1\",\"last_seq\":3}", RW2);
    g_autoptr (Reply) cy_couch = call (session, port, "PUT", "/handbook/_local/" COUCH_CP, "{\"source_last_seq\":3}", RW2);
    g_autoptr (Reply) ana_get = call (session, port, "GET", "/handbook/_local/" CP, NULL, RW);
    g_autoptr (Reply) cy_get2 = call (session, port, "GET", "/handbook/_local/" CP, NULL, RW2);

    assert_reply (cy_get, 404, "not_found");
    assert_reply (bo_get, 404, "not_found");
    assert_reply (bo_put, 403, "forbidden");
    assert_reply (cy_delete, 404, "not_found");
    assert_reply (cy_put, 201, NULL);
    assert_reply (cy_couch, 201, NULL);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (ana_get->json), "last_seq"), ==, 7);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (cy_get2->json), "last_seq"), ==, 3);
  }
  /* What is stored: one checkpoint per account, this replica's own untouched. */
  g_assert_true (stored_has (store, "_local/peer/ana/aGVsbG8gd29ybGQgMTIzNA==", "\"last_seq\":7"));
  g_assert_true (stored_has (store, "_local/peer/cy/aGVsbG8gd29ybGQgMTIzNA==", "\"last_seq\":3"));
  g_assert_true (stored_has (store, "_local/peer/cy/0123456789abcdef0123456789abcdef+continuous", "\"source_last_seq\":3"));
  g_assert_true (stored_has (store, "_local/peer/bo/aGVsbG8gd29ybGQgMTIzNA==", ""));
  g_assert_true (stored_is (store, CP_ID, own_before));
  {
    g_autoptr (Reply) del = call (session, port, "DELETE", "/handbook/_local/" CP "?rev=0-1", NULL, RW);

    assert_reply (del, 200, NULL);
    g_assert_true (stored_has (store, "_local/peer/ana/aGVsbG8gd29ybGQgMTIzNA==", ""));
    g_assert_true (stored_has (store, "_local/peer/cy/aGVsbG8gd29ybGQgMTIzNA==", "\"last_seq\":3"));
  }
  g_assert_true (stored_is (store, "_local/draft:page:on-call", draft_before));
  g_assert_true (stored_is (store, "_local/profile", profile_before));
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);

  mer_server_stop (server);
  g_clear_object (&server);
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

/* Without accounts, this machine's peers get checkpoints but still no drafts. */
static void
test_local_open_mode (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (MerStore) store = mer_test_open_store (&dir);
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr (MerServer) server = mer_server_new (store, accounts);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (JsonObject) draft = mer_test_object ("{\"_id\":\"_local/draft:new:1\",\"text\":\"unsaved\"}");
  guint16 port;

  g_assert_nonnull (mer_store_put_local (store, draft, NULL));
  g_assert_true (mer_server_listen (server, "127.0.0.1:0", NULL, &error));
  port = mer_server_get_port (server);
  {
    g_autoptr (Reply) get = call (session, port, "GET", "/handbook/_local/draft:new:1", NULL, NULL);
    g_autoptr (Reply) put = call (session, port, "PUT", "/handbook/_local/draft:new:1", "{\"_rev\":\"0-1\"}", NULL);
    g_autoptr (Reply) cp = call (session, port, "PUT", "/handbook/_local/" CP, "{\"last_seq\":1}", NULL);
    g_autoptr (Reply) cp_get = call (session, port, "GET", "/handbook/_local/" CP, NULL, NULL);

    assert_reply (get, 404, "not_found");
    assert_reply (put, 403, "forbidden");
    assert_reply (cp, 201, NULL);
    assert_reply (cp_get, 200, NULL);
    g_assert_cmpstr (mer_json_get_string (json_node_get_object (cp_get->json), "_id"), ==, CP_ID);
  }
  g_assert_true (stored_has (store, "_local/draft:new:1", "unsaved"));
  g_assert_true (stored_has (store, "_local/peer/-/aGVsbG8gd29ybGQgMTIzNA==", "\"last_seq\":1"));
  g_assert_true (stored_has (store, CP_ID, ""));

  mer_server_stop (server);
  g_clear_object (&server);
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/hostile-server/churn", test_churn);
  g_test_add_func ("/hostile-server/low-file-limit", test_low_file_limit);
  g_test_add_func ("/hostile-server/out-of-files", test_out_of_files);
  g_test_add_func ("/hostile-server/anonymous-upload", test_anonymous_upload);
  g_test_add_func ("/hostile-server/bad-content-length", test_bad_content_length);
  g_test_add_func ("/hostile-server/local-roles", test_local_roles);
  g_test_add_func ("/hostile-server/local-open-mode", test_local_open_mode);
  return g_test_run ();
}
