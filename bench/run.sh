#!/usr/bin/env bash
# One command for the benchmark: the app's hot pages beside the shared "fortunes" baseline.
#   bench/run.sh                                   SQLite, 10k orders, 2 sync workers, 2 runs per URL
#   DB=postgres bench/run.sh                       the same on a throwaway PostgreSQL cluster
#   DB=sqlite WORKERS=2 REPEATS=3 ORDERS=10000 bench/run.sh
# Everything listens on 127.0.0.1 and is stopped when the script ends. See bench/run.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$ROOT/.venv/bin/python" "$ROOT/bench/run.py" "$@"
