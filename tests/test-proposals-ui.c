/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Proposals and Decisions sections driven as a person would, under
 * Xvfb: draft a proposal, lose the process to SIGKILL and get the draft
 * back, publish past the completeness check, receive a comment with a
 * stance from a second replica over real replication, reply with a stance,
 * decide early with a reason, and find the decision in the log. Each step
 * leaves a screenshot, proposals-*.png, in the build's meson-logs.
 */
#include "config.h"

#include "mer-decision.h"
#include "mer-core.h"
#include "mer-decisions-view.h"
#include "mer-digest-dialog.h"
#include "mer-digest.h"
#include "mer-json.h"
#include "mer-markdown-editor.h"
#include "mer-proposal-composer.h"
#include "mer-proposal.h"
#include "mer-proposals-view.h"
#include "mer-schedule.h"
#include "mer-test-peer.h"
#include "mer-test-gui.h"
#include "mer-test-util.h"
#include "mer-ui-resources.h"
#include "mer-ui-util.h"
#include "mer-web-view.h"

#include <adwaita.h>
#include <webkit/webkit.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Monday 09:00 UTC: Ana (Kathmandu, 14:45) is in her focus hours. */
#define NOW          "2026-11-23T09:00:00Z"
#define TITLE        "Follow the sun for on-call"
#define TYPED        "Night pages wake whoever is on call; three regions could hand over instead."
#define PAGE_BODY    "# On-call\n\nWeekly rota, Monday to Monday.\n\nPage the secondary after 15 minutes.\n"
#define PAGE_NEW     "# On-call\n\nFollow the sun: Auckland, Kathmandu and New York hand over.\n\nPage the secondary after 15 minutes.\n"
#define WORK "{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]]," \
             "\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[],\"sun\":[]}"


static void
put (MerStore   *store,
     const char *json)
{
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
}

static MerStore *
open_workspace (char **out_dir)
{
  MerStore *store = mer_test_open_store (out_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = mer_test_object (
    "{\"_id\":\"page:on-call\",\"type\":\"page\",\"title\":\"On-call\",\"path\":\"engineering/on-call\","
    "\"owner\":\"person:lea\",\"review_by\":null,\"tags\":[],\"updated_at\":\"2026-11-20T09:00:00Z\","
    "\"updated_by\":\"person:lea\"}");
  g_autofree char *rev = NULL;

  put (store, "{\"_id\":\"person:lea\",\"type\":\"person\",\"name\":\"Léa Martin\",\"tz\":\"Europe/Paris\","
              "\"pronouns\":\"she/her\",\"work\":" WORK ",\"focus\":{},\"away\":[]}");
  put (store, "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana Shrestha\",\"tz\":\"Asia/Kathmandu\","
              "\"pronouns\":\"she/her\",\"work\":" WORK ",\"focus\":{\"mon\":[[\"14:00\",\"16:00\"]]},\"away\":[]}");
  put (store, "{\"_id\":\"person:sam\",\"type\":\"person\",\"name\":\"Sam Okafor\",\"tz\":\"America/New_York\","
              "\"work\":" WORK ",\"focus\":{},\"away\":[]}");
  json_object_set_string_member (page, "body", PAGE_BODY);
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  g_assert_true (mer_schedule_set_me (store, "person:lea", &error));
  /* As the application does for its store: the views learn of the
   * replicator's commits (its own connection) from "changed". */
  mer_store_watch_others (store, 250);
  return store;
}

static GtkWidget *
show_in_window (GtkWidget *child)
{
  GtkWidget *window = adw_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  adw_window_set_content (ADW_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  mer_test_gui_spin (300);
  return window;
}

static GtkWidget *
find (GtkWidget  *root,
      const char *name)
{
  GtkWidget *widget = mer_ui_find_named (root, name);

  if (widget == NULL)
    g_error ("no widget named %s", name);
  return widget;
}

static void
click (GtkWidget  *root,
       const char *name)
{
  GtkWidget *button = find (root, name);

  g_assert_true (gtk_widget_is_sensitive (button));
  /* A button's "activate" shows the press and clicks 250 ms later. */
  g_assert_true (gtk_widget_activate (button));
  mer_test_gui_spin (400);
}

static void
type_into (GtkTextBuffer *buffer,
           const char    *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gtk_text_buffer_insert_interactive_at_cursor (buffer, p, g_utf8_next_char (p) - p, TRUE);
      if ((p - text) % 8 == 0)
        mer_test_gui_spin (5);
    }
}

static void
select_page (GtkWidget  *composer,
             const char *path)
{
  GtkDropDown *dropdown = GTK_DROP_DOWN (find (composer, "page-choice"));
  GListModel *model = gtk_drop_down_get_model (dropdown);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), path) == 0)
      {
        gtk_drop_down_set_selected (dropdown, i);
        return;
      }
  g_error ("no page %s to choose", path);
}

