/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pulling: the peer's changes feed read a batch ahead on a fetcher thread,
 * the missing revisions fetched with _bulk_get (or one GET per document),
 * each batch read and written in one transaction on the sync's thread,
 * page conflicts merged, checkpoints written; the pulled pages indexed for
 * search once, at the end.
 */

#include "config.h"

#include "mer-replicator-private.h"
#include "mer-json.h"
#include "mer-merge.h"
#include "mer-revision.h"

#include <glib/gi18n.h>
#include <string.h>

/* How many batches' worth of rows a one-shot pull asks the feed for. */
#define CHANGES_PAGE_BATCHES 4

/* A batch's _bulk_get goes as up to this many requests at once, each of
 * at least PULL_PART_MIN revisions. */
#define PULL_PARALLEL 3

/* A one-shot pull checkpoints SQLite's WAL every this many batches. */
#define WAL_CHECKPOINT_BATCHES 4
#define PULL_PART_MIN 100

/*
 * The revisions of @id held here, for atts_since: the peer then sends
 * inline only the attachments changed after them. NULL when none.
 */
static JsonArray *
held_revs (Job        *job,
           const char *id)
{
  g_auto(GStrv) leaves = mer_store_get_leaf_revs (job->store, id, TRUE, NULL);
  JsonArray *held;

  if (leaves == NULL || leaves[0] == NULL)
    return NULL;
  held = json_array_new ();
  for (guint i = 0; leaves[i] != NULL; i++)
    json_array_add_string_element (held, leaves[i]);
  return held;
}

/* Fetches one document's revisions with GET ?open_revs=, the old way. */
static gboolean
fetch_open_revs (Job         *job,
                 const char  *id,
                 JsonArray   *revs,
                 GPtrArray   *revisions,
                 GError     **error)
{
  g_autoptr(JsonArray) docs = json_array_new ();
  g_autoptr(JsonNode) revs_node = json_node_init_array (json_node_alloc (), revs);
  g_autofree char *revs_text = mer_json_to_string (revs_node, FALSE);
  g_autofree char *revs_param = g_uri_escape_string (revs_text, NULL, FALSE);
  g_autofree char *escaped = _mer_repl_escape_id (id);
  g_autoptr(JsonArray) held = held_revs (job, id);
  g_autofree char *since_param = NULL;
  g_autofree char *url = NULL;

  if (held != NULL)
    {
      g_autoptr(JsonNode) held_node = json_node_init_array (json_node_alloc (), held);
      g_autofree char *held_text = mer_json_to_string (held_node, FALSE);
      g_autofree char *escaped_held = g_uri_escape_string (held_text, NULL, FALSE);

      since_param = g_strconcat ("&atts_since=", escaped_held, NULL);
    }
  url = g_strdup_printf ("%s/%s?revs=true&latest=true&attachments=true&att_encoding_info=true&open_revs=%s%s",
                         job->url, escaped, revs_param, since_param != NULL ? since_param : "");
  g_autoptr(JsonNode) reply = NULL;
  guint status = 0;

  if (!_mer_repl_job_request (job, "GET", url, NULL, &status, &reply, error))
    return FALSE;
  if (status != 200 || reply == NULL || !JSON_NODE_HOLDS_ARRAY (reply))
    {
      _mer_repl_set_status_error (job, _("fetching a document"), status, reply, error);
      return FALSE;
    }
  if (_mer_repl_collect_ok_docs (json_node_get_array (reply), docs) > 0)
    g_debug ("%s: some revisions of %s are missing on the peer", job->url, id);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    g_ptr_array_add (revisions, mer_revision_new_from_doc (json_array_get_object_element (docs, i)));
  return TRUE;
}

/*
 * Whether a _bulk_get answer begins as one should. Such an answer is read
 * on the writer's thread, which would otherwise wait for the fetcher;
 * anything else is read here, where fetching one by one can follow.
 */
