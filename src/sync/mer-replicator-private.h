/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the files of the replicator share: a worker's job, the updates it
 * sends to the main context, the conversation with the peer (requests,
 * checkpoints) and the two directions.
 */
#pragma once

#include <libsoup/soup.h>

#include "mer-replicator.h"

G_BEGIN_DECLS

#define LONGPOLL_TIMEOUT_MS   25000
#define PUSH_POLL_INTERVAL_MS 10
#define BACKOFF_START_MS      250
#define BACKOFF_MAX_MS        60000
#define CHECKPOINT_HISTORY    5
#define PENDING_CAP           10000
#define PUSH_MARK_PREFIX      "_local/meridian-push-"

/* One direction of one run, owned by its worker thread. */
typedef struct
{
  MerReplicator          *self;        /* touched only on the main context */
  GMainContext           *context;
  GTask                  *task;
  gboolean                pull;        /* FALSE: push */
  gboolean                both;        /* one-shot: pull, then push */
  gboolean                may_create;  /* the sync pushes too (in this job
                                        * or the other): a missing remote
                                        * database is created */
  gboolean                continuous;
  guint                   batch_size;
  guint                   max_retries;
  gboolean                search_later; /* see mer_replicator_set_search_later() */
  char                   *data_dir;
  char                   *url;
  char                   *root_url;
  char                   *auth;        /* "Basic ..." or NULL */
  char                   *auth_user;   /* the user name in auth, for messages */
  char                   *pinned;      /* "SHA256 …": the only certificate
                                        * accepted, or NULL (the system's CAs) */
  gboolean                no_password; /* auth has a user and no password */
  GCancellable           *cancellable;

  MerStore               *store;
  SoupSession            *session;
  char                   *session_id;
  char                   *local_id;
  char                   *remote_id;
  gboolean                no_bulk_get;
  gboolean                offline;
  JsonObject             *remote_checkpoint;  /* last one written there */
  guint                   pending;     /* push: local changes left to send */
  gboolean                db_checked;  /* the remote database is known to exist */
  GHashTable             *prefetched;  /* rid -> remote checkpoint read at the
                                        * start (NULL value: none), or NULL */
  GError                 *error;
} Job;

typedef struct _RemoteCheckpoints RemoteCheckpoints;

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
  JsonArray     *refused;      /* documents refused in this step, or NULL */
} Update;

void        _mer_repl_post_update           (Job                *job,
                                             Update             *update);
void        _mer_repl_post_state            (Job                *job,
                                             MerReplicatorState  state,
                                             const char         *message);
Update     *_mer_repl_update_new            (Job                *job);
void        _mer_repl_add_refused           (JsonArray          *list,
                                             const char         *direction,
                                             JsonObject         *row);
void        _mer_repl_job_free              (Job                *job);

gboolean    _mer_repl_sleep_cancellable     (GCancellable       *cancellable,
                                             guint               ms);
char       *_mer_repl_escape_id             (const char         *id);
char       *_mer_repl_seq_to_param          (JsonNode           *seq);
JsonNode   *_mer_repl_seq_copy              (JsonNode           *seq);
gboolean    _mer_repl_job_request_bytes     (Job                *job,
                                             const char         *method,
                                             const char         *url,
                                             JsonNode           *body,
                                             guint              *status_out,
                                             GBytes            **reply_out,
                                             GError            **error);
SoupSession *_mer_repl_new_session           (Job                *job);
Job        *_mer_repl_job_copy_for_requests (Job                *job);
gboolean    _mer_repl_job_request_parallel  (Job                *job,
                                             guint               n,
                                             const char        **methods,
                                             const char        **urls,
                                             JsonNode          **bodies,
                                             guint              *statuses,
                                             GBytes            **replies,
                                             GError            **error);
void        _mer_repl_set_not_database_error (Job               *job,
                                              const char        *data,
                                              gsize              size,
                                              GError           **error);
void        _mer_repl_set_unauthorized_error (Job               *job,
                                              GError           **error);
void        _mer_repl_set_not_json_error    (const char         *method,
                                             const char         *url,
                                             const char         *reason,
                                             GError            **error);
gboolean    _mer_repl_job_request           (Job                *job,
                                             const char         *method,
                                             const char         *url,
                                             JsonNode           *body,
                                             guint              *status_out,
                                             JsonNode          **reply_out,
                                             GError            **error);
void        _mer_repl_set_status_error      (Job                *job,
                                             const char         *what,
                                             guint               status,
                                             JsonNode           *reply,
                                             GError            **error);
JsonObject *_mer_repl_reply_object          (JsonNode           *reply);
char       *_mer_repl_replication_id        (const char         *source_id,
                                             const char         *target_id);
gboolean    _mer_repl_job_open              (Job                *job,
                                             GError            **error);
gboolean    _mer_repl_job_check_remote_db   (Job                *job,
                                             GError            **error);
gboolean    _mer_repl_put_local_checkpoint  (Job                *job,
                                             const char         *rid,
                                             JsonNode           *seq,
                                             GError            **error);
gboolean    _mer_repl_put_remote_checkpoint (Job                *job,
                                             const char         *rid,
                                             JsonNode           *seq,
                                             GError            **error);
JsonNode   *_mer_repl_read_start_seq        (Job                *job,
                                             const char         *rid,
                                             GError            **error);
RemoteCheckpoints *_mer_repl_remote_checkpoints_start  (Job                 *job,
                                                       const char          *rid);
gboolean    _mer_repl_remote_checkpoints_post   (RemoteCheckpoints   *writer,
                                                 JsonNode            *seq,
                                                 GError             **error);
gboolean    _mer_repl_remote_checkpoints_finish (RemoteCheckpoints   *writer,
                                                 GError             **error);
void        _mer_repl_add_row_revs          (JsonObject         *request,
                                             JsonObject         *row);
guint       _mer_repl_collect_ok_docs       (JsonArray          *entries,
                                             JsonArray          *docs);

gint64      _mer_repl_read_push_mark        (MerStore           *store,
                                             const char         *url);
void        _mer_repl_write_push_mark       (Job                *job,
                                             gint64              seq);
guint       _mer_repl_count_changes_since   (MerStore           *store,
                                             gint64              since);
guint       _mer_repl_count_conflicted      (Job                *job);

gboolean    _mer_repl_run_pull              (Job                *job,
                                             GError            **error);
gboolean    _mer_repl_run_push              (Job                *job,
                                             GError            **error);

G_END_DECLS
