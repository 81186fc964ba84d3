/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <webkit/webkit.h>

G_BEGIN_DECLS

/* The meridian: scheme, which serves the replica's pages and nothing else. */
#define MER_WEB_VIEW_SCHEME "meridian"

/* Applied to every document shown, as if sent in an HTTP header. */
#define MER_WEB_VIEW_CSP \
  "default-src 'none'; img-src meridian: data:; style-src 'unsafe-inline' meridian:; " \
  "font-src meridian: data:; media-src 'none'; object-src 'none'; script-src 'none'; " \
  "frame-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"

/* Sent with every image served: an SVG may style itself, nothing more. */
#define MER_WEB_VIEW_IMAGE_CSP \
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; img-src 'none'; " \
  "font-src 'none'; connect-src 'none'; frame-src 'none'; object-src 'none'; sandbox"

/* The MerStore a view's meridian://att/ addresses are served from, as
 * object data on the web view (set by its owner, who keeps the store). */
#define MER_WEB_VIEW_STORE_KEY "mer-store"

/* What a view's owner says about a navigation to one of its own addresses. */
typedef enum
{
  MER_WEB_VIEW_REFUSE,   /* not the owner's: refused (a clicked outside link opens in the browser) */
  MER_WEB_VIEW_LOAD,     /* load it in the view */
  MER_WEB_VIEW_HANDLED,  /* the owner dealt with it: load nothing */
} MerWebViewVerdict;

typedef MerWebViewVerdict (*MerWebViewNavigateFunc) (WebKitWebView            *web_view,
                                                     const char               *uri,
                                                     WebKitPolicyDecisionType  type,
                                                     gpointer                  user_data);

WebKitWebView *mer_web_view_new_safe          (const char                     *accessible_label,
                                               MerWebViewNavigateFunc          navigate,
                                               gpointer                        user_data);
void           mer_web_view_register_scheme   (WebKitURISchemeRequestCallback  callback);
void           mer_web_view_finish_html       (WebKitURISchemeRequest         *request,
                                               char                           *html);
void           mer_web_view_finish_image      (WebKitURISchemeRequest         *request,
                                               GBytes                         *bytes,
                                               const char                     *content_type);
guint          mer_web_view_get_blocked_count (WebKitWebView                  *web_view);
void           mer_web_view_fit_content       (WebKitWebView                  *web_view,
                                               GtkScrolledWindow              *outer);
int            mer_web_view_get_fitted_height (WebKitWebView                  *web_view);

G_END_DECLS
