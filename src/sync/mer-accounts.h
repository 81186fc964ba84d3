/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * The accounts that may use the peer server, kept in DATA_DIR/accounts.json
 * (mode 0600) with passwords stored only as salted Argon2id hashes.
 */

typedef enum
{
  MER_ROLE_NONE, /* unknown account or wrong password */
  MER_ROLE_RO,   /* may read and replicate from us */
  MER_ROLE_RW,   /* may also write */
} MerRole;

#define MER_ACCOUNTS_FILE_NAME      "accounts.json"
#define MER_ACCOUNTS_SEEN_FILE_NAME "accounts-seen.json"
#define MER_ACCOUNTS_MAX_NAME       64
#define MER_ACCOUNTS_MAX_PASSWORD   1024

#define MER_ACCOUNTS_ERROR (mer_accounts_error_quark ())

typedef enum
{
  MER_ACCOUNTS_ERROR_INVALID,   /* bad name, role or password */
  MER_ACCOUNTS_ERROR_NOT_FOUND, /* no such account */
  MER_ACCOUNTS_ERROR_FAILED,    /* the file or the hash failed */
} MerAccountsError;

#define MER_TYPE_ACCOUNTS (mer_accounts_get_type ())
G_DECLARE_FINAL_TYPE (MerAccounts, mer_accounts, MER, ACCOUNTS, GObject)

GQuark mer_accounts_error_quark (void);

MerAccounts *mer_accounts_new (const char *data_dir);
const char *mer_accounts_get_path (MerAccounts *self);
gboolean mer_accounts_reload (MerAccounts *self,
                              GError **error);
guint mer_accounts_count (MerAccounts *self);
gboolean mer_accounts_add (MerAccounts *self,
                           const char *name,
                           const char *password,
                           MerRole role,
                           gboolean *out_replaced,
                           GError **error);
gboolean mer_accounts_add_full (MerAccounts *self,
                                const char *name,
                                const char *password,
                                MerRole role,
                                gint64 expires,
                                gboolean *out_replaced,
                                GError **error);
gint64 mer_accounts_get_expires (MerAccounts *self,
                                 const char *name);
gboolean mer_accounts_remove (MerAccounts *self,
                              const char *name,
                              GError **error);
gboolean mer_accounts_set_role (MerAccounts *self,
                                const char *name,
                                MerRole role,
                                GError **error);
JsonArray *mer_accounts_list (MerAccounts *self);
void mer_accounts_note_seen (MerAccounts *self,
                             const char *name);
gint64 mer_accounts_last_seen (MerAccounts *self,
                               const char *name);
MerRole mer_accounts_verify (MerAccounts *self,
                             const char *name,
                             const char *password);
MerRole mer_accounts_lookup (MerAccounts *self,
                             const char *name,
                             char **out_stamp);
gboolean mer_accounts_check_name (const char *name,
                                  GError **error);
gboolean mer_accounts_parse_basic (const char *authorization,
                                   char **out_name,
                                   char **out_password);
const char *mer_role_to_string (MerRole role);
MerRole mer_role_from_string (const char *text);

G_END_DECLS
