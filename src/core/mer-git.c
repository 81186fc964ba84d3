/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-git.h"

#include <gio/gio.h>
#include <gmodule.h>

/*
 * Opens libgit2 once, initialises it and looks up the functions in MerGit.
 * A failure is remembered and reported the same way to every caller.
 */
const MerGit *
mer_git_get (GError **error)
{
  static gsize done = 0;
  static MerGit git;
  static gboolean ok = FALSE;
  static char *failure = NULL;

  if (g_once_init_enter (&done))
    {
      GModule *module = g_module_open (LIBGIT2_SONAME, G_MODULE_BIND_LOCAL);
      int (*init) (void) = NULL;
      struct { const char *name; gpointer *slot; } symbols[] = {
        { "git_libgit2_init", (gpointer *) &init },
        { "git_merge_file", (gpointer *) &git.merge_file },
        { "git_merge_file_result_free", (gpointer *) &git.merge_file_result_free },
        { "git_patch_from_buffers", (gpointer *) &git.patch_from_buffers },
        { "git_patch_to_buf", (gpointer *) &git.patch_to_buf },
        { "git_buf_dispose", (gpointer *) &git.buf_dispose },
        { "git_patch_free", (gpointer *) &git.patch_free },
      };

      ok = module != NULL;
      if (!ok)
        failure = g_strdup_printf ("cannot load %s: %s", LIBGIT2_SONAME, g_module_error ());
      for (guint i = 0; ok && i < G_N_ELEMENTS (symbols); i++)
        if (!g_module_symbol (module, symbols[i].name, symbols[i].slot) || *symbols[i].slot == NULL)
          {
            failure = g_strdup_printf ("%s has no %s", LIBGIT2_SONAME, symbols[i].name);
            ok = FALSE;
          }
      if (ok)
        {
          /* Stays loaded and initialised for the life of the process. */
          g_module_make_resident (module);
          init ();
        }
      g_once_init_leave (&done, 1);
    }

  if (!ok)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, failure);
      return NULL;
    }
  return &git;
}
