/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The list of peers a replica syncs with, and their credentials.
 *
 * Passwords live in the Secret Service (mer-secrets): peers.json says only
 * "password_in": "keyring" for them. When no keyring answers, a password
 * may stay in the file ("password_in": "file") only if the person agreed
 * to it (the file_allowed argument, Preferences' Keep in File, see
 * mer_peers_keep_in_file()); the file is created with mode 0600 and
 * rewritten atomically, and its permissions are tightened if someone
 * loosened them. Passwords written by versions before the keyring have no
 * "password_in": they move to the keyring on the next start that finds
 * one (mer_peers_move_to_keyring()), and are used where they are until
 * then.
 */

#include "config.h"

#include "mer-peers.h"
#include "mer-json.h"
#include "mer-secrets.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

void
mer_peer_free (MerPeer *peer)
{
  if (peer == NULL)
    return;
  g_free (peer->url);
  g_free (peer->username);
  if (peer->password != NULL)
    memset (peer->password, 0, strlen (peer->password));
  g_free (peer->password);
  g_free (peer);
}

/*
 * Splits "http(s)://user:pass@host:port/db/" into the URL without user info
 * or trailing slash, and the unescaped user name and password (NULL when
 * absent). Anything but an http(s) URL with a host is refused.
 */
char *
mer_peers_split_url (const char  *url,
                     char       **username,
                     char       **password,
                     GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) bare = NULL;
  g_autofree char *path = NULL;
  g_autofree char *lower = NULL;
  const char *scheme;

  g_return_val_if_fail (url != NULL, NULL);

  if (username)
    *username = NULL;
  if (password)
    *password = NULL;

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || scheme == NULL
      || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an http:// or https:// address of a database"), url);
      return NULL;
    }

  if (username && g_uri_get_user (uri) != NULL && *g_uri_get_user (uri) != '\0')
    *username = g_uri_unescape_string (g_uri_get_user (uri), NULL);
  if (password && g_uri_get_password (uri) != NULL)
    *password = g_uri_unescape_string (g_uri_get_password (uri), NULL);

  path = g_strdup (g_uri_get_path (uri));
  while (path[0] != '\0' && g_str_has_suffix (path, "/"))
    path[strlen (path) - 1] = '\0';

  lower = g_ascii_strdown (scheme, -1);
  bare = g_uri_build (G_URI_FLAGS_ENCODED, lower, NULL,
                      g_uri_get_host (uri), g_uri_get_port (uri), path,
                      g_uri_get_query (uri), NULL);
  return g_uri_to_string (bare);
}

static char *
peers_path (const char *data_dir)
{
  return g_build_filename (data_dir, MER_PEERS_FILE_NAME, NULL);
}

/* Reads the peer list; a missing file is an empty list. */
GPtrArray *
mer_peers_list (const char  *data_dir,
                GError     **error)
{
  g_autoptr(GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_peer_free);
  g_autofree char *path = peers_path (data_dir);
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonArray *list;
  GStatBuf st;

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&peers);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (g_stat (path, &st) == 0 && (st.st_mode & 077) != 0)
    {
      g_warning ("%s was readable by others; restricting it to its owner", path);
      g_chmod (path, 0600);
    }

  root = mer_json_parse_object (text, -1, error);
  if (root == NULL)
    {
      g_prefix_error (error, _("Could not read %s: "), path);
      return NULL;
    }
  list = json_object_has_member (root, "peers") ? json_object_get_array_member (root, "peers") : NULL;
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *item;
      MerPeer *peer;
      const char *place;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      item = json_node_get_object (node);
      if (mer_json_get_string (item, "url") == NULL)
        continue;
      peer = g_new0 (MerPeer, 1);
      peer->url = g_strdup (mer_json_get_string (item, "url"));
      peer->username = g_strdup (mer_json_get_string (item, "username"));
      place = mer_json_get_string (item, "password_in");
      if (g_strcmp0 (place, "keyring") == 0)
        peer->password_in = MER_PASSWORD_KEYRING;
      else
        peer->password = g_strdup (mer_json_get_string (item, "password"));
      if (peer->password != NULL)
        peer->password_in = g_strcmp0 (place, "file") == 0 ? MER_PASSWORD_FILE : MER_PASSWORD_UNMOVED;
      g_ptr_array_add (peers, peer);
    }
  return g_steal_pointer (&peers);
}

