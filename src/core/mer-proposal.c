/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "mer-proposal.h"
#include "mer-git.h"
#include "mer-decision.h"
#include "mer-doc-util.h"
#include "mer-json.h"
#include "mer-merge.h"
#include "mer-schedule.h"
#include "mer-store.h"
#include "mer-store-attachments.h"

#include <git2.h>
#include <glib/gi18n.h>
#include <string.h>

G_DEFINE_QUARK (mer-proposal-error-quark, mer_proposal_error)

typedef struct
{
  const char *title;  /* the heading, untranslated */
  const char *hint;   /* the template's placeholder line, untranslated */
} SectionInfo;

static const SectionInfo sections[MER_PROPOSAL_N_SECTIONS] = {
  { N_("Context and problem"), N_("_What is happening, and why does it need deciding now?_") },
  { N_("Proposal"), N_("_What you propose, concretely enough to act on._") },
  { N_("Options considered"), N_("_The alternatives, including doing nothing, and why not them._") },
  { N_("Risks"), N_("_What could go wrong, and how we would notice._") },
  { N_("Owner"), N_("_Who decides, and who carries it out._") },
  { N_("What is asked of whom"), N_("_What each required reader should do: read, comment, agree or object._") },
  { N_("Deadline"), N_("_When comments close. The default gives every required reader a full working day._") },
};

const char *
mer_proposal_section_title (MerProposalSection section)
{
  g_return_val_if_fail (section < MER_PROPOSAL_N_SECTIONS, NULL);
  return _(sections[section].title);
}

/* A new proposal's body: one level-two heading per section, each with a
 * placeholder line that the completeness check treats as empty. */
char *
mer_proposal_template (void)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < MER_PROPOSAL_N_SECTIONS; i++)
    g_string_append_printf (out, "%s## %s\n\n%s\n",
                            i > 0 ? "\n" : "", _(sections[i].title), _(sections[i].hint));
  return g_string_free (out, FALSE);
}

static gboolean
heading_matches (const char         *line,
                 MerProposalSection  section)
{
  g_autofree char *text = NULL;

  if (!g_str_has_prefix (line, "## "))
    return FALSE;
  text = g_strstrip (g_strdup (line + 3));
  return g_ascii_strcasecmp (text, sections[section].title) == 0
         || g_utf8_collate (text, _(sections[section].title)) == 0;
}

/*
 * The text under the section's "## " heading, up to the next heading of
 * level one or two; NULL when the heading is missing. Headings are matched
 * in English and in the user's language, so a translated template parses.
 */
char *
mer_proposal_get_section (const char         *body,
                          MerProposalSection  section)
{
  g_auto(GStrv) lines = NULL;
  GString *out = NULL;

  g_return_val_if_fail (section < MER_PROPOSAL_N_SECTIONS, NULL);
  if (body == NULL)
    return NULL;

  lines = g_strsplit (body, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (out == NULL)
        {
          if (heading_matches (lines[i], section))
            out = g_string_new (NULL);
          continue;
        }
      if (g_str_has_prefix (lines[i], "# ") || g_str_has_prefix (lines[i], "## "))
        break;
      g_string_append (out, lines[i]);
      g_string_append_c (out, '\n');
    }
  if (out == NULL)
    return NULL;
  return g_strstrip (g_string_free (out, FALSE));
}

/* A section counts as empty when missing, blank, or still the placeholder. */
gboolean
mer_proposal_section_is_empty (const char         *body,
                               MerProposalSection  section)
{
  g_autofree char *text = mer_proposal_get_section (body, section);

  return text == NULL || *text == '\0'
         || strcmp (text, sections[section].hint) == 0
         || strcmp (text, _(sections[section].hint)) == 0;
}

static GDateTime *
get_instant (JsonObject *object,
             const char *member)
{
  const char *text = mer_json_get_string (object, member);

  if (text == NULL || *text == '\0')
    return NULL;
  return mer_schedule_parse_instant (text, NULL);
}

/*
 * A fresh draft in the Markdown editor's draft format: the text is the
 * template, the proposal's other fields sit in "fields"; the author owns
 * it until said otherwise; no readers yet.
 */
JsonObject *
mer_proposal_new_draft (const char *author)
{
  JsonObject *draft = json_object_new ();
  JsonObject *fields = json_object_new ();
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *id = g_strconcat (MER_PROPOSAL_DRAFT_PREFIX, uuid, NULL);
  g_autofree char *draft_of = g_strconcat ("new:", uuid, NULL);
  g_autofree char *body = mer_proposal_template ();

  json_object_set_string_member (draft, "_id", id);
  json_object_set_string_member (draft, "type", "draft");
  json_object_set_string_member (draft, "draft_of", draft_of);
  json_object_set_string_member (draft, "kind", "proposal");
  json_object_set_string_member (draft, "text", body);
  json_object_set_null_member (draft, "base_rev");
  json_object_set_string_member (fields, "title", "");
  mer_doc_set_string_or_null (fields, "author", author);
  mer_doc_set_string_or_null (fields, "owner", author);
  json_object_set_array_member (fields, "required", json_array_new ());
  json_object_set_null_member (fields, "deadline");
  json_object_set_null_member (fields, "page");
  json_object_set_null_member (fields, "page_body");
  json_object_set_object_member (draft, "fields", fields);
  return draft;
}

/*
 * A draft member: at the top level if set there (not null), else in the
 * editor's "fields" object. So drafts written by the editor and plain
 * objects both read.
 */
static JsonNode *
draft_member (JsonObject *draft,
              const char *member)
{
  JsonNode *node = json_object_get_member (draft, member);
  JsonNode *fields = json_object_get_member (draft, "fields");

  if ((node == NULL || JSON_NODE_HOLDS_NULL (node)) && fields != NULL && JSON_NODE_HOLDS_OBJECT (fields))
    node = json_object_get_member (json_node_get_object (fields), member);
  return node;
}

