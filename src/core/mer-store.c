/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"
#include "mer-revision.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The replica: one SQLite file holding every document's revision tree with
 * the bodies of the revisions this replica has seen, a changes feed, local
 * documents and the search index.
 *
 * A document is a row of `docs` (its current winner, deleted flag and last
 * change sequence) and rows of `revs`, one per revision, each pointing at
 * its parent. A revision is a leaf when no other revision names it as
 * parent. The winner is chosen exactly as CouchDB chooses it, so that every
 * replica that holds the same tree shows the same document.
 */
struct _MerStore
{
  GObject  parent_instance;

  MerDb   *db;
  char    *data_dir;
  char    *name;
  char    *uuid;
  guint    revs_limit;
  guint    depth;    /* nesting of open transactions */
  gboolean dirty;    /* documents written in the open transaction */
  GHashTable *unindexed; /* doc_key (gint64 *) -> Pending, documents whose
                          * search rows and links wait for the outermost
                          * commit */
  gboolean reading;  /* the open transaction is mer_store_begin_read()'s */
  gboolean index_later; /* writes go to search_backlog, not the index */
  gint64   seq_next;  /* the seq after the last one given in the open
                       * transaction, or 0 */
  guint    watch_id; /* timeout that notices other connections' commits */
  gint64   data_version; /* PRAGMA data_version when last looked at */
  gint64   seen_seq; /* update seq when "changed" was last emitted */
  gint64   counted_seq; /* update seq at which the counts below were taken */
  gint64   live_count;
  gint64   deleted_count;
};

G_DEFINE_FINAL_TYPE (MerStore, mer_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (mer-store-error-quark, mer_store_error)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A document waiting for the search index: the winner when it was written
 * and its body, so the commit need not read the body back and parse it. */
typedef struct {
  char       *rev;
  JsonObject *body;
  gboolean    fresh;  /* a new document: nothing indexed to take out */
} Pending;

static void
pending_free (Pending *pending)
{
  g_free (pending->rev);
  g_clear_pointer (&pending->body, json_object_unref);
  g_free (pending);
}

void
_mer_rev_info_free (RevInfo *info)
{
  g_free (info->rev);
  g_free (info->parent);
  g_free (info);
}


/* ------------------------------------------------------------------ */
/* Schema */

static const char *migrations[] = {
  /* 1: the replica */
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE docs ("
  "  doc_key INTEGER PRIMARY KEY,"
  "  id TEXT NOT NULL UNIQUE,"
  "  seq INTEGER NOT NULL,"
  "  winner TEXT NOT NULL,"
  "  deleted INTEGER NOT NULL DEFAULT 0,"
  "  conflicted INTEGER NOT NULL DEFAULT 0,"
  "  type TEXT,"
  "  title TEXT,"
  "  path TEXT);"
  "CREATE UNIQUE INDEX docs_by_seq ON docs (seq);"
  "CREATE INDEX docs_by_type ON docs (type, deleted);"
  "CREATE INDEX docs_by_title ON docs (title COLLATE NOCASE);"
  "CREATE INDEX docs_by_path ON docs (path COLLATE NOCASE);"
  "CREATE INDEX docs_conflicted ON docs (conflicted) WHERE conflicted = 1;"
  "CREATE TABLE revs ("
  "  rev_key INTEGER PRIMARY KEY,"
  "  doc_key INTEGER NOT NULL REFERENCES docs (doc_key),"
  "  rev TEXT NOT NULL,"
  "  pos INTEGER NOT NULL,"
  "  parent TEXT,"
  "  deleted INTEGER NOT NULL DEFAULT 0,"
  "  leaf INTEGER NOT NULL DEFAULT 1,"
  "  body TEXT,"
  "  UNIQUE (doc_key, rev));"
  "CREATE INDEX revs_leaves ON revs (doc_key) WHERE leaf = 1;"
  "CREATE TABLE local_docs (id TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL);"
  "CREATE TABLE links (src INTEGER NOT NULL, target TEXT NOT NULL);"
  "CREATE INDEX links_by_target ON links (target);"
  "CREATE INDEX links_by_src ON links (src);",
  /* 2: full-text search, see mer-store-search.c */
  NULL,
  /* 3: documents written since the search index and the links last
   * covered them (see mer_store_set_index_later()) */
  "CREATE TABLE search_backlog (doc_key INTEGER PRIMARY KEY);",
};

static gboolean
migrate (MerDb   *db,
         GError **error)
{
  int version = mer_db_get_version (db);
  int latest = G_N_ELEMENTS (migrations);

  if (version < 0)
    return mer_db_set_error (db, error);
  if (version > latest)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                   "the workspace was written by a newer Meridian (schema %d, this one knows %d)",
                   version, latest);
      return FALSE;
    }

  for (int v = version; v < latest; v++)
    {
      gboolean ok;

      if (!mer_db_exec (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (migrations[v] != NULL)
        ok = mer_db_exec (db, migrations[v], error);
      else
        ok = _mer_store_search_migrate (db, error);
      if (!ok || !mer_db_set_version (db, v + 1, error) || !mer_db_exec (db, "COMMIT", error))
        {
          mer_db_exec (db, "ROLLBACK", NULL);
          g_prefix_error (error, "schema migration %d: ", v + 1);
          return FALSE;
        }
    }
  return TRUE;
}

static char *
meta_get (MerStore    *self,
          const char  *key,
          GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (self->db, "SELECT value FROM meta WHERE key = ?", error);
  char *value = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = mer_db_step (self->db, stmt, error);
  if (rc == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static gboolean
meta_set (MerStore    *self,
          const char  *key,
          const char  *value,
          GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (self->db,
                                       "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                       error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return mer_db_run (self->db, stmt, error);
}

/* ------------------------------------------------------------------ */
/* Object */

static void
mer_store_finalize (GObject *object)
{
  MerStore *self = MER_STORE (object);

  g_clear_handle_id (&self->watch_id, g_source_remove);
  g_clear_pointer (&self->db, mer_db_free);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->uuid, g_free);

  g_clear_pointer (&self->unindexed, g_hash_table_unref);
  G_OBJECT_CLASS (mer_store_parent_class)->finalize (object);
}

static void
mer_store_class_init (MerStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mer_store_finalize;

  /* Emitted after a transaction that wrote documents has been committed. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mer_store_init (MerStore *self)
{
  self->revs_limit = MER_STORE_DEFAULT_REVS_LIMIT;
  self->live_count = -1;
  self->unindexed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                           (GDestroyNotify) pending_free);
}

/*
 * Opens the workspace in @data_dir, creating the folder and the database
 * on first use and bringing an older schema up to date.
 */
MerStore *
mer_store_open (const char  *data_dir,
                GError     **error)
{
  g_autoptr(MerStore) self = NULL;
  g_autofree char *path = NULL;
  g_autofree char *limit = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create %s: %s", data_dir, g_strerror (saved));
      return NULL;
    }

  self = g_object_new (MER_TYPE_STORE, NULL);
  self->data_dir = g_strdup (data_dir);
  path = g_build_filename (data_dir, MER_STORE_FILE_NAME, NULL);
  self->db = mer_db_open (path, error);
  if (self->db == NULL || !migrate (self->db, error))
    return NULL;

  if (!mer_store_begin (self, error))
    return NULL;
  self->uuid = meta_get (self, "uuid", error);
  if (self->uuid == NULL)
    {
      g_autofree char *random = g_uuid_string_random ();
      GString *hex = g_string_new (NULL);

      for (const char *p = random; *p; p++)
        if (*p != '-')
          g_string_append_c (hex, *p);
      self->uuid = g_string_free (hex, FALSE);
      if (!meta_set (self, "uuid", self->uuid, error))
        goto fail;
    }
  self->name = meta_get (self, "name", error);
  if (self->name == NULL)
    {
      self->name = g_strdup (MER_STORE_DEFAULT_NAME);
      if (!meta_set (self, "name", self->name, error))
        goto fail;
    }
  limit = meta_get (self, "revs_limit", NULL);
  if (limit != NULL)
    self->revs_limit = MAX (1, (guint) g_ascii_strtoull (limit, NULL, 10));
  if (!mer_store_commit (self, error))
    return NULL;

  return g_steal_pointer (&self);

fail:
  mer_store_rollback (self);
  return NULL;
}

MerDb *
_mer_store_get_db (MerStore *self)
{
  return self->db;
}

const char *
mer_store_get_data_dir (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  return self->data_dir;
}

const char *
mer_store_get_name (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  return self->name;
}

/* The name is the database name in URLs, so it follows CouchDB's rule. */
gboolean
mer_store_set_name (MerStore    *self,
                    const char  *name,
                    GError     **error)
{
  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (name == NULL || !g_regex_match_simple ("^[a-z][a-z0-9_$()+/-]*$", name, 0, 0)
      || strlen (name) > 238)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   "“%s” is not a valid workspace name: use lowercase letters, digits and _$()+-/, starting with a letter",
                   name ? name : "");
      return FALSE;
    }
  if (!meta_set (self, "name", name, error))
    return FALSE;
  g_free (self->name);
  self->name = g_strdup (name);
  return TRUE;
}

const char *
mer_store_get_uuid (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  return self->uuid;
}

guint
mer_store_get_revs_limit (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), 0);
  return self->revs_limit;
}

