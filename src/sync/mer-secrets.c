/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Peer passwords in the Secret Service.
 *
 * Each password is one item of a schema named after the application id,
 * keyed by the database URL (without user info) and the user name, so the
 * same person may hold accounts on several hubs, and several accounts on
 * one. Every libsecret error is turned into one of two plain reasons: no
 * keyring answers at all (the caller may then offer the 0600 file, with the
 * person's consent), or the keyring answered and did not do it.
 */

#include "config.h"

#include "mer-secrets.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

G_DEFINE_QUARK (mer-secrets-error-quark, mer_secrets_error)

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    APP_ID, SECRET_SCHEMA_NONE,
    {
      { "url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

/*
 * Whether @error says that nobody answered on the bus for the Secret
 * Service (no session bus, no keyring daemon, none that can be started),
 * as opposed to a keyring that answered with a refusal.
 */
static gboolean
is_no_service (const GError *error)
{
  if (error->domain == G_DBUS_ERROR)
    return error->code == G_DBUS_ERROR_SERVICE_UNKNOWN
           || error->code == G_DBUS_ERROR_NAME_HAS_NO_OWNER
           || error->code == G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND
           || error->code == G_DBUS_ERROR_SPAWN_EXEC_FAILED
           || error->code == G_DBUS_ERROR_SPAWN_CHILD_EXITED
           || error->code == G_DBUS_ERROR_NO_REPLY
           || error->code == G_DBUS_ERROR_TIMEOUT
           || error->code == G_DBUS_ERROR_DISCONNECTED
           || error->code == G_DBUS_ERROR_FILE_NOT_FOUND
           || error->code == G_DBUS_ERROR_NO_SERVER
           || error->code == G_DBUS_ERROR_NOT_SUPPORTED;
  /* No session bus at all: GIO reports it as an I/O or a D-Bus address error. */
  return error->domain == G_IO_ERROR;
}

/* Replaces a libsecret error by one that says what it means for the person. */
static void
set_error (GError     **error,
           GError      *cause,
           const char  *what_failed)
{
  if (is_no_service (cause))
    g_set_error (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING,
                 _("No keyring answers (no Secret Service on this session), so the password "
                   "cannot be kept safely"));
  else
    g_set_error (error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_FAILED,
                 "%s: %s", what_failed, cause->message);
  g_debug ("libsecret: %s", cause->message);
}

/*
 * Asks whether a Secret Service answers on the session bus: opens a
 * session with it, which starts the keyring daemon where the session can
 * start it, and never prompts.
 */
gboolean
mer_secrets_check (GError **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) local_error = NULL;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, &local_error);
  if (service == NULL)
    {
      set_error (error, local_error, _("The keyring did not answer"));
      return FALSE;
    }
  return TRUE;
}

/* Stores (or replaces) the password of @username at @url. */
gboolean
mer_secrets_store (const char  *url,
                   const char  *username,
                   const char  *password,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  /* Translators: the keyring item's name, "Meridian: ana at https://hub/db". */
  label = g_strdup_printf (_("Meridian: %s at %s"), username, url);
  if (!secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                                   NULL, &local_error, "url", url, "user", username, NULL))
    {
      set_error (error, local_error, _("The keyring did not save the password"));
      return FALSE;
    }
  return TRUE;
}

/*
 * The password of @username at @url, or NULL: with @error set when the
 * keyring could not be asked, without when it holds none.
 */
char *
mer_secrets_lookup (const char  *url,
                    const char  *username,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *secret;
  char *password;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  secret = secret_password_lookup_nonpageable_sync (get_schema (), NULL, &local_error,
                                                    "url", url, "user", username, NULL);
  if (local_error != NULL)
    {
      set_error (error, local_error, _("The keyring did not give the password"));
      return NULL;
    }
  if (secret == NULL)
    return NULL;
  /* The callers keep it in ordinary memory and wipe it when done. */
  password = g_strdup (secret);
  secret_password_free (secret);
  return password;
}

/* Removes the password of @username at @url; none there is no error. */
gboolean
mer_secrets_clear (const char  *url,
                   const char  *username,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);

  secret_password_clear_sync (get_schema (), NULL, &local_error,
                              "url", url, "user", username, NULL);
  if (local_error != NULL)
    {
      set_error (error, local_error, _("The keyring did not remove the password"));
      return FALSE;
    }
  return TRUE;
}
