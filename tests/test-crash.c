/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kill -9 a `meridian import` at random instants and reopen the replica:
 * it must pass its integrity check, hold each import entirely or not at
 * all, and a later import must complete with every page present.
 */
#include "config.h"

#include "mer-test-util.h"
#include "mer-core.h"
#include "mer-json.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define N_PAGES      2500
#define MIN_KILLS    12
#define MAX_ATTEMPTS 40

static const char * const words[] = {
  "team", "handbook", "async", "review", "proposal", "decision", "focus", "hours",
  "on-call", "rotation", "deadline", "timezone", "overlap", "writing", "context",
  "owner", "incident", "retro", "roadmap", "budget", "hiring", "onboarding",
};

/* Writes N_PAGES pages whose bodies all say "version V". */
static void
write_pages (const char *root,
             guint       version)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < N_PAGES; i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/area-%02u", root, i % 20);
      g_autofree char *file = g_strdup_printf ("%s/page-%04u.md", dir, i);
      FILE *out;

      g_string_printf (text, "---\ntitle: Page %u\nowner: p%u\ntags: [t%u]\n---\nversion %u\n\n",
                       i, i % 7, i % 5, version);
      for (guint w = 0; w < 120; w++)
        g_string_append_printf (text, "%s%s", words[(i * 31 + w * 7) % G_N_ELEMENTS (words)],
                                w % 12 == 11 ? ".\n" : " ");
      /* Plain writes: g_file_set_contents() would fsync every file. */
      g_mkdir_with_parents (dir, 0755);
      out = fopen (file, "w");
      g_assert_nonnull (out);
      g_assert_cmpuint (fwrite (text->str, 1, text->len, out), ==, text->len);
      g_assert_cmpint (fclose (out), ==, 0);
    }
}

static GPid
spawn_import (const char *data,
              const char *pages)
{
  const char *argv[] = { mer_test_meridian_bin (), "--data", data, "import", pages, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid = 0;

  g_spawn_async (NULL, (char **) argv, NULL,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  return pid;
}

/*
 * Reopens the replica after a crash and checks it: integrity, and all
 * pages at one version (an import is one transaction). Returns the number
 * of pages and their version (0 when there are none).
 */
static guint
check_replica (const char *data,
               guint      *version)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = mer_core_open_store (data, &error);
  g_autoptr(JsonArray) pages = NULL;
  int seen = -1;

  g_assert_no_error (error);
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
  pages = mer_store_list_docs (store, "page", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (pages); i++)
    {
      const char *body = mer_json_get_string (json_array_get_object_element (pages, i), "body");
      int v = -1;

      g_assert_nonnull (body);
      g_assert_cmpint (sscanf (body, "version %d", &v), ==, 1);
      if (seen < 0)
        seen = v;
      g_assert_cmpint (v, ==, seen);
    }
  *version = seen < 0 ? 0 : (guint) seen;
  return json_array_get_length (pages);
}

static void
test_kill_during_import (void)
{
  g_autofree char *root = mer_test_make_tmpdir ("crash");
  g_autofree char *pages = g_build_filename (root, "pages", NULL);
  g_autofree char *data = g_build_filename (root, "data", NULL);
  gint64 start, full_ms;
  guint kills = 0, completed = 0, version = 0, count;
  int status;
  GPid pid;

  write_pages (pages, 1);

  /* A first import runs to the end, so later kills hit a replica with
   * content; its duration tells the span to kill inside. */
  start = g_get_monotonic_time ();
  pid = spawn_import (data, pages);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  full_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  g_test_message ("one import of %d pages takes %" G_GINT64_FORMAT " ms", N_PAGES, full_ms);
  g_assert_cmpuint (check_replica (data, &version), ==, N_PAGES);
  g_assert_cmpuint (version, ==, 1);

  for (guint attempt = 1; attempt <= MAX_ATTEMPTS && kills < MIN_KILLS; attempt++)
    {
      /* Up to 1.5 times the first import: updating pages takes longer than
       * creating them, and some imports should finish before the signal. */
      guint delay_ms = g_test_rand_int_range (1, (gint32) MAX (full_ms * 3 / 2, 20));
      guint before = 0, after;

      /* Every attempt changes every page, so every import writes. */
      count = check_replica (data, &before);
      write_pages (pages, attempt + 1);
      pid = spawn_import (data, pages);
      g_usleep (delay_ms * 1000);
      kill (pid, SIGKILL);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_spawn_close_pid (pid);
      if (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL)
        kills++;
      else
        completed++;

      count = check_replica (data, &after);
      g_test_message ("attempt %u: kill after %u ms, %s; %u pages at version %u",
                      attempt, delay_ms, WIFSIGNALED (status) ? "killed" : "had finished", count, after);
      /* All of this import or none of it; never fewer pages. */
      g_assert_cmpuint (count, ==, N_PAGES);
      g_assert_true (after == before || after == attempt + 1);
    }
  g_assert_cmpuint (kills, >=, MIN_KILLS);

  /* After all that, an import runs to the end and every page is there. */
  write_pages (pages, 9999);
  pid = spawn_import (data, pages);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  count = check_replica (data, &version);
  g_assert_cmpuint (count, ==, N_PAGES);
  g_assert_cmpuint (version, ==, 9999);
  g_test_message ("%u kills, %u imports finished before their kill", kills, completed);

  mer_test_rm_rf (root);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/crash/kill-during-import", test_kill_during_import);

  return g_test_run ();
}