static const char *
draft_string (JsonObject *draft,
              const char *member)
{
  JsonNode *node = draft_member (draft, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static JsonArray *
draft_strings (JsonObject *draft,
               const char *member)
{
  g_autoptr(JsonObject) holder = json_object_new ();
  JsonNode *node = draft_member (draft, member);

  if (node != NULL)
    json_object_set_member (holder, member, json_node_copy (node));
  return mer_doc_string_array (holder, member);
}

char *
mer_proposal_save_draft (MerStore    *store,
                         JsonObject  *draft,
                         GError     **error)
{
  const char *id = mer_json_get_string (draft, "_id");

  if (id == NULL || !g_str_has_prefix (id, "_local/"))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("A draft needs a local document id"));
      return NULL;
    }
  json_object_set_string_member (draft, "kind", "proposal");
  return mer_store_put_local (store, draft, error);
}

/* The local documents that are proposal drafts, whatever wrote them. */
JsonArray *
mer_proposal_list_drafts (MerStore  *store,
                          GError   **error)
{
  g_autoptr(JsonArray) all = mer_store_list_local (store, "_local/draft:", error);
  JsonArray *out;

  if (all == NULL)
    return NULL;
  out = json_array_new ();
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *doc = json_array_get_object_element (all, i);

      if (g_strcmp0 (mer_json_get_string (doc, "kind"), "proposal") == 0)
        json_array_add_object_element (out, json_object_ref (doc));
    }
  return out;
}

/* The draft's text: the editor stores it as "text", a plain object as "body". */
static const char *
draft_body (JsonObject *draft)
{
  const char *body = mer_json_get_string (draft, "text");

  if (body == NULL)
    body = mer_json_get_string (draft, "body");
  return body;
}

/*
 * What a reader would miss: each empty section, and no title, owner,
 * deadline or required readers. The owner and deadline sections count as
 * filled when the fields are set, so each gap is reported once. Returns
 * translated sentences, empty when complete.
 */
GPtrArray *
mer_proposal_check_complete (JsonObject *draft)
{
  GPtrArray *missing = g_ptr_array_new_with_free_func (g_free);
  const char *body = draft_body (draft);
  g_autoptr(JsonArray) required = draft_strings (draft, "required");
  gboolean has_owner = !mer_doc_is_blank (draft_string (draft, "owner"));
  gboolean has_deadline = !mer_doc_is_blank (draft_string (draft, "deadline"));

  if (mer_doc_is_blank (draft_string (draft, "title")))
    g_ptr_array_add (missing, g_strdup (_("No title")));
  for (guint i = 0; i < MER_PROPOSAL_N_SECTIONS; i++)
    {
      if (i == MER_PROPOSAL_SECTION_OWNER || i == MER_PROPOSAL_SECTION_DEADLINE)
        continue;
      if (mer_proposal_section_is_empty (body, i))
        g_ptr_array_add (missing, g_strdup_printf (_("The section “%s” is empty"),
                                                   _(sections[i].title)));
    }
  if (!has_owner)
    g_ptr_array_add (missing, g_strdup (_("No owner")));
  if (!has_deadline)
    g_ptr_array_add (missing, g_strdup (_("No deadline")));
  if (json_array_get_length (required) == 0)
    g_ptr_array_add (missing, g_strdup (_("No required readers")));
  if (draft_string (draft, "page") != NULL && draft_string (draft, "page_body") == NULL)
    g_ptr_array_add (missing, g_strdup (_("No proposed text for the page")));
  return missing;
}

/*
 * The fair deadline: no earlier than 24 hours after publishing, and not
 * before every reader has had one full working day of their own, in their
 * own zone, wholly after publishing. A reader with no working day within
 * a year (away, or no hours set) cannot be waited for and adds nothing.
 */
GDateTime *
mer_proposal_fair_deadline_for (GPtrArray *schedules,
                                GDateTime *opened_at)
{
  GDateTime *deadline;

  g_return_val_if_fail (opened_at != NULL, NULL);

  deadline = g_date_time_add (opened_at, MER_PROPOSAL_MIN_WINDOW);
  for (guint i = 0; schedules != NULL && i < schedules->len; i++)
    {
      g_autoptr(GDateTime) day_end = mer_schedule_full_working_day_after (schedules->pdata[i], opened_at);

      if (day_end != NULL && g_date_time_compare (day_end, deadline) > 0)
        {
          g_date_time_unref (deadline);
          deadline = g_steal_pointer (&day_end);
        }
    }
  return deadline;
}

/*
 * A reader whose person document has not arrived yet has no hours to wait
 * for and adds nothing; one whose document is there but whose zone or hours
 * cannot be read fails the whole computation, never a silent skip that
 * would make the deadline too early for them.
 */
GDateTime *
mer_proposal_fair_deadline (MerStore   *store,
                            JsonArray  *required,
                            GDateTime  *opened_at,
                            GError    **error)
{
  g_autoptr(GPtrArray) schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_schedule_unref);

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (opened_at != NULL, NULL);

  for (guint i = 0; required != NULL && i < json_array_get_length (required); i++)
    {
      const char *person_id = json_array_get_string_element (required, i);
      g_autoptr(JsonObject) person = NULL;
      g_autoptr(GError) person_error = NULL;
      MerSchedule *schedule;

      if (person_id == NULL)
        continue;
      person = mer_store_get_doc (store, person_id, NULL, MER_GET_DEFAULT, NULL);
      if (person == NULL)
        continue;
      schedule = mer_schedule_new_from_person (person, &person_error);
      if (schedule == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&person_error),
                                      _("No fair deadline can be computed: "));
          return NULL;
        }
      g_ptr_array_add (schedules, schedule);
    }
  return mer_proposal_fair_deadline_for (schedules, opened_at);
}

static gboolean
page_exists (MerStore   *store,
             const char *page_id)
{
  g_autoptr(JsonObject) page = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, NULL);

  return page != NULL && g_strcmp0 (mer_json_get_string (page, "type"), "page") == 0;
}

