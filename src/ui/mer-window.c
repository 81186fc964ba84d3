/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-window.h"

#include "mer-application.h"
#include "mer-json.h"
#include "mer-page-actions.h"
#include "mer-page-tree.h"
#include "mer-page-view.h"
#include "mer-profile-dialog.h"
#include "mer-proposals-view.h"
#include "mer-decisions-view.h"
#include "mer-schedule.h"
#include "mer-search-panel.h"
#include "mer-store.h"
#include "mer-sync-indicator.h"
#include "mer-ui-util.h"
#include "mer-team-view.h"

#include <glib/gi18n.h>

/*
 * The main window: a sidebar of sections and the handbook's page tree
 * beside the content, folding into one column on narrow screens (down to
 * 360 px).  The Handbook section is the reader; the other sections are
 * views written elsewhere and registered in the one place marked below.
 * Editors, histories and conflict views are pushed over the content with
 * mer_window_show_view() and popped with Back.
 */

typedef struct
{
  char      *name;
  char      *title;
  GtkWidget *view;
  GtkWidget *row;
} Section;

struct _MerWindow
{
  AdwApplicationWindow  parent_instance;

  MerStore             *store;
  GPtrArray            *sections;   /* of Section */
  GPtrArray            *views;      /* pushed views, oldest first */
  char                 *section;    /* name of the section shown */
  gboolean              first_page_opened;
  gboolean              tree_requested;
  gboolean              sections_added;
  guint                 tree_timeout_id;  /* lists the pages if no page loads */
  guint                 focus_idle_id;    /* coalesces store changes for the focus button */
  guint                 focus_end_id;     /* redraws the focus button when focus ends */
  gboolean              in_focus;         /* the user is in deep work now */

  AdwToastOverlay      *toast_overlay;
  GtkOverlay           *overlay;
  AdwLeaflet           *leaflet;
  AdwWindowTitle       *sidebar_title;
  GtkListBox           *sections_list;
  GtkWidget            *tree_box;
  AdwHeaderBar         *content_header;
  AdwWindowTitle       *content_title;
  GtkWidget            *edit_button;
  GtkWidget            *page_menu_button;
  GtkWidget            *focus_button;
  GtkWidget            *sync_box;
  GtkStack             *content_stack;

  MerPageView          *page_view;
  MerPageTree          *page_tree;
  MerSearchPanel       *search_panel;
  GtkWidget            *sync_indicator;
  GtkWidget            *focus_before_search;  /* weak: where Escape returns */
};

/* Below this window width the header has no room for the focus button. */
#define FOCUS_BUTTON_MIN_WIDTH 600

G_DEFINE_FINAL_TYPE (MerWindow, mer_window, ADW_TYPE_APPLICATION_WINDOW)

static void ensure_section_views (MerWindow *self);

static void
section_free (Section *section)
{
  g_free (section->name);
  g_free (section->title);
  g_free (section);
}

static Section *
find_section (MerWindow  *self,
              const char *name)
{
  for (guint i = 0; i < self->sections->len; i++)
    {
      Section *section = g_ptr_array_index (self->sections, i);

      if (g_strcmp0 (section->name, name) == 0)
        return section;
    }
  return NULL;
}

/* The section that shows documents of a type ("proposal" -> "proposals"). */
static Section *
section_for_type (MerWindow  *self,
                  const char *type)
{
  g_autofree char *plural = g_strconcat (type, "s", NULL);
  Section *section = find_section (self, type);

  if (section == NULL)
    section = find_section (self, plural);
  if (section == NULL && g_strcmp0 (type, "person") == 0)
    section = find_section (self, "team");
  return section;
}

/*
 * Pages are written, versioned and reconciled by widgets this window hosts
 * as pushed views: the page editor, the history and the conflict view.
 */
static gboolean
can_edit (void)
{
  return TRUE;
}

static gboolean
can_show_history (void)
{
  return TRUE;
}

static gboolean
can_delete (void)
{
  return TRUE;
}

static void
host_new_page (MerWindow  *self,
               const char *title)
{
  mer_page_actions_new_page (self, title);
}

static void
host_edit_page (MerWindow  *self,
                const char *page_id)
{
  mer_page_actions_edit (self, page_id);
}

static void
host_show_history (MerWindow  *self,
                   const char *page_id)
{
  mer_page_actions_history (self, page_id);
}

static void
host_delete_page (MerWindow  *self,
                  const char *page_id)
{
  mer_page_actions_delete (self, page_id);
}

static void
host_resolve_conflict (MerWindow  *self,
                       const char *page_id)
{
  mer_page_actions_resolve (self, page_id);
}

