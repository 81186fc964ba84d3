/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-store.h"
#include "mer-db.h"

G_BEGIN_DECLS

MerDb   *_mer_store_get_db          (MerStore    *self);
gboolean _mer_store_index_doc       (MerStore    *self,
                                     gint64       doc_key,
                                     JsonObject  *winner_body,
                                     gboolean     deleted,
                                     GError     **error);
gboolean _mer_store_search_migrate  (MerDb       *db,
                                     GError     **error);

G_END_DECLS
