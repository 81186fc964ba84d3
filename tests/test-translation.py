#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The window in German: the app runs with LANGUAGE=de and LANG=de_DE.UTF-8
# on the translations built in the build folder, and the labels, buttons and
# section names it shows, read through AT-SPI (run under run-gui-test), are
# the German ones. A screenshot of the German window is left in the build's
# meson-logs for a person to look at.
#
# Prints TAP. MERIDIAN_BIN names the program, MERIDIAN_BUILD_DIR the build.

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, Gio, GLib  # noqa: E402

tap_count = 0
failures = 0


def ok(condition, description, detail=None):
    global tap_count, failures
    tap_count += 1
    print('%s %d - %s' % ('ok' if condition else 'not ok', tap_count, description))
    if not condition:
        failures += 1
        for line in str(detail or '').splitlines():
            print('#   ' + line)
    sys.stdout.flush()
    return condition


def pump(seconds):
    context = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while context.iteration(False):
            pass
        time.sleep(0.02)


def safe(call, default=None):
    try:
        return call()
    except GLib.Error:
        return default


def children(obj):
    for i in range(safe(obj.get_child_count, 0) or 0):
        child = safe(lambda: obj.get_child_at_index(i))
        if child is not None:
            yield child


def walk(obj, depth=0):
    yield obj
    if depth > 60 or safe(obj.get_role) == Atspi.Role.DOCUMENT_WEB:
        return
    for child in children(obj):
        yield from walk(child, depth + 1)


