/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-markdown-editor.h"
#include "mer-json.h"
#include "mer-markdown.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-web-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <webkit/webkit.h>

#define PREVIEW_DELAY_MS      300   /* pause in typing before the preview follows */
#define DRAFT_PAUSE_MS        1000  /* pause in typing before the draft is saved */
#define DRAFT_PERIOD_SECONDS  4     /* save at least this often while typing on */
#define NARROW_WIDTH          640   /* below this the preview replaces the text */

/* The document carries its own Content-Security-Policy (no script, no
 * network); the base URI only names the preview for decide-policy. */
#define PREVIEW_BASE_URI "meridian://preview/"

struct _MerMarkdownEditor
{
  GtkWidget          parent_instance;

  GtkWidget         *box;
  GtkPaned          *paned;
  GtkWidget         *source_scroller;
  GtkSourceView     *source_view;
  GtkWidget         *preview_box;
  GtkLabel          *count_label;
  GtkLabel          *draft_label;
  GtkToggleButton   *preview_button;
  WebKitWebView     *web_view;

  MerStore          *store;
  char              *draft_id;
  char              *draft_rev;     /* "_rev" of our local draft document */
  char              *base_rev;      /* revision the edit started from */
  JsonObject        *fields;        /* other fields kept in the draft */
  char              *kind;          /* "page", "proposal"…: what the draft is of */

  guint              preview_id;
  guint              pause_id;
  guint              period_id;
  guint              layout_id;
  guint              words;
  gboolean           loading;       /* set_text in progress: not an edit */
  gboolean           modified;      /* edited since opened or last reset */
  gboolean           unsaved;       /* edited since the last draft save */
  gboolean           narrow;
  gboolean           show_preview;
  gboolean           wide_preview;  /* show_preview to go back to when wide */
};

enum
{
  PROP_0,
  PROP_STORE,
  PROP_DRAFT_ID,
  PROP_SHOW_PREVIEW,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MerMarkdownEditor, mer_markdown_editor, GTK_TYPE_WIDGET)

static void
update_style_scheme (MerMarkdownEditor *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  const char *name = adw_style_manager_get_dark (manager) ? "Adwaita-dark" : "Adwaita";
  GtkSourceBuffer *buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view)));

  gtk_source_buffer_set_style_scheme (buffer, gtk_source_style_scheme_manager_get_scheme (schemes, name));
}

/* Before the first document paints, the preview shows its background:
 * make it the style's, not a white flash in the dark. */
static void
update_preview_background (MerMarkdownEditor *self)
{
  GdkRGBA color;

  gdk_rgba_parse (&color, adw_style_manager_get_dark (adw_style_manager_get_default ()) ? "#1e1e1e" : "#ffffff");
  webkit_web_view_set_background_color (self->web_view, &color);
}

static void
dark_changed_cb (AdwStyleManager   *manager,
                 GParamSpec        *pspec,
                 MerMarkdownEditor *self)
{
  update_style_scheme (self);
  update_preview_background (self);
}

/* Only the preview document itself (and its anchors) loads; a click on a
 * link never navigates the preview, and the shared policy sends outside
 * links to the browser. */
static MerWebViewVerdict
navigate_cb (WebKitWebView            *web_view,
             const char               *uri,
             WebKitPolicyDecisionType  type,
             gpointer                  user_data)
{
  if (type == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION
      && (g_strcmp0 (uri, PREVIEW_BASE_URI) == 0 || g_str_has_prefix (uri, PREVIEW_BASE_URI "#")))
    return MER_WEB_VIEW_LOAD;
  return MER_WEB_VIEW_REFUSE;
}

/* The same safe web view as the reader's (see mer-web-view.c). */
static WebKitWebView *
create_preview (MerMarkdownEditor *self)
{
  return mer_web_view_new_safe (_("Preview"), navigate_cb, self);
}

static void
update_counts (MerMarkdownEditor *self,
               const char        *text)
{
  g_autofree char *reading = NULL;
  g_autofree char *label = NULL;

  self->words = mer_markdown_word_count (text);
  reading = mer_markdown_reading_time_label (self->words);
  label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u word · %s", "%u words · %s", self->words),
                           self->words, reading);
  gtk_label_set_label (self->count_label, label);
}

/* The document the preview renders against: the base revision's
 * attachments and the draft's (which win), all named under the draft's
 * "_local/" id and the base revision, where mer_attachment_file_read()
 * looks for them. Takes @base. */
