/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-web-view.h"

#include "mer-markdown.h"

#include <gtk/gtk.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

/*
 * The one way Meridian makes a web view (the reader's and the editor's
 * preview): scripts, storage and media off, an ephemeral network session,
 * a default Content-Security-Policy that confines every subresource to
 * meridian: and data:, and one navigation policy.  The owner decides about
 * its own addresses; everything else is refused, except that an outside
 * link the person clicked opens in their browser, never inside the app.
 */

/* One network session for every view: ephemeral, so nothing is cached on disk. */
static WebKitNetworkSession *
get_network_session (void)
{
  static WebKitNetworkSession *session;

  if (session == NULL)
    session = webkit_network_session_new_ephemeral ();
  return session;
}

static gboolean
is_outside_link (const char *uri)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);

  return scheme != NULL
         && (g_ascii_strcasecmp (scheme, "http") == 0
             || g_ascii_strcasecmp (scheme, "https") == 0
             || g_ascii_strcasecmp (scheme, "mailto") == 0);
}

static void
count_blocked (WebKitWebView *web_view,
               const char    *uri)
{
  guint count = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (web_view), "mer-blocked-count"));

  g_object_set_data (G_OBJECT (web_view), "mer-blocked-count", GUINT_TO_POINTER (count + 1));
  g_debug ("Refused to load %s", uri);
}

/*
 * Every navigation and every response passes here.  Responses load only
 * from the meridian: scheme; navigations go to the owner first.
 */
static gboolean
decide_policy_cb (WebKitWebView            *web_view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  gpointer                  user_data)
{
  MerWebViewNavigateFunc navigate = (MerWebViewNavigateFunc) g_object_get_data (G_OBJECT (web_view), "mer-navigate");
  WebKitNavigationAction *action;
  WebKitURIRequest *request;
  const char *uri;

  if (type == WEBKIT_POLICY_DECISION_TYPE_RESPONSE)
    {
      request = webkit_response_policy_decision_get_request (WEBKIT_RESPONSE_POLICY_DECISION (decision));
      uri = webkit_uri_request_get_uri (request);
      if (g_str_has_prefix (uri, MER_WEB_VIEW_SCHEME ":") || g_str_equal (uri, "about:blank"))
        webkit_policy_decision_use (decision);
      else
        webkit_policy_decision_ignore (decision);
      return TRUE;
    }

  action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
  request = webkit_navigation_action_get_request (action);
  uri = webkit_uri_request_get_uri (request);

  /* An attachment is never a document of the view, and it only opens
   * (in a viewer, or in another application) when a person follows a
   * link to it: a page cannot open one by itself. */
  if (g_str_has_prefix (uri, MER_MARKDOWN_ATTACHMENT_URI_PREFIX)
      && webkit_navigation_action_get_navigation_type (action) != WEBKIT_NAVIGATION_TYPE_LINK_CLICKED)
    {
      webkit_policy_decision_ignore (decision);
      count_blocked (web_view, uri);
      return TRUE;
    }

  switch (navigate != NULL ? navigate (web_view, uri, type, user_data) : MER_WEB_VIEW_REFUSE)
    {
    case MER_WEB_VIEW_LOAD:
      webkit_policy_decision_use (decision);
      return TRUE;
    case MER_WEB_VIEW_HANDLED:
      webkit_policy_decision_ignore (decision);
      return TRUE;
    case MER_WEB_VIEW_REFUSE:
    default:
      break;
    }

  webkit_policy_decision_ignore (decision);
  if (is_outside_link (uri)
      && webkit_navigation_action_get_navigation_type (action) == WEBKIT_NAVIGATION_TYPE_LINK_CLICKED
      && mer_markdown_is_safe_url (uri))
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (web_view));

      gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
      return TRUE;
    }
  if (!g_str_equal (uri, "about:blank"))
    count_blocked (web_view, uri);
  return TRUE;
}

/*
 * A new web view with the safe settings.  @navigate (called with
 * @user_data, which must outlive the view) says what to do with a
 * navigation to one of the owner's addresses; NULL refuses all of them.
 */
