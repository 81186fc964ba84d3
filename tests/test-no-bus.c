/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The app on a machine with no session bus at all, as a fresh Debian
 * without dbus-x11 or a desktop session is: `meridian` is started as a
 * person would start it, with DBUS_SESSION_BUS_ADDRESS pointing at a socket
 * that does not exist. It may warn, but its window must appear on the X
 * display and the process must stay alive. The window is looked for
 * through Xlib by the _NET_WM_PID that GTK sets, so the test knows it is
 * this process's window and that it is mapped, not merely created.
 */
#include "config.h"

#include "mer-test-util.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <string.h>

/* Whether @window or one of its children is a viewable top-level of @pid. */
static gboolean
find_window_of_pid (Display *display,
                    Window   window,
                    Atom     pid_atom,
                    gulong   pid,
                    guint    depth)
{
  Window root_return, parent_return;
  Window *children = NULL;
  unsigned int n_children = 0;
  Atom type;
  int format;
  unsigned long n_items, after;
  unsigned char *data = NULL;
  gboolean found = FALSE;

  if (XGetWindowProperty (display, window, pid_atom, 0, 1, False, XA_CARDINAL, &type, &format,
                          &n_items, &after, &data) == Success && data != NULL)
    {
      if (type == XA_CARDINAL && format == 32 && n_items == 1 && *(unsigned long *) data == pid)
        {
          XWindowAttributes attributes;

          found = XGetWindowAttributes (display, window, &attributes)
                  && attributes.map_state == IsViewable;
        }
      XFree (data);
    }
  if (found || depth > 3)
    return found;

  if (XQueryTree (display, window, &root_return, &parent_return, &children, &n_children))
    {
      for (unsigned int i = 0; i < n_children && !found; i++)
        found = find_window_of_pid (display, children[i], pid_atom, pid, depth + 1);
      if (children != NULL)
        XFree (children);
    }
  return found;
}

static void
test_window_without_session_bus (void)
{
  g_autofree char *data_dir = mer_test_make_tmpdir ("workspace");
  g_autofree char *bus_dir = mer_test_make_tmpdir ("no-bus");
  g_autofree char *bus_address = g_strdup_printf ("unix:path=%s/no-such-socket", bus_dir);
  g_autofree char *log_path = mer_test_log_path ("test-no-bus.stderr.txt");
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  const char *display_name = g_getenv ("DISPLAY");
  Display *display;
  Atom pid_atom;
  gulong pid;
  gboolean shown = FALSE;
  gint64 give_up;

  g_assert_nonnull (display_name);
  display = XOpenDisplay (display_name);
  g_assert_nonnull (display);
  pid_atom = XInternAtom (display, "_NET_WM_PID", False);

  /* No bus: neither the address nor a runtime folder that holds one. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", bus_dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "AT_SPI_BUS_ADDRESS");
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  child = g_subprocess_launcher_spawn (launcher, &error, mer_test_meridian_bin (),
                                       "--data", data_dir, NULL);
  g_assert_no_error (error);
  pid = (gulong) atol (g_subprocess_get_identifier (child));

  /* The first start of WebKit on a loaded machine can take a while. */
  give_up = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  while (!shown && g_get_monotonic_time () < give_up)
    {
      /* The identifier is gone once the process has ended. */
      g_assert_nonnull (g_subprocess_get_identifier (child));
      shown = find_window_of_pid (display, DefaultRootWindow (display), pid_atom, pid, 0);
      if (!shown)
        g_usleep (100 * 1000);
    }
  g_assert_true (shown);

  /* Still alive a little later: a warning, never an abort. */
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_nonnull (g_subprocess_get_identifier (child));
  g_assert_true (find_window_of_pid (display, DefaultRootWindow (display), pid_atom, pid, 0));

  g_subprocess_send_signal (child, SIGTERM);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  XCloseDisplay (display);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  g_test_add_func ("/app/window-without-session-bus", test_window_without_session_bus);
  return g_test_run ();
}