static JsonObject *
preview_doc (MerMarkdownEditor *self,
             JsonObject        *base)
{
  g_autofree char *draft = g_strconcat (MER_DRAFT_PREFIX, self->draft_id, NULL);
  g_autoptr(GPtrArray) atts = mer_store_list_local_attachments (self->store, draft, NULL);
  JsonObject *doc = base != NULL ? base : json_object_new ();
  JsonObject *all;

  if (atts == NULL || atts->len == 0)
    return doc;
  if (!json_object_has_member (doc, "_rev"))
    json_object_set_string_member (doc, "_rev", "0-draft");
  json_object_set_string_member (doc, "_id", draft);
  if (!json_object_has_member (doc, "_attachments"))
    json_object_set_object_member (doc, "_attachments", json_object_new ());
  all = json_object_get_object_member (doc, "_attachments");
  for (guint i = 0; i < atts->len; i++)
    {
      MerAttachment *att = g_ptr_array_index (atts, i);
      JsonObject *stub = json_object_new ();

      json_object_set_string_member (stub, "content_type", att->content_type);
      json_object_set_string_member (stub, "digest", att->digest);
      json_object_set_int_member (stub, "length", att->length);
      json_object_set_boolean_member (stub, "stub", TRUE);
      json_object_set_object_member (all, att->name, stub);
    }
  return doc;
}

void
mer_markdown_editor_update_preview_now (MerMarkdownEditor *self)
{
  g_autofree char *text = NULL;
  g_autofree char *document = NULL;
  g_autoptr(JsonObject) base = NULL;
  const char *title = NULL;

  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  g_clear_handle_id (&self->preview_id, g_source_remove);
  text = mer_markdown_editor_get_text (self);
  update_counts (self, text);

  if (!gtk_widget_get_visible (self->preview_box))
    return;

  if (self->fields != NULL)
    title = mer_json_get_string (self->fields, "title");
  /* The revision the edit started from and the draft say which
   * attachments the text may show; a new page has only the draft's. */
  if (self->base_rev != NULL)
    base = mer_store_get_doc (self->store, self->draft_id, self->base_rev, MER_GET_DEFAULT, NULL);
  base = preview_doc (self, base);
  document = mer_markdown_doc_to_document (base, text, title, mer_markdown_store_resolver, self->store, NULL);
  g_object_set_data (G_OBJECT (self->web_view), MER_WEB_VIEW_STORE_KEY, self->store);
  webkit_web_view_load_html (self->web_view, document, PREVIEW_BASE_URI);
}

static gboolean
preview_timeout_cb (gpointer user_data)
{
  MerMarkdownEditor *self = user_data;

  self->preview_id = 0;
  mer_markdown_editor_update_preview_now (self);
  return G_SOURCE_REMOVE;
}

static void
set_draft_label (MerMarkdownEditor *self,
                 const char        *text)
{
  gtk_label_set_label (self->draft_label, text);
}

static void
autosave (MerMarkdownEditor *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->unsaved)
    return;
  if (!mer_markdown_editor_save_draft (self, &error))
    {
      g_warning ("Could not save the draft %s: %s", self->draft_id, error->message);
      set_draft_label (self, _("Draft not saved"));
    }
}

static gboolean
pause_timeout_cb (gpointer user_data)
{
  MerMarkdownEditor *self = user_data;

  self->pause_id = 0;
  autosave (self);
  return G_SOURCE_REMOVE;
}

/* Runs while edits keep coming, so a long burst of typing without a
 * pause still reaches the disk every few seconds. */
static gboolean
period_timeout_cb (gpointer user_data)
{
  MerMarkdownEditor *self = user_data;

  if (!self->unsaved)
    {
      self->period_id = 0;
      return G_SOURCE_REMOVE;
    }
  autosave (self);
  return G_SOURCE_CONTINUE;
}

static void
schedule_autosave (MerMarkdownEditor *self)
{
  self->modified = TRUE;
  self->unsaved = TRUE;
  g_clear_handle_id (&self->pause_id, g_source_remove);
  self->pause_id = g_timeout_add (DRAFT_PAUSE_MS, pause_timeout_cb, self);
  if (self->period_id == 0)
    self->period_id = g_timeout_add_seconds (DRAFT_PERIOD_SECONDS, period_timeout_cb, self);
}

