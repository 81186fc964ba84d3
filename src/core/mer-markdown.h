/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/* Links inside rendered pages.  A wiki link to an existing page points at
 * MER_MARKDOWN_PAGE_URI_PREFIX followed by the URI-escaped full page id
 * ("meridian://page/page%3Aon-call"); one to a page that does not exist yet
 * points at MER_MARKDOWN_NEW_PAGE_URI_PREFIX followed by the escaped target
 * as the author wrote it, and carries class="missing". */
#define MER_MARKDOWN_PAGE_URI_PREFIX     "meridian://page/"
#define MER_MARKDOWN_NEW_PAGE_URI_PREFIX "meridian://new-page/"

/* A document's attachment, as the reader serves it:
 * MER_MARKDOWN_ATTACHMENT_URI_PREFIX, then the URI-escaped document id,
 * revision and attachment name separated by "/". */
#define MER_MARKDOWN_ATTACHMENT_URI_PREFIX "meridian://att/"

/* Words a person reads per minute, for reading-time estimates. */
#define MER_MARKDOWN_WORDS_PER_MINUTE 230

typedef struct
{
  int   level;   /* 1 to 6 */
  char *text;    /* plain text of the heading */
  char *anchor;  /* the id attribute given to the heading in the HTML */
} MerHeading;

/* Returns the page id for a wiki-link target (a title or a path), or NULL
 * when no page matches.  The result is freed with g_free(). */
typedef char *(*MerLinkResolver) (const char *target,
                                  gpointer    user_data);

void        mer_heading_free                 (MerHeading  *heading);

char       *mer_markdown_to_html             (const char  *markdown,
                                              MerLinkResolver resolver,
                                              gpointer     user_data,
                                              GPtrArray  **outline);
GPtrArray  *mer_markdown_outline             (const char  *markdown);
char       *mer_markdown_wrap_document       (const char  *body_html,
                                              const char  *title);
char       *mer_markdown_to_document         (const char  *markdown,
                                              const char  *title,
                                              MerLinkResolver resolver,
                                              gpointer     user_data,
                                              GPtrArray  **outline);
char       *mer_markdown_doc_to_document     (JsonObject  *doc,
                                              const char  *markdown,
                                              const char  *title,
                                              MerLinkResolver resolver,
                                              gpointer     user_data,
                                              GPtrArray  **outline);
const char *mer_markdown_stylesheet          (void);

char       *mer_markdown_to_plain_text       (const char  *markdown);
guint       mer_markdown_word_count          (const char  *markdown);
guint       mer_markdown_reading_minutes     (guint        words);
char       *mer_markdown_reading_time_label  (guint        words);

gboolean    mer_markdown_is_safe_url         (const char  *url);
char       *mer_markdown_page_uri            (const char  *page_id);
char       *mer_markdown_new_page_uri        (const char  *target);
char       *mer_markdown_page_id_from_uri    (const char  *uri);
char       *mer_markdown_new_page_target_from_uri (const char *uri);
char       *mer_markdown_attachment_uri      (const char  *doc_id,
                                              const char  *rev,
                                              const char  *name);
gboolean    mer_markdown_parse_attachment_uri (const char *uri,
                                              char       **doc_id,
                                              char       **rev,
                                              char       **name);
gboolean    mer_markdown_is_image_type       (const char  *content_type);
char       *mer_markdown_anchor_for          (const char  *text);

/* A MerLinkResolver over mer_store_resolve_link(); user_data is the
 * MerStore. */
char       *mer_markdown_store_resolver      (const char  *target,
                                              gpointer     store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerHeading, mer_heading_free)

G_END_DECLS
