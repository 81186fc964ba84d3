/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The editing views driven as a person drives them, under Xvfb: edit and
 * save a page, a draft that survives the editor being killed, merging or
 * keeping both sides when the page changed meanwhile, rename with links
 * that follow, delete and undo, a planted sync conflict resolved, and the
 * history's diff and restore.  Each test leaves a screenshot in the build
 * folder's logs (editor-*.png).
 */

#include "config.h"

#include "mer-application.h"
#include "mer-core.h"
#include "mer-conflict-region.h"
#include "mer-conflict-view.h"
#include "mer-history-view.h"
#include "mer-json.h"
#include "mer-markdown-editor.h"
#include "mer-page-editor.h"
#include "mer-schedule.h"
#include "mer-test-gui.h"
#include "mer-test-util.h"
#include "mer-ui-resources.h"
#include "mer-page-view.h"
#include "mer-window.h"

#include <adwaita.h>
#include <gtksourceview/gtksource.h>
#include <webkit/webkit.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define PAGE_ID   "page:on-call"
#define BASE_BODY "# On call\n\nThe rota changes every Monday.\n\nPage the secondary after 15 minutes.\n"

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets the main loop run for a while: layout, the preview, timers. */
static gboolean
page_loaded (gpointer data)
{
  return mer_page_view_get_loaded (MER_PAGE_VIEW (data))
         && mer_page_view_get_page_id (MER_PAGE_VIEW (data)) != NULL;
}

/* The preview has rendered the text at least once. */
static gboolean
preview_shown (gpointer data)
{
  WebKitWebView *web_view = WEBKIT_WEB_VIEW (mer_markdown_editor_get_preview (MER_MARKDOWN_EDITOR (data)));

  return webkit_web_view_get_uri (web_view) != NULL && !webkit_web_view_is_loading (web_view);
}

/* The window has shrunk to a phone's width (a busy machine may take a
 * few frames to get there). */
static gboolean
window_narrow (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (data)) <= 370;
}

/* Renders the window as GTK last drew it into a PNG.  A window that has
 * not drawn a frame yet has nothing to give: ask for one and retry. */
static void
save_screenshot (GtkWidget  *window,
                 const char *name)
{
  mer_test_gui_spin (500);
  mer_test_gui_save_png (window, name);
}

static GtkWidget *
show_in_window (GtkWidget *child,
                int        width,
                int        height)
{
  GtkWidget *window = adw_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  adw_window_set_content (ADW_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  mer_test_gui_spin (300);
  return window;
}

static void
plant_page (MerStore   *store,
            const char *id,
            const char *title,
            const char *path,
            const char *body,
            char      **out_rev)
{
  g_autoptr(JsonObject) page = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  json_object_set_string_member (page, "_id", id);
  json_object_set_string_member (page, "type", "page");
  json_object_set_string_member (page, "title", title);
  json_object_set_string_member (page, "path", path);
  json_object_set_string_member (page, "body", body);
  json_object_set_string_member (page, "owner", "person:ana");
  json_object_set_null_member (page, "review_by");
  json_object_set_string_member (page, "updated_at", "2026-11-20T09:00:00Z");
  json_object_set_string_member (page, "updated_by", "person:ana");
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  if (out_rev != NULL)
    *out_rev = g_steal_pointer (&rev);
}

static MerStore *
open_workspace (char **out_dir)
{
  MerStore *store = mer_test_open_store (out_dir);
  g_autoptr(JsonObject) ana = mer_test_object ("{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana Lima\",\"tz\":\"America/Sao_Paulo\"}");
  g_autoptr(JsonObject) kiri = mer_test_object ("{\"_id\":\"person:kiri\",\"type\":\"person\",\"name\":\"Kiri Tane\",\"tz\":\"Pacific/Auckland\"}");
  g_autoptr(GError) error = NULL;
  g_autofree char *r1 = mer_store_put_doc (store, ana, &error);
  g_autofree char *r2 = mer_store_put_doc (store, kiri, &error);

  g_assert_no_error (error);
  g_assert_true (mer_schedule_set_me (store, "person:kiri", &error));
  return store;
}

/* Types as a person does: one character at a time at the cursor. */
static void
type_text (MerMarkdownEditor *editor,
           const char        *text)
{
  GtkTextBuffer *buffer = mer_markdown_editor_get_buffer (editor);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    gtk_text_buffer_insert_interactive_at_cursor (buffer, p, g_utf8_next_char (p) - p, TRUE);
}

static void
move_cursor_to_end (MerMarkdownEditor *editor)
{
  GtkTextBuffer *buffer = mer_markdown_editor_get_buffer (editor);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
}

static char *
parent_of (JsonObject *doc)
{
  JsonObject *revisions = json_object_get_object_member (doc, "_revisions");
  JsonArray *ids = json_object_get_array_member (revisions, "ids");

  if (json_array_get_length (ids) < 2)
    return NULL;
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%s", json_object_get_int_member (revisions, "start") - 1,
                          json_array_get_string_element (ids, 1));
}

static void
test_edit_and_save (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autofree char *rev1 = NULL;
  g_autofree char *parent = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_strconcat (BASE_BODY, "Escalate to Kiri on weekends.\n", NULL);
  GtkWidget *editor;
  GtkWidget *window;
  MerMarkdownEditor *md;
  gboolean closed = FALSE;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, &rev1);
  editor = mer_page_editor_new (store, PAGE_ID);
  g_signal_connect_swapped (editor, "closed", G_CALLBACK (timeout_cb), &closed);
  window = show_in_window (editor, 1100, 700);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  g_assert_false (mer_page_editor_get_restored (MER_PAGE_EDITOR (editor)));

  move_cursor_to_end (md);
  type_text (md, "Escalate to Kiri on weekends.\n");
  mer_markdown_editor_update_preview_now (md);
  g_assert_cmpuint (mer_markdown_editor_get_word_count (md), >=, 15);
  save_screenshot (window, "editor-edit.png");

  g_assert_true (gtk_widget_activate_action (editor, "page.save", NULL));
  g_assert_true (closed);

  saved = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_REVS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (saved, "body"), ==, expected);
  g_assert_cmpstr (mer_json_get_string (saved, "title"), ==, "On call");
  g_assert_cmpstr (mer_json_get_string (saved, "path"), ==, "engineering/on-call");
  g_assert_cmpstr (mer_json_get_string (saved, "owner"), ==, "person:ana");
  g_assert_cmpstr (mer_json_get_string (saved, "updated_by"), ==, "person:kiri");
  g_assert_true (g_str_has_prefix (mer_json_get_string (saved, "_rev"), "2-"));
  parent = parent_of (saved);
  g_assert_cmpstr (parent, ==, rev1);
  /* Saved: the draft is gone. */
  g_assert_false (mer_markdown_editor_has_draft (md));
  gtk_window_destroy (GTK_WINDOW (window));

  /* Saving without a change writes no revision. */
  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor, 1100, 700);
  g_assert_true (gtk_widget_activate_action (editor, "page.save", NULL));
  {
    g_autoptr(JsonObject) same = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);

    g_assert_cmpstr (mer_json_get_string (same, "_rev"), ==, mer_json_get_string (saved, "_rev"));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

