"""Command line: ``flask seed``, ``flask orders sweep``, ``flask orders check``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db

orders_cli = AppGroup("orders", help="Order maintenance.")


@orders_cli.command("sweep")
def sweep_command() -> None:
    """Expire unanswered offers and flag overdue orders (idempotent; run from cron)."""
    from .services.settings import current_settings
    from .services.sweep import sweep

    result = sweep(current_settings().dispatch_deadline_hours)
    click.echo(f"expired={result.expired} overdue={result.overdue} skipped={result.skipped}")


@orders_cli.command("check")
def check_command() -> None:
    """Report every broken invariant; exit 1 when there is one."""
    from .services.invariants import broken_invariants

    problems = broken_invariants()
    for line in problems:
        click.echo(line)
    click.echo(f"{len(problems)} violation(s)")
    if problems:
        raise SystemExit(1)


@click.command("seed")
@click.option("--demo/--no-demo", default=True, help="Also create the demo accounts (never in production).")
def seed_command(demo: bool) -> None:
    """Load districts, the 亦联盟 menu and the demo accounts (idempotent)."""
    from .seed import seed_all

    counts = seed_all(demo=demo)
    db.session.commit()
    click.echo(", ".join(f"{k}: +{v}" for k, v in counts.items()))


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(orders_cli)
    app.cli.add_command(__import__("app.benchdata", fromlist=["bench_cli"]).bench_cli)