static void
update_actions (MerWindow *self)
{
  gboolean has_view = self->views->len > 0;
  gboolean reading = !has_view && g_strcmp0 (self->section, "handbook") == 0;
  gboolean has_page = reading && mer_page_view_get_page_id (self->page_view) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.go-back",
                                 has_view || mer_page_view_can_go_back (self->page_view));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.go-forward",
                                 !has_view && mer_page_view_can_go_forward (self->page_view));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.edit-page",
                                 has_page && can_edit ());
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.page-history",
                                 has_page && can_show_history ());
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-page",
                                 has_page && can_delete ());
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.page-info", reading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-page", can_edit ());
  int width = 0;
  int height = 0;

  /* Folded to one column the header has room for few buttons; Edit stays
   * in the page menu, Focus in the primary menu (and Ctrl+Shift+F).  Focus
   * also goes as soon as the window is asked to be narrow, before the
   * leaflet folds: with it the unfolded header needs a few pixels more
   * than 360 and the window would never get down to 360. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  gtk_widget_set_visible (self->edit_button, reading && !adw_leaflet_get_folded (self->leaflet));
  gtk_widget_set_visible (self->focus_button,
                          !adw_leaflet_get_folded (self->leaflet) && (width <= 0 || width >= FOCUS_BUTTON_MIN_WIDTH));
  gtk_widget_set_visible (self->page_menu_button, reading);
}

static void
update_title (MerWindow *self)
{
  const char *title = NULL;
  g_autofree char *window_title = NULL;

  if (self->views->len > 0)
    {
      GtkWidget *view = g_ptr_array_index (self->views, self->views->len - 1);

      title = g_object_get_data (G_OBJECT (view), "mer-view-title");
    }
  else if (g_strcmp0 (self->section, "handbook") == 0)
    title = mer_page_view_get_title (self->page_view);
  else
    {
      Section *section = find_section (self, self->section);

      title = section ? section->title : NULL;
    }

  adw_window_title_set_title (self->content_title, title ? title : "");
  window_title = title ? g_strdup_printf ("%s — %s", title, _("Meridian")) : g_strdup (_("Meridian"));
  gtk_window_set_title (GTK_WINDOW (self), window_title);
}

static void
select_section_row (MerWindow *self)
{
  Section *section = find_section (self, self->section);

  if (section != NULL && section->row != NULL)
    gtk_list_box_select_row (self->sections_list, GTK_LIST_BOX_ROW (section->row));
}

/* Shows the content column when the window is folded to one column. */
static void
reveal_content (MerWindow *self)
{
  adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

void
mer_window_show_section (MerWindow  *self,
                         const char *name)
{
  Section *section;

  g_return_if_fail (MER_IS_WINDOW (self));

  if (g_strcmp0 (name, "handbook") != 0)
    ensure_section_views (self);
  section = find_section (self, name);
  if (section == NULL)
    return;
  /* Pushed views belong to what was shown before: leaving closes them. */
  while (self->views->len > 0)
    mer_window_close_view (self, g_ptr_array_index (self->views, self->views->len - 1));
  g_free (self->section);
  self->section = g_strdup (name);
  gtk_stack_set_visible_child (self->content_stack, section->view);
  select_section_row (self);
  if (g_strcmp0 (name, "handbook") != 0)
    mer_page_tree_select_page (self->page_tree, NULL);
  update_title (self);
  update_actions (self);
}

const char *
mer_window_get_section (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return self->section;
}

static GtkWidget *
make_section_row (const char *title,
                  const char *icon_name)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (title);

  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (icon_name));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  return row;
}

void
mer_window_add_section (MerWindow  *self,
                        const char *name,
                        const char *title,
                        const char *icon_name,
                        GtkWidget  *view)
{
  Section *section;

  g_return_if_fail (MER_IS_WINDOW (self));
  g_return_if_fail (name != NULL && title != NULL);
  g_return_if_fail (GTK_IS_WIDGET (view));
  g_return_if_fail (find_section (self, name) == NULL);

  section = g_new0 (Section, 1);
  section->name = g_strdup (name);
  section->title = g_strdup (title);
  section->view = view;
  section->row = make_section_row (title, icon_name ? icon_name : "view-list-symbolic");
  g_object_set_data_full (G_OBJECT (section->row), "mer-section", g_strdup (name), g_free);
  g_ptr_array_add (self->sections, section);
  gtk_list_box_append (self->sections_list, section->row);
  gtk_stack_add_named (self->content_stack, view, name);
}

