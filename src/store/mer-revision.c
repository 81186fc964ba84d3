/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Revisions as replication carries them, and a reader for the documents
 * of a _bulk_get answer.
 *
 * Reading a batch of 500 documents into json-glib trees, copying each body
 * out of its tree, writing it again as canonical text and freeing the
 * trees was about two fifths of the CPU a pull took. The reader here goes
 * over the text once and writes the canonical body as it goes, numbers as
 * mer_json_canonical() writes them. A document the replica cannot keep
 * exactly (a number past 64 bits or past a double's range, a \u0000, a
 * lone surrogate, nesting past MER_STORE_MAX_DEPTH) is read to its end
 * and marked with the reason, so that it alone is refused and the rest of
 * the batch arrives. Anything else it is not sure to read exactly as
 * json-glib would (a repeated member, anything malformed) sends the whole
 * answer to json-glib, which reads only text mer_json_check_text() passes.
 */

#include "config.h"

#include "mer-revision-private.h"
#include "mer-json.h"
#include "mer-store-private.h"

#include <glib/gi18n.h>
#include <string.h>

void
mer_revision_free (MerRevision *revision)
{
  if (revision == NULL)
    return;
  g_free (revision->id);
  g_free (revision->rev);
  g_strfreev (revision->ids);
  g_free (revision->body);
  g_clear_pointer (&revision->fields, json_object_unref);
  g_clear_pointer (&revision->attachments, json_node_unref);
  g_clear_error (&revision->problem);
  g_free (revision);
}

/* Reads "_revisions" the way json-glib's tree holds it. */
static void
history_from_node (MerRevision *revision,
                   JsonNode    *node)
{
  JsonObject *object;
  JsonNode *start;
  JsonNode *ids;
  JsonArray *array;
  g_autoptr(GStrvBuilder) builder = NULL;

  revision->start = MER_REVISION_BAD_HISTORY;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      revision->start = MER_REVISION_NO_HISTORY;
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);
  start = json_object_get_member (object, "start");
  ids = json_object_get_member (object, "ids");
  if (start == NULL || !JSON_NODE_HOLDS_VALUE (start)
      || json_node_get_value_type (start) != G_TYPE_INT64
      || json_node_get_int (start) < 0
      || ids == NULL || !JSON_NODE_HOLDS_ARRAY (ids))
    return;
  array = json_node_get_array (ids);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        return;
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  revision->start = json_node_get_int (start);
  revision->ids = g_strv_builder_end (builder);
}

/* Whether objects and arrays nest past @limit levels below @node's. */
static gboolean
nested_deeper_than (JsonNode *node,
                    guint     limit)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *member;

      if (limit == 0)
        return TRUE;
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        if (nested_deeper_than (member, limit - 1))
          return TRUE;
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      if (limit == 0)
        return TRUE;
      for (guint i = 0; i < json_array_get_length (array); i++)
        if (nested_deeper_than (json_array_get_element (array, i), limit - 1))
          return TRUE;
    }
  return FALSE;
}

static void
set_too_deep (GError **problem)
{
  g_set_error (problem, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
               _("Document is nested more than %d levels deep"), MER_STORE_MAX_DEPTH);
}

/* Takes what the store keeps of a document already parsed by json-glib. */
MerRevision *
mer_revision_new_from_doc (JsonObject *doc)
{
  MerRevision *revision = g_new0 (MerRevision, 1);
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (doc != NULL, NULL);

  /* json-glib read every number and string exactly (mer_json_parse()
   * checks); only the nesting of the document itself is left to check. */
  root = json_node_init_object (json_node_alloc (), doc);
  if (nested_deeper_than (root, MER_STORE_MAX_DEPTH))
    set_too_deep (&revision->problem);

  revision->id = g_strdup (mer_json_get_string (doc, "_id"));
  revision->rev = g_strdup (mer_json_get_string (doc, "_rev"));
  revision->deleted = mer_json_get_bool (doc, "_deleted");
  history_from_node (revision, json_object_get_member (doc, "_revisions"));
  revision->fields = _mer_body_of (doc);
  revision->body = _mer_canonical_object (revision->fields);
  if (json_object_get_member (doc, "_attachments") != NULL)
    revision->attachments = json_node_copy (json_object_get_member (doc, "_attachments"));
  return revision;
}

