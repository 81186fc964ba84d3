/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store-attachments.h"
#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"

#include <string.h>

/*
 * Attachments: the bytes of images and files that documents carry, kept
 * as CouchDB keeps them and exchanged as CouchDB exchanges them.
 *
 * Three tables hold them (schema 5, see mer-store.c):
 *
 * - `att_blobs`: the bytes, once per content, keyed by "md5-<base64>" of
 *   the bytes kept ("blob"). Two documents, or a thousand revisions, that
 *   carry the same logo keep it once.
 * - `rev_atts`: per revision, its attachments: name, content_type, the
 *   digest peers see, the blob, length, revpos. The revision's body also
 *   carries them as CouchDB stubs in "_attachments", so every way a
 *   document is read shows them, and its revision id depends on them.
 * - `local_atts`: the attachments of drafts ("_local/" documents), which
 *   never leave this replica.
 *
 * Durability: a blob is written in the same transaction as the first
 * revision or draft that names it, or earlier, and a row of rev_atts or
 * local_atts is only ever written after its blob is found in att_blobs.
 * SQLite commits a transaction whole or not at all, so after a crash at
 * any point no revision names bytes that are not there.
 *
 * Garbage collection, the rule: a blob is removed when no revision the
 * store keeps (a leaf, a conflict, or any revision of the history) and no
 * draft names it, that is when no row of rev_atts and no row of
 * local_atts has its key. Rows of rev_atts go only with their revision
 * (pruned past revs_limit) and rows of local_atts with their draft or
 * when an attachment of a draft is replaced or removed; each blob they
 * named, and each blob written in the transaction, is a candidate that
 * the outermost commit checks against the rule, inside the transaction.
 * mer_store_collect_garbage() applies the rule to every blob, on demand.
 * Deleting a document keeps its attachments while its history keeps the
 * revisions that named them, as CouchDB does until it compacts.
 */

#define READ_CHUNK (1024 * 1024)

void
mer_attachment_free (MerAttachment *attachment)
{
  if (attachment == NULL)
    return;
  g_free (attachment->name);
  g_free (attachment->content_type);
  g_free (attachment->digest);
  g_free (attachment->blob);
  g_free (attachment->encoding);
  g_free (attachment);
}

/* CouchDB's digest of @data: "md5-" and the base64 of the 16 bytes. */
char *
mer_attachment_digest (const void *data,
                       gsize       length)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_MD5);
  guint8 raw[16];
  gsize raw_length = sizeof raw;
  g_autofree char *encoded = NULL;

  g_checksum_update (checksum, data != NULL ? data : (const void *) "", length);
  g_checksum_get_digest (checksum, raw, &raw_length);
  encoded = g_base64_encode (raw, raw_length);
  return g_strconcat ("md5-", encoded, NULL);
}

/*
 * A name must be something a person and a file system can both take:
 * valid UTF-8, 1 to 255 bytes, no "..", no leading "/" or "_" (CouchDB
 * keeps names starting with "_" for itself), no control characters.
 */
gboolean
mer_attachment_check_name (const char  *name,
                           GError     **error)
{
  const char *reason = NULL;

  if (name == NULL || *name == '\0')
    reason = "an attachment name must not be empty";
  else if (strlen (name) > MER_ATTACHMENT_MAX_NAME_BYTES)
    reason = "an attachment name must be at most 255 bytes";
  else if (!g_utf8_validate (name, -1, NULL))
    reason = "an attachment name must be valid UTF-8";
  else if (name[0] == '/')
    reason = "an attachment name must not start with /";
  else if (name[0] == '_')
    reason = "an attachment name must not start with _";
  else if (strstr (name, "..") != NULL)
    reason = "an attachment name must not contain ..";
  else
    for (const char *p = name; *p; p++)
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          reason = "an attachment name must not contain control characters";
          break;
        }
  if (reason == NULL)
    return TRUE;
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST, "%s: %s", reason,
               name != NULL && g_utf8_validate (name, -1, NULL) ? name : "(unprintable)");
  return FALSE;
}

/* Types a browser or web view would run as a page or script: stored as
 * given, never served or shown as anything but a download. */
gboolean
mer_attachment_is_active_type (const char *content_type)
{
  g_autofree char *type = NULL;
  char *semicolon;
  static const char * const active[] = {
    "text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript",
    "application/x-shockwave-flash", "application/pdf", "multipart/x-mixed-replace", NULL
  };

  if (content_type == NULL)
    return FALSE;
  type = g_ascii_strdown (content_type, -1);
  if ((semicolon = strchr (type, ';')) != NULL)
    *semicolon = '\0';
  g_strstrip (type);
  return g_strv_contains (active, type) || g_str_has_suffix (type, "+xml");
}

void
mer_store_set_max_attachment_size (MerStore *self,
                                   guint64   bytes)
{
  g_autofree char *value = NULL;
  sqlite3_stmt *stmt;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MER_IS_STORE (self));
  g_return_if_fail (bytes > 0);

  if (self->max_attachment == bytes)
    return;
  self->max_attachment = bytes;
  /* The workspace's limit: every connection to it opens with it. */
  value = g_strdup_printf ("%" G_GUINT64_FORMAT, bytes);
  stmt = mer_db_prepare (self->db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('max_attachment', ?)", &error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, value, -1, SQLITE_STATIC);
      mer_db_run (self->db, stmt, &error);
    }
  if (error != NULL)
    g_warning ("could not store the attachment limit: %s", error->message);
}

