/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mer-store.h"

G_BEGIN_DECLS

typedef enum
{
  MER_REPLICATOR_PULL = 1 << 0,
  MER_REPLICATOR_PUSH = 1 << 1,
  MER_REPLICATOR_BOTH = MER_REPLICATOR_PULL | MER_REPLICATOR_PUSH,
} MerReplicatorDirection;

typedef enum
{
  MER_REPLICATOR_STATE_IDLE,     /* not running, or waiting for changes */
  MER_REPLICATOR_STATE_SYNCING,  /* documents are moving */
  MER_REPLICATOR_STATE_OFFLINE,  /* the peer is unreachable; retrying */
  MER_REPLICATOR_STATE_ERROR,    /* stopped; see error-message */
} MerReplicatorState;

#define MER_REPLICATOR_ERROR (mer_replicator_error_quark ())

typedef enum
{
  MER_REPLICATOR_ERROR_UNREACHABLE,  /* network error after the retries */
  MER_REPLICATOR_ERROR_REFUSED,      /* 401/403: credentials or rights */
  MER_REPLICATOR_ERROR_NOT_FOUND,    /* the remote database does not exist */
  MER_REPLICATOR_ERROR_PROTOCOL,     /* the peer answered something unusable */
  MER_REPLICATOR_ERROR_NO_SPACE,     /* 507: the peer's disk is full */
  MER_REPLICATOR_ERROR_NOT_DATABASE, /* the URL is not a CouchDB or
                                      * Meridian database (a web page…) */
} MerReplicatorError;

#define MER_REPLICATOR_DEFAULT_BATCH_SIZE 500

#define MER_TYPE_REPLICATOR (mer_replicator_get_type ())
G_DECLARE_FINAL_TYPE (MerReplicator, mer_replicator, MER, REPLICATOR, GObject)

GQuark              mer_replicator_error_quark         (void);

MerReplicator      *mer_replicator_new                 (MerStore               *store,
                                                        const char             *url,
                                                        GError                **error);
const char         *mer_replicator_get_url             (MerReplicator          *self);
void                mer_replicator_set_pinned_certificate (MerReplicator       *self,
                                                          const char          *fingerprint);
void                mer_replicator_set_credentials     (MerReplicator          *self,
                                                        const char             *username,
                                                        const char             *password);
void                mer_replicator_set_direction       (MerReplicator          *self,
                                                        MerReplicatorDirection  direction);
void                mer_replicator_set_continuous      (MerReplicator          *self,
                                                        gboolean                continuous);
void                mer_replicator_set_batch_size      (MerReplicator          *self,
                                                        guint                   batch_size);
void                mer_replicator_set_max_retries     (MerReplicator          *self,
                                                        guint                   retries);
void                mer_replicator_set_search_later    (MerReplicator          *self,
                                                        gboolean                later);

MerReplicatorState  mer_replicator_get_state           (MerReplicator          *self);
const char         *mer_replicator_get_error_message   (MerReplicator          *self);
guint64             mer_replicator_get_docs_read       (MerReplicator          *self);
guint64             mer_replicator_get_docs_written    (MerReplicator          *self);
guint64             mer_replicator_get_pulled          (MerReplicator          *self);
guint64             mer_replicator_get_pushed          (MerReplicator          *self);
guint               mer_replicator_get_conflicts_merged (MerReplicator         *self);
guint               mer_replicator_get_conflicts_left  (MerReplicator          *self);
guint64             mer_replicator_get_changes_fetched (MerReplicator          *self);
guint               mer_replicator_get_pending         (MerReplicator          *self);
JsonArray          *mer_replicator_get_refused         (MerReplicator          *self);

void                mer_replicator_run_async           (MerReplicator          *self,
                                                        GCancellable           *cancellable,
                                                        GAsyncReadyCallback     callback,
                                                        gpointer                user_data);
gboolean            mer_replicator_run_finish          (MerReplicator          *self,
                                                        GAsyncResult           *result,
                                                        GError                **error);

guint               mer_replicator_count_pending       (MerStore               *store,
                                                        const char             *url);

G_END_DECLS
