/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fake peers for the sync error tests, on 127.0.0.1 on a port they pick:
 * a web site, some other JSON service, a proxy whose "database" is a web
 * page, and a CouchDB hub that refuses one document (page:b) of every
 * batch with its reason, as a hub's validate_doc_update does. Header only.
 */
#pragma once

#include "mer-json.h"
#include "mer-store.h"

#include <libsoup/soup.h>
#include <string.h>

typedef enum
{
  FAKE_HTML,        /* a web site: every address is a web page */
  FAKE_OTHER_JSON,  /* some other JSON service */
  FAKE_PROXY_HTML,  /* the root is refused; the "database" is a web page */
  FAKE_HUB,         /* a CouchDB hub that refuses page:b */
} FakeMode;

typedef struct
{
  FakeMode    mode;
  SoupServer *server;
  char       *url;        /* its database URL */
  GHashTable *local_docs; /* path -> _local document */
  guint       bulk_docs;  /* _bulk_docs requests */
  guint       refused_sent; /* times page:b was sent */
} Fake;

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *type,
         const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

static JsonNode *
request_json (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return mer_json_parse (data, (gssize) size, NULL);
}

/* The hub's part: a CouchDB that keeps _local documents and refuses one. */
static void
hub_cb (Fake              *fake,
        SoupServerMessage *msg,
        const char        *path)
{
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/") == 0)
    respond (msg, 200, "application/json", "{\"couchdb\":\"Welcome\",\"uuid\":\"00aa11bb22cc33dd44ee55ff66778899\"}");
  else if (strcmp (path, "/handbook") == 0)
    respond (msg, 200, "application/json", "{\"db_name\":\"handbook\",\"update_seq\":\"0\"}");
  else if (g_str_has_prefix (path, "/handbook/_local/"))
    {
      if (strcmp (method, "GET") == 0)
        {
          const char *doc = g_hash_table_lookup (fake->local_docs, path);

          if (doc != NULL)
            respond (msg, 200, "application/json", doc);
          else
            respond (msg, 404, "application/json", "{\"error\":\"not_found\",\"reason\":\"missing\"}");
        }
      else
        {
          g_autoptr(JsonNode) node = request_json (msg);
          JsonObject *doc = json_node_get_object (node);
          g_autofree char *rev = g_strdup_printf ("0-%u", g_hash_table_size (fake->local_docs) + 1);
          g_autofree char *reply = g_strdup_printf ("{\"ok\":true,\"id\":\"%s\",\"rev\":\"%s\"}",
                                                    path + strlen ("/handbook/"), rev);

          json_object_set_string_member (doc, "_rev", rev);
          g_hash_table_insert (fake->local_docs, g_strdup (path), mer_json_to_string (node, FALSE));
          respond (msg, 201, "application/json", reply);
        }
    }
  else if (strcmp (path, "/handbook/_revs_diff") == 0)
    {
      /* Everything is missing: the hub wants every revision. */
      g_autoptr(JsonNode) node = request_json (msg);
      g_autoptr(JsonObject) reply = json_object_new ();
      g_autoptr(JsonNode) out = NULL;
      g_autofree char *text = NULL;
      JsonObjectIter iter;
      const char *id;
      JsonNode *revs;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &id, &revs))
        {
          JsonObject *missing = json_object_new ();

          json_object_set_member (missing, "missing", json_node_copy (revs));
          json_object_set_object_member (reply, id, missing);
        }
      out = json_node_init_object (json_node_alloc (), reply);
      text = mer_json_to_string (out, FALSE);
      respond (msg, 200, "application/json", text);
    }
  else if (strcmp (path, "/handbook/_bulk_docs") == 0)
    {
      g_autoptr(JsonNode) node = request_json (msg);
      JsonArray *docs = json_object_get_array_member (json_node_get_object (node), "docs");
      g_autoptr(JsonArray) rows = json_array_new ();
      g_autoptr(JsonNode) out = NULL;
      g_autofree char *text = NULL;

      fake->bulk_docs++;
      for (guint i = 0; i < json_array_get_length (docs); i++)
        {
          JsonObject *doc = json_array_get_object_element (docs, i);

          if (g_strcmp0 (mer_json_get_string (doc, "_id"), "page:b") == 0)
            {
              JsonObject *row = json_object_new ();

              fake->refused_sent++;
              json_object_set_string_member (row, "id", "page:b");
              json_object_set_string_member (row, "rev", mer_json_get_string (doc, "_rev"));
              json_object_set_string_member (row, "error", "forbidden");
              json_object_set_string_member (row, "reason", "Only the owner of this page may edit it");
              json_array_add_object_element (rows, row);
            }
        }
      out = json_node_init_array (json_node_alloc (), rows);
      text = mer_json_to_string (out, FALSE);
      respond (msg, 201, "application/json", text);
    }
  else if (strcmp (path, "/handbook/_changes") == 0)
    respond (msg, 200, "application/json", "{\"results\":[],\"last_seq\":\"0\"}");
  else if (strcmp (method, "POST") == 0)
    respond (msg, 201, "application/json", "{\"ok\":true}");
  else
    respond (msg, 404, "application/json", "{\"error\":\"not_found\",\"reason\":\"missing\"}");
}

static void
fake_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fake *fake = user_data;
  static const char page[] = "<!DOCTYPE html>\n<html><head><title>Welcome to our intranet</title></head>"
                             "<body><h1>Sign in</h1></body></html>";

  switch (fake->mode)
    {
    case FAKE_HTML:
      respond (msg, 200, "text/html", page);
      break;
    case FAKE_OTHER_JSON:
      if (strcmp (path, "/") == 0)
        respond (msg, 200, "application/json", "{\"status\":\"ok\",\"service\":\"metrics\",\"version\":\"9.1\"}");
      else
        respond (msg, 200, "application/json", "{\"status\":\"ok\"}");
      break;
    case FAKE_PROXY_HTML:
      if (strcmp (path, "/") == 0)
        respond (msg, 404, "text/html", "<html><body>Not here</body></html>");
      else
        respond (msg, 200, "text/html", page);
      break;
    case FAKE_HUB:
    default:
      hub_cb (fake, msg, path);
      break;
    }
}

G_GNUC_UNUSED static Fake *
fake_new (FakeMode mode)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  fake->mode = mode;
  fake->local_docs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, fake_cb, fake, NULL);
  g_assert_true (soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d/handbook", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return fake;
}

G_GNUC_UNUSED static void
fake_free (Fake *fake)
{
  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_hash_table_unref (fake->local_docs);
  g_free (fake->url);
  g_free (fake);
}

G_GNUC_UNUSED static void
fake_put_page (MerStore   *store,
          const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = json_object_new ();
  g_autofree char *rev = NULL;

  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "page");
  json_object_set_string_member (doc, "title", id + 5);
  json_object_set_string_member (doc, "path", id + 5);
  json_object_set_string_member (doc, "body", "Some text.");
  json_object_set_string_member (doc, "updated_at", "2026-11-20T10:00:00Z");
  rev = mer_store_put_doc (store, doc, &error);
  g_assert_no_error (error);
}