static gboolean
looks_like_bulk_get (const char *data,
                     gsize       size)
{
  static const char start[] = "{\"results\":";
  gsize i = 0;

  while (i < size && g_ascii_isspace (data[i]))
    i++;
  return size - i >= sizeof start - 1 && memcmp (data + i, start, sizeof start - 1) == 0;
}

/*
 * Fetches the missing revisions of a batch with _bulk_get, split into up
 * to PULL_PARALLEL requests sent at once: CouchDB reads the parts side by
 * side, and a pull spends most of its time waiting for those reads. The
 * answers come back in @answers for the writer to read. A peer that does
 * not know _bulk_get (any 4xx/5xx answer) is asked per document from then
 * on, as PouchDB does; those revisions are added to @revisions.
 */
static gboolean
fetch_missing (Job         *job,
               JsonObject  *missing,
               GPtrArray   *revisions,
               GPtrArray   *answers,
               GError     **error)
{
  g_autoptr(GList) ids = json_object_get_members (missing);

  if (!job->no_bulk_get)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
      g_autofree char *url = g_strconcat (job->url, "/_bulk_get?revs=true&latest=true"
                                          "&attachments=true&att_encoding_info=true", NULL);
      JsonNode *bodies[PULL_PARALLEL] = { NULL, };
      const char *methods[PULL_PARALLEL];
      const char *urls[PULL_PARALLEL];
      guint statuses[PULL_PARALLEL] = { 0, };
      GBytes *replies[PULL_PARALLEL] = { NULL, };
      gboolean fallback = FALSE;
      guint parts;
      guint per_part;

      for (GList *l = ids; l; l = l->next)
        {
          JsonObject *entry = json_object_get_object_member (missing, l->data);
          JsonArray *revs = json_object_get_array_member (entry, "missing");
          g_autoptr(JsonArray) held = held_revs (job, l->data);

          for (guint i = 0; revs != NULL && i < json_array_get_length (revs); i++)
            {
              JsonObject *item = json_object_new ();

              json_object_set_string_member (item, "id", l->data);
              json_object_set_string_member (item, "rev", json_array_get_string_element (revs, i));
              /* Attachments come inline, but only those changed after
               * the revisions held here. */
              if (held != NULL)
                json_object_set_array_member (item, "atts_since", json_array_ref (held));
              g_ptr_array_add (items, json_node_init_object (json_node_alloc (), item));
              json_object_unref (item);
            }
        }
      /* Small batches (a continuous pull's usual one) go whole. */
      parts = CLAMP (items->len / PULL_PART_MIN, 1, PULL_PARALLEL);
      per_part = (items->len + parts - 1) / parts;
      for (guint p = 0; p < parts; p++)
        {
          g_autoptr(JsonObject) request = json_object_new ();
          JsonArray *wanted = json_array_new ();

          for (guint i = p * per_part; i < MIN ((p + 1) * per_part, items->len); i++)
            json_array_add_element (wanted, json_node_ref (g_ptr_array_index (items, i)));
          json_object_set_array_member (request, "docs", wanted);
          bodies[p] = json_node_init_object (json_node_alloc (), request);
          methods[p] = "POST";
          urls[p] = url;
        }
      if (!_mer_repl_job_request_parallel (job, parts, methods, urls, bodies, statuses, replies, error))
        {
          for (guint p = 0; p < parts; p++)
            json_node_unref (bodies[p]);
          return FALSE;
        }
      for (guint p = 0; p < parts; p++)
        json_node_unref (bodies[p]);

      for (guint p = 0; p < parts; p++)
        {
          g_autoptr(GBytes) bytes = g_steal_pointer (&replies[p]);
          gsize size = 0;
          const char *data = g_bytes_get_data (bytes, &size);

          if (fallback)
            continue;
          if (statuses[p] == 200 && looks_like_bulk_get (data, size))
            {
              g_ptr_array_add (answers, g_steal_pointer (&bytes));
              continue;
            }
          if (statuses[p] == 200 && size > 0)
            {
              g_autoptr(GPtrArray) found = NULL;
              g_autoptr(GError) local_error = NULL;
              gboolean has_results = FALSE;

              found = mer_revisions_from_bulk_get (data, size, &has_results, &local_error);
              if (found == NULL)
                {
                  _mer_repl_set_not_json_error ("POST", url, local_error->message, error);
                  for (guint q = p + 1; q < parts; q++)
                    g_clear_pointer (&replies[q], g_bytes_unref);
                  return FALSE;
                }
              if (has_results)
                {
                  g_ptr_array_extend_and_steal (revisions, g_steal_pointer (&found));
                  continue;
                }
            }
          else if (statuses[p] == 403)
            {
              g_autoptr(JsonNode) reply = size > 0 ? mer_json_parse (data, (gssize) size, NULL) : NULL;

              _mer_repl_set_status_error (job, _("fetching documents"), statuses[p], reply, error);
              for (guint q = p + 1; q < parts; q++)
                g_clear_pointer (&replies[q], g_bytes_unref);
              return FALSE;
            }
          g_debug ("%s: no usable _bulk_get (%u); fetching documents one by one", job->url, statuses[p]);
          fallback = TRUE;
        }
      if (!fallback)
        return TRUE;
      /* Asked one by one below: the whole batch again, since writing a
       * revision twice is harmless. */
      g_ptr_array_set_size (answers, 0);
      job->no_bulk_get = TRUE;
    }

  for (GList *l = ids; l; l = l->next)
    {
      JsonObject *entry = json_object_get_object_member (missing, l->data);
      JsonArray *revs = json_object_get_array_member (entry, "missing");

      if (revs != NULL && !fetch_open_revs (job, l->data, revs, revisions, error))
        return FALSE;
    }
  return TRUE;
}

