/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one-pass reader of _bulk_get answers against json-glib: on JSON
 * both must give the same revisions byte for byte; on a document the
 * replica cannot keep exactly the reader marks that document alone; on
 * anything else it must step aside and json-glib decide.
 */
#include "config.h"

#include "mer-json.h"
#include "mer-revision-private.h"
#include "mer-store.h"
#include "mer-store-private.h"
#include "mer-test-util.h"
#include "mer-validate.h"

#include <string.h>

/* The revisions of an answer as json-glib reads it: the reference. */
static GPtrArray *
revisions_by_tree (const char *text,
                   gboolean   *has_results)
{
  g_autoptr(JsonNode) root = mer_json_parse (text, -1, NULL);
  GPtrArray *revisions;
  JsonArray *results;
  JsonNode *node;

  if (root == NULL)
    return NULL;
  revisions = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_revision_free);
  *has_results = JSON_NODE_HOLDS_OBJECT (root)
                 && json_object_has_member (json_node_get_object (root), "results");
  if (!*has_results)
    return revisions;
  node = json_object_get_member (json_node_get_object (root), "results");
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return revisions;
  results = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonNode *result = json_array_get_element (results, i);
      JsonNode *docs = JSON_NODE_HOLDS_OBJECT (result)
                       ? json_object_get_member (json_node_get_object (result), "docs") : NULL;

      for (guint j = 0; docs != NULL && JSON_NODE_HOLDS_ARRAY (docs)
                        && j < json_array_get_length (json_node_get_array (docs)); j++)
        {
          JsonNode *entry = json_array_get_element (json_node_get_array (docs), j);
          JsonNode *ok = JSON_NODE_HOLDS_OBJECT (entry)
                         ? json_object_get_member (json_node_get_object (entry), "ok") : NULL;

          if (ok != NULL && JSON_NODE_HOLDS_OBJECT (ok))
            g_ptr_array_add (revisions, mer_revision_new_from_doc (json_node_get_object (ok)));
        }
    }
  return revisions;
}

/* Every top-level string of @a the store reads is the same in @b. */
static void
assert_same_strings (JsonObject *a,
                     JsonObject *b)
{
  g_autoptr(GList) members = json_object_get_members (a);

  for (GList *l = members; l; l = l->next)
    if (mer_json_get_string (a, l->data) != NULL && _mer_store_reads_field (l->data))
      g_assert_cmpstr (mer_json_get_string (b, l->data), ==, mer_json_get_string (a, l->data));
}

static void
assert_same_revision (MerRevision *read,
                      MerRevision *expected)
{
  g_assert_cmpstr (read->id, ==, expected->id);
  g_assert_cmpstr (read->rev, ==, expected->rev);
  g_assert_cmpint (read->deleted, ==, expected->deleted);
  g_assert_cmpint (read->start, ==, expected->start);
  g_assert_true ((read->ids == NULL) == (expected->ids == NULL));
  if (read->ids != NULL)
    g_assert_true (g_strv_equal ((const char * const *) read->ids, (const char * const *) expected->ids));
  g_assert_true ((read->problem == NULL) == (expected->problem == NULL));
  if (read->problem != NULL)
    {
      /* A refused document's body is never kept. */
      g_assert_cmpstr (read->problem->message, ==, expected->problem->message);
      return;
    }
  g_assert_cmpstr (read->body, ==, expected->body);
  assert_same_strings (read->fields, expected->fields);
  assert_same_strings (expected->fields, read->fields);
}

static void
assert_same_revisions (GPtrArray *read,
                       GPtrArray *expected)
{
  g_assert_nonnull (read);
  g_assert_nonnull (expected);
  g_assert_cmpuint (read->len, ==, expected->len);
  for (guint i = 0; i < read->len; i++)
    assert_same_revision (g_ptr_array_index (read, i), g_ptr_array_index (expected, i));
}

/* ------------------------------------------------------------------ */
/* Random plain JSON */

