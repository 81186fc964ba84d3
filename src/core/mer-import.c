/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-import.h"
#include "mer-import-private.h"
#include "mer-json.h"
#include "mer-store-attachments.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <yaml.h>
#include <inttypes.h>

/* Larger files are not handbook pages; refusing them keeps memory bounded. */
#define MAX_PAGE_BYTES (16 * 1024 * 1024)

G_DEFINE_QUARK (mer-import-error-quark, mer_import_error)

MerImportReport *
mer_import_report_new (void)
{
  MerImportReport *report = g_new0 (MerImportReport, 1);

  report->errors = g_ptr_array_new_with_free_func (g_free);
  report->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) _mer_import_problem_free);
  return report;
}

void
mer_import_report_free (MerImportReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->errors);
  g_ptr_array_unref (report->problems);
  g_free (report);
}

static void
report_failure (MerImportReport *report,
                const char      *file,
                const char      *reason)
{
  report->failed++;
  g_ptr_array_add (report->errors, g_strdup_printf ("%s: %s", file, reason));
}

char *
mer_import_page_id (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_strconcat ("page:", path, NULL);
}

/* ---- Reading front matter ---------------------------------------------- */

/*
 * Returns the length of the line starting at @p (without its newline) and
 * sets @next to the start of the following line.
 */
static gsize
line_at (const char  *p,
         const char  *end,
         const char **next)
{
  const char *nl = memchr (p, '\n', end - p);

  if (nl == NULL)
    {
      *next = end;
      return end - p;
    }
  *next = nl + 1;
  return nl - p;
}

/* A front matter delimiter: "---" (or "..." to close), trailing blanks ok. */
static gboolean
is_delimiter (const char *line,
              gsize       len,
              gboolean    closing)
{
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    len--;
  if (len != 3)
    return FALSE;
  return memcmp (line, "---", 3) == 0 || (closing && memcmp (line, "...", 3) == 0);
}

/* A plain YAML scalar that YAML 1.1 reads as null. */
static gboolean
is_null_scalar (yaml_node_t *node)
{
  const char *v = (const char *) node->data.scalar.value;

  if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return FALSE;
  return *v == '\0' || strcmp (v, "~") == 0 || strcmp (v, "null") == 0
         || strcmp (v, "Null") == 0 || strcmp (v, "NULL") == 0;
}

static gboolean
fail_front_matter (GError    **error,
                   const char *format,
                   ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail_front_matter (GError    **error,
                   const char *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_FRONT_MATTER, message);
  return FALSE;
}

/* Reads a scalar field as text: NULL for a YAML null. */
static gboolean
scalar_value (yaml_node_t  *node,
              const char   *key,
              char        **out,
              GError      **error)
{
  if (node->type != YAML_SCALAR_NODE)
    return fail_front_matter (error, _("front matter: “%s” must be a single value"), key);
  g_clear_pointer (out, g_free);
  if (!is_null_scalar (node))
    *out = g_strdup ((const char *) node->data.scalar.value);
  if (*out != NULL && **out == '\0')
    g_clear_pointer (out, g_free);
  return TRUE;
}

static void
add_tag (JsonArray  *tags,
         const char *text)
{
  g_autofree char *tag = g_strstrip (g_strdup (text));
  const char *t = tag;

  while (*t == '#')
    t++;
  if (*t != '\0')
    json_array_add_string_element (tags, t);
}

/* Tags are a YAML list, or one text with commas between the tags. */
static gboolean
read_tags (yaml_document_t  *doc,
           yaml_node_t      *node,
           JsonArray       **out,
           GError          **error)
{
  g_autoptr(JsonArray) tags = json_array_new ();

  if (node->type == YAML_SCALAR_NODE)
    {
      if (!is_null_scalar (node))
        {
          g_auto(GStrv) parts = g_strsplit ((const char *) node->data.scalar.value, ",", -1);

          for (guint i = 0; parts[i] != NULL; i++)
            add_tag (tags, parts[i]);
        }
    }
  else if (node->type == YAML_SEQUENCE_NODE)
    {
      for (yaml_node_item_t *item = node->data.sequence.items.start;
           item < node->data.sequence.items.top; item++)
        {
          yaml_node_t *child = yaml_document_get_node (doc, *item);

          if (child == NULL || child->type != YAML_SCALAR_NODE)
            return fail_front_matter (error, _("front matter: each tag must be a single word or phrase"));
          if (!is_null_scalar (child))
            add_tag (tags, (const char *) child->data.scalar.value);
        }
    }
  else
    return fail_front_matter (error, _("front matter: “tags” must be a list"));

  g_clear_pointer (out, json_array_unref);
  *out = g_steal_pointer (&tags);
  return TRUE;
}