/*
 * The child half of the crash test: starts a proposal as a person would
 * (title, readers, the page and its new text, a first section typed in
 * the editor), says so, and runs until the parent kills it with SIGKILL.
 */
static int
child_draft_main (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  MerStore *store;
  GtkWidget *view, *window, *composer;
  MerMarkdownEditor *editor;
  GtkTextBuffer *buffer;
  GtkTextIter iter;
  GtkTextBuffer *page_buffer;
  g_autofree char *text = NULL;

  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  store = mer_core_open_store (data_dir, &error);
  g_assert_no_error (error);
  view = mer_proposals_view_new (store);
  window = show_in_window (view);
  click (view, "new-proposal-button");
  composer = mer_proposals_view_get_composer (MER_PROPOSALS_VIEW (view));
  g_assert_nonnull (composer);

  gtk_editable_set_text (GTK_EDITABLE (find (composer, "title-entry")), TITLE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (find (composer, "reader-person:ana")), TRUE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (find (composer, "reader-person:sam")), TRUE);
  select_page (composer, "engineering/on-call");
  mer_test_gui_spin (100);
  page_buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (find (composer, "page-text")));
  gtk_text_buffer_set_text (page_buffer, PAGE_NEW, -1);

  /* Under "Context and problem", replace the placeholder by typing. */
  editor = MER_MARKDOWN_EDITOR (mer_proposal_composer_get_editor (MER_PROPOSAL_COMPOSER (composer)));
  buffer = mer_markdown_editor_get_buffer (editor);
  text = mer_markdown_editor_get_text (editor);
  {
    const char *hint = strstr (text, "_What is happening");
    const char *hint_end = strchr (hint, '\n');
    GtkTextIter start, end;

    gtk_text_buffer_get_iter_at_offset (buffer, &start, g_utf8_pointer_to_offset (text, hint));
    gtk_text_buffer_get_iter_at_offset (buffer, &end, g_utf8_pointer_to_offset (text, hint_end));
    gtk_text_buffer_delete (buffer, &start, &end);
    gtk_text_buffer_get_iter_at_offset (buffer, &iter, g_utf8_pointer_to_offset (text, hint));
    gtk_text_buffer_place_cursor (buffer, &iter);
  }
  type_into (buffer, TYPED);
  mer_test_gui_spin (200);
  mer_test_gui_save_png (window, "proposals-draft-before-kill.png");
  printf ("typed\n");
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

static gboolean
draft_saved (MerStore *store)
{
  g_autoptr(JsonArray) drafts = mer_proposal_list_drafts (store, NULL);
  JsonObject *draft, *fields;

  if (drafts == NULL || json_array_get_length (drafts) != 1)
    return FALSE;
  draft = json_array_get_object_element (drafts, 0);
  fields = json_object_get_object_member (draft, "fields");
  return strstr (mer_json_get_string (draft, "text"), TYPED) != NULL && fields != NULL
         && g_strcmp0 (mer_json_get_string (fields, "title"), TITLE) == 0
         && g_strcmp0 (mer_json_get_string (fields, "page_body"), PAGE_NEW) == 0
         && json_array_get_length (json_object_get_array_member (fields, "required")) == 2;
}

static gboolean
wait_until (gboolean (*predicate) (gpointer),
            gpointer  data)
{
  for (guint i = 0; i < 400; i++)
    {
      if (predicate (data))
        return TRUE;
      mer_test_gui_spin (25);
    }
  return predicate (data);
}

static gboolean
summary_shows_objection (gpointer view)
{
  GtkWidget *label = mer_ui_find_named (view, "stance-summary");

  if (label != NULL)
    g_test_message ("stances: %s", gtk_label_get_text (GTK_LABEL (label)));
  return label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), "0 agree · 0 concern · 1 object") == 0;
}

static gboolean
outcome_shown (gpointer view)
{
  GtkWidget *card = mer_ui_find_named (view, "outcome-card");

  return card != NULL && gtk_widget_get_mapped (card);
}

