/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-search-panel.h"

#include "mer-json.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <glib/gi18n.h>

/*
 * Search everywhere: a panel over the window with an entry and the results
 * as the person types.  A keystroke asks for a search that runs once the
 * input already queued has been handled, before the next frame: keys typed
 * while a search ran become one search, and no keystroke waits on a timer.
 */

#define SEARCH_LIMIT 20

struct _MerSearchPanel
{
  GtkWidget       parent_instance;

  MerStore       *store;
  gint64          last_search_us;    /* monotonic time of the last search */
  guint           search_id;         /* the search asked for, not yet run */
  guint           n_results;
  gboolean        bench;             /* MERIDIAN_BENCH: report search latencies */
  gint64          keystroke_us;      /* when the text last changed */
  gint64          searched_keystroke_us;  /* the change the results shown answer */
  gint64          search_us;         /* how long the query took */
  gint64          rows_us;           /* how long making the rows took */
  char           *searched_query;    /* the text the results shown answer */

  GtkWidget      *clamp;
  GtkWidget      *card;
  GtkSearchEntry *entry;
  GtkStack       *stack;
  GtkListBox     *results_list;
};

G_DEFINE_FINAL_TYPE (MerSearchPanel, mer_search_panel, GTK_TYPE_WIDGET)

enum {
  RESULT_ACTIVATED,
  CLOSE_REQUESTED,
  SEARCHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
type_icon (const char *type)
{
  if (g_strcmp0 (type, "proposal") == 0)
    return "document-edit-symbolic";
  if (g_strcmp0 (type, "decision") == 0)
    return "emblem-ok-symbolic";
  if (g_strcmp0 (type, "comment") == 0)
    return "chat-message-new-symbolic";
  return "x-office-document-symbolic";
}

static const char *
type_label (const char *type)
{
  if (g_strcmp0 (type, "proposal") == 0)
    return _("Proposal");
  if (g_strcmp0 (type, "decision") == 0)
    return _("Decision");
  if (g_strcmp0 (type, "comment") == 0)
    return _("Comment");
  return _("Page");
}

/* Comments have no title: say who wrote on what. */
static char *
comment_title (MerStore     *store,
               MerSearchHit *hit)
{
  g_autoptr(JsonObject) comment = mer_store_get_doc (store, hit->id, NULL, MER_GET_DEFAULT, NULL);
  g_autoptr(JsonObject) author = NULL;
  g_autoptr(JsonObject) on = NULL;
  const char *author_name = NULL;
  const char *on_title = NULL;

  if (comment == NULL)
    return NULL;
  if (mer_json_get_string (comment, "author") != NULL)
    author = mer_store_get_doc (store, mer_json_get_string (comment, "author"), NULL, MER_GET_DEFAULT, NULL);
  if (mer_json_get_string (comment, "on") != NULL)
    on = mer_store_get_doc (store, mer_json_get_string (comment, "on"), NULL, MER_GET_DEFAULT, NULL);
  author_name = author ? mer_json_get_string (author, "name") : NULL;
  on_title = on ? mer_json_get_string (on, "title") : NULL;
  if (author_name != NULL && on_title != NULL)
    /* Translators: "Ana Silva on Weekly updates", a comment in search results. */
    return g_strdup_printf (_("%s on “%s”"), author_name, on_title);
  if (on_title != NULL)
    return g_strdup_printf (_("Comment on “%s”"), on_title);
  return NULL;
}

static GtkWidget *
make_result_row (MerSearchPanel *self,
                 MerSearchHit   *hit)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new_from_icon_name (type_icon (hit->type));
  g_autofree char *better_title = g_strcmp0 (hit->type, "comment") == 0 ? comment_title (self->store, hit) : NULL;
  GtkWidget *title = gtk_label_new (better_title ? better_title : hit->title ? hit->title : hit->id);
  GtkWidget *kind = gtk_label_new (type_label (hit->type));
  GtkWidget *snippet = gtk_label_new (NULL);
  g_autofree char *flat = hit->snippet ? g_strdelimit (g_strdup (hit->snippet), "\r\n\t", ' ') : NULL;
  g_autofree char *markup = flat ? mer_search_snippet_to_markup (flat) : NULL;
  g_autofree char *accessible = NULL;

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_add_css_class (kind, "dim-label");
  gtk_widget_add_css_class (kind, "caption");
  gtk_box_append (GTK_BOX (line), icon);
  gtk_box_append (GTK_BOX (line), title);
  gtk_box_append (GTK_BOX (line), kind);
  gtk_box_append (GTK_BOX (box), line);