static gboolean
is_date (const char *text)
{
  guint y, m, d;
  char tail;

  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  if (sscanf (text, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  return g_date_valid_dmy (d, m, y);
}

/*
 * Times are kept as written when they are already RFC 3339 in UTC, so that
 * text written by another client survives a round trip byte for byte;
 * anything else that parses is converted to UTC.
 */
static char *
normalize_time (const char *text)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (text, utc);
  g_autoptr(GDateTime) in_utc = NULL;

  if (time == NULL)
    return NULL;
  if (g_str_has_suffix (text, "Z") && strchr (text, 'T') != NULL)
    return g_strdup (text);
  in_utc = g_date_time_to_utc (time);
  return g_date_time_format (in_utc, "%Y-%m-%dT%H:%M:%SZ");
}

static char *
person_id (const char *name)
{
  if (g_str_has_prefix (name, "person:"))
    return g_strdup (name);
  return g_strconcat ("person:", name, NULL);
}

typedef struct
{
  char      *title;
  char      *owner;
  char      *review_by;
  JsonArray *tags;
  char      *updated_by;
  char      *updated_at;
} FrontMatter;

static void
front_matter_clear (FrontMatter *fm)
{
  g_free (fm->title);
  g_free (fm->owner);
  g_free (fm->review_by);
  g_clear_pointer (&fm->tags, json_array_unref);
  g_free (fm->updated_by);
  g_free (fm->updated_at);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FrontMatter, front_matter_clear)

/* Parses the YAML text between the delimiters with libyaml. */
static gboolean
parse_front_matter (const char   *text,
                    gsize         length,
                    FrontMatter  *fm,
                    GError      **error)
{
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *root;
  gboolean ok = TRUE;

  if (!yaml_parser_initialize (&parser))
    return fail_front_matter (error, _("front matter: out of memory"));
  yaml_parser_set_input_string (&parser, (const unsigned char *) text, length);
  if (!yaml_parser_load (&parser, &doc))
    {
      /* The block starts on the file's second line. */
      ok = fail_front_matter (error, _("broken front matter at line %u: %s"),
                              (guint) parser.problem_mark.line + 2,
                              parser.problem != NULL ? parser.problem : _("invalid YAML"));
      yaml_parser_delete (&parser);
      return ok;
    }
  yaml_parser_delete (&parser);

  root = yaml_document_get_root_node (&doc);
  if (root == NULL || (root->type == YAML_SCALAR_NODE && is_null_scalar (root)))
    {
      yaml_document_delete (&doc);
      return TRUE;
    }
  if (root->type != YAML_MAPPING_NODE)
    {
      yaml_document_delete (&doc);
      return fail_front_matter (error, _("broken front matter: expected “key: value” lines"));
    }

  for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
       ok && pair < root->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *key = yaml_document_get_node (&doc, pair->key);
      yaml_node_t *value = yaml_document_get_node (&doc, pair->value);
      const char *name;

      if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE)
        {
          ok = fail_front_matter (error, _("broken front matter: a key is not a name"));
          break;
        }
      name = (const char *) key->data.scalar.value;
      if (strcmp (name, "title") == 0)
        ok = scalar_value (value, name, &fm->title, error);
      else if (strcmp (name, "owner") == 0)
        ok = scalar_value (value, name, &fm->owner, error);
      else if (strcmp (name, "review_by") == 0)
        ok = scalar_value (value, name, &fm->review_by, error);
      else if (strcmp (name, "updated_by") == 0)
        ok = scalar_value (value, name, &fm->updated_by, error);
      else if (strcmp (name, "updated_at") == 0)
        ok = scalar_value (value, name, &fm->updated_at, error);
      else if (strcmp (name, "tags") == 0)
        ok = read_tags (&doc, value, &fm->tags, error);
    }
  yaml_document_delete (&doc);
  if (!ok)
    return FALSE;

  if (fm->review_by != NULL && !is_date (fm->review_by))
    return fail_front_matter (error, _("front matter: review_by “%s” is not a date (YYYY-MM-DD)"),
                              fm->review_by);
  if (fm->updated_at != NULL)
    {
      char *time = normalize_time (fm->updated_at);

      if (time == NULL)
        return fail_front_matter (error, _("front matter: updated_at “%s” is not a time (RFC 3339)"),
                                  fm->updated_at);
      g_free (fm->updated_at);
      fm->updated_at = time;
    }
  return TRUE;
}

