/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "meridian-core"

#include "config.h"

#include "mer-core.h"
#include "mer-json.h"
#include "mer-validate.h"

#include <string.h>

/*
 * What the replica engine is told of the team's documents: which kinds
 * search covers (pages, proposals, decisions, comments), the title and the
 * text of each one's search row, and the wiki links of pages and
 * proposals, which feed backlinks. The store runs the index (see
 * MerStoreIndexer); this decides what goes into it.
 */

/* The members extract_cb() reads besides "type" and "title", which the
 * store keeps anyway. */
static const char * const indexed_fields[] = {
  "body", "context", "decision", "consequences", "on", NULL,
};

static gboolean
indexes_type_cb (const char *type)
{
  return g_strcmp0 (type, "page") == 0 || g_strcmp0 (type, "proposal") == 0
         || g_strcmp0 (type, "decision") == 0 || g_strcmp0 (type, "comment") == 0;
}

static void
append_field (GString    *text,
              JsonObject *body,
              const char *member)
{
  const char *value = mer_json_get_string (body, member);

  if (value == NULL || *value == '\0')
    return;
  if (text->len > 0)
    g_string_append (text, "\n\n");
  g_string_append (text, value);
}

/*
 * The search row of a page or proposal is its title and Markdown; of a
 * decision, its title and its three parts; of a comment, the title of
 * what it is on and its text. Only pages and proposals link.
 */
static gboolean
extract_cb (MerStore    *store,
            JsonObject  *body,
            char       **title,
            char       **text,
            char      ***links)
{
  const char *type = mer_json_get_string (body, "type");
  g_autoptr(GString) out = g_string_new (NULL);

  if (g_strcmp0 (type, "page") == 0 || g_strcmp0 (type, "proposal") == 0)
    {
      *title = g_strdup (mer_json_get_string (body, "title"));
      append_field (out, body, "body");
      *links = mer_core_extract_links (mer_json_get_string (body, "body"));
    }
  else if (g_strcmp0 (type, "decision") == 0)
    {
      *title = g_strdup (mer_json_get_string (body, "title"));
      append_field (out, body, "context");
      append_field (out, body, "decision");
      append_field (out, body, "consequences");
    }
  else if (g_strcmp0 (type, "comment") == 0)
    {
      const char *on_id = mer_json_get_string (body, "on");
      g_autofree char *on = mer_store_dup_title (store, on_id);

      *title = g_strdup_printf ("Comment on %s", on ? on : on_id ?: "?");
      append_field (out, body, "body");
    }
  else
    return FALSE;
  *text = g_string_free (g_steal_pointer (&out), FALSE);
  return TRUE;
}

/*
 * The targets of [[Target]] and [[target|label]] links in @markdown, in
 * order, each once. Links inside code spans and fences are links too here:
 * the renderer decides what is shown, this only feeds backlinks.
 */
char **
mer_core_extract_links (const char *markdown)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *p = markdown;

  while (p != NULL && (p = strstr (p, "[[")) != NULL)
    {
      const char *end = strstr (p + 2, "]]");
      const char *bar;
      g_autofree char *inner = NULL;
      char *target;

      if (end == NULL)
        break;
      inner = g_strndup (p + 2, end - p - 2);
      p = end + 2;
      if (strchr (inner, '\n') != NULL || strchr (inner, '[') != NULL)
        continue;
      bar = strchr (inner, '|');
      target = g_strstrip (g_strndup (inner, bar ? (gsize) (bar - inner) : strlen (inner)));
      if (*target == '\0' || g_hash_table_contains (seen, target))
        {
          g_free (target);
          continue;
        }
      g_hash_table_add (seen, target);
      g_ptr_array_add (targets, target);
    }
  g_ptr_array_add (targets, NULL);
  g_ptr_array_set_free_func (targets, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&targets), FALSE);
}

/*
 * The index holds Markdown, so a snippet cut from it does too. For a
 * person reading a result: wiki and Markdown links become their words,
 * heading, list and quote markers, emphasis and code marks go, and the
 * lines run together. The match marks are kept.
 */
