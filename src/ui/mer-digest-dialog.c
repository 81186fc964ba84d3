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

/* Comments grouped by what they are on, in the order of their newest:
 * [{on, on_title, comments: [...]}]. */
static JsonArray *
group_comments (JsonArray *items)
{
  JsonArray *out = json_array_new ();
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      const char *on = mer_json_get_string (item, "on");
      JsonObject *entry;

      if (on == NULL)
        continue;
      entry = g_hash_table_lookup (index, on);
      if (entry == NULL)
        {
          entry = json_object_new ();
          json_object_set_string_member (entry, "on", on);
          json_object_set_string_member (entry, "on_title",
                                         mer_json_get_string (item, "on_title") ? mer_json_get_string (item, "on_title") : on);
          json_object_set_string_member (entry, "at", mer_json_get_string (item, "at"));
          json_object_set_array_member (entry, "comments", json_array_new ());
          json_array_add_object_element (out, entry);
          g_hash_table_insert (index, (gpointer) on, entry);
        }
      json_array_add_object_element (json_object_get_array_member (entry, "comments"), json_object_ref (item));
    }
  return out;
}

static void
add_comment_rows (AdwPreferencesGroup *group,
                  JsonArray           *grouped,
                  GtkWidget           *window)
{
  for (guint i = 0; i < json_array_get_length (grouped); i++)
    {
      JsonObject *entry = json_array_get_object_element (grouped, i);
      JsonArray *comments = json_object_get_array_member (entry, "comments");
      g_autoptr(GHashTable) named = g_hash_table_new (g_str_hash, g_str_equal);
      g_autofree char *when = mer_ui_format_relative_time (mer_json_get_string (entry, "at"));
      g_autofree char *escaped = g_markup_escape_text (mer_json_get_string (entry, "on_title"), -1);
      g_autofree char *escaped_sub = NULL;
      GString *who = g_string_new (NULL);
      GtkWidget *row = adw_action_row_new ();
      guint n = json_array_get_length (comments);

      /* Each person once, with their latest stance (the list is newest first). */
      for (guint j = 0; j < n; j++)
        {
          JsonObject *item = json_array_get_object_element (comments, j);
          const char *author = mer_json_get_string (item, "author");
          const char *name = mer_json_get_string (item, "author_name");
          const char *stance = stance_words (mer_json_get_string (item, "stance"));

          if (author == NULL || !g_hash_table_add (named, (gpointer) author))
            continue;
          g_string_append_printf (who, "%s%s %s", who->len ? ", " : "", name ? name : author,
                                  stance ? stance : _("commented"));
        }
      g_string_prepend (who, " · ");
      g_string_prepend (who, when ? when : "");
      g_string_prepend (who, " · ");
      {
        g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u comment", "%u comments", n), n);

        g_string_prepend (who, count);
      }
      escaped_sub = g_markup_escape_text (who->str, -1);
      g_string_free (who, TRUE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped_sub);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "doc-id", g_strdup (mer_json_get_string (entry, "on")), g_free);
      g_signal_connect (row, "activated", G_CALLBACK (row_activated_cb), window);
      adw_preferences_group_add (group, row);
    }
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
  /* Translators: a day and time, see g_date_time_format(); "Mon 7 Dec 15:30". */
  g_autofree char *since_text = since_local ? g_date_time_format (since_local, _("%a %-d %b %H:%M")) : g_strdup ("");
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

      g_autoptr(JsonArray) grouped = NULL;

      if (items == NULL || json_array_get_length (items) == 0)
        continue;
      title = g_strdup_printf ("%s (%u)", _(groups[g].title), json_array_get_length (items));
      group = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
      if (g_strcmp0 (groups[g].member, "comments") == 0)
        {
          /* One row per discussion, not per comment. */
          grouped = group_comments (items);
          add_comment_rows (ADW_PREFERENCES_GROUP (group), grouped, window);
          adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
          continue;
        }
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
