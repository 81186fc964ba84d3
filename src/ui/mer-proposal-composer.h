/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_PROPOSAL_COMPOSER (mer_proposal_composer_get_type ())
G_DECLARE_FINAL_TYPE (MerProposalComposer, mer_proposal_composer, MER, PROPOSAL_COMPOSER, GtkWidget)

/*
 * Writing a proposal: title, required readers, a deadline no earlier than
 * the fair minimum for those readers, an optional page with its proposed
 * text, and the body in the Markdown editor (template sections, preview,
 * word count and reading time, a `_local` draft autosaved and restored
 * after a crash). Publishing runs the completeness check first and offers
 * "Publish Anyway".
 *
 * Signals: "published" (the new proposal's id), "cancelled" (the draft is
 * kept). Named widgets: "title-entry", "readers-button", "reader-<person
 * id>" (check buttons), "deadline-choice", "fair-label", "page-choice",
 * "page-text", "publish-button", "close-button".
 */
GtkWidget  *mer_proposal_composer_new              (MerStore            *store,
                                                    const char          *draft_of);
const char *mer_proposal_composer_get_draft_of     (MerProposalComposer *self);
GtkWidget  *mer_proposal_composer_get_editor       (MerProposalComposer *self);
void        mer_proposal_composer_focus            (MerProposalComposer *self);
void        mer_proposal_composer_publish          (MerProposalComposer *self);
/* The completeness dialog while it is open, or NULL. */
GtkWidget  *mer_proposal_composer_get_check_dialog (MerProposalComposer *self);

G_END_DECLS
