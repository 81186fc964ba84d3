/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The replicator's conversation with a peer: HTTP requests with retries
 * and backoff, error reasons, the replication id, and the PouchDB-style
 * checkpoints on both sides.
 */

#include "config.h"

#include "mer-replicator-private.h"
#include "mer-json.h"
#include "mer-tls.h"

#include <glib/gi18n.h>
#include <string.h>

/* Sleeps, waking early when the run is cancelled. FALSE if cancelled. */
gboolean
_mer_repl_sleep_cancellable (GCancellable *cancellable,
                             guint         ms)
{
  GPollFD pfd;

  if (g_cancellable_make_pollfd (cancellable, &pfd))
    {
      g_poll (&pfd, 1, (int) ms);
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep ((gulong) ms * 1000);
  return !g_cancellable_is_cancelled (cancellable);
}

char *
_mer_repl_escape_id (const char *id)
{
  g_autofree char *rest = NULL;

  /* Like PouchDB: the prefix of special documents keeps its slash. */
  if (g_str_has_prefix (id, "_local/") || g_str_has_prefix (id, "_design/"))
    {
      const char *slash = strchr (id, '/');
      g_autofree char *prefix = g_strndup (id, slash - id + 1);

      rest = g_uri_escape_string (slash + 1, NULL, FALSE);
      return g_strconcat (prefix, rest, NULL);
    }
  return g_uri_escape_string (id, NULL, FALSE);
}

/* A remote sequence as a query value: strings raw, anything else as JSON. */
char *
_mer_repl_seq_to_param (JsonNode *seq)
{
  g_autofree char *text = NULL;

  if (seq == NULL)
    return g_strdup ("0");
  if (JSON_NODE_HOLDS_VALUE (seq) && json_node_get_value_type (seq) == G_TYPE_STRING)
    return g_uri_escape_string (json_node_get_string (seq), NULL, FALSE);
  text = mer_json_to_string (seq, FALSE);
  return g_uri_escape_string (text, NULL, FALSE);
}

/*
 * A copy of a sequence value that shares no memory with the original, for
 * handing to another thread: json_node_copy() shares the value (and any
 * nested object or array) and json-glib counts those references without
 * atomics, so two threads copying and freeing "their" nodes of one seq
 * corrupt its count and free it while it is still in use.
 */
JsonNode *
_mer_repl_seq_copy (JsonNode *seq)
{
  g_autofree char *text = mer_json_to_string (seq, FALSE);

  return mer_json_parse (text, -1, NULL);
}

/*
 * Whether asking again later may get another answer: server errors,
 * timeouts, "too many requests", and a CouchDB cluster's 412 nodedown,
 * which it answers when a node that held the only copy it was reading of
 * part of the database stops in the middle of a request; asked again, the
 * cluster reads another copy. Not 507: a full disk on the peer stays
 * full until a person frees space there, so the sync stops and says so
 * (see _mer_repl_set_status_error()).
 */
static gboolean
is_transient_answer (guint   status,
                     GBytes *bytes)
{
  g_autoptr(JsonNode) reply = NULL;
  gsize size = 0;
  const char *data;

  if ((status >= 500 && status != SOUP_STATUS_INSUFFICIENT_STORAGE) || status == 408 || status == 429)
    return TRUE;
  if (status != SOUP_STATUS_PRECONDITION_FAILED)
    return FALSE;
  data = g_bytes_get_data (bytes, &size);
  reply = mer_json_parse (data, (gssize) size, NULL);
  return reply != NULL && JSON_NODE_HOLDS_OBJECT (reply)
         && g_strcmp0 (mer_json_get_string (json_node_get_object (reply), "error"), "nodedown") == 0;
}

/*
 * Whether a successful answer stops before its JSON does. A connection
 * closed between two chunks of a chunked answer reads as its end (libsoup
 * sees no error there), and CouchDB leaves exactly that when it stops
 * while a longpoll feed is open: the head of the answer, `{"results":[`,
 * then nothing. Every answer of the protocol is an object or an array, so
 * one that begins as such and does not end so was cut short, and is
 * retried like a network error.
 */
static gboolean
is_cut_short (guint   status,
              GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  gsize start = 0;

  if (status < 200 || status >= 300)
    return FALSE;
  while (start < size && g_ascii_isspace (data[start]))
    start++;
  while (size > start && g_ascii_isspace (data[size - 1]))
    size--;
  if (size == start || (data[start] != '{' && data[start] != '['))
    return FALSE;
  return data[size - 1] != '}' && data[size - 1] != ']';
}

/* A told length larger than this is not believed up front. */
#define PRESIZE_MAX (64 * 1024 * 1024)

/*
 * Sends @msg and reads the whole answer. When the peer tells the length,
 * the buffer is allocated once: growing one by doubling copied a batch of
 * documents (about 600 KB) about ten times, which was a tenth of a pull's
 * CPU. Without a length, or past it, the buffer grows as it must.
 */
static GBytes *
send_and_read (SoupSession   *session,
               SoupMessage   *msg,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GInputStream) stream = soup_session_send (session, msg, cancellable, error);
  SoupMessageHeaders *headers;
  g_autofree char *data = NULL;
  gsize size = 16 * 1024;
  gsize used = 0;

  if (stream == NULL)
    return NULL;
  headers = soup_message_get_response_headers (msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      goffset length = soup_message_headers_get_content_length (headers);

      if (length >= 0 && length < PRESIZE_MAX)
        size = MAX ((gsize) length + 1, 16);
    }
  data = g_malloc (size);
  for (;;)
    {
      gsize n = 0;

      if (!g_input_stream_read_all (stream, data + used, size - used, &n, cancellable, error))
        return NULL;
      used += n;
      if (used < size)
        break;
      size *= 2;
      data = g_realloc (data, size);
    }
  if (!g_input_stream_close (stream, cancellable, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), used);
}