static void
space (GRand   *rand,
       GString *out)
{
  static const char *spaces[] = { "", "", "", " ", "\n", "\t", " \r\n  " };

  g_string_append (out, spaces[g_rand_int_range (rand, 0, G_N_ELEMENTS (spaces))]);
}

static void
random_string (GRand   *rand,
               GString *out)
{
  static const char *pieces[] = {
    "a", "Zz", "page", " ", "x y", "é", "漢字", "😀", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
    "\\r", "\\t", "\\u001f", "\\u0001", "\\u007f", "_", "<", "&", "\\ud83d\\ude00",
    "\\uDBFF\\uDFFF",
  };
  guint n = g_rand_int_range (rand, 0, 12);

  g_string_append_c (out, '"');
  for (guint i = 0; i < n; i++)
    {
      if (g_rand_int_range (rand, 0, 6) == 0)
        {
          /* Any code point but NUL and the surrogates, either case. */
          guint c = g_rand_boolean (rand) ? (guint) g_rand_int_range (rand, 1, 0xd800)
                                          : (guint) g_rand_int_range (rand, 0xe000, 0x10000);

          g_string_append_printf (out, g_rand_boolean (rand) ? "\\u%04x" : "\\u%04X", c);
        }
      else
        g_string_append (out, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
    }
  g_string_append_c (out, '"');
}

static void random_value (GRand *rand, GString *out, guint depth);

static void
random_object (GRand   *rand,
               GString *out,
               guint    depth,
               guint    n)
{
  g_string_append_c (out, '{');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      space (rand, out);
      /* Names unique by their suffix, in no particular order. */
      g_string_append_printf (out, "\"%c%s%u\"", "bazqM~é"[g_rand_int_range (rand, 0, 6)],
                              g_rand_boolean (rand) ? "\\n" : "", n - i);
      space (rand, out);
      g_string_append_c (out, ':');
      space (rand, out);
      random_value (rand, out, depth + 1);
      space (rand, out);
    }
  g_string_append_c (out, '}');
}

static void
random_value (GRand   *rand,
              GString *out,
              guint    depth)
{
  /* Every kind of number json-glib keeps exactly, at its edges. */
  static const char *numbers[] = {
    "0", "-7", "42", "123456789012345678", "-99999999", "-0", "9223372036854775807",
    "-9223372036854775808", "9007199254740993", "1.5", "-0.0", "1.0", "2.50", "1e2", "1E+2",
    "-1e-7", "0.1", "1e308", "1.7976931348623157e308", "5e-324", "4.9e-324", "1e-400",
    "123456789012345678901234567890e-10", "1e15", "999999999999999.9", "100000000000000000000.0",
  };

  switch (g_rand_int_range (rand, 0, depth > 3 ? 5 : 7))
    {
    case 0:
    case 1:
      random_string (rand, out);
      break;
    case 2:
      g_string_append (out, numbers[g_rand_int_range (rand, 0, G_N_ELEMENTS (numbers))]);
      break;
    case 3:
      g_string_append (out, g_rand_boolean (rand) ? "true" : "false");
      break;
    case 4:
      g_string_append (out, "null");
      break;
    case 5:
      random_object (rand, out, depth, g_rand_int_range (rand, 0, 5));
      break;
    default:
      {
        guint n = g_rand_int_range (rand, 0, 5);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            space (rand, out);
            random_value (rand, out, depth + 1);
          }
        space (rand, out);
        g_string_append_c (out, ']');
      }
    }
}

