/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GSettings *mer_settings_new (void);
guint mer_settings_migrate_legacy (GSettings *settings,
                                   const char *legacy_schemas_dir);

G_END_DECLS
