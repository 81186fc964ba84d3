/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mer-sharing.h"

G_BEGIN_DECLS

#define MER_TYPE_ACCOUNTS_PAGE (mer_accounts_page_get_type ())
G_DECLARE_FINAL_TYPE (MerAccountsPage, mer_accounts_page, MER, ACCOUNTS_PAGE, AdwPreferencesPage)

GtkWidget *mer_accounts_page_new    (const char      *data_dir,
                                     MerSharing      *sharing,
                                     GSettings       *settings);
void       mer_accounts_page_reload (MerAccountsPage *self);

G_END_DECLS
