/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-page-editor.h"
#include "mer-json.h"
#include "mer-merge.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-store-attachments.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The page editing view: the page's fields above the Markdown editor,
 * Save and Cancel, delete with undo.  Saving never loses an edit: if the
 * page changed since the edit began, the two are merged three-way, and an
 * overlap is written as a conflicting revision for the conflict view.
 */
struct _MerPageEditor
{
  GtkWidget          parent_instance;

  AdwToastOverlay   *toast_overlay;
  GtkLabel          *heading_label;
  GtkEntry          *title_entry;
  GtkEntry          *path_entry;
  GtkDropDown       *owner_dropdown;
  GtkEntry          *review_entry;
  GtkPopover        *calendar_popover;
  GtkCalendar       *calendar;
  GtkLabel          *error_label;
  AdwBin            *editor_bin;
  MerMarkdownEditor *editor;

  MerStore          *store;
  char              *page_id;       /* NULL until a new page is saved */
  JsonObject        *original;      /* the page as it was when opened */
  GPtrArray         *owner_ids;     /* person ids in dropdown order; [0] = none */
  char              *heading;
  gboolean           loading;       /* filling the fields: not an edit */
  gboolean           restored;      /* a draft was restored on open */
};

enum
{
  SAVED,
  CLOSED,
  CONFLICT,
  HISTORY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MerPageEditor, mer_page_editor, GTK_TYPE_WIDGET)

/* Toasts go to the window's overlay when there is one, so that those
 * shown as the editor closes (after a save) are still seen. */
static void
show_toast (MerPageEditor *self,
            const char    *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay == NULL)
    overlay = GTK_WIDGET (self->toast_overlay);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
}

static void
show_error (MerPageEditor *self,
            const char    *message)
{
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static char *
now_rfc3339 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

/* "On-call Handbook!" -> "on-call-handbook". */
static char *
slugify (const char *text)
{
  g_autofree char *ascii = g_str_to_ascii (text != NULL ? text : "", NULL);
  GString *slug = g_string_new (NULL);

  for (const char *p = ascii; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (slug, g_ascii_tolower (*p));
      else if (slug->len > 0 && slug->str[slug->len - 1] != '-')
        g_string_append_c (slug, '-');
    }
  while (slug->len > 0 && slug->str[slug->len - 1] == '-')
    g_string_truncate (slug, slug->len - 1);
  if (slug->len == 0)
    g_string_append (slug, "page");
  return g_string_free (slug, FALSE);
}

static const char *
string_or_empty (JsonObject *object,
                 const char *member)
{
  const char *value = object != NULL ? mer_json_get_string (object, member) : NULL;

  return value != NULL ? value : "";
}

static void
load_people (MerPageEditor *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) people = mer_store_list_docs (self->store, "person", &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GList) elements = NULL;

  g_ptr_array_set_size (self->owner_ids, 0);
  g_ptr_array_add (self->owner_ids, NULL);
  gtk_string_list_append (names, _("No owner"));

  if (people == NULL)
    g_warning ("Could not list people: %s", error->message);
  else
    elements = json_array_get_elements (people);

  for (GList *l = elements; l != NULL; l = l->next)
    {
      JsonObject *person = json_node_get_object (l->data);
      const char *id = mer_json_get_string (person, "_id");
      const char *name = mer_json_get_string (person, "name");

      if (id == NULL)
        continue;
      g_ptr_array_add (self->owner_ids, g_strdup (id));
      gtk_string_list_append (names, name != NULL ? name : id);
    }
  gtk_drop_down_set_model (self->owner_dropdown, G_LIST_MODEL (names));
}

static void
select_owner (MerPageEditor *self,
              const char    *owner)
{
  guint position = 0;

  if (owner != NULL && *owner != '\0')
    {
      for (guint i = 1; i < self->owner_ids->len; i++)
        if (g_strcmp0 (g_ptr_array_index (self->owner_ids, i), owner) == 0)
          position = i;

      /* An owner we do not know (not synced yet) stays an owner. */
      if (position == 0)
        {
          GtkStringList *names = GTK_STRING_LIST (gtk_drop_down_get_model (self->owner_dropdown));

          g_ptr_array_add (self->owner_ids, g_strdup (owner));
          gtk_string_list_append (names, owner);
          position = self->owner_ids->len - 1;
        }
    }
  gtk_drop_down_set_selected (self->owner_dropdown, position);
}

