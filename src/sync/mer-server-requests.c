/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer server's router and endpoint handlers: every request the CouchDB
 * replication protocol makes, checked before anything is written.
 */

#include "config.h"

#include "mer-server-private.h"
#include "mer-json.h"
#include "mer-validate.h"
#include "mer-store-attachments.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

/* Responses ---------------------------------------------------------------- */

/* Answers with @body, or with @text, JSON already written; takes either. */
static void
respond (Response *resp,
         guint     status,
         JsonNode *body,
         char     *text)
{
  g_clear_pointer (&resp->body, json_node_unref);
  g_clear_pointer (&resp->text, g_free);
  resp->status = status;
  resp->body = body;
  resp->text = text;
}

void
_mer_server_respond_json (Response *resp,
              guint     status,
              JsonNode *body)
{
  respond (resp, status, body, NULL);
}

void
_mer_server_respond_object (Response   *resp,
                guint       status,
                JsonObject *object)
{
  _mer_server_respond_json (resp, status, json_node_init_object (json_node_alloc (), object));
  json_object_unref (object);
}

void
_mer_server_respond_error (Response   *resp,
               guint       status,
               const char *error,
               const char *reason)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "error", error);
  json_object_set_string_member (object, "reason", reason);
  _mer_server_respond_object (resp, status, object);
}

void
_mer_server_respond_ok (Response   *resp,
            guint       status,
            const char *id,
            const char *rev)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "ok", TRUE);
  if (id != NULL)
    json_object_set_string_member (object, "id", id);
  if (rev != NULL)
    json_object_set_string_member (object, "rev", rev);
  _mer_server_respond_object (resp, status, object);
}

void
_mer_server_respond_method_not_allowed (Response   *resp,
                            const char *allowed)
{
  g_autofree char *reason = g_strdup_printf ("Only %s allowed", allowed);

  g_free (resp->allow);
  resp->allow = g_strdup (allowed);
  _mer_server_respond_error (resp, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", reason);
}

/*
 * The disk under the replica is full: CouchDB's 507, which a replicator
 * takes as final rather than retrying. The write was undone whole, so the
 * peer may send it again once there is room; the server goes on serving
 * reads meanwhile.
 */
static void
respond_no_space (Response     *resp,
                  const GError *error)
{
  g_message ("Request refused, the disk is full: %s", error->message);
  _mer_server_respond_error (resp, SOUP_STATUS_INSUFFICIENT_STORAGE, "insufficient_storage",
                             "The disk holding this replica is full: nothing of this request "
                             "was stored. Free some space on it and send it again.");
}

/* Maps the store's and the validator's errors to CouchDB's. */
void
_mer_server_respond_gerror (Response     *resp,
                const GError *error)
{
  if (error->domain == MER_STORE_ERROR && error->code == MER_STORE_ERROR_TOO_LARGE)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                 g_str_has_prefix (error->message, "Attachment") ? "attachment_too_large"
                                                                                : "document_too_large",
                                 error->message);
      return;
    }
  if (error->domain == MER_STORE_ERROR && error->code == MER_STORE_ERROR_MISSING_STUB)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_PRECONDITION_FAILED, "missing_stub", error->message);
      return;
    }
  if (error->domain == MER_STORE_ERROR)
    switch ((MerStoreError) error->code)
      {
      case MER_STORE_ERROR_NOT_FOUND:
        _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
        return;
      case MER_STORE_ERROR_CONFLICT:
        _mer_server_respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
        return;
      case MER_STORE_ERROR_BAD_REQUEST:
        _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
        return;
      case MER_STORE_ERROR_FORBIDDEN:
        _mer_server_respond_error (resp, SOUP_STATUS_FORBIDDEN, "forbidden", error->message);
        return;
      case MER_STORE_ERROR_NO_SPACE:
        respond_no_space (resp, error);
        return;
      case MER_STORE_ERROR_DATABASE:
      default:
        break;
      }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    {
      respond_no_space (resp, error);
      return;
    }
  g_warning ("Request failed: %s", error->message);
  _mer_server_respond_error (resp, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_server_error",
                 "The replica could not complete the request");
}

/* Query parameters ---------------------------------------------------------- */

const char *
_mer_server_query_get (Request    *req,
           const char *name)
{
  return req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
}

gboolean
_mer_server_query_bool (Request    *req,
            Response   *resp,
            const char *name,
            gboolean   *out)
{
  const char *value = _mer_server_query_get (req, name);

  if (value == NULL)
    return TRUE;
  if (strcmp (value, "true") == 0)
    *out = TRUE;
  else if (strcmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      g_autofree char *reason = g_strdup_printf ("Invalid boolean parameter: %s", name);

      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "query_parse_error", reason);
      return FALSE;
    }
  return TRUE;
}

