/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The app as a person uses it, under Xvfb: the window opens on a fresh
 * copy of the demo workspace, a page is found with search everywhere and
 * opened with Enter, a wiki link is followed and Back returns, the window
 * folds to one column at 360 px, and the dark style reaches the reader.
 * Every step leaves a screenshot in the build's meson-logs.
 */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-core.h"
#include "mer-test-util.h"

#include "mer-application.h"
#include "mer-conflict-view.h"
#include "mer-json.h"
#include "mer-page-tree.h"
#include "mer-page-view.h"
#include "mer-peers.h"
#include "mer-schedule.h"
#include "mer-search-panel.h"
#include "mer-sync-controller.h"
#include "mer-sync-indicator.h"
#include "mer-store.h"
#include "mer-ui-resources.h"
#include "mer-window.h"

#include <adwaita.h>
#include <webkit/webkit.h>

static gboolean
page_loaded (gpointer data)
{
  return mer_page_view_get_loaded (MER_PAGE_VIEW (data))
         && mer_page_view_get_page_id (MER_PAGE_VIEW (data)) != NULL;
}

typedef struct
{
  MerPageView *view;
  const char  *page_id;
} PageWait;

static gboolean
page_shown (gpointer data)
{
  PageWait *wait = data;

  return mer_page_view_get_loaded (wait->view)
         && g_strcmp0 (mer_page_view_get_page_id (wait->view), wait->page_id) == 0;
}

static void
wait_for_page (MerPageView *view,
               const char  *page_id)
{
  PageWait wait = { view, page_id };

  g_assert_true (mer_test_gui_wait_for (page_shown, &wait));
}

static gboolean
has_results (gpointer data)
{
  return mer_search_panel_get_n_results (MER_SEARCH_PANEL (data)) > 0;
}

static gboolean
tree_loaded (gpointer data)
{
  return mer_page_tree_get_n_pages (MER_PAGE_TREE (data)) > 0;
}

/* Renders the window as GTK draws it (the web view included) into a PNG. */
static void
save_screenshot (GtkWidget  *window,
                 const char *name)
{
  static gboolean first = TRUE;

  /* The web process draws its first frame a while after loading. */
  mer_test_gui_spin (first ? 2500 : 900);
  first = FALSE;
  mer_test_gui_save_png (window, name);
}

typedef struct
{
  char           *data_dir;
  MerApplication *app;
  MerWindow      *window;
  MerPageView    *view;
} Fixture;

/* One app for the whole program, on an empty temporary workspace that it
 * fills with the demo when first activated; each test gets a new window. */
static MerApplication *app;
static char *app_data_dir;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  if (app == NULL)
    {
      app_data_dir = mer_test_make_tmpdir ("app");
      app = mer_application_new (app_data_dir);
      g_application_register (G_APPLICATION (app), NULL, &error);
      g_assert_no_error (error);
      g_application_activate (G_APPLICATION (app));
      window = gtk_application_get_active_window (GTK_APPLICATION (app));
    }
  else
    {
      /* Every test starts on the start page, not where the last one ended. */
      g_settings_set_string (mer_application_get_settings (app), "last-page", "");
      window = GTK_WINDOW (mer_window_new (GTK_APPLICATION (app), mer_application_get_store (app)));
      gtk_window_present (window);
    }

  g_assert_true (MER_IS_WINDOW (window));
  fixture->app = app;
  fixture->data_dir = app_data_dir;
  fixture->window = MER_WINDOW (window);
  fixture->view = MER_PAGE_VIEW (mer_window_get_page_view (fixture->window));
  gtk_window_set_default_size (window, 1200, 800);
  g_assert_true (mer_test_gui_wait_for (page_loaded, fixture->view));
  g_assert_true (mer_test_gui_wait_for (tree_loaded, mer_window_get_page_tree (fixture->window)));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  mer_test_gui_spin (100);
}

static char *
page_uri_in_html (const char *html,
                  const char *page_id)
{
  g_autofree char *escaped = g_uri_escape_string (page_id, NULL, FALSE);
  g_autofree char *needle = g_strconcat ("meridian://page/", escaped, NULL);

  return strstr (html, needle) ? g_steal_pointer (&needle) : NULL;
}

typedef struct
{
  GBytes *bytes;
  gboolean done;
} DataWait;

static void
resource_data_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DataWait *wait = user_data;
  gsize length = 0;
  guchar *data = webkit_web_resource_get_data_finish (WEBKIT_WEB_RESOURCE (object), result, &length, NULL);

  wait->bytes = data ? g_bytes_new_take (data, length) : NULL;
  wait->done = TRUE;
}

static gboolean
data_done (gpointer data)
{
  return ((DataWait *) data)->done;
}

/* The HTML the reader was given for the page shown, or NULL when a new
 * load took the resource away while it was read. */
