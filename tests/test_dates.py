"""The fast date writers say what Babel would say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_timedelta

from app.dates import format_elapsed

# Every unit's edges: below, at and above 1.1 of it, and the rounding in between.
SECONDS = sorted({
    s for unit in (1, 60, 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)
    for f in (0.5, 0.99, 1.0, 1.09, 1.1, 1.11, 1.49, 1.5, 1.51, 2.5, 3.7, 11.9)
    for s in (unit * f, -unit * f)
} | {0, 0.4, 59.9, 2 * 365 * 86400 + 1})


@pytest.mark.parametrize(("lang", "locale"), [("zh", "zh_Hans_CN"), ("en", "en")])
def test_format_elapsed_matches_babel(lang, locale):
    for seconds in SECONDS:
        expected = format_timedelta(timedelta(seconds=seconds), threshold=1.1, locale=locale)
        assert format_elapsed(seconds, lang) == expected, seconds
