/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-preferences-window.h"

#include "mer-accounts-page.h"
#include "mer-tls.h"
#include "mer-peers.h"
#include "mer-secrets.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <glib/gi18n.h>

/*
 * Preferences: the style (system, light, dark), whether sync runs all the
 * time, and the peers or hubs to sync with.  Peers live in the data folder
 * (mer-peers), so the headless `meridian sync` sees the same list; their
 * passwords go to the keyring. When no keyring answers, a row says so and
 * offers Keep in File: until the person presses it, no password is saved.
 */

struct _MerPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  MerApplication       *application;
  gboolean              updating;

  AdwComboRow          *style_row;
  GtkSwitch            *continuous_switch;
  GtkListBox           *peers_list;
  AdwEntryRow          *url_row;
  AdwEntryRow          *username_row;
  AdwEntryRow          *password_row;
  AdwEntryRow          *fingerprint_row;
  AdwPreferencesGroup  *keyring_group;
  AdwActionRow         *keyring_row;
  GtkWidget            *keep_in_file_button;

  gboolean              no_keyring;    /* no Secret Service answered */
  gboolean              file_allowed;  /* the person pressed Keep in File */
};

G_DEFINE_FINAL_TYPE (MerPreferencesWindow, mer_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *style_names[] = { "default", "light", "dark" };

static void reload_peers (MerPreferencesWindow *self);

static void
remove_peer_cb (GtkButton            *button,
                MerPreferencesWindow *self)
{
  const char *url = g_object_get_data (G_OBJECT (button), "mer-url");
  g_autoptr(GError) error = NULL;
  MerSyncController *sync = mer_application_get_sync (self->application);

  if (!mer_peers_remove (mer_application_get_data_dir (self->application), url, &error))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }
  if (sync != NULL)
    mer_sync_controller_reload_peers (sync);
  reload_peers (self);
}

static void
reload_peers (MerPreferencesWindow *self)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->peers_list))) != NULL)
    gtk_list_box_remove (self->peers_list, child);

  peers = mer_peers_list (mer_application_get_data_dir (self->application), &error);
  for (guint i = 0; peers != NULL && i < peers->len; i++)
    {
      MerPeer *peer = g_ptr_array_index (peers, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *accessible = g_strdup_printf (_("Remove %s"), peer->url);
      g_autofree char *subtitle = NULL;
      const char *account = peer->username ? peer->username : _("No account");

      /* Where the password is, so nobody has to open peers.json to know. */
      if (peer->password_in == MER_PASSWORD_KEYRING)
        /* Translators: a peer's subtitle, "ana, password in the keyring". */
        subtitle = g_strdup_printf (_("%s, password in the keyring"), account);
      else if (peer->password_in == MER_PASSWORD_FILE || peer->password_in == MER_PASSWORD_UNMOVED)
        subtitle = g_strdup_printf (_("%s, password in a file only you can read"), account);
      else
        subtitle = g_strdup (account);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), peer->url);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove Peer"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
      g_object_set_data_full (G_OBJECT (remove), "mer-url", g_strdup (peer->url), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_peer_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_append (self->peers_list, row);
    }

  if (peers == NULL || peers->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No peers yet"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error ? error->message
                                   : _("Changes stay on this computer until a peer is added"));
      gtk_list_box_append (self->peers_list, row);
    }
}

/*
 * Shows the keyring row when no keyring answers: what that means for the
 * passwords, and Keep in File until the person has chosen it.
 */
