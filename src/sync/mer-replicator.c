/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The replication client: CouchDB's replication protocol, as PouchDB and
 * Apache CouchDB speak it, between the local replica and a peer's database
 * (another Meridian, a PouchDB server or a CouchDB cluster).
 *
 * Each direction runs on a worker thread of its own, with its own store
 * connection and its own SoupSession, so neither the network nor a large
 * write ever waits on the caller's main loop; progress and state reach the
 * MerReplicator object on the caller's main context. Checkpoints are
 * PouchDB-style _local documents on both sides, written after every batch,
 * so an interrupted sync resumes where it stopped. Remote sequence values
 * are kept as raw JSON and only ever sent back.
 */

#include "config.h"

#include "mer-replicator.h"
#include "mer-json.h"
#include "mer-merge.h"
#include "mer-peers.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#define LONGPOLL_TIMEOUT_MS   25000
#define PUSH_POLL_INTERVAL_MS 10
#define BACKOFF_START_MS      250
#define BACKOFF_MAX_MS        60000
#define CHECKPOINT_HISTORY    5
#define PENDING_CAP           100000
#define PUSH_MARK_PREFIX      "_local/meridian-push-"

struct _MerReplicator
{
  GObject                 parent_instance;

  MerStore               *store;
  char                   *data_dir;
  char                   *url;          /* database URL, no credentials */
  char                   *username;
  char                   *password;
  MerReplicatorDirection  direction;
  gboolean                continuous;
  guint                   batch_size;
  guint                   max_retries;  /* one-shot runs only */

  GCancellable           *cancellable;  /* of the running sync */
  gboolean                running;

  MerReplicatorState      state;
  char                   *error_message;
  guint64                 pulled;
  guint64                 pushed;
  guint64                 docs_read;
  guint64                 docs_written;
  guint64                 changes_fetched;
  guint                   conflicts_merged;
  guint                   conflicts_left;
  guint                   pending;
};

G_DEFINE_FINAL_TYPE (MerReplicator, mer_replicator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_DOCS_READ,
  PROP_DOCS_WRITTEN,
  PROP_CONFLICTS_MERGED,
  PROP_PENDING,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (mer-replicator-error-quark, mer_replicator_error)

/* One direction of one run, owned by its worker thread. */
typedef struct
{
  MerReplicator          *self;        /* touched only on the main context */
  GMainContext           *context;
  GTask                  *task;
  gboolean                pull;        /* FALSE: push */
  gboolean                both;        /* one-shot: pull, then push */
  gboolean                continuous;
  guint                   batch_size;
  guint                   max_retries;
  char                   *data_dir;
  char                   *url;
  char                   *root_url;
  char                   *auth;        /* "Basic ..." or NULL */
  GCancellable           *cancellable;

  MerStore               *store;
  SoupSession            *session;
  char                   *session_id;
  char                   *local_id;
  char                   *remote_id;
  gboolean                no_bulk_get;
  gboolean                offline;
  JsonObject             *remote_checkpoint;  /* last one written there */
  GError                 *error;
} Job;

/* Counters and state a worker hands to the main context. */
typedef struct
{
  MerReplicator *self;
  int            state;        /* -1: unchanged */
  char          *message;
  guint64        pulled;
  guint64        pushed;
  guint64        read;
  guint64        written;
  guint64        changes;
  guint          merged;
  int            left;         /* -1: unchanged */
  int            pending;      /* -1: unchanged */
  gboolean       changed;      /* the local store was written */
} Update;

typedef struct
{
  guint   jobs_left;
  GError *error;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_error (&data->error);
  g_free (data);
}

static void
update_free (Update *update)
{
  g_object_unref (update->self);
  g_free (update->message);
  g_free (update);
}

static void
set_state (MerReplicator      *self,
           MerReplicatorState  state,
           const char         *message)
{
  if (state == MER_REPLICATOR_STATE_ERROR || state == MER_REPLICATOR_STATE_OFFLINE)
    {
      if (g_strcmp0 (self->error_message, message) != 0)
        {
          g_free (self->error_message);
          self->error_message = g_strdup (message);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
        }
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

static gboolean
apply_update_cb (gpointer user_data)
{
  Update *update = user_data;
  MerReplicator *self = update->self;

  if (update->state >= 0)
    set_state (self, update->state, update->message);
  self->pulled += update->pulled;
  self->pushed += update->pushed;
  self->changes_fetched += update->changes;
  if (update->read > 0)
    {
      self->docs_read += update->read;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCS_READ]);
    }
  if (update->written > 0)
    {
      self->docs_written += update->written;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCS_WRITTEN]);
    }
  if (update->merged > 0)
    {
      self->conflicts_merged += update->merged;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFLICTS_MERGED]);
    }
  if (update->left >= 0)
    self->conflicts_left = update->left;
  if (update->pending >= 0 && (guint) update->pending != self->pending)
    {
      self->pending = update->pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
    }
  if (update->changed)
    g_signal_emit (self, signals[CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static Update *
update_new (Job *job)
{
  Update *update = g_new0 (Update, 1);

  update->self = g_object_ref (job->self);
  update->state = -1;
  update->left = -1;
  update->pending = -1;
  return update;
}

static void
post_update (Job    *job,
             Update *update)
{
  g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, apply_update_cb,
                              update, (GDestroyNotify) update_free);
}

static void
post_state (Job                *job,
            MerReplicatorState  state,
            const char         *message)
{
  Update *update = update_new (job);

  update->state = state;
  update->message = g_strdup (message);
  post_update (job, update);
}

/* Sleeps, waking early when the run is cancelled. FALSE if cancelled. */
static gboolean
sleep_cancellable (GCancellable *cancellable,
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

static char *
escape_id (const char *id)
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
static char *
seq_to_param (JsonNode *seq)
{
  g_autofree char *text = NULL;

  if (seq == NULL)
    return g_strdup ("0");
  if (JSON_NODE_HOLDS_VALUE (seq) && json_node_get_value_type (seq) == G_TYPE_STRING)
    return g_uri_escape_string (json_node_get_string (seq), NULL, FALSE);
  text = mer_json_to_string (seq, FALSE);
  return g_uri_escape_string (text, NULL, FALSE);
}

static gboolean
is_transient_status (guint status)
{
  return status >= 500 || status == 408 || status == 429;
}

/*
 * Sends one request to the peer and parses the JSON reply. Network errors
 * and 5xx answers are retried with exponential backoff: forever in
 * continuous mode (the state says offline meanwhile), max_retries times in
 * a one-shot run. Any other status is returned to the caller to judge.
 */
static gboolean
job_request (Job         *job,
             const char  *method,
             const char  *url,
             JsonNode    *body,
             guint       *status_out,
             JsonNode   **reply_out,
             GError     **error)
{
  g_autofree char *body_text = body ? mer_json_to_string (body, FALSE) : NULL;
  guint delay = BACKOFF_START_MS;

  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new (method, url);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *reason = NULL;
      SoupMessageHeaders *headers;
      guint status = 0;

      if (msg == NULL)
        {
          g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
                       _("Invalid request address %s"), url);
          return FALSE;
        }
      headers = soup_message_get_request_headers (msg);
      soup_message_headers_replace (headers, "Accept", "application/json");
      if (job->auth != NULL)
        soup_message_headers_replace (headers, "Authorization", job->auth);
      if (body_text != NULL)
        {
          g_autoptr(GBytes) payload = g_bytes_new_static (body_text, strlen (body_text));

          soup_message_set_request_body_from_bytes (msg, "application/json", payload);
        }

      bytes = soup_session_send_and_read (job->session, msg, job->cancellable, &local_error);
      if (bytes != NULL)
        status = soup_message_get_status (msg);

      if (bytes != NULL && !is_transient_status (status))
        {
          gsize size = 0;
          const char *data = g_bytes_get_data (bytes, &size);

          if (job->offline)
            {
              job->offline = FALSE;
              post_state (job, MER_REPLICATOR_STATE_SYNCING, NULL);
            }
          if (status_out)
            *status_out = status;
          if (reply_out)
            {
              *reply_out = NULL;
              if (size > 0)
                {
                  *reply_out = mer_json_parse (data, (gssize) size, &local_error);
                  if (*reply_out == NULL && status < 300)
                    {
                      g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
                                   _("The peer answered %s %s with something that is not JSON: %s"),
                                   method, url, local_error->message);
                      return FALSE;
                    }
                }
            }
          return TRUE;
        }

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      reason = local_error != NULL
               ? g_strdup (local_error->message)
               : g_strdup_printf ("%u %s", status, soup_status_get_phrase (status));

      if (!job->continuous && attempt >= job->max_retries)
        {
          g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_UNREACHABLE,
                       _("Could not reach %s: %s"), job->url, reason);
          return FALSE;
        }
      if (!job->offline)
        {
          g_autofree char *message = g_strdup_printf (_("Could not reach %s: %s"), job->url, reason);

          job->offline = TRUE;
          post_state (job, MER_REPLICATOR_STATE_OFFLINE, message);
        }
      g_debug ("%s %s failed (%s); retrying in %u ms", method, url, reason, delay);
      if (!sleep_cancellable (job->cancellable, delay))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Sync cancelled"));
          return FALSE;
        }
      delay = MIN (delay * 2, BACKOFF_MAX_MS);
    }
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
static void
set_status_error (Job         *job,
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
  else
    g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
                 _("%s failed %s (%u %s) %s"), job->url, what, status,
                 soup_status_get_phrase (status), reason);
}

