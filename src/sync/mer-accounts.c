/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-accounts.h"
#include "mer-json.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#define CACHE_LIMIT 1024
#define SEEN_STEP   60 /* seconds: a request notes its account at most this often */

typedef struct
{
  MerRole role;
  char *hash;     /* crypto_pwhash_str output: algorithm, limits, salt, hash */
  gint64 expires; /* Unix seconds after which it is refused (an unused
                   * invite), or 0 for never */
} Account;

/* Whether @account is an invite's account whose time ran out. */
static gboolean
account_expired (const Account *account)
{
  return account->expires != 0 && g_get_real_time () / G_USEC_PER_SEC >= account->expires;
}

struct _MerAccounts
{
  GObject parent_instance;

  char *path;
  GHashTable *accounts; /* name -> Account */
  gboolean broken;      /* the file exists but could not be read */
  gboolean loaded;
  gint64 file_mtime; /* what the loaded file looked like, to notice */
  goffset file_size; /*   edits by `meridian user` while serving */
  guint64 file_inode;

  /*
   * Successful verifications, so that each request does not pay for
   * Argon2id: keyed by a keyed BLAKE2b of "name\0password" under a key that
   * lives only in this process, valued by the role.
   */
  GHashTable *cache;
  guchar cache_key[crypto_generichash_KEYBYTES];
  char *dummy_hash; /* verified against for unknown names */

  /*
   * When each account last made a request, in DATA_DIR/accounts-seen.json
   * (apart from the accounts, so that noting a request never makes the
   * server read its accounts again): the times this process wrote, in
   * seconds, so that it writes at most once a minute per account.
   */
  char *seen_path;
  GHashTable *seen_written; /* name -> gint64 seconds, boxed */
};

G_DEFINE_FINAL_TYPE (MerAccounts, mer_accounts, G_TYPE_OBJECT)
G_DEFINE_QUARK (mer - accounts - error - quark, mer_accounts_error)

static void
account_free (gpointer data)
{
  Account *account = data;

  g_free (account->hash);
  g_free (account);
}

static void
mer_accounts_finalize (GObject *object)
{
  MerAccounts *self = MER_ACCOUNTS (object);

  g_free (self->path);
  g_hash_table_unref (self->accounts);
  g_hash_table_unref (self->cache);
  sodium_memzero (self->cache_key, sizeof self->cache_key);
  g_free (self->dummy_hash);
  g_free (self->seen_path);
  g_hash_table_unref (self->seen_written);

  G_OBJECT_CLASS (mer_accounts_parent_class)->finalize (object);
}

static void
mer_accounts_class_init (MerAccountsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mer_accounts_finalize;
}

static void
mer_accounts_init (MerAccounts *self)
{
  self->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, account_free);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->seen_written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

MerAccounts *
mer_accounts_new (const char *data_dir)
{
  MerAccounts *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");

  self = g_object_new (MER_TYPE_ACCOUNTS, NULL);
  self->path = g_build_filename (data_dir, MER_ACCOUNTS_FILE_NAME, NULL);
  self->seen_path = g_build_filename (data_dir, MER_ACCOUNTS_SEEN_FILE_NAME, NULL);
  randombytes_buf (self->cache_key, sizeof self->cache_key);
  return self;
}

const char *
mer_accounts_get_path (MerAccounts *self)
{
  g_return_val_if_fail (MER_IS_ACCOUNTS (self), NULL);
  return self->path;
}

const char *
mer_role_to_string (MerRole role)
{
  switch (role)
    {
    case MER_ROLE_RW:
      return "rw";
    case MER_ROLE_RO:
      return "ro";
    case MER_ROLE_NONE:
    default:
      return "none";
    }
}

MerRole
mer_role_from_string (const char *text)
{
  if (g_strcmp0 (text, "rw") == 0)
    return MER_ROLE_RW;
  if (g_strcmp0 (text, "ro") == 0)
    return MER_ROLE_RO;
  return MER_ROLE_NONE;
}

/*
 * Account names travel in HTTP Basic credentials ("name:password") and in
 * URLs, so they are kept to a small safe alphabet without colons.
 */
gboolean
mer_accounts_check_name (const char *name,
                         GError **error)
{
  gsize length = name != NULL ? strlen (name) : 0;

  if (length == 0 || length > MER_ACCOUNTS_MAX_NAME
      || strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") != length
      || name[0] == '-')
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID,
                   _ ("Account names are 1 to %d letters, digits or . _ @ - (not starting with -)"),
                   MER_ACCOUNTS_MAX_NAME);
      return FALSE;
    }
  return TRUE;
}

