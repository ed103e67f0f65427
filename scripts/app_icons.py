#!/usr/bin/env python3
"""Draw the app's icons from static/img/icon.svg with Debian's chromium (Playwright).

usage: .venv/bin/python scripts/app_icons.py      (part of `make assets`)

Writes static/img/apple-touch-icon.png (180 px, what iOS pins to the home
screen), icon-192.png and icon-512.png (the web app manifest's) and
static/favicon.ico (a 32 px PNG in an ICO container, for clients that ask
for /favicon.ico without reading the page). The square is drawn to the edge
with no transparency, so it also serves as a "maskable" icon.
"""

from __future__ import annotations

import base64
import shutil
import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "static"
SIZES = {"img/apple-touch-icon.png": 180, "img/icon-192.png": 192, "img/icon-512.png": 512}
FAVICON_SIZE = 32


def ico(png: bytes, size: int) -> bytes:
    """One PNG image in an ICO container (ICONDIR, one ICONDIRENTRY, the PNG)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def main() -> None:
    svg = (STATIC / "img" / "icon.svg").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for name, size in [*SIZES.items(), ("favicon", FAVICON_SIZE)]:
            page.set_viewport_size({"width": size, "height": size})
            drawn = svg.replace('rx="3" ', "") if name != "favicon" else svg  # full bleed for home screens
            data = base64.b64encode(drawn.encode()).decode()
            page.set_content(f'<body style="margin:0"><img src="data:image/svg+xml;base64,{data}" '
                             f'width="{size}" height="{size}" style="display:block"></body>')
            png = page.screenshot(omit_background=True)
            if name == "favicon":
                (STATIC / "favicon.ico").write_bytes(ico(png, size))
            else:
                (STATIC / name).write_bytes(png)
        browser.close()


if __name__ == "__main__":
    main()
