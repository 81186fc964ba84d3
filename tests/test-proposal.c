/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-decision.h"
#include "mer-digest.h"
#include "mer-doc-util.h"
#include "mer-json.h"
#include "mer-proposal.h"
#include "mer-schedule.h"
#include "mer-store-attachments.h"
#include "mer-test-util.h"

#include <string.h>

#define WEEKDAYS_9_TO_5 \
  "{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]]," \
  "\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[],\"sun\":[]}"

static JsonObject *
person (const char *id,
        const char *name,
        const char *tz)
{
  g_autofree char *json = g_strdup_printf ("{\"_id\":\"person:%s\",\"type\":\"person\",\"name\":\"%s\","
                                           "\"tz\":\"%s\",\"work\":" WEEKDAYS_9_TO_5 ",\"focus\":{},"
                                           "\"away\":[],\"focus_until\":null,\"status_note\":\"\"}",
                                           id, name, tz);

  return mer_test_object (json);
}

static GDateTime *
instant (const char *text)
{
  g_autoptr(GError) error = NULL;
  GDateTime *dt = mer_schedule_parse_instant (text, &error);

  g_assert_no_error (error);
  return dt;
}

static void
assert_instant (GDateTime  *dt,
                const char *expected)
{
  g_autofree char *text = NULL;

  g_assert_nonnull (dt);
  text = mer_schedule_format_instant (dt);
  g_assert_cmpstr (text, ==, expected);
}

static GDateTime *
fair_for (const char *tz,
          const char *opened)
{
  g_autoptr(GPtrArray) schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_schedule_unref);
  g_autoptr(JsonObject) doc = person ("x", "X", tz);
  g_autoptr(GDateTime) at = instant (opened);
  g_autoptr(GError) error = NULL;
  MerSchedule *schedule = mer_schedule_new_from_person (doc, &error);

  g_assert_no_error (error);
  g_ptr_array_add (schedules, schedule);
  return mer_proposal_fair_deadline_for (schedules, at);
}

/*
 * Published Friday 20:00 UTC, which is already Saturday 10:00 in
 * Kiritimati (+14:00): the reader's next working day, Monday 09:00-17:00
 * on their clock, lies entirely on Sunday/Monday UTC, across the date line.
 */
static void
test_deadline_date_line (void)
{
  g_autoptr(GDateTime) fair = fair_for ("Pacific/Kiritimati", "2026-11-27T20:00:00Z");

  assert_instant (fair, "2026-11-30T03:00:00Z");
}

/*
 * Kathmandu is +05:45. Published Friday 03:30 UTC = 09:15 there: Friday has
 * begun, so the full day is Monday 09:00-17:00 = 03:15-11:15 UTC.
 */
static void
test_deadline_kathmandu (void)
{
  g_autoptr(GDateTime) fair = fair_for ("Asia/Kathmandu", "2026-11-27T03:30:00Z");

  assert_instant (fair, "2026-11-30T11:15:00Z");
}

/*
 * New York leaves daylight saving on Sunday 1 November 2026. Published
 * Friday 30 October 21:30 UTC (17:30 EDT, the day is over): the full day is
 * Monday 2 November 09:00-17:00 EST (-05:00), ending at 22:00 UTC; with the
 * old offset it would wrongly be 21:00.
 */
static void
test_deadline_dst (void)
{
  g_autoptr(GDateTime) fair = fair_for ("America/New_York", "2026-10-30T21:30:00Z");

  assert_instant (fair, "2026-11-02T22:00:00Z");
}

/* When every reader's day ends sooner, the 24-hour floor holds. */
static void
test_deadline_floor (void)
{
  /* Monday 20:00 UTC = Monday 09:00 in Pago Pago (-11): today counts
   * (its hours all lie at or after publishing) and ends at 04:00 UTC. */
  g_autoptr(GDateTime) fair = fair_for ("Pacific/Pago_Pago", "2026-11-23T20:00:00Z");

  assert_instant (fair, "2026-11-24T20:00:00Z");
}

static void
put (MerStore   *store,
     JsonObject *doc)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rev);
}

static void
add_team (MerStore *store)
{
  g_autoptr(JsonObject) ana = person ("ana", "Ana", "Asia/Kathmandu");
  g_autoptr(JsonObject) tevita = person ("tevita", "Tevita", "Pacific/Kiritimati");
  g_autoptr(JsonObject) sam = person ("sam", "Sam", "America/New_York");
  g_autoptr(JsonObject) lea = person ("lea", "Léa", "Europe/Paris");

  put (store, ana);
  put (store, tevita);
  put (store, sam);
  put (store, lea);
}

