/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_TYPE_TEAM_VIEW (mer_team_view_get_type ())
G_DECLARE_FINAL_TYPE (MerTeamView, mer_team_view, MER, TEAM_VIEW, GtkWidget)

/*
 * The Team view: a row per teammate (name, local time and date, UTC offset
 * and zone, status in words) and a timeline of the viewer's day. Widget
 * actions: team.previous-day, team.next-day, team.today, team.focus (u:
 * minutes, 0 ends focus), team.profile, and section.open-doc (s: a person
 * id, brings their row into view) for the window.
 */
GtkWidget  *mer_team_view_new              (MerStore    *store);
void        mer_team_view_reload           (MerTeamView *self);
GtkWidget  *mer_team_view_get_timeline     (MerTeamView *self);
/* For tests and screen readers: "Name\tlocal time\toffset and zone\tstatus". */
guint       mer_team_view_get_n_rows       (MerTeamView *self);
const char *mer_team_view_get_row_summary  (MerTeamView *self,
                                            guint        index);
/* The line above the rows about the user's own focus, or "". */
const char *mer_team_view_get_focus_banner (MerTeamView *self);

G_END_DECLS
