/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Team view: what time it is for each teammate, who is working, who is
 * in deep work and must not be interrupted, and when the team overlaps.
 * Everything is recomputed from the person documents whenever the replica
 * changes, so a teammate's focus arrives here with the sync that brings it.
 */

#include "config.h"

#include "mer-team-view.h"

#include "mer-json.h"
#include "mer-profile-dialog.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-timeline.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

struct _MerTeamView
{
  GtkWidget    parent_instance;

  GtkWidget   *scroller;
  GtkLabel    *day_label;
  GtkLabel    *banner_label;
  GtkBox      *timeline_box;
  GtkListBox  *list;
  GtkWidget   *today_button;

  MerStore    *store;
  MerTimeline *timeline;
  GPtrArray   *summaries;    /* char*, one per row, for tests and a11y */
  GHashTable  *rows;         /* person id -> GtkListBoxRow (borrowed) */
  char        *focus_id;     /* a person to bring into view after reload */
  GDateTime   *day;          /* the shown day (noon, viewer's zone) or NULL for today */
  guint        tick_id;      /* redraws the clocks while the view is shown */
  guint        reload_id;    /* an idle reload, coalescing bursts of writes */
  gboolean     stale;        /* the replica changed while the view was hidden */
  gint64       last_tick;    /* when the clocks were last redrawn, monotonic µs */
};

/* How often the clocks are redrawn. */
#define CLOCK_TICK_SECONDS 30

G_DEFINE_FINAL_TYPE (MerTeamView, mer_team_view, GTK_TYPE_WIDGET)

static gint
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode * const *) a);
  JsonObject *y = json_node_get_object (*(JsonNode * const *) b);
  const char *nx = mer_json_get_string (x, "name");
  const char *ny = mer_json_get_string (y, "name");
  g_autofree char *kx = g_utf8_collate_key (nx ? nx : "", -1);
  g_autofree char *ky = g_utf8_collate_key (ny ? ny : "", -1);
  int cmp = strcmp (kx, ky);

  return cmp != 0 ? cmp : g_strcmp0 (mer_json_get_string (x, "_id"), mer_json_get_string (y, "_id"));
}

static const char *
status_css_class (MerStatus status)
{
  switch (status)
    {
    case MER_STATUS_FOCUS:
      return "focus";
    case MER_STATUS_WORKING:
      return "working";
    case MER_STATUS_AWAY:
      return "away";
    case MER_STATUS_OFF:
      return "off";
    case MER_STATUS_UNKNOWN:
    default:
      return "unknown";
    }
}

