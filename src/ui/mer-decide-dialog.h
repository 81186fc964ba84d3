/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * The owner's "Decide" dialog for an open proposal: the outcome (accepted,
 * rejected, withdrawn), a summary, and before the deadline a reason, since
 * an early approval does not close the window by itself. Recording it is
 * mer_proposal_decide(); an error is shown in a second dialog and nothing
 * is written. Named widgets: "decide-outcome", "decide-summary",
 * "decide-reason" (only before the deadline).
 */
GtkWidget *mer_decide_dialog_new (MerStore   *store,
                                  JsonObject *proposal,
                                  GtkWindow  *parent);

G_END_DECLS
