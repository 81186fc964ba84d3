/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-decide-dialog.h"
#include "mer-json.h"
#include "mer-proposal.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-ui-util.h"

#include <adwaita.h>
#include <glib/gi18n.h>

static const char *outcome_ids[] = { "accepted", "rejected", "withdrawn" };

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             MerStore         *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autofree char *me = mer_schedule_get_me (store);
  g_autofree char *decision = NULL;
  GtkWidget *extra = adw_message_dialog_get_extra_child (dialog);
  GtkDropDown *outcome = GTK_DROP_DOWN (mer_ui_find_named (extra, "decide-outcome"));
  GtkEditable *summary = GTK_EDITABLE (mer_ui_find_named (extra, "decide-summary"));
  GtkWidget *reason = mer_ui_find_named (extra, "decide-reason");
  const char *proposal_id = g_object_get_data (G_OBJECT (dialog), "proposal-id");
  guint chosen = gtk_drop_down_get_selected (outcome);

  if (g_strcmp0 (response, "decide") != 0)
    return;
  if (mer_proposal_decide (store, proposal_id, outcome_ids[MIN (chosen, G_N_ELEMENTS (outcome_ids) - 1)],
                           gtk_editable_get_text (summary),
                           reason != NULL ? gtk_editable_get_text (GTK_EDITABLE (reason)) : NULL,
                           me, now, &decision, &error))
    return;  /* the views follow the store */

  mer_ui_show_error (GTK_WIDGET (gtk_window_get_transient_for (GTK_WINDOW (dialog))),
                     _("Could Not Record the Decision"),
                     me == NULL ? _("Choose yourself in Team → Your Hours and Time Zone first.")
                                : error->message);
}

GtkWidget *
mer_decide_dialog_new (MerStore   *store,
                       JsonObject *proposal,
                       GtkWindow  *parent)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GDateTime) deadline = NULL;
  const char *outcomes[] = { N_("Accepted"), N_("Rejected"), N_("Withdrawn"), NULL };
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  GtkWidget *dialog, *box, *dropdown, *summary;
  g_autofree char *heading_text = NULL;
  gboolean early;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (proposal != NULL, NULL);

  if (mer_json_get_string (proposal, "deadline") != NULL)
    deadline = mer_schedule_parse_instant (mer_json_get_string (proposal, "deadline"), NULL);
  early = deadline != NULL && g_date_time_compare (now, deadline) < 0;
  for (guint i = 0; outcomes[i] != NULL; i++)
    gtk_string_list_append (model, _(outcomes[i]));

  heading_text = g_strdup_printf (_("Decide “%s”"), mer_json_get_string (proposal, "title"));
  dialog = adw_message_dialog_new (parent, heading_text,
                                   _("The outcome is shown at the top of the proposal. Accepting logs a decision "
                                     "and, for a page proposal, applies the proposed text to the page."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  dropdown = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (model)), NULL);
  gtk_widget_set_name (dropdown, "decide-outcome");
  summary = gtk_entry_new ();
  gtk_widget_set_name (summary, "decide-summary");
  gtk_entry_set_placeholder_text (GTK_ENTRY (summary), _("Summary of the outcome"));
  gtk_box_append (GTK_BOX (box), dropdown);
  gtk_box_append (GTK_BOX (box), summary);
  if (early)
    {
      g_autofree char *when = mer_ui_format_utc (mer_json_get_string (proposal, "deadline"));
      g_autofree char *text = g_strdup_printf (_("Comments are open until %s. An early approval does not close "
                                                 "the window: deciding now needs a reason."), when);
      GtkWidget *note = gtk_label_new (text);
      GtkWidget *reason = gtk_entry_new ();

      gtk_label_set_wrap (GTK_LABEL (note), TRUE);
      gtk_label_set_xalign (GTK_LABEL (note), 0);
      gtk_widget_add_css_class (note, "warning");
      gtk_widget_set_name (reason, "decide-reason");
      gtk_entry_set_placeholder_text (GTK_ENTRY (reason), _("Why decide before the deadline?"));
      gtk_box_append (GTK_BOX (box), note);
      gtk_box_append (GTK_BOX (box), reason);
    }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "decide", _("_Record Decision"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "decide", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "decide");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "proposal-id", g_strdup (mer_json_get_string (proposal, "_id")), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "store", g_object_ref (store), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), store);
  return dialog;
}