/*
 * The revision ids from this revision back to the oldest one sent, newest
 * first, each checked. "_revisions" must agree with "_rev".
 */
GPtrArray *
mer_revision_path (MerRevision  *revision,
                   GError      **error)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func (g_free);
  guint n;
  gint64 pos;

  g_return_val_if_fail (revision != NULL, NULL);

  if (!_mer_parse_rev (revision->rev, &pos, NULL))
    {
      _mer_set_bad_rev (error, revision->rev);
      return NULL;
    }
  if (revision->start == MER_REVISION_NO_HISTORY)
    {
      g_ptr_array_add (path, g_strdup (revision->rev));
      return g_steal_pointer (&path);
    }
  n = revision->ids != NULL ? g_strv_length (revision->ids) : 0;
  /* Every id must make a revision of a generation above zero. */
  if (revision->start == pos && n > 0 && (gint64) n <= pos)
    {
      for (guint i = 0; i < n; i++)
        {
          char *candidate = g_strdup_printf ("%" G_GINT64_FORMAT "-%s", pos - (gint64) i,
                                             revision->ids[i]);

          if (!_mer_parse_rev (candidate, NULL, NULL))
            {
              g_free (candidate);
              break;
            }
          g_ptr_array_add (path, candidate);
        }
      if (path->len == n && strcmp (g_ptr_array_index (path, 0), revision->rev) == 0)
        return g_steal_pointer (&path);
    }
  g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                       "_revisions does not match _rev");
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The reader */

typedef struct
{
  const char *p;
  const char *end;
  guint       depth;   /* levels of values below the document (or envelope) */
  GString    *text;    /* the string literal just read, decoded */
  GString    *trash;   /* values read only to check them */
  GError     *problem; /* why the document being read cannot be kept */
} Reader;

static inline void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* Consumes @c after any white space. */
static inline gboolean
take (Reader *r,
      char    c)
{
  skip_space (r);
  if (r->p < r->end && *r->p == c)
    {
      r->p++;
      return TRUE;
    }
  return FALSE;
}

static inline gboolean
at (Reader *r,
    char    c)
{
  skip_space (r);
  return r->p < r->end && *r->p == c;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Reader   *r,
           gunichar *c)
{
  *c = 0;
  if (r->end - r->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_value (*r->p++);

      if (digit < 0)
        return FALSE;
      *c = *c * 16 + (gunichar) digit;
    }
  return TRUE;
}

/* Reads a \u escape after its "\u". A \u0000 or a lone surrogate marks the
 * document; the text keeps the escape as written so that a refused id
 * is reported as sent. */
