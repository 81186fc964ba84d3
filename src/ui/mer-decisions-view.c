/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-decisions-view.h"
#include "mer-decision.h"
#include "mer-doc-util.h"
#include "mer-json.h"
#include "mer-proposals-view.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-ui-util.h"
#include "mer-window.h"

#include <adwaita.h>
#include <glib/gi18n.h>

struct _MerDecisionsView
{
  GtkWidget       parent_instance;

  GtkListBox     *list;
  GtkStack       *detail_stack;
  GtkBox         *detail_box;
  GtkSearchEntry *filter_text;
  GtkDropDown    *filter_status;
  GtkDropDown    *filter_owner;
  GtkEntry       *filter_tag;

  MerStore       *store;
  JsonArray      *decisions;    /* shown, newest first */
  GPtrArray      *owner_ids;    /* filter_owner index - 1 -> person id */
  char           *selected_id;
  GtkWidget      *dialog;
  gulong          changed_id;
  guint           reload_id;
  gboolean        selecting;
};

G_DEFINE_FINAL_TYPE (MerDecisionsView, mer_decisions_view, GTK_TYPE_WIDGET)

static const char *status_ids[] = { NULL, "accepted", "rejected", "superseded" };

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "accepted") == 0)
    return _("Accepted");
  if (g_strcmp0 (status, "rejected") == 0)
    return _("Rejected");
  if (g_strcmp0 (status, "superseded") == 0)
    return _("Superseded");
  return status;
}

static const char *
status_css (const char *status)
{
  if (g_strcmp0 (status, "accepted") == 0)
    return "success";
  if (g_strcmp0 (status, "rejected") == 0)
    return "error";
  return "dim-label";
}

static void
add_section (GtkBox     *box,
             const char *title,
             const char *text)
{
  GtkWidget *heading = mer_ui_wrapped_label (title, "heading");

  gtk_widget_set_margin_top (heading, 8);
  gtk_box_append (box, heading);
  gtk_box_append (box, mer_ui_wrapped_label (text != NULL && *text != '\0' ? text : _("Not recorded."),
                                  text != NULL && *text != '\0' ? NULL : "dim-label"));
}

static GtkWidget *
doc_button (const char *label,
            const char *id)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *text = gtk_label_new (label);

  /* Titles are long: wrap rather than widen the column. */
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_button_set_child (GTK_BUTTON (button), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "decisions.open");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", id);
  return button;
}