/* The fields as the person set them, for the draft and for saving. */
static JsonObject *
collect_fields (MerPageEditor *self)
{
  JsonObject *fields = json_object_new ();
  guint owner = gtk_drop_down_get_selected (self->owner_dropdown);
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_entry))));
  g_autofree char *path = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->path_entry))));
  g_autofree char *review = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->review_entry))));

  json_object_set_string_member (fields, "title", title);
  json_object_set_string_member (fields, "path", path);
  if (owner != GTK_INVALID_LIST_POSITION && owner > 0 && owner < self->owner_ids->len)
    json_object_set_string_member (fields, "owner", g_ptr_array_index (self->owner_ids, owner));
  else
    json_object_set_null_member (fields, "owner");
  if (*review != '\0')
    json_object_set_string_member (fields, "review_by", review);
  else
    json_object_set_null_member (fields, "review_by");
  return fields;
}

static void
apply_fields (MerPageEditor *self,
              JsonObject    *fields)
{
  self->loading = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->title_entry), string_or_empty (fields, "title"));
  gtk_editable_set_text (GTK_EDITABLE (self->path_entry), string_or_empty (fields, "path"));
  gtk_editable_set_text (GTK_EDITABLE (self->review_entry), string_or_empty (fields, "review_by"));
  select_owner (self, fields != NULL ? mer_json_get_string (fields, "owner") : NULL);
  self->loading = FALSE;
}

static gboolean
same_fields (JsonObject *a,
             JsonObject *b)
{
  const char *names[] = { "title", "path", "owner", "review_by" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (string_or_empty (a, names[i]), string_or_empty (b, names[i])) != 0)
      return FALSE;
  return TRUE;
}

static void
field_changed_cb (MerPageEditor *self)
{
  g_autoptr(JsonObject) fields = NULL;

  if (self->loading || self->editor == NULL)
    return;
  fields = collect_fields (self);
  mer_markdown_editor_set_fields (self->editor, fields);
  mer_markdown_editor_mark_modified (self->editor);
  show_error (self, NULL);
}

static void
calendar_day_selected_cb (MerPageEditor *self)
{
  g_autoptr(GDateTime) date = gtk_calendar_get_date (self->calendar);
  g_autofree char *text = g_date_time_format (date, "%Y-%m-%d");

  gtk_editable_set_text (GTK_EDITABLE (self->review_entry), text);
  gtk_popover_popdown (self->calendar_popover);
}

static void
update_heading (MerPageEditor *self)
{
  const char *title = string_or_empty (self->original, "title");

  g_free (self->heading);
  if (self->page_id == NULL)
    self->heading = g_strdup (_("New Page"));
  else
    self->heading = g_strdup_printf (_("Editing “%s”"), *title != '\0' ? title : self->page_id);
  gtk_label_set_label (self->heading_label, self->heading);
}

/* Finds a draft of a new page that was never saved nor discarded (the
 * app was closed or crashed meanwhile), so "New Page" brings it back. */
static char *
find_orphan_new_draft (MerStore *store)
{
  g_autoptr(JsonArray) drafts = mer_store_list_local (store, MER_DRAFT_PREFIX "new:", NULL);
  char *found = NULL;

  if (drafts == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (drafts) && found == NULL; i++)
    {
      JsonObject *draft = json_array_get_object_element (drafts, i);

      if (g_strcmp0 (mer_json_get_string (draft, "kind"), "page") == 0)
        found = g_strdup (mer_json_get_string (draft, "draft_of"));
    }
  return found;
}

