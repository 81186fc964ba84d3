/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An interruption costs about 23 minutes of focus, so Meridian does not
 * make one while the user is in deep work: what arrives is held and told in
 * one notification when focus ends.
 */

#include "config.h"

#include "mer-notifier.h"

#include "mer-json.h"
#include "mer-schedule.h"
#include "mer-store.h"

#include <glib/gi18n.h>
#include <string.h>

#define POLL_SECONDS  5
#define SUMMARY_ID    "focus-summary"
#define SUMMARY_LINES 4

typedef struct
{
  char *id;
  char *title;  /* also its line in the end-of-focus notification */
  char *body;
} Held;

struct _MerNotifier
{
  GObject              parent_instance;

  MerStore            *store;
  GApplication        *application;  /* weak */
  MerNotifierSendFunc  send_func;
  gpointer             send_data;
  GPtrArray           *held;         /* Held* */
  gint64               last_seq;     /* changes up to here were looked at */
  guint                poll_id;
};

G_DEFINE_FINAL_TYPE (MerNotifier, mer_notifier, G_TYPE_OBJECT)

static void
held_free (Held *held)
{
  g_free (held->id);
  g_free (held->title);
  g_free (held->body);
  g_free (held);
}

static void
send (MerNotifier *self,
      const char  *id,
      const char  *title,
      const char  *body)
{
  g_autoptr(GNotification) notification = g_notification_new (title);

  if (body != NULL && *body != '\0')
    g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.activate");
  if (self->send_func != NULL)
    self->send_func (id, notification, title, body, self->send_data);
  else if (self->application != NULL)
    g_application_send_notification (self->application, id, notification);
}

/* Focus is over: one notification for everything held, or the one itself. */
static void
flush_held (MerNotifier *self)
{
  g_autoptr(GString) body = NULL;
  g_autofree char *title = NULL;

  if (self->held->len == 0)
    return;
  if (self->held->len == 1)
    {
      Held *held = g_ptr_array_index (self->held, 0);

      send (self, held->id, held->title, held->body);
      g_ptr_array_set_size (self->held, 0);
      return;
    }

  body = g_string_new (NULL);
  for (guint i = 0; i < self->held->len && i < SUMMARY_LINES; i++)
    {
      Held *held = g_ptr_array_index (self->held, i);

      g_string_append_printf (body, "%s%s", i ? "\n" : "", held->title);
    }
  if (self->held->len > SUMMARY_LINES)
    {
      guint more = self->held->len - SUMMARY_LINES;

      g_string_append_c (body, '\n');
      g_string_append_printf (body, g_dngettext (GETTEXT_PACKAGE, "and %u more", "and %u more", more), more);
    }
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "While you were in deep work: %u update",
                                        "While you were in deep work: %u updates",
                                        self->held->len),
                           self->held->len);
  send (self, SUMMARY_ID, title, body->str);
  g_ptr_array_set_size (self->held, 0);
}

void
mer_notifier_offer (MerNotifier *self,
                    const char  *id,
                    const char  *title,
                    const char  *body)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  Held *held;

  g_return_if_fail (MER_IS_NOTIFIER (self));
  g_return_if_fail (title != NULL);

  if (!mer_schedule_user_in_focus (self->store, now))
    {
      send (self, id, title, body);
      return;
    }
  held = g_new0 (Held, 1);
  held->id = g_strdup (id);
  held->title = g_strdup (title);
  held->body = g_strdup (body);
  g_ptr_array_add (self->held, held);
}

guint
mer_notifier_get_n_held (MerNotifier *self)
{
  g_return_val_if_fail (MER_IS_NOTIFIER (self), 0);
  return self->held->len;
}

static char *
person_name (MerStore   *store,
             const char *id)
{
  g_autoptr(JsonObject) person = id ? mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL) : NULL;
  const char *name = person ? mer_json_get_string (person, "name") : NULL;

  if (name != NULL)
    return g_strdup (name);
  if (id != NULL && g_str_has_prefix (id, "person:"))
    return g_strdup (id + strlen ("person:"));
  return g_strdup (id ? id : "?");
}