static void
section_activated_cb (MerWindow     *self,
                      GtkListBoxRow *row)
{
  const char *name = g_object_get_data (G_OBJECT (row), "mer-section");

  if (name == NULL)
    return;
  mer_window_show_section (self, name);
  reveal_content (self);
  /* Side by side, the keyboard stays on the row it chose the section with
   * (changing the content would otherwise drop it on a header button). */
  if (!adw_leaflet_get_folded (self->leaflet))
    gtk_widget_grab_focus (GTK_WIDGET (row));
}

void
mer_window_open_page (MerWindow  *self,
                      const char *page_id)
{
  g_return_if_fail (MER_IS_WINDOW (self));
  g_return_if_fail (page_id != NULL);

  self->first_page_opened = TRUE;
  if (g_strcmp0 (self->section, "handbook") != 0 || self->views->len > 0)
    mer_window_show_section (self, "handbook");
  mer_page_view_open (self->page_view, page_id);
  reveal_content (self);
}

/*
 * The page to show instead of one that is gone: the tree's first page, or
 * (while the tree has not caught up with the delete) the first by path.
 */
static char *
find_other_page (MerWindow  *self,
                 const char *gone_id)
{
  g_autofree char *first = mer_page_tree_get_first_page (self->page_tree);
  g_autoptr(JsonArray) pages = NULL;
  const char *best_path = NULL;

  if (first != NULL && g_strcmp0 (first, gone_id) != 0)
    return g_steal_pointer (&first);
  g_clear_pointer (&first, g_free);
  pages = mer_store_list_docs (self->store, "page", NULL);
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
  return g_steal_pointer (&first);
}

/* After a delete the reader must not stay on a page that is gone. */
void
mer_window_open_other_page (MerWindow  *self,
                            const char *gone_id)
{
  g_autofree char *other = NULL;

  g_return_if_fail (MER_IS_WINDOW (self));

  other = find_other_page (self, gone_id);
  if (other != NULL)
    mer_window_open_page (self, other);
  else
    mer_page_view_reload (self->page_view);
}

/*
 * Opens a document wherever it is shown: pages in the reader, a comment
 * where it was made, proposals and decisions in their sections.
 */
gboolean
mer_window_open_doc (MerWindow  *self,
                     const char *doc_id)
{
  g_autofree char *type = NULL;
  const char *colon;
  Section *section;

  g_return_val_if_fail (MER_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (doc_id != NULL, FALSE);

  colon = strchr (doc_id, ':');
  if (colon == NULL)
    return FALSE;
  type = g_strndup (doc_id, colon - doc_id);

  if (g_str_equal (type, "page"))
    {
      mer_window_open_page (self, doc_id);
      return TRUE;
    }
  if (g_str_equal (type, "comment"))
    {
      g_autoptr(JsonObject) comment = mer_store_get_doc (self->store, doc_id, NULL, MER_GET_DEFAULT, NULL);
      const char *on = comment ? mer_json_get_string (comment, "on") : NULL;

      return on != NULL && !g_str_has_prefix (on, "comment:") && mer_window_open_doc (self, on);
    }

  ensure_section_views (self);
  section = section_for_type (self, type);
  if (section == NULL)
    {
      mer_window_add_toast (self, _("This kind of document cannot be shown yet"));
      return FALSE;
    }
  mer_window_show_section (self, section->name);
  reveal_content (self);
  gtk_widget_activate_action (section->view, "section.open-doc", "s", doc_id);
  return TRUE;
}

void
mer_window_show_view (MerWindow  *self,
                      GtkWidget  *view,
                      const char *title)
{
  g_autofree char *name = NULL;

  g_return_if_fail (MER_IS_WINDOW (self));
  g_return_if_fail (GTK_IS_WIDGET (view));

  g_object_set_data_full (G_OBJECT (view), "mer-view-title", g_strdup (title), g_free);
  name = g_strdup_printf ("view-%p", view);
  g_ptr_array_add (self->views, g_object_ref (view));
  gtk_stack_add_named (self->content_stack, view, name);
  gtk_stack_set_visible_child (self->content_stack, view);
  reveal_content (self);
  update_title (self);
  update_actions (self);
}

void
mer_window_close_view (MerWindow *self,
                       GtkWidget *view)
{
  guint index;

  g_return_if_fail (MER_IS_WINDOW (self));
  g_return_if_fail (GTK_IS_WIDGET (view));

  if (!g_ptr_array_find (self->views, view, &index))
    return;
  g_ptr_array_steal_index (self->views, index);
  if (self->views->len > 0)
    gtk_stack_set_visible_child (self->content_stack,
                                 g_ptr_array_index (self->views, self->views->len - 1));
  else
    {
      Section *section = find_section (self, self->section);

      if (section != NULL)
        gtk_stack_set_visible_child (self->content_stack, section->view);
    }
  gtk_stack_remove (self->content_stack, view);
  g_object_unref (view);
  update_title (self);
  update_actions (self);
}

GtkWidget *
mer_window_get_visible_view (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);

  if (self->views->len == 0)
    return NULL;
  return g_ptr_array_index (self->views, self->views->len - 1);
}

