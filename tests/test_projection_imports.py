"""The read side's rooms: projections depend on the event contract only, and folds are pure."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PROJECTIONS = Path(__file__).resolve().parent.parent / "projections"
MINE = sorted(PROJECTIONS.glob("*.py"))
CONTRACT = {"offerledger.events", "offerledger.values"}
# The timing rules live once, in the domain, and every report calls them (STYLE.md "One rule, one
# place"): the expiration in force, business days and one function per rule.
RULES = {
    "offerledger.domain.calendar",
    "offerledger.domain.timing",
    "offerledger.domain.timing_rules",
}
THIRD_PARTY = {"jinja2", "rich"}
# The read model's storage (not a fold or renderer) may use the project's JSON library.
STORAGE = {"codec", "readmodel", "source"}
# Where the read side reads the ledger, committed lists are opened and checked against their
# commitments (docs/disclosure.md): the source, and only it, uses the disclosure module.
OPENS_LISTS = {"offerledger.disclosure", "offerledger.errors"}
# ... and reads each stored state's body through the one function that knows the stored layout
# (docs/format.md, "The stored state"), never a copy of it.
STORED_LAYOUT = {"offerledger.signing.envelope"}
# The folds and queries: no I/O, no clock, no randomness (renderers may read their templates).
FOLDS = {
    "core",
    "state",
    "employee",
    "catalog",
    "text",
    "diff",
    "elections",
    "results",
    "timeline",
    "findings",
}
IMPURE = {"open", "print", "input"}
IMPURE_MODULES = {"sqlite3", "os", "time", "random", "uuid4", "pathlib"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", MINE, ids=lambda p: p.stem)
def test_projections_import_only_the_contract(path: Path) -> None:
    outside = set()
    for name in imports(path):
        top = name.split(".")[0]
        if name.startswith("offerledger.projections") or name in CONTRACT | RULES:
            continue
        if top in sys.stdlib_module_names or top == "__future__" or top in THIRD_PARTY:
            continue
        if top == "orjson" and path.stem in STORAGE:
            continue
        if name in OPENS_LISTS | STORED_LAYOUT and path.stem == "source":
            continue
        outside.add(name)
    assert outside == set(), f"{path.name} imports {sorted(outside)}"


@pytest.mark.parametrize("path", [p for p in MINE if p.stem in FOLDS], ids=lambda p: p.stem)
def test_folds_and_queries_read_no_clock_file_or_database(path: Path) -> None:
    tree = ast.parse(path.read_text())
    modules = {n.split(".")[0] for n in imports(path)}
    assert modules & IMPURE_MODULES == set(), path.name
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert calls & (IMPURE | {"now", "today", "utcnow", "time", "random"}) == set(), path.name


def test_the_read_side_is_never_imported_as_a_top_level_module() -> None:
    import offerledger.projections as package

    assert Path(package.__file__).resolve().parent == PROJECTIONS.resolve()
    assert "projections" not in sys.modules
