/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Three-way merge of conflicting page revisions.
 *
 * Replication keeps every concurrent edit: the losing leaves stay in the
 * revision tree as conflicts. For pages, this file folds each conflicting
 * leaf into the winner with libgit2's line merge, against the common
 * ancestor the store keeps. Everything here must be deterministic: two
 * peers that hold the same revision tree must write byte-identical merge
 * revisions, so that the store's content-addressed revision ids coincide
 * and the merges themselves never conflict.
 */

#include "config.h"

#include "mer-merge.h"
#include "mer-git.h"
#include "mer-json.h"

#include <git2.h>
#include <string.h>

#define MERGE_OURS_LABEL   "ours"
#define MERGE_THEIRS_LABEL "theirs"

/*
 * Merges three texts line by line. When ancestor is NULL the two sides are
 * merged against an empty text, which frames every difference as a conflict.
 * Returns the merged text (with conflict markers when *clean is FALSE).
 */
char *
mer_merge_text (const char *ancestor,
                const char *ours,
                const char *theirs,
                const char *our_label,
                const char *their_label,
                gboolean   *clean)
{
  git_merge_file_input base_in = GIT_MERGE_FILE_INPUT_INIT;
  git_merge_file_input ours_in = GIT_MERGE_FILE_INPUT_INIT;
  git_merge_file_input theirs_in = GIT_MERGE_FILE_INPUT_INIT;
  git_merge_file_options opts = GIT_MERGE_FILE_OPTIONS_INIT;
  git_merge_file_result result = { 0 };
  const MerGit *git = mer_git_get (NULL);
  char *merged;

  if (ancestor == NULL)
    ancestor = "";
  if (ours == NULL)
    ours = "";
  if (theirs == NULL)
    theirs = "";

  /* Identical sides need no merge; this is also the common case. */
  if (strcmp (ours, theirs) == 0)
    {
      if (clean)
        *clean = TRUE;
      return g_strdup (ours);
    }

  base_in.ptr = ancestor;
  base_in.size = strlen (ancestor);
  ours_in.ptr = ours;
  ours_in.size = strlen (ours);
  theirs_in.ptr = theirs;
  theirs_in.size = strlen (theirs);
  opts.our_label = our_label ? our_label : MERGE_OURS_LABEL;
  opts.their_label = their_label ? their_label : MERGE_THEIRS_LABEL;
  opts.ancestor_label = "base";
  opts.favor = GIT_MERGE_FILE_FAVOR_NORMAL;

  if (git == NULL || git->merge_file (&result, &base_in, &ours_in, &theirs_in, &opts) != 0)
    {
      /* libgit2 fails only on allocation or binary input (or when it cannot
       * be loaded): keep both sides, as a conflict. */
      if (clean)
        *clean = FALSE;
      return g_strdup_printf ("<<<<<<< %s\n%s\n=======\n%s\n>>>>>>> %s\n",
                              opts.our_label, ours, theirs, opts.their_label);
    }

  merged = g_strndup (result.ptr, result.len);
  if (clean)
    *clean = result.automergeable != 0;
  git->merge_file_result_free (&result);
  return merged;
}

static gboolean
is_meta_field (const char *name)
{
  return name[0] == '_'
         || strcmp (name, "body") == 0
         || strcmp (name, "updated_at") == 0
         || strcmp (name, "updated_by") == 0;
}

static gboolean
nodes_equal (JsonNode *a,
             JsonNode *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;

  if (a == NULL || b == NULL)
    return a == b;
  ca = mer_json_canonical (a);
  cb = mer_json_canonical (b);
  return g_strcmp0 (ca, cb) == 0;
}

static void
collect_names (JsonObject *object,
               GHashTable *names)
{
  g_autoptr(GList) members = NULL;

  if (object == NULL)
    return;
  members = json_object_get_members (object);
  for (GList *l = members; l; l = l->next)
    g_hash_table_add (names, l->data);
}

