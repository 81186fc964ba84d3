#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that the application id is the same everywhere.

Usage: check-app-id.py SOURCE_ROOT APP_ID LEGACY_APP_ID

The desktop file, the metainfo, the settings schema, the icons and the
GResource prefixes are all named after APP_ID, and the former id,
LEGACY_APP_ID, appears only where the settings are carried over from it.
Prints TAP.
"""

import os
import sys
import xml.etree.ElementTree as ET

root, app_id, legacy_id = sys.argv[1:4]
path_id = '/' + app_id.replace('.', '/') + '/'
legacy_path = '/' + legacy_id.replace('.', '/') + '/'

# Where the former id may still be named: its frozen schema, the code and
# test that read it, and the build file that defines it.
LEGACY_ALLOWED = {
    'meson.build',
    'data/legacy-schemas/meson.build',
    'data/legacy-schemas/' + legacy_id + '.gschema.xml',
    'data/' + app_id + '.gschema.xml',  # the description of the mark
    'data/' + app_id + '.metainfo.xml.in',  # <replaces>, for software centres
    'src/ui/mer-settings.c',
    'tests/test-settings.c',
    'build-aux/check-app-id.py',
    'README.md',
}
SKIP_DIRS = {'.git', 'node_modules', 'build', 'screenshots', 'demo'}

results = []


def check(ok, name, detail=''):
    results.append((ok, name, detail))


def data(name):
    return os.path.join(root, 'data', name)


# The files named after the id exist.
for name in [app_id + '.desktop.in', app_id + '.metainfo.xml.in', app_id + '.gschema.xml',
             'icons/hicolor/scalable/apps/' + app_id + '.svg',
             'icons/hicolor/symbolic/apps/' + app_id + '-symbolic.svg']:
    check(os.path.isfile(data(name)), 'data/' + name + ' exists')

# Their contents name the id.
with open(data(app_id + '.desktop.in'), encoding='utf-8') as f:
    desktop = f.read()
check('\nIcon=' + app_id + '\n' in desktop, 'the desktop file names the icon ' + app_id)

metainfo = ET.parse(data(app_id + '.metainfo.xml.in')).getroot()
check(metainfo.findtext('id') == app_id, 'the metainfo id is ' + app_id,
      repr(metainfo.findtext('id')))
check(metainfo.findtext('launchable') == app_id + '.desktop',
      'the metainfo launches ' + app_id + '.desktop')
check(metainfo.findtext('replaces/id') == legacy_id,
      'the metainfo says it replaces ' + legacy_id, repr(metainfo.findtext('replaces/id')))

schemas = ET.parse(data(app_id + '.gschema.xml')).getroot()
schema = schemas.find('schema')
check(schema.get('id') == app_id, 'the schema id is ' + app_id, repr(schema.get('id')))
check(schema.get('path') == path_id, 'the schema path is ' + path_id, repr(schema.get('path')))
check(schema.find("key[@name='legacy-settings-migrated']") is not None,
      'the schema marks whether the old settings were carried over')
for enum in schemas.findall('enum'):
    check(enum.get('id').startswith(app_id + '.'), 'enum ' + enum.get('id') + ' is under the id')

legacy = ET.parse(data('legacy-schemas/' + legacy_id + '.gschema.xml')).getroot().find('schema')
check(legacy.get('id') == legacy_id and legacy.get('path') == legacy_path,
      'the frozen schema keeps the former id and path')

# GResource prefixes come from the id.
for name in ['src/ui/meridian.gresource.xml.in', 'src/cli/mer-cli-hub.gresource.xml.in']:
    for res in ET.parse(os.path.join(root, name)).getroot().findall('gresource'):
        check(res.get('prefix').startswith('@RESOURCE_PATH@'),
              name + ' takes its prefix from the id', res.get('prefix'))

# The former id is named nowhere else.
stray = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith('build')]
    for filename in filenames:
        path = os.path.join(dirpath, filename)
        rel = os.path.relpath(path, root)
        if rel in LEGACY_ALLOWED:
            continue
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        if legacy_id in text or legacy_path.rstrip('/') in text:
            stray.append(rel)
check(not stray, 'the former id ' + legacy_id + ' is not used outside the migration',
      ', '.join(sorted(stray)))

print('1..%d' % len(results))
for n, (ok, name, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
    if not ok and detail:
        print('# ' + detail)
sys.exit(0 if all(r[0] for r in results) else 1)
