/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-page-view.h"

#include "mer-attachment-file.h"
#include "mer-decision.h"
#include "mer-image-viewer.h"
#include "mer-json.h"
#include "mer-markdown.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-ui-util.h"
#include "mer-web-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <webkit/webkit.h>

/*
 * The reader.  A page is shown by navigating the web view to
 * meridian://page/<escaped id>; the meridian: scheme handler renders the
 * page's Markdown from the replica.  Nothing else is ever loaded: scripts
 * are off, a Content-Security-Policy confines every subresource to
 * meridian: and data:, and the navigation policy refuses every other
 * scheme (outside links go to the person's browser instead).
 *
 * A page's attachments come from the replica too, at
 * meridian://att/<id>/<rev>/<name>: images (raster and SVG, and only as
 * images) are served to the web view, scaled to the column; following one
 * opens it full size in a MerImageViewer.  Any other attachment is never
 * served to the web view: following its chip saves a copy to a private
 * temporary folder and opens that in the person's application for it.
 */

struct _MerPageView
{
  GtkWidget      parent_instance;

  MerStore      *store;
  WebKitWebView *web_view;

  char          *page_id;        /* page shown (committed), or NULL */
  char          *page_rev;       /* its revision when shown, to spot edits */
  char          *title;
  char          *owner_name;
  gboolean       needs_review;
  char          *superseded_id;  /* a superseded decision the page cites, or NULL */
  gboolean       loaded;         /* the last load finished */
  guint          blocked_count;  /* addresses refused by mer_page_view_open_uri() */
  GHashTable    *outlines;       /* page id -> GPtrArray of MerHeading, from rendering */
  guint          reload_id;
  gboolean       reload_after_load; /* the replica changed during a load */

  AdwFlap       *flap;
  GtkRevealer   *conflict_revealer;
  GtkLabel      *title_label;
  GtkLabel      *meta_label;
  GtkLabel      *review_label;
  GtkLabel      *superseded_label;
  GtkLabel      *path_label;
  GtkWidget     *web_box;
  GtkListBox    *toc_list;
  GtkWidget     *toc_empty;
  GtkListBox    *backlinks_list;
  GtkWidget     *backlinks_empty;
};

G_DEFINE_FINAL_TYPE (MerPageView, mer_page_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STORE,
  PROP_PAGE_ID,
  PROP_TITLE,
  PROP_LOADED,
  PROP_CAN_GO_BACK,
  PROP_CAN_GO_FORWARD,
  N_PROPS
};

enum {
  PAGE_LOADED,
  NEW_PAGE_REQUESTED,
  RESOLVE_CONFLICT_REQUESTED,
  PAGE_DELETED,
  OPEN_DOC_REQUESTED,
  OPEN_FILE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Whether the first page of this process has been reported (benchmarks). */
static gboolean bench_reported;

static void store_changed_cb (MerPageView *self);

static char *
render_not_found (const char *page_id)
{
  g_autofree char *escaped = g_markup_escape_text (page_id ? page_id : "", -1);
  g_autofree char *body = g_strdup_printf ("<h1>%s</h1><p>%s</p>",
                                           _("Page not found"), escaped);

  return mer_markdown_wrap_document (body, _("Page not found"));
}

/*
 * Renders one page of the replica as a complete HTML document and keeps
 * its outline for the table of contents, which is filled in when the load
 * commits.
 */
static char *
render_page (MerPageView *self,
             const char  *page_id)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GPtrArray) outline = NULL;
  const char *title;
  const char *body;
  char *html;

  doc = mer_store_get_doc (self->store, page_id, NULL, MER_GET_DEFAULT, NULL);
  if (doc == NULL)
    return render_not_found (page_id);

  title = mer_json_get_string (doc, "title");
  body = mer_json_get_string (doc, "body");
  html = mer_markdown_doc_to_document (doc, body ? body : "", title ? title : page_id,
                                       mer_markdown_store_resolver, self->store,
                                       &outline);
  if (outline != NULL)
    g_hash_table_replace (self->outlines, g_strdup (page_id), g_steal_pointer (&outline));
  return html;
}

/*
 * Serves an image attachment to the web view.  Only the image types the
 * reader shows inline are served; anything else (HTML, PDF, an unknown
 * type) is refused, so a page cannot embed it as a frame, an object or
 * anything else that would run or render it.
 */