static void
update_keyring_row (MerPreferencesWindow *self)
{
  guint unmoved = mer_peers_count_unmoved (mer_application_get_data_dir (self->application));
  g_autofree char *subtitle = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->keyring_group), self->no_keyring);
  if (!self->no_keyring)
    return;
  if (self->file_allowed)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->keyring_row), _("Passwords Kept in a File"));
      subtitle = g_strdup (_("No keyring answers, so peer passwords are kept in a file only you can "
                             "read. They move to the keyring when one answers at a later start."));
    }
  else if (unmoved > 0)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "No keyring answers, so %u peer password is still in a "
                                             "file only you can read. Keep it there, or start a keyring "
                                             "such as GNOME Keyring and open Meridian again to move it.",
                                             "No keyring answers, so %u peer passwords are still in a "
                                             "file only you can read. Keep them there, or start a keyring "
                                             "such as GNOME Keyring and open Meridian again to move them.",
                                             unmoved),
                                unmoved);
  else
    subtitle = g_strdup (_("No keyring answers, so a peer password cannot be kept safely. Meridian "
                           "can keep it in a file only you can read instead."));
  adw_action_row_set_subtitle (self->keyring_row, subtitle);
  gtk_widget_set_visible (self->keep_in_file_button, !self->file_allowed);
}

static void
add_peer (MerPreferencesWindow *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  const char *fingerprint = gtk_editable_get_text (GTK_EDITABLE (self->fingerprint_row));
  MerSyncController *sync = mer_application_get_sync (self->application);
  g_autofree char *pinned = NULL;
  g_autoptr(GError) error = NULL;

  /* A teammate sharing from Meridian has a certificate of its own: the
   * fingerprint they read out is the one accepted for their address. */
  if (*fingerprint != '\0' && (pinned = mer_tls_normalize_fingerprint (fingerprint, &error)) == NULL)
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      gtk_widget_add_css_class (GTK_WIDGET (self->fingerprint_row), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->fingerprint_row), "error");
  if (!mer_peers_add (mer_application_get_data_dir (self->application), url,
                      *username ? username : NULL, *password ? password : NULL,
                      self->file_allowed, &error))
    {
      if (g_error_matches (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING))
        {
          /* The entries keep what was typed: Keep in File adds it. */
          self->no_keyring = TRUE;
          update_keyring_row (self);
          adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                            adw_toast_new (_("No keyring answers: the peer was not added. "
                                                             "Choose Keep in File to keep its password in "
                                                             "a file only you can read.")));
          return;
        }
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  if (pinned != NULL && !mer_tls_known_save (mer_application_get_data_dir (self->application), url, pinned, &error))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->fingerprint_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  if (sync != NULL)
    mer_sync_controller_reload_peers (sync);
  reload_peers (self);
}

static void
add_peer_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  add_peer (MER_PREFERENCES_WINDOW (widget));
}

/* Keep in File: the person's consent to the 0600 file, for the passwords
 * already there and for the peer being added, if any. */
static void
keep_in_file_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MerPreferencesWindow *self = MER_PREFERENCES_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  self->file_allowed = TRUE;
  if (!mer_peers_keep_in_file (mer_application_get_data_dir (self->application), &error))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
  if (*gtk_editable_get_text (GTK_EDITABLE (self->url_row)) != '\0')
    add_peer (self);
  update_keyring_row (self);
}

static void
style_selected_cb (MerPreferencesWindow *self)
{
  GSettings *settings = mer_application_get_settings (self->application);
  guint selected = adw_combo_row_get_selected (self->style_row);

  if (self->updating || selected >= G_N_ELEMENTS (style_names))
    return;
  if (settings != NULL)
    g_settings_set_string (settings, "color-scheme", style_names[selected]);
  else
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                        selected == 1 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                        : selected == 2 ? ADW_COLOR_SCHEME_FORCE_DARK
                                        : ADW_COLOR_SCHEME_DEFAULT);
}

static void
continuous_toggled_cb (MerPreferencesWindow *self)
{
  GSettings *settings = mer_application_get_settings (self->application);
  MerSyncController *sync = mer_application_get_sync (self->application);
  gboolean active = gtk_switch_get_active (self->continuous_switch);

  if (self->updating)
    return;
  if (settings != NULL)
    g_settings_set_boolean (settings, "continuous-sync", active);
  else if (sync != NULL)
    mer_sync_controller_set_continuous (sync, active);
}

static void
mer_preferences_window_dispose (GObject *object)
{
  MerPreferencesWindow *self = MER_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (mer_preferences_window_parent_class)->dispose (object);
}

