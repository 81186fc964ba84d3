/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mer-revision.h"
#include "mer-store.h"
#include "mer-types.h"

G_BEGIN_DECLS

/*
 * Checks what a peer, an import or the UI is about to write. Structural
 * problems (ids, revisions, special members, nesting) fail with
 * MER_STORE_ERROR_BAD_REQUEST; a document that breaks the rules of its type
 * fails with MER_STORE_ERROR_FORBIDDEN; a document or text that is too large
 * fails with MER_STORE_ERROR_TOO_LARGE. The store runs these checks on
 * every write once mer_core_init() has installed them.
 */

#define MER_VALIDATE_MAX_ID_BYTES   MER_STORE_MAX_ID_BYTES
#define MER_VALIDATE_MAX_DOC_BYTES  MER_STORE_MAX_DOC_BYTES
#define MER_VALIDATE_MAX_DEPTH      MER_STORE_MAX_DEPTH
#define MER_VALIDATE_MAX_REV_HASH   128

gboolean    mer_validate_json_text     (const char  *text,
                                        gsize        length,
                                        guint        max_depth,
                                        GError     **error);
gboolean    mer_validate_id            (const char  *id,
                                        GError     **error);
gboolean    mer_validate_local_id      (const char  *id,
                                        GError     **error);
gboolean    mer_validate_rev           (const char  *rev,
                                        guint64     *out_pos,
                                        GError     **error);
gboolean    mer_validate_revisions     (JsonNode    *revisions,
                                        const char  *rev,
                                        GError     **error);
gboolean    mer_validate_doc           (JsonObject  *doc,
                                        JsonObject  *previous,
                                        GError     **error);
gboolean    mer_validate_local_doc     (JsonObject  *doc,
                                        GError     **error);
gboolean    mer_validate_write         (MerStore    *store,
                                        JsonObject  *doc,
                                        gboolean     new_edits,
                                        GError     **error);
gboolean    mer_validate_revision      (MerStore    *store,
                                        MerRevision *revision,
                                        GError     **error);
const char *mer_validate_type_of_id    (const char  *id);

G_END_DECLS
