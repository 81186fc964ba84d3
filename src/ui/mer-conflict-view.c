/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-conflict-view.h"
#include "mer-json.h"
#include "mer-merge.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <string.h>

/*
 * Resolving a conflict a sync left behind: the winning revision and the
 * first conflicting one side by side, and below them the three-way merge
 * of the two, editable, with the overlapping regions framed by git-style
 * markers and tinted.  Saving writes the merged text on top of the winner
 * and closes the conflicting leaf that was shown, in one transaction.
 */
struct _MerConflictView
{
  GtkWidget        parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkLabel        *heading_label;
  GtkLabel        *explain_label;
  GtkPaned        *sides_paned;
  GtkLabel        *left_label;
  GtkLabel        *right_label;
  GtkSourceView   *left_view;
  GtkSourceView   *right_view;
  GtkSourceView   *merged_view;
  GtkLabel        *regions_label;

  MerStore        *store;
  char            *page_id;
  MerMergePreview *preview;
  guint            layout_id;
  gboolean         narrow;
};

enum
{
  RESOLVED,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MerConflictView, mer_conflict_view, GTK_TYPE_WIDGET)

#define MARKER_START "<<<<<<<"
#define MARKER_MID   "======="
#define MARKER_END   ">>>>>>>"

static const char *
string_or_empty (JsonObject *object,
                 const char *member)
{
  const char *value = object != NULL ? mer_json_get_string (object, member) : NULL;

  return value != NULL ? value : "";
}

/* "Ana, 22 Nov 14:02": who saved a side, and when, on this clock. */
static char *
describe_revision (MerStore   *store,
                   const char *id,
                   const char *rev)
{
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, rev, MER_GET_DEFAULT, NULL);
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *when = NULL;
  const char *who = string_or_empty (doc, "updated_by");
  const char *name = NULL;

  if (*who != '\0')
    person = mer_store_get_doc (store, who, NULL, MER_GET_DEFAULT, NULL);
  name = person != NULL ? mer_json_get_string (person, "name") : NULL;
  if (name == NULL)
    name = *who != '\0' ? who : _("Someone");

  utc = g_date_time_new_from_iso8601 (string_or_empty (doc, "updated_at"), NULL);
  if (utc == NULL)
    return g_strdup (name);
  local = g_date_time_to_local (utc);
  /* Translators: a day and time, see strftime(3) */
  when = g_date_time_format (local, _("%e %b %H:%M"));
  return g_strdup_printf ("%s, %s", name, g_strstrip (when));
}

static void
set_view_text (GtkSourceView *view,
               const char    *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), text != NULL ? text : "", -1);
}

/* Tints every conflict region again: cheap enough to redo on each edit. */
static void
mark_regions (MerConflictView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->merged_view));
  GtkTextIter start, end, line;
  guint regions = 0;
  int state = 0;  /* 0 outside, 1 in the left part, 2 in the right part */
  g_autofree char *label = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag_by_name (buffer, "conflict-left", &start, &end);
  gtk_text_buffer_remove_tag_by_name (buffer, "conflict-right", &start, &end);
  gtk_text_buffer_remove_tag_by_name (buffer, "conflict-marker", &start, &end);

  for (line = start; !gtk_text_iter_is_end (&line);)
    {
      GtkTextIter next = line;
      g_autofree char *text = NULL;

      if (!gtk_text_iter_forward_line (&next))
        next = end;
      text = gtk_text_buffer_get_text (buffer, &line, &next, FALSE);
      if (g_str_has_prefix (text, MARKER_START))
        {
          state = 1;
          regions++;
          gtk_text_buffer_apply_tag_by_name (buffer, "conflict-marker", &line, &next);
        }
      else if (state == 1 && g_str_has_prefix (text, MARKER_MID))
        {
          state = 2;
          gtk_text_buffer_apply_tag_by_name (buffer, "conflict-marker", &line, &next);
        }
      else if (state != 0 && g_str_has_prefix (text, MARKER_END))
        {
          state = 0;
          gtk_text_buffer_apply_tag_by_name (buffer, "conflict-marker", &line, &next);
        }
      else if (state == 1)
        gtk_text_buffer_apply_tag_by_name (buffer, "conflict-left", &line, &next);
      else if (state == 2)
        gtk_text_buffer_apply_tag_by_name (buffer, "conflict-right", &line, &next);
      line = next;
    }

  if (regions == 0)
    label = g_strdup (_("No conflicting regions left"));
  else
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u conflicting region", "%u conflicting regions", regions), regions);
  gtk_label_set_label (self->regions_label, label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.next", regions > 0);
}

