/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-sharing.h"

#include "mer-accounts.h"
#include "mer-server.h"
#include "mer-tls.h"

#include <glib/gi18n.h>

struct _MerSharing
{
  GObject parent_instance;

  MerStore *store;
  MerServer *server; /* while sharing */
  char *url;         /* https://HOST:PORT/NAME, while sharing */
  char *fingerprint; /* of the certificate, once known */
  guint16 port;
};

enum
{
  PROP_0,
  PROP_ACTIVE,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MerSharing, mer_sharing, G_TYPE_OBJECT)

static void
mer_sharing_dispose (GObject *object)
{
  MerSharing *self = MER_SHARING (object);

  if (self->server != NULL)
    mer_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (mer_sharing_parent_class)->dispose (object);
}

static void
mer_sharing_finalize (GObject *object)
{
  MerSharing *self = MER_SHARING (object);

  g_free (self->url);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (mer_sharing_parent_class)->finalize (object);
}

static void
mer_sharing_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  MerSharing *self = MER_SHARING (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->server != NULL);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mer_sharing_class_init (MerSharingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mer_sharing_dispose;
  object_class->finalize = mer_sharing_finalize;
  object_class->get_property = mer_sharing_get_property;

  properties[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mer_sharing_init (MerSharing *self)
{
}

MerSharing *
mer_sharing_new (MerStore *store)
{
  MerSharing *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_SHARING, NULL);
  self->store = g_object_ref (store);
  return self;
}

/*
 * Starts serving on @port of every interface (0: one the system picks).
 * The certificate is made on first use. On failure nothing is served and
 * @error says why in words a person can act on (the port is taken…).
 */
gboolean
mer_sharing_start (MerSharing *self,
                   guint16 port,
                   GError **error)
{
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (MerAccounts) accounts = NULL;
  g_autoptr (MerServer) server = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *address = NULL;
  const char *data_dir;

  g_return_val_if_fail (MER_IS_SHARING (self), FALSE);

  if (self->server != NULL)
    {
      if (port == 0 || port == self->port)
        return TRUE;
      mer_sharing_stop (self);
    }

  data_dir = mer_store_get_data_dir (self->store);
  certificate = mer_tls_ensure_certificate (data_dir, NULL, error);
  if (certificate == NULL)
    return FALSE;
  accounts = mer_accounts_new (data_dir);
  if (!mer_accounts_reload (accounts, error))
    return FALSE;
  /* Without accounts the server trusts this machine alone: nobody else
   * could connect, so sharing would only seem to work. */
  if (mer_accounts_count (accounts) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _ ("No teammate has an account yet: add one with “meridian user add NAME”, then share"));
      return FALSE;
    }
  server = mer_server_new (self->store, accounts);
  address = g_strdup_printf ("0.0.0.0:%u", port);
  if (!mer_server_listen (server, address, certificate, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                     _ ("Port %u is in use by another program; choose another port"), port);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  self->server = g_steal_pointer (&server);
  self->port = mer_server_get_port (self->server);
  g_free (self->fingerprint);
  self->fingerprint = mer_tls_fingerprint (certificate);
  g_free (self->url);
  self->url = g_strdup_printf ("https://%s:%u/%s", g_get_host_name (), self->port,
                               mer_store_get_name (self->store));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
  return TRUE;
}

void
mer_sharing_stop (MerSharing *self)
{
  g_return_if_fail (MER_IS_SHARING (self));

  if (self->server == NULL)
    return;
  mer_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->url, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

gboolean
mer_sharing_get_active (MerSharing *self)
{
  g_return_val_if_fail (MER_IS_SHARING (self), FALSE);
  return self->server != NULL;
}

/* The port being served, or the last one served. */
guint16
mer_sharing_get_port (MerSharing *self)
{
  g_return_val_if_fail (MER_IS_SHARING (self), 0);
  return self->port;
}

/* The workspace shared. */
MerStore *
mer_sharing_get_store (MerSharing *self)
{
  g_return_val_if_fail (MER_IS_SHARING (self), NULL);
  return self->store;
}

const char *
mer_sharing_get_url (MerSharing *self)
{
  g_return_val_if_fail (MER_IS_SHARING (self), NULL);
  return self->url;
}

/* "SHA256 AB:…" of the certificate served, or NULL before the first start. */
const char *
mer_sharing_get_fingerprint (MerSharing *self)
{
  g_return_val_if_fail (MER_IS_SHARING (self), NULL);
  return self->fingerprint;
}
