/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-decision.h"
#include "mer-doc-util.h"
#include "mer-import.h"
#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (mer-decision-error-quark, mer_decision_error)

static const char *
string_or_empty (JsonObject *object,
                 const char *member)
{
  const char *value = mer_json_get_string (object, member);

  return value != NULL ? value : "";
}

/*
 * Builds a complete decision document from @fields (title, decision, owner
 * required; status "accepted" or "rejected", default accepted; context,
 * consequences, deciders, decided_at, proposal, pages, tags optional). The
 * supersede links are never taken from @fields: only superseding sets them.
 */
static JsonObject *
build_decision (JsonObject  *fields,
                GDateTime   *now,
                GError     **error)
{
  const char *title = mer_json_get_string (fields, "title");
  const char *text = mer_json_get_string (fields, "decision");
  const char *owner = mer_json_get_string (fields, "owner");
  const char *status = mer_json_get_string (fields, "status");
  const char *decided_at = mer_json_get_string (fields, "decided_at");
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *when_text = NULL;
  g_autofree char *id = NULL;
  g_autofree char *clean_title = NULL;
  JsonArray *deciders;
  JsonObject *doc;

  if (mer_doc_is_blank (title) || mer_doc_is_blank (text))
    {
      g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID,
                   _("A decision needs a title and the decision itself"));
      return NULL;
    }
  if (mer_doc_is_blank (owner))
    {
      g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID, _("A decision needs an owner"));
      return NULL;
    }
  if (status == NULL)
    status = "accepted";
  if (strcmp (status, "accepted") != 0 && strcmp (status, "rejected") != 0)
    {
      g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID,
                   _("A new decision is accepted or rejected, not “%s”"), status);
      return NULL;
    }
  if (decided_at != NULL)
    {
      when = mer_schedule_parse_instant (decided_at, NULL);
      if (when == NULL)
        {
          g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID,
                       _("“%s” is not a date and time"), decided_at);
          return NULL;
        }
    }
  else
    when = g_date_time_ref (now);
  when_text = mer_schedule_format_instant (when);

  clean_title = g_strstrip (g_strdup (title));
  id = mer_doc_new_id ("decision", clean_title);

  deciders = mer_doc_string_array (fields, "deciders");
  if (json_array_get_length (deciders) == 0)
    json_array_add_string_element (deciders, owner);

  doc = json_object_new ();
  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "decision");
  json_object_set_string_member (doc, "title", clean_title);
  json_object_set_string_member (doc, "status", status);
  json_object_set_string_member (doc, "context", string_or_empty (fields, "context"));
  json_object_set_string_member (doc, "decision", text);
  json_object_set_string_member (doc, "consequences", string_or_empty (fields, "consequences"));
  json_object_set_string_member (doc, "owner", owner);
  json_object_set_array_member (doc, "deciders", deciders);
  json_object_set_string_member (doc, "decided_at", when_text);
  mer_doc_set_string_or_null (doc, "proposal", mer_json_get_string (fields, "proposal"));
  json_object_set_null_member (doc, "supersedes");
  json_object_set_null_member (doc, "superseded_by");
  json_object_set_array_member (doc, "pages", mer_doc_string_array (fields, "pages"));
  json_object_set_array_member (doc, "tags", mer_doc_string_array (fields, "tags"));
  return doc;
}

/* Logs a decision directly ("tell me what you did"). Returns its id. */
char *
mer_decision_log (MerStore    *store,
                  JsonObject  *fields,
                  GDateTime   *now,
                  GError     **error)
{
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *rev = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (fields != NULL && now != NULL, NULL);

  doc = build_decision (fields, now, error);
  if (doc == NULL)
    return NULL;
  rev = mer_store_put_doc (store, doc, error);
  if (rev == NULL)
    return NULL;
  return g_strdup (mer_json_get_string (doc, "_id"));
}