static char *
save_draft (MerStore   *store,
            const char *title,
            const char *required_json,
            const char *deadline,
            const char *page,
            const char *page_body)
{
  g_autoptr(JsonObject) draft = mer_proposal_new_draft ("person:lea");
  g_autoptr(JsonNode) required = mer_json_parse (required_json, -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *body = mer_proposal_template ();

  json_object_set_string_member (draft, "title", title);
  json_object_set_array_member (draft, "required", json_array_ref (json_node_get_array (required)));
  if (deadline != NULL)
    json_object_set_string_member (draft, "deadline", deadline);
  if (page != NULL)
    {
      json_object_set_string_member (draft, "page", page);
      json_object_set_string_member (draft, "page_body", page_body);
    }
  rev = mer_proposal_save_draft (store, draft, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rev);
  return g_strdup (mer_json_get_string (draft, "_id"));
}

/*
 * Publishing computes the fair minimum over every reader: all three zones
 * together give the Kathmandu Monday (the latest). A chosen later deadline
 * stands; an earlier one is raised to the minimum; the draft is gone.
 */
static void
test_publish_deadline (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GError) error = NULL;
  g_autofree char *draft1 = NULL, *draft2 = NULL, *draft3 = NULL;
  g_autofree char *id1 = NULL, *id2 = NULL, *id3 = NULL;
  g_autoptr(JsonObject) p1 = NULL, p2 = NULL, p3 = NULL, gone = NULL;
  const char *readers = "[\"person:ana\",\"person:tevita\",\"person:sam\"]";

  add_team (store);
  draft1 = save_draft (store, "Follow the sun", readers, NULL, NULL, NULL);
  draft2 = save_draft (store, "A week to read", readers, "2026-12-04T17:00:00Z", NULL, NULL);
  draft3 = save_draft (store, "Too hasty", readers, "2026-11-27T12:00:00Z", NULL, NULL);

  id1 = mer_proposal_publish (store, draft1, now, &error);
  g_assert_no_error (error);
  id2 = mer_proposal_publish (store, draft2, now, &error);
  g_assert_no_error (error);
  id3 = mer_proposal_publish (store, draft3, now, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (id1, "proposal:follow-the-sun-"));

  p1 = mer_store_get_doc (store, id1, NULL, 0, &error);
  p2 = mer_store_get_doc (store, id2, NULL, 0, &error);
  p3 = mer_store_get_doc (store, id3, NULL, 0, &error);
  /* Kathmandu: Mon 30 Nov 17:00 +05:45; Kiritimati: Mon 30 Nov 17:00 +14
   * = 03:00 UTC; New York: Fri 27 Nov 09:00-17:00 EST lies after 03:30 UTC,
   * ends 22:00 UTC Friday. */
  g_assert_cmpstr (mer_json_get_string (p1, "deadline"), ==, "2026-11-30T11:15:00Z");
  g_assert_cmpstr (mer_json_get_string (p1, "deadline_min"), ==, "2026-11-30T11:15:00Z");
  g_assert_cmpstr (mer_json_get_string (p1, "status"), ==, "open");
  g_assert_cmpstr (mer_json_get_string (p1, "opened_at"), ==, "2026-11-27T03:30:00Z");
  g_assert_cmpstr (mer_json_get_string (p1, "owner"), ==, "person:lea");
  g_assert_cmpstr (mer_json_get_string (p2, "deadline"), ==, "2026-12-04T17:00:00Z");
  g_assert_cmpstr (mer_json_get_string (p3, "deadline"), ==, "2026-11-30T11:15:00Z");

  gone = mer_store_get_local (store, draft1, &error);
  g_assert_null (gone);
  g_clear_error (&error);

  mer_test_rm_rf (dir);
}

static guint
count_local_attachments (MerStore   *store,
                         const char *id)
{
  g_autoptr(GPtrArray) atts = mer_store_list_local_attachments (store, id, NULL);

  return atts != NULL ? atts->len : 0;
}

/*
 * What was pasted into a proposal's draft and into a comment box's draft
 * is saved with the proposal and the comment, as stubs of the same bytes,
 * and the drafts go; a refused comment keeps its draft and its files.
 */