static void
scroll_detail_to (GtkWidget  *view,
                  const char *name)
{
  GtkWidget *target = find (view, name);
  GtkWidget *scroller = gtk_widget_get_ancestor (target, GTK_TYPE_SCROLLED_WINDOW);
  graphene_point_t point;

  mer_test_gui_spin (500);  /* let the rebuilt detail be laid out first */
  if (gtk_widget_compute_point (target, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller)),
                                &GRAPHENE_POINT_INIT (0, 0), &point))
    {
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

      /* The viewport's coordinates are those of the visible area. */
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + point.y - 40);
    }
  mer_test_gui_spin (100);
}

/*
 * Lets the detail settle before a screenshot: a write rebuilds it 150 ms
 * later, and opening a proposal records a seen document, which rebuilds it
 * once more; then the body's web view loads and paints.
 */
static void
wait_for_body (GtkWidget *view)
{
  mer_test_gui_spin (400);
  for (guint i = 0; i < 200 && webkit_web_view_is_loading (WEBKIT_WEB_VIEW (find (view, "proposal-body"))); i++)
    mer_test_gui_spin (25);
  mer_test_gui_spin (1000);  /* the web process paints after loading */
}

static void
test_flow (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *restored_text = NULL;
  g_autofree char *ana_comment = NULL;
  g_autoptr(JsonObject) proposal = NULL;
  g_autoptr(JsonObject) decided = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonArray) comments = NULL;
  g_autoptr(JsonArray) drafts = NULL;
  g_autofree char *row = NULL;
  g_autofree char *drow = NULL;
  g_autoptr(GDateTime) ana_now = NULL;
  TestPeer *peer;
  TestSyncResult sync;
  GtkWidget *stack, *view, *decisions, *window, *composer, *dialog, *availability;
  const char *proposal_id;
  JsonObject *reply = NULL;
  gboolean saved = FALSE;

  /* 1. Draft in a process that then dies without any clean-up. */
  child = mer_test_spawn_self_until ("--child-draft", dir, "typed");
  for (guint i = 0; i < 600 && !saved; i++)
    {
      saved = draft_saved (store);
      if (!saved)
        g_usleep (100 * 1000);
    }
  g_assert_true (saved);
  mer_test_kill_hard (child);

  /* 2. Reopen: "New Proposal" brings the draft back, fields and all. */
  stack = gtk_stack_new ();
  view = mer_proposals_view_new (store);
  decisions = mer_decisions_view_new (store);
  gtk_stack_add_named (GTK_STACK (stack), view, "proposals");
  gtk_stack_add_named (GTK_STACK (stack), decisions, "decisions");
  window = show_in_window (stack);
  g_assert_cmpuint (mer_proposals_view_get_n_rows (MER_PROPOSALS_VIEW (view)), ==, 0);
  click (view, "new-proposal-button");
  composer = mer_proposals_view_get_composer (MER_PROPOSALS_VIEW (view));
  g_assert_nonnull (composer);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find (composer, "title-entry"))), ==, TITLE);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (find (composer, "reader-person:ana"))));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (find (composer, "reader-person:sam"))));
  restored_text = mer_markdown_editor_get_text (MER_MARKDOWN_EDITOR (
    mer_proposal_composer_get_editor (MER_PROPOSAL_COMPOSER (composer))));
  g_assert_nonnull (strstr (restored_text, "## Context and problem\n\n" TYPED "\n"));
  mer_test_gui_save_png (window, "proposals-draft-restored.png");

  /* 3. Publish: the check lists the empty sections; publish anyway. */
  click (composer, "publish-button");
  dialog = mer_proposal_composer_get_check_dialog (MER_PROPOSAL_COMPOSER (composer));
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "The section “Risks” is empty"));
  g_assert_null (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "Context and problem"));
  mer_test_gui_save_png (dialog, "proposals-completeness.png");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "publish");
  mer_test_gui_spin (300);

  g_assert_cmpuint (mer_proposals_view_get_n_rows (MER_PROPOSALS_VIEW (view)), ==, 1);
  proposal_id = mer_proposals_view_get_selected (MER_PROPOSALS_VIEW (view));
  g_assert_true (g_str_has_prefix (proposal_id, "proposal:follow-the-sun-for-on-call-"));
  proposal = mer_store_get_doc (store, proposal_id, NULL, 0, &error);
  g_assert_no_error (error);
  /* Ana's full day is Tuesday 09:00-17:00 in Kathmandu: 11:15 UTC. */
  g_assert_cmpstr (mer_json_get_string (proposal, "deadline"), ==, "2026-11-24T11:15:00Z");
  g_assert_cmpstr (mer_json_get_string (proposal, "page"), ==, "page:on-call");
  g_assert_cmpstr (mer_json_get_string (proposal, "page_body"), ==, PAGE_NEW);
  g_assert_cmpstr (mer_json_get_string (proposal, "owner"), ==, "person:lea");
  drafts = mer_proposal_list_drafts (store, NULL);
  g_assert_cmpuint (json_array_get_length (drafts), ==, 0);
  row = mer_proposals_view_get_row_summary (MER_PROPOSALS_VIEW (view), 0);
  g_assert_cmpstr (row, ==, "open\t" TITLE "\tCloses in 26 h 15 min");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find (view, "not-responded"))), ==,
                   "Not read yet: Ana Shrestha, Sam Okafor.");
  wait_for_body (view);
  mer_test_gui_save_png (window, "proposals-published.png");
  scroll_detail_to (view, "page-diff");
  mer_test_gui_save_png (window, "proposals-page-diff.png");

  /* 4. Ana objects on her own replica; it arrives by replication. */
  ana_now = mer_schedule_parse_instant ("2026-11-23T09:20:00Z", NULL);
  peer = test_peer_new (NULL, NULL);
  sync = test_sync (store, peer->url, MER_REPLICATOR_PUSH, 0);
  g_assert_no_error (sync.error);
  ana_comment = mer_proposal_add_comment (peer->store, proposal_id, NULL, "person:ana",
                                          "Handovers at 03:00 my time would land in my sleep. Can Kathmandu take "
                                          "the 06:00-14:00 UTC block instead?", "object", ana_now, &error);
  g_assert_no_error (error);
  sync = test_sync (store, peer->url, MER_REPLICATOR_PULL, 0);
  g_assert_no_error (sync.error);
  g_test_message ("pulled: read %" G_GUINT64_FORMAT ", written %" G_GUINT64_FORMAT, sync.read, sync.written);
  g_assert_cmpuint (sync.written, >=, 1);
  g_assert_true (wait_until (summary_shows_objection, view));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find (view, "not-responded"))), ==, "Not read yet: Sam Okafor.");
  scroll_detail_to (view, "comment-thread");
  mer_test_gui_save_png (window, "proposals-comment-synced.png");

  /* 5. Léa replies with a stance; Ana's focus is mentioned, not blocking. */
  click (view, "reply-button");
  type_into (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find (view, "comment-text"))),
             "@Ana yes: Kathmandu takes 06:00-14:00 UTC, I updated the page text.");
  mer_test_gui_spin (100);
  availability = find (view, "availability-label");
  g_assert_true (gtk_widget_get_visible (availability));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (availability)), "Ana"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find (view, "comment-stance")), 1);
  scroll_detail_to (view, "comment-text");
  mer_test_gui_save_png (window, "proposals-reply-availability.png");
  click (view, "comment-button");
  comments = mer_proposal_list_comments (store, proposal_id, &error);
  g_assert_cmpuint (json_array_get_length (comments), ==, 2);
  for (guint i = 0; i < 2; i++)
    if (g_strcmp0 (mer_json_get_string (json_array_get_object_element (comments, i), "author"), "person:lea") == 0)
      reply = json_array_get_object_element (comments, i);
  g_assert_nonnull (reply);
  g_assert_cmpstr (mer_json_get_string (reply, "reply_to"), ==, ana_comment);
  g_assert_cmpstr (mer_json_get_string (reply, "stance"), ==, "agree");

  /* 6. Decide before the deadline: the dialog asks for a reason. */
  click (view, "decide-button");
  dialog = mer_proposals_view_get_decide_dialog (MER_PROPOSALS_VIEW (view));
  g_assert_nonnull (dialog);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find (dialog, "decide-outcome")), 0);
  gtk_editable_set_text (GTK_EDITABLE (find (dialog, "decide-summary")),
                         "Accepted with Kathmandu on 06:00-14:00 UTC; starts 1 December.");
  gtk_editable_set_text (GTK_EDITABLE (find (dialog, "decide-reason")),
                         "Ana's objection is resolved and the rota must be set before Friday.");
  mer_test_gui_save_png (dialog, "proposals-decide-dialog.png");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "decide");
  g_assert_true (wait_until (outcome_shown, view));
  decided = mer_store_get_doc (store, proposal_id, NULL, 0, &error);
  g_assert_cmpstr (mer_json_get_string (decided, "status"), ==, "accepted");
  g_assert_true (g_str_has_prefix (mer_json_get_string (decided, "decision"), "decision:"));
  page = mer_store_get_doc (store, "page:on-call", NULL, 0, &error);
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, PAGE_NEW);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (find (view, "outcome-card"), GTK_TYPE_SCROLLED_WINDOW))), 0);
  wait_for_body (view);
  mer_test_gui_save_png (window, "proposals-decided.png");

  /* 7. The decision log: search, find, open. */
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "decisions");
  gtk_editable_set_text (GTK_EDITABLE (find (decisions, "filter-text")), "follow the sun");
  mer_test_gui_spin (400);
  g_assert_cmpuint (mer_decisions_view_get_n_rows (MER_DECISIONS_VIEW (decisions)), ==, 1);
  drow = mer_decisions_view_get_row_summary (MER_DECISIONS_VIEW (decisions), 0);
  g_assert_cmpstr (drow, ==, "accepted\t" TITLE);
  gtk_widget_activate (GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (find (decisions, "decision-list")), 0)));
  mer_test_gui_spin (100);
  g_assert_cmpstr (mer_decisions_view_get_selected (MER_DECISIONS_VIEW (decisions)), ==,
                   mer_json_get_string (decided, "decision"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find (decisions, "decision-title"))), ==, TITLE);
  mer_test_gui_save_png (window, "proposals-decision-log.png");

  /* 8. A change of mind supersedes it; a decision made elsewhere is logged
   * directly. Both through the dialogs, as a person would. */
  click (decisions, "supersede-button");
  dialog = mer_decisions_view_get_dialog (MER_DECISIONS_VIEW (decisions));
  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find (dialog, "field-title"))), ==, TITLE);
  gtk_editable_set_text (GTK_EDITABLE (find (dialog, "field-title")), "Follow the sun, with a Pacific shift");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find (dialog, "field-decision"))),
                            "Aroha joins: Auckland takes 19:00-03:30 UTC.", -1);
  mer_test_gui_save_png (dialog, "proposals-supersede-dialog.png");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "log");
  mer_test_gui_spin (300);
  {
    const char *old_id = mer_json_get_string (decided, "decision");
    g_autoptr(JsonObject) stored = mer_store_get_doc (store, old_id, NULL, 0, &error);
    g_autoptr(JsonObject) old = mer_decision_get (store, old_id, &error);
    const char *newer = mer_decisions_view_get_selected (MER_DECISIONS_VIEW (decisions));
    g_autoptr(JsonObject) newer_doc = mer_store_get_doc (store, newer, NULL, 0, &error);
    GtkWidget *chain = find (decisions, "chain-list");
    guint n_links = 0;

    /* The old decision is never rewritten: its supersession is read from
     * the new one's "supersedes". */
    g_assert_cmpstr (mer_json_get_string (stored, "status"), ==, "accepted");
    g_assert_false (json_object_has_member (stored, "superseded_by")
                    && !json_object_get_null_member (stored, "superseded_by"));
    g_assert_cmpstr (mer_json_get_string (newer_doc, "supersedes"), ==, old_id);
    g_assert_cmpstr (mer_json_get_string (old, "status"), ==, "superseded");
    g_assert_cmpstr (mer_json_get_string (old, "superseded_by"), ==, newer);
    for (GtkWidget *c = gtk_widget_get_first_child (chain); c != NULL; c = gtk_widget_get_next_sibling (c))
      n_links++;
    g_assert_cmpuint (n_links, ==, 2);
    /* The page the old decision changed now answers to the new one. */
    {
      g_auto(GStrv) cited = mer_decision_cited_by (store, newer, &error);

      g_assert_cmpstr (cited[0], ==, "page:on-call");
    }
  }
  gtk_editable_set_text (GTK_EDITABLE (find (decisions, "filter-text")), "");
  mer_test_gui_spin (300);
  mer_test_gui_save_png (window, "proposals-decision-superseded.png");

  g_assert_true (gtk_widget_activate_action (decisions, "decisions.log", NULL));
  dialog = mer_decisions_view_get_dialog (MER_DECISIONS_VIEW (decisions));
  gtk_editable_set_text (GTK_EDITABLE (find (dialog, "field-title")), "Handover notes live in the on-call page");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find (dialog, "field-decision"))),
                            "Each shift appends its notes to the page; no chat handovers.", -1);
  gtk_editable_set_text (GTK_EDITABLE (find (dialog, "field-tags")), "on-call, handover");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "log");
  mer_test_gui_spin (300);
  g_assert_cmpuint (mer_decisions_view_get_n_rows (MER_DECISIONS_VIEW (decisions)), ==, 3);
  gtk_editable_set_text (GTK_EDITABLE (find (decisions, "filter-tag")), "handover");
  mer_test_gui_spin (300);
  g_assert_cmpuint (mer_decisions_view_get_n_rows (MER_DECISIONS_VIEW (decisions)), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (find (decisions, "filter-tag")), "");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find (decisions, "filter-status")), 3);
  mer_test_gui_spin (300);
  g_assert_cmpuint (mer_decisions_view_get_n_rows (MER_DECISIONS_VIEW (decisions)), ==, 1);

  /* 9. Next morning: the digest shows what arrived since. */
  {
    g_autoptr(GDateTime) before = mer_schedule_parse_instant ("2026-11-23T08:00:00Z", NULL);
    GtkWidget *digest;

    g_assert_true (mer_digest_set_last_opened (store, before, &error));
    digest = mer_digest_dialog_present_if_new (store, GTK_WINDOW (window));
    g_assert_nonnull (digest);
    mer_test_gui_spin (300);
    mer_test_gui_save_png (digest, "proposals-digest.png");
    gtk_window_destroy (GTK_WINDOW (digest));
  }

  test_peer_free (peer);
  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

