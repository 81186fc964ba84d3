/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-conflict-region.h"

#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

/*
 * One region of a three-way merge where both sides changed the same lines.
 * While it is open it shows the two sides next to each other (stacked on a
 * narrow window) and four ways out: keep mine, keep theirs, keep both, or
 * write it by hand.  Once settled it becomes editable text like the rest
 * of the merged page, with a way back to the two sides.  As text, an open
 * region is written with git's markers, so that nothing is lost and a
 * save can tell that it is still open.
 */
struct _MerConflictRegion
{
  GtkWidget parent_instance;

  GtkStack *stack;
  GtkLabel *title_label;
  GtkBox *sides_box;
  GtkBox *buttons_box;
  GtkLabel *mine_label;
  GtkLabel *mine_text;
  GtkLabel *theirs_label;
  GtkLabel *theirs_text;
  GtkButton *keep_mine_button;
  GtkLabel *resolved_label;
  GtkSourceView *editor;

  guint number;    /* 1 for the page's first region */
  char *ours;      /* the winning revision's lines */
  char *theirs;    /* the other revision's lines */
  char *our_label; /* who wrote ours, and when */
  char *their_label;
  gboolean ours_is_mine; /* whether "mine" is ours (the winner) */
  MerConflictChoice choice;
};

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MerConflictRegion, mer_conflict_region, GTK_TYPE_WIDGET)

static const char *
mine (MerConflictRegion *self)
{
  return self->ours_is_mine ? self->ours : self->theirs;
}

static const char *
theirs (MerConflictRegion *self)
{
  return self->ours_is_mine ? self->theirs : self->ours;
}

/* Appends @lines to @out, ending them with a newline so that a marker or
 * the next side starts on a line of its own. */
static void
append_lines (GString *out,
              const char *lines)
{
  g_string_append (out, lines);
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
}

/* A side's lines as a label shows them; an empty side says so. */
static void
show_side (GtkLabel *label,
           const char *lines)
{
  g_autofree char *shown = g_strdup (lines);

  g_strchomp (shown);
  if (*shown == '\0')
    {
      gtk_label_set_text (label, _ ("(nothing: these lines were removed)"));
      gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
    }
  else
    {
      gtk_label_set_text (label, shown);
      gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
    }
}

static void
update_scheme (MerConflictRegion *self)
{
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->editor));

  gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (buffer),
                                      gtk_source_style_scheme_manager_get_scheme (schemes, dark ? "Adwaita-dark" : "Adwaita"));
}

static void
editor_changed_cb (MerConflictRegion *self)
{
  if (self->choice != MER_CONFLICT_OPEN)
    g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * mer_conflict_region_choose:
 *
 * Settles the region with @choice (its text becomes editable), or, with
 * %MER_CONFLICT_OPEN, shows both sides again and forgets any edit made
 * to the settled text.
 */
void
mer_conflict_region_choose (MerConflictRegion *self,
                            MerConflictChoice choice)
{
  GtkTextBuffer *buffer;
  g_autoptr (GString) text = g_string_new (NULL);
  const char *what = NULL;
  g_autofree char *status = NULL;

  g_return_if_fail (MER_IS_CONFLICT_REGION (self));
  g_return_if_fail (choice >= MER_CONFLICT_OPEN && choice <= MER_CONFLICT_EDITED);

  self->choice = choice;
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->editor));
  switch (choice)
    {
    case MER_CONFLICT_OPEN:
      gtk_stack_set_visible_child_name (self->stack, "open");
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    case MER_CONFLICT_MINE:
      g_string_append (text, mine (self));
      what = _ ("Kept mine");
      break;
    case MER_CONFLICT_THEIRS:
      g_string_append (text, theirs (self));
      what = _ ("Kept theirs");
      break;
    case MER_CONFLICT_BOTH:
    case MER_CONFLICT_EDITED:
      append_lines (text, mine (self));
      g_string_append (text, theirs (self));
      what = choice == MER_CONFLICT_BOTH ? _ ("Kept both, mine first") : _ ("Written by hand");
      break;
    default:
      g_assert_not_reached ();
    }

  /* Translators: "Conflicting edit 2: kept mine" */
  status = g_strdup_printf (_ ("Conflicting edit %u: %s"), self->number, what);
  gtk_label_set_label (self->resolved_label, status);
  g_signal_handlers_block_by_func (buffer, editor_changed_cb, self);
  gtk_text_buffer_set_text (buffer, text->str, -1);
  g_signal_handlers_unblock_by_func (buffer, editor_changed_cb, self);
  gtk_stack_set_visible_child_name (self->stack, "resolved");
  if (choice == MER_CONFLICT_EDITED)
    {
      GtkTextIter start;

      gtk_text_buffer_get_start_iter (buffer, &start);
      gtk_text_buffer_place_cursor (buffer, &start);
      gtk_widget_grab_focus (GTK_WIDGET (self->editor));
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

MerConflictChoice
mer_conflict_region_get_choice (MerConflictRegion *self)
{
  g_return_val_if_fail (MER_IS_CONFLICT_REGION (self), MER_CONFLICT_OPEN);
  return self->choice;
}

/*
 * The region as merged text: what was settled, or, while open, both sides
 * between git's markers.
 */
char *
mer_conflict_region_get_text (MerConflictRegion *self)
{
  GString *out;

  g_return_val_if_fail (MER_IS_CONFLICT_REGION (self), NULL);

  if (self->choice != MER_CONFLICT_OPEN)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->editor));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  out = g_string_new ("<<<<<<< ");
  g_string_append (out, self->our_label);
  g_string_append_c (out, '\n');
  append_lines (out, self->ours);
  g_string_append (out, "=======\n");
  append_lines (out, self->theirs);
  g_string_append (out, ">>>>>>> ");
  g_string_append (out, self->their_label);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