static char *
snippet_to_text_cb (const char *snippet)
{
  static GRegex *wiki_labelled, *wiki, *link, *heading, *line_marks, *marks, *spaces;
  static gsize compiled;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *h = NULL, *d = NULL, *e = NULL;

  if (snippet == NULL)
    return NULL;
  if (g_once_init_enter (&compiled))
    {
      wiki_labelled = g_regex_new ("\\[\\[[^\\]\\[|]*\\|([^\\]\\[]*)\\]\\]", G_REGEX_OPTIMIZE, 0, NULL);
      wiki = g_regex_new ("\\[\\[([^\\]\\[]*)\\]\\]", G_REGEX_OPTIMIZE, 0, NULL);
      /* A link the snippet cut off keeps its words too. */
      link = g_regex_new ("\\[([^\\]\\[]*)\\]\\((?:[^)\\s]*\\)|[^)\\s]*?(?=…?$))", G_REGEX_OPTIMIZE, 0, NULL);
      /* A heading is set off from the text after it by a dash. */
      heading = g_regex_new ("^[ \\t]*#{1,6}[ \\t]+([^\\n]*?)[ \\t#]*\\n(?=\\s*\\S)",
                             G_REGEX_OPTIMIZE | G_REGEX_MULTILINE, 0, NULL);
      line_marks = g_regex_new ("^[ \\t]*(#{1,6}[ \\t]+|[-*+][ \\t]+|\\d{1,9}[.)][ \\t]+|>[ \\t]?)",
                                G_REGEX_OPTIMIZE | G_REGEX_MULTILINE, 0, NULL);
      marks = g_regex_new ("\\*\\*|__|`|\\[\\[|\\]\\]", G_REGEX_OPTIMIZE, 0, NULL);
      spaces = g_regex_new ("\\s+", G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&compiled, 1);
    }
  a = g_regex_replace (wiki_labelled, snippet, -1, 0, "\\1", 0, NULL);
  b = g_regex_replace (wiki, a ? a : snippet, -1, 0, "\\1", 0, NULL);
  c = g_regex_replace (link, b ? b : snippet, -1, 0, "\\1", 0, NULL);
  h = g_regex_replace (heading, c ? c : snippet, -1, 0, "\\1 — ", 0, NULL);
  d = g_regex_replace (line_marks, h ? h : snippet, -1, 0, "", 0, NULL);
  e = g_regex_replace_literal (marks, d ? d : snippet, -1, 0, "", 0, NULL);
  return g_strstrip (g_regex_replace_literal (spaces, e ? e : snippet, -1, 0, " ", 0, NULL));
}

static const MerStoreIndexer core_indexer = {
  .fields = indexed_fields,
  .indexes_type = indexes_type_cb,
  .extract = extract_cb,
  .link_type = "page",
  .snippet_to_text = snippet_to_text_cb,
};

static gboolean
validate_doc_cb (MerStore    *store,
                 JsonObject  *doc,
                 gboolean     new_edits,
                 GError     **error)
{
  return mer_validate_write (store, doc, new_edits, error);
}

static gboolean
validate_revision_cb (MerStore     *store,
                      MerRevision  *revision,
                      GError      **error)
{
  return mer_validate_revision (store, revision, error);
}

/* The data contract, checked by the store on every way in. */
static const MerStoreValidator core_validator = {
  .validate_doc = validate_doc_cb,
  .validate_revision = validate_revision_cb,
};

/*
 * Tells the store how the team's documents are searched and what may be
 * written. Once per process, before the first store is opened:
 * mer_core_open_store() does it, so only a program that opens stores
 * otherwise needs to call it.
 */
void
mer_core_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      mer_store_set_indexer (&core_indexer);
      mer_store_set_validator (&core_validator);
      g_once_init_leave (&done, 1);
    }
}

/*
 * Opens the workspace in @data_dir as the team's replica: the store with
 * the domain's search index. Every program opens its workspace through
 * this, so that no process writes documents that search would then miss.
 */
MerStore *
mer_core_open_store (const char  *data_dir,
                     GError     **error)
{
  mer_core_init ();
  return mer_store_open (data_dir, error);
}
