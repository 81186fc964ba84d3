/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"
#include "mer-cli-hub-resources.h"
#include "mer-json.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/*
 * meridian hub setup|add-user|remove-user|list-users: prepares a team hub
 * on Apache CouchDB (or a compatible service) and manages its accounts.
 * Credentials come only from standard input, never from argv, where any
 * user of the machine could read them.
 */

#define HUB_DESIGN_ID "_design/meridian"
#define HUB_TEAM_ROLE "meridian-team"
#define HUB_RO_ROLE "meridian-ro"
#define HUB_MAX_LINE 4096

typedef struct
{
  SoupSession *session;
  char *root;      /* scheme://host:port[/prefix], no trailing slash */
  char *database;  /* the team database's name, or NULL */
  char *auth;      /* "Basic …" */
} Hub;

static void
hub_clear (Hub *hub)
{
  g_clear_object (&hub->session);
  g_clear_pointer (&hub->root, g_free);
  g_clear_pointer (&hub->database, g_free);
  if (hub->auth != NULL)
    memset (hub->auth, 0, strlen (hub->auth));
  g_clear_pointer (&hub->auth, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Hub, hub_clear)

/* One line of standard input without its line ending; NULL at its end. */
static char *
read_line (void)
{
  GString *line = g_string_new (NULL);
  int c;

  while ((c = fgetc (stdin)) != EOF && c != '\n')
    if (line->len < HUB_MAX_LINE)
      g_string_append_c (line, (char) c);
  if (c == EOF && line->len == 0)
    {
      g_string_free (line, TRUE);
      return NULL;
    }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

/*
 * A secret line: on a terminal it is asked for with @prompt and not
 * echoed; from a pipe or a file it is simply the next line.
 */
static char *
read_secret (const char *prompt)
{
  struct termios saved, quiet;
  char *line;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &saved) != 0)
    return read_line ();
  fputs (prompt, stderr);
  fflush (stderr);
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  line = read_line ();
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  fputc ('\n', stderr);
  return line;
}

/*
 * Splits URL into the server's root and, when its path is not empty, the
 * team database (the last segment). A URL that carries a password is
 * refused: it would be visible to every process on the machine.
 */
static gboolean
hub_parse_url (Hub         *hub,
               const char  *url,
               gboolean     need_database,
               GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *path = NULL;
  char *slash;

  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
                      && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an http:// or https:// URL"), url);
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                   _("give the admin's name and password on standard input, not in the URL"));
      return FALSE;
    }
  path = g_strdup (g_uri_get_path (uri));
  while (*path != '\0' && path[strlen (path) - 1] == '/')
    path[strlen (path) - 1] = '\0';
  slash = strrchr (path, '/');
  if (slash != NULL && slash[1] != '\0')
    {
      g_autofree char *name = g_uri_unescape_string (slash + 1, NULL);

      if (name == NULL || !g_regex_match_simple ("^[a-z][a-z0-9_$()+/-]*$", name, 0, 0))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a valid CouchDB database name"), slash + 1);
          return FALSE;
        }
      hub->database = g_strdup (slash + 1);
      *slash = '\0';
    }
  if (need_database && hub->database == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the URL must name the team database, e.g. %s/handbook"), url);
      return FALSE;
    }
  {
    g_autoptr(GUri) root = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL,
                                        g_uri_get_host (uri), g_uri_get_port (uri), path,
                                        NULL, NULL);
    hub->root = g_uri_to_string (root);
  }
  return TRUE;
}

/*
 * The admin's credentials from standard input: with @admin_name the first
 * line is the password, otherwise it is "name:password".
 */
static gboolean
hub_read_admin (Hub         *hub,
                const char  *admin_name,
                char       **name_out,
                GError     **error)
{
  g_autofree char *line = read_secret (admin_name != NULL ? _("CouchDB admin password: ")
                                                           : _("CouchDB admin (name:password): "));
  g_autofree char *pair = NULL;
  g_autofree char *encoded = NULL;

  if (line == NULL || *line == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                   admin_name != NULL ? _("no admin password on standard input")
                                      : _("expected “name:password” of a CouchDB admin on standard input"));
      return FALSE;
    }
  if (admin_name != NULL)
    pair = g_strdup_printf ("%s:%s", admin_name, line);
  else if (strchr (line, ':') == NULL || line[0] == ':')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                   _("expected “name:password” of a CouchDB admin on standard input (or use --admin NAME)"));
      return FALSE;
    }
  else
    pair = g_strdup (line);
  *name_out = g_strndup (pair, strchr (pair, ':') - pair);
  encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  hub->auth = g_strconcat ("Basic ", encoded, NULL);
  memset (line, 0, strlen (line));
  memset (pair, 0, strlen (pair));
  return TRUE;
}

