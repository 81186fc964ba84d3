/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The handbook benchmark. Generates a handbook of realistic pages (about
 * 2 KB of varied English each, from a word list and sentence templates with
 * a fixed seed) and prints, in one run:
 *
 *   - import time (in-process, and as a `meridian import` process);
 *   - median and 95th percentile of varied searches in-process
 *     (mer_store_search) and as whole `meridian search` processes;
 *   - the same searches as plain FTS5 queries through the `sqlite3` shell
 *     on an FTS5 table built from the same text: the floor for a process;
 *   - Zim Desktop Wiki's own search (`zim --search`) over the same pages
 *     exported as a Zim notebook, with its index time separately;
 *   - the ratios the targets are stated in.
 *
 * It asserts nothing about time: the figures are for people to read.
 */
#include "config.h"

#include "mer-import.h"
#include "mer-core.h"
#include "mer-store.h"
#include "mer-test-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int opt_pages = 10000;
static int opt_queries = 200;
static int opt_zim_queries = 20;
static char *opt_work = NULL;
static char *opt_meridian = NULL;
static char *opt_lean = NULL;
static gboolean opt_keep = FALSE;

static GOptionEntry entries[] = {
  { "pages", 0, 0, G_OPTION_ARG_INT, &opt_pages, "Pages to generate (10000)", "N" },
  { "queries", 0, 0, G_OPTION_ARG_INT, &opt_queries, "Searches to time (200)", "N" },
  { "zim-queries", 0, 0, G_OPTION_ARG_INT, &opt_zim_queries,
    "How many of the searches to also run through Zim, spread over all of them (20; 0 skips Zim)", "N" },
  { "work", 0, 0, G_OPTION_ARG_FILENAME, &opt_work, "Work folder (default: a temporary one, removed)", "DIR" },
  { "meridian", 0, 0, G_OPTION_ARG_FILENAME, &opt_meridian, "The meridian program (default $MERIDIAN_BIN)", "PATH" },
  { "lean", 0, 0, G_OPTION_ARG_FILENAME, &opt_lean,
    "Also time bench-search-lean, the search linked with the replica's libraries only", "PATH" },
  { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the work folder", NULL },
  { NULL }
};

/* ---- Text -------------------------------------------------------------- */

static const char * const nouns[] = {
  "team", "handbook", "proposal", "decision", "deadline", "review", "owner", "page", "process", "meeting",
  "timezone", "schedule", "rotation", "incident", "release", "customer", "budget", "roadmap", "goal", "metric",
  "document", "draft", "comment", "question", "answer", "summary", "context", "tradeoff", "risk", "estimate",
  "engineer", "designer", "manager", "teammate", "newcomer", "mentor", "reviewer", "author", "reader", "lead",
  "week", "morning", "evening", "afternoon", "quarter", "sprint", "milestone", "holiday", "weekend", "shift",
  "service", "database", "backup", "server", "deployment", "migration", "dashboard", "alert", "pager", "runbook",
  "contract", "invoice", "policy", "expense", "laptop", "account", "password", "permission", "channel", "thread",
  "feedback", "retrospective", "interview", "offer", "salary", "benefit", "training", "workshop", "conference", "travel",
  "experiment", "prototype", "feature", "bug", "patch", "branch", "test", "benchmark", "latency", "outage",
  "checklist", "template", "glossary", "archive", "library", "calendar", "agenda", "minute", "note", "diagram",
  "vendor", "partner", "contractor", "auditor", "regulator", "lawyer", "accountant", "recruiter", "candidate", "volunteer",
  "harbour", "lighthouse", "compass", "meridian", "horizon", "island", "river", "mountain", "forest", "garden",
  "kubernetes", "terraform", "postgres", "firewall", "certificate", "domain", "queue", "cache", "cluster", "replica",
  "spreadsheet", "forecast", "payroll", "pension", "visa", "relocation", "stipend", "equipment", "desk", "headset",
  "translation", "accessibility", "typography", "palette", "illustration", "wireframe", "mockup", "persona", "survey", "usability",
  "escalation", "postmortem", "severity", "timeline", "handoff", "standup", "demo", "changelog", "deprecation", "license",
  "trademark", "privacy", "consent", "retention", "encryption", "token", "audit", "compliance", "insurance", "warranty",
  "newsletter", "webinar", "podcast", "brochure", "pitch", "pricing", "discount", "renewal", "churn", "onboarding",
  "sabbatical", "parental", "bereavement", "wellbeing", "ergonomics", "commute", "offsite", "retreat", "venue", "catering",
  "glacier", "volcano", "prairie", "canyon", "estuary", "meadow", "orchard", "vineyard", "quarry", "reef",
  "telescope", "microscope", "pendulum", "gyroscope", "barometer", "sextant", "astrolabe", "chronometer", "almanac", "atlas",
  "mentorship", "apprenticeship", "fellowship", "residency", "internship", "promotion", "calibration", "ladder", "rubric", "scorecard",
};

/* The first COMMON_NOUNS nouns are everyday words used on every page; the
 * rest are topic words, each page drawing on a few of them. */
#define COMMON_NOUNS 40
#define TOPICS_PER_PAGE 6

static const char * const adjectives[] = {
  "clear", "short", "written", "shared", "open", "quiet", "remote", "distributed", "careful", "honest",
  "weekly", "daily", "monthly", "urgent", "overdue", "accepted", "rejected", "pending", "final", "early",
  "late", "small", "large", "simple", "complex", "careless", "thoughtful", "public", "private", "internal",
  "external", "previous", "next", "current", "stable", "fragile", "reliable", "quick", "slow", "calm",
  "busy", "focused", "scattered", "complete", "partial", "detailed", "rough", "polished", "useful", "obsolete",
  "asynchronous", "synchronous", "local", "global", "northern", "southern", "eastern", "western", "gentle", "strict",
};

static const char * const verbs[][2] = {
  { "write", "writes" }, { "review", "reviews" }, { "approve", "approves" }, { "reject", "rejects" },
  { "share", "shares" }, { "read", "reads" }, { "update", "updates" }, { "explain", "explains" },
  { "record", "records" }, { "schedule", "schedules" }, { "answer", "answers" }, { "ask", "asks" },
  { "protect", "protects" }, { "follow", "follows" }, { "replace", "replaces" }, { "merge", "merges" },
  { "deploy", "deploys" }, { "test", "tests" }, { "measure", "measures" }, { "plan", "plans" },
  { "document", "documents" }, { "summarise", "summarises" }, { "escalate", "escalates" }, { "hand over", "hands over" },
  { "welcome", "welcomes" }, { "train", "trains" }, { "support", "supports" }, { "track", "tracks" },
  { "archive", "archives" }, { "revisit", "revisits" }, { "publish", "publishes" }, { "draft", "drafts" },
  { "question", "questions" }, { "clarify", "clarifies" }, { "postpone", "postpones" }, { "prioritise", "prioritises" },
  { "discuss", "discusses" }, { "decide", "decides" }, { "compare", "compares" }, { "simplify", "simplifies" },
};

static const char * const adverbs[] = {
  "usually", "always", "rarely", "carefully", "quickly", "quietly", "openly", "deliberately", "eventually",
  "often", "sometimes", "never", "gradually", "immediately", "asynchronously", "politely", "clearly", "briefly",
};

static const char * const preps[] = {
  "before", "after", "during", "without", "with", "for", "about", "across", "within", "around",
};

static const char * const areas[] = {
  "engineering", "people", "operations", "finance", "legal", "design", "product", "support", "sales",
  "security", "onboarding", "rituals", "writing", "decisions", "tools", "travel", "hiring", "incidents",
  "infrastructure", "research",
};

/* Skewed towards the start of a list, as real word use is. */
static guint
pick (GRand *rand,
      guint  n)
{
  double x = g_rand_double (rand);

  return (guint) (x * x * n) % n;
}

#define PICK(rand, list) (list[pick (rand, G_N_ELEMENTS (list))])

static void
append_capitalized (GString    *out,
                    const char *word)
{
  g_string_append_c (out, g_ascii_toupper (word[0]));
  g_string_append (out, word + 1);
}

/* The nouns of the page being written: everyday ones or its topics. */
static const char *page_topics[TOPICS_PER_PAGE];

static const char *
noun (GRand *rand)
{
  if (g_rand_boolean (rand))
    return page_topics[g_rand_int_range (rand, 0, TOPICS_PER_PAGE)];
  return nouns[pick (rand, COMMON_NOUNS)];
}

static void
append_sentence (GString *out,
                 GRand   *rand)
{
  GString *s = g_string_new (NULL);

  switch (g_rand_int_range (rand, 0, 8))
    {
    case 0:
      g_string_printf (s, "the %s %s %s the %s %s the %s.", PICK (rand, adjectives), noun (rand),
                       verbs[pick (rand, G_N_ELEMENTS (verbs))][1], noun (rand), PICK (rand, preps),
                       noun (rand));
      break;
    case 1:
      g_string_printf (s, "%s, we %s every %s %s %s the %s.", PICK (rand, adverbs),
                       verbs[pick (rand, G_N_ELEMENTS (verbs))][0], noun (rand), PICK (rand, adverbs),
                       PICK (rand, preps), noun (rand));
      break;
    case 2:
      g_string_printf (s, "a %s %s is better than a %s %s, because the %s %s %s it.", PICK (rand, adjectives),
                       noun (rand), PICK (rand, adjectives), noun (rand), noun (rand),
                       PICK (rand, adverbs), verbs[pick (rand, G_N_ELEMENTS (verbs))][1]);
      break;
    case 3:
      g_string_printf (s, "if the %s is %s, ask the %s to %s the %s %s the %s.", noun (rand),
                       PICK (rand, adjectives), noun (rand), verbs[pick (rand, G_N_ELEMENTS (verbs))][0],
                       noun (rand), PICK (rand, preps), noun (rand));
      break;
    case 4:
      g_string_printf (s, "each %s %s its own %s and %s %s.", noun (rand),
                       verbs[pick (rand, G_N_ELEMENTS (verbs))][1], noun (rand),
                       verbs[pick (rand, G_N_ELEMENTS (verbs))][1], PICK (rand, adverbs));
      break;
    case 5:
      g_string_printf (s, "nobody should %s a %s %s %s %s, even when the %s is %s.",
                       verbs[pick (rand, G_N_ELEMENTS (verbs))][0], PICK (rand, adjectives), noun (rand),
                       PICK (rand, preps), "a written summary", noun (rand), PICK (rand, adjectives));
      break;
    case 6:
      g_string_printf (s, "when in doubt, %s the %s and %s the %s %s.", verbs[pick (rand, G_N_ELEMENTS (verbs))][0],
                       noun (rand), verbs[pick (rand, G_N_ELEMENTS (verbs))][0], PICK (rand, adjectives),
                       noun (rand));
      break;
    default:
      g_string_printf (s, "our %s %s %s %s %u %ss, so the %s stays %s.", noun (rand), PICK (rand, adverbs),
                       verbs[pick (rand, G_N_ELEMENTS (verbs))][1], PICK (rand, preps),
                       (guint) g_rand_int_range (rand, 2, 30), noun (rand), noun (rand),
                       PICK (rand, adjectives));
      break;
    }
  append_capitalized (out, s->str);
  g_string_free (s, TRUE);
}

/* A title from the page's own topics: "Careful runbook escalation 42". */
static char *
make_title (GRand       *rand,
            const guint *topics,
            guint        i)
{
  GString *t = g_string_new (NULL);

  append_capitalized (t, PICK (rand, adjectives));
  g_string_append_printf (t, " %s %s %u", nouns[topics[0]], nouns[topics[1]], i);
  return g_string_free (t, FALSE);
}

typedef struct
{
  char *path;
  char *title;
  char *body;    /* Markdown, without front matter */
  char *owner;
  char *review_by;
  char *tag;
  guint topics[TOPICS_PER_PAGE];  /* indexes into nouns[] */
} Page;

static void
page_clear (Page *page)
{
  g_free (page->path);
  g_free (page->title);
  g_free (page->body);
  g_free (page->owner);
  g_free (page->review_by);
  g_free (page->tag);
}

static void
generate_pages (Page  *pages,
                guint  n)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261122);

  for (guint i = 0; i < n; i++)
    {
      Page *p = &pages[i];

      for (guint k = 0; k < TOPICS_PER_PAGE; k++)
        p->topics[k] = g_rand_int_range (rand, COMMON_NOUNS, G_N_ELEMENTS (nouns));
      p->title = make_title (rand, p->topics, i);
      p->path = g_strdup_printf ("%s/%s-%05u", areas[i % G_N_ELEMENTS (areas)], nouns[i % G_N_ELEMENTS (nouns)], i);
      p->owner = g_strdup_printf ("person-%u", (guint) g_rand_int_range (rand, 1, 40));
      p->review_by = g_strdup_printf ("20%02u-%02u-%02u", (guint) g_rand_int_range (rand, 25, 28),
                                      (guint) g_rand_int_range (rand, 1, 13), (guint) g_rand_int_range (rand, 1, 29));
      p->tag = g_strdup (areas[g_rand_int_range (rand, 0, G_N_ELEMENTS (areas))]);
    }

  for (guint i = 0; i < n; i++)
    {
      GString *body = g_string_new (NULL);

      for (guint k = 0; k < TOPICS_PER_PAGE; k++)
        page_topics[k] = nouns[pages[i].topics[k]];
      g_string_append_printf (body, "# %s\n\n", pages[i].title);
      while (body->len < 2000)
        {
          guint kind = g_rand_int_range (rand, 0, 10);

          if (kind == 0)
            {
              g_string_append (body, "## ");
              append_capitalized (body, noun (rand));
              g_string_append_printf (body, " and %s\n\n", noun (rand));
            }
          else if (kind == 1)
            {
              for (guint b = 0; b < 3; b++)
                {
                  g_string_append (body, "- ");
                  append_sentence (body, rand);
                  g_string_append_c (body, '\n');
                }
              g_string_append_c (body, '\n');
            }
          else
            {
              guint sentences = g_rand_int_range (rand, 2, 6);

              for (guint s = 0; s < sentences; s++)
                {
                  if (s > 0)
                    g_string_append_c (body, ' ');
                  append_sentence (body, rand);
                }
              if (kind == 2)
                g_string_append_printf (body, " See [[%s]].", pages[g_rand_int_range (rand, 0, n)].title);
              g_string_append (body, "\n\n");
            }
        }
      pages[i].body = g_string_free (body, FALSE);
    }
}

