/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-sync-controller.h"
#include "mer-core.h"

#include "mer-json.h"
#include "mer-peers.h"
#include "mer-replicator.h"
#include "mer-store.h"

#include <glib/gi18n.h>

/*
 * Runs one replicator per configured peer for the app and sums up their
 * states for the header: synced, syncing, offline or failed, and how many
 * local changes have not reached the peers yet.  The replicators do their
 * work on threads of their own; this object only listens on the main loop.
 */

struct _MerSyncController
{
  GObject        parent_instance;

  MerStore      *store;
  GPtrArray     *replicators;
  GCancellable  *cancellable;
  gboolean       continuous;
  MerSyncStatus  status;
  char          *message;
  char          *refused_message;  /* the first document a peer refused */
  guint          pending;
  guint64        progress;
  guint          pending_id;   /* debounced recount of unsent changes */
  gboolean       counting;     /* a recount runs on a worker thread */
  gboolean       count_again;  /* the replica changed during the recount */
};

G_DEFINE_FINAL_TYPE (MerSyncController, mer_sync_controller, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_message (MerSyncController *self,
             const char        *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
}

/*
 * The first document a peer refused to store (a hub's validate_doc_update
 * or _security said no), with the peer's reason, and how many more: said
 * once, beside a sync that went on with the other documents.
 */
static char *
describe_refused (MerSyncController *self)
{
  JsonObject *first = NULL;
  const char *first_url = NULL;
  guint count = 0;
  GString *text;

  for (guint i = 0; i < self->replicators->len; i++)
    {
      MerReplicator *replicator = g_ptr_array_index (self->replicators, i);
      JsonArray *rows = mer_replicator_get_refused (replicator);

      for (guint j = 0; j < json_array_get_length (rows); j++)
        {
          JsonObject *row = json_array_get_object_element (rows, j);

          if (g_strcmp0 (mer_json_get_string (row, "direction"), "push") != 0)
            continue;
          if (first == NULL)
            {
              first = row;
              first_url = mer_replicator_get_url (replicator);
            }
          count++;
        }
    }
  if (first == NULL)
    return NULL;
  text = g_string_new (NULL);
  /* Translators: "http://hub/handbook refused “page:x”: Only its owner may edit it." */
  g_string_append_printf (text, _("%s refused “%s”: %s."), first_url,
                          mer_json_get_string (first, "id") ?: "?",
                          mer_json_get_string (first, "reason") ?: mer_json_get_string (first, "error") ?: _("no reason given"));
  if (count > 1)
    {
      g_string_append_c (text, ' ');
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u other document was refused too.",
                                                 "%u other documents were refused too.", count - 1),
                              count - 1);
    }
  g_string_append_c (text, ' ');
  g_string_append (text, _("The other changes were sent."));
  return g_string_free (text, FALSE);
}

static void
recompute (MerSyncController *self)
{
  MerSyncStatus status = self->replicators->len == 0 ? MER_SYNC_STATUS_LOCAL : MER_SYNC_STATUS_SYNCED;
  const char *message = NULL;
  guint64 progress = 0;

  for (guint i = 0; i < self->replicators->len; i++)
    {
      MerReplicator *replicator = g_ptr_array_index (self->replicators, i);
      MerSyncStatus this_status;

      switch (mer_replicator_get_state (replicator))
        {
        case MER_REPLICATOR_STATE_SYNCING:
          this_status = MER_SYNC_STATUS_SYNCING;
          break;
        case MER_REPLICATOR_STATE_OFFLINE:
          this_status = MER_SYNC_STATUS_OFFLINE;
          break;
        case MER_REPLICATOR_STATE_ERROR:
          this_status = MER_SYNC_STATUS_ERROR;
          break;
        case MER_REPLICATOR_STATE_IDLE:
        default:
          this_status = MER_SYNC_STATUS_SYNCED;
          break;
        }
      progress += mer_replicator_get_docs_written (replicator);
      if (this_status > status)
        {
          status = this_status;
          message = mer_replicator_get_error_message (replicator);
        }
    }

  self->status = status;
  self->progress = progress;
  set_message (self, message);
  g_free (self->refused_message);
  self->refused_message = describe_refused (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void schedule_count (MerSyncController *self);

static void
count_pending_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  char **args = task_data;   /* data dir, then the peers' URLs */
  g_autoptr(MerStore) store = NULL;
  GError *error = NULL;
  guint pending = 0;

  store = mer_core_open_store (args[0], &error);
  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 1; args[i] != NULL; i++)
    pending = MAX (pending, mer_replicator_count_pending (store, args[i]));
  g_task_return_int (task, pending);
}

static void
count_pending_done_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  MerSyncController *self = MER_SYNC_CONTROLLER (object);
  g_autoptr(GError) error = NULL;
  gssize pending = g_task_propagate_int (G_TASK (result), &error);

  self->counting = FALSE;
  if (pending >= 0 && (guint) pending != self->pending)
    {
      self->pending = pending;
      g_signal_emit (self, signals[CHANGED], 0);
    }
  if (self->count_again)
    {
      self->count_again = FALSE;
      schedule_count (self);
    }
}

/*
 * The largest number of unsent changes over the peers, counted on a worker
 * thread: with ten thousand documents not yet pushed, counting them is
 * work the window should not wait for.
 */
