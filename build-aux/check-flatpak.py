#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeps the Flatpak manifest honest, since it cannot be built here.

Usage: check-flatpak.py SOURCE_ROOT MANIFEST APP_ID

The manifest parses; it names the app id, the GNOME runtime and the
program; its sandbox permissions are the narrow set the app needs; and
every library any meson.build asks for is either shipped by the GNOME
runtime or built by one of the manifest's modules, each from a pinned
upstream source.  A dependency added to meson.build that is in neither
fails here until the manifest builds it.  Prints TAP.
"""

import json
import os
import re
import sys

root, manifest_path, app_id = sys.argv[1:4]

# What org.gnome.Platform (47) ships, by the names meson.build asks for
# (pkg-config names, and libraries found with find_library).
RUNTIME = {
    'glib-2.0', 'gio-2.0', 'gmodule-2.0', 'json-glib-1.0', 'sqlite3',
    'libsoup-3.0', 'gtk4', 'libadwaita-1', 'webkitgtk-6.0',
    'gtksourceview-5', 'libsecret-1', 'gnutls', 'x11', 'm',
}

# What the runtime lacks, and the manifest module that builds it.
BUNDLED = {
    'libcmark-gfm': 'cmark-gfm',
    'cmark-gfm-extensions': 'cmark-gfm',
    'libgit2': 'libgit2',
    'yaml-0.1': 'libyaml',
    'libsodium': 'libsodium',
    'libqrencode': 'libqrencode',
}

# The sandbox: the network (sync, serve), the display, the GPU for
# WebKit, X11 shared memory, and the Secret Service for peers' passwords.
# Files come and go through the portals, so no --filesystem at all.
ALLOWED_ARGS = {
    '--share=network', '--share=ipc', '--socket=wayland',
    '--socket=fallback-x11', '--device=dri',
    '--talk-name=org.freedesktop.secrets',
}
REQUIRED_ARGS = ALLOWED_ARGS - {'--share=ipc'}

results = []


def check(ok, name, detail=''):
    results.append((bool(ok), name, detail))


try:
    with open(manifest_path, encoding='utf-8') as f:
        manifest = json.load(f)
    check(True, 'the manifest parses as JSON')
except (OSError, ValueError) as e:
    check(False, 'the manifest parses as JSON', str(e))
    manifest = {}

check(os.path.basename(manifest_path) == app_id + '.json',
      'the manifest is named after the app id', os.path.basename(manifest_path))
check(manifest.get('app-id') == app_id, 'its app-id is ' + app_id, repr(manifest.get('app-id')))
check(manifest.get('runtime') == 'org.gnome.Platform' and manifest.get('sdk') == 'org.gnome.Sdk',
      'it builds against the GNOME runtime and SDK')
version = str(manifest.get('runtime-version', ''))
check(version.isdigit() and int(version) >= 47, 'the runtime is GNOME 47 or later', version)
check(manifest.get('command') == 'meridian', 'it runs meridian', repr(manifest.get('command')))

args = manifest.get('finish-args', [])
check(set(args) <= ALLOWED_ARGS, 'no permission beyond the narrow set',
      ', '.join(sorted(set(args) - ALLOWED_ARGS)))
check(REQUIRED_ARGS <= set(args), 'network, display, GPU and Secret Service are granted',
      ', '.join(sorted(REQUIRED_ARGS - set(args))))
check(not any(a.startswith('--filesystem') for a in args), 'no file system access beyond the portals')

modules = manifest.get('modules', [])
names = [m.get('name') for m in modules if isinstance(m, dict)]
check(len(names) == len(modules), 'every module is written out in the manifest')
check(names[-1:] == ['meridian'], 'meridian is built last, from this tree', repr(names[-1:]))
if names[-1:] == ['meridian']:
    app = modules[-1]
    check(app.get('buildsystem') == 'meson'
          and any(s.get('type') == 'dir' for s in app.get('sources', [])),
          'meridian builds with meson from the source folder')

# Every bundled module comes from a real, pinned upstream source.
for module in modules[:-1]:
    name = module.get('name')
    sources = module.get('sources', [])
    pinned = bool(sources) and all(
        s.get('type') in ('git', 'archive') and s.get('url', '').startswith('https://')
        and (s.get('tag') or s.get('commit') or re.fullmatch(r'[0-9a-f]{64}', s.get('sha256', '')))
        for s in sources)
    check(pinned, 'module %s comes from a pinned https source' % name)
    text = json.dumps(module).lower()
    check('placeholder' not in text and 'todo' not in text and 'xxx' not in text,
          'module %s has no placeholder' % name)

# Every dependency of every meson.build is covered.
wanted = {}
pattern = re.compile(r"(?:\bdependency|find_library)\(\s*'([^']+)'")
for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = [d for d in dirnames
                   if d not in ('.git', 'node_modules', 'subprojects') and not d.startswith('build')]
    if 'meson.build' in filenames:
        path = os.path.join(dirpath, 'meson.build')
        with open(path, encoding='utf-8') as f:
            for line in f:
                code = line.split('#', 1)[0]
                for dep in pattern.findall(code):
                    wanted.setdefault(dep, os.path.relpath(path, root))
check('libgit2' in wanted and 'gtk4' in wanted, 'the dependencies of meson.build were found',
      ', '.join(sorted(wanted)))
for dep in sorted(wanted):
    if dep in RUNTIME:
        check(True, '%s (%s) is in the GNOME runtime' % (dep, wanted[dep]))
    elif dep in BUNDLED:
        check(BUNDLED[dep] in names, '%s (%s) is built by module %s' % (dep, wanted[dep], BUNDLED[dep]))
    else:
        check(False, '%s (%s) is in the runtime or built by a module' % (dep, wanted[dep]),
              'neither: add a module to the manifest, and to BUNDLED or RUNTIME here')
# ...and no module is left over from a dependency that went.
needed = {BUNDLED[d] for d in wanted if d in BUNDLED}
for name in names[:-1]:
    check(name in needed, 'module %s is needed by meson.build' % name)

print('1..%d' % len(results))
for n, (ok, name, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
    if not ok and detail:
        print('# ' + detail)
sys.exit(0 if all(r[0] for r in results) else 1)
