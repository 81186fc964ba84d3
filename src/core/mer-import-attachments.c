/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-import-private.h"
#include "mer-json.h"
#include "mer-store-attachments.h"

#include <cmark-gfm.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

/*
 * The files a page links to, brought in as attachments of its revision
 * (the rules are in mer-import.h).
 *
 * Links are found the way the page is shown: cmark-gfm parses the body, so
 * a link inside a code span or block is not a link, and its URL comes with
 * backslash escapes, entities and angle brackets already undone. Obsidian's
 * "[[...]]" are found in the text nodes, as mer-markdown.c finds wiki links.
 *
 * Nothing outside the imported folder is ever read: a target is resolved
 * by its words first (".." may not climb above the folder), then by the
 * file system (realpath() of the file must lie inside realpath() of the
 * folder, so a symbolic link cannot lead out either).
 */

typedef enum
{
  LINK_IMAGE,   /* ![alt](target) */
  LINK_PLAIN,   /* [text](target) */
  LINK_EMBED,   /* ![[target]] */
  LINK_WIKI,    /* [[target]] */
} LinkKind;

typedef struct
{
  LinkKind  kind;
  char     *key;     /* the target as written; "[[target]]" for Obsidian's
                      * links, whose target is read another way */
  char     *target;  /* Markdown: the URL; Obsidian: the file part */
} Link;

struct _MerImportFiles
{
  char       *root;
  char       *real_root;  /* realpath() of root, to check where links lead */
  guint64     max_size;   /* the workspace's largest attachment */
  GHashTable *by_name;    /* file name -> GPtrArray of folder-relative
                           * paths, sorted; built on first use by an
                           * Obsidian link */
  GHashTable *seen;       /* folder-relative paths read in this import */
};

static void
link_free (Link *link)
{
  g_free (link->key);
  g_free (link->target);
  g_free (link);
}

void
_mer_import_problem_free (MerImportProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->file);
  g_free (problem->target);
  g_free (problem->reason);
  g_free (problem);
}

MerImportFiles *
_mer_import_files_new (const char *root,
                       guint64     max_size)
{
  MerImportFiles *files = g_new0 (MerImportFiles, 1);
  char *real = realpath (root, NULL);

  files->root = g_strdup (root);
  files->real_root = real != NULL ? g_strdup (real) : NULL;
  free (real);
  files->max_size = max_size;
  files->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return files;
}

void
_mer_import_files_free (MerImportFiles *files)
{
  if (files == NULL)
    return;
  g_free (files->root);
  g_free (files->real_root);
  g_clear_pointer (&files->by_name, g_hash_table_unref);
  g_hash_table_unref (files->seen);
  g_free (files);
}

/* ---- Finding the links ------------------------------------------------- */

static void
add_link (GPtrArray  *links,
          LinkKind    kind,
          const char *key,
          const char *target)
{
  Link *link = g_new0 (Link, 1);

  link->kind = kind;
  link->key = g_strdup (key);
  link->target = g_strdup (target);
  g_ptr_array_add (links, link);
}

/*
 * Obsidian's links in one run of text: "![[target|300]]",
 * "[[folder/file.pdf#page=2|label]]". The target is what precedes "|"
 * or "#".
 */
static void
scan_wiki_links (const char *text,
                 GPtrArray  *links)
{
  const char *p = text;
  const char *open;

  while ((open = strstr (p, "[[")) != NULL)
    {
      const char *close = strstr (open + 2, "]]");
      const char *again;
      g_autofree char *inner = NULL;
      g_autofree char *key = NULL;
      char *cut;
      gboolean embed;

      if (close == NULL)
        return;
      /* "[[a [[b]]": the link is the innermost one. */
      while ((again = g_strstr_len (open + 2, close - open - 2, "[[")) != NULL)
        open = again;
      embed = open > text && open[-1] == '!';
      inner = g_strndup (open + 2, close - open - 2);
      p = close + 2;
      if ((cut = strpbrk (inner, "|#")) != NULL)
        *cut = '\0';
      g_strstrip (inner);
      if (*inner == '\0' || strchr (inner, '\n') != NULL)
        continue;
      key = g_strconcat ("[[", inner, "]]", NULL);
      add_link (links, embed ? LINK_EMBED : LINK_WIKI, key, inner);
    }
}