/*
 * What a peer may send that no Meridian would write: a proposal with no
 * deadline, readers or outcome fields; replies that form a cycle; a
 * supersede loop. Everything is still shown, nothing hangs.
 */
static void
test_odd_documents (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  GtkWidget *stack = gtk_stack_new ();
  GtkWidget *view, *decisions, *window;
  const char *docs[] = {
    "{\"_id\":\"proposal:bare\",\"type\":\"proposal\",\"title\":\"Bare\",\"status\":\"accepted\","
    "\"outcome\":{}}",
    "{\"_id\":\"comment:a\",\"type\":\"comment\",\"on\":\"proposal:bare\",\"reply_to\":\"comment:b\","
    "\"author\":\"person:ana\",\"body\":\"A\",\"created_at\":\"2026-11-22T10:00:00Z\",\"stance\":null}",
    "{\"_id\":\"comment:b\",\"type\":\"comment\",\"on\":\"proposal:bare\",\"reply_to\":\"comment:a\","
    "\"author\":\"person:sam\",\"body\":\"B\",\"created_at\":\"2026-11-22T11:00:00Z\",\"stance\":\"object\"}",
    "{\"_id\":\"comment:c\",\"type\":\"comment\",\"on\":\"proposal:bare\",\"reply_to\":\"comment:c\","
    "\"author\":\"person:nobody\",\"body\":\"C\",\"created_at\":\"2026-11-22T12:00:00Z\",\"stance\":null}",
    "{\"_id\":\"decision:x\",\"type\":\"decision\",\"title\":\"X\",\"status\":\"superseded\","
    "\"decision\":\"x\",\"owner\":\"person:ana\",\"decided_at\":\"2026-01-01T00:00:00Z\","
    "\"supersedes\":\"decision:y\",\"superseded_by\":\"decision:y\"}",
    "{\"_id\":\"decision:y\",\"type\":\"decision\",\"title\":\"Y\",\"status\":\"superseded\","
    "\"decision\":\"y\",\"owner\":\"person:ana\",\"decided_at\":\"2026-02-01T00:00:00Z\","
    "\"supersedes\":\"decision:x\",\"superseded_by\":\"decision:x\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(JsonObject) doc = mer_test_object (docs[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      /* The store may refuse some shapes outright; that is fine too. */
      if (rev == NULL)
        g_test_message ("refused %s: %s", mer_json_get_string (doc, "_id"), error->message);
    }

  view = mer_proposals_view_new (store);
  decisions = mer_decisions_view_new (store);
  gtk_stack_add_named (GTK_STACK (stack), view, "proposals");
  gtk_stack_add_named (GTK_STACK (stack), decisions, "decisions");
  window = show_in_window (stack);
  g_assert_true (mer_proposals_view_select (MER_PROPOSALS_VIEW (view), "proposal:bare"));
  mer_test_gui_spin (200);
  g_assert_cmpuint (count_children (find (view, "comment-thread")), ==, 3);
  mer_test_gui_save_png (window, "proposals-odd-documents.png");

  gtk_stack_set_visible_child_name (GTK_STACK (stack), "decisions");
  if (mer_decisions_view_select (MER_DECISIONS_VIEW (decisions), "decision:x"))
    g_assert_cmpuint (count_children (find (decisions, "chain-list")), ==, 2);
  mer_test_gui_spin (100);

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

typedef struct
{
  WebKitWebView *web_view;
  int            above;   /* the height to wait past */
} FitWait;

static gboolean
fitted_above (gpointer data)
{
  FitWait *wait = data;

  return mer_web_view_get_fitted_height (wait->web_view) > wait->above;
}

/*
 * A long proposal body is shown at its whole height, not in a scrolling
 * box of its own: the web view is taller than the visible part of the
 * page, the page's one scroller has that much more to scroll, and a
 * narrower window (longer lines wrapped into more) makes the body taller
 * still.  The measure runs in the web process, its answer arrives through
 * the main loop: the test spins it until then.
 */
static void
test_long_body_one_scroller (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  g_autoptr(GString) body = g_string_new ("# Follow the sun\n\n");
  g_autoptr(JsonObject) proposal = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  GtkWidget *view, *window, *scroller, *web_view;
  GtkAdjustment *vadjustment;
  FitWait wait;
  int wide;

  for (guint i = 1; i <= 60; i++)
    g_string_append_printf (body, "Paragraph %u: night pages wake whoever is on call, so three regions "
                                  "hand over at the end of their day instead.\n\n", i);
  g_string_append (body, "The last line of the proposal.\n\n"
                         "<script>document.title = 'pwned';</script>\n\n"
                         "<img src=\"x\" onerror=\"document.title = 'pwned'\">\n");
  json_object_set_string_member (proposal, "_id", "proposal:long");
  json_object_set_string_member (proposal, "type", "proposal");
  json_object_set_string_member (proposal, "title", "A long proposal");
  json_object_set_string_member (proposal, "body", body->str);
  json_object_set_string_member (proposal, "author", "person:lea");
  json_object_set_string_member (proposal, "owner", "person:lea");
  json_object_set_string_member (proposal, "status", "open");
  json_object_set_string_member (proposal, "opened_at", "2026-11-20T09:00:00Z");
  json_object_set_string_member (proposal, "deadline", "2026-11-27T09:00:00Z");
  json_object_set_array_member (proposal, "required", json_array_new ());
  rev = mer_store_put_doc (store, proposal, &error);
  g_assert_no_error (error);

  view = mer_proposals_view_new (store);
  window = show_in_window (view);
  g_assert_true (mer_proposals_view_select (MER_PROPOSALS_VIEW (view), "proposal:long"));
  wait_for_body (view);
  web_view = find (view, "proposal-body");
  scroller = gtk_widget_get_ancestor (web_view, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (scroller);
  vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

  /* Measured: taller than the part of the page on screen. */
  wait.web_view = WEBKIT_WEB_VIEW (web_view);
  wait.above = (int) gtk_adjustment_get_page_size (vadjustment);
  g_assert_true (mer_test_gui_wait_for (fitted_above, &wait));
  mer_test_gui_spin (1500);  /* the web process paints at the new size */
  g_assert_cmpint (gtk_widget_get_height (web_view), >=, mer_web_view_get_fitted_height (WEBKIT_WEB_VIEW (web_view)));
  g_assert_cmpint (gtk_widget_get_height (web_view), >, (int) gtk_adjustment_get_page_size (vadjustment));
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadjustment), >, gtk_adjustment_get_page_size (vadjustment) + 1000);
  /* The page scrolls to the end of the body and past it, to the comments. */
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadjustment), >, gtk_widget_get_height (web_view));
  mer_test_gui_save_png (window, "proposals-long-body.png");

  /* The view measures with a script of its own; the document's own never
   * runs. */
  g_assert_cmpstr (webkit_web_view_get_title (WEBKIT_WEB_VIEW (web_view)), !=, "pwned");

  /* The wheel over the body scrolls the page: the view hands it on. */
  {
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (web_view);
    gboolean handled = FALSE;
    double before = gtk_adjustment_get_value (vadjustment);

    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

        if (GTK_IS_EVENT_CONTROLLER_SCROLL (controller)
            && gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
          g_signal_emit_by_name (controller, "scroll", 0.0, 3.0, &handled);
      }
    g_assert_true (handled);
    g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), >, before + 100);
  }

  /* Scrolled down, the body's middle is on screen, drawn by the page. */
  gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_upper (vadjustment) / 2);
  mer_test_gui_spin (800);
  mer_test_gui_save_png (window, "proposals-long-body-scrolled.png");

  /* Narrower, the lines wrap into more: the body grows to fit. */
  wide = mer_web_view_get_fitted_height (WEBKIT_WEB_VIEW (web_view));
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 860);
  wait.above = wide + 100;
  g_assert_true (mer_test_gui_wait_for (fitted_above, &wait));

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  mer_test_rm_rf (dir);
}

