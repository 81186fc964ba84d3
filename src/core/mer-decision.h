/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * The decision log: "decision" documents of the data contract. A decision
 * is never edited after it is made, not even when it is superseded: the
 * newer decision records "supersedes", and every decision this API
 * returns has its "status" ("superseded") and "superseded_by" derived
 * from those records, never taken from what its own document says.
 *
 * A page cites a decision when the decision lists it in "pages", or when the
 * page's body names the decision's full id ("decision:<id>"), for example as
 * a wiki link [[decision:<id>]] or a meridian://decision/ link.
 */

#define MER_DECISION_ERROR (mer_decision_error_quark ())

typedef enum
{
  MER_DECISION_ERROR_INVALID,    /* bad input; nothing written */
  MER_DECISION_ERROR_IMMUTABLE,  /* decisions are not edited */
  MER_DECISION_ERROR_SUPERSEDED, /* already superseded */
} MerDecisionError;

/* NULL members match everything; text matches title, context, decision
 * and consequences, case-insensitively. */
typedef struct
{
  const char *status;
  const char *owner;
  const char *tag;
  const char *text;
} MerDecisionFilter;

GQuark      mer_decision_error_quark      (void);

char       *mer_decision_log              (MerStore                *store,
                                           JsonObject              *fields,
                                           GDateTime               *now,
                                           GError                 **error);
JsonObject *mer_decision_get              (MerStore                *store,
                                           const char              *id,
                                           GError                 **error);
JsonArray  *mer_decision_list             (MerStore                *store,
                                           const MerDecisionFilter *filter,
                                           GError                 **error);
gboolean    mer_decision_matches          (JsonObject              *decision,
                                           const MerDecisionFilter *filter);
char       *mer_decision_supersede        (MerStore                *store,
                                           const char              *old_id,
                                           JsonObject              *fields,
                                           GDateTime               *now,
                                           GError                 **error);
gboolean    mer_decision_check_change     (JsonObject              *old_doc,
                                           JsonObject              *new_doc,
                                           GError                 **error);
char       *mer_decision_update           (MerStore                *store,
                                           JsonObject              *doc,
                                           GError                 **error);
JsonArray  *mer_decision_chain            (MerStore                *store,
                                           const char              *id,
                                           GError                 **error);
gboolean    mer_decision_page_cites       (JsonObject              *decision,
                                           JsonObject              *page);
char      **mer_decision_cited_by         (MerStore                *store,
                                           const char              *decision_id,
                                           GError                 **error);
char       *mer_decision_page_cites_superseded (MerStore           *store,
                                                const char         *page_id,
                                                GError            **error);
char       *mer_decision_export_file_name (JsonObject              *decision,
                                           guint                    number);
char       *mer_decision_to_madr          (JsonObject              *decision,
                                           GHashTable              *file_names,
                                           GHashTable              *person_names);
gboolean    mer_decision_export           (MerStore                *store,
                                           const char              *dir,
                                           guint                   *n_written,
                                           GError                 **error);
JsonObject *mer_decision_to_json_summary  (JsonObject              *decision);

G_END_DECLS
