/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Markdown to safe HTML.
 *
 * Pages arrive from peers, so their Markdown is hostile until rendered.
 * cmark-gfm parses it into a tree which we clean before anything is
 * rendered: raw HTML nodes are removed, links whose URL is not on a short
 * list of schemes are unwrapped into their text, and images that would load
 * from the network become plain links.  The renderer then runs in its own
 * safe mode as a second line of defence.  Wiki links are turned into real
 * link nodes in the same pass, so they are never seen inside code spans or
 * code blocks.
 */

#include "config.h"

#include "mer-markdown.h"
#include "mer-store.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#define PARSE_OPTIONS  (CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_SMART)
#define RENDER_OPTIONS (CMARK_OPT_DEFAULT)

static const char * const extension_names[] = {
  "table", "tasklist", "strikethrough", "autolink",
};

static const char * const safe_link_schemes[] = {
  "http", "https", "mailto", "meridian",
};

static const char * const safe_image_data_types[] = {
  "data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp",
};

void
mer_heading_free (MerHeading *heading)
{
  if (heading == NULL)
    return;
  g_free (heading->text);
  g_free (heading->anchor);
  g_free (heading);
}

/* The extension registry of cmark-gfm is a process-wide list filled without
 * locking, so fill it exactly once. */
static void
ensure_extensions (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      cmark_gfm_core_extensions_ensure_registered ();
      g_once_init_leave (&registered, 1);
    }
}

static cmark_node *
parse_markdown (const char    *markdown,
                cmark_parser **parser_out)
{
  cmark_parser *parser;

  ensure_extensions ();
  parser = cmark_parser_new (PARSE_OPTIONS);
  for (guint i = 0; i < G_N_ELEMENTS (extension_names); i++)
    {
      cmark_syntax_extension *ext = cmark_find_syntax_extension (extension_names[i]);

      if (ext != NULL)
        cmark_parser_attach_syntax_extension (parser, ext);
      else
        g_warning ("cmark-gfm extension “%s” is missing", extension_names[i]);
    }

  if (markdown != NULL)
    cmark_parser_feed (parser, markdown, strlen (markdown));

  *parser_out = parser;
  return cmark_parser_finish (parser);
}

/* Browsers ignore ASCII whitespace and control characters inside a URL's
 * scheme ("java\tscript:"), so we look at the URL the way they do. */
static char *
url_squeeze (const char *url)
{
  GString *out = g_string_new (NULL);

  for (const char *p = url; *p != '\0'; p++)
    if ((guchar) *p > 0x20 && (guchar) *p != 0x7f)
      g_string_append_c (out, *p);

  return g_string_free (out, FALSE);
}

/* Returns the lower-cased scheme of URL, "" for a relative URL, or NULL for
 * one that leaves the page's own origin without naming a scheme
 * ("//host/x", "\\host"). */
static char *
url_scheme (const char *url)
{
  g_autofree char *squeezed = url_squeeze (url);
  const char *end;

  if ((squeezed[0] == '/' || squeezed[0] == '\\')
      && (squeezed[1] == '/' || squeezed[1] == '\\'))
    return NULL;

  end = strpbrk (squeezed, ":/?#\\");
  if (end == NULL || *end != ':')
    return g_strdup ("");

  return g_ascii_strdown (squeezed, end - squeezed);
}

/**
 * mer_markdown_is_safe_url:
 *
 * Whether a link may point at URL: http, https, mailto, meridian and
 * relative URLs are kept; every other scheme (javascript:, vbscript:,
 * data:, file:, ...) is not.
 */
gboolean
mer_markdown_is_safe_url (const char *url)
{
  g_autofree char *scheme = NULL;

  g_return_val_if_fail (url != NULL, FALSE);

  scheme = url_scheme (url);
  if (scheme == NULL)
    return FALSE;
  if (scheme[0] == '\0')
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (safe_link_schemes); i++)
    if (strcmp (scheme, safe_link_schemes[i]) == 0)
      return TRUE;

  return FALSE;
}

/* Images may only come from the workspace itself (meridian: or relative,
 * which resolves against the page's meridian: address) or be inline
 * raster data: the page's Content-Security-Policy allows nothing else, and
 * an image from the network would tell a tracker who read the page. */
static gboolean
is_safe_image_url (const char *url)
{
  g_autofree char *scheme = url_scheme (url);
  g_autofree char *squeezed = NULL;

  if (scheme == NULL)
    return FALSE;
  if (scheme[0] == '\0' || strcmp (scheme, "meridian") == 0)
    return TRUE;
  if (strcmp (scheme, "data") != 0)
    return FALSE;

  squeezed = g_ascii_strdown (url, -1);
  for (guint i = 0; i < G_N_ELEMENTS (safe_image_data_types); i++)
    {
      gsize len = strlen (safe_image_data_types[i]);

      if (strncmp (squeezed, safe_image_data_types[i], len) == 0
          && (squeezed[len] == ';' || squeezed[len] == ','))
        return TRUE;
    }

  return FALSE;
}

char *
mer_markdown_page_uri (const char *page_id)
{
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (page_id != NULL, NULL);

  escaped = g_uri_escape_string (page_id, NULL, FALSE);
  return g_strconcat (MER_MARKDOWN_PAGE_URI_PREFIX, escaped, NULL);
}

char *
mer_markdown_new_page_uri (const char *target)
{
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (target != NULL, NULL);

  escaped = g_uri_escape_string (target, NULL, FALSE);
  return g_strconcat (MER_MARKDOWN_NEW_PAGE_URI_PREFIX, escaped, NULL);
}

