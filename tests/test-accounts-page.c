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
#include "mer-invite-dialog.h"
#include "mer-invites.h"
#include "mer-json.h"
#include "mer-sharing.h"
#include "mer-store.h"
#include "mer-tls.h"
#include "mer-ui-resources.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <string.h>

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

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
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr (GError) error = NULL;
  GtkWidget *window = adw_preferences_window_new ();
  GtkWidget *page;
  GtkWidget *ana, *bo, *dropdown, *revoke;
  AdwMessageDialog *dialog;

  g_assert_true (mer_accounts_add (accounts, "ana", "pw-ana", MER_ROLE_RW, NULL, &error));
  g_assert_true (mer_accounts_add (accounts, "bo", "pw-bo", MER_ROLE_RO, NULL, &error));
  g_assert_no_error (error);
  mer_accounts_note_seen (accounts, "ana");

  page = mer_accounts_page_new (dir, NULL, NULL);
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

typedef struct
{
  const char *pinned;
  char *presented;
  guint status; /* 0 until answered; 1 when the request failed */
} Fetch;

static gboolean
accept_pinned_cb (SoupMessage *msg,
                  GTlsCertificate *certificate,
                  GTlsCertificateFlags errors,
                  gpointer data)
{
  Fetch *fetch = data;

  g_free (fetch->presented);
  fetch->presented = mer_tls_fingerprint (certificate);
  return g_strcmp0 (fetch->presented, fetch->pinned) == 0;
}

static void
fetched_cb (GObject *source,
            GAsyncResult *result,
            gpointer data)
{
  Fetch *fetch = data;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  fetch->status = body != NULL ? soup_message_get_status (msg) : 1;
}

static gboolean
fetched (gpointer data)
{
  return ((Fetch *) data)->status != 0;
}

/* GET https://127.0.0.1:PORT/ with the certificate pinned; the server runs
 * on this thread's main context, so the request is asynchronous. */
static guint
get_pinned (guint16 port,
            const char *pinned,
            char **out_presented)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u/", port);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  Fetch fetch = { pinned, NULL, 0 };

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_pinned_cb), &fetch);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, fetched_cb, &fetch);
  g_assert_true (mer_test_gui_wait_for (fetched, &fetch));
  *out_presented = fetch.presented;
  return fetch.status;
}

/* A port nobody listens on now, and a listener holding another. */
static guint16
free_port (GSocketListener **out_holder)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  if (out_holder != NULL)
    *out_holder = g_steal_pointer (&listener);
  else
    g_socket_listener_close (listener);
  return port;
}

/*
 * The Share switch serves the workspace over HTTPS on the chosen port
 * with the workspace's own certificate; the page shows the address and
 * the fingerprint a teammate pins; a taken port is said, not fatal.
 */
