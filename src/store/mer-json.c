/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-json.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include <inttypes.h>

G_DEFINE_QUARK (mer-json-error-quark, mer_json_error)

/* Numbers ------------------------------------------------------------------ */

/*
 * Reads the JSON number token at @p (RFC 8259's grammar, nothing more) and
 * says what the replica can keep of it: json-glib holds an integer as an
 * int64 and anything with a fraction or an exponent as a double. An integer
 * past 64 bits or a number past a double's range would be kept as another
 * number, so they are out of range. A number below a double's smallest is
 * rounded to it or to zero, as every reader of JSON into doubles does.
 * *@after is where the token ends (valid only when it is a number).
 */
MerJsonNumber
mer_json_read_number (const char  *p,
                      const char  *end,
                      const char **after,
                      gint64      *int_value,
                      double      *double_value)
{
  const char *start = p;
  gboolean negative = FALSE;
  gboolean is_double = FALSE;
  gboolean overflow = FALSE;
  guint64 magnitude = 0;

  if (p < end && *p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p >= end || !g_ascii_isdigit (*p))
    return MER_JSON_NUMBER_INVALID;
  if (*p == '0')
    p++;
  else
    for (; p < end && g_ascii_isdigit (*p); p++)
      {
        guint digit = (guint) (*p - '0');

        if (magnitude > (G_MAXUINT64 - digit) / 10)
          overflow = TRUE;
        else
          magnitude = magnitude * 10 + digit;
      }
  if (p < end && *p == '.')
    {
      is_double = TRUE;
      if (++p >= end || !g_ascii_isdigit (*p))
        return MER_JSON_NUMBER_INVALID;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      is_double = TRUE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return MER_JSON_NUMBER_INVALID;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  *after = p;

  if (!is_double)
    {
      if (overflow || magnitude > (negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64))
        return MER_JSON_NUMBER_OUT_OF_RANGE;
      if (int_value != NULL)
        *int_value = negative && magnitude > 0 ? -(gint64) (magnitude - 1) - 1 : (gint64) magnitude;
      return MER_JSON_NUMBER_INT;
    }

  {
    char buffer[64];
    g_autofree char *long_token = NULL;
    gsize n = (gsize) (p - start);
    const char *token = buffer;
    double value;

    if (n < sizeof buffer)
      {
        memcpy (buffer, start, n);
        buffer[n] = '\0';
      }
    else
      token = long_token = g_strndup (start, n);
    value = g_ascii_strtod (token, NULL);
    if (isinf (value) || isnan (value))
      return MER_JSON_NUMBER_OUT_OF_RANGE;
    if (double_value != NULL)
      *double_value = value;
    return MER_JSON_NUMBER_DOUBLE;
  }
}

/* Says which number was refused and why, the token cut short if long. */
void
mer_json_set_number_error (GError     **error,
                           GQuark       domain,
                           int          code,
                           const char  *token,
                           gsize        length)
{
  g_autofree char *shown = NULL;
  gboolean is_integer = memchr (token, '.', length) == NULL && memchr (token, 'e', length) == NULL
                        && memchr (token, 'E', length) == NULL;

  if (length > 40)
    shown = g_strdup_printf ("%.32s… (%" G_GSIZE_FORMAT " characters)", token, length);
  else
    shown = g_strndup (token, length);
  if (is_integer)
    g_set_error (error, domain, code,
                 _("The integer %s does not fit in 64 bits and cannot be stored exactly"), shown);
  else
    g_set_error (error, domain, code,
                 _("The number %s is beyond the range of a double and cannot be stored"), shown);
}

void
mer_json_set_nul_error (GError **error,
                        GQuark   domain,
                        int      code)
{
  g_set_error (error, domain, code,
               _("Strings, member names and ids may not hold \\u0000 (NUL), which cannot be stored"));
}

/*
 * A copy of @text with every \u0000 escape inside a string written as
 * \uDBFF\uDFFF (U+10FFFF, MER_JSON_NUL_MARK once parsed), or NULL when
 * it holds none. For a peer's answer that lists documents the replica
 * cannot keep (an id with NUL): marked, the rest of the answer can still be
 * read and those documents refused one by one. An escaped backslash
 * followed by "u0000" is text, not an escape, and stays as it is.
 */
char *
mer_json_mark_nul (const char *text,
                   gsize       length,
                   gsize      *out_length)
{
  g_autoptr(GString) out = NULL;
  gboolean in_string = FALSE;
  gboolean found = FALSE;
  gsize i = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  out = g_string_sized_new (length + 16);
  while (i < length)
    {
      char c = text[i];

      if (in_string && c == '\\' && i + 1 < length)
        {
          if (i + 5 < length && memcmp (text + i + 1, "u0000", 5) == 0)
            {
              g_string_append (out, "\\uDBFF\\uDFFF");
              found = TRUE;
              i += 6;
              continue;
            }
          g_string_append_len (out, text + i, 2);
          i += 2;
          continue;
        }
      if (c == '"')
        in_string = !in_string;
      g_string_append_c (out, c);
      i++;
    }
  if (!found)
    return NULL;
  if (out_length != NULL)
    *out_length = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/*
 * Writes a finite double as the shortest text that reads back as the same
 * double, so that writing what was read gives the same bytes again. A
 * whole number below 10^15 is written as an integer, as before: 1.0 and 1
 * hash alike. Callers refuse infinities and NaN before (there is no JSON
 * for them); "null" stands in should one get here.
 */
void
mer_json_append_double (GString *out,
                        double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  if (value > -1e15 && value < 1e15 && value == trunc (value))
    {
      g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) value);
      return;
    }
  for (int precision = 1; precision <= 17; precision++)
    {
      static const char * const formats[] = {
        NULL, "%.1g", "%.2g", "%.3g", "%.4g", "%.5g", "%.6g", "%.7g", "%.8g", "%.9g",
        "%.10g", "%.11g", "%.12g", "%.13g", "%.14g", "%.15g", "%.16g", "%.17g",
      };

      g_ascii_formatd (buffer, sizeof buffer, formats[precision], value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
}

/* Checking text ------------------------------------------------------------ */

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  guint       depth;
  guint       max_depth;
  GError    **error;
} Check;

static gboolean
check_invalid (Check *c)
{
  g_set_error (c->error, MER_JSON_ERROR, MER_JSON_ERROR_INVALID,
               _("Invalid JSON at byte %" PRIu64), (uint64_t) (c->p - c->start));
  return FALSE;
}

static void
check_space (Check *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
    c->p++;
}

static gboolean
check_hex4 (Check    *c,
            gunichar *value)
{
  *value = 0;
  if (c->end - c->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (*c->p++);

      if (digit < 0)
        return FALSE;
      *value = *value * 16 + (gunichar) digit;
    }
  return TRUE;
}

/* A string literal: no raw control characters, known escapes only,
 * surrogates in pairs, and no \u0000. The text is UTF-8 already. */
static gboolean
check_string (Check *c)
{
  c->p++;
  while (c->p < c->end)
    {
      guchar ch = (guchar) *c->p;
      gunichar u;

      if (ch == '"')
        {
          c->p++;
          return TRUE;
        }
      if (ch < 0x20)
        return check_invalid (c);
      if (ch != '\\')
        {
          c->p++;
          continue;
        }
      if (++c->p >= c->end)
        return check_invalid (c);
      switch (*c->p++)
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          break;
        case 'u':
          if (!check_hex4 (c, &u))
            return check_invalid (c);
          if (u == 0)
            {
              mer_json_set_nul_error (c->error, MER_JSON_ERROR, MER_JSON_ERROR_UNREPRESENTABLE);
              return FALSE;
            }
          if (u >= 0xdc00 && u <= 0xdfff)
            return check_invalid (c);
          if (u >= 0xd800 && u <= 0xdbff)
            {
              if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
                return check_invalid (c);
              c->p += 2;
              if (!check_hex4 (c, &u) || u < 0xdc00 || u > 0xdfff)
                return check_invalid (c);
            }
          break;
        default:
          return check_invalid (c);
        }
    }
  return check_invalid (c);
}

