/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mer-store.h"

G_BEGIN_DECLS

/*
 * A folder of Markdown files <-> the pages of a replica.
 *
 * The file "engineering/on-call.md" (relative to the imported folder) is the
 * page whose path is "engineering/on-call". A new page gets the id
 * "page:" + path ("page:engineering/on-call"); an existing page with that
 * path is updated whatever its id, so pages made in the app survive an
 * export and re-import. Files and folders whose names start with "." are
 * skipped; only names ending in ".md" are pages.
 *
 * An optional YAML front matter block (between "---" lines at the top) gives
 * title, owner, review_by, tags, updated_by and updated_at; other keys are
 * ignored. The title falls back to the first "# Heading", then to the file
 * name. Owners are person ids: "ana" is read as "person:ana".
 */

#define MER_IMPORT_ERROR (mer_import_error_quark ())

typedef enum
{
  MER_IMPORT_ERROR_READ,          /* the file or folder cannot be read */
  MER_IMPORT_ERROR_NOT_UTF8,      /* the text (or its name) is not UTF-8 */
  MER_IMPORT_ERROR_FRONT_MATTER,  /* the YAML block is broken or ill-typed */
  MER_IMPORT_ERROR_BAD_PATH,      /* a page path cannot be a file name */
} MerImportError;

/*
 * What an import or export did. For an import the counters are pages; for
 * an export they are files (created, overwritten with new text, or already
 * identical and left alone).
 */
typedef struct
{
  guint      created;
  guint      updated;
  guint      unchanged;
  guint      failed;
  GPtrArray *errors;     /* char *: one line per failed file, naming it */
} MerImportReport;

GQuark           mer_import_error_quark   (void);

MerImportReport *mer_import_report_new    (void);
void             mer_import_report_free   (MerImportReport *report);

char            *mer_import_page_id       (const char      *path);
JsonObject      *mer_import_parse_page    (const char      *path,
                                           const char      *text,
                                           gsize            length,
                                           GError         **error);
gboolean         mer_import_dir           (MerStore        *store,
                                           const char      *dir,
                                           MerImportReport *report,
                                           GError         **error);

char            *mer_export_page_text     (JsonObject      *page);
gboolean         mer_export_write_file    (const char      *dir,
                                           const char      *rel,
                                           const char      *contents,
                                           gboolean        *unchanged,
                                           GError         **error);
gboolean         mer_export_dir           (MerStore        *store,
                                           const char      *dir,
                                           MerImportReport *report,
                                           GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerImportReport, mer_import_report_free)

G_END_DECLS