static JsonObject *
reply_object (JsonNode *reply)
{
  return reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
}

/*
 * The replication id, as PouchDB computes it for an unfiltered replication:
 * base64 of md5 over the source and target ids, made URL-safe.
 */
static char *
replication_id (const char *source_id,
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

/* Finds the peer's stable id: its server uuid plus the database name. */
static gboolean
job_identify_remote (Job     *job,
                     GError **error)
{
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *object;
  guint status = 0;
  const char *db_name = strrchr (job->url, '/') + 1;

  if (!job_request (job, "GET", job->root_url, NULL, &status, &reply, error))
    return FALSE;
  object = reply_object (reply);
  if (status == 200 && object != NULL && mer_json_get_string (object, "uuid") != NULL)
    job->remote_id = g_strconcat (mer_json_get_string (object, "uuid"), db_name, NULL);
  else
    job->remote_id = g_strdup (job->url);
  return TRUE;
}

/*
 * Makes sure the remote database exists. A pull needs it; a push creates
 * it, as PouchDB does, when the account may.
 */
static gboolean
job_check_remote_db (Job     *job,
                     GError **error)
{
  g_autoptr(JsonNode) reply = NULL;
  guint status = 0;

  if (!job_request (job, "GET", job->url, NULL, &status, &reply, error))
    return FALSE;
  if (status == 200)
    return TRUE;
  if (status == 404 && !job->pull)
    {
      g_clear_pointer (&reply, json_node_unref);
      if (!job_request (job, "PUT", job->url, NULL, &status, &reply, error))
        return FALSE;
      if (status == 201 || status == 202 || status == 412)
        return TRUE;
      set_status_error (job, _("to create the database"), status, reply, error);
      return FALSE;
    }
  if (status == 404)
    {
      g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_NOT_FOUND,
                   _("%s does not exist"), job->url);
      return FALSE;
    }
  set_status_error (job, _("access to the database"), status, reply, error);
  return FALSE;
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

  escaped = escape_id (rid);
  url = g_strconcat (job->url, "/", escaped, NULL);
  if (!job_request (job, "GET", url, NULL, &status, &reply, error))
    return NULL;
  if (status == 200 && reply_object (reply) != NULL)
    return json_object_ref (reply_object (reply));
  if (status == 404 || status == 401 || status == 403)
    return NULL;
  set_status_error (job, _("reading the checkpoint"), status, reply, error);
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

static gboolean
put_local_checkpoint (Job         *job,
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
static gboolean
put_remote_checkpoint (Job         *job,
                       const char  *rid,
                       JsonNode    *seq,
                       GError     **error)
{
  g_autofree char *escaped = escape_id (rid);
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
      if (!job_request (job, "PUT", url, body, &status, &reply, error))
        return FALSE;
      if (status == 201 || status == 200 || status == 202)
        {
          const char *rev = reply_object (reply) ? mer_json_get_string (reply_object (reply), "rev") : NULL;

          if (rev != NULL)
            json_object_set_string_member (doc, "_rev", rev);
          return TRUE;
        }
      g_clear_pointer (&job->remote_checkpoint, json_object_unref);
      if (status == 401 || status == 403)
        return TRUE;
      if (status != 409)
        {
          set_status_error (job, _("writing the checkpoint"), status, reply, error);
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
static JsonNode *
read_start_seq (Job         *job,
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

/* Adds the revisions of a _changes row to a revs_diff request. */
static void
add_row_revs (JsonObject *request,
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
static guint
collect_ok_docs (JsonArray *entries,
                 JsonArray *docs)
{
  guint errors = 0;

  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonNode *node = json_array_get_element (entries, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (entry != NULL && json_object_has_member (entry, "ok")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (entry, "ok")))
        json_array_add_element (docs, json_node_copy (json_object_get_member (entry, "ok")));
      else
        errors++;
    }
  return errors;
}

/* Fetches one document's revisions with GET ?open_revs=, the old way. */
static gboolean
fetch_open_revs (Job         *job,
                 const char  *id,
                 JsonArray   *revs,
                 JsonArray   *docs,
                 GError     **error)
{
  g_autoptr(JsonNode) revs_node = json_node_init_array (json_node_alloc (), revs);
  g_autofree char *revs_text = mer_json_to_string (revs_node, FALSE);
  g_autofree char *revs_param = g_uri_escape_string (revs_text, NULL, FALSE);
  g_autofree char *escaped = escape_id (id);
  g_autofree char *url = g_strdup_printf ("%s/%s?revs=true&latest=true&open_revs=%s",
                                          job->url, escaped, revs_param);
  g_autoptr(JsonNode) reply = NULL;
  guint status = 0;

  if (!job_request (job, "GET", url, NULL, &status, &reply, error))
    return FALSE;
  if (status != 200 || reply == NULL || !JSON_NODE_HOLDS_ARRAY (reply))
    {
      set_status_error (job, _("fetching a document"), status, reply, error);
      return FALSE;
    }
  if (collect_ok_docs (json_node_get_array (reply), docs) > 0)
    g_debug ("%s: some revisions of %s are missing on the peer", job->url, id);
  return TRUE;
}

/*
 * Fetches the missing revisions of a batch with one _bulk_get. A peer that
 * does not know _bulk_get (any 4xx/5xx answer) is asked per document from
 * then on, as PouchDB does.
 */
static gboolean
fetch_missing (Job         *job,
               JsonObject  *missing,
               JsonArray   *docs,
               GError     **error)
{
  g_autoptr(GList) ids = json_object_get_members (missing);

  if (!job->no_bulk_get)
    {
      g_autoptr(JsonObject) request = json_object_new ();
      g_autoptr(JsonArray) wanted = json_array_new ();
      g_autoptr(JsonNode) body = NULL;
      g_autoptr(JsonNode) reply = NULL;
      g_autofree char *url = g_strconcat (job->url, "/_bulk_get?revs=true&latest=true", NULL);
      JsonObject *object;
      JsonArray *results;
      guint status = 0;

      for (GList *l = ids; l; l = l->next)
        {
          JsonObject *entry = json_object_get_object_member (missing, l->data);
          JsonArray *revs = json_object_get_array_member (entry, "missing");

          for (guint i = 0; revs != NULL && i < json_array_get_length (revs); i++)
            {
              JsonObject *item = json_object_new ();

              json_object_set_string_member (item, "id", l->data);
              json_object_set_string_member (item, "rev", json_array_get_string_element (revs, i));
              json_array_add_object_element (wanted, item);
            }
        }
      json_object_set_array_member (request, "docs", g_steal_pointer (&wanted));
      body = json_node_init_object (json_node_alloc (), request);
      if (!job_request (job, "POST", url, body, &status, &reply, error))
        return FALSE;
      object = reply_object (reply);
      if (status == 401 || status == 403)
        {
          set_status_error (job, _("fetching documents"), status, reply, error);
          return FALSE;
        }
      if (status == 200 && object != NULL && json_object_has_member (object, "results"))
        {
          results = json_object_get_array_member (object, "results");
          for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
            {
              JsonNode *node = json_array_get_element (results, i);
              JsonObject *result = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

              if (result != NULL && json_object_has_member (result, "docs"))
                collect_ok_docs (json_object_get_array_member (result, "docs"), docs);
            }
          return TRUE;
        }
      g_debug ("%s: no usable _bulk_get (%u); fetching documents one by one", job->url, status);
      job->no_bulk_get = TRUE;
    }

  for (GList *l = ids; l; l = l->next)
    {
      JsonObject *entry = json_object_get_object_member (missing, l->data);
      JsonArray *revs = json_object_get_array_member (entry, "missing");

      if (revs != NULL && !fetch_open_revs (job, l->data, json_array_ref (revs), docs, error))
        return FALSE;
    }
  return TRUE;
}

static void write_push_mark (Job    *job,
                             gint64  seq);
static gint64 read_push_mark (MerStore   *store,
                              const char *url);

static guint
count_conflicted (Job *job)
{
  g_auto(GStrv) ids = mer_store_list_conflicted (job->store, NULL);

  return ids ? g_strv_length (ids) : 0;
}

/* What the fetcher hands the writer: one batch, the end, or an error. */
typedef struct
{
  JsonArray *docs;      /* revisions with _revisions, ready to graft */
  JsonNode  *last_seq;  /* the remote seq to checkpoint after writing */
  guint      rows;      /* changes rows the batch covered */
  gboolean   end;       /* one-shot run caught up: nothing follows */
  GError    *error;
} PullBatch;

static void
pull_batch_free (PullBatch *batch)
{
  g_clear_pointer (&batch->docs, json_array_unref);
  g_clear_pointer (&batch->last_seq, json_node_unref);
  g_clear_error (&batch->error);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PullBatch, pull_batch_free)

/*
 * The fetching half of a pull, on a thread of its own with its own HTTP
 * session and store connection, so that the peer prepares the next batch
 * while this side writes the last one. Writing a revision twice is
 * harmless, so fetching ahead of the writes cannot lose or duplicate.
 */
typedef struct
{
  Job         *job;       /* the fetcher's own session and connection */
  JsonNode    *since;
  GAsyncQueue *batches;   /* PullBatch, to the writer */
  GAsyncQueue *tokens;    /* free slots, from the writer: bounds read-ahead */
  GThread     *thread;
} Fetcher;

/*
 * Reads one page of the peer's changes and fetches the revisions this
 * replica lacks. Returns a batch with rows == 0 when the feed had nothing.
 */
static PullBatch *
fetch_batch (Job      *job,
             JsonNode **since,
             gboolean   longpoll,
             GError   **error)
{
  g_autofree char *since_param = seq_to_param (*since);
  g_autofree char *url = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonObject) missing = NULL;
  g_autoptr(PullBatch) batch = g_new0 (PullBatch, 1);
  JsonObject *object;
  JsonArray *results;
  JsonNode *last_seq = NULL;
  guint status = 0;

  url = g_strdup_printf ("%s/_changes?style=all_docs&since=%s&limit=%u%s", job->url,
                         since_param, job->batch_size,
                         longpoll ? "&feed=longpoll&timeout=" G_STRINGIFY (LONGPOLL_TIMEOUT_MS) : "");
  if (!job_request (job, "GET", url, NULL, &status, &reply, error))
    return NULL;
  object = reply_object (reply);
  if (status != 200 || object == NULL || !json_object_has_member (object, "results")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "results")))
    {
      set_status_error (job, _("the changes feed"), status, reply, error);
      return NULL;
    }
  results = json_object_get_array_member (object, "results");
  batch->rows = json_array_get_length (results);
  batch->docs = json_array_new ();
  if (batch->rows == 0)
    {
      /* An empty longpoll answer still moves the feed forward. */
      if (longpoll && json_object_has_member (object, "last_seq")
          && !JSON_NODE_HOLDS_NULL (json_object_get_member (object, "last_seq")))
        {
          json_node_unref (*since);
          *since = json_node_copy (json_object_get_member (object, "last_seq"));
        }
      return g_steal_pointer (&batch);
    }

  if (longpoll)
    post_state (job, MER_REPLICATOR_STATE_SYNCING, NULL);

  for (guint i = 0; i < batch->rows; i++)
    {
      JsonNode *node = json_array_get_element (results, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      add_row_revs (request, json_node_get_object (node));
      if (json_object_has_member (json_node_get_object (node), "seq"))
        last_seq = json_object_get_member (json_node_get_object (node), "seq");
    }
  if (last_seq == NULL || JSON_NODE_HOLDS_NULL (last_seq))
    last_seq = json_object_get_member (object, "last_seq");
  if (last_seq == NULL)
    {
      g_set_error (error, MER_REPLICATOR_ERROR, MER_REPLICATOR_ERROR_PROTOCOL,
                   _("%s sent changes without sequence values"), job->url);
      return NULL;
    }
  batch->last_seq = json_node_copy (last_seq);
  json_node_unref (*since);
  *since = json_node_copy (last_seq);

  missing = mer_store_revs_diff (job->store, request, error);
  if (missing == NULL)
    return NULL;
  if (json_object_get_size (missing) > 0 && !fetch_missing (job, missing, batch->docs, error))
    return NULL;
  return g_steal_pointer (&batch);
}

static gpointer
fetcher_thread (gpointer user_data)
{
  Fetcher *fetcher = user_data;
  Job *job = fetcher->job;
  g_autoptr(GMainContext) context = g_main_context_new ();
  gboolean caught_up = FALSE;

  g_main_context_push_thread_default (context);
  job->session = soup_session_new_with_options ("timeout", (guint) (LONGPOLL_TIMEOUT_MS / 1000 + 60),
                                                "idle-timeout", 60,
                                                "user-agent", "Meridian/" PACKAGE_VERSION,
                                                NULL);
  for (;;)
    {
      GError *error = NULL;
      PullBatch *batch;

      g_async_queue_pop (fetcher->tokens);
      if (g_cancellable_set_error_if_cancelled (job->cancellable, &error))
        batch = NULL;
      else
        batch = fetch_batch (job, &fetcher->since, job->continuous && caught_up, &error);
      if (batch == NULL)
        {
          batch = g_new0 (PullBatch, 1);
          batch->error = error;
          g_async_queue_push (fetcher->batches, batch);
          break;
        }
      if (batch->rows < job->batch_size)
        {
          if (!job->continuous)
            {
              PullBatch *end = g_new0 (PullBatch, 1);

              end->end = TRUE;
              if (batch->rows > 0)
                g_async_queue_push (fetcher->batches, batch);
              else
                pull_batch_free (batch);
              g_async_queue_push (fetcher->batches, end);
              break;
            }
          if (!caught_up || batch->rows == 0)
            post_state (job, MER_REPLICATOR_STATE_IDLE, NULL);
          caught_up = TRUE;
        }
      else
        caught_up = FALSE;

      /* An empty longpoll answer is not worth the writer's attention. */
      if (batch->rows == 0)
        {
          pull_batch_free (batch);
          g_async_queue_push (fetcher->tokens, GINT_TO_POINTER (1));
        }
      else
        g_async_queue_push (fetcher->batches, batch);
    }
  g_clear_object (&job->session);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void job_free (Job *job);

static void
fetcher_cancel_cb (GCancellable *cancellable,
                   GCancellable *fetch_cancellable)
{
  g_cancellable_cancel (fetch_cancellable);
}

static Fetcher *
fetcher_start (Job       *job,
               JsonNode  *since,
               GError   **error)
{
  Fetcher *fetcher = g_new0 (Fetcher, 1);
  Job *copy = g_new0 (Job, 1);

  copy->self = g_object_ref (job->self);
  copy->context = g_main_context_ref (job->context);
  copy->pull = TRUE;
  copy->continuous = job->continuous;
  copy->batch_size = job->batch_size;
  copy->max_retries = job->max_retries;
  copy->data_dir = g_strdup (job->data_dir);
  copy->url = g_strdup (job->url);
  copy->root_url = g_strdup (job->root_url);
  copy->auth = g_strdup (job->auth);
  copy->no_bulk_get = job->no_bulk_get;
  copy->cancellable = g_cancellable_new ();
  g_cancellable_connect (job->cancellable, G_CALLBACK (fetcher_cancel_cb),
                         g_object_ref (copy->cancellable), g_object_unref);
  copy->store = mer_store_open (job->data_dir, error);
  if (copy->store == NULL)
    {
      job_free (copy);
      g_free (fetcher);
      return NULL;
    }

  fetcher->job = copy;
  fetcher->since = json_node_copy (since);
  fetcher->batches = g_async_queue_new_full ((GDestroyNotify) pull_batch_free);
  fetcher->tokens = g_async_queue_new ();
  /* Two batches in flight: one being written, one being fetched. */
  g_async_queue_push (fetcher->tokens, GINT_TO_POINTER (1));
  g_async_queue_push (fetcher->tokens, GINT_TO_POINTER (1));
  fetcher->thread = g_thread_new ("mer-fetch", fetcher_thread, fetcher);
  return fetcher;
}

static void
fetcher_stop (Fetcher *fetcher)
{
  g_cancellable_cancel (fetcher->job->cancellable);
  g_async_queue_push (fetcher->tokens, GINT_TO_POINTER (1));
  g_thread_join (fetcher->thread);
  g_async_queue_unref (fetcher->batches);
  g_async_queue_unref (fetcher->tokens);
  json_node_unref (fetcher->since);
  job_free (fetcher->job);
  g_free (fetcher);
}

/*
 * The writing half of a pull batch: one local write, the merge of the
 * pages that now have conflicts, then the checkpoints on both sides.
 */
static gboolean
write_batch (Job         *job,
             const char  *rid,
             PullBatch   *batch,
             GError     **error)
{
  MerMergeStats stats = { 0, 0 };
  guint64 written = 0;
  guint n_docs = json_array_get_length (batch->docs);
  guint left = 0;
  Update *update;

  if (n_docs > 0)
    {
      g_autoptr(JsonArray) failures = NULL;
      g_autoptr(GPtrArray) pages = g_ptr_array_new ();
      g_autoptr(GHashTable) conflicted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_auto(GStrv) ids = NULL;
      /* Pulled documents are not ours to send: when nothing local was
       * pending, the pending count stays at zero. */
      gboolean none_pending = read_push_mark (job->store, job->url) >= mer_store_get_update_seq (job->store);

      failures = mer_store_bulk_docs (job->store, batch->docs, FALSE, error);
      if (failures == NULL)
        return FALSE;
      written = n_docs - MIN (json_array_get_length (failures), n_docs);
      for (guint i = 0; i < json_array_get_length (failures); i++)
        {
          g_autofree char *text = mer_json_to_string (json_array_get_element (failures, i), FALSE);

          g_message ("%s: a document was refused: %s", job->url, text);
        }

      /* Only the pages of this batch that now have conflicts are merged. */
      ids = mer_store_list_conflicted (job->store, error);
      if (ids == NULL)
        return FALSE;
      for (guint i = 0; ids[i] != NULL; i++)
        g_hash_table_add (conflicted, g_strdup (ids[i]));
      for (guint i = 0; i < n_docs; i++)
        {
          const char *id = mer_json_get_string (json_array_get_object_element (batch->docs, i), "_id");

          if (id != NULL && g_str_has_prefix (id, "page:") && g_hash_table_remove (conflicted, id))
            g_ptr_array_add (pages, (gpointer) id);
        }
      left = g_hash_table_size (conflicted);
      g_ptr_array_add (pages, NULL);
      if (pages->len > 1
          && !mer_merge_docs (job->store, (const char * const *) pages->pdata, &stats, error))
        return FALSE;
      left = stats.merged > 0 ? count_conflicted (job) : left + pages->len - 1;
      if (none_pending && stats.merged == 0)
        write_push_mark (job, mer_store_get_update_seq (job->store));
    }
  else
    left = count_conflicted (job);

  if (!put_local_checkpoint (job, rid, batch->last_seq, error)
      || !put_remote_checkpoint (job, rid, batch->last_seq, error))
    return FALSE;

  update = update_new (job);
  update->changes = batch->rows;
  update->read = n_docs;
  update->written = written;
  update->pulled = written;
  update->merged = stats.merged;
  update->left = left;
  update->changed = written > 0;
  post_update (job, update);
  return TRUE;
}

static char *
push_mark_id (const char *url)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_MD5, url, -1);

  return g_strconcat (PUSH_MARK_PREFIX, hash, NULL);
}

/* The local sequence up to which everything was pushed to url. */
static gint64
read_push_mark (MerStore   *store,
                const char *url)
{
  g_autofree char *id = push_mark_id (url);
  g_autoptr(JsonObject) mark = mer_store_get_local (store, id, NULL);

  if (mark != NULL && json_object_has_member (mark, "seq"))
    return json_object_get_int_member (mark, "seq");
  return 0;
}

static void
write_push_mark (Job    *job,
                 gint64  seq)
{
  g_autofree char *id = push_mark_id (job->url);
  g_autoptr(JsonObject) doc = mer_store_get_local (job->store, id, NULL);
  g_autofree char *rev = NULL;

  if (doc == NULL)
    {
      doc = json_object_new ();
      json_object_set_string_member (doc, "_id", id);
    }
  json_object_set_string_member (doc, "url", job->url);
  json_object_set_int_member (doc, "seq", seq);
  rev = mer_store_put_local (job->store, doc, NULL);
}

static guint
count_changes_since (MerStore *store,
                     gint64    since)
{
  g_autoptr(JsonArray) rows = NULL;
  gint64 last = 0;

  rows = mer_store_changes (store, since, PENDING_CAP, FALSE, FALSE, &last, NULL);
  return rows ? json_array_get_length (rows) : 0;
}

/*
 * One push batch: a page of local changes, _revs_diff on the peer, the
 * missing revisions with their histories in one _bulk_docs, the checkpoint.
 */
static gboolean
push_batch (Job         *job,
            const char  *rid,
            gint64      *since,
            guint       *rows_out,
            GError     **error)
{
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonArray) docs = json_array_new ();
  g_autoptr(JsonNode) seq_node = NULL;
  g_autofree char *diff_url = g_strconcat (job->url, "/_revs_diff", NULL);
  g_autofree char *docs_url = g_strconcat (job->url, "/_bulk_docs", NULL);
  JsonObject *missing;
  gint64 last_seq = *since;
  guint64 refused = 0;
  guint status = 0;
  guint n;
  Update *update;

  rows = mer_store_changes (job->store, *since, job->batch_size, TRUE, FALSE, &last_seq, error);
  if (rows == NULL)
    return FALSE;
  n = json_array_get_length (rows);
  *rows_out = n;
  if (n == 0)
    return TRUE;
  if (job->continuous)
    post_state (job, MER_REPLICATOR_STATE_SYNCING, NULL);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      add_row_revs (request, row);
      if (json_object_has_member (row, "seq"))
        last_seq = json_object_get_int_member (row, "seq");
    }

  body = json_node_init_object (json_node_alloc (), request);
  if (!job_request (job, "POST", diff_url, body, &status, &reply, error))
    return FALSE;
  missing = reply_object (reply);
  if (status != 200 || missing == NULL)
    {
      set_status_error (job, _("comparing revisions"), status, reply, error);
      return FALSE;
    }

  if (json_object_get_size (missing) > 0)
    {
      g_autoptr(GList) ids = json_object_get_members (missing);
      g_autoptr(JsonObject) payload = json_object_new ();
      g_autoptr(JsonNode) payload_node = NULL;
      g_autoptr(JsonNode) result = NULL;

      for (GList *l = ids; l; l = l->next)
        {
          JsonNode *entry = json_object_get_member (missing, l->data);
          JsonArray *revs;
          g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
          g_autoptr(JsonArray) found = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (entry)
              || !json_object_has_member (json_node_get_object (entry), "missing"))
            continue;
          revs = json_object_get_array_member (json_node_get_object (entry), "missing");
          for (guint i = 0; revs != NULL && i < json_array_get_length (revs); i++)
            g_ptr_array_add (wanted, (gpointer) json_array_get_string_element (revs, i));
          g_ptr_array_add (wanted, NULL);
          found = mer_store_open_revs (job->store, l->data, (const char * const *) wanted->pdata,
                                       FALSE, error);
          if (found == NULL)
            return FALSE;
          collect_ok_docs (found, docs);
        }

      json_object_set_array_member (payload, "docs", json_array_ref (docs));
      json_object_set_boolean_member (payload, "new_edits", FALSE);
      payload_node = json_node_init_object (json_node_alloc (), payload);
      if (!job_request (job, "POST", docs_url, payload_node, &status, &result, error))
        return FALSE;
      if (status != 201 && status != 200 && status != 202)
        {
          set_status_error (job, _("storing documents"), status, result, error);
          return FALSE;
        }
      if (result != NULL && JSON_NODE_HOLDS_ARRAY (result))
        {
          JsonArray *failures = json_node_get_array (result);

          for (guint i = 0; i < json_array_get_length (failures); i++)
            {
              JsonNode *node = json_array_get_element (failures, i);

              if (JSON_NODE_HOLDS_OBJECT (node)
                  && json_object_has_member (json_node_get_object (node), "error"))
                {
                  g_autofree char *text = mer_json_to_string (node, FALSE);

                  g_message ("%s refused a document: %s", job->url, text);
                  refused++;
                }
            }
        }
    }

  seq_node = json_node_init_int (json_node_alloc (), last_seq);
  if (!put_remote_checkpoint (job, rid, seq_node, error)
      || !put_local_checkpoint (job, rid, seq_node, error))
    return FALSE;
  write_push_mark (job, last_seq);
  *since = last_seq;

  update = update_new (job);
  update->read = json_array_get_length (docs);
  update->written = json_array_get_length (docs) - MIN (refused, json_array_get_length (docs));
  update->pushed = update->written;
  update->pending = count_changes_since (job->store, last_seq);
  post_update (job, update);
  return TRUE;
}

