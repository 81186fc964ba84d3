/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mer-cli.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_LIMIT 20
#define MAX_LIMIT     1000

/*
 * The snippet on one line for a terminal: newlines become spaces, and the
 * match markers become bold when stdout is a terminal (else they vanish).
 */
static char *
snippet_for_terminal (const char *snippet,
                      gboolean    color)
{
  GString *out = g_string_sized_new (strlen (snippet) + 16);

  for (const char *p = snippet; *p != '\0'; p++)
    {
      if (*p == MER_SEARCH_MARK_START[0])
        {
          if (color)
            g_string_append (out, "\033[1m");
        }
      else if (*p == MER_SEARCH_MARK_END[0])
        {
          if (color)
            g_string_append (out, "\033[0m");
        }
      else if (*p == '\n' || *p == '\r' || *p == '\t')
        g_string_append_c (out, ' ');
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static JsonNode *
hits_to_json (GPtrArray *hits)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < hits->len; i++)
    {
      MerSearchHit *hit = hits->pdata[i];
      g_autofree char *html = mer_search_snippet_to_html (hit->snippet ? hit->snippet : "");

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, hit->id);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, hit->type);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, hit->title);
      json_builder_set_member_name (builder, "path");
      if (hit->path != NULL)
        json_builder_add_string_value (builder, hit->path);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "snippet");
      json_builder_add_string_value (builder, html);
      json_builder_set_member_name (builder, "rank");
      json_builder_add_double_value (builder, hit->rank);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

/*
 * meridian search QUERY...: the words are joined into one query; any text
 * is accepted (the store searches what is not FTS5 syntax as plain words).
 * Kept lean: one store open, one query, no other work.
 */
int
mer_cli_search (MerCliContext  *ctx,
                int             argc,
                char          **argv)
{
  g_autoptr(MerStore) store = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = NULL;
  gboolean json = FALSE;
  int limit = DEFAULT_LIMIT;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the results as a JSON array"), NULL },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("Print at most N results (default 20)"), N_("N") },
    { NULL }
  };

  if (!mer_cli_parse (ctx, entries, _("QUERY…"),
                      _("Searches pages, proposals, decisions and comments; best matches first. "
                        "Every word must match; the last one also as the start of a word "
                        "(“onboard” finds “onboarding”)."),
                      &argc, &argv))
    return 1;
  if (argc < 2)
    return mer_cli_fail (ctx, "%s", _("expected a query; see “meridian search --help”"));
  if (limit < 1 || limit > MAX_LIMIT)
    return mer_cli_fail (ctx, _("--limit must be between 1 and %d"), MAX_LIMIT);

  query = g_strjoinv (" ", argv + 1);
  if (!g_utf8_validate (query, -1, NULL))
    return mer_cli_fail (ctx, "%s", _("the query is not UTF-8 text"));

  store = mer_cli_open_store (ctx, &error);
  if (store == NULL)
    return mer_cli_fail (ctx, "%s", error->message);
  hits = mer_store_search (store, query, (guint) limit, &error);
  if (hits == NULL)
    return mer_cli_fail (ctx, "%s", error->message);

  if (json)
    {
      g_autoptr(JsonNode) node = hits_to_json (hits);

      mer_cli_print_json (node);
      return 0;
    }

  {
    gboolean color = isatty (STDOUT_FILENO);

    for (guint i = 0; i < hits->len; i++)
      {
        MerSearchHit *hit = hits->pdata[i];
        g_autofree char *snippet = snippet_for_terminal (hit->snippet ? hit->snippet : "", color);

        printf ("%s  (%s)\n    %s\n", hit->title ? hit->title : hit->id,
                hit->path != NULL ? hit->path : hit->id, snippet);
      }
    if (hits->len == 0)
      fprintf (stderr, "%s\n", _("No matches."));
  }
  return 0;
}