static void
show_detail (MerDecisionsView *self)
{
  g_autoptr(JsonObject) decision = NULL;
  g_autoptr(JsonArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) cited = NULL;
  GtkWidget *child, *title, *status, *meta_label, *chain_list, *supersede;
  g_autofree char *owner = NULL;
  g_autofree char *date = NULL;
  g_autofree char *meta = NULL;
  GString *deciders = g_string_new (NULL);
  JsonNode *node;
  const char *status_text, *proposal, *superseded_by;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->detail_box))) != NULL)
    gtk_box_remove (self->detail_box, child);

  decision = self->selected_id ? mer_decision_get (self->store, self->selected_id, NULL) : NULL;
  if (decision == NULL)
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "empty");
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "decisions.supersede", FALSE);
      g_string_free (deciders, TRUE);
      return;
    }
  gtk_stack_set_visible_child_name (self->detail_stack, "detail");
  status_text = mer_json_get_string (decision, "status");
  superseded_by = mer_json_get_string (decision, "superseded_by");
  proposal = mer_json_get_string (decision, "proposal");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "decisions.supersede", superseded_by == NULL);

  if (superseded_by != NULL)
    {
      g_autoptr(JsonObject) newer = mer_store_get_doc (self->store, superseded_by, NULL, 0, NULL);
      g_autofree char *text = g_strdup_printf (_("Superseded by “%s”"),
                                               newer ? mer_json_get_string (newer, "title") : superseded_by);
      GtkWidget *banner = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
      GtkWidget *button = doc_button (text, superseded_by);

      gtk_widget_add_css_class (banner, "card");
      gtk_widget_set_margin_start (icon, 12);
      gtk_widget_add_css_class (icon, "warning");
      gtk_widget_set_hexpand (button, TRUE);
      gtk_box_append (GTK_BOX (banner), icon);
      gtk_box_append (GTK_BOX (banner), button);
      gtk_box_append (self->detail_box, banner);
    }

  title = mer_ui_wrapped_label (mer_json_get_string (decision, "title"), "title-1");
  gtk_widget_set_name (title, "decision-title");
  gtk_box_append (self->detail_box, title);
  status = mer_ui_wrapped_label (status_label (status_text), status_css (status_text));
  gtk_widget_add_css_class (status, "heading");
  gtk_box_append (self->detail_box, status);

  owner = mer_ui_person_name (self->store, mer_json_get_string (decision, "owner"), _("Nobody"));
  date = mer_ui_format_day (mer_json_get_string (decision, "decided_at"));
  node = json_object_get_member (decision, "deciders");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      {
        g_autofree char *name = mer_ui_person_name (self->store, json_array_get_string_element (json_node_get_array (node), i),
                                                    _("Nobody"));

        g_string_append_printf (deciders, "%s%s", deciders->len ? ", " : "", name);
      }
  meta = g_strdup_printf (_("Decided %s · owner %s · deciders %s"), date, owner,
                          deciders->len ? deciders->str : owner);
  g_string_free (deciders, TRUE);
  meta_label = mer_ui_wrapped_label (meta, "dim-label");
  gtk_box_append (self->detail_box, meta_label);

  supersede = gtk_button_new_with_mnemonic (_("_Supersede…"));
  mer_ui_name_mnemonic_button (supersede);
  gtk_widget_set_name (supersede, "supersede-button");
  gtk_widget_set_halign (supersede, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (supersede, _("Decisions are not edited: write a new decision that replaces this one"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (supersede), "decisions.supersede");
  gtk_widget_set_visible (supersede, superseded_by == NULL);
  gtk_box_append (self->detail_box, supersede);

  add_section (self->detail_box, _("Context"), mer_json_get_string (decision, "context"));
  add_section (self->detail_box, _("Decision"), mer_json_get_string (decision, "decision"));
  add_section (self->detail_box, _("Consequences"), mer_json_get_string (decision, "consequences"));

  if (proposal != NULL)
    {
      g_autoptr(JsonObject) p = mer_store_get_doc (self->store, proposal, NULL, 0, NULL);
      g_autofree char *label = g_strdup_printf (_("From the proposal “%s”"), p ? mer_json_get_string (p, "title") : proposal);
      GtkWidget *heading = mer_ui_wrapped_label (_("Proposal"), "heading");

      gtk_widget_set_margin_top (heading, 8);
      gtk_box_append (self->detail_box, heading);
      gtk_box_append (self->detail_box, doc_button (label, proposal));
    }

  /* Pages it affects, and pages citing it; when it is superseded, those
   * pages cite a superseded decision, and say so. */
  cited = mer_decision_cited_by (self->store, self->selected_id, &error);
  if (cited != NULL && cited[0] != NULL)
    {
      GtkWidget *heading = mer_ui_wrapped_label (_("Pages"), "heading");

      gtk_widget_set_margin_top (heading, 8);
      gtk_box_append (self->detail_box, heading);
      for (guint i = 0; cited[i] != NULL; i++)
        {
          g_autoptr(JsonObject) page = mer_store_get_doc (self->store, cited[i], NULL, 0, NULL);
          const char *name = page && mer_json_get_string (page, "title") ? mer_json_get_string (page, "title") : cited[i];
          g_autofree char *label = superseded_by != NULL
                                   ? g_strdup_printf (_("%s: cites a superseded decision"), name)
                                   : g_strdup (name);
          GtkWidget *button = doc_button (label, cited[i]);

          if (superseded_by != NULL)
            gtk_widget_add_css_class (button, "warning");
          gtk_box_append (self->detail_box, button);
        }
    }

  chain = mer_decision_chain (self->store, self->selected_id, NULL);
  if (chain != NULL && json_array_get_length (chain) > 1)
    {
      GtkWidget *heading = mer_ui_wrapped_label (_("Supersede Chain"), "heading");

      gtk_widget_set_margin_top (heading, 8);
      gtk_box_append (self->detail_box, heading);
      chain_list = gtk_list_box_new ();
      gtk_widget_set_name (chain_list, "chain-list");
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (chain_list), GTK_SELECTION_NONE);
      gtk_widget_add_css_class (chain_list, "boxed-list");
      for (guint i = 0; i < json_array_get_length (chain); i++)
        {
          JsonObject *link = json_array_get_object_element (chain, i);
          GtkWidget *row = adw_action_row_new ();
          g_autofree char *when = mer_ui_format_day (mer_json_get_string (link, "decided_at"));
          g_autofree char *sub = g_strdup_printf ("%s · %s", when, status_label (mer_json_get_string (link, "status")));
          g_autofree char *escaped = g_markup_escape_text (mer_json_get_string (link, "title"), -1);
          gboolean current = g_strcmp0 (mer_json_get_string (link, "_id"), self->selected_id) == 0;

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
          if (current)
            adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
          else
            {
              gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
              gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "decisions.open");
              gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", mer_json_get_string (link, "_id"));
            }
          gtk_list_box_append (GTK_LIST_BOX (chain_list), row);
        }
      gtk_box_append (self->detail_box, chain_list);
    }
}

