/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the app benchmark: the least any GTK 4 app can take from process
 * start to a window on screen. It opens an empty window, plain GTK or
 * libadwaita's, prints when the window was mapped and when its first frame
 * was drawn, on the same clock as the benchmark's marks, and exits.
 *
 *   bench-window-floor gtk|adw
 */
#include "config.h"

#include <adwaita.h>
#include <stdio.h>
#include <string.h>

static void
after_paint_cb (GdkFrameClock *clock,
                GApplication  *app)
{
  printf ("first-frame-at-us=%" G_GINT64_FORMAT "\n", g_get_real_time ());
  fflush (stdout);
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, app);
  g_application_quit (app);
}

static void
map_cb (GtkWidget    *window,
        GApplication *app)
{
  printf ("window-mapped-at-us=%" G_GINT64_FORMAT "\n", g_get_real_time ());
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb), app);
}

static void
activate_cb (GApplication *app,
             gpointer      adw)
{
  GtkWidget *window = adw ? adw_application_window_new (GTK_APPLICATION (app))
                          : gtk_application_window_new (GTK_APPLICATION (app));

  gtk_window_set_title (GTK_WINDOW (window), "Window floor");
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  g_signal_connect (window, "map", G_CALLBACK (map_cb), app);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GtkApplication) app = NULL;
  gboolean adw;

  if (argc != 2 || (strcmp (argv[1], "gtk") != 0 && strcmp (argv[1], "adw") != 0))
    {
      fprintf (stderr, "usage: bench-window-floor gtk|adw\n");
      return 2;
    }
  adw = strcmp (argv[1], "adw") == 0;
  if (adw)
    app = GTK_APPLICATION (adw_application_new (APP_ID ".WindowFloor", G_APPLICATION_NON_UNIQUE));
  else
    app = gtk_application_new (APP_ID ".WindowFloor", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), GINT_TO_POINTER (adw));
  return g_application_run (G_APPLICATION (app), 1, argv);
}