static char *
unescape_after_prefix (const char *uri,
                       const char *prefix)
{
  g_autofree char *part = NULL;
  char *hash;

  if (uri == NULL || !g_str_has_prefix (uri, prefix))
    return NULL;

  part = g_strdup (uri + strlen (prefix));
  hash = strchr (part, '#');
  if (hash != NULL)
    *hash = '\0';
  if (part[0] == '\0')
    return NULL;

  return g_uri_unescape_string (part, NULL);
}

/* The inverse of mer_markdown_page_uri(): NULL when URI is not a page link.
 * A "#fragment" is ignored. */
char *
mer_markdown_page_id_from_uri (const char *uri)
{
  return unescape_after_prefix (uri, MER_MARKDOWN_PAGE_URI_PREFIX);
}

char *
mer_markdown_new_page_target_from_uri (const char *uri)
{
  return unescape_after_prefix (uri, MER_MARKDOWN_NEW_PAGE_URI_PREFIX);
}

char *
mer_markdown_attachment_uri (const char *doc_id,
                             const char *rev,
                             const char *name)
{
  g_autofree char *id_part = NULL;
  g_autofree char *rev_part = NULL;
  g_autofree char *name_part = NULL;

  g_return_val_if_fail (doc_id != NULL && rev != NULL && name != NULL, NULL);

  id_part = g_uri_escape_string (doc_id, NULL, FALSE);
  rev_part = g_uri_escape_string (rev, NULL, FALSE);
  name_part = g_uri_escape_string (name, NULL, FALSE);
  return g_strconcat (MER_MARKDOWN_ATTACHMENT_URI_PREFIX, id_part, "/", rev_part, "/", name_part, NULL);
}

/* The inverse of mer_markdown_attachment_uri(): FALSE when URI is not the
 * address of an attachment.  A "?query" or "#fragment" is ignored. */
gboolean
mer_markdown_parse_attachment_uri (const char  *uri,
                                   char       **doc_id,
                                   char       **rev,
                                   char       **name)
{
  g_autofree char *rest = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *id_part = NULL;
  g_autofree char *rev_part = NULL;
  g_autofree char *name_part = NULL;

  if (uri == NULL || !g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX))
    return FALSE;

  rest = g_strdup (uri + strlen (MER_MARKDOWN_ATTACHMENT_URI_PREFIX));
  rest[strcspn (rest, "?#")] = '\0';
  parts = g_strsplit (rest, "/", -1);
  if (g_strv_length (parts) != 3)
    return FALSE;
  id_part = g_uri_unescape_string (parts[0], NULL);
  rev_part = g_uri_unescape_string (parts[1], NULL);
  name_part = g_uri_unescape_string (parts[2], NULL);
  if (id_part == NULL || rev_part == NULL || name_part == NULL
      || id_part[0] == '\0' || rev_part[0] == '\0' || name_part[0] == '\0')
    return FALSE;

  if (doc_id != NULL)
    *doc_id = g_steal_pointer (&id_part);
  if (rev != NULL)
    *rev = g_steal_pointer (&rev_part);
  if (name != NULL)
    *name = g_steal_pointer (&name_part);
  return TRUE;
}

/* The image types a page shows inline, in an <img>: raster formats the
 * web view decodes, and SVG, which an <img> renders with no script and no
 * loads of its own.  A content type a peer gave is otherwise never trusted. */
gboolean
mer_markdown_is_image_type (const char *content_type)
{
  static const char * const image_types[] = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", NULL
  };
  g_autofree char *type = NULL;

  if (content_type == NULL)
    return FALSE;
  type = g_ascii_strdown (content_type, -1);
  type[strcspn (type, ";")] = '\0';
  g_strstrip (type);
  return g_strv_contains (image_types, type);
}

/* An anchor id from heading text, the way GitHub makes them: lower case,
 * letters and digits kept, spaces and dashes become one dash, the rest is
 * dropped.  Non-ASCII letters are kept so that headings in any script get
 * readable anchors. */
char *
mer_markdown_anchor_for (const char *text)
{
  g_autofree char *lower = NULL;
  GString *out;
  gboolean dash = FALSE;

  g_return_val_if_fail (text != NULL, NULL);

  lower = g_utf8_strdown (text, -1);
  out = g_string_new (NULL);

  for (const char *p = lower; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        {
          if (dash && out->len > 0)
            g_string_append_c (out, '-');
          dash = FALSE;
          g_string_append_unichar (out, c);
        }
      else if (g_unichar_isspace (c) || c == '-' || c == '_')
        dash = TRUE;
    }

  if (out->len == 0)
    g_string_append (out, "section");

  return g_string_free (out, FALSE);
}

static void
collect_text (cmark_node *node,
              GString    *out)
{
  for (cmark_node *child = cmark_node_first_child (node);
       child != NULL;
       child = cmark_node_next (child))
    {
      switch (cmark_node_get_type (child))
        {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
          g_string_append (out, cmark_node_get_literal (child));
          break;
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
          g_string_append_c (out, ' ');
          break;
        default:
          collect_text (child, out);
          break;
        }
    }
}

/* Collects every node of the tree once, in document order, so that the
 * passes below can change the tree without upsetting an iterator. */
static GPtrArray *
collect_nodes (cmark_node *root)
{
  GPtrArray *nodes = g_ptr_array_new ();
  cmark_iter *iter = cmark_iter_new (root);
  cmark_event_type ev;

  while ((ev = cmark_iter_next (iter)) != CMARK_EVENT_DONE)
    if (ev == CMARK_EVENT_ENTER)
      g_ptr_array_add (nodes, cmark_iter_get_node (iter));

  cmark_iter_free (iter);
  return nodes;
}

