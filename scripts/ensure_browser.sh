#!/usr/bin/env bash
# Browser tests use Debian's chromium and a CJK font; the records' PDFs (WeasyPrint) use Pango and the
# same font. Install them when missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "cjk\|wqy" || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Browser tests need: ${need[*]} (apt-get install as root)" >&2
  [ "${CI:-}" = "true" ] && exit 1 || exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
