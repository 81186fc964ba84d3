/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-test-util.h"

/* What the tests that drive a window share: letting the main loop run,
 * waiting for a condition with a guard, and keeping a screenshot. */

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets the main loop run for a while: layout, rendering, timers. */
void
mer_test_gui_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Runs the main loop until @predicate holds; FALSE if it never did. */
gboolean
mer_test_gui_wait_for (MerTestPredicate predicate,
                       gpointer         data)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (MER_TEST_WAIT_LIMIT_MS, timeout_cb, &expired);

  while (!predicate (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return !expired;
}

/*
 * Renders @widget as it is on screen into the build's test logs, for a
 * person to look at. Right after a resize the widget may not have drawn
 * yet, so it tries again for a few seconds.
 */
void
mer_test_gui_save_png (GtkWidget  *widget,
                       const char *file_name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = mer_test_log_path (file_name);
  int width = 0;
  int height = 0;

  for (guint attempt = 0; node == NULL && attempt < 20; attempt++)
    {
      GtkSnapshot *snapshot;

      if (attempt > 0)
        {
          gtk_widget_queue_draw (widget);
          mer_test_gui_spin (250);
        }
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      if (width <= 0 || height <= 0)
        continue;
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}