static gboolean
save_peers (const char  *data_dir,
            GPtrArray   *peers,
            GError     **error)
{
  g_autofree char *path = peers_path (data_dir);
  g_autoptr(JsonObject) root = json_object_new ();
  g_autoptr(JsonArray) list = json_array_new ();
  g_autofree char *text = NULL;

  for (guint i = 0; i < peers->len; i++)
    {
      MerPeer *peer = g_ptr_array_index (peers, i);
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "url", peer->url);
      if (peer->username)
        json_object_set_string_member (item, "username", peer->username);
      if (peer->password_in == MER_PASSWORD_KEYRING)
        json_object_set_string_member (item, "password_in", "keyring");
      else if (peer->password != NULL)
        {
          if (peer->password_in == MER_PASSWORD_FILE)
            json_object_set_string_member (item, "password_in", "file");
          json_object_set_string_member (item, "password", peer->password);
        }
      json_array_add_object_element (list, item);
    }
  json_object_set_array_member (root, "peers", g_steal_pointer (&list));
  text = mer_json_object_to_string (root, TRUE);

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _("Could not create %s"), data_dir);
      return FALSE;
    }
  return g_file_set_contents_full (path, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

static gint
find_peer (GPtrArray  *peers,
           const char *url)
{
  for (guint i = 0; i < peers->len; i++)
    if (g_strcmp0 (((MerPeer *) g_ptr_array_index (peers, i))->url, url) == 0)
      return (gint) i;
  return -1;
}

/* The user name a password is kept under in the keyring. */
static const char *
keyring_user (const MerPeer *peer)
{
  return peer->username != NULL ? peer->username : "";
}

/* Forgets the keyring's copy of @peer's password, when it has one. */
static void
forget_password (const MerPeer *peer)
{
  g_autoptr(GError) error = NULL;

  if (peer->password_in == MER_PASSWORD_KEYRING
      && !mer_secrets_clear (peer->url, keyring_user (peer), &error))
    g_warning ("Could not remove the password of %s from the keyring: %s", peer->url, error->message);
}

/*
 * Adds a peer or replaces the one with the same URL. Credentials may come
 * in the URL or as arguments; the arguments win. A password goes to the
 * keyring; when none answers, it goes to the file only with
 * @file_allowed (the person agreed), and otherwise nothing changes and the
 * error is MER_SECRETS_ERROR_NO_KEYRING.
 */
gboolean
mer_peers_add (const char  *data_dir,
               const char  *url,
               const char  *username,
               const char  *password,
               gboolean     file_allowed,
               GError     **error)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url_user = NULL;
  g_autofree char *url_pass = NULL;
  g_autofree char *bare = NULL;
  g_autoptr(MerPeer) peer = NULL;
  gint index;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  bare = mer_peers_split_url (url, &url_user, &url_pass, error);
  if (bare == NULL)
    return FALSE;
  peers = mer_peers_list (data_dir, error);
  if (peers == NULL)
    return FALSE;

  peer = g_new0 (MerPeer, 1);
  peer->url = g_steal_pointer (&bare);
  peer->username = g_strdup (username ? username : url_user);
  peer->password = g_strdup (password ? password : url_pass);
  if (url_pass != NULL)
    memset (url_pass, 0, strlen (url_pass));

  if (peer->password != NULL)
    {
      if (mer_secrets_store (peer->url, keyring_user (peer), peer->password, &local_error))
        {
          peer->password_in = MER_PASSWORD_KEYRING;
          memset (peer->password, 0, strlen (peer->password));
          g_clear_pointer (&peer->password, g_free);
        }
      else if (file_allowed && g_error_matches (local_error, MER_SECRETS_ERROR, MER_SECRETS_ERROR_NO_KEYRING))
        peer->password_in = MER_PASSWORD_FILE;
      else
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  index = find_peer (peers, peer->url);
  if (index >= 0)
    {
      MerPeer *old = g_ptr_array_index (peers, index);

      /* The keyring keeps one item per URL and user: a new user name, or
       * no password now, leaves the old item behind otherwise. */
      if (peer->password_in != MER_PASSWORD_KEYRING || g_strcmp0 (keyring_user (old), keyring_user (peer)) != 0)
        forget_password (old);
      g_ptr_array_remove_index (peers, index);
    }
  g_ptr_array_add (peers, g_steal_pointer (&peer));
  return save_peers (data_dir, peers, error);
}

gboolean
mer_peers_remove (const char  *data_dir,
                  const char  *url,
                  GError     **error)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *bare = NULL;
  gint index;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  bare = mer_peers_split_url (url, NULL, NULL, error);
  if (bare == NULL)
    return FALSE;
  peers = mer_peers_list (data_dir, error);
  if (peers == NULL)
    return FALSE;
  index = find_peer (peers, bare);
  if (index < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No peer “%s”"), bare);
      return FALSE;
    }
  forget_password (g_ptr_array_index (peers, index));
  g_ptr_array_remove_index (peers, index);
  return save_peers (data_dir, peers, error);
}

