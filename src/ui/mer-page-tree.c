/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-page-tree.h"
#include "mer-core.h"

#include "mer-json.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <glib/gi18n.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

/*
 * The handbook's pages as a tree of folders, grouped by the "/"-separated
 * segments of each page's path.  The list of pages is read on a worker
 * thread with its own connection to the replica, so a workspace of ten
 * thousand pages never holds up the first page on screen.
 */

#define MER_TYPE_PAGE_NODE (mer_page_node_get_type ())
G_DECLARE_FINAL_TYPE (MerPageNode, mer_page_node, MER, PAGE_NODE, GObject)

struct _MerPageNode
{
  GObject     parent_instance;
  char       *label;
  char       *key;       /* the folder's path, or the page's path */
  char       *page_id;   /* NULL for a folder that is not also a page */
  GListStore *children;  /* NULL for a page without sub-pages */
};

G_DEFINE_FINAL_TYPE (MerPageNode, mer_page_node, G_TYPE_OBJECT)

static void
mer_page_node_finalize (GObject *object)
{
  MerPageNode *self = MER_PAGE_NODE (object);

  g_free (self->label);
  g_free (self->key);
  g_free (self->page_id);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (mer_page_node_parent_class)->finalize (object);
}

static void
mer_page_node_class_init (MerPageNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mer_page_node_finalize;
}

static void
mer_page_node_init (MerPageNode *self)
{
}

/* Pages read per query when listing them. */
#define TREE_BATCH 500

typedef struct
{
  char *id;
  char *title;
  char *path;
} PageEntry;

static void
page_entry_free (PageEntry *entry)
{
  g_free (entry->id);
  g_free (entry->title);
  g_free (entry->path);
  g_free (entry);
}

struct _MerPageTree
{
  GtkWidget           parent_instance;

  MerStore           *store;
  GtkListView        *list_view;
  GtkTreeListModel   *tree_model;
  GtkSingleSelection *selection;
  GListStore         *root;
  GHashTable         *pages;        /* page id -> MerPageNode (borrowed) */
  GCancellable       *cancellable;
  char               *pending_select;
  guint               reload_id;
  gboolean            loading;
  gboolean            reload_again;  /* the replica changed while loading */
};

G_DEFINE_FINAL_TYPE (MerPageTree, mer_page_tree, GTK_TYPE_WIDGET)

enum {
  PAGE_ACTIVATED,
  LOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/*
 * Reads id, title and path of every page.  The changes feed is read in
 * batches rather than all pages at once, so a large handbook never has
 * all its page bodies in memory together.
 */
static void
load_pages_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  const char *data_dir = task_data;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) page_entry_free);
  GError *error = NULL;
  gint64 since = 0;

  store = mer_core_open_store (data_dir, &error);
  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (;;)
    {
      g_autoptr(JsonArray) rows = NULL;
      gint64 last_seq = since;
      guint n;

      if (g_task_return_error_if_cancelled (task))
        return;
      rows = mer_store_changes (store, since, TREE_BATCH, FALSE, TRUE, &last_seq, &error);
      if (rows == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      n = json_array_get_length (rows);
      for (guint i = 0; i < n; i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          JsonObject *doc = row && json_object_has_member (row, "doc")
                            ? json_object_get_object_member (row, "doc") : NULL;
          PageEntry *entry;

          if (doc == NULL || mer_json_get_bool (doc, "_deleted")
              || g_strcmp0 (mer_json_get_string (doc, "type"), "page") != 0
              || mer_json_get_string (doc, "_id") == NULL)
            continue;
          entry = g_new0 (PageEntry, 1);
          entry->id = g_strdup (mer_json_get_string (doc, "_id"));
          entry->title = g_strdup (mer_json_get_string (doc, "title"));
          entry->path = g_strdup (mer_json_get_string (doc, "path"));
          if (entry->title == NULL)
            entry->title = g_strdup (entry->id);
          if (entry->path == NULL)
            entry->path = g_strdup ("");
          g_ptr_array_add (entries, entry);
        }
      if (n < TREE_BATCH || last_seq <= since)
        break;
      since = last_seq;
    }
  g_task_return_pointer (task, g_steal_pointer (&entries), (GDestroyNotify) g_ptr_array_unref);
}

