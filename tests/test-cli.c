/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `meridian import|export|search`, run as a person runs them. */
#include "config.h"

#include "mer-test-util.h"
#include "mer-json.h"

#include <string.h>
#include <sys/wait.h>

typedef struct
{
  char *data;     /* the workspace */
  char *pages;    /* a folder of Markdown to import */
} Fixture;

static void
write_file (const char *root,
            const char *rel,
            const char *text,
            gssize      length)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, text, length, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->data = mer_test_make_tmpdir ("cli-data");
  f->pages = mer_test_make_tmpdir ("cli-pages");
  write_file (f->pages, "on-call.md",
              "---\ntitle: On-call rotation\nowner: ana\ntags: [ops]\n---\n"
              "The on-call engineer answers pages within fifteen minutes & <escalates>.\n", -1);
  write_file (f->pages, "teams/focus.md",
              "# Focus hours\n\nDuring focus hours nobody expects an answer. On-call is exempt.\n", -1);
  write_file (f->pages, "onboarding.md", "# Onboarding\n\nYour first week: read [[Focus hours]].\n", -1);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  mer_test_rm_rf (f->data);
  mer_test_rm_rf (f->pages);
  g_free (f->data);
  g_free (f->pages);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    if (*p == '\n')
      n++;
  return n;
}

static void
test_import_and_search (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *hits;

  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "import", f->pages, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "3 new"));
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Again: nothing new. */
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "import", f->pages, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "3 unchanged"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "search", "--json", "on-call", NULL), ==, 0);
  node = mer_json_parse (out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  hits = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (hits), >=, 2);
  for (guint i = 0; i < json_array_get_length (hits); i++)
    {
      JsonObject *hit = json_array_get_object_element (hits, i);

      g_assert_nonnull (hit);
      g_assert_cmpuint (json_object_get_size (hit), ==, 6);
      g_assert_nonnull (mer_json_get_string (hit, "id"));
      g_assert_cmpstr (mer_json_get_string (hit, "type"), ==, "page");
      g_assert_nonnull (mer_json_get_string (hit, "title"));
      g_assert_nonnull (mer_json_get_string (hit, "path"));
      g_assert_nonnull (strstr (mer_json_get_string (hit, "snippet"), "<mark>"));
      g_assert_nonnull (strstr (mer_json_get_string (hit, "snippet"), "</mark>"));
      g_assert_null (strchr (mer_json_get_string (hit, "snippet"), '\x02'));
      g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (hit, "rank")));
      if (i > 0)
        g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (hits, i - 1), "rank"),
                           <=, json_object_get_double_member (hit, "rank"));
    }
  /* The title match ranks first; its snippet is HTML-escaped. */
  {
    JsonObject *first = json_array_get_object_element (hits, 0);
    const char *snippet = mer_json_get_string (first, "snippet");

    g_assert_cmpstr (mer_json_get_string (first, "id"), ==, "page:on-call");
    g_assert_cmpstr (mer_json_get_string (first, "path"), ==, "on-call");
    g_assert_null (strstr (snippet, "<escalates>"));
    if (strstr (snippet, "escalates") != NULL)
      g_assert_nonnull (strstr (snippet, "&lt;escalates&gt;"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --limit. */
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "search", "--json", "--limit", "1", "on-call", NULL), ==, 0);
  g_clear_pointer (&node, json_node_unref);
  node = mer_json_parse (out, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Plain text: one title line and one snippet line per hit. */
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "search", "focus", "hours", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Focus hours  (teams/focus)\n"));
  g_assert_null (strchr (out, '\x02'));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* No match: an empty array, not an error. */
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "search", "--json", "zebra", NULL), ==, 0);
  g_clear_pointer (&node, json_node_unref);
  node = mer_json_parse (out, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 0);
}

static void
test_search_any_text (Fixture       *f,
                      gconstpointer  data)
{
  const char *queries[] = { "\"foo", "AND", "-", "*", "on-call OR", "NEAR(", "a:b", "'", "()" };

  g_assert_cmpint (mer_test_run_meridian (f->data, NULL, NULL, "import", f->pages, NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "search", "--json", queries[i], NULL), ==, 0);
      node = mer_json_parse (out, -1, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
    }
}

static void
test_export (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *out_dir = g_build_filename (f->data, "exported", NULL);
  g_autofree char *file = g_build_filename (out_dir, "teams", "focus.md", NULL);
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (mer_test_run_meridian (f->data, NULL, NULL, "import", f->pages, NULL), ==, 0);
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, NULL, "export", out_dir, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "3 files new"));
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "---\ntitle: Focus hours\n"));
  g_clear_pointer (&out, g_free);

  /* Importing the export is a no-op. */
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, NULL, "import", out_dir, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "3 unchanged"));
}

