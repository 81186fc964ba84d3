/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The user's own profile. Which person document is "me" lives in the local
 * document _local/profile (never synced); the person document itself is an
 * ordinary document, so the team sees the zone and hours after a sync.
 */

#include "config.h"

#include "mer-profile-dialog.h"

#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"

#include <glib/gi18n.h>
#include <string.h>

static const char * const weekday_keys[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

struct _MerProfileDialog
{
  AdwPreferencesWindow  parent_instance;

  AdwComboRow          *person_row;
  AdwEntryRow          *name_row;
  AdwEntryRow          *tz_row;
  AdwEntryRow          *note_row;
  AdwPreferencesGroup  *work_group;
  AdwPreferencesGroup  *focus_group;
  AdwPreferencesGroup  *away_group;
  AdwEntryRow          *away_entry;
  GtkWidget            *save_button;

  AdwEntryRow          *work_rows[7];
  AdwEntryRow          *focus_rows[7];
  GPtrArray            *away_rows;    /* the rows showing self->away */
  JsonArray            *away;         /* [{from, to, note}] being edited */

  MerStore             *store;
  GPtrArray            *person_ids;   /* char*, in the order of person_row; last is "new" */
};

G_DEFINE_FINAL_TYPE (MerProfileDialog, mer_profile_dialog, ADW_TYPE_PREFERENCES_WINDOW)

static const char *
weekday_title (guint i)
{
  switch (i)
    {
    case 0: return _("Monday");
    case 1: return _("Tuesday");
    case 2: return _("Wednesday");
    case 3: return _("Thursday");
    case 4: return _("Friday");
    case 5: return _("Saturday");
    default: return _("Sunday");
    }
}

static char *
system_zone (void)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  const char *id = g_time_zone_get_identifier (local);

  return g_strdup (id != NULL && *id != ':' ? id : "UTC");
}

static void
set_row_error (AdwEntryRow *row,
               gboolean     error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

/* Editing a field clears its error until the next save checks again. */
static void
row_changed_cb (GtkEditable *editable)
{
  set_row_error (ADW_ENTRY_ROW (editable), FALSE);
}

static void remove_away_clicked_cb (GtkButton *button, MerProfileDialog *self);

static void
rebuild_away_rows (MerProfileDialog *self)
{
  for (guint i = 0; i < self->away_rows->len; i++)
    adw_preferences_group_remove (self->away_group, g_ptr_array_index (self->away_rows, i));
  g_ptr_array_set_size (self->away_rows, 0);

  for (guint i = 0; i < json_array_get_length (self->away); i++)
    {
      JsonObject *period = json_array_get_object_element (self->away, i);
      const char *from = mer_json_get_string (period, "from");
      const char *to = mer_json_get_string (period, "to");
      const char *note = mer_json_get_string (period, "note");
      g_autofree char *title = g_strdup_printf ("%s – %s", from, to ? to : from);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      if (note != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), note);
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove"));
      {
        /* Translators: accessible name of the button that removes an away
         * period, "Remove 2026-12-20 – 2027-01-03". */
        g_autofree char *accessible = g_strdup_printf (_("Remove %s"), title);

        gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
      }
      g_object_set_data (G_OBJECT (remove), "index", GUINT_TO_POINTER (i));
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_away_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_preferences_group_add (self->away_group, row);
      g_ptr_array_add (self->away_rows, row);
    }
}

static void
remove_away_clicked_cb (GtkButton        *button,
                        MerProfileDialog *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index"));

  if (index < json_array_get_length (self->away))
    json_array_remove_element (self->away, index);
  rebuild_away_rows (self);
}