static gboolean
contains_casefold (const char *haystack,
                   const char *needle_folded)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle_folded) != NULL;
}

gboolean
mer_decision_matches (JsonObject              *decision,
                      const MerDecisionFilter *filter)
{
  if (filter == NULL)
    return TRUE;
  if (filter->status != NULL && *filter->status != '\0'
      && g_strcmp0 (mer_json_get_string (decision, "status"), filter->status) != 0)
    return FALSE;
  if (filter->owner != NULL && *filter->owner != '\0'
      && g_strcmp0 (mer_json_get_string (decision, "owner"), filter->owner) != 0)
    return FALSE;
  if (filter->tag != NULL && *filter->tag != '\0')
    {
      g_autoptr(JsonArray) tags = mer_doc_string_array (decision, "tags");
      gboolean found = FALSE;

      for (guint i = 0; i < json_array_get_length (tags) && !found; i++)
        found = g_ascii_strcasecmp (json_array_get_string_element (tags, i), filter->tag) == 0;
      if (!found)
        return FALSE;
    }
  if (filter->text != NULL && !mer_doc_is_blank (filter->text))
    {
      g_autofree char *needle = g_utf8_casefold (filter->text, -1);
      const char *members[] = { "title", "context", "decision", "consequences" };
      gboolean found = FALSE;

      g_strstrip (needle);
      for (guint i = 0; i < G_N_ELEMENTS (members) && !found; i++)
        found = contains_casefold (mer_json_get_string (decision, members[i]), needle);
      if (!found)
        return FALSE;
    }
  return TRUE;
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  JsonObject *da = json_node_get_object (*(JsonNode **) a);
  JsonObject *db = json_node_get_object (*(JsonNode **) b);
  int c = g_strcmp0 (mer_json_get_string (db, "decided_at"), mer_json_get_string (da, "decided_at"));

  return c != 0 ? c : g_strcmp0 (mer_json_get_string (db, "_id"), mer_json_get_string (da, "_id"));
}

/*
 * Supersession is a fact the newer decision records ("supersedes"); the
 * older decision's document is never rewritten. This sets each decision's
 * "status" and "superseded_by" as read from @all: superseded by the
 * earliest decision (then the smallest id) that names it in "supersedes"
 * and was not itself rejected. What a stored decision says in those two
 * members is not believed: any peer could have written it. A stored
 * "superseded" that no decision bears out reads as "accepted", the only
 * status a decision could be superseded from.
 */
static void
derive_supersession (JsonArray *all)
{
  g_autoptr(GHashTable) by = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = json_array_get_length (all);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *newer = json_array_get_object_element (all, i);
      const char *old_id = mer_json_get_string (newer, "supersedes");
      JsonObject *current;

      if (old_id == NULL || g_strcmp0 (mer_json_get_string (newer, "status"), "rejected") == 0
          || g_strcmp0 (old_id, mer_json_get_string (newer, "_id")) == 0)
        continue;
      current = g_hash_table_lookup (by, old_id);
      if (current != NULL)
        {
          int c = g_strcmp0 (mer_json_get_string (newer, "decided_at"), mer_json_get_string (current, "decided_at"));

          if (c > 0 || (c == 0 && g_strcmp0 (mer_json_get_string (newer, "_id"), mer_json_get_string (current, "_id")) > 0))
            continue;
        }
      g_hash_table_insert (by, (gpointer) old_id, newer);
    }

  for (guint i = 0; i < n; i++)
    {
      JsonObject *decision = json_array_get_object_element (all, i);
      JsonObject *newer = g_hash_table_lookup (by, mer_json_get_string (decision, "_id") ?: "");

      if (newer != NULL)
        {
          json_object_set_string_member (decision, "status", "superseded");
          json_object_set_string_member (decision, "superseded_by", mer_json_get_string (newer, "_id"));
          continue;
        }
      if (g_strcmp0 (mer_json_get_string (decision, "status"), "superseded") == 0)
        json_object_set_string_member (decision, "status", "accepted");
      json_object_set_null_member (decision, "superseded_by");
    }
}