static void
setup (MerPageEditor *self,
       const char    *page_id,
       const char    *new_title)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) draft = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *draft_id = NULL;
  const char *body = "";

  load_people (self);

  if (page_id != NULL)
    {
      self->page_id = g_strdup (page_id);
      draft_id = g_strdup (page_id);
      self->original = mer_store_get_doc (self->store, page_id, NULL, MER_GET_DEFAULT, &error);
      if (self->original == NULL)
        show_error (self, error->message);
      else
        body = string_or_empty (self->original, "body");
    }
  else
    {
      /* "New Page" picks up an unsaved new page; a link to a missing
       * page starts that page instead. */
      if (new_title == NULL)
        draft_id = find_orphan_new_draft (self->store);
      if (draft_id == NULL)
        {
          g_autofree char *uuid = g_uuid_string_random ();

          draft_id = g_strconcat ("new:", uuid, NULL);
        }
    }

  self->editor = MER_MARKDOWN_EDITOR (mer_markdown_editor_new (self->store, draft_id));
  mer_markdown_editor_set_kind (self->editor, "page");
  adw_bin_set_child (self->editor_bin, GTK_WIDGET (self->editor));

  apply_fields (self, self->original);
  if (self->original == NULL && new_title != NULL)
    {
      g_autofree char *slug = slugify (new_title);

      self->loading = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->title_entry), new_title);
      gtk_editable_set_text (GTK_EDITABLE (self->path_entry), slug);
      self->loading = FALSE;
    }
  mer_markdown_editor_set_text (self->editor, body);
  if (self->original != NULL)
    mer_markdown_editor_set_base_rev (self->editor, mer_json_get_string (self->original, "_rev"));
  fields = collect_fields (self);
  mer_markdown_editor_set_fields (self->editor, fields);

  /* A draft that says nothing new (the page already holds it) is stale. */
  draft = mer_markdown_editor_load_draft_doc (self->store, draft_id);
  if (draft != NULL)
    {
      JsonNode *draft_fields = json_object_get_member (draft, "fields");
      JsonObject *dfields = draft_fields != NULL && JSON_NODE_HOLDS_OBJECT (draft_fields) ? json_node_get_object (draft_fields) : NULL;

      if (g_strcmp0 (mer_json_get_string (draft, "text"), body) == 0 &&
          (dfields == NULL || same_fields (dfields, fields)) && self->original != NULL)
        mer_markdown_editor_discard_draft (self->editor);
      else if (mer_markdown_editor_restore_draft (self->editor))
        {
          const char *base = mer_markdown_editor_get_base_rev (self->editor);

          self->restored = TRUE;
          if (mer_markdown_editor_get_fields (self->editor) != NULL)
            apply_fields (self, mer_markdown_editor_get_fields (self->editor));
          if (self->original != NULL && g_strcmp0 (base, mer_json_get_string (self->original, "_rev")) != 0)
            show_toast (self, _("Restored unsaved changes; the page changed since, saving will merge"));
          else
            show_toast (self, _("Restored unsaved changes"));
        }
    }

  g_signal_connect_swapped (self->editor, "changed", G_CALLBACK (field_changed_cb), self);
  update_heading (self);
}

static gboolean
valid_date (const char *text)
{
  g_autoptr(GDateTime) date = NULL;
  int y, m, d;

  if (strlen (text) != 10 || sscanf (text, "%4d-%2d-%2d", &y, &m, &d) != 3)
    return FALSE;
  date = g_date_time_new_utc (y, m, d, 0, 0, 0);
  return date != NULL;
}

/* Paths name folders and a page: "engineering/on-call".  Empty parts,
 * "." and "..", and the characters that end a wiki link are refused. */
static char *
normalize_path (const char  *path,
                GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);

      if (*part == '\0')
        continue;
      if (strcmp (part, ".") == 0 || strcmp (part, "..") == 0 || strpbrk (part, "[]|#\t\n") != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("The path “%s” is not valid: use names separated by “/”"), path);
          return NULL;
        }
      g_ptr_array_add (kept, part);
    }
  if (kept->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The page needs a path"));
      return NULL;
    }
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("/", (char **) kept->pdata);
}

static gboolean
path_taken (MerStore   *store,
            const char *path,
            const char *own_id)
{
  g_autoptr(JsonArray) pages = mer_store_list_docs (store, "page", NULL);

  for (guint i = 0; pages != NULL && i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);

      if (g_strcmp0 (mer_json_get_string (page, "_id"), own_id) != 0 &&
          g_ascii_strcasecmp (string_or_empty (page, "path"), path) == 0)
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  const char *old_title;
  const char *old_path;
  const char *new_title;
  const char *new_path;
} RewriteData;

static gboolean
rewrite_link_cb (const GMatchInfo *match,
                 GString          *result,
                 gpointer          user_data)
{
  RewriteData *data = user_data;
  g_autofree char *whole = g_match_info_fetch (match, 0);
  g_autofree char *raw = g_match_info_fetch (match, 1);
  g_autofree char *label = g_match_info_fetch (match, 2);
  g_autofree char *target = g_strstrip (g_strdup (raw));
  const char *replacement = NULL;

  if (data->old_path != NULL && g_ascii_strcasecmp (target, data->old_path) == 0)
    replacement = data->new_path;
  else if (data->old_title != NULL)
    {
      g_autofree char *a = g_utf8_casefold (target, -1);
      g_autofree char *b = g_utf8_casefold (data->old_title, -1);

      if (strcmp (a, b) == 0)
        replacement = data->new_title;
    }

  if (replacement != NULL)
    g_string_append_printf (result, "[[%s%s]]", replacement, label != NULL ? label : "");
  else
    g_string_append (result, whole);
  return FALSE;
}

/**
 * mer_page_rewrite_links:
 *
 * Rewrites the wiki links of @markdown that point at a page by its old
 * title or old path so that they point at its new ones, keeping labels:
 * "[[Old title]]" -> "[[New title]]", "[[old/path|see]]" -> "[[new/path|see]]".
 * Pass %NULL for what did not change.
 */