gboolean
_mer_server_parse_count (const char *text,
             gint64     *out)
{
  guint64 value;

  if (text == NULL || *text == '\0' || strspn (text, "0123456789") != strlen (text)
      || strlen (text) > 15 || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

gboolean
_mer_server_query_count (Request    *req,
             Response   *resp,
             const char *name,
             gint64     *out)
{
  const char *value = _mer_server_query_get (req, name);

  if (value == NULL)
    return TRUE;
  if (!_mer_server_parse_count (value, out))
    {
      g_autofree char *reason = g_strdup_printf ("Invalid value for %s: %s", name, "a non-negative integer is expected");

      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "query_parse_error", reason);
      return FALSE;
    }
  return TRUE;
}

/* Bodies -------------------------------------------------------------------- */

static gboolean
is_json_type (const char *content_type)
{
  g_autofree char *lower = NULL;
  const char *semicolon;
  gsize length;

  if (content_type == NULL)
    return FALSE;
  semicolon = strchr (content_type, ';');
  length = semicolon != NULL ? (gsize) (semicolon - content_type) : strlen (content_type);
  lower = g_ascii_strdown (content_type, length);
  g_strstrip (lower);
  return strcmp (lower, "application/json") == 0;
}

/*
 * Parses the request body as JSON of the expected kind, answering 415, 413
 * or 400 when it is not. Nothing has been written when this fails.
 */
static JsonNode *
parse_body (Request   *req,
            Response  *resp,
            gsize      max_bytes,
            JsonNodeType expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!is_json_type (req->content_type))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "bad_content_type",
                     "Content-Type must be application/json");
      return NULL;
    }
  if (req->length > max_bytes)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                     "The request entity is too large");
      return NULL;
    }
  if (!mer_validate_json_text (req->body, req->length, MER_JSON_MAX_DEPTH, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return NULL;
    }
  node = mer_json_parse (req->body, req->length, &error);
  if (node == NULL)
    {
      /* A number or string that cannot be kept exactly says which. */
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 g_error_matches (error, MER_JSON_ERROR, MER_JSON_ERROR_UNREPRESENTABLE)
                                 ? error->message : "invalid UTF-8 JSON");
      return NULL;
    }
  if (JSON_NODE_TYPE (node) != expected)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     expected == JSON_NODE_OBJECT ? "Request body must be a JSON object"
                                                  : "Request body must be a JSON array");
      return NULL;
    }
  return g_steal_pointer (&node);
}

JsonObject *
_mer_server_parse_body_object (Request  *req,
                   Response *resp,
                   gsize     max_bytes)
{
  g_autoptr(JsonNode) node = parse_body (req, resp, max_bytes, JSON_NODE_OBJECT);

  return node != NULL ? json_object_ref (json_node_get_object (node)) : NULL;
}

gboolean
_mer_server_require_write (Request  *req,
               Response *resp)
{
  if (req->role == MER_ROLE_RW)
    return TRUE;
  _mer_server_respond_error (resp, SOUP_STATUS_FORBIDDEN, "forbidden", "This account may only read");
  return FALSE;
}

gboolean
_mer_server_method_is (Request    *req,
           const char *method)
{
  return strcmp (req->method, method) == 0;
}

gboolean
_mer_server_is_get (Request *req)
{
  return _mer_server_method_is (req, "GET") || _mer_server_method_is (req, "HEAD");
}

/* Server and database -------------------------------------------------------- */

static void
handle_welcome (MerServer *self,
                Request   *req,
                Response  *resp)
{
  JsonObject *object, *vendor;

  if (!_mer_server_is_get (req))
    {
      _mer_server_respond_method_not_allowed (resp, "GET,HEAD");
      return;
    }
  object = json_object_new ();
  json_object_set_string_member (object, "couchdb", "Welcome");
  json_object_set_string_member (object, "version", PACKAGE_VERSION);
  json_object_set_string_member (object, "uuid", mer_store_get_uuid (self->store));
  vendor = json_object_new ();
  json_object_set_string_member (vendor, "name", "Meridian");
  json_object_set_string_member (vendor, "version", PACKAGE_VERSION);
  json_object_set_object_member (object, "vendor", vendor);
  _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
}

static void
handle_db_info (MerServer *self,
                Response  *resp)
{
  g_autofree char *file = g_build_filename (mer_store_get_data_dir (self->store), MER_STORE_FILE_NAME, NULL);
  JsonObject *object = json_object_new ();
  JsonObject *sizes = json_object_new ();
  GStatBuf buf;
  gint64 file_size = 0;

  if (g_stat (file, &buf) == 0)
    file_size = buf.st_size;

  json_object_set_string_member (object, "db_name", mer_store_get_name (self->store));
  json_object_set_int_member (object, "doc_count", mer_store_get_doc_count (self->store, FALSE));
  json_object_set_int_member (object, "doc_del_count", mer_store_get_doc_count (self->store, TRUE));
  json_object_set_int_member (object, "update_seq", mer_store_get_update_seq (self->store));
  json_object_set_int_member (object, "purge_seq", 0);
  json_object_set_boolean_member (object, "compact_running", FALSE);
  json_object_set_string_member (object, "instance_start_time", INSTANCE_START_TIME);
  json_object_set_int_member (sizes, "file", file_size);
  json_object_set_int_member (sizes, "external", 0);
  json_object_set_int_member (sizes, "active", file_size);
  json_object_set_object_member (object, "sizes", sizes);
  _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
}

static char *
new_doc_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *id = g_string_new (NULL);

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (id, *p);
  return g_string_free (id, FALSE);
}

static void
handle_post_doc (MerServer *self,
                 Request   *req,
                 Response  *resp)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  if (!_mer_server_require_write (req, resp) || (doc = _mer_server_parse_body_object (req, resp, MER_VALIDATE_MAX_DOC_BYTES)) == NULL)
    return;
  if (!json_object_has_member (doc, "_id"))
    {
      g_autofree char *id = new_doc_id ();
      json_object_set_string_member (doc, "_id", id);
    }
  if (!mer_validate_write (self->store, doc, TRUE, &error)
      || (rev = mer_store_put_doc (self->store, doc, &error)) == NULL)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  _mer_server_respond_ok (resp, SOUP_STATUS_CREATED, mer_json_get_string (doc, "_id"), rev);
}