static gboolean
read_unicode_escape (Reader *r)
{
  const char *start = r->p - 2;
  gunichar c;
  gunichar low;

  if (!read_hex4 (r, &c))
    return FALSE;
  if (c >= 0xd800 && c <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u')
    {
      const char *second = r->p;

      r->p += 2;
      if (!read_hex4 (r, &low))
        return FALSE;
      if (low >= 0xdc00 && low <= 0xdfff)
        {
          g_string_append_unichar (r->text, 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00));
          return TRUE;
        }
      r->p = second;
    }
  if (c == 0 || (c >= 0xd800 && c <= 0xdfff))
    {
      if (c == 0 && r->problem == NULL)
        mer_json_set_nul_error (&r->problem, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
      else if (r->problem == NULL)
        g_set_error (&r->problem, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                     _("A string holds \\u%04x, half of a UTF-16 surrogate pair"), c);
      g_string_append_len (r->text, start, 6);
      return TRUE;
    }
  g_string_append_unichar (r->text, c);
  return TRUE;
}

/* Reads a string literal into r->text, decoded. */
static gboolean
read_string (Reader *r)
{
  g_string_truncate (r->text, 0);
  if (!take (r, '"'))
    return FALSE;
  for (;;)
    {
      const char *run = r->p;

      while (r->p < r->end && *r->p != '"' && *r->p != '\\' && (guchar) *r->p >= 0x20)
        r->p++;
      g_string_append_len (r->text, run, r->p - run);
      if (r->p >= r->end || (guchar) *r->p < 0x20)
        return FALSE;
      if (*r->p++ == '"')
        return TRUE;
      if (r->p >= r->end)
        return FALSE;
      switch (*r->p++)
        {
        case '"': g_string_append_c (r->text, '"'); break;
        case '\\': g_string_append_c (r->text, '\\'); break;
        case '/': g_string_append_c (r->text, '/'); break;
        case 'b': g_string_append_c (r->text, '\b'); break;
        case 'f': g_string_append_c (r->text, '\f'); break;
        case 'n': g_string_append_c (r->text, '\n'); break;
        case 'r': g_string_append_c (r->text, '\r'); break;
        case 't': g_string_append_c (r->text, '\t'); break;
        case 'u':
          if (!read_unicode_escape (r))
            return FALSE;
          break;
        default:
          return FALSE;
        }
    }
}

/*
 * Reads a number and writes it as mer_json_canonical() writes what
 * json-glib makes of it. One the replica cannot keep marks the document
 * and is written as null, the document being refused anyway.
 */
static gboolean
read_number (Reader  *r,
             GString *out)
{
  const char *after = NULL;
  gint64 int_value = 0;
  double double_value = 0;

  switch (mer_json_read_number (r->p, r->end, &after, &int_value, &double_value))
    {
    case MER_JSON_NUMBER_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, int_value);
      break;
    case MER_JSON_NUMBER_DOUBLE:
      mer_json_append_double (out, double_value);
      break;
    case MER_JSON_NUMBER_OUT_OF_RANGE:
      if (r->problem == NULL)
        mer_json_set_number_error (&r->problem, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                                   r->p, (gsize) (after - r->p));
      g_string_append (out, "null");
      break;
    case MER_JSON_NUMBER_INVALID:
    default:
      return FALSE;
    }
  r->p = after;
  return TRUE;
}

/*
 * Passes over a value nested too deep for the replica, without recursion:
 * the document is refused, but the answer goes on after it. Brackets must
 * match and strings end; nothing inside is kept.
 */
static gboolean
skip_deep (Reader *r)
{
  g_autoptr(GString) closers = g_string_new (NULL);

  do
    {
      if (r->p >= r->end)
        return FALSE;
      switch (*r->p)
        {
        case '{':
          g_string_append_c (closers, '}');
          r->p++;
          break;
        case '[':
          g_string_append_c (closers, ']');
          r->p++;
          break;
        case '}':
        case ']':
          if (closers->len == 0 || closers->str[closers->len - 1] != *r->p)
            return FALSE;
          g_string_truncate (closers, closers->len - 1);
          r->p++;
          break;
        case '"':
          r->p++;
          while (r->p < r->end && *r->p != '"')
            r->p += *r->p == '\\' ? 2 : 1;
          if (r->p >= r->end)
            return FALSE;
          r->p++;
          break;
        default:
          r->p++;
          break;
        }
    }
  while (closers->len > 0);
  return TRUE;
}

static gboolean
read_word (Reader     *r,
           const char *word,
           GString    *out)
{
  gsize n = strlen (word);

  if ((gsize) (r->end - r->p) < n || memcmp (r->p, word, n) != 0)
    return FALSE;
  r->p += n;
  g_string_append_len (out, word, n);
  return TRUE;
}

static gboolean read_value (Reader *r, GString *out);

/* Where one member of an object lies in the object's buffer. */
typedef struct
{
  gsize name;   /* offset of the name, NUL-terminated */
  gsize value;  /* offset of the canonical value */
  gsize length; /* length of the value */
} Member;

static int
compare_members (gconstpointer a,
                 gconstpointer b,
                 gpointer      buffer)
{
  const char *str = ((GString *) buffer)->str;

  return strcmp (str + ((const Member *) a)->name, str + ((const Member *) b)->name);
}

/* Writes the members gathered in @buffer in order of name. A repeated
 * name is left to json-glib, which keeps the last. */