static void
test_new_page_and_validation (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = NULL;
  MerPageEditor *editor;
  GtkWidget *window;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  editor = MER_PAGE_EDITOR (mer_page_editor_new_page (store, "Release checklist"));
  window = show_in_window (GTK_WIDGET (editor), 900, 650);
  g_assert_null (mer_page_editor_get_page_id (editor));
  type_text (mer_page_editor_get_editor (editor), "# Release\n\n- [ ] Tag the build\n");

  /* Bad input: a clear error and nothing written. */
  mer_page_editor_set_path (editor, "engineering/on-call");
  g_assert_false (mer_page_editor_save (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  mer_page_editor_set_path (editor, "engineering/../secrets");
  g_assert_false (mer_page_editor_save (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 3);

  /* At 360 px the text comes first and the preview is one toggle away. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 700);
  mer_test_gui_spin (500);
  /* Narrow, the preview leaves and the window can shrink further. */
  gtk_window_set_default_size (GTK_WINDOW (window), 361, 700);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 700);
  mer_test_gui_wait_for (window_narrow, window);
  g_assert_cmpint (gtk_widget_get_width (window), <=, 370);
  g_assert_false (mer_markdown_editor_get_show_preview (mer_page_editor_get_editor (editor)));
  save_screenshot (window, "editor-narrow.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (editor), "page.toggle-preview", NULL));
  g_assert_true (mer_markdown_editor_get_show_preview (mer_page_editor_get_editor (editor)));
  g_assert_true (mer_test_gui_wait_for (preview_shown, mer_page_editor_get_editor (editor)));
  save_screenshot (window, "editor-narrow-preview.png");

  mer_page_editor_set_path (editor, "/engineering//release-checklist/");
  g_assert_true (mer_page_editor_save (editor, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (mer_page_editor_get_page_id (editor), ==, "page:release-checklist");
  page = mer_store_get_doc (store, "page:release-checklist", NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (page, "path"), ==, "engineering/release-checklist");
  g_assert_cmpstr (mer_json_get_string (page, "title"), ==, "Release checklist");
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, "# Release\n\n- [ ] Tag the build\n");
  g_assert_cmpstr (mer_json_get_string (page, "type"), ==, "page");

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

/* A new page never saved (the app closed or crashed) comes back with
 * "New Page"; a link to a missing page still starts that page. */
static void
test_unsaved_new_page_comes_back (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autofree char *text = NULL;
  MerPageEditor *editor;
  MerPageEditor *again;
  MerPageEditor *linked;
  GtkWidget *window;

  editor = MER_PAGE_EDITOR (mer_page_editor_new_page (store, NULL));
  window = show_in_window (GTK_WIDGET (editor), 900, 650);
  mer_page_editor_set_title (editor, "Travel policy");
  type_text (mer_page_editor_get_editor (editor), "Book trains when the trip is under six hours.\n");
  gtk_window_destroy (GTK_WINDOW (window));   /* closing keeps the draft */
  mer_test_gui_spin (100);

  again = MER_PAGE_EDITOR (mer_page_editor_new_page (store, NULL));
  window = show_in_window (GTK_WIDGET (again), 900, 650);
  g_assert_true (mer_page_editor_get_restored (again));
  text = mer_markdown_editor_get_text (mer_page_editor_get_editor (again));
  g_assert_cmpstr (text, ==, "Book trains when the trip is under six hours.\n");
  g_assert_cmpstr (mer_json_get_string (mer_markdown_editor_get_fields (mer_page_editor_get_editor (again)), "title"), ==,
                   "Travel policy");
  g_assert_true (mer_test_gui_wait_for (preview_shown, mer_page_editor_get_editor (again)));
  mer_test_gui_spin (1500);   /* WebKit paints a moment after the load ends */
  save_screenshot (window, "editor-new-page-restored.png");
  gtk_window_destroy (GTK_WINDOW (window));

  linked = MER_PAGE_EDITOR (mer_page_editor_new_page (store, "Expenses"));
  g_object_ref_sink (linked);
  g_assert_false (mer_page_editor_get_restored (linked));
  g_clear_pointer (&text, g_free);
  text = mer_markdown_editor_get_text (mer_page_editor_get_editor (linked));
  g_assert_cmpstr (text, ==, "");
  g_object_unref (linked);

  mer_test_rm_rf (dir);
}

#define TYPED_TEXT "Nights go to whoever is awake: Kiri in Auckland, Ana in São Paulo.\n"

/*
 * The child half of the crash test: opens the editor on the page, types
 * TYPED_TEXT at the end, says so on stdout and keeps running until the
 * parent kills it with SIGKILL, so no clean-up code ever runs.
 */
static int
child_type_main (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  MerStore *store;
  GtkWidget *editor;
  GtkWidget *window;
  MerMarkdownEditor *md;

  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();
  store = mer_core_open_store (data_dir, &error);
  g_assert_no_error (error);
  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor, 1000, 650);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  move_cursor_to_end (md);
  for (const char *p = TYPED_TEXT; *p != '\0'; p = g_utf8_next_char (p))
    {
      gtk_text_buffer_insert_interactive_at_cursor (mer_markdown_editor_get_buffer (md), p,
                                                    g_utf8_next_char (p) - p, TRUE);
      mer_test_gui_spin (10);
    }
  save_screenshot (window, "editor-before-kill.png");
  printf ("typed\n");
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

static void
test_draft_survives_kill (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *expected = g_strconcat (BASE_BODY, TYPED_TEXT, NULL);
  g_autoptr(JsonObject) page = NULL;
  gboolean saved = FALSE;
  GtkWidget *editor;
  GtkWidget *window;
  MerMarkdownEditor *md;
  char *text;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);

  child = mer_test_spawn_self_until ("--child-type", dir, "typed");

  /* The draft reaches the disk after the pause in typing; wait for it
   * (generously: this is not a timing test), then pull the plug. */
  for (guint i = 0; i < 600 && !saved; i++)
    {
      g_autoptr(JsonObject) draft = mer_markdown_editor_load_draft_doc (store, PAGE_ID);

      saved = draft != NULL && g_strcmp0 (mer_json_get_string (draft, "text"), expected) == 0;
      if (!saved)
        g_usleep (100 * 1000);
    }
  g_assert_true (saved);
  mer_test_kill_hard (child);

  /* The page itself is untouched... */
  page = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, BASE_BODY);

  /* ...and reopening the editor brings the typing back, exactly. */
  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor, 1000, 650);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  g_assert_true (mer_page_editor_get_restored (MER_PAGE_EDITOR (editor)));
  text = mer_markdown_editor_get_text (md);
  g_assert_cmpstr (text, ==, expected);
  g_free (text);
  g_assert_cmpint (mer_markdown_editor_get_cursor (md), ==, g_utf8_strlen (expected, -1));
  g_assert_cmpstr (mer_markdown_editor_get_base_rev (md), ==, mer_json_get_string (page, "_rev"));
  save_screenshot (window, "editor-restored.png");

  /* Saving the restored draft writes it and forgets the draft. */
  g_assert_true (gtk_widget_activate_action (editor, "page.save", NULL));
  g_clear_pointer (&page, json_object_unref);
  page = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, expected);
  g_assert_null (mer_markdown_editor_load_draft_doc (store, PAGE_ID));

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

static void
write_body (MerStore   *store,
            const char *id,
            const char *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);
  g_autofree char *rev = NULL;

  g_assert_no_error (error);
  json_object_set_string_member (page, "body", body);
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
}

static void
replace_in_buffer (MerMarkdownEditor *md,
                   const char        *old_text,
                   const char        *new_text)
{
  GtkTextBuffer *buffer = mer_markdown_editor_get_buffer (md);
  GtkTextIter start, match, match_end;

  gtk_text_buffer_get_start_iter (buffer, &start);
  g_assert_true (gtk_text_iter_forward_search (&start, old_text, 0, &match, &match_end, NULL));
  gtk_text_buffer_delete_interactive (buffer, &match, &match_end, TRUE);
  gtk_text_buffer_place_cursor (buffer, &match);
  type_text (md, new_text);
}

/* The page changed elsewhere while it was being edited, in another
 * paragraph: saving merges both edits. */
static void
test_save_merges_changes_made_meanwhile (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_autofree char *parent = NULL;
  GtkWidget *editor;
  GtkWidget *window;
  MerMarkdownEditor *md;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor, 1000, 650);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  replace_in_buffer (md, "every Monday", "every Tuesday");

  write_body (store, PAGE_ID, "# On call\n\nThe rota changes every Monday.\n\nPage the secondary after 10 minutes.\n");
  {
    g_autoptr(JsonObject) current = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, NULL);

    g_assert_true (mer_page_editor_save (MER_PAGE_EDITOR (editor), &error));
    g_assert_no_error (error);
    saved = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_REVS, &error);
    g_assert_cmpstr (mer_json_get_string (saved, "body"), ==,
                     "# On call\n\nThe rota changes every Tuesday.\n\nPage the secondary after 10 minutes.\n");
    parent = parent_of (saved);
    g_assert_cmpstr (parent, ==, mer_json_get_string (current, "_rev"));
  }
  conflicts = mer_store_get_conflicts (store, PAGE_ID, &error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

/* ...and in the same line: both versions are kept as a conflict. */
static void
test_save_keeps_overlapping_edit_as_conflict (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) leaves = NULL;
  g_autofree char *mine = g_strdup ("# On call\n\nThe rota changes every Tuesday.\n\nPage the secondary after 15 minutes.\n");
  const char *theirs = "# On call\n\nThe rota changes every Friday.\n\nPage the secondary after 15 minutes.\n";
  gboolean conflict = FALSE;
  gboolean found_mine = FALSE, found_theirs = FALSE;
  GtkWidget *editor;
  GtkWidget *window;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  editor = mer_page_editor_new (store, PAGE_ID);
  g_signal_connect_swapped (editor, "conflict", G_CALLBACK (timeout_cb), &conflict);
  window = show_in_window (editor, 1000, 650);
  replace_in_buffer (mer_page_editor_get_editor (MER_PAGE_EDITOR (editor)), "every Monday", "every Tuesday");
  write_body (store, PAGE_ID, theirs);

  g_assert_true (mer_page_editor_save (MER_PAGE_EDITOR (editor), &error));
  g_assert_no_error (error);
  g_assert_true (conflict);

  leaves = mer_store_get_leaf_revs (store, PAGE_ID, FALSE, &error);
  g_assert_cmpuint (g_strv_length (leaves), ==, 2);
  for (guint i = 0; leaves[i] != NULL; i++)
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, PAGE_ID, leaves[i], MER_GET_DEFAULT, &error);

      found_mine |= g_strcmp0 (mer_json_get_string (doc, "body"), mine) == 0;
      found_theirs |= g_strcmp0 (mer_json_get_string (doc, "body"), theirs) == 0;
    }
  g_assert_true (found_mine);
  g_assert_true (found_theirs);

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