static void
serve_attachment (MerStore               *store,
                  WebKitURISchemeRequest *request,
                  const char             *uri)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(GError) error = NULL;

  bytes = mer_attachment_file_read (store, uri, NULL, &content_type, &error);
  if (bytes == NULL)
    {
      webkit_uri_scheme_request_finish_error (request, error);
      return;
    }
  if (!mer_markdown_is_image_type (content_type))
    {
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "Not an image, not served: %s", uri);
      webkit_uri_scheme_request_finish_error (request, error);
      return;
    }
  mer_web_view_finish_image (request, bytes, content_type);
}

static void
scheme_request_cb (WebKitURISchemeRequest *request,
                   gpointer                user_data)
{
  WebKitWebView *web_view = webkit_uri_scheme_request_get_web_view (request);
  MerPageView *self = web_view ? g_object_get_data (G_OBJECT (web_view), "mer-page-view") : NULL;
  const char *uri = webkit_uri_scheme_request_get_uri (request);
  g_autofree char *page_id = NULL;
  g_autofree char *html = NULL;
  g_autoptr(GError) error = NULL;

  /* Images of pages, for the reader and for any other view that says
   * which replica it shows (the editor's preview). */
  if (g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX))
    {
      MerStore *store = web_view ? g_object_get_data (G_OBJECT (web_view), MER_WEB_VIEW_STORE_KEY) : NULL;

      if (store != NULL)
        serve_attachment (store, request, uri);
      else
        {
          error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No replica for %s", uri);
          webkit_uri_scheme_request_finish_error (request, error);
        }
      return;
    }

  if (self == NULL)
    {
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No reader for %s", uri);
      webkit_uri_scheme_request_finish_error (request, error);
      return;
    }

  page_id = mer_markdown_page_id_from_uri (uri);
  if (page_id == NULL)
    {
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Not found: %s", uri);
      webkit_uri_scheme_request_finish_error (request, error);
      return;
    }

  html = render_page (self, page_id);
  mer_ui_bench_mark ("page-served");
  mer_web_view_finish_html (request, g_steal_pointer (&html));
}

/* Whether opening a file of @content_type elsewhere can run what it
 * holds: web pages, SVG, XML, scripts (the store's list of active types).
 * PDF is on that list because a browser would render it, but the person's
 * document viewer is where it opens, so it does not ask. */
static gboolean
runs_code (const char *content_type)
{
  g_autofree char *type = g_ascii_strdown (content_type != NULL ? content_type : "", -1);

  type[strcspn (type, ";")] = '\0';
  g_strstrip (type);
  return mer_attachment_is_active_type (type) && !g_str_equal (type, "application/pdf");
}

static void
save_and_open (MerPageView *self,
                const char  *name,
                GBytes      *bytes)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  gboolean handled = FALSE;

  file = mer_attachment_file_save_temp (name, bytes, &error);
  if (file == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  g_signal_emit (self, signals[OPEN_FILE], 0, file, &handled);
}

static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     MerPageView      *self)
{
  GBytes *bytes = g_object_get_data (G_OBJECT (dialog), "mer-bytes");
  const char *name = g_object_get_data (G_OBJECT (dialog), "mer-name");

  if (g_str_equal (response, "open"))
    save_and_open (self, name, bytes);
}

/*
 * A web page, a PDF or a script from a teammate's replica can run code in
 * the application that opens it, so the person says yes first, with
 * "Cancel" the default.
 */
static void
confirm_open (MerPageView *self,
              const char  *name,
              GBytes      *bytes)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Open in Another Application?"), NULL);
  /* Translators: %s is the name of a file attached to a page. */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” is a kind of file that can run code when opened. "
                                    "Open it only if you trust whoever attached it."), name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "open", _("_Open"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "open", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "mer-bytes", g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_object_set_data_full (G_OBJECT (dialog), "mer-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/*
 * Opens an attachment the person followed a link to: an image in a
 * viewer over the window, anything else through "open-file" (whose
 * default hands a temporary copy to the person's application for it),
 * once the person agreed when the file is of a kind that can run code.
 */
static void
open_attachment (MerPageView *self,
                 const char  *uri)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *name = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(GError) error = NULL;

  bytes = mer_attachment_file_read (self->store, uri, &name, &content_type, &error);
  if (bytes == NULL)
    {
      g_warning ("Cannot open %s: %s", uri, error->message);
      return;
    }
  if (mer_markdown_is_image_type (content_type))
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      GtkWidget *viewer = mer_image_viewer_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                name, content_type, bytes);

      gtk_window_present (GTK_WINDOW (viewer));
      return;
    }

  if (runs_code (content_type))
    {
      confirm_open (self, name, bytes);
      return;
    }
  save_and_open (self, name, bytes);
}