/* Every decision, with its supersession derived (see above). */
static JsonArray *
list_derived (MerStore  *store,
              GError   **error)
{
  JsonArray *all = mer_store_list_docs (store, "decision", error);

  if (all != NULL)
    derive_supersession (all);
  return all;
}

/*
 * One decision as mer_decision_list() shows it: "status" and
 * "superseded_by" derived from the decisions that supersede it. NULL with
 * @error set when there is no such decision.
 */
JsonObject *
mer_decision_get (MerStore    *store,
                  const char  *id,
                  GError     **error)
{
  g_autoptr(JsonArray) all = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  all = list_derived (store, error);
  if (all == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *decision = json_array_get_object_element (all, i);

      if (g_strcmp0 (mer_json_get_string (decision, "_id"), id) == 0)
        return json_object_ref (decision);
    }
  g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND, _("There is no decision “%s”"), id);
  return NULL;
}

/* The decisions matching @filter (NULL: all), newest first. */
JsonArray *
mer_decision_list (MerStore                *store,
                   const MerDecisionFilter *filter,
                   GError                 **error)
{
  g_autoptr(JsonArray) all = list_derived (store, error);
  g_autoptr(GPtrArray) nodes = NULL;

  if (all == NULL)
    return NULL;
  nodes = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (all); i++)
    if (mer_decision_matches (json_array_get_object_element (all, i), filter))
      g_ptr_array_add (nodes, json_array_get_element (all, i));
  return mer_doc_sorted_copy (nodes, compare_newest_first);
}

static JsonObject *
body_copy (JsonObject *doc)
{
  JsonObject *copy = mer_json_object_copy (doc);
  GList *members = json_object_get_members (copy);

  for (GList *l = members; l != NULL; l = l->next)
    if (((const char *) l->data)[0] == '_')
      json_object_remove_member (copy, l->data);
  g_list_free (members);
  return copy;
}

static char *
canonical_object (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return mer_json_canonical (node);
}

/*
 * Is going from @old_doc to @new_doc allowed? Only when the body stays the
 * same (a no-op): decisions are never edited, not even to mark them
 * superseded (that is derived, see derive_supersession()).
 */
gboolean
mer_decision_check_change (JsonObject  *old_doc,
                           JsonObject  *new_doc,
                           GError     **error)
{
  g_autoptr(JsonObject) old_body = body_copy (old_doc);
  g_autoptr(JsonObject) new_body = body_copy (new_doc);
  g_autofree char *old_text = NULL;
  g_autofree char *new_text = NULL;

  old_text = canonical_object (old_body);
  new_text = canonical_object (new_body);
  if (strcmp (old_text, new_text) != 0)
    {
      g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_IMMUTABLE,
                   _("Decisions are not edited after they are made; log a new decision that supersedes it"));
      return FALSE;
    }
  return TRUE;
}

/* The only way to write over an existing decision; refuses real edits. */
char *
mer_decision_update (MerStore    *store,
                     JsonObject  *doc,
                     GError     **error)
{
  const char *id = mer_json_get_string (doc, "_id");
  g_autoptr(JsonObject) old_doc = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  old_doc = id != NULL ? mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, error) : NULL;
  if (old_doc == NULL)
    {
      if (id == NULL)
        g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID, _("A decision needs an id"));
      return NULL;
    }
  if (!mer_decision_check_change (old_doc, doc, error))
    return NULL;
  return mer_store_put_doc (store, doc, error);
}

/*
 * Replaces a decision: logs the new one with "supersedes". The old one is
 * left as it is: it reads as superseded from then on (see
 * derive_supersession()). A superseded decision cannot be superseded
 * again (supersede the newest of its chain instead).
 */
