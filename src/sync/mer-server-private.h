/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the files of MerServer share: the object, a request, a response. */
#pragma once

#include <libsoup/soup.h>

#include "mer-server.h"

G_BEGIN_DECLS

/* Sent as "instance_start_time" by GET /{db} and _ensure_full_commit alike. */
#define INSTANCE_START_TIME "0"
#define DEFAULT_TIMEOUT_MS   60000
#define MAX_WAIT_MS          (60 * 60 * 1000)
#define TOO_LARGE_KEY        "mer-server-too-large"
#define ROLE_KEY             "mer-server-role"     /* MerRole + 1, set by the early handler */
#define ACCOUNT_KEY          "mer-server-account"  /* the account's name, when there is one */
#define SOCKET_KEY           "mer-server-socket"   /* on a peer's address: its connection's socket */
#define SET_COOKIE_KEY       "mer-server-set-cookie" /* a renewed session cookie for the answer */
#define LIMIT_KEY            "mer-server-limit"    /* the largest body this request may send */
#define STREAM_KEY           "mer-server-stream"   /* on a peer's address: the stream libsoup reads */
#define ATT_BODY_KEY         "mer-server-att-body" /* an attachment's bytes as they arrive (GByteArray) */

struct _MerServer
{
  GObject      parent_instance;

  MerStore    *store;
  MerAccounts *accounts;
  SoupServer  *soup;
  GPtrArray   *listeners;    /* listening sockets, see mer-server-listen.c */
  GTlsCertificate *certificate;  /* serve HTTPS with it; NULL for HTTP */
  GCancellable *cancellable; /* cancelled when the server stops */
  gulong       changed_id;
  GPtrArray   *waiters;      /* paused long-poll/continuous feeds */
  GPtrArray   *cors_origins; /* origins browsers may use us from; none by default */
  guint8       session_key[32]; /* HMAC key of session cookies, drawn at start */
  guint        session_seconds; /* how long a session cookie lasts */
};

/* One request, as the router sees it: already authenticated. */
typedef struct
{
  const char         *method;
  char              **segments;    /* the path split on '/', then decoded */
  guint               n_segments;
  GHashTable         *query;       /* decoded name -> value, may be NULL */
  const char         *content_type;
  const char         *body;
  gsize               length;
  MerRole             role;
  const char         *account;     /* who asks; NULL without accounts */
  SoupServerMessage  *msg;         /* NULL when run without HTTP */
} Request;

/* The answer: a status, a JSON body, and whether a feed took over. */
typedef struct
{
  guint      status;
  JsonNode  *body;
  char      *text;   /* or the body already written as JSON */
  char      *etag;
  char      *allow;
  gboolean   paused;
  GBytes    *raw;        /* or bytes sent as they are: an attachment */
  char      *raw_type;   /* their Content-Type */
  gint64     raw_length; /* their length, for HEAD */
  gboolean   raw_active; /* a type a browser would run: a download */
} Response;

/* mer-server-requests.c: answers, parameters and the router. */
void        _mer_server_respond_json             (Response     *resp,
                                                  guint         status,
                                                  JsonNode     *body);
void        _mer_server_respond_object           (Response     *resp,
                                                  guint         status,
                                                  JsonObject   *object);
void        _mer_server_respond_error            (Response     *resp,
                                                  guint         status,
                                                  const char   *error,
                                                  const char   *reason);
void        _mer_server_respond_ok               (Response     *resp,
                                                  guint         status,
                                                  const char   *id,
                                                  const char   *rev);
void        _mer_server_respond_method_not_allowed (Response   *resp,
                                                    const char *allowed);
void        _mer_server_respond_gerror           (Response     *resp,
                                                  const GError *error);
const char *_mer_server_query_get                (Request      *req,
                                                  const char   *name);
gboolean    _mer_server_query_bool               (Request      *req,
                                                  Response     *resp,
                                                  const char   *name,
                                                  gboolean     *out);
gboolean    _mer_server_parse_count              (const char   *text,
                                                  gint64       *out);
gboolean    _mer_server_query_count              (Request      *req,
                                                  Response     *resp,
                                                  const char   *name,
                                                  gint64       *out);
JsonObject *_mer_server_parse_body_object        (Request      *req,
                                                  Response     *resp,
                                                  gsize         max_bytes);
gboolean    _mer_server_require_write            (Request      *req,
                                                  Response     *resp);
