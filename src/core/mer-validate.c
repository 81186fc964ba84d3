/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-validate.h"
#include "mer-json.h"
#include "mer-revision.h"
#include "mer-store.h"
#include "mer-store-attachments.h"

#include <glib/gi18n.h>
#include <string.h>


/* The document types whose shape Meridian owns; any other type is foreign. */
static const char * const meridian_types[] = {
  "page", "person", "proposal", "comment", "decision", "seen", NULL
};

static const char * const weekdays[] = {
  "mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL
};

static gboolean
str_in (const char         *value,
        const char * const *set)
{
  if (value == NULL)
    return FALSE;
  for (guint i = 0; set[i] != NULL; i++)
    if (strcmp (value, set[i]) == 0)
      return TRUE;
  return FALSE;
}

/*
 * Scans JSON text before it reaches the parser: json-glib descends
 * recursively, so a peer sending a few megabytes of "[[[[" would exhaust
 * the stack. Brackets inside strings do not count. The text must also be
 * valid UTF-8 without NUL bytes, which the parser does not promise to check.
 */
gboolean
mer_validate_json_text (const char  *text,
                        gsize        length,
                        guint        max_depth,
                        GError     **error)
{
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;
  guint depth = 0;

  if (text == NULL || length == 0)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("The request body is empty"));
      return FALSE;
    }
  if (length > G_MAXSSIZE || !g_utf8_validate_len (text, length, NULL))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("The request body is not valid UTF-8 JSON"));
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                           _("JSON is nested more than %u levels deep"), max_depth);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

/* Returns the Meridian type named by an id's "<type>:" prefix, or NULL. */
const char *
mer_validate_type_of_id (const char *id)
{
  const char *colon;

  if (id == NULL || (colon = strchr (id, ':')) == NULL)
    return NULL;
  for (guint i = 0; meridian_types[i] != NULL; i++)
    if (strlen (meridian_types[i]) == (gsize) (colon - id)
        && strncmp (id, meridian_types[i], colon - id) == 0)
      return meridian_types[i];
  return NULL;
}

/* The rules every id shares: present, bounded, printable UTF-8. */
static gboolean
check_id_text (const char  *id,
               GError     **error)
{
  if (id == NULL || *id == '\0')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document id must be a non-empty string"));
      return FALSE;
    }
  if (strlen (id) > MER_VALIDATE_MAX_ID_BYTES)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document id is longer than %d bytes"), MER_VALIDATE_MAX_ID_BYTES);
      return FALSE;
    }
  if (!g_utf8_validate (id, -1, NULL))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document id is not valid UTF-8"));
      return FALSE;
    }
  for (const char *p = id; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                     _("Document id contains a control character"));
        return FALSE;
      }
  return TRUE;
}

/*
 * A replicated document id. Ids that start with an underscore are reserved
 * (CouchDB's rule); design documents are refused, since Meridian would never
 * run them and storing them would suggest otherwise. Documents of foreign
 * types are accepted. A Meridian type prefix needs a name after it.
 */
gboolean
mer_validate_id (const char  *id,
                 GError     **error)
{
  const char *type;

  if (!check_id_text (id, error))
    return FALSE;
  if (g_str_has_prefix (id, "_design/"))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN,
                   _("Design documents are not supported: Meridian runs no code from peers"));
      return FALSE;
    }
  if (id[0] == '_')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Only reserved document ids may start with underscore"));
      return FALSE;
    }
  type = mer_validate_type_of_id (id);
  if (type != NULL && id[strlen (type) + 1] == '\0')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document id “%s” has no name after its type"), id);
      return FALSE;
    }
  return TRUE;
}

/* A local (never replicated) document id: "_local/<name>". */
gboolean
mer_validate_local_id (const char  *id,
                       GError     **error)
{
  if (!check_id_text (id, error))
    return FALSE;
  if (!g_str_has_prefix (id, "_local/") || id[strlen ("_local/")] == '\0')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Local document id must be “_local/” and a name"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_rev_hash (const char *hash,
             gsize       length)
{
  if (length == 0 || length > MER_VALIDATE_MAX_REV_HASH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (hash[i]))
      return FALSE;
  return TRUE;
}

