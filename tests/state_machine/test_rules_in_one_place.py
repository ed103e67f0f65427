"""Each rule of the life cycle lives in one place: the states are set by the workflow alone,
the diagrams are drawn from its table, the kept figures have one definition."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import update

from app.cli import DIAGRAM_END, DIAGRAM_START, life_cycle_diagram, readme_with_diagram
from app.models import Order, VolunteerProfile, counters
from app.services.invariants import broken_invariants

ROOT = Path(__file__).resolve().parents[2]
THE_WORKFLOW = ROOT / "app" / "workflow.py"
STATEFUL = {"Order", "Assignment"}


def _state_writes(tree: ast.AST) -> list[int]:
    """Lines that set an order's or an assignment's state: ``x.state = ``, ``Order(state=)``,
    ``.values(state=)``, ``setattr(x, "state", )``, ``{"state": ...}`` (values to write).

    The benchmark's data builder writes rows in bulk as plain dicts; each step it
    takes is looked up in the workflow's table (``OrderBuilder._step``)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            lines += [node.lineno for k in node.keys if isinstance(k, ast.Constant) and k.value == "state"]
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            lines += [node.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "state"]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            keywords = {k.arg for k in node.keywords}
            if "state" in keywords and name in STATEFUL | {"values"}:
                lines.append(node.lineno)
            if name == "setattr" and len(node.args) > 1 and getattr(node.args[1], "value", None) == "state":
                lines.append(node.lineno)
    return lines


def test_no_module_but_the_workflow_sets_a_state():
    offenders = []
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        if path == THE_WORKFLOW:
            continue
        for line in _state_writes(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], "only app/workflow.py sets a state: " + ", ".join(offenders)


def test_the_state_check_sees_every_way_of_writing_one():
    source = """
order.state = "accepted"
Order(state="x")
update(Order).values(state="x")
setattr(assignment, "state", "x")
values = {"state": "x"}
QueueFilter(state="submitted")  # a filter, not a write
"""
    assert _state_writes(ast.parse(source)) == [2, 3, 4, 5, 6]
    assert _state_writes(ast.parse(THE_WORKFLOW.read_text(encoding="utf-8")))  # it does find the workflow's


def test_the_readme_diagrams_are_the_transition_tables():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert DIAGRAM_START in readme and DIAGRAM_END in readme
    assert readme_with_diagram(readme, life_cycle_diagram()) == readme, "run: flask orders diagram --write"


def test_the_diagram_has_an_edge_per_source_of_every_transition():
    from app import workflow

    diagram = life_cycle_diagram()
    for t in workflow.TRANSITIONS:
        for source in t.sources:
            start = "[*]" if source == workflow.NEW else source
            assert f"{start} --> {t.target}: {t.action} (" in diagram, t.action


def test_recount_puts_every_kept_figure_back(db, make_order):
    for state in ("accepted", "in_service", "rated", "dispatched", "cancelled"):
        make_order(state, needed=2)
    db.session.commit()
    assert broken_invariants() == []
    db.session.execute(update(Order).values(accepted_count=0))
    db.session.execute(update(VolunteerProfile).values(open_jobs=7, hours_credited=99, rating_sum=1, rating_count=9,
                                                       month_hours=5))
    db.session.commit()
    assert len(broken_invariants()) > 3
    counters.recount(db.session)
    db.session.commit()
    assert broken_invariants() == []