static char *
shown_html (MerPageView *view)
{
  WebKitWebView *web_view = WEBKIT_WEB_VIEW (mer_page_view_get_web_view (view));
  WebKitWebResource *resource = webkit_web_view_get_main_resource (web_view);
  DataWait wait = { NULL, FALSE };
  gsize length;
  const char *data;

  g_assert_nonnull (resource);
  webkit_web_resource_get_data (resource, NULL, resource_data_cb, &wait);
  g_assert_true (mer_test_gui_wait_for (data_done, &wait));
  if (wait.bytes == NULL)
    return NULL;
  data = g_bytes_get_data (wait.bytes, &length);
  {
    char *html = g_strndup (data, length);

    g_bytes_unref (wait.bytes);
    return html;
  }
}

static void
test_opens_on_demo (Fixture       *fixture,
                    gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  g_autoptr(JsonArray) pages = mer_store_list_docs (store, "page", NULL);
  g_autoptr(JsonObject) doc = NULL;
  const char *page_id = mer_page_view_get_page_id (fixture->view);

  /* The demo filled the empty workspace and the tree lists every page. */
  g_assert_nonnull (pages);
  g_assert_cmpuint (json_array_get_length (pages), >=, 5);
  g_assert_cmpuint (mer_page_tree_get_n_pages (MER_PAGE_TREE (mer_window_get_page_tree (fixture->window))), ==,
                    json_array_get_length (pages));

  /* It opens on the handbook's start page, with its title and owner. */
  g_assert_cmpstr (page_id, ==, mer_store_resolve_link (store, "Start here", NULL));
  doc = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, NULL);
  g_assert_nonnull (doc);
  g_assert_cmpstr (mer_page_view_get_title (fixture->view), ==, mer_json_get_string (doc, "title"));
  g_assert_nonnull (mer_page_view_get_owner_name (fixture->view));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->window)), !=, NULL);
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (fixture->window)), "Start here"));
  g_assert_false (mer_window_get_folded (fixture->window));
  save_screenshot (GTK_WIDGET (fixture->window), "app-reader.png");

  /* F9 shows the contents and the pages linking here beside the text. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.page-info", NULL));
  save_screenshot (GTK_WIDGET (fixture->window), "app-reader-info.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.page-info", NULL));
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static void
test_search_opens_page (Fixture       *fixture,
                        gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  MerSearchPanel *panel = MER_SEARCH_PANEL (mer_window_get_search_panel (fixture->window));
  g_autoptr(GPtrArray) hits = NULL;
  const char *expected;
  guint searches = 0;

  hits = mer_store_search (store, "handoff", 50, NULL);
  g_assert_nonnull (hits);
  g_assert_cmpuint (hits->len, >, 0);
  expected = ((MerSearchHit *) g_ptr_array_index (hits, 0))->id;

  /* Ctrl+K opens the panel with the focus in the entry. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (panel)));
  mer_test_gui_spin (100);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (mer_search_panel_get_entry (panel)))
                 || gtk_widget_is_focus (GTK_WIDGET (mer_search_panel_get_entry (panel)))
                 || gtk_widget_get_focus_child (GTK_WIDGET (mer_search_panel_get_entry (panel))) != NULL);

  /* Typing shows results as they come, the best first; keys typed before
   * a search could run make one search, for the text as it is by then. */
  g_signal_connect_swapped (panel, "searched", G_CALLBACK (count_cb), &searches);
  gtk_editable_set_text (mer_search_panel_get_entry (panel), "hand");
  gtk_editable_set_text (mer_search_panel_get_entry (panel), "handoff");
  g_assert_true (mer_test_gui_wait_for (has_results, panel));
  mer_test_gui_spin (100);
  g_signal_handlers_disconnect_by_func (panel, count_cb, &searches);
  g_assert_cmpuint (searches, ==, 1);
  g_assert_cmpuint (mer_search_panel_get_n_results (panel), ==, hits->len);
  save_screenshot (GTK_WIDGET (fixture->window), "app-search.png");

  /* Enter opens the first result and closes the panel. */
  g_signal_emit_by_name (mer_search_panel_get_entry (panel), "activate");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (panel)));
  g_assert_true (g_str_has_prefix (expected, "page:"));
  wait_for_page (fixture->view, expected);
  g_assert_cmpstr (mer_page_view_get_page_id (fixture->view), ==, expected);

  /* Any text is a valid query; nothing found says so. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL);
  gtk_editable_set_text (mer_search_panel_get_entry (panel), "zzqxjv \"( OR");
  mer_test_gui_spin (200);
  g_assert_cmpuint (mer_search_panel_get_n_results (panel), ==, 0);
  /* Escape (stop-search) closes it. */
  g_signal_emit_by_name (mer_search_panel_get_entry (panel), "stop-search");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (panel)));
}

static void
test_search_keyboard_choice (Fixture       *fixture,
                             gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  MerSearchPanel *panel = MER_SEARCH_PANEL (mer_window_get_search_panel (fixture->window));
  g_autoptr(GPtrArray) hits = mer_store_search (store, "time zones", 50, NULL);
  const char *second = NULL;

  g_assert_nonnull (hits);
  for (guint i = 1; i < hits->len && second == NULL; i++)
    {
      MerSearchHit *hit = g_ptr_array_index (hits, i);

      if (g_str_equal (hit->type, "page"))
        {
          second = hit->id;
          gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL);
          gtk_editable_set_text (mer_search_panel_get_entry (panel), "time zones");
          g_assert_true (mer_test_gui_wait_for (has_results, panel));
          mer_test_gui_spin (60);
          /* What Down does, as many times as needed. */
          mer_search_panel_select (panel, i);
          mer_search_panel_activate_selected (panel);
        }
    }
  g_assert_nonnull (second);
  wait_for_page (fixture->view, second);
}

