/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-store.h"
#include "mer-db.h"

G_BEGIN_DECLS

/* The replica's state, shared by the files of the store (see mer-store.c). */
struct _MerStore
{
  GObject  parent_instance;

  MerDb   *db;
  char    *data_dir;
  char    *name;
  char    *uuid;
  guint    revs_limit;
  guint    depth;    /* nesting of open transactions */
  gboolean dirty;    /* documents written in the open transaction */
  GHashTable *unindexed; /* doc_key (gint64 *) -> Pending, documents whose
                          * search rows and links wait for the outermost
                          * commit */
  gboolean reading;  /* the open transaction is mer_store_begin_read()'s */
  gboolean index_later; /* writes go to search_backlog, not the index */
  gint64   seq_next;  /* the seq after the last one given in the open
                       * transaction, or 0 */
  guint    watch_id; /* timeout that notices other connections' commits */
  gint64   data_version; /* PRAGMA data_version when last looked at */
  gint64   seen_seq; /* update seq when "changed" was last emitted */
  gint64   counted_seq; /* update seq at which the counts below were taken */
  gint64   live_count;
  gint64   deleted_count;
  guint64  max_attachment; /* bytes of one attachment at most */
  GHashTable *gc_candidates; /* blob keys (char *) that the outermost
                              * commit checks against the collection rule */
  GHashTable *staged_blobs;  /* blob keys written in the open transaction */
};

/* A revision as the tree holds it. */
typedef struct
{
  gint64    rev_key;
  char     *rev;
  char     *parent;
  gint64    pos;
  gboolean  deleted;
  gboolean  leaf;
  gboolean  has_body;
} RevInfo;

#define REV_COLUMNS "rev_key, rev, parent, pos, deleted, leaf, body IS NOT NULL"

void        _mer_rev_info_free          (RevInfo      *info);
gboolean    _mer_parse_rev              (const char   *rev,
                                         gint64       *pos,
                                         const char  **hash);
gboolean    _mer_set_bad_rev            (GError      **error,
                                         const char   *rev);
void        _mer_set_not_found          (GError      **error,
                                         const char   *reason);
char       *_mer_compute_rev            (gint64        pos,
                                         const char   *parent,
                                         gboolean      deleted,
                                         const char   *canonical_body);
JsonObject *_mer_body_of                (JsonObject   *doc);
char       *_mer_canonical_object       (JsonObject   *object);
int         _mer_compare_leaves         (gconstpointer pa,
                                         gconstpointer pb);
RevInfo    *_mer_rev_from_row           (sqlite3_stmt *stmt);
GPtrArray  *_mer_ancestry               (GHashTable   *tree,
                                         const char   *rev);
JsonObject *_mer_revisions_object       (GHashTable   *tree,
                                         const char   *rev);
JsonObject *_mer_make_doc               (const char   *id,
                                         const char   *rev,
                                         gboolean      deleted,
                                         JsonObject   *body);
gint64      _mer_store_query_int        (MerStore     *self,
                                         const char   *sql,
                                         GError      **error);
gint64      _mer_store_lookup_doc       (MerStore     *self,
                                         const char   *id,
                                         char        **winner,
                                         gboolean     *deleted,
                                         GError      **error);
RevInfo    *_mer_store_lookup_rev       (MerStore     *self,
                                         gint64        doc_key,
                                         const char   *rev,
                                         GError      **error);
GPtrArray  *_mer_store_load_leaves      (MerStore     *self,
                                         gint64        doc_key,
                                         GError      **error);
GHashTable *_mer_store_read_tree        (MerStore     *self,
                                         sqlite3_stmt *stmt,
                                         gint64       *key,
                                         GError      **error);
GHashTable *_mer_store_load_tree        (MerStore     *self,
                                         gint64        doc_key,
                                         GError      **error);
char       *_mer_store_load_body_text   (MerStore     *self,
                                         gint64        doc_key,
                                         const char   *rev,
                                         gsize        *length,
                                         GError      **error);
JsonObject *_mer_store_load_body        (MerStore     *self,
                                         gint64        doc_key,
                                         const char   *rev,
                                         GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RevInfo, _mer_rev_info_free)

/* A document waiting for the search index: the winner when it was written
 * and its body, so the commit need not read the body back and parse it. */
typedef struct {
  char       *rev;
  JsonObject *body;
  gboolean    fresh;  /* a new document: nothing indexed to take out */
} Pending;

MerDb   *_mer_store_get_db          (MerStore    *self);

/* mer-store-index.c: the search index and the links of the winners. */
const MerStoreIndexer *_mer_store_get_indexer (void);
gboolean _mer_store_reads_field     (const char  *name);
gboolean _mer_store_index_doc       (MerStore    *self,
                                     gint64       doc_key,
                                     JsonObject  *winner_body,
                                     gboolean     deleted,
                                     gboolean     fresh,
                                     GError     **error);
gboolean _mer_store_schedule_index  (MerStore    *self,
                                     gint64       doc_key,
                                     const char  *winner_rev,
                                     JsonObject  *body,
                                     gboolean     deleted,
                                     gboolean     fresh,
                                     GError     **error);
gboolean _mer_store_index_winner    (MerStore    *self,
                                     gint64       doc_key,
                                     Pending     *pending,
                                     GError     **error);
gboolean _mer_store_flush_index     (MerStore    *self,
                                     GError     **error);
void     _mer_store_pending_free    (gpointer     pending);
gboolean _mer_store_is_indexed_type (const char  *type);
char    *_mer_store_link_key        (const char  *target);
gboolean _mer_store_search_migrate  (MerDb       *db,
                                     GError     **error);

/* mer-store-write.c: a local edit inside an open transaction. */
char      *_mer_store_write_edit      (MerStore    *self,
                                       JsonObject  *doc,
                                       GError     **error);

/* mer-store-attachments.c: attachments' rows and bytes. */
GPtrArray *_mer_store_resolve_attachments (MerStore    *self,
                                           gint64       doc_key,
                                           const char  *parent,
                                           JsonNode    *given,
                                           gint64       pos,
                                           gboolean     new_edits,
                                           JsonObject  *body,
                                           GError     **error);
gboolean   _mer_store_write_rev_atts  (MerStore    *self,
                                       gint64       doc_key,
                                       const char  *rev,
                                       GPtrArray   *atts,
                                       GError     **error);
gboolean   _mer_store_forget_rev_atts (MerStore    *self,
                                       gint64       rev_key,
                                       GError     **error);
gboolean   _mer_store_forget_local_atts (MerStore  *self,
                                         const char *id,
                                         const char *name,
                                         GError    **error);
gboolean   _mer_store_collect_candidates (MerStore *self,
                                          GError  **error);

G_END_DECLS