guint64
mer_store_get_max_attachment_size (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), 0);
  return self->max_attachment;
}

static gboolean
set_too_large (MerStore  *self,
               gint64     length,
               GError   **error)
{
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_TOO_LARGE,
               "Attachment is larger than %" G_GUINT64_FORMAT " bytes (%" G_GINT64_FORMAT " bytes)",
               self->max_attachment, length);
  return FALSE;
}

static void
add_candidate (MerStore   *self,
               const char *blob)
{
  g_hash_table_add (self->gc_candidates, g_strdup (blob));
}

/* ------------------------------------------------------------------ */
/* Blobs */

static gint64
blob_rowid (MerStore    *self,
            const char  *blob,
            gint64      *length,
            GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (self->db, "SELECT rowid, length FROM att_blobs WHERE blob = ?", error);
  gint64 rowid = 0;
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, blob, -1, SQLITE_STATIC);
  rc = mer_db_step (self->db, stmt, error);
  if (rc == SQLITE_ROW)
    {
      rowid = sqlite3_column_int64 (stmt, 0);
      if (length != NULL)
        *length = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  return rc < 0 ? -1 : rowid;
}

static gboolean
set_blob_error (MerStore  *self,
                GError   **error)
{
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE, "attachment bytes: %s",
               sqlite3_errmsg (mer_db_get_handle (self->db)));
  return FALSE;
}

/*
 * Keeps @data under @blob unless it is there already. The row is made
 * with a zeroblob and filled a chunk at a time, so SQLite never builds a
 * second copy of a large attachment in memory. Inside the caller's
 * transaction; the blob is a candidate for collection at its commit in
 * case nothing ends up naming it.
 */
static gboolean
store_blob (MerStore    *self,
            const char  *blob,
            const guint8 *data,
            gsize        length,
            GError     **error)
{
  sqlite3_stmt *stmt;
  sqlite3_blob *handle = NULL;
  gint64 rowid;
  int rc;

  g_assert (self->depth > 0);
  rowid = blob_rowid (self, blob, NULL, error);
  if (rowid < 0)
    return FALSE;
  /* Kept already: this write may name it all the same. */
  g_hash_table_add (self->staged_blobs, g_strdup (blob));
  if (rowid > 0)
    return TRUE;
  stmt = mer_db_prepare (self->db, "INSERT INTO att_blobs (blob, length, data) VALUES (?, ?, zeroblob (?))", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, blob, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (gint64) length);
  sqlite3_bind_int64 (stmt, 3, (gint64) length);
  if (!mer_db_run (self->db, stmt, error))
    return FALSE;
  rowid = sqlite3_last_insert_rowid (mer_db_get_handle (self->db));
  add_candidate (self, blob);
  if (length == 0)
    return TRUE;
  rc = sqlite3_blob_open (mer_db_get_handle (self->db), "main", "att_blobs", "data", rowid, 1, &handle);
  if (rc != SQLITE_OK)
    return set_blob_error (self, error);
  for (gsize done = 0; done < length && rc == SQLITE_OK; done += READ_CHUNK)
    rc = sqlite3_blob_write (handle, data + done, (int) MIN (READ_CHUNK, length - done), (int) done);
  if (rc != SQLITE_OK)
    {
      set_blob_error (self, error);
      sqlite3_blob_close (handle);
      return FALSE;
    }
  if (sqlite3_blob_close (handle) != SQLITE_OK)
    return set_blob_error (self, error);
  return TRUE;
}

/* The bytes kept under @blob, read straight into one buffer. */
GBytes *
mer_store_read_blob (MerStore    *self,
                     const char  *blob,
                     GError     **error)
{
  sqlite3_blob *handle = NULL;
  gint64 length = 0;
  gint64 rowid;
  guint8 *data;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (blob != NULL, NULL);

  rowid = blob_rowid (self, blob, &length, error);
  if (rowid < 0)
    return NULL;
  if (rowid == 0)
    {
      _mer_set_not_found (error, "Attachment bytes are missing");
      return NULL;
    }
  if (length == 0)
    return g_bytes_new (NULL, 0);
  rc = sqlite3_blob_open (mer_db_get_handle (self->db), "main", "att_blobs", "data", rowid, 0, &handle);
  if (rc != SQLITE_OK)
    {
      set_blob_error (self, error);
      return NULL;
    }
  data = g_try_malloc ((gsize) length);
  if (data == NULL)
    {
      sqlite3_blob_close (handle);
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE, "out of memory reading an attachment");
      return NULL;
    }
  for (gint64 done = 0; done < length && rc == SQLITE_OK; done += READ_CHUNK)
    rc = sqlite3_blob_read (handle, data + done, (int) MIN (READ_CHUNK, length - done), (int) done);
  sqlite3_blob_close (handle);
  if (rc != SQLITE_OK)
    {
      g_free (data);
      set_blob_error (self, error);
      return NULL;
    }
  return g_bytes_new_take (data, (gsize) length);
}

