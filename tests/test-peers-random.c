/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Three Meridian peers on 127.0.0.1 make a seeded random mix of creates,
 * edits, deletions and concurrent edits, with random pairwise syncs in
 * between; then they sync until quiet. All three must end with identical
 * winners and identical conflict sets, and every revision any of them
 * wrote must still be readable on at least one of them.
 *
 * MERIDIAN_TEST_SEED=N replays a run; MERIDIAN_TEST_OPS=N changes its size.
 */

#include "config.h"

#include "mer-test-peer.h"

#define N_PEERS        3
#define DEFAULT_OPS    2000
#define DEFAULT_SEED   20261122
#define PAGE_LINES     8
#define MAX_QUIET_ROUNDS 12

typedef struct
{
  GRand     *rand;
  TestPeer  *peers[N_PEERS];
  GPtrArray *ids;        /* every id ever created */
  GPtrArray *written;    /* "id\nrev" of every revision the test wrote */
  guint      next_id;
  guint      n_create, n_edit, n_delete, n_concurrent, n_sync;
} World;

static void
record (World      *world,
        const char *id,
        const char *rev)
{
  g_assert_nonnull (rev);
  g_ptr_array_add (world->written, g_strdup_printf ("%s\n%s", id, rev));
}

static char *
page_body (World *world,
           guint  tag)
{
  GString *body = g_string_new ("# A page\n\n");

  for (guint i = 0; i < PAGE_LINES; i++)
    g_string_append_printf (body, "line %u: text %u-%u\n", i, tag, g_rand_int_range (world->rand, 0, 1000));
  return g_string_free (body, FALSE);
}

static void
op_create (World    *world,
           MerStore *store)
{
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;
  gboolean page = g_rand_int_range (world->rand, 0, 10) < 7;
  char *id = g_strdup_printf ("%s:r%05u", page ? "page" : "person", world->next_id++);

  json_object_set_string_member (doc, "_id", id);
  if (page)
    {
      g_autofree char *body = page_body (world, world->next_id);

      json_object_set_string_member (doc, "type", "page");
      json_object_set_string_member (doc, "title", id + 5);
      json_object_set_string_member (doc, "path", id + 5);
      json_object_set_string_member (doc, "body", body);
      json_object_set_string_member (doc, "updated_at", "2026-11-20T00:00:00Z");
    }
  else
    {
      json_object_set_string_member (doc, "type", "person");
      json_object_set_string_member (doc, "name", id + 7);
      json_object_set_string_member (doc, "tz", "Europe/Lisbon");
    }
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  record (world, id, rev);
  g_ptr_array_add (world->ids, id);
  world->n_create++;
}

/* Edits the winner of id on store: one line of a page, a person's note. */
static gboolean
edit_doc (World      *world,
          MerStore   *store,
          const char *id,
          guint       tag)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);
  g_autofree char *rev = NULL;

  if (doc == NULL)
    return FALSE;
  if (g_str_has_prefix (id, "page:"))
    {
      g_auto(GStrv) lines = g_strsplit (mer_json_get_string (doc, "body"), "\n", -1);
      guint n = g_strv_length (lines);
      guint line = g_rand_int_range (world->rand, 0, MAX (n, 1));
      g_autofree char *body = NULL;
      g_autofree char *stamp = NULL;

      g_free (lines[line]);
      lines[line] = g_strdup_printf ("line edited %u by %u", tag, g_rand_int_range (world->rand, 0, 100000));
      body = g_strjoinv ("\n", lines);
      stamp = g_strdup_printf ("2026-11-21T%02u:%02u:00Z", tag % 24, g_rand_int_range (world->rand, 0, 60));
      json_object_set_string_member (doc, "body", body);
      json_object_set_string_member (doc, "updated_at", stamp);
    }
  else
    {
      g_autofree char *note = g_strdup_printf ("note %u", g_rand_int (world->rand));

      json_object_set_string_member (doc, "status_note", note);
    }
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  record (world, id, rev);
  return TRUE;
}

static const char *
random_id (World *world)
{
  if (world->ids->len == 0)
    return NULL;
  return g_ptr_array_index (world->ids, g_rand_int_range (world->rand, 0, world->ids->len));
}

static void
op_delete (World    *world,
           MerStore *store)
{
  const char *id = random_id (world);
  g_autoptr(JsonObject) doc = id ? mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = NULL;

  if (doc == NULL)
    return;
  rev = mer_store_delete_doc (store, id, mer_json_get_string (doc, "_rev"), &error);
  g_assert_no_error (error);
  record (world, id, rev);
  world->n_delete++;
}

static void
sync_pair (World *world,
           guint  i,
           guint  j,
           guint *moved)
{
  TestSyncResult res = test_sync (world->peers[i]->store, world->peers[j]->url,
                                  MER_REPLICATOR_BOTH, 0);

  g_assert_no_error (res.error);
  if (moved)
    *moved += res.written + res.merged;
  world->n_sync++;
}

