/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * A person's schedule: working and focus hours per weekday in their own IANA
 * time zone, dated away periods and the live focus they set from the app,
 * read from a "person" document. All arithmetic goes through GTimeZone and
 * GDateTime.
 *
 * A wall-clock time such as "09:00" names the first instant the person's
 * clock shows it on that date; inside a spring-forward gap it names the
 * instant the clock jumps past it. "24:00" is the next day's 00:00. So a
 * range is always one contiguous interval, and a repeated hour inside it is
 * counted twice, as it is lived.
 *
 * Status precedence: away > focus (live focus_until, then focus hours) >
 * working > off.
 */

#define MER_SCHEDULE_ERROR (mer_schedule_error_quark ())

typedef enum
{
  MER_SCHEDULE_ERROR_UNKNOWN_ZONE,     /* "tz" is not in the time zone database */
  MER_SCHEDULE_ERROR_INVALID,          /* the document's shape is wrong */
  MER_SCHEDULE_ERROR_NO_ZONE_DATABASE, /* the system has no time zone database at all */
} MerScheduleError;

typedef enum
{
  MER_STATUS_UNKNOWN = 0, /* only for people whose zone is unknown */
  MER_STATUS_OFF,
  MER_STATUS_WORKING,
  MER_STATUS_FOCUS,
  MER_STATUS_AWAY,
} MerStatus;

/* A half-open interval [start, end) in Unix seconds. */
typedef struct
{
  gint64    start;
  gint64    end;
  MerStatus status;  /* for mer_schedule_segments (); unused elsewhere */
} MerInterval;

typedef struct _MerSchedule MerSchedule;

GQuark       mer_schedule_error_quark       (void);

/* "now", or the instant in $MERIDIAN_NOW (RFC 3339) when set, in UTC. */
GDateTime   *mer_schedule_now               (void);
/* Parses RFC 3339 (or a local time without offset, read as UTC). */
GDateTime   *mer_schedule_parse_instant     (const char   *text,
                                             GError      **error);
/* "2026-11-22T20:30:00Z" */
char        *mer_schedule_format_instant    (GDateTime    *instant);
/*
 * The first instant the clock in @zone shows @minute (0..1440) on the date
 * @year-@month-@day, or the instant it jumps past it (a gap). Unix seconds.
 */
gint64       mer_schedule_wall_instant      (GTimeZone    *zone,
                                             gint          year,
                                             gint          month,
                                             gint          day,
                                             gint          minute);
/* "+05:45", "-08:00", "+00:00" */
char        *mer_schedule_format_offset     (GDateTime    *local);
const char  *mer_status_to_string           (MerStatus     status);

/*
 * The folder GLib reads IANA zones from ($TZDIR, else /usr/share/zoneinfo),
 * and whether it holds a time zone database (the tzdata package) at all.
 */
const char  *mer_schedule_zone_database_dir (void);
gboolean     mer_schedule_has_zone_database (void);
/*
 * Loads the IANA zone @identifier, never falling back to UTC. Fails with
 * MER_SCHEDULE_ERROR_UNKNOWN_ZONE when the name is not in the database, or
 * MER_SCHEDULE_ERROR_NO_ZONE_DATABASE when the system has no database to
 * look in (the message says where it looked and what to install).
 */
GTimeZone   *mer_schedule_load_zone         (const char   *identifier,
                                             GError      **error);

/*
 * Fails with MER_SCHEDULE_ERROR_UNKNOWN_ZONE, _NO_ZONE_DATABASE (the
 * message names the person and the zone) or _INVALID.
 */
MerSchedule *mer_schedule_new_from_person   (JsonObject   *person,
                                             GError      **error);
MerSchedule *mer_schedule_ref               (MerSchedule  *self);
void         mer_schedule_unref             (MerSchedule  *self);

const char  *mer_schedule_get_id            (MerSchedule  *self);  /* "person:ana" */
const char  *mer_schedule_get_name          (MerSchedule  *self);
const char  *mer_schedule_get_tz            (MerSchedule  *self);
GTimeZone   *mer_schedule_get_timezone      (MerSchedule  *self);
const char  *mer_schedule_get_status_note   (MerSchedule  *self);
/* The live focus end, or NULL. */
GDateTime   *mer_schedule_get_focus_until   (MerSchedule  *self);

