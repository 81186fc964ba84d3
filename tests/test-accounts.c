/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-accounts.h"
#include "mer-json.h"
#include "mer-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static JsonObject *
read_file (const char *path)
{
  g_autofree char *text = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &text, &length, NULL));
  return mer_json_parse_object (text, length, NULL);
}

static const char *
hash_of (JsonObject *root,
         const char *name)
{
  JsonArray *list = json_object_get_array_member (root, "accounts");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);
      if (g_strcmp0 (mer_json_get_string (entry, "name"), name) == 0)
        return mer_json_get_string (entry, "hash");
    }
  return NULL;
}

static void
test_hashes (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("accounts");
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  GStatBuf buf;

  g_assert_cmpuint (mer_accounts_count (accounts), ==, 0);
  g_assert_true (mer_accounts_add (accounts, "ana", "correct horse", MER_ROLE_RW, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (mer_accounts_add (accounts, "bo", "correct horse", MER_ROLE_RO, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mer_accounts_count (accounts), ==, 2);

  /* The file is private and holds no password, only salted hashes. */
  g_assert_cmpint (g_stat (mer_accounts_get_path (accounts), &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (mer_accounts_get_path (accounts), &text, NULL, NULL));
  g_assert_null (strstr (text, "correct horse"));
  root = read_file (mer_accounts_get_path (accounts));
  g_assert_true (g_str_has_prefix (hash_of (root, "ana"), "$argon2id$"));
  g_assert_cmpstr (hash_of (root, "ana"), !=, hash_of (root, "bo"));

  g_assert_cmpint (mer_accounts_verify (accounts, "ana", "correct horse"), ==, MER_ROLE_RW);
  g_assert_cmpint (mer_accounts_verify (accounts, "bo", "correct horse"), ==, MER_ROLE_RO);
  /* Cached now: the same answer again. */
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", "correct horse"), ==, MER_ROLE_RW);
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", "correct horse "), ==, MER_ROLE_NONE);
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", ""), ==, MER_ROLE_NONE);
  g_assert_cmpint (mer_accounts_verify (accounts, "nobody", "correct horse"), ==, MER_ROLE_NONE);
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", NULL), ==, MER_ROLE_NONE);

  mer_test_rm_rf (dir);
}

/* Another process (`meridian user`) edits the file: a running server sees it. */
static void
test_reload_and_remove (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("accounts");
  g_autoptr (MerAccounts) server_side = mer_accounts_new (dir);
  g_autoptr (MerAccounts) command_side = mer_accounts_new (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) list = NULL;
  gboolean replaced = TRUE;

  g_assert_cmpuint (mer_accounts_count (server_side), ==, 0);
  g_assert_true (mer_accounts_add (command_side, "ana", "pw-one", MER_ROLE_RW, &replaced, &error));
  g_assert_false (replaced);
  g_assert_cmpuint (mer_accounts_count (server_side), ==, 1);
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-one"), ==, MER_ROLE_RW);

  /* A new password and role replace the old; the cache forgets the old one. */
  g_assert_true (mer_accounts_add (command_side, "ana", "pw-two", MER_ROLE_RO, &replaced, &error));
  g_assert_true (replaced);
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-one"), ==, MER_ROLE_NONE);
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-two"), ==, MER_ROLE_RO);

  list = mer_accounts_list (server_side);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (list, 0), "role"), ==, "ro");
  g_assert_false (json_object_has_member (json_array_get_object_element (list, 0), "hash"));

  g_assert_true (mer_accounts_remove (command_side, "ana", &error));
  g_assert_no_error (error);
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-two"), ==, MER_ROLE_NONE);
  g_assert_cmpuint (mer_accounts_count (server_side), ==, 0);
  g_assert_false (mer_accounts_remove (command_side, "ana", &error));
  g_assert_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_NOT_FOUND);

  mer_test_rm_rf (dir);
}

/* A role changes on its own; a running server sees it and who came when. */
static void
test_role_and_seen (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("accounts");
  g_autoptr (MerAccounts) server_side = mer_accounts_new (dir);
  g_autoptr (MerAccounts) command_side = mer_accounts_new (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) list = NULL;
  g_autofree char *seen_path = g_build_filename (dir, MER_ACCOUNTS_SEEN_FILE_NAME, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GStatBuf buf;

  g_assert_true (mer_accounts_add (command_side, "ana", "pw-one", MER_ROLE_RW, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-one"), ==, MER_ROLE_RW);

  g_assert_true (mer_accounts_set_role (command_side, "ana", MER_ROLE_RO, &error));
  g_assert_no_error (error);
  /* The same password, the new role, at once. */
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-one"), ==, MER_ROLE_RO);
  g_assert_false (mer_accounts_set_role (command_side, "bo", MER_ROLE_RO, &error));
  g_assert_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (mer_accounts_set_role (command_side, "ana", MER_ROLE_NONE, &error));
  g_assert_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (mer_accounts_verify (server_side, "ana", "pw-one"), ==, MER_ROLE_RO);

  /* Never seen, then seen: the time is kept in a private file of its own. */
  g_assert_cmpint (mer_accounts_last_seen (command_side, "ana"), ==, 0);
  mer_accounts_note_seen (server_side, "ana");
  g_assert_cmpint (mer_accounts_last_seen (command_side, "ana"), >=, now);
  g_assert_cmpint (mer_accounts_last_seen (command_side, "ana"), <=, now + 60);
  g_assert_cmpint (g_stat (seen_path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);
  list = mer_accounts_list (command_side);
  g_assert_nonnull (mer_json_get_string (json_array_get_object_element (list, 0), "last_seen"));

  /* Many requests within a minute write the file once. */
  g_assert_true (g_file_get_contents (seen_path, &before, NULL, NULL));
  g_assert_true (g_file_set_contents (seen_path, "{\"version\":1,\"seen\":{\"ana\":5}}", -1, NULL));
  for (guint i = 0; i < 100; i++)
    mer_accounts_note_seen (server_side, "ana");
  g_assert_true (g_file_get_contents (seen_path, &after, NULL, NULL));
  g_assert_nonnull (strstr (after, "\"ana\":5"));

  /* A damaged file means "never seen", and the next note repairs it. */
  g_assert_true (g_file_set_contents (seen_path, "{not json", -1, NULL));
  g_assert_cmpint (mer_accounts_last_seen (command_side, "ana"), ==, 0);
  mer_accounts_note_seen (command_side, "ana");
  g_assert_cmpint (mer_accounts_last_seen (server_side, "ana"), >=, now);

  mer_test_rm_rf (dir);
}

static void
test_invalid (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("accounts");
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autofree char *long_name = g_strnfill (MER_ACCOUNTS_MAX_NAME + 1, 'a');
  const char *bad_names[] = { "", "a:b", "a b", "-x", "é", long_name };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      g_assert_false (mer_accounts_add (accounts, bad_names[i], "pw", MER_ROLE_RW, NULL, &error));
      g_assert_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_false (mer_accounts_add (accounts, "ana", "", MER_ROLE_RW, NULL, &error));
  g_assert_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (mer_accounts_add (accounts, "ana", "pw", MER_ROLE_NONE, NULL, &error));
  g_assert_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (g_file_test (mer_accounts_get_path (accounts), G_FILE_TEST_EXISTS));

  /* A damaged file fails closed: one account nobody can use. */
  g_assert_true (g_file_set_contents (mer_accounts_get_path (accounts), "{not json", -1, NULL));
  g_test_expect_message ("meridian-sync", G_LOG_LEVEL_WARNING, "*Cannot read*");
  g_assert_cmpuint (mer_accounts_count (accounts), ==, 1);
  g_test_assert_expected_messages ();
  g_assert_cmpint (mer_accounts_verify (accounts, "ana", "pw"), ==, MER_ROLE_NONE);

  g_assert_cmpint (mer_role_from_string ("rw"), ==, MER_ROLE_RW);
  g_assert_cmpint (mer_role_from_string ("ro"), ==, MER_ROLE_RO);
  g_assert_cmpint (mer_role_from_string ("admin"), ==, MER_ROLE_NONE);

  mer_test_rm_rf (dir);
}

/*
 * An invite's account: refused once its expiry passes, unless it was used
 * before; its first request clears the expiry for good, also for a new
 * reader of the file.
 */
static void
test_expiry (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("accounts-expiry");
  g_autoptr (MerAccounts) accounts = mer_accounts_new (dir);
  g_autoptr (MerAccounts) again = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_true (mer_accounts_add_full (accounts, "late", "secret-late", MER_ROLE_RW, now - 10, NULL, &error));
  g_assert_true (mer_accounts_add_full (accounts, "soon", "secret-soon", MER_ROLE_RO, now + 3600, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (mer_accounts_verify (accounts, "late", "secret-late"), ==, MER_ROLE_NONE);
  g_assert_cmpint (mer_accounts_lookup (accounts, "late", NULL), ==, MER_ROLE_NONE);
  mer_accounts_note_seen (accounts, "late");
  g_assert_cmpint (mer_accounts_get_expires (accounts, "late"), ==, now - 10);

  g_assert_cmpint (mer_accounts_verify (accounts, "soon", "secret-soon"), ==, MER_ROLE_RO);
  g_assert_cmpint (mer_accounts_get_expires (accounts, "soon"), ==, now + 3600);
  mer_accounts_note_seen (accounts, "soon");
  g_assert_cmpint (mer_accounts_get_expires (accounts, "soon"), ==, 0);

  again = mer_accounts_new (dir);
  g_assert_cmpint (mer_accounts_get_expires (again, "soon"), ==, 0);
  g_assert_cmpint (mer_accounts_get_expires (again, "late"), ==, now - 10);
  g_assert_cmpint (mer_accounts_get_expires (again, "nobody"), ==, -1);
  g_assert_cmpint (mer_accounts_verify (again, "soon", "secret-soon"), ==, MER_ROLE_RO);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/accounts/hashes", test_hashes);
  g_test_add_func ("/accounts/reload-and-remove", test_reload_and_remove);
  g_test_add_func ("/accounts/role-and-seen", test_role_and_seen);
  g_test_add_func ("/accounts/invalid", test_invalid);
  g_test_add_func ("/accounts/expiry", test_expiry);
  return g_test_run ();
}
