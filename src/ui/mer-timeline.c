/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A 24-hour timeline of one of the viewer's days: a lane per person with
 * their working hours, focus blocks and away days, the team's overlap as a
 * band across all lanes, and a line at now. Drawn in snapshot() with the
 * style's own colours, so it reads in light and dark and scales down to a
 * phone-width window.
 */

#include "config.h"

#include "mer-timeline.h"

#include <glib/gi18n.h>

#define PAD          6
#define AXIS_HEIGHT  20
#define LANE_HEIGHT  26
#define LANE_GAP     6
#define LEGEND_HEIGHT 24

struct _MerTimeline
{
  GtkWidget   parent_instance;

  GPtrArray  *schedules;  /* MerSchedule* */
  GPtrArray  *segments;   /* GArray of MerInterval, one per schedule */
  GArray     *overlap;    /* MerInterval */
  GHashTable *left_out;   /* ids of people not counted in the overlap */
  GTimeZone  *zone;
  GDateTime  *day;        /* local midnight of the shown day, in zone */
  gint64      start;      /* the day's bounds, Unix seconds */
  gint64      end;
  gint64      now;
};

G_DEFINE_FINAL_TYPE (MerTimeline, mer_timeline, GTK_TYPE_WIDGET)

static gboolean
is_left_out (MerTimeline *self,
             guint        index)
{
  MerSchedule *schedule = g_ptr_array_index (self->schedules, index);

  return g_hash_table_contains (self->left_out, mer_schedule_get_id (schedule));
}

/* Screen readers get the picture's answer: the day and its overlap. */
static void
update_accessible (MerTimeline *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *day = g_date_time_format (self->day, _("%A %-d %B"));

  g_string_append_printf (text, _("Working hours of %u people on %s, in your time."), self->schedules->len, day);
  g_string_append_c (text, ' ');
  if (self->overlap->len == 0)
    g_string_append (text, _("No overlap."));
  else
    {
      g_string_append (text, _("Overlap:"));
      for (guint i = 0; i < self->overlap->len; i++)
        {
          MerInterval *iv = &g_array_index (self->overlap, MerInterval, i);
          g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc (iv->start);
          g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc (iv->end);
          g_autoptr(GDateTime) la = g_date_time_to_timezone (a, self->zone);
          g_autoptr(GDateTime) lb = g_date_time_to_timezone (b, self->zone);
          g_autofree char *sa = g_date_time_format (la, "%H:%M");
          g_autofree char *sb = g_date_time_format (lb, "%H:%M");

          g_string_append_printf (text, "%s %s–%s", i ? "," : "", sa, sb);
        }
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, text->str, -1);
}

static void
recompute (MerTimeline *self)
{
  g_autofree char *date = NULL;
  gint y, m, d;

  if (self->day == NULL)
    return;
  g_date_time_get_ymd (self->day, &y, &m, &d);
  self->start = mer_schedule_wall_instant (self->zone, y, m, d, 0);
  self->end = mer_schedule_wall_instant (self->zone, y, m, d, 24 * 60);

  g_ptr_array_set_size (self->segments, 0);
  for (guint i = 0; i < self->schedules->len; i++)
    {
      g_autoptr(GDateTime) from = g_date_time_new_from_unix_utc (self->start);
      g_autoptr(GDateTime) to = g_date_time_new_from_unix_utc (self->end);

      g_ptr_array_add (self->segments,
                       mer_schedule_segments (g_ptr_array_index (self->schedules, i), from, to));
    }

  g_clear_pointer (&self->overlap, g_array_unref);
  date = g_date_time_format (self->day, "%Y-%m-%d");
  {
    g_autoptr(GPtrArray) counted = g_ptr_array_new ();

    for (guint i = 0; i < self->schedules->len; i++)
      if (!is_left_out (self, i))
        g_ptr_array_add (counted, g_ptr_array_index (self->schedules, i));
    if (counted->len > 1)
      self->overlap = mer_schedule_overlap (counted, date, self->zone, NULL);
  }
  if (self->overlap == NULL)
    self->overlap = g_array_new (FALSE, FALSE, sizeof (MerInterval));

  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
lookup_color (MerTimeline *self,
              const char  *name,
              GdkRGBA     *color)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));

  return gtk_style_context_lookup_color (context, name, color);
}

