/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-proposals-view.h"
#include "mer-attachment-file.h"
#include "mer-decide-dialog.h"
#include "mer-digest-dialog.h"
#include "mer-doc-util.h"
#include "mer-image-viewer.h"
#include "mer-json.h"
#include "mer-markdown.h"
#include "mer-markdown-editor.h"
#include "mer-proposal-composer.h"
#include "mer-proposal.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-ui-util.h"
#include "mer-web-view.h"
#include "mer-window.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <webkit/webkit.h>

#define BODY_BASE_URI "meridian://proposal/"
/* The body's height before its document is measured, the first time. */
#define BODY_HEIGHT   120
#define COMMENT_IMAGE_MAX_BYTES (8 * 1024 * 1024)  /* shown as a picture under a comment */

struct _MerProposalsView
{
  GtkWidget       parent_instance;

  GtkStack       *stack;
  GtkListBox     *list;
  GtkStack       *detail_stack;
  GtkBox         *detail_box;
  GtkScrolledWindow *detail_scroller;
  AdwBin         *compose_bin;

  MerStore       *store;
  JsonArray      *proposals;     /* as listed, open first */
  char           *selected_id;
  GtkWidget      *composer;
  GtkWidget      *decide_dialog;
  gulong          changed_id;
  guint           reload_id;
  guint           digest_id;
  guint           digest_tries;
  gboolean        selecting;     /* rebuilding the list: ignore selection */

  /* The comment box of the detail, rebuilt with it; the editor itself is
   * kept (a reference of ours) while the same proposal is shown, and its
   * text and attachments live in its draft in any case. */
  MerMarkdownEditor *comment_editor;
  char           *comment_on;    /* the proposal the editor writes about */
  GtkDropDown    *comment_stance;
  GtkLabel       *availability_label;
  GtkLabel       *reply_label;
  GtkWidget      *reply_box;
  char           *reply_to;

  /* The body's measured height, so that a rebuilt detail (a comment
   * arrived) starts at it and the page does not jump. */
  char           *body_height_id;
  int             body_height;
};

G_DEFINE_FINAL_TYPE (MerProposalsView, mer_proposals_view, GTK_TYPE_WIDGET)

static const char *stance_ids[] = { NULL, "agree", "concern", "object" };

/* "Closes in 2 days 3 h", "Closes in 45 min", "Window closed". */
static char *
countdown_text (GDateTime  *now,
                const char *deadline_text)
{
  g_autoptr(GDateTime) deadline = deadline_text ? mer_schedule_parse_instant (deadline_text, NULL) : NULL;
  GTimeSpan span;
  gint64 minutes;

  if (deadline == NULL)
    return g_strdup (_("No deadline"));
  span = g_date_time_difference (deadline, now);
  if (span <= 0)
    return g_strdup (_("Comments closed; awaiting the decision"));
  minutes = span / G_TIME_SPAN_MINUTE;
  if (minutes < 60)
    return g_strdup_printf (_("Closes in %d min"), (int) minutes);
  if (minutes < 48 * 60)
    return g_strdup_printf (_("Closes in %d h %02d min"), (int) (minutes / 60), (int) (minutes % 60));
  return g_strdup_printf (_("Closes in %d days %d h"), (int) (minutes / (24 * 60)), (int) ((minutes / 60) % 24));
}

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "open") == 0)
    return _("Open");
  if (g_strcmp0 (status, "accepted") == 0)
    return _("Accepted");
  if (g_strcmp0 (status, "rejected") == 0)
    return _("Rejected");
  if (g_strcmp0 (status, "withdrawn") == 0)
    return _("Withdrawn");
  return status;
}

static const char *
status_css (const char *status)
{
  if (g_strcmp0 (status, "accepted") == 0)
    return "success";
  if (g_strcmp0 (status, "rejected") == 0)
    return "error";
  if (g_strcmp0 (status, "open") == 0)
    return "accent";
  return "dim-label";
}

static const char *
stance_label (const char *stance)
{
  if (g_strcmp0 (stance, "agree") == 0)
    return _("Agrees");
  if (g_strcmp0 (stance, "concern") == 0)
    return _("Has a concern");
  if (g_strcmp0 (stance, "object") == 0)
    return _("Objects");
  return NULL;
}

static const char *
stance_css (const char *stance)
{
  if (g_strcmp0 (stance, "agree") == 0)
    return "success";
  if (g_strcmp0 (stance, "concern") == 0)
    return "warning";
  return "error";
}

static char *
row_subtitle (JsonObject *proposal,
              GDateTime  *now)
{
  const char *status = mer_json_get_string (proposal, "status");
  JsonObject *outcome = mer_doc_get_object (proposal, "outcome");

  if (g_strcmp0 (status, "open") == 0)
    return countdown_text (now, mer_json_get_string (proposal, "deadline"));
  if (outcome != NULL)
    {
      g_autofree char *when = mer_ui_format_relative_time (mer_json_get_string (outcome, "decided_at"));

      return g_strdup_printf ("%s %s", status_label (status), when ? when : "");
    }
  return g_strdup (status_label (status));
}

static GtkWidget *
build_row (JsonObject *proposal,
           GDateTime  *now)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (mer_json_get_string (proposal, "title"));
  g_autofree char *sub_text = row_subtitle (proposal, now);
  GtkWidget *sub = gtk_label_new (sub_text);
  const char *status = mer_json_get_string (proposal, "status");

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_add_css_class (sub, g_strcmp0 (status, "open") == 0 ? "accent" : "dim-label");
  if (g_strcmp0 (status, "open") != 0)
    gtk_widget_add_css_class (title, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), sub);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  mer_ui_name_row (row, mer_json_get_string (proposal, "title"), sub_text);
  g_object_set_data_full (G_OBJECT (row), "proposal-id", g_strdup (mer_json_get_string (proposal, "_id")), g_free);
  g_object_set_data_full (G_OBJECT (row), "summary",
                          g_strdup_printf ("%s\t%s\t%s", status, mer_json_get_string (proposal, "title"), sub_text),
                          g_free);
  return row;
}

/* ---- the detail ---- */

static GtkWidget *
heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 6);
  return label;
}

/*
 * Opens an attachment of the proposal the person clicked: an image full
 * size in the viewer the reader uses, a file of a kind that cannot run
 * code in the person's application for it (through a private temporary
 * copy). Files that can run code open from the reader, which asks first.
 */
static void
open_attachment (MerProposalsView *self,
                 const char       *uri)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *content_type = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  bytes = mer_attachment_file_read (self->store, uri, &name, &content_type, &error);
  if (bytes == NULL)
    {
      g_warning ("Cannot open %s: %s", uri, error->message);
      return;
    }
  if (mer_markdown_is_image_type (content_type))
    {
      GtkWidget *viewer = mer_image_viewer_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                name, content_type, bytes);

      gtk_window_present (GTK_WINDOW (viewer));
      return;
    }
  if (mer_attachment_is_active_type (content_type))
    {
      g_warning ("Not opening %s here: a %s can run code", name, content_type);
      return;
    }
  file = mer_attachment_file_save_temp (name, bytes, &error);
  if (file == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  mer_attachment_file_launch (GTK_WIDGET (self), file);
}