void
mer_window_show_search (MerWindow *self)
{
  GtkWidget *focus;

  g_return_if_fail (MER_IS_WINDOW (self));

  focus = gtk_root_get_focus (GTK_ROOT (self));
  if (focus != NULL && !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->search_panel)))
    g_set_weak_pointer (&self->focus_before_search, focus);
  gtk_widget_set_visible (GTK_WIDGET (self->search_panel), TRUE);
  mer_search_panel_focus (self->search_panel);
}

/* Closing search gives the focus back to where it was before. */
void
mer_window_hide_search (MerWindow *self)
{
  GtkWidget *focus;

  g_return_if_fail (MER_IS_WINDOW (self));

  focus = gtk_root_get_focus (GTK_ROOT (self));
  gtk_widget_set_visible (GTK_WIDGET (self->search_panel), FALSE);
  if (self->focus_before_search != NULL && focus != NULL
      && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->search_panel))
      && gtk_widget_get_mapped (self->focus_before_search))
    gtk_widget_grab_focus (self->focus_before_search);
  g_clear_weak_pointer (&self->focus_before_search);
}

void
mer_window_add_toast (MerWindow  *self,
                      const char *title)
{
  g_return_if_fail (MER_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

static void
search_result_activated_cb (MerWindow  *self,
                            const char *id,
                            const char *type)
{
  mer_window_hide_search (self);
  mer_window_open_doc (self, id);
}

static void
page_activated_cb (MerWindow  *self,
                   const char *page_id)
{
  mer_window_open_page (self, page_id);
}

static void
page_view_changed_cb (MerWindow *self)
{
  if (g_strcmp0 (self->section, "handbook") == 0 && self->views->len == 0)
    update_title (self);
  update_actions (self);
}

static GSettings *
get_settings (MerWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return MER_IS_APPLICATION (app) ? mer_application_get_settings (MER_APPLICATION (app)) : NULL;
}

static void
page_id_changed_cb (MerWindow *self)
{
  const char *page_id = mer_page_view_get_page_id (self->page_view);

  if (page_id != NULL)
    {
      GSettings *settings = get_settings (self);

      mer_page_tree_select_page (self->page_tree, page_id);
      if (settings != NULL)
        g_settings_set_string (settings, "last-page", page_id);
    }
  page_view_changed_cb (self);
}

/*
 * The page in the reader was deleted by someone else (a sync, another
 * process): say so and show another page; in place when another section
 * or a pushed view is on screen, so as not to pull the person away.
 */
static void
page_deleted_cb (MerWindow  *self,
                 const char *page_id)
{
  g_autofree char *other = find_other_page (self, page_id);
  const char *title = mer_page_view_get_title (self->page_view);
  gboolean reading = self->views->len == 0 && g_strcmp0 (self->section, "handbook") == 0;

  if (reading)
    {
      g_autofree char *text = g_strdup_printf (_("“%s” was deleted"), title != NULL ? title : page_id);

      mer_window_add_toast (self, text);
    }
  if (other == NULL)
    mer_page_view_reload (self->page_view);
  else if (reading)
    mer_window_open_page (self, other);
  else
    mer_page_view_open (self->page_view, other);
}

static void
open_doc_requested_cb (MerWindow  *self,
                       const char *doc_id)
{
  mer_window_open_doc (self, doc_id);
}

static void
new_page_requested_cb (MerWindow  *self,
                       const char *target)
{
  host_new_page (self, target);
}

static void
resolve_conflict_requested_cb (MerWindow  *self,
                               const char *page_id)
{
  host_resolve_conflict (self, page_id);
}

/* The page a workspace opens on: the one read last, else a home page. */
static char *
find_home_page (MerWindow *self)
{
  const char *names[] = { "Home", "Start here", "Welcome", "index", "README", "Handbook" };
  GSettings *settings = get_settings (self);

  if (settings != NULL)
    {
      g_autofree char *last = g_settings_get_string (settings, "last-page");
      g_autoptr(JsonObject) doc = NULL;

      if (*last != '\0')
        doc = mer_store_get_doc (self->store, last, NULL, MER_GET_DEFAULT, NULL);
      if (doc != NULL && g_strcmp0 (mer_json_get_string (doc, "type"), "page") == 0)
        return g_steal_pointer (&last);
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *id = mer_store_resolve_link (self->store, names[i], NULL);

      if (id != NULL)
        return id;
    }
  return NULL;
}

/*
 * The sections beside the handbook.  They are built once the first page is
 * on screen (or when something asks for one), so that starting the app
 * does not wait for views the person has not opened yet.
 */
static void
ensure_section_views (MerWindow *self)
{
  MerStore *store = self->store;

  if (self->sections_added)
    return;
  self->sections_added = TRUE;

  /* Section views: add yours here */
  mer_window_add_section (self, "proposals", _("Proposals"), "mail-send-symbolic", mer_proposals_view_new (store));
  mer_window_add_section (self, "decisions", _("Decisions"), "emblem-ok-symbolic", mer_decisions_view_new (store));
  mer_window_add_section (self, "team", _("Team"), "system-users-symbolic", mer_team_view_new (store));

  mer_ui_bench_mark ("window-sections-built");
}

/* Lists the pages in the sidebar and builds the other sections. */
static gboolean
load_tree_cb (gpointer user_data)
{
  MerWindow *self = user_data;

  self->tree_timeout_id = 0;
  if (!self->tree_requested)
    {
      self->tree_requested = TRUE;
      mer_page_tree_reload (self->page_tree);
    }
  ensure_section_views (self);
  return G_SOURCE_REMOVE;
}

/* The first page is on screen: now list the others in the sidebar. */
static void
first_page_loaded_cb (MerWindow *self)
{
  g_clear_handle_id (&self->tree_timeout_id, g_source_remove);
  load_tree_cb (self);
}

static void
tree_loaded_cb (MerWindow *self)
{
  g_autofree char *first = NULL;

  if (self->first_page_opened)
    return;
  first = mer_page_tree_get_first_page (self->page_tree);
  if (first != NULL)
    mer_window_open_page (self, first);
}

static void
default_width_cb (MerWindow *self)
{
  /* Also notified while the window is torn down. */
  if (self->views != NULL && self->page_view != NULL)
    update_actions (self);
}

static void
folded_changed_cb (MerWindow *self)
{
  /* Folding shows the content, not the list the person was not using. */
  if (adw_leaflet_get_folded (self->leaflet))
    reveal_content (self);
  update_actions (self);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);

  if (gtk_widget_get_visible (GTK_WIDGET (self->search_panel)))
    mer_window_hide_search (self);
  else
    mer_window_show_search (self);
}

/*
 * F6 moves the keyboard focus from pane to pane as in GNOME's own apps:
 * the sidebar, the content, then search (opened for it), and round again;
 * Shift+F6 goes the other way.  The header bars belong to no pane, so F6
 * from a header button starts at the sidebar.
 */
typedef enum
{
  PANE_NONE = -1,
  PANE_SIDEBAR,
  PANE_CONTENT,
  PANE_SEARCH,
  N_PANES
} Pane;

static gboolean
focus_within (GtkWidget *focus,
              GtkWidget *container)
{
  return focus != NULL && (focus == container || gtk_widget_is_ancestor (focus, container));
}

static Pane
current_pane (MerWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (gtk_widget_get_visible (GTK_WIDGET (self->search_panel))
      && focus_within (focus, GTK_WIDGET (self->search_panel)))
    return PANE_SEARCH;
  if (focus_within (focus, GTK_WIDGET (self->sections_list)) || focus_within (focus, self->tree_box))
    return PANE_SIDEBAR;
  if (focus_within (focus, GTK_WIDGET (self->content_stack)))
    return PANE_CONTENT;
  return PANE_NONE;
}

static gboolean
focus_pane (MerWindow *self,
            Pane       pane)
{
  GtkWidget *child;
  GtkListBoxRow *row;

  if (pane != PANE_SEARCH && gtk_widget_get_visible (GTK_WIDGET (self->search_panel)))
    mer_window_hide_search (self);

  switch (pane)
    {
    case PANE_SIDEBAR:
      adw_leaflet_set_visible_child_name (self->leaflet, "sidebar");
      row = gtk_list_box_get_selected_row (self->sections_list);
      if (row != NULL)
        return gtk_widget_grab_focus (GTK_WIDGET (row));
      return gtk_widget_child_focus (GTK_WIDGET (self->sections_list), GTK_DIR_TAB_FORWARD);
    case PANE_CONTENT:
      reveal_content (self);
      child = gtk_stack_get_visible_child (self->content_stack);
      if (child == NULL)
        return FALSE;
      return gtk_widget_child_focus (child, GTK_DIR_TAB_FORWARD) || gtk_widget_grab_focus (child);
    case PANE_SEARCH:
      mer_window_show_search (self);
      return TRUE;
    case PANE_NONE:
    case N_PANES:
    default:
      return FALSE;
    }
}

static void
next_pane_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);
  int step = g_str_equal (action_name, "win.previous-pane") ? N_PANES - 1 : 1;
  Pane pane = current_pane (self);

  /* From no pane, forward starts at the sidebar and backward at the content. */
  if (pane == PANE_NONE)
    pane = PANE_SEARCH;
  /* A pane that takes no focus (an empty view) is passed over. */
  for (int i = 0; i < N_PANES; i++)
    {
      pane = (pane + step) % N_PANES;
      if (focus_pane (self, pane))
        return;
    }
}