static gboolean
write_members (GArray  *members,
               GString *buffer,
               GString *out)
{
  g_array_sort_with_data (members, compare_members, buffer);
  g_string_append_c (out, '{');
  for (guint i = 0; i < members->len; i++)
    {
      const Member *member = &g_array_index (members, Member, i);

      if (i > 0)
        {
          if (strcmp (buffer->str + member[-1].name, buffer->str + member->name) == 0)
            return FALSE;
          g_string_append_c (out, ',');
        }
      mer_json_append_string (out, buffer->str + member->name);
      g_string_append_c (out, ':');
      g_string_append_len (out, buffer->str + member->value, member->length);
    }
  g_string_append_c (out, '}');
  return TRUE;
}

/* Starts a member: reads its name into @buffer, then the colon. */
static gboolean
read_member_name (Reader  *r,
                  GArray  *members,
                  GString *buffer)
{
  Member member;

  if (!read_string (r) || !take (r, ':'))
    return FALSE;
  member.name = buffer->len;
  g_string_append_len (buffer, r->text->str, r->text->len + 1);
  member.value = buffer->len;
  member.length = 0;
  g_array_append_val (members, member);
  return TRUE;
}

static void
end_member (GArray  *members,
            GString *buffer)
{
  Member *member = &g_array_index (members, Member, members->len - 1);

  member->length = buffer->len - member->value;
}

static gboolean
read_object (Reader  *r,
             GString *out)
{
  g_autoptr(GArray) members = g_array_new (FALSE, FALSE, sizeof (Member));
  g_autoptr(GString) buffer = g_string_new (NULL);

  if (!take (r, '{'))
    return FALSE;
  if (take (r, '}'))
    {
      g_string_append (out, "{}");
      return TRUE;
    }
  do
    {
      if (!read_member_name (r, members, buffer) || !read_value (r, buffer))
        return FALSE;
      end_member (members, buffer);
    }
  while (take (r, ','));
  return take (r, '}') && write_members (members, buffer, out);
}

static gboolean
read_array (Reader  *r,
            GString *out)
{
  gboolean first = TRUE;

  if (!take (r, '['))
    return FALSE;
  g_string_append_c (out, '[');
  if (!take (r, ']'))
    {
      do
        {
          if (!first)
            g_string_append_c (out, ',');
          first = FALSE;
          if (!read_value (r, out))
            return FALSE;
        }
      while (take (r, ','));
      if (!take (r, ']'))
        return FALSE;
    }
  g_string_append_c (out, ']');
  return TRUE;
}

/* Reads any value and appends it to @out in canonical form. */
static gboolean
read_value (Reader  *r,
            GString *out)
{
  gboolean ok = FALSE;

  skip_space (r);
  if (r->p >= r->end)
    return FALSE;
  /* The document is level 1, a member's object or array level 2. */
  if ((*r->p == '{' || *r->p == '[') && r->depth + 2 > MER_STORE_MAX_DEPTH)
    {
      if (r->problem == NULL)
        set_too_deep (&r->problem);
      g_string_append (out, "null");
      return skip_deep (r);
    }
  r->depth++;
  switch (*r->p)
    {
    case '"':
      ok = read_string (r);
      if (ok)
        mer_json_append_string (out, r->text->str);
      break;
    case '{':
      ok = read_object (r, out);
      break;
    case '[':
      ok = read_array (r, out);
      break;
    case 't':
      ok = read_word (r, "true", out);
      break;
    case 'f':
      ok = read_word (r, "false", out);
      break;
    case 'n':
      ok = read_word (r, "null", out);
      break;
    default:
      ok = read_number (r, out);
      break;
    }
  r->depth--;
  return ok;
}

static gboolean
skip_value (Reader *r)
{
  g_string_truncate (r->trash, 0);
  return read_value (r, r->trash);
}