/* A folder with one broken file: the rest imports, the file is named, exit 1. */
static void
test_import_broken (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  write_file (f->pages, "latin1.md", "caf\xe9\n", -1);
  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "import", f->pages, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "3 new"));
  g_assert_cmpuint (count_lines (err), ==, 1);
  g_assert_nonnull (strstr (err, "latin1.md"));
  g_assert_nonnull (strstr (err, "UTF-8"));
}

/* Images come in as attachments and go out where the links find them;
 * a link to nothing is named on stderr and in --json, not a failure. */
static void
test_import_attachments (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *out_dir = g_build_filename (f->data, "exported", NULL);
  g_autofree char *image = g_build_filename (out_dir, "img", "a b.png", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *bytes = NULL;
  g_autoptr(JsonObject) report = NULL;
  JsonArray *missing;
  gsize length = 0;

  write_file (f->pages, "img/a b.png", "\x89PNG\r\n\x1a\n\0\0fake", 14);
  write_file (f->pages, "teams/diagrams.md",
              "# Diagrams\n\n![a](<../img/a b.png>) ![[a b.png|200]] ![gone](gone.png)\n", -1);

  g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, "import", f->pages, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "4 new"));
  g_assert_nonnull (strstr (out, "Attachments: 1 linked, 1 new, 1 files (14 bytes); 1 missing, 0 refused, 0 too large"));
  g_assert_cmpuint (count_lines (err), ==, 1);
  g_assert_nonnull (strstr (err, "teams/diagrams.md: missing “gone.png”"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (mer_test_run_meridian (f->data, &out, NULL, "import", "--json", f->pages, NULL), ==, 0);
  report = mer_test_object (out);
  g_assert_cmpint (json_object_get_int_member (report, "unchanged"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (report, "attachments"), "new"), ==, 0);
  missing = json_object_get_array_member (report, "missing");
  g_assert_cmpuint (json_array_get_length (missing), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (missing, 0), "target"), ==, "gone.png");
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (mer_test_run_meridian (f->data, &out, NULL, "export", out_dir, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Attachments: 1 files (14 bytes), 1 written, 0 unchanged; 0 failed"));
  g_assert_true (g_file_get_contents (image, &bytes, &length, NULL));
  g_assert_cmpmem (bytes, length, "\x89PNG\r\n\x1a\n\0\0fake", 14);
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->data, "nope", NULL);
  const char *cases[][4] = {
    { "import", missing, NULL },
    { "import", NULL },
    { "import", "a", "b", NULL },
    { "export", NULL },
    { "search", NULL },
    { "search", "--limit", "0", "x" },
    { "search", "--limit", "many", "x" },
    { "search", "--bogus", "x", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status = mer_test_run_meridian (f->data, &out, &err, cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL);

      g_assert_cmpint (status, !=, 0);
      g_assert_cmpint (status, !=, -1);
      g_assert_cmpuint (count_lines (err), ==, 1);
      g_assert_true (g_str_has_prefix (err, "meridian "));
      g_assert_cmpstr (out, ==, "");
    }
}

static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  const char *commands[] = { "import", "export", "search" };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (mer_test_run_meridian (f->data, &out, &err, commands[i], "--help", NULL), ==, 0);
      g_assert_nonnull (strstr (out, commands[i]));
      g_assert_cmpstr (err, ==, "");
    }
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (mer_test_run_meridian (f->data, &out, NULL, "--help", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "import"));
    g_assert_nonnull (strstr (out, "search"));
  }
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add ("/cli/import-and-search", Fixture, NULL, fixture_setup, test_import_and_search, fixture_teardown);
  g_test_add ("/cli/search-any-text", Fixture, NULL, fixture_setup, test_search_any_text, fixture_teardown);
  g_test_add ("/cli/export", Fixture, NULL, fixture_setup, test_export, fixture_teardown);
  g_test_add ("/cli/import-broken", Fixture, NULL, fixture_setup, test_import_broken, fixture_teardown);
  g_test_add ("/cli/import-attachments", Fixture, NULL, fixture_setup, test_import_attachments, fixture_teardown);
  g_test_add ("/cli/bad-input", Fixture, NULL, fixture_setup, test_bad_input, fixture_teardown);
  g_test_add ("/cli/help", Fixture, NULL, fixture_setup, test_help, fixture_teardown);

  return g_test_run ();
}
