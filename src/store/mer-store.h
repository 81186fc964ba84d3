/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

#define MER_STORE_ERROR (mer_store_error_quark ())

/* Each code maps to one CouchDB error and HTTP status. */
typedef enum
{
  MER_STORE_ERROR_NOT_FOUND,    /* 404 not_found */
  MER_STORE_ERROR_CONFLICT,     /* 409 conflict */
  MER_STORE_ERROR_BAD_REQUEST,  /* 400 bad_request */
  MER_STORE_ERROR_FORBIDDEN,    /* 403 forbidden: fails validation */
  MER_STORE_ERROR_DATABASE,     /* 500: SQLite reported an error */
  MER_STORE_ERROR_TOO_LARGE,    /* 413 too_large: over a size limit */
  MER_STORE_ERROR_NO_SPACE,     /* 507 insufficient_storage: the disk is full */
  MER_STORE_ERROR_MISSING_STUB, /* 412 missing_stub: an attachment stub
                                 * names bytes this replica lacks */
} MerStoreError;

typedef enum
{
  MER_GET_DEFAULT           = 0,
  MER_GET_CONFLICTS         = 1 << 0, /* add "_conflicts" */
  MER_GET_DELETED_CONFLICTS = 1 << 1, /* add "_deleted_conflicts" */
  MER_GET_REVS              = 1 << 2, /* add "_revisions" */
} MerGetFlags;

#define MER_STORE_DEFAULT_NAME       "handbook"
#define MER_STORE_DEFAULT_REVS_LIMIT 1000
#define MER_STORE_FILE_NAME          "workspace.db"

/* Markers around matched words in MerSearchHit.snippet. */
#define MER_SEARCH_MARK_START "\x02"
#define MER_SEARCH_MARK_END   "\x03"

struct _MerSearchHit
{
  char   *id;
  char   *type;     /* the document's "type" */
  char   *title;
  char   *path;     /* page path, or NULL */
  char   *snippet;  /* plain text with MER_SEARCH_MARK_* around matches */
  double  rank;     /* lower is better */
};

/*
 * What the layer above tells the store about its documents, so that the
 * store, which knows nothing of them, can keep the search index and the
 * links: when a document's winner changes, its rows are taken out and,
 * for a type the indexer covers, written again from what extract() says.
 * One per process, set before the first store is opened.
 */
typedef struct
{
  /* The top-level string members of a body that extract() reads besides
   * "type", "title" and "path", NULL-terminated: a revision read from a
   * peer keeps no others (see MerRevision.fields). */
  const char * const *fields;
  /* Whether documents of @type (which may be NULL) have search rows and
   * links. */
  gboolean  (*indexes_type)    (const char  *type);
  /* For a live winner of a type it covers: the title and the text of its
   * search row and the targets of its links (a NULL-terminated array, or
   * NULL), each newly allocated. FALSE: no row. */
  gboolean  (*extract)         (MerStore    *store,
                                JsonObject  *body,
                                char       **title,
                                char       **text,
                                char      ***links);
  /* The type of the documents that a link names by path, title or id. */
  const char *link_type;
  /* A snippet cut from the indexed text, as a person reads it (the match
   * marks kept); NULL leaves snippets as cut. */
  char     *(*snippet_to_text) (const char  *snippet);
} MerStoreIndexer;

/*
 * What the layer above checks before anything is written, whichever way a
 * document comes in (a local edit, a _bulk_docs batch, a pulled revision):
 * the store calls it inside the write's transaction and writes nothing
 * when it fails. Errors are MER_STORE_ERROR, never _DATABASE. One per
 * process, set before the first store is opened; with none, the store
 * keeps only its own structural rules.
 */
typedef struct
{
  /* A whole document; @new_edits as in _bulk_docs. */
  gboolean (*validate_doc)      (MerStore     *store,
                                 JsonObject   *doc,
                                 gboolean      new_edits,
                                 GError      **error);
  /* A revision from another replica, as the store keeps it. */
  gboolean (*validate_revision) (MerStore     *store,
                                 MerRevision  *revision,
                                 GError      **error);
} MerStoreValidator;

/* The engine's limits on what it keeps, the same on every way in. */
#define MER_STORE_MAX_ID_BYTES   512
#define MER_STORE_MAX_DOC_BYTES  (1024 * 1024)
#define MER_STORE_MAX_DEPTH      64

#define MER_TYPE_STORE (mer_store_get_type ())
G_DECLARE_FINAL_TYPE (MerStore, mer_store, MER, STORE, GObject)

GQuark      mer_store_error_quark        (void);
void        mer_store_set_indexer        (const MerStoreIndexer *indexer);
void        mer_store_set_validator      (const MerStoreValidator *validator);

MerStore   *mer_store_open               (const char   *data_dir,
                                          GError      **error);
const char *mer_store_get_data_dir       (MerStore     *self);
const char *mer_store_get_name           (MerStore     *self);
gboolean    mer_store_set_name           (MerStore     *self,
                                          const char   *name,
                                          GError      **error);
const char *mer_store_get_uuid           (MerStore     *self);
guint       mer_store_get_revs_limit     (MerStore     *self);
void        mer_store_set_revs_limit     (MerStore     *self,
                                          guint         limit);
gint64      mer_store_get_update_seq     (MerStore     *self);
gint64      mer_store_get_doc_count      (MerStore     *self,
                                          gboolean      deleted);
