/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pushing: local changes in batches, _revs_diff on the peer, the missing
 * revisions with their histories in one _bulk_docs, checkpoints; and the
 * mark that tells how many local changes are still to be sent.
 */

#include "config.h"

#include "mer-replicator-private.h"
#include "mer-json.h"
#include "mer-peers.h"
#include "mer-store-attachments.h"

#include <glib/gi18n.h>
#include <string.h>

/* A _bulk_docs request stays under this, attachments included, unless
 * one document alone is larger. */
#define PUSH_REQUEST_BYTES (32 * 1024 * 1024)

/* A batch's _bulk_docs goes as up to this many requests at once, each of
 * at least PUSH_PART_MIN documents. */
#define PUSH_PARALLEL 3
#define PUSH_PART_MIN 100

static char *
push_mark_id (const char *url)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_MD5, url, -1);

  return g_strconcat (PUSH_MARK_PREFIX, hash, NULL);
}

/* The local sequence up to which everything was pushed to url. */
gint64
_mer_repl_read_push_mark (MerStore   *store,
                          const char *url)
{
  g_autofree char *id = push_mark_id (url);
  g_autoptr(JsonObject) mark = mer_store_get_local (store, id, NULL);

  if (mark != NULL && json_object_has_member (mark, "seq"))
    return json_object_get_int_member (mark, "seq");
  return 0;
}

void
_mer_repl_write_push_mark (Job    *job,
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
  else if (json_object_has_member (doc, "seq") && json_object_get_int_member (doc, "seq") == seq)
    return;  /* unchanged: a no-change sync writes nothing */
  json_object_set_string_member (doc, "url", job->url);
  json_object_set_int_member (doc, "seq", seq);
  rev = mer_store_put_local (job->store, doc, NULL);
}

guint
_mer_repl_count_changes_since (MerStore *store,
                               gint64    since)
{
  g_autoptr(JsonArray) rows = NULL;
  gint64 last = 0;

  rows = mer_store_changes (store, since, PENDING_CAP, FALSE, FALSE, &last, NULL);
  return rows ? json_array_get_length (rows) : 0;
}

/*
 * The generation up to which the peer has @doc's attachments: the newest
 * of the revisions it holds (@held, its possible_ancestors) that is an
 * ancestor of @doc's revision, per its "_revisions". 0 when none is.
 */
static gint64
held_generation (JsonObject *doc,
                 JsonArray  *held)
{
  JsonObject *history;
  JsonArray *ids;
  gint64 start;
  gint64 best = 0;

  if (held == NULL || !json_object_has_member (doc, "_revisions"))
    return 0;
  history = json_object_get_object_member (doc, "_revisions");
  ids = history != NULL ? json_object_get_array_member (history, "ids") : NULL;
  if (ids == NULL)
    return 0;
  start = json_object_get_int_member_with_default (history, "start", 0);
  for (guint i = 0; i < json_array_get_length (held); i++)
    {
      const char *rev = json_array_get_string_element (held, i);
      const char *dash = rev != NULL ? strchr (rev, '-') : NULL;
      gint64 pos;

      if (dash == NULL)
        continue;
      pos = g_ascii_strtoll (rev, NULL, 10);
      if (pos <= 0 || pos > start || start - pos >= json_array_get_length (ids))
        continue;
      if (g_strcmp0 (json_array_get_string_element (ids, (guint) (start - pos)), dash + 1) == 0)
        best = MAX (best, pos);
    }
  return best;
}

/* How large a document's part of a request is, about. */
static gsize
doc_weight (JsonObject *doc)
{
  JsonObject *atts;
  gsize weight = 4096;
  g_autoptr(GList) names = NULL;

  if (!json_object_has_member (doc, "_attachments"))
    return weight;
  atts = json_object_get_object_member (doc, "_attachments");
  names = atts != NULL ? json_object_get_members (atts) : NULL;
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonObject *att = json_object_get_object_member (atts, l->data);
      const char *data = att != NULL ? mer_json_get_string (att, "data") : NULL;

      weight += 256 + (data != NULL ? strlen (data) : 0);
    }
  return weight;
}