guint
mer_conflict_view_count_regions (MerConflictView *self)
{
  g_autofree char *text = NULL;
  guint regions = 0;

  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), 0);

  text = mer_conflict_view_get_merged_text (self);
  for (const char *p = text; p != NULL && *p != '\0';)
    {
      const char *eol = strchr (p, '\n');

      if (g_str_has_prefix (p, MARKER_START))
        regions++;
      p = eol != NULL ? eol + 1 : NULL;
    }
  return regions;
}

/**
 * mer_conflict_view_reload:
 *
 * Reads the page's conflict again.  Returns %FALSE (with @error
 * MER_STORE_ERROR_NOT_FOUND) when there is none left to resolve.
 */
gboolean
mer_conflict_view_reload (MerConflictView  *self,
                          GError          **error)
{
  g_autoptr(JsonObject) winner = NULL;
  g_autoptr(JsonObject) ancestor = NULL;
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;
  g_autofree char *merged = NULL;
  g_autofree char *heading = NULL;
  gboolean clean = FALSE;

  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), FALSE);

  g_clear_pointer (&self->preview, mer_merge_preview_free);
  winner = mer_store_get_doc (self->store, self->page_id, NULL, MER_GET_DEFAULT, NULL);
  heading = g_strdup_printf (_("Conflicting Edits of “%s”"),
                             winner != NULL ? string_or_empty (winner, "title") : self->page_id);
  gtk_label_set_label (self->heading_label, heading);

  self->preview = mer_merge_preview (self->store, self->page_id, error);
  if (self->preview == NULL)
    {
      gtk_label_set_label (self->explain_label, _("This page has no conflicting edits to resolve."));
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.save", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.use-left", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.use-right", FALSE);
      return FALSE;
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.save", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.use-left", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.use-right", TRUE);

  left = describe_revision (self->store, self->page_id, self->preview->winner_rev);
  right = describe_revision (self->store, self->page_id, self->preview->other_rev);
  gtk_label_set_label (self->left_label, left);
  gtk_label_set_label (self->right_label, right);
  set_view_text (self->left_view, self->preview->ours);
  set_view_text (self->right_view, self->preview->theirs);

  /* Merge again with the people's names as the marker labels, which read
   * better than revision ids. */
  if (self->preview->ancestor_rev != NULL)
    ancestor = mer_store_get_doc (self->store, self->page_id, self->preview->ancestor_rev, MER_GET_DEFAULT, NULL);
  merged = mer_merge_text (ancestor != NULL ? string_or_empty (ancestor, "body") : NULL,
                           self->preview->ours, self->preview->theirs, left, right, &clean);
  mer_conflict_view_set_merged_text (self, merged != NULL ? merged : self->preview->merged);

  if (clean)
    gtk_label_set_label (self->explain_label,
                         _("Two people edited this page at the same time on different devices. "
                           "Their edits do not overlap, so the merged text below holds both: check it and save."));
  else
    gtk_label_set_label (self->explain_label,
                         _("Two people edited this page at the same time on different devices, in the same places. "
                           "Pick a version, or edit the merged text below and remove the marked regions, then save."));
  return TRUE;
}

char *
mer_conflict_view_get_merged_text (MerConflictView *self)
{
  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), NULL);

  return mer_ui_text_view_get_text (GTK_TEXT_VIEW (self->merged_view));
}

void
mer_conflict_view_set_merged_text (MerConflictView *self,
                                   const char      *text)
{
  g_return_if_fail (MER_IS_CONFLICT_VIEW (self));
  set_view_text (self->merged_view, text);
}

/* Takes one side whole as the merged text (still editable after). */
void
mer_conflict_view_use_side (MerConflictView *self,
                            gboolean         left)
{
  g_return_if_fail (MER_IS_CONFLICT_VIEW (self));

  if (self->preview == NULL)
    return;
  mer_conflict_view_set_merged_text (self, left ? self->preview->ours : self->preview->theirs);
}

/**
 * mer_conflict_view_save:
 *
 * Writes the merged text as a new revision on top of the winner, stamped
 * with who resolved it and when, and closes the conflicting leaf that was
 * shown.  Refuses while conflict markers remain.  A page with more than
 * one conflicting leaf shows the next one after this.
 */
