/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mer-application.h"

G_BEGIN_DECLS

#define MER_TYPE_PREFERENCES_WINDOW (mer_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (MerPreferencesWindow, mer_preferences_window, MER, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *mer_preferences_window_new                (MerApplication       *application);
char      *mer_preferences_window_get_keyring_status (MerPreferencesWindow *self);

G_END_DECLS