/* Reads the answer to one _bulk_docs request and notes the refusals. */
static gboolean
note_stored (Job         *job,
             const char  *docs_url,
             guint        status,
             GBytes      *bytes,
             JsonArray   *refused_rows,
             guint64     *refused,
             GError     **error)
{
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  if (size > 0)
    {
      result = mer_json_parse (data, (gssize) size, &local_error);
      if (result == NULL && status < 300)
        {
          _mer_repl_set_not_json_error ("POST", docs_url, local_error->message, error);
          return FALSE;
        }
    }
  if (status != 201 && status != 200 && status != 202)
    {
      _mer_repl_set_status_error (job, _("storing documents"), status, result, error);
      return FALSE;
    }
  if (result != NULL && JSON_NODE_HOLDS_ARRAY (result))
    {
      JsonArray *failures = json_node_get_array (result);

      for (guint i = 0; i < json_array_get_length (failures); i++)
        {
          JsonNode *node = json_array_get_element (failures, i);
          JsonObject *row = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

          /* The peer answers per document, as CouchDB does: the
           * refused ones are reported, the others arrived. */
          if (row != NULL && json_object_has_member (row, "error"))
            {
              /* Said to the person once, by the caller, from the refused list. */
              g_debug ("%s refused %s %s: %s", job->url,
                         mer_json_get_string (row, "id") ?: "?",
                         mer_json_get_string (row, "rev") ?: "",
                         mer_json_get_string (row, "reason") ?: mer_json_get_string (row, "error") ?: "");
              _mer_repl_add_refused (refused_rows, "push", row);
              (*refused)++;
            }
        }
    }
  return TRUE;
}

/*
 * Sends the _bulk_docs requests of @chunks (JsonArray each) at once, and
 * empties @chunks. CouchDB stores them side by side: a push spends most
 * of its time waiting for the peer to store its batches.
 */
static gboolean
send_chunks (Job         *job,
             const char  *docs_url,
             GPtrArray   *chunks,
             JsonArray   *refused_rows,
             guint64     *refused,
             GError     **error)
{
  JsonNode *bodies[PUSH_PARALLEL] = { NULL, };
  const char *methods[PUSH_PARALLEL];
  const char *urls[PUSH_PARALLEL];
  guint statuses[PUSH_PARALLEL] = { 0, };
  GBytes *replies[PUSH_PARALLEL] = { NULL, };
  guint n = chunks->len;
  gboolean ok;

  g_assert (n <= PUSH_PARALLEL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) payload = json_object_new ();

      json_object_set_array_member (payload, "docs", json_array_ref (g_ptr_array_index (chunks, i)));
      json_object_set_boolean_member (payload, "new_edits", FALSE);
      bodies[i] = json_node_init_object (json_node_alloc (), payload);
      methods[i] = "POST";
      urls[i] = docs_url;
    }
  ok = _mer_repl_job_request_parallel (job, n, methods, urls, bodies, statuses, replies, error);
  for (guint i = 0; i < n; i++)
    {
      json_node_unref (bodies[i]);
      if (ok && !note_stored (job, docs_url, statuses[i], replies[i], refused_rows, refused, error))
        ok = FALSE;
      g_clear_pointer (&replies[i], g_bytes_unref);
    }
  g_ptr_array_set_size (chunks, 0);
  return ok;
}

/*
 * Sends the missing revisions @docs in _bulk_docs requests, up to
 * PUSH_PARALLEL at once, each of at least PUSH_PART_MIN documents when
 * there are enough; the requests sent at once stay under about
 * PUSH_REQUEST_BYTES together, attachments included (one document over
 * it goes alone). Each document's attachments go inline in base64, but
 * only those changed after the newest revision the peer holds of it
 * (@since_of: id -> possible_ancestors); the others go as stubs.
 * Documents are copied and filled one at a time, so a batch's
 * attachments are never all in memory.
 */