/*
 * Turns a local draft into an open proposal in one transaction, and deletes
 * the draft. The deadline is the author's choice if it is at least the fair
 * minimum, else the fair minimum. An incomplete draft publishes (the caller
 * asked the person first); only a title is indispensable. With no owner the
 * author owns it.
 */
char *
mer_proposal_publish (MerStore    *store,
                      const char  *draft_id,
                      GDateTime   *now,
                      GError     **error)
{
  g_autoptr(JsonObject) draft = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonArray) required = NULL;
  g_autoptr(GDateTime) fair = NULL;
  g_autoptr(GDateTime) chosen = NULL;
  g_autofree char *id = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *deadline = NULL;
  g_autofree char *fair_text = NULL;
  g_autofree char *rev = NULL;
  g_autofree char *page_rev = NULL;
  const char *title, *author, *owner, *page, *page_body, *body;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);
  g_return_val_if_fail (draft_id != NULL && now != NULL, NULL);

  draft = mer_store_get_local (store, draft_id, error);
  if (draft == NULL)
    return NULL;

  title = draft_string (draft, "title");
  author = draft_string (draft, "author");
  owner = draft_string (draft, "owner");
  page = draft_string (draft, "page");
  page_body = draft_string (draft, "page_body");
  body = draft_body (draft);
  if (mer_doc_is_blank (title))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID, _("A proposal needs a title"));
      return NULL;
    }
  if (mer_doc_is_blank (author))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID, _("A proposal needs an author"));
      return NULL;
    }
  if (mer_doc_is_blank (owner))
    owner = author;
  if (page != NULL && !page_exists (store, page))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("The page “%s” does not exist"), page);
      return NULL;
    }
  if (page != NULL && page_body == NULL)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("A page proposal needs the proposed page text"));
      return NULL;
    }

  required = draft_strings (draft, "required");
  fair = mer_proposal_fair_deadline (store, required, now, error);
  if (fair == NULL)
    return NULL;
  {
    const char *text = draft_string (draft, "deadline");

    chosen = text != NULL && *text != '\0' ? mer_schedule_parse_instant (text, NULL) : NULL;
  }
  if (chosen == NULL || g_date_time_compare (chosen, fair) < 0)
    {
      g_clear_pointer (&chosen, g_date_time_unref);
      chosen = g_date_time_ref (fair);
    }

  if (page != NULL)
    {
      g_autoptr(JsonObject) current = mer_store_get_doc (store, page, NULL, MER_GET_DEFAULT, error);

      if (current == NULL)
        return NULL;
      page_rev = g_strdup (mer_json_get_string (current, "_rev"));
    }

  do
    {
      g_autoptr(JsonObject) existing = NULL;

      g_free (id);
      id = mer_doc_new_id ("proposal", title);
      existing = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);
      if (existing == NULL)
        break;
    }
  while (TRUE);

  opened = mer_schedule_format_instant (now);
  deadline = mer_schedule_format_instant (chosen);
  fair_text = mer_schedule_format_instant (fair);

  doc = json_object_new ();
  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "proposal");
  {
    g_autofree char *clean_title = g_strstrip (g_strdup (title));

    json_object_set_string_member (doc, "title", clean_title);
  }
  json_object_set_string_member (doc, "body", body != NULL ? body : "");
  json_object_set_string_member (doc, "author", author);
  json_object_set_string_member (doc, "owner", owner);
  json_object_set_string_member (doc, "status", "open");
  json_object_set_string_member (doc, "opened_at", opened);
  json_object_set_string_member (doc, "deadline", deadline);
  json_object_set_string_member (doc, "deadline_min", fair_text);
  json_object_set_array_member (doc, "required", g_steal_pointer (&required));
  mer_doc_set_string_or_null (doc, "page", page);
  mer_doc_set_string_or_null (doc, "page_body", page != NULL ? page_body : NULL);
  mer_doc_set_string_or_null (doc, "page_rev", page_rev);
  json_object_set_null_member (doc, "outcome");
  json_object_set_null_member (doc, "decision");
  if (draft_member (draft, "tags") != NULL)
    json_object_set_array_member (doc, "tags", draft_strings (draft, "tags"));

  /* What was pasted or dropped into the draft comes along as stubs of
   * the draft's bytes, in the same transaction that forgets the draft. */
  if (!mer_store_begin (store, error))
    return NULL;
  if (!mer_store_stub_local_attachments (store, draft_id, doc, error))
    {
      mer_store_rollback (store);
      return NULL;
    }
  rev = mer_store_put_doc (store, doc, error);
  if (rev == NULL || !mer_store_delete_local (store, draft_id, error) || !mer_store_commit (store, error))
    {
      mer_store_rollback (store);
      return NULL;
    }
  return g_steal_pointer (&id);
}

static int
compare_proposals (gconstpointer a,
                   gconstpointer b)
{
  JsonObject *pa = json_node_get_object (*(JsonNode **) a);
  JsonObject *pb = json_node_get_object (*(JsonNode **) b);
  gboolean open_a = g_strcmp0 (mer_json_get_string (pa, "status"), "open") == 0;
  gboolean open_b = g_strcmp0 (mer_json_get_string (pb, "status"), "open") == 0;
  JsonObject *oa, *ob;
  const char *da = NULL, *db = NULL;

  if (open_a != open_b)
    return open_a ? -1 : 1;
  if (open_a)
    return g_strcmp0 (mer_json_get_string (pa, "deadline"), mer_json_get_string (pb, "deadline"));

  /* Decided ones: newest decision first. */
  oa = mer_doc_get_object (pa, "outcome");
  ob = mer_doc_get_object (pb, "outcome");
  if (oa != NULL)
    da = mer_json_get_string (oa, "decided_at");
  if (ob != NULL)
    db = mer_json_get_string (ob, "decided_at");
  return -g_strcmp0 (da ? da : mer_json_get_string (pa, "opened_at"),
                     db ? db : mer_json_get_string (pb, "opened_at"));
}

