/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mer-types.h"

G_BEGIN_DECLS

/* What the header shows, most urgent last. */
typedef enum
{
  MER_SYNC_STATUS_LOCAL,    /* no peers: everything stays on this computer */
  MER_SYNC_STATUS_SYNCED,   /* every peer is up to date */
  MER_SYNC_STATUS_SYNCING,  /* documents are moving */
  MER_SYNC_STATUS_OFFLINE,  /* a peer cannot be reached; retrying */
  MER_SYNC_STATUS_ERROR,    /* a sync stopped; see the message */
} MerSyncStatus;

#define MER_TYPE_SYNC_CONTROLLER (mer_sync_controller_get_type ())
G_DECLARE_FINAL_TYPE (MerSyncController, mer_sync_controller, MER, SYNC_CONTROLLER, GObject)

MerSyncController *mer_sync_controller_new            (MerStore          *store);
MerSyncStatus      mer_sync_controller_get_status     (MerSyncController *self);
const char        *mer_sync_controller_get_message    (MerSyncController *self);
const char        *mer_sync_controller_get_refused_message (MerSyncController *self);
guint              mer_sync_controller_get_pending    (MerSyncController *self);
guint64            mer_sync_controller_get_progress   (MerSyncController *self);
guint              mer_sync_controller_get_n_peers    (MerSyncController *self);
gboolean           mer_sync_controller_get_continuous (MerSyncController *self);
void               mer_sync_controller_set_continuous (MerSyncController *self,
                                                       gboolean           continuous);
void               mer_sync_controller_reload_peers   (MerSyncController *self);
void               mer_sync_controller_sync_now       (MerSyncController *self);
void               mer_sync_controller_stop           (MerSyncController *self);

G_END_DECLS