/*
 * Splits an "Authorization: Basic base64(name:password)" header. Refuses
 * anything oversized, undecodable, with NUL bytes, not UTF-8 or without a
 * colon; the password may itself contain colons.
 */
gboolean
mer_accounts_parse_basic (const char *authorization,
                          char **out_name,
                          char **out_password)
{
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  gsize length;
  char *colon;

  if (authorization == NULL || strlen (authorization) > 4096
      || g_ascii_strncasecmp (authorization, "Basic ", 6) != 0)
    return FALSE;
  decoded = g_base64_decode (authorization + 6, &length);
  if (decoded == NULL || length == 0 || memchr (decoded, '\0', length) != NULL)
    return FALSE;
  text = g_strndup ((const char *) decoded, length);
  if (!g_utf8_validate (text, -1, NULL) || (colon = strchr (text, ':')) == NULL)
    return FALSE;
  *out_name = g_strndup (text, colon - text);
  *out_password = g_strdup (colon + 1);
  sodium_memzero (text, length);
  sodium_memzero (decoded, length);
  return TRUE;
}

static gboolean
stat_file (MerAccounts *self,
           gboolean *exists,
           GStatBuf *buf)
{
  if (g_stat (self->path, buf) == 0)
    {
      *exists = TRUE;
      return TRUE;
    }
  *exists = FALSE;
  return errno == ENOENT;
}

/* Reads the file again (a missing file means no accounts). */
gboolean
mer_accounts_reload (MerAccounts *self,
                     GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (GError) local_error = NULL;
  JsonArray *list;
  gboolean exists;
  GStatBuf buf;
  gsize length;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), FALSE);

  g_hash_table_remove_all (self->accounts);
  g_hash_table_remove_all (self->cache);
  self->loaded = TRUE;
  self->broken = FALSE;
  self->file_mtime = 0;
  self->file_size = 0;
  self->file_inode = 0;

  if (!stat_file (self, &exists, &buf))
    goto broken;
  if (!exists)
    return TRUE;
  self->file_mtime = (gint64) buf.st_mtim.tv_sec * G_USEC_PER_SEC + buf.st_mtim.tv_nsec / 1000;
  self->file_size = buf.st_size;
  self->file_inode = buf.st_ino;

  if (!g_file_get_contents (self->path, &text, &length, &local_error))
    goto broken;
  root = mer_json_parse_object (text, length, &local_error);
  if (root == NULL)
    goto broken;
  if (!json_object_has_member (root, "accounts")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "accounts")))
    goto broken;

  list = json_object_get_array_member (root, "accounts");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *entry;
      const char *name, *hash;
      MerRole role;
      Account *account;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        goto broken;
      entry = json_node_get_object (node);
      name = mer_json_get_string (entry, "name");
      hash = mer_json_get_string (entry, "hash");
      role = mer_role_from_string (mer_json_get_string (entry, "role"));
      if (name == NULL || hash == NULL || role == MER_ROLE_NONE)
        goto broken;
      account = g_new0 (Account, 1);
      account->role = role;
      account->hash = g_strdup (hash);
      if (json_object_has_member (entry, "expires"))
        account->expires = json_object_get_int_member (entry, "expires");
      g_hash_table_replace (self->accounts, g_strdup (name), account);
    }
  return TRUE;

broken:
  /* Fail closed: a damaged file must not turn the server open. */
  g_hash_table_remove_all (self->accounts);
  self->broken = TRUE;
  if (local_error != NULL)
    g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_FAILED,
                 _ ("Cannot read %s: %s"), self->path, local_error->message);
  else
    g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_FAILED,
                 _ ("Cannot read %s: not a Meridian accounts file"), self->path);
  return FALSE;
}

/* Reloads when the file was replaced or changed since it was read. */
static void
ensure_fresh (MerAccounts *self)
{
  g_autoptr (GError) error = NULL;
  gboolean exists;
  GStatBuf buf;

  if (self->loaded && stat_file (self, &exists, &buf))
    {
      if (!exists && self->file_inode == 0 && !self->broken)
        return;
      if (exists
          && (gint64) buf.st_mtim.tv_sec * G_USEC_PER_SEC + buf.st_mtim.tv_nsec / 1000 == self->file_mtime
          && buf.st_size == self->file_size && buf.st_ino == self->file_inode)
        return;
    }
  if (!mer_accounts_reload (self, &error))
    g_warning ("%s", error->message);
}