/* All proposals: open ones first, soonest deadline first; then decided ones,
 * newest first. (RFC 3339 UTC strings sort as instants.) */
JsonArray *
mer_proposal_list (MerStore   *store,
                   GDateTime  *now,
                   GError    **error)
{
  g_autoptr(JsonArray) all = mer_store_list_docs (store, "proposal", error);
  g_autoptr(GPtrArray) nodes = NULL;

  if (all == NULL)
    return NULL;
  nodes = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (all); i++)
    g_ptr_array_add (nodes, json_array_get_element (all, i));
  return mer_doc_sorted_copy (nodes, compare_proposals);
}

static int
compare_comments (gconstpointer a,
                  gconstpointer b)
{
  JsonObject *ca = json_node_get_object (*(JsonNode **) a);
  JsonObject *cb = json_node_get_object (*(JsonNode **) b);
  int c = g_strcmp0 (mer_json_get_string (ca, "created_at"), mer_json_get_string (cb, "created_at"));

  return c != 0 ? c : g_strcmp0 (mer_json_get_string (ca, "_id"), mer_json_get_string (cb, "_id"));
}

/* The comments on a document, oldest first. */
JsonArray *
mer_proposal_list_comments (MerStore    *store,
                            const char  *doc_id,
                            GError     **error)
{
  g_autoptr(JsonArray) all = mer_store_list_docs (store, "comment", error);
  g_autoptr(GPtrArray) nodes = NULL;

  if (all == NULL)
    return NULL;
  nodes = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonNode *node = json_array_get_element (all, i);

      if (g_strcmp0 (mer_json_get_string (json_node_get_object (node), "on"), doc_id) == 0)
        g_ptr_array_add (nodes, node);
    }
  return mer_doc_sorted_copy (nodes, compare_comments);
}

/* Forgets the local document @id, which may never have been written. */
static gboolean
delete_local_if_any (MerStore    *store,
                     const char  *id,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (mer_store_delete_local (store, id, &local_error)
      || g_error_matches (local_error, MER_STORE_ERROR, MER_STORE_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
stance_is_valid (const char *stance)
{
  return g_strcmp0 (stance, "agree") == 0 || g_strcmp0 (stance, "concern") == 0
         || g_strcmp0 (stance, "object") == 0;
}

/*
 * Adds a comment, optionally a reply and optionally with a stance; the body
 * is the comment or the stance's reason, and is required.
 */
char *
mer_proposal_add_comment (MerStore    *store,
                          const char  *on,
                          const char  *reply_to,
                          const char  *author,
                          const char  *body,
                          const char  *stance,
                          GDateTime   *now,
                          GError     **error)
{
  return mer_proposal_add_comment_from_draft (store, on, reply_to, author, body, stance, NULL, now, error);
}

/*
 * mer_proposal_add_comment(), written from the comment box's draft
 * @draft_id (a "_local/" id, or NULL): the images and files pasted or
 * dropped into it become the comment's attachments, and the draft is
 * forgotten in the same transaction, so a failure keeps both as they were.
 */
char *
mer_proposal_add_comment_from_draft (MerStore    *store,
                                     const char  *on,
                                     const char  *reply_to,
                                     const char  *author,
                                     const char  *body,
                                     const char  *stance,
                                     const char  *draft_id,
                                     GDateTime   *now,
                                     GError     **error)
{
  g_autoptr(JsonObject) target = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *id = g_strconcat ("comment:", uuid, NULL);
  g_autofree char *created = NULL;
  g_autofree char *rev = NULL;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  if (mer_doc_is_blank (author) || mer_doc_is_blank (body))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("A comment needs an author and some text"));
      return NULL;
    }
  if (stance != NULL && !stance_is_valid (stance))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("Unknown stance “%s”: use agree, concern or object"), stance);
      return NULL;
    }
  target = on != NULL ? mer_store_get_doc (store, on, NULL, MER_GET_DEFAULT, NULL) : NULL;
  if (target == NULL)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("There is nothing to comment on at “%s”"), on ? on : "");
      return NULL;
    }
  if (reply_to != NULL)
    {
      g_autoptr(JsonObject) parent = mer_store_get_doc (store, reply_to, NULL, MER_GET_DEFAULT, NULL);

      if (parent == NULL || g_strcmp0 (mer_json_get_string (parent, "on"), on) != 0)
        {
          g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                       _("The comment replied to is not on this document"));
          return NULL;
        }
    }

  created = mer_schedule_format_instant (now);
  doc = json_object_new ();
  json_object_set_string_member (doc, "_id", id);
  json_object_set_string_member (doc, "type", "comment");
  json_object_set_string_member (doc, "on", on);
  mer_doc_set_string_or_null (doc, "reply_to", reply_to);
  json_object_set_string_member (doc, "author", author);
  json_object_set_string_member (doc, "body", body);
  json_object_set_string_member (doc, "created_at", created);
  mer_doc_set_string_or_null (doc, "stance", stance);
  if (draft_id == NULL)
    {
      rev = mer_store_put_doc (store, doc, error);
      return rev != NULL ? g_steal_pointer (&id) : NULL;
    }

  if (!mer_store_begin (store, error))
    return NULL;
  if (!mer_store_stub_local_attachments (store, draft_id, doc, error))
    {
      mer_store_rollback (store);
      return NULL;
    }
  rev = mer_store_put_doc (store, doc, error);
  if (rev == NULL || !delete_local_if_any (store, draft_id, error) || !mer_store_commit (store, error))
    {
      mer_store_rollback (store);
      return NULL;
    }
  return g_steal_pointer (&id);
}