static gboolean
array_has_string (JsonObject *doc,
                  const char *member,
                  const char *value)
{
  JsonNode *node = json_object_get_member (doc, member);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (json_node_get_value_type (item) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (item), value) == 0)
        return TRUE;
    }
  return FALSE;
}

/* "@ana", "@Ana" or "@Ana Souza" in @text, for person @me named @name. */
static gboolean
mentions (const char *text,
          const char *me,
          const char *name)
{
  g_autofree char *lower = g_utf8_strdown (text ? text : "", -1);
  g_autofree char *handle = g_strconcat ("@", me + strlen ("person:"), NULL);
  g_autofree char *handle_lower = g_utf8_strdown (handle, -1);
  g_auto(GStrv) words = g_strsplit (name ? name : "", " ", 2);
  g_autofree char *first = words[0] && *words[0] ? g_strconcat ("@", words[0], NULL) : NULL;
  g_autofree char *first_lower = first ? g_utf8_strdown (first, -1) : NULL;

  return strstr (lower, handle_lower) != NULL || (first_lower != NULL && strstr (lower, first_lower) != NULL);
}

static char *
doc_title (MerStore   *store,
           const char *id)
{
  g_autoptr(JsonObject) doc = id ? mer_store_get_doc (store, id, NULL, MER_GET_DEFAULT, NULL) : NULL;
  const char *title = doc ? mer_json_get_string (doc, "title") : NULL;

  return g_strdup (title ? title : id);
}

/* A new comment: is it for me? On my proposal, a reply to me, or naming me. */
static void
consider_comment (MerNotifier *self,
                  JsonObject  *comment,
                  const char  *me,
                  const char  *my_name)
{
  const char *author = mer_json_get_string (comment, "author");
  const char *on = mer_json_get_string (comment, "on");
  const char *reply_to = mer_json_get_string (comment, "reply_to");
  const char *body = mer_json_get_string (comment, "body");
  g_autoptr(JsonObject) target = NULL;
  g_autoptr(JsonObject) parent = NULL;
  g_autofree char *who = NULL;
  g_autofree char *what = NULL;
  g_autofree char *title = NULL;
  g_autofree char *snippet = NULL;
  gboolean mine = FALSE;

  if (author == NULL || g_strcmp0 (author, me) == 0)
    return;
  if (on != NULL)
    target = mer_store_get_doc (self->store, on, NULL, MER_GET_DEFAULT, NULL);
  if (target != NULL)
    mine = g_strcmp0 (mer_json_get_string (target, "author"), me) == 0 ||
           g_strcmp0 (mer_json_get_string (target, "owner"), me) == 0;
  if (!mine && reply_to != NULL)
    {
      parent = mer_store_get_doc (self->store, reply_to, NULL, MER_GET_DEFAULT, NULL);
      mine = parent != NULL && g_strcmp0 (mer_json_get_string (parent, "author"), me) == 0;
    }
  if (!mine && !mentions (body, me, my_name))
    return;

  who = person_name (self->store, author);
  what = doc_title (self->store, on);
  title = g_strdup_printf (_("%s commented on “%s”"), who, what);
  snippet = g_utf8_substring (body ? body : "", 0, MIN (g_utf8_strlen (body ? body : "", -1), 140));
  mer_notifier_offer (self, mer_json_get_string (comment, "_id"), title, snippet);
}