static const char *
selected_owner (MerDecisionsView *self)
{
  guint index = gtk_drop_down_get_selected (self->filter_owner);

  if (self->owner_ids == NULL || index == 0 || index == GTK_INVALID_LIST_POSITION || index > self->owner_ids->len)
    return NULL;
  return self->owner_ids->pdata[index - 1];
}

void
mer_decisions_view_reload (MerDecisionsView *self)
{
  g_autoptr(GError) error = NULL;
  guint status = gtk_drop_down_get_selected (self->filter_status);
  MerDecisionFilter filter = {
    status < G_N_ELEMENTS (status_ids) ? status_ids[status] : NULL,
    selected_owner (self),
    gtk_editable_get_text (GTK_EDITABLE (self->filter_tag)),
    gtk_editable_get_text (GTK_EDITABLE (self->filter_text)),
  };
  GtkListBoxRow *selected = NULL;
  GtkWidget *child;

  g_return_if_fail (MER_IS_DECISIONS_VIEW (self));

  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_pointer (&self->decisions, json_array_unref);
  self->decisions = mer_decision_list (self->store, &filter, &error);
  if (self->decisions == NULL)
    {
      g_warning ("Could not list decisions: %s", error->message);
      self->decisions = json_array_new ();
    }

  self->selecting = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < json_array_get_length (self->decisions); i++)
    {
      JsonObject *decision = json_array_get_object_element (self->decisions, i);
      const char *status_text = mer_json_get_string (decision, "status");
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *title = mer_ui_wrapped_label (mer_json_get_string (decision, "title"), NULL);
      g_autofree char *date = mer_ui_format_day (mer_json_get_string (decision, "decided_at"));
      g_autofree char *sub_text = g_strdup_printf ("%s · %s", date, status_label (status_text));
      GtkWidget *sub = mer_ui_wrapped_label (sub_text, "caption");

      gtk_label_set_selectable (GTK_LABEL (title), FALSE);
      gtk_label_set_selectable (GTK_LABEL (sub), FALSE);
      gtk_label_set_wrap (GTK_LABEL (sub), FALSE);
      gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (sub, status_css (status_text));
      if (g_strcmp0 (status_text, "superseded") == 0)
        gtk_widget_add_css_class (title, "dim-label");
      gtk_widget_set_margin_top (box, 6);
      gtk_widget_set_margin_bottom (box, 6);
      gtk_box_append (GTK_BOX (box), title);
      gtk_box_append (GTK_BOX (box), sub);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      mer_ui_name_row (row, mer_json_get_string (decision, "title"), sub_text);
      g_object_set_data_full (G_OBJECT (row), "decision-id", g_strdup (mer_json_get_string (decision, "_id")), g_free);
      g_object_set_data_full (G_OBJECT (row), "summary",
                              g_strdup_printf ("%s\t%s", status_text, mer_json_get_string (decision, "title")), g_free);
      gtk_list_box_append (self->list, row);
      if (g_strcmp0 (self->selected_id, mer_json_get_string (decision, "_id")) == 0)
        selected = GTK_LIST_BOX_ROW (row);
    }
  gtk_list_box_select_row (self->list, selected);
  self->selecting = FALSE;
  show_detail (self);
}

