/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-json.h"

#include <string.h>

JsonNode *
mer_json_parse (const char  *text,
                gssize       length,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = strlen (text);
  /* json-glib refuses text that is not UTF-8 itself (test-store checks). */
  if (!json_parser_load_from_data (parser, text, length, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           "empty JSON text");
      return NULL;
    }
  return json_parser_steal_root (parser);
}

JsonObject *
mer_json_parse_object (const char  *text,
                       gssize       length,
                       GError     **error)
{
  g_autoptr(JsonNode) node = mer_json_parse (text, length, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           "expected a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

char *
mer_json_to_string (JsonNode *node,
                    gboolean  pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  return json_generator_to_data (generator, NULL);
}

char *
mer_json_object_to_string (JsonObject *object,
                           gboolean    pretty)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return mer_json_to_string (node, pretty);
}

/* Appends @s as a JSON string literal. */
void
mer_json_append_string (GString    *out,
                        const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      const unsigned char *run = p;

      /* Copy runs that need no escaping in one go. */
      while (*p >= 0x20 && *p != '"' && *p != '\\')
        p++;
      if (p > run)
        g_string_append_len (out, (const char *) run, p - run);
      if (*p == '\0')
        break;
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static void
append_canonical (GString  *out,
                  JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);
        g_autoptr(GPtrArray) names = g_ptr_array_new ();
        gboolean first = TRUE;

        for (GList *l = members; l; l = l->next)
          g_ptr_array_add (names, l->data);
        g_ptr_array_sort (names, compare_members);
        g_string_append_c (out, '{');
        for (guint i = 0; i < names->len; i++)
          {
            const char *name = g_ptr_array_index (names, i);
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            mer_json_append_string (out, name);
            g_string_append_c (out, ':');
            append_canonical (out, json_object_get_member (object, name));
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_canonical (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          mer_json_append_string (out, json_node_get_string (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            double d = json_node_get_double (node);

            /* Integral doubles print as integers so 1.0 and 1 hash alike. */
            if (d == (double) (gint64) d && d > -1e15 && d < 1e15)
              g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) d);
            else
              g_string_append (out, g_ascii_dtostr (buf, sizeof buf, d));
          }
          break;
        default:
          g_string_append (out, "null");
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/*
 * Serialises a node with object members sorted by name and no white space,
 * so that two peers holding the same body produce the same bytes, and so
 * the same revision id.
 */
char *
mer_json_canonical (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  append_canonical (out, node);
  return g_string_free (out, FALSE);
}

static JsonNode *
deep_copy (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        JsonObject *copy = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, object);
        while (json_object_iter_next (&iter, &name, &member))
          json_object_set_member (copy, name, deep_copy (member));
        return json_node_init_object (json_node_alloc (), copy);
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        JsonArray *copy = json_array_sized_new (json_array_get_length (array));

        for (guint i = 0; i < json_array_get_length (array); i++)
          json_array_add_element (copy, deep_copy (json_array_get_element (array, i)));
        return json_node_init_array (json_node_alloc (), copy);
      }
    case JSON_NODE_VALUE:
      {
        JsonNode *copy = json_node_new (JSON_NODE_VALUE);

        switch (json_node_get_value_type (node))
          {
          case G_TYPE_STRING:
            json_node_set_string (copy, json_node_get_string (node));
            break;
          case G_TYPE_INT64:
            json_node_set_int (copy, json_node_get_int (node));
            break;
          case G_TYPE_DOUBLE:
            json_node_set_double (copy, json_node_get_double (node));
            break;
          case G_TYPE_BOOLEAN:
            json_node_set_boolean (copy, json_node_get_boolean (node));
            break;
          default:
            json_node_free (copy);
            return json_node_new (JSON_NODE_NULL);
          }
        return copy;
      }
    case JSON_NODE_NULL:
    default:
      return json_node_new (JSON_NODE_NULL);
    }
}

/* A deep copy: json_node_copy() shares nested objects and even scalar
 * values, whose reference counts json-glib 1.6 changes without atomics, so
 * a shared copy can neither be edited nor handed to another thread. */
JsonObject *
mer_json_object_copy (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autoptr(JsonNode) copy = deep_copy (node);

  return json_object_ref (json_node_get_object (copy));
}

const char *
mer_json_get_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
mer_json_get_bool (JsonObject *object,
                   const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return FALSE;
  node = json_object_get_member (object, member);
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  return json_node_get_boolean (node);
}