void
mer_proposals_view_open_uri (MerProposalsView *self,
                             const char       *uri)
{
  g_return_if_fail (MER_IS_PROPOSALS_VIEW (self));
  g_return_if_fail (uri != NULL);

  if (g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX))
    open_attachment (self, uri);
  else
    g_debug ("Refused to open %s", uri);
}

/*
 * The body document itself loads; a link to a handbook page opens the page
 * in the window; the shared policy refuses everything else and sends a
 * clicked outside link to the browser.
 */
static MerWebViewVerdict
body_navigate_cb (WebKitWebView            *web_view,
                  const char               *uri,
                  WebKitPolicyDecisionType  type,
                  gpointer                  user_data)
{
  MerProposalsView *self = user_data;
  g_autofree char *page_id = NULL;
  GtkRoot *root;

  if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION)
    return MER_WEB_VIEW_REFUSE;
  if (g_str_has_prefix (uri, BODY_BASE_URI))
    return MER_WEB_VIEW_LOAD;
  if (g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX))
    {
      mer_proposals_view_open_uri (self, uri);
      return MER_WEB_VIEW_HANDLED;
    }
  page_id = mer_markdown_page_id_from_uri (uri);
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (page_id == NULL || !MER_IS_WINDOW (root))
    return MER_WEB_VIEW_REFUSE;
  mer_window_open_doc (MER_WINDOW (root), page_id);
  return MER_WEB_VIEW_HANDLED;
}

static void
body_height_cb (WebKitWebView    *web_view,
                GParamSpec       *pspec,
                MerProposalsView *self)
{
  int height = mer_web_view_get_fitted_height (web_view);

  if (height > 0 && self->selected_id != NULL)
    {
      g_free (self->body_height_id);
      self->body_height_id = g_strdup (self->selected_id);
      self->body_height = height;
    }
}

/* The body in the same safe web view as the reader (mer-web-view.c): no
 * script, no network, outside links opened in the browser.  It is as tall
 * as its text: the detail page around it is the one thing that scrolls. */
static GtkWidget *
build_body_view (MerProposalsView *self,
                 JsonObject       *proposal)
{
  g_autofree char *document = NULL;
  g_autofree char *base = NULL;
  WebKitWebView *web_view = mer_web_view_new_safe (_("Proposal"), body_navigate_cb, self);
  GtkWidget *frame = gtk_frame_new (NULL);
  gboolean known = g_strcmp0 (self->body_height_id, self->selected_id) == 0;
  g_autoptr(JsonObject) stored = mer_store_get_doc (self->store, mer_json_get_string (proposal, "_id"), NULL,
                                                    MER_GET_DEFAULT, NULL);

  mer_web_view_fit_content (web_view, self->detail_scroller);
  gtk_widget_set_size_request (GTK_WIDGET (web_view), -1, known ? self->body_height : BODY_HEIGHT);
  g_signal_connect_object (web_view, "notify::height-request", G_CALLBACK (body_height_cb), self, 0);
  gtk_widget_set_name (GTK_WIDGET (web_view), "proposal-body");
  /* Its images come from the replica, as in the reader (meridian://att/),
   * served by the scheme handler from the store the view names. */
  g_object_set_data_full (G_OBJECT (web_view), MER_WEB_VIEW_STORE_KEY, g_object_ref (self->store), g_object_unref);
  document = mer_markdown_doc_to_document (stored != NULL ? stored : proposal, mer_json_get_string (proposal, "body"),
                                           NULL, mer_markdown_store_resolver, self->store, NULL);
  base = g_strconcat (BODY_BASE_URI, mer_json_get_string (proposal, "_id"), NULL);
  webkit_web_view_load_html (web_view, document, base);
  gtk_frame_set_child (GTK_FRAME (frame), GTK_WIDGET (web_view));
  return frame;
}

static GtkWidget *
build_outcome_card (MerProposalsView *self,
                    JsonObject       *proposal)
{
  JsonObject *outcome = mer_doc_get_object (proposal, "outcome");
  const char *status = mer_json_get_string (proposal, "status");
  const char *decision = mer_json_get_string (proposal, "decision");
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  g_autofree char *by = mer_ui_person_name (self->store, mer_json_get_string (outcome, "decided_by"), _("Someone"));
  g_autofree char *when_text = mer_ui_format_day (mer_json_get_string (outcome, "decided_at"));
  g_autofree char *title = NULL;
  GtkWidget *title_label;

  /* A peer may leave out the date or who decided: say only what is known. */
  if (*when_text != '\0' && mer_json_get_string (outcome, "decided_by") != NULL)
    title = g_strdup_printf (_("%s on %s by %s"), status_label (status), when_text, by);
  else if (*when_text != '\0')
    title = g_strdup_printf (_("%s on %s"), status_label (status), when_text);
  else
    title = g_strdup (status_label (status));
  title_label = mer_ui_wrapped_label (title, "title-3");

  gtk_widget_set_name (card, "outcome-card");
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (title_label, status_css (status));
  g_object_set (card, "margin-bottom", 6, NULL);
  gtk_box_append (GTK_BOX (card), title_label);
  if (mer_json_get_string (outcome, "summary") != NULL)
    gtk_box_append (GTK_BOX (card), mer_ui_wrapped_label (mer_json_get_string (outcome, "summary"), NULL));
  if (mer_json_get_bool (outcome, "early") && mer_json_get_string (outcome, "reason") != NULL)
    {
      g_autofree char *reason = g_strdup_printf (_("Decided before the deadline: %s"),
                                                 mer_json_get_string (outcome, "reason"));

      gtk_box_append (GTK_BOX (card), mer_ui_wrapped_label (reason, "dim-label"));
    }
  if (decision != NULL)
    {
      GtkWidget *button = gtk_button_new_with_label (_("Open the Decision"));

      gtk_widget_set_halign (button, GTK_ALIGN_START);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "proposals.open-decision");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", decision);
      gtk_box_append (GTK_BOX (card), button);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (card); child; child = gtk_widget_get_next_sibling (child))
    {
      gtk_widget_set_margin_start (child, 18);
      gtk_widget_set_margin_end (child, 18);
    }
  gtk_widget_set_margin_top (gtk_widget_get_first_child (card), 12);
  gtk_widget_set_margin_bottom (gtk_widget_get_last_child (card), 12);
  return card;
}