static GtkWidget *
make_label (const char *text,
            const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/*
 * One row: a status dot, the name, their wall clock and date, their offset
 * and zone, and the status in words (with the person's own note, if any).
 */
static GtkWidget *
make_row (MerTeamView *self,
          JsonObject  *doc,
          MerSchedule *schedule,
          GError      *error,
          gboolean     is_me,
          GDateTime   *now)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *dot = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  const char *id = mer_json_get_string (doc, "_id");
  const char *name = mer_json_get_string (doc, "name");
  const char *tz = mer_json_get_string (doc, "tz");
  g_autofree char *title = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *zone = NULL;
  g_autofree char *status_text = NULL;
  GtkWidget *name_label, *clock_label, *zone_label, *status_label;
  MerStatus status = MER_STATUS_UNKNOWN;

  if (name == NULL)
    name = id;
  title = is_me ? g_strdup_printf (_("%s (you)"), name) : g_strdup (name);

  if (schedule != NULL)
    {
      g_autoptr(GDateTime) local = mer_schedule_local_time (schedule, now);
      g_autofree char *offset = mer_schedule_format_offset (local);
      const char *note = mer_schedule_get_status_note (schedule);
      g_autofree char *words = is_me ? mer_schedule_describe_own_status (schedule, now)
                                     : mer_schedule_describe_status (schedule, now);

      status = mer_schedule_status_at (schedule, now, NULL);
      /* Translators: a teammate's wall clock: "09:15, Mon 23 Nov" */
      clock = g_date_time_format (local, _("%H:%M, %a %-d %b"));
      zone = g_strdup_printf ("UTC%s · %s", offset, tz);
      status_text = note != NULL && *note != '\0' ? g_strdup_printf ("%s — %s", words, note)
                                                  : g_steal_pointer (&words);
    }
  else
    {
      clock = g_strdup ("—");
      zone = g_strdup (tz ? tz : _("No time zone"));
      /* Never a silent guess: say the zone is wrong, and which. */
      if (tz != NULL && *tz != '\0' && g_error_matches (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE))
        status_text = g_strdup_printf (_("Unknown time zone “%s”"), tz);
      else
        status_text = g_strdup (error != NULL ? error->message : _("No time zone"));
    }

  gtk_widget_add_css_class (dot, "mer-status-dot");
  gtk_widget_add_css_class (dot, status_css_class (status));
  gtk_widget_set_valign (dot, GTK_ALIGN_START);
  gtk_widget_set_margin_top (dot, 6);
  gtk_widget_set_size_request (dot, 10, 10);

  name_label = make_label (title, "heading");
  gtk_widget_set_hexpand (name_label, TRUE);
  clock_label = make_label (clock, "numeric");
  gtk_label_set_wrap (GTK_LABEL (clock_label), FALSE);
  gtk_widget_set_halign (clock_label, GTK_ALIGN_END);
  zone_label = make_label (zone, "dim-label");
  gtk_widget_add_css_class (zone_label, "caption");
  status_label = make_label (status_text, "mer-status");
  gtk_widget_add_css_class (status_label, status_css_class (status));

  gtk_box_append (GTK_BOX (top), name_label);
  gtk_box_append (GTK_BOX (top), clock_label);
  gtk_box_append (GTK_BOX (vbox), top);
  gtk_box_append (GTK_BOX (vbox), zone_label);
  gtk_box_append (GTK_BOX (vbox), status_label);
  gtk_widget_set_hexpand (vbox, TRUE);
  gtk_box_append (GTK_BOX (hbox), dot);
  gtk_box_append (GTK_BOX (hbox), vbox);
  gtk_widget_set_margin_top (hbox, 10);
  gtk_widget_set_margin_bottom (hbox, 10);
  gtk_widget_set_margin_start (hbox, 12);
  gtk_widget_set_margin_end (hbox, 12);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), hbox);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, TRUE);

  g_ptr_array_add (self->summaries, g_strdup_printf ("%s\t%s\t%s\t%s", title, clock, zone, status_text));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  g_ptr_array_index (self->summaries, self->summaries->len - 1), -1);
  return row;
}

static GTimeZone *
viewer_zone (MerTeamView *self,
             MerSchedule *me)
{
  if (me != NULL)
    return g_time_zone_ref (mer_schedule_get_timezone (me));
  return g_time_zone_new_local ();
}

static void
update_day_label (MerTeamView *self,
                  GDateTime   *now,
                  GTimeZone   *zone)
{
  g_autoptr(GDateTime) today = g_date_time_to_timezone (now, zone);
  GDateTime *day = mer_timeline_get_day (self->timeline);
  g_autofree char *date = g_date_time_format (day, _("%A %-d %B"));
  g_autofree char *label = NULL;
  gint ty, tm, td, y, m, d;
  GDate a, b;
  int diff;

  g_date_time_get_ymd (today, &ty, &tm, &td);
  g_date_time_get_ymd (day, &y, &m, &d);
  g_date_clear (&a, 1);
  g_date_clear (&b, 1);
  g_date_set_dmy (&a, td, tm, ty);
  g_date_set_dmy (&b, d, m, y);
  diff = g_date_days_between (&a, &b);
  if (diff == 0)
    label = g_strdup_printf (_("Today, %s"), date);
  else if (diff == 1)
    label = g_strdup_printf (_("Tomorrow, %s"), date);
  else if (diff == -1)
    label = g_strdup_printf (_("Yesterday, %s"), date);
  else
    label = g_steal_pointer (&date);
  gtk_label_set_label (self->day_label, label);
  gtk_widget_set_sensitive (self->today_button, diff != 0);
}

