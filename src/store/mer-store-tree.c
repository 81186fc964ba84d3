/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-db.h"
#include "mer-json.h"

#include <string.h>

/*
 * Questions asked of the revision trees and the changes feed: leaves and
 * conflicts, history and common ancestors, and what the replication
 * protocol asks (open_revs, _revs_diff, _changes).
 */

JsonObject *
mer_store_get_doc (MerStore     *self,
                   const char   *id,
                   const char   *rev,
                   MerGetFlags   flags,
                   GError      **error)
{
  g_autofree char *winner = NULL;
  g_autoptr(RevInfo) info = NULL;
  g_autoptr(JsonObject) body = NULL;
  gboolean deleted = FALSE;
  JsonObject *doc;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (g_str_has_prefix (id, "_local/"))
    return mer_store_get_local (self, id, error);

  if (rev != NULL && !_mer_parse_rev (rev, NULL, NULL))
    {
      _mer_set_bad_rev (error, rev);
      return NULL;
    }
  key = _mer_store_lookup_doc (self, id, &winner, &deleted, error);
  if (key < 0)
    return NULL;
  if (key == 0)
    {
      _mer_set_not_found (error, "missing");
      return NULL;
    }
  if (rev == NULL)
    {
      if (deleted)
        {
          _mer_set_not_found (error, "deleted");
          return NULL;
        }
      rev = winner;
    }

  info = _mer_store_lookup_rev (self, key, rev, error);
  if (info == NULL || !info->has_body)
    {
      if (error == NULL || *error == NULL)
        _mer_set_not_found (error, "missing");
      return NULL;
    }
  body = _mer_store_load_body (self, key, rev, error);
  if (body == NULL)
    return NULL;
  doc = _mer_make_doc (id, rev, info->deleted, body);

  if (flags & (MER_GET_CONFLICTS | MER_GET_DELETED_CONFLICTS))
    {
      g_autoptr(GPtrArray) leaves = _mer_store_load_leaves (self, key, error);
      JsonArray *conflicts = json_array_new ();
      JsonArray *deleted_conflicts = json_array_new ();

      if (leaves == NULL)
        {
          json_array_unref (conflicts);
          json_array_unref (deleted_conflicts);
          json_object_unref (doc);
          return NULL;
        }
      for (guint i = 1; i < leaves->len; i++)
        {
          RevInfo *leaf = g_ptr_array_index (leaves, i);
          json_array_add_string_element (leaf->deleted ? deleted_conflicts : conflicts, leaf->rev);
        }
      if ((flags & MER_GET_CONFLICTS) && json_array_get_length (conflicts) > 0)
        json_object_set_array_member (doc, "_conflicts", json_array_ref (conflicts));
      if ((flags & MER_GET_DELETED_CONFLICTS) && json_array_get_length (deleted_conflicts) > 0)
        json_object_set_array_member (doc, "_deleted_conflicts", json_array_ref (deleted_conflicts));
      json_array_unref (conflicts);
      json_array_unref (deleted_conflicts);
    }

  if (flags & MER_GET_REVS)
    {
      g_autoptr(GHashTable) tree = _mer_store_load_tree (self, key, error);
      if (tree == NULL)
        {
          json_object_unref (doc);
          return NULL;
        }
      json_object_set_object_member (doc, "_revisions", _mer_revisions_object (tree, rev));
    }
  return doc;
}

