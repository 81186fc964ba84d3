/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-tls.h"

#include "mer-json.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>

#define VALID_DAYS 3650

static gboolean
gnutls_failed (int code,
               GError **error)
{
  if (code >= 0)
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("Cannot make a TLS certificate: %s"),
               gnutls_strerror (code));
  return TRUE;
}

/*
 * A new ECDSA P-256 key and a certificate for it, signed by itself, for
 * this machine's name, "localhost" and 127.0.0.1, valid ten years: both
 * as PEM (the key as PKCS #8).
 */
static gboolean
generate (char **out_cert_pem,
          char **out_key_pem,
          GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t cert_pem = { NULL, 0 };
  gnutls_datum_t key_pem = { NULL, 0 };
  const char *host = g_get_host_name ();
  g_autofree char *common_name = g_strdup_printf ("Meridian on %s", host);
  const guint8 loopback[4] = { 127, 0, 0, 1 };
  guint8 serial[16];
  time_t now = time (NULL);
  gboolean ok = FALSE;

  if (gnutls_failed (gnutls_x509_privkey_init (&key), error)
      || gnutls_failed (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                      GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
                        error)
      || gnutls_failed (gnutls_x509_crt_init (&crt), error)
      || gnutls_failed (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial), error))
    goto out;
  serial[0] &= 0x7f; /* a positive number */
  serial[0] |= 0x01;
  if (gnutls_failed (gnutls_x509_crt_set_version (crt, 3), error)
      || gnutls_failed (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), error)
      || gnutls_failed (gnutls_x509_crt_set_activation_time (crt, now - 3600), error)
      || gnutls_failed (gnutls_x509_crt_set_expiration_time (crt, now + (time_t) VALID_DAYS * 86400), error)
      || gnutls_failed (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, common_name,
                                                       strlen (common_name)),
                        error)
      || gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, host, strlen (host),
                                                              GNUTLS_FSAN_APPEND),
                        error)
      || gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                              GNUTLS_FSAN_APPEND),
                        error)
      || gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback,
                                                              sizeof loopback, GNUTLS_FSAN_APPEND),
                        error)
      || gnutls_failed (gnutls_x509_crt_set_key (crt, key), error)
      || gnutls_failed (gnutls_x509_crt_set_basic_constraints (crt, 0, -1), error)
      || gnutls_failed (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE), error)
      || gnutls_failed (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0), error)
      || gnutls_failed (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), error)
      || gnutls_failed (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cert_pem), error)
      || gnutls_failed (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                                           &key_pem),
                        error))
    goto out;

  *out_cert_pem = g_strndup ((const char *) cert_pem.data, cert_pem.size);
  *out_key_pem = g_strndup ((const char *) key_pem.data, key_pem.size);
  ok = TRUE;

out:
  if (key_pem.data != NULL)
    {
      memset (key_pem.data, 0, key_pem.size);
      gnutls_free (key_pem.data);
    }
  if (cert_pem.data != NULL)
    gnutls_free (cert_pem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

/*
 * Loads the workspace's certificate, or makes one when there is none
 * (*out_created then TRUE). The key is written before the certificate,
 * each atomically, so that a certificate on disk always has its key; a
 * certificate whose key is missing is made again.
 */
GTlsCertificate *
mer_tls_ensure_certificate (const char *data_dir,
                            gboolean *out_created,
                            GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  GTlsCertificate *certificate;
  gboolean ok;

  g_return_val_if_fail (data_dir != NULL, NULL);

  dir = g_build_filename (data_dir, MER_TLS_DIR_NAME, NULL);
  cert_path = g_build_filename (dir, MER_TLS_CERT_NAME, NULL);
  key_path = g_build_filename (dir, MER_TLS_KEY_NAME, NULL);
  if (out_created != NULL)
    *out_created = FALSE;

  if (g_file_test (cert_path, G_FILE_TEST_EXISTS) && g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (GError) local_error = NULL;

      certificate = g_tls_certificate_new_from_files (cert_path, key_path, &local_error);
      if (certificate == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     _ ("The workspace’s TLS certificate in %s cannot be read (%s); move the folder "
                        "away to make a new one, then tell teammates its new fingerprint"),
                     dir, local_error->message);
      return certificate;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _ ("Cannot create %s: %s"), dir,
                   g_strerror (saved));
      return NULL;
    }
  if (!generate (&cert_pem, &key_pem, error))
    return NULL;
  ok = g_file_set_contents_full (key_path, key_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)
       && g_file_set_contents_full (cert_path, cert_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
  memset (key_pem, 0, strlen (key_pem));
  if (!ok)
    return NULL;
  certificate = g_tls_certificate_new_from_files (cert_path, key_path, error);
  if (certificate != NULL && out_created != NULL)
    *out_created = TRUE;
  return certificate;
}

/* "SHA256 AB:CD:…": the SHA-256 of the certificate's DER bytes. */
char *
mer_tls_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr (GByteArray) der = NULL;
  g_autoptr (GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize length = sizeof digest;
  GString *text;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &length);
  text = g_string_new ("SHA256 ");
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (text, FALSE);
}

/*
 * "SHA256 AB:CD:…" from what a person pastes: with or without the
 * "SHA256" word, colons or spaces, in either case. NULL and @error when it
 * is not 32 bytes of hexadecimal.
 */