static JsonObject *
attachments_of (JsonObject *doc)
{
  JsonNode *node = doc != NULL ? json_object_get_member (doc, "_attachments") : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
digest_of (JsonObject *attachments,
           const char *name)
{
  JsonNode *node = attachments != NULL ? json_object_get_member (attachments, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return mer_json_get_string (json_node_get_object (node), "digest");
}

/*
 * Attachments merge one by one, by their digests, with the rule of the
 * other fields: the side that added, changed or removed one since the
 * ancestor wins, and the winner when both did. So two people who each
 * added an image to the same page both keep theirs.
 */
static void
merge_attachments (JsonObject *base,
                   JsonObject *ours,
                   JsonObject *theirs,
                   JsonObject *result)
{
  JsonObject *b = attachments_of (base);
  JsonObject *o = attachments_of (ours);
  JsonObject *t = attachments_of (theirs);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) sorted = NULL;
  JsonObject *merged = json_object_new ();

  collect_names (b, names);
  collect_names (o, names);
  collect_names (t, names);
  sorted = g_list_sort (g_hash_table_get_keys (names), (GCompareFunc) strcmp);
  for (GList *l = sorted; l; l = l->next)
    {
      const char *name = l->data;
      JsonObject *pick;

      if (g_strcmp0 (digest_of (o, name), digest_of (b, name)) == 0
          && g_strcmp0 (digest_of (t, name), digest_of (b, name)) != 0)
        pick = t;
      else
        pick = o;
      if (digest_of (pick, name) != NULL)
        json_object_set_member (merged, name, json_node_copy (json_object_get_member (pick, name)));
    }
  if (json_object_get_size (merged) > 0)
    json_object_set_object_member (result, "_attachments", merged);
  else
    json_object_unref (merged);
}

/*
 * Builds the merged document body. The body text is merged line by line by
 * the caller; for every other field the side that changed it since the
 * ancestor wins, and when both changed it the winner does. The edit stamp
 * is the later of the two sides, never the time of the merge, so that every
 * peer computes the same document.
 */
static JsonObject *
merge_fields (JsonObject *base,
              JsonObject *ours,
              JsonObject *theirs,
              const char *merged_body)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) sorted = NULL;
  JsonObject *result = json_object_new ();
  const char *our_at = mer_json_get_string (ours, "updated_at");
  const char *their_at = mer_json_get_string (theirs, "updated_at");
  JsonObject *stamp_side;

  collect_names (base, names);
  collect_names (ours, names);
  collect_names (theirs, names);
  sorted = g_list_sort (g_hash_table_get_keys (names), (GCompareFunc) strcmp);

  for (GList *l = sorted; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *b = base ? json_object_get_member (base, name) : NULL;
      JsonNode *o = json_object_get_member (ours, name);
      JsonNode *t = json_object_get_member (theirs, name);
      JsonNode *pick;

      if (is_meta_field (name))
        continue;
      if (nodes_equal (o, b) && !nodes_equal (t, b))
        pick = t;
      else
        pick = o;
      if (pick != NULL)
        json_object_set_member (result, name, json_node_copy (pick));
    }

  json_object_set_string_member (result, "body", merged_body);
  merge_attachments (base, ours, theirs, result);

  stamp_side = ours;
  if (their_at != NULL && g_strcmp0 (their_at, our_at) > 0)
    stamp_side = theirs;
  if (json_object_has_member (stamp_side, "updated_at"))
    json_object_set_member (result, "updated_at",
                            json_node_copy (json_object_get_member (stamp_side, "updated_at")));
  if (json_object_has_member (stamp_side, "updated_by"))
    json_object_set_member (result, "updated_by",
                            json_node_copy (json_object_get_member (stamp_side, "updated_by")));
  return result;
}

/* Whether two documents have the same body and attachments (other
 * underscore fields aside). */
static gboolean
same_body (JsonObject *a,
           JsonObject *b)
{
  g_autoptr(JsonObject) ca = json_object_new ();
  g_autoptr(JsonObject) cb = json_object_new ();
  g_autoptr(JsonNode) na = NULL;
  g_autoptr(JsonNode) nb = NULL;
  g_autoptr(GList) ma = json_object_get_members (a);
  g_autoptr(GList) mb = json_object_get_members (b);

  for (GList *l = ma; l; l = l->next)
    if (((const char *) l->data)[0] != '_')
      json_object_set_member (ca, l->data, json_node_copy (json_object_get_member (a, l->data)));
  for (GList *l = mb; l; l = l->next)
    if (((const char *) l->data)[0] != '_')
      json_object_set_member (cb, l->data, json_node_copy (json_object_get_member (b, l->data)));
  /* Attachments count, by name and digest. */
  {
    g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr(GList) all = NULL;

    collect_names (attachments_of (a), names);
    collect_names (attachments_of (b), names);
    all = g_hash_table_get_keys (names);
    for (GList *l = all; l; l = l->next)
      if (g_strcmp0 (digest_of (attachments_of (a), l->data), digest_of (attachments_of (b), l->data)) != 0)
        return FALSE;
  }
  na = json_node_init_object (json_node_alloc (), ca);
  nb = json_node_init_object (json_node_alloc (), cb);
  return nodes_equal (na, nb);
}