JsonArray *
mer_store_list_docs (MerStore    *self,
                     const char  *type,
                     GError     **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(JsonArray) docs = json_array_new ();
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  if (type != NULL)
    {
      stmt = mer_db_prepare (_mer_store_get_db (self),
                             "SELECT d.id, d.winner, r.body FROM docs d"
                             " JOIN revs r ON r.doc_key = d.doc_key AND r.rev = d.winner"
                             " WHERE d.type = ? AND d.deleted = 0 ORDER BY d.id", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, type, -1, SQLITE_STATIC);
    }
  else
    {
      stmt = mer_db_prepare (_mer_store_get_db (self),
                             "SELECT d.id, d.winner, r.body FROM docs d"
                             " JOIN revs r ON r.doc_key = d.doc_key AND r.rev = d.winner"
                             " WHERE d.deleted = 0 ORDER BY d.id", error);
      if (stmt == NULL)
        return NULL;
    }

  while ((rc = mer_db_step (_mer_store_get_db (self), stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(JsonObject) body = NULL;

      if (sqlite3_column_type (stmt, 2) == SQLITE_NULL)
        continue;
      body = mer_json_parse_object ((const char *) sqlite3_column_text (stmt, 2), -1, NULL);
      if (body == NULL)
        continue;
      json_array_add_object_element (docs, _mer_make_doc ((const char *) sqlite3_column_text (stmt, 0),
                                                     (const char *) sqlite3_column_text (stmt, 1),
                                                     FALSE, body));
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&docs);
}

/* The key of a document that must exist: -1 with NOT_FOUND otherwise. */
static gint64
require_doc (MerStore    *self,
             const char  *id,
             char       **winner,
             GError     **error)
{
  gint64 key = _mer_store_lookup_doc (self, id, winner, NULL, error);

  if (key == 0)
    {
      _mer_set_not_found (error, "missing");
      return -1;
    }
  return key;
}

static char **
leaf_strv (GPtrArray *leaves,
           gboolean   include_deleted,
           gboolean   skip_winner)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = skip_winner ? 1 : 0; i < leaves->len; i++)
    {
      RevInfo *leaf = g_ptr_array_index (leaves, i);
      if (include_deleted || !leaf->deleted)
        g_ptr_array_add (out, g_strdup (leaf->rev));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* The leaves of @id as ids, winner first; NULL with NOT_FOUND for an
 * unknown document. */
static char **
leaves_of (MerStore    *self,
           const char  *id,
           gboolean     include_deleted,
           gboolean     skip_winner,
           GError     **error)
{
  g_autoptr(GPtrArray) leaves = NULL;
  gint64 key = require_doc (self, id, NULL, error);

  if (key < 0)
    return NULL;
  leaves = _mer_store_load_leaves (self, key, error);
  if (leaves == NULL)
    return NULL;
  return leaf_strv (leaves, include_deleted, skip_winner);
}

char **
mer_store_get_leaf_revs (MerStore    *self,
                         const char  *id,
                         gboolean     include_deleted,
                         GError     **error)
{
  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  return leaves_of (self, id, include_deleted, FALSE, error);
}

/* The live leaves that lost: CouchDB's "_conflicts". */
char **
mer_store_get_conflicts (MerStore    *self,
                         const char  *id,
                         GError     **error)
{
  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  return leaves_of (self, id, FALSE, TRUE, error);
}

/*
 * The nearest revision that both @rev_a and @rev_b descend from and whose
 * body this replica kept: the base of a three-way merge.
 */
char *
mer_store_common_ancestor (MerStore    *self,
                           const char  *id,
                           const char  *rev_a,
                           const char  *rev_b,
                           GError     **error)
{
  g_autoptr(GHashTable) tree = NULL;
  g_autoptr(GPtrArray) path_a = NULL;
  g_autoptr(GPtrArray) path_b = NULL;
  g_autoptr(GHashTable) in_a = NULL;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  key = require_doc (self, id, NULL, error);
  if (key < 0)
    return NULL;
  tree = _mer_store_load_tree (self, key, error);
  if (tree == NULL)
    return NULL;
  path_a = _mer_ancestry (tree, rev_a);
  path_b = _mer_ancestry (tree, rev_b);
  in_a = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < path_a->len; i++)
    g_hash_table_add (in_a, ((RevInfo *) g_ptr_array_index (path_a, i))->rev);
  for (guint i = 0; i < path_b->len; i++)
    {
      RevInfo *info = g_ptr_array_index (path_b, i);
      if (g_hash_table_contains (in_a, info->rev) && info->has_body)
        return g_strdup (info->rev);
    }
  return NULL;
}

/* The revisions from @rev (the winner by default) back to the oldest this
 * replica kept a body for, newest first: the page history. */
JsonArray *
mer_store_get_history (MerStore    *self,
                       const char  *id,
                       const char  *rev,
                       GError     **error)
{
  g_autoptr(GHashTable) tree = NULL;
  g_autoptr(GPtrArray) path = NULL;
  g_autoptr(JsonArray) history = json_array_new ();
  g_autofree char *winner = NULL;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  key = require_doc (self, id, &winner, error);
  if (key < 0)
    return NULL;
  tree = _mer_store_load_tree (self, key, error);
  if (tree == NULL)
    return NULL;
  path = _mer_ancestry (tree, rev ? rev : winner);
  for (guint i = 0; i < path->len; i++)
    {
      RevInfo *info = g_ptr_array_index (path, i);
      g_autoptr(JsonObject) body = NULL;

      if (!info->has_body)
        continue;
      body = _mer_store_load_body (self, key, info->rev, error);
      if (body == NULL)
        return NULL;
      json_array_add_object_element (history, _mer_make_doc (id, info->rev, info->deleted, body));
    }
  return g_steal_pointer (&history);
}

/*
 * CouchDB's "_revs_info" of @rev (the winner by default): its ancestry,
 * newest first, each "available" when this replica holds its body,
 * "deleted" for a tombstone, "missing" for an ancestor known only by id.
 */
JsonArray *
mer_store_get_revs_info (MerStore    *self,
                         const char  *id,
                         const char  *rev,
                         GError     **error)
{
  g_autoptr(GHashTable) tree = NULL;
  g_autoptr(GPtrArray) path = NULL;
  g_autofree char *winner = NULL;
  JsonArray *info;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  key = require_doc (self, id, &winner, error);
  if (key < 0)
    return NULL;
  tree = _mer_store_load_tree (self, key, error);
  if (tree == NULL)
    return NULL;
  path = _mer_ancestry (tree, rev != NULL ? rev : winner);
  info = json_array_new ();
  for (guint i = 0; i < path->len; i++)
    {
      RevInfo *revision = g_ptr_array_index (path, i);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "rev", revision->rev);
      json_object_set_string_member (entry, "status", revision->deleted ? "deleted"
                                                      : revision->has_body ? "available" : "missing");
      json_array_add_object_element (info, entry);
    }
  return info;
}