static gboolean
send_docs (Job         *job,
           const char  *docs_url,
           JsonArray   *docs,
           GHashTable  *since_of,
           JsonArray   *refused_rows,
           guint64     *refused,
           GError     **error)
{
  g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_array_unref);
  g_autoptr(JsonArray) chunk = json_array_new ();
  guint n_docs = json_array_get_length (docs);
  guint parts = CLAMP (n_docs / PUSH_PART_MIN, 1, PUSH_PARALLEL);
  guint per_part = MAX ((n_docs + parts - 1) / parts, 1);
  gsize group_bytes = 0;

  for (guint i = 0; i < n_docs; i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);
      g_autoptr(JsonNode) copy = NULL;
      JsonObject *filled;
      gsize weight;

      if (doc == NULL)
        continue;
      if (json_object_has_member (doc, "_attachments"))
        {
          copy = json_node_copy (json_array_get_element (docs, i));
          filled = json_node_get_object (copy);
          if (!mer_store_inline_attachments (job->store, filled,
                                             held_generation (filled, g_hash_table_lookup (since_of,
                                                                                           mer_json_get_string (filled, "_id"))),
                                             error))
            return FALSE;
        }
      else
        copy = json_node_ref (json_array_get_element (docs, i));
      weight = doc_weight (json_node_get_object (copy));
      if (group_bytes > 0 && group_bytes + weight > PUSH_REQUEST_BYTES)
        {
          if (json_array_get_length (chunk) > 0)
            {
              g_ptr_array_add (chunks, g_steal_pointer (&chunk));
              chunk = json_array_new ();
            }
          if (!send_chunks (job, docs_url, chunks, refused_rows, refused, error))
            return FALSE;
          group_bytes = 0;
        }
      json_array_add_element (chunk, g_steal_pointer (&copy));
      group_bytes += weight;
      if (json_array_get_length (chunk) >= per_part)
        {
          g_ptr_array_add (chunks, g_steal_pointer (&chunk));
          chunk = json_array_new ();
          if (chunks->len == PUSH_PARALLEL)
            {
              if (!send_chunks (job, docs_url, chunks, refused_rows, refused, error))
                return FALSE;
              group_bytes = 0;
            }
        }
    }
  if (json_array_get_length (chunk) > 0)
    g_ptr_array_add (chunks, g_steal_pointer (&chunk));
  if (chunks->len > 0)
    return send_chunks (job, docs_url, chunks, refused_rows, refused, error);
  return TRUE;
}

/*
 * One push batch: a page of local changes, _revs_diff on the peer, the
 * missing revisions with their histories in one _bulk_docs, the checkpoint.
 */