static void
test_attachments_from_drafts (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = g_bytes_new_static ("\x89PNG fake", 9);
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4", 8);
  g_autoptr(JsonObject) proposal = NULL;
  g_autoptr(JsonObject) comment = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *id = NULL;
  g_autofree char *comment_id = NULL;
  g_autofree char *digest = mer_attachment_digest ("\x89PNG fake", 9);
  const char *box = "_local/draft:new:comment-on-x";
  JsonObject *atts;

  add_team (store);
  draft = save_draft (store, "With a diagram", "[\"person:ana\"]", NULL, NULL, NULL);
  rev = mer_store_put_local_attachment (store, draft, "diagram.png", "image/png", png, &error);
  g_assert_no_error (error);
  id = mer_proposal_publish (store, draft, now, &error);
  g_assert_no_error (error);
  proposal = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  atts = json_object_get_object_member (proposal, "_attachments");
  g_assert_nonnull (atts);
  g_assert_cmpuint (json_object_get_size (atts), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (atts, "diagram.png"), "digest"), ==, digest);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (atts, "diagram.png"), "revpos"), ==, 1);
  g_assert_cmpuint (count_local_attachments (store, draft), ==, 0);

  /* A comment from the box's draft (which was never written itself). */
  g_free (rev);
  rev = mer_store_put_local_attachment (store, box, "shot.png", "image/png", png, &error);
  g_assert_no_error (error);
  g_free (rev);
  rev = mer_store_put_local_attachment (store, box, "notes.pdf", "application/pdf", pdf, &error);
  g_assert_no_error (error);
  /* Refused (an unknown stance): nothing written, the draft's files stay. */
  comment_id = mer_proposal_add_comment_from_draft (store, id, NULL, "person:lea", "See ![](shot.png)", "maybe",
                                                    box, now, &error);
  g_assert_null (comment_id);
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (count_local_attachments (store, box), ==, 2);

  comment_id = mer_proposal_add_comment_from_draft (store, id, NULL, "person:lea", "See ![](shot.png)", "agree",
                                                    box, now, &error);
  g_assert_no_error (error);
  comment = mer_store_get_doc (store, comment_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_no_error (error);
  atts = json_object_get_object_member (comment, "_attachments");
  g_assert_nonnull (atts);
  g_assert_cmpuint (json_object_get_size (atts), ==, 2);
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (atts, "shot.png"), "digest"), ==, digest);
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (atts, "notes.pdf"), "content_type"), ==,
                   "application/pdf");
  g_assert_cmpuint (count_local_attachments (store, box), ==, 0);
  /* The bytes outlive the drafts: the proposal's and the comment's. */
  {
    g_autoptr(MerAttachment) att = mer_store_get_attachment (store, comment_id, NULL, "shot.png", &error);
    g_autoptr(GBytes) bytes = NULL;

    g_assert_no_error (error);
    bytes = mer_store_read_blob (store, att->blob, &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (bytes, png));
  }
  /* Without a draft, a comment has no attachments, as before. */
  g_free (comment_id);
  comment_id = mer_proposal_add_comment (store, id, NULL, "person:lea", "Plain", NULL, now, &error);
  g_assert_no_error (error);
  g_clear_pointer (&comment, json_object_unref);
  comment = mer_store_get_doc (store, comment_id, NULL, MER_GET_DEFAULT, &error);
  g_assert_false (json_object_has_member (comment, "_attachments"));

  mer_test_rm_rf (dir);
}

static guint
count_proposals (MerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = mer_store_list_docs (store, "proposal", &error);

  g_assert_no_error (error);
  return json_array_get_length (docs);
}

/*
 * A required reader whose zone does not load cannot be left out of the
 * fair deadline (it would be too early for them): computing it fails and
 * names them, publishing refuses and writes nothing, and their reader
 * status carries the reason.
 */
static void
test_unloadable_zone_blocks_deadline (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) zed = person ("zed", "Zed", "Mars/Olympus_Mons");
  g_autoptr(JsonNode) required = mer_json_parse ("[\"person:ana\",\"person:zed\"]", -1, NULL);
  g_autoptr(GDateTime) fair = NULL;
  g_autoptr(JsonObject) draft = NULL;
  g_autoptr(JsonObject) proposal = mer_test_object (
    "{\"_id\":\"proposal:p\",\"type\":\"proposal\",\"title\":\"P\",\"body\":\"\",\"author\":\"person:lea\","
    "\"owner\":\"person:lea\",\"status\":\"open\",\"opened_at\":\"2026-11-26T00:00:00Z\","
    "\"deadline\":\"2026-11-30T03:00:00Z\",\"required\":[\"person:ana\",\"person:zed\"],"
    "\"page\":null,\"page_body\":null,\"outcome\":null,\"decision\":null}");
  g_autoptr(GPtrArray) readers = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autofree char *draft_id = NULL;
  g_autofree char *id = NULL;
  MerReaderStatus *ana, *zed_status;
  JsonObject *zed_json;

  add_team (store);
  put (store, zed);

  fair = mer_proposal_fair_deadline (store, json_node_get_array (required), now, &error);
  g_assert_null (fair);
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
  g_assert_nonnull (strstr (error->message, "person:zed"));
  g_assert_nonnull (strstr (error->message, "unknown time zone “Mars/Olympus_Mons”"));
  g_clear_error (&error);

  draft_id = save_draft (store, "Follow the sun", "[\"person:ana\",\"person:zed\"]", NULL, NULL, NULL);
  id = mer_proposal_publish (store, draft_id, now, &error);
  g_assert_null (id);
  g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_UNKNOWN_ZONE);
  g_assert_nonnull (strstr (error->message, "Mars/Olympus_Mons"));
  g_clear_error (&error);
  g_assert_cmpuint (count_proposals (store), ==, 0);
  draft = mer_store_get_local (store, draft_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (draft);

  put (store, proposal);
  readers = mer_proposal_reader_statuses (store, proposal, now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (readers->len, ==, 2);
  ana = readers->pdata[0];
  zed_status = readers->pdata[1];
  g_assert_null (ana->error);
  g_assert_nonnull (ana->deadline_local);
  g_assert_cmpstr (zed_status->person, ==, "person:zed");
  g_assert_cmpstr (zed_status->tz, ==, "Mars/Olympus_Mons");
  g_assert_null (zed_status->deadline_local);
  g_assert_cmpfloat (zed_status->remaining_hours, <, 0);
  g_assert_nonnull (zed_status->error);
  g_assert_nonnull (strstr (zed_status->error, "unknown time zone “Mars/Olympus_Mons”"));

  summary = mer_proposal_to_json_summary (store, proposal, now, &error);
  g_assert_no_error (error);
  zed_json = json_array_get_object_element (json_object_get_array_member (summary, "readers"), 1);
  g_assert_cmpstr (mer_json_get_string (zed_json, "error"), ==, zed_status->error);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (
    json_array_get_object_element (json_object_get_array_member (summary, "readers"), 0), "error")));

  mer_test_rm_rf (dir);
}