/* "2026-12-21 to 2027-01-03 Holidays", "2026-12-24", "2026-12-24 – 2026-12-26". */
static JsonObject *
parse_away_text (const char *text)
{
  g_autoptr(GString) clean = g_string_new (text);
  g_auto(GStrv) words = NULL;
  g_autoptr(JsonObject) period = json_object_new ();
  g_autoptr(JsonObject) probe = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MerSchedule) schedule = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GString) note = g_string_new (NULL);
  guint i = 0;

  g_string_replace (clean, "–", " ", 0);
  words = g_strsplit_set (g_strstrip (clean->str), " \t", -1);
  while (words[i] != NULL && *words[i] == '\0')
    i++;
  if (words[i] == NULL)
    return NULL;
  json_object_set_string_member (period, "from", words[i]);
  json_object_set_string_member (period, "to", words[i]);
  i++;
  while (words[i] != NULL && (*words[i] == '\0' || g_strcmp0 (words[i], "to") == 0 || g_strcmp0 (words[i], "-") == 0))
    i++;
  if (words[i] != NULL && strlen (words[i]) == 10 && g_ascii_isdigit (words[i][0]) && words[i][4] == '-')
    json_object_set_string_member (period, "to", words[i++]);
  for (; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_string_append_printf (note, "%s%s", note->len ? " " : "", words[i]);
  if (note->len > 0)
    json_object_set_string_member (period, "note", note->str);

  /* The schedule parser is the judge of what a valid period is. */
  probe = json_object_new ();
  json_object_set_string_member (probe, "tz", "UTC");
  node = json_node_init_object (json_node_alloc (), period);
  {
    JsonArray *list = json_array_new ();

    json_array_add_element (list, json_node_copy (node));
    json_object_set_array_member (probe, "away", list);
  }
  schedule = mer_schedule_new_from_person (probe, &error);
  if (schedule == NULL)
    return NULL;
  return g_steal_pointer (&period);
}

static void
away_apply_cb (MerProfileDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->away_entry));
  g_autoptr(JsonObject) period = parse_away_text (text);

  set_row_error (self->away_entry, period == NULL);
  if (period == NULL)
    return;
  json_array_add_object_element (self->away, g_steal_pointer (&period));
  gtk_editable_set_text (GTK_EDITABLE (self->away_entry), "");
  rebuild_away_rows (self);
}

static void
load_person (MerProfileDialog *self,
             const char       *person_id)
{
  g_autoptr(JsonObject) doc = NULL;
  JsonObject *work = NULL;
  JsonObject *focus = NULL;
  JsonArray *away = NULL;
  g_autofree char *zone = NULL;

  if (person_id != NULL)
    doc = mer_store_get_doc (self->store, person_id, NULL, MER_GET_DEFAULT, NULL);

  if (doc != NULL)
    {
      const char *tz = mer_json_get_string (doc, "tz");
      const char *note = mer_json_get_string (doc, "status_note");

      gtk_editable_set_text (GTK_EDITABLE (self->name_row), mer_json_get_string (doc, "name") ?: "");
      zone = tz != NULL ? g_strdup (tz) : system_zone ();
      gtk_editable_set_text (GTK_EDITABLE (self->note_row), note ? note : "");
      if (json_object_has_member (doc, "work") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (doc, "work")))
        work = json_object_get_object_member (doc, "work");
      if (json_object_has_member (doc, "focus") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (doc, "focus")))
        focus = json_object_get_object_member (doc, "focus");
      if (json_object_has_member (doc, "away") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (doc, "away")))
        away = json_object_get_array_member (doc, "away");
    }
  else
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->note_row), "");
      zone = system_zone ();
    }
  gtk_editable_set_text (GTK_EDITABLE (self->tz_row), zone);

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *work_text = NULL;
      g_autofree char *focus_text = NULL;

      if (doc == NULL)
        work_text = g_strdup (i < 5 ? "09:00–17:00" : "");
      else if (work != NULL && json_object_has_member (work, weekday_keys[i]))
        work_text = mer_schedule_format_ranges (json_object_get_array_member (work, weekday_keys[i]));
      if (focus != NULL && json_object_has_member (focus, weekday_keys[i]))
        focus_text = mer_schedule_format_ranges (json_object_get_array_member (focus, weekday_keys[i]));
      gtk_editable_set_text (GTK_EDITABLE (self->work_rows[i]), work_text ? work_text : "");
      gtk_editable_set_text (GTK_EDITABLE (self->focus_rows[i]), focus_text ? focus_text : "");
      set_row_error (self->work_rows[i], FALSE);
      set_row_error (self->focus_rows[i], FALSE);
    }

  g_clear_pointer (&self->away, json_array_unref);
  self->away = json_array_new ();
  for (guint i = 0; away != NULL && i < json_array_get_length (away); i++)
    json_array_add_element (self->away, json_node_copy (json_array_get_element (away, i)));
  rebuild_away_rows (self);
}

static const char *
selected_person_id (MerProfileDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->person_row);

  if (selected == GTK_INVALID_LIST_POSITION || selected >= self->person_ids->len)
    return NULL;
  return g_ptr_array_index (self->person_ids, selected);
}

static void
person_selected_cb (MerProfileDialog *self)
{
  load_person (self, selected_person_id (self));
}

