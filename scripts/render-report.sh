#!/usr/bin/env bash
# Renders an HTML evidence report (`tollgate run --report html=FILE`) with headless
# Chromium into a PNG, for a manual look at what a vendor hands over (issue 6,
# item 4). Not used by the tests: they must not depend on a browser.
#
# Usage: scripts/render-report.sh REPORT.html [OUT.png]
#   Needs `chromium` (Debian package `chromium`). Prints where the PNG went.
#
# The flags keep Chromium's own background traffic down, and a net log proves the
# page fetched nothing: requests the page starts carry its (opaque, file://)
# origin as initiator `null`, while the browser's own (time sync, accounts) carry
# "not an origin". Any page-initiated request fails the script with exit 1.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 REPORT.html [OUT.png]" >&2
    exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "${2:-${report%.html}.png}")
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
    echo "error: chromium not found (Debian: apt-get install chromium)" >&2
    exit 2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

"$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --user-data-dir="$profile" \
    --log-net-log="$profile/net.json" \
    --window-size=1280,2400 --screenshot="$out" "file://$report" 2>/dev/null
echo "$out"
if grep -o '"initiator":"[^"]*"' "$profile/net.json" | grep -qv '"not an origin"'; then
    echo "error: the page made network requests:" >&2
    grep -o '"url":"[^"]*"' "$profile/net.json" | sort -u >&2
    exit 1
fi
echo "no network request from the page"
