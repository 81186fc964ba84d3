/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-test-util.h"
#include "mer-json.h"

#include <glib/gstdio.h>
#include <locale.h>

/*
 * Points every XDG folder at a private temporary folder before anything
 * else runs, so no test ever reads or writes the real home.
 */
void
mer_test_init (int    *argc,
               char ***argv)
{
  g_autofree char *root = g_dir_make_tmp ("meridian-test-XXXXXX", NULL);
  const char *sub[] = { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "HOME" };

  g_assert_nonnull (root);
  for (guint i = 0; i < G_N_ELEMENTS (sub); i++)
    {
      g_autofree char *dir = g_build_filename (root, sub[i], NULL);
      g_mkdir_with_parents (dir, 0700);
      g_setenv (sub[i], dir, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (argc, argv, NULL);
}

char *
mer_test_make_tmpdir (const char *name)
{
  g_autofree char *tmpl = g_strdup_printf ("meridian-%s-XXXXXX", name);
  char *dir = g_dir_make_tmp (tmpl, NULL);

  g_assert_nonnull (dir);
  return dir;
}

void
mer_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          mer_test_rm_rf (child);
        }
    }
  g_remove (path);
}

/* Opens a fresh, empty workspace in a temporary folder. */
MerStore *
mer_test_open_store (char **out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = mer_test_make_tmpdir ("store");
  MerStore *store = mer_store_open (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  if (out_dir != NULL)
    *out_dir = g_steal_pointer (&dir);
  return store;
}

JsonObject *
mer_test_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = mer_json_parse_object (json, -1, &error);

  g_assert_no_error (error);
  return object;
}

const char *
mer_test_source_dir (void)
{
  const char *dir = g_getenv ("MERIDIAN_SOURCE_DIR");

  g_assert_nonnull (dir);
  return dir;
}

const char *
mer_test_meridian_bin (void)
{
  const char *bin = g_getenv ("MERIDIAN_BIN");

  g_assert_nonnull (bin);
  return bin;
}

/* Where a test keeps what a person should look at afterwards. */
char *
mer_test_log_path (const char *file_name)
{
  const char *dir = g_getenv ("MERIDIAN_TEST_LOG_DIR");

  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_mkdir_with_parents (dir, 0755);
  return g_build_filename (dir, file_name, NULL);
}