gboolean    mer_store_check_integrity    (MerStore     *self,
                                          GError      **error);
gboolean    mer_store_check_quick        (MerStore     *self,
                                          GError      **error);
void        mer_store_set_index_later    (MerStore     *self,
                                          gboolean      later);
gint64      mer_store_count_unindexed    (MerStore     *self);
gboolean    mer_store_catch_up_index     (MerStore     *self,
                                          GError      **error);
void        mer_store_watch_others       (MerStore     *self,
                                          guint         interval_ms);

/* Transactions nest; the outermost commit makes the writes visible. */
gboolean    mer_store_begin              (MerStore     *self,
                                          GError      **error);
gboolean    mer_store_begin_read         (MerStore     *self,
                                          GError      **error);
void        mer_store_end_read           (MerStore     *self);
gboolean    mer_store_commit             (MerStore     *self,
                                          GError      **error);
void        mer_store_rollback           (MerStore     *self);

/* Moving the write-ahead log into the database, for a bulk writer that
 * leaves it to another connection on another thread. */
void        mer_store_set_auto_checkpoint (MerStore    *self,
                                           gboolean     enabled);
gboolean    mer_store_checkpoint          (MerStore    *self,
                                           GError     **error);

/* Documents: full ids such as "page:on-call". */
JsonObject *mer_store_get_doc            (MerStore     *self,
                                          const char   *id,
                                          const char   *rev,
                                          MerGetFlags   flags,
                                          GError      **error);
char       *mer_store_put_doc            (MerStore     *self,
                                          JsonObject   *doc,
                                          GError      **error);
char       *mer_store_delete_doc         (MerStore     *self,
                                          const char   *id,
                                          const char   *rev,
                                          GError      **error);
gboolean    mer_store_put_revision       (MerStore     *self,
                                          JsonObject   *doc,
                                          GError      **error);
JsonArray  *mer_store_bulk_docs          (MerStore     *self,
                                          JsonArray    *docs,
                                          gboolean      new_edits,
                                          const char   *source,
                                          GError      **error);
JsonArray  *mer_store_put_revisions      (MerStore     *self,
                                          GPtrArray    *revisions,
                                          const char   *source,
                                          GError      **error);
JsonArray  *mer_store_list_refused       (MerStore     *self,
                                          GError      **error);
JsonArray  *mer_store_list_docs          (MerStore     *self,
                                          const char   *type,
                                          GError      **error);

/* The revision tree. */
char      **mer_store_get_leaf_revs      (MerStore     *self,
                                          const char   *id,
                                          gboolean      include_deleted,
                                          GError      **error);
char      **mer_store_get_conflicts      (MerStore     *self,
                                          const char   *id,
                                          GError      **error);
char       *mer_store_common_ancestor    (MerStore     *self,
                                          const char   *id,
                                          const char   *rev_a,
                                          const char   *rev_b,
                                          GError      **error);
JsonArray  *mer_store_get_history        (MerStore     *self,
                                          const char   *id,
                                          const char   *rev,
                                          GError      **error);
JsonArray  *mer_store_get_revs_info      (MerStore     *self,
                                          const char   *id,
                                          const char   *rev,
                                          GError      **error);
JsonArray  *mer_store_open_revs          (MerStore     *self,
                                          const char   *id,
                                          const char * const *revs,
                                          gboolean      latest,
                                          GError      **error);
GPtrArray  *mer_store_open_revs_text     (MerStore     *self,
                                          const char   *id,
                                          const char * const *revs,
                                          gboolean      latest,
                                          gboolean      with_revisions,
                                          GError      **error);
JsonObject *mer_store_revs_diff          (MerStore     *self,
                                          JsonObject   *request,
                                          GError      **error);
char      **mer_store_list_conflicted    (MerStore     *self,
                                          GError      **error);

/* The changes feed. */
JsonArray  *mer_store_changes            (MerStore     *self,
                                          gint64        since,
                                          gint64        limit,
                                          gboolean      all_docs,
                                          gboolean      include_docs,
                                          gint64       *last_seq,
                                          GError      **error);

/* Local documents ("_local/<id>"): never replicated, never in changes. */
JsonObject *mer_store_get_local          (MerStore     *self,
                                          const char   *id,
                                          GError      **error);
char       *mer_store_put_local          (MerStore     *self,
                                          JsonObject   *doc,
                                          GError      **error);
gboolean    mer_store_delete_local       (MerStore     *self,
                                          const char   *id,
                                          GError      **error);
JsonArray  *mer_store_list_local         (MerStore     *self,
                                          const char   *prefix,
                                          GError      **error);

/* Search and links. */
GPtrArray  *mer_store_search             (MerStore     *self,
                                          const char   *query,
                                          guint         limit,
                                          GError      **error);
char       *mer_store_search_fts_query   (const char   *query);
char      **mer_store_get_backlinks      (MerStore     *self,
                                          const char   *page_id,
                                          GError      **error);
char       *mer_store_resolve_link       (MerStore     *self,
                                          const char   *target,
                                          GError      **error);
char       *mer_store_dup_title          (MerStore     *self,
                                          const char   *id);

void        mer_search_hit_free          (MerSearchHit *hit);
char       *mer_search_snippet_to_markup (const char   *snippet);
char       *mer_search_snippet_to_html   (const char   *snippet);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerSearchHit, mer_search_hit_free)

G_END_DECLS
