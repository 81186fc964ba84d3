/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * Desktop notifications that respect focus. The notifier watches the replica
 * for what concerns the user (a comment on their proposal or a reply to
 * them, a mention "@ana" or "@Ana", a new proposal that asks for their
 * comments) and sends a GNotification; while the user is in focus nothing
 * is sent, and when focus ends one notification says what arrived.
 */

#define MER_TYPE_NOTIFIER (mer_notifier_get_type ())
G_DECLARE_FINAL_TYPE (MerNotifier, mer_notifier, MER, NOTIFIER, GObject)

/* @title and @body are what @notification shows, for logs and tests. */
typedef void (*MerNotifierSendFunc) (const char    *id,
                                     GNotification *notification,
                                     const char    *title,
                                     const char    *body,
                                     gpointer       user_data);

/* @application may be NULL (then set a send func). Polls every 5 s. */
MerNotifier *mer_notifier_new            (MerStore            *store,
                                          GApplication        *application);
void         mer_notifier_set_send_func  (MerNotifier         *self,
                                          MerNotifierSendFunc  func,
                                          gpointer             user_data);
/* Looks at what arrived since the last look (the timer calls this). */
void         mer_notifier_poll           (MerNotifier         *self);
/* Sends now, or holds it while the user is in focus. */
void         mer_notifier_offer          (MerNotifier         *self,
                                          const char          *id,
                                          const char          *title,
                                          const char          *body);
guint        mer_notifier_get_n_held     (MerNotifier         *self);

G_END_DECLS
