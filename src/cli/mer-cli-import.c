/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-import.h"

#include <glib/gi18n.h>
#include <stdio.h>

static void
print_errors (MerCliContext   *ctx,
              MerImportReport *report)
{
  for (guint i = 0; i < report->errors->len; i++)
    fprintf (stderr, "meridian %s: %s\n", ctx->command, (const char *) report->errors->pdata[i]);
}

typedef gboolean (*FolderFunc) (MerStore         *store,
                                const char       *dir,
                                MerImportReport  *report,
                                GError          **error);

/*
 * What import and export share: one folder argument, the workspace, the
 * per-file report on stderr and a tally on stdout. Exits 1 when any file
 * or page failed; the others are done.
 */
static int
run_folder_command (MerCliContext  *ctx,
                    int             argc,
                    char          **argv,
                    const char     *summary,
                    FolderFunc      func,
                    const char     *tally_format)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(MerImportReport) report = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = { { NULL } };

  if (!mer_cli_parse (ctx, entries, _("DIR"), summary, &argc, &argv))
    return 1;
  if (argc != 2)
    return mer_cli_fail (ctx, _("expected one folder; see “meridian %s --help”"), ctx->command);

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  report = mer_import_report_new ();
  if (!func (store, argv[1], report, &error))
    {
      print_errors (ctx, report);
      return mer_cli_fail (ctx, "%s", error->message);
    }
  print_errors (ctx, report);
  printf (tally_format,
          report->created + report->updated + report->unchanged,
          report->created, report->updated, report->unchanged, report->failed);
  return report->failed > 0 ? 1 : 0;
}

/* meridian import DIR: every Markdown file under DIR becomes the page at
 * its relative path. */
int
mer_cli_import (MerCliContext  *ctx,
                int             argc,
                char          **argv)
{
  return run_folder_command (ctx, argc, argv,
                             _("Imports a folder of Markdown files (with optional YAML front matter) as handbook pages. "
                               "Unchanged pages get no new revision."),
                             mer_import_dir,
                             _("Imported %u pages: %u new, %u updated, %u unchanged; %u files failed\n"));
}

/* meridian export DIR: writes every page as DIR/<path>.md with its front
 * matter, the layout import reads. */
int
mer_cli_export (MerCliContext  *ctx,
                int             argc,
                char          **argv)
{
  return run_folder_command (ctx, argc, argv,
                             _("Writes every handbook page as DIR/<path>.md with YAML front matter. "
                               "Files that already hold the same text are left alone."),
                             mer_export_dir,
                             _("Exported %u pages: %u files new, %u rewritten, %u unchanged; %u pages failed\n"));
}