/*
 * GtkPaned binds F6 to cycling its own two children, and the proposals and
 * decisions views are panes: the window takes F6 first, on its way down.
 */
static gboolean
pane_key_pressed_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     MerWindow             *self)
{
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();

  if (keyval != GDK_KEY_F6 || (mods != 0 && mods != GDK_SHIFT_MASK))
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self), mods == GDK_SHIFT_MASK ? "win.previous-pane" : "win.next-pane",
                              NULL);
  return TRUE;
}

static void
go_back_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);

  if (self->views->len > 0)
    mer_window_close_view (self, g_ptr_array_index (self->views, self->views->len - 1));
  else if (g_strcmp0 (self->section, "handbook") == 0)
    mer_page_view_go_back (self->page_view);
}

static void
go_forward_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);

  if (self->views->len == 0 && g_strcmp0 (self->section, "handbook") == 0)
    mer_page_view_go_forward (self->page_view);
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);

  adw_leaflet_set_visible_child_name (self->leaflet, "sidebar");
}

static void
new_page_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  host_new_page (MER_WINDOW (widget), NULL);
}

static void
edit_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);
  const char *page_id = mer_page_view_get_page_id (self->page_view);

  if (page_id != NULL)
    host_edit_page (self, page_id);
}

static void
page_history_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);
  const char *page_id = mer_page_view_get_page_id (self->page_view);

  if (page_id != NULL)
    host_show_history (self, page_id);
}