static void
test_follow_wiki_link_and_back (Fixture       *fixture,
                                gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  g_autofree char *start = g_strdup (mer_page_view_get_page_id (fixture->view));
  g_autofree char *target = mer_store_resolve_link (store, "Using Meridian", NULL);
  g_autofree char *html = NULL;
  g_autofree char *uri = NULL;

  g_assert_nonnull (target);
  g_assert_cmpstr (start, !=, target);

  /* The start page links to it with a meridian: address... */
  html = shown_html (fixture->view);
  g_assert_nonnull (html);
  uri = page_uri_in_html (html, target);
  g_assert_nonnull (uri);
  g_assert_null (strstr (html, "<script"));

  /* ...which the reader follows like a click. */
  mer_page_view_open_uri (fixture->view, uri);
  wait_for_page (fixture->view, target);
  g_assert_cmpstr (mer_page_view_get_title (fixture->view), ==, "Using Meridian");
  g_assert_true (mer_page_view_can_go_back (fixture->view));
  save_screenshot (GTK_WIDGET (fixture->window), "app-wiki-link.png");

  /* Alt+Left goes back, Alt+Right forward again. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.go-back", NULL));
  wait_for_page (fixture->view, start);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.go-forward", NULL));
  wait_for_page (fixture->view, target);

  /* Choosing a page in the sidebar opens it too. */
  mer_window_open_page (fixture->window, start);
  wait_for_page (fixture->view, start);
}

static void
test_edit_reflects_in_reader (Fixture       *fixture,
                              gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  /* Another connection to the same workspace, as the replicator or a
   * second process has: the window hears of its commits only through the
   * store watching other connections. */
  g_autoptr(MerStore) elsewhere = mer_core_open_store (mer_store_get_data_dir (store), NULL);
  const char *page_id = mer_page_view_get_page_id (fixture->view);
  g_autoptr(JsonObject) doc = mer_store_get_doc (elsewhere, page_id, NULL, MER_GET_DEFAULT, NULL);
  g_autofree char *rev = NULL;
  g_autofree char *html = NULL;
  gboolean seen = FALSE;

  /* An edit from elsewhere (a sync, another process) reaches the page shown. */
  json_object_set_string_member (doc, "body", "# Start here\n\nRewritten by a teammate far away.\n");
  json_object_set_string_member (doc, "review_by", "2020-01-01");
  rev = mer_store_put_doc (elsewhere, doc, NULL);
  g_assert_nonnull (rev);
  for (guint i = 0; i < 100 && !seen; i++)
    {
      mer_test_gui_spin (100);
      if (mer_page_view_get_loaded (fixture->view))
        {
          g_free (html);
          /* The edit may start a new load while the old page is read. */
          html = shown_html (fixture->view);
          seen = html != NULL && strstr (html, "Rewritten by a teammate") != NULL;
        }
    }
  g_assert_true (seen);
  /* The review date has passed: the page says it needs review. */
  g_assert_true (mer_page_view_get_needs_review (fixture->view));
  save_screenshot (GTK_WIDGET (fixture->window), "app-needs-review.png");
}

static gboolean
is_folded (gpointer data)
{
  return mer_window_get_folded (MER_WINDOW (data));
}