/*
 * A 401: the peer did not accept who we say we are. Asking again, now or
 * in a minute, with the same name and password cannot change that, and a
 * server may lock out an account that keeps trying; so the sync stops at
 * the first one, continuous or not, and says so in plain words.
 */
void
_mer_repl_set_unauthorized_error (Job     *job,
                                  GError **error)
{
  if (job->auth != NULL && job->no_password)
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("The server at %s needs the password of “%s”, and none was given or kept in "
                   "the keyring; add the peer again in Preferences with its password"),
                 job->url, job->auth_user);
  else if (job->auth != NULL)
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("The server at %s did not accept the name or password; "
                   "check them, then sync again"), job->url);
  else
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("The server at %s needs a name and password, and none was given"), job->url);
}

/* Keeps the fingerprint of a certificate the session did not trust, for
 * the message; the request then fails as it would have. */
static gboolean
note_refused_certificate_cb (SoupMessage          *msg,
                             GTlsCertificate      *certificate,
                             GTlsCertificateFlags  errors,
                             gpointer              data)
{
  char **presented = data;

  g_free (*presented);
  *presented = mer_tls_fingerprint (certificate);
  return FALSE;
}

/*
 * A certificate the sync does not trust: asking again cannot change it,
 * so the sync stops at once and says what to compare with whom.
 */
static void
set_certificate_error (Job         *job,
                       const char  *presented,
                       GError     **error)
{
  if (job->pinned != NULL && presented != NULL)
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("The certificate of %s changed since you accepted it: you accepted %s, it now "
                   "presents %s. If the person sharing made a new certificate, compare the new "
                   "fingerprint with them, then accept it (meridian sync --fingerprint)"),
                 job->url, job->pinned, presented);
  else if (presented != NULL)
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("%s presents a certificate this computer does not trust, with the fingerprint %s. "
                   "If a teammate shares this workspace from Meridian, compare it with the one in "
                   "their Preferences › Sharing, then accept it (meridian sync --fingerprint)"),
                 job->url, presented);
  else
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("%s presents a certificate this computer does not trust"), job->url);
}

static gboolean request_text (Job         *job,
                              const char  *method,
                              const char  *url,
                              const char  *body_text,
                              guint       *status_out,
                              GBytes     **reply_out,
                              GError     **error);

/*
 * Sends one request to the peer and reads the whole reply. Network errors,
 * transient answers (5xx, see is_transient_answer()) and answers cut short
 * (see is_cut_short()) are retried with exponential backoff: forever in
 * continuous mode (the state says offline meanwhile), max_retries times in
 * a one-shot run. A 401 ends the sync at once (see
 * _mer_repl_set_unauthorized_error()). Any other status is returned to the
 * caller to judge.
 */
gboolean
_mer_repl_job_request_bytes (Job         *job,
                             const char  *method,
                             const char  *url,
                             JsonNode    *body,
                             guint       *status_out,
                             GBytes     **reply_out,
                             GError     **error)
{
  g_autofree char *body_text = body ? mer_json_to_string (body, FALSE) : NULL;

  return request_text (job, method, url, body_text, status_out, reply_out, error);
}

static gboolean
request_text (Job         *job,
              const char  *method,
              const char  *url,
              const char  *body_text,
              guint       *status_out,
              GBytes     **reply_out,
              GError     **error)
{
  guint delay = BACKOFF_START_MS;

  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new (method, url);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *reason = NULL;
      g_autofree char *presented = NULL;
      SoupMessageHeaders *headers;
      guint status = 0;

      if (msg == NULL)
        {
          g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
                       _("Invalid request address %s"), url);
          return FALSE;
        }
      g_signal_connect (msg, "accept-certificate", G_CALLBACK (note_refused_certificate_cb), &presented);
      headers = soup_message_get_request_headers (msg);
      soup_message_headers_replace (headers, "Accept", "application/json");
      if (job->auth != NULL)
        soup_message_headers_replace (headers, "Authorization", job->auth);
      if (body_text != NULL)
        {
          g_autoptr(GBytes) payload = g_bytes_new_static (body_text, strlen (body_text));

          soup_message_set_request_body_from_bytes (msg, "application/json", payload);
        }

      bytes = send_and_read (job->session, msg, job->cancellable, &local_error);
      gboolean cut_short;

      if (bytes != NULL)
        status = soup_message_get_status (msg);
      cut_short = bytes != NULL && is_cut_short (status, bytes);

      /* Creating the database is the one request whose 401 says
       * something else: the name and password were just accepted, but
       * only a server admin may create databases (CouchDB's "You are not
       * a server admin"). _mer_repl_job_check_remote_db() says so. */
      if (bytes != NULL && status == SOUP_STATUS_UNAUTHORIZED
          && !(strcmp (method, "PUT") == 0 && strcmp (url, job->url) == 0))
        {
          _mer_repl_set_unauthorized_error (job, error);
          return FALSE;
        }
      if (bytes != NULL && !is_transient_answer (status, bytes) && !cut_short)
        {
          if (job->offline)
            {
              job->offline = FALSE;
              _mer_repl_post_state (job, MER_REPLICATOR_STATE_SYNCING, NULL);
            }
          if (status_out)
            *status_out = status;
          if (reply_out)
            *reply_out = g_steal_pointer (&bytes);
          return TRUE;
        }

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (local_error != NULL && local_error->domain == G_TLS_ERROR
          && (presented != NULL || g_error_matches (local_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)))
        {
          set_certificate_error (job, presented, error);
          return FALSE;
        }

      if (local_error != NULL)
        reason = g_strdup (local_error->message);
      else if (cut_short)
        reason = g_strdup (_("the answer was cut short"));
      else
        reason = g_strdup_printf ("%u %s", status, soup_status_get_phrase (status));

      if (!job->continuous && attempt >= job->max_retries)
        {
          if (cut_short)
            _mer_repl_set_not_json_error (method, url, reason, error);
          else
            g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_UNREACHABLE,
                         _("Could not reach %s: %s. Check the address and the network, and that "
                           "the peer is running"), job->url, reason);
          return FALSE;
        }
      if (!job->offline)
        {
          g_autofree char *message = g_strdup_printf (_("Could not reach %s: %s"), job->url, reason);

          job->offline = TRUE;
          _mer_repl_post_state (job, MER_REPLICATOR_STATE_OFFLINE, message);
        }
      g_debug ("%s %s failed (%s); retrying in %u ms", method, url, reason, delay);
      if (!_mer_repl_sleep_cancellable (job->cancellable, delay))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Sync cancelled"));
          return FALSE;
        }
      delay = MIN (delay * 2, BACKOFF_MAX_MS);
    }
}

