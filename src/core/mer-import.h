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
 *
 * Images and files a page links to come in as attachments of the page's
 * revision; the Markdown is kept exactly as written. Those links are
 * Markdown images and links to a relative target that is not a page
 * ("![](img/a.png)", "![a](<img/a b.png>)", "[spec](files/spec%20v2.pdf)",
 * resolved from the page's folder, or from the imported folder when they
 * start with "/"), and Obsidian's "![[image.png|300]]" and "[[spec.pdf]]",
 * which name a file anywhere in the folder as Obsidian finds it: the
 * path from the top of the folder, or from the page's folder when it
 * starts with "./" or "../", else of the files whose path ends with the
 * target, the one in the page's own folder, else the one with the
 * shortest path (then the first in byte order). A Markdown link whose
 * file is not where it says is looked for the same way (Obsidian writes
 * them as paths from the top or as shortest paths). Files and folders
 * whose names start with "." are not searched, and a link to one is
 * refused: an export never writes such a path, so that no peer's
 * attachment lands in ".git/" or ".obsidian/".
 *
 * An attachment's name is the path of its file relative to the imported
 * folder ("assets/img/a b.png"), the way a page's path is, with "./" put
 * before a path starting with "_" (CouchDB keeps those names). So a page
 * and the files it links to are written back by an export where the links,
 * as written, find them. The page also gets "attachment_links": each link
 * target -> the name of its attachment, which is how a link finds its
 * attachment when the page is shown. A Markdown target is the URL as
 * cmark-gfm reads it (escapes and angle brackets undone, %XX kept:
 * "../img/a%20b.png"); an Obsidian one is "[[" target "]]", without its
 * "|size" or "#part" ("[[image.png]]").
 *
 * An import never removes an attachment it did not bring (a peer may have
 * added it); one it brought before and that no link names any more goes.
 * Targets that are missing, outside the imported folder (by ".." or by a
 * symbolic link), whose path cannot be an attachment name, or larger than
 * the workspace's limit are listed in the report's problems; the page is
 * imported all the same, keeping an attachment of that name it already has.
 */

#define MER_IMPORT_ERROR (mer_import_error_quark ())

typedef enum
{
  MER_IMPORT_ERROR_READ,          /* the file or folder cannot be read */
  MER_IMPORT_ERROR_NOT_UTF8,      /* the text (or its name) is not UTF-8 */
  MER_IMPORT_ERROR_FRONT_MATTER,  /* the YAML block is broken or ill-typed */
  MER_IMPORT_ERROR_BAD_PATH,      /* a page path cannot be a file name */
} MerImportError;

typedef enum
{
  MER_IMPORT_PROBLEM_MISSING,     /* the linked file is not there */
  MER_IMPORT_PROBLEM_REFUSED,     /* outside the folder, unreadable, or its
                                   * path cannot be an attachment name */
  MER_IMPORT_PROBLEM_TOO_LARGE,   /* over the workspace's attachment limit */
} MerImportProblemKind;

/* A link of a page whose target did not become an attachment. */
typedef struct
{
  MerImportProblemKind kind;
  char                *file;    /* the page's file, relative to the folder */
  char                *target;  /* the link target as the Markdown gives it */
  char                *reason;  /* why, for a person */
  gint64               size;    /* TOO_LARGE: the file's size in bytes */
  gboolean             kept;    /* the page keeps the attachment of that
                                 * name it already had */
} MerImportProblem;

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
  /* Attachments. Import: those the imported pages carry, one per page and
   * file (whether their revision is new or not); export: the attachment
   * files written or found identical. */
  guint      att_linked;
  guint      att_new;        /* import: bytes a page did not have before;
                              * export: files created or rewritten */
  guint      att_files;      /* import: distinct files read */
  guint64    att_bytes;      /* import: bytes of those files; export: bytes
                              * of the files written or found identical */
  guint      att_failed;     /* export: attachments not written (in errors) */
  GPtrArray *problems;       /* MerImportProblem *: import only */
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

const char      *mer_import_problem_kind_name (MerImportProblemKind kind);
JsonNode        *mer_import_report_to_json (MerImportReport *report);

char            *mer_export_page_text     (JsonObject      *page);
gboolean         mer_export_write_file    (const char      *dir,
                                           const char      *rel,
                                           const char      *contents,
                                           gboolean        *unchanged,
                                           GError         **error);
gboolean         mer_export_write_bytes   (const char      *dir,
                                           const char      *rel,
                                           const void      *data,
                                           gsize            length,
                                           gboolean        *unchanged,
                                           GError         **error);
gboolean         mer_export_dir           (MerStore        *store,
                                           const char      *dir,
                                           MerImportReport *report,
                                           GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerImportReport, mer_import_report_free)

G_END_DECLS