char *
mer_page_rewrite_links (const char *markdown,
                        const char *old_title,
                        const char *old_path,
                        const char *new_title,
                        const char *new_path)
{
  static GRegex *link_regex;
  RewriteData data = { old_title, old_path, new_title, new_path };

  g_return_val_if_fail (markdown != NULL, NULL);

  if (g_once_init_enter (&link_regex))
    g_once_init_leave (&link_regex, g_regex_new ("\\[\\[([^\\[\\]|\\n]+)(\\|[^\\[\\]\\n]*)?\\]\\]", G_REGEX_OPTIMIZE, 0, NULL));
  if (new_title == NULL)
    data.old_title = NULL;
  if (new_path == NULL)
    data.old_path = NULL;
  return g_regex_replace_eval (link_regex, markdown, -1, 0, 0, rewrite_link_cb, &data, NULL);
}

/* Called inside the save's transaction: every page that links to this
 * one by its old title or path gets a new revision with the new ones. */
static gboolean
rewrite_backlinks (MerPageEditor  *self,
                   const char     *new_title,
                   const char     *new_path,
                   const char     *who,
                   const char     *when,
                   guint          *n_rewritten,
                   GError        **error)
{
  const char *old_title = string_or_empty (self->original, "title");
  const char *old_path = string_or_empty (self->original, "path");
  g_auto(GStrv) backlinks = NULL;

  *n_rewritten = 0;
  if (self->original == NULL ||
      (g_strcmp0 (old_title, new_title) == 0 && g_strcmp0 (old_path, new_path) == 0))
    return TRUE;

  backlinks = mer_store_get_backlinks (self->store, self->page_id, error);
  if (backlinks == NULL)
    return FALSE;

  for (guint i = 0; backlinks[i] != NULL; i++)
    {
      g_autoptr(JsonObject) page = NULL;
      g_autofree char *body = NULL;
      g_autofree char *rev = NULL;

      if (g_strcmp0 (backlinks[i], self->page_id) == 0)
        continue;
      page = mer_store_get_doc (self->store, backlinks[i], NULL, MER_GET_DEFAULT, NULL);
      if (page == NULL)
        continue;
      body = mer_page_rewrite_links (string_or_empty (page, "body"),
                                     *old_title != '\0' ? old_title : NULL,
                                     *old_path != '\0' ? old_path : NULL,
                                     g_strcmp0 (old_title, new_title) != 0 ? new_title : NULL,
                                     g_strcmp0 (old_path, new_path) != 0 ? new_path : NULL);
      if (strcmp (body, string_or_empty (page, "body")) == 0)
        continue;
      json_object_set_string_member (page, "body", body);
      json_object_set_string_member (page, "updated_at", when);
      if (who != NULL)
        json_object_set_string_member (page, "updated_by", who);
      rev = mer_store_put_doc (self->store, page, error);
      if (rev == NULL)
        return FALSE;
      (*n_rewritten)++;
    }
  return TRUE;
}

/* A revision id for a revision we graft by hand (put_revision): unique
 * to its parent and content, like the store's own. */
static char *
make_child_rev (const char *parent_rev,
                JsonObject *doc)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), doc);
  g_autofree char *canonical = mer_json_canonical (node);
  g_autofree char *input = g_strconcat (parent_rev, "\n", canonical, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_MD5, input, -1);

  return g_strdup_printf ("%d-%s", atoi (parent_rev) + 1, hash);
}

/* The page changed since the edit began.  Fields the person changed win;
 * the bodies merge three-way.  Returns the new revision, or NULL with
 * *conflicted set when the bodies overlap and our side was kept as a
 * conflicting revision instead. */
