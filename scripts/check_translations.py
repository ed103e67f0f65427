"""Fail when a user-visible string has no Chinese translation.

Extracts the messages from the sources and checks each has a non-empty,
non-fuzzy entry in the zh_Hans_CN catalog. Untranslated strings would
otherwise show up in English without any error.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run(
            # Babel skips directories starting with "_" unless told which to ignore: templates/_chrome.
            [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
             "-k", "_l", "--ignore-dirs", ".*", "-o", str(pot), "."],
            cwd=ROOT, check=True,
        )
        with pot.open("rb") as f:
            wanted = [m.id for m in read_po(f) if m.id]
    with (ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    missing = []
    for msgid in wanted:
        message = catalog.get(msgid)
        strings = message.string if message else None
        if isinstance(strings, tuple):
            strings = "".join(strings)
        if not message or not strings or message.fuzzy:
            missing.append(msgid if isinstance(msgid, str) else msgid[0])
    total = len(wanted)
    print(f"translations: {total - len(missing)}/{total} messages translated to zh_Hans_CN")
    for msgid in missing:
        print(f"  untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
