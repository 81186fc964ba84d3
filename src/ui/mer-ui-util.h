/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *mer_ui_format_relative_time (const char *rfc3339);
gboolean  mer_ui_date_is_past         (const char *date);
char     *mer_ui_path_folder_title    (const char *segment);
void      mer_ui_bench_mark           (const char *what);

G_END_DECLS