static char *
save_over_changes (MerPageEditor  *self,
                   JsonObject     *doc,
                   JsonObject     *current,
                   const char     *base_rev,
                   gboolean       *conflicted,
                   gboolean       *merged,
                   GError        **error)
{
  g_autoptr(JsonObject) base = NULL;
  g_autofree char *body = NULL;
  const char *names[] = { "title", "path", "owner", "review_by" };
  gboolean clean = FALSE;

  if (base_rev != NULL)
    base = mer_store_get_doc (self->store, self->page_id, base_rev, MER_GET_DEFAULT, NULL);

  body = mer_merge_text (base != NULL ? string_or_empty (base, "body") : NULL,
                         string_or_empty (current, "body"),
                         string_or_empty (doc, "body"),
                         _("Saved meanwhile"), _("Your edit"), &clean);
  if (clean && body != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          JsonNode *mine = json_object_get_member (doc, names[i]);

          /* Unchanged by us: the other side's value stands. */
          if (base != NULL && g_strcmp0 (string_or_empty (doc, names[i]), string_or_empty (base, names[i])) == 0 &&
              json_object_has_member (current, names[i]))
            json_object_set_member (doc, names[i], json_node_copy (json_object_get_member (current, names[i])));
          else if (mine == NULL)
            json_object_remove_member (doc, names[i]);
        }
      json_object_set_string_member (doc, "body", body);
      json_object_set_string_member (doc, "_rev", mer_json_get_string (current, "_rev"));
      *merged = TRUE;
      return mer_store_put_doc (self->store, doc, error);
    }

  /* Overlapping edits: keep ours as a conflicting branch of the base, so
   * the conflict view shows both and nothing is lost. */
  if (base_rev == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT,
                   _("The page was changed meanwhile and the edits overlap"));
      return NULL;
    }
  {
    g_autofree char *rev = make_child_rev (base_rev, doc);
    JsonObject *revisions = json_object_new ();
    JsonArray *ids = json_array_new ();
    const char *base_hash = strchr (base_rev, '-');

    json_array_add_string_element (ids, strchr (rev, '-') + 1);
    json_array_add_string_element (ids, base_hash != NULL ? base_hash + 1 : base_rev);
    json_object_set_int_member (revisions, "start", atoi (rev));
    json_object_set_array_member (revisions, "ids", ids);
    json_object_set_string_member (doc, "_rev", rev);
    json_object_set_object_member (doc, "_revisions", revisions);
    if (!mer_store_put_revision (self->store, doc, error))
      return NULL;
    *conflicted = TRUE;
    return g_steal_pointer (&rev);
  }
}

