"""The static HTML report (``offerledger report --out DIR``): the offer's redline between two
moments, the elections dashboard, the timeline against the rule deadlines and the findings.

Pure, like every projection: it is handed the folded state, the timeline rows and the
verification :class:`~.verification.Standing` (it never verifies) and returns the files as
``{name: html}``. Same state in, byte-identical pages out: no clock, sorted counts, no external
asset (inline CSS and SVG, no script). The templates (``templates/report/*.j2``) hold the
wording; jinja2 autoescapes everything they print. Every page begins with the verification
line, and a page that rests on synthetic events says SYNTHETIC in a banner under it.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from offerledger.projections.catalog import offer_changes
from offerledger.projections.core import NOW, Moment, eastern
from offerledger.projections.diff import DiffEntry, diff_documents
from offerledger.projections.elections import (
    STANDINGS,
    EmployeeStatus,
    act_text,
    election_statuses,
    offer_employees,
    summarize,
    valid_acts,
)
from offerledger.projections.employee import Act
from offerledger.projections.findings import STATUS_TEXT, Finding, findings
from offerledger.projections.letters import render_letter, results_letters
from offerledger.projections.results import offer_results
from offerledger.projections.state import LedgerState
from offerledger.projections.text import DocumentView, Origin, document_at
from offerledger.projections.timeline import TimelineRow, ordered
from offerledger.projections.verification import Standing

TEMPLATES = Path(__file__).parent / "templates" / "report"
PAGES = (
    ("index.html", "Overview"),
    ("offer.html", "Offer redline"),
    ("elections.html", "Elections"),
    ("timeline.html", "Timeline"),
    ("findings.html", "Findings"),
)
PRINT_PAGE = "report-print.html"  # every page in one document, for print-to-PDF
_WORDS = re.compile(r"\S+\s*")


@dataclass(frozen=True, slots=True)
class Change:
    """One paragraph (or heading) of the redline: its runs (``eq``/``ins``/``del``, text) and
    the change that made it."""

    status: str
    kind: str
    id: str
    section: str
    runs: tuple[tuple[str, str], ...]
    origin: Origin | None

    @property
    def filing(self) -> str:
        o = self.origin
        return "filing not on file" if o is None or o.filing is None else o.filing.label

    @property
    def position(self) -> int | None:
        return None if self.origin is None else self.origin.stamp.position


def redline_runs(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """``old`` to ``new`` word by word: runs of equal, deleted and inserted text."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.ratio() < 0.5:  # rewritten (or a not-on-file marker replaced): whole for whole
        return (("del", old), ("eq", " "), ("ins", new))
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("eq", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("ins", "".join(b[j1:j2])))
    return tuple(runs)


def _texts(view: DocumentView) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in view.parts:
        out[part.id] = part.heading
        out.update((b.id, b.text) for b in part.blocks)
    return out


def redline(old: DocumentView, new: DocumentView) -> list[Change]:
    """Each paragraph added, removed or changed from ``old`` to ``new``, in document order."""
    before, after = _texts(old), _texts(new)
    return [_change(e, before.get(e.id, ""), after.get(e.id, "")) for e in _entries(old, new)]


def _entries(old: DocumentView, new: DocumentView) -> Iterable[DiffEntry]:
    return diff_documents(old, new).entries


def _change(entry: DiffEntry, old: str, new: str) -> Change:
    if entry.status == "added":
        runs: tuple[tuple[str, str], ...] = (("ins", new),)
    elif entry.status == "removed":
        runs = (("del", old),)
    else:
        runs = redline_runs(old, new)
    return Change(entry.status, entry.kind, entry.id, entry.heading, runs, entry.origin)


# --- elections ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: int
    height: int