/*
 * A revision id "N-hash": N a positive decimal generation, hash the
 * alphanumeric digest (32 lowercase hex digits from Meridian, CouchDB and
 * PouchDB; other peers may differ, so any alphanumerics are allowed).
 */
gboolean
mer_validate_rev (const char  *rev,
                  guint64     *out_pos,
                  GError     **error)
{
  const char *dash;
  guint64 pos = 0;

  if (rev == NULL || (dash = strchr (rev, '-')) == NULL || dash == rev
      || dash - rev > 9)
    goto bad;
  for (const char *p = rev; p < dash; p++)
    {
      if (!g_ascii_isdigit (*p))
        goto bad;
      pos = pos * 10 + (guint64) (*p - '0');
    }
  if (pos == 0 || !is_rev_hash (dash + 1, strlen (dash + 1)))
    goto bad;
  if (out_pos != NULL)
    *out_pos = pos;
  return TRUE;

bad:
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
               _("Invalid revision format"));
  return FALSE;
}

/*
 * "_revisions": {"start": N, "ids": [newest … oldest]}. With @rev, the
 * newest entry must name that very revision.
 */
gboolean
mer_validate_revisions (JsonNode    *revisions,
                        const char  *rev,
                        GError     **error)
{
  JsonObject *object;
  JsonNode *start_node;
  JsonNode *ids_node;
  JsonArray *ids;
  gint64 start;
  guint n;

  if (revisions == NULL || !JSON_NODE_HOLDS_OBJECT (revisions))
    goto bad;
  object = json_node_get_object (revisions);
  start_node = json_object_get_member (object, "start");
  ids_node = json_object_get_member (object, "ids");
  if (start_node == NULL || json_node_get_value_type (start_node) != G_TYPE_INT64
      || ids_node == NULL || !JSON_NODE_HOLDS_ARRAY (ids_node))
    goto bad;
  start = json_node_get_int (start_node);
  ids = json_node_get_array (ids_node);
  n = json_array_get_length (ids);
  if (start < 1 || start > 999999999 || n == 0 || (gint64) n > start)
    goto bad;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *id = json_array_get_element (ids, i);
      const char *hash;

      if (json_node_get_value_type (id) != G_TYPE_STRING)
        goto bad;
      hash = json_node_get_string (id);
      if (!is_rev_hash (hash, strlen (hash)))
        goto bad;
    }
  if (rev != NULL)
    {
      guint64 pos;

      if (!mer_validate_rev (rev, &pos, error))
        return FALSE;
      if ((gint64) pos != start
          || strcmp (strchr (rev, '-') + 1, json_array_get_string_element (ids, 0)) != 0)
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                       _("_revisions does not match _rev"));
          return FALSE;
        }
    }
  return TRUE;

bad:
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
               _("_revisions must be {\"start\": N, \"ids\": [revision hashes]}"));
  return FALSE;
}

/*
 * Walks a value once to bound both its nesting and its serialised size
 * (estimated from above, without serialising: escapes are counted as one
 * byte, so a string of quotes may slip past by a factor of two at most).
 * @depth is the level of @node: the document itself is level 1, and only
 * objects and arrays make levels.
 */
static gboolean
measure (JsonNode *node,
         guint     depth,
         gsize    *size,
         GError  **error)
{
  if (depth > MER_VALIDATE_MAX_DEPTH
      && (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node)))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document is nested more than %d levels deep"), MER_VALIDATE_MAX_DEPTH);
      return FALSE;
    }

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *key;
        JsonNode *member;

        *size += 2;
        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &key, &member))
          {
            /* Attachments' bytes have their own limit, in the store. */
            if (depth == 1 && strcmp (key, "_attachments") == 0)
              continue;
            *size += strlen (key) + 4;
            if (!measure (member, depth + 1, size, error))
              return FALSE;
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        *size += 2;
        for (guint i = 0; i < n; i++)
          {
            *size += 1;
            if (!measure (json_array_get_element (array, i), depth + 1, size, error))
              return FALSE;
          }
      }
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        *size += strlen (json_node_get_string (node)) + 2;
      else
        *size += 24;
      break;
    case JSON_NODE_NULL:
    default:
      *size += 4;
      break;
    }

  if (*size > MER_VALIDATE_MAX_DOC_BYTES)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_TOO_LARGE,
                   _("Document is larger than %d bytes"), MER_VALIDATE_MAX_DOC_BYTES);
      return FALSE;
    }
  return TRUE;
}