/* "Ana María" -> "person:ana-maria"-ish: ASCII, lower case, unique. */
static char *
new_person_id (MerProfileDialog *self,
               const char       *name)
{
  g_autofree char *ascii = g_str_to_ascii (name, NULL);
  g_autoptr(GString) slug = g_string_new (NULL);

  for (const char *p = ascii; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (slug, g_ascii_tolower (*p));
      else if (slug->len > 0 && slug->str[slug->len - 1] != '-')
        g_string_append_c (slug, '-');
    }
  while (slug->len > 0 && slug->str[slug->len - 1] == '-')
    g_string_truncate (slug, slug->len - 1);
  if (slug->len == 0)
    g_string_append (slug, "me");

  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *id = n == 1 ? g_strdup_printf ("person:%s", slug->str)
                                   : g_strdup_printf ("person:%s-%u", slug->str, n);
      g_autoptr(JsonObject) existing = mer_store_get_doc (self->store, id, NULL, MER_GET_DEFAULT, NULL);

      if (existing == NULL)
        return g_steal_pointer (&id);
    }
  return NULL;
}

static JsonObject *
read_week (MerProfileDialog  *self,
           AdwEntryRow      **rows,
           GError           **error)
{
  g_autoptr(JsonObject) week = json_object_new ();
  gboolean ok = TRUE;

  for (guint i = 0; i < 7; i++)
    {
      g_autoptr(GError) row_error = NULL;
      JsonArray *ranges = mer_schedule_parse_ranges (gtk_editable_get_text (GTK_EDITABLE (rows[i])), &row_error);

      set_row_error (rows[i], ranges == NULL);
      if (ranges == NULL)
        {
          if (ok)
            g_propagate_prefixed_error (error, g_steal_pointer (&row_error), "%s: ", weekday_title (i));
          ok = FALSE;
          continue;
        }
      json_object_set_array_member (week, weekday_keys[i], ranges);
    }
  return ok ? g_steal_pointer (&week) : NULL;
}

gboolean
mer_profile_dialog_save (MerProfileDialog  *self,
                         GError           **error)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *tz = gtk_editable_get_text (GTK_EDITABLE (self->tz_row));
  const char *note = gtk_editable_get_text (GTK_EDITABLE (self->note_row));
  const char *person_id = selected_person_id (self);
  g_autoptr(GTimeZone) zone = NULL;
  g_autoptr(JsonObject) work = NULL;
  g_autoptr(JsonObject) focus = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *id = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (name));

  g_return_val_if_fail (MER_IS_PROFILE_DIALOG (self), FALSE);

  /* Check everything before writing anything. */
  set_row_error (self->name_row, *stripped == '\0');
  if (*stripped == '\0')
    {
      g_set_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID, _("Your name is empty"));
      return FALSE;
    }
  /* Says whether the name is unknown or the system lacks tzdata. */
  zone = mer_schedule_load_zone (tz, error);
  set_row_error (self->tz_row, zone == NULL);
  if (zone == NULL)
    return FALSE;
  work = read_week (self, self->work_rows, error);
  if (work == NULL)
    return FALSE;
  focus = read_week (self, self->focus_rows, error);
  if (focus == NULL)
    return FALSE;

  if (person_id != NULL)
    doc = mer_store_get_doc (self->store, person_id, NULL, MER_GET_DEFAULT, NULL);
  if (doc == NULL)
    {
      id = new_person_id (self, stripped);
      doc = json_object_new ();
      json_object_set_string_member (doc, "_id", id);
      json_object_set_null_member (doc, "focus_until");
    }
  else
    id = g_strdup (person_id);

  json_object_set_string_member (doc, "type", "person");
  json_object_set_string_member (doc, "name", stripped);
  json_object_set_string_member (doc, "tz", tz);
  json_object_set_object_member (doc, "work", g_steal_pointer (&work));
  json_object_set_object_member (doc, "focus", g_steal_pointer (&focus));
  json_object_set_array_member (doc, "away", json_array_ref (self->away));
  if (note != NULL && *note != '\0')
    json_object_set_string_member (doc, "status_note", note);
  else
    json_object_set_null_member (doc, "status_note");

  rev = mer_store_put_doc (self->store, doc, error);
  if (rev == NULL)
    return FALSE;
  return mer_schedule_set_me (self->store, id, error);
}

