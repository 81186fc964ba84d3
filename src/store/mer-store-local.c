/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"

#include <string.h>

/*
 * Local documents: drafts and replication checkpoints. They never enter
 * the changes feed and so never leave this replica.
 */

static gboolean
check_local_id (const char  *id,
                GError     **error)
{
  if (id == NULL || !g_str_has_prefix (id, "_local/") || id[strlen ("_local/")] == '\0')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   "Invalid local document id: %s", id ? id : "(none)");
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
local_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonObject) body = mer_json_parse_object ((const char *) sqlite3_column_text (stmt, 2), -1, NULL);
  g_autofree char *rev = g_strdup_printf ("0-%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 1));

  return _mer_make_doc ((const char *) sqlite3_column_text (stmt, 0), rev, FALSE, body);
}

JsonObject *
mer_store_get_local (MerStore    *self,
                     const char  *id,
                     GError     **error)
{
  sqlite3_stmt *stmt;
  JsonObject *doc = NULL;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  if (!check_local_id (id, error))
    return NULL;
  stmt = mer_db_prepare (_mer_store_get_db (self), "SELECT id, rev, body FROM local_docs WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = mer_db_step (_mer_store_get_db (self), stmt, error);
  if (rc == SQLITE_ROW)
    doc = local_from_row (stmt);
  else if (rc == SQLITE_DONE)
    _mer_set_not_found (error, "missing");
  sqlite3_reset (stmt);
  return doc;
}

/*
 * Writes a local document. Its revision is a plain counter "0-N"; a stale
 * "_rev" is a conflict, as CouchDB does it, so two writers of one
 * checkpoint notice each other.
 */
char *
mer_store_put_local (MerStore    *self,
                     JsonObject  *doc,
                     GError     **error)
{
  const char *id;
  const char *base;
  sqlite3_stmt *stmt;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *text = NULL;
  gint64 current = 0;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (doc != NULL, NULL);

  id = mer_json_get_string (doc, "_id");
  base = mer_json_get_string (doc, "_rev");
  if (!check_local_id (id, error))
    return NULL;
  if (!mer_store_begin (self, error))
    return NULL;

  stmt = mer_db_prepare (_mer_store_get_db (self), "SELECT rev FROM local_docs WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = mer_db_step (_mer_store_get_db (self), stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    current = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  if (current > 0)
    {
      g_autofree char *expected = g_strdup_printf ("0-%" G_GINT64_FORMAT, current);
      if (g_strcmp0 (base, expected) != 0)
        {
          g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT,
                               "Document update conflict.");
          goto fail;
        }
    }

  if (mer_json_get_bool (doc, "_deleted"))
    {
      stmt = mer_db_prepare (_mer_store_get_db (self), "DELETE FROM local_docs WHERE id = ?", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      /* A draft that goes takes its attachments with it. */
      if (!mer_db_run (_mer_store_get_db (self), stmt, error)
          || !_mer_store_forget_local_atts (self, id, NULL, error))
        goto fail;
      if (!mer_store_commit (self, error))
        return NULL;
      return g_strdup ("0-0");
    }

  body = _mer_body_of (doc);
  text = _mer_canonical_object (body);
  stmt = mer_db_prepare (_mer_store_get_db (self), "INSERT OR REPLACE INTO local_docs (id, rev, body) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, current + 1);
  sqlite3_bind_text (stmt, 3, text, -1, SQLITE_STATIC);
  if (!mer_db_run (_mer_store_get_db (self), stmt, error))
    goto fail;
  if (!mer_store_commit (self, error))
    return NULL;
  return g_strdup_printf ("0-%" G_GINT64_FORMAT, current + 1);

fail:
  mer_store_rollback (self);
  return NULL;
}

gboolean
mer_store_delete_local (MerStore    *self,
                        const char  *id,
                        GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (!check_local_id (id, error))
    return FALSE;
  if (!mer_store_begin (self, error))
    return FALSE;
  stmt = mer_db_prepare (_mer_store_get_db (self), "DELETE FROM local_docs WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (!mer_db_run (_mer_store_get_db (self), stmt, error)
      || !_mer_store_forget_local_atts (self, id, NULL, error))
    goto fail;
  return mer_store_commit (self, error);

fail:
  mer_store_rollback (self);
  return FALSE;
}

JsonArray *
mer_store_list_local (MerStore    *self,
                      const char  *prefix,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(JsonArray) docs = json_array_new ();
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  stmt = mer_db_prepare (_mer_store_get_db (self),
                         "SELECT id, rev, body FROM local_docs WHERE substr (id, 1, length (?1)) = ?1 ORDER BY id",
                         error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, prefix ? prefix : "_local/", -1, SQLITE_STATIC);
  while ((rc = mer_db_step (_mer_store_get_db (self), stmt, error)) == SQLITE_ROW)
    json_array_add_object_element (docs, local_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&docs);
}

