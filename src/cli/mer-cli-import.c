/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-import.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <inttypes.h>

static void
print_errors (MerCliContext   *ctx,
              MerImportReport *report)
{
  for (guint i = 0; i < report->errors->len; i++)
    fprintf (stderr, "meridian %s: %s\n", ctx->command, (const char *) report->errors->pdata[i]);
}

/* One line per link whose file did not come in, naming the page. */
static void
print_problems (MerCliContext   *ctx,
                MerImportReport *report)
{
  for (guint i = 0; i < report->problems->len; i++)
    {
      MerImportProblem *problem = report->problems->pdata[i];
      const char *what;

      switch (problem->kind)
        {
        case MER_IMPORT_PROBLEM_MISSING:
          what = _("missing");
          break;
        case MER_IMPORT_PROBLEM_REFUSED:
          what = _("refused");
          break;
        case MER_IMPORT_PROBLEM_TOO_LARGE:
        default:
          what = _("too large");
          break;
        }
      fprintf (stderr, "meridian %s: %s: %s “%s”: %s%s\n", ctx->command, problem->file, what,
               problem->target, problem->reason,
               problem->kept ? _(" (the workspace's copy is kept)") : "");
    }
}

static guint
count_problems (MerImportReport     *report,
                MerImportProblemKind kind)
{
  guint n = 0;

  for (guint i = 0; i < report->problems->len; i++)
    if (((MerImportProblem *) report->problems->pdata[i])->kind == kind)
      n++;
  return n;
}

typedef gboolean (*FolderFunc) (MerStore         *store,
                                const char       *dir,
                                MerImportReport  *report,
                                GError          **error);

/*
 * What import and export share: one folder argument, the workspace, the
 * per-file report on stderr and a tally on stdout (or the report as JSON).
 * Exits 1 when any file, page or attachment failed; the others are done.
 * A link of an imported page whose file did not come in is listed but
 * is not a failure: the page is imported.
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
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the report as a JSON object"), NULL },
    { NULL }
  };

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
  if (json)
    {
      g_autoptr(JsonNode) node = mer_import_report_to_json (report);

      mer_cli_print_json (node);
      return report->failed > 0 || report->att_failed > 0 ? 1 : 0;
    }
  print_errors (ctx, report);
  print_problems (ctx, report);
  printf (tally_format,
          report->created + report->updated + report->unchanged,
          report->created, report->updated, report->unchanged, report->failed);
  if (func == mer_import_dir)
    /* PRIu64 rather than G_GUINT64_FORMAT: xgettext knows the former. */
    printf (_("Attachments: %u linked, %u new, %u files (%" PRIu64 " bytes); "
              "%u missing, %u refused, %u too large\n"),
            report->att_linked, report->att_new, report->att_files, (uint64_t) report->att_bytes,
            count_problems (report, MER_IMPORT_PROBLEM_MISSING),
            count_problems (report, MER_IMPORT_PROBLEM_REFUSED),
            count_problems (report, MER_IMPORT_PROBLEM_TOO_LARGE));
  else
    printf (_("Attachments: %u files (%" PRIu64 " bytes), %u written, %u unchanged; %u failed\n"),
            report->att_linked, (uint64_t) report->att_bytes, report->att_new,
            report->att_linked - report->att_new, report->att_failed);
  return report->failed > 0 || report->att_failed > 0 ? 1 : 0;
}

/* meridian import DIR: every Markdown file under DIR becomes the page at
 * its relative path. */
int
mer_cli_import (MerCliContext  *ctx,
                int             argc,
                char          **argv)
{
  return run_folder_command (ctx, argc, argv,
                             _("Imports a folder of Markdown files (with optional YAML front matter) as handbook pages, "
                               "with the images and files they link to as their attachments. "
                               "Unchanged pages get no new revision; links whose file is missing, outside DIR "
                               "or too large are listed."),
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
                             _("Writes every handbook page as DIR/<path>.md with YAML front matter, "
                               "and its attachments where its links find them. "
                               "Files that already hold the same bytes are left alone."),
                             mer_export_dir,
                             _("Exported %u pages: %u files new, %u rewritten, %u unchanged; %u pages failed\n"));
}