/* Whether @url names a host on this machine. */
static gboolean
is_loopback_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/*
 * A session for one thread of a sync. A peer on this machine is reached
 * directly: proxy settings leave loopback alone anyway, and asking the
 * system's proxy resolver first loads GIO's proxy modules and the desktop
 * settings, which took about a third of a no-change sync's time.
 */
SoupSession *
_mer_repl_new_session (Job *job)
{
  SoupSession *session = soup_session_new_with_options ("timeout", (guint) (LONGPOLL_TIMEOUT_MS / 1000 + 60),
                                                        "idle-timeout", 60,
                                                        "user-agent", "Meridian/" PACKAGE_VERSION,
                                                        NULL);

  if (is_loopback_url (job->url))
    soup_session_set_proxy_resolver (session, NULL);
  if (job->pinned != NULL)
    {
      g_autoptr(GTlsDatabase) pinned = mer_tls_pinned_database_new (job->pinned);

      g_object_set (session, "tls-database", pinned, NULL);
    }
  return session;
}

/* One of the requests of _mer_repl_job_request_parallel(), on a thread of
 * its own with a session of its own. */
typedef struct
{
  Job        *job;        /* a copy: the thread's own session */
  const char *method;
  const char *url;
  char       *body_text;  /* serialised on the caller's thread: json-glib
                           * counts references without atomics */
  guint       status;
  GBytes     *reply;
  GError     *error;
  gboolean    ok;
} ParallelRequest;

static gpointer
parallel_request_thread (gpointer user_data)
{
  ParallelRequest *request = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  request->job->session = _mer_repl_new_session (request->job);
  request->ok = request_text (request->job, request->method, request->url, request->body_text,
                              &request->status, &request->reply, &request->error);
  g_clear_object (&request->job->session);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* A copy of @job that can send requests from another thread (once that
 * thread gives it a session). */
Job *
_mer_repl_job_copy_for_requests (Job *job)
{
  Job *copy = g_new0 (Job, 1);

  copy->self = g_object_ref (job->self);
  copy->context = g_main_context_ref (job->context);
  copy->pull = job->pull;
  copy->continuous = job->continuous;
  copy->max_retries = job->max_retries;
  copy->url = g_strdup (job->url);
  copy->root_url = g_strdup (job->root_url);
  copy->auth = g_strdup (job->auth);
  copy->auth_user = g_strdup (job->auth_user);
  copy->pinned = g_strdup (job->pinned);
  copy->no_password = job->no_password;
  copy->cancellable = g_object_ref (job->cancellable);
  copy->offline = job->offline;
  return copy;
}

/*
 * Sends @n independent requests at once: the first on this thread and its
 * session (its connection is open already), the others each on a thread
 * and connection of their own, since a SoupSession serves one thread. A
 * CouchDB answers them side by side, so a batch split this way costs
 * about the time of its largest part. Each request is retried as
 * _mer_repl_job_request_bytes() does. Every request runs to its end; the
 * first error is returned, and then no replies.
 */
gboolean
_mer_repl_job_request_parallel (Job         *job,
                                guint        n,
                                const char **methods,
                                const char **urls,
                                JsonNode   **bodies,
                                guint       *statuses,
                                GBytes     **replies,
                                GError     **error)
{
  g_autofree ParallelRequest *requests = g_new0 (ParallelRequest, n);
  g_autofree GThread **threads = g_new0 (GThread *, n);
  gboolean ok = TRUE;

  for (guint i = 0; i < n; i++)
    {
      requests[i].method = methods[i];
      requests[i].url = urls[i];
      requests[i].body_text = bodies != NULL && bodies[i] != NULL ? mer_json_to_string (bodies[i], FALSE) : NULL;
    }
  for (guint i = 1; i < n; i++)
    {
      requests[i].job = _mer_repl_job_copy_for_requests (job);
      threads[i] = g_thread_new ("mer-request", parallel_request_thread, &requests[i]);
    }
  if (n > 0)
    requests[0].ok = request_text (job, methods[0], urls[0], requests[0].body_text,
                                   &requests[0].status, &requests[0].reply, &requests[0].error);
  for (guint i = 0; i < n; i++)
    {
      if (threads[i] != NULL)
        g_thread_join (threads[i]);
      if (!requests[i].ok && ok)
        {
          ok = FALSE;
          g_propagate_error (error, g_steal_pointer (&requests[i].error));
        }
    }
  for (guint i = 0; i < n; i++)
    {
      if (ok)
        {
          statuses[i] = requests[i].status;
          replies[i] = g_steal_pointer (&requests[i].reply);
        }
      g_clear_pointer (&requests[i].reply, g_bytes_unref);
      g_clear_error (&requests[i].error);
      g_free (requests[i].body_text);
      if (requests[i].job != NULL)
        _mer_repl_job_free (requests[i].job);
    }
  return ok;
}

/* Reports a reply that should have been JSON and was not. */
void
_mer_repl_set_not_json_error (const char  *method,
                              const char  *url,
                              const char  *reason,
                              GError     **error)
{
  g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
               _("The peer answered %s %s with something that is not JSON: %s"),
               method, url, reason);
}

