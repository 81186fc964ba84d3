/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer server's attachments: GET, HEAD, PUT and DELETE of
 * /{db}/{docid}/{name}, and attachments=true / atts_since for documents
 * read whole (GET of a document, open_revs, _bulk_get), as CouchDB
 * answers them. The bytes themselves are the store's (see
 * mer-store-attachments.c).
 *
 * Bytes a peer sent are served as they are, with the type it claimed,
 * but never as something a browser runs: every attachment goes out with
 * "X-Content-Type-Options: nosniff" and "Content-Security-Policy:
 * sandbox", and a type that a browser would run as a page or script
 * (HTML, SVG, XML, JavaScript, PDF) as a download ("Content-Disposition:
 * attachment").
 */

#include "config.h"

#include "mer-server-private.h"
#include "mer-store-attachments.h"
#include "mer-json.h"
#include "mer-validate.h"

#include <string.h>

/* Room in a JSON body for the largest attachment in base64, and the
 * document around it. */
gsize
_mer_server_max_json_bytes (MerServer *self)
{
  guint64 att = mer_store_get_max_attachment_size (self->store);
  guint64 inline_bytes = (att + 2) / 3 * 4 + 1024 * 1024;

  return (gsize) MAX ((guint64) MER_SERVER_MAX_REQUEST_BYTES, inline_bytes);
}

/* Whether @segments ("db", "doc", "name"...) name an attachment. */
static gboolean
is_attachment_path (MerServer  *self,
                    char      **segments,
                    guint       n)
{
  return n >= 3 && strcmp (segments[0], mer_store_get_name (self->store)) == 0
         && segments[1][0] != '_';
}

/*
 * The largest body a request to @raw_path may send: an attachment's own
 * limit for PUT /db/doc/name, room for base64 attachments for the rest.
 * *@is_attachment says whether the body is an attachment's bytes.
 */
gsize
_mer_server_body_limit (MerServer  *self,
                        const char *method,
                        const char *raw_path,
                        gboolean   *is_attachment)
{
  g_auto(GStrv) segments = NULL;
  guint n = 0;

  *is_attachment = FALSE;
  if (strcmp (method, "PUT") == 0 && (segments = _mer_server_split_path (raw_path, &n)) != NULL
      && is_attachment_path (self, segments, n))
    {
      *is_attachment = TRUE;
      return (gsize) mer_store_get_max_attachment_size (self->store);
    }
  return _mer_server_max_json_bytes (self);
}

/* ?rev=, or an If-Match header as CouchDB also takes it. */
static char *
wanted_rev (Request *req)
{
  const char *rev = _mer_server_query_get (req, "rev");
  const char *if_match;
  g_autofree char *value = NULL;
  gsize length;

  if (rev != NULL || req->msg == NULL)
    return g_strdup (rev);
  if_match = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), "If-Match");
  if (if_match == NULL)
    return NULL;
  value = g_strstrip (g_strdup (if_match));
  length = strlen (value);
  if (length >= 2 && value[0] == '"' && value[length - 1] == '"')
    return g_strndup (value + 1, length - 2);
  return g_steal_pointer (&value);
}

