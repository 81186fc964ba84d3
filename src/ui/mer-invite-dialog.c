/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * “Invite a Teammate”: asks for a name, a role and how long the invite
 * lasts, makes it (mer_invites_create()) and shows its link, selectable and
 * with a Copy button, and as a QR code for a phone or a camera.
 */

#include "config.h"

#include "mer-invite-dialog.h"
#include "mer-invites.h"
#include "mer-tls.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <qrencode.h>
#include <string.h>

#define QUIET_ZONE 4 /* modules of white around the code, as the standard asks */

struct _MerInviteDialog
{
  AdwWindow parent_instance;

  char *data_dir;
  char *url;  /* where teammates reach this workspace */
  char *link; /* once made */
  GtkEditable *name_entry;
  AdwComboRow *role_row;
  GtkSpinButton *days_spin;
  GtkWidget *form;
  GtkWidget *result;
  GtkLabel *link_label;
  GtkLabel *error_label;
  GtkPicture *qr_picture;
};

G_DEFINE_FINAL_TYPE (MerInviteDialog, mer_invite_dialog, ADW_TYPE_WINDOW)

/*
 * The QR code of @text as a texture: black modules of @scale pixels on
 * white, with a quiet zone of QUIET_ZONE modules all around.
 */
GdkTexture *
mer_invite_qr_texture (const char *text,
                       guint scale,
                       GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  QRcode *code;
  guchar *pixels;
  gsize side, stride;

  g_return_val_if_fail (text != NULL && scale > 0, NULL);

  code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("Cannot make a QR code of the invite: %s"),
                   g_strerror (errno));
      return NULL;
    }
  side = ((gsize) code->width + 2 * QUIET_ZONE) * scale;
  stride = side * 3;
  pixels = g_malloc (stride * side);
  memset (pixels, 0xff, stride * side);
  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      {
        if ((code->data[y * code->width + x] & 1) == 0)
          continue;
        for (guint dy = 0; dy < scale; dy++)
          memset (pixels + ((y + QUIET_ZONE) * scale + dy) * stride + (x + QUIET_ZONE) * scale * 3, 0,
                  scale * 3);
      }
  QRcode_free (code);
  bytes = g_bytes_new_take (pixels, stride * side);
  return gdk_memory_texture_new ((int) side, (int) side, GDK_MEMORY_R8G8B8, bytes, stride);
}

static void
copy_cb (MerInviteDialog *self)
{
  if (self->link != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->link);
}