/* Waits until the local replica has changes after since. */
static gboolean
wait_local_changes (Job     *job,
                    gint64   since,
                    GError **error)
{
  while (sleep_cancellable (job->cancellable, PUSH_POLL_INTERVAL_MS))
    {
      g_autoptr(JsonArray) rows = NULL;
      gint64 last = since;

      rows = mer_store_changes (job->store, since, 1, FALSE, FALSE, &last, error);
      if (rows == NULL)
        return FALSE;
      if (json_array_get_length (rows) > 0)
        return TRUE;
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Sync cancelled"));
  return FALSE;
}

static gboolean
run_pull (Job     *job,
          GError **error)
{
  g_autofree char *rid = NULL;
  g_autoptr(JsonNode) since = NULL;
  Fetcher *fetcher;
  gboolean ok = TRUE;

  job->pull = TRUE;
  g_clear_pointer (&job->remote_checkpoint, json_object_unref);
  if (!job_check_remote_db (job, error))
    return FALSE;
  rid = replication_id (job->remote_id, job->local_id);
  since = read_start_seq (job, rid, error);
  if (since == NULL)
    return FALSE;

  fetcher = fetcher_start (job, since, error);
  if (fetcher == NULL)
    return FALSE;
  while (ok)
    {
      g_autoptr(PullBatch) batch = g_async_queue_pop (fetcher->batches);

      if (batch->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&batch->error));
          ok = FALSE;
        }
      else if (batch->end)
        break;
      else
        {
          ok = write_batch (job, rid, batch, error);
          g_async_queue_push (fetcher->tokens, GINT_TO_POINTER (1));
        }
    }
  fetcher_stop (fetcher);
  return ok;
}