static guint
rev_generation (const char *rev)
{
  return (guint) g_ascii_strtoull (rev, NULL, 10);
}

/* CouchDB's leaf order: higher generation first, then larger hash. */
static int
compare_revs_desc (gconstpointer a,
                   gconstpointer b)
{
  const char *ra = *(const char * const *) a;
  const char *rb = *(const char * const *) b;
  guint ga = rev_generation (ra);
  guint gb = rev_generation (rb);

  if (ga != gb)
    return ga > gb ? -1 : 1;
  return -strcmp (ra, rb);
}

static void
sort_revs (char **revs)
{
  if (revs != NULL)
    qsort (revs, g_strv_length (revs), sizeof (char *), compare_revs_desc);
}

static gboolean
is_page (JsonObject *doc)
{
  const char *id = mer_json_get_string (doc, "_id");

  return g_strcmp0 (mer_json_get_string (doc, "type"), "page") == 0
         || (id != NULL && g_str_has_prefix (id, "page:"));
}

static const char *
body_of (JsonObject *doc)
{
  const char *body = doc ? mer_json_get_string (doc, "body") : NULL;

  return body ? body : "";
}

/*
 * Folds every conflicting leaf of one page into its winner, in CouchDB's
 * leaf order, inside one transaction. A leaf whose edits overlap the
 * winner's, or that shares no kept ancestor with it, stays a conflict.
 */
static gboolean
merge_one (MerStore      *store,
           const char    *id,
           MerMergeStats *stats,
           GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) winner = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_autofree char *winner_rev = NULL;

  winner = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &local_error);
  if (winner == NULL)
    {
      if (g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!is_page (winner))
    return TRUE;

  conflicts = mer_store_get_conflicts (store, id, error);
  if (conflicts == NULL)
    return FALSE;
  sort_revs (conflicts);
  winner_rev = g_strdup (mer_json_get_string (winner, "_rev"));

  for (guint i = 0; conflicts[i] != NULL; i++)
    {
      g_autofree char *ancestor_rev = NULL;
      g_autoptr(JsonObject) base = NULL;
      g_autoptr(JsonObject) other = NULL;
      g_autoptr(JsonObject) merged_doc = NULL;
      g_autofree char *merged = NULL;
      g_autofree char *tombstone = NULL;
      gboolean clean = FALSE;

      ancestor_rev = mer_store_common_ancestor (store, id, winner_rev, conflicts[i], &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (ancestor_rev != NULL)
        base = mer_store_get_doc (store, id, ancestor_rev, MER_GET_DEFAULT, NULL);
      other = mer_store_get_doc (store, id, conflicts[i], MER_GET_DEFAULT, error);
      if (other == NULL)
        return FALSE;
      if (base == NULL)
        {
          /* No common text to merge against: a person must decide. */
          if (stats)
            stats->remaining++;
          continue;
        }

      merged = mer_merge_text (body_of (base), body_of (winner), body_of (other),
                               NULL, NULL, &clean);
      if (!clean)
        {
          if (stats)
            stats->remaining++;
          continue;
        }

      merged_doc = merge_fields (base, winner, other, merged);
      json_object_set_string_member (merged_doc, "_id", id);
      json_object_set_string_member (merged_doc, "_rev", winner_rev);
      if (!same_body (merged_doc, winner))
        {
          g_autofree char *new_rev = mer_store_put_doc (store, merged_doc, error);

          if (new_rev == NULL)
            return FALSE;
          g_free (winner_rev);
          winner_rev = g_steal_pointer (&new_rev);
          json_object_set_string_member (merged_doc, "_rev", winner_rev);
          g_clear_pointer (&winner, json_object_unref);
          winner = g_steal_pointer (&merged_doc);
        }

      tombstone = mer_store_delete_doc (store, id, conflicts[i], error);
      if (tombstone == NULL)
        return FALSE;
      if (stats)
        stats->merged++;
    }
  return TRUE;
}

/* Merges the conflicts of one document; non-pages are left alone. */
gboolean
mer_merge_doc (MerStore      *store,
               const char    *id,
               MerMergeStats *stats,
               GError       **error)
{
  const char *ids[] = { id, NULL };

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  return mer_merge_docs (store, ids, stats, error);
}

/*
 * Merges the conflicts of the given documents in one transaction, so that
 * a merge and the closing of the merged leaf are written together.
 */
gboolean
mer_merge_docs (MerStore           *store,
                const char * const *ids,
                MerMergeStats      *stats,
                GError            **error)
{
  g_return_val_if_fail (MER_IS_STORE (store), FALSE);

  if (ids == NULL || ids[0] == NULL)
    return TRUE;
  if (!mer_store_begin (store, error))
    return FALSE;
  for (guint i = 0; ids[i] != NULL; i++)
    {
      if (!merge_one (store, ids[i], stats, error))
        {
          mer_store_rollback (store);
          g_prefix_error (error, "Could not merge %s: ", ids[i]);
          return FALSE;
        }
    }
  return mer_store_commit (store, error);
}

/* Merges every conflicted page of the workspace. */
gboolean
mer_merge_all (MerStore      *store,
               MerMergeStats *stats,
               GError       **error)
{
  g_auto(GStrv) ids = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);

  ids = mer_store_list_conflicted (store, error);
  if (ids == NULL)
    return FALSE;
  return mer_merge_docs (store, (const char * const *) ids, stats, error);
}

