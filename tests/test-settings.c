/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Settings under the application id, and the one-time carrying over of
 * what a person had set under the id of Meridian 0.1.0, org.gnome.Meridian:
 * changed keys are copied, defaults stay defaults, it happens once, a
 * person who never ran 0.1.0 gets the defaults, and a missing old schema
 * is no error.
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "mer-settings.h"
#include "mer-test-util.h"

#include <glib/gstdio.h>

typedef struct
{
  char *dir;                      /* a private temporary folder */
  char *keyfile;                  /* where the backend keeps every value */
  GSettingsBackend *backend;      /* one keyfile for both ids, as dconf is */
  GSettingsSchema *schema;        /* the current schema, APP_ID */
  GSettingsSchema *legacy_schema; /* the frozen one, LEGACY_APP_ID */
  char *legacy_dir;               /* where the build compiled the frozen one */
} Fixture;

static GSettingsSchema *
lookup (const char *dir,
        const char *id)
{
  g_autoptr (GSettingsSchemaSource) source = NULL;
  g_autoptr (GError) error = NULL;
  GSettingsSchema *schema;

  source = g_settings_schema_source_new_from_directory (dir, NULL, FALSE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, id, FALSE);
  g_assert_nonnull (schema);
  return schema;
}

static void
fixture_set_up (Fixture *f,
                gconstpointer data)
{
  const char *build = g_getenv ("MERIDIAN_BUILD_DIR");
  g_autofree char *schemas_dir = NULL;

  g_assert_nonnull (build);
  f->dir = mer_test_make_tmpdir ("settings");
  f->keyfile = g_build_filename (f->dir, "keyfile", NULL);
  f->backend = g_keyfile_settings_backend_new (f->keyfile, "/", NULL);
  schemas_dir = g_build_filename (build, "data", NULL);
  f->legacy_dir = g_build_filename (build, "data", "legacy-schemas", NULL);
  f->schema = lookup (schemas_dir, APP_ID);
  f->legacy_schema = lookup (f->legacy_dir, LEGACY_APP_ID);
}

static void
fixture_tear_down (Fixture *f,
                   gconstpointer data)
{
  g_clear_pointer (&f->schema, g_settings_schema_unref);
  g_clear_pointer (&f->legacy_schema, g_settings_schema_unref);
  g_clear_object (&f->backend);
  mer_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->keyfile);
  g_free (f->legacy_dir);
}

static GSettings *
open_current (Fixture *f)
{
  return g_settings_new_full (f->schema, f->backend, NULL);
}

static GSettings *
open_legacy (Fixture *f)
{
  return g_settings_new_full (f->legacy_schema, f->backend, NULL);
}

/* What a person of 0.1.0 had changed from the defaults. */
static void
set_legacy_values (Fixture *f)
{
  g_autoptr (GSettings) legacy = open_legacy (f);

  g_settings_set_int (legacy, "window-width", 1300);
  g_settings_set_boolean (legacy, "window-maximized", TRUE);
  g_settings_set_string (legacy, "color-scheme", "dark");
  g_settings_set_string (legacy, "me", "person:ana");
  g_settings_set_string (legacy, "sync-url", "https://hub.example.org/handbook");
  g_settings_set_uint (legacy, "reminder-hours", 12);
  g_settings_set_boolean (legacy, "show-preview", FALSE);
  g_settings_sync ();
}