/*
 * As _mer_repl_job_request_bytes(), with the reply parsed. A reply that is
 * not JSON is an error with a success status, and no reply with any other.
 */
gboolean
_mer_repl_job_request (Job         *job,
                       const char  *method,
                       const char  *url,
                       JsonNode    *body,
                       guint       *status_out,
                       JsonNode   **reply_out,
                       GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *data;
  gsize size = 0;
  guint status = 0;

  if (!_mer_repl_job_request_bytes (job, method, url, body, &status, &bytes, error))
    return FALSE;
  if (status_out)
    *status_out = status;
  if (reply_out == NULL)
    return TRUE;
  *reply_out = NULL;
  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    return TRUE;
  *reply_out = mer_json_parse (data, (gssize) size, &local_error);
  if (*reply_out == NULL && status < 300)
    {
      _mer_repl_set_not_json_error (method, url, local_error->message, error);
      return FALSE;
    }
  return TRUE;
}

static char *
reply_reason (JsonNode *reply)
{
  if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply))
    {
      JsonObject *object = json_node_get_object (reply);
      const char *err = mer_json_get_string (object, "error");
      const char *reason = mer_json_get_string (object, "reason");

      if (err != NULL || reason != NULL)
        return g_strdup_printf ("%s%s%s", err ? err : "", err && reason ? ": " : "", reason ? reason : "");
    }
  return g_strdup ("");
}

/* Turns an unexpected status into an error that says what the peer said. */
void
_mer_repl_set_status_error (Job         *job,
                            const char  *what,
                            guint        status,
                            JsonNode    *reply,
                            GError     **error)
{
  g_autofree char *reason = reply_reason (reply);

  if (status == 401 || status == 403)
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_REFUSED,
                 _("%s refused %s (%u %s) %s"), job->url, what, status,
                 soup_status_get_phrase (status), reason);
  else if (status == SOUP_STATUS_INSUFFICIENT_STORAGE)
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NO_SPACE,
                 _("The peer %s is out of disk space; the sync stopped. Free some space on the peer, "
                   "then sync again: nothing synced before is lost. (%u %s when %s: %s)"),
                 job->url, status, soup_status_get_phrase (status), what, reason);
  else
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
                 _("%s failed %s (%u %s) %s"), job->url, what, status,
                 soup_status_get_phrase (status), reason);
}

JsonObject *
_mer_repl_reply_object (JsonNode *reply)
{
  return reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
}

/*
 * The replication id, as PouchDB computes it for an unfiltered replication:
 * base64 of md5 over the source and target ids, made URL-safe.
 */
char *
_mer_repl_replication_id (const char *source_id,
                          const char *target_id)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize len = sizeof digest;
  g_autofree char *b64 = NULL;

  g_checksum_update (checksum, (const guchar *) source_id, -1);
  g_checksum_update (checksum, (const guchar *) target_id, -1);
  g_checksum_get_digest (checksum, digest, &len);
  b64 = g_base64_encode (digest, len);
  for (char *p = b64; *p; p++)
    {
      if (*p == '/')
        *p = '.';
      else if (*p == '+')
        *p = '_';
    }
  return g_strconcat ("_local/", b64, NULL);
}

/*
 * Whether the answer to GET / greets as CouchDB ("couchdb": "Welcome"), a
 * Meridian peer, or a PouchDB server ("express-pouchdb": "Welcome!") does.
 */
static gboolean
is_couch_welcome (JsonObject *object)
{
  g_autoptr(GList) members = NULL;

  if (object == NULL)
    return FALSE;
  if (json_object_has_member (object, "couchdb") || json_object_has_member (object, "meridian"))
    return TRUE;
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *value = mer_json_get_string (object, l->data);

      if (value != NULL && g_str_has_prefix (value, "Welcome"))
        return TRUE;
    }
  return FALSE;
}

/*
 * The URL answers, but not as a CouchDB or Meridian database does: says
 * so, and what it answered instead (@data is the reply when it was not
 * JSON at all).
 */