/* Reads "_revisions": null, or an object with "start" and "ids". */
static gboolean
read_history_object (Reader      *r,
                     MerRevision *revision)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  gboolean have_start = FALSE;
  gboolean have_ids = FALSE;
  gboolean good = TRUE;
  gint64 start = 0;

  revision->start = MER_REVISION_BAD_HISTORY;
  if (at (r, 'n'))
    {
      g_string_truncate (r->trash, 0);
      revision->start = MER_REVISION_NO_HISTORY;
      return read_word (r, "null", r->trash);
    }
  if (!at (r, '{'))
    return skip_value (r);
  r->p++;
  if (take (r, '}'))
    return TRUE;
  do
    {
      if (!read_string (r) || !take (r, ':'))
        return FALSE;
      if (strcmp (r->text->str, "start") == 0)
        {
          if (have_start)
            return FALSE;
          have_start = TRUE;
          g_string_truncate (r->trash, 0);
          skip_space (r);
          if (r->p < r->end && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')))
            {
              const char *after = NULL;
              MerJsonNumber kind = mer_json_read_number (r->p, r->end, &after, &start, NULL);

              /* json-glib keeps 1.0 as a double: not a generation. */
              if (kind == MER_JSON_NUMBER_INVALID || !read_number (r, r->trash))
                return FALSE;
              good = good && kind == MER_JSON_NUMBER_INT && start >= 0;
            }
          else if (!read_value (r, r->trash))
            return FALSE;
          else
            good = FALSE;
        }
      else if (strcmp (r->text->str, "ids") == 0)
        {
          if (have_ids)
            return FALSE;
          have_ids = TRUE;
          if (!at (r, '['))
            {
              good = FALSE;
              if (!skip_value (r))
                return FALSE;
              continue;
            }
          r->p++;
          builder = g_strv_builder_new ();
          r->depth++;
          if (!take (r, ']'))
            {
              do
                {
                  if (at (r, '"'))
                    {
                      if (!read_string (r))
                        return FALSE;
                      g_strv_builder_add (builder, r->text->str);
                    }
                  else if (!skip_value (r))
                    return FALSE;
                  else
                    good = FALSE;
                }
              while (take (r, ','));
              if (!take (r, ']'))
                return FALSE;
            }
          r->depth--;
        }
      else if (!skip_value (r))
        return FALSE;
    }
  while (take (r, ','));
  if (!take (r, '}'))
    return FALSE;
  if (good && have_start && have_ids)
    {
      revision->start = start;
      revision->ids = g_strv_builder_end (builder);
    }
  return TRUE;
}

/* The same, its members a level deeper than the document's. */
static gboolean
read_history (Reader      *r,
              MerRevision *revision)
{
  gboolean ok;

  r->depth++;
  ok = read_history_object (r, revision);
  r->depth--;
  return ok;
}

/* Reads one "_id" or "_rev": the string, or NULL for any other value. */
static gboolean
read_string_member (Reader  *r,
                    char   **value)
{
  if (!at (r, '"'))
    return skip_value (r);
  if (!read_string (r))
    return FALSE;
  *value = g_strndup (r->text->str, r->text->len);
  return TRUE;
}

/* The members of a document whose names start with "_" and that matter. */
enum
{
  SEEN_ID = 1 << 0,
  SEEN_REV = 1 << 1,
  SEEN_DELETED = 1 << 2,
  SEEN_REVISIONS = 1 << 3,
  SEEN_ATTACHMENTS = 1 << 4,
};

/*
 * Reads one document: the members starting with "_" the store needs, the
 * others into the canonical body, and the body's top-level strings the
 * store reads (a tree of every member cost as much as the rest).
 */
