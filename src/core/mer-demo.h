/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mer-store.h"

G_BEGIN_DECLS

/*
 * The demo workspace: DEMO_DIR/handbook (Markdown pages, imported as by
 * `meridian import`) and DEMO_DIR/records.json (an array of documents:
 * people, proposals, comments, decisions). Strings in the records that are
 * relative times are replaced when the demo loads, so the demo always looks
 * current:
 *   "@now", "@now-3d", "@now+2d4h", "@now-90m"  ->  RFC 3339 time in UTC
 *   "@today", "@today+30d", "@today-2w"         ->  YYYY-MM-DD (UTC date)
 * Units: w (weeks), d, h, m, s; "@today" takes only w and d.
 */

#define MER_DEMO_ERROR (mer_demo_error_quark ())

typedef enum
{
  MER_DEMO_ERROR_INVALID,   /* records.json or a time expression is wrong */
  MER_DEMO_ERROR_FAILED,    /* some pages or records could not be loaded */
} MerDemoError;

GQuark    mer_demo_error_quark    (void);

char     *mer_demo_find_dir       (void);
gboolean  mer_demo_expand_node    (JsonNode    *node,
                                   GDateTime   *now,
                                   GError     **error);
gboolean  mer_demo_load           (MerStore    *store,
                                   const char  *demo_dir,
                                   GError     **error);
gboolean  mer_demo_load_if_empty  (MerStore    *store,
                                   const char  *demo_dir,
                                   gboolean    *loaded,
                                   GError     **error);

G_END_DECLS
