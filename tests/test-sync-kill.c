/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `meridian sync` killed with SIGKILL at random points, again and again,
 * while both replicas keep changing: after every kill the replica passes
 * its integrity check and has lost nothing; checkpoints only move forward;
 * and a restarted sync resumes from its checkpoint instead of from zero.
 */

#include "config.h"

#include "mer-test-peer.h"
#include "mer-core.h"

#define N_KILLS        24
#define REMOTE_START   3000
#define LOCAL_START    800
#define BATCH          100

typedef struct
{
  gboolean     done;
  char        *stdout_text;
  char        *stderr_text;
  GSubprocess *child;
  guint        timer;
} ChildRun;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ChildRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result,
                                        &run->stdout_text, &run->stderr_text, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static gboolean
kill_cb (gpointer user_data)
{
  ChildRun *run = user_data;

  run->timer = 0;
  g_subprocess_force_exit (run->child);
  return G_SOURCE_REMOVE;
}

/*
 * Runs `meridian sync` on this process's main context (which serves the
 * remote peer). With kill_after_ms > 0 the child is killed with SIGKILL
 * after that long. Returns the child's exit status or -SIGNAL.
 */
static int
run_sync (const char *data_dir,
          const char *url,
          guint       kill_after_ms,
          char      **out_stdout)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *batch = g_strdup_printf ("%u", BATCH);
  ChildRun run = { FALSE, NULL, NULL, NULL, 0 };
  int status;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                            mer_test_meridian_bin (), "--data", data_dir, "sync", url,
                            "--batch-size", batch, "--json", NULL);
  g_assert_no_error (error);
  run.child = child;
  g_subprocess_communicate_utf8_async (child, NULL, NULL, communicate_cb, &run);
  if (kill_after_ms > 0)
    run.timer = g_timeout_add (kill_after_ms, kill_cb, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  g_clear_handle_id (&run.timer, g_source_remove);
  g_subprocess_wait (child, NULL, NULL);

  if (g_subprocess_get_if_signaled (child))
    status = -g_subprocess_get_term_sig (child);
  else
    {
      status = g_subprocess_get_exit_status (child);
      if (status != 0)
        g_test_message ("sync failed: %s", run.stderr_text);
    }
  if (out_stdout)
    *out_stdout = g_steal_pointer (&run.stdout_text);
  g_free (run.stdout_text);
  g_free (run.stderr_text);
  return status;
}

static void
add_pages (MerStore   *store,
           const char *prefix,
           guint       first,
           guint       count,
           GHashTable *expected)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mer_store_begin (store, &error));
  for (guint i = first; i < first + count; i++)
    {
      g_autoptr(JsonObject) doc = json_object_new ();
      g_autofree char *id = g_strdup_printf ("page:%s-%05u", prefix, i);
      g_autofree char *body = g_strdup_printf ("# %s %u\n\n%s\n", prefix, i,
                                               "Text of about a line to make the document less tiny.");
      char *rev;

      json_object_set_string_member (doc, "_id", id);
      json_object_set_string_member (doc, "type", "page");
      json_object_set_string_member (doc, "title", id + 5);
      json_object_set_string_member (doc, "path", id + 5);
      json_object_set_string_member (doc, "body", body);
      rev = mer_store_put_doc (store, doc, &error);
      g_assert_no_error (error);
      g_hash_table_insert (expected, g_strdup (id), rev);
    }
  g_assert_true (mer_store_commit (store, &error));
}

/*
 * Search on both sides finds the same pages. The command line's pulls
 * leave their pages to be indexed by the next search: killed or not, none
 * may be missing from the index once it has caught up.
 */
static void
assert_same_search (MerStore   *local,
                    MerStore   *remote,
                    const char *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) mine = mer_store_search (local, query, 100000, &error);
  g_autoptr(GPtrArray) theirs = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_no_error (error);
  theirs = mer_store_search (remote, query, 100000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mine->len, >, 0);
  g_assert_cmpuint (mine->len, ==, theirs->len);
  for (guint i = 0; i < mine->len; i++)
    g_hash_table_add (ids, ((MerSearchHit *) mine->pdata[i])->id);
  for (guint i = 0; i < theirs->len; i++)
    g_assert_true (g_hash_table_contains (ids, ((MerSearchHit *) theirs->pdata[i])->id));
  g_assert_cmpint (mer_store_count_unindexed (local), ==, 0);
}

