/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * "Since you were last here": a window listing, grouped, the decisions,
 * proposals, comments and page changes that arrived since the person last
 * opened the app; each row opens its document.
 */
GtkWidget *mer_digest_dialog_new            (MerStore   *store,
                                             JsonObject *digest,
                                             GtkWindow  *parent);
/*
 * Called once per opening: shows the digest when there is something new
 * since the last opening, then records this opening. Returns the dialog,
 * or NULL when there was nothing to show (or this is the first opening).
 */
GtkWidget *mer_digest_dialog_present_if_new (MerStore   *store,
                                             GtkWindow  *parent);

G_END_DECLS
