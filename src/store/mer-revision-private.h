/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-revision.h"

G_BEGIN_DECLS

/* The one-pass reader alone: NULL when json-glib must read @text. */
GPtrArray *_mer_revisions_read_bulk_get (const char *text,
                                         gsize       length,
                                         gboolean   *has_results);

G_END_DECLS
