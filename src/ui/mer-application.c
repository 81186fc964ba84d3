/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-application.h"
#include "mer-peers.h"
#include "mer-store-attachments.h"
#include "mer-core.h"

#include "mer-damaged-window.h"
#include "mer-db.h"
#include "mer-demo.h"
#include "mer-notifier.h"
#include "mer-preferences-window.h"
#include "mer-settings.h"
#include "mer-sharing.h"
#include "mer-store.h"
#include "mer-ui-util.h"
#include "mer-window.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * The application: one workspace (a data folder with the replica), its
 * sync, its settings and its window.  The replica opens when the app is
 * first activated; an empty one gets the demo handbook so a first run
 * shows something real.
 */

struct _MerApplication
{
  AdwApplication     parent_instance;

  char              *data_dir;
  char              *start_page;   /* --page, or NULL */
  MerStore          *store;
  MerSyncController *sync;
  MerSharing        *sharing;      /* Preferences › Sharing */
  GSettings         *settings;     /* NULL when the schema is not installed */
  gboolean           failed;       /* the workspace could not be opened */
  char              *damage;       /* why the workspace database is damaged,
                                    * when that is why it was not opened */
};

/* How often the store looks for commits made through other connections. */
#define STORE_WATCH_MS 250

G_DEFINE_FINAL_TYPE (MerApplication, mer_application, ADW_TYPE_APPLICATION)

