/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A guard against hanging forever, not a timing assertion. */
#define MER_TEST_WAIT_LIMIT_MS 60000

typedef gboolean (*MerTestPredicate) (gpointer data);

void     mer_test_gui_spin       (guint             ms);
gboolean mer_test_gui_wait_for   (MerTestPredicate  predicate,
                                  gpointer          data);
void     mer_test_gui_save_png   (GtkWidget        *widget,
                                  const char       *file_name);

G_END_DECLS