static void
create_cb (MerInviteDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (MerInviteLink) link = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *fingerprint = NULL;
  const char *name = gtk_editable_get_text (self->name_entry);
  MerRole role = adw_combo_row_get_selected (self->role_row) == 0 ? MER_ROLE_RW : MER_ROLE_RO;
  gint64 days = gtk_spin_button_get_value_as_int (self->days_spin);

  certificate = mer_tls_ensure_certificate (self->data_dir, NULL, &error);
  if (certificate != NULL)
    {
      fingerprint = mer_tls_fingerprint (certificate);
      link = mer_invites_create (self->data_dir, self->url, fingerprint, name, role,
                                 g_get_real_time () / G_USEC_PER_SEC + days * 24 * 3600, &error);
    }
  if (link != NULL)
    {
      g_free (self->link);
      self->link = mer_invite_link_format (link);
      texture = mer_invite_qr_texture (self->link, 4, &error);
    }
  if (texture == NULL)
    {
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  gtk_label_set_text (self->link_label, self->link);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (self->form, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_widget_set_visible (self->result, TRUE);
}

static void
mer_invite_dialog_finalize (GObject *object)
{
  MerInviteDialog *self = MER_INVITE_DIALOG (object);

  g_free (self->data_dir);
  g_free (self->url);
  g_free (self->link);
  G_OBJECT_CLASS (mer_invite_dialog_parent_class)->finalize (object);
}

static void
mer_invite_dialog_class_init (MerInviteDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mer_invite_dialog_finalize;
}

static void
mer_invite_dialog_init (MerInviteDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *name_row = adw_entry_row_new ();
  GtkWidget *role_row = adw_combo_row_new ();
  GtkWidget *days_row = adw_action_row_new ();
  GtkWidget *days = gtk_spin_button_new_with_range (1, MER_INVITES_MAX_DAYS, 1);
  GtkWidget *create = gtk_button_new_with_mnemonic (_ ("_Create Invite"));
  GtkWidget *copy = gtk_button_new_with_mnemonic (_ ("_Copy Link"));
  GtkWidget *link_label = gtk_label_new (NULL);
  GtkWidget *error_label = gtk_label_new (NULL);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *explain = gtk_label_new (_ ("Send this link to your teammate, or let them scan the code. Whoever has it joins as "
                                         "this teammate; if nobody uses it before it expires, it stops working."));
  const char *roles[] = { N_ ("Read and Write"), N_ ("Read Only"), NULL };
  g_autoptr (GtkStringList) role_names = gtk_string_list_new (NULL);

  gtk_window_set_title (GTK_WINDOW (self), _ ("Invite a Teammate"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 460, -1);
  for (guint i = 0; roles[i] != NULL; i++)
    gtk_string_list_append (role_names, _ (roles[i]));

  gtk_widget_set_margin_start (content, 18);
  gtk_widget_set_margin_end (content, 18);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 18);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name_row), _ ("Name (optional)"));
  gtk_widget_set_name (name_row, "invite-name");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (role_row), _ ("Role"));
  adw_combo_row_set_model (ADW_COMBO_ROW (role_row), G_LIST_MODEL (role_names));
  gtk_widget_set_name (role_row, "invite-role");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (days_row), _ ("Expires After (Days)"));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (days), MER_INVITES_DEFAULT_DAYS);
  gtk_widget_set_valign (days, GTK_ALIGN_CENTER);
  gtk_widget_set_name (days, "invite-days");
  adw_action_row_add_suffix (ADW_ACTION_ROW (days_row), days);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (days_row), days);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), name_row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), role_row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), days_row);

  gtk_widget_add_css_class (create, "suggested-action");
  gtk_widget_add_css_class (create, "pill");
  gtk_widget_set_halign (create, GTK_ALIGN_CENTER);
  gtk_widget_set_name (create, "invite-create");
  g_signal_connect_swapped (create, "clicked", G_CALLBACK (create_cb), self);

  self->form = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_box_append (GTK_BOX (self->form), group);
  gtk_box_append (GTK_BOX (self->form), create);

  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_set_visible (error_label, FALSE);

  self->result = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_label_set_wrap (GTK_LABEL (explain), TRUE);
  gtk_label_set_selectable (GTK_LABEL (link_label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (link_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (link_label), PANGO_WRAP_CHAR);
  {
    /* A hyphen added at a line break would end up in a copied link. */
    PangoAttrList *attributes = pango_attr_list_new ();

    pango_attr_list_insert (attributes, pango_attr_insert_hyphens_new (FALSE));
    gtk_label_set_attributes (GTK_LABEL (link_label), attributes);
    pango_attr_list_unref (attributes);
  }
  gtk_widget_add_css_class (link_label, "monospace");
  gtk_widget_set_name (link_label, "invite-link");
  gtk_widget_set_name (picture, "invite-qr");
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("QR code of the invite link"), -1);
  gtk_widget_set_halign (copy, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy, "pill");
  gtk_widget_set_name (copy, "invite-copy");
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (copy_cb), self);
  gtk_box_append (GTK_BOX (self->result), explain);
  gtk_box_append (GTK_BOX (self->result), picture);
  gtk_box_append (GTK_BOX (self->result), link_label);
  gtk_box_append (GTK_BOX (self->result), copy);
  gtk_widget_set_visible (self->result, FALSE);

  gtk_box_append (GTK_BOX (content), self->form);
  gtk_box_append (GTK_BOX (content), error_label);
  gtk_box_append (GTK_BOX (content), self->result);
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), content);
  adw_window_set_content (ADW_WINDOW (self), box);

  self->name_entry = GTK_EDITABLE (name_row);
  self->role_row = ADW_COMBO_ROW (role_row);
  self->days_spin = GTK_SPIN_BUTTON (days);
  self->link_label = GTK_LABEL (link_label);
  self->error_label = GTK_LABEL (error_label);
  self->qr_picture = GTK_PICTURE (picture);
}

GtkWidget *
mer_invite_dialog_new (const char *data_dir,
                       const char *url)
{
  MerInviteDialog *self;

  g_return_val_if_fail (data_dir != NULL && url != NULL, NULL);

  self = g_object_new (MER_TYPE_INVITE_DIALOG, NULL);
  self->data_dir = g_strdup (data_dir);
  self->url = g_strdup (url);
  return GTK_WIDGET (self);
}

/* The link of the invite made, or NULL before. */
const char *
mer_invite_dialog_get_link (MerInviteDialog *self)
{
  g_return_val_if_fail (MER_IS_INVITE_DIALOG (self), NULL);
  return self->link;
}
