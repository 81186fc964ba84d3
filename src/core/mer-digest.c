/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-digest.h"
#include "mer-doc-util.h"
#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"

#include <string.h>

static const char *groups[] = { "decisions", "proposals", "comments", "pages" };

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  JsonObject *ia = json_node_get_object (*(JsonNode **) a);
  JsonObject *ib = json_node_get_object (*(JsonNode **) b);

  return g_strcmp0 (mer_json_get_string (ib, "at"), mer_json_get_string (ia, "at"));
}

/* A digest entry for @doc, its id first; add_item() ends it with "at". */
static JsonObject *
item_new (JsonObject *doc)
{
  JsonObject *item = json_object_new ();

  json_object_set_string_member (item, "id", mer_json_get_string (doc, "_id"));
  return item;
}

/* Takes @item. */
static void
add_item (GPtrArray  *group,
          JsonObject *item,
          const char *at)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (item, "at", at);
  json_node_take_object (node, item);
  g_ptr_array_add (group, node);
}

/* Parses rather than compares strings: peers may write other offsets. */
static gboolean
after (const char *at,
       GDateTime  *since)
{
  g_autoptr(GDateTime) instant = at != NULL ? mer_schedule_parse_instant (at, NULL) : NULL;

  return instant != NULL && g_date_time_compare (instant, since) > 0;
}

/* Something that happened after @since, done by someone other than @me. */
static gboolean
is_news (const char *at,
         const char *by,
         GDateTime  *since,
         const char *me)
{
  return after (at, since) && (me == NULL || g_strcmp0 (by, me) != 0);
}

static const char *
title_of (MerStore   *store,
          const char *id,
          GHashTable *cache)
{
  JsonObject *doc;

  if (id == NULL)
    return NULL;
  if (!g_hash_table_contains (cache, id))
    g_hash_table_insert (cache, g_strdup (id), mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL));
  doc = g_hash_table_lookup (cache, id);
  if (doc == NULL)
    return NULL;
  return mer_json_get_string (doc, mer_json_get_string (doc, "title") != NULL ? "title" : "name");
}

/*
 * Walks the four document types rather than the changes feed: the feed
 * keeps one row per document, so it cannot say when something happened,
 * while the documents carry their own instants.
 */