/* The text of the first level-one ATX heading, or NULL. */
static char *
first_heading (const char *body,
               const char *end)
{
  gboolean in_fence = FALSE;

  for (const char *p = body, *next; p < end; p = next)
    {
      gsize len = line_at (p, end, &next);
      const char *s = p;
      gsize indent = 0;

      while (indent < len && s[indent] == ' ' && indent < 4)
        indent++;
      s += indent;
      len -= indent;
      if (indent < 4 && len >= 3 && (strncmp (s, "```", 3) == 0 || strncmp (s, "~~~", 3) == 0))
        {
          in_fence = !in_fence;
          continue;
        }
      if (in_fence || indent >= 4)
        continue;
      if (len >= 2 && s[0] == '#' && (s[1] == ' ' || s[1] == '\t'))
        {
          g_autofree char *text = g_strndup (s + 2, len - 2);
          char *hashes;

          g_strstrip (text);
          /* An ATX heading may close with a run of '#'. */
          hashes = text + strlen (text);
          while (hashes > text && hashes[-1] == '#')
            hashes--;
          if (hashes == text || hashes[-1] == ' ' || hashes[-1] == '\t')
            *hashes = '\0';
          g_strstrip (text);
          if (*text != '\0')
            return g_steal_pointer (&text);
        }
    }
  return NULL;
}

/*
 * Turns the text of one Markdown file into the body fields of a page (no
 * "_id"): type, title, path, body, owner, review_by, tags and, when the
 * front matter has them, updated_by and updated_at. @path is the page path
 * (the file's relative path without ".md").
 */
JsonObject *
mer_import_parse_page (const char  *path,
                       const char  *text,
                       gsize        length,
                       GError     **error)
{
  g_auto(FrontMatter) fm = { NULL };
  const char *end = text + length;
  const char *body = text;
  const char *bad = NULL;
  JsonObject *page;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (!g_utf8_validate (text, length, &bad))
    {
      g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_NOT_UTF8,
                   _("not UTF-8 text (invalid byte 0x%02x at offset %" PRIu64 ")"),
                   (guint) (guchar) *bad, (uint64_t) (bad - text));
      return NULL;
    }
  if (length >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    body = text + 3;

  {
    const char *next;
    gsize len = line_at (body, end, &next);

    if (is_delimiter (body, len, FALSE) && next > body + len)
      {
        const char *yaml_start = next;
        const char *p = next;
        gboolean closed = FALSE;

        while (p < end)
          {
            const char *line = p;

            len = line_at (p, end, &next);
            if (is_delimiter (line, len, TRUE))
              {
                if (!parse_front_matter (yaml_start, line - yaml_start, &fm, error))
                  return NULL;
                body = next;
                closed = TRUE;
                break;
              }
            p = next;
          }
        if (!closed)
          {
            g_set_error_literal (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_FRONT_MATTER,
                                 _("broken front matter: no closing “---” line"));
            return NULL;
          }
      }
  }

  if (fm.title == NULL)
    fm.title = first_heading (body, end);
  if (fm.title == NULL)
    fm.title = g_path_get_basename (path);

  page = json_object_new ();
  json_object_set_string_member (page, "type", "page");
  json_object_set_string_member (page, "title", fm.title);
  json_object_set_string_member (page, "path", path);
  {
    g_autofree char *body_text = g_strndup (body, end - body);

    json_object_set_string_member (page, "body", body_text);
  }
  if (fm.owner != NULL)
    {
      g_autofree char *owner = person_id (fm.owner);

      json_object_set_string_member (page, "owner", owner);
    }
  if (fm.review_by != NULL)
    json_object_set_string_member (page, "review_by", fm.review_by);
  else
    json_object_set_null_member (page, "review_by");
  json_object_set_array_member (page, "tags", fm.tags != NULL ? g_steal_pointer (&fm.tags) : json_array_new ());
  if (fm.updated_by != NULL)
    {
      g_autofree char *who = person_id (fm.updated_by);

      json_object_set_string_member (page, "updated_by", who);
    }
  if (fm.updated_at != NULL)
    json_object_set_string_member (page, "updated_at", fm.updated_at);
  return page;
}

/* ---- Walking the folder ------------------------------------------------ */

static gboolean
has_md_suffix (const char *name)
{
  gsize len = strlen (name);

  return len > 3 && g_ascii_strcasecmp (name + len - 3, ".md") == 0;
}

/* g_ptr_array_sort passes pointers to the elements. */
static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/*
 * Collects the relative paths of the Markdown files under @dir (sorted, so
 * imports are deterministic). Folders that cannot be listed are reported
 * and skipped. Symbolic links to folders are not followed: a link cycle
 * cannot make the walk endless.
 */
