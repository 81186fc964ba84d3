#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The main window as a screen reader and a keyboard user meet it, through
# AT-SPI on the test's private accessibility bus (run under run-gui-test):
# every button, toggle button and list row has a name a screen reader can
# say, and the sidebar, the page, search, the proposals and the team views
# are reached and used with the keyboard alone (F6, Tab, arrows, Enter,
# Escape), the focus moving each time to something shown on screen.
#
# Prints TAP. Usage: test-a11y.py (MERIDIAN_BIN names the program).

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, Gio, GLib  # noqa: E402

# Keysyms (X11 keysymdef.h).
KEY_TAB = 0xff09
KEY_RETURN = 0xff0d
KEY_ESCAPE = 0xff1b
KEY_UP = 0xff52
KEY_DOWN = 0xff54
KEY_F6 = 0xffc3

# Objects that are read as one thing and must have a name of their own.
NAMED_ROLES = {
    Atspi.Role.PUSH_BUTTON, Atspi.Role.TOGGLE_BUTTON, Atspi.Role.LIST_ITEM,
    Atspi.Role.CHECK_BOX, Atspi.Role.RADIO_BUTTON, Atspi.Role.COMBO_BOX,
}
# GTK 4.8 gives an unnamed object its class's name ("GtkImage"); that is
# no name to a person.
TYPE_NAME = re.compile(r'^(Gtk|Adw|Mer|WebKit|Gdk)[A-Za-z]*$')

tap_count = 0
failures = 0
found = []


def ok(condition, description, detail=None):
    global tap_count, failures
    tap_count += 1
    if condition:
        print('ok %d - %s' % (tap_count, description))
    else:
        failures += 1
        print('not ok %d - %s' % (tap_count, description))
        if detail:
            for line in str(detail).splitlines():
                print('#   ' + line)
    sys.stdout.flush()
    return condition


def diag(text):
    print('# ' + text)
    sys.stdout.flush()


def pump(seconds):
    """Lets AT-SPI events and replies arrive for a while."""
    context = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while context.iteration(False):
            pass
        time.sleep(0.02)


