/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * Attachments, as CouchDB keeps them: each revision of a document names
 * its attachments in "_attachments" (name -> {content_type, digest,
 * length, revpos, stub}), and the bytes are kept once per content, under
 * the MD5 of the bytes ("md5-<base64>"), whatever revisions, documents or
 * drafts name them. See mer-store-attachments.c for the rules.
 */

#define MER_ATTACHMENT_MAX_NAME_BYTES  255
#define MER_ATTACHMENT_DEFAULT_MAX_MIB 50
#define MER_ATTACHMENT_MAX_PER_DOC     1000

typedef struct
{
  char   *name;
  char   *content_type;  /* as given; never trusted as safe to render */
  char   *digest;        /* the digest peers see, "md5-<base64>" */
  char   *blob;          /* the key of the bytes: the MD5 of what is kept */
  gint64  length;
  gint64  revpos;        /* the generation that last changed it */
  char   *encoding;      /* "gzip" when a peer gave the digest of the
                          * compressed bytes, else NULL */
} MerAttachment;

void           mer_attachment_free              (MerAttachment *attachment);
char          *mer_attachment_digest            (const void    *data,
                                                 gsize          length);
gboolean       mer_attachment_check_name        (const char    *name,
                                                 GError       **error);
gboolean       mer_attachment_is_active_type    (const char    *content_type);

void           mer_store_set_max_attachment_size (MerStore     *self,
                                                  guint64       bytes);
guint64        mer_store_get_max_attachment_size (MerStore     *self);

/* A revision's attachment (@rev NULL: the winner's), and its bytes. */
MerAttachment *mer_store_get_attachment         (MerStore      *self,
                                                 const char    *id,
                                                 const char    *rev,
                                                 const char    *name,
                                                 GError       **error);
GBytes        *mer_store_read_blob              (MerStore      *self,
                                                 const char    *blob,
                                                 GError       **error);

/* New revisions that add (or replace) and remove one attachment. */
char          *mer_store_put_attachment         (MerStore      *self,
                                                 const char    *id,
                                                 const char    *rev,
                                                 const char    *name,
                                                 const char    *content_type,
                                                 GBytes        *data,
                                                 GError       **error);
char          *mer_store_delete_attachment      (MerStore      *self,
                                                 const char    *id,
                                                 const char    *rev,
                                                 const char    *name,
                                                 GError       **error);

/* Replaces the stubs of @doc (a document read from the store) with their
 * bytes in base64 "data": all of them, or those changed after generation
 * @since (> 0). */
gboolean       mer_store_inline_attachments     (MerStore      *self,
                                                 JsonObject    *doc,
                                                 gint64         since,
                                                 GError       **error);

/* Drafts' attachments, kept beside the "_local/" document @id. */
char          *mer_store_put_local_attachment   (MerStore      *self,
                                                 const char    *id,
                                                 const char    *name,
                                                 const char    *content_type,
                                                 GBytes        *data,
                                                 GError       **error);
GPtrArray     *mer_store_list_local_attachments (MerStore      *self,
                                                 const char    *id,
                                                 GError       **error);
gboolean       mer_store_stub_local_attachments (MerStore     *self,
                                                 const char   *id,
                                                 JsonObject   *doc,
                                                 GError      **error);
gboolean       mer_store_delete_local_attachment (MerStore     *self,
                                                  const char   *id,
                                                  const char   *name,
                                                  GError      **error);

/* Removes every blob no revision and no draft names; see the rule in
 * mer-store-attachments.c. */
gboolean       mer_store_collect_garbage        (MerStore      *self,
                                                 guint         *removed,
                                                 GError       **error);
gint64         mer_store_count_blobs            (MerStore      *self,
                                                 gint64        *bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerAttachment, mer_attachment_free)

G_END_DECLS