static void
respond_attachment_error (Response     *resp,
                          const GError *error)
{
  if (g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", error->message);
  else
    _mer_server_respond_gerror (resp, error);
}

static void
get_attachment (MerServer  *self,
                Request    *req,
                Response   *resp,
                const char *id,
                const char *name)
{
  g_autoptr(MerAttachment) att = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  const char *rev = _mer_server_query_get (req, "rev");
  const char *if_none_match;

  if (rev != NULL && !mer_validate_rev (rev, NULL, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  att = mer_store_get_attachment (self->store, id, rev, name, &error);
  if (att == NULL)
    {
      respond_attachment_error (resp, error);
      return;
    }
  /* CouchDB's ETag of an attachment: its digest's base64, quoted. */
  etag = g_strdup_printf ("\"%s\"", att->digest + strlen ("md5-"));
  if_none_match = req->msg != NULL
                  ? soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), "If-None-Match")
                  : NULL;
  g_free (resp->etag);
  resp->etag = g_strdup (etag);
  if (if_none_match != NULL && strcmp (if_none_match, etag) == 0)
    {
      resp->status = SOUP_STATUS_NOT_MODIFIED;
      resp->raw = g_bytes_new (NULL, 0);
      resp->raw_type = g_strdup (att->content_type);
      return;
    }
  if (_mer_server_method_is (req, "HEAD"))
    resp->raw = g_bytes_new (NULL, 0);
  else
    {
      resp->raw = mer_store_read_blob (self->store, att->blob, &error);
      if (resp->raw == NULL)
        {
          _mer_server_respond_gerror (resp, error);
          return;
        }
    }
  resp->status = SOUP_STATUS_OK;
  resp->raw_type = g_strdup (att->content_type);
  resp->raw_length = att->length;
  resp->raw_active = mer_attachment_is_active_type (att->content_type);
}

static void
put_attachment (MerServer  *self,
                Request    *req,
                Response   *resp,
                const char *id,
                const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *rev = wanted_rev (req);
  g_autofree char *new_rev = NULL;

  if (!_mer_server_require_write (req, resp))
    return;
  if (rev != NULL && !mer_validate_rev (rev, NULL, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  if ((guint64) req->length > mer_store_get_max_attachment_size (self->store))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "attachment_too_large", name);
      return;
    }
  /* The body stays where the server read it: held once. */
  data = g_bytes_new_static (req->body != NULL ? req->body : "", req->length);
  new_rev = mer_store_put_attachment (self->store, id, rev, name,
                                      req->content_type != NULL ? req->content_type : "application/octet-stream",
                                      data, &error);
  if (new_rev == NULL)
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  _mer_server_respond_ok (resp, SOUP_STATUS_CREATED, id, new_rev);
}

static void
delete_attachment (MerServer  *self,
                   Request    *req,
                   Response   *resp,
                   const char *id,
                   const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = wanted_rev (req);
  g_autofree char *new_rev = NULL;

  if (!_mer_server_require_write (req, resp))
    return;
  if (rev == NULL)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_CONFLICT, "conflict", "Document update conflict.");
      return;
    }
  if (!mer_validate_rev (rev, NULL, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  new_rev = mer_store_delete_attachment (self->store, id, rev, name, &error);
  if (new_rev == NULL)
    {
      respond_attachment_error (resp, error);
      return;
    }
  _mer_server_respond_ok (resp, SOUP_STATUS_OK, id, new_rev);
}

/* /{db}/{id}/{name}: @name may hold slashes, as CouchDB's may. */
void
_mer_server_handle_attachment (MerServer  *self,
                               Request    *req,
                               Response   *resp,
                               const char *id,
                               const char *name)
{
  g_autoptr(GError) error = NULL;

  if (!mer_attachment_check_name (name, &error))
    {
      _mer_server_respond_gerror (resp, error);
      return;
    }
  if (_mer_server_is_get (req))
    get_attachment (self, req, resp, id, name);
  else if (_mer_server_method_is (req, "PUT"))
    put_attachment (self, req, resp, id, name);
  else if (_mer_server_method_is (req, "DELETE"))
    delete_attachment (self, req, resp, id, name);
  else
    _mer_server_respond_method_not_allowed (resp, "GET,HEAD,PUT,DELETE");
}

/* ------------------------------------------------------------------ */
/* Documents with their attachments' bytes */

/*
 * The generation past which a peer that holds the revisions @since lacks
 * attachments of @id at @rev: the newest of them that is an ancestor of
 * @rev (CouchDB's atts_since). 0 when none is.
 */
static gint64
since_generation (MerServer  *self,
                  const char *id,
                  const char *rev,
                  JsonArray  *since)
{
  g_autoptr(JsonArray) ancestry = NULL;
  g_autoptr(GHashTable) held = NULL;
  gint64 best = 0;

  if (since == NULL || json_array_get_length (since) == 0)
    return 0;
  ancestry = mer_store_get_revs_info (self->store, id, rev, NULL);
  if (ancestry == NULL)
    return 0;
  held = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < json_array_get_length (ancestry); i++)
    {
      JsonObject *info = json_array_get_object_element (ancestry, i);
      const char *ancestor = info != NULL ? mer_json_get_string (info, "rev") : NULL;

      if (ancestor != NULL)
        g_hash_table_add (held, (gpointer) ancestor);
    }
  for (guint i = 0; i < json_array_get_length (since); i++)
    {
      JsonNode *node = json_array_get_element (since, i);
      const char *candidate;
      guint64 pos;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      candidate = json_node_get_string (node);
      if (g_hash_table_contains (held, candidate) && mer_validate_rev (candidate, &pos, NULL))
        best = MAX (best, (gint64) pos);
    }
  return best;
}

