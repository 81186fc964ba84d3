/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-json.h"

#include <string.h>

/*
 * Asking the search index and the links (which mer-store-index.c keeps in
 * step with the winners), after writing out what waits for them: the open
 * transaction's documents and the search backlog.
 */

/*
 * Turns whatever a person typed into an FTS5 query that cannot fail to
 * parse: each word becomes a quoted term, all of them required, and the
 * last one a prefix while it is still being typed. Operators and stray
 * quotes are words like any other. Returns NULL when there is no word.
 */
char *
mer_store_search_fts_query (const char *query)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) word = g_string_new (NULL);
  gboolean trailing_space = FALSE;
  gsize last_length = 0;
  guint words = 0;

  if (query == NULL || !g_utf8_validate (query, -1, NULL))
    return NULL;

  for (const char *p = query;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != 0 && (g_unichar_isalnum (c) || c == '_' || g_unichar_ismark (c)))
        {
          g_string_append_unichar (word, c);
          trailing_space = FALSE;
          continue;
        }
      if (word->len > 0)
        {
          if (words++ > 0)
            g_string_append_c (out, ' ');
          g_string_append_printf (out, "\"%s\"", word->str);
          last_length = g_utf8_strlen (word->str, -1);
          g_string_truncate (word, 0);
          if (words >= 32)
            break;
        }
      if (c == 0)
        break;
      trailing_space = TRUE;
    }
  if (words == 0)
    return NULL;
  /* The word being typed is a prefix; a finished one (followed by a space
   * or punctuation) is a whole word. A single letter is too: as a prefix
   * it matches nearly every page, which costs ranking them all and tells
   * the person nothing. */
  if (!trailing_space && last_length > 1)
    g_string_append_c (out, '*');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
mer_search_hit_free (MerSearchHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->id);
  g_free (hit->type);
  g_free (hit->title);
  g_free (hit->path);
  g_free (hit->snippet);
  g_free (hit);
}

/*
 * Searches the documents the indexer covers. Documents whose title matches
 * come first; within each group, BM25 with the title weighted ten times
 * the body. Snippets are as the indexer's snippet_to_text() makes them.
 */
