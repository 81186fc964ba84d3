/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mer-revision.h"
#include "mer-types.h"

G_BEGIN_DECLS

/*
 * Checks what a peer, an import or the UI is about to write. Structural
 * problems (ids, revisions, special members, nesting) fail with
 * MER_STORE_ERROR_BAD_REQUEST; a document that breaks the rules of its type
 * fails with MER_STORE_ERROR_FORBIDDEN; a document or text that is too large
 * fails with MER_VALIDATE_ERROR_TOO_LARGE.
 */

#define MER_VALIDATE_ERROR (mer_validate_error_quark ())

typedef enum
{
  MER_VALIDATE_ERROR_TOO_LARGE,  /* 413 */
} MerValidateError;

#define MER_VALIDATE_MAX_ID_BYTES   512
#define MER_VALIDATE_MAX_DOC_BYTES  (1024 * 1024)
#define MER_VALIDATE_MAX_DEPTH      64
#define MER_VALIDATE_MAX_REV_HASH   128

GQuark      mer_validate_error_quark   (void);

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
