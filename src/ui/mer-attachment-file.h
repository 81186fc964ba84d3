/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

GBytes *mer_attachment_file_read      (MerStore    *store,
                                       const char  *uri,
                                       char       **name,
                                       char       **content_type,
                                       GError     **error);
GFile  *mer_attachment_file_save_temp (const char  *name,
                                       GBytes      *bytes,
                                       GError     **error);
void    mer_attachment_file_launch    (GtkWidget   *widget,
                                       GFile       *file);

G_END_DECLS