/* The searches: single common and rare words, pairs, triples, and words
 * cut short (Meridian searches the last word as a prefix). */
static GPtrArray *
generate_queries (guint n)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  GPtrArray *queries = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      const char *noun = nouns[g_rand_int_range (rand, 0, G_N_ELEMENTS (nouns))];
      char *q;

      switch (i % 6)
        {
        case 0:
          q = g_strdup (nouns[pick (rand, 20)]);
          break;
        case 1:
          q = g_strdup (noun);
          break;
        case 2:
          q = g_strdup_printf ("%s %s", adjectives[g_rand_int_range (rand, 0, G_N_ELEMENTS (adjectives))], noun);
          break;
        case 3:
          q = g_strndup (noun, MAX (3, strlen (noun) - 2));
          break;
        case 4:
          q = g_strdup_printf ("%s %s %s", verbs[g_rand_int_range (rand, 0, G_N_ELEMENTS (verbs))][0],
                               noun, nouns[g_rand_int_range (rand, 0, G_N_ELEMENTS (nouns))]);
          break;
        default:
          q = g_strdup_printf ("%s %s", adverbs[g_rand_int_range (rand, 0, G_N_ELEMENTS (adverbs))], noun);
          break;
        }
      g_ptr_array_add (queries, q);
    }
  return queries;
}

