/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Importing the images and files pages link to as their attachments, and
 * exporting them back where the links find them. */
#include "config.h"

#include "mer-test-util.h"
#include "mer-import.h"
#include "mer-json.h"
#include "mer-store-attachments.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define N_IMAGES 200
#define N_PAGES  20

static void
write_bytes (const char *root,
             const char *rel,
             const void *data,
             gsize       length)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, data, (gssize) length, &error);
  g_assert_no_error (error);
}

static void
write_text (const char *root,
            const char *rel,
            const char *text)
{
  write_bytes (root, rel, text, strlen (text));
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

/* The attachment @name of the winner of @id, or NULL. */
static JsonObject *
attachment_of (JsonObject *doc,
               const char *name)
{
  JsonNode *atts = json_object_get_member (doc, "_attachments");
  JsonNode *entry;

  if (atts == NULL || !JSON_NODE_HOLDS_OBJECT (atts))
    return NULL;
  entry = json_object_get_member (json_node_get_object (atts), name);
  return entry != NULL ? json_node_get_object (entry) : NULL;
}

static guint
count_attachments (JsonObject *doc)
{
  JsonNode *atts = json_object_get_member (doc, "_attachments");

  return atts != NULL && JSON_NODE_HOLDS_OBJECT (atts) ? json_object_get_size (json_node_get_object (atts)) : 0;
}

static const MerImportProblem *
find_problem (MerImportReport *report,
              const char      *target)
{
  for (guint i = 0; i < report->problems->len; i++)
    {
      MerImportProblem *problem = report->problems->pdata[i];

      if (strcmp (problem->target, target) == 0)
        return problem;
    }
  return NULL;
}

/* ---- Small PNG files ----------------------------------------------------- */

static guint32
crc32_of (const guint8 *data,
          gsize         length,
          guint32       crc)
{
  crc = ~crc;
  for (gsize i = 0; i < length; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  return ~crc;
}

static void
append_be32 (GByteArray *out,
             guint32     value)
{
  guint8 b[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (out, b, 4);
}

static void
append_chunk (GByteArray   *png,
              const char   *type,
              const guint8 *data,
              gsize         length)
{
  guint32 crc = crc32_of ((const guint8 *) type, 4, 0);

  crc = crc32_of (data, length, crc);
  append_be32 (png, (guint32) length);
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, (guint) length);
  append_be32 (png, crc);
}

/*
 * A valid PNG of @side x @side RGB pixels whose colours come from @seed,
 * its image data in one stored (uncompressed) deflate block: every seed
 * gives different bytes.
 */
static GBytes *
make_png (guint seed,
          guint side)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GByteArray) png = g_byte_array_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GByteArray) zlib = g_byte_array_new ();
  g_autoptr(GByteArray) header = g_byte_array_new ();
  guint32 a = 1, b = 0;
  guint8 tail[5] = { 0x78, 0x01, 0x01, 0, 0 };

  for (guint y = 0; y < side; y++)
    {
      guint8 filter = 0;

      g_byte_array_append (raw, &filter, 1);
      for (guint x = 0; x < side; x++)
        {
          guint8 rgb[3] = { seed * 37 + x, seed * 11 + y, seed >> 2 };

          g_byte_array_append (raw, rgb, 3);
        }
    }
  g_assert_cmpuint (raw->len, <, 65535);
  g_byte_array_append (zlib, tail, 3);
  {
    guint8 len[4] = { raw->len & 0xff, raw->len >> 8, ~raw->len & 0xff, (~raw->len >> 8) & 0xff };

    g_byte_array_append (zlib, len, 4);
  }
  g_byte_array_append (zlib, raw->data, raw->len);
  for (guint i = 0; i < raw->len; i++)
    {
      a = (a + raw->data[i]) % 65521;
      b = (b + a) % 65521;
    }
  append_be32 (zlib, (b << 16) | a);

  append_be32 (header, side);
  append_be32 (header, side);
  {
    guint8 rest[5] = { 8, 2, 0, 0, 0 };

    g_byte_array_append (header, rest, 5);
  }
  g_byte_array_append (png, signature, 8);
  append_chunk (png, "IHDR", header->data, header->len);
  append_chunk (png, "IDAT", zlib->data, zlib->len);
  append_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

/* ---- Comparing folders --------------------------------------------------- */

