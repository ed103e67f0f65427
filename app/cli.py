"""Command line: ``flask seed``, ``flask orders sweep | check | recount | diagram``, ``flask exports run``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db

orders_cli = AppGroup("orders", help="Order maintenance.")
exports_cli = AppGroup("exports", help="Exports too large for a web request.")


@exports_cli.command("run")
def exports_run_command() -> None:
    """Make every waiting export, oldest first, and delete files older than a week (run from cron)."""
    from .services.export_jobs import remove_old_files, run_all

    click.echo(f"made={run_all()} removed={remove_old_files()}")


@orders_cli.command("sweep")
def sweep_command() -> None:
    """Expire unanswered offers, flag overdue orders, confirm unrated ones (idempotent; run from cron)."""
    from .services.settings import current_settings
    from .services.sweep import only_sweep, sweep

    with only_sweep() as alone:
        if not alone:
            click.echo("another sweep is running: nothing done")
            return
        result = sweep(current_settings().dispatch_deadline_hours)
    click.echo(f"expired={result.expired} overdue={result.overdue} confirmed={result.confirmed}"
               f" skipped={result.skipped} reminded={result.reminded} flagged={result.flagged}"
               f" texts_sent={result.texts_sent} days_counted={result.days_counted}")


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


DIAGRAM_START, DIAGRAM_END = "<!-- diagram:start -->", "<!-- diagram:end -->"


def life_cycle_diagram() -> str:
    """The order's and the assignment's life cycles as Mermaid, drawn from ``workflow.TRANSITIONS``.

    Each edge is one transition: its action and the roles that may take it.
    """
    from . import workflow

    parts = []
    for entity, title in (("order", "Order"), ("assignment", "Assignment (one volunteer's place)")):
        lines = [f"**{title}**", "", "```mermaid", "stateDiagram-v2"]
        for t in workflow.TRANSITIONS:
            if t.entity != entity:
                continue
            roles = ", ".join(sorted(t.roles))
            for source in sorted(t.sources):
                start = "[*]" if source == workflow.NEW else source
                lines.append(f"    {start} --> {t.target}: {t.action} ({roles})")
        parts.append("\n".join([*lines, "```"]))
    return "\n\n".join(parts) + "\n"


def readme_with_diagram(readme: str, diagram: str) -> str:
    """``readme`` with the text between the diagram markers replaced by ``diagram``."""
    head, rest = readme.split(DIAGRAM_START, 1)
    _old, tail = rest.split(DIAGRAM_END, 1)
    return f"{head}{DIAGRAM_START}\n{diagram}{DIAGRAM_END}{tail}"


@orders_cli.command("diagram")
@click.option("--write", is_flag=True, help="Update the diagram in README.md instead of printing it.")
def diagram_command(write: bool) -> None:
    """Print the life cycles as Mermaid, drawn from the transition table."""
    from pathlib import Path

    diagram = life_cycle_diagram()
    if not write:
        click.echo(diagram, nl=False)
        return
    readme = Path(current_app.root_path).parent / "README.md"
    readme.write_text(readme_with_diagram(readme.read_text(encoding="utf-8"), diagram), encoding="utf-8")
    click.echo(f"updated {readme}")


@click.command("seed")
@click.option("--demo/--no-demo", default=True, help="Also create the demo accounts (never in production).")
def seed_command(demo: bool) -> None:
    """Load districts, the 亦联盟 menu and the demo accounts (idempotent)."""
    from .seed import seed_all

    counts = seed_all(demo=demo)
    db.session.commit()
    click.echo(", ".join(f"{k}: +{v}" for k, v in counts.items()))


@orders_cli.command("recount")
def recount_command() -> None:
    """Set every kept figure (places held, open jobs, hours, rating totals) from the rows."""
    from .models.counters import recount

    recount(db.session)
    db.session.commit()
    click.echo("recounted")


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(orders_cli)
    app.cli.add_command(exports_cli)
    try:  # the benchmark's data generator, where bench/ is deployed (not needed in production)
        from bench.benchdata import bench_cli
    except ImportError:
        return
    app.cli.add_command(bench_cli)
