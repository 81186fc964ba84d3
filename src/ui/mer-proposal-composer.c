/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-proposal-composer.h"
#include "mer-json.h"
#include "mer-markdown-editor.h"
#include "mer-proposal.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

/* The deadline choices after the fair minimum: at least this many days. */
static const int deadline_days[] = { 0, 3, 7, 14 };

struct _MerProposalComposer
{
  GtkWidget      parent_instance;

  GtkEntry      *title_entry;
  GtkMenuButton *readers_button;
  GtkBox        *readers_box;
  GtkDropDown   *deadline_choice;
  GtkLabel      *fair_label;
  GtkDropDown   *page_choice;
  GtkExpander   *page_expander;
  GtkSourceView *page_text;
  AdwBin        *editor_bin;

  MerStore      *store;
  char          *draft_of;       /* "new:<uuid>" */
  MerMarkdownEditor *editor;
  GPtrArray     *page_ids;       /* index in page_choice - 1 -> page id */
  GtkWidget     *check_dialog;
  gboolean       loading;        /* filling widgets from the draft */
};

enum
{
  PUBLISHED,
  CANCELLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MerProposalComposer, mer_proposal_composer, GTK_TYPE_WIDGET)

static JsonArray *
chosen_readers (MerProposalComposer *self)
{
  JsonArray *required = json_array_new ();

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->readers_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_check_button_get_active (GTK_CHECK_BUTTON (child)))
      json_array_add_string_element (required, g_object_get_data (G_OBJECT (child), "person-id"));
  return required;
}

/*
 * The deadline for the chosen option: never before the fair minimum. When
 * the fair minimum cannot be computed (a reader's zone does not load) it
 * returns the chosen option alone, *fair_out NULL and the reason in @error;
 * publishing then refuses with the same reason.
 */
static GDateTime *
chosen_deadline (MerProposalComposer  *self,
                 GDateTime           **fair_out,
                 GError              **error)
{
  g_autoptr(JsonArray) required = chosen_readers (self);
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GDateTime) fair = mer_proposal_fair_deadline (self->store, required, now, error);
  guint choice = gtk_drop_down_get_selected (self->deadline_choice);
  g_autoptr(GDateTime) later = NULL;

  if (choice >= G_N_ELEMENTS (deadline_days))
    choice = 0;
  later = g_date_time_add_days (now, deadline_days[choice]);
  if (fair_out != NULL)
    *fair_out = fair != NULL ? g_date_time_ref (fair) : NULL;
  if (fair == NULL || g_date_time_compare (later, fair) > 0)
    return g_steal_pointer (&later);
  return g_steal_pointer (&fair);
}

static void
update_labels (MerProposalComposer *self)
{
  g_autoptr(JsonArray) required = chosen_readers (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) fair = NULL;
  g_autoptr(GDateTime) deadline = chosen_deadline (self, &fair, &error);
  g_autoptr(GDateTime) local = g_date_time_to_local (deadline);
  /* Translators: a day and time, see g_date_time_format(); "Mon 7 Dec 15:30". */
  g_autofree char *when = g_date_time_format (local, _("%a %-d %b %H:%M"));
  g_autofree char *label = NULL;
  GString *names = g_string_new (NULL);

  if (fair == NULL)
    label = g_strdup (error->message);
  else if (g_date_time_compare (deadline, fair) == 0)
    label = g_strdup_printf (_("Closes %s your time: every required reader gets 24 hours and a full "
                               "working day of their own."), when);
  else
    {
      g_autoptr(GDateTime) fair_local = g_date_time_to_local (fair);
      /* Translators: a day and time, see g_date_time_format(); "Mon 7 Dec 15:30". */
      g_autofree char *fair_text = g_date_time_format (fair_local, _("%a %-d %b %H:%M"));

      label = g_strdup_printf (_("Closes %s your time. The fair minimum would be %s."), when, fair_text);
    }
  gtk_label_set_text (self->fair_label, label);
  /* A deadline that cannot be checked for fairness is a problem to see. */
  if (fair == NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->fair_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->fair_label), "error");

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->readers_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_check_button_get_active (GTK_CHECK_BUTTON (child)))
      g_string_append_printf (names, "%s%s", names->len ? ", " : "",
                              gtk_check_button_get_label (GTK_CHECK_BUTTON (child)));
  gtk_menu_button_set_label (self->readers_button, names->len ? names->str : _("Choose…"));
  g_string_free (names, TRUE);
}

