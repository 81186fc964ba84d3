/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-invites.h"
#include "mer-json.h"
#include "mer-tls.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#define LINK_PREFIX     "meridian:join?"
#define MAX_LINK_LENGTH 4096
#define MIN_SECRET      24
#define MAX_SECRET      128

G_DEFINE_QUARK (mer - invites - error - quark, mer_invites_error)

void
mer_invite_link_free (MerInviteLink *link)
{
  if (link == NULL)
    return;
  g_free (link->url);
  g_free (link->user);
  if (link->secret != NULL)
    sodium_memzero (link->secret, strlen (link->secret));
  g_free (link->secret);
  g_free (link->fingerprint);
  g_free (link);
}

static gboolean
malformed (GError **error,
           const char *why)
{
  g_set_error (error, MER_INVITES_ERROR, MER_INVITES_ERROR_MALFORMED,
               _ ("This is not a valid Meridian invite link: %s"), why);
  return FALSE;
}

/* The address a joiner syncs with: https, a host, a database, no user. */
static gboolean
check_url (const char *text,
           GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *path;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    return malformed (error, _ ("its address is not an https:// address"));
  path = g_uri_get_path (uri);
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL || path == NULL || strlen (path) < 2
      || strchr (path + 1, '/') != NULL)
    return malformed (error, _ ("its address is not a workspace's address (https://host:port/name)"));
  return TRUE;
}

/*
 * Reads an invite link. Anything malformed (another scheme, a missing or
 * repeated field, an address that is not https, a secret too short or
 * outside the URL-safe alphabet, a fingerprint that is not SHA-256) is
 * refused with a message naming what is wrong.
 */
MerInviteLink *
mer_invite_link_parse (const char *text,
                       GError **error)
{
  g_autoptr (MerInviteLink) link = g_new0 (MerInviteLink, 1);
  g_autoptr (GHashTable) params = NULL;
  g_auto (GStrv) pairs = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *url, *user, *secret, *fp, *expires;
  g_autofree char *trimmed = NULL;

  if (text == NULL)
    return malformed (error, _ ("it is empty")), NULL;
  trimmed = g_strstrip (g_strdup (text));
  if (strlen (trimmed) > MAX_LINK_LENGTH)
    return malformed (error, _ ("it is too long")), NULL;
  if (g_ascii_strncasecmp (trimmed, LINK_PREFIX, strlen (LINK_PREFIX)) != 0)
    return malformed (error, _ ("it does not start with “meridian:join?”")), NULL;

  /* Each field once: a repeated one would make the link mean two things. */
  pairs = g_strsplit (trimmed + strlen (LINK_PREFIX), "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    for (guint j = 0; j < i; j++)
      {
        const char *a = pairs[i], *b = pairs[j];
        gsize na = strcspn (a, "="), nb = strcspn (b, "=");

        if (na == nb && strncmp (a, b, na) == 0)
          return malformed (error, _ ("a field appears twice")), NULL;
      }
  params = g_uri_parse_params (trimmed + strlen (LINK_PREFIX), -1, "&", G_URI_PARAMS_NONE, &local_error);
  if (params == NULL)
    return malformed (error, local_error->message), NULL;

  url = g_hash_table_lookup (params, "url");
  user = g_hash_table_lookup (params, "user");
  secret = g_hash_table_lookup (params, "secret");
  fp = g_hash_table_lookup (params, "fp");
  expires = g_hash_table_lookup (params, "expires");
  if (url == NULL || user == NULL || secret == NULL || fp == NULL)
    return malformed (error, _ ("it lacks one of url, user, secret and fp")), NULL;
  if (!check_url (url, error))
    return NULL;
  if (!mer_accounts_check_name (user, NULL))
    return malformed (error, _ ("its user name is not a valid account name")), NULL;
  if (strlen (secret) < MIN_SECRET || strlen (secret) > MAX_SECRET
      || strspn (secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen (secret))
    return malformed (error, _ ("its secret is not 24 to 128 letters, digits, - or _")), NULL;
  link->fingerprint = mer_tls_normalize_fingerprint (fp, NULL);
  if (link->fingerprint == NULL)
    return malformed (error, _ ("its fingerprint is not a SHA-256 fingerprint")), NULL;
  if (expires != NULL)
    {
      g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (expires, NULL);

      if (when == NULL)
        return malformed (error, _ ("its expiry is not a date and time")), NULL;
      link->expires = g_date_time_to_unix (when);
      if (link->expires <= 0)
        return malformed (error, _ ("its expiry is not a date and time")), NULL;
    }
  link->url = g_strdup (url);
  link->user = g_strdup (user);
  link->secret = g_strdup (secret);
  return g_steal_pointer (&link);
}

static char *
format_time (gint64 seconds)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (seconds);

  return g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
}

/* The link for @link, every value escaped, so that it parses back the same. */
char *
mer_invite_link_format (const MerInviteLink *link)
{
  g_autofree char *url = g_uri_escape_string (link->url, NULL, FALSE);
  g_autofree char *user = g_uri_escape_string (link->user, NULL, FALSE);
  g_autofree char *fp = g_uri_escape_string (link->fingerprint, NULL, FALSE);
  GString *text = g_string_new (LINK_PREFIX);

  g_string_append_printf (text, "url=%s&user=%s&secret=%s&fp=%s", url, user, link->secret, fp);
  if (link->expires > 0)
    {
      g_autofree char *expires = format_time (link->expires);

      g_string_append_printf (text, "&expires=%s", expires);
    }
  return g_string_free (text, FALSE);
}

/*
 * Refuses an invite whose expiry, as its link says, has passed: nothing
 * needs to be asked of the sharer to know that.
 */
gboolean
mer_invite_link_check_expiry (const MerInviteLink *link,
                              GError **error)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autofree char *text = NULL;

  if (link->expires == 0 || g_get_real_time () / G_USEC_PER_SEC < link->expires)
    return TRUE;
  when = g_date_time_new_from_unix_utc (link->expires);
  local = g_date_time_to_local (when);
  text = g_date_time_format (local, "%x %H:%M");
  g_set_error (error, MER_INVITES_ERROR, MER_INVITES_ERROR_EXPIRED,
               _ ("This invite expired on %s; ask for a new one"), text);
  return FALSE;
}