static void
test_carried_over (Fixture *f,
                   gconstpointer data)
{
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GSettings) legacy = NULL;
  g_autoptr (GVariant) height = NULL;
  g_autoptr (GVariant) me = NULL;
  g_autoptr (GVariant) legacy_me = NULL;

  set_legacy_values (f);
  settings = open_current (f);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1100);
  g_assert_false (g_settings_get_boolean (settings, "legacy-settings-migrated"));

  g_assert_cmpuint (mer_settings_migrate_legacy (settings, f->legacy_dir), ==, 7);

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1300);
  g_assert_true (g_settings_get_boolean (settings, "window-maximized"));
  g_assert_cmpint (g_settings_get_enum (settings, "color-scheme"), ==, 2);
  me = g_settings_get_value (settings, "me");
  g_assert_cmpstr (g_variant_get_string (me, NULL), ==, "person:ana");
  g_assert_cmpuint (g_settings_get_uint (settings, "reminder-hours"), ==, 12);
  g_assert_false (g_settings_get_boolean (settings, "show-preview"));
  g_assert_true (g_settings_get_boolean (settings, "legacy-settings-migrated"));

  /* A key left at its default under the old id is not written under the
   * new one: it stays a default that a later release may change. */
  height = g_settings_get_user_value (settings, "window-height");
  g_assert_null (height);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 760);

  /* The old settings are left as they were, for going back to 0.1.0. */
  legacy = open_legacy (f);
  g_assert_cmpint (g_settings_get_int (legacy, "window-width"), ==, 1300);
  legacy_me = g_settings_get_value (legacy, "me");
  g_assert_cmpstr (g_variant_get_string (legacy_me, NULL), ==, "person:ana");
}

static void
test_only_once (Fixture *f,
                gconstpointer data)
{
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GSettings) legacy = NULL;
  g_autoptr (GSettingsBackend) restarted = NULL;
  g_autoptr (GSettings) reopened = NULL;
  g_autofree char *me = NULL;

  set_legacy_values (f);
  settings = open_current (f);
  g_assert_cmpuint (mer_settings_migrate_legacy (settings, f->legacy_dir), ==, 7);

  /* The person changes things under the new id; an old copy of the app
   * changes things under the old one.  Neither is carried over again. */
  g_settings_set_string (settings, "me", "person:bo");
  legacy = open_legacy (f);
  g_settings_set_int (legacy, "window-width", 640);
  g_settings_set_uint (legacy, "max-attachment-mib", 5);
  g_settings_sync ();

  g_assert_cmpuint (mer_settings_migrate_legacy (settings, f->legacy_dir), ==, 0);
  me = g_settings_get_string (settings, "me");
  g_assert_cmpstr (me, ==, "person:bo");
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1300);
  g_assert_cmpuint (g_settings_get_uint (settings, "max-attachment-mib"), ==, 50);

  /* The mark survives a restart: a new backend over the same file. */
  restarted = g_keyfile_settings_backend_new (f->keyfile, "/", NULL);
  reopened = g_settings_new_full (f->schema, restarted, NULL);
  g_assert_true (g_settings_get_boolean (reopened, "legacy-settings-migrated"));
  g_assert_cmpuint (mer_settings_migrate_legacy (reopened, f->legacy_dir), ==, 0);
  g_assert_cmpint (g_settings_get_int (reopened, "window-width"), ==, 1300);
}

/* Every key but the mark is still unset, so every value is the default. */
static void
assert_all_defaults (Fixture *f,
                     GSettings *settings)
{
  g_auto (GStrv) keys = g_settings_schema_list_keys (f->schema);

  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr (GVariant) user = g_settings_get_user_value (settings, keys[i]);

      if (g_str_equal (keys[i], "legacy-settings-migrated"))
        continue;
      if (user != NULL)
        g_error ("%s was written: %s", keys[i], g_variant_print (user, TRUE));
    }
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1100);
  g_assert_cmpint (g_settings_get_enum (settings, "color-scheme"), ==, 0);
}

static void
test_fresh_user (Fixture *f,
                 gconstpointer data)
{
  g_autoptr (GSettings) settings = open_current (f);

  g_assert_cmpuint (mer_settings_migrate_legacy (settings, f->legacy_dir), ==, 0);
  g_assert_true (g_settings_get_boolean (settings, "legacy-settings-migrated"));
  assert_all_defaults (f, settings);
}

