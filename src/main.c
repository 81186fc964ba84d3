/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "meridian"

#include "config.h"

#include "mer-cli.h"

#include <gmodule.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef int (*MerUiRunFunc) (const char *data_dir, int argc, char **argv);

/*
 * Finds the window module: next to the program when run from the build
 * folder, else where it was installed. MERIDIAN_UI_MODULE overrides both.
 */
static char *
find_ui_module (void)
{
  const char *env = g_getenv ("MERIDIAN_UI_MODULE");
  g_autofree char *exe = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *candidate = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL)
    {
      dir = g_path_get_dirname (exe);
      candidate = g_build_filename (dir, "ui", "libmeridian-ui.so", NULL);
      if (g_file_test (candidate, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&candidate);
    }
  return g_build_filename (MODULEDIR, "libmeridian-ui.so", NULL);
}

static int
run_window (const char *data_dir,
            int         argc,
            char      **argv)
{
  g_autofree char *path = find_ui_module ();
  GModule *module;
  MerUiRunFunc run = NULL;

  module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      fprintf (stderr, "meridian: cannot load the window module: %s\n", g_module_error ());
      return 1;
    }
  if (!g_module_symbol (module, "mer_ui_run", (gpointer *) &run) || run == NULL)
    {
      fprintf (stderr, "meridian: the window module %s has no entry point\n", path);
      return 1;
    }
  /* The module stays loaded for the life of the process. */
  return run (data_dir, argc, argv);
}

/*
 * The commands that move thousands of documents through json-glib, whose
 * every node is a small block from GLib's slice allocator.
 */
static gboolean
moves_many_documents (const char *command)
{
  return strcmp (command, "sync") == 0 || strcmp (command, "serve") == 0
         || strcmp (command, "import") == 0;
}

/*
 * GLib before 2.76 hands small blocks out of its own slice allocator,
 * which is slow when two threads each build and free many JSON trees: a
 * pull spent about a fifth of its CPU in it. GLib 2.76 and later use
 * malloc instead. The choice is made by GLib's constructors, before main()
 * runs, from the G_SLICE variable, so these commands run themselves again
 * once with it set. Nothing changes when G_SLICE is already set (by the
 * user, or by this), or when the program cannot be run again.
 */
static void
reexec_with_malloc_slices (char **argv)
{
  if (glib_check_version (2, 76, 0) == NULL || g_getenv ("G_SLICE") != NULL)
    return;
  if (!g_setenv ("G_SLICE", "always-malloc", TRUE))
    return;
  execv ("/proc/self/exe", argv);
  g_unsetenv ("G_SLICE");
}

int
main (int    argc,
      char **argv)
{
  const char *data_dir = NULL;
  int i = 1;

  /* Skip the global options to see whether a subcommand follows. */
  while (i < argc)
    {
      if (strcmp (argv[i], "--data") == 0 && i + 1 < argc)
        {
          data_dir = argv[i + 1];
          i += 2;
        }
      else if (g_str_has_prefix (argv[i], "--data="))
        {
          data_dir = argv[i] + strlen ("--data=");
          i++;
        }
      else
        break;
    }

  if (i < argc && (argv[i][0] != '-' || strcmp (argv[i], "--help") == 0
                   || strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--version") == 0))
    {
      if (moves_many_documents (argv[i]))
        {
          /* Not sync: running the program again costs every sync a
           * second start (loading and linking some thirty libraries,
           * about 6 ms), which was a sixth of a sync that finds nothing
           * to do, the usual one. Its pulls are bound by the peer and by
           * writing, not by the allocator: a pull of 10,000 documents
           * from CouchDB took the same time either way, with about 10%
           * more CPU on GLib's slices. */
          if (strcmp (argv[i], "sync") != 0)
            reexec_with_malloc_slices (argv);
          /* No fast bins: with them, each block of a kilobyte or more that
           * a batch allocates first sweeps up every small block freed
           * since, which took about a tenth of a pull's CPU. */
          mallopt (M_MXFAST, 0);
        }
      return mer_cli_run (argc, argv);
    }

  /* The window sees the program name and whatever followed --data. */
  {
    g_autofree char **window_argv = g_new0 (char *, argc - i + 2);

    window_argv[0] = argv[0];
    for (int j = i; j < argc; j++)
      window_argv[j - i + 1] = argv[j];
    return run_window (data_dir, argc - i + 1, window_argv);
  }
}
