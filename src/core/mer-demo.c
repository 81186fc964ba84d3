/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-demo.h"
#include "mer-import.h"
#include "mer-json.h"

#include <glib/gi18n.h>
#include <string.h>

G_DEFINE_QUARK (mer-demo-error-quark, mer_demo_error)

/*
 * The demo shipped with the program. MERIDIAN_DEMO_DIR wins; then the
 * source tree's copy (running from a build folder); then the installed one.
 * NULL when none exists.
 */
char *
mer_demo_find_dir (void)
{
  const char *env = g_getenv ("MERIDIAN_DEMO_DIR");
  g_autofree char *source = g_build_filename (SOURCE_DATADIR, "demo", NULL);
  g_autofree char *installed = g_build_filename (PKGDATADIR, "demo", NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (source, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&source);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return NULL;
}

/*
 * Expands one relative time expression. *out stays NULL when @text is not
 * one (plain text such as "@nowhere" is left alone); a malformed expression
 * that starts like one is an error, so a typo in the demo is caught by the
 * tests instead of showing up as a literal in the app.
 */
static gboolean
expand_string (const char  *text,
               GDateTime   *now,
               char       **out,
               GError     **error)
{
  const char *p;
  gboolean date;
  gint64 total = 0;

  *out = NULL;
  if (g_str_has_prefix (text, "@today"))
    {
      p = text + strlen ("@today");
      date = TRUE;
    }
  else if (g_str_has_prefix (text, "@now"))
    {
      p = text + strlen ("@now");
      date = FALSE;
    }
  else
    return TRUE;
  if (*p != '\0' && *p != '+' && *p != '-')
    return TRUE;

  while (*p != '\0')
    {
      int sign = *p == '-' ? -1 : 1;
      gboolean any = FALSE;

      if (*p != '+' && *p != '-')
        goto invalid;
      p++;
      while (g_ascii_isdigit (*p))
        {
          gint64 n = 0;
          gint64 unit;

          while (g_ascii_isdigit (*p))
            {
              n = n * 10 + (*p++ - '0');
              if (n > 1000000)
                goto invalid;
            }
          switch (*p++)
            {
            case 'w': unit = 7 * 86400; break;
            case 'd': unit = 86400; break;
            case 'h': unit = 3600; break;
            case 'm': unit = 60; break;
            case 's': unit = 1; break;
            default: goto invalid;
            }
          if (date && unit < 86400)
            goto invalid;
          total += sign * n * unit;
          any = TRUE;
        }
      if (!any)
        goto invalid;
    }

  {
    g_autoptr(GDateTime) utc = g_date_time_to_utc (now);

    if (date)
      {
        g_autoptr(GDateTime) day = g_date_time_add_days (utc, (int) (total / 86400));

        *out = g_date_time_format (day, "%Y-%m-%d");
      }
    else
      {
        g_autoptr(GDateTime) time = g_date_time_add_seconds (utc, (double) total);

        *out = g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
      }
  }
  return TRUE;

invalid:
  g_set_error (error, MER_DEMO_ERROR, MER_DEMO_ERROR_INVALID,
               _("invalid relative time “%s” (use e.g. @now-3d, @now+2d4h, @today+30d)"), text);
  return FALSE;
}

/*
 * Replaces every string value under @node that is a relative time
 * expression with the time or date it means relative to @now. Object keys
 * are never changed.
 */
gboolean
mer_demo_expand_node (JsonNode   *node,
                      GDateTime  *now,
                      GError    **error)
{
  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (now != NULL, FALSE);

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        for (GList *l = members; l != NULL; l = l->next)
          if (!mer_demo_expand_node (json_object_get_member (object, l->data), now, error))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!mer_demo_expand_node (json_array_get_element (array, i), now, error))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *expanded = NULL;

          if (!expand_string (json_node_get_string (node), now, &expanded, error))
            return FALSE;
          if (expanded != NULL)
            json_node_set_string (node, expanded);
        }
      return TRUE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

/* The canonical JSON of a document's body: everything but "_" members. */
static char *
body_canonical (JsonObject *doc)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GList) members = json_object_get_members (doc);

  for (GList *l = members; l != NULL; l = l->next)
    if (((const char *) l->data)[0] != '_')
      json_object_set_member (body, l->data, json_node_copy (json_object_get_member (doc, l->data)));
  json_node_set_object (node, body);
  return mer_json_canonical (node);
}

/*
 * Writes one record. Per-record problems go to @failures; FALSE only when
 * the replica itself fails.
 */