static char *
get_page_text (MerProposalComposer *self)
{
  return mer_ui_text_view_get_text (GTK_TEXT_VIEW (self->page_text));
}

static const char *
chosen_page (MerProposalComposer *self)
{
  guint index = gtk_drop_down_get_selected (self->page_choice);

  if (index == 0 || index == GTK_INVALID_LIST_POSITION || index > self->page_ids->len)
    return NULL;
  return self->page_ids->pdata[index - 1];
}

/* Keeps the editor's draft fields in step with the form: the draft is the
 * one place an unpublished proposal lives. */
static void
sync_fields (MerProposalComposer *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *me = mer_schedule_get_me (self->store);
  g_autoptr(GDateTime) deadline = chosen_deadline (self, NULL, NULL);
  g_autofree char *deadline_text = mer_schedule_format_instant (deadline);
  const char *page = chosen_page (self);

  json_object_set_string_member (fields, "title", gtk_editable_get_text (GTK_EDITABLE (self->title_entry)));
  if (me != NULL)
    {
      json_object_set_string_member (fields, "author", me);
      json_object_set_string_member (fields, "owner", me);
    }
  else
    {
      json_object_set_null_member (fields, "author");
      json_object_set_null_member (fields, "owner");
    }
  json_object_set_array_member (fields, "required", chosen_readers (self));
  json_object_set_string_member (fields, "deadline", deadline_text);
  json_object_set_int_member (fields, "deadline_choice", gtk_drop_down_get_selected (self->deadline_choice));
  if (page != NULL)
    {
      g_autofree char *text = get_page_text (self);

      json_object_set_string_member (fields, "page", page);
      json_object_set_string_member (fields, "page_body", text);
    }
  else
    {
      json_object_set_null_member (fields, "page");
      json_object_set_null_member (fields, "page_body");
    }
  mer_markdown_editor_set_fields (self->editor, fields);
}

static void
fields_changed_cb (MerProposalComposer *self)
{
  if (self->loading || self->editor == NULL)
    return;
  update_labels (self);
  sync_fields (self);
  mer_markdown_editor_mark_modified (self->editor);
}

static void
reader_toggled_cb (GtkCheckButton      *button,
                   MerProposalComposer *self)
{
  fields_changed_cb (self);
}

static void
page_text_changed_cb (GtkTextBuffer       *buffer,
                      MerProposalComposer *self)
{
  fields_changed_cb (self);
}

static void
page_changed_cb (MerProposalComposer *self)
{
  const char *page_id;

  if (self->loading || self->page_ids == NULL)
    return;
  page_id = chosen_page (self);
  gtk_widget_set_visible (GTK_WIDGET (self->page_expander), page_id != NULL);
  if (page_id != NULL)
    {
      g_autoptr(JsonObject) page = mer_store_get_doc (self->store, page_id, NULL, MER_GET_DEFAULT, NULL);

      /* Start from the page as it is now. */
      self->loading = TRUE;
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->page_text)),
                                page ? mer_json_get_string (page, "body") : "", -1);
      self->loading = FALSE;
      gtk_expander_set_expanded (self->page_expander, TRUE);
    }
  fields_changed_cb (self);
}

static int
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  JsonObject *pa = json_node_get_object (*(JsonNode **) a);
  JsonObject *pb = json_node_get_object (*(JsonNode **) b);

  return g_utf8_collate (mer_json_get_string (pa, "name") ? mer_json_get_string (pa, "name") : "",
                         mer_json_get_string (pb, "name") ? mer_json_get_string (pb, "name") : "");
}

