/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_CONFLICT_VIEW (mer_conflict_view_get_type ())
G_DECLARE_FINAL_TYPE (MerConflictView, mer_conflict_view, MER, CONFLICT_VIEW, GtkWidget)

GtkWidget  *mer_conflict_view_new             (MerStore        *store,
                                               const char      *page_id);
gboolean    mer_conflict_view_reload          (MerConflictView *self,
                                               GError         **error);
const char *mer_conflict_view_get_page_id     (MerConflictView *self);
char       *mer_conflict_view_get_merged_text (MerConflictView *self);
void        mer_conflict_view_set_merged_text (MerConflictView *self,
                                               const char      *text);
void        mer_conflict_view_use_side        (MerConflictView *self,
                                               gboolean         left);
guint       mer_conflict_view_count_regions   (MerConflictView *self);
GtkWidget  *mer_conflict_view_get_region      (MerConflictView *self,
                                               guint            index);
gboolean    mer_conflict_view_save            (MerConflictView *self,
                                               GError         **error);

G_END_DECLS