def wait_for(predicate, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            value = predicate()
        except GLib.Error:
            value = None
        if value:
            return value
        pump(0.1)
    return None


def safe(call, default=None):
    try:
        return call()
    except GLib.Error:
        return default


def name_of(obj):
    name = safe(obj.get_name, '') or ''
    return '' if TYPE_NAME.match(name) else name


def states(obj):
    return safe(obj.get_state_set)


def has_state(obj, state):
    state_set = states(obj)
    return state_set is not None and state_set.contains(state)


def children(obj):
    count = safe(obj.get_child_count, 0) or 0
    for i in range(count):
        child = safe(lambda: obj.get_child_at_index(i))
        if child is not None:
            yield child


def walk(obj, depth=0):
    """Every object below obj, stopping at the web views' documents (the
    page's own text is WebKit's tree, not the app's widgets)."""
    yield obj
    if depth > 60:
        return
    if safe(obj.get_role) in (Atspi.Role.DOCUMENT_WEB, Atspi.Role.DOCUMENT_FRAME):
        return
    for child in children(obj):
        yield from walk(child, depth + 1)


def find(root, predicate):
    for obj in walk(root):
        if predicate(obj):
            return obj
    return None


def ancestors(obj):
    while obj is not None:
        yield obj
        obj = safe(obj.get_parent)


def describe(obj):
    path = []
    for a in ancestors(obj):
        role = safe(a.get_role_name, '?')
        name = safe(a.get_name, '') or ''
        path.append('%s "%s"' % (role, name[:40]))
        if len(path) > 6:
            break
    return ' < '.join(path)


def is_showing(obj):
    # GTK 4.8 marks only windows SHOWING; VISIBLE follows the widget.
    return has_state(obj, Atspi.StateType.VISIBLE)


class Focus:
    """Follows the focus through AT-SPI's focus events."""

    def __init__(self):
        self.current = None
        self.listener = Atspi.EventListener.new(self._event)
        self.listener.register('object:state-changed:focused')

    def _event(self, event):
        if event.detail1 == 1:
            self.current = event.source

    def get(self):
        pump(0.05)
        if self.current is not None and has_state(self.current, Atspi.StateType.FOCUSED):
            return self.current
        return None


def press(keysym, times=1, settle=0.35):
    for _ in range(times):
        Atspi.generate_keyboard_event(keysym, None, Atspi.KeySynthType.SYM)
        pump(0.08)
    pump(settle)


# X modifier masks.
SHIFT_MASK = 1 << 0
CONTROL_MASK = 1 << 2


def press_with(modifiers, keysym):
    """A key with modifiers held (Ctrl+comma, Shift+Tab)."""
    Atspi.generate_keyboard_event(modifiers, None, Atspi.KeySynthType.LOCKMODIFIERS)
    press(keysym, settle=0.1)
    Atspi.generate_keyboard_event(modifiers, None, Atspi.KeySynthType.UNLOCKMODIFIERS)
    pump(0.3)


def type_text(text):
    Atspi.generate_keyboard_event(0, text, Atspi.KeySynthType.STRING)
    pump(0.5)


def within(obj, container):
    for a in ancestors(obj):
        if a == container:
            return True
    return False


def focus_visible(obj, frame):
    """The focused object is shown and lies inside the window.  Inside a
    web view, WebKit reports the document's own objects with no size of
    their own: the web view's box (at most three levels up) stands in."""
    if obj is None or not is_showing(obj):
        return False
    frame_box = safe(lambda: frame.get_extents(Atspi.CoordType.WINDOW))
    if frame_box is None:
        return False
    for level, a in enumerate(ancestors(obj)):
        if level > 3:
            return False
        box = safe(lambda: a.get_extents(Atspi.CoordType.WINDOW))
        if box is None:
            return False
        if box.width > 0 and box.height > 0:
            if level > 0 and safe(a.get_role) != Atspi.Role.FILLER:
                return False
            return (box.x >= frame_box.x - 1 and box.y >= frame_box.y - 1
                    and box.x + box.width <= frame_box.x + frame_box.width + 1
                    and box.y + box.height <= frame_box.y + frame_box.height + 1)
    return False


def start_app(tmp):
    env = dict(os.environ)
    # The test environment turns the accessibility bridge off for the other
    # window tests; this one is about it.
    env.pop('NO_AT_BRIDGE', None)
    env['GTK_A11Y'] = 'atspi'
    for var in ('XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'):
        env[var] = os.path.join(tmp, var.lower())
        os.makedirs(env[var], exist_ok=True)
    env.setdefault('GSETTINGS_BACKEND', 'memory')
    log = open(os.path.join(tmp, 'app.log'), 'w')
    return subprocess.Popen([os.environ['MERIDIAN_BIN'], '--data', os.path.join(tmp, 'workspace')],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def find_app(pid):
    desktop = Atspi.get_desktop(0)
    for app in children(desktop):
        if safe(app.get_process_id) == pid:
            return app
    return None


def main_frame(app):
    for child in children(app):
        if safe(child.get_role) == Atspi.Role.FRAME and name_of(child).endswith('Meridian'):
            return child
    return None


def check_names(frame, where):
    """Every button, toggle, row and drop-down under frame is named."""
    unnamed = []
    mnemonic = []
    checked = 0
    for obj in walk(frame):
        role = safe(obj.get_role)
        if role not in NAMED_ROLES:
            continue
        checked += 1
        name = name_of(obj)
        if name.strip() == '':
            unnamed.append(describe(obj))
        elif re.search(r'(^|\s)_\w', name):
            mnemonic.append('"%s": %s' % (name, describe(obj)))
    diag('%s: %d buttons, toggles, rows and drop-downs' % (where, checked))
    ok(checked > 0 and not unnamed, '%s: every button, toggle and row has a name' % where,
       '\n'.join(unnamed[:40]))
    ok(not mnemonic, '%s: no name shows a raw mnemonic underscore' % where, '\n'.join(mnemonic[:20]))
    found.extend(unnamed)
    found.extend(mnemonic)


def main():
    # No "TAP version" line: it must be the first line of the output, and
    # a service the session bus starts (the AT-SPI registry) may write to
    # the same output first.
    # The accessibility bus and its registry are started by the session bus
    # on demand; the registry synthesises keys through the X display, so the
    # services the bus starts must know it.
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    environment = {'DISPLAY': os.environ.get('DISPLAY', '')}
    if os.environ.get('XAUTHORITY'):
        environment['XAUTHORITY'] = os.environ['XAUTHORITY']
    bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                  'UpdateActivationEnvironment', GLib.Variant('(a{ss})', (environment,)),
                  None, Gio.DBusCallFlags.NONE, -1, None)
    Atspi.init()

    tmp = tempfile.mkdtemp(prefix='meridian-a11y-')
    app_process = start_app(tmp)
    try:
        run(app_process)
    finally:
        app_process.send_signal(signal.SIGTERM)
        try:
            app_process.wait(10)
        except subprocess.TimeoutExpired:
            app_process.kill()
            app_process.wait()
        if failures:
            with open(os.path.join(tmp, 'app.log')) as log:
                for line in log.read().splitlines()[-30:]:
                    diag('app: ' + line)
        shutil.rmtree(tmp, ignore_errors=True)
    if found:
        diag('found: %d problems' % len(found))
    print('1..%d' % tap_count)
    return 1 if failures else 0


def run(app_process):
    app = wait_for(lambda: find_app(app_process.pid), 60)
    if not ok(app is not None, 'the app is on the accessibility bus'):
        return
    frame = wait_for(lambda: main_frame(app), 60)
    if not ok(frame is not None, 'the main window is there'):
        return
    # GTK's objects change under the test: read every state afresh.
    app.set_cache_mask(Atspi.Cache.NONE)
    focus = Focus()

    def named(role, name, root=frame):
        return find(root, lambda o: safe(o.get_role) == role and name_of(o) == name)

    sections = wait_for(lambda: named(Atspi.Role.LIST, 'Sections'))
    pages = wait_for(lambda: named(Atspi.Role.LIST, 'Pages'))
    ok(sections is not None and pages is not None, 'the sidebar lists sections and pages')
    # The page tree and the other sections arrive after the first page.
    ok(wait_for(lambda: len(list(children(sections))) >= 4 and len(list(children(pages))) >= 3),
       'the sections and the page tree are filled')
    pump(2)

    check_names(frame, 'main window')

    def focused():
        return wait_for(focus.get, 3)

    def focus_name():
        f = focused()
        return name_of(f) if f is not None else None

    def step(description, predicate):
        # Waits a little for the focus to settle where it is expected.
        f = wait_for(lambda: (lambda g: g if g is not None and predicate(g) else None)(focus.get()), 4)
        if f is None:
            f = focused()
        good = f is not None and predicate(f)
        ok(good, description, 'focus on: %s' % (describe(f) if f is not None else 'nothing'))
        window = next((a for a in ancestors(f) if safe(a.get_role) in (Atspi.Role.FRAME, Atspi.Role.DIALOG,
                                                                         Atspi.Role.WINDOW)
                       and safe(a.get_parent) == app), frame) if f is not None else frame
        ok(focus_visible(f, window), description + ': the focus is on screen')
        return good

    def section_row(name):
        return find(sections, lambda o: safe(o.get_role) == Atspi.Role.LIST_ITEM and name_of(o) == name)

    def section_shown(title):
        # The window's title says which section is shown; the handbook's is
        # that of its page, so it is no other section's.
        if title == 'Handbook':
            others = ('Proposals ', 'Decisions ', 'Team ')
            return wait_for(lambda: not name_of(frame).startswith(others), 5)
        return wait_for(lambda: name_of(frame).startswith(title + ' '), 5)

    # F6 moves between the panes: sidebar, content, search.
    press(KEY_F6)
    step('F6 puts the focus in the sidebar', lambda f: within(f, sections) or within(f, pages))
    press(KEY_F6)
    step('F6 again puts it in the content',
         lambda f: not within(f, sections) and not within(f, pages)
         and safe(f.get_role) != Atspi.Role.ENTRY)
    press(KEY_F6)
    search_entry = None

    def search_open():
        return find(frame, lambda o: safe(o.get_role) == Atspi.Role.DIALOG and is_showing(o)) is not None

    def in_search(f):
        return safe(f.get_role) in (Atspi.Role.ENTRY, Atspi.Role.TEXT) and is_showing(f) \
            and any(safe(a.get_role) == Atspi.Role.DIALOG for a in ancestors(f))
    if step('F6 a third time opens search with the focus in its entry', in_search):
        search_entry = focused()
    press(KEY_F6)
    step('F6 a fourth time comes back to the sidebar', lambda f: within(f, sections) or within(f, pages))

    # Search by keyboard: type, arrow to a result, Enter opens it.
    press(KEY_F6, 2)
    step('F6 twice from the sidebar opens search', in_search)
    type_text('handoff')
    result = wait_for(lambda: find(frame, lambda o: safe(o.get_role) == Atspi.Role.LIST_ITEM
                                   and name_of(o).startswith('Page: ') and is_showing(o)), 10)
    ok(result is not None, 'typing in search lists named results')
    # Up and Down choose a result while the focus stays in the entry.
    def selected_result():
        return find(frame, lambda o: safe(o.get_role) == Atspi.Role.LIST_ITEM and is_showing(o)
                    and has_state(o, Atspi.StateType.SELECTED)
                    and any(safe(a.get_role) == Atspi.Role.DIALOG for a in ancestors(o)))
    first = wait_for(selected_result, 3)
    first_name = name_of(first) if first is not None else None
    ok(first_name is not None and first_name.startswith('Page: '), 'the best result, a page, is selected',
       'selected: %s' % first_name)
    press(KEY_DOWN)
    second = selected_result()
    ok(second is not None and name_of(second) != first_name, 'Down selects the next result',
       'selected: %s' % (name_of(second) if second else None))
    press(KEY_UP)
    ok(name_of(selected_result() or frame) == first_name, 'Up selects the first again')
    step('the focus stays in the search entry', in_search)
    chosen = first_name[len('Page: '):] if first_name else None
    press(KEY_RETURN, settle=1.5)
    ok(wait_for(lambda: chosen and name_of(frame).startswith(chosen), 10),
       'Enter opens the result in the reader', 'window: %s, wanted %s' % (name_of(frame), chosen))
    diag('after opening: focus on %s' % describe(focused() or frame))
    ok(wait_for(lambda: not search_open(), 3), 'opening a result closes search')

    # Escape closes search and gives the focus back to where it was.
    before = focused()
    press(KEY_F6)
    step('F6 from the page opens search', in_search)
    press(KEY_ESCAPE)
    ok(wait_for(lambda: not search_open(), 3), 'Escape closes search')
    step('after Escape the focus is back where it was', lambda f: before is not None and f == before)

    # The sidebar: arrows between the sections, Enter opens one.
    def go_to_section(name):
        for _ in range(3):
            press(KEY_F6)
            f = focused()
            if f is not None and (within(f, sections) or within(f, pages)):
                break
        if f is not None and not within(f, sections):
            # The pages tree holds the focus: Shift+Tab goes up to the sections.
            for _ in range(3):
                press_with(SHIFT_MASK, KEY_TAB)
                f = focused()
                if f is not None and within(f, sections):
                    break
        order = ['Handbook', 'Proposals', 'Decisions', 'Team']
        for _ in range(6):
            f = focused()
            if f is not None and name_of(f) == name:
                break
            here = order.index(name_of(f)) if f is not None and name_of(f) in order else -1
            press(KEY_DOWN if here < order.index(name) else KEY_UP, settle=0.2)
        step('arrows reach the %s section' % name, lambda f: name_of(f) == name and within(f, sections))
        press(KEY_RETURN, settle=1)
        ok(section_shown(name), 'Enter shows the %s section' % name, 'window: %s' % name_of(frame))

    go_to_section('Proposals')
    press(KEY_F6)
    step('F6 moves into the proposals view', lambda f: not within(f, sections) and not within(f, pages))
    # Tab through the view until a proposal row holds the focus.
    proposal = None
    for _ in range(12):
        f = focused()
        if f is not None and safe(f.get_role) == Atspi.Role.LIST_ITEM:
            proposal = f
            break
        press(KEY_TAB, settle=0.2)
    step('Tab reaches a proposal in the list', lambda f: safe(f.get_role) == Atspi.Role.LIST_ITEM)
    if proposal is not None:
        press(KEY_DOWN)
        step('Down moves to the next proposal',
             lambda f: safe(f.get_role) == Atspi.Role.LIST_ITEM and f != proposal)
        title = name_of(focused() or frame)
        press(KEY_RETURN, settle=2)
        ok(wait_for(lambda: find(frame, lambda o: safe(o.get_role) == Atspi.Role.LABEL and is_showing(o)
                                 and name_of(o) and title.startswith(name_of(o))
                                 and not within(o, proposal.get_parent())), 5),
           'Enter shows the proposal', 'row: %s' % title)
        check_names(frame, 'a proposal open')

    go_to_section('Team')
    press(KEY_F6)
    step('F6 moves into the team view', lambda f: not within(f, sections) and not within(f, pages))
    person = None
    for _ in range(12):
        f = focused()
        if f is not None and safe(f.get_role) == Atspi.Role.LIST_ITEM:
            person = f
            break
        press(KEY_TAB, settle=0.2)
    step('Tab reaches a teammate', lambda f: safe(f.get_role) == Atspi.Role.LIST_ITEM)
    if person is not None:
        press(KEY_DOWN)
        step('Down moves to the next teammate',
             lambda f: safe(f.get_role) == Atspi.Role.LIST_ITEM and f != person)

    go_to_section('Handbook')
    press(KEY_F6)
    step('F6 moves into the page', lambda f: not within(f, sections) and not within(f, pages))
    check_names(frame, 'back in the handbook')

    # Preferences (Ctrl+,) is a window of its own; Escape closes it.
    press_with(CONTROL_MASK, 0x2c)  # comma
    preferences = wait_for(lambda: next((c for c in children(app) if c != frame and is_showing(c)
                                         and name_of(c) == 'Preferences'), None), 10)
    if ok(preferences is not None, 'Ctrl+comma opens the preferences'):
        pump(1)
        check_names(preferences, 'preferences')
        step('the focus is in the preferences', lambda f: within(f, preferences))
        press(KEY_ESCAPE, settle=1)
        ok(wait_for(lambda: not is_showing(preferences) or preferences not in list(children(app)), 5),
           'Escape closes the preferences')


if __name__ == '__main__':
    sys.exit(main())
