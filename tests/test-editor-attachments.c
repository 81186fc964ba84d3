/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Images and files put into a page's Markdown editor, under Xvfb: a
 * texture pasted from the clipboard and a PDF dropped on the editor become
 * attachments of the draft, an oversized file is refused, the draft and
 * its attachments outlive the editor, and saving makes them part of the
 * page's new revision, which the reader shows.  The same for a proposal
 * (its composer) and a comment on it (the proposal's comment box), whose
 * images show in the proposal's body and under the comment.  Screenshots
 * land in the build folder's logs (editor-att-*.png, proposal-att-*.png).
 */

#include "config.h"

#include "mer-image-viewer.h"
#include "mer-json.h"
#include "mer-markdown.h"
#include "mer-markdown-editor.h"
#include "mer-page-editor.h"
#include "mer-page-view.h"
#include "mer-proposal.h"
#include "mer-proposal-composer.h"
#include "mer-proposals-view.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-test-gui.h"
#include "mer-test-util.h"
#include "mer-ui-resources.h"
#include "mer-ui-util.h"

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

/* The alt text dialog the last paste opened, answered with @alt. */
static void
answer_alt_dialog (const char *alt,
                   const char *screenshot)
{
  AdwMessageDialog *dialog = NULL;
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels) && dialog == NULL; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      /* An answered dialog may linger a moment; it is marked. */
      if (ADW_IS_MESSAGE_DIALOG (item) && g_object_get_data (item, "test-answered") == NULL
          && GTK_IS_EDITABLE (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (item))))
        dialog = ADW_MESSAGE_DIALOG (item);
    }
  g_assert_nonnull (dialog);
  mer_test_gui_spin (300);
  if (screenshot != NULL)
    mer_test_gui_save_png (GTK_WIDGET (dialog), screenshot);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), alt);
  adw_message_dialog_response (dialog, "add");
  g_object_set_data (G_OBJECT (dialog), "test-answered", GINT_TO_POINTER (1));
  /* Let it close for good before the window it belongs to may go
   * (libadwaita warns when a dialog outlives its parent mid-close). */
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  for (guint i = 0; i < 100 && dialog != NULL && gtk_widget_get_visible (GTK_WIDGET (dialog)); i++)
    mer_test_gui_spin (20);
  if (dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  mer_test_gui_spin (300);
}

typedef struct
{
  MerStore   *store;
  const char *draft;  /* "_local/draft:…" */
} DraftWatch;

static gboolean
draft_has_attachments (gpointer data)
{
  DraftWatch *watch = data;
  g_autoptr(GPtrArray) atts = mer_store_list_local_attachments (watch->store, watch->draft, NULL);

  return atts != NULL && atts->len > 0;
}

/* Pastes @texture into the Markdown editor @md as Ctrl+V would, and waits
 * until it is an attachment of the draft @draft. */
static void
paste_texture_into (MerStore          *store,
                    MerMarkdownEditor *md,
                    GdkTexture        *texture,
                    const char        *draft)
{
  GtkWidget *source = mer_markdown_editor_get_text_view (md);
  DraftWatch watch = { store, draft };

  gtk_widget_grab_focus (source);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (source), texture);
  g_assert_true (gtk_widget_activate_action (source, "clipboard.paste", NULL));
  g_assert_true (mer_test_gui_wait_for (draft_has_attachments, &watch));
}

/* The one attachment named "pasted-…" of @doc, an image; NULL if none. */
static const char *
pasted_image (JsonObject *doc)
{
  JsonNode *node = json_object_get_member (doc, "_attachments");
  const char *found = NULL;
  g_autoptr(GList) names = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  names = json_object_get_members (json_node_get_object (node));
  for (GList *l = names; l != NULL; l = l->next)
    if (g_str_has_prefix (l->data, "pasted-"))
      {
        JsonObject *stub = json_object_get_object_member (json_node_get_object (node), l->data);

        g_assert_null (found);
        g_assert_cmpstr (mer_json_get_string (stub, "content_type"), ==, "image/png");
        g_assert_true (mer_json_get_bool (stub, "stub"));
        g_assert_true (g_str_has_prefix (mer_json_get_string (stub, "digest"), "md5-"));
        found = l->data;
      }
  return found;
}