static void
buffer_changed_cb (GtkTextBuffer     *buffer,
                   MerMarkdownEditor *self)
{
  g_clear_handle_id (&self->preview_id, g_source_remove);
  self->preview_id = g_timeout_add (PREVIEW_DELAY_MS, preview_timeout_cb, self);

  if (self->loading)
    return;
  schedule_autosave (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* On narrow widths the preview takes the place of the text instead of
 * sitting beside it; the toggle then switches between the two. */
static void
apply_layout (MerMarkdownEditor *self)
{
  gboolean show_source = !self->narrow || !self->show_preview;
  gboolean was_visible = gtk_widget_get_visible (self->preview_box);

  gtk_widget_set_visible (self->source_scroller, show_source);
  gtk_widget_set_visible (self->preview_box, self->show_preview);
  if (self->show_preview && !was_visible)
    mer_markdown_editor_update_preview_now (self);
}

static gboolean
layout_idle_cb (gpointer user_data)
{
  MerMarkdownEditor *self = user_data;

  self->layout_id = 0;
  /* Narrow, the text comes first; the person's choice for wide windows
   * is kept for when the window grows again. */
  if (self->narrow)
    {
      self->wide_preview = self->show_preview;
      mer_markdown_editor_set_show_preview (self, FALSE);
    }
  else
    mer_markdown_editor_set_show_preview (self, self->wide_preview);
  apply_layout (self);
  return G_SOURCE_REMOVE;
}

/* No layout manager: a layout manager would take the allocation away
 * from size_allocate(), which watches the width. */
static GtkSizeRequestMode
mer_markdown_editor_get_request_mode (GtkWidget *widget)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (widget);

  return gtk_widget_get_request_mode (self->box);
}

static void
mer_markdown_editor_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (widget);

  gtk_widget_measure (self->box, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
mer_markdown_editor_size_allocate (GtkWidget *widget,
                                   int        width,
                                   int        height,
                                   int        baseline)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (widget);
  gboolean narrow = width < NARROW_WIDTH;

  gtk_widget_allocate (self->box, width, height, baseline, NULL);

  /* Changing visibility during allocation would resize again inside the
   * allocation; do it right after. */
  if (narrow != self->narrow && self->layout_id == 0)
    {
      self->narrow = narrow;
      self->layout_id = g_idle_add (layout_idle_cb, self);
    }
}

static void
preview_toggled_cb (GtkToggleButton   *button,
                    MerMarkdownEditor *self)
{
  mer_markdown_editor_set_show_preview (self, gtk_toggle_button_get_active (button));
}

static void
toggle_preview_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (widget);

  mer_markdown_editor_set_show_preview (self, !self->show_preview);
}

static void
mer_markdown_editor_constructed (GObject *object)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (object);

  G_OBJECT_CLASS (mer_markdown_editor_parent_class)->constructed (object);
  update_counts (self, "");
}

static void
mer_markdown_editor_dispose (GObject *object)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (object);

  /* Whatever was typed since the last pause is written before going. */
  if (self->store != NULL && self->unsaved)
    autosave (self);

  g_clear_handle_id (&self->preview_id, g_source_remove);
  g_clear_handle_id (&self->pause_id, g_source_remove);
  g_clear_handle_id (&self->period_id, g_source_remove);
  g_clear_handle_id (&self->layout_id, g_source_remove);
  if (self->web_view != NULL)
    g_object_set_data (G_OBJECT (self->web_view), MER_WEB_VIEW_STORE_KEY, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MER_TYPE_MARKDOWN_EDITOR);
  self->web_view = NULL;
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_markdown_editor_parent_class)->dispose (object);
}

static void
mer_markdown_editor_finalize (GObject *object)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (object);

  g_free (self->draft_id);
  g_free (self->draft_rev);
  g_free (self->base_rev);
  g_free (self->kind);
  g_clear_pointer (&self->fields, json_object_unref);

  G_OBJECT_CLASS (mer_markdown_editor_parent_class)->finalize (object);
}