char *
mer_tls_normalize_fingerprint (const char *text,
                               GError **error)
{
  g_autoptr (GString) hex = g_string_new (NULL);
  GString *out;
  const char *p = text != NULL ? text : "";

  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, "SHA256", 6) == 0)
    p += 6;
  else if (g_ascii_strncasecmp (p, "SHA-256", 7) == 0)
    p += 7;
  for (; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        g_string_append_c (hex, g_ascii_toupper (*p));
      else if (*p != ':' && *p != ' ' && *p != '=' && *p != '\t')
        break;
    }
  if (*p != '\0' || hex->len != 64)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not a certificate fingerprint: expected SHA256 and 32 pairs of hexadecimal "
                      "digits, as the sharer’s Preferences › Sharing shows"),
                   text != NULL ? text : "");
      return NULL;
    }
  out = g_string_new ("SHA256 ");
  for (guint i = 0; i < 64; i += 2)
    g_string_append_printf (out, i == 0 ? "%c%c" : ":%c%c", hex->str[i], hex->str[i + 1]);
  return g_string_free (out, FALSE);
}

/* "host:port" of @url, the key of a known certificate. */
static char *
known_key (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  int port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
  return g_strdup_printf ("%s:%d", g_uri_get_host (uri), port);
}

static JsonObject *
read_known (const char *path)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonObject *root = NULL;

  if (g_file_get_contents (path, &text, &length, NULL))
    root = mer_json_parse_object (text, length, NULL);
  return root != NULL ? root : json_object_new ();
}

/* The fingerprint accepted for @url's host and port, or NULL. */
char *
mer_tls_known_lookup (const char *data_dir,
                      const char *url)
{
  g_autofree char *path = g_build_filename (data_dir, MER_TLS_KNOWN_FILE_NAME, NULL);
  g_autofree char *key = known_key (url);
  g_autoptr (JsonObject) known = NULL;
  const char *value;

  if (key == NULL)
    return NULL;
  known = read_known (path);
  value = mer_json_get_string (known, key);
  return value != NULL ? mer_tls_normalize_fingerprint (value, NULL) : NULL;
}

/* Accepts @fingerprint for @url's host and port, replacing any before. */
gboolean
mer_tls_known_save (const char *data_dir,
                    const char *url,
                    const char *fingerprint,
                    GError **error)
{
  g_autofree char *path = g_build_filename (data_dir, MER_TLS_KNOWN_FILE_NAME, NULL);
  g_autofree char *key = known_key (url);
  g_autofree char *normal = mer_tls_normalize_fingerprint (fingerprint, error);
  g_autoptr (JsonObject) known = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (normal == NULL)
    return FALSE;
  if (key == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _ ("“%s” is not an address"), url);
      return FALSE;
    }
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _ ("Cannot create %s: %s"), data_dir,
                   g_strerror (saved));
      return FALSE;
    }
  known = read_known (path);
  json_object_set_string_member (known, key, normal);
  node = json_node_init_object (json_node_alloc (), known);
  text = mer_json_to_string (node, TRUE);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* ------------------------------------------------------------------ */
/* A database that trusts one certificate, by its fingerprint.         */
/* ------------------------------------------------------------------ */

#define MER_TYPE_PINNED_DATABASE (mer_pinned_database_get_type ())
G_DECLARE_FINAL_TYPE (MerPinnedDatabase, mer_pinned_database, MER, PINNED_DATABASE, GTlsDatabase)

struct _MerPinnedDatabase
{
  GTlsDatabase parent_instance;

  char *fingerprint;
  GMutex lock;
  char *presented; /* the last certificate refused, under lock */
};

G_DEFINE_FINAL_TYPE (MerPinnedDatabase, mer_pinned_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
mer_pinned_database_verify_chain (GTlsDatabase *database,
                                  GTlsCertificate *chain,
                                  const char *purpose,
                                  GSocketConnectable *identity,
                                  GTlsInteraction *interaction,
                                  GTlsDatabaseVerifyFlags flags,
                                  GCancellable *cancellable,
                                  GError **error)
{
  MerPinnedDatabase *self = MER_PINNED_DATABASE (database);
  g_autofree char *presented = mer_tls_fingerprint (chain);

  /* The certificate itself is the trust: its name and issuer do not
   * matter, only that it is the very one the person accepted. */
  if (presented != NULL && g_strcmp0 (presented, self->fingerprint) == 0)
    return 0;
  g_mutex_lock (&self->lock);
  g_free (self->presented);
  self->presented = g_steal_pointer (&presented);
  g_mutex_unlock (&self->lock);
  return G_TLS_CERTIFICATE_UNKNOWN_CA;
}

static void
mer_pinned_database_finalize (GObject *object)
{
  MerPinnedDatabase *self = MER_PINNED_DATABASE (object);

  g_free (self->fingerprint);
  g_free (self->presented);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (mer_pinned_database_parent_class)->finalize (object);
}

static void
mer_pinned_database_class_init (MerPinnedDatabaseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mer_pinned_database_finalize;
  G_TLS_DATABASE_CLASS (klass)->verify_chain = mer_pinned_database_verify_chain;
}

static void
mer_pinned_database_init (MerPinnedDatabase *self)
{
  g_mutex_init (&self->lock);
}

GTlsDatabase *
mer_tls_pinned_database_new (const char *fingerprint)
{
  MerPinnedDatabase *self = g_object_new (MER_TYPE_PINNED_DATABASE, NULL);

  self->fingerprint = mer_tls_normalize_fingerprint (fingerprint, NULL);
  return G_TLS_DATABASE (self);
}

/* The fingerprint of the last certificate refused, or NULL. */
char *
mer_tls_pinned_database_get_presented (GTlsDatabase *database)
{
  MerPinnedDatabase *self;
  char *presented;

  g_return_val_if_fail (MER_IS_PINNED_DATABASE (database), NULL);

  self = MER_PINNED_DATABASE (database);
  g_mutex_lock (&self->lock);
  presented = g_strdup (self->presented);
  g_mutex_unlock (&self->lock);
  return presented;
}