static void
collect_files (const char      *root,
               const char      *rel,
               GPtrArray       *files,
               MerImportReport *report)
{
  g_autofree char *dir_path = rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      report_failure (report, dir_path, _("cannot read this folder"));
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *child = names->pdata[i];
      g_autofree char *child_rel = rel ? g_build_filename (rel, child, NULL) : g_strdup (child);
      g_autofree char *child_path = g_build_filename (root, child_rel, NULL);
      GStatBuf st;

      if (g_lstat (child_path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode) && !has_md_suffix (child))
        collect_files (root, child_rel, files, report);
      else if (has_md_suffix (child))
        g_ptr_array_add (files, g_steal_pointer (&child_rel));
    }
}

/* ---- Importing --------------------------------------------------------- */

/* The fields an import sets; the others of an existing page are kept. */
static const char * const imported_fields[] = {
  "type", "title", "path", "body", "owner", "review_by", "tags", "attachment_links",
};

/* Absent, null and [] all mean "none", so a page made elsewhere without
 * some field does not count as changed when the file says nothing. */
static gboolean
is_empty_value (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  return JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) == 0;
}

static gboolean
field_equal (JsonObject *a,
             JsonObject *b,
             const char *field)
{
  JsonNode *x = json_object_get_member (a, field);
  JsonNode *y = json_object_get_member (b, field);

  if (is_empty_value (x) || is_empty_value (y))
    return is_empty_value (x) && is_empty_value (y);
  return json_node_equal (x, y);
}

static gboolean
page_unchanged (JsonObject *old,
                JsonObject *page)
{
  for (guint i = 0; i < G_N_ELEMENTS (imported_fields); i++)
    if (!field_equal (old, page, imported_fields[i]))
      return FALSE;
  if (json_object_has_member (page, "updated_at") && !field_equal (old, page, "updated_at"))
    return FALSE;
  if (json_object_has_member (page, "updated_by") && !field_equal (old, page, "updated_by"))
    return FALSE;
  return TRUE;
}

typedef struct
{
  MerStore        *store;
  const char      *root;
  GHashTable      *by_path;   /* page path -> JsonObject of the winner */
  GHashTable      *by_id;     /* page id -> JsonObject of the winner */
  char            *now;       /* updated_at for pages whose file has none */
  MerImportReport *report;
  MerImportFiles  *files;     /* the other files, for attachments */
} ImportRun;

/*
 * The document to write for @page: the existing winner with the imported
 * fields replaced (fields other clients added are kept), or a new page.
 */
static JsonObject *
build_doc (ImportRun  *run,
           JsonObject *old,
           JsonObject *page,
           JsonObject *atts)
{
  JsonObject *doc = json_object_new ();

  if (old != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (old);

      for (GList *l = members; l != NULL; l = l->next)
        {
          const char *name = l->data;

          if (name[0] == '_' && strcmp (name, "_id") != 0 && strcmp (name, "_rev") != 0)
            continue;
          json_object_set_member (doc, name, json_node_copy (json_object_get_member (old, name)));
        }
      json_object_remove_member (doc, "owner");
    }
  else
    {
      g_autofree char *id = mer_import_page_id (json_object_get_string_member (page, "path"));

      json_object_set_string_member (doc, "_id", id);
    }

  {
    g_autoptr(GList) members = json_object_get_members (page);

    for (GList *l = members; l != NULL; l = l->next)
      json_object_set_member (doc, l->data, json_node_copy (json_object_get_member (page, l->data)));
  }
  /* This revision comes from the file: who made the previous one is not
   * known to have made it, so only the file can name an author. */
  if (!json_object_has_member (page, "updated_at"))
    json_object_set_string_member (doc, "updated_at", run->now);
  if (!json_object_has_member (page, "updated_by"))
    json_object_remove_member (doc, "updated_by");
  if (!json_object_has_member (page, "attachment_links"))
    json_object_remove_member (doc, "attachment_links");
  if (json_object_get_size (atts) > 0)
    json_object_set_object_member (doc, "_attachments", json_object_ref (atts));
  return doc;
}

/*
 * Imports one file. Problems with the file are reported and skipped; FALSE
 * (with @error) only when the replica itself failed, which ends the import.
 */
