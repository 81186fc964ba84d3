/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A peer the user syncs with, as kept in DATA_DIR/peers.json (mode 0600):
 * the database URL without credentials, and the account to use there.
 */
typedef struct
{
  char *url;       /* http(s)://host:port/db, no user info */
  char *username;  /* or NULL */
  char *password;  /* or NULL */
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
                                GError     **error);
gboolean   mer_peers_remove    (const char  *data_dir,
                                const char  *url,
                                GError     **error);
MerPeer   *mer_peers_lookup    (const char  *data_dir,
                                const char  *url);
void       mer_peer_free       (MerPeer     *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MerPeer, mer_peer_free)

G_END_DECLS