/*
 * The number of accounts. A damaged file counts as one account nobody can
 * log in to, so that the server keeps asking for credentials.
 */
guint
mer_accounts_count (MerAccounts *self)
{
  g_return_val_if_fail (MER_IS_ACCOUNTS (self), 0);

  ensure_fresh (self);
  if (self->broken)
    return 1;
  return g_hash_table_size (self->accounts);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
save (MerAccounts *self,
      GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree const char **names = NULL;
  guint n;

  names = (const char **) g_hash_table_get_keys_as_array (self->accounts, &n);
  qsort (names, n, sizeof (char *), compare_names);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      Account *account = g_hash_table_lookup (self->accounts, names[i]);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, names[i]);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, mer_role_to_string (account->role));
      json_builder_set_member_name (builder, "hash");
      json_builder_add_string_value (builder, account->hash);
      if (account->expires != 0)
        {
          json_builder_set_member_name (builder, "expires");
          json_builder_add_int_value (builder, account->expires);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = mer_json_to_string (root, TRUE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_FAILED,
                   _ ("Cannot create %s: %s"), dir, g_strerror (errno));
      return FALSE;
    }
  /* Written to a temporary file created 0600 and renamed over the old one. */
  if (!g_file_set_contents_full (self->path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, error))
    return FALSE;
  g_hash_table_remove_all (self->cache);
  self->loaded = FALSE;
  return TRUE;
}

/*
 * Adds an account, or replaces the password and role of an existing one
 * (then *@out_replaced is TRUE).
 */
gboolean
mer_accounts_add (MerAccounts *self,
                  const char *name,
                  const char *password,
                  MerRole role,
                  gboolean *out_replaced,
                  GError **error)
{
  return mer_accounts_add_full (self, name, password, role, 0, out_replaced, error);
}

/*
 * As mer_accounts_add(), for an account that is refused from @expires
 * (Unix seconds; 0 for never) unless it was used before then: its first
 * successful request (mer_accounts_note_seen()) clears the expiry. That is
 * an invite's account.
 */
gboolean
mer_accounts_add_full (MerAccounts *self,
                       const char *name,
                       const char *password,
                       MerRole role,
                       gint64 expires,
                       gboolean *out_replaced,
                       GError **error)
{
  char hash[crypto_pwhash_STRBYTES];
  Account *account;
  gsize length;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), FALSE);

  if (!mer_accounts_check_name (name, error))
    return FALSE;
  length = password != NULL ? strlen (password) : 0;
  if (length == 0 || length > MER_ACCOUNTS_MAX_PASSWORD)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID,
                   _ ("A password is 1 to %d bytes"), MER_ACCOUNTS_MAX_PASSWORD);
      return FALSE;
    }
  if (role != MER_ROLE_RO && role != MER_ROLE_RW)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID,
                   _ ("The role must be rw or ro"));
      return FALSE;
    }
  if (!mer_accounts_reload (self, error))
    return FALSE;

  if (crypto_pwhash_str_alg (hash, password, length,
                             crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE,
                             crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_FAILED,
                   _ ("Not enough memory to hash the password"));
      return FALSE;
    }

  if (out_replaced != NULL)
    *out_replaced = g_hash_table_contains (self->accounts, name);
  account = g_new0 (Account, 1);
  account->role = role;
  account->hash = g_strdup (hash);
  account->expires = MAX (expires, 0);
  g_hash_table_replace (self->accounts, g_strdup (name), account);
  return save (self, error);
}

gboolean
mer_accounts_remove (MerAccounts *self,
                     const char *name,
                     GError **error)
{
  g_return_val_if_fail (MER_IS_ACCOUNTS (self), FALSE);

  if (!mer_accounts_reload (self, error))
    return FALSE;
  if (!g_hash_table_remove (self->accounts, name))
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_NOT_FOUND,
                   _ ("No account named “%s”"), name);
      return FALSE;
    }
  return save (self, error);
}

/*
 * Changes the role of an existing account, keeping its password. A running
 * server applies it to the account's next request.
 */