static gboolean
mer_page_view_real_open_file (MerPageView *self,
                              GFile       *file)
{
  mer_attachment_file_launch (GTK_WIDGET (self), file);
  return TRUE;
}

/*
 * The reader's own addresses: pages of the replica load inside (a page
 * asked for in a new window loads here instead), and a link to a page
 * that does not exist yet asks for a new page.  The shared policy refuses
 * the rest and sends a clicked outside link to the browser.
 */
static MerWebViewVerdict
navigate_cb (WebKitWebView            *web_view,
             const char               *uri,
             WebKitPolicyDecisionType  type,
             gpointer                  user_data)
{
  MerPageView *self = user_data;

  if (g_str_has_prefix (uri, MER_MARKDOWN_PAGE_URI_PREFIX))
    {
      if (type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
        return MER_WEB_VIEW_LOAD;
      webkit_web_view_load_uri (web_view, uri);
      return MER_WEB_VIEW_HANDLED;
    }
  if (g_str_has_prefix (uri, MER_MARKDOWN_NEW_PAGE_URI_PREFIX))
    {
      g_autofree char *target = mer_markdown_new_page_target_from_uri (uri);

      if (target != NULL)
        g_signal_emit (self, signals[NEW_PAGE_REQUESTED], 0, target);
      return MER_WEB_VIEW_HANDLED;
    }
  if (g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX))
    {
      open_attachment (self, uri);
      return MER_WEB_VIEW_HANDLED;
    }
  return MER_WEB_VIEW_REFUSE;
}

static char *
person_name (MerPageView *self,
             const char  *person_id)
{
  g_autoptr(JsonObject) person = NULL;
  const char *name;

  if (person_id == NULL || *person_id == '\0')
    return NULL;
  person = mer_store_get_doc (self->store, person_id, NULL, MER_GET_DEFAULT, NULL);
  name = person ? mer_json_get_string (person, "name") : NULL;
  if (name != NULL)
    return g_strdup (name);
  if (g_str_has_prefix (person_id, "person:"))
    return g_strdup (person_id + strlen ("person:"));
  return g_strdup (person_id);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWidget *
make_row (const char *text,
          const char *key,
          int         indent)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_start (label, 6 + 12 * indent);
  gtk_widget_set_tooltip_text (label, text);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  mer_ui_name_row (row, text, NULL);
  g_object_set_data_full (G_OBJECT (row), "mer-key", g_strdup (key), g_free);
  return row;
}

static void
update_outline (MerPageView *self)
{
  GPtrArray *outline = self->page_id ? g_hash_table_lookup (self->outlines, self->page_id) : NULL;
  MerHeading *first = outline && outline->len > 0 ? g_ptr_array_index (outline, 0) : NULL;
  int min_level = 6;

  /* Most pages open with their title as a heading: say it once. */
  gtk_widget_set_visible (GTK_WIDGET (self->title_label),
                          !(first != NULL && first->level == 1 && self->title != NULL
                            && g_utf8_collate (first->text, self->title) == 0));

  clear_list (self->toc_list);
  for (guint i = 0; outline != NULL && i < outline->len; i++)
    {
      MerHeading *heading = g_ptr_array_index (outline, i);

      min_level = MIN (min_level, heading->level);
    }
  for (guint i = 0; outline != NULL && i < outline->len; i++)
    {
      MerHeading *heading = g_ptr_array_index (outline, i);

      gtk_list_box_append (self->toc_list,
                           make_row (heading->text, heading->anchor, heading->level - min_level));
    }
  gtk_widget_set_visible (self->toc_empty, outline == NULL || outline->len == 0);
}