guint
_mer_repl_count_conflicted (Job *job)
{
  g_auto(GStrv) ids = mer_store_list_conflicted (job->store, NULL);

  return ids ? g_strv_length (ids) : 0;
}

/* What the fetcher hands the writer: one batch, the end, or an error. */
typedef struct
{
  GPtrArray *revisions; /* MerRevision, ready to graft */
  GPtrArray *answers;   /* GBytes: _bulk_get answers, for the writer to read */
  JsonNode  *last_seq;  /* the remote seq to checkpoint after writing */
  guint      rows;      /* changes rows the batch covered */
  gboolean   caught_up; /* the feed had nothing after these rows */
  gboolean   end;       /* one-shot run caught up: nothing follows */
  JsonArray *refused;   /* rows of the feed refused before fetching
                         * ({id, rev, error, reason}), or NULL */
  GError    *error;
} PullBatch;

static void
pull_batch_free (PullBatch *batch)
{
  g_clear_pointer (&batch->revisions, g_ptr_array_unref);
  g_clear_pointer (&batch->answers, g_ptr_array_unref);
  g_clear_pointer (&batch->last_seq, json_node_unref);
  g_clear_pointer (&batch->refused, json_array_unref);
  g_clear_error (&batch->error);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PullBatch, pull_batch_free)

/*
 * Reads a batch's _bulk_get answers into its revisions. The fetcher does
 * it as soon as they arrive: with the parts of a batch fetched side by
 * side, the writer is the slower half, and the fetcher has time to spare.
 */
static gboolean
read_answers (Job        *job,
              PullBatch  *batch,
              GError    **error)
{
  for (guint a = 0; batch->answers != NULL && a < batch->answers->len; a++)
    {
      g_autoptr(GPtrArray) found = NULL;
      g_autoptr(GError) local_error = NULL;
      gsize size = 0;
      const char *data = g_bytes_get_data (g_ptr_array_index (batch->answers, a), &size);
      gboolean has_results = FALSE;

      found = mer_revisions_from_bulk_get (data, size, &has_results, &local_error);
      if (found == NULL)
        {
          g_autofree char *url = g_strconcat (job->url, "/_bulk_get", NULL);

          _mer_repl_set_not_json_error ("POST", url, local_error->message, error);
          return FALSE;
        }
      g_ptr_array_extend_and_steal (batch->revisions, g_steal_pointer (&found));
    }
  g_clear_pointer (&batch->answers, g_ptr_array_unref);
  return TRUE;
}

