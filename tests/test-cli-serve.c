/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-json.h"
#include "mer-test-util.h"
#include "mer-store.h"
#include "mer-invites.h"
#include "mer-peers.h"
#include "mer-tls.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

typedef struct
{
  GSubprocess *process;
  char *url;         /* http://127.0.0.1:PORT/handbook */
  char *root;        /* http://127.0.0.1:PORT */
  char *fingerprint; /* with --tls: the second line's, or NULL */
} Served;

/*
 * Runs `meridian --data DIR ARGS…` to completion with @input as its
 * standard input; returns its exit status. The input is given as a file,
 * not a pipe: a command that refuses its arguments exits without reading
 * it, and writing into a pipe nobody reads would fail the test instead.
 */
static int
run_meridian (const char *dir,
              const char *input,
              char **out_stdout,
              char **out_stderr,
              ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *input_path = NULL;
  const char *arg;
  gboolean ok;
  va_list args;

  g_ptr_array_add (argv, (char *) mer_test_meridian_bin ());
  g_ptr_array_add (argv, "--data");
  g_ptr_array_add (argv, (char *) dir);
  va_start (args, out_stderr);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  input_path = g_strconcat (dir, ".stdin", NULL);
  g_assert_true (g_file_set_contents (input_path, input != NULL ? input : "", -1, NULL));
  g_subprocess_launcher_set_stdin_file_path (launcher, input_path);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  ok = g_subprocess_communicate_utf8 (process, NULL, NULL, out_stdout, out_stderr, &error);
  g_unlink (input_path);
  g_assert_no_error (error);
  g_assert_true (ok);
  return g_subprocess_get_exit_status (process);
}

static void
add_user (const char *dir,
          const char *name,
          const char *role,
          const char *password)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);

  g_assert_cmpint (run_meridian (dir, input, &out, &err, "user", "add", name, "--role", role,
                                 "--password-stdin", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, name));
}

/*
 * Starts `meridian serve` with @extra arguments (up to four) and reads the
 * URL from its first line.
 */
static gboolean
serve_with (Served *served,
            const char *dir,
            const char *listen,
            const char *cert,
            const char *key,
            const char * const *extra,
            char **out_error)
{
  const char *argv[16] = { mer_test_meridian_bin (), "--data", dir, "serve", "--listen", listen, NULL };
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "Serving handbook at ";
  guint n = 6;

  if (cert != NULL)
    {
      argv[n++] = "--tls-cert";
      argv[n++] = cert;
      argv[n++] = "--tls-key";
      argv[n++] = key;
    }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (argv) - 1);
      argv[n++] = extra[i];
    }
  served->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (served->process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL)
    {
      g_autoptr (GDataInputStream) errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (served->process));

      g_assert_true (g_subprocess_wait (served->process, NULL, NULL));
      *out_error = g_data_input_stream_read_line_utf8 (errors, NULL, NULL, NULL);
      g_clear_object (&served->process);
      return FALSE;
    }
  g_assert_true (g_str_has_prefix (line, prefix));
  served->url = g_strdup (line + strlen (prefix));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    if (g_strcmp0 (extra[i], "--tls") == 0)
      {
        g_autofree char *second = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
        const char *label = "Certificate fingerprint: ";

        g_assert_no_error (error);
        g_assert_true (g_str_has_prefix (second, label));
        served->fingerprint = g_strdup (second + strlen (label));
      }
  served->root = g_strndup (served->url, strlen (served->url) - strlen ("/handbook"));
  g_assert_true (g_str_has_suffix (served->url, "/handbook"));
  return TRUE;
}

static gboolean
serve (Served *served,
       const char *dir,
       const char *listen,
       const char *cert,
       const char *key,
       char **out_error)
{
  return serve_with (served, dir, listen, cert, key, NULL, out_error);
}

static void
stop (Served *served)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (served->process, SIGTERM);
  g_assert_true (g_subprocess_wait (served->process, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (served->process));
  g_assert_cmpint (g_subprocess_get_exit_status (served->process), ==, 0);
  g_clear_object (&served->process);
  g_free (served->url);
  g_free (served->root);
  g_clear_pointer (&served->fingerprint, g_free);
}

static gboolean
accept_certificate_cb (SoupMessage *msg,
                       GTlsCertificate *certificate,
                       GTlsCertificateFlags errors,
                       gpointer data)
{
  return TRUE; /* the test's own self-signed certificate */
}