/* Every link of @body, in the order written. */
static GPtrArray *
collect_links (const char *body)
{
  g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func ((GDestroyNotify) link_free);
  cmark_node *root = cmark_parse_document (body, strlen (body), CMARK_OPT_DEFAULT);
  cmark_iter *iter;
  cmark_event_type event;

  cmark_consolidate_text_nodes (root);
  iter = cmark_iter_new (root);
  while ((event = cmark_iter_next (iter)) != CMARK_EVENT_DONE)
    {
      cmark_node *node = cmark_iter_get_node (iter);
      cmark_node_type type = cmark_node_get_type (node);

      if (event != CMARK_EVENT_ENTER)
        continue;
      if (type == CMARK_NODE_IMAGE || type == CMARK_NODE_LINK)
        {
          const char *url = cmark_node_get_url (node);

          if (url != NULL && *url != '\0')
            add_link (links, type == CMARK_NODE_IMAGE ? LINK_IMAGE : LINK_PLAIN, url, url);
        }
      else if (type == CMARK_NODE_TEXT)
        {
          const char *text = cmark_node_get_literal (node);

          if (text != NULL && strstr (text, "[[") != NULL)
            scan_wiki_links (text, links);
        }
    }
  cmark_iter_free (iter);
  cmark_node_free (root);
  return g_steal_pointer (&links);
}

/* ---- Resolving them ---------------------------------------------------- */

static gboolean
is_markdown_path (const char *path)
{
  gsize len = strlen (path);

  return len >= 3 && g_ascii_strcasecmp (path + len - 3, ".md") == 0;
}

/* A file extension, as file names have them: ".png", ".pdf", not
 * "v1.2 notes". */
static gboolean
has_extension (const char *path)
{
  const char *base = strrchr (path, '/');
  const char *dot;
  gsize len;

  base = base != NULL ? base + 1 : path;
  dot = strrchr (base, '.');
  if (dot == NULL || dot == base)
    return FALSE;
  len = strlen (dot + 1);
  if (len == 0 || len > 10)
    return FALSE;
  for (const char *c = dot + 1; *c; c++)
    if (!g_ascii_isalnum (*c))
      return FALSE;
  return TRUE;
}

/*
 * @target joined to the folder @base ("" for the imported folder itself;
 * a @target starting with "/" starts there), "." and ".." resolved by
 * their words. NULL when it climbs out of the imported folder; "" for
 * the folder itself.
 */
static char *
join_path (const char *base,
           const char *target)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) words = NULL;

  if (target[0] != '/' && *base != '\0')
    {
      g_auto(GStrv) base_words = g_strsplit (base, "/", -1);

      for (guint i = 0; base_words[i] != NULL; i++)
        g_ptr_array_add (parts, g_strdup (base_words[i]));
    }
  words = g_strsplit (target, "/", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0' || strcmp (words[i], ".") == 0)
        continue;
      if (strcmp (words[i], "..") == 0)
        {
          if (parts->len == 0)
            return NULL;
          g_ptr_array_remove_index (parts, parts->len - 1);
          continue;
        }
      g_ptr_array_add (parts, g_strdup (words[i]));
    }
  g_ptr_array_add (parts, NULL);
  return g_strjoinv ("/", (char **) parts->pdata);
}

/*
 * The path a Markdown link's URL names, or NULL when it names no file of
 * the folder: a URL with a scheme ("https:", "mailto:", "data:"), one that
 * leaves the host ("//host/x") or only an anchor ("#part"). The query and
 * anchor are dropped and %XX decoded; a "%" that starts no escape stays
 * as it is ("100%.png").
 */
