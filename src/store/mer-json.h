/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

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