static void
save_clicked_cb (MerProfileDialog *self)
{
  g_autoptr(GError) error = NULL;

  if (!mer_profile_dialog_save (self, &error))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

static void
fill_people (MerProfileDialog *self)
{
  g_autoptr(JsonArray) docs = mer_store_list_docs (self->store, "person", NULL);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *me = mer_schedule_get_me (self->store);
  guint selected = 0;

  g_ptr_array_set_size (self->person_ids, 0);
  for (guint i = 0; docs != NULL && i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);
      const char *id = mer_json_get_string (doc, "_id");
      const char *name = mer_json_get_string (doc, "name");

      if (id == NULL)
        continue;
      if (g_strcmp0 (id, me) == 0)
        selected = self->person_ids->len;
      g_ptr_array_add (self->person_ids, g_strdup (id));
      gtk_string_list_append (names, name ? name : id);
    }
  /* With no "me" yet, start on "New person" rather than someone else. */
  if (me == NULL)
    selected = self->person_ids->len;
  g_ptr_array_add (self->person_ids, NULL);
  gtk_string_list_append (names, _("New Person"));

  g_signal_handlers_block_by_func (self->person_row, person_selected_cb, self);
  adw_combo_row_set_model (self->person_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->person_row, selected);
  g_signal_handlers_unblock_by_func (self->person_row, person_selected_cb, self);
  load_person (self, selected_person_id (self));
}

static void
mer_profile_dialog_dispose (GObject *object)
{
  MerProfileDialog *self = MER_PROFILE_DIALOG (object);

  g_clear_object (&self->store);
  G_OBJECT_CLASS (mer_profile_dialog_parent_class)->dispose (object);
}

static void
mer_profile_dialog_finalize (GObject *object)
{
  MerProfileDialog *self = MER_PROFILE_DIALOG (object);

  g_clear_pointer (&self->person_ids, g_ptr_array_unref);
  g_clear_pointer (&self->away_rows, g_ptr_array_unref);
  g_clear_pointer (&self->away, json_array_unref);
  G_OBJECT_CLASS (mer_profile_dialog_parent_class)->finalize (object);
}

static void
mer_profile_dialog_class_init (MerProfileDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_profile_dialog_dispose;
  object_class->finalize = mer_profile_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-profile-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, person_row);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, tz_row);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, note_row);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, work_group);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, focus_group);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, away_group);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, away_entry);
  gtk_widget_class_bind_template_child (widget_class, MerProfileDialog, save_button);
  gtk_widget_class_bind_template_callback (widget_class, away_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
}

static void
mer_profile_dialog_init (MerProfileDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->person_ids = g_ptr_array_new_with_free_func (g_free);
  self->away_rows = g_ptr_array_new ();
  self->away = json_array_new ();

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *work_name = g_strconcat ("work-", weekday_keys[i], NULL);
      g_autofree char *focus_name = g_strconcat ("focus-", weekday_keys[i], NULL);

      self->work_rows[i] = ADW_ENTRY_ROW (adw_entry_row_new ());
      gtk_widget_set_name (GTK_WIDGET (self->work_rows[i]), work_name);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->work_rows[i]), weekday_title (i));
      adw_preferences_group_add (self->work_group, GTK_WIDGET (self->work_rows[i]));
      self->focus_rows[i] = ADW_ENTRY_ROW (adw_entry_row_new ());
      gtk_widget_set_name (GTK_WIDGET (self->focus_rows[i]), focus_name);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->focus_rows[i]), weekday_title (i));
      adw_preferences_group_add (self->focus_group, GTK_WIDGET (self->focus_rows[i]));
    }
  g_signal_connect_swapped (self->person_row, "notify::selected", G_CALLBACK (person_selected_cb), self);
  for (guint i = 0; i < 7; i++)
    {
      g_signal_connect (self->work_rows[i], "changed", G_CALLBACK (row_changed_cb), NULL);
      g_signal_connect (self->focus_rows[i], "changed", G_CALLBACK (row_changed_cb), NULL);
    }
  g_signal_connect (self->name_row, "changed", G_CALLBACK (row_changed_cb), NULL);
  g_signal_connect (self->tz_row, "changed", G_CALLBACK (row_changed_cb), NULL);
  g_signal_connect (self->away_entry, "changed", G_CALLBACK (row_changed_cb), NULL);
}

MerProfileDialog *
mer_profile_dialog_new (MerStore *store)
{
  MerProfileDialog *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_PROFILE_DIALOG, NULL);
  self->store = g_object_ref (store);
  fill_people (self);
  return self;
}

void
mer_profile_dialog_present (GtkWidget *parent,
                            MerStore  *store)
{
  MerProfileDialog *self = mer_profile_dialog_new (store);
  GtkRoot *root = parent != NULL ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (self));
}