/*
 * On a system without tzdata (an empty $TZDIR, in a fresh subprocess since
 * GLib keeps loaded zones) no deadline is computed, publishing refuses, and
 * the reason names the reader, their zone and the missing database.
 */
static void
test_no_zone_database (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *empty = mer_test_make_tmpdir ("no-tzdata");
      g_autofree char *dir = NULL;
      g_autoptr(MerStore) store = NULL;
      g_autoptr(GDateTime) now = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) required = mer_json_parse ("[\"person:lea\",\"person:ana\"]", -1, NULL);
      g_autoptr(GDateTime) fair = NULL;
      g_autoptr(JsonObject) proposal = mer_test_object (
        "{\"_id\":\"proposal:p\",\"type\":\"proposal\",\"title\":\"P\",\"body\":\"\",\"author\":\"person:lea\","
        "\"owner\":\"person:lea\",\"status\":\"open\",\"opened_at\":\"2026-11-26T00:00:00Z\","
        "\"deadline\":\"2026-11-30T03:00:00Z\",\"required\":[\"person:ana\"],"
        "\"page\":null,\"page_body\":null,\"outcome\":null,\"decision\":null}");
      g_autoptr(GPtrArray) readers = NULL;
      g_autofree char *draft_id = NULL;
      g_autofree char *id = NULL;
      MerReaderStatus *ana;

      g_setenv ("TZDIR", empty, TRUE);
      store = mer_test_open_store (&dir);
      now = instant ("2026-11-27T03:30:00Z");
      add_team (store);

      fair = mer_proposal_fair_deadline (store, json_node_get_array (required), now, &error);
      g_assert_null (fair);
      g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "Léa’s time zone “Europe/Paris” cannot be loaded"));
      g_assert_nonnull (strstr (error->message, "no time zone database"));
      g_assert_nonnull (strstr (error->message, "tzdata"));
      g_clear_error (&error);

      draft_id = save_draft (store, "Follow the sun", "[\"person:ana\"]", NULL, NULL, NULL);
      id = mer_proposal_publish (store, draft_id, now, &error);
      g_assert_null (id);
      g_assert_error (error, MER_SCHEDULE_ERROR, MER_SCHEDULE_ERROR_NO_ZONE_DATABASE);
      g_assert_nonnull (strstr (error->message, "Ana’s time zone “Asia/Kathmandu”"));
      g_clear_error (&error);
      g_assert_cmpuint (count_proposals (store), ==, 0);

      put (store, proposal);
      readers = mer_proposal_reader_statuses (store, proposal, now, &error);
      g_assert_no_error (error);
      ana = readers->pdata[0];
      g_assert_cmpstr (ana->tz, ==, "Asia/Kathmandu");
      g_assert_null (ana->deadline_local);
      g_assert_nonnull (ana->error);
      g_assert_nonnull (strstr (ana->error, "Ana’s time zone “Asia/Kathmandu” cannot be loaded"));
      g_assert_nonnull (strstr (ana->error, "install the tzdata package"));

      g_clear_object (&store);
      mer_test_rm_rf (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/*
 * Per reader at Friday 09:15 in Kathmandu with the deadline Monday 08:45
 * there: 7.75 working hours left, less than a full working day, flagged.
 */
static void
test_remaining_hours (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) proposal = mer_test_object (
    "{\"_id\":\"proposal:p\",\"type\":\"proposal\",\"title\":\"P\",\"body\":\"\",\"author\":\"person:lea\","
    "\"owner\":\"person:lea\",\"status\":\"open\",\"opened_at\":\"2026-11-26T00:00:00Z\","
    "\"deadline\":\"2026-11-30T03:00:00Z\",\"required\":[\"person:ana\",\"person:sam\"],"
    "\"page\":null,\"page_body\":null,\"outcome\":null,\"decision\":null}");
  g_autoptr(GPtrArray) readers = NULL;
  MerReaderStatus *ana, *sam;
  g_autofree char *ana_local = NULL;

  add_team (store);
  put (store, proposal);
  readers = mer_proposal_reader_statuses (store, proposal, now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (readers->len, ==, 2);
  ana = readers->pdata[0];
  sam = readers->pdata[1];

  g_assert_cmpstr (ana->person, ==, "person:ana");
  g_assert_cmpstr (ana->tz, ==, "Asia/Kathmandu");
  ana_local = g_date_time_format_iso8601 (ana->deadline_local);
  g_assert_cmpstr (ana_local, ==, "2026-11-30T08:45:00+05:45");
  g_assert_cmpfloat_with_epsilon (ana->remaining_hours, 7.75, 0.001);
  g_assert_true (ana->short_of_day);

  /* New York: Friday 27 09:00-17:00 EST lies wholly ahead (now is 22:30
   * Thursday there), so Sam has a full day: 8 hours, not flagged. */
  g_assert_cmpfloat_with_epsilon (sam->remaining_hours, 8.0, 0.001);
  g_assert_false (sam->short_of_day);
  g_assert_false (sam->has_read);

  mer_test_rm_rf (dir);
}

static void
test_completeness (void)
{
  g_autoptr(JsonObject) draft = mer_proposal_new_draft (NULL);
  g_autoptr(GPtrArray) missing = mer_proposal_check_complete (draft);
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) one = NULL;
  GString *body = g_string_new (NULL);

  /* Title, five sections, owner, deadline, readers. */
  g_assert_cmpuint (missing->len, ==, 9);
  g_assert_cmpstr (missing->pdata[0], ==, "No title");
  g_assert_cmpstr (missing->pdata[1], ==, "The section “Context and problem” is empty");
  g_assert_cmpstr (missing->pdata[5], ==, "The section “What is asked of whom” is empty");
  g_assert_cmpstr (missing->pdata[6], ==, "No owner");
  g_assert_cmpstr (missing->pdata[7], ==, "No deadline");
  g_assert_cmpstr (missing->pdata[8], ==, "No required readers");

  for (guint i = 0; i < MER_PROPOSAL_N_SECTIONS; i++)
    g_string_append_printf (body, "## %s\n\nSomething real %u.\n\n", mer_proposal_section_title (i), i);
  json_object_set_string_member (draft, "title", "Real");
  json_object_set_string_member (draft, "text", body->str);
  json_object_set_string_member (draft, "owner", "person:lea");
  json_object_set_string_member (draft, "deadline", "2026-12-01T00:00:00Z");
  json_object_set_array_member (draft, "required", json_array_new ());
  json_array_add_string_element (json_object_get_array_member (draft, "required"), "person:ana");
  none = mer_proposal_check_complete (draft);
  g_assert_cmpuint (none->len, ==, 0);

  /* Emptying one section (to whitespace) is reported, alone. */
  g_string_replace (body, "Something real 3.", "   ", 1);
  json_object_set_string_member (draft, "text", body->str);
  one = mer_proposal_check_complete (draft);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpstr (one->pdata[0], ==, "The section “Risks” is empty");
  g_string_free (body, TRUE);
}