/*
 * One request; returns the parsed JSON answer (or NULL when the answer is
 * not JSON) and the status in @status.
 */
static JsonNode *
hub_request (Hub         *hub,
             const char  *method,
             const char  *path,
             JsonNode    *body,
             guint       *status,
             GError     **error)
{
  g_autofree char *url = g_strconcat (hub->root, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data;

  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("bad URL %s"), url);
      return NULL;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", hub->auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "application/json");
  if (body != NULL)
    {
      char *text = mer_json_to_string (body, FALSE);
      gsize length = strlen (text);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, length);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (hub->session, msg, NULL, error);
  if (answer == NULL)
    {
      g_prefix_error (error, "%s %s: ", method, url);
      return NULL;
    }
  *status = soup_message_get_status (msg);
  data = g_bytes_get_data (answer, &size);
  if (size == 0 || !json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return NULL;
  return json_parser_steal_root (parser);
}

/* The "reason" (or "error") of a CouchDB error answer, for messages. */
static const char *
reason_of (JsonNode *answer)
{
  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    {
      JsonObject *object = json_node_get_object (answer);
      const char *reason = mer_json_get_string (object, "reason");

      return reason != NULL ? reason : mer_json_get_string (object, "error");
    }
  return _("no JSON answer");
}

static gboolean
hub_expect (JsonNode    *answer,
            guint        status,
            const char  *what,
            GError     **error)
{
  if (status >= 200 && status < 300)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: HTTP %u (%s)"), what, status,
               reason_of (answer));
  return FALSE;
}

static void
hub_init (Hub *hub)
{
  memset (hub, 0, sizeof *hub);
  hub->session = soup_session_new_with_options ("timeout", 60, "user-agent", "meridian-hub", NULL);
}

/* The validate_doc_update source, without the comment lines before it. */
static char *
hub_validate_source (GError **error)
{
  g_autoptr(GBytes) bytes = g_resource_lookup_data (mer_cli_hub_get_resource (),
                                                    APP_RESOURCE_PATH "/hub/hub-validate.js",
                                                    G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  const char *text;
  const char *start;

  if (bytes == NULL)
    return NULL;
  text = g_bytes_get_data (bytes, NULL);
  start = strstr (text, "\nfunction");
  return g_strdup (start != NULL ? start + 1 : text);
}

/* Adds @value to the string array @member of @object unless it is there. */
static void
add_unique (JsonObject *object,
            const char *member,
            const char *value)
{
  JsonArray *array;

  if (!json_object_has_member (object, member)
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, member)))
    json_object_set_array_member (object, member, json_array_new ());
  array = json_object_get_array_member (object, member);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_node_get_string (json_array_get_element (array, i)), value) == 0)
      return;
  json_array_add_string_element (array, value);
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  if (!json_object_has_member (object, member)
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, member)))
    json_object_set_object_member (object, member, json_object_new ());
  return json_object_get_object_member (object, member);
}