static GtkWidget *
build_readers (MerProposalsView *self,
               JsonObject       *proposal,
               GDateTime        *now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) readers = mer_proposal_reader_statuses (self->store, proposal, now, &error);
  gboolean open = g_strcmp0 (mer_json_get_string (proposal, "status"), "open") == 0;
  GtkWidget *list = gtk_list_box_new ();

  gtk_widget_set_name (list, "reader-list");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; readers != NULL && i < readers->len; i++)
    {
      MerReaderStatus *reader = readers->pdata[i];
      GtkWidget *row = adw_action_row_new ();
      GString *sub = g_string_new (NULL);
      const char *stance = stance_label (reader->stance);
      GtkWidget *state;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), reader->name);
      if (reader->deadline_local != NULL)
        {
          /* Translators: a day and time, see g_date_time_format(); "Mon 7 Dec 15:30". */
          g_autofree char *clock = g_date_time_format (reader->deadline_local, _("%a %-d %b %H:%M"));
          g_autofree char *offset = mer_schedule_format_offset (reader->deadline_local);

          g_string_append_printf (sub, _("Deadline %s their time (%s, %s)"), clock, reader->tz, offset);
          if (open)
            g_string_append_printf (sub, _(" · %.1f working hours left"), reader->remaining_hours);
        }
      else if (reader->error != NULL)
        /* Which zone failed and why, not a blank where their deadline goes. */
        g_string_append (sub, reader->error);
      else
        g_string_append (sub, _("Working hours unknown"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub->str);
      g_string_free (sub, TRUE);

      if (open && reader->short_of_day)
        {
          GtkWidget *flag = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
          GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
          GtkWidget *text = gtk_label_new (_("Less than a working day"));

          gtk_widget_add_css_class (flag, "warning");
          gtk_widget_set_valign (flag, GTK_ALIGN_CENTER);
          gtk_box_append (GTK_BOX (flag), icon);
          gtk_box_append (GTK_BOX (flag), text);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), flag);
        }
      if (stance != NULL)
        {
          state = gtk_label_new (stance);
          gtk_widget_add_css_class (state, stance_css (reader->stance));
        }
      else if (reader->has_responded)
        state = gtk_label_new (_("Commented"));
      else if (reader->has_read)
        {
          state = gtk_label_new (_("Read, no response"));
          gtk_widget_add_css_class (state, "dim-label");
        }
      else
        {
          state = gtk_label_new (_("Not read yet"));
          gtk_widget_add_css_class (state, "dim-label");
        }
      gtk_widget_set_valign (state, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), state);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  return list;
}

/* "Not read yet: Sam. Read, no response: Ana." or NULL when all answered. */
static char *
not_responded_text (MerProposalsView *self,
                    JsonObject       *proposal,
                    GDateTime        *now)
{
  g_autoptr(GPtrArray) readers = mer_proposal_reader_statuses (self->store, proposal, now, NULL);
  GString *unread = g_string_new (NULL);
  GString *silent = g_string_new (NULL);
  GString *out = g_string_new (NULL);

  for (guint i = 0; readers != NULL && i < readers->len; i++)
    {
      MerReaderStatus *reader = readers->pdata[i];
      GString *list = !reader->has_read ? unread : !reader->has_responded ? silent : NULL;

      if (list != NULL)
        g_string_append_printf (list, "%s%s", list->len ? ", " : "", reader->name);
    }
  if (unread->len > 0)
    g_string_append_printf (out, _("Not read yet: %s."), unread->str);
  if (silent->len > 0)
    g_string_append_printf (out, _("%sRead, no response yet: %s."), out->len ? " " : "", silent->str);
  g_string_free (unread, TRUE);
  g_string_free (silent, TRUE);
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static char *
stance_summary_text (JsonArray *comments)
{
  g_autoptr(JsonObject) summary = mer_proposal_stance_summary (comments);

  return g_strdup_printf (_("%d agree · %d concern · %d object"),
                          (int) json_object_get_int_member (summary, "agree"),
                          (int) json_object_get_int_member (summary, "concern"),
                          (int) json_object_get_int_member (summary, "object"));
}

static void
reply_clicked_cb (GtkButton        *button,
                  MerProposalsView *self)
{
  const char *id = g_object_get_data (G_OBJECT (button), "comment-id");
  const char *author = g_object_get_data (G_OBJECT (button), "author-name");
  g_autofree char *text = g_strdup_printf (_("Replying to %s"), author);

  g_free (self->reply_to);
  self->reply_to = g_strdup (id);
  if (self->reply_label != NULL)
    {
      gtk_label_set_text (self->reply_label, text);
      gtk_widget_set_visible (self->reply_box, TRUE);
    }
  if (self->comment_editor != NULL)
    mer_markdown_editor_grab_focus_text (self->comment_editor);
  gtk_widget_activate_action (GTK_WIDGET (self), "proposals.update-availability", NULL);
}

static int
find_comment_index (JsonArray  *comments,
                    const char *id)
{
  for (guint i = 0; i < json_array_get_length (comments); i++)
    if (g_strcmp0 (mer_json_get_string (json_array_get_object_element (comments, i), "_id"), id) == 0)
      return (int) i;
  return -1;
}

static JsonObject *
attachments_of (JsonObject *doc)
{
  JsonNode *node = json_object_get_member (doc, "_attachments");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
drop_own_files_cb (const GMatchInfo *match,
                   GString          *result,
                   gpointer          user_data)
{
  JsonObject *attachments = user_data;
  g_autofree char *bang = g_match_info_fetch (match, 1);
  g_autofree char *label = g_match_info_fetch (match, 2);
  g_autofree char *target = g_match_info_fetch (match, 3);
  g_autofree char *name = g_uri_unescape_string (target, NULL);

  if (name == NULL || attachments == NULL || !json_object_has_member (attachments, name))
    {
      g_autofree char *all = g_match_info_fetch (match, 0);

      g_string_append (result, all);
    }
  else if (bang[0] == '\0' && g_strcmp0 (label, name) != 0)
    g_string_append (result, label);
  return FALSE;
}

/* A comment's text as shown: its own images and files appear under it
 * (build_comment_attachments()), so their "![alt](name)" and
 * "[name](name)" leave the text; a link worded otherwise keeps its words. */
static char *
comment_text (JsonObject *comment)
{
  static GRegex *reference;
  const char *body = mer_json_get_string (comment, "body");
  g_autofree char *text = NULL;

  if (body == NULL || attachments_of (comment) == NULL)
    return g_strdup (body);
  if (g_once_init_enter (&reference))
    g_once_init_leave (&reference, g_regex_new ("(!?)\\[([^\\]]*)\\]\\(<?([^)\\s>]+)>?\\)\\n?",
                                                G_REGEX_OPTIMIZE, 0, NULL));
  text = g_regex_replace_eval (reference, body, -1, 0, 0, drop_own_files_cb, attachments_of (comment), NULL);
  if (text == NULL)
    return g_strdup (body);
  return g_strstrip (g_steal_pointer (&text));
}

static void
comment_file_clicked_cb (GtkButton        *button,
                         MerProposalsView *self)
{
  mer_proposals_view_open_uri (self, g_object_get_data (G_OBJECT (button), "mer-uri"));
}

/*
 * The images and files attached to a comment, under its text, read from
 * the replica at the meridian://att/ addresses the reader uses: an image
 * as a picture at most 320 × 240 (a click shows it full size), another
 * file as a button with its name and size that opens it.
 */
static GtkWidget *
build_comment_attachments (MerProposalsView *self,
                           JsonObject       *comment)
{
  JsonObject *attachments = attachments_of (comment);
  const char *id = mer_json_get_string (comment, "_id");
  const char *rev = mer_json_get_string (comment, "_rev");
  g_autoptr(GList) names = NULL;
  GtkWidget *box;

  if (attachments == NULL || json_object_get_size (attachments) == 0 || id == NULL || rev == NULL)
    return NULL;
  box = gtk_flow_box_new ();
  gtk_widget_set_name (box, "comment-attachments");
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (box), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (box), FALSE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (box), 4);
  names = g_list_sort (json_object_get_members (attachments), (GCompareFunc) g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      g_autofree char *uri = mer_markdown_attachment_uri (id, rev, name);
      g_autofree char *content_type = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      GtkWidget *button = gtk_button_new ();

      JsonObject *entry = json_object_get_object_member (attachments, name);

      /* Only images small enough to decode at once on the way in; a
       * bigger one (or any other file) is a button that opens it. */
      if (entry != NULL && mer_markdown_is_image_type (mer_json_get_string (entry, "content_type"))
          && json_object_get_int_member_with_default (entry, "length", G_MAXINT64) <= COMMENT_IMAGE_MAX_BYTES)
        bytes = mer_attachment_file_read (self->store, uri, NULL, &content_type, NULL);
      if (bytes != NULL && mer_markdown_is_image_type (content_type))
        texture = gdk_texture_new_from_bytes (bytes, NULL);
      if (texture != NULL)
        {
          GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
          int width = gdk_texture_get_width (texture);
          int height = gdk_texture_get_height (texture);
          double scale = MIN (1.0, MIN (320.0 / MAX (width, 1), 240.0 / MAX (height, 1)));

          gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
          gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
          gtk_picture_set_alternative_text (GTK_PICTURE (picture), name);
          gtk_widget_set_size_request (picture, MAX (1, (int) (width * scale)), MAX (1, (int) (height * scale)));
          gtk_button_set_child (GTK_BUTTON (button), picture);
          gtk_widget_set_tooltip_text (button, name);
        }
      else
        {
          JsonObject *stub = json_object_get_object_member (attachments, name);
          g_autofree char *size = g_format_size (stub != NULL ? json_object_get_int_member_with_default (stub, "length", 0) : 0);
          g_autofree char *label = g_strdup_printf ("%s (%s)", name, size);

          GtkWidget *content = adw_button_content_new ();

          adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "mail-attachment-symbolic");
          adw_button_content_set_label (ADW_BUTTON_CONTENT (content), label);
          gtk_button_set_child (GTK_BUTTON (button), content);
        }
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_halign (button, GTK_ALIGN_START);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      g_object_set_data_full (G_OBJECT (button), "mer-uri", g_steal_pointer (&uri), g_free);
      g_signal_connect_object (button, "clicked", G_CALLBACK (comment_file_clicked_cb), self, 0);
      gtk_flow_box_append (GTK_FLOW_BOX (box), button);
    }
  return box;
}

