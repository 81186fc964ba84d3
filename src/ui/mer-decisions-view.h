/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_DECISIONS_VIEW (mer_decisions_view_get_type ())
G_DECLARE_FINAL_TYPE (MerDecisionsView, mer_decisions_view, MER, DECISIONS_VIEW, GtkWidget)

/*
 * The decision log: newest first, filtered by status, owner, tag and text;
 * the selected decision with its context, decision, consequences, owner,
 * deciders, date, proposal, pages and supersede chain. Decisions are not
 * edited: "Supersede…" writes a new one that replaces it.
 *
 * Widget actions: decisions.log, decisions.supersede, section.open-doc (s).
 * Named widgets: "decision-list", "filter-status", "filter-owner",
 * "filter-tag", "filter-text", "supersede-button", "chain-list",
 * "decision-title"; in the dialog: "decision-dialog", "field-title",
 * "field-context", "field-decision", "field-consequences", "field-tags".
 */
GtkWidget  *mer_decisions_view_new               (MerStore         *store);
void        mer_decisions_view_reload            (MerDecisionsView *self);
gboolean    mer_decisions_view_select            (MerDecisionsView *self,
                                                  const char       *decision_id);
const char *mer_decisions_view_get_selected      (MerDecisionsView *self);
guint       mer_decisions_view_get_n_rows        (MerDecisionsView *self);
/* "status\ttitle" of visible row @index. */
char       *mer_decisions_view_get_row_summary   (MerDecisionsView *self,
                                                  guint             index);
GtkWidget  *mer_decisions_view_get_dialog        (MerDecisionsView *self);

G_END_DECLS
