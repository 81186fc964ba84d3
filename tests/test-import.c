/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Importing and exporting folders of Markdown; loading the demo workspace. */
#include "config.h"

#include "mer-test-util.h"
#include "mer-demo.h"
#include "mer-import.h"
#include "mer-json.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

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

static char *
read_file (const char *root,
           const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static JsonObject *
parse_ok (const char *path,
          const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *page = mer_import_parse_page (path, text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static JsonObject *
get_doc (MerStore   *store,
         const char *id)
{
  g_autoptr(GError) error = NULL;
  JsonObject *doc = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  return doc;
}

static int
compare_strings (const char **a,
                 const char **b)
{
  return strcmp (*a, *b);
}

/* The ids written since @seq, sorted. */
static char *
changed_since (MerStore *store,
               gint64    seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = mer_store_changes (store, seq, 0, FALSE, FALSE, NULL, &error);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_ptr_array_add (ids, (char *) mer_json_get_string (json_array_get_object_element (rows, i), "id"));
  g_ptr_array_sort (ids, (GCompareFunc) compare_strings);
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (",", (char **) ids->pdata);
}

static MerImportReport *
import_ok (MerStore   *store,
           const char *dir)
{
  g_autoptr(GError) error = NULL;
  MerImportReport *report = mer_import_report_new ();

  g_assert_true (mer_import_dir (store, dir, report, &error));
  g_assert_no_error (error);
  return report;
}

static MerImportReport *
export_ok (MerStore   *store,
           const char *dir)
{
  g_autoptr(GError) error = NULL;
  MerImportReport *report = mer_import_report_new ();

  g_assert_true (mer_export_dir (store, dir, report, &error));
  g_assert_no_error (error);
  return report;
}

static void
test_front_matter (void)
{
  g_autoptr(JsonObject) page = parse_ok ("engineering/on-call",
    "---\n"
    "title: On-call rotation\n"
    "owner: ana\n"
    "review_by: 2027-01-31\n"
    "tags: [oncall, \"ops\", '#urgent']\n"
    "updated_by: person:bea\n"
    "updated_at: 2026-11-02T09:15:00+01:00\n"
    "colour: blue\n"
    "---\n"
    "# Something else\n\nBody text.\n");
  JsonArray *tags = json_object_get_array_member (page, "tags");

  g_assert_cmpstr (mer_json_get_string (page, "type"), ==, "page");
  g_assert_cmpstr (mer_json_get_string (page, "title"), ==, "On-call rotation");
  g_assert_cmpstr (mer_json_get_string (page, "path"), ==, "engineering/on-call");
  g_assert_cmpstr (mer_json_get_string (page, "owner"), ==, "person:ana");
  g_assert_cmpstr (mer_json_get_string (page, "review_by"), ==, "2027-01-31");
  g_assert_cmpstr (mer_json_get_string (page, "updated_by"), ==, "person:bea");
  /* Converted to UTC. */
  g_assert_cmpstr (mer_json_get_string (page, "updated_at"), ==, "2026-11-02T08:15:00Z");
  g_assert_cmpstr (mer_json_get_string (page, "body"), ==, "# Something else\n\nBody text.\n");
  g_assert_cmpuint (json_array_get_length (tags), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (tags, 0), ==, "oncall");
  g_assert_cmpstr (json_array_get_string_element (tags, 1), ==, "ops");
  g_assert_cmpstr (json_array_get_string_element (tags, 2), ==, "urgent");
  g_assert_false (json_object_has_member (page, "colour"));
}

static void
test_front_matter_variants (void)
{
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(JsonObject) b = NULL;
  g_autoptr(JsonObject) c = NULL;
  JsonArray *tags;

  /* Tags as one comma-separated text, CRLF line ends, a BOM, "..." close. */
  a = parse_ok ("x", "\xEF\xBB\xBF---\r\ntitle: \"yes\"\r\ntags: a, b c ,\r\nreview_by: ~\r\n...\r\nText\r\n");
  g_assert_cmpstr (mer_json_get_string (a, "title"), ==, "yes");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (a, "review_by")));
  tags = json_object_get_array_member (a, "tags");
  g_assert_cmpuint (json_array_get_length (tags), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (tags, 1), ==, "b c");
  g_assert_cmpstr (mer_json_get_string (a, "body"), ==, "Text\r\n");

  /* An empty block is no fields at all. */
  b = parse_ok ("notes/empty", "---\n---\nhello\n");
  g_assert_cmpstr (mer_json_get_string (b, "title"), ==, "empty");
  g_assert_cmpstr (mer_json_get_string (b, "body"), ==, "hello\n");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (b, "tags")), ==, 0);
  g_assert_false (json_object_has_member (b, "owner"));
  g_assert_false (json_object_has_member (b, "updated_at"));

  /* A horizontal rule later in the text is not front matter. */
  c = parse_ok ("c", "Intro\n---\ntitle: no\n---\n");
  g_assert_cmpstr (mer_json_get_string (c, "title"), ==, "c");
  g_assert_cmpstr (mer_json_get_string (c, "body"), ==, "Intro\n---\ntitle: no\n---\n");
}

