/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_PAGE_TREE (mer_page_tree_get_type ())
G_DECLARE_FINAL_TYPE (MerPageTree, mer_page_tree, MER, PAGE_TREE, GtkWidget)

GtkWidget *mer_page_tree_new         (MerStore    *store);
void       mer_page_tree_reload      (MerPageTree *self);
guint      mer_page_tree_get_n_pages (MerPageTree *self);
char      *mer_page_tree_get_first_page (MerPageTree *self);
void       mer_page_tree_select_page (MerPageTree *self,
                                      const char  *page_id);

G_END_DECLS
