/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-accounts-page.h"
#include "mer-invite-dialog.h"

#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-ui-util.h"

#include <glib/gi18n.h>

/*
 * Preferences › Sharing: the switch that shares the open workspace from
 * the app (MerSharing: HTTPS with the workspace's own certificate, its
 * address and fingerprint shown), and the teammates who may sync with it
 * through the app or `meridian serve`, with when each last made a request.
 * The sharer changes a role or revokes an account here; a running server
 * applies it to the account's next request (mer-accounts reads the file
 * again when it changes). Accounts are made with `meridian user add`.
 */

struct _MerAccountsPage
{
  AdwPreferencesPage parent_instance;

  MerAccounts *accounts;
  char *data_dir;
  MerSharing *sharing; /* NULL: no sharing group */
  GSettings *settings; /* NULL: nothing remembered */
  gboolean updating;
  AdwPreferencesGroup *group;
  GPtrArray *rows; /* the rows shown, to remove on reload */

  GtkSwitch *share_switch;
  GtkSpinButton *port_spin;
  AdwActionRow *address_row;
  AdwActionRow *fingerprint_row;
  char *share_error; /* why the last start failed */
};

G_DEFINE_FINAL_TYPE (MerAccountsPage, mer_accounts_page, ADW_TYPE_PREFERENCES_PAGE)

static void
show_error (MerAccountsPage *self,
            const char *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (message));
  else
    g_warning ("%s", message);
}

static void
role_selected_cb (GtkDropDown *dropdown,
                  GParamSpec *pspec,
                  MerAccountsPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (dropdown), "mer-account");
  MerRole role = gtk_drop_down_get_selected (dropdown) == 0 ? MER_ROLE_RW : MER_ROLE_RO;
  g_autoptr (GError) error = NULL;

  if (g_object_get_data (G_OBJECT (dropdown), "mer-filling") != NULL)
    return;
  if (!mer_accounts_set_role (self->accounts, name, role, &error))
    {
      show_error (self, error->message);
      mer_accounts_page_reload (self);
    }
}

static void
revoke_response_cb (AdwMessageDialog *dialog,
                    const char *response,
                    MerAccountsPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "mer-account");
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "revoke") != 0)
    return;
  if (!mer_accounts_remove (self->accounts, name, &error))
    show_error (self, error->message);
  mer_accounts_page_reload (self);
}

