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

G_END_DECLS
