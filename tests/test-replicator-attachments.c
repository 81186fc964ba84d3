/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The replicator with attachments, between in-process Meridian peers on
 * 127.0.0.1: pull and push with identical digests, stubs for what the
 * other side has, a conflict where each side added a different image,
 * and large attachments in split requests.
 */

#include "config.h"

#include "mer-test-peer.h"
#include "mer-store-attachments.h"

static char *
put_page (MerStore   *store,
          const char *id)
{
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autoptr(GError) error = NULL;
  char *rev;

  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", id + 5);
  json_object_set_string_member (doc, "path", id + 5);
  json_object_set_string_member (doc, "body", "![logo](logo.png)");
  json_object_set_string_member (doc, "updated_at", "2026-11-20T10:00:00Z");
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
  return rev;
}

static char *
attach (MerStore   *store,
        const char *id,
        const char *name,
        GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);
  char *rev;

  g_assert_no_error (error);
  rev = mer_store_put_attachment (store, id, mer_json_get_string (doc, "_rev"), name, "image/png", bytes, &error);
  g_assert_no_error (error);
  return rev;
}

static GBytes *
image (guint seed,
       gsize size)
{
  guint8 *data = g_malloc (size);
  GRand *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (data, size);
}

/* The attachment @name of @id at @rev reads back as @bytes, with the digest of @bytes. */
static void
assert_attachment (MerStore   *store,
                   const char *id,
                   const char *rev,
                   const char *name,
                   GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerAttachment) att = mer_store_get_attachment (store, id, rev, name, &error);
  g_autoptr(GBytes) read = NULL;
  g_autofree char *digest = mer_attachment_digest (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_assert_no_error (error);
  g_assert_cmpstr (att->digest, ==, digest);
  read = mer_store_read_blob (store, att->blob, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read, bytes));
}

static void
test_pull_push (void)
{
  TestPeer *remote = test_peer_new ("peer", "pass word");
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GBytes) logo = image (1, 100 * 1024);
  g_autoptr(GBytes) photo = image (2, 300 * 1024);
  g_autoptr(GError) error = NULL;
  TestSyncResult res;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("page:p%02u", i);
      g_autofree char *rev = put_page (remote->store, id);
      g_autofree char *rev2 = attach (remote->store, id, "logo.png", logo);
    }
  res = test_sync (local, remote->url, MER_REPLICATOR_PULL, 7);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 20);
  test_assert_same_replica (local, remote->store);
  assert_attachment (local, "page:p13", NULL, "logo.png", logo);
  /* Twenty pages, one logo kept. */
  g_assert_cmpint (mer_store_count_blobs (local, NULL), ==, 1);

  /* A new attachment here, and an edit of the text only, go back. */
  {
    g_autofree char *rev = attach (local, "page:p03", "photo.png", photo);
    g_autoptr(JsonObject) doc = mer_store_get_doc (local, "page:p04", NULL, MER_GET_DEFAULT, &error);
    g_autofree char *rev2 = NULL;

    json_object_set_string_member (doc, "body", "edited, the logo kept as a stub");
    rev2 = mer_store_put_doc (local, doc, &error);
    g_assert_no_error (error);
  }
  res = test_sync (local, remote->url, MER_REPLICATOR_PUSH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 2);
  test_assert_same_replica (local, remote->store);
  assert_attachment (remote->store, "page:p03", NULL, "photo.png", photo);
  assert_attachment (remote->store, "page:p03", NULL, "logo.png", logo);
  assert_attachment (remote->store, "page:p04", NULL, "logo.png", logo);

  /* Nothing changed: nothing moves. */
  res = test_sync (local, remote->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 0);
  g_assert_true (mer_store_check_integrity (local, NULL));
  g_assert_true (mer_store_check_integrity (remote->store, NULL));
  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