WebKitWebView *
mer_web_view_new_safe (const char             *accessible_label,
                       MerWebViewNavigateFunc  navigate,
                       gpointer                user_data)
{
  g_autoptr(WebKitSettings) settings = NULL;
  WebKitWebView *web_view;

  settings = webkit_settings_new_with_settings ("enable-javascript", FALSE,
                                                "enable-javascript-markup", FALSE,
                                                "javascript-can-open-windows-automatically", FALSE,
                                                "enable-html5-local-storage", FALSE,
                                                "enable-html5-database", FALSE,
                                                "enable-webgl", FALSE,
                                                "enable-webaudio", FALSE,
                                                "enable-media", FALSE,
                                                "enable-media-stream", FALSE,
                                                "enable-page-cache", FALSE,
                                                "enable-developer-extras", FALSE,
                                                "enable-back-forward-navigation-gestures", TRUE,
                                                "allow-file-access-from-file-urls", FALSE,
                                                "allow-universal-access-from-file-urls", FALSE,
                                                NULL);
  web_view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                           "settings", settings,
                           "network-session", get_network_session (),
                           "default-content-security-policy", MER_WEB_VIEW_CSP,
                           "hexpand", TRUE,
                           "vexpand", TRUE,
                           NULL);
  if (accessible_label != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (web_view),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_label, -1);
  g_object_set_data (G_OBJECT (web_view), "mer-navigate", (gpointer) navigate);
  g_signal_connect (web_view, "decide-policy", G_CALLBACK (decide_policy_cb), user_data);
  return web_view;
}

/*
 * Registers the meridian: scheme on the default context, once per
 * process (WebKit allows one handler per scheme): the first caller's
 * @callback serves it.
 */
void
mer_web_view_register_scheme (WebKitURISchemeRequestCallback callback)
{
  static gboolean registered;
  WebKitWebContext *context;
  WebKitSecurityManager *security;

  if (registered)
    return;
  registered = TRUE;
  context = webkit_web_context_get_default ();
  webkit_web_context_register_uri_scheme (context, MER_WEB_VIEW_SCHEME, callback, NULL, NULL);
  security = webkit_web_context_get_security_manager (context);
  webkit_security_manager_register_uri_scheme_as_secure (security, MER_WEB_VIEW_SCHEME);
  webkit_security_manager_register_uri_scheme_as_local (security, MER_WEB_VIEW_SCHEME);
}

/* Answers a meridian: request with @html (taken), with the CSP header too. */
void
mer_web_view_finish_html (WebKitURISchemeRequest *request,
                          char                   *html)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(WebKitURISchemeResponse) response = NULL;
  SoupMessageHeaders *headers;
  gsize length = strlen (html);

  stream = g_memory_input_stream_new_from_data (html, length, g_free);
  response = webkit_uri_scheme_response_new (stream, length);
  webkit_uri_scheme_response_set_content_type (response, "text/html; charset=utf-8");
  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  soup_message_headers_append (headers, "Content-Security-Policy", MER_WEB_VIEW_CSP);
  webkit_uri_scheme_response_set_http_headers (response, headers);
  webkit_uri_scheme_request_finish_with_response (request, response);
}

/*
 * Answers a meridian: request for an image with @bytes, of @content_type
 * (one mer_markdown_is_image_type() accepts).  The response carries its
 * own policy, which forbids script and every load (an SVG served here
 * stays an inert picture even if something opened it as a document), and
 * "nosniff", so WebKit takes the type as given and never guesses HTML.
 */
void
mer_web_view_finish_image (WebKitURISchemeRequest *request,
                           GBytes                 *bytes,
                           const char             *content_type)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(WebKitURISchemeResponse) response = NULL;
  SoupMessageHeaders *headers;

  stream = g_memory_input_stream_new_from_bytes (bytes);
  response = webkit_uri_scheme_response_new (stream, g_bytes_get_size (bytes));
  webkit_uri_scheme_response_set_content_type (response, content_type);
  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  soup_message_headers_append (headers, "Content-Security-Policy", MER_WEB_VIEW_IMAGE_CSP);
  soup_message_headers_append (headers, "X-Content-Type-Options", "nosniff");
  webkit_uri_scheme_response_set_http_headers (response, headers);
  webkit_uri_scheme_request_finish_with_response (request, response);
}