/* The first label under @root whose text holds @part. */
static GtkLabel *
find_label_with (GtkWidget  *root,
                 const char *part)
{
  if (GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), part) != NULL)
    return GTK_LABEL (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label_with (child, part);

      if (found != NULL)
        return found;
    }
  return NULL;
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

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  GtkWidget *widget = mer_ui_find_named (root, name);

  if (widget == NULL)
    g_error ("no widget named %s", name);
  return widget;
}

static void
wait_for_proposal_body (GtkWidget *view)
{
  mer_test_gui_spin (400);
  for (guint i = 0; i < 200 && webkit_web_view_is_loading (WEBKIT_WEB_VIEW (find_named (view, "proposal-body"))); i++)
    mer_test_gui_spin (25);
  mer_test_gui_spin (1500);
}

static void
test_proposal_and_comment (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GdkTexture) diagram = make_texture (320, 160);
  g_autoptr(GdkTexture) shot = make_texture (180, 240);
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkWidget) reader = NULL;
  g_autoptr(JsonObject) proposal = NULL;
  g_autoptr(JsonObject) comment = NULL;
  g_autoptr(JsonArray) comments = NULL;
  g_autofree char *proposal_draft = NULL;
  g_autofree char *comment_draft = NULL;
  g_autofree char *text = NULL;
  g_autofree char *proposal_id = NULL;
  GtkWidget *view, *window, *composer, *dialog;
  MerMarkdownEditor *md;
  const char *image;

  {
    g_autoptr(JsonObject) me = mer_test_object ("{\"_id\":\"person:lea\",\"type\":\"person\",\"name\":\"Léa Martin\","
                                                "\"tz\":\"Europe/Paris\",\"work\":{\"mon\":[[\"09:00\",\"17:00\"]],"
                                                "\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]],"
                                                "\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]]},"
                                                "\"focus\":{},\"away\":[]}");
    g_autofree char *rev = mer_store_put_doc (store, me, &error);

    g_assert_no_error (error);
    g_assert_true (mer_schedule_set_me (store, "person:lea", &error));
  }
  reader = g_object_ref_sink (mer_page_view_new (store));

  /* 1. A proposal: an image pasted into its composer. */
  view = mer_proposals_view_new (store);
  window = show_in_window (view);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 860);
  mer_proposals_view_new_proposal (MER_PROPOSALS_VIEW (view));
  mer_test_gui_spin (300);
  composer = mer_proposals_view_get_composer (MER_PROPOSALS_VIEW (view));
  g_assert_nonnull (composer);
  gtk_editable_set_text (GTK_EDITABLE (find_named (composer, "title-entry")), "New architecture diagram");
  md = MER_MARKDOWN_EDITOR (mer_proposal_composer_get_editor (MER_PROPOSAL_COMPOSER (composer)));
  proposal_draft = g_strconcat (MER_DRAFT_PREFIX, mer_proposal_composer_get_draft_of (MER_PROPOSAL_COMPOSER (composer)),
                                NULL);
  /* At the top, so the body's screenshot shows it. */
  {
    GtkTextIter start;

    gtk_text_buffer_get_start_iter (mer_markdown_editor_get_buffer (md), &start);
    gtk_text_buffer_place_cursor (mer_markdown_editor_get_buffer (md), &start);
  }
  paste_texture_into (store, md, diagram, proposal_draft);
  answer_alt_dialog ("The sync path, hub in the middle", NULL);
  text = mer_markdown_editor_get_text (md);
  g_assert_nonnull (strstr (text, "![The sync path, hub in the middle](pasted-"));
  mer_markdown_editor_update_preview_now (md);
  mer_test_gui_spin (2500);
  mer_test_gui_save_png (window, "proposal-att-composer.png");

  /* Publish (past the check for empty sections): the proposal carries the
   * image as a stub of the draft's bytes; the draft is gone. */
  g_assert_true (gtk_widget_activate_action (composer, "composer.publish", NULL));
  mer_test_gui_spin (300);
  dialog = mer_proposal_composer_get_check_dialog (MER_PROPOSAL_COMPOSER (composer));
  if (dialog != NULL)
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "publish");
  mer_test_gui_spin (500);
  proposal_id = g_strdup (mer_proposals_view_get_selected (MER_PROPOSALS_VIEW (view)));
  g_assert_nonnull (proposal_id);
  proposal = mer_store_get_doc (store, proposal_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  image = pasted_image (proposal);
  g_assert_nonnull (image);
  g_assert_nonnull (strstr (mer_json_get_string (proposal, "body"), image));
  g_assert_false (draft_has_attachments (&(DraftWatch) { store, proposal_draft }));
  {
    g_autoptr(MerAttachment) att = mer_store_get_attachment (store, proposal_id, NULL, image, &error);
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GdkTexture) back = NULL;

    g_assert_no_error (error);
    bytes = mer_store_read_blob (store, att->blob, &error);
    g_assert_no_error (error);
    back = gdk_texture_new_from_bytes (bytes, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_width (back), ==, 320);
  }
  wait_for_proposal_body (view);
  mer_test_gui_save_png (window, "proposal-att-body.png");

  /* Following the body's image opens it full size, as in the reader. */
  {
    g_autofree char *uri = mer_markdown_attachment_uri (proposal_id, mer_json_get_string (proposal, "_rev"), image);
    MerImageViewer *viewer;

    mer_proposals_view_open_uri (MER_PROPOSALS_VIEW (view), uri);
    g_assert_true (mer_test_gui_wait_for (viewer_shown, NULL));
    viewer = find_viewer ();
    g_assert_true (mer_image_viewer_get_loaded (viewer));
    g_assert_cmpint (mer_image_viewer_get_image_width (viewer), ==, 320);
    g_assert_cmpint (mer_image_viewer_get_image_height (viewer), ==, 160);
    mer_test_gui_save_png (GTK_WIDGET (viewer), "proposal-att-viewer.png");
    gtk_window_close (GTK_WINDOW (viewer));
    mer_test_gui_spin (200);
  }

  /* 2. A comment: an image pasted into the proposal's comment box, kept by
   * its draft when the view goes (a crash, a restart). */
  md = MER_MARKDOWN_EDITOR (find_named (view, "comment-editor"));
  g_assert_cmpstr (mer_markdown_editor_get_draft_id (md), ==,
                   (comment_draft = g_strconcat ("new:comment-on-", proposal_id, NULL)));
  g_free (comment_draft);
  comment_draft = g_strconcat (MER_DRAFT_PREFIX "new:comment-on-", proposal_id, NULL);
  gtk_text_buffer_set_text (mer_markdown_editor_get_buffer (md), "", -1);
  gtk_text_buffer_insert_interactive_at_cursor (mer_markdown_editor_get_buffer (md),
                                                "Here is what I see on my screen:\n\n", -1, TRUE);
  paste_texture_into (store, md, shot, comment_draft);
  answer_alt_dialog ("Two bands, blue and orange", NULL);
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (md);
  g_test_message ("comment box: %s", text);
  g_assert_nonnull (strstr (text, "![Two bands, blue and orange](pasted-"));
  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (300);
  g_assert_true (draft_has_attachments (&(DraftWatch) { store, comment_draft }));

  view = mer_proposals_view_new (store);
  window = show_in_window (view);
  mer_proposals_view_select (MER_PROPOSALS_VIEW (view), proposal_id);
  mer_test_gui_spin (500);
  md = MER_MARKDOWN_EDITOR (find_named (view, "comment-editor"));
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (md);
  g_assert_nonnull (strstr (text, "Here is what I see on my screen:"));
  g_assert_nonnull (strstr (text, "![Two bands, blue and orange](pasted-"));

  /* A PDF dropped on the box goes with it, as a link. */
  {
    g_autofree char *pdf_path = g_build_filename (dir, "rota.pdf", NULL);
    g_autoptr(GFile) file = NULL;
    GValue value = G_VALUE_INIT;

    g_assert_true (g_file_set_contents (pdf_path, "%PDF-1.4\n%%EOF\n", -1, NULL));
    file = g_file_new_for_path (pdf_path);
    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    g_assert_true (mer_markdown_editor_drop (md, &value));
    g_value_unset (&value);
    g_clear_pointer (&text, g_free);
    text = mer_markdown_editor_get_text (md);
    g_assert_nonnull (strstr (text, "[rota.pdf](rota.pdf)"));
  }

  /* Post: the comment carries the image; the box and its draft are empty. */
  g_assert_true (gtk_widget_activate_action (view, "proposals.post-comment", NULL));
  mer_test_gui_spin (500);
  comments = mer_proposal_list_comments (store, proposal_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (comments), ==, 1);
  comment = mer_store_get_doc (store, mer_json_get_string (json_array_get_object_element (comments, 0), "_id"),
                               NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (comment, "author"), ==, "person:lea");
  image = pasted_image (comment);
  g_assert_nonnull (image);
  g_assert_nonnull (strstr (mer_json_get_string (comment, "body"), image));
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (json_object_get_object_member (
                     comment, "_attachments"), "rota.pdf"), "content_type"), ==, "application/pdf");
  g_assert_false (draft_has_attachments (&(DraftWatch) { store, comment_draft }));
  {
    g_autofree char *draft_of = g_strconcat ("new:comment-on-", proposal_id, NULL);
    g_autoptr(JsonObject) left = mer_markdown_editor_load_draft_doc (store, draft_of);

    g_assert_null (left);
  }
  md = MER_MARKDOWN_EDITOR (find_named (view, "comment-editor"));
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (md);
  g_assert_cmpstr (text, ==, "");

  /* The thread shows the comment's image under its text. */
  {
    GtkWidget *files = find_named (view, "comment-attachments");
    GtkWidget *scroller = gtk_widget_get_ancestor (files, GTK_TYPE_SCROLLED_WINDOW);
    graphene_point_t point;

    GtkLabel *said = find_label_with (find_named (view, "comment-thread"), "Here is what I see");

    /* The text without the references the pictures and buttons show. */
    g_assert_nonnull (said);
    g_assert_cmpstr (gtk_label_get_text (said), ==, "Here is what I see on my screen:");
    /* Sorted by name: the picture, then the PDF's button. */
    g_assert_true (GTK_IS_PICTURE (gtk_button_get_child (GTK_BUTTON (gtk_flow_box_child_get_child (
      gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (files), 0))))));
    g_assert_true (ADW_IS_BUTTON_CONTENT (gtk_button_get_child (GTK_BUTTON (gtk_flow_box_child_get_child (
      gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (files), 1))))));
    g_assert_null (gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (files), 2));
    mer_test_gui_spin (500);
    if (gtk_widget_compute_point (files, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller)),
                                  &GRAPHENE_POINT_INIT (0, 0), &point))
      {
        GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

        gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + point.y - 200);
      }
    mer_test_gui_spin (300);
    g_assert_true (gtk_widget_get_mapped (files));
  }
  mer_test_gui_save_png (window, "proposal-att-comment.png");
  /* A click on the comment's picture opens it full size. */
  {
    GtkWidget *files = find_named (view, "comment-attachments");
    GtkWidget *button = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (files), 0));
    MerImageViewer *viewer;

    g_assert_true (gtk_widget_activate (button));
    g_assert_true (mer_test_gui_wait_for (viewer_shown, NULL));
    viewer = find_viewer ();
    g_assert_true (mer_image_viewer_get_loaded (viewer));
    g_assert_cmpint (mer_image_viewer_get_image_width (viewer), ==, 180);
    g_assert_cmpint (mer_image_viewer_get_image_height (viewer), ==, 240);
    gtk_window_close (GTK_WINDOW (viewer));
    mer_test_gui_spin (200);
  }
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
  g_test_add_func ("/editor-attachments/proposal-and-comment", test_proposal_and_comment);
  return g_test_run ();
}