static void
test_narrow_window (Fixture       *fixture,
                    gconstpointer  user_data)
{
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 720);
  g_assert_true (mer_test_gui_wait_for (is_folded, fixture->window));
  mer_test_gui_spin (300);
  /* It really is 360 px wide: nothing in it asks for more. */
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);
  save_screenshot (GTK_WIDGET (fixture->window), "app-narrow.png");

  /* The sidebar is one tap away, and a page brings the content back. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-sidebar", NULL));
  mer_test_gui_spin (400);
  save_screenshot (GTK_WIDGET (fixture->window), "app-narrow-sidebar.png");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL);
  gtk_editable_set_text (mer_search_panel_get_entry (MER_SEARCH_PANEL (mer_window_get_search_panel (fixture->window))),
                         "handoff");
  g_assert_true (mer_test_gui_wait_for (has_results, mer_window_get_search_panel (fixture->window)));
  save_screenshot (GTK_WIDGET (fixture->window), "app-narrow-search.png");
  g_signal_emit_by_name (mer_search_panel_get_entry (MER_SEARCH_PANEL (mer_window_get_search_panel (fixture->window))),
                         "stop-search");

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1200, 800);
  mer_test_gui_spin (300);
  g_assert_false (mer_window_get_folded (fixture->window));
}

static void
test_dark_style (Fixture       *fixture,
                 gconstpointer  user_data)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  WebKitWebView *web_view = WEBKIT_WEB_VIEW (mer_page_view_get_web_view (fixture->view));
  GdkRGBA background;

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  mer_test_gui_spin (300);
  webkit_web_view_get_background_color (web_view, &background);
  g_assert_cmpfloat (background.red, <, 0.5);
  mer_page_view_reload (fixture->view);
  mer_test_gui_spin (300);
  g_assert_true (mer_test_gui_wait_for (page_loaded, fixture->view));
  save_screenshot (GTK_WIDGET (fixture->window), "app-dark.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  mer_test_gui_spin (100);
  webkit_web_view_get_background_color (web_view, &background);
  g_assert_cmpfloat (background.red, >, 0.5);
}

static void
test_sections_and_actions (Fixture       *fixture,
                           gconstpointer  user_data)
{
  GtkApplication *app = GTK_APPLICATION (fixture->app);
  g_auto(GStrv) accels = NULL;

  /* Every app action has its shortcut. */
  accels = gtk_application_get_accels_for_action (app, "app.quit");
  g_assert_cmpstr (accels[0], ==, "<Control>q");
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (app, "app.preferences");
  g_assert_cmpstr (accels[0], ==, "<Control>comma");
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (app, "win.show-help-overlay");
  g_assert_nonnull (accels[0]);
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));

  /* The Handbook section is there, and the reader is what it shows. */
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "handbook");

  /* So are the other sections, in the sidebar's order. */
  mer_window_show_section (fixture->window, "proposals");
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "proposals");
  /* The demo's open proposal, as a reader finds it. */
  g_assert_true (mer_window_open_doc (fixture->window, "proposal:written-weekly-update"));
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "proposals");
  mer_test_gui_spin (1500);
  save_screenshot (GTK_WIDGET (fixture->window), "app-proposals-section.png");
  mer_window_show_section (fixture->window, "decisions");
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "decisions");
  mer_window_show_section (fixture->window, "team");
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "team");
  save_screenshot (GTK_WIDGET (fixture->window), "app-team-section.png");
  mer_window_show_section (fixture->window, "handbook");
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "handbook");

  /* A pushed view takes the content and Back takes it down. */
  {
    GtkWidget *view = gtk_label_new ("A pushed view");

    mer_window_show_view (fixture->window, view, "Pushed");
    g_assert_true (mer_window_get_visible_view (fixture->window) == view);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.go-back", NULL));
    g_assert_null (mer_window_get_visible_view (fixture->window));
  }

  /* The window has its shortcuts window.  (It is not shown here: GTK 4.8's
   * shortcuts window logs a size warning, which tests treat as fatal.) */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (fixture->window)));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->window), "show-help-overlay"));

  /* Preferences open over the window. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  mer_test_gui_spin (500);
  {
    GList *windows = gtk_application_get_windows (app);
    GtkWindow *prefs = NULL;

    for (GList *l = windows; l != NULL; l = l->next)
      if (l->data != (gpointer) fixture->window && ADW_IS_PREFERENCES_WINDOW (l->data))
        prefs = l->data;
    g_assert_nonnull (prefs);
    save_screenshot (GTK_WIDGET (prefs), "app-preferences.png");
    gtk_window_destroy (prefs);
  }
}

typedef struct
{
  MerSyncController *sync;
  MerSyncStatus      status;
} StatusWait;

static gboolean
status_is (gpointer data)
{
  StatusWait *wait = data;

  return mer_sync_controller_get_status (wait->sync) == wait->status;
}

static gboolean
unreachable (gpointer data)
{
  MerSyncStatus status = mer_sync_controller_get_status (MER_SYNC_CONTROLLER (data));

  return status == MER_SYNC_STATUS_OFFLINE || status == MER_SYNC_STATUS_ERROR;
}

static gboolean
synced_and_sent (gpointer data)
{
  MerSyncController *sync = data;

  return mer_sync_controller_get_status (sync) == MER_SYNC_STATUS_SYNCED
         && mer_sync_controller_get_pending (sync) == 0;
}

static gboolean
line_read (gpointer data)
{
  return *(char **) data != NULL;
}

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (object), result, NULL, NULL);

  *(char **) user_data = line ? line : g_strdup ("");
}

/*
 * The header tells the truth about sync: nothing to sync with, a peer that
 * cannot be reached (with the count of changes waiting), then a real peer
 * (`meridian serve` on 127.0.0.1) that receives everything.
 */
