#!/usr/bin/env bash
# Regenerate docs/digest.png and docs/browse.png from a fresh offline demo.
# Needs Chromium (apt-get install chromium) and the browse extra (make installs it).
# Usage: docs/screenshots.sh   (from the repository root; works in a temporary folder)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
newswatch="${NEWSWATCH:-$repo/.venv/bin/newswatch}"
chromium="$(command -v chromium || command -v chromium-browser)"
work="$(mktemp -d)"
trap 'kill "${browse_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

shoot() {  # URL PNG WIDTH HEIGHT
    "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile" --hide-scrollbars --force-device-scale-factor=1 \
        --window-size="$3,$4" --screenshot="$2" "$1" 2>/dev/null
}

"$newswatch" demo >/dev/null 2>&1
digest="$(ls data/demo/digests/digest-*.html | head -1)"
shoot "file://$work/$digest" "$repo/docs/digest.png" 900 1500

"$newswatch" browse --db data/demo.db --port 0 --no-open >browse.out 2>/dev/null &
browse_pid=$!
for _ in $(seq 100); do grep -q "^Datasette is serving" browse.out && break; sleep 0.2; done
page="$(sed -n 's/^Datasette is serving .* at \([^ ]*\).*/\1/p' browse.out)"
cols="_col=published_at&_col=source&_col=language&_col=title&_col=is_ai&_col=is_open_source_ai&_col=story_id"
shoot "$page/articles?is_open_source_ai=1&_sort_desc=published_utc&$cols" "$repo/docs/browse.png" 1400 1200
echo "wrote docs/digest.png and docs/browse.png"
