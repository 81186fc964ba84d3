/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_PROFILE_DIALOG (mer_profile_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MerProfileDialog, mer_profile_dialog, MER, PROFILE_DIALOG, AdwPreferencesWindow)

/*
 * The user's own profile: who they are on the team, their zone (the
 * system's by default), working and focus hours per weekday and away
 * periods. Saving writes their person document, which syncs to the team.
 */
MerProfileDialog *mer_profile_dialog_new     (MerStore         *store);
void              mer_profile_dialog_present (GtkWidget        *parent,
                                              MerStore         *store);
/* Writes the form to the person document; FALSE and an error if invalid. */
gboolean          mer_profile_dialog_save    (MerProfileDialog *self,
                                              GError          **error);

G_END_DECLS