static guint
http_get (const char *url,
          const char *credentials,
          char **out_body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
  if (credentials != NULL)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
      g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (out_body != NULL)
    *out_body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/*
 * A workspace whose database file is damaged in the middle is refused at
 * start, with SQLite's complaint and what to do, instead of being served
 * until a request reaches the bad pages.
 */
static void
test_serve_corrupt (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve-corrupt");
  g_autofree char *db_path = g_build_filename (dir, "workspace.db", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *garbage = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;

  {
    g_autoptr (MerStore) store = mer_store_open (dir, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < 400; i++)
      {
        g_autofree char *json = g_strdup_printf ("{\"_id\":\"note:%u\",\"text\":\"%0200u\"}", i, i);
        g_autoptr (JsonObject) doc = mer_test_object (json);
        g_autofree char *rev = mer_store_put_doc (store, doc, &error);

        g_assert_no_error (error);
      }
    g_assert_true (mer_store_check_quick (store, &error));
    g_assert_no_error (error);
  }

  /* The store checkpoints its log on close: every page is in the file. */
  g_assert_true (g_file_get_contents (db_path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 16 * 4096);
  garbage = g_strnfill (8 * 4096, 'x');
  memcpy (contents + (length / 2 / 4096) * 4096, garbage, 8 * 4096);
  g_assert_true (g_file_set_contents (db_path, contents, length, NULL));

  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "serve", "--listen", "127.0.0.1:0", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "the workspace database"));
  g_assert_nonnull (strstr (err, db_path));
  g_assert_nonnull (strstr (err, "is damaged ("));
  g_assert_nonnull (strstr (err, "restore it from a backup"));
  g_assert_nonnull (strstr (err, "meridian --data NEW sync URL"));
  g_assert_null (strstr (out, "Serving"));
  mer_test_rm_rf (dir);
}

static void
test_serve_local (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve");
  g_autofree char *body = NULL;
  g_autofree char *db = NULL;
  g_autofree char *reason = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autofree char *first_uuid = NULL;
  Served served = { 0 };

  g_assert_true (serve (&served, dir, "127.0.0.1:0", NULL, NULL, NULL));
  g_assert_true (g_str_has_prefix (served.url, "http://127.0.0.1:"));
  g_assert_cmpuint (http_get (served.root, NULL, &body), ==, 200);
  welcome = mer_json_parse_object (body, -1, NULL);
  g_assert_cmpstr (mer_json_get_string (welcome, "couchdb"), ==, "Welcome");
  first_uuid = g_strdup (mer_json_get_string (welcome, "uuid"));
  /* No accounts: this machine may read without credentials. */
  g_assert_cmpuint (http_get (served.url, NULL, &db), ==, 200);
  stop (&served);

  /* The uuid is the same after a restart. */
  g_clear_pointer (&body, g_free);
  g_clear_pointer (&welcome, json_object_unref);
  g_assert_true (serve (&served, dir, "127.0.0.1:0", NULL, NULL, NULL));
  g_assert_cmpuint (http_get (served.root, NULL, &body), ==, 200);
  welcome = mer_json_parse_object (body, -1, NULL);
  g_assert_cmpstr (mer_json_get_string (welcome, "uuid"), ==, first_uuid);
  stop (&served);

  /* Any other address is refused while there is no account. */
  g_assert_false (serve (&served, dir, "0.0.0.0:0", NULL, NULL, &reason));
  g_assert_nonnull (strstr (reason, "without accounts"));
  g_clear_pointer (&reason, g_free);
  g_assert_false (serve (&served, dir, "not-an-address", NULL, NULL, &reason));
  g_assert_nonnull (reason);

  mer_test_rm_rf (dir);
}

static void
test_user_commands (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve-users");
  g_autofree char *file = g_build_filename (dir, "accounts.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;
  g_autoptr (JsonNode) list = NULL;
  GStatBuf buf;
  Served served = { 0 };

  add_user (dir, "ana", "rw", "s3cret ana");
  add_user (dir, "bo", "ro", "s3cret bo");
  g_assert_cmpint (g_stat (file, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  g_assert_null (strstr (text, "s3cret"));

  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "list", "--json", NULL), ==, 0);
  list = mer_json_parse (out, -1, NULL);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 2);
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (json_node_get_array (list), 0), "name"), ==, "ana");
  g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (json_node_get_array (list), 1), "role"), ==, "ro");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Bad input: one line on stderr, non-zero, nothing changed. */
  g_assert_cmpint (run_meridian (dir, "pw\n", &out, &err, "user", "add", "cy", "--role", "admin", "--password-stdin", NULL), !=, 0);
  g_assert_cmpuint (strlen (err), >, 0);
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, "", &out, &err, "user", "add", "cy", "--password-stdin", NULL), !=, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, "pw\n", &out, &err, "user", "add", "c:y", "--password-stdin", NULL), !=, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "remove", "nobody", NULL), !=, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Without --role the account may write. */
  g_assert_cmpint (run_meridian (dir, "pw\n", &out, &err, "user", "add", "cy", "--password-stdin", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "cy\trw\tnever seen\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "remove", "cy", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* With accounts, serve asks for them. */
  g_assert_true (serve (&served, dir, "127.0.0.1:0", NULL, NULL, NULL));
  g_assert_cmpuint (http_get (served.root, NULL, NULL), ==, 200);
  g_assert_cmpuint (http_get (served.url, NULL, NULL), ==, 401);
  g_assert_cmpuint (http_get (served.url, "ana:wrong", NULL), ==, 401);
  g_assert_cmpuint (http_get (served.url, "ana:s3cret ana", NULL), ==, 200);
  g_assert_cmpuint (http_get (served.url, "bo:s3cret bo", NULL), ==, 200);

  /* The list says when each account last made a request; cy never did. */
  g_assert_cmpint (run_meridian (dir, "pw\n", &out, &err, "user", "add", "cy", "--password-stdin", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "list", "--json", NULL), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = mer_json_parse (out, -1, NULL);
  {
    JsonArray *entries = json_node_get_array (list);
    const char *seen = mer_json_get_string (json_array_get_object_element (entries, 0), "last_seen");
    g_autoptr (GDateTime) when = seen != NULL ? g_date_time_new_from_iso8601 (seen, NULL) : NULL;
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

    g_assert_nonnull (when);
    g_assert_cmpint (g_date_time_difference (now, when), <, 600 * G_TIME_SPAN_SECOND);
    g_assert_cmpint (g_date_time_difference (now, when), >=, -G_TIME_SPAN_SECOND);
    g_assert_nonnull (mer_json_get_string (json_array_get_object_element (entries, 1), "last_seen"));
    g_assert_cmpstr (mer_json_get_string (json_array_get_object_element (entries, 2), "name"), ==, "cy");
    g_assert_true (json_object_get_null_member (json_array_get_object_element (entries, 2), "last_seen"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "cy\trw\tnever seen\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A role changes without the password; bad roles and names change nothing. */
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "role", "cy", "ro", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "role", "cy", "admin", NULL), !=, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "role", "nobody", "rw", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "nobody"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "cy\tro\tnever seen\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpuint (http_get (served.url, "cy:pw", NULL), ==, 200);

  /* Revoking an account takes effect on the running server. */
  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "user", "revoke", "bo", NULL), ==, 0);
  g_assert_cmpuint (http_get (served.url, "bo:s3cret bo", NULL), ==, 401);
  g_assert_cmpuint (http_get (served.url, "ana:s3cret ana", NULL), ==, 200);
  stop (&served);

  mer_test_rm_rf (dir);
}

static void
test_serve_tls (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve-tls");
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *body = NULL;
  g_autofree char *reason = NULL;
  const char *argv[] = { openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                         "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert, NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  Served served = { 0 };

  if (openssl == NULL)
    {
      g_test_skip ("openssl is not installed");
      return;
    }
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking) is installed");
      return;
    }
  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (process, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (serve (&served, dir, "127.0.0.1:0", cert, key, NULL));
  g_assert_true (g_str_has_prefix (served.url, "https://127.0.0.1:"));
  g_assert_cmpuint (http_get (served.root, NULL, &body), ==, 200);
  g_assert_nonnull (strstr (body, "Welcome"));
  stop (&served);

  /* A key that does not load is a one-line error, not a plain-HTTP server. */
  g_assert_false (serve (&served, dir, "127.0.0.1:0", cert, cert, &reason));
  g_assert_nonnull (strstr (reason, "TLS"));

  mer_test_rm_rf (dir);
}

/* Accepts the certificate only if its fingerprint is the pinned one. */
static gboolean
accept_pinned_cb (SoupMessage *msg,
                  GTlsCertificate *certificate,
                  GTlsCertificateFlags errors,
                  gpointer data)
{
  char **seen = data;
  const char *pinned = seen[0];

  g_free (seen[1]);
  seen[1] = mer_tls_fingerprint (certificate);
  return g_strcmp0 (seen[1], pinned) == 0;
}

static guint
https_get_pinned (const char *url,
                  const char *pinned,
                  char **out_presented)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  char *seen[2] = { (char *) pinned, NULL };

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_pinned_cb), seen);
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  *out_presented = seen[1];
  if (bytes == NULL)
    return 0;
  return soup_message_get_status (msg);
}

