/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * Drafts live in local documents named MER_DRAFT_PREFIX + draft id, where
 * the draft id is a full document id ("page:on-call") or "new:<uuid>":
 *
 *   {"_id": "_local/draft:page:on-call", "type": "draft",
 *    "draft_of": "page:on-call", "kind": "page", "text": "<markdown>",
 *    "cursor": <character offset>, "base_rev": "<rev the edit started
 *    from>"|null, "fields": {<title, path… as the owner set them>},
 *    "saved_at": "<RFC 3339>"}
 *
 * The editor writes one after every pause in typing (1 s) and every few
 * seconds during long bursts; its owner deletes it once the document is
 * saved or the edit is abandoned (mer_markdown_editor_discard_draft).
 */
#define MER_DRAFT_PREFIX "_local/draft:"

#define MER_TYPE_MARKDOWN_EDITOR (mer_markdown_editor_get_type ())
G_DECLARE_FINAL_TYPE (MerMarkdownEditor, mer_markdown_editor, MER, MARKDOWN_EDITOR, GtkWidget)

GtkWidget  *mer_markdown_editor_new               (MerStore          *store,
                                                   const char        *draft_id);
MerStore   *mer_markdown_editor_get_store         (MerMarkdownEditor *self);
const char *mer_markdown_editor_get_draft_id      (MerMarkdownEditor *self);
char       *mer_markdown_editor_get_text          (MerMarkdownEditor *self);
void        mer_markdown_editor_set_text          (MerMarkdownEditor *self,
                                                   const char        *text);
int         mer_markdown_editor_get_cursor        (MerMarkdownEditor *self);
void        mer_markdown_editor_set_cursor        (MerMarkdownEditor *self,
                                                   int                offset);
GtkTextBuffer *mer_markdown_editor_get_buffer     (MerMarkdownEditor *self);
void        mer_markdown_editor_grab_focus_text   (MerMarkdownEditor *self);
GtkWidget  *mer_markdown_editor_get_text_view     (MerMarkdownEditor *self);

/* What the draft remembers besides the text. */
const char *mer_markdown_editor_get_base_rev      (MerMarkdownEditor *self);
void        mer_markdown_editor_set_base_rev      (MerMarkdownEditor *self,
                                                   const char        *rev);
JsonObject *mer_markdown_editor_get_fields        (MerMarkdownEditor *self);
void        mer_markdown_editor_set_fields        (MerMarkdownEditor *self,
                                                   JsonObject        *fields);
const char *mer_markdown_editor_get_kind          (MerMarkdownEditor *self);
void        mer_markdown_editor_set_kind          (MerMarkdownEditor *self,
                                                   const char        *kind);
void        mer_markdown_editor_mark_modified     (MerMarkdownEditor *self);

/* Drafts. */
gboolean    mer_markdown_editor_get_modified      (MerMarkdownEditor *self);
gboolean    mer_markdown_editor_restore_draft     (MerMarkdownEditor *self);
gboolean    mer_markdown_editor_save_draft        (MerMarkdownEditor *self,
                                                   GError           **error);
void        mer_markdown_editor_discard_draft     (MerMarkdownEditor *self);
gboolean    mer_markdown_editor_has_draft         (MerMarkdownEditor *self);
JsonObject *mer_markdown_editor_load_draft_doc    (MerStore          *store,
                                                   const char        *draft_id);

/* Attachments of the draft: pasted, dropped, or given. */
char       *mer_markdown_editor_attach            (MerMarkdownEditor *self,
                                                   const char        *name,
                                                   const char        *content_type,
                                                   GBytes            *data,
                                                   const char        *alt,
                                                   GError           **error);
gboolean    mer_markdown_editor_drop              (MerMarkdownEditor *self,
                                                   const GValue      *value);

/* The preview. */
gboolean    mer_markdown_editor_get_show_preview  (MerMarkdownEditor *self);
void        mer_markdown_editor_set_show_preview  (MerMarkdownEditor *self,
                                                   gboolean           show);
void        mer_markdown_editor_update_preview_now (MerMarkdownEditor *self);
GtkWidget  *mer_markdown_editor_get_preview       (MerMarkdownEditor *self);
guint       mer_markdown_editor_get_word_count    (MerMarkdownEditor *self);

G_END_DECLS