static gboolean
run_push (Job     *job,
          GError **error)
{
  g_autofree char *rid = NULL;
  g_autoptr(JsonNode) start = NULL;
  gint64 since = 0;

  job->pull = FALSE;
  g_clear_pointer (&job->remote_checkpoint, json_object_unref);
  if (!job_check_remote_db (job, error))
    return FALSE;
  rid = replication_id (job->local_id, job->remote_id);
  start = read_start_seq (job, rid, error);
  if (start == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (start) && json_node_get_value_type (start) == G_TYPE_INT64)
    since = json_node_get_int (start);

  for (;;)
    {
      guint rows = 0;

      if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
        return FALSE;
      if (!push_batch (job, rid, &since, &rows, error))
        return FALSE;
      if (rows == 0)
        {
          Update *update;

          write_push_mark (job, since);
          update = update_new (job);
          update->pending = 0;
          post_update (job, update);
          if (!job->continuous)
            return TRUE;
          post_state (job, MER_REPLICATOR_STATE_IDLE, NULL);
          if (!wait_local_changes (job, since, error))
            return FALSE;
        }
    }
}

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_object (&job->self);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_free (job->data_dir);
  g_free (job->url);
  g_free (job->root_url);
  g_free (job->auth);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->store);
  g_clear_object (&job->session);
  g_free (job->session_id);
  g_free (job->local_id);
  g_free (job->remote_id);
  g_clear_pointer (&job->remote_checkpoint, json_object_unref);
  g_clear_error (&job->error);
  g_free (job);
}