/*
 * serve --tls: the workspace's own certificate, made once and kept; the
 * fingerprint printed is the one the server presents, and a client that
 * pins it gets in while one that pins another does not.
 */
static void
test_serve_own_tls (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve-own-tls");
  g_autofree char *key_path = g_build_filename (dir, "tls", "key.pem", NULL);
  g_autofree char *cert_path = g_build_filename (dir, "tls", "certificate.pem", NULL);
  g_autofree char *presented = NULL;
  g_autofree char *first = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *damaged = NULL;
  g_autoptr (GTlsCertificate) stored = NULL;
  g_autoptr (GError) error = NULL;
  const char *tls[] = { "--tls", NULL };
  const char *both[] = { "--tls", "--tls-cert", "x.pem", "--tls-key", "y.pem", NULL };
  gboolean created = TRUE;
  GStatBuf buf;
  Served served = { 0 };

  g_assert_true (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, tls, NULL));
  g_assert_true (g_str_has_prefix (served.url, "https://127.0.0.1:"));
  g_assert_true (g_str_has_prefix (served.fingerprint, "SHA256 "));
  g_assert_cmpuint (strlen (served.fingerprint), ==, strlen ("SHA256 ") + 32 * 3 - 1);
  first = g_strdup (served.fingerprint);

  /* What it printed is what it presents, and what is on disk. */
  g_assert_cmpuint (https_get_pinned (served.root, served.fingerprint, &presented), ==, 200);
  g_assert_cmpstr (presented, ==, served.fingerprint);
  g_clear_pointer (&presented, g_free);
  g_assert_cmpuint (https_get_pinned (served.root, "SHA256 00:11", &presented), ==, 0);
  g_clear_pointer (&presented, g_free);
  stored = mer_tls_ensure_certificate (dir, &created, &error);
  g_assert_no_error (error);
  g_assert_false (created);
  presented = mer_tls_fingerprint (stored);
  g_assert_cmpstr (presented, ==, served.fingerprint);
  g_clear_pointer (&presented, g_free);
  g_assert_cmpint (g_stat (key_path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);
  stop (&served);

  /* The next start keeps the certificate teammates pinned. */
  g_assert_true (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, tls, NULL));
  g_assert_cmpstr (served.fingerprint, ==, first);
  stop (&served);

  /* --tls with files of one's own is a mistake, said in one line. */
  g_assert_false (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, both, &reason));
  g_assert_nonnull (strstr (reason, "--tls"));
  g_clear_pointer (&reason, g_free);

  /* A damaged certificate is refused and kept, never silently replaced. */
  g_assert_true (g_file_set_contents (cert_path, "-----BEGIN CERTIFICATE-----\nnot one\n", -1, NULL));
  g_assert_false (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, tls, &reason));
  g_assert_nonnull (strstr (reason, "cannot be read"));
  g_assert_true (g_file_get_contents (cert_path, &damaged, NULL, NULL));
  g_assert_nonnull (strstr (damaged, "not one"));

  mer_test_rm_rf (dir);
}

