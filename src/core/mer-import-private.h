/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-import.h"

G_BEGIN_DECLS

/* What one import knows of the files of its folder besides the pages:
 * see mer-import-attachments.c. */
typedef struct _MerImportFiles MerImportFiles;

MerImportFiles *_mer_import_files_new     (const char      *root,
                                           guint64          max_size);
void            _mer_import_files_free    (MerImportFiles  *files);

JsonObject     *_mer_import_attachments   (MerImportFiles  *files,
                                           const char      *rel,
                                           JsonObject      *old,
                                           JsonObject      *page,
                                           gboolean        *unchanged,
                                           MerImportReport *report);

void            _mer_import_problem_free  (MerImportProblem *problem);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerImportFiles, _mer_import_files_free)

G_END_DECLS
