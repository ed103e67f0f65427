"""An order's timeline as its pages show it: plain rows, each event's HTML kept."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup

from .dates import BEIJING
from .fragments import render_each
from .services import orders as order_service


def render_timeline(order_id: int) -> Markup:
    """The events of an order (access already checked), oldest first.

    Events never change once written; their dates name the year only when it
    is not this one, so this year is part of each event's key.
    """
    year = datetime.now(UTC).astimezone(BEIJING).year
    return render_each("_timeline_item.html", ((event, year) for event in order_service.timeline(order_id)))
