/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-window.h"

G_BEGIN_DECLS

/* What the window does with pages beyond reading them: each pushes the
 * matching view (editor, history, conflict) with mer_window_show_view()
 * and takes it down again when the person is done. */
void mer_page_actions_new_page (MerWindow  *window,
                                const char *title);
void mer_page_actions_edit     (MerWindow  *window,
                                const char *page_id);
void mer_page_actions_history  (MerWindow  *window,
                                const char *page_id);
void mer_page_actions_delete   (MerWindow  *window,
                                const char *page_id);
void mer_page_actions_resolve  (MerWindow  *window,
                                const char *page_id);

G_END_DECLS