/*
 * Destroying the window finalizes every view with nothing left behind: a
 * composite widget that kept a child would warn "still has children left",
 * and warnings are fatal here. The composer and a dialog are open too.
 */
static void
test_destroy (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = open_workspace (&dir);
  GtkWidget *stack = gtk_stack_new ();
  GtkWidget *view, *decisions, *composer, *window;
  gpointer view_alive, decisions_alive, composer_alive;

  put (store, "{\"_id\":\"decision:x\",\"type\":\"decision\",\"title\":\"X\",\"status\":\"accepted\","
              "\"decision\":\"x\",\"owner\":\"person:ana\",\"decided_at\":\"2026-01-01T00:00:00Z\"}");
  view = mer_proposals_view_new (store);
  decisions = mer_decisions_view_new (store);
  gtk_stack_add_named (GTK_STACK (stack), view, "proposals");
  gtk_stack_add_named (GTK_STACK (stack), decisions, "decisions");
  window = show_in_window (stack);
  composer = mer_proposals_view_new_proposal (MER_PROPOSALS_VIEW (view));
  g_assert_nonnull (composer);
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "decisions");
  g_assert_true (mer_decisions_view_select (MER_DECISIONS_VIEW (decisions), "decision:x"));
  g_assert_true (gtk_widget_activate_action (decisions, "decisions.supersede", NULL));
  g_assert_nonnull (mer_decisions_view_get_dialog (MER_DECISIONS_VIEW (decisions)));
  mer_test_gui_spin (200);

  view_alive = view;
  decisions_alive = decisions;
  composer_alive = composer;
  g_object_add_weak_pointer (G_OBJECT (view), &view_alive);
  g_object_add_weak_pointer (G_OBJECT (decisions), &decisions_alive);
  g_object_add_weak_pointer (G_OBJECT (composer), &composer_alive);
  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (200);
  g_assert_null (view_alive);
  g_assert_null (decisions_alive);
  g_assert_null (composer_alive);
  mer_test_rm_rf (dir);
}