static void
filters_changed_cb (MerDecisionsView *self)
{
  if (self->store != NULL)
    mer_decisions_view_reload (self);
}

static void
row_selected_cb (MerDecisionsView *self,
                 GtkListBoxRow    *row)
{
  if (self->selecting || row == NULL)
    return;
  g_free (self->selected_id);
  self->selected_id = g_strdup (g_object_get_data (G_OBJECT (row), "decision-id"));
  show_detail (self);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  MerDecisionsView *self = user_data;

  self->reload_id = 0;
  mer_decisions_view_reload (self);
  return G_SOURCE_REMOVE;
}

/* Coalesces a burst of commits, ours or (with the store watching other
 * connections) the replicator's, into one reload. */
static void
store_changed_cb (MerDecisionsView *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (150, reload_timeout_cb, self);
}

gboolean
mer_decisions_view_select (MerDecisionsView *self,
                           const char       *decision_id)
{
  g_autoptr(JsonObject) decision = NULL;

  g_return_val_if_fail (MER_IS_DECISIONS_VIEW (self), FALSE);

  decision = mer_store_get_doc (self->store, decision_id, NULL, 0, NULL);
  if (decision == NULL || g_strcmp0 (mer_json_get_string (decision, "type"), "decision") != 0)
    return FALSE;
  g_free (self->selected_id);
  self->selected_id = g_strdup (decision_id);
  mer_decisions_view_reload (self);
  if (mer_doc_find_by_id (self->decisions, decision_id) == NULL)
    show_detail (self);  /* filtered out of the list: still show it */
  return TRUE;
}

const char *
mer_decisions_view_get_selected (MerDecisionsView *self)
{
  g_return_val_if_fail (MER_IS_DECISIONS_VIEW (self), NULL);
  return self->selected_id;
}

guint
mer_decisions_view_get_n_rows (MerDecisionsView *self)
{
  g_return_val_if_fail (MER_IS_DECISIONS_VIEW (self), 0);
  return self->decisions ? json_array_get_length (self->decisions) : 0;
}

char *
mer_decisions_view_get_row_summary (MerDecisionsView *self,
                                    guint             index)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (MER_IS_DECISIONS_VIEW (self), NULL);
  row = gtk_list_box_get_row_at_index (self->list, (int) index);
  return row ? g_strdup (g_object_get_data (G_OBJECT (row), "summary")) : NULL;
}

GtkWidget *
mer_decisions_view_get_dialog (MerDecisionsView *self)
{
  g_return_val_if_fail (MER_IS_DECISIONS_VIEW (self), NULL);
  return self->dialog;
}

/* ---- logging and superseding ---- */

static GtkWidget *
text_field (const char *name,
            const char *label_text,
            const char *initial)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *label = gtk_label_new (label_text);
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *view = gtk_text_view_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_widget_set_name (view, name);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_widget_set_size_request (view, 420, 64);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, label_text, -1);
  if (initial != NULL)
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), initial, -1);
  gtk_frame_set_child (GTK_FRAME (frame), view);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), frame);
  return box;
}

static char *
field_text (GtkWidget  *root,
            const char *name)
{
  GtkWidget *widget = mer_ui_find_named (root, name);

  if (GTK_IS_EDITABLE (widget))
    return g_strdup (gtk_editable_get_text (GTK_EDITABLE (widget)));
  return mer_ui_text_view_get_text (GTK_TEXT_VIEW (widget));
}