static void
unwrap_node (cmark_node *node)
{
  cmark_node *child;

  while ((child = cmark_node_first_child (node)) != NULL)
    cmark_node_insert_before (node, child);
  cmark_node_free (node);
}

static gboolean
is_blank_paragraph (cmark_node *paragraph)
{
  for (cmark_node *child = cmark_node_first_child (paragraph);
       child != NULL;
       child = cmark_node_next (child))
    {
      cmark_node_type type = cmark_node_get_type (child);
      const char *literal;

      if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK)
        continue;
      if (type != CMARK_NODE_TEXT)
        return FALSE;
      literal = cmark_node_get_literal (child);
      for (const char *p = literal; p != NULL && *p != '\0'; p++)
        if (!g_ascii_isspace (*p))
          return FALSE;
    }

  return TRUE;
}

/* Raw HTML is never rendered: not blocks (<script>, <iframe>, <div
 * onclick>), not inline tags (<img onerror>, <span style>).  The text
 * between inline tags stays; a paragraph left with nothing to show goes. */
static void
remove_raw_html (cmark_node *root)
{
  g_autoptr(GPtrArray) nodes = collect_nodes (root);
  g_autoptr(GPtrArray) touched = g_ptr_array_new ();

  for (guint i = 0; i < nodes->len; i++)
    {
      cmark_node *node = nodes->pdata[i];
      cmark_node_type type = cmark_node_get_type (node);

      if (type == CMARK_NODE_HTML_BLOCK || type == CMARK_NODE_HTML_INLINE)
        {
          cmark_node *parent = cmark_node_parent (node);

          cmark_node_free (node);
          if (parent != NULL
              && cmark_node_get_type (parent) == CMARK_NODE_PARAGRAPH
              && !g_ptr_array_find (touched, parent, NULL))
            g_ptr_array_add (touched, parent);
        }
    }

  /* Paragraphs hold only inlines, so none of them was freed above. */
  for (guint i = 0; i < touched->len; i++)
    if (is_blank_paragraph (touched->pdata[i]))
      cmark_node_free (touched->pdata[i]);
}

static void
sanitize_link (cmark_node *link)
{
  const char *url = cmark_node_get_url (link);

  if (url == NULL || !mer_markdown_is_safe_url (url))
    unwrap_node (link);
}

/* An image that is not allowed to load becomes a link to it when the link
 * itself is safe (so a reader can still open it in a browser), or just its
 * description otherwise. */
static void
sanitize_image (cmark_node *image)
{
  const char *url = cmark_node_get_url (image);
  cmark_node *link;
  cmark_node *child;

  if (url != NULL && is_safe_image_url (url))
    return;

  if (url == NULL || !mer_markdown_is_safe_url (url) || url[0] == '\0')
    {
      unwrap_node (image);
      return;
    }

  link = cmark_node_new (CMARK_NODE_LINK);
  cmark_node_set_url (link, url);
  cmark_node_set_title (link, cmark_node_get_title (image));
  while ((child = cmark_node_first_child (image)) != NULL)
    cmark_node_append_child (link, child);
  if (cmark_node_first_child (link) == NULL)
    {
      child = cmark_node_new (CMARK_NODE_TEXT);
      cmark_node_set_literal (child, url);
      cmark_node_append_child (link, child);
    }
  cmark_node_insert_before (image, link);
  cmark_node_free (image);
}

static gboolean
inside_link (cmark_node *node)
{
  for (cmark_node *p = cmark_node_parent (node); p != NULL; p = cmark_node_parent (p))
    {
      cmark_node_type type = cmark_node_get_type (p);

      if (type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE)
        return TRUE;
    }
  return FALSE;
}

static cmark_node *
text_node_new (const char *text,
               gssize      len)
{
  cmark_node *node = cmark_node_new (CMARK_NODE_TEXT);
  g_autofree char *copy = len < 0 ? g_strdup (text) : g_strndup (text, len);

  cmark_node_set_literal (node, copy);
  return node;
}

/* The revision whose attachments a page may name, while it renders. */
typedef struct
{
  const char *doc_id;
  const char *rev;
  JsonObject *attachments;   /* the revision's "_attachments" stubs */
  JsonObject *links;         /* "attachment_links": link target -> name,
                              * set by `meridian import` */
} AttachmentContext;

static JsonObject *find_attachment (const AttachmentContext  *context,
                                    const char               *url,
                                    char                    **name);
static gboolean render_attachment_sized (cmark_node              *node,
                                         const AttachmentContext *context,
                                         GPtrArray               *removed,
                                         int                      width,
                                         int                      height);

/* Builds the link node for one wiki link, "[[target]]" or
 * "[[target|label]]" where INNER is what lies between the brackets.  A
 * target may carry a "#heading" fragment. */
static cmark_node *
wiki_link_new (const char      *inner,
               MerLinkResolver  resolver,
               gpointer         user_data)
{
  g_autofree char *target = NULL;
  g_autofree char *label = NULL;
  g_autofree char *fragment = NULL;
  g_autofree char *page_id = NULL;
  g_autofree char *url = NULL;
  const char *bar = strchr (inner, '|');
  char *hash;
  cmark_node *link;

  if (bar != NULL)
    {
      target = g_strstrip (g_strndup (inner, bar - inner));
      label = g_strstrip (g_strdup (bar + 1));
    }
  else
    target = g_strstrip (g_strdup (inner));

  if (label == NULL || label[0] == '\0')
    {
      g_free (label);
      label = g_strdup (target);
    }

  hash = strchr (target, '#');
  if (hash != NULL)
    {
      fragment = mer_markdown_anchor_for (hash + 1);
      *hash = '\0';
      g_strchomp (target);
    }

  if (resolver != NULL && target[0] != '\0')
    page_id = resolver (target, user_data);

  if (page_id != NULL)
    url = mer_markdown_page_uri (page_id);
  else
    url = mer_markdown_new_page_uri (target);

  if (fragment != NULL)
    {
      char *with_fragment = g_strconcat (url, "#", fragment, NULL);

      g_free (url);
      url = with_fragment;
    }

  link = cmark_node_new (CMARK_NODE_LINK);
  cmark_node_set_url (link, url);
  cmark_node_set_title (link, target);
  cmark_node_append_child (link, text_node_new (label, -1));
  return link;
}

