/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-accounts.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Invites: an account made for a teammate with a random secret as its
 * password, refused after an expiry unless it was used before then (see
 * mer_accounts_add_full()), handed over as one link:
 *
 *   meridian:join?url=https://host:5985/handbook&user=NAME&secret=SECRET
 *                &fp=SHA256-FINGERPRINT&expires=2026-12-13T04:00:00Z
 *
 * DATA_DIR/invites.json (mode 0600) lists the invites made here, with
 * their role and expiry; never the secret, which lives only in the link
 * and, hashed, as the account's password.
 */

#define MER_INVITES_FILE_NAME    "invites.json"
#define MER_INVITES_DEFAULT_DAYS 7
#define MER_INVITES_MAX_DAYS     365
#define MER_INVITE_SECRET_BYTES  24 /* 32 characters of URL-safe base64 */

#define MER_INVITES_ERROR (mer_invites_error_quark ())

typedef enum
{
  MER_INVITES_ERROR_MALFORMED, /* not an invite link */
  MER_INVITES_ERROR_EXPIRED,   /* its expiry has passed */
  MER_INVITES_ERROR_FAILED,
} MerInvitesError;

typedef struct
{
  char *url; /* https://host:port/db */
  char *user;
  char *secret;
  char *fingerprint; /* normalised SHA-256 fingerprint */
  gint64 expires;    /* Unix seconds, or 0 when the link does not say */
} MerInviteLink;

GQuark mer_invites_error_quark (void);

MerInviteLink *mer_invite_link_parse (const char *text,
                                      GError **error);
char *mer_invite_link_format (const MerInviteLink *link);
gboolean mer_invite_link_check_expiry (const MerInviteLink *link,
                                       GError **error);
void mer_invite_link_free (MerInviteLink *link);

MerInviteLink *mer_invites_create (const char *data_dir,
                                   const char *url,
                                   const char *fingerprint,
                                   const char *name,
                                   MerRole role,
                                   gint64 expires,
                                   GError **error);
JsonArray *mer_invites_list (const char *data_dir);
gboolean mer_invites_revoke (const char *data_dir,
                             const char *name,
                             GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerInviteLink, mer_invite_link_free)

G_END_DECLS