static JsonObject *
comment (const char *id,
         const char *author,
         const char *at,
         const char *stance)
{
  g_autofree char *json = g_strdup_printf ("{\"_id\":\"comment:%s\",\"type\":\"comment\",\"on\":\"proposal:p\","
                                           "\"reply_to\":null,\"author\":\"%s\",\"body\":\"b\","
                                           "\"created_at\":\"%s\",\"stance\":%s%s%s}",
                                           id, author, at, stance ? "\"" : "", stance ? stance : "null",
                                           stance ? "\"" : "");
  return mer_test_object (json);
}

/* Latest stance per person: Ana objected then agreed; a later plain
 * comment keeps her agreement; Sam has a concern; Léa agreed. */
static void
test_stance_summary (void)
{
  g_autoptr(JsonArray) comments = json_array_new ();
  g_autoptr(JsonObject) summary = NULL;
  JsonObject *latest;

  /* Out of order on purpose: the summary sorts by time. */
  json_array_add_object_element (comments, comment ("3", "person:ana", "2026-11-27T10:00:00Z", "agree"));
  json_array_add_object_element (comments, comment ("1", "person:ana", "2026-11-27T08:00:00Z", "object"));
  json_array_add_object_element (comments, comment ("4", "person:ana", "2026-11-27T11:00:00Z", NULL));
  json_array_add_object_element (comments, comment ("2", "person:sam", "2026-11-27T09:00:00Z", "concern"));
  json_array_add_object_element (comments, comment ("5", "person:lea", "2026-11-27T12:00:00Z", "agree"));
  summary = mer_proposal_stance_summary (comments);
  g_assert_cmpint (json_object_get_int_member (summary, "agree"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (summary, "concern"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "object"), ==, 0);
  latest = json_object_get_object_member (summary, "latest");
  g_assert_cmpstr (json_object_get_string_member (latest, "person:ana"), ==, "agree");
  g_assert_cmpstr (json_object_get_string_member (latest, "person:sam"), ==, "concern");
}

/* Comments, replies, seen documents: who read it, who has not responded. */
static void
test_read_and_responded (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GError) error = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *id = NULL;
  g_autofree char *c1 = NULL, *c2 = NULL, *bad = NULL;
  g_autoptr(JsonObject) proposal = NULL;
  g_autoptr(GPtrArray) readers = NULL;
  g_autoptr(JsonArray) comments = NULL;
  MerReaderStatus *ana, *tevita, *sam;

  add_team (store);
  draft = save_draft (store, "Read me", "[\"person:ana\",\"person:tevita\",\"person:sam\"]", NULL, NULL, NULL);
  id = mer_proposal_publish (store, draft, now, &error);
  g_assert_no_error (error);
  proposal = mer_store_get_doc (store, id, NULL, 0, &error);

  c1 = mer_proposal_add_comment (store, id, NULL, "person:ana", "Worried about handover", "concern", now, &error);
  g_assert_no_error (error);
  c2 = mer_proposal_add_comment (store, id, c1, "person:lea", "We can overlap an hour", NULL, now, &error);
  g_assert_no_error (error);
  bad = mer_proposal_add_comment (store, id, NULL, "person:sam", "x", "maybe", now, &error);
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID);
  g_assert_null (bad);
  g_clear_error (&error);
  g_assert_true (mer_proposal_mark_seen (store, "person:tevita", proposal, now, &error));
  g_assert_no_error (error);

  comments = mer_proposal_list_comments (store, id, &error);
  g_assert_cmpuint (json_array_get_length (comments), ==, 2);
  readers = mer_proposal_reader_statuses (store, proposal, now, &error);
  g_assert_no_error (error);
  ana = readers->pdata[0];
  tevita = readers->pdata[1];
  sam = readers->pdata[2];
  g_assert_true (ana->has_read && ana->has_responded);
  g_assert_cmpstr (ana->stance, ==, "concern");
  g_assert_true (tevita->has_read && !tevita->has_responded);
  g_assert_true (!sam->has_read && !sam->has_responded);

  mer_test_rm_rf (dir);
}