gboolean
mer_accounts_set_role (MerAccounts *self,
                       const char *name,
                       MerRole role,
                       GError **error)
{
  Account *account;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), FALSE);

  if (role != MER_ROLE_RO && role != MER_ROLE_RW)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_INVALID,
                   _ ("The role must be rw or ro"));
      return FALSE;
    }
  if (!mer_accounts_reload (self, error))
    return FALSE;
  account = name != NULL ? g_hash_table_lookup (self->accounts, name) : NULL;
  if (account == NULL)
    {
      g_set_error (error, MER_ACCOUNTS_ERROR, MER_ACCOUNTS_ERROR_NOT_FOUND,
                   _ ("No account named “%s”"), name != NULL ? name : "");
      return FALSE;
    }
  account->role = role;
  return save (self, error);
}

/* The seen file's {"name": seconds, …}, or an empty object. */
static JsonObject *
read_seen (MerAccounts *self)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonObject *root = NULL;

  if (g_file_get_contents (self->seen_path, &text, &length, NULL))
    root = mer_json_parse_object (text, length, NULL);
  if (root != NULL && json_object_has_member (root, "seen")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "seen")))
    {
      JsonObject *seen = json_object_ref (json_object_get_object_member (root, "seen"));

      json_object_unref (root);
      return seen;
    }
  g_clear_pointer (&root, json_object_unref);
  return json_object_new ();
}

/*
 * An invite's account that made a successful request was used: from now
 * on it is an ordinary account, which no longer expires.
 */
static void
clear_expiry (MerAccounts *self,
              const char *name)
{
  g_autoptr (GError) error = NULL;
  Account *account;

  ensure_fresh (self);
  account = g_hash_table_lookup (self->accounts, name);
  if (account == NULL || account->expires == 0 || account_expired (account))
    return;
  if (!mer_accounts_reload (self, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  account = g_hash_table_lookup (self->accounts, name);
  if (account == NULL || account->expires == 0)
    return;
  account->expires = 0;
  if (!save (self, &error))
    g_warning ("Cannot mark the invite of %s as used: %s", name, error->message);
}

/*
 * Notes that @name just made a request. Best effort: a file that cannot be
 * written costs the account its last-seen time, never the request.
 */
void
mer_accounts_note_seen (MerAccounts *self,
                        const char *name)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 *written;
  g_autoptr (JsonObject) seen = NULL;
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (MER_IS_ACCOUNTS (self));

  if (name == NULL)
    return;
  clear_expiry (self, name);
  written = g_hash_table_lookup (self->seen_written, name);
  if (written != NULL && now - *written < SEEN_STEP && now >= *written)
    return;

  seen = read_seen (self);
  json_object_set_int_member (seen, name, now);
  root = json_object_new ();
  json_object_set_int_member (root, "version", 1);
  json_object_set_object_member (root, "seen", json_object_ref (seen));
  node = json_node_init_object (json_node_alloc (), root);
  text = mer_json_to_string (node, TRUE);
  if (!g_file_set_contents_full (self->seen_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Cannot note when %s was seen: %s", name, error->message);
  written = g_new (gint64, 1);
  *written = now;
  g_hash_table_replace (self->seen_written, g_strdup (name), written);
}

/* When @name last made a request (Unix seconds), or 0 if never. */
gint64
mer_accounts_last_seen (MerAccounts *self,
                        const char *name)
{
  g_autoptr (JsonObject) seen = NULL;
  JsonNode *value;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), 0);

  seen = read_seen (self);
  value = name != NULL ? json_object_get_member (seen, name) : NULL;
  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64)
    return 0;
  return MAX (json_node_get_int (value), 0);
}

/*
 * [{"name": …, "role": "rw"|"ro", "last_seen": "2026-12-06T03:30:00Z" or
 * null}, …] sorted by name; never the hashes.
 */
JsonArray *
mer_accounts_list (MerAccounts *self)
{
  g_autofree const char **names = NULL;
  g_autoptr (JsonObject) seen = NULL;
  JsonArray *list = json_array_new ();
  guint n;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), list);

  ensure_fresh (self);
  seen = read_seen (self);
  names = (const char **) g_hash_table_get_keys_as_array (self->accounts, &n);
  qsort (names, n, sizeof (char *), compare_names);
  for (guint i = 0; i < n; i++)
    {
      Account *account = g_hash_table_lookup (self->accounts, names[i]);
      JsonObject *entry = json_object_new ();
      JsonNode *value = json_object_get_member (seen, names[i]);
      g_autoptr (GDateTime) when = NULL;

      if (value != NULL && JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64)
        when = g_date_time_new_from_unix_utc (json_node_get_int (value));
      json_object_set_string_member (entry, "name", names[i]);
      json_object_set_string_member (entry, "role", mer_role_to_string (account->role));
      if (when != NULL)
        {
          g_autofree char *text = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");

          json_object_set_string_member (entry, "last_seen", text);
        }
      else
        json_object_set_null_member (entry, "last_seen");
      json_array_add_object_element (list, entry);
    }
  return list;
}

