/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Notifications that wait while the user is in focus. */
#include "config.h"

#include "mer-test-util.h"
#include "mer-notifier.h"
#include "mer-schedule.h"

typedef struct
{
  GPtrArray *ids;
  GPtrArray *texts;  /* "title|body" */
} Sent;

static void
capture_cb (const char    *id,
            GNotification *notification,
            const char    *title,
            const char    *body,
            gpointer       user_data)
{
  Sent *sent = user_data;

  g_assert_true (G_IS_NOTIFICATION (notification));
  g_ptr_array_add (sent->ids, g_strdup (id));
  g_ptr_array_add (sent->texts, g_strdup_printf ("%s|%s", title, body ? body : ""));
}

static void
put (MerStore   *store,
     const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) doc = mer_test_object (json);
  g_autofree char *rev = mer_store_put_doc (store, doc, &error);

  g_assert_no_error (error);
}

static void
test_focus_holds_notifications (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(MerNotifier) notifier = NULL;
  g_autoptr(GDateTime) now = NULL;
  Sent sent = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };

  g_setenv ("MERIDIAN_NOW", "2026-11-23T09:15:00Z", TRUE);
  now = mer_schedule_now ();
  put (store, "{\"_id\":\"person:chen\",\"type\":\"person\",\"name\":\"Chen Wei\",\"tz\":\"Asia/Shanghai\","
              "\"work\":{\"mon\":[[\"09:00\",\"18:00\"]]}}");
  put (store, "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\"}");
  put (store, "{\"_id\":\"proposal:core\",\"type\":\"proposal\",\"title\":\"Core hours\",\"status\":\"open\","
              "\"author\":\"person:chen\",\"owner\":\"person:chen\",\"required\":[\"person:ana\"],\"body\":\"b\"}");
  put (store, "{\"_id\":\"proposal:other\",\"type\":\"proposal\",\"title\":\"Other\",\"status\":\"open\","
              "\"author\":\"person:ana\",\"owner\":\"person:ana\",\"required\":[],\"body\":\"b\"}");
  put (store, "{\"_id\":\"comment:old\",\"type\":\"comment\",\"on\":\"proposal:core\",\"author\":\"person:ana\","
              "\"body\":\"From before the app started\"}");
  g_assert_true (mer_schedule_set_me (store, "person:chen", &error));

  notifier = mer_notifier_new (store, NULL);
  mer_notifier_set_send_func (notifier, capture_cb, &sent);

  /* What was there before is history. */
  mer_notifier_poll (notifier);
  g_assert_cmpuint (sent.ids->len, ==, 0);

  /* Not in focus: a comment on Chen's proposal is sent at once; one on
   * someone else's proposal that does not name him is not sent at all,
   * nor is his own. */
  put (store, "{\"_id\":\"comment:1\",\"type\":\"comment\",\"on\":\"proposal:core\",\"author\":\"person:ana\","
              "\"body\":\"Tuesdays work for me\"}");
  put (store, "{\"_id\":\"comment:2\",\"type\":\"comment\",\"on\":\"proposal:other\",\"author\":\"person:ana\","
              "\"body\":\"Note to self\"}");
  put (store, "{\"_id\":\"comment:3\",\"type\":\"comment\",\"on\":\"proposal:core\",\"author\":\"person:chen\","
              "\"body\":\"Thanks\"}");
  mer_notifier_poll (notifier);
  g_assert_cmpuint (sent.ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (sent.ids, 0), ==, "comment:1");
  g_assert_cmpstr (g_ptr_array_index (sent.texts, 0), ==, "Ana commented on “Core hours”|Tuesdays work for me");

  /* Fifty minutes of focus: a mention and a new proposal are held. */
  g_assert_true (mer_schedule_set_user_focus (store, now, 50, &error));
  put (store, "{\"_id\":\"comment:4\",\"type\":\"comment\",\"on\":\"proposal:other\",\"author\":\"person:ana\","
              "\"body\":\"@Chen what do you think?\"}");
  put (store, "{\"_id\":\"proposal:new\",\"type\":\"proposal\",\"title\":\"Release train\",\"status\":\"open\","
              "\"author\":\"person:ana\",\"owner\":\"person:ana\",\"required\":[\"person:chen\"],\"body\":\"b\"}");
  mer_notifier_poll (notifier);
  g_assert_cmpuint (sent.ids->len, ==, 1);
  g_assert_cmpuint (mer_notifier_get_n_held (notifier), ==, 2);

  /* Still in focus ten minutes later: still nothing. */
  g_setenv ("MERIDIAN_NOW", "2026-11-23T09:25:00Z", TRUE);
  mer_notifier_poll (notifier);
  g_assert_cmpuint (sent.ids->len, ==, 1);

  /* Focus over: one notification tells what arrived. */
  g_setenv ("MERIDIAN_NOW", "2026-11-23T10:06:00Z", TRUE);
  mer_notifier_poll (notifier);
  g_assert_cmpuint (sent.ids->len, ==, 2);
  g_assert_cmpuint (mer_notifier_get_n_held (notifier), ==, 0);
  g_assert_cmpstr (g_ptr_array_index (sent.ids, 1), ==, "focus-summary");
  g_assert_cmpstr (g_ptr_array_index (sent.texts, 1), ==, "While you were in deep work: 2 updates|"
                             "Ana commented on “Other”\nAna asks for your comments on “Release train”");

  g_unsetenv ("MERIDIAN_NOW");
  g_clear_object (&notifier);
  g_ptr_array_unref (sent.ids);
  g_ptr_array_unref (sent.texts);
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

/* A comment is looked at when it is written, not on the next tick. */
static void
test_written_comment_arrives (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MerStore) store = mer_test_open_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(MerNotifier) notifier = NULL;
  Sent sent = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };

  put (store, "{\"_id\":\"person:chen\",\"type\":\"person\",\"name\":\"Chen Wei\",\"tz\":\"Asia/Shanghai\"}");
  put (store, "{\"_id\":\"person:ana\",\"type\":\"person\",\"name\":\"Ana\",\"tz\":\"Asia/Kathmandu\"}");
  put (store, "{\"_id\":\"proposal:core\",\"type\":\"proposal\",\"title\":\"Core hours\",\"status\":\"open\","
              "\"author\":\"person:chen\",\"owner\":\"person:chen\",\"required\":[],\"body\":\"b\"}");
  g_assert_true (mer_schedule_set_me (store, "person:chen", &error));
  notifier = mer_notifier_new (store, NULL);
  mer_notifier_set_send_func (notifier, capture_cb, &sent);

  put (store, "{\"_id\":\"comment:1\",\"type\":\"comment\",\"on\":\"proposal:core\",\"author\":\"person:ana\","
              "\"body\":\"Tuesdays work for me\"}");
  g_assert_cmpuint (sent.ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (sent.ids, 0), ==, "comment:1");

  g_clear_object (&notifier);
  g_ptr_array_unref (sent.ids);
  g_ptr_array_unref (sent.texts);
  g_clear_object (&store);
  mer_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  mer_test_init (&argc, &argv);
  g_test_add_func ("/notifier/focus-holds-notifications", test_focus_holds_notifications);
  g_test_add_func ("/notifier/written-comment-arrives", test_written_comment_arrives);
  return g_test_run ();
}
