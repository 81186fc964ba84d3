#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the demo workspace against the data contract.

Usage: check-demo.py DEMO_DIR

The handbook pages (DEMO_DIR/handbook/**.md with YAML front matter) and the
records (DEMO_DIR/records.json) are what a new user sees first, so a broken
wiki link, a comment on a proposal that does not exist or a focus range
outside working hours is a bug.  Prints TAP.
"""

import datetime
import json
import os
import re
import sys

try:
    import zoneinfo
except ImportError:  # Python < 3.9
    zoneinfo = None

DEMO_TODAY = datetime.date(2026, 11, 22)
ZONES = {
    "person:aroha": "Pacific/Auckland",
    "person:bishal": "Asia/Kathmandu",
    "person:priya": "Asia/Kolkata",
    "person:jonas": "Europe/Berlin",
    "person:camila": "America/Sao_Paulo",
    "person:maya": "America/Los_Angeles",
}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RELATIVE_TIME = re.compile(r"^@now(?:[+-](?:\d+[wdhms])+)*$")
RELATIVE_DATE = re.compile(r"^@today(?:[+-](?:\d+[wd])+)*$")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
WIKI_LINK = re.compile(r"\[\[([^\[\]]+?)\]\]")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")

results = []


def check(ok, what):
    results.append((bool(ok), what))
    return ok


def parse_front_matter(text):
    """Returns (front matter dict, body); a tiny YAML subset is enough
    when PyYAML is missing: scalars, quoted strings, [a, b] and - lists."""
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---\n", 4)
    if end < 0:
        return None, text
    block, body = text[4:end], text[end + 5:]
    try:
        import yaml
        return yaml.safe_load(block), body
    except ImportError:
        pass
    data, key = {}, None
    for line in block.splitlines():
        if line.strip().startswith("- ") and key is not None:
            data.setdefault(key, []).append(line.strip()[2:].strip().strip("\"'"))
            continue
        k, _, v = line.partition(":")
        key, v = k.strip(), v.strip()
        if v.startswith("[") and v.endswith("]"):
            data[key] = [x.strip().strip("\"'") for x in v[1:-1].split(",") if x.strip()]
        elif v in ("", "null", "~"):
            data[key] = [] if v == "" else None
        else:
            data[key] = v.strip("\"'")
    return data, body


def is_time(value):
    return isinstance(value, str) and (RFC3339.match(value) or RELATIVE_TIME.match(value))


def is_date(value):
    return isinstance(value, str) and (DATE.match(value) or RELATIVE_DATE.match(value))


def minutes(clock):
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def check_ranges(person_id, field, week):
    if not check(isinstance(week, dict) and set(week) == set(DAYS),
                 f"{person_id}: {field} maps all seven weekdays"):
        return {}
    spans = {}
    for day in DAYS:
        spans[day] = []
        for r in week[day]:
            ok = (isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) and CLOCK.match(x) for x in r)
                  and minutes(r[0]) < minutes(r[1]))
            check(ok, f"{person_id}: {field}.{day} range {r} is [HH:MM, HH:MM] with start < end")
            if ok:
                spans[day].append((minutes(r[0]), minutes(r[1])))
    return spans


def main():
    if len(sys.argv) != 2:
        print("usage: check-demo.py DEMO_DIR", file=sys.stderr)
        return 2
    demo = sys.argv[1]
    handbook = os.path.join(demo, "handbook")

    # Records first: pages name their owners.
    with open(os.path.join(demo, "records.json"), encoding="utf-8") as f:
        records = json.load(f)
    check(isinstance(records, list), "records.json is a JSON array")
    by_id = {}
    for doc in records:
        doc_id = doc.get("_id", "")
        check(doc_id not in by_id, f"{doc_id}: id is unique")
        by_id[doc_id] = doc
        check(isinstance(doc.get("type"), str) and doc_id.startswith(doc["type"] + ":"),
              f"{doc_id}: id starts with its type")
        check("_rev" not in doc, f"{doc_id}: has no _rev")
    by_type = {}
    for doc in records:
        by_type.setdefault(doc["type"], []).append(doc)

    # Pages.
    pages = {}
    for dirpath, _dirs, files in os.walk(handbook):
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            full = os.path.join(dirpath, name)
            path = os.path.relpath(full, handbook)[:-3].replace(os.sep, "/")
            with open(full, encoding="utf-8") as f:
                text = f.read()
            fm, body = parse_front_matter(text)
            if not check(isinstance(fm, dict), f"{path}: has a front matter block"):
                continue
            pages[path] = (fm, body)

    check(len(pages) >= 18, f"at least 18 handbook pages ({len(pages)})")
    titles = {}
    for path, (fm, _body) in pages.items():
        titles[str(fm.get("title", "")).casefold()] = path
    paths = {p.casefold(): p for p in pages}

    overdue = later = 0
    forms = set()
    for path, (fm, body) in sorted(pages.items()):
        check(isinstance(fm.get("title"), str) and fm["title"], f"{path}: title")
        owner = fm.get("owner")
        check(owner in ZONES, f"{path}: owner {owner} is a demo person")
        check(fm.get("updated_by") in ZONES, f"{path}: updated_by is a demo person")
        tags = fm.get("tags")
        check(isinstance(tags, list) and tags and all(isinstance(t, str) for t in tags), f"{path}: tags")
        review = fm.get("review_by")
        if isinstance(review, datetime.date):
            review = review.isoformat()
        if check(review is None or (isinstance(review, str) and DATE.match(review)),
                 f"{path}: review_by is YYYY-MM-DD or null"):
            if review is not None and datetime.date.fromisoformat(review) < DEMO_TODAY:
                overdue += 1
            elif review is not None and review >= "2027":
                later += 1
        words = len(WORD.findall(body))
        check(300 <= words <= 900, f"{path}: 300-900 words ({words})")
        links = WIKI_LINK.findall(body)
        check(links, f"{path}: links to other pages")
        for inner in links:
            target = inner.split("|", 1)[0].split("#", 1)[0].strip()
            forms.add("label" if "|" in inner else "plain")
            check(target.casefold() in titles or target.casefold() in paths,
                  f"{path}: [[{inner}]] resolves")
    check(overdue >= 3, f"at least three overdue reviews ({overdue})")
    check(later >= 3, f"at least three reviews due in 2027 or later ({later})")
    check(forms == {"label", "plain"}, "both [[Title]] and [[path|label]] forms are used")

    def page_exists(page_id):
        return isinstance(page_id, str) and page_id.startswith("page:") and page_id[5:] in pages

    # People.
    people = by_type.get("person", [])
    check(sorted(p["_id"] for p in people) == sorted(ZONES), "the six demo people")
    for p in people:
        pid = p["_id"]
        check(p.get("tz") == ZONES.get(pid), f"{pid}: time zone {p.get('tz')}")
        if zoneinfo is not None:
            try:
                zoneinfo.ZoneInfo(p["tz"])
                check(True, f"{pid}: zone exists")
            except Exception:
                check(False, f"{pid}: zone exists")
        check(isinstance(p.get("name"), str) and p["name"], f"{pid}: name")
        check(isinstance(p.get("status_note"), str), f"{pid}: status_note")
        check(p.get("focus_until") is None or is_time(p["focus_until"]), f"{pid}: focus_until")
        work = check_ranges(pid, "work", p.get("work"))
        focus = check_ranges(pid, "focus", p.get("focus"))
        for day, spans in focus.items():
            for a, b in spans:
                check(any(wa <= a and b <= wb for wa, wb in work.get(day, [])),
                      f"{pid}: focus {day} {a}-{b} lies inside working hours")
        for away in p.get("away", []):
            check(is_date(away.get("from")) and is_date(away.get("to")), f"{pid}: away dates")
    check(any(p.get("away") for p in people), "someone has an away period")

    # Proposals and their comments.
    proposals = by_type.get("proposal", [])
    check(sorted(p.get("status") for p in proposals) == ["accepted", "open", "rejected"],
          "three proposals: open, accepted, rejected")
    sections = ["context", "proposal", "options", "risks", "owner", "asked", "deadline"]
    for p in proposals:
        pid = p["_id"]
        for key in ("author", "owner"):
            check(p.get(key) in ZONES, f"{pid}: {key} is a person")
        check(all(r in ZONES for r in p.get("required", [])) and p.get("required"), f"{pid}: required people")
        check(is_time(p.get("opened_at")) and is_time(p.get("deadline")), f"{pid}: opened_at and deadline")
        body = p.get("body", "")
        heads = " ".join(re.findall(r"^#+ (.*)$", body, re.M)).lower()
        check(all(s in heads for s in sections), f"{pid}: body has the template sections")
        check(len(WORD.findall(body)) >= 300, f"{pid}: body is long-form")
        check(p.get("page") is None or page_exists(p["page"]), f"{pid}: page exists")
        check((p.get("page") is None) == (p.get("page_body") is None), f"{pid}: page and page_body together")
        if p["status"] == "open":
            check(p.get("outcome") is None and p.get("decision") is None, f"{pid}: open has no outcome")
            check(p.get("opened_at", "").startswith("@now") and p.get("deadline", "").startswith("@now"),
                  f"{pid}: open proposal uses relative times")
            check(page_exists(p.get("page")), f"{pid}: open proposal targets a page")
        else:
            o = p.get("outcome") or {}
            check(isinstance(o.get("summary"), str) and is_time(o.get("decided_at")) and o.get("decided_by") in ZONES,
                  f"{pid}: outcome")
        if p.get("decision") is not None:
            d = by_id.get(p["decision"])
            check(d is not None and d.get("proposal") == pid, f"{pid}: decision links back")

    comments = by_type.get("comment", [])
    for c in comments:
        cid = c["_id"]
        check(c.get("on") in by_id, f"{cid}: on an existing document")
        check(c.get("author") in ZONES, f"{cid}: author")
        check(is_time(c.get("created_at")), f"{cid}: created_at")
        check(c.get("stance") in (None, "agree", "concern", "object"), f"{cid}: stance")
        if c.get("reply_to") is not None:
            parent = by_id.get(c["reply_to"])
            check(parent is not None and parent.get("on") == c.get("on"), f"{cid}: reply in the same thread")
    open_ids = [p["_id"] for p in proposals if p["status"] == "open"]
    on_open = [c for c in comments if c.get("on") in open_ids]
    check(len({c["author"] for c in on_open}) >= 3, "the open proposal has comments from several people")
    check(any(c.get("reply_to") for c in on_open), "the open proposal has a threaded reply")
    check(len({c["stance"] for c in on_open if c.get("stance")}) >= 2, "comments carry different stances")

    # Decisions.
    decisions = by_type.get("decision", [])
    check(len(decisions) == 4, "four decisions")
    for d in decisions:
        did = d["_id"]
        for key in ("title", "context", "decision", "consequences"):
            check(isinstance(d.get(key), str) and d[key], f"{did}: {key}")
        check(d.get("owner") in ZONES and d.get("deciders") and all(x in ZONES for x in d["deciders"]),
              f"{did}: owner and deciders")
        check(is_time(d.get("decided_at")), f"{did}: decided_at")
        check(all(page_exists(x) for x in d.get("pages", [])), f"{did}: pages exist")
        if d.get("supersedes"):
            old = by_id.get(d["supersedes"])
            check(old is not None and old.get("superseded_by") == did and old.get("status") == "superseded",
                  f"{did}: supersedes {d['supersedes']} which points back")
        if d.get("superseded_by"):
            check(d.get("status") == "superseded", f"{did}: superseded status")
        if d.get("proposal"):
            p = by_id.get(d["proposal"])
            check(p is not None and p.get("decision") == did, f"{did}: proposal links back")
    check(any(d.get("supersedes") for d in decisions), "one decision supersedes another")

    for s in by_type.get("seen", []):
        check(s["_id"] == f"seen:{s.get('person')}:{s.get('doc')}" and (s.get("doc") in by_id or page_exists(s.get("doc"))) and is_time(s.get("at")),
              f"{s['_id']}: seen document")

    print(f"1..{len(results)}")
    failed = 0
    for n, (ok, what) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} {what}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