static void
handle_db (MerServer *self,
           Request   *req,
           Response  *resp)
{
  if (_mer_server_is_get (req))
    handle_db_info (self, resp);
  else if (_mer_server_method_is (req, "PUT"))
    {
      if (_mer_server_require_write (req, resp))
        _mer_server_respond_error (resp, SOUP_STATUS_PRECONDITION_FAILED, "file_exists",
                       "The database could not be created, the file already exists.");
    }
  else if (_mer_server_method_is (req, "POST"))
    handle_post_doc (self, req, resp);
  else
    _mer_server_respond_method_not_allowed (resp, "GET,HEAD,PUT,POST");
}

/* Replication ------------------------------------------------------------------ */

/*
 * Whether @id names a design document. A replica holds none (Meridian
 * runs no code from peers), so the replication endpoints leave them out
 * one by one rather than failing a whole batch that lists one, as a hub's
 * batches do.
 */
static gboolean
is_design_id (const char *id)
{
  return id != NULL && g_str_has_prefix (id, "_design/");
}

/*
 * Answers the revisions this replica lacks. Design documents are left out
 * of the answer: said to be missing, CouchDB's replicator would send them
 * and count each refusal as a failed write, on every run.
 */
static void
handle_revs_diff (MerServer *self,
                  Request   *req,
                  Response  *resp)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) designs = g_ptr_array_new_with_free_func (g_free);
  JsonObject *result;
  JsonObjectIter iter;
  const char *id;
  JsonNode *revs;

  if (!_mer_server_method_is (req, "POST"))
    {
      _mer_server_respond_method_not_allowed (resp, "POST");
      return;
    }
  if ((request = _mer_server_parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES)) == NULL)
    return;

  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &id, &revs))
    {
      JsonArray *list;

      if (is_design_id (id))
        {
          g_ptr_array_add (designs, g_strdup (id));
          continue;
        }
      if (!mer_validate_id (id, &error))
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
      if (!JSON_NODE_HOLDS_ARRAY (revs))
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Each id must map to a list of revisions");
          return;
        }
      list = json_node_get_array (revs);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonNode *rev = json_array_get_element (list, i);

          if (json_node_get_value_type (rev) != G_TYPE_STRING
              || !mer_validate_rev (json_node_get_string (rev), NULL, &error))
            {
              g_clear_error (&error);
              _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid revision format");
              return;
            }
        }
    }
  for (guint i = 0; i < designs->len; i++)
    json_object_remove_member (request, designs->pdata[i]);

  result = mer_store_revs_diff (self->store, request, &error);
  if (result == NULL)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  _mer_server_respond_object (resp, SOUP_STATUS_OK, result);
}

/* Drops "_revisions" from the "ok" entries unless the client asked for them. */
static void
strip_revisions (JsonArray *entries,
                 gboolean   revs)
{
  if (revs)
    return;
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *entry = json_array_get_element (entries, i);
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;
      object = json_node_get_object (entry);
      if (json_object_has_member (object, "ok")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "ok")))
        json_object_remove_member (json_object_get_object_member (object, "ok"), "_revisions");
    }
}

/* {"error": {...}} for a revision that is not here; @rev_json is the
 * revision already written as a JSON string, or NULL when none was named. */
static void
append_bulk_get_error (GString    *out,
                       const char *id,
                       const char *rev_json,
                       gsize       rev_json_length)
{
  g_string_append (out, "{\"error\":{\"id\":");
  mer_json_append_string (out, id);
  g_string_append (out, ",\"rev\":");
  if (rev_json != NULL)
    g_string_append_len (out, rev_json, rev_json_length);
  else
    g_string_append (out, "\"undefined\"");
  g_string_append (out, ",\"error\":\"not_found\",\"reason\":\"missing\"}}");
}

/* The same for the revision asked for, @rev, or none. */
static void
append_bulk_get_missing (GString    *out,
                         const char *id,
                         const char *rev)
{
  g_autoptr(GString) rev_json = g_string_new (NULL);

  if (rev != NULL)
    mer_json_append_string (rev_json, rev);
  append_bulk_get_error (out, id, rev != NULL ? rev_json->str : NULL, rev_json->len);
}

/*
 * The row of a design document: refused on its own, with the reason a GET
 * of it gives, while the other documents of the request are served.
 */
static void
append_bulk_get_design (GString    *out,
                        const char *id,
                        const char *rev)
{
  g_autoptr(GError) error = NULL;

  mer_validate_id (id, &error);
  g_string_append (out, "{\"id\":");
  mer_json_append_string (out, id);
  g_string_append (out, ",\"docs\":[{\"error\":{\"id\":");
  mer_json_append_string (out, id);
  g_string_append (out, ",\"rev\":");
  mer_json_append_string (out, rev != NULL ? rev : "undefined");
  g_string_append (out, ",\"error\":\"forbidden\",\"reason\":");
  mer_json_append_string (out, error != NULL ? error->message : "Design documents are not supported");
  g_string_append (out, "}}]}");
}

#define MISSING_PREFIX "{\"missing\":"

/* One _bulk_get result, {"id", "docs": [{"ok": doc} | {"error": {...}}]},
 * appended to @out as text. */
