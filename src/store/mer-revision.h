/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/* What "start" holds when a document has no usable "_revisions". */
#define MER_REVISION_NO_HISTORY  ((gint64) -1)  /* absent or null: the revision alone */
#define MER_REVISION_BAD_HISTORY ((gint64) -2)  /* present but of the wrong shape */

/*
 * A revision written on another replica, as replication carries it
 * (new_edits=false), reduced to what the store keeps. Nothing here is
 * checked yet: the store refuses a bad id or history when it writes.
 */
struct _MerRevision
{
  char       *id;       /* "_id" when it is a string, else NULL */
  char       *rev;      /* "_rev" when it is a string, else NULL */
  gboolean    deleted;  /* "_deleted" is true */
  gint64      start;    /* "_revisions.start", or one of the values above */
  GStrv       ids;      /* "_revisions.ids", newest first */
  char       *body;     /* canonical JSON of the members not starting with "_" */
  JsonObject *fields;   /* at least the body's top-level strings the store
                         * reads: its columns and what search indexes */
  JsonNode   *attachments; /* "_attachments" as sent, or NULL: resolved
                            * to stubs and kept bytes when written */
  GError     *problem;  /* why the document cannot be kept exactly (a
                         * number, a \u0000, nesting), or NULL; the store
                         * refuses it with this error */
};

MerRevision *mer_revision_new_from_doc   (JsonObject    *doc);
void         mer_revision_free           (MerRevision   *revision);
GPtrArray   *mer_revision_path           (MerRevision   *revision,
                                          GError       **error);
GPtrArray   *mer_revisions_from_bulk_get (const char    *text,
                                          gsize          length,
                                          gboolean      *has_results,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerRevision, mer_revision_free)

G_END_DECLS