static void
mer_markdown_editor_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_DRAFT_ID:
      g_value_set_string (value, self->draft_id);
      break;
    case PROP_SHOW_PREVIEW:
      g_value_set_boolean (value, self->show_preview);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_markdown_editor_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MerMarkdownEditor *self = MER_MARKDOWN_EDITOR (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_DRAFT_ID:
      g_free (self->draft_id);
      self->draft_id = g_value_dup_string (value);
      break;
    case PROP_SHOW_PREVIEW:
      mer_markdown_editor_set_show_preview (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_markdown_editor_class_init (MerMarkdownEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mer_markdown_editor_constructed;
  object_class->dispose = mer_markdown_editor_dispose;
  object_class->finalize = mer_markdown_editor_finalize;
  object_class->get_property = mer_markdown_editor_get_property;
  object_class->set_property = mer_markdown_editor_set_property;
  widget_class->get_request_mode = mer_markdown_editor_get_request_mode;
  widget_class->measure = mer_markdown_editor_measure;
  widget_class->size_allocate = mer_markdown_editor_size_allocate;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, MER_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DRAFT_ID] =
    g_param_spec_string ("draft-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_PREVIEW] =
    g_param_spec_boolean ("show-preview", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted after every edit a person makes (not after set_text). */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-markdown-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, box);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, paned);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, source_scroller);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, source_view);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, preview_box);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, count_label);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, draft_label);
  gtk_widget_class_bind_template_child (widget_class, MerMarkdownEditor, preview_button);

  gtk_widget_class_install_action (widget_class, "editor.toggle-preview", NULL, toggle_preview_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "editor.toggle-preview", NULL);

  gtk_widget_class_set_css_name (widget_class, "mer-markdown-editor");
}


/* A name for @wanted that no attachment of the draft has yet: "a.png",
 * then "a-2.png", "a-3.png"… */
static char *
unique_attachment_name (MerMarkdownEditor *self,
                        const char        *wanted)
{
  g_autofree char *doc_id = g_strconcat (MER_DRAFT_PREFIX, self->draft_id, NULL);
  g_autoptr(GPtrArray) taken = mer_store_list_local_attachments (self->store, doc_id, NULL);
  const char *dot = strrchr (wanted, '.');
  g_autofree char *stem = dot != NULL && dot != wanted ? g_strndup (wanted, dot - wanted) : g_strdup (wanted);
  const char *ext = dot != NULL && dot != wanted ? dot : "";
  char *name = g_strdup (wanted);

  for (guint n = 2; taken != NULL; n++)
    {
      gboolean clash = FALSE;

      for (guint i = 0; i < taken->len && !clash; i++)
        clash = g_strcmp0 (((MerAttachment *) g_ptr_array_index (taken, i))->name, name) == 0;
      if (!clash)
        break;
      g_free (name);
      name = g_strdup_printf ("%s-%u%s", stem, n, ext);
    }
  return name;
}

/**
 * mer_markdown_editor_attach:
 * @self: the editor
 * @name: the file name wanted; made unique among the draft's attachments
 * @content_type: (nullable): its type, guessed from @name when NULL
 * @data: the bytes
 * @alt: (nullable): the alt text of an image
 * @error: where to say why nothing was attached
 *
 * Keeps @data as an attachment of the draft (beside its "_local/" document,
 * so it survives a crash as the text does), then inserts at the cursor an
 * image for an image, a link for anything else.
 *
 * Returns: (transfer full) (nullable): the name given, or NULL
 */
char *
mer_markdown_editor_attach (MerMarkdownEditor *self,
                            const char        *name,
                            const char        *content_type,
                            GBytes            *data,
                            const char        *alt,
                            GError           **error)
{
  g_autofree char *doc_id = NULL;
  g_autofree char *unique = NULL;
  g_autofree char *guessed = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *markdown = NULL;
  g_autofree char *rev = NULL;
  guint64 max;
  GtkTextBuffer *buffer;

  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  g_return_val_if_fail (name != NULL && data != NULL, NULL);

  max = mer_store_get_max_attachment_size (self->store);
  if (g_bytes_get_size (data) > max)
    {
      g_autofree char *limit = g_format_size (max);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("“%s” is larger than this workspace allows (%s)"), name, limit);
      return NULL;
    }
  if (!mer_attachment_check_name (name, error))
    return NULL;
  if (content_type == NULL)
    {
      g_autofree char *guess = g_content_type_guess (name, g_bytes_get_data (data, NULL), g_bytes_get_size (data), NULL);
      guessed = g_content_type_get_mime_type (guess);
      content_type = guessed != NULL ? guessed : "application/octet-stream";
    }

  doc_id = g_strconcat (MER_DRAFT_PREFIX, self->draft_id, NULL);
  /* The draft document comes first, so the attachment never outlives it. */
  if (!mer_markdown_editor_save_draft (self, error))
    return NULL;
  unique = unique_attachment_name (self, name);
  rev = mer_store_put_local_attachment (self->store, doc_id, unique, content_type, data, error);
  if (rev == NULL)
    return NULL;

  escaped = g_uri_escape_string (unique, "/", FALSE);
  if (g_str_has_prefix (content_type, "image/"))
    markdown = g_strdup_printf ("![%s](%s)", alt != NULL ? alt : "", escaped);
  else
    markdown = g_strdup_printf ("[%s](%s)", unique, escaped);

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete_selection (buffer, TRUE, TRUE);
  {
    GtkTextIter cursor;

    /* Each attachment on a line of its own, as a person would write it. */
    gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
    if (!gtk_text_iter_starts_line (&cursor))
      gtk_text_buffer_insert_at_cursor (buffer, "\n", -1);
    gtk_text_buffer_insert_at_cursor (buffer, markdown, -1);
    gtk_text_buffer_insert_at_cursor (buffer, "\n", -1);
  }
  gtk_text_buffer_end_user_action (buffer);
  mer_markdown_editor_update_preview_now (self);
  return g_steal_pointer (&unique);
}