void
mer_store_set_revs_limit (MerStore *self,
                          guint     limit)
{
  g_autofree char *value = NULL;

  g_return_if_fail (MER_IS_STORE (self));
  g_return_if_fail (limit > 0);

  self->revs_limit = limit;
  value = g_strdup_printf ("%u", limit);
  if (!meta_set (self, "revs_limit", value, NULL))
    g_warning ("could not store the revision limit");
}

gint64
_mer_store_query_int (MerStore    *self,
           const char  *sql,
           GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (self->db, sql, error);
  gint64 value = -1;

  if (stmt == NULL)
    return -1;
  if (mer_db_step (self->db, stmt, error) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

gint64
mer_store_get_update_seq (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), -1);
  return _mer_store_query_int (self, "SELECT coalesce(max(seq), 0) FROM docs", NULL);
}

/*
 * Counting means a scan of every document, which every replicating peer's
 * GET /{db} asks for; the counts are kept until the update seq moves.
 */
gint64
mer_store_get_doc_count (MerStore *self,
                         gboolean  deleted)
{
  gint64 seq;

  g_return_val_if_fail (MER_IS_STORE (self), -1);

  seq = mer_store_get_update_seq (self);
  if (seq != self->counted_seq || self->live_count < 0)
    {
      self->live_count = _mer_store_query_int (self, "SELECT count(*) FROM docs WHERE deleted = 0", NULL);
      self->deleted_count = _mer_store_query_int (self, "SELECT count(*) FROM docs WHERE deleted = 1", NULL);
      self->counted_seq = seq;
    }
  return deleted ? self->deleted_count : self->live_count;
}

/* ------------------------------------------------------------------ */
/* Transactions */