static void
mer_preferences_window_class_init (MerPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, continuous_switch);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, peers_list);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, fingerprint_row);
  gtk_widget_class_bind_template_callback (widget_class, style_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, continuous_toggled_cb);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, keyring_group);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, keyring_row);
  gtk_widget_class_bind_template_child (widget_class, MerPreferencesWindow, keep_in_file_button);
  gtk_widget_class_install_action (widget_class, "prefs.add-peer", NULL, add_peer_action);
  gtk_widget_class_install_action (widget_class, "prefs.keep-in-file", NULL, keep_in_file_action);
}

/* The style list's rows, named for screen readers (see mer_ui_name_row). */
static void
style_item_setup_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
style_item_bind_cb (GtkSignalListItemFactory *factory,
                    GtkListItem              *item,
                    gpointer                  user_data)
{
  GtkWidget *label = gtk_list_item_get_child (item);
  const char *text = gtk_string_object_get_string (GTK_STRING_OBJECT (gtk_list_item_get_item (item)));
  GtkWidget *row = gtk_widget_get_parent (label);

  gtk_label_set_text (GTK_LABEL (label), text);
  /* The combo row wraps the label (with a check mark) inside the row. */
  while (row != NULL && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (row)) != GTK_ACCESSIBLE_ROLE_LIST_ITEM)
    row = gtk_widget_get_parent (row);
  if (row != NULL)
    mer_ui_name_row (row, text, NULL);
}

static void
mer_preferences_window_init (MerPreferencesWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (style_item_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (style_item_bind_cb), NULL);
  adw_combo_row_set_factory (self->style_row, factory);
  adw_combo_row_set_list_factory (self->style_row, factory);
  /* libadwaita 1.2 leaves the password row's show-text button unnamed. */
  mer_ui_name_icon_buttons (GTK_WIDGET (self->password_row), _("Show password"));
}

GtkWidget *
mer_preferences_window_new (MerApplication *application)
{
  MerPreferencesWindow *self;
  GSettings *settings;
  MerSyncController *sync;

  g_return_val_if_fail (MER_IS_APPLICATION (application), NULL);

  self = g_object_new (MER_TYPE_PREFERENCES_WINDOW, NULL);
  self->application = g_object_ref (application);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (mer_accounts_page_new (mer_application_get_data_dir (application),
                                                                           mer_application_get_sharing (application),
                                                                           mer_application_get_settings (application))));
  settings = mer_application_get_settings (application);
  sync = mer_application_get_sync (application);

  self->updating = TRUE;
  if (settings != NULL)
    {
      g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

      for (guint i = 0; i < G_N_ELEMENTS (style_names); i++)
        if (g_strcmp0 (scheme, style_names[i]) == 0)
          adw_combo_row_set_selected (self->style_row, i);
      gtk_switch_set_active (self->continuous_switch, g_settings_get_boolean (settings, "continuous-sync"));
    }
  else
    gtk_switch_set_active (self->continuous_switch, sync ? mer_sync_controller_get_continuous (sync) : TRUE);
  self->updating = FALSE;

  /* Asking costs a local D-Bus round trip, and tells the person now,
   * before a password is typed, where it would go. */
  {
    g_autoptr(GError) error = NULL;

    self->no_keyring = !mer_secrets_check (&error)
                       && g_error_matches (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING);
  }
  update_keyring_row (self);
  reload_peers (self);
  return GTK_WIDGET (self);
}

/*
 * What the keyring row says, title then subtitle on a second line, or NULL
 * when it is hidden (a keyring answers).
 */
char *
mer_preferences_window_get_keyring_status (MerPreferencesWindow *self)
{
  g_return_val_if_fail (MER_IS_PREFERENCES_WINDOW (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->keyring_group)))
    return NULL;
  return g_strdup_printf ("%s\n%s", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->keyring_row)),
                          adw_action_row_get_subtitle (self->keyring_row));
}