/* ---- Writing the corpora ------------------------------------------------ */

static void
write_text (const char *file,
            const char *text)
{
  g_autofree char *dir = g_path_get_dirname (file);
  FILE *out;

  g_mkdir_with_parents (dir, 0755);
  out = fopen (file, "w");
  if (out == NULL || fputs (text, out) < 0 || fclose (out) != 0)
    g_error ("cannot write %s", file);
}

static void
write_markdown (const char *root,
                Page       *pages,
                guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/%s.md", root, pages[i].path);
      g_autofree char *text = g_strdup_printf ("---\ntitle: %s\nowner: %s\nreview_by: %s\ntags: [%s]\n---\n%s",
                                               pages[i].title, pages[i].owner, pages[i].review_by,
                                               pages[i].tag, pages[i].body);

      write_text (file, text);
    }
}

/* Markdown headings and bullets in Zim's wiki syntax; [[links]] are the same. */
static char *
to_zim (const Page *page)
{
  GString *out = g_string_new ("Content-Type: text/x-zim-wiki\nWiki-Format: zim 0.6\n"
                               "Creation-Date: 2026-11-22T12:00:00+00:00\n\n");
  g_auto(GStrv) lines = g_strsplit (page->body, "\n", -1);

  g_string_append_printf (out, "====== %s ======\n", page->title);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "## "))
        g_string_append_printf (out, "===== %s =====\n", lines[i] + 3);
      else if (g_str_has_prefix (lines[i], "- "))
        g_string_append_printf (out, "* %s\n", lines[i] + 2);
      else
        g_string_append_printf (out, "%s\n", lines[i]);
    }
  return g_string_free (out, FALSE);
}