static void
random_doc (GRand   *rand,
            GString *out,
            guint    index)
{
  guint generation = g_rand_int_range (rand, 1, 5);
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autofree char *newest = g_strdup_printf ("%08x%08x", g_rand_int (rand), index);

  /* The newest id is the revision's own hash. */
  g_string_append_printf (ids, "\"%s\"", newest);
  for (guint i = 1; i < generation; i++)
    g_string_append_printf (ids, ",\"%08x%08x\"", g_rand_int (rand), index);
  g_ptr_array_add (members, g_strdup_printf ("\"_id\":\"page:doc-%u\"", index));
  g_ptr_array_add (members, g_strdup_printf ("\"_rev\":\"%u-%s\"", generation, newest));
  g_ptr_array_add (members, g_strdup_printf ("\"_revisions\":{\"ids\":[%s], \"start\":%u}",
                                             ids->str, generation));
  if (g_rand_int_range (rand, 0, 4) == 0)
    g_ptr_array_add (members, g_strdup_printf ("\"_deleted\":%s", g_rand_boolean (rand) ? "true" : "false"));
  if (g_rand_int_range (rand, 0, 4) == 0)
    g_ptr_array_add (members, g_strdup ("\"_attachments\":{\"a.txt\":{\"stub\":true,\"length\":3}}"));
  g_ptr_array_add (members, g_strdup ("\"type\":\"page\""));
  g_ptr_array_add (members, g_strdup_printf ("\"title\":\"Doc \\u00e9 %u\"", index));
  for (guint i = 0, n = g_rand_int_range (rand, 0, 6); i < n; i++)
    {
      g_autoptr(GString) member = g_string_new (NULL);

      static const char *names[] = { "body", "tags", "path", "on", "decision", "owner" };

      /* Names the store reads, and names it does not. */
      if (i < G_N_ELEMENTS (names))
        g_string_append_printf (member, "\"%s\":", names[(index + i) % G_N_ELEMENTS (names)]);
      else
        g_string_append_printf (member, "\"extra%u\":", i);
      random_value (rand, member, 1);
      g_ptr_array_add (members, g_string_free (g_steal_pointer (&member), FALSE));
    }
  /* Members in any order, as any peer may write them. */
  for (guint i = members->len - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1);
      gpointer swap = members->pdata[i];

      members->pdata[i] = members->pdata[j];
      members->pdata[j] = swap;
    }
  g_string_append_c (out, '{');
  for (guint i = 0; i < members->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      space (rand, out);
      g_string_append (out, g_ptr_array_index (members, i));
    }
  space (rand, out);
  g_string_append_c (out, '}');
}

/* 300 documents of random plain JSON read both ways. */
static void
test_reader_matches_tree (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261123);
  guint total = 0;

  for (guint batch = 0; batch < 30; batch++)
    {
      g_autoptr(GString) text = g_string_new ("{\"results\":[");
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GPtrArray) expected = NULL;
      gboolean read_results = FALSE;
      gboolean expected_results = FALSE;

      for (guint i = 0; i < 10; i++)
        {
          guint index = batch * 10 + i;

          g_string_append_printf (text, "%s{\"id\":\"page:doc-%u\",\"docs\":[", i > 0 ? "," : "", index);
          space (rand, text);
          if (i % 4 == 3)
            g_string_append (text, "{\"error\":{\"id\":\"x\",\"rev\":\"1-a\",\"error\":\"not_found\"}},");
          g_string_append (text, "{\"ok\":");
          random_doc (rand, text, index);
          g_string_append (text, "}]}");
          space (rand, text);
        }
      g_string_append (text, "]}\n");

      read = _mer_revisions_read_bulk_get (text->str, text->len, &read_results);
      expected = revisions_by_tree (text->str, &expected_results);
      if (read == NULL)
        g_error ("the reader left plain JSON to json-glib:\n%s", text->str);
      g_assert_true (read_results && expected_results);
      assert_same_revisions (read, expected);
      total += read->len;
    }
  g_assert_cmpuint (total, ==, 300);
}

