/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-history-view.h"
#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <git2.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every kept revision of a page, newest first, with who saved it and
 * when; a line diff between the selected revision and any other; and
 * restoring an old revision as a new edit on top of the current one.
 */
struct _MerHistoryView
{
  GtkWidget        parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkLabel        *heading_label;
  GtkWidget       *restore_button;
  GtkListBox      *list_box;
  GtkDropDown     *compare_dropdown;
  GtkLabel        *summary_label;
  GtkSourceView   *diff_view;

  MerStore        *store;
  char            *page_id;
  GPtrArray       *revisions;     /* JsonObject, newest first */
  GHashTable      *names;         /* person id -> name */
  char            *old_rev;       /* compared revision, NULL = empty page */
  char            *new_rev;       /* selected revision */
  gboolean         updating;      /* setting selections: not a choice */
};

enum
{
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MerHistoryView, mer_history_view, GTK_TYPE_WIDGET)

typedef struct
{
  GString  *out;
  guint     added;
  guint     removed;
  gboolean  fields;       /* the texts start with FIELD_LINES of fields */
  gsize     header_at;    /* where the current hunk's header goes */
  gboolean  need_header;  /* no changed line of the hunk seen yet */
} DiffPayload;

/* Lines of the field header comparable_text() puts above the body. */
#define FIELD_LINES 5

static int
diff_hunk_cb (const git_diff_delta *delta,
              const git_diff_hunk  *hunk,
              void                 *user_data)
{
  DiffPayload *payload = user_data;

  /* The header waits for the hunk's first changed line, to name it. */
  payload->header_at = payload->out->len;
  payload->need_header = TRUE;
  return 0;
}

/* "@@ Around line 12 @@": the "@@" is what the diff highlighting knows,
 * the words are for people (git's "-5,7 +5,8" is not). */
static void
insert_header (DiffPayload *payload,
               int          line)
{
  g_autofree char *where = NULL;
  g_autofree char *header = NULL;

  if (payload->fields)
    line -= FIELD_LINES;
  if (payload->fields && line <= 0)
    where = g_strdup (_("Fields"));
  else
    where = g_strdup_printf (_("Around line %d"), MAX (line, 1));
  header = g_strdup_printf ("@@ %s @@\n", where);
  g_string_insert (payload->out, payload->header_at, header);
  payload->need_header = FALSE;
}

static int
diff_line_cb (const git_diff_delta *delta,
              const git_diff_hunk  *hunk,
              const git_diff_line  *line,
              void                 *user_data)
{
  DiffPayload *payload = user_data;

  switch (line->origin)
    {
    case GIT_DIFF_LINE_ADDITION:
      payload->added++;
      if (payload->need_header)
        insert_header (payload, line->new_lineno);
      break;
    case GIT_DIFF_LINE_DELETION:
      payload->removed++;
      if (payload->need_header)
        insert_header (payload, line->old_lineno);
      break;
    case GIT_DIFF_LINE_CONTEXT:
      break;
    default:
      /* "No newline at end of file" notes: not worth a reader's time. */
      return 0;
    }
  g_string_append_c (payload->out, line->origin);
  g_string_append_len (payload->out, line->content, line->content_len);
  if (line->content_len == 0 || line->content[line->content_len - 1] != '\n')
    g_string_append_c (payload->out, '\n');
  return 0;
}

static char *
diff_texts (const char *old_text,
            const char *new_text,
            gboolean    fields,
            guint      *added,
            guint      *removed)
{
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  DiffPayload payload = { g_string_new (NULL), 0, 0, fields, 0, FALSE };
  g_autofree char *old_line = g_strconcat (old_text != NULL ? old_text : "", "\n", NULL);
  g_autofree char *new_line = g_strconcat (new_text != NULL ? new_text : "", "\n", NULL);
  int rc;

  git_libgit2_init ();
  options.context_lines = 3;
  options.flags = GIT_DIFF_FORCE_TEXT;
  /* The extra newline keeps a changed last line from reading as a
   * missing newline. */
  rc = git_diff_buffers (old_line, strlen (old_line), "a", new_line, strlen (new_line), "b",
                         &options, NULL, NULL, diff_hunk_cb, diff_line_cb, &payload);
  if (rc < 0)
    {
      const git_error *error = git_error_last ();

      g_warning ("Could not compare the revisions: %s", error != NULL ? error->message : "unknown error");
    }
  git_libgit2_shutdown ();

  if (added != NULL)
    *added = payload.added;
  if (removed != NULL)
    *removed = payload.removed;
  return g_string_free (payload.out, FALSE);
}