static void
write_zim_notebook (const char *root,
                    Page       *pages,
                    guint       n)
{
  g_autofree char *config = g_build_filename (root, "notebook.zim", NULL);

  write_text (config, "[Notebook]\nversion=0.4\nname=Handbook bench\ninterwiki=\nhome=Home\n"
                      "icon=\ndocument_root=\nshared=True\nendofline=unix\ndisable_trash=False\nprofile=\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/%s.txt", root, pages[i].path);
      g_autofree char *text = to_zim (&pages[i]);

      write_text (file, text);
    }
}

/* The floor: the same text in a bare FTS5 table built like Meridian's. */
static void
write_floor_db (const char *file,
                Page       *pages,
                guint       n)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_open (file, &db) != SQLITE_OK)
    g_error ("cannot open %s", file);
  if (sqlite3_exec (db, "CREATE VIRTUAL TABLE pages USING fts5 (title, body,"
                        " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
                        "BEGIN;", NULL, NULL, NULL) != SQLITE_OK
      || sqlite3_prepare_v2 (db, "INSERT INTO pages (title, body) VALUES (?, ?)", -1, &stmt, NULL) != SQLITE_OK)
    g_error ("floor: %s", sqlite3_errmsg (db));
  for (guint i = 0; i < n; i++)
    {
      sqlite3_bind_text (stmt, 1, pages[i].title, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, pages[i].body, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("floor: %s", sqlite3_errmsg (db));
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  if (sqlite3_exec (db, "COMMIT; INSERT INTO pages (pages) VALUES ('optimize');", NULL, NULL, NULL) != SQLITE_OK)
    g_error ("floor: %s", sqlite3_errmsg (db));
  sqlite3_close (db);
}

/* How many pages each query matches, from the floor's table. */
static GArray *
count_matches (const char *file,
               GPtrArray  *queries)
{
  GArray *counts = g_array_new (FALSE, FALSE, sizeof (double));
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_open (file, &db) != SQLITE_OK
      || sqlite3_prepare_v2 (db, "SELECT count(*) FROM pages WHERE pages MATCH ?", -1, &stmt, NULL) != SQLITE_OK)
    g_error ("floor: %s", sqlite3_errmsg (db));
  for (guint i = 0; i < queries->len; i++)
    {
      g_autofree char *match = mer_store_search_fts_query (queries->pdata[i]);
      double n = 0;

      sqlite3_bind_text (stmt, 1, match ? match : "\"\"", -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        n = sqlite3_column_int (stmt, 0);
      sqlite3_reset (stmt);
      g_array_append_val (counts, n);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return counts;
}

/* ---- Timing ------------------------------------------------------------- */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

typedef struct
{
  double median;
  double p95;
  double mean;
} Stats;

static Stats
stats_of (GArray *ms)
{
  Stats s = { 0, 0, 0 };
  double sum = 0;

  if (ms->len == 0)
    return s;
  g_array_sort (ms, compare_doubles);
  for (guint i = 0; i < ms->len; i++)
    sum += g_array_index (ms, double, i);
  s.mean = sum / ms->len;
  s.median = ms->len % 2 ? g_array_index (ms, double, ms->len / 2)
                         : (g_array_index (ms, double, ms->len / 2 - 1) + g_array_index (ms, double, ms->len / 2)) / 2;
  s.p95 = g_array_index (ms, double, (guint) MIN (ms->len - 1, ceil (0.95 * ms->len) - 1));
  return s;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* CPU time (user + system) of this process or of its reaped children: on a
 * shared, busy machine it says more than the wall clock does. */
static double
cpu_ms (int who)
{
  struct rusage usage;

  getrusage (who, &usage);
  return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0
         + usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

/* The CPU time of the last process time_process() ran. */
static double last_cpu;

/* Runs a program to the end, its output read and dropped; returns ms. */
static double
time_process (char      **argv,
              char      **envp,
              guint      *out_lines,
              int        *exit_status)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  double start = now_ms ();
  double cpu_start = cpu_ms (RUSAGE_CHILDREN);
  double elapsed;

  if (!g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                     &status, &error))
    g_error ("cannot run %s: %s", argv[0], error->message);
  elapsed = now_ms () - start;
  last_cpu = cpu_ms (RUSAGE_CHILDREN) - cpu_start;
  if (out_lines != NULL)
    {
      guint n = 0;

      for (const char *p = out; *p; p++)
        n += *p == '\n';
      *out_lines = n;
    }
  if (exit_status != NULL)
    *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  return elapsed;
}

static char *
sql_quote (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "'", -1);
  g_autofree char *joined = g_strjoinv ("''", parts);

  return g_strdup_printf ("'%s'", joined);
}

static void
print_stats (const char *what,
             Stats       s,
             Stats       cpu)
{
  printf ("  %-42s %9.2f %9.2f %9.2f   %9.2f %9.2f\n", what, s.median, s.p95, s.mean, cpu.median, cpu.p95);
}

/* Appends the wall time @ms and the CPU time of the last process. */
static void
add_process (GArray *wall,
             GArray *cpu,
             double  ms)
{
  g_array_append_val (wall, ms);
  g_array_append_val (cpu, last_cpu);
}


/* What the benchmark times. */
enum
{
  KIND_INPROC,   /* mer_store_search on an open replica */
  KIND_OPEN,     /* mer_store_open */
  KIND_START,    /* meridian --version */
  KIND_PROCESS,  /* meridian search */
  KIND_LEAN,     /* bench-search-lean */
  KIND_FLOOR,    /* sqlite3 shell */
  KIND_ZIM,      /* zim --search */
  KIND_SUBSET,   /* meridian search, the queries Zim ran */
  N_KINDS
};

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- the handbook benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *work = NULL;
  g_autofree char *md_dir = NULL, *zim_dir = NULL, *data_dir = NULL, *data2_dir = NULL, *floor_db = NULL;
  g_autoptr(GPtrArray) queries = NULL;
  /* Wall and CPU milliseconds of each kind of run. */
  GArray *wall[N_KINDS], *cpu[N_KINDS];
  Stats w[N_KINDS], c[N_KINDS];
  g_auto(GStrv) zim_env = NULL;
  Page *pages;
  const char *meridian;
  double t, t_cpu, import_ms, import_cpu, import_process_ms, import_process_cpu, zim_index_ms = 0, zim_index_cpu = 0;
  guint64 bytes = 0, hits_total = 0, floor_hits = 0, zim_hits = 0, zim_failed = 0;
  gboolean have_zim;

  /* Line by line, so a long run shows where it is. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-handbook: %s\n", error->message);
      return 2;
    }
  meridian = opt_meridian ? opt_meridian : g_getenv ("MERIDIAN_BIN");
  if (meridian == NULL || !g_file_test (meridian, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench-handbook: give the meridian program with --meridian or $MERIDIAN_BIN\n");
      return 2;
    }
  if (opt_pages < 1 || opt_queries < 1)
    return 2;
  for (guint k = 0; k < N_KINDS; k++)
    {
      wall[k] = g_array_new (FALSE, FALSE, sizeof (double));
      cpu[k] = g_array_new (FALSE, FALSE, sizeof (double));
    }

  work = opt_work ? g_strdup (opt_work) : g_dir_make_tmp ("meridian-bench-XXXXXX", NULL);
  g_mkdir_with_parents (work, 0755);
  md_dir = g_build_filename (work, "markdown", NULL);
  zim_dir = g_build_filename (work, "zim-notebook", NULL);
  data_dir = g_build_filename (work, "data", NULL);
  data2_dir = g_build_filename (work, "data-process", NULL);
  floor_db = g_build_filename (work, "floor.db", NULL);

  printf ("Meridian handbook benchmark (work folder %s)\n", work);
  pages = g_new0 (Page, opt_pages);
  t = now_ms ();
  generate_pages (pages, opt_pages);
  for (int i = 0; i < opt_pages; i++)
    bytes += strlen (pages[i].body);
  queries = generate_queries (opt_queries);
  write_markdown (md_dir, pages, opt_pages);
  write_floor_db (floor_db, pages, opt_pages);
  printf ("  generated %d pages, %.0f bytes of Markdown each on average, in %.1f s\n",
          opt_pages, (double) bytes / opt_pages, (now_ms () - t) / 1000);

  /* Import, in-process: open a fresh replica, one mer_import_dir(). */
  {
    g_autoptr(MerStore) store = NULL;
    g_autoptr(MerImportReport) report = mer_import_report_new ();

    t = now_ms ();
    t_cpu = cpu_ms (RUSAGE_SELF);
    store = mer_core_open_store (data_dir, &error);
    if (store == NULL || !mer_import_dir (store, md_dir, report, &error))
      g_error ("import: %s", error->message);
    import_ms = now_ms () - t;
    import_cpu = cpu_ms (RUSAGE_SELF) - t_cpu;
    if (report->created != (guint) opt_pages)
      g_error ("import created %u pages of %d", report->created, opt_pages);
  }
  /* The same as a person runs it. */
  {
    char *args[] = { (char *) meridian, "--data", data2_dir, "import", md_dir, NULL };
    int status;

    import_process_ms = time_process (args, NULL, NULL, &status);
    import_process_cpu = last_cpu;
    if (status != 0)
      g_error ("meridian import exited with %d", status);
  }
  printf ("  imported\n");

  /* In-process searches on one open replica (one warm-up pass first). */
  {
    g_autoptr(MerStore) store = mer_core_open_store (data_dir, &error);

    if (store == NULL)
      g_error ("open: %s", error->message);
    for (guint i = 0; i < queries->len; i++)
      {
        g_autoptr(GPtrArray) hits = mer_store_search (store, queries->pdata[i], 20, NULL);
      }
    for (guint i = 0; i < queries->len; i++)
      {
        g_autoptr(GPtrArray) hits = NULL;
        double ms, cms;

        t = now_ms ();
        t_cpu = cpu_ms (RUSAGE_SELF);
        hits = mer_store_search (store, queries->pdata[i], 20, &error);
        ms = now_ms () - t;
        cms = cpu_ms (RUSAGE_SELF) - t_cpu;
        if (hits == NULL)
          g_error ("search “%s”: %s", (char *) queries->pdata[i], error->message);
        hits_total += hits->len;
        g_array_append_val (wall[KIND_INPROC], ms);
        g_array_append_val (cpu[KIND_INPROC], cms);
      }
  }
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(MerStore) store = NULL;
      double ms, cms;

      t = now_ms ();
      t_cpu = cpu_ms (RUSAGE_SELF);
      store = mer_core_open_store (data_dir, &error);
      ms = now_ms () - t;
      cms = cpu_ms (RUSAGE_SELF) - t_cpu;
      if (store == NULL)
        g_error ("open: %s", error->message);
      g_array_append_val (wall[KIND_OPEN], ms);
      g_array_append_val (cpu[KIND_OPEN], cms);
    }

  /* Whole processes, taken in turns per query so that a busy machine
   * weighs on all alike: `meridian --version` (starting the program at
   * all), `meridian search`, the lean search if given, and the sqlite3
   * shell on the floor. */
  for (guint i = 0; i < queries->len; i++)
    {
      char *version_args[] = { (char *) meridian, "--version", NULL };
      char *args[] = { (char *) meridian, "--data", data_dir, "search", "--limit", "20", queries->pdata[i], NULL };
      char *lean_args[] = { opt_lean, data_dir, queries->pdata[i], NULL };
      g_autofree char *match = mer_store_search_fts_query (queries->pdata[i]);
      g_autofree char *quoted = sql_quote (match ? match : "\"\"");
      g_autofree char *sql = g_strdup_printf ("SELECT title, snippet(pages, 1, char(2), char(3), '…', 16)"
                                              " FROM pages WHERE pages MATCH %s"
                                              " ORDER BY bm25(pages, 10.0, 1.0) LIMIT 20;", quoted);
      char *floor_args[] = { "sqlite3", floor_db, sql, NULL };
      guint lines = 0;
      int status = 0;

      add_process (wall[KIND_START], cpu[KIND_START], time_process (version_args, NULL, NULL, NULL));
      add_process (wall[KIND_PROCESS], cpu[KIND_PROCESS], time_process (args, NULL, NULL, &status));
      if (status != 0)
        g_error ("meridian search “%s” exited with %d", (char *) queries->pdata[i], status);
      if (opt_lean != NULL)
        {
          add_process (wall[KIND_LEAN], cpu[KIND_LEAN], time_process (lean_args, NULL, NULL, &status));
          if (status != 0)
            g_error ("bench-search-lean exited with %d", status);
        }
      add_process (wall[KIND_FLOOR], cpu[KIND_FLOOR], time_process (floor_args, NULL, &lines, &status));
      if (status != 0)
        g_error ("sqlite3 failed on %s", sql);
      floor_hits += lines;
    }
  printf ("  searched\n");

  /* Zim: export the notebook, build its index, search a spread subset. */
  {
    g_autofree char *zim = g_find_program_in_path ("zim");

    have_zim = zim != NULL && opt_zim_queries > 0;
  }
  if (have_zim)
    {
      g_autofree char *xdg = g_build_filename (work, "zim-home", NULL);
      g_autofree char *cache = g_build_filename (xdg, "cache", NULL);
      g_autofree char *config = g_build_filename (xdg, "config", NULL);
      g_autofree char *data = g_build_filename (xdg, "data", NULL);
      g_autofree char *runtime = g_build_filename (xdg, "runtime", NULL);
      char *index_args[] = { "zim", "--index", zim_dir, NULL };
      guint n = MIN ((guint) opt_zim_queries, queries->len);
      int status;

      g_mkdir_with_parents (cache, 0700);
      g_mkdir_with_parents (config, 0700);
      g_mkdir_with_parents (data, 0700);
      g_mkdir_with_parents (runtime, 0700);
      zim_env = g_get_environ ();
      zim_env = g_environ_setenv (zim_env, "XDG_CACHE_HOME", cache, TRUE);
      zim_env = g_environ_setenv (zim_env, "XDG_CONFIG_HOME", config, TRUE);
      zim_env = g_environ_setenv (zim_env, "XDG_DATA_HOME", data, TRUE);
      zim_env = g_environ_setenv (zim_env, "XDG_RUNTIME_DIR", runtime, TRUE);

      write_zim_notebook (zim_dir, pages, opt_pages);
      zim_index_ms = time_process (index_args, zim_env, NULL, &status);
      zim_index_cpu = last_cpu;
      if (status != 0)
        g_warning ("zim --index exited with %d", status);

      for (guint k = 0; k < n; k++)
        {
          guint i = k * queries->len / n;
          char *args[] = { "zim", "--search", zim_dir, queries->pdata[i], NULL };
          guint lines = 0;

          add_process (wall[KIND_ZIM], cpu[KIND_ZIM], time_process (args, zim_env, &lines, &status));
          if (status != 0)
            zim_failed++;
          zim_hits += lines;
          g_array_append_val (wall[KIND_SUBSET], g_array_index (wall[KIND_PROCESS], double, i));
          g_array_append_val (cpu[KIND_SUBSET], g_array_index (cpu[KIND_PROCESS], double, i));
        }
    }

  for (guint k = 0; k < N_KINDS; k++)
    {
      w[k] = stats_of (wall[k]);
      c[k] = stats_of (cpu[k]);
    }

  printf ("\nImport of %d pages                           wall        cpu\n", opt_pages);
  printf ("  %-42s %8.2f s  %8.2f s\n", "in-process (open + mer_import_dir)", import_ms / 1000, import_cpu / 1000);
  printf ("  %-42s %8.2f s  %8.2f s\n", "whole process (meridian import)", import_process_ms / 1000,
          import_process_cpu / 1000);

  {
    g_autofree char *db = g_build_filename (data_dir, MER_STORE_FILE_NAME, NULL);
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    GStatBuf a = { 0 }, b = { 0 }, f = { 0 };

    g_stat (db, &a);
    g_stat (wal, &b);
    g_stat (floor_db, &f);
    printf ("  %-42s %8.1f MB (the floor's FTS5 table: %.1f MB; the text: %.1f MB)\n", "workspace size",
            (a.st_size + b.st_size) / 1e6, f.st_size / 1e6, bytes / 1e6);
  }

  printf ("\nSearch, %u queries, at most 20 results each (%.1f results on average)\n",
          queries->len, (double) hits_total / queries->len);
  {
    g_autoptr(GArray) matches = count_matches (floor_db, queries);
    Stats m = stats_of (matches);

    printf ("  pages matching a query: median %.0f, p95 %.0f, mean %.0f, most %.0f (of %d)\n", m.median, m.p95,
            m.mean, g_array_index (matches, double, matches->len - 1), opt_pages);
  }
  printf ("  %-42s %9s %9s %9s   %9s %9s\n", "milliseconds", "median", "p95", "mean", "cpu med", "cpu p95");
  print_stats ("in-process (mer_store_search)", w[KIND_INPROC], c[KIND_INPROC]);
  print_stats ("store open, in-process (20 opens)", w[KIND_OPEN], c[KIND_OPEN]);
  print_stats ("process start (meridian --version)", w[KIND_START], c[KIND_START]);
  print_stats ("whole process (meridian search)", w[KIND_PROCESS], c[KIND_PROCESS]);
  print_stats ("sqlite3 shell, plain FTS5 (the floor)", w[KIND_FLOOR], c[KIND_FLOOR]);
  if (opt_lean != NULL)
    print_stats ("search linked with replica libraries only", w[KIND_LEAN], c[KIND_LEAN]);
  printf ("  (the floor printed %.1f output lines per query)\n", (double) floor_hits / queries->len);
  if (have_zim)
    {
      printf ("\nZim Desktop Wiki (zim --index, then zim --search)\n");
      printf ("  %-42s %8.2f s  (cpu %.2f s)\n", "index build (zim --index)", zim_index_ms / 1000, zim_index_cpu / 1000);
      print_stats ("zim --search", w[KIND_ZIM], c[KIND_ZIM]);
      print_stats ("meridian search, same queries", w[KIND_SUBSET], c[KIND_SUBSET]);
      printf ("  (%u of the %u queries, spread evenly; %.1f result lines (pages) per query; %" G_GUINT64_FORMAT " failed)\n",
              wall[KIND_ZIM]->len, queries->len, (double) zim_hits / MAX (wall[KIND_ZIM]->len, 1), zim_failed);
    }
  else
    printf ("\nZim Desktop Wiki: not run (%s)\n", opt_zim_queries > 0 ? "zim is not installed" : "--zim-queries 0");

  printf ("\nTargets                                          wall          cpu\n");
  printf ("  import under 3 s                           %8.2f s   %8.2f s    %s\n", import_ms / 1000,
          import_cpu / 1000, import_ms < 3000 ? "met" : import_cpu < 3000 ? "met in cpu time only" : "MISSED");
  printf ("  in-process median under 5 ms               %8.2f ms  %8.2f ms   %s\n", w[KIND_INPROC].median,
          c[KIND_INPROC].median, w[KIND_INPROC].median < 5 ? "met" : "MISSED");
  printf ("  whole process / sqlite3 floor <= 2 (median) %7.2f x   %8.2f x    %s\n",
          w[KIND_PROCESS].median / w[KIND_FLOOR].median, c[KIND_PROCESS].median / c[KIND_FLOOR].median,
          w[KIND_PROCESS].median <= 2 * w[KIND_FLOOR].median ? "met" : "MISSED");
  if (opt_lean != NULL)
    printf ("  (diagnostic) lean search process / floor   %7.2f x   %8.2f x\n",
            w[KIND_LEAN].median / w[KIND_FLOOR].median, c[KIND_LEAN].median / c[KIND_FLOOR].median);
  if (have_zim)
    printf ("  Zim / Meridian whole process >= 20 (median) %7.0f x   %8.0f x    %s\n",
            w[KIND_ZIM].median / w[KIND_SUBSET].median, c[KIND_ZIM].median / MAX (c[KIND_SUBSET].median, 0.001),
            w[KIND_ZIM].median >= 20 * w[KIND_SUBSET].median ? "met" : "MISSED");

  for (guint k = 0; k < N_KINDS; k++)
    {
      g_array_unref (wall[k]);
      g_array_unref (cpu[k]);
    }
  for (int i = 0; i < opt_pages; i++)
    page_clear (&pages[i]);
  g_free (pages);
  if (!opt_keep && opt_work == NULL)
    mer_test_rm_rf (work);
  return 0;
}