/* On a narrow window the sides and the buttons stack. */
void
mer_conflict_region_set_narrow (MerConflictRegion *self,
                                gboolean narrow)
{
  GtkOrientation orientation = narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;

  g_return_if_fail (MER_IS_CONFLICT_REGION (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->sides_box), orientation);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->buttons_box), orientation);
}

static void
choose_action (GtkWidget *widget,
               const char *action_name,
               GVariant *parameter)
{
  MerConflictRegion *self = MER_CONFLICT_REGION (widget);
  MerConflictChoice choice = MER_CONFLICT_OPEN;

  if (g_str_equal (action_name, "region.keep-mine"))
    choice = MER_CONFLICT_MINE;
  else if (g_str_equal (action_name, "region.keep-theirs"))
    choice = MER_CONFLICT_THEIRS;
  else if (g_str_equal (action_name, "region.keep-both"))
    choice = MER_CONFLICT_BOTH;
  else if (g_str_equal (action_name, "region.edit"))
    choice = MER_CONFLICT_EDITED;
  mer_conflict_region_choose (self, choice);
  if (choice == MER_CONFLICT_OPEN)
    gtk_widget_grab_focus (GTK_WIDGET (self->keep_mine_button));
}

static void
mer_conflict_region_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), MER_TYPE_CONFLICT_REGION);

  G_OBJECT_CLASS (mer_conflict_region_parent_class)->dispose (object);
}

static void
mer_conflict_region_finalize (GObject *object)
{
  MerConflictRegion *self = MER_CONFLICT_REGION (object);

  g_free (self->ours);
  g_free (self->theirs);
  g_free (self->our_label);
  g_free (self->their_label);

  G_OBJECT_CLASS (mer_conflict_region_parent_class)->finalize (object);
}

static void
mer_conflict_region_class_init (MerConflictRegionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mer_conflict_region_dispose;
  object_class->finalize = mer_conflict_region_finalize;

  /* Settled, reopened, or its settled text edited. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, APP_RESOURCE_PATH "/mer-conflict-region.ui");
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, stack);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, title_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, sides_box);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, buttons_box);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, mine_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, mine_text);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, theirs_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, theirs_text);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, keep_mine_button);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, resolved_label);
  gtk_widget_class_bind_template_child (widget_class, MerConflictRegion, editor);

  gtk_widget_class_install_action (widget_class, "region.keep-mine", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "region.keep-theirs", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "region.keep-both", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "region.edit", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "region.reopen", NULL, choose_action);
  /* While the keyboard is in a block, its own shortcuts, the same keys as
   * the buttons' mnemonics, so that they act on this block and no other. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_ALT_MASK, "region.keep-mine", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_ALT_MASK, "region.keep-theirs", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_ALT_MASK, "region.keep-both", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_ALT_MASK, "region.edit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_ALT_MASK, "region.reopen", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "mer-conflict-region");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
mer_conflict_region_init (MerConflictRegion *self)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->editor));
  gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (buffer),
                                  gtk_source_language_manager_get_language (languages, "markdown"));
  update_scheme (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_scheme), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (buffer, "changed", G_CALLBACK (editor_changed_cb), self);
}

/**
 * mer_conflict_region_new:
 * @number: the region's place on the page, from 1
 * @ours: the winning revision's lines, @theirs the other's
 * @our_label: who wrote @ours and when, @their_label the same of @theirs
 * @ours_is_mine: whether @ours is the side called "mine"
 *
 * Returns: (transfer floating): an open region.
 */
GtkWidget *
mer_conflict_region_new (guint number,
                         const char *ours,
                         const char *theirs_lines,
                         const char *our_label,
                         const char *their_label,
                         gboolean ours_is_mine)
{
  MerConflictRegion *self;
  g_autofree char *title = NULL;
  g_autofree char *mine_heading = NULL;
  g_autofree char *theirs_heading = NULL;

  g_return_val_if_fail (ours != NULL && theirs_lines != NULL, NULL);

  self = g_object_new (MER_TYPE_CONFLICT_REGION, NULL);
  self->number = number;
  self->ours = g_strdup (ours);
  self->theirs = g_strdup (theirs_lines);
  self->our_label = g_strdup (our_label != NULL ? our_label : "");
  self->their_label = g_strdup (their_label != NULL ? their_label : "");
  self->ours_is_mine = ours_is_mine;

  title = g_strdup_printf (_ ("Conflicting edit %u"), number);
  gtk_label_set_label (self->title_label, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  /* Translators: a side of a conflicting edit and who wrote it, "Mine · Ana Lima, 21 Nov 12:00" */
  mine_heading = g_strdup_printf (_ ("Mine · %s"), ours_is_mine ? self->our_label : self->their_label);
  /* Translators: a side of a conflicting edit and who wrote it, "Theirs · Kiri Tane, 21 Nov 12:05" */
  theirs_heading = g_strdup_printf (_ ("Theirs · %s"), ours_is_mine ? self->their_label : self->our_label);
  gtk_label_set_label (self->mine_label, mine_heading);
  gtk_label_set_label (self->theirs_label, theirs_heading);
  show_side (self->mine_text, mine (self));
  show_side (self->theirs_text, theirs (self));
  return GTK_WIDGET (self);
}