static gboolean
forbid (GError     **error,
        const char  *id,
        const char  *reason)
{
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_FORBIDDEN, "%s: %s", id, reason);
  return FALSE;
}

static gboolean
has_string (JsonObject *doc,
            const char *member)
{
  return mer_json_get_string (doc, member) != NULL;
}

/* Minutes since midnight of "HH:MM" (00:00 … 24:00), or -1. */
static int
parse_clock (JsonNode *node)
{
  const char *text;
  int hours, minutes;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return -1;
  text = json_node_get_string (node);
  if (strlen (text) != 5 || !g_ascii_isdigit (text[0]) || !g_ascii_isdigit (text[1])
      || text[2] != ':' || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return -1;
  hours = (text[0] - '0') * 10 + (text[1] - '0');
  minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
    return -1;
  return hours * 60 + minutes;
}

/*
 * A person's "work" or "focus": {mon: [["09:00","17:00"], …], …}; every
 * range starts before it ends and may end at 24:00.
 */
static gboolean
check_week (JsonObject  *doc,
            const char  *member,
            const char  *id,
            GError     **error)
{
  JsonNode *node = json_object_get_member (doc, member);
  JsonObjectIter iter;
  const char *day;
  JsonNode *ranges;
  g_autofree char *reason = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  reason = g_strdup_printf (_("%s must map weekdays (mon … sun) to lists of [\"HH:MM\", \"HH:MM\"] ranges"),
                            member);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return forbid (error, id, reason);

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &day, &ranges))
    {
      JsonArray *list;

      if (!str_in (day, weekdays) || !JSON_NODE_HOLDS_ARRAY (ranges))
        return forbid (error, id, reason);
      list = json_node_get_array (ranges);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonNode *range = json_array_get_element (list, i);
          JsonArray *pair;
          int from, to;

          if (!JSON_NODE_HOLDS_ARRAY (range))
            return forbid (error, id, reason);
          pair = json_node_get_array (range);
          if (json_array_get_length (pair) != 2)
            return forbid (error, id, reason);
          from = parse_clock (json_array_get_element (pair, 0));
          to = parse_clock (json_array_get_element (pair, 1));
          if (from < 0 || to < 0 || from >= to)
            return forbid (error, id, reason);
        }
    }
  return TRUE;
}

/*
 * A page path names a file on export and a place in the page tree, so one
 * that could climb out of the export folder ("..", a leading "/", a
 * backslash on Windows) or that no file name can carry (empty or "."
 * parts, control characters) is refused when written, not only when
 * exported: a replica never accepts what another one could not export.
 */
static const char *
page_path_problem (const char *path)
{
  g_auto(GStrv) parts = NULL;

  if (*path == '\0')
    return _("a page path must not be empty");
  if (*path == '/')
    return _("a page path must not start with “/”");
  for (const char *p = path; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return _("a page path must not contain control characters");
      if (*p == '\\')
        return _("a page path must not contain a backslash");
    }
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0')
        return _("a page path must not contain empty parts (“//” or a trailing “/”)");
      if (strcmp (parts[i], ".") == 0 || strcmp (parts[i], "..") == 0)
        return _("a page path must not contain “.” or “..” parts");
    }
  return NULL;
}