static GdkRGBA
with_alpha (const GdkRGBA *color,
            float          alpha)
{
  GdkRGBA c = *color;

  c.alpha *= alpha;
  return c;
}

static void
append_rounded (GtkSnapshot   *snapshot,
                float          x,
                float          y,
                float          w,
                float          h,
                float          radius,
                const GdkRGBA *color)
{
  GskRoundedRect rect;

  if (w <= 0 || h <= 0)
    return;
  radius = MIN (radius, MIN (w, h) / 2);
  gsk_rounded_rect_init_from_rect (&rect, &GRAPHENE_RECT_INIT (x, y, w, h), radius);
  gtk_snapshot_push_rounded_clip (snapshot, &rect);
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (x, y, w, h));
  gtk_snapshot_pop (snapshot);
}

static void
append_text (MerTimeline   *self,
             GtkSnapshot   *snapshot,
             const char    *text,
             float          x,
             float          y,
             float          max_width,
             float          line_height,
             gboolean       center,
             const GdkRGBA *color)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  if (max_width <= 4)
    return;
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (center ? x - w / 2.0f : x,
                                                          y + (line_height - h) / 2.0f));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* How wide the name column is: a share of the width, never more than 120. */
static float
names_width (float width)
{
  return MIN (120.0f, MAX (56.0f, width * 0.26f));
}

/* The legend takes two rows when four labels would not fit on one. */
static guint
legend_rows (float width)
{
  return width > 0 && width < 480 ? 2 : 1;
}

static float
x_of (MerTimeline *self,
      gint64       t,
      float        x0,
      float        w)
{
  double span = (double) (self->end - self->start);

  if (span <= 0)
    return x0;
  t = CLAMP (t, self->start, self->end);
  return x0 + (float) ((t - self->start) / span * w);
}