static char *
url_to_path (const char *url)
{
  const char *scheme = g_uri_peek_scheme (url);
  g_autofree char *plain = NULL;
  char *decoded;

  if (scheme != NULL || url[0] == '#' || g_str_has_prefix (url, "//"))
    return NULL;
  plain = g_strndup (url, strcspn (url, "?#"));
  if (*plain == '\0')
    return NULL;
  decoded = g_uri_unescape_string (plain, NULL);
  if (decoded == NULL)
    return g_steal_pointer (&plain);
  return decoded;
}

static void
index_folder (MerImportFiles *files,
              const char     *rel)
{
  g_autofree char *path = rel != NULL ? g_build_filename (files->root, rel, NULL) : g_strdup (files->root);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = rel != NULL ? g_strconcat (rel, "/", name, NULL) : g_strdup (name);
      g_autofree char *full = g_build_filename (files->root, child, NULL);
      GPtrArray *list;
      GStatBuf st;

      if (name[0] == '.' || g_lstat (full, &st) != 0)
        continue;
      /* Links to folders are not followed, as collect_files() does not. */
      if (S_ISDIR (st.st_mode))
        {
          index_folder (files, child);
          continue;
        }
      if (is_markdown_path (name) || !g_utf8_validate (child, -1, NULL))
        continue;
      list = g_hash_table_lookup (files->by_name, name);
      if (list == NULL)
        {
          list = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (files->by_name, g_strdup (name), list);
        }
      g_ptr_array_add (list, g_steal_pointer (&child));
    }
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The folder of a folder-relative path: "" at the top. */
static char *
folder_of (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash != NULL ? g_strndup (path, slash - path) : g_strdup ("");
}

/*
 * Obsidian's search by name: of the files whose path ends with @target
 * (one whole name or more), the one in the page's folder @page_dir, else
 * the one with the shortest path, else the first in byte order.
 */
static char *
find_by_name (MerImportFiles *files,
              const char     *page_dir,
              const char     *target)
{
  const char *base = strrchr (target, '/');
  g_autofree char *suffix = g_strconcat ("/", target, NULL);
  GPtrArray *list;
  const char *best = NULL;
  gboolean best_near = FALSE;

  if (files->by_name == NULL)
    {
      GHashTableIter iter;
      gpointer value;

      files->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_ptr_array_unref);
      index_folder (files, NULL);
      g_hash_table_iter_init (&iter, files->by_name);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_sort (value, compare_paths);
    }
  list = g_hash_table_lookup (files->by_name, base != NULL ? base + 1 : target);
  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      const char *path = list->pdata[i];
      g_autofree char *dir = NULL;
      gboolean near;

      if (strcmp (path, target) != 0 && !g_str_has_suffix (path, suffix))
        continue;
      dir = folder_of (path);
      near = strcmp (dir, page_dir) == 0;
      if (best == NULL || (near && !best_near)
          || (near == best_near && strlen (path) < strlen (best)))
        {
          best = path;
          best_near = near;
        }
    }
  return g_strdup (best);
}

typedef enum
{
  RESOLVED,    /* *path is the folder-relative path of the file */
  NOT_A_FILE,  /* a page, a folder, a web address: not an attachment */
  MISSING,
  OUTSIDE,
} Resolution;

/* Whether @path (folder-relative) is a file, a folder or not there. */
static int
file_kind (MerImportFiles *files,
           const char     *path)
{
  g_autofree char *full = g_build_filename (files->root, path, NULL);
  GStatBuf st;

  if (g_stat (full, &st) != 0)
    return 0;
  return S_ISDIR (st.st_mode) ? 2 : 1;
}

