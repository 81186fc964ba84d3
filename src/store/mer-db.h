/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_DB_ERROR (mer_db_error_quark ())

GQuark        mer_db_error_quark (void);

MerDb        *mer_db_open        (const char    *path,
                                  GError       **error);
void          mer_db_free        (MerDb         *db);
sqlite3      *mer_db_get_handle  (MerDb         *db);
gboolean      mer_db_exec        (MerDb         *db,
                                  const char    *sql,
                                  GError       **error);
sqlite3_stmt *mer_db_prepare     (MerDb         *db,
                                  const char    *sql,
                                  GError       **error);
int           mer_db_step        (MerDb         *db,
                                  sqlite3_stmt  *stmt,
                                  GError       **error);
gboolean      mer_db_run         (MerDb         *db,
                                  sqlite3_stmt  *stmt,
                                  GError       **error);
gboolean      mer_db_set_error   (MerDb         *db,
                                  GError       **error);
int           mer_db_get_version (MerDb         *db);
gboolean      mer_db_set_version (MerDb         *db,
                                  int            version,
                                  GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerDb, mer_db_free)

G_END_DECLS
