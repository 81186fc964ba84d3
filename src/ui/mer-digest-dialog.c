/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-digest-dialog.h"
#include "mer-digest.h"
#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-ui-util.h"
#include "mer-window.h"

#include <adwaita.h>
#include <glib/gi18n.h>

static void
row_activated_cb (AdwActionRow *row,
                  GtkWindow    *dialog)
{
  const char *id = g_object_get_data (G_OBJECT (row), "doc-id");
  GtkWindow *parent = gtk_window_get_transient_for (dialog);

  if (parent != NULL && MER_IS_WINDOW (parent))
    mer_window_open_doc (MER_WINDOW (parent), id);
  gtk_window_close (dialog);
}

static const char *
stance_words (const char *stance)
{
  if (g_strcmp0 (stance, "agree") == 0)
    return _("agrees");
  if (g_strcmp0 (stance, "concern") == 0)
    return _("has a concern");
  if (g_strcmp0 (stance, "object") == 0)
    return _("objects");
  return NULL;
}

static char *
item_subtitle (const char *group,
               JsonObject *item)
{
  g_autofree char *when = mer_ui_format_relative_time (mer_json_get_string (item, "at"));
  const char *status = mer_json_get_string (item, "status");

  if (g_strcmp0 (group, "proposals") == 0)
    return g_strdup_printf (g_strcmp0 (mer_json_get_string (item, "event"), "decided") == 0
                            ? _("Decided (%s) %s") : _("Opened for comments %s%s"),
                            g_strcmp0 (mer_json_get_string (item, "event"), "decided") == 0 ? status : "",
                            when ? when : "");
  if (g_strcmp0 (group, "comments") == 0)
    {
      const char *who = mer_json_get_string (item, "author_name");
      const char *stance = stance_words (mer_json_get_string (item, "stance"));

      if (stance != NULL)
        return g_strdup_printf (_("%s %s · %s"), who ? who : "", stance, when ? when : "");
      return g_strdup_printf (_("%s commented · %s"), who ? who : "", when ? when : "");
    }
  if (g_strcmp0 (group, "pages") == 0)
    return g_strdup_printf (_("%s · changed %s"), mer_json_get_string (item, "path") ? mer_json_get_string (item, "path") : "",
                            when ? when : "");
  return g_strdup_printf (_("%s %s"), status ? status : "", when ? when : "");
}

GtkWidget *
mer_digest_dialog_new (MerStore   *store,
                       JsonObject *digest,
                       GtkWindow  *parent)
{
  struct { const char *member; const char *title; } groups[] = {
    { "decisions", N_("Decisions") },
    { "proposals", N_("Proposals") },
    { "comments", N_("Comments") },
    { "pages", N_("Page Changes") },
  };
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();
  g_autoptr(GDateTime) since = mer_schedule_parse_instant (mer_json_get_string (digest, "since"), NULL);
  g_autoptr(GDateTime) since_local = since ? g_date_time_to_local (since) : NULL;
  g_autofree char *since_text = since_local ? g_date_time_format (since_local, "%a %-d %b %H:%M") : g_strdup ("");
  g_autofree char *description = g_strdup_printf (_("What arrived since you last opened Meridian, %s."), since_text);

  gtk_window_set_title (GTK_WINDOW (window), _("Since You Were Last Here"));
  gtk_window_set_default_size (GTK_WINDOW (window), 560, 620);
  /* Not modal: a summary to glance at, never in the way of work. */
  gtk_window_set_modal (GTK_WINDOW (window), FALSE);
  gtk_window_set_hide_on_close (GTK_WINDOW (window), FALSE);
  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_widget_set_name (window, "digest-dialog");

  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      JsonArray *items = json_object_get_array_member (digest, groups[g].member);
      GtkWidget *group;
      g_autofree char *title = NULL;

      if (items == NULL || json_array_get_length (items) == 0)
        continue;
      title = g_strdup_printf ("%s (%u)", _(groups[g].title), json_array_get_length (items));
      group = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);
          GtkWidget *row = adw_action_row_new ();
          g_autofree char *subtitle = item_subtitle (groups[g].member, item);
          const char *row_title = mer_json_get_string (item, g_strcmp0 (groups[g].member, "comments") == 0
                                                             ? "on_title" : "title");
          g_autofree char *escaped = g_markup_escape_text (row_title ? row_title : "", -1);
          g_autofree char *escaped_sub = g_markup_escape_text (subtitle, -1);

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped_sub);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
          g_object_set_data_full (G_OBJECT (row), "doc-id",
                                  g_strdup (mer_json_get_string (item, g_strcmp0 (groups[g].member, "comments") == 0
                                                                       ? "on" : "id")), g_free);
          g_signal_connect (row, "activated", G_CALLBACK (row_activated_cb), window);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
        }
      adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
    }

  gtk_box_append (GTK_BOX (box), header);
  {
    GtkWidget *intro = gtk_label_new (description);

    gtk_label_set_wrap (GTK_LABEL (intro), TRUE);
    gtk_widget_set_margin_top (intro, 12);
    gtk_widget_set_margin_start (intro, 18);
    gtk_widget_set_margin_end (intro, 18);
    gtk_widget_add_css_class (intro, "dim-label");
    gtk_box_append (GTK_BOX (box), intro);
  }
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (window), box);
  return window;
}

GtkWidget *
mer_digest_dialog_present_if_new (MerStore  *store,
                                  GtkWindow *parent)
{
  g_autoptr(GDateTime) last = mer_digest_get_last_opened (store);
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) digest = NULL;
  g_autofree char *me = mer_schedule_get_me (store);
  GtkWidget *dialog = NULL;

  if (last != NULL)
    digest = mer_digest_since (store, last, me, &error);
  if (digest != NULL && mer_digest_count (digest) > 0)
    {
      dialog = mer_digest_dialog_new (store, digest, parent);
      gtk_window_present (GTK_WINDOW (dialog));
    }
  if (!mer_digest_set_last_opened (store, now, &error))
    g_warning ("Could not record this opening: %s", error ? error->message : "");
  return dialog;
}