static void
test_sync_status (Fixture       *fixture,
                  gconstpointer  user_data)
{
  MerSyncController *sync = mer_application_get_sync (fixture->app);
  MerSyncIndicator *indicator = MER_SYNC_INDICATOR (mer_window_get_sync_indicator (fixture->window));
  MerStore *store = mer_window_get_store (fixture->window);
  g_autofree char *peer_dir = mer_test_make_tmpdir ("peer");
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  g_autoptr(MerStore) peer = NULL;
  g_autoptr(JsonObject) copied = NULL;
  const char *start;
  StatusWait wait = { sync, MER_SYNC_STATUS_LOCAL };

  g_assert_nonnull (sync);
  g_assert_cmpint (mer_sync_controller_get_status (sync), ==, MER_SYNC_STATUS_LOCAL);
  g_assert_nonnull (strstr (mer_sync_indicator_get_summary (indicator), "Not Syncing"));

  /* A peer nobody answers at: offline, and the demo's documents wait. */
  g_assert_true (mer_peers_add (mer_application_get_data_dir (fixture->app),
                                "http://127.0.0.1:9/handbook", NULL, NULL, FALSE, &error));
  g_assert_no_error (error);
  mer_sync_controller_reload_peers (sync);
  g_assert_true (mer_test_gui_wait_for (unreachable, sync));
  mer_test_gui_spin (800);
  g_assert_cmpuint (mer_sync_controller_get_pending (sync), >, 0);
  g_assert_null (strstr (mer_sync_indicator_get_summary (indicator), "Not Syncing"));
  g_test_message ("unreachable peer: %s", mer_sync_indicator_get_summary (indicator));
  save_screenshot (GTK_WIDGET (fixture->window), "app-sync-offline.png");
  g_assert_true (mer_peers_remove (mer_application_get_data_dir (fixture->app),
                                   "http://127.0.0.1:9/handbook", &error));

  /* A real peer on this machine. */
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             mer_test_meridian_bin (), "--data", peer_dir, "serve",
                             "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, read_line_cb, &line);
  g_assert_true (mer_test_gui_wait_for (line_read, &line));
  start = strstr (line, "http://");
  g_assert_nonnull (start);
  url = g_strdup (start);
  g_strstrip (url);
  g_test_message ("peer: %s", url);

  g_assert_true (mer_peers_add (mer_application_get_data_dir (fixture->app), url, NULL, NULL, FALSE, &error));
  g_assert_no_error (error);
  mer_sync_controller_reload_peers (sync);
  mer_sync_controller_sync_now (sync);
  g_assert_true (mer_test_gui_wait_for (synced_and_sent, sync));
  wait.status = MER_SYNC_STATUS_SYNCED;
  g_assert_true (status_is (&wait));
  g_assert_nonnull (strstr (mer_sync_indicator_get_summary (indicator), "Synced"));
  save_screenshot (GTK_WIDGET (fixture->window), "app-synced.png");

  /* The peer really holds the page shown. */
  peer = mer_core_open_store (peer_dir, &error);
  g_assert_no_error (error);
  copied = mer_store_get_doc (peer, mer_page_view_get_page_id (fixture->view), NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (copied, "title"), ==, mer_page_view_get_title (fixture->view));

  /* A local edit is counted until it is sent, then it is not. */
  {
    g_autoptr(JsonObject) doc = mer_store_get_doc (store, mer_page_view_get_page_id (fixture->view), NULL,
                                                   MER_GET_DEFAULT, NULL);
    g_autofree char *rev = NULL;

    json_object_set_string_member (doc, "body", "# Start here\n\nSent to the peer.\n");
    rev = mer_store_put_doc (store, doc, &error);
    g_assert_no_error (error);
    g_assert_true (mer_test_gui_wait_for (synced_and_sent, sync));
  }

  g_assert_true (mer_peers_remove (mer_application_get_data_dir (fixture->app), url, &error));
  mer_sync_controller_reload_peers (sync);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  mer_test_rm_rf (peer_dir);
}

/* The next start opens the page read last. */
static void
test_reopens_last_page (Fixture       *fixture,
                        gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  g_autofree char *target = mer_store_resolve_link (store, "Focus hours", NULL);
  MerWindow *second;
  MerPageView *view;

  g_assert_nonnull (target);
  mer_window_open_page (fixture->window, target);
  wait_for_page (fixture->view, target);

  second = mer_window_new (GTK_APPLICATION (fixture->app), store);
  gtk_window_present (GTK_WINDOW (second));
  view = MER_PAGE_VIEW (mer_window_get_page_view (second));
  wait_for_page (view, target);
  gtk_window_destroy (GTK_WINDOW (second));
}

static JsonObject *
child_revision (JsonObject *doc,
                const char *suffix_hex,
                const char *body)
{
  JsonObject *child = mer_json_object_copy (doc);
  const char *rev = mer_json_get_string (doc, "_rev");
  int generation = atoi (rev);
  const char *parent_hash = strchr (rev, '-') + 1;
  g_autofree char *new_rev = g_strdup_printf ("%d-%s", generation + 1, suffix_hex);
  JsonObject *revisions = json_object_new ();
  JsonArray *ids = json_array_new ();

  json_array_add_string_element (ids, suffix_hex);
  json_array_add_string_element (ids, parent_hash);
  json_object_set_int_member (revisions, "start", generation + 1);
  json_object_set_array_member (revisions, "ids", ids);
  json_object_set_string_member (child, "_rev", new_rev);
  json_object_set_object_member (child, "_revisions", revisions);
  json_object_set_string_member (child, "body", body);
  return child;
}

static gboolean
view_closed (gpointer data)
{
  return mer_window_get_visible_view (MER_WINDOW (data)) == NULL;
}

/*
 * Two teammates rewrote the same line while apart: the page says so, the
 * conflict view opens from its banner, and keeping one side closes the
 * conflict in the replica.
 */