/* The invites file's {"invites": [...]}, or an empty list. */
static JsonArray *
read_invites (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) root = NULL;
  gsize length = 0;

  if (g_file_get_contents (path, &text, &length, NULL))
    root = mer_json_parse_object (text, length, NULL);
  if (root != NULL && json_object_has_member (root, "invites")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "invites")))
    return json_array_ref (json_object_get_array_member (root, "invites"));
  return json_array_new ();
}

static gboolean
write_invites (const char *path,
               JsonArray *invites,
               GError **error)
{
  g_autoptr (JsonObject) root = json_object_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  json_object_set_int_member (root, "version", 1);
  json_object_set_array_member (root, "invites", json_array_ref (invites));
  node = json_node_init_object (json_node_alloc (), root);
  text = mer_json_to_string (node, TRUE);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/*
 * Makes an invite: a new account @name (or "guest-" and a few random
 * letters) with a random secret, @role, refused from @expires unless used
 * before, and its link for @url and the certificate @fingerprint. An
 * existing account is never replaced.
 */
MerInviteLink *
mer_invites_create (const char *data_dir,
                    const char *url,
                    const char *fingerprint,
                    const char *name,
                    MerRole role,
                    gint64 expires,
                    GError **error)
{
  g_autoptr (MerAccounts) accounts = NULL;
  g_autoptr (MerInviteLink) link = g_new0 (MerInviteLink, 1);
  g_autoptr (JsonArray) invites = NULL;
  g_autofree char *path = g_build_filename (data_dir, MER_INVITES_FILE_NAME, NULL);
  g_autofree char *expires_text = NULL;
  g_autofree char *created_text = NULL;
  guchar bytes[MER_INVITE_SECRET_BYTES];
  char secret[sodium_base64_ENCODED_LEN (MER_INVITE_SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  JsonObject *entry;

  g_return_val_if_fail (data_dir != NULL && url != NULL && fingerprint != NULL, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
  if (!check_url (url, error))
    return NULL;
  link->fingerprint = mer_tls_normalize_fingerprint (fingerprint, error);
  if (link->fingerprint == NULL)
    return NULL;
  if (role != MER_ROLE_RO && role != MER_ROLE_RW)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID, _ ("The role must be rw or ro"));
      return NULL;
    }
  if (expires <= 0)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID, _ ("An invite needs an expiry"));
      return NULL;
    }

  accounts = mer_accounts_new (data_dir);
  if (!mer_accounts_reload (accounts, error))
    return NULL;
  if (name != NULL && *name != '\0')
    {
      if (!mer_accounts_check_name (name, error))
        return NULL;
      if (mer_accounts_get_expires (accounts, name) != -1)
        {
          g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID,
                       _ ("There is already an account named “%s”"), name);
          return NULL;
        }
      link->user = g_strdup (name);
    }
  else
    {
      do
        {
          char letters[9];

          randombytes_buf (bytes, 4);
          sodium_bin2hex (letters, sizeof letters, bytes, 4);
          g_free (link->user);
          link->user = g_strdup_printf ("guest-%s", letters);
        }
      while (mer_accounts_get_expires (accounts, link->user) != -1);
    }

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (secret, sizeof secret, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  link->secret = g_strdup (secret);
  sodium_memzero (secret, sizeof secret);
  link->url = g_strdup (url);
  link->expires = expires;

  if (!mer_accounts_add_full (accounts, link->user, link->secret, role, expires, NULL, error))
    return NULL;

  invites = read_invites (path);
  entry = json_object_new ();
  created_text = format_time (g_get_real_time () / G_USEC_PER_SEC);
  expires_text = format_time (expires);
  json_object_set_string_member (entry, "name", link->user);
  json_object_set_string_member (entry, "role", mer_role_to_string (role));
  json_object_set_string_member (entry, "created", created_text);
  json_object_set_string_member (entry, "expires", expires_text);
  json_array_add_object_element (invites, entry);
  if (!write_invites (path, invites, error))
    {
      /* No account without its invite: take it back. */
      mer_accounts_remove (accounts, link->user, NULL);
      return NULL;
    }
  return g_steal_pointer (&link);
}

