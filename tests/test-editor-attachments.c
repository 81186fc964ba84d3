/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Images and files put into a page's Markdown editor, under Xvfb: a
 * texture pasted from the clipboard and a PDF dropped on the editor become
 * attachments of the draft, an oversized file is refused, the draft and
 * its attachments outlive the editor, and saving makes them part of the
 * page's new revision, which the reader shows.  Screenshots land in the
 * build folder's logs (editor-att-*.png).
 */

#include "config.h"

#include "mer-json.h"
#include "mer-markdown-editor.h"
#include "mer-page-editor.h"
#include "mer-page-view.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-test-gui.h"
#include "mer-test-util.h"
#include "mer-ui-resources.h"

#include <adwaita.h>
#include <webkit/webkit.h>
#include <string.h>

#define PAGE_ID   "page:diagrams"
#define DRAFT_DOC MER_DRAFT_PREFIX PAGE_ID

static GtkWidget *
show_in_window (GtkWidget *child)
{
  GtkWidget *window = adw_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 650);
  adw_window_set_content (ADW_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  mer_test_gui_spin (300);
  return window;
}

/* A texture of two colour bands, as a screenshot tool would copy. */
static GdkTexture *
make_texture (int width,
              int height)
{
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels = g_malloc (width * height * 4);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + (y * width + x) * 4;

        p[0] = x < width / 2 ? 0x35 : 0xe6;
        p[1] = x < width / 2 ? 0x84 : 0x61;
        p[2] = x < width / 2 ? 0xe4 : 0x00;
        p[3] = 0xff;
      }
  bytes = g_bytes_new_take (pixels, width * height * 4);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, width * 4);
}

static guint
count_draft_attachments (MerStore *store)
{
  g_autoptr(GPtrArray) atts = mer_store_list_local_attachments (store, DRAFT_DOC, NULL);

  return atts != NULL ? atts->len : 0;
}

static gboolean
draft_has_attachment (gpointer data)
{
  return count_draft_attachments (data) > 0;
}

static gboolean
view_loaded (gpointer data)
{
  return mer_page_view_get_loaded (MER_PAGE_VIEW (data));
}

static void
plant_page (MerStore *store)
{
  g_autoptr(JsonObject) page = json_object_new ();
  g_autoptr(GBytes) old = g_bytes_new_static ("old notes\n", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  json_object_set_string_member (page, "_id", PAGE_ID);
  json_object_set_string_member (page, "type", "page");
  json_object_set_string_member (page, "title", "Diagrams");
  json_object_set_string_member (page, "path", "diagrams");
  json_object_set_string_member (page, "body", "# Diagrams\n\nSee [notes](notes.txt).\n\n");
  json_object_set_string_member (page, "owner", "person:ana");
  json_object_set_null_member (page, "review_by");
  json_object_set_string_member (page, "updated_at", "2026-11-20T09:00:00Z");
  json_object_set_string_member (page, "updated_by", "person:ana");
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, PAGE_ID, g_steal_pointer (&rev), "notes.txt", "text/plain", old, &error);
  g_assert_no_error (error);
}

static void
move_cursor_to_end (MerMarkdownEditor *md)
{
  GtkTextBuffer *buffer = mer_markdown_editor_get_buffer (md);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
}