/* The fields of a Meridian type that other peers rely on. */
static gboolean
check_type_shape (JsonObject  *doc,
                  const char  *type,
                  const char  *id,
                  GError     **error)
{
  static const char * const proposal_status[] = { "open", "accepted", "rejected", "withdrawn", NULL };
  static const char * const decision_status[] = { "accepted", "rejected", "superseded", NULL };
  static const char * const stances[] = { "agree", "concern", "object", NULL };
  const char *problem;

  if (strcmp (type, "page") == 0)
    {
      if (!has_string (doc, "title") || !has_string (doc, "path") || !has_string (doc, "body"))
        return forbid (error, id, _("a page needs string title, path and body"));
      problem = page_path_problem (mer_json_get_string (doc, "path"));
      if (problem != NULL)
        return forbid (error, id, problem);
    }
  else if (strcmp (type, "person") == 0)
    {
      const char *tz = mer_json_get_string (doc, "tz");

      if (tz == NULL || *tz == '\0')
        return forbid (error, id, _("a person needs a time zone string “tz”"));
      if (!check_week (doc, "work", id, error) || !check_week (doc, "focus", id, error))
        return FALSE;
    }
  else if (strcmp (type, "proposal") == 0)
    {
      if (!str_in (mer_json_get_string (doc, "status"), proposal_status))
        return forbid (error, id, _("a proposal's status must be open, accepted, rejected or withdrawn"));
    }
  else if (strcmp (type, "comment") == 0)
    {
      const char *on = mer_json_get_string (doc, "on");
      JsonNode *stance = json_object_get_member (doc, "stance");

      if (on == NULL || *on == '\0' || !has_string (doc, "author") || !has_string (doc, "body"))
        return forbid (error, id, _("a comment needs string on, author and body"));
      if (stance != NULL && !JSON_NODE_HOLDS_NULL (stance)
          && !str_in (mer_json_get_string (doc, "stance"), stances))
        return forbid (error, id, _("a comment's stance must be null, agree, concern or object"));
    }
  else if (strcmp (type, "decision") == 0)
    {
      if (!str_in (mer_json_get_string (doc, "status"), decision_status))
        return forbid (error, id, _("a decision's status must be accepted, rejected or superseded"));
    }
  return TRUE;
}

/*
 * The digest an entry of "_attachments" being written will have once the
 * store has resolved it (see resolve_one() in the store): the digest given
 * with it, else that of its inline bytes, else, for a stub, that of the
 * attachment of the same name in @before (the revision it is written on).
 * NULL when none can be known, which counts as new bytes.
 */
static char *
digest_to_be (JsonNode   *node,
              const char *name,
              JsonObject *before)
{
  JsonObject *entry;
  const char *digest;
  const char *data;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  entry = json_node_get_object (node);
  digest = mer_json_get_string (entry, "digest");
  if (digest != NULL)
    return g_strdup (digest);
  data = mer_json_get_string (entry, "data");
  if (data != NULL)
    {
      g_autofree guchar *bytes = NULL;
      gsize length = 0;

      bytes = g_base64_decode (data, &length);
      return mer_attachment_digest (bytes, length);
    }
  if (mer_json_get_bool (entry, "stub") && before != NULL && json_object_has_member (before, name))
    return g_strdup (mer_json_get_string (json_object_get_object_member (before, name), "digest"));
  return NULL;
}

static JsonObject *
attachments_of (JsonObject *doc)
{
  JsonNode *node = json_object_get_member (doc, "_attachments");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/*
 * A decision's attachments are part of what was decided (the diagram, the
 * signed PDF): a revision may carry them on, never add, drop or replace
 * one. The hub holds to the same rule (hub-validate.js).
 */
static gboolean
check_decision_attachments (JsonObject  *doc,
                            JsonObject  *previous,
                            const char  *id,
                            GError     **error)
{
  JsonObject *before = attachments_of (previous);
  JsonObject *after = attachments_of (doc);
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (after != NULL)
    {
      json_object_iter_init (&iter, after);
      while (json_object_iter_next (&iter, &name, &node))
        {
          g_autofree char *digest = NULL;
          const char *kept = NULL;

          if (before == NULL || !json_object_has_member (before, name))
            {
              g_autofree char *reason = g_strdup_printf (_("a decision’s attachments never change: %s would be added; "
                                                           "write a new decision that supersedes it"), name);
              return forbid (error, id, reason);
            }
          digest = digest_to_be (node, name, before);
          if (JSON_NODE_HOLDS_OBJECT (json_object_get_member (before, name)))
            kept = mer_json_get_string (json_object_get_object_member (before, name), "digest");
          if (digest == NULL || g_strcmp0 (digest, kept) != 0)
            {
              g_autofree char *reason = g_strdup_printf (_("a decision’s attachments never change: %s would be replaced; "
                                                           "write a new decision that supersedes it"), name);
              return forbid (error, id, reason);
            }
        }
    }
  if (before != NULL)
    {
      json_object_iter_init (&iter, before);
      while (json_object_iter_next (&iter, &name, &node))
        if (after == NULL || !json_object_has_member (after, name))
          {
            g_autofree char *reason = g_strdup_printf (_("a decision’s attachments never change: %s would be removed; "
                                                         "write a new decision that supersedes it"), name);
            return forbid (error, id, reason);
          }
    }
  return TRUE;
}

/*
 * Decisions are never edited after they are made, not even to mark them
 * superseded: supersession is recorded by the newer decision's
 * "supersedes" alone, and the older one's state is derived from it when
 * it is read (see mer-decision.c). So a revision may only repeat the body
 * of the revision it replaces. A "superseded_by" any peer could write
 * would let it point a decision at one that does not exist.
 */
static gboolean
check_decision_unchanged (JsonObject  *doc,
                          JsonObject  *previous,
                          const char  *id,
                          GError     **error)
{
  JsonObject *sides[2] = { doc, previous };

  if (mer_json_get_bool (previous, "_deleted"))
    return TRUE;
  for (guint s = 0; s < 2; s++)
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      json_object_iter_init (&iter, sides[s]);
      while (json_object_iter_next (&iter, &key, &value))
        {
          JsonNode *other;

          if (key[0] == '_')
            continue;
          other = json_object_get_member (sides[1 - s], key);
          if (other == NULL || !json_node_equal (value, other))
            return forbid (error, id, _("decisions are never edited; write a new decision that supersedes it"));
        }
    }
  return check_decision_attachments (doc, previous, id, error);
}