/* An empty slot for the fetcher. A slot can also be the batch the writer
 * has just written: the fetcher frees it, which takes about a tenth of the
 * writer's time off it (the documents are trees of many small blocks). */
#define SLOT GINT_TO_POINTER (1)

static void
slot_free (gpointer slot)
{
  if (slot != SLOT)
    pull_batch_free (slot);
}

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
  GAsyncQueue *tokens;    /* free slots, from the writer: bounds read-ahead;
                           * a slot is SLOT or a written batch to free */
  GThread     *thread;
} Fetcher;

/*
 * A page of the peer's changes feed, handed out a batch at a time. A
 * one-shot pull asks for several batches' worth at once: each request of
 * the feed costs a round trip on the fetcher, the slower thread.
 */
typedef struct
{
  JsonNode  *reply;      /* the _changes answer, or NULL when used up */
  JsonArray *results;
  guint      next;       /* the first row not handed out yet */
  gboolean   short_page; /* fewer rows than asked for: the feed's end */
  gboolean   row_seqs;   /* every row has its own seq to checkpoint at */
  JsonArray *refused;    /* rows refused as read, for the next batch */
} ChangesPage;

static void
changes_page_clear (ChangesPage *page)
{
  g_clear_pointer (&page->reply, json_node_unref);
  g_clear_pointer (&page->refused, json_array_unref);
  page->results = NULL;
  page->next = 0;
}

/*
 * Reads a changes answer. One that lists a document whose id holds
 * \u0000, which no replica here can keep or even ask for by name, is read
 * with those ids marked: each such row loses its revisions, so nothing is
 * fetched for it, keeps its seq for the checkpoint, and is refused once
 * in @refused. Every other row is read as sent.
 */
static JsonNode *
parse_changes (GBytes     *bytes,
               JsonArray  *refused,
               GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *marked = NULL;
  gsize size = 0;
  gsize marked_size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonNode *reply;
  JsonArray *results;

  if (size == 0)
    return NULL;
  reply = mer_json_parse (data, (gssize) size, &local_error);
  if (reply != NULL || !g_error_matches (local_error, MER_JSON_ERROR, MER_JSON_ERROR_UNREPRESENTABLE)
      || (marked = mer_json_mark_nul (data, size, &marked_size)) == NULL
      || (reply = mer_json_parse (marked, (gssize) marked_size, NULL)) == NULL)
    {
      if (reply == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return reply;
    }

  results = JSON_NODE_HOLDS_OBJECT (reply) ? json_object_get_array_member (json_node_get_object (reply), "results") : NULL;
  for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
    {
      JsonObject *row = json_array_get_object_element (results, i);
      const char *id = row != NULL ? mer_json_get_string (row, "id") : NULL;
      g_autofree char *shown = NULL;
      g_autoptr(JsonObject) refusal = NULL;
      g_autoptr(GError) nul_error = NULL;

      if (id == NULL || strstr (id, MER_JSON_NUL_MARK) == NULL)
        continue;
      {
        g_auto(GStrv) parts = g_strsplit (id, MER_JSON_NUL_MARK, -1);

        shown = g_strjoinv ("\\u0000", parts);
      }
      mer_json_set_nul_error (&nul_error, MER_JSON_ERROR, MER_JSON_ERROR_UNREPRESENTABLE);
      refusal = json_object_new ();
      json_object_set_string_member (refusal, "id", shown);
      json_object_set_null_member (refusal, "rev");
      json_object_set_string_member (refusal, "error", "bad_request");
      json_object_set_string_member (refusal, "reason", nul_error->message);
      json_array_add_object_element (refused, g_steal_pointer (&refusal));
      json_object_remove_member (row, "changes");
    }
  return reply;
}

/* Reads the next page of the feed after *since into @page. */
static gboolean
read_changes (Job          *job,
              JsonNode     *since,
              guint         limit,
              gboolean      longpoll,
              ChangesPage  *page,
              GError      **error)
{
  g_autofree char *since_param = _mer_repl_seq_to_param (since);
  g_autofree char *url = NULL;
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *object;
  guint status = 0;

  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonArray) refused = json_array_new ();
  g_autoptr(GError) parse_error = NULL;

  changes_page_clear (page);
  url = g_strdup_printf ("%s/_changes?style=all_docs&since=%s&limit=%u%s", job->url,
                         since_param, limit,
                         longpoll ? "&feed=longpoll&timeout=" G_STRINGIFY (LONGPOLL_TIMEOUT_MS) : "");
  if (!_mer_repl_job_request_bytes (job, "GET", url, NULL, &status, &bytes, error))
    return FALSE;
  reply = parse_changes (bytes, refused, &parse_error);
  if (reply == NULL && parse_error != NULL && status < 300)
    {
      _mer_repl_set_not_json_error ("GET", url, parse_error->message, error);
      return FALSE;
    }
  object = _mer_repl_reply_object (reply);
  if (status != 200 || object == NULL || !json_object_has_member (object, "results")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "results")))
    {
      _mer_repl_set_status_error (job, _("the changes feed"), status, reply, error);
      return FALSE;
    }
  page->results = json_object_get_array_member (object, "results");
  page->short_page = json_array_get_length (page->results) < limit;
  page->row_seqs = TRUE;
  for (guint i = 0; i < json_array_get_length (page->results) && page->row_seqs; i++)
    {
      JsonNode *row = json_array_get_element (page->results, i);

      page->row_seqs = JSON_NODE_HOLDS_OBJECT (row)
                       && json_object_has_member (json_node_get_object (row), "seq")
                       && !JSON_NODE_HOLDS_NULL (json_object_get_member (json_node_get_object (row), "seq"));
    }
  page->reply = g_steal_pointer (&reply);
  if (json_array_get_length (refused) > 0)
    page->refused = g_steal_pointer (&refused);
  return TRUE;
}