static void
delete_page_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);
  const char *page_id = mer_page_view_get_page_id (self->page_view);

  if (page_id != NULL)
    host_delete_page (self, page_id);
}

static void
page_info_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);

  mer_page_view_set_show_info (self->page_view, !mer_page_view_get_show_info (self->page_view));
}

static gboolean focus_ended_cb (gpointer user_data);

/*
 * The focus button in the header shows whether the user is in deep work
 * (highlighted, "In deep work until 15:30"), from the person document that
 * "me" names; it is redrawn when the replica changes and when the focus
 * ends on its own.
 */
static void
update_focus_button (MerWindow *self)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autofree char *me_id = mer_schedule_get_me (self->store);
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(MerSchedule) me = NULL;
  g_autoptr(GDateTime) next = NULL;
  g_autofree char *tooltip = NULL;

  g_clear_handle_id (&self->focus_end_id, g_source_remove);
  if (me_id != NULL)
    person = mer_store_get_doc (self->store, me_id, NULL, MER_GET_DEFAULT, NULL);
  if (person != NULL)
    me = mer_schedule_new_from_person (person, NULL);
  self->in_focus = me != NULL && mer_schedule_in_focus (me, now);

  if (self->in_focus)
    {
      mer_schedule_status_at (me, now, &next);
      if (next != NULL)
        {
          g_autoptr(GDateTime) local = mer_schedule_local_time (me, next);
          /* Translators: a time of day, see g_date_time_format(); "15:30". */
          g_autofree char *until = g_date_time_format (local, _("%H:%M"));
          GTimeSpan left = g_date_time_difference (next, now);

          /* Translators: %s is a time such as 15:30. */
          tooltip = g_strdup_printf (_("In deep work until %s"), until);
          self->focus_end_id = g_timeout_add_seconds (CLAMP (left / G_USEC_PER_SEC + 1, 1, 24 * 3600),
                                                      focus_ended_cb, self);
        }
      else
        tooltip = g_strdup (_("In deep work"));
      gtk_widget_add_css_class (self->focus_button, "mer-in-focus");
    }
  else
    {
      tooltip = g_strdup (_("Focus (Ctrl+Shift+F starts or ends 25 minutes)"));
      gtk_widget_remove_css_class (self->focus_button, "mer-in-focus");
    }
  gtk_widget_set_tooltip_text (self->focus_button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->focus_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tooltip, -1);
}