char *
mer_decision_supersede (MerStore    *store,
                        const char  *old_id,
                        JsonObject  *fields,
                        GDateTime   *now,
                        GError     **error)
{
  g_autoptr(JsonObject) old_doc = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *rev = NULL;
  const char *id;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  old_doc = old_id != NULL ? mer_decision_get (store, old_id, error) : NULL;
  if (old_doc == NULL)
    return NULL;
  if (g_strcmp0 (mer_json_get_string (old_doc, "type"), "decision") != 0)
    {
      g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_INVALID, _("“%s” is not a decision"), old_id);
      return NULL;
    }
  if (mer_json_get_string (old_doc, "superseded_by") != NULL)
    {
      g_set_error (error, MER_DECISION_ERROR, MER_DECISION_ERROR_SUPERSEDED,
                   _("This decision was already superseded by %s"),
                   string_or_empty (old_doc, "superseded_by"));
      return NULL;
    }

  doc = build_decision (fields, now, error);
  if (doc == NULL)
    return NULL;
  id = mer_json_get_string (doc, "_id");
  json_object_set_string_member (doc, "supersedes", old_id);
  rev = mer_store_put_doc (store, doc, error);
  if (rev == NULL)
    return NULL;
  return g_strdup (id);
}

/*
 * The supersede chain through @id, oldest first: back along "supersedes",
 * then forward along "superseded_by". Stops at a missing link or a cycle
 * (a peer could write one), so it always ends.
 */
static JsonObject *
find_decision (JsonArray  *all,
               const char *id)
{
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *decision = json_array_get_object_element (all, i);

      if (g_strcmp0 (mer_json_get_string (decision, "_id"), id) == 0)
        return json_object_ref (decision);
    }
  return NULL;
}

JsonArray *
mer_decision_chain (MerStore    *store,
                    const char  *id,
                    GError     **error)
{
  g_autoptr(JsonArray) all = list_derived (store, error);
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(GHashTable) visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) older = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *chain;
  const char *link;
  JsonObject *current;

  if (all == NULL)
    return NULL;
  start = find_decision (all, id);
  if (start == NULL)
    {
      g_set_error (error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND, _("There is no decision “%s”"), id);
      return NULL;
    }
  g_hash_table_add (visited, g_strdup (id));

  current = start;
  while ((link = mer_json_get_string (current, "supersedes")) != NULL && !g_hash_table_contains (visited, link))
    {
      JsonObject *prev = find_decision (all, link);

      if (prev == NULL)
        break;
      g_hash_table_add (visited, g_strdup (link));
      g_ptr_array_add (older, prev);
      current = prev;
    }

  chain = json_array_new ();
  for (guint i = older->len; i > 0; i--)
    json_array_add_object_element (chain, json_object_ref (older->pdata[i - 1]));
  json_array_add_object_element (chain, json_object_ref (start));

  current = start;
  while ((link = mer_json_get_string (current, "superseded_by")) != NULL && !g_hash_table_contains (visited, link))
    {
      JsonObject *next = find_decision (all, link);

      if (next == NULL)
        break;
      g_hash_table_add (visited, g_strdup (link));
      json_array_add_object_element (chain, next);
      current = next;
    }
  return chain;
}

static gboolean
is_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.';
}

static gboolean
text_names_id (const char *text,
               const char *id)
{
  size_t len = strlen (id);

  for (const char *p = text != NULL ? strstr (text, id) : NULL; p != NULL; p = strstr (p + 1, id))
    if ((p == text || !is_id_char (p[-1]) || p[-1] == ':') && !is_id_char (p[len]))
      return TRUE;
  return FALSE;
}