static gboolean
push_batch (Job                *job,
            const char         *rid,
            RemoteCheckpoints  *remote,
            gint64             *since,
            guint              *rows_out,
            GError            **error)
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
  g_autoptr(JsonArray) refused_rows = json_array_new ();
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
    _mer_repl_post_state (job, MER_REPLICATOR_STATE_SYNCING, NULL);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      _mer_repl_add_row_revs (request, row);
      if (json_object_has_member (row, "seq"))
        last_seq = json_object_get_int_member (row, "seq");
    }

  body = json_node_init_object (json_node_alloc (), request);
  if (!_mer_repl_job_request (job, "POST", diff_url, body, &status, &reply, error))
    return FALSE;
  missing = _mer_repl_reply_object (reply);
  if (status != 200 || missing == NULL)
    {
      _mer_repl_set_status_error (job, _("comparing revisions"), status, reply, error);
      return FALSE;
    }

  if (json_object_get_size (missing) > 0)
    {
      g_autoptr(GList) ids = json_object_get_members (missing);
      g_autoptr(GHashTable) since_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                              (GDestroyNotify) json_array_unref);

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
          if (json_object_has_member (json_node_get_object (entry), "possible_ancestors"))
            g_hash_table_insert (since_of, g_strdup (l->data),
                                 json_array_ref (json_object_get_array_member (json_node_get_object (entry),
                                                                               "possible_ancestors")));
          for (guint i = 0; revs != NULL && i < json_array_get_length (revs); i++)
            g_ptr_array_add (wanted, (gpointer) json_array_get_string_element (revs, i));
          g_ptr_array_add (wanted, NULL);
          found = mer_store_open_revs (job->store, l->data, (const char * const *) wanted->pdata,
                                       FALSE, error);
          if (found == NULL)
            return FALSE;
          _mer_repl_collect_ok_docs (found, docs);
        }

      if (!send_docs (job, docs_url, docs, since_of, refused_rows, &refused, error))
        return FALSE;
    }

  /* What the peer stored is told before the checkpoints: a sync stopped
   * while it writes them (as a continuous one is) still counts it. */
  update = _mer_repl_update_new (job);
  update->read = json_array_get_length (docs);
  update->written = json_array_get_length (docs) - MIN (refused, json_array_get_length (docs));
  update->pushed = update->written;
  /* Counted once per run (see run_push), then counted down: a scan per
   * batch would make a large push quadratic. */
  job->pending = n < job->batch_size ? 0 : job->pending - MIN (job->pending, n);
  update->pending = job->pending;
  if (refused > 0)
    update->refused = g_steal_pointer (&refused_rows);
  _mer_repl_post_update (job, update);

  seq_node = json_node_init_int (json_node_alloc (), last_seq);
  /* The documents are stored on the peer: the local checkpoint may lead
   * the remote one, which a thread writes meanwhile in a one-shot push. */
  if (remote != NULL)
    {
      if (!_mer_repl_remote_checkpoints_post (remote, seq_node, error))
        return FALSE;
    }
  else if (!_mer_repl_put_remote_checkpoint (job, rid, seq_node, error))
    return FALSE;
  if (!_mer_repl_put_local_checkpoint (job, rid, seq_node, error))
    return FALSE;
  _mer_repl_write_push_mark (job, last_seq);
  *since = last_seq;
  return TRUE;
}

/* Waits until the local replica has changes after since. */
static gboolean
wait_local_changes (Job     *job,
                    gint64   since,
                    GError **error)
{
  while (_mer_repl_sleep_cancellable (job->cancellable, PUSH_POLL_INTERVAL_MS))
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

gboolean
_mer_repl_run_push (Job     *job,
                    GError **error)
{
  g_autofree char *rid = NULL;
  g_autoptr(JsonNode) start = NULL;
  RemoteCheckpoints *remote = NULL;
  gint64 since = 0;

  job->pull = FALSE;
  g_clear_pointer (&job->remote_checkpoint, json_object_unref);
  if (!_mer_repl_job_check_remote_db (job, error))
    return FALSE;
  rid = _mer_repl_replication_id (job->local_id, job->remote_id);
  start = _mer_repl_read_start_seq (job, rid, error);
  if (start == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (start) && json_node_get_value_type (start) == G_TYPE_INT64)
    since = json_node_get_int (start);
  job->pending = _mer_repl_count_changes_since (job->store, since);
  /* Nothing to send (the usual case) needs no thread. */
  if (!job->continuous && job->pending > 0)
    remote = _mer_repl_remote_checkpoints_start (job, rid);

  for (;;)
    {
      guint rows = 0;

      if (g_cancellable_set_error_if_cancelled (job->cancellable, error)
          || !push_batch (job, rid, remote, &since, &rows, error))
        {
          if (remote != NULL)
            _mer_repl_remote_checkpoints_finish (remote, NULL);
          return FALSE;
        }
      if (rows == 0)
        {
          Update *update;

          if (remote != NULL && !_mer_repl_remote_checkpoints_finish (g_steal_pointer (&remote), error))
            return FALSE;
          _mer_repl_write_push_mark (job, since);
          update = _mer_repl_update_new (job);
          update->pending = 0;
          _mer_repl_post_update (job, update);
          if (!job->continuous)
            return TRUE;
          _mer_repl_post_state (job, MER_REPLICATOR_STATE_IDLE, NULL);
          if (!wait_local_changes (job, since, error))
            return FALSE;
          job->pending = _mer_repl_count_changes_since (job->store, since);
        }
    }
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
  return _mer_repl_count_changes_since (store, _mer_repl_read_push_mark (store, bare));
}