/* Says why a paste or drop attached nothing, as a toast when the editor
 * sits in a toast overlay, else in the log. */
static void
report_attach_error (MerMarkdownEditor *self,
                     GError            *error)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (error->message));
  else
    g_warning ("%s", error->message);
}

/* The alt text the person typed goes into the image's "![]" that the
 * paste inserted (found by its name, wherever the cursor went since). */
static void
alt_response_cb (AdwMessageDialog  *dialog,
                 const char        *response,
                 MerMarkdownEditor *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *target = g_object_get_data (G_OBJECT (dialog), "mer-image-markdown");
  g_autofree char *alt = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
  GtkTextIter start, match_start, match_end;

  if (g_strcmp0 (response, "add") != 0 || *alt == '\0')
    return;
  /* "[", "]" and "\\" would end or escape the alt text early. */
  g_strdelimit (alt, "[]\\\n", ' ');
  gtk_text_buffer_get_start_iter (buffer, &start);
  if (gtk_text_iter_forward_search (&start, target, 0, &match_start, &match_end, NULL))
    {
      gtk_text_iter_forward_chars (&match_start, 2);
      gtk_text_buffer_begin_user_action (buffer);
      gtk_text_buffer_insert (buffer, &match_start, alt, -1);
      gtk_text_buffer_end_user_action (buffer);
    }
}

/* Asks for an image's alt text, for those who cannot see it; Skip leaves
 * it empty.  Only when the editor is in a window a person sees. */
static void
ask_alt_text (MerMarkdownEditor *self,
              const char        *name)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *escaped = g_uri_escape_string (name, "/", FALSE);
  GtkWidget *dialog, *entry;

  if (!GTK_IS_WINDOW (root))
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (root), _("Describe the Image"),
                                   _("A short description is read aloud to people who cannot see the image."));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("What the image shows"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "skip", _("_Skip"),
                                    "add", _("_Add Description"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "skip");
  g_object_set_data_full (G_OBJECT (dialog), "mer-image-markdown", g_strdup_printf ("![](%s)", escaped), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (alt_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
attach_texture (MerMarkdownEditor *self,
                GdkTexture        *texture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = gdk_texture_save_to_png_bytes (texture);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *name = g_strdup_printf ("pasted-%s.png", stamp);
  g_autofree char *given = mer_markdown_editor_attach (self, name, "image/png", png, NULL, &error);

  if (given == NULL)
    report_attach_error (self, error);
  else
    ask_alt_text (self, given);
}

static void
attach_file (MerMarkdownEditor *self,
             GFile             *file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *basename = g_file_get_basename (file);
  g_autofree char *given = NULL;

  /* An oversized file is refused before it is read. */
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, &error);
  if (info == NULL)
    {
      report_attach_error (self, error);
      return;
    }
  if ((guint64) g_file_info_get_size (info) > mer_store_get_max_attachment_size (self->store))
    {
      g_autofree char *limit = g_format_size (mer_store_get_max_attachment_size (self->store));

      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("“%s” is larger than this workspace allows (%s)"), basename, limit);
      report_attach_error (self, error);
      return;
    }
  bytes = g_file_load_bytes (file, NULL, NULL, &error);
  if (bytes != NULL)
    given = mer_markdown_editor_attach (self, basename, NULL, bytes, NULL, &error);
  if (given == NULL)
    report_attach_error (self, error);
  else
    {
      g_autofree char *guess = g_content_type_guess (basename, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
      g_autofree char *mime = g_content_type_get_mime_type (guess);

      if (mime != NULL && g_str_has_prefix (mime, "image/"))
        ask_alt_text (self, given);
    }
}

/**
 * mer_markdown_editor_drop:
 * @self: the editor
 * @value: a #GdkTexture or a #GFile
 *
 * What the editor's drop target does with what is dropped on it; public
 * so tests can drop without a pointer.
 *
 * Returns: whether @value was something the editor takes
 */
gboolean
mer_markdown_editor_drop (MerMarkdownEditor *self,
                          const GValue      *value)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), FALSE);

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    attach_texture (self, g_value_get_object (value));
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    attach_file (self, g_value_get_object (value));
  else
    return FALSE;
  return TRUE;
}