/* https://ana@127.0.0.1:PORT/handbook from https://127.0.0.1:PORT/handbook */
static char *
with_user (const char *url,
           const char *user)
{
  const char *rest = strstr (url, "://") + 3;

  return g_strdup_printf ("%.*s%s@%s", (int) (rest - url), url, user, rest);
}

/*
 * A teammate syncs with a workspace shared with its own certificate: it
 * is refused until the person accepts its fingerprint, remembered after,
 * and refused again, naming both fingerprints, once the certificate
 * changes.
 */
static void
test_sync_pinned (void)
{
  g_autofree char *shared = mer_test_make_tmpdir ("pinned-shared");
  g_autofree char *mine = mer_test_make_tmpdir ("pinned-mine");
  g_autofree char *known = g_build_filename (mine, "known-certificates.json", NULL);
  g_autofree char *tls_dir = g_build_filename (shared, "tls", NULL);
  g_autofree char *url = NULL;
  g_autofree char *first = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *known_text = NULL;
  g_autofree char *after = NULL;
  const char *tls[] = { "--tls", NULL };
  Served served = { 0 };

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (MerStore) store = mer_store_open (shared, &error);
    g_autoptr (JsonObject) doc = mer_test_object ("{\"_id\":\"note:shared\",\"text\":\"hello\"}");
    g_autofree char *rev = mer_store_put_doc (store, doc, &error);

    g_assert_no_error (error);
  }
  add_user (shared, "ana", "rw", "s3cret ana");
  g_assert_true (serve_with (&served, shared, "127.0.0.1:0", NULL, NULL, tls, NULL));
  url = with_user (served.url, "ana");
  first = g_strdup (served.fingerprint);

  /* Unknown certificate: refused at once, with what to compare. */
  g_assert_cmpint (run_meridian (mine, "s3cret ana\n", &out, &err, "sync", "--pull", "--password-stdin",
                                 url, NULL),
                   !=, 0);
  g_assert_nonnull (strstr (err, "does not trust"));
  g_assert_nonnull (strstr (err, first));
  g_assert_false (g_file_test (known, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A fingerprint that is not one changes nothing. */
  g_assert_cmpint (run_meridian (mine, "s3cret ana\n", &out, &err, "sync", "--pull", "--password-stdin",
                                 "--fingerprint", "SHA256 12:34", url, NULL),
                   !=, 0);
  g_assert_nonnull (strstr (err, "not a certificate fingerprint"));
  g_assert_false (g_file_test (known, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Accepted (pasted without colons, in lower case): the sync goes through. */
  {
    g_autoptr (GString) bare = g_string_new (NULL);

    for (const char *p = first + strlen ("SHA256 "); *p != '\0'; p++)
      if (*p != ':')
        g_string_append_c (bare, g_ascii_tolower (*p));
    g_assert_cmpint (run_meridian (mine, "s3cret ana\n", &out, &err, "sync", "--pull", "--password-stdin",
                                   "--fingerprint", bare->str, url, NULL),
                     ==, 0);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (MerStore) store = mer_store_open (mine, &error);
    g_autoptr (JsonObject) doc = mer_store_get_doc (store, "note:shared", NULL, MER_GET_DEFAULT, &error);

    g_assert_nonnull (doc);
  }
  g_assert_true (g_file_get_contents (known, &known_text, NULL, NULL));
  g_assert_nonnull (strstr (known_text, first));

  /* Remembered: the next sync needs no fingerprint. */
  g_assert_cmpint (run_meridian (mine, "s3cret ana\n", &out, &err, "sync", "--pull", "--password-stdin",
                                 url, NULL),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  stop (&served);

  /* A new certificate on the same host and port is refused, naming both. */
  mer_test_rm_rf (tls_dir);
  {
    const char *again[] = { "--tls", NULL };
    g_autofree char *listen = g_strdup_printf ("127.0.0.1:%s", strrchr (url, ':') + 1);

    *strchr (listen + strlen ("127.0.0.1:"), '/') = '\0';
    g_assert_true (serve_with (&served, shared, listen, NULL, NULL, again, NULL));
  }
  g_assert_cmpstr (served.fingerprint, !=, first);
  g_assert_cmpint (run_meridian (mine, "s3cret ana\n", &out, &err, "sync", "--pull", "--password-stdin",
                                 url, NULL),
                   !=, 0);
  g_assert_nonnull (strstr (err, "changed since you accepted it"));
  g_assert_nonnull (strstr (err, first));
  g_assert_nonnull (strstr (err, served.fingerprint));
  g_assert_true (g_file_get_contents (known, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, known_text);
  stop (&served);

  mer_test_rm_rf (shared);
  mer_test_rm_rf (mine);
}

/* The value of @name in the environment of the running @process. */
static char *
environment_of (GSubprocess *process,
                const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/environ", g_subprocess_get_identifier (process));
  g_autofree char *text = NULL;
  g_autofree char *prefix = g_strconcat (name, "=", NULL);
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &text, &length, NULL));
  for (const char *entry = text; entry < text + length; entry += strlen (entry) + 1)
    if (g_str_has_prefix (entry, prefix))
      return g_strdup (entry + strlen (prefix));
  return NULL;
}

/*
 * On GLib before 2.76 the commands that move many documents run with
 * GLib's slice allocator handing out malloc blocks; a G_SLICE the user set
 * is left as it is.
 */
static void
test_serve_slice_allocator (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve-slices");
  g_autofree char *saved = g_strdup (g_getenv ("G_SLICE"));
  g_autofree char *value = NULL;
  g_autofree char *body = NULL;
  Served served = { 0 };

  g_unsetenv ("G_SLICE");
  g_assert_true (serve (&served, dir, "127.0.0.1:0", NULL, NULL, NULL));
  value = environment_of (served.process, "G_SLICE");
  if (glib_check_version (2, 76, 0) == NULL)
    g_assert_null (value);
  else
    g_assert_cmpstr (value, ==, "always-malloc");
  /* Run again, it still serves, under the same process id. */
  g_assert_cmpuint (http_get (served.root, NULL, &body), ==, 200);
  g_assert_nonnull (strstr (body, "Welcome"));
  stop (&served);
  g_clear_pointer (&value, g_free);

  g_setenv ("G_SLICE", "debug-blocks", TRUE);
  g_assert_true (serve (&served, dir, "127.0.0.1:0", NULL, NULL, NULL));
  value = environment_of (served.process, "G_SLICE");
  g_assert_cmpstr (value, ==, "debug-blocks");
  stop (&served);

  if (saved != NULL)
    g_setenv ("G_SLICE", saved, TRUE);
  else
    g_unsetenv ("G_SLICE");
  mer_test_rm_rf (dir);
}

/* The value of @header in the answer to GET @url from a page at @origin, or NULL. */
static char *
header_for_origin (const char *url,
                   const char *origin,
                   const char *header)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) "ana:s3cret ana", strlen ("ana:s3cret ana"));
  g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  return g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), header));
}