static gboolean
count_pending_cb (gpointer user_data)
{
  MerSyncController *self = user_data;
  g_autoptr(GTask) task = NULL;
  GPtrArray *args;

  self->pending_id = 0;
  if (self->counting)
    {
      self->count_again = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (self->replicators->len == 0)
    {
      self->pending = 0;
      return G_SOURCE_REMOVE;
    }

  args = g_ptr_array_new ();
  g_ptr_array_add (args, g_strdup (mer_store_get_data_dir (self->store)));
  for (guint i = 0; i < self->replicators->len; i++)
    g_ptr_array_add (args, g_strdup (mer_replicator_get_url (g_ptr_array_index (self->replicators, i))));
  g_ptr_array_add (args, NULL);

  self->counting = TRUE;
  task = g_task_new (self, self->cancellable, count_pending_done_cb, NULL);
  g_task_set_source_tag (task, count_pending_cb);
  g_task_set_task_data (task, g_ptr_array_free (args, FALSE), (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, count_pending_thread);
  return G_SOURCE_REMOVE;
}

static void
schedule_count (MerSyncController *self)
{
  if (self->pending_id == 0 && self->replicators->len > 0)
    self->pending_id = g_timeout_add (500, count_pending_cb, self);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(MerSyncController) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mer_replicator_run_finish (MER_REPLICATOR (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    g_debug ("Sync with %s stopped: %s", mer_replicator_get_url (MER_REPLICATOR (object)), error->message);
  recompute (self);
  schedule_count (self);
}

static void
run_all (MerSyncController *self)
{
  for (guint i = 0; i < self->replicators->len; i++)
    mer_replicator_run_async (g_ptr_array_index (self->replicators, i), self->cancellable,
                              run_cb, g_object_ref (self));
}

void
mer_sync_controller_stop (MerSyncController *self)
{
  g_return_if_fail (MER_IS_SYNC_CONTROLLER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/* Reads the peers again (after Preferences changed them) and restarts. */
void
mer_sync_controller_reload_peers (MerSyncController *self)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MER_IS_SYNC_CONTROLLER (self));

  mer_sync_controller_stop (self);
  for (guint i = 0; i < self->replicators->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->replicators, i), self);
  g_ptr_array_set_size (self->replicators, 0);

  peers = mer_peers_list (mer_store_get_data_dir (self->store), &error);
  if (peers == NULL && error != NULL)
    g_warning ("Could not read the peers: %s", error->message);
  for (guint i = 0; peers != NULL && i < peers->len; i++)
    {
      MerPeer *peer = g_ptr_array_index (peers, i);
      g_autoptr(GError) local_error = NULL;
      MerReplicator *replicator = mer_replicator_new (self->store, peer->url, &local_error);

      if (replicator == NULL)
        {
          g_warning ("Cannot sync with %s: %s", peer->url, local_error->message);
          continue;
        }
      /* mer_replicator_new() took the peer's account, and its password
       * from wherever peers.json says it lives. */
      mer_replicator_set_direction (replicator, MER_REPLICATOR_BOTH);
      mer_replicator_set_continuous (replicator, self->continuous);
      g_signal_connect_object (replicator, "notify", G_CALLBACK (recompute), self, G_CONNECT_SWAPPED);
      g_ptr_array_add (self->replicators, replicator);
    }

  self->pending = 0;
  recompute (self);
  count_pending_cb (self);
  if (self->continuous)
    run_all (self);
}

void
mer_sync_controller_sync_now (MerSyncController *self)
{
  g_return_if_fail (MER_IS_SYNC_CONTROLLER (self));

  /* A replicator that stopped on an error starts again; running ones
   * answer "already running", which is what the person wants. */
  run_all (self);
  recompute (self);
}

static void
mer_sync_controller_dispose (GObject *object)
{
  MerSyncController *self = MER_SYNC_CONTROLLER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pending_id, g_source_remove);
  g_clear_pointer (&self->replicators, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_sync_controller_parent_class)->dispose (object);
}

static void
mer_sync_controller_finalize (GObject *object)
{
  MerSyncController *self = MER_SYNC_CONTROLLER (object);

  g_free (self->message);
  g_free (self->refused_message);
  G_OBJECT_CLASS (mer_sync_controller_parent_class)->finalize (object);
}

static void
mer_sync_controller_class_init (MerSyncControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mer_sync_controller_dispose;
  object_class->finalize = mer_sync_controller_finalize;

  /* The status, message, progress or count of unsent changes changed. */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mer_sync_controller_init (MerSyncController *self)
{
  self->replicators = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->continuous = TRUE;
}

MerSyncController *
mer_sync_controller_new (MerStore *store)
{
  MerSyncController *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_SYNC_CONTROLLER, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "changed", G_CALLBACK (schedule_count), self, G_CONNECT_SWAPPED);
  return self;
}

MerSyncStatus
mer_sync_controller_get_status (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), MER_SYNC_STATUS_LOCAL);
  return self->status;
}

const char *
mer_sync_controller_get_message (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), NULL);
  return self->message;
}

guint
mer_sync_controller_get_pending (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), 0);
  return self->pending;
}

guint64
mer_sync_controller_get_progress (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), 0);
  return self->progress;
}

guint
mer_sync_controller_get_n_peers (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), 0);
  return self->replicators->len;
}

gboolean
mer_sync_controller_get_continuous (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), FALSE);
  return self->continuous;
}

void
mer_sync_controller_set_continuous (MerSyncController *self,
                                    gboolean           continuous)
{
  g_return_if_fail (MER_IS_SYNC_CONTROLLER (self));

  continuous = !!continuous;
  if (self->continuous == continuous)
    return;
  self->continuous = continuous;
  mer_sync_controller_reload_peers (self);
}

/* The first document a peer refused, in words, or NULL; see describe_refused(). */
const char *
mer_sync_controller_get_refused_message (MerSyncController *self)
{
  g_return_val_if_fail (MER_IS_SYNC_CONTROLLER (self), NULL);
  return self->refused_message;
}
