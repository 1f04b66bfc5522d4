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
    election_statuses,
    offer_employees,
    summarize,
    valid_acts,
)
from offerledger.projections.findings import STATUS_TEXT, Finding, findings
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
) -> dict[str, str]:
    """The report's pages, ``{file name: HTML}``: the redline from ``before`` to ``after``;
    elections, timeline and findings as of ``after``."""
    old = document_at(state, offer_id, before)
    new = document_at(state, offer_id, after)
    items = findings(state, after, offer_id=offer_id)
    elections = elections_data(state, offer_id, after)
    timeline = timeline_data(rows, after, items)
    synthetic = {
        "index.html": elections["synthetic"] or any(f.synthetic for f in items),
        "offer.html": _rests_on_synthetic(state, offer_id, after, old, new),
        "elections.html": elections["synthetic"],
        "timeline.html": elections["synthetic"] or any(d.synthetic for d in timeline["deadlines"]),
        "findings.html": any(f.synthetic for f in items),
    }
    common = {
        "verification": verification,
        "title": new.title,
        "pages": PAGES,
        "before": before,
        "after": after,
    }
    context: dict[str, dict[str, Any]] = {
        "index.html": {"elections": elections, "findings": items, "timeline": timeline},
        "offer.html": {"changes": redline(old, new), "view": new, "old": old},
        "elections.html": {"elections": elections},
        "timeline.html": {"timeline": timeline},
        "findings.html": {"findings": items},
    }
    env = environment()
    pages = {}
    for name, _ in PAGES:
        template = env.get_template(f"{name}.j2")
        html = template.render(**common, **context[name], page=name, synthetic=synthetic[name])
        if not synthetic[name] and "SYNTHETIC" in html:  # a synthetic actor or event named
            html = template.render(**common, **context[name], page=name, synthetic=True)
        pages[name] = html
    return pages


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
    "Change",
    "Deadline",
    "build_report",
    "deadlines",
    "elections_data",
    "redline",
    "redline_runs",
    "timeline_data",
]