static void
update_backlinks (MerPageView *self)
{
  g_auto(GStrv) ids = NULL;
  guint n = 0;

  clear_list (self->backlinks_list);
  if (self->page_id != NULL)
    ids = mer_store_get_backlinks (self->store, self->page_id, NULL);
  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autoptr(JsonObject) doc = mer_store_get_doc (self->store, ids[i], NULL, MER_GET_DEFAULT, NULL);
      const char *title = doc ? mer_json_get_string (doc, "title") : NULL;

      if (doc == NULL)
        continue;
      gtk_list_box_append (self->backlinks_list, make_row (title ? title : ids[i], ids[i], 0));
      n++;
    }
  gtk_widget_set_visible (self->backlinks_empty, n == 0);
}

static char *
decision_link (JsonObject *decision,
               const char *id)
{
  const char *title = decision != NULL ? mer_json_get_string (decision, "title") : NULL;
  g_autofree char *href = g_markup_escape_text (id, -1);
  g_autofree char *text = g_markup_escape_text (title != NULL ? title : id, -1);

  return g_strdup_printf ("<a href=\"%s\">%s</a>", href, text);
}

/*
 * Marks a page that cites a decision a later one replaced, so the reader
 * knows the text may describe what is no longer decided; the mark links to
 * the decision in force (or to the old one, when the chain is broken).
 */
static void
update_superseded (MerPageView *self)
{
  g_autoptr(JsonObject) old = NULL;
  g_autoptr(JsonObject) successor = NULL;
  g_autofree char *link = NULL;
  g_autofree char *markup = NULL;
  const char *successor_id;

  g_clear_pointer (&self->superseded_id, g_free);
  if (self->page_id != NULL)
    self->superseded_id = mer_decision_page_cites_superseded (self->store, self->page_id, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->superseded_label), self->superseded_id != NULL);
  if (self->superseded_id == NULL)
    return;

  old = mer_decision_get (self->store, self->superseded_id, NULL);
  successor_id = old != NULL ? mer_json_get_string (old, "superseded_by") : NULL;
  if (successor_id != NULL)
    successor = mer_store_get_doc (self->store, successor_id, NULL, MER_GET_DEFAULT, NULL);
  if (successor != NULL)
    {
      link = decision_link (successor, successor_id);
      /* Translators: %s is a link to the decision now in force. */
      markup = g_strdup_printf (_("Cites a superseded decision — now %s"), link);
    }
  else
    {
      link = decision_link (old, self->superseded_id);
      /* Translators: %s is a link to the superseded decision. */
      markup = g_strdup_printf (_("Cites a superseded decision: %s"), link);
    }
  gtk_label_set_markup (self->superseded_label, markup);
}

static gboolean
superseded_link_cb (MerPageView *self,
                    const char  *uri)
{
  g_signal_emit (self, signals[OPEN_DOC_REQUESTED], 0, uri);
  return TRUE;
}

/*
 * Fills the header above the rendered text: title, path, owner, who
 * edited last and when, and the review date, marked when it has passed.
 */
