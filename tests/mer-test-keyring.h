/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A real Secret Service for the tests: gnome-keyring-daemon, unlocked,
 * on the test's own session bus, with its files in the test's private
 * folders.
 */
typedef struct _MerTestKeyring MerTestKeyring;

GTestDBus      *mer_test_bus_up        (void);
MerTestKeyring *mer_test_keyring_start (void);
void            mer_test_keyring_stop  (MerTestKeyring *keyring);

G_END_DECLS
