#!/usr/bin/env bash
# Lighthouse 12 (npm registry, Node 20) with Debian's chromium against the app under gunicorn
# with the production settings, signed in for each role; prints the table of docs/performance.md.
#   bench/lighthouse.sh                      every page, 2000 orders
#   PAGES="menu my_jobs" KEEP=1 bench/lighthouse.sh
# Everything listens on 127.0.0.1 and is stopped when the script ends. See bench/lighthouse.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
exec "$ROOT/.venv/bin/python" "$ROOT/bench/lighthouse.py" "$@"
