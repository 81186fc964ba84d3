/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_PROPOSALS_VIEW (mer_proposals_view_get_type ())
G_DECLARE_FINAL_TYPE (MerProposalsView, mer_proposals_view, MER, PROPOSALS_VIEW, GtkWidget)

/*
 * The Proposals section: the list (open ones first with their deadline
 * countdown, then decided ones) and the selected proposal: its outcome
 * pinned on top once decided, the deadline in each required reader's own
 * time with their working hours left, stances, who read it and who has not
 * responded, the body, the diff against the page it would change, and the
 * threaded discussion with a comment box.
 *
 * Widget actions: proposals.new (start or resume a draft), proposals.decide,
 * proposals.comment (focus the comment box), section.open-doc (s: id).
 * Widgets a test or a screen reader can find by name: "proposal-list",
 * "comment-text", "comment-stance", "comment-button", "decide-button",
 * "availability-label", "stance-summary", "outcome-card", "comment-editor"
 * (the comment box's MerMarkdownEditor), "comment-attachments".
 */
GtkWidget  *mer_proposals_view_new            (MerStore         *store);
void        mer_proposals_view_reload         (MerProposalsView *self);
gboolean    mer_proposals_view_select         (MerProposalsView *self,
                                               const char       *proposal_id);
const char *mer_proposals_view_get_selected   (MerProposalsView *self);
GtkWidget  *mer_proposals_view_new_proposal   (MerProposalsView *self);
GtkWidget  *mer_proposals_view_get_composer   (MerProposalsView *self);
guint       mer_proposals_view_get_n_rows     (MerProposalsView *self);
/* "status\ttitle\tcountdown or outcome" for row @index. */
char       *mer_proposals_view_get_row_summary (MerProposalsView *self,
                                                guint             index);
/* Follows a link of the proposal's body or of a comment, as a click does:
 * an attachment opens (an image in the viewer). */
void        mer_proposals_view_open_uri       (MerProposalsView *self,
                                               const char       *uri);
/* The decide dialog currently open, or NULL. */
GtkWidget  *mer_proposals_view_get_decide_dialog (MerProposalsView *self);

G_END_DECLS
