/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * A real Apache CouchDB for tests: single nodes and 3-node clusters,
 * started from $MERIDIAN_COUCHDB_DIR (start-node) on free loopback ports,
 * each in a fresh folder and with a node name of its own (so that runs at
 * the same time never collide in Erlang's port mapper), and stopped when
 * the program ends, also when an assertion aborts. Admin: admin/secret.
 */
typedef struct
{
  GPid     pid;
  guint16  port;
  char    *dir;
  char    *name;     /* Erlang node name, without @127.0.0.1 */
} MerTestCouchNode;

typedef struct
{
  guint             n_nodes;  /* 1, or 3 for a cluster */
  MerTestCouchNode  nodes[3];
} MerTestCouch;

gboolean      mer_test_couch_available   (void);
MerTestCouch *mer_test_couch_start       (guint               n_nodes);
void          mer_test_couch_stop        (MerTestCouch       *couch);
void          mer_test_couch_kill_node   (MerTestCouch       *couch,
                                          guint               index,
                                          int                 signum);
void          mer_test_couch_restart_node (MerTestCouch      *couch,
                                           guint              index);
char         *mer_test_couch_url         (MerTestCouch       *couch,
                                          guint               index,
                                          const char         *user,
                                          const char         *password,
                                          const char         *path);
JsonNode     *mer_test_couch_request     (MerTestCouch       *couch,
                                          guint               index,
                                          const char         *method,
                                          const char         *path,
                                          const char         *user,
                                          const char         *password,
                                          const char         *body,
                                          guint              *status);
guint16       mer_test_free_port         (void);

G_END_DECLS