/* Whether @text is an Obsidian size, "300" or "300x200"; fills in the
 * width and the height (0 when not given). */
static gboolean
parse_embed_size (const char *text,
                  int        *width,
                  int        *height)
{
  guint64 w = 0, h = 0;
  char *end = NULL;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE;
  w = g_ascii_strtoull (text, &end, 10);
  if (*end == 'x' && g_ascii_isdigit (end[1]))
    h = g_ascii_strtoull (end + 1, &end, 10);
  if (*end != '\0' || w == 0 || w > 10000 || h > 10000)
    return FALSE;
  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

/*
 * An Obsidian embed, "![[name.png]]", "![[name.png|alt]]",
 * "![[name.png|300]]" (a width, or "300x200") or "![[name.png|alt|300]]",
 * that names one of the revision's attachments: inserted before @text as
 * the image (at that width) or the chip the attachment renders as.
 * Returns FALSE, inserting nothing, when it names no attachment.
 */
static gboolean
insert_embed (cmark_node              *text,
              const char              *inner,
              const AttachmentContext *context,
              GPtrArray               *removed)
{
  g_auto(GStrv) parts = g_strsplit (inner, "|", -1);
  guint n = g_strv_length (parts);
  g_autofree char *alt = NULL;
  g_autofree char *name = NULL;
  int width = 0, height = 0;
  cmark_node *image;

  if (context == NULL || n == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    g_strstrip (parts[i]);
  if (n >= 2 && parse_embed_size (parts[n - 1], &width, &height))
    n--;
  if (n >= 2)
    {
      g_autofree char *rest = g_strjoinv ("|", parts + 1);

      /* The width taken off, what remains after the name is the alt. */
      if (width > 0)
        rest[strlen (rest) - strlen (parts[g_strv_length (parts) - 1]) - 1] = '\0';
      alt = g_strstrip (g_steal_pointer (&rest));
    }
  if (find_attachment (context, parts[0], &name) == NULL)
    return FALSE;

  image = cmark_node_new (CMARK_NODE_IMAGE);
  cmark_node_set_url (image, parts[0]);
  if (alt != NULL && alt[0] != '\0')
    cmark_node_append_child (image, text_node_new (alt, -1));
  cmark_node_insert_before (text, image);
  if (!render_attachment_sized (image, context, removed, width, height))
    {
      cmark_node_free (image);
      return FALSE;
    }
  return TRUE;
}

static void
expand_wiki_links (cmark_node              *text,
                   const AttachmentContext *context,
                   GPtrArray               *removed,
                   MerLinkResolver          resolver,
                   gpointer                 user_data)
{
  g_autofree char *literal = g_strdup (cmark_node_get_literal (text));
  const char *p = literal;
  gboolean changed = FALSE;

  if (literal == NULL || strstr (literal, "[[") == NULL)
    return;

  for (;;)
    {
      const char *open = strstr (p, "[[");
      const char *close;
      const char *again;
      g_autofree char *inner = NULL;

      if (open == NULL)
        break;
      close = strstr (open + 2, "]]");
      if (close == NULL)
        break;

      /* "[[a [[b]]": the link is the innermost one. */
      while ((again = g_strstr_len (open + 2, close - open - 2, "[[")) != NULL)
        open = again;

      inner = g_strndup (open + 2, close - open - 2);
      g_strstrip (inner);
      if (inner[0] == '\0' || inner[0] == '|')
        {
          /* Not a link; keep the text as written. */
          cmark_node_insert_before (text, text_node_new (p, close + 2 - p));
          p = close + 2;
          changed = TRUE;
          continue;
        }

      /* "![[…]]": an embed of an attachment, else the link it names. */
      if (open > p && open[-1] == '!')
        {
          if (open - 1 > p)
            cmark_node_insert_before (text, text_node_new (p, open - 1 - p));
          if (!insert_embed (text, inner, context, removed))
            {
              /* A size means nothing to a link: "![[gone.png|300]]"
               * links to gone.png, labelled gone.png. */
              char *bar = strrchr (inner, '|');
              int width, height;

              if (bar != NULL && parse_embed_size (g_strstrip (bar + 1), &width, &height))
                inner[bar - inner] = '\0';
              cmark_node_insert_before (text, text_node_new ("!", 1));
              cmark_node_insert_before (text, wiki_link_new (inner, resolver, user_data));
            }
          p = close + 2;
          changed = TRUE;
          continue;
        }
      if (open > p)
        cmark_node_insert_before (text, text_node_new (p, open - p));
      cmark_node_insert_before (text, wiki_link_new (inner, resolver, user_data));
      p = close + 2;
      changed = TRUE;
    }

  if (!changed)
    return;

  if (*p != '\0')
    cmark_node_insert_before (text, text_node_new (p, -1));
  cmark_node_free (text);
}

/* The attachment a relative URL of the page names ("chart.png",
 * "./chart.png", "q3%20report.pdf", or a target the page's
 * "attachment_links" maps to an attachment's name), or NULL. */
static JsonObject *
find_attachment (const AttachmentContext  *context,
                 const char               *url,
                 char                    **name)
{
  g_autofree char *scheme = NULL;
  g_autofree char *unescaped = NULL;
  const char *candidates[2];

  if (context == NULL || context->attachments == NULL || url == NULL)
    return NULL;
  /* An imported page keeps its links as written ("../img/a%20b.png");
   * the import said which attachment each one names. */
  if (context->links != NULL && json_object_has_member (context->links, url))
    {
      JsonNode *mapped = json_object_get_member (context->links, url);

      if (JSON_NODE_HOLDS_VALUE (mapped) && json_node_get_value_type (mapped) == G_TYPE_STRING)
        url = json_node_get_string (mapped);
    }
  scheme = url_scheme (url);
  if (scheme == NULL || scheme[0] != '\0')
    return NULL;
  if (g_str_has_prefix (url, "./"))
    url += 2;
  unescaped = g_uri_unescape_string (url, NULL);
  candidates[0] = url;
  candidates[1] = unescaped;
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      JsonNode *node;

      if (candidates[i] == NULL || !json_object_has_member (context->attachments, candidates[i]))
        continue;
      node = json_object_get_member (context->attachments, candidates[i]);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      *name = g_strdup (candidates[i]);
      return json_node_get_object (node);
    }
  return NULL;
}

/* A node whose HTML we write ourselves, every byte of it escaped here;
 * cmark renders a custom inline's text as it is, and the page's own
 * Markdown cannot make one (raw HTML is gone before this pass). */
static cmark_node *
custom_inline_new (const char *html)
{
  cmark_node *node = cmark_node_new (CMARK_NODE_CUSTOM_INLINE);

  cmark_node_set_on_enter (node, html);
  cmark_node_set_on_exit (node, "");
  return node;
}

/* "PDF document · 1.2 MB", what a chip says under the name. */
static char *
attachment_meta (JsonObject *stub)
{
  const char *mime = json_object_get_string_member_with_default (stub, "content_type", NULL);
  gint64 length = json_object_get_int_member_with_default (stub, "length", -1);
  g_autofree char *type = NULL;
  g_autofree char *description = NULL;
  g_autofree char *size = NULL;

  if (mime != NULL)
    {
      type = g_content_type_from_mime_type (mime);
      description = type != NULL ? g_content_type_get_description (type) : g_strdup (mime);
    }
  else
    description = g_strdup (_("File"));
  if (length < 0)
    return g_steal_pointer (&description);
  size = g_format_size (length);
  return g_strdup_printf ("%s · %s", description, size);
}

/*
 * An image or a link of the page that names one of the revision's
 * attachments.  An image attachment shown as an image becomes an <img>
 * served from the replica, wrapped in a link that opens it full size; any
 * other attachment, as an image or a link, becomes a chip (name, type and
 * size) that opens it outside the app.  A plain link to an image
 * attachment keeps its text and opens the image.  A node replaced is
 * unlinked and added to @removed, to be freed once the pass is over (its
 * children are still in the pass's list).  Returns FALSE when the node
 * names no attachment.
 */
static gboolean
render_attachment (cmark_node              *node,
                   const AttachmentContext *context,
                   GPtrArray               *removed)
{
  return render_attachment_sized (node, context, removed, 0, 0);
}

/* render_attachment(), an image shown @width (and @height) pixels wide
 * (high) when > 0: an Obsidian embed's size. */
static gboolean
render_attachment_sized (cmark_node              *node,
                         const AttachmentContext *context,
                         GPtrArray               *removed,
                         int                      width,
                         int                      height)
{
  gboolean is_image_node = cmark_node_get_type (node) == CMARK_NODE_IMAGE;
  g_autofree char *name = NULL;
  JsonObject *stub = find_attachment (context, cmark_node_get_url (node), &name);
  g_autofree char *uri = NULL;
  g_autofree char *escaped_uri = NULL;
  g_autofree char *escaped_name = NULL;
  g_autofree char *html = NULL;
  const char *mime;

  if (stub == NULL)
    return FALSE;

  uri = mer_markdown_attachment_uri (context->doc_id, context->rev, name);
  escaped_uri = g_markup_escape_text (uri, -1);
  escaped_name = g_markup_escape_text (name, -1);
  mime = json_object_get_string_member_with_default (stub, "content_type", NULL);

  if (mer_markdown_is_image_type (mime) && !is_image_node)
    {
      cmark_node_set_url (node, uri);
      return TRUE;
    }

  if (mer_markdown_is_image_type (mime))
    {
      g_autoptr(GString) alt = g_string_new (NULL);
      g_autofree char *escaped_alt = NULL;
      g_autofree char *view_label = NULL;
      g_autofree char *size = NULL;

      if (width > 0 && height > 0)
        size = g_strdup_printf (" width=\"%d\" height=\"%d\"", width, height);
      else if (width > 0)
        size = g_strdup_printf (" width=\"%d\"", width);
      else
        size = g_strdup ("");
      collect_text (node, alt);
      escaped_alt = g_markup_escape_text (alt->len > 0 ? alt->str : name, -1);
      /* Translators: a tooltip on an image of a page; %s is its file name. */
      view_label = g_markup_printf_escaped (_("View %s full size"), name);
      if (inside_link (node))
        html = g_strdup_printf ("<img src=\"%s\" alt=\"%s\"%s>", escaped_uri, escaped_alt, size);
      else
        html = g_strdup_printf ("<a class=\"mer-image\" href=\"%s\" title=\"%s\">"
                                "<img src=\"%s\" alt=\"%s\"%s></a>",
                                escaped_uri, view_label, escaped_uri, escaped_alt, size);
    }
  else if (inside_link (node))
    html = g_strdup (escaped_name);
  else
    {
      g_autofree char *meta = attachment_meta (stub);
      g_autofree char *escaped_meta = g_markup_escape_text (meta, -1);
      g_autofree char *open_label = NULL;

      /* Translators: a tooltip on a file attached to a page; %s is its name. */
      open_label = g_markup_printf_escaped (_("Open %s"), name);
      html = g_strdup_printf ("<a class=\"mer-attachment\" href=\"%s\" title=\"%s\">"
                              "<span class=\"mer-attachment-name\">%s</span> "
                              "<span class=\"mer-attachment-meta\">%s</span></a>",
                              escaped_uri, open_label, escaped_name, escaped_meta);
    }

  cmark_node_insert_before (node, custom_inline_new (html));
  cmark_node_unlink (node);
  g_ptr_array_add (removed, node);
  return TRUE;
}

/* Cleans the tree and expands wiki links.  Returns the headings in
 * document order with unique anchors. */
static GPtrArray *
transform_tree (cmark_node              *root,
                const AttachmentContext *attachments,
                MerLinkResolver          resolver,
                gpointer                 user_data)
{
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func ((GDestroyNotify) cmark_node_free);
  g_autoptr(GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *outline = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_heading_free);

  remove_raw_html (root);
  cmark_consolidate_text_nodes (root);

  nodes = collect_nodes (root);
  for (guint i = 0; i < nodes->len; i++)
    {
      cmark_node *node = nodes->pdata[i];

      switch (cmark_node_get_type (node))
        {
        case CMARK_NODE_LINK:
          if (!render_attachment (node, attachments, removed))
            sanitize_link (node);
          break;
        case CMARK_NODE_IMAGE:
          if (!render_attachment (node, attachments, removed))
            sanitize_image (node);
          break;
        case CMARK_NODE_TEXT:
          if (!inside_link (node))
            expand_wiki_links (node, attachments, removed, resolver, user_data);
          break;
        default:
          break;
        }
    }
  g_clear_pointer (&removed, g_ptr_array_unref);

  g_clear_pointer (&nodes, g_ptr_array_unref);
  nodes = collect_nodes (root);
  for (guint i = 0; i < nodes->len; i++)
    {
      cmark_node *node = nodes->pdata[i];
      g_autoptr(GString) text = NULL;
      g_autofree char *base = NULL;
      char *anchor;
      MerHeading *heading;

      if (cmark_node_get_type (node) != CMARK_NODE_HEADING)
        continue;

      text = g_string_new (NULL);
      collect_text (node, text);
      g_strstrip (text->str);
      text->len = strlen (text->str);

      base = mer_markdown_anchor_for (text->str);
      anchor = g_strdup (base);
      for (guint n = 1; g_hash_table_contains (used, anchor); n++)
        {
          g_free (anchor);
          anchor = g_strdup_printf ("%s-%u", base, n);
        }
      g_hash_table_add (used, g_strdup (anchor));

      heading = g_new0 (MerHeading, 1);
      heading->level = cmark_node_get_heading_level (node);
      heading->text = g_strdup (text->str);
      heading->anchor = anchor;
      g_ptr_array_add (outline, heading);
    }

  return outline;
}

/* The renderer writes headings as a bare "<hN>" and links as "<a href=";
 * user text can never produce those bytes because it is escaped and raw
 * HTML is gone, so adding attributes here is exact. */
static char *
decorate_html (const char *html,
               GPtrArray  *outline)
{
  GString *out = g_string_sized_new (strlen (html) + 64);
  guint next_heading = 0;
  const char *p = html;
  static const char missing_link[] = "<a href=\"" MER_MARKDOWN_NEW_PAGE_URI_PREFIX;

  while (*p != '\0')
    {
      if (p[0] == '<' && p[1] == 'h' && p[2] >= '1' && p[2] <= '6' && p[3] == '>'
          && next_heading < outline->len)
        {
          MerHeading *heading = outline->pdata[next_heading++];
          g_autofree char *escaped = g_markup_escape_text (heading->anchor, -1);

          g_string_append_printf (out, "<h%c id=\"%s\">", p[2], escaped);
          p += 4;
        }
      else if (g_str_has_prefix (p, missing_link))
        {
          g_string_append (out, "<a class=\"missing\" href=\"");
          p += strlen ("<a href=\"");
        }
      else
        g_string_append_c (out, *p++);
    }

  return g_string_free (out, FALSE);
}

/**
 * mer_markdown_to_html:
 * @markdown: the page's Markdown
 * @resolver: (nullable): finds the page a wiki link names
 * @outline: (out) (optional): the headings, a GPtrArray of MerHeading
 *
 * Renders Markdown to an HTML fragment that is safe to show: no raw HTML,
 * no script, no links with dangerous schemes, no images from the network.
 * Headings carry id attributes matching @outline.
 */
static char *
render_html (const char               *markdown,
             const AttachmentContext  *attachments,
             MerLinkResolver           resolver,
             gpointer                  user_data,
             GPtrArray               **outline)
{
  cmark_parser *parser = NULL;
  cmark_node *root;
  g_autoptr(GPtrArray) headings = NULL;
  char *raw;
  char *html;

  root = parse_markdown (markdown, &parser);
  headings = transform_tree (root, attachments, resolver, user_data);
  raw = cmark_render_html (root, RENDER_OPTIONS, cmark_parser_get_syntax_extensions (parser));
  html = decorate_html (raw, headings);

  free (raw);
  cmark_node_free (root);
  cmark_parser_free (parser);

  if (outline != NULL)
    *outline = g_steal_pointer (&headings);

  return html;
}

char *
mer_markdown_to_html (const char       *markdown,
                      MerLinkResolver   resolver,
                      gpointer          user_data,
                      GPtrArray       **outline)
{
  return render_html (markdown, NULL, resolver, user_data, outline);
}

/* The headings of a page, for its table of contents. */
GPtrArray *
mer_markdown_outline (const char *markdown)
{
  GPtrArray *outline = NULL;
  g_autofree char *html = mer_markdown_to_html (markdown, NULL, NULL, &outline);

  return outline;
}

char *
mer_markdown_to_plain_text (const char *markdown)
{
  cmark_parser *parser = NULL;
  cmark_node *root;
  g_autoptr(GPtrArray) headings = NULL;
  char *raw;
  char *text;

  root = parse_markdown (markdown, &parser);
  headings = transform_tree (root, NULL, NULL, NULL);
  raw = cmark_render_plaintext (root, RENDER_OPTIONS, 0);
  text = g_strdup (raw);

  free (raw);
  cmark_node_free (root);
  cmark_parser_free (parser);

  return text;
}

/* A word is a run of non-space characters holding at least one letter or
 * digit, so dashes and bullets standing alone do not count. */
static guint
count_words (const char *text)
{
  guint words = 0;
  gboolean in_word = FALSE;
  gboolean has_alnum = FALSE;

  for (const char *p = text; ; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == 0 || g_unichar_isspace (c))
        {
          if (in_word && has_alnum)
            words++;
          in_word = has_alnum = FALSE;
          if (c == 0)
            break;
        }
      else
        {
          in_word = TRUE;
          if (g_unichar_isalnum (c))
            has_alnum = TRUE;
        }
    }

  return words;
}

