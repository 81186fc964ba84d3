/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The parts of CouchDB's API that its own clients (Fauxton-less tools,
 * PouchDB, couchbackup) use beyond replication: _all_docs with its view
 * parameters, _uuids, and clear refusals for what a Meridian peer does not
 * serve (views, Mango), so that no client mistakes a missing feature for an
 * empty answer.
 */

#include "config.h"

#include "mer-server-private.h"
#include "mer-json.h"
#include "mer-validate.h"

#include <string.h>

#define MAX_UUIDS 1000

/* _all_docs ------------------------------------------------------------------- */

/* What an _all_docs request asks for, once every parameter is checked. */
typedef struct
{
  char      *start;          /* startkey, or NULL for the first id */
  gsize      start_length;   /* in bytes: a key may hold NUL */
  char      *end;            /* endkey, or NULL for the last id */
  gsize      end_length;
  gboolean   inclusive_end;
  gboolean   descending;
  gboolean   include_docs;
  gboolean   conflicts;
  gboolean   update_seq;
  gint64     skip;
  gint64     limit;          /* -1: no limit */
  JsonArray *keys;           /* or NULL */
} AllDocsQuery;

static void
all_docs_query_clear (AllDocsQuery *query)
{
  g_clear_pointer (&query->start, g_free);
  g_clear_pointer (&query->end, g_free);
  g_clear_pointer (&query->keys, json_array_unref);
}

/*
 * CouchDB parameters of views that change which rows _all_docs gives, or
 * what they carry, and that Meridian does not implement: refused by name,
 * never ignored. (attachments and att_encoding_info change nothing, as
 * Meridian documents carry none; stale, update and stable change nothing
 * on one replica.)
 */
static const char * const unsupported_params[] = {
  "startkey_docid", "start_key_doc_id", "endkey_docid", "end_key_doc_id",
  "reduce", "group", "group_level", "local_seq", "partition", NULL,
};

static void
respond_bad_param (Response   *resp,
                   const char *name,
                   const char *why)
{
  g_autofree char *reason = g_strdup_printf ("Invalid value for %s: %s", name, why);

  _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", reason);
}

/* Parses the JSON text @text of parameter @name, which must be of @type. */
static JsonNode *
parse_param_json (Response    *resp,
                  const char  *name,
                  const char  *text,
                  JsonNodeType type)
{
  g_autoptr(JsonNode) node = NULL;

  if (!mer_validate_json_text (text, strlen (text), MER_JSON_MAX_DEPTH, NULL)
      || (node = mer_json_parse (text, -1, NULL)) == NULL)
    {
      respond_bad_param (resp, name, "invalid UTF-8 JSON");
      return NULL;
    }
  if (JSON_NODE_TYPE (node) != type
      || (type == JSON_NODE_VALUE && json_node_get_value_type (node) != G_TYPE_STRING))
    {
      respond_bad_param (resp, name, type == JSON_NODE_ARRAY
                         ? "a JSON array is expected"
                         : "Meridian's _all_docs orders document ids only, so a JSON string is expected");
      return NULL;
    }
  return g_steal_pointer (&node);
}

static guint
count_nul_marks (const char *text)
{
  guint n = 0;

  for (const char *p = text; (p = strstr (p, MER_JSON_NUL_MARK)) != NULL; p += strlen (MER_JSON_NUL_MARK))
    n++;
  return n;
}

static void
respond_nul_and_mark (Response   *resp,
                      const char *name)
{
  respond_bad_param (resp, name, "a key may hold \\u0000 or U+10FFFF, but not both");
}

/*
 * A key parameter given under either of CouchDB's two spellings. A key may
 * hold \u0000, as couchbackup's next page starts at the last id and "\0":
 * no id holds NUL, so the key is kept as bytes with their length and only
 * compared with ids. json-glib cannot keep NUL, so each is read as
 * U+10FFFF (mer_json_mark_nul()) and turned back; a key that holds both
 * is refused rather than misread.
 */
