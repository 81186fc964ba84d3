/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-damaged-window.h"

#include <glib/gi18n.h>

/*
 * Shown when the workspace database fails SQLite's quick check at open.
 * Opening it anyway would fail later, half-way through an edit or a
 * sync, and writing to a damaged file can spread the damage; so the app
 * says what SQLite found, where the file is, and how to get the
 * workspace back, and does nothing else with it.
 */
struct _MerDamagedWindow
{
  AdwApplicationWindow  parent_instance;

  AdwStatusPage        *status;
  GtkLabel             *path_label;
  GtkLabel             *advice_label;
  GtkWidget            *quit_button;
  char                 *db_path;
};

G_DEFINE_FINAL_TYPE (MerDamagedWindow, mer_damaged_window, ADW_TYPE_APPLICATION_WINDOW)

static void
copy_path_cb (MerDamagedWindow *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->db_path);
}

static void
mer_damaged_window_finalize (GObject *object)
{
  MerDamagedWindow *self = MER_DAMAGED_WINDOW (object);

  g_free (self->db_path);
  G_OBJECT_CLASS (mer_damaged_window_parent_class)->finalize (object);
}

static void
mer_damaged_window_class_init (MerDamagedWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mer_damaged_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-damaged-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MerDamagedWindow, status);
  gtk_widget_class_bind_template_child (widget_class, MerDamagedWindow, path_label);
  gtk_widget_class_bind_template_child (widget_class, MerDamagedWindow, advice_label);
  gtk_widget_class_bind_template_child (widget_class, MerDamagedWindow, quit_button);
  gtk_widget_class_bind_template_callback (widget_class, copy_path_cb);
}

static void
mer_damaged_window_init (MerDamagedWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* @problem: what SQLite's check reported, shown as it said it. */
GtkWidget *
mer_damaged_window_new (GtkApplication *app,
                        const char     *db_path,
                        const char     *problem)
{
  MerDamagedWindow *self;
  g_autofree char *data_dir = NULL;
  g_autofree char *description = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *advice = NULL;

  g_return_val_if_fail (GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (db_path != NULL, NULL);

  self = g_object_new (MER_TYPE_DAMAGED_WINDOW, "application", app, NULL);
  self->db_path = g_strdup (db_path);
  data_dir = g_path_get_dirname (db_path);
  description = g_strdup_printf (_("Meridian checks the workspace database when it opens it, and this one "
                                   "is damaged, so it was not opened: using it could lose more. "
                                   "The check reported: %s"),
                                 problem != NULL && *problem != '\0' ? problem : _("unknown damage"));
  /* The description is markup, and SQLite's words may hold < or &. */
  escaped = g_markup_escape_text (description, -1);
  adw_status_page_set_description (self->status, escaped);
  gtk_label_set_text (self->path_label, db_path);
  advice = g_strdup_printf (_("To get the workspace back, quit Meridian and move this file aside, then "
                              "restore it from a peer: “meridian --data %s sync URL”, with the address "
                              "of a teammate’s Meridian or of the team hub, fetches everything that was "
                              "synced. Or put back a copy of the file from a backup. Changes made here "
                              "that never reached a peer can only come from a backup."),
                            data_dir);
  gtk_label_set_text (self->advice_label, advice);
  /* Focus on the path would select it all as the window opens. */
  gtk_window_set_focus (GTK_WINDOW (self), self->quit_button);
  return GTK_WIDGET (self);
}

const char *
mer_damaged_window_get_db_path (MerDamagedWindow *self)
{
  g_return_val_if_fail (MER_IS_DAMAGED_WINDOW (self), NULL);
  return self->db_path;
}
