/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_SEARCH_PANEL (mer_search_panel_get_type ())
G_DECLARE_FINAL_TYPE (MerSearchPanel, mer_search_panel, MER, SEARCH_PANEL, GtkWidget)

GtkWidget *mer_search_panel_new           (MerStore       *store);
void       mer_search_panel_focus         (MerSearchPanel *self);
GtkEditable *mer_search_panel_get_entry   (MerSearchPanel *self);
guint      mer_search_panel_get_n_results (MerSearchPanel *self);
const char *mer_search_panel_get_query    (MerSearchPanel *self);
void       mer_search_panel_select        (MerSearchPanel *self,
                                           int             index);
void       mer_search_panel_activate_selected (MerSearchPanel *self);

G_END_DECLS