gboolean    _mer_server_method_is                (Request      *req,
                                                  const char   *method);
gboolean    _mer_server_is_get                   (Request      *req);
char      **_mer_server_split_path               (const char   *raw_path,
                                                  guint        *out_n);
gboolean    _mer_server_path_is                  (const char   *raw_path,
                                                  const char   *segment);
void        _mer_server_route                    (MerServer    *self,
                                                  Request      *req,
                                                  Response     *resp);
char       *_mer_server_response_text            (Response     *resp);
void        _mer_server_response_clear           (Response     *resp);

/* mer-server-couch.c: _all_docs, _uuids, and what is not served. */
void        _mer_server_handle_all_docs          (MerServer    *self,
                                                  Request      *req,
                                                  Response     *resp);
void        _mer_server_handle_uuids             (MerServer    *self,
                                                  Request      *req,
                                                  Response     *resp);
void        _mer_server_respond_not_served       (Response     *resp,
                                                  const char   *endpoint);
gboolean    _mer_server_is_query_endpoint        (const char   *segment);

/* mer-server-attachments.c: /{db}/{doc}/{name}, and attachments inline. */
gsize       _mer_server_max_json_bytes           (MerServer    *self);
gsize       _mer_server_body_limit               (MerServer    *self,
                                                  const char   *method,
                                                  const char   *raw_path,
                                                  gboolean     *is_attachment);
void        _mer_server_handle_attachment        (MerServer    *self,
                                                  Request      *req,
                                                  Response     *resp,
                                                  const char   *id,
                                                  const char   *name);
gboolean    _mer_server_attachments_query        (Request      *req,
                                                  Response     *resp,
                                                  gboolean     *attachments,
                                                  JsonArray   **since_list);
gboolean    _mer_server_inline_doc               (MerServer    *self,
                                                  JsonObject   *doc,
                                                  gboolean      attachments,
                                                  JsonArray    *since,
                                                  GError      **error);
char       *_mer_server_inline_entry_text        (MerServer    *self,
                                                  const char   *entry,
                                                  gboolean      attachments,
                                                  JsonArray    *since,
                                                  GError      **error);

/* mer-server.c: who is asking (Basic credentials, or a session cookie). */
MerRole     _mer_server_authenticate             (MerServer          *self,
                                                  SoupServerMessage  *msg,
                                                  char              **out_account);

/* mer-server-session.c: /_session and its cookies. */
void        _mer_server_session_init             (MerServer          *self);
void        _mer_server_session_clear            (MerServer          *self);
MerRole     _mer_server_session_authenticate     (MerServer          *self,
                                                  SoupServerMessage  *msg,
                                                  char              **out_account);
gboolean    _mer_server_is_session_login         (SoupServerMessage  *msg,
                                                  const char         *raw_path);
gsize       _mer_server_session_max_body         (void);
void        _mer_server_handle_session           (MerServer          *self,
                                                  Request            *req,
                                                  Response           *resp);

/* mer-server-listen.c: listening sockets and accepting connections. */
gboolean    _mer_server_listen_on                (MerServer       *self,
                                                  GSocketAddress  *address,
                                                  GError         **error);
void        _mer_server_stop_listening           (MerServer       *self);
void        _mer_server_listener_free            (gpointer         listener);
GInetSocketAddress *_mer_server_get_bound_address (MerServer      *self);
GSocket    *_mer_server_socket_of                (SoupServerMessage *msg);
gboolean    _mer_server_anchor_keep_alive        (MerServer       *self,
                                                  GError         **error);
void        _mer_server_set_idle                 (SoupServerMessage *msg,
                                                  gboolean         idle);

/* mer-server-stream.c: a connection's stream, as libsoup reads it. */
GIOStream  *_mer_server_stream_new               (GIOStream       *base);
void        _mer_server_stream_set_idle          (GIOStream       *stream,
                                                  gboolean         idle);

/* mer-server-feed.c: the changes feed, normal and paused (routed by
 * mer-server.c, as it answers with the helpers above). */
void        _mer_server_handle_changes           (MerServer    *self,
                                                  Request      *req,
                                                  Response     *resp);
void        _mer_server_store_changed_cb         (MerStore     *store,
                                                  MerServer    *self);
void        _mer_server_stop_feeds               (MerServer    *self);

G_END_DECLS
