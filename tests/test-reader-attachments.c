/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The reader shows a page's attachments from the replica: a PNG the test
 * draws is shown as an image (decoded, at its own size, or scaled down to
 * the column when wider), following it opens a viewer at full size, and a
 * file that is not an image is a chip that saves a read-only copy for
 * another application.  Screenshots of the page and of the viewer go to
 * the build's meson-logs.
 */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-test-util.h"

#include "mer-history-view.h"
#include "mer-image-viewer.h"
#include "mer-json.h"
#include "mer-markdown-editor.h"
#include "mer-markdown.h"
#include "mer-page-view.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-ui-resources.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <webkit/webkit.h>

/* A PNG of @width x @height: diagonal bands of blue and orange, so that a
 * person looking at the screenshot sees at once whether it is all there. */
static GBytes *
make_png (int width,
          int height)
{
  g_autoptr(GBytes) pixels = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  guint8 *data = g_malloc (width * height * 4);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = data + (y * width + x) * 4;
        gboolean band = ((x + y) / 20) % 2 == 0;

        p[0] = band ? 0x35 : 0xff;
        p[1] = band ? 0x84 : 0x78;
        p[2] = band ? 0xe4 : 0x00;
        p[3] = 0xff;
      }
  pixels = g_bytes_new_take (data, width * height * 4);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, pixels, width * 4);
  return gdk_texture_save_to_png_bytes (texture);
}

static gboolean
view_loaded (gpointer data)
{
  return mer_page_view_get_loaded (data);
}

typedef struct
{
  JSCValue *value;
  GError   *error;
  gboolean  done;
} EvalWait;

static void
eval_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  EvalWait *wait = user_data;

  wait->value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, &wait->error);
  wait->done = TRUE;
}

/* A number the test measures in the page (the page's own scripts stay
 * off: only the setting for scripts the app runs is turned on). */