static gboolean
drop_cb (GtkDropTarget     *target,
         const GValue      *value,
         double             x,
         double             y,
         MerMarkdownEditor *self)
{
  return mer_markdown_editor_drop (self, value);
}

static void
paste_texture_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MerMarkdownEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);

  if (texture == NULL)
    report_attach_error (self, error);
  else
    attach_texture (self, texture);
}

/* Runs before GtkTextView's own paste: an image on the clipboard (and no
 * text) becomes an attachment; anything else is pasted as usual. */
static void
paste_clipboard_cb (GtkTextView       *view,
                    MerMarkdownEditor *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (view));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE) &&
      !gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    {
      g_signal_stop_emission_by_name (view, "paste-clipboard");
      gdk_clipboard_read_texture_async (clipboard, NULL, paste_texture_cb, g_object_ref (self));
    }
}

static void
mer_markdown_editor_init (MerMarkdownEditor *self)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->show_preview = TRUE;
  self->wide_preview = TRUE;

  buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view)));
  gtk_source_buffer_set_language (buffer, gtk_source_language_manager_get_language (languages, "markdown"));
  gtk_source_buffer_set_highlight_syntax (buffer, TRUE);
  update_style_scheme (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, 0);
  g_signal_connect (buffer, "changed", G_CALLBACK (buffer_changed_cb), self);
  g_signal_connect (self->source_view, "paste-clipboard", G_CALLBACK (paste_clipboard_cb), self);
  {
    GType types[] = { GDK_TYPE_TEXTURE, G_TYPE_FILE };
    GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);

    gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
    g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->source_view), GTK_EVENT_CONTROLLER (target));
  }
  g_signal_connect (self->preview_button, "toggled", G_CALLBACK (preview_toggled_cb), self);

  self->web_view = create_preview (self);
  gtk_box_append (GTK_BOX (self->preview_box), GTK_WIDGET (self->web_view));
  update_preview_background (self);
}

/**
 * mer_markdown_editor_new:
 * @store: the replica that holds the drafts
 * @draft_id: a full document id, or "new:<uuid>" for a document not yet
 *   written
 *
 * Returns: (transfer floating): a Markdown editor with a live preview,
 *   which saves its draft as "_local/draft:<draft_id>".
 */
GtkWidget *
mer_markdown_editor_new (MerStore   *store,
                         const char *draft_id)
{
  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (draft_id != NULL && *draft_id != '\0', NULL);

  return g_object_new (MER_TYPE_MARKDOWN_EDITOR, "store", store, "draft-id", draft_id, NULL);
}

MerStore *
mer_markdown_editor_get_store (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return self->store;
}

const char *
mer_markdown_editor_get_draft_id (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return self->draft_id;
}

GtkTextBuffer *
mer_markdown_editor_get_buffer (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
}

/* The text view itself (a GtkSourceView), for owners that name it or
 * watch its focus. */
GtkWidget *
mer_markdown_editor_get_text_view (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return GTK_WIDGET (self->source_view);
}

void
mer_markdown_editor_grab_focus_text (MerMarkdownEditor *self)
{
  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->source_view));
}

char *
mer_markdown_editor_get_text (MerMarkdownEditor *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
}

/* Replaces the whole text as a starting point: not an edit, so no draft
 * is written and undo cannot go back past it. */
void
mer_markdown_editor_set_text (MerMarkdownEditor *self,
                              const char        *text)
{
  GtkTextBuffer *buffer;
  GtkTextIter start;

  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
  self->loading = TRUE;
  gtk_text_buffer_begin_irreversible_action (buffer);
  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  gtk_text_buffer_end_irreversible_action (buffer);
  gtk_text_buffer_get_start_iter (buffer, &start);
  gtk_text_buffer_place_cursor (buffer, &start);
  gtk_text_buffer_set_modified (buffer, FALSE);
  self->loading = FALSE;
}