static gboolean
append_bulk_get_one (MerServer   *self,
                     GString     *out,
                     const char  *id,
                     const char  *rev,
                     gboolean     revs,
                     gboolean     latest,
                     gboolean     attachments,
                     JsonArray   *atts_since,
                     GError     **error)
{
  const char *wanted[2] = { rev, NULL };
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) local_error = NULL;
  guint n = 0;

  found = mer_store_open_revs_text (self->store, id, rev != NULL ? wanted : NULL, latest, revs, &local_error);
  if (found == NULL && local_error->domain != MER_STORE_ERROR)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_string_append (out, "{\"id\":");
  mer_json_append_string (out, id);
  g_string_append (out, ",\"docs\":[");
  for (guint i = 0; found != NULL && i < found->len; i++)
    {
      const char *entry = g_ptr_array_index (found, i);

      if (n++ > 0)
        g_string_append_c (out, ',');
      if (g_str_has_prefix (entry, MISSING_PREFIX))
        /* {"missing":"REV"}: the revision, as JSON, is between the two. */
        append_bulk_get_error (out, id, entry + strlen (MISSING_PREFIX),
                               strlen (entry) - strlen (MISSING_PREFIX) - 1);
      else
        {
          g_autofree char *inlined = _mer_server_inline_entry_text (self, entry, attachments, atts_since,
                                                                     &local_error);

          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_string_append (out, inlined != NULL ? inlined : entry);
        }
    }
  if (n == 0)
    append_bulk_get_missing (out, id, rev);
  g_string_append (out, "]}");
  return TRUE;
}

static void
handle_bulk_get (MerServer *self,
                 Request   *req,
                 Response  *resp)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *wanted;
  GString *out;
  gboolean revs = FALSE, latest = FALSE, attachments = FALSE;
  g_autoptr(JsonArray) atts_since = NULL;

  if (!_mer_server_method_is (req, "POST"))
    {
      _mer_server_respond_method_not_allowed (resp, "POST");
      return;
    }
  if (!_mer_server_query_bool (req, resp, "revs", &revs) || !_mer_server_query_bool (req, resp, "latest", &latest)
      || !_mer_server_attachments_query (req, resp, &attachments, &atts_since)
      || (request = _mer_server_parse_body_object (req, resp, MER_SERVER_MAX_REQUEST_BYTES)) == NULL)
    return;
  if (!json_object_has_member (request, "docs")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (request, "docs")))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Missing JSON list of 'docs'.");
      return;
    }
  wanted = json_object_get_array_member (request, "docs");
  for (guint i = 0; i < json_array_get_length (wanted); i++)
    {
      JsonNode *node = json_array_get_element (wanted, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonNode *rev = entry != NULL ? json_object_get_member (entry, "rev") : NULL;

      if (entry == NULL
          || (!is_design_id (mer_json_get_string (entry, "id"))
              && !mer_validate_id (mer_json_get_string (entry, "id"), &error))
          || (rev != NULL && (json_node_get_value_type (rev) != G_TYPE_STRING
                              || !mer_validate_rev (json_node_get_string (rev), NULL, &error))))
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                         error != NULL ? error->message : "Each entry of docs must be {\"id\", \"rev\"}");
          return;
        }
    }

  /* One read transaction: one snapshot, and SQLite's lock taken once
   * rather than for every statement. */
  if (!mer_store_begin_read (self->store, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  out = g_string_new ("{\"results\":[");
  for (guint i = 0; i < json_array_get_length (wanted); i++)
    {
      JsonObject *entry = json_array_get_object_element (wanted, i);
      JsonNode *since = json_object_get_member (entry, "atts_since");

      if (i > 0)
        g_string_append_c (out, ',');
      /* Each entry may say which revisions the asker holds. */
      if (is_design_id (mer_json_get_string (entry, "id")))
        append_bulk_get_design (out, mer_json_get_string (entry, "id"), mer_json_get_string (entry, "rev"));
      else if (!append_bulk_get_one (self, out, mer_json_get_string (entry, "id"),
                                     mer_json_get_string (entry, "rev"), revs, latest, attachments,
                                     since != NULL && JSON_NODE_HOLDS_ARRAY (since) ? json_node_get_array (since) : atts_since,
                                     &error))
        {
          mer_store_end_read (self->store);
          g_string_free (out, TRUE);
          _mer_server_respond_gerror (resp, error);
          return;
        }
    }
  mer_store_end_read (self->store);
  g_string_append (out, "]}");
  respond (resp, SOUP_STATUS_OK, NULL, g_string_free (out, FALSE));
}

/* Who sent a request, for the refused revisions an admin reads. */
static char *
request_source (Request *req)
{
  const char *host = req->msg != NULL ? soup_server_message_get_remote_host (req->msg) : NULL;

  return g_strdup_printf ("serve: %s", host != NULL ? host : "local");
}

/*
 * Answers per document, as CouchDB does: the store validates each one as
 * it writes it, and a refused document gets its own error row
 * ({"id", "rev", "error": "forbidden", "reason"}) while the others are
 * written. A replicated revision that is refused is also recorded (see
 * mer_store_list_refused()). Only a request of the wrong shape, or a
 * failing database, fails the whole batch.
 */
static void
handle_bulk_docs (MerServer *self,
                  Request   *req,
                  Response  *resp)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  JsonNode *new_edits_node;
  JsonArray *docs, *results;
  gboolean new_edits = TRUE;

  if (!_mer_server_method_is (req, "POST"))
    {
      _mer_server_respond_method_not_allowed (resp, "POST");
      return;
    }
  if (!_mer_server_require_write (req, resp)
      || (request = _mer_server_parse_body_object (req, resp, _mer_server_max_json_bytes (self))) == NULL)
    return;
  if (!json_object_has_member (request, "docs")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (request, "docs")))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "POST body must include `docs` parameter.");
      return;
    }
  new_edits_node = json_object_get_member (request, "new_edits");
  if (new_edits_node != NULL)
    {
      if (json_node_get_value_type (new_edits_node) != G_TYPE_BOOLEAN)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "`new_edits` parameter must be a boolean.");
          return;
        }
      new_edits = json_node_get_boolean (new_edits_node);
    }

  docs = json_object_get_array_member (request, "docs");
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonNode *node = json_array_get_element (docs, i);
      JsonObject *doc;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Document must be a JSON object");
          return;
        }
      doc = json_node_get_object (node);
      if (new_edits && !json_object_has_member (doc, "_id"))
        {
          g_autofree char *id = new_doc_id ();
          json_object_set_string_member (doc, "_id", id);
        }
    }

  source = request_source (req);
  results = mer_store_bulk_docs (self->store, docs, new_edits, source, &error);
  if (results == NULL)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  _mer_server_respond_json (resp, SOUP_STATUS_CREATED, json_node_init_array (json_node_alloc (), results));
  json_array_unref (results);
}

