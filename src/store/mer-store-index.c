/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"

#include <string.h>

/*
 * The search index and the links, kept in step with the winners: a
 * document's rows are taken out and written again when its winner changes,
 * at the outermost commit (FTS5 writes one segment per savepoint release,
 * see _mer_store_flush_index()), or later through search_backlog. The
 * FTS5 row of a document has the rowid of its `docs` row.
 */

gboolean
_mer_store_search_migrate (MerDb   *db,
                           GError **error)
{
  return mer_db_exec (db,
                      "CREATE VIRTUAL TABLE search USING fts5 ("
                      " title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
                      error);
}

char *
_mer_store_link_key (const char *target)
{
  g_autofree char *stripped = g_strstrip (g_strdup (target));
  char *start = stripped;

  while (*start == '/')
    start++;
  if (g_str_has_suffix (start, ".md"))
    start[strlen (start) - 3] = '\0';
  return g_utf8_casefold (start, -1);
}

/* Set once, before any store is opened; read by every connection. */
static const MerStoreIndexer *indexer;

/*
 * Installs what the layer above says of its documents (see
 * MerStoreIndexer). Without one, documents have no search rows nor links.
 */
void
mer_store_set_indexer (const MerStoreIndexer *new_indexer)
{
  indexer = new_indexer;
}

const MerStoreIndexer *
_mer_store_get_indexer (void)
{
  return indexer;
}

/*
 * Whether the store reads this top-level string of a body: for its columns
 * (type, title, path) or for the indexer. A revision read from a peer
 * keeps only these (see mer-revision.c).
 */
gboolean
_mer_store_reads_field (const char *name)
{
  static const char * const names[] = { "type", "title", "path" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i]) == 0)
      return TRUE;
  for (guint i = 0; indexer != NULL && indexer->fields != NULL && indexer->fields[i] != NULL; i++)
    if (strcmp (name, indexer->fields[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The kinds of document search and the link table cover. */
gboolean
_mer_store_is_indexed_type (const char *type)
{
  return indexer != NULL && indexer->indexes_type (type);
}

/* Takes a document's search row and links out. */
static gboolean
forget_doc (MerDb    *db,
            gint64    doc_key,
            GError  **error)
{
  sqlite3_stmt *stmt;

  stmt = mer_db_prepare (db, "DELETE FROM search WHERE rowid = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  if (!mer_db_run (db, stmt, error))
    return FALSE;
  stmt = mer_db_prepare (db, "DELETE FROM links WHERE src = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  if (!mer_db_run (db, stmt, error))
    return FALSE;
  return TRUE;
}

/* Puts the searchable text of a winner into the index, and its links. */
gboolean
_mer_store_index_doc (MerStore    *self,
                      gint64       doc_key,
                      JsonObject  *body,
                      gboolean     deleted,
                      gboolean     fresh,
                      GError     **error)
{
  MerDb *db = _mer_store_get_db (self);
  const char *type = mer_json_get_string (body, "type");
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) targets = NULL;
  sqlite3_stmt *stmt;

  /* A document new to this replica has no rows to take out. */
  if (!fresh && !forget_doc (db, doc_key, error))
    return FALSE;
  if (deleted || type == NULL || !_mer_store_is_indexed_type (type))
    return TRUE;
  if (!indexer->extract (self, body, &title, &text, &targets))
    return TRUE;

  stmt = mer_db_prepare (db, "INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  sqlite3_bind_text (stmt, 2, title ? title : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, text ? text : "", -1, SQLITE_STATIC);
  if (!mer_db_run (db, stmt, error))
    return FALSE;

  for (guint i = 0; targets != NULL && targets[i] != NULL; i++)
    {
      g_autofree char *key = _mer_store_link_key (targets[i]);

      stmt = mer_db_prepare (db, "INSERT INTO links (src, target) VALUES (?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, doc_key);
      sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
      if (!mer_db_run (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

void
_mer_store_pending_free (gpointer data)
{
  Pending *pending = data;

  g_free (pending->rev);
  g_clear_pointer (&pending->body, json_object_unref);
  g_free (pending);
}

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

      if (!_mer_store_index_winner (self, doc_key, g_hash_table_lookup (self->unindexed, &doc_key), error))
        return FALSE;
    }
  g_hash_table_remove_all (self->unindexed);
  return TRUE;
}

/*
 * Brings the search rows and links of a document up to date now, or at the
 * outermost commit when a transaction is open. @body is the winner's body
 * (kept until then, so it need not be read back), or NULL.
 */
gboolean
_mer_store_schedule_index (MerStore    *self,
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

/* Indexes the current winner of a document. */
gboolean
_mer_store_index_winner (MerStore  *self,
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