static void
revoke_clicked_cb (GtkButton *button,
                   MerAccountsPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "mer-account");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       NULL, NULL));
  adw_message_dialog_format_heading (dialog, _ ("Revoke %s?"), name);
  adw_message_dialog_format_body (dialog,
                                  _ ("%s can no longer sync with this computer: their next request is "
                                     "refused. What they already have stays on their computer."),
                                  name);
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "revoke", _ ("_Revoke"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "revoke", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "mer-account", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (revoke_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static char *
describe_seen (const char *last_seen)
{
  g_autofree char *when = NULL;

  if (last_seen == NULL)
    return g_strdup (_ ("Never synced with this computer"));
  when = mer_ui_format_relative_time (last_seen);
  /* TRANSLATORS: %s is a time such as "5 minutes ago" or a date */
  return g_strdup_printf (_ ("Last synced %s"), when);
}

static GtkWidget *
account_row (MerAccountsPage *self,
             JsonObject *entry)
{
  const char *name = mer_json_get_string (entry, "name");
  const char *roles[] = { _ ("Read and Write"), _ ("Read Only"), NULL };
  g_autofree char *subtitle = describe_seen (mer_json_get_string (entry, "last_seen"));
  g_autofree char *role_label = g_strdup_printf (_ ("Role of %s"), name);
  g_autofree char *revoke_label = g_strdup_printf (_ ("Revoke %s"), name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *dropdown = gtk_drop_down_new_from_strings (roles);
  GtkWidget *revoke = gtk_button_new_from_icon_name ("user-trash-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_name (row, name);

  g_object_set_data (G_OBJECT (dropdown), "mer-filling", GINT_TO_POINTER (1));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown),
                              g_strcmp0 (mer_json_get_string (entry, "role"), "ro") == 0 ? 1 : 0);
  g_object_set_data (G_OBJECT (dropdown), "mer-filling", NULL);
  g_object_set_data_full (G_OBJECT (dropdown), "mer-account", g_strdup (name), g_free);
  gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
  gtk_widget_set_name (dropdown, "role");
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL, role_label, -1);
  g_signal_connect (dropdown, "notify::selected", G_CALLBACK (role_selected_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), dropdown);

  g_object_set_data_full (G_OBJECT (revoke), "mer-account", g_strdup (name), g_free);
  gtk_widget_set_valign (revoke, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (revoke, "flat");
  gtk_widget_set_name (revoke, "revoke");
  gtk_widget_set_tooltip_text (revoke, _ ("Revoke Account"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (revoke), GTK_ACCESSIBLE_PROPERTY_LABEL, revoke_label, -1);
  g_signal_connect (revoke, "clicked", G_CALLBACK (revoke_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), revoke);
  return row;
}

void
mer_accounts_page_reload (MerAccountsPage *self)
{
  g_autoptr (JsonArray) list = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (MER_IS_ACCOUNTS_PAGE (self));

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  if (!mer_accounts_reload (self->accounts, &error))
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("The accounts file cannot be read"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error->message);
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
      return;
    }
  list = mer_accounts_list (self->accounts);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      GtkWidget *row = account_row (self, json_array_get_object_element (list, i));

      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
  if (json_array_get_length (list) == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("No accounts"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _ ("Only this computer can sync with this workspace. Add teammates "
                                      "with “meridian user add NAME”."));
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
}

static void
update_sharing_rows (MerAccountsPage *self)
{
  const char *url = mer_sharing_get_url (self->sharing);
  const char *fingerprint = mer_sharing_get_fingerprint (self->sharing);

  self->updating = TRUE;
  gtk_switch_set_active (self->share_switch, mer_sharing_get_active (self->sharing));
  gtk_switch_set_state (self->share_switch, mer_sharing_get_active (self->sharing));
  if (mer_sharing_get_active (self->sharing))
    gtk_spin_button_set_value (self->port_spin, mer_sharing_get_port (self->sharing));
  self->updating = FALSE;
  if (url != NULL)
    adw_action_row_set_subtitle (self->address_row, url);
  else
    adw_action_row_set_subtitle (self->address_row, self->share_error != NULL ? self->share_error : _ ("Not shared"));
  adw_action_row_set_subtitle (self->fingerprint_row,
                               fingerprint != NULL ? fingerprint : _ ("Made when the workspace is first shared"));
}

/* Starts sharing on the port shown; says why not when it cannot. */
static gboolean
start_sharing (MerAccountsPage *self)
{
  guint16 port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->share_error, g_free);
  if (!mer_sharing_start (self->sharing, port, &error))
    {
      show_error (self, error->message);
      self->share_error = g_strdup (error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
share_state_set_cb (GtkSwitch *share_switch,
                    gboolean state,
                    MerAccountsPage *self)
{
  if (self->updating)
    return FALSE;
  if (state)
    state = start_sharing (self);
  else
    {
      mer_sharing_stop (self->sharing);
      g_clear_pointer (&self->share_error, g_free);
    }
  if (self->settings != NULL)
    g_settings_set_boolean (self->settings, "share-workspace", state);
  update_sharing_rows (self);
  /* Accounts may have been added meanwhile with `meridian user add`. */
  mer_accounts_page_reload (self);
  return TRUE;
}

static void
port_changed_cb (GtkSpinButton *spin,
                 MerAccountsPage *self)
{
  if (self->updating)
    return;
  if (self->settings != NULL)
    g_settings_set_uint (self->settings, "share-port", (guint) gtk_spin_button_get_value_as_int (spin));
  if (mer_sharing_get_active (self->sharing))
    {
      mer_sharing_stop (self->sharing);
      start_sharing (self);
    }
  update_sharing_rows (self);
}

static void
copy_subtitle_cb (GtkButton *button,
                  AdwActionRow *row)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), adw_action_row_get_subtitle (row));
}

static AdwActionRow *
copyable_row (AdwPreferencesGroup *group,
              const char *title,
              const char *name,
              const char *copy_label)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_widget_set_name (row, name);
  gtk_widget_add_css_class (row, "property");
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, copy_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, copy_label, -1);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_subtitle_cb), row);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);
  adw_preferences_group_add (group, row);
  return ADW_ACTION_ROW (row);
}

/*
 * Opens “Invite a Teammate” for the address the workspace is shared at,
 * or would be at on the chosen port.
 */
static void
invite_clicked_cb (MerAccountsPage *self)
{
  g_autofree char *url = NULL;
  GtkWidget *dialog;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (mer_sharing_get_url (self->sharing) != NULL)
    url = g_strdup (mer_sharing_get_url (self->sharing));
  else
    url = g_strdup_printf ("https://%s:%d/%s", g_get_host_name (), gtk_spin_button_get_value_as_int (self->port_spin),
                           mer_store_get_name (mer_sharing_get_store (self->sharing)));
  dialog = mer_invite_dialog_new (self->data_dir, url);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (mer_accounts_page_reload), self, G_CONNECT_SWAPPED);
}