guint
mer_markdown_word_count (const char *markdown)
{
  g_autofree char *text = NULL;

  if (markdown == NULL || markdown[0] == '\0')
    return 0;

  text = mer_markdown_to_plain_text (markdown);
  return count_words (text);
}

/* Minutes to read WORDS, rounded to the nearest minute and at least one
 * for any text at all. */
guint
mer_markdown_reading_minutes (guint words)
{
  if (words == 0)
    return 0;

  return MAX (1, (words + MER_MARKDOWN_WORDS_PER_MINUTE / 2) / MER_MARKDOWN_WORDS_PER_MINUTE);
}

char *
mer_markdown_reading_time_label (guint words)
{
  guint minutes = mer_markdown_reading_minutes (words);

  if (minutes == 0)
    return g_strdup (_("Nothing to read"));

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u minute read", "%u minutes read",
                                       minutes),
                          minutes);
}

char *
mer_markdown_store_resolver (const char *target,
                             gpointer    store)
{
  g_autoptr(GError) error = NULL;
  char *page_id;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  page_id = mer_store_resolve_link (MER_STORE (store), target, &error);
  if (error != NULL)
    g_warning ("Cannot resolve link “%s”: %s", target, error->message);

  return page_id;
}

/* Follows the GNOME look: Adwaita's view colours, the system UI font for
 * text, a monospace font for code, and the dark variant when the system
 * prefers it. */