static const char *page_v1 =
  "# On-call\n\nIntro paragraph.\n\n## Rota\n\nWeekly rota, Monday to Monday.\n\n"
  "## Escalation\n\nPage the secondary after 15 minutes.\n";

static void
add_page (MerStore   *store,
          const char *body)
{
  g_autoptr(JsonObject) page = mer_test_object (
    "{\"_id\":\"page:on-call\",\"type\":\"page\",\"title\":\"On-call\",\"path\":\"engineering/on-call\","
    "\"owner\":\"person:lea\",\"review_by\":null,\"tags\":[],\"updated_at\":\"2026-11-20T10:00:00Z\","
    "\"updated_by\":\"person:lea\"}");

  json_object_set_string_member (page, "body", body);
  put (store, page);
}

static char *
open_page_proposal (MerStore   *store,
                    GDateTime  *now,
                    const char *page_body)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *draft = save_draft (store, "Follow the sun", "[\"person:ana\"]", NULL, "page:on-call", page_body);
  char *id = mer_proposal_publish (store, draft, now, &error);

  g_assert_no_error (error);
  return id;
}

/*
 * Deciding: only the owner; early only with a reason; accepting writes the
 * decision linked both ways and the proposed text to the page, straight
 * when the page did not change.
 */
static void
test_accept_applies_page (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GDateTime) early = instant ("2026-11-28T00:00:00Z");
  g_autoptr(GDateTime) later = instant ("2026-12-01T00:00:00Z");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *decision_id = NULL;
  g_autoptr(JsonObject) proposal = NULL, decision = NULL, page = NULL;
  g_auto(GStrv) parts = g_strsplit (page_v1, "Weekly rota, Monday to Monday.", -1);
  g_autofree char *proposed = g_strjoinv ("Follow the sun: three regions hand over.", parts);
  JsonObject *outcome;

  add_team (store);
  add_page (store, page_v1);
  id = open_page_proposal (store, now, proposed);

  g_assert_false (mer_proposal_decide (store, id, "accepted", "Yes", NULL, "person:ana", later, NULL, &error));
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_NOT_OWNER);
  g_clear_error (&error);
  g_assert_false (mer_proposal_decide (store, id, "accepted", "Yes", NULL, "person:lea", early, NULL, &error));
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_NEEDS_REASON);
  g_clear_error (&error);
  g_assert_false (mer_proposal_decide (store, id, "maybe", "Yes", NULL, "person:lea", later, NULL, &error));
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID);
  g_clear_error (&error);

  {
    g_autoptr(JsonObject) open = mer_store_get_doc (store, id, NULL, 0, &error);
    g_autofree char *diff = mer_proposal_page_diff (store, open, &error);

    g_assert_no_error (error);
    g_assert_nonnull (strstr (diff, "\n-Weekly rota, Monday to Monday.\n+Follow the sun: three regions hand over.\n"));
    g_assert_true (g_str_has_prefix (diff, "--- a/engineering/on-call\n+++ b/engineering/on-call\n@@ "));
  }

  g_assert_true (mer_proposal_decide (store, id, "accepted", "Adopted from December.", NULL, "person:lea",
                                      later, &decision_id, &error));
  g_assert_no_error (error);
  g_assert_nonnull (decision_id);

  proposal = mer_store_get_doc (store, id, NULL, 0, &error);
  decision = mer_store_get_doc (store, decision_id, NULL, 0, &error);
  page = mer_store_get_doc (store, "page:on-call", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (proposal, "status"), ==, "accepted");
  g_assert_cmpstr (mer_json_get_string (proposal, "decision"), ==, decision_id);
  outcome = json_object_get_object_member (proposal, "outcome");
  g_assert_cmpstr (mer_json_get_string (outcome, "summary"), ==, "Adopted from December.");
  g_assert_cmpstr (mer_json_get_string (outcome, "decided_by"), ==, "person:lea");
  g_assert_cmpstr (mer_json_get_string (outcome, "decided_at"), ==, "2026-12-01T00:00:00Z");
  g_assert_false (mer_json_get_bool (outcome, "early"));
  g_assert_cmpstr (mer_json_get_string (decision, "proposal"), ==, id);
  g_assert_cmpstr (mer_json_get_string (decision, "status"), ==, "accepted");
  g_assert_cmpstr (mer_json_get_string (decision, "title"), ==, "Follow the sun");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (decision, "pages"), 0), ==,
                   "page:on-call");
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, proposed);
  g_assert_cmpstr (mer_json_get_string (page, "updated_by"), ==, "person:lea");
  g_assert_true (g_str_has_prefix (mer_json_get_string (page, "_rev"), "2-"));

  /* Decided once only. */
  g_assert_false (mer_proposal_decide (store, id, "rejected", "No", NULL, "person:lea", later, NULL, &error));
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_NOT_OPEN);

  mer_test_rm_rf (dir);
}

