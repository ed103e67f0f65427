"""Static files: served by WhiteNoise, named by their content hash (static/dist/, `make assets`).

Hashed names never change content, so they go out with a far-future
``immutable`` Cache-Control and are precompressed (brotli, gzip); a new release
has new names. Pages link them through ``asset_url('css/app.css')``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from functools import cache

from flask import Flask, current_app, url_for
from whitenoise import WhiteNoise

from .security import ALWAYS

DIST = "dist"
# static/dist/<path>.<12 hex digits>.<ext> (scripts/digest_static.py)
HASHED = re.compile(r"^/static/dist/.+\.[0-9a-f]{12}\.\w+$")
UNHASHED_MAX_AGE = 60  # seconds: a file linked without its hash (none is, by the app's pages)


@cache
def _manifest(static_folder: str) -> dict[str, str]:
    try:
        with open(os.path.join(static_folder, DIST, "manifest.json"), encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return {}


def asset_url(filename: str) -> str:
    """The URL of static file ``filename`` under its content-hashed name.

    A file missing from the manifest (added under static/ without `make assets`)
    is linked by its plain name, with a warning: it still loads, only without
    the long cache.
    """
    hashed = _manifest(current_app.static_folder).get(filename)
    if hashed is None:
        logging.getLogger(__name__).warning("%s is not in static/dist/manifest.json: run `make assets`", filename)
        return url_for("static", filename=filename)
    return url_for("static", filename=f"{DIST}/{hashed}")


def is_hashed(_path: str, url: str) -> bool:
    return bool(HASHED.match(url))


def _static_headers(headers, _path: str, _url: str) -> None:
    # WhiteNoise answers before Flask: the security headers every response carries (app/security.py).
    for _key, name, value in ALWAYS:
        headers[name] = value


def serve_static(app: Flask) -> None:
    """Put WhiteNoise in front of the app for ``/static/`` (the same under flask run and gunicorn)."""
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app, root=app.static_folder, prefix=app.static_url_path, max_age=UNHASHED_MAX_AGE,
        immutable_file_test=is_hashed, add_headers_function=_static_headers, allow_all_origins=False,
    )