/*
 * Takes the next batch of rows from the page of the peer's changes (read
 * first when used up, @page_limit rows at most) and fetches the revisions
 * this replica lacks. Returns a batch with rows == 0 when the feed had
 * nothing.
 */
static PullBatch *
fetch_batch (Job          *job,
             JsonNode    **since,
             ChangesPage  *page,
             guint         page_limit,
             gboolean      longpoll,
             GError      **error)
{
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonObject) missing = NULL;
  g_autoptr(PullBatch) batch = g_new0 (PullBatch, 1);
  JsonObject *object;
  JsonNode *last_seq = NULL;
  guint end;

  if (page->reply == NULL && !read_changes (job, *since, page_limit, longpoll, page, error))
    return NULL;
  object = json_node_get_object (page->reply);
  /* Rows without their own seq can only be checkpointed all together. */
  end = page->row_seqs ? MIN (page->next + job->batch_size, json_array_get_length (page->results))
                       : json_array_get_length (page->results);
  batch->rows = end - page->next;
  batch->revisions = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_revision_free);
  batch->caught_up = page->short_page && end == json_array_get_length (page->results);
  batch->refused = g_steal_pointer (&page->refused);
  if (batch->rows == 0)
    {
      /* An empty longpoll answer still moves the feed forward. */
      if (longpoll && json_object_has_member (object, "last_seq")
          && !JSON_NODE_HOLDS_NULL (json_object_get_member (object, "last_seq")))
        {
          json_node_unref (*since);
          *since = json_node_copy (json_object_get_member (object, "last_seq"));
        }
      changes_page_clear (page);
      return g_steal_pointer (&batch);
    }

  if (longpoll)
    _mer_repl_post_state (job, MER_REPLICATOR_STATE_SYNCING, NULL);

  for (guint i = page->next; i < end; i++)
    {
      JsonNode *node = json_array_get_element (page->results, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      _mer_repl_add_row_revs (request, json_node_get_object (node));
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
  /* The batch may go to the writer's thread: its seq must not share the
   * value that *since keeps here. */
  batch->last_seq = _mer_repl_seq_copy (last_seq);
  json_node_unref (*since);
  *since = json_node_copy (last_seq);
  page->next = end;
  if (end == json_array_get_length (page->results))
    changes_page_clear (page);

  missing = mer_store_revs_diff (job->store, request, error);
  if (missing == NULL)
    return NULL;
  batch->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (json_object_get_size (missing) > 0 && !fetch_missing (job, missing, batch->revisions, batch->answers, error))
    return NULL;
  return g_steal_pointer (&batch);
}

static gpointer
fetcher_thread (gpointer user_data)
{
  Fetcher *fetcher = user_data;
  Job *job = fetcher->job;
  g_autoptr(GMainContext) context = g_main_context_new ();
  ChangesPage page = { NULL, };
  /* Continuous pulls read the feed a batch at a time, as it grows. */
  guint page_limit = job->continuous ? job->batch_size : job->batch_size * CHANGES_PAGE_BATCHES;
  gboolean caught_up = FALSE;

  g_main_context_push_thread_default (context);
  job->session = _mer_repl_new_session (job);
  for (;;)
    {
      GError *error = NULL;
      PullBatch *batch;

      slot_free (g_async_queue_pop (fetcher->tokens));
      if (g_cancellable_set_error_if_cancelled (job->cancellable, &error))
        batch = NULL;
      else
        batch = fetch_batch (job, &fetcher->since, &page, page_limit,
                             job->continuous && caught_up, &error);
      if (batch != NULL && !read_answers (job, batch, &error))
        g_clear_pointer (&batch, pull_batch_free);
      if (batch == NULL)
        {
          batch = g_new0 (PullBatch, 1);
          batch->error = error;
          g_async_queue_push (fetcher->batches, batch);
          break;
        }
      if (batch->caught_up)
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
            _mer_repl_post_state (job, MER_REPLICATOR_STATE_IDLE, NULL);
          caught_up = TRUE;
        }
      else
        caught_up = FALSE;

      /* An empty longpoll answer is not worth the writer's attention. */
      if (batch->rows == 0)
        {
          pull_batch_free (batch);
          g_async_queue_push (fetcher->tokens, SLOT);
        }
      else
        g_async_queue_push (fetcher->batches, batch);
    }
  changes_page_clear (&page);
  g_clear_object (&job->session);
  g_main_context_pop_thread_default (context);
  return NULL;
}

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
  copy->auth_user = g_strdup (job->auth_user);
  copy->pinned = g_strdup (job->pinned);
  copy->no_password = job->no_password;
  copy->no_bulk_get = job->no_bulk_get;
  copy->cancellable = g_cancellable_new ();
  g_cancellable_connect (job->cancellable, G_CALLBACK (fetcher_cancel_cb),
                         g_object_ref (copy->cancellable), g_object_unref);
  copy->store = mer_store_open (job->data_dir, error);
  if (copy->store == NULL)
    {
      _mer_repl_job_free (copy);
      g_free (fetcher);
      return NULL;
    }

  fetcher->job = copy;
  fetcher->since = _mer_repl_seq_copy (since);  /* since stays with the writer */
  fetcher->batches = g_async_queue_new_full ((GDestroyNotify) pull_batch_free);
  fetcher->tokens = g_async_queue_new_full (slot_free);
  /* Two batches in flight: one being written, one being fetched. */
  g_async_queue_push (fetcher->tokens, SLOT);
  g_async_queue_push (fetcher->tokens, SLOT);
  fetcher->thread = g_thread_new ("mer-fetch", fetcher_thread, fetcher);
  return fetcher;
}

