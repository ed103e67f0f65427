#!/usr/bin/env bash
# The hot pages at 10k and 1M orders on PostgreSQL (p50 ratio, query plans); SCALE_DIR=/path keeps the clusters. See bench/scale.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$ROOT/.venv/bin/python" "$ROOT/bench/scale.py" "$@"