/* The person's wall clock at @at (a new GDateTime in their zone). */
GDateTime   *mer_schedule_local_time        (MerSchedule  *self,
                                             GDateTime    *at);
/* Their UTC offset at @at, "+05:45". */
char        *mer_schedule_utc_offset        (MerSchedule  *self,
                                             GDateTime    *at);

/*
 * The status at @at. When @next_change is not NULL it receives the instant
 * (UTC) the status next changes, or NULL when it never changes within two
 * years.
 */
MerStatus    mer_schedule_status_at         (MerSchedule  *self,
                                             GDateTime    *at,
                                             GDateTime   **next_change);
/* Is the person in focus (live or scheduled) at @at? */
gboolean     mer_schedule_in_focus          (MerSchedule  *self,
                                             GDateTime    *at);

/*
 * The statuses over [from, to): an array of MerInterval, in order, adjacent
 * equal statuses merged.
 */
GArray      *mer_schedule_segments          (MerSchedule  *self,
                                             GDateTime    *from,
                                             GDateTime    *to);

/*
 * Seconds of scheduled working hours (focus hours included, away days and
 * live focus not counted either way) between two instants; 0 if to <= from.
 */
gdouble      mer_schedule_working_seconds_between (MerSchedule *self,
                                                   GDateTime   *from,
                                                   GDateTime   *to);
/*
 * The instant by which the person will have had one full working day after
 * @from: the end of the first of their working days (not away) whose
 * working hours all lie at or after @from. NULL if none within a year.
 */
GDateTime   *mer_schedule_full_working_day_after  (MerSchedule *self,
                                                   GDateTime   *from);

/*
 * The team's overlap on @date ("YYYY-MM-DD"), a day in @day_zone (NULL for
 * UTC): the intervals where every schedule in @schedules (MerSchedule*) is
 * working and none is away or in focus. Returns an array of MerInterval, or
 * NULL with an error for a bad date.
 */
GArray      *mer_schedule_overlap           (GPtrArray    *schedules,
                                             const char   *date,
                                             GTimeZone    *day_zone,
                                             GError      **error);

/*
 * The text form of a day's ranges, as people type them in the profile:
 * "09:00–12:30, 13:30–17:00" (en dash or hyphen). Parsing returns a JSON
 * array of ["HH:MM","HH:MM"] pairs (empty for ""), or NULL and an error.
 */
JsonArray   *mer_schedule_parse_ranges      (const char   *text,
                                             GError      **error);
char        *mer_schedule_format_ranges     (JsonArray    *ranges);

/* Words for people. */

/*
 * The status in words, times in the person's own zone:
 * "Deep work until 11:30 (their time)", "Off until Monday 09:00",
 * "Working until 17:00", "Away until Monday 4 January".
 */
char        *mer_schedule_describe_status   (MerSchedule  *self,
                                             GDateTime    *at);
/* The same for the user's own row, without "(their time)". */
char        *mer_schedule_describe_own_status (MerSchedule *self,
                                               GDateTime   *at);
/*
 * For someone about to comment on or mention the person: NULL when they are
 * working, else e.g. "Ana is in deep work until 15:00 her time, 2 h from now"
 * or "Ana is off until Monday 09:00 her time, in 2 days". The possessive
 * comes from the optional "pronouns" field ("she/her" -> her), else "their".
 */
char        *mer_schedule_describe_availability (MerSchedule *self,
                                                 GDateTime   *at);

/*
 * Who "me" is: the `_local/profile` document {"person": "person:<id>"}.
 * Returns the person id or NULL.
 */
char        *mer_schedule_get_me            (MerStore     *store);
gboolean     mer_schedule_set_me            (MerStore     *store,
                                             const char   *person_id,
                                             GError      **error);
/*
 * Is the user of this replica in focus at @at? For notification code:
 * while TRUE, send no desktop notifications.
 */
gboolean     mer_schedule_user_in_focus     (MerStore     *store,
                                             GDateTime    *at);
/*
 * Sets (or with @minutes 0, clears) focus_until on the user's own person
 * document: now + @minutes. Returns FALSE if no "me" is set.
 */
gboolean     mer_schedule_set_user_focus    (MerStore     *store,
                                             GDateTime    *now,
                                             guint         minutes,
                                             GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerSchedule, mer_schedule_unref)

G_END_DECLS