void
_mer_repl_set_not_database_error (Job         *job,
                                  const char  *data,
                                  gsize        size,
                                  GError     **error)
{
  g_autofree char *start = data != NULL ? g_strndup (data, MIN (size, 512)) : NULL;
  g_autofree char *lower = start != NULL ? g_ascii_strdown (start, -1) : NULL;

  if (lower != NULL && (strstr (lower, "<html") != NULL || strstr (lower, "<!doctype") != NULL))
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NOT_DATABASE,
                 _("%s is not a CouchDB or Meridian database: it answers with a web page. "
                   "Check the address; a hub's is like https://hub.example.org/handbook"), job->url);
  else
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NOT_DATABASE,
                 _("%s is not a CouchDB or Meridian database: its answer does not say CouchDB or "
                   "Meridian. Check the address; a hub's is like https://hub.example.org/handbook"),
                 job->url);
}

/* Takes the peer's stable id, its server uuid plus the database name,
 * from its answer to GET /. */
static gboolean
take_identity (Job      *job,
               guint     status,
               GBytes   *bytes,
               GError  **error)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  const char *db_name = strrchr (job->url, '/') + 1;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  if (size > 0)
    reply = mer_json_parse (data, (gssize) size, &local_error);
  object = _mer_repl_reply_object (reply);
  /* A server that answers its root with success must greet as CouchDB
   * does; anything else (a web page, some other JSON service) would take
   * the sync's requests for something else. A root that answers with an
   * error may be a proxy in front of the database: the database's own
   * answer is judged next (check_db_answer()). */
  if (status >= 200 && status < 300 && !is_couch_welcome (object))
    {
      _mer_repl_set_not_database_error (job, reply == NULL ? data : NULL, size, error);
      return FALSE;
    }
  g_clear_pointer (&job->remote_id, g_free);
  if (status == 200 && object != NULL && mer_json_get_string (object, "uuid") != NULL)
    job->remote_id = g_strconcat (mer_json_get_string (object, "uuid"), db_name, NULL);
  else
    job->remote_id = g_strdup (job->url);
  return TRUE;
}

static gboolean check_db_answer (Job       *job,
                                 guint      status,
                                 JsonNode  *db_reply,
                                 GError   **error);

/*
 * Makes sure the remote database exists. A pull-only sync needs it; a
 * push or a sync both ways creates it, as PouchDB does, when the account may.
 */
gboolean
_mer_repl_job_check_remote_db (Job     *job,
                               GError **error)
{
  g_autoptr(JsonNode) reply = NULL;
  guint status = 0;

  /* A sync both ways asks once: the database info can cost the peer a count. */
  g_autoptr(GBytes) bytes = NULL;
  gsize size = 0;
  const char *data;

  if (job->db_checked)
    return TRUE;
  if (!_mer_repl_job_request_bytes (job, "GET", job->url, NULL, &status, &bytes, error))
    return FALSE;
  data = g_bytes_get_data (bytes, &size);
  reply = size > 0 ? mer_json_parse (data, (gssize) size, NULL) : NULL;
  return check_db_answer (job, status, reply, error);
}

/* Judges the answer to GET /db, creating the database when it is missing
 * and the sync may. */
static gboolean
check_db_answer (Job       *job,
                 guint      status,
                 JsonNode  *db_reply,
                 GError   **error)
{
  g_autoptr(JsonNode) reply = db_reply != NULL ? json_node_ref (db_reply) : NULL;

  /* A database tells its name or its sequence; a web page does not. */
  if (status == 200
      && (_mer_repl_reply_object (reply) == NULL
          || (!json_object_has_member (_mer_repl_reply_object (reply), "db_name")
              && !json_object_has_member (_mer_repl_reply_object (reply), "update_seq"))))
    {
      _mer_repl_set_not_database_error (job, NULL, 0, error);
      return FALSE;
    }
  if (status == 200)
    return job->db_checked = TRUE;
  /* The pull of a continuous sync both ways runs beside its push, and may
   * ask first: it creates the database as the push would. */
  if (status == 404 && job->may_create)
    {
      g_clear_pointer (&reply, json_node_unref);
      if (!_mer_repl_job_request (job, "PUT", job->url, NULL, &status, &reply, error))
        return FALSE;
      if (status == 201 || status == 202 || status == 412)
        return job->db_checked = TRUE;
      if (status == 401 || status == 403)
        {
          g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NOT_FOUND,
                       _("%s does not exist, and this account may not create it; "
                         "a hub's database is made with “meridian hub setup”"), job->url);
          return FALSE;
        }
      _mer_repl_set_status_error (job, _("to create the database"), status, reply, error);
      return FALSE;
    }
  if (status == 404)
    {
      g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NOT_FOUND,
                   _("%s does not exist"), job->url);
      return FALSE;
    }
  _mer_repl_set_status_error (job, _("access to the database"), status, reply, error);
  return FALSE;
}

/* A prefetched checkpoint, or NULL for none. */
static void
unref_checkpoint (gpointer doc)
{
  if (doc != NULL)
    json_object_unref (doc);
}

/*
 * The opening of a sync. The peer's identity (GET /) is asked alone: a
 * wrong password then costs one request, not several at once (a server
 * may lock out an account that keeps trying). Then the database (GET /db)
 * and the remote checkpoints of the directions this job runs are asked
 * at once. A sync that finds nothing to do is mostly this opening: it
 * costs two round trips instead of four.
 */