static gboolean
job_done_cb (gpointer user_data)
{
  Job *job = user_data;
  RunData *data = g_task_get_task_data (job->task);
  MerReplicator *self = job->self;

  if (job->error != NULL && data->error == NULL)
    data->error = g_steal_pointer (&job->error);
  if (--data->jobs_left > 0)
    {
      /* One direction failed: stop the other one too. */
      if (data->error != NULL)
        g_cancellable_cancel (job->cancellable);
      return G_SOURCE_REMOVE;
    }

  self->running = FALSE;
  if (data->error != NULL)
    {
      if (g_error_matches (data->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_state (self, MER_REPLICATOR_STATE_IDLE, NULL);
      else
        set_state (self, MER_REPLICATOR_STATE_ERROR, data->error->message);
      g_task_return_error (job->task, g_steal_pointer (&data->error));
    }
  else
    {
      set_state (self, MER_REPLICATOR_STATE_IDLE, NULL);
      g_task_return_boolean (job->task, TRUE);
    }
  return G_SOURCE_REMOVE;
}

static gpointer
job_thread (gpointer user_data)
{
  Job *job = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  GError *error = NULL;
  gboolean ok;

  /* libsoup's blocking calls iterate the thread-default context. */
  g_main_context_push_thread_default (context);
  job->session = soup_session_new_with_options ("timeout", (guint) (LONGPOLL_TIMEOUT_MS / 1000 + 60),
                                                "idle-timeout", 60,
                                                "user-agent", "Meridian/" PACKAGE_VERSION,
                                                NULL);
  job->session_id = g_uuid_string_random ();
  job->store = mer_store_open (job->data_dir, &error);
  ok = job->store != NULL;
  if (ok)
    job->local_id = g_strdup (mer_store_get_uuid (job->store));
  if (ok)
    ok = job_identify_remote (job, &error);
  if (ok && job->both)
    ok = run_pull (job, &error) && run_push (job, &error);
  else if (ok && job->pull)
    ok = run_pull (job, &error);
  else if (ok)
    ok = run_push (job, &error);

  if (!ok)
    job->error = error;
  g_clear_object (&job->session);
  g_clear_object (&job->store);
  g_main_context_pop_thread_default (context);
  g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, job_done_cb,
                              job, (GDestroyNotify) job_free);
  return NULL;
}

static char *
basic_auth (const char *username,
            const char *password)
{
  g_autofree char *pair = NULL;
  g_autofree char *b64 = NULL;

  if (username == NULL)
    return NULL;
  pair = g_strdup_printf ("%s:%s", username, password ? password : "");
  b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
  return g_strconcat ("Basic ", b64, NULL);
}

static void
start_job (MerReplicator *self,
           GTask         *task,
           gboolean       pull,
           gboolean       both)
{
  Job *job = g_new0 (Job, 1);
  g_autoptr(GThread) thread = NULL;
  const char *slash;

  job->self = g_object_ref (self);
  job->task = g_object_ref (task);
  job->context = g_main_context_ref (g_task_get_context (task));
  job->pull = pull;
  job->both = both;
  job->continuous = self->continuous;
  job->batch_size = self->batch_size;
  job->max_retries = self->max_retries;
  job->data_dir = g_strdup (self->data_dir);
  job->url = g_strdup (self->url);
  slash = strrchr (self->url, '/');
  job->root_url = g_strndup (self->url, slash - self->url + 1);
  job->auth = basic_auth (self->username, self->password);
  job->cancellable = g_object_ref (self->cancellable);
  thread = g_thread_new (pull ? "mer-pull" : "mer-push", job_thread, job);
}

static void
cancelled_cb (GCancellable  *cancellable,
              MerReplicator *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

/*
 * Runs the sync: a one-shot run pulls, merges, then pushes, on one worker
 * thread; a continuous one runs both directions side by side until
 * cancelled. Completes on the caller's thread-default main context.
 */
void
mer_replicator_run_async (MerReplicator       *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RunData *data;

  g_return_if_fail (MER_IS_REPLICATOR (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mer_replicator_run_async);
  if (self->running)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("A sync with %s is already running"), self->url);
      return;
    }

  self->running = TRUE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), self, NULL);
  set_state (self, MER_REPLICATOR_STATE_SYNCING, NULL);

  data = g_new0 (RunData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);

  if (self->continuous && self->direction == MER_REPLICATOR_BOTH)
    {
      data->jobs_left = 2;
      start_job (self, task, TRUE, FALSE);
      start_job (self, task, FALSE, FALSE);
    }
  else
    {
      data->jobs_left = 1;
      start_job (self, task, (self->direction & MER_REPLICATOR_PULL) != 0,
                 self->direction == MER_REPLICATOR_BOTH);
    }
}

