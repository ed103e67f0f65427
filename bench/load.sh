#!/usr/bin/env bash
# L2 soak and L3 overload on a throwaway PostgreSQL under gunicorn (production config).
#   bench/load.sh                              locust, 20 mixed-role users, 10 minutes (L2)
#   RUN_TIME=90s bench/load.sh                 a short trial of the same
#   MODE=overload bench/load.sh                wrk at 80 connections for 60 s, then recovery (L3)
# Needs locust in the venv: .venv/bin/pip install -r requirements-bench.txt
# Everything listens on 127.0.0.1 and is stopped when the script ends. See bench/load.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$ROOT/.venv/bin/python" "$ROOT/bench/load.py" "$@"