static gboolean
import_file (ImportRun   *run,
             const char  *rel,
             GError     **error)
{
  g_autofree char *file = g_build_filename (run->root, rel, NULL);
  g_autofree char *shown = g_filename_display_name (file);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  g_autofree char *rev = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonObject) atts = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean same_atts = FALSE;
  JsonObject *old;
  gsize length = 0;
  GStatBuf st;

  if (!g_utf8_validate (rel, -1, NULL))
    {
      report_failure (run->report, shown, _("the file name is not UTF-8"));
      return TRUE;
    }
  if (g_stat (file, &st) != 0)
    {
      int saved = errno;
      g_autofree char *reason = g_strdup_printf (_("cannot read (%s)"), g_strerror (saved));

      report_failure (run->report, shown, reason);
      return TRUE;
    }
  if (S_ISDIR (st.st_mode))
    {
      report_failure (run->report, shown, _("is a folder, not a Markdown file"));
      return TRUE;
    }
  if (!S_ISREG (st.st_mode))
    {
      report_failure (run->report, shown, _("is not a regular file"));
      return TRUE;
    }
  if (st.st_size > MAX_PAGE_BYTES)
    {
      report_failure (run->report, shown, _("is too large for a page (over 16 MB)"));
      return TRUE;
    }
  if (!g_file_get_contents (file, &text, &length, &local_error))
    {
      g_autofree char *reason = g_strdup_printf (_("cannot read (%s)"), local_error->message);

      report_failure (run->report, shown, reason);
      return TRUE;
    }

  path = g_strndup (rel, strlen (rel) - 3);
  page = mer_import_parse_page (path, text, length, &local_error);
  if (page == NULL)
    {
      report_failure (run->report, shown, local_error->message);
      return TRUE;
    }

  id = mer_import_page_id (path);
  old = g_hash_table_lookup (run->by_path, path);
  if (old == NULL)
    old = g_hash_table_lookup (run->by_id, id);
  atts = _mer_import_attachments (run->files, rel, old, page, &same_atts, run->report);
  if (old != NULL && same_atts && page_unchanged (old, page))
    {
      run->report->unchanged++;
      return TRUE;
    }

  doc = build_doc (run, old, page, atts);
  rev = mer_store_put_doc (run->store, doc, &local_error);
  if (rev == NULL)
    {
      if (g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE)
          || g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NO_SPACE))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", shown);
          return FALSE;
        }
      report_failure (run->report, shown, local_error->message);
      return TRUE;
    }
  if (old != NULL)
    run->report->updated++;
  else
    run->report->created++;
  return TRUE;
}

static char *
now_utc (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

/*
 * Imports every Markdown file under @dir into @store in one transaction
 * (one commit for thousands of pages), with the files each page links to
 * as its attachments (see mer-import.h). A file that cannot be read or
 * parsed is listed in @report and writes nothing; the others import. A
 * link whose file does not come in is listed in @report's problems and
 * its page imports. A page whose fields and attachments already match its
 * files gets no new revision. Returns FALSE only
 * when @dir is not a readable folder or the replica fails; then nothing of
 * this import is kept.
 */
gboolean
mer_import_dir (MerStore         *store,
                const char       *dir,
                MerImportReport  *report,
                GError          **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonArray) pages = NULL;
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *now = now_utc ();
  g_autoptr(MerImportFiles) others = _mer_import_files_new (dir, mer_store_get_max_attachment_size (store));
  ImportRun run = { store, dir, by_path, by_id, now, report, others };

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *shown = g_filename_display_name (dir);

      g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_READ,
                   _("“%s” is not a folder"), shown);
      return FALSE;
    }

  collect_files (dir, NULL, files, report);

  if (!mer_store_begin (store, error))
    return FALSE;

  /* Read inside the transaction, so nothing changes between the comparison
   * and the write. */
  pages = mer_store_list_docs (store, "page", error);
  if (pages == NULL)
    {
      mer_store_rollback (store);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);
      const char *path = mer_json_get_string (page, "path");
      const char *id = mer_json_get_string (page, "_id");

      if (path != NULL && !g_hash_table_contains (by_path, path))
        g_hash_table_insert (by_path, (gpointer) path, page);
      if (id != NULL)
        g_hash_table_insert (by_id, (gpointer) id, page);
    }

  for (guint i = 0; i < files->len; i++)
    if (!import_file (&run, files->pdata[i], error))
      {
        mer_store_rollback (store);
        return FALSE;
      }

  if (!mer_store_commit (store, error))
    {
      mer_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

/* ---- Exporting --------------------------------------------------------- */

static int
yaml_write_cb (void          *data,
               unsigned char *buffer,
               size_t         size)
{
  g_string_append_len (data, (const char *) buffer, size);
  return 1;
}

/*
 * Text that a YAML reader would take for null, a boolean or a number is
 * quoted, so every reader gets the string back.
 */
static gboolean
needs_quotes (const char *value)
{
  static const char * const words[] = {
    "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
  };
  char *end = NULL;

  if (*value == '\0')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_ascii_strcasecmp (value, words[i]) == 0)
      return TRUE;
  g_ascii_strtod (value, &end);
  return end != NULL && *end == '\0';
}