/*
 * CouchDB's open_revs: the requested revisions (all leaves when @revs is
 * NULL) with their ancestry. With @latest, a revision that has been built
 * on is answered with the leaves that descend from it.
 */
/* One answer of open_revs: a revision with its body, or one missing. */
typedef struct
{
  RevInfo    *found;    /* owned by the tree */
  const char *missing;
} OpenRev;

/*
 * The revision tree of the document @id, and its key (0 and an empty tree
 * for a document this replica does not have), in one query.
 */
static GHashTable *
load_tree_by_id (MerStore    *self,
                 const char  *id,
                 gint64      *key,
                 GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT r.rev_key, r.rev, r.parent, r.pos, r.deleted, r.leaf,"
                                       " r.body IS NOT NULL, r.doc_key"
                                       " FROM docs d JOIN revs r ON r.doc_key = d.doc_key WHERE d.id = ?",
                                       error);

  *key = 0;
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  return _mer_store_read_tree (self, stmt, key, error);
}

/*
 * Which revisions open_revs answers with: each one asked for (every leaf
 * when @revs is NULL), or with @latest the leaves that descend from it,
 * each revision once. Fills @tree and @key for the bodies.
 */
static GArray *
select_open_revs (MerStore            *self,
                  const char          *id,
                  const char * const  *revs,
                  gboolean             latest,
                  GHashTable         **tree,
                  gint64              *key,
                  GError             **error)
{
  g_autoptr(GArray) answers = g_array_new (FALSE, FALSE, sizeof (OpenRev));
  g_autoptr(GPtrArray) leaves = NULL;
  g_autoptr(GHashTable) sent = g_hash_table_new (g_str_hash, g_str_equal);

  *tree = load_tree_by_id (self, id, key, error);
  if (*tree == NULL)
    return NULL;
  if (*key == 0)
    g_clear_pointer (tree, g_hash_table_unref);
  else
    {
      GHashTableIter iter;
      RevInfo *info;

      /* The leaves are in the tree: no second query (a _bulk_get of 500
       * documents asked 500 times). */
      leaves = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, *tree);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &info))
        if (info->leaf)
          g_ptr_array_add (leaves, info);
      g_ptr_array_sort (leaves, _mer_compare_leaves);
    }

  for (guint r = 0; revs == NULL ? (leaves && r < leaves->len) : revs[r] != NULL; r++)
    {
      const char *wanted = revs == NULL ? ((RevInfo *) g_ptr_array_index (leaves, r))->rev : revs[r];
      g_autoptr(GPtrArray) answer = g_ptr_array_new ();
      RevInfo *info = *tree ? g_hash_table_lookup (*tree, wanted) : NULL;

      /* What the answers point at must outlive @leaves: the tree's. */
      if (info != NULL)
        wanted = info->rev;
      if (info != NULL && latest && !info->leaf)
        {
          for (guint i = 0; i < leaves->len; i++)
            {
              RevInfo *leaf = g_ptr_array_index (leaves, i);
              g_autoptr(GPtrArray) path = _mer_ancestry (*tree, leaf->rev);

              for (guint j = 0; j < path->len; j++)
                if (g_ptr_array_index (path, j) == info)
                  {
                    g_ptr_array_add (answer, g_ptr_array_index (path, 0));
                    break;
                  }
            }
        }
      else if (info != NULL)
        g_ptr_array_add (answer, info);

      if (answer->len == 0 || !((RevInfo *) g_ptr_array_index (answer, 0))->has_body)
        {
          OpenRev missing = { NULL, wanted };
          g_array_append_val (answers, missing);
          continue;
        }
      for (guint i = 0; i < answer->len; i++)
        {
          OpenRev found = { g_ptr_array_index (answer, i), NULL };

          if (g_hash_table_contains (sent, found.found->rev) || !found.found->has_body)
            continue;
          g_hash_table_add (sent, found.found->rev);
          g_array_append_val (answers, found);
        }
    }
  return g_steal_pointer (&answers);
}

