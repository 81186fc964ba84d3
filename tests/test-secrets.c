/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Peer passwords in the Secret Service: with no keyring on the bus, then
 * with a real one (gnome-keyring-daemon on the test's private bus). The
 * tests run in order: the first ones have no keyring, the others start it.
 */

#include "config.h"

#include "mer-peers.h"
#include "mer-secrets.h"
#include "mer-test-keyring.h"
#include "mer-test-peer.h"

#include <libsecret/secret.h>

static MerTestKeyring *keyring;

static char *
read_peers_file (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, MER_PEERS_FILE_NAME, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static void
write_peers_file (const char *dir,
                  const char *text)
{
  g_autofree char *path = g_build_filename (dir, MER_PEERS_FILE_NAME, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
}

/* A peers.json as versions before the keyring wrote it. */
static const char old_peers[] =
  "{\"peers\":[{\"url\":\"https://hub.example.org/handbook\",\"username\":\"ana\",\"password\":\"old-secret-1\"},"
  "{\"url\":\"http://10.0.0.2:5984/handbook\",\"username\":\"bo\",\"password\":\"old-secret-2\"},"
  "{\"url\":\"http://10.0.0.3:5984/handbook\"}]}";

/* One password from before the keyring, one kept in the file when no
 * keyring answered. */
static const char mixed_peers[] =
  "{\"peers\":[{\"url\":\"https://hub.example.org/handbook\",\"username\":\"ana\",\"password\":\"old-secret-1\"},"
  "{\"url\":\"http://10.0.0.2:5984/handbook\",\"username\":\"bo\",\"password_in\":\"file\","
  "\"password\":\"kept-secret-2\"}]}";

static void
ensure_keyring (void)
{
  if (keyring == NULL)
    keyring = mer_test_keyring_start ();
}

/* No Secret Service on the bus: nothing is saved without consent. */
static void
test_no_keyring (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("no-keyring");
  g_autoptr(GError) error = NULL;
  g_autoptr(MerPeer) peer = NULL;
  g_autofree char *text = NULL;
  g_autofree char *after = NULL;
  guint moved = 99;

  g_assert_null (keyring);
  g_assert_false (mer_secrets_check (&error));
  g_assert_error (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING);
  g_test_message ("no keyring: %s", error->message);
  g_assert_null (strstr (error->message, "org.freedesktop"));
  g_clear_error (&error);

  /* Without consent the peer is not added, and no file is written. */
  g_assert_false (mer_peers_add (dir, "https://hub.example.org/handbook", "ana", "pw-1", FALSE, &error));
  g_assert_error (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING);
  g_clear_error (&error);
  g_assert_null (read_peers_file (dir));

  /* A peer without a password needs no keyring. */
  g_assert_true (mer_peers_add (dir, "http://10.0.0.9:5984/handbook", NULL, NULL, FALSE, &error));
  g_assert_no_error (error);

  /* With consent, the 0600 file, saying so. */
  g_assert_true (mer_peers_add (dir, "https://hub.example.org/handbook", "ana", "pw-1", TRUE, &error));
  g_assert_no_error (error);
  text = read_peers_file (dir);
  g_assert_nonnull (strstr (text, "\"password_in\" : \"file\""));
  g_assert_nonnull (strstr (text, "pw-1"));
  peer = mer_peers_lookup (dir, "https://hub.example.org/handbook");
  g_assert_cmpint (peer->password_in, ==, MER_PASSWORD_FILE);
  g_assert_cmpstr (peer->password, ==, "pw-1");

  /* Old passwords cannot move: the file stays exactly as it was. */
  write_peers_file (dir, old_peers);
  g_assert_cmpuint (mer_peers_count_unmoved (dir), ==, 2);
  g_assert_false (mer_peers_move_to_keyring (dir, &moved, &error));
  g_assert_error (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING);
  g_clear_error (&error);
  g_assert_cmpuint (moved, ==, 0);
  after = read_peers_file (dir);
  g_assert_cmpstr (after, ==, old_peers);

  /* Keep in File: consent recorded, nothing left waiting to move. */
  g_assert_true (mer_peers_keep_in_file (dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mer_peers_count_unmoved (dir), ==, 0);
  g_clear_pointer (&text, g_free);
  text = read_peers_file (dir);
  g_assert_nonnull (strstr (text, "old-secret-1"));
  g_assert_nonnull (strstr (text, "\"password_in\" : \"file\""));
  mer_test_rm_rf (dir);
}

/* The keyring keeps one password per URL and user. */
static void
test_store_lookup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *none = NULL;

  ensure_keyring ();
  g_assert_true (mer_secrets_check (&error));
  g_assert_no_error (error);
  g_assert_true (mer_secrets_store ("https://a.example/db", "ana", "first", &error));
  g_assert_no_error (error);
  g_assert_true (mer_secrets_store ("https://a.example/db", "bo", "other", &error));
  g_assert_true (mer_secrets_store ("https://a.example/db", "ana", "second", &error));
  g_assert_no_error (error);
  one = mer_secrets_lookup ("https://a.example/db", "ana", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (one, ==, "second");
  two = mer_secrets_lookup ("https://a.example/db", "bo", &error);
  g_assert_cmpstr (two, ==, "other");
  none = mer_secrets_lookup ("https://b.example/db", "ana", &error);
  g_assert_no_error (error);
  g_assert_null (none);
  g_assert_true (mer_secrets_clear ("https://a.example/db", "ana", &error));
  g_assert_no_error (error);
  g_clear_pointer (&one, g_free);
  one = mer_secrets_lookup ("https://a.example/db", "ana", &error);
  g_assert_null (one);
  g_assert_no_error (error);
}

/* On first start with a keyring, old passwords move and leave the file. */
static void
test_migration (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("migrate");
  g_autoptr(GError) error = NULL;
  g_autoptr(MerPeer) ana = NULL;
  g_autoptr(MerPeer) bo = NULL;
  g_autofree char *text = NULL;
  g_autofree char *kept = NULL;
  guint moved = 0;

  ensure_keyring ();
  write_peers_file (dir, old_peers);
  g_assert_true (mer_peers_move_to_keyring (dir, &moved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (moved, ==, 2);
  g_assert_cmpuint (mer_peers_count_unmoved (dir), ==, 0);

  text = read_peers_file (dir);
  g_test_message ("peers.json after the move: %s", text);
  g_assert_null (strstr (text, "old-secret"));
  g_assert_null (strstr (text, "\"password\""));
  g_assert_nonnull (strstr (text, "\"password_in\" : \"keyring\""));

  kept = mer_secrets_lookup ("https://hub.example.org/handbook", "ana", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kept, ==, "old-secret-1");
  ana = mer_peers_lookup (dir, "https://hub.example.org/handbook");
  g_assert_cmpint (ana->password_in, ==, MER_PASSWORD_KEYRING);
  g_assert_cmpstr (ana->password, ==, "old-secret-1");
  bo = mer_peers_lookup (dir, "http://bo@10.0.0.2:5984/handbook/");
  g_assert_cmpstr (bo->password, ==, "old-secret-2");

  /* A second start has nothing to move. */
  g_assert_true (mer_peers_move_to_keyring (dir, &moved, &error));
  g_assert_cmpuint (moved, ==, 0);

  /* A password kept in the file while no keyring answered moves too. */
  write_peers_file (dir, mixed_peers);
  g_assert_cmpuint (mer_peers_count_unmoved (dir), ==, 1);
  g_assert_cmpuint (mer_peers_count_in_file (dir), ==, 2);
  g_assert_true (mer_peers_move_to_keyring (dir, &moved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (moved, ==, 2);
  g_assert_cmpuint (mer_peers_count_in_file (dir), ==, 0);
  g_clear_pointer (&text, g_free);
  text = read_peers_file (dir);
  g_assert_null (strstr (text, "secret"));
  g_clear_pointer (&kept, g_free);
  kept = mer_secrets_lookup ("http://10.0.0.2:5984/handbook", "bo", &error);
  g_assert_cmpstr (kept, ==, "kept-secret-2");
  mer_test_rm_rf (dir);
}

/* Adding and removing a peer keeps its password in the keyring only. */
static void
test_add_remove (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("add");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *gone = NULL;

  ensure_keyring ();
  /* Consent to the file is not used when a keyring answers. */
  g_assert_true (mer_peers_add (dir, "https://cy:p%40ss@c.example/handbook", NULL, NULL, TRUE, &error));
  g_assert_no_error (error);
  text = read_peers_file (dir);
  g_assert_null (strstr (text, "p@ss"));
  g_assert_null (strstr (text, "p%40ss"));
  g_assert_nonnull (strstr (text, "\"password_in\" : \"keyring\""));
  kept = mer_secrets_lookup ("https://c.example/handbook", "cy", &error);
  g_assert_cmpstr (kept, ==, "p@ss");

  g_assert_true (mer_peers_remove (dir, "https://c.example/handbook", &error));
  g_assert_no_error (error);
  gone = mer_secrets_lookup ("https://c.example/handbook", "cy", &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  mer_test_rm_rf (dir);
}

/* `meridian --data DIR sync ARGS…`, with this process serving the peer. */
#define run_sync(dir, input, err, ...) \
  mer_test_run_meridian_spinning ((input), NULL, (err), "--data", (dir), "sync", __VA_ARGS__)

/*
 * `meridian sync`: the password from standard input, from a file, or from
 * the keyring for a URL that names the user; never from the arguments.
 */
static void
test_cli_passwords (void)
{
  TestPeer *remote = test_peer_new ("ana", "s3cret");
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) local = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  guint port = mer_server_get_port (remote->server);
  g_autofree char *bare = g_strdup_printf ("http://127.0.0.1:%u/handbook", port);
  g_autofree char *with_user = g_strdup_printf ("http://ana@127.0.0.1:%u/handbook", port);
  g_autofree char *pw_file = g_build_filename (dir, "pw.txt", NULL);
  g_autofree char *err = NULL;

  ensure_keyring ();
  g_clear_object (&local);

  /* No password anywhere: refused, in plain words. */
  g_assert_cmpint (run_sync (dir, NULL, &err, with_user, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "needs the password of “ana”"));
  g_clear_pointer (&err, g_free);

  /* The password on standard input; a wrong one is named as such. */
  g_assert_cmpint (run_sync (dir, "wrong\n", &err, with_user, "--password-stdin", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "did not accept the name or password"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_sync (dir, "s3cret\n", NULL, with_user, "--password-stdin", NULL), ==, 0);

  /* From a file. */
  g_assert_true (g_file_set_contents (pw_file, "s3cret\n", -1, NULL));
  g_assert_cmpint (run_sync (dir, NULL, NULL, with_user, "--password-file", pw_file, NULL), ==, 0);

  /* A password needs a user name, and the two options exclude each other. */
  g_assert_cmpint (run_sync (dir, "s3cret\n", &err, bare, "--password-stdin", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "user name"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_sync (dir, "s3cret\n", NULL, with_user, "--password-stdin", "--password-file", pw_file,
                             NULL), !=, 0);

  /* From the keyring: the user in the URL is enough. */
  g_assert_true (mer_secrets_store (bare, "ana", "s3cret", &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_sync (dir, NULL, NULL, with_user, NULL), ==, 0);

  /* A peer set up with its password in the keyring: the bare URL is enough. */
  g_assert_true (mer_peers_add (dir, bare, "ana", "s3cret", FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_sync (dir, NULL, NULL, bare, NULL), ==, 0);
  g_clear_pointer (&err, g_free);

  test_peer_free (remote);
  mer_test_rm_rf (dir);
}

/* `meridian sync --help` says where the password comes from. */
static void
test_cli_help (void)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (mer_test_run_meridian ("/nonexistent", &out, NULL, "sync", "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "--password-stdin"));
  g_assert_nonnull (strstr (out, "--password-file"));
  g_assert_nonnull (strstr (out, "keyring"));
  g_assert_null (strstr (out, "user:password@"));
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus;
  int status;

  mer_test_init (&argc, &argv);
  bus = mer_test_bus_up ();

  g_test_add_func ("/secrets/no-keyring", test_no_keyring);
  g_test_add_func ("/secrets/store-lookup", test_store_lookup);
  g_test_add_func ("/secrets/migration", test_migration);
  g_test_add_func ("/secrets/add-remove", test_add_remove);
  g_test_add_func ("/secrets/cli-passwords", test_cli_passwords);
  g_test_add_func ("/secrets/cli-help", test_cli_help);
  status = g_test_run ();
  mer_test_keyring_stop (keyring);
  /* libsecret keeps its connection to the bus: stop the bus without
   * waiting for every user of the connection to let go. */
  secret_service_disconnect ();
  g_test_dbus_stop (bus);
  /* Not unreferenced: disposing of it waits for that connection too. */
  return status;
}