static void
test_rename_rewrites_links (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) linking = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autofree char *rewritten = NULL;
  MerPageEditor *editor;
  GtkWidget *window;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  plant_page (store, "page:incidents", "Incidents", "engineering/incidents",
              "See [[On call]] and [[engineering/on-call|the rota]]; also [[Deploys]].\n", NULL);
  plant_page (store, "page:deploys", "Deploys", "engineering/deploys", "Nothing about the rota.\n", NULL);

  /* The rewrite itself, on its own. */
  rewritten = mer_page_rewrite_links ("[[on CALL]] [[a/b|x]] [[Other]] [[engineering/on-call#top]]",
                                      "On call", "a/b", "Rota", "c/d");
  g_assert_cmpstr (rewritten, ==, "[[Rota]] [[c/d|x]] [[Other]] [[engineering/on-call#top]]");

  editor = MER_PAGE_EDITOR (mer_page_editor_new (store, PAGE_ID));
  window = show_in_window (GTK_WIDGET (editor), 1000, 650);
  mer_page_editor_set_title (editor, "On-call rota");
  mer_page_editor_set_path (editor, "operations/on-call");
  g_assert_true (mer_page_editor_save (editor, &error));
  g_assert_no_error (error);

  linking = mer_store_get_doc (store, "page:incidents", NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (linking, "body"), ==,
                   "See [[On-call rota]] and [[operations/on-call|the rota]]; also [[Deploys]].\n");
  other = mer_store_get_doc (store, "page:deploys", NULL, MER_GET_DEFAULT, &error);
  g_assert_true (g_str_has_prefix (mer_json_get_string (other, "_rev"), "1-"));

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