static void
update_header (MerPageView *self)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *editor = NULL;
  g_autofree char *when = NULL;
  g_autoptr(GString) meta = g_string_new (NULL);
  g_auto(GStrv) conflicts = NULL;
  const char *review_by;
  const char *path;

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->owner_name, g_free);
  g_clear_pointer (&self->page_rev, g_free);
  self->needs_review = FALSE;

  if (self->page_id != NULL)
    doc = mer_store_get_doc (self->store, self->page_id, NULL, MER_GET_DEFAULT, NULL);

  if (doc == NULL)
    {
      gtk_label_set_text (self->title_label, _("Page not found"));
      gtk_label_set_text (self->meta_label, "");
      gtk_label_set_text (self->path_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->review_label), FALSE);
      gtk_revealer_set_reveal_child (self->conflict_revealer, FALSE);
      update_superseded (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      return;
    }

  self->page_rev = g_strdup (mer_json_get_string (doc, "_rev"));
  self->title = g_strdup (mer_json_get_string (doc, "title"));
  if (self->title == NULL)
    self->title = g_strdup (self->page_id);
  gtk_label_set_text (self->title_label, self->title);

  path = mer_json_get_string (doc, "path");
  gtk_label_set_text (self->path_label, path ? path : "");

  self->owner_name = person_name (self, mer_json_get_string (doc, "owner"));
  if (self->owner_name != NULL)
    /* Translators: %s is a person's name. */
    g_string_append_printf (meta, _("Owned by %s"), self->owner_name);

  editor = person_name (self, mer_json_get_string (doc, "updated_by"));
  when = mer_ui_format_relative_time (mer_json_get_string (doc, "updated_at"));
  if (meta->len > 0 && (editor != NULL || when != NULL))
    g_string_append (meta, " · ");
  if (editor != NULL && when != NULL)
    /* Translators: "Edited by Ana Silva 3 days ago". */
    g_string_append_printf (meta, _("Edited by %s %s"), editor, when);
  else if (editor != NULL)
    g_string_append_printf (meta, _("Edited by %s"), editor);
  else if (when != NULL)
    g_string_append_printf (meta, _("Edited %s"), when);
  gtk_label_set_text (self->meta_label, meta->str);

  review_by = mer_json_get_string (doc, "review_by");
  if (review_by != NULL && *review_by != '\0')
    {
      g_autofree char *text = NULL;

      self->needs_review = mer_ui_date_is_past (review_by);
      if (self->needs_review)
        /* Translators: %s is a date. */
        text = g_strdup_printf (_("Needs review — was due %s"), review_by);
      else
        text = g_strdup_printf (_("Review by %s"), review_by);
      gtk_label_set_text (self->review_label, text);
      if (self->needs_review)
        gtk_widget_add_css_class (GTK_WIDGET (self->review_label), "mer-overdue");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->review_label), "mer-overdue");
      gtk_widget_set_visible (GTK_WIDGET (self->review_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->review_label), FALSE);

  conflicts = mer_store_get_conflicts (self->store, self->page_id, NULL);
  gtk_revealer_set_reveal_child (self->conflict_revealer, conflicts != NULL && conflicts[0] != NULL);
  update_superseded (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

static void
set_page_id (MerPageView *self,
             const char  *page_id)
{
  if (g_strcmp0 (self->page_id, page_id) == 0)
    return;
  g_free (self->page_id);
  self->page_id = g_strdup (page_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_ID]);
}

static void
load_changed_cb (WebKitWebView   *web_view,
                 WebKitLoadEvent  event,
                 MerPageView     *self)
{
  const char *uri = webkit_web_view_get_uri (web_view);

  if (event == WEBKIT_LOAD_STARTED)
    {
      self->loaded = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  else if (event == WEBKIT_LOAD_COMMITTED)
    {
      g_autofree char *page_id = uri ? mer_markdown_page_id_from_uri (uri) : NULL;

      set_page_id (self, page_id);
      update_header (self);
      update_outline (self);
      update_backlinks (self);
    }
  else if (event == WEBKIT_LOAD_FINISHED)
    {
      self->loaded = TRUE;
      if (!bench_reported)
        {
          bench_reported = TRUE;
          mer_ui_bench_mark ("first-page-rendered");
        }
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
      g_signal_emit (self, signals[PAGE_LOADED], 0, self->page_id);
      if (self->reload_after_load)
        {
          self->reload_after_load = FALSE;
          store_changed_cb (self);
        }
    }
}

static void
back_forward_changed_cb (MerPageView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_GO_BACK]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_GO_FORWARD]);
}

/* The extra mouse buttons move through the history, as in a browser. */
static void
mouse_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  MerPageView     *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));

  if (button == 8)
    mer_page_view_go_back (self);
  else if (button == 9)
    mer_page_view_go_forward (self);
  else
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* Only copying and selecting make sense in the reader's context menu. */
static gboolean
context_menu_cb (WebKitWebView       *web_view,
                 WebKitContextMenu   *menu,
                 WebKitHitTestResult *hit,
                 MerPageView         *self)
{
  GList *items = g_list_copy (webkit_context_menu_get_items (menu));

  for (GList *l = items; l != NULL; l = l->next)
    {
      WebKitContextMenuAction action = webkit_context_menu_item_get_stock_action (l->data);

      if (action != WEBKIT_CONTEXT_MENU_ACTION_COPY
          && action != WEBKIT_CONTEXT_MENU_ACTION_SELECT_ALL
          && action != WEBKIT_CONTEXT_MENU_ACTION_COPY_LINK_TO_CLIPBOARD)
        webkit_context_menu_remove (menu, l->data);
    }
  g_list_free (items);
  return webkit_context_menu_get_n_items (menu) == 0;
}

