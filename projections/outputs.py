"""Each read command's output as one string, from projection state (shared by the commands,
``nightly`` and the tests, so the read model and the log give byte-identical results).

Given ``verification`` (a :class:`~offerledger.projections.verification.Standing`, handed in),
an output states it: the first line of text, Markdown and the letters, a first ``# `` comment
line of CSV, a ``verification`` field of JSON (:func:`~.verification.headed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from offerledger.projections import elections_render, text_render
from offerledger.projections.catalog import QueryError, offer_changes
from offerledger.projections.core import NOW, Moment, eastern
from offerledger.projections.diff import diff_documents
from offerledger.projections.disclosed import NOTICES, recipients
from offerledger.projections.elections import (
    STANDINGS,
    election_statuses,
    filter_statuses,
    summarize,
)
from offerledger.projections.final_amendment import render_final_amendment
from offerledger.projections.letters import render_letter, results_letters
from offerledger.projections.results import offer_results, require_final
from offerledger.projections.state import LedgerState
from offerledger.projections.text import document_at, select_section
from offerledger.projections.timeline import (
    TimelineRow,
    filter_rows,
    ordered,
    row_as_dict,
    status_of,
    superseded_index,
)
from offerledger.projections.verification import Standing, headed

Problems = Mapping[int, Sequence[str]]


def text_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    moment: Moment = NOW,
    *,
    section: str | None = None,
    provenance: bool = False,
    fmt: str = "text",
    document: str | None = None,
    verification: Standing | None = None,
) -> str:
    view = document_at(state, offer_id, moment, document)
    if section is not None:
        view = select_section(view, section)
    if fmt == "json":
        data = text_render.view_as_dict(view, provenance=provenance)
        return text_render.dumps(_with_field(data, verification))
    if fmt == "markdown":
        return headed(text_render.render_markdown(view, provenance=provenance), verification)
    return headed(text_render.render_text(view, provenance=provenance), verification)


def _with_field(data: dict[str, Any], verification: Standing | None) -> dict[str, Any]:
    return data if verification is None else {**data, "verification": verification.as_dict()}


def diff_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    before: Moment,
    after: Moment,
    *,
    fmt: str = "text",
    document: str | None = None,
    verification: Standing | None = None,
) -> str:
    old = document_at(state, offer_id, before, document)
    new = document_at(state, offer_id, after, document)
    diff = diff_documents(old, new)
    if fmt == "json":
        return text_render.dumps(_with_field(diff.as_dict(), verification))
    return headed(text_render.render_diff_text(diff), verification)


def elections_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    employee: str | None = None,
    status: str | None = None,
    fmt: str = "table",
    verification: Standing | None = None,
) -> str:
    if status is not None and status not in STANDINGS:
        raise QueryError(
            f"unknown status {status!r}", field="status", hint=f"one of {', '.join(STANDINGS)}"
        )
    everyone = election_statuses(state, offer_id)
    if employee is not None and all(s.employee_id != employee for s in everyone):
        raise QueryError(f"no employee {employee!r} in this offer", field="employee")
    chosen = filter_statuses(everyone, employee=employee, status=status)
    summary = summarize(chosen if employee is not None else everyone)
    if fmt == "csv":
        return headed(elections_render.render_csv(chosen), verification, "csv")
    if fmt == "json":
        data = elections_render.statuses_as_dict(chosen, summary)
        return text_render.dumps(_with_field(data, verification))
    return headed(elections_render.render_table(chosen, summary), verification)


def elections_terminal(
    state: LedgerState, offer_id: uuid.UUID, *, employee: str | None, status: str | None
) -> tuple[Any, str]:
    """A rich table of the chosen grants (for terminals only) and the plain summary."""
    chosen = filter_statuses(election_statuses(state, offer_id), employee=employee, status=status)
    summary = elections_render.render_summary(summarize(chosen))
    return elections_render.rich_table(chosen), summary


def final_amendment_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    draft: bool = False,
    fmt: str = "text",
    on: date | None = None,
    verification: Standing | None = None,
) -> str:
    results = offer_results(state, offer_id, on=on)
    require_final(results, draft=draft)
    return headed(render_final_amendment(results, fmt=fmt, draft=draft), verification)


def letters_output(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    on: date | None = None,
    verification: Standing | None = None,
) -> list[tuple[str, str]]:
    """(file name, letter text) for every participating employee."""
    results = offer_results(state, offer_id, on=on)
    require_final(results, draft=False)
    return [
        (letter.filename, headed(render_letter(letter, results), verification))
        for letter in results_letters(state, offer_id)
    ]


def notice_positions(
    state: LedgerState, offer_ids: Sequence[uuid.UUID], employee: str
) -> list[int]:
    """Log positions of the notices sent to ``employee``."""
    out = []
    for offer_id in offer_ids:
        for stamp, event in offer_changes(state, offer_id):
            if isinstance(event, NOTICES) and employee in recipients(
                state.lists, stamp.position, event
            ):
                out.append(stamp.position)
    return out


def timeline_output(
    rows: Sequence[TimelineRow],
    problems: Problems | None,
    *,
    as_json: bool = False,
    employee: str | None = None,
    filing: uuid.UUID | None = None,
    employee_notices: Sequence[int] = (),
    general: Sequence[str] = (),
    verification: Standing | None = None,
) -> str:
    """Every action in effective order; ``general`` lists problems without a position.

    Given ``verification``, the statuses and ``general`` come from its record (``problems``
    and ``general`` are then ignored)."""
    if verification is not None:
        problems, general = verification.problems_by_position(), verification.general
    everything = ordered(rows)
    superseded = superseded_index(everything)
    chosen = filter_rows(
        everything, employee=employee, filing=filing, employee_notices=employee_notices
    )
    if as_json:
        data = {
            "events": [row_as_dict(r, problems, superseded) for r in chosen],
            "ledger_problems": list(general),
            "verified": problems is not None,
        }
        return text_render.dumps(_with_field(data, verification))
    lines = []
    for r in chosen:
        s = r.stamp
        mark = ""
        if r.supersedes is not None:
            mark = "  (correction) "
        by = superseded.get((r.stream, s.version))
        tail = f"; superseded by event {by}" if by is not None else ""
        lines.append(f"{s.effective_text:<25}  #{s.position:<6} {s.action:<24} {mark}{r.summary}")
        lines.append(
            f"{'':<25}  recorded {eastern(s.recorded)} by {s.actor}, key {s.key_id[:12]}; "
            f"{status_of(s.position, problems)}{tail}"
        )
    for problem in general:
        lines.append(f"ledger problem: {problem}")
    return headed("\n".join(lines) + ("\n" if lines else ""), verification)


__all__ = [
    "diff_output",
    "elections_output",
    "elections_terminal",
    "final_amendment_output",
    "letters_output",
    "notice_positions",
    "text_output",
    "timeline_output",
]
