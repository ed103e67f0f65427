"""Fast on a phone: what can be checked without a clock.

Static files go out under content-hashed names, precompressed and cached for a
year (``immutable``); private pages are compressed and never cached; every
file a page links exists; the CSS has every Bootstrap class and the sprite
every icon that a template uses (`make assets` rebuilds both); the web app
manifest and the favicon are served.
"""

from __future__ import annotations

import gzip
import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import brotli
import pytest

from app import labels
from app.icons import icon, sprite
from app.models import Category
from app.seed import MENU
from scripts import digest_static

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
YEAR = 365 * 24 * 3600


class Links(HTMLParser):
    """The URLs a page makes the browser fetch: stylesheets, scripts, icons, images, the manifest."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") in ("stylesheet", "icon", "apple-touch-icon", "manifest"):
            self.urls.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.urls.append(a["src"])


def _linked(page: str) -> list[str]:
    parser = Links()
    parser.feed(page)
    return parser.urls


@pytest.fixture
def pages(client, login_as, make_order, users):
    """Each main page of each role, as (client, path)."""
    order = make_order("accepted")
    open_order = make_order()
    job = order.assignments[0].id
    requester, volunteer, coordinator = login_as("requester"), login_as("volunteer"), login_as("coordinator")
    service_id = order.service_id
    return [
        (client, "/login"), (client, "/"), (client, f"/services/{service_id}"),
        (requester, "/"), (requester, "/my/orders"), (requester, f"/my/orders/new/{service_id}"),
        (requester, f"/my/orders/{order.id}"), (requester, "/notifications/"),
        (volunteer, "/jobs/"), (volunteer, f"/jobs/{job}"),
        (coordinator, "/dispatch/"), (coordinator, f"/dispatch/orders/{open_order.id}"),
    ]


def test_no_page_links_a_file_that_is_missing_and_every_asset_is_hashed(pages):
    linked: dict[str, str] = {}
    for client, path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        for url in _linked(page.get_data(as_text=True)):
            linked.setdefault(url, path)
    assert any(u.endswith(".css") for u in linked) and any(u.endswith(".js") for u in linked)
    client = pages[0][0]
    for url, where in linked.items():
        response = client.get(url)
        assert response.status_code == 200, f"{where} links {url}: HTTP {response.status_code}"
        if url.startswith("/static/"):
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{where} links {url} without its content hash"
        if url.endswith(".css"):  # and the files the stylesheet itself names
            for ref in re.findall(r"url\(\"?([^\")]+)\"?\)", response.get_data(as_text=True)):
                if not ref.startswith("data:"):
                    target = (url.rsplit("/", 1)[0] + "/" + ref)
                    assert client.get(target).status_code == 200, f"{url} names {ref}, missing"


@pytest.mark.parametrize("filename", ["css/bootstrap.css", "css/app.css", "js/app.js", "css/dispatch.css"])
def test_hashed_assets_are_precompressed_and_cached_for_a_year(app, client, filename):
    with app.test_request_context():
        from app.assets import asset_url

        url = asset_url(filename)
    plain = client.get(url).get_data()
    assert plain == (ROOT / "static" / filename).read_bytes() or filename.endswith(".css")
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding, url
        assert decode(response.get_data()) == plain
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache and "public" in cache
        assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= YEAR
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_without_its_hash_is_not_cached_for_long(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1)) <= 300


def test_private_pages_are_compressed_and_never_cached(login_as):
    client = login_as("volunteer")
    response = client.get("/jobs/", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "no-store" in response.headers["Cache-Control"]
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "我的任务" in brotli.decompress(response.get_data()).decode() or b"<html" in brotli.decompress(
        response.get_data())


def test_the_web_app_manifest_names_the_center_and_its_icons_load(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["name"] == "亦联盟志愿服务菜单" and manifest["short_name"] == "亦联盟"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = set()
    for entry in manifest["icons"]:
        png = client.get(entry["src"])
        assert png.status_code == 200 and png.mimetype == "image/png"
        width, height = struct.unpack(">II", png.get_data()[16:24])  # the PNG's IHDR
        assert entry["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes
    with client.session_transaction() as session:
        session["locale"] = "en"
    english = client.get("/manifest.webmanifest")
    assert json.loads(english.get_data())["name"] == "Yi Alliance volunteer menu"


def test_favicon_and_apple_touch_icon_are_served(client):
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in favicon.headers["Cache-Control"]
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<link rel="apple-touch-icon" href="/static/dist/img/apple-touch-icon\.[0-9a-f]{12}\.png">',
                     page)


# --- the reduced Bootstrap and the icon sprite: rebuilt by `make assets` ----------------------------

def _classes_in_css(css: str) -> set[str]:
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css))


def _template_words() -> dict[str, str]:
    """Every word of every template (as PurgeCSS reads them), with the first template it is in."""
    words: dict[str, str] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for word in re.findall(r"[A-Za-z0-9_-]+", path.read_text(encoding="utf-8")):
            words.setdefault(word, str(path.relative_to(ROOT)))
    return words


def test_every_bootstrap_class_a_template_uses_is_in_the_built_css():
    # The classes that start a selector of the whole Bootstrap build (the ones that style on their own).
    bootstrap = {line for line in (ROOT / "assets" / "bootstrap-classes.txt").read_text().split("\n")
                 if line and not line.startswith("#")}
    css = (ROOT / "static" / "css" / "bootstrap.css").read_text(encoding="utf-8")
    assert "\ufeff" not in css  # a byte-order mark after the banner voids the first rule (:root, every variable)
    built = _classes_in_css(css)
    wanted = {word: where for word, where in _template_words().items() if word in bootstrap}
    # Put together at run time: state badges and timeline dots, flash messages.
    wanted |= {f"text-bg-{colour}": "app/labels.py STATE_COLOURS" for colour in labels.STATE_COLOURS.values()}
    categories = set(re.findall(r"flash\([^)]*?,\s*\"(\w+)\"\)", "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "app").rglob("*.py"))))
    wanted |= {f"alert-{c}": "a flash() category" for c in categories | {"info"}}
    missing = sorted(f"{cls} (in {where})" for cls, where in wanted.items() if cls not in built)
    assert not missing, "Bootstrap classes the built CSS lacks; run `make assets` and commit: " + ", ".join(missing)


def _icon_names_in_templates() -> dict[str, str]:
    names: dict[str, str] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for call in re.findall(r"icon\(([^)]*)\)", path.read_text(encoding="utf-8")):
            # icon('name'), icon('name', 'classes') or icon('a' if … else 'b'), as assets/build.mjs reads them
            literal = re.match(r"\s*'([a-z0-9-]+)'(?:\s*if .*? else\s*'([a-z0-9-]+)')?", call)
            for name in filter(None, literal.groups() if literal else ()):
                names.setdefault(name, str(path.relative_to(ROOT)))
    return names


def test_every_icon_a_template_or_the_menu_names_is_in_the_sprite():
    wanted = _icon_names_in_templates()
    assert {"bell", "bell-fill", "grid", "grid-fill"} <= set(wanted)  # both sides of an `if` are read
    wanted |= {icon_name: "app/seed.py MENU" for _name, icon_name, *_rest in MENU}
    wanted[Category.icon.default.arg] = "Category.icon's default"
    missing = sorted(f"{name} (in {where})" for name, where in wanted.items() if name not in sprite())
    assert not missing, "icons missing from app/icons.svg; run `make assets` and commit: " + ", ".join(missing)


def test_no_template_uses_the_icon_font():
    font_markup = [f"{p.relative_to(ROOT)}: {m}" for p in sorted(TEMPLATES.rglob("*.html"))
                   for m in re.findall(r'class="bi bi-[^"]*"', p.read_text(encoding="utf-8"))]
    assert not font_markup, "the icon font is gone: write {{ icon('name') }} instead of " + ", ".join(font_markup)


def test_an_icon_is_inline_svg_hidden_from_screen_readers():
    svg = str(icon("bell", "fs-1 text-muted"))
    assert svg.startswith('<svg class="bi fs-1 text-muted" viewBox="0 0 16 16" aria-hidden="true" focusable="false">')
    assert "<path" in svg and svg.endswith("</svg>")
    assert str(icon("no-such-icon")) == ""
    escaped = str(icon("bell", '"><script>'))
    assert "<script>" not in escaped and '<svg class="bi &#34;&gt;&lt;script&gt;" viewBox' in escaped


def test_the_fingerprinted_copies_are_current():
    assert digest_static.main(["--check"]) == 0, "static/dist/ is stale: run `make assets` and commit"