static MerRevision *
read_doc (Reader *r)
{
  g_autoptr(MerRevision) revision = g_new0 (MerRevision, 1);
  g_autoptr(GArray) members = g_array_new (FALSE, FALSE, sizeof (Member));
  g_autoptr(GString) buffer = g_string_new (NULL);
  g_autoptr(GString) body = NULL;
  guint seen = 0;

  revision->start = MER_REVISION_NO_HISTORY;
  revision->fields = json_object_new ();
  g_clear_error (&r->problem);
  if (!take (r, '{'))
    return NULL;
  if (!take (r, '}'))
    {
      do
        {
          if (!read_string (r) || !take (r, ':'))
            return NULL;
          if (r->text->str[0] == '_')
            {
              const char *name = r->text->str;
              guint bit = strcmp (name, "_id") == 0 ? SEEN_ID
                          : strcmp (name, "_rev") == 0 ? SEEN_REV
                          : strcmp (name, "_deleted") == 0 ? SEEN_DELETED
                          : strcmp (name, "_revisions") == 0 ? SEEN_REVISIONS
                          : strcmp (name, "_attachments") == 0 ? SEEN_ATTACHMENTS : 0;

              if (seen & bit)
                return NULL;
              seen |= bit;
              switch (bit)
                {
                case SEEN_ID:
                  if (!read_string_member (r, &revision->id))
                    return NULL;
                  break;
                case SEEN_REV:
                  if (!read_string_member (r, &revision->rev))
                    return NULL;
                  break;
                case SEEN_DELETED:
                  if (!skip_value (r))
                    return NULL;
                  revision->deleted = strcmp (r->trash->str, "true") == 0;
                  break;
                case SEEN_REVISIONS:
                  if (!read_history (r, revision))
                    return NULL;
                  break;
                case SEEN_ATTACHMENTS:
                  /* Kept as sent, for the store to check and resolve. */
                  if (!skip_value (r))
                    return NULL;
                  revision->attachments = mer_json_parse (r->trash->str, (gssize) r->trash->len, NULL);
                  if (revision->attachments == NULL)
                    return NULL;
                  break;
                default:
                  if (!skip_value (r))
                    return NULL;
                }
              continue;
            }

          {
            Member member;

            member.name = buffer->len;
            g_string_append_len (buffer, r->text->str, r->text->len + 1);
            member.value = buffer->len;
            if (at (r, '"'))
              {
                if (!read_string (r))
                  return NULL;
                if (_mer_store_reads_field (buffer->str + member.name))
                  json_object_set_string_member (revision->fields, buffer->str + member.name,
                                                 r->text->str);
                mer_json_append_string (buffer, r->text->str);
              }
            else if (!read_value (r, buffer))
              return NULL;
            member.length = buffer->len - member.value;
            g_array_append_val (members, member);
          }
        }
      while (take (r, ','));
      if (!take (r, '}'))
        return NULL;
    }
  body = g_string_sized_new (buffer->len + 2);
  if (!write_members (members, buffer, body))
    return NULL;
  revision->body = g_string_free (g_steal_pointer (&body), FALSE);
  revision->problem = g_steal_pointer (&r->problem);
  return g_steal_pointer (&revision);
}

typedef gboolean (*ReadFunc) (Reader *r, GPtrArray *revisions);

/*
 * Reads an object of the answer's envelope: the member @name (at most
 * once) with @func, every other member only to check it. @seen says
 * whether @name was there.
 */
static gboolean
read_envelope (Reader     *r,
               const char *name,
               ReadFunc    func,
               GPtrArray  *revisions,
               gboolean   *seen)
{
  *seen = FALSE;
  if (!take (r, '{'))
    return FALSE;
  if (take (r, '}'))
    return TRUE;
  do
    {
      if (!read_string (r) || !take (r, ':'))
        return FALSE;
      if (strcmp (r->text->str, name) == 0)
        {
          if (*seen || !func (r, revisions))
            return FALSE;
          *seen = TRUE;
        }
      else if (!skip_value (r))
        return FALSE;
    }
  while (take (r, ','));
  return take (r, '}');
}

/* Reads an array whose every element @func reads. */
static gboolean
read_list (Reader    *r,
           ReadFunc   func,
           GPtrArray *revisions)
{
  if (!take (r, '['))
    return FALSE;
  if (take (r, ']'))
    return TRUE;
  do
    if (!func (r, revisions))
      return FALSE;
  while (take (r, ','));
  return take (r, ']');
}

/* The document of an {"ok": doc} entry. */
static gboolean
read_ok (Reader    *r,
         GPtrArray *revisions)
{
  MerRevision *revision;

  if (!at (r, '{') || (revision = read_doc (r)) == NULL)
    return FALSE;
  g_ptr_array_add (revisions, revision);
  return TRUE;
}