static gboolean
parse_key_param (Request     *req,
                 Response    *resp,
                 const char  *name,
                 const char  *other_name,
                 char       **out,
                 gsize       *out_length)
{
  const char *text = _mer_server_query_get (req, name);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *marked = NULL;
  gsize marked_length = 0;
  guint nuls = 0;
  char *key;

  if (text == NULL)
    {
      text = _mer_server_query_get (req, other_name);
      name = other_name;
    }
  if (text == NULL)
    return TRUE;
  marked = mer_json_mark_nul (text, strlen (text), &marked_length);
  if (marked != NULL)
    nuls = (marked_length - strlen (text)) / (strlen ("\\uDBFF\\uDFFF") - strlen ("\\u0000"));
  node = parse_param_json (resp, name, marked != NULL ? marked : text, JSON_NODE_VALUE);
  if (node == NULL)
    return FALSE;
  key = g_strdup (json_node_get_string (node));
  if (marked != NULL && count_nul_marks (key) != nuls)
    {
      g_free (key);
      respond_nul_and_mark (resp, name);
      return FALSE;
    }
  g_free (*out);
  *out_length = strlen (key);
  if (nuls > 0)
    {
      GString *bytes = g_string_new (NULL);
      g_auto(GStrv) parts = g_strsplit (key, MER_JSON_NUL_MARK, -1);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          if (i > 0)
            g_string_append_c (bytes, '\0');
          g_string_append (bytes, parts[i]);
        }
      g_free (key);
      *out_length = bytes->len;
      key = g_string_free (bytes, FALSE);
    }
  *out = key;
  return TRUE;
}

static gboolean
parse_all_docs_query (Request      *req,
                      Response     *resp,
                      JsonArray    *body_keys,
                      AllDocsQuery *query)
{
  const char *keys_text;

  query->inclusive_end = TRUE;
  query->limit = -1;
  for (guint i = 0; unsupported_params[i] != NULL; i++)
    if (_mer_server_query_get (req, unsupported_params[i]) != NULL)
      {
        g_autofree char *reason = g_strdup_printf ("Meridian's _all_docs does not support the parameter %s",
                                                   unsupported_params[i]);

        _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", reason);
        return FALSE;
      }
  if (!_mer_server_query_bool (req, resp, "inclusive_end", &query->inclusive_end)
      || !_mer_server_query_bool (req, resp, "descending", &query->descending)
      || !_mer_server_query_bool (req, resp, "include_docs", &query->include_docs)
      || !_mer_server_query_bool (req, resp, "conflicts", &query->conflicts)
      || !_mer_server_query_bool (req, resp, "update_seq", &query->update_seq)
      || !_mer_server_query_count (req, resp, "skip", &query->skip)
      || !_mer_server_query_count (req, resp, "limit", &query->limit))
    return FALSE;
  if (!parse_key_param (req, resp, "startkey", "start_key", &query->start, &query->start_length)
      || !parse_key_param (req, resp, "endkey", "end_key", &query->end, &query->end_length))
    return FALSE;
  /* key=K is startkey=K&endkey=K. */
  if (_mer_server_query_get (req, "key") != NULL)
    {
      if (!parse_key_param (req, resp, "key", "key", &query->start, &query->start_length))
        return FALSE;
      g_free (query->end);
      query->end = g_memdup2 (query->start, query->start_length + 1);
      query->end_length = query->start_length;
      query->inclusive_end = TRUE;
    }

  keys_text = _mer_server_query_get (req, "keys");
  if (body_keys != NULL && keys_text != NULL)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 "`keys` is given both in the query and in the body");
      return FALSE;
    }
  if (body_keys != NULL)
    query->keys = json_array_ref (body_keys);
  else if (keys_text != NULL)
    {
      g_autoptr(JsonNode) node = parse_param_json (resp, "keys", keys_text, JSON_NODE_ARRAY);

      if (node == NULL)
        return FALSE;
      query->keys = json_array_ref (json_node_get_array (node));
    }
  return TRUE;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AllDocsQuery, all_docs_query_clear)