GPtrArray *
mer_store_search (MerStore    *self,
                  const char  *query,
                  guint        limit,
                  GError     **error)
{
  const MerStoreIndexer *indexer = _mer_store_get_indexer ();
  MerDb *db;
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_search_hit_free);
  g_autofree char *match = NULL;
  g_autofree char *title_match = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  /* Inside a transaction, see its own writes; and what was left for
   * later, now. */
  if (!_mer_store_flush_index (self, error) || !mer_store_catch_up_index (self, error))
    return NULL;
  match = mer_store_search_fts_query (query);
  if (match == NULL)
    return g_steal_pointer (&hits);
  title_match = g_strdup_printf ("title : (%s)", match);

  db = _mer_store_get_db (self);
  stmt = mer_db_prepare (db,
                         "SELECT d.id, d.type, d.title, d.path,"
                         " snippet (search, 1, char(2), char(3), '…', 16),"
                         " bm25 (search, 10.0, 1.0) AS score,"
                         " search.rowid IN (SELECT rowid FROM search WHERE search MATCH ?2) AS in_title"
                         " FROM search JOIN docs d ON d.doc_key = search.rowid"
                         " WHERE search MATCH ?1"
                         " ORDER BY in_title DESC, score LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, title_match, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, limit > 0 ? (int) MIN (limit, G_MAXINT) : 50);
  while ((rc = mer_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      MerSearchHit *hit = g_new0 (MerSearchHit, 1);

      hit->id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      hit->type = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      hit->title = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      hit->path = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      if (indexer != NULL && indexer->snippet_to_text != NULL)
        hit->snippet = indexer->snippet_to_text ((const char *) sqlite3_column_text (stmt, 4));
      else
        hit->snippet = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      hit->rank = sqlite3_column_double (stmt, 5);
      if (hit->title == NULL)
        hit->title = g_strdup (hit->id);
      g_ptr_array_add (hits, hit);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&hits);
}

static char *
snippet_convert (const char *snippet,
                 const char *open,
                 const char *close)
{
  GString *out = g_string_new (NULL);
  const char *p = snippet ? snippet : "";

  while (*p)
    {
      gsize run = strcspn (p, MER_SEARCH_MARK_START MER_SEARCH_MARK_END);
      g_autofree char *escaped = g_markup_escape_text (p, run);

      g_string_append (out, escaped);
      p += run;
      if (*p == MER_SEARCH_MARK_START[0])
        g_string_append (out, open);
      else if (*p == MER_SEARCH_MARK_END[0])
        g_string_append (out, close);
      if (*p)
        p++;
    }
  return g_string_free (out, FALSE);
}

/* The snippet as Pango markup, matches in bold. */
char *
mer_search_snippet_to_markup (const char *snippet)
{
  return snippet_convert (snippet, "<b>", "</b>");
}

/* The snippet as HTML text, matches in <mark>. */
char *
mer_search_snippet_to_html (const char *snippet)
{
  return snippet_convert (snippet, "<mark>", "</mark>");
}

/*
 * Finds the live document of the indexer's link_type that a link names: by
 * path first, then by title, both without regard to case, or by the id
 * "<link_type>:<target>".
 */
char *
mer_store_resolve_link (MerStore    *self,
                        const char  *target,
                        GError     **error)
{
  const MerStoreIndexer *indexer = _mer_store_get_indexer ();
  MerDb *db;
  sqlite3_stmt *stmt;
  g_autofree char *key = NULL;
  char *id = NULL;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);

  if (target == NULL || indexer == NULL || indexer->link_type == NULL)
    return NULL;
  key = g_strstrip (g_strdup (target));
  while (key[0] == '/')
    memmove (key, key + 1, strlen (key));
  if (g_str_has_suffix (key, ".md"))
    key[strlen (key) - 3] = '\0';

  db = _mer_store_get_db (self);
  stmt = mer_db_prepare (db,
                         "SELECT id FROM docs WHERE type = ?2 AND deleted = 0"
                         " AND (path = ?1 COLLATE NOCASE OR title = ?1 COLLATE NOCASE OR id = ?2 || ':' || ?1)"
                         " ORDER BY (path = ?1 COLLATE NOCASE) DESC, id LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, indexer->link_type, -1, SQLITE_STATIC);
  rc = mer_db_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return id;
}

/* The live documents whose links (as the indexer extracted them) name
 * @page_id's title or path. */
char **
mer_store_get_backlinks (MerStore    *self,
                         const char  *page_id,
                         GError     **error)
{
  MerDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *title = NULL;
  g_autofree char *path = NULL;
  g_autofree char *title_key = NULL;
  g_autofree char *path_key = NULL;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), NULL);
  g_return_val_if_fail (page_id != NULL, NULL);
  if (!_mer_store_flush_index (self, error) || !mer_store_catch_up_index (self, error))
    return NULL;

  db = _mer_store_get_db (self);
  stmt = mer_db_prepare (db, "SELECT title, path FROM docs WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, page_id, -1, SQLITE_STATIC);
  rc = mer_db_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    {
      title = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      path = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;

  title_key = _mer_store_link_key (title ? title : "");
  path_key = _mer_store_link_key (path ? path : "");
  stmt = mer_db_prepare (db,
                         "SELECT DISTINCT d.id FROM links l JOIN docs d ON d.doc_key = l.src"
                         " WHERE l.target IN (?1, ?2) AND d.deleted = 0 AND d.id != ?3 ORDER BY d.id",
                         error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, title_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, path_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, page_id, -1, SQLITE_STATIC);
  while ((rc = mer_db_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  g_ptr_array_add (ids, NULL);
  g_ptr_array_set_free_func (ids, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/*
 * With @later TRUE, the documents this connection writes from then on are
 * only noted in search_backlog; their search rows and links are written
 * by mer_store_catch_up_index(), which a search and the backlinks call
 * first. A pull of thousands of pages spent a third of its time indexing
 * them one batch at a time (CouchDB builds its views when they are read,
 * for the same reason).
 */
void
mer_store_set_index_later (MerStore *self,
                           gboolean  later)
{
  g_return_if_fail (MER_IS_STORE (self));

  self->index_later = later;
}

/* The number of documents waiting for the search index. */
gint64
mer_store_count_unindexed (MerStore *self)
{
  g_return_val_if_fail (MER_IS_STORE (self), -1);

  return _mer_store_query_int (self, "SELECT count(*) FROM search_backlog", NULL);
}

/*
 * Brings the search index and the links of every document in
 * search_backlog up to date, in one transaction, from the winners the
 * tables hold now. Inside a read transaction it can write nothing and
 * leaves the backlog for later.
 */
gboolean
mer_store_catch_up_index (MerStore  *self,
                          GError   **error)
{
  g_autoptr(GArray) keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  gint64 waiting;
  int rc;

  g_return_val_if_fail (MER_IS_STORE (self), FALSE);

  if (self->reading)
    return TRUE;
  /* The usual case, nothing to do, takes no write lock. */
  waiting = _mer_store_query_int (self, "SELECT EXISTS (SELECT 1 FROM search_backlog)", &local_error);
  if (waiting < 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (waiting == 0)
    return TRUE;
  if (!mer_store_begin (self, error))
    return FALSE;
  stmt = mer_db_prepare (self->db, "SELECT doc_key FROM search_backlog ORDER BY doc_key", error);
  if (stmt == NULL)
    {
      mer_store_rollback (self);
      return FALSE;
    }
  while ((rc = mer_db_step (self->db, stmt, error)) == SQLITE_ROW)
    {
      gint64 key = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (keys, key);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    {
      mer_store_rollback (self);
      return FALSE;
    }
  for (guint i = 0; i < keys->len; i++)
    if (!_mer_store_index_winner (self, g_array_index (keys, gint64, i), NULL, error))
      {
        mer_store_rollback (self);
        return FALSE;
      }
  if (!mer_db_exec (self->db, "DELETE FROM search_backlog", error))
    {
      mer_store_rollback (self);
      return FALSE;
    }
  return mer_store_commit (self, error);
}