/* Records that @person has seen @doc at its current revision. */
gboolean
mer_proposal_mark_seen (MerStore    *store,
                        const char  *person,
                        JsonObject  *doc,
                        GDateTime   *now,
                        GError     **error)
{
  const char *doc_id = mer_json_get_string (doc, "_id");
  const char *doc_rev = mer_json_get_string (doc, "_rev");
  g_autofree char *id = NULL;
  g_autofree char *at = NULL;
  g_autofree char *rev = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(JsonObject) existing = NULL;

  if (mer_doc_is_blank (person) || doc_id == NULL)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID, _("Nothing to mark as seen"));
      return FALSE;
    }
  id = g_strdup_printf ("seen:%s:%s", person, doc_id);
  existing = mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL);
  if (existing != NULL && g_strcmp0 (mer_json_get_string (existing, "rev"), doc_rev) == 0)
    return TRUE;  /* nothing new: no revision to replicate */

  at = mer_schedule_format_instant (now);
  seen = json_object_new ();
  json_object_set_string_member (seen, "_id", id);
  if (existing != NULL)
    json_object_set_string_member (seen, "_rev", mer_json_get_string (existing, "_rev"));
  json_object_set_string_member (seen, "type", "seen");
  json_object_set_string_member (seen, "person", person);
  json_object_set_string_member (seen, "doc", doc_id);
  mer_doc_set_string_or_null (seen, "rev", doc_rev);
  json_object_set_string_member (seen, "at", at);
  rev = mer_store_put_doc (store, seen, error);
  return rev != NULL;
}

/*
 * Counts each person's latest stance once: someone who objected and later
 * agreed counts as agreeing. Comments without a stance change nothing.
 * Returns {"agree":n,"concern":n,"object":n,"latest":{person:stance}}.
 */
JsonObject *
mer_proposal_stance_summary (JsonArray *comments)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  JsonObject *latest = json_object_new ();
  JsonObject *summary = json_object_new ();
  guint agree = 0, concern = 0, object = 0;
  GList *members;

  for (guint i = 0; comments != NULL && i < json_array_get_length (comments); i++)
    g_ptr_array_add (nodes, json_array_get_element (comments, i));
  g_ptr_array_sort (nodes, compare_comments);

  for (guint i = 0; i < nodes->len; i++)
    {
      JsonObject *comment = json_node_get_object (nodes->pdata[i]);
      const char *stance = mer_json_get_string (comment, "stance");
      const char *author = mer_json_get_string (comment, "author");

      if (author != NULL && stance_is_valid (stance))
        json_object_set_string_member (latest, author, stance);
    }

  members = json_object_get_members (latest);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *stance = json_object_get_string_member (latest, l->data);

      if (strcmp (stance, "agree") == 0)
        agree++;
      else if (strcmp (stance, "concern") == 0)
        concern++;
      else
        object++;
    }
  g_list_free (members);

  json_object_set_int_member (summary, "agree", agree);
  json_object_set_int_member (summary, "concern", concern);
  json_object_set_int_member (summary, "object", object);
  json_object_set_object_member (summary, "latest", latest);
  return summary;
}

void
mer_reader_status_free (MerReaderStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->person);
  g_free (status->name);
  g_free (status->tz);
  g_clear_pointer (&status->deadline_local, g_date_time_unref);
  g_free (status->stance);
  g_free (status->error);
  g_free (status);
}

/*
 * For each required reader: the deadline on their clock, the working hours
 * they have left before it from @now, whether that is less than a full
 * working day of theirs, whether they have read it (a seen document, or a
 * comment) and responded, and their latest stance.
 */
GPtrArray *
mer_proposal_reader_statuses (MerStore    *store,
                              JsonObject  *proposal,
                              GDateTime   *now,
                              GError     **error)
{
  const char *id = mer_json_get_string (proposal, "_id");
  g_autoptr(JsonArray) required = mer_doc_string_array (proposal, "required");
  g_autoptr(JsonArray) comments = NULL;
  g_autoptr(JsonObject) stances = NULL;
  g_autoptr(GDateTime) deadline = get_instant (proposal, "deadline");
  JsonObject *latest;
  GPtrArray *out;

  comments = mer_proposal_list_comments (store, id, error);
  if (comments == NULL)
    return NULL;
  stances = mer_proposal_stance_summary (comments);
  latest = json_object_get_object_member (stances, "latest");

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) mer_reader_status_free);
  for (guint i = 0; i < json_array_get_length (required); i++)
    {
      const char *person_id = json_array_get_string_element (required, i);
      g_autoptr(JsonObject) person = mer_store_get_doc (store, person_id, NULL, MER_GET_DEFAULT, NULL);
      g_autoptr(GError) schedule_error = NULL;
      g_autoptr(MerSchedule) schedule = person ? mer_schedule_new_from_person (person, &schedule_error) : NULL;
      g_autofree char *seen_id = g_strdup_printf ("seen:%s:%s", person_id, id);
      g_autoptr(JsonObject) seen = mer_store_get_doc (store, seen_id, NULL, MER_GET_DEFAULT, NULL);
      MerReaderStatus *status = g_new0 (MerReaderStatus, 1);
      const char *name = person ? mer_json_get_string (person, "name") : NULL;

      status->person = g_strdup (person_id);
      status->name = g_strdup (name != NULL ? name : person_id);
      status->tz = g_strdup (person != NULL ? mer_json_get_string (person, "tz") : NULL);
      status->remaining_hours = -1;
      /* Shown where the deadline on their clock would be: never a silent blank. */
      if (schedule_error != NULL)
        status->error = g_strdup (schedule_error->message);
      for (guint j = 0; j < json_array_get_length (comments); j++)
        if (g_strcmp0 (mer_json_get_string (json_array_get_object_element (comments, j), "author"), person_id) == 0)
          status->has_responded = TRUE;
      status->has_read = seen != NULL || status->has_responded;
      if (json_object_has_member (latest, person_id))
        status->stance = g_strdup (json_object_get_string_member (latest, person_id));

      if (schedule != NULL && deadline != NULL)
        {
          g_autoptr(GDateTime) full_day = mer_schedule_full_working_day_after (schedule, now);

          status->deadline_local = mer_schedule_local_time (schedule, deadline);
          status->remaining_hours = mer_schedule_working_seconds_between (schedule, now, deadline) / 3600.0;
          status->short_of_day = g_date_time_compare (now, deadline) < 0
                                 && (full_day == NULL || g_date_time_compare (full_day, deadline) > 0);
        }
      g_ptr_array_add (out, status);
    }
  return out;
}