static void
test_delete_and_undo (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) back = NULL;
  g_autoptr(JsonObject) gone = NULL;
  GtkWidget *overlay = adw_toast_overlay_new ();
  GtkWidget *window;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  window = show_in_window (overlay, 600, 400);
  g_assert_true (mer_page_delete_with_undo (store, PAGE_ID, overlay, &error));
  g_assert_no_error (error);
  gone = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_null (gone);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  save_screenshot (window, "editor-deleted-toast.png");

  /* Undo: the page comes back as a new revision of the deleted one. */
  g_assert_true (mer_page_restore_deleted (store, PAGE_ID, &error));
  g_assert_no_error (error);
  back = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (back, "body"), ==, BASE_BODY);
  g_assert_cmpstr (mer_json_get_string (back, "title"), ==, "On call");
  g_assert_true (g_str_has_prefix (mer_json_get_string (back, "_rev"), "3-"));

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

/* Grafts a child of @parent as a peer's edit arrives by replication. */
static char *
graft (MerStore   *store,
       const char *parent,
       const char *label,
       const char *body,
       const char *who,
       const char *when)
{
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_MD5, label, -1);
  int generation = atoi (parent) + 1;
  char *rev = g_strdup_printf ("%d-%s", generation, hash);
  JsonObject *revisions = json_object_new ();
  JsonArray *ids = json_array_new ();

  json_array_add_string_element (ids, hash);
  json_array_add_string_element (ids, strchr (parent, '-') + 1);
  json_object_set_int_member (revisions, "start", generation);
  json_object_set_array_member (revisions, "ids", ids);
  json_object_set_string_member (doc, "_id", PAGE_ID);
  json_object_set_string_member (doc, "_rev", rev);
  json_object_set_object_member (doc, "_revisions", revisions);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", "On call");
  json_object_set_string_member (doc, "path", "engineering/on-call");
  json_object_set_string_member (doc, "body", body);
  json_object_set_string_member (doc, "updated_by", who);
  json_object_set_string_member (doc, "updated_at", when);
  g_assert_true (mer_store_put_revision (store, doc, &error));
  g_assert_no_error (error);
  return rev;
}

static void
test_resolve_planted_conflict (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;
  g_autofree char *merged = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_auto(GStrv) after = NULL;
  g_autoptr(JsonObject) page = NULL;
  const char *ana_body = "# On call\n\nThe rota changes every Tuesday.\n\nPage the secondary after 15 minutes.\n";
  const char *kiri_body = "# On call\n\nThe rota changes on the first of the month.\n\nPage the secondary after 15 minutes.\n";
  const char *chosen = "# On call\n\nThe rota changes every Tuesday, on the first of the month in December.\n\nPage the secondary after 15 minutes.\n";
  MerConflictView *view;
  GtkWidget *window;
  gboolean closed = FALSE;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, &base);
  left = graft (store, base, "ana", ana_body, "person:ana", "2026-11-21T12:00:00Z");
  right = graft (store, base, "kiri", kiri_body, "person:kiri", "2026-11-21T12:05:00Z");
  conflicts = mer_store_get_conflicts (store, PAGE_ID, &error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 1);

  view = MER_CONFLICT_VIEW (mer_conflict_view_new (store, PAGE_ID));
  g_signal_connect_swapped (view, "closed", G_CALLBACK (timeout_cb), &closed);
  window = show_in_window (GTK_WIDGET (view), 1100, 750);
  g_assert_cmpuint (mer_conflict_view_count_regions (view), ==, 1);
  merged = mer_conflict_view_get_merged_text (view);
  g_assert_nonnull (strstr (merged, "every Tuesday"));
  g_assert_nonnull (strstr (merged, "on the first of the month"));
  g_assert_nonnull (strstr (merged, "<<<<<<<"));
  save_screenshot (window, "editor-conflict.png");

  /* Markers left in: refused, nothing written. */
  g_assert_false (mer_conflict_view_save (view, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_clear_pointer (&conflicts, g_strfreev);
  conflicts = mer_store_get_conflicts (store, PAGE_ID, &error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 1);

  /* On a phone-sized window the two versions stack. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 740);
  mer_test_gui_spin (300);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 740);
  mer_test_gui_spin (300);
  g_assert_cmpint (gtk_widget_get_width (window), <=, 370);
  save_screenshot (window, "editor-conflict-narrow.png");

  /* Pick a side, then edit it into the text the person wants. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conflict.use-right", NULL));
  g_clear_pointer (&merged, g_free);
  merged = mer_conflict_view_get_merged_text (view);
  g_assert_cmpstr (merged, ==, kiri_body);
  mer_conflict_view_set_merged_text (view, chosen);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conflict.save", NULL));
  g_assert_true (closed);

  after = mer_store_get_conflicts (store, PAGE_ID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (after), ==, 0);
  page = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, chosen);
  g_assert_cmpstr (mer_json_get_string (page, "updated_by"), ==, "person:kiri");
  g_assert_true (g_str_has_prefix (mer_json_get_string (page, "_rev"), "3-"));

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

/* Whether any text shown under @root, in a label or a text view, holds @needle. */
static gboolean
shows_text (GtkWidget  *root,
            const char *needle)
{
  g_autofree char *text = NULL;

  if (GTK_IS_LABEL (root))
    text = g_strdup (gtk_label_get_text (GTK_LABEL (root)));
  else if (GTK_IS_TEXT_VIEW (root))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (root));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  if (text != NULL && strstr (text, needle) != NULL && gtk_widget_is_drawable (root))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (shows_text (child, needle))
      return TRUE;
  return FALSE;
}

/* Runs the shortcut of @widget's own (its class's key bindings) that
 * @trigger (as "<Alt>m") sets off, as a key press in it would. */
static gboolean
activate_shortcut (GtkWidget  *widget,
                   const char *trigger)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *text = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

          if (g_str_equal (text, trigger))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, widget,
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }
  return FALSE;
}