static gboolean
write_page (MerPageEditor  *self,
            JsonObject     *doc,
            const char     *base_rev,
            gboolean       *conflicted,
            gboolean       *merged,
            GError        **error)
{
  g_autoptr(JsonObject) current = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *rev = NULL;

  if (self->page_id == NULL)
    {
      g_autofree char *slug = NULL;
      const char *path = mer_json_get_string (doc, "path");
      const char *last = strrchr (path, '/');

      slug = slugify (last != NULL ? last + 1 : path);
      for (guint n = 1; rev == NULL; n++)
        {
          g_autofree char *id = n == 1 ? g_strdup_printf ("page:%s", slug) : g_strdup_printf ("page:%s-%u", slug, n);
          g_auto(GStrv) leaves = mer_store_get_leaf_revs (self->store, id, TRUE, NULL);

          if (leaves != NULL && leaves[0] != NULL)
            continue;
          json_object_set_string_member (doc, "_id", id);
          rev = mer_store_put_doc (self->store, doc, error);
          if (rev == NULL)
            return FALSE;
          self->page_id = g_strdup (id);
        }
      return TRUE;
    }

  json_object_set_string_member (doc, "_id", self->page_id);
  current = mer_store_get_doc (self->store, self->page_id, NULL, MER_GET_DEFAULT, &local_error);
  if (current == NULL && !g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (current == NULL)
    {
      /* Deleted meanwhile: the edit brings the page back on top of the
       * deletion, rather than vanishing. */
      g_auto(GStrv) leaves = mer_store_get_leaf_revs (self->store, self->page_id, TRUE, NULL);

      if (leaves != NULL && leaves[0] != NULL)
        json_object_set_string_member (doc, "_rev", leaves[0]);
      rev = mer_store_put_doc (self->store, doc, error);
    }
  else if (g_strcmp0 (mer_json_get_string (current, "_rev"), base_rev) == 0)
    {
      json_object_set_string_member (doc, "_rev", base_rev);
      rev = mer_store_put_doc (self->store, doc, error);
    }
  else
    rev = save_over_changes (self, doc, current, base_rev, conflicted, merged, error);

  return rev != NULL;
}

/* Names the draft's attachments (pasted or dropped while editing) in the
 * new revision's "_attachments"; the page's earlier attachments stay the
 * stubs they were. */
static gboolean
add_draft_attachments (MerPageEditor  *self,
                       JsonObject     *doc,
                       GError        **error)
{
  g_autofree char *draft = g_strconcat (MER_DRAFT_PREFIX, mer_markdown_editor_get_draft_id (self->editor), NULL);

  return mer_store_stub_local_attachments (self->store, draft, doc, error);
}

/**
 * mer_page_editor_save:
 *
 * Validates the fields and writes the page (with its links followed if
 * it was renamed or moved) in one transaction, then forgets the draft.
 * On failure nothing is written, the draft stays, and @error says why.
 */
gboolean
mer_page_editor_save (MerPageEditor  *self,
                      GError        **error)
{
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *who = NULL;
  g_autofree char *when = NULL;
  const char *title;
  const char *review;
  gboolean conflicted = FALSE;
  gboolean merged = FALSE;
  guint n_rewritten = 0;

  g_return_val_if_fail (MER_IS_PAGE_EDITOR (self), FALSE);

  fields = collect_fields (self);
  title = mer_json_get_string (fields, "title");
  review = mer_json_get_string (fields, "review_by");
  if (title == NULL || *title == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The page needs a title"));
      return FALSE;
    }
  path = normalize_path (mer_json_get_string (fields, "path"), error);
  if (path == NULL)
    return FALSE;
  if (review != NULL && !valid_date (review))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The review date “%s” is not a date like 2027-01-31"), review);
      return FALSE;
    }
  if (path_taken (self->store, path, self->page_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Another page already has the path “%s”"), path);
      return FALSE;
    }

  /* Nothing changed: no new revision, just leave. */
  if (self->original != NULL && same_fields (self->original, fields) &&
      g_strcmp0 (string_or_empty (self->original, "path"), path) == 0)
    {
      g_autofree char *text = mer_markdown_editor_get_text (self->editor);

      if (g_strcmp0 (text, string_or_empty (self->original, "body")) == 0 &&
          g_strcmp0 (mer_markdown_editor_get_base_rev (self->editor), mer_json_get_string (self->original, "_rev")) == 0)
        {
          mer_markdown_editor_discard_draft (self->editor);
          g_signal_emit (self, signals[CLOSED], 0, self->page_id);
          return TRUE;
        }
    }

  /* Start from the page as it was, so fields this view does not show
   * (tags, fields added by newer versions) are kept. */
  doc = self->original != NULL ? mer_json_object_copy (self->original) : json_object_new ();
  json_object_remove_member (doc, "_rev");
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", title);
  json_object_set_string_member (doc, "path", path);
  json_object_set_member (doc, "owner", json_node_copy (json_object_get_member (fields, "owner")));
  json_object_set_member (doc, "review_by", json_node_copy (json_object_get_member (fields, "review_by")));
  body = mer_markdown_editor_get_text (self->editor);
  json_object_set_string_member (doc, "body", body);
  if (!json_object_has_member (doc, "tags"))
    json_object_set_array_member (doc, "tags", json_array_new ());
  when = now_rfc3339 ();
  who = mer_schedule_get_me (self->store);
  json_object_set_string_member (doc, "updated_at", when);
  if (who != NULL)
    json_object_set_string_member (doc, "updated_by", who);
  else
    json_object_set_null_member (doc, "updated_by");

  if (!add_draft_attachments (self, doc, error))
    return FALSE;
  if (!mer_store_begin (self->store, error))
    return FALSE;
  if (!rewrite_backlinks (self, title, path, who, when, &n_rewritten, error) ||
      !write_page (self, doc, mer_markdown_editor_get_base_rev (self->editor), &conflicted, &merged, error) ||
      !mer_store_commit (self->store, error))
    {
      mer_store_rollback (self->store);
      g_prefix_error (error, _("Could not save the page: "));
      return FALSE;
    }

  mer_markdown_editor_discard_draft (self->editor);
  g_clear_pointer (&self->original, json_object_unref);
  self->original = mer_store_get_doc (self->store, self->page_id, NULL, MER_GET_DEFAULT, NULL);
  if (self->original != NULL && !conflicted)
    mer_markdown_editor_set_base_rev (self->editor, mer_json_get_string (self->original, "_rev"));
  update_heading (self);

  if (merged)
    show_toast (self, _("Merged with changes saved meanwhile"));
  if (n_rewritten > 0)
    {
      g_autofree char *message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Updated links in %u page", "Updated links in %u pages", n_rewritten), n_rewritten);

      show_toast (self, message);
    }
  g_signal_emit (self, signals[SAVED], 0, self->page_id);
  if (conflicted)
    g_signal_emit (self, signals[CONFLICT], 0, self->page_id);
  else
    g_signal_emit (self, signals[CLOSED], 0, self->page_id);
  return TRUE;
}

static void
discard_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     MerPageEditor    *self)
{
  if (g_strcmp0 (response, "discard") != 0)
    return;
  mer_markdown_editor_discard_draft (self->editor);
  g_signal_emit (self, signals[CLOSED], 0, self->page_id);
}