def bars(counts: Sequence[tuple[str, int]], *, width: int = 640, height: int = 160) -> list[Bar]:
    """Bar geometry for an inline SVG chart (integers only: the same counts, the same SVG)."""
    if not counts:
        return []
    top = max(v for _, v in counts) or 1
    step = max(width // len(counts), 1)
    return [Bar(k, v, i * step, v * height // top) for i, (k, v) in enumerate(counts)]


def elections_data(state: LedgerState, offer_id: uuid.UUID, moment: Moment) -> dict[str, Any]:
    statuses = election_statuses(state, offer_id, moment)
    summary = summarize(statuses)
    standing = Counter(g.standing for s in statuses for g in s.grants)
    everyone = offer_employees(state, offer_id)
    acts = [a for e in everyone for a in valid_acts(e, moment) if a.kind != "refused"]
    by_day = Counter(eastern(a.received_at)[:10] for a in acts)
    by_channel = Counter(a.channel for a in acts)
    by_kind = Counter(a.kind for a in acts)
    refused = sorted(
        ((s.employee_id, a) for s in statuses for a in s.refused),
        key=lambda p: (p[1].received_at, p[0]),
    )
    changed = sum(
        1 for e in everyone if sum(a.kind != "refused" for a in valid_acts(e, moment)) > 1
    )
    days = sorted(by_day.items())
    return {
        "summary": summary,
        "standings": [(s, standing.get(s, 0)) for s in STANDINGS],
        "by_day": days,
        "day_bars": bars(days),
        "by_channel": sorted(by_channel.items()),
        "by_kind": sorted(by_kind.items()),
        "refused": refused,
        "changed": changed,
        "forms": len(acts),
        "synthetic": summary.synthetic or any(a.synthetic for a in acts),
    }


# --- timeline against the rule deadlines -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deadline:
    rule: str
    what: str
    day: date
    status: str
    synthetic: bool


def deadlines(items: Sequence[Finding]) -> list[Deadline]:
    """The dates each finding names (due dates, expiration, periods' ends), by day then rule."""
    out = set()
    for f in items:
        for what, value in f.dates.items():
            try:
                day = date.fromisoformat(value[:10])
            except ValueError:
                continue
            status = STATUS_TEXT.get(f.status, f.status)
            out.add(Deadline(f.rule, what.replace("_", " "), day, status, f.synthetic))
    return sorted(out, key=lambda d: (d.day, d.rule, d.what))


def _chart(rows: Sequence[TimelineRow], marks: Sequence[Deadline]) -> dict[str, Any]:
    """An SVG axis from the first to the last day shown: events above it, deadlines below."""
    days = [eastern_day(r) for r in rows] + [d.day for d in marks]
    if not days:
        return {"events": [], "deadlines": [], "ticks": [], "width": 0}
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    width = 900

    def x(day: date) -> int:
        return 20 + (day - first).days * (width - 40) // span

    per_day = Counter(eastern_day(r) for r in rows)
    events = [(x(d), d.isoformat(), n) for d, n in sorted(per_day.items())]
    lines = [(x(d.day), d) for d in marks]
    ticks = sorted({(x(d), d.isoformat()) for d in (first, last)})
    return {"events": events, "deadlines": lines, "ticks": ticks, "width": width}


def eastern_day(row: TimelineRow) -> date:
    return date.fromisoformat(eastern(row.stamp.effective_at)[:10])


def timeline_data(
    rows: Sequence[TimelineRow], moment: Moment, items: Sequence[Finding]
) -> dict[str, Any]:
    chosen = ordered(r for r in rows if moment.admits(r.stamp))
    offer_rows = [r for r in chosen if r.employee_id is None]
    employee_days = Counter(eastern_day(r) for r in chosen if r.employee_id is not None)
    marks = deadlines(items)
    return {
        "rows": offer_rows,
        "employee_days": sorted(employee_days.items()),
        "employee_events": sum(employee_days.values()),
        "deadlines": marks,
        "chart": _chart(offer_rows, marks),
    }


# --- each employee's page ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmployeePage:
    """One employee as of the report moment: grants and standings, every form (refused ones
    too) in the order received, receipts and notices, and the results letter when there is one.
    ``file``: the page's path in the report folder."""

    status: EmployeeStatus
    acts: tuple[Act, ...]
    letter: str | None
    letter_note: str
    file: str
    synthetic: bool

    @property
    def status_text(self) -> str:
        counts = Counter(g.standing for g in self.status.grants)
        if not counts:
            return "no eligible grants registered"
        grants = ", ".join(
            f"{counts[s]} {'grant' if counts[s] == 1 else 'grants'} {s.replace('_', ' ')}"
            for s in STANDINGS
            if counts.get(s)
        )
        return ("tendering: " if self.status.tendering else "not tendering: ") + grants

    @property
    def last_text(self) -> str:
        return act_text(self.status.last_act)

    def says(self, act: Act) -> str:
        """What a form asks for: each grant's choice, the grants withdrawn, or why refused."""
        if act.kind == "refused":
            return act.reason or f"refused under the rule {act.rule or 'not on file'}"
        if act.kind == "withdraw":
            return "withdraw " + (", ".join(act.grant_ids) or "every tendered grant")
        return "; ".join(f"{grant}: {choice.replace('_', ' ')}" for grant, choice in act.choices)


def employee_file(employee_id: str, taken: set[str]) -> str:
    """``employees/<id>.html`` (unsafe characters as ``_``; a clash gets ``-2``, ``-3``…)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", employee_id) or "_"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return f"employees/{name}.html"


def employee_pages(state: LedgerState, offer_id: uuid.UUID, moment: Moment) -> list[EmployeePage]:
    """Every registered employee of the offer (or one who sent a form), by employee id."""
    results = offer_results(state, offer_id, moment=moment)
    letters: dict[str, tuple[str, bool]] = {}
    if results.missing:
        note = "No results letter yet: " + "; ".join(results.missing) + "."
    else:
        note = "No letter: no options of this employee were accepted and no form was refused."
        letters = {
            letter.employee_id: (render_letter(letter, results), letter.synthetic)
            for letter in results_letters(state, offer_id, results.moment)
        }
    employees = {e.employee_id: e for e in offer_employees(state, offer_id)}
    taken: set[str] = set()
    pages = []
    for status in election_statuses(state, offer_id, moment):
        acts = tuple(valid_acts(employees[status.employee_id], moment))
        letter, letter_synthetic = letters.get(status.employee_id, (None, False))
        synthetic = (
            status.synthetic
            or letter_synthetic
            or any(a.synthetic or a.stamp.synthetic for a in acts)
            or any(g.last_act is not None and g.last_act.stamp.synthetic for g in status.grants)
            or any(r.stamp.synthetic for r in status.receipts)
            or any(n.stamp.synthetic for n in status.notices)
        )
        pages.append(
            EmployeePage(
                status=status,
                acts=acts,
                letter=letter,
                letter_note=note,
                file=employee_file(status.employee_id, taken),
                synthetic=synthetic,
            )
        )
    return pages


# --- the pages ----------------------------------------------------------------------------------


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(eastern=eastern, STATUS_TEXT=STATUS_TEXT)
    env.filters["num"] = "{:,}".format
    return env


def build_report(
    state: LedgerState,
    offer_id: uuid.UUID,
    rows: Sequence[TimelineRow],
    verification: Standing,
    *,
    before: Moment,
    after: Moment = NOW,
    combined: bool = False,
    named_by: tuple[str | None, str | None] = (None, None),
) -> dict[str, str]:
    """The report's pages, ``{file name: HTML}``: the redline from ``before`` to ``after``;
    elections, timeline, findings and each employee's page (``employees/<id>.html``) as of
    ``after``. ``combined``: also :data:`PRINT_PAGE`, every page's body in one document (one
    banner, a page break between them) to print to a single PDF. ``named_by``: what set
    ``before`` and ``after`` (see :func:`document_at`)."""
    old = document_at(state, offer_id, before, named_by=named_by[0])
    new = document_at(state, offer_id, after, named_by=named_by[1])
    items = findings(state, after, offer_id=offer_id)
    elections = elections_data(state, offer_id, after)
    timeline = timeline_data(rows, after, items)
    people = employee_pages(state, offer_id, after)
    synthetic = {
        "index.html": elections["synthetic"] or any(f.synthetic for f in items),
        "offer.html": _rests_on_synthetic(state, offer_id, after, old, new),
        "elections.html": elections["synthetic"] or any(p.synthetic for p in people),
        "timeline.html": elections["synthetic"] or any(d.synthetic for d in timeline["deadlines"]),
        "findings.html": any(f.synthetic for f in items),
    }
    common = {
        "verification": verification,
        "title": new.title,
        "pages": PAGES,
        "before": before,
        "after": after,
        "root": "",
    }
    context: dict[str, dict[str, Any]] = {
        "index.html": {"elections": elections, "findings": items, "timeline": timeline},
        "offer.html": {"changes": redline(old, new), "view": new, "old": old},
        "elections.html": {"elections": elections, "employees": people},
        "timeline.html": {"timeline": timeline},
        "findings.html": {"findings": items},
    }
    env = environment()
    pages: dict[str, str] = {}
    bodies: list[str] = []
    for name, _ in PAGES:
        values = {**common, **context[name], "page": name}
        html, body = _render(env, f"{name}.j2", values, synthetic[name], body=combined)
        pages[name] = html
        bodies.append(body)
    for person in people:
        values = {**common, "root": "../", "page": person.file, "e": person}
        html, body = _render(env, "employee.html.j2", values, person.synthetic, body=combined)
        pages[person.file] = html
        bodies.append(body)
    if combined:
        values = {**common, "page": PRINT_PAGE, "bodies": bodies}
        print_synthetic = any(synthetic.values()) or any(p.synthetic for p in people)
        pages[PRINT_PAGE] = _render(env, "print.html.j2", values, print_synthetic, body=False)[0]
    return pages


def _render(
    env: jinja2.Environment, name: str, values: dict[str, Any], synthetic: bool, *, body: bool
) -> tuple[str, str]:
    """(the page, its main block when ``body``); SYNTHETIC in the banner also when the page
    names a synthetic actor or event it was not told of."""
    template = env.get_template(name)
    html = template.render(**values, synthetic=synthetic)
    if not synthetic and "SYNTHETIC" in html:
        synthetic = True
        html = template.render(**values, synthetic=True)
    if not body:
        return html, ""
    context = template.new_context({**values, "synthetic": synthetic})
    return html, "".join(template.blocks["main"](context))


def _rests_on_synthetic(
    state: LedgerState, offer_id: uuid.UUID, moment: Moment, *views: DocumentView
) -> bool:
    """Whether a change shown in ``views`` came from an event marked synthetic."""
    flagged = {
        stamp.position
        for stamp, event in offer_changes(state, offer_id, moment)
        if getattr(event, "synthetic", False) is True
    }
    shown = {
        o.stamp.position
        for v in views
        for o in (
            *v.changes,
            *(p.introduced for p in v.parts),
            *(b.introduced for p in v.parts for b in p.blocks),
        )
    }
    return bool(flagged & shown)


__all__ = [
    "PAGES",
    "PRINT_PAGE",
    "Change",
    "Deadline",
    "EmployeePage",
    "build_report",
    "employee_file",
    "employee_pages",
    "deadlines",
    "elections_data",
    "redline",
    "redline_runs",
    "timeline_data",
]