gboolean
mer_conflict_view_save (MerConflictView  *self,
                        GError          **error)
{
  g_autofree char *text = NULL;
  g_autofree char *who = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *tombstone = NULL;
  g_autoptr(JsonObject) winner = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  guint regions;

  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), FALSE);

  if (self->preview == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND, _("There is no conflict to resolve"));
      return FALSE;
    }
  regions = mer_conflict_view_count_regions (self);
  if (regions > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The merged text still has %u conflicting region: pick a version or remove its markers",
                                "The merged text still has %u conflicting regions: pick a version or remove their markers",
                                regions), regions);
      return FALSE;
    }
  text = mer_conflict_view_get_merged_text (self);

  if (!mer_store_begin (self->store, error))
    return FALSE;
  winner = mer_store_get_doc (self->store, self->page_id, self->preview->winner_rev, MER_GET_DEFAULT, error);
  if (winner == NULL)
    goto fail;
  json_object_set_string_member (winner, "body", text);
  json_object_set_string_member (winner, "updated_at", when);
  who = mer_schedule_get_me (self->store);
  if (who != NULL)
    json_object_set_string_member (winner, "updated_by", who);
  rev = mer_store_put_doc (self->store, winner, error);
  if (rev == NULL)
    goto fail;
  tombstone = mer_store_delete_doc (self->store, self->page_id, self->preview->other_rev, error);
  if (tombstone == NULL || !mer_store_commit (self->store, error))
    goto fail;
  return TRUE;

fail:
  mer_store_rollback (self->store);
  g_prefix_error (error, _("Could not save the resolution: "));
  return FALSE;
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MerConflictView *self = MER_CONFLICT_VIEW (widget);
  g_autoptr(GError) error = NULL;

  if (!mer_conflict_view_save (self, &error))
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  g_signal_emit (self, signals[RESOLVED], 0, self->page_id);

  /* Another conflicting leaf may remain: show it rather than close. */
  if (mer_conflict_view_reload (self, NULL))
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("Resolved; another conflicting edit remains")));
      return;
    }
  g_signal_emit (self, signals[CLOSED], 0, self->page_id);
}

static void
use_side_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  mer_conflict_view_use_side (MER_CONFLICT_VIEW (widget), g_str_equal (action_name, "conflict.use-left"));
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MerConflictView *self = MER_CONFLICT_VIEW (widget);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->merged_view));
  GtkTextIter cursor, match, match_end;

  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  gtk_text_iter_forward_char (&cursor);
  if (!gtk_text_iter_forward_search (&cursor, MARKER_START, 0, &match, &match_end, NULL))
    {
      gtk_text_buffer_get_start_iter (buffer, &cursor);
      if (!gtk_text_iter_forward_search (&cursor, MARKER_START, 0, &match, &match_end, NULL))
        return;
    }
  gtk_text_buffer_place_cursor (buffer, &match);
  gtk_text_view_scroll_to_iter (GTK_TEXT_VIEW (self->merged_view), &match, 0.1, TRUE, 0, 0.2);
  gtk_widget_grab_focus (GTK_WIDGET (self->merged_view));
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MerConflictView *self = MER_CONFLICT_VIEW (widget);

  g_signal_emit (self, signals[CLOSED], 0, self->page_id);
}

static void
update_schemes (MerConflictView *self)
{
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkSourceStyleScheme *scheme = gtk_source_style_scheme_manager_get_scheme (schemes, dark ? "Adwaita-dark" : "Adwaita");
  GtkSourceView *views[] = { self->left_view, self->right_view, self->merged_view };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (views[i]))), scheme);
}

static gboolean
layout_idle_cb (gpointer user_data)
{
  MerConflictView *self = user_data;

  self->layout_id = 0;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->sides_paned),
                                  self->narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  return G_SOURCE_REMOVE;
}

/* On a narrow window the two sides stack instead of sitting side by side. */
/* No layout manager: a layout manager would take the allocation away
 * from size_allocate(), which watches the width. */
static GtkSizeRequestMode
mer_conflict_view_get_request_mode (GtkWidget *widget)
{
  MerConflictView *self = MER_CONFLICT_VIEW (widget);

  return gtk_widget_get_request_mode (GTK_WIDGET (self->toast_overlay));
}