static void
emit_scalar (yaml_emitter_t *emitter,
             const char     *value)
{
  yaml_event_t event;

  yaml_scalar_event_initialize (&event, NULL, NULL, (yaml_char_t *) value, strlen (value), 1, 1,
                                needs_quotes (value) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                                     : YAML_ANY_SCALAR_STYLE);
  yaml_emitter_emit (emitter, &event);
}

static void
emit_field (yaml_emitter_t *emitter,
            const char     *key,
            const char     *value)
{
  if (value == NULL)
    return;
  emit_scalar (emitter, key);
  emit_scalar (emitter, value);
}

static const char *
short_person (const char *id)
{
  if (id != NULL && g_str_has_prefix (id, "person:"))
    return id + strlen ("person:");
  return id;
}

static const char *
page_path (JsonObject *page)
{
  const char *path = mer_json_get_string (page, "path");
  const char *id = mer_json_get_string (page, "_id");

  if (path != NULL && *path != '\0')
    return path;
  if (id != NULL && g_str_has_prefix (id, "page:"))
    return id + strlen ("page:");
  return id;
}

/*
 * The file text of a page: a YAML front matter block (written with libyaml,
 * keys in a fixed order, so the same page always gives the same bytes) and
 * the Markdown body unchanged.
 */
char *
mer_export_page_text (JsonObject *page)
{
  g_autoptr(GString) yaml = g_string_new (NULL);
  const char *title = mer_json_get_string (page, "title");
  const char *body = mer_json_get_string (page, "body");
  JsonNode *tags = json_object_get_member (page, "tags");
  yaml_emitter_t emitter;
  yaml_event_t event;

  g_return_val_if_fail (page != NULL, NULL);

  if (title == NULL || *title == '\0')
    title = page_path (page);

  yaml_emitter_initialize (&emitter);
  yaml_emitter_set_output (&emitter, yaml_write_cb, yaml);
  yaml_emitter_set_unicode (&emitter, 1);
  yaml_emitter_set_width (&emitter, -1);
  yaml_emitter_set_break (&emitter, YAML_LN_BREAK);

  yaml_stream_start_event_initialize (&event, YAML_UTF8_ENCODING);
  yaml_emitter_emit (&emitter, &event);
  yaml_document_start_event_initialize (&event, NULL, NULL, NULL, 1);
  yaml_emitter_emit (&emitter, &event);
  yaml_mapping_start_event_initialize (&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
  yaml_emitter_emit (&emitter, &event);

  emit_field (&emitter, "title", title != NULL ? title : "");
  emit_field (&emitter, "owner", short_person (mer_json_get_string (page, "owner")));
  emit_field (&emitter, "review_by", mer_json_get_string (page, "review_by"));
  if (tags != NULL && JSON_NODE_HOLDS_ARRAY (tags) && json_array_get_length (json_node_get_array (tags)) > 0)
    {
      JsonArray *array = json_node_get_array (tags);

      emit_scalar (&emitter, "tags");
      yaml_sequence_start_event_initialize (&event, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
      yaml_emitter_emit (&emitter, &event);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *tag = json_node_get_string (json_array_get_element (array, i));

          if (tag != NULL)
            emit_scalar (&emitter, tag);
        }
      yaml_sequence_end_event_initialize (&event);
      yaml_emitter_emit (&emitter, &event);
    }
  emit_field (&emitter, "updated_by", short_person (mer_json_get_string (page, "updated_by")));
  emit_field (&emitter, "updated_at", mer_json_get_string (page, "updated_at"));

  yaml_mapping_end_event_initialize (&event);
  yaml_emitter_emit (&emitter, &event);
  yaml_document_end_event_initialize (&event, 1);
  yaml_emitter_emit (&emitter, &event);
  yaml_stream_end_event_initialize (&event);
  yaml_emitter_emit (&emitter, &event);
  yaml_emitter_flush (&emitter);
  yaml_emitter_delete (&emitter);

  return g_strconcat ("---\n", yaml->str, "---\n", body != NULL ? body : "", NULL);
}

/*
 * A page path is written as a file only when it stays inside the export
 * folder and comes back as the same path on import: no absolute paths, no
 * "." or ".." or empty parts, no hidden parts (import skips those).
 */
static gboolean
is_safe_path (const char *path)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL || *path == '\0' || !g_utf8_validate (path, -1, NULL))
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || parts[i][0] == '.' || strlen (parts[i]) > 240
        || strchr (parts[i], '\\') != NULL)
      return FALSE;
  return TRUE;
}