JsonArray *
mer_store_open_revs (MerStore            *self,
                     const char          *id,
                     const char * const  *revs,
                     gboolean             latest,
                     GError             **error)
{
  g_autoptr(JsonArray) results = json_array_new ();
  g_autoptr(GHashTable) tree = NULL;
  g_autoptr(GArray) answers = NULL;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  answers = select_open_revs (self, id, revs, latest, &tree, &key, error);
  if (answers == NULL)
    return NULL;
  for (guint i = 0; i < answers->len; i++)
    {
      OpenRev *answer = &g_array_index (answers, OpenRev, i);
      g_autoptr(JsonObject) body = NULL;
      JsonObject *doc;
      JsonObject *ok = json_object_new ();

      if (answer->found == NULL)
        {
          json_object_set_string_member (ok, "missing", answer->missing);
          json_array_add_object_element (results, ok);
          continue;
        }
      body = _mer_store_load_body (self, key, answer->found->rev, error);
      if (body == NULL)
        {
          json_object_unref (ok);
          return NULL;
        }
      doc = _mer_make_doc (id, answer->found->rev, answer->found->deleted, body);
      json_object_set_object_member (doc, "_revisions", _mer_revisions_object (tree, answer->found->rev));
      json_object_set_object_member (ok, "ok", doc);
      json_array_add_object_element (results, ok);
    }
  return g_steal_pointer (&results);
}

/*
 * The same answers as mer_store_open_revs(), each already written as JSON
 * text, {"ok": doc} or {"missing": rev}: the stored body, which is the
 * canonical JSON this replica wrote, is spliced in after the underscore
 * members rather than parsed and written again. A peer's _bulk_get and a
 * push send thousands of these; most of their cost was that round trip.
 * "_revisions" only when @with_revisions.
 */