static char *
cache_key_for (MerAccounts *self,
               const char *name,
               const char *password)
{
  crypto_generichash_state state;
  guchar digest[32];
  char hex[65];

  crypto_generichash_init (&state, self->cache_key, sizeof self->cache_key, sizeof digest);
  crypto_generichash_update (&state, (const guchar *) name, strlen (name) + 1);
  crypto_generichash_update (&state, (const guchar *) password, strlen (password));
  crypto_generichash_final (&state, digest, sizeof digest);
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
  return g_strdup (hex);
}

/*
 * Checks credentials and returns the account's role, or MER_ROLE_NONE.
 * Unknown names cost as much as wrong passwords, so that a caller cannot
 * tell which accounts exist from the time an answer takes.
 */
MerRole
mer_accounts_verify (MerAccounts *self,
                     const char *name,
                     const char *password)
{
  g_autofree char *key = NULL;
  Account *account;
  gpointer cached;
  gsize length;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), MER_ROLE_NONE);

  if (name == NULL || password == NULL)
    return MER_ROLE_NONE;
  ensure_fresh (self);

  length = strlen (password);
  key = cache_key_for (self, name, password);
  account = g_hash_table_lookup (self->accounts, name);
  cached = g_hash_table_lookup (self->cache, key);
  if (cached != NULL && account != NULL)
    return account_expired (account) ? MER_ROLE_NONE : GPOINTER_TO_INT (cached);

  if (account == NULL || length > MER_ACCOUNTS_MAX_PASSWORD)
    {
      if (self->dummy_hash == NULL)
        {
          char hash[crypto_pwhash_STRBYTES];

          if (crypto_pwhash_str_alg (hash, "-", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                     crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                     crypto_pwhash_ALG_ARGON2ID13)
              == 0)
            self->dummy_hash = g_strdup (hash);
        }
      if (self->dummy_hash != NULL)
        {
          int unused G_GNUC_UNUSED;

          unused = crypto_pwhash_str_verify (self->dummy_hash, password,
                                             MIN (length, MER_ACCOUNTS_MAX_PASSWORD));
        }
      return MER_ROLE_NONE;
    }

  if (crypto_pwhash_str_verify (account->hash, password, length) != 0)
    return MER_ROLE_NONE;
  if (account_expired (account))
    return MER_ROLE_NONE;

  if (g_hash_table_size (self->cache) >= CACHE_LIMIT)
    g_hash_table_remove_all (self->cache);
  g_hash_table_insert (self->cache, g_steal_pointer (&key), GINT_TO_POINTER (account->role));
  return account->role;
}

/*
 * The role of the account @name (MER_ROLE_NONE when there is none), for a
 * session opened earlier with its password. *out_stamp, when asked, is a
 * copy of the stored password hash: it changes with the password, so a
 * session bound to it ends when the password changes.
 */
MerRole
mer_accounts_lookup (MerAccounts *self,
                     const char *name,
                     char **out_stamp)
{
  Account *account;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), MER_ROLE_NONE);

  if (name == NULL)
    return MER_ROLE_NONE;
  ensure_fresh (self);
  account = g_hash_table_lookup (self->accounts, name);
  if (account == NULL || account_expired (account))
    return MER_ROLE_NONE;
  if (out_stamp != NULL)
    *out_stamp = g_strdup (account->hash);
  return account->role;
}

/*
 * When the account @name expires (Unix seconds): 0 when it never does
 * (an ordinary account, or an invite already used), -1 when there is no
 * such account.
 */
gint64
mer_accounts_get_expires (MerAccounts *self,
                          const char *name)
{
  Account *account;

  g_return_val_if_fail (MER_IS_ACCOUNTS (self), -1);

  ensure_fresh (self);
  account = name != NULL ? g_hash_table_lookup (self->accounts, name) : NULL;
  return account != NULL ? account->expires : -1;
}