static void
test_resolve_planted_conflict (Fixture       *fixture,
                               gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  g_autofree char *page_id = mer_store_resolve_link (store, "Focus hours", NULL);
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonObject) left = NULL;
  g_autoptr(JsonObject) right = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) conflicts = NULL;
  GtkWidget *view;

  g_assert_nonnull (page_id);
  doc = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  left = child_revision (doc, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                         "# Focus hours\n\nFocus hours are sacred: no meetings before noon.\n");
  right = child_revision (doc, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                          "# Focus hours\n\nFocus hours are flexible: ask first, then book.\n");
  g_assert_true (mer_store_put_revision (store, left, &error));
  g_assert_no_error (error);
  g_assert_true (mer_store_put_revision (store, right, &error));
  g_assert_no_error (error);
  conflicts = mer_store_get_conflicts (store, page_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (conflicts), ==, 1);

  mer_window_open_page (fixture->window, page_id);
  wait_for_page (fixture->view, page_id);
  g_assert_true (mer_page_view_get_has_conflict (fixture->view));
  save_screenshot (GTK_WIDGET (fixture->window), "app-conflict-banner.png");

  mer_page_view_resolve_conflict (fixture->view);
  view = mer_window_get_visible_view (fixture->window);
  g_assert_true (MER_IS_CONFLICT_VIEW (view));
  mer_test_gui_spin (300);
  save_screenshot (GTK_WIDGET (fixture->window), "app-conflict-view.png");
  g_assert_true (gtk_widget_activate_action (view, "conflict.use-left", NULL));
  g_assert_true (gtk_widget_activate_action (view, "conflict.save", NULL));
  g_assert_true (mer_test_gui_wait_for (view_closed, fixture->window));

  g_clear_pointer (&conflicts, g_strfreev);
  conflicts = mer_store_get_conflicts (store, page_id, &error);
  g_assert_no_error (error);
  g_assert_true (conflicts == NULL || conflicts[0] == NULL);
  wait_for_page (fixture->view, page_id);
  mer_test_gui_spin (300);
  g_assert_false (mer_page_view_get_has_conflict (fixture->view));
}

/* A proposal, a decision or a comment found by search opens in its section. */
static void
test_search_opens_other_documents (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  MerSearchPanel *panel = MER_SEARCH_PANEL (mer_window_get_search_panel (fixture->window));
  const char *types[] = { "proposal", "decision", "comment" };
  const char *sections[] = { "proposals", "decisions", "proposals" };

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autoptr(JsonArray) docs = mer_store_list_docs (store, types[t], NULL);
      g_autoptr(GPtrArray) hits = NULL;
      g_autofree char *query = NULL;
      JsonObject *doc;
      const char *id;
      int index = -1;

      g_assert_nonnull (docs);
      g_assert_cmpuint (json_array_get_length (docs), >, 0);
      doc = json_array_get_object_element (docs, 0);
      id = mer_json_get_string (doc, "_id");
      if (g_str_equal (types[t], "comment"))
        {
          g_auto(GStrv) words = g_strsplit (mer_json_get_string (doc, "body"), " ", 6);

          words[MIN (g_strv_length (words), 5)] = NULL;
          query = g_strjoinv (" ", words);
          /* A comment opens where it was written. */
          if (!g_str_has_prefix (mer_json_get_string (doc, "on"), "proposal:"))
            continue;
        }
      else
        query = g_strdup (mer_json_get_string (doc, "title"));

      hits = mer_store_search (store, query, 20, NULL);
      for (guint i = 0; hits != NULL && i < hits->len && index < 0; i++)
        if (g_str_equal (((MerSearchHit *) g_ptr_array_index (hits, i))->id, id))
          index = i;
      g_test_message ("%s %s: result %d for \"%s\"", types[t], id, index, query);
      g_assert_cmpint (index, >=, 0);

      mer_window_show_section (fixture->window, "handbook");
      gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL);
      gtk_editable_set_text (mer_search_panel_get_entry (panel), query);
      g_assert_true (mer_test_gui_wait_for (has_results, panel));
      mer_test_gui_spin (50);
      mer_search_panel_select (panel, index);
      mer_search_panel_activate_selected (panel);
      g_assert_false (gtk_widget_get_visible (GTK_WIDGET (panel)));
      g_assert_cmpstr (mer_window_get_section (fixture->window), ==, sections[t]);
      mer_test_gui_spin (300);
    }
  save_screenshot (GTK_WIDGET (fixture->window), "app-search-opened-document.png");
}

typedef struct
{
  MerPageView *view;
  const char  *not_id;
} OtherPage;

static gboolean
other_page_shown (gpointer data)
{
  OtherPage *wait = data;

  return page_loaded (wait->view) && g_strcmp0 (mer_page_view_get_page_id (wait->view), wait->not_id) != 0;
}

/* The reader stays on the page it moved to, for longer than its reload delay. */
static void
assert_stays_away (MerPageView *view,
                   const char  *gone_id)
{
  OtherPage wait = { view, gone_id };

  g_assert_true (mer_test_gui_wait_for (other_page_shown, &wait));
  for (guint i = 0; i < 10; i++)
    {
      mer_test_gui_spin (100);
      g_assert_cmpstr (mer_page_view_get_page_id (view), !=, gone_id);
      g_assert_cmpstr (mer_page_view_get_title (view), !=, "Page not found");
      g_assert_nonnull (mer_page_view_get_title (view));
    }
}