static const char * const ignored_members[] = {
  "_conflicts", "_deleted_conflicts", "_revs_info", "_local_seq", NULL
};

/* The underscore members a replicated document may carry. */
static gboolean
check_special_members (JsonObject  *doc,
                       GError     **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  json_object_iter_init (&iter, doc);
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (key[0] != '_')
        continue;
      if (strcmp (key, "_id") == 0 || strcmp (key, "_rev") == 0
          || strcmp (key, "_revisions") == 0 || str_in (key, ignored_members))
        continue;
      if (strcmp (key, "_deleted") == 0)
        {
          if (json_node_get_value_type (value) != G_TYPE_BOOLEAN)
            {
              g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                           _("_deleted must be true or false"));
              return FALSE;
            }
          continue;
        }
      /*
       * Each entry is checked by the store, which keeps the bytes. An
       * empty object says there are none (couchrestore and RxDB write it
       * on every document).
       */
      if (strcmp (key, "_attachments") == 0)
        {
          if (!JSON_NODE_HOLDS_OBJECT (value) && !JSON_NODE_HOLDS_NULL (value))
            {
              g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                           _("_attachments must be an object"));
              return FALSE;
            }
          continue;
        }
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Bad special document member: %s"), key);
      return FALSE;
    }
  return TRUE;
}

/* mer_validate_doc(), told whether the size and depth were checked. */
static gboolean
validate_doc (JsonObject  *doc,
              JsonObject  *previous,
              gboolean     measured,
              GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonNode *id_node;
  JsonNode *rev_node;
  JsonNode *revisions;
  JsonNode *type_node;
  const char *id;
  const char *rev = NULL;
  const char *id_type;
  const char *type = NULL;
  gsize size = 0;

  if (!measured)
    {
      root = json_node_init_object (json_node_alloc (), doc);
      if (!measure (root, 1, &size, error))
        return FALSE;
    }
  if (!check_special_members (doc, error))
    return FALSE;

  id_node = json_object_get_member (doc, "_id");
  if (id_node == NULL || json_node_get_value_type (id_node) != G_TYPE_STRING)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document id must be a non-empty string"));
      return FALSE;
    }
  id = json_node_get_string (id_node);
  if (!mer_validate_id (id, error))
    return FALSE;

  rev_node = json_object_get_member (doc, "_rev");
  if (rev_node != NULL)
    {
      if (json_node_get_value_type (rev_node) != G_TYPE_STRING)
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                       _("Invalid revision format"));
          return FALSE;
        }
      rev = json_node_get_string (rev_node);
      if (!mer_validate_rev (rev, NULL, error))
        return FALSE;
    }
  revisions = json_object_get_member (doc, "_revisions");
  if (revisions != NULL && !mer_validate_revisions (revisions, rev, error))
    return FALSE;

  id_type = mer_validate_type_of_id (id);
  if (mer_json_get_bool (doc, "_deleted"))
    {
      if (g_strcmp0 (id_type, "decision") == 0)
        return forbid (error, id, _("decisions are never deleted; write a new decision that supersedes it"));
      return TRUE;
    }

  type_node = json_object_get_member (doc, "type");
  if (type_node != NULL && json_node_get_value_type (type_node) == G_TYPE_STRING)
    type = json_node_get_string (type_node);

  if (id_type != NULL && g_strcmp0 (type, id_type) != 0)
    {
      g_autofree char *reason = g_strdup_printf (_("the type field must be “%s”"), id_type);
      return forbid (error, id, reason);
    }
  if (id_type == NULL && str_in (type, meridian_types))
    {
      g_autofree char *reason = g_strdup_printf (_("the id of a %s must start with “%s:”"), type, type);
      return forbid (error, id, reason);
    }
  if (id_type == NULL)
    return TRUE;

  if (!check_type_shape (doc, id_type, id, error))
    return FALSE;
  if (previous != NULL && strcmp (id_type, "decision") == 0)
    return check_decision_unchanged (doc, previous, id, error);
  return TRUE;
}

