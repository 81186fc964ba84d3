/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keeps the sync library non-empty until its first real source lands. */
int mer_sync_placeholder_unused (void);
int mer_sync_placeholder_unused (void) { return 0; }
