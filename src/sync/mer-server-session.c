/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Cookie sessions, as CouchDB's /_session gives them: POST a name and
 * password, get an "AuthSession" cookie that stands for the account for
 * ten minutes (mer_server_set_session_lifetime()) and is renewed while in use.
 *
 * The cookie carries no password and nothing the server must remember: it
 * is base64url("name:expiry:mac"), the MAC an HMAC-SHA-256 under a key
 * drawn at random when the server starts, over the name, the expiry and the
 * account's stored password hash. So it cannot be forged or extended, it
 * ends when the server restarts or the password changes, and the account's
 * role is read afresh at every request.
 */

#include "config.h"

#include "mer-server-private.h"
#include "mer-json.h"

#include <sodium.h>
#include <string.h>

#define SESSION_SECONDS    600
#define COOKIE_NAME        "AuthSession"
#define MAX_COOKIE_LENGTH  512
#define MAX_LOGIN_BYTES    (64 * 1024)

void
_mer_server_session_init (MerServer *self)
{
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
  randombytes_buf (self->session_key, sizeof self->session_key);
  self->session_seconds = SESSION_SECONDS;
}

/* How long a session cookie lasts (CouchDB's default: 600 s); renewed past half of it. */
void
mer_server_set_session_lifetime (MerServer *self,
                                 guint      seconds)
{
  g_return_if_fail (MER_IS_SERVER (self));
  g_return_if_fail (seconds > 0);

  self->session_seconds = seconds;
}

void
_mer_server_session_clear (MerServer *self)
{
  sodium_memzero (self->session_key, sizeof self->session_key);
}

static char *
session_mac (MerServer  *self,
             const char *name,
             gint64      expiry,
             const char *stamp)
{
  g_autofree char *message = g_strdup_printf ("%s:%" G_GINT64_MODIFIER "x:%s", name, expiry, stamp);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];

  crypto_auth_hmacsha256 (mac, (const unsigned char *) message, strlen (message), self->session_key);
  sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
  return g_strdup (hex);
}

/* The Set-Cookie value of a session for @name, or NULL if there is no such account. */
static char *
make_cookie (MerServer  *self,
             const char *name)
{
  g_autofree char *stamp = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *value = NULL;
  g_autofree char *encoded = NULL;
  g_autoptr(GDateTime) expires = NULL;
  g_autofree char *expires_text = NULL;
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + self->session_seconds;

  if (mer_accounts_lookup (self->accounts, name, &stamp) == MER_ROLE_NONE)
    return NULL;
  mac = session_mac (self, name, expiry, stamp);
  value = g_strdup_printf ("%s:%" G_GINT64_MODIFIER "x:%s", name, expiry, mac);
  encoded = g_base64_encode ((const guchar *) value, strlen (value));
  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  g_strdelimit (encoded, "=", '\0');
  expires = g_date_time_new_from_unix_utc (expiry);
  expires_text = g_date_time_format (expires, "%a, %d-%b-%Y %H:%M:%S GMT");
  return g_strdup_printf (COOKIE_NAME "=%s; Version=1; Expires=%s; Max-Age=%u; Path=/; HttpOnly%s",
                          encoded, expires_text, self->session_seconds,
                          self->certificate != NULL ? "; Secure" : "");
}

/* The value of the AuthSession cookie in a Cookie header, or NULL. */
static char *
find_cookie (const char *header)
{
  g_auto(GStrv) parts = NULL;

  if (header == NULL || strlen (header) > 8192)
    return NULL;
  parts = g_strsplit (header, ";", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);

      if (g_str_has_prefix (part, COOKIE_NAME "="))
        return g_strdup (part + strlen (COOKIE_NAME "="));
    }
  return NULL;
}

/*
 * Who the AuthSession cookie of @msg stands for, and their role now;
 * MER_ROLE_NONE for no cookie, a forged or expired one, or an account gone
 * or with a new password. A cookie past half its life is renewed: the new
 * one is set on @msg, for the answer to carry.
 */