static gboolean
focus_ended_cb (gpointer user_data)
{
  MerWindow *self = user_data;

  self->focus_end_id = 0;
  update_focus_button (self);
  return G_SOURCE_REMOVE;
}

static gboolean
focus_idle_cb (gpointer user_data)
{
  MerWindow *self = user_data;

  self->focus_idle_id = 0;
  update_focus_button (self);
  return G_SOURCE_REMOVE;
}

static void
store_changed_cb (MerWindow *self)
{
  if (self->focus_idle_id == 0)
    self->focus_idle_id = g_idle_add (focus_idle_cb, self);
}

/* The same focus the Team view sets: for some minutes, or 0 to end it. */
static void
set_focus (MerWindow *self,
           guint      minutes)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autofree char *me = mer_schedule_get_me (self->store);

  if (me == NULL)
    {
      mer_profile_dialog_present (GTK_WIDGET (self), self->store);
      return;
    }
  if (!mer_schedule_set_user_focus (self->store, now, minutes, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not change focus: %s"), error->message);

      mer_window_add_toast (self, text);
      return;
    }
  update_focus_button (self);
  if (minutes > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "Focus for %u minute. Teammates see it when they sync.",
                                                             "Focus for %u minutes. Teammates see it when they sync.",
                                                             minutes), minutes);
      mer_window_add_toast (self, text);
    }
  else
    mer_window_add_toast (self, _("Focus ended"));
}

static void
focus_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  set_focus (MER_WINDOW (widget), g_variant_get_uint32 (parameter));
}

/* One key for the common case: 25 minutes of focus, or end it. */
static void
toggle_focus_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MerWindow *self = MER_WINDOW (widget);

  update_focus_button (self);
  set_focus (self, self->in_focus ? 0 : 25);
}

static void
mer_window_map (GtkWidget *widget)
{
  static gboolean reported;

  GTK_WIDGET_CLASS (mer_window_parent_class)->map (widget);
  if (!reported)
    {
      reported = TRUE;
      mer_ui_bench_mark ("window-mapped");
    }
}

static void
mer_window_dispose (GObject *object)
{
  MerWindow *self = MER_WINDOW (object);

  g_clear_handle_id (&self->tree_timeout_id, g_source_remove);
  g_clear_handle_id (&self->focus_idle_id, g_source_remove);
  g_clear_handle_id (&self->focus_end_id, g_source_remove);
  g_clear_weak_pointer (&self->focus_before_search);
  if (self->views != NULL)
    g_ptr_array_set_size (self->views, 0);
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_WINDOW);
  g_clear_pointer (&self->sections, g_ptr_array_unref);
  g_clear_pointer (&self->views, g_ptr_array_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_window_parent_class)->dispose (object);
}

static void
mer_window_finalize (GObject *object)
{
  MerWindow *self = MER_WINDOW (object);

  g_free (self->section);
  G_OBJECT_CLASS (mer_window_parent_class)->finalize (object);
}

