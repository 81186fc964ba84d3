/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-accounts-page.h"

#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-ui-util.h"

#include <glib/gi18n.h>

/*
 * Preferences › Accounts: the teammates who may sync with this workspace
 * through `meridian serve`, with when each last made a request. The sharer
 * changes a role or revokes an account here; a running server applies it to
 * the account's next request (mer-accounts reads the file again when it
 * changes). Accounts are made with `meridian user add`.
 */

struct _MerAccountsPage
{
  AdwPreferencesPage  parent_instance;

  MerAccounts        *accounts;
  AdwPreferencesGroup *group;
  GPtrArray          *rows;   /* the rows shown, to remove on reload */
};

G_DEFINE_FINAL_TYPE (MerAccountsPage, mer_accounts_page, ADW_TYPE_PREFERENCES_PAGE)

static void
show_error (MerAccountsPage *self,
            const char      *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (message));
  else
    g_warning ("%s", message);
}

static void
role_selected_cb (GtkDropDown     *dropdown,
                  GParamSpec      *pspec,
                  MerAccountsPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (dropdown), "mer-account");
  MerRole role = gtk_drop_down_get_selected (dropdown) == 0 ? MER_ROLE_RW : MER_ROLE_RO;
  g_autoptr(GError) error = NULL;

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
                    const char       *response,
                    MerAccountsPage  *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "mer-account");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "revoke") != 0)
    return;
  if (!mer_accounts_remove (self->accounts, name, &error))
    show_error (self, error->message);
  mer_accounts_page_reload (self);
}

static void
revoke_clicked_cb (GtkButton       *button,
                   MerAccountsPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "mer-account");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       NULL, NULL));
  adw_message_dialog_format_heading (dialog, _("Revoke %s?"), name);
  adw_message_dialog_format_body (dialog,
                                  _("%s can no longer sync with this computer: their next request is "
                                    "refused. What they already have stays on their computer."),
                                  name);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "revoke", _("_Revoke"), NULL);
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
    return g_strdup (_("Never synced with this computer"));
  when = mer_ui_format_relative_time (last_seen);
  /* TRANSLATORS: %s is a time such as "5 minutes ago" or a date */
  return g_strdup_printf (_("Last synced %s"), when);
}

static GtkWidget *
account_row (MerAccountsPage *self,
             JsonObject      *entry)
{
  const char *name = mer_json_get_string (entry, "name");
  const char *roles[] = { _("Read and Write"), _("Read Only"), NULL };
  g_autofree char *subtitle = describe_seen (mer_json_get_string (entry, "last_seen"));
  g_autofree char *role_label = g_strdup_printf (_("Role of %s"), name);
  g_autofree char *revoke_label = g_strdup_printf (_("Revoke %s"), name);
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
  gtk_widget_set_tooltip_text (revoke, _("Revoke Account"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (revoke), GTK_ACCESSIBLE_PROPERTY_LABEL, revoke_label, -1);
  g_signal_connect (revoke, "clicked", G_CALLBACK (revoke_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), revoke);
  return row;
}

void
mer_accounts_page_reload (MerAccountsPage *self)
{
  g_autoptr(JsonArray) list = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MER_IS_ACCOUNTS_PAGE (self));

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  if (!mer_accounts_reload (self->accounts, &error))
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("The accounts file cannot be read"));
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

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No accounts"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("Only this computer can sync with this workspace. Add teammates "
                                     "with “meridian user add NAME”."));
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
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
  g_clear_pointer (&self->rows, g_ptr_array_unref);

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
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Accounts"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "system-users-symbolic");
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Who May Sync with This Computer"));
  adw_preferences_group_set_description (self->group,
                                         _("Teammates reach this workspace through “meridian serve”. A "
                                           "changed role or a revoked account applies to their next "
                                           "request."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
}

GtkWidget *
mer_accounts_page_new (const char *data_dir)
{
  MerAccountsPage *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (MER_TYPE_ACCOUNTS_PAGE, NULL);
  self->accounts = mer_accounts_new (data_dir);
  mer_accounts_page_reload (self);
  return GTK_WIDGET (self);
}