MerRole
_mer_server_session_authenticate (MerServer          *self,
                                  SoupServerMessage  *msg,
                                  char              **out_account)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *cookie = find_cookie (soup_message_headers_get_one (headers, "Cookie"));
  g_autofree char *padded = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *expected = NULL;
  char *mac, *expiry_text, *end = NULL;
  gsize length = 0;
  gint64 expiry, now;
  MerRole role;

  if (cookie == NULL || cookie[0] == '\0' || strlen (cookie) > MAX_COOKIE_LENGTH
      || strspn (cookie, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != strlen (cookie))
    return MER_ROLE_NONE;
  padded = g_strnfill (strlen (cookie) + 4, '=');
  memcpy (padded, cookie, strlen (cookie));
  padded[strlen (cookie) + (4 - strlen (cookie) % 4) % 4] = '\0';
  g_strdelimit (padded, "-", '+');
  g_strdelimit (padded, "_", '/');
  decoded = g_base64_decode (padded, &length);
  if (decoded == NULL || length == 0 || memchr (decoded, '\0', length) != NULL)
    return MER_ROLE_NONE;
  text = g_strndup ((const char *) decoded, length);

  /* name:expiry:mac, the name free of colons (mer_accounts_check_name). */
  mac = strrchr (text, ':');
  if (mac == NULL)
    return MER_ROLE_NONE;
  *mac++ = '\0';
  expiry_text = strrchr (text, ':');
  if (expiry_text == NULL)
    return MER_ROLE_NONE;
  *expiry_text++ = '\0';
  if (strspn (expiry_text, "0123456789abcdef") != strlen (expiry_text) || strlen (expiry_text) == 0
      || strlen (expiry_text) > 12)
    return MER_ROLE_NONE;
  expiry = g_ascii_strtoll (expiry_text, &end, 16);
  now = g_get_real_time () / G_USEC_PER_SEC;
  if (end == NULL || *end != '\0' || expiry <= now)
    return MER_ROLE_NONE;

  role = mer_accounts_lookup (self->accounts, text, &stamp);
  if (role == MER_ROLE_NONE)
    return MER_ROLE_NONE;
  expected = session_mac (self, text, expiry, stamp);
  if (strlen (mac) != strlen (expected) || sodium_memcmp (mac, expected, strlen (expected)) != 0)
    return MER_ROLE_NONE;

  if (expiry - now <= self->session_seconds / 2)
    g_object_set_data_full (G_OBJECT (msg), SET_COOKIE_KEY, make_cookie (self, text), g_free);
  *out_account = g_strdup (text);
  return role;
}

gboolean
_mer_server_is_session_login (SoupServerMessage *msg,
                              const char        *raw_path)
{
  return _mer_server_path_is (raw_path, "_session") && strcmp (soup_server_message_get_method (msg), "POST") == 0;
}

gsize
_mer_server_session_max_body (void)
{
  return MAX_LOGIN_BYTES;
}

/*
 * Name and password from a form or a JSON object; FALSE with @resp set if
 * neither. The name may come as "username" (the IBM Cloudant SDK, under
 * couchbackup, sends that), which wins over "name" as in CouchDB.
 */
static gboolean
read_login (Request   *req,
            Response  *resp,
            char     **out_name,
            char     **out_password)
{
  g_autofree char *type = req->content_type != NULL ? g_ascii_strdown (req->content_type, -1) : NULL;

  if (type != NULL && strcmp (type, "application/x-www-form-urlencoded") == 0)
    {
      g_autofree char *text = g_strndup (req->body, req->length);
      g_autoptr(GHashTable) form = NULL;

      if (strlen (text) != req->length || !g_utf8_validate (text, -1, NULL))
        {
          _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid form");
          return FALSE;
        }
      form = soup_form_decode (text);
      *out_name = g_strdup (g_hash_table_contains (form, "username") ? g_hash_table_lookup (form, "username")
                                                                      : g_hash_table_lookup (form, "name"));
      *out_password = g_strdup (g_hash_table_lookup (form, "password"));
      if (g_hash_table_contains (form, "password"))
        sodium_memzero (g_hash_table_lookup (form, "password"), strlen (g_hash_table_lookup (form, "password")));
      sodium_memzero (text, strlen (text));
    }
  else
    {
      g_autoptr(JsonObject) body = NULL;
      JsonNode *name, *password;

      if (type == NULL || strcmp (type, "application/json") != 0)
        {
          _mer_server_respond_error (resp, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "bad_content_type",
                                     "Content-Type must be application/x-www-form-urlencoded or application/json");
          return FALSE;
        }
      if ((body = _mer_server_parse_body_object (req, resp, MAX_LOGIN_BYTES)) == NULL)
        return FALSE;
      name = json_object_get_member (body, json_object_has_member (body, "username") ? "username" : "name");
      password = json_object_get_member (body, "password");
      if (name != NULL && json_node_get_value_type (name) == G_TYPE_STRING)
        *out_name = g_strdup (json_node_get_string (name));
      if (password != NULL && json_node_get_value_type (password) == G_TYPE_STRING)
        *out_password = g_strdup (json_node_get_string (password));
    }
  return TRUE;
}

