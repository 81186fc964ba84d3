/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Team view under Xvfb at a pinned instant (MERIDIAN_NOW): what each
 * row says, the timeline's overlap, screenshots in the build's test logs,
 * and a teammate's focus arriving from a second replica through a real
 * replication over HTTP.
 */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-test-util.h"
#include "mer-test-peer.h"
#include "mer-demo.h"
#include "mer-schedule.h"
#include "mer-team-view.h"
#include "mer-timeline.h"
#include "mer-profile-dialog.h"
#include "mer-ui-resources.h"
#include "mer-window.h"

#include <adwaita.h>
#include <string.h>

/* Monday 23 November 2026, 09:15 UTC. */
#define PINNED_NOW "2026-11-23T09:15:00Z"

#define WEEK(r) "{\"mon\":" r ",\"tue\":" r ",\"wed\":" r ",\"thu\":" r ",\"fri\":" r "}"

static const char * const team[] = {
  "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\","
  "\"work\":" WEEK ("[[\"09:00\",\"17:00\"]]") ",\"focus\":" WEEK ("[[\"14:00\",\"16:00\"]]") "}",
  "{\"_id\":\"person:bruno\",\"type\":\"person\",\"name\":\"Bruno\",\"tz\":\"America/Sao_Paulo\","
  "\"work\":" WEEK ("[[\"09:00\",\"18:00\"]]") "}",
  "{\"_id\":\"person:chen\",\"type\":\"person\",\"name\":\"Chen\",\"tz\":\"Asia/Shanghai\","
  "\"work\":" WEEK ("[[\"09:00\",\"12:00\"],[\"13:00\",\"18:00\"]]") "}",
  "{\"_id\":\"person:dana\",\"type\":\"person\",\"name\":\"Dana\",\"tz\":\"America/Los_Angeles\","
  "\"work\":" WEEK ("[[\"09:00\",\"17:00\"]]") ",\"away\":[{\"from\":\"2026-11-20\",\"to\":\"2026-11-27\",\"note\":\"Thanksgiving\"}]}",
  "{\"_id\":\"person:eli\",\"type\":\"person\",\"name\":\"Eli\",\"tz\":\"Australia/Eucla\","
  "\"work\":" WEEK ("[[\"08:00\",\"16:00\"]]") "}",
  "{\"_id\":\"person:farah\",\"type\":\"person\",\"name\":\"Farah\",\"tz\":\"Europe/London\","
  "\"work\":" WEEK ("[[\"09:00\",\"17:30\"]]") ",\"focus_until\":\"2026-11-23T10:05:00Z\","
  "\"focus_from\":\"2026-11-23T09:15:00Z\",\"status_note\":\"Writing the Q1 plan\"}",
  "{\"_id\":\"person:zed\",\"type\":\"person\",\"name\":\"Zed\",\"tz\":\"Mars/Olympus_Mons\"}",
};

/* Worked out by hand from the zones' offsets on 23 November 2026. */
static const char * const expected_rows[] = {
  "Ana\t15:00, Mon 23 Nov\tUTC+05:45 · Asia/Kathmandu\tDeep work until 16:00 (their time)",
  "Bruno\t06:15, Mon 23 Nov\tUTC-03:00 · America/Sao_Paulo\tOff until 09:00",
  "Chen\t17:15, Mon 23 Nov\tUTC+08:00 · Asia/Shanghai\tWorking until 18:00 (their time)",
  "Dana\t01:15, Mon 23 Nov\tUTC-08:00 · America/Los_Angeles\tAway, back Saturday 28 November",
  "Eli\t18:00, Mon 23 Nov\tUTC+08:45 · Australia/Eucla\tOff until tomorrow 08:00",
  "Farah\t09:15, Mon 23 Nov\tUTC+00:00 · Europe/London\tDeep work until 10:05 (their time) — Writing the Q1 plan",
  "Zed\t—\tMars/Olympus_Mons\tUnknown time zone “Mars/Olympus_Mons”",
};

static void
put_people (MerStore           *store,
            const char * const *docs,
            guint               n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = mer_test_object (docs[i]);
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      g_assert_no_error (error);
    }
}

static void
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
wait_until_drawn (GtkWidget *window)
{
  for (guint i = 0; i < 2000 && !gtk_widget_get_mapped (window); i++)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (gtk_widget_get_mapped (window));
  /* Let layout and a few frames happen: the frame clock runs on real time. */
  {
    gboolean done = FALSE;

    g_timeout_add_once (300, (GSourceOnceFunc) set_true, &done);
    while (!done)
      g_main_context_iteration (NULL, TRUE);
  }
}