  if (hit->path != NULL && *hit->path != '\0')
    {
      GtkWidget *path = gtk_label_new (hit->path);

      gtk_label_set_xalign (GTK_LABEL (path), 0);
      gtk_label_set_ellipsize (GTK_LABEL (path), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_add_css_class (path, "dim-label");
      gtk_widget_add_css_class (path, "caption");
      gtk_box_append (GTK_BOX (box), path);
    }

  if (markup != NULL && *markup != '\0')
    {
      gtk_label_set_markup (GTK_LABEL (snippet), markup);
      gtk_label_set_xalign (GTK_LABEL (snippet), 0);
      gtk_label_set_wrap (GTK_LABEL (snippet), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (snippet), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (GTK_LABEL (snippet), 2);
      gtk_label_set_ellipsize (GTK_LABEL (snippet), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (snippet, "mer-snippet");
      gtk_box_append (GTK_BOX (box), snippet);
    }

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "mer-id", g_strdup (hit->id), g_free);
  g_object_set_data_full (G_OBJECT (row), "mer-type", g_strdup (hit->type), g_free);
  /* Translators: accessible name of a search result, "Page: On-call". */
  accessible = g_strdup_printf (_("%s: %s"), type_label (hit->type),
                                gtk_label_get_text (GTK_LABEL (title)));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  return row;
}

/* Benchmarks: from the keystroke to the frame that shows its results. */
static void
after_paint_cb (GdkFrameClock  *clock,
                MerSearchPanel *self)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
  g_printerr ("meridian-bench: search-latency-us=%" G_GINT64_FORMAT " query-us=%" G_GINT64_FORMAT
              " rows-us=%" G_GINT64_FORMAT " results=%u query=%s\n",
              g_get_monotonic_time () - self->searched_keystroke_us, self->search_us, self->rows_us,
              self->n_results, self->searched_query ? self->searched_query : "");
}

static gboolean
is_blank (const char *text)
{
  for (; text != NULL && *text != '\0'; text = g_utf8_next_char (text))
    if (!g_unichar_isspace (g_utf8_get_char (text)))
      return FALSE;
  return TRUE;
}

static void
run_search (MerSearchPanel *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  self->last_search_us = g_get_monotonic_time ();
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
  self->n_results = 0;

  if (is_blank (query))
    {
      gtk_stack_set_visible_child_name (self->stack, "hint");
      g_signal_emit (self, signals[SEARCHED], 0);
      return;
    }

  self->searched_keystroke_us = self->keystroke_us;
  g_free (self->searched_query);
  self->searched_query = g_strdup (query);
  hits = mer_store_search (self->store, query, SEARCH_LIMIT, &error);
  self->search_us = g_get_monotonic_time () - self->last_search_us;
  if (hits == NULL)
    {
      g_warning ("Search failed: %s", error ? error->message : "unknown error");
      gtk_stack_set_visible_child_name (self->stack, "empty");
      g_signal_emit (self, signals[SEARCHED], 0);
      return;
    }

  for (guint i = 0; i < hits->len; i++)
    gtk_list_box_append (self->results_list, make_result_row (self, g_ptr_array_index (hits, i)));
  self->rows_us = g_get_monotonic_time () - self->last_search_us - self->search_us;
  self->n_results = hits->len;
  gtk_stack_set_visible_child_name (self->stack, hits->len > 0 ? "results" : "empty");
  if (hits->len > 0)
    gtk_list_box_select_row (self->results_list, gtk_list_box_get_row_at_index (self->results_list, 0));

  if (self->bench && gtk_widget_get_realized (GTK_WIDGET (self)))
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

      g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
      g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
    }
  g_signal_emit (self, signals[SEARCHED], 0);
}

static gboolean
search_idle_cb (gpointer user_data)
{
  MerSearchPanel *self = user_data;

  self->search_id = 0;
  run_search (self);
  return G_SOURCE_REMOVE;
}

static void
entry_changed_cb (MerSearchPanel *self)
{
  self->keystroke_us = g_get_monotonic_time ();
  if (self->search_id != 0)
    return;
  /* Below input events, so keys already queued come first; above drawing,
   * so the frame after them shows their results. */
  self->search_id = g_idle_add_full (G_PRIORITY_DEFAULT + 1, search_idle_cb, self, NULL);
}

static void
activate_row (MerSearchPanel *self,
              GtkListBoxRow  *row)
{
  const char *id;
  const char *type;

  if (row == NULL)
    return;
  id = g_object_get_data (G_OBJECT (row), "mer-id");
  type = g_object_get_data (G_OBJECT (row), "mer-type");
  if (id != NULL)
    g_signal_emit (self, signals[RESULT_ACTIVATED], 0, id, type);
}

static void
entry_activate_cb (MerSearchPanel *self)
{
  /* A search still waiting would change the rows under the person's Enter. */
  if (self->search_id != 0)
    {
      g_clear_handle_id (&self->search_id, g_source_remove);
      run_search (self);
    }
  activate_row (self, gtk_list_box_get_selected_row (self->results_list));
}

static void
row_activated_cb (MerSearchPanel *self,
                  GtkListBoxRow  *row)
{
  activate_row (self, row);
}

static void
stop_search_cb (MerSearchPanel *self)
{
  g_signal_emit (self, signals[CLOSE_REQUESTED], 0);
}

