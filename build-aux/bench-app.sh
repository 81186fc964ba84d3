#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The app benchmark (prints figures; asserts nothing). On a generated
# handbook of 10,000 pages it measures, under one Xvfb display:
#   - Meridian: process start -> first page rendered (WebKit load finished),
#     keystroke -> search results drawn, and the peak RSS of the app process;
#   - Zim Desktop Wiki on the same pages as a notebook: process start -> its
#     window mapped, and its peak RSS, cold (first open, Zim indexes) and warm;
#   - the floor under any GTK 4 app: an empty GTK 4 window and an empty
#     libadwaita window, process start -> mapped and -> first frame drawn.
#
# Usage: build-aux/bench-app.sh [BUILD_DIR] [PAGES]
# Needs: xvfb-run, xdotool, /usr/bin/time, zim (apt-get install zim xdotool time).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
pages=${2:-10000}
meridian=$build/src/meridian
floor=$build/tests/bench-window-floor

for tool in xvfb-run xdotool python3; do
  command -v "$tool" >/dev/null || { echo "bench-app: $tool is needed" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench-app: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
[ -x "$meridian" ] || { echo "bench-app: build Meridian first ($meridian is missing)" >&2; exit 1; }
[ -x "$floor" ] || { echo "bench-app: build Meridian first ($floor is missing)" >&2; exit 1; }

work=$(mktemp -d -t meridian-bench-app-XXXXXX)
[ -n "${KEEP_BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/config" "$work/data" "$work/cache" "$work/runtime"
chmod 700 "$work/runtime"

# One generated handbook, written twice: Markdown for Meridian's import and
# a Zim notebook (zim-wiki text files) with the same titles and words.
python3 - "$work" "$pages" <<'PY'
import os, random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
words = ("team handbook release deploy review incident rotation timezone focus "
         "proposal decision async writing handoff onboarding policy budget "
         "security backup database network latency customer support metric "
         "roadmap quarter planning retro hiring travel expense laptop access").split()
sections = ["engineering", "operations", "people", "product", "security",
            "support", "finance", "design", "research", "sales"]
md_root = os.path.join(work, "markdown")
zim_root = os.path.join(work, "notebook")
os.makedirs(md_root); os.makedirs(zim_root)
with open(os.path.join(zim_root, "notebook.zim"), "w") as f:
    f.write("[Notebook]\nversion=0.4\nname=Bench\ninterwiki=\nhome=Home\nicon=\ndocument_root=\nshared=True\nendofline=unix\ndisable_trash=False\nprofile=\n")
titles = []
for i in range(n):
    section = sections[i % len(sections)]
    sub = "topic-%02d" % (i // len(sections) % 50)
    titles.append((section, sub, "Page %05d %s" % (i, rng.choice(words)), "page-%05d" % i))
def para():
    return " ".join(rng.choice(words) for _ in range(60)) + "."
def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
home_links = "\n".join("- [[%s]]" % t[2] for t in titles[:40])
write(os.path.join(md_root, "home.md"),
      "---\ntitle: Home\nowner: person:bench\n---\n# Home\n\nThe generated handbook.\n\n" + home_links + "\n")
write(os.path.join(zim_root, "Home.txt"),
      "Content-Type: text/x-zim-wiki\nWiki-Format: zim 0.6\n\n====== Home ======\n\nThe generated handbook.\n\n"
      + "\n".join("* [[%s:%s:%s]]" % (t[0].capitalize(), t[1].replace('-', '_').capitalize(),
                                      t[2].replace(' ', '_')) for t in titles[:40]) + "\n")
for i, (section, sub, title, slug) in enumerate(titles):
    link = titles[(i * 7 + 3) % n]
    body = "\n\n".join(para() for _ in range(4))
    write(os.path.join(md_root, section, sub, slug + ".md"),
          "---\ntitle: %s\nowner: person:bench\nreview_by: 2027-06-30\n---\n# %s\n\n%s\n\n## Details\n\n%s\n\nSee [[%s]].\n"
          % (title, title, body, para(), link[2]))
    write(os.path.join(zim_root, section.capitalize(), sub.replace('-', '_').capitalize(), title.replace(' ', '_') + ".txt"),
          "Content-Type: text/x-zim-wiki\nWiki-Format: zim 0.6\n\n====== %s ======\n\n%s\n\n===== Details =====\n\n%s\n\nSee [[%s]].\n"
          % (title, body, para(), link[2]))
PY

echo "Generated $pages pages (+ Home) in Markdown and as a Zim notebook."
t0=$(date +%s%N)
"$meridian" --data "$work/ws" import "$work/markdown" >/dev/null
t1=$(date +%s%N)
echo "Meridian import of the Markdown (not part of the comparison): $(( (t1 - t0) / 1000000 )) ms"

cat > "$work/run.sh" <<'RUN'
#!/usr/bin/env bash
set -uo pipefail
work=$1; meridian=$2; floor=$3
export HOME=$work/home XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data XDG_CACHE_HOME=$work/cache
export XDG_RUNTIME_DIR=$work/runtime NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory
export WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS=1

now_us () { echo $(( $(date +%s%N) / 1000 )); }

wait_for_line () {  # file pattern timeout_s
  local i=0
  while ! grep -q "$2" "$1" 2>/dev/null; do
    sleep 0.01; i=$((i + 1)); [ $i -gt $(( $3 * 100 )) ] && return 1
  done
  return 0
}

mark () { grep -o "$2-at-us=[0-9]*" "$1" | head -1 | cut -d= -f2; }

# On a desktop the portal is running before any app starts; start it now
# so that neither app pays for its activation.
gdbus call --session --dest org.freedesktop.portal.Desktop --object-path /org/freedesktop/portal/desktop \
  --method org.freedesktop.portal.Settings.ReadAll '[]' >/dev/null 2>&1 || true
sleep 1

# Xvfb has no GPU: GTK 4's GL renderer would run on Mesa's software GL
# emulation, which no desktop uses. Runs 1-3 use the Cairo renderer, which
# draws in software the way Zim (GTK 3) does; run 4 shows the GL figure.
for run in 1 2 3 4; do
  log=$work/meridian-$run.log
  renderer=cairo; [ $run = 4 ] && renderer=gl
  start=$(now_us)
  GSK_RENDERER=$renderer MERIDIAN_BENCH=1 MERIDIAN_WINDOW_SIZE=1200x800 /usr/bin/time -v -o "$work/meridian-time-$run.txt" \
    "$meridian" --data "$work/ws" 2> "$log" &
  timepid=$!
  wait_for_line "$log" first-page-rendered 60 || { echo "Meridian never rendered a page"; cat "$log"; exit 1; }
  rendered=$(mark "$log" first-page-rendered)
  mapped=$(mark "$log" window-mapped)
  echo "meridian run $run ($renderer renderer): start -> window mapped: $(( (mapped - start) / 1000 )) ms, -> first page rendered: $(( (rendered - start) / 1000 )) ms"
  sleep 1
  wid=$(xdotool search --sync --onlyvisible --name "Meridian" | head -1)
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  xdotool key --clearmodifiers ctrl+k
  sleep 0.3
  xdotool type --delay 0 "rotation"
  sleep 1.5
  grep -o "search-latency-us=.*" "$log" | awk -v run="$run" '{
      split($1, a, "="); split($2, b, "="); q = substr($0, index($0, "query=") + 6);
      printf "meridian run %s: keystroke -> results drawn for \"%s\": %.1f ms (query %.1f ms)\n", run, q, a[2] / 1000, b[2] / 1000 }'
  # The web process is a child of the app: report it too.
  apppid=$(pgrep -P "$timepid" | head -1)
  webrss=$(ps -o rss= --ppid "$apppid" 2>/dev/null | awk '{s+=$1} END {print s+0}')
  xdotool key --clearmodifiers Escape ctrl+q
  wait
  rss=$(grep "Maximum resident" "$work/meridian-time-$run.txt" | awk '{print $NF}')
  echo "meridian run $run: peak RSS of the app process: $(( rss / 1024 )) MiB (its WebKit helper processes: $(( webrss / 1024 )) MiB)"
done

for kind in gtk adw; do
  for run in 1 2 3 4 5; do
    start=$(now_us)
    GSK_RENDERER=cairo "$floor" $kind > "$work/floor.log" 2>/dev/null
    mapped=$(mark "$work/floor.log" window-mapped)
    drawn=$(mark "$work/floor.log" first-frame)
    echo "empty $kind window run $run (cairo renderer): start -> window mapped: $(( (mapped - start) / 1000 )) ms, -> first frame drawn: $(( (drawn - start) / 1000 )) ms"
  done
done

for run in 1 2 3; do
  start=$(now_us)
  /usr/bin/time -v -o "$work/zim-time-$run.txt" zim --standalone "$work/notebook" Home > "$work/zim-$run.log" 2>&1 &
  timepid=$!
  i=0
  until xdotool search --onlyvisible --name "Home - Bench" >/dev/null 2>&1 \
        || xdotool search --onlyvisible --class "zim" >/dev/null 2>&1; do
    sleep 0.01; i=$((i + 1)); [ $i -gt 12000 ] && { echo "Zim never mapped a window"; cat "$work/zim-$run.log"; break; }
  done
  mapped=$(now_us)
  kind=warm; [ $run = 1 ] && kind="cold (first open: Zim builds its index)"
  echo "zim run $run, $kind: start -> window mapped: $(( (mapped - start) / 1000 )) ms"
  sleep 3
  # Zim finishes its indexing before it honours SIGTERM; do not wait for it.
  zimpid=$(pgrep -P "$timepid" || true)
  kill -TERM $zimpid 2>/dev/null || true
  sleep 2
  kill -KILL $zimpid 2>/dev/null || true
  wait
  rss=$(grep "Maximum resident" "$work/zim-time-$run.txt" | awk '{print $NF}')
  echo "zim run $run: peak RSS: $(( rss / 1024 )) MiB"
done
RUN
chmod +x "$work/run.sh"

if command -v zim >/dev/null; then :; else echo "bench-app: zim is not installed; apt-get install zim" >&2; exit 1; fi
# A session bus as on a desktop: without one GApplication spends ~0.5 s
# trying to start a bus of its own, which no person ever sees.
session=()
command -v dbus-run-session >/dev/null && session=(dbus-run-session --)
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) processors"
xvfb-run -a -s "-screen 0 1280x900x24" "${session[@]}" "$work/run.sh" "$work" "$meridian" "$floor" 2>/dev/null
