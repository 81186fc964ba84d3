/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * JSON text is checked before json-glib reads it: json-glib reads numbers
 * it cannot hold as other numbers (an integer past 64 bits as -1, 1e400 as
 * infinity), cuts strings at \u0000, accepts much that is not JSON, and
 * recurses once per level of nesting.
 */
#define MER_JSON_ERROR (mer_json_error_quark ())

typedef enum
{
  MER_JSON_ERROR_INVALID,         /* not JSON (RFC 8259) */
  MER_JSON_ERROR_TOO_DEEP,        /* nested deeper than allowed */
  MER_JSON_ERROR_UNREPRESENTABLE, /* a number or string the replica cannot keep exactly */
} MerJsonError;

/* How deep any text may nest: documents (64 levels at most, see
 * mer-store.h) inside the envelopes of the protocol's answers. */
#define MER_JSON_MAX_DEPTH 128

/* What a number token holds, as the replica keeps it. */
typedef enum
{
  MER_JSON_NUMBER_INVALID,      /* not a JSON number */
  MER_JSON_NUMBER_INT,          /* an integer that fits in 64 bits */
  MER_JSON_NUMBER_DOUBLE,       /* a fraction or exponent, as a finite double */
  MER_JSON_NUMBER_OUT_OF_RANGE, /* an integer past 64 bits, or past a double's range */
} MerJsonNumber;

GQuark      mer_json_error_quark      (void);
/* U+10FFFF, written in place of \u0000 by mer_json_mark_nul(). */
#define MER_JSON_NUL_MARK "\xf4\x8f\xbf\xbf"

char       *mer_json_mark_nul         (const char  *text,
                                       gsize        length,
                                       gsize       *out_length);
gboolean    mer_json_check_text       (const char  *text,
                                       gsize        length,
                                       guint        max_depth,
                                       GError     **error);
MerJsonNumber mer_json_read_number    (const char  *p,
                                       const char  *end,
                                       const char **after,
                                       gint64      *int_value,
                                       double      *double_value);
void        mer_json_set_number_error (GError     **error,
                                       GQuark       domain,
                                       int          code,
                                       const char  *token,
                                       gsize        length);
void        mer_json_set_nul_error    (GError     **error,
                                       GQuark       domain,
                                       int          code);
void        mer_json_append_double    (GString     *out,
                                       double       value);

JsonNode   *mer_json_parse            (const char  *text,
                                       gssize       length,
                                       GError     **error);
JsonObject *mer_json_parse_object     (const char  *text,
                                       gssize       length,
                                       GError     **error);
char       *mer_json_to_string        (JsonNode    *node,
                                       gboolean     pretty);
char       *mer_json_object_to_string (JsonObject  *object,
                                       gboolean     pretty);
char       *mer_json_canonical        (JsonNode    *node);
void        mer_json_append_string    (GString     *out,
                                       const char  *s);
JsonObject *mer_json_object_copy      (JsonObject  *object);
const char *mer_json_get_string       (JsonObject  *object,
                                       const char  *member);
gboolean    mer_json_get_bool         (JsonObject  *object,
                                       const char  *member);

G_END_DECLS
