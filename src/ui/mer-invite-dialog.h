/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MER_TYPE_INVITE_DIALOG (mer_invite_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MerInviteDialog, mer_invite_dialog, MER, INVITE_DIALOG, AdwWindow)

GtkWidget *mer_invite_dialog_new (const char *data_dir,
                                  const char *url);
const char *mer_invite_dialog_get_link (MerInviteDialog *self);
GdkTexture *mer_invite_qr_texture (const char *text,
                                   guint scale,
                                   GError **error);

G_END_DECLS