/* The focused widget of @window's root, as the keyboard would find it. */
static GtkWidget *
focused (GtkWidget *window)
{
  return gtk_root_get_focus (GTK_ROOT (window));
}

/*
 * Two regions both sides changed, with a clean change between them: each
 * region is a block with both sides and its four buttons, no marker is
 * ever on screen, saving is refused while one is open, and each way out
 * (mine, theirs, both, by hand, reopen) gives the text it says.  "Mine" is
 * Kiri's side here: Kiri is the person using this replica, though Ana's
 * revision won.
 */
static void
test_conflict_regions_as_blocks (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;
  g_autofree char *merged = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_autoptr(JsonObject) page = NULL;
  const char *base_body = "# On call\n\nThe rota changes every Monday.\n\n"
                          "## Escalation\n\nCall the lead.\nThen the team.\nThen the vendor.\n\n"
                          "Page the secondary after 15 minutes.\n";
  const char *ana_body = "# On call\n\nThe rota changes every Tuesday.\n\n"
                         "## Escalation\n\nCall the lead.\nThen the team, in Slack.\nThen the vendor.\n\n"
                         "Page the secondary after 10 minutes.\n";
  const char *kiri_body = "# On call\n\nThe rota changes on the first of the month.\n\n"
                          "## Escalation\n\nCall the lead.\nThen the team.\nThen the vendor.\n\n"
                          "Page the secondary after 20 minutes.\n";
  const char *wanted = "# On call\n\nThe rota changes on the first of the month.\n\n"
                       "## Escalation\n\nCall the lead.\nThen the team, in Slack.\nThen the vendor.\n\n"
                       "Page the secondary after 12 minutes, the primary first.\n";
  MerConflictView *view;
  GtkWidget *window;
  GtkWidget *first;
  GtkWidget *second;
  GtkWidget *focus;
  gboolean closed = FALSE;
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (css, APP_RESOURCE_PATH "/style.css");
  plant_page (store, PAGE_ID, "On call", "engineering/on-call", base_body, &base);
  left = graft (store, base, "ana", ana_body, "person:ana", "2026-11-21T12:00:00Z");
  right = graft (store, base, "kiri", kiri_body, "person:kiri", "2026-11-21T12:05:00Z");

  /* The app's style sheet, which the window would load, for the
   * screenshots. */
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  view = MER_CONFLICT_VIEW (mer_conflict_view_new (store, PAGE_ID));
  g_signal_connect_swapped (view, "closed", G_CALLBACK (timeout_cb), &closed);
  window = show_in_window (GTK_WIDGET (view), 1100, 800);

  /* Two blocks; the clean edit in between merged as text. */
  first = mer_conflict_view_get_region (view, 0);
  second = mer_conflict_view_get_region (view, 1);
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_assert_null (mer_conflict_view_get_region (view, 2));
  g_assert_cmpuint (mer_conflict_view_count_regions (view), ==, 2);
  g_assert_true (shows_text (GTK_WIDGET (view), "Then the team, in Slack."));

  /* No marker on screen; both sides of each region in its block, mine
   * (Kiri's) named as such. */
  g_assert_false (shows_text (GTK_WIDGET (view), "<<<<<<<"));
  g_assert_false (shows_text (GTK_WIDGET (view), "======="));
  g_assert_false (shows_text (GTK_WIDGET (view), ">>>>>>>"));
  g_assert_true (shows_text (first, "The rota changes every Tuesday."));
  g_assert_true (shows_text (first, "The rota changes on the first of the month."));
  g_assert_true (shows_text (first, "Mine · Kiri Tane"));
  g_assert_true (shows_text (first, "Theirs · Ana Lima"));
  g_assert_true (shows_text (second, "after 10 minutes"));
  g_assert_true (shows_text (second, "after 20 minutes"));
  g_assert_false (shows_text (first, "after 10 minutes"));
  g_assert_true (shows_text (first, "Keep Mine"));
  g_assert_true (shows_text (first, "Keep Theirs"));
  g_assert_true (shows_text (first, "Keep Both"));
  g_assert_true (shows_text (first, "Edit"));
  save_screenshot (window, "editor-conflict-blocks.png");

  /* Open regions: the save is refused, nothing is written, and the
   * keyboard is taken to the first open block. */
  g_assert_false (mer_conflict_view_save (view, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conflict.save", NULL));
  g_assert_false (closed);
  focus = focused (window);
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, first));
  conflicts = mer_store_get_conflicts (store, PAGE_ID, &error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 1);

  /* Next Conflict goes to the second block. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conflict.next", NULL));
  g_assert_true (gtk_widget_is_ancestor (focused (window), second));

  /* Keep both: mine first, then theirs, and one region left. */
  g_assert_true (gtk_widget_activate_action (first, "region.keep-both", NULL));
  g_assert_cmpint (mer_conflict_region_get_choice (MER_CONFLICT_REGION (first)), ==, MER_CONFLICT_BOTH);
  g_assert_cmpuint (mer_conflict_view_count_regions (view), ==, 1);
  merged = mer_conflict_view_get_merged_text (view);
  g_assert_nonnull (strstr (merged, "The rota changes on the first of the month.\n"
                                    "The rota changes every Tuesday.\n"));
  g_assert_false (mer_conflict_view_save (view, NULL));

  /* Reopen and keep mine instead. */
  g_assert_true (gtk_widget_activate_action (first, "region.reopen", NULL));
  g_assert_cmpuint (mer_conflict_view_count_regions (view), ==, 2);
  g_assert_true (gtk_widget_activate_action (first, "region.keep-mine", NULL));
  g_clear_pointer (&merged, g_free);
  merged = mer_conflict_view_get_merged_text (view);
  g_assert_nonnull (strstr (merged, "The rota changes on the first of the month.\n"));
  g_assert_null (strstr (merged, "every Tuesday"));

  /* Keep theirs, then write the second region by hand instead. */
  g_assert_true (gtk_widget_activate_action (second, "region.keep-theirs", NULL));
  g_clear_pointer (&merged, g_free);
  merged = mer_conflict_view_get_merged_text (view);
  g_assert_true (g_str_has_suffix (merged, "Page the secondary after 10 minutes.\n"));
  g_assert_true (gtk_widget_activate_action (second, "region.reopen", NULL));
  g_assert_true (gtk_widget_activate_action (second, "region.edit", NULL));
  g_assert_cmpint (mer_conflict_region_get_choice (MER_CONFLICT_REGION (second)), ==, MER_CONFLICT_EDITED);
  g_assert_cmpuint (mer_conflict_view_count_regions (view), ==, 0);
  /* The keyboard is in the region's text, which starts from both sides. */
  focus = focused (window);
  g_assert_true (GTK_IS_TEXT_VIEW (focus));
  g_assert_true (gtk_widget_is_ancestor (focus, second));
  g_assert_true (shows_text (second, "after 20 minutes.\nPage the secondary after 10 minutes."));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (focus)),
                            "Page the secondary after 12 minutes, the primary first.\n", -1);
  g_assert_false (shows_text (GTK_WIDGET (view), "<<<<<<<"));
  save_screenshot (window, "editor-conflict-blocks-settled.png");

  /* A marker typed by hand is refused like an open region. */
  gtk_text_buffer_insert_at_cursor (gtk_text_view_get_buffer (GTK_TEXT_VIEW (focus)), "<<<<<<< oops\n", -1);
  g_assert_cmpuint (mer_conflict_view_count_regions (view), ==, 1);
  g_assert_false (mer_conflict_view_save (view, NULL));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (focus)),
                            "Page the secondary after 12 minutes, the primary first.\n", -1);

  /* On a phone-sized window a block's sides and buttons stack. */
  g_assert_true (gtk_widget_activate_action (first, "region.reopen", NULL));
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 740);
  g_assert_true (mer_test_gui_wait_for (window_narrow, window));
  mer_test_gui_spin (300);
  g_assert_cmpint (gtk_widget_get_width (first), <=, 370);
  save_screenshot (window, "editor-conflict-blocks-narrow.png");
  /* Alt+M, as the keyboard in the block presses it, keeps mine. */
  g_assert_true (activate_shortcut (first, "<Alt>m"));
  g_assert_cmpint (mer_conflict_region_get_choice (MER_CONFLICT_REGION (first)), ==, MER_CONFLICT_MINE);

  g_clear_pointer (&merged, g_free);
  merged = mer_conflict_view_get_merged_text (view);
  g_assert_cmpstr (merged, ==, wanted);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conflict.save", NULL));
  g_assert_true (closed);

  g_clear_pointer (&conflicts, g_strfreev);
  conflicts = mer_store_get_conflicts (store, PAGE_ID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 0);
  page = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_DEFAULT, &error);
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, wanted);

  gtk_window_destroy (GTK_WINDOW (window));
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css));
  mer_test_rm_rf (dir);
}

