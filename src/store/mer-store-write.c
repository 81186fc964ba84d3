/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"
#include "mer-revision.h"
#include "mer-store-attachments.h"

#include <string.h>

/*
 * Writing the replica: local edits, revisions grafted from other
 * replicas, the choice of each document's winner, and handing each new
 * winner to the search index (mer-store-index.c).
 */

/* ------------------------------------------------------------------ */
/* Validation by the layer above */

/* Set once, before any store is opened; read by every connection. */
static const MerStoreValidator *validator;

/*
 * Installs the layer above's rules for what may be written (see
 * MerStoreValidator). Every way in goes through validate_doc() or
 * validate_revision() below, so no path can skip them.
 */
void
mer_store_set_validator (const MerStoreValidator *new_validator)
{
  validator = new_validator;
}

static gboolean
validate_doc (MerStore    *self,
              JsonObject  *doc,
              gboolean     new_edits,
              GError     **error)
{
  return validator == NULL || validator->validate_doc (self, doc, new_edits, error);
}

static gboolean
validate_revision (MerStore     *self,
                   MerRevision  *revision,
                   GError      **error)
{
  return validator == NULL || validator->validate_revision (self, revision, error);
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
      if (info->has_body && !_mer_store_forget_rev_atts (self, info->rev_key, error))
        return FALSE;
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
  return _mer_store_schedule_index (self, key, rev, body, deleted, TRUE, error);
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
  return _mer_store_schedule_index (self, doc_key, winner->rev, body, winner->deleted, FALSE, error);
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
  g_autoptr(GPtrArray) atts = NULL;
  gboolean winner_deleted = FALSE;
  gint64 pos = 1;
  gint64 key;

  if (id == NULL || *id == '\0')
    {
      g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                           "Document id must be a non-empty string");
      return NULL;
    }
  /* The app, an import and `serve` all write through here. */
  if (!validate_doc (self, doc, TRUE, error))
    return NULL;
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
  /* The bytes are kept before the revision that names them. */
  atts = _mer_store_resolve_attachments (self, key, parent, json_object_get_member (doc, "_attachments"),
                                         pos, TRUE, body, error);
  if (atts == NULL)
    return NULL;
  canonical = _mer_canonical_object (body);
  rev = _mer_compute_rev (pos, parent, deleted, canonical);

  if (key == 0)
    {
      g_autoptr(GPtrArray) path = g_ptr_array_new ();

      g_ptr_array_add (path, rev);
      if (!insert_new_doc (self, id, path, deleted, canonical, body, error))
        return NULL;
      key = _mer_store_lookup_doc (self, id, NULL, NULL, error);
      if (key <= 0 || !_mer_store_write_rev_atts (self, key, rev, atts, error))
        return NULL;
      return g_steal_pointer (&rev);
    }
  if (!insert_rev (self, key, rev, pos, parent, deleted, canonical, error)
      || !_mer_store_write_rev_atts (self, key, rev, atts, error)
      || !refresh_doc (self, key, rev, body, error))
    return NULL;
  return g_steal_pointer (&rev);
}

char *
_mer_store_write_edit (MerStore    *self,
                       JsonObject  *doc,
                       GError     **error)
{
  return write_edit (self, doc, error);
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
 * The attachments of a replicated revision, checked and their bytes kept:
 * *@with_atts is then the revision's body with their stubs (NULL when it
 * has none), *@atts the rows to write with it.
 */
static gboolean
resolve_revision_atts (MerStore     *self,
                       gint64        key,
                       MerRevision  *revision,
                       GPtrArray   **atts,
                       char        **with_atts,
                       GError      **error)
{
  g_autoptr(JsonObject) full = NULL;
  gint64 pos = 0;

  if (revision->attachments == NULL || *atts != NULL)
    return TRUE;
  _mer_parse_rev (revision->rev, &pos, NULL);
  full = mer_json_parse_object (revision->body, -1, error);
  if (full == NULL)
    return FALSE;
  *atts = _mer_store_resolve_attachments (self, key, NULL, revision->attachments, pos, FALSE, full, error);
  if (*atts == NULL)
    return FALSE;
  if ((*atts)->len > 0)
    *with_atts = _mer_canonical_object (full);
  return TRUE;
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
  g_autoptr(GPtrArray) atts = NULL;
  g_autofree char *with_atts = NULL;
  gboolean changed = FALSE;
  gint64 key;

  /* What the reader could not keep exactly is refused, never altered. */
  if (revision->problem != NULL)
    {
      g_propagate_error (error, g_error_copy (revision->problem));
      return FALSE;
    }
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
    {
      if (!resolve_revision_atts (self, 0, revision, &atts, &with_atts, error))
        return FALSE;
      if (with_atts != NULL)
        canonical = with_atts;
      if (!insert_new_doc (self, id, path, deleted, canonical, body, error))
        return FALSE;
      if (atts == NULL)
        return TRUE;
      key = _mer_store_lookup_doc (self, id, NULL, NULL, error);
      return key > 0 && _mer_store_write_rev_atts (self, key, revision->rev, atts, error);
    }

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
      if (i == 0 && (info == NULL || !info->has_body))
        {
          if (!resolve_revision_atts (self, key, revision, &atts, &with_atts, error))
            return FALSE;
          if (with_atts != NULL)
            canonical = with_atts;
        }
      if (info == NULL)
        {
          if (!insert_rev (self, key, rev, pos, parent, i == 0 ? deleted : FALSE,
                           i == 0 ? canonical : NULL, error)
              || (i == 0 && !_mer_store_write_rev_atts (self, key, rev, atts, error)))
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
          if (!mer_db_run (self->db, stmt, error)
              || !_mer_store_write_rev_atts (self, key, rev, atts, error))
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
  if (!validate_doc (self, doc, FALSE, error) || !write_revision (self, revision, error))
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
      case MER_STORE_ERROR_TOO_LARGE: return "too_large";
      case MER_STORE_ERROR_NO_SPACE: return "insufficient_storage";
      case MER_STORE_ERROR_MISSING_STUB: return "missing_stub";
      case MER_STORE_ERROR_DATABASE: return "internal_server_error";
      }
  return "internal_server_error";
}

