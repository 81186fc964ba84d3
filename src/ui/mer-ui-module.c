/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-application.h"
#include "mer-ui-util.h"

#include <glib/gi18n.h>
#include <gmodule.h>
#include <locale.h>

G_MODULE_EXPORT int mer_ui_run (const char *data_dir, int argc, char **argv);

/* The entry point main.c looks up when no subcommand is given. */
G_MODULE_EXPORT int
mer_ui_run (const char  *data_dir,
            int          argc,
            char       **argv)
{
  g_autoptr(MerApplication) app = NULL;
  int status;

  mer_ui_bench_mark ("module-loaded");
  setlocale (LC_ALL, "");
  /* MERIDIAN_LOCALEDIR: the translations built in the build folder
   * (build/po), for tests and a run before installing. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("MERIDIAN_LOCALEDIR") ? g_getenv ("MERIDIAN_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("Meridian"));

  app = mer_application_new (data_dir);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : mer_application_get_failed (app) ? 1 : 0;
}