static void
fetcher_stop (Fetcher *fetcher)
{
  g_cancellable_cancel (fetcher->job->cancellable);
  g_async_queue_push (fetcher->tokens, SLOT);
  g_thread_join (fetcher->thread);
  g_async_queue_unref (fetcher->batches);
  g_async_queue_unref (fetcher->tokens);
  json_node_unref (fetcher->since);
  _mer_repl_job_free (fetcher->job);
  g_free (fetcher);
}

/*
 * The writing half of a pull batch: one local write, the merge of the
 * pages that now have conflicts, then the checkpoints on both sides.
 */
static gboolean
write_batch (Job                 *job,
             const char          *rid,
             PullBatch           *batch,
             RemoteCheckpoints  *remote,
             GError             **error)
{
  MerMergeStats stats = { 0, 0 };
  g_autoptr(JsonArray) refused = json_array_new ();
  guint64 written = 0;
  guint n_docs;
  guint left = 0;
  Update *update;

  if (!read_answers (job, batch, error))
    return FALSE;
  /* Design documents are a CouchDB hub's code, not content: Meridian
   * runs no code from peers and keeps none (see mer_validate_id()). */
  for (guint i = batch->revisions->len; i > 0; i--)
    {
      MerRevision *revision = g_ptr_array_index (batch->revisions, i - 1);

      if (revision->id != NULL && g_str_has_prefix (revision->id, "_design/"))
        g_ptr_array_remove_index (batch->revisions, i - 1);
    }
  for (guint i = 0; batch->refused != NULL && i < json_array_get_length (batch->refused); i++)
    {
      JsonObject *failure = json_array_get_object_element (batch->refused, i);

      g_message ("%s: refused %s (in the changes feed): %s", job->url, mer_json_get_string (failure, "id"),
                 mer_json_get_string (failure, "reason"));
      _mer_repl_add_refused (refused, "pull", failure);
    }
  n_docs = batch->revisions->len;
  if (n_docs > 0)
    {
      g_autoptr(JsonArray) failures = NULL;
      g_autoptr(GPtrArray) pages = g_ptr_array_new ();
      g_autoptr(GHashTable) conflicted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_auto(GStrv) ids = NULL;
      /* Pulled documents are not ours to send: when nothing local was
       * pending, the pending count stays at zero. */
      gboolean none_pending = _mer_repl_read_push_mark (job->store, job->url) >= mer_store_get_update_seq (job->store);

      /* Every revision is validated as it is written; a refused one is
       * kept out of the tree, recorded, and the rest of the batch goes
       * in. The checkpoint still moves past it: it would be refused again. */
      failures = mer_store_put_revisions (job->store, batch->revisions, job->url, error);
      if (failures == NULL)
        return FALSE;
      written = n_docs - MIN (json_array_get_length (failures), n_docs);
      for (guint i = 0; i < json_array_get_length (failures); i++)
        {
          JsonObject *failure = json_array_get_object_element (failures, i);

          if (mer_json_get_bool (failure, "repeated"))
            continue;
          g_message ("%s: refused %s %s: %s", job->url, mer_json_get_string (failure, "id"),
                     mer_json_get_string (failure, "rev"), mer_json_get_string (failure, "reason"));
          _mer_repl_add_refused (refused, "pull", failure);
        }

      /* Only the pages of this batch that now have conflicts are merged. */
      ids = mer_store_list_conflicted (job->store, error);
      if (ids == NULL)
        return FALSE;
      for (guint i = 0; ids[i] != NULL; i++)
        g_hash_table_add (conflicted, g_strdup (ids[i]));
      for (guint i = 0; i < n_docs; i++)
        {
          const char *id = ((MerRevision *) g_ptr_array_index (batch->revisions, i))->id;

          if (id != NULL && g_str_has_prefix (id, "page:") && g_hash_table_remove (conflicted, id))
            g_ptr_array_add (pages, (gpointer) id);
        }
      left = g_hash_table_size (conflicted);
      g_ptr_array_add (pages, NULL);
      if (pages->len > 1
          && !mer_merge_docs (job->store, (const char * const *) pages->pdata, &stats, error))
        return FALSE;
      left = stats.merged > 0 ? _mer_repl_count_conflicted (job) : left + pages->len - 1;
      if (none_pending && stats.merged == 0)
        _mer_repl_write_push_mark (job, mer_store_get_update_seq (job->store));
    }
  else
    left = _mer_repl_count_conflicted (job);

  /* What is written is told before the checkpoints: a sync stopped while
   * it writes them (as a continuous one is) still counts those documents. */
  update = _mer_repl_update_new (job);
  update->changes = batch->rows;
  update->read = n_docs;
  update->written = written;
  update->pulled = written;
  update->merged = stats.merged;
  update->left = left;
  update->changed = written > 0;
  if (json_array_get_length (refused) > 0)
    update->refused = g_steal_pointer (&refused);
  _mer_repl_post_update (job, update);

  if (!_mer_repl_put_local_checkpoint (job, rid, batch->last_seq, error))
    return FALSE;
  if (remote != NULL)
    return _mer_repl_remote_checkpoints_post (remote, batch->last_seq, error);
  return _mer_repl_put_remote_checkpoint (job, rid, batch->last_seq, error);
}

