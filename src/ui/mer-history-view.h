/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_HISTORY_VIEW (mer_history_view_get_type ())
G_DECLARE_FINAL_TYPE (MerHistoryView, mer_history_view, MER, HISTORY_VIEW, GtkWidget)

GtkWidget  *mer_history_view_new            (MerStore       *store,
                                             const char     *page_id);
void        mer_history_view_reload         (MerHistoryView *self);
guint       mer_history_view_get_n_revisions (MerHistoryView *self);
const char *mer_history_view_get_revision   (MerHistoryView *self,
                                             guint           index);
void        mer_history_view_compare        (MerHistoryView *self,
                                             const char     *old_rev,
                                             const char     *new_rev);
char       *mer_history_view_get_diff_text  (MerHistoryView *self);
char       *mer_history_view_get_attachment_changes (MerHistoryView *self,
                                                     guint           index);
char       *mer_history_view_restore        (MerHistoryView *self,
                                             const char     *rev,
                                             GError        **error);

/* A unified, line-based diff of two texts (no file headers). */
char       *mer_history_diff_text           (const char     *old_text,
                                             const char     *new_text,
                                             guint          *added,
                                             guint          *removed);

G_END_DECLS
