/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mer-store.h"

G_BEGIN_DECLS

/* What every subcommand receives: the global options already parsed. */
typedef struct
{
  const char *data_dir; /* --data, or NULL for the default */
  const char *command;  /* the subcommand's name, for messages */
} MerCliContext;

typedef int (*MerCliCommandFunc) (MerCliContext *ctx,
                                  int argc,
                                  char **argv);

gboolean mer_cli_is_command (const char *name);
int mer_cli_run (int argc,
                 char **argv);
char *mer_cli_default_data_dir (void);
MerStore *mer_cli_open_store (MerCliContext *ctx,
                              GError **error);
int mer_cli_fail (MerCliContext *ctx,
                  const char *format,
                  ...) G_GNUC_PRINTF (2, 3);
gboolean mer_cli_parse (MerCliContext *ctx,
                        GOptionEntry *entries,
                        const char *parameter_string,
                        const char *summary,
                        int *argc,
                        char ***argv);
void mer_cli_print_json (JsonNode *node);

/* Subcommands, one file each. */
int mer_cli_search (MerCliContext *ctx, int argc, char **argv);
int mer_cli_import (MerCliContext *ctx, int argc, char **argv);
int mer_cli_export (MerCliContext *ctx, int argc, char **argv);
int mer_cli_team (MerCliContext *ctx, int argc, char **argv);
int mer_cli_serve (MerCliContext *ctx, int argc, char **argv);
int mer_cli_user (MerCliContext *ctx, int argc, char **argv);
int mer_cli_sync (MerCliContext *ctx, int argc, char **argv);
int mer_cli_proposals (MerCliContext *ctx, int argc, char **argv);
int mer_cli_decisions (MerCliContext *ctx, int argc, char **argv);
int mer_cli_hub (MerCliContext *ctx, int argc, char **argv);
int mer_cli_invite (MerCliContext *ctx, int argc, char **argv);
int mer_cli_join (MerCliContext *ctx, int argc, char **argv);

G_END_DECLS