/* How many navigations the policy refused in @web_view. */
guint
mer_web_view_get_blocked_count (WebKitWebView *web_view)
{
  g_return_val_if_fail (WEBKIT_IS_WEB_VIEW (web_view), 0);
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (web_view), "mer-blocked-count"));
}

/*
 * A web view shown at its document's natural height, inside a page that
 * scrolls as a whole (a proposal's body above its comments): one scroller,
 * not a scrolling web view nested in a scrolling page, where the wheel
 * gets stuck in whichever is under the pointer.
 *
 * The document's own scrolling is switched off by a user style sheet
 * (which the page's Content-Security-Policy does not govern); after each
 * load, and after each change of width (which reflows the text), the
 * height of the laid-out document is read by a script of ours and becomes
 * the view's height request.  The vertical wheel goes to @outer before
 * WebKit sees it.
 *
 * WebKit runs no script at all, ours included, in a view whose settings
 * disable JavaScript, so a fitted view enables it; the document still
 * runs none of its own: script markup (<script>, on* attributes) is
 * dropped as the HTML is parsed (enable-javascript-markup stays off), the
 * CSP's script-src 'none' refuses inline code and eval, a javascript:
 * address is never navigated to (decide_policy_cb), and the Markdown
 * renderer has removed raw HTML before any of that.  Ours runs in an
 * isolated world, apart from the page's.
 */

#define FIT_KEY        "mer-fit"
#define FIT_WORLD      "meridian-measure"
#define FIT_REFLOW_MS  100

/* The height of the html element, not documentElement.scrollHeight,
 * which is never less than the view's own height and so could only
 * grow: a view made wider, with text that needs fewer lines, must
 * shrink. */
#define FIT_SCRIPT "Math.ceil(document.documentElement.getBoundingClientRect().height)"

typedef struct
{
  WebKitWebView     *web_view;    /* unowned: the data lives as long as it */
  GtkScrolledWindow *outer;       /* weak */
  GtkAdjustment     *hadjustment; /* the outer's, watched for width changes */
  GCancellable      *cancellable;
  guint              reflow_id;
  int                measured_width; /* the width the height was measured at */
  int                height;         /* the last height measured, 0 before */
} Fit;

static void
fit_free (gpointer data)
{
  Fit *fit = data;

  g_cancellable_cancel (fit->cancellable);
  g_clear_object (&fit->cancellable);
  g_clear_handle_id (&fit->reflow_id, g_source_remove);
  if (fit->hadjustment != NULL)
    g_signal_handlers_disconnect_by_data (fit->hadjustment, fit);
  g_clear_object (&fit->hadjustment);
  g_clear_weak_pointer (&fit->outer);
  g_free (fit);
}

static void
fit_measured_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (source), result, &error);
  Fit *fit;
  int height;

  if (value == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not measure a document's height: %s", error->message);
      return;
    }
  fit = g_object_get_data (source, FIT_KEY);
  if (fit == NULL || !jsc_value_is_number (value))
    return;
  height = jsc_value_to_int32 (value);
  if (height <= 0)
    return;
  fit->height = height;
  gtk_widget_set_size_request (GTK_WIDGET (fit->web_view), -1, height);
}

static void
fit_measure (Fit *fit)
{
  fit->measured_width = gtk_widget_get_width (GTK_WIDGET (fit->web_view));
  webkit_web_view_evaluate_javascript (fit->web_view, FIT_SCRIPT, -1, FIT_WORLD, NULL,
                                       fit->cancellable, fit_measured_cb, NULL);
}

static void
fit_load_changed_cb (WebKitWebView   *web_view,
                     WebKitLoadEvent  event,
                     Fit             *fit)
{
  if (event == WEBKIT_LOAD_FINISHED)
    fit_measure (fit);
}