static JsonNode *
string_or_null_node (const char *value)
{
  JsonNode *node = json_node_new (value != NULL ? JSON_NODE_VALUE : JSON_NODE_NULL);

  if (value != NULL)
    json_node_set_string (node, value);
  return node;
}

/*
 * The stable JSON shape of one proposal for `meridian proposals list
 * --json` (documented in the README).
 */
JsonObject *
mer_proposal_to_json_summary (MerStore    *store,
                              JsonObject  *proposal,
                              GDateTime   *now,
                              GError     **error)
{
  g_autoptr(GPtrArray) readers = mer_proposal_reader_statuses (store, proposal, now, error);
  g_autoptr(JsonArray) comments = NULL;
  g_autoptr(GDateTime) deadline = get_instant (proposal, "deadline");
  JsonObject *stances, *out;
  JsonArray *reader_array;
  JsonNode *outcome;
  const char *members[] = { "_id", "title", "status", "author", "owner", "opened_at", "deadline",
                            "page", "decision" };
  const char *names[] = { "id", "title", "status", "author", "owner", "opened_at", "deadline",
                          "page", "decision" };

  if (readers == NULL)
    return NULL;
  comments = mer_proposal_list_comments (store, mer_json_get_string (proposal, "_id"), error);
  if (comments == NULL)
    return NULL;

  out = json_object_new ();
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    json_object_set_member (out, names[i], string_or_null_node (mer_json_get_string (proposal, members[i])));
  json_object_set_boolean_member (out, "window_open",
                                  deadline != NULL && g_date_time_compare (now, deadline) < 0);
  outcome = json_object_get_member (proposal, "outcome");
  json_object_set_member (out, "outcome", outcome != NULL && JSON_NODE_HOLDS_OBJECT (outcome)
                                          ? json_node_copy (outcome) : json_node_new (JSON_NODE_NULL));
  json_object_set_int_member (out, "comments", json_array_get_length (comments));
  stances = mer_proposal_stance_summary (comments);
  json_object_remove_member (stances, "latest");
  json_object_set_object_member (out, "stances", stances);

  reader_array = json_array_new ();
  for (guint i = 0; i < readers->len; i++)
    {
      MerReaderStatus *status = readers->pdata[i];
      JsonObject *reader = json_object_new ();
      g_autofree char *local = NULL;

      /* RFC 3339 with the offset in full ("+01:00"), unlike GLib's "+01". */
      if (status->deadline_local != NULL)
        {
          g_autofree char *clock = g_date_time_format (status->deadline_local, "%Y-%m-%dT%H:%M:%S");
          g_autofree char *offset = mer_schedule_format_offset (status->deadline_local);

          local = g_strconcat (clock, offset, NULL);
        }
      json_object_set_string_member (reader, "person", status->person);
      json_object_set_string_member (reader, "name", status->name);
      json_object_set_member (reader, "tz", string_or_null_node (status->tz));
      json_object_set_member (reader, "deadline_local", string_or_null_node (local));
      if (status->remaining_hours >= 0)
        {
          json_object_set_double_member (reader, "remaining_hours",
                                         ((gint64) (status->remaining_hours * 10 + 0.5)) / 10.0);
          json_object_set_int_member (reader, "remaining_minutes",
                                      (gint64) (status->remaining_hours * 60 + 0.5));
        }
      else
        {
          json_object_set_null_member (reader, "remaining_hours");
          json_object_set_null_member (reader, "remaining_minutes");
        }
      json_object_set_boolean_member (reader, "short_of_day", status->short_of_day);
      json_object_set_boolean_member (reader, "read", status->has_read);
      json_object_set_boolean_member (reader, "responded", status->has_responded);
      json_object_set_member (reader, "stance", string_or_null_node (status->stance));
      json_object_set_member (reader, "error", string_or_null_node (status->error));
      json_array_add_object_element (reader_array, reader);
    }
  json_object_set_array_member (out, "readers", reader_array);
  return out;
}

/*
 * The page text the proposed text was written against: the revision saved
 * at publishing, else the newest revision of the page's history no newer
 * than the opening (for proposals made by other clients). NULL if unknown.
 */
char *
mer_proposal_page_base (MerStore    *store,
                        JsonObject  *proposal,
                        GError     **error)
{
  const char *page = mer_json_get_string (proposal, "page");
  const char *page_rev = mer_json_get_string (proposal, "page_rev");
  const char *opened = mer_json_get_string (proposal, "opened_at");
  g_autoptr(JsonArray) history = NULL;

  if (page == NULL)
    return NULL;
  if (page_rev != NULL)
    {
      g_autoptr(JsonObject) base = mer_store_get_doc (store, page, page_rev, MER_GET_DEFAULT, NULL);

      if (base != NULL && mer_json_get_string (base, "body") != NULL)
        return g_strdup (mer_json_get_string (base, "body"));
    }
  history = mer_store_get_history (store, page, NULL, error);
  for (guint i = 0; history != NULL && i < json_array_get_length (history); i++)
    {
      JsonObject *rev = json_array_get_object_element (history, i);
      const char *updated = mer_json_get_string (rev, "updated_at");

      if (updated != NULL && opened != NULL && g_strcmp0 (updated, opened) <= 0
          && !mer_json_get_bool (rev, "_deleted"))
        return g_strdup (mer_json_get_string (rev, "body"));
    }
  return NULL;
}