static void
add_comment_tree (MerProposalsView *self,
                  GtkBox           *box,
                  JsonArray        *comments,
                  const char       *parent,
                  guint             depth,
                  GHashTable       *shown,
                  const char       *only)
{
  for (guint i = 0; i < json_array_get_length (comments); i++)
    {
      JsonObject *comment = json_array_get_object_element (comments, i);
      const char *id = mer_json_get_string (comment, "_id");
      const char *reply_to = mer_json_get_string (comment, "reply_to");
      const char *stance = mer_json_get_string (comment, "stance");
      g_autofree char *author = NULL;
      g_autofree char *when = NULL;
      GtkWidget *card, *header, *name, *time_label, *reply;

      /* A reply whose parent is unknown here is shown at the top level;
       * @only forces one comment out (replies in a cycle a peer wrote). */
      if (g_hash_table_contains (shown, id))
        continue;
      if (only != NULL ? g_strcmp0 (id, only) != 0
                       : parent == NULL ? !(reply_to == NULL || find_comment_index (comments, reply_to) < 0)
                                        : g_strcmp0 (reply_to, parent) != 0)
        continue;
      g_hash_table_add (shown, (gpointer) id);

      author = mer_ui_person_name (self->store, mer_json_get_string (comment, "author"), _("Someone"));
      when = mer_ui_format_relative_time (mer_json_get_string (comment, "created_at"));
      card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      gtk_widget_add_css_class (card, "card");
      gtk_widget_set_margin_start (card, 28 * MIN (depth, 4));
      header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      name = gtk_label_new (author);
      gtk_widget_add_css_class (name, "heading");
      gtk_box_append (GTK_BOX (header), name);
      if (stance_label (stance) != NULL)
        {
          GtkWidget *pill = gtk_label_new (stance_label (stance));

          gtk_widget_add_css_class (pill, stance_css (stance));
          gtk_widget_add_css_class (pill, "caption-heading");
          gtk_box_append (GTK_BOX (header), pill);
        }
      time_label = gtk_label_new (when);
      gtk_widget_add_css_class (time_label, "dim-label");
      gtk_widget_add_css_class (time_label, "caption");
      gtk_widget_set_hexpand (time_label, TRUE);
      gtk_label_set_xalign (GTK_LABEL (time_label), 1);
      gtk_box_append (GTK_BOX (header), time_label);
      reply = gtk_button_new_with_label (_("Reply"));
      gtk_widget_add_css_class (reply, "flat");
      gtk_widget_set_name (reply, "reply-button");
      g_object_set_data_full (G_OBJECT (reply), "comment-id", g_strdup (id), g_free);
      g_object_set_data_full (G_OBJECT (reply), "author-name", g_strdup (author), g_free);
      g_signal_connect_object (reply, "clicked", G_CALLBACK (reply_clicked_cb), self, 0);
      gtk_box_append (GTK_BOX (header), reply);
      gtk_box_append (GTK_BOX (card), header);
      {
        g_autofree char *text = comment_text (comment);
        GtkWidget *files = build_comment_attachments (self, comment);

        gtk_box_append (GTK_BOX (card), mer_ui_wrapped_label (text, NULL));
        if (files != NULL)
          gtk_box_append (GTK_BOX (card), files);
      }
      for (GtkWidget *child = gtk_widget_get_first_child (card); child; child = gtk_widget_get_next_sibling (child))
        {
          gtk_widget_set_margin_start (child, 12);
          gtk_widget_set_margin_end (child, 6);
        }
      gtk_widget_set_margin_top (header, 6);
      gtk_widget_set_margin_bottom (gtk_widget_get_last_child (card), 10);
      gtk_box_append (box, card);

      add_comment_tree (self, box, comments, id, depth + 1, shown, NULL);
    }
}

/*
 * The people a comment reaches: the proposal's owner, the author of the
 * comment replied to, and anyone @mentioned by first name or id. For each
 * who is in focus, off or away, the schedule's sentence ("Ana is in deep
 * work until 15:00 her time, 2 h from now"); shown, never blocking.
 */