static void
add_sharing_group (MerAccountsPage *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *switch_row = adw_action_row_new ();
  GtkWidget *port_row = adw_action_row_new ();
  GtkWidget *share_switch = gtk_switch_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (1024, 65535, 1);

  adw_preferences_group_set_title (group, _ ("Share This Workspace"));
  adw_preferences_group_set_description (group,
                                         _ ("While Meridian is open, teammates with an account sync with this "
                                            "computer over HTTPS. They check the certificate’s fingerprint "
                                            "the first time they connect."));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (switch_row), _ ("_Share"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (switch_row), TRUE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (switch_row), _ ("Serve the handbook to teammates on the network"));
  gtk_widget_set_valign (share_switch, GTK_ALIGN_CENTER);
  gtk_widget_set_name (share_switch, "share-switch");
  adw_action_row_add_suffix (ADW_ACTION_ROW (switch_row), share_switch);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (switch_row), share_switch);
  adw_preferences_group_add (group, switch_row);
  self->share_switch = GTK_SWITCH (share_switch);
  g_signal_connect (share_switch, "state-set", G_CALLBACK (share_state_set_cb), self);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (port_row), _ ("_Port"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (port_row), TRUE);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_widget_set_name (spin, "share-port");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             self->settings != NULL ? g_settings_get_uint (self->settings, "share-port")
                                                    : MER_SHARING_DEFAULT_PORT);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Port"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (port_row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (port_row), spin);
  adw_preferences_group_add (group, port_row);
  self->port_spin = GTK_SPIN_BUTTON (spin);
  g_signal_connect (spin, "value-changed", G_CALLBACK (port_changed_cb), self);

  self->address_row = copyable_row (group, _ ("Address"), "share-address", _ ("Copy Address"));
  self->fingerprint_row = copyable_row (group, _ ("Certificate Fingerprint"), "share-fingerprint",
                                        _ ("Copy Fingerprint"));

  {
    GtkWidget *invite = gtk_button_new_with_mnemonic (_ ("_Invite a Teammate…"));

    mer_ui_name_mnemonic_button (invite);
    gtk_widget_set_name (invite, "invite-button");
    gtk_widget_set_valign (invite, GTK_ALIGN_CENTER);
    adw_preferences_group_set_header_suffix (group, invite);
    g_signal_connect_swapped (invite, "clicked", G_CALLBACK (invite_clicked_cb), self);
  }

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);
  g_signal_connect_object (self->sharing, "notify::url", G_CALLBACK (update_sharing_rows), self,
                           G_CONNECT_SWAPPED);
  update_sharing_rows (self);
}

static void
mer_accounts_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (mer_accounts_page_parent_class)->map (widget);
  /* `meridian user` or a running server may have changed the file. */
  mer_accounts_page_reload (MER_ACCOUNTS_PAGE (widget));
}

static void
mer_accounts_page_dispose (GObject *object)
{
  MerAccountsPage *self = MER_ACCOUNTS_PAGE (object);

  g_clear_object (&self->accounts);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_object (&self->sharing);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->share_error, g_free);

  G_OBJECT_CLASS (mer_accounts_page_parent_class)->dispose (object);
}

static void
mer_accounts_page_class_init (MerAccountsPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mer_accounts_page_dispose;
  GTK_WIDGET_CLASS (klass)->map = mer_accounts_page_map;
}

static void
mer_accounts_page_init (MerAccountsPage *self)
{
  self->rows = g_ptr_array_new ();
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Sharing"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "system-users-symbolic");
}

GtkWidget *
mer_accounts_page_new (const char *data_dir,
                       MerSharing *sharing,
                       GSettings *settings)
{
  MerAccountsPage *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (MER_TYPE_ACCOUNTS_PAGE, NULL);
  self->accounts = mer_accounts_new (data_dir);
  self->data_dir = g_strdup (data_dir);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  if (sharing != NULL)
    {
      self->sharing = g_object_ref (sharing);
      add_sharing_group (self);
    }
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _ ("Who May Sync with This Computer"));
  adw_preferences_group_set_description (self->group,
                                         _ ("Teammates reach this workspace while it is shared, or through "
                                            "“meridian serve”. A changed role or a revoked account applies "
                                            "to their next request."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
  mer_accounts_page_reload (self);
  return GTK_WIDGET (self);
}