static Resolution
resolve_link (MerImportFiles  *files,
              const char      *page_dir,
              Link            *link,
              char           **path)
{
  g_autofree char *target = NULL;
  g_autofree char *joined = NULL;
  int kind;

  if (link->kind == LINK_IMAGE || link->kind == LINK_PLAIN)
    {
      target = url_to_path (link->target);
      if (target == NULL || !g_utf8_validate (target, -1, NULL))
        return NOT_A_FILE;
      if (is_markdown_path (target))
        return NOT_A_FILE;
      joined = join_path (page_dir, target);
      if (joined == NULL)
        return OUTSIDE;
      if (*joined == '\0')
        return NOT_A_FILE;
      kind = file_kind (files, joined);
      if (kind == 2)
        return NOT_A_FILE;
      if (kind == 1)
        {
          *path = g_steal_pointer (&joined);
          return RESOLVED;
        }
      /* A link with no extension to nothing is most likely a page. */
      if (link->kind != LINK_IMAGE && !has_extension (joined))
        return NOT_A_FILE;
      /* Obsidian writes Markdown links too as a path from the top of the
       * vault, or as the shortest path that is unique there. */
      g_clear_pointer (&joined, g_free);
      joined = join_path ("", target);
      if (joined == NULL || *joined == '\0' || strstr (target, "..") != NULL)
        return MISSING;
      if (file_kind (files, joined) == 1)
        {
          *path = g_steal_pointer (&joined);
          return RESOLVED;
        }
      *path = find_by_name (files, page_dir, joined);
      return *path != NULL ? RESOLVED : MISSING;
    }

  /* Obsidian: "[[Some note]]" and "![[Some note]]" are notes. */
  target = g_strdup (link->target);
  if (is_markdown_path (target) || !has_extension (target))
    return NOT_A_FILE;
  joined = join_path ("", target);
  if (joined == NULL)
    return OUTSIDE;
  if (*joined != '\0' && file_kind (files, joined) == 1)
    {
      *path = g_steal_pointer (&joined);
      return RESOLVED;
    }
  g_clear_pointer (&joined, g_free);
  if (g_str_has_prefix (target, "./") || g_str_has_prefix (target, "../"))
    {
      joined = join_path (page_dir, target);
      if (joined == NULL)
        return OUTSIDE;
      if (*joined != '\0' && file_kind (files, joined) == 1)
        {
          *path = g_steal_pointer (&joined);
          return RESOLVED;
        }
      return MISSING;
    }
  *path = find_by_name (files, page_dir, target);
  return *path != NULL ? RESOLVED : MISSING;
}

/* Whether a part of @path starts with "." (".git", ".obsidian"). */
static gboolean
has_hidden_part (const char *path)
{
  return path[0] == '.' || strstr (path, "/.") != NULL;
}

/* The attachment name of a folder-relative path (see mer-import.h). */
static char *
attachment_name (const char *path)
{
  if (path[0] == '_')
    return g_strconcat ("./", path, NULL);
  return g_strdup (path);
}

/* The type of a file from its name and first bytes, as a MIME type. */
static char *
guess_content_type (const char *name,
                    GBytes     *data)
{
  gsize length = 0;
  const guchar *bytes = g_bytes_get_data (data, &length);
  g_autofree char *type = g_content_type_guess (name, bytes, MIN (length, 4096), NULL);
  char *mime = NULL;

  if (type != NULL && !g_content_type_is_unknown (type))
    mime = g_content_type_get_mime_type (type);
  return mime != NULL ? mime : g_strdup ("application/octet-stream");
}

/*
 * Reads the file at @path (folder-relative), once it is known to be a
 * regular file inside the folder and within the size limit. Otherwise
 * NULL, with the problem's kind, a reason and the size.
 */
