/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-store.h"

G_BEGIN_DECLS

/*
 * What a person needs to resolve a page conflict by hand: both sides, the
 * common ancestor when it is known, and git-style merged text in which the
 * overlapping hunks are framed by conflict markers.
 */
typedef struct
{
  char     *id;
  char     *winner_rev;    /* the revision CouchDB's rules pick */
  char     *other_rev;     /* the first conflicting leaf */
  char     *ancestor_rev;  /* common ancestor, or NULL when unknown */
  char     *ours;          /* the winner's body */
  char     *theirs;        /* the conflicting leaf's body */
  char     *merged;        /* merged body, with conflict markers if !clean */
  gboolean  clean;         /* TRUE if the bodies merge without overlap */
} MerMergePreview;

/* Totals of one pass over the conflicted pages. */
typedef struct
{
  guint merged;     /* conflicting leaves merged into the winner and closed */
  guint remaining;  /* leaves left as conflicts: overlapping edits */
} MerMergeStats;

char            *mer_merge_text          (const char         *ancestor,
                                          const char         *ours,
                                          const char         *theirs,
                                          const char         *our_label,
                                          const char         *their_label,
                                          gboolean           *clean);
gboolean         mer_merge_doc           (MerStore           *store,
                                          const char         *id,
                                          MerMergeStats      *stats,
                                          GError            **error);
gboolean         mer_merge_docs          (MerStore           *store,
                                          const char * const *ids,
                                          MerMergeStats      *stats,
                                          GError            **error);
gboolean         mer_merge_all           (MerStore           *store,
                                          MerMergeStats      *stats,
                                          GError            **error);
MerMergePreview *mer_merge_preview       (MerStore           *store,
                                          const char         *id,
                                          GError            **error);
char            *mer_merge_resolve       (MerStore           *store,
                                          const char         *id,
                                          const char         *body,
                                          GError            **error);
void             mer_merge_preview_free  (MerMergePreview    *preview);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerMergePreview, mer_merge_preview_free)

G_END_DECLS
