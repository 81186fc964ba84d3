/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <git2.h>

G_BEGIN_DECLS

/*
 * The few libgit2 functions the core uses. libgit2 brings OpenSSL, libssh2,
 * mbedtls and Kerberos with it; linking it into the program made every
 * headless command spend more time in the dynamic linker than in its work,
 * so the core opens it on first use instead.
 */
typedef struct
{
  int  (*merge_file)             (git_merge_file_result        *out,
                                  const git_merge_file_input   *ancestor,
                                  const git_merge_file_input   *ours,
                                  const git_merge_file_input   *theirs,
                                  const git_merge_file_options *opts);
  void (*merge_file_result_free) (git_merge_file_result        *result);
  int  (*patch_from_buffers)     (git_patch                   **out,
                                  const void                   *old_buffer,
                                  size_t                        old_len,
                                  const char                   *old_as_path,
                                  const void                   *new_buffer,
                                  size_t                        new_len,
                                  const char                   *new_as_path,
                                  const git_diff_options       *opts);
  int  (*patch_to_buf)           (git_buf                      *out,
                                  git_patch                    *patch);
  void (*buf_dispose)            (git_buf                      *buffer);
  void (*patch_free)             (git_patch                    *patch);
} MerGit;

const MerGit *mer_git_get (GError **error);

G_END_DECLS
