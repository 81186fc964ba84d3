/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-page-actions.h"
#include "mer-conflict-view.h"
#include "mer-history-view.h"
#include "mer-json.h"
#include "mer-page-editor.h"
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
    mer_window_open_other_page (window, id);
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

void
mer_page_actions_delete (MerWindow  *window,
                         const char *page_id)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *view;

  g_return_if_fail (MER_IS_WINDOW (window));
  g_return_if_fail (page_id != NULL);

  view = mer_window_get_page_view (window);
  if (!mer_page_delete_with_undo (mer_window_get_store (window), page_id, view, &error))
    {
      mer_window_add_toast (window, error->message);
      return;
    }
  /* The reader waits for this load before it looks at the replica again,
   * so the deleted page does not come back as "not found". */
  mer_window_open_other_page (window, page_id);
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