/*
 * A unified diff (three lines of context) between two texts, made by
 * libgit2 like the merge; "" when they are equal, NULL on failure.
 */
char *
mer_text_unified_diff (const char *old_text,
                       const char *new_text,
                       const char *old_label,
                       const char *new_label)
{
  const MerGit *git = mer_git_get (NULL);
  git_patch *patch = NULL;
  git_buf buf = { NULL, 0, 0 };
  char *out = NULL;

  if (git == NULL)
    return NULL;
  if (old_text == NULL)
    old_text = "";
  if (new_text == NULL)
    new_text = "";
  if (git->patch_from_buffers (&patch, old_text, strlen (old_text), old_label,
                              new_text, strlen (new_text), new_label, NULL) == 0
      && git->patch_to_buf (&buf, patch) == 0)
    {
      g_autofree char *text = g_strndup (buf.ptr != NULL ? buf.ptr : "", buf.size);
      const char *start = text;

      /* Drop git's "diff --git" and "index" lines: about files, not text. */
      while (g_str_has_prefix (start, "diff --git ") || g_str_has_prefix (start, "index "))
        {
          const char *eol = strchr (start, '\n');

          start = eol != NULL ? eol + 1 : start + strlen (start);
        }
      out = g_strdup (start);
    }
  git->buf_dispose (&buf);
  git->patch_free (patch);
  return out;
}

/* What accepting would change: the current page against the proposed text. */
char *
mer_proposal_page_diff (MerStore    *store,
                        JsonObject  *proposal,
                        GError     **error)
{
  const char *page_id = mer_json_get_string (proposal, "page");
  g_autoptr(JsonObject) page = NULL;
  g_autofree char *label = NULL;

  if (page_id == NULL || mer_json_get_string (proposal, "page_body") == NULL)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("This proposal does not propose a page text"));
      return NULL;
    }
  page = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, error);
  if (page == NULL)
    return NULL;
  label = g_strdup (mer_json_get_string (page, "path") ? mer_json_get_string (page, "path") : page_id);
  return mer_text_unified_diff (mer_json_get_string (page, "body"), mer_json_get_string (proposal, "page_body"),
                                label, label);
}

/*
 * Writes the proposed text to the page as a new revision: straight if the
 * page is as it was when the proposal was opened, else three-way merged
 * with the page's text at that time as the ancestor. Overlapping changes
 * fail with MER_PROPOSAL_ERROR_MERGE_CONFLICT and write nothing.
 */
static gboolean
apply_page_text (MerStore    *store,
                 JsonObject  *proposal,
                 const char  *decided_by,
                 const char  *decided_at,
                 GError     **error)
{
  const char *page_id = mer_json_get_string (proposal, "page");
  const char *proposed = mer_json_get_string (proposal, "page_body");
  const char *page_rev = mer_json_get_string (proposal, "page_rev");
  g_autoptr(JsonObject) page = NULL;
  g_autofree char *base = NULL;
  g_autofree char *merged = NULL;
  g_autofree char *rev = NULL;
  const char *current;

  page = mer_store_get_doc (store, page_id, NULL, MER_GET_DEFAULT, error);
  if (page == NULL)
    {
      g_prefix_error (error, _("Cannot apply the proposed text: "));
      return FALSE;
    }
  current = mer_json_get_string (page, "body");
  if (current == NULL)
    current = "";
  base = mer_proposal_page_base (store, proposal, NULL);

  if (g_strcmp0 (mer_json_get_string (page, "_rev"), page_rev) == 0 || g_strcmp0 (base, current) == 0)
    merged = g_strdup (proposed);
  else if (base == NULL)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_MERGE_CONFLICT,
                   _("The page changed since the proposal was opened and its earlier text is not known; "
                     "update the proposed text first"));
      return FALSE;
    }
  else
    {
      gboolean clean = FALSE;

      merged = mer_merge_text (base, current, proposed, _("page"), _("proposal"), &clean);
      if (merged == NULL || !clean)
        {
          g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_MERGE_CONFLICT,
                       _("The page changed in the same places as the proposed text; "
                         "update the proposed text first"));
          return FALSE;
        }
    }

  if (g_strcmp0 (merged, current) == 0)
    return TRUE;
  json_object_set_string_member (page, "body", merged);
  json_object_set_string_member (page, "updated_at", decided_at);
  json_object_set_string_member (page, "updated_by", decided_by);
  rev = mer_store_put_doc (store, page, error);
  return rev != NULL;
}