static void
fill_choices (MerProposalComposer *self)
{
  g_autoptr(JsonArray) people = mer_store_list_docs (self->store, "person", NULL);
  g_autoptr(JsonArray) pages = mer_store_list_docs (self->store, "page", NULL);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(GtkStringList) deadlines = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) page_names = gtk_string_list_new (NULL);
  g_autofree char *me = mer_schedule_get_me (self->store);

  for (guint i = 0; people != NULL && i < json_array_get_length (people); i++)
    g_ptr_array_add (sorted, json_array_get_element (people, i));
  g_ptr_array_sort (sorted, compare_by_name);
  for (guint i = 0; i < sorted->len; i++)
    {
      JsonObject *person = json_node_get_object (sorted->pdata[i]);
      const char *id = mer_json_get_string (person, "_id");
      const char *name = mer_json_get_string (person, "name");
      g_autofree char *widget_name = g_strconcat ("reader-", id, NULL);
      GtkWidget *check;

      if (g_strcmp0 (id, me) == 0)
        continue;
      check = gtk_check_button_new_with_label (name ? name : id);
      gtk_widget_set_name (check, widget_name);
      g_object_set_data_full (G_OBJECT (check), "person-id", g_strdup (id), g_free);
      g_signal_connect_object (check, "toggled", G_CALLBACK (reader_toggled_cb), self, 0);
      gtk_box_append (self->readers_box, check);
    }

  gtk_string_list_append (deadlines, _("Fair minimum"));
  gtk_string_list_append (deadlines, _("At least 3 days"));
  gtk_string_list_append (deadlines, _("At least a week"));
  gtk_string_list_append (deadlines, _("At least two weeks"));
  gtk_drop_down_set_model (self->deadline_choice, G_LIST_MODEL (deadlines));

  gtk_string_list_append (page_names, _("No page"));
  self->page_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; pages != NULL && i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);
      const char *path = mer_json_get_string (page, "path");

      gtk_string_list_append (page_names, path ? path : mer_json_get_string (page, "title"));
      g_ptr_array_add (self->page_ids, g_strdup (mer_json_get_string (page, "_id")));
    }
  gtk_drop_down_set_model (self->page_choice, G_LIST_MODEL (page_names));
}

/* Puts a restored draft's fields back into the form. */
static void
load_fields (MerProposalComposer *self)
{
  JsonObject *fields = mer_markdown_editor_get_fields (self->editor);
  JsonNode *required;
  const char *page;

  if (fields == NULL)
    return;
  self->loading = TRUE;
  if (mer_json_get_string (fields, "title") != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->title_entry), mer_json_get_string (fields, "title"));
  required = json_object_get_member (fields, "required");
  if (required != NULL && JSON_NODE_HOLDS_ARRAY (required))
    {
      JsonArray *ids = json_node_get_array (required);

      for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->readers_box)); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        for (guint i = 0; i < json_array_get_length (ids); i++)
          if (g_strcmp0 (json_array_get_string_element (ids, i), g_object_get_data (G_OBJECT (child), "person-id")) == 0)
            gtk_check_button_set_active (GTK_CHECK_BUTTON (child), TRUE);
    }
  if (json_object_has_member (fields, "deadline_choice"))
    gtk_drop_down_set_selected (self->deadline_choice, (guint) json_object_get_int_member (fields, "deadline_choice"));
  page = mer_json_get_string (fields, "page");
  for (guint i = 0; page != NULL && i < self->page_ids->len; i++)
    if (g_strcmp0 (self->page_ids->pdata[i], page) == 0)
      {
        gtk_drop_down_set_selected (self->page_choice, i + 1);
        gtk_widget_set_visible (GTK_WIDGET (self->page_expander), TRUE);
        gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->page_text)),
                                  mer_json_get_string (fields, "page_body") ? mer_json_get_string (fields, "page_body") : "",
                                  -1);
      }
  self->loading = FALSE;
}

