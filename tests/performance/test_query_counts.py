"""Queries per page: within budget and the same at 50 and at 500 orders (L4).

The data comes from the benchmark generator (``bench.benchdata``), so the pages
show orders in every state with their assignments, events and notifications.
Budgets include the user lookup of the logged-in account: menu <= 2,
我的订单 <= 3, 我的任务 <= 3, dispatch queue <= 4, the order page a
coordinator dispatches from <= 4; the other order pages are held to a fixed
number that must not grow with the data.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Assignment, Order, User
from app.services import daily_figures
from bench.benchdata import BENCH_ACCOUNTS, BENCH_PASSWORD, Generator, Sizes
from tests.conftest import login

SIZES = (50, 500)

# page -> (role, url template, budget); {order} / {job} are filled from the data
PAGES = {
    "menu": ("requester", "/", 2),
    "my_orders": ("requester", "/my/orders", 3),
    "my_orders_older": ("requester", "/my/orders?before={older}", 3),
    "my_jobs": ("volunteer", "/jobs/", 3),
    # 我的时长: the user, the ledger with its orders, the total, the service records issued
    "my_hours": ("volunteer", "/jobs/hours", 4),
    # 抢单大厅: the user, the board (one statement), the places held, the settings (kept)
    "claim_board": ("volunteer", "/jobs/claims", 3),
    "queue": ("coordinator", "/dispatch/", 4),
    "queue_filtered": ("coordinator", "/dispatch/?state=submitted&district_id=17&overdue=y", 4),
    "requester_order": ("requester", "/my/orders/{order}", 3),
    # the user, the job with its order, whether the volunteer reviewed it, and a finished job's photos
    "volunteer_job": ("volunteer", "/jobs/{job}", 4),
    # the user, the order, its timeline, the ranking of candidates (services/matching.py): one statement for
    # the eligible shortlist and the blocked ones, whatever the number of volunteers; and what went wrong
    # lately for the volunteers shown (services/reliability.py)
    "coordinator_order": ("coordinator", "/dispatch/orders/{coord_order}", 5),
    # 全部订单: the user and one keyset page (the names, rating and hours joined to it)
    "history": ("coordinator", "/dispatch/history", 2),
    "history_filtered": ("coordinator", "/dispatch/history?state=rated&stars=5&volunteer=李&date_from=2020-01-01", 2),
    "history_older": ("coordinator", "/dispatch/history?after={coord_order}", 2),
    # the dashboard: the user; when the daily figures were rebuilt and the days changed since; this period's
    # kept days and today's orders (by day and state, with their ratings by star), hours and volunteers, the
    # steps' times, hours by day; the period before's kept days and hours
    "dashboard": ("coordinator", "/reports/?period=year", 11),
    # the menu analysis: the user, the categories, the services, the orders, their times to dispatch, their
    # reasons, their hours, the reasons by role, the demand nobody covers and the wishes by category and district
    "menu_analysis": ("coordinator", "/reports/services?period=year", 10),
    # the printed report: the dashboard's ten, the menu analysis's eight, and the volunteers' hours
    "monthly_report": ("coordinator", "/reports/monthly?period=year", 20),
}


def _load(n: int) -> None:
    sizes = Sizes(orders=n, requesters=2, volunteers=8, coordinators=1, units=2)
    Generator(sizes, seed=n, echo=lambda *_: None).run()
    daily_figures.rebuild()  # as the sweep keeps them: the numbers read the kept days


def _ids() -> dict[str, int]:
    from app.extensions import db

    requester = db.session.scalar(select(User.id).where(User.phone == BENCH_ACCOUNTS["requester"]))
    volunteer = db.session.scalar(select(User.id).where(User.phone == BENCH_ACCOUNTS["volunteer"]))
    order = db.session.scalar(
        select(Order.id).where(Order.requester_id == requester).order_by(Order.id.desc()).limit(1)
    )
    job = db.session.scalar(
        select(Assignment.id).where(Assignment.volunteer_id == volunteer).order_by(Assignment.id.desc()).limit(1)
    )
    coord_order = db.session.scalar(
        select(Order.id).where(Order.state == "submitted").order_by(Order.id.desc()).limit(1)
    ) or db.session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
    older = db.session.scalars(
        select(Order.id).where(Order.requester_id == requester)
        .order_by(Order.submitted_at.desc(), Order.id.desc()).limit(20)
    ).all()[-1]
    return {"order": order, "job": job, "coord_order": coord_order, "older": older}


def _measure(app, count_queries) -> dict[str, tuple[int, list[str]]]:
    """Queries per page, each page fetched warm (second request) by its role."""
    clients = {}
    for role, phone in BENCH_ACCOUNTS.items():
        client = app.test_client()
        assert login(client, phone, BENCH_PASSWORD).status_code == 302
        clients[role] = client
    ids = _ids()
    counts = {}
    for name, (role, template, _budget) in PAGES.items():
        url = template.format(**ids)
        assert clients[role].get(url).status_code == 200, url
        with count_queries() as q:
            response = clients[role].get(url)
        assert response.status_code == 200, url
        counts[name] = (q.count, q.statements)
    return counts


@pytest.fixture
def counts_by_size(app, db, count_queries):
    from tests.conftest import _clean

    result = {}
    for n in SIZES:
        _load(n)
        result[n] = _measure(app, count_queries)
        db.session.rollback()
        _clean(app)
    return result


def _explain(name: str, statements: list[str]) -> str:
    return f"{name}: {len(statements)} queries\n" + "\n---\n".join(s[:300] for s in statements)


def test_queries_per_page_are_within_budget_and_constant(counts_by_size):
    small, large = (counts_by_size[n] for n in SIZES)
    report = {name: (small[name][0], large[name][0]) for name in PAGES}
    print("\nqueries per page (50 orders, 500 orders):", report)
    for name, (_role, _url, budget) in PAGES.items():
        assert large[name][0] == small[name][0], _explain(name, large[name][1])
        assert large[name][0] <= budget, _explain(name, large[name][1])


def test_anonymous_menu_reads_nothing_once_the_menu_is_kept(client, count_queries):
    client.get("/")
    with count_queries() as q:
        assert client.get("/").status_code == 200
    assert q.count == 0, q.statements  # the published menu is kept for MENU_CACHE_SECONDS


def test_my_orders_pages_through_every_order(app, db, count_queries):
    """20 a page, newest first; "next" goes on from the last one shown until all were seen."""
    import re

    from app.models import Order

    _load(300)
    requester = db.session.scalar(select(User.id).where(User.phone == BENCH_ACCOUNTS["requester"]))
    expected = db.session.scalars(
        select(Order.id).where(Order.requester_id == requester).order_by(Order.submitted_at.desc(), Order.id.desc())
    ).all()
    client = app.test_client()
    assert login(client, BENCH_ACCOUNTS["requester"], BENCH_PASSWORD).status_code == 302
    seen, url = [], "/my/orders"
    while url:
        page = client.get(url).get_data(as_text=True)
        shown = [int(i) for i in re.findall(r'href="/my/orders/(\d+)"', page)]
        assert 0 < len(shown) <= 20
        seen += shown
        older = re.search(r'href="(/my/orders\?before=\d+)"', page)
        url = older.group(1) if older else None
    assert seen == expected