/* What the reader leaves to json-glib, and the answer is still the same. */
static void
test_reader_steps_aside (void)
{
  static const char *texts[] = {
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"s\":1,\"s\":2}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_id\":\"b\",\"_rev\":\"1-a\"}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"o\":{\"k\":1,\"k\":2}}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":[]}]}]}",
    "{\"results\":[7]}",
    "{\"results\":{}}",
    "{\"results\":[],\"results\":[]}",
    "{\"results\":[]} {}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\nb\",\"_rev\":\"1-a\"}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\"}}]}]}\f",
    /* json-glib's leniencies are no longer read at all. */
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"n\":01}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"n\":.5}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"n\":1.}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"n\":0x10}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"s\":'x'}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\"}}]}]}/**/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GPtrArray) expected = NULL;
      g_autoptr(GError) error = NULL;
      gboolean read_results = FALSE;
      gboolean expected_results = FALSE;

      g_test_message ("%s", texts[i]);
      g_assert_null (_mer_revisions_read_bulk_get (texts[i], strlen (texts[i]), &read_results));
      read = mer_revisions_from_bulk_get (texts[i], strlen (texts[i]), &read_results, &error);
      expected = revisions_by_tree (texts[i], &expected_results);
      g_assert_true ((read == NULL) == (expected == NULL));
      if (read == NULL)
        {
          g_assert_nonnull (error);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpint (read_results, ==, expected_results);
      assert_same_revisions (read, expected);
    }
}

/* Numbers and escapes the reader now reads itself, exactly as json-glib. */
static void
test_reader_numbers (void)
{
  static const struct
  {
    const char *value;
    const char *body;
  } cases[] = {
    { "1.5", "{\"n\":1.5}" },
    { "1.0", "{\"n\":1}" },
    { "2e3", "{\"n\":2000}" },
    { "-0", "{\"n\":0}" },
    { "-0.0", "{\"n\":0}" },
    { "1234567890123456789", "{\"n\":1234567890123456789}" },
    { "9223372036854775807", "{\"n\":9223372036854775807}" },
    { "-9223372036854775808", "{\"n\":-9223372036854775808}" },
    { "9007199254740993", "{\"n\":9007199254740993}" },
    { "9007199254740993.0", "{\"n\":9007199254740992}" },
    { "1e308", "{\"n\":1e+308}" },
    { "1.7976931348623157e308", "{\"n\":1.7976931348623157e+308}" },
    { "5e-324", "{\"n\":5e-324}" },
    { "1e-400", "{\"n\":0}" },
    { "0.1", "{\"n\":0.1}" },
    { "1e15", "{\"n\":1e+15}" },
    { "\"\\ud83d\\ude00\"", "{\"n\":\"😀\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"2-a\","
                                               "\"_revisions\":{\"start\":2,\"ids\":[\"a\",\"b\"]},"
                                               "\"n\":%s}}]}]}", cases[i].value);
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GPtrArray) expected = NULL;
      gboolean read_results = FALSE;
      gboolean expected_results = FALSE;

      g_test_message ("%s", cases[i].value);
      read = _mer_revisions_read_bulk_get (text, strlen (text), &read_results);
      expected = revisions_by_tree (text, &expected_results);
      g_assert_nonnull (read);
      assert_same_revisions (read, expected);
      g_assert_cmpstr (((MerRevision *) read->pdata[0])->body, ==, cases[i].body);
      g_assert_null (((MerRevision *) read->pdata[0])->problem);
    }
}

/* Builds an answer of three documents, the middle one holding @value. */
static char *
answer_around (const char *value)
{
  return g_strdup_printf ("{\"results\":["
                          "{\"id\":\"a\",\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",\"n\":1}}]},"
                          "{\"id\":\"b\",\"docs\":[{\"ok\":{\"_id\":\"b\",\"_rev\":\"1-b\",\"v\":%s}}]},"
                          "{\"id\":\"c\",\"docs\":[{\"ok\":{\"_id\":\"c\",\"_rev\":\"1-c\",\"n\":3}}]}]}",
                          value);
}

/*
 * A document the replica cannot keep exactly is marked with the reason
 * and the documents around it are read as usual; json-glib, which would
 * keep another value, is never asked.
 */
