/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-ui-util.h"
#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

/*
 * "3 days ago", "just now", or the date for anything older than a month;
 * NULL when the time cannot be read.  Relative times are what a person
 * scanning a page wants; the exact date matters once it is old.  "Now" is
 * mer_schedule_now (), so a pinned MERIDIAN_NOW agrees with the countdowns
 * and with the command line.
 */
char *
mer_ui_format_relative_time (const char *rfc3339)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) local = NULL;
  GTimeSpan span;
  gint64 minutes;
  gint64 hours;
  gint64 days;

  if (rfc3339 == NULL || *rfc3339 == '\0')
    return NULL;
  when = g_date_time_new_from_iso8601 (rfc3339, NULL);
  if (when == NULL)
    return NULL;
  now = mer_schedule_now ();
  span = g_date_time_difference (now, when);
  minutes = span / G_TIME_SPAN_MINUTE;
  hours = span / G_TIME_SPAN_HOUR;
  days = span / G_TIME_SPAN_DAY;

  if (span < 0 || minutes < 1)
    return g_strdup (_("just now"));
  if (hours < 1)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", minutes),
                            (int) minutes);
  if (days < 1)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", hours),
                            (int) hours);
  if (days < 31)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day ago", "%d days ago", days),
                            (int) days);
  local = g_date_time_to_local (when);
  /* Translators: a date, see g_date_time_format(); "on 3 March 2026". */
  return g_date_time_format (local, _("on %-d %B %Y"));
}

/* Whether a YYYY-MM-DD date lies before today (local time, "now" as
 * mer_schedule_now () says). */
gboolean
mer_ui_date_is_past (const char *date)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GDateTime) local = g_date_time_to_local (now);
  g_autofree char *today = g_date_time_format (local, "%Y-%m-%d");

  if (date == NULL || strlen (date) < 10)
    return FALSE;
  return strncmp (date, today, 10) < 0;
}

/* "on-call" -> "On call": a folder of the page tree named for people. */
char *
mer_ui_path_folder_title (const char *segment)
{
  g_autofree char *spaced = g_strdup (segment);
  g_autofree char *first = NULL;

  g_strdelimit (spaced, "-_", ' ');
  if (*spaced == '\0')
    return g_steal_pointer (&spaced);
  first = g_utf8_strup (spaced, g_utf8_next_char (spaced) - spaced);
  return g_strconcat (first, g_utf8_next_char (spaced), NULL);
}

/*
 * Prints a wall-clock timestamp for build-aux/bench-app.sh when
 * MERIDIAN_BENCH is set: the script compares it with the time it started
 * the process.
 */
void
mer_ui_bench_mark (const char *what)
{
  if (g_getenv ("MERIDIAN_BENCH") == NULL)
    return;
  g_printerr ("meridian-bench: %s-at-us=%" G_GINT64_FORMAT "\n", what, g_get_real_time ());
}

char *
mer_ui_format_day (const char *instant)
{
  g_autoptr(GDateTime) when = instant != NULL ? mer_schedule_parse_instant (instant, NULL) : NULL;
  /* Translators: a date, see g_date_time_format(); "3 March 2026". */
  g_autofree char *text = when != NULL ? g_date_time_format (when, _("%-d %B %Y")) : NULL;

  return text != NULL ? g_strdup (g_strstrip (text)) : g_strdup ("");
}

char *
mer_ui_format_utc (const char *instant)
{
  g_autoptr(GDateTime) when = instant != NULL ? mer_schedule_parse_instant (instant, NULL) : NULL;

  return when != NULL ? g_date_time_format (when, "%a %-d %b %Y %H:%M UTC") : g_strdup (_("none"));
}

char *
mer_ui_person_name (MerStore   *store,
                    const char *id,
                    const char *nobody)
{
  g_autoptr(JsonObject) person = NULL;

  if (id == NULL)
    return g_strdup (nobody);
  person = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);
  if (person != NULL && mer_json_get_string (person, "name") != NULL)
    return g_strdup (mer_json_get_string (person, "name"));
  return g_strdup (g_str_has_prefix (id, "person:") ? id + 7 : id);
}

GtkWidget *
mer_ui_wrapped_label (const char *text,
                      const char *css)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (css != NULL)
    gtk_widget_add_css_class (label, css);
  return label;
}

/*
 * Ends every scroll animation under @root where it stands. A widget taken
 * out of its window while its scrolled window still animates (a text view
 * scrolling to the cursor after a paste) makes GTK 4.8 settle the
 * animation from the unmap, whose value-changed handlers end it a second
 * time: GTK then warns about disconnecting handler 0. Ended first, there
 * is nothing left to settle.
 */
void
mer_ui_settle_scrolling (GtkWidget *root)
{
  if (root == NULL)
    return;
  if (GTK_IS_SCROLLED_WINDOW (root))
    {
      GtkAdjustment *adjustments[] = { gtk_scrolled_window_get_hadjustment (GTK_SCROLLED_WINDOW (root)),
                                       gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (root)) };

      for (guint i = 0; i < G_N_ELEMENTS (adjustments); i++)
        if (adjustments[i] != NULL)
          gtk_adjustment_set_value (adjustments[i], gtk_adjustment_get_value (adjustments[i]));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    mer_ui_settle_scrolling (child);
}

GtkWidget *
mer_ui_find_named (GtkWidget  *root,
                   const char *name)
{
  if (root == NULL)
    return NULL;
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = mer_ui_find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

char *
mer_ui_text_view_get_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

GtkWindow *
mer_ui_get_window (GtkWidget *widget)
{
  GtkRoot *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

void
mer_ui_show_error (GtkWidget  *widget,
                   const char *heading,
                   const char *message)
{
  GtkWidget *alert = adw_message_dialog_new (mer_ui_get_window (widget), heading, message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (alert), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (alert));
}

/*
 * GTK 4.8 reads a list row by its accessible label alone, not by the
 * labels inside it: a row without one is announced as an empty item.
 */
void
mer_ui_name_row (GtkWidget  *row,
                 const char *title,
                 const char *detail)
{
  g_autofree char *name = NULL;

  g_return_if_fail (GTK_IS_WIDGET (row));

  if (title == NULL || *title == '\0')
    return;
  if (detail != NULL && *detail != '\0')
    /* Translators: the name a screen reader says for a list row,
     * "Weekly updates, Closes in 2 days". */
    name = g_strdup_printf (_("%s, %s"), title, detail);
  else
    name = g_strdup (title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void
mer_ui_name_mnemonic_button (GtkWidget *button)
{
  const char *label;
  GString *name;

  g_return_if_fail (GTK_IS_BUTTON (button));

  label = gtk_button_get_label (GTK_BUTTON (button));
  if (label == NULL)
    return;
  name = g_string_new (NULL);
  for (const char *p = label; *p != '\0'; p++)
    {
      /* "__" is a literal underscore; a single one marks the mnemonic. */
      if (*p == '_')
        {
          if (p[1] != '_')
            continue;
          p++;
        }
      g_string_append_c (name, *p);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name->str, -1);
  g_string_free (name, TRUE);
}

void
mer_ui_name_inner_button (GtkWidget  *widget,
                          const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_BUTTON (child))
      gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

void
mer_ui_name_icon_buttons (GtkWidget  *root,
                          const char *fallback)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_label (GTK_BUTTON (child)) == NULL)
        {
          const char *tooltip = gtk_widget_get_tooltip_text (child);

          gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          tooltip != NULL ? tooltip : fallback, -1);
        }
      mer_ui_name_icon_buttons (child, fallback);
    }
}
