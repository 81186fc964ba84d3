/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Small helpers that the proposal, decision and digest code share for
 * reading and writing documents that peers may have shaped oddly.
 */

/* TRUE for NULL, "" and text of ASCII spaces only. */
gboolean    mer_doc_is_blank           (const char   *text);
/* The non-empty strings of the array @member (a new array, empty when the
 * member is missing or not an array; other elements are skipped). */
JsonArray  *mer_doc_string_array       (JsonObject   *object,
                                        const char   *member);
/* The object @member, or NULL when it is missing, null or not an object. */
JsonObject *mer_doc_get_object         (JsonObject   *object,
                                        const char   *member);
/* Sets @member to @value, or to null when @value is NULL. */
void        mer_doc_set_string_or_null (JsonObject   *object,
                                        const char   *member,
                                        const char   *value);
/* The title as a short lowercase ASCII slug: words joined by '-', cut
 * at a word near 48 characters; "untitled" when nothing is left. */
char       *mer_doc_slug               (const char   *title);
/* "type:slug-of-the-title-1a2b3c": a short random suffix keeps ids made on
 * two replicas from colliding. */
char       *mer_doc_new_id             (const char   *type,
                                        const char   *title);
/* The object in @docs whose "_id" is @id (borrowed), or NULL. */
JsonObject *mer_doc_find_by_id         (JsonArray    *docs,
                                        const char   *id);
/* Sorts @nodes (borrowed JsonNode pointers) with @compare, which receives
 * pointers to the elements, and returns a new array of copies. */
JsonArray  *mer_doc_sorted_copy        (GPtrArray    *nodes,
                                        GCompareFunc  compare);

G_END_DECLS