static void
handle_ensure_full_commit (Request  *req,
                           Response *resp)
{
  JsonObject *object;

  if (!_mer_server_method_is (req, "POST"))
    {
      _mer_server_respond_method_not_allowed (resp, "POST");
      return;
    }
  object = json_object_new ();
  json_object_set_boolean_member (object, "ok", TRUE);
  json_object_set_string_member (object, "instance_start_time", INSTANCE_START_TIME);
  _mer_server_respond_object (resp, SOUP_STATUS_CREATED, object);
}

/* Documents -------------------------------------------------------------------- */

/* Merges ?rev= into the body's _rev; they must agree when both are given. */
static gboolean
apply_query_rev (Request    *req,
                 Response   *resp,
                 JsonObject *doc)
{
  const char *rev = _mer_server_query_get (req, "rev");
  const char *body_rev;

  if (rev == NULL)
    return TRUE;
  body_rev = mer_json_get_string (doc, "_rev");
  if (body_rev != NULL && strcmp (body_rev, rev) != 0)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                     "Document rev from request body and query string have different values");
      return FALSE;
    }
  json_object_set_string_member (doc, "_rev", rev);
  return TRUE;
}

static gboolean
apply_url_id (Response   *resp,
              JsonObject *doc,
              const char *id)
{
  JsonNode *body_id = json_object_get_member (doc, "_id");

  if (body_id != NULL && (json_node_get_value_type (body_id) != G_TYPE_STRING
                          || strcmp (json_node_get_string (body_id), id) != 0))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Document id must match the URL");
      return FALSE;
    }
  json_object_set_string_member (doc, "_id", id);
  return TRUE;
}

static void
handle_open_revs (MerServer  *self,
                  Request    *req,
                  Response   *resp,
                  const char *id,
                  const char *open_revs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) revs = NULL;
  JsonArray *found;
  gboolean want_revisions = FALSE, latest = FALSE, attachments = FALSE;
  g_autoptr(JsonArray) atts_since = NULL;

  if (!_mer_server_query_bool (req, resp, "revs", &want_revisions) || !_mer_server_query_bool (req, resp, "latest", &latest)
      || !_mer_server_attachments_query (req, resp, &attachments, &atts_since))
    return;
  if (strcmp (open_revs, "all") != 0)
    {
      g_autoptr(JsonNode) list = NULL;

      if (!mer_validate_json_text (open_revs, strlen (open_revs), 2, NULL)
          || (list = mer_json_parse (open_revs, -1, NULL)) == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "open_revs must be all or a JSON list of revisions");
          return;
        }
      revs = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
        {
          JsonNode *rev = json_array_get_element (json_node_get_array (list), i);

          if (json_node_get_value_type (rev) != G_TYPE_STRING
              || !mer_validate_rev (json_node_get_string (rev), NULL, NULL))
            {
              _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid revision format");
              return;
            }
          g_ptr_array_add (revs, g_strdup (json_node_get_string (rev)));
        }
      g_ptr_array_add (revs, NULL);
    }

  found = mer_store_open_revs (self->store, id, revs != NULL ? (const char * const *) revs->pdata : NULL,
                               latest, &error);
  if (found == NULL)
    {
      if (g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
        found = json_array_new ();
      else
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
    }
  for (guint i = 0; i < json_array_get_length (found); i++)
    {
      JsonObject *entry = json_array_get_object_element (found, i);
      JsonNode *ok = entry != NULL ? json_object_get_member (entry, "ok") : NULL;

      if (ok != NULL && JSON_NODE_HOLDS_OBJECT (ok)
          && !_mer_server_inline_doc (self, json_node_get_object (ok), attachments, atts_since, &error))
        {
          json_array_unref (found);
          _mer_server_respond_gerror (resp, error);
          return;
        }
    }
  strip_revisions (found, want_revisions);
  _mer_server_respond_json (resp, SOUP_STATUS_OK, json_node_init_array (json_node_alloc (), found));
  json_array_unref (found);
}