/*
 * An installation without the frozen schema (or with a damaged one) starts
 * with the defaults and does not look again: values found later would
 * overwrite what the person chose in the meantime.
 */
static void
test_missing_legacy_schema (Fixture *f,
                            gconstpointer data)
{
  const char *absent[] = { "no-such-folder", "empty", "damaged" };
  g_autofree char *empty = g_build_filename (f->dir, "empty", NULL);
  g_autofree char *damaged = g_build_filename (f->dir, "damaged", NULL);
  g_autofree char *compiled = g_build_filename (damaged, "gschemas.compiled", NULL);
  g_autoptr (GError) error = NULL;

  set_legacy_values (f);
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (damaged, 0700), ==, 0);
  g_assert_true (g_file_set_contents (compiled, "not a schema", -1, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (absent); i++)
    {
      g_autofree char *dir = g_build_filename (f->dir, absent[i], NULL);
      g_autoptr (GSettings) settings = open_current (f);

      g_settings_reset (settings, "legacy-settings-migrated");
      g_assert_cmpuint (mer_settings_migrate_legacy (settings, dir), ==, 0);
      g_assert_true (g_settings_get_boolean (settings, "legacy-settings-migrated"));
      assert_all_defaults (f, settings);
    }

  {
    g_autoptr (GSettings) settings = open_current (f);

    g_settings_reset (settings, "legacy-settings-migrated");
    g_assert_cmpuint (mer_settings_migrate_legacy (settings, NULL), ==, 0);
    g_assert_true (g_settings_get_boolean (settings, "legacy-settings-migrated"));
  }
}

/*
 * The way the app opens its settings: the default backend (memory, in the
 * tests) and the schemas the build compiled, found beside the program.
 */
static void
test_app_settings (void)
{
  g_autoptr (GSettingsSchema) legacy_schema = NULL;
  g_autoptr (GSettings) legacy = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GSettings) again = NULL;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autofree char *legacy_dir = g_build_filename (g_getenv ("MERIDIAN_BUILD_DIR"), "data",
                                                  "legacy-schemas", NULL);

  g_assert_cmpstr (g_getenv ("GSETTINGS_BACKEND"), ==, "memory");
  legacy_schema = lookup (legacy_dir, LEGACY_APP_ID);
  legacy = g_settings_new_full (legacy_schema, NULL, NULL);
  g_settings_set_int (legacy, "window-height", 900);
  g_settings_set_string (legacy, "last-page", "page:welcome");

  settings = mer_settings_new ();
  g_assert_nonnull (settings);
  g_object_get (settings, "settings-schema", &schema, NULL);
  g_assert_cmpstr (g_settings_schema_get_id (schema), ==, "io.github.meridian_handbook.Meridian");
  g_assert_cmpstr (g_settings_schema_get_path (schema), ==, "/io/github/meridian_handbook/Meridian/");
  g_assert_true (g_settings_get_boolean (settings, "legacy-settings-migrated"));
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 900);

  g_settings_set_int (legacy, "window-height", 500);
  again = mer_settings_new ();
  g_assert_cmpint (g_settings_get_int (again, "window-height"), ==, 900);
}

int
main (int argc,
      char *argv[])
{
  mer_test_init (&argc, &argv);

  g_test_add ("/settings/legacy/carried-over", Fixture, NULL,
              fixture_set_up, test_carried_over, fixture_tear_down);
  g_test_add ("/settings/legacy/only-once", Fixture, NULL,
              fixture_set_up, test_only_once, fixture_tear_down);
  g_test_add ("/settings/legacy/fresh-user", Fixture, NULL,
              fixture_set_up, test_fresh_user, fixture_tear_down);
  g_test_add ("/settings/legacy/missing-schema", Fixture, NULL,
              fixture_set_up, test_missing_legacy_schema, fixture_tear_down);
  g_test_add_func ("/settings/app", test_app_settings);
  return g_test_run ();
}
