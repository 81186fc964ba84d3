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
#include "mer-replicator-private.h"
#include "mer-tls.h"
#include "mer-json.h"
#include "mer-merge.h"
#include "mer-peers.h"
#include "mer-secrets.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

struct _MerReplicator
{
  GObject                 parent_instance;

  MerStore               *store;
  char                   *data_dir;
  char                   *url;          /* database URL, no credentials */
  char                   *username;
  char                   *password;
  char                   *pinned;       /* see mer_replicator_set_pinned_certificate() */
  MerReplicatorDirection  direction;
  gboolean                continuous;
  guint                   batch_size;
  guint                   max_retries;  /* one-shot runs only */
  gboolean                search_later; /* one-shot pulls leave the search
                                         * index to the next search */

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
  JsonArray              *refused;      /* documents one side refused, each
                                         * once: {direction, id, rev, error,
                                         * reason} */
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
  g_clear_pointer (&update->refused, json_array_unref);
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
  for (guint i = 0; update->refused != NULL && i < json_array_get_length (update->refused); i++)
    json_array_add_element (self->refused, json_node_copy (json_array_get_element (update->refused, i)));
  if (update->changed)
    g_signal_emit (self, signals[CHANGED], 0);
  return G_SOURCE_REMOVE;
}

Update *
_mer_repl_update_new (Job *job)
{
  Update *update = g_new0 (Update, 1);

  update->self = g_object_ref (job->self);
  update->state = -1;
  update->left = -1;
  update->pending = -1;
  return update;
}

void
_mer_repl_post_update (Job    *job,
                       Update *update)
{
  g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, apply_update_cb,
                              update, (GDestroyNotify) update_free);
}

void
_mer_repl_post_state (Job                *job,
                      MerReplicatorState  state,
                      const char         *message)
{
  Update *update = _mer_repl_update_new (job);

  update->state = state;
  update->message = g_strdup (message);
  _mer_repl_post_update (job, update);
}

void
_mer_repl_job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_object (&job->self);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_free (job->data_dir);
  g_free (job->url);
  g_free (job->root_url);
  g_free (job->auth);
  g_free (job->auth_user);
  g_free (job->pinned);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->store);
  g_clear_object (&job->session);
  g_free (job->session_id);
  g_free (job->local_id);
  g_free (job->remote_id);
  g_clear_pointer (&job->remote_checkpoint, json_object_unref);
  g_clear_pointer (&job->prefetched, g_hash_table_unref);
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
  job->session = _mer_repl_new_session (job);
  job->session_id = g_uuid_string_random ();
  job->store = mer_store_open (job->data_dir, &error);
  ok = job->store != NULL;
  if (ok)
    job->local_id = g_strdup (mer_store_get_uuid (job->store));
  if (ok)
    ok = _mer_repl_job_open (job, &error);
  if (ok && job->both)
    ok = _mer_repl_run_pull (job, &error) && _mer_repl_run_push (job, &error);
  else if (ok && job->pull)
    ok = _mer_repl_run_pull (job, &error);
  else if (ok)
    ok = _mer_repl_run_push (job, &error);

  if (!ok)
    job->error = error;
  g_clear_object (&job->session);
  g_clear_object (&job->store);
  g_main_context_pop_thread_default (context);
  g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, job_done_cb,
                              job, (GDestroyNotify) _mer_repl_job_free);
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
  job->may_create = (self->direction & MER_REPLICATOR_PUSH) != 0;
  job->continuous = self->continuous;
  job->batch_size = self->batch_size;
  job->max_retries = self->max_retries;
  job->search_later = self->search_later;
  job->data_dir = g_strdup (self->data_dir);
  job->url = g_strdup (self->url);
  slash = strrchr (self->url, '/');
  job->root_url = g_strndup (self->url, slash - self->url + 1);
  job->auth = basic_auth (self->username, self->password);
  job->auth_user = g_strdup (self->username);
  job->pinned = g_strdup (self->pinned);
  job->no_password = self->username != NULL && (self->password == NULL || *self->password == '\0');
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
 * come from the URL's user info, else from the stored peer list; a user
 * named in the URL without a password gets the one the keyring (or the
 * peer list) keeps for that user and URL.
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
  else if (password == NULL)
    {
      /* A user without a password (https://ana@host/db): the password
       * kept for that user, in the keyring or the peer list. */
      g_autoptr(MerPeer) peer = mer_peers_lookup (self->data_dir, bare);
      g_autoptr(GError) local_error = NULL;

      if (peer != NULL && g_strcmp0 (peer->username, username) == 0)
        password = g_strdup (peer->password);
      else
        password = mer_secrets_lookup (bare, username, &local_error);
      if (local_error != NULL)
        g_debug ("No password for %s at %s: %s", username, bare, local_error->message);
      mer_replicator_set_credentials (self, username, password);
    }
  else
    mer_replicator_set_credentials (self, username, password);
  self->pinned = mer_tls_known_lookup (self->data_dir, bare);
  self->pending = mer_replicator_count_pending (store, bare);
  return g_steal_pointer (&self);
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

/*
 * Trusts the peer's certificate only if it is the one with @fingerprint
 * ("SHA256 AB:…"), whoever signed it: for a teammate who shares from the
 * app with a self-signed certificate. NULL: the system's authorities.
 * mer_replicator_new() sets the one accepted earlier for the URL's host.
 */
void
mer_replicator_set_pinned_certificate (MerReplicator *self,
                                       const char    *fingerprint)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  g_free (self->pinned);
  self->pinned = g_strdup (fingerprint);
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

/*
 * A one-shot pull writes its documents first and brings the search index
 * up to date after the last batch, on the sync's thread. With @later TRUE
 * it leaves that to the next search or backlinks lookup instead, as the
 * command line does: its process ends with the sync.
 */
void
mer_replicator_set_search_later (MerReplicator *self,
                                 gboolean       later)
{
  g_return_if_fail (MER_IS_REPLICATOR (self));
  self->search_later = later;
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

/*
 * The documents refused in this replicator's runs, in the order met, each
 * once: pulled revisions that failed this replica's validation (kept in
 * the store's refused table, see mer_store_list_refused()) and pushed ones
 * the peer refused. Each is {"direction": "pull"|"push", "id", "rev",
 * "error", "reason"}.
 */
JsonArray *
mer_replicator_get_refused (MerReplicator *self)
{
  g_return_val_if_fail (MER_IS_REPLICATOR (self), NULL);
  return self->refused;
}

/* Adds a refusal, a _bulk_docs error row, to @list as the replicator
 * reports it. */
void
_mer_repl_add_refused (JsonArray   *list,
                       const char  *direction,
                       JsonObject  *row)
{
  JsonObject *copy = json_object_new ();
  static const char * const names[] = { "id", "rev", "error", "reason" };

  json_object_set_string_member (copy, "direction", direction);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = mer_json_get_string (row, names[i]);

      if (value != NULL)
        json_object_set_string_member (copy, names[i], value);
      else
        json_object_set_null_member (copy, names[i]);
    }
  json_array_add_object_element (list, copy);
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
  g_free (self->pinned);
  g_free (self->error_message);
  g_clear_pointer (&self->refused, json_array_unref);

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
  self->refused = json_array_new ();
}
