/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-test-util.h"
#include "mer-core.h"
#include "mer-json.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <sys/wait.h>
#include <unistd.h>

/* The test's private folder, and the process that made it. */
static char *test_root;
static pid_t test_root_owner;

/*
 * Takes the private folder away when the test exits normally. A test that
 * fails aborts instead, which leaves its files for a person to look at.
 */
static void
remove_test_root (void)
{
  if (test_root != NULL && getpid () == test_root_owner && g_getenv ("MERIDIAN_TEST_KEEP") == NULL)
    mer_test_rm_rf (test_root);
}

/*
 * Points every XDG folder at a private temporary folder before anything
 * else runs, so no test ever reads or writes the real home.
 */
void
mer_test_init (int    *argc,
               char ***argv)
{
  const char *sub[] = { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "HOME" };

  test_root = g_dir_make_tmp ("meridian-test-XXXXXX", NULL);
  g_assert_nonnull (test_root);
  test_root_owner = getpid ();
  atexit (remove_test_root);
  for (guint i = 0; i < G_N_ELEMENTS (sub); i++)
    {
      g_autofree char *dir = g_build_filename (test_root, sub[i], NULL);
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
  const char *base = test_root != NULL ? test_root : g_get_tmp_dir ();
  char *dir = g_mkdtemp (g_strdup_printf ("%s/%s-XXXXXX", base, name));

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
  MerStore *store = mer_core_open_store (dir, &error);

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

/*
 * Runs the built `meridian --data DATA_DIR` with the NULL-terminated
 * arguments, as a person would from a shell. Returns the exit status (-1
 * if it did not exit normally); the output is kept in the test log.
 */
int
mer_test_run_meridian (const char  *data_dir,
                       char       **out,
                       char       **err,
                       const char  *first,
                       ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  const char *arg;
  int status = -1;
  va_list ap;

  g_ptr_array_add (argv, (char *) mer_test_meridian_bin ());
  g_ptr_array_add (argv, (char *) "--data");
  g_ptr_array_add (argv, (char *) data_dir);
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out_text, &err_text, &status, &error);
  g_assert_no_error (error);
  g_test_message ("stdout: %s\nstderr: %s", out_text, err_text);
  if (out != NULL)
    *out = g_steal_pointer (&out_text);
  if (err != NULL)
    *err = g_steal_pointer (&err_text);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/*
 * Starts this test program again as `PROGRAM MODE DIR` and reads its
 * standard output until it prints @line (a child that dies first fails
 * the test). Used to crash a process that is part-way through its work.
 */
GSubprocess *
mer_test_spawn_self_until (const char *mode,
                           const char *dir,
                           const char *line)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *read = NULL;
  GSubprocess *child;

  g_assert_nonnull (self_exe);
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_exe, mode, dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  do
    {
      g_free (read);
      read = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  while (read != NULL && !g_str_equal (read, line));
  g_assert_cmpstr (read, ==, line);
  return child;
}

/* Kills @child with SIGKILL, as a crash or a power cut would, and checks
 * that it is what ended it. */
void
mer_test_kill_hard (GSubprocess *child)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);
}

/*
 * Runs `meridian ARGS…` with @input on its standard input, as a person
 * typing a password would; returns its exit status and, if @out is not
 * NULL, its standard output. Both outputs are kept in the test log.
 */
int
mer_test_run_meridian_input (const char  *input,
                             char       **out,
                             const char  *first,
                             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input_path = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (char *) mer_test_meridian_bin ());
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  /* From a file: a command that refuses its arguments never reads it. */
  input_path = g_build_filename (g_get_user_cache_dir (), "meridian-stdin", NULL);
  g_assert_true (g_file_set_contents (input_path, input, -1, NULL));
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_stdin_file_path (launcher, input_path);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out_text, &err_text, &error);
  g_unlink (input_path);
  g_assert_no_error (error);
  g_test_message ("%s %s\nstdout: %s\nstderr: %s", first, argv->len > 2 ? (char *) argv->pdata[1] : "",
                  out_text, err_text);
  if (out != NULL)
    *out = g_steal_pointer (&out_text);
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} SpinningRun;

static void
spinning_run_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SpinningRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

/*
 * Runs `meridian ARGS…` with @input (or nothing) on its standard input
 * while this thread's main context keeps running, so that servers of this
 * process answer it. Returns its exit status (-1 if it did not exit
 * normally); the outputs go to the test log and to @out and @err.
 */
int
mer_test_run_meridian_spinning (const char  *input,
                                char       **out,
                                char       **err,
                                const char  *first,
                                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  SpinningRun run = { FALSE, NULL, NULL };
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, (char *) mer_test_meridian_bin ());
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input != NULL ? input : "", NULL, spinning_run_cb, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  g_test_message ("meridian %s %s: exit %d\nstdout: %s\nstderr: %s", first,
                  argv->len > 5 ? (char *) argv->pdata[4] : "", status, run.out, run.err);
  if (out != NULL)
    *out = run.out;
  else
    g_free (run.out);
  if (err != NULL)
    *err = run.err;
  else
    g_free (run.err);
  return status;
}