static void
test_reader_marks_unkeepable (void)
{
  static const struct
  {
    const char *value;
    const char *reason;   /* a part of the reason */
  } cases[] = {
    { "1e400", "1e400 is beyond the range of a double" },
    { "-1e309", "-1e309 is beyond the range of a double" },
    { "18446744073709551615", "18446744073709551615 does not fit in 64 bits" },
    { "9223372036854775808", "9223372036854775808 does not fit in 64 bits" },
    { "-9223372036854775809", "-9223372036854775809 does not fit in 64 bits" },
    { "1234567890123456789012345678901234567890", "1234567890123456789012345678901234567890 does not fit" },
    { "-12345678901234567890123456789012345678901234567890", "-1234567890123456789012345678901… (51 characters) does not fit" },
    { "[1,{\"x\":1e999}]", "1e999 is beyond" },
    { "\"a\\u0000b\"", "\\u0000" },
    { "{\"k\\u0000\":1}", "\\u0000" },
    { "\"\\ud800x\"", "\\ud800, half of a UTF-16 surrogate pair" },
    { "\"\\udc00\"", "\\udc00, half of a UTF-16 surrogate pair" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = answer_around (cases[i].value);
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GError) error = NULL;
      gboolean has_results = FALSE;
      MerRevision *marked;

      g_test_message ("%s", cases[i].value);
      read = mer_revisions_from_bulk_get (text, strlen (text), &has_results, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (read->len, ==, 3);
      g_assert_null (((MerRevision *) read->pdata[0])->problem);
      g_assert_cmpstr (((MerRevision *) read->pdata[0])->body, ==, "{\"n\":1}");
      g_assert_null (((MerRevision *) read->pdata[2])->problem);
      g_assert_cmpstr (((MerRevision *) read->pdata[2])->body, ==, "{\"n\":3}");
      marked = read->pdata[1];
      g_assert_cmpstr (marked->id, ==, "b");
      g_assert_error (marked->problem, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
      if (strstr (marked->problem->message, cases[i].reason) == NULL)
        g_error ("“%s” does not say “%s”", marked->problem->message, cases[i].reason);
      /* json-glib is not fit to read this: the whole text is refused. */
      g_assert_null (mer_json_parse (text, -1, NULL));
    }
}

/* An id with \u0000 is refused as sent, not cut short at the NUL. */
static void
test_reader_nul_id (void)
{
  static const char *text = "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"rt2-20\\u0000evil\",\"_rev\":\"1-a\"}},"
                            "{\"ok\":{\"_id\":\"rt2-21\",\"_rev\":\"1-a\"}}]}]}";
  g_autoptr(GPtrArray) read = NULL;
  gboolean has_results = FALSE;

  read = _mer_revisions_read_bulk_get (text, strlen (text), &has_results);
  g_assert_nonnull (read);
  g_assert_cmpuint (read->len, ==, 2);
  g_assert_cmpstr (((MerRevision *) read->pdata[0])->id, ==, "rt2-20\\u0000evil");
  g_assert_nonnull (((MerRevision *) read->pdata[0])->problem);
  g_assert_cmpstr (((MerRevision *) read->pdata[1])->id, ==, "rt2-21");
  g_assert_null (((MerRevision *) read->pdata[1])->problem);
}

/* Appends a member "deep" of @levels nested arrays to @text. */
static void
append_deep (GString *text,
             guint    levels)
{
  g_string_append (text, "\"deep\":");
  for (guint i = 0; i < levels; i++)
    g_string_append_c (text, '[');
  g_string_append (text, "1");
  for (guint i = 0; i < levels; i++)
    g_string_append_c (text, ']');
}

/*
 * A document nests 64 levels at most, itself the first: both readers keep
 * 64 and mark 65; far deeper is marked by the reader, without recursion,
 * and the next document still arrives.
 */
static void
test_reader_deep (void)
{
  static const guint levels[] = { 63, 64, 1000, 100000 };

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      g_autoptr(GString) text = g_string_new ("{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",\"_rev\":\"1-a\",");
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GPtrArray) expected = NULL;
      gboolean has_results = FALSE;
      gboolean too_deep = 1 + levels[i] > MER_VALIDATE_MAX_DEPTH;
      MerRevision *deep;

      append_deep (text, levels[i]);
      g_string_append (text, "}},{\"ok\":{\"_id\":\"b\",\"_rev\":\"1-b\",\"x\":\"[[\"}}]}]}");
      read = _mer_revisions_read_bulk_get (text->str, text->len, &has_results);
      g_assert_nonnull (read);
      g_assert_cmpuint (read->len, ==, 2);
      deep = read->pdata[0];
      g_assert_true ((deep->problem != NULL) == too_deep);
      if (too_deep)
        g_assert_nonnull (strstr (deep->problem->message, "nested more than 64 levels"));
      else
        g_assert_true (g_str_has_prefix (deep->body, "{\"deep\":[[[["));
      g_assert_null (((MerRevision *) read->pdata[1])->problem);
      g_assert_cmpstr (((MerRevision *) read->pdata[1])->body, ==, "{\"x\":\"[[\"}");
      /* json-glib's tree agrees up to the depth it may read. */
      if (levels[i] < MER_JSON_MAX_DEPTH)
        {
          expected = revisions_by_tree (text->str, &has_results);
          assert_same_revisions (read, expected);
        }
    }
}