gboolean
_mer_repl_job_open (Job     *job,
                    GError **error)
{
  g_autoptr(GBytes) identity = NULL;
  g_autoptr(JsonNode) db_reply = NULL;
  const char *methods[3] = { "GET", "GET", "GET" };
  const char *urls[3] = { job->url, NULL, NULL };
  char *rids[3] = { NULL, NULL, NULL };
  guint statuses[3] = { 0, 0, 0 };
  GBytes *replies[3] = { NULL, NULL, NULL };
  guint n = 1;
  guint status = 0;
  gboolean ok;

  if (!_mer_repl_job_request_bytes (job, "GET", job->root_url, NULL, &status, &identity, error)
      || !take_identity (job, status, identity, error))
    return FALSE;

  if (job->both || job->pull)
    rids[n++] = _mer_repl_replication_id (job->remote_id, job->local_id);
  if (job->both || !job->pull)
    rids[n++] = _mer_repl_replication_id (job->local_id, job->remote_id);
  for (guint i = 1; i < n; i++)
    {
      g_autofree char *escaped = _mer_repl_escape_id (rids[i]);

      urls[i] = g_strconcat (job->url, "/", escaped, NULL);
    }
  /* Without a name, a hub that lets no outsider in refuses each of these:
   * the database is asked alone first, and the sync stops there. */
  if (job->auth == NULL)
    ok = _mer_repl_job_check_remote_db (job, error)
         && _mer_repl_job_request_parallel (job, n - 1, methods + 1, urls + 1, NULL,
                                            statuses + 1, replies + 1, error);
  else
    ok = _mer_repl_job_request_parallel (job, n, methods, urls, NULL, statuses, replies, error);
  if (ok && job->auth != NULL)
    {
      gsize size = 0;
      const char *data = g_bytes_get_data (replies[0], &size);

      db_reply = size > 0 ? mer_json_parse (data, (gssize) size, NULL) : NULL;
      ok = check_db_answer (job, statuses[0], db_reply, error);
    }
  if (ok)
    job->prefetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_checkpoint);
  for (guint i = 1; ok && i < n; i++)
    {
      gsize size = 0;
      const char *data = g_bytes_get_data (replies[i], &size);
      g_autoptr(JsonNode) reply = size > 0 ? mer_json_parse (data, (gssize) size, NULL) : NULL;

      /* Anything unexpected is left for the direction to ask again and
       * report as it always has. */
      if (statuses[i] == 200 && _mer_repl_reply_object (reply) != NULL)
        g_hash_table_insert (job->prefetched, g_strdup (rids[i]),
                             json_object_ref (_mer_repl_reply_object (reply)));
      else if (statuses[i] == 404 || statuses[i] == 403)
        g_hash_table_insert (job->prefetched, g_strdup (rids[i]), NULL);
    }
  for (guint i = 0; i < n; i++)
    {
      g_clear_pointer (&replies[i], g_bytes_unref);
      g_free (rids[i]);
      if (i > 0)
        g_free ((char *) urls[i]);
    }
  return ok;
}

/* Reads a checkpoint document, local or remote. NULL when there is none. */
static JsonObject *
get_checkpoint (Job         *job,
                gboolean     remote,
                const char  *rid,
                GError     **error)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *url = NULL;
  g_autofree char *escaped = NULL;
  guint status = 0;

  if (!remote)
    {
      g_autoptr(GError) local_error = NULL;
      JsonObject *doc = mer_store_get_local (job->store, rid, &local_error);

      if (doc == NULL && !g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return doc;
    }

  if (job->prefetched != NULL)
    {
      gpointer doc = NULL;

      /* Read at the start (see _mer_repl_job_open()); used once. */
      if (g_hash_table_steal_extended (job->prefetched, rid, NULL, &doc))
        return doc;
    }
  escaped = _mer_repl_escape_id (rid);
  url = g_strconcat (job->url, "/", escaped, NULL);
  if (!_mer_repl_job_request (job, "GET", url, NULL, &status, &reply, error))
    return NULL;
  if (status == 200 && _mer_repl_reply_object (reply) != NULL)
    return json_object_ref (_mer_repl_reply_object (reply));
  if (status == 404 || status == 403)
    return NULL;
  _mer_repl_set_status_error (job, _("reading the checkpoint"), status, reply, error);
  return NULL;
}

/* Adds this session's last_seq to a checkpoint document, PouchDB's way. */
static void
checkpoint_record (Job        *job,
                   JsonObject *doc,
                   JsonNode   *seq)
{
  JsonArray *old = json_object_has_member (doc, "history")
                   && JSON_NODE_HOLDS_ARRAY (json_object_get_member (doc, "history"))
                   ? json_object_get_array_member (doc, "history") : NULL;
  g_autoptr(JsonArray) history = json_array_new ();
  JsonObject *entry = json_object_new ();

  json_object_set_member (entry, "last_seq", json_node_copy (seq));
  json_object_set_string_member (entry, "session_id", job->session_id);
  json_array_add_object_element (history, entry);
  for (guint i = 0; old != NULL && i < json_array_get_length (old)
                    && json_array_get_length (history) < CHECKPOINT_HISTORY; i++)
    {
      JsonNode *node = json_array_get_element (old, i);

      if (!JSON_NODE_HOLDS_OBJECT (node)
          || g_strcmp0 (mer_json_get_string (json_node_get_object (node), "session_id"),
                        job->session_id) == 0)
        continue;
      json_array_add_element (history, json_node_copy (node));
    }
  json_object_set_array_member (doc, "history", g_steal_pointer (&history));
  json_object_set_string_member (doc, "session_id", job->session_id);
  json_object_set_string_member (doc, "replicator", "meridian");
  json_object_set_int_member (doc, "version", 1);
  json_object_set_member (doc, "last_seq", json_node_copy (seq));
}

