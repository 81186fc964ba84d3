/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-store-attachments.h"
#include "mer-db.h"

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

G_DEFINE_FINAL_TYPE (MerStore, mer_store, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];


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
  /* 4: revisions from other replicas that failed validation: kept out of
   * the tree, never served, shown to an admin (see mer_store_list_refused()) */
  "CREATE TABLE refused ("
  "  id TEXT NOT NULL,"
  "  rev TEXT NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  source TEXT,"
  "  at TEXT NOT NULL,"
  "  body TEXT,"
  "  PRIMARY KEY (id, rev));",
  /* 5: attachments (see mer-store-attachments.c): the bytes once per
   * content, each revision's and each draft's attachments naming them */
  "CREATE TABLE att_blobs ("
  "  blob TEXT PRIMARY KEY,"
  "  length INTEGER NOT NULL,"
  "  data BLOB NOT NULL);"
  "CREATE TABLE rev_atts ("
  "  rev_key INTEGER NOT NULL REFERENCES revs (rev_key),"
  "  name TEXT NOT NULL,"
  "  content_type TEXT NOT NULL,"
  "  digest TEXT NOT NULL,"
  "  blob TEXT NOT NULL REFERENCES att_blobs (blob),"
  "  length INTEGER NOT NULL,"
  "  revpos INTEGER NOT NULL,"
  "  encoding TEXT,"
  "  PRIMARY KEY (rev_key, name)) WITHOUT ROWID;"
  "CREATE INDEX rev_atts_by_blob ON rev_atts (blob);"
  "CREATE INDEX rev_atts_by_digest ON rev_atts (digest);"
  "CREATE TABLE local_atts ("
  "  id TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  content_type TEXT NOT NULL,"
  "  digest TEXT NOT NULL REFERENCES att_blobs (blob),"
  "  length INTEGER NOT NULL,"
  "  PRIMARY KEY (id, name)) WITHOUT ROWID;"
  "CREATE INDEX local_atts_by_digest ON local_atts (digest);",
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
  g_clear_pointer (&self->gc_candidates, g_hash_table_unref);
  g_clear_pointer (&self->staged_blobs, g_hash_table_unref);
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
  self->max_attachment = (guint64) MER_ATTACHMENT_DEFAULT_MAX_MIB * 1024 * 1024;
  self->gc_candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->staged_blobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->unindexed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                           (GDestroyNotify) _mer_store_pending_free);
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
  g_free (limit);
  limit = meta_get (self, "max_attachment", NULL);
  if (limit != NULL && g_ascii_strtoull (limit, NULL, 10) > 0)
    self->max_attachment = g_ascii_strtoull (limit, NULL, 10);
  if (!mer_store_commit (self, error))
    return NULL;

  return g_steal_pointer (&self);

fail:
  mer_store_rollback (self);
  return NULL;
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
      /* A full disk stays MER_STORE_ERROR_NO_SPACE. */
      mer_db_set_error (self->db, error);
      g_prefix_error (error, "checkpoint failed: ");
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

  if (!_mer_store_flush_index (self, error) || !_mer_store_collect_candidates (self, error)
      || !mer_db_exec (self->db, "COMMIT", error))
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
  g_hash_table_remove_all (self->gc_candidates);
  g_hash_table_remove_all (self->staged_blobs);
  /* Counts taken inside the transaction may describe what was undone. */
  self->live_count = -1;
  self->depth = 0;
  self->reading = FALSE;
  self->dirty = FALSE;
}

/* ------------------------------------------------------------------ */
/* Integrity */

/*
 * SQLite's quick check (page structure, no index cross-checks): cheap
 * enough to run at every open, so that a damaged file is refused with
 * SQLite's first complaint instead of failing later, half-way through a
 * request. A database too damaged to even read its header fails here too.
 */
gboolean
mer_store_check_quick (MerStore  *self,
                       GError   **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  stmt = mer_db_prepare (self->db, "PRAGMA quick_check(1)", error);
  if (stmt == NULL)
    return FALSE;
  rc = mer_db_step (self->db, stmt, error);
  if (rc != SQLITE_ROW || g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") != 0)
    {
      if (rc == SQLITE_ROW)
        g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                     "%s", sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

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
  /* No revision and no draft names attachment bytes that are not kept. */
  bad = _mer_store_query_int (self,
                   "SELECT (SELECT count(*) FROM rev_atts a WHERE NOT EXISTS"
                   " (SELECT 1 FROM att_blobs b WHERE b.blob = a.blob))"
                   " + (SELECT count(*) FROM local_atts l WHERE NOT EXISTS"
                   " (SELECT 1 FROM att_blobs b WHERE b.blob = l.digest))",
                   error);
  if (bad != 0)
    {
      if (bad > 0)
        g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                     "%" G_GINT64_FORMAT " attachments name bytes that are missing", bad);
      return FALSE;
    }
  return TRUE;
}

/*
 * The revisions other replicas sent that failed validation, newest first:
 * [{id, rev, reason, source, at, body}], body the refused document's
 * body as JSON text, or null when it was too large to keep.
 */
JsonArray *
mer_store_list_refused (MerStore  *self,
                        GError   **error)
{
  g_autoptr(JsonArray) rows = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  stmt = mer_db_prepare (self->db,
                         "SELECT id, rev, reason, source, at, body FROM refused"
                         " ORDER BY at DESC, id, rev", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = mer_db_step (self->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *row = json_object_new ();
      static const char * const names[] = { "id", "rev", "reason", "source", "at", "body" };

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          const char *value = (const char *) sqlite3_column_text (stmt, (int) i);

          if (value != NULL)
            json_object_set_string_member (row, names[i], value);
          else
            json_object_set_null_member (row, names[i]);
        }
      json_array_add_object_element (rows, row);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&rows);
}