/* Broken answers are errors, whoever reads them, and yield nothing. */
static void
test_reader_refuses (void)
{
  static const char *texts[] = {
    "",
    "{",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\"",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\",}}]}]}",
    "{\"results\":[{\"docs\":[{\"ok\":{\"_id\":\"a\xff\"}}]}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GError) error = NULL;
      gboolean has_results = FALSE;

      g_test_message ("%s", texts[i]);
      read = mer_revisions_from_bulk_get (texts[i], strlen (texts[i]), &has_results, &error);
      g_assert_null (read);
      g_assert_nonnull (error);
    }
}

/* An answer of another shape says so, and holds no revisions. */
static void
test_reader_no_results (void)
{
  static const char *text = "{\"error\":\"not_found\",\"reason\":\"missing\"}";
  g_autoptr(GPtrArray) read = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_results = TRUE;

  read = mer_revisions_from_bulk_get (text, strlen (text), &has_results, &error);
  g_assert_no_error (error);
  g_assert_false (has_results);
  g_assert_cmpuint (read->len, ==, 0);
}

/* The history a revision carries, checked before anything is written. */
static void
test_path (void)
{
  static const struct
  {
    const char *doc;
    const char *path;   /* NULL: refused */
  } cases[] = {
    { "{\"_id\":\"a\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":3,\"ids\":[\"c\",\"b\",\"a\"]}}", "3-c 2-b 1-a" },
    { "{\"_id\":\"a\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":3,\"ids\":[\"c\"]}}", "3-c" },
    { "{\"_id\":\"a\",\"_rev\":\"3-c\"}", "3-c" },
    { "{\"_id\":\"a\",\"_rev\":\"3-c\",\"_revisions\":null}", "3-c" },
    { "{\"_id\":\"a\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":2,\"ids\":[\"c\"]}}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"3-c\",\"_revisions\":{\"start\":3,\"ids\":[\"d\"]}}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"2-c\",\"_revisions\":{\"start\":2,\"ids\":[\"c\",\"b\",\"a\"]}}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"2-c\",\"_revisions\":{\"start\":2,\"ids\":[\"c\",7]}}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"2-c\",\"_revisions\":{\"start\":2,\"ids\":[]}}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"2-c\",\"_revisions\":{\"start\":-1,\"ids\":[\"c\"]}}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"2-c\",\"_revisions\":[\"c\"]}", NULL },
    { "{\"_id\":\"a\",\"_rev\":\"c\"}", NULL },
    { "{\"_id\":\"a\"}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"results\":[{\"docs\":[{\"ok\":%s}]}]}", cases[i].doc);
      g_autoptr(JsonObject) doc = mer_json_parse_object (cases[i].doc, -1, NULL);
      g_autoptr(MerRevision) revision = mer_revision_new_from_doc (doc);
      g_autoptr(GPtrArray) read = NULL;
      g_autoptr(GPtrArray) path = NULL;
      g_autoptr(GPtrArray) read_path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) read_error = NULL;
      gboolean has_results = FALSE;

      g_test_message ("%s", cases[i].doc);
      read = _mer_revisions_read_bulk_get (text, strlen (text), &has_results);
      g_assert_nonnull (read);
      g_assert_cmpuint (read->len, ==, 1);
      path = mer_revision_path (revision, &error);
      read_path = mer_revision_path (read->pdata[0], &read_error);
      if (cases[i].path == NULL)
        {
          g_assert_error (error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
          g_assert_error (read_error, MER_STORE_ERROR, MER_STORE_ERROR_BAD_REQUEST);
          g_assert_null (path);
          g_assert_null (read_path);
        }
      else
        {
          g_autofree char *joined = NULL;

          g_assert_no_error (error);
          g_assert_no_error (read_error);
          g_ptr_array_add (path, NULL);
          joined = g_strjoinv (" ", (char **) path->pdata);
          g_assert_cmpstr (joined, ==, cases[i].path);
          g_assert_cmpuint (read_path->len, ==, path->len - 1);
        }
    }
}