static void
mer_conflict_view_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  MerConflictView *self = MER_CONFLICT_VIEW (widget);

  gtk_widget_measure (GTK_WIDGET (self->toast_overlay), orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
mer_conflict_view_size_allocate (GtkWidget *widget,
                                 int        width,
                                 int        height,
                                 int        baseline)
{
  MerConflictView *self = MER_CONFLICT_VIEW (widget);
  gboolean narrow = width < 600;

  gtk_widget_allocate (GTK_WIDGET (self->toast_overlay), width, height, baseline, NULL);
  if (narrow != self->narrow && self->layout_id == 0)
    {
      self->narrow = narrow;
      self->layout_id = g_idle_add (layout_idle_cb, self);
    }
}

static void
mer_conflict_view_dispose (GObject *object)
{
  MerConflictView *self = MER_CONFLICT_VIEW (object);

  g_clear_handle_id (&self->layout_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_CONFLICT_VIEW);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_conflict_view_parent_class)->dispose (object);
}

static void
mer_conflict_view_finalize (GObject *object)
{
  MerConflictView *self = MER_CONFLICT_VIEW (object);

  g_free (self->page_id);
  g_clear_pointer (&self->preview, mer_merge_preview_free);

  G_OBJECT_CLASS (mer_conflict_view_parent_class)->finalize (object);
}

static void
mer_conflict_view_class_init (MerConflictViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_conflict_view_dispose;
  object_class->finalize = mer_conflict_view_finalize;
  widget_class->get_request_mode = mer_conflict_view_get_request_mode;
  widget_class->measure = mer_conflict_view_measure;
  widget_class->size_allocate = mer_conflict_view_size_allocate;

  /* A resolution was written (the page id). */
  signals[RESOLVED] = g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The person is done: show this page again. */
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-conflict-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, heading_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, explain_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, sides_paned);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, left_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, right_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, left_view);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, right_view);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, merged_view);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, regions_label);

  gtk_widget_class_install_action (widget_class, "conflict.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "conflict.use-left", NULL, use_side_action);
  gtk_widget_class_install_action (widget_class, "conflict.use-right", NULL, use_side_action);
  gtk_widget_class_install_action (widget_class, "conflict.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "conflict.close", NULL, close_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "conflict.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK, "conflict.use-left", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_CONTROL_MASK, "conflict.use-right", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "conflict.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "conflict.close", NULL);

  gtk_widget_class_set_css_name (widget_class, "mer-conflict-view");
}

static void
mer_conflict_view_init (MerConflictView *self)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceLanguage *markdown = gtk_source_language_manager_get_language (languages, "markdown");
  GtkTextBuffer *merged;
  GtkSourceView *views[3];

  gtk_widget_init_template (GTK_WIDGET (self));

  views[0] = self->left_view;
  views[1] = self->right_view;
  views[2] = self->merged_view;
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (views[i]))), markdown);
  update_schemes (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_schemes), self, G_CONNECT_SWAPPED);

  /* Translucent tints read in both the light and the dark style. */
  merged = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->merged_view));
  gtk_text_buffer_create_tag (merged, "conflict-left", "paragraph-background", "rgba(53,132,228,0.18)", NULL);
  gtk_text_buffer_create_tag (merged, "conflict-right", "paragraph-background", "rgba(229,165,10,0.22)", NULL);
  gtk_text_buffer_create_tag (merged, "conflict-marker",
                              "paragraph-background", "rgba(224,27,36,0.28)",
                              "weight", PANGO_WEIGHT_BOLD, NULL);
  g_signal_connect_swapped (merged, "changed", G_CALLBACK (mark_regions), self);
}

/**
 * mer_conflict_view_new:
 * @page_id: a page with a conflict (mer_store_get_conflicts() not empty)
 *
 * Returns: (transfer floating): the view resolving the page's conflict.
 */
GtkWidget *
mer_conflict_view_new (MerStore   *store,
                       const char *page_id)
{
  MerConflictView *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (page_id != NULL, NULL);

  self = g_object_new (MER_TYPE_CONFLICT_VIEW, NULL);
  self->store = g_object_ref (store);
  self->page_id = g_strdup (page_id);
  if (!mer_conflict_view_reload (self, &error) &&
      !g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    g_warning ("Could not read the conflict of %s: %s", page_id, error->message);
  return GTK_WIDGET (self);
}

const char *
mer_conflict_view_get_page_id (MerConflictView *self)
{
  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), NULL);
  return self->page_id;
}