static void
mer_window_class_init (MerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_window_dispose;
  object_class->finalize = mer_window_finalize;
  widget_class->map = mer_window_map;

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MerWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, overlay);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, sections_list);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, tree_box);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, content_header);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, page_menu_button);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, focus_button);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, sync_box);
  gtk_widget_class_bind_template_child (widget_class, MerWindow, content_stack);
  gtk_widget_class_bind_template_callback (widget_class, section_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, folded_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-page", NULL, new_page_action);
  gtk_widget_class_install_action (widget_class, "win.edit-page", NULL, edit_page_action);
  gtk_widget_class_install_action (widget_class, "win.page-history", NULL, page_history_action);
  gtk_widget_class_install_action (widget_class, "win.delete-page", NULL, delete_page_action);
  gtk_widget_class_install_action (widget_class, "win.page-info", NULL, page_info_action);
  gtk_widget_class_install_action (widget_class, "win.go-back", NULL, go_back_action);
  gtk_widget_class_install_action (widget_class, "win.go-forward", NULL, go_forward_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.focus", "u", focus_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-focus", NULL, toggle_focus_action);
  gtk_widget_class_install_action (widget_class, "win.next-pane", NULL, next_pane_action);
  gtk_widget_class_install_action (widget_class, "win.previous-pane", NULL, next_pane_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.edit-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK, "win.page-history", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.page-info", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F6, 0, "win.next-pane", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F6, GDK_SHIFT_MASK, "win.previous-pane", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.toggle-focus", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.go-back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_ALT_MASK, "win.go-forward", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Back, 0, "win.go-back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Forward, 0, "win.go-forward", NULL);
}

static void
mer_window_init (MerWindow *self)
{
  GtkEventController *keys;

  g_type_ensure (MER_TYPE_PAGE_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (pane_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  self->sections = g_ptr_array_new_with_free_func ((GDestroyNotify) section_free);
  self->views = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Builds the parts that need the replica, then registers the sections. */
static void
mer_window_setup (MerWindow *self)
{
  MerApplication *app = MER_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autofree char *home = NULL;
  MerStore *store = self->store;

  self->page_view = MER_PAGE_VIEW (mer_page_view_new (store));
  g_signal_connect_object (self->page_view, "notify::page-id", G_CALLBACK (page_id_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "notify::title", G_CALLBACK (page_view_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "notify::can-go-back", G_CALLBACK (page_view_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "notify::can-go-forward", G_CALLBACK (page_view_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "new-page-requested", G_CALLBACK (new_page_requested_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "page-deleted", G_CALLBACK (page_deleted_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "open-doc-requested", G_CALLBACK (open_doc_requested_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "resolve-conflict-requested",
                           G_CALLBACK (resolve_conflict_requested_cb), self, G_CONNECT_SWAPPED);

  /* Starting WebKit's processes is the slowest part of opening the window:
   * ask for the first page now and build the rest meanwhile. */
  home = find_home_page (self);
  if (home != NULL)
    {
      self->first_page_opened = TRUE;
      mer_page_view_open (self->page_view, home);
    }

  self->page_tree = MER_PAGE_TREE (mer_page_tree_new (store));
  gtk_widget_set_vexpand (GTK_WIDGET (self->page_tree), TRUE);
  gtk_box_append (GTK_BOX (self->tree_box), GTK_WIDGET (self->page_tree));
  g_signal_connect_object (self->page_tree, "page-activated", G_CALLBACK (page_activated_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_tree, "loaded", G_CALLBACK (tree_loaded_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->page_view, "page-loaded", G_CALLBACK (first_page_loaded_cb),
                           self, G_CONNECT_SWAPPED);

  self->search_panel = MER_SEARCH_PANEL (mer_search_panel_new (store));
  gtk_widget_set_visible (GTK_WIDGET (self->search_panel), FALSE);
  gtk_overlay_add_overlay (self->overlay, GTK_WIDGET (self->search_panel));
  g_signal_connect_object (self->search_panel, "result-activated",
                           G_CALLBACK (search_result_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_panel, "close-requested",
                           G_CALLBACK (mer_window_hide_search), self, G_CONNECT_SWAPPED);

  self->sync_indicator = mer_sync_indicator_new (app ? mer_application_get_sync (app) : NULL);
  gtk_box_append (GTK_BOX (self->sync_box), self->sync_indicator);

  adw_window_title_set_subtitle (self->sidebar_title, mer_store_get_name (store));
  g_signal_connect_object (store, "changed", G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::default-width", G_CALLBACK (default_width_cb), NULL);
  update_focus_button (self);

  mer_window_add_section (self, "handbook", _("Handbook"), "accessories-dictionary-symbolic",
                          GTK_WIDGET (self->page_view));

  mer_ui_bench_mark ("window-core-built");
  mer_window_show_section (self, "handbook");

  if (home != NULL)
    self->tree_timeout_id = g_timeout_add (1500, load_tree_cb, self);
  else
    load_tree_cb (self);
}

MerWindow *
mer_window_new (GtkApplication *application,
                MerStore       *store)
{
  MerWindow *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_WINDOW, "application", application, NULL);
  self->store = g_object_ref (store);
  mer_window_setup (self);
  return self;
}

MerStore *
mer_window_get_store (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return self->store;
}

GtkWidget *
mer_window_get_page_view (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->page_view);
}

GtkWidget *
mer_window_get_search_panel (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->search_panel);
}

GtkWidget *
mer_window_get_page_tree (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->page_tree);
}

GtkWidget *
mer_window_get_sync_indicator (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return self->sync_indicator;
}

/* Whether the header's focus button says the user is in deep work. */
gboolean
mer_window_get_in_focus (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), FALSE);
  return self->in_focus;
}

GtkWidget *
mer_window_get_focus_button (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), NULL);
  return self->focus_button;
}

/* Whether the window shows one column (narrow) rather than two. */
gboolean
mer_window_get_folded (MerWindow *self)
{
  g_return_val_if_fail (MER_IS_WINDOW (self), FALSE);
  return adw_leaflet_get_folded (self->leaflet);
}
