/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where a peer's password lives: peers.json says it as "password_in". */
typedef enum
{
  MER_PASSWORD_NONE,     /* no password */
  MER_PASSWORD_KEYRING,  /* "keyring": in the Secret Service (mer-secrets) */
  MER_PASSWORD_FILE,     /* "file": in peers.json, as the person agreed */
  MER_PASSWORD_UNMOVED,  /* in peers.json from before the keyring: moves
                          * there on the next start that finds one */
} MerPasswordPlace;

/*
 * A peer the user syncs with, as kept in DATA_DIR/peers.json (mode 0600):
 * the database URL without credentials, and the account to use there.
 */
typedef struct
{
  char             *url;          /* http(s)://host:port/db, no user info */
  char             *username;     /* or NULL */
  char             *password;     /* or NULL; see password_in */
  MerPasswordPlace  password_in;
} MerPeer;

#define MER_PEERS_FILE_NAME "peers.json"

char      *mer_peers_split_url (const char  *url,
                                char       **username,
                                char       **password,
                                GError     **error);
GPtrArray *mer_peers_list      (const char  *data_dir,
                                GError     **error);
gboolean   mer_peers_add       (const char  *data_dir,
                                const char  *url,
                                const char  *username,
                                const char  *password,
                                gboolean     file_allowed,
                                GError     **error);
gboolean   mer_peers_remove    (const char  *data_dir,
                                const char  *url,
                                GError     **error);
MerPeer   *mer_peers_lookup    (const char  *data_dir,
                                const char  *url);
guint      mer_peers_count_unmoved (const char *data_dir);
guint      mer_peers_count_in_file (const char *data_dir);
gboolean   mer_peers_move_to_keyring (const char  *data_dir,
                                      guint       *n_moved,
                                      GError     **error);
gboolean   mer_peers_keep_in_file (const char  *data_dir,
                                   GError     **error);
void       mer_peer_free       (MerPeer     *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerPeer, mer_peer_free)

G_END_DECLS