static void
update_availability (MerProposalsView *self)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autofree char *me = mer_schedule_get_me (self->store);
  g_autofree char *text = NULL;
  JsonObject *proposal = mer_doc_find_by_id (self->proposals, self->selected_id);
  GString *out = g_string_new (NULL);

  if (self->availability_label == NULL || proposal == NULL)
    {
      g_string_free (out, TRUE);
      return;
    }

  g_ptr_array_add (targets, g_strdup (mer_json_get_string (proposal, "owner")));
  if (self->reply_to != NULL)
    {
      g_autoptr(JsonObject) parent = mer_store_get_doc (self->store, self->reply_to, NULL, MER_GET_DEFAULT, NULL);

      if (parent != NULL)
        g_ptr_array_add (targets, g_strdup (mer_json_get_string (parent, "author")));
    }
  {
    g_autoptr(JsonArray) people = mer_store_list_docs (self->store, "person", NULL);

    text = mer_markdown_editor_get_text (self->comment_editor);
    for (guint i = 0; people != NULL && i < json_array_get_length (people); i++)
      {
        JsonObject *person = json_array_get_object_element (people, i);
        const char *id = mer_json_get_string (person, "_id");
        const char *name = mer_json_get_string (person, "name");
        g_autofree char *first = name ? g_strndup (name, strcspn (name, " ")) : NULL;
        g_autofree char *by_name = first ? g_strconcat ("@", first, NULL) : NULL;
        g_autofree char *by_id = g_strconcat ("@", g_str_has_prefix (id, "person:") ? id + 7 : id, NULL);
        g_autofree char *folded = g_utf8_casefold (text, -1);
        g_autofree char *folded_name = by_name ? g_utf8_casefold (by_name, -1) : NULL;

        if ((folded_name != NULL && strstr (folded, folded_name) != NULL) || strstr (text, by_id) != NULL)
          g_ptr_array_add (targets, g_strdup (id));
      }
  }

  for (guint i = 0; i < targets->len; i++)
    {
      const char *id = targets->pdata[i];
      g_autoptr(JsonObject) person = NULL;
      g_autoptr(MerSchedule) schedule = NULL;
      g_autofree char *sentence = NULL;
      gboolean dup = FALSE;

      if (id == NULL || g_strcmp0 (id, me) == 0)
        continue;
      for (guint j = 0; j < i; j++)
        dup = dup || g_strcmp0 (targets->pdata[j], id) == 0;
      if (dup)
        continue;
      person = mer_store_get_doc (self->store, id, NULL, MER_GET_DEFAULT, NULL);
      schedule = person ? mer_schedule_new_from_person (person, NULL) : NULL;
      sentence = schedule ? mer_schedule_describe_availability (schedule, now) : NULL;
      if (sentence != NULL)
        g_string_append_printf (out, "%s%s", out->len > 0 ? "\n" : "", sentence);
    }
  gtk_label_set_text (self->availability_label, out->str);
  gtk_widget_set_visible (GTK_WIDGET (self->availability_label), out->len > 0);
  g_string_free (out, TRUE);
}

static void
update_availability_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  update_availability (MER_PROPOSALS_VIEW (widget));
}

static void
comment_changed_cb (MerMarkdownEditor *editor,
                    MerProposalsView  *self)
{
  update_availability (self);
}

static void
cancel_reply_cb (GtkButton        *button,
                 MerProposalsView *self)
{
  g_clear_pointer (&self->reply_to, g_free);
  gtk_widget_set_visible (self->reply_box, FALSE);
  update_availability (self);
}

static void
post_comment (MerProposalsView *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autofree char *me = mer_schedule_get_me (self->store);
  g_autofree char *text = NULL;
  g_autofree char *id = NULL;
  g_autofree char *draft = NULL;
  guint stance;

  if (self->comment_editor == NULL || self->selected_id == NULL)
    return;
  if (me == NULL)
    {
      mer_ui_show_error (GTK_WIDGET (self), _("Who Are You?"),
                  _("Choose yourself in Team → Your Hours and Time Zone before commenting."));
      return;
    }
  text = g_strstrip (mer_markdown_editor_get_text (self->comment_editor));
  stance = gtk_drop_down_get_selected (self->comment_stance);
  /* The images and files pasted into the box go with the comment. */
  draft = g_strconcat (MER_DRAFT_PREFIX, mer_markdown_editor_get_draft_id (self->comment_editor), NULL);
  id = mer_proposal_add_comment_from_draft (self->store, self->selected_id, self->reply_to, me, text,
                                            stance < G_N_ELEMENTS (stance_ids) ? stance_ids[stance] : NULL,
                                            draft, now, &error);
  if (id == NULL)
    {
      mer_ui_show_error (GTK_WIDGET (self), _("Could Not Comment"), error->message);
      return;
    }
  mer_markdown_editor_discard_draft (self->comment_editor);
  mer_markdown_editor_set_text (self->comment_editor, "");
  gtk_drop_down_set_selected (self->comment_stance, 0);
  g_clear_pointer (&self->reply_to, g_free);
  mer_proposals_view_reload (self);
}

static void
comment_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MerProposalsView *self = MER_PROPOSALS_VIEW (widget);

  if (self->comment_editor != NULL)
    mer_markdown_editor_grab_focus_text (self->comment_editor);
}

static void
post_comment_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  post_comment (MER_PROPOSALS_VIEW (widget));
}

/* Takes the kept comment editor out of the box it was shown in. */
static void
detach_comment_editor (MerProposalsView *self)
{
  GtkWidget *parent = self->comment_editor != NULL ? gtk_widget_get_parent (GTK_WIDGET (self->comment_editor)) : NULL;

  if (parent != NULL)
    mer_ui_settle_scrolling (GTK_WIDGET (self->comment_editor));
  if (GTK_IS_FRAME (parent))
    gtk_frame_set_child (GTK_FRAME (parent), NULL);
  else if (parent != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->comment_editor));
}

/*
 * The comment box's Markdown editor for the proposal shown, made on
 * first need: an image pasted or a file dropped into it becomes an
 * attachment of its draft ("_local/draft:new:comment-on-<proposal id>"),
 * which also keeps the text across a crash, a restart and a sync that
 * rebuilds the detail.
 */
static void
ensure_comment_editor (MerProposalsView *self)
{
  g_autofree char *draft_id = NULL;
  GtkWidget *widget;

  if (self->comment_editor != NULL && g_strcmp0 (self->comment_on, self->selected_id) != 0)
    {
      detach_comment_editor (self);
      g_clear_object (&self->comment_editor);
    }
  if (self->comment_editor != NULL)
    {
      detach_comment_editor (self);
      return;
    }
  g_free (self->comment_on);
  self->comment_on = g_strdup (self->selected_id);
  draft_id = g_strconcat ("new:comment-on-", self->selected_id, NULL);
  self->comment_editor = g_object_ref_sink (MER_MARKDOWN_EDITOR (mer_markdown_editor_new (self->store, draft_id)));
  mer_markdown_editor_set_kind (self->comment_editor, "comment");
  mer_markdown_editor_set_show_preview (self->comment_editor, FALSE);
  mer_markdown_editor_restore_draft (self->comment_editor);
  widget = GTK_WIDGET (self->comment_editor);
  gtk_widget_set_name (widget, "comment-editor");
  gtk_widget_set_size_request (widget, -1, 160);
  g_signal_connect_object (self->comment_editor, "changed", G_CALLBACK (comment_changed_cb), self, 0);
}