static void
test_share (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("share-page");
  g_autoptr (GError) error = NULL;
  g_autoptr (MerStore) store = mer_store_open (dir, &error);
  g_autoptr (MerSharing) sharing = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GSocketListener) holder = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *presented = NULL;
  g_autofree char *suffix = NULL;
  GtkWidget *window = adw_preferences_window_new ();
  GtkWidget *page;
  GtkSwitch *share_switch;
  GtkSpinButton *spin;
  AdwActionRow *address, *print;
  guint16 port, taken;

  g_assert_no_error (error);
  sharing = mer_sharing_new (store);
  page = mer_accounts_page_new (dir, sharing, NULL);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 640);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (mer_test_gui_wait_for ((MerTestPredicate) gtk_widget_get_mapped, page));

  share_switch = GTK_SWITCH (mer_ui_find_named (page, "share-switch"));
  spin = GTK_SPIN_BUTTON (mer_ui_find_named (page, "share-port"));
  address = ADW_ACTION_ROW (mer_ui_find_named (page, "share-address"));
  print = ADW_ACTION_ROW (mer_ui_find_named (page, "share-fingerprint"));
  g_assert_false (gtk_switch_get_active (share_switch));
  g_assert_cmpstr (adw_action_row_get_subtitle (address), ==, "Not shared");

  port = free_port (NULL);
  gtk_spin_button_set_value (spin, port);

  /* Nobody could connect without an account: the switch says so. */
  gtk_switch_set_active (share_switch, TRUE);
  g_assert_false (mer_sharing_get_active (sharing));
  g_assert_false (gtk_switch_get_state (share_switch));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (address), "meridian user add"));

  {
    g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);

    g_assert_true (mer_accounts_add (accounts, "ana", "pw-ana", MER_ROLE_RW, NULL, &error));
    g_assert_no_error (error);
  }
  gtk_switch_set_active (share_switch, FALSE);
  gtk_switch_set_active (share_switch, TRUE);
  g_assert_true (mer_sharing_get_active (sharing));
  g_assert_cmpuint (mer_sharing_get_port (sharing), ==, port);

  /* The address and fingerprint shown are what a teammate reaches. */
  suffix = g_strdup_printf (":%u/%s", port, mer_store_get_name (store));
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (address), "https://"));
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (address), suffix));
  certificate = mer_tls_ensure_certificate (dir, NULL, &error);
  g_assert_no_error (error);
  fingerprint = mer_tls_fingerprint (certificate);
  g_assert_cmpstr (adw_action_row_get_subtitle (print), ==, fingerprint);
  g_assert_nonnull (mer_ui_find_named (page, "ana"));
  g_assert_cmpuint (get_pinned (port, fingerprint, &presented), ==, 200);
  g_assert_cmpstr (presented, ==, fingerprint);
  g_clear_pointer (&presented, g_free);
  mer_test_gui_spin (300);
  mer_test_gui_save_png (window, "preferences-sharing.png");

  /* Off: nothing listens any more. */
  gtk_switch_set_active (share_switch, FALSE);
  g_assert_false (mer_sharing_get_active (sharing));
  g_assert_cmpuint (get_pinned (port, fingerprint, &presented), ==, 1);
  g_clear_pointer (&presented, g_free);
  g_assert_cmpstr (adw_action_row_get_subtitle (address), ==, "Not shared");

  /* A port another program holds: the switch stays off and says why. */
  taken = free_port (&holder);
  gtk_spin_button_set_value (spin, taken);
  gtk_switch_set_active (share_switch, TRUE);
  g_assert_false (mer_sharing_get_active (sharing));
  g_assert_false (gtk_switch_get_state (share_switch));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (address), "in use"));
  g_socket_listener_close (holder);

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  mer_sharing_stop (sharing);
  mer_test_rm_rf (dir);
}

static MerInviteDialog *
find_invite_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (MER_IS_INVITE_DIALOG (window) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return MER_INVITE_DIALOG (window);
    }
  return NULL;
}

static gboolean
invite_dialog_shown (gpointer data)
{
  return find_invite_dialog () != NULL;
}

/* The colour of pixel (@x, @y) of @texture, 0xRRGGBB. */
static guint32
pixel_at (GdkTexture *texture,
          int x,
          int y)
{
  int width = gdk_texture_get_width (texture);
  g_autofree guchar *data = g_malloc ((gsize) width * gdk_texture_get_height (texture) * 4);
  guint32 value;

  gdk_texture_download (texture, data, (gsize) width * 4);
  /* Cairo's ARGB32 in memory order on little-endian: B, G, R, A. */
  value = ((guint32) data[(y * width + x) * 4 + 2] << 16) | ((guint32) data[(y * width + x) * 4 + 1] << 8)
          | data[(y * width + x) * 4];
  return value;
}

/*
 * Sharing › Invite a Teammate: the dialog makes a read-only invite for
 * “erin”, whose link parses back and whose QR code is drawn with its
 * quiet zone. A screenshot is kept.
 */