/* Renders @widget as it is now and saves it where people can look at it. */

static GtkWidget *
show_view (MerStore  *store,
           int        width,
           int        height,
           GtkWidget **out_view)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *overlay = adw_toast_overlay_new ();
  GtkWidget *view = mer_team_view_new (store);

  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), view);
  adw_window_set_content (ADW_WINDOW (window), overlay);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_drawn (window);
  *out_view = view;
  return window;
}

static void
assert_rows (MerTeamView        *view,
             const char * const *expected,
             guint               n)
{
  g_assert_cmpuint (mer_team_view_get_n_rows (view), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (mer_team_view_get_row_summary (view, i), ==, expected[i]);
}

static void
test_rows_and_screenshots (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  GtkWidget *view = NULL;
  GtkWidget *window;
  GtkWidget *timeline;

  put_people (store, team, G_N_ELEMENTS (team));

  window = show_view (store, 960, 1120, &view);
  assert_rows (MER_TEAM_VIEW (view), expected_rows, G_N_ELEMENTS (expected_rows));
  g_assert_cmpstr (mer_team_view_get_focus_banner (MER_TEAM_VIEW (view)), ==, "");
  /* Six people on four continents: no minute where all are free to talk. */
  timeline = mer_team_view_get_timeline (MER_TEAM_VIEW (view));
  g_assert_cmpuint (mer_timeline_get_overlap (MER_TIMELINE (timeline))->len, ==, 0);
  g_assert_cmpint (gtk_widget_get_width (timeline), >, 600);
  mer_test_gui_save_png (window, "team-view-zones.png");

  /* Phone width: everything still there, nothing wider than the window. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 1400);
  gtk_widget_set_size_request (window, 360, -1);
  wait_until_drawn (window);
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (gtk_widget_get_width (window), <=, 360);
  g_assert_cmpint (gtk_widget_get_width (timeline), <=, 360);
  mer_test_gui_save_png (window, "team-view-zones-narrow.png");

  /* Dark style: the same widget, the style's own colours. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (window), 960, 1120);
  gtk_widget_set_size_request (window, -1, -1);
  wait_until_drawn (window);
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  mer_test_gui_save_png (window, "team-view-zones-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Days ahead: Tuesday in the viewer's zone (UTC here). */
  gtk_widget_activate_action (view, "team.next-day", NULL);
  {
    GDateTime *day = mer_timeline_get_day (MER_TIMELINE (timeline));
    g_autofree char *text = g_date_time_format (day, "%Y-%m-%d");

    g_assert_cmpstr (text, ==, "2026-11-24");
  }
  gtk_widget_activate_action (view, "team.today", NULL);

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

/*
 * A system without the tzdata package (an empty $TZDIR, in a fresh
 * subprocess since GLib keeps the zones it has loaded): every row but the
 * UTC one says which zone cannot be loaded and why, none shows a guessed
 * clock.
 */
static void
test_no_zone_database (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *empty = mer_test_make_tmpdir ("no-tzdata");
      g_autofree char *dir = NULL;
      g_autoptr(MerStore) store = NULL;
      const char * const people[] = {
        team[0],
        "{\"_id\":\"person:aroha\",\"type\":\"person\",\"name\":\"Aroha\",\"tz\":\"Pacific/Auckland\","
        "\"work\":" WEEK ("[[\"08:30\",\"17:00\"]]") "}",
        "{\"_id\":\"person:ute\",\"type\":\"person\",\"name\":\"Ute\",\"tz\":\"UTC\","
        "\"work\":" WEEK ("[[\"09:00\",\"17:00\"]]") "}",
      };
      g_autofree char *ana_row = NULL;
      g_autofree char *aroha_row = NULL;
      GtkWidget *view = NULL;
      GtkWidget *window;

      g_setenv ("TZDIR", empty, TRUE);
      store = mer_test_open_store (&dir);
      put_people (store, people, G_N_ELEMENTS (people));
      window = show_view (store, 720, 640, &view);

      ana_row = g_strdup_printf ("Ana\t—\tAsia/Kathmandu\tAna’s time zone “Asia/Kathmandu” cannot be loaded: "
                                 "this system has no time zone database in %s (install the tzdata package)",
                                 empty);
      aroha_row = g_strdup_printf ("Aroha\t—\tPacific/Auckland\tAroha’s time zone “Pacific/Auckland” cannot be "
                                   "loaded: this system has no time zone database in %s (install the tzdata "
                                   "package)", empty);
      g_assert_cmpuint (mer_team_view_get_n_rows (MER_TEAM_VIEW (view)), ==, 3);
      g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 0), ==, ana_row);
      g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 1), ==, aroha_row);
      /* UTC needs no database: Ute's row is whole. */
      g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), ==,
                       "Ute\t09:15, Mon 23 Nov\tUTC+00:00 · UTC\tWorking until 17:00 (their time)");
      mer_test_gui_save_png (window, "team-view-no-tzdata.png");

      gtk_window_destroy (GTK_WINDOW (window));
      g_clear_object (&store);
      mer_test_rm_rf (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The demo's six teammates, worked out by hand for Monday 09:15 UTC. */
static const char * const demo_rows[] = {
  "Aroha Ngata\t22:15, Mon 23 Nov\tUTC+13:00 · Pacific/Auckland\t"
  "Off until tomorrow 08:30 — Reviewing the onboarding pages this week; comments welcome.",
  "Bishal Thapa\t15:00, Mon 23 Nov\tUTC+05:45 · Asia/Kathmandu\t"
  "Working until 18:00 (their time) — On call for the South Asia shift this week; page me for production only.",
  "Camila Duarte\t06:15, Mon 23 Nov\tUTC-03:00 · America/Sao_Paulo\t"
  "Away, back Wednesday 25 November — Away at customer workshops; back next week.",
  "Jonas Weber\t10:15, Mon 23 Nov\tUTC+01:00 · Europe/Berlin\t"
  "Working until 12:00 (their time) — Happy to read draft proposals before you publish them.",
  "Maya Chen\t01:15, Mon 23 Nov\tUTC-08:00 · America/Los_Angeles\t"
  "Off until 07:30 — Owner of the weekly update proposal; replies in the thread within a day.",
  "Priya Raman\t14:45, Mon 23 Nov\tUTC+05:30 · Asia/Kolkata\t"
  "Working until 18:00 (their time) — Release manager for 1.8; slow to reply to anything else until Thursday.",
};

/*
 * The demo workspace's people, their relative dates ("@today-2d") expanded
 * against the pinned instant, as the demo loader does against the clock.
 */
static void
test_demo_workspace (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *path = g_build_filename (mer_test_source_dir (), "data", "demo", "records.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  JsonArray *records;
  GtkWidget *view = NULL;
  GtkWidget *window;
  GtkWidget *timeline;
  GArray *overlap;
  guint people = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  root = mer_json_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (mer_demo_expand_node (root, now, &error));
  g_assert_no_error (error);
  records = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *doc = json_array_get_object_element (records, i);
      g_autofree char *rev = NULL;

      if (g_strcmp0 (mer_json_get_string (doc, "type"), "person") != 0)
        continue;
      rev = mer_store_put_doc (store, doc, &error);
      g_assert_no_error (error);
      people++;
    }
  g_assert_cmpuint (people, ==, G_N_ELEMENTS (demo_rows));

  window = show_view (store, 960, 1000, &view);
  assert_rows (MER_TEAM_VIEW (view), demo_rows, G_N_ELEMENTS (demo_rows));
  /* Camila is away and Maya's day starts as Asia's ends: no overlap... */
  timeline = mer_team_view_get_timeline (MER_TEAM_VIEW (view));
  g_assert_cmpuint (mer_timeline_get_overlap (MER_TIMELINE (timeline))->len, ==, 0);
  /* ...but Jonas, Priya and Bishal share 09:00-11:00 and 12:00-12:15 UTC:
   * Jonas works 09:00-11:00 and 12:00-16:00 outside focus, Priya 08:30-12:30,
   * Bishal 08:15-12:15. */
  mer_timeline_set_counted (MER_TIMELINE (timeline), "person:aroha", FALSE);
  mer_timeline_set_counted (MER_TIMELINE (timeline), "person:camila", FALSE);
  mer_timeline_set_counted (MER_TIMELINE (timeline), "person:maya", FALSE);
  overlap = mer_timeline_get_overlap (MER_TIMELINE (timeline));
  g_assert_cmpuint (overlap->len, ==, 2);
  g_assert_cmpint (g_array_index (overlap, MerInterval, 0).start, ==, 1795424400); /* 09:00Z */
  g_assert_cmpint (g_array_index (overlap, MerInterval, 0).end, ==, 1795431600);   /* 11:00Z */
  g_assert_cmpint (g_array_index (overlap, MerInterval, 1).start, ==, 1795435200); /* 12:00Z */
  g_assert_cmpint (g_array_index (overlap, MerInterval, 1).end, ==, 1795436100);   /* 12:15Z */
  wait_until_drawn (window);
  mer_test_gui_save_png (window, "team-view.png");

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

/* "Me" and focus from the view's own actions: the banner says notifications wait. */
static void
test_own_focus (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  GtkWidget *view = NULL;
  GtkWidget *window;
  g_autoptr(GDateTime) now = mer_schedule_now ();

  put_people (store, team, 3);
  g_assert_true (mer_schedule_set_me (store, "person:chen", &error));
  g_assert_no_error (error);

  window = show_view (store, 800, 900, &view);
  g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), ==,
                   "Chen (you)\t17:15, Mon 23 Nov\tUTC+08:00 · Asia/Shanghai\tWorking until 18:00");
  g_assert_false (mer_schedule_user_in_focus (store, now));

  gtk_widget_activate_action (view, "team.focus", "u", 50);
  g_assert_true (mer_schedule_user_in_focus (store, now));
  g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), ==,
                   "Chen (you)\t17:15, Mon 23 Nov\tUTC+08:00 · Asia/Shanghai\tDeep work until 18:05");
  g_assert_cmpstr (mer_team_view_get_focus_banner (MER_TEAM_VIEW (view)), ==,
                   "You are in deep work until 18:05. Notifications wait until then.");
  wait_until_drawn (window);
  mer_test_gui_save_png (window, "team-view-own-focus.png");

  gtk_widget_activate_action (view, "team.focus", "u", 0);
  g_assert_false (mer_schedule_user_in_focus (store, now));
  g_assert_cmpstr (mer_team_view_get_focus_banner (MER_TEAM_VIEW (view)), ==, "");

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