/**
 * mer_history_diff_text:
 * @added: (out) (optional): number of added lines
 * @removed: (out) (optional): number of removed lines
 *
 * Returns: a unified diff ("@@ Around line N @@" hunk headers, then lines
 *   starting with "+", "-" or " ") from @old_text to @new_text, with three
 *   lines of context; empty when the texts are the same.
 */
char *
mer_history_diff_text (const char *old_text,
                       const char *new_text,
                       guint      *added,
                       guint      *removed)
{
  return diff_texts (old_text, new_text, FALSE, added, removed);
}

static const char *
string_or_empty (JsonObject *object,
                 const char *member)
{
  const char *value = object != NULL ? mer_json_get_string (object, member) : NULL;

  return value != NULL ? value : "";
}

static const char *
person_name (MerHistoryView *self,
             const char     *person_id)
{
  const char *name;

  if (person_id == NULL || *person_id == '\0')
    return _("Someone");
  name = g_hash_table_lookup (self->names, person_id);
  return name != NULL ? name : person_id;
}

static char *
format_time (const char *rfc3339)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (rfc3339 == NULL)
    return g_strdup (_("unknown time"));
  utc = g_date_time_new_from_iso8601 (rfc3339, NULL);
  if (utc == NULL)
    return g_strdup (rfc3339);
  local = g_date_time_to_local (utc);
  /* Translators: date and time of a revision, see strftime(3) */
  return g_date_time_format (local, _("%e %b %Y, %H:%M"));
}

/* The text a person compares: the fields they can edit, then the body. */
static char *
comparable_text (MerHistoryView *self,
                 JsonObject     *doc)
{
  const char *owner = mer_json_get_string (doc, "owner");

  if (doc == NULL)
    return g_strdup ("");
  if (mer_json_get_bool (doc, "_deleted"))
    return g_strdup (_("(deleted)"));
  return g_strdup_printf ("%s: %s\n%s: %s\n%s: %s\n%s: %s\n\n%s",
                          _("Title"), string_or_empty (doc, "title"),
                          _("Path"), string_or_empty (doc, "path"),
                          _("Owner"), owner != NULL ? person_name (self, owner) : _("none"),
                          _("Review by"), mer_json_get_string (doc, "review_by") != NULL ? mer_json_get_string (doc, "review_by") : _("none"),
                          string_or_empty (doc, "body"));
}

