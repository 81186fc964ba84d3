/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * Proposals: long-form written proposals that stay open for comments until
 * a deadline fair to every required reader, then are decided in writing by
 * their owner. Works on the "proposal", "comment" and "seen" documents of
 * the data contract. Drafts are the Markdown editor's local documents,
 * `_local/draft:new:<uuid>`, with "kind":"proposal" and the fields of a
 * proposal (title, body, owner, author, required, deadline, page, page_body);
 * they never leave the machine until published.
 *
 * Extra fields this module adds to the contract:
 *   proposal.page_rev        the page revision the proposed text was based on
 *   proposal.deadline_min    the fair minimum deadline computed at publishing
 *   proposal.outcome.reason  why it was decided before the deadline
 *   proposal.outcome.early   TRUE when decided before the deadline
 */

#define MER_PROPOSAL_ERROR (mer_proposal_error_quark ())

typedef enum
{
  MER_PROPOSAL_ERROR_INVALID,        /* bad input; nothing written */
  MER_PROPOSAL_ERROR_NOT_OWNER,      /* only the owner decides */
  MER_PROPOSAL_ERROR_NOT_OPEN,       /* already decided */
  MER_PROPOSAL_ERROR_NEEDS_REASON,   /* deciding early needs a reason */
  MER_PROPOSAL_ERROR_MERGE_CONFLICT, /* the page changed in the same places */
} MerProposalError;

#define MER_PROPOSAL_DRAFT_PREFIX "_local/draft:new:"
#define MER_PROPOSAL_MIN_WINDOW   (24 * G_TIME_SPAN_HOUR) /* microseconds */

/* The sections of the template, in order (untranslated keys). */
typedef enum
{
  MER_PROPOSAL_SECTION_CONTEXT,
  MER_PROPOSAL_SECTION_PROPOSAL,
  MER_PROPOSAL_SECTION_OPTIONS,
  MER_PROPOSAL_SECTION_RISKS,
  MER_PROPOSAL_SECTION_OWNER,
  MER_PROPOSAL_SECTION_ASKED,
  MER_PROPOSAL_SECTION_DEADLINE,
  MER_PROPOSAL_N_SECTIONS
} MerProposalSection;

/* How one required reader stands with respect to a proposal at an instant. */
typedef struct
{
  char      *person;           /* "person:ana" */
  char      *name;             /* display name, the id if unknown */
  char      *tz;               /* IANA zone, or NULL if unknown */
  GDateTime *deadline_local;   /* the deadline on their clock, or NULL */
  double     remaining_hours;  /* working hours left before the deadline; < 0 unknown */
  gboolean   short_of_day;     /* less than one full working day left */
  gboolean   has_read;         /* a seen document exists */
  gboolean   has_responded;    /* wrote at least one comment */
  char      *stance;           /* latest stance, or NULL */
  char      *error;            /* why their schedule could not be loaded, or NULL */
} MerReaderStatus;

GQuark       mer_proposal_error_quark        (void);

const char  *mer_proposal_section_title      (MerProposalSection section);
char        *mer_proposal_template           (void);
char        *mer_proposal_get_section        (const char   *body,
                                              MerProposalSection section);
gboolean     mer_proposal_section_is_empty   (const char   *body,
                                              MerProposalSection section);

/* Drafts. */
JsonObject  *mer_proposal_new_draft          (const char   *author);
char        *mer_proposal_save_draft         (MerStore     *store,
                                              JsonObject   *draft,
                                              GError      **error);
JsonArray   *mer_proposal_list_drafts        (MerStore     *store,
                                              GError      **error);
GPtrArray   *mer_proposal_check_complete     (JsonObject   *draft);

/*
 * The fair deadline rule. mer_proposal_fair_deadline() fails (NULL and an
 * error naming the person and the zone) when a required reader's schedule
 * cannot be loaded: without it the deadline could be too early for them.
 */
GDateTime   *mer_proposal_fair_deadline_for  (GPtrArray    *schedules,
                                              GDateTime    *opened_at);
GDateTime   *mer_proposal_fair_deadline      (MerStore     *store,
                                              JsonArray    *required,
                                              GDateTime    *opened_at,
                                              GError      **error);

/* Publishing, reading and responding. */
char        *mer_proposal_publish            (MerStore     *store,
                                              const char   *draft_id,
                                              GDateTime    *now,
                                              GError      **error);
JsonArray   *mer_proposal_list               (MerStore     *store,
                                              GDateTime    *now,
                                              GError      **error);
JsonArray   *mer_proposal_list_comments      (MerStore     *store,
                                              const char   *doc_id,
                                              GError      **error);
char        *mer_proposal_add_comment        (MerStore     *store,
                                              const char   *on,
                                              const char   *reply_to,
                                              const char   *author,
                                              const char   *body,
                                              const char   *stance,
                                              GDateTime    *now,
                                              GError      **error);
char        *mer_proposal_add_comment_from_draft (MerStore *store,
                                                  const char   *on,
                                                  const char   *reply_to,
                                                  const char   *author,
                                                  const char   *body,
                                                  const char   *stance,
                                                  const char   *draft_id,
                                                  GDateTime    *now,
                                                  GError      **error);
gboolean     mer_proposal_mark_seen          (MerStore     *store,
                                              const char   *person,
                                              JsonObject   *doc,
                                              GDateTime    *now,
                                              GError      **error);
JsonObject  *mer_proposal_stance_summary     (JsonArray    *comments);
GPtrArray   *mer_proposal_reader_statuses    (MerStore     *store,
                                              JsonObject   *proposal,
                                              GDateTime    *now,
                                              GError      **error);
void         mer_reader_status_free          (MerReaderStatus *status);
JsonObject  *mer_proposal_to_json_summary    (MerStore     *store,
                                              JsonObject   *proposal,
                                              GDateTime    *now,
                                              GError      **error);
char        *mer_proposal_page_base          (MerStore     *store,
                                              JsonObject   *proposal,
                                              GError      **error);
char        *mer_proposal_page_diff          (MerStore     *store,
                                              JsonObject   *proposal,
                                              GError      **error);
char        *mer_text_unified_diff           (const char   *old_text,
                                              const char   *new_text,
                                              const char   *old_label,
                                              const char   *new_label);

/* Deciding. */
gboolean     mer_proposal_decide             (MerStore     *store,
                                              const char   *proposal_id,
                                              const char   *outcome,
                                              const char   *summary,
                                              const char   *reason,
                                              const char   *decided_by,
                                              GDateTime    *now,
                                              char        **decision_id,
                                              GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerReaderStatus, mer_reader_status_free)

G_END_DECLS
