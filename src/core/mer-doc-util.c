/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-doc-util.h"
#include "mer-json.h"

gboolean
mer_doc_is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      return FALSE;
  return TRUE;
}

JsonArray *
mer_doc_string_array (JsonObject *object,
                      const char *member)
{
  JsonArray *out = json_array_new ();
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *in = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (in); i++)
        {
          JsonNode *item = json_array_get_element (in, i);

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING
              && *json_node_get_string (item) != '\0')
            json_array_add_string_element (out, json_node_get_string (item));
        }
    }
  return out;
}

JsonObject *
mer_doc_get_object (JsonObject *object,
                    const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

void
mer_doc_set_string_or_null (JsonObject *object,
                            const char *member,
                            const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

JsonObject *
mer_doc_find_by_id (JsonArray  *docs,
                    const char *id)
{
  for (guint i = 0; docs != NULL && i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);

      if (g_strcmp0 (mer_json_get_string (doc, "_id"), id) == 0)
        return doc;
    }
  return NULL;
}

/* "Move on-call to follow the sun" -> "move-on-call-to-follow-the-sun". */
char *
mer_doc_slug (const char *title)
{
  GString *out = g_string_new (NULL);
  g_autofree char *lower = NULL;
  gboolean dash = FALSE;

  lower = title != NULL ? g_utf8_strdown (title, -1) : g_strdup ("");
  for (const char *p = lower; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (dash && out->len > 0)
            g_string_append_c (out, '-');
          g_string_append_c (out, *p);
          dash = FALSE;
        }
      else
        dash = TRUE;
    }
  /* Long titles: cut at a word boundary. */
  if (out->len > 48)
    {
      const char *cut = g_strrstr_len (out->str, 49, "-");

      g_string_truncate (out, cut != NULL ? (gsize) (cut - out->str) : 48);
    }
  if (out->len == 0)
    g_string_append (out, "untitled");
  return g_string_free (out, FALSE);
}

char *
mer_doc_new_id (const char *type,
                const char *title)
{
  g_autofree char *slug = mer_doc_slug (title);
  g_autofree char *uuid = g_uuid_string_random ();

  return g_strdup_printf ("%s:%s-%.6s", type, slug, uuid);
}

JsonArray *
mer_doc_sorted_copy (GPtrArray    *nodes,
                     GCompareFunc  compare)
{
  JsonArray *out = json_array_new ();

  g_ptr_array_sort (nodes, compare);
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (out, json_node_copy (nodes->pdata[i]));
  return out;
}