static int
compare_pages (gconstpointer a,
               gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode * const *) a);
  JsonObject *y = json_node_get_object (*(JsonNode * const *) b);
  int r = g_strcmp0 (page_path (x), page_path (y));

  return r != 0 ? r : g_strcmp0 (mer_json_get_string (x, "_id"), mer_json_get_string (y, "_id"));
}

/*
 * Writes @contents to @dir/@rel, making the folders between, without ever
 * following a symbolic link that is already inside @dir: a link placed
 * there (by a synced folder, another program, someone else on the
 * machine) would send the export anywhere the user can write. A folder or
 * file of @rel that is a link is refused, not replaced, so that what the
 * link pointed at is never touched. The file itself is replaced by a
 * rename, which never follows a link either. @dir itself is the user's
 * choice and may be a link. *@unchanged says the file already held
 * @contents and was left alone.
 */
gboolean
mer_export_write_file (const char  *dir,
                       const char  *rel,
                       const char  *contents,
                       gboolean    *unchanged,
                       GError     **error)
{
  return mer_export_write_bytes (dir, rel, contents, strlen (contents), unchanged, error);
}

/* mer_export_write_file() for bytes that may hold NULs (attachments). */
gboolean
mer_export_write_bytes (const char  *dir,
                        const char  *rel,
                        const void  *data,
                        gsize        length,
                        gboolean    *unchanged,
                        GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (rel, "/", -1);
  g_autofree char *here = g_strdup (dir);
  g_autofree char *old_text = NULL;
  gsize old_length = 0;
  guint n = g_strv_length (parts);
  GStatBuf info;

  *unchanged = FALSE;
  for (guint i = 0; i < n; i++)
    {
      char *next = g_build_filename (here, parts[i], NULL);

      g_free (here);
      here = next;
      if (g_lstat (here, &info) != 0)
        {
          int saved = errno;

          if (saved != ENOENT)
            {
              g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_READ, _("cannot write %s (%s)"),
                           rel, g_strerror (saved));
              return FALSE;
            }
          if (i + 1 < n && g_mkdir (here, 0755) != 0)
            {
              saved = errno;
              g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_READ,
                           _("cannot create the folder for %s (%s)"), rel, g_strerror (saved));
              return FALSE;
            }
          continue;
        }
      if (S_ISLNK (info.st_mode))
        {
          g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_BAD_PATH,
                       _("%s is a symbolic link inside the export folder; it is not followed"), rel);
          return FALSE;
        }
      if (i + 1 < n && !S_ISDIR (info.st_mode))
        {
          g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_BAD_PATH,
                       _("cannot write %s: a file is in the way of its folder"), rel);
          return FALSE;
        }
      if (i + 1 == n && !S_ISREG (info.st_mode))
        {
          g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_BAD_PATH,
                       _("cannot write %s: something other than a file has its name"), rel);
          return FALSE;
        }
    }

  if (g_file_get_contents (here, &old_text, &old_length, NULL)
      && old_length == length && memcmp (old_text, data, old_length) == 0)
    {
      *unchanged = TRUE;
      return TRUE;
    }
  return g_file_set_contents (here, data, (gssize) length, error);
}

static void
report_attachment_failure (MerImportReport *report,
                           const char      *id,
                           const char      *name,
                           const char      *reason)
{
  report->att_failed++;
  g_ptr_array_add (report->errors, g_strdup_printf ("%s: %s: %s", id, name, reason));
}

/*
 * The file an attachment is written to, relative to the export folder:
 * its name, which an import made the path of the file relative to the
 * imported folder, without the "./" put before a leading "_". NULL when
 * the name cannot be such a path, would come back as a page, or has a
 * hidden part: a peer's attachment named ".git/config" or
 * ".obsidian/plugins/..." must not land where a tool runs it.
 */
static char *
attachment_file (const char *name)
{
  g_auto(GStrv) parts = NULL;
  const char *rel = g_str_has_prefix (name, "./") ? name + 2 : name;
  gsize len = strlen (rel);

  if (*rel == '\0' || rel[0] == '/' || (len >= 3 && g_ascii_strcasecmp (rel + len - 3, ".md") == 0))
    return NULL;
  parts = g_strsplit (rel, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || parts[i][0] == '.')
      return NULL;
  return g_strdup (rel);
}

/*
 * Writes the attachments of @page next to it, each at the path its name
 * gives (see attachment_file()), so that the links of its Markdown find
 * them. Two pages may carry the same file (the same name and bytes); it
 * is written once. Problems are reported, per attachment.
 */