static void
mer_timeline_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  MerTimeline *self = MER_TIMELINE (widget);
  float width = gtk_widget_get_width (widget);
  float height = gtk_widget_get_height (widget);
  float names = names_width (width);
  float x0 = names + PAD;
  float w = width - x0 - PAD;
  float lanes_top = AXIS_HEIGHT;
  guint n_lanes = self->schedules->len + (self->schedules->len > 1 ? 1 : 0);
  float lanes_bottom = lanes_top + n_lanes * (LANE_HEIGHT + LANE_GAP);
  GdkRGBA fg, accent, success, destructive, warning;
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  gint y, m, d;
  int hour_step;

  if (self->day == NULL || w <= 10)
    return;

  gtk_style_context_get_color (context, &fg);
  if (!lookup_color (self, "accent_bg_color", &accent))
    accent = (GdkRGBA) { 0.21f, 0.52f, 0.89f, 1.0f };
  if (!lookup_color (self, "success_color", &success))
    success = (GdkRGBA) { 0.18f, 0.76f, 0.49f, 1.0f };
  if (!lookup_color (self, "destructive_color", &destructive))
    destructive = (GdkRGBA) { 0.88f, 0.11f, 0.14f, 1.0f };
  if (!lookup_color (self, "warning_color", &warning))
    warning = (GdkRGBA) { 0.8f, 0.5f, 0.0f, 1.0f };

  /* The hour axis, in the viewer's wall clock; labels thin out when narrow. */
  g_date_time_get_ymd (self->day, &y, &m, &d);
  hour_step = w >= 560 ? 2 : (w >= 300 ? 3 : 6);
  for (int hour = 0; hour <= 24; hour++)
    {
      gint64 t = mer_schedule_wall_instant (self->zone, y, m, d, hour * 60);
      float x = x_of (self, t, x0, w);
      GdkRGBA tick = with_alpha (&fg, hour % hour_step == 0 ? 0.18f : 0.07f);

      gtk_snapshot_append_color (snapshot, &tick,
                                 &GRAPHENE_RECT_INIT (x, lanes_top - 2, 1, lanes_bottom - lanes_top));
      if (hour % hour_step == 0 && hour < 24)
        {
          g_autofree char *label = g_strdup_printf ("%02d", hour);
          GdkRGBA dim = with_alpha (&fg, 0.6f);

          append_text (self, snapshot, label, x, 0, 40, AXIS_HEIGHT - 4, TRUE, &dim);
        }
    }

  /* The overlap band, behind every lane. */
  for (guint i = 0; i < self->overlap->len; i++)
    {
      MerInterval *iv = &g_array_index (self->overlap, MerInterval, i);
      float a = x_of (self, iv->start, x0, w);
      float b = x_of (self, iv->end, x0, w);
      GdkRGBA band = with_alpha (&success, 0.16f);

      gtk_snapshot_append_color (snapshot, &band,
                                 &GRAPHENE_RECT_INIT (a, lanes_top - 2, b - a, lanes_bottom - lanes_top));
    }

  for (guint i = 0; i < self->schedules->len; i++)
    {
      MerSchedule *schedule = g_ptr_array_index (self->schedules, i);
      GArray *segs = g_ptr_array_index (self->segments, i);
      float ly = lanes_top + i * (LANE_HEIGHT + LANE_GAP);
      GdkRGBA lane = with_alpha (&fg, 0.06f);
      gboolean left_out = is_left_out (self, i);
      GdkRGBA name_color = with_alpha (&fg, left_out ? 0.4f : 1.0f);

      append_text (self, snapshot, mer_schedule_get_name (schedule), PAD, ly, names - PAD, LANE_HEIGHT, FALSE, &name_color);
      append_rounded (snapshot, x0, ly, w, LANE_HEIGHT, 6, &lane);
      /* People left out of the overlap are drawn faint. */
      if (left_out)
        gtk_snapshot_push_opacity (snapshot, 0.35);

      for (guint k = 0; k < segs->len; k++)
        {
          MerInterval *iv = &g_array_index (segs, MerInterval, k);
          float a = x_of (self, iv->start, x0, w);
          float b = x_of (self, iv->end, x0, w);
          GdkRGBA color;

          switch (iv->status)
            {
            case MER_STATUS_WORKING:
              color = with_alpha (&accent, 0.4f);
              append_rounded (snapshot, a, ly + 3, b - a, LANE_HEIGHT - 6, 4, &color);
              break;
            case MER_STATUS_FOCUS:
              append_rounded (snapshot, a, ly + 3, b - a, LANE_HEIGHT - 6, 4, &accent);
              break;
            case MER_STATUS_AWAY:
              {
                GdkRGBA hatch = with_alpha (&warning, 0.55f);

                color = with_alpha (&warning, 0.18f);
                append_rounded (snapshot, a, ly + 3, b - a, LANE_HEIGHT - 6, 4, &color);
                /* Stripes, so away reads without colour too. */
                gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (a, ly + 3, b - a, LANE_HEIGHT - 6));
                for (float sx = a - LANE_HEIGHT; sx < b; sx += 8)
                  {
                    gtk_snapshot_save (snapshot);
                    gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (sx, ly + LANE_HEIGHT));
                    gtk_snapshot_rotate (snapshot, -45);
                    gtk_snapshot_append_color (snapshot, &hatch, &GRAPHENE_RECT_INIT (0, 0, LANE_HEIGHT * 1.5f, 2));
                    gtk_snapshot_restore (snapshot);
                  }
                gtk_snapshot_pop (snapshot);
                if (b - a > 60)
                  append_text (self, snapshot, _("Away"), (a + b) / 2, ly, b - a, LANE_HEIGHT, TRUE, &fg);
              }
              break;
            case MER_STATUS_OFF:
            case MER_STATUS_UNKNOWN:
            default:
              break;
            }
        }
      if (left_out)
        gtk_snapshot_pop (snapshot);
    }

  /* The overlap lane: the answer, spelled out. */
  if (self->schedules->len > 1)
    {
      float ly = lanes_top + self->schedules->len * (LANE_HEIGHT + LANE_GAP);
      GdkRGBA lane = with_alpha (&fg, 0.06f);

      append_text (self, snapshot, _("Overlap"), PAD, ly, names - PAD, LANE_HEIGHT, FALSE, &success);
      append_rounded (snapshot, x0, ly, w, LANE_HEIGHT, 6, &lane);
      for (guint i = 0; i < self->overlap->len; i++)
        {
          MerInterval *iv = &g_array_index (self->overlap, MerInterval, i);
          float a = x_of (self, iv->start, x0, w);
          float b = x_of (self, iv->end, x0, w);

          append_rounded (snapshot, a, ly + 3, b - a, LANE_HEIGHT - 6, 4, &success);
        }
      if (self->overlap->len == 0)
        {
          GdkRGBA dim = with_alpha (&fg, 0.55f);

          append_text (self, snapshot, _("No overlap this day"), x0 + w / 2, ly, w, LANE_HEIGHT, TRUE, &dim);
        }
    }

  /* Now. */
  if (self->now >= self->start && self->now < self->end)
    {
      float x = x_of (self, self->now, x0, w);

      gtk_snapshot_append_color (snapshot, &destructive,
                                 &GRAPHENE_RECT_INIT (x - 1, lanes_top - 4, 2, lanes_bottom - lanes_top + 2));
      append_rounded (snapshot, x - 4, lanes_top - 8, 8, 8, 4, &destructive);
    }

  /* The legend. */
  {
    struct { const char *label; GdkRGBA color; } keys[] = {
      { _("Working"), with_alpha (&accent, 0.4f) },
      { _("Deep work"), accent },
      { _("Away"), with_alpha (&warning, 0.55f) },
      { _("Overlap"), success },
    };
    guint rows = legend_rows (width);
    guint per_row = G_N_ELEMENTS (keys) / rows;
    float left = rows > 1 ? PAD : x0;
    float slot = (width - left - PAD) / per_row;

    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        float lx = left + (i % per_row) * slot;
        float ly = height - rows * LEGEND_HEIGHT + 4 + (i / per_row) * LEGEND_HEIGHT;

        append_rounded (snapshot, lx, ly + 4, 10, 10, 3, &keys[i].color);
        append_text (self, snapshot, keys[i].label, lx + 14, ly, slot - 16, 18, FALSE, &fg);
      }
  }
}