static JsonObject *
attachments_of (JsonObject *doc)
{
  JsonNode *node = doc != NULL ? json_object_get_member (doc, "_attachments") : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
same_attachment (JsonObject *a,
                 JsonObject *b)
{
  return g_strcmp0 (json_object_get_string_member_with_default (a, "digest", NULL),
                    json_object_get_string_member_with_default (b, "digest", NULL)) == 0;
}

static void
append_names (GString    *out,
              const char *format,
              GPtrArray  *names)
{
  g_autofree char *joined = NULL;

  if (names->len == 0)
    return;
  g_ptr_array_add (names, NULL);
  joined = g_strjoinv (", ", (char **) names->pdata);
  g_ptr_array_remove_index (names, names->len - 1);
  if (out->len > 0)
    g_string_append (out, "; ");
  g_string_append_printf (out, format, joined);
}

/*
 * What @newer did to the attachments of @older (NULL: an empty page):
 * "Added chart.png; removed q3.pdf; replaced logo.svg", or NULL when
 * both carry the same files.  An attachment is the same when its digest
 * is, whatever revision stored it.
 */
static char *
attachment_changes (JsonObject *older,
                    JsonObject *newer)
{
  JsonObject *old_atts = attachments_of (older);
  JsonObject *new_atts = attachments_of (newer);
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  g_autoptr(GPtrArray) removed = g_ptr_array_new ();
  g_autoptr(GPtrArray) replaced = g_ptr_array_new ();
  g_autoptr(GList) new_names = new_atts != NULL ? json_object_get_members (new_atts) : NULL;
  g_autoptr(GList) old_names = old_atts != NULL ? json_object_get_members (old_atts) : NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  for (GList *l = new_names; l != NULL; l = l->next)
    {
      JsonNode *old_node = old_atts != NULL ? json_object_get_member (old_atts, l->data) : NULL;
      JsonNode *new_node = json_object_get_member (new_atts, l->data);

      if (old_node == NULL || !JSON_NODE_HOLDS_OBJECT (old_node))
        g_ptr_array_add (added, l->data);
      else if (JSON_NODE_HOLDS_OBJECT (new_node)
               && !same_attachment (json_node_get_object (old_node), json_node_get_object (new_node)))
        g_ptr_array_add (replaced, l->data);
    }
  for (GList *l = old_names; l != NULL; l = l->next)
    if (new_atts == NULL || !json_object_has_member (new_atts, l->data))
      g_ptr_array_add (removed, l->data);

  /* Translators: %s is a list of file names attached to a page. */
  append_names (out, _("Added %s"), added);
  /* Translators: %s is a list of file names no longer attached to a page. */
  append_names (out, out->len > 0 ? _("removed %s") : _("Removed %s"), removed);
  /* Translators: %s is a list of file names whose contents changed. */
  append_names (out, out->len > 0 ? _("replaced %s") : _("Replaced %s"), replaced);
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

static int
revision_index (MerHistoryView *self,
                const char     *rev)
{
  for (guint i = 0; rev != NULL && i < self->revisions->len; i++)
    if (g_strcmp0 (mer_json_get_string (g_ptr_array_index (self->revisions, i), "_rev"), rev) == 0)
      return i;
  return -1;
}

static char *
revision_label (MerHistoryView *self,
                JsonObject     *doc)
{
  g_autofree char *when = format_time (mer_json_get_string (doc, "updated_at"));

  if (mer_json_get_bool (doc, "_deleted"))
    return g_strdup_printf (_("Revision %d, deleted"), atoi (string_or_empty (doc, "_rev")));
  return g_strdup_printf (_("Revision %d by %s, %s"), atoi (string_or_empty (doc, "_rev")),
                          person_name (self, mer_json_get_string (doc, "updated_by")), g_strstrip (when));
}

typedef struct
{
  int start;   /* character offset in the line */
  int end;
  char *text;
} Token;

static void
token_clear (gpointer data)
{
  g_free (((Token *) data)->text);
}

/* Words and the spaces between them, with their character offsets. */
static GArray *
tokenize (const char *line)
{
  GArray *tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  const char *p = line;
  int offset = 0;

  g_array_set_clear_func (tokens, token_clear);
  while (*p != '\0')
    {
      gboolean space = g_unichar_isspace (g_utf8_get_char (p));
      const char *start = p;
      Token token = { offset, offset, NULL };

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)) == space)
        {
          p = g_utf8_next_char (p);
          offset++;
        }
      token.end = offset;
      token.text = g_strndup (start, p - start);
      g_array_append_val (tokens, token);
    }
  return tokens;
}

/* Tints the words that differ between a removed line and the added line
 * that replaced it (a longest common subsequence of their words), so a
 * changed word in a long paragraph stands out. */