void
mer_team_view_reload (MerTeamView *self)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = NULL;
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GPtrArray) schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_schedule_unref);
  g_autoptr(MerSchedule) me = NULL;
  g_autoptr(GTimeZone) zone = NULL;
  g_autofree char *me_id = NULL;
  GtkWidget *child;

  g_return_if_fail (MER_IS_TEAM_VIEW (self));

  self->stale = FALSE;
  self->last_tick = g_get_monotonic_time ();
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_ptr_array_set_size (self->summaries, 0);
  g_hash_table_remove_all (self->rows);

  docs = mer_store_list_docs (self->store, "person", &error);
  if (docs == NULL)
    {
      g_warning ("Could not list people: %s", error->message);
      return;
    }
  for (guint i = 0; i < json_array_get_length (docs); i++)
    if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (docs, i)))
      g_ptr_array_add (people, json_node_ref (json_array_get_element (docs, i)));
  g_ptr_array_sort (people, compare_by_name);

  me_id = mer_schedule_get_me (self->store);
  for (guint i = 0; i < people->len; i++)
    {
      JsonObject *doc = json_node_get_object (g_ptr_array_index (people, i));
      g_autoptr(GError) person_error = NULL;
      g_autoptr(MerSchedule) schedule = mer_schedule_new_from_person (doc, &person_error);
      gboolean is_me = me_id != NULL && g_strcmp0 (me_id, mer_json_get_string (doc, "_id")) == 0;

      GtkWidget *row = make_row (self, doc, schedule, person_error, is_me, now);

      gtk_list_box_append (self->list, row);
      if (mer_json_get_string (doc, "_id") != NULL)
        g_hash_table_insert (self->rows, g_strdup (mer_json_get_string (doc, "_id")), row);
      if (schedule != NULL)
        {
          if (is_me)
            me = mer_schedule_ref (schedule);
          g_ptr_array_add (schedules, g_steal_pointer (&schedule));
        }
    }

  if (people->len == 0)
    {
      GtkWidget *empty = make_label (_("No teammates yet. People appear here when their profiles sync."), "dim-label");

      gtk_widget_set_margin_top (empty, 18);
      gtk_widget_set_margin_bottom (empty, 18);
      gtk_widget_set_margin_start (empty, 12);
      gtk_widget_set_margin_end (empty, 12);
      gtk_list_box_append (self->list, empty);
    }

  /* The banner says what focus means for this app: notifications wait. */
  if (me != NULL && mer_schedule_in_focus (me, now))
    {
      g_autoptr(GDateTime) next = NULL;
      g_autofree char *text = NULL;

      mer_schedule_status_at (me, now, &next);
      if (next != NULL)
        {
          g_autoptr(GDateTime) local = mer_schedule_local_time (me, next);
          /* Translators: a time of day, see g_date_time_format(); "15:30". */
          g_autofree char *until = g_date_time_format (local, _("%H:%M"));

          text = g_strdup_printf (_("You are in deep work until %s. Notifications wait until then."), until);
        }
      else
        text = g_strdup (_("You are in deep work. Notifications wait until you end it."));
      gtk_label_set_label (self->banner_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->banner_label), TRUE);
    }
  else
    {
      gtk_label_set_label (self->banner_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->banner_label), FALSE);
    }

  zone = viewer_zone (self, me);
  mer_timeline_set_zone (self->timeline, zone);
  mer_timeline_set_schedules (self->timeline, schedules);
  mer_timeline_set_now (self->timeline, now);
  mer_timeline_set_day (self->timeline, self->day != NULL ? self->day : now);
  update_day_label (self, now, zone);

  if (self->focus_id != NULL)
    {
      GtkWidget *row = g_hash_table_lookup (self->rows, self->focus_id);

      if (row != NULL)
        gtk_widget_grab_focus (row);
    }
}