/* Every file under @a is under @b with the same bytes; returns how many. */
static guint
assert_tree_in (const char *a,
                const char *b,
                const char *rel)
{
  g_autofree char *dir_a = rel ? g_build_filename (a, rel, NULL) : g_strdup (a);
  g_autoptr(GDir) dir = g_dir_open (dir_a, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *path_a = g_build_filename (a, child, NULL);
      g_autofree char *path_b = g_build_filename (b, child, NULL);

      if (g_file_test (path_a, G_FILE_TEST_IS_DIR))
        count += assert_tree_in (a, b, child);
      else
        {
          g_autofree char *bytes_a = NULL;
          g_autofree char *bytes_b = NULL;
          gsize len_a = 0, len_b = 0;

          if (!g_file_get_contents (path_b, &bytes_b, &len_b, NULL))
            g_error ("%s is missing from %s", child, b);
          g_assert_true (g_file_get_contents (path_a, &bytes_a, &len_a, NULL));
          g_assert_cmpmem (bytes_a, len_a, bytes_b, len_b);
          count++;
        }
    }
  return count;
}

static guint
assert_same_tree (const char *a,
                  const char *b)
{
  guint n = assert_tree_in (a, b, NULL);

  g_assert_cmpuint (assert_tree_in (b, a, NULL), ==, n);
  return n;
}

/* ---- A generated vault --------------------------------------------------- */

static const char * const image_folders[] = {
  "assets", "assets/photos 2026", "assets/Überblick/diagrams", "media/日本 写真",
  "notes/img", "_resources", "attachments/a b/c d",
};

static const char * const page_folders[] = {
  "", "notes", "notes/week 1", "projects/Zeitzonen – Überblick", "日誌/深い/フォルダ",
};