static void
mark_changed_words (GtkTextBuffer *buffer,
                    int            old_line,
                    int            new_line)
{
  GtkTextIter start, end;
  g_autofree char *old_text = NULL;
  g_autofree char *new_text = NULL;
  g_autoptr(GArray) a = NULL;
  g_autoptr(GArray) b = NULL;
  g_autofree guint16 *lcs = NULL;
  guint n, m, i, j;

  gtk_text_buffer_get_iter_at_line_offset (buffer, &start, old_line, 1);
  end = start;
  gtk_text_iter_forward_to_line_end (&end);
  old_text = gtk_text_iter_get_text (&start, &end);
  gtk_text_buffer_get_iter_at_line_offset (buffer, &start, new_line, 1);
  end = start;
  gtk_text_iter_forward_to_line_end (&end);
  new_text = gtk_text_iter_get_text (&start, &end);

  a = tokenize (old_text);
  b = tokenize (new_text);
  n = a->len;
  m = b->len;
  if (n == 0 || m == 0 || n > 2000 || m > 2000)
    return;

  /* lcs[i][j]: common words of a[i..] and b[j..]. */
  lcs = g_new0 (guint16, (n + 1) * (m + 1));
  for (i = n; i-- > 0;)
    for (j = m; j-- > 0;)
      {
        if (g_str_equal (g_array_index (a, Token, i).text, g_array_index (b, Token, j).text))
          lcs[i * (m + 1) + j] = lcs[(i + 1) * (m + 1) + j + 1] + 1;
        else
          lcs[i * (m + 1) + j] = MAX (lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }

  for (i = 0, j = 0; i < n || j < m;)
    {
      Token *ta = i < n ? &g_array_index (a, Token, i) : NULL;
      Token *tb = j < m ? &g_array_index (b, Token, j) : NULL;

      if (ta != NULL && tb != NULL && g_str_equal (ta->text, tb->text))
        {
          i++;
          j++;
        }
      else if (tb == NULL || (ta != NULL && lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]))
        {
          gtk_text_buffer_get_iter_at_line_offset (buffer, &start, old_line, 1 + ta->start);
          gtk_text_buffer_get_iter_at_line_offset (buffer, &end, old_line, 1 + ta->end);
          gtk_text_buffer_apply_tag_by_name (buffer, "word-removed", &start, &end);
          i++;
        }
      else
        {
          gtk_text_buffer_get_iter_at_line_offset (buffer, &start, new_line, 1 + tb->start);
          gtk_text_buffer_get_iter_at_line_offset (buffer, &end, new_line, 1 + tb->end);
          gtk_text_buffer_apply_tag_by_name (buffer, "word-added", &start, &end);
          j++;
        }
    }
}

/* Pairs each run of removed lines with the run of added lines right after
 * it, line by line, and marks the changed words of each pair. */
static void
mark_word_changes (GtkTextBuffer *buffer)
{
  int lines = gtk_text_buffer_get_line_count (buffer);
  int line = 0;

  while (line < lines)
    {
      GtkTextIter iter;
      int removed_start, added_start, removed = 0, added = 0;

      gtk_text_buffer_get_iter_at_line (buffer, &iter, line);
      if (gtk_text_iter_get_char (&iter) != '-')
        {
          line++;
          continue;
        }
      removed_start = line;
      while (line < lines)
        {
          gtk_text_buffer_get_iter_at_line (buffer, &iter, line);
          if (gtk_text_iter_get_char (&iter) != '-')
            break;
          removed++;
          line++;
        }
      added_start = line;
      while (line < lines)
        {
          gtk_text_buffer_get_iter_at_line (buffer, &iter, line);
          if (gtk_text_iter_get_char (&iter) != '+')
            break;
          added++;
          line++;
        }
      for (int k = 0; k < MIN (removed, added); k++)
        mark_changed_words (buffer, removed_start + k, added_start + k);
    }
}

static void
show_diff (MerHistoryView *self)
{
  int old_index = revision_index (self, self->old_rev);
  int new_index = revision_index (self, self->new_rev);
  g_autofree char *old_text = NULL;
  g_autofree char *new_text = NULL;
  g_autofree char *diff = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *attachments = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->diff_view));
  guint added = 0, removed = 0;

  if (new_index < 0)
    {
      gtk_text_buffer_set_text (buffer, "", -1);
      gtk_label_set_label (self->summary_label, "");
      return;
    }
  old_text = comparable_text (self, old_index >= 0 ? g_ptr_array_index (self->revisions, old_index) : NULL);
  new_text = comparable_text (self, g_ptr_array_index (self->revisions, new_index));
  diff = diff_texts (old_text, new_text, TRUE, &added, &removed);
  attachments = attachment_changes (old_index >= 0 ? g_ptr_array_index (self->revisions, old_index) : NULL,
                                    g_ptr_array_index (self->revisions, new_index));
  if (*diff == '\0')
    {
      g_free (diff);
      diff = g_strdup (attachments != NULL ? _("No differences in the text; only attached files changed.")
                                           : _("No differences."));
    }
  gtk_text_buffer_set_text (buffer, diff, -1);
  mark_word_changes (buffer);
  if (attachments != NULL)
    /* Translators: lines added and removed, then what changed in the attached files */
    summary = g_strdup_printf (_("+%u −%u · %s"), added, removed, attachments);
  else
    /* Translators: lines added and removed */
    summary = g_strdup_printf (_("+%u −%u"), added, removed);
  gtk_label_set_label (self->summary_label, summary);

  /* Restoring the current revision would change nothing. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.restore",
                                 new_index > 0 && !mer_json_get_bool (g_ptr_array_index (self->revisions, new_index), "_deleted"));
}

static void
set_compare (MerHistoryView *self,
             const char     *old_rev)
{
  int index = revision_index (self, old_rev);

  g_free (self->old_rev);
  self->old_rev = g_strdup (old_rev);
  self->updating = TRUE;
  /* The dropdown lists every revision, then "Empty page" last. */
  gtk_drop_down_set_selected (self->compare_dropdown, index >= 0 ? (guint) index : self->revisions->len);
  self->updating = FALSE;
}

