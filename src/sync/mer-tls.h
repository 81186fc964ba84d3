/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The workspace's own TLS certificate, for sharing it over HTTPS without a
 * certificate authority: self-signed, made on first use and kept in
 * DATA_DIR/tls/ (the key mode 0600). Teammates check it by its SHA-256
 * fingerprint, which the sharer shows them.
 */

#define MER_TLS_DIR_NAME  "tls"
#define MER_TLS_CERT_NAME "certificate.pem"
#define MER_TLS_KEY_NAME  "key.pem"

GTlsCertificate *mer_tls_ensure_certificate (const char       *data_dir,
                                             gboolean         *out_created,
                                             GError          **error);
char            *mer_tls_fingerprint        (GTlsCertificate  *certificate);
char            *mer_tls_normalize_fingerprint (const char    *text,
                                                GError       **error);

/*
 * Certificates a person accepted by their fingerprint, per host and port,
 * in DATA_DIR/known-certificates.json (as SSH's known_hosts): a peer with
 * one is trusted only when it presents that very certificate.
 */
#define MER_TLS_KNOWN_FILE_NAME "known-certificates.json"

char            *mer_tls_known_lookup       (const char       *data_dir,
                                             const char       *url);
gboolean         mer_tls_known_save         (const char       *data_dir,
                                             const char       *url,
                                             const char       *fingerprint,
                                             GError          **error);

/* A database that accepts exactly the certificate with @fingerprint. */
GTlsDatabase    *mer_tls_pinned_database_new (const char      *fingerprint);
char            *mer_tls_pinned_database_get_presented (GTlsDatabase *database);

G_END_DECLS