static gboolean
load_record (MerStore    *store,
             JsonNode    *node,
             guint        index,
             GPtrArray   *failures,
             GError     **error)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonObject) existing = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *rev = NULL;
  const char *id;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_ptr_array_add (failures, g_strdup_printf (_("records.json: item %u is not an object"), index));
      return TRUE;
    }
  doc = mer_json_object_copy (json_node_get_object (node));
  id = mer_json_get_string (doc, "_id");
  if (id == NULL)
    {
      g_ptr_array_add (failures, g_strdup_printf (_("records.json: item %u has no “_id”"), index));
      return TRUE;
    }
  json_object_remove_member (doc, "_rev");

  existing = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, &local_error);
  if (existing == NULL && !g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);
  if (existing != NULL)
    {
      g_autofree char *old_body = body_canonical (existing);
      g_autofree char *new_body = body_canonical (doc);

      if (g_strcmp0 (old_body, new_body) == 0)
        return TRUE;
      json_object_set_string_member (doc, "_rev", mer_json_get_string (existing, "_rev"));
    }

  rev = mer_store_put_doc (store, doc, &local_error);
  if (rev == NULL)
    {
      if (g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_DATABASE)
          || g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NO_SPACE))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_ptr_array_add (failures, g_strdup_printf ("records.json: %s: %s", id, local_error->message));
    }
  return TRUE;
}

static gboolean
load_records (MerStore    *store,
              const char  *file,
              GPtrArray   *failures,
              GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gsize length;
  JsonArray *records;

  if (!g_file_get_contents (file, &text, &length, error))
    return FALSE;
  root = mer_json_parse (text, length, error);
  if (root == NULL)
    {
      g_prefix_error (error, "%s: ", file);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, MER_DEMO_ERROR, MER_DEMO_ERROR_INVALID,
                   _("%s: expected an array of documents"), file);
      return FALSE;
    }
  if (!mer_demo_expand_node (root, now, error))
    {
      g_prefix_error (error, "%s: ", file);
      return FALSE;
    }

  records = json_node_get_array (root);
  if (!mer_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (records); i++)
    if (!load_record (store, json_array_get_element (records, i), i, failures, error))
      {
        mer_store_rollback (store);
        return FALSE;
      }
  if (!mer_store_commit (store, error))
    {
      mer_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

/*
 * Loads the demo in @demo_dir into @store: the handbook pages first (so
 * records can point at them), then the records. Loading twice changes
 * nothing but the relative times. Everything that can be loaded is; if any
 * page or record failed, returns FALSE with an error naming them.
 */
gboolean
mer_demo_load (MerStore    *store,
               const char  *demo_dir,
               GError     **error)
{
  g_autofree char *handbook = NULL;
  g_autofree char *records = NULL;
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  gboolean has_handbook, has_records;

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (demo_dir != NULL, FALSE);

  handbook = g_build_filename (demo_dir, "handbook", NULL);
  records = g_build_filename (demo_dir, "records.json", NULL);
  has_handbook = g_file_test (handbook, G_FILE_TEST_IS_DIR);
  has_records = g_file_test (records, G_FILE_TEST_IS_REGULAR);
  if (!has_handbook && !has_records)
    {
      g_set_error (error, MER_DEMO_ERROR, MER_DEMO_ERROR_INVALID,
                   _("no demo workspace in “%s”"), demo_dir);
      return FALSE;
    }

  if (has_handbook)
    {
      g_autoptr(MerImportReport) report = mer_import_report_new ();

      if (!mer_import_dir (store, handbook, report, error))
        return FALSE;
      for (guint i = 0; i < report->errors->len; i++)
        g_ptr_array_add (failures, g_strdup (report->errors->pdata[i]));
    }
  if (has_records && !load_records (store, records, failures, error))
    return FALSE;

  if (failures->len > 0)
    {
      g_ptr_array_add (failures, NULL);
      {
        g_autofree char *joined = g_strjoinv ("; ", (char **) failures->pdata);

        g_set_error (error, MER_DEMO_ERROR, MER_DEMO_ERROR_FAILED,
                     _("%u parts of the demo could not be loaded: %s"), failures->len - 1, joined);
      }
      return FALSE;
    }
  return TRUE;
}

/*
 * Loads the demo into a replica that has never been written to (its update
 * sequence is 0), so the first run shows a living workspace but a replica
 * someone emptied stays empty. @demo_dir NULL means mer_demo_find_dir().
 * No demo to be found is not an error: *loaded is then FALSE.
 */
gboolean
mer_demo_load_if_empty (MerStore    *store,
                        const char  *demo_dir,
                        gboolean    *loaded,
                        GError     **error)
{
  g_autofree char *found = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);

  if (loaded != NULL)
    *loaded = FALSE;
  if (mer_store_get_update_seq (store) > 0)
    return TRUE;
  if (demo_dir == NULL)
    demo_dir = found = mer_demo_find_dir ();
  if (demo_dir == NULL)
    {
      g_message ("No demo workspace found; starting empty");
      return TRUE;
    }
  if (!mer_demo_load (store, demo_dir, error))
    return FALSE;
  if (loaded != NULL)
    *loaded = TRUE;
  return TRUE;
}
