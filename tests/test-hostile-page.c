/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A page written to attack the reader: scripts, remote images, frames,
 * style sheets, refreshes and javascript: links, in raw HTML and in
 * Markdown.  The reader must run none of it and reach no network: a real
 * HTTP server on 127.0.0.1, named in every one of those places, counts the
 * requests it receives, and there must be none.  A second test hands the
 * web view hostile HTML directly, skipping the Markdown sanitiser, to check
 * that the reader's own defences (no JavaScript, the content policy, the
 * navigation policy) hold by themselves.
 */
#include "config.h"

#include "mer-test-gui.h"
#include "mer-test-util.h"

#include "mer-image-viewer.h"
#include "mer-json.h"
#include "mer-markdown.h"
#include "mer-page-view.h"
#include "mer-store.h"
#include "mer-store-attachments.h"
#include "mer-ui-resources.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <webkit/webkit.h>


typedef struct
{
  SoupServer *server;
  char       *base;       /* http://127.0.0.1:PORT */
  guint       requests;
  GString    *paths;
} Trap;

static void
trap_handler (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Trap *trap = user_data;

  trap->requests++;
  g_string_append_printf (trap->paths, "%s ", path);
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/html", SOUP_MEMORY_STATIC,
                                    "<script>document.title='pwned'</script>", 39);
}