static gboolean
reload_idle_cb (gpointer user_data)
{
  MerTeamView *self = user_data;

  self->reload_id = 0;
  mer_team_view_reload (self);
  return G_SOURCE_REMOVE;
}

/*
 * A burst of writes (an import, a sync) becomes one reload. The store's
 * "changed" also fires for documents pulled through the replicator's own
 * connection (the application makes it watch other connections), so this
 * is the only way the view learns of them. While the view is not shown it
 * only remembers to reload when it is.
 */
static void
store_changed_cb (MerTeamView *self)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->stale = TRUE;
      return;
    }
  if (self->reload_id == 0)
    self->reload_id = g_idle_add (reload_idle_cb, self);
}

static void
map_cb (MerTeamView *self)
{
  if (self->stale || g_get_monotonic_time () - self->last_tick >= CLOCK_TICK_SECONDS * G_USEC_PER_SEC)
    mer_team_view_reload (self);
}

/* The clocks and the "now" line move on while the view is shown. */
static gboolean
clock_tick_cb (gpointer user_data)
{
  MerTeamView *self = user_data;

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    mer_team_view_reload (self);
  return G_SOURCE_CONTINUE;
}

static void
shift_day (MerTeamView *self,
           int          days)
{
  GDateTime *shown = mer_timeline_get_day (self->timeline);
  GDateTime *next;

  if (shown == NULL)
    return;
  next = g_date_time_add_days (shown, days);
  g_clear_pointer (&self->day, g_date_time_unref);
  self->day = next;
  mer_team_view_reload (self);
}

static void
previous_day_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  shift_day (MER_TEAM_VIEW (widget), -1);
}

static void
next_day_cb (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  shift_day (MER_TEAM_VIEW (widget), 1);
}

static void
today_cb (GtkWidget  *widget,
          const char *action_name,
          GVariant   *parameter)
{
  MerTeamView *self = MER_TEAM_VIEW (widget);

  g_clear_pointer (&self->day, g_date_time_unref);
  mer_team_view_reload (self);
}

static void
show_toast (MerTeamView *self,
            const char  *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

/* Sets or ends the user's focus; the store's "changed" signal redraws. */
static void
focus_cb (GtkWidget  *widget,
          const char *action_name,
          GVariant   *parameter)
{
  MerTeamView *self = MER_TEAM_VIEW (widget);
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autofree char *me = mer_schedule_get_me (self->store);
  guint minutes = g_variant_get_uint32 (parameter);

  if (me == NULL)
    {
      mer_profile_dialog_present (GTK_WIDGET (self), self->store);
      return;
    }
  if (!mer_schedule_set_user_focus (self->store, now, minutes, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not change focus: %s"), error->message);

      show_toast (self, text);
      return;
    }
  mer_team_view_reload (self);
  if (minutes > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "Focus for %u minute. Teammates see it when they sync.",
                                                             "Focus for %u minutes. Teammates see it when they sync.",
                                                             minutes), minutes);
      show_toast (self, text);
    }
  else
    show_toast (self, _("Focus ended"));
}

/* The window's "open this document" for person documents: show their row. */
static void
open_doc_cb (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MerTeamView *self = MER_TEAM_VIEW (widget);
  GtkWidget *row;

  g_free (self->focus_id);
  self->focus_id = g_variant_dup_string (parameter, NULL);
  row = g_hash_table_lookup (self->rows, self->focus_id);
  if (row != NULL)
    gtk_widget_grab_focus (row);
}

static void
profile_cb (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  MerTeamView *self = MER_TEAM_VIEW (widget);

  mer_profile_dialog_present (GTK_WIDGET (self), self->store);
}