/* The decision a decided proposal leaves in the log. */
static JsonObject *
decision_from_proposal (JsonObject *proposal,
                        const char *outcome,
                        const char *summary,
                        const char *decided_by)
{
  const char *body = mer_json_get_string (proposal, "body");
  const char *owner = mer_json_get_string (proposal, "owner");
  const char *page = mer_json_get_string (proposal, "page");
  g_autofree char *context = mer_proposal_get_section (body, MER_PROPOSAL_SECTION_CONTEXT);
  g_autofree char *proposed = mer_proposal_get_section (body, MER_PROPOSAL_SECTION_PROPOSAL);
  g_autofree char *risks = mer_proposal_get_section (body, MER_PROPOSAL_SECTION_RISKS);
  g_autoptr(JsonArray) required = mer_doc_string_array (proposal, "required");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *decision = json_object_new ();
  JsonArray *deciders = json_array_new ();
  JsonArray *pages = json_array_new ();
  GString *text = g_string_new (summary);

  if (strcmp (outcome, "accepted") == 0 && !mer_proposal_section_is_empty (body, MER_PROPOSAL_SECTION_PROPOSAL))
    g_string_append_printf (text, "\n\n%s", proposed);

  /* The owner decides; the required readers had their say. */
  g_hash_table_add (seen, (gpointer) decided_by);
  json_array_add_string_element (deciders, decided_by);
  if (owner != NULL && !g_hash_table_contains (seen, owner))
    {
      g_hash_table_add (seen, (gpointer) owner);
      json_array_add_string_element (deciders, owner);
    }
  for (guint i = 0; i < json_array_get_length (required); i++)
    {
      const char *reader = json_array_get_string_element (required, i);

      if (g_hash_table_add (seen, (gpointer) reader))
        json_array_add_string_element (deciders, reader);
    }
  if (page != NULL)
    json_array_add_string_element (pages, page);

  json_object_set_string_member (decision, "title", mer_json_get_string (proposal, "title"));
  json_object_set_string_member (decision, "status", outcome);
  json_object_set_string_member (decision, "context",
                                 mer_proposal_section_is_empty (body, MER_PROPOSAL_SECTION_CONTEXT)
                                 ? "" : context);
  json_object_set_string_member (decision, "decision", text->str);
  json_object_set_string_member (decision, "consequences",
                                 strcmp (outcome, "accepted") == 0
                                 && !mer_proposal_section_is_empty (body, MER_PROPOSAL_SECTION_RISKS)
                                 ? risks : "");
  json_object_set_string_member (decision, "owner", owner != NULL ? owner : decided_by);
  json_object_set_array_member (decision, "deciders", deciders);
  json_object_set_string_member (decision, "proposal", mer_json_get_string (proposal, "_id"));
  json_object_set_array_member (decision, "pages", pages);
  json_object_set_array_member (decision, "tags", mer_doc_string_array (proposal, "tags"));
  g_string_free (text, TRUE);
  return decision;
}

/*
 * The owner records the outcome. Before the deadline only with a reason,
 * since the window was promised to every reader: an early approval does not
 * close it by itself. Accepting or rejecting logs a decision linked both
 * ways (withdrawing logs none); accepting a page proposal also writes the
 * page. All of it is one transaction: on any error nothing is written.
 */
gboolean
mer_proposal_decide (MerStore    *store,
                     const char  *proposal_id,
                     const char  *outcome,
                     const char  *summary,
                     const char  *reason,
                     const char  *decided_by,
                     GDateTime   *now,
                     char       **decision_id,
                     GError     **error)
{
  g_autoptr(JsonObject) proposal = NULL;
  g_autoptr(JsonObject) decision = NULL;
  g_autoptr(GDateTime) deadline = NULL;
  g_autofree char *decided_at = NULL;
  g_autofree char *new_decision = NULL;
  g_autofree char *rev = NULL;
  JsonObject *outcome_object;
  const char *owner;
  gboolean early;

  g_return_val_if_fail (MER_IS_STORE (store), FALSE);
  g_return_val_if_fail (now != NULL, FALSE);

  proposal = mer_store_get_doc (store, proposal_id, NULL, MER_GET_DEFAULT, error);
  if (proposal == NULL)
    return FALSE;
  if (g_strcmp0 (mer_json_get_string (proposal, "type"), "proposal") != 0)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("“%s” is not a proposal"), proposal_id);
      return FALSE;
    }
  if (g_strcmp0 (mer_json_get_string (proposal, "status"), "open") != 0)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_NOT_OPEN,
                   _("This proposal was already decided: %s"), mer_json_get_string (proposal, "status"));
      return FALSE;
    }
  if (g_strcmp0 (outcome, "accepted") != 0 && g_strcmp0 (outcome, "rejected") != 0
      && g_strcmp0 (outcome, "withdrawn") != 0)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("Unknown outcome “%s”: use accepted, rejected or withdrawn"), outcome ? outcome : "");
      return FALSE;
    }
  owner = mer_json_get_string (proposal, "owner");
  if (owner == NULL)
    owner = mer_json_get_string (proposal, "author");
  if (decided_by == NULL || g_strcmp0 (owner, decided_by) != 0)
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_NOT_OWNER,
                   _("Only the owner of this proposal can decide it"));
      return FALSE;
    }
  if (mer_doc_is_blank (summary))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_INVALID,
                   _("Write a summary of the outcome"));
      return FALSE;
    }
  deadline = get_instant (proposal, "deadline");
  early = deadline != NULL && g_date_time_compare (now, deadline) < 0;
  if (early && mer_doc_is_blank (reason))
    {
      g_set_error (error, MER_PROPOSAL_ERROR, MER_PROPOSAL_ERROR_NEEDS_REASON,
                   _("The comment window is still open; deciding early needs a reason"));
      return FALSE;
    }

  decided_at = mer_schedule_format_instant (now);
  if (!mer_store_begin (store, error))
    return FALSE;

  if (strcmp (outcome, "withdrawn") != 0)
    {
      decision = decision_from_proposal (proposal, outcome, summary, decided_by);
      new_decision = mer_decision_log (store, decision, now, error);
      if (new_decision == NULL)
        goto failed;
    }
  if (strcmp (outcome, "accepted") == 0 && mer_json_get_string (proposal, "page") != NULL
      && mer_json_get_string (proposal, "page_body") != NULL
      && !apply_page_text (store, proposal, decided_by, decided_at, error))
    goto failed;

  outcome_object = json_object_new ();
  json_object_set_string_member (outcome_object, "summary", summary);
  json_object_set_string_member (outcome_object, "decided_at", decided_at);
  json_object_set_string_member (outcome_object, "decided_by", decided_by);
  json_object_set_boolean_member (outcome_object, "early", early);
  mer_doc_set_string_or_null (outcome_object, "reason", early ? reason : NULL);
  json_object_set_object_member (proposal, "outcome", outcome_object);
  json_object_set_string_member (proposal, "status", outcome);
  mer_doc_set_string_or_null (proposal, "decision", new_decision);
  rev = mer_store_put_doc (store, proposal, error);
  if (rev == NULL || !mer_store_commit (store, error))
    goto failed;

  if (decision_id != NULL)
    *decision_id = g_steal_pointer (&new_decision);
  return TRUE;

failed:
  mer_store_rollback (store);
  return FALSE;
}
