/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-schedule.h"

G_BEGIN_DECLS

#define MER_TYPE_TIMELINE (mer_timeline_get_type ())
G_DECLARE_FINAL_TYPE (MerTimeline, mer_timeline, MER, TIMELINE, GtkWidget)

GtkWidget  *mer_timeline_new            (void);
/* MerSchedule* in display order; the timeline keeps a reference. */
void        mer_timeline_set_schedules  (MerTimeline *self,
                                         GPtrArray   *schedules);
/* The viewer's zone: the axis runs over one of their days. */
void        mer_timeline_set_zone       (MerTimeline *self,
                                         GTimeZone   *zone);
/* Shows the viewer's day that contains @day. */
void        mer_timeline_set_day        (MerTimeline *self,
                                         GDateTime   *day);
GDateTime  *mer_timeline_get_day        (MerTimeline *self);
void        mer_timeline_set_now        (MerTimeline *self,
                                         GDateTime   *now);
void        mer_timeline_set_counted    (MerTimeline *self,
                                         const char  *person_id,
                                         gboolean     counted);
/* The team's overlap on the shown day, as MerInterval (for tests and a11y). */
GArray     *mer_timeline_get_overlap    (MerTimeline *self);

G_END_DECLS