/* Reads {"ok": doc} or any other entry of a "docs" array. */
static gboolean
read_entry (Reader    *r,
            GPtrArray *revisions)
{
  gboolean seen;

  return read_envelope (r, "ok", read_ok, revisions, &seen);
}

static gboolean
read_entries (Reader    *r,
              GPtrArray *revisions)
{
  return read_list (r, read_entry, revisions);
}

/* Reads one element of "results": {"id": ..., "docs": [entry, ...]}. */
static gboolean
read_result (Reader    *r,
             GPtrArray *revisions)
{
  gboolean seen;

  return read_envelope (r, "docs", read_entries, revisions, &seen);
}

static gboolean
read_results (Reader    *r,
              GPtrArray *revisions)
{
  return read_list (r, read_result, revisions);
}

/*
 * Reads a _bulk_get answer in one pass. Returns NULL when the text is
 * anything but plain JSON of the usual shape, for json-glib to read.
 */
GPtrArray *
_mer_revisions_read_bulk_get (const char *text,
                              gsize       length,
                              gboolean   *has_results)
{
  g_autoptr(GPtrArray) revisions = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_revision_free);
  g_autoptr(GString) decoded = g_string_new (NULL);
  g_autoptr(GString) trash = g_string_new (NULL);
  Reader r = { text, text + length, 0, decoded, trash, NULL };
  gboolean seen_results = FALSE;
  gboolean ok;

  ok = g_utf8_validate_len (text, length, NULL)
       && read_envelope (&r, "results", read_results, revisions, &seen_results);
  /* A problem outside any document concerns nothing kept. */
  g_clear_error (&r.problem);
  if (!ok)
    return NULL;
  skip_space (&r);
  if (r.p != r.end)
    return NULL;
  *has_results = seen_results;
  return g_steal_pointer (&revisions);
}

/* The same, through json-glib's tree: for whatever the reader leaves. */
static GPtrArray *
revisions_from_tree (const char  *text,
                     gsize        length,
                     gboolean    *has_results,
                     GError     **error)
{
  g_autoptr(JsonNode) root = mer_json_parse (text, (gssize) length, error);
  g_autoptr(GPtrArray) revisions = NULL;
  JsonObject *object;
  JsonArray *results;

  if (root == NULL)
    return NULL;
  revisions = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_revision_free);
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  *has_results = object != NULL && json_object_has_member (object, "results");
  if (!*has_results || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "results")))
    return g_steal_pointer (&revisions);
  results = json_object_get_array_member (object, "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonNode *node = json_array_get_element (results, i);
      JsonObject *result = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonNode *docs = result != NULL ? json_object_get_member (result, "docs") : NULL;

      if (docs == NULL || !JSON_NODE_HOLDS_ARRAY (docs))
        continue;
      for (guint j = 0; j < json_array_get_length (json_node_get_array (docs)); j++)
        {
          JsonNode *entry = json_array_get_element (json_node_get_array (docs), j);
          JsonNode *ok = JSON_NODE_HOLDS_OBJECT (entry)
                         ? json_object_get_member (json_node_get_object (entry), "ok") : NULL;

          if (ok != NULL && JSON_NODE_HOLDS_OBJECT (ok))
            g_ptr_array_add (revisions, mer_revision_new_from_doc (json_node_get_object (ok)));
        }
    }
  return g_steal_pointer (&revisions);
}

/*
 * The revisions of a _bulk_get answer, {"results": [{"id", "docs":
 * [{"ok": doc} or {"error": ...}]}]}. Entries that are not documents are
 * left out. @has_results says whether the answer had "results" at all (a
 * peer without _bulk_get may answer 200 with something else).
 */
GPtrArray *
mer_revisions_from_bulk_get (const char  *text,
                             gsize        length,
                             gboolean    *has_results,
                             GError     **error)
{
  GPtrArray *revisions;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (has_results != NULL, NULL);

  revisions = _mer_revisions_read_bulk_get (text, length, has_results);
  if (revisions != NULL)
    return revisions;
  return revisions_from_tree (text, length, has_results, error);
}
