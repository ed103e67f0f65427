#!/usr/bin/env bash
# Restore drill (R13): seed a throwaway database, back it up, restore it into a scratch
# database, then check integrity, invariants (`flask orders check`) and row counts.
#   bench/backup_drill.sh                         SQLite, 100k orders
#   DB=postgres bench/backup_drill.sh             PostgreSQL on 127.0.0.1:5432 (scratch databases, dropped)
#   DB=postgres SOURCE_URL=postgresql+psycopg://... bench/backup_drill.sh   drill an existing database
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$ROOT/.venv/bin/python" "$ROOT/bench/backup.py" drill