/*
 * A page deleted from the window, then one deleted by another connection
 * (a sync): each time the reader moves to another page and the reload that
 * follows the change does not bring the deleted page back as "not found".
 */
static void
test_deleted_page_leaves_reader (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  g_autoptr(MerStore) elsewhere = mer_core_open_store (mer_store_get_data_dir (store), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *rev = NULL;

  first_id = g_strdup (mer_page_view_get_page_id (fixture->view));
  first = mer_store_get_doc (store, first_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.delete-page", NULL));
  g_assert_null (mer_store_get_doc (store, first_id, NULL, MER_GET_DEFAULT, NULL));
  assert_stays_away (fixture->view, first_id);

  second_id = g_strdup (mer_page_view_get_page_id (fixture->view));
  second = mer_store_get_doc (elsewhere, second_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  rev = mer_store_delete_doc (elsewhere, second_id, mer_json_get_string (second, "_rev"), &error);
  g_assert_no_error (error);
  assert_stays_away (fixture->view, second_id);
  g_assert_cmpstr (mer_page_view_get_page_id (fixture->view), !=, first_id);
  save_screenshot (GTK_WIDGET (fixture->window), "app-page-deleted-elsewhere.png");

  /* Put both back for whatever runs next. */
  json_object_remove_member (first, "_rev");
  json_object_remove_member (second, "_rev");
  g_free (mer_store_put_doc (store, first, &error));
  g_assert_no_error (error);
  g_free (mer_store_put_doc (store, second, &error));
  g_assert_no_error (error);
}

/*
 * The on-call page cites a decision that a later one superseded: the
 * reader marks it, names the decision in force and opens it from the mark.
 */
static void
test_superseded_decision_mark (Fixture       *fixture,
                               gconstpointer  user_data)
{
  GtkLabel *mark = NULL;
  gboolean handled = FALSE;
  g_autofree char *start = g_strdup (mer_page_view_get_page_id (fixture->view));

  /* The start page cites no superseded decision: no mark. */
  g_assert_null (mer_page_view_get_superseded_decision (fixture->view));

  mer_window_open_page (fixture->window, "page:engineering/on-call");
  wait_for_page (fixture->view, "page:engineering/on-call");
  g_assert_cmpstr (mer_page_view_get_superseded_decision (fixture->view), ==, "decision:on-call-two-shifts");
  mark = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (fixture->view), MER_TYPE_PAGE_VIEW,
                                                    "superseded_label"));
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (mark)));
  g_assert_nonnull (strstr (gtk_label_get_text (mark), "Cites a superseded decision"));
  g_assert_nonnull (strstr (gtk_label_get_label (mark), "href=\"decision:on-call-follow-the-sun\""));
  g_assert_nonnull (strstr (gtk_label_get_text (mark), "On-call follows the sun"));
  save_screenshot (GTK_WIDGET (fixture->window), "app-superseded-decision.png");

  /* Following the link opens the decision in force. */
  g_signal_emit_by_name (mark, "activate-link", "decision:on-call-follow-the-sun", &handled);
  g_assert_true (handled);
  g_assert_cmpstr (mer_window_get_section (fixture->window), ==, "decisions");

  /* Back to a page with no such citation: the mark goes. */
  mer_window_open_page (fixture->window, start);
  wait_for_page (fixture->view, start);
  g_assert_null (mer_page_view_get_superseded_decision (fixture->view));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (mark)));
}

static gboolean
window_in_focus (gpointer data)
{
  return mer_window_get_in_focus (MER_WINDOW (data));
}

static gboolean
window_not_in_focus (gpointer data)
{
  return !mer_window_get_in_focus (MER_WINDOW (data));
}

static GtkMenuButton *
find_primary_menu_button (GtkWidget *root)
{
  if (GTK_IS_MENU_BUTTON (root) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (root)))
    return GTK_MENU_BUTTON (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkMenuButton *found = find_primary_menu_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
menu_has_action (GMenuModel *menu,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *name = NULL;
      GMenuLinkIter *iter;

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &name)
          && g_strcmp0 (name, action) == 0)
        return TRUE;
      iter = g_menu_model_iterate_item_links (menu, i);
      while (g_menu_link_iter_next (iter))
        {
          g_autoptr(GMenuModel) link = g_menu_link_iter_get_value (iter);

          if (menu_has_action (link, action))
            {
              g_object_unref (iter);
              return TRUE;
            }
        }
      g_object_unref (iter);
    }
  return FALSE;
}

/*
 * Focus from the header: the button offers 25/50/90 minutes and End
 * Focus, is highlighted with "In deep work until HH:MM" while in focus,
 * Ctrl+Shift+F's action ends it, and the button stays at 360 px.
 */
