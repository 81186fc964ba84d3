/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"

#include <string.h>

/*
 * Reading the rows of one document: its key and winner, one revision, its
 * leaves, its whole tree and a revision's body, and the shapes the store
 * answers with. Everything above the database uses these; they use no
 * transaction of their own.
 */

void
_mer_rev_info_free (RevInfo *info)
{
  g_free (info->rev);
  g_free (info->parent);
  g_free (info);
}

MerDb *
_mer_store_get_db (MerStore *self)
{
  return self->db;
}

gint64
_mer_store_lookup_doc (MerStore    *self,
            const char  *id,
            char       **winner,
            gboolean    *deleted,
            GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT doc_key, winner, deleted FROM docs WHERE id = ?",
                                       error);
  gint64 key = 0;
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = mer_db_step (_mer_store_get_db (self), stmt, error);
  if (rc < 0)
    return -1;
  if (rc == SQLITE_ROW)
    {
      key = sqlite3_column_int64 (stmt, 0);
      if (winner)
        *winner = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (deleted)
        *deleted = sqlite3_column_int (stmt, 2);
    }
  sqlite3_reset (stmt);
  return key;
}

RevInfo *
_mer_rev_from_row (sqlite3_stmt *stmt)
{
  RevInfo *info = g_new0 (RevInfo, 1);

  info->rev_key = sqlite3_column_int64 (stmt, 0);
  info->rev = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  info->parent = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  info->pos = sqlite3_column_int64 (stmt, 3);
  info->deleted = sqlite3_column_int (stmt, 4);
  info->leaf = sqlite3_column_int (stmt, 5);
  info->has_body = sqlite3_column_int (stmt, 6);
  return info;
}

/* Looks a revision up; NULL with no error when the tree lacks it. */
RevInfo *
_mer_store_lookup_rev (MerStore    *self,
            gint64       doc_key,
            const char  *rev,
            GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT " REV_COLUMNS " FROM revs WHERE doc_key = ? AND rev = ?",
                                       error);
  RevInfo *info = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  sqlite3_bind_text (stmt, 2, rev, -1, SQLITE_STATIC);
  rc = mer_db_step (_mer_store_get_db (self), stmt, error);
  if (rc == SQLITE_ROW)
    info = _mer_rev_from_row (stmt);
  sqlite3_reset (stmt);
  return info;
}

/* The leaves of a document, the winner first. */
GPtrArray *
_mer_store_load_leaves (MerStore  *self,
             gint64     doc_key,
             GError   **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT " REV_COLUMNS " FROM revs WHERE doc_key = ? AND leaf = 1",
                                       error);
  g_autoptr(GPtrArray) leaves = g_ptr_array_new_with_free_func ((GDestroyNotify) _mer_rev_info_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  while ((rc = mer_db_step (_mer_store_get_db (self), stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (leaves, _mer_rev_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  g_ptr_array_sort (leaves, _mer_compare_leaves);
  return g_steal_pointer (&leaves);
}

/*
 * The revisions a bound statement of REV_COLUMNS selects, by revision id.
 * With @key, column 7 is the document's key, stored there (0 for none).
 */
GHashTable *
_mer_store_read_tree (MerStore      *self,
                      sqlite3_stmt  *stmt,
                      gint64        *key,
                      GError       **error)
{
  g_autoptr(GHashTable) tree = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                      (GDestroyNotify) _mer_rev_info_free);
  int rc;

  if (key != NULL)
    *key = 0;
  while ((rc = mer_db_step (_mer_store_get_db (self), stmt, error)) == SQLITE_ROW)
    {
      RevInfo *info = _mer_rev_from_row (stmt);

      if (key != NULL)
        *key = sqlite3_column_int64 (stmt, 7);
      g_hash_table_insert (tree, info->rev, info);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&tree);
}

/* Every revision of a document, by revision id. */
GHashTable *
_mer_store_load_tree (MerStore  *self,
           gint64     doc_key,
           GError   **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT " REV_COLUMNS " FROM revs WHERE doc_key = ?",
                                       error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  return _mer_store_read_tree (self, stmt, NULL, error);
}

/* The stored text of a revision's body: canonical JSON of an object. */
char *
_mer_store_load_body_text (MerStore    *self,
                           gint64       doc_key,
                           const char  *rev,
                           gsize       *length,
                           GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT body FROM revs WHERE doc_key = ? AND rev = ?",
                                       error);
  char *text = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  sqlite3_bind_text (stmt, 2, rev, -1, SQLITE_STATIC);
  rc = mer_db_step (_mer_store_get_db (self), stmt, error);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    {
      *length = sqlite3_column_bytes (stmt, 0);
      text = g_strndup ((const char *) sqlite3_column_text (stmt, 0), *length);
    }
  else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    _mer_set_not_found (error, "missing");
  sqlite3_reset (stmt);
  return text;
}

JsonObject *
_mer_store_load_body (MerStore    *self,
                      gint64       doc_key,
                      const char  *rev,
                      GError     **error)
{
  gsize length = 0;
  g_autofree char *text = _mer_store_load_body_text (self, doc_key, rev, &length, error);

  if (text == NULL)
    return NULL;
  return mer_json_parse_object (text, length, error);
}

/* The ids from @rev back to the root this replica knows, newest first. */
GPtrArray *
_mer_ancestry (GHashTable *tree,
          const char *rev)
{
  GPtrArray *path = g_ptr_array_new ();
  RevInfo *info = g_hash_table_lookup (tree, rev);

  while (info != NULL && path->len < 100000)
    {
      g_ptr_array_add (path, info);
      info = info->parent ? g_hash_table_lookup (tree, info->parent) : NULL;
    }
  return path;
}

JsonObject *
_mer_revisions_object (GHashTable *tree,
                  const char *rev)
{
  g_autoptr(GPtrArray) path = _mer_ancestry (tree, rev);
  JsonObject *revisions = json_object_new ();
  JsonArray *ids = json_array_new ();
  gint64 start = 0;

  for (guint i = 0; i < path->len; i++)
    {
      RevInfo *info = g_ptr_array_index (path, i);
      if (i == 0)
        start = info->pos;
      json_array_add_string_element (ids, strchr (info->rev, '-') + 1);
    }
  json_object_set_int_member (revisions, "start", start);
  json_object_set_array_member (revisions, "ids", ids);
  return revisions;
}

/* Builds {_id, _rev, body…, _deleted?} from a stored body. */
JsonObject *
_mer_make_doc (const char *id,
          const char *rev,
          gboolean    deleted,
          JsonObject *body)
{
  JsonObject *doc = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "_rev", rev);
  if (body != NULL)
    {
      json_object_iter_init (&iter, body);
      while (json_object_iter_next (&iter, &name, &member))
        json_object_set_member (doc, name, json_node_copy (member));
    }
  if (deleted)
    json_object_set_boolean_member (doc, "_deleted", TRUE);
  return doc;
}

void
_mer_set_not_found (GError    **error,
               const char *reason)
{
  g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND, reason);
}