static double
measure (WebKitWebView *web_view,
         const char    *script)
{
  EvalWait wait = { NULL, NULL, FALSE };
  double number;

  webkit_web_view_evaluate_javascript (web_view, script, -1, NULL, NULL, NULL, eval_done_cb, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (wait.error);
  g_assert_true (jsc_value_is_number (wait.value));
  number = jsc_value_to_double (wait.value);
  g_object_unref (wait.value);
  g_test_message ("%s = %g", script, number);
  return number;
}

/* Waits until every image of the page has finished loading (or failed). */
static gboolean
images_complete (gpointer data)
{
  return measure (data, "Array.from(document.images).every(i => i.complete) ? 1 : 0") == 1;
}

static GtkWidget *
show_in_window (GtkWidget *child)
{
  GtkWidget *window = adw_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  adw_window_set_content (ADW_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static MerImageViewer *
find_viewer (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (MER_IS_IMAGE_VIEWER (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return MER_IMAGE_VIEWER (window);
    }
  return NULL;
}

static gboolean
viewer_shown (gpointer data)
{
  return find_viewer () != NULL;
}

static gboolean
open_file_cb (MerPageView *view,
              GFile       *file,
              GFile      **opened)
{
  g_set_object (opened, file);
  return TRUE;  /* The test looks at the file; nothing is launched. */
}

static void
test_png_attachment (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GBytes) small = make_png (240, 120);
  g_autoptr(GBytes) wide = make_png (2400, 300);
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4\n%%EOF\n", 15);
  g_autoptr(GFile) opened = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  gsize length = 0;
  GStatBuf st;
  WebKitWebView *web_view;
  MerImageViewer *viewer;
  GtkWidget *view;
  GtkWidget *window;
  double column;

  page = json_object_new ();
  json_object_set_string_member (page, "_id", "page:diagrams");
  json_object_set_string_member (page, "type", "page");
  json_object_set_string_member (page, "title", "Diagrams");
  json_object_set_string_member (page, "path", "diagrams");
  json_object_set_string_member (page, "body",
                                 "# Diagrams\n\n"
                                 "The small one, at its own size:\n\n"
                                 "![Blue and orange bands](bands.png)\n\n"
                                 "The wide one, scaled to the column:\n\n"
                                 "![A wide banner](wide.png)\n\n"
                                 "And the numbers: [report](q3.pdf).\n");
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:diagrams", g_steal_pointer (&rev), "bands.png", "image/png", small, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:diagrams", g_steal_pointer (&rev), "wide.png", "image/png", wide, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:diagrams", g_steal_pointer (&rev), "q3.pdf", "application/pdf", pdf, &error);
  g_assert_no_error (error);

  view = mer_page_view_new (store);
  window = show_in_window (view);
  web_view = WEBKIT_WEB_VIEW (mer_page_view_get_web_view (MER_PAGE_VIEW (view)));
  webkit_settings_set_enable_javascript (webkit_web_view_get_settings (web_view), TRUE);
  mer_page_view_open (MER_PAGE_VIEW (view), "page:diagrams");
  g_assert_true (mer_test_gui_wait_for (view_loaded, view));
  g_assert_true (mer_test_gui_wait_for (images_complete, web_view));

  /* Both images decoded, from the replica. */
  g_assert_cmpfloat (measure (web_view, "document.images.length"), ==, 2);
  g_assert_cmpfloat (measure (web_view, "document.images[0].naturalWidth"), ==, 240);
  g_assert_cmpfloat (measure (web_view, "document.images[0].naturalHeight"), ==, 120);
  g_assert_cmpfloat (measure (web_view, "document.images[1].naturalWidth"), ==, 2400);
  g_assert_true (g_str_has_prefix (webkit_web_view_get_uri (web_view), "meridian://page/"));

  /* The small one at its own size; the wide one no wider than the
   * column, its proportions kept. */
  column = measure (web_view, "document.querySelector('article').clientWidth");
  g_assert_cmpfloat (column, >, 200);
  g_assert_cmpfloat (column, <, 2400);
  g_assert_cmpfloat (measure (web_view, "document.images[0].width"), ==, 240);
  g_assert_cmpfloat (measure (web_view, "document.images[1].width"), <=, column);
  g_assert_cmpfloat (measure (web_view, "document.images[1].width"), >=, column - 2);
  g_assert_cmpfloat (fabs (measure (web_view, "document.images[1].height") - column / 8), <=, 2);

  /* The chip says what the file is. */
  g_assert_cmpfloat (measure (web_view, "document.querySelectorAll('a.mer-attachment').length"), ==, 1);
  g_assert_cmpfloat (measure (web_view, "document.querySelector('a.mer-attachment').textContent.indexOf('q3.pdf')"), ==, 0);
  g_assert_cmpfloat (measure (web_view, "document.querySelector('a.mer-attachment').textContent.indexOf('PDF')"), >, 0);
  mer_test_gui_spin (1500);   /* WebKit paints a moment after the load ends */
  mer_test_gui_save_png (window, "reader-attachments.png");

  /* Following the image opens it full size. */
  uri = mer_markdown_attachment_uri ("page:diagrams", rev, "wide.png");
  mer_page_view_open_uri (MER_PAGE_VIEW (view), uri);
  g_assert_true (mer_test_gui_wait_for (viewer_shown, NULL));
  viewer = find_viewer ();
  g_assert_true (mer_image_viewer_get_loaded (viewer));
  g_assert_cmpint (mer_image_viewer_get_image_width (viewer), ==, 2400);
  g_assert_cmpint (mer_image_viewer_get_image_height (viewer), ==, 300);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (viewer)), ==, "wide.png");
  mer_test_gui_spin (300);
  mer_test_gui_save_png (GTK_WIDGET (viewer), "reader-attachment-viewer.png");
  gtk_window_close (GTK_WINDOW (viewer));
  mer_test_gui_spin (100);
  /* The page did not move. */
  g_assert_true (g_str_has_prefix (webkit_web_view_get_uri (web_view), "meridian://page/"));

  /* Following the chip saves a read-only copy for another application. */
  g_signal_connect (view, "open-file", G_CALLBACK (open_file_cb), &opened);
  g_clear_pointer (&uri, g_free);
  uri = mer_markdown_attachment_uri ("page:diagrams", rev, "q3.pdf");
  mer_page_view_open_uri (MER_PAGE_VIEW (view), uri);
  g_assert_nonnull (opened);
  path = g_file_get_path (opened);
  g_assert_true (g_str_has_suffix (path, "/q3.pdf"));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, "%PDF-1.4\n%%EOF\n", 15);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0400);
  g_unlink (path);
  {
    g_autofree char *parent = g_path_get_dirname (path);

    g_rmdir (parent);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

/* The page's history says which attachments each revision added,
 * replaced or removed. */
static void
test_history_attachments (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GBytes) small = make_png (24, 12);
  g_autoptr(GBytes) other = make_png (12, 24);
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4\n%%EOF\n", 15);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *changes = NULL;
  MerHistoryView *view;
  GtkWidget *window;

  page = mer_test_object ("{\"_id\":\"page:h\",\"type\":\"page\",\"title\":\"H\",\"path\":\"h\",\"body\":\"![a](a.png)\"}");
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:h", g_steal_pointer (&rev), "a.png", "image/png", small, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:h", g_steal_pointer (&rev), "q3.pdf", "application/pdf", pdf, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:h", g_steal_pointer (&rev), "a.png", "image/png", other, &error);
  g_assert_no_error (error);
  rev = mer_store_delete_attachment (store, "page:h", g_steal_pointer (&rev), "q3.pdf", &error);
  g_assert_no_error (error);

  view = MER_HISTORY_VIEW (mer_history_view_new (store, "page:h"));
  window = show_in_window (GTK_WIDGET (view));
  mer_test_gui_spin (300);
  g_assert_cmpuint (mer_history_view_get_n_revisions (view), ==, 5);
  changes = mer_history_view_get_attachment_changes (view, 0);
  g_assert_cmpstr (changes, ==, "Removed q3.pdf");
  g_free (changes);
  changes = mer_history_view_get_attachment_changes (view, 1);
  g_assert_cmpstr (changes, ==, "Replaced a.png");
  g_free (changes);
  changes = mer_history_view_get_attachment_changes (view, 2);
  g_assert_cmpstr (changes, ==, "Added q3.pdf");
  g_free (changes);
  changes = mer_history_view_get_attachment_changes (view, 3);
  g_assert_cmpstr (changes, ==, "Added a.png");
  g_clear_pointer (&changes, g_free);
  g_assert_null (mer_history_view_get_attachment_changes (view, 4));
  mer_test_gui_save_png (window, "history-attachments.png");

  /* Restoring a revision brings its files back with its text. */
  {
    g_autoptr(MerAttachment) att = NULL;
    g_autofree char *restored = mer_history_view_restore (view, mer_history_view_get_revision (view, 2), &error);

    g_assert_no_error (error);
    g_assert_nonnull (restored);
    att = mer_store_get_attachment (store, "page:h", NULL, "q3.pdf", &error);
    g_assert_no_error (error);
    g_assert_cmpint (att->length, ==, 15);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

static gboolean
preview_shown (gpointer data)
{
  WebKitWebView *web_view = WEBKIT_WEB_VIEW (mer_markdown_editor_get_preview (MER_MARKDOWN_EDITOR (data)));

  return webkit_web_view_get_uri (web_view) != NULL && !webkit_web_view_is_loading (web_view);
}

/* The editor's preview shows the images of the revision being edited. */
static void
test_preview_attachments (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GBytes) small = make_png (240, 120);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  MerMarkdownEditor *md;
  WebKitWebView *web_view;
  GtkWidget *reader;
  GtkWidget *window;

  /* The reader registers the meridian: scheme, as in the app. */
  reader = g_object_ref_sink (mer_page_view_new (store));
  page = mer_test_object ("{\"_id\":\"page:p\",\"type\":\"page\",\"title\":\"P\",\"path\":\"p\",\"body\":\"\"}");
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, "page:p", g_steal_pointer (&rev), "bands.png", "image/png", small, &error);
  g_assert_no_error (error);

  md = MER_MARKDOWN_EDITOR (mer_markdown_editor_new (store, "page:p"));
  window = show_in_window (GTK_WIDGET (md));
  mer_markdown_editor_set_base_rev (md, rev);
  mer_markdown_editor_set_show_preview (md, TRUE);
  mer_markdown_editor_set_text (md, "# P\n\n![Bands](bands.png)\n");
  web_view = WEBKIT_WEB_VIEW (mer_markdown_editor_get_preview (md));
  webkit_settings_set_enable_javascript (webkit_web_view_get_settings (web_view), TRUE);
  mer_markdown_editor_update_preview_now (md);
  g_assert_true (mer_test_gui_wait_for (preview_shown, md));
  g_assert_true (mer_test_gui_wait_for (images_complete, web_view));
  g_assert_cmpfloat (measure (web_view, "document.images[0].naturalWidth"), ==, 240);
  mer_test_gui_spin (1500);
  mer_test_gui_save_png (window, "preview-attachments.png");

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (reader);
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();

  g_test_add_func ("/reader-attachments/png", test_png_attachment);
  g_test_add_func ("/reader-attachments/history", test_history_attachments);
  g_test_add_func ("/reader-attachments/preview", test_preview_attachments);
  return g_test_run ();
}