/*
 * Ends a one-shot pull: indexing is back to every write, and the pages the
 * pull wrote are indexed now, unless the next search is to do it. Pages
 * written stay written even if indexing fails: the backlog keeps them.
 */
static gboolean
finish_pull (Job      *job,
             gboolean  ok)
{
  g_autoptr(GError) index_error = NULL;

  mer_store_set_index_later (job->store, FALSE);
  if (!ok || job->search_later)
    return ok;
  if (!mer_store_catch_up_index (job->store, &index_error))
    g_warning ("bringing search up to date after a pull: %s", index_error->message);
  return TRUE;
}

gboolean
_mer_repl_run_pull (Job     *job,
                    GError **error)
{
  g_autofree char *rid = NULL;
  g_autoptr(JsonNode) since = NULL;
  g_autoptr(PullBatch) first = NULL;
  ChangesPage page = { NULL, };
  Fetcher *fetcher;
  RemoteCheckpoints *remote = NULL;
  guint written = 0;
  gboolean ok = TRUE;

  job->pull = TRUE;
  g_clear_pointer (&job->remote_checkpoint, json_object_unref);
  if (!_mer_repl_job_check_remote_db (job, error))
    return FALSE;
  rid = _mer_repl_replication_id (job->remote_id, job->local_id);
  since = _mer_repl_read_start_seq (job, rid, error);
  if (since == NULL)
    return FALSE;

  /* The first batch is fetched here: a sync with little to do (the usual
   * case) needs no second thread, connection or store handle. */
  first = fetch_batch (job, &since, &page, job->batch_size, FALSE, error);
  changes_page_clear (&page);
  if (first == NULL)
    return FALSE;
  if (first->rows == 0 && !job->continuous)
    return TRUE;
  /* A one-shot pull indexes its pages for search once, at the end. */
  if (!job->continuous)
    mer_store_set_index_later (job->store, TRUE);
  if (first->caught_up && !job->continuous)
    return finish_pull (job, write_batch (job, rid, first, NULL, error));

  fetcher = fetcher_start (job, since, error);
  if (fetcher == NULL)
    return finish_pull (job, FALSE);
  mer_store_set_auto_checkpoint (job->store, FALSE);
  if (!job->continuous)
    remote = _mer_repl_remote_checkpoints_start (job, rid);
  if (first->rows > 0)
    ok = write_batch (job, rid, first, remote, error);
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
          g_autoptr(GError) checkpoint_error = NULL;

          ok = write_batch (job, rid, batch, remote, error);
          g_async_queue_push (fetcher->tokens, g_steal_pointer (&batch));
          /* Checkpoints wait until the fetcher has its slot back. Each
           * syncs the disk two or three times, and with a batch's parts
           * fetched side by side the writer is the slower half: a
           * one-shot pull folds the WAL into the database every few
           * batches instead. */
          if (ok && (job->continuous || ++written % WAL_CHECKPOINT_BATCHES == 0)
              && !mer_store_checkpoint (job->store, &checkpoint_error))
            g_warning ("%s", checkpoint_error->message);
        }
    }
  fetcher_stop (fetcher);
  if (remote != NULL && !_mer_repl_remote_checkpoints_finish (remote, ok ? error : NULL))
    ok = FALSE;
  mer_store_set_auto_checkpoint (job->store, TRUE);
  return finish_pull (job, ok);
}