/* A refusal of one document, as opposed to a failure of the whole write
 * (the database, a full disk), which undoes the batch. */
static gboolean
is_document_error (const GError *error)
{
  return error->domain == MER_STORE_ERROR && error->code != MER_STORE_ERROR_DATABASE
         && error->code != MER_STORE_ERROR_NO_SPACE;
}

/* Reports a document the store refused, in _bulk_docs' words. */
static JsonObject *
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
  return result;
}

/*
 * Keeps a revision another replica sent and validation refused in the
 * refused table, outside the tree: never served, never a leaf, and never
 * asked for again (see read_revs_diff()), so a lying peer costs one
 * refusal, not one per sync. Design documents are not content (Meridian
 * runs no code from peers) and are not kept. *@fresh says whether the
 * revision was not refused before.
 */
static gboolean
record_refusal (MerStore      *self,
                MerRevision   *revision,
                const GError  *reason,
                const char    *source,
                gboolean      *fresh,
                GError       **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  sqlite3_stmt *stmt;

  *fresh = TRUE;
  if (revision->id == NULL || revision->rev == NULL || g_str_has_prefix (revision->id, "_design/")
      || strlen (revision->id) > MER_STORE_MAX_ID_BYTES || strlen (revision->rev) > 256
      || !g_utf8_validate (revision->id, -1, NULL) || !g_utf8_validate (revision->rev, -1, NULL))
    return TRUE;
  stmt = mer_db_prepare (self->db,
                         "INSERT OR IGNORE INTO refused (id, rev, reason, source, at, body)"
                         " VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, revision->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, revision->rev, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, reason->message, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, source, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, at, -1, SQLITE_STATIC);
  /* The body is kept for an admin to read, unless it is too large. */
  if (revision->body != NULL && strlen (revision->body) <= MER_STORE_MAX_DOC_BYTES)
    sqlite3_bind_text (stmt, 6, revision->body, -1, SQLITE_STATIC);
  if (!mer_db_run (self->db, stmt, error))
    return FALSE;
  *fresh = sqlite3_changes (mer_db_get_handle (self->db)) > 0;
  return TRUE;
}

/*
 * Validates and grafts one revision from another replica. @doc, when the
 * revision came as a whole document (a `_bulk_docs` request), is what is
 * validated; otherwise the revision itself. A refusal is added to
 * @refusals and, with a @source, recorded; with @mark_repeats, a refusal
 * recorded before says so ("repeated": true). Only a database failure
 * returns FALSE.
 */
static gboolean
graft (MerStore     *self,
       MerRevision  *revision,
       JsonObject   *doc,
       const char   *source,
       gboolean      mark_repeats,
       JsonArray    *refusals,
       GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean fresh = TRUE;
  gboolean ok;
  JsonObject *row;

  ok = doc != NULL ? validate_doc (self, doc, FALSE, &local_error)
                   : validate_revision (self, revision, &local_error);
  if (ok && write_revision (self, revision, &local_error))
    return TRUE;
  if (!is_document_error (local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (source != NULL && !record_refusal (self, revision, local_error, source, &fresh, error))
    return FALSE;
  row = add_refusal (refusals, revision->id, revision->rev, local_error);
  if (mark_repeats && !fresh)
    json_object_set_boolean_member (row, "repeated", TRUE);
  return TRUE;
}

/*
 * Writes a batch in one transaction. A document that is refused (a stale
 * revision, a bad id, a document that fails validation) is reported in
 * the result and the others are written: every such refusal happens
 * before the document writes anything, so no savepoint is needed. A
 * database failure undoes the whole batch. With new_edits=false, a
 * refused revision is recorded as sent by @source (see
 * mer_store_list_refused()) when @source is not NULL.
 */
JsonArray *
mer_store_bulk_docs (MerStore    *self,
                     JsonArray   *docs,
                     gboolean     new_edits,
                     const char  *source,
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

          if (!graft (self, revision, doc, source, FALSE, results, error))
            {
              mer_store_rollback (self);
              return NULL;
            }
          continue;
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
      /* As CouchDB answers a refused edit: the id, no revision (none was made). */
      add_refusal (results, doc != NULL ? mer_json_get_string (doc, "_id") : NULL, NULL, local_error);
    }
  if (!mer_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&results);
}

/*
 * Writes revisions from another replica in one transaction, as
 * mer_store_bulk_docs() with new_edits=false does, each validated first.
 * Returns the refusals, usually none; each is recorded as sent by @source
 * when that is not NULL, and one recorded before has "repeated": true.
 */
JsonArray *
mer_store_put_revisions (MerStore    *self,
                         GPtrArray   *revisions,
                         const char  *source,
                         GError     **error)
{
  g_autoptr(JsonArray) refusals = json_array_new ();

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (revisions != NULL, NULL);

  if (!mer_store_begin (self, error))
    return NULL;
  for (guint i = 0; i < revisions->len; i++)
    {
      if (!graft (self, g_ptr_array_index (revisions, i), NULL, source, TRUE, refusals, error))
        {
          mer_store_rollback (self);
          return NULL;
        }
    }
  if (!mer_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&refusals);
}