int
mer_markdown_editor_get_cursor (MerMarkdownEditor *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter iter;

  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), 0);

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
  gtk_text_buffer_get_iter_at_mark (buffer, &iter, gtk_text_buffer_get_insert (buffer));
  return gtk_text_iter_get_offset (&iter);
}

void
mer_markdown_editor_set_cursor (MerMarkdownEditor *self,
                                int                offset)
{
  GtkTextBuffer *buffer;
  GtkTextIter iter;

  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->source_view));
  gtk_text_buffer_get_iter_at_offset (buffer, &iter, MAX (offset, 0));
  gtk_text_buffer_place_cursor (buffer, &iter);
  gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (self->source_view), gtk_text_buffer_get_insert (buffer),
                                0.1, FALSE, 0, 0);
}

const char *
mer_markdown_editor_get_base_rev (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return self->base_rev;
}

void
mer_markdown_editor_set_base_rev (MerMarkdownEditor *self,
                                  const char        *rev)
{
  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  if (g_strcmp0 (rev, self->base_rev) == 0)
    return;
  g_free (self->base_rev);
  self->base_rev = g_strdup (rev);
  if (self->modified)
    schedule_autosave (self);
}

/**
 * mer_markdown_editor_get_fields:
 *
 * Returns: (transfer none) (nullable): the other fields of the document
 *   being edited, as last given or restored from the draft.
 */
JsonObject *
mer_markdown_editor_get_fields (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return self->fields;
}

/* Keeps a copy of the other fields (title, path…) in the draft; they are
 * written with the next draft save. */
void
mer_markdown_editor_set_fields (MerMarkdownEditor *self,
                                JsonObject        *fields)
{
  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  g_clear_pointer (&self->fields, json_object_unref);
  if (fields != NULL)
    self->fields = mer_json_object_copy (fields);
}

/* Called by the owner when a field outside the text changed: the draft
 * is saved as if the text had been edited. */
void
mer_markdown_editor_mark_modified (MerMarkdownEditor *self)
{
  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));
  schedule_autosave (self);
}

const char *
mer_markdown_editor_get_kind (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return self->kind != NULL ? self->kind : "page";
}

/* What the draft is of, written as its "kind" member ("page" unless
 * said otherwise) so that drafts of new documents can be found again. */
void
mer_markdown_editor_set_kind (MerMarkdownEditor *self,
                              const char        *kind)
{
  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  g_free (self->kind);
  self->kind = g_strdup (kind);
}

gboolean
mer_markdown_editor_get_modified (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), FALSE);
  return self->modified;
}

static char *
draft_doc_id (const char *draft_id)
{
  return g_strconcat (MER_DRAFT_PREFIX, draft_id, NULL);
}

/**
 * mer_markdown_editor_load_draft_doc:
 *
 * Returns: (transfer full) (nullable): the saved draft for @draft_id, or
 *   %NULL when there is none.
 */
JsonObject *
mer_markdown_editor_load_draft_doc (MerStore   *store,
                                    const char *draft_id)
{
  g_autofree char *id = draft_doc_id (draft_id);
  g_autoptr(GError) error = NULL;
  JsonObject *doc;

  doc = mer_store_get_local (store, id, &error);
  if (doc == NULL && !g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    g_warning ("Could not read the draft %s: %s", id, error->message);
  return doc;
}

gboolean
mer_markdown_editor_has_draft (MerMarkdownEditor *self)
{
  g_autoptr(JsonObject) doc = NULL;

  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), FALSE);

  doc = mer_markdown_editor_load_draft_doc (self->store, self->draft_id);
  return doc != NULL;
}

/* Loads the saved draft, if there is one, into the editor: text, cursor,
 * base revision and fields.  Returns whether a draft was found. */
gboolean
mer_markdown_editor_restore_draft (MerMarkdownEditor *self)
{
  g_autoptr(JsonObject) doc = NULL;
  JsonNode *fields;

  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), FALSE);

  doc = mer_markdown_editor_load_draft_doc (self->store, self->draft_id);
  if (doc == NULL)
    return FALSE;

  g_free (self->draft_rev);
  self->draft_rev = g_strdup (mer_json_get_string (doc, "_rev"));
  g_free (self->base_rev);
  self->base_rev = g_strdup (mer_json_get_string (doc, "base_rev"));
  fields = json_object_get_member (doc, "fields");
  g_clear_pointer (&self->fields, json_object_unref);
  if (fields != NULL && JSON_NODE_HOLDS_OBJECT (fields))
    self->fields = mer_json_object_copy (json_node_get_object (fields));

  mer_markdown_editor_set_text (self, mer_json_get_string (doc, "text"));
  if (json_object_has_member (doc, "cursor"))
    mer_markdown_editor_set_cursor (self, (int) json_object_get_int_member (doc, "cursor"));
  self->modified = TRUE;
  self->unsaved = FALSE;
  set_draft_label (self, _("Draft restored"));
  mer_markdown_editor_update_preview_now (self);
  return TRUE;
}