static gboolean index_winner (MerStore *self, gint64 doc_key, Pending *pending, GError **error);

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/*
 * Brings the search index and the links of every document written in the
 * open transaction up to date, from what the tables hold now. Done once,
 * at the outermost commit (or before a search inside the transaction):
 * FTS5 writes its pending terms out as a new segment at every savepoint
 * release, and whenever a rowid is not greater than the last one, so
 * indexing inside each document's savepoint made one segment per document
 * and spent half of a bulk import merging them.
 */
gboolean
_mer_store_flush_index (MerStore  *self,
                        GError   **error)
{
  g_autoptr(GArray) keys = NULL;
  GHashTableIter iter;
  gpointer key;

  if (g_hash_table_size (self->unindexed) == 0)
    return TRUE;
  keys = g_array_sized_new (FALSE, FALSE, sizeof (gint64), g_hash_table_size (self->unindexed));
  g_hash_table_iter_init (&iter, self->unindexed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_array_append_val (keys, *(gint64 *) key);
  g_array_sort (keys, compare_keys);
  for (guint i = 0; i < keys->len; i++)
    {
      gint64 doc_key = g_array_index (keys, gint64, i);

      if (!index_winner (self, doc_key, g_hash_table_lookup (self->unindexed, &doc_key), error))
        return FALSE;
    }
  g_hash_table_remove_all (self->unindexed);
  return TRUE;
}

/*
 * With @later TRUE, the documents this connection writes from then on are
 * only noted in search_backlog; their search rows and links are written
 * by mer_store_catch_up_index(), which a search and the backlinks call
 * first. A pull of thousands of pages spent a third of its time indexing
 * them one batch at a time (CouchDB builds its views when they are read,
 * for the same reason).
 */
void
mer_store_set_index_later (MerStore *self,
                           gboolean  later)
{
  g_return_if_fail (MER_IS_STORE (self));

  self->index_later = later;
}

/* The number of documents waiting for the search index. */
gint64
mer_store_count_unindexed (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), -1);

  return _mer_store_query_int (self, "SELECT count(*) FROM search_backlog", NULL);
}

/*
 * Brings the search index and the links of every document in
 * search_backlog up to date, in one transaction, from the winners the
 * tables hold now. Inside a read transaction it can write nothing and
 * leaves the backlog for later.
 */
gboolean
mer_store_catch_up_index (MerStore  *self,
                          GError   **error)
{
  g_autoptr(GArray) keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  gint64 waiting;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (self->reading)
    return TRUE;
  /* The usual case, nothing to do, takes no write lock. */
  waiting = _mer_store_query_int (self, "SELECT EXISTS (SELECT 1 FROM search_backlog)", &local_error);
  if (waiting < 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (waiting == 0)
    return TRUE;
  if (!mer_store_begin (self, error))
    return FALSE;
  stmt = mer_db_prepare (self->db, "SELECT doc_key FROM search_backlog ORDER BY doc_key", error);
  if (stmt == NULL)
    {
      mer_store_rollback (self);
      return FALSE;
    }
  while ((rc = mer_db_step (self->db, stmt, error)) == SQLITE_ROW)
    {
      gint64 key = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (keys, key);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    {
      mer_store_rollback (self);
      return FALSE;
    }
  for (guint i = 0; i < keys->len; i++)
    if (!index_winner (self, g_array_index (keys, gint64, i), NULL, error))
      {
        mer_store_rollback (self);
        return FALSE;
      }
  if (!mer_db_exec (self->db, "DELETE FROM search_backlog", error))
    {
      mer_store_rollback (self);
      return FALSE;
    }
  return mer_store_commit (self, error);
}

gboolean
mer_store_begin (MerStore  *self,
                 GError   **error)
{
  g_autofree char *sql = NULL;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (self->depth == 0)
    {
      /* IMMEDIATE takes the write lock now, so a later statement cannot
       * fail with SQLITE_BUSY halfway through a transaction. */
      if (!mer_db_exec (self->db, "BEGIN IMMEDIATE", error))
        return FALSE;
      self->dirty = FALSE;
    }
  else
    {
      sql = g_strdup_printf ("SAVEPOINT s%u", self->depth);
      if (!mer_db_exec (self->db, sql, error))
        return FALSE;
    }
  self->depth++;
  return TRUE;
}

/*
 * Opens a transaction for reading only: the reads that follow see one
 * snapshot, and SQLite takes its lock once instead of at every statement.
 * Unlike mer_store_begin() it takes no write lock, so writers are not held
 * up. Nothing may be written before mer_store_end_read().
 */
gboolean
mer_store_begin_read (MerStore  *self,
                      GError   **error)
{
  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (self->depth == 0)
    {
      if (!mer_db_exec (self->db, "BEGIN", error))
        return FALSE;
      self->reading = TRUE;
    }
  self->depth++;
  return TRUE;
}

void
mer_store_end_read (MerStore *self)
{
  g_return_if_fail (MER_IS_STORE (self));
  g_return_if_fail (self->depth > 0);

  if (--self->depth > 0)
    return;
  self->reading = FALSE;
  if (sqlite3_get_autocommit (mer_db_get_handle (self->db)))
    return;
  if (!mer_db_exec (self->db, "COMMIT", NULL))
    g_warning ("ending a read failed: %s", sqlite3_errmsg (mer_db_get_handle (self->db)));
}

/*
 * With @enabled FALSE, this connection's commits no longer copy the
 * write-ahead log back into the database every thousand pages; another
 * connection is expected to call mer_store_checkpoint() meanwhile.
 */
void
mer_store_set_auto_checkpoint (MerStore *self,
                               gboolean  enabled)
{
  g_return_if_fail (MER_IS_STORE (self));

  sqlite3_wal_autocheckpoint (mer_db_get_handle (self->db), enabled ? 1000 : 0);
}

/*
 * Copies what the log holds into the database, as far as it can without
 * waiting for anyone: a writer on another connection goes on meanwhile.
 */
gboolean
mer_store_checkpoint (MerStore  *self,
                      GError   **error)
{
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth == 0, FALSE);

  rc = sqlite3_wal_checkpoint_v2 (mer_db_get_handle (self->db), NULL,
                                  SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                   "Checkpoint failed: %s", sqlite3_errmsg (mer_db_get_handle (self->db)));
      return FALSE;
    }
  return TRUE;
}

