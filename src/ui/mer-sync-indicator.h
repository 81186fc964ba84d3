/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-sync-controller.h"

G_BEGIN_DECLS

#define MER_TYPE_SYNC_INDICATOR (mer_sync_indicator_get_type ())
G_DECLARE_FINAL_TYPE (MerSyncIndicator, mer_sync_indicator, MER, SYNC_INDICATOR, GtkWidget)

GtkWidget  *mer_sync_indicator_new         (MerSyncController *controller);
const char *mer_sync_indicator_get_summary (MerSyncIndicator  *self);
char       *mer_sync_indicator_get_detail  (MerSyncIndicator  *self);

G_END_DECLS