/* The base64 of the bytes under @blob, encoded a chunk at a time. */
static char *
read_blob_base64 (MerStore    *self,
                  const char  *blob,
                  GError     **error)
{
  sqlite3_blob *handle = NULL;
  g_autofree guint8 *chunk = NULL;
  gint64 length = 0;
  gint64 rowid;
  char *out;
  gsize written = 0;
  int state = 0, save = 0;
  int rc;

  rowid = blob_rowid (self, blob, &length, error);
  if (rowid < 0)
    return NULL;
  if (rowid == 0)
    {
      _mer_set_not_found (error, "Attachment bytes are missing");
      return NULL;
    }
  out = g_malloc ((length / 3 + 1) * 4 + 4);
  if (length == 0)
    {
      out[0] = '\0';
      return out;
    }
  rc = sqlite3_blob_open (mer_db_get_handle (self->db), "main", "att_blobs", "data", rowid, 0, &handle);
  if (rc != SQLITE_OK)
    {
      g_free (out);
      set_blob_error (self, error);
      return NULL;
    }
  chunk = g_malloc (MIN (READ_CHUNK, length));
  for (gint64 done = 0; done < length; done += READ_CHUNK)
    {
      int n = (int) MIN (READ_CHUNK, length - done);

      rc = sqlite3_blob_read (handle, chunk, n, (int) done);
      if (rc != SQLITE_OK)
        break;
      written += g_base64_encode_step (chunk, n, FALSE, out + written, &state, &save);
    }
  sqlite3_blob_close (handle);
  if (rc != SQLITE_OK)
    {
      g_free (out);
      set_blob_error (self, error);
      return NULL;
    }
  written += g_base64_encode_close (FALSE, out + written, &state, &save);
  out[written] = '\0';
  return out;
}

/* ------------------------------------------------------------------ */
/* Reading a revision's attachments */

static MerAttachment *
attachment_from_row (sqlite3_stmt *stmt)
{
  MerAttachment *att = g_new0 (MerAttachment, 1);

  att->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  att->content_type = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  att->digest = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  att->blob = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  att->length = sqlite3_column_int64 (stmt, 4);
  att->revpos = sqlite3_column_int64 (stmt, 5);
  att->encoding = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  return att;
}

#define ATT_COLUMNS "a.name, a.content_type, a.digest, a.blob, a.length, a.revpos, a.encoding"

/* The attachment @name of revision @rev of the document @doc_key. */
static MerAttachment *
lookup_attachment (MerStore    *self,
                   gint64       doc_key,
                   const char  *rev,
                   const char  *name,
                   GError     **error)
{
  sqlite3_stmt *stmt;
  MerAttachment *att = NULL;
  int rc;

  stmt = mer_db_prepare (self->db,
                         "SELECT " ATT_COLUMNS " FROM revs r JOIN rev_atts a ON a.rev_key = r.rev_key"
                         " WHERE r.doc_key = ? AND r.rev = ? AND a.name = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, doc_key);
  sqlite3_bind_text (stmt, 2, rev, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
  rc = mer_db_step (self->db, stmt, error);
  if (rc == SQLITE_ROW)
    att = attachment_from_row (stmt);
  sqlite3_reset (stmt);
  return att;
}

/* Any attachment of the document @doc_key, in any revision, whose digest
 * is @digest: how a stub names bytes an earlier revision brought. */
static MerAttachment *
lookup_digest_in_doc (MerStore    *self,
                      gint64       doc_key,
                      const char  *digest,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  MerAttachment *att = NULL;
  int rc;

  stmt = mer_db_prepare (self->db,
                         "SELECT " ATT_COLUMNS " FROM rev_atts a JOIN revs r ON a.rev_key = r.rev_key"
                         " WHERE a.digest = ? AND r.doc_key = ? LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, digest, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, doc_key);
  rc = mer_db_step (self->db, stmt, error);
  if (rc == SQLITE_ROW)
    att = attachment_from_row (stmt);
  sqlite3_reset (stmt);
  return att;
}

/* Whether a draft keeps bytes of digest @digest (drafts' digests are
 * always those of the bytes kept). */
static gboolean
draft_has_digest (MerStore    *self,
                  const char  *digest,
                  GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (self->db, "SELECT 1 FROM local_atts WHERE digest = ? LIMIT 1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, digest, -1, SQLITE_STATIC);
  rc = mer_db_step (self->db, stmt, error);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

MerAttachment *
mer_store_get_attachment (MerStore    *self,
                          const char  *id,
                          const char  *rev,
                          const char  *name,
                          GError     **error)
{
  g_autofree char *winner = NULL;
  gboolean deleted = FALSE;
  MerAttachment *att;
  gint64 key;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL && name != NULL, NULL);

  if (rev != NULL && !_mer_parse_rev (rev, NULL, NULL))
    {
      _mer_set_bad_rev (error, rev);
      return NULL;
    }
  key = _mer_store_lookup_doc (self, id, &winner, &deleted, error);
  if (key < 0)
    return NULL;
  if (key == 0 || (rev == NULL && deleted))
    {
      _mer_set_not_found (error, key == 0 ? "missing" : "deleted");
      return NULL;
    }
  att = lookup_attachment (self, key, rev != NULL ? rev : winner, name, &local_error);
  if (att == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        _mer_set_not_found (error, "Document is missing attachment");
    }
  return att;
}

/* ------------------------------------------------------------------ */
/* Writing: from what a document says to stubs and rows */

static gboolean
bad_attachment (GError     **error,
                const char  *name,
                const char  *reason)
{
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
               "Attachment %s: %s", name, reason);
  return FALSE;
}

/* Decodes strict base64 (whitespace aside), which g_base64_decode()
 * alone does not check. */
static guint8 *
decode_base64 (const char *text,
               gsize      *length)
{
  gsize n = 0, padding = 0;

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '+' || *p == '/')
        {
          if (padding > 0)
            return NULL;
          n++;
        }
      else if (*p == '=')
        {
          if (++padding > 2)
            return NULL;
          n++;
        }
      else if (!g_ascii_isspace (*p))
        return NULL;
    }
  if (n % 4 != 0)
    return NULL;
  if (n == 0)
    {
      *length = 0;
      return g_malloc0 (1);
    }
  return g_base64_decode (text, length);
}

static gint64
member_int (JsonObject *object,
            const char *name,
            gboolean   *bad)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return -1;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0)
    {
      *bad = TRUE;
      return -1;
    }
  return json_node_get_int (node);
}