/*
 * Reads ?attachments= and ?atts_since= (a JSON list of revisions).
 * *@since_list is NULL when atts_since was not given. FALSE with @resp
 * set when either is malformed.
 */
gboolean
_mer_server_attachments_query (Request    *req,
                               Response   *resp,
                               gboolean   *attachments,
                               JsonArray **since_list)
{
  const char *since = _mer_server_query_get (req, "atts_since");
  gboolean encoding_info = FALSE;
  g_autoptr(JsonNode) list = NULL;

  *attachments = FALSE;
  *since_list = NULL;
  /* att_encoding_info changes nothing: bytes are kept and sent as they
   * are, never compressed. */
  if (!_mer_server_query_bool (req, resp, "attachments", attachments)
      || !_mer_server_query_bool (req, resp, "att_encoding_info", &encoding_info))
    return FALSE;
  if (since == NULL)
    return TRUE;
  if (!mer_validate_json_text (since, strlen (since), 2, NULL)
      || (list = mer_json_parse (since, -1, NULL)) == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 "atts_since must be a JSON list of revisions");
      return FALSE;
    }
  *since_list = json_array_ref (json_node_get_array (list));
  return TRUE;
}

/*
 * Puts the bytes of @doc's attachments in it as base64 "data": every one
 * with @attachments, or with @since only those the holder of those
 * revisions lacks. Does nothing to a document without attachments.
 */
gboolean
_mer_server_inline_doc (MerServer   *self,
                        JsonObject  *doc,
                        gboolean     attachments,
                        JsonArray   *since,
                        GError     **error)
{
  gint64 generation;

  if ((!attachments && since == NULL) || !json_object_has_member (doc, "_attachments"))
    return TRUE;
  generation = since_generation (self, mer_json_get_string (doc, "_id"), mer_json_get_string (doc, "_rev"), since);
  /* atts_since without attachments=true still sends what is missing,
   * as CouchDB does; with nothing held, that is everything. */
  return mer_store_inline_attachments (self->store, doc, generation, error);
}

/*
 * The same for an entry of open_revs or _bulk_get already written as
 * text ({"ok": doc} or anything else, left alone). Returns the new text,
 * or NULL when the entry is to be sent as it is.
 */
char *
_mer_server_inline_entry_text (MerServer   *self,
                               const char  *entry,
                               gboolean     attachments,
                               JsonArray   *since,
                               GError     **error)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *doc;

  if ((!attachments && since == NULL) || strstr (entry, "\"_attachments\"") == NULL)
    return NULL;
  node = mer_json_parse (entry, -1, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)
      || !json_object_has_member (json_node_get_object (node), "ok")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (node), "ok")))
    return NULL;
  doc = json_object_get_object_member (json_node_get_object (node), "ok");
  if (!_mer_server_inline_doc (self, doc, attachments, since, error))
    return NULL;
  return mer_json_to_string (node, FALSE);
}
