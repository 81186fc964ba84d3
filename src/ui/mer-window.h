/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_WINDOW (mer_window_get_type ())
G_DECLARE_FINAL_TYPE (MerWindow, mer_window, MER, WINDOW, AdwApplicationWindow)

MerWindow  *mer_window_new              (GtkApplication *application,
                                         MerStore       *store);
MerStore   *mer_window_get_store        (MerWindow      *self);

/* Adds a section to the sidebar (below Handbook) showing @view.  To let
 * search results and links open one of your documents, install a widget
 * action "section.open-doc" with a string parameter (the full document id)
 * on @view: the window activates it after switching to the section. */
void        mer_window_add_section      (MerWindow      *self,
                                         const char     *name,
                                         const char     *title,
                                         const char     *icon_name,
                                         GtkWidget      *view);
void        mer_window_show_section     (MerWindow      *self,
                                         const char     *name);
const char *mer_window_get_section      (MerWindow      *self);

/* Shows a page of the handbook ("page:on-call"). */
void        mer_window_open_page        (MerWindow      *self,
                                         const char     *page_id);
/* After @gone_id was deleted: shows another page (the tree's first). */
void        mer_window_open_other_page  (MerWindow      *self,
                                         const char     *gone_id);
/* Opens any document: pages in the reader, others in their section. */
gboolean    mer_window_open_doc         (MerWindow      *self,
                                         const char     *doc_id);

/* Pushes a full-width view (an editor, a history, a conflict) over the
 * content with a Back button; Back (or mer_window_close_view) pops it. */
void        mer_window_show_view        (MerWindow      *self,
                                         GtkWidget      *view,
                                         const char     *title);
void        mer_window_close_view       (MerWindow      *self,
                                         GtkWidget      *view);
GtkWidget  *mer_window_get_visible_view (MerWindow      *self);

void        mer_window_show_search      (MerWindow      *self);
void        mer_window_hide_search      (MerWindow      *self);
void        mer_window_add_toast        (MerWindow      *self,
                                         const char     *title);

GtkWidget  *mer_window_get_page_view    (MerWindow      *self);
GtkWidget  *mer_window_get_search_panel (MerWindow      *self);
GtkWidget  *mer_window_get_page_tree    (MerWindow      *self);
GtkWidget  *mer_window_get_sync_indicator (MerWindow    *self);
gboolean    mer_window_get_folded       (MerWindow      *self);
gboolean    mer_window_get_in_focus     (MerWindow      *self);
GtkWidget  *mer_window_get_focus_button (MerWindow      *self);

G_END_DECLS