gboolean
mer_replicator_run_finish (MerReplicator  *self,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/*
 * Creates a replicator between the store and a database URL. Credentials
 * come from the URL's user info, else from the stored peer list.
 */
MerReplicator *
mer_replicator_new (MerStore    *store,
                    const char  *url,
                    GError     **error)
{
  g_autoptr(MerReplicator) self = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  g_autofree char *bare = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  bare = mer_peers_split_url (url, &username, &password, error);
  if (bare == NULL)
    return NULL;
  {
    g_autoptr(GUri) uri = g_uri_parse (bare, G_URI_FLAGS_ENCODED, NULL);
    const char *path = uri ? g_uri_get_path (uri) : "";

    /* No database in the URL: the peer's database of our workspace's name. */
    if (path[0] == '\0' || strcmp (path, "/") == 0)
      {
        g_autofree char *name = g_uri_escape_string (mer_store_get_name (store), NULL, FALSE);
        g_autofree char *with_db = g_strconcat (bare, "/", name, NULL);

        g_free (bare);
        bare = g_steal_pointer (&with_db);
      }
  }

  self = g_object_new (MER_TYPE_REPLICATOR, "url", bare, NULL);
  self->store = g_object_ref (store);
  self->data_dir = g_strdup (mer_store_get_data_dir (store));
  if (username == NULL)
    {
      g_autoptr(MerPeer) peer = mer_peers_lookup (self->data_dir, bare);

      if (peer != NULL)
        mer_replicator_set_credentials (self, peer->username, peer->password);
    }
  else
    mer_replicator_set_credentials (self, username, password);
  self->pending = mer_replicator_count_pending (store, bare);
  return g_steal_pointer (&self);
}

/*
 * How many local documents changed since the last push to that URL; works
 * offline, from the mark the push leaves in the replica.
 */
guint
mer_replicator_count_pending (MerStore   *store,
                              const char *url)
{
  g_autofree char *bare = mer_peers_split_url (url, NULL, NULL, NULL);

  g_return_val_if_fail (MER_IS_STORE (store), 0);

  if (bare == NULL)
    return 0;
  return count_changes_since (store, read_push_mark (store, bare));
}

const char *
mer_replicator_get_url (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), NULL);
  return self->url;
}