static int
compare_nodes (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const MerPageNode *na = a;
  const MerPageNode *nb = b;

  /* Folders first, then by name as a person reads it. */
  if ((na->children != NULL) != (nb->children != NULL))
    return na->children != NULL ? -1 : 1;
  return g_utf8_collate (na->label, nb->label);
}

static MerPageNode *
ensure_folder (GHashTable *folders,
               GListStore *root,
               const char *key)
{
  MerPageNode *node = g_hash_table_lookup (folders, key);
  const char *slash;
  GListStore *parent_store = root;

  if (node != NULL)
    return node;

  slash = strrchr (key, '/');
  if (slash != NULL)
    {
      g_autofree char *parent_key = g_strndup (key, slash - key);
      MerPageNode *parent = ensure_folder (folders, root, parent_key);

      parent_store = parent->children;
    }
  node = g_object_new (MER_TYPE_PAGE_NODE, NULL);
  node->key = g_strdup (key);
  node->label = mer_ui_path_folder_title (slash ? slash + 1 : key);
  node->children = g_list_store_new (MER_TYPE_PAGE_NODE);
  g_hash_table_insert (folders, node->key, node);
  g_list_store_append (parent_store, node);
  g_object_unref (node);
  return node;
}

static void
sort_recursive (GListStore *store)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  g_list_store_sort (store, compare_nodes, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MerPageNode) node = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (node->children != NULL)
        sort_recursive (node->children);
    }
}

/*
 * Builds the folder tree: a page "a/b/c" sits in folder "a/b"; a page
 * whose path is also a folder ("a/b" beside "a/b/c") becomes that folder.
 */
static GListStore *
build_tree (GPtrArray  *entries,
            GHashTable *pages)
{
  GListStore *root = g_list_store_new (MER_TYPE_PAGE_NODE);
  g_autoptr(GHashTable) folders = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < entries->len; i++)
    {
      PageEntry *entry = g_ptr_array_index (entries, i);
      const char *slash = strrchr (entry->path, '/');

      if (slash != NULL)
        {
          g_autofree char *parent = g_strndup (entry->path, slash - entry->path);

          if (*parent != '\0')
            ensure_folder (folders, root, parent);
        }
    }

  for (guint i = 0; i < entries->len; i++)
    {
      PageEntry *entry = g_ptr_array_index (entries, i);
      MerPageNode *folder = g_hash_table_lookup (folders, entry->path);
      const char *slash = strrchr (entry->path, '/');
      MerPageNode *node;

      if (folder != NULL && folder->page_id == NULL)
        {
          folder->page_id = g_strdup (entry->id);
          g_free (folder->label);
          folder->label = g_strdup (entry->title);
          g_hash_table_insert (pages, folder->page_id, folder);
          continue;
        }

      node = g_object_new (MER_TYPE_PAGE_NODE, NULL);
      node->label = g_strdup (entry->title);
      node->key = g_strdup (entry->path);
      node->page_id = g_strdup (entry->id);
      g_hash_table_insert (pages, node->page_id, node);
      if (slash != NULL && slash != entry->path)
        {
          g_autofree char *parent_key = g_strndup (entry->path, slash - entry->path);
          MerPageNode *parent = g_hash_table_lookup (folders, parent_key);

          g_list_store_append (parent ? parent->children : root, node);
        }
      else
        g_list_store_append (root, node);
      g_object_unref (node);
    }

  sort_recursive (root);
  return root;
}

static GListModel *
create_children_cb (gpointer item,
                    gpointer user_data)
{
  MerPageNode *node = item;

  return node->children ? g_object_ref (G_LIST_MODEL (node->children)) : NULL;
}