static void
mer_timeline_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  MerTimeline *self = MER_TIMELINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 280;
      *natural = 720;
    }
  else
    {
      guint n = self->schedules->len + (self->schedules->len > 1 ? 1 : 0);

      *minimum = *natural = AXIS_HEIGHT + n * (LANE_HEIGHT + LANE_GAP) + legend_rows (for_size) * LEGEND_HEIGHT;
    }
}

static GtkSizeRequestMode
mer_timeline_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* Hovering a lane tells who, when and what, in words. */
static gboolean
mer_timeline_query_tooltip (GtkWidget  *widget,
                            int         x,
                            int         y,
                            gboolean    keyboard,
                            GtkTooltip *tooltip)
{
  MerTimeline *self = MER_TIMELINE (widget);
  float width = gtk_widget_get_width (widget);
  float x0 = names_width (width) + PAD;
  float w = width - x0 - PAD;
  int lane = (y - AXIS_HEIGHT) / (LANE_HEIGHT + LANE_GAP);
  g_autoptr(GDateTime) at = NULL;
  g_autoptr(GDateTime) mine = NULL;
  g_autoptr(GDateTime) theirs = NULL;
  g_autofree char *words = NULL;
  g_autofree char *mine_text = NULL;
  g_autofree char *theirs_text = NULL;
  g_autofree char *text = NULL;
  MerSchedule *schedule;
  gint64 t;

  if (y < AXIS_HEIGHT || lane < 0 || (guint) lane >= self->schedules->len || x > x0 + w)
    return FALSE;
  schedule = g_ptr_array_index (self->schedules, lane);
  if (x < x0)
    {
      gtk_tooltip_set_text (tooltip, is_left_out (self, lane) ? _("Click to count in the overlap")
                                                              : _("Click to leave out of the overlap"));
      return TRUE;
    }
  t = self->start + (gint64) ((x - x0) / w * (self->end - self->start));
  at = g_date_time_new_from_unix_utc (t);
  mine = g_date_time_to_timezone (at, self->zone);
  theirs = mer_schedule_local_time (schedule, at);
  /* Translators: a time of day, see g_date_time_format(); "15:30". */
  mine_text = g_date_time_format (mine, _("%H:%M"));
  /* Translators: a weekday and time, see g_date_time_format(); "Mon 15:30". */
  theirs_text = g_date_time_format (theirs, _("%a %H:%M"));
  words = mer_schedule_describe_status (schedule, at);
  /* Translators: "Ana — 14:00 yours, Mon 18:45 theirs: Working until 17:00" */
  text = g_strdup_printf (_("%s — %s yours, %s theirs\n%s"), mer_schedule_get_name (schedule),
                          mine_text, theirs_text, words);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* A click on a name leaves that person out of the overlap, or back in. */
static void
pressed_cb (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            MerTimeline     *self)
{
  float width = gtk_widget_get_width (GTK_WIDGET (self));
  int lane = (int) ((y - AXIS_HEIGHT) / (LANE_HEIGHT + LANE_GAP));
  MerSchedule *schedule;

  if (y < AXIS_HEIGHT || lane < 0 || (guint) lane >= self->schedules->len || x > names_width (width))
    return;
  schedule = g_ptr_array_index (self->schedules, lane);
  mer_timeline_set_counted (self, mer_schedule_get_id (schedule), is_left_out (self, lane));
}

static void
mer_timeline_finalize (GObject *object)
{
  MerTimeline *self = MER_TIMELINE (object);

  g_clear_pointer (&self->schedules, g_ptr_array_unref);
  g_clear_pointer (&self->segments, g_ptr_array_unref);
  g_clear_pointer (&self->overlap, g_array_unref);
  g_clear_pointer (&self->left_out, g_hash_table_unref);
  g_clear_pointer (&self->zone, g_time_zone_unref);
  g_clear_pointer (&self->day, g_date_time_unref);
  G_OBJECT_CLASS (mer_timeline_parent_class)->finalize (object);
}

static void
mer_timeline_class_init (MerTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mer_timeline_finalize;
  widget_class->snapshot = mer_timeline_snapshot;
  widget_class->measure = mer_timeline_measure;
  widget_class->get_request_mode = mer_timeline_get_request_mode;
  widget_class->query_tooltip = mer_timeline_query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "mer-timeline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
mer_timeline_init (MerTimeline *self)
{
  GtkGesture *click;

  self->schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_schedule_unref);
  self->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  self->overlap = g_array_new (FALSE, FALSE, sizeof (MerInterval));
  self->zone = g_time_zone_new_local ();
  self->left_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
mer_timeline_new (void)
{
  return g_object_new (MER_TYPE_TIMELINE, NULL);
}

void
mer_timeline_set_schedules (MerTimeline *self,
                            GPtrArray   *schedules)
{
  g_return_if_fail (MER_IS_TIMELINE (self));

  g_ptr_array_set_size (self->schedules, 0);
  for (guint i = 0; schedules != NULL && i < schedules->len; i++)
    g_ptr_array_add (self->schedules, mer_schedule_ref (g_ptr_array_index (schedules, i)));
  recompute (self);
}

void
mer_timeline_set_zone (MerTimeline *self,
                       GTimeZone   *zone)
{
  g_return_if_fail (MER_IS_TIMELINE (self));
  g_return_if_fail (zone != NULL);

  g_clear_pointer (&self->zone, g_time_zone_unref);
  self->zone = g_time_zone_ref (zone);
  if (self->day != NULL)
    {
      g_autoptr(GDateTime) day = g_date_time_ref (self->day);

      mer_timeline_set_day (self, day);
    }
}

void
mer_timeline_set_day (MerTimeline *self,
                      GDateTime   *day)
{
  g_autoptr(GDateTime) local = NULL;
  gint y, m, d;

  g_return_if_fail (MER_IS_TIMELINE (self));
  g_return_if_fail (day != NULL);

  local = g_date_time_to_timezone (day, self->zone);
  g_date_time_get_ymd (local, &y, &m, &d);
  g_clear_pointer (&self->day, g_date_time_unref);
  self->day = g_date_time_new (self->zone, y, m, d, 12, 0, 0);
  recompute (self);
}

/* Noon of the shown day in the viewer's zone: safe to add days to. */
GDateTime *
mer_timeline_get_day (MerTimeline *self)
{
  g_return_val_if_fail (MER_IS_TIMELINE (self), NULL);
  return self->day;
}

void
mer_timeline_set_now (MerTimeline *self,
                      GDateTime   *now)
{
  g_return_if_fail (MER_IS_TIMELINE (self));
  self->now = g_date_time_to_unix (now);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

GArray *
mer_timeline_get_overlap (MerTimeline *self)
{
  g_return_val_if_fail (MER_IS_TIMELINE (self), NULL);
  return self->overlap;
}

/* Whether @person_id counts in the overlap; everyone does by default. */
void
mer_timeline_set_counted (MerTimeline *self,
                          const char  *person_id,
                          gboolean     counted)
{
  g_return_if_fail (MER_IS_TIMELINE (self));
  g_return_if_fail (person_id != NULL);

  if (counted)
    g_hash_table_remove (self->left_out, person_id);
  else
    g_hash_table_add (self->left_out, g_strdup (person_id));
  recompute (self);
}
