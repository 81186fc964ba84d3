/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mer-accounts.h"
#include "mer-store.h"

G_BEGIN_DECLS

/*
 * The peer server: serves one workspace as a CouchDB-compatible database at
 * /<workspace name>, so that Meridian peers, PouchDB and CouchDB replicate
 * with it. Handlers run on the thread-default main context of the thread
 * that called mer_server_listen(), with the MerStore given at creation.
 */

#define MER_SERVER_DEFAULT_PORT        5984
/* Room for an attachment of the default largest size (50 MiB) in base64,
 * and the document around it. */
#define MER_SERVER_MAX_REQUEST_BYTES   (72 * 1024 * 1024)

#define MER_TYPE_SERVER (mer_server_get_type ())
G_DECLARE_FINAL_TYPE (MerServer, mer_server, MER, SERVER, GObject)

MerServer  *mer_server_new            (MerStore         *store,
                                       MerAccounts      *accounts);
gboolean    mer_server_listen         (MerServer        *self,
                                       const char       *address,
                                       GTlsCertificate  *certificate,
                                       GError          **error);
void        mer_server_stop           (MerServer        *self);
void        mer_server_set_session_lifetime (MerServer  *self,
                                             guint       seconds);
gboolean    mer_server_add_cors_origin (MerServer       *self,
                                       const char       *origin,
                                       GError          **error);
guint16     mer_server_get_port       (MerServer        *self);
char       *mer_server_get_url        (MerServer        *self);

gboolean    mer_server_parse_address  (const char       *text,
                                       GInetAddress    **out_address,
                                       guint16          *out_port,
                                       GError          **error);

/*
 * Runs one request through the router without HTTP or authentication, as
 * an account with the rw role would: for the fuzzer and for tests.
 * Long-poll feeds answer at once. Returns the HTTP status.
 */
guint       mer_server_handle_request (MerServer        *self,
                                       const char       *method,
                                       const char       *path_and_query,
                                       const char       *content_type,
                                       const char       *body,
                                       gsize             length,
                                       char            **out_body);

G_END_DECLS