static void
test_history_diff_and_restore (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev1 = NULL;
  g_autofree char *diff = NULL;
  g_autofree char *restored = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autofree char *parent = NULL;
  const char *rev3;
  MerHistoryView *view;
  GtkWidget *window;
  guint added = 0, removed = 0;
  g_autofree char *plain = mer_history_diff_text ("a\nb\nc\n", "a\nB\nc\nd\n", &added, &removed);

  g_assert_nonnull (strstr (plain, "-b\n"));
  g_assert_nonnull (strstr (plain, "+B\n"));
  g_assert_nonnull (strstr (plain, "+d\n"));
  g_assert_true (g_str_has_prefix (plain, "@@ Around line 2 @@\n a\n-b\n"));
  g_assert_cmpuint (added, ==, 2);
  g_assert_cmpuint (removed, ==, 1);

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, &rev1);
  write_body (store, PAGE_ID, "# On call\n\nThe rota changes every Tuesday.\n\nPage the secondary after 15 minutes.\n");
  write_body (store, PAGE_ID, "# On call\n\nThe rota changes every Tuesday.\n\nPage the secondary after 5 minutes.\nCall the lead after 30.\n");

  view = MER_HISTORY_VIEW (mer_history_view_new (store, PAGE_ID));
  window = show_in_window (GTK_WIDGET (view), 1100, 700);
  g_assert_cmpuint (mer_history_view_get_n_revisions (view), ==, 3);
  rev3 = mer_history_view_get_revision (view, 0);
  g_assert_true (g_str_has_prefix (rev3, "3-"));
  g_assert_cmpstr (mer_history_view_get_revision (view, 2), ==, rev1);

  mer_history_view_compare (view, rev1, rev3);
  diff = mer_history_view_get_diff_text (view);
  g_assert_nonnull (strstr (diff, "-The rota changes every Monday.\n"));
  g_assert_nonnull (strstr (diff, "+The rota changes every Tuesday.\n"));
  g_assert_nonnull (strstr (diff, "+Call the lead after 30.\n"));
  g_assert_nonnull (strstr (diff, "-Page the secondary after 15 minutes.\n"));
  g_assert_nonnull (strstr (diff, "@@ Around line 3 @@\n"));
  save_screenshot (window, "editor-history.png");

  /* Restore the first revision: a new edit on top, history kept. */
  restored = mer_history_view_restore (view, rev1, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (restored, "4-"));
  page = mer_store_get_doc (store, PAGE_ID, NULL, MER_GET_REVS, &error);
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, BASE_BODY);
  parent = parent_of (page);
  g_assert_cmpstr (parent, ==, rev3);
  mer_history_view_reload (view);
  g_assert_cmpuint (mer_history_view_get_n_revisions (view), ==, 4);

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