gboolean
mer_store_commit (MerStore  *self,
                  GError   **error)
{
  g_autofree char *sql = NULL;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (self->depth > 1)
    {
      sql = g_strdup_printf ("RELEASE s%u", self->depth - 1);
      if (!mer_db_exec (self->db, sql, error))
        return FALSE;
      self->depth--;
      return TRUE;
    }

  if (!_mer_store_flush_index (self, error) || !mer_db_exec (self->db, "COMMIT", error))
    {
      mer_store_rollback (self);
      return FALSE;
    }
  self->depth = 0;
  self->seq_next = 0;
  if (self->dirty)
    {
      self->dirty = FALSE;
      self->seen_seq = mer_store_get_update_seq (self);
      g_signal_emit (self, signals[CHANGED], 0);
    }
  return TRUE;
}

static gboolean
watch_cb (gpointer data)
{
  MerStore *self = data;
  gint64 version;
  gint64 seq;

  if (self->depth > 0)
    return G_SOURCE_CONTINUE;
  /* data_version changes only when another connection committed. */
  version = _mer_store_query_int (self, "PRAGMA data_version", NULL);
  if (version == self->data_version)
    return G_SOURCE_CONTINUE;
  self->data_version = version;
  seq = mer_store_get_update_seq (self);
  if (seq != self->seen_seq)
    {
      self->seen_seq = seq;
      g_signal_emit (self, signals[CHANGED], 0);
    }
  return G_SOURCE_CONTINUE;
}

/*
 * Makes "changed" fire also for documents written through other
 * connections to the same workspace: the replicator's, another process's.
 * Looks every @interval_ms on the thread-default main context; 0 stops.
 */
void
mer_store_watch_others (MerStore *self,
                        guint     interval_ms)
{
  g_return_if_fail (MER_IS_STORE (self));

  g_clear_handle_id (&self->watch_id, g_source_remove);
  if (interval_ms == 0)
    return;
  self->data_version = _mer_store_query_int (self, "PRAGMA data_version", NULL);
  self->seen_seq = mer_store_get_update_seq (self);
  self->watch_id = g_timeout_add (interval_ms, watch_cb, self);
  g_source_set_name_by_id (self->watch_id, "[meridian] store watch");
}

void
mer_store_rollback (MerStore *self)
{
  g_autofree char *sql = NULL;

  g_return_if_fail (MER_IS_STORE (self));
  g_return_if_fail (self->depth > 0);

  /* What was undone may have used sequence numbers. */
  self->seq_next = 0;
  if (self->depth > 1)
    {
      sql = g_strdup_printf ("ROLLBACK TO s%u; RELEASE s%u", self->depth - 1, self->depth - 1);
      if (!mer_db_exec (self->db, sql, NULL))
        g_warning ("rolling back a savepoint failed: %s", sqlite3_errmsg (mer_db_get_handle (self->db)));
      self->depth--;
      return;
    }
  if (!sqlite3_get_autocommit (mer_db_get_handle (self->db))
      && !mer_db_exec (self->db, "ROLLBACK", NULL))
    g_warning ("rolling back failed: %s", sqlite3_errmsg (mer_db_get_handle (self->db)));
  g_hash_table_remove_all (self->unindexed);
  /* Counts taken inside the transaction may describe what was undone. */
  self->live_count = -1;
  self->depth = 0;
  self->reading = FALSE;
  self->dirty = FALSE;
}

/* ------------------------------------------------------------------ */
/* Writing the tree */

/*
 * The sequence number of the next write. Inside a transaction no other
 * connection can write, so it is asked of SQLite once and counted after.
 */
static gint64
next_seq (MerStore  *self,
          GError   **error)
{
  gint64 seq;

  if (self->depth > 0 && self->seq_next > 0)
    return self->seq_next++;
  seq = _mer_store_query_int (self, "SELECT coalesce(max(seq), 0) + 1 FROM docs", error);
  if (self->depth > 0 && seq > 0)
    self->seq_next = seq + 1;
  return seq;
}