static int
compare_change_ids (gconstpointer a,
                    gconstpointer b)
{
  JsonObject *row_a = *(JsonObject * const *) a;
  JsonObject *row_b = *(JsonObject * const *) b;

  return strcmp (mer_json_get_string (row_a, "id"), mer_json_get_string (row_b, "id"));
}

static const char *
change_winner (JsonObject *change)
{
  JsonArray *revs = json_object_get_array_member (change, "changes");

  return mer_json_get_string (json_array_get_object_element (revs, 0), "rev");
}

/* The row of a document from its line in the changes feed. */
static JsonObject *
make_row (MerServer     *self,
          AllDocsQuery  *query,
          JsonObject    *change,
          GError       **error)
{
  JsonObject *row = json_object_new ();
  JsonObject *value = json_object_new ();
  const char *id = mer_json_get_string (change, "id");
  gboolean deleted = mer_json_get_bool (change, "deleted");

  json_object_set_string_member (row, "id", id);
  json_object_set_string_member (row, "key", id);
  json_object_set_string_member (value, "rev", change_winner (change));
  if (deleted)
    json_object_set_boolean_member (value, "deleted", TRUE);
  json_object_set_object_member (row, "value", value);
  if (query->include_docs && deleted)
    json_object_set_null_member (row, "doc");
  else if (query->include_docs)
    {
      JsonObject *doc = mer_store_get_doc (self->store, id, NULL,
                                           query->conflicts ? MER_GET_CONFLICTS : MER_GET_DEFAULT, error);

      if (doc == NULL)
        {
          json_object_unref (row);
          return NULL;
        }
      json_object_set_object_member (row, "doc", doc);
    }
  return row;
}

/* Orders an id and a key, which may hold NUL, byte by byte as strcmp() orders ids. */
static int
compare_id_key (const char *id,
                const char *key,
                gsize       key_length)
{
  gsize id_length = strlen (id);
  int cmp = memcmp (id, key, MIN (id_length, key_length));

  if (cmp != 0)
    return cmp;
  return id_length < key_length ? -1 : id_length > key_length ? 1 : 0;
}

/* Whether @id is inside the range, in the direction asked. */
static gboolean
after_start (AllDocsQuery *query,
             const char   *id)
{
  int cmp;

  if (query->start == NULL)
    return TRUE;
  cmp = compare_id_key (id, query->start, query->start_length);
  return query->descending ? cmp <= 0 : cmp >= 0;
}

static gboolean
before_end (AllDocsQuery *query,
            const char   *id)
{
  int cmp;

  if (query->end == NULL)
    return TRUE;
  cmp = compare_id_key (id, query->end, query->end_length);
  if (query->descending)
    cmp = -cmp;
  return query->inclusive_end ? cmp <= 0 : cmp < 0;
}

/*
 * The rows, as CouchDB gives them: "offset" counts the documents of the
 * index before the first row in the order asked, skipped ones included;
 * with keys, rows follow the keys (reversed when descending) and there is
 * no offset.
 */
