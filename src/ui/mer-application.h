/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mer-types.h"
#include "mer-sharing.h"
#include "mer-sync-controller.h"

G_BEGIN_DECLS

#define MER_TYPE_APPLICATION (mer_application_get_type ())
G_DECLARE_FINAL_TYPE (MerApplication, mer_application, MER, APPLICATION, AdwApplication)

MerApplication    *mer_application_new          (const char     *data_dir);
MerStore          *mer_application_get_store    (MerApplication *self);
MerSyncController *mer_application_get_sync     (MerApplication *self);
MerSharing        *mer_application_get_sharing  (MerApplication *self);
GSettings         *mer_application_get_settings (MerApplication *self);
const char        *mer_application_get_data_dir (MerApplication *self);
gboolean           mer_application_get_failed   (MerApplication *self);

G_END_DECLS