static JsonObject *
build_draft (MerMarkdownEditor *self)
{
  JsonObject *doc = json_object_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *id = draft_doc_id (self->draft_id);
  g_autofree char *text = mer_markdown_editor_get_text (self);
  g_autofree char *saved_at = g_date_time_format_iso8601 (now);

  json_object_set_string_member (doc, "_id", id);
  if (self->draft_rev != NULL)
    json_object_set_string_member (doc, "_rev", self->draft_rev);
  json_object_set_string_member (doc, "type", "draft");
  json_object_set_string_member (doc, "draft_of", self->draft_id);
  json_object_set_string_member (doc, "kind", self->kind != NULL ? self->kind : "page");
  json_object_set_string_member (doc, "text", text);
  json_object_set_int_member (doc, "cursor", mer_markdown_editor_get_cursor (self));
  if (self->base_rev != NULL)
    json_object_set_string_member (doc, "base_rev", self->base_rev);
  else
    json_object_set_null_member (doc, "base_rev");
  if (self->fields != NULL)
    json_object_set_object_member (doc, "fields", mer_json_object_copy (self->fields));
  json_object_set_string_member (doc, "saved_at", saved_at);
  return doc;
}

/* Writes the draft now.  Another window on the same draft may have
 * written in between; the newest text wins, once, then we give up. */
gboolean
mer_markdown_editor_save_draft (MerMarkdownEditor  *self,
                                GError            **error)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), FALSE);

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(JsonObject) doc = build_draft (self);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *rev = mer_store_put_local (self->store, doc, &local_error);

      if (rev != NULL)
        {
          g_free (self->draft_rev);
          self->draft_rev = g_steal_pointer (&rev);
          self->unsaved = FALSE;
          set_draft_label (self, _("Draft saved"));
          return TRUE;
        }
      if (!g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_CONFLICT) || attempt > 0)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), _("Could not save the draft: "));
          return FALSE;
        }

      {
        g_autoptr(JsonObject) current = mer_markdown_editor_load_draft_doc (self->store, self->draft_id);

        g_free (self->draft_rev);
        self->draft_rev = current != NULL ? g_strdup (mer_json_get_string (current, "_rev")) : NULL;
      }
    }
  g_assert_not_reached ();
}

/* Forgets the draft: after a save, or when the person discards it. */
void
mer_markdown_editor_discard_draft (MerMarkdownEditor *self)
{
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  g_clear_handle_id (&self->pause_id, g_source_remove);
  g_clear_handle_id (&self->period_id, g_source_remove);
  self->unsaved = FALSE;
  self->modified = FALSE;
  g_clear_pointer (&self->draft_rev, g_free);
  set_draft_label (self, "");

  id = draft_doc_id (self->draft_id);
  if (!mer_store_delete_local (self->store, id, &error) &&
      !g_error_matches (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    g_warning ("Could not delete the draft %s: %s", id, error->message);
}

gboolean
mer_markdown_editor_get_show_preview (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), FALSE);
  return self->show_preview;
}

void
mer_markdown_editor_set_show_preview (MerMarkdownEditor *self,
                                      gboolean           show)
{
  g_return_if_fail (MER_IS_MARKDOWN_EDITOR (self));

  show = !!show;
  if (show == self->show_preview)
    return;
  self->show_preview = show;
  gtk_toggle_button_set_active (self->preview_button, show);
  apply_layout (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_PREVIEW]);
}

/* The preview's WebKitWebView, for tests and for owners that need to
 * wait for it. */
GtkWidget *
mer_markdown_editor_get_preview (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), NULL);
  return GTK_WIDGET (self->web_view);
}

guint
mer_markdown_editor_get_word_count (MerMarkdownEditor *self)
{
  g_return_val_if_fail (MER_IS_MARKDOWN_EDITOR (self), 0);
  return self->words;
}