/* See the header for what citing means. */
gboolean
mer_decision_page_cites (JsonObject *decision,
                         JsonObject *page)
{
  const char *decision_id = mer_json_get_string (decision, "_id");
  const char *page_id = mer_json_get_string (page, "_id");
  const char *body = mer_json_get_string (page, "body");
  g_autoptr(JsonArray) pages = mer_doc_string_array (decision, "pages");
  g_autofree char *escaped = NULL;

  for (guint i = 0; i < json_array_get_length (pages); i++)
    if (g_strcmp0 (json_array_get_string_element (pages, i), page_id) == 0)
      return TRUE;
  if (decision_id == NULL || body == NULL)
    return FALSE;
  if (text_names_id (body, decision_id))
    return TRUE;
  escaped = g_uri_escape_string (decision_id, NULL, FALSE);
  return text_names_id (body, escaped);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

/* The ids of the pages citing the decision, sorted. */
char **
mer_decision_cited_by (MerStore    *store,
                       const char  *decision_id,
                       GError     **error)
{
  g_autoptr(JsonObject) decision = mer_store_get_doc (store, decision_id, NULL, MER_GET_DEFAULT, error);
  g_autoptr(JsonArray) pages = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  if (decision == NULL)
    return NULL;
  pages = mer_store_list_docs (store, "page", error);
  if (pages == NULL)
    return NULL;
  ids = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);

      if (mer_decision_page_cites (decision, page))
        g_ptr_array_add (ids, g_strdup (mer_json_get_string (page, "_id")));
    }
  g_ptr_array_sort (ids, compare_strings);
  g_ptr_array_add (ids, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/*
 * The id of a superseded decision the page cites, for the page's "cites a
 * superseded decision" mark; NULL (and no error) when there is none.
 */
char *
mer_decision_page_cites_superseded (MerStore    *store,
                                    const char  *page_id,
                                    GError     **error)
{
  g_autoptr(JsonObject) page = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, error);
  g_autoptr(JsonArray) decisions = NULL;

  if (page == NULL)
    return NULL;
  decisions = list_derived (store, error);
  if (decisions == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (decisions); i++)
    {
      JsonObject *decision = json_array_get_object_element (decisions, i);

      if (g_strcmp0 (mer_json_get_string (decision, "status"), "superseded") == 0
          && mer_decision_page_cites (decision, page))
        return g_strdup (mer_json_get_string (decision, "_id"));
    }
  return NULL;
}

/* "0003-move-on-call-to-follow-the-sun.md" */
char *
mer_decision_export_file_name (JsonObject *decision,
                               guint       number)
{
  g_autofree char *slug = mer_doc_slug (mer_json_get_string (decision, "title"));

  return g_strdup_printf ("%04u-%s.md", number, slug);
}

/*
 * The text of one exported field, made harmless: control characters
 * (line breaks too, and Unicode's line and paragraph separators) become
 * spaces, so that a title or a name cannot start a line of its own and
 * write, say, a fake "- Status:" line into the file. With @lines, line
 * feeds and tabs are kept: a section is Markdown of several lines.
 */