/* @target written relative to the folder @from, both folder-relative. */
static char *
relative_to (const char *from,
             const char *target)
{
  g_auto(GStrv) a = g_strsplit (from, "/", -1);
  g_auto(GStrv) b = g_strsplit (target, "/", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  guint na = *from != '\0' ? g_strv_length (a) : 0;
  guint nb = g_strv_length (b);
  guint common = 0;

  while (common < na && common + 1 < nb && strcmp (a[common], b[common]) == 0)
    common++;
  for (guint i = common; i < na; i++)
    g_string_append (out, "../");
  for (guint i = common; i < nb; i++)
    {
      g_string_append (out, b[i]);
      if (i + 1 < nb)
        g_string_append_c (out, '/');
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
image_path (guint i)
{
  const char *folder = image_folders[i % G_N_ELEMENTS (image_folders)];
  static const char * const stems[] = { "image", "bild ü", "写真", "a b", "x_y" };

  return g_strdup_printf ("%s/%s %03u.png", folder, stems[i % G_N_ELEMENTS (stems)], i);
}

static char *
page_file (guint p)
{
  const char *folder = page_folders[p % G_N_ELEMENTS (page_folders)];

  return *folder != '\0' ? g_strdup_printf ("%s/page %02u.md", folder, p)
                         : g_strdup_printf ("page %02u.md", p);
}

/*
 * A vault of N_PAGES pages and N_IMAGES images in nested folders whose
 * names hold spaces and non-ASCII letters. Each page links to its share
 * of the images, in each of the ways a page can: angle brackets,
 * %-encoding, Obsidian's embed by name (with and without a size) and a
 * plain link; the first two pages share one image, and the first links
 * to a PDF. Pages are written as an export writes them, so that an
 * export of the vault can be compared with the vault byte for byte.
 * Returns the bytes of the files that are not pages.
 */
static guint64
write_vault (const char *root)
{
  guint64 total = 0;

  for (guint i = 0; i < N_IMAGES; i++)
    {
      g_autofree char *path = image_path (i);
      g_autoptr(GBytes) png = make_png (i, 4 + i % 13);

      write_bytes (root, path, g_bytes_get_data (png, NULL), g_bytes_get_size (png));
      total += g_bytes_get_size (png);
    }
  write_text (root, "files/spec v2.pdf", "%PDF-1.4\n% not a real PDF\n");
  total += strlen ("%PDF-1.4\n% not a real PDF\n");

  for (guint p = 0; p < N_PAGES; p++)
    {
      g_autofree char *file = page_file (p);
      g_autofree char *folder = g_path_get_dirname (file);
      g_autoptr(GString) text = g_string_new (NULL);

      if (strcmp (folder, ".") == 0)
        {
          g_free (folder);
          folder = g_strdup ("");
        }
      g_string_append_printf (text, "---\ntitle: Page %u\nupdated_at: 2026-01-01T00:00:00Z\n---\n# Page %u\n\n", p, p);
      for (guint j = 0; j < N_IMAGES / N_PAGES; j++)
        {
          guint i = p * (N_IMAGES / N_PAGES) + j;
          g_autofree char *path = image_path (i);
          g_autofree char *rel = relative_to (folder, path);
          g_autofree char *base = g_path_get_basename (path);

          switch (j % 5)
            {
            case 0:
              g_string_append_printf (text, "![Image %u](<%s>)\n\n", i, rel);
              break;
            case 1:
              {
                g_autofree char *escaped = g_uri_escape_string (rel, "/", FALSE);

                g_string_append_printf (text, "See ![the %u](%s \"title\") inline.\n\n", i, escaped);
              }
              break;
            case 2:
              g_string_append_printf (text, "![[%s|300]]\n\n", base);
              break;
            case 3:
              g_string_append_printf (text, "- ![[%s]]\n", base);
              break;
            default:
              {
                g_autofree char *escaped = g_uri_escape_string (rel, "/", FALSE);

                g_string_append_printf (text, "\nA [download](%s#part).\n\n", escaped);
              }
              break;
            }
        }
      if (p == 1)
        {
          g_autofree char *shared = image_path (0);
          g_autofree char *rel = relative_to (folder, shared);

          g_string_append_printf (text, "Shared: ![](<%s>)\n", rel);
        }
      if (p == 0)
        g_string_append (text, "The [spec](files/spec%20v2.pdf) and `![](not-a-link.png)`.\n");
      write_text (root, file, text->str);
    }
  return total;
}

static void
test_vault_round_trip (void)
{
  g_autofree char *data = NULL;
  g_autofree char *data2 = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autoptr(MerStore) fresh = mer_test_open_store (&data2);
  g_autofree char *vault = mer_test_make_tmpdir ("vault");
  g_autofree char *out1 = mer_test_make_tmpdir ("vault-export1");
  g_autofree char *out2 = mer_test_make_tmpdir ("vault-export2");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(JsonArray) pages = NULL;
  guint64 on_disk = write_vault (vault);
  gint64 kept_bytes = 0;
  gint64 blobs;
  gint64 seq;
  double seconds;
  guint files;

  g_timer_start (timer);
  r = import_ok (store, vault);
  seconds = g_timer_elapsed (timer, NULL);
  g_assert_cmpuint (r->created, ==, N_PAGES);
  g_assert_cmpuint (r->failed, ==, 0);
  g_assert_cmpuint (r->problems->len, ==, 0);
  /* Each image once, the shared one twice, the PDF. */
  g_assert_cmpuint (r->att_linked, ==, N_IMAGES + 2);
  g_assert_cmpuint (r->att_files, ==, N_IMAGES + 1);
  g_assert_cmpuint (r->att_bytes, ==, on_disk);
  blobs = mer_store_count_blobs (store, &kept_bytes);
  g_assert_cmpint (blobs, ==, N_IMAGES + 1);
  g_assert_cmpint (kept_bytes, ==, (gint64) on_disk);
  g_test_message ("imported %u pages and %u files (%" G_GUINT64_FORMAT " bytes on disk) in %.3f s; "
                  "%" G_GINT64_FORMAT " blobs, %" G_GINT64_FORMAT " bytes kept",
                  r->created, r->att_files, on_disk, seconds, blobs, kept_bytes);
  g_clear_pointer (&r, mer_import_report_free);
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *db = g_build_filename (data, MER_STORE_FILE_NAME, NULL);
    GStatBuf st;

    g_assert_true (mer_store_checkpoint (store, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_stat (db, &st), ==, 0);
    g_test_message ("workspace file after the import: %" G_GINT64_FORMAT " bytes", (gint64) st.st_size);
  }

  /* The links as written, and what they name. */
  {
    g_autofree char *id = g_strdup ("page:notes/page 01");
    g_autoptr(JsonObject) page = get_doc (store, id);
    g_autofree char *shared = image_path (0);
    JsonObject *links = json_object_get_object_member (page, "attachment_links");
    JsonObject *att = attachment_of (page, shared);

    g_assert_nonnull (att);
    g_assert_cmpstr (mer_json_get_string (att, "content_type"), ==, "image/png");
    g_assert_cmpstr (json_object_get_string_member (links, "[[写真 012.png]]"), ==, "./_resources/写真 012.png");
  }
  {
    g_autoptr(JsonObject) page = get_doc (store, "page:page 00");
    JsonObject *pdf = attachment_of (page, "files/spec v2.pdf");
    g_autofree char *underscore = image_path (5);
    g_autofree char *name = g_strconcat ("./", underscore, NULL);

    g_assert_nonnull (pdf);
    g_assert_cmpstr (mer_json_get_string (pdf, "content_type"), ==, "application/pdf");
    /* "_resources/..." is named "./_resources/..." in the workspace. */
    g_assert_true (g_str_has_prefix (underscore, "_resources/"));
    g_assert_nonnull (attachment_of (page, name));
    g_assert_cmpuint (count_attachments (page), ==, N_IMAGES / N_PAGES + 1);
  }

  /* Importing the same folder again writes nothing. */
  seq = mer_store_get_update_seq (store);
  r = import_ok (store, vault);
  g_assert_cmpuint (r->unchanged, ==, N_PAGES);
  g_assert_cmpuint (r->att_new, ==, 0);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);
  g_clear_pointer (&r, mer_import_report_free);

  /* The export is the vault, byte for byte. */
  g_timer_start (timer);
  r = export_ok (store, out1);
  seconds = g_timer_elapsed (timer, NULL);
  g_assert_cmpuint (r->failed, ==, 0);
  g_assert_cmpuint (r->att_failed, ==, 0);
  g_assert_cmpuint (r->att_linked, ==, N_IMAGES + 1);
  g_test_message ("exported in %.3f s", seconds);
  g_clear_pointer (&r, mer_import_report_free);
  files = assert_same_tree (vault, out1);
  g_assert_cmpuint (files, ==, N_PAGES + N_IMAGES + 1);

  /* Into a fresh workspace and out again: the same bytes, the same
   * attachments and digests. */
  r = import_ok (fresh, out1);
  g_assert_cmpuint (r->created, ==, N_PAGES);
  g_assert_cmpuint (r->problems->len, ==, 0);
  g_clear_pointer (&r, mer_import_report_free);
  r = export_ok (fresh, out2);
  g_clear_pointer (&r, mer_import_report_free);
  assert_same_tree (vault, out2);
  pages = mer_store_list_docs (store, "page", NULL);
  for (guint i = 0; i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);
      g_autoptr(JsonObject) other = get_doc (fresh, mer_json_get_string (page, "_id"));
      g_autofree char *a = mer_json_object_to_string (json_object_get_object_member (page, "_attachments"), FALSE);
      g_autofree char *b = mer_json_object_to_string (json_object_get_object_member (other, "_attachments"), FALSE);

      g_assert_cmpstr (a, ==, b);
      g_assert_cmpstr (mer_json_get_string (page, "_rev"), ==, mer_json_get_string (other, "_rev"));
    }

  mer_test_rm_rf (vault);
  mer_test_rm_rf (out1);
  mer_test_rm_rf (out2);
  mer_test_rm_rf (data);
  mer_test_rm_rf (data2);
}

/* Missing files, paths leaving the folder, a symbolic link leaving it, a
 * name the workspace cannot take and a file over the limit: all reported,
 * none read, the page imported. */
static void
test_problems (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *parent = mer_test_make_tmpdir ("problems");
  g_autofree char *root = g_build_filename (parent, "vault", NULL);
  g_autofree char *secret = g_build_filename (parent, "secret.png", NULL);
  g_autofree char *link = g_build_filename (root, "notes", "evil.png", NULL);
  g_autofree char *dirlink = g_build_filename (root, "notes", "out", NULL);
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(JsonObject) page = NULL;
  const MerImportProblem *problem;
  char big[300];

  memset (big, 'x', sizeof big);
  write_text (parent, "secret.png", "secret bytes");
  write_bytes (root, "notes/big.bin", big, sizeof big);
  write_text (root, "notes/ok.png", "fine");
  write_text (root, "notes/a..b.png", "dots");
  g_assert_cmpint (symlink (secret, link), ==, 0);
  g_assert_cmpint (symlink (parent, dirlink), ==, 0);
  write_text (root, "notes/page.md",
              "# Page\n\n"
              "![](missing.png) [spec](files/gone.pdf) ![[nowhere.jpg|200]]\n"
              "[passwd](../../etc/passwd) ![](/../secret.png) ![[../../secret.png]]\n"
              "![](evil.png) ![](out/secret.png) ![](a..b.png) [big](big.bin) ![](ok.png)\n"
              "[a page](other) [[Another page]] ![[A note]] [web](https://example.com/x.png)\n"
              "![](data:image/png;base64,AAAA) [anchor](#top) `![](in-code.png)`\n"
              "\n    ![](indented-code.png)\n");
  mer_store_set_max_attachment_size (store, 100);

  r = import_ok (store, root);
  g_assert_cmpuint (r->created, ==, 1);
  g_assert_cmpuint (r->failed, ==, 0);
  g_assert_cmpuint (r->att_linked, ==, 1);

  problem = find_problem (r, "missing.png");
  g_assert_nonnull (problem);
  g_assert_cmpint (problem->kind, ==, MER_IMPORT_PROBLEM_MISSING);
  g_assert_cmpstr (problem->file, ==, "notes/page.md");
  g_assert_cmpint (find_problem (r, "files/gone.pdf")->kind, ==, MER_IMPORT_PROBLEM_MISSING);
  g_assert_cmpint (find_problem (r, "[[nowhere.jpg]]")->kind, ==, MER_IMPORT_PROBLEM_MISSING);
  g_assert_cmpint (find_problem (r, "../../etc/passwd")->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  g_assert_cmpint (find_problem (r, "/../secret.png")->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  g_assert_cmpint (find_problem (r, "[[../../secret.png]]")->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  problem = find_problem (r, "evil.png");
  g_assert_cmpint (problem->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  g_assert_nonnull (strstr (problem->reason, "symbolic link"));
  g_assert_cmpint (find_problem (r, "out/secret.png")->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  g_assert_cmpint (find_problem (r, "a..b.png")->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  problem = find_problem (r, "big.bin");
  g_assert_cmpint (problem->kind, ==, MER_IMPORT_PROBLEM_TOO_LARGE);
  g_assert_cmpint (problem->size, ==, sizeof big);
  /* Pages, web addresses, anchors and code are not attachments. */
  g_assert_cmpuint (r->problems->len, ==, 10);

  page = get_doc (store, "page:notes/page");
  g_assert_cmpuint (count_attachments (page), ==, 1);
  g_assert_nonnull (attachment_of (page, "notes/ok.png"));
  /* Nothing from outside was kept. */
  {
    gint64 bytes = 0;

    g_assert_cmpint (mer_store_count_blobs (store, &bytes), ==, 1);
    g_assert_cmpint (bytes, ==, 4);
  }

  mer_test_rm_rf (parent);
  mer_test_rm_rf (data);
}

/* Obsidian finds "![[name]]" anywhere in the vault: the exact path, else
 * the file in the page's folder, else the one with the shortest path. */
static void
test_obsidian_by_name (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("obsidian");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(JsonObject) b = NULL;
  JsonObject *links;

  write_text (root, "assets/deep/er/diagram.png", "diagram");
  write_text (root, "notes/dup.png", "near");
  write_text (root, "z/dup.png", "short");
  write_text (root, "assets/dup.png", "longer");
  write_text (root, "docs/spec sheet.pdf", "pdf");
  write_text (root, ".obsidian/hidden.png", "hidden");
  write_text (root, "notes/a.md", "![[diagram.png|300]] ![[dup.png]] [[spec sheet.pdf#page=2|the spec]]\n"
                                  "![[er/diagram.png]] ![[hidden.png]]\n");
  write_text (root, "b.md", "![[dup.png|100x100]] ![[assets/dup.png]]\n");
  write_text (root, "c/c.md", "![](diagram.png) ![md](er/diagram.png) ![](assets/dup.png) ![](../z/dup.png)\n");

  r = import_ok (store, root);
  g_assert_cmpuint (r->created, ==, 3);
  g_assert_cmpuint (r->problems->len, ==, 1);
  g_assert_cmpint (find_problem (r, "[[hidden.png]]")->kind, ==, MER_IMPORT_PROBLEM_MISSING);

  a = get_doc (store, "page:notes/a");
  links = json_object_get_object_member (a, "attachment_links");
  g_assert_cmpstr (json_object_get_string_member (links, "[[diagram.png]]"), ==, "assets/deep/er/diagram.png");
  g_assert_cmpstr (json_object_get_string_member (links, "[[er/diagram.png]]"), ==, "assets/deep/er/diagram.png");
  g_assert_cmpstr (json_object_get_string_member (links, "[[dup.png]]"), ==, "notes/dup.png");
  g_assert_cmpstr (json_object_get_string_member (links, "[[spec sheet.pdf]]"), ==, "docs/spec sheet.pdf");
  g_assert_cmpuint (count_attachments (a), ==, 3);
  g_assert_cmpstr (mer_json_get_string (a, "body"), ==,
                   "![[diagram.png|300]] ![[dup.png]] [[spec sheet.pdf#page=2|the spec]]\n"
                   "![[er/diagram.png]] ![[hidden.png]]\n");

  b = get_doc (store, "page:b");
  links = json_object_get_object_member (b, "attachment_links");
  g_assert_cmpstr (json_object_get_string_member (links, "[[dup.png]]"), ==, "z/dup.png");
  g_assert_cmpstr (json_object_get_string_member (links, "[[assets/dup.png]]"), ==, "assets/dup.png");

  /* Obsidian's Markdown links: from the top, or by the shortest path. */
  {
    g_autoptr(JsonObject) c = get_doc (store, "page:c/c");

    links = json_object_get_object_member (c, "attachment_links");
    g_assert_cmpstr (json_object_get_string_member (links, "diagram.png"), ==, "assets/deep/er/diagram.png");
    g_assert_cmpstr (json_object_get_string_member (links, "er/diagram.png"), ==, "assets/deep/er/diagram.png");
    g_assert_cmpstr (json_object_get_string_member (links, "assets/dup.png"), ==, "assets/dup.png");
    g_assert_cmpstr (json_object_get_string_member (links, "../z/dup.png"), ==, "z/dup.png");
    g_assert_cmpuint (count_attachments (c), ==, 3);
  }

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

/* The other ways Markdown names a file: a reference, a title, a query,
 * a path from the top. And what is not a file: a page named with a dot,
 * a folder. A file in a hidden folder is refused. */
static void
test_markdown_forms (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("forms");
  g_autofree char *out = mer_test_make_tmpdir ("forms-out");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(JsonObject) page = NULL;
  JsonObject *links;

  write_text (root, "docs/ref.png", "ref");
  write_text (root, "docs/.attachments/hidden.png", "hidden");
  write_text (root, "top.svg", "<svg/>");
  write_text (root, "docs/q.csv", "a,b\n");
  write_text (root, "docs/page.md",
              "![r][logo] ![t](.attachments/hidden.png \"Title\") [csv](q.csv?raw=1#L2)\n"
              "![top](/top.svg) [[v1.2 notes]] [folder](../docs/) [home](../index.md)\n\n"
              "[logo]: ./ref.png\n");

  r = import_ok (store, root);
  g_assert_cmpuint (r->problems->len, ==, 1);
  g_assert_cmpint (find_problem (r, ".attachments/hidden.png")->kind, ==, MER_IMPORT_PROBLEM_REFUSED);
  g_assert_cmpuint (r->att_linked, ==, 3);
  page = get_doc (store, "page:docs/page");
  links = json_object_get_object_member (page, "attachment_links");
  g_assert_cmpstr (json_object_get_string_member (links, "./ref.png"), ==, "docs/ref.png");
  g_assert_cmpstr (json_object_get_string_member (links, "q.csv?raw=1#L2"), ==, "docs/q.csv");
  g_assert_cmpstr (json_object_get_string_member (links, "/top.svg"), ==, "top.svg");
  g_assert_cmpstr (mer_json_get_string (attachment_of (page, "top.svg"), "content_type"), ==, "image/svg+xml");
  g_clear_pointer (&r, mer_import_report_free);

  r = export_ok (store, out);
  g_assert_cmpuint (r->att_linked, ==, 3);
  g_assert_cmpuint (r->att_failed, ==, 0);
  /* Each file where it was. */
  {
    const char * const files[] = { "docs/ref.png", "top.svg", "docs/q.csv" };

    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autofree char *a = g_build_filename (root, files[i], NULL);
        g_autofree char *b = g_build_filename (out, files[i], NULL);
        g_autofree char *text_a = NULL;
        g_autofree char *text_b = NULL;

        g_assert_true (g_file_get_contents (a, &text_a, NULL, NULL));
        g_assert_true (g_file_get_contents (b, &text_b, NULL, NULL));
        g_assert_cmpstr (text_a, ==, text_b);
      }
  }

  mer_test_rm_rf (root);
  mer_test_rm_rf (out);
  mer_test_rm_rf (data);
}

/* Two pages with the same image: one blob, the same digest. */
static void
test_shared_image (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("shared");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(JsonObject) b = NULL;
  g_autoptr(GBytes) png = make_png (7, 8);
  g_autofree char *digest = mer_attachment_digest (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  gint64 bytes = 0;

  write_bytes (root, "img/logo.png", g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  write_text (root, "a.md", "![](img/logo.png)\n");
  write_text (root, "team/b.md", "![logo](../img/logo.png) ![[logo.png]]\n");

  r = import_ok (store, root);
  g_assert_cmpuint (r->att_linked, ==, 2);
  g_assert_cmpuint (r->att_files, ==, 1);
  a = get_doc (store, "page:a");
  b = get_doc (store, "page:team/b");
  g_assert_cmpstr (mer_json_get_string (attachment_of (a, "img/logo.png"), "digest"), ==, digest);
  g_assert_cmpstr (mer_json_get_string (attachment_of (b, "img/logo.png"), "digest"), ==, digest);
  g_assert_cmpuint (count_attachments (b), ==, 1);
  g_assert_cmpint (mer_store_count_blobs (store, &bytes), ==, 1);
  g_assert_cmpint (bytes, ==, (gint64) g_bytes_get_size (png));

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

/* Re-importing: nothing changed, nothing written; a changed image is a
 * new revision of the pages showing it; a link taken out takes its
 * attachment with it, but not one a peer added; a file gone keeps the
 * workspace's copy. */
static void
test_reimport (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("reimport-atts");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) peer_bytes = g_bytes_new_static ("from a peer", 11);
  g_autofree char *gone = g_build_filename (root, "b.png", NULL);
  JsonObject *doc;
  gint64 seq;

  write_text (root, "a.png", "one");
  write_text (root, "b.png", "two");
  write_text (root, "page.md", "![](a.png) ![](b.png)\n");
  write_text (root, "other.md", "Text only.\n");
  r = import_ok (store, root);
  g_assert_cmpuint (r->created, ==, 2);
  g_clear_pointer (&r, mer_import_report_free);

  seq = mer_store_get_update_seq (store);
  r = import_ok (store, root);
  g_assert_cmpuint (r->unchanged, ==, 2);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);
  g_clear_pointer (&r, mer_import_report_free);

  /* New bytes for one image: one new revision, the other image a stub. */
  write_text (root, "a.png", "ONE");
  r = import_ok (store, root);
  g_assert_cmpuint (r->updated, ==, 1);
  g_assert_cmpuint (r->att_new, ==, 1);
  g_clear_pointer (&r, mer_import_report_free);
  doc = get_doc (store, "page:page");
  g_assert_true (g_str_has_prefix (mer_json_get_string (doc, "_rev"), "2-"));
  g_assert_cmpint (json_object_get_int_member (attachment_of (doc, "a.png"), "revpos"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (attachment_of (doc, "b.png"), "revpos"), ==, 1);

  /* A peer adds an attachment; the page's file gives up a link. */
  {
    g_autofree char *rev = mer_store_put_attachment (store, "page:page", mer_json_get_string (doc, "_rev"),
                                                     "photo.jpg", "image/jpeg", peer_bytes, &error);

    g_assert_no_error (error);
  }
  json_object_unref (doc);
  write_text (root, "page.md", "![](b.png)\n");
  r = import_ok (store, root);
  g_assert_cmpuint (r->updated, ==, 1);
  g_clear_pointer (&r, mer_import_report_free);
  doc = get_doc (store, "page:page");
  g_assert_null (attachment_of (doc, "a.png"));
  g_assert_nonnull (attachment_of (doc, "b.png"));
  g_assert_nonnull (attachment_of (doc, "photo.jpg"));
  json_object_unref (doc);

  /* The file goes: reported, the workspace's copy kept, nothing written. */
  seq = mer_store_get_update_seq (store);
  g_assert_cmpint (g_unlink (gone), ==, 0);
  r = import_ok (store, root);
  g_assert_cmpuint (r->unchanged, ==, 2);
  g_assert_cmpuint (r->problems->len, ==, 1);
  g_assert_true (find_problem (r, "b.png")->kept);
  g_assert_cmpint (mer_store_get_update_seq (store), ==, seq);
  g_clear_pointer (&r, mer_import_report_free);

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

/* The report as `--json` prints it. */
static void
test_report_json (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *root = mer_test_make_tmpdir ("report-json");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  write_text (root, "x.png", "x");
  write_text (root, "page.md", "![](x.png) ![](y.png) ![](../z.png)\n");
  r = import_ok (store, root);
  node = mer_import_report_to_json (r);
  text = mer_json_to_string (node, FALSE);
  g_assert_cmpstr (text, ==,
                   "{\"created\":1,\"updated\":0,\"unchanged\":0,\"failed\":0,\"errors\":[],"
                   "\"attachments\":{\"linked\":1,\"new\":1,\"files\":1,\"bytes\":1,\"failed\":0},"
                   "\"missing\":[{\"page\":\"page.md\",\"target\":\"y.png\","
                   "\"reason\":\"no such file in the imported folder\",\"kept\":false}],"
                   "\"refused\":[{\"page\":\"page.md\",\"target\":\"../z.png\","
                   "\"reason\":\"outside the imported folder\",\"kept\":false}],"
                   "\"too_large\":[]}");

  mer_test_rm_rf (root);
  mer_test_rm_rf (data);
}

/* An export never writes an attachment over a page, out of the folder,
 * or through a symbolic link, and writes a file two pages share once. */
static void
test_export_guards (void)
{
  g_autofree char *data = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&data);
  g_autofree char *out = mer_test_make_tmpdir ("export-guards");
  g_autoptr(MerImportReport) r = NULL;
  g_autoptr(GError) error = NULL;
  const char * const names[] = { "notes.md", "a/./b.png", "dir//x.png", ".git/config", "x/.obsidian/a.js", "ok.png" };
  g_autoptr(GBytes) bytes = g_bytes_new_static ("bytes", 5);
  g_autoptr(GBytes) other = g_bytes_new_static ("other", 5);
  g_autofree char *rev = NULL;

  {
    g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"page:p\",\"type\":\"page\",\"title\":\"P\",\"path\":\"p\",\"body\":\"x\"}");

    rev = mer_store_put_doc (store, doc, &error);
    g_assert_no_error (error);
  }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *next = mer_store_put_attachment (store, "page:p", rev, names[i], "image/png", bytes, &error);

      g_assert_no_error (error);
      g_free (rev);
      rev = next;
    }
  {
    g_autoptr(JsonObject) doc = mer_test_object ("{\"_id\":\"page:q\",\"type\":\"page\",\"title\":\"Q\",\"path\":\"q\",\"body\":\"x\"}");
    g_autofree char *q = mer_store_put_doc (store, doc, &error);
    g_autofree char *q2 = NULL;

    g_assert_no_error (error);
    q2 = mer_store_put_attachment (store, "page:q", q, "ok.png", "image/png", other, &error);
    g_assert_no_error (error);
  }

  r = export_ok (store, out);
  g_assert_cmpuint (r->created, ==, 2);
  g_assert_cmpuint (r->att_linked, ==, 1);
  /* "notes.md" would come back as a page, "a/./b.png" and "dir//x.png"
   * are not paths an import gives, hidden paths are never written;
   * "ok.png" of q differs from p's. */
  g_assert_cmpuint (r->att_failed, ==, 6);
  {
    const char * const absent[] = { ".git", "x", "notes.md", "a", "dir" };

    for (guint i = 0; i < G_N_ELEMENTS (absent); i++)
      {
        g_autofree char *path = g_build_filename (out, absent[i], NULL);

        g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      }
  }
  {
    g_autofree char *path = g_build_filename (out, "ok.png", NULL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "bytes");
  }

  mer_test_rm_rf (out);
  mer_test_rm_rf (data);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/import-attachments/vault-round-trip", test_vault_round_trip);
  g_test_add_func ("/import-attachments/problems", test_problems);
  g_test_add_func ("/import-attachments/obsidian-by-name", test_obsidian_by_name);
  g_test_add_func ("/import-attachments/markdown-forms", test_markdown_forms);
  g_test_add_func ("/import-attachments/shared-image", test_shared_image);
  g_test_add_func ("/import-attachments/reimport", test_reimport);
  g_test_add_func ("/import-attachments/report-json", test_report_json);
  g_test_add_func ("/import-attachments/export-guards", test_export_guards);

  return g_test_run ();
}