void
mer_replicator_set_credentials (MerReplicator *self,
                                const char    *username,
                                const char    *password)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  g_free (self->username);
  self->username = g_strdup (username);
  g_free (self->password);
  self->password = g_strdup (password);
}

void
mer_replicator_set_direction (MerReplicator          *self,
                              MerReplicatorDirection  direction)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  g_return_if_fail ((direction & MER_REPLICATOR_BOTH) != 0);
  self->direction = direction & MER_REPLICATOR_BOTH;
}

void
mer_replicator_set_continuous (MerReplicator *self,
                               gboolean       continuous)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  self->continuous = continuous;
}

void
mer_replicator_set_batch_size (MerReplicator *self,
                               guint          batch_size)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  self->batch_size = CLAMP (batch_size, 1, 10000);
}

void
mer_replicator_set_max_retries (MerReplicator *self,
                                guint          retries)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  self->max_retries = retries;
}

MerReplicatorState
mer_replicator_get_state (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), MER_REPLICATOR_STATE_IDLE);
  return self->state;
}

const char *
mer_replicator_get_error_message (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), NULL);
  return self->error_message;
}

guint64
mer_replicator_get_docs_read (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->docs_read;
}

guint64
mer_replicator_get_docs_written (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->docs_written;
}

guint64
mer_replicator_get_pulled (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->pulled;
}