/* Revisions written through the reader read back as the peer sent them. */
static void
test_put_revisions (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) read = NULL;
  g_autoptr(JsonArray) refusals = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  gboolean has_results = FALSE;
  static const char *text =
    "{\"results\":["
    " {\"id\":\"page:a\",\"docs\":[{\"ok\":{\"title\":\"Rota \\u00e9t\\u00e9\",\"_rev\":\"2-bb\",\"type\":\"page\","
    "   \"_id\":\"page:a\",\"body\":\"On call \\\"weekly\\\"\",\"path\":\"ops/rota\",\"tags\":[\"b\",\"a\"],"
    "   \"_revisions\":{\"start\":2,\"ids\":[\"bb\",\"aa\"]}}}]},"
    " {\"id\":\"_bad\",\"docs\":[{\"ok\":{\"_id\":\"_bad\",\"_rev\":\"1-a\"}}]}"
    "]}";

  store = mer_test_open_store (&dir);
  read = mer_revisions_from_bulk_get (text, strlen (text), &has_results, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read->len, ==, 2);
  refusals = mer_store_put_revisions (store, read, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (refusals), ==, 1);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (refusals, 0), "id"), ==, "_bad");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (refusals, 0), "error"), ==, "bad_request");

  doc = mer_store_get_doc (store, "page:a", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mer_json_get_string (doc, "_rev"), ==, "2-bb");
  g_assert_cmpstr (mer_json_get_string (doc, "title"), ==, "Rota été");
  g_assert_cmpstr (mer_json_get_string (doc, "body"), ==, "On call \"weekly\"");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (doc, "tags")), ==, 2);
  hits = mer_store_search (store, "weekly", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_true (mer_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/revision/reader-matches-tree", test_reader_matches_tree);
  g_test_add_func ("/revision/reader-steps-aside", test_reader_steps_aside);
  g_test_add_func ("/revision/reader-numbers", test_reader_numbers);
  g_test_add_func ("/revision/reader-marks-unkeepable", test_reader_marks_unkeepable);
  g_test_add_func ("/revision/reader-nul-id", test_reader_nul_id);
  g_test_add_func ("/revision/reader-deep", test_reader_deep);
  g_test_add_func ("/revision/reader-refuses", test_reader_refuses);
  g_test_add_func ("/revision/reader-no-results", test_reader_no_results);
  g_test_add_func ("/revision/path", test_path);
  g_test_add_func ("/revision/put-revisions", test_put_revisions);
  return g_test_run ();
}