JsonObject *
mer_digest_since (MerStore    *store,
                  GDateTime   *since,
                  const char  *me,
                  GError     **error)
{
  g_autofree char *since_text = mer_schedule_format_instant (since);
  g_autoptr(JsonArray) decisions = NULL;
  g_autoptr(JsonArray) proposals = NULL;
  g_autoptr(JsonArray) comments = NULL;
  g_autoptr(JsonArray) pages = NULL;
  GPtrArray *items[4] = { NULL, };
  g_autoptr(GHashTable) cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) json_object_unref);
  JsonObject *digest;

  if ((decisions = mer_store_list_docs (store, "decision", error)) == NULL
      || (proposals = mer_store_list_docs (store, "proposal", error)) == NULL
      || (comments = mer_store_list_docs (store, "comment", error)) == NULL
      || (pages = mer_store_list_docs (store, "page", error)) == NULL)
    return NULL;
  for (guint g = 0; g < G_N_ELEMENTS (items); g++)
    items[g] = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  for (guint i = 0; i < json_array_get_length (decisions); i++)
    {
      JsonObject *doc = json_array_get_object_element (decisions, i);
      const char *at = mer_json_get_string (doc, "decided_at");
      JsonObject *item;

      if (!is_news (at, mer_json_get_string (doc, "owner"), since, me))
        continue;
      item = item_new (doc);
      mer_doc_set_string_or_null (item, "title", mer_json_get_string (doc, "title"));
      mer_doc_set_string_or_null (item, "status", mer_json_get_string (doc, "status"));
      add_item (items[0], item, at);
    }

  for (guint i = 0; i < json_array_get_length (proposals); i++)
    {
      JsonObject *doc = json_array_get_object_element (proposals, i);
      JsonObject *outcome = mer_doc_get_object (doc, "outcome");
      const char *opened = mer_json_get_string (doc, "opened_at");
      const char *decided = outcome != NULL ? mer_json_get_string (outcome, "decided_at") : NULL;
      const char *event = NULL, *at = NULL;
      JsonObject *item;

      if (is_news (decided, mer_json_get_string (outcome, "decided_by"), since, me))
        event = "decided", at = decided;
      else if (is_news (opened, mer_json_get_string (doc, "author"), since, me))
        event = "opened", at = opened;
      if (event == NULL)
        continue;
      item = item_new (doc);
      mer_doc_set_string_or_null (item, "title", mer_json_get_string (doc, "title"));
      mer_doc_set_string_or_null (item, "status", mer_json_get_string (doc, "status"));
      json_object_set_string_member (item, "event", event);
      add_item (items[1], item, at);
    }

  for (guint i = 0; i < json_array_get_length (comments); i++)
    {
      JsonObject *doc = json_array_get_object_element (comments, i);
      const char *at = mer_json_get_string (doc, "created_at");
      const char *author = mer_json_get_string (doc, "author");
      const char *on = mer_json_get_string (doc, "on");
      JsonObject *item;

      if (!is_news (at, author, since, me))
        continue;
      item = item_new (doc);
      mer_doc_set_string_or_null (item, "on", on);
      mer_doc_set_string_or_null (item, "on_title", title_of (store, on, cache));
      mer_doc_set_string_or_null (item, "author", author);
      mer_doc_set_string_or_null (item, "author_name", title_of (store, author, cache));
      mer_doc_set_string_or_null (item, "stance", mer_json_get_string (doc, "stance"));
      add_item (items[2], item, at);
    }

  for (guint i = 0; i < json_array_get_length (pages); i++)
    {
      JsonObject *doc = json_array_get_object_element (pages, i);
      const char *at = mer_json_get_string (doc, "updated_at");
      const char *by = mer_json_get_string (doc, "updated_by");
      JsonObject *item;

      if (!is_news (at, by, since, me))
        continue;
      item = item_new (doc);
      mer_doc_set_string_or_null (item, "title", mer_json_get_string (doc, "title"));
      mer_doc_set_string_or_null (item, "path", mer_json_get_string (doc, "path"));
      mer_doc_set_string_or_null (item, "updated_by", by);
      add_item (items[3], item, at);
    }

  digest = json_object_new ();
  json_object_set_string_member (digest, "since", since_text);
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      json_object_set_array_member (digest, groups[g], mer_doc_sorted_copy (items[g], compare_newest_first));
      g_ptr_array_unref (items[g]);
    }
  return digest;
}

guint
mer_digest_count (JsonObject *digest)
{
  guint n = 0;

  for (guint g = 0; digest != NULL && g < G_N_ELEMENTS (groups); g++)
    if (json_object_has_member (digest, groups[g]))
      n += json_array_get_length (json_object_get_array_member (digest, groups[g]));
  return n;
}

/* NULL the first time the app opens on this replica. */
GDateTime *
mer_digest_get_last_opened (MerStore *store)
{
  g_autoptr(JsonObject) doc = mer_store_get_local (store, MER_DIGEST_LAST_OPENED_ID, NULL);
  const char *at = doc != NULL ? mer_json_get_string (doc, "at") : NULL;

  return at != NULL ? mer_schedule_parse_instant (at, NULL) : NULL;
}

gboolean
mer_digest_set_last_opened (MerStore    *store,
                            GDateTime   *at,
                            GError     **error)
{
  g_autoptr(JsonObject) doc = mer_store_get_local (store, MER_DIGEST_LAST_OPENED_ID, NULL);
  g_autofree char *text = mer_schedule_format_instant (at);
  g_autofree char *rev = NULL;

  if (doc == NULL)
    {
      doc = json_object_new ();
      json_object_set_string_member (doc, "_id", MER_DIGEST_LAST_OPENED_ID);
    }
  json_object_set_string_member (doc, "at", text);
  rev = mer_store_put_local (store, doc, error);
  return rev != NULL;
}