/* Leaves the editor.  Unsaved changes are only thrown away after asking. */
void
mer_page_editor_cancel (MerPageEditor *self)
{
  GtkRoot *root;
  AdwMessageDialog *dialog;

  g_return_if_fail (MER_IS_PAGE_EDITOR (self));

  if (!mer_markdown_editor_get_modified (self->editor))
    {
      mer_markdown_editor_discard_draft (self->editor);
      g_signal_emit (self, signals[CLOSED], 0, self->page_id);
      return;
    }

  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Discard Changes?"),
                                                       _("The changes made to this page since it was last saved will be lost.")));
  adw_message_dialog_add_responses (dialog,
                                    "keep", _("_Keep Editing"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * mer_page_restore_deleted:
 *
 * Brings back a deleted page as a new revision on top of its deletion,
 * with the body and fields it had just before.
 */
gboolean
mer_page_restore_deleted (MerStore    *store,
                          const char  *page_id,
                          GError     **error)
{
  g_auto(GStrv) leaves = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *rev = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);

  leaves = mer_store_get_leaf_revs (store, page_id, TRUE, error);
  if (leaves == NULL)
    return FALSE;
  if (leaves[0] == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND, _("No page “%s”"), page_id);
      return FALSE;
    }
  history = mer_store_get_history (store, page_id, leaves[0], error);
  if (history == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (history) && doc == NULL; i++)
    {
      JsonObject *old = json_array_get_object_element (history, i);

      if (!mer_json_get_bool (old, "_deleted"))
        doc = mer_json_object_copy (old);
    }
  if (doc == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND,
                   _("No earlier revision of “%s” is kept"), page_id);
      return FALSE;
    }
  json_object_remove_member (doc, "_deleted");
  json_object_remove_member (doc, "_revisions");
  json_object_set_string_member (doc, "_rev", leaves[0]);
  rev = mer_store_put_doc (store, doc, error);
  return rev != NULL;
}

static void
undo_delete_cb (AdwToast *toast,
                gpointer  user_data)
{
  MerStore *store = g_object_get_data (G_OBJECT (toast), "mer-store");
  const char *page_id = g_object_get_data (G_OBJECT (toast), "mer-page-id");
  g_autoptr(GError) error = NULL;

  if (!mer_page_restore_deleted (store, page_id, &error))
    g_warning ("Could not undo the deletion of %s: %s", page_id, error->message);
}

gboolean
mer_page_delete_with_undo (MerStore    *store,
                           const char  *page_id,
                           GtkWidget   *toast_host,
                           GError     **error)
{
  g_autoptr(JsonObject) page = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *title = NULL;
  GtkWidget *overlay = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (page_id != NULL, FALSE);

  page = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, error);
  if (page == NULL)
    return FALSE;
  rev = mer_store_delete_doc (store, page_id, mer_json_get_string (page, "_rev"), error);
  if (rev == NULL)
    return FALSE;

  if (toast_host != NULL)
    overlay = ADW_IS_TOAST_OVERLAY (toast_host) ? toast_host : gtk_widget_get_ancestor (toast_host, ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    {
      AdwToast *toast;

      title = g_strdup_printf (_("“%s” deleted"), string_or_empty (page, "title"));
      toast = adw_toast_new (title);
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      g_object_set_data_full (G_OBJECT (toast), "mer-store", g_object_ref (store), g_object_unref);
      g_object_set_data_full (G_OBJECT (toast), "mer-page-id", g_strdup (page_id), g_free);
      g_signal_connect (toast, "button-clicked", G_CALLBACK (undo_delete_cb), NULL);
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
    }
  return TRUE;
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MerPageEditor *self = MER_PAGE_EDITOR (widget);
  g_autoptr(GError) error = NULL;

  if (!mer_page_editor_save (self, &error))
    show_error (self, error->message);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  mer_page_editor_cancel (MER_PAGE_EDITOR (widget));
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MerPageEditor *self = MER_PAGE_EDITOR (widget);
  g_autoptr(GError) error = NULL;
  GtkWidget *host;

  if (self->page_id == NULL || self->original == NULL)
    {
      mer_markdown_editor_discard_draft (self->editor);
      g_signal_emit (self, signals[CLOSED], 0, NULL);
      return;
    }
  /* The toast outlives this view: show it in the window's overlay. */
  host = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  if (!mer_page_delete_with_undo (self->store, self->page_id, host != NULL ? host : GTK_WIDGET (self->toast_overlay), &error))
    {
      show_error (self, error->message);
      return;
    }
  mer_markdown_editor_discard_draft (self->editor);
  g_signal_emit (self, signals[CLOSED], 0, NULL);
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MerPageEditor *self = MER_PAGE_EDITOR (widget);

  if (self->page_id != NULL)
    g_signal_emit (self, signals[HISTORY], 0, self->page_id);
}

static void
toggle_preview_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MerPageEditor *self = MER_PAGE_EDITOR (widget);

  mer_markdown_editor_set_show_preview (self->editor, !mer_markdown_editor_get_show_preview (self->editor));
}

static void
mer_page_editor_dispose (GObject *object)
{
  MerPageEditor *self = MER_PAGE_EDITOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_PAGE_EDITOR);
  self->editor = NULL;
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_page_editor_parent_class)->dispose (object);
}

