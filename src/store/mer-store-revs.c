/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Revision ids and bodies: parsing "N-hash", the deterministic id of a new
 * revision, a document's body and its canonical JSON, and CouchDB's order
 * of leaves. Nothing here touches the database.
 */

#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-json.h"

#include <string.h>

/* The store's error domain: here, in the file every other one sits on. */
G_DEFINE_QUARK (mer-store-error-quark, mer_store_error)

/* Splits "N-hash"; FALSE unless N is a positive number and hash is a
 * non-empty run of letters and digits. */
gboolean
_mer_parse_rev (const char  *rev,
                gint64      *pos,
                const char **hash)
{
  const char *dash;
  char *end = NULL;
  gint64 n;

  if (rev == NULL || !g_ascii_isdigit (rev[0]))
    return FALSE;
  dash = strchr (rev, '-');
  if (dash == NULL || dash[1] == '\0' || dash - rev > 18)
    return FALSE;
  n = g_ascii_strtoll (rev, &end, 10);
  if (end != dash || n <= 0)
    return FALSE;
  for (const char *p = dash + 1; *p; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  if (strlen (dash + 1) > 64)
    return FALSE;
  if (pos)
    *pos = n;
  if (hash)
    *hash = dash + 1;
  return TRUE;
}

gboolean
_mer_set_bad_rev (GError    **error,
                  const char *rev)
{
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
               "Invalid rev format: %s", rev ? rev : "(none)");
  return FALSE;
}

/*
 * A revision id is N-md5(parent, deleted, canonical body): two replicas
 * that make the same edit on the same parent make the same revision.
 */
char *
_mer_compute_rev (gint64      pos,
                  const char *parent,
                  gboolean    deleted,
                  const char *canonical_body)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_MD5);

  g_checksum_update (checksum, (const guchar *) (parent ? parent : ""), -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) (deleted ? "1" : "0"), 1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) canonical_body, -1);
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%s", pos, g_checksum_get_string (checksum));
}

/* The body of a document: every member but the underscore ones. */
JsonObject *
_mer_body_of (JsonObject *doc)
{
  JsonObject *body = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, doc);
  while (json_object_iter_next (&iter, &name, &member))
    if (name[0] != '_')
      json_object_set_member (body, name, json_node_copy (member));
  return body;
}

char *
_mer_canonical_object (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return mer_json_canonical (node);
}

/* CouchDB's order of leaves: live before deleted, then the longer path,
 * then the greater id. Negative when a wins. */
int
_mer_compare_leaves (gconstpointer pa,
                     gconstpointer pb)
{
  const RevInfo *a = *(RevInfo * const *) pa;
  const RevInfo *b = *(RevInfo * const *) pb;
  const char *ha = strchr (a->rev, '-') + 1;
  const char *hb = strchr (b->rev, '-') + 1;

  if (a->deleted != b->deleted)
    return a->deleted ? 1 : -1;
  if (a->pos != b->pos)
    return a->pos > b->pos ? -1 : 1;
  return -strcmp (ha, hb);
}