static const char *
member_string (JsonObject *object,
               const char *name,
               gboolean   *bad)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      *bad = TRUE;
      return NULL;
    }
  return json_node_get_string (node);
}

static void
set_missing_stub (GError    **error,
                  const char *name)
{
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_MISSING_STUB,
               "Invalid attachment stub in %s", name);
}

/*
 * One entry of "_attachments" as a writer gave it, resolved to an
 * attachment whose bytes are kept: inline "data" is checked against the
 * digest and length given with it and kept; a stub must name bytes this
 * document already has (or, for a local edit, a draft or this very
 * transaction has). @pos is the generation of the revision being written.
 */
static MerAttachment *
resolve_one (MerStore    *self,
             gint64       doc_key,
             const char  *parent,
             const char  *name,
             JsonNode    *node,
             gint64       pos,
             gboolean     new_edits,
             GError     **error)
{
  g_autoptr(MerAttachment) att = g_new0 (MerAttachment, 1);
  JsonObject *entry;
  const char *content_type, *digest, *data, *encoding;
  gint64 length, revpos;
  gboolean bad = FALSE;
  gboolean stub;

  if (!mer_attachment_check_name (name, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_attachment (error, name, "must be an object");
      return NULL;
    }
  entry = json_node_get_object (node);
  content_type = member_string (entry, "content_type", &bad);
  digest = member_string (entry, "digest", &bad);
  data = member_string (entry, "data", &bad);
  encoding = member_string (entry, "encoding", &bad);
  length = member_int (entry, "length", &bad);
  revpos = member_int (entry, "revpos", &bad);
  stub = mer_json_get_bool (entry, "stub");
  if (bad)
    {
      bad_attachment (error, name, "content_type, digest, data and encoding must be strings, length and revpos numbers");
      return NULL;
    }
  if (mer_json_get_bool (entry, "follows"))
    {
      bad_attachment (error, name, "\"follows\" needs a multipart request, which this server does not take; send \"data\" in base64");
      return NULL;
    }
  if (content_type != NULL && strlen (content_type) > 255)
    {
      bad_attachment (error, name, "content_type is longer than 255 bytes");
      return NULL;
    }
  if (digest != NULL && (!g_str_has_prefix (digest, "md5-") || strlen (digest) > 64))
    {
      bad_attachment (error, name, "digest must be md5-<base64>");
      return NULL;
    }
  if (length >= 0 && (guint64) length > self->max_attachment)
    {
      set_too_large (self, length, error);
      return NULL;
    }

  att->name = g_strdup (name);
  att->content_type = g_strdup (content_type != NULL ? content_type : "application/octet-stream");

  if (data != NULL)
    {
      g_autofree guint8 *bytes = NULL;
      gsize size = 0;

      if ((guint64) strlen (data) / 4 * 3 > self->max_attachment + 3)
        {
          set_too_large (self, (gint64) strlen (data) / 4 * 3, error);
          return NULL;
        }
      bytes = decode_base64 (data, &size);
      if (bytes == NULL)
        {
          bad_attachment (error, name, "data is not valid base64");
          return NULL;
        }
      if ((guint64) size > self->max_attachment)
        {
          set_too_large (self, (gint64) size, error);
          return NULL;
        }
      if (length >= 0 && (gsize) length != size)
        {
          bad_attachment (error, name, "length does not match the data");
          return NULL;
        }
      att->blob = mer_attachment_digest (bytes, size);
      att->length = (gint64) size;
      if (digest == NULL || strcmp (digest, att->blob) == 0)
        att->digest = g_strdup (att->blob);
      else if (!new_edits && g_strcmp0 (encoding, "gzip") == 0)
        {
          /* CouchDB gives the digest of the compressed bytes of what it
           * keeps gzipped, with the bytes decompressed: kept under the
           * digest of the bytes, shown with the one the peer gave. */
          att->digest = g_strdup (digest);
          att->encoding = g_strdup ("gzip");
        }
      else
        {
          bad_attachment (error, name, "digest does not match the data");
          return NULL;
        }
      if (!store_blob (self, att->blob, bytes, size, error))
        return NULL;
      /* A local edit changes the attachment now; a replicated revision
       * says when it changed. */
      att->revpos = new_edits || revpos <= 0 ? pos : revpos;
      return g_steal_pointer (&att);
    }

  if (!stub)
    {
      bad_attachment (error, name, "needs \"data\" or \"stub\": true");
      return NULL;
    }

  /* A stub: bytes this document (or this write) already has. */
  {
    g_autoptr(MerAttachment) found = NULL;
    g_autoptr(GError) local_error = NULL;

    if (doc_key > 0 && parent != NULL && new_edits)
      found = lookup_attachment (self, doc_key, parent, name, &local_error);
    if (found != NULL && digest != NULL && strcmp (found->digest, digest) != 0)
      g_clear_pointer (&found, mer_attachment_free);
    if (found == NULL && local_error == NULL && doc_key > 0 && digest != NULL)
      {
        found = lookup_digest_in_doc (self, doc_key, digest, &local_error);
        if (found != NULL && new_edits)
          found->revpos = pos;
      }
    if (found == NULL && local_error == NULL && new_edits && digest != NULL
        && (g_hash_table_contains (self->staged_blobs, digest) || draft_has_digest (self, digest, &local_error)))
      {
        gint64 kept = 0;

        if (local_error == NULL && blob_rowid (self, digest, &kept, &local_error) > 0)
          {
            found = g_new0 (MerAttachment, 1);
            found->digest = g_strdup (digest);
            found->blob = g_strdup (digest);
            found->length = kept;
            found->revpos = pos;
          }
      }
    if (local_error != NULL)
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return NULL;
      }
    if (found == NULL)
      {
        set_missing_stub (error, name);
        return NULL;
      }
    if (length >= 0 && length != found->length)
      {
        bad_attachment (error, name, "length does not match the attachment it names");
        return NULL;
      }
    g_free (att->digest);
    att->digest = g_strdup (found->digest);
    att->blob = g_strdup (found->blob);
    att->length = found->length;
    att->encoding = g_strdup (found->encoding);
    /* A replicated stub keeps the revpos it was sent with. */
    att->revpos = !new_edits && revpos > 0 ? revpos : found->revpos;
    if (content_type == NULL && found->content_type != NULL)
      {
        g_free (att->content_type);
        att->content_type = g_strdup (found->content_type);
      }
    return g_steal_pointer (&att);
  }
}