static void
handle_get_doc (MerServer  *self,
                Request    *req,
                Response   *resp,
                const char *id)
{
  g_autoptr(GError) error = NULL;
  const char *rev = _mer_server_query_get (req, "rev");
  const char *open_revs = _mer_server_query_get (req, "open_revs");
  gboolean conflicts = FALSE, deleted_conflicts = FALSE, revs = FALSE, meta = FALSE, revs_info = FALSE;
  gboolean attachments = FALSE;
  g_autoptr(JsonArray) atts_since = NULL;
  MerGetFlags flags = MER_GET_DEFAULT;
  JsonObject *doc;

  if (open_revs != NULL)
    {
      handle_open_revs (self, req, resp, id, open_revs);
      return;
    }
  if (!_mer_server_query_bool (req, resp, "conflicts", &conflicts) || !_mer_server_query_bool (req, resp, "deleted_conflicts", &deleted_conflicts)
      || !_mer_server_query_bool (req, resp, "revs", &revs) || !_mer_server_query_bool (req, resp, "meta", &meta)
      || !_mer_server_query_bool (req, resp, "revs_info", &revs_info)
      || !_mer_server_attachments_query (req, resp, &attachments, &atts_since))
    return;
  if (rev != NULL && !mer_validate_rev (rev, NULL, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  if (conflicts || meta)
    flags |= MER_GET_CONFLICTS;
  if (deleted_conflicts || meta)
    flags |= MER_GET_DELETED_CONFLICTS;
  if (revs)
    flags |= MER_GET_REVS;

  doc = mer_store_get_doc (self->store, id, rev, flags, &error);
  if (doc == NULL)
    {
      g_auto(GStrv) leaves = NULL;

      if (g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND) && rev == NULL
          && (leaves = mer_store_get_leaf_revs (self->store, id, TRUE, NULL)) != NULL && leaves[0] != NULL)
        _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "deleted");
      else
        _mer_server_respond_gerror (resp, error);
      return;
    }
  /* As in CouchDB, only the current revision carries its _revs_info. */
  if ((revs_info || meta) && rev == NULL)
    {
      JsonArray *info = mer_store_get_revs_info (self->store, id, NULL, &error);

      if (info == NULL)
        {
          json_object_unref (doc);
          _mer_server_respond_gerror (resp, error);
          return;
        }
      json_object_set_array_member (doc, "_revs_info", info);
    }
  if (!_mer_server_inline_doc (self, doc, attachments, atts_since, &error))
    {
      json_object_unref (doc);
      _mer_server_respond_gerror (resp, error);
      return;
    }
  g_free (resp->etag);
  resp->etag = g_strdup_printf ("\"%s\"", mer_json_get_string (doc, "_rev"));
  _mer_server_respond_object (resp, SOUP_STATUS_OK, doc);
}

/* A document's limit, with room for its attachments in base64 when it
 * carries some (the store bounds each one). */
static gsize
put_doc_limit (MerServer *self,
               Request   *req)
{
  if (req->body != NULL && g_strstr_len (req->body, req->length, "\"_attachments\"") != NULL)
    return _mer_server_max_json_bytes (self);
  return MER_VALIDATE_MAX_DOC_BYTES;
}

static void
handle_put_doc (MerServer  *self,
                Request    *req,
                Response   *resp,
                const char *id)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  gboolean new_edits = TRUE;

  if (!_mer_server_require_write (req, resp) || !_mer_server_query_bool (req, resp, "new_edits", &new_edits)
      || (doc = _mer_server_parse_body_object (req, resp, put_doc_limit (self, req))) == NULL
      || !apply_url_id (resp, doc, id) || !apply_query_rev (req, resp, doc))
    return;
  if (!mer_validate_write (self->store, doc, new_edits, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  if (new_edits)
    rev = mer_store_put_doc (self->store, doc, &error);
  else if (mer_store_put_revision (self->store, doc, &error))
    rev = g_strdup (mer_json_get_string (doc, "_rev"));
  if (rev == NULL)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  _mer_server_respond_ok (resp, SOUP_STATUS_CREATED, id, rev);
}

static const char *
request_rev (Request *req)
{
  const char *rev = _mer_server_query_get (req, "rev");
  const char *if_match = NULL;
  static char buffer[MER_VALIDATE_MAX_REV_HASH + 32];

  if (rev != NULL || req->msg == NULL)
    return rev;
  if_match = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), "If-Match");
  if (if_match == NULL)
    return NULL;
  /* If-Match: "1-abc" */
  g_strlcpy (buffer, if_match, sizeof buffer);
  g_strstrip (buffer);
  if (buffer[0] == '"' && strlen (buffer) >= 2 && buffer[strlen (buffer) - 1] == '"')
    {
      buffer[strlen (buffer) - 1] = '\0';
      return buffer + 1;
    }
  return buffer;
}

static void
handle_delete_doc (MerServer  *self,
                   Request    *req,
                   Response   *resp,
                   const char *id)
{
  g_autoptr(JsonObject) tombstone = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *new_rev = NULL;
  const char *rev = request_rev (req);

  if (!_mer_server_require_write (req, resp))
    return;
  if (rev == NULL)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
      return;
    }
  json_object_set_string_member (tombstone, "_id", id);
  json_object_set_string_member (tombstone, "_rev", rev);
  json_object_set_boolean_member (tombstone, "_deleted", TRUE);
  if (!mer_validate_write (self->store, tombstone, TRUE, &error)
      || (new_rev = mer_store_delete_doc (self->store, id, rev, &error)) == NULL)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  _mer_server_respond_ok (resp, SOUP_STATUS_OK, id, new_rev);
}

static void
handle_doc (MerServer  *self,
            Request    *req,
            Response   *resp,
            const char *id)
{
  if (_mer_server_is_get (req))
    handle_get_doc (self, req, resp, id);
  else if (_mer_server_method_is (req, "PUT"))
    handle_put_doc (self, req, resp, id);
  else if (_mer_server_method_is (req, "DELETE"))
    handle_delete_doc (self, req, resp, id);
  else
    _mer_server_respond_method_not_allowed (resp, "GET,HEAD,PUT,DELETE");
}

