/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mer-store.h"

G_BEGIN_DECLS

/*
 * Sharing the open workspace from the app: the same server as
 * `meridian serve --tls`, in the app's process and on its main context,
 * over HTTPS with the workspace's own certificate, on every interface.
 * Without accounts the server still answers this machine only.
 */

#define MER_SHARING_DEFAULT_PORT 5985

#define MER_TYPE_SHARING (mer_sharing_get_type ())
G_DECLARE_FINAL_TYPE (MerSharing, mer_sharing, MER, SHARING, GObject)

MerSharing *mer_sharing_new (MerStore *store);
gboolean mer_sharing_start (MerSharing *self,
                            guint16 port,
                            GError **error);
void mer_sharing_stop (MerSharing *self);
gboolean mer_sharing_get_active (MerSharing *self);
guint16 mer_sharing_get_port (MerSharing *self);
MerStore *mer_sharing_get_store (MerSharing *self);
const char *mer_sharing_get_url (MerSharing *self);
const char *mer_sharing_get_fingerprint (MerSharing *self);

G_END_DECLS