static void
do_publish (MerProposalComposer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autofree char *local_id = g_strconcat (MER_DRAFT_PREFIX, self->draft_of, NULL);
  g_autofree char *id = NULL;

  sync_fields (self);
  if (!mer_markdown_editor_save_draft (self->editor, &error))
    goto failed;
  id = mer_proposal_publish (self->store, local_id, now, &error);
  if (id == NULL)
    goto failed;
  /* The draft became the proposal; stop the editor from writing it again. */
  mer_markdown_editor_discard_draft (self->editor);
  g_signal_emit (self, signals[PUBLISHED], 0, id);
  return;

failed:
  mer_ui_show_error (GTK_WIDGET (self), _("Could Not Publish"), error->message);
}

static void
check_response_cb (AdwMessageDialog    *dialog,
                   const char          *response,
                   MerProposalComposer *self)
{
  self->check_dialog = NULL;
  if (g_strcmp0 (response, "publish") == 0)
    do_publish (self);
}

/*
 * Publishing: the completeness check first. Gaps are listed and the person
 * may publish anyway; a complete proposal publishes at once.
 */
void
mer_proposal_composer_publish (MerProposalComposer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) draft = NULL;
  g_autoptr(GPtrArray) missing = NULL;
  GString *body;

  g_return_if_fail (MER_IS_PROPOSAL_COMPOSER (self));

  sync_fields (self);
  if (!mer_markdown_editor_save_draft (self->editor, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  draft = mer_markdown_editor_load_draft_doc (self->store, self->draft_of);
  missing = mer_proposal_check_complete (draft);
  if (missing->len == 0)
    {
      do_publish (self);
      return;
    }

  body = g_string_new (_("Readers will have to ask back about:"));
  g_string_append_c (body, '\n');
  for (guint i = 0; i < missing->len; i++)
    g_string_append_printf (body, "\n• %s", (char *) missing->pdata[i]);
  self->check_dialog = adw_message_dialog_new (mer_ui_get_window (GTK_WIDGET (self)),
                                               _("This Proposal Is Incomplete"), body->str);
  g_string_free (body, TRUE);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self->check_dialog),
                                    "edit", _("_Keep Editing"),
                                    "publish", _("_Publish Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self->check_dialog), "publish",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self->check_dialog), "edit");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self->check_dialog), "edit");
  g_signal_connect_object (self->check_dialog, "response", G_CALLBACK (check_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (self->check_dialog));
}

GtkWidget *
mer_proposal_composer_get_check_dialog (MerProposalComposer *self)
{
  g_return_val_if_fail (MER_IS_PROPOSAL_COMPOSER (self), NULL);
  return self->check_dialog;
}

static void
publish_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  mer_proposal_composer_publish (MER_PROPOSAL_COMPOSER (widget));
}

/* Closing keeps the draft: it is saved now and restored next time. */
static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MerProposalComposer *self = MER_PROPOSAL_COMPOSER (widget);
  g_autoptr(GError) error = NULL;

  sync_fields (self);
  if (mer_markdown_editor_get_modified (self->editor) && !mer_markdown_editor_save_draft (self->editor, &error))
    g_warning ("%s", error->message);
  g_signal_emit (self, signals[CANCELLED], 0);
}

static void
discard_response_cb (AdwMessageDialog    *dialog,
                     const char          *response,
                     MerProposalComposer *self)
{
  if (g_strcmp0 (response, "discard") != 0)
    return;
  mer_markdown_editor_discard_draft (self->editor);
  g_signal_emit (self, signals[CANCELLED], 0);
}