static GPtrArray *
collect_expanded (MerPageTree *self)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  guint n;

  if (self->tree_model == NULL)
    return keys;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->tree_model));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->tree_model), i);
      g_autoptr(MerPageNode) node = gtk_tree_list_row_get_item (row);

      if (gtk_tree_list_row_get_expanded (row))
        g_ptr_array_add (keys, g_strdup (node->key));
    }
  return keys;
}

static void
expand_keys (MerPageTree *self,
             GPtrArray   *keys)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->tree_model)); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->tree_model), i);
      g_autoptr(MerPageNode) node = gtk_tree_list_row_get_item (row);

      if (node->children != NULL && g_ptr_array_find_with_equal_func (keys, node->key, g_str_equal, NULL))
        gtk_tree_list_row_set_expanded (row, TRUE);
    }
}

static void
load_pages_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  MerPageTree *self = MER_PAGE_TREE (object);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) expanded = NULL;
  g_autoptr(GError) error = NULL;
  GListStore *root;

  self->loading = FALSE;
  entries = g_task_propagate_pointer (G_TASK (result), &error);
  if (entries == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not list the pages: %s", error->message);
      return;
    }

  expanded = collect_expanded (self);
  g_hash_table_remove_all (self->pages);
  root = build_tree (entries, self->pages);
  g_clear_object (&self->root);
  self->root = root;
  self->tree_model = gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (root)), FALSE, FALSE,
                                              create_children_cb, NULL, NULL);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->tree_model));
  g_object_unref (self->tree_model);   /* the selection holds it */
  expand_keys (self, expanded);

  if (self->pending_select != NULL)
    {
      g_autofree char *id = g_steal_pointer (&self->pending_select);

      mer_page_tree_select_page (self, id);
    }
#ifdef __GLIBC__
  /* Give back what reading the pages on the worker thread left behind. */
  malloc_trim (0);
#endif
  mer_ui_bench_mark ("page-tree-loaded");
  g_signal_emit (self, signals[LOADED], 0);

  if (self->reload_again)
    {
      self->reload_again = FALSE;
      mer_page_tree_reload (self);
    }
}

static void
setup_item_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), label);
  gtk_list_item_set_child (item, expander);
}

static void
bind_item_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (item);
  GtkWidget *expander = gtk_list_item_get_child (item);
  GtkWidget *label = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  g_autoptr(MerPageNode) node = gtk_tree_list_row_get_item (row);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_label_set_text (GTK_LABEL (label), node->label);
  /* The row the list view wraps around the expander is what takes the
   * focus; GTK 4.8 has no API to name it, so it is named through its child. */
  if (gtk_widget_get_parent (expander) != NULL)
    mer_ui_name_row (gtk_widget_get_parent (expander), node->label, NULL);
  gtk_widget_set_tooltip_text (label, node->key && *node->key ? node->key : node->label);
  if (node->page_id == NULL)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

static void
activate_cb (GtkListView *list_view,
             guint        position,
             MerPageTree *self)
{
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->tree_model), position);
  g_autoptr(MerPageNode) node = NULL;

  if (row == NULL)
    return;
  node = gtk_tree_list_row_get_item (row);
  if (node->children != NULL)
    gtk_tree_list_row_set_expanded (row, node->page_id != NULL || !gtk_tree_list_row_get_expanded (row));
  if (node->page_id != NULL)
    g_signal_emit (self, signals[PAGE_ACTIVATED], 0, node->page_id);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  MerPageTree *self = user_data;

  self->reload_id = 0;
  mer_page_tree_reload (self);
  return G_SOURCE_REMOVE;
}

/* Writes come in bursts (a sync, an import): rebuild once they settle. */
static void
store_changed_cb (MerPageTree *self)
{
  g_clear_handle_id (&self->reload_id, g_source_remove);
  self->reload_id = g_timeout_add (300, reload_timeout_cb, self);
}