/*
 * Checks one replicated document: its size and nesting, its id and
 * revision members, and, for Meridian's own types, the shape of its body.
 * Documents of other types (from PouchDB or CouchDB clients) are stored as
 * they come. @previous, when known, is the revision @doc replaces; it only
 * matters for decisions.
 */
gboolean
mer_validate_doc (JsonObject  *doc,
                  JsonObject  *previous,
                  GError     **error)
{
  g_return_val_if_fail (doc != NULL, FALSE);

  return validate_doc (doc, previous, FALSE, error);
}

/* A local document: a bounded object with a "_local/" id and a "0-N" rev. */
gboolean
mer_validate_local_doc (JsonObject  *doc,
                        GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  const char *rev;
  gsize size = 0;

  g_return_val_if_fail (doc != NULL, FALSE);

  root = json_node_init_object (json_node_alloc (), doc);
  if (!measure (root, 1, &size, error))
    return FALSE;
  if (!mer_validate_local_id (mer_json_get_string (doc, "_id"), error))
    return FALSE;
  if (json_object_has_member (doc, "_rev"))
    {
      rev = mer_json_get_string (doc, "_rev");
      if (rev == NULL || !g_str_has_prefix (rev, "0-") || rev[2] == '\0'
          || strspn (rev + 2, "0123456789") != strlen (rev + 2) || strlen (rev) > 20)
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                       _("Invalid revision format"));
          return FALSE;
        }
    }
  return TRUE;
}

/*
 * Finds the revision a decision replaces, to hold it to its first version.
 * A revision the store already holds needs no check (replication replays).
 */
static JsonObject *
find_previous (MerStore   *store,
               JsonObject *doc,
               gboolean    new_edits,
               gboolean   *already_held)
{
  const char *id = mer_json_get_string (doc, "_id");
  const char *rev = mer_json_get_string (doc, "_rev");
  JsonNode *revisions;
  JsonObject *previous;

  *already_held = FALSE;
  if (new_edits)
    return rev != NULL ? mer_store_get_doc (store, id, rev, MER_GET_DEFAULT, NULL) : NULL;

  if (rev == NULL)
    return NULL;
  previous = mer_store_get_doc (store, id, rev, MER_GET_DEFAULT, NULL);
  if (previous != NULL)
    {
      *already_held = TRUE;
      json_object_unref (previous);
      return NULL;
    }
  revisions = json_object_get_member (doc, "_revisions");
  if (revisions != NULL)
    {
      JsonObject *object = json_node_get_object (revisions);
      JsonArray *ids = json_object_get_array_member (object, "ids");

      if (json_array_get_length (ids) >= 2)
        {
          g_autofree char *parent = g_strdup_printf ("%" G_GINT64_FORMAT "-%s",
                                                     json_object_get_int_member (object, "start") - 1,
                                                     json_array_get_string_element (ids, 1));

          previous = mer_store_get_doc (store, id, parent, MER_GET_DEFAULT, NULL);
          if (previous != NULL)
            return previous;
        }
    }
  /* An unknown parent: a new branch must still match what we hold. */
  return mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);
}