static gboolean
collect_rows (MerServer     *self,
              AllDocsQuery  *query,
              JsonArray     *changes,
              JsonArray     *rows,
              gint64        *out_total,
              gint64        *out_offset,
              GError       **error)
{
  g_autoptr(GPtrArray) live = g_ptr_array_new ();
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 skipped = 0, first = -1;

  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *change = json_array_get_object_element (changes, i);

      g_hash_table_insert (by_id, (gpointer) mer_json_get_string (change, "id"), change);
      if (!mer_json_get_bool (change, "deleted"))
        g_ptr_array_add (live, change);
    }
  g_ptr_array_sort (live, compare_change_ids);
  *out_total = live->len;

  if (query->keys != NULL)
    {
      guint n = json_array_get_length (query->keys);

      for (guint k = 0; k < n; k++)
        {
          JsonNode *key = json_array_get_element (query->keys, query->descending ? n - 1 - k : k);
          JsonObject *change = NULL;
          JsonObject *row;

          if (query->limit >= 0 && (gint64) json_array_get_length (rows) >= query->limit)
            break;
          if (skipped < query->skip)
            {
              skipped++;
              continue;
            }
          if (json_node_get_value_type (key) == G_TYPE_STRING)
            change = g_hash_table_lookup (by_id, json_node_get_string (key));
          if (change == NULL)
            {
              row = json_object_new ();
              json_object_set_member (row, "key", json_node_copy (key));
              json_object_set_string_member (row, "error", "not_found");
            }
          else if ((row = make_row (self, query, change, error)) == NULL)
            return FALSE;
          json_array_add_object_element (rows, row);
        }
      *out_offset = -1;
      return TRUE;
    }

  for (guint k = 0; k < live->len; k++)
    {
      JsonObject *change = live->pdata[query->descending ? live->len - 1 - k : k];
      const char *id = mer_json_get_string (change, "id");
      JsonObject *row;

      if (!after_start (query, id))
        continue;
      if (first < 0)
        first = k;
      if (!before_end (query, id)
          || (query->limit >= 0 && (gint64) json_array_get_length (rows) >= query->limit))
        break;
      if (skipped < query->skip)
        {
          skipped++;
          continue;
        }
      if ((row = make_row (self, query, change, error)) == NULL)
        return FALSE;
      json_array_add_object_element (rows, row);
    }
  /* No document at or after the start: the offset is past the last. */
  *out_offset = MIN ((first < 0 ? (gint64) live->len : first) + query->skip, (gint64) live->len);
  return TRUE;
}

static void
answer_all_docs (MerServer *self,
                 Request   *req,
                 Response  *resp,
                 JsonArray *body_keys)
{
  g_auto(AllDocsQuery) query = { 0 };
  g_autoptr(JsonArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = json_array_new ();
  JsonObject *object;
  gint64 last_seq = 0, total = 0, offset = 0;
  gboolean ok;

  if (!parse_all_docs_query (req, resp, body_keys, &query))
    return;
  if (!mer_store_begin_read (self->store, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  changes = mer_store_changes (self->store, 0, 0, FALSE, FALSE, &last_seq, &error);
  ok = changes != NULL && collect_rows (self, &query, changes, rows, &total, &offset, &error);
  mer_store_end_read (self->store);
  if (!ok)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }

  object = json_object_new ();
  json_object_set_int_member (object, "total_rows", total);
  if (offset < 0)
    json_object_set_null_member (object, "offset");
  else
    json_object_set_int_member (object, "offset", offset);
  if (query.update_seq)
    json_object_set_int_member (object, "update_seq", last_seq);
  json_object_set_array_member (object, "rows", g_steal_pointer (&rows));
  _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
}

/*
 * POST carries "keys" in its body, and may carry any other parameter there
 * too, as JSON; the query string's value wins over none, as both are
 * refused together.
 */
static void
post_all_docs (MerServer *self,
               Request   *req,
               Response  *resp)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GList) members = NULL;
  g_autofree char *marked = NULL;
  JsonArray *keys = NULL;
  GHashTable *saved_query = req->query;
  gsize marked_length = 0;

  /*
   * A key may hold \u0000 (see parse_key_param()): the body is read with
   * each one as U+10FFFF, which the parameters then give back as
   * \u0000. A body that also holds U+10FFFF itself is refused.
   */
  if (req->body != NULL && (marked = mer_json_mark_nul (req->body, req->length, &marked_length)) != NULL)
    {
      Request marked_req = *req;

      g_autofree char *lower = g_ascii_strdown (req->body, req->length);

      /* A NUL byte, where these searches stop, is refused when the body is parsed. */
      if (g_strstr_len (req->body, req->length, MER_JSON_NUL_MARK) != NULL
          || g_strstr_len (lower, req->length, "\\udbff\\udfff") != NULL)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                     "A body that holds \\u0000 may not also hold U+10FFFF");
          return;
        }
      marked_req.body = marked;
      marked_req.length = marked_length;
      body = _mer_server_parse_body_object (&marked_req, resp, MER_SERVER_MAX_REQUEST_BYTES);
    }
  else
    body = _mer_server_parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES);
  if (body == NULL)
    return;
  params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (req->query != NULL)
    {
      GHashTableIter iter;
      gpointer name, value;

      g_hash_table_iter_init (&iter, req->query);
      while (g_hash_table_iter_next (&iter, &name, &value))
        g_hash_table_insert (params, g_strdup (name), g_strdup (value));
    }
  members = json_object_get_members (body);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (body, name);

      if (strcmp (name, "keys") == 0)
        {
          if (!JSON_NODE_HOLDS_ARRAY (value))
            {
              _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                         "`keys` body member must be an array.");
              return;
            }
          keys = json_node_get_array (value);
          /* No id holds NUL; the row of such a key could not be written either. */
          for (guint i = 0; marked != NULL && i < json_array_get_length (keys); i++)
            if (json_node_get_value_type (json_array_get_element (keys, i)) == G_TYPE_STRING
                && strstr (json_array_get_string_element (keys, i), MER_JSON_NUL_MARK) != NULL)
              {
                _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                           "Meridian's _all_docs does not take keys that hold \\u0000");
                return;
              }
          continue;
        }
      if (g_hash_table_contains (params, name))
        {
          g_autofree char *reason = g_strdup_printf ("%s is given both in the query and in the body", name);

          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", reason);
          return;
        }
      {
        g_autofree char *text = mer_json_to_string (value, FALSE);
        g_auto(GStrv) parts = marked != NULL ? g_strsplit (text, MER_JSON_NUL_MARK, -1) : NULL;

        g_hash_table_insert (params, g_strdup (name),
                             parts != NULL ? g_strjoinv ("\\u0000", parts) : g_steal_pointer (&text));
      }
    }
  req->query = params;
  answer_all_docs (self, req, resp, keys);
  req->query = saved_query;
}

