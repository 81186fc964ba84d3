/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-page-actions.h"
#include "mer-conflict-view.h"
#include "mer-history-view.h"
#include "mer-json.h"
#include "mer-page-editor.h"
#include "mer-page-tree.h"
#include "mer-page-view.h"
#include "mer-store.h"

#include <glib/gi18n.h>

static void
view_closed_cb (GtkWidget  *view,
                const char *page_id,
                MerWindow  *window)
{
  mer_window_close_view (window, view);
  if (page_id != NULL)
    mer_window_open_page (window, page_id);
}

/* After a delete the reader must not stay on a page that is gone: the
 * tree's first page, or (while the tree has not caught up) the page
 * first by path. */
static void
open_some_page (MerWindow  *window,
                const char *gone_id)
{
  g_autofree char *first = mer_page_tree_get_first_page (MER_PAGE_TREE (mer_window_get_page_tree (window)));
  g_autoptr(JsonArray) pages = NULL;
  const char *best_path = NULL;

  if (first != NULL && g_strcmp0 (first, gone_id) != 0)
    {
      mer_window_open_page (window, first);
      return;
    }
  g_clear_pointer (&first, g_free);
  pages = mer_store_list_docs (mer_window_get_store (window), "page", NULL);
  for (guint i = 0; pages != NULL && i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);
      const char *id = mer_json_get_string (page, "_id");
      const char *path = mer_json_get_string (page, "path");

      if (id == NULL || g_strcmp0 (id, gone_id) == 0)
        continue;
      if (best_path == NULL || g_strcmp0 (path != NULL ? path : "", best_path) < 0)
        {
          best_path = path != NULL ? path : "";
          g_free (first);
          first = g_strdup (id);
        }
    }
  if (first != NULL)
    mer_window_open_page (window, first);
  else
    mer_page_view_reload (MER_PAGE_VIEW (mer_window_get_page_view (window)));
}

static void
editor_closed_cb (MerPageEditor *editor,
                  const char    *page_id,
                  MerWindow     *window)
{
  g_autofree char *id = g_strdup (page_id);
  g_autoptr(JsonObject) page = NULL;

  mer_window_close_view (window, GTK_WIDGET (editor));
  if (id != NULL)
    page = mer_store_get_doc (mer_window_get_store (window), id, NULL, MER_GET_DEFAULT, NULL);
  if (page != NULL)
    mer_window_open_page (window, id);
  else
    open_some_page (window, id);
}

static void
editor_conflict_cb (MerPageEditor *editor,
                    const char    *page_id,
                    MerWindow     *window)
{
  g_autofree char *id = g_strdup (page_id);

  mer_window_close_view (window, GTK_WIDGET (editor));
  mer_window_add_toast (window, _("The page was changed meanwhile in the same places: both versions are kept"));
  mer_page_actions_resolve (window, id);
}

static void
editor_history_cb (MerPageEditor *editor,
                   const char    *page_id,
                   MerWindow     *window)
{
  mer_page_actions_history (window, page_id);
}

static void
show_editor (MerWindow *window,
             GtkWidget *editor)
{
  MerPageEditor *page_editor = MER_PAGE_EDITOR (editor);

  g_signal_connect_object (editor, "closed", G_CALLBACK (editor_closed_cb), window, 0);
  g_signal_connect_object (editor, "conflict", G_CALLBACK (editor_conflict_cb), window, 0);
  g_signal_connect_object (editor, "history", G_CALLBACK (editor_history_cb), window, 0);
  mer_page_editor_set_show_heading (page_editor, FALSE);
  mer_window_show_view (window, editor, mer_page_editor_get_heading (page_editor));
  mer_markdown_editor_grab_focus_text (mer_page_editor_get_editor (page_editor));
}

void
mer_page_actions_new_page (MerWindow  *window,
                           const char *title)
{
  g_return_if_fail (MER_IS_WINDOW (window));
  show_editor (window, mer_page_editor_new_page (mer_window_get_store (window), title));
}

void
mer_page_actions_edit (MerWindow  *window,
                       const char *page_id)
{
  GtkWidget *visible;

  g_return_if_fail (MER_IS_WINDOW (window));
  g_return_if_fail (page_id != NULL);

  visible = mer_window_get_visible_view (window);
  if (MER_IS_PAGE_EDITOR (visible) && g_strcmp0 (mer_page_editor_get_page_id (MER_PAGE_EDITOR (visible)), page_id) == 0)
    return;
  show_editor (window, mer_page_editor_new (mer_window_get_store (window), page_id));
}

void
mer_page_actions_history (MerWindow  *window,
                          const char *page_id)
{
  GtkWidget *view;

  g_return_if_fail (MER_IS_WINDOW (window));
  g_return_if_fail (page_id != NULL);

  view = mer_history_view_new (mer_window_get_store (window), page_id);
  g_signal_connect_object (view, "closed", G_CALLBACK (view_closed_cb), window, 0);
  mer_window_show_view (window, view, _("History"));
}

typedef struct
{
  MerWindow *window;
  char      *gone_id;
  gulong     handler;
} DeleteWait;

static void
delete_wait_free (gpointer data,
                  GClosure *closure)
{
  DeleteWait *wait = data;

  g_free (wait->gone_id);
  g_free (wait);
}

/* The reader reloads the page it shows when the replica changes, which
 * may land after we moved on and bring back the deleted page as "not
 * found"; if it does, move on once more. */
static void
page_loaded_after_delete_cb (MerPageView *view,
                             const char  *page_id,
                             DeleteWait  *wait)
{
  MerWindow *window = wait->window;
  g_autofree char *gone_id = g_strdup (wait->gone_id);

  g_signal_handler_disconnect (view, wait->handler);
  if (page_id == NULL || g_strcmp0 (page_id, gone_id) == 0)
    open_some_page (window, gone_id);
}

void
mer_page_actions_delete (MerWindow  *window,
                         const char *page_id)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *view;
  DeleteWait *wait;

  g_return_if_fail (MER_IS_WINDOW (window));
  g_return_if_fail (page_id != NULL);

  view = mer_window_get_page_view (window);
  if (!mer_page_delete_with_undo (mer_window_get_store (window), page_id, view, &error))
    {
      mer_window_add_toast (window, error->message);
      return;
    }
  wait = g_new0 (DeleteWait, 1);
  wait->window = window;
  wait->gone_id = g_strdup (page_id);
  wait->handler = g_signal_connect_data (view, "page-loaded", G_CALLBACK (page_loaded_after_delete_cb),
                                         wait, delete_wait_free, 0);
  open_some_page (window, page_id);
}

void
mer_page_actions_resolve (MerWindow  *window,
                          const char *page_id)
{
  GtkWidget *view;

  g_return_if_fail (MER_IS_WINDOW (window));
  g_return_if_fail (page_id != NULL);

  view = mer_conflict_view_new (mer_window_get_store (window), page_id);
  g_signal_connect_object (view, "closed", G_CALLBACK (view_closed_cb), window, 0);
  mer_window_show_view (window, view, _("Resolve Conflicting Edits"));
}