static void
respond_login (MerServer *self,
               Request   *req,
               Response  *resp)
{
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  g_autofree char *cookie = NULL;
  JsonObject *object;
  JsonArray *roles;
  MerRole role;

  if (!read_login (req, resp, &name, &password))
    return;
  role = mer_accounts_verify (self->accounts, name, password);
  if (password != NULL)
    sodium_memzero (password, strlen (password));
  if (role == MER_ROLE_NONE || (cookie = make_cookie (self, name)) == NULL)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_UNAUTHORIZED, "unauthorized", "Name or password is incorrect.");
      return;
    }
  soup_message_headers_append (soup_server_message_get_response_headers (req->msg), "Set-Cookie", cookie);
  object = json_object_new ();
  roles = json_array_new ();
  json_array_add_string_element (roles, mer_role_to_string (role));
  json_object_set_boolean_member (object, "ok", TRUE);
  json_object_set_string_member (object, "name", name);
  json_object_set_array_member (object, "roles", roles);
  _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
}

static void
respond_session_info (MerServer *self,
                      Request   *req,
                      Response  *resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  gboolean basic = soup_message_headers_get_one (headers, "Authorization") != NULL;
  g_autofree char *account = NULL;
  JsonObject *object, *user, *info;
  JsonArray *roles, *handlers;
  MerRole role = _mer_server_authenticate (self, req->msg, &account);

  /* Credentials given and wrong are refused, as CouchDB does; none is an anonymous session. */
  if (basic && role == MER_ROLE_NONE)
    {
      _mer_server_respond_error (resp, SOUP_STATUS_UNAUTHORIZED, "unauthorized", "Name or password is incorrect.");
      return;
    }
  user = json_object_new ();
  roles = json_array_new ();
  if (account != NULL)
    json_object_set_string_member (user, "name", account);
  else
    json_object_set_null_member (user, "name");
  if (role != MER_ROLE_NONE)
    json_array_add_string_element (roles, mer_role_to_string (role));
  json_object_set_array_member (user, "roles", roles);
  info = json_object_new ();
  handlers = json_array_new ();
  json_array_add_string_element (handlers, "cookie");
  json_array_add_string_element (handlers, "default");
  json_object_set_array_member (info, "authentication_handlers", handlers);
  if (account != NULL)
    json_object_set_string_member (info, "authenticated", basic ? "default" : "cookie");
  object = json_object_new ();
  json_object_set_boolean_member (object, "ok", TRUE);
  json_object_set_object_member (object, "userCtx", user);
  json_object_set_object_member (object, "info", info);
  _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
}

void
_mer_server_handle_session (MerServer *self,
                            Request   *req,
                            Response  *resp)
{
  if (req->msg == NULL)
    _mer_server_respond_error (resp, SOUP_STATUS_NOT_FOUND, "not_found", "missing");
  else if (_mer_server_is_get (req))
    respond_session_info (self, req, resp);
  else if (_mer_server_method_is (req, "POST") && _mer_server_query_get (req, "next") != NULL)
    _mer_server_respond_error (resp, SOUP_STATUS_BAD_REQUEST, "bad_request",
                               "Meridian's _session does not redirect: the parameter next is not supported");
  else if (_mer_server_method_is (req, "POST"))
    respond_login (self, req, resp);
  else if (_mer_server_method_is (req, "DELETE"))
    {
      JsonObject *object = json_object_new ();

      /* The cookie is dropped by the client; nothing is kept here to forget. */
      soup_message_headers_append (soup_server_message_get_response_headers (req->msg), "Set-Cookie",
                                   COOKIE_NAME "=; Version=1; Max-Age=0; Path=/; HttpOnly");
      json_object_set_boolean_member (object, "ok", TRUE);
      _mer_server_respond_object (resp, SOUP_STATUS_OK, object);
    }
  else
    _mer_server_respond_method_not_allowed (resp, "GET,HEAD,POST,DELETE");
}