static gboolean
fit_reflow_cb (gpointer user_data)
{
  Fit *fit = user_data;

  fit->reflow_id = 0;
  if (!webkit_web_view_is_loading (fit->web_view)
      && gtk_widget_get_width (GTK_WIDGET (fit->web_view)) != fit->measured_width)
    fit_measure (fit);
  return G_SOURCE_REMOVE;
}

/* The outer scroller changed width: measure again once the resizing
 * settles, not on every step of a dragged window edge. */
static void
fit_outer_changed_cb (GtkAdjustment *adjustment,
                      Fit           *fit)
{
  g_clear_handle_id (&fit->reflow_id, g_source_remove);
  fit->reflow_id = g_timeout_add (FIT_REFLOW_MS, fit_reflow_cb, fit);
}

/* The vertical wheel scrolls the page around the view, as it does
 * everywhere else on the page; sideways (a wide table or code block)
 * and with Ctrl (zoom) it stays with WebKit. */
static gboolean
fit_scroll_cb (GtkEventControllerScroll *controller,
               double                    dx,
               double                    dy,
               Fit                      *fit)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  GtkAdjustment *adjustment;
  double page, delta;

  if (fit->outer == NULL || dy == 0 || (state & GDK_CONTROL_MASK) != 0)
    return FALSE;
  adjustment = gtk_scrolled_window_get_vadjustment (fit->outer);
  page = gtk_adjustment_get_page_size (adjustment);
  /* GtkScrolledWindow's own step for a wheel click. */
  delta = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL
            ? dy * pow (page, 2.0 / 3.0)
            : dy;
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + delta);
  return TRUE;
}

/**
 * mer_web_view_fit_content:
 * @outer: the scrolled window the view sits in, somewhere above it
 *
 * Shows @web_view at the height of its document, measured after every
 * load and change of width, with the page around it as the one scroller.
 * Call it before loading.
 */
void
mer_web_view_fit_content (WebKitWebView     *web_view,
                          GtkScrolledWindow *outer)
{
  g_autoptr(WebKitUserStyleSheet) sheet = NULL;
  GtkEventController *scroll;
  Fit *fit;

  g_return_if_fail (WEBKIT_IS_WEB_VIEW (web_view));
  g_return_if_fail (GTK_IS_SCROLLED_WINDOW (outer));

  fit = g_new0 (Fit, 1);
  fit->web_view = web_view;
  g_set_weak_pointer (&fit->outer, outer);
  fit->cancellable = g_cancellable_new ();
  fit->hadjustment = g_object_ref (gtk_scrolled_window_get_hadjustment (outer));
  g_object_set_data_full (G_OBJECT (web_view), FIT_KEY, fit, fit_free);

  g_object_set (webkit_web_view_get_settings (web_view),
                "enable-javascript", TRUE,
                "enable-javascript-markup", FALSE,
                NULL);
  sheet = webkit_user_style_sheet_new ("html, body { overflow: hidden !important; }",
                                       WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                       WEBKIT_USER_STYLE_LEVEL_USER, NULL, NULL);
  webkit_user_content_manager_add_style_sheet (webkit_web_view_get_user_content_manager (web_view), sheet);
  gtk_widget_set_vexpand (GTK_WIDGET (web_view), FALSE);

  g_signal_connect (web_view, "load-changed", G_CALLBACK (fit_load_changed_cb), fit);
  g_signal_connect (fit->hadjustment, "changed", G_CALLBACK (fit_outer_changed_cb), fit);
  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
  g_signal_connect (scroll, "scroll", G_CALLBACK (fit_scroll_cb), fit);
  gtk_widget_add_controller (GTK_WIDGET (web_view), scroll);
}

/* The document height last measured by mer_web_view_fit_content(), or 0
 * before the first measure (or for a view that is not fitted). */
int
mer_web_view_get_fitted_height (WebKitWebView *web_view)
{
  Fit *fit;

  g_return_val_if_fail (WEBKIT_IS_WEB_VIEW (web_view), 0);

  fit = g_object_get_data (G_OBJECT (web_view), FIT_KEY);
  return fit != NULL ? fit->height : 0;
}