/* The stub a revision's body carries for @att. */
static JsonObject *
stub_of (MerAttachment *att)
{
  JsonObject *stub = json_object_new ();

  json_object_set_string_member (stub, "content_type", att->content_type);
  json_object_set_string_member (stub, "digest", att->digest);
  json_object_set_int_member (stub, "length", att->length);
  json_object_set_int_member (stub, "revpos", att->revpos);
  json_object_set_boolean_member (stub, "stub", TRUE);
  return stub;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp ((*(MerAttachment * const *) a)->name, (*(MerAttachment * const *) b)->name);
}

/*
 * Resolves the "_attachments" member @given of a document being written
 * as revision generation @pos of @doc_key (0: a new document), on @parent
 * for a local edit. Adds to @body the stubs the revision keeps (nothing
 * for an absent or empty member) and returns the attachments, to be
 * written with _mer_store_write_rev_atts() once the revision is.
 */
GPtrArray *
_mer_store_resolve_attachments (MerStore    *self,
                                gint64       doc_key,
                                const char  *parent,
                                JsonNode    *given,
                                gint64       pos,
                                gboolean     new_edits,
                                JsonObject  *body,
                                GError     **error)
{
  g_autoptr(GPtrArray) atts = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_attachment_free);
  JsonObject *stubs;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (given == NULL || JSON_NODE_HOLDS_NULL (given))
    return g_steal_pointer (&atts);
  if (!JSON_NODE_HOLDS_OBJECT (given))
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST, "_attachments must be an object");
      return NULL;
    }
  if (json_object_get_size (json_node_get_object (given)) > MER_ATTACHMENT_MAX_PER_DOC)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   "A document may carry at most %d attachments", MER_ATTACHMENT_MAX_PER_DOC);
      return NULL;
    }
  json_object_iter_init (&iter, json_node_get_object (given));
  while (json_object_iter_next (&iter, &name, &node))
    {
      MerAttachment *att = resolve_one (self, doc_key, parent, name, node, pos, new_edits, error);

      if (att == NULL)
        return NULL;
      g_ptr_array_add (atts, att);
    }
  if (atts->len == 0)
    return g_steal_pointer (&atts);
  g_ptr_array_sort (atts, compare_names);
  stubs = json_object_new ();
  for (guint i = 0; i < atts->len; i++)
    {
      MerAttachment *att = g_ptr_array_index (atts, i);

      json_object_set_object_member (stubs, att->name, stub_of (att));
    }
  json_object_set_object_member (body, "_attachments", stubs);
  return g_steal_pointer (&atts);
}

