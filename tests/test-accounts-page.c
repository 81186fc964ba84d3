/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Preferences › Accounts, under Xvfb: the accounts of `meridian serve`
 * with when each last synced; changing a role and revoking an account
 * change accounts.json, which a running server reads again. A screenshot
 * is kept in the build's meson-logs.
 */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-test-util.h"

#include "mer-accounts-page.h"
#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-ui-resources.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <string.h>

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static void
test_accounts_page (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("accounts-page");
  g_autoptr(MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr(GError) error = NULL;
  GtkWidget *window = adw_preferences_window_new ();
  GtkWidget *page;
  GtkWidget *ana, *bo, *dropdown, *revoke;
  AdwMessageDialog *dialog;

  g_assert_true (mer_accounts_add (accounts, "ana", "pw-ana", MER_ROLE_RW, NULL, &error));
  g_assert_true (mer_accounts_add (accounts, "bo", "pw-bo", MER_ROLE_RO, NULL, &error));
  g_assert_no_error (error);
  mer_accounts_note_seen (accounts, "ana");

  page = mer_accounts_page_new (dir);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (mer_test_gui_wait_for ((MerTestPredicate) gtk_widget_get_mapped, page));

  /* One row per account: its role, and when it last synced. */
  ana = mer_ui_find_named (page, "ana");
  bo = mer_ui_find_named (page, "bo");
  g_assert_nonnull (ana);
  g_assert_nonnull (bo);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (ana)), "Last synced"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (bo)), ==, "Never synced with this computer");
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (mer_ui_find_named (ana, "role"))), ==, 0);
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (mer_ui_find_named (bo, "role"))), ==, 1);
  mer_test_gui_spin (300);
  mer_test_gui_save_png (window, "preferences-accounts.png");

  /* bo may now write, with the same password. */
  dropdown = mer_ui_find_named (bo, "role");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  g_assert_cmpint (mer_accounts_verify (accounts, "bo", "pw-bo"), ==, MER_ROLE_RW);

  /* Revoking asks first; Cancel keeps the account. */
  revoke = mer_ui_find_named (ana, "revoke");
  g_signal_emit_by_name (revoke, "clicked");
  g_assert_true (mer_test_gui_wait_for (dialog_shown, NULL));
  dialog = find_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "ana"));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", "pw-ana"), ==, MER_ROLE_RW);

  g_signal_emit_by_name (revoke, "clicked");
  g_assert_true (mer_test_gui_wait_for (dialog_shown, NULL));
  dialog = find_dialog ();
  mer_test_gui_save_png (GTK_WIDGET (dialog), "preferences-accounts-revoke.png");
  adw_message_dialog_response (dialog, "revoke");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", "pw-ana"), ==, MER_ROLE_NONE);
  g_assert_cmpint (mer_accounts_verify (accounts, "bo", "pw-bo"), ==, MER_ROLE_RW);
  /* The page shows what is left. */
  g_assert_null (mer_ui_find_named (page, "ana"));
  g_assert_nonnull (mer_ui_find_named (page, "bo"));

  /* With none left, the page says how teammates get one. */
  g_assert_true (mer_accounts_remove (accounts, "bo", &error));
  mer_accounts_page_reload (MER_ACCOUNTS_PAGE (page));
  g_assert_null (mer_ui_find_named (page, "bo"));

  gtk_window_destroy (GTK_WINDOW (window));
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
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  g_test_add_func ("/accounts-page/roles-seen-revoke", test_accounts_page);
  return g_test_run ();
}