/* The page changed elsewhere after the proposal opened: merged. */
static void
test_accept_merges_page (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GDateTime) early = instant ("2026-11-28T00:00:00Z");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_auto(GStrv) parts = g_strsplit (page_v1, "Weekly rota, Monday to Monday.", -1);
  g_autofree char *proposed = g_strjoinv ("Follow the sun: three regions hand over.", parts);
  g_auto(GStrv) parts2 = g_strsplit (page_v1, "after 15 minutes", -1);
  g_autofree char *edited = g_strjoinv ("after 10 minutes", parts2);
  g_autoptr(JsonObject) page = NULL, after = NULL, proposal = NULL;
  const char *body;

  add_team (store);
  add_page (store, page_v1);
  id = open_page_proposal (store, now, proposed);

  page = mer_store_get_doc (store, "page:on-call", NULL, 0, &error);
  json_object_set_string_member (page, "body", edited);
  put (store, page);

  /* Early, with a reason. */
  g_assert_true (mer_proposal_decide (store, id, "accepted", "Everyone agreed", "All readers agreed already",
                                      "person:lea", early, NULL, &error));
  g_assert_no_error (error);
  after = mer_store_get_doc (store, "page:on-call", NULL, 0, &error);
  body = mer_json_get_string (after, "body");
  g_assert_nonnull (strstr (body, "Follow the sun: three regions hand over."));
  g_assert_nonnull (strstr (body, "after 10 minutes"));
  g_assert_null (strstr (body, "Weekly rota"));
  g_assert_null (strstr (body, "<<<<<<<"));
  proposal = mer_store_get_doc (store, id, NULL, 0, &error);
  g_assert_true (mer_json_get_bool (json_object_get_object_member (proposal, "outcome"), "early"));
  g_assert_cmpstr (mer_json_get_string (json_object_get_object_member (proposal, "outcome"), "reason"), ==,
                   "All readers agreed already");

  mer_test_rm_rf (dir);
}

/* Overlapping changes: refused, and nothing at all is written. */
static void
test_accept_conflict_writes_nothing (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) now = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GDateTime) later = instant ("2026-12-01T00:00:00Z");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_auto(GStrv) parts = g_strsplit (page_v1, "Weekly rota, Monday to Monday.", -1);
  g_autofree char *proposed = g_strjoinv ("Follow the sun.", parts);
  g_autofree char *edited = g_strjoinv ("Fortnightly rota.", parts);
  g_autoptr(JsonObject) page = NULL, proposal = NULL;
  g_autoptr(JsonArray) decisions = NULL;

  add_team (store);
  add_page (store, page_v1);
  id = open_page_proposal (store, now, proposed);
  page = mer_store_get_doc (store, "page:on-call", NULL, 0, &error);
  json_object_set_string_member (page, "body", edited);
  put (store, page);

  g_assert_false (mer_proposal_decide (store, id, "accepted", "Yes", NULL, "person:lea", later, NULL, &error));
  g_assert_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_MERGE_CONFLICT);
  g_clear_error (&error);
  proposal = mer_store_get_doc (store, id, NULL, 0, &error);
  g_assert_cmpstr (mer_json_get_string (proposal, "status"), ==, "open");
  decisions = mer_decision_list (store, NULL, &error);
  g_assert_cmpuint (json_array_get_length (decisions), ==, 0);

  mer_test_rm_rf (dir);
}