/* Every revision a side wrote must still be there (as a leaf or an ancestor). */
static void
assert_nothing_lost (MerStore   *store,
                     GHashTable *expected)
{
  GHashTableIter iter;
  gpointer id, rev;

  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &id, &rev))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, rev, MER_GET_DEFAULT, &error);

      if (doc == NULL)
        g_error ("%s %s lost: %s", (char *) id, (char *) rev, error->message);
    }
}

/* The last_seq of each checkpoint document in the replica. */
static GHashTable *
read_checkpoints (MerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) docs = mer_store_list_local (store, "_local/", &error);
  GHashTable *seqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (docs); i++)
    {
      JsonObject *doc = json_array_get_object_element (docs, i);

      if (json_object_has_member (doc, "session_id") && json_object_has_member (doc, "last_seq"))
        g_hash_table_insert (seqs, g_strdup (mer_json_get_string (doc, "_id")),
                             GINT_TO_POINTER ((int) json_object_get_int_member (doc, "last_seq")));
    }
  return seqs;
}

static void
test_sync_kill (void)
{
  TestPeer *remote = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GHashTable) remote_expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) local_expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) summary = NULL;
  guint kills = 0;
  guint advanced = 0;
  gint32 max_delay = 250;
  gint64 remote_changes;

  add_pages (remote->store, "remote", 0, REMOTE_START, remote_expected);
  add_pages (local, "local", 0, LOCAL_START, local_expected);

  /* Incremental syncs get quick; a kill only counts if it lands while the
   * sync still runs, so the delay shrinks after a run that finished and
   * grows back after a kill. */
  for (guint round = 0; kills < N_KILLS && round < N_KILLS * 10; round++)
    {
      g_autoptr(GHashTable) now = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MerStore) check = NULL;
      GHashTableIter iter;
      gpointer id, seq;
      int status;

      status = run_sync (dir, remote->url, g_rand_int_range (rand, 1, max_delay + 1), NULL);
      if (status == -SIGKILL)
        {
          kills++;
          max_delay = MIN (250, max_delay + max_delay / 4 + 1);
        }
      else
        {
          g_assert_cmpint (status, ==, 0);
          max_delay = MAX (2, max_delay / 2);
        }

      /* A fresh connection, as the next process would open it. */
      check = mer_core_open_store (dir, &error);
      g_assert_no_error (error);
      g_assert_true (mer_store_check_integrity (check, &error));
      g_assert_no_error (error);
      assert_nothing_lost (check, local_expected);
      assert_nothing_lost (remote->store, remote_expected);

      now = read_checkpoints (check);
      g_hash_table_iter_init (&iter, now);
      while (g_hash_table_iter_next (&iter, &id, &seq))
        {
          gpointer before = 0;

          if (g_hash_table_lookup_extended (last, id, NULL, &before))
            {
              g_assert_cmpint (GPOINTER_TO_INT (seq), >=, GPOINTER_TO_INT (before));
              if (GPOINTER_TO_INT (seq) > GPOINTER_TO_INT (before))
                advanced++;
            }
          else if (GPOINTER_TO_INT (seq) > 0)
            advanced++;
          g_hash_table_insert (last, g_strdup (id), seq);
        }

      /* Both sides keep changing between runs. */
      add_pages (remote->store, "remote", REMOTE_START + round * 40, 40, remote_expected);
      add_pages (local, "local", LOCAL_START + round * 10, 10, local_expected);
    }
  g_test_message ("%u kills, checkpoints advanced %u times", kills, advanced);
  g_assert_cmpuint (kills, >=, 20);
  g_assert_cmpuint (advanced, >, 0);

  /* A run to the end fetches fewer changes than a sync from zero would. */
  remote_changes = mer_store_get_update_seq (remote->store);
  g_assert_cmpint (run_sync (dir, remote->url, 0, &out), ==, 0);
  summary = mer_test_object (out);
  g_test_message ("final run fetched %" G_GINT64_FORMAT " changes of %" G_GINT64_FORMAT,
                  json_object_get_int_member (summary, "changes_fetched"), remote_changes);
  g_assert_cmpint (json_object_get_int_member (summary, "changes_fetched"), <,
                   (gint64) g_hash_table_size (remote_expected));

  assert_nothing_lost (local, remote_expected);
  assert_nothing_lost (local, local_expected);
  assert_nothing_lost (remote->store, local_expected);
  test_assert_same_replica (local, remote->store);
  g_assert_cmpint (mer_store_count_unindexed (local), >, 0);
  assert_same_search (local, remote->store, "tiny");
  g_assert_true (mer_store_check_integrity (local, NULL));

  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/sync/kill", test_sync_kill);

  return g_test_run ();
}