static GtkWidget *
find_source_view (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_source_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_paste_drop_save (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GdkTexture) texture = make_texture (240, 120);
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf_path = NULL;
  g_autofree char *big_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) saved = NULL;
  JsonObject *atts;
  GtkWidget *editor, *window, *source, *view;
  MerMarkdownEditor *md;
  const char *image_name = NULL;
  g_autoptr(GtkWidget) reader = NULL;

  plant_page (store);
  /* The reader registers the meridian: scheme the preview uses, as the
   * window's reader does before any editor opens. */
  reader = g_object_ref_sink (mer_page_view_new (store));

  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  move_cursor_to_end (md);

  /* Paste: the clipboard holds an image and no text. */
  source = find_source_view (GTK_WIDGET (md));
  g_assert_nonnull (source);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (source), texture);
  g_assert_true (gtk_widget_activate_action (source, "clipboard.paste", NULL));
  g_assert_true (mer_test_gui_wait_for (draft_has_attachment, store));
  text = mer_markdown_editor_get_text (md);
  g_assert_nonnull (strstr (text, "![](pasted-"));
  /* The alt text dialog, answered. */
  {
    AdwMessageDialog *dialog = NULL;
    GListModel *toplevels = gtk_window_get_toplevels ();

    for (guint i = 0; i < g_list_model_get_n_items (toplevels) && dialog == NULL; i++)
      {
        g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (item))
          dialog = ADW_MESSAGE_DIALOG (item);
      }
    g_assert_nonnull (dialog);
    mer_test_gui_spin (300);
    mer_test_gui_save_png (GTK_WIDGET (dialog), "editor-att-alt-dialog.png");
    gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "Blue and orange bands");
    adw_message_dialog_response (dialog, "add");
    mer_test_gui_spin (200);
  }
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (md);
  g_assert_nonnull (strstr (text, "![Blue and orange bands](pasted-"));
  g_assert_nonnull (strstr (text, ".png)"));
  {
    g_autoptr(GPtrArray) list = mer_store_list_local_attachments (store, DRAFT_DOC, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 1);
    g_assert_true (g_str_has_prefix (((MerAttachment *) list->pdata[0])->name, "pasted-"));
    g_assert_cmpstr (((MerAttachment *) list->pdata[0])->content_type, ==, "image/png");
  }

  /* Drop a small PDF: a link. */
  {
    g_autoptr(GFile) file = NULL;
    GValue value = G_VALUE_INIT;

    pdf_path = g_build_filename (dir, "q3 report.pdf", NULL);
    g_assert_true (g_file_set_contents (pdf_path, "%PDF-1.4\n%%EOF\n", -1, NULL));
    file = g_file_new_for_path (pdf_path);
    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    g_assert_true (mer_markdown_editor_drop (md, &value));
    g_value_unset (&value);
  }
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (md);
  g_assert_nonnull (strstr (text, "[q3 report.pdf](q3%20report.pdf)"));
  g_assert_cmpuint (count_draft_attachments (store), ==, 2);

  /* A file over the workspace's limit: refused, nothing inserted. */
  {
    g_autoptr(GFile) file = NULL;
    g_autofree char *before = mer_markdown_editor_get_text (md);
    g_autofree char *after = NULL;
    g_autofree char *big = g_malloc0 (4096);
    GValue value = G_VALUE_INIT;

    mer_store_set_max_attachment_size (store, 1024);
    big_path = g_build_filename (dir, "huge.bin", NULL);
    g_assert_true (g_file_set_contents (big_path, big, 4096, NULL));
    file = g_file_new_for_path (big_path);
    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    /* The page editor's toast overlay says why. */
    g_assert_nonnull (gtk_widget_get_ancestor (GTK_WIDGET (md), ADW_TYPE_TOAST_OVERLAY));
    mer_markdown_editor_drop (md, &value);
    mer_test_gui_save_png (window, "editor-att-too-large.png");
    g_value_unset (&value);
    after = mer_markdown_editor_get_text (md);
    g_assert_cmpstr (before, ==, after);
    g_assert_cmpuint (count_draft_attachments (store), ==, 2);
    mer_store_set_max_attachment_size (store, MER_ATTACHMENT_DEFAULT_MAX_MIB * 1024 * 1024);
  }

  /* The preview shows the pasted image before saving. */
  mer_markdown_editor_update_preview_now (md);
  mer_test_gui_spin (4000);
  mer_test_gui_save_png (window, "editor-att-preview.png");

  /* A crash: the editor goes without saving; the draft stays. */
  g_assert_true (mer_markdown_editor_save_draft (md, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (200);
  g_assert_cmpuint (count_draft_attachments (store), ==, 2);

  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  g_assert_true (mer_page_editor_get_restored (MER_PAGE_EDITOR (editor)));
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (md);
  g_assert_nonnull (strstr (text, "![Blue and orange bands](pasted-"));
  g_assert_nonnull (strstr (text, "(q3%20report.pdf)"));

  /* Save: the new revision holds both, and the old file as it was. */
  g_assert_true (gtk_widget_activate_action (editor, "page.save", NULL));
  saved = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  atts = json_object_get_object_member (saved, "_attachments");
  g_assert_nonnull (atts);
  g_assert_true (json_object_has_member (atts, "q3 report.pdf"));
  g_assert_true (json_object_has_member (atts, "notes.txt"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (atts, "notes.txt"), "revpos"), ==, 2);
  {
    g_autoptr(GList) names = json_object_get_members (atts);

    for (GList *l = names; l != NULL; l = l->next)
      if (g_str_has_prefix (l->data, "pasted-"))
        image_name = l->data;
    g_assert_nonnull (image_name);
    g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (atts, image_name), "content_type"), ==, "image/png");
  }
  g_assert_cmpuint (count_draft_attachments (store), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));

  /* The reader shows the image from the new revision. */
  view = mer_page_view_new (store);
  window = show_in_window (view);
  mer_page_view_open (MER_PAGE_VIEW (view), PAGE_ID);
  g_assert_true (mer_test_gui_wait_for (view_loaded, view));
  mer_test_gui_spin (1500);
  mer_test_gui_save_png (window, "editor-att-reader.png");
  gtk_window_destroy (GTK_WINDOW (window));
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

  g_test_add_func ("/editor-attachments/paste-drop-save", test_paste_drop_save);
  return g_test_run ();
}
