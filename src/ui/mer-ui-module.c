/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "meridian-ui"

#include "config.h"

#include <gmodule.h>

G_MODULE_EXPORT int mer_ui_run (const char *data_dir, int argc, char **argv);

/* The entry point main.c looks up when no subcommand is given. */
G_MODULE_EXPORT int
mer_ui_run (const char  *data_dir,
            int          argc,
            char       **argv)
{
  g_printerr ("The window is not built yet.\n");
  return 1;
}
