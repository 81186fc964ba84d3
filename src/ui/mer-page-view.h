/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_PAGE_VIEW (mer_page_view_get_type ())
G_DECLARE_FINAL_TYPE (MerPageView, mer_page_view, MER, PAGE_VIEW, GtkWidget)

GtkWidget  *mer_page_view_new             (MerStore    *store);
void        mer_page_view_open            (MerPageView *self,
                                           const char  *page_id);
void        mer_page_view_open_uri        (MerPageView *self,
                                           const char  *uri);
void        mer_page_view_reload          (MerPageView *self);
const char *mer_page_view_get_page_id     (MerPageView *self);
const char *mer_page_view_get_title       (MerPageView *self);
const char *mer_page_view_get_owner_name  (MerPageView *self);
gboolean    mer_page_view_get_needs_review (MerPageView *self);
const char *mer_page_view_get_superseded_decision (MerPageView *self);
gboolean    mer_page_view_get_loaded      (MerPageView *self);
gboolean    mer_page_view_can_go_back     (MerPageView *self);
gboolean    mer_page_view_can_go_forward  (MerPageView *self);
void        mer_page_view_go_back         (MerPageView *self);
void        mer_page_view_go_forward      (MerPageView *self);
void        mer_page_view_set_show_info   (MerPageView *self,
                                           gboolean     show_info);
gboolean    mer_page_view_get_show_info   (MerPageView *self);
gboolean    mer_page_view_get_has_conflict (MerPageView *self);
void        mer_page_view_resolve_conflict (MerPageView *self);
GtkWidget  *mer_page_view_get_web_view    (MerPageView *self);
guint       mer_page_view_get_blocked_count (MerPageView *self);

G_END_DECLS