/* Local documents ------------------------------------------------------------ */

#define CHECKPOINT_BASE64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"

/*
 * Whether @id ("_local/...") is a replication checkpoint as replicators
 * name them: PouchDB and Meridian write the base64 of an MD5 with '/' and
 * '+' made '.' and '_' (22 characters and "=="); CouchDB 32 hex digits,
 * which older versions follow with "+continuous" or "+create_target".
 */
static gboolean
is_checkpoint_id (const char *id)
{
  const char *name = id + strlen ("_local/");
  const char *rest;

  if (strlen (name) == 24 && strspn (name, CHECKPOINT_BASE64) == 22 && strcmp (name + 22, "==") == 0)
    return TRUE;
  if (strspn (name, "0123456789abcdef") != 32)
    return FALSE;
  rest = name + 32;
  if (g_str_has_prefix (rest, "+continuous"))
    rest += strlen ("+continuous");
  if (g_str_has_prefix (rest, "+create_target"))
    rest += strlen ("+create_target");
  return *rest == '\0';
}

/*
 * Where the checkpoint @id written through the server by @req's account is
 * kept. Each account has a space of its own, so that no peer reads or moves
 * another's resume point, nor this replica's own checkpoints, which its
 * replicator keeps under the bare id: a peer that could set them could make
 * this replica skip changes. Without accounts, "-" (no account name starts
 * with it) holds the checkpoints of whoever is on this machine.
 */
static char *
stored_checkpoint_id (Request    *req,
                      const char *id)
{
  return g_strconcat ("_local/peer/", req->account != NULL ? req->account : "-", "/",
                      id + strlen ("_local/"), NULL);
}

/*
 * _local/{id}. Drafts, the profile and everything else local that is not a
 * checkpoint never leave the machine. Reading one answers 404, the answer
 * for a document that is not there, whether or not it is: the name alone
 * says nothing about what this replica holds. Writing or deleting one is
 * refused by name with 403, so a peer learns that the write can never
 * succeed rather than being told to retry.
 */
static void
handle_local (MerServer  *self,
              Request    *req,
              Response   *resp,
              const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stored_id = NULL;

  if (!mer_validate_local_id (id, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  if (!_mer_server_is_get (req) && !_mer_server_method_is (req, "PUT") && !_mer_server_method_is (req, "DELETE"))
    {
      _mer_server_respond_method_not_allowed (resp, "GET,HEAD,PUT,DELETE");
      return;
    }
  if (!is_checkpoint_id (id))
    {
      if (_mer_server_is_get (req))
        _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
      else
        _mer_server_respond_error (resp, SOUP_STATUS_FORBIDDEN, "forbidden",
                                   "Only replication checkpoints may be written to _local");
      return;
    }
  stored_id = stored_checkpoint_id (req, id);

  if (_mer_server_is_get (req))
    {
      JsonObject *doc = mer_store_get_local (self->store, stored_id, &error);

      if (doc == NULL)
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
      json_object_set_string_member (doc, "_id", id);
      _mer_server_respond_object (resp, SOUP_STATUS_OK, doc);
    }
  else if (_mer_server_method_is (req, "PUT"))
    {
      g_autoptr(JsonObject) doc = NULL;
      g_autofree char *rev = NULL;

      if (!_mer_server_require_write (req, resp) || (doc = _mer_server_parse_body_object (req, resp, MER_VALIDATE_MAX_DOC_BYTES)) == NULL
          || !apply_url_id (resp, doc, id) || !apply_query_rev (req, resp, doc))
        return;
      json_object_set_string_member (doc, "_id", stored_id);
      if (!mer_validate_local_doc (doc, &error)
          || (rev = mer_store_put_local (self->store, doc, &error)) == NULL)
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
      _mer_server_respond_ok (resp, SOUP_STATUS_CREATED, id, rev);
    }
  else
    {
      g_autoptr(JsonObject) current = NULL;
      const char *rev = request_rev (req);

      if (!_mer_server_require_write (req, resp))
        return;
      current = mer_store_get_local (self->store, stored_id, &error);
      if (current == NULL)
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
      if (rev == NULL || g_strcmp0 (rev, mer_json_get_string (current, "_rev")) != 0)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
          return;
        }
      if (!mer_store_delete_local (self->store, stored_id, &error))
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
      _mer_server_respond_ok (resp, SOUP_STATUS_OK, id, "0-0");
    }
}

/* Routing ----------------------------------------------------------------------- */

/*
 * Splits the still-encoded path on '/' and only then decodes each segment,
 * so that "page%2Fa" stays one id while "_design/x" keeps its literal
 * slash. Empty segments are dropped, as CouchDB drops them: "//db//doc/"
 * is "/db/doc", and "/db/" the database, as PouchDB writes it. Returns
 * NULL when a segment has an invalid escape or a NUL.
 */
char **
_mer_server_split_path (const char *raw_path,
            guint      *out_n)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  guint n;

  if (raw_path == NULL || raw_path[0] != '/')
    return NULL;
  parts = g_strsplit (raw_path + 1, "/", -1);
  n = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *decoded;

      if (parts[i][0] == '\0')
        continue;
      decoded = g_uri_unescape_string (parts[i], NULL);
      if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
        {
          g_free (decoded);
          return NULL;
        }
      g_ptr_array_add (segments, decoded);
      n++;
    }
  g_ptr_array_add (segments, NULL);
  *out_n = n;
  return (char **) g_ptr_array_free (g_steal_pointer (&segments), FALSE);
}