static void
test_invite_dialog (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("invite-page");
  g_autoptr (GError) error = NULL;
  g_autoptr (MerStore) store = mer_store_open (dir, &error);
  g_autoptr (MerSharing) sharing = NULL;
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr (MerInviteLink) link = NULL;
  g_autoptr (GdkTexture) expected = NULL;
  GtkWidget *window = adw_preferences_window_new ();
  GtkWidget *page, *button;
  MerInviteDialog *dialog;
  GdkPaintable *paintable;
  GdkTexture *texture;
  int side;

  g_assert_no_error (error);
  sharing = mer_sharing_new (store);
  page = mer_accounts_page_new (dir, sharing, NULL);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 640);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (mer_test_gui_wait_for ((MerTestPredicate) gtk_widget_get_mapped, page));

  button = mer_ui_find_named (page, "invite-button");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (mer_test_gui_wait_for (invite_dialog_shown, NULL));
  dialog = find_invite_dialog ();
  g_assert_null (mer_invite_dialog_get_link (dialog));

  gtk_editable_set_text (GTK_EDITABLE (mer_ui_find_named (GTK_WIDGET (dialog), "invite-name")), "erin");
  adw_combo_row_set_selected (ADW_COMBO_ROW (mer_ui_find_named (GTK_WIDGET (dialog), "invite-role")), 1);
  g_signal_emit_by_name (mer_ui_find_named (GTK_WIDGET (dialog), "invite-create"), "clicked");

  g_assert_nonnull (mer_invite_dialog_get_link (dialog));
  link = mer_invite_link_parse (mer_invite_dialog_get_link (dialog), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (link->user, ==, "erin");
  g_assert_true (g_str_has_suffix (link->url, "/handbook"));
  g_assert_true (g_str_has_prefix (link->url, "https://"));
  g_assert_cmpint (link->expires - g_get_real_time () / G_USEC_PER_SEC, >, 7 * 24 * 3600 - 60);
  g_assert_cmpint (mer_accounts_verify (accounts, "erin", link->secret), ==, MER_ROLE_RO);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (mer_ui_find_named (GTK_WIDGET (dialog), "invite-link"))), ==,
                   mer_invite_dialog_get_link (dialog));

  /* The QR code: the link's modules, 4 pixels each, in a white quiet zone. */
  paintable = gtk_picture_get_paintable (GTK_PICTURE (mer_ui_find_named (GTK_WIDGET (dialog), "invite-qr")));
  g_assert_true (GDK_IS_TEXTURE (paintable));
  texture = GDK_TEXTURE (paintable);
  expected = mer_invite_qr_texture (mer_invite_dialog_get_link (dialog), 4, &error);
  g_assert_no_error (error);
  side = gdk_texture_get_width (texture);
  g_assert_cmpint (side, ==, gdk_texture_get_height (texture));
  g_assert_cmpint (side, ==, gdk_texture_get_width (expected));
  g_assert_cmpint (side % 4, ==, 0);
  g_assert_cmpint ((side / 4 - 8 - 17) % 4, ==, 0); /* a QR version's width is 17 + 4v modules */
  g_assert_cmpint (side / 4, >=, 8 + 21);
  g_assert_cmphex (pixel_at (texture, 0, 0), ==, 0xffffff);
  g_assert_cmphex (pixel_at (texture, 4 * 4 - 1, 4 * 4 - 1), ==, 0xffffff);
  g_assert_cmphex (pixel_at (texture, 4 * 4, 4 * 4), ==, 0x000000); /* the finder pattern's corner */
  g_assert_cmphex (pixel_at (texture, side - 1, side - 1), ==, 0xffffff);

  mer_test_gui_spin (300);
  mer_test_gui_save_png (GTK_WIDGET (dialog), "preferences-invite.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
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

  g_test_add_func ("/accounts-page/invite", test_invite_dialog);
  g_test_add_func ("/accounts-page/roles-seen-revoke", test_accounts_page);
  g_test_add_func ("/accounts-page/share", test_share);
  return g_test_run ();
}
