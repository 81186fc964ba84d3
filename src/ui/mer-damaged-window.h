/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MER_TYPE_DAMAGED_WINDOW (mer_damaged_window_get_type ())
G_DECLARE_FINAL_TYPE (MerDamagedWindow, mer_damaged_window, MER, DAMAGED_WINDOW, AdwApplicationWindow)

/*
 * What the app shows instead of its window when the workspace database
 * failed its check at open: what is wrong (SQLite's complaint), where the
 * file is, and how to get the workspace back (from a peer or the hub, or
 * from a backup). Named widgets: "damaged-status", "damaged-path".
 */
GtkWidget  *mer_damaged_window_new         (GtkApplication *app,
                                            const char     *db_path,
                                            const char     *problem);
const char *mer_damaged_window_get_db_path (MerDamagedWindow *self);

G_END_DECLS
