/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-conflict-view.h"
#include "mer-conflict-region.h"
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
 * of the two.  The merge is shown as the text that merged cleanly,
 * editable, with each region both sides changed as a block of its own
 * (MerConflictRegion): both sides, and keep mine, keep theirs, keep both
 * or edit.  Saving is refused while a region is open; it writes the merged
 * text on top of the winner and closes the conflicting leaf that was
 * shown, in one transaction.
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
  GtkScrolledWindow *merged_scroller;
  GtkBox          *segments_box;   /* text views and MerConflictRegions, in page order */
  GtkLabel        *regions_label;
  GtkScrolledWindow *left_scroller;
  GtkScrolledWindow *right_scroller;

  MerStore        *store;
  char            *page_id;
  MerMergePreview *preview;
  gboolean         ours_is_mine;   /* the winner is mine, as far as is known */
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
#define MARKER_BASE  "|||||||"
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

/* The page's open regions, and the first of them after @after (or the
 * first at all when @after is NULL or the last). */
static guint
open_regions (MerConflictView    *self,
              GtkWidget          *after,
              MerConflictRegion **next)
{
  MerConflictRegion *first = NULL;
  gboolean passed = after == NULL;
  guint open = 0;

  if (next != NULL)
    *next = NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->segments_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (child == after)
        passed = TRUE;
      if (!MER_IS_CONFLICT_REGION (child)
          || mer_conflict_region_get_choice (MER_CONFLICT_REGION (child)) != MER_CONFLICT_OPEN)
        continue;
      open++;
      if (first == NULL)
        first = MER_CONFLICT_REGION (child);
      if (passed && child != after && next != NULL && *next == NULL)
        *next = MER_CONFLICT_REGION (child);
    }
  if (next != NULL && *next == NULL)
    *next = first;
  return open;
}

/* Says how many regions are still open: cheap enough to redo on each edit. */
static void
update_status (MerConflictView *self)
{
  guint open = open_regions (self, NULL, NULL);
  g_autofree char *label = NULL;

  if (open == 0)
    label = g_strdup (_("No conflicting edits left"));
  else
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u conflicting edit to settle",
                                          "%u conflicting edits to settle", open),
                             open);
  gtk_label_set_label (self->regions_label, label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conflict.next", open > 0);
}

static void
set_scheme (GtkSourceView *view)
{
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));

  gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (buffer),
                                      gtk_source_style_scheme_manager_get_scheme (schemes, dark ? "Adwaita-dark" : "Adwaita"));
}

/* Text that merged cleanly: editable, as tall as its lines (the merged
 * area scrolls as one). */
static void
append_text_segment (MerConflictView *self,
                     const char      *text)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkWidget *view = gtk_source_view_new ();
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));

  gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (buffer),
                                  gtk_source_language_manager_get_language (languages, "markdown"));
  set_scheme (GTK_SOURCE_VIEW (view));
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 4);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 4);
  gtk_text_buffer_set_text (buffer, text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Merged text"), -1);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (update_status), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->segments_box, view);
}

static void
append_region (MerConflictView *self,
               guint            number,
               const char      *ours,
               const char      *theirs,
               const char      *our_label,
               const char      *their_label)
{
  GtkWidget *region = mer_conflict_region_new (number, ours, theirs, our_label, their_label,
                                               self->ours_is_mine);

  mer_conflict_region_set_narrow (MER_CONFLICT_REGION (region), self->narrow);
  g_signal_connect_object (region, "changed", G_CALLBACK (update_status), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->segments_box, region);
}

/*
 * Shows @text, the merged text with git's markers around the regions both
 * sides changed, as editable text with a block for each region.  A region
 * whose markers are not closed stays text, so that nothing is hidden.
 */
static void
show_segments (MerConflictView *self,
               const char      *text)
{
  g_autoptr(GString) plain = g_string_new (NULL);
  g_autoptr(GString) ours = g_string_new (NULL);
  g_autoptr(GString) theirs = g_string_new (NULL);
  g_autoptr(GString) raw = g_string_new (NULL); /* the region as written, if unclosed */
  g_autofree char *our_label = NULL;
  GtkWidget *child;
  guint number = 0;
  int state = 0; /* 0 outside, 1 in ours, 2 in the base, 3 in theirs */

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->segments_box))) != NULL)
    gtk_box_remove (self->segments_box, child);

  for (const char *p = text != NULL ? text : ""; *p != '\0';)
    {
      const char *eol = strchr (p, '\n');
      gsize len = eol != NULL ? (gsize) (eol - p) + 1 : strlen (p);
      g_autofree char *line = g_strndup (p, len);

      p += len;
      if (state == 0 && g_str_has_prefix (line, MARKER_START))
        {
          state = 1;
          g_string_truncate (ours, 0);
          g_string_truncate (theirs, 0);
          g_string_assign (raw, line);
          g_free (our_label);
          our_label = g_strstrip (g_strdup (line + strlen (MARKER_START)));
          continue;
        }
      if (state == 0)
        {
          g_string_append (plain, line);
          continue;
        }
      g_string_append (raw, line);
      if (state == 1 && g_str_has_prefix (line, MARKER_BASE))
        state = 2;
      else if ((state == 1 || state == 2) && g_str_has_prefix (line, MARKER_MID))
        state = 3;
      else if (state == 3 && g_str_has_prefix (line, MARKER_END))
        {
          g_autofree char *their_label = g_strstrip (g_strdup (line + strlen (MARKER_END)));

          if (plain->len > 0)
            append_text_segment (self, plain->str);
          g_string_truncate (plain, 0);
          append_region (self, ++number, ours->str, theirs->str, our_label, their_label);
          state = 0;
        }
      else if (state == 1)
        g_string_append (ours, line);
      else if (state == 3)
        g_string_append (theirs, line);
    }
  if (state != 0)
    g_string_append (plain, raw->str);
  if (plain->len > 0 || gtk_widget_get_first_child (GTK_WIDGET (self->segments_box)) == NULL)
    append_text_segment (self, plain->str);
  update_status (self);
}