GPtrArray *
mer_store_open_revs_text (MerStore            *self,
                          const char          *id,
                          const char * const  *revs,
                          gboolean             latest,
                          gboolean             with_revisions,
                          GError             **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) tree = NULL;
  g_autoptr(GArray) answers = NULL;
  gint64 key;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  answers = select_open_revs (self, id, revs, latest, &tree, &key, error);
  if (answers == NULL)
    return NULL;
  for (guint i = 0; i < answers->len; i++)
    {
      OpenRev *answer = &g_array_index (answers, OpenRev, i);
      g_autofree char *body = NULL;
      GString *out;
      gsize length = 0;

      if (answer->found == NULL)
        {
          out = g_string_new ("{\"missing\":");
          mer_json_append_string (out, answer->missing);
          g_string_append_c (out, '}');
          g_ptr_array_add (results, g_string_free (out, FALSE));
          continue;
        }
      body = _mer_store_load_body_text (self, key, answer->found->rev, &length, error);
      if (body == NULL)
        return NULL;
      if (length < 2 || body[0] != '{' || body[length - 1] != '}')
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE,
                       "The stored body of %s %s is not a JSON object", id, answer->found->rev);
          return NULL;
        }
      out = g_string_sized_new (length + 256);
      g_string_append (out, "{\"ok\":{\"_id\":");
      mer_json_append_string (out, id);
      g_string_append (out, ",\"_rev\":");
      mer_json_append_string (out, answer->found->rev);
      if (answer->found->deleted)
        g_string_append (out, ",\"_deleted\":true");
      if (with_revisions)
        {
          g_autoptr(GPtrArray) path = _mer_ancestry (tree, answer->found->rev);

          g_string_append_printf (out, ",\"_revisions\":{\"start\":%" G_GINT64_FORMAT ",\"ids\":[",
                                  answer->found->pos);
          for (guint j = 0; j < path->len; j++)
            {
              if (j > 0)
                g_string_append_c (out, ',');
              mer_json_append_string (out, strchr (((RevInfo *) g_ptr_array_index (path, j))->rev, '-') + 1);
            }
          g_string_append (out, "]}");
        }
      /* The body's members follow, without its opening brace. */
      if (length > 2)
        g_string_append_c (out, ',');
      g_string_append_len (out, body + 1, length - 1);
      g_string_append_c (out, '}');
      g_ptr_array_add (results, g_string_free (out, FALSE));
    }
  return g_steal_pointer (&results);
}

/* Whether @rev of @id was refused (see record_refusal()). */
static int
is_refused (MerStore    *self,
            const char  *id,
            const char  *rev,
            GError     **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT 1 FROM refused WHERE id = ? AND rev = ?", error);
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, rev, -1, SQLITE_STATIC);
  rc = mer_db_step (_mer_store_get_db (self), stmt, error);
  sqlite3_reset (stmt);
  return rc < 0 ? -1 : rc == SQLITE_ROW;
}

/*
 * CouchDB's _revs_diff: of the revisions offered, those this replica does
 * not hold with a body. A revision known only as a bodiless ancestor is
 * asked for too, so that history and merges have what they need. A
 * revision refused before is not asked for again: it would be refused
 * again, at every sync.
 */
static gboolean
add_possible_ancestors (MerStore    *self,
                        gint64       key,
                        JsonArray   *missing,
                        JsonObject  *entry,
                        GError     **error)
{
  g_autoptr(GPtrArray) leaves = _mer_store_load_leaves (self, key, error);
  JsonArray *ancestors = NULL;
  gint64 newest = 0;

  if (leaves == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (missing); i++)
    {
      gint64 pos = 0;

      if (_mer_parse_rev (json_array_get_string_element (missing, i), &pos, NULL))
        newest = MAX (newest, pos);
    }
  for (guint i = 0; i < leaves->len; i++)
    {
      RevInfo *leaf = g_ptr_array_index (leaves, i);

      if (!leaf->has_body || leaf->pos >= newest)
        continue;
      if (ancestors == NULL)
        ancestors = json_array_new ();
      json_array_add_string_element (ancestors, leaf->rev);
    }
  if (ancestors != NULL)
    json_object_set_array_member (entry, "possible_ancestors", ancestors);
  return TRUE;
}

