#!/usr/bin/env python3
"""Fingerprint the static files: static/dist/ with content-hashed copies, their gzip and
brotli forms (WhiteNoise's compressor) and a manifest the templates read (app/assets.py).

usage: .venv/bin/python scripts/digest_static.py [--check]

Run by `make assets` after any change under static/; the output is committed. A
hashed name changes whenever the content does, so WhiteNoise can send it with a
far-future ``immutable`` Cache-Control and a release is never served stale.
``url(...)`` references between static files (a stylesheet's image) are
rewritten to the hashed names. ``--check`` builds into a scratch folder and
exits 1 when the committed static/dist/ differs from what the sources give.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
from pathlib import Path

from whitenoise.compress import Compressor

STATIC = Path(__file__).resolve().parent.parent / "static"
DIST = "dist"
MANIFEST = "manifest.json"
HASH_LENGTH = 12
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")


def _sources(static: Path) -> list[str]:
    """Static files by their path under static/ (posix), images first: stylesheets name them."""
    found = [p.relative_to(static).as_posix() for p in static.rglob("*")
             if p.is_file() and p.relative_to(static).parts[0] != DIST]
    return sorted(found, key=lambda name: (name.endswith(".css"), name))


def hashed_name(name: str, content: bytes) -> str:
    stem, ext = posixpath.splitext(name)
    return f"{stem}.{hashlib.sha256(content).hexdigest()[:HASH_LENGTH]}{ext}"


def _rewrite_css(name: str, css: str, manifest: dict[str, str]) -> str:
    def swap(match: re.Match) -> str:
        quote, target = match.groups()
        if target.startswith(("data:", "#", "/", "http:", "https:")):
            return match.group(0)
        source = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        if source not in manifest:
            raise SystemExit(f"{name}: url({target}) names no file under static/")
        # The hashed copy sits in the same directory as its source, so the relative depth holds.
        hashed = posixpath.relpath(manifest[source], posixpath.dirname(name) or ".")
        return f"url({quote}{hashed}{quote})"

    return _CSS_URL.sub(swap, css)


def build(static: Path, out: Path) -> dict[str, str]:
    """Write the hashed copies, their compressed forms and the manifest into ``out``."""
    manifest: dict[str, str] = {}
    for name in _sources(static):
        content = (static / name).read_bytes()
        if name.endswith(".css"):
            content = _rewrite_css(name, content.decode("utf-8"), manifest).encode("utf-8")
        manifest[name] = hashed_name(name, content)
        target = out / manifest[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    compressor = Compressor(quiet=True)
    for hashed in manifest.values():
        if compressor.should_compress(hashed):
            compressor.compress(str(out / hashed))
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(scratch) / DIST
        build(STATIC, built)
        current = STATIC / DIST
        if "--check" in argv:
            if current.is_dir() and _same_tree(built, current):
                return 0
            print("static/dist/ is out of date with static/: run `make assets`", file=sys.stderr)
            return 1
        shutil.rmtree(current, ignore_errors=True)
        shutil.copytree(built, current)
        os.utime(current)
    print(f"static/dist/: {len(json.loads((current / MANIFEST).read_text()))} files fingerprinted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
