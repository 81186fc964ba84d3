/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-image-viewer.h"

#include <string.h>


/*
 * An image of a page at its full size, in a window of its own over the
 * reader: the person clicked (or pressed Enter on) the image, scaled to
 * the column, and wants to see its detail.  It scrolls when larger than
 * the window and closes with Escape.  The bytes are decoded by GDK (PNG,
 * JPEG and TIFF itself, other formats, SVG among them, through
 * gdk-pixbuf's loaders, which run no script and load nothing).
 */

struct _MerImageViewer
{
  AdwWindow       parent_instance;

  GdkTexture     *texture;   /* the decoded image, or NULL when it would not decode */

  AdwWindowTitle *window_title;
  GtkStack       *stack;
  GtkPicture     *picture;
};

G_DEFINE_FINAL_TYPE (MerImageViewer, mer_image_viewer, ADW_TYPE_WINDOW)

static void
mer_image_viewer_dispose (GObject *object)
{
  MerImageViewer *self = MER_IMAGE_VIEWER (object);

  g_clear_object (&self->texture);
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_IMAGE_VIEWER);

  G_OBJECT_CLASS (mer_image_viewer_parent_class)->dispose (object);
}

static void
mer_image_viewer_class_init (MerImageViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_image_viewer_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-image-viewer.ui");
  gtk_widget_class_bind_template_child (widget_class, MerImageViewer, window_title);
  gtk_widget_class_bind_template_child (widget_class, MerImageViewer, stack);
  gtk_widget_class_bind_template_child (widget_class, MerImageViewer, picture);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
mer_image_viewer_init (MerImageViewer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * Decodes @bytes as the type the attachment declares.  GDK guesses the
 * format from the first bytes, and its guess misses SVG files that open
 * with an XML declaration (as Inkscape writes them), so an SVG goes to
 * gdk-pixbuf's SVG loader by name.  librsvg behind it runs no script and,
 * with no file to resolve against, loads no outside resource.
 */
static GdkTexture *
decode (GBytes      *bytes,
        const char  *content_type,
        GError     **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autofree char *type = g_ascii_strdown (content_type != NULL ? content_type : "", -1);
  GdkPixbuf *pixbuf;

  type[strcspn (type, ";")] = '\0';
  g_strstrip (type);
  if (!g_str_equal (type, "image/svg+xml"))
    return gdk_texture_new_from_bytes (bytes, error);

  loader = gdk_pixbuf_loader_new_with_mime_type (type, error);
  if (loader == NULL)
    return NULL;
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error))
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return NULL;
    }
  if (!gdk_pixbuf_loader_close (loader, error))
    return NULL;
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_CORRUPT_IMAGE, "No image in the file");
      return NULL;
    }
  return gdk_texture_new_for_pixbuf (pixbuf);
}

/*
 * A viewer of @bytes, an image attachment called @name, of @content_type,
 * over @parent.
 * The window is at most the parent's size; a larger image scrolls.
 */
GtkWidget *
mer_image_viewer_new (GtkWindow  *parent,
                      const char *name,
                      const char *content_type,
                      GBytes     *bytes)
{
  MerImageViewer *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (name != NULL && bytes != NULL, NULL);

  self = g_object_new (MER_TYPE_IMAGE_VIEWER,
                       "transient-for", parent,
                       "title", name,
                       NULL);
  adw_window_title_set_title (self->window_title, name);

  self->texture = decode (bytes, content_type, &error);
  if (self->texture == NULL)
    {
      g_debug ("Cannot decode %s: %s", name, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return GTK_WIDGET (self);
    }

  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (self->texture));
  gtk_picture_set_alternative_text (self->picture, name);
  gtk_stack_set_visible_child_name (self->stack, "image");
  if (parent != NULL)
    {
      int width = gtk_widget_get_width (GTK_WIDGET (parent));
      int height = gtk_widget_get_height (GTK_WIDGET (parent));

      /* Room for the image and the header bar, within the parent. */
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   CLAMP (gdk_texture_get_width (self->texture) + 48, 360, MAX (width, 360)),
                                   CLAMP (gdk_texture_get_height (self->texture) + 96, 240, MAX (height, 240)));
    }
  return GTK_WIDGET (self);
}

/* Whether the image decoded (otherwise the viewer says it cannot show it). */
gboolean
mer_image_viewer_get_loaded (MerImageViewer *self)
{
  g_return_val_if_fail (MER_IS_IMAGE_VIEWER (self), FALSE);
  return self->texture != NULL;
}

int
mer_image_viewer_get_image_width (MerImageViewer *self)
{
  g_return_val_if_fail (MER_IS_IMAGE_VIEWER (self), 0);
  return self->texture != NULL ? gdk_texture_get_width (self->texture) : 0;
}

int
mer_image_viewer_get_image_height (MerImageViewer *self)
{
  g_return_val_if_fail (MER_IS_IMAGE_VIEWER (self), 0);
  return self->texture != NULL ? gdk_texture_get_height (self->texture) : 0;
}