static JsonObject *
read_revs_diff (MerStore    *self,
                JsonObject  *request,
                GError     **error)
{
  g_autoptr(JsonObject) response = json_object_new ();
  g_autoptr(GError) count_error = NULL;
  JsonObjectIter iter;
  const char *id;
  JsonNode *node;
  gint64 any_refused;

  /* Usually none: then no lookup per revision. */
  any_refused = _mer_store_query_int (self, "SELECT EXISTS (SELECT 1 FROM refused)", &count_error);
  if (any_refused < 0)
    {
      g_propagate_error (error, g_steal_pointer (&count_error));
      return NULL;
    }

  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &id, &node))
    {
      JsonArray *offered;
      JsonArray *missing = NULL;
      gint64 key;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                       "revs_diff: the revisions of %s must be an array", id);
          return NULL;
        }
      offered = json_node_get_array (node);
      key = _mer_store_lookup_doc (self, id, NULL, NULL, error);
      if (key < 0)
        return NULL;
      for (guint i = 0; i < json_array_get_length (offered); i++)
        {
          JsonNode *element = json_array_get_element (offered, i);
          const char *rev;
          g_autoptr(RevInfo) info = NULL;
          g_autoptr(GError) local_error = NULL;

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST,
                           "revs_diff: revisions of %s must be strings", id);
              return NULL;
            }
          rev = json_node_get_string (element);
          if (key > 0)
            {
              info = _mer_store_lookup_rev (self, key, rev, &local_error);
              if (local_error != NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return NULL;
                }
            }
          if (info != NULL && info->has_body)
            continue;
          if (any_refused > 0)
            {
              int refused = is_refused (self, id, rev, error);

              if (refused < 0)
                return NULL;
              if (refused)
                continue;
            }
          if (missing == NULL)
            missing = json_array_new ();
          json_array_add_string_element (missing, rev);
        }
      if (missing != NULL)
        {
          JsonObject *entry = json_object_new ();
          json_object_set_array_member (entry, "missing", missing);
          /* The leaves held below a missing revision, as CouchDB lists
           * them: a sender need not send the attachments they have. */
          if (key > 0 && !add_possible_ancestors (self, key, missing, entry, error))
            {
              json_object_unref (entry);
              return NULL;
            }
          json_object_set_object_member (response, id, entry);
        }
    }
  return g_steal_pointer (&response);
}

JsonObject *
mer_store_revs_diff (MerStore    *self,
                     JsonObject  *request,
                     GError     **error)
{
  JsonObject *response;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  /* One snapshot, and SQLite's lock taken once for all the lookups. */
  if (!mer_store_begin_read (self, error))
    return NULL;
  response = read_revs_diff (self, request, error);
  mer_store_end_read (self);
  return response;
}