/*
 * Chen sets focus on his own replica; after a pull over HTTP from his peer,
 * the first replica's Team view says so without being told to reload.
 */
static void
test_focus_arrives_by_sync (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  TestPeer *peer = test_peer_new (NULL, NULL);
  TestSyncResult res;
  GtkWidget *view = NULL;
  GtkWidget *window;

  /* As the application does for its store. */
  mer_store_watch_others (store, 250);
  put_people (store, team, 3);
  res = test_sync (store, peer->url, MER_REPLICATOR_PUSH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 3);

  window = show_view (store, 800, 900, &view);
  g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), ==,
                   "Chen\t17:15, Mon 23 Nov\tUTC+08:00 · Asia/Shanghai\tWorking until 18:00 (their time)");

  /* On the other replica: Chen is "me" there, and starts 25 minutes of focus. */
  g_assert_true (mer_schedule_set_me (peer->store, "person:chen", &error));
  g_assert_true (mer_schedule_set_user_focus (peer->store, now, 25, &error));
  g_assert_no_error (error);
  /* Nothing has synced yet. */
  g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), ==,
                   "Chen\t17:15, Mon 23 Nov\tUTC+08:00 · Asia/Shanghai\tWorking until 18:00 (their time)");

  res = test_sync (store, peer->url, MER_REPLICATOR_PULL, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 1);
  /* The pull wrote through the replicator's own connection; the store,
   * watching other connections as the application makes it, says
   * "changed" and the view reloads. Wait for that, with a generous cap,
   * rather than telling it to reload. */
  {
    gint64 give_up = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

    while (g_str_has_suffix (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), "Working until 18:00 (their time)")
           && g_get_monotonic_time () < give_up)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_cmpstr (mer_team_view_get_row_summary (MER_TEAM_VIEW (view), 2), ==,
                   "Chen\t17:15, Mon 23 Nov\tUTC+08:00 · Asia/Shanghai\tDeep work until 17:40 (their time)");
  /* Not this replica's user: its own focus is untouched. */
  g_assert_false (mer_schedule_user_in_focus (store, now));
  wait_until_drawn (window);
  mer_test_gui_save_png (window, "team-view-after-sync.png");

  gtk_window_destroy (GTK_WINDOW (window));
  test_peer_free (peer);
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
set_text (MerProfileDialog *dialog,
          const char       *template_id,
          const char       *widget_name,
          const char       *text)
{
  GtkWidget *row = template_id != NULL
    ? GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (dialog), MER_TYPE_PROFILE_DIALOG, template_id))
    : find_named (GTK_WIDGET (dialog), widget_name);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/*
 * The profile form: a new person starts in the system's zone (UTC here);
 * bad input is refused with nothing written; a good form writes the person
 * document and makes it "me".
 */
