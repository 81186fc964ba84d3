/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MER_TYPE_IMAGE_VIEWER (mer_image_viewer_get_type ())
G_DECLARE_FINAL_TYPE (MerImageViewer, mer_image_viewer, MER, IMAGE_VIEWER, AdwWindow)

GtkWidget *mer_image_viewer_new        (GtkWindow  *parent,
                                        const char *name,
                                        const char *content_type,
                                        GBytes     *bytes);
gboolean   mer_image_viewer_get_loaded (MerImageViewer *self);
int        mer_image_viewer_get_image_width  (MerImageViewer *self);
int        mer_image_viewer_get_image_height (MerImageViewer *self);

G_END_DECLS