static GBytes *
read_file (MerImportFiles        *files,
           const char            *path,
           MerImportProblemKind  *kind,
           char                 **reason,
           gint64                *size)
{
  g_autofree char *full = g_build_filename (files->root, path, NULL);
  g_autoptr(GError) error = NULL;
  char *real = realpath (full, NULL);
  gboolean inside;
  char *text = NULL;
  gsize length = 0;
  GStatBuf st;

  *kind = MER_IMPORT_PROBLEM_REFUSED;
  if (real == NULL)
    {
      int saved = errno;

      *kind = saved == ENOENT ? MER_IMPORT_PROBLEM_MISSING : MER_IMPORT_PROBLEM_REFUSED;
      *reason = g_strdup_printf (_("cannot read it (%s)"), g_strerror (saved));
      return NULL;
    }
  inside = files->real_root != NULL && g_str_has_prefix (real, files->real_root)
           && (real[strlen (files->real_root)] == '/' || strcmp (files->real_root, "/") == 0);
  if (!inside || g_stat (real, &st) != 0 || !S_ISREG (st.st_mode))
    {
      *reason = g_strdup (inside ? _("not a regular file")
                                 : _("a symbolic link leads outside the imported folder"));
      free (real);
      return NULL;
    }
  if ((guint64) st.st_size > files->max_size)
    {
      *kind = MER_IMPORT_PROBLEM_TOO_LARGE;
      *size = st.st_size;
      *reason = g_strdup_printf (_("larger than the workspace's limit of %" PRIu64 " bytes"),
                                 (uint64_t) files->max_size);
      free (real);
      return NULL;
    }
  if (!g_file_get_contents (real, &text, &length, &error))
    {
      *reason = g_strdup_printf (_("cannot read it (%s)"), error->message);
      free (real);
      return NULL;
    }
  free (real);
  if ((guint64) length > files->max_size)
    {
      g_free (text);
      *kind = MER_IMPORT_PROBLEM_TOO_LARGE;
      *size = (gint64) length;
      *reason = g_strdup_printf (_("larger than the workspace's limit of %" PRIu64 " bytes"),
                                 (uint64_t) files->max_size);
      return NULL;
    }
  return g_bytes_new_take (text, length);
}

/* ---- The attachments of one page --------------------------------------- */

/* A member that is an object, or NULL. */
static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonObject *
stub_entry (const char *digest)
{
  JsonObject *entry = json_object_new ();

  json_object_set_boolean_member (entry, "stub", TRUE);
  json_object_set_string_member (entry, "digest", digest);
  return entry;
}

static const char *
old_digest (JsonObject *old_atts,
            const char *name)
{
  JsonObject *entry;

  entry = object_member (old_atts, name);
  return entry != NULL ? mer_json_get_string (entry, "digest") : NULL;
}

/* Whether @old_links (the page's "attachment_links") names @name. */
static gboolean
import_brought (JsonObject *old_links,
                const char *name)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (old_links == NULL)
    return FALSE;
  json_object_iter_init (&iter, old_links);
  while (json_object_iter_next (&iter, &key, &value))
    if (JSON_NODE_HOLDS_VALUE (value) && g_strcmp0 (json_node_get_string (value), name) == 0)
      return TRUE;
  return FALSE;
}

/* Whether the attachments to write are those of the revision there. */
static gboolean
same_attachments (JsonObject *old_atts,
                  JsonObject *atts)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if ((old_atts != NULL ? json_object_get_size (old_atts) : 0) != json_object_get_size (atts))
    return FALSE;
  json_object_iter_init (&iter, atts);
  while (json_object_iter_next (&iter, &name, &node))
    if (!mer_json_get_bool (json_node_get_object (node), "stub"))
      return FALSE;
  return TRUE;
}

static MerImportProblem *
add_problem (MerImportReport      *report,
             MerImportProblemKind  kind,
             const char           *file,
             const char           *target,
             char                 *reason)
{
  MerImportProblem *problem = g_new0 (MerImportProblem, 1);

  problem->kind = kind;
  problem->file = g_strdup (file);
  problem->target = g_strdup (target);
  problem->reason = reason;
  g_ptr_array_add (report->problems, problem);
  return problem;
}