/* serve --cors-origin: only the listed origins, only with accounts, never "*". */
static void
test_serve_cors (void)
{
  g_autofree char *dir = mer_test_make_tmpdir ("serve");
  g_autofree char *reason = NULL;
  const char *listed[] = { "--cors-origin", "https://app.example", "--cors-origin", "http://localhost:8080", NULL };
  const char *star[] = { "--cors-origin", "*", NULL };
  Served served = { 0 };

  g_assert_false (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, listed, &reason));
  g_assert_nonnull (strstr (reason, "--cors-origin needs accounts"));
  g_clear_pointer (&reason, g_free);

  add_user (dir, "ana", "rw", "s3cret ana");
  g_assert_false (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, star, &reason));
  g_assert_nonnull (strstr (reason, "is not a web origin"));
  g_clear_pointer (&reason, g_free);

  /* By default no origin is let in. */
  g_assert_true (serve (&served, dir, "127.0.0.1:0", NULL, NULL, NULL));
  {
    g_autofree char *allowed = header_for_origin (served.url, "https://app.example", "Access-Control-Allow-Origin");
    g_assert_null (allowed);
  }
  stop (&served);

  g_assert_true (serve_with (&served, dir, "127.0.0.1:0", NULL, NULL, listed, NULL));
  {
    g_autofree char *first = header_for_origin (served.url, "https://app.example", "Access-Control-Allow-Origin");
    g_autofree char *second = header_for_origin (served.url, "http://localhost:8080", "Access-Control-Allow-Origin");
    g_autofree char *other = header_for_origin (served.url, "https://evil.example", "Access-Control-Allow-Origin");

    g_assert_cmpstr (first, ==, "https://app.example");
    g_assert_cmpstr (second, ==, "http://localhost:8080");
    g_assert_null (other);
  }
  stop (&served);
  mer_test_rm_rf (dir);
}