/* Rows of rev_atts for revision @rev of @doc_key, its blobs all kept. */
gboolean
_mer_store_write_rev_atts (MerStore    *self,
                           gint64       doc_key,
                           const char  *rev,
                           GPtrArray   *atts,
                           GError     **error)
{
  g_autoptr(RevInfo) info = NULL;
  sqlite3_stmt *stmt;

  if (atts == NULL || atts->len == 0)
    return TRUE;
  info = _mer_store_lookup_rev (self, doc_key, rev, error);
  if (info == NULL)
    return FALSE;
  for (guint i = 0; i < atts->len; i++)
    {
      MerAttachment *att = g_ptr_array_index (atts, i);

      stmt = mer_db_prepare (self->db,
                             "INSERT OR REPLACE INTO rev_atts (rev_key, name, content_type, digest, blob, length, revpos, encoding)"
                             " SELECT ?, ?, ?, ?, blob, ?, ?, ? FROM att_blobs WHERE blob = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, info->rev_key);
      sqlite3_bind_text (stmt, 2, att->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, att->content_type, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, att->digest, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, att->length);
      sqlite3_bind_int64 (stmt, 6, att->revpos);
      sqlite3_bind_text (stmt, 7, att->encoding, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, att->blob, -1, SQLITE_STATIC);
      if (!mer_db_run (self->db, stmt, error))
        return FALSE;
      /* The INSERT ... SELECT writes nothing when the bytes are not kept:
       * a revision never names missing bytes. */
      if (sqlite3_changes (mer_db_get_handle (self->db)) != 1)
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                       "the bytes of attachment %s are missing", att->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* Before a revision goes (pruning): its rows, their blobs candidates. */
gboolean
_mer_store_forget_rev_atts (MerStore  *self,
                            gint64     rev_key,
                            GError   **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (self->db, "SELECT blob FROM rev_atts WHERE rev_key = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rev_key);
  while ((rc = mer_db_step (self->db, stmt, error)) == SQLITE_ROW)
    add_candidate (self, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;
  stmt = mer_db_prepare (self->db, "DELETE FROM rev_atts WHERE rev_key = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rev_key);
  return mer_db_run (self->db, stmt, error);
}

/* ------------------------------------------------------------------ */
/* Garbage collection */

#define UNNAMED "NOT EXISTS (SELECT 1 FROM rev_atts WHERE rev_atts.blob = att_blobs.blob)" \
                " AND NOT EXISTS (SELECT 1 FROM local_atts WHERE local_atts.digest = att_blobs.blob)"

/* At the outermost commit, inside its transaction: the rule applied to
 * the candidates of the transaction. */
gboolean
_mer_store_collect_candidates (MerStore  *self,
                               GError   **error)
{
  GHashTableIter iter;
  const char *blob;

  g_hash_table_remove_all (self->staged_blobs);
  if (g_hash_table_size (self->gc_candidates) == 0)
    return TRUE;
  g_hash_table_iter_init (&iter, self->gc_candidates);
  while (g_hash_table_iter_next (&iter, (gpointer *) &blob, NULL))
    {
      sqlite3_stmt *stmt = mer_db_prepare (self->db, "DELETE FROM att_blobs WHERE blob = ? AND " UNNAMED, error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, blob, -1, SQLITE_STATIC);
      if (!mer_db_run (self->db, stmt, error))
        return FALSE;
    }
  g_hash_table_remove_all (self->gc_candidates);
  return TRUE;
}

gboolean
mer_store_collect_garbage (MerStore  *self,
                           guint     *removed,
                           GError   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (!mer_store_begin (self, error))
    return FALSE;
  stmt = mer_db_prepare (self->db, "DELETE FROM att_blobs WHERE " UNNAMED, error);
  if (stmt == NULL || !mer_db_run (self->db, stmt, error))
    {
      mer_store_rollback (self);
      return FALSE;
    }
  if (removed != NULL)
    *removed = (guint) sqlite3_changes (mer_db_get_handle (self->db));
  return mer_store_commit (self, error);
}

/* How many blobs are kept, and (@bytes) their total size. */
gint64
mer_store_count_blobs (MerStore *self,
                       gint64   *bytes)
{
  g_return_val_if_fail (MER_IS_STORE (self), -1);

  if (bytes != NULL)
    *bytes = _mer_store_query_int (self, "SELECT coalesce(sum(length), 0) FROM att_blobs", NULL);
  return _mer_store_query_int (self, "SELECT count(*) FROM att_blobs", NULL);
}

/* ------------------------------------------------------------------ */
/* One attachment at a time: new revisions */

/*
 * Writes a revision of @id on @rev that adds or replaces @name with
 * @data, as CouchDB's PUT /db/doc/att does: a document that does not
 * exist yet is made with the attachment alone (@rev NULL). The bytes go
 * in first, in the same transaction.
 */
char *
mer_store_put_attachment (MerStore    *self,
                          const char  *id,
                          const char  *rev,
                          const char  *name,
                          const char  *content_type,
                          GBytes      *data,
                          GError     **error)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *blob = NULL;
  g_autofree char *new_rev = NULL;
  JsonObject *atts;
  JsonObject *entry;
  const guint8 *bytes;
  gsize size;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL && name != NULL && data != NULL, NULL);

  if (!mer_attachment_check_name (name, error))
    return NULL;
  bytes = g_bytes_get_data (data, &size);
  if ((guint64) size > self->max_attachment)
    {
      set_too_large (self, (gint64) size, error);
      return NULL;
    }
  if (!mer_store_begin (self, error))
    return NULL;

  if (rev != NULL)
    {
      doc = mer_store_get_doc (self, id, rev, MER_GET_DEFAULT, error);
      if (doc == NULL)
        {
          /* CouchDB: a revision that is not there is a conflict. */
          if (error != NULL && *error != NULL && (*error)->code == MER_STORE_ERROR_NOT_FOUND)
            {
              g_clear_error (error);
              g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT, "Document update conflict.");
            }
          goto fail;
        }
      json_object_remove_member (doc, "_deleted");
    }
  else
    {
      doc = json_object_new ();
      json_object_set_string_member (doc, "_id", id);
    }

  blob = mer_attachment_digest (bytes, size);
  if (!store_blob (self, blob, bytes, size, error))
    goto fail;
  if (!json_object_has_member (doc, "_attachments"))
    json_object_set_object_member (doc, "_attachments", json_object_new ());
  atts = json_object_get_object_member (doc, "_attachments");
  entry = json_object_new ();
  json_object_set_string_member (entry, "content_type", content_type != NULL ? content_type : "application/octet-stream");
  json_object_set_string_member (entry, "digest", blob);
  json_object_set_int_member (entry, "length", (gint64) size);
  json_object_set_boolean_member (entry, "stub", TRUE);
  json_object_set_object_member (atts, name, entry);

  new_rev = _mer_store_write_edit (self, doc, error);
  if (new_rev == NULL)
    goto fail;
  /* A failed commit rolls back by itself. */
  if (!mer_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&new_rev);

fail:
  mer_store_rollback (self);
  return NULL;
}

/* Writes a revision of @id on @rev without the attachment @name. */
char *
mer_store_delete_attachment (MerStore    *self,
                             const char  *id,
                             const char  *rev,
                             const char  *name,
                             GError     **error)
{
  g_autoptr(JsonObject) doc = NULL;
  JsonObject *atts;
  char *new_rev;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL && name != NULL, NULL);

  if (rev == NULL)
    {
      g_set_error_literal (error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT, "Document update conflict.");
      return NULL;
    }
  if (!mer_store_begin (self, error))
    return NULL;
  doc = mer_store_get_doc (self, id, rev, MER_GET_DEFAULT, error);
  if (doc == NULL)
    goto fail;
  atts = json_object_has_member (doc, "_attachments") ? json_object_get_object_member (doc, "_attachments") : NULL;
  if (atts == NULL || !json_object_has_member (atts, name))
    {
      _mer_set_not_found (error, "Document is missing attachment");
      goto fail;
    }
  json_object_remove_member (atts, name);
  new_rev = _mer_store_write_edit (self, doc, error);
  if (new_rev == NULL)
    goto fail;
  if (!mer_store_commit (self, error))
    {
      g_free (new_rev);
      return NULL;
    }
  return new_rev;

fail:
  mer_store_rollback (self);
  return NULL;
}

/*
 * Replaces the stubs of @doc with "data": all of them (@since <= 0) or
 * those whose revpos is past @since, as CouchDB's attachments=true and
 * atts_since do. The others stay stubs.
 */
gboolean
mer_store_inline_attachments (MerStore    *self,
                              JsonObject  *doc,
                              gint64       since,
                              GError     **error)
{
  const char *id = mer_json_get_string (doc, "_id");
  const char *rev = mer_json_get_string (doc, "_rev");
  JsonObject *atts;
  g_autoptr(GList) names = NULL;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL, FALSE);

  if (id == NULL || rev == NULL || !json_object_has_member (doc, "_attachments")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (doc, "_attachments")))
    return TRUE;
  atts = json_object_get_object_member (doc, "_attachments");
  key = _mer_store_lookup_doc (self, id, NULL, NULL, error);
  if (key <= 0)
    {
      if (key == 0)
        _mer_set_not_found (error, "missing");
      return FALSE;
    }
  names = json_object_get_members (atts);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonObject *entry = json_object_get_object_member (atts, l->data);
      g_autoptr(MerAttachment) att = NULL;
      g_autoptr(GError) local_error = NULL;
      char *data;

      if (entry == NULL || !mer_json_get_bool (entry, "stub"))
        continue;
      if (since > 0 && json_object_get_int_member_with_default (entry, "revpos", 0) <= since)
        continue;
      att = lookup_attachment (self, key, rev, l->data, &local_error);
      if (att == NULL)
        {
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            _mer_set_not_found (error, "Document is missing attachment");
          return FALSE;
        }
      data = read_blob_base64 (self, att->blob, error);
      if (data == NULL)
        return FALSE;
      json_object_remove_member (entry, "stub");
      json_object_remove_member (entry, "length");
      json_object_set_string_member (entry, "data", data);
      g_free (data);
      if (att->encoding != NULL)
        json_object_set_string_member (entry, "encoding", att->encoding);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Drafts */

static gboolean
check_local (const char  *id,
             GError     **error)
{
  if (id == NULL || !g_str_has_prefix (id, "_local/") || id[strlen ("_local/")] == '\0')
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                   "Invalid local document id: %s", id ? id : "(none)");
      return FALSE;
    }
  return TRUE;
}