static void
row_selected_cb (GtkListBox     *list_box,
                 GtkListBoxRow  *row,
                 MerHistoryView *self)
{
  int index;
  JsonObject *older;

  if (self->updating || row == NULL)
    return;
  index = gtk_list_box_row_get_index (row);
  g_free (self->new_rev);
  self->new_rev = g_strdup (mer_json_get_string (g_ptr_array_index (self->revisions, index), "_rev"));
  older = (guint) index + 1 < self->revisions->len ? g_ptr_array_index (self->revisions, index + 1) : NULL;
  set_compare (self, older != NULL ? mer_json_get_string (older, "_rev") : NULL);
  show_diff (self);
}

static void
compare_selected_cb (GtkDropDown    *dropdown,
                     GParamSpec     *pspec,
                     MerHistoryView *self)
{
  guint position = gtk_drop_down_get_selected (dropdown);

  if (self->updating || position == GTK_INVALID_LIST_POSITION)
    return;
  g_free (self->old_rev);
  self->old_rev = position < self->revisions->len
                  ? g_strdup (mer_json_get_string (g_ptr_array_index (self->revisions, position), "_rev"))
                  : NULL;
  show_diff (self);
}

static void
load_names (MerHistoryView *self)
{
  g_autoptr(JsonArray) people = mer_store_list_docs (self->store, "person", NULL);

  g_hash_table_remove_all (self->names);
  for (guint i = 0; people != NULL && i < json_array_get_length (people); i++)
    {
      JsonObject *person = json_array_get_object_element (people, i);
      const char *id = mer_json_get_string (person, "_id");
      const char *name = mer_json_get_string (person, "name");

      if (id != NULL && name != NULL)
        g_hash_table_insert (self->names, g_strdup (id), g_strdup (name));
    }
}

/* The newest leaf, deleted or not, so a deleted page's history shows. */
static char *
newest_leaf (MerHistoryView *self)
{
  g_auto(GStrv) leaves = mer_store_get_leaf_revs (self->store, self->page_id, TRUE, NULL);

  return leaves != NULL && leaves[0] != NULL ? g_strdup (leaves[0]) : NULL;
}