def wait_for(predicate, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = safe(predicate)
        if value:
            return value
        pump(0.2)
    return None


def find_named(frame, text):
    for obj in walk(frame):
        if safe(obj.get_name, '') == text:
            return obj
    return None


def names(frame):
    """Every name and description under frame, by role."""
    found = {}
    for obj in walk(frame):
        role = safe(obj.get_role_name, '')
        for text in (safe(obj.get_name, ''), safe(obj.get_description, '')):
            if text:
                found.setdefault(text, set()).add(role)
    return found


def main():
    # No "TAP version" line: it must be the first line of the output, and
    # a service the session bus starts (the AT-SPI registry) may write to
    # the same output first.
    build = os.environ['MERIDIAN_BUILD_DIR']
    tmp = tempfile.mkdtemp(prefix='meridian-de-')
    env = dict(os.environ)
    env.pop('NO_AT_BRIDGE', None)
    env.pop('LC_ALL', None)
    env.pop('LC_MESSAGES', None)
    env.update({'LANGUAGE': 'de', 'LANG': 'de_DE.UTF-8', 'GTK_A11Y': 'atspi',
                'MERIDIAN_LOCALEDIR': os.path.join(build, 'po')})
    for var in ('XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'):
        env[var] = os.path.join(tmp, var.lower())
        os.makedirs(env[var], exist_ok=True)

    ok(os.path.exists(os.path.join(build, 'po', 'de', 'LC_MESSAGES', 'meridian.mo')),
       'the German catalogue is built')
    locales = subprocess.run(['locale', '-a'], capture_output=True, text=True).stdout.lower()
    ok('de_de.utf8' in locales, 'the de_DE.UTF-8 locale is installed', 'run build-aux/setup.sh --tests')

    # The registry the session bus starts synthesises keys on this display.
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    display = {'DISPLAY': os.environ.get('DISPLAY', '')}
    if os.environ.get('XAUTHORITY'):
        display['XAUTHORITY'] = os.environ['XAUTHORITY']
    bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                  'UpdateActivationEnvironment', GLib.Variant('(a{ss})', (display,)),
                  None, Gio.DBusCallFlags.NONE, -1, None)
    Atspi.init()
    log = open(os.path.join(tmp, 'app.log'), 'w')
    app_process = subprocess.Popen([os.environ['MERIDIAN_BIN'], '--data', os.path.join(tmp, 'workspace')],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        run(app_process, build)
    finally:
        app_process.send_signal(signal.SIGTERM)
        try:
            app_process.wait(10)
        except subprocess.TimeoutExpired:
            app_process.kill()
            app_process.wait()
        if failures:
            with open(os.path.join(tmp, 'app.log')) as f:
                for line in f.read().splitlines()[-20:]:
                    print('# app: ' + line)
        shutil.rmtree(tmp, ignore_errors=True)
    print('1..%d' % tap_count)
    return 1 if failures else 0


def run(app_process, build):
    def find_app():
        for app in children(Atspi.get_desktop(0)):
            if safe(app.get_process_id) == app_process.pid:
                return app
        return None

    app = wait_for(find_app, 60)
    if not ok(app is not None, 'the app is on the accessibility bus'):
        return
    app.set_cache_mask(Atspi.Cache.NONE)
    frame = wait_for(lambda: next((c for c in children(app) if safe(c.get_role) == Atspi.Role.FRAME), None), 60)
    if not ok(frame is not None, 'the window is there'):
        return
    # The sections and the page tree come once the first page is drawn.
    wait_for(lambda: 'Entscheidungen' in names(frame), 60)
    pump(2)
    shown = names(frame)

    expected = {
        # The sidebar's sections.
        'Handbuch': 'list item', 'Vorschläge': 'list item', 'Entscheidungen': 'list item',
        # The header's buttons, by their accessible names.
        'Neue Seite': 'push button', 'Hauptmenü': 'push button', 'Seite bearbeiten': 'push button',
        'Suche': 'push button',
        # Labels.
        'Seiten': 'label', 'Entscheidungsprotokoll': 'label',
    }
    for text, role in expected.items():
        ok(text in shown and role in shown[text], 'the window shows “%s” (%s)' % (text, role),
           'roles: %s' % sorted(shown.get(text, [])))
    # (The demo's pages are English content: "Handbook" is one of its folders.)
    for english in ('Proposals', 'Decisions', 'New page', 'Main menu', 'Pages', 'Decision Log'):
        ok(english not in shown, 'no English “%s” is left' % english, 'roles: %s' % sorted(shown.get(english, [])))
    # The window title is the page's title, then the app's name.
    ok(safe(frame.get_name, '').endswith('Meridian'), 'the window title ends in the app name')

    logs = os.environ.get('MERIDIAN_TEST_LOG_DIR', os.path.join(build, 'meson-logs'))
    os.makedirs(logs, exist_ok=True)

    def screenshot(name):
        png = os.path.join(logs, name)
        shot = subprocess.run(['import', '-window', 'root', png], capture_output=True, text=True)
        ok(shot.returncode == 0 and os.path.getsize(png) > 10000, 'a screenshot is saved: %s' % name,
           shot.stderr)
        print('# screenshot: %s' % png)

    screenshot('translation-de.png')

    # The other sections, reached with the keyboard: F6 to the sidebar, Down, Enter.
    def key(keysym):
        Atspi.generate_keyboard_event(keysym, None, Atspi.KeySynthType.SYM)
        pump(0.4)

    key(0xffc3)  # F6
    for title, shot_name, word in (('Vorschläge', 'translation-de-proposals.png', 'Kein Vorschlag ausgewählt'),
                                   ('Entscheidungen', 'translation-de-decisions.png', 'Keine Entscheidung ausgewählt'),
                                   ('Team', 'translation-de-team.png', 'Fokus')):
        key(0xff54)  # Down
        key(0xff0d)  # Return
        ok(wait_for(lambda: safe(frame.get_name, '').startswith(title + ' '), 10),
           'the %s section opens' % title, 'window: %s' % safe(frame.get_name, ''))
        pump(1.5)
        ok(word in names(frame), 'it shows “%s”' % word)
        # Longer German labels must not push the view past the window's edge.
        shown_obj = find_named(frame, word)
        box = safe(lambda: shown_obj.get_extents(Atspi.CoordType.WINDOW)) if shown_obj else None
        width = safe(lambda: frame.get_extents(Atspi.CoordType.WINDOW)).width
        ok(box is not None and box.width > 0 and box.x + box.width <= width,
           '“%s” lies inside the window' % word,
           'box: %s' % (((box.x, box.width, width),) if box else None))
        screenshot(shot_name)


if __name__ == '__main__':
    sys.exit(main())