/* Relative times count from the pinned MERIDIAN_NOW, as the countdowns
 * and the command line do, not from the machine's clock. */
static void
test_relative_time_pinned (void)
{
  g_autofree char *days = mer_ui_format_relative_time ("2026-11-21T09:00:00Z");
  g_autofree char *hours = mer_ui_format_relative_time ("2026-11-22T10:00:00Z");
  g_autofree char *later = mer_ui_format_relative_time ("2026-11-23T09:20:00Z");

  g_assert_cmpstr (days, ==, "2 days ago");
  g_assert_cmpstr (hours, ==, "23 hours ago");
  g_assert_cmpstr (later, ==, "just now");
  g_assert_true (mer_ui_date_is_past ("2026-11-20"));
  g_assert_false (mer_ui_date_is_past ("2026-11-25"));
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("MERIDIAN_NOW", NOW, TRUE);
  if (argc == 3 && g_str_equal (argv[1], "--child-draft"))
    return child_draft_main (argv[2]);

  mer_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();
  /* Screenshots show where a transition ends, not its middle. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/proposals-ui/draft-crash-publish-comment-decide-log", test_flow);
  g_test_add_func ("/proposals-ui/odd-documents", test_odd_documents);
  g_test_add_func ("/proposals-ui/long-body-one-scroller", test_long_body_one_scroller);
  g_test_add_func ("/proposals-ui/destroy", test_destroy);
  g_test_add_func ("/proposals-ui/relative-time-pinned", test_relative_time_pinned);
  return g_test_run ();
}