static void
export_attachments (MerStore        *store,
                    const char      *dir,
                    JsonObject      *page,
                    GHashTable      *written,
                    GHashTable      *att_written,
                    MerImportReport *report)
{
  const char *id = mer_json_get_string (page, "_id");
  JsonNode *node = json_object_get_member (page, "_attachments");
  g_autoptr(GList) names = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  names = json_object_get_members (json_node_get_object (node));
  names = g_list_sort (names, (GCompareFunc) strcmp);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      g_autofree char *rel = attachment_file (name);
      g_autoptr(MerAttachment) att = NULL;
      g_autoptr(GBytes) data = NULL;
      g_autoptr(GError) error = NULL;
      const char *done;
      gboolean unchanged = FALSE;

      if (rel == NULL)
        {
          report_attachment_failure (report, id, name, _("the name cannot be a file in the export folder"));
          continue;
        }
      if (g_hash_table_contains (written, rel))
        {
          report_attachment_failure (report, id, name, _("a page is written to the same file"));
          continue;
        }
      att = mer_store_get_attachment (store, id, NULL, name, &error);
      if (att != NULL)
        data = mer_store_read_blob (store, att->blob, &error);
      if (data == NULL)
        {
          report_attachment_failure (report, id, name, error->message);
          continue;
        }
      done = g_hash_table_lookup (att_written, rel);
      if (done != NULL)
        {
          if (strcmp (done, att->blob) != 0)
            report_attachment_failure (report, id, name,
                                       _("another page has a different file of the same name"));
          continue;
        }
      if (!mer_export_write_bytes (dir, rel, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                                   &unchanged, &error))
        {
          report_attachment_failure (report, id, name, error->message);
          continue;
        }
      g_hash_table_insert (att_written, g_strdup (rel), g_strdup (att->blob));
      report->att_linked++;
      report->att_files++;
      report->att_bytes += g_bytes_get_size (data);
      if (!unchanged)
        report->att_new++;
    }
}

static void
export_page (const char      *dir,
             JsonObject      *page,
             GHashTable      *written,
             MerImportReport *report)
{
  const char *path = page_path (page);
  const char *id = mer_json_get_string (page, "_id");
  g_autofree char *rel = NULL;
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gboolean unchanged = FALSE;
  gboolean existed;

  if (!is_safe_path (path))
    {
      g_autofree char *reason = g_strdup_printf (_("the path “%s” cannot be a file name"), path ? path : "");

      report_failure (report, id, reason);
      return;
    }
  rel = g_strconcat (path, ".md", NULL);
  file = g_build_filename (dir, rel, NULL);
  if (g_hash_table_contains (written, rel))
    {
      report_failure (report, id, _("another page has the same path"));
      return;
    }
  g_hash_table_add (written, g_strdup (rel));

  text = mer_export_page_text (page);
  existed = g_file_test (file, G_FILE_TEST_EXISTS);
  if (!mer_export_write_file (dir, rel, text, &unchanged, &error))
    {
      report_failure (report, id, error->message);
      return;
    }
  if (unchanged)
    {
      report->unchanged++;
      return;
    }
  if (existed)
    report->updated++;
  else
    report->created++;
}

/*
 * Writes every page of @store as DIR/<path>.md, the layout mer_import_dir()
 * reads, and its attachments as DIR/<name>, where its links find them.
 * Files already holding the same bytes are not rewritten; other files
 * in @dir are left alone. A page whose path cannot be a file, or an
 * attachment whose name cannot, is reported.
 */
gboolean
mer_export_dir (MerStore         *store,
                const char       *dir,
                MerImportReport  *report,
                GError          **error)
{
  g_autoptr(JsonArray) pages = NULL;
  g_autoptr(GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) att_written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_autofree char *shown = g_filename_display_name (dir);

      g_set_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_READ,
                   _("cannot create the folder “%s” (%s)"), shown, g_strerror (saved));
      return FALSE;
    }

  pages = mer_store_list_docs (store, "page", error);
  if (pages == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (pages); i++)
    g_ptr_array_add (sorted, json_array_get_element (pages, i));
  g_ptr_array_sort (sorted, compare_pages);

  for (guint i = 0; i < sorted->len; i++)
    export_page (dir, json_node_get_object (sorted->pdata[i]), written, report);
  /* Once every page file is known, so no attachment takes a page's place. */
  for (guint i = 0; i < sorted->len; i++)
    export_attachments (store, dir, json_node_get_object (sorted->pdata[i]), written, att_written, report);
  return TRUE;
}
