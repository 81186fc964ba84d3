/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A real Secret Service for the keyring tests.
 *
 * The test first gets a session bus of its own (GTestDBus: it starts no
 * service on demand, so no Secret Service answers there until the test
 * starts one), then, when it wants a keyring, gnome-keyring-daemon with
 * only its secrets component, unlocked with a password on its standard
 * input. Its keyrings go to the test's XDG_DATA_HOME (a temporary folder,
 * see mer_test_init()) and its control socket to a runtime folder of its
 * own, so nothing touches the person's keyrings.
 */

#include "config.h"

#include "mer-test-keyring.h"
#include "mer-test-util.h"

#include <glib/gstdio.h>
#include <signal.h>

struct _MerTestKeyring
{
  GSubprocess *daemon;
  char        *runtime_dir;
};

/* A private session bus for the rest of the test program. */
GTestDBus *
mer_test_bus_up (void)
{
  GTestDBus *bus = g_test_dbus_new (G_TEST_DBUS_NONE);

  g_test_dbus_up (bus);
  g_test_message ("private session bus: %s", g_test_dbus_get_bus_address (bus));
  return bus;
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/*
 * Starts gnome-keyring-daemon on the session bus and waits until it owns
 * org.freedesktop.secrets.
 */
MerTestKeyring *
mer_test_keyring_start (void)
{
  MerTestKeyring *keyring = g_new0 (MerTestKeyring, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *input;
  gint64 deadline;

  keyring->runtime_dir = mer_test_make_tmpdir ("keyring-runtime");
  g_chmod (keyring->runtime_dir, 0700);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", keyring->runtime_dir, TRUE);
  keyring->daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                                 "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  /* --unlock reads the login keyring's password up to the end of input. */
  input = g_subprocess_get_stdin_pipe (keyring->daemon);
  g_output_stream_write_all (input, "test-login", 10, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!name_has_owner (connection, "org.freedesktop.secrets"))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  return keyring;
}

void
mer_test_keyring_stop (MerTestKeyring *keyring)
{
  if (keyring == NULL)
    return;
  g_subprocess_send_signal (keyring->daemon, SIGTERM);
  g_subprocess_wait (keyring->daemon, NULL, NULL);
  g_clear_object (&keyring->daemon);
  mer_test_rm_rf (keyring->runtime_dir);
  g_free (keyring->runtime_dir);
  g_free (keyring);
}