/*
 * Whether @raw_path, empty segments dropped as _mer_server_split_path()
 * drops them, is the single segment @segment, or the root when @segment is
 * NULL. For the paths the early handler lets in before it splits anything.
 */
gboolean
_mer_server_path_is (const char *raw_path,
                     const char *segment)
{
  const char *p = raw_path;
  gsize length = segment != NULL ? strlen (segment) : 0;

  if (p == NULL || *p != '/')
    return FALSE;
  while (*p == '/')
    p++;
  if (strncmp (p, segment != NULL ? segment : "", length) != 0)
    return FALSE;
  for (p += length; *p == '/'; p++)
    ;
  return *p == '\0';
}

void
_mer_server_route (MerServer *self,
       Request   *req,
       Response  *resp)
{
  char **s = req->segments;
  guint n = req->n_segments;

  if (n == 0)
    {
      handle_welcome (self, req, resp);
      return;
    }
  if (s[0][0] == '_')
    {
      if (n == 1 && strcmp (s[0], "_all_dbs") == 0 && _mer_server_is_get (req))
        {
          JsonArray *names = json_array_new ();

          json_array_add_string_element (names, mer_store_get_name (self->store));
          _mer_server_respond_json (resp, SOUP_STATUS_OK, json_node_init_array (json_node_alloc (), names));
          json_array_unref (names);
        }
      else if (n == 1 && strcmp (s[0], "_up") == 0 && _mer_server_is_get (req))
        {
          JsonObject *object = json_object_new ();

          json_object_set_string_member (object, "status", "ok");
          _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
        }
      else if (n == 1 && strcmp (s[0], "_session") == 0)
        _mer_server_handle_session (self, req, resp);
      else if (n == 1 && strcmp (s[0], "_uuids") == 0)
        _mer_server_handle_uuids (self, req, resp);
      else
        _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
      return;
    }
  if (strcmp (s[0], mer_store_get_name (self->store)) != 0)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "Database does not exist.");
      return;
    }
  if (n == 1)
    {
      handle_db (self, req, resp);
      return;
    }

  if (strcmp (s[1], "_local") == 0 || strcmp (s[1], "_design") == 0)
    {
      g_autofree char *id = NULL;

      /* _view, _show, _list, _update, _rewrite of a design document. */
      if (n >= 4 && strcmp (s[1], "_design") == 0 && s[3][0] == '_')
        {
          g_autofree char *endpoint = g_strconcat ("_design/", s[2], "/", s[3], NULL);

          _mer_server_respond_not_served (resp, endpoint);
          return;
        }
      /* "/db/_local/", its empty name dropped, is what CouchDB calls an invalid id. */
      if (n == 2 && strcmp (s[1], "_local") == 0)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid _local document id.");
          return;
        }
      if (n != 3)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
          return;
        }
      id = g_strconcat (s[1], "/", s[2], NULL);
      if (strcmp (s[1], "_local") == 0)
        handle_local (self, req, resp, id);
      else
        {
          g_autoptr(GError) error = NULL;

          if (!mer_validate_id (id, &error))
            _mer_server_respond_gerror (resp, error);
          else
            handle_doc (self, req, resp, id);
        }
      return;
    }

  if (n == 2 && s[1][0] == '_')
    {
      if (strcmp (s[1], "_revs_diff") == 0)
        handle_revs_diff (self, req, resp);
      else if (strcmp (s[1], "_bulk_get") == 0)
        handle_bulk_get (self, req, resp);
      else if (strcmp (s[1], "_bulk_docs") == 0)
        handle_bulk_docs (self, req, resp);
      else if (strcmp (s[1], "_ensure_full_commit") == 0)
        handle_ensure_full_commit (req, resp);
      else if (strcmp (s[1], "_all_docs") == 0)
        _mer_server_handle_all_docs (self, req, resp);
      else if (_mer_server_is_query_endpoint (s[1]))
        _mer_server_respond_not_served (resp, s[1]);
      else
        _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                       "Only reserved document ids may start with underscore.");
      return;
    }

  if (n == 2)
    {
      g_autoptr(GError) error = NULL;

      if (!mer_validate_id (s[1], &error))
        _mer_server_respond_gerror (resp, error);
      else
        handle_doc (self, req, resp, s[1]);
      return;
    }

  /* /{db}/{docid}/{attachment}, the name possibly with slashes. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_strjoinv ("/", s + 2);

    if (!mer_validate_id (s[1], &error))
      _mer_server_respond_gerror (resp, error);
    else
      _mer_server_handle_attachment (self, req, resp, s[1], name);
  }
}

char *
_mer_server_response_text (Response *resp)
{
  g_autofree char *text = NULL;

  if (resp->raw != NULL)
    return g_strndup (g_bytes_get_data (resp->raw, NULL), g_bytes_get_size (resp->raw));
  if (resp->text != NULL)
    return g_strconcat (resp->text, "\n", NULL);
  if (resp->body == NULL)
    return g_strdup ("");
  text = mer_json_to_string (resp->body, FALSE);
  return g_strconcat (text, "\n", NULL);
}

void
_mer_server_response_clear (Response *resp)
{
  g_clear_pointer (&resp->body, json_node_unref);
  g_clear_pointer (&resp->text, g_free);
  g_clear_pointer (&resp->etag, g_free);
  g_clear_pointer (&resp->allow, g_free);
  g_clear_pointer (&resp->raw, g_bytes_unref);
  g_clear_pointer (&resp->raw_type, g_free);
}

