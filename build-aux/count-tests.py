#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Counts test cases, not test programs, from meson's test log: each TAP
# line of a TAP test is one case; a test program without TAP output counts
# as one. Prints "tests: N passed, N failed, N skipped" and exits 1 when
# any case or program failed.
import json
import re
import sys

passed = failed = skipped = 0
ok_line = re.compile(r'^(not )?ok\b[^#]*(#\s*(SKIP|TODO)\b)?', re.IGNORECASE)

unreadable = 0
try:
    with open(sys.argv[1], encoding='utf-8') as log:
        entries = []
        for number, line in enumerate(log, 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except ValueError:
                # A log written over by another run: say so, count it as
                # a failure, and still count what can be read.
                print(f'count-tests: line {number} of {sys.argv[1]} is not JSON', file=sys.stderr)
                unreadable += 1
except OSError as e:
    print(f'count-tests: {e}', file=sys.stderr)
    print('tests: 0 passed, 1 failed')
    sys.exit(1)

for entry in entries:
    result = entry.get('result', '')
    cases = 0
    for line in (entry.get('stdout') or '').splitlines():
        m = ok_line.match(line.strip())
        if not m:
            continue
        cases += 1
        if m.group(3):
            skipped += 1
        elif m.group(1):
            failed += 1
        else:
            passed += 1
    if cases == 0:
        if result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result == 'SKIP':
            skipped += 1
        else:
            failed += 1
    elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL'):
        # The program crashed or timed out after its last reported case.
        failed += 1

# Why each failing program failed, in a few lines, so that a log which
# keeps only its end (a CI summary) still says which case broke and how.
why = re.compile(r'Bail out!|ERROR:|CRITICAL|assertion|^not ok', re.IGNORECASE)
for entry in entries:
    if entry.get('result', '') in ('OK', 'SKIP', 'EXPECTEDFAIL'):
        continue
    lines = (entry.get('stdout') or '').splitlines() + (entry.get('stderr') or '').splitlines()
    last_ok = [line for line in lines if line.startswith('ok ')][-1:]
    reasons = [line for line in lines if why.search(line)]
    print(f'failed: {entry.get("name", "?")} ({entry.get("result", "?")})')
    for line in last_ok + list(dict.fromkeys(reasons))[:6]:
        print(f'  {line[:300]}')

failed += unreadable
print(f'tests: {passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