guint64
mer_replicator_get_pushed (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->pushed;
}

guint
mer_replicator_get_conflicts_merged (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->conflicts_merged;
}

guint
mer_replicator_get_conflicts_left (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->conflicts_left;
}

guint64
mer_replicator_get_changes_fetched (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->changes_fetched;
}

guint
mer_replicator_get_pending (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), 0);
  return self->pending;
}

static void
mer_replicator_dispose (GObject *object)
{
  MerReplicator *self = MER_REPLICATOR (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_replicator_parent_class)->dispose (object);
}

static void
mer_replicator_finalize (GObject *object)
{
  MerReplicator *self = MER_REPLICATOR (object);

  g_free (self->data_dir);
  g_free (self->url);
  g_free (self->username);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->error_message);

  G_OBJECT_CLASS (mer_replicator_parent_class)->finalize (object);
}

static void
mer_replicator_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MerReplicator *self = MER_REPLICATOR (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_DOCS_READ:
      g_value_set_uint64 (value, self->docs_read);
      break;
    case PROP_DOCS_WRITTEN:
      g_value_set_uint64 (value, self->docs_written);
      break;
    case PROP_CONFLICTS_MERGED:
      g_value_set_uint (value, self->conflicts_merged);
      break;
    case PROP_PENDING:
      g_value_set_uint (value, self->pending);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_replicator_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  MerReplicator *self = MER_REPLICATOR (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_replicator_class_init (MerReplicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mer_replicator_dispose;
  object_class->finalize = mer_replicator_finalize;
  object_class->get_property = mer_replicator_get_property;
  object_class->set_property = mer_replicator_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* A MerReplicatorState. */
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      MER_REPLICATOR_STATE_IDLE, MER_REPLICATOR_STATE_ERROR,
                      MER_REPLICATOR_STATE_IDLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOCS_READ] =
    g_param_spec_uint64 ("docs-read", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOCS_WRITTEN] =
    g_param_spec_uint64 ("docs-written", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFLICTS_MERGED] =
    g_param_spec_uint ("conflicts-merged", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Local documents changed since the last push checkpoint. */
  properties[PROP_PENDING] =
    g_param_spec_uint ("pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /*
   * Emitted on the main context after a sync wrote to the local replica
   * from its own connection, for views to reload.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mer_replicator_init (MerReplicator *self)
{
  self->direction = MER_REPLICATOR_BOTH;
  self->batch_size = MER_REPLICATOR_DEFAULT_BATCH_SIZE;
  self->max_retries = 4;
  self->state = MER_REPLICATOR_STATE_IDLE;
}