/* The link parser refuses what is not an invite and reads back what it wrote. */
static void
test_invite_link (void)
{
  MerInviteLink made = { "https://example.org:5985/handbook", "bob", "abcdefghijklmnopqrstuvwxyz012345",
                         "SHA256 4F:89:65:01:7C:04:09:E3:2E:A4:89:AC:46:FD:88:54:39:7D:57:D5:61:D6:CB:15:4B:F0:1E:BF:F1:8F:6C:06",
                         1900000000 };
  g_autofree char *text = mer_invite_link_format (&made);
  g_autoptr (MerInviteLink) back = mer_invite_link_parse (text, NULL);
  const char *bad[] = {
    "",
    "https://example.org/handbook",
    "meridian:join?url=https%3A%2F%2Fexample.org%2Fhandbook&user=bob&secret=abcdefghijklmnopqrstuvwxyz012345",
    "meridian:join?url=http%3A%2F%2Fexample.org%2Fhandbook&user=bob&secret=abcdefghijklmnopqrstuvwxyz012345&fp=x",
    "meridian:join?url=https%3A%2F%2Fexample.org%2Fhandbook&user=bob&secret=short&fp=SHA256%2000",
    "meridian:join?url=https%3A%2F%2Fexample.org%2Fhandbook&user=b%3Aob&secret=abcdefghijklmnopqrstuvwxyz012345&fp=SHA256%2000",
    "meridian:join?url=https%3A%2F%2Fexample.org%2Fhandbook&user=bob&user=eve&secret=abcdefghijklmnopqrstuvwxyz012345&fp=SHA256%2000",
    "meridian:join?url=https%3A%2F%2Fexample.org%2Fhandbook&user=bob&secret=abcdefghijklmnopqrstuvwxyz01234%2B&fp=SHA256%2000",
    NULL
  };

  g_assert_true (g_str_has_prefix (text, "meridian:join?url=https%3A%2F%2Fexample.org%3A5985%2Fhandbook&user=bob&"));
  g_assert_nonnull (back);
  g_assert_cmpstr (back->url, ==, made.url);
  g_assert_cmpstr (back->user, ==, made.user);
  g_assert_cmpstr (back->secret, ==, made.secret);
  g_assert_cmpstr (back->fingerprint, ==, made.fingerprint);
  g_assert_cmpint (back->expires, ==, made.expires);
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (MerInviteLink) link = mer_invite_link_parse (bad[i], &error);

      g_assert_null (link);
      g_assert_error (error, MER_INVITES_ERROR, MER_INVITES_ERROR_MALFORMED);
      g_assert_nonnull (strstr (error->message, "not a valid Meridian invite link"));
    }
}