gboolean
_mer_repl_put_local_checkpoint (Job         *job,
                                const char  *rid,
                                JsonNode    *seq,
                                GError     **error)
{
  g_autoptr(JsonObject) doc = get_checkpoint (job, FALSE, rid, error);
  g_autofree char *rev = NULL;

  if (doc == NULL)
    {
      if (error && *error)
        return FALSE;
      doc = json_object_new ();
      json_object_set_string_member (doc, "_id", rid);
    }
  checkpoint_record (job, doc, seq);
  rev = mer_store_put_local (job->store, doc, error);
  return rev != NULL;
}

/*
 * Writes the remote checkpoint. The last written copy is kept so that each
 * batch costs one PUT; a stale revision (409) is read again. A peer that
 * refuses the write (a read-only account) only loses the resume point.
 */
gboolean
_mer_repl_put_remote_checkpoint (Job         *job,
                                 const char  *rid,
                                 JsonNode    *seq,
                                 GError     **error)
{
  g_autofree char *escaped = _mer_repl_escape_id (rid);
  g_autofree char *url = g_strconcat (job->url, "/", escaped, NULL);

  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autoptr(JsonNode) body = NULL;
      g_autoptr(JsonNode) reply = NULL;
      JsonObject *doc;
      guint status = 0;

      if (job->remote_checkpoint == NULL)
        {
          job->remote_checkpoint = get_checkpoint (job, TRUE, rid, error);
          if (job->remote_checkpoint == NULL)
            {
              if (error && *error)
                return FALSE;
              job->remote_checkpoint = json_object_new ();
              json_object_set_string_member (job->remote_checkpoint, "_id", rid);
            }
        }
      doc = job->remote_checkpoint;
      checkpoint_record (job, doc, seq);
      body = json_node_init_object (json_node_alloc (), doc);
      if (!_mer_repl_job_request (job, "PUT", url, body, &status, &reply, error))
        return FALSE;
      if (status == 201 || status == 200 || status == 202)
        {
          const char *rev = _mer_repl_reply_object (reply) ? mer_json_get_string (_mer_repl_reply_object (reply), "rev") : NULL;

          if (rev != NULL)
            json_object_set_string_member (doc, "_rev", rev);
          return TRUE;
        }
      g_clear_pointer (&job->remote_checkpoint, json_object_unref);
      if (status == 403)
        return TRUE;
      if (status != 409)
        {
          _mer_repl_set_status_error (job, _("writing the checkpoint"), status, reply, error);
          return FALSE;
        }
    }
  g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
               _("%s kept refusing the checkpoint as a conflict"), job->url);
  return FALSE;
}

static gboolean
history_has_session (JsonObject *doc,
                     const char *session_id)
{
  JsonArray *history = json_object_has_member (doc, "history")
                       && JSON_NODE_HOLDS_ARRAY (json_object_get_member (doc, "history"))
                       ? json_object_get_array_member (doc, "history") : NULL;

  for (guint i = 0; history != NULL && i < json_array_get_length (history); i++)
    {
      JsonNode *node = json_array_get_element (history, i);

      if (JSON_NODE_HOLDS_OBJECT (node)
          && g_strcmp0 (mer_json_get_string (json_node_get_object (node), "session_id"), session_id) == 0)
        return TRUE;
    }
  return FALSE;
}

/*
 * Where to start: the source's last_seq if both sides recorded the same
 * session, else the newest session both histories share, else the start.
 * The target is read first: if it has nothing, the source's word is moot.
 */