static gboolean
check_word (Check      *c,
            const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return check_invalid (c);
  c->p += n;
  return TRUE;
}

static gboolean check_value (Check *c);

static gboolean
check_container (Check *c)
{
  gboolean object = *c->p == '{';
  char close = object ? '}' : ']';

  if (++c->depth > c->max_depth)
    {
      g_set_error (c->error, MER_JSON_ERROR, MER_JSON_ERROR_TOO_DEEP,
                   _("JSON is nested more than %u levels deep"), c->max_depth);
      return FALSE;
    }
  c->p++;
  check_space (c);
  if (c->p < c->end && *c->p == close)
    {
      c->p++;
      c->depth--;
      return TRUE;
    }
  for (;;)
    {
      check_space (c);
      if (object)
        {
          if (c->p >= c->end || *c->p != '"' || !check_string (c))
            return c->error != NULL && *c->error != NULL ? FALSE : check_invalid (c);
          check_space (c);
          if (c->p >= c->end || *c->p != ':')
            return check_invalid (c);
          c->p++;
        }
      if (!check_value (c))
        return FALSE;
      check_space (c);
      if (c->p < c->end && *c->p == ',')
        {
          c->p++;
          continue;
        }
      if (c->p < c->end && *c->p == close)
        {
          c->p++;
          c->depth--;
          return TRUE;
        }
      return check_invalid (c);
    }
}

static gboolean
check_value (Check *c)
{
  const char *after = NULL;

  check_space (c);
  if (c->p >= c->end)
    return check_invalid (c);
  switch (*c->p)
    {
    case '{':
    case '[':
      return check_container (c);
    case '"':
      return check_string (c);
    case 't':
      return check_word (c, "true");
    case 'f':
      return check_word (c, "false");
    case 'n':
      return check_word (c, "null");
    default:
      switch (mer_json_read_number (c->p, c->end, &after, NULL, NULL))
        {
        case MER_JSON_NUMBER_INT:
        case MER_JSON_NUMBER_DOUBLE:
          c->p = after;
          return TRUE;
        case MER_JSON_NUMBER_OUT_OF_RANGE:
          mer_json_set_number_error (c->error, MER_JSON_ERROR, MER_JSON_ERROR_UNREPRESENTABLE,
                                     c->p, (gsize) (after - c->p));
          return FALSE;
        case MER_JSON_NUMBER_INVALID:
        default:
          return check_invalid (c);
        }
    }
}