/* mer_validate_write(), told whether the size and depth were checked. */
static gboolean
validate_write (MerStore    *store,
                JsonObject  *doc,
                gboolean     new_edits,
                gboolean     measured,
                GError     **error)
{
  g_autoptr(JsonObject) previous = NULL;
  gboolean already_held;

  if (!validate_doc (doc, NULL, measured, error))
    return FALSE;
  if (!new_edits && !json_object_has_member (doc, "_rev"))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("A replicated revision needs _rev"));
      return FALSE;
    }
  if (store == NULL
      || g_strcmp0 (mer_validate_type_of_id (mer_json_get_string (doc, "_id")), "decision") != 0
      || mer_json_get_bool (doc, "_deleted"))
    return TRUE;

  previous = find_previous (store, doc, new_edits, &already_held);
  if (already_held || previous == NULL)
    return TRUE;
  return validate_doc (doc, previous, TRUE, error);
}

/*
 * Validates @doc as it is about to be written to @store, normally
 * (@new_edits) or as a replicated revision. Adds to mer_validate_doc() the
 * checks that need the stored revisions. The store runs it on every write
 * (see mer-store-write.c), so whatever enters a replica, from the app, an
 * import, `serve` or a pull, passes the same rules.
 */
gboolean
mer_validate_write (MerStore    *store,
                    JsonObject  *doc,
                    gboolean     new_edits,
                    GError     **error)
{
  g_return_val_if_fail (doc != NULL, FALSE);

  return validate_write (store, doc, new_edits, FALSE, error);
}

/*
 * mer_validate_write() for a revision pulled from another replica, which
 * comes as the store keeps it: the canonical text of its body and the
 * top-level strings the store reads. Size and depth are read off the text.
 * A page's rules need only those strings and a foreign type has none, so
 * only the few documents of Meridian's other types have their body parsed
 * again: pages are most of a pull, and a second parse of each would cost
 * a third of it.
 */
gboolean
mer_validate_revision (MerStore     *store,
                       MerRevision  *revision,
                       GError      **error)
{
  g_autoptr(JsonObject) doc = NULL;
  const char *type;
  gsize length;

  g_return_val_if_fail (revision != NULL, FALSE);

  if (revision->id == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("Document id must be a non-empty string"));
      return FALSE;
    }
  if (revision->rev == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("A replicated revision needs _rev"));
      return FALSE;
    }
  if (revision->start == MER_REVISION_BAD_HISTORY)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   _("_revisions must be {\"start\": N, \"ids\": [revision hashes]}"));
      return FALSE;
    }
  length = revision->body != NULL ? strlen (revision->body) : 0;
  if (length > MER_VALIDATE_MAX_DOC_BYTES)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_TOO_LARGE,
                   _("Document is larger than %d bytes"), MER_VALIDATE_MAX_DOC_BYTES);
      return FALSE;
    }
  /* The text's outer braces are the document's level 0. */
  if (length > 0 && !mer_validate_json_text (revision->body, length, MER_VALIDATE_MAX_DEPTH + 1, error))
    return FALSE;

  type = mer_validate_type_of_id (revision->id);
  if (type != NULL && strcmp (type, "page") != 0 && !revision->deleted && length > 0)
    {
      g_autoptr(JsonNode) root = mer_json_parse (revision->body, (gssize) length, NULL);

      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                       _("Document must be a JSON object"));
          return FALSE;
        }
      doc = json_object_ref (json_node_get_object (root));
    }
  else
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      doc = json_object_new ();
      if (revision->fields != NULL)
        {
          json_object_iter_init (&iter, revision->fields);
          while (json_object_iter_next (&iter, &name, &value))
            json_object_set_member (doc, name, json_node_ref (value));
        }
    }

  json_object_set_string_member (doc, "_id", revision->id);
  json_object_set_string_member (doc, "_rev", revision->rev);
  if (revision->deleted)
    json_object_set_boolean_member (doc, "_deleted", TRUE);
  if (revision->attachments != NULL)
    json_object_set_member (doc, "_attachments", json_node_ref (revision->attachments));
  if (revision->start >= 0)
    {
      JsonObject *history = json_object_new ();
      JsonArray *ids = json_array_new ();

      for (guint i = 0; revision->ids != NULL && revision->ids[i] != NULL; i++)
        json_array_add_string_element (ids, revision->ids[i]);
      json_object_set_int_member (history, "start", revision->start);
      json_object_set_array_member (history, "ids", ids);
      json_object_set_object_member (doc, "_revisions", history);
    }
  return validate_write (store, doc, FALSE, TRUE, error);
}