JsonNode *
_mer_repl_read_start_seq (Job         *job,
                          const char  *rid,
                          GError     **error)
{
  g_autoptr(JsonObject) target = NULL;
  g_autoptr(JsonObject) source = NULL;
  const char *session;
  JsonArray *history;

  target = get_checkpoint (job, job->pull ? FALSE : TRUE, rid, error);
  if (target == NULL)
    return (error && *error) ? NULL : json_node_init_int (json_node_alloc (), 0);
  source = get_checkpoint (job, job->pull ? TRUE : FALSE, rid, error);
  if (source == NULL)
    return (error && *error) ? NULL : json_node_init_int (json_node_alloc (), 0);
  if (!job->pull)
    job->remote_checkpoint = json_object_ref (target);
  else
    job->remote_checkpoint = json_object_ref (source);

  session = mer_json_get_string (source, "session_id");
  if (session != NULL && g_strcmp0 (session, mer_json_get_string (target, "session_id")) == 0
      && json_object_has_member (source, "last_seq"))
    return json_node_copy (json_object_get_member (source, "last_seq"));

  history = json_object_has_member (source, "history")
            && JSON_NODE_HOLDS_ARRAY (json_object_get_member (source, "history"))
            ? json_object_get_array_member (source, "history") : NULL;
  for (guint i = 0; history != NULL && i < json_array_get_length (history); i++)
    {
      JsonNode *node = json_array_get_element (history, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (entry != NULL && json_object_has_member (entry, "last_seq")
          && history_has_session (target, mer_json_get_string (entry, "session_id")))
        return json_node_copy (json_object_get_member (entry, "last_seq"));
    }
  return json_node_init_int (json_node_alloc (), 0);
}

/*
 * Writes a one-shot sync's remote checkpoints on a thread and connection
 * of its own, so that the sync goes on to the next batch instead of
 * waiting for the peer to store each one (CouchDB syncs every write to
 * disk). Only the newest seq waiting is written: checkpoints only move
 * forward, and each one is posted after its batch is written here, so
 * none can run ahead of the local replica.
 */
struct _RemoteCheckpoints
{
  Job      *job;      /* a copy with its own session; owns the remote
                       * checkpoint document while the thread runs */
  char     *rid;
  GMutex    lock;
  GCond     cond;
  JsonNode *next;     /* the newest seq to write, or NULL */
  gboolean  stop;
  GError   *error;    /* the first failure */
  GThread  *thread;
};

static gpointer
remote_checkpoints_thread (gpointer user_data)
{
  RemoteCheckpoints *writer = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  writer->job->session = _mer_repl_new_session (writer->job);
  for (;;)
    {
      g_autoptr(JsonNode) seq = NULL;
      g_autoptr(GError) error = NULL;

      g_mutex_lock (&writer->lock);
      while (writer->next == NULL && !writer->stop)
        g_cond_wait (&writer->cond, &writer->lock);
      seq = g_steal_pointer (&writer->next);
      g_mutex_unlock (&writer->lock);
      if (seq == NULL)
        break;
      if (!_mer_repl_put_remote_checkpoint (writer->job, writer->rid, seq, &error))
        {
          g_mutex_lock (&writer->lock);
          if (writer->error == NULL)
            writer->error = g_steal_pointer (&error);
          writer->stop = TRUE;
          g_clear_pointer (&writer->next, json_node_unref);
          g_mutex_unlock (&writer->lock);
          break;
        }
    }
  g_clear_object (&writer->job->session);
  g_main_context_pop_thread_default (context);
  return NULL;
}

RemoteCheckpoints *
_mer_repl_remote_checkpoints_start (Job        *job,
                           const char *rid)
{
  RemoteCheckpoints *writer = g_new0 (RemoteCheckpoints, 1);

  writer->job = _mer_repl_job_copy_for_requests (job);
  writer->job->remote_checkpoint = g_steal_pointer (&job->remote_checkpoint);
  if (job->prefetched != NULL)
    {
      gpointer doc = NULL;

      /* The checkpoint read at the start, unless read_start_seq() used it. */
      if (g_hash_table_steal_extended (job->prefetched, rid, NULL, &doc))
        {
          if (writer->job->remote_checkpoint == NULL && doc == NULL)
            {
              doc = json_object_new ();
              json_object_set_string_member (doc, "_id", rid);
            }
          if (writer->job->remote_checkpoint == NULL)
            writer->job->remote_checkpoint = doc;
          else if (doc != NULL)
            json_object_unref (doc);
        }
    }
  writer->job->session_id = g_strdup (job->session_id);
  writer->rid = g_strdup (rid);
  g_mutex_init (&writer->lock);
  g_cond_init (&writer->cond);
  writer->thread = g_thread_new ("mer-checkpoint", remote_checkpoints_thread, writer);
  return writer;
}

/* Hands the thread a seq to record. FALSE, with the error, once a write
 * failed. */
gboolean
_mer_repl_remote_checkpoints_post (RemoteCheckpoints  *writer,
                          JsonNode            *seq,
                          GError             **error)
{
  gboolean ok;

  g_mutex_lock (&writer->lock);
  ok = writer->error == NULL;
  if (ok)
    {
      g_clear_pointer (&writer->next, json_node_unref);
      /* Its own copy: json-glib counts references without atomics. */
      writer->next = _mer_repl_seq_copy (seq);
      g_cond_signal (&writer->cond);
    }
  else if (error != NULL)
    *error = g_error_copy (writer->error);
  g_mutex_unlock (&writer->lock);
  return ok;
}

/* Writes the last seq posted, ends the thread, and says whether every
 * write succeeded. */
gboolean
_mer_repl_remote_checkpoints_finish (RemoteCheckpoints  *writer,
                            GError             **error)
{
  gboolean ok;

  g_mutex_lock (&writer->lock);
  writer->stop = TRUE;
  g_cond_signal (&writer->cond);
  g_mutex_unlock (&writer->lock);
  g_thread_join (writer->thread);
  ok = writer->error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&writer->error));
  _mer_repl_job_free (writer->job);
  g_free (writer->rid);
  g_mutex_clear (&writer->lock);
  g_cond_clear (&writer->cond);
  g_free (writer);
  return ok;
}

/* Adds the revisions of a _changes row to a revs_diff request. */
void
_mer_repl_add_row_revs (JsonObject *request,
                        JsonObject *row)
{
  const char *id = mer_json_get_string (row, "id");
  JsonArray *changes;
  JsonArray *revs;

  if (id == NULL || g_str_has_prefix (id, "_local/")
      || !json_object_has_member (row, "changes")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (row, "changes")))
    return;
  changes = json_object_get_array_member (row, "changes");
  if (!json_object_has_member (request, id))
    json_object_set_array_member (request, id, json_array_new ());
  revs = json_object_get_array_member (request, id);
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonNode *node = json_array_get_element (changes, i);
      const char *rev = JSON_NODE_HOLDS_OBJECT (node)
                        ? mer_json_get_string (json_node_get_object (node), "rev") : NULL;

      if (rev != NULL)
        json_array_add_string_element (revs, rev);
    }
}

/* Adds the {"ok": doc} entries of an open_revs-shaped array to docs. */
guint
_mer_repl_collect_ok_docs (JsonArray *entries,
                           JsonArray *docs)
{
  guint errors = 0;

  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonNode *node = json_array_get_element (entries, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (entry != NULL && json_object_has_member (entry, "ok")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (entry, "ok")))
        json_array_add_element (docs, json_node_ref (json_object_get_member (entry, "ok")));
      else
        errors++;
    }
  return errors;
}