/*
 * The @index-th region both sides changed (from 0), open or settled, or
 * NULL when there are fewer.
 */
GtkWidget *
mer_conflict_view_get_region (MerConflictView *self,
                              guint            index)
{
  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->segments_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (MER_IS_CONFLICT_REGION (child) && index-- == 0)
      return child;
  return NULL;
}

/*
 * How many regions are still open: a block not yet settled, or markers
 * typed or left in the text by hand.  Saving is refused until none is.
 */
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

/*
 * Which side is "mine": the winner, unless only the other side was saved
 * by the person using this replica.  When neither side (or both) is theirs,
 * as when two devices of one person or two other people conflicted, the
 * winner, the version the reader shows, is "mine".
 */
static gboolean
ours_is_mine (MerConflictView *self)
{
  g_autofree char *me = mer_schedule_get_me (self->store);
  g_autoptr(JsonObject) ours = NULL;
  g_autoptr(JsonObject) theirs = NULL;

  if (me == NULL)
    return TRUE;
  ours = mer_store_get_doc (self->store, self->page_id, self->preview->winner_rev, MER_GET_DEFAULT, NULL);
  theirs = mer_store_get_doc (self->store, self->page_id, self->preview->other_rev, MER_GET_DEFAULT, NULL);
  return !(g_strcmp0 (string_or_empty (theirs, "updated_by"), me) == 0
           && g_strcmp0 (string_or_empty (ours, "updated_by"), me) != 0);
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

  self->ours_is_mine = ours_is_mine (self);

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
                           "For each conflicting edit below keep one side, both, or write it yourself, then save."));
  return TRUE;
}

/*
 * The merged text as it stands: the text segments as edited, settled
 * regions as settled, and each open region between git's markers.
 */
char *
mer_conflict_view_get_merged_text (MerConflictView *self)
{
  GString *text;

  g_return_val_if_fail (MER_IS_CONFLICT_VIEW (self), NULL);

  text = g_string_new (NULL);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->segments_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      g_autofree char *part = NULL;

      if (MER_IS_CONFLICT_REGION (child))
        part = mer_conflict_region_get_text (MER_CONFLICT_REGION (child));
      else
        part = mer_ui_text_view_get_text (GTK_TEXT_VIEW (child));
      /* A block starts on a line of its own. */
      if (text->len > 0 && text->str[text->len - 1] != '\n' && *part != '\0')
        g_string_append_c (text, '\n');
      g_string_append (text, part);
    }
  return g_string_free (text, FALSE);
}

void
mer_conflict_view_set_merged_text (MerConflictView *self,
                                   const char      *text)
{
  g_return_if_fail (MER_IS_CONFLICT_VIEW (self));
  show_segments (self, text);
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
                                "%u conflicting edit is still open: keep a side, both, or edit it before saving",
                                "%u conflicting edits are still open: keep a side, both, or edit them before saving",
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
      MerConflictRegion *first = NULL;

      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      /* Show the person what is in the way. */
      open_regions (self, NULL, &first);
      if (first != NULL)
        gtk_widget_child_focus (GTK_WIDGET (first), GTK_DIR_TAB_FORWARD);
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

/* Brings the next open region into view and puts the keyboard on it. */
static void
focus_next_region (MerConflictView *self)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));
  GtkWidget *after = NULL;
  MerConflictRegion *next = NULL;

  /* The region the keyboard is in, if it is in one. */
  if (focus != NULL)
    after = gtk_widget_get_ancestor (focus, MER_TYPE_CONFLICT_REGION);
  open_regions (self, after, &next);
  if (next != NULL)
    gtk_widget_child_focus (GTK_WIDGET (next), GTK_DIR_TAB_FORWARD);
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  focus_next_region (MER_CONFLICT_VIEW (widget));
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
  GtkSourceView *views[] = { self->left_view, self->right_view };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (views[i]))), scheme);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->segments_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_SOURCE_IS_VIEW (child))
      set_scheme (GTK_SOURCE_VIEW (child));
}

static gboolean
layout_idle_cb (gpointer user_data)
{
  MerConflictView *self = user_data;

  self->layout_id = 0;
  /* The merged text is where the work is: the whole versions above it,
   * a reference, take no more than their text needs, up to a limit. */
  gtk_scrolled_window_set_max_content_height (self->left_scroller, self->narrow ? 100 : 240);
  gtk_scrolled_window_set_max_content_height (self->right_scroller, self->narrow ? 100 : 240);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->sides_paned),
                                  self->narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->segments_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (MER_IS_CONFLICT_REGION (child))
      mer_conflict_region_set_narrow (MER_CONFLICT_REGION (child), self->narrow);
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
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, merged_scroller);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, segments_box);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, regions_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, left_scroller);
  gtk_widget_class_bind_template_child (widget_class, MerConflictView, right_scroller);

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
  GtkSourceView *views[2];

  gtk_widget_init_template (GTK_WIDGET (self));

  views[0] = self->left_view;
  views[1] = self->right_view;
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (views[i]))), markdown);
  update_schemes (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_schemes), self, G_CONNECT_SWAPPED);
  show_segments (self, "");
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