/* "Since you were last here": grouped, newest first, own items left out. */
static void
test_digest (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GDateTime) t0 = instant ("2026-11-27T00:00:00Z");
  g_autoptr(GDateTime) t1 = instant ("2026-11-27T03:30:00Z");
  g_autoptr(GDateTime) t2 = instant ("2026-12-01T00:00:00Z");
  g_autoptr(GDateTime) opened = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *draft = NULL, *id = NULL, *c = NULL;
  g_autoptr(JsonObject) digest = NULL, mine = NULL;
  JsonArray *proposals, *comments;

  add_team (store);
  add_page (store, page_v1);  /* updated 2026-11-20: before t0 */
  draft = save_draft (store, "Digest me", "[\"person:ana\"]", NULL, NULL, NULL);
  id = mer_proposal_publish (store, draft, t1, &error);
  g_assert_no_error (error);
  c = mer_proposal_add_comment (store, id, NULL, "person:ana", "Fine by me", "agree", t1, &error);
  g_assert_no_error (error);
  g_assert_true (mer_proposal_decide (store, id, "accepted", "Done", NULL, "person:lea", t2, NULL, &error));

  digest = mer_digest_since (store, t0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mer_digest_count (digest), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (digest, "pages")), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (digest, "decisions")), ==, 1);
  proposals = json_object_get_array_member (digest, "proposals");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (proposals, 0), "event"), ==, "decided");
  comments = json_object_get_array_member (digest, "comments");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (comments, 0), "on_title"), ==, "Digest me");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (comments, 0), "author_name"), ==, "Ana");

  /* Léa sees only Ana's comment: the rest she did herself. */
  mine = mer_digest_since (store, t0, "person:lea", &error);
  g_assert_cmpuint (mer_digest_count (mine), ==, 1);

  g_assert_null (mer_digest_get_last_opened (store));
  g_assert_true (mer_digest_set_last_opened (store, t2, &error));
  g_assert_true (mer_digest_set_last_opened (store, t2, &error));
  opened = mer_digest_get_last_opened (store);
  assert_instant (opened, "2026-12-01T00:00:00Z");

  mer_test_rm_rf (dir);
}

/* Ids and export file names: lower case, dashes, cut between words. */
static void
test_slug (void)
{
  g_autofree char *a = mer_doc_slug ("Move on-call to “follow the sun”!");
  g_autofree char *b = mer_doc_slug ("No shared core hours; stalled threads become calls between the people");
  g_autofree char *c = mer_doc_slug ("¿¡");

  g_assert_cmpstr (a, ==, "move-on-call-to-follow-the-sun");
  g_assert_cmpstr (b, ==, "no-shared-core-hours-stalled-threads-become");
  g_assert_cmpstr (c, ==, "untitled");
}

/* The shared document helpers accept what a peer may send. */
static void
test_doc_util (void)
{
  g_autoptr(JsonObject) doc = mer_test_object (
    "{\"_id\":\"decision:a\",\"tags\":[\"x\",\"\",3,null,\"y\"],\"pages\":\"page:one\","
    "\"outcome\":{\"summary\":\"s\"},\"decision\":null}");
  g_autoptr(JsonArray) tags = mer_doc_string_array (doc, "tags");
  g_autoptr(JsonArray) pages = mer_doc_string_array (doc, "pages");
  g_autoptr(JsonArray) docs = json_array_new ();
  g_autofree char *id = mer_doc_new_id ("decision", "  Move on-call!  ");

  g_assert_true (mer_doc_is_blank (NULL));
  g_assert_true (mer_doc_is_blank (" \t\n"));
  g_assert_false (mer_doc_is_blank (" x "));
  g_assert_cmpuint (json_array_get_length (tags), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (tags, 1), ==, "y");
  g_assert_cmpuint (json_array_get_length (pages), ==, 0);
  g_assert_nonnull (mer_doc_get_object (doc, "outcome"));
  g_assert_null (mer_doc_get_object (doc, "decision"));
  g_assert_null (mer_doc_get_object (doc, "missing"));
  g_assert_true (g_str_has_prefix (id, "decision:move-on-call-"));
  g_assert_cmpuint (strlen (id), ==, strlen ("decision:move-on-call-") + 6);
  json_array_add_object_element (docs, json_object_ref (doc));
  g_assert_true (mer_doc_find_by_id (docs, "decision:a") == doc);
  g_assert_null (mer_doc_find_by_id (docs, "decision:b"));
  mer_doc_set_string_or_null (doc, "decision", NULL);
  g_assert_true (json_object_get_null_member (doc, "decision"));
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/proposal/deadline/date-line", test_deadline_date_line);
  g_test_add_func ("/proposal/deadline/kathmandu", test_deadline_kathmandu);
  g_test_add_func ("/proposal/deadline/dst", test_deadline_dst);
  g_test_add_func ("/proposal/deadline/floor", test_deadline_floor);
  g_test_add_func ("/proposal/publish/deadline", test_publish_deadline);
  g_test_add_func ("/proposal/readers/remaining-hours", test_remaining_hours);
  g_test_add_func ("/proposal/deadline/unloadable-zone", test_unloadable_zone_blocks_deadline);
  g_test_add_func ("/proposal/deadline/no-zone-database", test_no_zone_database);
  g_test_add_func ("/proposal/completeness", test_completeness);
  g_test_add_func ("/proposal/slug", test_slug);
  g_test_add_func ("/proposal/stances", test_stance_summary);
  g_test_add_func ("/proposal/readers/read-responded", test_read_and_responded);
  g_test_add_func ("/proposal/decide/accept-applies-page", test_accept_applies_page);
  g_test_add_func ("/proposal/decide/accept-merges-page", test_accept_merges_page);
  g_test_add_func ("/proposal/decide/conflict-writes-nothing", test_accept_conflict_writes_nothing);
  g_test_add_func ("/proposal/digest", test_digest);
  g_test_add_func ("/proposal/doc-util", test_doc_util);
  g_test_add_func ("/proposal/attachments-from-drafts", test_attachments_from_drafts);

  return g_test_run ();
}
