/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-sync-indicator.h"

#include <glib/gi18n.h>
#include <inttypes.h>

/*
 * The sync status in the header bar: an icon for synced, syncing (a
 * spinner), offline or failed, with the count of local changes not yet
 * sent beside it; its popover says the same in words, with the reason of
 * a failure and the first document a peer refused, and offers Sync Now.
 */

struct _MerSyncIndicator
{
  GtkWidget          parent_instance;

  MerSyncController *controller;
  char              *summary;

  GtkWidget         *button;
  GtkStack          *icon_stack;
  GtkImage          *icon;
  GtkSpinner        *spinner;
  GtkLabel          *count_label;
  GtkLabel          *status_label;
  GtkLabel          *detail_label;
  GtkLabel          *refused_label;
  GtkLabel          *pending_label;
};

G_DEFINE_FINAL_TYPE (MerSyncIndicator, mer_sync_indicator, GTK_TYPE_WIDGET)

static void
update (MerSyncIndicator *self)
{
  MerSyncStatus status = MER_SYNC_STATUS_LOCAL;
  const char *message = NULL;
  const char *refused;
  const char *icon_name;
  const char *title;
  g_autofree char *detail = NULL;
  g_autofree char *pending_text = NULL;
  g_autofree char *count = NULL;
  guint pending = 0;
  guint n_peers = 0;

  if (self->controller != NULL)
    {
      status = mer_sync_controller_get_status (self->controller);
      message = mer_sync_controller_get_message (self->controller);
      pending = mer_sync_controller_get_pending (self->controller);
      n_peers = mer_sync_controller_get_n_peers (self->controller);
    }

  switch (status)
    {
    case MER_SYNC_STATUS_SYNCED:
      icon_name = "emblem-ok-symbolic";
      title = _("Synced");
      detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Up to date with %u peer.",
                                             "Up to date with %u peers.", n_peers), n_peers);
      break;
    case MER_SYNC_STATUS_SYNCING:
      icon_name = "emblem-synchronizing-symbolic";
      title = _("Syncing…");
      /* %' groups the thousands as the locale does ("12,345", "12.345"). */
      detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRIu64 " document received so far.",
                                             "%'" PRIu64 " documents received so far.",
                                             mer_sync_controller_get_progress (self->controller)),
                                (uint64_t) mer_sync_controller_get_progress (self->controller));
      break;
    case MER_SYNC_STATUS_OFFLINE:
      icon_name = "network-offline-symbolic";
      title = _("Offline");
      detail = g_strdup (message ? message : _("The peers cannot be reached. Meridian keeps trying; "
                                               "everything works meanwhile."));
      break;
    case MER_SYNC_STATUS_ERROR:
      icon_name = "dialog-error-symbolic";
      title = _("Sync Failed");
      detail = g_strdup (message ? message : _("The sync stopped."));
      break;
    case MER_SYNC_STATUS_LOCAL:
    default:
      icon_name = "network-idle-symbolic";
      title = _("Not Syncing");
      detail = g_strdup (_("No peers are set up: changes stay on this computer. Add a peer or hub "
                           "in Preferences."));
      break;
    }

  if (pending > 0)
    pending_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u local change not sent yet",
                                                 "%u local changes not sent yet", pending), pending);
  else if (n_peers > 0)
    pending_text = g_strdup (_("Every local change has been sent"));
  else
    pending_text = g_strdup ("");

  gtk_image_set_from_icon_name (self->icon, icon_name);
  if (status == MER_SYNC_STATUS_SYNCING)
    {
      gtk_spinner_start (self->spinner);
      gtk_stack_set_visible_child_name (self->icon_stack, "spinner");
    }
  else
    {
      gtk_spinner_stop (self->spinner);
      gtk_stack_set_visible_child_name (self->icon_stack, "icon");
    }
  count = g_strdup_printf ("%u", pending);
  gtk_label_set_text (self->count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->count_label), pending > 0 && n_peers > 0);

  gtk_label_set_text (self->status_label, title);
  gtk_label_set_text (self->detail_label, detail);
  refused = self->controller != NULL ? mer_sync_controller_get_refused_message (self->controller) : NULL;
  gtk_label_set_text (self->refused_label, refused ? refused : "");
  gtk_widget_set_visible (GTK_WIDGET (self->refused_label), refused != NULL);
  gtk_label_set_text (self->pending_label, pending_text);
  gtk_widget_set_visible (GTK_WIDGET (self->pending_label), *pending_text != '\0');

  if (status == MER_SYNC_STATUS_ERROR)
    gtk_widget_add_css_class (self->button, "error");
  else
    gtk_widget_remove_css_class (self->button, "error");
  /* A refused document is a sync that went on, with something to read. */
  if (refused != NULL && status != MER_SYNC_STATUS_ERROR)
    gtk_widget_add_css_class (self->button, "warning");
  else
    gtk_widget_remove_css_class (self->button, "warning");

  g_free (self->summary);
  if (*pending_text != '\0')
    self->summary = g_strdup_printf ("%s: %s", title, pending_text);
  else
    self->summary = g_strdup (title);
  gtk_widget_set_tooltip_text (self->button, self->summary);
  /* Translators: accessible name of the sync status button, "Sync status: Synced". */
  {
    g_autofree char *label = g_strdup_printf (_("Sync status: %s"), self->summary);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  }
}

static void
mer_sync_indicator_dispose (GObject *object)
{
  MerSyncIndicator *self = MER_SYNC_INDICATOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_SYNC_INDICATOR);
  g_clear_object (&self->controller);
  g_clear_pointer (&self->summary, g_free);

  G_OBJECT_CLASS (mer_sync_indicator_parent_class)->dispose (object);
}

static void
mer_sync_indicator_class_init (MerSyncIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_sync_indicator_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-sync-indicator.ui");
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, button);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, icon);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, spinner);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, count_label);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, status_label);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, detail_label);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, refused_label);
  gtk_widget_class_bind_template_child (widget_class, MerSyncIndicator, pending_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
mer_sync_indicator_init (MerSyncIndicator *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* @controller may be NULL: the indicator then says nothing is synced. */
GtkWidget *
mer_sync_indicator_new (MerSyncController *controller)
{
  MerSyncIndicator *self = g_object_new (MER_TYPE_SYNC_INDICATOR, NULL);

  if (controller != NULL)
    {
      self->controller = g_object_ref (controller);
      g_signal_connect_object (controller, "changed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
    }
  update (self);
  return GTK_WIDGET (self);
}

/* The status in words, as the tooltip says it. */
const char *
mer_sync_indicator_get_summary (MerSyncIndicator *self)
{
  g_return_val_if_fail (MER_IS_SYNC_INDICATOR (self), NULL);
  return self->summary;
}

/*
 * What the popover says below its title: the reason of a failure, then the
 * first document a peer refused, if any, on a line of its own.
 */
char *
mer_sync_indicator_get_detail (MerSyncIndicator *self)
{
  g_return_val_if_fail (MER_IS_SYNC_INDICATOR (self), NULL);

  if (gtk_widget_get_visible (GTK_WIDGET (self->refused_label)))
    return g_strdup_printf ("%s\n%s", gtk_label_get_text (self->detail_label),
                            gtk_label_get_text (self->refused_label));
  return g_strdup (gtk_label_get_text (self->detail_label));
}
