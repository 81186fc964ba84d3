/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"
#include "mer-markdown-editor.h"

G_BEGIN_DECLS

#define MER_TYPE_PAGE_EDITOR (mer_page_editor_get_type ())
G_DECLARE_FINAL_TYPE (MerPageEditor, mer_page_editor, MER, PAGE_EDITOR, GtkWidget)

GtkWidget         *mer_page_editor_new            (MerStore      *store,
                                                   const char    *page_id);
GtkWidget         *mer_page_editor_new_page       (MerStore      *store,
                                                   const char    *title);
const char        *mer_page_editor_get_page_id    (MerPageEditor *self);
const char        *mer_page_editor_get_heading    (MerPageEditor *self);
MerMarkdownEditor *mer_page_editor_get_editor     (MerPageEditor *self);
gboolean           mer_page_editor_get_restored   (MerPageEditor *self);
void               mer_page_editor_set_show_heading (MerPageEditor *self,
                                                     gboolean       show);
void               mer_page_editor_set_title      (MerPageEditor *self,
                                                   const char    *title);
void               mer_page_editor_set_path       (MerPageEditor *self,
                                                   const char    *path);
gboolean           mer_page_editor_save           (MerPageEditor *self,
                                                   GError       **error);
void               mer_page_editor_cancel         (MerPageEditor *self);

/* Deletes a page and offers Undo in the nearest AdwToastOverlay above
 * @toast_host (or in none if there is none). */
gboolean           mer_page_delete_with_undo      (MerStore      *store,
                                                   const char    *page_id,
                                                   GtkWidget     *toast_host,
                                                   GError       **error);
gboolean           mer_page_restore_deleted       (MerStore      *store,
                                                   const char    *page_id,
                                                   GError       **error);
char              *mer_page_rewrite_links         (const char    *markdown,
                                                   const char    *old_title,
                                                   const char    *old_path,
                                                   const char    *new_title,
                                                   const char    *new_path);

G_END_DECLS