static const char stylesheet[] =
  ":root {\n"
  "  color-scheme: light dark;\n"
  "  --fg: rgba(0, 0, 0, 0.8);\n"
  "  --bg: #ffffff;\n"
  "  --dim: rgba(0, 0, 0, 0.55);\n"
  "  --accent: #1c71d8;\n"
  "  --missing: #c01c28;\n"
  "  --border: rgba(0, 0, 0, 0.15);\n"
  "  --code-bg: rgba(0, 0, 0, 0.06);\n"
  "  --quote: #3584e4;\n"
  "  --mark: rgba(248, 228, 92, 0.6);\n"
  "}\n"
  "@media (prefers-color-scheme: dark) {\n"
  "  :root {\n"
  "    --fg: #ffffff;\n"
  "    --bg: #1e1e1e;\n"
  "    --dim: rgba(255, 255, 255, 0.6);\n"
  "    --accent: #78aeed;\n"
  "    --missing: #ff7b63;\n"
  "    --border: rgba(255, 255, 255, 0.15);\n"
  "    --code-bg: rgba(255, 255, 255, 0.08);\n"
  "    --quote: #78aeed;\n"
  "    --mark: rgba(229, 165, 10, 0.45);\n"
  "  }\n"
  "}\n"
  "html { background: var(--bg); color: var(--fg); }\n"
  "body {\n"
  "  margin: 0;\n"
  "  padding: 24px 32px 48px;\n"
  "  font-family: \"Cantarell\", \"Inter\", system-ui, sans-serif;\n"
  "  font-size: 11pt;\n"
  "  line-height: 1.6;\n"
  "  -webkit-font-smoothing: antialiased;\n"
  "}\n"
  "article { max-width: 46em; margin: 0 auto; }\n"
  "h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.6em 0 0.5em; font-weight: 800; }\n"
  "h1 { font-size: 2em; margin-top: 0.4em; }\n"
  "h2 { font-size: 1.5em; font-weight: 700; }\n"
  "h3 { font-size: 1.2em; font-weight: 700; }\n"
  "h4, h5, h6 { font-size: 1em; font-weight: 700; }\n"
  "p, ul, ol, blockquote, pre, table { margin: 0 0 1em; }\n"
  "a { color: var(--accent); text-decoration: none; }\n"
  "a:hover { text-decoration: underline; }\n"
  "a.missing { color: var(--missing); border-bottom: 1px dashed var(--missing); }\n"
  "a[href^=\"http\"]::after { content: \"\\2009\\2197\"; font-size: 0.8em; }\n"
  "code, pre { font-family: \"Source Code Pro\", \"DejaVu Sans Mono\", monospace; font-size: 0.92em; }\n"
  "code { background: var(--code-bg); border-radius: 4px; padding: 0.1em 0.3em; }\n"
  "pre { background: var(--code-bg); border-radius: 8px; padding: 12px 16px; overflow-x: auto; line-height: 1.45; }\n"
  "pre code { background: none; padding: 0; font-size: 1em; }\n"
  "blockquote { margin-left: 0; padding: 0.2em 1em; border-left: 3px solid var(--quote); color: var(--dim); }\n"
  "hr { border: none; border-top: 1px solid var(--border); margin: 2em 0; }\n"
  "table { border-collapse: collapse; display: block; overflow-x: auto; }\n"
  "th, td { border: 1px solid var(--border); padding: 6px 12px; }\n"
  "th { background: var(--code-bg); font-weight: 700; }\n"
  "tr:nth-child(even) td { background: var(--code-bg); }\n"
  "del { color: var(--dim); }\n"
  "mark { background: var(--mark); color: inherit; border-radius: 3px; }\n"
  "img { max-width: 100%; height: auto; border-radius: 6px; }\n"
  "a.mer-image { display: inline-block; max-width: 100%; cursor: zoom-in; }\n"
  "a.mer-image:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; border-radius: 6px; }\n"
  "a.mer-attachment { display: inline-flex; align-items: baseline; gap: 0.5em; max-width: 100%;\n"
  "  padding: 0.2em 0.7em; border: 1px solid var(--border); border-radius: 8px;\n"
  "  background: var(--code-bg); color: var(--fg); text-decoration: none; }\n"
  "a.mer-attachment:hover { border-color: var(--accent); text-decoration: none; }\n"
  "a.mer-attachment:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }\n"
  ".mer-attachment-name { font-weight: 700; overflow-wrap: anywhere; }\n"
  ".mer-attachment-meta { color: var(--dim); font-size: 0.9em; white-space: nowrap; }\n"
  "li > input[type=\"checkbox\"] { margin: 0 0.5em 0 -1.4em; vertical-align: middle; accent-color: var(--accent); }\n"
  "ul:has(> li > input[type=\"checkbox\"]) { list-style: none; }\n"
  "li > p { margin: 0.3em 0; }\n"
  "::selection { background: rgba(53, 132, 228, 0.3); }\n";