/* Whether some leaf of @id has the attachment @name as @bytes. */
static gboolean
leaf_has (MerStore   *store,
          const char *id,
          const char *name,
          GBytes     *bytes)
{
  g_auto(GStrv) leaves = mer_store_get_leaf_revs (store, id, FALSE, NULL);

  for (guint i = 0; leaves != NULL && leaves[i] != NULL; i++)
    {
      g_autoptr(MerAttachment) att = mer_store_get_attachment (store, id, leaves[i], name, NULL);
      g_autoptr(GBytes) read = att != NULL ? mer_store_read_blob (store, att->blob, NULL) : NULL;

      if (read != NULL && g_bytes_equal (read, bytes))
        return TRUE;
    }
  return FALSE;
}

static void
test_conflict_keeps_both (void)
{
  TestPeer *a = test_peer_new (NULL, NULL);
  TestPeer *b = test_peer_new (NULL, NULL);
  g_autoptr(GBytes) image_a = image (3, 50 * 1024);
  g_autoptr(GBytes) image_b = image (4, 60 * 1024);
  g_autofree char *rev = put_page (a->store, "page:shared");
  g_autofree char *rev_a = NULL;
  g_autofree char *rev_b = NULL;
  TestSyncResult res;

  res = test_sync (b->store, a->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  /* Each side adds its own image to the same page between syncs. */
  rev_a = attach (a->store, "page:shared", "from-a.png", image_a);
  rev_b = attach (b->store, "page:shared", "from-b.png", image_b);
  res = test_sync (b->store, a->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  res = test_sync (a->store, b->url, MER_REPLICATOR_BOTH, 0);
  g_assert_no_error (res.error);
  test_assert_same_replica (a->store, b->store);

  /* Both images are kept on both sides, whether merged or in conflict. */
  g_assert_true (leaf_has (a->store, "page:shared", "from-a.png", image_a));
  g_assert_true (leaf_has (a->store, "page:shared", "from-b.png", image_b));
  g_assert_true (leaf_has (b->store, "page:shared", "from-a.png", image_a));
  g_assert_true (leaf_has (b->store, "page:shared", "from-b.png", image_b));
  /* The page's text did not clash, so the merge keeps both images in
   * the winner, the same on both sides. */
  assert_attachment (a->store, "page:shared", NULL, "from-a.png", image_a);
  assert_attachment (a->store, "page:shared", NULL, "from-b.png", image_b);
  assert_attachment (b->store, "page:shared", NULL, "from-a.png", image_a);
  assert_attachment (b->store, "page:shared", NULL, "from-b.png", image_b);
  g_assert_true (mer_store_check_integrity (a->store, NULL));
  g_assert_true (mer_store_check_integrity (b->store, NULL));
  test_peer_free (a);
  test_peer_free (b);
}

/* Attachments whose base64 passes one request's size go in several. */
static void
test_large (void)
{
  TestPeer *remote = test_peer_new (NULL, NULL);
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(MerStore) back = NULL;
  g_autofree char *back_dir = NULL;
  GBytes *big[3] = { image (5, 15 * 1024 * 1024), image (6, 15 * 1024 * 1024), image (7, 15 * 1024 * 1024) };
  TestSyncResult res;

  for (guint i = 0; i < G_N_ELEMENTS (big); i++)
    {
      g_autofree char *id = g_strdup_printf ("page:big%u", i);
      g_autofree char *rev = put_page (local, id);
      g_autofree char *rev2 = attach (local, id, "scan.png", big[i]);
    }
  res = test_sync (local, remote->url, MER_REPLICATOR_PUSH, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 3);
  assert_attachment (remote->store, "page:big2", NULL, "scan.png", big[2]);

  back = mer_test_open_store (&back_dir);
  res = test_sync (back, remote->url, MER_REPLICATOR_PULL, 0);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.written, ==, 3);
  assert_attachment (back, "page:big0", NULL, "scan.png", big[0]);
  test_assert_same_replica (back, local);
  for (guint i = 0; i < G_N_ELEMENTS (big); i++)
    g_bytes_unref (big[i]);
  test_peer_free (remote);
  mer_test_rm_rf (dir);
  mer_test_rm_rf (back_dir);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  g_test_add_func ("/replicator-attachments/pull-push", test_pull_push);
  g_test_add_func ("/replicator-attachments/conflict-keeps-both", test_conflict_keeps_both);
  g_test_add_func ("/replicator-attachments/large", test_large);
  return g_test_run ();
}