/* The web view's background follows the light or dark style of the app. */
static void
update_background (MerPageView *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GdkRGBA color;

  gdk_rgba_parse (&color, adw_style_manager_get_dark (manager) ? "#1e1e1e" : "#ffffff");
  webkit_web_view_set_background_color (self->web_view, &color);
}

/*
 * Shows the new text if the page shown was edited.  Two cases must not
 * reload: while another page is loading (a delete, a link followed),
 * reloading would cancel that load and bring back the page being left,
 * so the check waits for the load to finish; and when the page shown was
 * deleted (here or by a teammate), "Page not found" helps no one, so the
 * view says "page-deleted" and whoever hosts it moves on.
 */
static gboolean
reload_timeout_cb (gpointer user_data)
{
  MerPageView *self = user_data;
  g_autoptr(JsonObject) doc = NULL;
  const char *rev;

  self->reload_id = 0;
  if (webkit_web_view_is_loading (self->web_view))
    {
      self->reload_after_load = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (self->page_id == NULL)
    return G_SOURCE_REMOVE;
  doc = mer_store_get_doc (self->store, self->page_id, NULL, MER_GET_DEFAULT, NULL);
  if (doc == NULL && self->page_rev != NULL)
    {
      g_autofree char *gone_id = g_strdup (self->page_id);

      g_signal_emit (self, signals[PAGE_DELETED], 0, gone_id);
      return G_SOURCE_REMOVE;
    }
  rev = doc ? mer_json_get_string (doc, "_rev") : NULL;
  if (g_strcmp0 (rev, self->page_rev) != 0)
    mer_page_view_reload (self);
  else
    update_backlinks (self);
  return G_SOURCE_REMOVE;
}

/* The replica changed: look at the page shown a moment later, once. */
static void
store_changed_cb (MerPageView *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (100, reload_timeout_cb, self);
}

static void
toc_row_activated_cb (MerPageView   *self,
                      GtkListBoxRow *row)
{
  const char *anchor = g_object_get_data (G_OBJECT (row), "mer-key");
  g_autofree char *base = NULL;
  g_autofree char *uri = NULL;

  if (self->page_id == NULL || anchor == NULL)
    return;
  base = mer_markdown_page_uri (self->page_id);
  uri = g_strconcat (base, "#", anchor, NULL);
  webkit_web_view_load_uri (self->web_view, uri);
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

static void
backlink_row_activated_cb (MerPageView   *self,
                           GtkListBoxRow *row)
{
  const char *id = g_object_get_data (G_OBJECT (row), "mer-key");

  if (id != NULL)
    mer_page_view_open (self, id);
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

static void
resolve_clicked_cb (MerPageView *self)
{
  if (self->page_id != NULL)
    g_signal_emit (self, signals[RESOLVE_CONFLICT_REQUESTED], 0, self->page_id);
}

static void
mer_page_view_constructed (GObject *object)
{
  MerPageView *self = MER_PAGE_VIEW (object);

  G_OBJECT_CLASS (mer_page_view_parent_class)->constructed (object);
  g_object_set_data (G_OBJECT (self->web_view), MER_WEB_VIEW_STORE_KEY, self->store);
  g_signal_connect_object (self->store, "changed", G_CALLBACK (store_changed_cb),
                           self, G_CONNECT_SWAPPED);
}

static void
mer_page_view_dispose (GObject *object)
{
  MerPageView *self = MER_PAGE_VIEW (object);

  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->web_view != NULL)
    {
      g_object_set_data (G_OBJECT (self->web_view), "mer-page-view", NULL);
      g_object_set_data (G_OBJECT (self->web_view), MER_WEB_VIEW_STORE_KEY, NULL);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_PAGE_VIEW);
  self->web_view = NULL;
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_page_view_parent_class)->dispose (object);
}

static void
mer_page_view_finalize (GObject *object)
{
  MerPageView *self = MER_PAGE_VIEW (object);

  g_clear_pointer (&self->outlines, g_hash_table_unref);
  g_free (self->page_id);
  g_free (self->page_rev);
  g_free (self->title);
  g_free (self->owner_name);
  g_free (self->superseded_id);

  G_OBJECT_CLASS (mer_page_view_parent_class)->finalize (object);
}

static void
mer_page_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  MerPageView *self = MER_PAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_PAGE_ID:
      g_value_set_string (value, self->page_id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_CAN_GO_BACK:
      g_value_set_boolean (value, mer_page_view_can_go_back (self));
      break;
    case PROP_CAN_GO_FORWARD:
      g_value_set_boolean (value, mer_page_view_can_go_forward (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_page_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  MerPageView *self = MER_PAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_page_view_class_init (MerPageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mer_page_view_constructed;
  object_class->dispose = mer_page_view_dispose;
  object_class->finalize = mer_page_view_finalize;
  object_class->get_property = mer_page_view_get_property;
  object_class->set_property = mer_page_view_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, MER_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE_ID] =
    g_param_spec_string ("page-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_GO_BACK] =
    g_param_spec_boolean ("can-go-back", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_GO_FORWARD] =
    g_param_spec_boolean ("can-go-forward", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A page finished loading: the page id, or NULL for an unknown page. */
  signals[PAGE_LOADED] =
    g_signal_new ("page-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A link to a page that does not exist yet was followed: the link target. */
  signals[NEW_PAGE_REQUESTED] =
    g_signal_new ("new-page-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The page shown was deleted (here or by a sync): its id. The view keeps
   * the last text until its host opens another page. */
  signals[PAGE_DELETED] =
    g_signal_new ("page-deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A link in the header was followed: the full id of a document. */
  signals[OPEN_DOC_REQUESTED] =
    g_signal_new ("open-doc-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* An attachment that is not an image was followed, and saved to this
   * read-only temporary file: the default handler opens it with the
   * person's application for its type.  Return TRUE to stop that. */
  signals[OPEN_FILE] =
    g_signal_new_class_handler ("open-file", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                G_CALLBACK (mer_page_view_real_open_file),
                                g_signal_accumulator_true_handled, NULL, NULL,
                                G_TYPE_BOOLEAN, 1, G_TYPE_FILE);
  /* The person asked to resolve the conflict of the page shown. */
  signals[RESOLVE_CONFLICT_REQUESTED] =
    g_signal_new ("resolve-conflict-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-page-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MerPageView, flap);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, conflict_revealer);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, title_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, meta_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, review_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, superseded_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, path_label);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, web_box);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, toc_list);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, toc_empty);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, backlinks_list);
  gtk_widget_class_bind_template_child (widget_class, MerPageView, backlinks_empty);
  gtk_widget_class_bind_template_callback (widget_class, toc_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, backlink_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, resolve_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, superseded_link_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
mer_page_view_init (MerPageView *self)
{
  GtkGesture *gesture;

  g_type_ensure (WEBKIT_TYPE_WEB_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->outlines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);

  mer_web_view_register_scheme (scheme_request_cb);
  self->web_view = mer_web_view_new_safe (_("Page text"), navigate_cb, self);
  g_object_set_data (G_OBJECT (self->web_view), "mer-page-view", self);
  gtk_box_append (GTK_BOX (self->web_box), GTK_WIDGET (self->web_view));

  g_signal_connect_object (self->web_view, "load-changed", G_CALLBACK (load_changed_cb), self, 0);
  g_signal_connect_object (self->web_view, "context-menu", G_CALLBACK (context_menu_cb), self, 0);
  g_signal_connect_object (webkit_web_view_get_back_forward_list (self->web_view), "changed",
                           G_CALLBACK (back_forward_changed_cb), self, G_CONNECT_SWAPPED);

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), 0);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect (gesture, "pressed", G_CALLBACK (mouse_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_background), self, G_CONNECT_SWAPPED);
  update_background (self);
}

GtkWidget *
mer_page_view_new (MerStore *store)
{
  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  return g_object_new (MER_TYPE_PAGE_VIEW, "store", store, NULL);
}

/* Shows a page of the replica by its full id ("page:on-call"). */
void
mer_page_view_open (MerPageView *self,
                    const char  *page_id)
{
  g_autofree char *uri = NULL;

  g_return_if_fail (MER_IS_PAGE_VIEW (self));
  g_return_if_fail (page_id != NULL);

  uri = mer_markdown_page_uri (page_id);
  mer_page_view_open_uri (self, uri);
}

/*
 * Follows a link of a page: meridian: pages load here, a link to a page
 * not written yet asks for it, an attachment opens (as if the person
 * followed its link), and anything else is refused (the reader
 * never loads an outside address, not even when told to).
 */
void
mer_page_view_open_uri (MerPageView *self,
                        const char  *uri)
{
  g_return_if_fail (MER_IS_PAGE_VIEW (self));
  g_return_if_fail (uri != NULL);

  if (g_str_has_prefix (uri, MER_MARKDOWN_NEW_PAGE_URI_PREFIX))
    {
      g_autofree char *target = mer_markdown_new_page_target_from_uri (uri);

      if (target != NULL)
        g_signal_emit (self, signals[NEW_PAGE_REQUESTED], 0, target);
      return;
    }
  if (g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX))
    {
      open_attachment (self, uri);
      return;
    }
  if (!g_str_has_prefix (uri, MER_MARKDOWN_PAGE_URI_PREFIX))
    {
      self->blocked_count++;
      g_debug ("Refused to open %s", uri);
      return;
    }

  self->loaded = FALSE;
  webkit_web_view_load_uri (self->web_view, uri);
}

void
mer_page_view_reload (MerPageView *self)
{
  g_return_if_fail (MER_IS_PAGE_VIEW (self));

  if (self->page_id != NULL)
    webkit_web_view_reload (self->web_view);
}

const char *
mer_page_view_get_page_id (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), NULL);
  return self->page_id;
}

const char *
mer_page_view_get_title (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), NULL);
  return self->title;
}

const char *
mer_page_view_get_owner_name (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), NULL);
  return self->owner_name;
}

gboolean
mer_page_view_get_needs_review (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), FALSE);
  return self->needs_review;
}

/* The superseded decision the page shown cites (the mark is up), or NULL. */
const char *
mer_page_view_get_superseded_decision (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), NULL);
  return self->superseded_id;
}

