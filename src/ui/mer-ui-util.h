/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mer-types.h"

G_BEGIN_DECLS

char      *mer_ui_format_relative_time (const char *rfc3339);
gboolean   mer_ui_date_is_past         (const char *date);
char      *mer_ui_path_folder_title    (const char *segment);
void       mer_ui_bench_mark           (const char *what);

/* "3 March 2026", or "" when @instant cannot be read. */
char      *mer_ui_format_day           (const char *instant);
/* "Mon 23 Nov 2026 09:00 UTC", or "none" (translated). */
char      *mer_ui_format_utc           (const char *instant);
/* A person's name, else the id without "person:"; @nobody when @id is NULL. */
char      *mer_ui_person_name          (MerStore   *store,
                                        const char *id,
                                        const char *nobody);
/* A left-aligned, wrapping, selectable label with an optional CSS class. */
GtkWidget *mer_ui_wrapped_label        (const char *text,
                                        const char *css);
/* Finds a descendant widget by its name (gtk_widget_set_name). */
void       mer_ui_settle_scrolling     (GtkWidget  *root);
GtkWidget *mer_ui_find_named           (GtkWidget  *root,
                                        const char *name);
/* The whole text of a text view (or source view). */
char      *mer_ui_text_view_get_text   (GtkTextView *view);
/* The window @widget is in, or NULL. */
GtkWindow *mer_ui_get_window           (GtkWidget  *widget);
/* A one-button alert over @widget's window (or @widget, if a window). */
void       mer_ui_show_error           (GtkWidget  *widget,
                                        const char *heading,
                                        const char *message);
/* Gives a list row the name a screen reader says: "title, detail". */
void       mer_ui_name_row             (GtkWidget  *row,
                                        const char *title,
                                        const char *detail);
/* Names a button after its label without the mnemonic's underscore:
 * GTK 4.8 reads "_Decide…" as "_Decide… Decide…". */
void       mer_ui_name_mnemonic_button (GtkWidget  *button);
/* Names the icon buttons inside @root after their tooltips, else @fallback. */
void       mer_ui_name_icon_buttons    (GtkWidget  *root,
                                        const char *fallback);
/* Names the button a composite widget (a drop-down) wraps and focuses. */
void       mer_ui_name_inner_button    (GtkWidget  *widget,
                                        const char *label);

G_END_DECLS