/*
 * Describes the first conflict of a document for a person to resolve:
 * both sides and the merged text with conflict markers.
 */
MerMergePreview *
mer_merge_preview (MerStore   *store,
                   const char *id,
                   GError    **error)
{
  g_autoptr(MerMergePreview) preview = NULL;
  g_autoptr(JsonObject) winner = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) base = NULL;
  g_auto(GStrv) conflicts = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  winner = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, error);
  if (winner == NULL)
    return NULL;
  conflicts = mer_store_get_conflicts (store, id, error);
  if (conflicts == NULL)
    return NULL;
  if (conflicts[0] == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND,
                   "%s has no conflicting revisions", id);
      return NULL;
    }
  sort_revs (conflicts);

  preview = g_new0 (MerMergePreview, 1);
  preview->id = g_strdup (id);
  preview->winner_rev = g_strdup (mer_json_get_string (winner, "_rev"));
  preview->other_rev = g_strdup (conflicts[0]);
  other = mer_store_get_doc (store, id, conflicts[0], MER_GET_DEFAULT, error);
  if (other == NULL)
    return NULL;
  preview->ancestor_rev = mer_store_common_ancestor (store, id, preview->winner_rev,
                                                     preview->other_rev, NULL);
  if (preview->ancestor_rev != NULL)
    base = mer_store_get_doc (store, id, preview->ancestor_rev, MER_GET_DEFAULT, NULL);
  preview->ours = g_strdup (body_of (winner));
  preview->theirs = g_strdup (body_of (other));
  preview->merged = mer_merge_text (base ? body_of (base) : NULL,
                                    preview->ours, preview->theirs,
                                    preview->winner_rev, preview->other_rev,
                                    &preview->clean);
  return g_steal_pointer (&preview);
}

/*
 * Writes a person's resolution of a page conflict: the chosen body on top
 * of the winner, and every other live leaf closed, in one transaction.
 * Returns the revision that now wins.
 */
char *
mer_merge_resolve (MerStore   *store,
                   const char *id,
                   const char *body,
                   GError    **error)
{
  g_autoptr(JsonObject) winner = NULL;
  g_auto(GStrv) conflicts = NULL;
  g_autofree char *rev = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (body != NULL, NULL);

  if (!mer_store_begin (store, error))
    return NULL;
  winner = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, error);
  if (winner == NULL)
    goto fail;
  conflicts = mer_store_get_conflicts (store, id, error);
  if (conflicts == NULL)
    goto fail;

  rev = g_strdup (mer_json_get_string (winner, "_rev"));
  if (g_strcmp0 (body_of (winner), body) != 0)
    {
      g_free (rev);
      json_object_set_string_member (winner, "body", body);
      rev = mer_store_put_doc (store, winner, error);
      if (rev == NULL)
        goto fail;
    }
  for (guint i = 0; conflicts[i] != NULL; i++)
    {
      g_autofree char *tombstone = mer_store_delete_doc (store, id, conflicts[i], error);

      if (tombstone == NULL)
        goto fail;
    }
  if (!mer_store_commit (store, error))
    return NULL;
  return g_steal_pointer (&rev);

fail:
  mer_store_rollback (store);
  g_prefix_error (error, "Could not resolve %s: ", id);
  return NULL;
}

void
mer_merge_preview_free (MerMergePreview *preview)
{
  if (preview == NULL)
    return;
  g_free (preview->id);
  g_free (preview->winner_rev);
  g_free (preview->other_rev);
  g_free (preview->ancestor_rev);
  g_free (preview->ours);
  g_free (preview->theirs);
  g_free (preview->merged);
  g_free (preview);
}