void
mer_history_view_reload (MerHistoryView *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_autofree char *leaf = NULL;
  g_autofree char *heading = NULL;
  GtkWidget *child;

  g_return_if_fail (MER_IS_HISTORY_VIEW (self));

  load_names (self);
  leaf = newest_leaf (self);
  g_ptr_array_set_size (self->revisions, 0);
  if (leaf != NULL)
    history = mer_store_get_history (self->store, self->page_id, leaf, &error);
  if (history == NULL && error != NULL)
    g_warning ("Could not read the history of %s: %s", self->page_id, error->message);

  self->updating = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);

  for (guint i = 0; history != NULL && i < json_array_get_length (history); i++)
    {
      JsonObject *doc = json_array_get_object_element (history, i);
      g_autofree char *title = NULL;
      g_autofree char *when = format_time (mer_json_get_string (doc, "updated_at"));
      g_autofree char *subtitle = NULL;
      g_autofree char *label = revision_label (self, doc);
      GtkWidget *row = adw_action_row_new ();

      g_ptr_array_add (self->revisions, json_object_ref (doc));
      if (i == 0)
        title = g_strdup_printf (_("Revision %d (current)"), atoi (string_or_empty (doc, "_rev")));
      else
        title = g_strdup_printf (_("Revision %d"), atoi (string_or_empty (doc, "_rev")));
      if (mer_json_get_bool (doc, "_deleted"))
        subtitle = g_strdup (_("Page deleted"));
      else
        subtitle = g_strdup_printf ("%s · %s", person_name (self, mer_json_get_string (doc, "updated_by")), g_strstrip (when));
      if (history != NULL)
        {
          JsonObject *older = i + 1 < json_array_get_length (history) ? json_array_get_object_element (history, i + 1) : NULL;
          g_autofree char *changes = attachment_changes (older, doc);

          if (changes != NULL)
            {
              char *longer = g_strdup_printf ("%s\n%s", subtitle, changes);

              g_free (subtitle);
              subtitle = longer;
            }
        }
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (self->list_box, row);
      gtk_string_list_append (labels, label);
    }
  gtk_string_list_append (labels, _("Empty page"));
  gtk_drop_down_set_model (self->compare_dropdown, G_LIST_MODEL (labels));
  self->updating = FALSE;

  heading = g_strdup_printf (_("History of “%s”"),
                             self->revisions->len > 0 && *string_or_empty (g_ptr_array_index (self->revisions, 0), "title") != '\0'
                             ? string_or_empty (g_ptr_array_index (self->revisions, 0), "title")
                             : self->page_id);
  gtk_label_set_label (self->heading_label, heading);

  if (self->revisions->len > 0)
    gtk_list_box_select_row (self->list_box, gtk_list_box_get_row_at_index (self->list_box, 0));
  else
    show_diff (self);
}

/* What revision @index (0 is the newest) did to the page's attachments,
 * against the revision before it, as its row says; NULL if nothing. */
char *
mer_history_view_get_attachment_changes (MerHistoryView *self,
                                         guint           index)
{
  g_return_val_if_fail (MER_IS_HISTORY_VIEW (self), NULL);
  g_return_val_if_fail (index < self->revisions->len, NULL);

  return attachment_changes (index + 1 < self->revisions->len ? g_ptr_array_index (self->revisions, index + 1) : NULL,
                             g_ptr_array_index (self->revisions, index));
}

/**
 * mer_history_view_restore:
 * @rev: the revision to bring back
 *
 * Writes the fields and body of @rev as a new revision on top of the
 * current one (or of the deletion), so nothing in between is lost.
 * Returns the new revision.
 */
char *
mer_history_view_restore (MerHistoryView  *self,
                          const char      *rev,
                          GError         **error)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *who = NULL;
  g_autofree char *leaf = NULL;
  char *new_rev;

  g_return_val_if_fail (MER_IS_HISTORY_VIEW (self), NULL);
  g_return_val_if_fail (rev != NULL, NULL);

  doc = mer_store_get_doc (self->store, self->page_id, rev, MER_GET_DEFAULT, error);
  if (doc == NULL)
    return NULL;
  leaf = newest_leaf (self);
  json_object_remove_member (doc, "_deleted");
  json_object_remove_member (doc, "_revisions");
  json_object_set_string_member (doc, "_rev", leaf);
  json_object_set_string_member (doc, "updated_at", when);
  who = mer_schedule_get_me (self->store);
  if (who != NULL)
    json_object_set_string_member (doc, "updated_by", who);
  else
    json_object_set_null_member (doc, "updated_by");
  new_rev = mer_store_put_doc (self->store, doc, error);
  if (new_rev == NULL)
    g_prefix_error (error, _("Could not restore the revision: "));
  return new_rev;
}

static void
restore_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MerHistoryView *self = MER_HISTORY_VIEW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *message = NULL;

  if (self->new_rev == NULL)
    return;
  rev = mer_history_view_restore (self, self->new_rev, &error);
  if (rev == NULL)
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  message = g_strdup_printf (_("Revision %d restored as a new edit"), atoi (self->new_rev));
  mer_history_view_reload (self);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MerHistoryView *self = MER_HISTORY_VIEW (widget);

  g_signal_emit (self, signals[CLOSED], 0, self->page_id);
}