static void
test_profile_dialog (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *me = NULL;
  g_autofree char *doc_text = NULL;
  MerProfileDialog *dialog = mer_profile_dialog_new (store);
  GtkEditable *tz_row = GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (dialog), MER_TYPE_PROFILE_DIALOG, "tz_row"));
  GtkWidget *away_entry = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (dialog), MER_TYPE_PROFILE_DIALOG, "away_entry"));

  gtk_window_present (GTK_WINDOW (dialog));
  wait_until_drawn (GTK_WIDGET (dialog));
  g_assert_cmpstr (gtk_editable_get_text (tz_row), ==, "UTC");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (dialog), "work-mon"))), ==, "09:00–17:00");

  /* No name: refused, nothing written. */
  g_assert_false (mer_profile_dialog_save (dialog, &error));
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID);
  g_clear_error (&error);

  /* An unknown zone: refused, never silently UTC. */
  set_text (dialog, "name_row", NULL, "Ngaio Marsh");
  set_text (dialog, "tz_row", NULL, "Pacific/Atlantis");
  g_assert_false (mer_profile_dialog_save (dialog, &error));
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
  g_clear_error (&error);

  /* A range that ends before it starts: refused. */
  set_text (dialog, "tz_row", NULL, "Pacific/Chatham");
  set_text (dialog, NULL, "work-tue", "17:00–09:00");
  g_assert_false (mer_profile_dialog_save (dialog, &error));
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (mer_schedule_get_me (store));
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 0);

  set_text (dialog, NULL, "work-tue", "08:00-12:00, 13:00–24:00");
  set_text (dialog, NULL, "focus-mon", "09:00–11:30");
  set_text (dialog, "away_entry", NULL, "2026-12-24 to 2027-01-02 Summer break");
  g_signal_emit_by_name (away_entry, "apply");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (away_entry)), ==, "");
  wait_until_drawn (GTK_WIDGET (dialog));
  mer_test_gui_save_png (GTK_WIDGET (dialog), "profile-dialog.png");

  g_assert_true (mer_profile_dialog_save (dialog, &error));
  g_assert_no_error (error);
  me = mer_schedule_get_me (store);
  g_assert_cmpstr (me, ==, "person:ngaio-marsh");
  doc = mer_store_get_doc (store, me, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  json_object_remove_member (doc, "_rev");
  doc_text = mer_json_object_to_string (doc, FALSE);
  g_assert_nonnull (strstr (doc_text, "\"tz\":\"Pacific/Chatham\""));
  g_assert_nonnull (strstr (doc_text, "\"tue\":[[\"08:00\",\"12:00\"],[\"13:00\",\"24:00\"]]"));
  g_assert_nonnull (strstr (doc_text, "\"mon\":[[\"09:00\",\"11:30\"]]"));
  g_assert_nonnull (strstr (doc_text, "\"from\":\"2026-12-24\",\"note\":\"Summer break\",\"to\":\"2027-01-02\""));
  g_assert_nonnull (strstr (doc_text, "\"type\":\"person\""));
  g_assert_nonnull (strstr (doc_text, "\"status_note\":null"));

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

/* The Team section inside the real window, at phone width. */
static void
test_in_window (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  MerWindow *window;
  GtkWidget *focused;

  put_people (store, team, G_N_ELEMENTS (team));
  window = mer_window_new (NULL, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 900);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_drawn (GTK_WIDGET (window));

  /* Opening a person document shows the Team section with their row. */
  g_assert_true (mer_window_open_doc (window, "person:eli"));
  g_assert_cmpstr (mer_window_get_section (window), ==, "team");
  wait_until_drawn (GTK_WIDGET (window));
  /* Let the section's transition finish before the picture. */
  for (guint i = 0; i < 4; i++)
    wait_until_drawn (GTK_WIDGET (window));
  focused = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focused);
  g_assert_nonnull (gtk_widget_get_ancestor (focused, MER_TYPE_TEAM_VIEW));
  mer_test_gui_save_png (GTK_WIDGET (window), "team-section-in-window-narrow.png");

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_setenv ("MERIDIAN_NOW", PINNED_NOW, TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  mer_test_init (&argc, &argv);
  adw_init ();
  /* Static linking may drop the resource's constructor: register it. */
  g_resources_register (mer_ui_get_resource ());

  g_test_add_func ("/team-view/rows-and-screenshots", test_rows_and_screenshots);
  g_test_add_func ("/team-view/demo-workspace", test_demo_workspace);
  g_test_add_func ("/team-view/no-zone-database", test_no_zone_database);
  g_test_add_func ("/team-view/own-focus", test_own_focus);
  g_test_add_func ("/team-view/focus-arrives-by-sync", test_focus_arrives_by_sync);
  g_test_add_func ("/team-view/profile-dialog", test_profile_dialog);
  g_test_add_func ("/team-view/in-window", test_in_window);

  return g_test_run ();
}