static void
apply_color_scheme (MerApplication *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  g_autofree char *scheme = NULL;

  if (self->settings == NULL)
    return;
  scheme = g_settings_get_string (self->settings, "color-scheme");
  if (g_strcmp0 (scheme, "light") == 0)
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else if (g_strcmp0 (scheme, "dark") == 0)
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

static void
continuous_changed_cb (MerApplication *self)
{
  if (self->sync != NULL)
    mer_sync_controller_set_continuous (self->sync,
                                        g_settings_get_boolean (self->settings, "continuous-sync"));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing the windows lets them save their state and drafts first. */
  for (GList *l = g_list_copy (windows); l != NULL; l = g_list_delete_link (l, l))
    gtk_window_close (l->data);
  g_application_quit (app);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  MerApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *window;

  if (self->store == NULL)
    return;
  window = mer_preferences_window_new (self);
  gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { _("The Meridian contributors"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _("Meridian"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Meridian contributors"),
                        "developers", developers,
                        "comments", _("A handbook, proposals and decisions for teams that work "
                                      "across time zones. Every teammate keeps the whole of it, "
                                      "works offline and syncs peer to peer."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
sync_now_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  MerApplication *self = user_data;

  if (self->sync != NULL)
    mer_sync_controller_sync_now (self->sync);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "sync-now", sync_now_action },
};

static void
mer_application_startup (GApplication *app)
{
  MerApplication *self = MER_APPLICATION (app);
  GtkApplication *gtk_app = GTK_APPLICATION (app);
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *prefs_accels[] = { "<Control>comma", NULL };
  const char *sync_accels[] = { "<Control><Shift>s", NULL };
  const char *none[] = { NULL };

  mer_ui_bench_mark ("app-startup");
  G_APPLICATION_CLASS (mer_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (gtk_app, "app.quit", quit_accels);
  gtk_application_set_accels_for_action (gtk_app, "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (gtk_app, "app.sync-now", sync_accels);
  gtk_application_set_accels_for_action (gtk_app, "app.about", none);

  self->settings = mer_settings_new ();
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::color-scheme",
                               G_CALLBACK (apply_color_scheme), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::continuous-sync",
                               G_CALLBACK (continuous_changed_cb), self, G_CONNECT_SWAPPED);
    }
  apply_color_scheme (self);
}

/* Whether SQLite found the file itself damaged, or not a database at all,
 * as opposed to a folder that cannot be made or a disk that is full. */
static gboolean
is_damage (const GError *error)
{
  return error->domain == MER_DB_ERROR
         && ((error->code & 0xff) == SQLITE_CORRUPT || (error->code & 0xff) == SQLITE_NOTADB);
}

/*
 * Opens the replica and checks it as serve does (SQLite's quick check),
 * so that a damaged file is refused now, with a window that says so, and
 * not half-way through an edit or a sync. An empty replica gets the demo
 * (when it can be found).
 */
static gboolean
open_store (MerApplication  *self,
            GError         **error)
{
  g_autoptr(GError) demo_error = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean loaded = FALSE;

  if (self->data_dir == NULL)
    self->data_dir = g_build_filename (g_get_user_data_dir (), "meridian", NULL);
  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Cannot create the data folder %s: %s"), self->data_dir, g_strerror (errno));
      return FALSE;
    }
  self->store = mer_core_open_store (self->data_dir, &local_error);
  if (self->store == NULL)
    {
      if (is_damage (local_error))
        self->damage = g_strdup (local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  mer_ui_bench_mark ("store-opened");
  if (!mer_store_check_quick (self->store, &local_error))
    {
      self->damage = g_strdup (local_error->message);
      g_clear_object (&self->store);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  mer_ui_bench_mark ("store-checked");
  /* The workspace keeps the limit, so the replicator's connections and
   * `meridian serve` on the same data use it too. */
  if (self->settings != NULL)
    mer_store_set_max_attachment_size (self->store,
                                       (guint64) g_settings_get_uint (self->settings, "max-attachment-mib")
                                       * 1024 * 1024);
  /* The replicator and other processes write through connections of
   * their own: let "changed" fire for their commits too, so every view
   * just listens to the store instead of polling it. */
  mer_store_watch_others (self->store, STORE_WATCH_MS);

  if (!mer_demo_load_if_empty (self->store, NULL, &loaded, &demo_error))
    g_warning ("Could not load the demo workspace: %s", demo_error->message);
  else if (loaded)
    g_debug ("Loaded the demo workspace into %s", self->data_dir);

  mer_ui_bench_mark ("demo-checked");
  /* Passwords that peers.json holds (from before the keyring, or kept
   * there when none answered) move into it now; with no keyring they
   * stay, and Preferences says so. */
  if (mer_peers_count_in_file (self->data_dir) > 0)
    {
      g_autoptr(GError) keyring_error = NULL;
      guint moved = 0;

      if (!mer_peers_move_to_keyring (self->data_dir, &moved, &keyring_error))
        g_debug ("Peer passwords stay in %s: %s", MER_PEERS_FILE_NAME, keyring_error->message);
      else
        g_debug ("Moved %u peer passwords into the keyring", moved);
    }
  self->sync = mer_sync_controller_new (self->store);
  g_object_set_data_full (G_OBJECT (self), "mer-notifier", mer_notifier_new (self->store, G_APPLICATION (self)), g_object_unref);
  if (self->settings != NULL)
    mer_sync_controller_set_continuous (self->sync, g_settings_get_boolean (self->settings, "continuous-sync"));
  mer_sync_controller_reload_peers (self->sync);

  self->sharing = mer_sharing_new (self->store);
  if (self->settings != NULL && g_settings_get_boolean (self->settings, "share-workspace"))
    {
      guint port = g_settings_get_uint (self->settings, "share-port");

      /* Not fatal: Preferences says why, and the switch stays as set. */
      if (!mer_sharing_start (self->sharing, (guint16) port, &local_error))
        g_warning ("Cannot share the workspace on port %u: %s", port, local_error->message);
    }
  return TRUE;
}

static void
restore_window_size (MerApplication *self,
                     GtkWindow      *window)
{
  if (self->settings == NULL || g_getenv ("MERIDIAN_WINDOW_SIZE") != NULL)
    {
      int width = 0;
      int height = 0;

      if (g_getenv ("MERIDIAN_WINDOW_SIZE") != NULL
          && sscanf (g_getenv ("MERIDIAN_WINDOW_SIZE"), "%dx%d", &width, &height) == 2)
        gtk_window_set_default_size (window, width, height);
      return;
    }
  gtk_window_set_default_size (window,
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (window);
}

static gboolean
window_close_request_cb (GtkWindow      *window,
                         MerApplication *self)
{
  int width;
  int height;

  if (self->settings == NULL || g_getenv ("MERIDIAN_WINDOW_SIZE") != NULL)
    return FALSE;
  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  return FALSE;
}

static void
mer_application_activate (GApplication *app)
{
  MerApplication *self = MER_APPLICATION (app);
  g_autoptr(GError) error = NULL;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  mer_ui_bench_mark ("app-activate");
  if (self->store == NULL && !open_store (self, &error))
    {
      self->failed = TRUE;
      if (self->damage != NULL)
        {
          g_autofree char *db_path = g_build_filename (self->data_dir, MER_STORE_FILE_NAME, NULL);

          g_printerr ("meridian: %s\n", _("the workspace database is damaged and was not opened"));
          g_printerr ("meridian: %s: %s\n", db_path, self->damage);
          /* The window says what is wrong and what to do; the app ends
           * when it is closed. */
          window = GTK_WINDOW (mer_damaged_window_new (GTK_APPLICATION (app), db_path, self->damage));
          gtk_window_present (window);
          return;
        }
      g_printerr ("meridian: %s\n", error->message);
      g_application_quit (app);
      return;
    }

  mer_ui_bench_mark ("store-open");
  window = GTK_WINDOW (mer_window_new (GTK_APPLICATION (app), self->store));
  restore_window_size (self, window);
  g_signal_connect_object (window, "close-request", G_CALLBACK (window_close_request_cb), self, 0);
  if (self->start_page != NULL)
    mer_window_open_doc (MER_WINDOW (window), self->start_page);
  gtk_window_present (window);
}

static int
mer_application_handle_local_options (GApplication *app,
                                      GVariantDict *options)
{
  MerApplication *self = MER_APPLICATION (app);
  const char *page = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("meridian %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "page", "&s", &page))
    {
      g_free (self->start_page);
      self->start_page = g_str_has_prefix (page, "page:") || strchr (page, ':') != NULL
                         ? g_strdup (page) : g_strconcat ("page:", page, NULL);
    }
  return -1;
}

static void
mer_application_dispose (GObject *object)
{
  MerApplication *self = MER_APPLICATION (object);

  if (self->sync != NULL)
    mer_sync_controller_stop (self->sync);
  g_clear_object (&self->sync);
  g_clear_object (&self->sharing);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (mer_application_parent_class)->dispose (object);
}

static void
mer_application_finalize (GObject *object)
{
  MerApplication *self = MER_APPLICATION (object);

  g_free (self->data_dir);
  g_free (self->start_page);
  g_free (self->damage);
  G_OBJECT_CLASS (mer_application_parent_class)->finalize (object);
}

static void
mer_application_class_init (MerApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = mer_application_dispose;
  object_class->finalize = mer_application_finalize;
  app_class->startup = mer_application_startup;
  app_class->activate = mer_application_activate;
  app_class->handle_local_options = mer_application_handle_local_options;
}

static const GOptionEntry option_entries[] = {
  { "page", 'p', 0, G_OPTION_ARG_STRING, NULL, N_("Open this page (an id such as page:on-call)"), N_("ID") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

static void
mer_application_init (MerApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

/*
 * @data_dir: the workspace folder, or NULL for $XDG_DATA_HOME/meridian.
 * An explicit folder runs a separate instance: a second workspace must
 * not be handed to a window already showing another one.
 */
MerApplication *
mer_application_new (const char *data_dir)
{
  MerApplication *self;

  self = g_object_new (MER_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", data_dir != NULL ? G_APPLICATION_NON_UNIQUE : G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", APP_RESOURCE_PATH,
                       NULL);
  self->data_dir = g_strdup (data_dir);
  return self;
}

MerStore *
mer_application_get_store (MerApplication *self)
{
  g_return_val_if_fail (MER_IS_APPLICATION (self), NULL);
  return self->store;
}

MerSyncController *
mer_application_get_sync (MerApplication *self)
{
  g_return_val_if_fail (MER_IS_APPLICATION (self), NULL);
  return self->sync;
}

/* The workspace's sharing, once the workspace is open; NULL before. */
MerSharing *
mer_application_get_sharing (MerApplication *self)
{
  g_return_val_if_fail (MER_IS_APPLICATION (self), NULL);
  return self->sharing;
}

GSettings *
mer_application_get_settings (MerApplication *self)
{
  g_return_val_if_fail (MER_IS_APPLICATION (self), NULL);
  return self->settings;
}

const char *
mer_application_get_data_dir (MerApplication *self)
{
  g_return_val_if_fail (MER_IS_APPLICATION (self), NULL);
  return self->data_dir;
}

/* Whether the app stopped because its workspace could not be opened. */
gboolean
mer_application_get_failed (MerApplication *self)
{
  g_return_val_if_fail (MER_IS_APPLICATION (self), TRUE);
  return self->failed;
}