static void
mer_page_tree_dispose (GObject *object)
{
  MerPageTree *self = MER_PAGE_TREE (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->root);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->pending_select, g_free);

  G_OBJECT_CLASS (mer_page_tree_parent_class)->dispose (object);
}

static void
mer_page_tree_class_init (MerPageTreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_page_tree_dispose;

  /* A page was chosen: its full id. */
  signals[PAGE_ACTIVATED] =
    g_signal_new ("page-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The list of pages was (re)read. */
  signals[LOADED] =
    g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
mer_page_tree_init (MerPageTree *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->pages = g_hash_table_new (g_str_hash, g_str_equal);
  self->cancellable = g_cancellable_new ();
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_item_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_item_cb), NULL);
  self->list_view = GTK_LIST_VIEW (gtk_list_view_new (g_object_ref (GTK_SELECTION_MODEL (self->selection)),
                                                      factory));
  gtk_list_view_set_single_click_activate (self->list_view, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list_view), "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Pages"), -1);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (activate_cb), self);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->list_view));
  gtk_widget_set_parent (scrolled, GTK_WIDGET (self));
}

GtkWidget *
mer_page_tree_new (MerStore *store)
{
  MerPageTree *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_PAGE_TREE, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "changed", G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

/* Reads the list of pages (again), off the UI thread.  The owner calls it
 * first: the window does once the first page is on screen, so the two do
 * not compete for the processor at start-up. */
void
mer_page_tree_reload (MerPageTree *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MER_IS_PAGE_TREE (self));

  if (self->loading)
    {
      self->reload_again = TRUE;
      return;
    }
  self->loading = TRUE;
  task = g_task_new (self, self->cancellable, load_pages_cb, NULL);
  g_task_set_source_tag (task, mer_page_tree_reload);
  g_task_set_task_data (task, g_strdup (mer_store_get_data_dir (self->store)), g_free);
  g_task_run_in_thread (task, load_pages_thread);
}

guint
mer_page_tree_get_n_pages (MerPageTree *self)
{
  g_return_val_if_fail (MER_IS_PAGE_TREE (self), 0);
  return g_hash_table_size (self->pages);
}

/* The first page in the tree's order, or NULL when there is none. */
char *
mer_page_tree_get_first_page (MerPageTree *self)
{
  GListModel *model;

  g_return_val_if_fail (MER_IS_PAGE_TREE (self), NULL);

  model = self->root ? G_LIST_MODEL (self->root) : NULL;
  while (model != NULL && g_list_model_get_n_items (model) > 0)
    {
      g_autoptr(MerPageNode) node = g_list_model_get_item (model, 0);

      if (node->page_id != NULL)
        return g_strdup (node->page_id);
      model = node->children ? G_LIST_MODEL (node->children) : NULL;
    }
  return NULL;
}

/* Highlights a page, opening the folders above it. */
void
mer_page_tree_select_page (MerPageTree *self,
                           const char  *page_id)
{
  MerPageNode *target;
  GListModel *model;

  g_return_if_fail (MER_IS_PAGE_TREE (self));

  if (self->tree_model == NULL || self->loading)
    {
      g_free (self->pending_select);
      self->pending_select = g_strdup (page_id);
      if (self->tree_model == NULL)
        return;
    }

  target = page_id ? g_hash_table_lookup (self->pages, page_id) : NULL;
  if (target == NULL)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      return;
    }

  model = G_LIST_MODEL (self->tree_model);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, i);
      g_autoptr(MerPageNode) node = gtk_tree_list_row_get_item (row);

      if (node == target)
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", i);
          return;
        }
      if (node->children != NULL && target->key != NULL && node->key != NULL
          && g_str_has_prefix (target->key, node->key)
          && target->key[strlen (node->key)] == '/')
        gtk_tree_list_row_set_expanded (row, TRUE);
    }
}