/* Cancel with changes asks first; nothing is thrown away unasked. */
static void
test_cancel_keeps_draft_until_discarded (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  GtkWidget *editor;
  GtkWidget *window;
  MerMarkdownEditor *md;
  gboolean closed = FALSE;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  editor = mer_page_editor_new (store, PAGE_ID);
  g_signal_connect_swapped (editor, "closed", G_CALLBACK (timeout_cb), &closed);
  window = show_in_window (editor, 1000, 650);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  move_cursor_to_end (md);
  type_text (md, "Half a thought");
  g_assert_true (mer_markdown_editor_save_draft (md, NULL));

  g_assert_true (gtk_widget_activate_action (editor, "page.cancel", NULL));
  mer_test_gui_spin (300);
  g_assert_false (closed);   /* a dialog asks first */
  g_assert_true (mer_markdown_editor_has_draft (md));
  save_screenshot (window, "editor-cancel-dialog.png");

  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    AdwMessageDialog *dialog = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (item) && gtk_widget_get_visible (GTK_WIDGET (item)))
          dialog = ADW_MESSAGE_DIALOG (item);
      }
    g_assert_nonnull (dialog);
    save_screenshot (GTK_WIDGET (dialog), "editor-cancel-dialog-question.png");
    adw_message_dialog_response (dialog, "keep");
    g_assert_false (closed);
    g_assert_true (mer_markdown_editor_has_draft (md));
    mer_test_gui_spin (100);
  }

  /* Asked again and answered Discard: the draft goes, the editor closes. */
  g_assert_true (gtk_widget_activate_action (editor, "page.cancel", NULL));
  mer_test_gui_spin (100);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (item) && gtk_widget_get_visible (GTK_WIDGET (item)))
          adw_message_dialog_response (ADW_MESSAGE_DIALOG (item), "discard");
      }
  }
  g_assert_true (closed);
  g_assert_false (mer_markdown_editor_has_draft (md));

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

typedef struct
{
  MerPageView *view;
  const char  *not_id;
} OtherPage;

static gboolean
other_page_loaded (gpointer data)
{
  OtherPage *wait = data;

  return page_loaded (wait->view) && g_strcmp0 (mer_page_view_get_page_id (wait->view), wait->not_id) != 0;
}

static MerApplication *kept_app;

/*
 * The whole round in the app's own window on the demo workspace, through
 * its actions as the menus and shortcuts trigger them: edit and save,
 * a conflict arriving as from a sync and resolved from the reader's
 * banner, the history, and delete.
 */