static void
test_title_fallback (void)
{
  g_autoptr(JsonObject) heading = NULL;
  g_autoptr(JsonObject) fenced = NULL;
  g_autoptr(JsonObject) name = NULL;

  heading = parse_ok ("guides/writing", "Some intro.\n\n## Not this\n\n# Writing well ##\n\n# Later\n");
  g_assert_cmpstr (mer_json_get_string (heading, "title"), ==, "Writing well");

  /* A '#' line inside a code block is code, not a heading. */
  fenced = parse_ok ("scripts/run", "```sh\n# comment in code\n```\n\n# Running scripts\n");
  g_assert_cmpstr (mer_json_get_string (fenced, "title"), ==, "Running scripts");

  name = parse_ok ("teams/Focus hours", "No heading at all.\n#hashtag is not a heading\n");
  g_assert_cmpstr (mer_json_get_string (name, "title"), ==, "Focus hours");
}

static void
check_parse_error (const char *text,
                   gsize       length,
                   int         code,
                   const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = NULL;

  if (length == (gsize) -1)
    length = strlen (text);
  page = mer_import_parse_page ("p", text, length, &error);
  g_assert_null (page);
  g_assert_error (error, MER_IMPORT_ERROR, code);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not contain “%s”", error->message, fragment);
}

static void
test_parse_errors (void)
{
  const char latin1[] = "---\ntitle: Caf\xe9\n---\nna\xefve\n";

  check_parse_error (latin1, sizeof latin1 - 1, MER_IMPORT_ERROR_NOT_UTF8, "UTF-8");
  check_parse_error ("---\ntitle: [unclosed\nowner: ana\n---\nx\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "line");
  check_parse_error ("---\ntitle: x\nno closing line\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "closing");
  check_parse_error ("---\nreview_by: next week\n---\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "review_by");
  check_parse_error ("---\nreview_by: 2027-02-30\n---\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "review_by");
  check_parse_error ("---\nupdated_at: yesterday\n---\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "updated_at");
  check_parse_error ("---\ntags: {a: b}\n---\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "tags");
  check_parse_error ("---\ntitle: [a, b]\n---\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, "title");
  check_parse_error ("---\n- just\n- a list\n---\n", (gsize) -1, MER_IMPORT_ERROR_FRONT_MATTER, NULL);
}

/* A small handbook with nested folders, wiki links and no-front-matter pages. */
static void
write_handbook (const char *root)
{
  write_file (root, "index.md",
              "---\ntitle: Handbook\nowner: ana\ntags: [start]\n---\n"
              "Start with [[Onboarding]] and [[engineering/on-call|the rota]].\n", -1);
  write_file (root, "onboarding.md",
              "# Onboarding\n\nRead [[Focus hours]] first, then [[Handbook]].\n", -1);
  write_file (root, "engineering/on-call.md",
              "---\ntitle: On-call\nowner: person:bea\nreview_by: 2026-01-01\n"
              "updated_by: bea\nupdated_at: 2026-10-01T10:00:00Z\n---\n"
              "Pages go to the person on call. See [[Onboarding]].\n", -1);
  write_file (root, "team/Focus hours.md", "Focus hours are protected.\n", -1);
  write_file (root, "README.txt", "not a page\n", -1);
  write_file (root, ".obsidian/config.md", "hidden: skipped\n", -1);
}

static void
test_import_dir (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("handbook");
  g_autoptr(MerImportReport) report = NULL;
  g_autoptr(JsonObject) index = NULL;
  g_autoptr(JsonObject) oncall = NULL;
  g_autoptr(JsonObject) focus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_auto(GStrv) backlinks = NULL;

  write_handbook (root);
  report = import_ok (store, root);
  g_assert_cmpuint (report->created, ==, 4);
  g_assert_cmpuint (report->failed, ==, 0);
  g_assert_cmpuint (report->errors->len, ==, 0);

  index = get_doc (store, "page:index");
  g_assert_cmpstr (mer_json_get_string (index, "title"), ==, "Handbook");
  g_assert_cmpstr (mer_json_get_string (index, "owner"), ==, "person:ana");
  g_assert_nonnull (mer_json_get_string (index, "updated_at"));

  oncall = get_doc (store, "page:engineering/on-call");
  g_assert_cmpstr (mer_json_get_string (oncall, "path"), ==, "engineering/on-call");
  g_assert_cmpstr (mer_json_get_string (oncall, "owner"), ==, "person:bea");
  g_assert_cmpstr (mer_json_get_string (oncall, "updated_by"), ==, "person:bea");
  g_assert_cmpstr (mer_json_get_string (oncall, "updated_at"), ==, "2026-10-01T10:00:00Z");
  g_assert_cmpstr (mer_json_get_string (oncall, "review_by"), ==, "2026-01-01");

  focus = get_doc (store, "page:team/Focus hours");
  g_assert_cmpstr (mer_json_get_string (focus, "title"), ==, "Focus hours");

  /* Hidden folders and other files are not pages. */
  g_assert_null (mer_store_get_doc (store, "page:.obsidian/config", NULL, 0, &error));
  g_clear_error (&error);
  g_assert_cmpint (mer_store_get_doc_count (store, FALSE), ==, 4);

  /* Wiki links between imported pages resolve by title and by path. */
  target = mer_store_resolve_link (store, "focus hours", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "page:team/Focus hours");
  g_clear_pointer (&target, g_free);
  target = mer_store_resolve_link (store, "engineering/on-call", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "page:engineering/on-call");
  backlinks = mer_store_get_backlinks (store, "page:onboarding", &error);
  g_assert_no_error (error);
  g_assert_nonnull (backlinks);
  g_assert_true (g_strv_contains ((const char * const *) backlinks, "page:index"));
  g_assert_true (g_strv_contains ((const char * const *) backlinks, "page:engineering/on-call"));

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

static gboolean
report_names (MerImportReport *report,
              const char      *file)
{
  for (guint i = 0; i < report->errors->len; i++)
    if (strstr (report->errors->pdata[i], file) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_broken_folder (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("broken");
  g_autofree char *dangling = g_build_filename (root, "gone.md", NULL);
  g_autofree char *folder = g_build_filename (root, "folder.md", NULL);
  g_autoptr(MerImportReport) report = NULL;
  g_autoptr(JsonObject) keep = NULL;
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(JsonObject) good = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *keep_rev = NULL;
  g_autofree char *person_rev = NULL;
  const char latin1[] = "# Caf\xe9 notes\n\nna\xefve\n";
  gint64 seq;

  /* What the replica holds before: a page the broken file would overwrite,
   * and a person. */
  {
    g_autoptr(JsonObject) doc = mer_test_object (
      "{\"_id\":\"page:keep\",\"type\":\"page\",\"title\":\"Keep me\",\"path\":\"keep\","
      "\"body\":\"original\",\"tags\":[],\"review_by\":null}");
    g_autoptr(JsonObject) ana = mer_test_object (
      "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\"}");

    keep_rev = mer_store_put_doc (store, doc, &error);
    g_assert_no_error (error);
    person_rev = mer_store_put_doc (store, ana, &error);
    g_assert_no_error (error);
  }
  seq = mer_store_get_update_seq (store);

  write_file (root, "good.md", "---\ntitle: Good\n---\nFine.\n", -1);
  write_file (root, "sub/also-good.md", "# Also good\n", -1);
  write_file (root, "latin1.md", latin1, sizeof latin1 - 1);
  write_file (root, "keep.md", "---\ntitle: \"unclosed\nowner: [\n---\nreplacement\n", -1);
  write_file (root, "sub/bad-date.md", "---\nreview_by: soon\n---\nx\n", -1);
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_cmpint (symlink ("nowhere/at-all.md", dangling), ==, 0);

  report = import_ok (store, root);
  g_assert_cmpuint (report->created, ==, 2);
  g_assert_cmpuint (report->failed, ==, 5);
  g_assert_cmpuint (report->errors->len, ==, 5);
  g_assert_true (report_names (report, "latin1.md"));
  g_assert_true (report_names (report, "keep.md"));
  g_assert_true (report_names (report, "bad-date.md"));
  g_assert_true (report_names (report, "folder.md"));
  g_assert_true (report_names (report, "gone.md"));
  for (guint i = 0; i < report->errors->len; i++)
    g_assert_null (strchr (report->errors->pdata[i], '\n'));

  good = get_doc (store, "page:good");
  g_assert_cmpstr (mer_json_get_string (good, "body"), ==, "Fine.\n");
  g_clear_pointer (&good, json_object_unref);
  good = get_doc (store, "page:sub/also-good");
  g_assert_cmpstr (mer_json_get_string (good, "title"), ==, "Also good");

  /* The failures wrote nothing: the page and the person are as they were. */
  keep = get_doc (store, "page:keep");
  g_assert_cmpstr (mer_json_get_string (keep, "_rev"), ==, keep_rev);
  g_assert_cmpstr (mer_json_get_string (keep, "body"), ==, "original");
  person = get_doc (store, "person:ana");
  g_assert_cmpstr (mer_json_get_string (person, "_rev"), ==, person_rev);
  g_assert_null (mer_store_get_doc (store, "page:latin1", NULL, 0, &error));
  g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    g_autofree char *changed = changed_since (store, seq);

    g_assert_cmpstr (changed, ==, "page:good,page:sub/also-good");
  }
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

static void
test_not_a_folder (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autoptr(MerImportReport) report = mer_import_report_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (data, "no-such-folder", NULL);

  g_assert_false (mer_import_dir (store, missing, report, &error));
  g_assert_error (error, MER_IMPORT_ERROR, MER_IMPORT_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));
  g_assert_cmpint (mer_store_get_update_seq (store), ==, 0);
  mer_test_rm_rf (data);
}

static void
test_reimport (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("reimport");
  g_autoptr(MerImportReport) first = NULL;
  g_autoptr(MerImportReport) second = NULL;
  g_autoptr(MerImportReport) third = NULL;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) after = NULL;
  gint64 seq;

  write_handbook (root);
  first = import_ok (store, root);
  g_assert_cmpuint (first->created, ==, 4);
  seq = mer_store_get_update_seq (store);
  before = get_doc (store, "page:onboarding");

  /* Unchanged files: no new revision, nothing written at all. */
  second = import_ok (store, root);
  g_assert_cmpuint (second->created, ==, 0);
  g_assert_cmpuint (second->updated, ==, 0);
  g_assert_cmpuint (second->unchanged, ==, 4);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);

  /* One changed file: exactly one new revision, on top of the old one. */
  write_file (root, "onboarding.md", "# Onboarding\n\nNew text.\n", -1);
  third = import_ok (store, root);
  g_assert_cmpuint (third->updated, ==, 1);
  g_assert_cmpuint (third->unchanged, ==, 3);
  after = get_doc (store, "page:onboarding");
  g_assert_true (g_str_has_prefix (mer_json_get_string (after, "_rev"), "2-"));
  g_assert_cmpstr (mer_json_get_string (after, "body"), ==, "# Onboarding\n\nNew text.\n");
  g_assert_cmpstr (mer_json_get_string (before, "_rev"), !=, mer_json_get_string (after, "_rev"));
  {
    g_autofree char *changed = changed_since (store, seq);

    g_assert_cmpstr (changed, ==, "page:onboarding");
  }

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

/* Every file under @a has the same bytes under @b, and the other way. */
static void
assert_same_tree (const char *a,
                  const char *b,
                  const char *rel)
{
  g_autofree char *dir_a = rel ? g_build_filename (a, rel, NULL) : g_strdup (a);
  g_autofree char *dir_b = rel ? g_build_filename (b, rel, NULL) : g_strdup (b);
  g_autoptr(GDir) dir = g_dir_open (dir_a, 0, NULL);
  g_autoptr(GDir) other = g_dir_open (dir_b, 0, NULL);
  guint count_a = 0, count_b = 0;
  const char *name;

  g_assert_nonnull (dir);
  g_assert_nonnull (other);
  while ((name = g_dir_read_name (other)) != NULL)
    count_b++;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *path = g_build_filename (a, child, NULL);

      count_a++;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_same_tree (a, b, child);
      else
        {
          g_autofree char *text_a = read_file (a, child);
          g_autofree char *text_b = read_file (b, child);

          g_assert_cmpstr (text_a, ==, text_b);
        }
    }
  g_assert_cmpuint (count_a, ==, count_b);
}

static void
test_round_trip (void)
{
  g_autofree char *data = NULL;
  g_autofree char *data2 = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autoptr(MerStore) fresh = mer_test_open_store (&data2);
  g_autofree char *root = mer_test_make_tmpdir ("source");
  g_autofree char *out1 = mer_test_make_tmpdir ("export1");
  g_autofree char *out2 = mer_test_make_tmpdir ("export2");
  g_autofree char *out3 = mer_test_make_tmpdir ("export3");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gint64 seq;

  write_handbook (root);
  /* Titles that YAML would read as something else, or must quote. */
  write_file (root, "odd/null.md", "---\ntitle: \"null\"\ntags: [\"123\", \"a: b\"]\n---\nx\n", -1);
  write_file (root, "odd/colon.md", "---\ntitle: 'Status: done #1'\n---\n---\nrule first\n", -1);
  write_file (root, "odd/ünïcode.md", "---\ntitle: \"Zeitzonen – Überblick \\\"quoted\\\"\"\n---\n", -1);
  /* A page made in the app, whose id is not "page:" + path. */
  {
    g_autoptr(JsonObject) doc = mer_test_object (
      "{\"_id\":\"page:a1b2c3\",\"type\":\"page\",\"title\":\"Made in the app\",\"path\":\"app/made\","
      "\"body\":\"Typed in Meridian.\\n\",\"owner\":\"person:ana\",\"updated_at\":\"2026-11-20T08:00:00.250Z\","
      "\"updated_by\":\"person:ana\",\"extra\":{\"kept\":true}}");
    g_autofree char *rev = mer_store_put_doc (store, doc, &error);

    g_assert_no_error (error);
  }

  r = import_ok (store, root);
  g_assert_cmpuint (r->failed, ==, 0);
  g_clear_pointer (&r, mer_import_report_free);

  r = export_ok (store, out1);
  g_assert_cmpuint (r->created, ==, 8);
  g_assert_cmpuint (r->failed, ==, 0);
  g_clear_pointer (&r, mer_import_report_free);
  text = read_file (out1, "engineering/on-call.md");
  g_assert_cmpstr (text, ==,
                   "---\ntitle: On-call\nowner: bea\nreview_by: 2026-01-01\n"
                   "updated_by: bea\nupdated_at: 2026-10-01T10:00:00Z\n---\n"
                   "Pages go to the person on call. See [[Onboarding]].\n");
  g_clear_pointer (&text, g_free);
  text = read_file (out1, "app/made.md");
  g_assert_nonnull (strstr (text, "title: Made in the app\n"));

  /* Export -> import changes nothing: no new revisions at all. */
  seq = mer_store_get_update_seq (store);
  r = import_ok (store, out1);
  g_assert_cmpuint (r->unchanged, ==, 8);
  g_assert_cmpuint (r->created + r->updated + r->failed, ==, 0);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);
  g_clear_pointer (&r, mer_import_report_free);

  /* A second export is byte for byte the first. */
  r = export_ok (store, out2);
  g_clear_pointer (&r, mer_import_report_free);
  assert_same_tree (out1, out2, NULL);
  assert_same_tree (out2, out1, NULL);

  /* Exporting again into the same folder rewrites nothing. */
  r = export_ok (store, out1);
  g_assert_cmpuint (r->unchanged, ==, 8);
  g_assert_cmpuint (r->created + r->updated, ==, 0);
  g_clear_pointer (&r, mer_import_report_free);

  /* Into a fresh replica, the export gives back the same pages. */
  r = import_ok (fresh, out1);
  g_assert_cmpuint (r->created, ==, 8);
  g_clear_pointer (&r, mer_import_report_free);
  r = export_ok (fresh, out3);
  g_clear_pointer (&r, mer_import_report_free);
  assert_same_tree (out1, out3, NULL);
  {
    g_autoptr(JsonObject) odd = get_doc (fresh, "page:odd/null");
    g_autoptr(JsonObject) colon = get_doc (fresh, "page:odd/colon");
    g_autoptr(JsonObject) uni = get_doc (fresh, "page:odd/ünïcode");
    JsonArray *tags = json_object_get_array_member (odd, "tags");

    g_assert_cmpstr (mer_json_get_string (odd, "title"), ==, "null");
    g_assert_cmpstr (json_array_get_string_element (tags, 0), ==, "123");
    g_assert_cmpstr (json_array_get_string_element (tags, 1), ==, "a: b");
    g_assert_cmpstr (mer_json_get_string (colon, "title"), ==, "Status: done #1");
    g_assert_cmpstr (mer_json_get_string (colon, "body"), ==, "---\nrule first\n");
    g_assert_cmpstr (mer_json_get_string (uni, "title"), ==, "Zeitzonen – Überblick \"quoted\"");
  }

  mer_test_rm_rf (root);
  mer_test_rm_rf (out1);
  mer_test_rm_rf (out2);
  mer_test_rm_rf (out3);
  mer_test_rm_rf (data);
  mer_test_rm_rf (data2);
}

static void
test_export_unsafe_paths (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *parent = mer_test_make_tmpdir ("unsafe");
  g_autofree char *out = g_build_filename (parent, "out", NULL);
  g_autofree char *escaped = g_build_filename (parent, "evil.md", NULL);
  g_autoptr(MerImportReport) r = NULL;
  const char * const docs[] = {
    "{\"_id\":\"page:evil\",\"type\":\"page\",\"title\":\"Evil\",\"path\":\"../evil\",\"body\":\"x\"}",
    "{\"_id\":\"page:abs\",\"type\":\"page\",\"title\":\"Abs\",\"path\":\"/tmp/abs\",\"body\":\"x\"}",
    "{\"_id\":\"page:hidden\",\"type\":\"page\",\"title\":\"Hidden\",\"path\":\"a/.git/config\",\"body\":\"x\"}",
    "{\"_id\":\"page:ok\",\"type\":\"page\",\"title\":\"Ok\",\"path\":\"fine/page\",\"body\":\"x\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(JsonObject) doc = mer_test_object (docs[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *rev = mer_store_put_doc (store, doc, &error);

      /* The store may refuse such paths itself; then there is nothing to export. */
      if (rev == NULL)
        g_test_message ("store refused %s: %s", docs[i], error->message);
    }

  r = export_ok (store, out);
  g_assert_cmpuint (r->created, ==, 1);
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < r->errors->len; i++)
    g_assert_nonnull (strstr (r->errors->pdata[i], "page:"));
  {
    g_autofree char *ok = g_build_filename (out, "fine", "page.md", NULL);

    g_assert_true (g_file_test (ok, G_FILE_TEST_IS_REGULAR));
  }
  mer_test_rm_rf (parent);
  mer_test_rm_rf (data);
}

static void
test_demo_expand (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_identifier ("Asia/Kathmandu");
  g_autoptr(GDateTime) now = g_date_time_new (zone, 2026, 11, 23, 5, 30, 0);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  JsonArray *a;

  node = mer_json_parse (
    "{\"a\":\"@now\",\"b\":\"@now-3d\",\"c\":\"@now+2d4h\",\"d\":\"@now-90m\",\"e\":\"@today+30d\","
    "\"f\":\"@today\",\"g\":\"@nowhere\",\"h\":\"plain @now-1d\",\"@now-1d\":[\"@today-2w\",{\"x\":\"@now+1w-1h30m\"}],"
    "\"n\":3,\"z\":null}", -1, &error);
  g_assert_no_error (error);
  g_assert_true (mer_demo_expand_node (node, now, &error));
  g_assert_no_error (error);
  o = json_node_get_object (node);
  /* 05:30 in Kathmandu is 23:45 UTC the day before. */
  g_assert_cmpstr (mer_json_get_string (o, "a"), ==, "2026-11-22T23:45:00Z");
  g_assert_cmpstr (mer_json_get_string (o, "b"), ==, "2026-11-19T23:45:00Z");
  g_assert_cmpstr (mer_json_get_string (o, "c"), ==, "2026-11-25T03:45:00Z");
  g_assert_cmpstr (mer_json_get_string (o, "d"), ==, "2026-11-22T22:15:00Z");
  g_assert_cmpstr (mer_json_get_string (o, "e"), ==, "2026-12-22");
  g_assert_cmpstr (mer_json_get_string (o, "f"), ==, "2026-11-22");
  g_assert_cmpstr (mer_json_get_string (o, "g"), ==, "@nowhere");
  g_assert_cmpstr (mer_json_get_string (o, "h"), ==, "plain @now-1d");
  a = json_object_get_array_member (o, "@now-1d");
  g_assert_cmpstr (json_array_get_string_element (a, 0), ==, "2026-11-08");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (a, 1), "x"), ==,
                   "2026-11-29T22:15:00Z");

  for (guint i = 0; i < 4; i++)
    {
      const char *bad[] = { "\"@now+3x\"", "\"@now-\"", "\"@today+4h\"", "\"@now+d\"" };
      g_autoptr(JsonNode) b = mer_json_parse (bad[i], -1, NULL);
      g_autoptr(GError) e = NULL;

      g_assert_false (mer_demo_expand_node (b, now, &e));
      g_assert_error (e, MER_DEMO_ERROR, MER_DEMO_ERROR_INVALID);
    }
}

static void
test_demo_load (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *demo = mer_test_make_tmpdir ("demo");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonObject) proposal = NULL;
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(GDateTime) deadline = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gboolean loaded = FALSE;
  gint64 seq;
  GTimeSpan ahead;

  write_file (demo, "handbook/how-we-work.md", "---\ntitle: How we work\nowner: ana\n---\nSee [[Proposals]].\n", -1);
  write_file (demo, "handbook/proposals.md", "# Proposals\n\nWrite them down.\n", -1);
  write_file (demo, "records.json",
              "[{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\","
              "\"away\":[{\"from\":\"@today+30d\",\"to\":\"@today+44d\",\"note\":\"leave\"}]},"
              " {\"_id\":\"proposal:rota\",\"type\":\"proposal\",\"title\":\"New rota\",\"body\":\"b\","
              "\"author\":\"person:ana\",\"owner\":\"person:ana\",\"status\":\"open\",\"opened_at\":\"@now-3d\","
              "\"deadline\":\"@now+2d4h\",\"required\":[\"person:ana\"],\"page\":\"page:how-we-work\","
              "\"page_body\":null,\"outcome\":null,\"decision\":null}]", -1);

  g_assert_true (mer_demo_load_if_empty (store, demo, &loaded, &error));
  g_assert_no_error (error);
  g_assert_true (loaded);

  page = get_doc (store, "page:how-we-work");
  g_assert_cmpstr (mer_json_get_string (page, "owner"), ==, "person:ana");
  proposal = get_doc (store, "proposal:rota");
  deadline = g_date_time_new_from_iso8601 (mer_json_get_string (proposal, "deadline"), NULL);
  g_assert_nonnull (deadline);
  ahead = g_date_time_difference (deadline, now);
  g_assert_cmpint (ahead, >, 2 * G_TIME_SPAN_DAY + 3 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (ahead, <, 2 * G_TIME_SPAN_DAY + 5 * G_TIME_SPAN_HOUR);
  person = get_doc (store, "person:ana");
  g_assert_cmpuint (strlen (mer_json_get_string (json_array_get_object_element (
                      json_object_get_array_member (person, "away"), 0), "from")), ==, 10);

  /* Not empty any more: a second start loads nothing. */
  seq = mer_store_get_update_seq (store);
  g_assert_true (mer_demo_load_if_empty (store, demo, &loaded, &error));
  g_assert_no_error (error);
  g_assert_false (loaded);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);

  /* A broken record is named; the rest still loads. */
  write_file (demo, "records.json", "[{\"type\":\"person\"}, 3]", -1);
  g_assert_false (mer_demo_load (store, demo, &error));
  g_assert_error (error, MER_DEMO_ERROR, MER_DEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "_id"));
  g_clear_error (&error);
  write_file (demo, "records.json", "[{\"_id\":\"person:x\",\"when\":\"@now+1q\"}]", -1);
  g_assert_false (mer_demo_load (store, demo, &error));
  g_assert_error (error, MER_DEMO_ERROR, MER_DEMO_ERROR_INVALID);
  g_clear_error (&error);

  mer_test_rm_rf (demo);
  mer_test_rm_rf (data);
}

/* The demo shipped in data/demo loads without a single failure. */
static void
test_demo_shipped (void)
{
  g_autofree char *demo = g_build_filename (mer_test_source_dir (), "data", "demo", NULL);
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) pages = NULL;

  if (!g_file_test (demo, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("data/demo does not exist yet");
      return;
    }
  store = mer_test_open_store (&data);
  g_assert_true (mer_demo_load (store, demo, &error));
  g_assert_no_error (error);
  pages = mer_store_list_docs (store, "page", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (pages), >=, 15);
  {
    const char *types[] = { "person", "proposal", "decision" };
    const guint at_least[] = { 6, 3, 4 };

    for (guint i = 0; i < G_N_ELEMENTS (types); i++)
      {
        g_autoptr(JsonArray) docs = mer_store_list_docs (store, types[i], &error);

        g_assert_no_error (error);
        g_assert_cmpuint (json_array_get_length (docs), >=, at_least[i]);
      }
  }
  /* No relative time is left unexpanded anywhere. */
  {
    g_autoptr(JsonArray) rows = mer_store_changes (store, 0, 0, FALSE, TRUE, NULL, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *doc = json_object_get_object_member (json_array_get_object_element (rows, i), "doc");
        g_autofree char *text = mer_json_object_to_string (doc, FALSE);

        g_assert_null (strstr (text, "\"@now"));
        g_assert_null (strstr (text, "\"@today"));
      }
  }
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
  mer_test_rm_rf (data);
}

static void
test_demo_find_dir (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *previous = g_strdup (g_getenv ("MERIDIAN_DEMO_DIR"));

  g_setenv ("MERIDIAN_DEMO_DIR", "/some/where/demo", TRUE);
  dir = mer_demo_find_dir ();
  g_assert_cmpstr (dir, ==, "/some/where/demo");
  g_clear_pointer (&dir, g_free);

  g_unsetenv ("MERIDIAN_DEMO_DIR");
  dir = mer_demo_find_dir ();
  if (dir != NULL)
    g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  if (previous != NULL)
    g_setenv ("MERIDIAN_DEMO_DIR", previous, TRUE);
}

/*
 * Page export never follows a symbolic link already in the export folder,
 * neither a file's nor a folder's; the other pages are still written.
 */
static void
test_export_symlinks (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autofree char *out = g_build_filename (dir, "export", NULL);
  g_autofree char *outside = g_build_filename (dir, "outside", NULL);
  g_autofree char *victim = g_build_filename (outside, "victim.md", NULL);
  g_autofree char *file_link = g_build_filename (out, "a.md", NULL);
  g_autofree char *folder_link = g_build_filename (out, "eng", NULL);
  g_autofree char *planted = g_build_filename (outside, "on-call.md", NULL);
  g_autofree char *kept = NULL;
  g_autofree char *fine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MerImportReport) report = NULL;
  const char *pages[][2] = { { "page:a", "a" }, { "page:on-call", "eng/on-call" }, { "page:b", "b" } };

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autoptr(JsonObject) doc = json_object_new ();
      g_autofree char *rev = NULL;

      json_object_set_string_member (doc, "_id", pages[i][0]);
      json_object_set_string_member (doc, "type", "page");
      json_object_set_string_member (doc, "title", pages[i][1]);
      json_object_set_string_member (doc, "path", pages[i][1]);
      json_object_set_string_member (doc, "body", "Text.");
      rev = mer_store_put_doc (store, doc, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (outside, 0755), ==, 0);
  g_assert_true (g_file_set_contents (victim, "precious", -1, &error));
  g_assert_cmpint (symlink (victim, file_link), ==, 0);
  g_assert_cmpint (symlink (outside, folder_link), ==, 0);

  report = export_ok (store, out);
  g_assert_cmpuint (report->failed, ==, 2);
  g_assert_cmpuint (report->created, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (report->errors, 0), "symbolic link"));
  g_assert_true (g_file_get_contents (victim, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "precious");
  g_assert_false (g_file_test (planted, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (file_link, G_FILE_TEST_IS_SYMLINK));
  fine = g_build_filename (out, "b.md", NULL);
  g_assert_true (g_file_test (fine, G_FILE_TEST_IS_REGULAR));

  mer_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/import/front-matter", test_front_matter);
  g_test_add_func ("/import/front-matter-variants", test_front_matter_variants);
  g_test_add_func ("/import/title-fallback", test_title_fallback);
  g_test_add_func ("/import/parse-errors", test_parse_errors);
  g_test_add_func ("/import/folder", test_import_dir);
  g_test_add_func ("/import/broken-folder", test_broken_folder);
  g_test_add_func ("/import/not-a-folder", test_not_a_folder);
  g_test_add_func ("/import/reimport-unchanged", test_reimport);
  g_test_add_func ("/import/round-trip", test_round_trip);
  g_test_add_func ("/export/unsafe-paths", test_export_unsafe_paths);
  g_test_add_func ("/demo/expand", test_demo_expand);
  g_test_add_func ("/demo/load", test_demo_load);
  g_test_add_func ("/export/symlinks", test_export_symlinks);
  g_test_add_func ("/demo/shipped", test_demo_shipped);
  g_test_add_func ("/demo/find-dir", test_demo_find_dir);

  return g_test_run ();
}
