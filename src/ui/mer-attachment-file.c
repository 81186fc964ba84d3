/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-attachment-file.h"

#include "mer-markdown.h"
#include "mer-store.h"
#include "mer-store-attachments.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The reader's attachments as bytes and as files: what a meridian://att/
 * address names, read from the replica, and a copy of it in a private
 * temporary folder for an application outside Meridian to open.
 */

/*
 * A draft's attachment: the preview of an edit names its images under the
 * draft's "_local/draft:<document id>" and the revision the edit started
 * from, so an attachment pasted into the draft is found among the draft's,
 * and any other is the one of that revision.
 */
static MerAttachment *
get_draft_attachment (MerStore    *store,
                      const char  *draft_doc_id,
                      const char  *rev,
                      const char  *name,
                      GError     **error)
{
  g_autoptr(GPtrArray) atts = mer_store_list_local_attachments (store, draft_doc_id, error);
  const char *colon = strchr (draft_doc_id, ':');

  if (atts == NULL)
    return NULL;
  for (guint i = 0; i < atts->len; i++)
    {
      MerAttachment *att = g_ptr_array_index (atts, i);

      if (g_strcmp0 (att->name, name) == 0)
        return g_ptr_array_steal_index (atts, i);
    }
  if (colon == NULL || rev == NULL || g_str_equal (rev, "0-draft"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The draft has no attachment %s", name);
      return NULL;
    }
  return mer_store_get_attachment (store, colon + 1, rev, name, error);
}

/*
 * The bytes of the attachment @uri names (a meridian://att/ address:
 * document, revision, name), and its name and declared content type.
 */
GBytes *
mer_attachment_file_read (MerStore    *store,
                          const char  *uri,
                          char       **name,
                          char       **content_type,
                          GError     **error)
{
  g_autofree char *doc_id = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *att_name = NULL;
  g_autoptr(MerAttachment) att = NULL;
  GBytes *bytes;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (!mer_markdown_parse_attachment_uri (uri, &doc_id, &rev, &att_name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Not the address of an attachment: %s", uri);
      return NULL;
    }
  if (g_str_has_prefix (doc_id, "_local/draft:"))
    att = get_draft_attachment (store, doc_id, rev, att_name, error);
  else
    att = mer_store_get_attachment (store, doc_id, rev, att_name, error);
  if (att == NULL)
    {
      g_prefix_error (error, "Attachment %s of %s: ", att_name, doc_id);
      return NULL;
    }
  bytes = mer_store_read_blob (store, att->blob, error);
  if (bytes == NULL)
    {
      g_prefix_error (error, "Attachment %s of %s: ", att_name, doc_id);
      return NULL;
    }
  if (name != NULL)
    *name = g_steal_pointer (&att_name);
  if (content_type != NULL)
    *content_type = g_strdup (att->content_type);
  return bytes;
}

/* A file name from an attachment's name, which may hold "/" (CouchDB
 * allows it) but never ".." (the store refuses it). */
static char *
file_name_for (const char *name)
{
  g_autofree char *flat = g_strdup (name);

  g_strdelimit (flat, "/\\", '_');
  if (flat[0] == '.' || flat[0] == '\0')
    return g_strconcat ("attachment", flat, NULL);
  return g_steal_pointer (&flat);
}

/*
 * Writes @bytes, the attachment called @name, into a new private folder
 * of the temporary directory (mode 0700, so other users cannot swap the
 * file), under its own name so the application that opens it knows its
 * type.  The copy is read-only: it is a snapshot of one revision, not the
 * attachment itself, and editing it would change nothing in the replica.
 */
GFile *
mer_attachment_file_save_temp (const char  *name,
                               GBytes      *bytes,
                               GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  gsize length;
  const char *data;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  dir = g_dir_make_tmp ("meridian-XXXXXX", error);
  if (dir == NULL)
    {
      g_prefix_error (error, "Cannot save %s: ", name);
      return NULL;
    }
  file_name = file_name_for (name);
  path = g_build_filename (dir, file_name, NULL);
  data = g_bytes_get_data (bytes, &length);
  if (!g_file_set_contents_full (path, data != NULL ? data : "", length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0400, error))
    {
      g_prefix_error (error, "Cannot save %s: ", name);
      return NULL;
    }
  return g_file_new_for_path (path);
}

static void
launch_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_warning ("Cannot open the attachment: %s", error->message);
}

/*
 * Opens @file with the application the person chose for its type.
 * GtkFileLauncher would be the way, but it arrived in GTK 4.10 and
 * Meridian targets 4.8, so the file's URI goes to GIO's default handler
 * for it, with the window's launch context (it goes through the
 * OpenURI portal when sandboxed).
 */
void
mer_attachment_file_launch (GtkWidget *widget,
                            GFile     *file)
{
  g_autoptr(GAppLaunchContext) context = NULL;
  g_autofree char *uri = NULL;

  g_return_if_fail (G_IS_FILE (file));

  if (widget != NULL)
    context = G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (gtk_widget_get_display (widget)));
  uri = g_file_get_uri (file);
  g_app_info_launch_default_for_uri_async (uri, context, NULL, launch_done_cb, NULL);
}