static void
mer_page_editor_finalize (GObject *object)
{
  MerPageEditor *self = MER_PAGE_EDITOR (object);

  g_free (self->page_id);
  g_free (self->heading);
  g_clear_pointer (&self->original, json_object_unref);
  g_clear_pointer (&self->owner_ids, g_ptr_array_unref);

  G_OBJECT_CLASS (mer_page_editor_parent_class)->finalize (object);
}

static void
mer_page_editor_class_init (MerPageEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_page_editor_dispose;
  object_class->finalize = mer_page_editor_finalize;

  /* The page was written (its id). */
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The editor is done: show this page (NULL: go back where we were). */
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Saved as a conflicting revision: open the conflict view for it. */
  signals[CONFLICT] = g_signal_new ("conflict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The person asked for the page's history. */
  signals[HISTORY] = g_signal_new ("history", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (MER_TYPE_MARKDOWN_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-page-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, heading_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, title_entry);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, path_entry);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, owner_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, review_entry);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, calendar_popover);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, calendar);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageEditor, editor_bin);

  gtk_widget_class_install_action (widget_class, "page.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "page.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "page.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "page.history", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "page.toggle-preview", NULL, toggle_preview_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "page.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "page.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "page.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK, "page.history", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-page-editor");
}

static void
mer_page_editor_init (MerPageEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->owner_ids = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect_swapped (self->title_entry, "changed", G_CALLBACK (field_changed_cb), self);
  g_signal_connect_swapped (self->path_entry, "changed", G_CALLBACK (field_changed_cb), self);
  g_signal_connect_swapped (self->review_entry, "changed", G_CALLBACK (field_changed_cb), self);
  g_signal_connect_swapped (self->owner_dropdown, "notify::selected", G_CALLBACK (field_changed_cb), self);
  g_signal_connect_swapped (self->calendar, "day-selected", G_CALLBACK (calendar_day_selected_cb), self);
}

/**
 * mer_page_editor_new:
 * @page_id: the page to edit
 *
 * Returns: (transfer floating): an editor for the page, with its unsaved
 *   draft restored if there is one.
 */
GtkWidget *
mer_page_editor_new (MerStore   *store,
                     const char *page_id)
{
  MerPageEditor *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (page_id != NULL, NULL);

  self = g_object_new (MER_TYPE_PAGE_EDITOR, NULL);
  self->store = g_object_ref (store);
  setup (self, page_id, NULL);
  return GTK_WIDGET (self);
}

/**
 * mer_page_editor_new_page:
 * @title: (nullable): a title to start with (a wiki link to a missing page)
 *
 * Returns: (transfer floating): an editor for a new page; an unsaved new
 *   page left from an earlier session is brought back instead.
 */
GtkWidget *
mer_page_editor_new_page (MerStore   *store,
                          const char *title)
{
  MerPageEditor *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_PAGE_EDITOR, NULL);
  self->store = g_object_ref (store);
  setup (self, NULL, title);
  return GTK_WIDGET (self);
}

const char *
mer_page_editor_get_page_id (MerPageEditor *self)
{
  g_return_val_if_fail (MER_IS_PAGE_EDITOR (self), NULL);
  return self->page_id;
}

const char *
mer_page_editor_get_heading (MerPageEditor *self)
{
  g_return_val_if_fail (MER_IS_PAGE_EDITOR (self), NULL);
  return self->heading;
}

MerMarkdownEditor *
mer_page_editor_get_editor (MerPageEditor *self)
{
  g_return_val_if_fail (MER_IS_PAGE_EDITOR (self), NULL);
  return self->editor;
}

gboolean
mer_page_editor_get_restored (MerPageEditor *self)
{
  g_return_val_if_fail (MER_IS_PAGE_EDITOR (self), FALSE);
  return self->restored;
}

/* Hides the heading above the fields, for hosts whose own header bar
 * already names the page being edited. */
void
mer_page_editor_set_show_heading (MerPageEditor *self,
                                  gboolean       show)
{
  g_return_if_fail (MER_IS_PAGE_EDITOR (self));
  gtk_widget_set_opacity (GTK_WIDGET (self->heading_label), show ? 1.0 : 0.0);
}

void
mer_page_editor_set_title (MerPageEditor *self,
                           const char    *title)
{
  g_return_if_fail (MER_IS_PAGE_EDITOR (self));
  gtk_editable_set_text (GTK_EDITABLE (self->title_entry), title != NULL ? title : "");
}

void
mer_page_editor_set_path (MerPageEditor *self,
                          const char    *path)
{
  g_return_if_fail (MER_IS_PAGE_EDITOR (self));
  gtk_editable_set_text (GTK_EDITABLE (self->path_entry), path != NULL ? path : "");
}