const char *
mer_markdown_stylesheet (void)
{
  return stylesheet;
}

/* The page's policy: no script at all, no network, images only from the
 * workspace or inline, styles only from the document itself. */
#define CONTENT_SECURITY_POLICY \
  "default-src 'none'; img-src meridian: data:; style-src 'unsafe-inline'; " \
  "base-uri 'none'; form-action 'none'"

/**
 * mer_markdown_wrap_document:
 * @body_html: a fragment already safe to show (from mer_markdown_to_html())
 * @title: (nullable): the document title
 *
 * Returns a complete HTML document for the reader, with the stylesheet and
 * a Content-Security-Policy that forbids scripts and network loads.
 */
char *
mer_markdown_wrap_document (const char *body_html,
                            const char *title)
{
  g_autofree char *escaped_title = g_markup_escape_text (title != NULL ? title : "", -1);

  return g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html>\n"
                          "<head>\n"
                          "<meta charset=\"utf-8\">\n"
                          "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n"
                          "<meta name=\"color-scheme\" content=\"light dark\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                          "<title>%s</title>\n"
                          "<style>\n%s</style>\n"
                          "</head>\n"
                          "<body>\n<article dir=\"auto\">\n%s</article>\n</body>\n"
                          "</html>\n",
                          CONTENT_SECURITY_POLICY,
                          escaped_title,
                          stylesheet,
                          body_html != NULL ? body_html : "");
}