static void
trap_start (Trap *trap)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  trap->server = soup_server_new (NULL, NULL);
  trap->paths = g_string_new (NULL);
  soup_server_add_handler (trap->server, NULL, trap_handler, trap, NULL);
  g_assert_true (soup_server_listen (trap->server, address, 0, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (trap->server);
  g_assert_nonnull (uris);
  trap->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
trap_stop (Trap *trap)
{
  soup_server_disconnect (trap->server);
  g_clear_object (&trap->server);
  g_string_free (trap->paths, TRUE);
  g_free (trap->base);
}

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_loaded (MerPageView *view)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (MER_TEST_WAIT_LIMIT_MS, timeout_cb, &expired);

  while (!mer_page_view_get_loaded (view) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return !expired;
}

static gboolean
wait_web_view_idle (WebKitWebView *web_view)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (MER_TEST_WAIT_LIMIT_MS, timeout_cb, &expired);

  while (webkit_web_view_is_loading (web_view) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return !expired;
}

typedef struct
{
  GBytes   *bytes;
  gboolean  done;
} DataWait;

static void
resource_data_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DataWait *wait = user_data;
  gsize length = 0;
  guchar *data = webkit_web_resource_get_data_finish (WEBKIT_WEB_RESOURCE (object), result, &length, NULL);

  wait->bytes = data ? g_bytes_new_take (data, length) : NULL;
  wait->done = TRUE;
}

static char *
shown_html (WebKitWebView *web_view)
{
  DataWait wait = { NULL, FALSE };
  WebKitWebResource *resource = webkit_web_view_get_main_resource (web_view);
  char *html;

  g_assert_nonnull (resource);
  webkit_web_resource_get_data (resource, NULL, resource_data_cb, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (wait.bytes);
  html = g_strndup (g_bytes_get_data (wait.bytes, NULL), g_bytes_get_size (wait.bytes));
  g_bytes_unref (wait.bytes);
  return html;
}

static GtkWidget *
show_in_window (GtkWidget *child)
{
  GtkWidget *window = adw_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  adw_window_set_content (ADW_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}


/* An SVG that tries everything an SVG can: a script, an onload handler,
 * images, a style sheet and a frame from the network, a link. */
static GBytes *
hostile_svg (const char *base)
{
  char *svg = g_strdup_printf (
    "<?xml version=\"1.0\"?>\n"
    "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"\n"
    "     width=\"240\" height=\"80\" onload=\"fetch('%1$s/svg-onload'); top.document.title='pwned'\">\n"
    "  <script>fetch('%1$s/svg-script'); top.document.title = 'pwned';</script>\n"
    "  <script href=\"%1$s/svg-script.js\"/>\n"
    "  <style>@import url(%1$s/svg-import.css); rect { fill: url(%1$s/svg-fill#x); }</style>\n"
    "  <rect width=\"240\" height=\"80\" style=\"fill:#e01b24\"/>\n"
    "  <image href=\"%1$s/svg-image.png\" width=\"40\" height=\"40\"/>\n"
    "  <image xlink:href=\"%1$s/svg-xlink.png\" x=\"40\" width=\"40\" height=\"40\"/>\n"
    "  <use href=\"%1$s/svg-use.svg#a\"/>\n"
    "  <foreignObject width=\"10\" height=\"10\"><iframe xmlns=\"http://www.w3.org/1999/xhtml\" src=\"%1$s/svg-frame\"/></foreignObject>\n"
    "  <a href=\"%1$s/svg-link\"><text x=\"100\" y=\"50\" fill=\"#ffffff\">SVG</text></a>\n"
    "</svg>\n", base);

  return g_bytes_new_take (svg, strlen (svg));
}

static GBytes *
hostile_html (const char *base)
{
  char *html = g_strdup_printf (
    "<!DOCTYPE html><html><head><title>evil</title>"
    "<meta http-equiv=\"refresh\" content=\"0; url=%1$s/html-refresh\">"
    "<script src=\"%1$s/html-script.js\"></script></head>"
    "<body onload=\"fetch('%1$s/html-onload')\">"
    "<script>top.document.title = 'pwned'; fetch('%1$s/html-script');</script>"
    "<img src=\"%1$s/html-img.png\"><iframe src=\"%1$s/html-frame\"></iframe>"
    "</body></html>", base);

  return g_bytes_new_take (html, strlen (html));
}

/* Adds the hostile SVG and HTML to page @id; returns the new revision. */
static char *
attach_hostile_files (MerStore   *store,
                      const char *id,
                      const char *rev,
                      const char *base)
{
  g_autoptr(GBytes) svg = hostile_svg (base);
  g_autoptr(GBytes) html = hostile_html (base);
  g_autoptr(GError) error = NULL;
  g_autofree char *svg_rev = NULL;
  g_autofree char *html_rev = NULL;
  char *fake_rev;

  svg_rev = mer_store_put_attachment (store, id, rev, "evil.svg", "image/svg+xml", svg, &error);
  g_assert_no_error (error);
  html_rev = mer_store_put_attachment (store, id, svg_rev, "evil.html", "text/html", html, &error);
  g_assert_no_error (error);
  /* HTML that says it is a PNG: served as a PNG with "nosniff", it is a
   * broken image, never a document. */
  fake_rev = mer_store_put_attachment (store, id, html_rev, "fake.png", "image/png", html, &error);
  g_assert_no_error (error);
  return fake_rev;
}

static gboolean
open_file_cb (MerPageView *view,
              GFile       *file,
              GFile      **opened)
{
  g_set_object (opened, file);
  return TRUE;  /* Nothing is launched from a test. */
}

static MerImageViewer *
find_viewer (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (MER_IS_IMAGE_VIEWER (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return MER_IMAGE_VIEWER (window);
    }
  return NULL;
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static void
remove_temp_copy (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *dir = g_path_get_dirname (path);

  g_remove (path);
  g_rmdir (dir);
}

static char *
hostile_markdown (const char *base)
{
  return g_strdup_printf (
    "# Quarterly numbers\n\n"
    "Nothing to see here.\n\n"
    "<script>document.title = 'pwned';</script>\n\n"
    "<img src=\"%1$s/raw-img.png\" onerror=\"document.title='pwned'\">\n\n"
    "![chart](%1$s/markdown-img.png)\n\n"
    "<iframe src=\"%1$s/frame\"></iframe>\n\n"
    "<link rel=\"stylesheet\" href=\"%1$s/style.css\">\n\n"
    "<style>@import url(%1$s/import.css); body { background: url(%1$s/bg.png); }</style>\n\n"
    "<meta http-equiv=\"refresh\" content=\"0; url=%1$s/refresh\">\n\n"
    "<object data=\"%1$s/object\"></object> <embed src=\"%1$s/embed\">\n\n"
    "<video src=\"%1$s/video.mp4\" autoplay></video> <audio src=\"%1$s/audio.ogg\" autoplay></audio>\n\n"
    "<div style=\"background-image: url(%1$s/inline-bg.png)\">styled</div>\n\n"
    "<form action=\"%1$s/form\"><input type=\"submit\"></form>\n\n"
    "[innocent link](javascript:document.title='pwned')\n\n"
    "[data link](data:text/html,<script>alert(1)</script>)\n\n"
    "<a href=\"javascript:alert(1)\">raw javascript link</a>\n\n"
    "[outside link](%1$s/outside)\n\n"
    "<svg><script>document.title='pwned'</script><image href=\"%1$s/svg.png\"/></svg>\n\n"
    "An attached SVG, as an image: ![diagram](evil.svg)\n\n"
    "An attached page, linked: [notes](evil.html), embedded: ![notes](evil.html)\n\n"
    "An attached page that says it is a picture: ![picture](fake.png)\n",
    base);
}

static void
test_hostile_markdown (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *body = NULL;
  g_autofree char *html = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *att_rev = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) opened = NULL;
  WebKitWebView *web_view;
  GtkWidget *view;
  GtkWidget *window;
  Trap trap = { 0 };

  trap_start (&trap);
  body = hostile_markdown (trap.base);
  page = json_object_new ();
  json_object_set_string_member (page, "_id", "page:hostile");
  json_object_set_string_member (page, "type", "page");
  json_object_set_string_member (page, "title", "Quarterly numbers");
  json_object_set_string_member (page, "path", "hostile");
  json_object_set_string_member (page, "body", body);
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  att_rev = attach_hostile_files (store, "page:hostile", rev, trap.base);

  view = mer_page_view_new (store);
  window = show_in_window (view);
  g_signal_connect (view, "open-file", G_CALLBACK (open_file_cb), &opened);
  mer_page_view_open (MER_PAGE_VIEW (view), "page:hostile");
  g_assert_true (wait_loaded (MER_PAGE_VIEW (view)));
  /* Give anything that might still try time to do so. */
  mer_test_gui_spin (1500);

  web_view = WEBKIT_WEB_VIEW (mer_page_view_get_web_view (MER_PAGE_VIEW (view)));
  g_assert_cmpstr (mer_page_view_get_page_id (MER_PAGE_VIEW (view)), ==, "page:hostile");
  g_assert_cmpstr (webkit_web_view_get_title (web_view), ==, "Quarterly numbers");
  g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, "meridian://page/page%3Ahostile");

  /* The document the reader got has no live markup from the page. */
  html = shown_html (web_view);
  g_assert_nonnull (strstr (html, "Nothing to see here"));
  g_assert_null (strstr (html, "<script"));
  g_assert_null (strstr (html, "<iframe"));
  g_assert_null (strstr (html, "<object"));
  g_assert_null (strstr (html, "<embed"));
  g_assert_null (strstr (html, "<video"));
  g_assert_null (strstr (html, "<form"));
  g_assert_null (strstr (html, "onerror="));
  g_assert_null (strstr (html, "href=\"javascript:"));
  g_assert_null (strstr (html, "href=\"data:"));
  g_assert_null (strstr (html, "http-equiv=\"refresh\""));
  /* The SVG is an <img>, the HTML only ever a chip, never embedded. */
  {
    g_autofree char *svg_uri = mer_markdown_attachment_uri ("page:hostile", att_rev, "evil.svg");
    g_autofree char *html_uri = mer_markdown_attachment_uri ("page:hostile", att_rev, "evil.html");
    g_autofree char *img_svg = g_strdup_printf ("<img src=\"%s\"", svg_uri);
    g_autofree char *img_html = g_strdup_printf ("src=\"%s\"", html_uri);
    g_autofree char *chip_html = g_strdup_printf ("<a class=\"mer-attachment\" href=\"%s\"", html_uri);

    g_assert_nonnull (strstr (html, img_svg));
    g_assert_null (strstr (html, img_html));
    g_assert_nonnull (strstr (html, chip_html));
  }

  /* And nothing reached the network. */
  g_test_message ("requests: %u (%s)", trap.requests, trap.paths->str);
  g_assert_cmpuint (trap.requests, ==, 0);
  mer_test_gui_save_png (window, "hostile-page.png");

  /* Following the outside link does not load it inside the reader, and
   * neither does a javascript: address. */
  {
    g_autofree char *outside = g_strdup_printf ("%s/outside", trap.base);
    guint blocked = mer_page_view_get_blocked_count (MER_PAGE_VIEW (view));

    mer_page_view_open_uri (MER_PAGE_VIEW (view), outside);
    mer_test_gui_spin (500);
    g_assert_cmpuint (mer_page_view_get_blocked_count (MER_PAGE_VIEW (view)), ==, blocked + 1);
    mer_page_view_open_uri (MER_PAGE_VIEW (view), "javascript:document.title='pwned'");
    mer_test_gui_spin (500);
    g_assert_cmpuint (mer_page_view_get_blocked_count (MER_PAGE_VIEW (view)), ==, blocked + 2);
    g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, "meridian://page/page%3Ahostile");
    g_assert_cmpstr (webkit_web_view_get_title (web_view), ==, "Quarterly numbers");
    g_assert_cmpuint (trap.requests, ==, 0);
  }

  /* Following the SVG shows it in the viewer, as a picture: still no
   * script and no load.  Following the HTML hands a copy to another
   * application (stopped here) and never loads it in the reader. */
  {
    g_autofree char *svg_uri = mer_markdown_attachment_uri ("page:hostile", att_rev, "evil.svg");
    g_autofree char *html_uri = mer_markdown_attachment_uri ("page:hostile", att_rev, "evil.html");
    MerImageViewer *viewer;
    AdwMessageDialog *dialog;

    mer_page_view_open_uri (MER_PAGE_VIEW (view), svg_uri);
    mer_test_gui_spin (1000);
    viewer = find_viewer ();
    g_assert_nonnull (viewer);
    g_assert_true (mer_image_viewer_get_loaded (viewer));
    g_assert_cmpint (mer_image_viewer_get_image_width (viewer), ==, 240);
    g_test_message ("SVG in the viewer: %s, %dx%d",
                    mer_image_viewer_get_loaded (viewer) ? "decoded" : "not decoded",
                    mer_image_viewer_get_image_width (viewer), mer_image_viewer_get_image_height (viewer));
    mer_test_gui_save_png (GTK_WIDGET (viewer), "hostile-svg-viewer.png");
    gtk_window_close (GTK_WINDOW (viewer));

    {
      g_autofree char *fake_uri = mer_markdown_attachment_uri ("page:hostile", att_rev, "fake.png");

      mer_page_view_open_uri (MER_PAGE_VIEW (view), fake_uri);
      mer_test_gui_spin (500);
      viewer = find_viewer ();
      g_assert_nonnull (viewer);
      g_assert_false (mer_image_viewer_get_loaded (viewer));
      gtk_window_close (GTK_WINDOW (viewer));
    }

    /* A web page can run code where it opens: the person is asked, and
     * "Cancel" (the default) opens nothing. */
    mer_page_view_open_uri (MER_PAGE_VIEW (view), html_uri);
    mer_test_gui_spin (500);
    dialog = find_dialog ();
    g_assert_nonnull (dialog);
    g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
    mer_test_gui_save_png (GTK_WIDGET (dialog), "hostile-html-confirm.png");
    adw_message_dialog_response (dialog, "cancel");
    gtk_window_destroy (GTK_WINDOW (dialog));
    mer_test_gui_spin (100);
    g_assert_null (opened);

    mer_page_view_open_uri (MER_PAGE_VIEW (view), html_uri);
    mer_test_gui_spin (500);
    dialog = find_dialog ();
    g_assert_nonnull (dialog);
    adw_message_dialog_response (dialog, "open");
    gtk_window_destroy (GTK_WINDOW (dialog));
    mer_test_gui_spin (100);
    g_assert_nonnull (opened);
    remove_temp_copy (opened);
    g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, "meridian://page/page%3Ahostile");
    g_assert_cmpstr (webkit_web_view_get_title (web_view), ==, "Quarterly numbers");
    g_test_message ("requests: %u (%s)", trap.requests, trap.paths->str);
    g_assert_cmpuint (trap.requests, ==, 0);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  trap_stop (&trap);
  mer_test_rm_rf (dir);
}

/* Hostile HTML straight into the web view: the sanitiser is not there to
 * help, so scripts must not run and loads must not leave. */
static void
test_defences_without_sanitiser (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *html = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *att_rev = NULL;
  g_autofree char *svg_uri = NULL;
  g_autofree char *html_uri = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GFile) opened = NULL;
  g_autoptr(GError) error = NULL;
  WebKitWebView *web_view;
  GtkWidget *view;
  GtkWidget *window;
  Trap trap = { 0 };

  trap_start (&trap);
  page = mer_test_object ("{\"_id\":\"page:raw\",\"type\":\"page\",\"title\":\"raw\",\"path\":\"raw\",\"body\":\"\"}");
  rev = mer_store_put_doc (store, page, &error);
  g_assert_no_error (error);
  att_rev = attach_hostile_files (store, "page:raw", rev, trap.base);
  svg_uri = mer_markdown_attachment_uri ("page:raw", att_rev, "evil.svg");
  html_uri = mer_markdown_attachment_uri ("page:raw", att_rev, "evil.html");

  view = mer_page_view_new (store);
  window = show_in_window (view);
  g_signal_connect (view, "open-file", G_CALLBACK (open_file_cb), &opened);
  web_view = WEBKIT_WEB_VIEW (mer_page_view_get_web_view (MER_PAGE_VIEW (view)));

  html = g_strdup_printf ("<!DOCTYPE html><html><head><title>raw</title>"
                          "<link rel=\"stylesheet\" href=\"%1$s/raw.css\">"
                          "<link rel=\"prefetch\" href=\"%1$s/prefetch\">"
                          "<link rel=\"icon\" href=\"%1$s/favicon.ico\">"
                          "<meta http-equiv=\"refresh\" content=\"0; url=%1$s/refresh\">"
                          "</head><body>"
                          "<script>document.title = 'pwned';</script>"
                          "<script src=\"%1$s/script.js\"></script>"
                          "<img src=\"%1$s/img.png\" onerror=\"document.title='pwned'\">"
                          "<img srcset=\"%1$s/srcset.png 2x\">"
                          "<iframe src=\"%1$s/frame\"></iframe>"
                          "<object data=\"%1$s/object\"></object>"
                          "<video src=\"%1$s/video.mp4\" autoplay></video>"
                          "<div style=\"background:url(%1$s/bg.png)\">x</div>"
                          "<a id=\"a\" href=\"%1$s/link\" ping=\"%1$s/ping\">link</a>"
                          /* The hostile attachments, every way raw HTML can embed them. */
                          "<img src=\"%2$s\" onload=\"document.title='pwned'\">"
                          "<object data=\"%2$s\" type=\"image/svg+xml\"></object>"
                          "<embed src=\"%2$s\" type=\"image/svg+xml\">"
                          "<iframe src=\"%2$s\"></iframe>"
                          "<img src=\"%3$s\">"
                          "<iframe src=\"%3$s\"></iframe>"
                          "<object data=\"%3$s\" type=\"text/html\"></object>"
                          "<link rel=\"stylesheet\" href=\"%3$s\">"
                          "<meta http-equiv=\"refresh\" content=\"0; url=%3$s\">"
                          "</body></html>", trap.base, svg_uri, html_uri);
  webkit_web_view_load_html (web_view, html, "meridian://page/page%3Araw");
  g_assert_true (wait_web_view_idle (web_view));
  mer_test_gui_spin (2000);

  g_assert_cmpstr (webkit_web_view_get_title (web_view), ==, "raw");
  g_test_message ("requests: %u (%s)", trap.requests, trap.paths->str);
  g_assert_cmpuint (trap.requests, ==, 0);
  /* The page could not open an attachment by itself: no viewer, no file
   * handed to another application, and the page stayed. */
  g_assert_null (find_viewer ());
  g_assert_null (opened);
  g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, "meridian://page/page%3Araw");
  mer_test_gui_save_png (window, "hostile-raw-attachments.png");

  gtk_window_destroy (GTK_WINDOW (window));
  mer_test_gui_spin (100);
  trap_stop (&trap);
  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  (void) mer_ui_get_resource ();

  g_test_add_func ("/hostile-page/markdown", test_hostile_markdown);
  g_test_add_func ("/hostile-page/defences-without-sanitiser", test_defences_without_sanitiser);
  return g_test_run ();
}