/* A new open proposal that asks for my comments. */
static void
consider_proposal (MerNotifier *self,
                   JsonObject  *proposal,
                   const char  *me)
{
  const char *author = mer_json_get_string (proposal, "author");
  const char *rev = mer_json_get_string (proposal, "_rev");
  g_autofree char *who = NULL;
  g_autofree char *title = NULL;

  if (g_strcmp0 (author, me) == 0 || !g_str_has_prefix (rev ? rev : "", "1-") ||
      g_strcmp0 (mer_json_get_string (proposal, "status"), "open") != 0 ||
      !array_has_string (proposal, "required", me))
    return;
  who = person_name (self->store, author);
  title = g_strdup_printf (_("%s asks for your comments on “%s”"), who,
                           mer_json_get_string (proposal, "title") ?: "");
  mer_notifier_offer (self, mer_json_get_string (proposal, "_id"), title, NULL);
}

void
mer_notifier_poll (MerNotifier *self)
{
  g_autoptr(GDateTime) now = mer_schedule_now ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) rows = NULL;
  g_autofree char *me = NULL;
  g_autofree char *my_name = NULL;
  gint64 last = self->last_seq;

  g_return_if_fail (MER_IS_NOTIFIER (self));

  if (!mer_schedule_user_in_focus (self->store, now))
    flush_held (self);

  if (mer_store_get_update_seq (self->store) == self->last_seq)
    return;
  rows = mer_store_changes (self->store, self->last_seq, 0, FALSE, TRUE, &last, &error);
  if (rows == NULL)
    {
      g_warning ("Notifications: %s", error->message);
      return;
    }
  self->last_seq = last;

  me = mer_schedule_get_me (self->store);
  if (me == NULL)
    return;
  my_name = person_name (self->store, me);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *doc;
      const char *type;

      if (mer_json_get_bool (row, "deleted") || !json_object_has_member (row, "doc"))
        continue;
      doc = json_object_get_object_member (row, "doc");
      type = mer_json_get_string (doc, "type");
      if (g_strcmp0 (type, "comment") == 0)
        consider_comment (self, doc, me, my_name);
      else if (g_strcmp0 (type, "proposal") == 0)
        consider_proposal (self, doc, me);
    }
}

static gboolean
poll_cb (gpointer user_data)
{
  mer_notifier_poll (MER_NOTIFIER (user_data));
  return G_SOURCE_CONTINUE;
}

static void
store_changed_cb (MerStore    *store,
                  MerNotifier *self)
{
  mer_notifier_poll (self);
}

static void
mer_notifier_dispose (GObject *object)
{
  MerNotifier *self = MER_NOTIFIER (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->store);
  g_clear_weak_pointer (&self->application);
  G_OBJECT_CLASS (mer_notifier_parent_class)->dispose (object);
}

static void
mer_notifier_finalize (GObject *object)
{
  MerNotifier *self = MER_NOTIFIER (object);

  g_clear_pointer (&self->held, g_ptr_array_unref);
  G_OBJECT_CLASS (mer_notifier_parent_class)->finalize (object);
}

static void
mer_notifier_class_init (MerNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mer_notifier_dispose;
  object_class->finalize = mer_notifier_finalize;
}

static void
mer_notifier_init (MerNotifier *self)
{
  self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
}

MerNotifier *
mer_notifier_new (MerStore     *store,
                  GApplication *application)
{
  MerNotifier *self;

  g_return_val_if_fail (MER_IS_STORE (store), NULL);

  self = g_object_new (MER_TYPE_NOTIFIER, NULL);
  self->store = g_object_ref (store);
  g_set_weak_pointer (&self->application, application);
  /* What is already in the replica is history, not news. */
  self->last_seq = mer_store_get_update_seq (store);
  /* New documents are looked at as they arrive; the timer is for the end
   * of focus, which no write announces. */
  g_signal_connect_object (store, "changed", G_CALLBACK (store_changed_cb), self, 0);
  self->poll_id = g_timeout_add_seconds (POLL_SECONDS, poll_cb, self);
  return self;
}

void
mer_notifier_set_send_func (MerNotifier         *self,
                            MerNotifierSendFunc  func,
                            gpointer             user_data)
{
  g_return_if_fail (MER_IS_NOTIFIER (self));
  self->send_func = func;
  self->send_data = user_data;
}