static gboolean
revision_reachable (World      *world,
                    const char *entry)
{
  g_auto(GStrv) parts = g_strsplit (entry, "\n", 2);

  for (guint k = 0; k < N_PEERS; k++)
    {
      const char *revs[] = { parts[1], NULL };
      g_autoptr(JsonObject) doc = mer_store_get_doc (world->peers[k]->store, parts[0], parts[1],
                                                     MER_GET_DEFAULT, NULL);
      g_autoptr(JsonArray) open = NULL;

      if (doc != NULL)
        return TRUE;
      /* A tombstone is reachable through open_revs. */
      open = mer_store_open_revs (world->peers[k]->store, parts[0], revs, FALSE, NULL);
      if (open != NULL && json_array_get_length (open) == 1
          && json_object_has_member (json_array_get_object_element (open, 0), "ok"))
        return TRUE;
    }
  return FALSE;
}

static void
test_peers_random (void)
{
  const char *seed_env = g_getenv ("MERIDIAN_TEST_SEED");
  const char *ops_env = g_getenv ("MERIDIAN_TEST_OPS");
  guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : DEFAULT_SEED;
  guint n_ops = ops_env ? (guint) g_ascii_strtoull (ops_env, NULL, 10) : DEFAULT_OPS;
  World world = { 0 };
  guint ops = 0;
  guint rounds = 0;
  guint unreachable = 0;
  guint64 total_conflicted = 0;

  g_test_message ("seed %u, %u operations", seed, n_ops);
  world.rand = g_rand_new_with_seed (seed);
  world.ids = g_ptr_array_new_with_free_func (g_free);
  world.written = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < N_PEERS; k++)
    world.peers[k] = test_peer_new (NULL, NULL);

  while (ops < n_ops)
    {
      guint p = g_rand_int_range (world.rand, 0, N_PEERS);
      MerStore *store = world.peers[p]->store;
      int dice = g_rand_int_range (world.rand, 0, 100);

      if (dice < 20 || world.ids->len < 5)
        op_create (&world, store);
      else if (dice < 55)
        {
          const char *id = random_id (&world);

          if (!edit_doc (&world, store, id, ops))
            op_create (&world, store);
          else
            world.n_edit++;
        }
      else if (dice < 63)
        op_delete (&world, store);
      else if (dice < 75)
        {
          /* The same document edited on two peers before they sync. */
          guint q = (p + 1 + g_rand_int_range (world.rand, 0, N_PEERS - 1)) % N_PEERS;
          const char *id = random_id (&world);

          if (edit_doc (&world, store, id, ops) && edit_doc (&world, world.peers[q]->store, id, ops))
            world.n_concurrent++;
        }
      else
        {
          guint q = (p + 1 + g_rand_int_range (world.rand, 0, N_PEERS - 1)) % N_PEERS;

          sync_pair (&world, p, q, NULL);
          continue;
        }
      ops++;
    }

  /* Sync every pair until a whole round moves nothing. */
  for (rounds = 1; rounds <= MAX_QUIET_ROUNDS; rounds++)
    {
      guint moved = 0;

      for (guint i = 0; i < N_PEERS; i++)
        for (guint j = i + 1; j < N_PEERS; j++)
          sync_pair (&world, i, j, &moved);
      if (moved == 0)
        break;
    }
  g_test_message ("%u creates, %u edits, %u deletions, %u concurrent edits, %u syncs; quiet after %u rounds",
                  world.n_create, world.n_edit, world.n_delete, world.n_concurrent, world.n_sync, rounds);
  g_assert_cmpuint (rounds, <=, MAX_QUIET_ROUNDS);
  g_assert_cmpuint (world.n_create + world.n_edit + world.n_delete + world.n_concurrent, >=, n_ops * 9 / 10);
  g_assert_cmpuint (world.n_concurrent, >, 0);

  for (guint k = 1; k < N_PEERS; k++)
    test_assert_same_replica (world.peers[0]->store, world.peers[k]->store);
  for (guint k = 0; k < N_PEERS; k++)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) conflicted = mer_store_list_conflicted (world.peers[k]->store, &error);

      g_assert_no_error (error);
      if (k == 0)
        total_conflicted = g_strv_length (conflicted);
      g_assert_cmpuint (g_strv_length (conflicted), ==, total_conflicted);
      g_assert_true (mer_store_check_integrity (world.peers[k]->store, &error));
      g_assert_no_error (error);
    }
  g_test_message ("%" G_GUINT64_FORMAT " documents left in conflict (overlapping edits)", total_conflicted);

  for (guint i = 0; i < world.written->len; i++)
    if (!revision_reachable (&world, g_ptr_array_index (world.written, i)))
      {
        g_test_message ("unreachable: %s", (char *) g_ptr_array_index (world.written, i));
        unreachable++;
      }
  g_test_message ("%u revisions written, %u unreachable", world.written->len, unreachable);
  g_assert_cmpuint (unreachable, ==, 0);

  for (guint k = 0; k < N_PEERS; k++)
    test_peer_free (world.peers[k]);
  g_ptr_array_unref (world.ids);
  g_ptr_array_unref (world.written);
  g_rand_free (world.rand);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/peers/random", test_peers_random);

  return g_test_run ();
}
