/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* How a person settled one conflicting region. */
typedef enum
{
  MER_CONFLICT_OPEN,   /* not yet: both sides are shown */
  MER_CONFLICT_MINE,   /* my side kept */
  MER_CONFLICT_THEIRS, /* their side kept */
  MER_CONFLICT_BOTH,   /* mine, then theirs */
  MER_CONFLICT_EDITED, /* rewritten by hand, starting from both */
} MerConflictChoice;

#define MER_TYPE_CONFLICT_REGION (mer_conflict_region_get_type ())
G_DECLARE_FINAL_TYPE (MerConflictRegion, mer_conflict_region, MER, CONFLICT_REGION, GtkWidget)

GtkWidget *mer_conflict_region_new (guint number,
                                    const char *ours,
                                    const char *theirs,
                                    const char *our_label,
                                    const char *their_label,
                                    gboolean ours_is_mine);
MerConflictChoice mer_conflict_region_get_choice (MerConflictRegion *self);
void mer_conflict_region_choose (MerConflictRegion *self,
                                 MerConflictChoice choice);
char *mer_conflict_region_get_text (MerConflictRegion *self);
void mer_conflict_region_set_narrow (MerConflictRegion *self,
                                     gboolean narrow);

G_END_DECLS
