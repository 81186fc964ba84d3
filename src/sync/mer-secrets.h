/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Passwords of peers and hubs in the Secret Service (GNOME Keyring, KWallet
 * and the like) through libsecret: one item per database URL and user name.
 */

#define MER_SECRETS_ERROR (mer_secrets_error_quark ())

typedef enum
{
  MER_SECRETS_ERROR_NO_KEYRING,  /* no Secret Service answers */
  MER_SECRETS_ERROR_FAILED,      /* it answered, and refused */
} MerSecretsError;

GQuark    mer_secrets_error_quark (void);

gboolean  mer_secrets_check       (GError     **error);
gboolean  mer_secrets_store       (const char  *url,
                                   const char  *username,
                                   const char  *password,
                                   GError     **error);
char     *mer_secrets_lookup      (const char  *url,
                                   const char  *username,
                                   GError     **error);
gboolean  mer_secrets_clear       (const char  *url,
                                   const char  *username,
                                   GError     **error);

G_END_DECLS