static GtkWidget *
build_comment_box (MerProposalsView *self,
                   guint             kept_stance)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *text;
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *reply_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *reply_label = gtk_label_new (NULL);
  GtkWidget *cancel = gtk_button_new_from_icon_name ("window-close-symbolic");
  const char *stances[] = { N_("No stance"), N_("Agree"), N_("Concern"), N_("Object"), NULL };
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  GtkWidget *dropdown, *button, *availability;

  for (guint i = 0; stances[i] != NULL; i++)
    gtk_string_list_append (model, _(stances[i]));

  gtk_label_set_xalign (GTK_LABEL (reply_label), 0);
  gtk_widget_add_css_class (reply_label, "dim-label");
  gtk_widget_add_css_class (cancel, "flat");
  gtk_widget_set_tooltip_text (cancel, _("Cancel Reply"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (cancel), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Cancel reply"), -1);
  g_signal_connect_object (cancel, "clicked", G_CALLBACK (cancel_reply_cb), self, 0);
  gtk_box_append (GTK_BOX (reply_box), reply_label);
  gtk_box_append (GTK_BOX (reply_box), cancel);
  gtk_widget_set_visible (reply_box, self->reply_to != NULL);
  gtk_box_append (GTK_BOX (box), reply_box);

  ensure_comment_editor (self);
  text = mer_markdown_editor_get_text_view (self->comment_editor);
  gtk_widget_set_name (text, "comment-text");
  gtk_accessible_update_property (GTK_ACCESSIBLE (text), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Comment"), -1);
  gtk_frame_set_child (GTK_FRAME (frame), GTK_WIDGET (self->comment_editor));
  gtk_box_append (GTK_BOX (box), frame);

  availability = gtk_label_new (NULL);
  gtk_widget_set_name (availability, "availability-label");
  gtk_label_set_xalign (GTK_LABEL (availability), 0);
  gtk_label_set_wrap (GTK_LABEL (availability), TRUE);
  gtk_widget_add_css_class (availability, "dim-label");
  gtk_widget_set_visible (availability, FALSE);
  gtk_box_append (GTK_BOX (box), availability);

  dropdown = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (model)), NULL);
  gtk_widget_set_name (dropdown, "comment-stance");
  gtk_widget_set_tooltip_text (dropdown, _("Your stance, with the comment as its reason"));
  mer_ui_name_inner_button (dropdown, _("Stance"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), kept_stance);
  gtk_box_append (GTK_BOX (row), dropdown);
  button = gtk_button_new_with_mnemonic (_("_Comment"));
  mer_ui_name_mnemonic_button (button);
  gtk_widget_set_name (button, "comment-button");
  gtk_widget_set_hexpand (button, TRUE);
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "proposals.post-comment");
  gtk_box_append (GTK_BOX (row), button);
  gtk_box_append (GTK_BOX (box), row);

  self->comment_stance = GTK_DROP_DOWN (dropdown);
  self->availability_label = GTK_LABEL (availability);
  self->reply_label = GTK_LABEL (reply_label);
  self->reply_box = reply_box;
  if (self->reply_to != NULL)
    {
      g_autoptr(JsonObject) parent = mer_store_get_doc (self->store, self->reply_to, NULL, MER_GET_DEFAULT, NULL);
      g_autofree char *name = mer_ui_person_name (self->store, parent ? mer_json_get_string (parent, "author") : NULL,
                                                   _("Someone"));
      g_autofree char *label = g_strdup_printf (_("Replying to %s"), name);

      gtk_label_set_text (GTK_LABEL (reply_label), label);
    }
  return box;
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  mer_ui_settle_scrolling (GTK_WIDGET (box));
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

/* Rebuilds the detail of the selected proposal; keeps what is being typed
 * in the comment box, since a sync can arrive mid-sentence. */
static void
show_detail (MerProposalsView *self)
{
  JsonObject *proposal = mer_doc_find_by_id (self->proposals, self->selected_id);
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) comments = NULL;
  g_autofree char *author = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *deadline = NULL;
  g_autofree char *countdown = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *stances = NULL;
  g_autofree char *me = mer_schedule_get_me (self->store);
  g_autoptr(GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);
  guint kept_stance = 0;
  gboolean writing = FALSE;  /* the person was typing a comment */
  double scroll;
  const char *status;
  GtkWidget *title, *meta_label, *actions, *summary_label, *thread;
  gboolean is_open, is_owner;

  if (self->comment_stance != NULL)
    kept_stance = gtk_drop_down_get_selected (self->comment_stance);
  if (self->comment_editor != NULL && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    {
      GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));

      writing = focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->comment_editor));
    }
  detach_comment_editor (self);
  self->comment_stance = NULL;
  self->availability_label = NULL;
  self->reply_label = NULL;
  self->reply_box = NULL;
  {
    GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
    GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

    /* Move the focus out before its widget goes, so that no scrolled
     * window keeps following a widget that no longer exists. */
    if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->detail_box)))
      gtk_root_set_focus (root, NULL);
  }
  scroll = gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (self->detail_scroller));
  clear_box (self->detail_box);

  if (proposal == NULL)
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "empty");
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "proposals.decide", FALSE);
      return;
    }
  gtk_stack_set_visible_child_name (self->detail_stack, "detail");

  status = mer_json_get_string (proposal, "status");
  is_open = g_strcmp0 (status, "open") == 0;
  is_owner = me != NULL && g_strcmp0 (me, mer_json_get_string (proposal, "owner")) == 0;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "proposals.decide", is_open && is_owner);
  comments = mer_proposal_list_comments (self->store, self->selected_id, &error);
  if (comments == NULL)
    comments = json_array_new ();

  /* The outcome first, pinned at the top. */
  if (!is_open && mer_doc_get_object (proposal, "outcome") != NULL)
    gtk_box_append (self->detail_box, build_outcome_card (self, proposal));

  title = mer_ui_wrapped_label (mer_json_get_string (proposal, "title"), "title-1");
  gtk_box_append (self->detail_box, title);

  author = mer_ui_person_name (self->store, mer_json_get_string (proposal, "author"), _("Someone"));
  owner = mer_ui_person_name (self->store, mer_json_get_string (proposal, "owner"), _("Someone"));
  opened = mer_ui_format_relative_time (mer_json_get_string (proposal, "opened_at"));
  deadline = mer_ui_format_utc (mer_json_get_string (proposal, "deadline"));
  countdown = is_open ? countdown_text (now, mer_json_get_string (proposal, "deadline")) : g_strdup (status_label (status));
  if (opened != NULL)
    meta = g_strdup_printf (_("By %s, owned by %s · opened %s\nComments close %s · %s"),
                            author, owner, opened, deadline, countdown);
  else
    meta = g_strdup_printf (_("By %s, owned by %s\nComments close %s · %s"), author, owner, deadline, countdown);
  meta_label = mer_ui_wrapped_label (meta, "dim-label");
  gtk_box_append (self->detail_box, meta_label);

  actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  {
    GtkWidget *comment = gtk_button_new_with_mnemonic (_("C_omment"));
    GtkWidget *decide = gtk_button_new_with_mnemonic (_("_Decide…"));

    mer_ui_name_mnemonic_button (comment);
    mer_ui_name_mnemonic_button (decide);
    gtk_actionable_set_action_name (GTK_ACTIONABLE (comment), "proposals.comment");
    gtk_actionable_set_action_name (GTK_ACTIONABLE (decide), "proposals.decide");
    gtk_widget_set_name (decide, "decide-button");
    gtk_widget_set_visible (decide, is_open && is_owner);
    if (is_open && is_owner)
      gtk_widget_add_css_class (decide, "suggested-action");
    gtk_box_append (GTK_BOX (actions), comment);
    gtk_box_append (GTK_BOX (actions), decide);
  }
  gtk_box_append (self->detail_box, actions);

  gtk_box_append (self->detail_box, heading (_("Required Readers")));
  stances = stance_summary_text (comments);
  summary_label = mer_ui_wrapped_label (stances, NULL);
  gtk_widget_set_name (summary_label, "stance-summary");
  gtk_box_append (self->detail_box, summary_label);
  {
    g_autofree char *waiting = not_responded_text (self, proposal, now);

    if (waiting != NULL)
      {
        GtkWidget *label = mer_ui_wrapped_label (waiting, "dim-label");

        gtk_widget_set_name (label, "not-responded");
        gtk_box_append (self->detail_box, label);
      }
  }
  {
    JsonNode *required = json_object_get_member (proposal, "required");

    if (required != NULL && JSON_NODE_HOLDS_ARRAY (required) && json_array_get_length (json_node_get_array (required)) > 0)
      gtk_box_append (self->detail_box, build_readers (self, proposal, now));
    else
      gtk_box_append (self->detail_box, mer_ui_wrapped_label (_("No required readers."), "dim-label"));
  }

  gtk_box_append (self->detail_box, heading (_("Proposal")));
  gtk_box_append (self->detail_box, build_body_view (self, proposal));

  if (mer_json_get_string (proposal, "page") != NULL && mer_json_get_string (proposal, "page_body") != NULL)
    {
      g_autofree char *diff = mer_proposal_page_diff (self->store, proposal, NULL);
      g_autoptr(JsonObject) page = mer_store_get_doc (self->store, mer_json_get_string (proposal, "page"), NULL, 0, NULL);
      g_autofree char *title_text = g_strdup_printf (_("Changes to “%s”"),
                                                     page ? mer_json_get_string (page, "title") : mer_json_get_string (proposal, "page"));
      GtkSourceBuffer *buffer = gtk_source_buffer_new_with_language (
        gtk_source_language_manager_get_language (gtk_source_language_manager_get_default (), "diff"));
      GtkWidget *view = gtk_source_view_new_with_buffer (buffer);
      GtkWidget *frame = gtk_frame_new (NULL);

      gtk_box_append (self->detail_box, heading (title_text));
      gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer),
                                diff != NULL && *diff != '\0' ? diff : _("The page already reads as proposed."), -1);
      gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
      gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
      gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
      gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 8);
      gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 8);
      gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 8);
      gtk_widget_set_name (view, "page-diff");
      gtk_frame_set_child (GTK_FRAME (frame), view);
      gtk_box_append (self->detail_box, frame);
      g_object_unref (buffer);
    }

  {
    g_autofree char *discussion = g_strdup_printf (_("Discussion (%u)"), json_array_get_length (comments));

    gtk_box_append (self->detail_box, heading (discussion));
  }
  thread = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_name (thread, "comment-thread");
  add_comment_tree (self, GTK_BOX (thread), comments, NULL, 0, shown, NULL);
  for (guint i = 0; i < json_array_get_length (comments); i++)
    {
      const char *id = mer_json_get_string (json_array_get_object_element (comments, i), "_id");

      if (id != NULL && !g_hash_table_contains (shown, id))
        add_comment_tree (self, GTK_BOX (thread), comments, NULL, 0, shown, id);
    }
  gtk_box_append (self->detail_box, thread);
  gtk_box_append (self->detail_box, build_comment_box (self, kept_stance));
  if (writing)
    mer_markdown_editor_grab_focus_text (self->comment_editor);
  update_availability (self);
  /* A comment arriving by sync must not throw the reader back to the top. */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->detail_scroller), scroll);

  /* Opening it is reading it: the seen document tells the author. */
  if (me != NULL)
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (self->store, self->selected_id, NULL, 0, NULL);
      g_autofree char *seen_id = g_strdup_printf ("seen:%s:%s", me, self->selected_id);
      g_autoptr(JsonObject) seen = mer_store_get_doc (self->store, seen_id, NULL, 0, NULL);

      if (doc != NULL && (seen == NULL || g_strcmp0 (mer_json_get_string (seen, "rev"), mer_json_get_string (doc, "_rev")) != 0))
        mer_proposal_mark_seen (self->store, me, doc, now, NULL);
    }
}

