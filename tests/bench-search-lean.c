/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A diagnostic for the handbook benchmark: `meridian search` cut down to
 * what a search needs (the replica and its libraries, nothing of sync or
 * merge), so the benchmark can show what the rest of the program costs a
 * short-lived process. Prints what `meridian search` prints.
 */
#include "config.h"

#include "mer-store.h"
#include "mer-core.h"

#include <stdio.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) hits = NULL;

  if (argc != 3)
    {
      fprintf (stderr, "usage: bench-search-lean DATA_DIR QUERY\n");
      return 2;
    }
  store = mer_core_open_store (argv[1], &error);
  if (store != NULL)
    hits = mer_store_search (store, argv[2], 20, &error);
  if (hits == NULL)
    {
      fprintf (stderr, "bench-search-lean: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < hits->len; i++)
    {
      MerSearchHit *hit = hits->pdata[i];

      printf ("%s  (%s)\n    %s\n", hit->title, hit->path ? hit->path : hit->id, hit->snippet);
    }
  return 0;
}