/* The invite link of `meridian invite … --json`. */
static char *
make_invite (const char *dir,
             const char *url,
             const char *name,
             const char *extra)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) result = NULL;

  g_assert_cmpint (run_meridian (dir, NULL, &out, &err, "invite", "--json", "--role", "ro", "--name", name,
                                 "--url", url, extra != NULL ? extra : "--days=7", NULL),
                   ==, 0);
  result = mer_test_object (out);
  g_assert_cmpstr (mer_json_get_string (result, "user"), ==, name);
  g_assert_cmpstr (mer_json_get_string (result, "role"), ==, "ro");
  return g_strdup (mer_json_get_string (result, "link"));
}

/*
 * A teammate joins from an invite: the certificate is pinned, the secret
 * kept (in the file only when asked, as no keyring answers here), and the
 * workspace arrives. Expired, revoked and malformed invites are refused
 * and leave no peer behind.
 */
static void
test_invite_join (void)
{
  g_autofree char *shared = mer_test_make_tmpdir ("invite-shared");
  g_autofree char *mine = mer_test_make_tmpdir ("invite-mine");
  g_autofree char *peers = g_build_filename (mine, "peers.json", NULL);
  g_autofree char *invites = g_build_filename (shared, "invites.json", NULL);
  g_autofree char *accounts_text = NULL;
  g_autofree char *invites_text = NULL;
  g_autofree char *link = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *tls[] = { "--tls", NULL };
  Served served = { 0 };
  GStatBuf buf;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (MerStore) store = mer_store_open (shared, &error);
    g_autoptr (JsonObject) doc = mer_test_object ("{\"_id\":\"note:shared\",\"text\":\"hello\"}");
    g_autofree char *rev = mer_store_put_doc (store, doc, &error);

    g_assert_no_error (error);
  }
  add_user (shared, "ana", "rw", "s3cret ana");
  g_assert_true (serve_with (&served, shared, "127.0.0.1:0", NULL, NULL, tls, NULL));
  link = make_invite (shared, served.url, "bob", NULL);
  g_assert_true (g_str_has_prefix (link, "meridian:join?url=https%3A%2F%2F127.0.0.1%3A"));

  /* The secret is in the link only: the files hold its hash, or nothing. */
  {
    g_autoptr (MerInviteLink) parsed = mer_invite_link_parse (link, NULL);

    g_assert_nonnull (parsed);
    g_assert_cmpuint (strlen (parsed->secret), >=, 24);
    g_assert_cmpstr (parsed->fingerprint, ==, served.fingerprint);
    g_assert_true (g_file_get_contents (invites, &invites_text, NULL, NULL));
    {
      g_autofree char *path = g_build_filename (shared, "accounts.json", NULL);

      g_assert_true (g_file_get_contents (path, &accounts_text, NULL, NULL));
    }
    g_assert_null (strstr (invites_text, parsed->secret));
    g_assert_null (strstr (accounts_text, parsed->secret));
    g_assert_nonnull (strstr (accounts_text, "\"expires\""));
    g_assert_cmpint (g_stat (invites, &buf), ==, 0);
    g_assert_cmpint (buf.st_mode & 0777, ==, 0600);
  }

  /* No keyring, no consent: refused, and nothing is kept. */
  g_assert_cmpint (run_meridian (mine, NULL, &out, &err, "join", link, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "no keyring"));
  g_assert_nonnull (strstr (err, "--keep-password-in-file"));
  g_assert_false (g_file_test (peers, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A malformed link: a clear reason, nothing changed. */
  g_assert_cmpint (run_meridian (mine, NULL, &out, &err, "join", "meridian:join?url=https://x", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "not a valid Meridian invite link"));
  g_assert_false (g_file_test (peers, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_meridian (mine, NULL, &out, &err, "join", "--keep-password-in-file", link, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Joined"));
  g_assert_nonnull (strstr (err, "Received"));
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (MerStore) store = mer_store_open (mine, &error);
    g_autoptr (JsonObject) doc = mer_store_get_doc (store, "note:shared", NULL, 0, &error);
    g_autofree char *pinned = mer_tls_known_lookup (mine, served.url);

    g_assert_no_error (error);
    g_assert_cmpstr (mer_json_get_string (doc, "text"), ==, "hello");
    g_assert_cmpstr (pinned, ==, served.fingerprint);
    g_assert_true (g_file_test (peers, G_FILE_TEST_EXISTS));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Used: it no longer expires. */
  g_assert_cmpint (run_meridian (shared, NULL, &out, &err, "invite", "--list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "bob  ro  used"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Expired: the link says so before anything is asked or kept. */
  {
    g_autofree char *other = mer_test_make_tmpdir ("invite-other");
    g_autofree char *other_peers = g_build_filename (other, "peers.json", NULL);
    g_autofree char *expired = make_invite (shared, served.url, "carol", "--expires-at=2020-01-02T03:04:05Z");
    g_autofree char *revoked = make_invite (shared, served.url, "dave", NULL);
    char *cut;

    g_assert_cmpint (run_meridian (other, NULL, &out, &err, "join", "--keep-password-in-file", expired, NULL), !=, 0);
    g_assert_nonnull (strstr (err, "This invite expired on"));
    g_assert_nonnull (strstr (err, "ask for a new one"));
    g_assert_false (g_file_test (other_peers, G_FILE_TEST_EXISTS));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);

    /* Without its expiry in the link, the sharer refuses it all the same. */
    cut = strstr (expired, "&expires=");
    g_assert_nonnull (cut);
    *cut = '\0';
    g_assert_cmpint (run_meridian (other, NULL, &out, &err, "join", "--keep-password-in-file", expired, NULL), !=, 0);
    g_assert_nonnull (strstr (err, "refused this invite"));
    g_assert_null (mer_peers_lookup (other, served.url));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);

    /* Revoked: refused by the sharer, no peer left behind. */
    g_assert_cmpint (run_meridian (shared, NULL, &out, &err, "invite", "--revoke", "dave", NULL), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_meridian (other, NULL, &out, &err, "join", "--keep-password-in-file", revoked, NULL), !=, 0);
    g_assert_nonnull (strstr (err, "refused this invite"));
    g_assert_null (mer_peers_lookup (other, served.url));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);

    g_assert_cmpint (run_meridian (shared, NULL, &out, &err, "invite", "--list", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "carol  ro  expired"));
    g_assert_nonnull (strstr (out, "dave  ro  revoked"));
    mer_test_rm_rf (other);
  }

  stop (&served);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  mer_test_rm_rf (shared);
  mer_test_rm_rf (mine);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);

  g_test_add_func ("/cli-serve/local", test_serve_local);
  g_test_add_func ("/cli-serve/corrupt", test_serve_corrupt);
  g_test_add_func ("/cli-serve/cors", test_serve_cors);
  g_test_add_func ("/cli-serve/users", test_user_commands);
  g_test_add_func ("/cli-serve/tls", test_serve_tls);
  g_test_add_func ("/cli-serve/own-tls", test_serve_own_tls);
  g_test_add_func ("/cli-serve/sync-pinned", test_sync_pinned);
  g_test_add_func ("/cli-serve/slice-allocator", test_serve_slice_allocator);
  g_test_add_func ("/cli-serve/invite-link", test_invite_link);
  g_test_add_func ("/cli-serve/invite-join", test_invite_join);
  return g_test_run ();
}