/* ---- deciding ---- */

static void
decide_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MerProposalsView *self = MER_PROPOSALS_VIEW (widget);
  JsonObject *proposal = mer_doc_find_by_id (self->proposals, self->selected_id);

  if (proposal == NULL)
    return;
  if (self->decide_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->decide_dialog), (gpointer *) &self->decide_dialog);
  self->decide_dialog = mer_decide_dialog_new (self->store, proposal, mer_ui_get_window (widget));
  g_object_add_weak_pointer (G_OBJECT (self->decide_dialog), (gpointer *) &self->decide_dialog);
  gtk_window_present (GTK_WINDOW (self->decide_dialog));
}

GtkWidget *
mer_proposals_view_get_decide_dialog (MerProposalsView *self)
{
  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), NULL);
  return self->decide_dialog;
}

/* ---- the list ---- */

static void
row_selected_cb (MerProposalsView *self,
                 GtkListBoxRow    *row)
{
  if (self->selecting)
    return;
  if (row == NULL)
    return;
  if (g_strcmp0 (self->selected_id, g_object_get_data (G_OBJECT (row), "proposal-id")) != 0)
    g_clear_pointer (&self->reply_to, g_free);
  g_free (self->selected_id);
  self->selected_id = g_strdup (g_object_get_data (G_OBJECT (row), "proposal-id"));
  show_detail (self);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->detail_scroller), 0);
}

void
mer_proposals_view_reload (MerProposalsView *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  GtkWidget *child;
  GtkListBoxRow *selected = NULL;

  g_return_if_fail (MER_IS_PROPOSALS_VIEW (self));

  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_pointer (&self->proposals, json_array_unref);
  self->proposals = mer_proposal_list (self->store, now, &error);
  if (self->proposals == NULL)
    {
      g_warning ("Could not list proposals: %s", error->message);
      self->proposals = json_array_new ();
    }

  self->selecting = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < json_array_get_length (self->proposals); i++)
    {
      JsonObject *proposal = json_array_get_object_element (self->proposals, i);
      GtkWidget *row = build_row (proposal, now);

      gtk_list_box_append (self->list, row);
      if (g_strcmp0 (self->selected_id, mer_json_get_string (proposal, "_id")) == 0)
        selected = GTK_LIST_BOX_ROW (row);
    }
  gtk_list_box_select_row (self->list, selected);
  self->selecting = FALSE;
  if (selected == NULL)
    g_clear_pointer (&self->selected_id, g_free);
  show_detail (self);
}

static gboolean
reload_idle_cb (gpointer user_data)
{
  MerProposalsView *self = user_data;

  self->reload_id = 0;
  mer_proposals_view_reload (self);
  return G_SOURCE_REMOVE;
}

/*
 * Writes come in bursts (a sync, a transaction): reload once after them.
 * "changed" also reports the replicator's and other processes' commits
 * once the application has the store watch other connections.
 */
static void
store_changed_cb (MerProposalsView *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (150, reload_idle_cb, self);
}