/*
 * [{"name", "role", "created", "expires", "status"}] with status
 * "pending" (not used yet), "used", "expired" or "revoked" (its account is
 * gone), as the accounts say now.
 */
JsonArray *
mer_invites_list (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, MER_INVITES_FILE_NAME, NULL);
  g_autoptr (JsonArray) invites = read_invites (path);
  g_autoptr (MerAccounts) accounts = mer_accounts_new (data_dir);
  JsonArray *list = json_array_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  mer_accounts_reload (accounts, NULL);
  for (guint i = 0; i < json_array_get_length (invites); i++)
    {
      JsonNode *node = json_array_get_element (invites, i);
      JsonObject *entry, *copy;
      const char *name, *status;
      gint64 expires;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      name = mer_json_get_string (entry, "name");
      if (name == NULL)
        continue;
      expires = mer_accounts_get_expires (accounts, name);
      if (expires == -1)
        status = "revoked";
      else if (expires == 0)
        status = "used";
      else if (now >= expires)
        status = "expired";
      else
        status = "pending";
      copy = json_object_new ();
      json_object_set_string_member (copy, "name", name);
      json_object_set_string_member (copy, "role", mer_json_get_string (entry, "role") ?: "ro");
      json_object_set_string_member (copy, "created", mer_json_get_string (entry, "created") ?: "");
      json_object_set_string_member (copy, "expires", mer_json_get_string (entry, "expires") ?: "");
      json_object_set_string_member (copy, "status", status);
      json_array_add_object_element (list, copy);
    }
  return list;
}

/* Revokes the invite of @name: its account goes, used or not. */
gboolean
mer_invites_revoke (const char *data_dir,
                    const char *name,
                    GError **error)
{
  g_autoptr (MerAccounts) accounts = mer_accounts_new (data_dir);

  return mer_accounts_remove (accounts, name, error);
}
