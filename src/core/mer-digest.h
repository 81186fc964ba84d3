/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mer-types.h"

G_BEGIN_DECLS

/*
 * "Since you were last here": what arrived since an instant, grouped.
 *
 * The instant the person last opened the app is kept in the local document
 * MER_DIGEST_LAST_OPENED_ID {"at": RFC 3339}: it belongs to this replica's
 * user and never replicates.
 */

#define MER_DIGEST_LAST_OPENED_ID "_local/last-opened"

/*
 * Returns {"since": RFC 3339,
 *          "decisions": [{id, title, status, at}],
 *          "proposals": [{id, title, status, event: "opened"|"decided", at}],
 *          "comments":  [{id, on, on_title, author, author_name, stance, at}],
 *          "pages":     [{id, title, path, updated_by, at}]}
 * each group newest first. Items whose author (or updated_by, decided_by)
 * is @me are left out: nobody needs telling what they did themselves.
 */
JsonObject *mer_digest_since            (MerStore    *store,
                                         GDateTime   *since,
                                         const char  *me,
                                         GError     **error);
guint       mer_digest_count            (JsonObject  *digest);
GDateTime  *mer_digest_get_last_opened  (MerStore    *store);
gboolean    mer_digest_set_last_opened  (MerStore    *store,
                                         GDateTime   *at,
                                         GError     **error);

G_END_DECLS