gboolean
mer_proposals_view_select (MerProposalsView *self,
                           const char       *proposal_id)
{
  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), FALSE);

  if (mer_doc_find_by_id (self->proposals, proposal_id) == NULL)
    mer_proposals_view_reload (self);
  if (mer_doc_find_by_id (self->proposals, proposal_id) == NULL)
    return FALSE;
  g_free (self->selected_id);
  self->selected_id = g_strdup (proposal_id);
  mer_proposals_view_reload (self);
  gtk_stack_set_visible_child_name (self->stack, "browse");
  return TRUE;
}

const char *
mer_proposals_view_get_selected (MerProposalsView *self)
{
  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), NULL);
  return self->selected_id;
}

guint
mer_proposals_view_get_n_rows (MerProposalsView *self)
{
  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), 0);
  return self->proposals ? json_array_get_length (self->proposals) : 0;
}

char *
mer_proposals_view_get_row_summary (MerProposalsView *self,
                                    guint             index)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), NULL);
  row = gtk_list_box_get_row_at_index (self->list, (int) index);
  return row ? g_strdup (g_object_get_data (G_OBJECT (row), "summary")) : NULL;
}

/* ---- the composer ---- */

static void
composer_closed (MerProposalsView *self)
{
  adw_bin_set_child (self->compose_bin, NULL);
  self->composer = NULL;
  gtk_stack_set_visible_child_name (self->stack, "browse");
}

static void
composer_published_cb (MerProposalsView *self,
                       const char       *proposal_id)
{
  composer_closed (self);
  mer_proposals_view_select (self, proposal_id);
}

static void
composer_cancelled_cb (MerProposalsView *self)
{
  composer_closed (self);
}

/*
 * Opens the composer: on the newest unpublished proposal draft when there
 * is one (it survived a crash or a closed window), else on a new one.
 */
GtkWidget *
mer_proposals_view_new_proposal (MerProposalsView *self)
{
  g_autoptr(JsonArray) drafts = NULL;
  const char *draft_of = NULL;
  const char *newest = NULL;

  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), NULL);

  if (self->composer == NULL)
    {
      drafts = mer_proposal_list_drafts (self->store, NULL);
      for (guint i = 0; drafts != NULL && i < json_array_get_length (drafts); i++)
        {
          JsonObject *draft = json_array_get_object_element (drafts, i);
          const char *saved = mer_json_get_string (draft, "saved_at");

          if (mer_json_get_string (draft, "draft_of") != NULL && (newest == NULL || g_strcmp0 (saved, newest) > 0))
            {
              newest = saved ? saved : "";
              draft_of = mer_json_get_string (draft, "draft_of");
            }
        }
      self->composer = mer_proposal_composer_new (self->store, draft_of);
      g_signal_connect_object (self->composer, "published", G_CALLBACK (composer_published_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->composer, "cancelled", G_CALLBACK (composer_cancelled_cb), self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->compose_bin, self->composer);
    }
  gtk_stack_set_visible_child_name (self->stack, "compose");
  mer_proposal_composer_focus (MER_PROPOSAL_COMPOSER (self->composer));
  return self->composer;
}

GtkWidget *
mer_proposals_view_get_composer (MerProposalsView *self)
{
  g_return_val_if_fail (MER_IS_PROPOSALS_VIEW (self), NULL);
  return self->composer;
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  mer_proposals_view_new_proposal (MER_PROPOSALS_VIEW (widget));
}

static void
open_doc_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MerProposalsView *self = MER_PROPOSALS_VIEW (widget);
  const char *id = g_variant_get_string (parameter, NULL);

  if (g_str_has_prefix (id, "comment:"))
    {
      g_autoptr(JsonObject) comment = mer_store_get_doc (self->store, id, NULL, 0, NULL);

      if (comment != NULL)
        mer_proposals_view_select (self, mer_json_get_string (comment, "on"));
      return;
    }
  mer_proposals_view_select (self, id);
}

static void
open_decision_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  if (MER_IS_WINDOW (root))
    mer_window_open_doc (MER_WINDOW (root), g_variant_get_string (parameter, NULL));
}

/* "Since you were last here", once per opening, when there is news. */
static gboolean
digest_cb (gpointer user_data)
{
  MerProposalsView *self = user_data;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!GTK_IS_WINDOW (root) || !gtk_widget_get_mapped (GTK_WIDGET (root)))
    {
      if (++self->digest_tries < 50)
        return G_SOURCE_CONTINUE;
      self->digest_id = 0;
      return G_SOURCE_REMOVE;
    }
  self->digest_id = 0;
  mer_digest_dialog_present_if_new (self->store, GTK_WINDOW (root));
  return G_SOURCE_REMOVE;
}

static void
mer_proposals_view_dispose (GObject *object)
{
  MerProposalsView *self = MER_PROPOSALS_VIEW (object);

  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_handle_id (&self->digest_id, g_source_remove);
  if (self->decide_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->decide_dialog), (gpointer *) &self->decide_dialog);
  self->decide_dialog = NULL;
  g_clear_signal_handler (&self->changed_id, self->store);
  detach_comment_editor (self);
  g_clear_object (&self->comment_editor);
  gtk_widget_dispose_template (GTK_WIDGET (object), MER_TYPE_PROPOSALS_VIEW);
  {
    GtkWidget *child;

    /* The template's unnamed top-level child is ours to unparent. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (mer_proposals_view_parent_class)->dispose (object);
}

static void
mer_proposals_view_finalize (GObject *object)
{
  MerProposalsView *self = MER_PROPOSALS_VIEW (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->proposals, json_array_unref);
  g_free (self->selected_id);
  g_free (self->reply_to);
  g_free (self->body_height_id);
  g_free (self->comment_on);
  G_OBJECT_CLASS (mer_proposals_view_parent_class)->finalize (object);
}

static void
mer_proposals_view_class_init (MerProposalsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_proposals_view_dispose;
  object_class->finalize = mer_proposals_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-proposals-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MerProposalsView, stack);
  gtk_widget_class_bind_template_child (widget_class, MerProposalsView, list);
  gtk_widget_class_bind_template_child (widget_class, MerProposalsView, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, MerProposalsView, detail_box);
  gtk_widget_class_bind_template_child (widget_class, MerProposalsView, detail_scroller);
  gtk_widget_class_bind_template_child (widget_class, MerProposalsView, compose_bin);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-proposals-view");

  gtk_widget_class_install_action (widget_class, "proposals.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "proposals.decide", NULL, decide_action);
  gtk_widget_class_install_action (widget_class, "proposals.comment", NULL, comment_action);
  gtk_widget_class_install_action (widget_class, "proposals.post-comment", NULL, post_comment_action);
  gtk_widget_class_install_action (widget_class, "proposals.update-availability", NULL, update_availability_action);
  gtk_widget_class_install_action (widget_class, "proposals.open-decision", "s", open_decision_action);
  gtk_widget_class_install_action (widget_class, "section.open-doc", "s", open_doc_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "proposals.new", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "proposals.post-comment", NULL);
}

static void
mer_proposals_view_init (MerProposalsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mer_proposals_view_new (MerStore *store)
{
  MerProposalsView *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_PROPOSALS_VIEW, NULL);
  self->store = g_object_ref (store);
  self->changed_id = g_signal_connect_swapped (store, "changed", G_CALLBACK (store_changed_cb), self);
  mer_proposals_view_reload (self);
  self->digest_id = g_timeout_add (200, digest_cb, self);
  return GTK_WIDGET (self);
}
