/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The app on a damaged workspace, under Xvfb: it checks the database when
 * it opens it and, instead of its window, shows one that says what is
 * wrong, where the file is and how to get the workspace back; it writes
 * nothing to the file. A screenshot is kept in the build's meson-logs.
 */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-test-util.h"

#include "mer-application.h"
#include "mer-damaged-window.h"
#include "mer-store.h"
#include "mer-ui-resources.h"
#include "mer-ui-util.h"
#include "mer-window.h"

#include <adwaita.h>
#include <string.h>

/* A workspace of 400 small documents whose file has 8 pages of garbage
 * in its middle; returns the damaged file's contents. */
static GBytes *
make_damaged_workspace (const char *dir)
{
  g_autofree char *db_path = g_build_filename (dir, MER_STORE_FILE_NAME, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *garbage = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  {
    g_autoptr(MerStore) store = mer_store_open (dir, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < 400; i++)
      {
        g_autofree char *json = g_strdup_printf ("{\"_id\":\"note:%u\",\"text\":\"%0200u\"}", i, i);
        g_autoptr(JsonObject) doc = mer_test_object (json);
        g_autofree char *rev = mer_store_put_doc (store, doc, &error);

        g_assert_no_error (error);
      }
  }
  /* The store checkpoints its log on close: every page is in the file. */
  g_assert_true (g_file_get_contents (db_path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 16 * 4096);
  garbage = g_strnfill (8 * 4096, 'x');
  memcpy (contents + (length / 2 / 4096) * 4096, garbage, 8 * 4096);
  g_assert_true (g_file_set_contents (db_path, contents, length, NULL));
  return g_bytes_new_take (g_steal_pointer (&contents), length);
}

/* Whether a label under @root that is drawn holds @text. */
static gboolean
label_shown (GtkWidget  *root,
             const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root)
      && strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (label_shown (child, text))
      return TRUE;
  return FALSE;
}

static gboolean
has_window (gpointer data)
{
  return gtk_application_get_active_window (GTK_APPLICATION (data)) != NULL;
}

static void
test_damaged (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("damaged");
  g_autofree char *db_path = g_build_filename (dir, MER_STORE_FILE_NAME, NULL);
  g_autofree char *after = NULL;
  g_autofree char *command = g_strdup_printf ("meridian --data %s sync URL", dir);
  g_autoptr(GBytes) damaged = make_damaged_workspace (dir);
  g_autoptr(MerApplication) app = mer_application_new (dir);
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  GtkWidget *status;
  GtkWidget *path;
  const char *description;
  gsize length;

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_assert_true (mer_test_gui_wait_for (has_window, app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (mer_test_gui_wait_for ((MerTestPredicate) gtk_widget_get_mapped, window));

  /* Not the workspace's window: the one that says it is damaged. */
  g_assert_true (MER_IS_DAMAGED_WINDOW (window));
  g_assert_false (MER_IS_WINDOW (window));
  g_assert_null (mer_application_get_store (app));
  g_assert_true (mer_application_get_failed (app));
  g_assert_cmpstr (mer_damaged_window_get_db_path (MER_DAMAGED_WINDOW (window)), ==, db_path);

  status = mer_ui_find_named (GTK_WIDGET (window), "damaged-status");
  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "The Workspace Is Damaged");
  description = adw_status_page_get_description (ADW_STATUS_PAGE (status));
  g_assert_nonnull (strstr (description, "is damaged, so it was not opened"));
  g_assert_nonnull (strstr (description, "The check reported: "));
  path = mer_ui_find_named (GTK_WIDGET (window), "damaged-path");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (path)), ==, db_path);
  g_assert_true (label_shown (GTK_WIDGET (window), command));
  g_assert_true (label_shown (GTK_WIDGET (window), "restore it from a peer"));
  g_assert_true (label_shown (GTK_WIDGET (window), "from a backup"));

  mer_test_gui_spin (500);
  mer_test_gui_save_png (GTK_WIDGET (window), "damaged-workspace.png");

  /* Nothing was written to the damaged file. */
  g_assert_true (g_file_get_contents (db_path, &after, &length, NULL));
  g_assert_cmpuint (length, ==, g_bytes_get_size (damaged));
  g_assert_true (memcmp (after, g_bytes_get_data (damaged, NULL), length) == 0);

  gtk_window_close (window);
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();
  /* GNOME's own title buttons (Xvfb has no desktop to say so): just Close. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  g_test_add_func ("/damaged-db/window", test_damaged);
  return g_test_run ();
}