static int
hub_setup (MerCliContext *ctx,
           Hub           *hub,
           const char    *admin_name,
           int            n,
           int            q)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) design = NULL;
  g_autofree char *db_path = g_strconcat ("/", hub->database, NULL);
  g_autofree char *path = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *source = NULL;
  JsonObject *security;
  JsonObject *doc;
  guint status = 0;

  source = hub_validate_source (&error);
  if (source == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (!hub_read_admin (hub, admin_name, &admin, &error))
    return mer_cli_fail (ctx, "%s", error->message);

  /* The database: created once, kept as it is afterwards. */
  answer = hub_request (hub, "GET", db_path, NULL, &status, &error);
  if (error != NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (status == 404)
    {
      g_clear_pointer (&answer, json_node_unref);
      path = n > 0 || q > 0
        ? g_strdup_printf ("%s?n=%d&q=%d", db_path, n > 0 ? n : 1, q > 0 ? q : 2)
        : g_strdup (db_path);
      answer = hub_request (hub, "PUT", path, NULL, &status, &error);
      if (error != NULL || (status != 412 && !hub_expect (answer, status, _("creating the database"), &error)))
        return mer_cli_fail (ctx, "%s", error->message);
      printf (_("Created the database %s\n"), hub->database);
    }
  else if (!hub_expect (answer, status, _("reading the database"), &error))
    return mer_cli_fail (ctx, "%s", error->message);
  else
    printf (_("The database %s exists; keeping its documents\n"), hub->database);

  /* _security: the team role reads and writes, the admin administers;
   * whatever else is there stays. */
  g_clear_pointer (&answer, json_node_unref);
  g_clear_pointer (&path, g_free);
  path = g_strconcat (db_path, "/_security", NULL);
  answer = hub_request (hub, "GET", path, NULL, &status, &error);
  if (error != NULL || !hub_expect (answer, status, _("reading _security"), &error))
    return mer_cli_fail (ctx, "%s", error->message);
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    return mer_cli_fail (ctx, "%s", _("reading _security: not a JSON object"));
  security = json_node_get_object (answer);
  add_unique (member_object (security, "members"), "roles", HUB_TEAM_ROLE);
  add_unique (member_object (security, "admins"), "names", admin);
  {
    g_autoptr(JsonNode) reply = hub_request (hub, "PUT", path, answer, &status, &error);

    if (error != NULL || !hub_expect (reply, status, _("writing _security"), &error))
      return mer_cli_fail (ctx, "%s", error->message);
  }
  printf (_("Members: role %s; admins: %s\n"), HUB_TEAM_ROLE, admin);

  /* The design document: replaced with the current one on every run. */
  g_clear_pointer (&answer, json_node_unref);
  g_clear_pointer (&path, g_free);
  path = g_strconcat (db_path, "/" HUB_DESIGN_ID, NULL);
  answer = hub_request (hub, "GET", path, NULL, &status, &error);
  if (error != NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (status != 404 && !hub_expect (answer, status, _("reading the design document"), &error))
    return mer_cli_fail (ctx, "%s", error->message);

  doc = json_object_new ();
  design = json_node_init_object (json_node_alloc (), doc);
  json_object_unref (doc);
  json_object_set_string_member (doc, "_id", HUB_DESIGN_ID);
  if (status != 404 && answer != NULL && JSON_NODE_HOLDS_OBJECT (answer)
      && mer_json_get_string (json_node_get_object (answer), "_rev") != NULL)
    json_object_set_string_member (doc, "_rev",
                                   mer_json_get_string (json_node_get_object (answer), "_rev"));
  json_object_set_string_member (doc, "language", "javascript");
  json_object_set_string_member (doc, "meridian_version", PACKAGE_VERSION);
  json_object_set_string_member (doc, "validate_doc_update", source);
  g_clear_pointer (&answer, json_node_unref);
  g_clear_pointer (&path, g_free);
  /* On a cluster, wait until every copy holds it, or a write that comes
   * right after could still be checked by the old version (or none). */
  path = n > 1 ? g_strdup_printf ("%s/%s?w=%d", db_path, HUB_DESIGN_ID, n)
               : g_strconcat (db_path, "/" HUB_DESIGN_ID, NULL);
  answer = hub_request (hub, "PUT", path, design, &status, &error);
  if (error != NULL || !hub_expect (answer, status, _("writing the design document"), &error))
    return mer_cli_fail (ctx, "%s", error->message);
  printf (_("Installed %s (rev %s)\n"), HUB_DESIGN_ID,
          mer_json_get_string (json_node_get_object (answer), "rev"));
  return 0;
}

static gboolean
check_user_name (const char  *name,
                 GError     **error)
{
  if (name == NULL || *name == '\0' || strlen (name) > 64 || *name == '_'
      || !g_regex_match_simple ("^[A-Za-z0-9._-]+$", name, 0, 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid user name (letters, digits, “.”, “_”, “-”)"),
                   name != NULL ? name : "");
      return FALSE;
    }
  return TRUE;
}

static char *
user_path (const char *name)
{
  g_autofree char *id = g_strconcat ("org.couchdb.user:", name, NULL);
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strconcat ("/_users/", escaped, NULL);
}

/* The _rev of an existing user document, or NULL (and no error) if none. */
static char *
user_rev (Hub         *hub,
          const char  *path,
          GError     **error)
{
  guint status = 0;
  g_autoptr(JsonNode) answer = hub_request (hub, "GET", path, NULL, &status, error);

  if (answer == NULL && *error != NULL)
    return NULL;
  if (status == 404)
    return NULL;
  if (!hub_expect (answer, status, _("reading the user"), error))
    return NULL;
  return g_strdup (mer_json_get_string (json_node_get_object (answer), "_rev"));
}

static int
hub_add_user (MerCliContext *ctx,
              Hub           *hub,
              const char    *admin_name,
              const char    *name,
              const char    *role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *password = NULL;
  g_autofree char *path = NULL;
  g_autofree char *rev = NULL;
  JsonObject *doc;
  JsonArray *roles;
  guint status = 0;

  if (g_strcmp0 (role, "rw") != 0 && g_strcmp0 (role, "ro") != 0)
    return mer_cli_fail (ctx, "%s", _("--role must be rw or ro"));
  if (!check_user_name (name, &error))
    return mer_cli_fail (ctx, "%s", error->message);
  if (!hub_read_admin (hub, admin_name, &admin, &error))
    return mer_cli_fail (ctx, "%s", error->message);
  password = read_secret (_("Password for the new user: "));
  if (password == NULL || *password == '\0')
    return mer_cli_fail (ctx, "%s", _("no password for the new user on the second line of standard input"));

  path = user_path (name);
  rev = user_rev (hub, path, &error);
  if (error != NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  doc = json_object_new ();
  node = json_node_init_object (json_node_alloc (), doc);
  json_object_unref (doc);
  {
    g_autofree char *id = g_strconcat ("org.couchdb.user:", name, NULL);
    json_object_set_string_member (doc, "_id", id);
  }
  if (rev != NULL)
    json_object_set_string_member (doc, "_rev", rev);
  json_object_set_string_member (doc, "name", name);
  json_object_set_string_member (doc, "type", "user");
  roles = json_array_new ();
  json_array_add_string_element (roles, HUB_TEAM_ROLE);
  if (strcmp (role, "ro") == 0)
    json_array_add_string_element (roles, HUB_RO_ROLE);
  json_object_set_array_member (doc, "roles", roles);
  json_object_set_string_member (doc, "password", password);
  memset (password, 0, strlen (password));

  answer = hub_request (hub, "PUT", path, node, &status, &error);
  if (error != NULL || !hub_expect (answer, status, _("writing the user"), &error))
    return mer_cli_fail (ctx, "%s", error->message);
  if (rev != NULL)
    printf (_("Updated hub user %s (%s)\n"), name, role);
  else
    printf (_("Added hub user %s (%s)\n"), name, role);
  return 0;
}

static int
hub_remove_user (MerCliContext *ctx,
                 Hub           *hub,
                 const char    *admin_name,
                 const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *path = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *target = NULL;
  guint status = 0;

  if (!check_user_name (name, &error))
    return mer_cli_fail (ctx, "%s", error->message);
  if (!hub_read_admin (hub, admin_name, &admin, &error))
    return mer_cli_fail (ctx, "%s", error->message);
  path = user_path (name);
  rev = user_rev (hub, path, &error);
  if (error != NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  if (rev == NULL)
    return mer_cli_fail (ctx, _("no hub user %s"), name);
  escaped = g_uri_escape_string (rev, NULL, FALSE);
  target = g_strconcat (path, "?rev=", escaped, NULL);
  answer = hub_request (hub, "DELETE", target, NULL, &status, &error);
  if (error != NULL || !hub_expect (answer, status, _("removing the user"), &error))
    return mer_cli_fail (ctx, "%s", error->message);
  printf (_("Removed hub user %s\n"), name);
  return 0;
}

static gboolean
has_role (JsonArray  *roles,
          const char *role)
{
  for (guint i = 0; roles != NULL && i < json_array_get_length (roles); i++)
    if (g_strcmp0 (json_node_get_string (json_array_get_element (roles, i)), role) == 0)
      return TRUE;
  return FALSE;
}

static int
hub_list_users (MerCliContext *ctx,
                Hub           *hub,
                const char    *admin_name,
                gboolean       json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonArray) list = json_array_new ();
  g_autofree char *admin = NULL;
  JsonArray *rows;
  guint status = 0;

  if (!hub_read_admin (hub, admin_name, &admin, &error))
    return mer_cli_fail (ctx, "%s", error->message);
  answer = hub_request (hub, "GET",
                        "/_users/_all_docs?include_docs=true"
                        "&startkey=%22org.couchdb.user%3A%22&endkey=%22org.couchdb.user%3B%22",
                        NULL, &status, &error);
  if (error != NULL || !hub_expect (answer, status, _("listing users"), &error))
    return mer_cli_fail (ctx, "%s", error->message);
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer)
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (answer), "rows")))
    return mer_cli_fail (ctx, "%s", _("listing users: unexpected answer"));

  rows = json_object_get_array_member (json_node_get_object (answer), "rows");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonNode *doc_node = row != NULL ? json_object_get_member (row, "doc") : NULL;
      JsonObject *doc;
      JsonArray *roles = NULL;
      JsonObject *entry;

      if (doc_node == NULL || !JSON_NODE_HOLDS_OBJECT (doc_node))
        continue;
      doc = json_node_get_object (doc_node);
      if (JSON_NODE_HOLDS_ARRAY (json_object_get_member (doc, "roles")))
        roles = json_object_get_array_member (doc, "roles");
      /* Only the team's accounts: a server may hold other users. */
      if (!has_role (roles, HUB_TEAM_ROLE) || mer_json_get_string (doc, "name") == NULL)
        continue;
      entry = json_object_new ();
      json_object_set_string_member (entry, "name", mer_json_get_string (doc, "name"));
      json_object_set_string_member (entry, "role", has_role (roles, HUB_RO_ROLE) ? "ro" : "rw");
      {
        g_autofree char *person = g_strconcat ("person:", mer_json_get_string (doc, "name"), NULL);
        json_object_set_string_member (entry, "person", person);
      }
      json_object_set_array_member (entry, "roles", json_array_ref (roles));
      json_array_add_object_element (list, entry);
    }

  if (json)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), list);
      mer_cli_print_json (node);
    }
  else
    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *entry = json_array_get_object_element (list, i);
        printf ("%s\t%s\n", json_object_get_string_member (entry, "name"),
                json_object_get_string_member (entry, "role"));
      }
  return 0;
}