/*
 * Keeps @data as attachment @name of the draft @id (which need not be
 * written yet: a pasted image may come before the first save). Returns
 * its digest.
 */
char *
mer_store_put_local_attachment (MerStore    *self,
                                const char  *id,
                                const char  *name,
                                const char  *content_type,
                                GBytes      *data,
                                GError     **error)
{
  g_autofree char *blob = NULL;
  sqlite3_stmt *stmt;
  const guint8 *bytes;
  gsize size;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (!check_local (id, error) || !mer_attachment_check_name (name, error))
    return NULL;
  bytes = g_bytes_get_data (data, &size);
  if ((guint64) size > self->max_attachment)
    {
      set_too_large (self, (gint64) size, error);
      return NULL;
    }
  blob = mer_attachment_digest (bytes, size);
  if (!mer_store_begin (self, error))
    return NULL;
  /* The bytes it replaces may now be named by nothing. */
  stmt = mer_db_prepare (self->db, "SELECT digest FROM local_atts WHERE id = ? AND name = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  rc = mer_db_step (self->db, stmt, error);
  if (rc == SQLITE_ROW)
    add_candidate (self, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc < 0 || !store_blob (self, blob, bytes, size, error))
    goto fail;
  stmt = mer_db_prepare (self->db,
                         "INSERT OR REPLACE INTO local_atts (id, name, content_type, digest, length)"
                         " VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, content_type != NULL ? content_type : "application/octet-stream", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, blob, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, (gint64) size);
  if (!mer_db_run (self->db, stmt, error) || !mer_store_commit (self, error))
    goto fail;
  return g_steal_pointer (&blob);

fail:
  if (self->depth > 0)
    mer_store_rollback (self);
  return NULL;
}

/* The attachments of the draft @id, by name (blob is the digest). */
GPtrArray *
mer_store_list_local_attachments (MerStore    *self,
                                  const char  *id,
                                  GError     **error)
{
  g_autoptr(GPtrArray) atts = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_attachment_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  if (!check_local (id, error))
    return NULL;
  stmt = mer_db_prepare (self->db,
                         "SELECT name, content_type, digest, length FROM local_atts WHERE id = ? ORDER BY name", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  while ((rc = mer_db_step (self->db, stmt, error)) == SQLITE_ROW)
    {
      MerAttachment *att = g_new0 (MerAttachment, 1);

      att->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      att->content_type = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      att->digest = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      att->blob = g_strdup (att->digest);
      att->length = sqlite3_column_int64 (stmt, 3);
      g_ptr_array_add (atts, att);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&atts);
}

/*
 * Names the attachments of the draft @id in @doc's "_attachments" as stubs
 * of the bytes the draft keeps, so that writing @doc makes them part of
 * its new revision (a stub may name a draft's bytes; see resolve_one()).
 * A name @doc already has is the draft's now; the others stay as they
 * were. How the page editor, a proposal and a comment carry what was
 * pasted or dropped into them.
 */
gboolean
mer_store_stub_local_attachments (MerStore    *self,
                                  const char  *id,
                                  JsonObject  *doc,
                                  GError     **error)
{
  g_autoptr(GPtrArray) atts = NULL;
  JsonObject *all;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL, FALSE);

  atts = mer_store_list_local_attachments (self, id, error);
  if (atts == NULL)
    return FALSE;
  if (atts->len == 0)
    return TRUE;
  if (!json_object_has_member (doc, "_attachments") || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (doc, "_attachments")))
    json_object_set_object_member (doc, "_attachments", json_object_new ());
  all = json_object_get_object_member (doc, "_attachments");
  for (guint i = 0; i < atts->len; i++)
    {
      MerAttachment *att = g_ptr_array_index (atts, i);
      JsonObject *stub = json_object_new ();

      json_object_set_string_member (stub, "content_type", att->content_type);
      json_object_set_string_member (stub, "digest", att->digest);
      json_object_set_int_member (stub, "length", att->length);
      json_object_set_boolean_member (stub, "stub", TRUE);
      json_object_set_object_member (all, att->name, stub);
    }
  return TRUE;
}

/* Forgets attachment @name of draft @id, or (@name NULL) all of them,
 * inside the caller's transaction. */
gboolean
_mer_store_forget_local_atts (MerStore    *self,
                              const char  *id,
                              const char  *name,
                              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mer_db_prepare (self->db, "SELECT digest FROM local_atts WHERE id = ?1 AND (?2 IS NULL OR name = ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  while ((rc = mer_db_step (self->db, stmt, error)) == SQLITE_ROW)
    add_candidate (self, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;
  stmt = mer_db_prepare (self->db, "DELETE FROM local_atts WHERE id = ?1 AND (?2 IS NULL OR name = ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  return mer_db_run (self->db, stmt, error);
}

gboolean
mer_store_delete_local_attachment (MerStore    *self,
                                   const char  *id,
                                   const char  *name,
                                   GError     **error)
{
  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (!check_local (id, error))
    return FALSE;
  if (!mer_store_begin (self, error))
    return FALSE;
  if (!_mer_store_forget_local_atts (self, id, name, error))
    {
      mer_store_rollback (self);
      return FALSE;
    }
  return mer_store_commit (self, error);
}