void
_mer_server_handle_all_docs (MerServer *self,
                             Request   *req,
                             Response  *resp)
{
  if (_mer_server_is_get (req))
    answer_all_docs (self, req, resp, NULL);
  else if (_mer_server_method_is (req, "POST"))
    post_all_docs (self, req, resp);
  else
    _mer_server_respond_method_not_allowed (resp, "GET,HEAD,POST");
}

/* _uuids --------------------------------------------------------------------- */

void
_mer_server_handle_uuids (MerServer *self,
                          Request   *req,
                          Response  *resp)
{
  JsonObject *object;
  JsonArray *uuids;
  gint64 count = 1;

  if (!_mer_server_is_get (req))
    {
      _mer_server_respond_method_not_allowed (resp, "GET,HEAD");
      return;
    }
  if (!_mer_server_query_count (req, resp, "count", &count))
    return;
  if (count > MAX_UUIDS)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 "count parameter too large");
      return;
    }
  uuids = json_array_new ();
  for (gint64 i = 0; i < count; i++)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      GString *hex = g_string_new (NULL);

      for (const char *p = uuid; *p != '\0'; p++)
        if (*p != '-')
          g_string_append_c (hex, *p);
      json_array_add_string_element (uuids, hex->str);
      g_string_free (hex, TRUE);
    }
  object = json_object_new ();
  json_object_set_array_member (object, "uuids", uuids);
  _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
}

/* What is not served --------------------------------------------------------- */

/*
 * Views, Mango queries and their indexes: a Meridian peer keeps no
 * JavaScript or query engine, and says so by the endpoint's name.
 */
void
_mer_server_respond_not_served (Response   *resp,
                                const char *endpoint)
{
  g_autofree char *reason = g_strdup_printf ("Meridian does not serve %s: it serves no views or Mango queries",
                                             endpoint);

  _mer_server_respond_error (resp, SOUP_STATUS_NOT_IMPLEMENTED, "not_implemented", reason);
}

gboolean
_mer_server_is_query_endpoint (const char *segment)
{
  return strcmp (segment, "_find") == 0 || strcmp (segment, "_index") == 0
         || strcmp (segment, "_explain") == 0;
}