/*
 * Checks that @text is one JSON value (RFC 8259, as UTF-8) nested at most
 * @max_depth deep whose every number and string the replica keeps exactly.
 * Fails with MER_JSON_ERROR: _INVALID, _TOO_DEEP or _UNREPRESENTABLE, or
 * with JSON_PARSER_ERROR_INVALID_DATA when the text is not UTF-8.
 */
gboolean
mer_json_check_text (const char  *text,
                     gsize        length,
                     guint        max_depth,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  Check c = { text, text, text + length, 0, max_depth, &local_error };

  g_return_val_if_fail (text != NULL || length == 0, FALSE);

  /* Also refuses NUL bytes, which would end the text for json-glib. The
   * error is json-glib's own, as callers knew it before this check. */
  if (length > G_MAXSSIZE || !g_utf8_validate_len (text, length, NULL))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA, _("JSON text is not valid UTF-8"));
      return FALSE;
    }
  if (!check_value (&c))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  check_space (&c);
  if (c.p != c.end)
    {
      check_invalid (&c);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Reading and writing ------------------------------------------------------ */

/*
 * Parses @text after checking it (see mer_json_check_text()), so that the
 * tree holds exactly the values the text does.
 */
JsonNode *
mer_json_parse (const char  *text,
                gssize       length,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = strlen (text);
  if (!mer_json_check_text (text, (gsize) length, MER_JSON_MAX_DEPTH, error))
    return NULL;
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

typedef enum
{
  WRITE_COMPACT,   /* members in their order, no white space */
  WRITE_PRETTY,    /* the same, laid out as json-glib lays it out */
  WRITE_CANONICAL, /* members sorted by name, no white space */
} WriteMode;

static void
append_indent (GString *out,
               guint    level)
{
  for (guint i = 0; i < level; i++)
    g_string_append (out, "  ");
}

static void
append_node (GString   *out,
             JsonNode  *node,
             WriteMode  mode,
             guint      level)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);
        g_autoptr(GPtrArray) names = g_ptr_array_new ();

        for (GList *l = members; l; l = l->next)
          g_ptr_array_add (names, l->data);
        if (mode == WRITE_CANONICAL)
          g_ptr_array_sort (names, compare_members);
        g_string_append_c (out, '{');
        if (mode == WRITE_PRETTY)
          {
            if (names->len == 0)
              append_indent (out, level);
            else
              g_string_append_c (out, '\n');
          }
        for (guint i = 0; i < names->len; i++)
          {
            const char *name = g_ptr_array_index (names, i);

            if (mode == WRITE_PRETTY)
              append_indent (out, level + 1);
            mer_json_append_string (out, name);
            g_string_append (out, mode == WRITE_PRETTY ? " : " : ":");
            append_node (out, json_object_get_member (object, name), mode, level + 1);
            if (i + 1 < names->len)
              g_string_append_c (out, ',');
            if (mode == WRITE_PRETTY)
              g_string_append_c (out, '\n');
          }
        if (mode == WRITE_PRETTY && names->len > 0)
          append_indent (out, level);
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        if (mode == WRITE_PRETTY && n > 0)
          g_string_append_c (out, '\n');
        for (guint i = 0; i < n; i++)
          {
            if (mode == WRITE_PRETTY)
              append_indent (out, level + 1);
            append_node (out, json_array_get_element (array, i), mode, level + 1);
            if (i + 1 < n)
              g_string_append_c (out, ',');
            if (mode == WRITE_PRETTY)
              g_string_append_c (out, '\n');
          }
        if (mode == WRITE_PRETTY && n > 0)
          append_indent (out, level);
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
          mer_json_append_double (out, json_node_get_double (node));
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
 * Writes JSON text. json-glib's own writer is not used: it writes a double
 * as 17 digits plus ".0", which is not JSON when there is an exponent
 * ("1e+308.0") nor when the double is infinite, and leaves some control
 * characters unescaped. @pretty lays the text out as json-glib does.
 */
char *
mer_json_to_string (JsonNode *node,
                    gboolean  pretty)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  append_node (out, node, pretty ? WRITE_PRETTY : WRITE_COMPACT, 0);
  return g_string_free (out, FALSE);
}

char *
mer_json_object_to_string (JsonObject *object,
                           gboolean    pretty)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return mer_json_to_string (node, pretty);
}

/*
 * Serialises a node with object members sorted by name and no white space,
 * so that two peers holding the same body produce the same bytes, and so
 * the same revision id. Numbers are written so that reading the text back
 * and writing it again gives the same text.
 */
char *
mer_json_canonical (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  append_node (out, node, WRITE_CANONICAL, 0);
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
