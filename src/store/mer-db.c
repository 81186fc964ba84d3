/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-db.h"
#include "mer-store.h"

#include <errno.h>

/*
 * The one place that talks to SQLite. Statements are prepared once and
 * cached by their text; every error SQLite reports becomes a GError in
 * MER_DB_ERROR whose code is SQLite's extended result code, except a full
 * disk, which is MER_STORE_ERROR_NO_SPACE (see set_error()).
 */
struct _MerDb
{
  sqlite3    *handle;
  GHashTable *statements; /* SQL text -> sqlite3_stmt* */
};

G_DEFINE_QUARK (mer-db-error-quark, mer_db_error)

/*
 * A full disk is not a fault of the database or of the request: the
 * caller can say so (a server answers 507), and the person can act on it.
 * SQLite reports it as SQLITE_FULL (its unix layer turns ENOSPC from a
 * write into that, and so does a max_page_count reached); an I/O error
 * whose errno is ENOSPC (a truncate, a fallocate of the WAL index) is one
 * too.
 */
static gboolean
is_full (MerDb *db,
         int    code)
{
  return (code & 0xff) == SQLITE_FULL
         || ((code & 0xff) == SQLITE_IOERR && sqlite3_system_errno (db->handle) == ENOSPC);
}

static void
set_error (MerDb      *db,
           GError    **error,
           int         code,
           const char *message)
{
  if (is_full (db, code))
    g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NO_SPACE,
                 "the disk holding the workspace is full (%s)", message);
  else
    g_set_error (error, MER_DB_ERROR, code, "database error: %s", message);
}

gboolean
mer_db_set_error (MerDb   *db,
                  GError **error)
{
  set_error (db, error, sqlite3_extended_errcode (db->handle), sqlite3_errmsg (db->handle));
  return FALSE;
}

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

MerDb *
mer_db_open (const char  *path,
             GError     **error)
{
  g_autoptr(MerDb) db = g_new0 (MerDb, 1);
  int rc;

  db->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);
  rc = sqlite3_open_v2 (path, &db->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      if (db->handle == NULL)
        g_set_error (error, MER_DB_ERROR, rc, "cannot open %s: %s", path, sqlite3_errstr (rc));
      else
        g_set_error (error, MER_DB_ERROR, rc, "cannot open %s: %s", path, sqlite3_errmsg (db->handle));
      return NULL;
    }
  sqlite3_extended_result_codes (db->handle, TRUE);
  /* Another process may hold the write lock for a moment: wait, don't fail. */
  sqlite3_busy_timeout (db->handle, 10000);

  /* WAL lets readers run beside the one writer; NORMAL sync keeps every
   * committed transaction across a process crash (kill -9). */
  if (!mer_db_exec (db, "PRAGMA journal_mode=WAL", error)
      || !mer_db_exec (db, "PRAGMA synchronous=NORMAL", error)
      || !mer_db_exec (db, "PRAGMA temp_store=MEMORY", error)
      || !mer_db_exec (db, "PRAGMA cache_size=-16000", error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&db);
}

void
mer_db_free (MerDb *db)
{
  if (db == NULL)
    return;
  g_clear_pointer (&db->statements, g_hash_table_unref);
  if (db->handle != NULL)
    sqlite3_close (db->handle);
  g_free (db);
}

sqlite3 *
mer_db_get_handle (MerDb *db)
{
  return db->handle;
}

gboolean
mer_db_exec (MerDb       *db,
             const char  *sql,
             GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db->handle, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      set_error (db, error, sqlite3_extended_errcode (db->handle),
                 message ? message : sqlite3_errmsg (db->handle));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

/*
 * Returns the cached statement for @sql, reset and with its bindings
 * cleared, ready to bind. The statement belongs to @db.
 */
sqlite3_stmt *
mer_db_prepare (MerDb       *db,
                const char  *sql,
                GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (db->statements, sql);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v3 (db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      mer_db_set_error (db, error);
      return NULL;
    }
  g_hash_table_insert (db->statements, g_strdup (sql), stmt);
  return stmt;
}

/* Steps once: SQLITE_ROW or SQLITE_DONE, or -1 with @error set. */
int
mer_db_step (MerDb         *db,
             sqlite3_stmt  *stmt,
             GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  mer_db_set_error (db, error);
  sqlite3_reset (stmt);
  return -1;
}

/* Runs a statement that returns no rows. */
gboolean
mer_db_run (MerDb         *db,
            sqlite3_stmt  *stmt,
            GError       **error)
{
  int rc = mer_db_step (db, stmt, error);

  sqlite3_reset (stmt);
  return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

int
mer_db_get_version (MerDb *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db->handle, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

gboolean
mer_db_set_version (MerDb   *db,
                    int      version,
                    GError **error)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA user_version=%d", version);

  return mer_db_exec (db, sql, error);
}
