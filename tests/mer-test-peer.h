/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * In-process Meridian peers for the sync tests: a temporary workspace
 * served by a MerServer on 127.0.0.1 (a port it picks), and a helper that
 * runs one replication to completion on the test's main context. Header
 * only, so that each sync test program can include it.
 */
#pragma once

#include "mer-json.h"
#include "mer-merge.h"
#include "mer-peers.h"
#include "mer-replicator.h"
#include "mer-server.h"
#include "mer-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char        *dir;
  MerStore    *store;
  MerAccounts *accounts;
  MerServer   *server;
  char        *url;       /* database URL, with credentials if any */
} TestPeer;

typedef struct
{
  gboolean  done;
  GError   *error;
  guint64   read;
  guint64   written;
  guint64   changes;
  guint     merged;
} TestSyncResult;

G_GNUC_UNUSED static TestPeer *
test_peer_new (const char *username,
               const char *password)
{
  TestPeer *peer = g_new0 (TestPeer, 1);
  g_autoptr(GError) error = NULL;

  peer->store = mer_test_open_store (&peer->dir);
  peer->accounts = mer_accounts_new (peer->dir);
  if (username != NULL)
    {
      mer_accounts_add (peer->accounts, username, password, MER_ROLE_RW, NULL, &error);
      g_assert_no_error (error);
    }
  peer->server = mer_server_new (peer->store, peer->accounts);
  mer_store_watch_others (peer->store, 10);
  mer_server_listen (peer->server, "127.0.0.1:0", NULL, &error);
  g_assert_no_error (error);
  if (username != NULL)
    peer->url = g_strdup_printf ("http://%s:%s@127.0.0.1:%u/%s", username, password,
                                 mer_server_get_port (peer->server), mer_store_get_name (peer->store));
  else
    peer->url = g_strdup_printf ("http://127.0.0.1:%u/%s", mer_server_get_port (peer->server),
                                 mer_store_get_name (peer->store));
  return peer;
}

G_GNUC_UNUSED static void
test_peer_free (TestPeer *peer)
{
  mer_server_stop (peer->server);
  g_clear_object (&peer->server);
  g_clear_object (&peer->accounts);
  g_clear_object (&peer->store);
  mer_test_rm_rf (peer->dir);
  g_free (peer->dir);
  g_free (peer->url);
  g_free (peer);
}

static void
test_sync_done_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TestSyncResult *res = user_data;

  mer_replicator_run_finish (MER_REPLICATOR (object), result, &res->error);
  res->done = TRUE;
}

/*
 * Runs one replication of store against url on this thread's main
 * context, which also serves the in-process peers, until it completes.
 */
G_GNUC_UNUSED static TestSyncResult
test_sync (MerStore               *store,
           const char             *url,
           MerReplicatorDirection  direction,
           guint                   batch_size)
{
  TestSyncResult res = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MerReplicator) replicator = mer_replicator_new (store, url, &error);

  g_assert_no_error (error);
  mer_replicator_set_direction (replicator, direction);
  if (batch_size > 0)
    mer_replicator_set_batch_size (replicator, batch_size);
  mer_replicator_run_async (replicator, NULL, test_sync_done_cb, &res);
  while (!res.done)
    g_main_context_iteration (NULL, TRUE);
  res.read = mer_replicator_get_docs_read (replicator);
  res.written = mer_replicator_get_docs_written (replicator);
  res.changes = mer_replicator_get_changes_fetched (replicator);
  res.merged = mer_replicator_get_conflicts_merged (replicator);
  return res;
}

static int
test_compare_strp (const void *a,
                   const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Every document's leaves (deleted ones too), winner first, as text. */
G_GNUC_UNUSED static GHashTable *
test_store_leaves (MerStore *store)
{
  g_autoptr(GError) error = NULL;
  gint64 last = 0;
  g_autoptr(JsonArray) rows = mer_store_changes (store, 0, 0, TRUE, FALSE, &last, &error);
  GHashTable *leaves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      const char *id = mer_json_get_string (json_array_get_object_element (rows, i), "id");
      g_auto(GStrv) revs = mer_store_get_leaf_revs (store, id, TRUE, &error);
      g_auto(GStrv) conflicts = mer_store_get_conflicts (store, id, &error);
      g_autofree char *joined = NULL;
      g_autofree char *conflicted = NULL;

      g_assert_no_error (error);
      /* Winner first, the other leaves sorted, then the conflict set. */
      if (revs[0] != NULL)
        qsort (revs + 1, g_strv_length (revs) - 1, sizeof (char *), test_compare_strp);
      joined = g_strjoinv (" ", revs);
      conflicted = g_strjoinv (" ", conflicts);
      g_hash_table_insert (leaves, g_strdup (id), g_strdup_printf ("%s | %s", joined, conflicted));
    }
  return leaves;
}

/* Asserts that two replicas hold the same documents, leaves and winners. */
G_GNUC_UNUSED static void
test_assert_same_replica (MerStore *a,
                          MerStore *b)
{
  g_autoptr(GHashTable) la = test_store_leaves (a);
  g_autoptr(GHashTable) lb = test_store_leaves (b);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, la);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *other = g_hash_table_lookup (lb, key);

      if (g_strcmp0 (value, other) != 0)
        g_error ("replicas differ on %s: %s vs %s", (char *) key, (char *) value,
                 other ? other : "(missing)");
    }
  g_assert_cmpuint (g_hash_table_size (la), ==, g_hash_table_size (lb));
}