static gboolean
insert_rev (MerStore    *self,
            gint64       doc_key,
            const char  *rev,
            gint64       pos,
            const char  *parent,
            gboolean     deleted,
            const char  *body,
            GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = mer_db_prepare (self->db,
                         "INSERT INTO revs (doc_key, rev, pos, parent, deleted, leaf, body) "
                         "VALUES (?, ?, ?, ?, ?, 1, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  sqlite3_bind_text (stmt, 2, rev, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, pos);
  if (parent)
    sqlite3_bind_text (stmt, 4, parent, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 5, deleted);
  if (body)
    sqlite3_bind_text (stmt, 6, body, -1, SQLITE_STATIC);
  if (!mer_db_run (self->db, stmt, error))
    return FALSE;

  if (parent == NULL)
    return TRUE;
  stmt = mer_db_prepare (self->db, "UPDATE revs SET leaf = 0 WHERE doc_key = ? AND rev = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  sqlite3_bind_text (stmt, 2, parent, -1, SQLITE_STATIC);
  return mer_db_run (self->db, stmt, error);
}

/*
 * Drops revisions more than revs_limit generations above every leaf. A
 * leaf is never dropped, so no branch is ever lost.
 */
static gboolean
prune (MerStore  *self,
       gint64     doc_key,
       GError   **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GHashTable) tree = NULL;
  g_autoptr(GHashTable) keep = NULL;
  GHashTableIter iter;
  RevInfo *info;
  gint64 count;

  stmt = mer_db_prepare (self->db, "SELECT count(*) FROM revs WHERE doc_key = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  if (mer_db_step (self->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (count <= self->revs_limit)
    return TRUE;

  tree = _mer_store_load_tree (self, doc_key, error);
  if (tree == NULL)
    return FALSE;
  keep = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_iter_init (&iter, tree);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &info))
    {
      RevInfo *walk = info;
      if (!info->leaf)
        continue;
      for (guint n = 0; walk != NULL && n < self->revs_limit; n++)
        {
          g_hash_table_add (keep, walk->rev);
          walk = walk->parent ? g_hash_table_lookup (tree, walk->parent) : NULL;
        }
    }

  g_hash_table_iter_init (&iter, tree);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &info))
    {
      if (g_hash_table_contains (keep, info->rev))
        {
          if (info->parent != NULL && !g_hash_table_contains (keep, info->parent))
            {
              stmt = mer_db_prepare (self->db, "UPDATE revs SET parent = NULL WHERE rev_key = ?", error);
              if (stmt == NULL)
                return FALSE;
              sqlite3_bind_int64 (stmt, 1, info->rev_key);
              if (!mer_db_run (self->db, stmt, error))
                return FALSE;
            }
          continue;
        }
      stmt = mer_db_prepare (self->db, "DELETE FROM revs WHERE rev_key = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, info->rev_key);
      if (!mer_db_run (self->db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

/*
 * Brings the search rows and links of a document up to date now, or at the
 * outermost commit when a transaction is open. @body is the winner's body
 * (kept until then, so it need not be read back), or NULL.
 */
static gboolean
schedule_index (MerStore    *self,
                gint64       doc_key,
                const char  *winner_rev,
                JsonObject  *body,
                gboolean     deleted,
                gboolean     fresh,
                GError     **error)
{
  Pending *pending;
  gint64 *key;

  if (self->index_later)
    {
      sqlite3_stmt *stmt = mer_db_prepare (self->db,
                                           "INSERT OR IGNORE INTO search_backlog (doc_key) VALUES (?)",
                                           error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, doc_key);
      g_hash_table_remove (self->unindexed, &doc_key);
      return mer_db_run (self->db, stmt, error);
    }
  if (self->depth == 0)
    return _mer_store_index_doc (self, doc_key, body, deleted, fresh, error);
  pending = g_new0 (Pending, 1);
  pending->rev = g_strdup (winner_rev);
  pending->body = body != NULL ? json_object_ref (body) : NULL;
  pending->fresh = fresh;
  key = g_new (gint64, 1);
  *key = doc_key;
  g_hash_table_replace (self->unindexed, key, pending);
  return TRUE;
}

/*
 * A document this replica has never seen: its row, written once with its
 * winner, and its revisions, @path newest first, only the newest with a
 * body. Nothing to choose between, so none of refresh_doc() is needed.
 */
static gboolean
insert_new_doc (MerStore    *self,
                const char  *id,
                GPtrArray   *path,
                gboolean     deleted,
                const char  *canonical,
                JsonObject  *body,
                GError     **error)
{
  const char *rev = g_ptr_array_index (path, 0);
  const char *type = mer_json_get_string (body, "type");
  sqlite3_stmt *stmt;
  gint64 seq = next_seq (self, error);
  gint64 key;

  if (seq < 0)
    return FALSE;
  stmt = mer_db_prepare (self->db,
                         "INSERT INTO docs (id, seq, winner, deleted, conflicted, type, title, path)"
                         " VALUES (?, ?, ?, ?, 0, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_text (stmt, 3, rev, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, deleted);
  sqlite3_bind_text (stmt, 5, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, mer_json_get_string (body, "title"), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, mer_json_get_string (body, "path"), -1, SQLITE_STATIC);
  if (!mer_db_run (self->db, stmt, error))
    return FALSE;
  key = sqlite3_last_insert_rowid (mer_db_get_handle (self->db));

  for (int i = (int) path->len - 1; i >= 0; i--)
    {
      gint64 pos;

      _mer_parse_rev (g_ptr_array_index (path, i), &pos, NULL);
      stmt = mer_db_prepare (self->db,
                             "INSERT INTO revs (doc_key, rev, pos, parent, deleted, leaf, body) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, key);
      sqlite3_bind_text (stmt, 2, g_ptr_array_index (path, i), -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, pos);
      if (i + 1 < (int) path->len)
        sqlite3_bind_text (stmt, 4, g_ptr_array_index (path, i + 1), -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 5, i == 0 && deleted);
      sqlite3_bind_int (stmt, 6, i == 0);
      if (i == 0)
        sqlite3_bind_text (stmt, 7, canonical, -1, SQLITE_STATIC);
      if (!mer_db_run (self->db, stmt, error))
        return FALSE;
    }
  if (path->len > self->revs_limit && !prune (self, key, error))
    return FALSE;

  self->dirty = TRUE;
  if (!_mer_store_is_indexed_type (type))
    return TRUE;
  /* Document rows are never deleted, so a new key was never indexed. */
  return schedule_index (self, key, rev, body, deleted, TRUE, error);
}

/*
 * After the tree of a document changed: picks the winner again, gives the
 * document the next sequence number and brings the search index and the
 * link table up to date.
 */
static gboolean
refresh_doc (MerStore    *self,
             gint64       doc_key,
             const char  *known_rev,
             JsonObject  *known_body,
             GError     **error)
{
  g_autoptr(GPtrArray) leaves = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  RevInfo *winner;
  gboolean conflicted = FALSE;
  gboolean indexed;
  gint64 seq;

  if (!prune (self, doc_key, error))
    return FALSE;
  leaves = _mer_store_load_leaves (self, doc_key, error);
  if (leaves == NULL)
    return FALSE;
  g_assert (leaves->len > 0);
  winner = g_ptr_array_index (leaves, 0);
  for (guint i = 1; i < leaves->len; i++)
    if (!((RevInfo *) g_ptr_array_index (leaves, i))->deleted)
      conflicted = TRUE;

  /* The revision just written usually wins: use its body as given rather
   * than parse it back (a fifth of the cost of a write). */
  if (known_body != NULL && g_strcmp0 (winner->rev, known_rev) == 0)
    body = json_object_ref (known_body);
  else if (winner->has_body)
    {
      body = _mer_store_load_body (self, doc_key, winner->rev, &local_error);
      if (body == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  /* What search held for this document before: nothing to undo or redo
   * when neither the old nor the new winner is a kind search covers. */
  stmt = mer_db_prepare (self->db, "SELECT type FROM docs WHERE doc_key = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  if (mer_db_step (self->db, stmt, error) < 0)
    return FALSE;
  indexed = _mer_store_is_indexed_type ((const char *) sqlite3_column_text (stmt, 0))
            || _mer_store_is_indexed_type (mer_json_get_string (body, "type"));
  sqlite3_reset (stmt);

  seq = next_seq (self, error);
  if (seq < 0)
    return FALSE;
  stmt = mer_db_prepare (self->db,
                         "UPDATE docs SET seq = ?, winner = ?, deleted = ?, conflicted = ?,"
                         " type = ?, title = ?, path = ? WHERE doc_key = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_text (stmt, 2, winner->rev, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, winner->deleted);
  sqlite3_bind_int (stmt, 4, conflicted);
  sqlite3_bind_text (stmt, 5, mer_json_get_string (body, "type"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, mer_json_get_string (body, "title"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, mer_json_get_string (body, "path"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, doc_key);
  if (!mer_db_run (self->db, stmt, error))
    return FALSE;

  self->dirty = TRUE;
  if (!indexed)
    return TRUE;
  return schedule_index (self, doc_key, winner->rev, body, winner->deleted, FALSE, error);
}

/* Indexes the current winner of a document. */
static gboolean
index_winner (MerStore  *self,
              gint64     doc_key,
              Pending   *pending,
              GError   **error)
{
  g_autoptr(GPtrArray) leaves = _mer_store_load_leaves (self, doc_key, error);
  g_autoptr(JsonObject) body = NULL;
  RevInfo *winner;

  if (leaves == NULL)
    return FALSE;
  /* A savepoint rolled back since may have taken the document away. */
  if (leaves->len == 0)
    return _mer_store_index_doc (self, doc_key, NULL, TRUE, pending != NULL && pending->fresh, error);
  winner = g_ptr_array_index (leaves, 0);
  /* Revision ids cover the body, so the same winner has the same body. */
  if (pending != NULL && pending->body != NULL && strcmp (pending->rev, winner->rev) == 0)
    body = json_object_ref (pending->body);
  else if (winner->has_body)
    {
      body = _mer_store_load_body (self, doc_key, winner->rev, error);
      if (body == NULL)
        return FALSE;
    }
  return _mer_store_index_doc (self, doc_key, body, winner->deleted, pending != NULL && pending->fresh, error);
}

/* A normal edit inside an open transaction. */
static char *
write_edit (MerStore    *self,
            JsonObject  *doc,
            GError     **error)
{
  const char *id = mer_json_get_string (doc, "_id");
  const char *base = mer_json_get_string (doc, "_rev");
  gboolean deleted = mer_json_get_bool (doc, "_deleted");
  g_autofree char *winner = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *rev = NULL;
  g_autoptr(JsonObject) body = NULL;
  gboolean winner_deleted = FALSE;
  gint64 pos = 1;
  gint64 key;

  if (id == NULL || *id == '\0')
    {
      g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                           "Document id must be a non-empty string");
      return NULL;
    }
  if (id[0] == '_')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   "Only reserved document ids may start with underscore: %s", id);
      return NULL;
    }
  if (json_object_has_member (doc, "_rev") && base == NULL)
    {
      _mer_set_bad_rev (error, NULL);
      return NULL;
    }
  if (base != NULL && !_mer_parse_rev (base, NULL, NULL))
    {
      _mer_set_bad_rev (error, base);
      return NULL;
    }

  key = _mer_store_lookup_doc (self, id, &winner, &winner_deleted, error);
  if (key < 0)
    return NULL;

  if (base != NULL)
    {
      g_autoptr(RevInfo) info = key > 0 ? _mer_store_lookup_rev (self, key, base, error) : NULL;

      if (error && *error)
        return NULL;
      if (info == NULL || !info->leaf)
        {
          g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT,
                               "Document update conflict.");
          return NULL;
        }
      parent = g_strdup (base);
      pos = info->pos + 1;
    }
  else if (key > 0)
    {
      g_autoptr(RevInfo) info = NULL;

      if (!winner_deleted)
        {
          g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT,
                               "Document update conflict.");
          return NULL;
        }
      /* Writing over a deleted document continues its deleted branch. */
      info = _mer_store_lookup_rev (self, key, winner, error);
      if (info == NULL)
        return NULL;
      parent = g_strdup (winner);
      pos = info->pos + 1;
    }

  body = _mer_body_of (doc);
  canonical = _mer_canonical_object (body);
  rev = _mer_compute_rev (pos, parent, deleted, canonical);

  if (key == 0)
    {
      g_autoptr(GPtrArray) path = g_ptr_array_new ();

      g_ptr_array_add (path, rev);
      if (!insert_new_doc (self, id, path, deleted, canonical, body, error))
        return NULL;
      return g_steal_pointer (&rev);
    }
  if (!insert_rev (self, key, rev, pos, parent, deleted, canonical, error)
      || !refresh_doc (self, key, rev, body, error))
    return NULL;
  return g_steal_pointer (&rev);
}

char *
mer_store_put_doc (MerStore    *self,
                   JsonObject  *doc,
                   GError     **error)
{
  char *rev;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (doc != NULL, NULL);

  if (g_str_has_prefix (mer_json_get_string (doc, "_id") ?: "", "_local/"))
    return mer_store_put_local (self, doc, error);

  if (!mer_store_begin (self, error))
    return NULL;
  rev = write_edit (self, doc, error);
  if (rev == NULL)
    {
      mer_store_rollback (self);
      return NULL;
    }
  if (!mer_store_commit (self, error))
    g_clear_pointer (&rev, g_free);
  return rev;
}

char *
mer_store_delete_doc (MerStore    *self,
                      const char  *id,
                      const char  *rev,
                      GError     **error)
{
  g_autoptr(JsonObject) doc = json_object_new ();

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  json_object_set_string_member (doc, "_id", id);
  if (rev != NULL)
    json_object_set_string_member (doc, "_rev", rev);
  json_object_set_boolean_member (doc, "_deleted", TRUE);
  return mer_store_put_doc (self, doc, error);
}

/*
 * Grafts a revision written elsewhere into the tree (new_edits=false): the
 * ancestors this replica lacks are added without bodies, a known stub gets
 * its body, and nothing changes when the revision is already here.
 */
static gboolean
write_revision (MerStore     *self,
                MerRevision  *revision,
                GError      **error)
{
  const char *id = revision->id;
  gboolean deleted = revision->deleted;
  const char *canonical = revision->body;
  JsonObject *body = revision->fields;
  g_autoptr(GPtrArray) path = NULL;
  gboolean changed = FALSE;
  gint64 key;

  if (id == NULL || *id == '\0' || (id[0] == '_' && !g_str_has_prefix (id, "_design/")))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   "Invalid document id: %s", id ? id : "(none)");
      return FALSE;
    }
  path = mer_revision_path (revision, error);
  if (path == NULL)
    return FALSE;

  key = _mer_store_lookup_doc (self, id, NULL, NULL, error);
  if (key < 0)
    return FALSE;

  if (key == 0)
    return insert_new_doc (self, id, path, deleted, canonical, body, error);

  for (int i = (int) path->len - 1; i >= 0; i--)
    {
      const char *rev = g_ptr_array_index (path, i);
      const char *parent = i + 1 < (int) path->len ? g_ptr_array_index (path, i + 1) : NULL;
      g_autoptr(RevInfo) info = NULL;
      g_autoptr(GError) local_error = NULL;
      sqlite3_stmt *stmt;
      gint64 pos;

      info = _mer_store_lookup_rev (self, key, rev, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      _mer_parse_rev (rev, &pos, NULL);
      if (info == NULL)
        {
          if (!insert_rev (self, key, rev, pos, parent, i == 0 ? deleted : FALSE,
                           i == 0 ? canonical : NULL, error))
            return FALSE;
          changed = TRUE;
          continue;
        }
      if (info->parent == NULL && parent != NULL)
        {
          /* An earlier sync knew this revision without its ancestors. */
          stmt = mer_db_prepare (self->db, "UPDATE revs SET parent = ? WHERE rev_key = ?", error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_text (stmt, 1, parent, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 2, info->rev_key);
          if (!mer_db_run (self->db, stmt, error))
            return FALSE;
          stmt = mer_db_prepare (self->db, "UPDATE revs SET leaf = 0 WHERE doc_key = ? AND rev = ?", error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_int64 (stmt, 1, key);
          sqlite3_bind_text (stmt, 2, parent, -1, SQLITE_STATIC);
          if (!mer_db_run (self->db, stmt, error))
            return FALSE;
          changed = TRUE;
        }
      if (i == 0 && !info->has_body)
        {
          stmt = mer_db_prepare (self->db, "UPDATE revs SET body = ?, deleted = ? WHERE rev_key = ?", error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_text (stmt, 1, canonical, -1, SQLITE_STATIC);
          sqlite3_bind_int (stmt, 2, deleted);
          sqlite3_bind_int64 (stmt, 3, info->rev_key);
          if (!mer_db_run (self->db, stmt, error))
            return FALSE;
          changed = TRUE;
        }
    }

  if (!changed)
    return TRUE;
  return refresh_doc (self, key, g_ptr_array_index (path, 0), body, error);
}

gboolean
mer_store_put_revision (MerStore    *self,
                        JsonObject  *doc,
                        GError     **error)
{
  g_autoptr(MerRevision) revision = NULL;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL, FALSE);

  revision = mer_revision_new_from_doc (doc);
  if (!mer_store_begin (self, error))
    return FALSE;
  if (!write_revision (self, revision, error))
    {
      mer_store_rollback (self);
      return FALSE;
    }
  return mer_store_commit (self, error);
}

static const char *
error_name (const GError *error)
{
  if (error->domain == MER_STORE_ERROR)
    switch ((MerStoreError) error->code)
      {
      case MER_STORE_ERROR_NOT_FOUND: return "not_found";
      case MER_STORE_ERROR_CONFLICT: return "conflict";
      case MER_STORE_ERROR_BAD_REQUEST: return "bad_request";
      case MER_STORE_ERROR_FORBIDDEN: return "forbidden";
      case MER_STORE_ERROR_DATABASE: return "internal_server_error";
      }
  return "internal_server_error";
}

static gboolean
is_document_error (const GError *error)
{
  return error->domain == MER_STORE_ERROR && error->code != MER_STORE_ERROR_DATABASE;
}

/* Reports a document the store refused, in _bulk_docs' words. */
static void
add_refusal (JsonArray    *results,
             const char   *id,
             const char   *rev,
             const GError *error)
{
  JsonObject *result = json_object_new ();

  if (id != NULL)
    json_object_set_string_member (result, "id", id);
  if (rev != NULL)
    json_object_set_string_member (result, "rev", rev);
  json_object_set_string_member (result, "error", error_name (error));
  json_object_set_string_member (result, "reason", error->message);
  json_array_add_object_element (results, result);
}

/*
 * Writes a batch in one transaction. A document that is refused (a stale
 * revision, a bad id) is reported in the result and the others are
 * written: every such refusal happens before the document writes anything,
 * so no savepoint is needed. A database failure undoes the whole batch.
 */
JsonArray *
mer_store_bulk_docs (MerStore    *self,
                     JsonArray   *docs,
                     gboolean     new_edits,
                     GError     **error)
{
  g_autoptr(JsonArray) results = json_array_new ();
  guint n;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (docs != NULL, NULL);

  n = json_array_get_length (docs);
  if (!mer_store_begin (self, error))
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (docs, i);
      JsonObject *doc = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *rev = NULL;
      gboolean ok;

      if (doc == NULL)
        {
          g_set_error_literal (&local_error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                               "Document must be a JSON object");
          ok = FALSE;
        }
      else if (new_edits)
        ok = (rev = write_edit (self, doc, &local_error)) != NULL;
      else
        {
          g_autoptr(MerRevision) revision = mer_revision_new_from_doc (doc);

          ok = write_revision (self, revision, &local_error);
        }

      if (ok)
        {
          if (new_edits)
            {
              JsonObject *result = json_object_new ();

              json_object_set_boolean_member (result, "ok", TRUE);
              json_object_set_string_member (result, "id", mer_json_get_string (doc, "_id"));
              json_object_set_string_member (result, "rev", rev);
              json_array_add_object_element (results, result);
            }
          continue;
        }

      if (!is_document_error (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          mer_store_rollback (self);
          return NULL;
        }
      add_refusal (results, mer_json_get_string (doc, "_id"), mer_json_get_string (doc, "_rev"),
                   local_error);
    }
  if (!mer_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&results);
}

/*
 * Writes revisions from another replica in one transaction, as
 * mer_store_bulk_docs() with new_edits=false does. Returns the refusals,
 * usually none.
 */
JsonArray *
mer_store_put_revisions (MerStore   *self,
                         GPtrArray  *revisions,
                         GError    **error)
{
  g_autoptr(JsonArray) refusals = json_array_new ();

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (revisions != NULL, NULL);

  if (!mer_store_begin (self, error))
    return NULL;
  for (guint i = 0; i < revisions->len; i++)
    {
      MerRevision *revision = g_ptr_array_index (revisions, i);
      g_autoptr(GError) local_error = NULL;

      if (write_revision (self, revision, &local_error))
        continue;
      if (!is_document_error (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          mer_store_rollback (self);
          return NULL;
        }
      add_refusal (refusals, revision->id, revision->rev, local_error);
    }
  if (!mer_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&refusals);
}

/* ------------------------------------------------------------------ */
/* Integrity */

/*
 * Checks SQLite's own structures, the search index, and the invariants of
 * the tree: every document has a leaf, its winner is one of its revisions,
 * and every parent named is either present or was pruned (NULL).
 */
gboolean
mer_store_check_integrity (MerStore  *self,
                           GError   **error)
{
  sqlite3_stmt *stmt;
  gint64 bad;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  stmt = mer_db_prepare (self->db, "PRAGMA integrity_check", error);
  if (stmt == NULL)
    return FALSE;
  rc = mer_db_step (self->db, stmt, error);
  if (rc != SQLITE_ROW || g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") != 0)
    {
      if (rc == SQLITE_ROW)
        g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                     "integrity check: %s", sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);

  if (!mer_db_exec (self->db, "INSERT INTO search (search) VALUES ('integrity-check')", error))
    {
      g_prefix_error (error, "search index: ");
      return FALSE;
    }

  bad = _mer_store_query_int (self,
                   "SELECT count(*) FROM docs d WHERE NOT EXISTS"
                   " (SELECT 1 FROM revs r WHERE r.doc_key = d.doc_key AND r.rev = d.winner AND r.leaf = 1)",
                   error);
  if (bad != 0)
    {
      if (bad > 0)
        g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                     "%" G_GINT64_FORMAT " documents have a winner that is not a leaf", bad);
      return FALSE;
    }
  bad = _mer_store_query_int (self,
                   "SELECT count(*) FROM revs c WHERE c.parent IS NOT NULL AND NOT EXISTS"
                   " (SELECT 1 FROM revs p WHERE p.doc_key = c.doc_key AND p.rev = c.parent AND p.leaf = 0)",
                   error);
  if (bad != 0)
    {
      if (bad > 0)
        g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                     "%" G_GINT64_FORMAT " revisions name a parent that is missing or marked a leaf", bad);
      return FALSE;
    }
  return TRUE;
}