char *
mer_markdown_to_document (const char       *markdown,
                          const char       *title,
                          MerLinkResolver   resolver,
                          gpointer          user_data,
                          GPtrArray       **outline)
{
  g_autofree char *body = mer_markdown_to_html (markdown, resolver, user_data, outline);

  return mer_markdown_wrap_document (body, title);
}

/**
 * mer_markdown_doc_to_document:
 * @doc: the document read from the store: its "_id", "_rev" and
 *   "_attachments" say which attachments @markdown may name
 *
 * As mer_markdown_to_document(), but an image or link whose relative URL
 * names one of the revision's attachments shows it from the replica: an
 * image attachment as an image (at most the column's width, a link to it
 * full size), any other as a chip with its name, type and size.  Each
 * points at the attachment's meridian://att/ address for that revision.
 */
char *
mer_markdown_doc_to_document (JsonObject       *doc,
                              const char       *markdown,
                              const char       *title,
                              MerLinkResolver   resolver,
                              gpointer          user_data,
                              GPtrArray       **outline)
{
  AttachmentContext context = { NULL, NULL, NULL, NULL };
  g_autofree char *body = NULL;
  JsonNode *node;

  g_return_val_if_fail (doc != NULL, NULL);

  context.doc_id = json_object_get_string_member_with_default (doc, "_id", NULL);
  context.rev = json_object_get_string_member_with_default (doc, "_rev", NULL);
  node = json_object_get_member (doc, "_attachments");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) && context.doc_id != NULL && context.rev != NULL)
    context.attachments = json_node_get_object (node);
  node = json_object_get_member (doc, "attachment_links");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    context.links = json_node_get_object (node);

  body = render_html (markdown, &context, resolver, user_data, outline);
  return mer_markdown_wrap_document (body, title);
}