static void
test_focus_from_header (Fixture       *fixture,
                        gconstpointer  user_data)
{
  MerStore *store = mer_window_get_store (fixture->window);
  GtkWidget *button = mer_window_get_focus_button (fixture->window);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(JsonObject) me = mer_test_object ("{\"_id\": \"person:header-test\", \"type\": \"person\","
                                              " \"name\": \"Header Test\", \"tz\": \"UTC\","
                                              " \"work\": {}, \"focus\": {}}");
  g_autofree char *rev = mer_store_put_doc (store, me, &error);
  g_autoptr(JsonObject) gone = NULL;
  const char *tooltip;

  g_assert_no_error (error);
  g_assert_true (mer_schedule_set_me (store, "person:header-test", &error));
  g_assert_no_error (error);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button)), "win.focus"));
  g_assert_false (mer_window_get_in_focus (fixture->window));
  g_assert_false (gtk_widget_has_css_class (button, "mer-in-focus"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.focus", "u", 50));
  g_assert_true (mer_schedule_user_in_focus (store, now));
  g_assert_true (mer_window_get_in_focus (fixture->window));
  g_assert_true (gtk_widget_has_css_class (button, "mer-in-focus"));
  tooltip = gtk_widget_get_tooltip_text (button);
  g_assert_true (g_str_has_prefix (tooltip, "In deep work until "));
  save_screenshot (GTK_WIDGET (fixture->window), "app-header-in-focus.png");

  /* Narrow: the window still fits in 360 px; the button steps aside and
   * focus stays one menu away, in the primary menu. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 720);
  g_assert_true (mer_test_gui_wait_for (is_folded, fixture->window));
  mer_test_gui_spin (300);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);
  g_assert_false (gtk_widget_get_visible (button));
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (find_primary_menu_button (GTK_WIDGET (fixture->window))),
                                  "win.focus"));
  save_screenshot (GTK_WIDGET (fixture->window), "app-narrow-in-focus.png");
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1200, 800);
  mer_test_gui_spin (300);

  /* Ctrl+Shift+F: in focus, so it ends it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.toggle-focus", NULL));
  g_assert_false (mer_schedule_user_in_focus (store, now));
  g_assert_false (mer_window_get_in_focus (fixture->window));
  g_assert_false (gtk_widget_has_css_class (button, "mer-in-focus"));
  save_screenshot (GTK_WIDGET (fixture->window), "app-header-focus-ended.png");

  /* A focus set elsewhere (the Team view, a sync) reaches the button too. */
  g_assert_true (mer_schedule_set_user_focus (store, now, 25, &error));
  g_assert_no_error (error);
  g_assert_true (mer_test_gui_wait_for (window_in_focus, fixture->window));
  g_assert_true (mer_schedule_set_user_focus (store, now, 0, &error));
  g_assert_no_error (error);
  g_assert_true (mer_test_gui_wait_for (window_not_in_focus, fixture->window));

  gone = mer_store_get_doc (store, "person:header-test", NULL, MER_GET_DEFAULT, NULL);
  g_free (mer_store_delete_doc (store, "person:header-test", mer_json_get_string (gone, "_rev"), &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();
  /* GNOME's own title buttons (Xvfb has no desktop to say so): just Close. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  g_test_add ("/app/opens-on-demo", Fixture, NULL, fixture_set_up, test_opens_on_demo, fixture_tear_down);
  g_test_add ("/app/search-opens-page", Fixture, NULL, fixture_set_up, test_search_opens_page, fixture_tear_down);
  g_test_add ("/app/search-keyboard-choice", Fixture, NULL, fixture_set_up, test_search_keyboard_choice,
              fixture_tear_down);
  g_test_add ("/app/search-opens-other-documents", Fixture, NULL, fixture_set_up,
              test_search_opens_other_documents, fixture_tear_down);
  g_test_add ("/app/follow-wiki-link-and-back", Fixture, NULL, fixture_set_up, test_follow_wiki_link_and_back,
              fixture_tear_down);
  g_test_add ("/app/narrow-window", Fixture, NULL, fixture_set_up, test_narrow_window, fixture_tear_down);
  g_test_add ("/app/dark-style", Fixture, NULL, fixture_set_up, test_dark_style, fixture_tear_down);
  g_test_add ("/app/sections-and-actions", Fixture, NULL, fixture_set_up, test_sections_and_actions,
              fixture_tear_down);
  g_test_add ("/app/edit-reflects-in-reader", Fixture, NULL, fixture_set_up, test_edit_reflects_in_reader,
              fixture_tear_down);
  g_test_add ("/app/reopens-last-page", Fixture, NULL, fixture_set_up, test_reopens_last_page,
              fixture_tear_down);
  g_test_add ("/app/resolve-planted-conflict", Fixture, NULL, fixture_set_up, test_resolve_planted_conflict,
              fixture_tear_down);
  g_test_add ("/app/sync-status", Fixture, NULL, fixture_set_up, test_sync_status, fixture_tear_down);
  g_test_add ("/app/superseded-decision-mark", Fixture, NULL, fixture_set_up, test_superseded_decision_mark,
              fixture_tear_down);
  g_test_add ("/app/focus-from-header", Fixture, NULL, fixture_set_up, test_focus_from_header,
              fixture_tear_down);
  g_test_add ("/app/deleted-page-leaves-reader", Fixture, NULL, fixture_set_up, test_deleted_page_leaves_reader,
              fixture_tear_down);
  {
    int status = g_test_run ();

    g_clear_object (&app);
    if (app_data_dir != NULL)
      mer_test_rm_rf (app_data_dir);
    return status;
  }
}