static void
dialog_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    MerDecisionsView *self)
{
  GtkWidget *extra = adw_message_dialog_get_extra_child (dialog);
  const char *old_id = g_object_get_data (G_OBJECT (dialog), "supersedes");
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autofree char *me = mer_schedule_get_me (self->store);
  g_autofree char *id = NULL;
  g_autofree char *tags = NULL;
  const char *members[] = { "title", "context", "decision", "consequences" };
  JsonArray *tag_array = json_array_new ();

  self->dialog = NULL;
  if (g_strcmp0 (response, "log") != 0)
    {
      json_array_unref (tag_array);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_autofree char *name = g_strconcat ("field-", members[i], NULL);
      g_autofree char *value = field_text (extra, name);

      json_object_set_string_member (fields, members[i], g_strstrip (value));
    }
  tags = field_text (extra, "field-tags");
  {
    g_auto(GStrv) parts = g_strsplit (tags, ",", -1);

    for (guint i = 0; parts[i] != NULL; i++)
      if (*g_strstrip (parts[i]) != '\0')
        json_array_add_string_element (tag_array, parts[i]);
  }
  json_object_set_array_member (fields, "tags", tag_array);
  if (me != NULL)
    json_object_set_string_member (fields, "owner", me);

  if (old_id != NULL)
    {
      g_autoptr(JsonObject) old = mer_store_get_doc (self->store, old_id, NULL, 0, NULL);
      JsonNode *pages = old ? json_object_get_member (old, "pages") : NULL;

      /* The pages the old decision affected are the new one's to answer for. */
      if (pages != NULL && JSON_NODE_HOLDS_ARRAY (pages))
        json_object_set_member (fields, "pages", json_node_copy (pages));
      id = mer_decision_supersede (self->store, old_id, fields, now, &error);
    }
  else
    id = mer_decision_log (self->store, fields, now, &error);
  if (id == NULL)
    {
      mer_ui_show_error (GTK_WIDGET (self), _("Could Not Log the Decision"),
                         me == NULL ? _("Choose yourself in Team → Your Hours and Time Zone first.")
                                    : error->message);
      return;
    }
  mer_decisions_view_select (self, id);
}

/*
 * One dialog for both: logging afresh ("tell me what you did") and
 * superseding, which starts from the old decision's words.
 */
static void
open_dialog (MerDecisionsView *self,
             JsonObject       *old)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget *title = gtk_entry_new ();
  GtkWidget *tags = gtk_entry_new ();
  g_autofree char *heading_text = old ? g_strdup_printf (_("Supersede “%s”"), mer_json_get_string (old, "title"))
                                      : g_strdup (_("Log a Decision"));

  gtk_widget_set_name (title, "field-title");
  gtk_entry_set_placeholder_text (GTK_ENTRY (title), _("Title"));
  if (old != NULL)
    gtk_editable_set_text (GTK_EDITABLE (title), mer_json_get_string (old, "title"));
  gtk_widget_set_name (tags, "field-tags");
  gtk_entry_set_placeholder_text (GTK_ENTRY (tags), _("Tags, separated by commas"));
  if (old != NULL && json_object_get_member (old, "tags") != NULL
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (old, "tags")))
    {
      JsonArray *old_tags = json_object_get_array_member (old, "tags");
      GString *joined = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (old_tags); i++)
        g_string_append_printf (joined, "%s%s", i ? ", " : "", json_array_get_string_element (old_tags, i));
      gtk_editable_set_text (GTK_EDITABLE (tags), joined->str);
      g_string_free (joined, TRUE);
    }
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), text_field ("field-context", _("Context"), old ? mer_json_get_string (old, "context") : NULL));
  gtk_box_append (GTK_BOX (box), text_field ("field-decision", _("Decision"), old ? mer_json_get_string (old, "decision") : NULL));
  gtk_box_append (GTK_BOX (box), text_field ("field-consequences", _("Consequences"),
                                             old ? mer_json_get_string (old, "consequences") : NULL));
  gtk_box_append (GTK_BOX (box), tags);

  self->dialog = adw_message_dialog_new (mer_ui_get_window (GTK_WIDGET (self)), heading_text,
                                         old ? _("The old decision stays as it was, marked superseded, and both "
                                                 "show the chain.")
                                             : _("Record a decision that was made without a proposal, so the "
                                                 "team can find it and why."));
  gtk_widget_set_name (self->dialog, "decision-dialog");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self->dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self->dialog),
                                    "cancel", _("_Cancel"),
                                    "log", old ? _("_Supersede") : _("_Log Decision"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self->dialog), "log", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self->dialog), "cancel");
  if (old != NULL)
    g_object_set_data_full (G_OBJECT (self->dialog), "supersedes", g_strdup (mer_json_get_string (old, "_id")), g_free);
  g_signal_connect_object (self->dialog, "response", G_CALLBACK (dialog_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
log_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  open_dialog (MER_DECISIONS_VIEW (widget), NULL);
}

static void
supersede_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MerDecisionsView *self = MER_DECISIONS_VIEW (widget);
  g_autoptr(JsonObject) old = self->selected_id ? mer_decision_get (self->store, self->selected_id, NULL) : NULL;

  if (old != NULL)
    open_dialog (self, old);
}

