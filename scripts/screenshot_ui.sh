#!/usr/bin/env bash
# Screenshot of the Dagster asset graph for the README (not run in CI):
#   scripts/screenshot_ui.sh [OUT.png]      default docs/asset-graph.png
# Starts `dagster dev` (as `./lp ui` does) on a free loopback port with a throwaway
# DAGSTER_HOME holding the project's dagster.yaml, waits for it, takes a headless Chromium
# screenshot of the global asset graph, then stops the server it started.
# Needs chromium (`apt-get install -y chromium`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/asset-graph.png}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "screenshot_ui: install chromium first (apt-get install -y chromium)" >&2; exit 2; }
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
home=$(mktemp -d)
profile=$(mktemp -d)
cp dagster_home/dagster.yaml "$home/"
DAGSTER_HOME="$home" setsid .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "$port" \
  > "$home/dagster-dev.log" 2>&1 &
server=$!
cleanup() { kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true;
            rm -rf "$home" "$profile"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/server_info" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/server_info" >/dev/null || { cat "$home/dagster-dev.log" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --disable-sync --user-data-dir="$profile" \
  --virtual-time-budget=20000 --screenshot="$out" --window-size=1600,1000 \
  "http://127.0.0.1:$port/asset-groups" 2>/dev/null
echo "wrote $out ($(du -k "$out" | cut -f1) KB)"