gboolean
mer_page_view_get_loaded (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), FALSE);
  return self->loaded;
}

gboolean
mer_page_view_can_go_back (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), FALSE);
  return self->web_view != NULL && webkit_web_view_can_go_back (self->web_view);
}

gboolean
mer_page_view_can_go_forward (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), FALSE);
  return self->web_view != NULL && webkit_web_view_can_go_forward (self->web_view);
}

void
mer_page_view_go_back (MerPageView *self)
{
  g_return_if_fail (MER_IS_PAGE_VIEW (self));
  if (mer_page_view_can_go_back (self))
    webkit_web_view_go_back (self->web_view);
}

void
mer_page_view_go_forward (MerPageView *self)
{
  g_return_if_fail (MER_IS_PAGE_VIEW (self));
  if (mer_page_view_can_go_forward (self))
    webkit_web_view_go_forward (self->web_view);
}

/* Shows or hides the contents and backlinks beside the text. */
void
mer_page_view_set_show_info (MerPageView *self,
                             gboolean     show_info)
{
  g_return_if_fail (MER_IS_PAGE_VIEW (self));
  adw_flap_set_reveal_flap (self->flap, show_info);
}

/* Whether the page shown has conflicting versions (the banner is up). */
gboolean
mer_page_view_get_has_conflict (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), FALSE);
  return gtk_revealer_get_reveal_child (self->conflict_revealer);
}

/* What the banner's Resolve button does. */
void
mer_page_view_resolve_conflict (MerPageView *self)
{
  g_return_if_fail (MER_IS_PAGE_VIEW (self));
  resolve_clicked_cb (self);
}

gboolean
mer_page_view_get_show_info (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), FALSE);
  return adw_flap_get_reveal_flap (self->flap);
}

GtkWidget *
mer_page_view_get_web_view (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), NULL);
  return GTK_WIDGET (self->web_view);
}

/* How many navigations the policy refused since the view was made. */
guint
mer_page_view_get_blocked_count (MerPageView *self)
{
  g_return_val_if_fail (MER_IS_PAGE_VIEW (self), 0);
  return self->blocked_count + (self->web_view != NULL ? mer_web_view_get_blocked_count (self->web_view) : 0);
}