/* Decisions open here; proposals and pages open in their own places. */
static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MerDecisionsView *self = MER_DECISIONS_VIEW (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (g_str_has_prefix (id, "decision:"))
    mer_decisions_view_select (self, id);
  else if (MER_IS_WINDOW (root))
    mer_window_open_doc (MER_WINDOW (root), id);
}

static void
open_doc_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  mer_decisions_view_select (MER_DECISIONS_VIEW (widget), g_variant_get_string (parameter, NULL));
}

static void
fill_filters (MerDecisionsView *self)
{
  const char *statuses[] = { N_("Any status"), N_("Accepted"), N_("Rejected"), N_("Superseded"), NULL };
  g_autoptr(GtkStringList) status_model = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) owner_model = gtk_string_list_new (NULL);
  g_autoptr(JsonArray) people = mer_store_list_docs (self->store, "person", NULL);

  for (guint i = 0; statuses[i] != NULL; i++)
    gtk_string_list_append (status_model, _(statuses[i]));
  gtk_string_list_append (owner_model, _("Any owner"));
  self->owner_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; people != NULL && i < json_array_get_length (people); i++)
    {
      JsonObject *person = json_array_get_object_element (people, i);
      const char *name = mer_json_get_string (person, "name");

      gtk_string_list_append (owner_model, name ? name : mer_json_get_string (person, "_id"));
      g_ptr_array_add (self->owner_ids, g_strdup (mer_json_get_string (person, "_id")));
    }
  gtk_drop_down_set_model (self->filter_status, G_LIST_MODEL (status_model));
  gtk_drop_down_set_model (self->filter_owner, G_LIST_MODEL (owner_model));
}

static void
mer_decisions_view_dispose (GObject *object)
{
  MerDecisionsView *self = MER_DECISIONS_VIEW (object);

  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_signal_handler (&self->changed_id, self->store);
  gtk_widget_dispose_template (GTK_WIDGET (object), MER_TYPE_DECISIONS_VIEW);
  {
    GtkWidget *child;

    /* The template's unnamed top-level child is ours to unparent. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (mer_decisions_view_parent_class)->dispose (object);
}

static void
mer_decisions_view_finalize (GObject *object)
{
  MerDecisionsView *self = MER_DECISIONS_VIEW (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->decisions, json_array_unref);
  g_clear_pointer (&self->owner_ids, g_ptr_array_unref);
  g_free (self->selected_id);
  G_OBJECT_CLASS (mer_decisions_view_parent_class)->finalize (object);
}

static void
mer_decisions_view_class_init (MerDecisionsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_decisions_view_dispose;
  object_class->finalize = mer_decisions_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-decisions-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, list);
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, detail_box);
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, filter_text);
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, filter_status);
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, filter_owner);
  gtk_widget_class_bind_template_child (widget_class, MerDecisionsView, filter_tag);
  gtk_widget_class_bind_template_callback (widget_class, filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-decisions-view");

  gtk_widget_class_install_action (widget_class, "decisions.log", NULL, log_action);
  gtk_widget_class_install_action (widget_class, "decisions.supersede", NULL, supersede_action);
  gtk_widget_class_install_action (widget_class, "decisions.open", "s", open_action);
  gtk_widget_class_install_action (widget_class, "section.open-doc", "s", open_doc_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "decisions.log", NULL);
}

static void
mer_decisions_view_init (MerDecisionsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* GTK 4.8 names the drop-down but not the button inside it, which is
   * what takes the focus and what a screen reader announces. */
  mer_ui_name_inner_button (GTK_WIDGET (self->filter_status), _("Status"));
  mer_ui_name_inner_button (GTK_WIDGET (self->filter_owner), _("Owner"));
}

GtkWidget *
mer_decisions_view_new (MerStore *store)
{
  MerDecisionsView *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_DECISIONS_VIEW, NULL);
  self->store = g_object_ref (store);
  fill_filters (self);
  self->changed_id = g_signal_connect_swapped (store, "changed", G_CALLBACK (store_changed_cb), self);
  mer_decisions_view_reload (self);
  return GTK_WIDGET (self);
}