/*
 * The "_attachments" to write for the page parsed from the file @rel
 * (folder-relative) as @page, over @old (the page there, or NULL): for
 * each file its links name, a stub when @old has the same bytes under
 * that name, else the bytes in base64. Sets "attachment_links" on @page
 * when any link found its file; *@unchanged says the attachments are
 * those of @old. Links that found nothing go to @report's problems.
 */
JsonObject *
_mer_import_attachments (MerImportFiles  *files,
                         const char      *rel,
                         JsonObject      *old,
                         JsonObject      *page,
                         gboolean        *unchanged,
                         MerImportReport *report)
{
  const char *body = mer_json_get_string (page, "body");
  g_autoptr(GPtrArray) links = collect_links (body != NULL ? body : "");
  g_autofree char *page_dir = folder_of (rel);
  JsonObject *old_atts = object_member (old, "_attachments");
  JsonObject *old_links = object_member (old, "attachment_links");
  g_autoptr(JsonObject) map = json_object_new ();
  JsonObject *atts = json_object_new ();

  for (guint i = 0; i < links->len; i++)
    {
      Link *link = links->pdata[i];
      g_autofree char *path = NULL;
      g_autofree char *name = NULL;
      g_autofree char *digest = NULL;
      g_autoptr(GBytes) data = NULL;
      g_autoptr(GError) error = NULL;
      MerImportProblemKind kind = MER_IMPORT_PROBLEM_MISSING;
      char *reason = NULL;
      gint64 size = 0;
      const char *had;

      if (json_object_has_member (map, link->key))
        continue;
      switch (resolve_link (files, page_dir, link, &path))
        {
        case NOT_A_FILE:
          continue;
        case MISSING:
          kind = MER_IMPORT_PROBLEM_MISSING;
          reason = g_strdup (_("no such file in the imported folder"));
          break;
        case OUTSIDE:
          kind = MER_IMPORT_PROBLEM_REFUSED;
          reason = g_strdup (_("outside the imported folder"));
          break;
        case RESOLVED:
          name = attachment_name (path);
          if (has_hidden_part (path))
            {
              /* An export would have to write it there, and a peer could
               * then name ".git/config" or ".obsidian/plugins/...". */
              kind = MER_IMPORT_PROBLEM_REFUSED;
              reason = g_strdup (_("in a hidden folder or file, which imports and exports skip"));
            }
          else if (!mer_attachment_check_name (name, &error))
            {
              kind = MER_IMPORT_PROBLEM_REFUSED;
              reason = g_strdup (error->message);
            }
          else
            data = read_file (files, path, &kind, &reason, &size);
          break;
        default:
          g_assert_not_reached ();
        }

      if (data == NULL)
        {
          MerImportProblem *problem = add_problem (report, kind, rel, link->key, reason);
          const char *was = old_links != NULL ? mer_json_get_string (old_links, link->key) : NULL;

          problem->size = size;
          /* The workspace's copy stays until the folder has the file. */
          if (was != NULL && old_digest (old_atts, was) != NULL)
            {
              problem->kept = TRUE;
              json_object_set_string_member (map, link->key, was);
              if (!json_object_has_member (atts, was))
                json_object_set_object_member (atts, was, stub_entry (old_digest (old_atts, was)));
            }
          continue;
        }

      json_object_set_string_member (map, link->key, name);
      if (json_object_has_member (atts, name))
        continue;
      digest = mer_attachment_digest (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
      report->att_linked++;
      if (!g_hash_table_contains (files->seen, path))
        {
          report->att_files++;
          report->att_bytes += g_bytes_get_size (data);
          g_hash_table_add (files->seen, g_strdup (path));
        }
      had = old_digest (old_atts, name);
      if (had != NULL && strcmp (had, digest) == 0)
        json_object_set_object_member (atts, name, stub_entry (digest));
      else
        {
          JsonObject *entry = json_object_new ();
          g_autofree char *type = guess_content_type (name, data);
          g_autofree char *base64 = g_base64_encode (g_bytes_get_data (data, NULL), g_bytes_get_size (data));

          json_object_set_string_member (entry, "content_type", type);
          json_object_set_string_member (entry, "data", base64);
          json_object_set_object_member (atts, name, entry);
          report->att_new++;
        }
    }

  /* What the import did not bring stays; what it brought and no link
   * names any more goes. */
  if (old_atts != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init (&iter, old_atts);
      while (json_object_iter_next (&iter, &name, &node))
        if (!json_object_has_member (atts, name) && !import_brought (old_links, name)
            && old_digest (old_atts, name) != NULL)
          json_object_set_object_member (atts, name, stub_entry (old_digest (old_atts, name)));
    }

  if (json_object_get_size (map) > 0)
    json_object_set_object_member (page, "attachment_links", g_steal_pointer (&map));
  *unchanged = same_attachments (old_atts, atts);
  return atts;
}

/* ---- The report as JSON ------------------------------------------------ */

const char *
mer_import_problem_kind_name (MerImportProblemKind kind)
{
  switch (kind)
    {
    case MER_IMPORT_PROBLEM_MISSING:
      return "missing";
    case MER_IMPORT_PROBLEM_REFUSED:
      return "refused";
    case MER_IMPORT_PROBLEM_TOO_LARGE:
      return "too_large";
    default:
      g_assert_not_reached ();
    }
}

/*
 * The report as `meridian import --json` and `export --json` print it:
 * the counters, the failed files, the attachments' counters and, for an
 * import, the problems grouped by kind (see the README).
 */
JsonNode *
mer_import_report_to_json (MerImportReport *report)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  static const MerImportProblemKind kinds[] = {
    MER_IMPORT_PROBLEM_MISSING, MER_IMPORT_PROBLEM_REFUSED, MER_IMPORT_PROBLEM_TOO_LARGE,
  };

  g_return_val_if_fail (report != NULL, NULL);

  json_builder_begin_object (builder);
#define ADD_INT(name, value) \
  json_builder_set_member_name (builder, name); \
  json_builder_add_int_value (builder, (gint64) (value))
  ADD_INT ("created", report->created);
  ADD_INT ("updated", report->updated);
  ADD_INT ("unchanged", report->unchanged);
  ADD_INT ("failed", report->failed);
  json_builder_set_member_name (builder, "errors");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->errors->len; i++)
    json_builder_add_string_value (builder, report->errors->pdata[i]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "attachments");
  json_builder_begin_object (builder);
  ADD_INT ("linked", report->att_linked);
  ADD_INT ("new", report->att_new);
  ADD_INT ("files", report->att_files);
  ADD_INT ("bytes", report->att_bytes);
  ADD_INT ("failed", report->att_failed);
  json_builder_end_object (builder);

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      json_builder_set_member_name (builder, mer_import_problem_kind_name (kinds[k]));
      json_builder_begin_array (builder);
      for (guint i = 0; i < report->problems->len; i++)
        {
          MerImportProblem *problem = report->problems->pdata[i];

          if (problem->kind != kinds[k])
            continue;
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "page");
          json_builder_add_string_value (builder, problem->file);
          json_builder_set_member_name (builder, "target");
          json_builder_add_string_value (builder, problem->target);
          json_builder_set_member_name (builder, "reason");
          json_builder_add_string_value (builder, problem->reason);
          if (problem->kind == MER_IMPORT_PROBLEM_TOO_LARGE)
            {
              ADD_INT ("bytes", problem->size);
            }
          json_builder_set_member_name (builder, "kept");
          json_builder_add_boolean_value (builder, problem->kept);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
#undef ADD_INT
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