static void
ensure_css (void)
{
  static gboolean done;
  g_autoptr(GtkCssProvider) provider = NULL;

  if (done || gdk_display_get_default () == NULL)
    return;
  done = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, APP_RESOURCE_PATH "/mer-team-view.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
mer_team_view_dispose (GObject *object)
{
  MerTeamView *self = MER_TEAM_VIEW (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_TEAM_VIEW);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (mer_team_view_parent_class)->dispose (object);
}

static void
mer_team_view_finalize (GObject *object)
{
  MerTeamView *self = MER_TEAM_VIEW (object);

  g_clear_pointer (&self->summaries, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_free (self->focus_id);
  g_clear_pointer (&self->day, g_date_time_unref);
  G_OBJECT_CLASS (mer_team_view_parent_class)->finalize (object);
}

static void
mer_team_view_class_init (MerTeamViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_team_view_dispose;
  object_class->finalize = mer_team_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-team-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MerTeamView, scroller);
  gtk_widget_class_bind_template_child (widget_class, MerTeamView, day_label);
  gtk_widget_class_bind_template_child (widget_class, MerTeamView, banner_label);
  gtk_widget_class_bind_template_child (widget_class, MerTeamView, timeline_box);
  gtk_widget_class_bind_template_child (widget_class, MerTeamView, list);
  gtk_widget_class_bind_template_child (widget_class, MerTeamView, today_button);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-team-view");

  gtk_widget_class_install_action (widget_class, "team.previous-day", NULL, previous_day_cb);
  gtk_widget_class_install_action (widget_class, "team.next-day", NULL, next_day_cb);
  gtk_widget_class_install_action (widget_class, "team.today", NULL, today_cb);
  gtk_widget_class_install_action (widget_class, "team.focus", "u", focus_cb);
  gtk_widget_class_install_action (widget_class, "team.profile", NULL, profile_cb);
  gtk_widget_class_install_action (widget_class, "section.open-doc", "s", open_doc_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "team.previous-day", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_ALT_MASK, "team.next-day", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, GDK_ALT_MASK, "team.today", NULL);
}

static void
mer_team_view_init (MerTeamView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ensure_css ();
  self->summaries = g_ptr_array_new_with_free_func (g_free);
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->timeline = MER_TIMELINE (mer_timeline_new ());
  gtk_widget_set_margin_top (GTK_WIDGET (self->timeline), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->timeline), 8);
  gtk_widget_set_margin_start (GTK_WIDGET (self->timeline), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (self->timeline), 12);
  gtk_box_append (self->timeline_box, GTK_WIDGET (self->timeline));
}

GtkWidget *
mer_team_view_new (MerStore *store)
{
  MerTeamView *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_TEAM_VIEW, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "changed", G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
  self->tick_id = g_timeout_add_seconds (CLOCK_TICK_SECONDS, clock_tick_cb, self);
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);
  mer_team_view_reload (self);
  return GTK_WIDGET (self);
}

GtkWidget *
mer_team_view_get_timeline (MerTeamView *self)
{
  g_return_val_if_fail (MER_IS_TEAM_VIEW (self), NULL);
  return GTK_WIDGET (self->timeline);
}

guint
mer_team_view_get_n_rows (MerTeamView *self)
{
  g_return_val_if_fail (MER_IS_TEAM_VIEW (self), 0);
  return self->summaries->len;
}

const char *
mer_team_view_get_row_summary (MerTeamView *self,
                               guint        index)
{
  g_return_val_if_fail (MER_IS_TEAM_VIEW (self), NULL);
  g_return_val_if_fail (index < self->summaries->len, NULL);
  return g_ptr_array_index (self->summaries, index);
}

const char *
mer_team_view_get_focus_banner (MerTeamView *self)
{
  g_return_val_if_fail (MER_IS_TEAM_VIEW (self), NULL);
  return gtk_label_get_label (self->banner_label);
}