/*
 * The stored peer for a URL (with or without user info), or NULL, with its
 * password, from the keyring when it is there. A keyring that does not
 * answer leaves the password NULL, and the sync then says the peer needs
 * one.
 */
MerPeer *
mer_peers_lookup (const char *data_dir,
                  const char *url)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autofree char *bare = NULL;
  g_autoptr(GError) error = NULL;
  MerPeer *peer;
  gint index;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  bare = mer_peers_split_url (url, NULL, NULL, NULL);
  peers = bare ? mer_peers_list (data_dir, NULL) : NULL;
  if (peers == NULL)
    return NULL;
  index = find_peer (peers, bare);
  if (index < 0)
    return NULL;
  peer = g_ptr_array_steal_index (peers, index);
  if (peer->password_in == MER_PASSWORD_KEYRING)
    {
      peer->password = mer_secrets_lookup (peer->url, keyring_user (peer), &error);
      if (error != NULL)
        g_warning ("The password of %s: %s", peer->url, error->message);
    }
  return peer;
}

/* How many passwords in peers.json wait to move to the keyring. */
guint
mer_peers_count_unmoved (const char *data_dir)
{
  g_autoptr(GPtrArray) peers = mer_peers_list (data_dir, NULL);
  guint n = 0;

  for (guint i = 0; peers != NULL && i < peers->len; i++)
    if (((MerPeer *) g_ptr_array_index (peers, i))->password_in == MER_PASSWORD_UNMOVED)
      n++;
  return n;
}

/* How many passwords peers.json holds, kept there or waiting to move. */
guint
mer_peers_count_in_file (const char *data_dir)
{
  g_autoptr(GPtrArray) peers = mer_peers_list (data_dir, NULL);
  guint n = 0;

  for (guint i = 0; peers != NULL && i < peers->len; i++)
    if (((MerPeer *) g_ptr_array_index (peers, i))->password != NULL)
      n++;
  return n;
}

/*
 * Moves the passwords that peers.json holds into the keyring, and removes
 * them from the file: those from before the keyring, and those the person
 * kept there because no keyring answered then (the file was the fallback,
 * not the choice). Each is in the keyring before the file forgets it, so
 * a failure halfway loses none. With no keyring, the error is
 * MER_SECRETS_ERROR_NO_KEYRING and the file is unchanged.
 */
gboolean
mer_peers_move_to_keyring (const char  *data_dir,
                           guint       *n_moved,
                           GError     **error)
{
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) local_error = NULL;
  guint moved = 0;

  g_return_val_if_fail (data_dir != NULL, FALSE);

  if (n_moved)
    *n_moved = 0;
  peers = mer_peers_list (data_dir, error);
  if (peers == NULL)
    return FALSE;
  for (guint i = 0; i < peers->len; i++)
    {
      MerPeer *peer = g_ptr_array_index (peers, i);

      if (peer->password == NULL)
        continue;
      if (!mer_secrets_store (peer->url, keyring_user (peer), peer->password, &local_error))
        break;
      memset (peer->password, 0, strlen (peer->password));
      g_clear_pointer (&peer->password, g_free);
      peer->password_in = MER_PASSWORD_KEYRING;
      moved++;
    }
  if (moved > 0 && !save_peers (data_dir, peers, error))
    return FALSE;
  if (n_moved)
    *n_moved = moved;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/*
 * The person agreed to keep the passwords from before the keyring in
 * peers.json (no keyring answers): they are marked "file", and no longer
 * wait to move.
 */
gboolean
mer_peers_keep_in_file (const char  *data_dir,
                        GError     **error)
{
  g_autoptr(GPtrArray) peers = NULL;
  gboolean changed = FALSE;

  g_return_val_if_fail (data_dir != NULL, FALSE);

  peers = mer_peers_list (data_dir, error);
  if (peers == NULL)
    return FALSE;
  for (guint i = 0; i < peers->len; i++)
    {
      MerPeer *peer = g_ptr_array_index (peers, i);

      if (peer->password_in == MER_PASSWORD_UNMOVED)
        {
          peer->password_in = MER_PASSWORD_FILE;
          changed = TRUE;
        }
    }
  return !changed || save_peers (data_dir, peers, error);
}