/* Throwing a draft away is the one loss here, so it is asked first. */
static void
discard_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MerProposalComposer *self = MER_PROPOSAL_COMPOSER (widget);
  GtkWidget *dialog = adw_message_dialog_new (mer_ui_get_window (widget),
                                              _("Discard This Draft?"),
                                              _("The draft has never left this computer; once discarded it "
                                                "cannot be recovered."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

const char *
mer_proposal_composer_get_draft_of (MerProposalComposer *self)
{
  g_return_val_if_fail (MER_IS_PROPOSAL_COMPOSER (self), NULL);
  return self->draft_of;
}

GtkWidget *
mer_proposal_composer_get_editor (MerProposalComposer *self)
{
  g_return_val_if_fail (MER_IS_PROPOSAL_COMPOSER (self), NULL);
  return GTK_WIDGET (self->editor);
}

void
mer_proposal_composer_focus (MerProposalComposer *self)
{
  g_return_if_fail (MER_IS_PROPOSAL_COMPOSER (self));

  if (gtk_entry_get_text_length (self->title_entry) == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->title_entry));
  else
    mer_markdown_editor_grab_focus_text (self->editor);
}

static void
mer_proposal_composer_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), MER_TYPE_PROPOSAL_COMPOSER);
  {
    GtkWidget *child;

    /* The template's unnamed top-level child is ours to unparent. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (mer_proposal_composer_parent_class)->dispose (object);
}

static void
mer_proposal_composer_finalize (GObject *object)
{
  MerProposalComposer *self = MER_PROPOSAL_COMPOSER (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->page_ids, g_ptr_array_unref);
  g_free (self->draft_of);
  G_OBJECT_CLASS (mer_proposal_composer_parent_class)->finalize (object);
}

static void
mer_proposal_composer_class_init (MerProposalComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_proposal_composer_dispose;
  object_class->finalize = mer_proposal_composer_finalize;

  signals[PUBLISHED] = g_signal_new ("published", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[CANCELLED] = g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-proposal-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, title_entry);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, readers_button);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, readers_box);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, deadline_choice);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, fair_label);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, page_choice);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, page_expander);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, page_text);
  gtk_widget_class_bind_template_child (widget_class, MerProposalComposer, editor_bin);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, page_changed_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-proposal-composer");

  gtk_widget_class_install_action (widget_class, "composer.publish", NULL, publish_action);
  gtk_widget_class_install_action (widget_class, "composer.close", NULL, close_action);
  gtk_widget_class_install_action (widget_class, "composer.discard", NULL, discard_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "composer.publish", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "composer.close", NULL);
}

static void
mer_proposal_composer_init (MerProposalComposer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * @draft_of: "new:<uuid>" of a saved draft to resume, or NULL for a new
 * proposal from the template.
 */
GtkWidget *
mer_proposal_composer_new (MerStore   *store,
                           const char *draft_of)
{
  MerProposalComposer *self;
  gboolean restored = FALSE;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_PROPOSAL_COMPOSER, NULL);
  self->store = g_object_ref (store);
  if (draft_of != NULL)
    self->draft_of = g_strdup (draft_of);
  else
    {
      g_autofree char *uuid = g_uuid_string_random ();

      self->draft_of = g_strconcat ("new:", uuid, NULL);
    }

  fill_choices (self);
  self->editor = MER_MARKDOWN_EDITOR (mer_markdown_editor_new (store, self->draft_of));
  mer_markdown_editor_set_kind (self->editor, "proposal");
  adw_bin_set_child (self->editor_bin, GTK_WIDGET (self->editor));

  if (draft_of != NULL)
    restored = mer_markdown_editor_restore_draft (self->editor);
  if (restored)
    load_fields (self);
  else
    {
      g_autofree char *template = mer_proposal_template ();

      mer_markdown_editor_set_text (self->editor, template);
    }
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->page_text)), "changed",
                           G_CALLBACK (page_text_changed_cb), self, 0);
  update_labels (self);
  if (!restored)
    sync_fields (self);
  return GTK_WIDGET (self);
}
