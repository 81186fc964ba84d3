/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <signal.h>

#include "mer-store.h"

G_BEGIN_DECLS

void        mer_test_init          (int         *argc,
                                    char      ***argv);
char       *mer_test_make_tmpdir   (const char  *name);
void        mer_test_rm_rf         (const char  *path);
MerStore   *mer_test_open_store    (char       **out_dir);
JsonObject *mer_test_object        (const char  *json);
const char *mer_test_source_dir    (void);
const char *mer_test_meridian_bin  (void);
char       *mer_test_log_path      (const char  *file_name);
GSubprocess *mer_test_spawn_self_until (const char  *mode,
                                        const char  *dir,
                                        const char  *line);
void        mer_test_kill_hard     (GSubprocess *child);
int         mer_test_run_meridian  (const char  *data_dir,
                                    char       **out,
                                    char       **err,
                                    const char  *first,
                                    ...) G_GNUC_NULL_TERMINATED;
int         mer_test_run_meridian_input (const char  *input,
                                         char       **out,
                                         const char  *first,
                                         ...) G_GNUC_NULL_TERMINATED;

int         mer_test_run_meridian_spinning (const char  *input,
                                            char       **out,
                                            char       **err,
                                            const char  *first,
                                            ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
