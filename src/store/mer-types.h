/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Forward declarations, so that headers need not include each other. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MerDb          MerDb;
typedef struct _MerStore       MerStore;
typedef struct _MerSearchHit   MerSearchHit;
typedef struct _MerRevision    MerRevision;

G_END_DECLS