static void
test_in_window (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("app");
  g_autoptr(MerApplication) app = mer_application_new (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_autofree char *page_id = NULL;
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_autofree char *body = NULL;
  MerWindow *window;
  MerPageView *view;
  MerStore *store;
  GtkWidget *pushed;
  MerMarkdownEditor *md;

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = MER_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (MER_IS_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  view = MER_PAGE_VIEW (mer_window_get_page_view (window));
  g_assert_true (mer_test_gui_wait_for (page_loaded, view));
  store = mer_application_get_store (app);
  page_id = g_strdup (mer_page_view_get_page_id (view));
  save_screenshot (GTK_WIDGET (window), "editor-window-reader.png");

  /* Edit (Ctrl+E), type, save (Ctrl+S). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.edit-page", NULL));
  pushed = mer_window_get_visible_view (window);
  g_assert_true (MER_IS_PAGE_EDITOR (pushed));
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (pushed));
  move_cursor_to_end (md);
  type_text (md, "\nA line added from the window.\n");
  mer_markdown_editor_update_preview_now (md);
  g_assert_true (mer_test_gui_wait_for (preview_shown, md));
  save_screenshot (GTK_WIDGET (window), "editor-window-edit.png");
  g_assert_true (gtk_widget_activate_action (pushed, "page.save", NULL));
  g_assert_null (mer_window_get_visible_view (window));
  saved = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (mer_json_get_string (saved, "body"), "\nA line added from the window.\n"));
  g_assert_true (g_str_has_prefix (mer_json_get_string (saved, "_rev"), "2-"));

  /* Two replicas edited the same line: the reader shows the banner. */
  body = g_strdup (mer_json_get_string (saved, "body"));
  {
    g_autoptr(JsonObject) a = mer_json_object_copy (saved);
    g_autoptr(JsonObject) b = mer_json_object_copy (saved);
    g_autofree char *a_body = g_strconcat (body, "Left edit.\n", NULL);
    g_autofree char *b_body = g_strconcat (body, "Right edit.\n", NULL);
    const char *base = mer_json_get_string (saved, "_rev");
    g_autofree char *ha = g_compute_checksum_for_string (G_CHECKSUM_MD5, "left", -1);
    g_autofree char *hb = g_compute_checksum_for_string (G_CHECKSUM_MD5, "right", -1);
    JsonObject *docs[] = { a, b };
    const char *hashes[] = { ha, hb };
    const char *bodies[] = { a_body, b_body };

    for (guint i = 0; i < 2; i++)
      {
        g_autofree char *rev = g_strdup_printf ("3-%s", hashes[i]);
        JsonObject *revisions = json_object_new ();
        JsonArray *ids = json_array_new ();

        json_array_add_string_element (ids, hashes[i]);
        json_array_add_string_element (ids, strchr (base, '-') + 1);
        json_object_set_int_member (revisions, "start", 3);
        json_object_set_array_member (revisions, "ids", ids);
        json_object_set_string_member (docs[i], "_rev", rev);
        json_object_set_object_member (docs[i], "_revisions", revisions);
        json_object_set_string_member (docs[i], "body", bodies[i]);
        g_assert_true (mer_store_put_revision (store, docs[i], &error));
        g_assert_no_error (error);
      }
  }
  conflicts = mer_store_get_conflicts (store, page_id, &error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 1);
  mer_page_view_reload (view);
  g_assert_true (mer_test_gui_wait_for (page_loaded, view));
  save_screenshot (GTK_WIDGET (window), "editor-window-banner.png");

  /* Resolve, as the banner's button does. */
  g_signal_emit_by_name (view, "resolve-conflict-requested", page_id);
  pushed = mer_window_get_visible_view (window);
  g_assert_true (MER_IS_CONFLICT_VIEW (pushed));
  save_screenshot (GTK_WIDGET (window), "editor-window-conflict.png");
  g_assert_true (gtk_widget_activate_action (pushed, "conflict.use-right", NULL));
  g_assert_true (gtk_widget_activate_action (pushed, "conflict.save", NULL));
  g_assert_null (mer_window_get_visible_view (window));
  g_clear_pointer (&conflicts, g_strfreev);
  conflicts = mer_store_get_conflicts (store, page_id, &error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 0);

  /* History (Ctrl+H), then back. */
  g_assert_true (mer_test_gui_wait_for (page_loaded, view));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.page-history", NULL));
  pushed = mer_window_get_visible_view (window);
  g_assert_true (MER_IS_HISTORY_VIEW (pushed));
  g_assert_cmpuint (mer_history_view_get_n_revisions (MER_HISTORY_VIEW (pushed)), >=, 3);
  save_screenshot (GTK_WIDGET (window), "editor-window-history.png");
  g_assert_true (gtk_widget_activate_action (pushed, "history.close", NULL));
  g_assert_null (mer_window_get_visible_view (window));

  /* Delete: gone from the replica, another page shown, Undo offered. */
  g_assert_true (mer_test_gui_wait_for (page_loaded, view));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.delete-page", NULL));
  g_clear_pointer (&saved, json_object_unref);
  saved = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_null (saved);
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    OtherPage wait = { view, page_id };

    g_assert_true (mer_test_gui_wait_for (other_page_loaded, &wait));
  }
  save_screenshot (GTK_WIDGET (window), "editor-window-deleted.png");

  /* The window and the app stay until the process ends: tearing the
   * window down is the window's own tests' business. */
  kept_app = g_steal_pointer (&app);
}

/* What a draft save costs on a long page (a figure, not an assertion):
 * it runs on the UI thread after each pause in typing. */
static void
test_draft_save_cost (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  MerMarkdownEditor *md;
  gint64 start, elapsed;
  const guint rounds = 50;

  while (text->len < 20000)
    g_string_append (text, "A paragraph of a long handbook page, written across three time zones.\n\n");
  md = MER_MARKDOWN_EDITOR (g_object_ref_sink (mer_markdown_editor_new (store, "page:long")));
  mer_markdown_editor_set_text (md, text->str);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < rounds; i++)
    {
      type_text (md, "x");
      g_assert_true (mer_markdown_editor_save_draft (md, &error));
      g_assert_no_error (error);
    }
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("draft save of a %zu-byte page: %.2f ms each (%u saves)",
                  text->len, elapsed / 1000.0 / rounds, rounds);
  g_object_unref (md);
  mer_test_rm_rf (dir);
}

/* The text follows the system's dark style, like the rest of the app. */
static void
test_dark_style (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkSourceBuffer *buffer;
  MerMarkdownEditor *md;
  GtkWidget *editor;
  GtkWidget *window;

  plant_page (store, PAGE_ID, "On call", "engineering/on-call", BASE_BODY, NULL);
  editor = mer_page_editor_new (store, PAGE_ID);
  window = show_in_window (editor, 1000, 600);
  md = mer_page_editor_get_editor (MER_PAGE_EDITOR (editor));
  buffer = GTK_SOURCE_BUFFER (mer_markdown_editor_get_buffer (md));
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (buffer)), ==, "Adwaita");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (buffer)), ==, "Adwaita-dark");
  mer_markdown_editor_update_preview_now (md);
  g_assert_true (mer_test_gui_wait_for (preview_shown, md));
  mer_test_gui_spin (1000);
  save_screenshot (window, "editor-dark.png");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (buffer)), ==, "Adwaita");
  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--child-type"))
    return child_type_main (argv[2]);

  mer_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();

  g_test_add_func ("/editor/edit-and-save", test_edit_and_save);
  g_test_add_func ("/editor/new-page-and-validation", test_new_page_and_validation);
  g_test_add_func ("/editor/unsaved-new-page-comes-back", test_unsaved_new_page_comes_back);
  g_test_add_func ("/editor/draft-survives-kill", test_draft_survives_kill);
  g_test_add_func ("/editor/save-merges-changes-made-meanwhile", test_save_merges_changes_made_meanwhile);
  g_test_add_func ("/editor/save-keeps-overlapping-edit-as-conflict", test_save_keeps_overlapping_edit_as_conflict);
  g_test_add_func ("/editor/rename-rewrites-links", test_rename_rewrites_links);
  g_test_add_func ("/editor/delete-and-undo", test_delete_and_undo);
  g_test_add_func ("/editor/resolve-planted-conflict", test_resolve_planted_conflict);
  g_test_add_func ("/editor/conflict-regions-as-blocks", test_conflict_regions_as_blocks);
  g_test_add_func ("/editor/history-diff-and-restore", test_history_diff_and_restore);
  g_test_add_func ("/editor/cancel-keeps-draft-until-discarded", test_cancel_keeps_draft_until_discarded);
  g_test_add_func ("/editor/dark-style", test_dark_style);
  g_test_add_func ("/editor/draft-save-cost", test_draft_save_cost);
  g_test_add_func ("/editor/in-window", test_in_window);
  return g_test_run ();
}
