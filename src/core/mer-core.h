/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-store.h"

G_BEGIN_DECLS

MerStore  *mer_core_open_store     (const char  *data_dir,
                                    GError     **error);
void       mer_core_init           (void);
char     **mer_core_extract_links  (const char  *markdown);

G_END_DECLS