static void
move_selection (MerSearchPanel *self,
                int             delta)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->results_list);
  int index = row ? gtk_list_box_row_get_index (row) + delta : 0;

  if (self->n_results == 0)
    return;
  index = CLAMP (index, 0, (int) self->n_results - 1);
  mer_search_panel_select (self, index);
}

/* Up and Down move through the results while the focus stays in the entry. */
static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                MerSearchPanel        *self)
{
  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_selection (self, 1);
      return TRUE;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_selection (self, -1);
      return TRUE;
    case GDK_KEY_Page_Down:
      move_selection (self, 5);
      return TRUE;
    case GDK_KEY_Page_Up:
      move_selection (self, -5);
      return TRUE;
    case GDK_KEY_Escape:
      g_signal_emit (self, signals[CLOSE_REQUESTED], 0);
      return TRUE;
    default:
      return FALSE;
    }
}

/* A click on the dimmed window around the card closes the panel. */
static void
scrim_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  MerSearchPanel  *self)
{
  graphene_point_t point = GRAPHENE_POINT_INIT (x, y);
  graphene_rect_t bounds;

  if (gtk_widget_compute_bounds (self->card, GTK_WIDGET (self), &bounds)
      && graphene_rect_contains_point (&bounds, &point))
    return;
  g_signal_emit (self, signals[CLOSE_REQUESTED], 0);
}

static void
mer_search_panel_dispose (GObject *object)
{
  MerSearchPanel *self = MER_SEARCH_PANEL (object);

  g_clear_handle_id (&self->search_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_SEARCH_PANEL);
  g_clear_object (&self->store);
  g_clear_pointer (&self->searched_query, g_free);

  G_OBJECT_CLASS (mer_search_panel_parent_class)->dispose (object);
}

static void
mer_search_panel_class_init (MerSearchPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_search_panel_dispose;

  /* A result was chosen: its document id and type. */
  signals[RESULT_ACTIVATED] =
    g_signal_new ("result-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* Escape, or a click outside the card. */
  signals[CLOSE_REQUESTED] =
    g_signal_new ("close-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The results now match the entry's text. */
  signals[SEARCHED] =
    g_signal_new ("searched", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-search-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, MerSearchPanel, clamp);
  gtk_widget_class_bind_template_child (widget_class, MerSearchPanel, card);
  gtk_widget_class_bind_template_child (widget_class, MerSearchPanel, entry);
  gtk_widget_class_bind_template_child (widget_class, MerSearchPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, MerSearchPanel, results_list);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mersearchpanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_DIALOG);
}

static void
mer_search_panel_init (MerSearchPanel *self)
{
  GtkEventController *keys;
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->bench = g_getenv ("MERIDIAN_BENCH") != NULL;

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), keys);

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (scrim_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_stack_set_visible_child_name (self->stack, "hint");
}

GtkWidget *
mer_search_panel_new (MerStore *store)
{
  MerSearchPanel *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_SEARCH_PANEL, NULL);
  self->store = g_object_ref (store);
  return GTK_WIDGET (self);
}

/* Puts the cursor in the entry with the last query selected. */
void
mer_search_panel_focus (MerSearchPanel *self)
{
  g_return_if_fail (MER_IS_SEARCH_PANEL (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
}

GtkEditable *
mer_search_panel_get_entry (MerSearchPanel *self)
{
  g_return_val_if_fail (MER_IS_SEARCH_PANEL (self), NULL);
  return GTK_EDITABLE (self->entry);
}

guint
mer_search_panel_get_n_results (MerSearchPanel *self)
{
  g_return_val_if_fail (MER_IS_SEARCH_PANEL (self), 0);
  return self->n_results;
}

const char *
mer_search_panel_get_query (MerSearchPanel *self)
{
  g_return_val_if_fail (MER_IS_SEARCH_PANEL (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->entry));
}

void
mer_search_panel_select (MerSearchPanel *self,
                         int             index)
{
  GtkListBoxRow *row;

  g_return_if_fail (MER_IS_SEARCH_PANEL (self));

  row = gtk_list_box_get_row_at_index (self->results_list, index);
  if (row == NULL)
    return;
  gtk_list_box_select_row (self->results_list, row);
  /* Keep the chosen row in view without moving the focus out of the entry. */
  {
    GtkAdjustment *adj = gtk_list_box_get_adjustment (self->results_list);
    graphene_rect_t bounds;

    if (adj != NULL && gtk_widget_compute_bounds (GTK_WIDGET (row), GTK_WIDGET (self->results_list), &bounds))
      {
        double top = gtk_adjustment_get_value (adj);
        double page = gtk_adjustment_get_page_size (adj);

        if (bounds.origin.y < top)
          gtk_adjustment_set_value (adj, bounds.origin.y);
        else if (bounds.origin.y + bounds.size.height > top + page)
          gtk_adjustment_set_value (adj, bounds.origin.y + bounds.size.height - page);
      }
  }
}

void
mer_search_panel_activate_selected (MerSearchPanel *self)
{
  g_return_if_fail (MER_IS_SEARCH_PANEL (self));
  entry_activate_cb (self);
}