int
mer_cli_hub (MerCliContext  *ctx,
             int             argc,
             char          **argv)
{
  g_auto(Hub) hub = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *admin_name = NULL;
  g_autofree char *role = NULL;
  gboolean json = FALSE;
  int n = 0;
  int q = 0;
  const char *action;
  GOptionEntry entries[] = {
    { "admin", 'a', 0, G_OPTION_ARG_STRING, &admin_name, N_("The CouchDB admin's name; the first line of standard input is then only the password"), N_("NAME") },
    { "n", 0, 0, G_OPTION_ARG_INT, &n, N_("setup: copies of each document on a cluster (e.g. 3)"), N_("N") },
    { "q", 0, 0, G_OPTION_ARG_INT, &q, N_("setup: shards of the database on a cluster (default 2 with --n)"), N_("Q") },
    { "role", 'r', 0, G_OPTION_ARG_STRING, &role, N_("add-user: rw (read and write, the default) or ro (read only)"), N_("ROLE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("list-users: print a JSON array of {name, role, person, roles}"), NULL },
    { NULL }
  };

  if (!mer_cli_parse (ctx, entries, _("setup URL | add-user URL NAME | remove-user URL NAME | list-users URL"),
                      _("Prepares a team hub on Apache CouchDB and manages its users. The first line "
                        "of standard input is a CouchDB admin's “name:password” (or only the "
                        "password with --admin NAME); add-user reads the new user's password from "
                        "the second line. URL is the team database, e.g. https://hub.example:6984/handbook."),
                      &argc, &argv))
    return 1;
  if (argc < 3)
    return mer_cli_fail (ctx, "%s", _("expected setup, add-user, remove-user or list-users and a URL; see “meridian hub --help”"));
  if (n < 0 || n > 16 || q < 0 || q > 64)
    return mer_cli_fail (ctx, "%s", _("--n must be 1 … 16 and --q 1 … 64"));

  action = argv[1];
  hub_init (&hub);
  if (!hub_parse_url (&hub, argv[2], strcmp (action, "setup") == 0, &error))
    return mer_cli_fail (ctx, "%s", error->message);

  if (strcmp (action, "setup") == 0)
    {
      if (argc != 3)
        return mer_cli_fail (ctx, "%s", _("expected: hub setup URL [--admin NAME] [--n N] [--q Q]"));
      return hub_setup (ctx, &hub, admin_name, n, q);
    }
  if (strcmp (action, "add-user") == 0)
    {
      if (argc != 4)
        return mer_cli_fail (ctx, "%s", _("expected: hub add-user URL NAME [--role rw|ro]"));
      return hub_add_user (ctx, &hub, admin_name, argv[3], role != NULL ? role : "rw");
    }
  if (strcmp (action, "remove-user") == 0)
    {
      if (argc != 4)
        return mer_cli_fail (ctx, "%s", _("expected: hub remove-user URL NAME"));
      return hub_remove_user (ctx, &hub, admin_name, argv[3]);
    }
  if (strcmp (action, "list-users") == 0)
    {
      if (argc != 3)
        return mer_cli_fail (ctx, "%s", _("expected: hub list-users URL [--json]"));
      return hub_list_users (ctx, &hub, admin_name, json);
    }
  return mer_cli_fail (ctx, _("unknown action “%s”; expected setup, add-user, remove-user or list-users"), action);
}