static char *
clean_text (const char *text,
            gboolean    lines)
{
  GString *out = g_string_new (NULL);

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return g_string_free (out, FALSE);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (lines && (c == '\n' || c == '\t'))
        g_string_append_unichar (out, c);
      else if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* clean_text() of a one-line field, appended. */
static void
append_field (GString    *out,
              const char *text)
{
  g_autofree char *clean = clean_text (text, FALSE);

  g_string_append (out, clean);
}

static void
append_section (GString    *out,
                const char *heading,
                const char *text)
{
  g_autofree char *lines = clean_text (text, TRUE);
  g_autofree char *clean = g_strstrip (g_strdup (lines));

  g_string_append_printf (out, "\n%s\n\n%s\n", heading, *clean != '\0' ? clean : "Not recorded.");
}

static void
append_link (GString    *out,
             GHashTable *file_names,
             const char *id)
{
  const char *file = file_names != NULL ? g_hash_table_lookup (file_names, id) : NULL;

  if (file != NULL)
    {
      g_autofree char *label = g_strndup (file, 4);

      g_string_append_printf (out, "[ADR-%s](%s)", label, file);
    }
  else
    append_field (out, id);
}

/*
 * One decision as a MADR (Markdown Architectural Decision Records, 2.1)
 * file, the format log4brains reads: a title heading, a metadata list
 * (status, with "superseded by" the link log4brains follows; deciders;
 * date; tags), then context, outcome and consequences. @file_names maps
 * decision ids to the exported file names, for the links; @person_names
 * maps person and page ids to what to call them. Words are not
 * translated: the file is data.
 */
char *
mer_decision_to_madr (JsonObject *decision,
                      GHashTable *file_names,
                      GHashTable *person_names)
{
  GString *out = g_string_new (NULL);
  g_autoptr(JsonArray) deciders = mer_doc_string_array (decision, "deciders");
  g_autoptr(JsonArray) tags = mer_doc_string_array (decision, "tags");
  g_autoptr(JsonArray) pages = mer_doc_string_array (decision, "pages");
  const char *status = string_or_empty (decision, "status");
  const char *superseded_by = mer_json_get_string (decision, "superseded_by");
  const char *supersedes = mer_json_get_string (decision, "supersedes");
  const char *proposal = mer_json_get_string (decision, "proposal");
  const char *decided_at = string_or_empty (decision, "decided_at");

  g_string_append (out, "# ");
  append_field (out, string_or_empty (decision, "title"));
  g_string_append (out, "\n\n");

  g_string_append (out, "- Status: ");
  if (superseded_by != NULL)
    {
      g_string_append (out, "superseded by ");
      append_link (out, file_names, superseded_by);
    }
  else
    append_field (out, status);
  g_string_append_c (out, '\n');

  g_string_append (out, "- Deciders: ");
  for (guint i = 0; i < json_array_get_length (deciders); i++)
    {
      const char *id = json_array_get_string_element (deciders, i);
      const char *name = person_names != NULL ? g_hash_table_lookup (person_names, id) : NULL;

      g_string_append (out, i > 0 ? ", " : "");
      append_field (out, name != NULL ? name : id);
    }
  g_string_append_c (out, '\n');
  {
    g_autofree char *date = g_strndup (decided_at, 10);

    g_string_append (out, "- Date: ");
    append_field (out, date);
    g_string_append_c (out, '\n');
  }
  if (json_array_get_length (tags) > 0)
    {
      g_string_append (out, "- Tags: ");
      for (guint i = 0; i < json_array_get_length (tags); i++)
        {
          g_string_append (out, i > 0 ? ", " : "");
          append_field (out, json_array_get_string_element (tags, i));
        }
      g_string_append_c (out, '\n');
    }

  if (supersedes != NULL)
    {
      g_string_append (out, "\nSupersedes ");
      append_link (out, file_names, supersedes);
      g_string_append_c (out, '\n');
    }
  if (proposal != NULL)
    {
      g_string_append (out, "\nTechnical Story: proposal ");
      append_field (out, proposal);
      g_string_append_c (out, '\n');
    }

  append_section (out, "## Context and Problem Statement", mer_json_get_string (decision, "context"));
  append_section (out, "## Decision Outcome", mer_json_get_string (decision, "decision"));
  append_section (out, "### Consequences", mer_json_get_string (decision, "consequences"));

  if (json_array_get_length (pages) > 0)
    {
      g_string_append (out, "\n## Links\n\n");
      for (guint i = 0; i < json_array_get_length (pages); i++)
        {
          const char *id = json_array_get_string_element (pages, i);
          const char *name = person_names != NULL ? g_hash_table_lookup (person_names, id) : NULL;

          g_string_append (out, "- Affects page ");
          append_field (out, name != NULL ? name : id);
          g_string_append_c (out, '\n');
        }
    }
  return g_string_free (out, FALSE);
}

static int
compare_oldest_first (gconstpointer a,
                      gconstpointer b)
{
  return compare_newest_first (b, a);
}

/*
 * Writes one MADR file per decision into @dir (created if missing),
 * numbered 0001, 0002, … by decision date, oldest first, ties by id. Each
 * file is replaced atomically; other files in @dir are left alone.
 */
gboolean
mer_decision_export (MerStore    *store,
                     const char  *dir,
                     guint       *n_written,
                     GError     **error)
{
  g_autoptr(JsonArray) decisions = NULL;
  g_autoptr(JsonArray) people = NULL;
  g_autoptr(JsonArray) pages = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GHashTable) page_names = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) file_names = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) person_names = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  if (n_written != NULL)
    *n_written = 0;
  decisions = list_derived (store, error);
  if (decisions == NULL)
    return FALSE;
  people = mer_store_list_docs (store, "person", error);
  if (people == NULL)
    return FALSE;
  pages = mer_store_list_docs (store, "page", error);
  if (pages == NULL)
    return FALSE;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (people); i++)
    {
      JsonObject *person = json_array_get_object_element (people, i);

      if (mer_json_get_string (person, "name") != NULL)
        g_hash_table_insert (person_names, (gpointer) mer_json_get_string (person, "_id"),
                             (gpointer) mer_json_get_string (person, "name"));
    }

  /* Pages by title and path: "On-call (engineering/on-call)". */
  for (guint i = 0; i < json_array_get_length (pages); i++)
    {
      JsonObject *page = json_array_get_object_element (pages, i);
      const char *title = mer_json_get_string (page, "title");
      const char *path = mer_json_get_string (page, "path");
      char *name;

      if (title == NULL)
        continue;
      name = path != NULL ? g_strdup_printf ("%s (%s)", title, path) : g_strdup (title);
      g_hash_table_insert (page_names, (gpointer) mer_json_get_string (page, "_id"), name);
      g_hash_table_insert (person_names, (gpointer) mer_json_get_string (page, "_id"), name);
    }

  nodes = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (decisions); i++)
    g_ptr_array_add (nodes, json_array_get_element (decisions, i));
  g_ptr_array_sort (nodes, compare_oldest_first);
  for (guint i = 0; i < nodes->len; i++)
    {
      JsonObject *decision = json_node_get_object (nodes->pdata[i]);

      g_hash_table_insert (file_names, (gpointer) mer_json_get_string (decision, "_id"),
                           mer_decision_export_file_name (decision, i + 1));
    }

  for (guint i = 0; i < nodes->len; i++)
    {
      JsonObject *decision = json_node_get_object (nodes->pdata[i]);
      const char *name = g_hash_table_lookup (file_names, mer_json_get_string (decision, "_id"));
      g_autofree char *text = mer_decision_to_madr (decision, file_names, person_names);
      gboolean unchanged;

      /* Never through a symbolic link already in the folder. */
      if (!mer_export_write_file (dir, name, text, &unchanged, error))
        return FALSE;
      if (n_written != NULL)
        (*n_written)++;
    }
  return TRUE;
}

/*
 * The stable JSON shape of one decision for `meridian decisions list
 * --json` (documented in the README): the contract fields under plain
 * names, "id" for "_id", nulls and empty arrays spelled out.
 */
JsonObject *
mer_decision_to_json_summary (JsonObject *decision)
{
  JsonObject *out = json_object_new ();
  const char *strings[] = { "title", "status", "context", "decision", "consequences", "owner",
                            "decided_at", "proposal", "supersedes", "superseded_by" };
  const char *arrays[] = { "deciders", "pages", "tags" };

  json_object_set_string_member (out, "id", string_or_empty (decision, "_id"));
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    mer_doc_set_string_or_null (out, strings[i], mer_json_get_string (decision, strings[i]));
  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    json_object_set_array_member (out, arrays[i], mer_doc_string_array (decision, arrays[i]));
  return out;
}
