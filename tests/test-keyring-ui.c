/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The app with no keyring, and a hub that refuses a document, as a person
 * sees them: Preferences says that no keyring answers and saves a password
 * only after Keep in File; the sync status popover names the refused
 * document and the hub's reason. The session bus is the test's own
 * (GTestDBus), where no Secret Service can be started. The last test runs
 * in a process of its own, with a real keyring on its own bus: the app's
 * start moves the old password into it.
 */

#include "config.h"

#include "mer-test-fake-hub.h"
#include "mer-test-gui.h"
#include "mer-test-keyring.h"
#include "mer-test-util.h"

#include "mer-application.h"
#include "mer-peers.h"
#include "mer-preferences-window.h"
#include "mer-secrets.h"
#include "mer-sync-controller.h"
#include "mer-sync-indicator.h"
#include "mer-ui-resources.h"
#include "mer-window.h"

#include <adwaita.h>

static MerApplication *app;
static char *app_data_dir;

/* peers.json as a version before the keyring left it. */
static const char old_peers[] =
  "{\"peers\":[{\"url\":\"https://hub.example.org/handbook\",\"username\":\"ana\","
  "\"password\":\"old-secret-1\"}]}";

static char *
read_peers (void)
{
  g_autofree char *path = g_build_filename (app_data_dir, MER_PEERS_FILE_NAME, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static void
start_app (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (app != NULL)
    return;
  app_data_dir = mer_test_make_tmpdir ("keyring-ui");
  path = g_build_filename (app_data_dir, MER_PEERS_FILE_NAME, NULL);
  g_assert_true (g_file_set_contents_full (path, old_peers, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  app = mer_application_new (app_data_dir);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_assert_nonnull (gtk_application_get_active_window (GTK_APPLICATION (app)));
}

/* The entry row titled @title inside @widget. */
static GtkEditable *
find_entry_row (GtkWidget  *widget,
                const char *title)
{
  if (ADW_IS_ENTRY_ROW (widget)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return GTK_EDITABLE (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkEditable *found = find_entry_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The subtitle of the action row titled @title inside @widget. */
static const char *
row_subtitle (GtkWidget  *widget,
              const char *title)
{
  if (ADW_IS_ACTION_ROW (widget)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *found = row_subtitle (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/*
 * With no keyring the old password stays where it was, Preferences says
 * so, and a new peer's password is saved only after Keep in File.
 */
static void
test_no_keyring_preferences (void)
{
  g_autofree char *before = NULL;
  g_autofree char *status = NULL;
  g_autofree char *after_add = NULL;
  g_autofree char *after_keep = NULL;
  g_autofree char *log_path = mer_test_log_path ("keyring-ui-preferences.png");
  GtkWidget *prefs;

  start_app ();
  /* The start tried to move it, and lost nothing. */
  before = read_peers ();
  g_assert_cmpstr (before, ==, old_peers);

  prefs = mer_preferences_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (prefs), 560, 900);
  gtk_window_present (GTK_WINDOW (prefs));
  mer_test_gui_spin (300);
  status = mer_preferences_window_get_keyring_status (MER_PREFERENCES_WINDOW (prefs));
  g_test_message ("keyring row: %s", status);
  g_assert_nonnull (status);
  g_assert_true (g_str_has_prefix (status, "No Keyring Answers\n"));
  g_assert_nonnull (strstr (status, "1 peer password is still in a file only you can read"));
  mer_test_gui_save_png (prefs, "keyring-ui-preferences.png");
  g_test_message ("screenshot: %s", log_path);

  /* A new peer with a password: not added without consent. */
  gtk_editable_set_text (find_entry_row (prefs, "Address"), "https://hub2.example.org/handbook");
  gtk_editable_set_text (find_entry_row (prefs, "User Name"), "bo");
  gtk_editable_set_text (find_entry_row (prefs, "Password"), "new-secret-2");
  g_assert_true (gtk_widget_activate_action (prefs, "prefs.add-peer", NULL));
  mer_test_gui_spin (100);
  after_add = read_peers ();
  g_assert_cmpstr (after_add, ==, old_peers);
  g_assert_cmpstr (gtk_editable_get_text (find_entry_row (prefs, "Password")), ==, "new-secret-2");

  /* Keep in File: the new peer is added, the old password stays, both
   * marked as the person's choice, and the row says where they are. */
  g_assert_true (gtk_widget_activate_action (prefs, "prefs.keep-in-file", NULL));
  mer_test_gui_spin (100);
  after_keep = read_peers ();
  g_test_message ("peers.json: %s", after_keep);
  g_assert_nonnull (strstr (after_keep, "hub2.example.org"));
  g_assert_nonnull (strstr (after_keep, "new-secret-2"));
  g_assert_nonnull (strstr (after_keep, "old-secret-1"));
  g_assert_null (strstr (after_keep, "\"password_in\" : \"keyring\""));
  g_assert_cmpuint (mer_peers_count_unmoved (app_data_dir), ==, 0);
  g_clear_pointer (&status, g_free);
  status = mer_preferences_window_get_keyring_status (MER_PREFERENCES_WINDOW (prefs));
  g_assert_true (g_str_has_prefix (status, "Passwords Kept in a File\n"));
  g_assert_cmpstr (gtk_editable_get_text (find_entry_row (prefs, "Address")), ==, "");
  g_assert_cmpstr (row_subtitle (prefs, "https://hub2.example.org/handbook"), ==,
                   "bo, password in a file only you can read");
  mer_test_gui_save_png (prefs, "keyring-ui-kept-in-file.png");

  /* A teammate's own certificate: a fingerprint that is not one adds
   * nothing; a real one is accepted for that host and port. */
  {
    g_autofree char *known_path = g_build_filename (app_data_dir, "known-certificates.json", NULL);
    g_autofree char *known = NULL;
    g_autofree char *peers = NULL;
    const char *print = "SHA256 E2:5C:3C:0F:82:51:1E:73:81:63:0C:CE:F6:B5:BB:86:22:1D:EC:59:C9:D0:44:FD:F3:7D:96:29:4A:12:79:FE";

    gtk_editable_set_text (find_entry_row (prefs, "Address"), "https://bea.example.org:5985/handbook");
    gtk_editable_set_text (find_entry_row (prefs, "Certificate Fingerprint (for a Teammate’s Own Certificate)"),
                           "SHA256 12:34");
    g_assert_true (gtk_widget_activate_action (prefs, "prefs.add-peer", NULL));
    mer_test_gui_spin (100);
    g_assert_false (g_file_test (known_path, G_FILE_TEST_EXISTS));
    peers = read_peers ();
    g_assert_null (strstr (peers, "bea.example.org"));
    g_clear_pointer (&peers, g_free);

    gtk_editable_set_text (find_entry_row (prefs, "Certificate Fingerprint (for a Teammate’s Own Certificate)"),
                           print);
    g_assert_true (gtk_widget_activate_action (prefs, "prefs.add-peer", NULL));
    mer_test_gui_spin (100);
    peers = read_peers ();
    g_assert_nonnull (strstr (peers, "bea.example.org"));
    g_assert_true (g_file_get_contents (known_path, &known, NULL, NULL));
    g_assert_nonnull (strstr (known, "\"bea.example.org:5985\""));
    g_assert_nonnull (strstr (known, print));
    g_assert_true (mer_peers_remove (app_data_dir, "https://bea.example.org:5985/handbook", NULL));
  }

  g_assert_true (mer_peers_remove (app_data_dir, "https://hub2.example.org/handbook", NULL));
  g_assert_true (mer_peers_remove (app_data_dir, "https://hub.example.org/handbook", NULL));
  gtk_window_destroy (GTK_WINDOW (prefs));
  mer_test_gui_spin (100);
}

static gboolean
refused_shown (gpointer data)
{
  MerSyncController *sync = data;

  return mer_sync_controller_get_refused_message (sync) != NULL
         && mer_sync_controller_get_status (sync) == MER_SYNC_STATUS_SYNCED;
}

/* The hub refuses one page: the popover names it once, with its reason. */
static void
test_refused_popover (void)
{
  Fake *fake = fake_new (FAKE_HUB);
  MerSyncController *sync;
  GtkWindow *window;
  MerSyncIndicator *indicator;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;

  start_app ();
  sync = mer_application_get_sync (app);
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  indicator = MER_SYNC_INDICATOR (mer_window_get_sync_indicator (MER_WINDOW (window)));

  fake_put_page (mer_application_get_store (app), "page:b");
  mer_sync_controller_set_continuous (sync, FALSE);
  g_assert_true (mer_peers_add (app_data_dir, fake->url, NULL, NULL, FALSE, &error));
  g_assert_no_error (error);
  mer_sync_controller_reload_peers (sync);
  mer_sync_controller_sync_now (sync);
  g_assert_true (mer_test_gui_wait_for (refused_shown, sync));

  detail = mer_sync_indicator_get_detail (indicator);
  g_test_message ("popover: %s", detail);
  g_assert_nonnull (strstr (detail, "refused “page:b”: Only the owner of this page may edit it."));
  g_assert_nonnull (strstr (detail, "The other changes were sent."));
  g_assert_null (strstr (detail, "forbidden"));
  g_assert_cmpuint (fake->refused_sent, ==, 1);
  g_assert_cmpuint (fake->bulk_docs, >=, 1);

  /* Syncing again sends nothing new and says it no more than once. */
  mer_sync_controller_sync_now (sync);
  mer_test_gui_spin (1500);
  g_assert_cmpuint (fake->refused_sent, ==, 1);
  g_assert_true (g_str_has_prefix (mer_sync_controller_get_refused_message (sync), fake->url));

  {
    GtkMenuButton *button = GTK_MENU_BUTTON (gtk_widget_get_first_child (GTK_WIDGET (indicator)));

    gtk_menu_button_popup (button);
    mer_test_gui_spin (500);
    mer_test_gui_save_png (GTK_WIDGET (gtk_menu_button_get_popover (button)), "keyring-ui-refused-popover.png");
    gtk_menu_button_popdown (button);
  }

  mer_sync_controller_stop (sync);
  g_assert_true (mer_peers_remove (app_data_dir, fake->url, NULL));
  mer_sync_controller_reload_peers (sync);
  fake_free (fake);
}

/*
 * With a keyring, the first start moves the old password into it and out
 * of peers.json, and Preferences has nothing to warn about.
 */
static void
test_moves_on_start (void)
{
  MerTestKeyring *keyring;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *kept = NULL;
  GtkWidget *prefs;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  keyring = mer_test_keyring_start ();
  start_app ();
  text = read_peers ();
  g_test_message ("peers.json after the start: %s", text);
  g_assert_null (strstr (text, "old-secret-1"));
  g_assert_nonnull (strstr (text, "\"password_in\" : \"keyring\""));
  kept = mer_secrets_lookup ("https://hub.example.org/handbook", "ana", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kept, ==, "old-secret-1");

  prefs = mer_preferences_window_new (app);
  gtk_window_present (GTK_WINDOW (prefs));
  mer_test_gui_spin (200);
  g_assert_null (mer_preferences_window_get_keyring_status (MER_PREFERENCES_WINDOW (prefs)));
  g_assert_cmpstr (row_subtitle (prefs, "https://hub.example.org/handbook"), ==, "ana, password in the keyring");
  gtk_window_destroy (GTK_WINDOW (prefs));
  mer_sync_controller_stop (mer_application_get_sync (app));
  mer_test_keyring_stop (keyring);
}

int
main (int    argc,
      char **argv)
{
  GTestDBus *bus;
  int status;

  mer_test_init (&argc, &argv);
  /* The test's own bus has no accessibility bus to start. */
  g_setenv ("GTK_A11Y", "none", TRUE);
  {
    /* GTestDBus unsets DISPLAY (against X11's bus autolaunch): keep Xvfb's. */
    g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

    bus = mer_test_bus_up ();
    if (display != NULL)
      g_setenv ("DISPLAY", display, TRUE);
  }
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  g_test_add_func ("/keyring-ui/no-keyring-preferences", test_no_keyring_preferences);
  g_test_add_func ("/keyring-ui/refused-popover", test_refused_popover);
  g_test_add_func ("/keyring-ui/moves-on-start", test_moves_on_start);
  status = g_test_run ();
  if (app != NULL)
    {
      gtk_window_destroy (gtk_application_get_active_window (GTK_APPLICATION (app)));
      mer_test_gui_spin (100);
      g_clear_object (&app);
      mer_test_rm_rf (app_data_dir);
    }
  g_test_dbus_stop (bus);
  /* Not unreferenced: disposing of it waits for every user of the bus. */
  return status;
}