static void
dark_changed_cb (MerHistoryView *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  GtkSourceBuffer *buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->diff_view)));

  gtk_source_buffer_set_style_scheme (buffer, gtk_source_style_scheme_manager_get_scheme (schemes,
                                      adw_style_manager_get_dark (manager) ? "Adwaita-dark" : "Adwaita"));
}

static void
mer_history_view_dispose (GObject *object)
{
  MerHistoryView *self = MER_HISTORY_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_HISTORY_VIEW);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_history_view_parent_class)->dispose (object);
}

static void
mer_history_view_finalize (GObject *object)
{
  MerHistoryView *self = MER_HISTORY_VIEW (object);

  g_free (self->page_id);
  g_free (self->old_rev);
  g_free (self->new_rev);
  g_clear_pointer (&self->revisions, g_ptr_array_unref);
  g_clear_pointer (&self->names, g_hash_table_unref);

  G_OBJECT_CLASS (mer_history_view_parent_class)->finalize (object);
}

static void
mer_history_view_class_init (MerHistoryViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_history_view_dispose;
  object_class->finalize = mer_history_view_finalize;

  /* The person is done: show this page again. */
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-history-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, heading_label);
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, restore_button);
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, list_box);
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, compare_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, MerHistoryView, diff_view);

  gtk_widget_class_install_action (widget_class, "history.restore", NULL, restore_action);
  gtk_widget_class_install_action (widget_class, "history.close", NULL, close_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "history.restore", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "history.close", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-history-view");
}

static void
mer_history_view_init (MerHistoryView *self)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->revisions = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->diff_view)));
  gtk_source_buffer_set_language (buffer, gtk_source_language_manager_get_language (languages, "diff"));
  /* Translucent, so they read on the light and the dark scheme. */
  gtk_text_buffer_create_tag (GTK_TEXT_BUFFER (buffer), "word-removed",
                              "background", "rgba(224,27,36,0.25)", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (GTK_TEXT_BUFFER (buffer), "word-added",
                              "background", "rgba(46,194,126,0.30)", "weight", PANGO_WEIGHT_BOLD, NULL);
  dark_changed_cb (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self->list_box, "row-selected", G_CALLBACK (row_selected_cb), self);
  g_signal_connect (self->compare_dropdown, "notify::selected", G_CALLBACK (compare_selected_cb), self);
}

GtkWidget *
mer_history_view_new (MerStore   *store,
                      const char *page_id)
{
  MerHistoryView *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (page_id != NULL, NULL);

  self = g_object_new (MER_TYPE_HISTORY_VIEW, NULL);
  self->store = g_object_ref (store);
  self->page_id = g_strdup (page_id);
  mer_history_view_reload (self);
  return GTK_WIDGET (self);
}

guint
mer_history_view_get_n_revisions (MerHistoryView *self)
{
  g_return_val_if_fail (MER_IS_HISTORY_VIEW (self), 0);
  return self->revisions->len;
}

const char *
mer_history_view_get_revision (MerHistoryView *self,
                               guint           index)
{
  g_return_val_if_fail (MER_IS_HISTORY_VIEW (self), NULL);
  g_return_val_if_fail (index < self->revisions->len, NULL);
  return mer_json_get_string (g_ptr_array_index (self->revisions, index), "_rev");
}

/* Shows the changes from @old_rev (NULL: an empty page) to @new_rev. */
void
mer_history_view_compare (MerHistoryView *self,
                          const char     *old_rev,
                          const char     *new_rev)
{
  int index;

  g_return_if_fail (MER_IS_HISTORY_VIEW (self));

  index = revision_index (self, new_rev);
  if (index < 0)
    return;
  self->updating = TRUE;
  gtk_list_box_select_row (self->list_box, gtk_list_box_get_row_at_index (self->list_box, index));
  self->updating = FALSE;
  g_free (self->new_rev);
  self->new_rev = g_strdup (new_rev);
  set_compare (self, old_rev);
  show_diff (self);
}

char *
mer_history_view_get_diff_text (MerHistoryView *self)
{
  g_return_val_if_fail (MER_IS_HISTORY_VIEW (self), NULL);

  return mer_ui_text_view_get_text (GTK_TEXT_VIEW (self->diff_view));
}
