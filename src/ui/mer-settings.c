/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-settings.h"

/*
 * The app's settings, under its application id (APP_ID), and the one-time
 * carrying over of what a person had set under the id Meridian 0.1.0 used
 * (LEGACY_APP_ID).  The old schema is installed, frozen and compiled, in a
 * folder of its own, so that it never shows up in dconf-editor next to the
 * current one, but can still be read.
 */

/*
 * The folder beside the running program's, data/SUBDIR, where the build
 * keeps compiled schemas, so that Meridian run from its build folder (and
 * every test) finds them.  NULL when there is no such folder.
 */
static char *
build_data_dir (const char *subdir)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;

  if (exe == NULL)
    return NULL;
  dir = g_path_get_dirname (exe);
  data = g_build_filename (dir, "..", "data", subdir, NULL);
  if (!g_file_test (data, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_steal_pointer (&data);
}

/* Looks ID up in the compiled schemas of DIR; NULL when it is not there. */
static GSettingsSchema *
lookup_in_directory (const char *dir,
                     const char *id)
{
  g_autoptr (GSettingsSchemaSource) source = NULL;
  g_autoptr (GError) error = NULL;

  if (dir == NULL)
    return NULL;
  source = g_settings_schema_source_new_from_directory (dir, NULL, FALSE, &error);
  if (source == NULL)
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_debug ("Cannot read the schemas in %s: %s", dir, error->message);
      return NULL;
    }
  return g_settings_schema_source_lookup (source, id, FALSE);
}

/*
 * Copies into SETTINGS every key that the person changed under the old
 * schema, once.  Only values the person set (g_settings_get_user_value)
 * are copied: a default of 0.1.0 stays a default, so that a later release
 * can change it.  A key the current schema no longer has, or whose value
 * it would refuse, is left behind.  The old settings are not touched, so
 * going back to 0.1.0 finds them as they were.
 *
 * The migration is marked done even when the old schema cannot be found
 * (an installation without it, or a person who never ran 0.1.0): its
 * values, if it appeared later, would overwrite choices made since.
 *
 * Returns how many keys were carried over.
 */
guint
mer_settings_migrate_legacy (GSettings *settings,
                             const char *legacy_schemas_dir)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettingsSchema) legacy_schema = NULL;
  g_autoptr (GSettingsBackend) backend = NULL;
  g_autoptr (GSettings) legacy = NULL;
  g_autoptr (GSettings) batch = NULL;
  g_auto (GStrv) keys = NULL;
  guint copied = 0;

  g_return_val_if_fail (G_IS_SETTINGS (settings), 0);

  if (g_settings_get_boolean (settings, "legacy-settings-migrated"))
    return 0;

  g_object_get (settings, "settings-schema", &schema, "backend", &backend, NULL);
  /* One write for all the keys: a crash half-way must not leave some keys
   * carried over and the migration still to do. */
  batch = g_settings_new_full (schema, backend, NULL);
  g_settings_delay (batch);

  legacy_schema = lookup_in_directory (legacy_schemas_dir, LEGACY_APP_ID);
  if (legacy_schema != NULL)
    {
      legacy = g_settings_new_full (legacy_schema, backend, NULL);
      keys = g_settings_schema_list_keys (legacy_schema);
    }
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autoptr (GVariant) value = g_settings_get_user_value (legacy, keys[i]);
      g_autoptr (GSettingsSchemaKey) key = NULL;

      if (value == NULL || !g_settings_schema_has_key (schema, keys[i]))
        continue;
      key = g_settings_schema_get_key (schema, keys[i]);
      if (!g_variant_is_of_type (value, g_settings_schema_key_get_value_type (key))
          || !g_settings_schema_key_range_check (key, value))
        {
          g_debug ("Not carrying over the setting %s: the current schema refuses its value", keys[i]);
          continue;
        }
      g_settings_set_value (batch, keys[i], value);
      copied++;
    }
  g_settings_set_boolean (batch, "legacy-settings-migrated", TRUE);
  g_settings_apply (batch);
  if (copied > 0)
    g_debug ("Carried %u settings over from %s", copied, LEGACY_APP_ID);
  return copied;
}

/*
 * The app's settings: the schema where it is installed or, when Meridian
 * runs from its build folder, in the build folder's data/ beside src/.
 * NULL when the schema cannot be found at all (settings are then not kept).
 * The first time, what the person had set under the old id is carried
 * over.
 */
GSettings *
mer_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autofree char *build_dir = NULL;
  const char *legacy_dir = LEGACY_SCHEMAS_DIR;
  g_autofree char *legacy_build_dir = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      build_dir = build_data_dir (NULL);
      schema = lookup_in_directory (build_dir, APP_ID);
    }
  if (schema == NULL)
    {
      g_debug ("The settings schema %s is not installed; settings will not be kept", APP_ID);
      return NULL;
    }
  settings = g_settings_new_full (schema, NULL, NULL);

  if (!g_settings_get_boolean (settings, "legacy-settings-migrated"))
    {
      if (!g_file_test (legacy_dir, G_FILE_TEST_IS_DIR))
        legacy_dir = legacy_build_dir = build_data_dir ("legacy-schemas");
      mer_settings_migrate_legacy (settings, legacy_dir);
    }
  return g_steal_pointer (&settings);
}