char **
mer_store_list_conflicted (MerStore  *self,
                           GError   **error)
{
  sqlite3_stmt *stmt = mer_db_prepare (_mer_store_get_db (self),
                                       "SELECT id FROM docs WHERE conflicted = 1 ORDER BY id", error);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = mer_db_step (_mer_store_get_db (self), stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  g_ptr_array_add (ids, NULL);
  g_ptr_array_set_free_func (ids, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/* ------------------------------------------------------------------ */
/* Changes */

static JsonArray *
read_changes (MerStore    *self,
              gint64       since,
              gint64       limit,
              gboolean     all_docs,
              gboolean     include_docs,
              gint64      *last_seq,
              GError     **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(JsonArray) rows = json_array_new ();
  g_autoptr(GArray) keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) leaf_counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 last = since;
  gint64 key, n_leaves;
  int rc;

  /* How many leaves: only a document with more than its winner needs
   * its leaves read for style=all_docs. */
  stmt = mer_db_prepare (_mer_store_get_db (self),
                         "SELECT doc_key, id, seq, winner, deleted,"
                         " (SELECT count(*) FROM revs WHERE revs.doc_key = docs.doc_key AND leaf = 1)"
                         " FROM docs WHERE seq > ? ORDER BY seq LIMIT ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, since);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? limit : G_MAXINT64);
  while ((rc = mer_db_step (_mer_store_get_db (self), stmt, error)) == SQLITE_ROW)
    {
      JsonObject *row = json_object_new ();
      JsonArray *changes = json_array_new ();
      JsonObject *change = json_object_new ();

      last = sqlite3_column_int64 (stmt, 2);
      json_object_set_int_member (row, "seq", last);
      json_object_set_string_member (row, "id", (const char *) sqlite3_column_text (stmt, 1));
      json_object_set_string_member (change, "rev", (const char *) sqlite3_column_text (stmt, 3));
      json_array_add_object_element (changes, change);
      json_object_set_array_member (row, "changes", changes);
      if (sqlite3_column_int (stmt, 4))
        json_object_set_boolean_member (row, "deleted", TRUE);
      json_array_add_object_element (rows, row);
      /* Other leaves are added below, once this statement is done. */
      key = sqlite3_column_int64 (stmt, 0);
      n_leaves = sqlite3_column_int64 (stmt, 5);
      g_array_append_val (keys, key);
      g_array_append_val (leaf_counts, n_leaves);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;

  for (guint i = 0; i < keys->len; i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      gint64 doc_key = g_array_index (keys, gint64, i);

      if (all_docs && g_array_index (leaf_counts, gint64, i) > 1)
        {
          g_autoptr(GPtrArray) leaves = _mer_store_load_leaves (self, doc_key, error);
          JsonArray *changes = json_object_get_array_member (row, "changes");

          if (leaves == NULL)
            return NULL;
          for (guint j = 1; j < leaves->len; j++)
            {
              JsonObject *change = json_object_new ();
              json_object_set_string_member (change, "rev", ((RevInfo *) g_ptr_array_index (leaves, j))->rev);
              json_array_add_object_element (changes, change);
            }
        }
      if (include_docs)
        {
          const char *id = json_object_get_string_member (row, "id");
          const char *rev = json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (row, "changes"), 0), "rev");
          g_autoptr(JsonObject) body = _mer_store_load_body (self, doc_key, rev, NULL);

          json_object_set_object_member (row, "doc",
                                         _mer_make_doc (id, rev, json_object_has_member (row, "deleted"), body));
        }
    }

  if (last_seq != NULL)
    {
      if (json_array_get_length (rows) == 0)
        last = MIN (MAX (since, 0), mer_store_get_update_seq (self));
      *last_seq = last;
    }
  return g_steal_pointer (&rows);
}

/*
 * The changes feed after @since, at most @limit rows, read in one
 * snapshot. With @all_docs each row lists every leaf, not only the winner.
 */
JsonArray *
mer_store_changes (MerStore    *self,
                   gint64       since,
                   gint64       limit,
                   gboolean     all_docs,
                   gboolean     include_docs,
                   gint64      *last_seq,
                   GError     **error)
{
  JsonArray *rows;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  if (!mer_store_begin_read (self, error))
    return NULL;
  rows = read_changes (self, since, limit, all_docs, include_docs, last_seq, error);
  mer_store_end_read (self);
  return rows;
}

/* The title column of document @id, or NULL: what the indexer may name a
 * document by in another's search row. */
char *
mer_store_dup_title (MerStore   *self,
                     const char *id)
{
  MerDb *db = _mer_store_get_db (self);
  sqlite3_stmt *stmt = mer_db_prepare (db, "SELECT title FROM docs WHERE id = ?", NULL);
  char *title = NULL;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  if (stmt == NULL || id == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    title = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return title;
}
